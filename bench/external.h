/* Forecasts made elsewhere, scored like any model.
 *
 * A model section with `forecasts = PATH` names a CSV of forecasts made by
 * another tool (PyTorch, neuralforecast, R ...) in the layout of bench's own
 * predictions files (reports/README.md): a row per series, forecast origin and
 * step.  The harness lines every row up with a window of its own protocol,
 * refuses the file unless every window and step is there exactly once, and
 * scores the forecasts with the protocol's metrics on the protocol's windows,
 * so an external model sits in the same tables, with the same statistics, as
 * the built-ins.  `{seed}` in PATH is replaced by each seed (one file per seed
 * when the external runs differ); the cell id hashes the file's sha256. */
#ifndef BENCH_EXTERNAL_H
#define BENCH_EXTERNAL_H

#include <stddef.h>

#include "bench/error.h"
#include "bench/forecaster.h"
#include "bench/protocol.h"

/* The stand-in forecaster of an external model section (name "external", no
 * parameters): its forecasts come from the file, so predict() is never called
 * by the harness and fails if anything else calls it. */
extern const bench_forecaster bench_external_forecaster;

/* PATH with every "{seed}" replaced by seed, into out; BENCH_BAD_INPUT when it
 * does not fit. */
int bench_external_path(char *out, size_t size, const char *pattern, unsigned long long seed, bench_error *error);

/* Read path and fill out (window_count × horizon, the protocol's scale) with
 * the forecast of every window of task.  Rows are matched by `series` and
 * `origin` (the window's history length) or `origin_time` (ISO 8601 UTC of the
 * last observation, for dated data) and `step` (1..horizon; rows with step <= 0
 * are look-back and ignored).  The value is `prediction_original` (the series'
 * own units, scaled here as the protocol scales) when the file has that
 * column, else `prediction` (already on the protocol's scale).  A row whose
 * `dataset` (when present) is not dataset_label, a series or origin that is
 * not one of the protocol's windows, a step beyond the horizon, a repeated or
 * non-finite forecast, and any window or step without one are BENCH_BAD_INPUT
 * naming the file and line (or the missing window). */
int bench_external_align(double *out, const bench_task *task, const char *dataset_label, const char *path,
                         bench_error *error);

#endif
