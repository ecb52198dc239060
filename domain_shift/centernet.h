/* Detector-specific kernels: CenterNet targets, losses and decoding
 * (xingyizhou/CenterNet src/lib/models/losses.py, utils/image.py), the
 * gradient-reversal layer and PSN's category-dependent prototype alignment
 * (PSN lib/model/gcn/gcn.py, adapted from RoIs to heatmap locations).
 * Generic layers (conv, batchnorm, linear, BCE) live in nn/.
 *
 * Conventions as nn/: outputs first, backward ADDS into gradients, shapes in
 * comments, no allocation inside kernels except where a caller-owned
 * workspace would be unreasonable (noted). */
#ifndef SHIFT_CENTERNET_H
#define SHIFT_CENTERNET_H

#include <stddef.h>
#include <stdint.h>

#include "domain_shift/eval.h"
#include "domain_shift/voc_xml.h"

#define SHIFT_STRIDE 4
#define SHIFT_HEAD_CHANNELS (SHIFT_CLASS_COUNT + 4) /* heatmap logits, size (w, h), offset (x, y) */

/* Targets of one image at output resolution (out_size = image size / 4). */
typedef struct shift_targets {
    float *heatmap;      /* (classes, out, out): Gaussian peaks, element-wise max */
    int32_t *index;      /* (max_objects) flat cell y*out+x of each object centre */
    float *size;         /* (max_objects, 2) box width, height in output cells */
    float *offset;       /* (max_objects, 2) sub-cell centre offset in [0, 1) */
    size_t object_count;
} shift_targets;

/* CenterNet's gaussian_radius((h, w), min_overlap) (output cells). */
double shift_gaussian_radius(double height, double width, double min_overlap);

/* Fills targets for objects of an image of image_size pixels (VOC boxes);
 * heatmap must hold classes·out·out floats, the rest max_objects entries.
 * flip mirrors the image horizontally (augmentation).  Objects past
 * max_objects are ignored (never happens: at most SHIFT_MAX_OBJECTS). */
void shift_build_targets(shift_targets *targets, const shift_object *objects, size_t object_count,
                         size_t max_objects, int image_size, int flip);

/* Penalty-reduced focal loss (alpha = 2, beta = 4) on heatmap LOGITS:
 *   p = clamp(sigmoid(x), 1e-4, 1 - 1e-4)
 *   L = -(1/N_pos) sum { (1-p)^a log p            if Y = 1
 *                        (1-Y)^b p^a log(1-p)      otherwise }
 * (N_pos = number of Y == 1; when 0 the sum is not divided, as CenterNet).
 * Returns L; when dlogits != NULL adds dL/dx (0 where the clamp is active). */
double shift_focal_loss(float *dlogits, const float *logits, const float *target, size_t count, double alpha,
                        double beta);
/* The same loss in pieces, so a team can share a batch's elements: the number
 * of Y == 1 over the whole batch fixes scale = 1/N_pos (1 when 0); each range
 * then adds its gradient (times scale) into dlogits and returns its two sums,
 * Σ(1-p)^a log p and Σ(1-Y)^b p^a log(1-p); L = -(Σ positive + Σ negative)·scale. */
size_t shift_focal_positives(const float *target, size_t count);
void shift_focal_loss_range(float *dlogits, const float *logits, const float *target, size_t count, double alpha,
                            double beta, double scale, double *positive_sum, double *negative_sum);

/* L1 on regression maps at object centres, CenterNet RegL1Loss:
 * sum |pred[c, index[k]] - target[k, c]| / (2·objects + 1e-4), two channels.
 * pred (2, cells) for one image; dpred likewise (added, scaled by weight). */
double shift_reg_l1_loss(float *dpred, const float *pred, size_t cells, const int32_t *index, const float *target,
                         size_t object_count, double weight);

/* Decodes one image: heatmap logits (classes, out, out), size and offset
 * (2, out, out).  Peaks survive a 3x3 max-pool (CenterNet's NMS); the top_k
 * highest become detections with VOC boxes in image pixels (clipped to the
 * image).  scratch: 4·classes·out·out floats; argmax_scratch classes·out·out.
 * Returns the number written to out (<= top_k). */
size_t shift_decode(shift_detection *out, size_t top_k, const float *heatmap_logits, const float *size_map,
                    const float *offset_map, int out_size, size_t image, float *scratch, int32_t *argmax_scratch);

/* Gradient reversal: identity forward; backward adds -lambda · dout to din. */
void shift_grl_forward(float *out, const float *in, size_t count);
void shift_grl_backward(float *din, const float *dout, double lambda, size_t count);

/* ---- PSN prototypes --------------------------------------------------------
 * Batch prototypes z_c = sum_x w_c(x) F(x) / (sum_x w_c(x) + 1e-6) over the
 * images and cells of one domain's batch, F the neck features (n, dim, cells)
 * and w the predicted class probabilities (n, classes, cells), treated as
 * constants (detached).  Running prototypes P (classes, dim) are blended
 * P <- (1 - a) P + a z with a = (cos(P, z) + 1) / 2 (a detached), then
 *   L_intra = (1/C) sum_c D(P^s_c, P^t_c),   D = mean_k (x_k - y_k)^2
 *   L_inter = 1/(2C(C-1)) sum_{i<j} sum_{(a,b)} ((m - s)/m)^2 max(m - s, 0)^2,
 *             s = sqrt(D(a,b)), pairs (Ps_i,Ps_j), (Pt_i,Pt_j), (Ps_i,Pt_j), (Pt_i,Ps_j)
 *   L_p = 0.5 (L_intra + L_inter). */
void shift_prototypes_batch(float *z, float *weight_sums, const float *features, const float *probabilities,
                            size_t n, size_t dim, size_t classes, size_t cells);
/* Backward of shift_prototypes_batch into dfeatures (n, dim, cells), added. */
void shift_prototypes_batch_backward(float *dfeatures, const float *dz, const float *weight_sums,
                                     const float *probabilities, size_t n, size_t dim, size_t classes, size_t cells);
/* Blends running (classes, dim) with z in place of blended (classes, dim);
 * alpha (classes) receives the blend weights. */
void shift_prototypes_blend(float *blended, float *alpha, const float *running, const float *z, size_t classes,
                            size_t dim);
/* L_p of blended source and target prototypes; adds dL/dPs, dL/dPt when not NULL. */
double shift_prototype_loss(float *dsource, float *dtarget, const float *source, const float *target,
                            size_t classes, size_t dim, double margin);

#endif
