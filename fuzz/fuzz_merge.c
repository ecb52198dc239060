/* libFuzzer harness: bench merge's readers (plan.csv and a cell's rows, via
 * libcsv) through bench_sweep_merge.  The input is plan.csv, then a line
 * "--cell--", then the rows of cell adc748c5287502ec; that cell's record
 * (cells/<id>.json) is genuine, so inputs that keep the plan row reach the row
 * checks and the merged output. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/sweep.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char separator[] = "\n--cell--\n";
    static const char record[] = "{\"cell_id\": \"adc748c5287502ec\", \"fit_seconds\": 0.0, "
                                 "\"predict_seconds\": 0.0, \"seconds\": 0.02, \"status\": \"ok\"}\n";
    static int prepared;
    char cells[600];
    snprintf(cells, sizeof cells, "%s/run/cells", fuzz_scratch_dir());
    if (!prepared) {
        char run[600];
        snprintf(run, sizeof run, "%s/run", fuzz_scratch_dir());
        mkdir(run, 0777);
        mkdir(cells, 0777);
        fuzz_write_file(2, "run/cells/adc748c5287502ec.json", (const uint8_t *)record, sizeof record - 1);
        prepared = 1;
    }
    size_t plan_size, cell_start;
    fuzz_split(data, size, separator, &plan_size, &cell_start);
    fuzz_write_file(0, "run/plan.csv", data, plan_size);
    fuzz_write_file(1, "run/cells/adc748c5287502ec.csv", data + cell_start, size - cell_start);
    char run[600];
    snprintf(run, sizeof run, "%s/run", fuzz_scratch_dir());
    bench_merge_summary summary;
    bench_error error = {0};
    bench_sweep_merge(run, NULL, 0, &summary, &error);
    return 0;
}
