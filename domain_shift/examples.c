#include "domain_shift/examples.h"

#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "domain_shift/classes.h"
#include "domain_shift/png_io.h"

static const uint8_t class_colours[SHIFT_CLASS_COUNT][3] = {
    {230, 25, 75}, {60, 180, 75}, {255, 225, 25}, {0, 130, 200}, {245, 130, 48},
    {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {128, 128, 0}, {0, 0, 128},
};

const uint8_t *shift_class_colour(int class_index)
{
    return class_colours[(unsigned)class_index % SHIFT_CLASS_COUNT];
}

void shift_paste_zoomed(uint8_t *canvas, int canvas_width, int x_offset, const uint8_t *rgb, int size, int zoom)
{
    for (int y = 0; y < size * zoom; y++)
        for (int x = 0; x < size * zoom; x++)
            memcpy(canvas + ((size_t)y * canvas_width + x_offset + x) * 3,
                   rgb + ((size_t)(y / zoom) * size + x / zoom) * 3, 3);
}

static int clamp(int value, int low, int high) { return value < low ? low : value > high ? high : value; }

void shift_draw_box(uint8_t *canvas, int canvas_width, int x_offset, int size, int zoom, const shift_box *box,
                    const uint8_t colour[3], int thickness)
{
    int side = size * zoom;
    int x0 = clamp((int)(box->x_min - 1) * zoom, 0, side - 1), y0 = clamp((int)(box->y_min - 1) * zoom, 0, side - 1);
    int x1 = clamp((int)box->x_max * zoom - 1, 0, side - 1), y1 = clamp((int)box->y_max * zoom - 1, 0, side - 1);
    for (int x = x0; x <= x1; x++)
        for (int t = 0; t < thickness && y0 + t <= y1; t++) {
            memcpy(canvas + ((size_t)(y0 + t) * canvas_width + x_offset + x) * 3, colour, 3);
            memcpy(canvas + ((size_t)(y1 - t) * canvas_width + x_offset + x) * 3, colour, 3);
        }
    for (int y = y0; y <= y1; y++)
        for (int t = 0; t < thickness && x0 + t <= x1; t++) {
            memcpy(canvas + ((size_t)y * canvas_width + x_offset + x0 + t) * 3, colour, 3);
            memcpy(canvas + ((size_t)y * canvas_width + x_offset + x1 - t) * 3, colour, 3);
        }
}

int shift_examples_write(const char *path, shift_detector *detector, const shift_dataset *dataset, size_t count,
                         int zoom, double min_score, bench_error *error)
{
    if (count > dataset->count)
        count = dataset->count;
    if (count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no images to draw", path);
    enum { TOP_K = 100, GAP = 6 };
    shift_detection *detections = NULL;
    size_t found = 0;
    int code = shift_detector_detect(detector, dataset, 0, count, TOP_K, &detections, &found, error);
    if (code != BENCH_OK)
        return code;
    int side = dataset->size * zoom, width = (int)count * (side + GAP) - GAP;
    uint8_t *canvas = malloc((size_t)width * side * 3);
    if (canvas == NULL) {
        free(detections);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: a %dx%d picture", path, width, side);
    }
    memset(canvas, 255, (size_t)width * side * 3);
    static const uint8_t black[3] = {0, 0, 0};
    size_t image_bytes = (size_t)dataset->size * dataset->size * 3;
    for (size_t i = 0; i < count; i++) {
        int x_offset = (int)i * (side + GAP);
        shift_paste_zoomed(canvas, width, x_offset, dataset->pixels + i * image_bytes, dataset->size, zoom);
        const shift_annotation *truth = &dataset->labels[i];
        for (size_t k = 0; k < truth->object_count; k++)
            shift_draw_box(canvas, width, x_offset, dataset->size, zoom, &truth->objects[k].box, black, 1);
        for (size_t k = 0; k < found; k++)
            if (detections[k].image == i && detections[k].score >= min_score)
                shift_draw_box(canvas, width, x_offset, dataset->size, zoom, &detections[k].box,
                               shift_class_colour(detections[k].class_index), 2);
    }
    /* The picture's directory is made here, where it is written: a run whose
     * units all write examples (PSN variants only) has no one else to make it. */
    char directory[4096];
    const char *slash = strrchr(path, '/');
    if (slash != NULL && (size_t)(slash - path) < sizeof directory) {
        snprintf(directory, sizeof directory, "%.*s", (int)(slash - path), path);
        code = bench_make_directories(directory, error);
    }
    if (code == BENCH_OK)
        code = shift_png_write(path, canvas, width, side, error);
    free(canvas);
    free(detections);
    return code;
}
