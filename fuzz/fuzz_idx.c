/* libFuzzer harness: IDX files (Fashion-MNIST container, plain or gzip) through
 * bench_idx_read; header sizes must be checked against the data before any
 * allocation, so -rss_limit_mb catches an unbounded one. */
#include <stddef.h>
#include <stdint.h>

#include "datasets/idx.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file(0, "data.idx", data, size);
    bench_idx idx;
    bench_error error = {0};
    if (bench_idx_read(&idx, path, 0, &error) == BENCH_OK)
        bench_idx_free(&idx);
    return 0;
}
