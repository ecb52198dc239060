/* IDX files (LeCun's MNIST container, also used by Fashion-MNIST), read through
 * zlib so that `.gz` and plain files are handled alike, and the Fashion-MNIST
 * loader built on them.
 *
 * IDX layout: bytes 0-1 are zero, byte 2 the element type (0x08 = unsigned
 * byte, the only type bench needs), byte 3 the rank r; then r big-endian uint32
 * dimensions; then the elements, row-major, with nothing after them. */
#ifndef BENCH_DATASETS_IDX_H
#define BENCH_DATASETS_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"

#define BENCH_IDX_MAX_RANK 4
/* Refuse headers declaring more than this many elements before allocating:
 * the largest IDX file in use (MNIST-style 60000×28×28) is 47 MB. */
#define BENCH_IDX_MAX_ELEMENTS ((size_t)1 << 31)

typedef struct bench_idx {
    size_t rank;
    size_t dims[BENCH_IDX_MAX_RANK]; /* (rank) */
    size_t element_count;            /* product of dims */
    uint8_t *data;                   /* (element_count), row-major */
} bench_idx;

/* Read an unsigned-byte IDX file, gzip-compressed or not.  Fails with
 * BENCH_BAD_INPUT naming `path` when the magic number, rank or type is wrong,
 * when the data are shorter or longer than the header declares, or when the
 * compressed stream is corrupt; BENCH_NOT_FOUND/BENCH_IO when it cannot be
 * opened.  `expected_rank` (0 = any) is checked too.  On success out->data is
 * freed with bench_idx_free(); on failure *out holds nothing to free. */
int bench_idx_read(bench_idx *out, const char *path, size_t expected_rank, bench_error *error);
void bench_idx_free(bench_idx *idx);

/* A labelled set of grey images. */
typedef struct bench_image_set {
    size_t count, height, width;
    size_t class_count;
    float *images;   /* (count, height, width), pixel / 255 in [0, 1] */
    uint8_t *labels; /* (count), each < class_count */
} bench_image_set;

/* Load a pair of IDX files (images rank 3, labels rank 1) into *out, checking
 * that both have the same number of items and every label is < class_count.
 * out is released with bench_image_set_free(). */
int bench_image_set_load(bench_image_set *out, const char *images_path, const char *labels_path,
                         size_t class_count, bench_error *error);
void bench_image_set_free(bench_image_set *set);

/* Fashion-MNIST ("train": 60000 images, "test": 10000; 28×28; 10 classes).
 * `directory` NULL means $BENCH_FASHION_MNIST_DIR, else the place Debian's
 * dataset-fashion-mnist installs to (/usr/share/datasets/fashion-mnist).
 * The split's item count is checked against the published size.
 * out is released with bench_image_set_free(). */
int fashion_mnist(bench_image_set *out, const char *directory, const char *split, bench_error *error);

#define BENCH_FASHION_MNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

#endif
