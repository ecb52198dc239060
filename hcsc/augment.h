/* Augmentations for small grey images (Fashion-MNIST, 28×28), MoCo v2's recipe
 * reduced to what is meaningful without colour: random resized crop (bilinear),
 * horizontal flip, brightness/contrast jitter, optional Gaussian noise; and,
 * for issue 22's study of what suits grey garments, optional translation,
 * Gaussian blur and random erasing as torchvision does them.  A transform
 * that is off draws nothing, so adding one leaves the others' views as they were.  Every
 * random choice draws from the bench_rng passed in, in a fixed order, so a seed
 * reproduces the views bit for bit.  The evaluation transform is the identity. */
#ifndef BENCH_HCSC_AUGMENT_H
#define BENCH_HCSC_AUGMENT_H

#include <stddef.h>

#include "bench/rng.h"
#include "nn/team.h"

typedef struct hcsc_augment_config {
    double crop_scale_min, crop_scale_max; /* crop area / image area; 0.2, 1 */
    double crop_ratio_min, crop_ratio_max; /* width / height of the crop; 3/4, 4/3 */
    double flip_probability;               /* 0.5 */
    double jitter_probability;             /* 0.8: brightness and contrast together */
    double brightness, contrast;           /* factor drawn from [1 − x, 1 + x]; 0.4, 0.4 */
    double noise_std;                      /* additive N(0, σ²) per pixel; 0 = off */
    double translate;                      /* RandomAffine: shift up to ± translate·side, whole pixels,
                                              zero fill; 0 = off */
    double blur_probability;               /* GaussianBlur, kernel 3, σ ~ U(0.1, blur_sigma_max),
                                              reflected borders; 0 = off */
    double blur_sigma_max;                 /* 2.0 */
    double erase_probability;              /* RandomErasing: a box of U(0.02, erase_scale_max) of the
                                              area, aspect ratio in [0.3, 3.3], set to 0; 0 = off */
    double erase_scale_max;                /* 0.33 */
} hcsc_augment_config;

/* MoCo v2's values for the transforms that apply to grey images. */
void hcsc_augment_defaults(hcsc_augment_config *config);

/* One augmented view: out and in are (height, width), values in [0, 1], and may
 * not overlap. */
void hcsc_augment_image(float *out, const float *in, size_t height, size_t width,
                        const hcsc_augment_config *config, bench_rng *rng);

/* Two independent views of each image of a batch: images is (count, height, width);
 * indices (batch) picks the images; view_q and view_k are (batch, height, width).
 * One draw from rng seeds the step; image b's two views (q, then k) draw from
 * their own stream, hashed from that seed and b, so the images can be augmented
 * on the team (NULL: in order) and the views do not depend on its size. */
void hcsc_augment_two_views(float *view_q, float *view_k, const float *images, const size_t *indices,
                            size_t batch, size_t height, size_t width, const hcsc_augment_config *config,
                            bench_rng *rng, nn_team *team);

/* Bilinear resize of the window rows [top, top + crop_h), cols [left, left + crop_w)
 * of in (height, width) to out (out_h, out_w), with pixel centres aligned as
 * torchvision/PIL do (align_corners = false). */
void hcsc_resize_bilinear(float *out, size_t out_h, size_t out_w, const float *in, size_t height, size_t width,
                          double top, double left, double crop_h, double crop_w);

#endif
