/* libFuzzer harness: header CSV with a date column (ETT, ILI, user files), missing cells interpolated,
 * through bench_dataset_load_path on a scratch file (the path every user file takes). */
#include <stddef.h>
#include <stdint.h>

#include "datasets/dataset.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const bench_dataset_info info = {
        .name = "fuzz", .format = "csv_dated", .date_column = "date", .timestamp_format = "%Y-%m-%d %H:%M:%S",
        .step_seconds = 3600, .seasonal_period = 24, .missing_policy = "interpolate",
    };
    fuzz_load_dataset(&info, "data.csv", data, size);
    return 0;
}
