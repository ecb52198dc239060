#include "hcsc/metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double hcsc_hungarian(int32_t *row_to_column, const double *cost, size_t rows, size_t cols)
{
    /* Potentials u (rows + 1), v (cols + 1); match[j] = row (1-based) matched to
     * column j; index 0 is the virtual start column. */
    double *u = calloc(rows + 1, sizeof *u), *v = calloc(cols + 1, sizeof *v);
    double *min_slack = malloc((cols + 1) * sizeof *min_slack);
    size_t *match = calloc(cols + 1, sizeof *match), *way = calloc(cols + 1, sizeof *way);
    char *used = malloc(cols + 1);
    double total = NAN;
    if (!u || !v || !min_slack || !match || !way || !used)
        goto done;
    for (size_t i = 1; i <= rows; i++) {
        match[0] = i;
        size_t column = 0;
        for (size_t j = 0; j <= cols; j++) {
            min_slack[j] = INFINITY;
            used[j] = 0;
        }
        do {
            used[column] = 1;
            size_t row = match[column], next = 0;
            double delta = INFINITY;
            for (size_t j = 1; j <= cols; j++) {
                if (used[j])
                    continue;
                double slack = cost[(row - 1) * cols + (j - 1)] - u[row] - v[j];
                if (slack < min_slack[j]) {
                    min_slack[j] = slack;
                    way[j] = column;
                }
                if (min_slack[j] < delta) {
                    delta = min_slack[j];
                    next = j;
                }
            }
            for (size_t j = 0; j <= cols; j++) {
                if (used[j]) {
                    u[match[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_slack[j] -= delta;
                }
            }
            column = next;
        } while (match[column] != 0);
        do {
            size_t previous = way[column];
            match[column] = match[previous];
            column = previous;
        } while (column != 0);
    }
    total = 0.0;
    for (size_t j = 1; j <= cols; j++)
        if (match[j] != 0) {
            row_to_column[match[j] - 1] = (int32_t)(j - 1);
            total += cost[(match[j] - 1) * cols + (j - 1)];
        }
done:
    free(u), free(v), free(min_slack), free(match), free(way), free(used);
    return total;
}

/* Vinh, Epps & Bailey's expected mutual information under the permutation model
 * with the observed marginals a (rows) and b (cols), as sklearn computes it. */
static double expected_mutual_information(const double *a, size_t rows, const double *b, size_t cols, double n)
{
    double emi = 0.0;
    double log_n = log(n);
    double lgamma_n1 = lgamma(n + 1.0);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double low = fmax(1.0, a[i] + b[j] - n), high = fmin(a[i], b[j]);
            double fixed = lgamma(a[i] + 1.0) + lgamma(b[j] + 1.0) + lgamma(n - a[i] + 1.0) +
                           lgamma(n - b[j] + 1.0) - lgamma_n1;
            for (double nij = low; nij <= high; nij += 1.0) {
                double term = nij / n * (log(nij) + log_n - log(a[i]) - log(b[j]));
                double log_probability = fixed - lgamma(nij + 1.0) - lgamma(a[i] - nij + 1.0) -
                                         lgamma(b[j] - nij + 1.0) - lgamma(n - a[i] - b[j] + nij + 1.0);
                emi += term * exp(log_probability);
            }
        }
    return emi;
}

static double entropy(const double *counts, size_t count, double n)
{
    double h = 0.0;
    for (size_t i = 0; i < count; i++)
        if (counts[i] > 0.0)
            h -= counts[i] / n * log(counts[i] / n);
    return h;
}

int hcsc_cluster_scores_compute(hcsc_cluster_scores *out, const int32_t *truth, const int32_t *predicted, size_t n,
                                bench_error *error)
{
    if (n == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "clustering scores: no samples");
    int32_t max_truth = 0, max_predicted = 0;
    for (size_t i = 0; i < n; i++) {
        if (truth[i] < 0 || predicted[i] < 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "clustering scores: negative label at sample %zu", i);
        if (truth[i] > max_truth)
            max_truth = truth[i];
        if (predicted[i] > max_predicted)
            max_predicted = predicted[i];
    }
    /* Compact the labels so absent ids do not count as empty classes. */
    size_t truth_span = (size_t)max_truth + 1, predicted_span = (size_t)max_predicted + 1;
    int32_t *truth_id = malloc(truth_span * sizeof *truth_id);
    int32_t *predicted_id = malloc(predicted_span * sizeof *predicted_id);
    double *table = NULL, *cost = NULL, *a = NULL, *b = NULL;
    int32_t *matching = NULL;
    int status = BENCH_OK;
    if (truth_id == NULL || predicted_id == NULL)
        goto no_memory;
    for (size_t i = 0; i < truth_span; i++)
        truth_id[i] = -1;
    for (size_t i = 0; i < predicted_span; i++)
        predicted_id[i] = -1;
    size_t rows = 0, cols = 0;
    for (size_t i = 0; i < n; i++) {
        if (truth_id[truth[i]] < 0)
            truth_id[truth[i]] = (int32_t)rows++;
        if (predicted_id[predicted[i]] < 0)
            predicted_id[predicted[i]] = (int32_t)cols++;
    }
    size_t side = rows > cols ? rows : cols;
    table = calloc(rows * cols, sizeof *table);
    a = calloc(rows, sizeof *a);
    b = calloc(cols, sizeof *b);
    cost = malloc(side * side * sizeof *cost);
    matching = malloc(side * sizeof *matching);
    if (!table || !a || !b || !cost || !matching)
        goto no_memory;
    for (size_t i = 0; i < n; i++) {
        size_t r = (size_t)truth_id[truth[i]], c = (size_t)predicted_id[predicted[i]];
        table[r * cols + c] += 1.0;
        a[r] += 1.0;
        b[c] += 1.0;
    }
    double total = (double)n;
    double h_truth = entropy(a, rows, total), h_predicted = entropy(b, cols, total);
    double mi = 0.0, sum_squares = 0.0, a_squares = 0.0, b_squares = 0.0;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            double nij = table[r * cols + c];
            if (nij > 0.0)
                mi += nij / total * (log(nij) + log(total) - log(a[r]) - log(b[c]));
            sum_squares += nij * nij;
        }
    for (size_t r = 0; r < rows; r++)
        a_squares += a[r] * a[r];
    for (size_t c = 0; c < cols; c++)
        b_squares += b[c] * b[c];
    if (mi < 0.0)
        mi = 0.0; /* rounding */
    double mean_entropy = 0.5 * (h_truth + h_predicted);
    if (rows == 1 && cols == 1) {
        out->nmi = 1.0;
        out->ami = 1.0;
    } else {
        out->nmi = mi / fmax(mean_entropy, DBL_EPSILON);
        double emi = expected_mutual_information(a, rows, b, cols, total);
        double denominator = mean_entropy - emi;
        denominator = denominator < 0.0 ? fmin(denominator, -DBL_EPSILON) : fmax(denominator, DBL_EPSILON);
        out->ami = (mi - emi) / denominator;
    }
    /* Pair confusion: tp pairs together in both, fp together only in predicted, ... */
    double tp = sum_squares - total, fp = b_squares - sum_squares, fn = a_squares - sum_squares;
    double tn = total * total - fp - fn - sum_squares;
    if (fn == 0.0 && fp == 0.0)
        out->ari = 1.0;
    else
        out->ari = 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
    /* Accuracy: maximise matched counts = minimise (largest − count) on a square table. */
    double largest = 0.0;
    for (size_t i = 0; i < rows * cols; i++)
        largest = fmax(largest, table[i]);
    for (size_t r = 0; r < side; r++)
        for (size_t c = 0; c < side; c++)
            cost[r * side + c] = largest - (r < rows && c < cols ? table[r * cols + c] : 0.0);
    if (isnan(hcsc_hungarian(matching, cost, side, side)))
        goto no_memory;
    double matched = 0.0;
    for (size_t r = 0; r < rows; r++)
        if ((size_t)matching[r] < cols)
            matched += table[r * cols + (size_t)matching[r]];
    out->accuracy = matched / total;
    goto done;
no_memory:
    status = BENCH_FAIL(error, BENCH_NO_MEMORY, "clustering scores: cannot allocate tables for %zu samples", n);
done:
    free(truth_id), free(predicted_id), free(table), free(cost), free(a), free(b), free(matching);
    return status;
}
