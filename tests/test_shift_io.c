/* VOC XML (expat) and PNG (libpng) input/output for the X-ray benchmark:
 * good and malformed annotation fixtures in tests/data/shift (paths relative to
 * the repository top, where make and tests/run.sh run), write/read round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain_shift/benchmark.h"
#include "domain_shift/jpeg_io.h"
#include "domain_shift/png_io.h"
#include "domain_shift/voc_xml.h"
#include "support_cmocka.h"
#include "support_files.h"

#define FIXTURES "tests/data/shift/"

static void reads_good_annotation(void **state)
{
    (void)state;
    shift_annotation annotation;
    bench_error error = {0};
    assert_int_equal(shift_voc_read(FIXTURES "good.xml", &annotation, &error), BENCH_OK);
    assert_string_equal(annotation.filename, "000123.jpg");
    assert_int_equal(annotation.width, 640);
    assert_int_equal(annotation.height, 480);
    assert_int_equal(annotation.depth, 3);
    assert_int_equal(annotation.object_count, 2);
    assert_int_equal(annotation.objects[0].class_index, shift_class_index("smallelectronicequipmen"));
    assert_int_equal(annotation.objects[0].difficult, 0);
    assert_float_equal(annotation.objects[0].box.x_min, 12, 0);
    assert_float_equal(annotation.objects[0].box.y_max, 88, 0);
    /* Order of box fields does not matter, names are trimmed, fractions kept. */
    assert_int_equal(annotation.objects[1].class_index, shift_class_index("knife"));
    assert_int_equal(annotation.objects[1].difficult, 1);
    assert_float_equal(annotation.objects[1].box.x_min, 300, 0);
    assert_float_equal(annotation.objects[1].box.y_min, 200.5, 0);
    assert_float_equal(annotation.objects[1].box.x_max, 420, 0);
    shift_annotation_free(&annotation);
}

static void expect_failure(const char *file, int code, const char *where, const char *what)
{
    shift_annotation annotation;
    bench_error error = {0};
    assert_int_equal(shift_voc_read(file, &annotation, &error), code);
    if (strstr(error.message, where) == NULL || strstr(error.message, what) == NULL)
        fail_msg("message '%s' should contain '%s' and '%s'", error.message, where, what);
    assert_null(annotation.objects);
}

static void malformed_files_name_file_and_line(void **state)
{
    (void)state;
    expect_failure(FIXTURES "malformed.xml", BENCH_BAD_INPUT, "malformed.xml:8:", "mismatched tag");
    expect_failure(FIXTURES "unknown_class.xml", BENCH_BAD_INPUT, "unknown_class.xml:8:", "unknown class 'Knife'");
    expect_failure(FIXTURES "unknown_class.xml", BENCH_BAD_INPUT, "unknown_class.xml", "smallelectronicequipmen");
    expect_failure(FIXTURES "missing_box.xml", BENCH_BAD_INPUT, "missing_box.xml:10:",
                   "starting on line 3 has no <bndbox><ymax>");
    expect_failure(FIXTURES "bad_number.xml", BENCH_BAD_INPUT, "bad_number.xml:7:", "<ymin> is not a number: '2x'");
    expect_failure(FIXTURES "wrong_root.xml", BENCH_BAD_INPUT, "wrong_root.xml:2:", "<annotation>");
    expect_failure(FIXTURES "does_not_exist.xml", BENCH_NOT_FOUND, "does_not_exist.xml", "No such file");
    shift_annotation annotation;
    bench_error error = {0};
    assert_int_equal(shift_voc_parse("", 0, "empty.xml", &annotation, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "empty.xml:1: malformed XML"));
}

static void annotation_round_trip(void **state)
{
    (void)state;
    shift_object objects[3] = {
        {.class_index = 0, .box = {1, 2, 30, 40}},
        {.class_index = 9, .difficult = 1, .box = {5.25, 6, 7, 8.5}},
        {.class_index = 4, .box = {10, 10, 11, 11}},
    };
    shift_annotation written = {.width = 96, .height = 96, .depth = 3, .object_count = 3, .objects = objects};
    snprintf(written.filename, sizeof written.filename, "a&b<c>.png");
    char path[128];
    snprintf(path, sizeof path, "%s/round.xml", test_scratch);
    bench_error error = {0};
    assert_int_equal(shift_voc_write(path, "D1", &written, &error), BENCH_OK);
    shift_annotation read;
    assert_int_equal(shift_voc_read(path, &read, &error), BENCH_OK);
    assert_string_equal(read.filename, "a&b<c>.png");
    assert_int_equal(read.object_count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(read.objects[i].class_index, objects[i].class_index);
        assert_int_equal(read.objects[i].difficult, objects[i].difficult);
        assert_memory_equal(&read.objects[i].box, &objects[i].box, sizeof(shift_box));
    }
    shift_annotation_free(&read);
}

static void png_round_trip_and_errors(void **state)
{
    (void)state;
    enum { W = 7, H = 5 };
    uint8_t pixels[W * H * 3];
    for (int i = 0; i < W * H * 3; i++)
        pixels[i] = (uint8_t)(i * 37 + 11);
    char path[128];
    snprintf(path, sizeof path, "%s/image.png", test_scratch);
    bench_error error = {0};
    assert_int_equal(shift_png_write(path, pixels, W, H, &error), BENCH_OK);
    uint8_t *back = NULL;
    int width = 0, height = 0;
    assert_int_equal(shift_png_read(path, &back, &width, &height, &error), BENCH_OK);
    assert_int_equal(width, W);
    assert_int_equal(height, H);
    assert_memory_equal(back, pixels, sizeof pixels);
    free(back);
    assert_int_equal(shift_png_read(FIXTURES "not_a_png.png", &back, &width, &height, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "not_a_png.png: not a PNG file"));
    assert_null(back);
    /* A truncated PNG: the header is fine, the data is cut. */
    FILE *whole = fopen(path, "rb");
    uint8_t bytes[4096];
    size_t length = fread(bytes, 1, sizeof bytes, whole);
    fclose(whole);
    char cut_path[128];
    snprintf(cut_path, sizeof cut_path, "%s/cut.png", test_scratch);
    FILE *cut = fopen(cut_path, "wb");
    fwrite(bytes, 1, length / 2 > 40 ? 40 : length / 2, cut);
    fclose(cut);
    assert_int_equal(shift_png_read(cut_path, &back, &width, &height, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "cut.png: bad PNG"));
    assert_null(back);
}

/* EDS-style data: domainN/{images,labels}, non-square package crops (a 1-bit
 * palette PNG and a JPEG), letterboxed to the detector's size. */
static void eds_style_directory_is_letterboxed(void **state)
{
    (void)state;
    shift_dataset data;
    bench_error error = {0};
    assert_int_equal(shift_dataset_load_resized(FIXTURES "eds", "domain1", "png", 32, &data, &error), BENCH_OK);
    assert_int_equal(data.count, 1);
    assert_int_equal(data.size, 32);
    /* 40x20 -> 32x16 centred vertically (rows 8..23); padding is white */
    assert_int_equal(data.pixels[0], 255);
    const uint8_t *inside = data.pixels + (12 * 32 + 10) * 3;
    assert_true(inside[0] > 150 && inside[1] < 60 && inside[2] < 60);
    shift_box box = data.labels[0].objects[0].box;
    assert_float_equal(box.x_min, 4.2, 1e-9);
    assert_float_equal(box.y_min, 10.6, 1e-9);
    assert_float_equal(box.x_max, 16.0, 1e-9);
    assert_float_equal(box.y_max, 16.0, 1e-9);
    shift_dataset_free(&data);

    int code = shift_dataset_load_resized(FIXTURES "eds", "domain1", "val", 32, &data, &error);
    if (shift_jpeg_available()) {
        assert_int_equal(code, BENCH_OK);
        assert_int_equal(data.count, 2);
        box = data.labels[1].objects[0].box; /* 20x40 -> 16x32 centred horizontally (columns 8..23) */
        assert_float_equal(box.x_min, 10.6, 1e-9);
        assert_float_equal(box.y_min, 4.2, 1e-9);
        assert_float_equal(box.x_max, 16.0, 1e-9);
        const uint8_t *blue = data.pixels + 32 * 32 * 3 + (10 * 32 + 12) * 3;
        assert_true(blue[2] > 150 && blue[0] < 60);
        shift_dataset_free(&data);
    } else {
        assert_int_equal(code, BENCH_UNSUPPORTED);
        assert_non_null(strstr(error.message, "000002.jpg: this build cannot read JPEG"));
    }
    assert_int_equal(shift_dataset_load_resized(FIXTURES "eds", "domain1", "missing", 32, &data, &error),
                     BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "images/000003.png (or .jpg): no such image"));
}

TEST_MAIN("shift_io", test_scratch_setup, test_scratch_teardown,
        cmocka_unit_test(reads_good_annotation),
        cmocka_unit_test(malformed_files_name_file_and_line),
        cmocka_unit_test(annotation_round_trip),
        cmocka_unit_test(png_round_trip_and_errors),
        cmocka_unit_test(eds_style_directory_is_letterboxed))
