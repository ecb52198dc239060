/* The other two tasks on the harness: their plans come from their own config
 * readers (hcsc/run.h, domain_shift/run.h), their items run in the one worker
 * pool (bench/pool.h) under the output directory's lock (core/dir_lock.h), and
 * each task merges its own rows into results.csv at the end. */
#ifndef BENCH_RUN_TASKS_H
#define BENCH_RUN_TASKS_H

#include <stddef.h>

#include "bench/error.h"
#include "domain_shift/run.h"
#include "hcsc/run.h"

/* Runs every HCSC cell (plan->jobs workers at once; resume keeps the cells
 * hcsc_cell_done() accepts), then hcsc_merge().  *failed_cells counts the
 * cells with error rows. */
int bench_hcsc_run(const hcsc_plan *plan, const char *out_dir, int resume, const hcsc_progress *progress,
                   size_t *failed_cells, bench_error *error);

/* Runs an X-ray shift configuration file into out_dir.  The plan splits into
 * training units, one per trained model (a supervised model per device and
 * seed, a PSN variant per pair and seed), each recorded in
 * out_dir/units/<id>.json where <id> hashes everything that changes its
 * numbers; units run in the worker pool (options->jobs, else the config's
 * [run] jobs) after the benchmark is generated (once).  Then results.csv
 * (contract columns, plan order), timings.csv and run.json (resolved
 * configuration, per-model training diagnostics) are merged from the unit
 * files: the same bytes in results.csv for any jobs and any interruption and
 * resume.  A failing unit gives error rows and counts in summary->failed
 * (summary may be NULL); the return value is BENCH_OK once the outputs are
 * written.  Unknown keys, bad values and unknown devices or methods fail before
 * anything is written with BENCH_BAD_INPUT naming path:line, and so does a
 * generated benchmark already in place that is not the configured one. */
int bench_shift_run(const char *config_path, const char *out_dir, const shift_run_options *options,
                    shift_run_summary *summary, bench_error *error);

#endif
