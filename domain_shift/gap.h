/* Reading a transfer table the way issue 8 judges it.
 *
 * For every ordered device pair (dataset xray_<S>_to_<T> of a task = detect
 * results.csv, metric map) this gives
 *   - the endogenous shift: the target's oracle mAP minus source-only mAP, and
 *     whether it is "real": at least 10 mAP points and more than 3 standard
 *     deviations, where the standard deviation is that of the difference of two
 *     independent runs, sqrt(sd_source_only^2 + sd_oracle^2) (stricter than
 *     either method's own spread);
 *   - for every other method (psn, its ablations, source_only_target_bn), its
 *     gain over source-only, difference of the means, with the same kind of
 *     spread, so a gain that does not hold is reported as such.
 * Means and sample standard deviations are over the seeds whose rows are ok;
 * error rows are counted, not averaged. */
#ifndef SHIFT_GAP_H
#define SHIFT_GAP_H

#include <stdio.h>

#include "bench/error.h"
#include "reports/results.h"
#include "reports/stats.h"

/* A shift is "real" at and above this many mAP points (mAP as a fraction). */
#define SHIFT_GAP_MIN_POINTS 0.10
#define SHIFT_GAP_MIN_SIGMAS 3.0

typedef struct shift_gap_method {
    const char *method;          /* into the results */
    bench_stats_summary map;     /* n == 0 when the pair has no ok row of it */
    size_t error_rows;
    double gain, gain_sd;        /* against source_only; NAN when undefined */
} shift_gap_method;

typedef struct shift_gap_pair {
    const char *dataset;         /* xray_D1_to_D2, into the results */
    shift_gap_method *methods;   /* one per report method, in report order */
    double shift, shift_sd;      /* oracle - source_only; NAN without both */
    int shift_real;              /* 1 real, 0 not, -1 undecidable (a method or a spread is missing) */
} shift_gap_pair;

typedef struct shift_gap_report {
    bench_results results;
    const char **methods;        /* every model of the map rows, first-appearance order */
    size_t method_count;
    shift_gap_pair *pairs;       /* first-appearance order */
    size_t pair_count;
    size_t real_pairs;           /* pairs with shift_real == 1 */
} shift_gap_report;

/* Read results_path (a task = detect results.csv) into out.  BENCH_BAD_INPUT,
 * naming the file, when it is malformed or holds no detect map rows.  The
 * caller frees out with shift_gap_report_free, also after a failure. */
int shift_gap_compute(shift_gap_report *out, const char *results_path, bench_error *error);
void shift_gap_report_free(shift_gap_report *report);

/* A Markdown table (mAP x 100): one row per pair with source-only, oracle, the
 * shift with its size in standard deviations and the verdict, then each other
 * method's gain over source-only; then one line with the verdict over all pairs. */
int shift_gap_write_markdown(FILE *stream, const shift_gap_report *report, bench_error *error);

/* The PSN variant that run.json's psn_variant_choice records per target
 * (domain_shift/run.c: the rule fixed before the study), as a Markdown table;
 * nothing when the run has no such record or run_json_path does not exist. */
int shift_gap_write_choice(FILE *stream, const char *run_json_path, bench_error *error);

#endif
