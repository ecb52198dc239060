/* A test plugin with one defect per -DVARIANT=n (tests/test_plugins*.c build it):
 *   0 none (with -DNAME="picky" it fails fit on the dataset labelled "bad")
 *   1 newer ABI major, 2 older ABI major, 3 NULL vtable, 4 no entry symbol,
 *   5 empty predict slot, 6 undefined symbol (dlopen fails),
 *   8 writes one past the output, 9 global counter in the forecasts,
 *  10 forecasts depend on the process id, 11 reads a window's future,
 *  12 writes into a training view, 13 destroy(NULL) dereferences,
 *  14 keeps a pointer to the training view and reads it in predict,
 *  15 a correct predict_samples, and save/load that forget the fitted state.
 * -DNAME="..." sets the forecaster's name (default "broken"). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench/forecaster.h"
#ifndef NAME
#define NAME "broken"
#endif
#ifndef VARIANT
#define VARIANT 0
#endif
struct bench_model { int fail_fit; const double *kept; };
#if VARIANT == 9
static int counter;
#endif
int no_such_function_in_bench(void);
static int create(bench_model **out, const bench_params *p, const bench_task_info *task, bench_error *e) {
    (void)p; bench_model *m = calloc(1, sizeof *m);
    if (!m) return BENCH_FAIL(e, BENCH_NO_MEMORY, "oom");
    m->fail_fit = !strcmp(task->dataset, "bad"); *out = m; return BENCH_OK; }
static int fit(bench_model *m, const bench_train_view *t, bench_rng *r, bench_error *e) {
    (void)t, (void)r;
#if VARIANT == 12
    ((double *)t->series[0].values)[0] = 0;
#endif
    if (m->fail_fit) return BENCH_FAIL(e, BENCH_MODEL, "picky: refuses dataset bad");
#if VARIANT == 15
    m->kept = NULL;
#else
    m->kept = t->series[0].values;
#endif
    return BENCH_OK; }
static int predict(bench_model *m, const bench_forecast_request *q, bench_rng *r, double *out, bench_error *e) {
    (void)m, (void)r, (void)e;
    for (size_t w = 0; w < q->window_count; w++) for (size_t k = 0; k < q->horizon; k++) {
        const bench_forecast_window *x = &q->windows[w];
        double v = x->history[x->history_length - 1];
#if VARIANT == 9
        v += counter++;
#endif
#if VARIANT == 10
        v += (double)(getpid() % 1000);
#endif
#if VARIANT == 14
        v += m->kept[0];
#elif VARIANT == 15
        if (m->kept != NULL) v += m->kept[0]; /* only a loaded model has it */
#endif
#if VARIANT == 11
        v += x->history[x->history_length + k];
#endif
        out[w * q->horizon + k] = v; }
#if VARIANT == 8
    out[q->window_count * q->horizon] = 1.0;
#endif
    return BENCH_OK; }
static void destroy(bench_model *m) {
#if VARIANT == 13
    m->fail_fit = 0;
#endif
    free(m); }
#if VARIANT == 15
/* Samples: the point forecast plus seeded noise.  Save writes nothing useful,
 * and load yields a model whose forecasts are shifted: the round trip differs. */
static int predict_samples(bench_model *m, const bench_forecast_request *q, size_t samples, bench_rng *r,
                           double *out, bench_error *e) {
    (void)m, (void)e;
    for (size_t w = 0; w < q->window_count; w++) for (size_t s = 0; s < samples; s++)
        for (size_t k = 0; k < q->horizon; k++)
            out[(w * samples + s) * q->horizon + k] =
                q->windows[w].history[q->windows[w].history_length - 1] + bench_rng_normal(r);
    return BENCH_OK; }
static int save(const bench_model *m, const char *path, bench_error *e) {
    (void)m, (void)path, (void)e; return BENCH_OK; }
static int load(bench_model **out, const char *path, const bench_params *p, const bench_task_info *t, bench_error *e) {
    (void)path, (void)p, (void)t;
    bench_model *m = calloc(1, sizeof *m);
    if (!m) return BENCH_FAIL(e, BENCH_NO_MEMORY, "oom");
    static const double shifted = 1.0;
    m->kept = &shifted; *out = m; return BENCH_OK; }
#endif
static const bench_forecaster vtable = {
#if VARIANT == 15
    .predict_samples = predict_samples, .save = save, .load = load,
#endif
#if VARIANT == 1
    .abi_version = (2u << 16) | 3u,
#elif VARIANT == 2
    .abi_version = 0,
#else
    .abi_version = BENCH_FORECASTER_ABI_VERSION,
#endif
    .name = NAME, .description = "a test plugin", .create = create, .fit = fit,
#if VARIANT != 5
    .predict = predict,
#endif
    .destroy = destroy };
#if VARIANT == 4
const bench_forecaster *bench_plugin_forecaster_typo(void) { return &vtable; }
#else
const bench_forecaster *bench_plugin_forecaster(void) {
#if VARIANT == 3
    return NULL;
#elif VARIANT == 6
    return no_such_function_in_bench() ? &vtable : &vtable;
#else
    return &vtable;
#endif
}
#endif
