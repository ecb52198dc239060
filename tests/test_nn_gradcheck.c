/* Every layer and loss backward of nn/ against central finite differences on
 * tiny shapes.  Kernels run in float; differences and the projected loss are
 * accumulated in double, step 1e-3, tolerance |a−n| <= 1e-3 + 1e-2·|n|
 * (float rounding of the forward pass bounds what a float kernel can show). */
#include "tests/test_nn_harness.h"

#include <math.h>

#include "nn/layers.h"
#include "nn/loss.h"
#include "support_cmocka.h"

/* ---- linear ------------------------------------------------------------------ */
typedef struct { size_t n, in, out; float *x, *w, *b, *y, *dx, *dw, *db; } linear_state;
static void linear_fwd(void *s_) { linear_state *s = s_; nn_linear_forward(s->y, s->x, s->w, s->b, s->n, s->in, s->out); }
static void linear_bwd(void *s_, const float *dy)
{
    linear_state *s = s_;
    nn_linear_backward(s->dx, s->dw, s->db, dy, s->x, s->w, s->n, s->in, s->out);
}
static void linear_gradients(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    linear_state s = {.n = 3, .in = 5, .out = 4};
    s.x = test_alloc(15); s.dx = test_alloc(15); s.w = test_alloc(20); s.dw = test_alloc(20);
    s.b = test_alloc(4); s.db = test_alloc(4); s.y = test_alloc(12);
    fill_uniform(s.x, 15, -1, 1, &rng); fill_uniform(s.w, 20, -1, 1, &rng); fill_uniform(s.b, 4, -1, 1, &rng);
    grad_case c = {.name = "linear", .out = s.y, .out_count = 12, .forward = linear_fwd, .backward = linear_bwd, .state = &s};
    grad_case_add(&c, "input", s.x, s.dx, 15);
    grad_case_add(&c, "weight", s.w, s.dw, 20);
    grad_case_add(&c, "bias", s.b, s.db, 4);
    run_grad_case(&c, 11);
    free(s.x); free(s.dx); free(s.w); free(s.dw); free(s.b); free(s.db); free(s.y);
}

/* ---- element-wise activations ------------------------------------------------ */
typedef struct { int kind; size_t n; float *x, *y, *dx; } act_state;
static void act_fwd(void *s_)
{
    act_state *s = s_;
    switch (s->kind) {
    case 0: nn_relu_forward(s->y, s->x, s->n); break;
    case 1: nn_gelu_forward(s->y, s->x, s->n); break;
    case 2: nn_tanh_forward(s->y, s->x, s->n); break;
    case 3: nn_sigmoid_forward(s->y, s->x, s->n); break;
    default: nn_softplus_forward(s->y, s->x, s->n); break;
    }
}
static void act_bwd(void *s_, const float *dy)
{
    act_state *s = s_;
    switch (s->kind) {
    case 0: nn_relu_backward(s->dx, dy, s->x, s->n); break;
    case 1: nn_gelu_backward(s->dx, dy, s->x, s->n); break;
    case 2: nn_tanh_backward(s->dx, dy, s->y, s->n); break;
    case 3: nn_sigmoid_backward(s->dx, dy, s->y, s->n); break;
    default: nn_softplus_backward(s->dx, dy, s->x, s->n); break;
    }
}
static void activation_gradients(void **unused)
{
    (void)unused;
    const char *names[] = {"relu", "gelu", "tanh", "sigmoid", "softplus"};
    for (int kind = 0; kind < 5; kind++) {
        bench_rng rng;
        bench_rng_seed(&rng, 2 + (uint64_t)kind);
        act_state s = {.kind = kind, .n = 17};
        s.x = test_alloc(17); s.y = test_alloc(17); s.dx = test_alloc(17);
        fill_away_from_zero(s.x, 17, &rng);
        for (size_t i = 0; i < 17; i++)
            s.x[i] *= 3.0f;
        grad_case c = {.name = names[kind], .out = s.y, .out_count = 17, .forward = act_fwd, .backward = act_bwd, .state = &s};
        grad_case_add(&c, "input", s.x, s.dx, 17);
        run_grad_case(&c, 20 + (uint64_t)kind);
        free(s.x); free(s.y); free(s.dx);
    }
}

/* ---- dropout: a fixed mask makes it linear; check the mask's statistics too. */
typedef struct { size_t n; float *x, *y, *dx, *mask; float p; uint64_t seed; } dropout_state;
static void dropout_fwd(void *s_)
{
    dropout_state *s = s_;
    bench_rng rng;
    bench_rng_seed(&rng, s->seed); /* same mask at every evaluation */
    nn_dropout_forward(s->y, s->mask, s->x, s->n, s->p, &rng);
}
static void dropout_bwd(void *s_, const float *dy) { dropout_state *s = s_; nn_dropout_backward(s->dx, dy, s->mask, s->n); }
static void dropout_gradients_and_rate(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 3);
    dropout_state s = {.n = 4000, .p = 0.25f, .seed = 99};
    s.x = test_alloc(s.n); s.y = test_alloc(s.n); s.dx = test_alloc(s.n); s.mask = test_alloc(s.n);
    fill_uniform(s.x, s.n, -1, 1, &rng);
    dropout_fwd(&s);
    size_t dropped = 0;
    for (size_t i = 0; i < s.n; i++) {
        dropped += s.mask[i] == 0.0f;
        assert_true(s.mask[i] == 0.0f || fabsf(s.mask[i] - 1.0f / 0.75f) < 1e-6f);
    }
    assert_in_range(dropped, 900, 1100);
    s.n = 40;
    grad_case c = {.name = "dropout", .out = s.y, .out_count = s.n, .forward = dropout_fwd, .backward = dropout_bwd, .state = &s};
    grad_case_add(&c, "input", s.x, s.dx, s.n);
    run_grad_case(&c, 30);
    free(s.x); free(s.y); free(s.dx); free(s.mask);
}

/* ---- layernorm ----------------------------------------------------------------- */
typedef struct { size_t n, c; float *x, *w, *b, *y, *dx, *dw, *db, *mean, *rstd; } ln_state;
static void ln_fwd(void *s_) { ln_state *s = s_; nn_layernorm_forward(s->y, s->mean, s->rstd, s->x, s->w, s->b, s->n, s->c, 1e-5f); }
static void ln_bwd(void *s_, const float *dy)
{
    ln_state *s = s_;
    nn_layernorm_backward(s->dx, s->dw, s->db, dy, s->x, s->w, s->mean, s->rstd, s->n, s->c);
}
static void layernorm_gradients(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 4);
    ln_state s = {.n = 3, .c = 6};
    s.x = test_alloc(18); s.dx = test_alloc(18); s.y = test_alloc(18); s.w = test_alloc(6); s.dw = test_alloc(6);
    s.b = test_alloc(6); s.db = test_alloc(6); s.mean = test_alloc(3); s.rstd = test_alloc(3);
    fill_uniform(s.x, 18, -2, 2, &rng); fill_uniform(s.w, 6, 0.5f, 1.5f, &rng); fill_uniform(s.b, 6, -1, 1, &rng);
    grad_case c = {.name = "layernorm", .out = s.y, .out_count = 18, .forward = ln_fwd, .backward = ln_bwd, .state = &s};
    grad_case_add(&c, "input", s.x, s.dx, 18);
    grad_case_add(&c, "weight", s.w, s.dw, 6);
    grad_case_add(&c, "bias", s.b, s.db, 6);
    run_grad_case(&c, 40);
    free(s.x); free(s.dx); free(s.y); free(s.w); free(s.dw); free(s.b); free(s.db); free(s.mean); free(s.rstd);
}

/* ---- batchnorm (training and evaluation; NCHW and (N, C)) ------------------------ */
typedef struct { size_t n, c, spatial; int training; float *x, *w, *b, *y, *dx, *dw, *db, *mean, *rstd, *rm, *rv; } bn_state;
static void bn_fwd(void *s_)
{
    bn_state *s = s_;
    /* Running statistics are not updated during the check (NULL) in training. */
    nn_batchnorm_forward(s->y, s->mean, s->rstd, s->training ? NULL : s->rm, s->training ? NULL : s->rv, s->x, s->w,
                         s->b, s->n, s->c, s->spatial, 1e-5f, 0.1f, s->training);
}
static void bn_bwd(void *s_, const float *dy)
{
    bn_state *s = s_;
    nn_batchnorm_backward(s->dx, s->dw, s->db, dy, s->x, s->w, s->mean, s->rstd, s->n, s->c, s->spatial, s->training);
}
static void batchnorm_gradients(void **unused)
{
    (void)unused;
    size_t spatials[] = {1, 6, 13}; /* 13: the eight-lane sums plus a remainder */
    for (int training = 0; training <= 1; training++)
        for (int k = 0; k < 3; k++) {
            bench_rng rng;
            bench_rng_seed(&rng, 5 + (uint64_t)(training * 3 + k));
            bn_state s = {.n = 3, .c = 2, .spatial = spatials[k], .training = training};
            size_t count = s.n * s.c * s.spatial;
            s.x = test_alloc(count); s.dx = test_alloc(count); s.y = test_alloc(count);
            s.w = test_alloc(2); s.dw = test_alloc(2); s.b = test_alloc(2); s.db = test_alloc(2);
            s.mean = test_alloc(2); s.rstd = test_alloc(2); s.rm = test_alloc(2); s.rv = test_alloc(2);
            fill_uniform(s.x, count, -2, 2, &rng); fill_uniform(s.w, 2, 0.5f, 1.5f, &rng);
            fill_uniform(s.b, 2, -1, 1, &rng); fill_uniform(s.rm, 2, -0.5f, 0.5f, &rng);
            fill_uniform(s.rv, 2, 0.5f, 2.0f, &rng);
            grad_case c = {.name = training ? "batchnorm(train)" : "batchnorm(eval)", .out = s.y, .out_count = count,
                           .forward = bn_fwd, .backward = bn_bwd, .state = &s};
            grad_case_add(&c, "input", s.x, s.dx, count);
            grad_case_add(&c, "weight", s.w, s.dw, 2);
            grad_case_add(&c, "bias", s.b, s.db, 2);
            run_grad_case(&c, 50 + (uint64_t)k);
            free(s.x); free(s.dx); free(s.y); free(s.w); free(s.dw); free(s.b); free(s.db);
            free(s.mean); free(s.rstd); free(s.rm); free(s.rv);
        }
}

static void batchnorm_running_statistics_follow_pytorch(void **unused)
{
    (void)unused;
    /* One channel, values 1..4: mean 2.5, unbiased variance 5/3; running starts (0, 1). */
    float x[4] = {1, 2, 3, 4}, y[4], mean, rstd, rm = 0.0f, rv = 1.0f, w = 1.0f, b = 0.0f;
    nn_batchnorm_forward(y, &mean, &rstd, &rm, &rv, x, &w, &b, 4, 1, 1, 1e-5f, 0.1f, 1);
    assert_float_equal(rm, 0.25, 1e-6);
    assert_float_equal(rv, 0.9 + 0.1 * 5.0 / 3.0, 1e-6);
    assert_float_equal(y[0], (1 - 2.5) / sqrt(1.25 + 1e-5), 1e-5);
}

/* ---- conv2d and conv1d ----------------------------------------------------------- */
typedef struct { nn_conv2d_dims d; float *x, *w, *b, *y, *dx, *dw, *db, *ws; } conv_state;
static void conv_fwd(void *s_) { conv_state *s = s_; nn_conv2d_forward(s->y, s->ws, s->x, s->w, s->b, &s->d); }
static void conv_bwd(void *s_, const float *dy)
{
    conv_state *s = s_;
    nn_conv2d_backward(s->dx, s->dw, s->db, s->ws, dy, s->x, s->w, &s->d);
}
static void check_conv(const char *name, nn_conv2d_dims d, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    conv_state s = {.d = d};
    size_t xn = d.batch * d.in_channels * d.height * d.width;
    size_t wn = d.out_channels * d.in_channels * d.kernel_h * d.kernel_w;
    size_t yn = d.batch * d.out_channels * nn_conv2d_out_h(&d) * nn_conv2d_out_w(&d);
    assert_true(yn > 0);
    s.x = test_alloc(xn); s.dx = test_alloc(xn); s.w = test_alloc(wn); s.dw = test_alloc(wn);
    s.b = test_alloc(d.out_channels); s.db = test_alloc(d.out_channels); s.y = test_alloc(yn);
    s.ws = test_alloc(nn_conv2d_workspace(&d));
    fill_uniform(s.x, xn, -1, 1, &rng); fill_uniform(s.w, wn, -1, 1, &rng); fill_uniform(s.b, d.out_channels, -1, 1, &rng);
    grad_case c = {.name = name, .out = s.y, .out_count = yn, .forward = conv_fwd, .backward = conv_bwd, .state = &s};
    grad_case_add(&c, "input", s.x, s.dx, xn);
    grad_case_add(&c, "weight", s.w, s.dw, wn);
    grad_case_add(&c, "bias", s.b, s.db, d.out_channels);
    run_grad_case(&c, seed + 100);
    free(s.x); free(s.dx); free(s.w); free(s.dw); free(s.b); free(s.db); free(s.y); free(s.ws);
}
static void conv_gradients(void **unused)
{
    (void)unused;
    check_conv("conv2d 3x3 stride 1 pad 1", nn_conv2d_make(2, 2, 3, 5, 4, 3, 1, 1), 60);
    check_conv("conv2d 3x3 stride 2 pad 1", nn_conv2d_make(2, 3, 2, 6, 5, 3, 2, 1), 61);
    check_conv("conv2d 1x1", nn_conv2d_make(2, 3, 4, 3, 3, 1, 1, 0), 62);
    nn_conv2d_dims odd = nn_conv2d_make(1, 2, 2, 5, 7, 2, 1, 0);
    odd.kernel_h = 3; odd.stride_w = 2; odd.pad_top = 1; odd.pad_bottom = 0; odd.pad_right = 1; odd.dilation_w = 2;
    check_conv("conv2d asymmetric", odd, 63);
    check_conv("conv1d causal dilated", nn_conv1d_make(2, 3, 2, 9, 3, 1, 0, 2, 1), 64);
    check_conv("conv1d padded stride 2", nn_conv1d_make(2, 2, 3, 8, 3, 2, 1, 1, 0), 65);
}

static void conv1d_causal_sees_only_the_past(void **unused)
{
    (void)unused;
    nn_conv2d_dims d = nn_conv1d_make(1, 1, 1, 8, 3, 1, 0, 2, 1);
    assert_int_equal(nn_conv2d_out_w(&d), 8);
    float x[8] = {0}, y[8], w[3] = {1, 1, 1}, ws[64];
    x[5] = 1.0f;
    nn_conv2d_forward(y, ws, x, w, NULL, &d);
    for (int t = 0; t < 8; t++)
        assert_float_equal(y[t], (t == 5 || t == 7) ? 1.0 : 0.0, 1e-7); /* taps t, t-2, t-4 */
}

/* ---- pooling -------------------------------------------------------------------- */
typedef struct { size_t n, c, h, w, k, stride, pad, oh, ow; float *x, *y, *dx; int32_t *arg; } pool_state;
static void maxpool_fwd(void *s_) { pool_state *s = s_; nn_maxpool2d_forward(s->y, s->arg, s->x, s->n, s->c, s->h, s->w, s->k, s->stride, s->pad); }
static void maxpool_bwd(void *s_, const float *dy) { pool_state *s = s_; nn_maxpool2d_backward(s->dx, dy, s->arg, s->n, s->c, s->oh, s->ow); }
static void avgpool_fwd(void *s_) { pool_state *s = s_; nn_global_avgpool_forward(s->y, s->x, s->n, s->c, s->h * s->w); }
static void avgpool_bwd(void *s_, const float *dy) { pool_state *s = s_; nn_global_avgpool_backward(s->dx, dy, s->n, s->c, s->h * s->w); }
static void pool_gradients(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 7);
    pool_state s = {.n = 2, .c = 2, .h = 5, .w = 6, .k = 3, .stride = 2, .pad = 1};
    s.oh = (s.h + 2 * s.pad - s.k) / s.stride + 1;
    s.ow = (s.w + 2 * s.pad - s.k) / s.stride + 1;
    size_t xn = s.n * s.c * s.h * s.w, yn = s.n * s.c * s.oh * s.ow;
    s.x = test_alloc(xn); s.dx = test_alloc(xn); s.y = test_alloc(yn);
    s.arg = calloc(yn, sizeof(int32_t));
    /* Distinct values spaced well beyond the step, so no maximum changes under perturbation. */
    size_t *order = calloc(xn, sizeof(size_t));
    for (size_t i = 0; i < xn; i++)
        order[i] = i;
    bench_rng_shuffle_size(&rng, order, xn);
    for (size_t i = 0; i < xn; i++)
        s.x[order[i]] = 0.05f * (float)i - 1.0f;
    free(order);
    grad_case c = {.name = "maxpool2d", .out = s.y, .out_count = yn, .forward = maxpool_fwd, .backward = maxpool_bwd, .state = &s};
    grad_case_add(&c, "input", s.x, s.dx, xn);
    run_grad_case(&c, 70);
    grad_case a = {.name = "global avgpool", .out = s.y, .out_count = s.n * s.c, .forward = avgpool_fwd, .backward = avgpool_bwd, .state = &s};
    grad_case_add(&a, "input", s.x, s.dx, xn);
    run_grad_case(&a, 71);
    free(s.x); free(s.dx); free(s.y); free(s.arg);
}

/* ---- embedding and patching ---------------------------------------------------- */
typedef struct { size_t n, dim, length, patch_len, stride; int pad_end; int32_t *idx; float *table, *dtable, *x, *dx, *y; } embed_state;
static void embed_fwd(void *s_) { embed_state *s = s_; nn_embedding_forward(s->y, s->idx, s->table, s->n, s->dim); }
static void embed_bwd(void *s_, const float *dy) { embed_state *s = s_; nn_embedding_backward(s->dtable, dy, s->idx, s->n, s->dim); }
static void patch_fwd(void *s_) { embed_state *s = s_; nn_patch_forward(s->y, s->x, s->n, s->length, s->patch_len, s->stride, s->pad_end); }
static void patch_bwd(void *s_, const float *dy) { embed_state *s = s_; nn_patch_backward(s->dx, dy, s->n, s->length, s->patch_len, s->stride, s->pad_end); }
static void embedding_and_patch_gradients(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 8);
    int32_t idx[5] = {2, 0, 2, 3, 1};
    embed_state s = {.n = 5, .dim = 3, .idx = idx};
    s.table = test_alloc(12); s.dtable = test_alloc(12); s.y = test_alloc(64);
    fill_uniform(s.table, 12, -1, 1, &rng);
    grad_case c = {.name = "embedding", .out = s.y, .out_count = 15, .forward = embed_fwd, .backward = embed_bwd, .state = &s};
    grad_case_add(&c, "table", s.table, s.dtable, 12);
    run_grad_case(&c, 80);
    /* length 10, patch 4, stride 2, padded end: (12 - 4)/2 + 1 = 5 patches (PatchTST's count). */
    s.n = 2; s.length = 10; s.patch_len = 4; s.stride = 2; s.pad_end = 1;
    assert_int_equal(nn_patch_count(10, 4, 2, 1), 5);
    assert_int_equal(nn_patch_count(96, 16, 8, 1), 12);
    s.x = test_alloc(20); s.dx = test_alloc(20);
    fill_uniform(s.x, 20, -1, 1, &rng);
    grad_case p = {.name = "patch", .out = s.y, .out_count = 2 * 5 * 4, .forward = patch_fwd, .backward = patch_bwd, .state = &s};
    grad_case_add(&p, "input", s.x, s.dx, 20);
    run_grad_case(&p, 81);
    patch_fwd(&s);
    assert_float_equal(s.y[4 * 4 + 3], s.x[9], 0); /* last patch replicates the last value */
    free(s.table); free(s.dtable); free(s.y); free(s.x); free(s.dx);
}

/* ---- losses --------------------------------------------------------------------- */
typedef struct { int kind; size_t n, k; float *a, *b, *t, *da, *db, *w, *y; int32_t *cls; uint8_t *mask; } loss_state;
static double loss_eval(loss_state *s, int with_grad)
{
    float *da = with_grad ? s->da : NULL, *db = with_grad ? s->db : NULL;
    switch (s->kind) {
    case 0: return nn_mse_loss(da, s->a, s->t, s->w, s->n);
    case 1: return nn_mae_loss(da, s->a, s->t, s->w, s->n);
    case 2: return nn_gaussian_nll_loss(da, db, s->a, s->b, s->t, s->w, s->n);
    case 3: return nn_cross_entropy_loss(da, s->a, s->cls, s->w, s->n, s->k);
    case 4: return nn_infonce_loss(da, s->a, s->cls, s->mask, s->n, s->k, 0.5f);
    case 5: return nn_bce_with_logits_loss(da, s->a, s->t, s->w, s->n * s->k, 0.0);
    default: return nn_quantile_loss(da, s->a, s->t, 0.8f, s->w, s->n * s->k);
    }
}
static void loss_fwd(void *s_) { loss_state *s = s_; s->y[0] = (float)loss_eval(s, 0); }
static void loss_bwd(void *s_, const float *dy) { loss_state *s = s_; (void)dy; (void)loss_eval(s, 1); }
static void loss_gradients(void **unused)
{
    (void)unused;
    const char *names[] = {"mse", "mae", "gaussian nll", "cross-entropy", "infonce", "bce with logits", "quantile"};
    for (int kind = 0; kind < 7; kind++) {
        bench_rng rng;
        bench_rng_seed(&rng, 9 + (uint64_t)kind);
        loss_state s = {.kind = kind, .n = 4, .k = 3};
        size_t m = 12;
        s.a = test_alloc(m); s.b = test_alloc(m); s.t = test_alloc(m); s.da = test_alloc(m); s.db = test_alloc(m);
        s.w = test_alloc(m); s.y = test_alloc(1);
        int32_t cls[4] = {1, 0, -1, 2};
        uint8_t mask[12] = {1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1};
        s.cls = cls; s.mask = mask;
        fill_away_from_zero(s.a, m, &rng);
        fill_uniform(s.b, m, 0.5f, 2.0f, &rng);
        fill_uniform(s.t, m, kind == 5 ? 0.0f : -1.0f, 1.0f, &rng);
        fill_uniform(s.w, m, 0.2f, 1.0f, &rng);
        if (kind == 1 || kind == 6)
            for (size_t i = 0; i < m; i++)
                s.t[i] = s.a[i] - (s.a[i] > 0 ? 0.5f : -0.5f) * (float)(i % 3); /* |a-t| 0 or >= 0.5 */
        if (kind == 1 || kind == 6)
            for (size_t i = 0; i < m; i += 3)
                s.t[i] = s.a[i] + 0.3f;
        grad_case c = {.name = names[kind], .out = s.y, .out_count = 1, .forward = loss_fwd, .backward = loss_bwd,
                       .state = &s, .unit_projection = 1};
        grad_case_add(&c, "input", s.a, s.da, m);
        if (kind == 2)
            grad_case_add(&c, "sigma", s.b, s.db, m);
        run_grad_case(&c, 90 + (uint64_t)kind);
        free(s.a); free(s.b); free(s.t); free(s.da); free(s.db); free(s.w); free(s.y);
    }
}

static void loss_values_match_closed_forms(void **unused)
{
    (void)unused;
    float pred[2] = {1, 3}, target[2] = {2, 1};
    assert_float_equal(nn_mse_loss(NULL, pred, target, NULL, 2), 2.5, 1e-12);
    assert_float_equal(nn_mae_loss(NULL, pred, target, NULL, 2), 1.5, 1e-12);
    float mu = 0, sigma = 1, y = 0;
    assert_float_equal(nn_gaussian_nll_loss(NULL, NULL, &mu, &sigma, &y, NULL, 1), 0.5 * log(2 * M_PI), 1e-12);
    float logits[3] = {0, 0, 0};
    int32_t target3 = 1;
    assert_float_equal(nn_cross_entropy_loss(NULL, logits, &target3, NULL, 1, 3), log(3.0), 1e-9);
    float zero = 0, half = 0.5f;
    assert_float_equal(nn_bce_with_logits_loss(NULL, &zero, &half, NULL, 1, 0), log(2.0), 1e-9);
    /* Pinball at q = 0.8: under-forecast by 2 costs 1.6, over-forecast by 2 costs 0.4. */
    float under = 1, over = 5, three = 3;
    assert_float_equal(nn_quantile_loss(NULL, &under, &three, 0.8f, NULL, 1), 1.6, 1e-6);
    assert_float_equal(nn_quantile_loss(NULL, &over, &three, 0.8f, NULL, 1), 0.4, 1e-6);
    /* CRPS: one sample is the absolute error; two samples subtract a quarter of their gap;
     * many N(0,1) draws approach the closed form at y = 0, 2φ(0) − 1/√π = 0.233695. */
    double scratch[20000], single = 2.0, two[2] = {1.0, 3.0};
    assert_float_equal(nn_crps_samples(&single, 1, 0.5, scratch), 1.5, 1e-12);
    assert_float_equal(nn_crps_samples(two, 2, 0.0, scratch), 2.0 - 0.5, 1e-12);
    static double normal[20000];
    bench_rng rng;
    bench_rng_seed(&rng, 12);
    for (size_t i = 0; i < 20000; i++)
        normal[i] = bench_rng_normal(&rng);
    assert_float_equal(nn_crps_samples(normal, 20000, 0.0, scratch), 0.233695, 0.01);
    float big = 100;
    float one = 1;
    assert_float_equal(nn_bce_with_logits_loss(NULL, &big, &one, NULL, 1, 0), 0.0, 1e-12); /* no overflow */
}

TEST_MAIN("nn_gradcheck", NULL, NULL,
          cmocka_unit_test(linear_gradients),
          cmocka_unit_test(activation_gradients),
          cmocka_unit_test(dropout_gradients_and_rate),
          cmocka_unit_test(layernorm_gradients),
          cmocka_unit_test(batchnorm_gradients),
          cmocka_unit_test(batchnorm_running_statistics_follow_pytorch),
          cmocka_unit_test(conv_gradients),
          cmocka_unit_test(conv1d_causal_sees_only_the_past),
          cmocka_unit_test(pool_gradients),
          cmocka_unit_test(embedding_and_patch_gradients),
          cmocka_unit_test(loss_gradients),
          cmocka_unit_test(loss_values_match_closed_forms))
