/* LSTM, GRU (with and without initial states) and multi-head self-attention
 * (plain and causal) backward against central differences on tiny shapes;
 * same tolerances as test_nn_gradcheck.c. */
#include "tests/test_nn_harness.h"

#include "nn/attention.h"
#include "nn/rnn.h"
#include "support_cmocka.h"

typedef struct {
    int gru;
    nn_rnn_dims d;
    float *x, *dx, *h0, *dh0, *c0, *dc0, *wih, *dwih, *whh, *dwhh, *bih, *dbih, *bhh, *dbhh;
    float *out, *gates, *cells, *ws;
} rnn_state;

static void rnn_fwd(void *s_)
{
    rnn_state *s = s_;
    if (s->gru)
        nn_gru_forward(s->out, s->gates, s->cells, s->ws, s->x, s->h0, s->wih, s->whh, s->bih, s->bhh, &s->d);
    else
        nn_lstm_forward(s->out, s->gates, s->cells, s->x, s->h0, s->c0, s->wih, s->whh, s->bih, s->bhh, &s->d);
}

static void rnn_bwd(void *s_, const float *dy)
{
    rnn_state *s = s_;
    if (s->gru)
        nn_gru_backward(s->dx, s->dwih, s->dwhh, s->dbih, s->dbhh, s->h0 ? s->dh0 : NULL, s->ws, dy, s->x, s->h0,
                        s->wih, s->whh, s->out, s->gates, s->cells, &s->d);
    else
        nn_lstm_backward(s->dx, s->dwih, s->dwhh, s->dbih, s->dbhh, s->h0 ? s->dh0 : NULL, s->c0 ? s->dc0 : NULL,
                         s->ws, dy, s->x, s->h0, s->c0, s->wih, s->whh, s->out, s->gates, s->cells, &s->d);
}

static void check_rnn(int gru, int with_state, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    rnn_state s = {.gru = gru, .d = {.batch = 2, .steps = 4, .input_size = 3, .hidden = 3}};
    size_t G = (gru ? 3 : 4) * s.d.hidden, n = s.d.batch, t = s.d.steps, I = s.d.input_size, H = s.d.hidden;
    s.x = test_alloc(n * t * I); s.dx = test_alloc(n * t * I);
    s.h0 = test_alloc(n * H); s.dh0 = test_alloc(n * H); s.c0 = test_alloc(n * H); s.dc0 = test_alloc(n * H);
    s.wih = test_alloc(G * I); s.dwih = test_alloc(G * I); s.whh = test_alloc(G * H); s.dwhh = test_alloc(G * H);
    s.bih = test_alloc(G); s.dbih = test_alloc(G); s.bhh = test_alloc(G); s.dbhh = test_alloc(G);
    s.out = test_alloc(n * t * H); s.gates = test_alloc(n * t * G); s.cells = test_alloc(n * t * H);
    s.ws = test_alloc(gru ? nn_gru_workspace(&s.d) : nn_lstm_workspace(&s.d));
    fill_uniform(s.x, n * t * I, -1, 1, &rng);
    fill_uniform(s.h0, n * H, -1, 1, &rng);
    fill_uniform(s.c0, n * H, -1, 1, &rng);
    fill_uniform(s.wih, G * I, -0.8f, 0.8f, &rng);
    fill_uniform(s.whh, G * H, -0.8f, 0.8f, &rng);
    fill_uniform(s.bih, G, -0.5f, 0.5f, &rng);
    fill_uniform(s.bhh, G, -0.5f, 0.5f, &rng);
    float *h0 = s.h0, *c0 = s.c0;
    if (!with_state)
        s.h0 = s.c0 = NULL;
    grad_case c = {.name = gru ? (with_state ? "gru(h0)" : "gru") : (with_state ? "lstm(h0,c0)" : "lstm"),
                   .out = s.out, .out_count = n * t * H, .forward = rnn_fwd, .backward = rnn_bwd, .state = &s};
    grad_case_add(&c, "input", s.x, s.dx, n * t * I);
    grad_case_add(&c, "weight_ih", s.wih, s.dwih, G * I);
    grad_case_add(&c, "weight_hh", s.whh, s.dwhh, G * H);
    grad_case_add(&c, "bias_ih", s.bih, s.dbih, G);
    grad_case_add(&c, "bias_hh", s.bhh, s.dbhh, G);
    if (with_state) {
        grad_case_add(&c, "h0", s.h0, s.dh0, n * H);
        if (!gru)
            grad_case_add(&c, "c0", s.c0, s.dc0, n * H);
    }
    run_grad_case(&c, seed + 1000);
    free(s.x); free(s.dx); free(h0); free(s.dh0); free(c0); free(s.dc0); free(s.wih); free(s.dwih);
    free(s.whh); free(s.dwhh); free(s.bih); free(s.dbih); free(s.bhh); free(s.dbhh); free(s.out);
    free(s.gates); free(s.cells); free(s.ws);
}

static void lstm_gradients(void **unused)
{
    (void)unused;
    check_rnn(0, 0, 1);
    check_rnn(0, 1, 2);
}

static void gru_gradients(void **unused)
{
    (void)unused;
    check_rnn(1, 0, 3);
    check_rnn(1, 1, 4);
}

typedef struct {
    nn_attention_dims d;
    float *x, *dx, *wi, *dwi, *bi, *dbi, *wo, *dwo, *bo, *dbo, *out, *qkv, *probs, *ctx, *ws;
} att_state;

static void att_fwd(void *s_)
{
    att_state *s = s_;
    nn_attention_forward(s->out, s->qkv, s->probs, s->ctx, s->x, s->wi, s->bi, s->wo, s->bo, &s->d);
}

static void att_bwd(void *s_, const float *dy)
{
    att_state *s = s_;
    nn_attention_backward(s->dx, s->dwi, s->dbi, s->dwo, s->dbo, s->ws, dy, s->x, s->wi, s->wo, s->qkv, s->probs,
                          s->ctx, &s->d);
}

static void check_attention(int causal, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    att_state s = {.d = {.batch = 2, .steps = 4, .model_dim = 6, .heads = 2, .causal = causal}};
    size_t n = 2, t = 4, d = 6;
    s.x = test_alloc(n * t * d); s.dx = test_alloc(n * t * d);
    s.wi = test_alloc(3 * d * d); s.dwi = test_alloc(3 * d * d); s.bi = test_alloc(3 * d); s.dbi = test_alloc(3 * d);
    s.wo = test_alloc(d * d); s.dwo = test_alloc(d * d); s.bo = test_alloc(d); s.dbo = test_alloc(d);
    s.out = test_alloc(n * t * d); s.qkv = test_alloc(n * t * 3 * d); s.probs = test_alloc(n * 2 * t * t);
    s.ctx = test_alloc(n * t * d); s.ws = test_alloc(nn_attention_workspace(&s.d));
    fill_uniform(s.x, n * t * d, -1, 1, &rng);
    fill_uniform(s.wi, 3 * d * d, -0.7f, 0.7f, &rng);
    fill_uniform(s.bi, 3 * d, -0.3f, 0.3f, &rng);
    fill_uniform(s.wo, d * d, -0.7f, 0.7f, &rng);
    fill_uniform(s.bo, d, -0.3f, 0.3f, &rng);
    grad_case c = {.name = causal ? "attention(causal)" : "attention", .out = s.out, .out_count = n * t * d,
                   .forward = att_fwd, .backward = att_bwd, .state = &s};
    grad_case_add(&c, "input", s.x, s.dx, n * t * d);
    grad_case_add(&c, "in_weight", s.wi, s.dwi, 3 * d * d);
    grad_case_add(&c, "in_bias", s.bi, s.dbi, 3 * d);
    grad_case_add(&c, "out_weight", s.wo, s.dwo, d * d);
    grad_case_add(&c, "out_bias", s.bo, s.dbo, d);
    run_grad_case(&c, seed + 2000);
    if (causal) {
        /* The first position attends only to itself. */
        att_fwd(&s);
        assert_float_equal(s.probs[0], 1.0, 1e-6);
        assert_float_equal(s.probs[1], 0.0, 0);
    }
    free(s.x); free(s.dx); free(s.wi); free(s.dwi); free(s.bi); free(s.dbi); free(s.wo); free(s.dwo);
    free(s.bo); free(s.dbo); free(s.out); free(s.qkv); free(s.probs); free(s.ctx); free(s.ws);
}

static void attention_gradients(void **unused)
{
    (void)unused;
    check_attention(0, 5);
    check_attention(1, 6);
}

TEST_MAIN("nn_gradcheck_seq", NULL, NULL,
          cmocka_unit_test(lstm_gradients),
          cmocka_unit_test(gru_gradients),
          cmocka_unit_test(attention_gradients))
