/* libFuzzer harness: LSTNet matrices (plain text or gzip: zlib reads both), synthetic dates,
 * through bench_dataset_load_path on a scratch file (the path every user file takes). */
#include <stddef.h>
#include <stdint.h>

#include "datasets/dataset.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const bench_dataset_info info = {
        .name = "fuzz", .format = "lstnet", .step_seconds = 86400, .start_date = "1990-01-01",
    };
    fuzz_load_dataset(&info, "data.txt.gz", data, size);
    return 0;
}
