/* knn_analogue: analogue (nearest-neighbour) forecasting in one file against
 * include/bench/forecaster.h.
 *
 * For each forecast window, the query is the last w values of its history,
 * z-normalised (mean μ_q, standard deviation σ_q).  Candidates are every window
 * of w values followed by h known values — from the same history (scope =
 * series) or from the training part of every training series (scope = all) —
 * z-normalised the same way.  The k candidates nearest to the query in
 * Euclidean distance (ties: earlier candidate first) each give their following
 * h values, normalised by their own window's μ and σ; the forecast is
 *     ŷ_k = μ_q + σ_q · mean over neighbours of (x_{s+w+k} − μ_s) / σ_s.
 * A window with σ = 0 is a flat pattern: its normalised values are 0.
 * Histories shorter than w use all they have; no candidate at all is a clean
 * BENCH_MODEL error.  Deterministic: no randomness is drawn.
 *
 * Build (uninstalled): cc -std=c11 -shared -fPIC -Iinclude examples/plugins/knn_analogue.c -o knn_analogue.so -lm */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/forecaster.h"

struct bench_model {
    size_t neighbours;    /* k */
    size_t window;        /* w */
    int scope_all;        /* candidates from every training series */
    double *library;      /* (library_length) training values of all series, concatenated; scope all only */
    size_t *offsets;      /* (series_count + 1) start of each series in library */
    size_t series_count;
};

static const bench_param_spec knn_params[] = {
    {.name = "k", .type = BENCH_PARAM_INT, .default_value = "5", .doc = "neighbours averaged", .minimum = 1,
     .maximum = 10000},
    {.name = "window", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "pattern length w; 0 uses the protocol's look-back, else two seasonal periods", .minimum = 0,
     .maximum = 100000},
    {.name = "scope", .type = BENCH_PARAM_STRING, .default_value = "series", .choices = "series|all",
     .doc = "where analogues come from: the window's own history, or every training series"},
};

static int knn_create(bench_model **out, const bench_params *params, const bench_task_info *task, bench_error *error)
{
    long neighbours, window;
    const char *scope;
    if (bench_params_get_int(params, "k", &neighbours, error) || bench_params_get_int(params, "window", &window, error) ||
        bench_params_get_string(params, "scope", &scope, error))
        return error->code;
    bench_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "knn_analogue: out of memory");
    model->neighbours = (size_t)neighbours;
    model->window = window > 0          ? (size_t)window
                    : task->lookback > 0 ? task->lookback
                                         : 2 * (task->seasonal_period > 0 ? task->seasonal_period : 1);
    model->scope_all = strcmp(scope, "all") == 0;
    *out = model;
    return BENCH_OK;
}

/* scope = all keeps a copy of every series' training part (views are not ours to keep). */
static int knn_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    (void)rng;
    if (!model->scope_all)
        return BENCH_OK;
    free(model->library), free(model->offsets);
    model->library = NULL;
    size_t total = 0;
    for (size_t s = 0; s < train->series_count; s++)
        total += train->series[s].train_length;
    model->offsets = malloc((train->series_count + 1) * sizeof *model->offsets);
    model->library = malloc((total ? total : 1) * sizeof *model->library);
    if (model->offsets == NULL || model->library == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "knn_analogue: out of memory for %zu training values", total);
    size_t offset = 0;
    for (size_t s = 0; s < train->series_count; s++) {
        model->offsets[s] = offset;
        memcpy(model->library + offset, train->series[s].values, train->series[s].train_length * sizeof(double));
        offset += train->series[s].train_length;
    }
    model->offsets[train->series_count] = offset;
    model->series_count = train->series_count;
    return BENCH_OK;
}

static void moments(const double *x, size_t n, double *mean, double *deviation)
{
    double sum = 0.0, squares = 0.0;
    for (size_t t = 0; t < n; t++)
        sum += x[t];
    *mean = sum / (double)n;
    for (size_t t = 0; t < n; t++)
        squares += (x[t] - *mean) * (x[t] - *mean);
    *deviation = sqrt(squares / (double)n);
}

static double normalised(double value, double mean, double deviation)
{
    return deviation > 0.0 ? (value - mean) / deviation : 0.0;
}

typedef struct {
    double distance;
    const double *start;  /* the candidate's first window value; its future follows at start + w */
} neighbour;

/* Offers every candidate of `values` (length n) to the best list (sorted, ≤ k). */
static void scan(neighbour *best, size_t *found, size_t k, const double *values, size_t n, const double *query,
                 size_t w, size_t h)
{
    double query_mean, query_deviation;
    moments(query, w, &query_mean, &query_deviation);
    for (size_t s = 0; s + w + h <= n; s++) {
        double mean, deviation, distance = 0.0;
        moments(values + s, w, &mean, &deviation);
        for (size_t t = 0; t < w && (*found < k || distance < best[*found - 1].distance); t++) {
            double d = normalised(values[s + t], mean, deviation) - normalised(query[t], query_mean, query_deviation);
            distance += d * d;
        }
        if (*found == k && !(distance < best[k - 1].distance))
            continue;
        size_t at = *found < k ? (*found)++ : k - 1;
        while (at > 0 && best[at - 1].distance > distance) {
            best[at] = best[at - 1];
            at--;
        }
        best[at] = (neighbour){distance, values + s};
    }
}

static int knn_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                       bench_error *error)
{
    (void)rng;
    size_t h = request->horizon, k = model->neighbours;
    neighbour *best = malloc(k * sizeof *best);
    if (best == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "knn_analogue: out of memory");
    for (size_t w_index = 0; w_index < request->window_count; w_index++) {
        const bench_forecast_window *window = &request->windows[w_index];
        size_t n = window->history_length;
        if (n == 0) {
            free(best);
            return BENCH_FAIL(error, BENCH_MODEL, "knn_analogue: window %zu has no history", w_index);
        }
        size_t w = model->window < n ? model->window : n;
        const double *query = window->history + n - w;
        size_t found = 0;
        if (model->scope_all)
            for (size_t s = 0; s < model->series_count; s++)
                scan(best, &found, k, model->library + model->offsets[s], model->offsets[s + 1] - model->offsets[s],
                     query, w, h);
        else
            scan(best, &found, k, window->history, n, query, w, h);
        if (found == 0 && h > 0) {
            free(best);
            return BENCH_FAIL(error, BENCH_MODEL,
                              "knn_analogue: window %zu: no analogue of %zu values followed by %zu (history %zu%s)",
                              w_index, w, h, n, model->scope_all ? ", or training series too short" : "");
        }
        double query_mean, query_deviation;
        moments(query, w, &query_mean, &query_deviation);
        for (size_t step = 0; step < h; step++) {
            double sum = 0.0;
            for (size_t j = 0; j < found; j++) {
                double mean, deviation;
                moments(best[j].start, w, &mean, &deviation);
                sum += normalised(best[j].start[w + step], mean, deviation);
            }
            out[w_index * h + step] = query_mean + query_deviation * sum / (double)found;
        }
    }
    free(best);
    return BENCH_OK;
}

static void knn_destroy(bench_model *model)
{
    if (model == NULL)
        return;
    free(model->library);
    free(model->offsets);
    free(model);
}

static const bench_forecaster knn_forecaster = {
    .abi_version = BENCH_FORECASTER_ABI_VERSION,
    .name = "knn_analogue",
    .description = "k nearest z-normalised analogues of the last window, their futures averaged",
    .params = knn_params,
    .param_count = sizeof knn_params / sizeof knn_params[0],
    .create = knn_create,
    .fit = knn_fit,
    .predict = knn_predict,
    .destroy = knn_destroy,
};

const bench_forecaster *bench_plugin_forecaster(void)
{
    return &knn_forecaster;
}
