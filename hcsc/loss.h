/* The two HCSC objectives with their gradients, as the official code computes
 * them (hcsc/hcsc.py forward/get_protos; pretrain.py train):
 *
 *   instance:  z_i = [q_i·k_i⁺, s_i1 (q_i·k_1), …, s_iK (q_i·k_K)] / τ,  L = mean_i CE(z_i, 0)
 *   prototype: u_i = [q_i·c_{y_i}/φ_{y_i}, t_ij (q_i·c_j)/φ_j for j ∈ N],  L = mean_i CE(u_i, 0)
 *
 * Masked-out negatives are multiplied by zero (their logit 0 still counts in
 * the softmax denominator), or, with HCSC_SELECTION_REMOVE, left out entirely. */
#ifndef BENCH_HCSC_LOSS_H
#define BENCH_HCSC_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "hcsc/cluster.h"
#include "nn/team.h"

typedef enum { HCSC_SELECTION_ZERO, HCSC_SELECTION_REMOVE } hcsc_selection_mode;

/* positive (batch) = q_i·k_i; negative (batch, K) = q_i·queue_j; mask (batch, K)
 * of 0/1 or NULL (all kept).  Returns mean_i CE; ADDS weight·dL/dpositive and
 * weight·dL/dnegative into dpositive, dnegative when not NULL.  Rows run on
 * team (NULL: in order) in fixed blocks, whose losses are added in order, so
 * the result does not depend on the team's size; NaN when out of memory. */
double hcsc_instance_loss(float *dpositive, float *dnegative, const float *positive, const float *negative,
                          const float *mask, size_t batch, size_t queue_count, double temperature,
                          hcsc_selection_mode mode, double weight, nn_team *team);

/* ProtoNCE of one level: q (batch, d) normalised queries, labels (batch) their
 * clusters, candidates (candidate_count) the negative prototype ids, mask
 * (batch, candidate_count) or NULL.  Stores the mean CE in *loss and ADDS
 * weight·dL/dq into dq (batch, d) when not NULL.  Allocates its own scratch. */
int hcsc_prototype_loss(double *loss, float *dq, const float *q, size_t batch, size_t d, const hcsc_level *level,
                        const int32_t *labels, const int32_t *candidates, size_t candidate_count, const float *mask,
                        hcsc_selection_mode mode, double weight, bench_error *error);

#endif
