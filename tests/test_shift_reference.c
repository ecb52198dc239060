/* The detector's loss kernels of domain_shift/ against PyTorch: CenterNet's
 * focal loss (alpha 2, beta 4) with its Gaussian targets, the L1 size and
 * offset heads, the pixel discriminators' BCE, and PSN's prototype terms
 * (batch prototypes, blend alpha = (cos + 1)/2, L_p = 0.5 (L_intra + L_inter))
 * with the gradient into the features of both domains.  Vectors come from
 * tests/reference/gen_shift_reference.py (format of tests/reference/nn/).
 * Tolerance |a - b| <= 1e-6 + 1e-4 |b| for tensors (gradients are 1e-3 to
 * 0.2), 1e-6 + 1e-5 |b| for losses; every comparison prints its worst element. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_shift/centernet.h"
#include "domain_shift/xray.h"
#include "nn/check.h"
#include "nn/loss.h"
#include "tests/support_reference.h"
#include "support_cmocka.h"

#define REF_ATOL 1e-6
#define REF_RTOL 1e-4
#define LOSS_ATOL 1e-6
#define LOSS_RTOL 1e-5
typedef test_reference reference;

static float *ref_floats(const reference *ref, const char *name, size_t expected)
{
    return test_reference_floats(ref, name, expected);
}

static double ref_scalar(const reference *ref, const char *name)
{
    return test_reference_scalar(ref, name);
}

/* Compares a tensor, prints the worst element, returns 1 on a mismatch. */
static int ref_compare(const reference *ref, const char *name, const float *actual, size_t count)
{
    char report[256];
    size_t bad = nn_check_close(actual, ref_floats(ref, name, count), count, REF_ATOL, REF_RTOL, report, sizeof report);
    print_message("%s %s: %s\n", ref->block, name, report);
    return bad != 0;
}

static int ref_compare_loss(const reference *ref, const char *name, double actual)
{
    double expected = ref_scalar(ref, name), error = fabs(actual - expected);
    int bad = !(error <= LOSS_ATOL + LOSS_RTOL * fabs(expected));
    print_message("%s %s: actual %.10g, expected %.10g (|a-b| %.2g)\n", ref->block, name, actual, expected, error);
    return bad;
}

/* ---- focal loss and its Gaussian targets ------------------------------------------ */
static void focal_loss_matches_pytorch(void **state)
{
    (void)state;
    enum { IMAGES = 2, CLASSES = 3, OUT = 10, CELLS = OUT * OUT, IMAGE_SIZE = 40, OBJECTS = 5 };
    reference ref;
    test_reference_load(&ref, "shift", "focal");
    const double *objects = test_reference_doubles(&ref, "objects", OBJECTS * 6);
    /* The targets, rebuilt by shift_build_targets from the same VOC boxes. */
    float targets[IMAGES * CLASSES * CELLS];
    for (size_t image = 0; image < IMAGES; image++) {
        shift_object boxes[SHIFT_MAX_OBJECTS];
        size_t count = 0;
        for (size_t k = 0; k < OBJECTS; k++)
            if ((size_t)objects[6 * k] == image)
                boxes[count++] = (shift_object){.class_index = (int)objects[6 * k + 1],
                                                .box = {objects[6 * k + 2], objects[6 * k + 3], objects[6 * k + 4],
                                                        objects[6 * k + 5]}};
        float heatmap[SHIFT_CLASS_COUNT * CELLS], size[2 * SHIFT_MAX_OBJECTS], offset[2 * SHIFT_MAX_OBJECTS];
        int32_t index[SHIFT_MAX_OBJECTS];
        shift_targets t = {heatmap, index, size, offset, 0};
        shift_build_targets(&t, boxes, count, SHIFT_MAX_OBJECTS, IMAGE_SIZE, 0);
        assert_int_equal(t.object_count, count);
        memcpy(targets + image * CLASSES * CELLS, heatmap, sizeof(float) * CLASSES * CELLS);
        for (size_t i = CLASSES * CELLS; i < SHIFT_CLASS_COUNT * CELLS; i++)
            assert_float_equal(heatmap[i], 0.0, 0.0); /* classes without objects stay empty */
    }
    int bad = ref_compare(&ref, "target", targets, IMAGES * CLASSES * CELLS);

    const float *logits = ref_floats(&ref, "logits", IMAGES * CLASSES * CELLS);
    const float *target = ref_floats(&ref, "target", IMAGES * CLASSES * CELLS);
    float gradient[IMAGES * CLASSES * CELLS] = {0};
    double loss = shift_focal_loss(gradient, logits, target, IMAGES * CLASSES * CELLS, 2.0, 4.0);
    bad |= ref_compare_loss(&ref, "loss", loss);
    bad |= ref_compare(&ref, "grad.logits", gradient, IMAGES * CLASSES * CELLS);
    test_reference_free(&ref);
    if (bad)
        fail_msg("focal loss differs from PyTorch (see above)");
}

/* ---- L1 size and offset heads ------------------------------------------------------ */
static void l1_heads_match_pytorch(void **state)
{
    (void)state;
    enum { CELLS = 36, OBJECTS = 3 };
    reference ref;
    test_reference_load(&ref, "shift", "reg_l1");
    int bad = 0;
    const char *heads[2] = {"size", "offset"};
    for (int h = 0; h < 2; h++) {
        char name[64];
        snprintf(name, sizeof name, "%s.index", heads[h]);
        const double *index_values = test_reference_doubles(&ref, name, OBJECTS);
        int32_t index[OBJECTS];
        for (int k = 0; k < OBJECTS; k++)
            index[k] = (int32_t)index_values[k];
        snprintf(name, sizeof name, "%s.pred", heads[h]);
        const float *pred = ref_floats(&ref, name, 2 * CELLS);
        snprintf(name, sizeof name, "%s.target", heads[h]);
        const float *target = ref_floats(&ref, name, 2 * OBJECTS);
        snprintf(name, sizeof name, "%s.weight", heads[h]);
        double weight = ref_scalar(&ref, name);
        float gradient[2 * CELLS] = {0};
        double loss = shift_reg_l1_loss(gradient, pred, CELLS, index, target, OBJECTS, weight);
        snprintf(name, sizeof name, "%s.loss", heads[h]);
        bad |= ref_compare_loss(&ref, name, loss);
        snprintf(name, sizeof name, "%s.grad.pred", heads[h]);
        bad |= ref_compare(&ref, name, gradient, 2 * CELLS);
    }
    test_reference_free(&ref);
    if (bad)
        fail_msg("L1 heads differ from PyTorch (see above)");
}

/* ---- pixel discriminator BCE ------------------------------------------------------- */
static void discriminator_bce_matches_pytorch(void **state)
{
    (void)state;
    enum { COUNT = 4 * 12 };
    reference ref;
    test_reference_load(&ref, "shift", "bce");
    float gradient[COUNT] = {0};
    /* mean over pixels, as each stage of the pixel discriminators */
    double loss = nn_bce_with_logits_loss(gradient, ref_floats(&ref, "logits", COUNT), ref_floats(&ref, "target", COUNT),
                                          NULL, COUNT, (double)COUNT);
    int bad = ref_compare_loss(&ref, "loss", loss);
    bad |= ref_compare(&ref, "grad.logits", gradient, COUNT);
    test_reference_free(&ref);
    if (bad)
        fail_msg("discriminator BCE differs from PyTorch (see above)");
}

/* ---- PSN prototypes ------------------------------------------------------------------- */
static void prototype_terms_match_pytorch(void **state)
{
    (void)state;
    enum { N = 2, D = 4, C = 3, X = 9 };
    reference ref;
    test_reference_load(&ref, "shift", "prototypes");
    const char *domains[2] = {"source", "target"};
    float z[2][C * D], sums[2][C], blended[2][C * D], alpha[2][C], d_blended[2][C * D] = {{0}};
    int bad = 0;
    char name[64];
    /* The order of the detector's prototype_terms: batch prototypes, blend, L_p,
     * dz = alpha dL/dblended (alpha detached), back into the features. */
    for (int d = 0; d < 2; d++) {
        snprintf(name, sizeof name, "%s.features", domains[d]);
        const float *features = ref_floats(&ref, name, N * D * X);
        snprintf(name, sizeof name, "%s.probabilities", domains[d]);
        const float *probabilities = ref_floats(&ref, name, N * C * X);
        snprintf(name, sizeof name, "%s.running", domains[d]);
        const float *running = ref_floats(&ref, name, C * D);
        shift_prototypes_batch(z[d], sums[d], features, probabilities, N, D, C, X);
        shift_prototypes_blend(blended[d], alpha[d], running, z[d], C, D);
        snprintf(name, sizeof name, "%s.z", domains[d]);
        bad |= ref_compare(&ref, name, z[d], C * D);
        snprintf(name, sizeof name, "%s.alpha", domains[d]);
        bad |= ref_compare(&ref, name, alpha[d], C);
        snprintf(name, sizeof name, "%s.blended", domains[d]);
        bad |= ref_compare(&ref, name, blended[d], C * D);
    }
    double loss = shift_prototype_loss(d_blended[0], d_blended[1], blended[0], blended[1], C, D, 1.0);
    bad |= ref_compare_loss(&ref, "loss", loss);
    for (int d = 0; d < 2; d++) {
        float dz[C * D], d_features[N * D * X] = {0};
        for (int c = 0; c < C; c++)
            for (int k = 0; k < D; k++)
                dz[c * D + k] = alpha[d][c] * d_blended[d][c * D + k];
        snprintf(name, sizeof name, "%s.probabilities", domains[d]);
        shift_prototypes_batch_backward(d_features, dz, sums[d], ref_floats(&ref, name, N * C * X), N, D, C, X);
        snprintf(name, sizeof name, "grad.%s.features", domains[d]);
        bad |= ref_compare(&ref, name, d_features, N * D * X);
    }
    test_reference_free(&ref);
    if (bad)
        fail_msg("prototype terms differ from PyTorch (see above)");
}

TEST_MAIN("shift_reference", NULL, NULL,
        cmocka_unit_test(focal_loss_matches_pytorch),
        cmocka_unit_test(l1_heads_match_pytorch),
        cmocka_unit_test(discriminator_bce_matches_pytorch),
        cmocka_unit_test(prototype_terms_match_pytorch))
