/* `bench tune`: hyper-parameter search the way Elsayed et al. report it (Sec. 5):
 * tune on the protocol's validation split (fit on the training part without its
 * last val_fraction, score on that held-out part), then refit the best setting on
 * the whole training part (train + validation) and evaluate ONCE on test.
 *
 * The search space is declared: a built-in space per forecaster (gbrt, gbrt_naive,
 * ridge; listed by bench_tune_space_text) or the caller's own
 * "name=v1,v2,...;name=..." text.  Every trial setting is resolved against the
 * forecaster's schema before anything runs, so a bad space writes nothing.
 * Random search draws distinct settings with a bench_rng seeded from the options;
 * grid search enumerates the product in declared order.  Same seed → same trials,
 * same tuning.csv, same results.csv.
 *
 * Outputs (each written atomically once the search is over):
 *   DIR/tuning.csv   dataset,protocol,model,variant,horizon,trial,<one column per
 *                    axis>,metric,value,status — every trial, in order;
 *   DIR/results.csv  the results contract for the refit-and-test cell(s);
 *   DIR/run.json     options, space, chosen setting per (dataset, horizon), trial
 *                    and refit timings, errors. */
#ifndef BENCH_TUNE_H
#define BENCH_TUNE_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"

typedef struct bench_tune_options {
    const char *out_dir;        /* required */
    const char *model;          /* a [model VARIANT] label of the config, or a forecaster name */
    size_t budget;              /* trials per (dataset, horizon), >= 1 */
    int grid;                   /* 1: grid search in declared order; 0: random search */
    uint64_t seed;              /* search, fit and predict seed */
    const char *metric;         /* NULL: the protocol's first metric; corr_* are maximised */
    const char *space;          /* NULL: the forecaster's built-in space */
    unsigned threads;           /* 0: the config's threads for the model */
    /* Called with one line per finished trial / refit (CLI progress); may be NULL. */
    void (*progress)(void *context, const char *line);
    void *progress_context;
} bench_tune_options;

/* Runs the whole search for every dataset × horizon of the config the model
 * applies to.  BENCH_BAD_INPUT for an unknown model, an empty or malformed space,
 * a value the schema rejects or a metric the protocol does not report; trial
 * failures are recorded as status=error rows (the best successful trial wins; if
 * none succeeded the cell is status=error). */
int bench_tune(const char *config_path, const bench_tune_options *options, bench_error *error);

/* The built-in space of a forecaster as "name=v1,v2;..." (static), or NULL. */
const char *bench_tune_space_text(const char *forecaster);

#endif
