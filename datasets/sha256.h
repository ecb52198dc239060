/* Incremental sha256 for downloads (hash while writing); whole files go through
 * bench_sha256_file in datasets/dataset.h.  Internal to datasets/. */
#ifndef BENCH_DATASETS_SHA256_H
#define BENCH_DATASETS_SHA256_H

#include <stddef.h>
#include <stdlib.h>

#include "bench/error.h"

typedef struct bench_sha256 bench_sha256;

/* 1 when libcrypto could be loaded. */
int bench_sha256_available(void);
/* *out is released by bench_sha256_end or bench_sha256_discard. */
int bench_sha256_begin(bench_sha256 **out, bench_error *error);
void bench_sha256_update(bench_sha256 *hash, const void *data, size_t length);
/* Writes 64 hex digits + NUL and releases the hash. */
void bench_sha256_end(bench_sha256 *hash, char hex[65]);
void bench_sha256_discard(bench_sha256 *hash);

#endif
