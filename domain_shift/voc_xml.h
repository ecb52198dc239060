/* Pascal-VOC annotation files as EDS ships them (domainN/labels/<id>.xml),
 * read with expat and written with escaped text.  Only the fields detection
 * needs are kept: filename, image size, and per object the class key, the
 * `difficult` flag and the bounding box (VOC pixel coordinates, 1-based,
 * inclusive; EDS writes integers, fractional values are accepted). */
#ifndef SHIFT_VOC_XML_H
#define SHIFT_VOC_XML_H

#include <stddef.h>

#include "bench/error.h"
#include "domain_shift/eval.h"

typedef struct shift_object {
    int class_index;   /* into shift_classes() */
    int difficult;
    shift_box box;
} shift_object;

typedef struct shift_annotation {
    char filename[256];
    int width, height, depth;   /* 0 when the file has no <size> */
    size_t object_count;
    shift_object *objects;      /* (object_count), owned: shift_annotation_free */
} shift_annotation;

/* Reads one annotation.  Malformed XML, a root other than <annotation>, an
 * object without a class or a complete box, an unknown class key or a number
 * that does not parse fail with BENCH_BAD_INPUT "PATH:LINE: problem"; an
 * unreadable file with BENCH_IO.  On success *out owns objects (free with
 * shift_annotation_free); on failure *out holds nothing to free. */
int shift_voc_read(const char *path, shift_annotation *out, bench_error *error);

/* Same, from a buffer; name is used in messages in place of a path. */
int shift_voc_parse(const char *text, size_t length, const char *name, shift_annotation *out, bench_error *error);

/* Writes the annotation atomically (temp file + rename). */
int shift_voc_write(const char *path, const char *folder, const shift_annotation *annotation, bench_error *error);

void shift_annotation_free(shift_annotation *annotation);

#endif
