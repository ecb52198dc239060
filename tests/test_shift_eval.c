/* Detection evaluation: IoU conventions and the AP test vector of
 * /work/shared/reference/ap_vectors.py (one class, 5 positives, detections by
 * score TP, FP, TP, TP, FP, FP, TP). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "domain_shift/classes.h"
#include "domain_shift/eval.h"
#include "support_cmocka.h"

static const unsigned char reference_matches[7] = {1, 0, 1, 1, 0, 0, 1};

static void ap_matches_reference_vector(void **state)
{
    (void)state;
    assert_float_equal(shift_ap_from_matches(reference_matches, 7, 5, SHIFT_AP_ALL_POINT), 0.614286, 5e-7);
    assert_float_equal(shift_ap_from_matches(reference_matches, 7, 5, SHIFT_AP_VOC07_11), 0.633117, 5e-7);
    assert_float_equal(shift_ap_from_matches(reference_matches, 7, 5, SHIFT_AP_COCO_101), 0.618105, 5e-7);
    /* Full precision from ap_vectors.py. */
    assert_float_equal(shift_ap_from_matches(reference_matches, 7, 5, SHIFT_AP_ALL_POINT), 0.6142857142857143, 1e-15);
    assert_float_equal(shift_ap_from_matches(reference_matches, 7, 5, SHIFT_AP_VOC07_11), 0.6331168831168831, 1e-15);
    assert_float_equal(shift_ap_from_matches(reference_matches, 7, 5, SHIFT_AP_COCO_101), 0.6181046676096177, 1e-15);
}

static void iou_uses_voc_plus_one(void **state)
{
    (void)state;
    shift_box a = {1, 1, 10, 10}, b = {6, 1, 15, 10}, far = {20, 20, 30, 30};
    assert_float_equal(shift_iou(&a, &a), 1.0, 1e-15);
    /* 10x10 boxes overlapping in 5 columns: 50 / (100 + 100 - 50). */
    assert_float_equal(shift_iou(&a, &b), 50.0 / 150.0, 1e-15);
    assert_float_equal(shift_iou(&a, &far), 0.0, 0.0);
    shift_box touching = {11, 1, 20, 10}; /* shares no pixel column */
    assert_float_equal(shift_iou(&a, &touching), 0.0, 0.0);
    shift_box one_column = {10, 1, 19, 10}; /* shares column 10: 10 / 190 */
    assert_float_equal(shift_iou(&a, &one_column), 10.0 / 190.0, 1e-15);
}

/* The same vector through the full matcher: 5 ground-truth boxes on 5 images,
 * detections that hit, miss, or duplicate them. */
static void evaluate_reproduces_vector_through_matching(void **state)
{
    (void)state;
    shift_ground_truth truths[6];
    for (size_t i = 0; i < 5; i++)
        truths[i] = (shift_ground_truth){.image = i, .class_index = 3, .box = {10, 10, 30, 30}};
    /* A box of another class on image 0 must not be matched by class-3 detections. */
    truths[5] = (shift_ground_truth){.image = 0, .class_index = 7, .box = {50, 50, 70, 70}};
    shift_box hit = {11, 11, 30, 31}, miss = {60, 60, 80, 80};
    shift_detection detections[] = {
        {0, 3, 0.9, hit},  /* TP on image 0 */
        {0, 3, 0.8, hit},  /* duplicate of a matched box: FP */
        {1, 3, 0.7, hit},  /* TP */
        {2, 3, 0.6, hit},  /* TP */
        {0, 3, 0.5, {50, 50, 70, 70}}, /* on the class-7 box: FP for class 3 */
        {3, 3, 0.4, miss}, /* FP */
        {3, 3, 0.3, hit},  /* TP */
        {4, 7, 0.2, hit},  /* class 7 on an image without class 7: FP there */
    };
    double ap[SHIFT_CLASS_COUNT], mean_ap = 0;
    bench_error error = {0};
    assert_int_equal(shift_evaluate(detections, 8, truths, 6, 5, 0.5, SHIFT_AP_ALL_POINT, ap, &mean_ap, &error),
                     BENCH_OK);
    assert_float_equal(ap[3], 0.614286, 5e-7);
    assert_float_equal(ap[7], 0.0, 0.0);
    assert_true(isnan(ap[0]));
    assert_float_equal(mean_ap, 0.614286 / 2.0, 5e-7);
    /* Scores given out of order give the same answer. */
    shift_detection reversed[8];
    for (int i = 0; i < 8; i++)
        reversed[i] = detections[7 - i];
    assert_int_equal(shift_evaluate(reversed, 8, truths, 6, 5, 0.5, SHIFT_AP_COCO_101, ap, &mean_ap, &error), BENCH_OK);
    assert_float_equal(ap[3], 0.618105, 5e-7);
}

static void iou_threshold_is_strict(void **state)
{
    (void)state;
    /* IoU exactly 0.5: 10x10 truth, detection 10x20 containing it -> 100/200. */
    shift_ground_truth truth = {.image = 0, .class_index = 0, .box = {1, 1, 10, 10}};
    shift_detection detection = {0, 0, 1.0, {1, 1, 10, 20}};
    assert_float_equal(shift_iou(&truth.box, &detection.box), 0.5, 0.0);
    double ap[SHIFT_CLASS_COUNT], mean_ap;
    assert_int_equal(shift_evaluate(&detection, 1, &truth, 1, 1, 0.5, SHIFT_AP_ALL_POINT, ap, &mean_ap, NULL), BENCH_OK);
    assert_float_equal(ap[0], 0.0, 0.0);
}

static void difficult_boxes_are_ignored(void **state)
{
    (void)state;
    shift_ground_truth truths[2] = {{.image = 0, .class_index = 1, .difficult = 1, .box = {1, 1, 10, 10}},
                                    {.image = 0, .class_index = 1, .box = {40, 40, 60, 60}}};
    shift_detection detections[2] = {{0, 1, 0.9, {1, 1, 10, 10}}, {0, 1, 0.8, {40, 40, 60, 60}}};
    double ap[SHIFT_CLASS_COUNT], mean_ap;
    assert_int_equal(shift_evaluate(detections, 2, truths, 2, 1, 0.5, SHIFT_AP_ALL_POINT, ap, &mean_ap, NULL), BENCH_OK);
    assert_float_equal(ap[1], 1.0, 1e-15);
}

static void bad_indices_and_names(void **state)
{
    (void)state;
    shift_detection detection = {3, 0, 1.0, {1, 1, 2, 2}};
    double ap[SHIFT_CLASS_COUNT], mean_ap;
    bench_error error = {0};
    assert_int_equal(shift_evaluate(&detection, 1, NULL, 0, 2, 0.5, SHIFT_AP_ALL_POINT, ap, &mean_ap, &error),
                     BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "image 3"));
    shift_ap_mode mode;
    assert_int_equal(shift_ap_mode_parse("voc12", &mode, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "all_point"));
    assert_int_equal(shift_ap_mode_parse("coco101", &mode, &error), BENCH_OK);
    assert_int_equal(mode, SHIFT_AP_COCO_101);
    assert_int_equal(shift_class_index("smallelectronicequipmen"), 4);
    assert_int_equal(shift_class_index("Laptop"), -1);
    assert_string_equal(shift_classes()[4].display, "Device");
}

TEST_MAIN("shift_eval", NULL, NULL,
        cmocka_unit_test(ap_matches_reference_vector),
        cmocka_unit_test(iou_uses_voc_plus_one),
        cmocka_unit_test(evaluate_reproduces_vector_through_matching),
        cmocka_unit_test(iou_threshold_is_strict),
        cmocka_unit_test(difficult_boxes_are_ignored),
        cmocka_unit_test(bad_indices_and_names))
