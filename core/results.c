/* The one results row writer (include/bench/results.h). */
#include "bench/results.h"

#include "bench/escape.h"

void bench_results_write_row(FILE *out, const bench_result_row *row)
{
    const char *fields[] = {row->cell_id, row->task,    row->dataset, row->protocol, row->model,
                            row->variant, row->horizon, row->seed,    row->metric};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        bench_escape_csv(out, fields[i] ? fields[i] : "");
        fputc(',', out);
    }
    fputs(row->ok ? row->value : "", out);
    fputs(row->ok ? ",ok\n" : ",error\n", out);
}
