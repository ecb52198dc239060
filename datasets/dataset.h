/* Time-series datasets as bench holds them in memory, and the dataset registry.
 *
 * A dataset is a list of series.  Multichannel tables (ETT, LSTNet matrices) are
 * `aligned`: every series has the same length and shares one time axis.  M4-style
 * data carries a predefined holdout per series.  Values are doubles on the file's
 * own scale; protocols do the splitting and scaling. */
#ifndef BENCH_DATASET_H
#define BENCH_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"

typedef struct bench_series {
    char *name;              /* column name, M4 id ("H1") or long-format series_id */
    size_t length;
    double *values;          /* (length) */
    int64_t *timestamps;     /* (length) unix seconds UTC, or NULL; may point into
                                bench_dataset.timestamps (then not freed separately) */
    size_t holdout_length;   /* predefined test part (M4 test file); 0 when none */
    double *holdout;         /* (holdout_length) or NULL */
} bench_series;

typedef struct bench_dataset {
    char *name;              /* registry name */
    size_t series_count;
    bench_series *series;    /* (series_count) */
    int aligned;             /* all series share one time axis of equal length */
    int64_t *timestamps;     /* shared axis when aligned and dated, else NULL */
    double step_seconds;     /* regular sampling interval; 0 when unknown */
    size_t seasonal_period;  /* 1 when none */
    size_t missing_filled;   /* cells filled by the entry's missing-value policy */
    char sha256[2][65];      /* of the file(s) read, hex; "" when not computed */
    char path[2][4096];      /* the file(s) read */
} bench_dataset;

/* One registry row; the local file name is kept apart from the upstream URL. */
typedef struct bench_dataset_info {
    const char *name;
    const char *format;            /* "csv_dated" | "lstnet" | "m4" | "long" */
    const char *files[2];          /* local file names; files[1] for M4's test file */
    const char *urls[2];           /* download address per file, or NULL */
    const char *sha256[2];         /* pinned checksum, or NULL: fetched unpinned with a warning */
    const char *source;            /* "http" or "deb:PACKAGE:PATH-IN-PACKAGE" */
    const char *frequency;         /* "hourly", "daily", "weekly", "10min", "monthly", "yearly" */
    double step_seconds;
    size_t seasonal_period;
    const char *default_protocol;  /* "paper" | "ltsf" | "m4" */
    const char *date_column;       /* header CSV: name of the date column (NULL: none) */
    const char *timestamp_format;  /* strptime(3) format of that column */
    const char *columns;           /* comma list of value columns to keep; NULL = all others */
    const char *missing_policy;    /* NULL: empty/NaN cells are malformed input;
                                      "interpolate": linear interpolation, count reported */
    const char *start_date;        /* synthetic first timestamp ("1990-01-01") for files
                                      without dates, as the GBRT scripts do; NULL: none */
    const char *description;
} bench_dataset_info;

/* Registry lookups.  The table is static; nothing to free. */
const bench_dataset_info *bench_dataset_find(const char *name);
size_t bench_dataset_registry(const bench_dataset_info **entries);

/* Locate file `index` of a dataset: each directory of BENCH_DATA_PATH (colon list),
 * then the cache (BENCH_DATA_DIR, else $XDG_CACHE_HOME/bench, else ~/.cache/bench).
 * Writes the path to `path`; BENCH_NOT_FOUND when absent (the message says where it
 * looked and how to fetch it). */
int bench_dataset_locate(const bench_dataset_info *info, int index, char *path, size_t path_size,
                         bench_error *error);

/* Load a registered dataset from disk (never downloads).  *out is freed with
 * bench_dataset_free().  Malformed files fail with BENCH_BAD_INPUT naming file,
 * line and problem. */
int bench_dataset_load(bench_dataset **out, const char *name, bench_error *error);
void bench_dataset_free(bench_dataset *dataset);

#endif
