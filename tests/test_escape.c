/* Escaping of untrusted names (core/escape.c, issue 17 §4): each language's
 * exact output for hostile names, the FILE and buffer variants agreeing, the
 * buffer variant never returning a truncated escape, CSV fields read back
 * exactly by libcsv, and gnuplot reading its literals back without running
 * anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/escape.h"
#include "reports/csv_file.h"
#include "support_process.h"
#include "support_files.h"
#include "support_cmocka.h"

/* Escaped text through the FILE variant; the buffer variant must give the same.
 * Returns a static buffer (the tests compare it before the next call). */
static const char *escaped(bench_escape_language language, const char *text)
{
    static const bench_escape_fn by_language[] = {
        [BENCH_ESCAPE_CSV] = bench_escape_csv,
        [BENCH_ESCAPE_GNUPLOT] = bench_escape_gnuplot,
        [BENCH_ESCAPE_GNUPLOT_COMMENT] = bench_escape_gnuplot_comment,
        [BENCH_ESCAPE_GNUPLOT_DATA] = bench_escape_gnuplot_data,
        [BENCH_ESCAPE_HTML] = bench_escape_html,
        [BENCH_ESCAPE_LATEX] = bench_escape_latex,
        [BENCH_ESCAPE_LATEX_LABEL] = bench_escape_latex_label,
        [BENCH_ESCAPE_MARKDOWN] = bench_escape_markdown,
        [BENCH_ESCAPE_URL_PATH] = bench_escape_url_path,
    };
    static char result[1024];
    char *written = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(&written, &length);
    assert_non_null(memory);
    by_language[language](memory, text);
    assert_int_equal(fclose(memory), 0);
    size_t needed = bench_escape_buffer(result, sizeof result, language, text);
    assert_int_equal(needed, length);
    assert_string_equal(result, written);
    free(written);
    return result;
}

#define BACKQUOTE "`touch /tmp/pwned`"
#define DOLLAR "$(touch /tmp/pwned)"
#define QUOTES "it's \"q\""
#define SCRIPT "<script>alert(1)</script>"
#define INPUT "\\input{/etc/passwd}"

static void csv_quotes_only_what_needs_it(void **state)
{
    (void)state;
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, "gbrt_nocov"), "gbrt_nocov");
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, ""), "");
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, BACKQUOTE), BACKQUOTE);
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, DOLLAR), DOLLAR);
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, "a,b"), "\"a,b\"");
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, QUOTES), "\"it's \"\"q\"\"\"");
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, "two\nlines"), "\"two\nlines\"");
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, "cr\r\nlf"), "\"cr\r\nlf\"");
    /* libcsv trims unquoted leading and trailing blanks: quoted to keep them. */
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, " padded\t"), "\" padded\t\"");
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, "inner space"), "inner space");
    assert_string_equal(escaped(BENCH_ESCAPE_CSV, SCRIPT), SCRIPT);
}

static void gnuplot_strings_are_single_quoted(void **state)
{
    (void)state;
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, "naive"), "'naive'");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, BACKQUOTE), "'" BACKQUOTE "'");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, DOLLAR), "'" DOLLAR "'");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, QUOTES), "'it''s \"q\"'");
    /* Breaking out of the quotes needs an undoubled quote; a line break would end the command. */
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, "x'; system('touch /tmp/pwned'); '"),
                        "'x''; system(''touch /tmp/pwned''); '''");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, "a\n!touch /tmp/pwned"), "'a !touch /tmp/pwned'");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, "cr\r\ttab"), "'cr  tab'");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, INPUT), "'\\input{/etc/passwd}'");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, "x_1^2 @m &{a} ~b"), "'x_1^2 @m &{a} ~b'");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT, ""), "''");
}

static void gnuplot_comments_and_data_fields(void **state)
{
    (void)state;
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_COMMENT, "title\n!touch /tmp/pwned"), "title !touch /tmp/pwned");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_COMMENT, "ends in \\"), "ends in \\.");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_COMMENT, "a\\b"), "a\\b");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_COMMENT, BACKQUOTE), BACKQUOTE);
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_DATA, "C4.5+m"), "C4.5+m");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_DATA, "two words"), "\"two words\"");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_DATA, "a#b"), "\"a#b\"");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_DATA, ""), "\"\"");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_DATA, QUOTES), "\"it's 'q'\"");
    assert_string_equal(escaped(BENCH_ESCAPE_GNUPLOT_DATA, "a\nb"), "\"a b\"");
}

static void html_escapes_five_characters(void **state)
{
    (void)state;
    assert_string_equal(escaped(BENCH_ESCAPE_HTML, SCRIPT), "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_string_equal(escaped(BENCH_ESCAPE_HTML, QUOTES), "it&#39;s &quot;q&quot;");
    assert_string_equal(escaped(BENCH_ESCAPE_HTML, "a&amp;b"), "a&amp;amp;b");
    assert_string_equal(escaped(BENCH_ESCAPE_HTML, "\" onload=\"x"), "&quot; onload=&quot;x");
    assert_string_equal(escaped(BENCH_ESCAPE_HTML, BACKQUOTE), BACKQUOTE);
}

static void latex_prints_every_special_character(void **state)
{
    (void)state;
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX, INPUT), "\\textbackslash{}input\\{/etc/passwd\\}");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX, "50% & x_1^2 ~ #"),
                        "50\\% \\& x\\_1\\textasciicircum{}2 \\textasciitilde{} \\#");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX, DOLLAR), "\\$(touch /tmp/pwned)");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX, "<a|b>"), "\\textless{}a\\textbar{}b\\textgreater{}");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX, "[2cm]"), "{[}2cm{]}");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX, "two\nlines\r"), "two lines ");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX, "gbrt_nocov"), "gbrt\\_nocov");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX_LABEL, "mse_raw"), "mse-raw");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX_LABEL, "ap_\\input{x}%"), "ap--input-x--");
    assert_string_equal(escaped(BENCH_ESCAPE_LATEX_LABEL, "tab:forecast-mse.1"), "tab:forecast-mse.1");
}

static void markdown_keeps_one_cell_one_line(void **state)
{
    (void)state;
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, "a|b"), "a\\|b");
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, SCRIPT), "&lt;script&gt;alert(1)&lt;/script&gt;");
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, "x_1*2"), "x\\_1\\*2");
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, INPUT), "\\\\input{/etc/passwd}");
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, BACKQUOTE), "\\`touch /tmp/pwned\\`");
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, "[l](javascript:x)"), "\\[l\\](javascript:x)");
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, "two\nlines|\r"), "two lines\\| ");
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, "a&b ~~s~~ 50%"), "a&amp;b \\~\\~s\\~\\~ 50%");
    assert_string_equal(escaped(BENCH_ESCAPE_MARKDOWN, QUOTES), QUOTES);
}

static void url_paths_are_percent_encoded(void **state)
{
    (void)state;
    assert_string_equal(escaped(BENCH_ESCAPE_URL_PATH, "figures/a b.svg"), "figures/a%20b.svg");
    assert_string_equal(escaped(BENCH_ESCAPE_URL_PATH, "x\"<'>"), "x%22%3C%27%3E");
    assert_string_equal(escaped(BENCH_ESCAPE_URL_PATH, "horizon_mse-1.0~"), "horizon_mse-1.0~");
}

/* The buffer variant: the needed length like snprintf, and never half an escape. */
static void buffer_never_truncates_an_escape(void **state)
{
    (void)state;
    char buffer[8];
    assert_int_equal(bench_escape_buffer(buffer, 5, BENCH_ESCAPE_HTML, "<"), 4);
    assert_string_equal(buffer, "&lt;");
    memset(buffer, 'x', sizeof buffer);
    assert_int_equal(bench_escape_buffer(buffer, 4, BENCH_ESCAPE_HTML, "<"), 4);
    assert_string_equal(buffer, "");
    memset(buffer, 'x', sizeof buffer);
    assert_int_equal(bench_escape_buffer(buffer, sizeof buffer, BENCH_ESCAPE_GNUPLOT, "abcdefgh"), 10);
    assert_string_equal(buffer, ""); /* not an unclosed 'abcdef */
    assert_int_equal(bench_escape_buffer(NULL, 0, BENCH_ESCAPE_CSV, "a,b"), 5);
    assert_int_equal(bench_escape_buffer(buffer, sizeof buffer, (bench_escape_language)99, "x"), 0);
    assert_string_equal(buffer, "");
}

static const char *const hostile[] = {
    BACKQUOTE, DOLLAR, QUOTES, "a,b", "two\nlines", "cr\r\nlf", SCRIPT, INPUT, "a|b", "50% & x_1^2 ~ #",
    " padded\t", "", "\"", "\"\"", ",", "ends in \\", "x'; system('touch /tmp/pwned'); '",
};
enum { HOSTILE = sizeof hostile / sizeof hostile[0] };

/* Every hostile name written as a CSV field is read back exactly by libcsv
 * (reports/csv_file.c, which reads results.csv and predictions). */
static void csv_fields_round_trip_through_libcsv(void **state)
{
    (void)state;
    char path[] = "/tmp/bench-escape-csv-XXXXXX";
    FILE *file = test_temp_stream(path);
    fputs("index,name,after\n", file);
    for (size_t i = 0; i < HOSTILE; i++) {
        fprintf(file, "%zu,", i);
        bench_escape_csv(file, hostile[i]);
        fputs(",end\n", file);
    }
    assert_int_equal(fclose(file), 0);
    report_csv csv;
    bench_error error = {0};
    int status = report_csv_read(&csv, path, &error);
    unlink(path);
    if (status != BENCH_OK)
        fail_msg("%s", error.message);
    assert_int_equal(csv.rows, HOSTILE);
    for (size_t i = 0; i < HOSTILE; i++) {
        assert_string_equal(report_csv_cell(&csv, i, 1), hostile[i]);
        assert_string_equal(report_csv_cell(&csv, i, 2), "end");
    }
    report_csv_free(&csv);
}

/* gnuplot itself reads each literal back as the text (control characters as
 * spaces), and no backquote, $( ), quote or newline in it runs anything. */
static void gnuplot_reads_literals_back_and_runs_nothing(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("SKIPPED: gnuplot not installed (apt-get install gnuplot-nox)\n");
        skip();
    }
    char dir[] = "/tmp/bench-escape-gp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char marker[256], script_path[256], printed_path[256];
    snprintf(marker, sizeof marker, "%s/pwned", dir);
    snprintf(script_path, sizeof script_path, "%s/t.gp", dir);
    snprintf(printed_path, sizeof printed_path, "%s/printed.txt", dir);
    /* The hostile names again, with the marker inside this test's directory. */
    char names[6][512];
    snprintf(names[0], sizeof names[0], "`touch %s`", marker);
    snprintf(names[1], sizeof names[1], "$(touch %s)", marker);
    snprintf(names[2], sizeof names[2], "x'; system('touch %s'); '", marker);
    snprintf(names[3], sizeof names[3], "a\n!touch %s", marker);
    snprintf(names[4], sizeof names[4], "x\"; system(\"touch %s\"); \"", marker);
    snprintf(names[5], sizeof names[5], "ends in \\");
    FILE *script = fopen(script_path, "w");
    assert_non_null(script);
    fputs("set print 'printed.txt'\n", script);
    for (size_t i = 0; i < 6; i++) {
        fputs("# ", script);
        bench_escape_gnuplot_comment(script, names[i]);
        fputs("\nprint ", script);
        bench_escape_gnuplot(script, names[i]);
        fputc('\n', script);
    }
    fputs("set title ", script);
    bench_escape_gnuplot(script, names[0]);
    fputs(" noenhanced\n", script);
    assert_int_equal(fclose(script), 0);
    test_process_result run;
    const char *const argv[] = {"gnuplot", "t.gp", NULL};
    assert_int_equal(test_process_run(&run, argv, dir, NULL), 0);
    if (run.exit_code != 0)
        fail_msg("gnuplot failed: %s", run.err);
    test_process_free(&run);
    char *printed = test_slurp(printed_path);
    char expected[4096] = "";
    for (size_t i = 0; i < 6; i++) {
        for (char *c = names[i]; *c; c++)
            if (*c == '\n')
                *c = ' ';
        strcat(expected, names[i]);
        strcat(expected, "\n");
    }
    assert_string_equal(printed, expected);
    free(printed);
    assert_int_not_equal(access(marker, F_OK), 0);
    char command[300];
    snprintf(command, sizeof command, "rm -rf %s", dir);
    assert_int_equal(system(command), 0);
}

/* ---- end to end: a run directory full of hostile names ----------------------------------- */

enum { VARIANTS = 6 };

typedef struct hostile_run {
    char dir[256];
    char marker[300];                  /* created by any name that runs a command */
    char datasets[3][400];
    char variants[VARIANTS][400];
    char series[400];
    char classes[3][400];              /* detect classes (metrics ap_<class>) */
} hostile_run;

/* One CSV record of fields, each through the escaper under test. */
static void csv_record(FILE *file, const char *const *fields, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            fputc(',', file);
        bench_escape_csv(file, fields[i]);
    }
    fputc('\n', file);
}

static FILE *open_in(const hostile_run *run, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", run->dir, name);
    FILE *file = fopen(path, "w");
    if (file == NULL)
        fail_msg("cannot write %s", path);
    return file;
}

/* results.csv (forecast rows for horizon and CD figures, detect rows for the
 * AP figure), predictions in both layouts, training curves and embeddings,
 * every name hostile and written with bench_escape_csv. */
static void make_hostile_run(hostile_run *run)
{
    const char *temporary = test_temp_dir();
    assert_non_null(temporary);
    snprintf(run->dir, sizeof run->dir, "%s", temporary);
    snprintf(run->marker, sizeof run->marker, "%s/pwned", run->dir);
    const char *m = run->marker;
    snprintf(run->datasets[0], sizeof run->datasets[0], "<script>alert(1)</script>");
    snprintf(run->datasets[1], sizeof run->datasets[1], "\\input{/etc/passwd}|%% `touch %s`", m);
    /* A third dataset: the CD diagram counts datasets, and needs three. */
    snprintf(run->datasets[2], sizeof run->datasets[2], "$(touch %s) \"third\", 'x'", m);
    snprintf(run->variants[0], sizeof run->variants[0], "`touch %s`", m);
    snprintf(run->variants[1], sizeof run->variants[1], "$(touch %s)", m);
    snprintf(run->variants[2], sizeof run->variants[2], "x'; system('touch %s'); '", m);
    snprintf(run->variants[3], sizeof run->variants[3], "it's \"q\", a|b <b>");
    snprintf(run->variants[4], sizeof run->variants[4], "a\n!touch %s", m);
    snprintf(run->variants[5], sizeof run->variants[5], "[1cm] 50%% & x_1^2 ~ #{} \\");
    snprintf(run->series, sizeof run->series, "s,1 \"q\" `touch %s`\nnext", m);
    snprintf(run->classes[0], sizeof run->classes[0], "`touch %s`", m);
    snprintf(run->classes[1], sizeof run->classes[1], "<b>&\"q\",'x'");
    snprintf(run->classes[2], sizeof run->classes[2], "\\input{/etc/passwd}_^");

    char path[600];
    snprintf(path, sizeof path, "%s/predictions", run->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/curves", run->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/embeddings", run->dir);
    assert_int_equal(mkdir(path, 0755), 0);

    FILE *results = open_in(run, "results.csv");
    fputs("cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n", results);
    size_t cell = 0;
    for (size_t d = 0; d < 3; d++)
        for (long horizon = 2; horizon <= 4; horizon += 2)
            for (size_t v = 0; v < VARIANTS; v++)
                for (long seed = 1; seed <= 2; seed++) {
                    char id[32], h[32], sd[32], value[32];
                    snprintf(id, sizeof id, "c%zu", cell++);
                    snprintf(h, sizeof h, "%ld", horizon);
                    snprintf(sd, sizeof sd, "%ld", seed);
                    /* Rows rank the variants differently, so Friedman and the CD diagram exist. */
                    double value_of = 1.0 + 0.1 * (double)v + 0.03 * (double)(d + (size_t)horizon) + 0.01 * (double)seed +
                                      (v == (size_t)horizon ? 0.25 : 0.0) + (v == d ? 0.3 : 0.0);
                    snprintf(value, sizeof value, "%.4f", value_of);
                    const char *fields[] = {id, "forecast", run->datasets[d], "ltsf", "naive", run->variants[v],
                                            h, sd, "mse", value, "ok"};
                    csv_record(results, fields, 11);
                }
    for (size_t c = 0; c < 3; c++)
        for (size_t v = 0; v < 3; v++)
            for (long seed = 1; seed <= 2; seed++) {
                char id[32], metric[420], sd[32], value[32];
                snprintf(id, sizeof id, "d%zu", cell++);
                snprintf(metric, sizeof metric, "ap_%s", run->classes[c]);
                snprintf(sd, sizeof sd, "%ld", seed);
                snprintf(value, sizeof value, "%.3f", 0.3 + 0.1 * (double)c + 0.05 * (double)v + 0.01 * (double)seed);
                const char *fields[] = {id, "detect", run->datasets[0], "shift", "detector", run->variants[v],
                                        "", sd, metric, value, "ok"};
                csv_record(results, fields, 11);
            }
    assert_int_equal(fclose(results), 0);

    /* bench layout: two variants, four windows of two steps after a look-back. */
    FILE *predictions = open_in(run, "predictions/bench.csv");
    fputs("dataset,variant,horizon,seed,series,window,t,truth,pred,lower,upper\n", predictions);
    for (size_t v = 0; v < 4; v += 3)
        for (int window = 0; window < 4; window++)
            for (int t = 0; t < 6; t++) {
                char w[32], time[32], truth[32], pred[32] = "", lower[32] = "", upper[32] = "";
                snprintf(w, sizeof w, "%d", window);
                snprintf(time, sizeof time, "%d", 10 * window + t);
                snprintf(truth, sizeof truth, "%.3f", 1.0 + 0.1 * t + 0.05 * window);
                if (t >= 4) {
                    snprintf(pred, sizeof pred, "%.3f", 1.1 + 0.12 * t + 0.07 * (double)v + 0.01 * window);
                    snprintf(lower, sizeof lower, "%.3f", 0.9 + 0.1 * t);
                    snprintf(upper, sizeof upper, "%.3f", 1.4 + 0.1 * t);
                }
                const char *fields[] = {run->datasets[0], run->variants[v], "2", "1", run->series, w, time, truth,
                                        pred, lower, upper};
                csv_record(predictions, fields, 11);
            }
    assert_int_equal(fclose(predictions), 0);
    /* The run harness's layout (what bench/run.c writes): cell c0's forecasts. */
    predictions = open_in(run, "predictions/c0.csv");
    fputs("window,series,origin,step,truth,prediction\n", predictions);
    for (int step = 1; step <= 2; step++) {
        char number[32], truth[32], pred[32];
        snprintf(number, sizeof number, "%d", step);
        snprintf(truth, sizeof truth, "%.2f", 0.5 * step);
        snprintf(pred, sizeof pred, "%.2f", 0.6 * step);
        const char *fields[] = {"0", run->series, "100", number, truth, pred};
        csv_record(predictions, fields, 6);
    }
    assert_int_equal(fclose(predictions), 0);

    FILE *curves = open_in(run, "curves/training.csv");
    fputs("model,variant,seed,epoch,split,metric,value\n", curves);
    for (int epoch = 1; epoch <= 3; epoch++)
        for (size_t v = 0; v < 2; v++) {
            char e[32], value[32];
            snprintf(e, sizeof e, "%d", epoch);
            snprintf(value, sizeof value, "%.3f", 2.0 / epoch + 0.1 * (double)v);
            const char *fields[] = {"hcsc", run->variants[v], "1", e, "val\n`touch x`", "loss", value};
            csv_record(curves, fields, 7);
        }
    assert_int_equal(fclose(curves), 0);

    FILE *embeddings = open_in(run, "embeddings/e.csv");
    fputs("dataset,variant,seed,label,f0,f1,f2\n", embeddings);
    for (int i = 0; i < 9; i++) {
        char f[3][32];
        for (int j = 0; j < 3; j++)
            snprintf(f[j], sizeof f[j], "%.3f", (double)((i * 7 + j * 3) % 5) + 0.1 * i * (j + 1));
        const char *fields[] = {run->datasets[0], run->variants[2], "1", run->classes[i % 3], f[0], f[1], f[2]};
        csv_record(embeddings, fields, 7);
    }
    assert_int_equal(fclose(embeddings), 0);
}

static void remove_run(const hostile_run *run)
{
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", run->dir);
    assert_int_equal(system(command), 0);
}

/* bench ARGS... in the run directory; fails the test on a non-zero exit.
 * Returns its stdout (the caller frees it). */
static char *bench_ok(const hostile_run *run, const char *const *arguments)
{
    /* Absolute, since bench runs in the run directory and BENCH_BINARY may be relative. */
    char binary[PATH_MAX];
    if (realpath(test_bench_binary(), binary) == NULL)
        fail_msg("no bench binary at %s", test_bench_binary());
    const char *argv[16] = {binary};
    size_t count = 1;
    for (; arguments[count - 1] != NULL && count < 15; count++)
        argv[count] = arguments[count - 1];
    argv[count] = NULL;
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, run->dir, NULL), 0);
    if (result.exit_code != 0)
        fail_msg("bench %s exited %d: %s", arguments[0], result.exit_code, result.err);
    free(result.err);
    return result.out;
}

/* A file of the run directory (the caller frees it). */
static char *read_in(const hostile_run *run, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", run->dir, name);
    char *text = test_read_file(path, NULL);
    if (text == NULL)
        fail_msg("missing %s", path);
    return text;
}

/* Nothing in a name ran: the marker file any of them would create is absent. */
static void assert_nothing_ran(const hostile_run *run)
{
    if (access(run->marker, F_OK) == 0)
        fail_msg("a hostile name ran a command: %s exists", run->marker);
}

static int gnuplot_installed(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

/* No raw <script from the data anywhere in an HTML text (case-insensitive),
 * and the dataset name there as escaped text. */
static void assert_no_raw_script(const char *html)
{
    for (const char *s = html; *s; s++)
        if (strncasecmp(s, "<script", 7) == 0)
            fail_msg("raw <script at: %.80s", s);
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
}

/* Every figure kind is drawn by gnuplot from hostile names; nothing they
 * contain runs, and the scripts carry the names as single-quoted literals. */
static void plot_with_hostile_names_runs_nothing(void **state)
{
    (void)state;
    if (!gnuplot_installed()) {
        printf("SKIPPED: gnuplot not installed (apt-get install gnuplot-nox)\n");
        skip();
    }
    hostile_run run;
    make_hostile_run(&run);
    const char *const plot[] = {"plot", ".", NULL};
    free(bench_ok(&run, plot));
    assert_nothing_ran(&run);
    static const char *const kinds[] = {"horizon_mse_", "cd_forecast_mse", "ap_", "forecast_", "curves_", "embedding_"};
    char command[1200];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        snprintf(command, sizeof command, "ls '%s'/figures/%s*.png >/dev/null 2>&1", run.dir, kinds[k]);
        if (system(command) != 0)
            fail_msg("no %s*.png drawn", kinds[k]);
    }
    /* The series (comma, quotes, backquotes, line break) read back from both
     * predictions layouts and written into the forecast titles as a literal. */
    snprintf(command, sizeof command, "cat '%s'/figures/forecast_*.gp > '%s'/forecast.all", run.dir, run.dir);
    assert_int_equal(system(command), 0);
    char *scripts = read_in(&run, "forecast.all");
    char expected[1000];
    snprintf(expected, sizeof expected, "series s,1 \"q\" `touch %s` next, window 0", run.marker);
    assert_non_null(strstr(scripts, expected));
    free(scripts);
    snprintf(command, sizeof command, "cat '%s'/figures/horizon_*.gp > '%s'/horizon.all", run.dir, run.dir);
    assert_int_equal(system(command), 0);
    scripts = read_in(&run, "horizon.all");
    snprintf(expected, sizeof expected, "title 'x''; system(''touch %s''); ''' noenhanced", run.marker);
    assert_non_null(strstr(scripts, expected));
    free(scripts);
    remove_run(&run);
}

/* Each Markdown table's rows have as many unescaped '|' as its header; returns
 * the rows checked. */
static size_t markdown_rows_checked(const char *markdown)
{
    size_t header_pipes = 0, checked = 0;
    for (const char *line = markdown; *line;) {
        size_t length = strcspn(line, "\n");
        if (line[0] == '|') {
            size_t pipes = 0;
            for (size_t i = 0; i < length; i++)
                pipes += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
            if (header_pipes == 0)
                header_pipes = pipes;
            else if (pipes != header_pipes)
                fail_msg("%zu cells instead of %zu in: %.*s", pipes, header_pipes, (int)length, line);
            checked++;
        } else {
            header_pipes = 0;
        }
        line += length + (line[length] == '\n');
    }
    return checked;
}

/* LaTeX, Markdown, HTML and CSV tables (and the Diebold-Mariano table) of the
 * hostile run: the LaTeX compiles and never opens /etc/passwd, Markdown rows
 * keep their cell count, HTML has no raw <script>, CSV reads back exactly. */
static void tables_with_hostile_names(void **state)
{
    (void)state;
    hostile_run run;
    make_hostile_run(&run);

    const char *const markdown_args[] = {"table", ".", "--format", "md", NULL};
    char *markdown = bench_ok(&run, markdown_args);
    assert_null(strstr(markdown, "<script"));
    assert_non_null(strstr(markdown, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(markdown, "it's \"q\", a\\|b &lt;b&gt;"));
    assert_true(markdown_rows_checked(markdown) > 10);
    free(markdown);
    /* Turned around, the hostile dataset names head the columns instead. */
    const char *const markdown_across_args[] = {"table", ".", "--format", "md", "--columns", "datasets", NULL};
    markdown = bench_ok(&run, markdown_across_args);
    assert_null(strstr(markdown, "<script"));
    assert_true(markdown_rows_checked(markdown) > 5);
    free(markdown);
    const char *const html_across_args[] = {"table", ".", "--format", "html", "--columns", "datasets", NULL};
    char *html_across = bench_ok(&run, html_across_args);
    assert_no_raw_script(html_across);
    free(html_across);

    const char *const html_args[] = {"table", ".", "--format", "html", NULL};
    char *html = bench_ok(&run, html_args);
    assert_no_raw_script(html);
    assert_null(strstr(html, "<b>&")); /* the class name's <b> stays text */
    free(html);

    const char *const csv_args[] = {"table", ".", "--format", "csv", "--out", "tables.csv", NULL};
    free(bench_ok(&run, csv_args));
    char path[600];
    snprintf(path, sizeof path, "%s/tables.csv", run.dir);
    report_csv csv;
    bench_error error = {0};
    assert_int_equal(report_csv_read(&csv, path, &error), BENCH_OK);
    long variant = report_csv_column(&csv, "variant"), dataset = report_csv_column(&csv, "dataset");
    size_t found = 0;
    for (size_t r = 0; r < csv.rows; r++)
        found += strcmp(report_csv_cell(&csv, r, (size_t)variant), run.variants[4]) == 0 &&
                 strcmp(report_csv_cell(&csv, r, (size_t)dataset), run.datasets[1]) == 0;
    assert_int_equal(found, 2); /* horizons 2 and 4 */
    report_csv_free(&csv);

    const char *const dm_csv_args[] = {"table", ".", "--dm", run.variants[0], "--format", "csv", "--out", "dm.csv",
                                       NULL};
    free(bench_ok(&run, dm_csv_args));
    snprintf(path, sizeof path, "%s/dm.csv", run.dir);
    assert_int_equal(report_csv_read(&csv, path, &error), BENCH_OK);
    assert_int_equal(csv.rows, 1);
    assert_string_equal(report_csv_cell(&csv, 0, (size_t)report_csv_column(&csv, "variant")), run.variants[3]);
    assert_string_equal(report_csv_cell(&csv, 0, (size_t)report_csv_column(&csv, "reference")), run.variants[0]);
    assert_string_equal(report_csv_cell(&csv, 0, (size_t)report_csv_column(&csv, "dataset")), run.datasets[0]);
    report_csv_free(&csv);

    const char *const tex_args[] = {"table", ".", "--format", "tex", "--out", "tables.tex", NULL};
    free(bench_ok(&run, tex_args));
    const char *const tex_across_args[] = {"table", ".", "--format", "tex", "--columns", "datasets",
                                           "--out", "across.tex", NULL};
    free(bench_ok(&run, tex_across_args));
    const char *const dm_tex_args[] = {"table", ".", "--dm", run.variants[0], "--format", "tex", "--out", "dm.tex",
                                       NULL};
    free(bench_ok(&run, dm_tex_args));
    char *tex = read_in(&run, "tables.tex");
    assert_null(strstr(tex, "\\input{"));
    assert_non_null(strstr(tex, "\\textbackslash{}input\\{/etc/passwd\\}"));
    free(tex);
    assert_nothing_ran(&run);
    if (system("command -v pdflatex >/dev/null 2>&1") != 0 ||
        system("kpsewhich multirow.sty >/dev/null 2>&1 && kpsewhich booktabs.sty >/dev/null 2>&1") != 0) {
        printf("SKIPPED (pdflatex part): pdflatex with booktabs and multirow not installed "
               "(apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra)\n");
        remove_run(&run);
        return;
    }
    FILE *document = open_in(&run, "document.tex");
    fputs("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{booktabs}\n\\usepackage{multirow}\n"
          "\\usepackage{adjustbox}\n\\usepackage[margin=1cm,landscape]{geometry}\n\\begin{document}\n\\input{tables.tex}\n\\input{across.tex}\n\\input{dm.tex}\n"
          "\\end{document}\n",
          document);
    assert_int_equal(fclose(document), 0);
    char command[800];
    snprintf(command, sizeof command,
             "cd '%s' && pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error document.tex "
             ">pdflatex.out 2>&1",
             run.dir);
    int status = system(command);
    char *log = read_in(&run, "document.log");
    if (status != 0)
        fail_msg("pdflatex failed; see %s/document.log", run.dir);
    /* pdflatex logs every file it opens as "(path": /etc/passwd must not be one. */
    assert_null(strstr(log, "(/etc/passwd"));
    assert_null(strstr(log, "Missing character"));
    free(log);
    snprintf(path, sizeof path, "%s/document.pdf", run.dir);
    assert_int_equal(access(path, R_OK), 0);
    remove_run(&run);
}

/* bench report: the page has the names as text only (tables, figure titles,
 * inline SVG from gnuplot), and nothing ran. */
static void report_with_hostile_names(void **state)
{
    (void)state;
    hostile_run run;
    make_hostile_run(&run);
    const char *const report[] = {"report", ".", NULL};
    free(bench_ok(&run, report));
    char *page = read_in(&run, "index.html");
    assert_no_raw_script(page);
    if (gnuplot_installed())
        assert_non_null(strstr(page, "<svg"));
    free(page);
    char *markdown = read_in(&run, "tables.md");
    assert_null(strstr(markdown, "<script"));
    free(markdown);
    assert_nothing_ran(&run);
    remove_run(&run);
}

TEST_MAIN("escape", NULL, NULL,
          cmocka_unit_test(csv_quotes_only_what_needs_it),
          cmocka_unit_test(gnuplot_strings_are_single_quoted),
          cmocka_unit_test(gnuplot_comments_and_data_fields),
          cmocka_unit_test(html_escapes_five_characters),
          cmocka_unit_test(latex_prints_every_special_character),
          cmocka_unit_test(markdown_keeps_one_cell_one_line),
          cmocka_unit_test(url_paths_are_percent_encoded),
          cmocka_unit_test(buffer_never_truncates_an_escape),
          cmocka_unit_test(csv_fields_round_trip_through_libcsv),
          cmocka_unit_test(gnuplot_reads_literals_back_and_runs_nothing),
          cmocka_unit_test(plot_with_hostile_names_runs_nothing),
          cmocka_unit_test(tables_with_hostile_names),
          cmocka_unit_test(report_with_hostile_names))
