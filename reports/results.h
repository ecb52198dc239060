/* A run directory's results.csv, validated against the results contract:
 *   cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status
 * task ∈ forecast|hcsc|detect, horizon empty where meaningless, status ok|error
 * with value empty on error.  Also: which direction is better for each metric. */
#ifndef BENCH_REPORTS_RESULTS_H
#define BENCH_REPORTS_RESULTS_H

#include <stddef.h>

#include "bench/error.h"
#include "reports/csv_file.h"

typedef struct bench_result {
    const char *cell_id, *task, *dataset, *protocol, *model, *variant, *metric; /* into csv */
    long horizon;   /* 0 when the column is empty */
    long seed;
    double value;   /* NAN when !ok */
    int ok;         /* status == "ok" */
    size_t line;    /* record number in results.csv */
} bench_result;

typedef struct bench_results {
    report_csv csv;
    bench_result *rows;
    size_t count;
} bench_results;

/* Load and validate path; every problem is BENCH_BAD_INPUT naming path:line,
 * column and value.  The caller frees with bench_results_free (also after failure). */
int bench_results_load(bench_results *out, const char *path, bench_error *error);
void bench_results_free(bench_results *results);

/* -1 when lower is better, +1 when higher is better, 0 when unknown.  One
 * table (in results.c) lists the metric names; "name_suffix" inherits the
 * direction of "name" (corr_series, ap_car, mse_raw ...). */
int bench_metric_direction(const char *metric);

/* Human label of a metric ("MSE", "sMAPE", "AP (car)"), static or in buffer. */
const char *bench_metric_label(const char *metric, char *buffer, size_t size);

#endif
