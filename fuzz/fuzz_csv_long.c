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
    fuzz_load_dataset(&info, "long.csv", data, size);
    return 0;
}
