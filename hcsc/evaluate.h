/* Frozen-feature evaluations used by the SSL literature: weighted kNN (MoCo's
 * CIFAR demo / InstDisc protocol), a linear probe (softmax regression), and
 * k-means clustering scored against the classes. */
#ifndef BENCH_HCSC_EVALUATE_H
#define BENCH_HCSC_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "bench/rng.h"
#include "hcsc/metrics.h"

/* Weighted kNN: for each test row, the k most cosine-similar training rows vote
 * for their class with weight exp(similarity / temperature); the top-scoring
 * class (lowest id on ties) is the prediction.  Features must be L2-normalised:
 * train (train_count, d), test (test_count, d).  Writes predictions (test_count)
 * when not NULL and *accuracy (fraction of test labels matched). */
int hcsc_knn_classify(double *accuracy, int32_t *predictions, const float *train, const uint8_t *train_labels,
                      size_t train_count, const float *test, const uint8_t *test_labels, size_t test_count,
                      size_t d, size_t class_count, size_t k, double temperature, bench_error *error);

typedef struct hcsc_linear_probe_config {
    size_t epochs;          /* 100 */
    size_t batch;           /* 256 */
    double learning_rate;   /* peak of the cosine schedule (per step), 0.1 */
    double momentum;        /* 0.9 */
    const double *weight_decays; /* candidates, tried on the hold-out */
    size_t weight_decay_count;
    size_t holdout;         /* training rows held out to choose the weight decay; 10000 */
} hcsc_linear_probe_config;

void hcsc_linear_probe_defaults(hcsc_linear_probe_config *config);

/* Softmax regression on standardised features (train statistics): picks the
 * weight decay with the best hold-out accuracy (hold-out = a seeded random
 * subset of the training rows), refits on all training rows, and reports test
 * accuracy.  *chosen_weight_decay may be NULL. */
int hcsc_linear_probe(double *accuracy, double *chosen_weight_decay, const float *train,
                      const uint8_t *train_labels, size_t train_count, const float *test,
                      const uint8_t *test_labels, size_t test_count, size_t d, size_t class_count,
                      const hcsc_linear_probe_config *config, bench_rng *rng, bench_error *error);

/* k-means with class_count clusters on features (n, d) (restarts seeded from rng),
 * scored against labels. */
int hcsc_kmeans_scores(hcsc_cluster_scores *out, const float *features, const uint8_t *labels, size_t n, size_t d,
                       size_t class_count, size_t restarts, bench_rng *rng, bench_error *error);

/* PCA whitening fitted on train (train_count, d): out (count, d) holds
 * features (count, d) centred on the training mean, rotated onto the training
 * covariance's eigenvectors and scaled to unit variance along each (variances
 * floored at 1e-6 of the largest), then L2-normalised when normalize.  out
 * and features may not overlap. */
int hcsc_pca_whiten(float *out, const float *train, size_t train_count, const float *features, size_t count, size_t d,
                    int normalize, bench_error *error);

#endif
