/* File formats: one small vtable per format and one registry table of them
 * (datasets/format.c).  A reader turns the file(s) of one dataset into a
 * bench_dataset; the shared post-processing (regular grid, missing values,
 * synthetic dates, checksums) happens around it in datasets/dataset.c and
 * datasets/table.c, so a reader only parses.
 *
 * Adding a format: define its vtable with BENCH_FORMAT (below) in its own file
 * and add one row to the table. */
#ifndef BENCH_DATASETS_FORMAT_H
#define BENCH_DATASETS_FORMAT_H

#include "datasets/dataset.h"

/* A reader built for another version is refused by bench_format_find. */
#define BENCH_FORMAT_ABI_VERSION 1

typedef struct bench_format {
    int abi_version;          /* BENCH_FORMAT_ABI_VERSION */
    const char *name;         /* the registry's `format` string */
    const char *description;  /* one line for `bench data list --formats` */
    int file_count;           /* files read: 1, or 2 (M4 train + test) */
    /* Parse paths[0..file_count) as described by info into `out` (zeroed by the
     * caller, freed by the caller with bench_dataset_free even on failure). */
    int (*load)(bench_dataset *out, const bench_dataset_info *info, const char *const paths[2],
                bench_error *error);
} bench_format;

/* Unknown names fail with BENCH_NOT_FOUND listing the formats that exist. */
int bench_format_find(const char *name, const bench_format **format, bench_error *error);
/* The static table; nothing to free. */
size_t bench_format_registry(const bench_format *const **formats);

/* Defines a built-in reader's vtable, bench_format_SYMBOL named "SYMBOL":
 * `BENCH_FORMAT(m4, 2, "M4 wide CSV: ...", load_m4);`. */
#define BENCH_FORMAT(symbol, files, text, loader)                                                                  \
    const bench_format bench_format_##symbol = {.abi_version = BENCH_FORMAT_ABI_VERSION,                           \
                                                .name = #symbol,                                                   \
                                                .description = text,                                               \
                                                .file_count = files,                                               \
                                                .load = loader}

extern const bench_format bench_format_csv_dated;
extern const bench_format bench_format_lstnet;
extern const bench_format bench_format_m4;
extern const bench_format bench_format_long;

#endif
