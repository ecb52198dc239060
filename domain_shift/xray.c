#include "domain_shift/xray.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/rng.h"

/* Mass attenuation (cm^2/g) of the three material classes at the two
 * effective energies.  Only the ratios matter for colour: photoelectric
 * absorption grows steeply with Z at low energy, so R = mu_L/mu_H rises from
 * ~1.5 (organic) through ~2.2 (light inorganic) to ~3 (iron). */
static const double mu_low[SHIFT_MATERIAL_COUNT] = {0.30, 0.70, 2.40};
static const double mu_high[SHIFT_MATERIAL_COUNT] = {0.20, 0.32, 0.80};

/* ---- Scene layout --------------------------------------------------------- */

typedef struct placement {
    shift_scene *scene;
    int owner;
    double x, y;            /* object centre, scene pixels */
    double cos_a, sin_a;    /* object orientation */
    double scale;           /* pixels per nominal unit (1 unit = 1 px at size 96) */
} placement;

static double uniform(bench_rng *rng, double low, double high)
{
    return low + (high - low) * bench_rng_uniform(rng);
}

/* Adds a primitive at object-local (u, v) in nominal units, rotated by local
 * angle (radians) relative to the object.  Silently ignores overflow: the
 * budget SHIFT_MAX_PRIMITIVES is sized above the largest scene built here. */
static void add(placement *p, int shape, int material, double density, double u, double v, double local_angle,
                double half_u, double half_v, double inner)
{
    shift_scene *scene = p->scene;
    if (scene->primitive_count >= SHIFT_MAX_PRIMITIVES)
        return;
    double cos_l = cos(local_angle), sin_l = sin(local_angle);
    shift_primitive *primitive = &scene->primitives[scene->primitive_count++];
    primitive->shape = shape;
    primitive->material = material;
    primitive->owner = p->owner;
    primitive->density = density;
    primitive->center_x = p->x + p->scale * (u * p->cos_a - v * p->sin_a);
    primitive->center_y = p->y + p->scale * (u * p->sin_a + v * p->cos_a);
    primitive->cos_angle = p->cos_a * cos_l - p->sin_a * sin_l;
    primitive->sin_angle = p->sin_a * cos_l + p->cos_a * sin_l;
    primitive->half_u = half_u * p->scale;
    primitive->half_v = half_v * p->scale;
    primitive->inner = inner;
}

/* Each class: a recognisable silhouette and material signature, with a few
 * random proportions so no two instances are identical.  Lengths in nominal
 * pixels of a 96-pixel scene; densities in g/cm^2. */
static void build_drinkbottle(placement *p, bench_rng *rng)
{
    double length = uniform(rng, 11, 15), radius = uniform(rng, 4.2, 5.8), fill = uniform(rng, 0.55, 1.0);
    add(p, SHIFT_SHAPE_TUBE, SHIFT_ORGANIC, 0.5, 0, 0, 0, length, radius, 0.92);
    add(p, SHIFT_SHAPE_CYLINDER, SHIFT_ORGANIC, uniform(rng, 3.5, 5.5), -length * (1 - fill), 0, 0, length * fill,
        radius * 0.92, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 0.9, length + 2.2, 0, 0, 2.4, radius * 0.42, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 1.6, length + 5.0, 0, 0, 1.1, radius * 0.5, 0);
}

static void build_pressure(placement *p, bench_rng *rng)
{
    double length = uniform(rng, 8.5, 11), radius = uniform(rng, 3.6, 4.6);
    add(p, SHIFT_SHAPE_TUBE, SHIFT_INORGANIC, 1.5, 0, 0, 0, length, radius, 0.88);
    add(p, SHIFT_SHAPE_CYLINDER, SHIFT_ORGANIC, uniform(rng, 2.0, 3.5), -1, 0, 0, length - 1.2, radius * 0.86, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.2, length + 0.6, 0, 0, 0.7, radius * 0.7, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 1.0, length + 2.8, 0, 0, 1.8, radius * 0.85, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 0.8, length + 3.5, 0, 0, 0.5, 0.5, 0);
}

static void build_lighter(placement *p, bench_rng *rng)
{
    double length = uniform(rng, 4.5, 6), width = uniform(rng, 1.8, 2.6);
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 2.2, 0, 0, 0, length, width, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 1.5, -0.5, 0, 0, length - 1.0, width * 0.7, 0); /* butane */
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.6, length + 1.2, 0, 0, 1.3, width, 0);
    add(p, SHIFT_SHAPE_ELLIPSE, SHIFT_METAL, 2.5, length + 1.0, width * 0.3, 0, 0.9, 0.9, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.2, length - 1.0, -width * 0.35, 0, 1.6, 0.35, 0); /* spring/valve */
}

static void build_knife(placement *p, bench_rng *rng)
{
    double blade = uniform(rng, 8, 12), width = uniform(rng, 1.8, 2.8), handle = uniform(rng, 5, 7);
    add(p, SHIFT_SHAPE_WEDGE, SHIFT_METAL, uniform(rng, 1.0, 1.6), blade, 0, 0, blade, width, 0.08);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 2.2, -0.6, 0, 0, 0.7, width * 1.15, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 2.4, -1.3 - handle, 0, 0, handle, width * 0.85, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 0.8, -1.3 - handle, 0, 0, handle * 0.9, 0.35, 0); /* tang */
    add(p, SHIFT_SHAPE_ELLIPSE, SHIFT_METAL, 2.0, -1.3 - handle * 0.5, 0, 0, 0.6, 0.6, 0);
    add(p, SHIFT_SHAPE_ELLIPSE, SHIFT_METAL, 2.0, -1.3 - handle * 1.5, 0, 0, 0.6, 0.6, 0);
}

static void build_device(placement *p, bench_rng *rng)
{
    double half_u = uniform(rng, 7, 10), half_v = uniform(rng, 4, 6);
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 1.2, 0, 0, 0, half_u, half_v, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_INORGANIC, 0.9, 0, 0, 0, half_u - 1.0, half_v - 1.0, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_INORGANIC, 1.4, -half_u * 0.35, 0, 0, half_u * 0.5, half_v * 0.65, 0); /* cell */
    int chips = 3 + (int)bench_rng_below(rng, 3);
    for (int i = 0; i < chips; i++)
        add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, uniform(rng, 0.8, 1.6), uniform(rng, 0.1, 0.8) * half_u,
            uniform(rng, -0.6, 0.6) * half_v, 0, uniform(rng, 0.6, 1.4), uniform(rng, 0.5, 1.2), 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 0.8, half_u - 0.6, 0, 0, 0.6, 1.2, 0); /* connector */
}

static void build_powerbank(placement *p, bench_rng *rng)
{
    int cells = 2 + (int)bench_rng_below(rng, 2);
    double cell_half = 3.3, radius = uniform(rng, 3.4, 4.2);
    double half_u = cells * cell_half + 2.5;
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 1.3, 0, 0, 0, half_u, radius + 0.8, 0);
    for (int i = 0; i < cells; i++) {
        double u = -half_u + 1.0 + cell_half * (2 * i + 1);
        add(p, SHIFT_SHAPE_CYLINDER, SHIFT_METAL, 0.9, u, 0, 1.5707963, radius, cell_half * 0.95, 0);
    }
    add(p, SHIFT_SHAPE_BOX, SHIFT_INORGANIC, 1.2, half_u - 1.2, 0, 0, 1.0, radius * 0.8, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.5, half_u - 0.3, radius * 0.3, 0, 0.4, 0.9, 0);
}

static void build_umbrella(placement *p, bench_rng *rng)
{
    double length = uniform(rng, 18, 24), width = uniform(rng, 3.2, 4.5);
    add(p, SHIFT_SHAPE_WEDGE, SHIFT_ORGANIC, 1.4, 0, 0, 0, length, width, 0.25);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.4, 2, 0, 0, length + 3, 0.55, 0);
    for (int i = 0; i < 4; i++) {
        double v = (i - 1.5) * width * 0.35;
        add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 0.7, -1, v * 0.6, -v * 0.02, length * 0.9, 0.3, 0);
    }
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 2.6, -length - 2.5, 0, 0, 3.0, 1.6, 0);
    add(p, SHIFT_SHAPE_RING, SHIFT_ORGANIC, 2.2, -length - 6.0, 1.8, 0, 2.4, 2.4, 0.45);
}

static void build_glassbottle(placement *p, bench_rng *rng)
{
    double length = uniform(rng, 9, 12), radius = uniform(rng, 4.2, 5.4), fill = uniform(rng, 0.5, 0.95);
    add(p, SHIFT_SHAPE_TUBE, SHIFT_INORGANIC, 3.0, 0, 0, 0, length, radius, 0.8);
    add(p, SHIFT_SHAPE_CYLINDER, SHIFT_ORGANIC, uniform(rng, 3.0, 4.5), -length * (1 - fill), 0, 0, length * fill,
        radius * 0.8, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_INORGANIC, 3.0, -length + 0.7, 0, 0, 0.7, radius, 0); /* thick base */
    add(p, SHIFT_SHAPE_TUBE, SHIFT_INORGANIC, 2.6, length + 3.5, 0, 0, 3.5, radius * 0.42, 0.55);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.0, length + 7.5, 0, 0, 0.6, radius * 0.5, 0);
}

static void build_scissor(placement *p, bench_rng *rng)
{
    double blade = uniform(rng, 7, 10), open = uniform(rng, 0.03, 0.25);
    add(p, SHIFT_SHAPE_WEDGE, SHIFT_METAL, 1.3, blade * cos(open), blade * sin(open), open, blade, 1.3, 0.15);
    add(p, SHIFT_SHAPE_WEDGE, SHIFT_METAL, 1.3, blade * cos(open), -blade * sin(open), -open, blade, 1.3, 0.15);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.3, -2.5, 1.2, -0.2, 2.5, 0.7, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.3, -2.5, -1.2, 0.2, 2.5, 0.7, 0);
    add(p, SHIFT_SHAPE_RING, SHIFT_ORGANIC, 2.2, -6.5, 3.0, 0.3, 3.4, 2.4, 0.55);
    add(p, SHIFT_SHAPE_RING, SHIFT_ORGANIC, 2.2, -6.5, -3.0, -0.3, 3.4, 2.4, 0.55);
    add(p, SHIFT_SHAPE_ELLIPSE, SHIFT_METAL, 3.0, 0, 0, 0, 0.9, 0.9, 0);
}

static void build_laptop(placement *p, bench_rng *rng)
{
    double half_u = uniform(rng, 19, 24), half_v = uniform(rng, 12, 16);
    add(p, SHIFT_SHAPE_BOX, SHIFT_INORGANIC, 1.1, 0, 0, 0, half_u, half_v, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 0.8, 0, half_v * 0.25, 0, half_u * 0.85, half_v * 0.5, 0); /* keys */
    int cells = 3 + (int)bench_rng_below(rng, 2);
    double cell_half = half_u * 0.8 / cells;
    for (int i = 0; i < cells; i++)
        add(p, SHIFT_SHAPE_CYLINDER, SHIFT_METAL, 0.8, -half_u * 0.8 + cell_half * (2 * i + 1),
            -half_v * 0.62, 1.5707963, 2.6, cell_half * 0.9, 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_INORGANIC, 1.4, half_u * 0.45, -half_v * 0.45, 0, half_u * 0.4, half_v * 0.3, 0);
    for (int i = 0; i < 4; i++)
        add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, uniform(rng, 1.0, 2.0), half_u * uniform(rng, 0.15, 0.75),
            -half_v * uniform(rng, 0.25, 0.65), 0, uniform(rng, 0.8, 1.8), uniform(rng, 0.8, 1.5), 0);
    add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 1.2, 0, half_v - 0.6, 0, half_u * 0.9, 0.6, 0); /* hinge */
}

typedef void (*class_builder)(placement *, bench_rng *);
static const class_builder builders[SHIFT_CLASS_COUNT] = {
    build_drinkbottle, build_pressure, build_lighter, build_knife, build_device,
    build_powerbank, build_umbrella, build_glassbottle, build_scissor, build_laptop,
};
/* Nominal half length of each class, for placement (keeps centres inside the bag). */
static const double nominal_radius[SHIFT_CLASS_COUNT] = {17, 13, 7, 17, 10, 12, 27, 18, 12, 26};

/* A clutter item at a uniform place in the bag, turned uniformly when rotate
 * (the draws in this order: x, y, angle). */
static void place_in_bag(placement *p, bench_rng *rng, const double bag[4], int rotate)
{
    p->x = uniform(rng, bag[0], bag[2]);
    p->y = uniform(rng, bag[1], bag[3]);
    if (rotate) {
        double angle = uniform(rng, 0, 6.283185307179586);
        p->cos_a = cos(angle), p->sin_a = sin(angle);
    }
}

static void build_clutter(placement *p, bench_rng *rng, double bag_x0, double bag_y0, double bag_x1, double bag_y1)
{
    const double bag[4] = {bag_x0, bag_y0, bag_x1, bag_y1};
    int clothes = 3 + (int)bench_rng_below(rng, 4);
    for (int i = 0; i < clothes; i++) {
        place_in_bag(p, rng, bag, 1);
        add(p, SHIFT_SHAPE_BLOB, SHIFT_ORGANIC, uniform(rng, 0.8, 2.5), 0, 0, 0, uniform(rng, 8, 24),
            uniform(rng, 5, 14), 0);
    }
    int cables = (int)bench_rng_below(rng, 3);
    for (int i = 0; i < cables; i++) {
        place_in_bag(p, rng, bag, 1);
        double half = uniform(rng, 8, 22);
        add(p, SHIFT_SHAPE_BOX, SHIFT_METAL, 0.6, 0, 0, 0, half, 0.45, 0);
        add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, 0.8, 0, 0, 0, half, 0.9, 0);
    }
    int coins = (int)bench_rng_below(rng, 4);
    for (int i = 0; i < coins; i++) {
        place_in_bag(p, rng, bag, 0);
        double radius = uniform(rng, 1.6, 2.8);
        add(p, SHIFT_SHAPE_ELLIPSE, SHIFT_METAL, uniform(rng, 0.8, 1.5), 0, 0, 0, radius, radius, 0);
    }
    if (bench_rng_uniform(rng) < 0.4) { /* a book or a shoe sole: thick organic */
        place_in_bag(p, rng, bag, 1);
        add(p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, uniform(rng, 2.5, 4.0), 0, 0, 0, uniform(rng, 8, 13),
            uniform(rng, 6, 9), 0);
    }
}

void shift_scene_generate(shift_scene *scene, int size, uint64_t seed, size_t index)
{
    if (size < 32)
        size = 32;
    if (size > 512)
        size = 512;
    memset(scene, 0, sizeof *scene);
    scene->size = size;
    char purpose[64];
    snprintf(purpose, sizeof purpose, "shift/scene/%zu", index);
    bench_rng rng;
    bench_rng_derive(&rng, seed, purpose);
    double unit = size / 96.0;

    /* The bag: a thin organic shell, optional trolley rails and a zipper. */
    double bag_half_w = uniform(&rng, 36, 46) * unit, bag_half_h = uniform(&rng, 32, 44) * unit;
    double bag_x = size * 0.5 + uniform(&rng, -3, 3) * unit, bag_y = size * 0.5 + uniform(&rng, -3, 3) * unit;
    placement p = {.scene = scene, .owner = -1, .x = bag_x, .y = bag_y, .cos_a = 1, .sin_a = 0, .scale = 1};
    add(&p, SHIFT_SHAPE_BOX, SHIFT_ORGANIC, uniform(&rng, 0.3, 0.6), 0, 0, 0, bag_half_w, bag_half_h, 0);
    if (bench_rng_uniform(&rng) < 0.5) {
        add(&p, SHIFT_SHAPE_TUBE, SHIFT_METAL, 0.7, 0, -bag_half_h + 2 * unit, 0, bag_half_w * 0.95, 1.3 * unit, 0.6);
        add(&p, SHIFT_SHAPE_TUBE, SHIFT_METAL, 0.7, 0, bag_half_h - 2 * unit, 0, bag_half_w * 0.95, 1.3 * unit, 0.6);
    }
    add(&p, SHIFT_SHAPE_BOX, SHIFT_METAL, 0.35, -bag_half_w + 1.0 * unit, 0, 0, 0.5 * unit, bag_half_h * 0.9, 0);
    double x0 = bag_x - bag_half_w, x1 = bag_x + bag_half_w, y0 = bag_y - bag_half_h, y1 = bag_y + bag_half_h;
    p.scale = unit;
    build_clutter(&p, &rng, x0, y0, x1, y1);

    /* 0-4 objects, about 2.1 per scene as in EDS (31,654 instances / 14,219 images). */
    static const double count_cdf[5] = {0.05, 0.30, 0.65, 0.90, 1.0};
    double draw = bench_rng_uniform(&rng);
    size_t count = 0;
    while (count < 4 && draw >= count_cdf[count])
        count++;
    double centres[SHIFT_MAX_OBJECTS][3];
    for (size_t k = 0; k < count; k++) {
        int class_index = (int)bench_rng_below(&rng, SHIFT_CLASS_COUNT);
        double scale = unit * uniform(&rng, 0.8, 1.2);
        double radius = nominal_radius[class_index] * scale;
        double x = 0, y = 0;
        /* Overlap is allowed (X-rays superpose), near-coincidence is not. */
        for (int attempt = 0; attempt < 30; attempt++) {
            double margin_x = fmin(radius * 0.6, bag_half_w * 0.8), margin_y = fmin(radius * 0.6, bag_half_h * 0.8);
            x = uniform(&rng, x0 + margin_x, x1 - margin_x);
            y = uniform(&rng, y0 + margin_y, y1 - margin_y);
            int clear = 1;
            for (size_t j = 0; j < k; j++) {
                double dx = x - centres[j][0], dy = y - centres[j][1];
                if (sqrt(dx * dx + dy * dy) < 0.55 * (radius + centres[j][2]))
                    clear = 0;
            }
            if (clear)
                break;
        }
        centres[k][0] = x, centres[k][1] = y, centres[k][2] = radius;
        double angle = uniform(&rng, 0, 6.283185307179586);
        placement object = {.scene = scene, .owner = (int)k, .x = x, .y = y, .cos_a = cos(angle),
                            .sin_a = sin(angle), .scale = scale};
        /* Builders use the pose's centre as the object's middle: shift by the
         * class's own asymmetry so the silhouette, not the body, is centred. */
        builders[class_index](&object, &rng);
        scene->object_class[k] = class_index;
    }
    scene->object_count = count;
}

/* ---- Devices ------------------------------------------------------------- */

/* D1: pale pastel, low saturation, light blue metal, lowest contrast (EDS Fig.: domain 1),
 *     an older tube and one weak detector row.
 * D2: saturated orange-brown organics, olive greens, warm cast, softer spectrum, faster belt.
 * D3: cool, deep navy metal, high contrast, slower belt.
 * Parity (issue 8: no device simply harder): the oracle mAPs at 1500 scenes and 600 steps
 * (configs/shift-xray-parity.ini) are within 5 points of each other; see domain_shift/README.md
 * before changing a knob, and re-run that config after. */
static const shift_device devices[] = {
    {
        .name = "D1",
        .summary = "pale pastel colours on near-white, light-blue metal, low contrast",
        .photons_low = 4000, .photons_high = 4800, .spectrum_hardness = 1.0, .read_noise = 6,
        .detector_gain_low = 1.0, .detector_gain_high = 1.0, .detector_offset_low = 0, .detector_offset_high = 0,
        .psf_sigma = 0.7, .dead_rows = 1, .hot_rows = 0, .banding_amplitude = 0.015, .banding_period = 24,
        .belt_stretch = 1.0,
        .zeff_organic = 1.70, .zeff_mixed = 2.20, .zeff_metal = 2.75,
        .hue_organic = 38, .hue_mixed = 110, .hue_metal = 200,
        .saturation = 0.55, .saturation_scale = 0.9, .darkness = 0.45, .gamma = 1.0,
        .channel_gain = {1.0, 1.0, 1.0}, .channel_offset = {0.0, 0.0, 0.0}, .tint = {0.97, 0.99, 0.97},
    },
    {
        .name = "D2",
        .summary = "saturated orange-brown organics, olive greens, warm cast, softer spectrum",
        .photons_low = 5500, .photons_high = 6500, .spectrum_hardness = 0.96, .read_noise = 6,
        .detector_gain_low = 1.03, .detector_gain_high = 0.98, .detector_offset_low = 8, .detector_offset_high = -5,
        .psf_sigma = 0.6, .dead_rows = 1, .hot_rows = 1, .banding_amplitude = 0.015, .banding_period = 13,
        .belt_stretch = 1.05,
        .zeff_organic = 1.62, .zeff_mixed = 2.05, .zeff_metal = 2.60,
        .hue_organic = 24, .hue_mixed = 85, .hue_metal = 190,
        .saturation = 0.92, .saturation_scale = 0.6, .darkness = 0.55, .gamma = 0.9,
        .channel_gain = {1.05, 0.98, 0.92}, .channel_offset = {0.01, 0.0, -0.01}, .tint = {1.0, 0.98, 0.95},
    },
    {
        .name = "D3",
        .summary = "cool colours, deep navy metal, high contrast, slower belt",
        .photons_low = 9000, .photons_high = 10000, .spectrum_hardness = 1.07, .read_noise = 9,
        .detector_gain_low = 0.97, .detector_gain_high = 1.02, .detector_offset_low = -6, .detector_offset_high = 4,
        .psf_sigma = 0.4, .dead_rows = 2, .hot_rows = 0, .banding_amplitude = 0.02, .banding_period = 31,
        .belt_stretch = 0.93,
        .zeff_organic = 1.85, .zeff_mixed = 2.40, .zeff_metal = 2.90,
        .hue_organic = 42, .hue_mixed = 125, .hue_metal = 232,
        .saturation = 0.80, .saturation_scale = 0.75, .darkness = 0.72, .gamma = 1.2,
        .channel_gain = {0.95, 1.0, 1.04}, .channel_offset = {-0.01, 0.0, 0.01}, .tint = {0.95, 0.98, 1.0},
    },
};

/* Each knob belongs to one group (issue 23's per-knob benchmarks): the display's
 * colour table, tone curve, saturation, tint and gains (with the spectrum and
 * the detector's gain and offset, which move colours too); photon and read noise
 * with blur; banding, weak and leaky rows and belt stretch. */
#define KNOB(group, field, low, high, text) {#field, offsetof(shift_device, field), low, high, text, group}
#define KNOB3(group, field, i, low, high, text) \
    {#field "[" #i "]", offsetof(shift_device, field) + (i) * sizeof(double), low, high, text, group}
static const shift_knob_range knob_ranges[] = {
    KNOB(SHIFT_KNOBS_NOISE, photons_low, 2000, 12000, "low-energy I0, counts (below 2000 noise hides thin organics)"),
    KNOB(SHIFT_KNOBS_NOISE, photons_high, 2000, 12000, "high-energy I0, counts"),
    KNOB(SHIFT_KNOBS_COLOUR, spectrum_hardness, 0.90, 1.10, "factor on mu(low): tube voltage and filtration"),
    KNOB(SHIFT_KNOBS_NOISE, read_noise, 0, 12, "Gaussian read noise sigma, counts"),
    KNOB(SHIFT_KNOBS_COLOUR, detector_gain_low, 0.95, 1.05, "residual gain miscalibration, low channel"),
    KNOB(SHIFT_KNOBS_COLOUR, detector_gain_high, 0.95, 1.05, "residual gain miscalibration, high channel"),
    KNOB(SHIFT_KNOBS_COLOUR, detector_offset_low, -20, 20, "residual dark offset, counts, low channel"),
    KNOB(SHIFT_KNOBS_COLOUR, detector_offset_high, -20, 20, "residual dark offset, counts, high channel"),
    KNOB(SHIFT_KNOBS_NOISE, psf_sigma, 0, 1.2, "detector blur, pixels (above ~1.2 lighter details merge)"),
    KNOB(SHIFT_KNOBS_ARTEFACTS, dead_rows, 0, 3, "weak detector elements (60% gain): faint dark lines along the belt"),
    KNOB(SHIFT_KNOBS_ARTEFACTS, hot_rows, 0, 2, "leaky elements (half-way to full scale): faint bright lines"),
    KNOB(SHIFT_KNOBS_ARTEFACTS, banding_amplitude, 0, 0.04, "relative source flicker across belt positions"),
    KNOB(SHIFT_KNOBS_ARTEFACTS, banding_period, 8, 48, "pixels per flicker cycle"),
    KNOB(SHIFT_KNOBS_ARTEFACTS, belt_stretch, 0.90, 1.10, "horizontal scale from belt speed vs line rate"),
    KNOB(SHIFT_KNOBS_COLOUR, zeff_organic, 1.55, 1.95, "R at/below which colour is the organic hue"),
    KNOB(SHIFT_KNOBS_COLOUR, zeff_mixed, 2.00, 2.50, "R of the pure mixed (green) hue"),
    KNOB(SHIFT_KNOBS_COLOUR, zeff_metal, 2.50, 3.00, "R at/above which colour is the metal hue"),
    KNOB(SHIFT_KNOBS_COLOUR, hue_organic, 15, 45, "organic hue, degrees (orange)"),
    KNOB(SHIFT_KNOBS_COLOUR, hue_mixed, 70, 130, "mixed hue, degrees (olive to green)"),
    KNOB(SHIFT_KNOBS_COLOUR, hue_metal, 185, 240, "metal hue, degrees (light to navy blue)"),
    KNOB(SHIFT_KNOBS_COLOUR, saturation, 0.45, 1.0, "maximum saturation"),
    KNOB(SHIFT_KNOBS_COLOUR, saturation_scale, 0.5, 1.2, "high-energy attenuation at 63% of max saturation"),
    KNOB(SHIFT_KNOBS_COLOUR, darkness, 0.35, 0.80, "value = exp(-darkness*A_high)^gamma"),
    KNOB(SHIFT_KNOBS_COLOUR, gamma, 0.80, 1.25, "tone curve exponent"),
    KNOB3(SHIFT_KNOBS_COLOUR, channel_gain, 0, 0.85, 1.15, "display red gain"),
    KNOB3(SHIFT_KNOBS_COLOUR, channel_gain, 1, 0.85, 1.15, "display green gain"),
    KNOB3(SHIFT_KNOBS_COLOUR, channel_gain, 2, 0.85, 1.15, "display blue gain"),
    KNOB3(SHIFT_KNOBS_COLOUR, channel_offset, 0, -0.05, 0.05, "display red offset"),
    KNOB3(SHIFT_KNOBS_COLOUR, channel_offset, 1, -0.05, 0.05, "display green offset"),
    KNOB3(SHIFT_KNOBS_COLOUR, channel_offset, 2, -0.05, 0.05, "display blue offset"),
    KNOB3(SHIFT_KNOBS_COLOUR, tint, 0, 0.85, 1.0, "empty-belt red"),
    KNOB3(SHIFT_KNOBS_COLOUR, tint, 1, 0.85, 1.0, "empty-belt green"),
    KNOB3(SHIFT_KNOBS_COLOUR, tint, 2, 0.85, 1.0, "empty-belt blue"),
};

const shift_device *shift_devices(size_t *count)
{
    *count = sizeof devices / sizeof devices[0];
    return devices;
}

const shift_device *shift_device_find(const char *name, bench_error *error)
{
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
        if (strcmp(devices[i].name, name) == 0)
            return &devices[i];
    BENCH_FAIL(error, BENCH_NOT_FOUND, "unknown X-ray device '%s'; devices are D1, D2, D3", name);
    return NULL;
}

const shift_knob_range *shift_knob_ranges(size_t *count)
{
    *count = sizeof knob_ranges / sizeof knob_ranges[0];
    return knob_ranges;
}

static const char *const group_names[] = {"all", "colour", "noise", "artefacts"};

const char *shift_knob_group_name(shift_knob_group group) { return group_names[group]; }

int shift_knob_group_parse(const char *text, shift_knob_group *out)
{
    for (size_t g = 0; g < sizeof group_names / sizeof group_names[0]; g++)
        if (strcmp(group_names[g], text) == 0) {
            *out = (shift_knob_group)g;
            return 0;
        }
    return -1;
}

uint64_t shift_devices_hash(const shift_device *const *devices, size_t count)
{
    uint64_t hash = 0;
    for (size_t d = 0; d < count; d++) {
        hash = bench_hash64(devices[d]->name, strlen(devices[d]->name), hash);
        for (size_t k = 0; k < sizeof knob_ranges / sizeof knob_ranges[0]; k++) {
            char text[64];
            double value;
            memcpy(&value, (const char *)devices[d] + knob_ranges[k].offset, sizeof value);
            int length = snprintf(text, sizeof text, "|%.17g", value);
            hash = bench_hash64(text, (size_t)length, hash);
        }
    }
    return hash;
}

void shift_device_only_group(shift_device *out, const shift_device *device, const shift_device *reference,
                             shift_knob_group group)
{
    *out = *device;
    if (group == SHIFT_KNOBS_ALL)
        return;
    for (size_t k = 0; k < sizeof knob_ranges / sizeof knob_ranges[0]; k++)
        if (knob_ranges[k].group != group)
            memcpy((char *)out + knob_ranges[k].offset, (const char *)reference + knob_ranges[k].offset,
                   sizeof(double));
}

int shift_device_check(const shift_device *device, bench_error *error)
{
    for (size_t i = 0; i < sizeof knob_ranges / sizeof knob_ranges[0]; i++) {
        double value;
        memcpy(&value, (const char *)device + knob_ranges[i].offset, sizeof value);
        if (!(value >= knob_ranges[i].minimum && value <= knob_ranges[i].maximum))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "device %s: %s = %g outside its documented range [%g, %g] (%s)",
                              device->name, knob_ranges[i].name, value, knob_ranges[i].minimum,
                              knob_ranges[i].maximum, knob_ranges[i].meaning);
    }
    if (!(device->zeff_organic < device->zeff_mixed && device->zeff_mixed < device->zeff_metal))
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "device %s: colour-table breakpoints must increase", device->name);
    return BENCH_OK;
}

/* ---- Rendering ------------------------------------------------------------ */

/* Thickness profile (fraction of density) of a primitive at local (u, v). */
static double profile(const shift_primitive *p, double u, double v)
{
    double au = fabs(u), av = fabs(v);
    switch (p->shape) {
    case SHIFT_SHAPE_BOX:
        return au <= p->half_u && av <= p->half_v ? 1.0 : 0.0;
    case SHIFT_SHAPE_CYLINDER: {
        if (au > p->half_u || av > p->half_v)
            return 0.0;
        double s = av / p->half_v;
        return sqrt(1.0 - s * s);
    }
    case SHIFT_SHAPE_TUBE: {
        if (au > p->half_u || av > p->half_v)
            return 0.0;
        double s = av / p->half_v, r = p->inner;
        double outer = sqrt(1.0 - s * s), hole = s < r ? sqrt(r * r - s * s) : 0.0;
        return (outer - hole) / sqrt(1.0 - r * r); /* 1 at the inner wall's tangent */
    }
    case SHIFT_SHAPE_ELLIPSE: {
        double q = (u / p->half_u) * (u / p->half_u) + (v / p->half_v) * (v / p->half_v);
        return q <= 1.0 ? 1.0 : 0.0;
    }
    case SHIFT_SHAPE_RING: {
        double q = (u / p->half_u) * (u / p->half_u) + (v / p->half_v) * (v / p->half_v);
        return q <= 1.0 && q >= p->inner * p->inner ? 1.0 : 0.0;
    }
    case SHIFT_SHAPE_WEDGE: {
        if (au > p->half_u)
            return 0.0;
        double along = (u + p->half_u) / (2.0 * p->half_u);
        double half_width = p->half_v * (1.0 - (1.0 - p->inner) * along);
        return av <= half_width ? 1.0 : 0.0;
    }
    case SHIFT_SHAPE_BLOB: {
        double q = (u / p->half_u) * (u / p->half_u) + (v / p->half_v) * (v / p->half_v);
        return q < 1.0 ? sqrt(1.0 - q) : 0.0;
    }
    }
    return 0.0;
}

/* One 1-D pass of the blur: out(y, x) = Σ_k weights[k] in(y, x + k) when
 * across, in(y + k, x) otherwise, with clamped borders. */
static void blur_pass(float *out, const float *in, int n, const double *weights, int radius, int across)
{
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            double sum = 0.0;
            for (int k = -radius; k <= radius; k++) {
                int at = (across ? x : y) + k;
                at = at < 0 ? 0 : at >= n ? n - 1 : at;
                sum += weights[k + radius] * in[across ? y * n + at : at * n + x];
            }
            out[y * n + x] = (float)sum;
        }
}

/* Separable Gaussian blur in place, clamped borders; scratch is (n*n). */
static void gaussian_blur(float *image, float *scratch, int n, double sigma)
{
    if (sigma <= 0.0)
        return;
    int radius = (int)ceil(3.0 * sigma);
    double weights[64];
    if (radius > 31)
        radius = 31;
    double total = 0.0;
    for (int k = -radius; k <= radius; k++)
        total += weights[k + radius] = exp(-0.5 * k * k / (sigma * sigma));
    for (int k = 0; k <= 2 * radius; k++)
        weights[k] /= total;
    blur_pass(scratch, image, n, weights, radius, 1);
    blur_pass(image, scratch, n, weights, radius, 0);
}

/* Hue (degrees) from the effective-Z proxy through the device's colour table:
 * piecewise linear between the organic, mixed and metal anchors. */
static double hue_from_ratio(const shift_device *d, double ratio)
{
    if (ratio <= d->zeff_organic)
        return d->hue_organic;
    if (ratio >= d->zeff_metal)
        return d->hue_metal;
    if (ratio <= d->zeff_mixed)
        return d->hue_organic + (d->hue_mixed - d->hue_organic) * (ratio - d->zeff_organic) /
                                    (d->zeff_mixed - d->zeff_organic);
    return d->hue_mixed + (d->hue_metal - d->hue_mixed) * (ratio - d->zeff_mixed) / (d->zeff_metal - d->zeff_mixed);
}

static void hsv_to_rgb(double hue, double saturation, double value, double rgb[3])
{
    double h = fmod(hue, 360.0) / 60.0;
    if (h < 0)
        h += 6.0;
    int sector = (int)h;
    double f = h - sector;
    double p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f));
    switch (sector % 6) {
    case 0: rgb[0] = value, rgb[1] = t, rgb[2] = p; break;
    case 1: rgb[0] = q, rgb[1] = value, rgb[2] = p; break;
    case 2: rgb[0] = p, rgb[1] = value, rgb[2] = t; break;
    case 3: rgb[0] = p, rgb[1] = q, rgb[2] = value; break;
    case 4: rgb[0] = t, rgb[1] = p, rgb[2] = value; break;
    default: rgb[0] = value, rgb[1] = p, rgb[2] = q; break;
    }
}

int shift_render(const shift_scene *scene, const shift_device *d, uint64_t noise_seed, uint8_t *rgb,
                 shift_object *objects, size_t *object_count, bench_error *error)
{
    const int n = scene->size;
    const size_t pixels = (size_t)n * (size_t)n;
    /* attenuation low, high; blur scratch */
    float *buffer = calloc(3 * pixels, sizeof *buffer);
    if (buffer == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "render buffers for a %dx%d image", n, n);
    float *attenuation_low = buffer, *attenuation_high = buffer + pixels, *scratch = buffer + 2 * pixels;
    int box[SHIFT_MAX_OBJECTS][4];
    for (size_t k = 0; k < SHIFT_MAX_OBJECTS; k++)
        box[k][0] = box[k][1] = n, box[k][2] = box[k][3] = -1;

    /* Rasterise with 2x2 supersampling.  The belt stretch maps device column x
     * to scene column centre + (x - centre) / stretch. */
    const double centre = n * 0.5, stretch = d->belt_stretch;
    const double mu_l_scale = d->spectrum_hardness;
    static const double offsets[2] = {0.25, 0.75};
    for (size_t i = 0; i < scene->primitive_count; i++) {
        const shift_primitive *p = &scene->primitives[i];
        double reach_x = fabs(p->half_u * p->cos_angle) + fabs(p->half_v * p->sin_angle);
        double reach_y = fabs(p->half_u * p->sin_angle) + fabs(p->half_v * p->cos_angle);
        int x_lo = (int)floor(centre + (p->center_x - reach_x - centre) * stretch) - 1;
        int x_hi = (int)ceil(centre + (p->center_x + reach_x - centre) * stretch) + 1;
        int y_lo = (int)floor(p->center_y - reach_y) - 1, y_hi = (int)ceil(p->center_y + reach_y) + 1;
        if (x_lo < 0) x_lo = 0;
        if (y_lo < 0) y_lo = 0;
        if (x_hi > n - 1) x_hi = n - 1;
        if (y_hi > n - 1) y_hi = n - 1;
        double a_low = mu_low[p->material] * mu_l_scale * p->density;
        double a_high = mu_high[p->material] * p->density;
        for (int y = y_lo; y <= y_hi; y++)
            for (int x = x_lo; x <= x_hi; x++) {
                double coverage = 0.0;
                for (int sy = 0; sy < 2; sy++)
                    for (int sx = 0; sx < 2; sx++) {
                        double scene_x = centre + (x + offsets[sx] - centre) / stretch;
                        double scene_y = y + offsets[sy];
                        double dx = scene_x - p->center_x, dy = scene_y - p->center_y;
                        double u = dx * p->cos_angle + dy * p->sin_angle;
                        double v = -dx * p->sin_angle + dy * p->cos_angle;
                        coverage += profile(p, u, v);
                    }
                if (coverage <= 0.0)
                    continue;
                coverage *= 0.25;
                attenuation_low[y * n + x] += (float)(a_low * coverage);
                attenuation_high[y * n + x] += (float)(a_high * coverage);
                /* An annotator boxes pixels where the object visibly absorbs. */
                if (p->owner >= 0 && coverage * a_high > 0.02) {
                    int *b = box[p->owner];
                    if (x < b[0]) b[0] = x;
                    if (y < b[1]) b[1] = y;
                    if (x > b[2]) b[2] = x;
                    if (y > b[3]) b[3] = y;
                }
            }
    }
    *object_count = 0;
    for (size_t k = 0; k < scene->object_count; k++) {
        if (box[k][2] < 0)
            continue;
        objects[*object_count] = (shift_object){
            .class_index = scene->object_class[k],
            .difficult = 0,
            .box = {box[k][0] + 1.0, box[k][1] + 1.0, box[k][2] + 1.0, box[k][3] + 1.0},
        };
        (*object_count)++;
    }

    /* Expected counts, blurred by the detector's PSF. */
    for (size_t i = 0; i < pixels; i++) {
        attenuation_low[i] = (float)(d->photons_low * exp(-attenuation_low[i]));
        attenuation_high[i] = (float)(d->photons_high * exp(-attenuation_high[i]));
    }
    float *counts_low = attenuation_low, *counts_high = attenuation_high;
    gaussian_blur(counts_low, scratch, n, d->psf_sigma);
    gaussian_blur(counts_high, scratch, n, d->psf_sigma);

    /* Noise and detector defects.  Detector elements are rows (the line-scan
     * array spans the belt's width); time runs along x, so source flicker is a
     * per-column factor. */
    char purpose[64];
    snprintf(purpose, sizeof purpose, "shift/noise/%s", d->name);
    bench_rng rng;
    bench_rng_derive(&rng, noise_seed, purpose);
    gsl_rng *generator = gsl_rng_alloc(gsl_rng_mt19937);
    if (generator == NULL) {
        free(buffer);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "GSL random generator");
    }
    gsl_rng_set(generator, (unsigned long)bench_rng_next(&rng));
    double phase = bench_rng_uniform(&rng) * 6.283185307179586;
    int dead[3] = {-1, -1, -1}, hot[2] = {-1, -1};
    for (int i = 0; i < (int)d->dead_rows && i < 3; i++)
        dead[i] = (int)bench_rng_below(&rng, (uint64_t)n);
    for (int i = 0; i < (int)d->hot_rows && i < 2; i++)
        hot[i] = (int)bench_rng_below(&rng, (uint64_t)n);
    for (int y = 0; y < n; y++) {
        int is_dead = y == dead[0] || y == dead[1] || y == dead[2];
        int is_hot = y == hot[0] || y == hot[1];
        for (int x = 0; x < n; x++) {
            double flicker = 1.0 + d->banding_amplitude * sin(6.283185307179586 * x / d->banding_period + phase);
            size_t i = (size_t)y * n + x;
            double low = gsl_ran_poisson(generator, counts_low[i] * flicker) + gsl_ran_gaussian(generator, d->read_noise);
            double high =
                gsl_ran_poisson(generator, counts_high[i] * flicker) + gsl_ran_gaussian(generator, d->read_noise);
            low = d->detector_gain_low * low + d->detector_offset_low;
            high = d->detector_gain_high * high + d->detector_offset_high;
            /* Weak and leaky elements, not black and white lines: the flat-field
             * correction hides most of a failing element's error. */
            if (is_dead)
                low *= 0.6, high *= 0.6;
            if (is_hot)
                low = 0.5 * (low + d->photons_low), high = 0.5 * (high + d->photons_high);
            /* The workstation takes logs against the nominal I0, as calibrated. */
            counts_low[i] = (float)fmax(0.0, -log(fmax(low, 1.0) / d->photons_low));
            counts_high[i] = (float)fmax(0.0, -log(fmax(high, 1.0) / d->photons_high));
        }
    }
    gsl_rng_free(generator);

    /* Colour: hue from R through the device's table; saturation grows with
     * attenuation (thin material looks pale); value falls with attenuation. */
    for (size_t i = 0; i < pixels; i++) {
        double a_low = counts_low[i], a_high = counts_high[i];
        double ratio = a_high > 0.02 ? a_low / a_high : d->zeff_organic;
        double hue = hue_from_ratio(d, ratio);
        double saturation = d->saturation * (1.0 - exp(-a_high / d->saturation_scale));
        double value = pow(exp(-d->darkness * a_high), d->gamma);
        double colour[3];
        hsv_to_rgb(hue, saturation, value, colour);
        for (int c = 0; c < 3; c++) {
            double out = d->channel_gain[c] * colour[c] * d->tint[c] + d->channel_offset[c];
            out = out < 0.0 ? 0.0 : out > 1.0 ? 1.0 : out;
            rgb[3 * i + c] = (uint8_t)lrint(out * 255.0);
        }
    }
    free(buffer);
    return BENCH_OK;
}
