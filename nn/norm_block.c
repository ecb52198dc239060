/* Batch-norm → ReLU → pooling on channel-major activations in as few passes
 * over memory as the statistics allow (contracts in nn/layers.h).  Nothing
 * between BN and the pool is stored: the backward recomputes y = x·scale + shift
 * from the BN input, and with it the ReLU mask and each 2×2 window's maximum,
 * which is cheaper than writing and reading them back. */
#include "nn/layers.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nn/vec4.h"

/* Sums go through LANES independent float accumulators per stretch of at most
 * STRETCH values, and stretches are added in double: the inner loops vectorise
 * without reassociating anything (each lane is its own sequential sum), a run
 * of 25,000 values keeps float's rounding of a few hundred, and the result does
 * not depend on the vector width the compiler picked. */
#define LANES 8
#define STRETCH 512

static double lanes_total(const float *lanes)
{
    double total = 0.0;
    for (int k = 0; k < LANES; k++)
        total += lanes[k];
    return total;
}

static double run_sum(const float *x, size_t count)
{
    double total = 0.0;
    for (size_t start = 0; start < count; start += STRETCH) {
        size_t end = count - start < STRETCH ? count : start + STRETCH, i = start;
        float lanes[LANES] = {0};
        for (; i + LANES <= end; i += LANES)
            for (int k = 0; k < LANES; k++)
                lanes[k] += x[i + (size_t)k];
        for (; i < end; i++)
            lanes[0] += x[i];
        total += lanes_total(lanes);
    }
    return total;
}

/* Σ(x − mu)², and Σ(x − mu) in *centred. */
static double run_centred_squares(const float *x, size_t count, float mu, double *centred)
{
    double squares = 0.0, sum = 0.0;
    for (size_t start = 0; start < count; start += STRETCH) {
        size_t end = count - start < STRETCH ? count : start + STRETCH, i = start;
        float lanes[LANES] = {0}, square_lanes[LANES] = {0};
        for (; i + LANES <= end; i += LANES)
            for (int k = 0; k < LANES; k++) {
                float d = x[i + (size_t)k] - mu;
                lanes[k] += d;
                square_lanes[k] += d * d;
            }
        for (; i < end; i++) {
            float d = x[i] - mu;
            lanes[0] += d;
            square_lanes[0] += d * d;
        }
        sum += lanes_total(lanes);
        squares += lanes_total(square_lanes);
    }
    *centred = sum;
    return squares;
}

/* mean, rstd (and the running statistics) of one channel's run x of m values. */
static void channel_statistics(float *mean, float *rstd, float *running_mean, float *running_var, const float *x,
                               size_t m, float eps, float momentum, int training)
{
    if (!training) {
        *mean = running_mean[0];
        *rstd = 1.0f / sqrtf(running_var[0] + eps);
        return;
    }
    double sum = run_sum(x, m);
    float mu = (float)(sum / (double)m);
    double centred = 0.0;
    double squares = run_centred_squares(x, m, mu, &centred);
    /* Σ(x − mu)² about the rounded mean, corrected to the exact mean. */
    double var = squares - centred * centred / (double)m;
    var = var < 0.0 ? 0.0 : var;
    double biased = var / (double)m, unbiased = m > 1 ? var / (double)(m - 1) : biased;
    *mean = mu;
    *rstd = (float)(1.0 / sqrt(biased + eps));
    if (running_mean != NULL) {
        running_mean[0] = (1.0f - momentum) * running_mean[0] + momentum * *mean;
        running_var[0] = (1.0f - momentum) * running_var[0] + momentum * (float)unbiased;
    }
}

/* Comparisons rather than fmaxf: fmaxf's NaN rule keeps GCC from inlining it
 * as one instruction.  A NaN input gives 0 here, as nn_relu_forward does. */
static inline float relu(float v)
{
    return v > 0.0f ? v : 0.0f;
}

static inline float larger(float a, float b)
{
    return a > b ? a : b;
}

/* The pooled forward buffers image rows on the stack this many values at a time (even). */
#define MAX_ROW 1024

void nn_bn_relu_pool_forward(float *out, float *mean, float *rstd, float *running_mean, float *running_var,
                             const float *in, const float *weight, const float *bias, size_t c, size_t n, size_t h,
                             size_t w, nn_pool pool, float eps, float momentum, int training)
{
    size_t hw = h * w, m = n * hw, oh = h / 2, ow = w / 2;
    for (size_t ch = 0; ch < c; ch++) {
        const float *x = in + ch * m;
        channel_statistics(mean + ch, rstd + ch, running_mean != NULL ? running_mean + ch : NULL,
                           running_var != NULL ? running_var + ch : NULL, x, m, eps, momentum, training);
        float scale = rstd[ch] * (weight != NULL ? weight[ch] : 1.0f);
        float shift = (bias != NULL ? bias[ch] : 0.0f) - mean[ch] * scale;
        if (pool == NN_POOL_NONE) {
            float *y = out + ch * m;
            for (size_t i = 0; i < m; i++)
                y[i] = relu(x[i] * scale + shift);
        } else if (pool == NN_POOL_GLOBAL_AVG) {
            for (size_t s = 0; s < n; s++) {
                const float *xs = x + s * hw;
                float lanes[LANES] = {0};
                size_t i = 0;
                for (; i + LANES <= hw; i += LANES)
                    for (int k = 0; k < LANES; k++)
                        lanes[k] += relu(xs[i + (size_t)k] * scale + shift);
                for (; i < hw; i++)
                    lanes[0] += relu(xs[i] * scale + shift);
                out[s * c + ch] = (float)(lanes_total(lanes) / (double)hw);
            }
        } else {
            /* ReLU and max commute: the pooled value is the ReLU of the window's
             * max.  The two rows' larger values first (contiguous), then pairs. */
            float *y = out + ch * n * oh * ow;
            float rows[MAX_ROW];
            for (size_t r = 0; r < n * oh; r++)
                for (size_t first = 0; first < w; first += MAX_ROW) {
                    size_t width = w - first < MAX_ROW ? w - first : MAX_ROW; /* even: w and MAX_ROW are */
                    const float *top = x + r * 2 * w + first, *bottom = top + w;
                    for (size_t i = 0; i < width; i++)
                        rows[i] = larger(top[i] * scale + shift, bottom[i] * scale + shift);
                    float *row = y + r * ow + first / 2;
                    for (size_t ox = 0; ox < width / 2; ox++)
                        row[ox] = relu(larger(rows[2 * ox], rows[2 * ox + 1]));
                }
        }
    }
}

static inline v4sf relu4(v4sf v)
{
    return (v4sf)((v4si)v & (v > (v4sf){0}));
}

static inline v4sf larger4(v4sf a, v4sf b)
{
    return v_select(a > b, a, b);
}

/* dy for four 2×2 windows: top and bottom hold each row's 8 values, g the four
 * pooled gradients; dtop and dbottom receive the 8 + 8 gradients, and the lanes
 * of *totals and *centred the windows' dy and dy·(x − mu). */
static inline void four_windows(float *dtop, float *dbottom, v4sf *totals, v4sf *centred, const float *top,
                                const float *bottom, const float *g, float scale, float shift, float mu)
{
    const v4si evens = {0, 2, 4, 6}, odds = {1, 3, 5, 7};
    v4sf ta = v_load(top), tb = v_load(top + 4), ba = v_load(bottom), bb = v_load(bottom + 4);
    v4sf x0 = __builtin_shuffle(ta, tb, evens), x1 = __builtin_shuffle(ta, tb, odds);
    v4sf x2 = __builtin_shuffle(ba, bb, evens), x3 = __builtin_shuffle(ba, bb, odds);
    v4sf r0 = relu4(x0 * scale + shift), r1 = relu4(x1 * scale + shift);
    v4sf r2 = relu4(x2 * scale + shift), r3 = relu4(x3 * scale + shift);
    v4sf best = larger4(larger4(r0, r1), larger4(r2, r3));
    v4sf gate = (v4sf)((v4si)v_load(g) & (best > (v4sf){0}));
    /* The first element equal to the maximum takes the gradient. */
    v4si k0 = r0 == best, k1 = ~k0 & (r1 == best), k2 = ~k0 & ~k1 & (r2 == best), k3 = ~k0 & ~k1 & ~k2;
    v4sf d0 = (v4sf)((v4si)gate & k0), d1 = (v4sf)((v4si)gate & k1);
    v4sf d2 = (v4sf)((v4si)gate & k2), d3 = (v4sf)((v4si)gate & k3);
    v_store(dtop, __builtin_shuffle(d0, d1, (v4si){0, 4, 1, 5}));
    v_store(dtop + 4, __builtin_shuffle(d0, d1, (v4si){2, 6, 3, 7}));
    v_store(dbottom, __builtin_shuffle(d2, d3, (v4si){0, 4, 1, 5}));
    v_store(dbottom + 4, __builtin_shuffle(d2, d3, (v4si){2, 6, 3, 7}));
    *totals += gate;
    *centred += d0 * (x0 - mu) + d1 * (x1 - mu) + d2 * (x2 - mu) + d3 * (x3 - mu);
}

/* One row of 2×2 windows (image rows top = x, bottom = x + w; w even): dy into
 * dx's two rows.  The last w/2 mod 4 windows go through a zero-padded copy with
 * zero gradients, which adds nothing to the sums. */
static void pool_row_dy(float *dx, v4sf *totals, v4sf *centred, const float *x, const float *g, size_t w,
                        float scale, float shift, float mu)
{
    size_t ow = w / 2, ox = 0;
    for (; ox + 4 <= ow; ox += 4)
        four_windows(dx + 2 * ox, dx + w + 2 * ox, totals, centred, x + 2 * ox, x + w + 2 * ox, g + ox, scale, shift,
                     mu);
    if (ox < ow) {
        size_t rest = ow - ox;
        float top[8] = {0}, bottom[8] = {0}, gradient[4] = {0}, dtop[8], dbottom[8];
        memcpy(top, x + 2 * ox, 2 * rest * sizeof(float));
        memcpy(bottom, x + w + 2 * ox, 2 * rest * sizeof(float));
        memcpy(gradient, g + ox, rest * sizeof(float));
        four_windows(dtop, dbottom, totals, centred, top, bottom, gradient, scale, shift, mu);
        memcpy(dx + 2 * ox, dtop, 2 * rest * sizeof(float));
        memcpy(dx + w + 2 * ox, dbottom, 2 * rest * sizeof(float));
    }
}

/* Pass 1 of the backward for one channel: writes dy, the gradient at the BN
 * output after the ReLU and the pool, into dx (c, n, h, w layout, this
 * channel's run), and returns Σdy and Σdy·(x − mu).  The 2×2 pool passes its
 * gradient to the first element of the window holding the maximum of the
 * ReLU'd values (PyTorch's tie rule) when that maximum is positive. */
static void channel_dy(float *dx, double *sum_dy, double *sum_dy_centred, const float *x, const float *dout,
                       size_t c, size_t ch, size_t n, size_t h, size_t w, nn_pool pool, float scale, float shift,
                       float mu)
{
    size_t hw = h * w, oh = h / 2, ow = w / 2;
    double total = 0.0, centred = 0.0;
    for (size_t s = 0; s < n; s++) {
        const float *xs = x + s * hw;
        float *dys = dx + s * hw;
        float lanes[LANES] = {0}, centred_lanes[LANES] = {0};
        if (pool == NN_POOL_MAX2) {
            const float *g = dout + (ch * n + s) * oh * ow;
            v4sf totals = {0}, centred_totals = {0};
            for (size_t oy = 0; oy < oh; oy++)
                pool_row_dy(dys + 2 * oy * w, &totals, &centred_totals, xs + 2 * oy * w, g + oy * ow, w, scale,
                            shift, mu);
            for (int k = 0; k < 4; k++) {
                lanes[k] += totals[k];
                centred_lanes[k] += centred_totals[k];
            }
        } else {
            const float *g = pool == NN_POOL_NONE ? dout + (ch * n + s) * hw : NULL;
            float each = pool == NN_POOL_GLOBAL_AVG ? dout[s * c + ch] / (float)hw : 0.0f;
            size_t i = 0;
            for (; i + LANES <= hw; i += LANES)
                for (int k = 0; k < LANES; k++) {
                    size_t e = i + (size_t)k;
                    float dy = xs[e] * scale + shift > 0.0f ? (g != NULL ? g[e] : each) : 0.0f;
                    dys[e] = dy;
                    lanes[k] += dy;
                    centred_lanes[k] += dy * (xs[e] - mu);
                }
            for (; i < hw; i++) {
                float dy = xs[i] * scale + shift > 0.0f ? (g != NULL ? g[i] : each) : 0.0f;
                dys[i] = dy;
                lanes[0] += dy;
                centred_lanes[0] += dy * (xs[i] - mu);
            }
        }
        total += lanes_total(lanes);
        centred += lanes_total(centred_lanes);
    }
    *sum_dy = total;
    *sum_dy_centred = centred;
}

void nn_bn_relu_pool_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                              const float *weight, const float *bias, const float *mean, const float *rstd, size_t c,
                              size_t n, size_t h, size_t w, nn_pool pool, int training)
{
    size_t m = n * h * w;
    for (size_t ch = 0; ch < c; ch++) {
        const float *x = in + ch * m;
        float *dx = din + ch * m;
        float scale = rstd[ch] * (weight != NULL ? weight[ch] : 1.0f);
        float shift = (bias != NULL ? bias[ch] : 0.0f) - mean[ch] * scale;
        double sum_dy = 0.0, sum_dy_centred = 0.0;
        channel_dy(dx, &sum_dy, &sum_dy_centred, x, dout, c, ch, n, h, w, pool, scale, shift, mean[ch]);
        double sum_dy_xhat = sum_dy_centred * rstd[ch];
        if (dbias != NULL)
            dbias[ch] += (float)sum_dy;
        if (dweight != NULL)
            dweight[ch] += (float)sum_dy_xhat;
        /* din = scale·(dy − Σdy/m − x̂·Σdy·x̂/m) = scale·dy + slope·x + offset, over dy in place. */
        float slope = training ? (float)(-(double)scale * rstd[ch] * sum_dy_xhat / (double)m) : 0.0f;
        float offset = training ? (float)(-(double)scale * sum_dy / (double)m) - slope * mean[ch] : 0.0f;
        for (size_t i = 0; i < m; i++)
            dx[i] = scale * dx[i] + slope * x[i] + offset;
    }
}
