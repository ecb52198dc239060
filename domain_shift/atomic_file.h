/* Output files appear whole or not at all: write to a temporary file beside the
 * target, then rename over it (rename is atomic within one directory). */
#ifndef SHIFT_ATOMIC_FILE_H
#define SHIFT_ATOMIC_FILE_H

#include <stdio.h>

#include "bench/error.h"

typedef struct shift_atomic_file {
    FILE *stream;              /* write here */
    char temp_path[4200];
    char final_path[4096];
} shift_atomic_file;

/* Creates "<path>.tmp.XXXXXX" opened for binary writing. */
int shift_atomic_open(shift_atomic_file *file, const char *path, bench_error *error);
/* Flushes, closes and renames into place; on any failure removes the temporary. */
int shift_atomic_commit(shift_atomic_file *file, bench_error *error);
/* Closes and removes the temporary (after a failed write); safe to call twice. */
void shift_atomic_abort(shift_atomic_file *file);

/* mkdir -p: creates every missing directory of path (mode 0777 & umask). */
int shift_make_directories(const char *path, bench_error *error);

#endif
