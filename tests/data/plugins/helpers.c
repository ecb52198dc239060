/* A test plugin that calls the helpers bench exports to plugins: window
 * construction (forecasters/window_features.h), the GEMM wrapper (nn/gemm.h),
 * nn parameter blocks (nn/params.h) and a metric (bench/metrics.h).
 * tests/test_plugins_install.c builds it uninstalled (symbols from the bench
 * executable) and installed (pkg-config, libbench.so).
 *
 * Model "mean_change": step k of the forecast is the last value plus the mean,
 * over all training windows, of (label k − last input value) — which is the mean
 * label in the window_norm = last frame (bench_window_layout_set_norm), mapped
 * back with bench_window_restore. */
#include <stdlib.h>

#include "bench/forecaster.h"
#include "bench/metrics.h"
#include "forecasters/window_features.h"
#include "nn/gemm.h"
#include "nn/params.h"

struct bench_model {
    bench_window_layout layout;
    nn_params params;         /* one tensor "change" (horizon) */
    double fit_mae;           /* in-sample MAE of the change model, for show */
};

static int create(bench_model **out, const bench_params *params, const bench_task_info *task, bench_error *error)
{
    (void)params;
    bench_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "mean_change: out of memory");
    size_t horizon = task->horizon > 0 ? task->horizon : 1;
    nn_params_init(&model->params);
    size_t index;
    if (bench_window_layout_init(&model->layout, 8, (long)horizon, 0, BENCH_WINDOW_COVARIATES_NONE, error) ||
        bench_window_layout_set_norm(&model->layout, BENCH_WINDOW_NORM_LAST, error) ||
        nn_params_add(&model->params, "change", 1, &horizon, 1, &index, error) ||
        nn_params_allocate(&model->params, error)) {
        nn_params_free(&model->params);
        free(model);
        return error->code;
    }
    *out = model;
    return BENCH_OK;
}

static int fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    bench_window_plan plan;
    if (bench_window_plan_training(&plan, &model->layout, train, rng, error) != BENCH_OK)
        return error->code;
    size_t rows = plan.count, w = model->layout.window, h = model->layout.horizon;
    /* features (rows × w) | labels (rows × h) | ones (rows) | sums (w + h), one block. */
    float *features = malloc((rows * (w + h + 1) + w + h) * sizeof *features);
    if (features == NULL) {
        bench_window_plan_free(&plan);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "mean_change: out of memory");
    }
    float *labels = features + rows * w, *ones = labels + rows * h, *sums = ones + rows;
    bench_window_fill_features(features, &model->layout, train, &plan);
    for (size_t k = 0; k < h; k++) {
        bench_window_fill_labels(ones, &model->layout, train, &plan, k); /* ones as scratch */
        for (size_t r = 0; r < rows; r++)
            labels[r * h + k] = ones[r];
    }
    for (size_t r = 0; r < rows; r++)
        ones[r] = 1.0f;
    /* Column sums as 1×rows products. */
    nn_gemm(0, 0, 1, w, rows, 1.0f, ones, rows, features, w, 0.0f, sums, w);
    nn_gemm(0, 0, 1, h, rows, 1.0f, ones, rows, labels, h, 0.0f, sums + w, h);
    float *change = nn_params_value(&model->params, 0);
    for (size_t k = 0; k < h; k++) /* labels are already relative to the last input value */
        change[k] = sums[w + k] / (float)rows;
    double predicted = 0.0, truth = 0.0;
    if (rows > 0) {
        predicted = change[0];
        truth = (double)labels[0];
    }
    model->fit_mae = bench_metric_mae(&predicted, &truth, 1);
    free(features);
    bench_window_plan_free(&plan);
    return BENCH_OK;
}

static int predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                   bench_error *error)
{
    (void)rng;
    if (request->horizon != model->layout.horizon)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "mean_change: fitted for horizon %zu, asked for %zu",
                          model->layout.horizon, request->horizon);
    const float *change = nn_params_value(&model->params, 0);
    for (size_t w = 0; w < request->window_count; w++) {
        const bench_forecast_window *window = &request->windows[w];
        if (window->history_length == 0)
            return BENCH_FAIL(error, BENCH_MODEL, "mean_change: window %zu has no history", w);
        for (size_t k = 0; k < request->horizon; k++)
            out[w * request->horizon + k] = change[k];
    }
    return bench_window_restore(out, &model->layout, request, error);
}

static void destroy(bench_model *model)
{
    if (model == NULL)
        return;
    nn_params_free(&model->params);
    free(model);
}

static const bench_forecaster mean_change = {
    .abi_version = BENCH_FORECASTER_ABI_VERSION, .name = "mean_change",
    .description = "last value plus the mean training change per step (calls bench's exported helpers)",
    .create = create, .fit = fit, .predict = predict, .destroy = destroy};
const bench_forecaster *bench_plugin_forecaster(void) { return &mean_change; }
