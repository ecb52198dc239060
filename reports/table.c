#include "reports/table.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/escape.h"
#include "reports/csv_file.h"

/* ---- small helpers ------------------------------------------------------------ */

static int in_list(const char *name, const char *const *list, size_t count)
{
    return report_find_string(list, count, name) >= 0;
}


/* Append name to a growing array of borrowed strings unless present. */
static int add_unique(const char ***names, size_t *count, size_t *capacity, const char *name)
{
    if (report_find_string(*names, *count, name) >= 0)
        return 0;
    const char **bigger = report_grow(*names, *count, capacity, sizeof *bigger, 8);
    if (bigger == NULL)
        return -1;
    *names = bigger;
    (*names)[(*count)++] = name;
    return 0;
}

/* "a, b, c" of the distinct values of one column among the rows (for messages). */
static void list_values(char *buffer, size_t size, const bench_results *results, size_t field_offset)
{
    const char *distinct[64];
    size_t distinct_count = 0, used = 0;
    buffer[0] = '\0';
    for (size_t i = 0; i < results->count && distinct_count < 64 && used + 1 < size; i++) {
        const char *value = *(const char *const *)((const char *)&results->rows[i] + field_offset);
        if (report_find_string(distinct, distinct_count, value) >= 0)
            continue;
        distinct[distinct_count++] = value;
        used += (size_t)snprintf(buffer + used, size - used, "%s%s", used ? ", " : "", value);
    }
}

static int check_names(const bench_results *results, const char *const *names, size_t count,
                       size_t field_offset, size_t second_offset, const char *what, bench_error *error)
{
    for (size_t n = 0; n < count; n++) {
        int found = 0;
        for (size_t i = 0; i < results->count && !found; i++) {
            const char *value = *(const char *const *)((const char *)&results->rows[i] + field_offset);
            const char *other = *(const char *const *)((const char *)&results->rows[i] + second_offset);
            found = strcmp(value, names[n]) == 0 || strcmp(other, names[n]) == 0;
        }
        if (!found) {
            char known[768];
            list_values(known, sizeof known, results, field_offset);
            return BENCH_FAIL(error, BENCH_NOT_FOUND, "%s: no %s '%s' in the results; they have: %s",
                              results->csv.path, what, names[n], known);
        }
    }
    return BENCH_OK;
}

static int selected(const bench_result *row, const bench_table_options *options)
{
    if (options->task != NULL && strcmp(row->task, options->task) != 0)
        return 0;
    if (options->dataset_count > 0 && !in_list(row->dataset, options->datasets, options->dataset_count))
        return 0;
    if (options->model_count > 0 && !in_list(row->variant, options->models, options->model_count) &&
        !in_list(row->model, options->models, options->model_count))
        return 0;
    return 1;
}

/* Round to the table's displayed precision so bold/underline and wins agree
 * with what the reader sees. */
static double displayed(double value, int digits)
{
    char text[64];
    snprintf(text, sizeof text, "%.*f", digits, value);
    return strtod(text, NULL);
}

/* ---- building ------------------------------------------------------------------- */

typedef struct seed_list {
    long *values;
    size_t count, capacity;
} seed_list;

static int add_seed(seed_list *seeds, long seed)
{
    for (size_t i = 0; i < seeds->count; i++)
        if (seeds->values[i] == seed)
            return 0;
    long *values = report_grow(seeds->values, seeds->count, &seeds->capacity, sizeof *values, 8);
    if (values == NULL)
        return -1;
    seeds->values = values;
    seeds->values[seeds->count++] = seed;
    return 0;
}

static int compare_long(const void *a, const void *b)
{
    long left = *(const long *)a, right = *(const long *)b;
    return (left > right) - (left < right);
}

static int choose_digits(const bench_table *table)
{
    double smallest = INFINITY, largest = 0.0;
    for (size_t i = 0; i < table->row_count * table->column_count; i++) {
        double magnitude = fabs(table->cells[i].mean);
        if (table->cells[i].n_ok == 0 || magnitude == 0.0)
            continue;
        smallest = fmin(smallest, magnitude);
        largest = fmax(largest, magnitude);
    }
    if (!isfinite(smallest))
        return 3;
    if (smallest >= 1000.0)
        return 1;
    /* At least two significant digits for the smallest value, at most 6 decimals. */
    int digits = (int)ceil(-log10(smallest)) + 1;
    if (digits < 3)
        digits = 3;
    return digits > 6 ? 6 : digits;
}

static int row_matches(const bench_table_row *row, const bench_result *r)
{
    return row->horizon == r->horizon && strcmp(row->dataset, r->dataset) == 0 && strcmp(row->protocol, r->protocol) == 0;
}

/* The table row of a result, trying hint first (results come in plan order, so
 * consecutive results usually share a row); row_count when there is none. */
static size_t find_row(const bench_table *table, const bench_result *r, size_t hint)
{
    if (hint < table->row_count && row_matches(&table->rows[hint], r))
        return hint;
    for (size_t row = 0; row < table->row_count; row++)
        if (row_matches(&table->rows[row], r))
            return row;
    return table->row_count;
}

/* Holm's step-down adjustment of the defined p-values among p[0..k) (NAN
 * entries are not comparisons): the i-th smallest of m is multiplied by
 * m - i, and adjusted values never decrease along the order (Holm 1979). */
static void holm_adjust(double *adjusted, const double *p, size_t k)
{
    size_t m = 0;
    for (size_t c = 0; c < k; c++) {
        adjusted[c] = NAN;
        m += !isnan(p[c]);
    }
    double running = 0;
    for (size_t i = 0; i < m; i++) {
        size_t smallest = k;
        for (size_t c = 0; c < k; c++)
            if (!isnan(p[c]) && isnan(adjusted[c]) && (smallest == k || p[c] < p[smallest]))
                smallest = c;
        double value = p[smallest] * (double)(m - i);
        running = value > running ? value : running;
        adjusted[smallest] = running < 1 ? running : 1;
    }
}

static int build_one(bench_table *table, const bench_results *results, const bench_table_options *options,
                     const char *task, const char *metric, bench_error *error)
{
    table->task = task;
    table->metric = metric;
    table->direction = bench_metric_direction(metric);
    table->versus_column = -1;
    size_t row_capacity = 0, variant_capacity = 0, protocol_count = 0, protocol_capacity = 0;
    const char **protocols = NULL;
    seed_list seeds = {0};
    size_t last_row = 0;
    int status = BENCH_OK;
    for (size_t i = 0; i < results->count && status == BENCH_OK; i++) {
        const bench_result *r = &results->rows[i];
        if (!selected(r, options) || strcmp(r->task, task) != 0 || strcmp(r->metric, metric) != 0)
            continue;
        if (add_unique(&table->variants, &table->column_count, &variant_capacity, r->variant) != 0 ||
            add_unique(&protocols, &protocol_count, &protocol_capacity, r->protocol) != 0 ||
            add_seed(&seeds, r->seed) != 0) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "building the %s table", metric);
            break;
        }
        size_t row = find_row(table, r, last_row);
        last_row = row;
        if (row == table->row_count) {
            if (table->row_count == row_capacity) {
                row_capacity = row_capacity ? 2 * row_capacity : 16;
                bench_table_row *bigger = realloc(table->rows, row_capacity * sizeof *bigger);
                if (bigger == NULL) {
                    status = BENCH_FAIL(error, BENCH_NO_MEMORY, "building the %s table", metric);
                    break;
                }
                table->rows = bigger;
            }
            table->rows[table->row_count++] =
                (bench_table_row){.dataset = r->dataset, .protocol = r->protocol, .horizon = r->horizon};
        }
    }
    if (status == BENCH_OK) {
        /* Group rows by dataset keeping the first appearance of each dataset. */
        bench_table_row *ordered = malloc((table->row_count ? table->row_count : 1) * sizeof *ordered);
        if (ordered == NULL) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "building the %s table", metric);
        } else {
            size_t placed = 0;
            for (size_t i = 0; i < table->row_count; i++) {
                int earlier = 0;
                for (size_t j = 0; j < i && !earlier; j++)
                    earlier = strcmp(table->rows[j].dataset, table->rows[i].dataset) == 0;
                if (earlier)
                    continue;
                for (size_t j = i; j < table->row_count; j++)
                    if (strcmp(table->rows[j].dataset, table->rows[i].dataset) == 0)
                        ordered[placed++] = table->rows[j];
            }
            memcpy(table->rows, ordered, table->row_count * sizeof *ordered);
            free(ordered);
        }
        /* Within one dataset and protocol, horizons ascending (stable insertion sort). */
        for (size_t i = 1; i < table->row_count; i++) {
            bench_table_row key = table->rows[i];
            size_t j = i;
            while (j > 0 && strcmp(table->rows[j - 1].dataset, key.dataset) == 0 &&
                   strcmp(table->rows[j - 1].protocol, key.protocol) == 0 && table->rows[j - 1].horizon > key.horizon) {
                table->rows[j] = table->rows[j - 1];
                j--;
            }
            table->rows[j] = key;
        }
    }
    size_t cell_count = table->row_count * table->column_count;
    double **values = NULL;
    if (status == BENCH_OK) {
        table->cells = calloc(cell_count ? cell_count : 1, sizeof *table->cells);
        values = calloc(cell_count ? cell_count : 1, sizeof *values);
        for (size_t c = 0; table->cells != NULL && values != NULL && c < cell_count; c++)
            if ((values[c] = calloc(seeds.count ? seeds.count : 1, sizeof **values)) == NULL)
                break;
        if (table->cells == NULL || values == NULL || (cell_count > 0 && values[cell_count - 1] == NULL))
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "building the %s table", metric);
    }
    for (size_t i = 0; i < results->count && status == BENCH_OK; i++) {
        const bench_result *r = &results->rows[i];
        if (!selected(r, options) || strcmp(r->task, task) != 0 || strcmp(r->metric, metric) != 0)
            continue;
        size_t row = find_row(table, r, last_row);
        last_row = row;
        size_t column = (size_t)report_find_string(table->variants, table->column_count, r->variant);
        bench_table_cell *cell = &table->cells[row * table->column_count + column];
        if (!r->ok) {
            cell->n_error++;
        } else if (cell->n_ok < seeds.count) {
            values[row * table->column_count + column][cell->n_ok++] = r->value;
        }
    }
    for (size_t c = 0; c < cell_count && status == BENCH_OK; c++) {
        bench_table_cell *cell = &table->cells[c];
        cell->mean = cell->sd = cell->ci95 = NAN;
        if (cell->n_ok > 0) {
            bench_stats_summary summary;
            status = bench_stats_summarize(&summary, values[c], cell->n_ok, error);
            cell->mean = summary.mean;
            cell->sd = summary.sd;
            cell->ci95 = summary.ci95;
            /* Every seed gave the same value (a deterministic model): print the
             * value alone, not "± 0.0000", and say so once in the caption. */
            int same = cell->n_ok > 1;
            for (size_t i = 1; same && i < cell->n_ok; i++)
                same = values[c][i] == values[c][0];
            /* (compared value by value: a mean of equal values can differ from
             * them in the last bit, so sd is not exactly 0) */
            if (same) {
                cell->deterministic = 1;
                table->deterministic_cells++;
            }
        }
        if (cell->n_ok == 0 && cell->n_error > 0)
            table->error_cells++;
        else if (cell->n_ok > 0 && cell->n_error > 0)
            table->partial_cells++;
        else if (cell->n_ok == 0)
            table->missing_cells++;
        else if (cell->n_ok < seeds.count) {
            if (table->fewer_seed_cells == 0 || cell->n_ok < table->fewer_seed_minimum)
                table->fewer_seed_minimum = cell->n_ok;
            table->fewer_seed_cells++;
        }
    }
    if (values != NULL)
        for (size_t c = 0; c < cell_count; c++)
            free(values[c]);
    free(values);
    if (status == BENCH_OK) {
        qsort(seeds.values, seeds.count, sizeof *seeds.values, compare_long);
        table->seed_count = seeds.count;
        size_t length = 1, protocol_length = 1;
        for (size_t i = 0; i < seeds.count; i++)
            length += 24;
        for (size_t i = 0; i < protocol_count; i++)
            protocol_length += strlen(protocols[i]) + 2;
        table->seeds = calloc(length, 1);
        table->protocols = calloc(protocol_length, 1);
        if (table->seeds == NULL || table->protocols == NULL) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "building the %s table", metric);
        } else {
            size_t used = 0;
            for (size_t i = 0; i < seeds.count; i++)
                used += (size_t)snprintf(table->seeds + used, length - used, "%s%ld", i ? ", " : "", seeds.values[i]);
            used = 0;
            for (size_t i = 0; i < protocol_count; i++)
                used += (size_t)snprintf(table->protocols + used, protocol_length - used, "%s%s", i ? ", " : "",
                                         protocols[i]);
        }
        table->show_protocol = strcmp(task, "forecast") != 0 || protocol_count > 1;
        for (size_t r = 0; r < table->row_count; r++)
            table->show_horizon |= table->rows[r].horizon > 0;
    }
    free(protocols);
    free(seeds.values);
    if (status != BENCH_OK)
        return status;

    table->digits = options->digits >= 0 ? options->digits : choose_digits(table);
    table->show_ci = options->ci;
    table->columns = options->columns;
    if (options->note != NULL && options->note[0] != '\0' && (table->note = strdup(options->note)) == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "table: cannot copy the caption note");
    size_t k = table->column_count;
    /* Places per row on displayed values. */
    for (size_t r = 0; r < table->row_count && table->direction != 0; r++) {
        bench_table_cell *row = &table->cells[r * k];
        double best = NAN, second = NAN;
        for (size_t c = 0; c < k; c++) {
            if (row[c].n_ok == 0)
                continue;
            double v = table->direction * displayed(row[c].mean, table->digits);
            if (isnan(best) || v > best) {
                if (!isnan(best))
                    second = best;
                best = v;
            } else if (v < best && (isnan(second) || v > second)) {
                second = v;
            }
        }
        /* "Second best" only when something is worse still: the second of two
         * (or a value tied for last) is the worst, and underlining it as a
         * runner-up misleads. */
        int below_second = 0;
        for (size_t c = 0; c < k && !isnan(second); c++)
            below_second |= row[c].n_ok > 0 && table->direction * displayed(row[c].mean, table->digits) < second;
        for (size_t c = 0; c < k; c++) {
            if (row[c].n_ok == 0)
                continue;
            double v = table->direction * displayed(row[c].mean, table->digits);
            row[c].place = v == best ? 1 : (v == second && below_second ? 2 : 0);
            table->has_second |= row[c].place == 2;
        }
    }
    /* Average ranks and Friedman over complete rows. */
    if (k >= 2 && table->direction != 0) {
        double *scores = malloc((table->row_count ? table->row_count : 1) * k * sizeof *scores);
        if (scores == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "ranking the %s table", metric);
        size_t complete = 0;
        for (size_t r = 0; r < table->row_count;) {
            /* One unit: a dataset's rows (adjacent), or with rank_by_row one row. */
            size_t end = r + 1;
            while (!options->rank_by_row && end < table->row_count &&
                   strcmp(table->rows[end].dataset, table->rows[r].dataset) == 0)
                end++;
            /* The unit's score: the mean over its complete rows (every variant
             * has a value), so one failed horizon does not drop a dataset. */
            size_t used = 0;
            for (size_t c = 0; c < k; c++)
                scores[complete * k + c] = 0;
            for (size_t u = r; u < end; u++) {
                int full = 1;
                for (size_t c = 0; c < k; c++)
                    full &= table->cells[u * k + c].n_ok > 0;
                if (!full)
                    continue;
                for (size_t c = 0; c < k; c++)
                    scores[complete * k + c] += table->cells[u * k + c].mean;
                used++;
            }
            if (used > 0) {
                for (size_t c = 0; c < k; c++)
                    scores[complete * k + c] /= (double)used;
                complete++;
            }
            r = end;
        }
        table->complete_rows = complete;
        table->ranked_by_row = options->rank_by_row;
        table->cd05 = NAN;
        if (complete > 0) {
            table->avg_ranks = calloc(k, sizeof *table->avg_ranks);
            table->firsts = calloc(k, sizeof *table->firsts);
            if (table->avg_ranks == NULL || table->firsts == NULL)
                status = BENCH_FAIL(error, BENCH_NO_MEMORY, "ranking the %s table", metric);
            else {
                /* First places, as the TSLib and TFB leaderboards count them. */
                for (size_t r = 0; r < table->row_count; r++)
                    for (size_t c = 0; c < k; c++)
                        table->firsts[c] += table->cells[r * k + c].place == 1;
            }
            if (status == BENCH_OK)
                status = bench_stats_friedman(&table->friedman, table->avg_ranks, scores, complete, k,
                                              table->direction > 0, error);
            /* Friedman's χ² approximation and the Nemenyi CD mean little over
             * one or two rows (with k = 2 and N = 2 the Iman–Davenport F has 1
             * denominator df): they are "n/a" there rather than numbers. */
            table->has_friedman = status == BENCH_OK && complete >= BENCH_TABLE_MIN_FRIEDMAN_ROWS;
            if (table->has_friedman && k <= BENCH_NEMENYI_MAX_K)
                bench_stats_nemenyi_cd(&table->cd05, k, complete, 0.05, NULL);
        }
        free(scores);
        if (status != BENCH_OK)
            return status;
    }
    if (options->versus != NULL && table->direction != 0) {
        table->versus_column = report_find_string(table->variants, k, options->versus);
        if (table->versus_column >= 0) {
            table->wins = calloc(3 * k, sizeof *table->wins);
            if (table->wins == NULL)
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "counting wins in the %s table", metric);
            table->ties = table->wins + k;
            table->losses = table->wins + 2 * k;
            table->wilcoxon_p = malloc(2 * k * sizeof *table->wilcoxon_p);
            table->holm_p = table->wilcoxon_p ? table->wilcoxon_p + k : NULL;
            double *pairs = malloc(2 * (table->row_count ? table->row_count : 1) * sizeof *pairs);
            if (table->wilcoxon_p == NULL || pairs == NULL) {
                free(pairs);
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "testing the %s table", metric);
            }
            for (size_t c = 0; c < k; c++) {
                size_t n = 0;
                for (size_t r = 0; r < table->row_count; r++) {
                    const bench_table_cell *x = &table->cells[r * k + (size_t)table->versus_column];
                    const bench_table_cell *y = &table->cells[r * k + c];
                    if (x->n_ok == 0 || y->n_ok == 0)
                        continue;
                    pairs[n] = y->mean;
                    pairs[table->row_count + n++] = x->mean;
                }
                bench_wilcoxon test;
                table->wilcoxon_p[c] = (long)c != table->versus_column && n > 0 &&
                                               bench_stats_wilcoxon(&test, pairs, pairs + table->row_count, n, NULL) ==
                                                   BENCH_OK
                                           ? test.p
                                           : NAN;
            }
            free(pairs);
            holm_adjust(table->holm_p, table->wilcoxon_p, k);
            for (size_t r = 0; r < table->row_count; r++) {
                const bench_table_cell *x = &table->cells[r * k + (size_t)table->versus_column];
                for (size_t c = 0; c < k; c++) {
                    const bench_table_cell *y = &table->cells[r * k + c];
                    if (x->n_ok == 0 || y->n_ok == 0 || (long)c == table->versus_column)
                        continue;
                    double a = table->direction * displayed(y->mean, table->digits);
                    double b = table->direction * displayed(x->mean, table->digits);
                    if (a > b)
                        table->wins[c]++;
                    else if (a < b)
                        table->losses[c]++;
                    else
                        table->ties[c]++;
                }
            }
        }
    }
    return BENCH_OK;
}

static void free_table(bench_table *table)
{
    free(table->rows);
    free((void *)table->variants);
    free(table->cells);
    free(table->protocols);
    free(table->seeds);
    free(table->note);
    free(table->avg_ranks);
    free(table->firsts);
    free(table->wins);
    free(table->wilcoxon_p);
}

void bench_tables_free(bench_table_set *set)
{
    if (set == NULL)
        return;
    for (size_t i = 0; i < set->count; i++)
        free_table(&set->tables[i]);
    free(set->tables);
    memset(set, 0, sizeof *set);
}

int bench_tables_build(bench_table_set *out, const bench_results *results,
                       const bench_table_options *options_in, bench_error *error)
{
    memset(out, 0, sizeof *out);
    bench_table_options defaults = {.digits = -1};
    const bench_table_options *options = options_in ? options_in : &defaults;
    const char *path = results->csv.path;
    if (options->task != NULL) {
        const char *task = options->task;
        if (check_names(results, &task, 1, offsetof(bench_result, task), offsetof(bench_result, task), "task",
                        error) != BENCH_OK)
            return error ? error->code : BENCH_NOT_FOUND;
    }
    int status = check_names(results, options->metrics, options->metric_count, offsetof(bench_result, metric),
                             offsetof(bench_result, metric), "metric", error);
    if (status == BENCH_OK)
        status = check_names(results, options->models, options->model_count, offsetof(bench_result, variant),
                             offsetof(bench_result, model), "variant or model", error);
    if (status == BENCH_OK)
        status = check_names(results, options->datasets, options->dataset_count, offsetof(bench_result, dataset),
                             offsetof(bench_result, dataset), "dataset", error);
    if (status == BENCH_OK && options->versus != NULL)
        status = check_names(results, &options->versus, 1, offsetof(bench_result, variant),
                             offsetof(bench_result, variant), "variant", error);
    if (status != BENCH_OK)
        return status;

    /* (task, metric) pairs in the order the user asked for, else file order. */
    const char **tasks = NULL, **metrics = NULL;
    size_t pair_count = 0, pair_capacity = 0;
    for (size_t pass = 0; pass < (options->metric_count ? options->metric_count : 1); pass++) {
        for (size_t i = 0; i < results->count; i++) {
            const bench_result *r = &results->rows[i];
            if (!selected(r, options))
                continue;
            if (options->metric_count > 0 && strcmp(r->metric, options->metrics[pass]) != 0)
                continue;
            int seen = 0;
            for (size_t p = 0; p < pair_count && !seen; p++)
                seen = strcmp(tasks[p], r->task) == 0 && strcmp(metrics[p], r->metric) == 0;
            if (seen)
                continue;
            if (pair_count == pair_capacity) {
                pair_capacity = pair_capacity ? 2 * pair_capacity : 8;
                const char **t = realloc(tasks, pair_capacity * sizeof *t);
                if (t != NULL)
                    tasks = t;
                const char **m = realloc(metrics, pair_capacity * sizeof *m);
                if (m != NULL)
                    metrics = m;
                if (t == NULL || m == NULL) {
                    free(tasks);
                    free(metrics);
                    return BENCH_FAIL(error, BENCH_NO_MEMORY, "listing tables");
                }
            }
            tasks[pair_count] = r->task;
            metrics[pair_count++] = r->metric;
        }
    }
    if (pair_count == 0) {
        free(tasks);
        free(metrics);
        return BENCH_FAIL(error, BENCH_NOT_FOUND, "%s: no results match the selection", path);
    }
    out->tables = calloc(pair_count, sizeof *out->tables);
    if (out->tables == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "building %zu tables", pair_count);
    for (size_t p = 0; p < pair_count && status == BENCH_OK; p++) {
        out->count++;
        status = build_one(&out->tables[p], results, options, tasks[p], metrics[p], error);
    }
    free(tasks);
    free(metrics);
    if (status != BENCH_OK)
        bench_tables_free(out);
    return status;
}

int bench_table_format_parse(const char *name, bench_table_format *format)
{
    static const char *const names[] = {"md", "tex", "csv", "html"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *format = (bench_table_format)i;
            return 0;
        }
    return -1;
}

const char *bench_table_format_extension(bench_table_format format)
{
    switch (format) {
    case BENCH_TABLE_MD: return "md";
    case BENCH_TABLE_TEX: return "tex";
    case BENCH_TABLE_CSV: return "csv";
    case BENCH_TABLE_HTML: return "html";
    }
    return "txt";
}


int bench_table_columns_parse(const char *name, bench_table_columns *columns)
{
    if (strcmp(name, "variants") == 0)
        *columns = BENCH_TABLE_COLUMNS_VARIANTS;
    else if (strcmp(name, "datasets") == 0)
        *columns = BENCH_TABLE_COLUMNS_DATASETS;
    else
        return -1;
    return 0;
}
