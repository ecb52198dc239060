/* 8-bit RGB images through libpng. */
#ifndef SHIFT_PNG_IO_H
#define SHIFT_PNG_IO_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"

/* Writes rgb (height × width × 3, row-major) as an 8-bit RGB PNG, atomically.
 * Output bytes depend only on the pixels (no time chunk, fixed compression). */
int shift_png_write(const char *path, const uint8_t *rgb, int width, int height, bench_error *error);

/* Reads any PNG (palette, grey, 16-bit, alpha) converted to 8-bit RGB.  On
 * success *rgb (height × width × 3) is allocated here and freed by the caller
 * with free(); on failure nothing is allocated and the message names the file. */
int shift_png_read(const char *path, uint8_t **rgb, int *width, int *height, bench_error *error);

#endif
