#include "reports/predictions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/csv_file.h"

/* One file's rows; strings point into the file or into owned. */
typedef struct bench_prediction_set {
    report_csv *csvs;
    size_t csv_count;
    char **owned;            /* strings made up for the harness format (horizon, seed) */
    size_t owned_count, owned_capacity;
    bench_prediction *rows;
    size_t count, capacity;
} bench_prediction_set;

static const char *own_string(bench_prediction_set *set, const char *text)
{
    char **owned = report_grow(set->owned, set->owned_count, &set->owned_capacity, sizeof *owned, 64);
    if (owned == NULL)
        return NULL;
    set->owned = owned;
    char *copy = strdup(text);
    if (copy != NULL)
        set->owned[set->owned_count++] = copy;
    return copy;
}

static bench_prediction *new_prediction(bench_prediction_set *set)
{
    bench_prediction *rows = report_grow(set->rows, set->count, &set->capacity, sizeof *rows, 1024);
    if (rows == NULL)
        return NULL;
    set->rows = rows;
    return &set->rows[set->count++];
}

static void bench_predictions_free(bench_prediction_set *set)
{
    for (size_t i = 0; i < set->csv_count; i++)
        report_csv_free(&set->csvs[i]);
    for (size_t i = 0; i < set->owned_count; i++)
        free(set->owned[i]);
    free(set->owned);
    free(set->rows);
}

/* The bench format: dataset,variant,horizon,seed,series,window,t,truth,pred,lower,upper[,level]. */
static int read_bench_predictions(bench_prediction_set *set, const report_csv *csv, bench_error *error)
{
    static const char *const names[] = {"dataset", "variant", "horizon", "seed", "series", "window",
                                        "t",       "truth",   "pred",    "lower", "upper"};
    long col[11];
    int status = report_csv_require(csv, names, col, 11, error);
    for (size_t r = 0; r < csv->rows && status == BENCH_OK; r++) {
        bench_prediction *p = new_prediction(set);
        if (p == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "reading %s", csv->path);
        p->dataset = report_csv_cell(csv, r, (size_t)col[0]);
        p->variant = report_csv_cell(csv, r, (size_t)col[1]);
        p->horizon = report_csv_cell(csv, r, (size_t)col[2]);
        p->seed = report_csv_cell(csv, r, (size_t)col[3]);
        p->series = report_csv_cell(csv, r, (size_t)col[4]);
        p->window = report_csv_cell(csv, r, (size_t)col[5]);
        p->truth_original = p->pred_original = NAN; /* this layout is in one, unnamed scale */
        p->lower_original = p->upper_original = NAN;
        status = report_csv_number(csv, r, col[6], &p->t, 0, error);
        if (status == BENCH_OK)
            status = report_csv_number(csv, r, col[7], &p->truth, 1, error);
        if (status == BENCH_OK)
            status = report_csv_number(csv, r, col[8], &p->pred, 1, error);
        if (status == BENCH_OK)
            status = report_csv_number(csv, r, col[9], &p->lower, 1, error);
        if (status == BENCH_OK)
            status = report_csv_number(csv, r, col[10], &p->upper, 1, error);
    }
    return status;
}

/* The run harness's per-cell file predictions/<cell_id>.csv:
 * window,series,origin,step,truth,prediction — dataset, variant, horizon and
 * seed come from the cell's rows in results.csv; t = origin + step − 1. */
static int read_cell_predictions(bench_prediction_set *set, const report_csv *csv, const bench_results *results,
                                 bench_error *error)
{
    static const char *const names[] = {"window", "series", "origin", "step", "truth", "prediction"};
    long col[6];
    int status = report_csv_require(csv, names, col, 6, error);
    if (status != BENCH_OK)
        return status;
    const char *base = strrchr(csv->path, '/');
    base = base ? base + 1 : csv->path;
    size_t id_length = strlen(base) - 4; /* without ".csv" */
    const bench_result *cell = NULL;
    for (size_t i = 0; results != NULL && i < results->count && cell == NULL; i++)
        if (strlen(results->rows[i].cell_id) == id_length && strncmp(results->rows[i].cell_id, base, id_length) == 0)
            cell = &results->rows[i];
    if (cell == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no cell '%.*s' in results.csv to say whose predictions these are",
                          csv->path, (int)id_length, base);
    /* Optional: the series' own units (files written since the predictions
     * became self-describing; older files have only the protocol scale). */
    long truth_original = report_csv_column(csv, "truth_original");
    long pred_original = report_csv_column(csv, "prediction_original");
    /* Optional: a probabilistic model's 10 % and 90 % quantiles (empty cells for a point forecaster). */
    long q10 = report_csv_column(csv, "q10"), q90 = report_csv_column(csv, "q90");
    long q10_original = report_csv_column(csv, "q10_original"), q90_original = report_csv_column(csv, "q90_original");
    char number[32];
    snprintf(number, sizeof number, "%ld", cell->horizon);
    const char *horizon = own_string(set, number);
    snprintf(number, sizeof number, "%ld", cell->seed);
    const char *seed = own_string(set, number);
    if (horizon == NULL || seed == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "reading %s", csv->path);
    for (size_t r = 0; r < csv->rows && status == BENCH_OK; r++) {
        bench_prediction *p = new_prediction(set);
        if (p == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "reading %s", csv->path);
        double origin, step;
        *p = (bench_prediction){.dataset = cell->dataset, .variant = cell->variant, .horizon = horizon, .seed = seed,
                              .series = report_csv_cell(csv, r, (size_t)col[1]),
                              .window = report_csv_cell(csv, r, (size_t)col[0]), .lower = NAN, .upper = NAN,
                              .truth_original = NAN, .pred_original = NAN, .lower_original = NAN,
                              .upper_original = NAN};
        status = report_csv_number(csv, r, col[2], &origin, 0, error);
        if (status == BENCH_OK)
            status = report_csv_number(csv, r, col[3], &step, 0, error);
        if (status == BENCH_OK)
            status = report_csv_number(csv, r, col[4], &p->truth, 1, error);
        if (status == BENCH_OK)
            status = report_csv_number(csv, r, col[5], &p->pred, 1, error);
        if (status == BENCH_OK && truth_original >= 0)
            status = report_csv_number(csv, r, truth_original, &p->truth_original, 1, error);
        if (status == BENCH_OK && pred_original >= 0)
            status = report_csv_number(csv, r, pred_original, &p->pred_original, 1, error);
        if (status == BENCH_OK && q10 >= 0 && q90 >= 0) {
            status = report_csv_number(csv, r, q10, &p->lower, 1, error);
            if (status == BENCH_OK)
                status = report_csv_number(csv, r, q90, &p->upper, 1, error);
        }
        if (status == BENCH_OK && q10_original >= 0 && q90_original >= 0) {
            status = report_csv_number(csv, r, q10_original, &p->lower_original, 1, error);
            if (status == BENCH_OK)
                status = report_csv_number(csv, r, q90_original, &p->upper_original, 1, error);
        }
        p->t = origin + step - 1.0;
    }
    return status;
}

int bench_predictions_each(const char *dir, const bench_results *results, bench_predictions_fn fn, void *context,
                           bench_error *error)
{
    char **files;
    size_t file_count;
    int status = report_list_files(&files, &file_count, dir, "predictions", ".csv", error);
    for (size_t i = 0; i < file_count && status == BENCH_OK; i++) {
        report_csv csv;
        bench_prediction_set set = {.csvs = &csv, .csv_count = 1};
        status = report_csv_read(&csv, files[i], error);
        if (status == BENCH_OK)
            status = report_csv_column(&csv, "prediction") >= 0 ? read_cell_predictions(&set, &csv, results, error)
                                                                : read_bench_predictions(&set, &csv, error);
        if (status == BENCH_OK)
            status = fn(context, set.rows, set.count, error);
        bench_predictions_free(&set);
    }
    report_free_files(files, file_count);
    return status;
}
