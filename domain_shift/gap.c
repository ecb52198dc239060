#include "domain_shift/gap.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/escape.h"

static const char source_only_name[] = "source_only";
static const char oracle_name[] = "oracle";

static int is_map_row(const bench_result *row)
{
    return strcmp(row->task, "detect") == 0 && strcmp(row->metric, "map") == 0;
}

/* Index of name in names[0..count), or count when absent. */
static size_t find_name(const char *const *names, size_t count, const char *name)
{
    size_t i = 0;
    while (i < count && strcmp(names[i], name) != 0)
        i++;
    return i;
}

static double spread_of_difference(const bench_stats_summary *a, const bench_stats_summary *b)
{
    return sqrt(a->sd * a->sd + b->sd * b->sd); /* NAN when either has one seed */
}

/* Fill one method's summary of one pair from the ok map rows. */
static int summarize_method(shift_gap_method *method, const bench_results *results, const char *dataset,
                            double *scratch, const char *path, bench_error *error)
{
    size_t n = 0;
    for (size_t r = 0; r < results->count; r++) {
        const bench_result *row = &results->rows[r];
        if (!is_map_row(row) || strcmp(row->dataset, dataset) != 0 || strcmp(row->model, method->method) != 0)
            continue;
        if (row->ok && isfinite(row->value))
            scratch[n++] = row->value;
        else
            method->error_rows++;
    }
    method->map.n = 0;
    method->map.mean = method->map.sd = method->map.ci95 = NAN;
    if (n == 0)
        return BENCH_OK;
    int status = bench_stats_summarize(&method->map, scratch, n, error);
    if (status != BENCH_OK)
        bench_error_prefix(error, "%s: %s, %s: ", path, dataset, method->method);
    return status;
}

static void judge_pair(shift_gap_pair *pair, size_t method_count, size_t source_only, size_t oracle)
{
    pair->shift = pair->shift_sd = NAN;
    pair->shift_real = -1;
    const bench_stats_summary *base = source_only < method_count ? &pair->methods[source_only].map : NULL;
    for (size_t m = 0; m < method_count; m++) {
        shift_gap_method *method = &pair->methods[m];
        method->gain = method->gain_sd = NAN;
        if (base != NULL && base->n > 0 && method->map.n > 0 && m != source_only) {
            method->gain = method->map.mean - base->mean;
            method->gain_sd = spread_of_difference(&method->map, base);
        }
    }
    if (oracle >= method_count || base == NULL || base->n == 0 || pair->methods[oracle].map.n == 0)
        return;
    pair->shift = pair->methods[oracle].gain;
    pair->shift_sd = pair->methods[oracle].gain_sd;
    if (pair->shift < SHIFT_GAP_MIN_POINTS)
        pair->shift_real = 0; /* too small whatever the spread */
    else if (isfinite(pair->shift_sd))
        pair->shift_real = pair->shift > SHIFT_GAP_MIN_SIGMAS * pair->shift_sd;
}

int shift_gap_compute(shift_gap_report *out, const char *results_path, bench_error *error)
{
    memset(out, 0, sizeof *out);
    int status = bench_results_load(&out->results, results_path, error);
    if (status != BENCH_OK)
        return status;
    const bench_results *results = &out->results;
    /* Every name points into the results; the arrays are at most one per row. */
    out->methods = calloc(results->count + 1, sizeof *out->methods);
    const char **datasets = calloc(results->count + 1, sizeof *datasets);
    double *scratch = calloc(results->count + 1, sizeof *scratch);
    if (out->methods == NULL || datasets == NULL || scratch == NULL) {
        free(datasets);
        free(scratch);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", results_path);
    }
    size_t dataset_count = 0;
    for (size_t r = 0; r < results->count; r++) {
        const bench_result *row = &results->rows[r];
        if (!is_map_row(row))
            continue;
        if (find_name(out->methods, out->method_count, row->model) == out->method_count)
            out->methods[out->method_count++] = row->model;
        if (find_name(datasets, dataset_count, row->dataset) == dataset_count)
            datasets[dataset_count++] = row->dataset;
    }
    if (dataset_count == 0) {
        free(datasets);
        free(scratch);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no task=detect rows with metric map (is it a `bench shift run` output?)",
                          results_path);
    }
    out->pairs = calloc(dataset_count, sizeof *out->pairs);
    status = out->pairs == NULL ? BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", results_path) : BENCH_OK;
    size_t source_only = find_name(out->methods, out->method_count, source_only_name);
    size_t oracle = find_name(out->methods, out->method_count, oracle_name);
    for (size_t d = 0; d < dataset_count && status == BENCH_OK; d++) {
        shift_gap_pair *pair = &out->pairs[out->pair_count++];
        pair->dataset = datasets[d];
        pair->methods = calloc(out->method_count, sizeof *pair->methods);
        if (pair->methods == NULL) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", results_path);
            break;
        }
        for (size_t m = 0; m < out->method_count && status == BENCH_OK; m++) {
            pair->methods[m].method = out->methods[m];
            status = summarize_method(&pair->methods[m], results, pair->dataset, scratch, results_path, error);
        }
        if (status == BENCH_OK) {
            judge_pair(pair, out->method_count, source_only, oracle);
            out->real_pairs += pair->shift_real == 1;
        }
    }
    free(datasets);
    free(scratch);
    return status;
}

void shift_gap_report_free(shift_gap_report *report)
{
    for (size_t p = 0; p < report->pair_count; p++)
        free(report->pairs[p].methods);
    free(report->pairs);
    free(report->methods);
    bench_results_free(&report->results);
    memset(report, 0, sizeof *report);
}

/* "12.3 ± 1.4" in points, "12.3" with one seed, "–" without a value. */
static void format_points(char *buffer, size_t size, double mean, double sd, int signed_value)
{
    if (!isfinite(mean))
        snprintf(buffer, size, "–");
    else if (!isfinite(sd))
        snprintf(buffer, size, signed_value ? "%+.1f" : "%.1f", 100.0 * mean);
    else
        snprintf(buffer, size, signed_value ? "%+.1f ± %.1f" : "%.1f ± %.1f", 100.0 * mean, 100.0 * sd);
}

int shift_gap_write_markdown(FILE *stream, const shift_gap_report *report, bench_error *error)
{
    size_t source_only = find_name(report->methods, report->method_count, source_only_name);
    size_t oracle = find_name(report->methods, report->method_count, oracle_name);
    fprintf(stream, "**Endogenous shift and gains over source-only** (mAP × 100, mean ± std over seeds; the "
                    "spread of a difference is sqrt(std₁² + std₂²); a shift is real at ≥ %.0f points and > %.0f "
                    "of those spreads).\n\n| pair | source_only | oracle | shift | shift / spread | real |",
            100.0 * SHIFT_GAP_MIN_POINTS, SHIFT_GAP_MIN_SIGMAS);
    for (size_t m = 0; m < report->method_count; m++)
        if (m != source_only && m != oracle) {
            fputc(' ', stream);
            bench_escape_markdown(stream, report->methods[m]);
            fputs(" − source_only |", stream);
        }
    fprintf(stream, "\n|:---|---:|---:|---:|---:|:---:|");
    for (size_t m = 0; m < report->method_count; m++)
        if (m != source_only && m != oracle)
            fprintf(stream, "---:|");
    fputc('\n', stream);
    char text[64];
    for (size_t p = 0; p < report->pair_count; p++) {
        const shift_gap_pair *pair = &report->pairs[p];
        /* Pair (dataset) and method names come from results.csv: Markdown-escaped. */
        fputs("| ", stream);
        bench_escape_markdown(stream, pair->dataset);
        fputs(" |", stream);
        for (size_t m = 0; m < 2; m++) {
            size_t index = m == 0 ? source_only : oracle;
            const bench_stats_summary *map = index < report->method_count ? &pair->methods[index].map : NULL;
            format_points(text, sizeof text, map ? map->mean : NAN, map ? map->sd : NAN, 0);
            fprintf(stream, " %s%s |", text, map && pair->methods[index].error_rows > 0 ? " ‡" : "");
        }
        format_points(text, sizeof text, pair->shift, pair->shift_sd, 0);
        fprintf(stream, " %s |", text);
        if (isfinite(pair->shift) && isfinite(pair->shift_sd) && pair->shift_sd > 0)
            fprintf(stream, " %.1f |", pair->shift / pair->shift_sd);
        else
            fprintf(stream, " – |");
        fprintf(stream, " %s |", pair->shift_real == 1 ? "yes" : pair->shift_real == 0 ? "**no**" : "–");
        for (size_t m = 0; m < report->method_count; m++) {
            if (m == source_only || m == oracle)
                continue;
            const shift_gap_method *method = &pair->methods[m];
            format_points(text, sizeof text, method->gain, method->gain_sd, 1);
            fprintf(stream, " %s%s |", text, method->error_rows > 0 ? " ‡" : "");
        }
        fputc('\n', stream);
    }
    /* How much of the shift each method closes: issue 23 asks for 30 % on every pair. */
    if (source_only < report->method_count && oracle < report->method_count) {
        fputs("\n**Share of the shift closed** (gain over source-only / (oracle − source-only), means over seeds).\n\n"
              "| pair |",
              stream);
        for (size_t m = 0; m < report->method_count; m++)
            if (m != source_only && m != oracle) {
                fputc(' ', stream);
                bench_escape_markdown(stream, report->methods[m]);
                fputs(" |", stream);
            }
        fputs("\n|:---|", stream);
        for (size_t m = 0; m < report->method_count; m++)
            if (m != source_only && m != oracle)
                fputs("---:|", stream);
        fputc('\n', stream);
        for (size_t p = 0; p < report->pair_count; p++) {
            const shift_gap_pair *pair = &report->pairs[p];
            fputs("| ", stream);
            bench_escape_markdown(stream, pair->dataset);
            fputs(" |", stream);
            for (size_t m = 0; m < report->method_count; m++) {
                if (m == source_only || m == oracle)
                    continue;
                double share = pair->methods[m].gain / pair->shift;
                if (isfinite(share) && pair->shift > 0)
                    fprintf(stream, " %.0f %% |", 100.0 * share);
                else
                    fputs(" – |", stream);
            }
            fputc('\n', stream);
        }
    }
    fprintf(stream, "\nThe shift is real on %zu of %zu pairs", report->real_pairs, report->pair_count);
    size_t undecided = 0;
    for (size_t p = 0; p < report->pair_count; p++)
        undecided += report->pairs[p].shift_real == -1;
    if (undecided > 0)
        fprintf(stream, " (%zu undecided: source-only or oracle missing, or one seed only)", undecided);
    fputc('.', stream);
    size_t errors = 0;
    for (size_t p = 0; p < report->pair_count; p++)
        for (size_t m = 0; m < report->method_count; m++)
            errors += report->pairs[p].methods[m].error_rows;
    if (errors > 0)
        fprintf(stream, " ‡ %zu error row%s left out of the means.", errors, errors == 1 ? "" : "s");
    fputc('\n', stream);
    if (ferror(stream))
        return BENCH_FAIL(error, BENCH_IO, "cannot write the shift table");
    return BENCH_OK;
}

int shift_gap_write_choice(FILE *stream, const char *run_json_path, bench_error *error)
{
    json_error_t json_error;
    json_t *root = json_load_file(run_json_path, 0, &json_error);
    if (root == NULL)
        return BENCH_OK; /* an older run, or a results.csv given alone */
    const json_t *choices = json_object_get(root, "psn_variant_choice");
    if (json_is_array(choices) && json_array_size(choices) > 0) {
        fputs("\n**PSN variant chosen by the fixed rule** (for the pairs into a device: the highest mean "
              "target-validation mAP on the pairs into the other devices; no target test number is used).\n\n"
              "| target | chosen | scores (validation mAP × 100 on the other targets) |\n|:---|:---|:---|\n",
              stream);
        size_t i;
        const json_t *choice;
        json_array_foreach(choices, i, choice) {
            const char *target = json_string_value(json_object_get(choice, "target"));
            const char *chosen = json_string_value(json_object_get(choice, "chosen"));
            fputs("| ", stream);
            bench_escape_markdown(stream, target ? target : "?");
            fputs(" | ", stream);
            bench_escape_markdown(stream, chosen ? chosen : "?");
            fputs(" |", stream);
            const char *name;
            const json_t *score;
            json_object_foreach(json_object_get(choice, "other_targets_val_map"), name, score) {
                fputc(' ', stream);
                bench_escape_markdown(stream, name);
                fprintf(stream, " %.1f", 100.0 * json_number_value(score));
            }
            fputs(" |\n", stream);
        }
    }
    json_decref(root);
    if (ferror(stream))
        return BENCH_FAIL(error, BENCH_IO, "cannot write the variant choice");
    return BENCH_OK;
}
