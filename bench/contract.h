/* The forecaster contract: what every forecaster (built-in or plugin) must do
 * beyond compiling against include/bench/forecaster.h.  `bench check-plugin`
 * runs it on a .so; tests run it on every built-in.
 *
 * Each check runs in its own child process on small synthetic hourly series
 * (2 series of 240 steps, period 24, look-back 48, 2 covariates), so a crash is
 * a failed check, not a dead checker.  Every input view lives in read-only pages
 * and every window's history ends right before an unmapped page; every output
 * buffer ends right before an unmapped page with a canary before it.  So
 * writing past the output, writing into a view, or reading a window's future
 * crashes the check, which is then reported as such.  Between fit() and
 * predict() the training view's pages are made inaccessible: a model that kept
 * a pointer into it (forbidden by forecaster.h) crashes too.
 *
 * The checks, in order:
 *   schema            vtable slots and names valid; every default satisfies its own schema
 *   unknown_parameter the harness refuses a parameter name the schema lacks
 *   fit_predict       create/fit/predict succeed; every output finite and written
 *   destroy_null      destroy(NULL) is harmless
 *   determinism       same seed → bit-identical forecasts, within a process and across two
 *   horizon_1         horizon 1 works
 *   horizon_long      horizon 96 (twice the look-back) works
 *   horizon_0         horizon 0 is refused cleanly or predicts nothing, writing nothing
 *   constant_series   constant data: finite forecasts, or a clean refusal
 *   short_series      3 observations: finite forecasts, or a clean refusal
 *   two_instances     a second live instance (other data) does not change the first's forecasts
 *   save_load         save → load → identical forecasts (skipped when not provided)
 *   predict_samples   (window × samples × horizon) written and finite (skipped when not provided)
 * "Clean refusal" = a non-OK status with a non-empty bench_error message. */
#ifndef BENCH_CONTRACT_H
#define BENCH_CONTRACT_H

#include <stddef.h>

#include "bench/forecaster.h"

typedef enum {
    BENCH_CONTRACT_PASS = 0,
    BENCH_CONTRACT_FAIL = 1,
    BENCH_CONTRACT_SKIP = 2,
} bench_contract_outcome;

typedef struct bench_contract_options {
    /* Parameter overrides in config syntax (name, value), checked against the
     * schema like a [model] section; e.g. fewer trees to keep a check fast. */
    const char *const *param_names;
    const char *const *param_values;
    size_t param_count;
    unsigned timeout_seconds;  /* per check; 0 = 120 */
    const char *scratch_dir;   /* where save_load writes; NULL = $TMPDIR or /tmp */
} bench_contract_options;

/* Called once per check, in order; detail is a one-line explanation (static
 * buffer valid during the call). */
typedef void (*bench_contract_report)(void *context, const char *check, bench_contract_outcome outcome,
                                      const char *detail);

/* Run every check and report each; *failures receives the number of failed
 * checks.  Returns BENCH_OK when the checks could run, whatever their outcome;
 * BENCH_BAD_INPUT when an override is not in the schema or out of range,
 * BENCH_IO when a child process cannot be started. */
int bench_contract_run(const bench_forecaster *forecaster, const bench_contract_options *options,
                       bench_contract_report report, void *context, size_t *failures, bench_error *error);

#endif
