/* The fast paths of nn/ against plain loops written here: convolution over
 * chunks of samples (with several chunks and a remainder), the block im2col of
 * "same" 3×3 convolutions, the four-wide 2×2 max-pool (ties, NaN, odd sizes) and
 * the laned batch-norm sums (a mean far from zero).  The gradients themselves
 * are checked by finite differences in test_nn_gradcheck; this test pins the
 * optimised code to the definition at sizes finite differences cannot afford. */
#include "tests/test_nn_harness.h"

#include <math.h>

#include "nn/layers.h"
#include "support_cmocka.h"

/* y[b][o][oy][ox] = bias[o] + Σ_{c,ky,kx} w[o][c][ky][kx] · x[b][c][oy·s + ky·d − pad][ox·s + kx·d − pad]. */
static float direct_conv_at(const nn_conv2d_dims *d, const float *x, const float *w, const float *bias, size_t b,
                            size_t o, size_t oy, size_t ox)
{
    size_t dh = d->dilation_h ? d->dilation_h : 1, dw = d->dilation_w ? d->dilation_w : 1;
    double sum = bias ? bias[o] : 0.0;
    for (size_t c = 0; c < d->in_channels; c++)
        for (size_t ky = 0; ky < d->kernel_h; ky++)
            for (size_t kx = 0; kx < d->kernel_w; kx++) {
                long y = (long)(oy * d->stride_h + ky * dh) - (long)d->pad_top;
                long xx = (long)(ox * d->stride_w + kx * dw) - (long)d->pad_left;
                if (y < 0 || y >= (long)d->height || xx < 0 || xx >= (long)d->width)
                    continue;
                sum += (double)w[((o * d->in_channels + c) * d->kernel_h + ky) * d->kernel_w + kx] *
                       x[((b * d->in_channels + c) * d->height + (size_t)y) * d->width + (size_t)xx];
            }
    return (float)sum;
}

static void assert_close(const char *what, const float *got, const float *want, size_t count, double tolerance)
{
    double worst = 0.0;
    size_t worst_at = 0;
    for (size_t i = 0; i < count; i++) {
        double error = fabs((double)got[i] - want[i]) / (1.0 + fabs(want[i]));
        if (!(error <= worst)) /* NaN counts as worst */
            worst = error, worst_at = i;
    }
    if (!(worst <= tolerance))
        fail_msg("%s: worst element %zu: got %.9g want %.9g", what, worst_at, got[worst_at], want[worst_at]);
}

/* Forward against the direct sum; backward against the adjoint identity
 * <dy, conv(x)> − bias term = <dx, x> for the input and Σ dy·x-patch for weights,
 * computed here by the direct formulas. */
static void check_conv_against_direct(const char *name, nn_conv2d_dims d, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    size_t oh = nn_conv2d_out_h(&d), ow = nn_conv2d_out_w(&d);
    size_t xn = d.batch * d.in_channels * d.height * d.width, wn = d.out_channels * d.in_channels * d.kernel_h * d.kernel_w;
    size_t yn = d.batch * d.out_channels * oh * ow;
    float *x = test_alloc(xn), *w = test_alloc(wn), *bias = test_alloc(d.out_channels), *y = test_alloc(yn);
    float *want = test_alloc(yn), *dy = test_alloc(yn), *dx = test_alloc(xn), *dw = test_alloc(wn);
    float *db = test_alloc(d.out_channels), *want_dx = test_alloc(xn), *want_dw = test_alloc(wn);
    float *want_db = test_alloc(d.out_channels);
    size_t workspace = nn_conv2d_workspace(&d);
    float *ws = test_alloc(workspace ? workspace : 1);
    fill_uniform(x, xn, -1, 1, &rng), fill_uniform(w, wn, -1, 1, &rng), fill_uniform(bias, d.out_channels, -1, 1, &rng);
    fill_uniform(dy, yn, -1, 1, &rng);
    nn_conv2d_forward(y, ws, x, w, bias, &d);
    for (size_t b = 0; b < d.batch; b++)
        for (size_t o = 0; o < d.out_channels; o++)
            for (size_t oy = 0; oy < oh; oy++)
                for (size_t ox = 0; ox < ow; ox++)
                    want[((b * d.out_channels + o) * oh + oy) * ow + ox] = direct_conv_at(&d, x, w, bias, b, o, oy, ox);
    assert_close(name, y, want, yn, 1e-5);

    /* Backward by scattering each output's gradient along the direct sum's taps (double). */
    double *gx = calloc(xn, sizeof *gx), *gw = calloc(wn, sizeof *gw), *gb = calloc(d.out_channels, sizeof *gb);
    size_t dh = d.dilation_h ? d.dilation_h : 1, dwid = d.dilation_w ? d.dilation_w : 1;
    for (size_t b = 0; b < d.batch; b++)
        for (size_t o = 0; o < d.out_channels; o++)
            for (size_t oy = 0; oy < oh; oy++)
                for (size_t ox = 0; ox < ow; ox++) {
                    double g = dy[((b * d.out_channels + o) * oh + oy) * ow + ox];
                    gb[o] += g;
                    for (size_t c = 0; c < d.in_channels; c++)
                        for (size_t ky = 0; ky < d.kernel_h; ky++)
                            for (size_t kx = 0; kx < d.kernel_w; kx++) {
                                long yy = (long)(oy * d.stride_h + ky * dh) - (long)d.pad_top;
                                long xx = (long)(ox * d.stride_w + kx * dwid) - (long)d.pad_left;
                                if (yy < 0 || yy >= (long)d.height || xx < 0 || xx >= (long)d.width)
                                    continue;
                                size_t xi = ((b * d.in_channels + c) * d.height + (size_t)yy) * d.width + (size_t)xx;
                                size_t wi = ((o * d.in_channels + c) * d.kernel_h + ky) * d.kernel_w + kx;
                                gx[xi] += g * w[wi];
                                gw[wi] += g * x[xi];
                            }
                }
    for (size_t i = 0; i < xn; i++)
        want_dx[i] = (float)gx[i];
    for (size_t i = 0; i < wn; i++)
        want_dw[i] = (float)gw[i];
    for (size_t i = 0; i < d.out_channels; i++)
        want_db[i] = (float)gb[i];
    nn_conv2d_backward(dx, dw, db, ws, dy, x, w, &d);
    char what[128];
    snprintf(what, sizeof what, "%s: input gradient", name);
    assert_close(what, dx, want_dx, xn, 1e-4);
    snprintf(what, sizeof what, "%s: weight gradient", name);
    assert_close(what, dw, want_dw, wn, 1e-4);
    snprintf(what, sizeof what, "%s: bias gradient", name);
    assert_close(what, db, want_db, d.out_channels, 1e-4);
    free(gx), free(gw), free(gb);
    free(x), free(w), free(bias), free(y), free(want), free(dy), free(dx), free(dw), free(db);
    free(want_dx), free(want_dw), free(want_db), free(ws);
}

static void convolutions_over_chunks_match_the_direct_sum(void **unused)
{
    (void)unused;
    /* 8×8 outputs: 64 samples per chunk, so 70 samples are a full chunk and a remainder. */
    check_conv_against_direct("same 3x3, two chunks", nn_conv2d_make(70, 3, 4, 8, 8, 3, 1, 1), 1);
    /* A width-1 image: every tap but the centre column reads padding. */
    check_conv_against_direct("same 3x3 on one column", nn_conv2d_make(5, 2, 3, 6, 1, 3, 1, 1), 2);
    check_conv_against_direct("same 5x5 pad 2", nn_conv2d_make(3, 2, 2, 7, 6, 5, 1, 2), 3);
    check_conv_against_direct("stride 2, general path", nn_conv2d_make(70, 2, 3, 9, 9, 3, 2, 1), 4);
    check_conv_against_direct("pointwise", nn_conv2d_make(3, 4, 5, 3, 5, 1, 1, 0), 5);
    nn_conv2d_dims dilated_same = nn_conv2d_make(3, 2, 3, 9, 7, 3, 1, 2);
    dilated_same.dilation_h = dilated_same.dilation_w = 2; /* the detector's context layers */
    check_conv_against_direct("same 3x3 dilation 2", dilated_same, 7);
    check_conv_against_direct("stride 3, pad 2", nn_conv2d_make(2, 2, 2, 10, 11, 4, 3, 2), 8);
    nn_conv2d_dims dilated = nn_conv1d_make(4, 2, 3, 11, 3, 1, 0, 2, 1);
    check_conv_against_direct("causal dilated 1-d", dilated, 6);
}

/* The definition: taps in row-major order, a later tap wins if greater or NaN. */
static void reference_maxpool_2x2(float *out, int32_t *argmax, const float *in, size_t planes, size_t h, size_t w)
{
    for (size_t p = 0; p < planes; p++)
        for (size_t oy = 0; oy < h / 2; oy++)
            for (size_t ox = 0; ox < w / 2; ox++) {
                size_t first = p * h * w + 2 * oy * w + 2 * ox;
                size_t taps[4] = {first, first + 1, first + w, first + w + 1};
                size_t best = taps[0];
                for (int t = 1; t < 4; t++)
                    if (in[taps[t]] > in[best] || isnan(in[taps[t]]))
                        best = taps[t];
                size_t o = (p * (h / 2) + oy) * (w / 2) + ox;
                out[o] = in[best];
                argmax[o] = (int32_t)best;
            }
}

static void maxpool_2x2_keeps_first_maximum_and_nan(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 9);
    /* 15×15: seven outputs per row (four-wide plus three), the last row and column dropped. */
    size_t planes = 6, h = 15, w = 15, count = planes * h * w, out_count = planes * 7 * 7;
    float *x = test_alloc(count), *y = test_alloc(out_count), *want = test_alloc(out_count);
    int32_t *at = calloc(out_count, sizeof *at), *want_at = calloc(out_count, sizeof *want_at);
    for (size_t i = 0; i < count; i++)
        x[i] = (float)bench_rng_below(&rng, 4); /* many ties */
    for (size_t i = 0; i < count; i += 37)
        x[i] = NAN;
    nn_maxpool2d_forward(y, at, x, 1, planes, h, w, 2, 2, 0);
    reference_maxpool_2x2(want, want_at, x, planes, h, w);
    for (size_t o = 0; o < out_count; o++) {
        assert_int_equal(at[o], want_at[o]);
        assert_true(isnan(want[o]) ? isnan(y[o]) : y[o] == want[o]);
    }
    free(x), free(y), free(want), free(at), free(want_at);
}

static void batchnorm_statistics_far_from_zero(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 11);
    /* Mean 1000, std about 0.29: a one-pass Σx² in float would lose the variance. */
    size_t n = 16, c = 3, spatial = 49, count = n * c * spatial;
    float *x = test_alloc(count), *y = test_alloc(count), mean[3], rstd[3];
    fill_uniform(x, count, 999.5f, 1000.5f, &rng);
    nn_batchnorm_forward(y, mean, rstd, NULL, NULL, x, NULL, NULL, n, c, spatial, 1e-5f, 0.1f, 1);
    for (size_t ch = 0; ch < c; ch++) {
        double sum = 0.0, squares = 0.0, m = (double)(n * spatial);
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < spatial; s++)
                sum += x[(i * c + ch) * spatial + s];
        double mu = sum / m;
        for (size_t i = 0; i < n; i++)
            for (size_t s = 0; s < spatial; s++) {
                double dev = x[(i * c + ch) * spatial + s] - mu;
                squares += dev * dev;
            }
        assert_float_equal(mean[ch], mu, 1e-4);
        double want_rstd = 1.0 / sqrt(squares / m + 1e-5);
        if (fabs(rstd[ch] - want_rstd) > 1e-4 * want_rstd)
            fail_msg("channel %zu: rstd %.7g, want %.7g", ch, rstd[ch], want_rstd);
    }
    free(x), free(y);
}

TEST_MAIN("nn_fastpaths", NULL, NULL,
          cmocka_unit_test(convolutions_over_chunks_match_the_direct_sum),
          cmocka_unit_test(maxpool_2x2_keeps_first_maximum_and_nan),
          cmocka_unit_test(batchnorm_statistics_far_from_zero))
