/* Small file-system helpers: atomic writes (temp file, fsync, rename) so that an
 * interrupted run never leaves a half-written output behind. */
#ifndef BENCH_FILES_H
#define BENCH_FILES_H

#include <stdio.h>

#include "bench/error.h"

/* Create a directory and its parents (like mkdir -p). */
int bench_make_directories(const char *path, bench_error *error);

/* fsync the directory holding path (".": a bare name), so a rename or create
 * in it survives a crash.  File systems that cannot sync a directory (EINVAL)
 * count as success. */
int bench_sync_parent_directory(const char *path, bench_error *error);

/* Open a temporary file beside `path` for writing; finish with
 * bench_atomic_commit (fsync + rename onto path + fsync of the directory) or
 * bench_atomic_abort. */
typedef struct bench_atomic_file {
    FILE *stream;
    char final_path[4096];
    char temp_path[4200];
} bench_atomic_file;

int bench_atomic_open(bench_atomic_file *file, const char *path, bench_error *error);
int bench_atomic_commit(bench_atomic_file *file, bench_error *error);
void bench_atomic_abort(bench_atomic_file *file);

/* Writes `length` bytes of text to path through bench_atomic_*: a failure never
 * leaves a partial file. */
int bench_write_file_atomic(const char *path, const char *text, size_t length, bench_error *error);

/* Writes root as JSON (jansson's json_dumpf flags) and a final newline to path
 * through bench_atomic_*: every run.json, unit and record bench writes.  root
 * stays the caller's. */
typedef struct json_t json_t;
int bench_write_json_atomic(const char *path, const json_t *root, size_t flags, bench_error *error);

/* Remove path and, when it is a directory, everything under it (symbolic
 * links removed, not followed); best effort: what cannot be removed stays. */
void bench_remove_tree(const char *path);

/* Read a whole file into a NUL-terminated buffer; *out is freed by the caller. */
int bench_read_file(const char *path, char **out, size_t *length, bench_error *error);

#endif
