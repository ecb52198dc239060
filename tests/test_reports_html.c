/* bench report: index.html from the fixture run directories — tables, inline
 * SVG figures, failed cells, no scripts or network references — rendered in
 * headless Chromium when it is installed (skipped loudly otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reports/html.h"
#include "support_files.h"
#include "support_process.h"
#include "support_cmocka.h"

/* DIR/index.html, which must exist; the caller frees it. */
static char *page_of(const char *dir)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/index.html", dir);
    return test_slurp(path);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *s = strstr(text, needle); s != NULL; s = strstr(s + 1, needle))
        n++;
    return n;
}

static int have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

static void page_has_tables_figures_and_failures(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("forecast", "forecast");
    bench_error error = {0};
    bench_report_summary summary;
    assert_int_equal(bench_report_write(dir, NULL, &summary, &error), BENCH_OK);
    assert_int_equal(summary.tables, 5);
    char path[512];
    char *page = page_of(dir);
    assert_true(strncmp(page, "<!DOCTYPE html>", 15) == 0);
    assert_int_equal(count(page, "<table class=\"results\">"), 5 + 1); /* + the failed-cells table */
    /* Diebold-Mariano against the best-ranked variant, from the stored predictions. */
    /* Self-contained: no scripts, no external resources (SVG namespaces are names, not requests). */
    test_expect_text("page", page,
                     (const char *[]){"<table class=\"results dm\">", "Diebold-Mariano tests against gbrt_cov",
                                      "<h2 id=\"timings\">Timings</h2>", "<td class=\"hole\">error",
                                      "fit: design matrix is singular (fixture)", "<a href=\"results.csv\">",
                                      "<a href=\"tables.tex\">", "version: xgboost", NULL},
                     (const char *[]){"<script", "src=\"http", "href=\"http", "<?xml", NULL});
    if (have_gnuplot()) {
        assert_int_equal(summary.figure_error.code, BENCH_OK);
        assert_int_equal(summary.figures, 10);
        assert_int_equal(count(page, "<svg"), 10);
        test_expect_text("page", page,
                         (const char *[]){"id='f0-gpPt0'", NULL},
                         (const char *[]){"id='gpPt0'", /* ids prefixed per figure */
                                          NULL});
    } else {
        printf("SKIPPED (figures): gnuplot not installed (apt-get install gnuplot-nox)\n");
        assert_non_null(strstr(page, "apt-get install gnuplot-nox"));
    }
    free(page);
    for (int i = 0; i < 3; i++) {
        static const char *const names[] = {"tables.md", "tables.tex", "tables.csv"};
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(test_slurp(path));
    }
}

static void page_without_gnuplot_still_written(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("hcsc", "hcsc");
    bench_error error = {0};
    bench_report_summary summary;
    bench_report_options options = {.gnuplot = "/nonexistent/gnuplot"};
    assert_int_equal(bench_report_write(dir, &options, &summary, &error), BENCH_OK);
    assert_int_equal(summary.figure_error.code, BENCH_NOT_FOUND);
    char *page = page_of(dir);
    test_expect_text("page", page,
                     (const char *[]){"class=\"warning\"", "apt-get install gnuplot-nox", "(not rendered)", NULL},
                     NULL);
    assert_int_equal(count(page, "<table class=\"results\">"), 4);
    free(page);
}

static void bad_run_json_is_reported(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("detect", "detect");
    test_write_in(dir, "run.json", "{\"config\": [1, 2,\n");
    bench_error error = {0};
    bench_report_summary summary;
    bench_report_options options = {.no_figures = 1};
    assert_int_equal(bench_report_write(dir, &options, &summary, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "run.json:"));
    char path[512];
    snprintf(path, sizeof path, "%s/index.html", dir);
    assert_int_not_equal(access(path, F_OK), 0); /* no partial page */
}

/* Filled gaps and modified data files are shown in the Run table (issue 19:
 * missing data made visible), with names escaped. */
static void filled_gaps_and_modified_files_are_shown(void **state)
{
    (void)state;
    const char *dir = test_copy_report_fixture("detect", "detect");
    test_write_in(dir, "run.json",
                  "{\"config\": {\"datasets\": [{\"label\": \"co2<b>\", \"missing_filled\": 59, "
                  "\"files\": [{\"path\": \"/data/co2.csv\", \"sha256\": \"00\", \"modified_from_pinned\": true}]},"
                  " {\"label\": \"clean\", \"missing_filled\": 0, \"files\": []}]}}\n");
    bench_error error = {0};
    bench_report_summary summary;
    bench_report_options options = {.no_figures = 1};
    assert_int_equal(bench_report_write(dir, &options, &summary, &error), BENCH_OK);
    char *page = page_of(dir);
    test_expect_text("page", page,
                     (const char *[]){"<tr><th>co2&lt;b&gt;: missing values</th><td>59 filled",
                                      "<tr><th>co2&lt;b&gt;: data file</th><td>/data/co2.csv differs from its pinned sha256",
                                      NULL},
                     (const char *[]){"clean: missing values", NULL});
    free(page);
}

/* Renders the page in headless Chromium: the DOM has the tables and figures,
 * a screenshot is taken, and the console shows no errors. */
static void renders_in_headless_chromium(void **state)
{
    (void)state;
    const char *browser = NULL;
    if (system("command -v chromium >/dev/null 2>&1") == 0)
        browser = "chromium";
    else if (system("command -v chromium-browser >/dev/null 2>&1") == 0)
        browser = "chromium-browser";
    if (browser == NULL) {
        printf("SKIPPED: chromium not installed (apt-get install chromium); the page was checked as text only\n");
        skip();
    }
    const char *dir = test_copy_report_fixture("detect", "detect");
    bench_error error = {0};
    bench_report_summary summary;
    assert_int_equal(bench_report_write(dir, NULL, &summary, &error), BENCH_OK);
    char profile[300], dom[300], log[300], shot[300];
    snprintf(profile, sizeof profile, "%s/chromium-profile", test_scratch);
    snprintf(dom, sizeof dom, "%s/dom.html", test_scratch);
    snprintf(log, sizeof log, "%s/chromium.log", test_scratch);
    snprintf(shot, sizeof shot, "%s/page.png", test_scratch);
    const char *flags = "--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking "
                        "--disable-component-update --disable-dev-shm-usage";
    test_shell("timeout 60 %s %s --user-data-dir=%s --enable-logging=stderr --v=0 --dump-dom file://%s/index.html "
               ">%s 2>%s",
               browser, flags, profile, dir, dom, log);
    char *rendered = test_slurp(dom);
    assert_int_equal(count(rendered, "<table class=\"results\">"), (int)summary.tables);
    if (have_gnuplot()) {
        /* 2 AP bar charts; no CD diagram over 2 rows (Nemenyi needs 3), the page says why. */
        assert_int_equal(count(rendered, "<svg"), 2);
        assert_non_null(strstr(rendered, "cd_detect_map: not drawn, 2 datasets with a complete row"));
        assert_int_equal(count(rendered, "<img src=\"figures/examples/"), 2);
    }
    free(rendered);
    char *messages = test_slurp(log);
    /* Console messages from the page are logged as "CONSOLE(...)"; network use would show as a failed load. */
    if (strstr(messages, "CONSOLE") != NULL || strstr(messages, "Uncaught") != NULL ||
        strstr(messages, "ERR_FILE_NOT_FOUND") != NULL)
        fail_msg("chromium console errors:\n%s", messages);
    free(messages);
    test_shell("timeout 60 %s %s --user-data-dir=%s --window-size=1280,2000 --screenshot=%s file://%s/index.html "
               ">/dev/null 2>&1",
               browser, flags, profile, shot, dir);
    char *png = test_slurp(shot);
    assert_memory_equal(png, "\x89PNG", 4);
    free(png);
    printf("chromium rendered %s/index.html (screenshot %s)\n", dir, shot);
}


/* The three commands end to end through the bench binary (tests/run.sh sets BENCH_BINARY). */
static void commands_exit_codes(void **state)
{
    (void)state;
    const char *binary = getenv("BENCH_BINARY");
    if (binary == NULL || access(binary, X_OK) != 0) {
        printf("SKIPPED: BENCH_BINARY (%s) not built; run through tests/run.sh after `make`\n",
               binary ? binary : "unset");
        skip();
    }
    const char *dir = test_copy_report_fixture("forecast", "forecast");
    char command[2048], out[512];
    snprintf(out, sizeof out, "%s/t.tex", test_scratch);
    test_shell("%s table %s --format tex --metric mse --versus ridge --out %s", binary, dir, out);
    char *tex = test_slurp(out);
    assert_non_null(strstr(tex, "W/T/L vs ridge"));
    free(tex);
    snprintf(command, sizeof command, "%s table %s --format xls 2>/dev/null", binary, dir);
    assert_int_equal(WEXITSTATUS(system(command)), 2);
    snprintf(command, sizeof command, "%s table %s --metric accuracy 2>/dev/null", binary, dir);
    assert_int_equal(WEXITSTATUS(system(command)), 2);
    snprintf(command, sizeof command, "%s table %s/nowhere 2>/dev/null", binary, test_scratch);
    assert_int_equal(WEXITSTATUS(system(command)), 2);
    snprintf(command, sizeof command, "%s plot %s --kind nonsense 2>/dev/null", binary, dir);
    assert_int_equal(WEXITSTATUS(system(command)), 2);
    test_shell("%s plot %s --scripts-only >/dev/null", binary, dir);
    test_shell("%s report %s --no-figures >/dev/null", binary, dir);
    snprintf(out, sizeof out, "%s/index.html", dir);
    assert_int_equal(access(out, R_OK), 0);
}


static void header_only_results_still_give_a_page(void **state)
{
    (void)state;
    char dir[512], path[640];
    snprintf(dir, sizeof dir, "%s/empty", test_scratch);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof path, "%s/results.csv", dir);
    assert_int_equal(
        test_write_file(path, "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n"), 0);
    bench_error error = {0};
    bench_report_summary summary;
    assert_int_equal(bench_report_write(dir, NULL, &summary, &error), BENCH_OK);
    assert_int_equal(summary.tables, 0);
    assert_int_equal(summary.figure_error.code, BENCH_OK);
    char *page = page_of(dir);
    assert_non_null(strstr(page, "0 result rows"));
    free(page);
}

TEST_MAIN("reports_html", test_scratch_setup, test_scratch_teardown,
          cmocka_unit_test(page_has_tables_figures_and_failures),
          cmocka_unit_test(page_without_gnuplot_still_written),
          cmocka_unit_test(bad_run_json_is_reported),
          cmocka_unit_test(filled_gaps_and_modified_files_are_shown),
          cmocka_unit_test(header_only_results_still_give_a_page),
          cmocka_unit_test(renders_in_headless_chromium),
          cmocka_unit_test(commands_exit_codes))
