/* The generated X-ray benchmark: same seed -> same bytes on disk, devices
 * inside their documented knob ranges, the same layout under every device,
 * disjoint splits that cover every scene, and loading what was written. */
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
#include "domain_shift/xray.h"
#include "support_cmocka.h"
#include "support_files.h"

static shift_generate_options tiny_options(const char *dir, uint64_t seed)
{
    shift_generate_options o = {.out_dir = dir, .seed = seed, .scenes = 5, .size = 48};
    size_t count;
    const shift_device *devices = shift_devices(&count);
    for (size_t d = 0; d < count; d++)
        o.devices[o.device_count++] = &devices[d];
    return o;
}

static long file_bytes(const char *path, unsigned char **out)
{
    FILE *stream = fopen(path, "rb");
    if (stream == NULL)
        return -1;
    fseek(stream, 0, SEEK_END);
    long length = ftell(stream);
    fseek(stream, 0, SEEK_SET);
    *out = malloc((size_t)length + 1);
    if (fread(*out, 1, (size_t)length, stream) != (size_t)length)
        length = -1;
    fclose(stream);
    return length;
}

static int same_file(const char *a, const char *b)
{
    unsigned char *x = NULL, *y = NULL;
    long nx = file_bytes(a, &x), ny = file_bytes(b, &y);
    int same = nx >= 0 && nx == ny && memcmp(x, y, (size_t)nx) == 0;
    free(x), free(y);
    return same;
}

static void same_seed_same_bytes(void **state)
{
    (void)state;
    char first[128], second[128], other[128];
    snprintf(first, sizeof first, "%s/a", test_scratch);
    snprintf(second, sizeof second, "%s/b", test_scratch);
    snprintf(other, sizeof other, "%s/c", test_scratch);
    bench_error error = {0};
    shift_generate_options o = tiny_options(first, 11);
    assert_int_equal(shift_generate(&o, &error), BENCH_OK);
    o = tiny_options(second, 11);
    assert_int_equal(shift_generate(&o, &error), BENCH_OK);
    o = tiny_options(other, 12);
    assert_int_equal(shift_generate(&o, &error), BENCH_OK);
    static const char *const files[] = {"benchmark.ini", "D1/train.txt", "D2/test.txt", "D3/all.txt"};
    char a[256], b[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(a, sizeof a, "%s/%s", first, files[i]);
        snprintf(b, sizeof b, "%s/%s", second, files[i]);
        assert_true(same_file(a, b));
    }
    int differs = 0;
    for (int device = 1; device <= 3; device++)
        for (int scene = 0; scene < 5; scene++) {
            const char *kinds[2][2] = {{"images", "png"}, {"labels", "xml"}};
            for (int k = 0; k < 2; k++) {
                snprintf(a, sizeof a, "%s/D%d/%s/%06d.%s", first, device, kinds[k][0], scene, kinds[k][1]);
                snprintf(b, sizeof b, "%s/D%d/%s/%06d.%s", second, device, kinds[k][0], scene, kinds[k][1]);
                if (!same_file(a, b))
                    fail_msg("%s and %s differ", a, b);
                snprintf(b, sizeof b, "%s/D%d/%s/%06d.%s", other, device, kinds[k][0], scene, kinds[k][1]);
                differs += !same_file(a, b);
            }
        }
    assert_true(differs > 0);
}

static void devices_are_inside_documented_ranges(void **state)
{
    (void)state;
    size_t count, knob_count;
    const shift_device *devices = shift_devices(&count);
    assert_true(count >= 3);
    bench_error error = {0};
    for (size_t d = 0; d < count; d++)
        if (shift_device_check(&devices[d], &error) != BENCH_OK)
            fail_msg("%s", error.message);
    assert_non_null(shift_knob_ranges(&knob_count));
    assert_true(knob_count >= 30);
    shift_device broken = devices[1];
    broken.psf_sigma = 3.0;
    assert_int_equal(shift_device_check(&broken, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "psf_sigma = 3"));
    broken = devices[0];
    broken.channel_gain[2] = 1.5;
    assert_int_equal(shift_device_check(&broken, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "channel_gain[2]"));
    assert_null(shift_device_find("D9", &error));
    assert_non_null(strstr(error.message, "D1, D2, D3"));
}

/* knobs = GROUP (issue 23): a device keeps its own value of every knob of the
 * group and takes the reference's for the rest; every knob is in exactly one
 * of the three groups, so the three restrictions together rebuild the device. */
static void knob_groups_split_the_device(void **state)
{
    (void)state;
    size_t count, knob_count;
    const shift_device *devices = shift_devices(&count);
    const shift_knob_range *knobs = shift_knob_ranges(&knob_count);
    const shift_device *device = &devices[2], *reference = &devices[0];
    size_t own[4] = {0};
    for (int g = SHIFT_KNOBS_COLOUR; g <= SHIFT_KNOBS_ARTEFACTS; g++) {
        shift_device only;
        shift_device_only_group(&only, device, reference, (shift_knob_group)g);
        assert_string_equal(only.name, device->name);
        for (size_t k = 0; k < knob_count; k++) {
            double value, mine, theirs;
            memcpy(&value, (const char *)&only + knobs[k].offset, sizeof value);
            memcpy(&mine, (const char *)device + knobs[k].offset, sizeof mine);
            memcpy(&theirs, (const char *)reference + knobs[k].offset, sizeof theirs);
            assert_true(knobs[k].group >= SHIFT_KNOBS_COLOUR && knobs[k].group <= SHIFT_KNOBS_ARTEFACTS);
            if (knobs[k].group == (shift_knob_group)g)
                assert_true(value == mine), own[g]++;
            else
                assert_true(value == theirs);
        }
        assert_int_equal(shift_device_check(&only, NULL), BENCH_OK);
        /* another group's device is another benchmark */
        const shift_device *pointer = &only;
        assert_true(shift_devices_hash(&pointer, 1) != shift_devices_hash(&device, 1));
    }
    assert_int_equal(own[1] + own[2] + own[3], knob_count);
    assert_int_equal(own[SHIFT_KNOBS_NOISE], 4);     /* photons low/high, read noise, blur */
    assert_int_equal(own[SHIFT_KNOBS_ARTEFACTS], 5); /* weak and leaky rows, banding, its period, stretch */
    shift_device all;
    shift_device_only_group(&all, device, reference, SHIFT_KNOBS_ALL);
    assert_memory_equal(&all, device, sizeof all);
    shift_knob_group parsed;
    assert_int_equal(shift_knob_group_parse("noise", &parsed), 0);
    assert_int_equal(parsed, SHIFT_KNOBS_NOISE);
    assert_string_equal(shift_knob_group_name(SHIFT_KNOBS_ARTEFACTS), "artefacts");
    assert_int_equal(shift_knob_group_parse("color", &parsed), -1);
}

/* Only the device differs: the same classes in the same places (boxes move
 * only by the belt stretch about the image centre), different pixels. */
static void same_layout_under_every_device(void **state)
{
    (void)state;
    size_t count;
    const shift_device *devices = shift_devices(&count);
    shift_scene *scene = malloc(sizeof *scene);
    uint8_t images[3][96 * 96 * 3];
    int checked = 0;
    for (size_t index = 0; index < 6; index++) {
        shift_scene_generate(scene, 96, 5, index);
        shift_object objects[3][SHIFT_MAX_OBJECTS];
        size_t object_count[3];
        for (size_t d = 0; d < 3; d++)
            assert_int_equal(shift_render(scene, &devices[d], 99, images[d], objects[d], &object_count[d], NULL),
                             BENCH_OK);
        assert_int_equal(object_count[0], object_count[1]);
        assert_int_equal(object_count[0], object_count[2]);
        assert_true(memcmp(images[0], images[1], sizeof images[0]) != 0);
        for (size_t k = 0; k < object_count[0]; k++)
            for (size_t d = 1; d < 3; d++) {
                assert_int_equal(objects[d][k].class_index, objects[0][k].class_index);
                double y_shift = objects[d][k].box.y_min - objects[0][k].box.y_min;
                assert_true(y_shift >= -1 && y_shift <= 1);
                /* x centre moves with stretch s: (x - 48) * s, at most 10% of 48 px plus a pixel. */
                double centre0 = 0.5 * (objects[0][k].box.x_min + objects[0][k].box.x_max) - 48.5;
                double centre = 0.5 * (objects[d][k].box.x_min + objects[d][k].box.x_max) - 48.5;
                assert_true(centre - centre0 * devices[d].belt_stretch / devices[0].belt_stretch < 2.0);
                assert_true(centre - centre0 * devices[d].belt_stretch / devices[0].belt_stretch > -2.0);
                checked++;
            }
    }
    assert_true(checked > 0);
    free(scene);
}

static void splits_partition_scenes_and_load(void **state)
{
    (void)state;
    bench_error error = {0};
    size_t *train, *val, *test, *all, n_train, n_val, n_test, n_all;
    assert_int_equal(shift_split_ids(3, 50, "train", &train, &n_train, &error), BENCH_OK);
    assert_int_equal(shift_split_ids(3, 50, "val", &val, &n_val, &error), BENCH_OK);
    assert_int_equal(shift_split_ids(3, 50, "test", &test, &n_test, &error), BENCH_OK);
    assert_int_equal(shift_split_ids(3, 50, "all", &all, &n_all, &error), BENCH_OK);
    assert_int_equal(n_train, 35);
    assert_int_equal(n_val, 5);
    assert_int_equal(n_test, 10);
    assert_int_equal(n_all, 50);
    int seen[50] = {0};
    for (size_t i = 0; i < n_train; i++) seen[train[i]]++;
    for (size_t i = 0; i < n_val; i++) seen[val[i]]++;
    for (size_t i = 0; i < n_test; i++) seen[test[i]]++;
    for (int i = 0; i < 50; i++)
        assert_int_equal(seen[i], 1);
    free(train), free(val), free(test), free(all);
    assert_int_equal(shift_split_ids(3, 50, "dev", &all, &n_all, &error), BENCH_BAD_INPUT);

    char dir[128];
    snprintf(dir, sizeof dir, "%s/a", test_scratch); /* written by same_seed_same_bytes */
    shift_dataset dataset;
    assert_int_equal(shift_dataset_load(dir, "D2", "all", &dataset, &error), BENCH_OK);
    assert_int_equal(dataset.count, 5);
    assert_int_equal(dataset.size, 48);
    assert_string_equal(dataset.ids[4], "000004");
    assert_string_equal(dataset.labels[4].filename, "000004.png");
    shift_dataset_free(&dataset);
    assert_int_equal(shift_dataset_load(dir, "D7", "all", &dataset, &error), BENCH_NOT_FOUND);
    assert_non_null(strstr(error.message, "D7/all.txt"));
}

TEST_MAIN("shift_render", test_scratch_setup, test_scratch_teardown,
        cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(devices_are_inside_documented_ranges),
        cmocka_unit_test(knob_groups_split_the_device),
        cmocka_unit_test(same_layout_under_every_device),
        cmocka_unit_test(splits_partition_scenes_and_load))
