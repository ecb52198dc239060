/* bench shift gap: the shift per device pair and the gains over source-only,
 * checked on a hand-made results.csv whose means and spreads are worked out in
 * the comments, including the three ways a shift is not "real". */
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

#include "domain_shift/gap.h"
#include "support_process.h"
#include "support_cmocka.h"

static char results_path[600];

/* The project's test directory helpers, so each case writes DIR/results.csv. */
static void write_results(const char *rows)
{
    snprintf(results_path, sizeof results_path, "%s/results.csv", test_temp_dir());
    size_t length = strlen(rows) + 128;
    char *text = malloc(length);
    assert_non_null(text);
    snprintf(text, length, "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n%s", rows);
    assert_int_equal(test_write_file(results_path, text), 0);
    free(text);
}

#define ROW(pair, method, seed, value) "c," "detect,xray_" pair ",transfer," method "," method ",," seed ",map," value ",ok\n"
#define ERROR_ROW(pair, method, seed) "c," "detect,xray_" pair ",transfer," method "," method ",," seed ",map,,error\n"

static const char table[] =
    /* D1->D2: source-only 2/4/6 (mean 4, sd 2), oracle 50/52/54 (52, 2): shift 48,
     * spread sqrt(2^2 + 2^2) = 2.83, 17.0 spreads: real.  psn 10/14/18 (14, 4):
     * gain 10 +- sqrt(16 + 4) = 4.47.  psn_global_only one seed 20: gain 16, no spread. */
    ROW("D1_to_D2", "source_only", "1", "0.02") ROW("D1_to_D2", "source_only", "2", "0.04")
    ROW("D1_to_D2", "source_only", "3", "0.06") ROW("D1_to_D2", "oracle", "1", "0.50")
    "c,detect,xray_D1_to_D2,transfer,oracle,oracle,,1,ap_knife,0.99,ok\n" /* not map: ignored */
    ROW("D1_to_D2", "oracle", "2", "0.52") ROW("D1_to_D2", "oracle", "3", "0.54")
    ROW("D1_to_D2", "psn", "1", "0.10") ROW("D1_to_D2", "psn", "2", "0.14") ROW("D1_to_D2", "psn", "3", "0.18")
    ROW("D1_to_D2", "psn_global_only", "1", "0.20")
    /* D2->D1: shift 47 - 42 = 5 points, below 10: not real.  psn has an error row;
     * its two ok seeds 50/60 give mean 55, sd 7.07. */
    ROW("D2_to_D1", "source_only", "1", "0.40") ROW("D2_to_D1", "source_only", "2", "0.42")
    ROW("D2_to_D1", "source_only", "3", "0.44") ROW("D2_to_D1", "oracle", "1", "0.45")
    ROW("D2_to_D1", "oracle", "2", "0.47") ROW("D2_to_D1", "oracle", "3", "0.49") ROW("D2_to_D1", "psn", "1", "0.5")
    ERROR_ROW("D2_to_D1", "psn", "2") ROW("D2_to_D1", "psn", "3", "0.6")
    /* D3->D1: 30 points but source-only 0/30/60 (sd 30), oracle 50/60/70 (sd 10):
     * spread 31.6, under 1 spread: not real. */
    ROW("D3_to_D1", "source_only", "1", "0.0") ROW("D3_to_D1", "source_only", "2", "0.3")
    ROW("D3_to_D1", "source_only", "3", "0.6") ROW("D3_to_D1", "oracle", "1", "0.5")
    ROW("D3_to_D1", "oracle", "2", "0.6") ROW("D3_to_D1", "oracle", "3", "0.7")
    /* D3->D2: one seed each: 50 points, but no spread to judge by. */
    ROW("D3_to_D2", "source_only", "1", "0.1") ROW("D3_to_D2", "oracle", "1", "0.6");

static void computes_shifts_gains_and_verdicts(void **state)
{
    (void)state;
    write_results(table);
    shift_gap_report report;
    bench_error error = {0};
    assert_int_equal(shift_gap_compute(&report, results_path, &error), BENCH_OK);
    unlink(results_path);
    assert_int_equal(report.pair_count, 4);
    assert_int_equal(report.method_count, 4);
    assert_string_equal(report.methods[2], "psn");
    assert_string_equal(report.pairs[0].dataset, "xray_D1_to_D2");
    const double tolerance = 1e-12;

    const shift_gap_pair *d1_d2 = &report.pairs[0];
    assert_float_equal(d1_d2->shift, 0.48, tolerance);
    assert_float_equal(d1_d2->shift_sd, sqrt(0.0008), tolerance);
    assert_int_equal(d1_d2->shift_real, 1);
    assert_float_equal(d1_d2->methods[2].gain, 0.10, tolerance);
    assert_float_equal(d1_d2->methods[2].gain_sd, sqrt(0.002), tolerance);
    assert_int_equal(d1_d2->methods[3].map.n, 1);
    assert_float_equal(d1_d2->methods[3].gain, 0.16, tolerance);
    assert_true(isnan(d1_d2->methods[3].gain_sd));

    const shift_gap_pair *d2_d1 = &report.pairs[1];
    assert_float_equal(d2_d1->shift, 0.05, tolerance);
    assert_int_equal(d2_d1->shift_real, 0);
    assert_int_equal(d2_d1->methods[2].map.n, 2);
    assert_int_equal(d2_d1->methods[2].error_rows, 1);
    assert_float_equal(d2_d1->methods[2].gain, 0.13, tolerance);
    assert_int_equal(d2_d1->methods[3].map.n, 0);
    assert_true(isnan(d2_d1->methods[3].gain));

    assert_float_equal(report.pairs[2].shift, 0.3, tolerance);
    assert_int_equal(report.pairs[2].shift_real, 0);
    assert_float_equal(report.pairs[3].shift, 0.5, tolerance);
    assert_int_equal(report.pairs[3].shift_real, -1);
    assert_int_equal(report.real_pairs, 1);

    char *text = NULL;
    size_t length = 0;
    FILE *memory = open_memstream(&text, &length);
    assert_non_null(memory);
    assert_int_equal(shift_gap_write_markdown(memory, &report, &error), BENCH_OK);
    fclose(memory);
    const char *expected[] = {
        /* names are Markdown-escaped (bench/escape.h): underscores as \\_ */
        "| pair | source_only | oracle | shift | shift / spread | real | psn − source_only | psn\\_global\\_only − "
        "source_only |\n",
        "| xray\\_D1\\_to\\_D2 | 4.0 ± 2.0 | 52.0 ± 2.0 | 48.0 ± 2.8 | 17.0 | yes | +10.0 ± 4.5 | +16.0 |\n",
        "| xray\\_D2\\_to\\_D1 | 42.0 ± 2.0 | 47.0 ± 2.0 | 5.0 ± 2.8 | 1.8 | **no** | +13.0 ± 7.3 ‡ | – |\n",
        "| xray\\_D3\\_to\\_D1 | 30.0 ± 30.0 | 60.0 ± 10.0 | 30.0 ± 31.6 | 0.9 | **no** | – | – |\n",
        "| xray\\_D3\\_to\\_D2 | 10.0 | 60.0 | 50.0 | – | – | – | – |\n",
        /* shares: D1->D2 psn 10 of 48 points (21 %), psn_global_only 16 of 48 (33 %); D2->D1 psn 13 of 5 */
        "| pair | psn | psn\\_global\\_only |\n",
        "| xray\\_D1\\_to\\_D2 | 21 % | 33 % |\n",
        "| xray\\_D2\\_to\\_D1 | 260 % | – |\n",
        "| xray\\_D3\\_to\\_D1 | – | – |\n",
        "The shift is real on 1 of 4 pairs (1 undecided: source-only or oracle missing, or one seed only). ‡ 1 "
        "error row left out of the means.\n",
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (strstr(text, expected[i]) == NULL)
            fail_msg("missing line\n%s\nin\n%s", expected[i], text);
    free(text);
    shift_gap_report_free(&report);
}

static void rejects_files_without_detection_rows(void **state)
{
    (void)state;
    write_results("c,hcsc,fashion_mnist,knn200,moco,moco,,1,top1,0.8,ok\n");
    shift_gap_report report;
    bench_error error = {0};
    assert_int_equal(shift_gap_compute(&report, results_path, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, results_path));
    assert_non_null(strstr(error.message, "no task=detect rows"));
    shift_gap_report_free(&report);
    unlink(results_path);

    write_results("c,detect,xray_D1_to_D2,transfer,psn,psn,,1,map,not-a-number,ok\n");
    assert_int_equal(shift_gap_compute(&report, results_path, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, results_path));
    shift_gap_report_free(&report);
    unlink(results_path);
}

/* The command: a run directory or its results.csv; bad usage and bad input exit 2. */
static void command_reads_a_run_directory(void **state)
{
    (void)state;
    const char *directory = test_temp_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/results.csv", directory);
    assert_int_equal(test_write_file(path, "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n"
                                           ROW("D1_to_D2", "source_only", "1", "0.1") ROW("D1_to_D2", "oracle", "1", "0.6")),
                     0);
    test_process_result result;
    const char *const by_directory[] = {test_bench_binary(), "shift", "gap", directory, NULL};
    assert_int_equal(test_process_run(&result, by_directory, NULL, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    assert_non_null(strstr(result.out, "| xray\\_D1\\_to\\_D2 | 10.0 | 60.0 | 50.0 | – | – |\n"));
    test_process_free(&result);

    const char *const no_argument[] = {test_bench_binary(), "shift", "gap", NULL};
    assert_int_equal(test_process_run(&result, no_argument, NULL, NULL), 0);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, "usage: bench shift gap"));
    test_process_free(&result);

    assert_int_equal(test_write_file(path, "cell_id,task\n"), 0);
    const char *const by_file[] = {test_bench_binary(), "shift", "gap", path, NULL};
    assert_int_equal(test_process_run(&result, by_file, NULL, NULL), 0);
    assert_int_equal(result.exit_code, 2);
    assert_non_null(strstr(result.err, path));
    assert_string_equal(result.out, "");
    test_process_free(&result);
    unlink(path);
}

TEST_MAIN("shift_gap", NULL, NULL,
          cmocka_unit_test(computes_shifts_gains_and_verdicts),
          cmocka_unit_test(rejects_files_without_detection_rows),
          cmocka_unit_test(command_reads_a_run_directory))
