/* A test plugin whose model misbehaves while a cell runs, one way per -DFAULT=n
 * (tests/test_results_trust.c builds it):
 *   0 none: a last-value forecaster (the control)
 *   1 fit calls exit(3): the status a worker once used for "cannot write results"
 *   2 predict never returns
 *   3 predict returns 1e308 everywhere: finite forecasts whose squared error is Inf
 *   4 fit sleeps $FAULTY_SLEEP seconds first (0 when unset): a slow cell to kill or collide with
 *   5 fit allocates and touches 1 GiB in 64 MiB pieces, failing cleanly when malloc says no
 *   6 fit calls exit(0): a clean-looking status that is not a result
 * The forecaster is "faulty". */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench/forecaster.h"
#include "stateless_model.h"
#ifndef FAULT
#define FAULT 0
#endif

static int fit(bench_model *m, const bench_train_view *t, bench_rng *r, bench_error *e) {
    (void)m, (void)t, (void)r, (void)e;
#if FAULT == 1
    exit(3);
#elif FAULT == 4
    const char *text = getenv("FAULTY_SLEEP");
    if (text != NULL) sleep((unsigned)atoi(text));
#elif FAULT == 5
    enum { PIECES = 16, PIECE = 64 << 20 };
    char *pieces[PIECES] = {0};
    int status = BENCH_OK;
    for (int i = 0; i < PIECES && status == BENCH_OK; i++) {
        pieces[i] = malloc(PIECE);
        if (pieces[i] == NULL) status = BENCH_FAIL(e, BENCH_NO_MEMORY, "faulty: out of memory at %d MiB", i * 64);
        else memset(pieces[i], 1, PIECE);
    }
    for (int i = 0; i < PIECES; i++) free(pieces[i]);
    return status;
#elif FAULT == 6
    exit(0);
#endif
    return BENCH_OK; }
static int predict(bench_model *m, const bench_forecast_request *q, bench_rng *r, double *out, bench_error *e) {
    (void)m, (void)r, (void)e;
#if FAULT == 2
    for (;;) sleep(1);
#endif
    repeat_last_value(q, out);
#if FAULT == 3
    for (size_t i = 0; i < q->window_count * q->horizon; i++) out[i] = 1e308;
#endif
    return BENCH_OK; }
static bench_forecaster vtable = {
    .abi_version = BENCH_FORECASTER_ABI_VERSION, .name = "faulty", .description = "a test plugin that misbehaves",
    .create = create, .fit = fit, .predict = predict, .destroy = destroy };
const bench_forecaster *bench_plugin_forecaster(void) { return &vtable; }
