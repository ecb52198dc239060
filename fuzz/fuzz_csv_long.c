/* libFuzzer harness: long-format CSV (series id, timestamp, value rows, interleaved series),
 * through bench_dataset_load_path on a scratch file (the path every user file takes). */
#include <stddef.h>
#include <stdint.h>

#include "datasets/dataset.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const bench_dataset_info info = {
        .name = "fuzz", .format = "long", .step_seconds = 3600,
    };
    const char *paths[2] = {fuzz_write_file(0, "long.csv", data, size), NULL};
    bench_dataset *dataset = NULL;
    bench_error error = {0};
    bench_dataset_load_path(&dataset, &info, paths, &error);
    bench_dataset_free(dataset);
    return 0;
}
