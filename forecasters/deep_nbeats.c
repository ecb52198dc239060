/* nbeats (Oreshkin et al., "N-BEATS: Neural basis expansion analysis for
 * interpretable time series forecasting", ICLR 2020).  Blocks of `layers` ReLU
 * FC layers feeding two linear heads θ_b, θ_f; the block's backcast θ_b·B_b is
 * subtracted from its input (doubly residual stacking) and its forecast θ_f·B_f
 * added to the model's forecast.
 *   generic:        B_b, B_f are identities (θ_b ∈ R^L, θ_f ∈ R^H): learnt bases.
 *   interpretable:  a trend stack (polynomial basis t^i, i < degree+1, t = step/len)
 *                   then a seasonality stack (Fourier basis 1, cos 2πkt, sin 2πkt,
 *                   k = 1..⌊H/2⌋−1), each of `blocks` blocks.
 * Deviations, for CPU budgets: defaults are smaller than the paper's M4 set-up
 * (generic 30 × 512-wide blocks; interpretable 256/2048 widths with weights
 * shared inside a stack; ensembles of 180 models) — here blocks are not shared
 * and no ensemble is formed.  Windows are normalised per instance (RevIN-style). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecasters/deep_train.h"
#include "nn/gemm.h"
#include "nn/layers.h"

#define NBEATS_MAX_BLOCKS 64
#define NBEATS_MAX_LAYERS 8

typedef struct nbeats_block {
    size_t fc_w[NBEATS_MAX_LAYERS], fc_b[NBEATS_MAX_LAYERS], theta_b, theta_f; /* tensor indices */
    size_t nb, nf;            /* θ sizes */
    float *basis_b, *basis_f; /* (nb, L), (nf, H) rows of the basis; shared per block kind */
    float *input;             /* (rows, L) residual entering the block */
    float *pre[NBEATS_MAX_LAYERS], *act[NBEATS_MAX_LAYERS]; /* (rows, width) */
    float *tb, *tf;           /* (rows, nb), (rows, nf) */
} nbeats_block;

typedef struct nbeats_net {
    size_t L, H, width, layers, block_count;
    int interpretable;
    nbeats_block block[NBEATS_MAX_BLOCKS];
    float *bases;             /* identity/trend/seasonality bases, one allocation */
    float *norm, *mean, *std, *residual_out, *backcast;
    float *dres, *dact, *dact2, *dtb, *dtf, *dforecast;
} nbeats_net;

static size_t fourier_terms(size_t H)
{
    size_t harmonics = H / 2 > 1 ? H / 2 - 1 : 1;
    return 1 + 2 * harmonics;
}

/* Basis rows for a window of `length` steps: identity, polynomial or Fourier. */
static void fill_basis(float *basis, int kind, size_t terms, size_t length)
{
    for (size_t i = 0; i < terms; i++)
        for (size_t t = 0; t < length; t++) {
            double x = (double)t / (double)length;
            double v;
            if (kind == 0)
                v = i == t;
            else if (kind == 1)
                v = pow(x, (double)i);
            else if (i == 0)
                v = 1.0;
            else {
                size_t k = (i + 1) / 2;
                v = i % 2 ? cos(2 * M_PI * (double)k * x) : sin(2 * M_PI * (double)k * x);
            }
            basis[i * length + t] = (float)v;
        }
}

static int nbeats_create(void *net_, bench_model *model, const bench_params *params, bench_error *error)
{
    nbeats_net *net = net_;
    int status = BENCH_OK;
    const char *kind = "generic";
    size_t blocks = (size_t)deep_get_int(params, "blocks", &status, error);
    net->width = (size_t)deep_get_int(params, "width", &status, error);
    net->layers = (size_t)deep_get_int(params, "layers", &status, error);
    size_t degree = (size_t)deep_get_int(params, "degree", &status, error);
    if (status == BENCH_OK)
        status = bench_params_get_string(params, "stacks", &kind, error);
    if (status != BENCH_OK)
        return status;
    net->interpretable = strcmp(kind, "interpretable") == 0;
    net->block_count = net->interpretable ? 2 * blocks : blocks;
    if (net->block_count > NBEATS_MAX_BLOCKS || net->layers > NBEATS_MAX_LAYERS)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "at most %d blocks of %d layers", NBEATS_MAX_BLOCKS,
                          NBEATS_MAX_LAYERS);
    size_t L = model->config.input_length, H = model->config.horizon;
    net->L = L;
    net->H = H;
    size_t trend = degree + 1, seasonal = fourier_terms(H);
    size_t basis_floats = net->interpretable ? trend * (L + H) + fourier_terms(L) * L + seasonal * H : L * L + H * H;
    net->bases = calloc(basis_floats, sizeof(float));
    if (net->bases == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    float *identity_b = net->bases, *identity_f = identity_b + L * L;
    float *trend_b = net->bases, *trend_f = trend_b + trend * L;
    float *season_b = trend_f + trend * H, *season_f = season_b + fourier_terms(L) * L;
    if (net->interpretable) {
        fill_basis(trend_b, 1, trend, L);
        fill_basis(trend_f, 1, trend, H);
        /* The backcast uses as many harmonics as the forecast has, truncated to fit L. */
        fill_basis(season_b, 2, fourier_terms(L), L);
        fill_basis(season_f, 2, seasonal, H);
    } else {
        fill_basis(identity_b, 0, L, L);
        fill_basis(identity_f, 0, H, H);
    }
    for (size_t b = 0; b < net->block_count; b++) {
        nbeats_block *k = &net->block[b];
        int is_trend = net->interpretable && b < blocks, is_season = net->interpretable && b >= blocks;
        k->nb = is_trend ? trend : is_season ? (seasonal < fourier_terms(L) ? seasonal : fourier_terms(L)) : L;
        k->nf = is_trend ? trend : is_season ? seasonal : H;
        k->basis_b = is_trend ? trend_b : is_season ? season_b : identity_b;
        k->basis_f = is_trend ? trend_f : is_season ? season_f : identity_f;
        char name[128];
        for (size_t l = 0; l < net->layers; l++) {
            size_t in = l == 0 ? L : net->width;
            snprintf(name, sizeof name, "block%zu.fc%zu.weight", b, l + 1);
            k->fc_w[l] = deep_param(model, name, net->width, in, &status, error);
            snprintf(name, sizeof name, "block%zu.fc%zu.bias", b, l + 1);
            k->fc_b[l] = deep_param(model, name, net->width, 0, &status, error);
        }
        snprintf(name, sizeof name, "block%zu.theta_b.weight", b);
        k->theta_b = deep_param(model, name, k->nb, net->width, &status, error);
        snprintf(name, sizeof name, "block%zu.theta_f.weight", b);
        k->theta_f = deep_param(model, name, k->nf, net->width, &status, error);
    }
    return status;
}

static int nbeats_reserve(void *net_, bench_model *model, size_t rows, bench_error *error)
{
    nbeats_net *net = net_;
    size_t L = net->L, H = net->H, W = net->width, B = net->block_count, max_nb = 1, max_nf = 1;
    size_t floats = 0;
    for (size_t b = 0; b < B; b++) {
        const nbeats_block *k = &net->block[b];
        floats += rows * L + 2 * net->layers * rows * W + rows * (k->nb + k->nf);
        max_nb = k->nb > max_nb ? k->nb : max_nb;
        max_nf = k->nf > max_nf ? k->nf : max_nf;
    }
    size_t widest = W > L ? W : L;
    floats += 4 * rows * L + 2 * rows + 2 * rows * widest + rows * (max_nb + max_nf) + rows * H;
    float *p = deep_activations(model, floats);
    if (p == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu windows", rows);
    for (size_t b = 0; b < B; b++) {
        nbeats_block *k = &net->block[b];
        k->input = p, p += rows * L;
        for (size_t l = 0; l < net->layers; l++) {
            k->pre[l] = p, p += rows * W;
            k->act[l] = p, p += rows * W;
        }
        k->tb = p, p += rows * k->nb;
        k->tf = p, p += rows * k->nf;
    }
    net->norm = p, p += rows * L;
    net->mean = p, p += rows;
    net->std = p, p += rows;
    net->residual_out = p, p += rows * L;
    net->backcast = p, p += rows * L;
    net->dres = p, p += rows * L;
    net->dact = p, p += rows * widest;
    net->dact2 = p, p += rows * widest;
    net->dtb = p, p += rows * max_nb;
    net->dtf = p, p += rows * max_nf;
    net->dforecast = p, p += rows * H;
    return BENCH_OK;
}

static void nbeats_init(void *net_, bench_model *model, bench_rng *rng)
{
    nbeats_net *net = net_;
    for (size_t b = 0; b < net->block_count; b++) {
        nbeats_block *k = &net->block[b];
        for (size_t l = 0; l < net->layers; l++) {
            size_t in = l == 0 ? net->L : net->width;
            float bound = 1.0f / sqrtf((float)in);
            nn_init_uniform(nn_params_value(&model->params, k->fc_w[l]), net->width * in, bound, rng);
            nn_init_uniform(nn_params_value(&model->params, k->fc_b[l]), net->width, bound, rng);
        }
        float bound = 1.0f / sqrtf((float)net->width);
        nn_init_uniform(nn_params_value(&model->params, k->theta_b), k->nb * net->width, bound, rng);
        nn_init_uniform(nn_params_value(&model->params, k->theta_f), k->nf * net->width, bound, rng);
    }
}

#define V(index) nn_params_value(&model->params, (index))
#define G(index) nn_params_grad(&model->params, (index))

static void nbeats_forward(void *net_, bench_model *model, const float *inputs, size_t rows, int training,
                           bench_rng *rng, float *outputs)
{
    (void)training, (void)rng;
    nbeats_net *net = net_;
    size_t L = net->L, H = net->H, W = net->width;
    memcpy(net->norm, inputs, rows * L * sizeof(float));
    deep_revin_normalize(net->norm, net->mean, net->std, rows, L);
    memset(outputs, 0, rows * H * sizeof(float));
    const float *residual = net->norm;
    for (size_t b = 0; b < net->block_count; b++) {
        nbeats_block *k = &net->block[b];
        memcpy(k->input, residual, rows * L * sizeof(float));
        const float *h = k->input;
        size_t in = L;
        for (size_t l = 0; l < net->layers; l++) {
            nn_linear_forward(k->pre[l], h, V(k->fc_w[l]), V(k->fc_b[l]), rows, in, W);
            nn_relu_forward(k->act[l], k->pre[l], rows * W);
            h = k->act[l];
            in = W;
        }
        nn_linear_forward(k->tb, h, V(k->theta_b), NULL, rows, in, k->nb);
        nn_linear_forward(k->tf, h, V(k->theta_f), NULL, rows, in, k->nf);
        /* forecast += θ_f · B_f;  next residual = input − θ_b · B_b */
        nn_gemm(0, 0, rows, H, k->nf, 1.0f, k->tf, k->nf, k->basis_f, H, 1.0f, outputs, H);
        memcpy(net->residual_out, k->input, rows * L * sizeof(float));
        nn_gemm(0, 0, rows, L, k->nb, -1.0f, k->tb, k->nb, k->basis_b, L, 1.0f, net->residual_out, L);
        residual = net->residual_out;
    }
    deep_revin_restore(outputs, net->mean, net->std, rows, H);
}

static void nbeats_backward(void *net_, bench_model *model, const float *doutputs, size_t rows)
{
    nbeats_net *net = net_;
    size_t L = net->L, H = net->H, W = net->width;
    deep_revin_scale_grad(net->dforecast, doutputs, net->std, rows, H);
    /* dres: gradient w.r.t. the residual leaving the current block (0 after the last). */
    memset(net->dres, 0, rows * L * sizeof(float));
    for (size_t b = net->block_count; b-- > 0;) {
        nbeats_block *k = &net->block[b];
        /* residual_out = input − θ_b·B_b: dθ_b = −dres · B_bᵀ, and dres passes to the input. */
        nn_gemm(0, 1, rows, k->nb, L, -1.0f, net->dres, L, k->basis_b, L, 0.0f, net->dtb, k->nb);
        nn_gemm(0, 1, rows, k->nf, H, 1.0f, net->dforecast, H, k->basis_f, H, 0.0f, net->dtf, k->nf);
        const float *h = net->layers > 0 ? k->act[net->layers - 1] : k->input;
        size_t in = net->layers > 0 ? W : L;
        float *dh = net->dact;
        memset(dh, 0, rows * in * sizeof(float));
        nn_linear_backward(dh, G(k->theta_b), NULL, net->dtb, h, V(k->theta_b), rows, in, k->nb);
        nn_linear_backward(dh, G(k->theta_f), NULL, net->dtf, h, V(k->theta_f), rows, in, k->nf);
        for (size_t l = net->layers; l-- > 0;) {
            float *dpre = net->dact2;
            memset(dpre, 0, rows * W * sizeof(float));
            nn_relu_backward(dpre, dh, k->pre[l], rows * W);
            const float *below = l > 0 ? k->act[l - 1] : k->input;
            size_t below_width = l > 0 ? W : L;
            if (l > 0) {
                memset(dh, 0, rows * W * sizeof(float));
                nn_linear_backward(dh, G(k->fc_w[l]), G(k->fc_b[l]), dpre, below, V(k->fc_w[l]), rows, below_width, W);
            } else {
                /* The block input's gradient joins the residual path's. */
                nn_linear_backward(net->dres, G(k->fc_w[l]), G(k->fc_b[l]), dpre, below, V(k->fc_w[l]), rows,
                                   below_width, W);
            }
        }
    }
}

static void nbeats_release(void *net_)
{
    nbeats_net *net = net_;
    free(net->bases);
}

static const bench_param_spec nbeats_params[] = {
    DEEP_TRAIN_PARAMS("20", "256", "0.001", "3", "constant"),
    {.name = "stacks", .type = BENCH_PARAM_STRING, .default_value = "generic",
     .doc = "generic (learnt bases) or interpretable (trend then seasonality stack)", .choices = "generic|interpretable"},
    {.name = "blocks", .type = BENCH_PARAM_INT, .default_value = "6",
     .doc = "blocks (generic) or blocks per stack (interpretable)", .minimum = 1, .maximum = 32},
    {.name = "width", .type = BENCH_PARAM_INT, .default_value = "256", .doc = "FC layer width", .minimum = 1,
     .maximum = 65536},
    {.name = "layers", .type = BENCH_PARAM_INT, .default_value = "4", .doc = "FC layers per block", .minimum = 1,
     .maximum = NBEATS_MAX_LAYERS},
    {.name = "degree", .type = BENCH_PARAM_INT, .default_value = "3",
     .doc = "polynomial degree of the trend basis (interpretable)", .minimum = 0, .maximum = 10},
};

DEEP_FORECASTER(nbeats, nbeats_net, nbeats_params, NULL,
                "N-BEATS: doubly residual FC blocks, generic or interpretable (trend + seasonality) bases",
                .create = nbeats_create, .reserve = nbeats_reserve, .init = nbeats_init, .forward = nbeats_forward,
                .backward = nbeats_backward, .release = nbeats_release);
