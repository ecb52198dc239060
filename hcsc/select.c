#include "hcsc/select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/gemm.h"

static float clamp_to(double value, double low, double high)
{
    return (float)(value < low ? low : (value > high ? high : value));
}

/* Softmax of each row of logits (rows, columns) in place, in double for the sum. */
static void softmax_rows(float *logits, size_t rows, size_t columns)
{
    for (size_t r = 0; r < rows; r++) {
        float *row = logits + r * columns;
        float largest = row[0];
        for (size_t c = 1; c < columns; c++)
            if (row[c] > largest)
                largest = row[c];
        double sum = 0.0;
        for (size_t c = 0; c < columns; c++)
            sum += exp((double)row[c] - largest);
        for (size_t c = 0; c < columns; c++)
            row[c] = (float)(exp((double)row[c] - largest) / sum);
    }
}

int hcsc_instance_keep_probability(float *keep, const float *queue, size_t queue_count, const float *centroids,
                                   const float *phi, size_t cluster_count, size_t d, const int32_t *labels,
                                   size_t batch, bench_error *error)
{
    float *assignment = malloc(queue_count * cluster_count * sizeof *assignment);
    if (assignment == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "instance selection: cannot allocate %zu×%zu", queue_count,
                          cluster_count);
    /* assignment (K, M) = queue (K, d) · centroidsᵀ (d, M), then / φ and softmax over M */
    nn_gemm(0, 1, queue_count, cluster_count, d, 1.0f, queue, d, centroids, d, 0.0f, assignment, cluster_count);
    for (size_t j = 0; j < queue_count; j++)
        for (size_t m = 0; m < cluster_count; m++) {
            float concentration = phi[m] > HCSC_PHI_FLOOR ? phi[m] : (float)HCSC_PHI_FLOOR;
            assignment[j * cluster_count + m] /= concentration;
        }
    softmax_rows(assignment, queue_count, cluster_count);
    for (size_t i = 0; i < batch; i++)
        for (size_t j = 0; j < queue_count; j++)
            keep[i * queue_count + j] = clamp_to(1.0 - assignment[j * cluster_count + (size_t)labels[i]],
                                                 HCSC_INSTANCE_KEEP_MIN, HCSC_INSTANCE_KEEP_MAX);
    free(assignment);
    return BENCH_OK;
}

size_t hcsc_negative_prototypes(int32_t *candidates, int32_t max_label, const int32_t *labels, size_t batch)
{
    size_t count = 0;
    for (int32_t id = 0; id < max_label; id++) {
        int in_batch = 0;
        for (size_t b = 0; b < batch && !in_batch; b++)
            in_batch = labels[b] == id;
        if (!in_batch)
            candidates[count++] = id;
    }
    return count;
}

int hcsc_prototype_keep_probability(float *keep, const int32_t *candidates, size_t candidate_count,
                                    const float *parent_logits, const float *parent_phi, size_t parent_count,
                                    const int32_t *parent, const int32_t *labels, size_t batch, double temperature,
                                    bench_error *error)
{
    float *probability = malloc((candidate_count * parent_count + 1) * sizeof *probability);
    if (probability == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "prototype selection: cannot allocate %zu×%zu", candidate_count,
                          parent_count);
    double mean_phi = 0.0;
    for (size_t a = 0; a < parent_count; a++)
        mean_phi += parent_phi[a];
    mean_phi /= (double)parent_count;
    for (size_t j = 0; j < candidate_count; j++) {
        const float *logits = parent_logits + (size_t)candidates[j] * parent_count;
        for (size_t a = 0; a < parent_count; a++) {
            double rescaled = (double)parent_phi[a] / mean_phi * temperature;
            probability[j * parent_count + a] = (float)(logits[a] / rescaled);
        }
    }
    softmax_rows(probability, candidate_count, parent_count);
    for (size_t i = 0; i < batch; i++) {
        size_t query_parent = (size_t)parent[labels[i]];
        for (size_t j = 0; j < candidate_count; j++)
            keep[i * candidate_count + j] = clamp_to(1.0 - probability[j * parent_count + query_parent],
                                                     HCSC_PROTOTYPE_KEEP_MIN, HCSC_PROTOTYPE_KEEP_MAX);
    }
    free(probability);
    return BENCH_OK;
}

void hcsc_bernoulli_mask(float *mask, const float *keep, size_t count, bench_rng *rng)
{
    for (size_t i = 0; i < count; i++)
        mask[i] = bench_rng_uniform_float(rng) < keep[i] ? 1.0f : 0.0f;
}
