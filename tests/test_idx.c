/* IDX reader: good files (plain and gzip), and every malformed case refused with
 * BENCH_BAD_INPUT naming the file; the real Fashion-MNIST when installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "datasets/idx.h"
#include "support_files.h"
#include "support_cmocka.h"

static void write_bytes(const char *path, const unsigned char *bytes, size_t length, int compress)
{
    if (compress) {
        gzFile file = gzopen(path, "wb");
        assert_non_null(file);
        assert_int_equal(gzwrite(file, bytes, (unsigned)length), (int)length);
        assert_int_equal(gzclose(file), Z_OK);
    } else {
        FILE *file = fopen(path, "wb");
        assert_non_null(file);
        assert_int_equal(fwrite(bytes, 1, length, file), length);
        assert_int_equal(fclose(file), 0);
    }
}

/* An IDX header for unsigned bytes of the given dims, followed by `payload` bytes 0,1,2,... */
static size_t build_idx(unsigned char *buffer, const size_t *dims, size_t rank, size_t payload)
{
    size_t n = 0;
    buffer[n++] = 0;
    buffer[n++] = 0;
    buffer[n++] = 0x08;
    buffer[n++] = (unsigned char)rank;
    for (size_t d = 0; d < rank; d++) {
        buffer[n++] = (unsigned char)(dims[d] >> 24);
        buffer[n++] = (unsigned char)(dims[d] >> 16);
        buffer[n++] = (unsigned char)(dims[d] >> 8);
        buffer[n++] = (unsigned char)dims[d];
    }
    for (size_t i = 0; i < payload; i++)
        buffer[n++] = (unsigned char)(i % 7);
    return n;
}

/* The 3 × 4 × 5 file both the reader and the refusal tests start from. */
static size_t build_cube(unsigned char *buffer)
{
    static const size_t dims[3] = {3, 4, 5};
    return build_idx(buffer, dims, 3, 60);
}

static void path_of(char *path, size_t size, const char *name)
{
    snprintf(path, size, "%s/%s", test_scratch, name);
}

static void reads_plain_and_gzip(void **state)
{
    (void)state;
    unsigned char buffer[256];
    size_t length = build_cube(buffer);
    for (int compress = 0; compress <= 1; compress++) {
        char path[512];
        path_of(path, sizeof path, compress ? "good.gz" : "good");
        write_bytes(path, buffer, length, compress);
        bench_idx idx;
        bench_error error = {0};
        assert_int_equal(bench_idx_read(&idx, path, 3, &error), BENCH_OK);
        assert_int_equal(idx.rank, 3);
        assert_int_equal(idx.dims[0], 3);
        assert_int_equal(idx.dims[1], 4);
        assert_int_equal(idx.dims[2], 5);
        assert_int_equal(idx.element_count, 60);
        for (size_t i = 0; i < 60; i++)
            assert_int_equal(idx.data[i], i % 7);
        bench_idx_free(&idx);
    }
}

/* Each malformed file must fail with BENCH_BAD_INPUT and a message naming the file and `expect`. */
static void expect_bad(const unsigned char *bytes, size_t length, int compress, size_t rank, const char *name,
                       const char *expect)
{
    char path[512];
    path_of(path, sizeof path, name);
    write_bytes(path, bytes, length, compress);
    bench_idx idx;
    bench_error error = {0};
    int status = bench_idx_read(&idx, path, rank, &error);
    if (status != BENCH_BAD_INPUT || strstr(error.message, path) == NULL || strstr(error.message, expect) == NULL)
        fail_msg("%s: status %d, message '%s' (wanted '%s')", name, status, error.message, expect);
    assert_null(idx.data);
}

static void refuses_malformed_files(void **state)
{
    (void)state;
    unsigned char buffer[256];
    size_t length = build_cube(buffer);
    for (int compress = 0; compress <= 1; compress++) {
        expect_bad(buffer, length - 1, compress, 3, compress ? "short.gz" : "short", compress ? "bytes" : "holds");
        expect_bad(buffer, 10, compress, 3, compress ? "cut-dims.gz" : "cut-dims", compress ? "truncated" : "truncated");
        unsigned char longer[257];
        memcpy(longer, buffer, length);
        longer[length] = 9;
        expect_bad(longer, length + 1, compress, 3, compress ? "long.gz" : "long", "");
        expect_bad(buffer, length, compress, 1, compress ? "rank.gz" : "rank", "rank is 3, expected 1");
        unsigned char bad_magic[256];
        memcpy(bad_magic, buffer, length);
        bad_magic[0] = 0x50;
        expect_bad(bad_magic, length, compress, 3, compress ? "magic.gz" : "magic", "not an IDX file");
        memcpy(bad_magic, buffer, length);
        bad_magic[2] = 0x0d;
        expect_bad(bad_magic, length, compress, 3, compress ? "type.gz" : "type", "not supported");
        expect_bad(buffer, 2, compress, 3, compress ? "tiny.gz" : "tiny", "truncated");
    }
    /* A huge header must be refused before allocating gigabytes. */
    size_t huge_dims[3] = {60000, 60000, 60000};
    size_t huge_length = build_idx(buffer, huge_dims, 3, 10);
    expect_bad(buffer, huge_length, 1, 3, "huge.gz", "more than");
    size_t big_dims[3] = {1000, 1000, 100};
    size_t big_length = build_idx(buffer, big_dims, 3, 10);
    expect_bad(buffer, big_length, 1, 3, "big.gz", "holds");

    /* A gzip file without its trailer, whose header declares 1.5 G elements
     * (a fuzz input that made each read allocate them): refused up front. */
    static const unsigned char no_trailer[17] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                                 0x03, 0x63, 0x60, 0xe0, 0x60, 0x8c, 0x02, 0x62};
    expect_bad(no_trailer, sizeof no_trailer, 0, 0, "no-trailer.gz", "truncated: a gzip file holds at least 18");

    /* A gzip stream cut in its middle (compressed bytes missing). */
    char good_path[512], cut_path[512];
    unsigned char random_payload[4096 + 16];
    size_t random_dims[1] = {4096};
    size_t random_length = build_idx(random_payload, random_dims, 1, 0);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < 4096; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        random_payload[random_length + i] = (unsigned char)x;
    }
    path_of(good_path, sizeof good_path, "random.gz");
    write_bytes(good_path, random_payload, random_length + 4096, 1);
    FILE *file = fopen(good_path, "rb");
    assert_non_null(file);
    unsigned char compressed[8192];
    size_t compressed_length = fread(compressed, 1, sizeof compressed, file);
    fclose(file);
    assert_true(compressed_length > 1000);
    path_of(cut_path, sizeof cut_path, "cut-stream.gz");
    write_bytes(cut_path, compressed, compressed_length / 2, 0);
    bench_idx idx;
    bench_error error = {0};
    assert_int_equal(bench_idx_read(&idx, cut_path, 1, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, cut_path));

    char missing[512];
    path_of(missing, sizeof missing, "absent.gz");
    assert_int_equal(bench_idx_read(&idx, missing, 1, &error), BENCH_NOT_FOUND);
}

static void image_set_checks_pairing_and_labels(void **state)
{
    (void)state;
    unsigned char images[256], labels[64];
    size_t image_dims[3] = {4, 2, 3};
    size_t image_length = build_idx(images, image_dims, 3, 24);
    size_t label_dims[1] = {4};
    size_t label_length = build_idx(labels, label_dims, 1, 4);
    char images_path[512], labels_path[512];
    path_of(images_path, sizeof images_path, "set-images.gz");
    path_of(labels_path, sizeof labels_path, "set-labels.gz");
    write_bytes(images_path, images, image_length, 1);
    write_bytes(labels_path, labels, label_length, 1);
    bench_image_set set;
    bench_error error = {0};
    assert_int_equal(bench_image_set_load(&set, images_path, labels_path, 10, &error), BENCH_OK);
    assert_int_equal(set.count, 4);
    assert_int_equal(set.height, 2);
    assert_int_equal(set.width, 3);
    assert_float_equal(set.images[1], 1.0 / 255.0, 1e-7);
    assert_int_equal(set.labels[3], 3);
    bench_image_set_free(&set);

    assert_int_equal(bench_image_set_load(&set, images_path, labels_path, 3, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "label 3 of item 3"));

    size_t other_dims[1] = {5};
    label_length = build_idx(labels, other_dims, 1, 5);
    write_bytes(labels_path, labels, label_length, 1);
    assert_int_equal(bench_image_set_load(&set, images_path, labels_path, 10, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "4 images"));
    assert_null(set.images);
}

static void loads_fashion_mnist_when_installed(void **state)
{
    (void)state;
    const char *directory = getenv("BENCH_FASHION_MNIST_DIR");
    if (directory == NULL)
        directory = BENCH_FASHION_MNIST_DEFAULT_DIR;
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/t10k-labels-idx1-ubyte.gz", directory);
    if (access(probe, R_OK) != 0) {
        printf("SKIPPED: %s absent (install dataset-fashion-mnist)\n", probe);
        skip();
    }
    bench_image_set test;
    bench_error error = {0};
    assert_int_equal(fashion_mnist(&test, NULL, "test", &error), BENCH_OK);
    assert_int_equal(test.count, 10000);
    assert_int_equal(test.height, 28);
    size_t per_class[10] = {0};
    double sum = 0;
    for (size_t i = 0; i < test.count; i++)
        per_class[test.labels[i]]++;
    for (size_t i = 0; i < test.count * 784; i++)
        sum += test.images[i];
    for (int c = 0; c < 10; c++)
        assert_int_equal(per_class[c], 1000); /* the published test set is balanced */
    /* Fashion-MNIST's mean pixel is about 0.286 (the value used for normalisation). */
    assert_float_equal(sum / (double)(test.count * 784), 0.286, 0.005);
    bench_image_set_free(&test);
    assert_int_equal(fashion_mnist(&test, NULL, "validation", &error), BENCH_BAD_INPUT);
}

TEST_MAIN("idx", test_scratch_setup, test_scratch_teardown,
          cmocka_unit_test(reads_plain_and_gzip),
          cmocka_unit_test(refuses_malformed_files),
          cmocka_unit_test(image_set_checks_pairing_and_labels),
          cmocka_unit_test(loads_fashion_mnist_when_installed))
