/* Pictures of what a detector sees: images zoomed (nearest neighbour) with box
 * outlines in a colour per class, for `bench shift show` and for the detection
 * examples a run writes (DIR/figures/examples/, the `examples` figure kind of
 * `bench plot` and the run page). */
#ifndef SHIFT_EXAMPLES_H
#define SHIFT_EXAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "domain_shift/benchmark.h"
#include "domain_shift/detector.h"
#include "domain_shift/eval.h"

/* The outline colour of a class (RGB), one of ten distinct colours. */
const uint8_t *shift_class_colour(int class_index);

/* Copies rgb (size x size x 3) zoomed `zoom` times into canvas (RGB, rows of
 * canvas_width pixels) at column x_offset. */
void shift_paste_zoomed(uint8_t *canvas, int canvas_width, int x_offset, const uint8_t *rgb, int size, int zoom);

/* Outlines box (in the image's pixel coordinates, VOC 1-based) on a zoomed
 * image pasted at x_offset, `thickness` canvas pixels wide; clipped to the
 * image of side size * zoom. */
void shift_draw_box(uint8_t *canvas, int canvas_width, int x_offset, int size, int zoom, const shift_box *box,
                    const uint8_t colour[3], int thickness);

/* Writes path (PNG): the first `count` images of dataset side by side, each
 * zoomed `zoom` times, with its ground-truth boxes in thin black and the
 * detector's detections scoring at least min_score in their class colour;
 * path's directory is made when missing. */
int shift_examples_write(const char *path, shift_detector *detector, const shift_dataset *dataset, size_t count,
                         int zoom, double min_score, bench_error *error);

#endif
