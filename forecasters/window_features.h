/* Window → feature-matrix construction shared by the window-based forecasters
 * (gbrt, gbrt_naive, ridge): Elsayed et al. §4 / reference §1.3.
 *
 * A training row is one window whose LAST input step is t (its "origin") in one
 * series; its features, in this order:
 *   covariates=last : y[t-w+1] … y[t],  x[t][0] … x[t][M-1]             (w + M)
 *   covariates=all  : y[t-w+1] … y[t],  x[t-w+1][0..M) … x[t][0..M)      (w + w·M)
 *   covariates=none : y[t-w+1] … y[t]                                    (w)
 * and its labels y[t+1] … y[t+h] (label step k = y[t+1+k]).  This is exactly the
 * official scripts' flattening `[y_{t-w+1} … y_t, x^1_t … x^M_t]` for `last`.
 * Training windows are every stride-1 window whose inputs and labels lie in a
 * series' training part, pooled over all series, shuffled by the fit's rng.
 *
 * Window normalisation (layout.norm, `window_norm` of gbrt and ridge): each row's
 * w past targets and its h labels are expressed relative to statistics of that
 * row's own w past targets — centre c and scale s — as (y − c) / s:
 *   none     : c = 0, s = 1 (the paper: raw values; bit-identical to no option)
 *   last     : c = y[t], s = 1 (NLinear's subtraction of the last value)
 *   mean     : c = mean of the window, s = 1
 *   standard : c = mean, s = population std of the window (RevIN without the
 *              affine part); a window whose std is below 1e-8·max(1, |mean|)
 *              keeps s = 1, so a flat window is only centred, never blown up.
 *   auto     : a model setting, never a layout's: the model fits the four
 *              above on the training part, scores each on the validation part
 *              (MSE) and keeps the best (bench_window_choose_norm()).
 * Covariates are never transformed.  A model forecasts in that frame and
 * bench_window_restore() maps each forecast back (c + s·ŷ) before it is scored.
 * This is what lets trees forecast a trending series whose test period lies
 * outside every target value seen in training: relative to the window, the
 * future looks like the past.
 *
 * Point-wise layout (gbrt_naive, the paper's GBRT(Naive)): a row per time step t
 * of the training part, features x[t][0..M), label y[t].
 *
 * Memory: the feature matrix is built once, straight into one caller-owned
 * contiguous float buffer.  Labels are NOT materialised as an n × h matrix: a
 * plan keeps each row's origin (4 bytes a row) and bench_window_fill_labels()
 * writes one label column (n floats) when a booster needs it, so building the
 * training set costs the feature matrix plus ~4/(4·F) of it. */
#ifndef BENCH_WINDOW_FEATURES_H
#define BENCH_WINDOW_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "bench/forecaster.h"

typedef enum {
    BENCH_WINDOW_COVARIATES_LAST,
    BENCH_WINDOW_COVARIATES_ALL,
    BENCH_WINDOW_COVARIATES_NONE,
} bench_window_covariates;

typedef enum {
    BENCH_WINDOW_NORM_NONE,
    BENCH_WINDOW_NORM_LAST,
    BENCH_WINDOW_NORM_MEAN,
    BENCH_WINDOW_NORM_STANDARD,
    BENCH_WINDOW_NORM_AUTO,    /* model setting only: chosen on the validation part */
} bench_window_norm;

/* The spec entries of a window model's window, covariates and window_norm
 * parameters (read by the model into its layout), with its own texts for the
 * last two. */
#define BENCH_WINDOW_PARAMS(covariates_doc, window_norm_doc)                                                      \
    {.name = "window", .type = BENCH_PARAM_INT, .default_value = "0", .minimum = 0, .maximum = 100000,            \
     .doc = "past target values per input window w; 0: the protocol's lookback"},                                 \
    {.name = "covariates", .type = BENCH_PARAM_STRING, .default_value = "last", .choices = "last|all|none",       \
     .doc = covariates_doc},                                                                                      \
    {.name = "window_norm", .type = BENCH_PARAM_STRING, .default_value = "none",                                  \
     .choices = "none|last|mean|standard|auto", .doc = window_norm_doc}

typedef struct bench_window_layout {
    int pointwise;                     /* 1: gbrt_naive rows (window = 0, horizon = 1 label) */
    size_t window;                     /* w, past targets per row */
    size_t horizon;                    /* h, label steps per row */
    size_t covariate_count;            /* M of the task */
    bench_window_covariates covariates;
    size_t feature_count;              /* columns of every feature row */
    bench_window_norm norm;            /* NONE unless bench_window_layout_set_norm() */
} bench_window_layout;

/* "last" | "all" | "none"; BENCH_BAD_INPUT otherwise. */
int bench_window_parse_covariates(const char *text, bench_window_covariates *out, bench_error *error);
const char *bench_window_covariates_name(bench_window_covariates mode); /* static string */

/* "none" | "last" | "mean" | "standard" | "auto"; BENCH_BAD_INPUT otherwise. */
int bench_window_parse_norm(const char *text, bench_window_norm *out, bench_error *error);
const char *bench_window_norm_name(bench_window_norm norm); /* static string */

/* Window layout; w ≥ 1 and h ≥ 1 else BENCH_BAD_INPUT.  With M = 0 every mode
 * gives w features. */
int bench_window_layout_init(bench_window_layout *layout, long window, long horizon, size_t covariate_count,
                             bench_window_covariates covariates, bench_error *error);
/* Point-wise layout: M ≥ 1 features, one label. */
int bench_window_layout_pointwise(bench_window_layout *layout, size_t covariate_count, bench_error *error);

/* Sets the window normalisation of a window layout (init leaves it NONE);
 * BENCH_BAD_INPUT for a point-wise layout, which has no window to normalise by,
 * and for AUTO, which a model resolves before it fills anything. */
int bench_window_layout_set_norm(bench_window_layout *layout, bench_window_norm norm, bench_error *error);

/* Which windows form a training (or validation) set, in row order. */
typedef struct bench_window_plan {
    size_t count;            /* rows */
    size_t series_count;
    size_t *series_offsets;  /* (series_count + 1): flat position of each series' step 0 */
    uint32_t *origins;       /* (count): flat position series_offsets[s] + t of each row's origin */
} bench_window_plan;

/* Every training window (inputs and labels inside [0, train_length)) of every
 * series, shuffled with rng (Fisher-Yates; rng may be NULL for time order).
 * BENCH_BAD_INPUT naming the series when a training part is shorter than w + h,
 * when covariates are needed and absent, or when there are no series.  The plan's
 * arrays are freed by bench_window_plan_free(). */
int bench_window_plan_training(bench_window_plan *plan, const bench_window_layout *layout,
                               const bench_train_view *train, bench_rng *rng, bench_error *error);
/* Windows whose labels lie in the validation part [train_length, length) (inputs
 * may reach back into the training part), in time order; count is 0 when no series
 * has a validation part long enough.  Freed by bench_window_plan_free(). */
int bench_window_plan_validation(bench_window_plan *plan, const bench_window_layout *layout,
                                 const bench_train_view *train, bench_error *error);
void bench_window_plan_free(bench_window_plan *plan);

/* features: (plan->count × layout->feature_count), caller-owned.  The view must be
 * the one the plan was made from. */
void bench_window_fill_features(float *features, const bench_window_layout *layout,
                                const bench_train_view *train, const bench_window_plan *plan);
/* labels: (plan->count), caller-owned; label step `step` (0-based, < horizon) of
 * every row. */
void bench_window_fill_labels(float *labels, const bench_window_layout *layout, const bench_train_view *train,
                              const bench_window_plan *plan, size_t step);

/* Rows a forecast request needs: window_count (window layouts) or
 * window_count × horizon (point-wise: one row per forecast step). */
size_t bench_window_request_rows(const bench_window_layout *layout, const bench_forecast_request *request);
/* features: (bench_window_request_rows() × feature_count), caller-owned; the window
 * ends at each request window's last history step.  BENCH_BAD_INPUT when a history
 * is shorter than w, covariates are missing, or the request horizon differs from
 * the layout's (window layouts). */
int bench_window_fill_request(float *features, const bench_window_layout *layout,
                              const bench_forecast_request *request, bench_error *error);

/* Maps forecasts made in the normalised frame back to the request's scale:
 * forecast (window_count × horizon, row-major) becomes c + s·forecast with each
 * window's own c and s.  Nothing to do for NONE or point-wise layouts.
 * BENCH_BAD_INPUT (forecast untouched) when a window's history is shorter than w. */
int bench_window_restore(double *forecast, const bench_window_layout *layout, const bench_forecast_request *request,
                         bench_error *error);

/* The validation windows of a training view as a forecast request: every window
 * whose h labels lie in the validation part [train_length, length) (inputs may
 * reach back into the training part), with the true values.  Empty (window_count
 * 0) when no series has a validation part that long.  Freed by
 * bench_window_validation_free(); the request points into train, which must
 * outlive it. */
typedef struct bench_window_validation {
    bench_forecast_request request;
    bench_forecast_window *windows; /* (request.window_count) */
    double *truth;                  /* (window_count × horizon), row-major */
} bench_window_validation;

int bench_window_validation_init(bench_window_validation *out, const bench_window_layout *layout,
                                 const bench_train_view *train, bench_error *error);
void bench_window_validation_free(bench_window_validation *validation);

/* window_norm = auto for any window model: for each of none, last, mean and
 * standard (in that order) fit(model, norm, train, copy of rng) on the training
 * part, predict(model, validation request, out) and score the MSE against the
 * truth; *chosen is the lowest (the earlier on ties), scores[4] receives every
 * MSE (NaN where the fit failed).  Each candidate starts from the same rng state,
 * so a final fit with *chosen and rng gives exactly the model an explicit
 * window_norm = *chosen gives.  BENCH_BAD_INPUT when the view has no validation
 * windows; the first candidate's error when every candidate fails. */
typedef int (*bench_window_fit_fn)(void *model, bench_window_norm norm, const bench_train_view *train,
                                   bench_rng *rng, bench_error *error);
typedef int (*bench_window_predict_fn)(void *model, const bench_forecast_request *request, double *out,
                                       bench_error *error);
int bench_window_choose_norm(bench_window_norm *chosen, double scores[4], void *model, bench_window_fit_fn fit,
                             bench_window_predict_fn predict, const bench_window_layout *layout,
                             const bench_train_view *train, const bench_rng *rng, bench_error *error);
/* fit(model, norm, train, rng), norm = auto first resolved by
 * bench_window_choose_norm (its error then prefixed with "<who>: "): the
 * fit() of gbrt and ridge. */
int bench_window_fit_norm(void *model, bench_window_norm norm, bench_window_fit_fn fit, bench_window_predict_fn predict,
                          const bench_window_layout *layout, const bench_train_view *train, bench_rng *rng,
                          const char *who, bench_error *error);

#endif
