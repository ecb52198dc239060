/* The model of the misbehaving test plugins (faulty.c, hostile.c): it holds
 * no state, and its forecast is the last value seen.  Each plugin is built as
 * one translation unit, so what it shares with the others is static here. */
#ifndef BENCH_TEST_PLUGINS_STATELESS_MODEL_H
#define BENCH_TEST_PLUGINS_STATELESS_MODEL_H

#include <stdlib.h>
#include "bench/forecaster.h"

struct bench_model { int unused; };

static int create(bench_model **out, const bench_params *p, const bench_task_info *task, bench_error *e) {
    (void)p, (void)task; bench_model *m = calloc(1, sizeof *m);
    if (!m) return BENCH_FAIL(e, BENCH_NO_MEMORY, "oom");
    *out = m; return BENCH_OK; }

static void destroy(bench_model *m) { free(m); }

/* Writes the last value of each window's history over its horizon. */
static void repeat_last_value(const bench_forecast_request *q, double *out) {
    for (size_t w = 0; w < q->window_count; w++) for (size_t k = 0; k < q->horizon; k++)
        out[w * q->horizon + k] = q->windows[w].history[q->windows[w].history_length - 1]; }

#endif
