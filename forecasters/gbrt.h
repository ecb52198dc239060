/* Introspection of a fitted gbrt / gbrt_naive model, for tests and run reports.
 * The forecasters themselves are reached through the registry
 * (bench_forecaster_gbrt, bench_forecaster_gbrt_naive). */
#ifndef BENCH_GBRT_H
#define BENCH_GBRT_H

#include <stddef.h>

#include "bench/forecaster.h"

extern const bench_forecaster bench_forecaster_gbrt;
extern const bench_forecaster bench_forecaster_gbrt_naive;

/* Boosters held: h after fit() or load() of gbrt (direct strategy), 1 for
 * gbrt_naive, 0 before fitting.  model must come from one of the two vtables. */
size_t bench_gbrt_booster_count(const bench_model *model);
/* Boosting rounds kept by booster `index` (fewer than n_estimators after early
 * stopping); 0 when out of range. */
long bench_gbrt_booster_rounds(const bench_model *model, size_t index);
/* Columns of every feature row the model reads. */
size_t bench_gbrt_feature_count(const bench_model *model);

#endif
