/* my_forecaster: a bench forecaster plugin (written by `bench new-forecaster`).
 *
 * The model: seasonal naive with drift.  Step k of the forecast repeats the
 * value one (or more) seasons back and adds the drift accumulated since then:
 *     ŷ[T+k] = y[T+k − m·⌈k/m⌉] + δ · m·⌈k/m⌉,
 * with δ the mean step change over the last `drift_window` values of the
 * history (0 when drift is off).  With less than one season of history it falls
 * back to the last value plus drift.
 *
 * Edit create/fit/predict below; keep the rules of include/bench/forecaster.h:
 *   - every view bench hands you is read-only and valid only during the call:
 *     copy what you need, keep no pointer to it;
 *   - `out` of predict is (window_count × horizon), row-major, allocated by bench:
 *     write every element, never past the end;
 *   - failures return a status and fill `error` via BENCH_FAIL (never print or exit);
 *   - randomness only from the `rng` you are given; no global mutable state.
 * Then `bench check-plugin my_forecaster.so` tells you what is still wrong. */
#include <stdlib.h>

#include "bench/forecaster.h"

/* Everything one instance knows.  Allocated by create(), freed by destroy(). */
struct bench_model {
    size_t period;        /* season length m */
    int drift;            /* add the drift term */
    size_t drift_window;  /* trailing values the drift is estimated from (0: whole history) */
};

/* The parameters users may set in a [model] section; bench checks types and
 * ranges before create() sees them, and refuses names not listed here. */
static const bench_param_spec my_forecaster_params[] = {
    {.name = "period", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "season length; 0 uses the dataset's seasonal period", .minimum = 0, .maximum = 100000},
    {.name = "drift", .type = BENCH_PARAM_BOOL, .default_value = "true",
     .doc = "add the mean step change of the history"},
    {.name = "drift_window", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "trailing values used for the drift; 0 uses the whole history", .minimum = 0, .maximum = 100000000},
};

static int my_forecaster_create(bench_model **out, const bench_params *params, const bench_task_info *task,
                                bench_error *error)
{
    long period, drift_window;
    int drift;
    if (bench_params_get_int(params, "period", &period, error) != BENCH_OK ||
        bench_params_get_bool(params, "drift", &drift, error) != BENCH_OK ||
        bench_params_get_int(params, "drift_window", &drift_window, error) != BENCH_OK)
        return error->code;
    bench_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "my_forecaster: out of memory");
    model->period = period > 0 ? (size_t)period : task->seasonal_period > 0 ? task->seasonal_period : 1;
    model->drift = drift;
    model->drift_window = (size_t)drift_window;
    *out = model;
    return BENCH_OK;
}

/* This model learns nothing from the training view: each forecast uses only its
 * window's history.  A learning model copies what it needs out of `train` here. */
static int my_forecaster_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    (void)model, (void)rng;
    if (train->series_count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "my_forecaster: no training series");
    return BENCH_OK;
}

static int my_forecaster_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng,
                                 double *out, bench_error *error)
{
    (void)rng;
    size_t h = request->horizon;
    for (size_t w = 0; w < request->window_count; w++) {
        const bench_forecast_window *window = &request->windows[w];
        size_t n = window->history_length;
        const double *y = window->history;
        if (n == 0)
            return BENCH_FAIL(error, BENCH_MODEL, "my_forecaster: window %zu has no history", w);
        size_t used = model->drift_window > 0 && model->drift_window < n ? model->drift_window : n;
        double drift = model->drift && used > 1 ? (y[n - 1] - y[n - used]) / (double)(used - 1) : 0.0;
        size_t m = model->period <= n ? model->period : 1; /* too little history: plain naive */
        for (size_t k = 1; k <= h; k++) {
            size_t back = m * ((k + m - 1) / m);           /* m·⌈k/m⌉ ≥ k steps back */
            out[w * h + (k - 1)] = y[n + k - 1 - back] + drift * (double)back;
        }
    }
    return BENCH_OK;
}

/* Must accept NULL. */
static void my_forecaster_destroy(bench_model *model)
{
    free(model);
}

static const bench_forecaster my_forecaster = {
    .abi_version = BENCH_FORECASTER_ABI_VERSION,
    .name = "my_forecaster",
    .description = "seasonal naive with drift (template written by bench new-forecaster)",
    .params = my_forecaster_params,
    .param_count = sizeof my_forecaster_params / sizeof my_forecaster_params[0],
    .create = my_forecaster_create,
    .fit = my_forecaster_fit,
    .predict = my_forecaster_predict,
    .destroy = my_forecaster_destroy,
    /* Optional: .save/.load (a fitted model to a file and back) and .predict_samples. */
};

/* The one symbol bench looks up in the .so. */
const bench_forecaster *bench_plugin_forecaster(void)
{
    return &my_forecaster;
}
