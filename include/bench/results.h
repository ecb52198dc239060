/* The results contract, written in one place.
 *
 * Every task's results.csv has the same eleven columns,
 *   cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status
 * one row per metric of a cell, in plan order.  The header and the row writer
 * live here so the tasks (forecast, hcsc, detect) and the harness (run, merge,
 * tune) cannot drift apart; reports/results.h reads the file back. */
#ifndef BENCH_RESULTS_H
#define BENCH_RESULTS_H

#include <stdio.h>

#define BENCH_RESULTS_HEADER "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n"

/* One row.  Texts as they should read (labels from configurations and data are
 * CSV-quoted here when they need it); value is the formatted number, or "" on
 * an error row (ok = 0). */
typedef struct bench_result_row {
    const char *cell_id, *task, *dataset, *protocol, *model, *variant;
    const char *horizon;   /* "" when the task has none */
    const char *seed;
    const char *metric;
    const char *value;
    int ok;
} bench_result_row;

/* Write row as one CSV line (a write error stays in ferror(out)). */
void bench_results_write_row(FILE *out, const bench_result_row *row);

#endif
