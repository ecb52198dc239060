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

/* Translation moves the whole pattern by whole pixels within ± translate·side
 * and fills with zeros; over seeds both directions and both axes occur. */
static void translation_shifts_by_whole_pixels(void **state)
{
    (void)state;
    float image[PIXELS], out[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        image[i] = 0.1f + 0.8f * (float)((i * 37) % 101) / 101.0f; /* no zeros, no repeats nearby */
    hcsc_augment_config config = nothing_random();
    config.translate = 0.2; /* up to round(5.6) = 6 pixels */
    int seen[2][2] = {{0, 0}, {0, 0}};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        bench_rng rng;
        bench_rng_seed(&rng, seed);
        hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
        int found = 0;
        for (long dy = -6; dy <= 6 && !found; dy++)
            for (long dx = -6; dx <= 6 && !found; dx++) {
                int match = 1;
                for (long y = 0; y < SIDE && match; y++)
                    for (long x = 0; x < SIDE && match; x++) {
                        long sy = y - dy, sx = x - dx;
                        float expected = sy >= 0 && sy < SIDE && sx >= 0 && sx < SIDE ? image[sy * SIDE + sx] : 0.0f;
                        match = out[y * SIDE + x] == expected;
                    }
                if (match) {
                    found = 1;
                    seen[0][dy > 0] |= dy != 0;
                    seen[1][dx > 0] |= dx != 0;
                }
            }
        assert_true(found);
    }
    assert_true(seen[0][0] && seen[0][1] && seen[1][0] && seen[1][1]);
}

/* A 3-tap Gaussian spreads a single bright pixel into the outer product of
 * (w0, w1, w0): mass kept, w0/w1 = exp(−1/(2σ²)) with σ in [0.1, blur_sigma_max]. */
static void blur_spreads_a_point_into_a_gaussian(void **state)
{
    (void)state;
    float image[PIXELS] = {0}, out[PIXELS];
    image[10 * SIDE + 10] = 1.0f;
    hcsc_augment_config config = nothing_random();
    config.blur_probability = 1.0;
    config.blur_sigma_max = 2.0;
    bench_rng rng;
    bench_rng_seed(&rng, 3);
    hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
    double total = 0;
    for (size_t i = 0; i < PIXELS; i++)
        total += out[i];
    assert_float_equal(total, 1.0, 1e-6);
    float centre = out[10 * SIDE + 10], edge = out[10 * SIDE + 11], corner = out[11 * SIDE + 11];
    assert_float_equal(edge / centre, corner / edge, 1e-5);           /* separable */
    assert_float_equal(out[9 * SIDE + 10], edge, 1e-7);               /* symmetric */
    assert_float_equal(out[12 * SIDE + 10], 0.0, 0.0);                /* three taps */
    double ratio = edge / centre;
    assert_true(ratio > 0.0 && ratio <= exp(-1.0 / (2.0 * 2.0 * 2.0)) + 1e-6);
    /* off by default: the same image comes back */
    config.blur_probability = 0.0;
    hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
    assert_memory_equal(out, image, sizeof image);
}

/* Random erasing zeroes one axis-aligned box of 2 % to erase_scale_max of the
 * area (within rounding) and leaves the rest alone. */
static void erasing_zeroes_one_box(void **state)
{
    (void)state;
    float image[PIXELS], out[PIXELS];
    for (size_t i = 0; i < PIXELS; i++)
        image[i] = 0.5f;
    hcsc_augment_config config = nothing_random();
    config.erase_probability = 1.0;
    config.erase_scale_max = 0.33;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        bench_rng rng;
        bench_rng_seed(&rng, seed);
        hcsc_augment_image(out, image, SIDE, SIDE, &config, &rng);
        size_t zeros = 0, top = SIDE, bottom = 0, left = SIDE, right = 0;
        for (size_t y = 0; y < SIDE; y++)
            for (size_t x = 0; x < SIDE; x++) {
                if (out[y * SIDE + x] == 0.5f)
                    continue;
                assert_true(out[y * SIDE + x] == 0.0f);
                zeros++;
                top = y < top ? y : top, bottom = y > bottom ? y : bottom;
                left = x < left ? x : left, right = x > right ? x : right;
            }
        assert_true(zeros > 0);
        assert_int_equal(zeros, (bottom - top + 1) * (right - left + 1)); /* one full box */
        double share = (double)zeros / PIXELS;
        assert_true(share >= 0.01 && share <= 0.40);
    }
}

TEST_MAIN("hcsc_augment", NULL, NULL,
        cmocka_unit_test(same_seed_same_views_and_values_in_range),
        cmocka_unit_test(full_crop_is_identity_and_flip_mirrors),
        cmocka_unit_test(bilinear_crop_of_a_ramp_is_linear),
        cmocka_unit_test(brightness_and_contrast_follow_torchvision),
        cmocka_unit_test(crops_cover_the_scale_range),
        cmocka_unit_test(translation_shifts_by_whole_pixels),
        cmocka_unit_test(blur_spreads_a_point_into_a_gaussian),
        cmocka_unit_test(erasing_zeroes_one_box))
