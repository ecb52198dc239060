#include "hcsc/evaluate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hcsc/cluster.h"
#include "nn/gemm.h"

#include <cblas.h>
#include <lapacke.h>

/* Test rows per similarity GEMM: bounds the (chunk × train_count) scratch. */
#define KNN_CHUNK 256

/* Keep the k largest (similarity, index) pairs in a min-heap. */
static void heap_sift_down(float *value, size_t *index, size_t size, size_t at)
{
    for (;;) {
        size_t left = 2 * at + 1, right = left + 1, smallest = at;
        if (left < size && value[left] < value[smallest])
            smallest = left;
        if (right < size && value[right] < value[smallest])
            smallest = right;
        if (smallest == at)
            return;
        float v = value[at];
        value[at] = value[smallest];
        value[smallest] = v;
        size_t i = index[at];
        index[at] = index[smallest];
        index[smallest] = i;
        at = smallest;
    }
}

int hcsc_knn_classify(double *accuracy, int32_t *predictions, const float *train, const uint8_t *train_labels,
                      size_t train_count, const float *test, const uint8_t *test_labels, size_t test_count,
                      size_t d, size_t class_count, size_t k, double temperature, bench_error *error)
{
    if (k == 0 || k > train_count)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "kNN: k = %zu with %zu training rows", k, train_count);
    float *similarity = malloc(KNN_CHUNK * train_count * sizeof *similarity);
    float *heap_value = malloc(k * sizeof *heap_value);
    size_t *heap_index = malloc(k * sizeof *heap_index);
    double *votes = malloc(class_count * sizeof *votes);
    if (!similarity || !heap_value || !heap_index || !votes) {
        free(similarity), free(heap_value), free(heap_index), free(votes);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "kNN: cannot allocate %d×%zu similarities", KNN_CHUNK,
                          train_count);
    }
    size_t correct = 0;
    for (size_t start = 0; start < test_count; start += KNN_CHUNK) {
        size_t rows = test_count - start < KNN_CHUNK ? test_count - start : KNN_CHUNK;
        /* similarity (rows, train_count) = test[start..] (rows, d) · trainᵀ */
        nn_gemm(0, 1, rows, train_count, d, 1.0f, test + start * d, d, train, d, 0.0f, similarity, train_count);
        for (size_t r = 0; r < rows; r++) {
            const float *row = similarity + r * train_count;
            for (size_t j = 0; j < k; j++) {
                heap_value[j] = row[j];
                heap_index[j] = j;
            }
            for (size_t j = k / 2; j-- > 0;)
                heap_sift_down(heap_value, heap_index, k, j);
            for (size_t j = k; j < train_count; j++)
                if (row[j] > heap_value[0]) {
                    heap_value[0] = row[j];
                    heap_index[0] = j;
                    heap_sift_down(heap_value, heap_index, k, 0);
                }
            memset(votes, 0, class_count * sizeof *votes);
            for (size_t j = 0; j < k; j++)
                votes[train_labels[heap_index[j]]] += exp((double)heap_value[j] / temperature);
            size_t best = 0;
            for (size_t c = 1; c < class_count; c++)
                if (votes[c] > votes[best])
                    best = c;
            if (predictions != NULL)
                predictions[start + r] = (int32_t)best;
            correct += best == test_labels[start + r];
        }
    }
    *accuracy = (double)correct / (double)test_count;
    free(similarity), free(heap_value), free(heap_index), free(votes);
    return BENCH_OK;
}

static const double default_weight_decays[] = {0.0, 1e-5, 1e-4, 1e-3};

void hcsc_linear_probe_defaults(hcsc_linear_probe_config *config)
{
    *config = (hcsc_linear_probe_config){
        .epochs = 100,
        .batch = 256,
        .learning_rate = 0.1,
        .momentum = 0.9,
        .weight_decays = default_weight_decays,
        .weight_decay_count = sizeof default_weight_decays / sizeof default_weight_decays[0],
        .holdout = 10000,
    };
}

/* One softmax-regression fit on rows[0..count) of x (already standardised) by
 * minibatch SGD with momentum and a per-step cosine learning rate.
 * weights (class_count, d + 1): the last column is the bias (not decayed). */
static int softmax_regression_fit(float *weights, const float *x, const uint8_t *labels, const size_t *rows,
                                  size_t count, size_t d, size_t class_count, double weight_decay,
                                  const hcsc_linear_probe_config *config, bench_rng *rng, bench_error *error)
{
    size_t width = d + 1, batch = config->batch < count ? config->batch : count;
    size_t parameters = class_count * width;
    float *velocity = calloc(parameters, sizeof *velocity);
    float *gradient = malloc(parameters * sizeof *gradient);
    float *inputs = malloc(batch * width * sizeof *inputs);
    float *logits = malloc(batch * class_count * sizeof *logits);
    size_t *order = malloc(count * sizeof *order);
    if (!velocity || !gradient || !inputs || !logits || !order) {
        free(velocity), free(gradient), free(inputs), free(logits), free(order);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "linear probe: cannot allocate work space");
    }
    memset(weights, 0, parameters * sizeof *weights);
    memcpy(order, rows, count * sizeof *order);
    size_t steps_per_epoch = count / batch, total_steps = steps_per_epoch * config->epochs, step = 0;
    for (size_t epoch = 0; epoch < config->epochs; epoch++) {
        bench_rng_shuffle_size(rng, order, count);
        for (size_t s = 0; s < steps_per_epoch; s++, step++) {
            for (size_t b = 0; b < batch; b++) {
                memcpy(inputs + b * width, x + order[s * batch + b] * d, d * sizeof *inputs);
                inputs[b * width + d] = 1.0f;
            }
            /* logits (batch, C) = inputs (batch, d+1) · weightsᵀ */
            nn_gemm(0, 1, batch, class_count, width, 1.0f, inputs, width, weights, width, 0.0f, logits,
                    class_count);
            for (size_t b = 0; b < batch; b++) {
                float *row = logits + b * class_count;
                float largest = row[0];
                for (size_t c = 1; c < class_count; c++)
                    largest = row[c] > largest ? row[c] : largest;
                double sum = 0.0;
                for (size_t c = 0; c < class_count; c++)
                    sum += exp((double)row[c] - largest);
                for (size_t c = 0; c < class_count; c++)
                    row[c] = (float)(exp((double)row[c] - largest) / sum);
                row[labels[order[s * batch + b]]] -= 1.0f; /* d loss / d logits, times batch */
            }
            /* gradient (C, d+1) = logitsᵀ (C, batch) · inputs (batch, d+1) / batch */
            nn_gemm(1, 0, class_count, width, batch, 1.0f / (float)batch, logits, class_count, inputs, width, 0.0f,
                    gradient, width);
            double rate = 0.5 * config->learning_rate * (1.0 + cos(M_PI * (double)step / (double)total_steps));
            for (size_t c = 0; c < class_count; c++)
                for (size_t j = 0; j < width; j++) {
                    size_t p = c * width + j;
                    float g = gradient[p] + (j < d ? (float)weight_decay * weights[p] : 0.0f);
                    velocity[p] = (float)config->momentum * velocity[p] + g;
                    weights[p] -= (float)rate * velocity[p];
                }
        }
    }
    free(velocity), free(gradient), free(inputs), free(logits), free(order);
    return BENCH_OK;
}

static double softmax_regression_accuracy(const float *weights, const float *x, const uint8_t *labels,
                                          const size_t *rows, size_t count, size_t d, size_t class_count)
{
    size_t correct = 0, width = d + 1;
    for (size_t i = 0; i < count; i++) {
        const float *row = x + rows[i] * d;
        size_t best = 0;
        double best_score = -INFINITY;
        for (size_t c = 0; c < class_count; c++) {
            const float *w = weights + c * width;
            double score = w[d];
            for (size_t j = 0; j < d; j++)
                score += (double)w[j] * row[j];
            if (score > best_score) {
                best_score = score;
                best = c;
            }
        }
        correct += best == labels[rows[i]];
    }
    return count ? (double)correct / (double)count : 0.0;
}

int hcsc_linear_probe(double *accuracy, double *chosen_weight_decay, const float *train,
                      const uint8_t *train_labels, size_t train_count, const float *test,
                      const uint8_t *test_labels, size_t test_count, size_t d, size_t class_count,
                      const hcsc_linear_probe_config *config, bench_rng *rng, bench_error *error)
{
    if (config->holdout >= train_count || config->weight_decay_count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "linear probe: hold-out of %zu rows leaves nothing of %zu",
                          config->holdout, train_count);
    float *x_train = malloc(train_count * d * sizeof *x_train);
    float *x_test = malloc(test_count * d * sizeof *x_test);
    float *weights = malloc(class_count * (d + 1) * sizeof *weights);
    size_t *rows = malloc((train_count > test_count ? train_count : test_count) * sizeof *rows);
    double *mean = calloc(d, sizeof *mean), *scale = calloc(d, sizeof *scale);
    int status = BENCH_OK;
    if (!x_train || !x_test || !weights || !rows || !mean || !scale) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "linear probe: cannot allocate copies of the features");
        goto done;
    }
    /* Standardise with the training statistics. */
    for (size_t i = 0; i < train_count; i++)
        for (size_t j = 0; j < d; j++)
            mean[j] += train[i * d + j];
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)train_count;
    for (size_t i = 0; i < train_count; i++)
        for (size_t j = 0; j < d; j++) {
            double diff = train[i * d + j] - mean[j];
            scale[j] += diff * diff;
        }
    for (size_t j = 0; j < d; j++) {
        double std = sqrt(scale[j] / (double)train_count);
        scale[j] = std > 1e-8 ? 1.0 / std : 1.0; /* constant pixels stay at zero */
    }
    for (size_t i = 0; i < train_count; i++)
        for (size_t j = 0; j < d; j++)
            x_train[i * d + j] = (float)((train[i * d + j] - mean[j]) * scale[j]);
    for (size_t i = 0; i < test_count; i++)
        for (size_t j = 0; j < d; j++)
            x_test[i * d + j] = (float)((test[i * d + j] - mean[j]) * scale[j]);

    for (size_t i = 0; i < train_count; i++)
        rows[i] = i;
    bench_rng_shuffle_size(rng, rows, train_count);
    size_t fit_count = train_count - config->holdout;
    double best_accuracy = -1.0, best_decay = config->weight_decays[0];
    for (size_t w = 0; w < config->weight_decay_count; w++) {
        status = softmax_regression_fit(weights, x_train, train_labels, rows, fit_count, d, class_count,
                                        config->weight_decays[w], config, rng, error);
        if (status != BENCH_OK)
            goto done;
        double holdout_accuracy = softmax_regression_accuracy(weights, x_train, train_labels, rows + fit_count,
                                                              config->holdout, d, class_count);
        if (holdout_accuracy > best_accuracy) {
            best_accuracy = holdout_accuracy;
            best_decay = config->weight_decays[w];
        }
    }
    status = softmax_regression_fit(weights, x_train, train_labels, rows, train_count, d, class_count, best_decay,
                                    config, rng, error);
    if (status != BENCH_OK)
        goto done;
    for (size_t i = 0; i < test_count; i++)
        rows[i] = i;
    *accuracy = softmax_regression_accuracy(weights, x_test, test_labels, rows, test_count, d, class_count);
    if (chosen_weight_decay != NULL)
        *chosen_weight_decay = best_decay;
done:
    free(x_train), free(x_test), free(weights), free(rows), free(mean), free(scale);
    return status;
}

int hcsc_kmeans_scores(hcsc_cluster_scores *out, const float *features, const uint8_t *labels, size_t n, size_t d,
                       size_t class_count, size_t restarts, bench_rng *rng, bench_error *error)
{
    float *centroids = malloc(class_count * d * sizeof *centroids);
    int32_t *assignment = malloc(n * sizeof *assignment), *truth = malloc(n * sizeof *truth);
    int status;
    if (!centroids || !assignment || !truth) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "k-means evaluation: cannot allocate for %zu rows", n);
        goto done;
    }
    status = hcsc_kmeans(centroids, assignment, NULL, NULL, features, n, d, class_count, 100, restarts, rng, error);
    if (status != BENCH_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        truth[i] = labels[i];
    status = hcsc_cluster_scores_compute(out, truth, assignment, n, error);
done:
    free(centroids), free(assignment), free(truth);
    return status;
}

int hcsc_pca_whiten(float *out, const float *train, size_t train_count, const float *features, size_t count, size_t d,
                    int normalize, bench_error *error)
{
    if (train_count < 2 || d == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "hcsc: whitening needs at least 2 training rows (have %zu)",
                          train_count);
    double *mean = calloc(d, sizeof *mean), *cov = calloc(d * d, sizeof *cov), *values = malloc(d * sizeof *values);
    double *centred = malloc(d * sizeof *centred);
    if (mean == NULL || cov == NULL || values == NULL || centred == NULL) {
        free(mean), free(cov), free(values), free(centred);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: whitening %zu features", d);
    }
    for (size_t i = 0; i < train_count; i++)
        for (size_t j = 0; j < d; j++)
            mean[j] += train[i * d + j];
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)train_count;
    /* Covariance in double, upper triangle, one rank-1 update a row. */
    for (size_t i = 0; i < train_count; i++) {
        for (size_t j = 0; j < d; j++)
            centred[j] = train[i * d + j] - mean[j];
        cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, 1.0 / (double)(train_count - 1), centred, 1, cov, (int)d);
    }
    /* Eigenvectors into cov's columns, eigenvalues ascending. */
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, cov, (lapack_int)d, values);
    int status = BENCH_OK;
    if (info != 0) {
        status = BENCH_FAIL(error, BENCH_MODEL, "hcsc: the features' covariance did not diagonalise (dsyev %d)",
                            (int)info);
    } else {
        /* A floor on the variances keeps directions the training rows do not
         * span (a collapsed feature) from being blown up. */
        double floor = 1e-6 * (values[d - 1] > 0 ? values[d - 1] : 1.0);
        for (size_t j = 0; j < d; j++)
            values[j] = 1.0 / sqrt(values[j] > floor ? values[j] : floor);
        for (size_t i = 0; i < count; i++) {
            for (size_t j = 0; j < d; j++)
                centred[j] = features[i * d + j] - mean[j];
            double norm = 0.0;
            for (size_t k = 0; k < d; k++) {
                double projected = 0.0;
                for (size_t j = 0; j < d; j++)
                    projected += centred[j] * cov[j * d + k];
                projected *= values[k];
                out[i * d + k] = (float)projected;
                norm += projected * projected;
            }
            if (normalize && norm > 0.0)
                for (size_t k = 0; k < d; k++)
                    out[i * d + k] = (float)(out[i * d + k] / sqrt(norm));
        }
    }
    free(mean), free(cov), free(values), free(centred);
    return status;
}
