/* Forecasts stored by a run (DIR/predictions/), in either layout that
 * reports/README.md documents: the bench layout
 *   dataset,variant,horizon,seed,series,window,t,truth,pred,lower,upper[,level]
 * or the run harness's per-cell files <cell_id>.csv
 *   window,series,origin,step,truth,prediction
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
} bench_prediction;

typedef struct bench_prediction_set {
    report_csv *csvs;
    size_t csv_count;
    char **owned;            /* strings made up for the harness format (horizon, seed, window) */
    size_t owned_count, owned_capacity;
    bench_prediction *rows;
    size_t count, capacity;
} bench_prediction_set;

/* Read every CSV file in DIR/predictions/ into *set (zeroed first; none when the
 * directory is absent).  results (may be NULL when no harness-layout file is
 * present) names the cells of <cell_id>.csv files.  Strings point into set,
 * which the caller frees with bench_predictions_free, also after a failure. */
int bench_predictions_load(bench_prediction_set *set, const char *dir, const bench_results *results,
                           bench_error *error);
void bench_predictions_free(bench_prediction_set *set);

#endif
