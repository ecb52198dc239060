#include "reports/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

int bench_stats_summarize(bench_stats_summary *out, const double *x, size_t n, bench_error *error)
{
    if (n == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "summary of an empty sample");
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "summary: value %zu is not finite", i);
        sum += x[i];
    }
    out->n = n;
    out->mean = sum / (double)n;
    if (n < 2) {
        out->sd = NAN;
        out->ci95 = NAN;
        return BENCH_OK;
    }
    /* Two passes: the textbook one-pass formula loses digits when seeds agree closely. */
    double squares = 0.0;
    for (size_t i = 0; i < n; i++)
        squares += (x[i] - out->mean) * (x[i] - out->mean);
    out->sd = sqrt(squares / (double)(n - 1));
    out->ci95 = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * out->sd / sqrt((double)n);
    return BENCH_OK;
}

typedef struct ranked_value {
    double value;
    size_t index;
} ranked_value;

static int compare_ranked(const void *a, const void *b)
{
    const ranked_value *left = a, *right = b;
    if (left->value < right->value)
        return -1;
    if (left->value > right->value)
        return 1;
    /* Equal values: keep input order so the sort is deterministic. */
    return (left->index > right->index) - (left->index < right->index);
}

/* Sorts into scratch[0..n) (caller-owned) and writes average ranks. */
static void rank_with(double *ranks, const double *x, size_t n, ranked_value *scratch)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = (ranked_value){.value = x[i], .index = i};
    qsort(scratch, n, sizeof *scratch, compare_ranked);
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && scratch[end].value == scratch[start].value)
            end++;
        double average = 0.5 * (double)(start + 1 + end); /* mean of ranks start+1..end */
        for (size_t i = start; i < end; i++)
            ranks[scratch[i].index] = average;
        start = end;
    }
}

void bench_stats_rankdata(double *ranks, const double *x, size_t n)
{
    ranked_value small[64];
    ranked_value *scratch = n <= 64 ? small : malloc(n * sizeof *scratch);
    if (scratch == NULL) {
        /* Allocation failure leaves no way to report; fall back to O(n²) counting. */
        for (size_t i = 0; i < n; i++) {
            double below = 0, equal = 0;
            for (size_t j = 0; j < n; j++) {
                below += x[j] < x[i];
                equal += x[j] == x[i];
            }
            ranks[i] = below + 0.5 * (equal + 1.0);
        }
        return;
    }
    rank_with(ranks, x, n, scratch);
    if (scratch != small)
        free(scratch);
}

/* Tie corrections count each group of equal values once: the size of the
 * group values[j] belongs to when j is its first member, else 0. */
static double tie_group(const double *values, size_t count, size_t j)
{
    for (size_t i = 0; i < j; i++)
        if (values[i] == values[j])
            return 0;
    double t = 0;
    for (size_t i = j; i < count; i++)
        t += values[i] == values[j];
    return t;
}

int bench_stats_friedman(bench_friedman *out, double *avg_ranks, const double *scores,
                         size_t blocks, size_t k, int higher_is_better, bench_error *error)
{
    if (blocks < 1 || k < 2)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "ranking needs at least 1 dataset and 2 models (got %zu and %zu)", blocks, k);
    for (size_t i = 0; i < blocks * k; i++)
        if (!isfinite(scores[i]))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "ranking: score %zu of block %zu is not finite",
                              i % k, i / k);
    double *row = malloc(2 * k * sizeof *row);
    if (row == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "ranking %zu models", k);
    double *ranks = row + k;
    double ties = 0.0;
    memset(avg_ranks, 0, k * sizeof *avg_ranks);
    for (size_t b = 0; b < blocks; b++) {
        for (size_t j = 0; j < k; j++)
            row[j] = higher_is_better ? -scores[b * k + j] : scores[b * k + j];
        bench_stats_rankdata(ranks, row, k);
        for (size_t j = 0; j < k; j++)
            avg_ranks[j] += ranks[j];
        for (size_t j = 0; j < k; j++) {
            double t = tie_group(row, k, j);
            ties += t * (t * t - 1.0);
        }
    }
    double sum_sq = 0.0;
    for (size_t j = 0; j < k; j++) {
        avg_ranks[j] /= (double)blocks;
        sum_sq += avg_ranks[j] * avg_ranks[j];
    }
    free(row);
    if (out == NULL)
        return BENCH_OK;
    double N = (double)blocks, K = (double)k;
    *out = (bench_friedman){.blocks = blocks, .k = k, .df1 = K - 1.0, .df2 = (K - 1.0) * (N - 1.0)};
    if (blocks < 2) {
        out->chi2 = out->p_chi2 = out->chi2_ties = out->p_chi2_ties = NAN;
        out->iman_davenport = out->p_iman_davenport = NAN;
        return BENCH_OK;
    }
    out->chi2 = 12.0 * N / (K * (K + 1.0)) * (sum_sq - K * (K + 1.0) * (K + 1.0) / 4.0);
    if (out->chi2 < 0.0) /* rounding when all ranks are equal */
        out->chi2 = 0.0;
    out->p_chi2 = gsl_cdf_chisq_Q(out->chi2, K - 1.0);
    double correction = 1.0 - ties / (K * (K * K - 1.0) * N);
    out->chi2_ties = correction > 0.0 ? out->chi2 / correction : NAN;
    out->p_chi2_ties = correction > 0.0 ? gsl_cdf_chisq_Q(out->chi2_ties, K - 1.0) : NAN;
    double denominator = N * (K - 1.0) - out->chi2;
    if (denominator > 0.0) {
        out->iman_davenport = (N - 1.0) * out->chi2 / denominator;
        out->p_iman_davenport = gsl_cdf_fdist_Q(out->iman_davenport, out->df1, out->df2);
    } else {
        /* Every block ranks the models identically (with k = 2 this happens
         * whenever one model wins every row): F_F divides by zero.  Undefined,
         * not "inf, p = 0": the test says nothing χ² does not already say. */
        out->iman_davenport = NAN;
        out->p_iman_davenport = NAN;
    }
    return BENCH_OK;
}

/* Demšar (2006), Table 5(a): two-tailed Nemenyi q_alpha for k = 2..10.  Kept
 * as printed (rather than computed) so tables match the paper digit for digit. */
static const double nemenyi_q05[] = {1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164};
static const double nemenyi_q10[] = {1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920};

/* P(|Z_i − Z_j| ≤ q for all i, j) for k standard normals, i.e. the CDF of the
 * range: k ∫ φ(z) [Φ(z) − Φ(z − q)]^(k−1) dz.  Composite Simpson on
 * [−9, 9 + q], outside which φ(z) < 1e-17; the integrand is smooth, so 4000
 * panels give ~1e-10, far below the 1e-6 the critical values need. */
static double range_cdf(double q, size_t k)
{
    enum { PANELS = 4000 };
    double lower = -9.0, upper = 9.0 + q, h = (upper - lower) / PANELS, sum = 0.0;
    for (int i = 0; i <= PANELS; i++) {
        double z = lower + h * i;
        /* Upper tails for z > 0: Φ(z) − Φ(z − q) there is a difference of two numbers near 1. */
        double inside = z > 0 ? gsl_cdf_ugaussian_Q(z - q) - gsl_cdf_ugaussian_Q(z)
                              : gsl_cdf_ugaussian_P(z) - gsl_cdf_ugaussian_P(z - q);
        double f = exp(-0.5 * z * z) * pow(inside, (double)(k - 1));
        sum += f * (i == 0 || i == PANELS ? 1.0 : i % 2 ? 4.0 : 2.0);
    }
    return (double)k * sum * h / 3.0 / sqrt(2.0 * M_PI);
}

double bench_stats_studentized_range_q(double alpha, size_t k)
{
    if (k < 2 || !(alpha > 0.0 && alpha < 1.0))
        return NAN;
    /* The CDF increases in q: bisection on [0, 40] (q_0.05 for k = 1000 is about 6.1). */
    double low = 0.0, high = 40.0;
    for (int i = 0; i < 60; i++) {
        double middle = 0.5 * (low + high);
        if (range_cdf(middle, k) < 1.0 - alpha)
            low = middle;
        else
            high = middle;
    }
    return 0.5 * (low + high);
}

int bench_stats_nemenyi_q(double *q, size_t k, double alpha, bench_error *error)
{
    int tabulated_alpha = fabs(alpha - 0.05) < 1e-12 || fabs(alpha - 0.10) < 1e-12;
    if (!tabulated_alpha)
        return BENCH_FAIL(error, BENCH_UNSUPPORTED, "Nemenyi alpha must be 0.05 or 0.10, not %g", alpha);
    if (k < 2 || k > BENCH_NEMENYI_MAX_K)
        return BENCH_FAIL(error, BENCH_UNSUPPORTED, "Nemenyi critical values need 2..%d models, not %zu",
                          BENCH_NEMENYI_MAX_K, k);
    if (k <= 10)
        *q = fabs(alpha - 0.05) < 1e-12 ? nemenyi_q05[k - 2] : nemenyi_q10[k - 2];
    else
        *q = bench_stats_studentized_range_q(alpha, k) / sqrt(2.0);
    return BENCH_OK;
}

int bench_stats_nemenyi_cd(double *cd, size_t k, size_t blocks, double alpha, bench_error *error)
{
    double q = NAN;
    int status = bench_stats_nemenyi_q(&q, k, alpha, error);
    if (status != BENCH_OK)
        return status;
    if (blocks < 1)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "critical difference needs at least one dataset");
    *cd = q * sqrt((double)k * (double)(k + 1) / (6.0 * (double)blocks));
    return BENCH_OK;
}

/* P(R+ <= r) under H0 for n untied nonzero differences: count the subsets of
 * {1..n} by their sum (dynamic programming; counts stay exact in a double up
 * to n = 50 because 2^50 < 2^53). */
static int wilcoxon_exact_cdf(double *lower, double *upper, size_t n, long r_plus, bench_error *error)
{
    size_t max_sum = n * (n + 1) / 2;
    double *counts = calloc(max_sum + 1, sizeof *counts);
    if (counts == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "Wilcoxon null distribution for n = %zu", n);
    counts[0] = 1.0;
    for (size_t rank = 1; rank <= n; rank++)
        for (size_t s = max_sum; s >= rank; s--)
            counts[s] += counts[s - rank];
    double total = ldexp(1.0, (int)n), below = 0.0, above = 0.0;
    for (size_t s = 0; s <= max_sum; s++) {
        if ((long)s <= r_plus)
            below += counts[s];
        if ((long)s >= r_plus)
            above += counts[s];
    }
    free(counts);
    *lower = below / total;
    *upper = above / total;
    return BENCH_OK;
}

/* Both zero-difference conventions: zsplit keeps zeros in the ranking and
 * gives half of their rank sum to each side (Demšar 2006 §3.1.3). */
static int wilcoxon(bench_wilcoxon *out, const double *x, const double *y, size_t n, int zsplit,
                    bench_error *error)
{
    if (n == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "Wilcoxon test of empty samples");
    double *d = malloc(3 * n * sizeof *d);
    if (d == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "Wilcoxon test of %zu pairs", n);
    double *ranks = d + n, *magnitude = d + 2 * n;
    size_t used = 0, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        double difference = x[i] - y[i];
        if (!isfinite(difference)) {
            free(d);
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "Wilcoxon test: pair %zu is not finite", i);
        }
        zeros += difference == 0.0;
        if (difference != 0.0 || zsplit)
            d[used++] = difference;
    }
    *out = (bench_wilcoxon){.n = used, .zeros = zeros, .z = NAN};
    if (zeros == n) {
        free(d);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "Wilcoxon test: all %zu differences are zero", n);
    }
    for (size_t i = 0; i < used; i++)
        magnitude[i] = fabs(d[i]);
    bench_stats_rankdata(ranks, magnitude, used);
    int tied = 0;
    double tie_term = 0.0; /* Σ t(t²−1) over groups of tied |d| */
    for (size_t i = 0; i < used; i++) {
        out->r_plus += d[i] > 0 ? ranks[i] : d[i] == 0 ? 0.5 * ranks[i] : 0.0;
        out->r_minus += d[i] < 0 ? ranks[i] : d[i] == 0 ? 0.5 * ranks[i] : 0.0;
        double t = tie_group(magnitude, used, i);
        if (t > 1) {
            tied = 1;
            tie_term += t * (t * t - 1.0);
        }
    }
    free(d);
    out->statistic = fmin(out->r_plus, out->r_minus);
    double count = (double)used;
    if (zeros == 0 && !tied && n <= 50) {
        out->exact = 1;
        long r_plus = lround(out->r_plus);
        double lower = 1.0, upper = 1.0;
        int status = wilcoxon_exact_cdf(&lower, &upper, used, r_plus, error);
        if (status != BENCH_OK)
            return status;
        /* The centre of the symmetric distribution has p = 1 exactly, as in scipy. */
        out->p = 2 * r_plus == (long)(used * (used + 1) / 2) ? 1.0 : fmin(1.0, 2.0 * fmin(lower, upper));
        return BENCH_OK;
    }
    double mean = count * (count + 1.0) / 4.0;
    double variance = (count * (count + 1.0) * (2.0 * count + 1.0) - 0.5 * tie_term) / 24.0;
    out->z = (out->statistic - mean) / sqrt(variance);
    out->p = fmin(1.0, 2.0 * gsl_cdf_ugaussian_Q(fabs(out->z)));
    return BENCH_OK;
}

int bench_stats_wilcoxon(bench_wilcoxon *out, const double *x, const double *y, size_t n, bench_error *error)
{
    return wilcoxon(out, x, y, n, 0, error);
}

int bench_stats_wilcoxon_zsplit(bench_wilcoxon *out, const double *x, const double *y, size_t n,
                                bench_error *error)
{
    return wilcoxon(out, x, y, n, 1, error);
}

int bench_stats_diebold_mariano(bench_diebold_mariano *out, const double *loss1,
                                const double *loss2, size_t T, size_t h, int harvey,
                                bench_error *error)
{
    if (h < 1)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "Diebold-Mariano: horizon must be >= 1");
    if (T < 2 || h >= T)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "Diebold-Mariano needs more windows than the horizon (T = %zu, h = %zu)", T, h);
    double mean = 0.0;
    for (size_t t = 0; t < T; t++) {
        double difference = loss1[t] - loss2[t];
        if (!isfinite(difference))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "Diebold-Mariano: loss %zu is not finite", t);
        mean += difference;
    }
    mean /= (double)T;
    double long_run = 0.0;
    for (size_t lag = 0; lag < h; lag++) {
        double gamma = 0.0;
        for (size_t t = lag; t < T; t++)
            gamma += (loss1[t] - loss2[t] - mean) * (loss1[t - lag] - loss2[t - lag] - mean);
        gamma /= (double)T;
        long_run += lag == 0 ? gamma : 2.0 * gamma;
    }
    *out = (bench_diebold_mariano){.T = T, .h = h, .mean_difference = mean,
                                   .variance = long_run / (double)T, .harvey = harvey};
    if (!(out->variance > 0.0))
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "Diebold-Mariano: the loss differential's variance estimate is %g (not positive)",
                          out->variance);
    out->statistic = mean / sqrt(out->variance);
    double N = (double)T, H = (double)h;
    if (harvey) {
        out->statistic *= sqrt((N + 1.0 - 2.0 * H + H * (H - 1.0) / N) / N);
        out->p = 2.0 * gsl_cdf_tdist_Q(fabs(out->statistic), N - 1.0);
    } else {
        out->p = 2.0 * gsl_cdf_ugaussian_Q(fabs(out->statistic));
    }
    return BENCH_OK;
}
