/* HCSC's two losses against PyTorch computing the official code's logits on the
 * same fixed inputs (tests/data/hcsc/gen_loss_reference.py): loss values and the
 * gradient with respect to the normalised queries, in zero (official) mode; and
 * remove mode against its definition. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "hcsc/cluster.h"
#include "hcsc/loss.h"
#include "nn/check.h"
#include "support_cmocka.h"

/* Output of tests/data/hcsc/gen_loss_reference.py (float64 PyTorch 1.13). */
static const double reference_instance_loss = 2.23143162287;
static const double reference_instance_dq[] = {0.118418648207, -0.443862850426, -0.0252840060521, 0.504210164786, 1.25232331012, -0.298350147446, -1.09252797922, -0.196795632812, 0.103684984008, 0.0743949599653, -0.152688149859, -0.0312427094272};
static const double reference_prototype_loss = 8.94955048475;
static const double reference_prototype_dq[] = {-0.979718027052, 0.79558069239, 2.37609351149, 3.37485576982, -1.61467901814, -1.39405296498, -0.832114126695, -0.0664447291982, -0.989884723277, 0.777886421672, 2.35520384086, 3.3558852192};

enum { B = 3, D = 4, K = 5, M = 6 };
#define TEMPERATURE 0.2

static void table(float *out, size_t rows, size_t cols, double a, double b)
{
    for (size_t i = 0; i < rows * cols; i++)
        out[i] = (float)sin(a * (double)i + b);
    hcsc_l2_normalize_rows(out, rows, cols);
}

static void compare(const float *actual, const double *expected, size_t count, double atol, double rtol)
{
    float expected_float[64];
    for (size_t i = 0; i < count; i++)
        expected_float[i] = (float)expected[i];
    char report[256];
    if (nn_check_close(actual, expected_float, count, atol, rtol, report, sizeof report) != 0)
        fail_msg("%s", report);
}

static void instance_loss_matches_pytorch(void **state)
{
    (void)state;
    float q[B * D], k[B * D], queue[K * D], mask[B * K], positive[B], negative[B * K];
    table(q, B, D, 0.7, 0.1);
    table(k, B, D, 1.3, 0.4);
    table(queue, K, D, 0.9, 0.2);
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < K; j++)
            mask[i * K + j] = (i + 2 * j) % 3 != 0 ? 1.0f : 0.0f;
    for (size_t i = 0; i < B; i++) {
        positive[i] = 0;
        for (size_t d = 0; d < D; d++)
            positive[i] += q[i * D + d] * k[i * D + d];
        for (size_t j = 0; j < K; j++) {
            negative[i * K + j] = 0;
            for (size_t d = 0; d < D; d++)
                negative[i * K + j] += q[i * D + d] * queue[j * D + d];
        }
    }
    float dpositive[B] = {0}, dnegative[B * K] = {0}, dq[B * D] = {0};
    double loss = hcsc_instance_loss(dpositive, dnegative, positive, negative, mask, B, K, TEMPERATURE,
                                     HCSC_SELECTION_ZERO, 1.0, NULL);
    assert_float_equal(loss, reference_instance_loss, 1e-5);
    for (size_t i = 0; i < B; i++)
        for (size_t d = 0; d < D; d++) {
            dq[i * D + d] += dpositive[i] * k[i * D + d];
            for (size_t j = 0; j < K; j++)
                dq[i * D + d] += dnegative[i * K + j] * queue[j * D + d];
        }
    compare(dq, reference_instance_dq, B * D, 1e-5, 1e-4);

    /* Remove mode: dropped negatives leave the softmax; check row 0 by definition. */
    double removed = hcsc_instance_loss(NULL, NULL, positive, negative, mask, B, K, TEMPERATURE,
                                        HCSC_SELECTION_REMOVE, 1.0, NULL);
    double expected = 0;
    for (size_t i = 0; i < B; i++) {
        double sum = exp(positive[i] / TEMPERATURE);
        for (size_t j = 0; j < K; j++)
            if (mask[i * K + j] != 0.0f)
                sum += exp(negative[i * K + j] / TEMPERATURE);
        expected += log(sum) - positive[i] / TEMPERATURE;
    }
    assert_float_equal(removed, expected / B, 1e-5);
    assert_true(removed < loss); /* each dropped negative took exp(0) = 1 out of the denominator */
}

/* Rows are shared out over a team in fixed blocks: 70 rows (three blocks, the
 * last short) give the same loss and gradients, bit for bit, for any team. */
static void instance_loss_is_the_same_on_any_team(void **state)
{
    (void)state;
    enum { ROWS = 70, QUEUE = 9 };
    static float positive[ROWS], negative[ROWS * QUEUE], mask[ROWS * QUEUE];
    static float dpositive[3][ROWS], dnegative[3][ROWS * QUEUE];
    table(positive, ROWS, 1, 0.3, 0.1);
    table(negative, ROWS, QUEUE, 0.7, 0.2);
    for (size_t i = 0; i < ROWS * QUEUE; i++)
        mask[i] = (float)(i % 3 != 0);
    double losses[3];
    for (unsigned threads = 1; threads <= 3; threads++) {
        nn_team *team = NULL;
        bench_error error = {0};
        assert_int_equal(nn_team_create(&team, threads, &error), BENCH_OK);
        memset(dpositive[threads - 1], 0, sizeof dpositive[0]);
        memset(dnegative[threads - 1], 0, sizeof dnegative[0]);
        losses[threads - 1] = hcsc_instance_loss(dpositive[threads - 1], dnegative[threads - 1], positive, negative,
                                                 mask, ROWS, QUEUE, 0.2, HCSC_SELECTION_REMOVE, 0.5, team);
        nn_team_free(team);
    }
    assert_true(isfinite(losses[0]));
    for (int t = 1; t < 3; t++) {
        assert_memory_equal(&losses[t], &losses[0], sizeof losses[0]);
        assert_memory_equal(dpositive[t], dpositive[0], sizeof dpositive[0]);
        assert_memory_equal(dnegative[t], dnegative[0], sizeof dnegative[0]);
    }
}

static void prototype_loss_matches_pytorch(void **state)
{
    (void)state;
    float q[B * D], centroids[M * D], phi[M], mask[B * 3];
    table(q, B, D, 0.7, 0.1);
    table(centroids, M, D, 0.5, 0.3);
    for (size_t m = 0; m < M; m++)
        phi[m] = (float)(0.1 + 0.05 * (double)m);
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < 3; j++)
            mask[i * 3 + j] = (i + j) % 2 == 0 ? 1.0f : 0.0f;
    hcsc_level level = {.cluster_count = M, .centroids = centroids, .phi = phi, .max_label = 4};
    const int32_t labels[B] = {1, 4, 1}, candidates[3] = {0, 2, 3};
    float dq[B * D] = {0};
    double loss;
    bench_error error = {0};
    assert_int_equal(hcsc_prototype_loss(&loss, dq, q, B, D, &level, labels, candidates, 3, mask,
                                         HCSC_SELECTION_ZERO, 1.0, &error),
                     BENCH_OK);
    assert_float_equal(loss, reference_prototype_loss, 1e-4);
    compare(dq, reference_prototype_dq, B * D, 1e-4, 1e-4);
    /* The weight scales loss gradients linearly (levels are averaged with 1/L). */
    float half[B * D] = {0};
    assert_int_equal(hcsc_prototype_loss(&loss, half, q, B, D, &level, labels, candidates, 3, mask,
                                         HCSC_SELECTION_ZERO, 0.5, &error),
                     BENCH_OK);
    for (size_t i = 0; i < B * D; i++)
        assert_float_equal(half[i], 0.5 * dq[i], 1e-6);
}

TEST_MAIN("hcsc_loss", NULL, NULL,
        cmocka_unit_test(instance_loss_matches_pytorch),
        cmocka_unit_test(instance_loss_is_the_same_on_any_team),
        cmocka_unit_test(prototype_loss_matches_pytorch))
