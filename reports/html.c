#include "reports/html.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/escape.h"
#include "core/files.h"
#include "reports/csv_file.h"
#include "reports/dm.h"
#include "reports/plot.h"
#include "reports/results.h"
#include "reports/table.h"

/* Names on the page (datasets, variants, figure titles, messages quoting
 * them, run.json values) come from user data: all text goes through
 * bench_escape_html and every href through bench_escape_url_path. */

static const char page_style[] =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;"
    "color:#111;line-height:1.4}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #bbb;padding-bottom:.2em;margin-top:2em}\n"
    "table.results{border-collapse:collapse;margin:1.2em 0 .3em;font-size:.9em}\n"
    "table.results caption{caption-side:top;text-align:left;font-weight:bold;padding-bottom:.4em;max-width:60em}\n"
    "table.results th,table.results td{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left}\n"
    "table.results thead th{border-top:2px solid #111;border-bottom:1px solid #111}\n"
    "table.results tbody tr:last-child td,table.results tbody tr:last-child th{border-bottom:2px solid #111}\n"
    "table.results td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "table.results td.hole{background:#fbe9e7;color:#a00;text-align:center}\n"
    "table.results tfoot th,table.results tfoot td{font-style:italic}\n"
    "p.notes{font-size:.85em;color:#444;max-width:60em}\n"
    "table.meta{border-collapse:collapse}table.meta th{text-align:left;padding-right:1em;vertical-align:top}\n"
    "table.meta td,table.meta th{padding:.15em .5em .15em 0}\n"
    "figure{margin:1.5em 0;padding:0}figure svg,figure img{max-width:100%;height:auto;border:1px solid #eee}\n"
    "figcaption{font-size:.85em;color:#333}\n"
    ".warning{background:#fff3cd;border:1px solid #e0c36b;padding:.6em 1em}\n"
    "pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:.8em}\n"
    "code{font-size:.9em}\n";

/* Inline an SVG file, dropping the XML prolog and giving every id (and every
 * reference to one) a per-figure prefix so figures on one page cannot collide. */
static int inline_svg(FILE *out, const char *path, size_t figure_number)
{
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return -1;
    char *svg = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(&svg, &length);
    if (memory == NULL) {
        fclose(file);
        return -1;
    }
    char buffer[8192];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, file)) > 0)
        fwrite(buffer, 1, got, memory);
    fclose(file);
    fclose(memory);
    const char *start = strstr(svg, "<svg");
    if (start == NULL) {
        free(svg);
        return -1;
    }
    char prefix[32];
    snprintf(prefix, sizeof prefix, "f%zu-", figure_number);
    static const char *const markers[] = {"id='", "id=\"", "#gp", "#textbox", "#greybox", "#gnuplot"};
    for (const char *s = start; *s;) {
        size_t m = 0, matched = 0;
        for (; m < sizeof markers / sizeof markers[0]; m++)
            if (strncmp(s, markers[m], strlen(markers[m])) == 0) {
                matched = 1;
                break;
            }
        if (!matched) {
            fputc(*s++, out);
            continue;
        }
        if (markers[m][0] == '#') {
            fputc('#', out);
            fputs(prefix, out);
            s++;
        } else {
            fwrite(s, 1, 4, out);
            fputs(prefix, out);
            s += 4;
        }
    }
    fputc('\n', out);
    free(svg);
    return 0;
}

static void meta_row(FILE *f, const char *key, const char *value)
{
    fputs("<tr><th>", f);
    bench_escape_html(f, key);
    fputs("</th><td>", f);
    bench_escape_html(f, value);
    fputs("</td></tr>\n", f);
}

static void meta_json(FILE *f, const char *key, const json_t *value)
{
    if (value == NULL)
        return;
    if (json_is_string(value)) {
        meta_row(f, key, json_string_value(value));
        return;
    }
    if (json_is_number(value)) {
        char text[64];
        snprintf(text, sizeof text, "%g", json_number_value(value));
        meta_row(f, key, text);
        return;
    }
    if (json_is_object(value)) {
        const char *name;
        json_t *item;
        json_object_foreach((json_t *)value, name, item)
        {
            char label[256];
            snprintf(label, sizeof label, "%s: %s", key, name);
            meta_json(f, label, item);
        }
        return;
    }
    char *text = json_dumps(value, JSON_COMPACT);
    if (text != NULL) {
        meta_row(f, key, text);
        free(text);
    }
}

/* Failed cells from run.json "errors": an object {cell_id: message} (as
 * bench/run.c writes) or an array of {cell_id, message}. */
static void write_errors(FILE *f, const json_t *run, const bench_results *results)
{
    const json_t *errors = run ? json_object_get(run, "errors") : NULL;
    size_t count = json_is_object(errors) ? json_object_size(errors) : json_is_array(errors) ? json_array_size(errors) : 0;
    size_t failed_rows = 0;
    for (size_t i = 0; i < results->count; i++)
        failed_rows += !results->rows[i].ok;
    if (count == 0 && failed_rows == 0)
        return;
    fprintf(f, "<h2 id=\"errors\">Failed cells</h2>\n<p>%zu result row%s with status <code>error</code>; "
               "the tables mark these cells instead of dropping them.</p>\n",
            failed_rows, failed_rows == 1 ? "" : "s");
    if (count == 0)
        return;
    fputs("<table class=\"results\"><thead><tr><th>cell</th><th>dataset</th><th>variant</th><th>H</th><th>seed</th>"
          "<th>message</th></tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < count; i++) {
        const char *id = NULL, *message = NULL;
        if (json_is_object(errors)) {
            void *iter = json_object_iter((json_t *)errors);
            for (size_t skip = 0; skip < i && iter; skip++)
                iter = json_object_iter_next((json_t *)errors, iter);
            if (iter == NULL)
                break;
            id = json_object_iter_key(iter);
            message = json_string_value(json_object_iter_value(iter));
        } else {
            const json_t *item = json_array_get(errors, i);
            id = json_string_value(json_object_get(item, "cell_id"));
            message = json_string_value(json_object_get(item, "message"));
        }
        const bench_result *row = NULL;
        for (size_t r = 0; id != NULL && r < results->count && row == NULL; r++)
            if (strcmp(results->rows[r].cell_id, id) == 0)
                row = &results->rows[r];
        fputs("<tr><td><code>", f);
        bench_escape_html(f, id ? id : "?");
        fputs("</code></td><td>", f);
        bench_escape_html(f, row ? row->dataset : "");
        fputs("</td><td>", f);
        bench_escape_html(f, row ? row->variant : "");
        fputs("</td><td class=\"num\">", f);
        if (row && row->horizon > 0)
            fprintf(f, "%ld", row->horizon);
        fputs("</td><td class=\"num\">", f);
        if (row)
            fprintf(f, "%ld", row->seed);
        fputs("</td><td>", f);
        bench_escape_html(f, message ? message : "");
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}


static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Wall time per variant from timings.csv (columns variant and seconds, plus
 * fit_seconds / predict_seconds when present); nothing when absent or unreadable. */
static void write_timings(FILE *f, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/timings.csv", dir);
    report_csv csv;
    if (report_csv_read(&csv, path, NULL) != BENCH_OK) {
        report_csv_free(&csv);
        return;
    }
    long variant = report_csv_column(&csv, "variant"), seconds = report_csv_column(&csv, "seconds");
    long fit = report_csv_column(&csv, "fit_seconds"), predict = report_csv_column(&csv, "predict_seconds");
    double *values = malloc((csv.rows ? csv.rows : 1) * sizeof *values);
    if (variant < 0 || seconds < 0 || csv.rows == 0 || values == NULL) {
        free(values);
        report_csv_free(&csv);
        return;
    }
    fputs("<h2 id=\"timings\">Timings</h2>\n<table class=\"results timings\"><caption>Wall time per cell from "
          "timings.csv (seconds; machine-dependent, so kept out of results.csv).</caption>\n<thead><tr><th>variant</th>"
          "<th>cells</th><th>median</th><th>total</th>",
          f);
    if (fit >= 0 && predict >= 0)
        fputs("<th>median fit</th><th>median predict</th>", f);
    fputs("</tr></thead>\n<tbody>\n", f);
    const char *shown[256];
    size_t shown_count = 0;
    for (size_t r = 0; r < csv.rows && shown_count < 256; r++) {
        const char *name = report_csv_cell(&csv, r, (size_t)variant);
        if (report_find_string(shown, shown_count, name) >= 0)
            continue;
        shown[shown_count++] = name;
        fputs("<tr><td>", f);
        bench_escape_html(f, name);
        fputs("</td>", f);
        long columns[3] = {seconds, fit, predict};
        for (int k = 0; k < (fit >= 0 && predict >= 0 ? 3 : 1); k++) {
            size_t n = 0;
            double total = 0;
            for (size_t q = r; q < csv.rows; q++) {
                double value;
                if (strcmp(report_csv_cell(&csv, q, (size_t)variant), name) != 0 ||
                    report_parse_double(report_csv_cell(&csv, q, (size_t)columns[k]), &value) != 0)
                    continue;
                values[n++] = value;
                total += value;
            }
            qsort(values, n, sizeof *values, compare_doubles);
            double median = n == 0 ? NAN : n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
            if (k == 0)
                fprintf(f, "<td class=\"num\">%zu</td><td class=\"num\">%.3g</td><td class=\"num\">%.3g</td>", n,
                        median, total);
            else
                fprintf(f, "<td class=\"num\">%.3g</td>", median);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
    free(values);
    report_csv_free(&csv);
}

static int save_tables(const char *dir, const bench_table_set *tables, bench_error *error)
{
    static const bench_table_format formats[] = {BENCH_TABLE_MD, BENCH_TABLE_TEX, BENCH_TABLE_CSV};
    for (size_t i = 0; i < 3; i++) {
        char *text = NULL, path[4096];
        size_t length = 0;
        FILE *memory = open_memstream(&text, &length);
        if (memory == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "formatting tables");
        int status = bench_tables_write(memory, tables, formats[i], error);
        fclose(memory);
        snprintf(path, sizeof path, "%s/tables.%s", dir, bench_table_format_extension(formats[i]));
        if (status == BENCH_OK)
            status = bench_write_file_atomic(path, text, length, error);
        free(text);
        if (status != BENCH_OK)
            return status;
    }
    return BENCH_OK;
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "r");
    if (file != NULL)
        fclose(file);
    return file != NULL;
}

int bench_report_write(const char *dir, const bench_report_options *options_in, bench_report_summary *summary,
                       bench_error *error)
{
    bench_report_options options = options_in ? *options_in : (bench_report_options){0};
    *summary = (bench_report_summary){0};
    char path[4096];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    bench_results results;
    bench_table_set tables = {0};
    int status = bench_results_load(&results, path, error);
    bench_table_options table_options = {.digits = -1, .note = options.caption_note};
    if (status == BENCH_OK && results.count > 0)
        status = bench_tables_build(&tables, &results, &table_options, error);
    json_t *run = NULL;
    if (status == BENCH_OK) {
        snprintf(path, sizeof path, "%s/run.json", dir);
        json_error_t json_error;
        run = json_load_file(path, 0, &json_error);
        if (run == NULL && exists(dir, "run.json"))
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%d: %s", path, json_error.line, json_error.text);
    }
    if (status == BENCH_OK)
        status = save_tables(dir, &tables, error);
    summary->tables = tables.count;

    bench_figure_list figures = {0};
    if (status == BENCH_OK && !options.no_figures) {
        bench_plot_options plot_options = {.format = BENCH_PLOT_SVG, .gnuplot = options.gnuplot,
                                           .timeout_seconds = options.timeout_seconds,
                                           .progress = options.progress,
                                           .progress_context = options.progress_context};
        bench_plot(&figures, dir, &plot_options, &summary->figure_error);
    }

    char *page = NULL;
    size_t length = 0;
    FILE *f = status == BENCH_OK ? open_memstream(&page, &length) : NULL;
    if (status == BENCH_OK && f == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "composing index.html");
    if (status == BENCH_OK) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>bench run ",
              f);
        bench_escape_html(f, dir);
        fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>bench run report</h1>\n<p>Run directory <code>", page_style);
        bench_escape_html(f, dir);
        size_t failed = 0;
        for (size_t i = 0; i < results.count; i++)
            failed += !results.rows[i].ok;
        fprintf(f, "</code>: %zu result rows, %zu with status error, %zu tables, %zu figures.</p>\n", results.count,
                failed, tables.count, figures.count);
        fputs("<nav><a href=\"#run\">Run</a> \xC2\xB7 <a href=\"#tables\">Tables</a> \xC2\xB7 <a href=\"#figures\">Figures</a> "
              "\xC2\xB7 <a href=\"#files\">Files</a> \xC2\xB7 <a href=\"#config\">Configuration</a></nav>\n",
              f);

        fputs("<h2 id=\"run\">Run</h2>\n<table class=\"meta\">\n", f);
        if (run != NULL) {
            const json_t *config = json_object_get(run, "config");
            meta_json(f, "config", json_object_get(run, "config_path"));
            meta_json(f, "git commit", json_object_get(run, "git_commit"));
            meta_json(f, "wall time (s)", json_object_get(run, "wall_seconds"));
            meta_json(f, "seeds", json_object_get(config, "seeds") ? json_object_get(config, "seeds")
                                                                   : json_object_get(run, "seeds"));
            meta_json(f, "host", json_object_get(run, "host"));
            meta_json(f, "version", json_object_get(run, "versions"));
            /* Gaps the loader filled and files used against their pinned checksum
             * change what a table means: say so where people look, not only in run.json. */
            size_t index;
            const json_t *dataset;
            json_array_foreach(json_object_get(config, "datasets"), index, dataset) {
                const char *label = json_string_value(json_object_get(dataset, "label"));
                json_int_t filled = json_integer_value(json_object_get(dataset, "missing_filled"));
                char key[256], value[256];
                if (label != NULL && filled > 0) {
                    snprintf(key, sizeof key, "%s: missing values", label);
                    snprintf(value, sizeof value, "%lld filled by the dataset's missing policy (see run.json settings)",
                             (long long)filled);
                    meta_row(f, key, value);
                }
                size_t file_index;
                const json_t *file;
                json_array_foreach(json_object_get(dataset, "files"), file_index, file)
                    if (label != NULL && json_is_true(json_object_get(file, "modified_from_pinned"))) {
                        snprintf(key, sizeof key, "%s: data file", label);
                        snprintf(value, sizeof value, "%s differs from its pinned sha256 (--allow-modified-data)",
                                 json_string_value(json_object_get(file, "path")) ? json_string_value(json_object_get(file, "path")) : "?");
                        meta_row(f, key, value);
                    }
            }
        } else {
            meta_row(f, "run.json", "absent");
        }
        fputs("</table>\n", f);
        write_errors(f, run, &results);

        fputs("<h2 id=\"tables\">Tables</h2>\n<p>Also as <a href=\"tables.md\">Markdown</a>, "
              "<a href=\"tables.tex\">LaTeX</a> (booktabs, multirow, adjustbox) and <a href=\"tables.csv\">CSV</a>.</p>\n",
              f);
        status = bench_tables_write(f, &tables, BENCH_TABLE_HTML, error);
    }
    if (status == BENCH_OK) {
        /* Diebold-Mariano against the best-ranked forecaster of the first forecast table. */
        const char *reference = NULL;
        for (size_t t = 0; t < tables.count && reference == NULL; t++) {
            const bench_table *table = &tables.tables[t];
            if (strcmp(table->task, "forecast") != 0 || table->avg_ranks == NULL)
                continue;
            size_t best = 0;
            for (size_t c = 1; c < table->column_count; c++)
                if (table->avg_ranks[c] < table->avg_ranks[best])
                    best = c;
            reference = table->variants[best];
        }
        bench_dm_report dm = {0};
        bench_error dm_error = {0};
        if (reference != NULL) {
            int dm_status = bench_dm_compare(&dm, dir, &results, reference, 1, &dm_error);
            if (dm_status == BENCH_OK && dm.count > 0) {
                fputs("<h3 id=\"dm\">Diebold-Mariano tests</h3>\n<p>Per-window losses from "
                      "<code>predictions/</code>, each variant against the best-ranked forecaster of the first "
                      "table (<code>bench table DIR --dm VARIANT</code> for another reference).</p>\n",
                      f);
                status = bench_dm_write(f, &dm, BENCH_TABLE_HTML, error);
            } else if (dm_status != BENCH_OK && dm_status != BENCH_NOT_FOUND) {
                fputs("<p class=\"warning\">Diebold-Mariano tests skipped: ", f);
                bench_escape_html(f, dm_error.message);
                fputs("</p>\n", f);
            }
        }
        bench_dm_report_free(&dm);
    }
    if (status == BENCH_OK) {
        fputs("<h2 id=\"figures\">Figures</h2>\n", f);
        if (summary->figure_error.code != BENCH_OK) {
            fputs("<p class=\"warning\">Some figures are missing: ", f);
            bench_escape_html(f, summary->figure_error.message);
            fputs("</p>\n", f);
        }
        if (options.no_figures)
            fputs("<p>Figures were not requested.</p>\n", f);
        else
            fputs("<p>Each figure has its data (<code>.dat</code>) and gnuplot script (<code>.gp</code>) in "
                  "<a href=\"figures/\">figures/</a>; edit <code>figures/style.gp</code> or a script and rerun "
                  "<code>gnuplot -e 'fmt=\"pdf\"' NAME.gp</code> there.</p>\n",
                  f);
        for (size_t i = 0; i < figures.count; i++) {
            const bench_figure *figure = &figures.items[i];
            fprintf(f, "<figure class=\"%s\">\n", bench_plot_kind_name(figure->kind));
            int shown = 0;
            if (figure->output != NULL) {
                size_t n = strlen(figure->output);
                snprintf(path, sizeof path, "%s/figures/%s", dir, figure->output);
                if (n > 4 && strcmp(figure->output + n - 4, ".svg") == 0) {
                    shown = inline_svg(f, path, i) == 0;
                } else {
                    fputs("<img src=\"figures/", f);
                    bench_escape_url_path(f, figure->output);
                    fputs("\" alt=\"", f);
                    bench_escape_html(f, figure->title);
                    fputs("\">\n", f);
                    shown = 1;
                }
            }
            summary->figures += (size_t)shown;
            fputs("<figcaption>", f);
            bench_escape_html(f, figure->title);
            if (!shown)
                fputs(" (not rendered)", f);
            if (figure->script != NULL) {
                size_t n = strlen(figure->script);
                fputs(" \xE2\x80\x94 <a href=\"figures/", f);
                bench_escape_url_path(f, figure->script);
                fputs("\">script</a>, <a href=\"figures/", f);
                char data[1100];
                snprintf(data, sizeof data, "%.*s.dat", (int)(n - 3), figure->script);
                bench_escape_url_path(f, data);
                fputs("\">data</a>", f);
            }
            fputs("</figcaption>\n</figure>\n", f);
        }
        if (figures.note_count > 0) {
            fputs("<p>Not drawn:</p>\n<ul class=\"notes\">\n", f);
            for (size_t i = 0; i < figures.note_count; i++) {
                fputs("<li>", f);
                bench_escape_html(f, figures.notes[i]);
                fputs("</li>\n", f);
            }
            fputs("</ul>\n", f);
        }

        write_timings(f, dir);
        fputs("<h2 id=\"files\">Files</h2>\n<ul>\n", f);
        static const char *const files[] = {"results.csv", "timings.csv", "run.json", "tables.md", "tables.tex",
                                            "tables.csv"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
            if (exists(dir, files[i]))
                fprintf(f, "<li><a href=\"%s\">%s</a></li>\n", files[i], files[i]);
        fputs("</ul>\n", f);

        fputs("<h2 id=\"config\">Configuration</h2>\n", f);
        if (run != NULL) {
            char *text = json_dumps(json_object_get(run, "config") ? json_object_get(run, "config") : run,
                                    JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fputs("<details open><summary>Resolved configuration from run.json</summary>\n<pre>", f);
            bench_escape_html(f, text ? text : "");
            fputs("</pre></details>\n", f);
            free(text);
        } else {
            fputs("<p>No run.json in this directory.</p>\n", f);
        }
        fputs("<footer><p>Written by <code>bench report</code>.</p></footer>\n</body>\n</html>\n", f);
        if (ferror(f))
            status = BENCH_FAIL(error, BENCH_IO, "composing index.html");
    }
    if (f != NULL)
        fclose(f);
    if (status == BENCH_OK) {
        snprintf(path, sizeof path, "%s/index.html", dir);
        status = bench_write_file_atomic(path, page, length, error);
    }
    free(page);
    bench_figure_list_free(&figures);
    json_decref(run);
    bench_tables_free(&tables);
    bench_results_free(&results);
    return status;
}
