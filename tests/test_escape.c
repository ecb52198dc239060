/* Escaping of untrusted names (bench/escape.c, issue 17 §4): each language's
 * exact output for hostile names, the FILE and buffer variants agreeing, the
 * buffer variant never returning a truncated escape, CSV fields read back
 * exactly by libcsv, and gnuplot reading its literals back without running
 * anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/escape.h"
#include "reports/csv_file.h"
#include "support_process.h"

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
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
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
    char *printed = test_read_file(printed_path, NULL);
    assert_non_null(printed);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
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
    };
    return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
