/* Detection evaluation as EDS/PSN score it (reference: PSN lib/datasets/voc_eval.py):
 * per-class average precision at IoU > 0.5 (strict), VOC "+1" pixel areas, each
 * detection in descending score order takes the unmatched ground truth of its
 * image with the highest IoU; a second hit on a matched box is a false positive;
 * `difficult` boxes are neither TP nor FP and are not counted as positives.
 *
 * Three ways to turn the precision/recall sequence into AP, all from the same
 * matching: VOC2010+ all-point (EDS's choice), VOC07 11-point with numpy
 * `arange` thresholds t = i*0.1 (so 0.6000000000000001 > a recall of 0.6), and
 * COCO's 101-point `searchsorted(..., 'left')` scheme. */
#ifndef SHIFT_EVAL_H
#define SHIFT_EVAL_H

#include <stddef.h>

#include "bench/error.h"
#include "domain_shift/classes.h"

/* A box in VOC pixel coordinates: 1-based, inclusive corners, as in the XML. */
typedef struct shift_box {
    double x_min, y_min, x_max, y_max;
} shift_box;

typedef struct shift_ground_truth {
    size_t image;     /* index of the image in the evaluated set */
    int class_index;  /* 0 .. SHIFT_CLASS_COUNT-1 */
    int difficult;
    shift_box box;
} shift_ground_truth;

typedef struct shift_detection {
    size_t image;
    int class_index;
    double score;
    shift_box box;
} shift_detection;

typedef enum {
    SHIFT_AP_ALL_POINT = 0, /* VOC2010+, used by EDS/PSN */
    SHIFT_AP_VOC07_11 = 1,  /* VOC07 11-point, numpy arange thresholds */
    SHIFT_AP_COCO_101 = 2   /* COCO 101-point recall grid */
} shift_ap_mode;

/* Parses "all_point" | "voc07" | "coco101"; BENCH_BAD_INPUT names the choices. */
int shift_ap_mode_parse(const char *text, shift_ap_mode *out, bench_error *error);
const char *shift_ap_mode_name(shift_ap_mode mode);

/* IoU with VOC's "+1" convention: width = x_max - x_min + 1. */
double shift_iou(const shift_box *a, const shift_box *b);

/* AP of one class from its detections already sorted by descending score:
 * is_true_positive[i] is 1 for a TP, 0 for an FP; positives = number of
 * non-difficult ground-truth boxes (> 0). */
double shift_ap_from_matches(const unsigned char *is_true_positive, size_t count, size_t positives,
                             shift_ap_mode mode);

/* Per-class AP and mAP of a detection set against ground truth over
 * image_count images.  ap_per_class (SHIFT_CLASS_COUNT) receives NaN for a
 * class without positives; *mean_ap averages the classes that have positives
 * (NaN when none has).  iou_threshold is strict (EDS: 0.5).  Detections with
 * equal scores keep their input order.  Fails with BENCH_BAD_INPUT on an image
 * or class index out of range, BENCH_NO_MEMORY on allocation failure. */
int shift_evaluate(const shift_detection *detections, size_t detection_count,
                   const shift_ground_truth *truths, size_t truth_count, size_t image_count,
                   double iou_threshold, shift_ap_mode mode, double *ap_per_class, double *mean_ap,
                   bench_error *error);

#endif
