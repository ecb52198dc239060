/* The CenterNet-style detector for the X-ray benchmark and the methods of
 * issue 8: source_only, oracle, psn, psn_global_only, psn_local_only.
 *
 * Network (input size S, default 96; all convolutions 3x3 unless noted):
 *   conv 3->c1, BN, ReLU, max-pool 2        (S/2)
 *   conv c1->c2 stride 2, BN, ReLU          (S/4)  stage 1 -> pixel discriminator 1
 *   conv c2->c3, BN, ReLU
 *   conv c3->c3 dilation 2, BN, ReLU                stage 2 -> pixel discriminator 2
 *   conv c3->c4 dilation 4, BN, ReLU                stage 3 = neck -> discriminator 3, prototypes
 *   head: conv c4->c4 + bias, ReLU; 1x1 conv c4->14 + bias
 *         (10 heatmap logits, bias -2.19; size w,h; offset x,y; stride 4)
 * Dilations instead of an upsampling neck keep the stride-4 map with a
 * receptive field of ~70 pixels (objects reach ~60) and need only nn/ layers.
 *
 * Losses: focal (alpha 2, beta 4) + 0.1 L1 size + 1 L1 offset.  PSN adds
 * pixel discriminators (1x1 convs dim->64->32->1, ReLU, behind a GRL with
 * lambda 1; BCE source 1 / target 0, averaged over the stages), prototype
 * alignment on the neck (see centernet.h) and a linear prototype
 * discriminator (640->64->32->10, no non-linearities, weight 0.1).
 *   psn:             L_det + L_g1 + [step >= warmup] (L_p + 0.1 L_g2)
 *   psn_global_only: L_det + L_g1 + [step >= warmup] 0.1 L_g2
 *   psn_local_only:  L_det + [step >= warmup] L_p
 *   psn_grl_schedule: psn with every gradient-reversal coefficient on the
 *                    schedule of the domain-adversarial literature (Ganin &
 *                    Lempitsky): lambda_p = grl_lambda (2 / (1 + exp(-10 p)) - 1),
 *                    p = step / steps, from 0 up to about grl_lambda
 * Discriminators: Adam (default lr 5e-5, wd 5e-4).  Source and target halves
 * go through the network as one batch (shared batch-norm statistics).
 * Checkpoint selection: the step with the best mAP on the validation split of
 * the LABELLED training domain (source; the target for an oracle), never on
 * target test images. */
#ifndef SHIFT_DETECTOR_H
#define SHIFT_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "domain_shift/benchmark.h"
#include "domain_shift/eval.h"

typedef enum {
    SHIFT_METHOD_SOURCE_ONLY,
    SHIFT_METHOD_ORACLE,
    SHIFT_METHOD_PSN,
    SHIFT_METHOD_PSN_GLOBAL_ONLY,
    SHIFT_METHOD_PSN_LOCAL_ONLY,
    /* psn with the GRL coefficient rising from 0 (issue 23): the paper's psn
     * keeps it at 1 from the first step. */
    SHIFT_METHOD_PSN_GRL_SCHEDULE,
    /* psn with domain-specific batch-norm: the source and the target half of
     * each batch normalised apart, each with running statistics of its own,
     * and the target's used on target images.  PSN's VGG-16 has no BN; ours
     * does, and one BN over mixed batches is a shift of its own making. */
    SHIFT_METHOD_PSN_DOMAIN_BN,
    /* psn, then its batch-norm statistics re-estimated on the unlabelled target
     * images (issue 23): PSN aligns features, AdaBN statistics; together? */
    SHIFT_METHOD_PSN_TARGET_BN,
    /* Not in issue 8's list: the source_only model with its batch-norm
     * statistics re-estimated on unlabelled target images (AdaBN).  It
     * separates how much of an adaptive method's gain comes from shared
     * batch-norm statistics alone. */
    SHIFT_METHOD_SOURCE_ONLY_TARGET_BN,
    SHIFT_METHOD_COUNT
} shift_method;

/* "source_only", "oracle", "psn", "psn_global_only", "psn_local_only", "psn_grl_schedule", "psn_domain_bn",
 * "psn_target_bn",
 * "source_only_target_bn"; BENCH_BAD_INPUT listing the names when unknown. */
int shift_method_parse(const char *text, shift_method *out, bench_error *error);
const char *shift_method_name(shift_method method);

typedef struct shift_train_config {
    size_t steps;               /* optimiser steps (default 1500) */
    size_t batch;               /* images per domain per step (default 8) */
    size_t warmup;              /* steps before L_p and L_g2 (default 14% of steps) */
    size_t eval_every;          /* validation mAP every N steps (default steps/6) */
    size_t width;               /* channels c1..c4 = width, 2w, 3w, 4w (default 16) */
    double learning_rate;       /* detector Adam (default 1e-3) */
    double weight_decay;        /* detector (default 1e-4) */
    double disc_learning_rate;  /* discriminators Adam (default 5e-5) */
    double disc_weight_decay;   /* default 5e-4 */
    /* The paper's step schedule of the detector's rate (PSN's --lr_decay_step,
     * --lr_decay_gamma: x0.1 at step 50,000 of 70,000): from step lr_decay_step
     * on, the detector learns at learning_rate * lr_decay_gamma.  0 = constant
     * (default).  The discriminators are never decayed, as in the paper. */
    size_t lr_decay_step;
    double lr_decay_gamma;      /* default 0.1 */
    double grl_lambda;          /* default 1 */
    double prototype_margin;    /* default 1 */
    size_t top_k;               /* detections per image kept by decoding (default 100) */
    int flip;                   /* random horizontal flips (default 1) */
    unsigned threads;           /* OpenBLAS threads (default 1) */
    int image_size;             /* shift_run_*: letterbox images to this size when loading (0: as on disk) */
    /* Optional progress callback, e.g. a TTY line; loss terms of the last step. */
    void (*progress)(void *data, size_t step, size_t steps, double det_loss, double disc_accuracy,
                     double val_map);
    void *progress_data;
    /* Optional training curves (issue 23): called after every step with the
     * step (1-based), a split ("train" or "val") and one metric each --
     * loss_detection; with pixel discriminators disc_accuracy_stage1..3 (their
     * accuracy on the step's source and target pixels) and grl_lambda; with
     * prototypes loss_prototype (the alignment distance L_p) and
     * loss_prototype_disc (L_g2) once past the warm-up; and val/map at each
     * evaluation. */
    void (*record)(void *data, size_t step, const char *split, const char *metric, double value);
    void *record_data;
} shift_train_config;

/* Defaults above, with warmup and eval_every derived from steps. */
shift_train_config shift_train_config_default(size_t steps);

typedef struct shift_detector shift_detector; /* opaque */

typedef struct shift_train_report {
    size_t best_step;           /* selected checkpoint (validation mAP) */
    double best_val_map;
    double final_det_loss;
    double final_disc_accuracy; /* pixel discriminators, last step (NaN without) */
    double train_seconds;
    double train_images_per_second; /* labelled + unlabelled images through forward+backward */
} shift_train_report;

/* Trains `method` with seed: labelled = source train (target train for an
 * oracle: pass it as labelled), validation = the labelled domain's val split,
 * unlabelled = target images for the PSN variants (labels never read; NULL
 * otherwise).  *out (free with shift_detector_free) holds the selected
 * checkpoint. */
int shift_train(shift_detector **out, shift_method method, const shift_dataset *labelled,
                const shift_dataset *validation, const shift_dataset *unlabelled, const shift_train_config *config,
                uint64_t seed, shift_train_report *report, bench_error *error);

/* Per-class AP (SHIFT_CLASS_COUNT, NaN for classes absent from the set) and
 * mAP at IoU > 0.5 with the given interpolation; *images_per_second (may be
 * NULL) gets the inference speed. */
int shift_detector_evaluate(shift_detector *detector, const shift_dataset *dataset, shift_ap_mode mode,
                            double *ap_per_class, double *mean_ap, double *images_per_second, bench_error *error);

void shift_detector_free(shift_detector *detector);

/* The detections (at most top_k per image, best first, their `image` the index
 * in dataset) of images [first, first + count) of dataset; *out (free() it)
 * holds *found of them. */
int shift_detector_detect(shift_detector *detector, const shift_dataset *dataset, size_t first, size_t count,
                          size_t top_k, shift_detection **out, size_t *found, bench_error *error);

/* Re-estimates every batch-norm layer's running statistics on images (labels
 * unused): one pass in order, batch k averaged in with weight 1/(k+1).  Only
 * the statistics change. */
int shift_detector_adapt_batchnorm(shift_detector *detector, const shift_dataset *images, bench_error *error);

/* A psn_domain_bn detector normalises with its target running statistics from
 * now on (training selected on the source's); BENCH_BAD_INPUT for a detector
 * trained without them. */
int shift_detector_use_target_statistics(shift_detector *detector, bench_error *error);

/* A copy of every value (weights and batch-norm statistics), malloc'ed, freed
 * by the caller; NULL when out of memory.  set_state copies one back. */
float *shift_detector_copy_state(const shift_detector *detector);
/* Floats in a state from shift_detector_copy_state. */
size_t shift_detector_state_size(const shift_detector *detector);
void shift_detector_set_state(shift_detector *detector, const float *state);

/* Multiply-accumulates of one forward pass of one image (for GFLOP/s). */
double shift_detector_forward_macs(const shift_detector *detector);

/* Loss terms of shift_detector_check_gradients (bit set). */
typedef enum {
    SHIFT_CHECK_DETECTION = 1u,  /* L_det */
    SHIFT_CHECK_PIXEL = 2u,      /* L_g1, the pixel discriminators behind the GRL */
    SHIFT_CHECK_PROTOTYPES = 4u, /* L_p + 0.1 L_g2, PSN's terms after the warm-up */
} shift_check_terms;

/* Test support: a tiny model (width 2) on the first images of data, BN in
 * evaluation mode so the loss is smooth, non-zero running prototypes;
 * compares the analytic gradient of sampled elements of every parameter
 * tensor with central differences in double of the float forward pass:
 *   detector tensors:      L_det - lambda L_g1 + L_p - lambda 0.1 L_g2
 *                          (the GRL reverses the discriminator terms),
 *   discriminator tensors: L_g1 + 0.1 L_g2,
 * each term present when selected in terms (SHIFT_CHECK_*).  The class
 * probabilities weighting the prototypes and the blend weights are detached
 * in training, so the finite differences hold them at the checked point.
 * Returns the number of elements outside |a - n| <= atol + rtol |n|; report
 * names the worst element, or the largest gradient checked.  BENCH_* failures
 * return (size_t)-1. */
size_t shift_detector_check_gradients(const shift_dataset *data, unsigned terms, uint64_t seed, double atol,
                                      double rtol, char *report, size_t report_size);

/* Test support for psn_domain_bn: one training step of a split batch (2 source
 * then 2 target images, data's first four) against the two pairs run as
 * batches of their own.  Returns how many head outputs, running statistics
 * (source and target) and parameter gradients differ at all (they must match
 * to the bit); (size_t)-1 when it cannot run.  report says how many and by
 * how much. */
size_t shift_detector_check_domain_bn(const shift_dataset *data, uint64_t seed, char *report, size_t report_size);

#endif
