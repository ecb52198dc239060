/* Shared by the libFuzzer harnesses in fuzz/: parsers that read paths get the
 * input written to a per-process scratch file first. */
#ifndef BENCH_FUZZ_SUPPORT_H
#define BENCH_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Write bytes to <scratch dir>/name (replacing it) and return the path, a
 * static buffer valid until the next call with the same name slot (0..3).
 * The scratch directory is made once per process under /dev/shm (else /tmp)
 * and removed at exit.  Aborts when the file cannot be written: a fuzzer that
 * silently tests nothing would report a clean run. */
const char *fuzz_write_file(int slot, const char *name, const uint8_t *data, size_t size);

/* The scratch directory itself (created on first use). */
const char *fuzz_scratch_dir(void);

#endif
