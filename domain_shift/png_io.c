#include "domain_shift/png_io.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"

/* libpng reports errors by calling this and expects it not to return: the
 * message is kept and control goes back to the setjmp in the caller. */
typedef struct png_failure {
    char message[256];
} png_failure;

static void on_png_error(png_structp png, png_const_charp message)
{
    png_failure *failure = png_get_error_ptr(png);
    snprintf(failure->message, sizeof failure->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message)
{
    (void)png, (void)message; /* warnings (e.g. unknown chunks) do not stop reading */
}

int shift_png_write(const char *path, const uint8_t *rgb, int width, int height, bench_error *error)
{
    if (width <= 0 || height <= 0)
        return BENCH_FAIL(error, BENCH_INTERNAL, "%s: image size %dx%d", path, width, height);
    bench_atomic_file file;
    int code = bench_atomic_open(&file, path, error);
    if (code != BENCH_OK)
        return code;
    png_failure failure = {{0}};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, &info);
        bench_atomic_abort(&file);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: cannot create a PNG writer", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        bench_atomic_abort(&file);
        return BENCH_FAIL(error, BENCH_IO, "%s: PNG write failed: %s", path, failure.message);
    }
    png_init_io(png, file.stream);
    png_set_compression_level(png, 6);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < height; y++)
        png_write_row(png, rgb + (size_t)y * (size_t)width * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return bench_atomic_commit(&file, error);
}

int shift_png_read(const char *path, uint8_t **rgb, int *width, int *height, bench_error *error)
{
    *rgb = NULL;
    FILE *stream = fopen(path, "rb");
    if (stream == NULL)
        return BENCH_FAIL(error, errno == ENOENT ? BENCH_NOT_FOUND : BENCH_IO, "%s: %s", path, strerror(errno));
    unsigned char signature[8];
    if (fread(signature, 1, 8, stream) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(stream);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: not a PNG file", path);
    }
    png_failure failure = {{0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(stream);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: cannot create a PNG reader", path);
    }
    /* volatile: assigned between setjmp and a possible longjmp. */
    uint8_t *volatile pixels = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(stream);
        free(pixels);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: bad PNG: %s", path, failure.message);
    }
    png_init_io(png, stream);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (w == 0 || h == 0 || w > 16384 || h > 16384) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(stream);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: unsupported image size %ux%u", path, (unsigned)w, (unsigned)h);
    }
    int color_type = png_get_color_type(png, info);
    if (png_get_bit_depth(png, info) == 16)
        png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_expand_gray_1_2_4_to_8(png);
        png_set_gray_to_rgb(png);
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3)
        png_error(png, "unexpected row size after conversion to RGB");
    pixels = malloc((size_t)w * h * 3);
    if (pixels == NULL)
        png_error(png, "out of memory");
    png_bytep *rows = png_malloc(png, h * sizeof *rows);
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = pixels + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_free(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(stream);
    *rgb = pixels;
    *width = (int)w;
    *height = (int)h;
    return BENCH_OK;
}
