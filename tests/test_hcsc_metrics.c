/* NMI, AMI, ARI and clustering accuracy against values derived by brute force
 * from the definitions (tests/data/hcsc/metrics_reference.py), plus the
 * Hungarian solver against exhaustive search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "bench/rng.h"
#include "hcsc/metrics.h"
#include "support_cmocka.h"

typedef struct reference_case {
    int32_t truth[8], predicted[8];
    size_t n;
    double nmi, ami, ari, accuracy;
} reference_case;

/* Output of tests/data/hcsc/metrics_reference.py. */
static const reference_case cases[] = {
    {{0, 0, 1, 1}, {0, 0, 1, 2}, 4, 0.800000000000000, 0.571428571428572, 0.571428571428572, 0.750000000000000},
    {{0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 2, 2}, 6, 0.515803742979389, 0.298792458170889, 0.242424242424242,
     0.666666666666667},
    {{0, 0, 0, 1, 1, 2, 2, 2}, {1, 1, 0, 0, 0, 2, 2, 1}, 8, 0.558873038217032, 0.319672650569547, 0.238095238095238,
     0.750000000000000},
    {{2, 2, 0, 0, 1, 1, 1}, {5, 5, 5, 7, 7, 9, 9}, 7, 0.563635553099345, 0.258151141470262, 0.212500000000000,
     0.714285714285714},
};

static void scores_match_brute_force_definitions(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        hcsc_cluster_scores scores;
        bench_error error = {0};
        assert_int_equal(hcsc_cluster_scores_compute(&scores, cases[c].truth, cases[c].predicted, cases[c].n, &error),
                         BENCH_OK);
        assert_float_equal(scores.nmi, cases[c].nmi, 1e-12);
        assert_float_equal(scores.ami, cases[c].ami, 1e-9);
        assert_float_equal(scores.ari, cases[c].ari, 1e-12);
        assert_float_equal(scores.accuracy, cases[c].accuracy, 1e-12);
    }
}

static void hand_computed_and_special_cases(void **state)
{
    (void)state;
    bench_error error = {0};
    hcsc_cluster_scores scores;
    /* Hand: H(U) = ln 2, H(V) = 1.5 ln 2, MI = ln 2 → NMI = 1/1.25; ARI = (1 − 1/3)/(3/2 − 1/3) = 4/7. */
    const int32_t truth[] = {0, 0, 1, 1}, predicted[] = {0, 0, 1, 2};
    assert_int_equal(hcsc_cluster_scores_compute(&scores, truth, predicted, 4, &error), BENCH_OK);
    assert_float_equal(scores.nmi, 0.8, 1e-12);
    assert_float_equal(scores.ari, 4.0 / 7.0, 1e-12);
    /* A relabelled perfect clustering scores 1 everywhere. */
    const int32_t relabelled[] = {3, 3, 0, 0};
    assert_int_equal(hcsc_cluster_scores_compute(&scores, truth, relabelled, 4, &error), BENCH_OK);
    assert_float_equal(scores.nmi, 1.0, 1e-12);
    assert_float_equal(scores.ami, 1.0, 1e-12);
    assert_float_equal(scores.ari, 1.0, 1e-12);
    assert_float_equal(scores.accuracy, 1.0, 1e-12);
    /* sklearn: one cluster against one class is a perfect match; all-singletons has NMI 0. */
    const int32_t same[] = {0, 0, 0, 0}, distinct[] = {0, 1, 2, 3};
    assert_int_equal(hcsc_cluster_scores_compute(&scores, same, same, 4, &error), BENCH_OK);
    assert_float_equal(scores.nmi, 1.0, 1e-12);
    assert_float_equal(scores.ari, 1.0, 1e-12);
    assert_int_equal(hcsc_cluster_scores_compute(&scores, same, distinct, 4, &error), BENCH_OK);
    assert_float_equal(scores.nmi, 0.0, 1e-12);
    assert_float_equal(scores.ari, 0.0, 1e-12);
    assert_float_equal(scores.accuracy, 0.25, 1e-12);
    const int32_t negative[] = {0, -1, 0, 0};
    assert_int_equal(hcsc_cluster_scores_compute(&scores, same, negative, 4, &error), BENCH_BAD_INPUT);
}

static void hungarian_matches_exhaustive_search(void **state)
{
    (void)state;
    bench_rng rng;
    bench_rng_seed(&rng, 17);
    for (int trial = 0; trial < 50; trial++) {
        size_t rows = 1 + bench_rng_below(&rng, 5), cols = rows + bench_rng_below(&rng, 3);
        double cost[64];
        for (size_t i = 0; i < rows * cols; i++)
            cost[i] = (double)bench_rng_below(&rng, 20);
        int32_t assignment[8];
        double total = hcsc_hungarian(assignment, cost, rows, cols);
        /* Exhaustive: every injective map rows → cols, by counting in base cols. */
        double best = INFINITY;
        size_t combinations = 1;
        for (size_t i = 0; i < rows; i++)
            combinations *= cols;
        for (size_t code = 0; code < combinations; code++) {
            size_t columns[8], rest = code, used = 0;
            int valid = 1;
            for (size_t i = 0; i < rows; i++) {
                columns[i] = rest % cols;
                rest /= cols;
                if (used & ((size_t)1 << columns[i]))
                    valid = 0;
                used |= (size_t)1 << columns[i];
            }
            if (!valid)
                continue;
            double sum = 0;
            for (size_t i = 0; i < rows; i++)
                sum += cost[i * cols + columns[i]];
            best = fmin(best, sum);
        }
        assert_float_equal(total, best, 1e-9);
        double check = 0;
        for (size_t i = 0; i < rows; i++)
            check += cost[i * cols + (size_t)assignment[i]];
        assert_float_equal(check, best, 1e-9);
    }
}

TEST_MAIN("hcsc_metrics", NULL, NULL,
        cmocka_unit_test(scores_match_brute_force_definitions),
        cmocka_unit_test(hand_computed_and_special_cases),
        cmocka_unit_test(hungarian_matches_exhaustive_search))
