#include "nn/loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double weight_sum(const float *weights, size_t count)
{
    if (weights == NULL)
        return (double)count;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++)
        sum += weights[i];
    return sum;
}

/* The per-element terms of the losses that weigh pred - target alone. */
typedef enum error_kind { ERROR_SQUARED, ERROR_ABSOLUTE, ERROR_PINBALL } error_kind;

/* The weighted mean of one error term over the elements, adding its gradient
 * into dpred: MSE, MAE and the pinball (QUANTILE) loss differ in the term only. */
static double weighted_error(float *dpred, const float *pred, const float *target, const float *weights, size_t count,
                             error_kind kind, float quantile)
{
    double total = weight_sum(weights, count), sum = 0.0;
    if (total <= 0.0)
        return 0.0;
    for (size_t i = 0; i < count; i++) {
        double w = weights != NULL ? weights[i] : 1.0;
        double d = (double)pred[i] - target[i], r = -d; /* r: the pinball loss's target - pred, exactly */
        double term, gradient;
        if (kind == ERROR_SQUARED) {
            term = w * d * d;
            gradient = 2.0 * w * d / total;
        } else if (kind == ERROR_ABSOLUTE) {
            term = w * fabs(d);
            gradient = w * (d > 0.0 ? 1.0 : d < 0.0 ? -1.0 : 0.0) / total;
        } else {
            term = w * (r >= 0.0 ? quantile * r : (quantile - 1.0) * r);
            gradient = w * (r > 0.0 ? -quantile : r < 0.0 ? 1.0 - quantile : 0.0) / total;
        }
        sum += term;
        if (dpred != NULL)
            dpred[i] += (float)gradient;
    }
    return sum / total;
}

double nn_mse_loss(float *dpred, const float *pred, const float *target, const float *weights, size_t count)
{
    return weighted_error(dpred, pred, target, weights, count, ERROR_SQUARED, 0.0f);
}

double nn_mae_loss(float *dpred, const float *pred, const float *target, const float *weights, size_t count)
{
    return weighted_error(dpred, pred, target, weights, count, ERROR_ABSOLUTE, 0.0f);
}

double nn_gaussian_nll_loss(float *dmu, float *dsigma, const float *mu, const float *sigma, const float *target,
                            const float *weights, size_t count)
{
    const double half_log_2pi = 0.91893853320467274178;
    double total = weight_sum(weights, count), sum = 0.0;
    if (total <= 0.0)
        return 0.0;
    for (size_t i = 0; i < count; i++) {
        double w = weights != NULL ? weights[i] : 1.0;
        double s = sigma[i];
        double z = ((double)target[i] - mu[i]) / s;
        sum += w * (log(s) + 0.5 * z * z + half_log_2pi);
        if (dmu != NULL)
            dmu[i] += (float)(w * (-z / s) / total);
        if (dsigma != NULL)
            dsigma[i] += (float)(w * (1.0 / s - z * z / s) / total);
    }
    return sum / total;
}

double nn_softmax_exp(float *out, const float *in, size_t k)
{
    float maximum = -INFINITY;
    for (size_t j = 0; j < k; j++)
        maximum = in[j] > maximum ? in[j] : maximum;
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) {
        out[j] = expf(in[j] - maximum);
        sum += out[j];
    }
    return sum;
}

void nn_softmax_forward(float *out, const float *in, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++) {
        float *y = out + i * k;
        double sum = nn_softmax_exp(y, in + i * k, k);
        float inv = (float)(1.0 / sum);
        for (size_t j = 0; j < k; j++)
            y[j] *= inv;
    }
}

/* −log softmax(scale·row over allowed)[target] and, when grad != NULL,
 * adds g·scale·(p − onehot) into grad.  Shared by cross-entropy and InfoNCE. */
static double softmax_nll_row(float *grad, const float *row, const uint8_t *allowed, size_t k, size_t target,
                              double scale, double g)
{
    double maximum = -INFINITY;
    for (size_t j = 0; j < k; j++)
        if (allowed == NULL || allowed[j] || j == target)
            maximum = fmax(maximum, scale * row[j]);
    double sum = 0.0;
    for (size_t j = 0; j < k; j++)
        if (allowed == NULL || allowed[j] || j == target)
            sum += exp(scale * row[j] - maximum);
    double log_sum = maximum + log(sum);
    if (grad != NULL)
        for (size_t j = 0; j < k; j++)
            if (allowed == NULL || allowed[j] || j == target) {
                double p = exp(scale * row[j] - log_sum);
                grad[j] += (float)(g * scale * (p - (j == target ? 1.0 : 0.0)));
            }
    return log_sum - scale * row[target];
}

double nn_cross_entropy_loss(float *dlogits, const float *logits, const int32_t *targets, const float *weights,
                             size_t n, size_t classes)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        if (targets[i] >= 0)
            total += weights != NULL ? weights[i] : 1.0;
    if (total <= 0.0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (targets[i] < 0)
            continue;
        double w = weights != NULL ? weights[i] : 1.0;
        sum += w * softmax_nll_row(dlogits != NULL ? dlogits + i * classes : NULL, logits + i * classes, NULL,
                                   classes, (size_t)targets[i], 1.0, w / total);
    }
    return sum / total;
}

double nn_infonce_loss(float *dlogits, const float *logits, const int32_t *targets, const uint8_t *mask, size_t n,
                       size_t k, float temperature)
{
    size_t rows = 0;
    for (size_t i = 0; i < n; i++)
        rows += targets[i] >= 0;
    if (rows == 0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (targets[i] < 0)
            continue;
        sum += softmax_nll_row(dlogits != NULL ? dlogits + i * k : NULL, logits + i * k,
                               mask != NULL ? mask + i * k : NULL, k, (size_t)targets[i], 1.0 / temperature,
                               1.0 / (double)rows);
    }
    return sum / (double)rows;
}

double nn_bce_with_logits_loss(float *dlogits, const float *logits, const float *targets, const float *weights,
                               size_t count, double normalizer)
{
    double total = normalizer > 0.0 ? normalizer : weight_sum(weights, count);
    if (total <= 0.0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double w = weights != NULL ? weights[i] : 1.0;
        double x = logits[i], y = targets[i];
        sum += w * (fmax(x, 0.0) - x * y + log1p(exp(-fabs(x))));
        if (dlogits != NULL) {
            double p = x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
            dlogits[i] += (float)(w * (p - y) / total);
        }
    }
    return sum / total;
}

double nn_quantile_loss(float *dpred, const float *pred, const float *target, float quantile, const float *weights,
                        size_t count)
{
    return weighted_error(dpred, pred, target, weights, count, ERROR_PINBALL, quantile);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double nn_crps_samples(const double *samples, size_t count, double observation, double *scratch)
{
    memcpy(scratch, samples, count * sizeof(double));
    qsort(scratch, count, sizeof(double), compare_doubles);
    double absolute = 0.0, spread = 0.0, n = (double)count;
    for (size_t i = 0; i < count; i++) {
        absolute += fabs(scratch[i] - observation);
        /* Σ_{i,j} |x_i − x_j| = 2 Σ_i (2i − n + 1) x_(i) over the sorted sample. */
        spread += (2.0 * (double)i - n + 1.0) * scratch[i];
    }
    return absolute / n - spread / (n * n);
}
