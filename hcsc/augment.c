#include "hcsc/augment.h"

#include <math.h>
#include <string.h>

void hcsc_augment_defaults(hcsc_augment_config *config)
{
    *config = (hcsc_augment_config){
        .crop_scale_min = 0.2,
        .crop_scale_max = 1.0,
        .crop_ratio_min = 3.0 / 4.0,
        .crop_ratio_max = 4.0 / 3.0,
        .flip_probability = 0.5,
        .jitter_probability = 0.8,
        .brightness = 0.4,
        .contrast = 0.4,
        .noise_std = 0.0,
        .translate = 0.0,
        .blur_probability = 0.0,
        .blur_sigma_max = 2.0,
        .erase_probability = 0.0,
        .erase_scale_max = 0.33,
    };
}

static double uniform_between(bench_rng *rng, double low, double high)
{
    return low + (high - low) * bench_rng_uniform(rng);
}

static float clamp01(float value)
{
    return value < 0.0f ? 0.0f : (value > 1.0f ? 1.0f : value);
}

/* Output pixel i of a crop starting at start with scale input pixels per output
 * pixel, sampled at pixel centres and clamped to [0, size - 1]: the two input
 * pixels *i0, *i1 to blend and the weight of *i1. */
static float sample_position(size_t i, double start, double scale, size_t size, size_t *i0, size_t *i1)
{
    double source = start + ((double)i + 0.5) * scale - 0.5;
    if (source < 0.0)
        source = 0.0;
    if (source > (double)(size - 1))
        source = (double)(size - 1);
    *i0 = (size_t)source;
    *i1 = *i0 + 1 < size ? *i0 + 1 : *i0;
    return (float)(source - (double)*i0);
}

void hcsc_resize_bilinear(float *out, size_t out_h, size_t out_w, const float *in, size_t height, size_t width,
                          double top, double left, double crop_h, double crop_w)
{
    double scale_y = crop_h / (double)out_h, scale_x = crop_w / (double)out_w;
    for (size_t y = 0; y < out_h; y++) {
        size_t y0, y1;
        float fy = sample_position(y, top, scale_y, height, &y0, &y1);
        for (size_t x = 0; x < out_w; x++) {
            size_t x0, x1;
            float fx = sample_position(x, left, scale_x, width, &x0, &x1);
            float upper = in[y0 * width + x0] * (1.0f - fx) + in[y0 * width + x1] * fx;
            float lower = in[y1 * width + x0] * (1.0f - fx) + in[y1 * width + x1] * fx;
            out[y * out_w + x] = upper * (1.0f - fy) + lower * fy;
        }
    }
}

/* torchvision's RandomResizedCrop.get_params: ten tries at a box of the drawn
 * area and aspect ratio that fits, else the largest central box within the
 * ratio bounds. */
static void random_crop_box(size_t height, size_t width, const hcsc_augment_config *config, bench_rng *rng,
                            size_t *top, size_t *left, size_t *crop_h, size_t *crop_w)
{
    double area = (double)height * (double)width;
    double log_low = log(config->crop_ratio_min), log_high = log(config->crop_ratio_max);
    for (int attempt = 0; attempt < 10; attempt++) {
        double target = area * uniform_between(rng, config->crop_scale_min, config->crop_scale_max);
        double aspect = exp(uniform_between(rng, log_low, log_high));
        long w = lround(sqrt(target * aspect));
        long h = lround(sqrt(target / aspect));
        if (w > 0 && h > 0 && (size_t)w <= width && (size_t)h <= height) {
            *crop_h = (size_t)h;
            *crop_w = (size_t)w;
            *top = (size_t)bench_rng_below(rng, height - (size_t)h + 1);
            *left = (size_t)bench_rng_below(rng, width - (size_t)w + 1);
            return;
        }
    }
    double in_ratio = (double)width / (double)height;
    size_t w = width, h = height;
    if (in_ratio < config->crop_ratio_min)
        h = (size_t)lround((double)w / config->crop_ratio_min);
    else if (in_ratio > config->crop_ratio_max)
        w = (size_t)lround((double)h * config->crop_ratio_max);
    *crop_h = h;
    *crop_w = w;
    *top = (height - h) / 2;
    *left = (width - w) / 2;
}

static void adjust_brightness(float *image, size_t pixels, float factor)
{
    for (size_t i = 0; i < pixels; i++)
        image[i] = clamp01(image[i] * factor);
}

/* Blend with the image's mean grey level, as torchvision's adjust_contrast does. */
static void adjust_contrast(float *image, size_t pixels, float factor)
{
    double sum = 0.0;
    for (size_t i = 0; i < pixels; i++)
        sum += image[i];
    float mean = (float)(sum / (double)pixels);
    for (size_t i = 0; i < pixels; i++)
        image[i] = clamp01(factor * image[i] + (1.0f - factor) * mean);
}

/* Shifts image by (dy, dx) whole pixels in place, zero where nothing comes in.
 * Rows (and, within the row, columns) run against the shift, so every source
 * pixel is read before it is overwritten. */
static void shift_image(float *image, size_t height, size_t width, long dy, long dx)
{
    long h = (long)height, w = (long)width;
    for (long i = 0; i < h; i++) {
        long y = dy > 0 ? h - 1 - i : i;
        for (long j = 0; j < w; j++) {
            long x = dx > 0 ? w - 1 - j : j;
            long sy = y - dy, sx = x - dx;
            image[y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? image[sy * w + sx] : 0.0f;
        }
    }
}

/* RandomAffine(degrees=0, translate=(t, t)): each offset uniform in
 * [−t·side, t·side], rounded, as torchvision draws it. */
static void random_translate(float *image, size_t height, size_t width, double translate, bench_rng *rng)
{
    double max_dx = translate * (double)width, max_dy = translate * (double)height;
    long dx = lround(uniform_between(rng, -max_dx, max_dx));
    long dy = lround(uniform_between(rng, -max_dy, max_dy));
    shift_image(image, height, width, dy, dx);
}

/* One 3-tap pass along a line of n values step apart, in place, with
 * reflected borders (index −1 reads 1, n reads n − 2). */
static void blur_line(float *line, size_t n, size_t step, const float weights[3])
{
    if (n < 2)
        return;
    float previous = line[step]; /* the reflection of index −1 */
    for (size_t i = 0; i < n; i++) {
        float current = line[i * step];
        float next = i + 1 < n ? line[(i + 1) * step] : previous; /* index n reflects to n − 2 */
        line[i * step] = weights[0] * previous + weights[1] * current + weights[2] * next;
        previous = current;
    }
}

/* GaussianBlur(kernel_size=3, sigma=(0.1, sigma_max)): rows, then columns. */
static void random_blur(float *image, size_t height, size_t width, double sigma_max, bench_rng *rng)
{
    double sigma = uniform_between(rng, 0.1, sigma_max);
    double side = exp(-0.5 / (sigma * sigma));
    float weights[3] = {(float)(side / (1.0 + 2.0 * side)), (float)(1.0 / (1.0 + 2.0 * side)),
                        (float)(side / (1.0 + 2.0 * side))};
    for (size_t y = 0; y < height; y++)
        blur_line(image + y * width, width, 1, weights);
    for (size_t x = 0; x < width; x++)
        blur_line(image + x, height, width, weights);
}

/* RandomErasing(scale=(0.02, scale_max), ratio=(0.3, 3.3), value=0): ten
 * tries at a box of the drawn area and aspect ratio that fits; none erased
 * when no try fits, as torchvision. */
static void random_erase(float *image, size_t height, size_t width, double scale_max, bench_rng *rng)
{
    double area = (double)height * (double)width;
    double log_low = log(0.3), log_high = log(3.3);
    for (int attempt = 0; attempt < 10; attempt++) {
        double target = area * uniform_between(rng, 0.02, scale_max);
        double aspect = exp(uniform_between(rng, log_low, log_high));
        long h = lround(sqrt(target * aspect)), w = lround(sqrt(target / aspect));
        if (h <= 0 || w <= 0 || (size_t)h >= height || (size_t)w >= width)
            continue;
        size_t top = (size_t)bench_rng_below(rng, height - (size_t)h + 1);
        size_t left = (size_t)bench_rng_below(rng, width - (size_t)w + 1);
        for (size_t y = top; y < top + (size_t)h; y++)
            memset(image + y * width + left, 0, (size_t)w * sizeof *image);
        return;
    }
}

void hcsc_augment_image(float *out, const float *in, size_t height, size_t width,
                        const hcsc_augment_config *config, bench_rng *rng)
{
    size_t pixels = height * width;
    size_t top, left, crop_h, crop_w;
    random_crop_box(height, width, config, rng, &top, &left, &crop_h, &crop_w);
    hcsc_resize_bilinear(out, height, width, in, height, width, (double)top, (double)left, (double)crop_h,
                         (double)crop_w);
    if (bench_rng_uniform(rng) < config->flip_probability)
        for (size_t y = 0; y < height; y++) {
            float *row = out + y * width;
            for (size_t x = 0; x < width / 2; x++) {
                float swap = row[x];
                row[x] = row[width - 1 - x];
                row[width - 1 - x] = swap;
            }
        }
    if (config->translate > 0.0)
        random_translate(out, height, width, config->translate, rng);
    if (bench_rng_uniform(rng) < config->jitter_probability) {
        /* ColorJitter applies its transforms in a random order. */
        int brightness_first = bench_rng_uniform(rng) < 0.5;
        float brightness = (float)uniform_between(rng, 1.0 - config->brightness, 1.0 + config->brightness);
        float contrast = (float)uniform_between(rng, 1.0 - config->contrast, 1.0 + config->contrast);
        if (brightness_first) {
            adjust_brightness(out, pixels, brightness);
            adjust_contrast(out, pixels, contrast);
        } else {
            adjust_contrast(out, pixels, contrast);
            adjust_brightness(out, pixels, brightness);
        }
    }
    if (config->blur_probability > 0.0 && bench_rng_uniform(rng) < config->blur_probability)
        random_blur(out, height, width, config->blur_sigma_max, rng);
    if (config->noise_std > 0.0)
        for (size_t i = 0; i < pixels; i++)
            out[i] = clamp01(out[i] + (float)(config->noise_std * bench_rng_normal(rng)));
    /* last, as torchvision applies RandomErasing to the finished tensor */
    if (config->erase_probability > 0.0 && bench_rng_uniform(rng) < config->erase_probability)
        random_erase(out, height, width, config->erase_scale_max, rng);
}

typedef struct two_views {
    float *view_q, *view_k;
    const float *images;
    const size_t *indices;
    size_t height, width;
    const hcsc_augment_config *config;
    uint64_t step_seed;
} two_views;

static void two_views_task(void *context, size_t b, size_t worker)
{
    (void)worker;
    const two_views *t = context;
    size_t pixels = t->height * t->width;
    uint64_t position = (uint64_t)b;
    bench_rng rng;
    bench_rng_seed(&rng, bench_hash64(&position, sizeof position, t->step_seed));
    const float *image = t->images + t->indices[b] * pixels;
    hcsc_augment_image(t->view_q + b * pixels, image, t->height, t->width, t->config, &rng);
    hcsc_augment_image(t->view_k + b * pixels, image, t->height, t->width, t->config, &rng);
}

void hcsc_augment_two_views(float *view_q, float *view_k, const float *images, const size_t *indices,
                            size_t batch, size_t height, size_t width, const hcsc_augment_config *config,
                            bench_rng *rng, nn_team *team)
{
    two_views t = {.view_q = view_q, .view_k = view_k, .images = images, .indices = indices, .height = height,
                   .width = width, .config = config, .step_seed = bench_rng_next(rng)};
    nn_team_run(team, batch, two_views_task, &t);
}
