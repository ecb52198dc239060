/* The HCSC benchmark: a configuration (INI) → a plan of cells (model × seed) →
 * trained encoders, evaluation rows in the results contract, per-epoch curves
 * and checkpoints.
 *
 *   [run]    seeds, jobs, threads, train_limit, test_limit, checkpoints, data_dir,
 *            split (test | validation: the last 10000 training images play the test set)
 *   [hcsc]   the one training/evaluation recipe shared by every model
 *   [model VARIANT]  method (default: VARIANT), seeds, and any [hcsc] key as an override
 *            (for searches on the validation split; the benchmark keeps one recipe)
 *
 * Outputs in DIR: results.csv (cell_id,task,dataset,protocol,model,variant,
 * horizon,seed,metric,value,status; plan order), timings.csv, run.json,
 * curves/<cell_id>.csv (model,variant,seed,epoch,split,metric,value),
 * checkpoints/<variant>-seed<S>.ckpt (+ .json describing the architecture). */
#ifndef BENCH_HCSC_RUN_H
#define BENCH_HCSC_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/error.h"
#include "datasets/idx.h"
#include "hcsc/evaluate.h"
#include "hcsc/train.h"

#define HCSC_MAX_CELLS 256
#define HCSC_MAX_SEEDS 16

typedef struct hcsc_eval_config {
    size_t linear_epochs;      /* 100 */
    size_t linear_holdout;     /* 10000 */
    double linear_learning_rate;
    size_t kmeans_restarts;    /* 10 */
    /* What the evaluations read (issue 22: decided on the training split):
     * the backbone's features (0, default) or the projection head's output
     * (1), L2-normalised either way; and what k-means clusters: those (0,
     * default) or their PCA-whitening fitted on the training features,
     * L2-normalised (1). */
    int projection_features;
    int whitened_kmeans;
    /* What k-means reads when it differs from what kNN and the probe read
     * (issue 22's study: k-means is best on the projection output, where
     * HCSC's own prototypes live, kNN and the probe on the backbone):
     * HCSC_KMEANS_SAME (0, default), HCSC_KMEANS_BACKBONE or
     * HCSC_KMEANS_PROJECTION. */
    int kmeans_features;
} hcsc_eval_config;

/* In the order of eval_kmeans_features' choices "same|backbone|projection". */
enum { HCSC_KMEANS_SAME = 0, HCSC_KMEANS_BACKBONE = 1, HCSC_KMEANS_PROJECTION = 2 };

/* 1 when the config's k-means reads the projection output. */
int hcsc_eval_kmeans_projection(const hcsc_eval_config *config);

/* Everything that decides a cell's numbers besides method, seed and data. */
typedef struct hcsc_recipe {
    hcsc_train_config train;
    hcsc_eval_config eval;
} hcsc_recipe;

typedef struct hcsc_cell {
    char id[17];               /* 16 hex digits: hash of the resolved definition */
    char variant[64];
    const hcsc_method *method;
    uint64_t seed;
    hcsc_recipe recipe;        /* [hcsc] with the [model] section's overrides */
} hcsc_cell;

typedef struct hcsc_plan {
    hcsc_train_config train;
    hcsc_eval_config eval;
    size_t train_limit, test_limit;   /* 0 = the whole split */
    int validation;                   /* split = validation */
    unsigned jobs, threads;
    int checkpoints;
    char data_dir[4096];              /* "" = the default Fashion-MNIST location */
    hcsc_cell cells[HCSC_MAX_CELLS];
    size_t cell_count;
    char config_path[4096];
} hcsc_plan;

/* Parse and validate a configuration; every key must be known (a typo is
 * BENCH_BAD_INPUT naming path:line and the keys that exist). */
int hcsc_plan_load(hcsc_plan *plan, const char *path, bench_error *error);

/* One evaluation row. */
typedef struct hcsc_result {
    const char *protocol;  /* knn200, knn20, linear, kmeans */
    const char *metric;    /* accuracy, nmi, ami, ari */
    double value;
} hcsc_result;

#define HCSC_RESULT_COUNT 7

/* Evaluate features (already L2-normalised) of train/test: fills results[7] in
 * the fixed order knn200, knn20, linear, kmeans nmi/ami/ari/accuracy.  kNN and
 * the probe read train/test (n, d); k-means reads kmeans_train/kmeans_test
 * (n, kmeans_d) when those are not NULL, else the same features. */
int hcsc_evaluate_features(hcsc_result *results, const float *train, const uint8_t *train_labels, size_t train_count,
                           const float *test, const uint8_t *test_labels, size_t test_count, size_t d,
                           const float *kmeans_train, const float *kmeans_test, size_t kmeans_d,
                           const hcsc_eval_config *config, uint64_t seed, bench_error *error);

/* Progress as text lines, for the command line to print (library code prints
 * nothing): one per phase, per training epoch and per finished cell ("[i/n]
 * ..."; a failed cell's line ends with its whole error message).  With worker
 * processes the lines come from the workers.  A NULL hcsc_progress, or a NULL
 * line, is quiet; the text lives only during the call. */
typedef struct hcsc_progress {
    void (*line)(void *context, const char *line);
    void *context;
} hcsc_progress;

/* Hands one formatted line to progress's callback, if any. */
void hcsc_progress_say(const hcsc_progress *progress, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Run one cell: train (unless raw), save the checkpoint, evaluate, and write
 * DIR/cells/<id>.csv (its rows; status=error rows when the cell failed) and
 * DIR/curves/<id>.csv.  This is the function a harness calls per cell; it
 * returns BENCH_OK when the rows were written, even for a failed cell. */
int hcsc_run_cell(const hcsc_plan *plan, size_t cell_index, const bench_image_set *train,
                  const bench_image_set *test, const char *out_dir, const hcsc_progress *progress,
                  bench_error *error);

/* 1 when DIR/cells/<id>.csv holds the cell's valid rows and none is an error
 * row: --resume keeps it.  Failed and damaged cells run again, since a failure
 * caused by the machine (memory, a killed worker) usually does not repeat. */
int hcsc_cell_done(const hcsc_cell *cell, const char *out_dir);

/* After the cells ran (the harness runs them: bench/run_tasks.h): merges
 * DIR/results.csv, timings.csv and run.json in plan order; a cell without rows
 * becomes error rows, a damaged one fails the merge naming it.  *failed counts
 * the cells with error rows.  results.csv is written last. */
int hcsc_merge(const hcsc_plan *plan, const char *out_dir, size_t *failed, bench_error *error);

/* Evaluate a saved checkpoint (its .json sidecar gives the architecture and the
 * run's evaluation settings: data limits, split, probe recipe, seed).  Arguments
 * override the sidecar: config NULL, limits HCSC_FROM_CHECKPOINT and seed
 * HCSC_SEED_FROM_CHECKPOINT keep the run's values, so the rows of the run are
 * reproduced.  results[7] as hcsc_evaluate_features. */
#define HCSC_FROM_CHECKPOINT ((size_t)-1)
#define HCSC_SEED_FROM_CHECKPOINT UINT64_MAX
int hcsc_evaluate_checkpoint(hcsc_result *results, const char *checkpoint_path, const char *data_dir,
                             size_t train_limit, size_t test_limit, const hcsc_eval_config *config, uint64_t seed,
                             bench_error *error);
/* The same with the run's settings except what the evaluations read:
 * projection_features, kmeans_features and whitened_kmeans as in
 * hcsc_eval_config, or -1 for the checkpoint's own (issue 22: one trained
 * encoder, evaluated each way). */
int hcsc_evaluate_checkpoint_as(hcsc_result *results, const char *checkpoint_path, const char *data_dir,
                                size_t train_limit, size_t test_limit, int projection_features, int kmeans_features,
                                int whitened_kmeans, uint64_t seed, bench_error *error);

/* Load Fashion-MNIST (optionally the first `limit` images of each split).  With
 * `validation`, the official test set is not read: the last 10000 training
 * images become the evaluation set and the first 50000 the training set.  Both
 * sets are released with bench_image_set_free() (nothing to free on failure). */
int hcsc_load_data(bench_image_set *train, bench_image_set *test, const char *data_dir, size_t train_limit,
                   size_t test_limit, int validation, bench_error *error);

#endif
