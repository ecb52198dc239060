/* An EDS-like dual-energy X-ray scene generator (reference: domain_shift.md §1,
 * §6).  Two independent halves:
 *
 *  - a SCENE is a device-independent layout: a bag on a belt holding 0-4 of
 *    the ten EDS objects plus distractor clutter, every item a list of
 *    parametric primitives with a material (organic / inorganic / metal) and
 *    an areal density rho*t (g/cm^2);
 *  - a DEVICE is a documented set of knobs (colour table, miscalibration,
 *    noise, blur, detector defects, belt speed, tint) that turns a scene into
 *    an RGB image by the dual-energy model
 *        I_E = I0_E * exp(-sum_m mu_m(E) rho_m t_m),  E in {low, high},
 *    hue from the effective-Z proxy R = ln(I0_L/I_L) / ln(I0_H/I_H) through the
 *    device's colour table, value (darkness) from total attenuation.
 *
 * The same scene rendered by every device differs only by the device: that is
 * the endogenous shift.  Everything is a pure function of (seed, scene index,
 * device): same inputs, same bytes. */
#ifndef SHIFT_XRAY_H
#define SHIFT_XRAY_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "domain_shift/voc_xml.h"

#define SHIFT_MAX_OBJECTS 4
#define SHIFT_MAX_PRIMITIVES 192
#define SHIFT_DEFAULT_SIZE 96

typedef enum {
    SHIFT_ORGANIC = 0,   /* Z <~ 10: plastics, liquids, fabric, paper */
    SHIFT_INORGANIC = 1, /* light inorganic: glass, aluminium, ceramics, circuit boards */
    SHIFT_METAL = 2,     /* steel, copper, batteries' cans */
    SHIFT_MATERIAL_COUNT = 3
} shift_material;

typedef enum {
    SHIFT_SHAPE_BOX,      /* rectangle of constant thickness */
    SHIFT_SHAPE_CYLINDER, /* solid cylinder seen side-on: chord profile across v */
    SHIFT_SHAPE_TUBE,     /* hollow cylinder: outer chord minus inner chord (inner = radius ratio) */
    SHIFT_SHAPE_ELLIPSE,  /* flat disc */
    SHIFT_SHAPE_RING,     /* flat annulus (inner = radius ratio) */
    SHIFT_SHAPE_WEDGE,    /* tapered blade: half-width hv at u=-hu down to inner*hv at u=+hu */
    SHIFT_SHAPE_BLOB      /* soft ellipsoid (clothing, food): sqrt profile */
} shift_shape;

typedef struct shift_primitive {
    int shape;              /* shift_shape */
    int material;           /* shift_material */
    int owner;              /* annotated object index, or -1 for bag and clutter */
    double density;         /* g/cm^2 at the thickest point */
    double center_x, center_y; /* scene pixels (continuous, 0 = left edge) */
    double cos_angle, sin_angle; /* direction of the primitive's u axis */
    double half_u, half_v;  /* half extents along u and v, pixels */
    double inner;           /* shape parameter, see shift_shape */
} shift_primitive;

typedef struct shift_scene {
    int size;                     /* square scene, pixels */
    size_t object_count;
    int object_class[SHIFT_MAX_OBJECTS];
    size_t primitive_count;
    shift_primitive primitives[SHIFT_MAX_PRIMITIVES];
} shift_scene;

/* Lays out scene `index` of the benchmark with master seed `seed` at size x
 * size pixels (32..512).  Pure: depends only on its arguments. */
void shift_scene_generate(shift_scene *scene, int size, uint64_t seed, size_t index);

/* ---- Devices ----------------------------------------------------------------
 * Every numeric knob is a double so that one table (shift_knob_ranges) can
 * document and check them all.  Ranges are where, in our judgement from the
 * rendered samples, a person still recognises the same bag and the same
 * objects: colours drift, noise and blur change, nothing disappears. */
typedef struct shift_device {
    const char *name;            /* "D1" */
    const char *summary;         /* one line: how its images look */
    /* physics and detector (counts) */
    double photons_low;          /* I0 of the low-energy channel, counts/pixel */
    double photons_high;         /* I0 of the high-energy channel */
    double spectrum_hardness;    /* multiplies mu(low): tube voltage / filtration */
    double read_noise;           /* Gaussian read-out noise sigma, counts */
    double detector_gain_low;    /* gain miscalibration of the low channel */
    double detector_gain_high;
    double detector_offset_low;  /* dark-current offset left after calibration, counts */
    double detector_offset_high;
    double psf_sigma;            /* Gaussian blur of the detector, pixels */
    double dead_rows;            /* weak detector elements (60% gain): faint dark lines along the belt */
    double hot_rows;             /* leaky elements, half-way to full scale: faint bright lines */
    double banding_amplitude;    /* relative source flicker across the belt direction */
    double banding_period;       /* pixels per flicker cycle */
    double belt_stretch;         /* belt speed: horizontal scale of the image */
    /* display: colour table and tone curve */
    double zeff_organic;         /* R at or below which the hue is the organic hue */
    double zeff_mixed;           /* R of pure "mixed" (green) */
    double zeff_metal;           /* R at or above which the hue is the metal hue */
    double hue_organic;          /* degrees (orange ~ 30) */
    double hue_mixed;            /* degrees (green ~ 100) */
    double hue_metal;            /* degrees (blue ~ 215) */
    double saturation;           /* maximum colour saturation */
    double saturation_scale;     /* attenuation at which saturation reaches 63% of max */
    double darkness;             /* value = exp(-darkness * A_high) ... */
    double gamma;                /* ... ^ gamma */
    double channel_gain[3];      /* display R, G, B gain miscalibration */
    double channel_offset[3];    /* display R, G, B offset (fraction of full scale) */
    double tint[3];              /* R, G, B of the empty belt (white balance) */
} shift_device;

/* Groups of knobs, for benchmarks whose devices differ in one group only. */
typedef enum {
    SHIFT_KNOBS_ALL,       /* every knob: the devices as they are */
    SHIFT_KNOBS_COLOUR,    /* colour table, tone curve, saturation, tint and gains, spectrum */
    SHIFT_KNOBS_NOISE,     /* photon and read noise, blur */
    SHIFT_KNOBS_ARTEFACTS, /* banding, weak and leaky rows, belt stretch */
} shift_knob_group;

typedef struct shift_knob_range {
    const char *name;
    size_t offset;               /* offsetof(shift_device, field) (+ element) */
    double minimum, maximum;
    const char *meaning;
    shift_knob_group group;      /* never SHIFT_KNOBS_ALL */
} shift_knob_range;

/* The built-in devices D1, D2, D3 (static, never NULL). */
const shift_device *shift_devices(size_t *count);
/* NULL (and BENCH_NOT_FOUND listing the names) when unknown. */
const shift_device *shift_device_find(const char *name, bench_error *error);
/* Static table of every knob's documented range. */
const shift_knob_range *shift_knob_ranges(size_t *count);
/* "all", "colour", "noise", "artefacts"; parse returns -1 for anything else. */
const char *shift_knob_group_name(shift_knob_group group);
int shift_knob_group_parse(const char *text, shift_knob_group *out);
/* A hash of the devices' names and every knob value: a generated benchmark
 * records it, so a benchmark of other knobs is not taken for this one. */
uint64_t shift_devices_hash(const shift_device *const *devices, size_t count);
/* out = device with every knob outside group taken from reference (name and
 * summary stay device's); group SHIFT_KNOBS_ALL copies device unchanged. */
void shift_device_only_group(shift_device *out, const shift_device *device, const shift_device *reference,
                             shift_knob_group group);
/* BENCH_BAD_INPUT naming the first knob outside its range (or breakpoints out of order). */
int shift_device_check(const shift_device *device, bench_error *error);

/* Renders scene through device: rgb (size × size × 3) and the annotated
 * objects as the device's image shows them (boxes follow the belt stretch; an
 * object whose pixels all fall outside the image is dropped).  noise_seed
 * drives Poisson/Gaussian noise (GSL generators seeded from a bench_rng).
 * objects must hold SHIFT_MAX_OBJECTS.  Fails only with BENCH_NO_MEMORY. */
int shift_render(const shift_scene *scene, const shift_device *device, uint64_t noise_seed, uint8_t *rgb,
                 shift_object *objects, size_t *object_count, bench_error *error);

#endif
