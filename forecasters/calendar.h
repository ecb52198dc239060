/* Calendar covariates derived from timestamps, as the GBRT paper's official scripts
 * build them (Elsayed et al., reference §1.6-1.7): pandas' dt.month, dt.day, dt.hour,
 * dt.minute, dt.dayofweek (Monday = 0), dt.dayofyear and ISO dt.week of each
 * timestamp (UTC), then every feature min-max scaled to [-0.5, 0.5] over the whole
 * series given, as sklearn.preprocessing.minmax_scale(feature_range=(-0.5, 0.5))
 * does: a feature that is constant over the series becomes -0.5 everywhere. */
#ifndef BENCH_CALENDAR_H
#define BENCH_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"

/* Every feature name accepted, "month, day, hour, ..." (static string). */
const char *bench_calendar_feature_list(void);

/* BENCH_BAD_INPUT naming the first unknown or repeated name and listing the
 * accepted ones; count may be 0. */
int bench_calendar_validate(const char *const *names, size_t count, bench_error *error);

/* Fills out (length × count, row-major: out[t * count + j] is feature names[j] at
 * timestamps[t], unix seconds UTC) with the scaled features.  out is owned by the
 * caller.  Fails with BENCH_BAD_INPUT on an unknown name, NULL timestamps or a
 * timestamp gmtime cannot represent; out is then left unspecified. */
int bench_calendar_covariates(float *out, const int64_t *timestamps, size_t length,
                              const char *const *names, size_t count, bench_error *error);

/* The covariate subset the official script of a dataset uses, by bench registry
 * name ("exchange_rate" → month, day, day_of_week, day_of_year, week_of_year;
 * "electricity", "traffic", "solar_AL" → month, day, hour, day_of_week, day_of_year,
 * week_of_year; "pemsd7" → those + minute).  Returns 0 and fills *names (a static
 * array) and *count, or BENCH_NOT_FOUND when the paper defines no subset for it. */
int bench_calendar_dataset_subset(const char *dataset, const char *const **names, size_t *count,
                                  bench_error *error);

#endif
