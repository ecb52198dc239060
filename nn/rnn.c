/* LSTM and GRU (contracts in nn/rnn.h).  The input projections of all steps are
 * one GEMM; each step adds its recurrent GEMM into the strided rows of that
 * step (leading dimension steps·gates), so no per-step copies are made. */
#include "nn/rnn.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nn/gemm.h"
#include "nn/vec4.h"

static float sigmoid(float x)
{
    if (x >= 0.0f)
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

/* tanh through one expf: glibc's tanhf (via expm1f) was half of an LSTM's
 * time.  Absolute error about 1e-7 (relative error grows only for |x| < 1e-3,
 * where the value itself is below 1e-3). */
static inline float tanh_fast(float x)
{
    if (fabsf(x) > 9.0f)
        return copysignf(1.0f, x);
    float e = expf(2.0f * x);
    return (e - 1.0f) / (e + 1.0f);
}

/* Four lanes at a time (nn/vec4.h): the gate loops are most of an LSTM's time
 * and the compiler does not vectorise them at -O2 by itself, nor calls to expf. */

/* Cephes' expf in four lanes: x = n·ln2 + r (ln2 in two parts), a degree-6
 * polynomial in r, 2^n from exponent bits; about 1 ulp on [−87, 88]. */
static inline v4sf v_exp(v4sf x)
{
    v4si low = x < v_splat(-87.0f), high = x > v_splat(88.0f);
    x = (v4sf)(((v4si)x & ~low) | ((v4si)v_splat(-87.0f) & low));
    x = (v4sf)(((v4si)x & ~high) | ((v4si)v_splat(88.0f) & high));
    v4sf n = (x * v_splat(1.44269504088896341f) + v_splat(12582912.0f)) - v_splat(12582912.0f);
    v4sf r = x - n * v_splat(0.693359375f) + n * v_splat(2.12194440e-4f);
    v4sf p = v_splat(1.9875691500e-4f);
    p = p * r + v_splat(1.3981999507e-3f);
    p = p * r + v_splat(8.3334519073e-3f);
    p = p * r + v_splat(4.1665795894e-2f);
    p = p * r + v_splat(1.6666665459e-1f);
    p = p * r + v_splat(5.0000001201e-1f);
    p = p * r * r + r + v_splat(1.0f);
    v4si bits = (__builtin_convertvector(n, v4si) + 127) << 23;
    return p * (v4sf)bits;
}

static inline v4sf v_sigmoid(v4sf x)
{
    return v_splat(1.0f) / (v_splat(1.0f) + v_exp(-x));
}

static inline v4sf v_tanh(v4sf x)
{
    return v_splat(2.0f) / (v_splat(1.0f) + v_exp(v_splat(-2.0f) * x)) - v_splat(1.0f);
}

/* pre (n·steps, G) = in · weight_ihᵀ + bias_ih + bias_hh (either bias may be NULL). */
static void input_projection(float *pre, const float *in, const float *weight_ih, const float *bias_ih,
                             const float *bias_hh, size_t rows, size_t input_size, size_t gate_width)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < gate_width; j++)
            pre[r * gate_width + j] = (bias_ih ? bias_ih[j] : 0.0f) + (bias_hh ? bias_hh[j] : 0.0f);
    nn_gemm(0, 1, rows, gate_width, input_size, 1.0f, in, input_size, weight_ih, input_size, 1.0f, pre, gate_width);
}

static void add_column_sums(float *bias_grad, const float *rows, size_t count, size_t width)
{
    if (bias_grad == NULL)
        return;
    for (size_t r = 0; r < count; r++)
        for (size_t j = 0; j < width; j++)
            bias_grad[j] += rows[r * width + j];
}

/* The end of both cells' backward passes, from the pre-activation gradients of
 * every step (n, steps, G): dx_gates on the input side, dh_gates on the
 * recurrent side (one array for the LSTM; the GRU's reset gate makes them
 * differ).  Adds dh_next into dh0 and the weight, bias and input gradients. */
static void add_step_gradients(float *din, float *dweight_ih, float *dweight_hh, float *dbias_ih, float *dbias_hh,
                               float *dh0, const float *dh_next, const float *dx_gates, const float *dh_gates,
                               const float *in, const float *h0, const float *weight_ih, const float *out,
                               const nn_rnn_dims *dims, size_t G)
{
    const size_t n = dims->batch, steps = dims->steps, H = dims->hidden, I = dims->input_size;
    if (dh0 != NULL)
        for (size_t i = 0; i < n * H; i++)
            dh0[i] += dh_next[i];
    if (dweight_hh != NULL)
        for (size_t b = 0; b < n; b++) {
            /* Σ_s dgates_sᵀ · h_{s-1}: steps 1.. against outputs 0.., contiguous per sample. */
            if (steps > 1)
                nn_gemm(1, 0, G, H, steps - 1, 1.0f, dh_gates + (b * steps + 1) * G, G, out + b * steps * H, H, 1.0f,
                        dweight_hh, H);
            if (h0 != NULL)
                nn_gemm(1, 0, G, H, 1, 1.0f, dh_gates + b * steps * G, G, h0 + b * H, H, 1.0f, dweight_hh, H);
        }
    if (dweight_ih != NULL)
        nn_gemm(1, 0, G, I, n * steps, 1.0f, dx_gates, G, in, I, 1.0f, dweight_ih, I);
    if (din != NULL)
        nn_gemm(0, 0, n * steps, I, G, 1.0f, dx_gates, G, weight_ih, I, 1.0f, din, I);
    add_column_sums(dbias_ih, dx_gates, n * steps, G);
    add_column_sums(dbias_hh, dh_gates, n * steps, G);
}

/* ---- LSTM ------------------------------------------------------------------- */

void nn_lstm_forward(float *out, float *gates, float *cells, const float *in, const float *h0, const float *c0,
                     const float *weight_ih, const float *weight_hh, const float *bias_ih, const float *bias_hh,
                     const nn_rnn_dims *dims)
{
    const size_t n = dims->batch, steps = dims->steps, H = dims->hidden, G = 4 * H;
    input_projection(gates, in, weight_ih, bias_ih, bias_hh, n * steps, dims->input_size, G);
    for (size_t s = 0; s < steps; s++) {
        float *gate_rows = gates + s * G;
        if (s > 0)
            nn_gemm(0, 1, n, G, H, 1.0f, out + (s - 1) * H, steps * H, weight_hh, H, 1.0f, gate_rows, steps * G);
        else if (h0 != NULL)
            nn_gemm(0, 1, n, G, H, 1.0f, h0, H, weight_hh, H, 1.0f, gate_rows, steps * G);
        for (size_t b = 0; b < n; b++) {
            float *g = gates + (b * steps + s) * G;
            float *c = cells + (b * steps + s) * H;
            float *h = out + (b * steps + s) * H;
            const float *c_prev = s > 0 ? cells + (b * steps + s - 1) * H : (c0 != NULL ? c0 + b * H : NULL);
            size_t j = 0;
            for (; j + 4 <= H; j += 4) {
                v4sf i_gate = v_sigmoid(v_load(g + j)), f_gate = v_sigmoid(v_load(g + H + j));
                v4sf g_gate = v_tanh(v_load(g + 2 * H + j)), o_gate = v_sigmoid(v_load(g + 3 * H + j));
                v_store(g + j, i_gate);
                v_store(g + H + j, f_gate);
                v_store(g + 2 * H + j, g_gate);
                v_store(g + 3 * H + j, o_gate);
                v4sf cell = i_gate * g_gate;
                if (c_prev != NULL)
                    cell += f_gate * v_load(c_prev + j);
                v_store(c + j, cell);
                v_store(h + j, o_gate * v_tanh(cell));
            }
            for (; j < H; j++) {
                float i_gate = sigmoid(g[j]), f_gate = sigmoid(g[H + j]);
                float g_gate = tanh_fast(g[2 * H + j]), o_gate = sigmoid(g[3 * H + j]);
                g[j] = i_gate;
                g[H + j] = f_gate;
                g[2 * H + j] = g_gate;
                g[3 * H + j] = o_gate;
                c[j] = (c_prev != NULL ? f_gate * c_prev[j] : 0.0f) + i_gate * g_gate;
                h[j] = o_gate * tanh_fast(c[j]);
            }
        }
    }
}

size_t nn_lstm_workspace(const nn_rnn_dims *dims)
{
    return dims->batch * dims->steps * 4 * dims->hidden + 2 * dims->batch * dims->hidden;
}

void nn_lstm_backward(float *din, float *dweight_ih, float *dweight_hh, float *dbias_ih, float *dbias_hh, float *dh0,
                      float *dc0, float *workspace, const float *dout, const float *in, const float *h0,
                      const float *c0, const float *weight_ih, const float *weight_hh, const float *out,
                      const float *gates, const float *cells, const nn_rnn_dims *dims)
{
    const size_t n = dims->batch, steps = dims->steps, H = dims->hidden, G = 4 * H;
    float *dgates = workspace;                  /* (n, steps, 4H) pre-activation gradients */
    float *dh_next = dgates + n * steps * G;     /* (n, H) gradient reaching h_{s-1} */
    float *dc_next = dh_next + n * H;            /* (n, H) gradient reaching c_{s-1} */
    memset(dh_next, 0, 2 * n * H * sizeof(float));
    for (size_t s = steps; s-- > 0;) {
        for (size_t b = 0; b < n; b++) {
            const float *g = gates + (b * steps + s) * G;
            const float *c = cells + (b * steps + s) * H;
            const float *c_prev = s > 0 ? cells + (b * steps + s - 1) * H : (c0 != NULL ? c0 + b * H : NULL);
            const float *dh_out = dout != NULL ? dout + (b * steps + s) * H : NULL;
            float *dg = dgates + (b * steps + s) * G;
            size_t j = 0;
            const v4sf one = v_splat(1.0f);
            for (; j + 4 <= H; j += 4) {
                v4sf i_gate = v_load(g + j), f_gate = v_load(g + H + j);
                v4sf g_gate = v_load(g + 2 * H + j), o_gate = v_load(g + 3 * H + j);
                v4sf dh = v_load(dh_next + b * H + j);
                if (dh_out != NULL)
                    dh += v_load(dh_out + j);
                v4sf tc = v_tanh(v_load(c + j));
                v4sf dc = v_load(dc_next + b * H + j) + dh * o_gate * (one - tc * tc);
                v4sf cp = c_prev != NULL ? v_load(c_prev + j) : v_splat(0.0f);
                v_store(dg + j, dc * g_gate * i_gate * (one - i_gate));
                v_store(dg + H + j, dc * cp * f_gate * (one - f_gate));
                v_store(dg + 2 * H + j, dc * i_gate * (one - g_gate * g_gate));
                v_store(dg + 3 * H + j, dh * tc * o_gate * (one - o_gate));
                v_store(dc_next + b * H + j, dc * f_gate);
            }
            for (; j < H; j++) {
                float i_gate = g[j], f_gate = g[H + j], g_gate = g[2 * H + j], o_gate = g[3 * H + j];
                float dh = dh_next[b * H + j] + (dh_out != NULL ? dh_out[j] : 0.0f);
                float tc = tanh_fast(c[j]);
                float dc = dc_next[b * H + j] + dh * o_gate * (1.0f - tc * tc);
                float cp = c_prev != NULL ? c_prev[j] : 0.0f;
                dg[j] = dc * g_gate * i_gate * (1.0f - i_gate);
                dg[H + j] = dc * cp * f_gate * (1.0f - f_gate);
                dg[2 * H + j] = dc * i_gate * (1.0f - g_gate * g_gate);
                dg[3 * H + j] = dh * tc * o_gate * (1.0f - o_gate);
                dc_next[b * H + j] = dc * f_gate;
            }
        }
        /* dh_{s-1} = dgates_s · W_hh */
        nn_gemm(0, 0, n, H, G, 1.0f, dgates + s * G, steps * G, weight_hh, H, 0.0f, dh_next, H);
    }
    if (dc0 != NULL)
        for (size_t i = 0; i < n * H; i++)
            dc0[i] += dc_next[i];
    add_step_gradients(din, dweight_ih, dweight_hh, dbias_ih, dbias_hh, dh0, dh_next, dgates, dgates, in, h0, weight_ih,
                       out, dims, G);
}

/* ---- GRU ------------------------------------------------------------------------ */

size_t nn_gru_workspace(const nn_rnn_dims *dims)
{
    return 2 * dims->batch * dims->steps * 3 * dims->hidden + 4 * dims->batch * dims->hidden;
}

void nn_gru_forward(float *out, float *gates, float *hidden_n, float *workspace, const float *in, const float *h0,
                    const float *weight_ih, const float *weight_hh, const float *bias_ih, const float *bias_hh,
                    const nn_rnn_dims *dims)
{
    const size_t n = dims->batch, steps = dims->steps, H = dims->hidden, G = 3 * H;
    /* Only the input bias goes into the projection: b_hn sits inside r ⊙ (...). */
    input_projection(gates, in, weight_ih, bias_ih, NULL, n * steps, dims->input_size, G);
    float *hg = workspace; /* (n, 3H) recurrent pre-activations of this step */
    for (size_t s = 0; s < steps; s++) {
        const float *h_prev = s > 0 ? out + (s - 1) * H : h0;
        size_t h_stride = s > 0 ? steps * H : H;
        for (size_t b = 0; b < n; b++)
            for (size_t j = 0; j < G; j++)
                hg[b * G + j] = bias_hh != NULL ? bias_hh[j] : 0.0f;
        if (h_prev != NULL)
            nn_gemm(0, 1, n, G, H, 1.0f, h_prev, h_stride, weight_hh, H, 1.0f, hg, G);
        for (size_t b = 0; b < n; b++) {
            float *g = gates + (b * steps + s) * G;
            float *hn = hidden_n + (b * steps + s) * H;
            float *h = out + (b * steps + s) * H;
            const float *hp = h_prev != NULL ? h_prev + b * h_stride : NULL;
            for (size_t j = 0; j < H; j++) {
                float r = sigmoid(g[j] + hg[b * G + j]);
                float z = sigmoid(g[H + j] + hg[b * G + H + j]);
                hn[j] = hg[b * G + 2 * H + j];
                float cand = tanh_fast(g[2 * H + j] + r * hn[j]);
                g[j] = r;
                g[H + j] = z;
                g[2 * H + j] = cand;
                h[j] = (1.0f - z) * cand + z * (hp != NULL ? hp[j] : 0.0f);
            }
        }
    }
}

void nn_gru_backward(float *din, float *dweight_ih, float *dweight_hh, float *dbias_ih, float *dbias_hh, float *dh0,
                     float *workspace, const float *dout, const float *in, const float *h0, const float *weight_ih,
                     const float *weight_hh, const float *out, const float *gates, const float *hidden_n,
                     const nn_rnn_dims *dims)
{
    const size_t n = dims->batch, steps = dims->steps, H = dims->hidden, G = 3 * H;
    float *dx_gates = workspace;                 /* (n, steps, 3H) input-side pre-activation grads */
    float *dh_gates = dx_gates + n * steps * G;   /* (n, steps, 3H) recurrent-side grads */
    float *dh_next = dh_gates + n * steps * G;    /* (n, H) */
    float *dh_direct = dh_next + n * H;           /* (n, H) the z ⊙ h path */
    memset(dh_next, 0, n * H * sizeof(float));
    for (size_t s = steps; s-- > 0;) {
        for (size_t b = 0; b < n; b++) {
            const float *g = gates + (b * steps + s) * G;
            const float *hn = hidden_n + (b * steps + s) * H;
            const float *hp = s > 0 ? out + (b * steps + s - 1) * H : (h0 != NULL ? h0 + b * H : NULL);
            const float *dh_out = dout != NULL ? dout + (b * steps + s) * H : NULL;
            float *dxg = dx_gates + (b * steps + s) * G, *dhg = dh_gates + (b * steps + s) * G;
            for (size_t j = 0; j < H; j++) {
                float r = g[j], z = g[H + j], cand = g[2 * H + j];
                float dh = dh_next[b * H + j] + (dh_out != NULL ? dh_out[j] : 0.0f);
                float h_prev = hp != NULL ? hp[j] : 0.0f;
                float dcand_pre = dh * (1.0f - z) * (1.0f - cand * cand);
                float dz_pre = dh * (h_prev - cand) * z * (1.0f - z);
                float dr_pre = dcand_pre * hn[j] * r * (1.0f - r);
                dxg[j] = dr_pre;
                dxg[H + j] = dz_pre;
                dxg[2 * H + j] = dcand_pre;
                dhg[j] = dr_pre;
                dhg[H + j] = dz_pre;
                dhg[2 * H + j] = dcand_pre * r;
                dh_direct[b * H + j] = dh * z;
            }
        }
        memcpy(dh_next, dh_direct, n * H * sizeof(float));
        nn_gemm(0, 0, n, H, G, 1.0f, dh_gates + s * G, steps * G, weight_hh, H, 1.0f, dh_next, H);
    }
    add_step_gradients(din, dweight_ih, dweight_hh, dbias_ih, dbias_hh, dh0, dh_next, dx_gates, dh_gates, in, h0,
                       weight_ih, out, dims, G);
}
