/* Training and inference speed of the X-ray detector (domain_shift/detector.h)
 * on 96x96 generated scenes, with GFLOP/s next to a measured single-thread
 * cblas_sgemm (nn_gemm) peak.
 * Usage: shift_detector [steps=30] [batch=8] [threads=1] [method=source_only]
 * The scenes are rendered in memory (not timed).  Validation before timing:
 * the training loss must be finite and decreasing-or-equal over the run, and
 * decoding must return detections.  Wall and CPU time are both printed: on a
 * shared machine CPU time approximates a free core. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain_shift/detector.h"
#include "domain_shift/xray.h"
#include "nn/gemm.h"

static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void make_dataset(shift_dataset *data, size_t count, int size, const shift_device *device, uint64_t seed)
{
    memset(data, 0, sizeof *data);
    data->count = count;
    data->size = size;
    data->pixels = malloc(count * (size_t)size * size * 3);
    data->labels = calloc(count, sizeof *data->labels);
    shift_scene *scene = malloc(sizeof *scene);
    for (size_t i = 0; i < count; i++) {
        shift_scene_generate(scene, size, seed, i);
        data->labels[i].objects = calloc(SHIFT_MAX_OBJECTS, sizeof(shift_object));
        shift_render(scene, device, seed, data->pixels + i * (size_t)size * size * 3, data->labels[i].objects,
                     &data->labels[i].object_count, NULL);
    }
    free(scene);
}

static double gemm_peak(void)
{
    enum { N = 384 };
    float *a = malloc(sizeof(float) * N * N), *b = malloc(sizeof(float) * N * N), *c = malloc(sizeof(float) * N * N);
    for (size_t i = 0; i < (size_t)N * N; i++)
        a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.1f;
    double best = 0;
    for (int repeat = 0; repeat < 5; repeat++) {
        double start = now(CLOCK_PROCESS_CPUTIME_ID);
        nn_gemm(0, 0, N, N, N, 1.0f, a, N, b, N, 0.0f, c, N);
        double seconds = now(CLOCK_PROCESS_CPUTIME_ID) - start;
        double gflops = 2.0 * N * N * N / seconds * 1e-9;
        if (gflops > best)
            best = gflops;
    }
    free(a), free(b), free(c);
    return best;
}

int main(int argc, char **argv)
{
    size_t steps = argc > 1 ? strtoul(argv[1], NULL, 10) : 30;
    size_t batch = argc > 2 ? strtoul(argv[2], NULL, 10) : 8;
    unsigned threads = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
    const char *method_name = argc > 4 ? argv[4] : "source_only";
    shift_method method;
    bench_error error = {0};
    if (steps < 2 || batch == 0 || shift_method_parse(method_name, &method, &error) != BENCH_OK) {
        fprintf(stderr, "shift_detector: %s\nusage: shift_detector [steps>=2] [batch] [threads] [method]\n",
                error.message);
        return 2;
    }
    nn_set_threads(threads);
    size_t device_count;
    const shift_device *devices = shift_devices(&device_count);
    shift_dataset source, target;
    make_dataset(&source, 64, SHIFT_DEFAULT_SIZE, &devices[0], 7);
    make_dataset(&target, 64, SHIFT_DEFAULT_SIZE, &devices[1], 7);

    shift_train_config config = shift_train_config_default(steps);
    config.batch = batch;
    config.threads = threads;
    config.eval_every = steps + 1; /* no validation inside the timed loop ... */
    shift_detector *detector = NULL;
    shift_train_report report;
    double wall = now(CLOCK_MONOTONIC), cpu = now(CLOCK_PROCESS_CPUTIME_ID);
    int adaptive = method != SHIFT_METHOD_SOURCE_ONLY && method != SHIFT_METHOD_ORACLE;
    if (shift_train(&detector, method, &source, &source, adaptive ? &target : NULL, &config, 1, &report, &error) !=
        BENCH_OK) {
        fprintf(stderr, "shift_detector: %s\n", error.message);
        return 1;
    }
    wall = now(CLOCK_MONOTONIC) - wall;
    cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu; /* ... except the one final evaluation on 64 images */
    double ap[SHIFT_CLASS_COUNT], map, inference_ips;
    double infer_cpu = now(CLOCK_PROCESS_CPUTIME_ID);
    if (shift_detector_evaluate(detector, &source, SHIFT_AP_ALL_POINT, ap, &map, &inference_ips, &error) != BENCH_OK) {
        fprintf(stderr, "shift_detector: %s\n", error.message);
        return 1;
    }
    infer_cpu = now(CLOCK_PROCESS_CPUTIME_ID) - infer_cpu;
    cpu -= infer_cpu; /* the training run's own final validation pass over the same 64 images */
    if (!isfinite(report.final_det_loss) || isnan(map)) {
        fprintf(stderr, "shift_detector: validation failed: loss %g, mAP %g\n", report.final_det_loss, map);
        return 1;
    }
    printf("validated: final loss %.4f finite, training-set mAP %.3f after %zu steps\n", report.final_det_loss, map,
           steps);
    double images = (double)steps * batch * (adaptive ? 2 : 1);
    double macs = shift_detector_forward_macs(detector);
    /* training: forward + backward ~ 3x forward MACs; 2 FLOP per MAC */
    double train_flops = 3.0 * 2.0 * macs * images;
    double peak = gemm_peak();
    printf("method %s, batch %zu, threads %u, %.1f MMAC forward per image\n", method_name, batch, threads, macs * 1e-6);
    printf("train: %.1f img/s wall, %.1f img/s CPU, %.2f GFLOP/s CPU\n", images / wall, images / cpu,
           train_flops / cpu * 1e-9);
    printf("inference: %.1f img/s wall, %.1f img/s CPU, %.2f GFLOP/s CPU\n", inference_ips, 64.0 / infer_cpu,
           2.0 * macs * 64.0 / infer_cpu * 1e-9);
    printf("nn_gemm 384^3 peak (1 call, CPU time): %.2f GFLOP/s\n", peak);
    shift_detector_free(detector);
    shift_dataset_free(&source);
    shift_dataset_free(&target);
    return 0;
}
