/* Forecast accuracy metrics; definitions are in include/bench/metrics.h.  Sums
 * run in double and in index order so results are bit-reproducible. */
#include "bench/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double bench_metric_mae(const double *prediction, const double *truth, size_t count)
{
    if (count == 0)
        return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++)
        sum += fabs(prediction[i] - truth[i]);
    return sum / (double)count;
}

double bench_metric_mse(const double *prediction, const double *truth, size_t count)
{
    if (count == 0)
        return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double d = prediction[i] - truth[i];
        sum += d * d;
    }
    return sum / (double)count;
}

double bench_metric_rmse(const double *prediction, const double *truth, size_t count)
{
    return sqrt(bench_metric_mse(prediction, truth, count));
}

double bench_metric_wape(const double *prediction, const double *truth, size_t count)
{
    double error = 0.0, scale = 0.0;
    for (size_t i = 0; i < count; i++) {
        error += fabs(prediction[i] - truth[i]);
        scale += fabs(truth[i]);
    }
    return scale > 0.0 ? error / scale : NAN;
}

double bench_metric_nrmse(const double *prediction, const double *truth, size_t count)
{
    if (count == 0)
        return NAN;
    double scale = 0.0;
    for (size_t i = 0; i < count; i++)
        scale += fabs(truth[i]);
    scale /= (double)count;
    return scale > 0.0 ? bench_metric_rmse(prediction, truth, count) / scale : NAN;
}

double bench_metric_mape(const double *prediction, const double *truth, size_t count)
{
    double sum = 0.0;
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        if (truth[i] == 0.0)
            continue;
        sum += fabs(prediction[i] - truth[i]) / fabs(truth[i]);
        used++;
    }
    return used > 0 ? sum / (double)used : NAN;
}

double bench_metric_smape(const double *prediction, const double *truth, size_t count)
{
    if (count == 0)
        return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double denominator = fabs(truth[i]) + fabs(prediction[i]);
        if (denominator > 0.0)
            sum += 200.0 * fabs(truth[i] - prediction[i]) / denominator;
    }
    return sum / (double)count;
}

double bench_metric_mase(const double *prediction, const double *truth, size_t horizon,
                         const double *history, size_t history_length, size_t period)
{
    if (period == 0 || history_length <= period || horizon == 0)
        return NAN;
    double scale = 0.0;
    for (size_t t = period; t < history_length; t++)
        scale += fabs(history[t] - history[t - period]);
    scale /= (double)(history_length - period);
    if (!(scale > 0.0))
        return NAN;
    return bench_metric_mae(prediction, truth, horizon) / scale;
}

double bench_metric_rse(const double *prediction, const double *truth, size_t count)
{
    if (count == 0)
        return NAN;
    double mean = 0.0;
    for (size_t i = 0; i < count; i++)
        mean += truth[i];
    mean /= (double)count;
    double residual = 0.0, spread = 0.0;
    for (size_t i = 0; i < count; i++) {
        double d = truth[i] - prediction[i];
        double s = truth[i] - mean;
        residual += d * d;
        spread += s * s;
    }
    return spread > 0.0 ? sqrt(residual / spread) : NAN;
}

double bench_metric_corr_columns(const double *prediction, const double *truth, size_t rows,
                                 size_t columns)
{
    if (rows < 2)
        return NAN;
    double total = 0.0;
    size_t used = 0;
    for (size_t c = 0; c < columns; c++) {
        double mean_p = 0.0, mean_y = 0.0;
        for (size_t r = 0; r < rows; r++) {
            mean_p += prediction[r * columns + c];
            mean_y += truth[r * columns + c];
        }
        mean_p /= (double)rows;
        mean_y /= (double)rows;
        double cov = 0.0, var_p = 0.0, var_y = 0.0;
        for (size_t r = 0; r < rows; r++) {
            double dp = prediction[r * columns + c] - mean_p;
            double dy = truth[r * columns + c] - mean_y;
            cov += dp * dy;
            var_p += dp * dp;
            var_y += dy * dy;
        }
        if (var_p > 0.0 && var_y > 0.0) {
            total += cov / sqrt(var_p * var_y);
            used++;
        }
    }
    return used > 0 ? total / (double)used : NAN;
}

double bench_metric_owa(double smape, double mase, double smape_naive2, double mase_naive2)
{
    return 0.5 * (smape / smape_naive2 + mase / mase_naive2);
}

double bench_metric_quantile_loss(const double *prediction, const double *truth, size_t count, double level)
{
    if (count == 0)
        return NAN;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double d = truth[i] - prediction[i];
        sum += d >= 0.0 ? level * d : (level - 1.0) * d;
    }
    return sum / (double)count;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_metric_crps_samples(const double *samples, size_t sample_count, double truth)
{
    if (sample_count == 0)
        return NAN;
    double *sorted = malloc(sample_count * sizeof *sorted);
    if (sorted == NULL)
        return NAN;
    memcpy(sorted, samples, sample_count * sizeof *sorted);
    qsort(sorted, sample_count, sizeof *sorted, compare_doubles);
    double absolute = 0.0, pairwise = 0.0;
    /* Σ_i Σ_j |s_i − s_j| = 2 Σ_i (2i − n + 1) s_(i) for sorted samples: O(n log n). */
    for (size_t i = 0; i < sample_count; i++) {
        absolute += fabs(sorted[i] - truth);
        pairwise += (2.0 * (double)i - (double)sample_count + 1.0) * sorted[i];
    }
    free(sorted);
    double n = (double)sample_count;
    return absolute / n - pairwise / (n * n);
}
