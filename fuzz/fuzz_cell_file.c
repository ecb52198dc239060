/* libFuzzer harness: the one cell-file validator (reports/cell_file.h) that run,
 * --resume and merge use before a cell counts.  The input is the cell's rows,
 * then a line "--record--", then its JSON record; the expected cell is fixed
 * (naive on tiny, h=12, seed 1, metrics mse and mae).  Inputs that pass must
 * come back whole as the rows handed to results.csv. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_support.h"
#include "reports/cell_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char separator[] = "\n--record--\n";
    static int prepared;
    char run[600];
    snprintf(run, sizeof run, "%s/cell", fuzz_scratch_dir());
    if (!prepared) {
        char cells[700];
        snprintf(cells, sizeof cells, "%s/cells", run);
        mkdir(run, 0777);
        mkdir(cells, 0777);
        prepared = 1;
    }
    size_t rows_size, record_start;
    fuzz_split(data, size, separator, &rows_size, &record_start);
    fuzz_write_file(0, "cell/cells/adc748c5287502ec.csv", data, rows_size);
    fuzz_write_file(1, "cell/cells/adc748c5287502ec.json", data + record_start, size - record_start);
    static const bench_cell_expect expect = {
        .id = "adc748c5287502ec", .task = "forecast", .dataset = "tiny", .protocol = "ltsf", .model = "naive",
        .variant = "naive", .horizon = "12", .seed = "1", .metrics = "mse mae", .record = 1};
    char *rows = NULL;
    bench_error error = {0};
    bench_cellfile_state state = bench_cell_file_check(run, &expect, &rows, &error);
    int finished = state == BENCH_CELLFILE_OK || state == BENCH_CELLFILE_FAILED || state == BENCH_CELLFILE_FAILED_INFRA;
    /* A finished cell hands over exactly the bytes it validated. */
    if (finished && (rows == NULL || strlen(rows) != rows_size || memcmp(rows, data, rows_size) != 0))
        abort();
    if (!finished && rows != NULL)
        abort();
    free(rows);
    return 0;
}
