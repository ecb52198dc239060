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
    size_t missing_timestamps; /* rows inserted on the regular grid (e.g. a skipped
                                  daylight-saving hour); their cells are also in
                                  missing_filled */
    int registered;          /* loaded by registry name (bench_dataset_load), not from a
                                user's own file: rules keyed on a reference dataset
                                (ltsf's ETT borders) apply only then */
    char sha256[2][65];      /* of the file(s) read, hex; "" when not computed */
    int modified[2];         /* 1: a registered dataset's file whose sha256 was computed and
                                differs from the registry's pinned one (a modified copy);
                                bench_plan_build refuses it unless --allow-modified-data, so
                                in a plan 1 means the override allowed it (run.json says so) */
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
    const char *frequency;         /* "hourly", "daily", "weekly", "10min", "monthly", "yearly";
                                      with step_seconds 0, monthly/quarterly/yearly are calendar
                                      grids checked like fixed steps */
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
    /* Added by the datasets module (all optional: zero/NULL means the default). */
    char delimiter;                /* field separator libcsv splits on; 0 = ',' */
    const char *series_column;     /* long format: series id column ("series_id") */
    double synthetic_step_seconds; /* step of the synthetic calendar from start_date,
                                      when it differs from the data's own step (the GBRT
                                      scripts step solar_AL's 10-min rows by 1 hour) */
    size_t length;                 /* documented rows per series (0: ragged/unknown) */
    size_t series_count;           /* documented number of series (0: unknown) */
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
 * line and problem.  A file whose sha256 differs from the pinned one still
 * loads, with modified[i] set: whether to use it is the caller's decision
 * (`bench data verify` reports it, `bench run` refuses it without an override). */
int bench_dataset_load(bench_dataset **out, const char *name, bench_error *error);
void bench_dataset_free(bench_dataset *dataset);

/* ---- Added by the datasets module ------------------------------------------ */

/* Load arbitrary files described by an ad-hoc `info` (user-defined datasets,
 * tests): paths[0] is the data file, paths[1] M4's test file (else NULL).  Only
 * the parsing fields of info are used (format, delimiter, columns, dates, steps,
 * missing policy); sha256 of each file read is always computed.  Values whose
 * squares, or a series whose sum or sum of squared deviations, overflow a
 * double are BENCH_BAD_INPUT naming the file and the column: scaling and
 * squared-error metrics would turn them into 0 or inf silently.  *out is freed
 * with bench_dataset_free(). */
int bench_dataset_load_path(bench_dataset **out, const bench_dataset_info *info, const char *const paths[2],
                            bench_error *error);

/* Fail with BENCH_NOT_FOUND: "unknown dataset 'x' (known: ETTh1, ...)". */
int bench_dataset_fail_unknown(const char *name, bench_error *error);

/* Number of files the entry's format reads (1, or 2 for M4 train + test). */
int bench_dataset_file_count(const bench_dataset_info *info);

/* The download cache: BENCH_DATA_DIR, else $XDG_CACHE_HOME/bench, else
 * ~/.cache/bench (not created here). */
int bench_dataset_cache_dir(char *path, size_t path_size, bench_error *error);

/* sha256 of a file (plain bytes, not inflated) as 64 lowercase hex digits.
 * Uses OpenSSL's EVP (libcrypto.so.3); BENCH_UNSUPPORTED when it cannot be loaded. */
int bench_sha256_file(const char *path, char hex[65], bench_error *error);

/* What a fetch did, per file, for the caller to report (warnings are the
 * caller's to print: library code never prints). */
typedef struct bench_fetch_report {
    int file_count;
    char path[2][4096];        /* where the file now is */
    char sha256[2][65];        /* its checksum */
    int pinned[2];             /* 1: matched the registry's sha256; 0: unpinned */
    int downloaded[2];         /* 1: fetched now; 0: was already present */
} bench_fetch_report;

/* Make a registered dataset's files present in the cache, unless already found
 * by bench_dataset_locate.  http/https/file URLs go through libcurl into a temp
 * file in the cache that is renamed into place only after its sha256 matched
 * the pinned one (a mismatch deletes it and fails with BENCH_BAD_INPUT naming
 * both checksums); "deb:PACKAGE:PATH" sources run `apt-get download PACKAGE` and
 * `dpkg-deb -x` in a temp directory and copy PATH out (other registered files
 * of the same package come along).  show_progress: draw progress on stderr when
 * it is a terminal.  The _ex form also fills *report (may be NULL) and takes any
 * info, registered or not.  BENCH_DATA_MIRROR (a URL prefix, e.g. a lab server
 * or file:///data/copy) replaces every http source by MIRROR/LOCAL-FILE-NAME;
 * checksums are still enforced. */
int bench_dataset_fetch(const char *name, int show_progress, bench_error *error);
int bench_dataset_fetch_ex(const bench_dataset_info *info, int show_progress, bench_fetch_report *report,
                           bench_error *error);

#endif
