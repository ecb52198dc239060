/* deepar (Salinas et al., "DeepAR: Probabilistic forecasting with
 * autoregressive recurrent networks", IJF 2020): a stacked LSTM reads the
 * previous value and emits a Gaussian (μ, σ = softplus(·) + 1e-4) for the next.
 *   training: teacher forcing over the window and its targets (L + H − 1 steps,
 *     inputs z_{t−1}, likelihood of z_t at every step, as DeepAR trains over the
 *     conditioning and prediction ranges);
 *   prediction: condition on the window, then ancestral sampling — each sample
 *     path feeds its own draws back — `samples` paths; the point forecast is the
 *     per-step median (bench's predict), the paths are predict_samples.
 * Values are scaled per window by its mean and std (DeepAR scales by the mean
 * absolute value ν; z-scored data can be negative, so both are removed here).
 * No covariates or embeddings (bench's protocols give none to deep models yet). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecasters/deep_train.h"
#include "nn/layers.h"
#include "nn/loss.h"
#include "nn/rnn.h"

#define DEEPAR_MAX_LAYERS 4

typedef struct deepar_layer {
    size_t wih, whh, bih, bhh;           /* tensor indices */
    float *out, *gates, *cells;          /* training caches (R, T, ·) */
    float *step_out, *step_gates, *step_cells, *h, *c; /* sampling: (R·S, ·) */
} deepar_layer;

typedef struct deepar_net {
    size_t L, H, hidden, layer_count, samples, T;
    size_t head_w, head_b;
    deepar_layer layer[DEEPAR_MAX_LAYERS];
    float *seq;        /* (R, T) teacher-forced inputs z'_{t} */
    float *target;     /* (R, T) z'_{t+1} */
    float *mean, *std; /* (R) */
    float *head;       /* (R·T, 2) μ and pre-softplus σ */
    float *mu, *sigma, *dmu, *dsigma, *dhead; /* (R·T) and (R·T, 2) */
    float *dtop, *dlower, *lstm_ws;           /* backward scratch */
    float *step_in;    /* (R·S) current input of each path */
    float *step_head;  /* (R·S, 2) */
    float *paths;      /* (R, S, H) normalised draws */
    float *sort_buffer;/* (S) */
} deepar_net;

static const deep_setting deepar_settings[] = {
    DEEP_SIZE_SETTING(deepar_net, hidden, "hidden"),
    DEEP_SIZE_SETTING(deepar_net, layer_count, "layers"),
    DEEP_SIZE_SETTING(deepar_net, samples, "samples"),
};

static int deepar_create(void *net_, bench_model *model, const bench_params *params, bench_error *error)
{
    (void)params;
    deepar_net *net = net_; /* L, H and the settings above are filled by the shell */
    int status = BENCH_OK;
    net->T = net->L + net->H - 1;
    size_t Hd = net->hidden;
    for (size_t l = 0; l < net->layer_count; l++) {
        deepar_layer *k = &net->layer[l];
        size_t in = l == 0 ? 1 : Hd;
        char name[128];
        snprintf(name, sizeof name, "lstm%zu.weight_ih", l);
        k->wih = deep_param(model, name, 4 * Hd, in, &status, error);
        snprintf(name, sizeof name, "lstm%zu.weight_hh", l);
        k->whh = deep_param(model, name, 4 * Hd, Hd, &status, error);
        snprintf(name, sizeof name, "lstm%zu.bias_ih", l);
        k->bih = deep_param(model, name, 4 * Hd, 0, &status, error);
        snprintf(name, sizeof name, "lstm%zu.bias_hh", l);
        k->bhh = deep_param(model, name, 4 * Hd, 0, &status, error);
    }
    net->head_w = deep_param(model, "head.weight", 2, Hd, &status, error);
    net->head_b = deep_param(model, "head.bias", 2, 0, &status, error);
    return status;
}

static int deepar_reserve(void *net_, bench_model *model, size_t rows, bench_error *error)
{
    deepar_net *net = net_;
    size_t T = net->T, Hd = net->hidden, S = net->samples, RT = rows * T, RS = rows * S;
    nn_rnn_dims dims = {.batch = rows, .steps = T, .input_size = Hd, .hidden = Hd};
    size_t per_layer = RT * Hd * 6 + RS * Hd * 8;
    size_t floats = net->layer_count * per_layer + 2 * RT + 2 * rows + 2 * RT + 4 * RT + 2 * RT + 2 * RT * Hd +
                    nn_lstm_workspace(&dims) + RS + 2 * RS + RS * net->H + S;
    float *p = deep_activations(model, floats);
    if (p == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu windows × %zu samples", rows, S);
#define TAKE(ptr, count) (ptr) = p, p += (count)
    for (size_t l = 0; l < net->layer_count; l++) {
        deepar_layer *k = &net->layer[l];
        TAKE(k->out, RT * Hd);
        TAKE(k->gates, RT * 4 * Hd);
        TAKE(k->cells, RT * Hd);
        TAKE(k->step_out, RS * Hd);
        TAKE(k->step_gates, RS * 4 * Hd);
        TAKE(k->step_cells, RS * Hd);
        TAKE(k->h, RS * Hd);
        TAKE(k->c, RS * Hd);
    }
    TAKE(net->seq, RT);
    TAKE(net->target, RT);
    TAKE(net->mean, rows);
    TAKE(net->std, rows);
    TAKE(net->head, 2 * RT);
    TAKE(net->mu, RT);
    TAKE(net->sigma, RT);
    TAKE(net->dmu, RT);
    TAKE(net->dsigma, RT);
    TAKE(net->dhead, 2 * RT);
    TAKE(net->dtop, RT * Hd);
    TAKE(net->dlower, RT * Hd);
    TAKE(net->lstm_ws, nn_lstm_workspace(&dims));
    TAKE(net->step_in, RS);
    TAKE(net->step_head, 2 * RS);
    TAKE(net->paths, RS * net->H);
    TAKE(net->sort_buffer, S);
#undef TAKE
    return BENCH_OK;
}

static void deepar_init(void *net_, bench_model *model, bench_rng *rng)
{
    deepar_net *net = net_;
    float bound = 1.0f / sqrtf((float)net->hidden);
    for (size_t l = 0; l < net->layer_count; l++) {
        deepar_layer *k = &net->layer[l];
        size_t in = l == 0 ? 1 : net->hidden;
        nn_init_uniform(nn_params_value(&model->params, k->wih), 4 * net->hidden * in, bound, rng);
        nn_init_uniform(nn_params_value(&model->params, k->whh), 4 * net->hidden * net->hidden, bound, rng);
        nn_init_uniform(nn_params_value(&model->params, k->bih), 4 * net->hidden, bound, rng);
        nn_init_uniform(nn_params_value(&model->params, k->bhh), 4 * net->hidden, bound, rng);
    }
    nn_init_uniform(nn_params_value(&model->params, net->head_w), 2 * net->hidden, bound, rng);
    nn_init_uniform(nn_params_value(&model->params, net->head_b), 2, bound, rng);
}

#define V(index) nn_params_value(&model->params, (index))
#define G(index) nn_params_grad(&model->params, (index))

/* Per-window statistics of the inputs; seq/target hold the scaled sequence. */
static void scale_rows(deepar_net *net, const float *inputs, const float *targets, size_t rows)
{
    size_t L = net->L, T = net->T;
    for (size_t r = 0; r < rows; r++) {
        const float *x = inputs + r * L;
        double m, s;
        deep_row_stats(x, L, &m, &s);
        net->mean[r] = (float)m;
        net->std[r] = (float)s;
        if (targets == NULL)
            continue;
        /* Full sequence z'_0 .. z'_{L+H−1}: inputs are its first T values, targets its last T. */
        for (size_t t = 0; t <= T; t++) {
            float z = t < L ? x[t] : targets[r * net->H + (t - L)];
            float scaled = (float)((z - m) / s);
            if (t < T)
                net->seq[r * T + t] = scaled;
            if (t > 0)
                net->target[r * T + t - 1] = scaled;
        }
    }
}

/* The LSTM layers over net->seq (rows, steps), each layer's outputs, gates and
 * cells kept for backward and sampling; returns the top layer's outputs. */
static const float *lstm_layers_forward(deepar_net *net, bench_model *model, size_t rows, size_t steps)
{
    const float *x = net->seq;
    size_t in = 1;
    for (size_t l = 0; l < net->layer_count; l++) {
        deepar_layer *k = &net->layer[l];
        nn_rnn_dims dims = {.batch = rows, .steps = steps, .input_size = in, .hidden = net->hidden};
        nn_lstm_forward(k->out, k->gates, k->cells, x, NULL, NULL, V(k->wih), V(k->whh), V(k->bih), V(k->bhh), &dims);
        x = k->out;
        in = net->hidden;
    }
    return x;
}

static void head_to_distribution(float *mu, float *sigma, const float *head, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        mu[i] = head[2 * i];
        float s = head[2 * i + 1];
        sigma[i] = (s > 20.0f ? s : log1pf(expf(s))) + 1e-4f;
    }
}

static double deepar_loss(void *net_, bench_model *model, const float *inputs, const float *targets, size_t rows,
                          int training, bench_rng *rng)
{
    (void)rng;
    deepar_net *net = net_;
    size_t T = net->T, Hd = net->hidden, RT = rows * T;
    scale_rows(net, inputs, targets, rows);
    const float *x = lstm_layers_forward(net, model, rows, T);
    nn_linear_forward(net->head, x, V(net->head_w), V(net->head_b), RT, Hd, 2);
    head_to_distribution(net->mu, net->sigma, net->head, RT);
    if (!training)
        return nn_gaussian_nll_loss(NULL, NULL, net->mu, net->sigma, net->target, NULL, RT);
    memset(net->dmu, 0, 2 * RT * sizeof(float)); /* dmu and dsigma are adjacent */
    double loss = nn_gaussian_nll_loss(net->dmu, net->dsigma, net->mu, net->sigma, net->target, NULL, RT);
    for (size_t i = 0; i < RT; i++) {
        float s = net->head[2 * i + 1];
        net->dhead[2 * i] = net->dmu[i];
        net->dhead[2 * i + 1] = net->dsigma[i] * (s > 20.0f ? 1.0f : 1.0f / (1.0f + expf(-s)));
    }
    memset(net->dtop, 0, RT * Hd * sizeof(float));
    nn_linear_backward(net->dtop, G(net->head_w), G(net->head_b), net->dhead, x, V(net->head_w), RT, Hd, 2);
    for (size_t l = net->layer_count; l-- > 0;) {
        deepar_layer *k = &net->layer[l];
        size_t layer_in = l == 0 ? 1 : Hd;
        const float *below = l == 0 ? net->seq : net->layer[l - 1].out;
        nn_rnn_dims dims = {.batch = rows, .steps = T, .input_size = layer_in, .hidden = Hd};
        if (l > 0)
            memset(net->dlower, 0, RT * Hd * sizeof(float));
        nn_lstm_backward(l > 0 ? net->dlower : NULL, G(k->wih), G(k->whh), G(k->bih), G(k->bhh), NULL, NULL,
                         net->lstm_ws, net->dtop, below, NULL, NULL, V(k->wih), V(k->whh), k->out, k->gates, k->cells,
                         &dims);
        if (l > 0) {
            float *swap = net->dtop;
            net->dtop = net->dlower;
            net->dlower = swap;
        }
    }
    return loss;
}

/* Paths (rows, S, H) on the original scale, S within the reserved capacity. */
static void sample_paths(void *net_, bench_model *model, const float *inputs, size_t rows, size_t sample_count,
                          bench_rng *rng, float *samples)
{
    deepar_net *net = net_;
    size_t L = net->L, H = net->H, Hd = net->hidden, S = sample_count, RS = rows * S;
    /* Conditioning: the sequence z'_0..z'_{L−1} through every layer (states kept per layer). */
    scale_rows(net, inputs, NULL, rows);
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < L; t++)
            net->seq[r * L + t] = (inputs[r * L + t] - net->mean[r]) / net->std[r];
    lstm_layers_forward(net, model, rows, L);
    /* Each path starts from its window's last state. */
    for (size_t l = 0; l < net->layer_count; l++) {
        deepar_layer *k = &net->layer[l];
        for (size_t r = 0; r < rows; r++)
            for (size_t s = 0; s < S; s++) {
                memcpy(k->h + (r * S + s) * Hd, k->out + (r * L + L - 1) * Hd, Hd * sizeof(float));
                memcpy(k->c + (r * S + s) * Hd, k->cells + (r * L + L - 1) * Hd, Hd * sizeof(float));
            }
    }
    /* First draw from the last conditioning output, then one LSTM step per draw. */
    const float *top = net->layer[net->layer_count - 1].h;
    for (size_t step = 0; step < H; step++) {
        if (step > 0) {
            const float *layer_in = net->step_in;
            size_t width = 1;
            for (size_t l = 0; l < net->layer_count; l++) {
                deepar_layer *k = &net->layer[l];
                nn_rnn_dims dims = {.batch = RS, .steps = 1, .input_size = width, .hidden = Hd};
                nn_lstm_forward(k->step_out, k->step_gates, k->step_cells, layer_in, k->h, k->c, V(k->wih), V(k->whh),
                                V(k->bih), V(k->bhh), &dims);
                memcpy(k->h, k->step_out, RS * Hd * sizeof(float));
                memcpy(k->c, k->step_cells, RS * Hd * sizeof(float));
                layer_in = k->h;
                width = Hd;
            }
        }
        nn_linear_forward(net->step_head, top, V(net->head_w), V(net->head_b), RS, Hd, 2);
        for (size_t i = 0; i < RS; i++) {
            float mu = net->step_head[2 * i], s = net->step_head[2 * i + 1];
            float sigma = (s > 20.0f ? s : log1pf(expf(s))) + 1e-4f;
            float draw = mu + sigma * (float)bench_rng_normal(rng);
            net->step_in[i] = draw;
            size_t r = i / S;
            samples[i * H + step] = draw * net->std[r] + net->mean[r];
        }
    }
}

/* Splits a request for more paths than the buffers hold (predict_samples asks
 * one window at a time, with any count) into chunks of whole paths. */
static void deepar_sample(void *net_, bench_model *model, const float *inputs, size_t rows, size_t sample_count,
                          bench_rng *rng, float *samples)
{
    deepar_net *net = net_;
    size_t capacity = model->max_batch * net->samples;
    if (rows * sample_count <= capacity || rows != 1) {
        sample_paths(net, model, inputs, rows, sample_count, rng, samples);
        return;
    }
    for (size_t first = 0; first < sample_count; first += capacity) {
        size_t count = sample_count - first < capacity ? sample_count - first : capacity;
        sample_paths(net, model, inputs, 1, count, rng, samples + first * net->H);
    }
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void deepar_forward(void *net_, bench_model *model, const float *inputs, size_t rows, int training,
                           bench_rng *rng, float *outputs)
{
    (void)training;
    deepar_net *net = net_;
    size_t S = net->samples, H = net->H;
    sample_paths(net, model, inputs, rows, S, rng, net->paths);
    for (size_t r = 0; r < rows; r++)
        for (size_t h = 0; h < H; h++) {
            for (size_t s = 0; s < S; s++)
                net->sort_buffer[s] = net->paths[(r * S + s) * H + h];
            qsort(net->sort_buffer, S, sizeof(float), compare_floats);
            outputs[r * H + h] = S % 2 ? net->sort_buffer[S / 2]
                                       : 0.5f * (net->sort_buffer[S / 2 - 1] + net->sort_buffer[S / 2]);
        }
}

static void deepar_backward(void *net_, bench_model *model, const float *doutputs, size_t rows)
{
    /* Training goes through deepar_loss; the sampled median has no gradient. */
    (void)net_, (void)model, (void)doutputs, (void)rows;
}

static const bench_param_spec deepar_params[] = {
    DEEP_TRAIN_PARAMS("20", "64", "0.001", "3", "constant"),
    {.name = "hidden", .type = BENCH_PARAM_INT, .default_value = "40", .doc = "LSTM units per layer (paper: 40)",
     .minimum = 1, .maximum = 4096},
    {.name = "layers", .type = BENCH_PARAM_INT, .default_value = "2", .doc = "stacked LSTM layers (paper: 3)",
     .minimum = 1, .maximum = DEEPAR_MAX_LAYERS},
    {.name = "samples", .type = BENCH_PARAM_INT, .default_value = "100",
     .doc = "sample paths per window; the point forecast is their median", .minimum = 1, .maximum = 100000},
};

DEEP_FORECASTER(deepar, deepar_net, deepar_params, deep_forecaster_predict_samples,
                "DeepAR: autoregressive LSTM with Gaussian likelihood, ancestral sampling, median forecast",
                DEEP_SETTINGS(deepar_settings), DEEP_LENGTHS(deepar_net, L, H), .create = deepar_create,
                .reserve = deepar_reserve, .init = deepar_init, .forward = deepar_forward, .backward = deepar_backward,
                .loss = deepar_loss, .sample = deepar_sample);
