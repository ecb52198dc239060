#include "reports/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const contract_columns[] = {"cell_id", "task",    "dataset", "protocol",
                                               "model",   "variant", "horizon", "seed",
                                               "metric",  "value",   "status"};
enum { CONTRACT_COLUMNS = sizeof contract_columns / sizeof contract_columns[0] };

int bench_results_load(bench_results *out, const char *path, bench_error *error)
{
    memset(out, 0, sizeof *out);
    int status = report_csv_read(&out->csv, path, error);
    if (status != BENCH_OK)
        return status;
    const report_csv *csv = &out->csv;
    if (csv->columns != CONTRACT_COLUMNS)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:1: %zu columns, the results contract has %d (%s,...)",
                          path, csv->columns, CONTRACT_COLUMNS, contract_columns[0]);
    for (size_t i = 0; i < CONTRACT_COLUMNS; i++)
        if (strcmp(csv->header[i], contract_columns[i]) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:1: column %zu is '%s', expected '%s'", path, i + 1,
                              csv->header[i], contract_columns[i]);
    out->rows = calloc(csv->rows ? csv->rows : 1, sizeof *out->rows);
    if (out->rows == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: %zu rows", path, csv->rows);
    for (size_t r = 0; r < csv->rows; r++) {
        const char *f[CONTRACT_COLUMNS];
        for (size_t c = 0; c < CONTRACT_COLUMNS; c++)
            f[c] = report_csv_cell(csv, r, c);
        bench_result *row = &out->rows[r];
        size_t line = csv->lines[r];
        *row = (bench_result){.cell_id = f[0], .task = f[1], .dataset = f[2], .protocol = f[3], .model = f[4],
                              .variant = f[5], .metric = f[8], .line = line, .value = NAN};
        if (strcmp(row->task, "forecast") != 0 && strcmp(row->task, "hcsc") != 0 && strcmp(row->task, "detect") != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: task '%s' is not forecast, hcsc or detect", path,
                              line, row->task);
        const size_t required[] = {2, 4, 5, 8};
        for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
            if (f[required[i]][0] == '\0')
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: column '%s' is empty", path, line,
                                  contract_columns[required[i]]);
        if (f[6][0] != '\0' && (report_parse_long(f[6], &row->horizon) != 0 || row->horizon < 1))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: horizon '%s' is not a positive integer", path,
                              line, f[6]);
        if (report_parse_long(f[7], &row->seed) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: seed '%s' is not an integer", path, line, f[7]);
        if (strcmp(f[10], "ok") == 0) {
            row->ok = 1;
            if (report_parse_double(f[9], &row->value) != 0)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: value '%s' is not a finite number", path,
                                  line, f[9]);
        } else if (strcmp(f[10], "error") == 0) {
            if (f[9][0] != '\0')
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: status is error but value is '%s' (must be empty)",
                                  path, line, f[9]);
        } else {
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: status '%s' is not ok or error", path, line, f[10]);
        }
    }
    out->count = csv->rows;
    return BENCH_OK;
}

void bench_results_free(bench_results *results)
{
    if (results == NULL)
        return;
    free(results->rows);
    report_csv_free(&results->csv);
    memset(results, 0, sizeof *results);
}

/* The one place that says which way each metric points and how it is printed. */
static const struct metric_info {
    const char *name;
    int direction;
    const char *label;
} metric_table[] = {
    {"mse", -1, "MSE"},          {"mae", -1, "MAE"},        {"rmse", -1, "RMSE"},
    {"wape", -1, "WAPE"},        {"nd", -1, "ND"},          {"nrmse", -1, "NRMSE"},
    {"mape", -1, "MAPE"},        {"smape", -1, "sMAPE"},    {"mase", -1, "MASE"},
    {"rse", -1, "RSE"},          {"owa", -1, "OWA"},        {"crps", -1, "CRPS"},
    {"ql", -1, "quantile loss"},
    {"loss", -1, "loss"},        {"corr", +1, "CORR"},      {"accuracy", +1, "accuracy"},
    {"acc", +1, "accuracy"},     {"knn_acc", +1, "kNN accuracy"}, {"nmi", +1, "NMI"},
    {"ami", +1, "AMI"},          {"ari", +1, "ARI"},        {"map", +1, "mAP"},
    {"ap", +1, "AP"},            {"auc", +1, "AUC"},        {"f1", +1, "F1"},
    {"learning_rate", 0, "learning rate"},
    /* HCSC's training curves (hcsc/run.c): the monitor's test-set measures. */
    {"knn200_accuracy", +1, "kNN-200 accuracy"}, {"kmeans_nmi", +1, "k-means NMI"},
    {"kmeans_accuracy", +1, "k-means accuracy"}, {"loss_instance", -1, "instance loss"},
    {"loss_prototype", -1, "prototype loss"},
};

static const struct metric_info *metric_lookup(const char *metric, const char **suffix)
{
    const struct metric_info *best = NULL;
    size_t best_length = 0;
    *suffix = NULL;
    for (size_t i = 0; i < sizeof metric_table / sizeof metric_table[0]; i++) {
        size_t length = strlen(metric_table[i].name);
        if (strncmp(metric, metric_table[i].name, length) != 0 || length <= best_length)
            continue;
        if (metric[length] == '\0' || metric[length] == '_') {
            best = &metric_table[i];
            best_length = length;
            *suffix = metric[length] == '_' ? metric + length + 1 : NULL;
        }
    }
    return best;
}

int bench_metric_direction(const char *metric)
{
    const char *suffix;
    const struct metric_info *info = metric_lookup(metric, &suffix);
    return info ? info->direction : 0;
}

const char *bench_metric_label(const char *metric, char *buffer, size_t size)
{
    const char *suffix;
    const struct metric_info *info = metric_lookup(metric, &suffix);
    if (info == NULL)
        return metric;
    if (suffix == NULL)
        return info->label;
    snprintf(buffer, size, "%s (%s)", info->label, suffix);
    return buffer;
}
