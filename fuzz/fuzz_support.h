/* Shared by the libFuzzer harnesses in fuzz/: parsers that read paths get the
 * input written to a per-process scratch file first. */
#ifndef BENCH_FUZZ_SUPPORT_H
#define BENCH_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/dataset.h"

/* Write bytes to <scratch dir>/name (replacing it) and return the path, a
 * static buffer valid until the next call with the same name slot (0..3).
 * The scratch directory is made once per process under /dev/shm (else /tmp)
 * and removed at exit.  Aborts when the file cannot be written: a fuzzer that
 * silently tests nothing would report a clean run. */
const char *fuzz_write_file(int slot, const char *name, const uint8_t *data, size_t size);

/* The scratch directory itself (created on first use). */
const char *fuzz_scratch_dir(void);

/* Splits an input holding two files at the first SEPARATOR, which starts with
 * a newline the first file keeps: the first is data[0..*first_size), the
 * second data[*second_start..size).  Without a separator all is the first. */
void fuzz_split(const uint8_t *data, size_t size, const char *separator, size_t *first_size, size_t *second_start);

/* The dataset format harnesses: writes the input to scratch file NAME and
 * loads it as INFO describes through bench_dataset_load_path (the path every
 * user file takes), discarding the result. */
void fuzz_load_dataset(const bench_dataset_info *info, const char *name, const uint8_t *data, size_t size);

#endif
