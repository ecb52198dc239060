/* Frozen-feature evaluations: weighted kNN by hand, the linear probe on
 * separable data, k-means scoring on blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "hcsc/evaluate.h"
#include "support_cmocka.h"

static void unit(float *row, double degrees)
{
    row[0] = (float)cos(degrees * M_PI / 180.0);
    row[1] = (float)sin(degrees * M_PI / 180.0);
}

static void weighted_knn_by_hand(void **state)
{
    (void)state;
    float train[5 * 2], test[3 * 2];
    const uint8_t train_labels[] = {0, 0, 0, 1, 1};
    unit(train + 0, 0), unit(train + 2, 10), unit(train + 4, 20), unit(train + 6, 180), unit(train + 8, 190);
    unit(test + 0, 5), unit(test + 2, 185), unit(test + 4, 95);
    const uint8_t test_labels[] = {0, 1, 1};
    int32_t predicted[3];
    double accuracy;
    bench_error error = {0};
    /* k = 5 uses every training row.  At 95°, class 0 scores e^{cos 95°/T} + e^{cos 85°/T} + e^{cos 75°/T},
     * class 1 e^{cos 85°/T} + e^{cos 95°/T}: class 0 wins by e^{cos 75°/T}, the label says 1. */
    assert_int_equal(hcsc_knn_classify(&accuracy, predicted, train, train_labels, 5, test, test_labels, 3, 2, 2, 5,
                                       0.1, &error),
                     BENCH_OK);
    assert_int_equal(predicted[0], 0);
    assert_int_equal(predicted[1], 1);
    assert_int_equal(predicted[2], 0);
    assert_float_equal(accuracy, 2.0 / 3.0, 1e-12);
    /* k = 2: at 185° the two class-1 rows (5° away) outvote everything. */
    assert_int_equal(hcsc_knn_classify(&accuracy, predicted, train, train_labels, 5, test, test_labels, 3, 2, 2, 2,
                                       0.1, &error),
                     BENCH_OK);
    assert_int_equal(predicted[0], 0);
    assert_int_equal(predicted[1], 1);
    assert_int_equal(predicted[2], 0); /* 20° (75° away) outweighs whichever 85°-away row ties for second */
    assert_int_equal(hcsc_knn_classify(&accuracy, predicted, train, train_labels, 5, test, test_labels, 3, 2, 2, 6,
                                       0.1, &error),
                     BENCH_BAD_INPUT);
}

static float *gaussian_classes(uint8_t *labels, size_t n, size_t d, size_t classes, double spread, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    float *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        labels[i] = (uint8_t)(i % classes);
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = (float)((j == labels[i] ? 3.0 : 0.0) + 10.0 * (j == d - 1) + spread * bench_rng_normal(&rng));
    }
    return x;
}

static void linear_probe_separates_classes(void **state)
{
    (void)state;
    enum { train_count = 600, test_count = 150, d = 6, classes = 3 };
    uint8_t train_labels[train_count], test_labels[test_count];
    float *train = gaussian_classes(train_labels, train_count, d, classes, 0.5, 1);
    float *test = gaussian_classes(test_labels, test_count, d, classes, 0.5, 2);
    hcsc_linear_probe_config config;
    hcsc_linear_probe_defaults(&config);
    config.epochs = 10;
    config.batch = 64;
    config.holdout = 100;
    bench_rng rng;
    bench_rng_seed(&rng, 3);
    double accuracy = 0, decay = -1;
    bench_error error = {0};
    assert_int_equal(hcsc_linear_probe(&accuracy, &decay, train, train_labels, train_count, test, test_labels,
                                       test_count, d, classes, &config, &rng, &error),
                     BENCH_OK);
    assert_true(accuracy > 0.97);
    assert_true(decay == 0.0 || decay == 1e-5 || decay == 1e-4 || decay == 1e-3);
    config.holdout = train_count;
    assert_int_equal(hcsc_linear_probe(&accuracy, &decay, train, train_labels, train_count, test, test_labels,
                                       test_count, d, classes, &config, &rng, &error),
                     BENCH_BAD_INPUT);
    free(train);
    free(test);
}

static void kmeans_scores_on_blobs(void **state)
{
    (void)state;
    enum { n = 300, d = 4, classes = 3 };
    uint8_t labels[n];
    float *x = gaussian_classes(labels, n, d, classes, 0.2, 5);
    hcsc_cluster_scores scores;
    bench_rng rng;
    bench_rng_seed(&rng, 6);
    bench_error error = {0};
    assert_int_equal(hcsc_kmeans_scores(&scores, x, labels, n, d, classes, 3, &rng, &error), BENCH_OK);
    assert_float_equal(scores.nmi, 1.0, 1e-9);
    assert_float_equal(scores.ami, 1.0, 1e-9);
    assert_float_equal(scores.ari, 1.0, 1e-9);
    assert_float_equal(scores.accuracy, 1.0, 1e-12);
    free(x);
}

/* Whitening fitted on correlated rows leaves them centred with the identity
 * covariance; with normalize every row has unit length. */
static void pca_whitening_gives_identity_covariance(void **state)
{
    (void)state;
    enum { N = 400, D = 3 };
    static float rows[N * D], white[N * D];
    bench_rng rng;
    bench_rng_seed(&rng, 9);
    for (size_t i = 0; i < N; i++) {
        double a = bench_rng_normal(&rng), b = bench_rng_normal(&rng), c = bench_rng_normal(&rng);
        rows[i * D] = (float)(3.0 * a + 5.0);
        rows[i * D + 1] = (float)(2.0 * a + 0.5 * b - 1.0);
        rows[i * D + 2] = (float)(0.1 * c + 0.3 * b);
    }
    bench_error error = {0};
    assert_int_equal(hcsc_pca_whiten(white, rows, N, rows, N, D, 0, &error), BENCH_OK);
    for (size_t j = 0; j < D; j++) {
        double mean = 0;
        for (size_t i = 0; i < N; i++)
            mean += white[i * D + j];
        assert_float_equal(mean / N, 0.0, 1e-5);
        for (size_t k = 0; k < D; k++) {
            double cov = 0;
            for (size_t i = 0; i < N; i++)
                cov += (double)white[i * D + j] * white[i * D + k];
            assert_float_equal(cov / (N - 1), j == k ? 1.0 : 0.0, 1e-4);
        }
    }
    assert_int_equal(hcsc_pca_whiten(white, rows, N, rows, 5, D, 1, &error), BENCH_OK);
    for (size_t i = 0; i < 5; i++)
        assert_float_equal(white[i * D] * white[i * D] + white[i * D + 1] * white[i * D + 1] +
                               white[i * D + 2] * white[i * D + 2],
                           1.0, 1e-5);
    assert_int_equal(hcsc_pca_whiten(white, rows, 1, rows, 1, D, 0, &error), BENCH_BAD_INPUT);
}

TEST_MAIN("hcsc_evaluate", NULL, NULL,
        cmocka_unit_test(weighted_knn_by_hand),
        cmocka_unit_test(linear_probe_separates_classes),
        cmocka_unit_test(kmeans_scores_on_blobs),
        cmocka_unit_test(pca_whitening_gives_identity_covariance))
