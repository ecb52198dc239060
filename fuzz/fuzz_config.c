/* libFuzzer harness: INI configurations through bench_config_load (libinih
 * behind bench's line-counting reader), then every section and key taken. */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file(0, "config.ini", data, size);
    bench_config *config = NULL;
    bench_error error = {0};
    if (bench_config_load(&config, path, &error) == BENCH_OK) {
        for (size_t s = 0; s < config->section_count; s++)
            for (size_t e = 0; e < config->sections[s].entry_count; e++)
                bench_config_take(&config->sections[s], config->sections[s].entries[e].key);
        bench_config_free(config);
    }
    return 0;
}
