/* gbrt benchmarks (issue 3), each measured in its own child process so its peak
 * RSS (wait4's ru_maxrss) is its own:
 *
 *   windows  — window construction alone on a Solar-sized synthetic panel
 *              (137 series × 52,560 steps, training part t' = 42,048, w = h = 24,
 *              6 covariates): feature matrix + plan, against the matrix size
 *              (goal: peak growth ≤ 1.1 × the feature matrix);
 *   fit      — the whole gbrt fit on the same panel (tree_method=hist, so
 *              XGBoost's copy is its quantile index; 1 round per booster, since
 *              the memory peak does not depend on the round count);
 *   fit-exact — the same with tree_method=exact on the first 20 series (exact
 *              holds a CSR copy and column-sorted pages, too slow and large for
 *              the whole panel on a small machine);
 *   exchange — paper-exchange GBRT alone: Exchange-Rate, paper protocol, exchange
 *              preset, exact trees, covariates = last (RMSE checked within 10 % of
 *              the paper before the time counts), 3 runs, median wall/CPU/peak RSS;
 *   exchange-hist — the same with tree_method = hist, max_bin = 4096 (gbrt_hist of
 *              configs/paper-exchange.ini), run interleaved with exchange, and the
 *              ratio of medians hist / exact (issue 20's target: at most 0.3).
 *
 * Usage: gbrt_bench [windows|fit|fit-exact|exchange|exchange-hist|exchange-compare] (no
 * argument: all, the two exchange modes 3 times each; exchange-compare: only those).
 * Needs exchange_rate.txt.gz on BENCH_DATA_PATH for `exchange` (skipped without). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness.h"
#include "bench/protocol.h"
#include "datasets/dataset.h"
#include "forecasters/gbrt.h"
#include "forecasters/window_features.h"

#define SOLAR_SERIES 137
#define SOLAR_LENGTH 52560
#define SOLAR_TRAIN 42048
#define SOLAR_COVARIATES 6
#define WINDOW 24
#define HORIZON 24

/* Seconds on `clock`: CLOCK_MONOTONIC for wall time, CLOCK_PROCESS_CPUTIME_ID for
 * this process's CPU time (on a shared machine wall time mostly measures the
 * neighbours). */
static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* kB value of a /proc/self/status field (VmRSS, VmHWM). */
static long status_kb(const char *field)
{
    FILE *file = fopen("/proc/self/status", "r");
    char line[256];
    long value = -1;
    size_t length = strlen(field);
    while (file != NULL && fgets(line, sizeof line, file) != NULL)
        if (strncmp(line, field, length) == 0 && line[length] == ':')
            value = atol(line + length + 1);
    if (file != NULL)
        fclose(file);
    return value;
}

/* Resets VmHWM to the current RSS (Linux clear_refs 5). */
static int reset_peak(void)
{
    FILE *file = fopen("/proc/self/clear_refs", "w");
    if (file == NULL)
        return -1;
    int failed = fputs("5", file) < 0;
    return fclose(file) != 0 || failed ? -1 : 0;
}

typedef struct solar_panel {
    double *values;               /* (series × length) */
    float *covariates;            /* (length × M), one calendar shared by all series */
    bench_series_view views[SOLAR_SERIES];
    bench_train_view train;
} solar_panel;

static int solar_make(solar_panel *panel, size_t series_count)
{
    panel->values = malloc((size_t)SOLAR_SERIES * SOLAR_LENGTH * sizeof *panel->values);
    panel->covariates = malloc((size_t)SOLAR_LENGTH * SOLAR_COVARIATES * sizeof *panel->covariates);
    if (panel->values == NULL || panel->covariates == NULL)
        return -1;
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    for (size_t t = 0; t < SOLAR_LENGTH; t++)
        for (size_t m = 0; m < SOLAR_COVARIATES; m++)
            panel->covariates[t * SOLAR_COVARIATES + m] = (float)((t / (m + 1)) % 24) / 23.0f - 0.5f;
    for (size_t s = 0; s < series_count; s++) {
        double *y = panel->values + s * SOLAR_LENGTH;
        for (size_t t = 0; t < SOLAR_LENGTH; t++) {
            double day = fmax(0.0, sin(2 * M_PI * (double)(t % 144) / 144.0)); /* 10-minute steps */
            y[t] = (5.0 + (double)s / 20.0) * day + 0.1 * bench_rng_uniform(&rng);
        }
        panel->views[s] = (bench_series_view){.name = "solar", .length = SOLAR_LENGTH, .train_length = SOLAR_TRAIN,
                                              .values = y, .covariates = panel->covariates};
    }
    panel->train = (bench_train_view){.series_count = series_count, .series = panel->views};
    return 0;
}

static int bench_windows(void)
{
    solar_panel panel;
    if (solar_make(&panel, SOLAR_SERIES) != 0)
        return 1;
    bench_window_layout layout;
    bench_window_plan plan;
    bench_error error = {0};
    bench_rng rng;
    bench_rng_seed(&rng, 7);
    if (bench_window_layout_init(&layout, WINDOW, HORIZON, SOLAR_COVARIATES, BENCH_WINDOW_COVARIATES_LAST, &error))
        return fprintf(stderr, "%s\n", error.message), 1;
    long baseline_kb = status_kb("VmRSS");
    int reset = reset_peak();
    double start = now(CLOCK_MONOTONIC), cpu_start = now(CLOCK_PROCESS_CPUTIME_ID);
    if (bench_window_plan_training(&plan, &layout, &panel.train, &rng, &error) != BENCH_OK)
        return fprintf(stderr, "%s\n", error.message), 1;
    size_t bytes = plan.count * layout.feature_count * sizeof(float);
    float *features = malloc(bytes);
    if (features == NULL)
        return 1;
    bench_window_fill_features(features, &layout, &panel.train, &plan);
    double seconds = now(CLOCK_MONOTONIC) - start, cpu_seconds = now(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    /* Validate before reporting: row 0 is its origin's window. */
    size_t origin = plan.origins[0] % SOLAR_LENGTH, series = plan.origins[0] / SOLAR_LENGTH;
    if (features[WINDOW - 1] != (float)panel.values[series * SOLAR_LENGTH + origin])
        return fprintf(stderr, "window check failed\n"), 1;
    long peak_kb = status_kb("VmHWM");
    double matrix_mb = (double)bytes / 1048576.0, plan_mb = (double)plan.count * 4 / 1048576.0;
    printf("windows: %zu rows x %zu features = %.1f MiB feature matrix (+ %.1f MiB plan), built in %.2f s wall, %.2f s CPU\n",
           plan.count, layout.feature_count, matrix_mb, plan_mb, seconds, cpu_seconds);
    printf("windows: RSS before %.1f MiB (input %.1f MiB); peak %.1f MiB; growth %.1f MiB = %.3f x matrix%s\n",
           baseline_kb / 1024.0, (double)SOLAR_SERIES * SOLAR_LENGTH * 8 / 1048576.0, peak_kb / 1024.0,
           (peak_kb - baseline_kb) / 1024.0, (peak_kb - baseline_kb) / 1024.0 / matrix_mb,
           reset == 0 ? "" : " (peak not reset: includes input set-up)");
    printf("windows: peak incl. input = %.3f x matrix\n", peak_kb / 1024.0 / matrix_mb);
    free(features);
    bench_window_plan_free(&plan);
    free(panel.values);
    free(panel.covariates);
    return 0;
}

static int resolve(bench_owned_params *out, const bench_param_spec *spec, size_t spec_count,
                   const char *const *settings, size_t count, bench_error *error)
{
    bench_config_entry entries[16];
    char keys[16][64], texts[16][128];
    for (size_t i = 0; i < count; i++) {
        const char *equals = strchr(settings[i], '=');
        snprintf(keys[i], sizeof keys[i], "%.*s", (int)(equals - settings[i]), settings[i]);
        snprintf(texts[i], sizeof texts[i], "%s", equals + 1);
        entries[i] = (bench_config_entry){.key = keys[i], .value = texts[i], .line = i + 1};
    }
    bench_config_section section = {.kind = "perf", .label = "", .line = 0, .entries = entries, .entry_count = count};
    return bench_resolve_params(out, spec, spec_count, &section, "gbrt_bench", "gbrt", error);
}

/* tree_method hist on the full panel; exact on its first `series_count` series
 * (exact keeps ~4 copies' worth: CSR + column-sorted pages, 8 bytes a cell each). */
static int bench_fit(const char *tree_method, size_t series_count)
{
    solar_panel panel;
    if (solar_make(&panel, series_count) != 0)
        return 1;
    char method_setting[64];
    snprintf(method_setting, sizeof method_setting, "tree_method=%s", tree_method);
    const char *const settings[] = {"preset=solar", "n_estimators=1", method_setting};
    static const char *const names[SOLAR_COVARIATES] = {"month", "day", "hour", "day_of_week", "day_of_year",
                                                         "week_of_year"};
    bench_task_info task = {.dataset = "solar_synthetic", .protocol = "paper", .horizon = HORIZON,
                            .lookback = WINDOW, .seasonal_period = 144, .covariate_count = SOLAR_COVARIATES,
                            .covariate_names = names, .threads = 1, .seed = 1};
    bench_owned_params params;
    bench_error error = {0};
    bench_model *model = NULL;
    if (resolve(&params, bench_forecaster_gbrt.params, bench_forecaster_gbrt.param_count, settings, 3, &error) ||
        bench_forecaster_gbrt.create(&model, &params.view, &task, &error))
        return fprintf(stderr, "%s\n", error.message), 1;
    bench_rng rng;
    bench_rng_seed(&rng, 7);
    long baseline_kb = status_kb("VmRSS");
    reset_peak();
    double start = now(CLOCK_MONOTONIC), cpu_start = now(CLOCK_PROCESS_CPUTIME_ID);
    if (bench_forecaster_gbrt.fit(model, &panel.train, &rng, &error) != BENCH_OK)
        return fprintf(stderr, "%s\n", error.message), 1;
    double seconds = now(CLOCK_MONOTONIC) - start, cpu_seconds = now(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
    long peak_kb = status_kb("VmHWM");
    double matrix_mb = (double)(SOLAR_TRAIN - WINDOW - HORIZON + 1) * (double)series_count *
                       (WINDOW + SOLAR_COVARIATES) * 4 / 1048576.0;
    printf("fit (%s, %zu series, 24 boosters x 1 round): %.1f s wall, %.1f s CPU; RSS before %.1f MiB, peak %.1f MiB, growth %.1f MiB = %.3f x "
           "feature matrix (%.1f MiB)\n",
           tree_method, series_count, seconds, cpu_seconds, baseline_kb / 1024.0, peak_kb / 1024.0, (peak_kb - baseline_kb) / 1024.0,
           (peak_kb - baseline_kb) / 1024.0 / matrix_mb, matrix_mb);
    bench_forecaster_gbrt.destroy(model);
    bench_owned_params_free(&params);
    free(panel.values);
    free(panel.covariates);
    return 0;
}

static int bench_exchange(int hist)
{
    bench_dataset *exchange = NULL;
    bench_error error = {0};
    if (bench_dataset_load(&exchange, "exchange_rate", &error) != BENCH_OK) {
        printf("exchange: SKIPPED (%s)\n", error.message);
        return 0;
    }
    const char *const settings[] = {"window=24", "covariates=month,day,day_of_week,day_of_year,week_of_year",
                                    "start_date=1990-01-01"};
    const char *const model_settings[] = {"preset=exchange", hist ? "tree_method=hist" : "tree_method=exact",
                                          "covariates=last", "max_bin=4096"};
    bench_owned_params protocol_settings, params;
    bench_task *task = NULL;
    bench_model *model = NULL;
    double start = now(CLOCK_MONOTONIC);
    if (resolve(&protocol_settings, bench_protocol_paper.params, bench_protocol_paper.param_count, settings, 3,
                &error) ||
        bench_protocol_paper.prepare(&task, exchange, &protocol_settings.view, 24, BENCH_STAGE_TEST, &error) ||
        resolve(&params, bench_forecaster_gbrt.params, bench_forecaster_gbrt.param_count, model_settings, hist ? 4 : 3,
                &error))
        return fprintf(stderr, "%s\n", error.message), 1;
    task->info.threads = 1;
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    double *prediction = malloc(task->request.window_count * 24 * sizeof *prediction);
    double values[BENCH_TASK_MAX_METRICS];
    if (prediction == NULL || bench_forecaster_gbrt.create(&model, &params.view, &task->info, &error) ||
        bench_forecaster_gbrt.fit(model, &task->train, &rng, &error) ||
        bench_forecaster_gbrt.predict(model, &task->request, &rng, prediction, &error) ||
        bench_protocol_paper.evaluate(task, prediction, values, &error))
        return fprintf(stderr, "%s\n", error.message), 1;
    double seconds = now(CLOCK_MONOTONIC) - start;
    double rmse = values[0];
    if (strcmp(task->metric_names[0], "rmse") != 0 || fabs(rmse - 0.016) > 0.0016)
        return fprintf(stderr, "exchange: RMSE %.5f is not within 10 %% of 0.016\n", rmse), 1;
    printf("exchange%s: RMSE %.5f (paper 0.016), %.1f s\n", hist ? "-hist" : "", rmse, seconds);
    free(prediction);
    bench_forecaster_gbrt.destroy(model);
    bench_task_free(task);
    bench_owned_params_free(&params);
    bench_owned_params_free(&protocol_settings);
    bench_dataset_free(exchange);
    return 0;
}

typedef struct child_figures {
    double wall, cpu, peak_mb;
    int ok;
} child_figures;

static child_figures run_child(const char *self, const char *mode)
{
    child_figures figures = {0};
    fflush(stdout);
    double start = now(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid == 0) {
        execl(self, self, mode, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    if (pid < 0 || wait4(pid, &status, 0, &usage) != pid)
        return figures;
    figures.wall = now(CLOCK_MONOTONIC) - start;
    figures.cpu = (double)usage.ru_utime.tv_sec + 1e-6 * (double)usage.ru_utime.tv_usec +
                  (double)usage.ru_stime.tv_sec + 1e-6 * (double)usage.ru_stime.tv_usec;
    figures.peak_mb = usage.ru_maxrss / 1024.0;
    figures.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    printf("%s: process wall %.1f s, CPU %.1f s, peak RSS %.1f MiB%s\n", mode, figures.wall, figures.cpu,
           figures.peak_mb, figures.ok ? "" : " (FAILED)");
    return figures;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "windows") == 0)
        return bench_windows();
    if (argc > 1 && strcmp(argv[1], "fit") == 0)
        return bench_fit("hist", SOLAR_SERIES);
    if (argc > 1 && strcmp(argv[1], "fit-exact") == 0)
        return bench_fit("exact", 20);
    if (argc > 1 && strcmp(argv[1], "exchange") == 0)
        return bench_exchange(0);
    if (argc > 1 && strcmp(argv[1], "exchange-hist") == 0)
        return bench_exchange(1);
    int compare_only = argc > 1 && strcmp(argv[1], "exchange-compare") == 0;
    if (argc > 1 && !compare_only) {
        fprintf(stderr, "usage: %s [windows|fit|fit-exact|exchange|exchange-hist|exchange-compare]\n", argv[0]);
        return 2;
    }
    int failed = 0;
    if (!compare_only) {
        failed |= !run_child("/proc/self/exe", "windows").ok;
        failed |= !run_child("/proc/self/exe", "fit").ok;
        failed |= !run_child("/proc/self/exe", "fit-exact").ok;
    }
    /* Interleaved, so a change in machine load hits both alike. */
    double wall[2][3], cpu[2][3], peak[2][3];
    for (int i = 0; i < 3; i++)
        for (int hist = 0; hist < 2; hist++) {
            child_figures figures = run_child("/proc/self/exe", hist ? "exchange-hist" : "exchange");
            failed |= !figures.ok;
            wall[hist][i] = figures.wall;
            cpu[hist][i] = figures.cpu;
            peak[hist][i] = figures.peak_mb;
        }
    for (int hist = 0; hist < 2; hist++) {
        qsort(wall[hist], 3, sizeof wall[hist][0], compare_doubles);
        qsort(cpu[hist], 3, sizeof cpu[hist][0], compare_doubles);
        qsort(peak[hist], 3, sizeof peak[hist][0], compare_doubles);
        printf("exchange GBRT (paper preset, %s, 1 thread), median of 3: wall %.1f s, CPU %.1f s, peak RSS %.1f MiB\n",
               hist ? "hist 4096 bins" : "exact", wall[hist][1], cpu[hist][1], peak[hist][1]);
    }
    printf("exchange GBRT hist / exact, ratio of median wall times: %.2f (target <= 0.3)\n", wall[1][1] / wall[0][1]);
    return failed;
}
