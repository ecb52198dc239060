/* libFuzzer harness: M4 train + test files through bench_dataset_load_path.
 * The input is the train file, then a line "--test--", then the test file
 * (without that line the test file is empty). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "datasets/dataset.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char separator[] = "\n--test--\n";
    size_t split = size;
    const uint8_t *found = memmem(data, size, separator, sizeof separator - 1);
    if (found != NULL)
        split = (size_t)(found - data) + 1;
    size_t test_start = found != NULL ? split + sizeof separator - 2 : size;
    const bench_dataset_info info = {
        .name = "fuzz", .format = "m4", .step_seconds = 3600, .seasonal_period = 24,
    };
    const char *paths[2] = {fuzz_write_file(0, "train.csv", data, split),
                            fuzz_write_file(1, "test.csv", data + test_start, size - test_start)};
    bench_dataset *dataset = NULL;
    bench_error error = {0};
    bench_dataset_load_path(&dataset, &info, paths, &error);
    bench_dataset_free(dataset);
    return 0;
}
