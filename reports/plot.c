#include "reports/plot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>

#include "bench/escape.h"
#include "core/files.h"
#include "reports/csv_file.h"
#include "reports/predictions.h"
#include "reports/results.h"
#include "reports/table.h"

extern char **environ;

/* ---- names, formats, kinds -------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned kind;
} kind_names[] = {
    {"horizon", BENCH_PLOT_HORIZON}, {"cd", BENCH_PLOT_CD},     {"forecast", BENCH_PLOT_FORECAST},
    {"curves", BENCH_PLOT_CURVES},   {"embedding", BENCH_PLOT_EMBEDDING}, {"ap", BENCH_PLOT_AP},
    {"examples", BENCH_PLOT_EXAMPLES}, {"all", BENCH_PLOT_ALL},
};

int bench_plot_kind_parse(const char *name, unsigned *kind)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(name, kind_names[i].name) == 0) {
            *kind = kind_names[i].kind;
            return 0;
        }
    return -1;
}

const char *bench_plot_kind_name(unsigned kind)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (kind_names[i].kind == kind)
            return kind_names[i].name;
    return "?";
}

int bench_plot_format_parse(const char *name, bench_plot_format *format)
{
    if (strcmp(name, "png") == 0)
        *format = BENCH_PLOT_PNG;
    else if (strcmp(name, "svg") == 0)
        *format = BENCH_PLOT_SVG;
    else if (strcmp(name, "pdf") == 0)
        *format = BENCH_PLOT_PDF;
    else
        return -1;
    return 0;
}

const char *bench_plot_format_extension(bench_plot_format format)
{
    return format == BENCH_PLOT_SVG ? "svg" : format == BENCH_PLOT_PDF ? "pdf" : "png";
}

int bench_gnuplot_find(char *path, size_t size, const char *requested, bench_error *error)
{
    const char *program = requested ? requested : getenv("BENCH_GNUPLOT");
    if (program == NULL || *program == '\0')
        program = "gnuplot";
    if (strchr(program, '/') != NULL) {
        if (access(program, X_OK) == 0) {
            snprintf(path, size, "%s", program);
            return BENCH_OK;
        }
    } else {
        const char *search = getenv("PATH");
        if (search == NULL)
            search = "/usr/bin:/bin";
        while (*search) {
            size_t length = strcspn(search, ":");
            snprintf(path, size, "%.*s/%s", (int)length, length ? search : ".", program);
            if (access(path, X_OK) == 0)
                return BENCH_OK;
            search += length + (search[length] == ':');
        }
    }
    return BENCH_FAIL(error, BENCH_NOT_FOUND,
                      "gnuplot ('%s') was not found: install it with `apt-get install gnuplot-nox` (or set "
                      "BENCH_GNUPLOT); tables still work without it (bench table DIR)",
                      program);
}

/* ---- figure list ------------------------------------------------------------------ */

typedef struct plot_context {
    const char *dir;
    char *figures;             /* DIR/figures */
    bench_plot_format format;
    bench_figure_list *list;
    size_t capacity;
    /* Variant names in results.csv order (then first use): a variant keeps its
     * line style in every figure.  Copies, freed at the end of bench_plot. */
    char *palette[256];
    size_t palette_count;
    bench_plot_log_y log_y;
} plot_context;

/* File-name-safe copy of text (letters, digits, '.', '-', '_'; others '_'). */
static void safe_name(char *out, size_t size, const char *text)
{
    size_t i = 0;
    for (; *text && i + 1 < size; text++)
        out[i++] = (isalnum((unsigned char)*text) || *text == '.' || *text == '-' || *text == '_') ? *text : '_';
    out[i] = '\0';
}

static int add_figure(plot_context *context, unsigned kind, const char *title, const char *script,
                      const char *output, bench_error *error)
{
    bench_figure_list *list = context->list;
    bench_figure *items = report_grow(list->items, list->count, &context->capacity, sizeof *items, 16);
    if (items == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "listing figures");
    list->items = items;
    bench_figure *figure = &list->items[list->count];
    *figure = (bench_figure){.kind = kind};
    figure->title = strdup(title);
    figure->script = script ? strdup(script) : NULL;
    figure->output = output ? strdup(output) : NULL;
    list->count++;
    if (figure->title == NULL || (script && !figure->script) || (output && !figure->output))
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "listing figures");
    return BENCH_OK;
}

/* A figure the input would suggest but that was not drawn, with the reason:
 * listed so the caller can say why instead of the figure silently missing. */
static int add_note(plot_context *context, bench_error *error, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static int add_note(plot_context *context, bench_error *error, const char *format, ...)
{
    bench_figure_list *list = context->list;
    char **bigger = realloc(list->notes, (list->note_count + 1) * sizeof *bigger);
    if (bigger == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "listing figures");
    list->notes = bigger;
    va_list arguments;
    va_start(arguments, format);
    int length = vasprintf(&list->notes[list->note_count], format, arguments);
    va_end(arguments);
    if (length < 0)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "listing figures");
    list->note_count++;
    return BENCH_OK;
}

void bench_figure_list_free(bench_figure_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].title);
        free(list->items[i].script);
        free(list->items[i].output);
    }
    free(list->items);
    for (size_t i = 0; i < list->note_count; i++)
        free(list->notes[i]);
    free(list->notes);
    memset(list, 0, sizeof *list);
}

/* ---- writing files ------------------------------------------------------------------ */

/* A file being composed in memory, then written atomically. */
typedef struct text_file {
    char *text;
    size_t length;
    FILE *stream;
} text_file;

static int text_open(text_file *file, bench_error *error)
{
    *file = (text_file){0};
    file->stream = open_memstream(&file->text, &file->length);
    return file->stream ? BENCH_OK : BENCH_FAIL(error, BENCH_NO_MEMORY, "composing a figure");
}

static int text_save(text_file *file, const plot_context *context, const char *name, bench_error *error)
{
    fclose(file->stream);
    file->stream = NULL;
    size_t size = strlen(context->figures) + strlen(name) + 2;
    char *path = malloc(size);
    int status = path ? BENCH_OK : BENCH_FAIL(error, BENCH_NO_MEMORY, "writing %s", name);
    if (status == BENCH_OK) {
        snprintf(path, size, "%s/%s", context->figures, name);
        status = bench_write_file_atomic(path, file->text, file->length, error);
    }
    free(path);
    free(file->text);
    file->text = NULL;
    return status;
}


/* Saves DATA, a figure's composed data, as NAME.dat (its name in FILE, SIZE
 * bytes, for the plot command) and opens SCRIPT for its gnuplot script. */
static int save_data_open_script(text_file *data, text_file *script, const plot_context *context, const char *name,
                                 char *file, size_t size, bench_error *error)
{
    snprintf(file, size, "%s.dat", name);
    int status = text_save(data, context, file, error);
    return status == BENCH_OK ? text_open(script, error) : status;
}

/* Saves a figure's composed gnuplot script as NAME.gp and lists the figure. */
static int save_figure(text_file *script, plot_context *context, const char *name, unsigned kind,
                       const char *title, bench_error *error)
{
    char file[1100];
    snprintf(file, sizeof file, "%s.gp", name);
    int status = text_save(script, context, file, error);
    return status == BENCH_OK ? add_figure(context, kind, title, file, NULL, error) : status;
}

/* Names in a figure come from user data (dataset labels, variants, series,
 * classes): gnuplot would run a `backquoted` part of a double-quoted string as a
 * shell command, so every one goes through bench_escape_gnuplot (single
 * quotes).  Titles, labels and key entries also get `noenhanced`, so _ ^ @ & { }
 * in a name print as typed even if style.gp turns enhanced text on. */
static void gp_text(FILE *f, const char *text)
{
    bench_escape_gnuplot(f, text);
    fputs(" noenhanced", f);
}

/* A data file named in a plot command (a file-name-safe name, quoted anyway). */
static void gp_file(FILE *f, const char *file)
{
    fputs("  ", f);
    bench_escape_gnuplot(f, file);
}

/* "# text\n" in a script or data file: a name with a line break must not turn
 * the rest of itself into a command or a data row. */
static void gp_comment(FILE *f, const char *text)
{
    fputs("# ", f);
    bench_escape_gnuplot_comment(f, text);
    fputc('\n', f);
}

/* Every script starts the same way: sizes, the shared style, the output name. */
static void gp_header_min(FILE *f, const char *name, const char *what, double width, double height,
                          double paper_min_width);

/* The header of a figure with its title above the plot on screen (a paper
 * has a caption instead). */
static void gp_titled_header(FILE *f, const char *name, const char *title, double width, double height)
{
    gp_header_min(f, name, title, width, height, 0);
    fputs("if (!exists(\"paper_width\")) set title ", f);
    gp_text(f, title);
}

/* paper_min_width > 0: with a paper size (bench plot --size) the figure is at
 * least this wide, for layouts drawn in screen coordinates whose labels would
 * not fit a narrower one (the CD diagram). */
static void gp_header_min(FILE *f, const char *name, const char *what, double width, double height,
                          double paper_min_width)
{
    gp_comment(f, what);
    fprintf(f,
            "# Written by `bench plot`; edit freely.  Rerun from this directory:\n"
            "#   gnuplot %s.gp                  (PNG)\n"
            "#   gnuplot -e 'fmt=\"pdf\"' %s.gp   (or \"svg\")\n"
            "# Shared fonts, colours and dash types are in style.gp.\n"
            "width = %.2f   # inches\n"
            "height = %.2f\n",
            name, name, width, height);
    if (paper_min_width > 0)
        fprintf(f, "paper_min_width = %.2f\n", paper_min_width);
    fputs("load \"style.gp\"\n"
          "if (!exists(\"outfile\")) outfile = ",
          f);
    char stem[1100];
    snprintf(stem, sizeof stem, "%s.", name);
    bench_escape_gnuplot(f, stem);
    fputs(" . fmt\nset output outfile\n", f);
}

/* Shared style: greyscale-safe (Okabe-Ito colours that differ in lightness,
 * each paired with its own dash type and point type). */
static const char style_gp[] =
    "# Style shared by every bench figure: change it here, rerun the scripts.\n"
    "if (!exists(\"fmt\")) fmt = \"png\"\n"
    "if (!exists(\"width\")) width = 6.4\n"
    "if (!exists(\"height\")) height = 4.0\n"
    "# A paper size (bench plot --size) scales every figure to that width, keeping its shape.\n"
    "if (!exists(\"paper_min_width\")) paper_min_width = 0\n"
    "if (exists(\"paper_width\")) {\n"
    "    paper_figure_width = paper_min_width > paper_width ? paper_min_width : paper_width\n"
    "    height = height * paper_figure_width / width\n"
    "    width = paper_figure_width\n"
    "}\n"
    "if (!exists(\"dpi\")) dpi = 110\n"
    "# Legends beside the plot, or below it when the figure is narrow (one paper column).\n"
    "key_position = width < 5 ? \"below horizontal maxcols 3\" : \"outside right top\"\n"
    "font_name = \"DejaVu Sans\"\n"
    "if (!exists(\"font_size\")) font_size = 10\n"
    "if (fmt eq \"png\") {\n"
    "    set terminal pngcairo size width*dpi, height*dpi font sprintf(\"%s,%d\", font_name, font_size) \\\n"
    "        fontscale dpi/110.0 linewidth dpi/110.0 noenhanced\n"
    "} else {\n"
    "    if (fmt eq \"svg\") {\n"
    "        set terminal svg size width*90, height*90 font sprintf(\"%s,%d\", font_name, font_size) noenhanced\n"
    "    } else {\n"
    "        set terminal pdfcairo size width, height font sprintf(\"%s,%d\", font_name, font_size) noenhanced\n"
    "    }\n"
    "}\n"
    "set encoding utf8\n"
    "set border 3 lw 1\n"
    "set tics nomirror out scale 0.7\n"
    "set grid ytics lc rgb \"#d9d9d9\" lw 0.8 dt 1\n"
    "set key noopaque samplen 3 spacing 1.1\n"
    "set datafile missing \"?\"\n"
    "# Line styles 1..16: colour + dash type + point type, distinct in greyscale too.\n"
    "set style line 1 lc rgb \"#000000\" lw 2 dt 1 pt 7 ps 0.8\n"
    "set style line 2 lc rgb \"#E69F00\" lw 2 dt 2 pt 5 ps 0.8\n"
    "set style line 3 lc rgb \"#0072B2\" lw 2 dt 3 pt 9 ps 0.9\n"
    "set style line 4 lc rgb \"#009E73\" lw 2 dt 4 pt 11 ps 0.9\n"
    "set style line 5 lc rgb \"#D55E00\" lw 2 dt 5 pt 13 ps 0.9\n"
    "set style line 6 lc rgb \"#56B4E9\" lw 2 dt (8,3,2,3) pt 6 ps 0.8\n"
    "set style line 7 lc rgb \"#CC79A7\" lw 2 dt (2,2) pt 4 ps 0.8\n"
    "set style line 8 lc rgb \"#666666\" lw 2 dt (12,4) pt 8 ps 0.8\n"
    "# 9..16: the same colours with another dash and open points, so up to 16 variants stay apart.\n"
    "set style line 9 lc rgb \"#000000\" lw 2 dt (6,2,2,2) pt 6 ps 0.8\n"
    "set style line 10 lc rgb \"#E69F00\" lw 2 dt (2,4) pt 4 ps 0.8\n"
    "set style line 11 lc rgb \"#0072B2\" lw 2 dt (10,3,2,3,2,3) pt 8 ps 0.9\n"
    "set style line 12 lc rgb \"#009E73\" lw 2 dt 1 pt 10 ps 0.9\n"
    "set style line 13 lc rgb \"#D55E00\" lw 2 dt (4,4) pt 12 ps 0.9\n"
    "set style line 14 lc rgb \"#56B4E9\" lw 2 dt 1 pt 14 ps 0.8\n"
    "set style line 15 lc rgb \"#CC79A7\" lw 2 dt (8,2,2,2,2,2) pt 2 ps 0.8\n"
    "set style line 16 lc rgb \"#666666\" lw 2 dt (3,3) pt 3 ps 0.8\n"
    "# The truth in forecast plots: a wide light-grey line under the forecasts.\n"
    "set style line 20 lc rgb \"#b0b0b0\" lw 4 dt 1\n";

enum { STYLE_COUNT = 16 }; /* line styles 1..16 in style.gp; beyond that styles repeat */

static int style_of(size_t index)
{
    return (int)(index % STYLE_COUNT) + 1;
}

/* The line style of a variant, the same in every figure of the run. */
static int variant_style(plot_context *context, const char *variant)
{
    for (size_t i = 0; i < context->palette_count; i++)
        if (strcmp(context->palette[i], variant) == 0)
            return style_of(i);
    if (context->palette_count == sizeof context->palette / sizeof context->palette[0])
        return style_of(context->palette_count); /* beyond 256 variants styles repeat anyway */
    char *copy = strdup(variant);
    if (copy == NULL)
        return style_of(context->palette_count);
    context->palette[context->palette_count++] = copy;
    return style_of(context->palette_count - 1);
}

static void format_value(FILE *f, double value)
{
    if (isnan(value))
        fputs(" ?", f);
    else
        fprintf(f, " %.10g", value);
}

/* ---- running gnuplot ------------------------------------------------------------------ */

static int run_gnuplot(const plot_context *context, const char *gnuplot, const char *name, double timeout,
                       char *output, size_t output_size, bench_error *error)
{
    const char *extension = bench_plot_format_extension(context->format);
    char script[1024], temporary[1024], assignment[2200], log_name[5200];
    snprintf(script, sizeof script, "%s.gp", name);
    snprintf(output, output_size, "%s.%s", name, extension);
    snprintf(temporary, sizeof temporary, ".%s.%s.tmp", name, extension);
    /* gnuplot parses -e as a command: the output name goes in as an escaped literal. */
    char quoted[2100];
    if (bench_escape_buffer(quoted, sizeof quoted, BENCH_ESCAPE_GNUPLOT, temporary) >= sizeof quoted)
        return BENCH_FAIL(error, BENCH_INTERNAL, "figure name '%s' too long for gnuplot", name);
    snprintf(assignment, sizeof assignment, "fmt=\"%s\"; outfile=%s", extension, quoted);
    snprintf(log_name, sizeof log_name, "%s/.%s.log", context->figures, name);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    /* Open the log before changing directory: log_name is relative to our own. */
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addchdir_np(&actions, context->figures);
    char *argv[] = {(char *)gnuplot, "-e", assignment, script, NULL};
    pid_t pid;
    int spawn_status = posix_spawn(&pid, gnuplot, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_status != 0)
        return BENCH_FAIL(error, BENCH_IO, "cannot start %s in %s: %s", gnuplot, context->figures,
                          strerror(spawn_status));
    struct timespec start, now, pause = {.tv_sec = 0, .tv_nsec = 5 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    int wait_status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &wait_status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR)
            return BENCH_FAIL(error, BENCH_IO, "waiting for gnuplot: %s", strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) + 1e-9 * (double)(now.tv_nsec - start.tv_nsec);
        if (elapsed > timeout) {
            kill(pid, SIGKILL);
            waitpid(pid, &wait_status, 0);
            char path[5200];
            snprintf(path, sizeof path, "%s/%s", context->figures, temporary);
            unlink(path);
            return BENCH_FAIL(error, BENCH_IO, "gnuplot did not finish %s/%s within %.0f s (killed)",
                              context->figures, script, timeout);
        }
        nanosleep(&pause, NULL);
    }
    char from[5200], to[5200];
    snprintf(from, sizeof from, "%s/%s", context->figures, temporary);
    snprintf(to, sizeof to, "%s/%s", context->figures, output);
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
        unlink(from);
        char first_line[300] = "";
        FILE *log = fopen(log_name, "r");
        if (log != NULL) {
            char line[300];
            while (fgets(line, sizeof line, log) != NULL)
                if (strstr(line, "line ") != NULL || first_line[0] == '\0')
                    snprintf(first_line, sizeof first_line, "%s", line);
            fclose(log);
        }
        first_line[strcspn(first_line, "\n")] = '\0';
        return BENCH_FAIL(error, BENCH_IO, "gnuplot failed on %s/%s: %s (log: %s)", context->figures, script,
                          first_line, log_name);
    }
    unlink(log_name);
    if (rename(from, to) != 0)
        return BENCH_FAIL(error, BENCH_IO, "%s: %s", to, strerror(errno));
    return BENCH_OK;
}

/* ---- kind: metric vs horizon ------------------------------------------------------------ */

/* What a figure's error bars show, for its title: WITH_SPREAD of the
 * WITH_VALUE cells drawn have two or more seeds; MIXED says how bars are drawn
 * when only some do. */
static void seeds_phrase(char *out, size_t size, size_t with_spread, size_t with_value, size_t seed_count,
                         const char *seeds, const char *mixed)
{
    if (with_spread == 0 && seed_count == 1)
        snprintf(out, size, "one seed (%s), no error bars", seeds);
    else if (with_spread == 0)
        snprintf(out, size, "one seed per cell, no error bars");
    else if (with_spread < with_value)
        snprintf(out, size, "%s", mixed);
    else
        snprintf(out, size, "mean and std over %zu seeds", seed_count);
}

static int plot_horizon(plot_context *context, const bench_table_set *tables, bench_error *error)
{
    for (size_t t = 0; t < tables->count; t++) {
        const bench_table *table = &tables->tables[t];
        if (strcmp(table->task, "forecast") != 0 || !table->show_horizon)
            continue;
        size_t k = table->column_count;
        for (size_t start = 0; start < table->row_count;) {
            size_t end = start + 1;
            while (end < table->row_count && strcmp(table->rows[end].dataset, table->rows[start].dataset) == 0 &&
                   strcmp(table->rows[end].protocol, table->rows[start].protocol) == 0)
                end++;
            size_t first = start;
            start = end;
            if (end - first < 2)
                continue; /* one horizon is a point, not a curve */
            const bench_table_row *row = &table->rows[first];
            char name[400], dataset[160], metric[96], label_buffer[128], title[512];
            safe_name(dataset, sizeof dataset, row->dataset);
            safe_name(metric, sizeof metric, table->metric);
            char protocol[96];
            safe_name(protocol, sizeof protocol, row->protocol);
            snprintf(name, sizeof name, "horizon_%s_%s_%s", metric, dataset, protocol);
            const char *label = bench_metric_label(table->metric, label_buffer, sizeof label_buffer);
            /* Error bars only where a cell has two or more seeds: gnuplot drops a
             * point whose std is missing, and with one seed every point would go
             * ("x range is invalid").  The title says which of the two it shows. */
            size_t with_spread = 0, with_value = 0;
            for (size_t i = first * k; i < end * k; i++) {
                with_value += table->cells[i].n_ok > 0;
                with_spread += table->cells[i].n_ok > 1;
            }
            if (with_value == 0) {
                int status = add_note(context, error, "%s: not drawn, every cell of %s failed", name, row->dataset);
                if (status != BENCH_OK)
                    return status;
                continue;
            }
            char what[160];
            seeds_phrase(what, sizeof what, with_spread, with_value, table->seed_count, table->seeds,
                         "mean and std over seeds, bars where n > 1");
            snprintf(title, sizeof title, "%s vs horizon on %s (%s), %s", label, row->dataset, row->protocol, what);
            text_file data, script;
            int status = text_open(&data, error);
            if (status != BENCH_OK)
                return status;
            gp_comment(data.stream, title);
            fputs("# horizon", data.stream);
            for (size_t c = 0; c < k; c++)
                for (int part = 0; part < 1 + (with_spread != 0); part++) {
                    fputc(' ', data.stream);
                    bench_escape_gnuplot_comment(data.stream, table->variants[c]);
                    fputs(part ? "_sd" : "_mean", data.stream);
                }
            fputc('\n', data.stream);
            for (size_t r = first; r < end; r++) {
                fprintf(data.stream, "%ld", table->rows[r].horizon);
                for (size_t c = 0; c < k; c++) {
                    const bench_table_cell *cell = &table->cells[r * k + c];
                    format_value(data.stream, cell->mean);
                    if (with_spread)
                        format_value(data.stream, cell->n_ok > 1 ? cell->sd : NAN);
                }
                fputc('\n', data.stream);
            }
            char file[450];
            status = save_data_open_script(&data, &script, context, name, file, sizeof file, error);
            if (status != BENCH_OK)
                return status;
            FILE *f = script.stream;
            gp_titled_header(f, name, title, 6.4, 4.0);
            fputs("\nset xlabel \"forecast horizon H (steps)\"\nset ylabel ", f);
            char ylabel[200];
            snprintf(ylabel, sizeof ylabel, "%s (%s)", label, bench_metric_direction(table->metric) < 0 ?
                     "lower is better" : bench_metric_direction(table->metric) > 0 ? "higher is better" : "");
            gp_text(f, ylabel);
            fputs("\nset key @key_position\nset xtics (", f);
            for (size_t r = first; r < end; r++)
                fprintf(f, "%s\"%ld\" %ld", r > first ? ", " : "", table->rows[r].horizon, table->rows[r].horizon);
            /* A variant far above the others (gbrt at 1.2 next to 0.003-0.1)
             * would flatten them on a linear axis: a log y axis then, by
             * default or when asked.  Otherwise an error metric's axis starts
             * at 0, never below it. */
            double low = INFINITY, high = -INFINITY;
            for (size_t i = first * k; i < end * k; i++)
                if (table->cells[i].n_ok > 0) {
                    low = fmin(low, table->cells[i].mean);
                    high = fmax(high, table->cells[i].mean);
                }
            int log_y = low > 0 && (context->log_y == BENCH_PLOT_LOG_Y_ON ||
                                    (context->log_y == BENCH_PLOT_LOG_Y_AUTO && high / low > 20));
            fprintf(f, ")\nset logscale x 2\nset offsets graph 0.05, graph 0.05, graph 0.05, %s\n",
                    log_y ? "graph 0.05" : "0");
            if (log_y)
                fprintf(f, "set logscale y 10   # the means span a factor of %.0f\n", high / low);
            else if (low >= 0 && table->direction < 0)
                fputs("set yrange [0:*]   # an error metric: the axis starts at 0\n", f);
            if (with_spread)
                fputs("# lines through the means; error bars (solid) only where a std exists\n", f);
            fputs("plot \\\n", f);
            size_t stride = with_spread ? 2 : 1;
            for (size_t c = 0; c < k; c++) {
                int style = variant_style(context, table->variants[c]);
                gp_file(f, file);
                fprintf(f, " using 1:%zu with linespoints ls %d title ", 2 + stride * c, style);
                gp_text(f, table->variants[c]);
                if (with_spread) {
                    fputs(", \\\n", f);
                    gp_file(f, file);
                    fprintf(f, " using 1:%zu:%zu with yerrorbars ls %d dt 1 lw 1 notitle", 2 + stride * c,
                            3 + stride * c, style);
                }
                fputs(c + 1 < k ? ", \\\n" : "\n", f);
            }
            status = save_figure(&script, context, name, BENCH_PLOT_HORIZON, title, error);
            if (status != BENCH_OK)
                return status;
        }
    }
    return BENCH_OK;
}

/* ---- kind: critical-difference diagram ------------------------------------------------------- */

static int plot_cd(plot_context *context, const bench_table_set *tables, bench_error *error)
{
    for (size_t t = 0; t < tables->count; t++) {
        const bench_table *table = &tables->tables[t];
        size_t k = table->column_count;
        if (k < 2 || table->direction == 0)
            continue; /* nothing to rank: one variant, or a metric without a direction */
        if (!table->has_friedman || isnan(table->cd05)) {
            int status = table->has_friedman
                ? add_note(context, error, "cd_%s_%s: not drawn, no Nemenyi critical value for %zu variants (2..%d)",
                           table->task, table->metric, k, BENCH_NEMENYI_MAX_K)
                : add_note(context, error,
                           "cd_%s_%s: not drawn, %zu dataset%s with a complete row (every variant has a value; "
                           "each dataset counts once, its horizons averaged); Friedman and Nemenyi need at least %d",
                           table->task, table->metric, table->complete_rows, table->complete_rows == 1 ? "" : "s",
                           BENCH_TABLE_MIN_FRIEDMAN_ROWS);
            if (status != BENCH_OK)
                return status;
            continue;
        }
        /* order, then the groups' first and last positions: 3k indices. */
        size_t *order = malloc(3 * k * sizeof *order);
        if (order == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "critical-difference diagram of %zu variants", k);
        size_t *group_from = order + k, *group_to = order + 2 * k, group_count = 0;
        for (size_t i = 0; i < k; i++)
            order[i] = i;
        for (size_t i = 1; i < k; i++) /* by average rank, best first */
            for (size_t j = i; j > 0 && table->avg_ranks[order[j]] < table->avg_ranks[order[j - 1]]; j--) {
                size_t swap = order[j];
                order[j] = order[j - 1];
                order[j - 1] = swap;
            }
        char name[300], task[64], metric[96], label_buffer[128], title[512];
        safe_name(task, sizeof task, table->task);
        safe_name(metric, sizeof metric, table->metric);
        snprintf(name, sizeof name, "cd_%s_%s", task, metric);
        const char *label = bench_metric_label(table->metric, label_buffer, sizeof label_buffer);
        snprintf(title, sizeof title,
                 "Critical difference (Nemenyi, alpha = 0.05): %s, %s, %zu datasets, Friedman p = %.3g", label,
                 table->task, table->complete_rows, table->friedman.p_chi2);
        text_file data, script;
        int status = text_open(&data, error);
        if (status != BENCH_OK) {
            free(order);
            return status;
        }
        gp_comment(data.stream, title);
        fprintf(data.stream, "# cd = %.6f over %zu datasets (each its complete horizons averaged)\n# variant average_rank\n",
                table->cd05,
                table->complete_rows);
        for (size_t i = 0; i < k; i++) {
            bench_escape_gnuplot_data(data.stream, table->variants[order[i]]);
            fprintf(data.stream, " %.6f\n", table->avg_ranks[order[i]]);
        }
        char file[350];
        status = save_data_open_script(&data, &script, context, name, file, sizeof file, error);
        if (status != BENCH_OK) {
            free(order);
            return status;
        }
        FILE *f = script.stream;
        size_t half = (k + 1) / 2;
        /* Groups not significantly different: maximal runs (in rank order) whose span is < CD. */
        for (size_t i = 0; i < k; i++) {
            size_t j = i;
            while (j + 1 < k && table->avg_ranks[order[j + 1]] - table->avg_ranks[order[i]] < table->cd05)
                j++;
            if (j == i || (group_count > 0 && j <= group_to[group_count - 1]))
                continue;
            group_from[group_count] = i;
            group_to[group_count++] = j;
        }
        /* Layout in inches from the top, converted to screen coordinates. */
        double labels_top = 1.15 + 0.12 * (double)group_count + 0.12, line_step = 0.26;
        double height = labels_top + line_step * (double)(half - 1) + 0.3;
        gp_header_min(f, name, title, 6.8, height, 6.8);
        double x0 = 0.27, x1 = 0.73;
#define RANK_X(r) (x0 + (x1 - x0) * ((r) - 1.0) / (double)(k - 1))
#define Y(inches) (1.0 - (inches) / height)
        fputs("# Drawn in screen coordinates: x in [0,1] left to right, y in [0,1] bottom to top.\n"
              "unset border\nunset xtics\nunset ytics\nunset grid\nunset key\nset xrange [0:1]\nset yrange [0:1]\n"
              "set margins 0, 0, 0, 0\n",
              f);
        fputs("if (!exists(\"paper_width\")) set label ", f); /* a paper has a caption */
        gp_text(f, title);
        fprintf(f, " at screen 0.5, screen %.4f center\n", Y(0.22));
        double axis_y = Y(1.0);
        fprintf(f, "# rank axis 1..%zu (1 = best)\nset arrow from screen %.4f, screen %.4f to screen %.4f, screen %.4f nohead lc rgb \"#000000\" lw 1.5\n",
                k, x0, axis_y, x1, axis_y);
        for (size_t r = 1; r <= k; r++) {
            fprintf(f, "set arrow from screen %.4f, screen %.4f to screen %.4f, screen %.4f nohead lc rgb \"#000000\" lw 1\n",
                    RANK_X((double)r), axis_y, RANK_X((double)r), Y(0.92));
            fprintf(f, "set label \"%zu\" at screen %.4f, screen %.4f center\n", r, RANK_X((double)r), Y(0.8));
        }
        double cd_end = 1.0 + table->cd05;
        if (cd_end > (double)k)
            cd_end = (double)k;
        fprintf(f, "# critical difference bar\nset arrow from screen %.4f, screen %.4f to screen %.4f, screen %.4f heads size screen 0.006,90 lc rgb \"#000000\" lw 1.5\n",
                RANK_X(1.0), Y(0.6), RANK_X(cd_end), Y(0.6));
        fprintf(f, "set label \"CD = %.3f\" at screen %.4f, screen %.4f center\n", table->cd05,
                0.5 * (RANK_X(1.0) + RANK_X(cd_end)), Y(0.45));
        fputs("# thick bars join variants whose ranks differ by less than CD\n", f);
        for (size_t g = 0; g < group_count; g++) {
            double y = Y(1.15 + 0.12 * (double)g);
            fprintf(f, "set arrow from screen %.4f, screen %.4f to screen %.4f, screen %.4f nohead lc rgb \"#000000\" lw 4\n",
                    RANK_X(table->avg_ranks[order[group_from[g]]]) - 0.006, y,
                    RANK_X(table->avg_ranks[order[group_to[g]]]) + 0.006, y);
        }
        fputs("# one elbow line per variant: best half on the left, the rest on the right\n", f);
        for (size_t i = 0; i < k; i++) {
            size_t v = order[i];
            double x = RANK_X(table->avg_ranks[v]);
            int left = i < half;
            size_t level = left ? i : k - 1 - i;
            double y = Y(labels_top + line_step * (double)level);
            double end_x = left ? x0 - 0.03 : x1 + 0.03;
            fprintf(f, "set arrow from screen %.4f, screen %.4f to screen %.4f, screen %.4f nohead lc rgb \"#555555\" lw 1\n",
                    x, axis_y, x, y);
            fprintf(f, "set arrow from screen %.4f, screen %.4f to screen %.4f, screen %.4f nohead lc rgb \"#555555\" lw 1\n",
                    x, y, end_x, y);
            char text[256];
            if (left)
                snprintf(text, sizeof text, "%s (%.2f)", table->variants[v], table->avg_ranks[v]);
            else
                snprintf(text, sizeof text, "(%.2f) %s", table->avg_ranks[v], table->variants[v]);
            fputs("set label ", f);
            gp_text(f, text);
            fprintf(f, " at screen %.4f, screen %.4f %s\n", left ? end_x - 0.01 : end_x + 0.01, y,
                    left ? "right" : "left");
        }
#undef RANK_X
#undef Y
        fputs("plot NaN notitle\n", f);
        free(order);
        status = save_figure(&script, context, name, BENCH_PLOT_CD, title, error);
        if (status != BENCH_OK)
            return status;
    }
    return BENCH_OK;
}

/* ---- kind: per-class AP bars --------------------------------------------------------------- */

static int plot_ap(plot_context *context, const bench_table_set *tables, bench_error *error)
{
    /* Each (dataset, protocol) row across the detect ap_<class> tables is one figure. */
    for (size_t t = 0; t < tables->count; t++) {
        const bench_table *table = &tables->tables[t];
        if (strcmp(table->task, "detect") != 0 || strncmp(table->metric, "ap_", 3) != 0)
            continue;
        for (size_t r = 0; r < table->row_count; r++) {
            const bench_table_row *row = &table->rows[r];
            int done = 0; /* already drawn from an earlier ap_ table */
            for (size_t u = 0; u < t && !done; u++) {
                const bench_table *earlier = &tables->tables[u];
                if (strcmp(earlier->task, "detect") != 0 || strncmp(earlier->metric, "ap_", 3) != 0)
                    continue;
                for (size_t q = 0; q < earlier->row_count && !done; q++)
                    done = strcmp(earlier->rows[q].dataset, row->dataset) == 0 &&
                           strcmp(earlier->rows[q].protocol, row->protocol) == 0;
            }
            if (done)
                continue;
            /* Variants: union over the ap tables, in first-seen order. */
            const char *variants[32];
            size_t variant_count = 0;
            for (size_t u = t; u < tables->count; u++) {
                const bench_table *other = &tables->tables[u];
                if (strcmp(other->task, "detect") != 0 || strncmp(other->metric, "ap_", 3) != 0)
                    continue;
                for (size_t c = 0; c < other->column_count && variant_count < 32; c++) {
                    int seen = 0;
                    for (size_t v = 0; v < variant_count && !seen; v++)
                        seen = strcmp(variants[v], other->variants[c]) == 0;
                    if (!seen)
                        variants[variant_count++] = other->variants[c];
                }
            }
            char name[400], dataset[160], protocol[96], title[512];
            safe_name(dataset, sizeof dataset, row->dataset);
            safe_name(protocol, sizeof protocol, row->protocol);
            snprintf(name, sizeof name, "ap_%s_%s", dataset, protocol);
            /* Error bars only when some cell has two or more seeds; the title says which. */
            size_t with_spread = 0, with_value = 0, seed_count = table->seed_count;
            for (size_t u = t; u < tables->count; u++) {
                const bench_table *other = &tables->tables[u];
                if (strcmp(other->task, "detect") != 0 || strncmp(other->metric, "ap_", 3) != 0)
                    continue;
                for (size_t q = 0; q < other->row_count; q++)
                    if (strcmp(other->rows[q].dataset, row->dataset) == 0 &&
                        strcmp(other->rows[q].protocol, row->protocol) == 0)
                        for (size_t c = 0; c < other->column_count; c++) {
                            with_value += other->cells[q * other->column_count + c].n_ok > 0;
                            with_spread += other->cells[q * other->column_count + c].n_ok > 1;
                        }
            }
            char what[160];
            seeds_phrase(what, sizeof what, with_spread, with_value, seed_count, table->seeds,
                         "mean and std over seeds (one-seed cells: bar without spread)");
            snprintf(title, sizeof title, "Per-class AP on %s (%s), %s", row->dataset, row->protocol, what);
            text_file data, script;
            int status = text_open(&data, error);
            if (status != BENCH_OK)
                return status;
            /* The class names label the bars through an explicit xtics list in
             * the script, not xtic(1) from the data file: a data-file string
             * cannot hold a double quote, a script string can hold anything. */
            text_file tics;
            status = text_open(&tics, error);
            if (status != BENCH_OK) {
                fclose(data.stream);
                free(data.text);
                return status;
            }
            size_t class_count = 0;
            gp_comment(data.stream, title);
            fputs("# class", data.stream);
            for (size_t v = 0; v < variant_count; v++)
                for (int part = 0; part < 2; part++) {
                    fputc(' ', data.stream);
                    bench_escape_gnuplot_comment(data.stream, variants[v]);
                    fputs(part ? "_sd" : "_mean", data.stream);
                }
            fputc('\n', data.stream);
            for (size_t u = t; u < tables->count; u++) {
                const bench_table *other = &tables->tables[u];
                if (strcmp(other->task, "detect") != 0 || strncmp(other->metric, "ap_", 3) != 0)
                    continue;
                size_t q = 0;
                while (q < other->row_count && !(strcmp(other->rows[q].dataset, row->dataset) == 0 &&
                                                 strcmp(other->rows[q].protocol, row->protocol) == 0))
                    q++;
                if (q == other->row_count)
                    continue;
                bench_escape_gnuplot_data(data.stream, other->metric + 3);
                fputs(class_count ? ", " : "", tics.stream);
                bench_escape_gnuplot(tics.stream, other->metric + 3);
                fprintf(tics.stream, " %zu", class_count++);
                for (size_t v = 0; v < variant_count; v++) {
                    double mean = NAN, sd = NAN;
                    for (size_t c = 0; c < other->column_count; c++)
                        if (strcmp(other->variants[c], variants[v]) == 0) {
                            const bench_table_cell *cell = &other->cells[q * other->column_count + c];
                            mean = cell->mean;
                            sd = cell->n_ok > 1 ? cell->sd : 0.0;
                        }
                    format_value(data.stream, mean);
                    format_value(data.stream, isnan(mean) ? NAN : sd);
                }
                fputc('\n', data.stream);
            }
            fclose(tics.stream);
            tics.stream = NULL;
            char file[450];
            status = save_data_open_script(&data, &script, context, name, file, sizeof file, error);
            if (status != BENCH_OK) {
                free(tics.text);
                return status;
            }
            FILE *f = script.stream;
            /* Ten X-ray class names side by side ran into one string: the
             * labels are turned 40 degrees and the figure is taller for them. */
            gp_titled_header(f, name, title, 7.2, 4.6);
            fprintf(f, "\nset ylabel \"AP (higher is better)\"\nset yrange [0:*]\n"
                       "# bar group i (from 0) is the i-th class row of the data file\n"
                       "set xtics (%s) noenhanced rotate by 40 right\nset bmargin 10\nset lmargin 16\n"
                       "set style data histograms\n",
                    tics.text);
            free(tics.text);
            fputs(with_spread ? "set style histogram errorbars gap 1 lw 1\n" : "set style histogram clustered gap 1\n", f);
            fputs("set boxwidth 0.9 relative\nset key @key_position\nset grid noxtics\nplot \\\n", f);
            for (size_t v = 0; v < variant_count; v++) {
                /* Fill patterns keep bars apart in greyscale; colours follow the line styles. */
                static const int patterns[] = {4, 5, 2, 6, 7, 1, 3};
                char columns[64];
                if (with_spread)
                    snprintf(columns, sizeof columns, "%zu:%zu", 2 + 2 * v, 3 + 2 * v);
                else
                    snprintf(columns, sizeof columns, "%zu", 2 + 2 * v);
                gp_file(f, file);
                fprintf(f, " using %s ls %d dt 1 lw 1 fs pattern %d border lc rgb \"#000000\" title ", columns,
                        variant_style(context, variants[v]), patterns[v % 7]);
                gp_text(f, variants[v]);
                fputs(v + 1 < variant_count ? ", \\\n" : "\n", f);
            }
            status = save_figure(&script, context, name, BENCH_PLOT_AP, title, error);
            if (status != BENCH_OK)
                return status;
        }
    }
    return BENCH_OK;
}

/* ---- reading the optional input directories -------------------------------------------------- */

/* ---- kind: forecast vs truth --------------------------------------------------------------- */

enum { FORECAST_FIGURES_MAX = 6, FORECAST_VARIANTS_MAX = 16 };

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int same_key(const bench_prediction *a, const bench_prediction *b)
{
    return !strcmp(a->dataset, b->dataset) && !strcmp(a->horizon, b->horizon) && !strcmp(a->seed, b->seed) &&
           !strcmp(a->series, b->series) && !strcmp(a->window, b->window);
}

/* Keeps, file by file, the rows of the first window of each (dataset,
 * horizon, seed, series) up to FORECAST_FIGURES_MAX figures. */
typedef struct forecast_collector {
    bench_prediction keys[FORECAST_FIGURES_MAX]; /* the chosen window of each figure */
    size_t key_count;
    bench_prediction *rows;
    size_t count, capacity;
    report_strings strings;
} forecast_collector;

static int collect_forecast_rows(void *context, const bench_prediction *rows, size_t count, bench_error *error)
{
    forecast_collector *c = context;
    for (size_t r = 0; r < count; r++) {
        const bench_prediction *p = &rows[r];
        size_t k = 0;
        while (k < c->key_count && !(!strcmp(c->keys[k].dataset, p->dataset) && !strcmp(c->keys[k].horizon, p->horizon) &&
                                     !strcmp(c->keys[k].seed, p->seed) && !strcmp(c->keys[k].series, p->series)))
            k++;
        if (k == c->key_count && c->key_count == FORECAST_FIGURES_MAX)
            continue;
        if (k < c->key_count && strcmp(c->keys[k].window, p->window) != 0)
            continue;
        bench_prediction copy = *p;
        copy.dataset = report_strings_intern(&c->strings, p->dataset);
        copy.variant = report_strings_intern(&c->strings, p->variant);
        copy.horizon = report_strings_intern(&c->strings, p->horizon);
        copy.seed = report_strings_intern(&c->strings, p->seed);
        copy.series = report_strings_intern(&c->strings, p->series);
        copy.window = report_strings_intern(&c->strings, p->window);
        if (!copy.dataset || !copy.variant || !copy.horizon || !copy.seed || !copy.series || !copy.window)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "forecast figures");
        if (k == c->key_count)
            c->keys[c->key_count++] = copy;
        bench_prediction *rows = report_grow(c->rows, c->count, &c->capacity, sizeof *rows, 256);
        if (rows == NULL)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "forecast figures");
        c->rows = rows;
        c->rows[c->count++] = copy;
    }
    return BENCH_OK;
}

/* The one protocol results.csv runs dataset under, or NULL (none or several). */
static const char *dataset_protocol(const bench_results *results, const char *dataset)
{
    const char *protocol = NULL;
    for (size_t i = 0; i < results->count; i++) {
        if (strcmp(results->rows[i].dataset, dataset) != 0)
            continue;
        if (protocol != NULL && strcmp(protocol, results->rows[i].protocol) != 0)
            return NULL;
        protocol = results->rows[i].protocol;
    }
    return protocol;
}

static int plot_forecast(plot_context *context, const bench_results *results, bench_error *error)
{
    forecast_collector collected = {0};
    int status = bench_predictions_each(context->dir, results, collect_forecast_rows, &collected, error);
    struct {
        const bench_prediction *rows;
        size_t count;
    } set = {collected.rows, collected.count};
    const bench_prediction *keys[FORECAST_FIGURES_MAX];
    size_t key_count = collected.key_count;
    for (size_t k = 0; k < key_count; k++)
        keys[k] = &collected.keys[k];
    for (size_t k = 0; k < key_count && status == BENCH_OK; k++) {
        const bench_prediction *key = keys[k];
        /* Variants with predictions for this key, in first-seen order. */
        const char *variants[FORECAST_VARIANTS_MAX];
        int has_interval[FORECAST_VARIANTS_MAX];
        size_t variant_count = 0;
        double origin = NAN;
        for (size_t r = 0; r < set.count; r++) {
            const bench_prediction *p = &set.rows[r];
            if (!same_key(p, key) || isnan(p->pred))
                continue;
            if (isnan(origin) || p->t < origin)
                origin = p->t;
            size_t v = 0;
            while (v < variant_count && strcmp(variants[v], p->variant) != 0)
                v++;
            if (v == variant_count) {
                if (variant_count == FORECAST_VARIANTS_MAX)
                    continue;
                variants[variant_count] = p->variant;
                has_interval[variant_count++] = 0;
            }
            has_interval[v] |= !isnan(p->lower) && !isnan(p->upper);
        }
        /* The series' own units when every row of this figure has them (the
         * harness's files), else the protocol's scale the metrics saw. */
        int original = 1;
        for (size_t r = 0; r < set.count && original; r++) {
            const bench_prediction *p = &set.rows[r];
            if (same_key(p, key) && (isnan(p->truth_original) != isnan(p->truth) ||
                                     isnan(p->pred_original) != isnan(p->pred) ||
                                     isnan(p->lower_original) != isnan(p->lower)))
                original = 0;
        }
        char name[512], part[5][96], title[640];
        safe_name(part[0], sizeof part[0], key->dataset);
        safe_name(part[1], sizeof part[1], key->horizon);
        safe_name(part[2], sizeof part[2], key->seed);
        safe_name(part[3], sizeof part[3], key->series);
        safe_name(part[4], sizeof part[4], key->window);
        snprintf(name, sizeof name, "forecast_%s_h%s_s%s_%s_w%s", part[0], part[1], part[2], part[3], part[4]);
        snprintf(title, sizeof title, "Forecasts on %s, series %s, window %s (H = %s, seed %s)", key->dataset,
                 key->series, key->window, key->horizon, key->seed);
        text_file data, script;
        status = text_open(&data, error);
        if (status != BENCH_OK)
            break;
        gp_comment(data.stream, title);
        fputs("# block 0: t truth (look-back and forecast steps)\n"
              "# block i >= 1: t pred lower upper of the i-th variant\n",
              data.stream);
        /* Block 0: truth over every row with this key (look-back rows included), once per t. */
        double *truth = malloc(2 * set.count * sizeof *truth);
        size_t truth_count = 0;
        if (truth == NULL) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "plotting %s", name);
            fclose(data.stream);
            free(data.text);
            break;
        }
        for (size_t r = 0; r < set.count; r++) {
            const bench_prediction *p = &set.rows[r];
            if (!same_key(p, key) || isnan(p->truth))
                continue;
            truth[2 * truth_count] = p->t;
            truth[2 * truth_count++ + 1] = original ? p->truth_original : p->truth;
        }
        qsort(truth, truth_count, 2 * sizeof *truth, compare_double);
        for (size_t i = 0; i < truth_count; i++) {
            if (i > 0 && truth[2 * i] == truth[2 * i - 2])
                continue;
            fprintf(data.stream, "%.10g", truth[2 * i]);
            format_value(data.stream, truth[2 * i + 1]);
            fputc('\n', data.stream);
        }
        free(truth);
        for (size_t v = 0; v < variant_count; v++) {
            fputs("\n\n", data.stream);
            gp_comment(data.stream, variants[v]);
            for (size_t r = 0; r < set.count; r++) {
                const bench_prediction *p = &set.rows[r];
                if (!same_key(p, key) || isnan(p->pred) || strcmp(p->variant, variants[v]) != 0)
                    continue;
                fprintf(data.stream, "%.10g", p->t);
                format_value(data.stream, original ? p->pred_original : p->pred);
                format_value(data.stream, original ? p->lower_original : p->lower);
                format_value(data.stream, original ? p->upper_original : p->upper);
                fputc('\n', data.stream);
            }
        }
        char file[600];
        status = save_data_open_script(&data, &script, context, name, file, sizeof file, error);
        if (status != BENCH_OK)
            break;
        FILE *f = script.stream;
        gp_titled_header(f, name, title, 7.2, 3.8);
        /* The predictions files do not record the scale: the harness writes
         * truth and forecasts on the protocol's scale (what the metrics saw),
         * which is a z-score per channel under ltsf and raw units under paper
         * and m4.  Name the protocol when results.csv gives this dataset one. */
        const char *protocol = results ? dataset_protocol(results, key->dataset) : NULL;
        char ylabel[200];
        if (original)
            snprintf(ylabel, sizeof ylabel, "value (the series' own units)");
        else if (protocol != NULL)
            snprintf(ylabel, sizeof ylabel, "value (%s protocol scale, as scored)", protocol);
        else
            snprintf(ylabel, sizeof ylabel, "value (protocol scale, as scored)");
        fputs(original ? "\nset xlabel \"time index t (steps)\"\n"
                         "# Values in the series' own units (truth_original, prediction_original); the metrics\n"
                         "# were computed on the protocol's scale (the truth and prediction columns).\nset ylabel "
                       : "\nset xlabel \"time index t (steps)\"\n"
                         "# This predictions file does not record its scale: it is the protocol's, the one the\n"
                         "# metrics were computed on (bench's ltsf z-scores each channel with training statistics;\n"
                         "# paper and m4 keep the series' units).\nset ylabel ",
              f);
        gp_text(f, ylabel);
        fputs("\nset key @key_position\nset style fill transparent solid 0.18 noborder\n", f);
        if (!isnan(origin))
            fprintf(f, "# forecast origin\nset arrow from first %.10g, graph 0 to first %.10g, graph 1 nohead lc rgb \"#888888\" dt 3\n",
                    origin - 0.5, origin - 0.5);
        fputs("plot \\\n", f);
        for (size_t v = 0; v < variant_count; v++)
            if (has_interval[v]) {
                gp_file(f, file);
                fprintf(f, " index %zu using 1:3:4 with filledcurves ls %d title ", v + 1,
                        variant_style(context, variants[v]));
                char text[200];
                snprintf(text, sizeof text, "%s interval", variants[v]);
                gp_text(f, text);
                fputs(", \\\n", f);
            }
        gp_file(f, file);
        fputs(" index 0 using 1:2 with lines ls 20 title \"truth\"", f);
        for (size_t v = 0; v < variant_count; v++) {
            fputs(", \\\n", f);
            gp_file(f, file);
            fprintf(f, " index %zu using 1:2 with lines ls %d title ", v + 1, variant_style(context, variants[v]));
            gp_text(f, variants[v]);
        }
        fputc('\n', f);
        status = save_figure(&script, context, name, BENCH_PLOT_FORECAST, title, error);
    }
    free(collected.rows);
    report_strings_free(&collected.strings);
    return status;
}


/* ---- kind: training curves --------------------------------------------------------------- */

typedef struct curve_point {
    const char *variant, *split, *metric;
    long epoch;
    double value;
} curve_point;

static int compare_curve_points(const void *a, const void *b)
{
    const curve_point *x = a, *y = b;
    int c = strcmp(x->metric, y->metric);
    if (c == 0)
        c = strcmp(x->variant, y->variant);
    if (c == 0)
        c = strcmp(x->split, y->split);
    if (c == 0)
        c = (x->epoch > y->epoch) - (x->epoch < y->epoch);
    return c;
}

static int split_dash(const char *split)
{
    return strcmp(split, "train") == 0 ? 1 : strcmp(split, "val") == 0 ? 2 : strcmp(split, "test") == 0 ? 3 : 4;
}

/* A change of schedule drawn on every training-curve figure, so that a bend in
 * a curve can be read against its cause: a vertical dotted line at `x` in the
 * variant's colour, labelled along the line. */
typedef struct curve_event {
    double x;               /* between the last epoch before and the first after */
    char what[96];          /* "prototypes from epoch 3", "lr x0.1 at epoch 30" */
    char variants[160];     /* the variants it applies to, comma-separated (may be cut short) */
    size_t variant_count;   /* how many variants it applies to */
    const char *first_variant;
} curve_event;

enum { CURVE_EVENTS_MAX = 16 };

static void add_curve_event(curve_event *events, size_t *count, double x, const char *what, const char *variant)
{
    for (size_t i = 0; i < *count; i++)
        if (events[i].x == x && strcmp(events[i].what, what) == 0) {
            events[i].variant_count++;
            size_t used = strlen(events[i].variants);
            if (used + 2 < sizeof events[i].variants)
                snprintf(events[i].variants + used, sizeof events[i].variants - used, ", %s", variant);
            return;
        }
    if (*count == CURVE_EVENTS_MAX)
        return;
    curve_event *e = &events[(*count)++];
    e->x = x;
    snprintf(e->what, sizeof e->what, "%s", what);
    snprintf(e->variants, sizeof e->variants, "%s", variant);
    e->variant_count = 1;
    e->first_variant = variant;
}

/* The schedule changes the curves themselves show (points sorted by metric,
 * variant, split, epoch):
 *   - a second loss switched on: the first epoch of `loss_prototype` when it
 *     comes after the variant's first epoch (HCSC's prototype warm-up);
 *   - a step of the learning rate: an epoch whose `learning_rate` (mean over
 *     seeds) differs from the previous epoch's by more than 20 % after an epoch
 *     in which it moved by less than 1 %.  Piecewise-constant schedules are
 *     steps; a cosine or warm-up ramp moves every epoch and is drawn by its own
 *     curves_learning_rate figure instead. */
static size_t find_curve_events(curve_event *events, const curve_point *points, size_t used, const char *unit)
{
    size_t count = 0;
    for (size_t a = 0; a < used;) {
        size_t b = a;
        while (b < used && !strcmp(points[b].metric, points[a].metric) && !strcmp(points[b].variant, points[a].variant))
            b++;
        const char *variant = points[a].variant;
        if (!strcmp(points[a].metric, "loss_prototype")) {
            long first_any = points[a].epoch;
            for (size_t q = 0; q < used; q++)
                if (!strcmp(points[q].variant, variant) && points[q].epoch < first_any)
                    first_any = points[q].epoch;
            if (points[a].epoch > first_any) {
                char what[96];
                snprintf(what, sizeof what, "prototypes from %s %ld", unit, points[a].epoch);
                add_curve_event(events, &count, (double)points[a].epoch - 0.5, what, variant);
            }
        } else if (!strcmp(points[a].metric, "learning_rate")) {
            double before = NAN, previous = NAN;
            long previous_epoch = 0;
            for (size_t e = a; e < b;) {
                size_t g = e;
                double sum = 0;
                while (g < b && points[g].epoch == points[e].epoch)
                    sum += points[g].value, g++;
                double rate = sum / (double)(g - e);
                if (!isnan(before) && previous > 0 && before > 0 && fabs(previous / before - 1) < 0.01 &&
                    fabs(rate / previous - 1) > 0.2) {
                    char what[96];
                    snprintf(what, sizeof what, "lr x%.3g at %s %ld", rate / previous, unit, points[e].epoch);
                    add_curve_event(events, &count, 0.5 * (double)(previous_epoch + points[e].epoch), what, variant);
                }
                before = previous;
                previous = rate;
                previous_epoch = points[e].epoch;
                e = g;
            }
        }
        a = b;
    }
    return count;
}


/* A tick step for whole numbers up to last: the smallest of 1, 2, 2.5, 5 times
 * a power of ten (2.5 only from 25 up, to stay whole) giving at most `ticks`
 * intervals. */
static long tick_step(long last, long ticks)
{
    for (long power = 1;; power *= 10) {
        const long steps[4] = {power, 2 * power, power >= 10 ? 5 * power / 2 : 5 * power, 5 * power};
        for (int k = 0; k < 4; k++)
            if (steps[k] * ticks >= last)
                return steps[k];
    }
}

static int plot_curves(plot_context *context, bench_error *error)
{
    char **files;
    size_t file_count;
    int status = report_list_files(&files, &file_count, context->dir, "curves", ".csv", error);
    if (status != BENCH_OK || file_count == 0)
        return status;
    /* The x column is "epoch" (HCSC) or "step" (the X-ray detector's per-step
     * curves); the figures say which. */
    static const char *const names[] = {"model", "variant", "seed", "split", "metric", "value"};
    enum { MODEL, VARIANT, SEED, SPLIT, METRIC, VALUE, EPOCH, COLUMNS };
    const char *unit = "epoch";
    report_csv *csvs = calloc(file_count, sizeof *csvs);
    size_t total = 0, used = 0;
    curve_point *points = NULL;
    if (csvs == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "reading curves");
    for (size_t i = 0; i < file_count && status == BENCH_OK; i++) {
        long columns[COLUMNS];
        status = report_csv_read(&csvs[i], files[i], error);
        if (status == BENCH_OK)
            status = report_csv_require(&csvs[i], names, columns, EPOCH, error);
        if (status != BENCH_OK)
            break;
        columns[EPOCH] = report_csv_column(&csvs[i], "epoch");
        if (columns[EPOCH] < 0 && (columns[EPOCH] = report_csv_column(&csvs[i], "step")) >= 0)
            unit = "step";
        if (columns[EPOCH] < 0) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no column 'epoch' or 'step'", csvs[i].path);
            break;
        }
        total += csvs[i].rows;
        curve_point *bigger = realloc(points, (total ? total : 1) * sizeof *points);
        if (bigger == NULL) {
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "reading curves");
            break;
        }
        points = bigger;
        for (size_t r = 0; r < csvs[i].rows && status == BENCH_OK; r++) {
            const report_csv *csv = &csvs[i];
            curve_point *p = &points[used];
            p->variant = report_csv_cell(csv, r, (size_t)columns[VARIANT]);
            p->split = report_csv_cell(csv, r, (size_t)columns[SPLIT]);
            p->metric = report_csv_cell(csv, r, (size_t)columns[METRIC]);
            if (report_parse_long(report_csv_cell(csv, r, (size_t)columns[EPOCH]), &p->epoch) != 0)
                status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s '%s' is not an integer", csv->path,
                                    csv->lines[r], csv->header[columns[EPOCH]],
                                    report_csv_cell(csv, r, (size_t)columns[EPOCH]));
            else
                status = report_csv_number(csv, r, columns[VALUE], &p->value, 0, error);
            used++;
        }
    }
    if (status == BENCH_OK && used > 0)
        qsort(points, used, sizeof *points, compare_curve_points);
    curve_event events[CURVE_EVENTS_MAX];
    size_t event_count = status == BENCH_OK ? find_curve_events(events, points, used, unit) : 0;
    /* An event every variant shares is labelled without the list of their
     * names, which would not fit along the axis once there are several. */
    size_t variant_count = 0; /* the most variants of one metric (the points are sorted by metric, variant) */
    for (size_t q = 0, in_metric = 0; q < used; q++) {
        if (q == 0 || strcmp(points[q].metric, points[q - 1].metric) != 0)
            in_metric = 1;
        else
            in_metric += strcmp(points[q].variant, points[q - 1].variant) != 0;
        if (in_metric > variant_count)
            variant_count = in_metric;
    }
    /* One figure per metric; one line per (variant, split), mean over seeds per epoch. */
    for (size_t start = 0; start < used && status == BENCH_OK;) {
        size_t end = start;
        while (end < used && strcmp(points[end].metric, points[start].metric) == 0)
            end++;
        const char *metric = points[start].metric;
        char name[300], metric_safe[128], label_buffer[128], title[400];
        safe_name(metric_safe, sizeof metric_safe, metric);
        snprintf(name, sizeof name, "curves_%s", metric_safe);
        const char *label = bench_metric_label(metric, label_buffer, sizeof label_buffer);
        /* Say what is drawn: a mean only where several seeds were run. */
        size_t most_seeds = 0;
        for (size_t q = start; q < end;) {
            size_t r = q;
            while (r < end && points[r].epoch == points[q].epoch && !strcmp(points[r].variant, points[q].variant) &&
                   !strcmp(points[r].split, points[q].split))
                r++;
            most_seeds = r - q > most_seeds ? r - q : most_seeds;
            q = r;
        }
        snprintf(title, sizeof title, "Training curves: %s per %s, %s", label, unit,
                 most_seeds > 1 ? "mean over seeds" : "one seed");
        text_file data, script;
        status = text_open(&data, error);
        if (status != BENCH_OK)
            break;
        gp_comment(data.stream, title);
        fputs("# one block per variant and split: epoch mean sd seeds\n", data.stream);
        const char *line_variant[64], *line_split[64];
        size_t line_count = 0;
        const char *variants_seen[64];
        size_t variants_seen_count = 0;
        for (size_t a = start; a < end;) {
            size_t b = a;
            while (b < end && !strcmp(points[b].variant, points[a].variant) && !strcmp(points[b].split, points[a].split))
                b++;
            if (line_count < 64) {
                if (line_count > 0)
                    fputs("\n\n", data.stream);
                fputs("# ", data.stream);
                bench_escape_gnuplot_comment(data.stream, points[a].variant);
                fputc(' ', data.stream);
                bench_escape_gnuplot_comment(data.stream, points[a].split);
                fputc('\n', data.stream);
                size_t v = 0;
                while (v < variants_seen_count && strcmp(variants_seen[v], points[a].variant) != 0)
                    v++;
                if (v == variants_seen_count && variants_seen_count < 64)
                    variants_seen[variants_seen_count++] = points[a].variant;
                line_variant[line_count] = points[a].variant;
                line_split[line_count] = points[a].split;
                line_count++;
                for (size_t e = a; e < b;) {
                    size_t g = e;
                    double sum = 0, squares = 0;
                    while (g < b && points[g].epoch == points[e].epoch)
                        sum += points[g].value, g++;
                    double n = (double)(g - e), mean = sum / n;
                    for (size_t q = e; q < g; q++)
                        squares += (points[q].value - mean) * (points[q].value - mean);
                    fprintf(data.stream, "%ld %.10g", points[e].epoch, mean);
                    format_value(data.stream, n > 1 ? sqrt(squares / (n - 1)) : NAN);
                    fprintf(data.stream, " %zu\n", g - e);
                    e = g;
                }
            }
            a = b;
        }
        char file[350];
        status = save_data_open_script(&data, &script, context, name, file, sizeof file, error);
        if (status != BENCH_OK)
            break;
        FILE *f = script.stream;
        gp_titled_header(f, name, title, 6.4, 4.0);
        /* Epochs and steps are whole numbers: ticks on integers only, at most
         * about six (the key takes half the width), a step of 1, 2, 2.5 or 5
         * times a power of ten (1500 steps: every 250). */
        long last_epoch = 1, first_epoch = points[start].epoch;
        for (size_t q = start; q < end; q++) {
            if (points[q].epoch > last_epoch)
                last_epoch = points[q].epoch;
            if (points[q].epoch < first_epoch)
                first_epoch = points[q].epoch;
        }
        fprintf(f, "\nset xlabel \"%s\"\nset xtics %ld\nset format x \"%%.0f\"\nset ylabel ", unit,
                tick_step(last_epoch, 6));
        char ylabel[200];
        int direction = bench_metric_direction(metric);
        snprintf(ylabel, sizeof ylabel, "%s%s", label,
                 direction < 0 ? " (lower is better)" : direction > 0 ? " (higher is better)" : "");
        gp_text(f, ylabel);
        fputs("\nset key @key_position\n", f);
        int events_drawn = 0;
        for (size_t e = 0; e < event_count; e++) {
            /* A change before this metric's first point (the X-ray prototypes
             * start at step 421, validation begins at step 500) would sit on the
             * border, over the tick labels; one just before it marks where the
             * curve begins (a prototype loss from its first epoch). */
            if (events[e].x < (double)first_epoch - 1 || events[e].x > (double)last_epoch)
                continue;
            if (events_drawn++ == 0)
                fputs("# schedule changes: a dotted line in the variant's colour where each begins\n", f);
            fprintf(f, "set arrow from first %g, graph 0 to first %g, graph 1 nohead back ls %d dt 3 lw 1\n",
                    events[e].x, events[e].x, variant_style(context, events[e].first_variant));
            char text[300];
            if (variant_count > 1 && events[e].variant_count == variant_count)
                snprintf(text, sizeof text, "every run: %s", events[e].what);
            else
                snprintf(text, sizeof text, "%s: %s", events[e].variants, events[e].what);
            fputs("set label ", f);
            gp_text(f, text);
            fprintf(f, " at first %g, graph 0.98 right rotate by 90 offset -0.6, 0 front font \",8\" tc ls %d\n",
                    events[e].x, variant_style(context, events[e].first_variant));
        }
        /* Dash types tell splits apart; with one split in the figure every line
         * is solid (a dotted line alone is hard to see) and the key names it. */
        int one_split = 1;
        for (size_t l = 1; l < line_count; l++)
            one_split &= strcmp(line_split[l], line_split[0]) == 0;
        fputs(one_split ? "# colour = variant; every line is one split (in the key)\nplot \\\n"
                        : "# colour = variant, dash type = split (train solid, val dashed, test dotted)\nplot \\\n",
              f);
        for (size_t l = 0; l < line_count; l++) {
            gp_file(f, file);
            fprintf(f, " index %zu using 1:2 with lines ls %d dt %d title ", l, variant_style(context, line_variant[l]),
                    one_split ? 1 : split_dash(line_split[l]));
            char text[200];
            snprintf(text, sizeof text, "%s (%s)", line_variant[l], line_split[l]);
            gp_text(f, text);
            fputs(l + 1 < line_count ? ", \\\n" : "\n", f);
        }
        status = save_figure(&script, context, name, BENCH_PLOT_CURVES, title, error);
        start = end;
    }
    free(points);
    for (size_t i = 0; csvs != NULL && i < file_count; i++)
        report_csv_free(&csvs[i]);
    free(csvs);
    report_free_files(files, file_count);
    return status;
}

/* ---- kind: embeddings (2-D PCA) ------------------------------------------------------------ */

enum { EMBEDDING_POINTS_MAX = 5000, EMBEDDING_CLASSES_MAX = 64 };

/* Project rows (n × d, row-major) onto the top two principal axes into xy (n × 2);
 * explained[2] gets the fraction of variance of each axis. */
static int pca_2d(double *xy, double explained[2], const double *rows, size_t n, size_t d, bench_error *error)
{
    double *mean = calloc(d, sizeof *mean);
    gsl_matrix *covariance = gsl_matrix_calloc(d, d);
    gsl_matrix *vectors = gsl_matrix_alloc(d, d);
    gsl_vector *values = gsl_vector_alloc(d);
    gsl_eigen_symmv_workspace *workspace = gsl_eigen_symmv_alloc(d);
    int status = BENCH_OK;
    if (!mean || !covariance || !vectors || !values || !workspace) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "PCA of %zu × %zu embeddings", n, d);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            mean[j] += rows[i * d + j] / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++) {
            double da = rows[i * d + a] - mean[a];
            for (size_t b = a; b < d; b++)
                *gsl_matrix_ptr(covariance, a, b) += da * (rows[i * d + b] - mean[b]);
        }
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < a; b++)
            gsl_matrix_set(covariance, a, b, gsl_matrix_get(covariance, b, a));
    double trace = 0;
    for (size_t a = 0; a < d; a++)
        trace += gsl_matrix_get(covariance, a, a);
    if (gsl_eigen_symmv(covariance, values, vectors, workspace) != 0) {
        status = BENCH_FAIL(error, BENCH_INTERNAL, "PCA eigen decomposition failed");
        goto done;
    }
    gsl_eigen_symmv_sort(values, vectors, GSL_EIGEN_SORT_VAL_DESC);
    for (size_t axis = 0; axis < 2; axis++) {
        explained[axis] = trace > 0 ? gsl_vector_get(values, axis) / trace : 0.0;
        /* Fix the sign so the largest loading is positive: runs are comparable. */
        size_t largest = 0;
        for (size_t a = 1; a < d; a++)
            if (fabs(gsl_matrix_get(vectors, a, axis)) > fabs(gsl_matrix_get(vectors, largest, axis)))
                largest = a;
        double sign = gsl_matrix_get(vectors, largest, axis) < 0 ? -1.0 : 1.0;
        for (size_t i = 0; i < n; i++) {
            double sum = 0;
            for (size_t a = 0; a < d; a++)
                sum += (rows[i * d + a] - mean[a]) * gsl_matrix_get(vectors, a, axis);
            xy[i * 2 + axis] = sign * sum;
        }
    }
done:
    free(mean);
    if (covariance)
        gsl_matrix_free(covariance);
    if (vectors)
        gsl_matrix_free(vectors);
    if (values)
        gsl_vector_free(values);
    if (workspace)
        gsl_eigen_symmv_free(workspace);
    return status;
}

static int plot_embedding_file(plot_context *context, const char *path, bench_error *error)
{
    report_csv csv;
    int status = report_csv_read(&csv, path, error);
    static const char *const names[] = {"dataset", "variant", "seed", "label"};
    long columns[4];
    if (status == BENCH_OK)
        status = report_csv_require(&csv, names, columns, 4, error);
    size_t feature_columns[1024], d = 0;
    for (size_t c = 0; status == BENCH_OK && c < csv.columns; c++)
        if (csv.header[c][0] == 'f' && csv.header[c][1] >= '0' && csv.header[c][1] <= '9' && d < 1024)
            feature_columns[d++] = c;
    if (status == BENCH_OK && d < 2)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:1: embeddings need at least two feature columns f0, f1, ...",
                            path);
    /* Groups (dataset, variant, seed) within the file, each a figure. */
    for (size_t start = 0; status == BENCH_OK && start < csv.rows;) {
        const char *dataset = report_csv_cell(&csv, start, (size_t)columns[0]);
        const char *variant = report_csv_cell(&csv, start, (size_t)columns[1]);
        const char *seed = report_csv_cell(&csv, start, (size_t)columns[2]);
        size_t end = start;
        while (end < csv.rows && !strcmp(report_csv_cell(&csv, end, (size_t)columns[0]), dataset) &&
               !strcmp(report_csv_cell(&csv, end, (size_t)columns[1]), variant) &&
               !strcmp(report_csv_cell(&csv, end, (size_t)columns[2]), seed))
            end++;
        size_t n = end - start < EMBEDDING_POINTS_MAX ? end - start : EMBEDDING_POINTS_MAX;
        double *rows = malloc(n * d * sizeof *rows), *xy = malloc(n * 2 * sizeof *xy);
        const char *classes[EMBEDDING_CLASSES_MAX];
        size_t class_count = 0, *class_of = malloc(n * sizeof *class_of);
        if (rows == NULL || xy == NULL || class_of == NULL)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "embeddings of %s", path);
        for (size_t i = 0; i < n && status == BENCH_OK; i++) {
            for (size_t j = 0; j < d && status == BENCH_OK; j++)
                status = report_csv_number(&csv, start + i, (long)feature_columns[j], &rows[i * d + j], 0, error);
            const char *label = report_csv_cell(&csv, start + i, (size_t)columns[3]);
            size_t c = 0;
            while (c < class_count && strcmp(classes[c], label) != 0)
                c++;
            if (c == class_count) {
                if (class_count == EMBEDDING_CLASSES_MAX) {
                    status = BENCH_FAIL(error, BENCH_UNSUPPORTED, "%s:%zu: more than %d classes to plot", path,
                                        csv.lines[start + i], EMBEDDING_CLASSES_MAX);
                    break;
                }
                classes[class_count++] = label;
            }
            class_of[i] = c;
        }
        double explained[2] = {0, 0};
        if (status == BENCH_OK && n < 3)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: %zu embeddings for %s/%s/%s, need at least 3", path, n,
                                dataset, variant, seed);
        if (status == BENCH_OK)
            status = pca_2d(xy, explained, rows, n, d, error);
        if (status == BENCH_OK) {
            char name[400], part[3][100], title[500];
            safe_name(part[0], sizeof part[0], dataset);
            safe_name(part[1], sizeof part[1], variant);
            safe_name(part[2], sizeof part[2], seed);
            snprintf(name, sizeof name, "embedding_%s_%s_s%s", part[0], part[1], part[2]);
            snprintf(title, sizeof title, "Embeddings of %s by %s (seed %s): 2-D PCA of %zu test points, %zu features",
                     dataset, variant, seed, n, d);
            text_file data, script;
            status = text_open(&data, error);
            if (status == BENCH_OK) {
                gp_comment(data.stream, title);
                fputs("# one block per class: pc1 pc2\n", data.stream);
                for (size_t c = 0; c < class_count; c++) {
                    fputs(c ? "\n\n# class " : "# class ", data.stream);
                    bench_escape_gnuplot_comment(data.stream, classes[c]);
                    fputc('\n', data.stream);
                    for (size_t i = 0; i < n; i++)
                        if (class_of[i] == c)
                            fprintf(data.stream, "%.8g %.8g\n", xy[2 * i], xy[2 * i + 1]);
                }
                char file[450];
                status = save_data_open_script(&data, &script, context, name, file, sizeof file, error);
                if (status == BENCH_OK) {
                    FILE *f = script.stream;
                    gp_titled_header(f, name, title, 6.4, 5.0);
                    fprintf(f, "\nset xlabel \"PC 1 (%.1f %% of variance)\"\nset ylabel \"PC 2 (%.1f %% of variance)\"\n"
                               "set key @key_position title \"class\"\nset grid xtics ytics\nplot \\\n",
                            100 * explained[0], 100 * explained[1]);
                    /* Point types change with the class too, so classes stay apart in greyscale. */
                    for (size_t c = 0; c < class_count; c++) {
                        gp_file(f, file);
                        fprintf(f, " index %zu using 1:2 with points ls %d pt %d ps 0.7 title ", c, style_of(c),
                                (int)(c % 14) + 1);
                        gp_text(f, classes[c]);
                        fputs(c + 1 < class_count ? ", \\\n" : "\n", f);
                    }
                    status = save_figure(&script, context, name, BENCH_PLOT_EMBEDDING, title, error);
                }
            }
        }
        free(rows);
        free(xy);
        free(class_of);
        start = end;
    }
    report_csv_free(&csv);
    return status;
}

static int plot_embeddings(plot_context *context, bench_error *error)
{
    char **files;
    size_t file_count;
    int status = report_list_files(&files, &file_count, context->dir, "embeddings", ".csv", error);
    for (size_t i = 0; i < file_count && status == BENCH_OK; i++)
        status = plot_embedding_file(context, files[i], error);
    report_free_files(files, file_count);
    return status;
}

/* ---- kind: detection examples ------------------------------------------------------------ */

static int list_examples(plot_context *context, bench_error *error)
{
    char **files;
    size_t file_count;
    int status = report_list_files(&files, &file_count, context->figures, "examples", ".png", error);
    for (size_t i = 0; i < file_count && status == BENCH_OK; i++) {
        const char *base = strrchr(files[i], '/') + 1;
        char relative[600], title[700];
        snprintf(relative, sizeof relative, "examples/%s", base);
        /* What the pictures show (domain_shift/examples.h), said once per picture. */
        snprintf(title, sizeof title,
                 "Detection examples %.*s: ground truth in thin black, detections scoring at least 0.3 in "
                 "their class colour", (int)(strlen(base) > 4 ? strlen(base) - 4 : strlen(base)), base);
        status = add_figure(context, BENCH_PLOT_EXAMPLES, title, NULL, relative, error);
    }
    report_free_files(files, file_count);
    return status;
}

/* ---- driver ------------------------------------------------------------------------------ */

int bench_plot(bench_figure_list *out, const char *dir, const bench_plot_options *options_in, bench_error *error)
{
    memset(out, 0, sizeof *out);
    bench_plot_options options = options_in ? *options_in : (bench_plot_options){0};
    int kinds_requested = options.kinds != 0;
    if (options.kinds == 0)
        options.kinds = BENCH_PLOT_ALL;
    if (options.timeout_seconds <= 0)
        options.timeout_seconds = 30;
    plot_context context = {.dir = dir, .format = options.format, .list = out, .log_y = options.log_y};
    size_t size = strlen(dir) + 16;
    context.figures = malloc(size);
    if (context.figures == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "plotting %s", dir);
    snprintf(context.figures, size, "%s/figures", dir);
    int status = BENCH_OK;
    if (mkdir(context.figures, 0755) != 0 && errno != EEXIST)
        status = BENCH_FAIL(error, BENCH_IO, "%s: %s", context.figures, strerror(errno));
    if (status == BENCH_OK) {
        char style_path[4096];
        snprintf(style_path, sizeof style_path, "%s/style.gp", context.figures);
        /* The size preset goes first, so that the shared style reads it. */
        static const char *const presets[] = {
            "",
            "# --size single: one column of a two-column paper\npaper_width = 3.5\nfont_size = 8\ndpi = 300\n",
            "# --size double: both columns of a two-column paper\npaper_width = 7.0\nfont_size = 9\ndpi = 300\n",
        };
        const char *preset = presets[options.size <= BENCH_PLOT_SIZE_DOUBLE ? options.size : 0];
        size_t length = strlen(preset) + sizeof style_gp;
        char *style = malloc(length);
        if (style == NULL)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "writing %s", style_path);
        else {
            snprintf(style, length, "%s%s", preset, style_gp);
            status = bench_write_file_atomic(style_path, style, strlen(style), error);
            free(style);
        }
    }
    bench_results results = {0};
    bench_table_set tables = {0};
    int have_results = 0;
    if (status == BENCH_OK && (options.kinds & (BENCH_PLOT_HORIZON | BENCH_PLOT_CD | BENCH_PLOT_AP | BENCH_PLOT_FORECAST))) {
        char *path = malloc(size + 16);
        if (path == NULL)
            status = BENCH_FAIL(error, BENCH_NO_MEMORY, "plotting %s", dir);
        else {
            snprintf(path, size + 16, "%s/results.csv", dir);
            status = bench_results_load(&results, path, error);
            if (status == BENCH_NOT_FOUND && !kinds_requested) {
                /* A directory with only curves or embeddings: draw what it has. */
                bench_error_clear(error);
                status = BENCH_OK;
            } else {
                /* Ranks over datasets, not dataset x horizon rows: the CD
                 * diagram's samples must be independent, and the horizons of
                 * one series are not. */
                bench_table_options table_options = {.digits = -1};
                if (status == BENCH_OK && results.count > 0)
                    status = bench_tables_build(&tables, &results, &table_options, error);
                have_results = status == BENCH_OK;
            }
            free(path);
        }
    }
    for (size_t i = 0; have_results && i < results.count; i++)
        variant_style(&context, results.rows[i].variant);
    if (status == BENCH_OK && (options.kinds & BENCH_PLOT_HORIZON))
        status = plot_horizon(&context, &tables, error);
    if (status == BENCH_OK && (options.kinds & BENCH_PLOT_CD))
        status = plot_cd(&context, &tables, error);
    if (status == BENCH_OK && (options.kinds & BENCH_PLOT_AP))
        status = plot_ap(&context, &tables, error);
    if (status == BENCH_OK && (options.kinds & BENCH_PLOT_FORECAST))
        status = plot_forecast(&context, have_results ? &results : NULL, error);
    if (status == BENCH_OK && (options.kinds & BENCH_PLOT_CURVES))
        status = plot_curves(&context, error);
    if (status == BENCH_OK && (options.kinds & BENCH_PLOT_EMBEDDING))
        status = plot_embeddings(&context, error);
    if (status == BENCH_OK && (options.kinds & BENCH_PLOT_EXAMPLES))
        status = list_examples(&context, error);
    (void)have_results;
    bench_tables_free(&tables);
    bench_results_free(&results);

    if (status == BENCH_OK && !options.scripts_only) {
        char gnuplot[4096];
        int needed = 0;
        for (size_t i = 0; i < out->count; i++)
            needed |= out->items[i].script != NULL;
        if (needed)
            status = bench_gnuplot_find(gnuplot, sizeof gnuplot, options.gnuplot, error);
        if (status == BENCH_NOT_FOUND)
            bench_error_prefix(error, "data and scripts are in %s; ", context.figures);
        bench_error first_failure = {0};
        size_t total = 0, done = 0;
        for (size_t i = 0; i < out->count; i++)
            total += out->items[i].script != NULL;
        for (size_t i = 0; i < out->count && status == BENCH_OK; i++) {
            bench_figure *figure = &out->items[i];
            if (figure->script == NULL)
                continue;
            if (options.progress != NULL)
                options.progress(options.progress_context, done++, total);
            char name[600], output[1024];
            snprintf(name, sizeof name, "%.*s", (int)(strlen(figure->script) - 3), figure->script);
            bench_error failure = {0};
            if (run_gnuplot(&context, gnuplot, name, options.timeout_seconds, output, sizeof output, &failure) ==
                BENCH_OK) {
                figure->output = strdup(output);
                if (figure->output == NULL)
                    status = BENCH_FAIL(error, BENCH_NO_MEMORY, "listing figures");
            } else if (first_failure.code == BENCH_OK) {
                first_failure = failure;
            }
        }
        if (options.progress != NULL && total > 0)
            options.progress(options.progress_context, total, total);
        if (status == BENCH_OK && first_failure.code != BENCH_OK) {
            if (error != NULL)
                *error = first_failure;
            status = first_failure.code;
        }
    }
    for (size_t i = 0; i < context.palette_count; i++)
        free(context.palette[i]);
    free(context.figures);
    return status;
}
