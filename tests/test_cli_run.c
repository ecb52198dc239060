/* End-to-end tests of `bench run`: published M4 values, determinism across runs
 * and --jobs, protocol window counts, and a table of malformed inputs that must
 * each exit 2, name the file and line, and leave no results.csv behind. */
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
#include <zlib.h>

#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"

static char tiny_csv[4096];

static int setup(void **state)
{
    (void)state;
    snprintf(tiny_csv, sizeof tiny_csv, "%s/tests/data/harness/hourly.csv", test_source_dir());
    return test_bench_built();
}

/* Value of (variant, metric) in a results.csv text; NAN when absent. */
static double result_value(const char *results, const char *variant, const char *metric)
{
    char pattern[256];
    snprintf(pattern, sizeof pattern, ",%s,", variant);
    for (const char *line = results; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char row[1024];
        size_t length = strcspn(line, "\n");
        snprintf(row, sizeof row, "%.*s", (int)length, line);
        char *fields[11];
        size_t count = 0;
        for (char *save = NULL, *field = strtok_r(row, ",", &save); field && count < 11;
             field = strtok_r(NULL, ",", &save))
            fields[count++] = field;
        if (count == 11 && !strcmp(fields[5], variant) && !strcmp(fields[8], metric))
            return strtod(fields[9], NULL);
    }
    return NAN;
}

/* DIR/results.csv, which must exist; the caller frees it. */
static char *results_of(const char *dir)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    return test_slurp(path);
}

static void m4_hourly_matches_published_benchmarks(void **state)
{
    (void)state;
    test_need_data("M4-Hourly-train.csv", "published values");
    const char *out = test_temp_dir();
    test_process_result result;
    const char *arguments[] = {"run", "configs/m4-hourly.ini", "--out", out, "--quiet", NULL};
    assert_int_equal(test_bench_run_in(&result, test_source_dir(), arguments, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    char *results = results_of(out);
    /* M4 competition, Hourly, published benchmark table (to 3 decimals). */
    assert_float_equal(result_value(results, "naive", "smape"), 43.003, 0.0005);
    assert_float_equal(result_value(results, "naive", "mase"), 11.608, 0.0005);
    assert_float_equal(result_value(results, "seasonal_naive", "smape"), 13.912, 0.0005);
    assert_float_equal(result_value(results, "seasonal_naive", "mase"), 1.193, 0.0005);
    assert_float_equal(result_value(results, "naive2", "smape"), 18.383, 0.0005);
    assert_float_equal(result_value(results, "naive2", "mase"), 2.395, 0.0005);
    assert_float_equal(result_value(results, "naive2", "owa"), 1.000, 1e-12);
    free(results);
    test_process_free(&result);
}

static void write_tiny_config(const char *path, const char *extra_model)
{
    test_write_textf(path,
                     "[run]\nseeds = 1,2\n\n[dataset tiny]\npath = %s\nstep_seconds = 3600\nseasonal_period = 24\n"
                     "protocol = ltsf\nlookback = 48\nhorizons = 12,24\n\n[model naive]\n[model seasonal_naive]\n"
                     "[model mean]\nwindow = 24\n%s",
                     tiny_csv, extra_model);
}

static void reruns_and_jobs_are_byte_identical(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char config[4200], one[4200], two[4200], parallel[4200], path[4300];
    snprintf(config, sizeof config, "%s/tiny.ini", work);
    write_tiny_config(config, "");
    snprintf(one, sizeof one, "%s/one", work);
    snprintf(two, sizeof two, "%s/two", work);
    snprintf(parallel, sizeof parallel, "%s/parallel", work);
    const char *runs[][8] = {
        {"run", config, "--out", one, "--quiet", NULL},
        {"run", config, "--out", two, "--quiet", NULL},
        {"run", config, "--out", parallel, "--quiet", "--jobs", "2", NULL},
    };
    char *texts[3];
    size_t lengths[3];
    for (int i = 0; i < 3; i++) {
        test_process_result result;
        assert_int_equal(test_bench_run_in(&result, test_source_dir(), runs[i], NULL), 0);
        test_assert_exit(&result, 0);
        test_process_free(&result);
        snprintf(path, sizeof path, "%s/results.csv", runs[i][3]);
        texts[i] = test_read_file(path, &lengths[i]);
        assert_non_null(texts[i]);
    }
    /* 1 dataset × 2 horizons × 3 models × 2 seeds × 2 metrics + header. */
    size_t lines = 0;
    for (const char *c = texts[0]; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 1 + 2 * 3 * 2 * 2);
    assert_string_equal(strtok(strdup(texts[0]), "\n"),
                        "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status");
    for (int i = 1; i < 3; i++) {
        assert_int_equal(lengths[i], lengths[0]);
        assert_memory_equal(texts[i], texts[0], lengths[0]);
    }
    /* A real model must beat repeating the last value on a daily-seasonal series. */
    assert_true(result_value(texts[0], "seasonal_naive", "mse") < 0.5 * result_value(texts[0], "naive", "mse"));
    for (int i = 0; i < 3; i++)
        free(texts[i]);
}

static void resume_keeps_finished_cells(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char config[4200], out[4200], path[4300];
    snprintf(config, sizeof config, "%s/tiny.ini", work);
    write_tiny_config(config, "");
    snprintf(out, sizeof out, "%s/run", work);
    const char *first[] = {"run", config, "--out", out, "--quiet", NULL};
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, test_source_dir(), first, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    snprintf(path, sizeof path, "%s/results.csv", out);
    size_t before_length, after_length;
    char *before = test_read_file(path, &before_length);
    const char *again[] = {"run", config, "--out", out, "--resume", NULL};
    assert_int_equal(test_bench_run_in(&result, test_source_dir(), again, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    assert_non_null(strstr(result.err, "0 cells run, 12 resumed"));
    test_process_free(&result);
    char *after = test_read_file(path, &after_length);
    assert_int_equal(before_length, after_length);
    assert_memory_equal(before, after, before_length);
    free(before), free(after);
}

/* Writes text to WORK/NAME in a fresh WORK and runs it with --predictions into
 * WORK/run (its path left in out); fails the test unless bench exits 0. */
static void run_with_predictions(char *out, size_t size, const char *name, const char *text)
{
    const char *work = test_temp_dir();
    char config[4200];
    snprintf(config, sizeof config, "%s/%s", work, name);
    assert_int_equal(test_write_file(config, text), 0);
    snprintf(out, size, "%s/run", work);
    const char *arguments[] = {"run", config, "--out", out, "--quiet", "--predictions", NULL};
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, test_source_dir(), arguments, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
}

static void paper_protocol_window_counts(void **state)
{
    (void)state;
    test_need_data("exchange_rate.txt.gz", "paper split");
    char out[4200], path[4300];
    run_with_predictions(out, sizeof out, "exchange.ini", "[dataset exchange_rate]\nprotocol = paper\n[model naive]\n");
    /* t' = 6,048, tau = 1,488 → 62 non-overlapping windows × 8 series × 24 steps. */
    char command[4400];
    snprintf(command, sizeof command, "cat %s/predictions/*.csv | wc -l", out);
    FILE *pipe = popen(command, "r");
    long lines = 0;
    assert_int_equal(fscanf(pipe, "%ld", &lines), 1);
    pclose(pipe);
    /* Plus the look-back before each series' first window: 4 horizons, 96 rows × 8 series. */
    assert_int_equal(lines, 1 + 62 * 8 * 24 + 8 * 96);
    snprintf(command, sizeof command, "grep -c '^0,[^,]*,6048,1,' %s/predictions/*.csv", out);
    pipe = popen(command, "r");
    assert_int_equal(fscanf(pipe, "%ld", &lines), 1);
    pclose(pipe);
    assert_int_equal(lines, 1); /* the first window's origin is row 6,048 */
    (void)path;
}

/* Issue 19: predictions files describe themselves: dataset, origin and target
 * times (ISO 8601 UTC), truth and forecast both on the scored scale and in the
 * series' own units, and the look-back before each series' first window. */
static void predictions_are_self_describing(void **state)
{
    (void)state;
    char out[4200], command[9000], text[8192];
    snprintf(text, sizeof text,
             "[run]\nseeds = 1\n\n[dataset tiny]\npath = %s\nstep_seconds = 3600\nseasonal_period = 24\n"
             "protocol = ltsf\nlookback = 48\nhorizons = 12\n\n[model naive]\n",
             tiny_csv);
    run_with_predictions(out, sizeof out, "tiny.ini", text);
    snprintf(command, sizeof command, "cat %s/predictions/*.csv", out);
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    char line[1024];
    assert_non_null(fgets(line, sizeof line, pipe));
    assert_string_equal(line, "window,series,origin,step,truth,prediction,dataset,origin_time,target_time,"
                              "truth_original,prediction_original,q10,q50,q90,q10_original,q50_original,q90_original\n");
    /* The first row: the look-back of series load, 48 steps (4 horizons) before
     * origin 480, in the data's own units and times. */
    assert_non_null(fgets(line, sizeof line, pipe));
    assert_non_null(strstr(line, "0,load,480,-47,"));
    assert_non_null(strstr(line, ",,tiny,2021-01-20T23:00:00Z,2021-01-19T00:00:00Z,"));
    size_t rows = 1, lookback = 0, scored = 0, naive_flat = 1;
    double last_original = NAN, first_prediction = NAN;
    do {
        char *fields[18];
        size_t count = 0;
        for (char *cursor = line, *field; count < 18 && (field = strsep(&cursor, ",\n")) != NULL;)
            fields[count++] = field;
        assert_int_equal(count, 18); /* 17 columns and the empty string after the newline */
        for (size_t q = 11; q < 17; q++)
            assert_string_equal(fields[q], ""); /* naive is a point forecaster: no quantiles */
        long step = strtol(fields[3], NULL, 10);
        if (step <= 0) {
            lookback++;
            assert_string_equal(fields[5], "");
            if (strcmp(fields[0], "0") == 0)
                last_original = strtod(fields[9], NULL);
        } else {
            scored++;
            /* Naive repeats the last observation, in both scales. */
            if (strcmp(fields[0], "0") == 0) {
                double predicted = strtod(fields[10], NULL);
                if (isnan(first_prediction))
                    first_prediction = predicted;
                naive_flat &= fabs(predicted - first_prediction) < 1e-9;
            }
        }
        rows++;
    } while (fgets(line, sizeof line, pipe) != NULL);
    pclose(pipe);
    assert_int_equal(lookback, 2 * 48);       /* two series */
    assert_true(scored > 0 && scored % 12 == 0);
    assert_true(naive_flat);
    assert_float_equal(first_prediction, last_original, 1e-6); /* the value at the origin, original units */
    /* In the data file: load at 2021-01-19 00:00 (the first look-back row's time). */
    snprintf(command, sizeof command, "grep -c '^2021-01-19 00:00:00,' %s", tiny_csv);
    pipe = popen(command, "r");
    long found = 0;
    assert_int_equal(fscanf(pipe, "%ld", &found), 1);
    pclose(pipe);
    assert_int_equal(found, 1);
    (void)rows;
}

/* Write `config_text` to a fresh directory, run it, and return its results.csv
 * (the caller frees it); fails the test unless bench exits 0. */
static char *run_config_text(const char *config_text)
{
    const char *work = test_temp_dir();
    char config[4200], out[4200];
    snprintf(config, sizeof config, "%s/config.ini", work);
    assert_int_equal(test_write_file(config, config_text), 0);
    snprintf(out, sizeof out, "%s/run", work);
    const char *arguments[] = {"run", config, "--out", out, "--quiet", NULL};
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, test_source_dir(), arguments, NULL), 0);
    test_assert_exit(&result, 0);
    test_process_free(&result);
    return results_of(out);
}

static void ltsf_etth1_reference_baselines(void **state)
{
    (void)state;
    test_need_data("ETTh1.csv", "ltsf baselines");
    char *results = run_config_text("[dataset ETTh1]\nprotocol = ltsf\nhorizons = 96\n[model naive]\n[model mean]\n");
    /* Repeat-last-value on z-scored ETTh1, look-back 96, H = 96, all 2,785 × 7 windows. */
    assert_float_equal(result_value(results, "naive", "mse"), 1.2944, 0.0005);
    assert_float_equal(result_value(results, "mean", "mse"), 0.7008, 0.0005);
    free(results);
}

/* Issue 4's acceptance row: DLinear on ETTh1 (ltsf, look-back 96, H = 96, all 7
 * channels, every stride-1 test window) within 5 % of the published MSE 0.386 /
 * MAE 0.400, trained as LTSF-Linear's script (Adam, batch 32, lr 0.005, 10
 * epochs, patience 3).  A few CPU seconds. */
static void dlinear_etth1_matches_published(void **state)
{
    (void)state;
    test_need_data("ETTh1.csv", "DLinear's published row");
    char *results = run_config_text("[dataset ETTh1]\nprotocol = ltsf\nhorizons = 96\n[model dlinear]\n");
    double mse = result_value(results, "dlinear", "mse"), mae = result_value(results, "dlinear", "mae");
    fprintf(stderr, "DLinear ETTh1 H=96: MSE %.4f (published 0.386), MAE %.4f (0.400)\n", mse, mae);
    assert_true(fabs(mse - 0.386) <= 0.05 * 0.386);
    assert_true(fabs(mae - 0.400) <= 0.05 * 0.400);
    free(results);
}

/* A probabilistic forecaster (deepar implements predict_samples) is also scored on
 * its sample paths: CRPS and pinball losses; the median's pinball loss is about
 * half its absolute error. */
static void probabilistic_models_get_crps_and_quantile_losses(void **state)
{
    (void)state;
    char text[8192];
    snprintf(text, sizeof text,
             "[dataset tiny]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 48\nhorizons = 12\n"
             "[model naive]\n[model deepar]\nepochs = 2\nsamples = 20\n",
             tiny_csv);
    char *results = run_config_text(text);
    double mae = result_value(results, "deepar", "mae"), crps = result_value(results, "deepar", "crps");
    double q10 = result_value(results, "deepar", "ql_10"), q50 = result_value(results, "deepar", "ql_50");
    assert_true(isfinite(crps) && crps > 0.0 && crps < mae);
    assert_true(q50 > 0.3 * mae && q50 < 0.7 * mae);
    assert_true(isfinite(q10) && q10 > 0.0);
    assert_true(isnan(result_value(results, "naive", "crps"))); /* point forecasters get no sample metrics */
    free(results);
}

/* A probabilistic model's predictions carry its 10/50/90 % sample quantiles, the
 * very ones its ql_* metrics scored: the pinball loss recomputed from the file's
 * q50 equals ql_50, and the forecast plot draws the q10-q90 band. */
static void probabilistic_predictions_carry_the_scored_quantiles(void **state)
{
    (void)state;
    char out[4200], text[8192];
    snprintf(text, sizeof text,
             "[run]\nseeds = 1\n[dataset tiny]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 48\n"
             "horizons = 12\n[model deepar]\nepochs = 2\nsamples = 20\n",
             tiny_csv);
    run_with_predictions(out, sizeof out, "deepar.ini", text);
    char *results = results_of(out);
    double ql_50 = result_value(results, "deepar", "ql_50");
    free(results);
    char command[9000];
    snprintf(command, sizeof command, "cat %s/predictions/*.csv", out);
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    char line[2048];
    assert_non_null(fgets(line, sizeof line, pipe)); /* header */
    double pinball = 0.0;
    size_t scored = 0;
    while (fgets(line, sizeof line, pipe) != NULL) {
        char *fields[18];
        size_t count = 0;
        for (char *cursor = line, *field; count < 18 && (field = strsep(&cursor, ",\n")) != NULL;)
            fields[count++] = field;
        assert_int_equal(count, 18);
        if (strtol(fields[3], NULL, 10) <= 0) {
            assert_string_equal(fields[11], ""); /* look-back rows have no forecast */
            continue;
        }
        double truth = strtod(fields[4], NULL), q10 = strtod(fields[11], NULL), q50 = strtod(fields[12], NULL),
               q90 = strtod(fields[13], NULL), q10_original = strtod(fields[14], NULL),
               q90_original = strtod(fields[16], NULL);
        assert_true(fields[11][0] != '\0' && fields[16][0] != '\0');
        assert_true(q10 <= q50 && q50 <= q90);
        assert_true(q10_original <= q90_original);
        pinball += truth >= q50 ? 0.5 * (truth - q50) : 0.5 * (q50 - truth);
        scored++;
    }
    pclose(pipe);
    assert_true(scored > 0 && scored % 12 == 0);
    assert_true(fabs(pinball / (double)scored - ql_50) <= 1e-9 * fabs(ql_50) + 1e-12);
    const char *plot[] = {"plot", out, "--kind", "forecast", NULL};
    test_process_result result;
    assert_int_equal(test_bench_run_in(&result, test_source_dir(), plot, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    snprintf(command, sizeof command, "grep -l 'filledcurves' %s/figures/forecast_*.gp | wc -l", out);
    pipe = popen(command, "r");
    long with_band = 0;
    assert_int_equal(fscanf(pipe, "%ld", &with_band), 1);
    pclose(pipe);
    assert_true(with_band >= 1);
}

/* ---- malformed inputs ------------------------------------------------------- */

typedef struct bad_case {
    const char *name;
    const char *data;          /* contents of data.csv (NULL: none written) */
    int gzip_truncated;        /* write data as a truncated data.txt.gz (LSTNet format) */
    const char *config;        /* config text; %s is replaced by the data file path */
    const char *expect_file;   /* substring naming the file (data.csv / bad.ini) */
    const char *expect_text;   /* substring naming the problem */
} bad_case;

#define CUSTOM "[dataset d]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 4\nhorizons = 2\n[model naive]\n"
#define GOOD_DATA "date,x\n2021-01-01 00:00:00,1\n2021-01-01 01:00:00,2\n2021-01-01 02:00:00,3\n" \
    "2021-01-01 03:00:00,4\n2021-01-01 04:00:00,5\n2021-01-01 05:00:00,6\n2021-01-01 06:00:00,7\n" \
    "2021-01-01 07:00:00,8\n2021-01-01 08:00:00,9\n2021-01-01 09:00:00,10\n2021-01-01 10:00:00,11\n" \
    "2021-01-01 11:00:00,12\n2021-01-01 12:00:00,13\n2021-01-01 13:00:00,14\n2021-01-01 14:00:00,15\n" \
    "2021-01-01 15:00:00,16\n2021-01-01 16:00:00,17\n2021-01-01 17:00:00,18\n2021-01-01 18:00:00,19\n" \
    "2021-01-01 19:00:00,20\n"

static const bad_case bad_cases[] = {
    {"ragged row", "date,x,y\n2021-01-01 00:00:00,1,2\n2021-01-01 01:00:00,3\n", 0, CUSTOM, "data.csv:3", ""},
    {"non-numeric cell", "date,x\n2021-01-01 00:00:00,1\n2021-01-01 01:00:00,abc\n", 0, CUSTOM, "data.csv:3", "abc"},
    {"NaN cell", "date,x\n2021-01-01 00:00:00,1\n2021-01-01 01:00:00,nan\n", 0, CUSTOM, "data.csv:3", ""},
    {"infinite cell", "date,x\n2021-01-01 00:00:00,1\n2021-01-01 01:00:00,inf\n", 0, CUSTOM, "data.csv:3", ""},
    {"empty file", "", 0, CUSTOM, "data.csv", "empty"},
    {"header only", "date,x\n", 0, CUSTOM, "data.csv", ""},
    {"missing date column", "when,x\n2021-01-01 00:00:00,1\n", 0, CUSTOM, "data.csv", "date"},
    {"unparsable date", "date,x\n2021-01-01 00:00:00,1\nyesterday,2\n", 0, CUSTOM, "data.csv:3", "yesterday"},
    {"truncated gzip", GOOD_DATA, 1,
     "[dataset d]\npath = %s\nformat = lstnet\ndate_column =\nprotocol = paper\nwindow = 2\nhorizons = 2\n[model naive]\n",
     "data.txt.gz", ""},
    {"unknown dataset", NULL, 0, "[dataset nosuchdata]\n[model naive]\n", "bad.ini:1", "nosuchdata"},
    {"unknown model", GOOD_DATA, 0, "[dataset d]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 4\nhorizons = 2\n[model prophet]\n",
     "bad.ini:7", "prophet"},
    {"unknown protocol", GOOD_DATA, 0, "[dataset d]\npath = %s\nprotocol = kaggle\n[model naive]\n", "bad.ini:3", "kaggle"},
    {"unknown model parameter", GOOD_DATA, 0, CUSTOM "colour = blue\n", "bad.ini:8", "colour"},
    {"unknown protocol setting", GOOD_DATA, 0, CUSTOM "[dataset e]\npath = %s\nprotocol = ltsf\nwindows = 3\n", "bad.ini", "windows"},
    {"horizon longer than the series", GOOD_DATA, 0,
     "[dataset d]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 4\nhorizons = 500\n[model naive]\n", "bad.ini", "horizon 500"},
    {"negative window", GOOD_DATA, 0,
     "[dataset d]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = -5\n[model naive]\n", "bad.ini:5", "-5"},
    {"parameter out of range", GOOD_DATA, 0, CUSTOM "[model seasonal_naive]\nperiod = -1\n", "bad.ini:9", "-1"},
    {"over-long config line", GOOD_DATA, 0,
     CUSTOM "; xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     "bad.ini:8", "characters"},
    {"duplicate key", GOOD_DATA, 0, CUSTOM "[model mean]\nwindow = 2\nwindow = 3\n", "bad.ini:10", "twice"},
    {"unknown section", GOOD_DATA, 0, CUSTOM "[plot x]\n", "bad.ini:8", "plot"},
    {"key outside a section", GOOD_DATA, 0, "seeds = 1\n" CUSTOM, "bad.ini:1", "outside"},
    {"bad seeds", GOOD_DATA, 0, "[run]\nseeds = one\n" CUSTOM, "bad.ini:2", "seeds"},
    {"no model", GOOD_DATA, 0, "[dataset d]\npath = %s\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 4\nhorizons = 2\n",
     "bad.ini", "[model"},
};

static void write_truncated_gzip(const char *path, const char *text)
{
    char full[4300];
    snprintf(full, sizeof full, "%s.full", path);
    gzFile gz = gzopen(full, "wb");
    assert_non_null(gz);
    /* LSTNet files have no header or dates: keep only the values column. */
    for (const char *line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        const char *comma = strchr(line, ',');
        gzprintf(gz, "%.*s\n", (int)(strchr(comma, '\n') - comma - 1), comma + 1);
    }
    gzclose(gz);
    size_t length;
    char *bytes = test_read_file(full, &length);
    FILE *out = fopen(path, "wb");
    fwrite(bytes, 1, length / 2, out);
    fclose(out);
    free(bytes);
    unlink(full);
}

static void malformed_inputs_exit_2_with_location_and_no_results(void **state)
{
    (void)state;
    assert_true(sizeof bad_cases / sizeof bad_cases[0] >= 15);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        const char *work = test_temp_dir();
        char data[4200], config[4200], out[4200], results[4300];
        snprintf(data, sizeof data, "%s/%s", work, c->gzip_truncated ? "data.txt.gz" : "data.csv");
        if (c->gzip_truncated)
            write_truncated_gzip(data, c->data);
        else if (c->data != NULL)
            assert_int_equal(test_write_file(data, c->data), 0);
        snprintf(config, sizeof config, "%s/bad.ini", work);
        test_write_textf(config, c->config, data, data);
        snprintf(out, sizeof out, "%s/out", work);
        const char *arguments[] = {"run", config, "--out", out, "--quiet", NULL};
        test_process_result result;
        assert_int_equal(test_bench_run_in(&result, test_source_dir(), arguments, NULL), 0);
        snprintf(results, sizeof results, "%s/results.csv", out);
        int ok = result.exit_code == 2 && strstr(result.err, c->expect_file) != NULL &&
                 strstr(result.err, c->expect_text) != NULL && access(results, F_OK) != 0;
        if (!ok)
            fprintf(stderr, "case '%s': exit %d, stderr: %s", c->name, result.exit_code, result.err);
        assert_true(ok);
        test_process_free(&result);
    }
}

static void bad_command_line_usage(void **state)
{
    (void)state;
    const char *cases[][6] = {
        {"run", NULL},
        {"run", "configs/m4-hourly.ini", "--jobs", "0", NULL},
        {"run", "configs/m4-hourly.ini", "--seeds", "x", NULL},
        {"run", "configs/m4-hourly.ini", "--shard", "3/2", NULL},
        {"run", "/nonexistent/config.ini", NULL},
        {"nosuchcommand", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        test_expect_usage_error(cases[i]);
}

TEST_MAIN("cli_run", setup, NULL,
          cmocka_unit_test(m4_hourly_matches_published_benchmarks),
          cmocka_unit_test(reruns_and_jobs_are_byte_identical),
          cmocka_unit_test(resume_keeps_finished_cells),
          cmocka_unit_test(paper_protocol_window_counts),
          cmocka_unit_test(predictions_are_self_describing),
          cmocka_unit_test(probabilistic_predictions_carry_the_scored_quantiles),
          cmocka_unit_test(ltsf_etth1_reference_baselines),
          cmocka_unit_test(probabilistic_models_get_crps_and_quantile_losses),
          cmocka_unit_test(dlinear_etth1_matches_published),
          cmocka_unit_test(malformed_inputs_exit_2_with_location_and_no_results),
          cmocka_unit_test(bad_command_line_usage))
