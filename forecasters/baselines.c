/* Simple baselines: naive (last value), seasonal_naive, naive2 (M4) and mean.
 * They need no fitting; predict works from each window's history alone. */
#include "forecasters/baselines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/forecaster.h"
#include "forecasters/registry.h"

/* The model state every baseline needs: its parameters and the task's period. */
struct bench_model {
    size_t period;   /* seasonal period used by seasonal_naive / naive2 */
    size_t window;   /* trailing values averaged by mean; 0 = whole history */
};

static int baseline_create(bench_model **out, const bench_params *params, const bench_task_info *task,
                           bench_error *error)
{
    bench_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "baseline: out of memory");
    long value = 0;
    model->period = task->seasonal_period > 0 ? task->seasonal_period : 1;
    for (size_t i = 0; params != NULL && i < params->count; i++) {
        const char *name = params->names[i];
        int is_period = strcmp(name, "period") == 0;
        if (!is_period && strcmp(name, "window") != 0)
            continue;
        if (bench_params_get_int(params, name, &value, error) != BENCH_OK) {
            free(model);
            return error->code;
        }
        if (!is_period)
            model->window = value > 0 ? (size_t)value : task->lookback;
        else if (value > 0)
            model->period = (size_t)value;
    }
    *out = model;
    return BENCH_OK;
}

static int baseline_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    (void)model, (void)train, (void)rng, (void)error;
    return BENCH_OK;
}

static void baseline_destroy(bench_model *model) { free(model); }

static int require_history(const bench_forecast_window *window, size_t needed, const char *name,
                           bench_error *error)
{
    if (window->history_length < needed)
        return BENCH_FAIL(error, BENCH_MODEL, "%s: series %zu has %zu observations before the forecast origin, needs %zu",
                          name, window->series_index, window->history_length, needed);
    return BENCH_OK;
}

/* Each window's last m values repeated over the horizon; m = 1 is naive. */
static int repeat_last_cycle(size_t m, const char *name, const bench_forecast_request *request, double *out,
                             bench_error *error)
{
    for (size_t w = 0; w < request->window_count; w++) {
        const bench_forecast_window *window = &request->windows[w];
        if (require_history(window, m, name, error) != BENCH_OK)
            return error->code;
        const double *last_cycle = window->history + window->history_length - m;
        for (size_t k = 0; k < request->horizon; k++)
            out[w * request->horizon + k] = last_cycle[k % m];
    }
    return BENCH_OK;
}

static int naive_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng,
                         double *out, bench_error *error)
{
    (void)model, (void)rng;
    return repeat_last_cycle(1, "naive", request, out, error);
}

static int seasonal_naive_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng,
                                  double *out, bench_error *error)
{
    (void)rng;
    return repeat_last_cycle(model->period, "seasonal_naive", request, out, error);
}

/* Autocorrelation at lag k with the full-sample mean and variance, as R's acf(). */
static double autocorrelation(const double *x, size_t n, double mean, double variance_sum, size_t lag)
{
    double sum = 0.0;
    for (size_t t = lag; t < n; t++)
        sum += (x[t] - mean) * (x[t - lag] - mean);
    return sum / variance_sum;
}

int bench_m4_is_seasonal(const double *history, size_t length, size_t period)
{
    if (period < 2 || length < 3 * period)
        return 0;
    double mean = 0.0;
    for (size_t t = 0; t < length; t++)
        mean += history[t];
    mean /= (double)length;
    double variance_sum = 0.0;
    for (size_t t = 0; t < length; t++)
        variance_sum += (history[t] - mean) * (history[t] - mean);
    if (!(variance_sum > 0.0))
        return 0;
    double squares = 0.0;
    for (size_t k = 1; k < period; k++) {
        double r = autocorrelation(history, length, mean, variance_sum, k);
        squares += r * r;
    }
    double limit = 1.645 * sqrt((1.0 + 2.0 * squares) / (double)length);
    return fabs(autocorrelation(history, length, mean, variance_sum, period)) > limit;
}

int bench_naive2_forecast(double *out, const double *history, size_t length, size_t period, size_t horizon)
{
    double last = history[length - 1];
    if (!bench_m4_is_seasonal(history, length, period)) {
        for (size_t k = 0; k < horizon; k++)
            out[k] = last;
        return BENCH_OK;
    }
    for (size_t t = 0; t < length; t++)
        if (!(history[t] > 0.0))
            return BENCH_UNSUPPORTED;
    /* Centred moving average: weights ½,1,…,1,½ over period+1 values for an even
     * period (R's decompose), a plain centred mean for an odd one. */
    size_t half = period / 2;
    /* index_sum, index_count and figure: three period-long arrays in one block. */
    double *index_sum = calloc(3 * period, sizeof *index_sum);
    if (index_sum == NULL)
        return BENCH_NO_MEMORY;
    double *index_count = index_sum + period;
    double *figure = index_sum + 2 * period;
    for (size_t t = half; t + half < length; t++) {
        double trend = 0.0;
        if (period % 2 == 0) {
            trend = 0.5 * (history[t - half] + history[t + half]);
            for (size_t j = t - half + 1; j < t + half; j++)
                trend += history[j];
        } else {
            for (size_t j = t - half; j <= t + half; j++)
                trend += history[j];
        }
        trend /= (double)period;
        index_sum[t % period] += history[t] / trend;
        index_count[t % period] += 1.0;
    }
    double figure_mean = 0.0;
    for (size_t i = 0; i < period; i++) {
        figure[i] = index_sum[i] / index_count[i];
        figure_mean += figure[i];
    }
    figure_mean /= (double)period;
    for (size_t i = 0; i < period; i++)
        figure[i] /= figure_mean;
    double adjusted_last = last / figure[(length - 1) % period];
    for (size_t k = 0; k < horizon; k++)
        out[k] = adjusted_last * figure[(length + k) % period];
    free(index_sum);
    return BENCH_OK;
}

static int naive2_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng,
                          double *out, bench_error *error)
{
    (void)rng;
    for (size_t w = 0; w < request->window_count; w++) {
        const bench_forecast_window *window = &request->windows[w];
        if (require_history(window, 1, "naive2", error) != BENCH_OK)
            return error->code;
        int status = bench_naive2_forecast(out + w * request->horizon, window->history, window->history_length,
                                           model->period, request->horizon);
        if (status == BENCH_UNSUPPORTED)
            return BENCH_FAIL(error, BENCH_UNSUPPORTED,
                              "naive2: its multiplicative seasonal decomposition needs positive values, and forecast "
                              "window %zu has values <= 0 (a z-scored protocol such as ltsf centres every series; "
                              "use seasonal_naive there, or naive2 under the m4 or paper protocol)", w);
        if (status != BENCH_OK)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "naive2: out of memory");
    }
    return BENCH_OK;
}

static int mean_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng,
                        double *out, bench_error *error)
{
    (void)rng;
    for (size_t w = 0; w < request->window_count; w++) {
        const bench_forecast_window *window = &request->windows[w];
        if (require_history(window, 1, "mean", error) != BENCH_OK)
            return error->code;
        size_t used = model->window == 0 || model->window > window->history_length ? window->history_length
                                                                                   : model->window;
        double sum = 0.0;
        for (size_t t = window->history_length - used; t < window->history_length; t++)
            sum += window->history[t];
        for (size_t k = 0; k < request->horizon; k++)
            out[w * request->horizon + k] = sum / (double)used;
    }
    return BENCH_OK;
}

static const bench_param_spec period_params[] = {
    {.name = "period", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "seasonal period; 0 uses the dataset's", .minimum = 0, .maximum = 100000},
};

static const bench_param_spec mean_params[] = {
    {.name = "window", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "trailing values averaged; 0 uses the protocol's look-back (whole history when it has none)",
     .minimum = 0, .maximum = 100000000},
};

/* A baseline's vtable: the shared create/fit/destroy around <symbol>_predict. */
#define BASELINE(symbol, text, param_table, count)                                                                \
    BENCH_BUILTIN(symbol, text, param_table, count, .create = baseline_create, .fit = baseline_fit,               \
                  .predict = symbol##_predict, .destroy = baseline_destroy)

BASELINE(naive, "repeat the last observed value (M4 Naive 1)", NULL, 0);
BASELINE(seasonal_naive, "repeat the last seasonal cycle (M4 Naive S)", period_params, 1);
BASELINE(naive2, "M4 Naive 2: naive on the seasonally adjusted series (multiplicative decomposition)", period_params,
         1);
BASELINE(mean, "mean of the trailing window (the look-back) repeated over the horizon", mean_params, 1);
