/* theta: the Theta method as the M4 competition's "Theta" benchmark
 * (Makridakis et al. 2020; M4-methods repository, `Theta.classic` in the
 * benchmarks' R code), one file against include/bench/forecaster.h.
 *
 * Per window, with history x[0..n):
 *  1. Seasonal adjustment (seasonality = test): when the period m > 1 and the
 *     autocorrelation at lag m exceeds its 90 % limit 1.645·sqrt((1 + 2 Σ_{k<m} r_k²)/n)
 *     (only tested when n ≥ 3m), divide by the classical multiplicative seasonal
 *     indices (centred 2×m moving average, ratios averaged by cycle position
 *     counted from the series start, normalised to mean 1), as R's decompose().
 *     `multiplicative` always adjusts, `none` never.
 *  2. Theta line 0: the least-squares line a + b·t on t = 1..n, extrapolated.
 *  3. Theta line θ: θ·x_t + (1 − θ)(a + b·t), smoothed by simple exponential
 *     smoothing whose α ∈ [1e-4, 0.9999] and initial level minimise the in-sample
 *     one-step squared error (R forecast::ses, initial = "optimal"); its forecast
 *     is flat at the last level ℓ_n.  For a fixed α the error is linear in the
 *     initial level, so ℓ_0 is solved exactly and α found by a grid plus
 *     golden-section search.
 *  4. Forecast_k = ℓ_n/θ + (1 − 1/θ)(a + b(n + k)), reseasonalised; with θ = 2
 *     (M4's weights ½, ½) this is SES with a drift of half the linear-trend slope
 *     (Hyndman & Billah 2003).
 *  5. nonnegative = auto: negative forecasts become 0 when the history has no
 *     negative value (the M4 code's "zero forecasts become positive").
 *
 * Build (uninstalled): cc -std=c11 -shared -fPIC -Iinclude examples/plugins/theta.c -o theta.so -lm */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/forecaster.h"

typedef enum { SEASONALITY_TEST, SEASONALITY_MULTIPLICATIVE, SEASONALITY_NONE } seasonality_mode;
typedef enum { NONNEGATIVE_AUTO, NONNEGATIVE_TRUE, NONNEGATIVE_FALSE } nonnegative_mode;

struct bench_model {
    double theta;
    size_t period;
    seasonality_mode seasonality;
    nonnegative_mode nonnegative;
};

static const bench_param_spec theta_params[] = {
    {.name = "theta", .type = BENCH_PARAM_REAL, .default_value = "2",
     .doc = "theta of the smoothed line; forecasts weigh it 1/theta, the trend line 1 - 1/theta (M4: 2)",
     .minimum = 1, .maximum = 100},
    {.name = "period", .type = BENCH_PARAM_INT, .default_value = "0",
     .doc = "seasonal period; 0 uses the dataset's", .minimum = 0, .maximum = 100000},
    {.name = "seasonality", .type = BENCH_PARAM_STRING, .default_value = "test", .choices = "test|multiplicative|none",
     .doc = "multiplicative seasonal adjustment: when M4's 90% autocorrelation test says so, always, or never"},
    {.name = "nonnegative", .type = BENCH_PARAM_STRING, .default_value = "auto", .choices = "auto|true|false",
     .doc = "clip negative forecasts to 0 (auto: when the history has no negative value)"},
};

static int theta_create(bench_model **out, const bench_params *params, const bench_task_info *task,
                        bench_error *error)
{
    double theta;
    long period;
    const char *seasonality, *nonnegative;
    if (bench_params_get_real(params, "theta", &theta, error) || bench_params_get_int(params, "period", &period, error) ||
        bench_params_get_string(params, "seasonality", &seasonality, error) ||
        bench_params_get_string(params, "nonnegative", &nonnegative, error))
        return error->code;
    bench_model *model = calloc(1, sizeof *model);
    if (model == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "theta: out of memory");
    model->theta = theta;
    model->period = period > 0 ? (size_t)period : task->seasonal_period > 0 ? task->seasonal_period : 1;
    model->seasonality = !strcmp(seasonality, "none")             ? SEASONALITY_NONE
                         : !strcmp(seasonality, "multiplicative") ? SEASONALITY_MULTIPLICATIVE
                                                                  : SEASONALITY_TEST;
    model->nonnegative = !strcmp(nonnegative, "true")    ? NONNEGATIVE_TRUE
                         : !strcmp(nonnegative, "false") ? NONNEGATIVE_FALSE
                                                         : NONNEGATIVE_AUTO;
    *out = model;
    return BENCH_OK;
}

/* Theta is a per-series method: everything happens on each window's history. */
static int theta_fit(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    (void)model, (void)train, (void)rng, (void)error;
    return BENCH_OK;
}

/* ---- Seasonal adjustment ---------------------------------------------------------- */

static double autocorrelation(const double *x, size_t n, double mean, double variance_sum, size_t lag)
{
    double sum = 0.0;
    for (size_t t = lag; t < n; t++)
        sum += (x[t] - mean) * (x[t - lag] - mean);
    return sum / variance_sum;
}

/* M4's SeasonalityTest: the lag-m autocorrelation beyond its 90 % limit. */
static int seasonal(const double *x, size_t n, size_t m)
{
    if (m < 2 || n < 3 * m)
        return 0;
    double mean = 0.0, variance_sum = 0.0, squares = 0.0;
    for (size_t t = 0; t < n; t++)
        mean += x[t];
    mean /= (double)n;
    for (size_t t = 0; t < n; t++)
        variance_sum += (x[t] - mean) * (x[t] - mean);
    if (!(variance_sum > 0.0))
        return 0;
    for (size_t k = 1; k < m; k++) {
        double r = autocorrelation(x, n, mean, variance_sum, k);
        squares += r * r;
    }
    return fabs(autocorrelation(x, n, mean, variance_sum, m)) > 1.645 * sqrt((1.0 + 2.0 * squares) / (double)n);
}

/* Classical multiplicative seasonal indices figure[0..m) (R's decompose); 0 when
 * the series is too short for one centred average or an index is not positive. */
static int seasonal_indices(double *figure, const double *x, size_t n, size_t m)
{
    size_t half = m / 2;
    if (n < 2 * half + 1)
        return 0;
    double *sum = calloc(2 * m, sizeof *sum);
    if (sum == NULL)
        return 0;
    double *count = sum + m;
    for (size_t t = half; t + half < n; t++) {
        double trend = 0.0;
        if (m % 2 == 0) {
            trend = 0.5 * (x[t - half] + x[t + half]);
            for (size_t j = t - half + 1; j < t + half; j++)
                trend += x[j];
        } else
            for (size_t j = t - half; j <= t + half; j++)
                trend += x[j];
        trend /= (double)m;
        sum[t % m] += x[t] / trend;
        count[t % m] += 1.0;
    }
    double mean = 0.0;
    int usable = 1;
    for (size_t i = 0; i < m; i++) {
        figure[i] = count[i] > 0 ? sum[i] / count[i] : NAN;
        mean += figure[i];
    }
    mean /= (double)m;
    for (size_t i = 0; i < m; i++) {
        figure[i] /= mean;
        usable &= isfinite(figure[i]) && figure[i] > 0.0;
    }
    free(sum);
    return usable;
}

/* ---- Simple exponential smoothing with optimal α and initial level ---------------- */

/* Sum of squared one-step errors for α with the best initial level; *level
 * receives the final level ℓ_n.  e_t = y_t − ℓ_{t−1}, ℓ_t = ℓ_{t−1} + α e_t, and
 * ℓ_{t−1} = c_t + g_t ℓ_0 with g_t = (1 − α)^{t−1}: least squares in ℓ_0. */
static double ses_sse(const double *y, size_t n, double alpha, double *level)
{
    double c = 0.0, g = 1.0, gy = 0.0, gg = 0.0;
    for (size_t t = 0; t < n; t++) {
        gy += g * (y[t] - c);
        gg += g * g;
        c += alpha * (y[t] - c);
        g *= 1.0 - alpha;
    }
    double initial = gg > 0 ? gy / gg : y[0];
    double l = initial, sse = 0.0;
    for (size_t t = 0; t < n; t++) {
        double e = y[t] - l;
        sse += e * e;
        l += alpha * e;
    }
    *level = l;
    return sse;
}

static double ses_last_level(const double *y, size_t n)
{
    const double lower = 1e-4, upper = 0.9999;
    enum { GRID = 100 };
    double level, best_alpha = lower, best = INFINITY;
    for (int i = 0; i <= GRID; i++) {
        double alpha = lower + (upper - lower) * i / GRID;
        double sse = ses_sse(y, n, alpha, &level);
        if (sse < best) {
            best = sse;
            best_alpha = alpha;
        }
    }
    /* Golden-section search in the grid cell pair around the best point. */
    double step = (upper - lower) / GRID;
    double a = fmax(lower, best_alpha - step), b = fmin(upper, best_alpha + step);
    const double ratio = 0.5 * (sqrt(5.0) - 1.0);
    double x1 = b - ratio * (b - a), x2 = a + ratio * (b - a);
    double f1 = ses_sse(y, n, x1, &level), f2 = ses_sse(y, n, x2, &level);
    for (int iteration = 0; iteration < 60 && b - a > 1e-10; iteration++) {
        if (f1 <= f2) {
            b = x2, x2 = x1, f2 = f1;
            x1 = b - ratio * (b - a);
            f1 = ses_sse(y, n, x1, &level);
        } else {
            a = x1, x1 = x2, f1 = f2;
            x2 = a + ratio * (b - a);
            f2 = ses_sse(y, n, x2, &level);
        }
    }
    double alpha = 0.5 * (a + b);
    if (ses_sse(y, n, alpha, &level) > best)
        ses_sse(y, n, best_alpha, &level);
    return level;
}

/* ---- Forecast ------------------------------------------------------------------------ */

static int theta_forecast(const bench_model *model, const double *x, size_t n, size_t horizon, double *out)
{
    size_t m = model->period;
    /* adjusted and line: n values each, figure: m values, in one block. */
    double *adjusted = malloc((2 * n + m) * sizeof *adjusted);
    if (adjusted == NULL)
        return BENCH_NO_MEMORY;
    double *line = adjusted + n, *figure = line + n;
    int adjust = m > 1 && model->seasonality != SEASONALITY_NONE &&
                 (model->seasonality == SEASONALITY_MULTIPLICATIVE || seasonal(x, n, m));
    if (adjust) {
        for (size_t t = 0; t < n && adjust; t++)
            adjust = x[t] > 0.0; /* multiplicative indices need positive data */
        adjust = adjust && seasonal_indices(figure, x, n, m);
    }
    for (size_t t = 0; t < n; t++)
        adjusted[t] = adjust ? x[t] / figure[t % m] : x[t];
    /* Least-squares line on t = 1..n. */
    double mean_t = 0.5 * (double)(n + 1), mean_y = 0.0;
    for (size_t t = 0; t < n; t++)
        mean_y += adjusted[t];
    mean_y /= (double)n;
    double sxy = 0.0, sxx = 0.0;
    for (size_t t = 0; t < n; t++) {
        double dt = (double)(t + 1) - mean_t;
        sxy += dt * (adjusted[t] - mean_y);
        sxx += dt * dt;
    }
    double slope = sxx > 0 ? sxy / sxx : 0.0, intercept = mean_y - slope * mean_t;
    for (size_t t = 0; t < n; t++)
        line[t] = model->theta * adjusted[t] + (1.0 - model->theta) * (intercept + slope * (double)(t + 1));
    double level = ses_last_level(line, n);
    int clip = model->nonnegative == NONNEGATIVE_TRUE;
    if (model->nonnegative == NONNEGATIVE_AUTO) {
        clip = 1;
        for (size_t t = 0; t < n && clip; t++)
            clip = x[t] >= 0.0;
    }
    for (size_t k = 0; k < horizon; k++) {
        double value = level / model->theta + (1.0 - 1.0 / model->theta) * (intercept + slope * (double)(n + k + 1));
        if (adjust)
            value *= figure[(n + k) % m];
        out[k] = clip && value < 0.0 ? 0.0 : value;
    }
    free(adjusted);
    return BENCH_OK;
}

static int theta_predict(bench_model *model, const bench_forecast_request *request, bench_rng *rng, double *out,
                         bench_error *error)
{
    (void)rng;
    for (size_t w = 0; w < request->window_count; w++) {
        const bench_forecast_window *window = &request->windows[w];
        if (window->history_length == 0)
            return BENCH_FAIL(error, BENCH_MODEL, "theta: window %zu (series %zu) has no history", w,
                              window->series_index);
        if (theta_forecast(model, window->history, window->history_length, request->horizon,
                           out + w * request->horizon) != BENCH_OK)
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "theta: out of memory");
    }
    return BENCH_OK;
}

static void theta_destroy(bench_model *model)
{
    free(model);
}

static const bench_forecaster theta_forecaster = {
    .abi_version = BENCH_FORECASTER_ABI_VERSION,
    .name = "theta",
    .description = "Theta method as M4's benchmark: SES with half the trend slope, M4 seasonal adjustment",
    .params = theta_params,
    .param_count = sizeof theta_params / sizeof theta_params[0],
    .create = theta_create,
    .fit = theta_fit,
    .predict = theta_predict,
    .destroy = theta_destroy,
};

const bench_forecaster *bench_plugin_forecaster(void)
{
    return &theta_forecaster;
}
