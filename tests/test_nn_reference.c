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

static float *ref_get(reference *ref, const char *name, size_t expected)
{
    return test_reference_floats(ref, name, expected);
}

static int ref_compare(reference *ref, const char *block, const char *name, const float *actual, size_t count)
{
    char report[256];
    if (nn_check_close(actual, ref_get(ref, name, count), count, REF_ATOL, REF_RTOL, report, sizeof report) != 0) {
        print_error("%s: %s: %s\n", block, name, report);
        return 1;
    }
    return 0;
}

/* Zeroed gradient buffers are allocated per name; the tests free them at the end. */
static float *zeros(float **pool, size_t *pool_count, size_t count)
{
    float *x = test_alloc(count);
    pool[(*pool_count)++] = x;
    return x;
}

static void mlp_matches_pytorch(void **unused)
{
    (void)unused;
    reference ref;
    test_reference_load(&ref, "nn", "mlp");
    float *pool[64];
    size_t pooled = 0;
    const size_t n = 6;
    float *x = ref_get(&ref, "input", n * 5);
    float *w1 = ref_get(&ref, "fc1.weight", 40), *b1 = ref_get(&ref, "fc1.bias", 8);
    float *w2 = ref_get(&ref, "fc2.weight", 48), *b2 = ref_get(&ref, "fc2.bias", 6);
    float *g = ref_get(&ref, "norm.weight", 6), *beta = ref_get(&ref, "norm.bias", 6);
    float *w3 = ref_get(&ref, "fc3.weight", 18), *b3 = ref_get(&ref, "fc3.bias", 3);
    float *h1 = zeros(pool, &pooled, n * 8), *a1 = zeros(pool, &pooled, n * 8);
    float *h2 = zeros(pool, &pooled, n * 6), *a2 = zeros(pool, &pooled, n * 6), *ln = zeros(pool, &pooled, n * 6);
    float *mean = zeros(pool, &pooled, n), *rstd = zeros(pool, &pooled, n);
    float *h3 = zeros(pool, &pooled, n * 3), *y = zeros(pool, &pooled, n * 3);
    nn_linear_forward(h1, x, w1, b1, n, 5, 8);
    nn_relu_forward(a1, h1, n * 8);
    nn_linear_forward(h2, a1, w2, b2, n, 8, 6);
    nn_gelu_forward(a2, h2, n * 6);
    nn_layernorm_forward(ln, mean, rstd, a2, g, beta, n, 6, 1e-5f);
    nn_linear_forward(h3, ln, w3, b3, n, 6, 3);
    nn_tanh_forward(y, h3, n * 3);
    int bad = ref_compare(&ref, "mlp", "output", y, n * 3);

    float *dy = ref_get(&ref, "projection", n * 3);
    float *dh3 = zeros(pool, &pooled, n * 3), *dln = zeros(pool, &pooled, n * 6), *da2 = zeros(pool, &pooled, n * 6);
    float *dh2 = zeros(pool, &pooled, n * 6), *da1 = zeros(pool, &pooled, n * 8), *dh1 = zeros(pool, &pooled, n * 8);
    float *dx = zeros(pool, &pooled, n * 5);
    float *dw1 = zeros(pool, &pooled, 40), *db1 = zeros(pool, &pooled, 8), *dw2 = zeros(pool, &pooled, 48);
    float *db2 = zeros(pool, &pooled, 6), *dg = zeros(pool, &pooled, 6), *dbeta = zeros(pool, &pooled, 6);
    float *dw3 = zeros(pool, &pooled, 18), *db3 = zeros(pool, &pooled, 3);
    nn_tanh_backward(dh3, dy, y, n * 3);
    nn_linear_backward(dln, dw3, db3, dh3, ln, w3, n, 6, 3);
    nn_layernorm_backward(da2, dg, dbeta, dln, a2, g, mean, rstd, n, 6);
    nn_gelu_backward(dh2, da2, h2, n * 6);
    nn_linear_backward(da1, dw2, db2, dh2, a1, w2, n, 8, 6);
    nn_relu_backward(dh1, da1, h1, n * 8);
    nn_linear_backward(dx, dw1, db1, dh1, x, w1, n, 5, 8);
    bad += ref_compare(&ref, "mlp", "grad.input", dx, n * 5);
    bad += ref_compare(&ref, "mlp", "grad.fc1.weight", dw1, 40);
    bad += ref_compare(&ref, "mlp", "grad.fc1.bias", db1, 8);
    bad += ref_compare(&ref, "mlp", "grad.fc2.weight", dw2, 48);
    bad += ref_compare(&ref, "mlp", "grad.fc2.bias", db2, 6);
    bad += ref_compare(&ref, "mlp", "grad.norm.weight", dg, 6);
    bad += ref_compare(&ref, "mlp", "grad.norm.bias", dbeta, 6);
    bad += ref_compare(&ref, "mlp", "grad.fc3.weight", dw3, 18);
    bad += ref_compare(&ref, "mlp", "grad.fc3.bias", db3, 3);
    for (size_t i = 0; i < pooled; i++)
        free(pool[i]);
    test_reference_free(&ref);
    assert_int_equal(bad, 0);
}

static void convnet_matches_pytorch(void **unused)
{
    (void)unused;
    reference ref;
    test_reference_load(&ref, "nn", "convnet");
    float *pool[64];
    size_t pooled = 0;
    const size_t n = 2;
    float *x = ref_get(&ref, "input", n * 2 * 64);
    float *w1 = ref_get(&ref, "conv1.weight", 3 * 2 * 9), *b1 = ref_get(&ref, "conv1.bias", 3);
    float *g = ref_get(&ref, "bn.weight", 3), *beta = ref_get(&ref, "bn.bias", 3);
    float *w2 = ref_get(&ref, "conv2.weight", 4 * 3 * 9), *b2 = ref_get(&ref, "conv2.bias", 4);
    float *w3 = ref_get(&ref, "fc.weight", 8), *b3 = ref_get(&ref, "fc.bias", 2);
    nn_conv2d_dims d1 = nn_conv2d_make(n, 2, 3, 8, 8, 3, 1, 1);
    nn_conv2d_dims d2 = nn_conv2d_make(n, 3, 4, 4, 4, 3, 2, 1);
    assert_int_equal(nn_conv2d_out_h(&d2), 2);
    float *ws = zeros(pool, &pooled, nn_conv2d_workspace(&d1) + nn_conv2d_workspace(&d2));
    float *c1 = zeros(pool, &pooled, n * 3 * 64), *bn = zeros(pool, &pooled, n * 3 * 64);
    float *r = zeros(pool, &pooled, n * 3 * 64), *p = zeros(pool, &pooled, n * 3 * 16);
    float *c2 = zeros(pool, &pooled, n * 4 * 4), *gap = zeros(pool, &pooled, n * 4), *y = zeros(pool, &pooled, n * 2);
    float *mean = zeros(pool, &pooled, 3), *rstd = zeros(pool, &pooled, 3);
    float *running_mean = zeros(pool, &pooled, 3), *running_var = zeros(pool, &pooled, 3);
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
    int bad = ref_compare(&ref, "convnet", "output", y, n * 2);
    bad += ref_compare(&ref, "convnet", "bn.running_mean", running_mean, 3);
    bad += ref_compare(&ref, "convnet", "bn.running_var", running_var, 3);

    float *dy = ref_get(&ref, "projection", n * 2);
    float *dgap = zeros(pool, &pooled, n * 4), *dc2 = zeros(pool, &pooled, n * 16), *dp = zeros(pool, &pooled, n * 48);
    float *dr = zeros(pool, &pooled, n * 192), *dbn = zeros(pool, &pooled, n * 192), *dc1 = zeros(pool, &pooled, n * 192);
    float *dx = zeros(pool, &pooled, n * 128);
    float *dw1 = zeros(pool, &pooled, 54), *db1 = zeros(pool, &pooled, 3), *dg = zeros(pool, &pooled, 3);
    float *dbeta = zeros(pool, &pooled, 3), *dw2 = zeros(pool, &pooled, 108), *db2 = zeros(pool, &pooled, 4);
    float *dw3 = zeros(pool, &pooled, 8), *db3 = zeros(pool, &pooled, 2);
    nn_linear_backward(dgap, dw3, db3, dy, gap, w3, n, 4, 2);
    nn_global_avgpool_backward(dc2, dgap, n, 4, 4);
    nn_conv2d_backward(dp, dw2, db2, ws, dc2, p, w2, &d2);
    nn_maxpool2d_backward(dr, dp, argmax, n, 3, 4, 4);
    nn_relu_backward(dbn, dr, bn, n * 192);
    nn_batchnorm_backward(dc1, dg, dbeta, dbn, c1, g, mean, rstd, n, 3, 64, 1);
    nn_conv2d_backward(dx, dw1, db1, ws, dc1, x, w1, &d1);
    bad += ref_compare(&ref, "convnet", "grad.input", dx, n * 128);
    bad += ref_compare(&ref, "convnet", "grad.conv1.weight", dw1, 54);
    bad += ref_compare(&ref, "convnet", "grad.conv1.bias", db1, 3);
    bad += ref_compare(&ref, "convnet", "grad.bn.weight", dg, 3);
    bad += ref_compare(&ref, "convnet", "grad.bn.bias", dbeta, 3);
    bad += ref_compare(&ref, "convnet", "grad.conv2.weight", dw2, 108);
    bad += ref_compare(&ref, "convnet", "grad.conv2.bias", db2, 4);
    bad += ref_compare(&ref, "convnet", "grad.fc.weight", dw3, 8);
    bad += ref_compare(&ref, "convnet", "grad.fc.bias", db3, 2);
    for (size_t i = 0; i < pooled; i++)
        free(pool[i]);
    test_reference_free(&ref);
    assert_int_equal(bad, 0);
}

static void recurrent_matches_pytorch(int gru)
{
    const char *block = gru ? "gru" : "lstm";
    reference ref;
    test_reference_load(&ref, "nn", block);
    float *pool[64];
    size_t pooled = 0;
    nn_rnn_dims d = {.batch = 2, .steps = 5, .input_size = 3, .hidden = 4};
    const size_t n = 2, t = 5, I = 3, H = 4, G = (gru ? 3 : 4) * H;
    float *x = ref_get(&ref, "input", n * t * I), *h0 = ref_get(&ref, "h0", n * H);
    float *c0 = gru ? NULL : ref_get(&ref, "c0", n * H);
    float *wih = ref_get(&ref, "rnn.weight_ih_l0", G * I), *whh = ref_get(&ref, "rnn.weight_hh_l0", G * H);
    float *bih = ref_get(&ref, "rnn.bias_ih_l0", G), *bhh = ref_get(&ref, "rnn.bias_hh_l0", G);
    float *out = zeros(pool, &pooled, n * t * H), *gates = zeros(pool, &pooled, n * t * G);
    float *cells = zeros(pool, &pooled, n * t * H);
    float *ws = zeros(pool, &pooled, gru ? nn_gru_workspace(&d) : nn_lstm_workspace(&d));
    if (gru)
        nn_gru_forward(out, gates, cells, ws, x, h0, wih, whh, bih, bhh, &d);
    else
        nn_lstm_forward(out, gates, cells, x, h0, c0, wih, whh, bih, bhh, &d);
    int bad = ref_compare(&ref, block, "output", out, n * t * H);
    float *dy = ref_get(&ref, "projection", n * t * H);
    float *dx = zeros(pool, &pooled, n * t * I), *dh0 = zeros(pool, &pooled, n * H), *dc0 = zeros(pool, &pooled, n * H);
    float *dwih = zeros(pool, &pooled, G * I), *dwhh = zeros(pool, &pooled, G * H);
    float *dbih = zeros(pool, &pooled, G), *dbhh = zeros(pool, &pooled, G);
    if (gru)
        nn_gru_backward(dx, dwih, dwhh, dbih, dbhh, dh0, ws, dy, x, h0, wih, whh, out, gates, cells, &d);
    else
        nn_lstm_backward(dx, dwih, dwhh, dbih, dbhh, dh0, dc0, ws, dy, x, h0, c0, wih, whh, out, gates, cells, &d);
    bad += ref_compare(&ref, block, "grad.input", dx, n * t * I);
    bad += ref_compare(&ref, block, "grad.h0", dh0, n * H);
    if (!gru)
        bad += ref_compare(&ref, block, "grad.c0", dc0, n * H);
    bad += ref_compare(&ref, block, "grad.rnn.weight_ih_l0", dwih, G * I);
    bad += ref_compare(&ref, block, "grad.rnn.weight_hh_l0", dwhh, G * H);
    bad += ref_compare(&ref, block, "grad.rnn.bias_ih_l0", dbih, G);
    bad += ref_compare(&ref, block, "grad.rnn.bias_hh_l0", dbhh, G);
    for (size_t i = 0; i < pooled; i++)
        free(pool[i]);
    test_reference_free(&ref);
    assert_int_equal(bad, 0);
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
    reference ref;
    test_reference_load(&ref, "nn", "encoder");
    float *pool[64];
    size_t pooled = 0;
    const size_t n = 2, t = 5, D = 8, F = 16, rows = n * t;
    nn_attention_dims ad = {.batch = n, .steps = t, .model_dim = D, .heads = 2, .causal = 0};
    float *x = ref_get(&ref, "input", rows * D);
    float *wi = ref_get(&ref, "self_attn.in_proj_weight", 3 * D * D), *bi = ref_get(&ref, "self_attn.in_proj_bias", 3 * D);
    float *wo = ref_get(&ref, "self_attn.out_proj.weight", D * D), *bo = ref_get(&ref, "self_attn.out_proj.bias", D);
    float *w1 = ref_get(&ref, "linear1.weight", F * D), *b1 = ref_get(&ref, "linear1.bias", F);
    float *w2 = ref_get(&ref, "linear2.weight", D * F), *b2 = ref_get(&ref, "linear2.bias", D);
    float *g1 = ref_get(&ref, "norm1.weight", D), *be1 = ref_get(&ref, "norm1.bias", D);
    float *g2 = ref_get(&ref, "norm2.weight", D), *be2 = ref_get(&ref, "norm2.bias", D);
    float *att = zeros(pool, &pooled, rows * D), *qkv = zeros(pool, &pooled, rows * 3 * D);
    float *probs = zeros(pool, &pooled, n * 2 * t * t), *ctx = zeros(pool, &pooled, rows * D);
    float *s1 = zeros(pool, &pooled, rows * D), *n1 = zeros(pool, &pooled, rows * D);
    float *m1 = zeros(pool, &pooled, rows), *r1 = zeros(pool, &pooled, rows);
    float *f1 = zeros(pool, &pooled, rows * F), *a1 = zeros(pool, &pooled, rows * F), *f2 = zeros(pool, &pooled, rows * D);
    float *s2 = zeros(pool, &pooled, rows * D), *y = zeros(pool, &pooled, rows * D);
    float *m2 = zeros(pool, &pooled, rows), *r2 = zeros(pool, &pooled, rows);
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
    int bad = ref_compare(&ref, "encoder", "output", y, rows * D);

    float *dy = ref_get(&ref, "projection", rows * D);
    float *ds2 = zeros(pool, &pooled, rows * D), *da1 = zeros(pool, &pooled, rows * F), *df1 = zeros(pool, &pooled, rows * F);
    float *dn1 = zeros(pool, &pooled, rows * D), *ds1 = zeros(pool, &pooled, rows * D), *dx = zeros(pool, &pooled, rows * D);
    float *dg2 = zeros(pool, &pooled, D), *dbe2 = zeros(pool, &pooled, D), *dg1 = zeros(pool, &pooled, D);
    float *dbe1 = zeros(pool, &pooled, D), *dw1 = zeros(pool, &pooled, F * D), *db1 = zeros(pool, &pooled, F);
    float *dw2 = zeros(pool, &pooled, D * F), *db2 = zeros(pool, &pooled, D), *dwi = zeros(pool, &pooled, 3 * D * D);
    float *dbi = zeros(pool, &pooled, 3 * D), *dwo = zeros(pool, &pooled, D * D), *dbo = zeros(pool, &pooled, D);
    float *ws = zeros(pool, &pooled, nn_attention_workspace(&ad));
    nn_layernorm_backward(ds2, dg2, dbe2, dy, s2, g2, m2, r2, rows, D);
    /* s2 = n1 + f2: the residual passes ds2 to n1 directly; the branch adds through the FFN. */
    memcpy(dn1, ds2, rows * D * sizeof(float));
    nn_linear_backward(da1, dw2, db2, ds2, a1, w2, rows, F, D);
    nn_gelu_backward(df1, da1, f1, rows * F);
    nn_linear_backward(dn1, dw1, db1, df1, n1, w1, rows, D, F);
    nn_layernorm_backward(ds1, dg1, dbe1, dn1, s1, g1, m1, r1, rows, D);
    memcpy(dx, ds1, rows * D * sizeof(float));
    nn_attention_backward(dx, dwi, dbi, dwo, dbo, ws, ds1, x, wi, wo, qkv, probs, ctx, &ad);
    bad += ref_compare(&ref, "encoder", "grad.input", dx, rows * D);
    bad += ref_compare(&ref, "encoder", "grad.self_attn.in_proj_weight", dwi, 3 * D * D);
    bad += ref_compare(&ref, "encoder", "grad.self_attn.in_proj_bias", dbi, 3 * D);
    bad += ref_compare(&ref, "encoder", "grad.self_attn.out_proj.weight", dwo, D * D);
    bad += ref_compare(&ref, "encoder", "grad.self_attn.out_proj.bias", dbo, D);
    bad += ref_compare(&ref, "encoder", "grad.linear1.weight", dw1, F * D);
    bad += ref_compare(&ref, "encoder", "grad.linear2.weight", dw2, D * F);
    bad += ref_compare(&ref, "encoder", "grad.norm1.weight", dg1, D);
    bad += ref_compare(&ref, "encoder", "grad.norm2.bias", dbe2, D);
    for (size_t i = 0; i < pooled; i++)
        free(pool[i]);
    test_reference_free(&ref);
    assert_int_equal(bad, 0);
}

TEST_MAIN("nn_reference", NULL, NULL,
          cmocka_unit_test(mlp_matches_pytorch),
          cmocka_unit_test(convnet_matches_pytorch),
          cmocka_unit_test(lstm_matches_pytorch),
          cmocka_unit_test(gru_matches_pytorch),
          cmocka_unit_test(encoder_block_matches_pytorch))
