/* ridge: linear autoregression on the same window features as gbrt
 * (window_features.h: w past targets + covariates of the last step), one
 * coefficient column per horizon step (direct strategy), with an unpenalised
 * intercept — the closed form of sklearn's Ridge(alpha, fit_intercept=True):
 *
 *     minimise ||Y − X·B − 1·b||² + alpha·||B||²
 *     ⇔ [XᵀX + alpha·I, Xᵀ1; 1ᵀX, n] [B; b] = [XᵀY; 1ᵀY]
 *
 * The (F+1)² normal equations are accumulated in double over chunks of windows
 * (no full feature matrix is held) and solved with LAPACKE_dposv (Cholesky); when
 * they are singular (alpha = 0 with collinear features) LAPACKE_dgelsd gives the
 * minimum-norm least-squares solution instead.
 *
 * window_norm (window_features.h) fits the same regression on windows expressed
 * relative to their own last value / mean / std; forecasts are mapped back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "bench/forecaster.h"
#include "forecasters/registry.h"
#include "forecasters/window_features.h"

#define RIDGE_CHUNK_ROWS 4096

static const bench_param_spec ridge_params[] = {
    {.name = "alpha", .type = BENCH_PARAM_REAL, .default_value = "1", .minimum = 0, .maximum = 1e12,
     .doc = "L2 penalty on the coefficients (not the intercept), as sklearn's Ridge"},
    BENCH_WINDOW_PARAMS("covariates of the last window step, of all w steps, or none",
                        "each window relative to its last value, its mean, or mean and std (window_features.h); "
                        "none: raw; auto: the best of the four on the validation part"),
};

struct bench_model {
    double alpha;
    bench_window_norm norm;  /* as configured; AUTO is resolved by each fit into layout.norm */
    bench_window_layout layout;
    double *coefficients; /* ((feature_count + 1) × horizon), last row the intercepts; NULL before fit() */
};

static void ridge_destroy(bench_model *model)
{
    if (model == NULL)
        return;
    free(model->coefficients);
    free(model);
}

static int ridge_create(bench_model **out, const bench_params *params, const bench_task_info *task,
                        bench_error *error)
{
    *out = NULL;
    long window;
    const char *covariates_text, *norm_text;
    bench_window_covariates covariates;
    bench_window_norm norm;
    bench_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "ridge: no memory");
    int status = BENCH_OK;
    if ((status = bench_params_get_real(params, "alpha", &model->alpha, error)) ||
        (status = bench_params_get_int(params, "window", &window, error)) ||
        (status = bench_params_get_string(params, "covariates", &covariates_text, error)) ||
        (status = bench_window_parse_covariates(covariates_text, &covariates, error)) ||
        (status = bench_params_get_string(params, "window_norm", &norm_text, error)) ||
        (status = bench_window_parse_norm(norm_text, &norm, error)))
        goto fail;
    if (model->alpha < 0 || !isfinite(model->alpha)) {
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter 'alpha' must be a finite number >= 0");
        goto fail;
    }
    if (window == 0) {
        if (task->lookback == 0) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "parameter 'window': the protocol gives no lookback, set it");
            goto fail;
        }
        window = (long)task->lookback;
    }
    status = bench_window_layout_init(&model->layout, window, (long)task->horizon, task->covariate_count, covariates,
                                      error);
    model->norm = norm;
    if (status == BENCH_OK && norm != BENCH_WINDOW_NORM_AUTO)
        status = bench_window_layout_set_norm(&model->layout, norm, error);
    if (status != BENCH_OK)
        goto fail;
    *out = model;
    return BENCH_OK;
fail:
    ridge_destroy(model);
    return bench_error_prefix(error, "ridge: ");
}

/* Adds one chunk of windows to the normal equations: gram (d × d, upper triangle)
 * and rhs (d × h), d = F + 1 with the constant feature last. */
static void accumulate(double *gram, double *rhs, const float *features, const float *labels, size_t rows,
                       size_t feature_count, size_t horizon)
{
    const size_t d = feature_count + 1;
    double row[d];
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < feature_count; j++)
            row[j] = features[r * feature_count + j];
        row[feature_count] = 1.0;
        for (size_t i = 0; i < d; i++) {
            double ri = row[i];
            double *gram_row = gram + i * d;
            for (size_t j = i; j < d; j++)
                gram_row[j] += ri * row[j];
            for (size_t k = 0; k < horizon; k++)
                rhs[i * horizon + k] += ri * (double)labels[k * rows + r];
        }
    }
}

/* One fit with the layout's current normalisation. */
static int fit_layout(bench_model *model, const bench_train_view *train, bench_error *error)
{
    free(model->coefficients);
    model->coefficients = NULL;
    const size_t f = model->layout.feature_count, d = f + 1, h = model->layout.horizon;
    bench_window_plan plan;
    int status = bench_window_plan_training(&plan, &model->layout, train, NULL, error);
    if (status != BENCH_OK)
        return bench_error_prefix(error, "ridge: ");
    double *gram = calloc(d * d, sizeof *gram), *rhs = calloc(d * h, sizeof *rhs);
    double *gram_copy = malloc(d * d * sizeof *gram_copy), *rhs_copy = malloc(d * h * sizeof *rhs_copy);
    float *features = malloc(RIDGE_CHUNK_ROWS * f * sizeof *features);
    float *labels = malloc(RIDGE_CHUNK_ROWS * h * sizeof *labels); /* (h × chunk rows) */
    if (!gram || !rhs || !gram_copy || !rhs_copy || !features || !labels) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "ridge: no memory for %zu features", f);
        goto done;
    }
    for (size_t start = 0; start < plan.count; start += RIDGE_CHUNK_ROWS) {
        bench_window_plan chunk = plan;
        chunk.origins = plan.origins + start;
        chunk.count = plan.count - start < RIDGE_CHUNK_ROWS ? plan.count - start : RIDGE_CHUNK_ROWS;
        bench_window_fill_features(features, &model->layout, train, &chunk);
        for (size_t k = 0; k < h; k++)
            bench_window_fill_labels(labels + k * chunk.count, &model->layout, train, &chunk, k);
        accumulate(gram, rhs, features, labels, chunk.count, f, h);
    }
    for (size_t i = 0; i < f; i++)
        gram[i * d + i] += model->alpha;
    for (size_t i = 0; i < d; i++) /* mirror the upper triangle for dgelsd */
        for (size_t j = 0; j < i; j++)
            gram[i * d + j] = gram[j * d + i];
    memcpy(gram_copy, gram, d * d * sizeof *gram);
    memcpy(rhs_copy, rhs, d * h * sizeof *rhs);
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', (lapack_int)d, (lapack_int)h, gram, (lapack_int)d, rhs,
                                    (lapack_int)h);
    if (info > 0) { /* singular: minimum-norm least squares on the normal equations */
        double *singular = malloc(d * sizeof *singular);
        lapack_int rank = 0;
        info = singular == NULL ? -1
                                : LAPACKE_dgelsd(LAPACK_ROW_MAJOR, (lapack_int)d, (lapack_int)d, (lapack_int)h,
                                                 gram_copy, (lapack_int)d, rhs_copy, (lapack_int)h, singular, 1e-12,
                                                 &rank);
        free(singular);
        memcpy(rhs, rhs_copy, d * h * sizeof *rhs);
    }
    if (info != 0) {
        status = BENCH_FAIL(error, BENCH_MODEL, "ridge: LAPACK could not solve the normal equations (info %d)",
                            (int)info);
        goto done;
    }
    for (size_t i = 0; i < d * h; i++)
        if (!isfinite(rhs[i])) {
            status = BENCH_FAIL(error, BENCH_MODEL, "ridge: non-finite coefficient (non-finite input values?)");
            goto done;
        }
    model->coefficients = rhs;
    rhs = NULL;
done:
    free(gram);
    free(rhs);
    free(gram_copy);
    free(rhs_copy);
    free(features);
    free(labels);
    bench_window_plan_free(&plan);
    return status;
}

static int predict_request(void *opaque, const bench_forecast_request *request, double *out, bench_error *error);

static int fit_with_norm(void *opaque, bench_window_norm norm, const bench_train_view *train, bench_rng *rng,
                         bench_error *error)
{
    (void)rng; /* the solution does not depend on row order */
    bench_model *model = opaque;
    int status = bench_window_layout_set_norm(&model->layout, norm, error);
    return status == BENCH_OK ? fit_layout(model, train, error) : status;
}

static int ridge_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    return bench_window_fit_norm(model, model->norm, fit_with_norm, predict_request, &model->layout, train, rng,
                                 "ridge", error);
}

static int ridge_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                         bench_error *error)
{
    (void)rng;
    return predict_request(model, request, out, error);
}

static int predict_request(void *opaque, const bench_forecast_request *request, double *out, bench_error *error)
{
    bench_model *model = opaque;
    if (model->coefficients == NULL)
        return BENCH_FAIL(error, BENCH_MODEL, "ridge: predict() before fit()");
    const size_t f = model->layout.feature_count, h = model->layout.horizon;
    size_t rows = bench_window_request_rows(&model->layout, request);
    float *features = malloc((rows > 0 ? rows : 1) * f * sizeof *features);
    if (features == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "ridge: no memory for %zu prediction rows", rows);
    int status = bench_window_fill_request(features, &model->layout, request, error);
    for (size_t r = 0; status == BENCH_OK && r < rows; r++)
        for (size_t k = 0; k < h; k++) {
            double sum = model->coefficients[f * h + k];
            for (size_t j = 0; j < f; j++)
                sum += (double)features[r * f + j] * model->coefficients[j * h + k];
            out[r * h + k] = sum;
        }
    if (status == BENCH_OK)
        status = bench_window_restore(out, &model->layout, request, error);
    free(features);
    return status == BENCH_OK ? BENCH_OK : bench_error_prefix(error, "ridge: ");
}

BENCH_BUILTIN(ridge, "linear autoregression on the gbrt window features, closed-form ridge (LAPACK)", ridge_params,
              sizeof ridge_params / sizeof ridge_params[0], .create = ridge_create, .fit = ridge_fit,
              .predict = ridge_predict, .destroy = ridge_destroy);
