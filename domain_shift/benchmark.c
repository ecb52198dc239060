#include "domain_shift/benchmark.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/rng.h"
#include "core/files.h"
#include "domain_shift/jpeg_io.h"
#include "domain_shift/png_io.h"

int shift_split_ids(uint64_t seed, size_t scenes, const char *split, size_t **ids, size_t *count,
                    bench_error *error)
{
    *ids = NULL;
    *count = 0;
    size_t train = scenes * 7 / 10, val = scenes / 10;
    size_t begin, end;
    if (strcmp(split, "train") == 0)
        begin = 0, end = train;
    else if (strcmp(split, "val") == 0)
        begin = train, end = train + val;
    else if (strcmp(split, "test") == 0)
        begin = train + val, end = scenes;
    else if (strcmp(split, "all") == 0)
        begin = 0, end = scenes;
    else
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "unknown split '%s'; splits are train, val, test, all", split);
    size_t *order = malloc((scenes + 1) * sizeof *order);
    if (order == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "split of %zu scenes", scenes);
    for (size_t i = 0; i < scenes; i++)
        order[i] = i;
    bench_rng rng;
    bench_rng_derive(&rng, seed, "shift/split");
    bench_rng_shuffle_size(&rng, order, scenes);
    size_t n = end - begin;
    memmove(order, order + begin, n * sizeof *order);
    /* ascending: insertion sort is fine for lists written once */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && order[j - 1] > order[j]; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    *ids = order;
    *count = n;
    return BENCH_OK;
}

static int write_list(const char *path, const size_t *ids, size_t count, bench_error *error)
{
    bench_atomic_file file;
    int code = bench_atomic_open(&file, path, error);
    if (code != BENCH_OK)
        return code;
    for (size_t i = 0; i < count; i++)
        fprintf(file.stream, "%06zu\n", ids[i]);
    return bench_atomic_commit(&file, error);
}

int shift_generate(const shift_generate_options *o, bench_error *error)
{
    if (o->size < 32 || o->size > 512)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "--size %d: must be within 32..512", o->size);
    if (o->scenes == 0 || o->scenes > 1000000)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "--scenes %zu: must be within 1..1000000", o->scenes);
    if (o->device_count == 0 || o->device_count > SHIFT_MAX_DEVICES)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "need 1..%d devices", SHIFT_MAX_DEVICES);
    for (size_t d = 0; d < o->device_count; d++) {
        int code = shift_device_check(o->devices[d], error);
        if (code != BENCH_OK)
            return code;
    }
    char path[4096];
    int code;
    for (size_t d = 0; d < o->device_count; d++) {
        const char *sub[2] = {"images", "labels"};
        for (int s = 0; s < 2; s++) {
            snprintf(path, sizeof path, "%s/%s/%s", o->out_dir, o->devices[d]->name, sub[s]);
            if ((code = bench_make_directories(path, error)) != BENCH_OK)
                return code;
        }
    }
    size_t pixels = (size_t)o->size * (size_t)o->size * 3;
    uint8_t *rgb = malloc(pixels);
    shift_scene *scene = malloc(sizeof *scene);
    if (rgb == NULL || scene == NULL) {
        free(rgb), free(scene);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "render buffers");
    }
    code = BENCH_OK;
    for (size_t i = 0; i < o->scenes && code == BENCH_OK; i++) {
        shift_scene_generate(scene, o->size, o->seed, i);
        for (size_t d = 0; d < o->device_count && code == BENCH_OK; d++) {
            const shift_device *device = o->devices[d];
            shift_object objects[SHIFT_MAX_OBJECTS];
            shift_annotation annotation = {.width = o->size, .height = o->size, .depth = 3, .objects = objects};
            /* Noise differs per scene and device but not with the device list given. */
            uint64_t noise_seed = o->seed ^ (0x9E3779B97F4A7C15ull * (i + 1));
            code = shift_render(scene, device, noise_seed, rgb, objects, &annotation.object_count, error);
            if (code != BENCH_OK)
                break;
            snprintf(annotation.filename, sizeof annotation.filename, "%06zu.png", i);
            snprintf(path, sizeof path, "%s/%s/images/%06zu.png", o->out_dir, device->name, i);
            if ((code = shift_png_write(path, rgb, o->size, o->size, error)) != BENCH_OK)
                break;
            snprintf(path, sizeof path, "%s/%s/labels/%06zu.xml", o->out_dir, device->name, i);
            code = shift_voc_write(path, device->name, &annotation, error);
        }
        if (o->progress != NULL)
            o->progress(o->progress_data, i + 1, o->scenes);
    }
    free(rgb);
    free(scene);
    if (code != BENCH_OK)
        return code;

    static const char *const splits[4] = {"train", "val", "test", "all"};
    size_t split_sizes[4] = {0};
    for (int s = 0; s < 4; s++) {
        size_t *ids, count;
        if ((code = shift_split_ids(o->seed, o->scenes, splits[s], &ids, &count, error)) != BENCH_OK)
            return code;
        split_sizes[s] = count;
        for (size_t d = 0; d < o->device_count && code == BENCH_OK; d++) {
            snprintf(path, sizeof path, "%s/%s/%s.txt", o->out_dir, o->devices[d]->name, splits[s]);
            code = write_list(path, ids, count, error);
        }
        free(ids);
        if (code != BENCH_OK)
            return code;
    }
    snprintf(path, sizeof path, "%s/benchmark.ini", o->out_dir);
    bench_atomic_file file;
    if ((code = bench_atomic_open(&file, path, error)) != BENCH_OK)
        return code;
    fprintf(file.stream,
            "; EDS-like dual-energy X-ray benchmark written by `bench shift generate`\n"
            "[benchmark]\nseed = %llu\nscenes = %zu\nsize = %d\ndevices = ",
            (unsigned long long)o->seed, o->scenes, o->size);
    for (size_t d = 0; d < o->device_count; d++)
        fprintf(file.stream, "%s%s", d ? "," : "", o->devices[d]->name);
    fprintf(file.stream, "\ntrain = %zu\nval = %zu\ntest = %zu\n", split_sizes[0], split_sizes[1], split_sizes[2]);
    /* each device's knobs, so a benchmark of other knob values is not taken for this one */
    for (size_t d = 0; d < o->device_count; d++)
        fprintf(file.stream, "knobs_%s = %016llx\n", o->devices[d]->name,
                (unsigned long long)shift_devices_hash(&o->devices[d], 1));
    return bench_atomic_commit(&file, error);
}

void shift_dataset_free(shift_dataset *dataset)
{
    if (dataset->labels != NULL)
        for (size_t i = 0; i < dataset->count; i++)
            shift_annotation_free(&dataset->labels[i]);
    free(dataset->labels);
    free(dataset->pixels);
    free(dataset->ids);
    memset(dataset, 0, sizeof *dataset);
}

/* images/<id>.png, else images/<id>.jpg; path receives the file tried last. */
static int read_image(const char *dir, const char *device, const char *id, uint8_t **rgb, int *width, int *height,
                      char *path, size_t path_size, bench_error *error)
{
    snprintf(path, path_size, "%s/%s/images/%s.png", dir, device, id);
    int code = shift_png_read(path, rgb, width, height, error);
    if (code != BENCH_NOT_FOUND)
        return code;
    snprintf(path, path_size, "%s/%s/images/%s.jpg", dir, device, id);
    if (access(path, F_OK) != 0)
        return BENCH_FAIL(error, BENCH_NOT_FOUND, "%s/%s/images/%s.png (or .jpg): no such image", dir, device, id);
    return shift_jpeg_read(path, rgb, width, height, error);
}

/* Bilinear letterbox of a (height x width x 3) image into size x size, padded
 * with white; annotation boxes are mapped the same way.  Returns a new buffer
 * (caller frees) or NULL when out of memory. */
static uint8_t *letterbox(const uint8_t *rgb, int width, int height, int size, shift_annotation *annotation)
{
    uint8_t *out = malloc((size_t)size * size * 3);
    if (out == NULL)
        return NULL;
    memset(out, 255, (size_t)size * size * 3);
    double scale = (double)size / (width > height ? width : height);
    int new_w = (int)(width * scale + 0.5), new_h = (int)(height * scale + 0.5);
    if (new_w < 1) new_w = 1;
    if (new_h < 1) new_h = 1;
    int x0 = (size - new_w) / 2, y0 = (size - new_h) / 2;
    for (int y = 0; y < new_h; y++)
        for (int x = 0; x < new_w; x++) {
            double sx = (x + 0.5) / scale - 0.5, sy = (y + 0.5) / scale - 0.5;
            if (sx < 0) sx = 0;
            if (sy < 0) sy = 0;
            int ix = (int)sx, iy = (int)sy;
            int jx = ix + 1 < width ? ix + 1 : width - 1, jy = iy + 1 < height ? iy + 1 : height - 1;
            if (ix > width - 1) ix = width - 1;
            if (iy > height - 1) iy = height - 1;
            double fx = sx - ix, fy = sy - iy;
            for (int c = 0; c < 3; c++) {
                double top = (1 - fx) * rgb[((size_t)iy * width + ix) * 3 + c] + fx * rgb[((size_t)iy * width + jx) * 3 + c];
                double bottom =
                    (1 - fx) * rgb[((size_t)jy * width + ix) * 3 + c] + fx * rgb[((size_t)jy * width + jx) * 3 + c];
                out[((size_t)(y + y0) * size + (x + x0)) * 3 + c] = (uint8_t)((1 - fy) * top + fy * bottom + 0.5);
            }
        }
    for (size_t k = 0; k < annotation->object_count; k++) {
        shift_box *b = &annotation->objects[k].box;
        /* VOC inclusive pixels -> continuous edges, scaled, back to inclusive pixels */
        b->x_min = (b->x_min - 1) * scale + x0 + 1;
        b->y_min = (b->y_min - 1) * scale + y0 + 1;
        b->x_max = b->x_max * scale + x0;
        b->y_max = b->y_max * scale + y0;
    }
    annotation->width = annotation->height = size;
    return out;
}

int shift_dataset_load_resized(const char *dir, const char *device, const char *split, int size,
                               shift_dataset *out, bench_error *error)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s.txt", dir, device, split);
    FILE *list = fopen(path, "r");
    if (list == NULL)
        return BENCH_FAIL(error, errno == ENOENT ? BENCH_NOT_FOUND : BENCH_IO, "%s: %s", path, strerror(errno));
    size_t capacity = 0, line_number = 0;
    char line[256];
    int code = BENCH_OK;
    while (fgets(line, sizeof line, list) != NULL) {
        line_number++;
        size_t length = strcspn(line, "\r\n");
        line[length] = '\0';
        if (length == 0)
            continue;
        if (length >= sizeof out->ids[0] || strchr(line, '/') != NULL || strchr(line, ' ') != NULL) {
            code = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: not an image id: '%.40s'", path, line_number, line);
            break;
        }
        if (out->count == capacity) {
            capacity = capacity ? 2 * capacity : 256;
            void *ids = realloc(out->ids, capacity * sizeof out->ids[0]);
            if (ids == NULL) {
                code = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: id list", path);
                break;
            }
            out->ids = ids;
        }
        strcpy(out->ids[out->count++], line);
    }
    fclose(list);
    if (code == BENCH_OK && out->count == 0)
        code = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no image ids", path);
    if (code == BENCH_OK) {
        out->labels = calloc(out->count, sizeof *out->labels);
        if (out->labels == NULL)
            code = BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: labels", path);
    }
    size_t image_bytes = 0;
    for (size_t i = 0; i < out->count && code == BENCH_OK; i++) {
        uint8_t *rgb;
        int width, height;
        if ((code = read_image(dir, device, out->ids[i], &rgb, &width, &height, path, sizeof path, error)) !=
            BENCH_OK)
            break;
        snprintf(path, sizeof path, "%s/%s/labels/%s.xml", dir, device, out->ids[i]);
        if ((code = shift_voc_read(path, &out->labels[i], error)) != BENCH_OK) {
            free(rgb);
            break;
        }
        if (size > 0 && (width != size || height != size)) {
            uint8_t *boxed = letterbox(rgb, width, height, size, &out->labels[i]);
            free(rgb);
            if (boxed == NULL) {
                code = BENCH_FAIL(error, BENCH_NO_MEMORY, "resizing %s", out->ids[i]);
                break;
            }
            rgb = boxed;
            width = height = size;
        }
        if (i == 0) {
            if (width != height) {
                free(rgb);
                code = BENCH_FAIL(error, BENCH_UNSUPPORTED, "%s: %dx%d image; the detector needs square images", path,
                                  width, height);
                break;
            }
            out->size = width;
            image_bytes = (size_t)width * (size_t)height * 3;
            out->pixels = malloc(image_bytes * out->count);
            if (out->pixels == NULL) {
                free(rgb);
                code = BENCH_FAIL(error, BENCH_NO_MEMORY, "%zu images of %dx%d", out->count, width, height);
                break;
            }
        } else if (width != out->size || height != out->size) {
            free(rgb);
            code = BENCH_FAIL(error, BENCH_UNSUPPORTED, "%s: %dx%d image, but earlier images are %dx%d", path, width,
                              height, out->size, out->size);
            break;
        }
        memcpy(out->pixels + i * image_bytes, rgb, image_bytes);
        free(rgb);
    }
    if (code != BENCH_OK)
        shift_dataset_free(out);
    return code;
}

int shift_dataset_load(const char *dir, const char *device, const char *split, shift_dataset *out,
                       bench_error *error)
{
    return shift_dataset_load_resized(dir, device, split, 0, out, error);
}
