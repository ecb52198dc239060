/* Protocol `m4` (version 1): the M4 competition (Makridakis et al. 2020).
 *
 * - Each series' training file values are the history; its test-file values (the
 *   holdout, 48 for Hourly, 13 for Weekly) are the one forecast window.
 * - sMAPE (×100) and MASE with the frequency's seasonal period m (Hourly 24,
 *   Weekly 1), each averaged over series; OWA = ½(sMAPE/sMAPE_Naive2 +
 *   MASE/MASE_Naive2), so Naive2's own OWA is exactly 1.  Naive2 (M4's
 *   benchmark code: seasonality test at 90 %, multiplicative decomposition) is
 *   computed here for every task so OWA needs no second run.
 * - Validation stage: the last H training values of each series are held out. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/metrics.h"
#include "bench/protocol.h"
#include "forecasters/baselines.h"

static const bench_param_spec m4_params[] = {
    {.name = "series", .type = BENCH_PARAM_STRING, .default_value = "all",
     .doc = "all, first:N (the first N series), or a comma list of series ids"},
};

static const char *const m4_metrics[] = {"smape", "mase", "owa"};

typedef struct {
    double smape_naive2, mase_naive2;
} m4_state;

static size_t m4_default_horizons(const bench_dataset *dataset, size_t *horizons, size_t capacity)
{
    if (capacity < 1 || dataset->series_count == 0)
        return 0;
    horizons[0] = dataset->series[0].holdout_length;
    return 1;
}

/* The protocol's score of one forecast set: per-series sMAPE and MASE, averaged. */
static void m4_scores(const bench_task *task, const double *prediction, double *smape, double *mase)
{
    size_t h = task->info.horizon;
    double smape_sum = 0.0, mase_sum = 0.0;
    for (size_t w = 0; w < task->request.window_count; w++) {
        const bench_forecast_window *window = &task->windows[w];
        smape_sum += bench_metric_smape(prediction + w * h, task->truth + w * h, h);
        mase_sum += bench_metric_mase(prediction + w * h, task->truth + w * h, h, window->history,
                                      window->history_length, task->info.seasonal_period);
    }
    *smape = smape_sum / (double)task->request.window_count;
    *mase = mase_sum / (double)task->request.window_count;
}

static int m4_prepare(bench_task **out, const bench_dataset *dataset, const bench_params *settings,
                      size_t horizon, bench_stage stage, bench_error *error)
{
    const char *selection;
    if (bench_params_get_string(settings, "series", &selection, error))
        return error->code;
    size_t *indices = NULL, count = 0;
    if (bench_select_series(dataset, selection, &indices, &count, error) != BENCH_OK)
        return error->code;
    for (size_t i = 0; i < count; i++) {
        const bench_series *series = &dataset->series[indices[i]];
        size_t needed = stage == BENCH_STAGE_VALIDATION ? 2 * horizon : horizon;
        if (stage == BENCH_STAGE_TEST && series->holdout_length != horizon) {
            free(indices);
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s: series '%s' has a test part of %zu values; the m4 protocol's horizon must equal it (got %zu)",
                              dataset->name, series->name, series->holdout_length, horizon);
        }
        if (series->length < needed || series->length == 0) {
            free(indices);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: series '%s' has %zu values, too short for horizon %zu",
                              dataset->name, series->name, series->length, horizon);
        }
    }
    /* The task holds history + holdout per series so windows can point at both. */
    bench_dataset extended = *dataset;
    bench_series *joined = calloc(count ? count : 1, sizeof *joined);
    if (joined == NULL) {
        free(indices);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    int status = BENCH_OK;
    for (size_t i = 0; i < count && status == BENCH_OK; i++) {
        const bench_series *series = &dataset->series[indices[i]];
        size_t extra = stage == BENCH_STAGE_TEST ? series->holdout_length : 0;
        joined[i].name = series->name;
        joined[i].length = series->length + extra;
        joined[i].values = malloc(joined[i].length * sizeof *joined[i].values);
        if (joined[i].values == NULL) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
            break;
        }
        memcpy(joined[i].values, series->values, series->length * sizeof *joined[i].values);
        if (extra)
            memcpy(joined[i].values + series->length, series->holdout, extra * sizeof *joined[i].values);
    }
    size_t *identity = malloc((count ? count : 1) * sizeof *identity);
    bench_task *task = NULL;
    if (status == BENCH_OK && identity != NULL) {
        for (size_t i = 0; i < count; i++)
            identity[i] = i;
        extended.series = joined;
        extended.series_count = count;
        task = bench_task_new(&bench_protocol_m4, &extended, horizon, identity, count);
    }
    for (size_t i = 0; i < count; i++)
        free(joined[i].values);
    free(joined), free(identity), free(indices);
    if (status != BENCH_OK)
        return status;
    if (task == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", dataset->name);
    /* Hand-assembled series carry no timestamps: views must not point at them. */
    bench_task_set_metrics(task, m4_metrics, 3);
    m4_state *state = calloc(1, sizeof *state);
    if (state == NULL || bench_task_alloc_windows(task, count, error) != BENCH_OK) {
        free(state);
        bench_task_free(task);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", dataset->name);
    }
    task->protocol_state = state;
    task->free_protocol_state = free;
    for (size_t s = 0; s < count; s++) {
        size_t origin = task->series_full_length[s] - horizon;
        task->series_views[s].length = task->series_views[s].train_length = origin;
        bench_task_set_window(task, s, s, origin);
    }
    double *reference = malloc((count * horizon > 0 ? count * horizon : 1) * sizeof *reference);
    if (reference == NULL) {
        bench_task_free(task);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    for (size_t w = 0; w < count && status == BENCH_OK; w++) {
        int outcome = bench_naive2_forecast(reference + w * horizon, task->windows[w].history,
                                            task->windows[w].history_length, task->info.seasonal_period, horizon);
        if (outcome == BENCH_UNSUPPORTED) /* OWA is relative to Naive2, which M4 defines for positive data */
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s: series %zu is seasonal and has values <= 0; the m4 protocol's OWA needs Naive2's "
                                "multiplicative decomposition, which needs positive values",
                                dataset->name, task->windows[w].series_index);
        else if (outcome != BENCH_OK)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    if (status == BENCH_OK)
        m4_scores(task, reference, &state->smape_naive2, &state->mase_naive2);
    free(reference);
    if (status != BENCH_OK) {
        bench_task_free(task);
        return status;
    }
    snprintf(task->split_rule, sizeof task->split_rule, "m4 holdout per series");
    *out = task;
    return BENCH_OK;
}

static int m4_evaluate(const bench_task *task, const double *prediction, double *values, bench_error *error)
{
    (void)error;
    const m4_state *state = task->protocol_state;
    m4_scores(task, prediction, &values[0], &values[1]);
    values[2] = bench_metric_owa(values[0], values[1], state->smape_naive2, state->mase_naive2);
    return BENCH_OK;
}

BENCH_PROTOCOL(m4, 1,
               "M4 competition: one holdout window per series, sMAPE, MASE, OWA vs Naive2");
