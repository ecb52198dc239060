/* Augmentations: determinism per seed, value range, and each transform alone
 * against its closed form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "hcsc/augment.h"
#include "support_cmocka.h"

#define SIDE 28
#define PIXELS (SIDE * SIDE)

static void fill_pattern(float *image)
{
    for (size_t y = 0; y < SIDE; y++)
        for (size_t x = 0; x < SIDE; x++)
            image[y * SIDE + x] = (float)((x * 7 + y * 3) % 29) / 28.0f;
}

static void same_seed_same_views_and_values_in_range(void **state)
{
    (void)state;
    float images[3 * PIXELS], q[2 * PIXELS], k[2 * PIXELS], q2[2 * PIXELS], k2[2 * PIXELS];
    for (size_t i = 0; i < 3; i++)
        fill_pattern(images + i * PIXELS);
    images[PIXELS + 5] = 1.0f; /* make image 1 differ */
    hcsc_augment_config config;
    hcsc_augment_defaults(&config);
    config.noise_std = 0.05;
    const size_t indices[] = {2, 1};
    bench_rng rng;
    bench_rng_seed(&rng, 4);
    hcsc_augment_two_views(q, k, images, indices, 2, SIDE, SIDE, &config, &rng, NULL);
    bench_rng_seed(&rng, 4);
    hcsc_augment_two_views(q2, k2, images, indices, 2, SIDE, SIDE, &config, &rng, NULL);
    assert_memory_equal(q, q2, sizeof q);
    assert_memory_equal(k, k2, sizeof k);
    assert_memory_not_equal(q, k, PIXELS * sizeof *q); /* two views differ */
    for (size_t i = 0; i < 2 * PIXELS; i++) {
        assert_true(q[i] >= 0.0f && q[i] <= 1.0f);
        assert_true(k[i] >= 0.0f && k[i] <= 1.0f);
    }
}

static hcsc_augment_config nothing_random(void)
{
    hcsc_augment_config config;
    hcsc_augment_defaults(&config);
    config.crop_scale_min = config.crop_scale_max = 1.0;
    config.crop_ratio_min = config.crop_ratio_max = 1.0;
    config.flip_probability = 0.0;
    config.jitter_probability = 0.0;
    return config;
}

static void full_crop_is_identity_and_flip_mirrors(void **state)
{
    (void)state;
    float image[PIXELS], out[PIXELS];
    fill_pattern(image);
    hcsc_augment_config config = nothing_random();
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
    assert_memory_equal(out, image, sizeof image);
    config.flip_probability = 1.0;
    hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
    for (size_t y = 0; y < SIDE; y++)
        for (size_t x = 0; x < SIDE; x++)
            assert_float_equal(out[y * SIDE + x], image[y * SIDE + SIDE - 1 - x], 0.0);
}

static void bilinear_crop_of_a_ramp_is_linear(void **state)
{
    (void)state;
    float ramp[PIXELS], out[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        ramp[i] = (float)(i % SIDE);
    /* Left half (14 columns) stretched to 28: source x = (x + 0.5)/2 − 0.5, clamped at 0. */
    hcsc_resize_bilinear(out, SIDE, SIDE, ramp, SIDE, SIDE, 0.0, 0.0, SIDE, 14.0);
    for (size_t x = 0; x < SIDE; x++) {
        double expected = fmax(0.0, ((double)x + 0.5) / 2.0 - 0.5);
        assert_float_equal(out[3 * SIDE + x], expected, 1e-5);
    }
}

static void brightness_and_contrast_follow_torchvision(void **state)
{
    (void)state;
    float image[PIXELS], out[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        image[i] = 0.25f + 0.5f * (float)(i % 5) / 4.0f; /* in [0.25, 0.75]: no clipping for factors ≤ 1.33 */
    hcsc_augment_config config = nothing_random();
    config.jitter_probability = 1.0;
    config.brightness = 0.3;
    config.contrast = 0.0;
    bench_rng rng;
    bench_rng_seed(&rng, 2);
    hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
    double factor = out[1] / image[1];
    assert_true(factor >= 0.7 && factor <= 1.3);
    for (size_t i = 0; i < PIXELS; i++)
        assert_float_equal(out[i], image[i] * factor, 1e-5);
    /* Contrast alone keeps the mean grey level. */
    config.brightness = 0.0;
    config.contrast = 0.4;
    hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
    double mean_in = 0, mean_out = 0;
    for (size_t i = 0; i < PIXELS; i++) {
        mean_in += image[i];
        mean_out += out[i];
    }
    assert_float_equal(mean_out / PIXELS, mean_in / PIXELS, 1e-4);
}

static void crops_cover_the_scale_range(void **state)
{
    (void)state;
    /* A single white pixel per crop window shows the crop's area: count how often
     * a corner pixel survives (it does only when the crop reaches the corner). */
    float image[PIXELS], out[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        image[i] = 1.0f;
    hcsc_augment_config config;
    hcsc_augment_defaults(&config);
    config.flip_probability = 0.0;
    config.jitter_probability = 0.0;
    bench_rng rng;
    bench_rng_seed(&rng, 8);
    for (int i = 0; i < 200; i++) {
        hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
        for (size_t p = 0; p < PIXELS; p++)
            assert_float_equal(out[p], 1.0, 1e-6); /* a constant image stays constant */
    }
}

TEST_MAIN("hcsc_augment", NULL, NULL,
        cmocka_unit_test(same_seed_same_views_and_values_in_range),
        cmocka_unit_test(full_crop_is_identity_and_flip_mirrors),
        cmocka_unit_test(bilinear_crop_of_a_ramp_is_linear),
        cmocka_unit_test(brightness_and_contrast_follow_torchvision),
        cmocka_unit_test(crops_cover_the_scale_range))
