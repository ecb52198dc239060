/* Statistics for reports: Demšar's (2006) worked example to the printed
 * precision, and scipy-generated vectors (tests/reference/reports/, made by
 * gen_stats_vectors.py) for rankdata, Friedman, Wilcoxon, summaries and DM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/stats.h"
#include "support_reports.h"
#include "support_cmocka.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

static json_t *vectors;

/* |a−b| <= atol + rtol·|b|, printing both sides when it fails. */
static void assert_close(double actual, double expected, double atol, double rtol, const char *what)
{
    if (!(fabs(actual - expected) <= atol + rtol * fabs(expected))) {
        print_error("%s: got %.12g, expected %.12g (|diff| %.3g)\n", what, actual, expected,
                    fabs(actual - expected));
        fail();
    }
}

static size_t read_array(const json_t *array, double **out)
{
    size_t n = json_array_size(array);
    *out = calloc(n ? n : 1, sizeof **out);
    assert_non_null(*out);
    for (size_t i = 0; i < n; i++)
        (*out)[i] = json_number_value(json_array_get(array, i));
    return n;
}

/* The case list NAME of the reference vectors; fails the test unless it holds
 * `count` cases. */
static json_t *cases_of(const char *name, size_t count)
{
    json_t *cases = json_object_get(vectors, name);
    assert_int_equal(json_array_size(cases), count);
    return cases;
}

/* The paired samples "x" and "y" of case v (the caller frees both); fails the
 * test unless they have the same length, which it returns. */
static size_t read_pair(const json_t *v, double **x, double **y)
{
    size_t n = read_array(json_object_get(v, "x"), x);
    assert_int_equal(read_array(json_object_get(v, "y"), y), n);
    return n;
}

static double number(const json_t *object, const char *key)
{
    json_t *value = json_object_get(object, key);
    if (value == NULL || !json_is_number(value)) {
        print_error("vector field '%s' missing\n", key);
        fail();
    }
    return json_number_value(value);
}

static int load_vectors(void **state)
{
    (void)state;
    const char *path = "tests/reference/reports/stats_vectors.json";
    json_error_t json_error;
    vectors = json_load_file(path, 0, &json_error);
    if (vectors == NULL) {
        fprintf(stderr, "%s:%d: %s (run the test from the repository root)\n", path, json_error.line,
                json_error.text);
        return -1;
    }
    return 0;
}

static int free_vectors(void **state)
{
    (void)state;
    json_decref(vectors);
    return 0;
}

static void demsar_worked_example(void **state)
{
    (void)state;
    bench_error error = {0};
    bench_friedman friedman;
    double ranks[4];
    assert_int_equal(bench_stats_friedman(&friedman, ranks, &test_demsar_auc[0][0], 14, 4, 1, &error), BENCH_OK);
    const double printed_ranks[4] = {3.143, 2.000, 2.893, 1.964};
    for (int j = 0; j < 4; j++)
        assert_close(ranks[j], printed_ranks[j], 0.0005, 0, "Demšar average rank");
    assert_close(friedman.chi2, 9.28, 0.005, 0, "Demšar Friedman chi²");
    assert_close(friedman.iman_davenport, 3.69, 0.005, 0, "Demšar Iman-Davenport F_F");
    assert_close(friedman.df1, 3, 0, 0, "df1");
    assert_close(friedman.df2, 39, 0, 0, "df2");
    /* The paper's critical value F(3, 39) at 0.05 is 2.85, so F_F = 3.69 rejects H0. */
    assert_true(friedman.p_iman_davenport < 0.05);
    double cd;
    assert_int_equal(bench_stats_nemenyi_cd(&cd, 4, 14, 0.05, &error), BENCH_OK);
    assert_close(cd, 1.25, 0.005, 0, "Demšar CD at 0.05");
    assert_int_equal(bench_stats_nemenyi_cd(&cd, 4, 14, 0.10, &error), BENCH_OK);
    assert_close(cd, 1.12, 0.005, 0, "Demšar CD at 0.10");
    /* §3.2.4: at 0.10, C4.5 (3.143) differs from C4.5+m (2.000) and C4.5+m+cf (1.964). */
    assert_true(ranks[0] - ranks[1] > cd && ranks[0] - ranks[3] > cd && ranks[0] - ranks[2] < cd);
}

static void nemenyi_table_and_limits(void **state)
{
    (void)state;
    bench_error error = {0};
    double q;
    assert_int_equal(bench_stats_nemenyi_q(&q, 2, 0.05, &error), BENCH_OK);
    assert_close(q, 1.960, 0, 0, "q(2, .05)");
    assert_int_equal(bench_stats_nemenyi_q(&q, 10, 0.10, &error), BENCH_OK);
    assert_close(q, 2.920, 0, 0, "q(10, .10)");
    assert_int_equal(bench_stats_nemenyi_q(&q, 4, 0.01, &error), BENCH_UNSUPPORTED);
    assert_int_equal(bench_stats_nemenyi_q(&q, 1, 0.05, &error), BENCH_UNSUPPORTED);
}

/* Beyond Demšar's table (k > 10) q_alpha comes from the studentized range
 * distribution at infinite df.  Expected: the q_0.05 list Orange publishes in
 * Orange/evaluation/scoring.py (studentized range quantile / sqrt 2, 9-10
 * digits) for k = 11, 12, 20, 30, 50, 51; and for k = 2..10 the computation
 * must reproduce Demšar's 3-decimal Table 5(a) values at both alphas, within
 * 0.001 because the table sometimes truncates (q(3) = 2.3437 is printed 2.343). */
static void nemenyi_beyond_ten_models(void **state)
{
    (void)state;
    static const struct {
        size_t k;
        double q;
    } orange[] = {{11, 3.218653901}, {12, 3.268003591}, {20, 3.543799277},
                  {30, 3.748578108}, {50, 3.992343271}, {51, 4.001512325}};
    bench_error error = {0};
    double q;
    for (size_t i = 0; i < sizeof orange / sizeof orange[0]; i++) {
        assert_int_equal(bench_stats_nemenyi_q(&q, orange[i].k, 0.05, &error), BENCH_OK);
        assert_close(q, orange[i].q, 2e-6, 0, "Nemenyi q_0.05 beyond the table (Orange's list)");
    }
    static const double demsar05[] = {1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164};
    static const double demsar10[] = {1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920};
    for (size_t k = 2; k <= 10; k++) {
        assert_close(bench_stats_studentized_range_q(0.05, k) / sqrt(2.0), demsar05[k - 2], 1e-3, 0,
                     "computed q_0.05 against Demšar Table 5(a)");
        assert_close(bench_stats_studentized_range_q(0.10, k) / sqrt(2.0), demsar10[k - 2], 1e-3, 0,
                     "computed q_0.10 against Demšar Table 5(a)");
    }
    /* q grows with k, and the CD with it: 11 models over 12 datasets. */
    double cd;
    assert_int_equal(bench_stats_nemenyi_cd(&cd, 11, 12, 0.05, &error), BENCH_OK);
    assert_close(cd, 3.218653901 * sqrt(11.0 * 12.0 / 72.0), 1e-5, 0, "CD for k = 11, N = 12");
}

/* Every dataset ranks the models the same way: χ² = N(k−1), so Iman–Davenport's
 * denominator N(k−1) − χ² is 0 and F_F is undefined: NAN (printed "n/a"), not
 * inf with p = 0. */
static void iman_davenport_undefined_when_rankings_agree(void **state)
{
    (void)state;
    const double scores[3][2] = {{0.1, 0.2}, {0.3, 0.5}, {1.0, 2.0}};
    bench_friedman f;
    double ranks[2];
    assert_int_equal(bench_stats_friedman(&f, ranks, &scores[0][0], 3, 2, 0, NULL), BENCH_OK);
    assert_close(f.chi2, 3.0, 1e-12, 0, "chi2 = N(k-1)");
    assert_true(isnan(f.iman_davenport));
    assert_true(isnan(f.p_iman_davenport));
}

static void rankdata_matches_scipy(void **state)
{
    (void)state;
    json_t *cases = json_object_get(vectors, "rankdata");
    assert_true(json_array_size(cases) >= 4);
    for (size_t c = 0; c < json_array_size(cases); c++) {
        double *x, *expected;
        size_t n = read_array(json_object_get(json_array_get(cases, c), "x"), &x);
        read_array(json_object_get(json_array_get(cases, c), "ranks"), &expected);
        double *ranks = calloc(n, sizeof *ranks);
        bench_stats_rankdata(ranks, x, n);
        for (size_t i = 0; i < n; i++)
            assert_close(ranks[i], expected[i], 0, 0, "rankdata");
        free(x), free(expected), free(ranks);
    }
}

static void summary_matches_scipy(void **state)
{
    (void)state;
    json_t *cases = json_object_get(vectors, "summary");
    for (size_t c = 0; c < json_array_size(cases); c++) {
        json_t *v = json_array_get(cases, c);
        double *x;
        size_t n = read_array(json_object_get(v, "x"), &x);
        bench_stats_summary s;
        bench_error error = {0};
        assert_int_equal(bench_stats_summarize(&s, x, n, &error), BENCH_OK);
        assert_close(s.mean, number(v, "mean"), 1e-12, 1e-12, "mean");
        assert_close(s.sd, number(v, "sd"), 1e-12, 1e-10, "sd");
        assert_close(s.ci95, number(v, "ci95"), 1e-12, 1e-8, "ci95");
        free(x);
    }
    bench_stats_summary one;
    double single = 0.5;
    assert_int_equal(bench_stats_summarize(&one, &single, 1, NULL), BENCH_OK);
    assert_true(isnan(one.sd) && isnan(one.ci95));
    double bad[2] = {1.0, NAN};
    assert_int_equal(bench_stats_summarize(&one, bad, 2, NULL), BENCH_BAD_INPUT);
}

static void friedman_matches_scipy(void **state)
{
    (void)state;
    json_t *cases = cases_of("friedman", 3);
    for (size_t c = 0; c < json_array_size(cases); c++) {
        json_t *v = json_array_get(cases, c);
        json_t *rows = json_object_get(v, "scores");
        size_t blocks = json_array_size(rows), k = json_array_size(json_array_get(rows, 0));
        double *scores = calloc(blocks * k, sizeof *scores);
        for (size_t b = 0; b < blocks; b++)
            for (size_t j = 0; j < k; j++)
                scores[b * k + j] = json_number_value(json_array_get(json_array_get(rows, b), j));
        double *expected_ranks, *ranks = calloc(k, sizeof *ranks);
        read_array(json_object_get(v, "avg_ranks"), &expected_ranks);
        bench_friedman f;
        bench_error error = {0};
        int higher = json_is_true(json_object_get(v, "higher_is_better"));
        assert_int_equal(bench_stats_friedman(&f, ranks, scores, blocks, k, higher, &error), BENCH_OK);
        for (size_t j = 0; j < k; j++)
            assert_close(ranks[j], expected_ranks[j], 1e-12, 1e-12, "average rank");
        assert_close(f.chi2, number(v, "chi2"), 1e-10, 1e-10, "chi2");
        assert_close(f.p_chi2, number(v, "p_chi2"), 1e-12, 1e-8, "p chi2");
        assert_close(f.chi2_ties, number(v, "chi2_ties"), 1e-10, 1e-10, "chi2 tie-corrected (scipy)");
        assert_close(f.p_chi2_ties, number(v, "p_chi2_ties"), 1e-12, 1e-8, "p tie-corrected (scipy)");
        assert_close(f.iman_davenport, number(v, "iman_davenport"), 1e-10, 1e-10, "F_F");
        assert_close(f.p_iman_davenport, number(v, "p_iman_davenport"), 1e-12, 1e-8, "p F_F");
        free(scores), free(ranks), free(expected_ranks);
    }
}

/* Runs test (bench_stats_wilcoxon or its zsplit variant) on the pair of case
 * v into *w and checks the statistic and p against scipy; returns the pair's
 * length. */
static size_t check_wilcoxon(const json_t *v, int (*test)(bench_wilcoxon *, const double *, const double *, size_t,
                                                          bench_error *),
                             const char *label, bench_wilcoxon *w)
{
    double *x, *y;
    size_t n = read_pair(v, &x, &y);
    bench_error error = {0};
    assert_int_equal(test(w, x, y, n, &error), BENCH_OK);
    char what[64];
    snprintf(what, sizeof what, "%s statistic", label);
    assert_close(w->statistic, number(v, "statistic"), 1e-9, 0, what);
    snprintf(what, sizeof what, "%s p", label);
    assert_close(w->p, number(v, "p"), 1e-12, 1e-9, what);
    free(x), free(y);
    return n;
}

static void wilcoxon_matches_scipy(void **state)
{
    (void)state;
    json_t *cases = cases_of("wilcoxon", 5);
    for (size_t c = 0; c < json_array_size(cases); c++) {
        json_t *v = json_array_get(cases, c);
        bench_wilcoxon w;
        check_wilcoxon(v, bench_stats_wilcoxon, "Wilcoxon", &w);
        assert_int_equal(w.zeros, (size_t)number(v, "zeros"));
        const char *mode = json_string_value(json_object_get(v, "mode"));
        if (strcmp(mode, "approx") == 0)
            assert_false(w.exact);
    }
    double same[3] = {1, 2, 3};
    bench_wilcoxon w;
    bench_error error = {0};
    assert_int_equal(bench_stats_wilcoxon(&w, same, same, 3, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "zero"));
}


/* zero_method "zsplit" against scipy, and Demšar's §3.1.3 example: C4.5+m vs
 * C4.5 on the 14 data sets gives R+ = 93 and R− = 12 (two zero differences split). */
static void wilcoxon_zsplit_matches_scipy_and_demsar(void **state)
{
    (void)state;
    json_t *cases = cases_of("wilcoxon_zsplit", 2);
    for (size_t c = 0; c < json_array_size(cases); c++) {
        bench_wilcoxon w;
        size_t n = check_wilcoxon(json_array_get(cases, c), bench_stats_wilcoxon_zsplit, "zsplit", &w);
        if (c == 0) {
            assert_int_equal(n, 14);
            assert_int_equal(w.zeros, 2);
            assert_close(w.r_plus, 93.0, 0, 0, "Demšar R+");
            assert_close(w.r_minus, 12.0, 0, 0, "Demšar R-");
            assert_false(w.exact);
        }
    }
}

static void diebold_mariano_matches_reference(void **state)
{
    (void)state;
    json_t *cases = cases_of("diebold_mariano", 4);
    for (size_t c = 0; c < json_array_size(cases); c++) {
        json_t *v = json_array_get(cases, c);
        double *l1, *l2;
        size_t T = read_array(json_object_get(v, "loss1"), &l1);
        read_array(json_object_get(v, "loss2"), &l2);
        bench_diebold_mariano dm;
        bench_error error = {0};
        assert_int_equal(bench_stats_diebold_mariano(&dm, l1, l2, T, (size_t)number(v, "h"),
                                                     json_is_true(json_object_get(v, "harvey")), &error),
                         BENCH_OK);
        assert_close(dm.mean_difference, number(v, "mean_difference"), 1e-12, 1e-10, "DM mean");
        assert_close(dm.variance, number(v, "variance"), 1e-14, 1e-9, "DM variance");
        assert_close(dm.statistic, number(v, "statistic"), 1e-10, 1e-9, "DM statistic");
        assert_close(dm.p, number(v, "p"), 1e-12, 1e-8, "DM p");
        free(l1), free(l2);
    }
    double a[3] = {1, 2, 3};
    bench_diebold_mariano dm;
    assert_int_equal(bench_stats_diebold_mariano(&dm, a, a, 3, 1, 0, NULL), BENCH_BAD_INPUT);
    assert_int_equal(bench_stats_diebold_mariano(&dm, a, a, 3, 3, 0, NULL), BENCH_BAD_INPUT);
}

TEST_MAIN("reports_stats", load_vectors, free_vectors,
          cmocka_unit_test(demsar_worked_example),
          cmocka_unit_test(nemenyi_table_and_limits),
          cmocka_unit_test(nemenyi_beyond_ten_models),
          cmocka_unit_test(iman_davenport_undefined_when_rankings_agree),
          cmocka_unit_test(rankdata_matches_scipy),
          cmocka_unit_test(summary_matches_scipy),
          cmocka_unit_test(friedman_matches_scipy),
          cmocka_unit_test(wilcoxon_matches_scipy),
          cmocka_unit_test(wilcoxon_zsplit_matches_scipy_and_demsar),
          cmocka_unit_test(diebold_mariano_matches_reference))
