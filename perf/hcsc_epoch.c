/* Seconds per HCSC/MoCo training epoch on Fashion-MNIST-sized input and the
 * GFLOP/s achieved, next to the measured cblas_sgemm peak (issue 7's `make perf`).
 * Usage: hcsc_epoch [steps=20] [method=hcsc] [batch=256] [channels=32,64,128] [threads=1]
 * Runs `steps` real training steps on random 28×28 images and extrapolates to
 * 60000/batch steps; the clustering of 60000 images (prototype methods) is timed
 * apart.  Times are process CPU seconds / threads: on a shared machine wall time
 * measures the neighbours.  Compare with perf/hcsc_torch_epoch.py (same encoder and
 * step in PyTorch); perf/hcsc_epoch.sh runs both and prints medians and the ratio.
 *
 * It also reports the part of the epoch spent inside cblas_sgemm, which bounds
 * what any work outside the GEMMs can gain: the Makefile links this program
 * with -Wl,--wrap=cblas_sgemm, so nn_gemm's calls reach the timing shim
 * __wrap_cblas_sgemm below, which calls OpenBLAS's through __real_cblas_sgemm.
 * Neither the library nor OpenBLAS is redefined.  The shim times the calling
 * thread (the encoder's team calls GEMMs from every worker, each on one OpenBLAS
 * thread), so with OpenBLAS's own threads (peak measurement) it undercounts. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "hcsc/train.h"
#include "nn/gemm.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of this process: on a shared machine wall time measures the
 * neighbours; CPU time approximates the epoch on a free core (1 thread). */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of the calling thread: GEMMs run on every worker of the team. */
static double thread_cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds and FLOPs spent inside cblas_sgemm since the last reset, summed
 * over the threads that called it. */
static double gemm_seconds, gemm_flops;
static pthread_mutex_t gemm_lock = PTHREAD_MUTEX_INITIALIZER;

void __real_cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transpose_a,
                        const enum CBLAS_TRANSPOSE transpose_b, const blasint m, const blasint n, const blasint k,
                        const float alpha, const float *a, const blasint lda, const float *b, const blasint ldb,
                        const float beta, float *c, const blasint ldc);
void __wrap_cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transpose_a,
                        const enum CBLAS_TRANSPOSE transpose_b, const blasint m, const blasint n, const blasint k,
                        const float alpha, const float *a, const blasint lda, const float *b, const blasint ldb,
                        const float beta, float *c, const blasint ldc);

void __wrap_cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transpose_a,
                        const enum CBLAS_TRANSPOSE transpose_b, const blasint m, const blasint n, const blasint k,
                        const float alpha, const float *a, const blasint lda, const float *b, const blasint ldb,
                        const float beta, float *c, const blasint ldc)
{
    double start = thread_cpu_now();
    __real_cblas_sgemm(order, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    double seconds = thread_cpu_now() - start;
    pthread_mutex_lock(&gemm_lock);
    gemm_seconds += seconds;
    gemm_flops += 2.0 * (double)m * (double)n * (double)k;
    pthread_mutex_unlock(&gemm_lock);
}

static double forward_flops(const hcsc_encoder_config *c, size_t batch)
{
    double flops = 0.0;
    size_t in = 1;
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        size_t side = c->image_size >> l;
        flops += 2.0 * (double)(c->channels[l] * in * 9 * side * side);
        in = c->channels[l];
    }
    flops += 2.0 * (double)(in * c->head_hidden + c->head_hidden * c->projection_dim);
    return flops * (double)batch;
}

int main(int argc, char **argv)
{
    size_t steps = argc > 1 ? strtoul(argv[1], NULL, 10) : 20;
    const char *method_name = argc > 2 ? argv[2] : "hcsc";
    size_t batch = argc > 3 ? strtoul(argv[3], NULL, 10) : 256;
    size_t count = 60000;
    hcsc_train_config config;
    hcsc_train_defaults(&config);
    if (argc > 4 && sscanf(argv[4], "%zu,%zu,%zu", &config.encoder.channels[0], &config.encoder.channels[1],
                           &config.encoder.channels[2]) != 3) {
        fprintf(stderr, "hcsc_epoch: channels must be three integers like 32,64,128\n");
        return 2;
    }
    unsigned threads = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 1;
    nn_set_threads(threads);

    /* GEMM peak: a square product large enough to be compute-bound. */
    size_t n = 1024;
    float *a = malloc(n * n * sizeof *a), *b = malloc(n * n * sizeof *b), *c = malloc(n * n * sizeof *c);
    for (size_t i = 0; i < n * n; i++)
        a[i] = b[i] = 0.5f;
    nn_gemm(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double start = cpu_now();
    for (int r = 0; r < 3; r++)
        nn_gemm(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double peak = 3 * 2.0 * (double)n * n * n / (cpu_now() - start) / 1e9 * (double)threads;
    free(a), free(b), free(c);

    config.batch = batch;
    const hcsc_method *method = hcsc_method_find(method_name);
    if (method == NULL || !method->trains) {
        fprintf(stderr, "hcsc_epoch: method must be one that trains\n");
        return 2;
    }
    float *images = malloc(count * 784 * sizeof *images);
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    for (size_t i = 0; i < count * 784; i++)
        images[i] = bench_rng_uniform_float(&rng);
    hcsc_trainer trainer;
    bench_error error = {0};
    if (hcsc_trainer_create(&trainer, &config, method, count, 1, &error) != BENCH_OK) {
        fprintf(stderr, "hcsc_epoch: %s\n", error.message);
        return 1;
    }
    double cluster_seconds = 0.0;
    if (method->prototypes) {
        start = cpu_now();
        if (hcsc_trainer_cluster(&trainer, images, count, 0, &error) != BENCH_OK) {
            fprintf(stderr, "hcsc_epoch: %s\n", error.message);
            return 1;
        }
        cluster_seconds = cpu_now() - start;
    }
    size_t *indices = malloc(batch * sizeof *indices);
    hcsc_step_losses losses;
    start = now();
    gemm_seconds = gemm_flops = 0.0;
    double cpu_start = cpu_now();
    for (size_t s = 0; s < steps; s++) {
        for (size_t i = 0; i < batch; i++)
            indices[i] = (s * batch + i) % count;
        if (hcsc_train_step(&trainer, images, indices, &losses, &error) != BENCH_OK) {
            fprintf(stderr, "hcsc_epoch: %s\n", error.message);
            return 1;
        }
    }
    double wall_per_step = (now() - start) / (double)steps;
    double per_step = (cpu_now() - cpu_start) / (double)steps / (double)threads;
    size_t steps_per_epoch = count / batch;
    /* query forward + backward (≈ 2× forward) + key forward */
    double step_flops = 4.0 * forward_flops(&config.encoder, batch);
    printf("method %s, batch %zu, channels %zu-%zu-%zu, %u thread(s)\n", method_name, batch,
           config.encoder.channels[0], config.encoder.channels[1], config.encoder.channels[2], threads);
    printf("sgemm peak (1024^3, per CPU second x threads): %.1f GFLOP/s\n", peak);
    printf("CPU seconds per step: %.4f (wall %.4f); steps per epoch: %zu; training seconds per epoch "
           "(CPU / threads): %.1f; wall seconds per epoch: %.1f\n",
           per_step, wall_per_step, steps_per_epoch, per_step * (double)steps_per_epoch,
           wall_per_step * (double)steps_per_epoch);
    printf("achieved: %.1f GFLOP/s (%.0f%% of peak)\n", step_flops / per_step / 1e9,
           100.0 * step_flops / per_step / 1e9 / peak);
    double gemm_per_step = gemm_seconds / (double)steps / (double)threads;
    printf("inside cblas_sgemm: %.1f CPU s per epoch (%.0f%% of the step, %.1f GFLOP/s); everything else: "
           "%.1f CPU s\n",
           gemm_per_step * (double)steps_per_epoch, 100.0 * gemm_per_step / per_step,
           gemm_flops / gemm_seconds / 1e9 * (double)threads, (per_step - gemm_per_step) * (double)steps_per_epoch);
    if (method->prototypes)
        printf("clustering 60000 features (levels 120/60/30): %.1f CPU s per epoch\n", cluster_seconds);
    hcsc_trainer_free(&trainer);
    free(images), free(indices);
    return 0;
}
