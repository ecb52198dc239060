#include "hcsc/loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hcsc/select.h"
#include "nn/gemm.h"

/* Cross-entropy with target 0 of one row of logits given as
 * [first, scale_j·rest_j]; rows whose entries are excluded (remove mode) pass
 * keep_j = 0.  Returns the loss and writes d loss / d logit into grad_first and
 * grad_rest (which the caller maps back).  keep NULL = all kept. */
static double row_cross_entropy(double *grad_first, float *grad_rest, double first, const float *rest,
                                const float *keep, size_t count)
{
    double largest = first;
    for (size_t j = 0; j < count; j++)
        if ((keep == NULL || keep[j] != 0.0f) && rest[j] > largest)
            largest = rest[j];
    double sum = exp(first - largest);
    for (size_t j = 0; j < count; j++)
        if (keep == NULL || keep[j] != 0.0f)
            sum += exp((double)rest[j] - largest);
    double log_sum = log(sum) + largest;
    *grad_first = exp(first - log_sum) - 1.0;
    for (size_t j = 0; j < count; j++)
        grad_rest[j] = keep == NULL || keep[j] != 0.0f ? (float)exp((double)rest[j] - log_sum) : 0.0f;
    return log_sum - first;
}

/* Rows of the batch a task takes: fixed, so the order losses are added in does
 * not depend on the team. */
#define LOSS_ROWS 32

typedef struct instance_pass {
    float *dpositive, *dnegative;
    const float *positive, *negative, *mask;
    size_t batch, queue_count;
    double inverse_t, scale;
    hcsc_selection_mode mode;
    float *scratch;   /* (workers, 2 · queue_count) */
    double *sums;     /* (blocks) */
} instance_pass;

static void instance_rows(void *context, size_t block, size_t worker)
{
    const instance_pass *p = context;
    size_t k = p->queue_count, end = (block + 1) * LOSS_ROWS < p->batch ? (block + 1) * LOSS_ROWS : p->batch;
    float *logits = p->scratch + worker * 2 * k, *grad = logits + k;
    double total = 0.0;
    for (size_t i = block * LOSS_ROWS; i < end; i++) {
        const float *row = p->negative + i * k, *row_mask = p->mask ? p->mask + i * k : NULL;
        for (size_t j = 0; j < k; j++)
            logits[j] = (float)((row_mask ? row_mask[j] : 1.0f) * row[j] * p->inverse_t);
        double grad_first;
        total += row_cross_entropy(&grad_first, grad, p->positive[i] * p->inverse_t, logits,
                                   p->mode == HCSC_SELECTION_REMOVE ? row_mask : NULL, k);
        if (p->dpositive != NULL)
            p->dpositive[i] += (float)(p->scale * grad_first * p->inverse_t);
        if (p->dnegative != NULL)
            for (size_t j = 0; j < k; j++)
                p->dnegative[i * k + j] += (float)(p->scale * grad[j] * (row_mask ? row_mask[j] : 1.0f) * p->inverse_t);
    }
    p->sums[block] = total;
}

double hcsc_instance_loss(float *dpositive, float *dnegative, const float *positive, const float *negative,
                          const float *mask, size_t batch, size_t queue_count, double temperature,
                          hcsc_selection_mode mode, double weight, nn_team *team)
{
    size_t blocks = (batch + LOSS_ROWS - 1) / LOSS_ROWS, workers = nn_team_size(team);
    float *scratch = malloc(workers * 2 * queue_count * sizeof *scratch);
    double *sums = malloc((blocks ? blocks : 1) * sizeof *sums);
    if (scratch == NULL || sums == NULL) {
        free(scratch), free(sums);
        return NAN;
    }
    instance_pass pass = {.dpositive = dpositive, .dnegative = dnegative, .positive = positive, .negative = negative,
                          .mask = mask, .batch = batch, .queue_count = queue_count, .inverse_t = 1.0 / temperature,
                          .scale = weight / (double)batch, .mode = mode, .scratch = scratch, .sums = sums};
    nn_team_run(team, blocks, instance_rows, &pass);
    double total = 0.0;
    for (size_t b = 0; b < blocks; b++)
        total += sums[b];
    free(scratch), free(sums);
    return total / (double)batch;
}

int hcsc_prototype_loss(double *loss, float *dq, const float *q, size_t batch, size_t d, const hcsc_level *level,
                        const int32_t *labels, const int32_t *candidates, size_t candidate_count, const float *mask,
                        hcsc_selection_mode mode, double weight, bench_error *error)
{
    size_t width = candidate_count > 0 ? candidate_count : 1;
    float *prototypes = calloc(candidate_count * d + 2 * batch * width, sizeof *prototypes);
    if (prototypes == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "prototype loss: cannot allocate %zu candidates", candidate_count);
    float *similarity = prototypes + candidate_count * d, *grad = similarity + batch * width;
    for (size_t j = 0; j < candidate_count; j++)
        memcpy(prototypes + j * d, level->centroids + (size_t)candidates[j] * d, d * sizeof *prototypes);
    /* similarity (batch, N) = q · C_Nᵀ */
    nn_gemm(0, 1, batch, candidate_count, d, 1.0f, q, d, prototypes, d, 0.0f, similarity, width);
    double total = 0.0, scale = weight / (double)batch;
    for (size_t i = 0; i < batch; i++) {
        const float *positive = level->centroids + (size_t)labels[i] * d;
        double positive_dot = 0.0;
        for (size_t j = 0; j < d; j++)
            positive_dot += (double)q[i * d + j] * positive[j];
        double positive_phi = fmax(level->phi[labels[i]], HCSC_PHI_FLOOR);
        float *row = similarity + i * width;
        const float *row_mask = mask ? mask + i * candidate_count : NULL;
        for (size_t j = 0; j < candidate_count; j++) {
            double phi = fmax(level->phi[candidates[j]], HCSC_PHI_FLOOR);
            row[j] = (float)((row_mask ? row_mask[j] : 1.0f) * row[j] / phi);
        }
        double grad_first;
        total += row_cross_entropy(&grad_first, grad + i * width, positive_dot / positive_phi, row,
                                   mode == HCSC_SELECTION_REMOVE ? row_mask : NULL, candidate_count);
        /* Map d/dlogit back to d/d(q·c): times mask/φ. */
        for (size_t j = 0; j < candidate_count; j++) {
            double phi = fmax(level->phi[candidates[j]], HCSC_PHI_FLOOR);
            grad[i * width + j] = (float)(scale * grad[i * width + j] * (row_mask ? row_mask[j] : 1.0f) / phi);
        }
        if (dq != NULL)
            for (size_t j = 0; j < d; j++)
                dq[i * d + j] += (float)(scale * grad_first / positive_phi * positive[j]);
    }
    /* dq (batch, d) += grad (batch, N) · C_N (N, d) */
    if (dq != NULL && candidate_count > 0)
        nn_gemm(0, 0, batch, d, candidate_count, 1.0f, grad, width, prototypes, d, 1.0f, dq, d);
    free(prototypes);
    *loss = total / (double)batch;
    return BENCH_OK;
}
