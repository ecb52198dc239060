/* Reading EDS's own .jpg images.  Needs libjpeg (Debian libjpeg62-turbo-dev):
 * compiled in when BENCH_HAVE_JPEG is defined (Makefile: add `libjpeg` to
 * PKG_MODULES and -DBENCH_HAVE_JPEG); otherwise every call fails with
 * BENCH_UNSUPPORTED saying so. */
#ifndef SHIFT_JPEG_IO_H
#define SHIFT_JPEG_IO_H

#include <stdint.h>

#include "bench/error.h"

/* 1 when this build can read JPEG files. */
int shift_jpeg_available(void);

/* Reads a baseline or progressive JPEG (grey or colour) as 8-bit RGB.  *rgb
 * (height × width × 3) is allocated here and freed by the caller with free();
 * on failure nothing is allocated and the message names the file. */
int shift_jpeg_read(const char *path, uint8_t **rgb, int *width, int *height, bench_error *error);

#endif
