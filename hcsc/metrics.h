/* Clustering agreement between true labels and cluster labels, as scikit-learn
 * defines them (natural logarithms; arithmetic-mean normalisation for NMI and
 * AMI; ARI from the pair-confusion matrix, with sklearn's special cases), plus
 * clustering accuracy under the best one-to-one matching (Hungarian algorithm).
 * Labels are non-negative int32; they need not be contiguous. */
#ifndef BENCH_HCSC_METRICS_H
#define BENCH_HCSC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"

typedef struct hcsc_cluster_scores {
    double nmi, ami, ari, accuracy;
} hcsc_cluster_scores;

/* All four scores of `predicted` against `truth` (n each).  BENCH_BAD_INPUT on a
 * negative label or n == 0. */
int hcsc_cluster_scores_compute(hcsc_cluster_scores *out, const int32_t *truth, const int32_t *predicted, size_t n,
                                bench_error *error);

/* Minimum-cost assignment of every row to a distinct column: cost (rows, cols),
 * rows <= cols, row-major.  row_to_column (rows) receives the column of each row;
 * returns the total cost.  O(rows² · cols) (Kuhn–Munkres with potentials).
 * Allocates its own scratch; returns NAN when that fails. */
double hcsc_hungarian(int32_t *row_to_column, const double *cost, size_t rows, size_t cols);

#endif
