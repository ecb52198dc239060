#include "datasets/idx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_TYPE_UNSIGNED_BYTE 0x08

_Static_assert(BENCH_IDX_MAX_ELEMENTS + 4 + 4 * BENCH_IDX_MAX_RANK < ((uint64_t)1 << 32),
               "a gzip ISIZE (mod 2^32) must bound every file the reader accepts");

/* How many bytes the file decompresses to, known without decompressing it, so a
 * header that declares more than the file holds is refused before allocating:
 * a gzip member ends with ISIZE (uncompressed length mod 2^32); a plain file is
 * its own size.  A gzip file too short to hold its 10-byte header and 8-byte
 * trailer is refused here: trusting its header instead cost a 1.5 GB
 * allocation (~2 s under ASan) for a 17-byte fuzz input. */
static int idx_available_bytes(const char *path, uint64_t *bytes, bench_error *error)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return BENCH_FAIL(error, errno == ENOENT ? BENCH_NOT_FOUND : BENCH_IO, "%s: cannot open: %s", path,
                          strerror(errno));
    unsigned char head[2] = {0, 0};
    size_t head_length = fread(head, 1, 2, file);
    struct stat status;
    if (fstat(fileno(file), &status) != 0) {
        fclose(file);
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    int result = BENCH_OK;
    if (head_length == 2 && head[0] == 0x1f && head[1] == 0x8b) {
        unsigned char trailer[4];
        if (status.st_size < 18)
            result = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s: truncated: a gzip file holds at least 18 bytes, this one %lld", path,
                                (long long)status.st_size);
        else if (fseeko(file, -4, SEEK_END) != 0 || fread(trailer, 1, 4, file) != 4)
            result = BENCH_FAIL(error, BENCH_IO, "%s: cannot read the gzip trailer: %s", path, strerror(errno));
        else
            *bytes = (uint64_t)trailer[0] | (uint64_t)trailer[1] << 8 | (uint64_t)trailer[2] << 16 |
                     (uint64_t)trailer[3] << 24;
    } else {
        *bytes = (uint64_t)status.st_size;
    }
    fclose(file);
    return result;
}

/* Read exactly `length` bytes; a short read is a truncated or corrupt file. */
static int idx_read_exact(gzFile file, void *buffer, size_t length, const char *path, const char *what,
                          bench_error *error)
{
    unsigned char *cursor = buffer;
    size_t done = 0;
    while (done < length) {
        size_t chunk = length - done;
        if (chunk > (1u << 30))
            chunk = 1u << 30;
        int got = gzread(file, cursor + done, (unsigned)chunk);
        if (got < 0) {
            int zlib_code = 0;
            const char *message = gzerror(file, &zlib_code);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: corrupt compressed data while reading %s: %s", path,
                              what, message);
        }
        if (got == 0) {
            int zlib_code = 0;
            const char *message = gzerror(file, &zlib_code);
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s: truncated: %s needs %zu bytes but the file ends after %zu%s%s", path, what,
                              length, done, zlib_code != Z_OK ? " (" : "", zlib_code != Z_OK ? message : "");
        }
        done += (size_t)got;
    }
    return BENCH_OK;
}

int bench_idx_read(bench_idx *out, const char *path, size_t expected_rank, bench_error *error)
{
    memset(out, 0, sizeof *out);
    uint64_t available = 0;
    int status = idx_available_bytes(path, &available, error);
    if (status != BENCH_OK)
        return status;

    gzFile file = gzopen(path, "rb");
    if (file == NULL)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char magic[4];
    status = idx_read_exact(file, magic, 4, path, "the magic number", error);
    if (status != BENCH_OK)
        goto fail;
    if (magic[0] != 0 || magic[1] != 0) {
        status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                            "%s: not an IDX file: magic number starts %02x %02x, expected 00 00", path, magic[0],
                            magic[1]);
        goto fail;
    }
    if (magic[2] != IDX_TYPE_UNSIGNED_BYTE) {
        status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                            "%s: IDX element type 0x%02x is not supported (only 0x08, unsigned byte)", path,
                            magic[2]);
        goto fail;
    }
    size_t rank = magic[3];
    if (rank == 0 || rank > BENCH_IDX_MAX_RANK || (expected_rank != 0 && rank != expected_rank)) {
        if (expected_rank != 0)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: IDX rank is %zu, expected %zu", path, rank,
                                expected_rank);
        else
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: IDX rank %zu is outside 1..%d", path, rank,
                                BENCH_IDX_MAX_RANK);
        goto fail;
    }
    unsigned char dim_bytes[4 * BENCH_IDX_MAX_RANK];
    status = idx_read_exact(file, dim_bytes, 4 * rank, path, "the dimensions", error);
    if (status != BENCH_OK)
        goto fail;
    size_t count = 1;
    for (size_t d = 0; d < rank; d++) {
        const unsigned char *b = dim_bytes + 4 * d;
        size_t dim = (size_t)b[0] << 24 | (size_t)b[1] << 16 | (size_t)b[2] << 8 | (size_t)b[3];
        if (dim == 0) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: IDX dimension %zu is zero", path, d);
            goto fail;
        }
        if (count > BENCH_IDX_MAX_ELEMENTS / dim) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: IDX dimensions declare more than %zu elements", path,
                                BENCH_IDX_MAX_ELEMENTS);
            goto fail;
        }
        count *= dim;
        out->dims[d] = dim;
    }
    uint64_t needed = 4 + 4 * (uint64_t)rank + count;
    /* ISIZE is modulo 2^32; BENCH_IDX_MAX_ELEMENTS keeps `needed` below that,
     * so the comparison bounds the allocation below. */
    if (available != needed) {
        status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                            "%s: header declares %zu elements (%llu bytes in all) but the file holds %llu bytes",
                            path, count, (unsigned long long)needed, (unsigned long long)available);
        goto fail;
    }
    out->data = malloc(count);
    if (out->data == NULL) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: cannot allocate %zu bytes", path, count);
        goto fail;
    }
    status = idx_read_exact(file, out->data, count, path, "the elements", error);
    if (status != BENCH_OK)
        goto fail;
    unsigned char extra;
    int trailing = gzread(file, &extra, 1);
    if (trailing != 0) {
        status = trailing < 0 ? BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: corrupt compressed data after the elements",
                                           path)
                              : BENCH_FAIL(error, BENCH_BAD_INPUT,
                                           "%s: data continue after the %zu elements the header declares", path,
                                           count);
        goto fail;
    }
    gzclose(file);
    out->rank = rank;
    out->element_count = count;
    return BENCH_OK;
fail:
    gzclose(file);
    bench_idx_free(out);
    return status;
}

void bench_idx_free(bench_idx *idx)
{
    if (idx == NULL)
        return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

int bench_image_set_load(bench_image_set *out, const char *images_path, const char *labels_path,
                         size_t class_count, bench_error *error)
{
    memset(out, 0, sizeof *out);
    bench_idx images, labels;
    int status = bench_idx_read(&images, images_path, 3, error);
    if (status != BENCH_OK)
        return status;
    status = bench_idx_read(&labels, labels_path, 1, error);
    if (status != BENCH_OK) {
        bench_idx_free(&images);
        return status;
    }
    if (images.dims[0] != labels.dims[0]) {
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s holds %zu images but %s holds %zu labels", images_path,
                            images.dims[0], labels_path, labels.dims[0]);
        goto done;
    }
    for (size_t i = 0; i < labels.dims[0]; i++)
        if (labels.data[i] >= class_count) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: label %u of item %zu is not below %zu classes",
                                labels_path, labels.data[i], i, class_count);
            goto done;
        }
    out->count = images.dims[0];
    out->height = images.dims[1];
    out->width = images.dims[2];
    out->class_count = class_count;
    out->images = malloc(images.element_count * sizeof *out->images);
    if (out->images == NULL) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: cannot allocate %zu floats", images_path,
                            images.element_count);
        goto done;
    }
    for (size_t i = 0; i < images.element_count; i++)
        out->images[i] = (float)images.data[i] / 255.0f;
    out->labels = labels.data; /* ownership moves to the set */
    labels.data = NULL;
done:
    bench_idx_free(&images);
    bench_idx_free(&labels);
    if (status != BENCH_OK)
        bench_image_set_free(out);
    return status;
}

void bench_image_set_free(bench_image_set *set)
{
    if (set == NULL)
        return;
    free(set->images);
    free(set->labels);
    memset(set, 0, sizeof *set);
}

int fashion_mnist(bench_image_set *out, const char *directory, const char *split, bench_error *error)
{
    memset(out, 0, sizeof *out);
    if (directory == NULL || directory[0] == '\0')
        directory = getenv("BENCH_FASHION_MNIST_DIR");
    if (directory == NULL || directory[0] == '\0')
        directory = BENCH_FASHION_MNIST_DEFAULT_DIR;
    const char *prefix;
    size_t expected_count;
    if (strcmp(split, "train") == 0) {
        prefix = "train";
        expected_count = 60000;
    } else if (strcmp(split, "test") == 0) {
        prefix = "t10k";
        expected_count = 10000;
    } else {
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "fashion_mnist: unknown split '%s' (splits: train, test)", split);
    }
    char images_path[4096], labels_path[4096];
    snprintf(images_path, sizeof images_path, "%s/%s-images-idx3-ubyte.gz", directory, prefix);
    snprintf(labels_path, sizeof labels_path, "%s/%s-labels-idx1-ubyte.gz", directory, prefix);
    int status = bench_image_set_load(out, images_path, labels_path, 10, error);
    if (status == BENCH_NOT_FOUND)
        return bench_error_prefix(error, "fashion_mnist: install Debian's dataset-fashion-mnist or set "
                                         "BENCH_FASHION_MNIST_DIR: ");
    if (status != BENCH_OK)
        return status;
    if (out->count != expected_count || out->height != 28 || out->width != 28) {
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: %zu images of %zu×%zu, Fashion-MNIST %s has %zu of 28×28",
                            images_path, out->count, out->height, out->width, split, expected_count);
        bench_image_set_free(out);
    }
    return status;
}
