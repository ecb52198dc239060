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

/* Detection examples (domain_shift/examples.h) a run draws: this many target
 * test images, zoomed this much, detections from this score on. */
#define SHIFT_EXAMPLE_IMAGES 4
#define SHIFT_EXAMPLE_ZOOM 3
#define SHIFT_EXAMPLE_MIN_SCORE 0.3

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
 * Deterministic for a seed (single-threaded BLAS).  examples_path (may be NULL):
 * also draw the first test images with the detections there (examples.h). */
int shift_run_cell(const char *data_dir, const char *source, const char *target, shift_method method,
                   const char *protocol, const shift_train_config *config, uint64_t seed, shift_ap_mode mode,
                   const char *examples_path, shift_cell_result *result, bench_error *error);

/* How bench_shift_run (bench/run_tasks.h) runs; zero-initialised = one process, recompute every
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

/* A run of a configuration, driven by the harness (bench/run_tasks.h:
 * bench_shift_run() takes the directory's lock and runs the pending units in
 * bench's worker pool):
 *   shift_run_check    refuses a wrong configuration before anything is written;
 *   shift_run_prepare  reads it, generates the benchmark when the plan asks and
 *                      it is absent (an existing one must match), plans the
 *                      training units and marks which to run (resume: those
 *                      not finished; otherwise all, their old files removed);
 *   shift_run_unit     trains and evaluates one unit and writes its file
 *                      (BENCH_OK unless that file cannot be written), in a worker;
 *   shift_run_finish   reads every unit file and merges results.csv (a unit
 *                      without a file, e.g. its worker died, gives error rows).
 * The run is freed with shift_run_free(). */
typedef struct shift_run shift_run;
int shift_run_check(const char *config_path, const char *out_dir, bench_error *error);
int shift_run_prepare(shift_run **out, const char *config_path, const char *out_dir,
                      const shift_run_options *options, bench_error *error);
size_t shift_run_unit_count(const shift_run *run);
int shift_run_unit_pending(const shift_run *run, size_t unit);
unsigned shift_run_jobs(const shift_run *run); /* options->jobs, else the config's [run] jobs */
int shift_run_unit(const shift_run *run, size_t unit, bench_error *error);
int shift_run_finish(shift_run *run, shift_run_summary *summary, bench_error *error);
void shift_run_free(shift_run *run);

#endif
