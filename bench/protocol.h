/* Evaluation protocols: how a dataset becomes a forecasting task (split,
 * windows, scaling) and how predictions become metric values.  Each protocol is
 * documented in one place, at the top of its bench/protocol_NAME.c. */
#ifndef BENCH_PROTOCOL_H
#define BENCH_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "bench/forecaster.h"
#include "datasets/dataset.h"

#define BENCH_PROTOCOL_ABI_VERSION 1
#define BENCH_TASK_MAX_METRICS 16

typedef enum {
    BENCH_STAGE_TEST = 0,       /* fit on the training part (+ validation for early
                                   stopping), evaluate once on the test part */
    BENCH_STAGE_VALIDATION = 1  /* fit on the training part only, evaluate on the
                                   validation part: for tuning, never for tables */
} bench_stage;

struct bench_protocol;

/* Everything one (dataset, protocol, horizon) cell needs; built by a protocol's
 * prepare(), freed with bench_task_free().  The views point into its own storage. */
typedef struct bench_task {
    const struct bench_protocol *protocol;
    bench_task_info info;
    bench_train_view train;              /* series views for fit() */
    bench_forecast_request request;      /* the evaluation windows for predict() */
    double *truth;                       /* (window_count × horizon), protocol scale */
    size_t metric_count;
    const char *metric_names[BENCH_TASK_MAX_METRICS];

    /* Owned storage behind the views. */
    bench_series_view *series_views;     /* (series_count) */
    bench_forecast_window *windows;      /* (window_count) */
    double *values;                      /* scaled values of all series, concatenated */
    size_t *series_offset;               /* (series_count) start of each series in values */
    size_t *series_full_length;          /* (series_count) values held per series */
    int64_t *timestamps;                 /* like values, or NULL when the data has none */
    float *covariates;                   /* covariates of all series, concatenated, or NULL */
    char **covariate_names;              /* (covariate_count) */
    double *scale_mean, *scale_std;      /* per series: value = (raw − mean) / std */
    void *protocol_state;                /* protocol-specific evaluation data */
    /* The split this task resolved, recorded in run.json: the rule that chose it
     * ("ett_hourly", "70/10/20", ...) and the row ranges of every series: train
     * [0, train_end), validation [train_end, validation_end), test
     * [validation_end, test_end).  All 0 for per-series holdouts (m4). */
    char split_rule[64];
    size_t train_end, validation_end, test_end;
    void (*free_protocol_state)(void *state);
} bench_task;

typedef struct bench_protocol {
    uint32_t abi_version;                /* BENCH_PROTOCOL_ABI_VERSION */
    const char *name;
    int version;                         /* bumped whenever results would change */
    const char *description;
    const bench_param_spec *params;      /* settings accepted in a [dataset] section */
    size_t param_count;
    /* Default horizons when the config gives none (count written to *count). */
    size_t (*default_horizons)(const bench_dataset *dataset, size_t *horizons, size_t capacity);
    /* *out is freed with bench_task_free().  Errors naming the dataset and
     * setting are BENCH_BAD_INPUT (horizon longer than the series, ...). */
    int (*prepare)(bench_task **out, const bench_dataset *dataset, const bench_params *settings,
                   size_t horizon, bench_stage stage, bench_error *error);
    /* values[0..task->metric_count) from predictions (window_count × horizon). */
    int (*evaluate)(const bench_task *task, const double *prediction, double *values, bench_error *error);
} bench_protocol;

/* Defines bench_protocol_<id>: a protocol's parts follow one naming, <id>_params,
 * <id>_default_horizons, <id>_prepare and <id>_evaluate, so each file ends with
 * one line naming its version and description. */
#define BENCH_PROTOCOL(id, version_number, text)                                                                  \
    const bench_protocol bench_protocol_##id = {.abi_version = BENCH_PROTOCOL_ABI_VERSION,                        \
                                                .name = #id,                                                      \
                                                .version = version_number,                                        \
                                                .description = text,                                              \
                                                .params = id##_params,                                            \
                                                .param_count = sizeof id##_params / sizeof id##_params[0],        \
                                                .default_horizons = id##_default_horizons,                        \
                                                .prepare = id##_prepare,                                          \
                                                .evaluate = id##_evaluate}

extern const bench_protocol bench_protocol_paper;
extern const bench_protocol bench_protocol_ltsf;
extern const bench_protocol bench_protocol_m4;

const bench_protocol *bench_protocol_find(const char *name);
size_t bench_protocol_list(const bench_protocol *const **list);
const char *bench_protocol_names(void);  /* "paper, ltsf, m4" (static) */

void bench_task_free(bench_task *task);

/* Helpers shared by the protocol implementations (bench/task.c). */
/* Copies the selected series (raw values, timestamps) into a new task; the
 * protocol then scales, sets train lengths and adds windows.  NULL on no memory. */
bench_task *bench_task_new(const bench_protocol *protocol, const bench_dataset *dataset, size_t horizon,
                           const size_t *series_indices, size_t series_count);
/* Allocate window_count windows and their truth rows; fills nothing. */
int bench_task_alloc_windows(bench_task *task, size_t window_count, bench_error *error);
/* Point window w at series s with its origin (history_length) and copy the truth. */
void bench_task_set_window(bench_task *task, size_t w, size_t series, size_t origin);
/* Parse a series selection: "all", "first:N" (the first N series, e.g. the
 * paper's first 70 Electricity clients) or a comma list of names ("OT",
 * "HUFL,OT"; "name:7" is the series named 7).  A bare number is refused as
 * ambiguous, and so is a name given twice.  *indices is malloc'ed (the caller
 * frees it). */
int bench_select_series(const bench_dataset *dataset, const char *selection, size_t **indices, size_t *count,
                        bench_error *error);
/* The syntax check of a selection alone (no dataset needed), for config-time
 * messages: 0 when valid, else -1 with the problem written to `problem`. */
int bench_series_selection_check(const char *selection, char *problem, size_t size);
/* Z-score each series with mean/std of values[0, fit_length) (population std, as
 * sklearn's StandardScaler); a constant series keeps std 1. */
void bench_task_standardize(bench_task *task, size_t fit_length);
int bench_task_set_metrics(bench_task *task, const char *const *names, size_t count);
/* Calendar covariates for all series of an aligned (or single-axis) dataset,
 * named by a comma list ("none" or "" for none).  Timestamps come from the data or
 * from start_date + step. */
int bench_task_add_calendar(bench_task *task, const bench_dataset *dataset, const char *names,
                            const char *start_date, bench_error *error);

#endif
