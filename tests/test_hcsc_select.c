/* HCSC's instance and prototype selection on hand-made prototypes, where the
 * keep probabilities have closed forms, and the Bernoulli masks drawn from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "hcsc/select.h"
#include "support_cmocka.h"

static void instance_keep_probability_by_hand(void **state)
{
    (void)state;
    /* Two unit prototypes on the axes, φ = 0.5 each; keys on the axes and at (0.6, 0.8). */
    const float centroids[] = {1, 0, 0, 1}, phi[] = {0.5f, 0.5f};
    const float queue[] = {1, 0, 0, 1, 0.6f, 0.8f};
    const int32_t labels[] = {0, 1};
    float keep[6];
    bench_error error = {0};
    assert_int_equal(hcsc_instance_keep_probability(keep, queue, 3, centroids, phi, 2, 2, labels, 2, &error),
                     BENCH_OK);
    /* Query in cluster 0: key k0 sits on prototype 0, P(0 | k0) = e²/(e² + 1). */
    double e2 = exp(2.0);
    assert_float_equal(keep[0], 1.0 / (1.0 + e2), 1e-6);
    assert_float_equal(keep[1], e2 / (1.0 + e2), 1e-6);
    /* k2: logits (1.2, 1.6); P(0 | k2) = 1 / (1 + e^0.4). */
    assert_float_equal(keep[2], 1.0 - 1.0 / (1.0 + exp(0.4)), 1e-6);
    /* Query in cluster 1: the complements. */
    assert_float_equal(keep[3], e2 / (1.0 + e2), 1e-6);
    assert_float_equal(keep[4], 1.0 / (1.0 + e2), 1e-6);
    assert_float_equal(keep[5], 1.0 / (1.0 + exp(0.4)), 1e-6);

    /* φ below the floor is raised to 1e-3; the near-certain cases clamp to [0, 0.999]. */
    const float tiny_phi[] = {1e-6f, 1e-6f};
    assert_int_equal(hcsc_instance_keep_probability(keep, queue, 3, centroids, tiny_phi, 2, 2, labels, 2, &error),
                     BENCH_OK);
    assert_float_equal(keep[0], 0.0, 1e-12);         /* exp(−1000) → P = 1 → 1 − 1 = 0 */
    assert_float_equal(keep[1], 0.999, 1e-6);        /* would be 1 − e^−1000: clamped */
    assert_float_equal(keep[2], 0.999, 1e-6);        /* logits 1200 vs 1600 */
}

static void negative_prototypes_follow_official_code(void **state)
{
    (void)state;
    int32_t candidates[8];
    const int32_t labels[] = {2, 0, 2};
    /* {0..4} minus {0, 2}: the highest label (5) is never a candidate. */
    size_t count = hcsc_negative_prototypes(candidates, 5, labels, 3);
    assert_int_equal(count, 3);
    assert_int_equal(candidates[0], 1);
    assert_int_equal(candidates[1], 3);
    assert_int_equal(candidates[2], 4);
}

static void prototype_keep_probability_by_hand(void **state)
{
    (void)state;
    /* Level l has 4 prototypes, level l+1 has 2; A = C^l (C^{l+1})ᵀ given directly. */
    const float parent_logits[] = {0.9f, 0.1f, 0.2f, 0.8f, 0.5f, 0.5f, 1.0f, 0.0f};
    const float parent_phi[] = {0.1f, 0.3f}; /* mean 0.2 = τ, so φ̃ = φ */
    const int32_t parent[] = {0, 1, 1, 0};
    const int32_t labels[] = {0, 1};
    const int32_t candidates[] = {1, 2, 3};
    float keep[6];
    bench_error error = {0};
    assert_int_equal(hcsc_prototype_keep_probability(keep, candidates, 3, parent_logits, parent_phi, 2, parent,
                                                     labels, 2, 0.2, &error),
                     BENCH_OK);
    /* Query 0 has parent 0.  Candidate 1: logits (2, 8/3) → P(0) = 1/(1 + e^{2/3}). */
    assert_float_equal(keep[0], 1.0 - 1.0 / (1.0 + exp(2.0 / 3.0)), 1e-6);
    /* Candidate 2: logits (5, 5/3) → P(0) = 1/(1 + e^{−10/3}). */
    assert_float_equal(keep[1], 1.0 - 1.0 / (1.0 + exp(-10.0 / 3.0)), 1e-6);
    /* Candidate 3: logits (10, 0) → P(0) ≈ 1 − 4.5e-5 → keep clamped up to 1e-4. */
    assert_float_equal(keep[2], 1e-4, 1e-9);
    /* Query 1 has parent 1: the complements (candidate 3 would keep 1 − 4.5e-5, clamped to 0.999). */
    assert_float_equal(keep[3], 1.0 / (1.0 + exp(2.0 / 3.0)), 1e-6);
    assert_float_equal(keep[4], 1.0 / (1.0 + exp(-10.0 / 3.0)), 1e-6);
    assert_float_equal(keep[5], 0.999, 1e-6);

    /* φ̃ rescales φ^{l+1} to mean τ: doubling every φ changes nothing. */
    const float doubled_phi[] = {0.2f, 0.6f};
    float again[6];
    assert_int_equal(hcsc_prototype_keep_probability(again, candidates, 3, parent_logits, doubled_phi, 2, parent,
                                                     labels, 2, 0.2, &error),
                     BENCH_OK);
    for (size_t i = 0; i < 6; i++)
        assert_float_equal(again[i], keep[i], 1e-6);
}

static void bernoulli_masks_follow_probabilities(void **state)
{
    (void)state;
    enum { count = 100000 };
    static float keep[count], mask[count], again[count];
    for (size_t i = 0; i < count; i++)
        keep[i] = i % 4 == 0 ? 0.0f : (i % 4 == 1 ? 1.0f : (i % 4 == 2 ? 0.3f : 0.999f));
    bench_rng rng;
    bench_rng_seed(&rng, 123);
    hcsc_bernoulli_mask(mask, keep, count, &rng);
    double kept[4] = {0};
    for (size_t i = 0; i < count; i++) {
        assert_true(mask[i] == 0.0f || mask[i] == 1.0f);
        kept[i % 4] += mask[i];
    }
    assert_float_equal(kept[0], 0.0, 0.0);
    assert_float_equal(kept[1], count / 4, 0.0);
    assert_float_equal(kept[2] / (count / 4), 0.3, 0.01); /* 4σ ≈ 0.0116 */
    assert_float_equal(kept[3] / (count / 4), 0.999, 0.001);
    bench_rng_seed(&rng, 123);
    hcsc_bernoulli_mask(again, keep, count, &rng);
    assert_memory_equal(again, mask, sizeof mask);
}

TEST_MAIN("hcsc_select", NULL, NULL,
        cmocka_unit_test(instance_keep_probability_by_hand),
        cmocka_unit_test(negative_prototypes_follow_official_code),
        cmocka_unit_test(prototype_keep_probability_by_hand),
        cmocka_unit_test(bernoulli_masks_follow_probabilities))
