/* Forecasts stored by a run (DIR/predictions/), in either layout that
 * reports/README.md documents: the bench layout
 *   dataset,variant,horizon,seed,series,window,t,truth,pred,lower,upper[,level]
 * or the run harness's per-cell files <cell_id>.csv
 *   window,series,origin,step,truth,prediction[,...,q10,q90,...]
 * whose cell is looked up in results.csv.  Used for forecast plots and for
 * Diebold-Mariano tests on per-window losses. */
#ifndef BENCH_REPORTS_PREDICTIONS_H
#define BENCH_REPORTS_PREDICTIONS_H

#include <stddef.h>

#include "bench/error.h"
#include "reports/csv_file.h"
#include "reports/results.h"

/* One forecast step (or one look-back step, pred NAN) after reading either layout. */
typedef struct bench_prediction {
    const char *dataset, *variant, *horizon, *seed, *series, *window; /* borrowed */
    double t, truth, pred, lower, upper;                               /* NAN when absent */
    /* The same truth and forecast in the series' own units (the protocol's
     * scaling undone), from the harness's files; NAN when the file has none. */
    double truth_original, pred_original;
    /* The 10 % and 90 % sample quantiles of a probabilistic model in the series'
     * units (lower and upper hold them on the protocol scale); NAN when absent. */
    double lower_original, upper_original;
} bench_prediction;

/* Called once per predictions file with its rows; the rows and their strings
 * are valid only during the call (copy what you keep, e.g. with
 * report_strings_intern).  A non-OK return stops the reading. */
typedef int (*bench_predictions_fn)(void *context, const bench_prediction *rows, size_t count,
                                    bench_error *error);

/* Read the CSV files of DIR/predictions/ one at a time (sorted by name; none
 * when the directory is absent), so memory holds one file, not the run.
 * results names the cells of harness-layout <cell_id>.csv files (may be NULL
 * when there are none).  Malformed files are BENCH_BAD_INPUT naming file:line. */
int bench_predictions_each(const char *dir, const bench_results *results, bench_predictions_fn fn, void *context,
                           bench_error *error);

#endif
