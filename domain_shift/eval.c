#include "domain_shift/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int shift_ap_mode_parse(const char *text, shift_ap_mode *out, bench_error *error)
{
    static const char *const names[] = {"all_point", "voc07", "coco101"};
    for (int i = 0; i < 3; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (shift_ap_mode)i;
            return BENCH_OK;
        }
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "unknown AP mode '%s'; choose all_point, voc07 or coco101", text);
}

const char *shift_ap_mode_name(shift_ap_mode mode)
{
    switch (mode) {
    case SHIFT_AP_ALL_POINT: return "all_point";
    case SHIFT_AP_VOC07_11: return "voc07";
    case SHIFT_AP_COCO_101: return "coco101";
    }
    return "unknown";
}

double shift_iou(const shift_box *a, const shift_box *b)
{
    double inter_w = fmin(a->x_max, b->x_max) - fmax(a->x_min, b->x_min) + 1.0;
    double inter_h = fmin(a->y_max, b->y_max) - fmax(a->y_min, b->y_min) + 1.0;
    if (inter_w <= 0.0 || inter_h <= 0.0)
        return 0.0;
    double intersection = inter_w * inter_h;
    double area_a = (a->x_max - a->x_min + 1.0) * (a->y_max - a->y_min + 1.0);
    double area_b = (b->x_max - b->x_min + 1.0) * (b->y_max - b->y_min + 1.0);
    return intersection / (area_a + area_b - intersection);
}

/* Precision and recall after each detection, with voc_eval's eps guard. */
static void precision_recall(const unsigned char *is_tp, size_t count, size_t positives, double *precision,
                             double *recall)
{
    double tp = 0.0, fp = 0.0;
    for (size_t i = 0; i < count; i++) {
        tp += is_tp[i] ? 1.0 : 0.0;
        fp += is_tp[i] ? 0.0 : 1.0;
        recall[i] = tp / (double)positives;
        precision[i] = tp / fmax(tp + fp, 2.220446049250313e-16);
    }
}

double shift_ap_from_matches(const unsigned char *is_true_positive, size_t count, size_t positives,
                             shift_ap_mode mode)
{
    if (positives == 0)
        return NAN;
    if (count == 0)
        return 0.0;
    double *precision = malloc(2 * (count + 2) * sizeof *precision);
    if (precision == NULL)
        return NAN;
    double *recall = precision + count + 2;
    double ap = 0.0;
    if (mode == SHIFT_AP_ALL_POINT) {
        /* mrec = [0, rec..., 1], mpre = [0, prec..., 0], precision envelope from the right. */
        precision_recall(is_true_positive, count, positives, precision + 1, recall + 1);
        recall[0] = 0.0;
        precision[0] = 0.0;
        recall[count + 1] = 1.0;
        precision[count + 1] = 0.0;
        for (size_t i = count + 1; i > 0; i--)
            precision[i - 1] = fmax(precision[i - 1], precision[i]);
        for (size_t i = 0; i + 1 < count + 2; i++)
            if (recall[i + 1] != recall[i])
                ap += (recall[i + 1] - recall[i]) * precision[i + 1];
    } else if (mode == SHIFT_AP_VOC07_11) {
        precision_recall(is_true_positive, count, positives, precision, recall);
        for (int step = 0; step <= 10; step++) {
            double threshold = step * 0.1; /* numpy arange: 3, 6, 7 land just above i/10 */
            double best = 0.0;
            for (size_t i = 0; i < count; i++)
                if (recall[i] >= threshold && precision[i] > best)
                    best = precision[i];
            ap += best / 11.0;
        }
    } else {
        precision_recall(is_true_positive, count, positives, precision, recall);
        for (size_t i = count - 1; i > 0; i--)
            if (precision[i] > precision[i - 1])
                precision[i - 1] = precision[i];
        double sum = 0.0;
        size_t k = 0;
        for (int step = 0; step <= 100; step++) {
            double threshold = step * 0.01; /* np.linspace(0, 1, 101) agrees with i*0.01 on every element */
            while (k < count && recall[k] < threshold)
                k++;
            sum += k < count ? precision[k] : 0.0;
        }
        ap = sum / 101.0;
    }
    free(precision);
    return ap;
}

typedef struct ranked_detection {
    double score;
    size_t order;
} ranked_detection;

static int by_descending_score(const void *left, const void *right)
{
    const ranked_detection *a = left, *b = right;
    if (a->score > b->score)
        return -1;
    if (a->score < b->score)
        return 1;
    return (a->order > b->order) - (a->order < b->order);
}

int shift_evaluate(const shift_detection *detections, size_t detection_count,
                   const shift_ground_truth *truths, size_t truth_count, size_t image_count,
                   double iou_threshold, shift_ap_mode mode, double *ap_per_class, double *mean_ap,
                   bench_error *error)
{
    for (size_t i = 0; i < detection_count; i++)
        if (detections[i].image >= image_count || detections[i].class_index < 0 ||
            detections[i].class_index >= SHIFT_CLASS_COUNT)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "detection %zu: image %zu or class %d out of range", i,
                              detections[i].image, detections[i].class_index);
    for (size_t i = 0; i < truth_count; i++)
        if (truths[i].image >= image_count || truths[i].class_index < 0 ||
            truths[i].class_index >= SHIFT_CLASS_COUNT)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "ground truth %zu: image %zu or class %d out of range", i,
                              truths[i].image, truths[i].class_index);

    ranked_detection *ranked = malloc((detection_count + 1) * sizeof *ranked);
    unsigned char *is_tp = malloc(detection_count + 1);
    unsigned char *matched = calloc(truth_count + 1, 1);
    /* Ground truth grouped by image: first[image] .. first[image+1] index into by_image. */
    size_t *first = calloc(image_count + 1, sizeof *first);
    size_t *by_image = malloc((truth_count + 1) * sizeof *by_image);
    if (ranked == NULL || is_tp == NULL || matched == NULL || first == NULL || by_image == NULL) {
        free(ranked), free(is_tp), free(matched), free(first), free(by_image);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "evaluation buffers for %zu detections", detection_count);
    }
    for (size_t i = 0; i < truth_count; i++)
        first[truths[i].image + 1]++;
    for (size_t i = 0; i < image_count; i++)
        first[i + 1] += first[i];
    {
        size_t *fill = calloc(image_count + 1, sizeof *fill);
        if (fill == NULL) {
            free(ranked), free(is_tp), free(matched), free(first), free(by_image);
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "evaluation index");
        }
        for (size_t i = 0; i < truth_count; i++)
            by_image[first[truths[i].image] + fill[truths[i].image]++] = i;
        free(fill);
    }

    double ap_sum = 0.0;
    int classes_with_positives = 0;
    for (int c = 0; c < SHIFT_CLASS_COUNT; c++) {
        size_t positives = 0;
        for (size_t i = 0; i < truth_count; i++)
            positives += truths[i].class_index == c && !truths[i].difficult;
        size_t count = 0;
        for (size_t i = 0; i < detection_count; i++)
            if (detections[i].class_index == c)
                ranked[count++] = (ranked_detection){detections[i].score, i};
        qsort(ranked, count, sizeof *ranked, by_descending_score);
        size_t kept = 0; /* detections matched to a difficult box are dropped, as voc_eval does */
        for (size_t r = 0; r < count; r++) {
            const shift_detection *d = &detections[ranked[r].order];
            double best_iou = -INFINITY;
            size_t best = (size_t)-1;
            for (size_t k = first[d->image]; k < first[d->image + 1]; k++) {
                const shift_ground_truth *g = &truths[by_image[k]];
                if (g->class_index != c)
                    continue;
                double overlap = shift_iou(&d->box, &g->box);
                if (overlap > best_iou) {
                    best_iou = overlap;
                    best = by_image[k];
                }
            }
            if (best != (size_t)-1 && best_iou > iou_threshold) {
                if (truths[best].difficult)
                    continue;
                if (!matched[best]) {
                    matched[best] = 1;
                    is_tp[kept++] = 1;
                } else {
                    is_tp[kept++] = 0;
                }
            } else {
                is_tp[kept++] = 0;
            }
        }
        ap_per_class[c] = shift_ap_from_matches(is_tp, kept, positives, mode);
        if (positives > 0) {
            ap_sum += ap_per_class[c];
            classes_with_positives++;
        }
    }
    *mean_ap = classes_with_positives ? ap_sum / classes_with_positives : NAN;
    free(ranked), free(is_tp), free(matched), free(first), free(by_image);
    return BENCH_OK;
}
