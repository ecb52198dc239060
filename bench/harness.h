/* The run harness: a configuration becomes a plan of cells (dataset × horizon ×
 * model variant × seed); each cell runs in its own worker process with its own
 * fixed thread count and writes its rows to DIR/cells/<cell_id>.csv atomically;
 * the files are merged in plan order into DIR/results.csv, so --jobs, shards and
 * resumed runs give byte-identical results.  A cell whose model fails (or whose
 * worker crashes) becomes status=error rows; the sweep goes on. */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/params.h"
#include "bench/forecaster.h"
#include "bench/protocol.h"

#define BENCH_MAX_HORIZONS 16
#define BENCH_MAX_SEEDS 64


typedef struct bench_plan_dataset {
    char *label;                    /* section label: the results' `dataset` column */
    char *source;                   /* registry name */
    const bench_protocol *protocol;
    bench_owned_params settings;
    size_t horizons[BENCH_MAX_HORIZONS];
    size_t horizon_count;
    bench_dataset *data;
    bench_task *tasks[BENCH_MAX_HORIZONS]; /* prepared once, shared by the workers */
} bench_plan_dataset;

typedef struct bench_plan_model {
    char *variant;                  /* section label: the results' `variant` column */
    const bench_forecaster *forecaster;
    bench_owned_params params;
    char *dataset_filter;           /* comma list of dataset labels, or NULL = all */
    unsigned threads;
    char *forecasts;                /* an external model's file (bench/external.h): the path,
                                     * config-relative resolved, "{seed}" still in it; else NULL */
    size_t forecasts_line;          /* its config line, for messages */
    uint64_t seeds[BENCH_MAX_SEEDS]; /* its own `seeds = ...`, overriding [run] seeds (a slow model
                                     * run on fewer seeds); --seeds overrides both */
    size_t seed_count;              /* 0: the plan's seeds */
} bench_plan_model;

typedef struct bench_cell {
    size_t index;                   /* position in plan order */
    char id[17];                    /* 16 hex digits: hash of the resolved definition */
    size_t dataset, horizon_index, model;
    size_t horizon;
    uint64_t seed;
    unsigned threads;
} bench_cell;

typedef struct bench_plan {
    char *config_path;
    bench_plan_dataset *datasets;
    size_t dataset_count;
    bench_plan_model *models;
    size_t model_count;
    uint64_t seeds[BENCH_MAX_SEEDS];
    size_t seed_count;
    int predictions;                /* write DIR/predictions/<cell_id>.csv */
    double **external;              /* per cell: an external model's forecasts lined up with the
                                     * cell's windows (window_count × horizon), else NULL */
    char (*external_sha256)[65];    /* per cell: the sha256 of that file, else "" */
    char **external_path;           /* per cell: that file's path, {seed} filled in, else NULL */
    double timeout_seconds;         /* [run] timeout: wall-clock limit per cell, 0 = none */
    unsigned long long memory_limit_mb; /* [run] memory_limit: address-space limit per worker, 0 = none */
    bench_cell *cells;
    size_t cell_count;
} bench_plan;

typedef struct bench_run_options {
    const char *out_dir;
    const uint64_t *seeds;          /* overrides [run] seeds when seed_count > 0 */
    size_t seed_count;
    unsigned jobs;                  /* worker processes at once (>= 1) */
    unsigned threads;               /* overrides every cell's threads when > 0 */
    int quiet;
    /* Called in the parent after each finished cell (status "ok" or "error"),
     * and for cells kept by --resume (cell NULL); may be NULL.  message is the
     * failed cell's error text as run.json records it (whole, possibly several
     * lines), NULL for an ok cell; it lives only during the call. */
    void (*progress)(void *context, const struct bench_plan *plan, const struct bench_cell *cell,
                     const char *status, const char *message, size_t done, size_t total);
    void *progress_context;
    int resume;                     /* keep finished cells found in out_dir/cells */
    int predictions;                /* force predictions on */
    unsigned shard_index, shard_count; /* run only cells with index % count == shard */
    const char *const *plugins;     /* --plugin paths, loaded before the config */
    size_t plugin_count;
    double timeout_seconds;         /* --timeout: overrides [run] timeout when > 0 */
    unsigned long long memory_limit_mb; /* --memory-limit: overrides [run] memory_limit when > 0 */
    int allow_modified_data;        /* --allow-modified-data: use a pinned dataset whose sha256 differs (recorded in run.json) */
} bench_run_options;

typedef struct bench_run_summary {
    size_t cells_run, cells_skipped, cells_failed;
    double seconds;
    int stop_signal;                /* SIGINT/SIGTERM that interrupted the run, else 0 */
    size_t foreign_files;           /* entries in DIR/cells bench did not name (left alone) */
} bench_run_summary;

/* Build and validate the whole plan: config keys, datasets (loaded), protocol
 * settings and tasks, model parameters (each model is created once in a scratch
 * worker so a value a library rejects fails here).  Nothing is written.  *out is
 * freed with bench_plan_free().  Bad input → BENCH_BAD_INPUT/NOT_FOUND naming file:line. */
int bench_plan_build(bench_plan **out, const char *config_path, const bench_run_options *options,
                     bench_error *error);
void bench_plan_free(bench_plan *plan);

/* Run the plan's cells into options->out_dir and merge results.csv, timings.csv,
 * run.json and plan.csv.  Returns BENCH_OK even when cells failed (see summary);
 * an error means the run itself could not proceed (unwritable directory, ...). */
int bench_plan_run(bench_plan *plan, const bench_run_options *options, bench_run_summary *summary,
                   bench_error *error);

/* The metrics a cell must report (its protocol's, then the sample metrics of a
 * probabilistic model), space-separated into out: what plan.csv records and the
 * cell validator demands. */
void bench_cell_metric_list(const bench_plan *plan, const bench_cell *cell, char *out, size_t size);


#endif
