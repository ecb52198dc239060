#include "domain_shift/jpeg_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_HAVE_JPEG
#include <jpeglib.h>
#include <setjmp.h>

/* libjpeg reports fatal errors through error_exit, which must not return:
 * format the message and jump back to the reader. */
typedef struct jpeg_failure {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_failure;

static void on_jpeg_error(j_common_ptr info)
{
    jpeg_failure *failure = (jpeg_failure *)info->err;
    (*info->err->format_message)(info, failure->message);
    longjmp(failure->jump, 1);
}

static void on_jpeg_message(j_common_ptr info)
{
    (void)info; /* warnings (corrupt-but-decodable data) are not printed by library code */
}

int shift_jpeg_available(void)
{
    return 1;
}

int shift_jpeg_read(const char *path, uint8_t **rgb, int *width, int *height, bench_error *error)
{
    *rgb = NULL;
    FILE *stream = fopen(path, "rb");
    if (stream == NULL)
        return BENCH_FAIL(error, errno == ENOENT ? BENCH_NOT_FOUND : BENCH_IO, "%s: %s", path, strerror(errno));
    struct jpeg_decompress_struct info;
    jpeg_failure failure;
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = on_jpeg_error;
    failure.manager.output_message = on_jpeg_message;
    uint8_t *volatile pixels = NULL;
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&info);
        fclose(stream);
        free(pixels);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: bad JPEG: %s", path, failure.message);
    }
    jpeg_create_decompress(&info);
    jpeg_stdio_src(&info, stream);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    if (info.output_components != 3 || info.output_width == 0 || info.output_height == 0 ||
        info.output_width > 16384 || info.output_height > 16384) {
        jpeg_destroy_decompress(&info);
        fclose(stream);
        return BENCH_FAIL(error, BENCH_UNSUPPORTED, "%s: unsupported JPEG (%u x %u, %d components)", path,
                          info.output_width, info.output_height, info.output_components);
    }
    size_t row_bytes = (size_t)info.output_width * 3;
    pixels = malloc(row_bytes * info.output_height);
    if (pixels == NULL) {
        jpeg_destroy_decompress(&info);
        fclose(stream);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: %u x %u image", path, info.output_width, info.output_height);
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * row_bytes;
        jpeg_read_scanlines(&info, &row, 1);
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    fclose(stream);
    *rgb = pixels;
    return BENCH_OK;
}

#else

int shift_jpeg_available(void)
{
    return 0;
}

int shift_jpeg_read(const char *path, uint8_t **rgb, int *width, int *height, bench_error *error)
{
    *rgb = NULL;
    *width = *height = 0;
    return BENCH_FAIL(error, BENCH_UNSUPPORTED,
                      "%s: this build cannot read JPEG (build with libjpeg and -DBENCH_HAVE_JPEG)", path);
}

#endif
