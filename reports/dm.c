#include "reports/dm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/escape.h"

/* One forecast window's mean squared error. */
typedef struct window_loss {
    const char *dataset, *horizon, *seed, *variant, *series, *window;
    double window_number;   /* numeric window id for ordering (NAN: order by text) */
    double loss;
    size_t steps;
    double start;           /* first forecast time index t */
} window_loss;

static int compare_text_number(const char *a, double na, const char *b, double nb)
{
    if (!isnan(na) && !isnan(nb) && na != nb)
        return na < nb ? -1 : 1;
    return strcmp(a, b);
}

static int compare_windows(const void *left, const void *right)
{
    const window_loss *a = left, *b = right;
    int c = strcmp(a->dataset, b->dataset);
    if (c == 0)
        c = compare_text_number(a->horizon, strtod(a->horizon, NULL), b->horizon, strtod(b->horizon, NULL));
    if (c == 0)
        c = compare_text_number(a->seed, strtod(a->seed, NULL), b->seed, strtod(b->seed, NULL));
    if (c == 0)
        c = strcmp(a->variant, b->variant);
    if (c == 0)
        c = strcmp(a->series, b->series);
    if (c == 0)
        c = compare_text_number(a->window, a->window_number, b->window, b->window_number);
    return c;
}

static int same_cell(const window_loss *a, const window_loss *b)
{
    return !strcmp(a->dataset, b->dataset) && !strcmp(a->horizon, b->horizon) && !strcmp(a->seed, b->seed);
}

static int same_window(const window_loss *a, const window_loss *b)
{
    return !strcmp(a->series, b->series) && !strcmp(a->window, b->window);
}

void bench_dm_report_free(bench_dm_report *report)
{
    if (report == NULL)
        return;
    free(report->items);
    report_strings_free(&report->strings);
    memset(report, 0, sizeof *report);
}

/* Window losses accumulated file by file, with interned key strings. */
typedef struct window_collector {
    window_loss *windows;
    size_t count, capacity;
    report_strings *strings;
} window_collector;

static int collect_windows(void *context, const bench_prediction *rows, size_t count, bench_error *error)
{
    window_collector *c = context;
    for (size_t r = 0; r < count; r++) {
        const bench_prediction *p = &rows[r];
        if (isnan(p->pred) || isnan(p->truth))
            continue;
        window_loss *last = c->count ? &c->windows[c->count - 1] : NULL;
        /* Rows of one window are contiguous; interned strings compare by pointer
         * only after interning, so compare text here. */
        if (last == NULL || strcmp(last->window, p->window) || strcmp(last->series, p->series) ||
            strcmp(last->variant, p->variant) || strcmp(last->dataset, p->dataset) ||
            strcmp(last->horizon, p->horizon) || strcmp(last->seed, p->seed)) {
            if (c->count == c->capacity) {
                size_t grown = c->capacity ? 2 * c->capacity : 1024;
                window_loss *bigger = realloc(c->windows, grown * sizeof *bigger);
                if (bigger == NULL)
                    return BENCH_FAIL(error, BENCH_NO_MEMORY, "Diebold-Mariano: %zu windows", grown);
                c->windows = bigger;
                c->capacity = grown;
            }
            char *end;
            double number = strtod(p->window, &end);
            window_loss *w = &c->windows[c->count];
            *w = (window_loss){.dataset = report_strings_intern(c->strings, p->dataset),
                               .horizon = report_strings_intern(c->strings, p->horizon),
                               .seed = report_strings_intern(c->strings, p->seed),
                               .variant = report_strings_intern(c->strings, p->variant),
                               .series = report_strings_intern(c->strings, p->series),
                               .window = report_strings_intern(c->strings, p->window),
                               .window_number = *end == '\0' && end != p->window ? number : NAN,
                               .start = p->t};
            if (!w->dataset || !w->horizon || !w->seed || !w->variant || !w->series || !w->window)
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "Diebold-Mariano: window names");
            c->count++;
            last = w;
        }
        if (p->t < last->start)
            last->start = p->t;
        double e = p->pred - p->truth;
        last->loss += e * e;
        last->steps++;
    }
    return BENCH_OK;
}

int bench_dm_compare(bench_dm_report *out, const char *dir, const bench_results *results, const char *reference,
                     int harvey, bench_error *error)
{
    memset(out, 0, sizeof *out);
    out->reference = reference;
    out->harvey = harvey;
    window_collector collector = {.strings = &out->strings};
    int status = bench_predictions_each(dir, results, collect_windows, &collector, error);
    if (status != BENCH_OK) {
        free(collector.windows);
        return status;
    }
    window_loss *windows = collector.windows;
    size_t count = collector.count;
    if (count == 0) {
        free(windows);
        return BENCH_FAIL(error, BENCH_NOT_FOUND,
                          "%s/predictions has no forecasts to test (run with predictions stored; formats in "
                          "reports/README.md)",
                          dir);
    }
    for (size_t w = 0; w < count; w++)
        windows[w].loss /= (double)windows[w].steps;
    qsort(windows, count, sizeof *windows, compare_windows);

    int reference_seen = 0;
    size_t capacity = 0;
    double *l1 = malloc((count ? count : 1) * sizeof *l1), *l2 = malloc((count ? count : 1) * sizeof *l2);
    if (l1 == NULL || l2 == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "Diebold-Mariano on %zu windows", count);
    /* Walk the cells (dataset, horizon, seed); inside, variants are contiguous runs. */
    for (size_t cell = 0; cell < count && status == BENCH_OK;) {
        size_t cell_end = cell;
        while (cell_end < count && same_cell(&windows[cell_end], &windows[cell]))
            cell_end++;
        size_t ref_start = cell, ref_end = cell;
        while (ref_start < cell_end && strcmp(windows[ref_start].variant, reference) != 0)
            ref_start++;
        ref_end = ref_start;
        while (ref_end < cell_end && strcmp(windows[ref_end].variant, reference) == 0)
            ref_end++;
        if (ref_start < cell_end) {
            reference_seen = 1;
            for (size_t v = cell; v < cell_end;) {
                size_t v_end = v;
                while (v_end < cell_end && strcmp(windows[v_end].variant, windows[v].variant) == 0)
                    v_end++;
                if (strcmp(windows[v].variant, reference) == 0) {
                    v = v_end;
                    continue;
                }
                if (out->count == capacity) {
                    capacity = capacity ? 2 * capacity : 16;
                    bench_dm_comparison *bigger = realloc(out->items, capacity * sizeof *bigger);
                    if (bigger == NULL) {
                        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "Diebold-Mariano results");
                        break;
                    }
                    out->items = bigger;
                }
                bench_dm_comparison *item = &out->items[out->count++];
                *item = (bench_dm_comparison){.dataset = windows[v].dataset, .horizon = windows[v].horizon,
                                              .seed = windows[v].seed, .variant = windows[v].variant};
                /* Merge the two sorted window lists. */
                size_t i = v, j = ref_start, T = 0;
                while (i < v_end && j < ref_end) {
                    int c = strcmp(windows[i].series, windows[j].series);
                    if (c == 0)
                        c = compare_text_number(windows[i].window, windows[i].window_number, windows[j].window,
                                                windows[j].window_number);
                    if (c == 0 && same_window(&windows[i], &windows[j])) {
                        l1[T] = windows[i].loss;
                        l2[T++] = windows[j].loss;
                        i++, j++;
                    } else if (c < 0) {
                        item->unmatched++, i++;
                    } else {
                        item->unmatched++, j++;
                    }
                }
                item->unmatched += (v_end - i) + (ref_end - j);
                item->windows = T;
                /* Window losses are correlated while windows share target steps: with
                 * origins `stride` apart that is ceil(H / stride) − 1 lags, so the test's
                 * h is ceil(H / stride) (H for stride 1, 1 for non-overlapping windows). */
                long horizon = strtol(windows[v].horizon, NULL, 10);
                double stride = 0;
                for (size_t w = ref_start + 1; w < ref_end && stride <= 0; w++)
                    if (strcmp(windows[w].series, windows[w - 1].series) == 0)
                        stride = windows[w].start - windows[w - 1].start;
                size_t h = horizon > 0 ? (size_t)horizon : 1;
                if (stride >= 1)
                    h = (size_t)ceil((double)h / stride);
                if (T >= 2 && h >= T)
                    h = T - 1;
                bench_error why = {0};
                if (T < 3)
                    snprintf(item->note, sizeof item->note, "%zu common windows (need at least 3)", T);
                else if (bench_stats_diebold_mariano(&item->dm, l1, l2, T, h, harvey, &why) == BENCH_OK)
                    item->ok = 1;
                else
                    snprintf(item->note, sizeof item->note, "%.150s", why.message);
                v = v_end;
            }
        }
        cell = cell_end;
    }
    if (status == BENCH_OK && !reference_seen) {
        char known[512] = "";
        size_t used = 0;
        for (size_t w = 0; w < count && used + 1 < sizeof known; w++) {
            int seen = 0;
            for (size_t u = 0; u < w && !seen; u++)
                seen = strcmp(windows[u].variant, windows[w].variant) == 0;
            if (!seen)
                used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "",
                                         windows[w].variant);
        }
        status = BENCH_FAIL(error, BENCH_NOT_FOUND, "%s/predictions: no forecasts of '%s'; predictions exist for: %s",
                            dir, reference, known);
    }
    free(l1);
    free(l2);
    free(windows);
    return status;
}

/* Dataset and variant names come from user data: each goes through the
 * escaper of the table's language (bench/escape.h). */
static void escape(FILE *f, const char *s, bench_table_format format)
{
    switch (format) {
    case BENCH_TABLE_MD: bench_escape_markdown(f, s); break;
    case BENCH_TABLE_TEX: bench_escape_latex(f, s); break;
    case BENCH_TABLE_HTML: bench_escape_html(f, s); break;
    case BENCH_TABLE_CSV: bench_escape_csv(f, s); break;
    }
}

int bench_dm_write(FILE *f, const bench_dm_report *report, bench_table_format format, bench_error *error)
{
    const char *correction = report->harvey ? "Harvey-Leybourne-Newbold correction, p from t(T-1)"
                                            : "p from N(0,1)";
    if (format == BENCH_TABLE_CSV) {
        fputs("dataset,horizon,seed,variant,reference,windows,unmatched,lags_h,mean_loss_difference,dm,p,note\n", f);
        for (size_t i = 0; i < report->count; i++) {
            const bench_dm_comparison *c = &report->items[i];
            const char *const names[] = {c->dataset, c->horizon, c->seed, c->variant, report->reference};
            for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
                bench_escape_csv(f, names[n]);
                fputc(',', f);
            }
            fprintf(f, "%zu,%zu,", c->windows, c->unmatched);
            if (c->ok)
                fprintf(f, "%zu,", c->dm.h);
            else
                fputc(',', f);
            if (c->ok)
                fprintf(f, "%.10g,%.10g,%.10g,\n", c->dm.mean_difference, c->dm.statistic, c->dm.p);
            else {
                fputs(",,,", f);
                bench_escape_csv(f, c->note);
                fputc('\n', f);
            }
        }
        return ferror(f) ? BENCH_FAIL(error, BENCH_IO, "writing the Diebold-Mariano table") : BENCH_OK;
    }
    if (format == BENCH_TABLE_MD) {
        fputs("**Diebold-Mariano tests against ", f);
        escape(f, report->reference, format);
        fprintf(f, "** (loss: squared error averaged over each window's steps; long-run variance with h-1 "
                   "autocovariances; %s). Negative DM: the variant's losses are lower.\n\n"
                   "| Dataset | H | seed | variant | windows | DM | p |\n|:---|---:|---:|:---|---:|---:|---:|\n",
                correction);
    } else if (format == BENCH_TABLE_TEX) {
        fputs("% Needs \\usepackage{booktabs} and \\usepackage{adjustbox}.\n\\begin{table}[t]\n\\centering\n"
              "\\caption{Diebold--Mariano tests "
              "against ",
              f);
        escape(f, report->reference, format);
        fprintf(f, " (squared-error loss per window; %s). Negative DM: lower loss than the reference.}\n"
                   "\\begin{adjustbox}{max width=\\linewidth}\n\\begin{tabular}{lrrlrrr}\n\\toprule\nDataset & $H$ & seed & variant & windows & DM & $p$ \\\\\n"
                   "\\midrule\n",
                report->harvey ? "Harvey correction, $t(T-1)$ $p$-values" : "normal $p$-values");
    } else {
        fputs("<table class=\"results dm\">\n<caption>Diebold-Mariano tests against ", f);
        escape(f, report->reference, format);
        fprintf(f, " (loss: squared error averaged over each window's steps; %s). Negative DM: the variant's "
                   "losses are lower.</caption>\n<thead><tr><th>Dataset</th><th>H</th><th>seed</th><th>variant</th>"
                   "<th>windows</th><th>DM</th><th>p</th></tr></thead>\n<tbody>\n",
                correction);
    }
    for (size_t i = 0; i < report->count; i++) {
        const bench_dm_comparison *c = &report->items[i];
        char dm[64], p[64];
        if (c->ok) {
            snprintf(dm, sizeof dm, "%.3f", c->dm.statistic);
            snprintf(p, sizeof p, "%.3g", c->dm.p);
        } else {
            snprintf(dm, sizeof dm, "%s", format == BENCH_TABLE_TEX ? "---" : "\xE2\x80\x94");
            snprintf(p, sizeof p, "%s", dm);
        }
        const char *open = format == BENCH_TABLE_HTML ? "<tr><td>" : format == BENCH_TABLE_MD ? "| " : "";
        const char *sep = format == BENCH_TABLE_HTML ? "</td><td>" : format == BENCH_TABLE_MD ? " | " : " & ";
        const char *close = format == BENCH_TABLE_HTML ? "</td></tr>\n" : format == BENCH_TABLE_MD ? " |\n" : " \\\\\n";
        fputs(open, f);
        escape(f, c->dataset, format);
        fputs(sep, f);
        escape(f, c->horizon, format);
        fputs(sep, f);
        escape(f, c->seed, format);
        fputs(sep, f);
        escape(f, c->variant, format);
        fprintf(f, "%s%zu%s%s%s%s%s", sep, c->windows, sep, dm, sep, p, close);
    }
    if (format == BENCH_TABLE_TEX)
        fputs("\\bottomrule\n\\end{tabular}\n\\end{adjustbox}\n\\end{table}\n", f);
    else if (format == BENCH_TABLE_HTML)
        fputs("</tbody>\n</table>\n", f);
    return ferror(f) ? BENCH_FAIL(error, BENCH_IO, "writing the Diebold-Mariano table") : BENCH_OK;
}
