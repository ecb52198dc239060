/* perf/nn_perf: one training epoch of bench's deep forecasters on ETTh1's
 * training windows (LTSF split: rows [0, 8640), z-scored with their own
 * statistics; look-back 96, horizon 96, all 7 channels, batches of time
 * origins × channels), plus the GEMM wrapper's throughput against raw
 * cblas_sgemm.  The same epochs in PyTorch: perf/nn_perf_torch.py; both are run
 * and compared by perf/nn_perf.sh.
 *
 * Output, one line per measurement, for the comparison script:
 *   epoch MODEL MEDIAN_SECONDS MIN_SECONDS
 *   gemm M N K WRAPPER_GFLOPS RAW_GFLOPS
 * Usage: nn_perf [--threads T] [--repeats R] [--models a,b,c | none] [--no-gemm] */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/forecaster.h"
#include "datasets/dataset.h"
#include "forecasters/registry.h"
#include "nn/gemm.h"

#define TRAIN_ROWS 8640 /* 12 months of 30 days, hourly (LTSF ETTh1 border) */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The settings both sides use: one epoch, each model's batch and sizes. */
typedef struct model_setting {
    const char *name;
    const char *overrides[8];
} model_setting;

static const model_setting settings[] = {
    {"dlinear", {"epochs=1", NULL}},
    {"mlp", {"epochs=1", NULL}},
    {"lstnet", {"epochs=1", NULL}},
    {"patchtst", {"epochs=1", NULL}},
    {"deepar", {"epochs=1", NULL}}, /* the LSTM: 2 × 40 units over L + H − 1 steps */
};

static int time_epoch(const bench_forecaster *f, const char *const *overrides, const bench_train_view *train,
                      unsigned threads, double *seconds, bench_error *error)
{
    const char *names[64], *values[64];
    for (size_t i = 0; i < f->param_count; i++) {
        names[i] = f->params[i].name;
        values[i] = f->params[i].default_value;
        for (size_t o = 0; overrides[o] != NULL; o++) {
            size_t n = strcspn(overrides[o], "=");
            if (strlen(names[i]) == n && strncmp(names[i], overrides[o], n) == 0)
                values[i] = overrides[o] + n + 1;
        }
    }
    bench_params params = {.count = f->param_count, .names = names, .values = values};
    bench_task_info task = {.dataset = "ETTh1", .protocol = "ltsf", .horizon = 96, .lookback = 96,
                            .seasonal_period = 24, .threads = threads, .seed = 1};
    bench_model *model = NULL;
    int status = f->create(&model, &params, &task, error);
    if (status != BENCH_OK)
        return status;
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    double start = now();
    status = f->fit(model, train, &rng, error);
    *seconds = now() - start;
    f->destroy(model);
    return status;
}

static double gflops(size_t m, size_t n, size_t k, double seconds)
{
    return 2.0 * (double)m * (double)n * (double)k / seconds * 1e-9;
}

static void gemm_throughput(size_t m, size_t n, size_t k, int repeats)
{
    float *a = malloc(m * k * sizeof(float)), *b = malloc(k * n * sizeof(float)), *c = calloc(m * n, sizeof(float));
    for (size_t i = 0; i < m * k; i++)
        a[i] = (float)(i % 17) * 0.01f;
    for (size_t i = 0; i < k * n; i++)
        b[i] = (float)(i % 13) * 0.01f;
    double wrapper[64], raw[64];
    int reps = repeats > 64 ? 64 : repeats;
    /* Validate before timing: both paths must give the same product (the wrapper
     * passes straight through), and the untimed calls warm caches and OpenBLAS's
     * buffers so neither side pays first-call costs. */
    float *check = calloc(m * n, sizeof(float));
    nn_gemm(0, 1, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f, a, (blasint)k, b,
                (blasint)k, 0.0f, check, (blasint)n);
    if (memcmp(c, check, m * n * sizeof(float)) != 0)
        fprintf(stderr, "nn_perf: gemm %zux%zux%zu: wrapper and cblas_sgemm differ\n", m, n, k);
    free(check);
    /* Enough calls per sample that small shapes are measurable. */
    size_t calls = (size_t)(2e8 / (2.0 * (double)m * (double)n * (double)k)) + 1;
    for (int r = 0; r < reps; r++) {
        double start = now();
        for (size_t i = 0; i < calls; i++)
            nn_gemm(0, 1, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
        wrapper[r] = (now() - start) / (double)calls;
        start = now();
        for (size_t i = 0; i < calls; i++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f, a,
                        (blasint)k, b, (blasint)k, 0.0f, c, (blasint)n);
        raw[r] = (now() - start) / (double)calls;
    }
    qsort(wrapper, (size_t)reps, sizeof(double), compare_doubles);
    qsort(raw, (size_t)reps, sizeof(double), compare_doubles);
    printf("gemm %zu %zu %zu %.2f %.2f\n", m, n, k, gflops(m, n, k, wrapper[reps / 2]), gflops(m, n, k, raw[reps / 2]));
    free(a);
    free(b);
    free(c);
}

int main(int argc, char **argv)
{
    unsigned threads = 1;
    int repeats = 3;
    const char *only = NULL;
    int run_gemm = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--models") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--no-gemm"))
            run_gemm = 0;
        else {
            fprintf(stderr, "usage: nn_perf [--threads T] [--repeats R] [--models a,b|none] [--no-gemm]\n");
            return 2;
        }
    }
    if (repeats < 1 || repeats > 64 || threads < 1) {
        fprintf(stderr, "nn_perf: repeats in 1..64, threads >= 1\n");
        return 2;
    }
    bench_error error = {0};
    bench_dataset *data = NULL;
    if (bench_dataset_load(&data, "ETTh1", &error) != BENCH_OK) {
        fprintf(stderr, "nn_perf: %s\n", error.message);
        return bench_status_exit_code(error.code);
    }
    size_t channels = data->series_count;
    double *scaled = malloc(channels * TRAIN_ROWS * sizeof(double));
    bench_series_view *views = calloc(channels, sizeof *views);
    for (size_t c = 0; c < channels; c++) {
        const double *x = data->series[c].values;
        double mean = 0.0, var = 0.0;
        for (size_t t = 0; t < TRAIN_ROWS; t++)
            mean += x[t];
        mean /= TRAIN_ROWS;
        for (size_t t = 0; t < TRAIN_ROWS; t++)
            var += (x[t] - mean) * (x[t] - mean);
        double sd = sqrt(var / TRAIN_ROWS);
        for (size_t t = 0; t < TRAIN_ROWS; t++)
            scaled[c * TRAIN_ROWS + t] = (x[t] - mean) / (sd > 0 ? sd : 1.0);
        /* No validation part: fit runs exactly one training epoch. */
        views[c] = (bench_series_view){.name = data->series[c].name, .length = TRAIN_ROWS,
                                       .train_length = TRAIN_ROWS, .values = scaled + c * TRAIN_ROWS};
    }
    bench_train_view train = {.series_count = channels, .series = views};
    nn_set_threads(threads);
    int status = 0;
    for (size_t m = 0; m < sizeof settings / sizeof settings[0]; m++) {
        if (only != NULL && strstr(only, settings[m].name) == NULL)
            continue;
        const bench_forecaster *f = bench_forecaster_find(settings[m].name);
        double seconds[64];
        for (int r = 0; r < repeats && status == 0; r++)
            if (f == NULL || time_epoch(f, settings[m].overrides, &train, threads, &seconds[r], &error) != BENCH_OK) {
                fprintf(stderr, "nn_perf: %s: %s\n", settings[m].name, f ? error.message : "not registered");
                status = 1;
            }
        if (status != 0)
            break;
        qsort(seconds, (size_t)repeats, sizeof(double), compare_doubles);
        printf("epoch %s %.4f %.4f\n", settings[m].name, seconds[repeats / 2], seconds[0]);
        fflush(stdout);
    }
    if (status == 0 && run_gemm) {
        size_t shapes[][3] = {{224, 96, 96}, {896, 256, 96}, {10752, 128, 16}, {512, 512, 512}};
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            gemm_throughput(shapes[s][0], shapes[s][1], shapes[s][2], repeats);
    }
    free(scaled);
    free(views);
    bench_dataset_free(data);
    return status;
}
