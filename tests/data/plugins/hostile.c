/* A test plugin whose code misbehaves while bench loads or probes it, one way
 * per -DHOSTILE=n (tests/test_plugins_broken.c builds it):
 *   0 none: a working forecaster (the control)
 *   1 its constructor dereferences NULL (SIGSEGV inside dlopen)
 *   2 its entry function dereferences NULL
 *   3 its entry function calls exit(3), as a plugin might on an error of its own
 *   4 its constructor never returns (sleeps in a loop)
 *   5 its entry function returns a vtable whose name is a bad pointer
 *   6 fit dereferences NULL (loading is fine; the contract's fit_predict crashes)
 *   7 its entry function calls exit(0): a clean-looking status that is not a report
 * The forecaster itself is "hostile", a last-value forecaster. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "bench/forecaster.h"
#include "stateless_model.h"
#ifndef HOSTILE
#define HOSTILE 0
#endif

/* volatile, so the compiler keeps the faulting access instead of proving it undefined. */
static int *volatile nowhere;

#if HOSTILE == 1
__attribute__((constructor)) static void crash_on_load(void) { *nowhere = 1; }
#elif HOSTILE == 4
__attribute__((constructor)) static void hang_on_load(void) { for (;;) sleep(1); }
#endif

static int fit(bench_model *m, const bench_train_view *t, bench_rng *r, bench_error *e) {
    (void)m, (void)t, (void)r, (void)e;
#if HOSTILE == 6
    *nowhere = 1;
#endif
    return BENCH_OK; }
static int predict(bench_model *m, const bench_forecast_request *q, bench_rng *r, double *out, bench_error *e) {
    (void)m, (void)r, (void)e;
    repeat_last_value(q, out);
    return BENCH_OK; }
static bench_forecaster vtable = {
    .abi_version = BENCH_FORECASTER_ABI_VERSION, .name = "hostile", .description = "a test plugin",
    .create = create, .fit = fit, .predict = predict, .destroy = destroy };
const bench_forecaster *bench_plugin_forecaster(void) {
#if HOSTILE == 2
    *nowhere = 1;
#elif HOSTILE == 3
    exit(3);
#elif HOSTILE == 5
    vtable.name = (const char *)(uintptr_t)16;
#elif HOSTILE == 7
    exit(0);
#endif
    return &vtable; }
