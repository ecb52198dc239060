/* HCSC's two selection rules (official code: hcsc/hcsc.py, sample_neg_instance
 * and sample_neg_protos) and the Bernoulli masks drawn from them.
 *
 * Instance selection, level l: queue key k_j is kept as a negative for query i
 * with probability 1 − P(y_i | k_j), P(m | k) = softmax_m(k·c_m / φ_m), clamped
 * to [0, 0.999]: a key that probably shares the query's cluster (a likely false
 * negative) is usually dropped.
 *
 * Prototype selection, level l below the top: negative prototype c_j is kept with
 * probability 1 − P(parent(y_i) | c_j), P(a | c) = softmax_a(c·c^{l+1}_a / φ̃_a),
 * φ̃ = φ^{l+1} / mean(φ^{l+1}) · τ, clamped to [1e-4, 0.999]. */
#ifndef BENCH_HCSC_SELECT_H
#define BENCH_HCSC_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "bench/rng.h"
#include "hcsc/cluster.h"

#define HCSC_INSTANCE_KEEP_MIN 0.0
#define HCSC_INSTANCE_KEEP_MAX 0.999
#define HCSC_PROTOTYPE_KEEP_MIN 1e-4
#define HCSC_PROTOTYPE_KEEP_MAX 0.999
/* The official code clamps φ from below before dividing by it. */
#define HCSC_PHI_FLOOR 1e-3

/* keep (batch, queue_count): keep[i, j] = clamp(1 − softmax_m(k_j·c_m/φ_m)[labels[i]]).
 * queue (queue_count, d) rows are keys; centroids (cluster_count, d); phi (cluster_count).
 * Allocates its own scratch (queue_count × cluster_count floats). */
int hcsc_instance_keep_probability(float *keep, const float *queue, size_t queue_count, const float *centroids,
                                   const float *phi, size_t cluster_count, size_t d, const int32_t *labels,
                                   size_t batch, bench_error *error);

/* The negative prototype ids of one level for one batch, as the official code
 * forms them: {0, …, max_label − 1} minus every label in the batch (so the
 * highest id is never a negative).  candidates has room for max_label ids;
 * returns how many were written, in increasing order. */
size_t hcsc_negative_prototypes(int32_t *candidates, int32_t max_label, const int32_t *labels, size_t batch);

/* keep (batch, candidate_count) for level l < top: parent_logits (M_l, M_{l+1}),
 * parent_phi (M_{l+1}), parent (M_l), labels (batch) at level l.
 * Allocates its own scratch. */
int hcsc_prototype_keep_probability(float *keep, const int32_t *candidates, size_t candidate_count,
                                    const float *parent_logits, const float *parent_phi, size_t parent_count,
                                    const int32_t *parent, const int32_t *labels, size_t batch, double temperature,
                                    bench_error *error);

/* mask[i] = 1 with probability keep[i], else 0: one uniform draw per element, in order. */
void hcsc_bernoulli_mask(float *mask, const float *keep, size_t count, bench_rng *rng);

#endif
