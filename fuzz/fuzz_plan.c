/* libFuzzer harness: a whole configuration through bench_plan_build, the
 * config-level plan builder (sections, keys, protocols, horizons, seeds,
 * duplicate cells, model parameters, dataset loading).  The input is the INI
 * text; it sits beside a small hourly CSV, data.csv (two series, 400 rows),
 * which configurations name by a path relative to themselves.  Registry
 * datasets are looked up in an empty BENCH_DATA_PATH and cache, so nothing is
 * fetched.  A plan that builds is checked for unique cell ids. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_data(void)
{
    static char text[400 * 48 + 64];
    size_t used = (size_t)snprintf(text, sizeof text, "date,load,temp\n");
    for (int row = 0; row < 400; row++)
        used += (size_t)snprintf(text + used, sizeof text - used, "2021-%02d-%02d %02d:00:00,%.3f,%.3f\n",
                                 1 + row / 24 / 28, 1 + (row / 24) % 28, row % 24, 10.0 + (row * 7919 % 97) / 10.0,
                                 5.0 + (row * 104729 % 89) / 10.0);
    fuzz_write_file(1, "data.csv", (const uint8_t *)text, used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int prepared;
    if (!prepared) {
        write_data();
        char empty[600];
        snprintf(empty, sizeof empty, "%s", fuzz_scratch_dir());
        setenv("BENCH_DATA_PATH", empty, 1);
        setenv("BENCH_DATA_DIR", empty, 1);
        setenv("BENCH_PLUGIN_PATH", "", 1);
        prepared = 1;
    }
    const char *path = fuzz_write_file(0, "plan.ini", data, size);
    bench_run_options options = {.jobs = 1};
    bench_plan *plan = NULL;
    bench_error error = {0};
    if (bench_plan_build(&plan, path, &options, &error) == BENCH_OK) {
        for (size_t a = 0; a < plan->cell_count; a++)
            for (size_t b = a + 1; b < plan->cell_count; b++)
                if (strcmp(plan->cells[a].id, plan->cells[b].id) == 0)
                    abort();
        bench_plan_free(plan);
    }
    return 0;
}
