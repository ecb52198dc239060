/* bench plot: scripts and data for every figure kind from the fixture run
 * directories, Demšar's critical-difference numbers in the CD diagram's data,
 * rendering with gnuplot (skipped loudly without it), and the failure paths:
 * gnuplot missing, a script failing, a hung gnuplot killed at the timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reports/plot.h"
#include "support_files.h"
#include "support_process.h"
#include "support_reports.h"
#include "support_cmocka.h"

static char *read_file(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/figures/%s", dir, name);
    return test_slurp(path);
}

/* Fails the test unless figures/NAME under dir holds each of the
 * NULL-terminated present strings and none of the absent ones (NULL for none). */
static void expect_figure(const char *dir, const char *name, const char *const present[], const char *const absent[])
{
    char *text = read_file(dir, name);
    test_expect_text(name, text, present, absent);
    free(text);
}

/* The figures of the given kinds (0 for every kind) of dir, plotted as scripts
 * only; fails the test unless that works.  The caller frees the list. */
static bench_figure_list plot_scripts(const char *dir, unsigned kinds)
{
    bench_error error = {0};
    bench_figure_list list;
    bench_plot_options options = {.scripts_only = 1, .kinds = kinds};
    if (bench_plot(&list, dir, &options, &error) != BENCH_OK)
        fail_msg("plotting %s: %s", dir, error.message);
    return list;
}

/* A fresh copy of fixture run directory NAME at SCRATCH/AS whose results.csv
 * keeps the header and the rows where the awk condition `rows` holds. */
static const char *filtered_fixture(const char *name, const char *as, const char *rows)
{
    const char *dir = test_copy_report_fixture(name, as);
    test_shell("cd %s && awk -F, 'NR == 1 || %s' results.csv > r && mv r results.csv", dir, rows);
    return dir;
}

/* Plotting the given kinds of dir as scripts only must fail with status and a
 * message containing expect. */
static void expect_plot_failure(const char *dir, unsigned kinds, int status, const char *expect)
{
    bench_error error = {0};
    bench_figure_list list;
    bench_plot_options options = {.scripts_only = 1, .kinds = kinds};
    assert_int_equal(bench_plot(&list, dir, &options, &error), status);
    assert_non_null(strstr(error.message, expect));
    bench_figure_list_free(&list);
}

/* Makes the run directory SCRATCH/NAME (its path left in dir) holding a
 * results.csv written by write. */
static void results_dir(char *dir, size_t size, const char *name, void (*write)(const char *path))
{
    snprintf(dir, size, "%s/%s", test_scratch, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    char path[640];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    write(path);
}

static size_t count_kind(const bench_figure_list *list, unsigned kind)
{
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++)
        n += list->items[i].kind == kind;
    return n;
}

static void scripts_and_data_for_every_kind(void **state)
{
    (void)state;
    bench_error error = {0};
    bench_figure_list list;
    bench_plot_options options = {.scripts_only = 1};
    const char *dir = test_copy_report_fixture("forecast", "forecast-scripts");
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_OK);
    assert_int_equal(count_kind(&list, BENCH_PLOT_HORIZON), 6); /* mse, mae × 3 datasets with >1 horizon */
    assert_int_equal(count_kind(&list, BENCH_PLOT_CD), 2);      /* the m4 tables have a single row */
    assert_int_equal(count_kind(&list, BENCH_PLOT_FORECAST), 2); /* ETTh1 and national_illness, first window each */
    for (size_t i = 0; i < list.count; i++)
        assert_null(list.items[i].output);
    /* The CD diagram ranks datasets, each once (ETTh1's four horizons are one
     * sample, not four), over the three ltsf datasets of the fixture. */
    expect_figure(dir, "cd_forecast_mse.dat",
                  (const char *[]){"over 3 datasets (each its complete horizons averaged)", NULL},
                  NULL);
    expect_figure(dir, "style.gp", (const char *[]){"pngcairo", "pdfcairo", NULL}, NULL);
    expect_figure(dir, "horizon_mse_ETTh1_ltsf.gp",
                  (const char *[]){"load \"style.gp\"", "set xlabel \"forecast horizon H (steps)\"",
                                   "set ylabel 'MSE (lower is better)' noenhanced", "title 'gbrt_nocov' noenhanced",
                                   NULL},
                  NULL);
    expect_figure(dir, "horizon_mae_national_illness_ltsf.dat",
                  (const char *[]){"\n36 ", /* horizon 36 row, gbrt_nocov failed: "?" */
                                   " ? ?\n", NULL},
                  NULL);
    /* Both prediction formats meet in one figure: the harness's per-cell file adds seasonal_naive. */
    expect_figure(dir, "forecast_ETTh1_h96_s1_OT_w0.gp",
                  (const char *[]){"title 'seasonal_naive' noenhanced", "title 'ridge interval' noenhanced",
                                   "title \"truth\"", NULL},
                  NULL);
    bench_figure_list_free(&list);

    dir = test_copy_report_fixture("hcsc", "hcsc-scripts");
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_OK);
    assert_int_equal(count_kind(&list, BENCH_PLOT_CURVES), 2); /* knn_acc, loss */
    assert_int_equal(count_kind(&list, BENCH_PLOT_EMBEDDING), 1);
    expect_figure(dir, "embedding_fashion_mnist_hcsc_s1.gp", (const char *[]){"% of variance)", NULL}, NULL);
    bench_figure_list_free(&list);

    dir = test_copy_report_fixture("detect", "detect-scripts");
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_OK);
    assert_int_equal(count_kind(&list, BENCH_PLOT_AP), 2);
    assert_int_equal(count_kind(&list, BENCH_PLOT_EXAMPLES), 2);
    expect_figure(dir, "ap_cityscapes_foggy_shift.dat", (const char *[]){"\nbicycle ", NULL}, NULL);
    /* The bars are labelled from the script (exact names), not from the data file. */
    expect_figure(dir, "ap_cityscapes_foggy_shift.gp",
                  (const char *[]){"set xtics ('", "'bicycle' ", NULL},
                  (const char *[]){"xtic(1)", NULL});
    bench_figure_list_free(&list);
}

/* Demšar (2006) Table 6 as a run directory: the CD diagram's data carries the
 * published average ranks and the critical difference 2.569·sqrt(20/84). */
static void demsar_cd_diagram_data(void **state)
{
    (void)state;
    char dir[512];
    results_dir(dir, sizeof dir, "demsar", test_write_demsar_results);
    bench_figure_list list = plot_scripts(dir, BENCH_PLOT_CD);
    assert_int_equal(list.count, 1);
    expect_figure(dir, "cd_hcsc_auc.dat",
                  (const char *[]){"# cd = 1.253",
                                   "C4.5+m+cf 1.964286\nC4.5+m 2.000000\nC4.5+cf 2.892857\nC4.5 3.142857\n", NULL},
                  NULL);
    expect_figure(dir, "cd_hcsc_auc.gp",
                  (const char *[]){"CD = 1.254", /* 2.569·sqrt(20/84) = 1.2536 */
                                   "'(3.14) C4.5' noenhanced", /* worst half on the right */
                                   "'C4.5+m+cf (1.96)' noenhanced", NULL},
                  NULL);
    bench_figure_list_free(&list);
}

static int have_gnuplot(void)
{
    char path[4096];
    return bench_gnuplot_find(path, sizeof path, NULL, NULL) == BENCH_OK;
}

static void renders_every_kind_with_gnuplot(void **state)
{
    (void)state;
    if (!have_gnuplot()) {
        printf("SKIPPED: gnuplot not installed (apt-get install gnuplot-nox); scripts were still checked\n");
        skip();
    }
    static const char *const fixtures[] = {"forecast", "hcsc", "detect"};
    for (size_t f = 0; f < 3; f++) {
        const char *dir = test_copy_report_fixture(fixtures[f], fixtures[f]);
        bench_error error = {0};
        bench_figure_list list;
        bench_plot_options options = {.format = f == 2 ? BENCH_PLOT_SVG : BENCH_PLOT_PNG};
        int status = bench_plot(&list, dir, &options, &error);
        if (status != BENCH_OK)
            fail_msg("%s: %s", fixtures[f], error.message);
        /* forecast: 6 horizon + 2 CD + 2 forecast; hcsc: 2 curves + 1 embedding
         * (its tables have one row, no CD); detect: 2 AP + 2 examples (2 rows, no CD). */
        static const size_t expected[] = {10, 3, 4};
        assert_int_equal(list.count, expected[f]);
        for (size_t i = 0; i < list.count; i++) {
            const bench_figure *figure = &list.items[i];
            assert_non_null(figure->output);
            char *content = read_file(dir, figure->output);
            if (figure->kind == BENCH_PLOT_EXAMPLES || options.format == BENCH_PLOT_PNG)
                assert_memory_equal(content, "\x89PNG", 4);
            else
                assert_non_null(strstr(content, "<svg"));
            free(content);
        }
        bench_figure_list_free(&list);
    }
}

/* The line of a plot command that draws `variant` (title "variant"): its
 * "ls N", or -1. */
static int style_of_variant(const char *script, const char *variant)
{
    char title[128];
    snprintf(title, sizeof title, "title '%s'", variant);
    const char *at = strstr(script, title);
    if (at == NULL)
        return -1;
    const char *line = at;
    while (line > script && line[-1] != '\n')
        line--;
    const char *ls = strstr(line, " ls ");
    return ls != NULL && ls < at ? atoi(ls + 4) : -1;
}

/* Issue 19: with one seed every std was "?", gnuplot dropped every point of
 * the yerrorlines and failed ("x range is invalid"), and bench plot exited 1.
 * Now one-seed figures are lines without error bars and say so in the title. */
static void single_seed_horizon_plots_render(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("forecast", "one-seed");
    char command[1024];
    test_shell("cd %s && rm -r predictions && awk -F, 'NR == 1 || $8 == 1' results.csv > r && mv r results.csv", dir);
    bench_figure_list list = plot_scripts(dir, BENCH_PLOT_HORIZON);
    assert_int_equal(count_kind(&list, BENCH_PLOT_HORIZON), 6);
    bench_figure_list_free(&list);
    char *data = read_file(dir, "horizon_mse_ETTh1_ltsf.dat");
    assert_non_null(strstr(data, "# horizon naive_mean seasonal_naive_mean ridge_mean gbrt_cov_mean gbrt_nocov_mean\n"));
    assert_null(strstr(data, "?")); /* every ETTh1 cell has its one seed */
    assert_non_null(strstr(data, "\n96 0.574065 "));
    free(data);
    char *script = read_file(dir, "horizon_mse_ETTh1_ltsf.gp");
    assert_null(strstr(script, "yerror"));
    assert_null(strstr(script, "std over seeds"));
    assert_non_null(strstr(script, "MSE vs horizon on ETTh1 (ltsf), one seed (1), no error bars"));
    free(script);

    const char *binary = getenv("BENCH_BINARY");
    if (binary == NULL || access(binary, X_OK) != 0 || !have_gnuplot()) {
        printf("SKIPPED: rendering through `bench plot` needs BENCH_BINARY (%s) and gnuplot; the scripts were checked\n",
               binary ? binary : "unset");
        return;
    }
    snprintf(command, sizeof command, "%s plot %s --kind horizon > %s/plot.out 2>&1", binary, dir, test_scratch);
    int status = system(command);
    if (status != 0) {
        char out[512];
        snprintf(out, sizeof out, "%s/plot.out", test_scratch);
        FILE *file = fopen(out, "r");
        char line[512] = "";
        if (file != NULL) {
            if (fgets(line, sizeof line, file) == NULL)
                line[0] = '\0';
            fclose(file);
        }
        fail_msg("bench plot --kind horizon exited %d: %s", WEXITSTATUS(status), line);
    }
    char *png = read_file(dir, "horizon_mse_ETTh1_ltsf.png");
    assert_memory_equal(png, "\x89PNG", 4);
    free(png);
}

/* Mixed seeds: lines through every mean, error bars only where a std exists
 * (a one-seed cell must not take its whole line down with it). */
static void horizon_error_bars_only_where_a_std_exists(void **state)
{
    (void)state;
    /* ridge keeps only seed 1 everywhere. */
    const char *dir = filtered_fixture("forecast", "mixed-seeds", "$6 != \"ridge\" || $8 == 1");
    bench_figure_list list = plot_scripts(dir, BENCH_PLOT_HORIZON);
    bench_figure_list_free(&list);
    expect_figure(dir, "horizon_mse_ETTh1_ltsf.gp",
                  (const char *[]){"mean and std over seeds, bars where n > 1",
                                   "using 1:6 with linespoints ls 3 title 'ridge' noenhanced",
                                   "using 1:6:7 with yerrorbars ls 3 dt 1 lw 1 notitle", NULL},
                  NULL);
    expect_figure(dir, "horizon_mse_ETTh1_ltsf.dat", (const char *[]){"ridge_mean ridge_sd", NULL}, NULL);
}

/* Issue 19: figures at a paper's size (3.5 in, 8 pt, 300 dpi PNG, no title:
 * the paper's caption says it), a log y axis when one variant dwarfs the
 * others, and error metrics on an axis that starts at 0. */
static void paper_sizes_and_log_axes(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("forecast", "paper-size");
    bench_error error = {0};
    bench_figure_list list;
    bench_plot_options options = {.kinds = BENCH_PLOT_HORIZON | BENCH_PLOT_CD, .size = BENCH_PLOT_SIZE_SINGLE,
                                  .log_y = BENCH_PLOT_LOG_Y_ON, .scripts_only = !have_gnuplot()};
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_OK);
    bench_figure_list_free(&list);
    expect_figure(dir, "style.gp", (const char *[]){"paper_width = 3.5\nfont_size = 8\ndpi = 300\n", NULL}, NULL);
    expect_figure(dir, "horizon_mse_ETTh1_ltsf.gp",
                  (const char *[]){"if (!exists(\"paper_width\")) set title ", "set logscale y 10", NULL},
                  NULL);
    expect_figure(dir, "cd_forecast_mse.gp", (const char *[]){"paper_min_width = 6.80", NULL}, NULL);
    if (have_gnuplot()) {
        /* PNG width from its IHDR chunk: 3.5 in at 300 dpi, and the CD diagram 6.8 in. */
        static const struct {
            const char *name;
            unsigned width;
        } pngs[] = {{"horizon_mse_ETTh1_ltsf.png", 1050}, {"cd_forecast_mse.png", 2040}};
        for (size_t i = 0; i < 2; i++) {
            char path[600];
            snprintf(path, sizeof path, "%s/figures/%s", dir, pngs[i].name);
            FILE *png = fopen(path, "rb");
            assert_non_null(png);
            unsigned char header[24];
            assert_int_equal(fread(header, 1, sizeof header, png), sizeof header);
            fclose(png);
            unsigned width = (unsigned)header[16] << 24 | (unsigned)header[17] << 16 | (unsigned)header[18] << 8 |
                             header[19];
            assert_int_equal(width, pngs[i].width);
        }
    }
    /* Screen size, log axis off: linear, starting at 0. */
    options = (bench_plot_options){.kinds = BENCH_PLOT_HORIZON, .log_y = BENCH_PLOT_LOG_Y_OFF, .scripts_only = 1};
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_OK);
    bench_figure_list_free(&list);
    char *style = read_file(dir, "style.gp");
    assert_null(strstr(style, "paper_width = "));
    free(style);
    char *script = read_file(dir, "horizon_mse_ETTh1_ltsf.gp");
    assert_null(strstr(script, "set logscale y"));
    assert_non_null(strstr(script, "set yrange [0:*]"));
    free(script);
}

/* Issue 19: the CD diagram of 11 variants was skipped ("no data"): Demšar's
 * table stops at 10.  Now q_0.05(11) = 3.2187 is computed and the diagram drawn. */
static void eleven_variants_get_a_cd_diagram(void **state)
{
    (void)state;
    char dir[512];
    results_dir(dir, sizeof dir, "eleven", test_write_eleven_variants);
    bench_error error = {0};
    bench_figure_list list;
    bench_plot_options options = {.scripts_only = 1, .kinds = BENCH_PLOT_CD};
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_OK);
    assert_int_equal(count_kind(&list, BENCH_PLOT_CD), 1);
    assert_int_equal(list.note_count, 0);
    bench_figure_list_free(&list);
    expect_figure(dir, "cd_hcsc_accuracy.dat",
                  (const char *[]){"# cd = 4.358", /* 3.218654·sqrt(11·12/72) = 4.3581 */
                                   "model00 ", "model10 ", NULL},
                  NULL);
    if (!have_gnuplot()) {
        printf("SKIPPED: gnuplot not installed; the CD script was checked\n");
        return;
    }
    options.scripts_only = 0;
    if (bench_plot(&list, dir, &options, &error) != BENCH_OK)
        fail_msg("%s", error.message);
    assert_non_null(list.items[0].output);
    bench_figure_list_free(&list);
}

/* A CD diagram that cannot be drawn is listed with its reason, never silent. */
static void skipped_cd_diagrams_say_why(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("detect", "detect-notes");
    bench_figure_list list = plot_scripts(dir, BENCH_PLOT_CD);
    assert_int_equal(list.count, 0);
    assert_true(list.note_count > 0);
    int found = 0;
    for (size_t i = 0; i < list.note_count; i++)
        found |= strstr(list.notes[i], "cd_detect_map: not drawn, 2 datasets with a complete row") != NULL &&
                 strstr(list.notes[i], "need at least 3") != NULL;
    if (!found)
        fail_msg("no note for cd_detect_map; first note: %s", list.notes[0]);
    bench_figure_list_free(&list);
}

/* One style per variant across every figure of a run, in results.csv (plan)
 * order, so a variant added at the end of the plan changes nobody else's. */
static void a_variant_keeps_its_style_across_figures(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("forecast", "styles");
    bench_error error = {0};
    bench_figure_list list;
    bench_plot_options options = {.scripts_only = 1, .kinds = BENCH_PLOT_HORIZON | BENCH_PLOT_FORECAST};
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_OK);
    bench_figure_list_free(&list);
    char *horizon = read_file(dir, "horizon_mse_ETTh1_ltsf.gp");
    char *forecast = read_file(dir, "forecast_ETTh1_h96_s1_OT_w0.gp");
    static const char *const variants[] = {"naive", "seasonal_naive", "ridge", "gbrt_cov"};
    int before[4];
    for (int v = 0; v < 4; v++) {
        before[v] = style_of_variant(horizon, variants[v]);
        assert_int_equal(before[v], v + 1); /* results.csv order */
        assert_int_equal(style_of_variant(forecast, variants[v]), before[v]);
    }
    /* The forecast's y axis is the protocol's scale (z-scores under ltsf), not "units of the series". */
    assert_null(strstr(forecast, "units of the series"));
    assert_non_null(strstr(forecast, "set ylabel 'value (ltsf protocol scale, as scored)' noenhanced"));
    free(horizon);
    free(forecast);

    /* A new method appended to the run: the others keep their styles. */
    test_shell("cd %s && grep ',ETTh1,ltsf,naive,naive,' results.csv | "
               "sed 's/,naive,naive,/,theta,theta,/' >> results.csv",
               dir);
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_OK);
    bench_figure_list_free(&list);
    horizon = read_file(dir, "horizon_mse_ETTh1_ltsf.gp");
    for (int v = 0; v < 4; v++)
        assert_int_equal(style_of_variant(horizon, variants[v]), before[v]);
    assert_int_equal(style_of_variant(horizon, "theta"), 6);
    free(horizon);
}

/* Eleven variants in one figure: eleven different line styles (style.gp has 16). */
static void eleven_variants_have_distinct_styles(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("forecast", "eleven-styles");
    test_shell("cd %s && for v in a b c d e f; do grep ',ETTh1,ltsf,naive,naive,' results.csv | "
               "sed \"s/,naive,naive,/,naive,copy_$v,/\" >> results.csv; done", dir);
    bench_figure_list list = plot_scripts(dir, BENCH_PLOT_HORIZON);
    bench_figure_list_free(&list);
    char *script = read_file(dir, "horizon_mse_ETTh1_ltsf.gp");
    static const char *const variants[] = {"naive", "seasonal_naive", "ridge", "gbrt_cov", "gbrt_nocov", "copy_a",
                                           "copy_b", "copy_c", "copy_d", "copy_e", "copy_f"};
    for (int v = 0; v < 11; v++)
        assert_int_equal(style_of_variant(script, variants[v]), v + 1);
    free(script);
    expect_figure(dir, "style.gp", (const char *[]){"set style line 16 ", NULL}, NULL);
}

/* AP bars from one seed: no error bars, and the title does not promise a std. */
static void single_seed_ap_title(void **state)
{
    (void)state;
    const char *dir = filtered_fixture("detect", "detect-one-seed", "$8 == 1");
    bench_figure_list list = plot_scripts(dir, BENCH_PLOT_AP);
    assert_int_equal(list.count, 2);
    bench_figure_list_free(&list);
    char *script = read_file(dir, "ap_cityscapes_foggy_shift.gp");
    assert_null(strstr(script, "std over seeds"));
    assert_null(strstr(script, "errorbars"));
    assert_non_null(strstr(script, "one seed (1), no error bars"));
    free(script);
}

static void write_program(const char *path, const char *body)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fprintf(file, "#!/bin/sh\n%s\n", body);
    fclose(file);
    assert_int_equal(chmod(path, 0755), 0);
}

static void gnuplot_problems_are_reported(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("detect", "detect-failures");
    bench_error error = {0};
    bench_figure_list list;
    bench_plot_options options = {.gnuplot = "/nonexistent/gnuplot", .kinds = BENCH_PLOT_AP};
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "apt-get install gnuplot-nox"));
    assert_non_null(strstr(error.message, "tables still work"));
    assert_int_equal(list.count, 2); /* the scripts are there to run later */
    bench_figure_list_free(&list);
    free(read_file(dir, "ap_cityscapes_foggy_shift.gp"));

    char program[512];
    snprintf(program, sizeof program, "%s/failing-gnuplot", test_scratch);
    write_program(program, "echo '\"x.gp\" line 3: unknown command' >&2; exit 1");
    options.gnuplot = program;
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_IO);
    assert_non_null(strstr(error.message, "line 3: unknown command"));
    bench_figure_list_free(&list);

    snprintf(program, sizeof program, "%s/hanging-gnuplot", test_scratch);
    write_program(program, "exec sleep 20");
    options = (bench_plot_options){.gnuplot = program, .kinds = BENCH_PLOT_AP, .timeout_seconds = 0.3};
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    assert_int_equal(bench_plot(&list, dir, &options, &error), BENCH_IO);
    clock_gettime(CLOCK_MONOTONIC, &end);
    assert_non_null(strstr(error.message, "did not finish"));
    assert_true(end.tv_sec - start.tv_sec < 5);
    bench_figure_list_free(&list);
}

static void malformed_inputs_name_file_and_line(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("hcsc", "hcsc-bad");
    test_append_in(dir, "curves/training.csv", "hcsc,hcsc,1,twenty,train,loss,0.5\n");
    expect_plot_failure(dir, BENCH_PLOT_CURVES, BENCH_BAD_INPUT, "training.csv:362: epoch 'twenty'");

    test_write_in(dir, "embeddings/bad.csv", "dataset,variant,seed,f0,f1\nx,y,1,0.1,0.2\n");
    expect_plot_failure(dir, BENCH_PLOT_EMBEDDING, BENCH_BAD_INPUT, "bad.csv:1: no column 'label'");
}


/* A directory with curves but no results.csv: the curves are drawn; asking for
 * a results-based kind explicitly is an error naming the missing file. */
static void curves_without_results(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/curves-only", test_scratch);
    test_shell("mkdir -p %s && cp -r tests/data/reports/hcsc/curves %s/", dir, dir);
    bench_figure_list list = plot_scripts(dir, 0);
    assert_int_equal(list.count, 2);
    bench_figure_list_free(&list);
    expect_plot_failure(dir, BENCH_PLOT_CD, BENCH_NOT_FOUND, "results.csv");
}

/* Training curves mark where the schedule changes: the epoch HCSC's prototype
 * loss starts, and steps of a piecewise-constant learning rate; a cosine
 * schedule, which moves every epoch, is not a step. */
static void curves_mark_schedule_changes(void **state)
{
    (void)state;
    char dir[512], path[640];
    snprintf(dir, sizeof dir, "%s/schedule", test_scratch);
    snprintf(path, sizeof path, "%s/curves", dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/curves/c.csv", dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("model,variant,seed,epoch,split,metric,value\n", file);
    for (int seed = 1; seed <= 2; seed++)
        for (int epoch = 1; epoch <= 20; epoch++) {
            double loss = 3.0 / epoch + 0.1 * seed;
            double step = epoch <= 10 ? 0.1 : epoch <= 15 ? 0.01 : 0.001;
            double cosine = 0.015 * (1 + cos(M_PI * (epoch - 1) / 20.0));
            fprintf(file, "hcsc,hcsc,%d,%d,train,loss,%g\n", seed, epoch, loss);
            if (epoch > 2)
                fprintf(file, "hcsc,hcsc,%d,%d,train,loss_prototype,%g\n", seed, epoch, loss / 2);
            fprintf(file, "hcsc,hcsc,%d,%d,train,learning_rate,%g\n", seed, epoch, cosine);
            fprintf(file, "moco,moco,%d,%d,train,loss,%g\n", seed, epoch, loss);
            fprintf(file, "moco,moco,%d,%d,train,learning_rate,%g\n", seed, epoch, step);
        }
    fclose(file);
    bench_figure_list list = plot_scripts(dir, BENCH_PLOT_CURVES);
    bench_figure_list_free(&list);
    static const char *const figures[] = {"curves_loss.gp", "curves_learning_rate.gp", "curves_loss_prototype.gp"};
    for (size_t i = 0; i < 3; i++) {
        char *script = read_file(dir, figures[i]);
        assert_non_null(strstr(script, "set arrow from first 2.5, graph 0 to first 2.5, graph 1 nohead"));
        assert_non_null(strstr(script, "'hcsc: prototypes from epoch 3'"));
        assert_non_null(strstr(script, "set arrow from first 10.5,"));
        assert_non_null(strstr(script, "'moco: lr x0.1 at epoch 11'"));
        assert_non_null(strstr(script, "'moco: lr x0.1 at epoch 16'"));
        /* Three changes only: nothing for the cosine, nothing for moco's prototypes. */
        size_t arrows = 0;
        for (const char *at = script; (at = strstr(at, "set arrow")) != NULL; at++)
            arrows++;
        assert_int_equal(arrows, 3);
        free(script);
    }
    /* A change every variant shares is labelled once, without their names (the
     * X-ray curves: every PSN variant starts its prototypes at the same step). */
    snprintf(dir, sizeof dir, "%s/shared-schedule", test_scratch);
    test_shell("mkdir -p %s/curves", dir);
    snprintf(path, sizeof path, "%s/curves/c.csv", dir);
    file = fopen(path, "w");
    assert_non_null(file);
    fputs("model,variant,seed,step,split,metric,value\n", file);
    for (int step = 1; step <= 6; step++)
        for (int v = 0; v < 2; v++) {
            fprintf(file, "%s,%s,1,%d,train,loss_detection,%g\n", v ? "psn" : "psn_domain_bn",
                    v ? "psn D3>D1" : "psn_domain_bn D3>D1", step, 3.0 / step);
            if (step > 2)
                fprintf(file, "%s,%s,1,%d,train,loss_prototype,%g\n", v ? "psn" : "psn_domain_bn",
                        v ? "psn D3>D1" : "psn_domain_bn D3>D1", step, 1.0 / step);
            if (step >= 4 && step % 2 == 0) /* validated from step 4 on, after the prototypes began */
                fprintf(file, "%s,%s,1,%d,val,map,%g\n", v ? "psn" : "psn_domain_bn",
                        v ? "psn D3>D1" : "psn_domain_bn D3>D1", step, 0.1 * step);
        }
    fclose(file);
    list = plot_scripts(dir, BENCH_PLOT_CURVES);
    bench_figure_list_free(&list);
    char *script = read_file(dir, "curves_loss_detection.gp");
    assert_non_null(strstr(script, "'every run: prototypes from step 3'"));
    assert_null(strstr(script, "psn D3>D1: prototypes"));
    free(script);
    /* A change before a metric's first point is not drawn on its border. */
    script = read_file(dir, "curves_map.gp");
    assert_null(strstr(script, "set arrow"));
    assert_null(strstr(script, "prototypes from step 3"));
    assert_null(strstr(script, "# schedule changes"));
    free(script);
    script = read_file(dir, "curves_loss_prototype.gp");
    assert_non_null(strstr(script, "'every run: prototypes from step 3'"));
    free(script);
}

TEST_MAIN("reports_plot", test_scratch_setup, test_scratch_teardown,
          cmocka_unit_test(scripts_and_data_for_every_kind),
          cmocka_unit_test(demsar_cd_diagram_data),
          cmocka_unit_test(renders_every_kind_with_gnuplot),
          cmocka_unit_test(single_seed_horizon_plots_render),
          cmocka_unit_test(horizon_error_bars_only_where_a_std_exists),
          cmocka_unit_test(eleven_variants_get_a_cd_diagram),
          cmocka_unit_test(skipped_cd_diagrams_say_why),
          cmocka_unit_test(paper_sizes_and_log_axes),
          cmocka_unit_test(a_variant_keeps_its_style_across_figures),
          cmocka_unit_test(eleven_variants_have_distinct_styles),
          cmocka_unit_test(single_seed_ap_title),
          cmocka_unit_test(gnuplot_problems_are_reported),
          cmocka_unit_test(malformed_inputs_name_file_and_line),
          cmocka_unit_test(curves_without_results),
          cmocka_unit_test(curves_mark_schedule_changes))
