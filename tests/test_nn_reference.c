/* Composite blocks of nn/ against PyTorch: an MLP (linear, ReLU, GELU,
 * layernorm, tanh), a conv net (conv2d, batchnorm in training mode, ReLU,
 * max-pool, strided conv2d, global average pool, linear), LSTM and GRU over 5
 * steps with initial states, and one post-norm transformer encoder block
 * (attention, residuals, layernorm, GELU feed-forward).  Vectors come from
 * tests/reference/gen_nn_reference.py (weights, input, projection r, output and
 * the gradients of Σ r·output).  Tolerance |a−b| <= 1e-5 + 1e-3·|b|. */
#include "tests/test_nn_harness.h"
#include "tests/support_reference.h"

#include <math.h>

#include "nn/attention.h"
#include "nn/layers.h"
#include "nn/rnn.h"
#include "support_cmocka.h"

#define REF_ATOL 1e-5
#define REF_RTOL 1e-3
typedef test_reference reference;

/* One reference block under test: its vectors, the zeroed buffers the test
 * allocates and the number of tensors that did not match. */
typedef struct block {
    reference ref;
    const char *name;
    float *pool[64];
    size_t pooled;
    int bad;
} block;

static void block_open(block *b, const char *name)
{
    test_reference_load(&b->ref, "nn", name);
    b->name = name;
    b->pooled = 0;
    b->bad = 0;
}

/* Reference tensor NAME of the block; the block owns it. */
static float *get(block *b, const char *name, size_t expected)
{
    return test_reference_floats(&b->ref, name, expected);
}

/* A zeroed buffer of count floats; block_finish frees it. */
static float *zeros(block *b, size_t count)
{
    float *x = test_alloc(count);
    b->pool[b->pooled++] = x;
    return x;
}

/* A computed tensor and the name of the reference tensor it must match. */
typedef struct tensor {
    const char *name;
    const float *values;
    size_t count;
} tensor;

/* Compares each tensor with the reference, printing and counting every mismatch. */
static void check(block *b, const tensor *tensors, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char report[256];
        const float *expected = get(b, tensors[i].name, tensors[i].count);
        if (nn_check_close(tensors[i].values, expected, tensors[i].count, REF_ATOL, REF_RTOL, report,
                           sizeof report) != 0) {
            print_error("%s: %s: %s\n", b->name, tensors[i].name, report);
            b->bad++;
        }
    }
}

/* check() over a list of tensor initializers, counting them. */
#define CHECK(b, ...) check((b), (const tensor[]){__VA_ARGS__}, sizeof((const tensor[]){__VA_ARGS__}) / sizeof(tensor))

/* Frees the block's buffers and vectors; fails the test if a tensor did not match. */
static void block_finish(block *b)
{
    for (size_t i = 0; i < b->pooled; i++)
        free(b->pool[i]);
    test_reference_free(&b->ref);
    assert_int_equal(b->bad, 0);
}

static void mlp_matches_pytorch(void **unused)
{
    (void)unused;
    block b;
    block_open(&b, "mlp");
    const size_t n = 6;
    float *x = get(&b, "input", n * 5);
    float *w1 = get(&b, "fc1.weight", 40), *b1 = get(&b, "fc1.bias", 8);
    float *w2 = get(&b, "fc2.weight", 48), *b2 = get(&b, "fc2.bias", 6);
    float *g = get(&b, "norm.weight", 6), *beta = get(&b, "norm.bias", 6);
    float *w3 = get(&b, "fc3.weight", 18), *b3 = get(&b, "fc3.bias", 3);
    float *h1 = zeros(&b, n * 8), *a1 = zeros(&b, n * 8), *h2 = zeros(&b, n * 6), *a2 = zeros(&b, n * 6);
    float *ln = zeros(&b, n * 6), *mean = zeros(&b, n), *rstd = zeros(&b, n), *h3 = zeros(&b, n * 3);
    float *y = zeros(&b, n * 3);
    nn_linear_forward(h1, x, w1, b1, n, 5, 8);
    nn_relu_forward(a1, h1, n * 8);
    nn_linear_forward(h2, a1, w2, b2, n, 8, 6);
    nn_gelu_forward(a2, h2, n * 6);
    nn_layernorm_forward(ln, mean, rstd, a2, g, beta, n, 6, 1e-5f);
    nn_linear_forward(h3, ln, w3, b3, n, 6, 3);
    nn_tanh_forward(y, h3, n * 3);
    CHECK(&b, {"output", y, n * 3});

    float *dy = get(&b, "projection", n * 3);
    float *dh3 = zeros(&b, n * 3), *dln = zeros(&b, n * 6), *da2 = zeros(&b, n * 6), *dh2 = zeros(&b, n * 6);
    float *da1 = zeros(&b, n * 8), *dh1 = zeros(&b, n * 8), *dx = zeros(&b, n * 5), *dw1 = zeros(&b, 40);
    float *db1 = zeros(&b, 8), *dw2 = zeros(&b, 48), *db2 = zeros(&b, 6), *dg = zeros(&b, 6), *dbeta = zeros(&b, 6);
    float *dw3 = zeros(&b, 18), *db3 = zeros(&b, 3);
    nn_tanh_backward(dh3, dy, y, n * 3);
    nn_linear_backward(dln, dw3, db3, dh3, ln, w3, n, 6, 3);
    nn_layernorm_backward(da2, dg, dbeta, dln, a2, g, mean, rstd, n, 6);
    nn_gelu_backward(dh2, da2, h2, n * 6);
    nn_linear_backward(da1, dw2, db2, dh2, a1, w2, n, 8, 6);
    nn_relu_backward(dh1, da1, h1, n * 8);
    nn_linear_backward(dx, dw1, db1, dh1, x, w1, n, 5, 8);
    CHECK(&b, {"grad.input", dx, n * 5}, {"grad.fc1.weight", dw1, 40}, {"grad.fc1.bias", db1, 8},
              {"grad.fc2.weight", dw2, 48}, {"grad.fc2.bias", db2, 6}, {"grad.norm.weight", dg, 6},
              {"grad.norm.bias", dbeta, 6}, {"grad.fc3.weight", dw3, 18}, {"grad.fc3.bias", db3, 3});
    block_finish(&b);
}

static void convnet_matches_pytorch(void **unused)
{
    (void)unused;
    block b;
    block_open(&b, "convnet");
    const size_t n = 2;
    float *x = get(&b, "input", n * 2 * 64);
    float *w1 = get(&b, "conv1.weight", 3 * 2 * 9), *b1 = get(&b, "conv1.bias", 3);
    float *g = get(&b, "bn.weight", 3), *beta = get(&b, "bn.bias", 3);
    float *w2 = get(&b, "conv2.weight", 4 * 3 * 9), *b2 = get(&b, "conv2.bias", 4);
    float *w3 = get(&b, "fc.weight", 8), *b3 = get(&b, "fc.bias", 2);
    nn_conv2d_dims d1 = nn_conv2d_make(n, 2, 3, 8, 8, 3, 1, 1);
    nn_conv2d_dims d2 = nn_conv2d_make(n, 3, 4, 4, 4, 3, 2, 1);
    assert_int_equal(nn_conv2d_out_h(&d2), 2);
    float *ws = zeros(&b, nn_conv2d_workspace(&d1) + nn_conv2d_workspace(&d2)), *c1 = zeros(&b, n * 3 * 64);
    float *bn = zeros(&b, n * 3 * 64), *r = zeros(&b, n * 3 * 64), *p = zeros(&b, n * 3 * 16);
    float *c2 = zeros(&b, n * 4 * 4), *gap = zeros(&b, n * 4), *y = zeros(&b, n * 2), *mean = zeros(&b, 3);
    float *rstd = zeros(&b, 3), *running_mean = zeros(&b, 3), *running_var = zeros(&b, 3);
    int32_t argmax[2 * 3 * 16];
    for (size_t c = 0; c < 3; c++)
        running_var[c] = 1.0f;
    nn_conv2d_forward(c1, ws, x, w1, b1, &d1);
    nn_batchnorm_forward(bn, mean, rstd, running_mean, running_var, c1, g, beta, n, 3, 64, 1e-5f, 0.1f, 1);
    nn_relu_forward(r, bn, n * 3 * 64);
    nn_maxpool2d_forward(p, argmax, r, n, 3, 8, 8, 2, 2, 0);
    nn_conv2d_forward(c2, ws, p, w2, b2, &d2);
    nn_global_avgpool_forward(gap, c2, n, 4, 4);
    nn_linear_forward(y, gap, w3, b3, n, 4, 2);
    CHECK(&b, {"output", y, n * 2}, {"bn.running_mean", running_mean, 3}, {"bn.running_var", running_var, 3});

    float *dy = get(&b, "projection", n * 2);
    float *dgap = zeros(&b, n * 4), *dc2 = zeros(&b, n * 16), *dp = zeros(&b, n * 48), *dr = zeros(&b, n * 192);
    float *dbn = zeros(&b, n * 192), *dc1 = zeros(&b, n * 192), *dx = zeros(&b, n * 128), *dw1 = zeros(&b, 54);
    float *db1 = zeros(&b, 3), *dg = zeros(&b, 3), *dbeta = zeros(&b, 3), *dw2 = zeros(&b, 108), *db2 = zeros(&b, 4);
    float *dw3 = zeros(&b, 8), *db3 = zeros(&b, 2);
    nn_linear_backward(dgap, dw3, db3, dy, gap, w3, n, 4, 2);
    nn_global_avgpool_backward(dc2, dgap, n, 4, 4);
    nn_conv2d_backward(dp, dw2, db2, ws, dc2, p, w2, &d2);
    nn_maxpool2d_backward(dr, dp, argmax, n, 3, 4, 4);
    nn_relu_backward(dbn, dr, bn, n * 192);
    nn_batchnorm_backward(dc1, dg, dbeta, dbn, c1, g, mean, rstd, n, 3, 64, 1);
    nn_conv2d_backward(dx, dw1, db1, ws, dc1, x, w1, &d1);
    CHECK(&b, {"grad.input", dx, n * 128}, {"grad.conv1.weight", dw1, 54}, {"grad.conv1.bias", db1, 3},
              {"grad.bn.weight", dg, 3}, {"grad.bn.bias", dbeta, 3}, {"grad.conv2.weight", dw2, 108},
              {"grad.conv2.bias", db2, 4}, {"grad.fc.weight", dw3, 8}, {"grad.fc.bias", db3, 2});
    block_finish(&b);
}

static void recurrent_matches_pytorch(int gru)
{
    const char *name = gru ? "gru" : "lstm";
    block b;
    block_open(&b, name);
    nn_rnn_dims d = {.batch = 2, .steps = 5, .input_size = 3, .hidden = 4};
    const size_t n = 2, t = 5, I = 3, H = 4, G = (gru ? 3 : 4) * H;
    float *x = get(&b, "input", n * t * I), *h0 = get(&b, "h0", n * H);
    float *c0 = gru ? NULL : get(&b, "c0", n * H);
    float *wih = get(&b, "rnn.weight_ih_l0", G * I), *whh = get(&b, "rnn.weight_hh_l0", G * H);
    float *bih = get(&b, "rnn.bias_ih_l0", G), *bhh = get(&b, "rnn.bias_hh_l0", G);
    float *out = zeros(&b, n * t * H), *gates = zeros(&b, n * t * G), *cells = zeros(&b, n * t * H);
    float *ws = zeros(&b, gru ? nn_gru_workspace(&d) : nn_lstm_workspace(&d));
    if (gru)
        nn_gru_forward(out, gates, cells, ws, x, h0, wih, whh, bih, bhh, &d);
    else
        nn_lstm_forward(out, gates, cells, x, h0, c0, wih, whh, bih, bhh, &d);
    CHECK(&b, {"output", out, n * t * H});
    float *dy = get(&b, "projection", n * t * H);
    float *dx = zeros(&b, n * t * I), *dh0 = zeros(&b, n * H), *dc0 = zeros(&b, n * H), *dwih = zeros(&b, G * I);
    float *dwhh = zeros(&b, G * H), *dbih = zeros(&b, G), *dbhh = zeros(&b, G);
    if (gru)
        nn_gru_backward(dx, dwih, dwhh, dbih, dbhh, dh0, ws, dy, x, h0, wih, whh, out, gates, cells, &d);
    else
        nn_lstm_backward(dx, dwih, dwhh, dbih, dbhh, dh0, dc0, ws, dy, x, h0, c0, wih, whh, out, gates, cells, &d);
    CHECK(&b, {"grad.input", dx, n * t * I}, {"grad.h0", dh0, n * H});
    if (!gru)
        CHECK(&b, {"grad.c0", dc0, n * H});
    CHECK(&b, {"grad.rnn.weight_ih_l0", dwih, G * I}, {"grad.rnn.weight_hh_l0", dwhh, G * H},
              {"grad.rnn.bias_ih_l0", dbih, G}, {"grad.rnn.bias_hh_l0", dbhh, G});
    block_finish(&b);
}

static void lstm_matches_pytorch(void **unused)
{
    (void)unused;
    recurrent_matches_pytorch(0);
}

static void gru_matches_pytorch(void **unused)
{
    (void)unused;
    recurrent_matches_pytorch(1);
}

static void encoder_block_matches_pytorch(void **unused)
{
    (void)unused;
    block b;
    block_open(&b, "encoder");
    const size_t n = 2, t = 5, D = 8, F = 16, rows = n * t;
    nn_attention_dims ad = {.batch = n, .steps = t, .model_dim = D, .heads = 2, .causal = 0};
    float *x = get(&b, "input", rows * D);
    float *wi = get(&b, "self_attn.in_proj_weight", 3 * D * D), *bi = get(&b, "self_attn.in_proj_bias", 3 * D);
    float *wo = get(&b, "self_attn.out_proj.weight", D * D), *bo = get(&b, "self_attn.out_proj.bias", D);
    float *w1 = get(&b, "linear1.weight", F * D), *b1 = get(&b, "linear1.bias", F);
    float *w2 = get(&b, "linear2.weight", D * F), *b2 = get(&b, "linear2.bias", D);
    float *g1 = get(&b, "norm1.weight", D), *be1 = get(&b, "norm1.bias", D);
    float *g2 = get(&b, "norm2.weight", D), *be2 = get(&b, "norm2.bias", D);
    float *att = zeros(&b, rows * D), *qkv = zeros(&b, rows * 3 * D), *probs = zeros(&b, n * 2 * t * t);
    float *ctx = zeros(&b, rows * D), *s1 = zeros(&b, rows * D), *n1 = zeros(&b, rows * D), *m1 = zeros(&b, rows);
    float *r1 = zeros(&b, rows), *f1 = zeros(&b, rows * F), *a1 = zeros(&b, rows * F), *f2 = zeros(&b, rows * D);
    float *s2 = zeros(&b, rows * D), *y = zeros(&b, rows * D), *m2 = zeros(&b, rows), *r2 = zeros(&b, rows);
    nn_attention_forward(att, qkv, probs, ctx, x, wi, bi, wo, bo, &ad);
    for (size_t i = 0; i < rows * D; i++)
        s1[i] = x[i] + att[i];
    nn_layernorm_forward(n1, m1, r1, s1, g1, be1, rows, D, 1e-5f);
    nn_linear_forward(f1, n1, w1, b1, rows, D, F);
    nn_gelu_forward(a1, f1, rows * F);
    nn_linear_forward(f2, a1, w2, b2, rows, F, D);
    for (size_t i = 0; i < rows * D; i++)
        s2[i] = n1[i] + f2[i];
    nn_layernorm_forward(y, m2, r2, s2, g2, be2, rows, D, 1e-5f);
    CHECK(&b, {"output", y, rows * D});

    float *dy = get(&b, "projection", rows * D);
    float *ds2 = zeros(&b, rows * D), *da1 = zeros(&b, rows * F), *df1 = zeros(&b, rows * F);
    float *dn1 = zeros(&b, rows * D), *ds1 = zeros(&b, rows * D), *dx = zeros(&b, rows * D), *dg2 = zeros(&b, D);
    float *dbe2 = zeros(&b, D), *dg1 = zeros(&b, D), *dbe1 = zeros(&b, D), *dw1 = zeros(&b, F * D), *db1 = zeros(&b, F);
    float *dw2 = zeros(&b, D * F), *db2 = zeros(&b, D), *dwi = zeros(&b, 3 * D * D), *dbi = zeros(&b, 3 * D);
    float *dwo = zeros(&b, D * D), *dbo = zeros(&b, D), *ws = zeros(&b, nn_attention_workspace(&ad));
    nn_layernorm_backward(ds2, dg2, dbe2, dy, s2, g2, m2, r2, rows, D);
    /* s2 = n1 + f2: the residual passes ds2 to n1 directly; the branch adds through the FFN. */
    memcpy(dn1, ds2, rows * D * sizeof(float));
    nn_linear_backward(da1, dw2, db2, ds2, a1, w2, rows, F, D);
    nn_gelu_backward(df1, da1, f1, rows * F);
    nn_linear_backward(dn1, dw1, db1, df1, n1, w1, rows, D, F);
    nn_layernorm_backward(ds1, dg1, dbe1, dn1, s1, g1, m1, r1, rows, D);
    memcpy(dx, ds1, rows * D * sizeof(float));
    nn_attention_backward(dx, dwi, dbi, dwo, dbo, ws, ds1, x, wi, wo, qkv, probs, ctx, &ad);
    CHECK(&b, {"grad.input", dx, rows * D}, {"grad.self_attn.in_proj_weight", dwi, 3 * D * D},
              {"grad.self_attn.in_proj_bias", dbi, 3 * D}, {"grad.self_attn.out_proj.weight", dwo, D * D},
              {"grad.self_attn.out_proj.bias", dbo, D}, {"grad.linear1.weight", dw1, F * D},
              {"grad.linear2.weight", dw2, D * F}, {"grad.norm1.weight", dg1, D}, {"grad.norm2.bias", dbe2, D});
    block_finish(&b);
}

TEST_MAIN("nn_reference", NULL, NULL,
          cmocka_unit_test(mlp_matches_pytorch),
          cmocka_unit_test(convnet_matches_pytorch),
          cmocka_unit_test(lstm_matches_pytorch),
          cmocka_unit_test(gru_matches_pytorch),
          cmocka_unit_test(encoder_block_matches_pytorch))
