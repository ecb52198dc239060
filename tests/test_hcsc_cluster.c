/* k-means on separable blobs, PCL's φ estimator against numpy, and the
 * hierarchy's invariants (composed labels, unit centroids, mean φ = τ). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hcsc/cluster.h"
#include "hcsc/metrics.h"
#include "support_cmocka.h"

/* count points around each of `centres` (blob_count, d), Gaussian spread. */
static float *make_blobs(const float *centres, size_t blob_count, size_t per_blob, size_t d, double spread,
                         int32_t *truth, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    float *points = malloc(blob_count * per_blob * d * sizeof *points);
    assert_non_null(points);
    for (size_t b = 0; b < blob_count; b++)
        for (size_t i = 0; i < per_blob; i++) {
            size_t row = b * per_blob + i;
            truth[row] = (int32_t)b;
            for (size_t j = 0; j < d; j++)
                points[row * d + j] = centres[b * d + j] + (float)(spread * bench_rng_normal(&rng));
        }
    return points;
}

static void kmeans_recovers_separable_blobs(void **state)
{
    (void)state;
    const float centres[] = {0, 0, 10, 0, 0, 10, 10, 10};
    int32_t truth[200], assignment[200];
    float *points = make_blobs(centres, 4, 50, 2, 0.5, truth, 3);
    float found[8], distance[200];
    double inertia;
    bench_rng rng;
    bench_rng_seed(&rng, 11);
    bench_error error = {0};
    assert_int_equal(hcsc_kmeans(found, assignment, distance, &inertia, points, 200, 2, 4, 50, 3, &rng, &error),
                     BENCH_OK);
    hcsc_cluster_scores scores;
    assert_int_equal(hcsc_cluster_scores_compute(&scores, truth, assignment, 200, &error), BENCH_OK);
    assert_float_equal(scores.accuracy, 1.0, 1e-12);
    assert_float_equal(scores.nmi, 1.0, 1e-9);
    /* Inertia ≈ n·d·σ² = 200·2·0.25 = 100 for well-separated blobs. */
    assert_in_range((long)inertia, 60, 140);
    double check = 0;
    for (size_t i = 0; i < 200; i++)
        check += distance[i];
    assert_float_equal(check, inertia, 1e-3);
    /* Each found centroid lies near one true centre. */
    for (size_t c = 0; c < 4; c++) {
        double nearest = INFINITY;
        for (size_t b = 0; b < 4; b++) {
            double dx = found[2 * c] - centres[2 * b], dy = found[2 * c + 1] - centres[2 * b + 1];
            nearest = fmin(nearest, sqrt(dx * dx + dy * dy));
        }
        assert_true(nearest < 0.3);
    }
    /* Same seed, same result. */
    int32_t again[200];
    float found_again[8];
    bench_rng_seed(&rng, 11);
    assert_int_equal(hcsc_kmeans(found_again, again, NULL, NULL, points, 200, 2, 4, 50, 3, &rng, &error), BENCH_OK);
    assert_memory_equal(again, assignment, sizeof again);
    assert_memory_equal(found_again, found, sizeof found);
    assert_int_equal(hcsc_kmeans(found, assignment, NULL, NULL, points, 3, 2, 4, 10, 1, &rng, &error),
                     BENCH_BAD_INPUT);
    free(points);
}

static void kmeans_keeps_every_cluster_nonempty(void **state)
{
    (void)state;
    /* Many duplicate points: k-means++ may seed on duplicates; no cluster may end empty. */
    float points[40];
    for (size_t i = 0; i < 20; i++) {
        points[2 * i] = i < 17 ? 0.0f : (float)i;
        points[2 * i + 1] = 0.0f;
    }
    int32_t assignment[20];
    float centroids[10];
    bench_rng rng;
    bench_rng_seed(&rng, 5);
    bench_error error = {0};
    assert_int_equal(hcsc_kmeans(centroids, assignment, NULL, NULL, points, 20, 2, 5, 20, 2, &rng, &error),
                     BENCH_OK);
    int counts[5] = {0};
    for (size_t i = 0; i < 20; i++)
        counts[assignment[i]]++;
    for (size_t c = 0; c < 5; c++)
        assert_true(counts[c] > 0);
}

/* Values printed by numpy running the official code's estimator on the same members. */
static void concentration_matches_pcl_estimator(void **state)
{
    (void)state;
    const float squared[] = {1, 4, 9, 9, 9, 16, 0.25f, 0.25f, 4, 4, 4, 4};
    const int32_t assignment[] = {0, 0, 1, 1, 1, 2, 3, 3, 4, 4, 4, 4};
    const double expected[] = {0.14857458, 0.28787623, 0.28787623, 0.08914475, 0.18652821};
    float phi[5];
    hcsc_concentration(phi, squared, assignment, 12, 5, 0.2);
    double mean = 0;
    for (size_t m = 0; m < 5; m++) {
        assert_float_equal(phi[m], expected[m], 1e-6);
        mean += phi[m];
    }
    assert_float_equal(mean / 5, 0.2, 1e-6);
    /* Every cluster a singleton: all φ equal τ. */
    const int32_t singletons[] = {0, 1, 2};
    hcsc_concentration(phi, squared, singletons, 3, 3, 0.2);
    for (size_t m = 0; m < 3; m++)
        assert_float_equal(phi[m], 0.2, 1e-7);
    float scratch[5];
    const float values[] = {5, 1, 4, 2, 3};
    assert_float_equal(hcsc_percentile(values, 5, 10.0, scratch), 1.4, 1e-6);
    assert_float_equal(hcsc_percentile(values, 5, 90.0, scratch), 4.6, 1e-6);
}

static void hierarchy_composes_levels(void **state)
{
    (void)state;
    /* 8 directions on the unit circle, 30 points each: natural levels 8 → 4 → 2. */
    float centres[16];
    for (size_t b = 0; b < 8; b++) {
        centres[2 * b] = (float)cos(2 * M_PI * (double)b / 8);
        centres[2 * b + 1] = (float)sin(2 * M_PI * (double)b / 8);
    }
    int32_t truth[240];
    float *points = make_blobs(centres, 8, 30, 2, 0.03, truth, 9);
    hcsc_l2_normalize_rows(points, 240, 2);
    const size_t counts[] = {8, 4, 2};
    hcsc_hierarchy hierarchy;
    bench_error error = {0};
    assert_int_equal(hcsc_hierarchy_build(&hierarchy, points, 240, 2, counts, 3, 0.2, 30, 3, 1, &error), BENCH_OK);
    assert_int_equal(hierarchy.level_count, 3);
    hcsc_cluster_scores scores;
    assert_int_equal(hcsc_cluster_scores_compute(&scores, truth, hierarchy.levels[0].image_to_cluster, 240, &error),
                     BENCH_OK);
    assert_float_equal(scores.accuracy, 1.0, 1e-12);
    for (size_t l = 0; l < 3; l++) {
        const hcsc_level *level = &hierarchy.levels[l];
        double mean_phi = 0;
        for (size_t m = 0; m < level->cluster_count; m++) {
            const float *c = level->centroids + 2 * m;
            assert_float_equal(c[0] * c[0] + c[1] * c[1], 1.0, 1e-5);
            mean_phi += level->phi[m];
        }
        assert_float_equal(mean_phi / (double)level->cluster_count, 0.2, 1e-5);
        assert_int_equal(level->max_label, (int32_t)level->cluster_count - 1);
        if (l + 1 < 3) {
            const hcsc_level *up = &hierarchy.levels[l + 1];
            for (size_t i = 0; i < 240; i++)
                assert_int_equal(up->image_to_cluster[i], level->parent[level->image_to_cluster[i]]);
            for (size_t m = 0; m < level->cluster_count; m++)
                for (size_t a = 0; a < up->cluster_count; a++) {
                    double dot = level->centroids[2 * m] * up->centroids[2 * a] +
                                 level->centroids[2 * m + 1] * up->centroids[2 * a + 1];
                    assert_float_equal(level->parent_logits[m * up->cluster_count + a], dot, 1e-5);
                }
        } else {
            assert_null(level->parent);
        }
    }
    /* Each top cluster groups adjacent directions: children of one parent are neighbours. */
    hcsc_hierarchy_free(&hierarchy);
    const size_t growing[] = {4, 8};
    assert_int_equal(hcsc_hierarchy_build(&hierarchy, points, 240, 2, growing, 2, 0.2, 30, 1, 1, &error),
                     BENCH_BAD_INPUT);
    free(points);
}

TEST_MAIN("hcsc_cluster", NULL, NULL,
        cmocka_unit_test(kmeans_recovers_separable_blobs),
        cmocka_unit_test(kmeans_keeps_every_cluster_nonempty),
        cmocka_unit_test(concentration_matches_pcl_estimator),
        cmocka_unit_test(hierarchy_composes_levels))
