/* Statistics reviewers ask for when models are compared over seeds and datasets.
 *
 * References
 *   Demšar, J. (2006). Statistical comparisons of classifiers over multiple data
 *   sets. JMLR 7, 1-30: average ranks, Friedman, Iman-Davenport, Nemenyi CD.
 *   Wilcoxon signed-rank as in scipy.stats.wilcoxon (scipy 1.10) defaults:
 *   zero_method="wilcox" (zero differences dropped), correction=False,
 *   two-sided; see bench_stats_wilcoxon for where we choose exact vs normal.
 *   Diebold, F. X. & Mariano, R. S. (1995); Harvey, Leybourne & Newbold (1997)
 *   for the small-sample correction.
 * Distributions come from GSL (t, chi², F, normal). */
#ifndef BENCH_REPORTS_STATS_H
#define BENCH_REPORTS_STATS_H

#include <stddef.h>

#include "bench/error.h"

/* Mean, sample standard deviation (n-1) and the half-width of the 95 %
 * confidence interval of the mean from Student's t with n-1 degrees of freedom.
 * With n == 1, sd and ci95 are NAN (undefined), not 0. */
typedef struct bench_stats_summary {
    size_t n;
    double mean;
    double sd;
    double ci95;
} bench_stats_summary;

/* Summarise x[0..n); n >= 1 and every value finite, else BENCH_BAD_INPUT. */
int bench_stats_summarize(bench_stats_summary *out, const double *x, size_t n, bench_error *error);

/* Ranks of x[0..n) in ascending order, 1-based, tied values get the average of
 * the ranks they span (scipy.stats.rankdata method="average").  ranks is caller-owned. */
void bench_stats_rankdata(double *ranks, const double *x, size_t n);

/* Friedman test on a blocks × k matrix of scores (row-major, one row per
 * dataset × horizon, one column per model).  Ranks within each block put the
 * best model first: lower scores are better unless higher_is_better. */
typedef struct bench_friedman {
    size_t blocks;             /* N */
    size_t k;                  /* models */
    double chi2;               /* Demšar's eq.: 12N/(k(k+1)) [Σ R_j² − k(k+1)²/4] */
    double p_chi2;             /* chi² with k−1 df */
    double chi2_ties;          /* divided by 1 − Σ(t³−t)/(N(k³−k)): scipy's friedmanchisquare */
    double p_chi2_ties;
    double iman_davenport;     /* F_F = (N−1)χ² / (N(k−1) − χ²), from the uncorrected χ²;
                                * NAN when the denominator is 0 (every block ranks alike) */
    double p_iman_davenport;   /* F with k−1 and (k−1)(N−1) df; NAN with F_F */
    double df1, df2;
} bench_friedman;

/* Average ranks per model into avg_ranks[0..k) (caller-owned) and, when out is
 * not NULL, the Friedman statistics.  Needs blocks >= 1, k >= 2 and finite
 * scores; Friedman needs blocks >= 2 (otherwise out's fields are NAN). */
int bench_stats_friedman(bench_friedman *out, double *avg_ranks, const double *scores,
                         size_t blocks, size_t k, int higher_is_better, bench_error *error);

/* Nemenyi q_alpha (studentized range quantile / sqrt 2, infinite df), alpha
 * 0.05 or 0.10: Demšar (2006) Table 5(a) as printed for k = 2..10, computed
 * with bench_stats_studentized_range_q for k = 11..BENCH_NEMENYI_MAX_K. */
enum { BENCH_NEMENYI_MAX_K = 1000 };
int bench_stats_nemenyi_q(double *q, size_t k, double alpha, bench_error *error);

/* Upper alpha quantile of the studentized range of k standard normals
 * (infinite degrees of freedom): P(range ≤ q) = 1 − alpha, to about 1e-8.
 * NAN for k < 2 or alpha outside (0, 1). */
double bench_stats_studentized_range_q(double alpha, size_t k);

/* Critical difference q_alpha · sqrt(k(k+1) / (6N)). */
int bench_stats_nemenyi_cd(double *cd, size_t k, size_t blocks, double alpha, bench_error *error);

/* Wilcoxon signed-rank test of the paired differences d = x − y, two-sided.
 * Zero differences are dropped (scipy's zero_method="wilcox").
 * Exact p-value (the null distribution of R+ by counting subsets) when no
 * difference is zero, no |d| is tied and n <= 50 — scipy's mode="auto" choice
 * in those cases; otherwise the normal approximation with scipy's tie-corrected
 * variance and no continuity correction (scipy mode="approx").  scipy 1.10's
 * "auto" also takes the exact branch with tied |d| (truncating R+ to an
 * integer); we deliberately use the normal approximation there instead. */
typedef struct bench_wilcoxon {
    size_t n;          /* differences ranked (nonzero ones, or all with zsplit) */
    size_t zeros;      /* dropped zero differences */
    double r_plus, r_minus;
    double statistic;  /* min(R+, R−), as scipy reports for two-sided */
    double z;          /* NAN for the exact test */
    double p;
    int exact;
} bench_wilcoxon;

int bench_stats_wilcoxon(bench_wilcoxon *out, const double *x, const double *y, size_t n,
                         bench_error *error);

/* The same with zero differences kept: ranked with the others, half of their
 * rank sum added to R+ and half to R− (Demšar 2006 §3.1.3; scipy's
 * zero_method="zsplit"); n counts the zeros; with zeros always the normal
 * approximation. */
int bench_stats_wilcoxon_zsplit(bench_wilcoxon *out, const double *x, const double *y, size_t n,
                                bench_error *error);

/* Diebold-Mariano test on two forecasters' losses over the same T windows
 * (e.g. squared or absolute errors per window), forecast horizon h >= 1.
 * d_t = loss1_t − loss2_t; the long-run variance uses the autocovariances
 * γ_0..γ_{h−1} (divisor T, the h−1 lags an h-step forecast's errors are
 * correlated over); DM = d̄ / sqrt(V/T), p two-sided from N(0,1).
 * With harvey, DM is multiplied by sqrt((T+1−2h+h(h−1)/T)/T) and p comes from
 * Student's t with T−1 df (Harvey et al. 1997).  Negative DM: model 1 better.
 * A non-positive variance estimate (possible with h > 1) is BENCH_BAD_INPUT. */
typedef struct bench_diebold_mariano {
    size_t T, h;
    double mean_difference;
    double variance;   /* of the mean: (γ_0 + 2 Σ γ_k) / T */
    double statistic;
    double p;
    int harvey;
} bench_diebold_mariano;

int bench_stats_diebold_mariano(bench_diebold_mariano *out, const double *loss1,
                                const double *loss2, size_t T, size_t h, int harvey,
                                bench_error *error);

#endif
