/* bench table: tables from the fixture run directories in tests/data/reports/
 * (failed cells stay visible), LaTeX compiled with pdflatex when installed,
 * results.csv validation, metric directions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/dm.h"
#include "reports/results.h"
#include "reports/table.h"
#include "support_reports.h"
#include "support_files.h"
#include "support_cmocka.h"

#define FORECAST "tests/data/reports/forecast/results.csv"

static char *render(const bench_table_set *set, bench_table_format format)
{
    char *text = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(&text, &length);
    assert_non_null(memory);
    bench_error error = {0};
    assert_int_equal(bench_tables_write(memory, set, format, &error), BENCH_OK);
    fclose(memory);
    return text;
}

/* Loads the results.csv at path and builds its tables with options (NULL for
 * the defaults), failing the test on an error; the caller frees both. */
static void load_and_build(bench_results *results, bench_table_set *set, const char *path,
                           const bench_table_options *options)
{
    bench_error error = {0};
    assert_int_equal(bench_results_load(results, path, &error), BENCH_OK);
    assert_int_equal(bench_tables_build(set, results, options, &error), BENCH_OK);
}

/* Loads tests/data/reports/NAME/results.csv, failing the test on an error;
 * the caller frees it. */
static void load_fixture(bench_results *results, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "tests/data/reports/%s/results.csv", name);
    bench_error error = {0};
    assert_int_equal(bench_results_load(results, path, &error), BENCH_OK);
}

/* Closes stream, the temporary results.csv at path from new_results, then
 * load_and_build with the default options, and removes the file. */
static void load_temporary(bench_results *results, bench_table_set *set, FILE *stream, const char *path)
{
    assert_int_equal(fclose(stream), 0);
    load_and_build(results, set, path, NULL);
    unlink(path);
}

/* Frees what load_and_build made. */
static void free_tables(bench_table_set *set, bench_results *results)
{
    bench_tables_free(set);
    bench_results_free(results);
}

/* Renders set in format and fails the test unless the text holds each of the
 * NULL-terminated present strings and none of the absent ones (NULL for none). */
static void expect_rendered(const bench_table_set *set, bench_table_format format, const char *const present[],
                            const char *const absent[])
{
    static const char *const names[] = {"md", "tex", "csv", "html"};
    char *text = render(set, format);
    test_expect_text((size_t)format < 4 ? names[format] : "table", text, present, absent);
    free(text);
}

/* A new temporary results.csv (its name filled into template) holding the
 * header; the caller writes the rows, closes it and unlinks it. */
static FILE *new_results(char *template)
{
    FILE *file = test_temp_stream(template);
    fputs(TEST_RESULTS_HEADER, file);
    return file;
}

static const bench_table *find_table(const bench_table_set *set, const char *metric)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->tables[i].metric, metric) == 0)
            return &set->tables[i];
    fail_msg("no table for %s", metric);
    return NULL;
}

static size_t row_of(const bench_table *t, const char *dataset, long horizon)
{
    for (size_t r = 0; r < t->row_count; r++)
        if (strcmp(t->rows[r].dataset, dataset) == 0 && t->rows[r].horizon == horizon)
            return r;
    fail_msg("no row %s/%ld", dataset, horizon);
    return 0;
}

static size_t column_of(const bench_table *t, const char *variant)
{
    for (size_t c = 0; c < t->column_count; c++)
        if (strcmp(t->variants[c], variant) == 0)
            return c;
    fail_msg("no column %s", variant);
    return 0;
}

static void forecast_tables_keep_failed_cells(void **state)
{
    (void)state;
    bench_error error = {0};
    bench_results results;
    assert_int_equal(bench_results_load(&results, FORECAST, &error), BENCH_OK);
    /* By default ranks and Friedman count each dataset once (the mean over its
     * complete rows): the rows of one dataset are not independent samples. */
    bench_table_set by_dataset;
    bench_table_options defaults = {.digits = -1};
    assert_int_equal(bench_tables_build(&by_dataset, &results, &defaults, &error), BENCH_OK);
    const bench_table *ranked = find_table(&by_dataset, "mse");
    size_t datasets = 0;
    for (size_t r = 0; r < ranked->row_count; r++)
        datasets += r == 0 || strcmp(ranked->rows[r].dataset, ranked->rows[r - 1].dataset) != 0;
    assert_true(datasets >= 3 && datasets < ranked->row_count);
    assert_int_equal(ranked->complete_rows, datasets); /* national_illness's failed row leaves its others */
    char *ranked_md = render(&by_dataset, BENCH_TABLE_MD);
    char expected[128];
    snprintf(expected, sizeof expected, "Average ranks over %zu datasets, each the mean over its complete rows",
             datasets);
    assert_non_null(strstr(ranked_md, expected));
    free(ranked_md);
    bench_tables_free(&by_dataset);

    /* --rank-rows: over dataset x horizon rows, as the TSLib leaderboard ranks. */
    bench_table_options options = {.digits = -1, .versus = "ridge", .rank_by_row = 1};
    bench_table_set set;
    assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_OK);
    assert_int_equal(set.count, 5); /* mse, mae (ltsf) and smape, mase, owa (m4) */
    const bench_table *mse = find_table(&set, "mse");
    assert_int_equal(mse->row_count, 8);
    assert_int_equal(mse->column_count, 5);
    assert_int_equal(mse->direction, -1);
    assert_string_equal(mse->seeds, "1, 2, 3");
    assert_string_equal(mse->rows[0].dataset, "ETTh1");
    assert_int_equal(mse->rows[3].horizon, 720);
    size_t k = mse->column_count;
    const bench_table_cell *hole =
        &mse->cells[row_of(mse, "national_illness", 36) * k + column_of(mse, "gbrt_nocov")];
    assert_int_equal(hole->n_ok, 0);
    assert_int_equal(hole->n_error, 3);
    assert_true(isnan(hole->mean));
    const bench_table_cell *partial = &mse->cells[row_of(mse, "exchange_rate", 192) * k + column_of(mse, "ridge")];
    assert_int_equal(partial->n_ok, 2);
    assert_int_equal(partial->n_error, 1);
    assert_int_equal(mse->error_cells, 1);
    assert_int_equal(mse->partial_cells, 1);
    /* Deterministic baselines: std 0 over seeds. */
    assert_true(mse->cells[column_of(mse, "naive")].sd == 0.0);
    /* Exactly one best per row here (no ties), and it is the lowest mean. */
    for (size_t r = 0; r < mse->row_count; r++) {
        size_t best = 0, lowest = k;
        for (size_t c = 0; c < k; c++) {
            const bench_table_cell *cell = &mse->cells[r * k + c];
            best += cell->place == 1;
            if (cell->n_ok > 0 && (lowest == k || cell->mean < mse->cells[r * k + lowest].mean))
                lowest = c;
        }
        assert_int_equal(best, 1);
        assert_int_equal(mse->cells[r * k + lowest].place, 1);
    }
    /* The failed cell's row is not complete: ranks over 7 rows, summing to k(k+1)/2. */
    assert_int_equal(mse->complete_rows, 7);
    assert_non_null(mse->avg_ranks);
    double sum = 0;
    for (size_t c = 0; c < k; c++)
        sum += mse->avg_ranks[c];
    assert_float_equal(sum, 15.0, 1e-9);
    assert_true(mse->has_friedman);
    assert_float_equal(mse->avg_ranks[column_of(mse, "naive")], 5.0, 1e-12);
    /* wins/ties/losses against ridge: the naive baseline loses everywhere both exist. */
    assert_int_equal(mse->versus_column, (long)column_of(mse, "ridge"));
    assert_int_equal(mse->losses[column_of(mse, "naive")], 8);
    assert_int_equal(mse->wins[column_of(mse, "naive")], 0);
    /* Exact Wilcoxon: 8 differences of one sign, p = 2 / 2^8. */
    assert_float_equal(mse->wilcoxon_p[column_of(mse, "naive")], 2.0 / 256.0, 1e-15);
    assert_true(isnan(mse->wilcoxon_p[column_of(mse, "ridge")]));
    /* Holm over the k - 1 = 4 comparisons: never below the raw p, at most 1,
     * the smallest raw p times 4, and monotone in the raw order. */
    size_t smallest = k;
    for (size_t c = 0; c < k; c++) {
        if (isnan(mse->wilcoxon_p[c])) {
            assert_true(isnan(mse->holm_p[c]));
            continue;
        }
        assert_true(mse->holm_p[c] >= mse->wilcoxon_p[c] && mse->holm_p[c] <= 1.0);
        if (smallest == k || mse->wilcoxon_p[c] < mse->wilcoxon_p[smallest])
            smallest = c;
        for (size_t d = 0; d < k; d++)
            if (!isnan(mse->wilcoxon_p[d]) && mse->wilcoxon_p[d] < mse->wilcoxon_p[c])
                assert_true(mse->holm_p[d] <= mse->holm_p[c]);
    }
    assert_float_equal(mse->holm_p[smallest], fmin(1.0, 4 * mse->wilcoxon_p[smallest]), 1e-15);
    assert_int_equal(mse->wins[column_of(mse, "gbrt_nocov")] + mse->ties[column_of(mse, "gbrt_nocov")] +
                         mse->losses[column_of(mse, "gbrt_nocov")],
                     7);

    expect_rendered(&set, BENCH_TABLE_MD,
                    (const char *[]){"| Dataset | H | naive | seasonal\\_naive | ridge | gbrt\\_cov | gbrt\\_nocov |",
                                     "error\xE2\x80\xA0", "\xE2\x80\xA1 some seeds failed", "*Avg. rank*",
                                     "| | *Avg* | ", "Avg: the mean over a dataset's horizons (not part of the ranks)",
                                     "Iman\xE2\x80\x93" "Davenport F(4, 24)", "Friedman \xCF\x87\xC2\xB2(4)",
                                     "| *Wilcoxon p vs ridge* | | 0.00781 |", NULL},
                    NULL);
    expect_rendered(&set, BENCH_TABLE_TEX,
                    (const char *[]){"\\toprule", "\\bottomrule",
                                     /* ETTh1's four horizons and their average row (issue 19: per-dataset averages). */
                                     "\\multirow{5}{*}{ETTh1}", " & \\textit{Avg} & ",
                                     "\\caption{MSE (lower is better), task forecast, protocol ltsf: mean $\\pm$ std over 3 "
                                     "seeds (1, 2, 3).",
                                     "\\label{tab:forecast-mse}", "error$^\\dagger$", "\\textbf{", "\\underline{",
                                     "Friedman $\\chi^2$(4)", "Nemenyi CD ($\\alpha$ = 0.05)", NULL},
                    (const char *[]){"exchange_rate", /* underscores escaped */
                                     NULL});
    expect_rendered(&set, BENCH_TABLE_HTML,
                    (const char *[]){"<table class=\"results\">", "<th scope=\"rowgroup\" rowspan=\"5\">ETTh1</th>",
                                     "<tr class=\"avg\"><td><i>Avg</i></td>", "<td class=\"hole\">error<sup>", NULL},
                    NULL);
    char *csv = render(&set, BENCH_TABLE_CSV);
    assert_true(strncmp(csv, "task,metric,dataset,protocol,horizon,variant,n_ok,n_error,mean,sd,ci95,place,avg_rank\n", 86) == 0);
    assert_non_null(strstr(csv, "forecast,mse,national_illness,ltsf,36,gbrt_nocov,0,3,,,,0,"));
    free(csv);
    free_tables(&set, &results);
}

static void latex_compiles_with_pdflatex(void **state)
{
    (void)state;
    if (system("command -v pdflatex >/dev/null 2>&1") != 0 ||
        system("kpsewhich multirow.sty >/dev/null 2>&1 && kpsewhich booktabs.sty >/dev/null 2>&1 && "
               "kpsewhich adjustbox.sty >/dev/null 2>&1") != 0) {
        printf("SKIPPED: pdflatex with booktabs, multirow and adjustbox not installed "
               "(apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra)\n");
        skip();
    }
    const char *dirs[] = {"forecast", "hcsc", "detect"};
    char directory[] = "/tmp/bench-table-tex-XXXXXX";
    assert_non_null(mkdtemp(directory));
    char path[512];
    snprintf(path, sizeof path, "%s/tables.tex", directory);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    /* A two-column paper with the default margins, where a wide table must
     * not run into the margin (pdflatex reports that as an overfull hbox). */
    fputs("\\documentclass[twocolumn]{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{booktabs}\n"
          "\\usepackage{multirow}\n\\usepackage{adjustbox}\n\\begin{document}\n",
          file);
    for (size_t d = 0; d < 3; d++) {
        bench_results results;
        load_fixture(&results, dirs[d]);
        bench_error error = {0};
        bench_table_options options = {.digits = -1, .versus = d == 0 ? "ridge" : NULL};
        bench_table_set set;
        assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_OK);
        assert_int_equal(bench_tables_write(file, &set, BENCH_TABLE_TEX, &error), BENCH_OK);
        bench_tables_free(&set);
        options.columns = BENCH_TABLE_COLUMNS_DATASETS; /* and turned around (--columns datasets) */
        assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_OK);
        assert_int_equal(bench_tables_write(file, &set, BENCH_TABLE_TEX, &error), BENCH_OK);
        if (d == 0) { /* the Diebold-Mariano table from the stored predictions too */
            bench_dm_report dm;
            assert_int_equal(bench_dm_compare(&dm, "tests/data/reports/forecast", &results, "ridge", 1, &error),
                             BENCH_OK);
            assert_int_equal(bench_dm_write(file, &dm, BENCH_TABLE_TEX, &error), BENCH_OK);
            bench_dm_report_free(&dm);
        }
        bench_tables_free(&set);
        bench_results_free(&results);
    }
    /* Eleven models over three datasets: a table far wider than a column. */
    {
        char wide_path[] = "/tmp/bench-table-wide-XXXXXX";
        FILE *wide = new_results(wide_path);
        for (int d = 0; d < 3; d++)
            for (int v = 0; v < 11; v++)
                for (int seed = 1; seed <= 3; seed++)
                    fprintf(wide, "w%d%d%d,forecast,dataset_number_%d,ltsf,m,long_variant_name_%d,96,%d,mse,%.5f,ok\n", d,
                            v, seed, d, v, seed, 0.4 + 0.01 * v + 0.1 * d + 0.0001 * seed);
        bench_results results;
        bench_table_set set;
        load_temporary(&results, &set, wide, wide_path);
        bench_error error = {0};
        assert_int_equal(bench_tables_write(file, &set, BENCH_TABLE_TEX, &error), BENCH_OK);
        bench_tables_free(&set);
        bench_results_free(&results);
    }
    fputs("\\end{document}\n", file);
    fclose(file);
    char command[1024];
    snprintf(command, sizeof command,
             "cd %s && pdflatex -interaction=nonstopmode -halt-on-error tables.tex >pdflatex.log 2>&1", directory);
    int status = system(command);
    if (status != 0) {
        snprintf(command, sizeof command, "grep -A3 '^!' %s/pdflatex.log", directory);
        (void)system(command);
    }
    assert_int_equal(status, 0);
    snprintf(path, sizeof path, "%s/tables.pdf", directory);
    assert_int_equal(access(path, R_OK), 0);
    /* Every table within the column or page width. */
    snprintf(command, sizeof command, "grep -A2 'Overfull .hbox' %s/pdflatex.log", directory);
    if (system(command) == 0)
        fail_msg("a table is wider than its column or page (Overfull \\hbox in %s/pdflatex.log)", directory);
    printf("pdflatex compiled the fixture tables in a two-column article, none overfull (%s)\n", path);
    snprintf(command, sizeof command, "rm -rf %s", directory);
    (void)system(command);
}

/* Writes text to a temporary results.csv and loads it. */
static int load_text(const char *text, bench_results *results, bench_error *error)
{
    char path[] = "/tmp/bench-results-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int status = bench_results_load(results, path, error);
    unlink(path);
    return status;
}

#define HEADER "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n"

static void malformed_results_are_rejected_with_their_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"", "empty file"},
        {"cell_id,task,dataset\n", "columns"},
        {"cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,score,status\n", "'score'"},
        {HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,1,mse,0.5\n", ":2: 10 fields"},
        {HEADER "a,classify,ETTh1,ltsf,naive,naive,96,1,mse,0.5,ok\n", ":2: task 'classify'"},
        {HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,1,mse,0.5,ok\na,forecast,ETTh1,ltsf,naive,naive,abc,1,mse,0.5,ok\n",
         ":3: horizon 'abc'"},
        {HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,x,mse,0.5,ok\n", "seed 'x'"},
        {HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,1,mse,nan,ok\n", "value 'nan'"},
        {HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,1,mse,,ok\n", "value ''"},
        {HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,1,mse,0.5,error\n", "must be empty"},
        {HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,1,mse,0.5,failed\n", "status 'failed'"},
        {HEADER "a,forecast,,ltsf,naive,naive,96,1,mse,0.5,ok\n", "'dataset' is empty"},
        {HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,1,mse,\"0.5,ok\n", ":2:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bench_results results;
        bench_error error = {0};
        int status = load_text(cases[i].text, &results, &error);
        if (status != BENCH_BAD_INPUT || strstr(error.message, cases[i].expect) == NULL)
            fail_msg("case %zu: status %d, message '%s', expected '%s'", i, status, error.message, cases[i].expect);
        bench_results_free(&results);
    }
    bench_results results;
    bench_error error = {0};
    assert_int_equal(bench_results_load(&results, "tests/data/reports/nowhere/results.csv", &error), BENCH_NOT_FOUND);
    bench_results_free(&results);
}

static void all_failed_results_still_render(void **state)
{
    (void)state;
    bench_results results;
    bench_error error = {0};
    assert_int_equal(load_text(HEADER "a,forecast,ETTh1,ltsf,naive,naive,96,1,mse,,error\n"
                                      "b,forecast,ETTh1,ltsf,ridge,ridge,96,1,mse,,error\n",
                               &results, &error),
                     BENCH_OK);
    bench_table_set set;
    assert_int_equal(bench_tables_build(&set, &results, NULL, &error), BENCH_OK);
    assert_int_equal(set.count, 1);
    assert_null(set.tables[0].avg_ranks);
    for (int format = BENCH_TABLE_MD; format <= BENCH_TABLE_HTML; format++) {
        char *text = render(&set, (bench_table_format)format);
        assert_non_null(strstr(text, "error"));
        free(text);
    }
    free_tables(&set, &results);
}

static void unknown_selections_list_what_exists(void **state)
{
    (void)state;
    bench_results results;
    bench_error error = {0};
    assert_int_equal(bench_results_load(&results, FORECAST, &error), BENCH_OK);
    const char *metric = "accuracy";
    bench_table_options options = {.digits = -1, .metrics = &metric, .metric_count = 1};
    bench_table_set set;
    assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "no metric 'accuracy'"));
    assert_non_null(strstr(error.message, "mse, mae, smape, mase, owa"));
    const char *model = "gbrt";
    options = (bench_table_options){.digits = -1, .models = &model, .model_count = 1, .task = "forecast"};
    assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_OK);
    assert_int_equal(set.tables[0].column_count, 2); /* a model selects all its variants */
    bench_tables_free(&set);
    options = (bench_table_options){.digits = -1, .task = "detect"};
    assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_NOT_FOUND);
    options = (bench_table_options){.digits = -1, .versus = "prophet"};
    assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "gbrt_nocov"));
    bench_results_free(&results);
}

static void hcsc_and_detect_rows_are_dataset_by_protocol(void **state)
{
    (void)state;
    bench_results results;
    bench_error error = {0};
    assert_int_equal(bench_results_load(&results, "tests/data/reports/hcsc/results.csv", &error), BENCH_OK);
    bench_table_set set;
    assert_int_equal(bench_tables_build(&set, &results, NULL, &error), BENCH_OK);
    const bench_table *acc = find_table(&set, "acc");
    assert_int_equal(acc->direction, 1);
    assert_true(acc->show_protocol);
    assert_false(acc->show_horizon);
    assert_int_equal(acc->row_count, 2);
    free_tables(&set, &results);
    assert_int_equal(bench_results_load(&results, "tests/data/reports/detect/results.csv", &error), BENCH_OK);
    assert_int_equal(bench_tables_build(&set, &results, NULL, &error), BENCH_OK);
    const bench_table *car = find_table(&set, "ap_car");
    assert_int_equal(car->row_count, 2);
    assert_int_equal(car->direction, 1);
    const bench_table *person = find_table(&set, "ap_person");
    assert_int_equal(person->row_count, 1); /* KITTI->Cityscapes evaluates car only */
    free_tables(&set, &results);
}

/* The caller's caption note (make bench's slices say their budget with it)
 * follows every caption, escaped for each format; csv, the long format, has
 * no caption and none of it. */
static void caption_notes_are_escaped_per_format(void **state)
{
    (void)state;
    bench_results results;
    bench_error error = {0};
    assert_int_equal(bench_results_load(&results, "tests/data/reports/hcsc/results.csv", &error), BENCH_OK);
    bench_table_options options = {.digits = -1, .note = "Slice: 3 epochs & 10% of <train>, *not* the study."};
    bench_table_set set;
    assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_OK);
    const char *const md[] = {"Slice: 3 epochs &amp; 10% of &lt;train&gt;, \\*not\\* the study.", NULL};
    const char *const tex[] = {"Slice: 3 epochs \\& 10\\% of", NULL};
    const char *const html[] = {"Slice: 3 epochs &amp; 10% of &lt;train&gt;, *not* the study.</caption>", NULL};
    const char *const nowhere[] = {"Slice:", NULL};
    expect_rendered(&set, BENCH_TABLE_MD, md, NULL);
    expect_rendered(&set, BENCH_TABLE_TEX, tex, NULL);
    expect_rendered(&set, BENCH_TABLE_HTML, html, NULL);
    expect_rendered(&set, BENCH_TABLE_CSV, NULL, nowhere);
    free_tables(&set, &results);
    /* Without a note the captions are what they were. */
    assert_int_equal(bench_results_load(&results, "tests/data/reports/hcsc/results.csv", &error), BENCH_OK);
    assert_int_equal(bench_tables_build(&set, &results, NULL, &error), BENCH_OK);
    expect_rendered(&set, BENCH_TABLE_MD, NULL, nowhere);
    free_tables(&set, &results);
}

/* One-seed ablations next to three-seed methods: marked § and said in the notes,
 * not mistaken for failures. */
static void fewer_seeds_by_design_are_marked(void **state)
{
    (void)state;
    char path[] = "/tmp/bench-table-seeds-XXXXXX";
    FILE *f = new_results(path);
    const char *variants[3] = {"raw", "hcsc", "hcsc_no_is"};
    for (int v = 0; v < 3; v++)
        for (int seed = 1; seed <= (v == 2 ? 1 : 3); seed++)
            fprintf(f, "c%d%d,hcsc,fashion_mnist,knn200,%s,%s,,%d,accuracy,%.4f,ok\n", v, seed, variants[v],
                    variants[v], seed, 0.78 + 0.01 * v + 0.001 * seed);
    bench_results results;
    bench_table_set set;
    load_temporary(&results, &set, f, path);
    const bench_table *t = find_table(&set, "accuracy");
    assert_int_equal(t->seed_count, 3);
    assert_int_equal(t->fewer_seed_cells, 1);
    assert_int_equal(t->fewer_seed_minimum, 1);
    assert_int_equal(t->partial_cells + t->error_cells + t->missing_cells, 0);
    expect_rendered(&set, BENCH_TABLE_MD,
                    (const char *[]){"0.801**\xC2\xA7 |", /* the one-seed cell (best), no ± */
                                     "fewer seeds than the other cells (down to 1); no \xC2\xB1 with one seed", NULL},
                    (const char *[]){"0.782 \xC2\xB1 0.001\xC2\xA7", /* three-seed cells unmarked */
                                     NULL});
    expect_rendered(&set, BENCH_TABLE_TEX, (const char *[]){"$^\\S$ fewer seeds", NULL}, NULL);
    free_tables(&set, &results);
}

/* Issue 19: a deterministic model's cell (every seed the same value) shows the
 * value alone, not "± 0.0000", and the caption says why once. */
static void deterministic_cells_have_no_plus_minus(void **state)
{
    (void)state;
    char path[] = "/tmp/bench-table-det-XXXXXX";
    FILE *f = new_results(path);
    for (int seed = 1; seed <= 3; seed++) {
        /* 0.09477090919 three times: its mean differs from it in the last bit. */
        fprintf(f, "n%d,forecast,co2,ltsf,naive,naive,52,%d,mse,0.09477090919,ok\n", seed, seed);
        fprintf(f, "g%d,forecast,co2,ltsf,gbrt,gbrt,52,%d,mse,%.4f,ok\n", seed, seed, 0.05 + 0.01 * seed);
    }
    bench_results results;
    bench_table_set set;
    load_temporary(&results, &set, f, path);
    const bench_table *t = find_table(&set, "mse");
    assert_int_equal(t->deterministic_cells, 1);
    /* First places counted per variant, as leaderboards show them. */
    expect_rendered(&set, BENCH_TABLE_MD,
                    (const char *[]){"| 0.095 |", "**0.070** \xC2\xB1 0.010",
                                     "Values without \xC2\xB1: every seed gave the same value",
                                     "| *1st count* | | 0 | 1 |", NULL},
                    NULL);
    expect_rendered(&set, BENCH_TABLE_TEX,
                    (const char *[]){"Values without $\\pm$", "{1st count} & 0 & 1 \\\\", NULL},
                    NULL);
    free_tables(&set, &results);
}

/* results.csv with two variants (a always better) on the first `datasets` of
 * three datasets, three seeds each; returns the loaded results (caller frees). */
static void two_model_results(bench_results *results, int datasets)
{
    char path[] = "/tmp/bench-table-two-XXXXXX";
    FILE *f = new_results(path);
    static const char *names[3] = {"ETTh1", "exchange_rate", "weather"};
    for (int d = 0; d < datasets; d++)
        for (int v = 0; v < 2; v++)
            for (int seed = 1; seed <= 3; seed++)
                fprintf(f, "c%d%d%d,forecast,%s,ltsf,m,%s,96,%d,mse,%.4f,ok\n", d, v, seed, names[d],
                        v ? "b" : "a", seed, 0.4 + 0.1 * d + 0.05 * v + 0.001 * seed);
    fclose(f);
    bench_error error = {0};
    assert_int_equal(bench_results_load(results, path, &error), BENCH_OK);
    unlink(path);
}

/* Issue 19: with two variants the loser was underlined as "second best" and
 * the footer said "Iman–Davenport F(1, 1) = inf, p = 0" next to Friedman
 * p = 0.157 (two datasets).  Now: no underline (the second of two is the
 * worst), Friedman / Iman–Davenport / Nemenyi only with >= 3 complete rows,
 * and an undefined F_F (every row ranks alike) is "n/a". */
static void two_models_no_second_place_and_no_inf(void **state)
{
    (void)state;
    for (int datasets = 2; datasets <= 3; datasets++) {
        bench_results results;
        two_model_results(&results, datasets);
        bench_table_set set;
        bench_error error = {0};
        assert_int_equal(bench_tables_build(&set, &results, NULL, &error), BENCH_OK);
        const bench_table *t = find_table(&set, "mse");
        for (size_t i = 0; i < t->row_count * t->column_count; i++)
            assert_true(t->cells[i].place != 2);
        assert_int_equal(t->has_friedman, datasets >= 3);
        char *md = render(&set, BENCH_TABLE_MD);
        char *tex = render(&set, BENCH_TABLE_TEX);
        char *html = render(&set, BENCH_TABLE_HTML);
        assert_null(strstr(md, "<u>"));
        assert_null(strstr(tex, "\\underline{"));
        assert_null(strstr(html, "<u>0"));
        assert_null(strstr(md, "second best"));  /* the caption promises no underline */
        assert_null(strstr(tex, "second best"));
        assert_non_null(strstr(md, "**0.402"));  /* the winner is still bold */
        assert_non_null(strstr(tex, "\\textbf{0.402"));
        for (int format = 0; format < 2; format++) {
            const char *text = format ? tex : md;
            assert_null(strstr(text, "inf"));
            assert_null(strstr(text, "p = 0;")); /* "p = 0" as a whole number, mid or end of sentence */
            assert_null(strstr(text, "p = 0.\n"));
            assert_null(strstr(text, "p = 0. "));
            assert_non_null(strstr(text, "n/a"));
        }
        if (datasets == 2) {
            assert_non_null(strstr(md, "Friedman, Iman\xE2\x80\x93" "Davenport and Nemenyi: n/a with 2 datasets (they need at least 3)"));
        } else {
            /* Three rows that all rank a over b: χ² = 3, p = 0.0833; F_F divides by zero. */
            test_expect_text("md", md,
                             (const char *[]){"Friedman \xCF\x87\xC2\xB2(1) = 3.000, p = 0.0833",
                                              "Iman\xE2\x80\x93" "Davenport F(1, 2) = n/a (every dataset ranks the variants alike)",
                                              NULL},
                             NULL);
            assert_non_null(strstr(tex, "Iman--Davenport F(1, 2) = n/a"));
            assert_non_null(strstr(md, "Nemenyi CD (\xCE\xB1 = 0.05) = 1.132")); /* 1.960·sqrt(2·3/(6·3)) */
        }
        free(md);
        free(tex);
        free(html);
        bench_tables_free(&set);
        bench_results_free(&results);
    }
}

/* Eleven variants: the Nemenyi CD is computed (q_0.05(11) = 3.2187), not
 * replaced by "tabulated for 2–10 variants". */
static void eleven_models_have_a_nemenyi_cd(void **state)
{
    (void)state;
    char path[] = "/tmp/bench-table-eleven-XXXXXX";
    int descriptor = mkstemp(path);
    assert_true(descriptor >= 0);
    close(descriptor);
    test_write_eleven_variants(path);
    bench_results results;
    bench_table_set set;
    load_and_build(&results, &set, path, NULL);
    unlink(path);
    const bench_table *t = find_table(&set, "accuracy");
    assert_int_equal(t->column_count, 11);
    assert_true(t->has_friedman);
    assert_false(isnan(t->cd05)); /* cmocka's assert_float_equal lets NAN through */
    assert_float_equal(t->cd05, 3.218653901 * sqrt(11.0 * 12.0 / 72.0), 1e-5);
    expect_rendered(&set, BENCH_TABLE_MD,
                    (const char *[]){"Nemenyi CD (\xCE\xB1 = 0.05) = 4.358", NULL},
                    (const char *[]){"tabulated", NULL});
    free_tables(&set, &results);
}

static void metric_directions(void **state)
{
    (void)state;
    const char *lower[] = {"mse", "mae", "rmse", "wape", "nrmse", "mape", "smape", "mase", "rse", "owa", "crps", "mse_raw"};
    const char *higher[] = {"corr_series", "corr_horizon", "accuracy", "nmi", "ami", "ari", "acc", "map", "ap", "ap_car", "knn_acc"};
    for (size_t i = 0; i < sizeof lower / sizeof lower[0]; i++)
        assert_int_equal(bench_metric_direction(lower[i]), -1);
    for (size_t i = 0; i < sizeof higher / sizeof higher[0]; i++)
        assert_int_equal(bench_metric_direction(higher[i]), 1);
    assert_int_equal(bench_metric_direction("msex"), 0);
    assert_int_equal(bench_metric_direction("wall_seconds"), 0);
    char buffer[64];
    assert_string_equal(bench_metric_label("ap_car", buffer, sizeof buffer), "AP (car)");
    assert_string_equal(bench_metric_label("smape", buffer, sizeof buffer), "sMAPE");
}


static void ci_cells_use_the_t_interval(void **state)
{
    (void)state;
    bench_results results;
    bench_error error = {0};
    assert_int_equal(bench_results_load(&results, FORECAST, &error), BENCH_OK);
    const char *metric = "mse", *dataset = "ETTh1";
    bench_table_options options = {.digits = 4, .ci = 1, .metrics = &metric, .metric_count = 1,
                                   .datasets = &dataset, .dataset_count = 1};
    bench_table_set set;
    assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_OK);
    const bench_table *t = &set.tables[0];
    const bench_table_cell *cell = &t->cells[column_of(t, "ridge")];
    /* t(0.975, 2) = 4.302653: the half-width is 4.302653 · sd / sqrt(3). */
    assert_float_equal(cell->ci95, 4.302652729749464 * cell->sd / sqrt(3.0), 1e-12);
    char *md = render(&set, BENCH_TABLE_MD);
    assert_non_null(strstr(md, "mean \xC2\xB1 95 % CI half-width (Student t) over 3 seeds"));
    char expected[64];
    snprintf(expected, sizeof expected, "%.4f \xC2\xB1 %.4f", cell->mean, cell->ci95);
    assert_non_null(strstr(md, expected));
    free(md);
    expect_rendered(&set, BENCH_TABLE_TEX, (const char *[]){"95 \\% CI", NULL}, NULL);
    free_tables(&set, &results);
}

/* Cells per line of a Markdown table ('|' count - 1) or a LaTeX tabular row
 * (& count + 1; \multicolumn{n} counts n); 0 for other lines. */
static size_t md_cells(const char *line, size_t length)
{
    if (length == 0 || line[0] != '|')
        return 0;
    size_t bars = 0;
    for (size_t i = 0; i < length; i++)
        bars += line[i] == '|' && (i == 0 || line[i - 1] != '\\');
    return bars - 1;
}

static size_t tex_cells(const char *line, size_t length)
{
    if (length < 3 || strncmp(line + length - 2, "\\\\", 2) != 0)
        return 0;
    size_t cells = 1;
    for (size_t i = 0; i < length; i++) {
        if (line[i] == '&' && (i == 0 || line[i - 1] != '\\'))
            cells++;
        if (strncmp(line + i, "\\multicolumn{", 13) == 0)
            cells += strtoul(line + i + 13, NULL, 10) - 1;
    }
    return cells;
}

/* Every row of every table has as many cells as its header (a misaligned
 * grid would shift a value under the wrong method). */
static void assert_rectangular(const char *text, bench_table_format format)
{
    size_t expected = 0;
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        size_t cells = format == BENCH_TABLE_MD ? md_cells(line, length) : tex_cells(line, length);
        if (format == BENCH_TABLE_TEX && strncmp(line, "\\toprule", 8) == 0)
            expected = 0;
        if (cells > 0) {
            if (expected == 0)
                expected = cells;
            else if (cells != expected)
                fail_msg("%zu cells instead of %zu: %.*s", cells, expected, (int)length, line);
        } else if (format == BENCH_TABLE_MD && length == 0) {
            expected = 0; /* the next table */
        }
        line = end ? end + 1 : line + length;
    }
}

/* --columns datasets: one row per variant, a column per dataset × horizon
 * under its dataset (plus its Avg), the statistics as the last columns; the
 * same numbers and the same bold/underline as the default layout. */
static void datasets_across_turns_the_table_around(void **state)
{
    (void)state;
    const char *dirs[] = {"forecast", "hcsc", "detect"};
    for (size_t d = 0; d < 3; d++) {
        bench_results results;
        load_fixture(&results, dirs[d]);
        bench_error error = {0};
        for (int columns = 0; columns < 2; columns++) {
            bench_table_options options = {.digits = -1, .versus = d == 0 ? "ridge" : NULL,
                                           .columns = columns ? BENCH_TABLE_COLUMNS_DATASETS
                                                              : BENCH_TABLE_COLUMNS_VARIANTS,
                                           .rank_by_row = 1};
            bench_table_set set;
            assert_int_equal(bench_tables_build(&set, &results, &options, &error), BENCH_OK);
            char *md = render(&set, BENCH_TABLE_MD), *tex = render(&set, BENCH_TABLE_TEX);
            assert_rectangular(md, BENCH_TABLE_MD);
            assert_rectangular(tex, BENCH_TABLE_TEX);
            if (d == 0 && columns) {
                assert_non_null(strstr(md, "| Model | ETTh1 H=96 | ETTh1 H=192 | ETTh1 H=336 | ETTh1 H=720 | "
                                           "ETTh1 *Avg* | exchange\\_rate H=96 |"));
                assert_non_null(strstr(md, "| *Avg. rank* | *1st count* | *W/T/L vs ridge* | "
                                           "*Wilcoxon p vs ridge* | *Holm-adjusted p* |\n"));
                /* gbrt_cov's row: its cells of the default layout's column, in row order. */
                assert_non_null(strstr(md, "\n| gbrt\\_cov | <u>0.380</u> \xC2\xB1 0.004 | **0.398** \xC2\xB1 0.001 | "
                                           "**0.417** \xC2\xB1 0.010 | <u>0.458</u> \xC2\xB1 0.015 | **0.413** |"));
                assert_non_null(strstr(md, "| error\xE2\x80\xA0 | \xE2\x80\x94 | 1.57 | 3 | 7/0/0 |"));
                test_expect_text("tex", tex,
                                 (const char *[]){"\\label{tab:forecast-mse-by-dataset}",
                                                  " & \\multicolumn{5}{c}{ETTh1} & \\multicolumn{3}{c}{exchange\\_rate}",
                                                  "\\cmidrule(lr){2-6}\\cmidrule(lr){7-9}",
                                                  "Model & $H{=}96$ & $H{=}192$", NULL},
                                 NULL);
                expect_rendered(&set, BENCH_TABLE_HTML,
                                (const char *[]){"<th scope=\"colgroup\" colspan=\"5\">ETTh1</th>",
                                                 "<tr><th scope=\"row\">gbrt_nocov</th>",
                                                 "<th scope=\"col\">Avg. rank</th>", NULL},
                                (const char *[]){"rowspan", NULL});
            }
            if (d == 0 && !columns) /* the default keeps its labels */
                assert_non_null(strstr(tex, "\\label{tab:forecast-mse}"));
            free(md);
            free(tex);
            bench_tables_free(&set);
        }
        bench_results_free(&results);
    }
    bench_table_columns columns;
    assert_int_equal(bench_table_columns_parse("datasets", &columns), 0);
    assert_int_equal(columns, BENCH_TABLE_COLUMNS_DATASETS);
    assert_int_equal(bench_table_columns_parse("variants", &columns), 0);
    assert_int_equal(columns, BENCH_TABLE_COLUMNS_VARIANTS);
    assert_int_not_equal(bench_table_columns_parse("rows", &columns), 0);
}

TEST_MAIN("reports_table", NULL, NULL,
          cmocka_unit_test(forecast_tables_keep_failed_cells),
          cmocka_unit_test(latex_compiles_with_pdflatex),
          cmocka_unit_test(malformed_results_are_rejected_with_their_line),
          cmocka_unit_test(all_failed_results_still_render),
          cmocka_unit_test(unknown_selections_list_what_exists),
          cmocka_unit_test(hcsc_and_detect_rows_are_dataset_by_protocol),
        cmocka_unit_test(caption_notes_are_escaped_per_format),
          cmocka_unit_test(fewer_seeds_by_design_are_marked),
          cmocka_unit_test(deterministic_cells_have_no_plus_minus),
          cmocka_unit_test(two_models_no_second_place_and_no_inf),
          cmocka_unit_test(eleven_models_have_a_nemenyi_cd),
          cmocka_unit_test(metric_directions),
          cmocka_unit_test(ci_cells_use_the_t_interval),
          cmocka_unit_test(datasets_across_turns_the_table_around))
