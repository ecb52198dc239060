/* The generated EDS-like benchmark on disk, and loading it (or real EDS-style
 * data) into memory.
 *
 * Layout written by shift_generate (mirrors EDS's domainN/{images,labels}):
 *
 *   DIR/benchmark.ini              seed, scenes, size, devices, split sizes
 *   DIR/<device>/images/<id>.png   8-bit RGB, size x size
 *   DIR/<device>/labels/<id>.xml   Pascal-VOC, EDS class keys
 *   DIR/<device>/{train,val,test}.txt   ids, one per line (70/10/20 %)
 *   DIR/<device>/all.txt           every id: EDS's transductive mode (train on
 *                                  all source, adapt and test on all target)
 *
 * Scene <id> is the same layout in every device directory and in the same
 * split, so a target test scene was never seen, in any device, in training. */
#ifndef SHIFT_BENCHMARK_H
#define SHIFT_BENCHMARK_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "domain_shift/voc_xml.h"
#include "domain_shift/xray.h"

#define SHIFT_MAX_DEVICES 8

typedef struct shift_generate_options {
    const char *out_dir;
    uint64_t seed;
    size_t scenes;
    int size;                                  /* pixels, 32..512 */
    size_t device_count;
    const shift_device *devices[SHIFT_MAX_DEVICES];
    /* Called after each scene (all devices) when not NULL, e.g. for a TTY progress line. */
    void (*progress)(void *data, size_t done, size_t total);
    void *progress_data;
} shift_generate_options;

/* Writes the benchmark; every file appears whole (temp + rename).  Fails with
 * BENCH_BAD_INPUT on a device outside its documented knob ranges or bad sizes. */
int shift_generate(const shift_generate_options *options, bench_error *error);

/* Scene ids of a split for a benchmark of `scenes` scenes: split is "train",
 * "val", "test" or "all".  *ids (ascending) is allocated here, freed by the
 * caller with free(). */
int shift_split_ids(uint64_t seed, size_t scenes, const char *split, size_t **ids, size_t *count,
                    bench_error *error);

/* One device's images of one split, in memory. */
typedef struct shift_dataset {
    size_t count;
    int size;                  /* every image is size x size */
    uint8_t *pixels;           /* (count, size, size, 3) */
    shift_annotation *labels;  /* (count) */
    char (*ids)[32];           /* (count) file stems */
} shift_dataset;

/* Reads DIR/<device>/<split>.txt and the listed images/<id>.png (or
 * images/<id>.jpg, as EDS ships them, when the build has libjpeg) and
 * labels/<id>.xml.  Every image must be square and of one size.  Errors name
 * the list file and line or the image/label file.  *out is freed with
 * shift_dataset_free. */
int shift_dataset_load(const char *dir, const char *device, const char *split, shift_dataset *out,
                       bench_error *error);

/* The same, but every image is letterboxed to size x size: scaled by
 * size / max(width, height) (bilinear), centred, padded with the empty-belt
 * white, boxes mapped alike.  Real EDS images are package crops of varying
 * size; generated images of the right size are copied unchanged. */
int shift_dataset_load_resized(const char *dir, const char *device, const char *split, int size,
                               shift_dataset *out, bench_error *error);
void shift_dataset_free(shift_dataset *dataset);

#endif
