/* Window → feature-matrix construction (layout documented in window_features.h). */
#include "forecasters/window_features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int bench_window_parse_covariates(const char *text, bench_window_covariates *out, bench_error *error)
{
    if (text != NULL && strcmp(text, "last") == 0)
        *out = BENCH_WINDOW_COVARIATES_LAST;
    else if (text != NULL && strcmp(text, "all") == 0)
        *out = BENCH_WINDOW_COVARIATES_ALL;
    else if (text != NULL && strcmp(text, "none") == 0)
        *out = BENCH_WINDOW_COVARIATES_NONE;
    else
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "covariates: '%s' is not one of last, all, none",
                          text ? text : "(null)");
    return BENCH_OK;
}

const char *bench_window_covariates_name(bench_window_covariates mode)
{
    switch (mode) {
    case BENCH_WINDOW_COVARIATES_LAST: return "last";
    case BENCH_WINDOW_COVARIATES_ALL: return "all";
    default: return "none";
    }
}

int bench_window_parse_norm(const char *text, bench_window_norm *out, bench_error *error)
{
    static const char *const names[] = {"none", "last", "mean", "standard", "auto"};
    for (size_t i = 0; text != NULL && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (bench_window_norm)i;
            return BENCH_OK;
        }
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "window_norm: '%s' is not one of none, last, mean, standard, auto",
                      text ? text : "(null)");
}

const char *bench_window_norm_name(bench_window_norm norm)
{
    switch (norm) {
    case BENCH_WINDOW_NORM_LAST: return "last";
    case BENCH_WINDOW_NORM_MEAN: return "mean";
    case BENCH_WINDOW_NORM_STANDARD: return "standard";
    case BENCH_WINDOW_NORM_AUTO: return "auto";
    default: return "none";
    }
}

int bench_window_layout_set_norm(bench_window_layout *layout, bench_window_norm norm, bench_error *error)
{
    if (norm == BENCH_WINDOW_NORM_AUTO)
        return BENCH_FAIL(error, BENCH_INTERNAL, "window_norm = auto must be resolved by the model before filling");
    if (layout->pointwise && norm != BENCH_WINDOW_NORM_NONE)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "window_norm = %s needs a window; a point-wise model has none",
                          bench_window_norm_name(norm));
    layout->norm = norm;
    return BENCH_OK;
}

/* Centre and scale of one window (its w past values, oldest first); see the
 * header for each mode.  NONE gives (0, 1), so (y − c) / s is y exactly. */
static void window_stats(const bench_window_layout *layout, const double *past, double *center, double *scale)
{
    const size_t w = layout->window;
    *center = 0.0;
    *scale = 1.0;
    if (layout->norm == BENCH_WINDOW_NORM_LAST) {
        *center = past[w - 1];
        return;
    }
    if (layout->norm != BENCH_WINDOW_NORM_MEAN && layout->norm != BENCH_WINDOW_NORM_STANDARD)
        return;
    double sum = 0.0;
    for (size_t i = 0; i < w; i++)
        sum += past[i];
    *center = sum / (double)w;
    if (layout->norm != BENCH_WINDOW_NORM_STANDARD)
        return;
    double squares = 0.0; /* two passes: no cancellation on series far from 0 */
    for (size_t i = 0; i < w; i++)
        squares += (past[i] - *center) * (past[i] - *center);
    double sd = sqrt(squares / (double)w);
    if (sd > 1e-8 * fmax(1.0, fabs(*center)))
        *scale = sd;
}

int bench_window_layout_init(bench_window_layout *layout, long window, long horizon, size_t covariate_count,
                             bench_window_covariates covariates, bench_error *error)
{
    if (window <= 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "window must be at least 1, got %ld", window);
    if (horizon <= 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "horizon must be at least 1, got %ld", horizon);
    memset(layout, 0, sizeof *layout);
    layout->window = (size_t)window;
    layout->horizon = (size_t)horizon;
    layout->covariate_count = covariates == BENCH_WINDOW_COVARIATES_NONE ? 0 : covariate_count;
    layout->covariates = layout->covariate_count == 0 ? BENCH_WINDOW_COVARIATES_NONE : covariates;
    layout->feature_count = layout->window;
    if (layout->covariates == BENCH_WINDOW_COVARIATES_LAST)
        layout->feature_count += layout->covariate_count;
    else if (layout->covariates == BENCH_WINDOW_COVARIATES_ALL)
        layout->feature_count += layout->window * layout->covariate_count;
    return BENCH_OK;
}

int bench_window_layout_pointwise(bench_window_layout *layout, size_t covariate_count, bench_error *error)
{
    if (covariate_count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "point-wise regression needs covariates, and the task has none "
                          "(enable calendar covariates in the protocol)");
    memset(layout, 0, sizeof *layout);
    layout->pointwise = 1;
    layout->horizon = 1;
    layout->covariate_count = covariate_count;
    layout->covariates = BENCH_WINDOW_COVARIATES_LAST;
    layout->feature_count = covariate_count;
    return BENCH_OK;
}

static int needs_covariates(const bench_window_layout *layout)
{
    return layout->covariate_count > 0;
}

/* Origins t of the windows of one series within [first, last] (inclusive), or
 * none when last < first; computed in signed arithmetic to avoid wrap-around. */
typedef struct {
    long long first, last;
} origin_range;

static origin_range training_origins(const bench_window_layout *layout, const bench_series_view *series)
{
    origin_range range;
    if (layout->pointwise) {
        range.first = 0;
        range.last = (long long)series->train_length - 1;
    } else {
        range.first = (long long)layout->window - 1;
        range.last = (long long)series->train_length - (long long)layout->horizon - 1;
    }
    return range;
}

static origin_range validation_origins(const bench_window_layout *layout, const bench_series_view *series)
{
    origin_range range;
    if (layout->pointwise) {
        range.first = (long long)series->train_length;
        range.last = (long long)series->length - 1;
    } else {
        range.first = (long long)series->train_length - 1;
        if (range.first < (long long)layout->window - 1)
            range.first = (long long)layout->window - 1;
        range.last = (long long)series->length - (long long)layout->horizon - 1;
    }
    return range;
}

static int check_view(const bench_window_layout *layout, const bench_train_view *train, bench_error *error)
{
    if (train == NULL || train->series_count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "the training view has no series");
    size_t total = 0;
    for (size_t s = 0; s < train->series_count; s++) {
        const bench_series_view *series = &train->series[s];
        const char *name = series->name ? series->name : "(unnamed)";
        if (series->train_length > series->length || series->values == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "series '%s': malformed view (train_length %zu > length %zu)",
                              name, series->train_length, series->length);
        if (needs_covariates(layout) && series->covariates == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "series '%s' has no covariates, but the model uses %zu covariate(s)", name,
                              layout->covariate_count);
        origin_range range = training_origins(layout, series);
        if (range.last < range.first) {
            if (layout->pointwise)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "series '%s' has an empty training part", name);
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "series '%s': training part of %zu steps is shorter than window + horizon = %zu + %zu",
                              name, series->train_length, layout->window, layout->horizon);
        }
        total += series->length;
    }
    if (total > UINT32_MAX)
        return BENCH_FAIL(error, BENCH_UNSUPPORTED, "%zu observations exceed the window planner's limit of %u",
                          total, UINT32_MAX);
    return BENCH_OK;
}

static int plan_allocate(bench_window_plan *plan, const bench_train_view *train, size_t count, bench_error *error)
{
    memset(plan, 0, sizeof *plan);
    plan->series_count = train->series_count;
    plan->count = count;
    plan->series_offsets = malloc((train->series_count + 1) * sizeof *plan->series_offsets);
    plan->origins = malloc((count > 0 ? count : 1) * sizeof *plan->origins);
    if (plan->series_offsets == NULL || plan->origins == NULL) {
        bench_window_plan_free(plan);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for a plan of %zu windows", count);
    }
    plan->series_offsets[0] = 0;
    for (size_t s = 0; s < train->series_count; s++)
        plan->series_offsets[s + 1] = plan->series_offsets[s] + train->series[s].length;
    return BENCH_OK;
}

static int plan_build(bench_window_plan *plan, const bench_window_layout *layout, const bench_train_view *train,
                      origin_range (*origins_of)(const bench_window_layout *, const bench_series_view *),
                      bench_error *error)
{
    size_t count = 0;
    for (size_t s = 0; s < train->series_count; s++) {
        origin_range range = origins_of(layout, &train->series[s]);
        if (range.last >= range.first)
            count += (size_t)(range.last - range.first + 1);
    }
    int status = plan_allocate(plan, train, count, error);
    if (status != BENCH_OK)
        return status;
    size_t row = 0;
    for (size_t s = 0; s < train->series_count; s++) {
        origin_range range = origins_of(layout, &train->series[s]);
        for (long long t = range.first; t <= range.last; t++)
            plan->origins[row++] = (uint32_t)(plan->series_offsets[s] + (size_t)t);
    }
    return BENCH_OK;
}

int bench_window_plan_training(bench_window_plan *plan, const bench_window_layout *layout,
                               const bench_train_view *train, bench_rng *rng, bench_error *error)
{
    memset(plan, 0, sizeof *plan);
    int status = check_view(layout, train, error);
    if (status == BENCH_OK)
        status = plan_build(plan, layout, train, training_origins, error);
    if (status != BENCH_OK || rng == NULL)
        return status;
    /* Fisher-Yates over 4-byte entries (bench_rng_shuffle_size wants size_t, twice
     * the memory on Solar-sized inputs). */
    for (size_t i = plan->count; i > 1; i--) {
        size_t j = (size_t)bench_rng_below(rng, i);
        uint32_t swap = plan->origins[i - 1];
        plan->origins[i - 1] = plan->origins[j];
        plan->origins[j] = swap;
    }
    return BENCH_OK;
}

int bench_window_plan_validation(bench_window_plan *plan, const bench_window_layout *layout,
                                 const bench_train_view *train, bench_error *error)
{
    memset(plan, 0, sizeof *plan);
    int status = check_view(layout, train, error);
    if (status != BENCH_OK)
        return status;
    return plan_build(plan, layout, train, validation_origins, error);
}

void bench_window_plan_free(bench_window_plan *plan)
{
    if (plan == NULL)
        return;
    free(plan->series_offsets);
    free(plan->origins);
    memset(plan, 0, sizeof *plan);
}

/* Series index and step of a flat position (binary search over the offsets). */
static void locate(const bench_window_plan *plan, uint32_t position, size_t *series, size_t *step)
{
    size_t low = 0, high = plan->series_count; /* offsets[low] <= position < offsets[high] */
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (plan->series_offsets[middle] <= position)
            low = middle;
        else
            high = middle;
    }
    *series = low;
    *step = position - plan->series_offsets[low];
}

/* One feature row for a window whose last input step is `origin` in values /
 * covariates (covariates of row t at covariates + t·M). */
static void fill_row(float *row, const bench_window_layout *layout, const double *values, const float *covariates,
                     size_t origin)
{
    const size_t w = layout->window, m = layout->covariate_count;
    if (layout->pointwise) {
        memcpy(row, covariates + origin * m, m * sizeof *row);
        return;
    }
    const double *past = values + origin + 1 - w;
    if (layout->norm == BENCH_WINDOW_NORM_NONE)
        for (size_t i = 0; i < w; i++)
            row[i] = (float)past[i];
    else {
        double center, scale;
        window_stats(layout, past, &center, &scale);
        for (size_t i = 0; i < w; i++)
            row[i] = (float)((past[i] - center) / scale);
    }
    if (layout->covariates == BENCH_WINDOW_COVARIATES_LAST)
        memcpy(row + w, covariates + origin * m, m * sizeof *row);
    else if (layout->covariates == BENCH_WINDOW_COVARIATES_ALL)
        memcpy(row + w, covariates + (origin + 1 - w) * m, w * m * sizeof *row);
}

void bench_window_fill_features(float *features, const bench_window_layout *layout,
                                const bench_train_view *train, const bench_window_plan *plan)
{
    for (size_t r = 0; r < plan->count; r++) {
        size_t s, t;
        locate(plan, plan->origins[r], &s, &t);
        fill_row(features + r * layout->feature_count, layout, train->series[s].values,
                 train->series[s].covariates, t);
    }
}

void bench_window_fill_labels(float *labels, const bench_window_layout *layout, const bench_train_view *train,
                              const bench_window_plan *plan, size_t step)
{
    size_t offset = layout->pointwise ? 0 : 1 + step;
    for (size_t r = 0; r < plan->count; r++) {
        size_t s, t;
        locate(plan, plan->origins[r], &s, &t);
        const double *values = train->series[s].values;
        if (layout->pointwise || layout->norm == BENCH_WINDOW_NORM_NONE) {
            labels[r] = (float)values[t + offset];
            continue;
        }
        double center, scale;
        window_stats(layout, values + t + 1 - layout->window, &center, &scale);
        labels[r] = (float)((values[t + offset] - center) / scale);
    }
}

size_t bench_window_request_rows(const bench_window_layout *layout, const bench_forecast_request *request)
{
    return layout->pointwise ? request->window_count * request->horizon : request->window_count;
}

int bench_window_fill_request(float *features, const bench_window_layout *layout,
                              const bench_forecast_request *request, bench_error *error)
{
    if (!layout->pointwise && request->horizon != layout->horizon)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "the request's horizon %zu differs from the model's %zu",
                          request->horizon, layout->horizon);
    float *row = features;
    for (size_t i = 0; i < request->window_count; i++) {
        const bench_forecast_window *window = &request->windows[i];
        if (needs_covariates(layout) && window->covariates == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "forecast window %zu has no covariates, the model uses %zu",
                              i, layout->covariate_count);
        if (layout->pointwise) {
            for (size_t k = 0; k < request->horizon; k++, row += layout->feature_count)
                fill_row(row, layout, NULL, window->covariates, window->history_length + k);
            continue;
        }
        if (window->history_length < layout->window || window->history == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "forecast window %zu has %zu history steps, the window is %zu",
                              i, window->history_length, layout->window);
        fill_row(row, layout, window->history, window->covariates, window->history_length - 1);
        row += layout->feature_count;
    }
    return BENCH_OK;
}

int bench_window_restore(double *forecast, const bench_window_layout *layout, const bench_forecast_request *request,
                         bench_error *error)
{
    if (layout->pointwise || layout->norm == BENCH_WINDOW_NORM_NONE)
        return BENCH_OK;
    const size_t h = request->horizon;
    for (size_t i = 0; i < request->window_count; i++)
        if (request->windows[i].history_length < layout->window || request->windows[i].history == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "forecast window %zu has %zu history steps, the window is %zu",
                              i, request->windows[i].history_length, layout->window);
    for (size_t i = 0; i < request->window_count; i++) {
        const bench_forecast_window *window = &request->windows[i];
        double center, scale;
        window_stats(layout, window->history + window->history_length - layout->window, &center, &scale);
        for (size_t k = 0; k < h; k++)
            forecast[i * h + k] = center + scale * forecast[i * h + k];
    }
    return BENCH_OK;
}

int bench_window_validation_init(bench_window_validation *out, const bench_window_layout *layout,
                                 const bench_train_view *train, bench_error *error)
{
    memset(out, 0, sizeof *out);
    bench_window_plan plan;
    int status = bench_window_plan_validation(&plan, layout, train, error);
    if (status != BENCH_OK)
        return status;
    const size_t h = layout->horizon, n = plan.count;
    out->windows = calloc(n > 0 ? n : 1, sizeof *out->windows);
    out->truth = malloc((n > 0 ? n : 1) * h * sizeof *out->truth);
    if (out->windows == NULL || out->truth == NULL) {
        bench_window_plan_free(&plan);
        bench_window_validation_free(out);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu validation windows", n);
    }
    for (size_t r = 0; r < n; r++) {
        size_t s, t;
        locate(&plan, plan.origins[r], &s, &t);
        const bench_series_view *series = &train->series[s];
        out->windows[r] = (bench_forecast_window){
            .series_index = s,
            .history_length = t + 1,
            .history = series->values,
            .timestamps = series->timestamps,
            .covariates = series->covariates,
        };
        for (size_t k = 0; k < h; k++)
            out->truth[r * h + k] = series->values[t + 1 + k];
    }
    out->request = (bench_forecast_request){.horizon = h, .window_count = n, .windows = out->windows};
    bench_window_plan_free(&plan);
    return BENCH_OK;
}

void bench_window_validation_free(bench_window_validation *validation)
{
    if (validation == NULL)
        return;
    free(validation->windows);
    free(validation->truth);
    memset(validation, 0, sizeof *validation);
}

int bench_window_choose_norm(bench_window_norm *chosen, double scores[4], void *model, bench_window_fit_fn fit,
                             bench_window_predict_fn predict, const bench_window_layout *layout,
                             const bench_train_view *train, const bench_rng *rng, bench_error *error)
{
    bench_window_validation validation;
    int status = bench_window_validation_init(&validation, layout, train, error);
    if (status != BENCH_OK)
        return status;
    const size_t cells = validation.request.window_count * layout->horizon;
    if (cells == 0) {
        bench_window_validation_free(&validation);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "window_norm = auto chooses on the validation part, and this protocol's training view has "
                          "none (set window_norm explicitly)");
    }
    double *forecast = malloc(cells * sizeof *forecast);
    if (forecast == NULL) {
        bench_window_validation_free(&validation);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu validation forecasts", cells);
    }
    bench_error first_error = {0};
    double best = INFINITY;
    status = BENCH_MODEL;
    for (int norm = BENCH_WINDOW_NORM_NONE; norm <= BENCH_WINDOW_NORM_STANDARD; norm++) {
        bench_rng stream = *rng;
        bench_error candidate_error = {0};
        scores[norm] = NAN;
        int outcome = fit(model, (bench_window_norm)norm, train, &stream, &candidate_error);
        if (outcome == BENCH_OK)
            outcome = predict(model, &validation.request, forecast, &candidate_error);
        if (outcome != BENCH_OK) {
            if (first_error.code == BENCH_OK)
                first_error = candidate_error;
            continue;
        }
        double sum = 0.0;
        for (size_t i = 0; i < cells; i++)
            sum += (forecast[i] - validation.truth[i]) * (forecast[i] - validation.truth[i]);
        scores[norm] = sum / (double)cells;
        if (scores[norm] < best) { /* a NaN score never wins */
            best = scores[norm];
            *chosen = (bench_window_norm)norm;
            status = BENCH_OK;
        }
    }
    free(forecast);
    bench_window_validation_free(&validation);
    if (status != BENCH_OK) {
        if (first_error.code != BENCH_OK && error != NULL)
            *error = first_error;
        else
            BENCH_FAIL(error, BENCH_MODEL, "window_norm = auto: no candidate gave a finite validation error");
        return error != NULL && error->code != BENCH_OK ? error->code : BENCH_MODEL;
    }
    return BENCH_OK;
}

int bench_window_fit_norm(void *model, bench_window_norm norm, bench_window_fit_fn fit, bench_window_predict_fn predict,
                          const bench_window_layout *layout, const bench_train_view *train, bench_rng *rng,
                          const char *who, bench_error *error)
{
    if (norm == BENCH_WINDOW_NORM_AUTO) {
        double scores[4];
        int status = bench_window_choose_norm(&norm, scores, model, fit, predict, layout, train, rng, error);
        if (status != BENCH_OK)
            return bench_error_prefix(error, "%s: ", who);
    }
    return fit(model, norm, train, rng, error);
}
