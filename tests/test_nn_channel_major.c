/* The channel-major convolution and the fused batch-norm → ReLU → pool block
 * (nn/conv.c, nn/norm_block.c) against the NCHW kernels they replace in the
 * HCSC encoder, which stay the reference: the same numbers on odd shapes (both
 * passes, every pool, training and evaluation, ties in a pooling window), and
 * central finite differences through the new backward passes. */
#include "tests/test_nn_harness.h"

#include <math.h>

#include "nn/layers.h"
#include "support_cmocka.h"

/* (batch, channels, plane) ⇄ (channels, batch, plane). */
static void to_channel_major(float *out, const float *in, size_t n, size_t c, size_t plane)
{
    for (size_t s = 0; s < n; s++)
        for (size_t ch = 0; ch < c; ch++)
            memcpy(out + (ch * n + s) * plane, in + (s * c + ch) * plane, plane * sizeof(float));
}

static void to_batch_major(float *out, const float *in, size_t n, size_t c, size_t plane)
{
    for (size_t s = 0; s < n; s++)
        for (size_t ch = 0; ch < c; ch++)
            memcpy(out + (s * c + ch) * plane, in + (ch * n + s) * plane, plane * sizeof(float));
}

static void assert_close(const char *what, const float *actual, const float *expected, size_t count, double atol,
                         double rtol)
{
    char report[256];
    if (nn_check_close(actual, expected, count, atol, rtol, report, sizeof report) != 0)
        fail_msg("%s: %s", what, report);
}

/* ---- convolution ------------------------------------------------------------------ */

static void check_conv_against_nchw(const char *name, nn_conv2d_dims d, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    size_t hw = d.height * d.width, out_hw = nn_conv2d_out_h(&d) * nn_conv2d_out_w(&d);
    size_t xn = d.batch * d.in_channels * hw, yn = d.batch * d.out_channels * out_hw;
    size_t wn = d.out_channels * d.in_channels * d.kernel_h * d.kernel_w;
    float *x = test_alloc(xn), *x_cm = test_alloc(xn), *w = test_alloc(wn), *dy = test_alloc(yn);
    float *dy_cm = test_alloc(yn), *y = test_alloc(yn), *y_cm = test_alloc(yn), *y_back = test_alloc(yn);
    float *dx = test_alloc(xn), *dx_cm = test_alloc(xn), *dx_back = test_alloc(xn);
    float *dw = test_alloc(wn), *dw_cm = test_alloc(wn);
    float *ws = test_alloc(nn_conv2d_workspace(&d)), *ws_cm = test_alloc(nn_conv2d_cm_workspace(&d));
    fill_uniform(x, xn, -1, 1, &rng);
    fill_uniform(w, wn, -1, 1, &rng);
    fill_uniform(dy, yn, -1, 1, &rng);
    to_channel_major(x_cm, x, d.batch, d.in_channels, hw);
    to_channel_major(dy_cm, dy, d.batch, d.out_channels, out_hw);
    nn_conv2d_forward(y, ws, x, w, NULL, &d);
    nn_conv2d_cm_forward(y_cm, ws_cm, x_cm, w, &d);
    to_batch_major(y_back, y_cm, d.batch, d.out_channels, out_hw);
    char what[128];
    snprintf(what, sizeof what, "%s: forward", name);
    assert_close(what, y_back, y, yn, 1e-5, 1e-5);
    /* Backward adds: start both from the same non-zero values. */
    for (size_t i = 0; i < xn; i++)
        dx[i] = 0.25f;
    for (size_t i = 0; i < xn; i++)
        dx_cm[i] = 0.25f;
    for (size_t i = 0; i < wn; i++)
        dw[i] = dw_cm[i] = -0.5f;
    nn_conv2d_backward(dx, dw, NULL, ws, dy, x, w, &d);
    nn_conv2d_cm_backward(dx_cm, dw_cm, ws_cm, dy_cm, x_cm, w, &d);
    to_batch_major(dx_back, dx_cm, d.batch, d.in_channels, hw);
    snprintf(what, sizeof what, "%s: input gradient", name);
    assert_close(what, dx_back, dx, xn, 1e-5, 1e-5);
    snprintf(what, sizeof what, "%s: weight gradient", name);
    assert_close(what, dw_cm, dw, wn, 1e-4, 1e-5);
    free(x), free(x_cm), free(w), free(dy), free(dy_cm), free(y), free(y_cm), free(y_back);
    free(dx), free(dx_cm), free(dx_back), free(dw), free(dw_cm), free(ws), free(ws_cm);
}

static void channel_major_conv_matches_nchw(void **unused)
{
    (void)unused;
    check_conv_against_nchw("3x3 same", nn_conv2d_make(3, 2, 5, 7, 6, 3, 1, 1), 1);
    check_conv_against_nchw("one input channel", nn_conv2d_make(4, 1, 3, 8, 8, 3, 1, 1), 2);
    check_conv_against_nchw("3x3 stride 2", nn_conv2d_make(2, 3, 2, 7, 5, 3, 2, 1), 3);
    check_conv_against_nchw("1x1", nn_conv2d_make(3, 4, 2, 3, 5, 1, 1, 0), 4);
    nn_conv2d_dims odd = nn_conv2d_make(2, 2, 3, 5, 7, 2, 1, 0);
    odd.kernel_h = 3, odd.stride_w = 2, odd.pad_top = 1, odd.pad_right = 1, odd.dilation_w = 2;
    check_conv_against_nchw("asymmetric dilated", odd, 5);
    /* 7×5 outputs: 117 samples per GEMM, so 300 samples take three chunks. */
    check_conv_against_nchw("three chunks", nn_conv2d_make(300, 2, 3, 7, 5, 3, 1, 1), 6);
}

typedef struct {
    nn_conv2d_dims d;
    float *x, *w, *y, *dx, *dw, *ws;
} cm_conv_state;

static void cm_conv_forward(void *s_)
{
    cm_conv_state *s = s_;
    nn_conv2d_cm_forward(s->y, s->ws, s->x, s->w, &s->d);
}

static void cm_conv_backward(void *s_, const float *dy)
{
    cm_conv_state *s = s_;
    nn_conv2d_cm_backward(s->dx, s->dw, s->ws, dy, s->x, s->w, &s->d);
}

static void channel_major_conv_gradients(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 7);
    cm_conv_state s = {.d = nn_conv2d_make(3, 2, 3, 5, 4, 3, 1, 1)};
    size_t xn = 3 * 2 * 20, wn = 3 * 2 * 9, yn = 3 * 3 * 20;
    s.x = test_alloc(xn), s.dx = test_alloc(xn), s.w = test_alloc(wn), s.dw = test_alloc(wn), s.y = test_alloc(yn);
    s.ws = test_alloc(nn_conv2d_cm_workspace(&s.d));
    fill_uniform(s.x, xn, -1, 1, &rng);
    fill_uniform(s.w, wn, -1, 1, &rng);
    grad_case c = {.name = "channel-major conv", .out = s.y, .out_count = yn, .forward = cm_conv_forward,
                   .backward = cm_conv_backward, .state = &s};
    grad_case_add(&c, "input", s.x, s.dx, xn);
    grad_case_add(&c, "weight", s.w, s.dw, wn);
    run_grad_case(&c, 8);
    free(s.x), free(s.dx), free(s.w), free(s.dw), free(s.y), free(s.ws);
}

/* ---- batch-norm → ReLU → pool ------------------------------------------------------ */

static const char *const pool_names[] = {"none", "max 2x2", "global average"};

/* out size of the block for (c, n, h, w). */
static size_t pooled_count(nn_pool pool, size_t c, size_t n, size_t h, size_t w)
{
    return pool == NN_POOL_MAX2 ? c * n * (h / 2) * (w / 2) : pool == NN_POOL_GLOBAL_AVG ? n * c : c * n * h * w;
}

/* The reference on NCHW: nn_batchnorm → nn_relu → nn_maxpool2d / nn_global_avgpool,
 * forward and backward, with the pooled output and its gradient converted to and
 * from the block's layout. */
static void check_block_against_composition(size_t c, size_t n, size_t h, size_t w, nn_pool pool, int training,
                                            int ties, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    size_t hw = h * w, count = c * n * hw, out_count = pooled_count(pool, c, n, h, w);
    size_t pooled_plane = pool == NN_POOL_MAX2 ? (h / 2) * (w / 2) : pool == NN_POOL_NONE ? hw : 1;
    float *x = test_alloc(count), *x_nchw = test_alloc(count), *weight = test_alloc(c), *bias = test_alloc(c);
    float *running_mean = test_alloc(c), *running_var = test_alloc(c), *ref_mean = test_alloc(c);
    float *ref_var = test_alloc(c);
    fill_uniform(x, count, -2, 2, &rng);
    if (ties) /* every window of the first channel holds its maximum twice */
        for (size_t i = 0; i + 1 < n * hw; i += 2)
            x[i + 1] = x[i];
    fill_uniform(weight, c, -1.5f, 1.5f, &rng); /* negative scales too */
    fill_uniform(bias, c, -0.5f, 0.5f, &rng);
    fill_uniform(running_mean, c, -0.5f, 0.5f, &rng);
    fill_uniform(running_var, c, 0.5f, 2.0f, &rng);
    memcpy(ref_mean, running_mean, c * sizeof(float));
    memcpy(ref_var, running_var, c * sizeof(float));
    to_batch_major(x_nchw, x, n, c, hw);

    float *bn = test_alloc(count), *relu = test_alloc(count), *ref_out = test_alloc(count);
    float *mean = test_alloc(c), *rstd = test_alloc(c), *ref_m = test_alloc(c), *ref_r = test_alloc(c);
    int32_t *argmax = calloc(count, sizeof *argmax);
    nn_batchnorm_forward(bn, ref_m, ref_r, ref_mean, ref_var, x_nchw, weight, bias, n, c, hw, 1e-5f, 0.1f, training);
    nn_relu_forward(relu, bn, count);
    if (pool == NN_POOL_MAX2)
        nn_maxpool2d_forward(ref_out, argmax, relu, n, c, h, w, 2, 2, 0);
    else if (pool == NN_POOL_GLOBAL_AVG)
        nn_global_avgpool_forward(ref_out, relu, n, c, hw);
    else
        memcpy(ref_out, relu, count * sizeof(float));

    float *out = test_alloc(out_count), *out_as_ref = test_alloc(out_count);
    nn_bn_relu_pool_forward(out, mean, rstd, running_mean, running_var, x, weight, bias, c, n, h, w, pool, 1e-5f,
                            0.1f, training);
    if (pool == NN_POOL_GLOBAL_AVG)
        memcpy(out_as_ref, out, out_count * sizeof(float)); /* (n, c) in both */
    else
        to_batch_major(out_as_ref, out, n, c, pooled_plane);
    char what[160];
    snprintf(what, sizeof what, "block %s (%s, c %zu n %zu h %zu w %zu%s): output", pool_names[pool],
             training ? "training" : "evaluation", c, n, h, w, ties ? ", ties" : "");
    assert_close(what, out_as_ref, ref_out, out_count, 1e-5, 1e-5);
    assert_close(what, mean, ref_m, c, 1e-6, 1e-5);
    assert_close(what, rstd, ref_r, c, 1e-6, 1e-5);
    assert_close(what, running_mean, ref_mean, c, 1e-6, 1e-5);
    assert_close(what, running_var, ref_var, c, 1e-6, 1e-5);

    /* Backward from a random pooled gradient. */
    float *dout = test_alloc(out_count), *dout_ref = test_alloc(out_count);
    fill_uniform(dout, out_count, -1, 1, &rng);
    if (pool == NN_POOL_GLOBAL_AVG)
        memcpy(dout_ref, dout, out_count * sizeof(float));
    else
        to_batch_major(dout_ref, dout, n, c, pooled_plane);
    float *drelu = test_alloc(count), *dbn = test_alloc(count), *dx_ref = test_alloc(count);
    float *dw_ref = test_alloc(c), *db_ref = test_alloc(c), *dw = test_alloc(c), *db = test_alloc(c);
    if (pool == NN_POOL_MAX2)
        nn_maxpool2d_backward(drelu, dout_ref, argmax, n, c, h / 2, w / 2);
    else if (pool == NN_POOL_GLOBAL_AVG)
        nn_global_avgpool_backward(drelu, dout_ref, n, c, hw);
    else
        memcpy(drelu, dout_ref, count * sizeof(float));
    nn_relu_backward(dbn, drelu, bn, count);
    nn_batchnorm_backward(dx_ref, dw_ref, db_ref, dbn, x_nchw, weight, ref_m, ref_r, n, c, hw, training);
    float *dx = test_alloc(count), *dx_as_ref = test_alloc(count);
    for (size_t i = 0; i < count; i++)
        dx[i] = 123.0f; /* the block writes din */
    nn_bn_relu_pool_backward(dx, dw, db, dout, x, weight, bias, mean, rstd, c, n, h, w, pool, training);
    to_batch_major(dx_as_ref, dx, n, c, hw);
    snprintf(what, sizeof what, "block %s (%s, c %zu n %zu h %zu w %zu%s): gradients", pool_names[pool],
             training ? "training" : "evaluation", c, n, h, w, ties ? ", ties" : "");
    assert_close(what, dx_as_ref, dx_ref, count, 1e-5, 1e-4);
    assert_close(what, dw, dw_ref, c, 1e-5, 1e-4);
    assert_close(what, db, db_ref, c, 1e-5, 1e-4);

    free(x), free(x_nchw), free(weight), free(bias), free(running_mean), free(running_var), free(ref_mean);
    free(ref_var), free(bn), free(relu), free(ref_out), free(mean), free(rstd), free(ref_m), free(ref_r);
    free(argmax), free(out), free(out_as_ref), free(dout), free(dout_ref), free(drelu), free(dbn), free(dx_ref);
    free(dw_ref), free(db_ref), free(dw), free(db), free(dx), free(dx_as_ref);
}

static void fused_block_matches_composition(void **unused)
{
    (void)unused;
    uint64_t seed = 20;
    for (int training = 0; training <= 1; training++)
        for (int pool = 0; pool < 3; pool++) {
            /* 6×10: rows of 5 windows (one vector of four and a remainder);
             * 4×18: 9 windows; 2×6: 3 windows, all remainder. */
            check_block_against_composition(3, 5, 6, 10, (nn_pool)pool, training, 0, seed++);
            check_block_against_composition(2, 3, 4, 18, (nn_pool)pool, training, 0, seed++);
            check_block_against_composition(2, 4, 2, 6, (nn_pool)pool, training, 0, seed++);
        }
    /* Equal maxima in a window: the first one takes the gradient, as PyTorch. */
    check_block_against_composition(1, 3, 4, 8, NN_POOL_MAX2, 1, 1, seed++);
    /* Rows wider than the forward's stack buffer. */
    check_block_against_composition(1, 2, 2, 2060, NN_POOL_MAX2, 1, 0, seed++);
    /* Statistics over more values than one summation stretch. */
    check_block_against_composition(2, 9, 14, 14, NN_POOL_MAX2, 1, 0, seed++);
}

typedef struct {
    size_t c, n, h, w;
    nn_pool pool;
    int training;
    float *x, *weight, *bias, *out, *mean, *rstd, *running_mean, *running_var, *dx, *dweight, *dbias;
} block_state;

static void block_forward(void *s_)
{
    block_state *s = s_;
    nn_bn_relu_pool_forward(s->out, s->mean, s->rstd, s->training ? NULL : s->running_mean,
                            s->training ? NULL : s->running_var, s->x, s->weight, s->bias, s->c, s->n, s->h, s->w,
                            s->pool, 1e-5f, 0.1f, s->training);
}

static void block_backward(void *s_, const float *dout)
{
    block_state *s = s_;
    /* The harness zeroes gradients and expects them added: din is written. */
    nn_bn_relu_pool_backward(s->dx, s->dweight, s->dbias, dout, s->x, s->weight, s->bias, s->mean, s->rstd, s->c,
                             s->n, s->h, s->w, s->pool, s->training);
}

static void fused_block_gradients(void **unused)
{
    (void)unused;
    for (int training = 0; training <= 1; training++)
        for (int pool = 0; pool < 3; pool++) {
            bench_rng rng;
            bench_rng_seed(&rng, 40 + (uint64_t)(training * 3 + pool));
            block_state s = {.c = 2, .n = 3, .h = 4, .w = 6, .pool = (nn_pool)pool, .training = training};
            size_t count = s.c * s.n * s.h * s.w, out_count = pooled_count(s.pool, s.c, s.n, s.h, s.w);
            s.x = test_alloc(count), s.dx = test_alloc(count), s.out = test_alloc(out_count);
            s.weight = test_alloc(2), s.bias = test_alloc(2), s.dweight = test_alloc(2), s.dbias = test_alloc(2);
            s.mean = test_alloc(2), s.rstd = test_alloc(2), s.running_mean = test_alloc(2);
            s.running_var = test_alloc(2);
            fill_uniform(s.x, count, -2, 2, &rng);
            fill_uniform(s.weight, 2, 0.5f, 1.5f, &rng);
            fill_uniform(s.bias, 2, -0.3f, 0.3f, &rng);
            fill_uniform(s.running_mean, 2, -0.5f, 0.5f, &rng);
            fill_uniform(s.running_var, 2, 0.5f, 2.0f, &rng);
            char name[96];
            snprintf(name, sizeof name, "bn-relu-pool %s (%s)", pool_names[pool], training ? "training" : "evaluation");
            grad_case c = {.name = name, .out = s.out, .out_count = out_count, .forward = block_forward,
                           .backward = block_backward, .state = &s};
            grad_case_add(&c, "input", s.x, s.dx, count);
            grad_case_add(&c, "weight", s.weight, s.dweight, 2);
            grad_case_add(&c, "bias", s.bias, s.dbias, 2);
            run_grad_case(&c, 60 + (uint64_t)(training * 3 + pool));
            free(s.x), free(s.dx), free(s.out), free(s.weight), free(s.bias), free(s.dweight), free(s.dbias);
            free(s.mean), free(s.rstd), free(s.running_mean), free(s.running_var);
        }
}

TEST_MAIN("nn_channel_major", NULL, NULL,
          cmocka_unit_test(channel_major_conv_matches_nchw),
          cmocka_unit_test(channel_major_conv_gradients),
          cmocka_unit_test(fused_block_matches_composition),
          cmocka_unit_test(fused_block_gradients))
