/* Running the X-ray transfer table: one cell for an external harness, or a
 * whole configuration (configs/shift-xray.ini) with results.csv following the
 * results contract (task = detect, dataset xray_<S>_to_<T>, protocol
 * transfer | transductive, model = method, metric map and ap_<class>).
 *
 * Efficiency rule of issue 8: source_only and oracle models are trained once
 * per device and seed and evaluated on every target (the oracle of pair S->T is
 * the model trained on T's labels, tested on T); PSN variants train per pair. */
#ifndef SHIFT_RUN_H
#define SHIFT_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "domain_shift/detector.h"

typedef struct shift_cell_result {
    double mean_ap;
    double ap[SHIFT_CLASS_COUNT];      /* NaN for classes absent from the test set */
    shift_train_report train;
    double inference_images_per_second;
} shift_cell_result;

/* One cell: trains `method` for source -> target on the benchmark in data_dir
 * (layout of benchmark.h) and evaluates on the target's test images.
 * protocol "transfer": labelled = source train (target train for oracle),
 *   selection on that domain's val split, unlabelled = target train, test =
 *   target test;
 * protocol "transductive" (EDS): labelled = source all, selection on the source
 *   val split, unlabelled = target all, test = target all.
 * Deterministic for a seed (single-threaded BLAS). */
int shift_run_cell(const char *data_dir, const char *source, const char *target, shift_method method,
                   const char *protocol, const shift_train_config *config, uint64_t seed, shift_ap_mode mode,
                   shift_cell_result *result, bench_error *error);

/* How shift_run_config runs; zero-initialised = one process, recompute every
 * unit, quiet. */
typedef struct shift_run_options {
    unsigned jobs;  /* worker processes; 0 = [run] jobs of the configuration (default 1) */
    int resume;     /* keep the units whose results are in out_dir/units (failed ones run again) */
    void (*progress)(void *data, const char *line); /* NULL = quiet; one line per unit, for a TTY */
    void *progress_data;
} shift_run_options;

typedef struct shift_run_summary {
    size_t units;   /* training units of the plan */
    size_t reused;  /* finished in an earlier run and kept (resume) */
    size_t failed;  /* whose rows are errors: the unit failed or its worker died */
} shift_run_summary;

/* Runs a configuration file into out_dir.  The plan splits into training
 * units, one per trained model (a supervised model per device and seed, a PSN
 * variant per pair and seed), each recorded in out_dir/units/<id>.json where
 * <id> hashes everything that changes its numbers; units run in options->jobs
 * forked workers after the benchmark is generated (once).  Then results.csv
 * (contract columns, plan order), timings.csv and run.json (resolved
 * configuration, per-model training diagnostics) are merged from the unit
 * files: the same bytes in results.csv for any jobs and any interruption and
 * resume.  A failing unit gives error rows and counts in summary->failed
 * (summary may be NULL); the return value is BENCH_OK once the outputs are
 * written.  Unknown keys, bad values and unknown devices or methods fail before
 * any training with BENCH_BAD_INPUT naming path:line, and so does a generated
 * benchmark already in place that is not the configured one. */
int shift_run_config(const char *config_path, const char *out_dir, const shift_run_options *options,
                     shift_run_summary *summary, bench_error *error);

#endif
