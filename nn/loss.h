/* Losses: each returns the loss value (double) and, when its gradient pointer
 * is not NULL, ADDS d(loss)/d(input) into it — same convention as the layers.
 * "weights" are per-element weights or masks (NULL = all ones); the loss is the
 * weighted mean Σ w·l / Σ w (0 when Σ w == 0, with no gradient). */
#ifndef BENCH_NN_LOSS_H
#define BENCH_NN_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* pred, target, weights (count). */
double nn_mse_loss(float *dpred, const float *pred, const float *target, const float *weights, size_t count);
/* Subgradient 0 where pred == target, as torch.sign. */
double nn_mae_loss(float *dpred, const float *pred, const float *target, const float *weights, size_t count);
/* Gaussian negative log-likelihood with the constant: log σ + (y−μ)²/(2σ²) + ½ log 2π.
 * mu, sigma (> 0), target, weights (count). */
double nn_gaussian_nll_loss(float *dmu, float *dsigma, const float *mu, const float *sigma, const float *target,
                            const float *weights, size_t count);
/* Softmax cross-entropy: logits (n, classes); targets (n), a negative target is
 * ignored (PyTorch's ignore_index); weights (n) per row or NULL. */
double nn_cross_entropy_loss(float *dlogits, const float *logits, const int32_t *targets, const float *weights,
                             size_t n, size_t classes);
/* InfoNCE: row i of logits (n, k) scores k candidates against anchor i (e.g.
 * cosine similarities); targets[i] is the positive's column (negative = row
 * ignored); mask (n, k), when not NULL, excludes candidates with 0 (self-pairs,
 * false negatives) from the softmax (the positive always stays in); temperature τ divides the logits.
 * Loss = mean_i −log softmax(logits_i/τ over allowed)[targets[i]]. */
double nn_infonce_loss(float *dlogits, const float *logits, const int32_t *targets, const uint8_t *mask, size_t n,
                       size_t k, float temperature);
/* Binary cross-entropy on logits, numerically stable:
 * max(x,0) − x·y + log(1+e^{−|x|}); targets in [0,1]; weights (count) or NULL.
 * normalizer > 0 divides the weighted sum instead of Σ w (CenterNet divides by
 * the number of objects). */
double nn_bce_with_logits_loss(float *dlogits, const float *logits, const float *targets, const float *weights,
                               size_t count, double normalizer);

/* Pinball (quantile) loss at quantile q ∈ (0, 1): q·(y − ŷ) when y ≥ ŷ, else
 * (1 − q)·(ŷ − y); weighted mean as above.  Subgradient 0 where ŷ == y. */
double nn_quantile_loss(float *dpred, const float *pred, const float *target, float quantile, const float *weights,
                        size_t count);
/* Sample-based CRPS of one observation: E|X − y| − ½ E|X − X'| over the
 * empirical distribution of samples (count > 0), in O(n log n) by sorting a copy
 * in scratch (count doubles, caller-owned). */
double nn_crps_samples(const double *samples, size_t count, double observation, double *scratch);

/* The first half of a softmax over one row of k: out[j] = exp(in[j] - max(in)),
 * returning their sum (in double, for the caller to normalise by); out may equal in. */
double nn_softmax_exp(float *out, const float *in, size_t k);

/* Row-wise softmax: in, out (n, k); out may equal in. */
void nn_softmax_forward(float *out, const float *in, size_t n, size_t k);

#endif
