/* Forecast accuracy metrics, one function each, the definition in its comment.
 * All take predictions and truths as flat arrays of `count` values (windows ×
 * horizon, row-major, pooled over series unless stated).  They return NAN when
 * the metric is undefined for the input (say, a zero denominator). */
#ifndef BENCH_METRICS_H
#define BENCH_METRICS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mean |P − Y| */
double bench_metric_mae(const double *prediction, const double *truth, size_t count);
/* mean (P − Y)² */
double bench_metric_mse(const double *prediction, const double *truth, size_t count);
/* sqrt(mean (P − Y)²) */
double bench_metric_rmse(const double *prediction, const double *truth, size_t count);
/* Σ|P − Y| / Σ|Y|  (WAPE, identical to GluonTS/DeepAR "ND") */
double bench_metric_wape(const double *prediction, const double *truth, size_t count);
/* RMSE / mean|Y|  (GluonTS NRMSE) */
double bench_metric_nrmse(const double *prediction, const double *truth, size_t count);
/* mean over Y ≠ 0 of |P − Y| / |Y|, as a fraction (zeros masked; NAN if all zero) */
double bench_metric_mape(const double *prediction, const double *truth, size_t count);
/* M4 sMAPE: mean of 200·|Y − P| / (|Y| + |P|) (a 0/0 term counts as 0) */
double bench_metric_smape(const double *prediction, const double *truth, size_t count);
/* M4 MASE for ONE series: mean|Y − P| divided by the in-sample seasonal naive
 * error (1/(n−m)) Σ_{t=m}^{n−1} |x_t − x_{t−m}| of its training history x (length n). */
double bench_metric_mase(const double *prediction, const double *truth, size_t horizon,
                         const double *history, size_t history_length, size_t period);
/* LSTNet RSE ("RRSE"): sqrt(Σ(Y − P)² / Σ(Y − mean Y)²) over all values */
double bench_metric_rse(const double *prediction, const double *truth, size_t count);
/* Mean over columns of the Pearson correlation down the rows of a rows × columns
 * matrix; columns with zero variance (in P or Y) are skipped.  With columns =
 * horizon steps over pooled windows this is the GBRT code's CORR ("corr_horizon");
 * with columns = series over time it is LSTNet's CORR ("corr_series"). */
double bench_metric_corr_columns(const double *prediction, const double *truth, size_t rows,
                                 size_t columns);
/* M4 OWA: ½ (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) */
double bench_metric_owa(double smape, double mase, double smape_naive2, double mase_naive2);
/* Pinball (quantile) loss at level q, averaged: mean max(q (Y−P), (q−1)(Y−P)) */
double bench_metric_quantile_loss(const double *prediction, const double *truth, size_t count, double level);
/* Sample-based CRPS for one target: mean|S − y| − ½ mean|S − S'| over samples S (sorted copy made). */
double bench_metric_crps_samples(const double *samples, size_t sample_count, double truth);

#ifdef __cplusplus
}
#endif
#endif
