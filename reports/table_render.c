/* Rendering of comparison tables (reports/table.h): every table is laid out
 * once as a format-neutral grid, and the Markdown, LaTeX and HTML writers draw
 * that grid, so the formats cannot drift apart and a new layout (--columns) is
 * one function, not one per format.  CSV is long format and needs no layout. */
#include "reports/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/escape.h"
#include "reports/csv_file.h"

/* ---- rendering ------------------------------------------------------------------ */

/* Dataset, protocol, variant, task and metric names come from results.csv,
 * that is from user data: every one goes through the escaper of the output
 * language (bench/escape.h), never straight into the table. */

static const char *direction_text(int direction)
{
    return direction < 0 ? "lower is better" : direction > 0 ? "higher is better" : "direction unknown";
}

/* Caption sentence (plain text, escaped by the caller's text function). */
static void caption(char *buffer, size_t size, const bench_table *t)
{
    char label_buffer[128];
    const char *label = bench_metric_label(t->metric, label_buffer, sizeof label_buffer);
    snprintf(buffer, size, "%s (%s), task %s, protocol%s %s: mean \xC2\xB1 %s over %zu seed%s (%s).", label,
             direction_text(t->direction), t->task, strchr(t->protocols, ',') ? "s" : "", t->protocols,
             t->show_ci ? "95 % CI half-width (Student t)" : "std", t->seed_count, t->seed_count == 1 ? "" : "s",
             t->seeds);
}

/* A p-value for the footer: "n/a" when undefined, and a bound instead of the
 * "0" an underflowing distribution tail would print. */
static const char *p_text(char *buffer, size_t size, double p)
{
    if (isnan(p))
        snprintf(buffer, size, "n/a");
    else if (p < 1e-16)
        snprintf(buffer, size, "< 1e-16");
    else
        snprintf(buffer, size, "%.3g", p);
    return buffer;
}

/* The ranking sentence under a table; tex selects math symbols, otherwise UTF-8. */
static void statistics_note(char *buffer, size_t size, const bench_table *t, int tex)
{
    buffer[0] = '\0';
    if (t->avg_ranks == NULL)
        return;
    const char *chi2 = tex ? "$\\chi^2$" : "\xCF\x87\xC2\xB2", *alpha = tex ? "$\\alpha$" : "\xCE\xB1";
    const char *dash = tex ? "--" : "\xE2\x80\x93";
    const char *unit = t->ranked_by_row ? "complete row" : "dataset";
    size_t used = (size_t)snprintf(buffer, size, "Average ranks over %zu %s%s%s (1 = best).", t->complete_rows, unit,
                                   t->complete_rows == 1 ? "" : "s",
                                   t->ranked_by_row ? "" : ", each the mean over its complete rows");
    if (!t->has_friedman && used < size) {
        snprintf(buffer + used, size - used,
                 " Friedman, Iman%sDavenport and Nemenyi: n/a with %zu %s%s (they need at least %d).", dash,
                 t->complete_rows, unit, t->complete_rows == 1 ? "" : "s", BENCH_TABLE_MIN_FRIEDMAN_ROWS);
        return;
    }
    char p_chi2[32], p_f[32];
    p_text(p_chi2, sizeof p_chi2, t->friedman.p_chi2);
    used += (size_t)snprintf(buffer + used, size - used, " Friedman %s(%g) = %.3f, p = %s; Iman%sDavenport F(%g, %g) = ",
                             chi2, t->friedman.df1, t->friedman.chi2, p_chi2, dash, t->friedman.df1, t->friedman.df2);
    if (used < size && isnan(t->friedman.iman_davenport))
        used += (size_t)snprintf(buffer + used, size - used, t->ranked_by_row ? "n/a (every row ranks the variants alike)" : "n/a (every dataset ranks the variants alike)");
    else if (used < size)
        used += (size_t)snprintf(buffer + used, size - used, "%.3f, p = %s", t->friedman.iman_davenport,
                                 p_text(p_f, sizeof p_f, t->friedman.p_iman_davenport));
    if (!isnan(t->cd05) && used < size)
        used += (size_t)snprintf(buffer + used, size - used, "; Nemenyi CD (%s = 0.05) = %.3f", alpha, t->cd05);
    else if (used < size)
        used += (size_t)snprintf(buffer + used, size - used, "; Nemenyi CD n/a (computed for 2%s%d variants)", dash,
                                 BENCH_NEMENYI_MAX_K);
    if (used < size)
        snprintf(buffer + used, size - used, ".");
}

/* What follows "±": the sample std, or the 95 % CI half-width with --ci. */
static double spread(const bench_table *t, const bench_table_cell *cell)
{
    if (cell->deterministic)
        return NAN;
    return t->show_ci ? cell->ci95 : cell->sd;
}

static void format_number(char *buffer, size_t size, double value, int digits)
{
    snprintf(buffer, size, "%.*f", digits, value);
}

#define DAGGER "\xE2\x80\xA0"   /* † error */
#define DDAGGER "\xE2\x80\xA1"  /* ‡ some seeds failed */
#define EMDASH "\xE2\x80\x94"   /* — no result */
#define SECTION "\xC2\xA7"    /* § fewer seeds by design */
#define PLUSMINUS "\xC2\xB1"

/* ---- per-dataset averages over horizons --------------------------------------- */

/* One past the last row of row r's dataset (rows of a dataset are adjacent). */
static size_t group_end(const bench_table *t, size_t r)
{
    size_t end = r + 1;
    while (end < t->row_count && strcmp(t->rows[end].dataset, t->rows[r].dataset) == 0)
        end++;
    return end;
}

/* A dataset with several horizons under one protocol gets an "Avg" row (the
 * mean over its horizons), as the TSLib and TFB tables have. */
static int group_has_average(const bench_table *t, size_t start, size_t end)
{
    if (!t->show_horizon || end - start < 2)
        return 0;
    for (size_t r = start; r < end; r++)
        if (t->rows[r].horizon <= 0 || strcmp(t->rows[r].protocol, t->rows[start].protocol) != 0)
            return 0;
    return 1;
}

/* Mean over the group's horizons of column c; NAN when a horizon has no result. */
static double group_average(const bench_table *t, size_t start, size_t end, size_t c)
{
    double sum = 0;
    for (size_t r = start; r < end; r++) {
        const bench_table_cell *cell = &t->cells[r * t->column_count + c];
        if (cell->n_ok == 0)
            return NAN;
        sum += cell->mean;
    }
    return sum / (double)(end - start);
}

/* The column with the best average (-1: none, or a metric without a direction). */
static long group_best(const bench_table *t, size_t start, size_t end)
{
    long best = -1;
    double best_value = NAN;
    for (size_t c = 0; t->direction != 0 && c < t->column_count; c++) {
        double value = group_average(t, start, end, c);
        if (isnan(value))
            continue;
        if (best < 0 || (t->direction > 0 ? value > best_value : value < best_value)) {
            best = (long)c;
            best_value = value;
        }
    }
    return best;
}

static void footnotes(char *buffer, size_t size, const bench_table *t, int tex)
{
    buffer[0] = '\0';
    size_t used = 0;
    if (t->error_cells > 0)
        used += (size_t)snprintf(buffer + used, size - used, "%s error: the run failed for every seed of this cell (messages in run.json). ",
                                 tex ? "$^\\dagger$" : DAGGER);
    if (t->partial_cells > 0 && used < size)
        used += (size_t)snprintf(buffer + used, size - used, "%s some seeds failed; mean over the others. ",
                                 tex ? "$^\\ddagger$" : DDAGGER);
    if (t->missing_cells > 0 && used < size)
        used += (size_t)snprintf(buffer + used, size - used, "%s no result. ", tex ? "---" : EMDASH);
    int averages = 0;
    for (size_t r = 0; r < t->row_count && !averages; r = group_end(t, r))
        averages = group_has_average(t, r, group_end(t, r));
    if (averages && used < size)
        used += (size_t)snprintf(buffer + used, size - used,
                                 "Avg: the mean over a dataset's horizons (not part of the ranks). ");
    if (t->deterministic_cells > 0 && used < size)
        used += (size_t)snprintf(buffer + used, size - used,
                                 "Values without %s: every seed gave the same value (a deterministic model). ",
                                 tex ? "$\\pm$" : PLUSMINUS);
    if (t->fewer_seed_cells > 0 && used < size)
        snprintf(buffer + used, size - used, "%s fewer seeds than the other cells (down to %zu)%s. ",
                 tex ? "$^\\S$" : SECTION, t->fewer_seed_minimum,
                 t->fewer_seed_minimum > 1 ? "" : tex ? "; no $\\pm$ with one seed" : "; no " PLUSMINUS " with one seed");
}

/* Ran every planned seed without failures, but fewer than the table's (§). */
static int fewer_seeds(const bench_table *t, const bench_table_cell *cell)
{
    return cell->n_error == 0 && cell->n_ok > 0 && cell->n_ok < t->seed_count;
}

/* ---- layout: one format-neutral grid per table ------------------------------------ */

/* Every writer draws the same grid, so Markdown, LaTeX and HTML cannot drift
 * apart, and the layout (variants across or datasets across, --columns) is
 * decided once.  Labels are either ours (fixed words that each format spells its
 * own way) or the user's (escaped by the writer's language). */
typedef enum grid_label {
    LABEL_NONE,
    LABEL_USER,      /* user text only */
    LABEL_AVG,       /* Avg (italic): the mean over a dataset's horizons */
    LABEL_RANK,      /* Avg. rank */
    LABEL_FIRSTS,    /* 1st count */
    LABEL_WTL,       /* W/T/L vs <user> */
    LABEL_WILCOXON,  /* Wilcoxon p vs <user> */
    LABEL_HOLM,      /* Holm-adjusted p */
    LABEL_HORIZON,   /* H = <number>, after an optional user text (the protocol) */
    LABEL_DATASET,   /* Dataset */
    LABEL_PROTOCOL,  /* Protocol */
    LABEL_H,         /* H */
    LABEL_MODEL,     /* Model */
} grid_label;

enum { HOLE_NONE, HOLE_ERROR, HOLE_MISSING, HOLE_DASH };
enum { MARK_NONE, MARK_PARTIAL, MARK_FEWER };

typedef struct grid_cell {
    grid_label label;      /* LABEL_NONE: a number or a hole */
    const char *user;      /* the user part of a label (escaped when written), or NULL */
    long horizon;          /* LABEL_HORIZON */
    char value[48];        /* formatted number, "" for labels and holes */
    char spread[48];       /* after the ±, "" when none */
    int hole;              /* HOLE_ERROR error†, HOLE_MISSING — (a result cell), HOLE_DASH — (a statistic) */
    int emphasis;          /* 1 best (bold), 2 second best (underlined) */
    int mark;              /* MARK_PARTIAL ‡, MARK_FEWER § */
} grid_cell;

typedef struct grid_row {
    grid_cell *cells;      /* keys + columns */
    int footer;            /* a statistics row under the results (its label fills the key columns) */
    int group_first;       /* first row of a dataset's group: a rule above it, the label spans the group */
    size_t group_span;     /* rows in that group, on its first row */
    int average;           /* a dataset's Avg row */
    const char *html_class;
} grid_row;

typedef struct grid_heading {
    grid_cell cell;
    size_t span;           /* data columns the heading covers (top level) */
} grid_heading;

typedef struct grid {
    size_t keys, columns;
    grid_cell *key_heads;          /* keys */
    grid_heading *tops;            /* top-level headings over the data columns, or NULL (one level) */
    size_t top_count;
    grid_cell *heads;              /* columns: the heading of each data column */
    int *key_right;                /* keys: numeric key column (right-aligned) */
    int group_rows;                /* the first key spans its group's rows (a dataset over its
                                    * horizons); otherwise every row heads itself */
    grid_row *rows;
    size_t row_count, row_capacity;
} grid;

static void grid_free(grid *g)
{
    for (size_t r = 0; r < g->row_count; r++)
        free(g->rows[r].cells);
    free(g->rows);
    free(g->key_heads);
    free(g->tops);
    free(g->heads);
    free(g->key_right);
    memset(g, 0, sizeof *g);
}

/* The column alignments of a table, markdown's separator row or LaTeX's
 * column spec: RIGHT or LEFT per key column as it reads, CENTRE per value column. */
static void write_alignments(FILE *f, const grid *g, const char *right, const char *left, const char *centre)
{
    for (size_t i = 0; i < g->keys; i++)
        fputs(g->key_right[i] ? right : left, f);
    for (size_t c = 0; c < g->columns; c++)
        fputs(centre, f);
}

static grid_row *grid_add_row(grid *g)
{
    grid_row *rows = report_grow(g->rows, g->row_count, &g->row_capacity, sizeof *rows, 16);
    if (rows == NULL)
        return NULL;
    g->rows = rows;
    grid_row *row = &g->rows[g->row_count];
    *row = (grid_row){.cells = calloc(g->keys + g->columns, sizeof *row->cells)};
    if (row->cells == NULL)
        return NULL;
    g->row_count++;
    return row;
}

static grid_cell user_label(const char *text)
{
    return (grid_cell){.label = LABEL_USER, .user = text};
}

/* A result cell: mean ± spread with its place and marks, or a hole. */
static grid_cell result_cell(const bench_table *t, const bench_table_cell *cell)
{
    grid_cell out = {0};
    if (cell->n_ok == 0) {
        out.hole = cell->n_error > 0 ? HOLE_ERROR : HOLE_MISSING;
        return out;
    }
    format_number(out.value, sizeof out.value, cell->mean, t->digits);
    if (!isnan(spread(t, cell)))
        format_number(out.spread, sizeof out.spread, spread(t, cell), t->digits);
    out.emphasis = cell->place;
    out.mark = cell->n_error > 0 ? MARK_PARTIAL : fewer_seeds(t, cell) ? MARK_FEWER : MARK_NONE;
    return out;
}

/* A dataset's Avg over its horizons in column c (bold when best), or a hole. */
static grid_cell average_cell(const bench_table *t, size_t start, size_t end, size_t c)
{
    grid_cell out = {0};
    double value = group_average(t, start, end, c);
    if (isnan(value)) {
        out.hole = HOLE_MISSING;
        return out;
    }
    format_number(out.value, sizeof out.value, value, t->digits);
    out.emphasis = group_best(t, start, end) == (long)c ? 1 : 0;
    return out;
}

/* The statistics of column c for footer (or trailing column) s: 0 avg rank,
 * 1 firsts, 2 W/T/L, 3 Wilcoxon p, 4 Holm p. */
static grid_cell statistic_cell(const bench_table *t, size_t c, int s)
{
    grid_cell out = {0};
    switch (s) {
    case 0: snprintf(out.value, sizeof out.value, "%.2f", t->avg_ranks[c]); break;
    case 1: snprintf(out.value, sizeof out.value, "%zu", t->firsts[c]); break;
    case 2:
        if ((long)c == t->versus_column)
            out.hole = HOLE_DASH;
        else
            snprintf(out.value, sizeof out.value, "%zu/%zu/%zu", t->wins[c], t->ties[c], t->losses[c]);
        break;
    default: {
        double p = s == 3 ? t->wilcoxon_p[c] : t->holm_p[c];
        if (isnan(p))
            out.hole = HOLE_DASH;
        else
            snprintf(out.value, sizeof out.value, "%.3g", p);
    }
    }
    return out;
}

static const grid_label statistic_labels[] = {LABEL_RANK, LABEL_FIRSTS, LABEL_WTL, LABEL_WILCOXON, LABEL_HOLM};
static const char *const statistic_classes[] = {"rank", "firsts", "wtl", "wilcoxon", "holm"};

/* Which statistics the table has: first..last of the five above. */
static void statistic_range(const bench_table *t, int *first, int *last)
{
    *first = t->avg_ranks != NULL ? 0 : 2;
    *last = t->wins != NULL ? 4 : 1;
}

static grid_cell statistic_label(const bench_table *t, int s)
{
    grid_cell out = {.label = statistic_labels[s]};
    if (s == 2 || s == 3)
        out.user = t->variants[t->versus_column];
    return out;
}

/* Variants across (the default): rows dataset [× protocol] [× horizon], an Avg
 * row under each dataset with several horizons, statistics rows at the foot. */
static int grid_variants_across(grid *g, const bench_table *t)
{
    size_t k = t->column_count;
    g->keys = 1 + (size_t)t->show_protocol + (size_t)t->show_horizon;
    g->columns = k;
    g->group_rows = 1;
    g->key_heads = calloc(g->keys, sizeof *g->key_heads);
    g->key_right = calloc(g->keys, sizeof *g->key_right);
    g->heads = calloc(k ? k : 1, sizeof *g->heads);
    if (g->key_heads == NULL || g->key_right == NULL || g->heads == NULL)
        return -1;
    size_t key = 0;
    g->key_heads[key++].label = LABEL_DATASET;
    if (t->show_protocol)
        g->key_heads[key++].label = LABEL_PROTOCOL;
    if (t->show_horizon) {
        g->key_right[key] = 1;
        g->key_heads[key++].label = LABEL_H;
    }
    for (size_t c = 0; c < k; c++)
        g->heads[c] = user_label(t->variants[c]);
    for (size_t r = 0; r < t->row_count; r = group_end(t, r)) {
        size_t end = group_end(t, r);
        int average = group_has_average(t, r, end);
        for (size_t i = r; i < end; i++) {
            grid_row *row = grid_add_row(g);
            if (row == NULL)
                return -1;
            if (i == r) {
                row->group_first = 1;
                row->group_span = end - r + (size_t)average;
                row->cells[0] = user_label(t->rows[i].dataset);
            }
            key = 1;
            if (t->show_protocol)
                row->cells[key++] = user_label(t->rows[i].protocol);
            if (t->show_horizon)
                row->cells[key++] = (grid_cell){.label = t->rows[i].horizon > 0 ? LABEL_HORIZON : LABEL_NONE,
                                                .horizon = t->rows[i].horizon};
            for (size_t c = 0; c < k; c++)
                row->cells[g->keys + c] = result_cell(t, &t->cells[i * k + c]);
        }
        if (average) {
            grid_row *row = grid_add_row(g);
            if (row == NULL)
                return -1;
            row->average = 1;
            row->html_class = "avg";
            row->cells[g->keys - 1].label = LABEL_AVG;
            for (size_t c = 0; c < k; c++)
                row->cells[g->keys + c] = average_cell(t, r, end, c);
        }
    }
    int first, last;
    statistic_range(t, &first, &last);
    for (int s = first; s <= last; s++) {
        grid_row *row = grid_add_row(g);
        if (row == NULL)
            return -1;
        row->footer = 1;
        row->html_class = statistic_classes[s];
        row->cells[0] = statistic_label(t, s);
        for (size_t c = 0; c < k; c++)
            row->cells[g->keys + c] = statistic_cell(t, c, s);
    }
    return 0;
}

/* Datasets across (--columns datasets): one row per variant, a column per
 * dataset [× protocol] [× horizon] under its dataset's heading (plus its Avg),
 * then the statistics as trailing columns.  Tall instead of wide: what a paper
 * with many methods and few datasets needs. */
static int grid_datasets_across(grid *g, const bench_table *t)
{
    size_t k = t->column_count;
    int first, last;
    statistic_range(t, &first, &last);
    size_t statistics = (size_t)(last - first + 1), groups = 0;
    g->keys = 1;
    g->columns = statistics;
    for (size_t r = 0; r < t->row_count; r = group_end(t, r)) {
        g->columns += group_end(t, r) - r + (size_t)group_has_average(t, r, group_end(t, r));
        groups++;
    }
    g->key_heads = calloc(1, sizeof *g->key_heads);
    g->key_right = calloc(1, sizeof *g->key_right);
    g->heads = calloc(g->columns ? g->columns : 1, sizeof *g->heads);
    g->tops = calloc(groups + statistics + 1, sizeof *g->tops);
    if (g->key_heads == NULL || g->key_right == NULL || g->heads == NULL || g->tops == NULL)
        return -1;
    g->key_heads[0].label = LABEL_MODEL;
    size_t column = 0;
    for (size_t r = 0; r < t->row_count; r = group_end(t, r)) {
        size_t end = group_end(t, r);
        int average = group_has_average(t, r, end);
        g->tops[g->top_count++] = (grid_heading){.cell = user_label(t->rows[r].dataset),
                                                 .span = end - r + (size_t)average};
        for (size_t i = r; i < end; i++) {
            grid_cell *head = &g->heads[column++];
            if (t->show_horizon && t->rows[i].horizon > 0)
                *head = (grid_cell){.label = LABEL_HORIZON, .horizon = t->rows[i].horizon,
                                    .user = t->show_protocol ? t->rows[i].protocol : NULL};
            else if (t->show_protocol)
                *head = user_label(t->rows[i].protocol);
        }
        if (average)
            g->heads[column++].label = LABEL_AVG;
    }
    /* The statistics head their own columns on the lower line, beside Model. */
    for (int s = first; s <= last; s++) {
        g->tops[g->top_count++] = (grid_heading){.span = 1};
        g->heads[column++] = statistic_label(t, s);
    }
    for (size_t c = 0; c < k; c++) {
        grid_row *row = grid_add_row(g);
        if (row == NULL)
            return -1;
        row->group_first = 1;
        row->group_span = 1;
        row->cells[0] = user_label(t->variants[c]);
        column = g->keys;
        for (size_t r = 0; r < t->row_count; r = group_end(t, r)) {
            size_t end = group_end(t, r);
            for (size_t i = r; i < end; i++)
                row->cells[column++] = result_cell(t, &t->cells[i * k + c]);
            if (group_has_average(t, r, end))
                row->cells[column++] = average_cell(t, r, end, c);
        }
        for (int s = first; s <= last; s++)
            row->cells[column++] = statistic_cell(t, c, s);
    }
    return 0;
}

static int grid_build(grid *g, const bench_table *t)
{
    memset(g, 0, sizeof *g);
    int failed = t->columns == BENCH_TABLE_COLUMNS_DATASETS ? grid_datasets_across(g, t) : grid_variants_across(g, t);
    if (failed)
        grid_free(g);
    return failed;
}

/* ---- writers ------------------------------------------------------------------------ */

typedef void (*escape_fn)(FILE *, const char *);

/* A label in one language: our words in its spelling, the user's part escaped. */
static void write_label(FILE *f, const grid_cell *cell, bench_table_format format, escape_fn escape,
                        int heading)
{
    int tex = format == BENCH_TABLE_TEX, md = format == BENCH_TABLE_MD;
    switch (cell->label) {
    case LABEL_NONE: break;
    case LABEL_USER: escape(f, cell->user); break;
    case LABEL_AVG: fputs(tex ? "\\textit{Avg}" : md ? "*Avg*" : "<i>Avg</i>", f); break;
    case LABEL_RANK: fputs(tex ? "Avg.\\ rank" : md ? "*Avg. rank*" : "Avg. rank", f); break;
    case LABEL_FIRSTS: fputs(md ? "*1st count*" : "1st count", f); break;
    case LABEL_WTL:
    case LABEL_WILCOXON:
        fputs(md ? "*" : "", f);
        fputs(cell->label == LABEL_WTL ? "W/T/L vs " : tex ? "Wilcoxon $p$ vs " : "Wilcoxon p vs ", f);
        escape(f, cell->user);
        fputs(md ? "*" : "", f);
        break;
    case LABEL_HOLM: fputs(tex ? "Holm-adjusted $p$" : md ? "*Holm-adjusted p*" : "Holm-adjusted p", f); break;
    case LABEL_HORIZON:
        if (cell->user != NULL) {
            escape(f, cell->user);
            fputc(' ', f);
        }
        /* As a row key the number alone (the column says H); as a heading "H=…". */
        if (heading)
            fprintf(f, tex ? "$H{=}%ld$" : "H=%ld", cell->horizon);
        else
            fprintf(f, "%ld", cell->horizon);
        break;
    case LABEL_DATASET: fputs("Dataset", f); break;
    case LABEL_PROTOCOL: fputs("Protocol", f); break;
    case LABEL_H: fputs(tex ? "$H$" : "H", f); break;
    case LABEL_MODEL: fputs("Model", f); break;
    }
}

/* A number or hole in one language (without the cell delimiters). */
static void write_value(FILE *f, const grid_cell *cell, bench_table_format format)
{
    int tex = format == BENCH_TABLE_TEX, md = format == BENCH_TABLE_MD;
    if (cell->hole != HOLE_NONE) {
        if (cell->hole == HOLE_ERROR)
            fputs(tex ? "error$^\\dagger$" : md ? "error" DAGGER : "error<sup>" DAGGER "</sup>", f);
        else
            fputs(tex ? "---" : EMDASH, f);
        return;
    }
    static const char *const open[3][3] = {{"", "**", "<u>"}, {"", "\\textbf{", "\\underline{"}, {"", "<b>", "<u>"}};
    static const char *const close[3][3] = {{"", "**", "</u>"}, {"", "}", "}"}, {"", "</b>", "</u>"}};
    int language = tex ? 1 : md ? 0 : 2;
    fprintf(f, "%s%s%s", open[language][cell->emphasis], cell->value, close[language][cell->emphasis]);
    if (cell->spread[0])
        fprintf(f, tex ? "\\,$\\pm$\\,%s" : " " PLUSMINUS " %s", cell->spread);
    if (cell->mark == MARK_PARTIAL)
        fputs(tex ? "$^\\ddagger$" : md ? DDAGGER : "<sup>" DDAGGER "</sup>", f);
    else if (cell->mark == MARK_FEWER)
        fputs(tex ? "$^\\S$" : md ? SECTION : "<sup>" SECTION "</sup>", f);
}

static void write_cell(FILE *f, const grid_cell *cell, bench_table_format format, escape_fn escape)
{
    if (cell->label != LABEL_NONE)
        write_label(f, cell, format, escape, 0);
    else
        write_value(f, cell, format);
}

/* A heading cell: horizons read "H=…" there. */
static void write_heading(FILE *f, const grid_cell *cell, bench_table_format format, escape_fn escape)
{
    if (cell->label != LABEL_NONE)
        write_label(f, cell, format, escape, 1);
    else
        write_value(f, cell, format);
}

static void write_notes_md_html(FILE *f, const bench_table *t, int html)
{
    char text[1024], notes[512];
    statistics_note(text, sizeof text, t, 0);
    footnotes(notes, sizeof notes, t, 0);
    if (!text[0] && !notes[0])
        return;
    if (html) {
        fputs("<p class=\"notes\">", f);
        bench_escape_html(f, text);
        if (text[0] && notes[0])
            fputc(' ', f);
        bench_escape_html(f, notes);
        fputs("</p>\n", f);
    } else {
        fputc('\n', f);
        bench_escape_markdown(f, text);
        if (text[0] && notes[0])
            fputc(' ', f);
        fputs(notes, f);
        fputc('\n', f);
    }
}

static void write_md(FILE *f, const bench_table *t, const grid *g)
{
    char text[1024];
    caption(text, sizeof text, t);
    fputs("**", f);
    bench_escape_markdown(f, text);
    fputs(t->has_second ? "** Best in bold, second best underlined." : "** Best in bold.", f);
    if (t->note != NULL) {
        fputc(' ', f);
        bench_escape_markdown(f, t->note);
    }
    fputs("\n\n|", f);
    for (size_t i = 0; i < g->keys; i++) {
        fputc(' ', f);
        write_heading(f, &g->key_heads[i], BENCH_TABLE_MD, bench_escape_markdown);
        fputs(" |", f);
    }
    /* Markdown has no spanning headings: each column names its dataset too. */
    for (size_t c = 0, top = 0, left = g->tops ? g->tops[0].span : 0; c < g->columns; c++) {
        fputc(' ', f);
        if (g->tops != NULL) {
            if (g->tops[top].cell.label != LABEL_NONE) {
                write_heading(f, &g->tops[top].cell, BENCH_TABLE_MD, bench_escape_markdown);
                if (g->heads[c].label != LABEL_NONE)
                    fputc(' ', f);
            }
            if (--left == 0 && ++top < g->top_count)
                left = g->tops[top].span;
        }
        write_heading(f, &g->heads[c], BENCH_TABLE_MD, bench_escape_markdown);
        fputs(" |", f);
    }
    fputs("\n|", f);
    write_alignments(f, g, "---:|", ":---|", ":---:|");
    fputc('\n', f);
    for (size_t r = 0; r < g->row_count; r++) {
        const grid_row *row = &g->rows[r];
        fputc('|', f);
        for (size_t i = 0; i < g->keys + g->columns; i++) {
            const grid_cell *cell = &row->cells[i];
            int empty = cell->label == LABEL_NONE && cell->hole == HOLE_NONE && !cell->value[0];
            if (empty && (row->average || row->footer)) {
                fputs(" |", f);
                continue;
            }
            fputc(' ', f);
            write_cell(f, cell, BENCH_TABLE_MD, bench_escape_markdown);
            fputs(" |", f);
        }
        fputc('\n', f);
    }
    write_notes_md_html(f, t, 0);
}

static void write_tex(FILE *f, const bench_table *t, const grid *g)
{
    char text[1024];
    /* A table of more than six columns spans both columns of a two-column
     * paper (table*); either way adjustbox shrinks it to the width it has, so
     * it never runs into the margin. */
    int wide = g->keys + g->columns > 6;
    fprintf(f, "%% Needs \\usepackage{booktabs}, \\usepackage{multirow} and \\usepackage{adjustbox}.\n"
               "\\begin{table%s}[t]\n\\centering\n\\caption{",
            wide ? "*" : "");
    caption(text, sizeof text, t);
    /* The caption's ± is UTF-8 in plain text; write it as math here. */
    char *pm = strstr(text, PLUSMINUS);
    if (pm != NULL) {
        *pm = '\0';
        bench_escape_latex(f, text);
        fputs("$\\pm$", f);
        bench_escape_latex(f, pm + strlen(PLUSMINUS));
    } else {
        bench_escape_latex(f, text);
    }
    fputs(t->has_second ? " Best in bold, second best underlined." : " Best in bold.", f);
    if (t->note != NULL) {
        fputc(' ', f);
        bench_escape_latex(f, t->note);
    }
    fputs("}\n\\label{tab:", f);
    bench_escape_latex_label(f, t->task);
    fputc('-', f);
    bench_escape_latex_label(f, t->metric);
    if (t->columns == BENCH_TABLE_COLUMNS_DATASETS)
        fputs("-by-dataset", f);
    fputs("}\n\\begin{adjustbox}{max width=\\linewidth}\n\\begin{tabular}{", f);
    write_alignments(f, g, "r", "l", "c");
    fputs("}\n\\toprule\n", f);
    if (g->tops != NULL) {
        /* Spanning headings with a rule under each one that covers several columns. */
        for (size_t i = 1; i < g->keys; i++)
            fputs(" &", f);
        for (size_t top = 0; top < g->top_count; top++) {
            fputs(" & ", f);
            if (g->tops[top].span > 1)
                fprintf(f, "\\multicolumn{%zu}{c}{", g->tops[top].span);
            write_heading(f, &g->tops[top].cell, BENCH_TABLE_TEX, bench_escape_latex);
            if (g->tops[top].span > 1)
                fputc('}', f);
        }
        fputs(" \\\\\n", f);
        for (size_t top = 0, column = g->keys + 1; top < g->top_count; column += g->tops[top++].span)
            if (g->tops[top].span > 1)
                fprintf(f, "\\cmidrule(lr){%zu-%zu}", column, column + g->tops[top].span - 1);
        fputc('\n', f);
    }
    for (size_t i = 0; i < g->keys; i++) {
        fputs(i ? " & " : "", f);
        write_heading(f, &g->key_heads[i], BENCH_TABLE_TEX, bench_escape_latex);
    }
    for (size_t c = 0; c < g->columns; c++) {
        fputs(" & ", f);
        write_heading(f, &g->heads[c], BENCH_TABLE_TEX, bench_escape_latex);
    }
    fputs(" \\\\\n\\midrule\n", f);
    int footer_started = 0;
    for (size_t r = 0; r < g->row_count; r++) {
        const grid_row *row = &g->rows[r];
        size_t first = 0;
        if (row->footer) {
            if (!footer_started)
                fputs("\\midrule\n", f);
            footer_started = 1;
            fprintf(f, "\\multicolumn{%zu}{l}{", g->keys);
            write_label(f, &row->cells[0], BENCH_TABLE_TEX, bench_escape_latex, 0);
            fputc('}', f);
            first = g->keys;
        } else if (row->group_first && r > 0 && g->group_rows) {
            fputs("\\midrule\n", f);
        }
        for (size_t i = first; i < g->keys + g->columns; i++) {
            const grid_cell *cell = &row->cells[i];
            if (i > 0)
                fputs(" & ", f);
            if (i == 0 && row->group_first && row->group_span > 1 && g->keys > 1) {
                fprintf(f, "\\multirow{%zu}{*}{", row->group_span);
                write_cell(f, cell, BENCH_TABLE_TEX, bench_escape_latex);
                fputc('}', f);
            } else {
                write_cell(f, cell, BENCH_TABLE_TEX, bench_escape_latex);
            }
        }
        fputs(" \\\\\n", f);
    }
    fputs("\\bottomrule\n\\end{tabular}\n\\end{adjustbox}\n", f);
    char notes[512];
    statistics_note(text, sizeof text, t, 1);
    footnotes(notes, sizeof notes, t, 1);
    if (text[0] || notes[0]) {
        fputs("\\par\\smallskip\\footnotesize ", f);
        fputs(text, f); /* already TeX: plain words, numbers and math */
        if (text[0] && notes[0])
            fputc(' ', f);
        fputs(notes, f); /* already TeX */
        fputc('\n', f);
    }
    fprintf(f, "\\end{table%s}\n", wide ? "*" : "");
}

static void write_html(FILE *f, const bench_table *t, const grid *g)
{
    char text[1024];
    fputs("<table class=\"results\">\n<caption>", f);
    caption(text, sizeof text, t);
    bench_escape_html(f, text);
    fputs(t->has_second ? " Best in <b>bold</b>, second best <u>underlined</u>." : " Best in <b>bold</b>.", f);
    if (t->note != NULL) {
        fputc(' ', f);
        bench_escape_html(f, t->note);
    }
    fputs("</caption>\n<thead>", f);
    if (g->tops != NULL) {
        fprintf(f, "<tr><td colspan=\"%zu\"></td>", g->keys);
        for (size_t top = 0; top < g->top_count; top++) {
            if (g->tops[top].cell.label == LABEL_NONE) {
                fprintf(f, "<td colspan=\"%zu\"></td>", g->tops[top].span);
                continue;
            }
            fprintf(f, "<th scope=\"colgroup\" colspan=\"%zu\">", g->tops[top].span);
            write_heading(f, &g->tops[top].cell, BENCH_TABLE_HTML, bench_escape_html);
            fputs("</th>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("<tr>", f);
    for (size_t i = 0; i < g->keys; i++) {
        fputs("<th scope=\"col\">", f);
        write_heading(f, &g->key_heads[i], BENCH_TABLE_HTML, bench_escape_html);
        fputs("</th>", f);
    }
    for (size_t c = 0; c < g->columns; c++) {
        fputs("<th scope=\"col\">", f);
        write_heading(f, &g->heads[c], BENCH_TABLE_HTML, bench_escape_html);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    int footer_started = 0;
    for (size_t r = 0; r < g->row_count; r++) {
        const grid_row *row = &g->rows[r];
        size_t first = 0;
        if (row->footer && !footer_started) {
            fputs("</tbody>\n<tfoot>\n", f);
            footer_started = 1;
        }
        fputs("<tr", f);
        if (row->html_class != NULL)
            fprintf(f, " class=\"%s\"", row->html_class);
        fputc('>', f);
        if (row->footer) {
            fprintf(f, "<th scope=\"row\" colspan=\"%zu\">", g->keys);
            write_label(f, &row->cells[0], BENCH_TABLE_HTML, bench_escape_html, 0);
            fputs("</th>", f);
            first = g->keys;
        } else if (row->group_first) {
            /* A dataset heads its group once (rowspan); a variant heads its row. */
            if (g->group_rows)
                fprintf(f, "<th scope=\"rowgroup\" rowspan=\"%zu\">", row->group_span);
            else
                fputs("<th scope=\"row\">", f);
            write_label(f, &row->cells[0], BENCH_TABLE_HTML, bench_escape_html, 0);
            fputs("</th>", f);
            first = 1;
        } else if (g->group_rows) {
            first = 1; /* under the rowspan above */
        }
        for (size_t i = first; i < g->keys + g->columns; i++) {
            const grid_cell *cell = &row->cells[i];
            if (cell->label != LABEL_NONE) {
                fputs(cell->label == LABEL_HORIZON ? "<td class=\"num\">" : "<td>", f);
                write_label(f, cell, BENCH_TABLE_HTML, bench_escape_html, 0);
                fputs("</td>", f);
            } else if (cell->hole == HOLE_ERROR || cell->hole == HOLE_MISSING) {
                fputs("<td class=\"hole\">", f);
                write_value(f, cell, BENCH_TABLE_HTML);
                fputs("</td>", f);
            } else if (cell->hole == HOLE_DASH) {
                fputs("<td>" EMDASH "</td>", f);
            } else if (cell->value[0]) {
                fputs("<td class=\"num\">", f);
                write_value(f, cell, BENCH_TABLE_HTML);
                fputs("</td>", f);
            } else {
                fputs("<td></td>", f);
            }
        }
        fputs("</tr>\n", f);
    }
    fputs(footer_started ? "</tfoot>\n" : "</tbody>\n", f);
    fputs("</table>\n", f);
    write_notes_md_html(f, t, 1);
}

static void csv_number(FILE *f, double value)
{
    if (isnan(value))
        fputs(",", f);
    else
        fprintf(f, ",%.17g", value);
}

static void write_csv(FILE *f, const bench_table *t)
{
    size_t k = t->column_count;
    for (size_t r = 0; r < t->row_count; r++) {
        for (size_t c = 0; c < k; c++) {
            const bench_table_cell *cell = &t->cells[r * k + c];
            bench_escape_csv(f, t->task);
            fputc(',', f);
            bench_escape_csv(f, t->metric);
            fputc(',', f);
            bench_escape_csv(f, t->rows[r].dataset);
            fputc(',', f);
            bench_escape_csv(f, t->rows[r].protocol);
            if (t->rows[r].horizon > 0)
                fprintf(f, ",%ld,", t->rows[r].horizon);
            else
                fputs(",,", f);
            bench_escape_csv(f, t->variants[c]);
            fprintf(f, ",%zu,%zu", cell->n_ok, cell->n_error);
            csv_number(f, cell->mean);
            csv_number(f, cell->sd);
            csv_number(f, cell->ci95);
            fprintf(f, ",%d", cell->place);
            csv_number(f, t->avg_ranks != NULL ? t->avg_ranks[c] : NAN);
            fputc('\n', f);
        }
    }
}


int bench_tables_write(FILE *stream, const bench_table_set *set, bench_table_format format, bench_error *error)
{
    if (format == BENCH_TABLE_CSV)
        fputs("task,metric,dataset,protocol,horizon,variant,n_ok,n_error,mean,sd,ci95,place,avg_rank\n", stream);
    for (size_t i = 0; i < set->count; i++) {
        const bench_table *t = &set->tables[i];
        if (format == BENCH_TABLE_CSV) {
            write_csv(stream, t);
            continue;
        }
        grid g;
        if (grid_build(&g, t) != 0)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "laying out the table of %s", t->metric);
        if (i > 0 && format != BENCH_TABLE_HTML)
            fputc('\n', stream);
        if (format == BENCH_TABLE_MD)
            write_md(stream, t, &g);
        else if (format == BENCH_TABLE_TEX)
            write_tex(stream, t, &g);
        else
            write_html(stream, t, &g);
        grid_free(&g);
    }
    if (ferror(stream))
        return BENCH_FAIL(error, BENCH_IO, "writing the tables failed");
    return BENCH_OK;
}
