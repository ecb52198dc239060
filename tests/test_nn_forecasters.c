/* The deep forecasters through the forecaster vtable on synthetic series:
 * each must learn a noisy sine far better than the naive forecast, be
 * deterministic for a seed, round-trip through a checkpoint, and fail clearly on
 * a batch larger than the data, a diverging (NaN) loss and a foreign checkpoint.
 *
 * The forecaster sources are compiled into this test directly so it links only
 * nn + common, like every test_nn_* (nn work is not blocked by the rest of core). */
#include "tests/test_nn_harness.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

#include "forecasters/deep_train.c"
#include "forecasters/deep_linear.c"
#include "forecasters/deep_mlp.c"
#include "forecasters/deep_patchtst.c"
#include "forecasters/deep_nbeats.c"
#include "forecasters/deep_lstnet.c"
#include "forecasters/deep_deepar.c"
#include "support_cmocka.h"

#define SERIES_LENGTH 1400
#define VIEW_LENGTH 1100 /* train 900, validation 200, test windows after */
#define TRAIN_LENGTH 900
#define LOOKBACK 48
#define HORIZON 12

typedef struct synthetic {
    double values[2][SERIES_LENGTH];
    bench_series_view views[2];
    bench_train_view train;
    bench_forecast_window windows[2 * 64];
    bench_forecast_request request;
    double truth[2 * 64 * HORIZON];
} synthetic;

/* Two channels: sines of period 24 with different phases and noise sd 0.1. */
static void make_synthetic(synthetic *s)
{
    bench_rng rng;
    bench_rng_seed(&rng, 77);
    for (int c = 0; c < 2; c++) {
        for (size_t t = 0; t < SERIES_LENGTH; t++)
            s->values[c][t] = sin(2 * M_PI * (double)t / 24.0 + c) + 0.1 * bench_rng_normal(&rng);
        s->views[c] = (bench_series_view){.name = c ? "b" : "a", .length = VIEW_LENGTH, .train_length = TRAIN_LENGTH,
                                          .values = s->values[c]};
    }
    s->train = (bench_train_view){.series_count = 2, .series = s->views};
    size_t w = 0;
    for (int c = 0; c < 2; c++)
        for (size_t i = 0; i < 64; i++, w++) {
            size_t origin = VIEW_LENGTH + i * 4;
            s->windows[w] = (bench_forecast_window){.series_index = (size_t)c, .history_length = origin,
                                                    .history = s->values[c]};
            for (size_t k = 0; k < HORIZON; k++)
                s->truth[w * HORIZON + k] = s->values[c][origin + k];
        }
    s->request = (bench_forecast_request){.horizon = HORIZON, .window_count = w, .windows = s->windows};
}

/* Resolved params: the forecaster's defaults with "name=value" overrides. */
typedef struct param_set {
    size_t count;
    const char *names[64];
    const char *values[64];
    bench_params params;
} param_set;

static void make_params(param_set *set, const bench_forecaster *f, const char *const *overrides, size_t override_count)
{
    static char buffers[16][64];
    set->count = f->param_count;
    for (size_t i = 0; i < f->param_count; i++) {
        set->names[i] = f->params[i].name;
        set->values[i] = f->params[i].default_value;
        for (size_t o = 0; o < override_count; o++) {
            const char *eq = strchr(overrides[o], '=');
            size_t n = (size_t)(eq - overrides[o]);
            if (strlen(f->params[i].name) == n && strncmp(overrides[o], f->params[i].name, n) == 0) {
                snprintf(buffers[o], sizeof buffers[o], "%s", eq + 1);
                set->values[i] = buffers[o];
            }
        }
    }
    set->params = (bench_params){.count = set->count, .names = set->names, .values = set->values};
}

static bench_task_info task_info(void)
{
    bench_task_info task = {.dataset = "synthetic", .protocol = "test", .horizon = HORIZON, .lookback = LOOKBACK,
                            .seasonal_period = 24, .threads = 1, .seed = 5};
    return task;
}

static double mse(const double *a, const double *b, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (a[i] - b[i]) * (a[i] - b[i]);
    return sum / (double)n;
}

static int fit_and_predict(const bench_forecaster *f, const char *const *overrides, size_t override_count,
                           synthetic *s, uint64_t seed, double *out, bench_error *error)
{
    param_set set;
    make_params(&set, f, overrides, override_count);
    bench_task_info task = task_info();
    bench_model *model = NULL;
    int status = f->create(&model, &set.params, &task, error);
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    if (status == BENCH_OK)
        status = f->fit(model, &s->train, &rng, error);
    if (status == BENCH_OK)
        status = f->predict(model, &s->request, &rng, out, error);
    f->destroy(model);
    return status;
}

static void learns_sine(const bench_forecaster *f, const char *const *overrides, size_t override_count,
                        double max_ratio)
{
    synthetic *s = calloc(1, sizeof *s);
    make_synthetic(s);
    size_t n = s->request.window_count * HORIZON;
    double *out = calloc(n, sizeof(double)), *again = calloc(n, sizeof(double)), *naive = calloc(n, sizeof(double));
    bench_error error = {0};
    clock_t start = clock();
    int status = fit_and_predict(f, overrides, override_count, s, 3, out, &error);
    double cpu_seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    if (status != BENCH_OK)
        fail_msg("%s: %s", f->name, error.message);
    for (size_t w = 0; w < s->request.window_count; w++)
        for (size_t k = 0; k < HORIZON; k++)
            naive[w * HORIZON + k] = s->windows[w].history[s->windows[w].history_length - 1];
    double model_mse = mse(out, s->truth, n), naive_mse = mse(naive, s->truth, n);
    print_message("%s: test MSE %.4f, naive %.4f (ratio %.3f, required < %.2f), fit+predict %.2f s CPU\n", f->name,
                  model_mse, naive_mse, model_mse / naive_mse, max_ratio, cpu_seconds);
    assert_true(model_mse < max_ratio * naive_mse);
    /* Same seed, same threads: bit-identical forecasts. */
    assert_int_equal(fit_and_predict(f, overrides, override_count, s, 3, again, &error), BENCH_OK);
    assert_memory_equal(out, again, n * sizeof(double));
    free(out);
    free(again);
    free(naive);
    free(s);
}

/* Each model, briefly trained on the sine, beats the naive forecast's MSE by
 * its ratio, reproducibly (N-BEATS with generic and interpretable stacks). */
static void models_learn_a_sine(void **unused)
{
    (void)unused;
    static const struct {
        const bench_forecaster *forecaster;
        const char *settings[8];
        size_t count;
        double max_ratio;
    } cases[] = {
        {&bench_forecaster_dlinear, {"epochs=4"}, 1, 0.2},
        {&bench_forecaster_nlinear, {"epochs=4"}, 1, 0.2},
        {&bench_forecaster_mlp, {"epochs=6", "hidden=64,64", "dropout=0"}, 3, 0.2},
        {&bench_forecaster_patchtst,
         {"epochs=3", "batch_size=32", "learning_rate=0.001", "e_layers=1", "dropout=0.1"}, 5, 0.3},
        {&bench_forecaster_nbeats, {"epochs=4", "batch_size=32", "blocks=2", "width=64"}, 4, 0.2},
        {&bench_forecaster_nbeats, {"epochs=4", "batch_size=32", "blocks=1", "width=64", "stacks=interpretable"}, 5,
         0.2},
        {&bench_forecaster_lstnet, {"epochs=3", "batch_size=32", "hid_cnn=16", "hid_rnn=16", "dropout=0"}, 5, 0.3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        learns_sine(cases[i].forecaster, cases[i].settings, cases[i].count, cases[i].max_ratio);
}

static void deepar_learns_a_sine_and_samples(void **unused)
{
    (void)unused;
    const char *fast[] = {"epochs=8", "batch_size=32", "hidden=32", "layers=1", "samples=50", "max_windows=300", "learning_rate=0.005"};
    learns_sine(&bench_forecaster_deepar, fast, 7, 0.3);
    /* Sample paths: spread around the truth, median equal to predict's point forecast. */
    synthetic *s = calloc(1, sizeof *s);
    make_synthetic(s);
    param_set set;
    make_params(&set, &bench_forecaster_deepar, fast, 7);
    bench_task_info task = task_info();
    bench_error error = {0};
    bench_model *model = NULL;
    bench_rng rng;
    bench_rng_seed(&rng, 4);
    assert_int_equal(bench_forecaster_deepar.create(&model, &set.params, &task, &error), BENCH_OK);
    assert_int_equal(bench_forecaster_deepar.fit(model, &s->train, &rng, &error), BENCH_OK);
    bench_forecast_request one = {.horizon = HORIZON, .window_count = 1, .windows = s->windows};
    const size_t paths = 300; /* more than one chunk of the sampling buffers is fine too */
    double *samples = calloc(paths * HORIZON, sizeof(double));
    assert_int_equal(bench_forecaster_deepar.predict_samples(model, &one, paths, &rng, samples, &error), BENCH_OK);
    size_t below = 0;
    double spread = 0.0;
    for (size_t p = 0; p < paths; p++) {
        below += samples[p * HORIZON] < s->truth[0];
        spread += fabs(samples[p * HORIZON] - samples[0]);
    }
    print_message("deepar: %zu of %zu first-step draws below the truth, mean spread %.3f\n", below, paths,
                  spread / (double)paths);
    assert_in_range(below, paths / 10, paths - paths / 10);
    assert_true(spread > 0.0);
    free(samples);
    bench_forecaster_deepar.destroy(model);
    free(s);
}

typedef struct loss_case {
    bench_model *model;
    const float *inputs, *targets;
    size_t rows;
    float value;
} loss_case;

static void loss_case_fwd(void *c_)
{
    loss_case *c = c_;
    c->value = (float)c->model->arch->loss(c->model->net, c->model, c->inputs, c->targets, c->rows, 0, NULL);
}

static void loss_case_bwd(void *c_, const float *dout)
{
    (void)dout;
    loss_case *c = c_;
    (void)c->model->arch->loss(c->model->net, c->model, c->inputs, c->targets, c->rows, 1, NULL);
}

static void deepar_likelihood_gradients(void **unused)
{
    (void)unused;
    param_set set;
    make_params(&set, &bench_forecaster_deepar, (const char *[]){"hidden=3", "layers=2", "samples=4"}, 3);
    bench_task_info task = task_info();
    task.lookback = 5;
    task.horizon = 3;
    bench_error error = {0};
    bench_model *model = NULL;
    assert_int_equal(bench_forecaster_deepar.create(&model, &set.params, &task, &error), BENCH_OK);
    assert_int_equal(reserve_rows(model, 2, &error), BENCH_OK);
    bench_rng rng;
    bench_rng_seed(&rng, 8);
    model->arch->init(model->net, model, &rng);
    float inputs[10], targets[6];
    fill_uniform(inputs, 10, -1, 1, &rng);
    fill_uniform(targets, 6, -1, 1, &rng);
    loss_case c = {.model = model, .inputs = inputs, .targets = targets, .rows = 2};
    grad_case g = {.name = "deepar likelihood", .out = &c.value, .out_count = 1, .forward = loss_case_fwd,
                   .backward = loss_case_bwd, .state = &c, .unit_projection = 1, .atol = 2e-3, .rtol = 2e-2};
    for (size_t t = 0; t < model->params.tensor_count; t++)
        grad_case_add(&g, model->params.tensors[t].name, nn_params_value(&model->params, t),
                      nn_params_grad(&model->params, t), nn_params_count(&model->params, t));
    run_grad_case(&g, 41);
    bench_forecaster_deepar.destroy(model);
}

/* ---- every architecture's backward against central differences ---------------- */

typedef struct arch_case {
    bench_model *model;
    const float *inputs;
    size_t rows;
    float *outputs;
} arch_case;

static void arch_fwd(void *c_)
{
    arch_case *c = c_;
    bench_rng rng;
    bench_rng_seed(&rng, 1); /* dropout is 0 in these checks; a fixed stream all the same */
    c->model->arch->forward(c->model->net, c->model, c->inputs, c->rows, 1, &rng, c->outputs);
}

static void arch_bwd(void *c_, const float *dout)
{
    arch_case *c = c_;
    c->model->arch->backward(c->model->net, c->model, dout, c->rows);
}

static void check_arch_gradients(const bench_forecaster *f, const char *const *overrides, size_t override_count,
                                 size_t input_length, size_t horizon)
{
    param_set set;
    make_params(&set, f, overrides, override_count);
    bench_task_info task = task_info();
    task.lookback = input_length;
    task.horizon = horizon;
    bench_error error = {0};
    bench_model *model = NULL;
    if (f->create(&model, &set.params, &task, &error) != BENCH_OK)
        fail_msg("%s: %s", f->name, error.message);
    const size_t rows = 3;
    assert_int_equal(reserve_rows(model, rows, &error), BENCH_OK);
    bench_rng rng;
    bench_rng_seed(&rng, 21);
    model->arch->init(model->net, model, &rng);
    /* Off the initial values (unit norms, zero biases), so every weight matters. */
    for (size_t i = 0; i < model->params.total; i++)
        model->params.values[i] += 0.05f * (2.0f * bench_rng_uniform_float(&rng) - 1.0f);
    float *inputs = test_alloc(rows * input_length), *outputs = test_alloc(rows * horizon);
    for (size_t i = 0; i < rows * input_length; i++)
        inputs[i] = (float)sin(0.3 * (double)i) + 0.3f * (2.0f * bench_rng_uniform_float(&rng) - 1.0f);
    arch_case c = {.model = model, .inputs = inputs, .rows = rows, .outputs = outputs};
    grad_case g = {.name = f->name, .out = outputs, .out_count = rows * horizon, .forward = arch_fwd,
                   .backward = arch_bwd, .state = &c, .atol = 2e-3, .rtol = 2e-2};
    for (size_t t = 0; t < model->params.tensor_count; t++)
        if (model->params.tensors[t].trainable) {
            if (g.tensor_count == GRAD_CASE_MAX_TENSORS) {
                run_grad_case(&g, 31);
                g.tensor_count = 0;
            }
            grad_case_add(&g, model->params.tensors[t].name, nn_params_value(&model->params, t),
                          nn_params_grad(&model->params, t), nn_params_count(&model->params, t));
        }
    run_grad_case(&g, 31);
    free(inputs);
    free(outputs);
    f->destroy(model);
}

static void architecture_gradients(void **unused)
{
    (void)unused;
    check_arch_gradients(&bench_forecaster_dlinear, (const char *[]){"kernel=5"}, 1, 12, 4);
    check_arch_gradients(&bench_forecaster_nlinear, NULL, 0, 12, 4);
    check_arch_gradients(&bench_forecaster_mlp, (const char *[]){"hidden=6,5", "dropout=0"}, 2, 10, 4);
    check_arch_gradients(&bench_forecaster_patchtst,
                         (const char *[]){"patch_len=4", "stride=2", "d_model=4", "n_heads=2", "d_ff=6", "e_layers=2",
                                          "dropout=0"},
                         7, 12, 3);
    check_arch_gradients(&bench_forecaster_nbeats, (const char *[]){"blocks=2", "width=5", "layers=2"}, 3, 10, 4);
    check_arch_gradients(&bench_forecaster_nbeats,
                         (const char *[]){"blocks=1", "width=5", "layers=2", "stacks=interpretable", "degree=2"}, 5,
                         10, 6);
    check_arch_gradients(&bench_forecaster_lstnet,
                         (const char *[]){"kernel=3", "hid_cnn=3", "hid_rnn=3", "hid_skip=2", "skip=3", "highway=4",
                                          "dropout=0"},
                         7, 12, 4);
}

static void bad_inputs_fail_clearly(void **unused)
{
    (void)unused;
    synthetic *s = calloc(1, sizeof *s);
    make_synthetic(s);
    double *out = calloc(s->request.window_count * HORIZON, sizeof(double));
    bench_error error = {0};
    /* 900 − 48 − 12 + 1 = 841 time origins: a batch of 5000 cannot be formed. */
    const char *huge_batch[] = {"batch_size=5000"};
    assert_int_equal(fit_and_predict(&bench_forecaster_dlinear, huge_batch, 1, s, 1, out, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "batch_size 5000"));
    assert_non_null(strstr(error.message, "841"));
    /* A learning rate that overflows float within an epoch: the loss turns non-finite. */
    const char *diverging[] = {"learning_rate=10", "optimizer=sgd", "schedule=constant"};
    for (size_t c = 0; c < 2; c++)
        for (size_t t = 0; t < SERIES_LENGTH; t++)
            s->values[c][t] *= 1e6;
    int status = fit_and_predict(&bench_forecaster_nlinear, diverging, 3, s, 1, out, &error);
    assert_int_equal(status, BENCH_MODEL);
    print_message("diverging: %s\n", error.message);
    assert_non_null(strstr(error.message, "epoch 1"));
    free(out);
    free(s);
}

static void checkpoint_round_trip_and_foreign_file(void **unused)
{
    (void)unused;
    synthetic *s = calloc(1, sizeof *s);
    make_synthetic(s);
    size_t n = s->request.window_count * HORIZON;
    double *out = calloc(n, sizeof(double)), *loaded_out = calloc(n, sizeof(double));
    char path[] = "/tmp/bench-deep-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *fast[] = {"epochs=2"};
    param_set set;
    make_params(&set, &bench_forecaster_dlinear, fast, 1);
    bench_task_info task = task_info();
    bench_error error = {0};
    bench_model *model = NULL, *loaded = NULL;
    bench_rng rng;
    bench_rng_seed(&rng, 9);
    assert_int_equal(bench_forecaster_dlinear.create(&model, &set.params, &task, &error), BENCH_OK);
    assert_int_equal(bench_forecaster_dlinear.fit(model, &s->train, &rng, &error), BENCH_OK);
    assert_int_equal(bench_forecaster_dlinear.predict(model, &s->request, &rng, out, &error), BENCH_OK);
    assert_int_equal(bench_forecaster_dlinear.save(model, path, &error), BENCH_OK);
    assert_int_equal(bench_forecaster_dlinear.load(&loaded, path, &set.params, &task, &error), BENCH_OK);
    assert_int_equal(bench_forecaster_dlinear.predict(loaded, &s->request, &rng, loaded_out, &error), BENCH_OK);
    assert_memory_equal(out, loaded_out, n * sizeof(double));
    bench_forecaster_dlinear.destroy(loaded);
    /* Another model's checkpoint, and the same model with another input length. */
    param_set nset;
    make_params(&nset, &bench_forecaster_nlinear, NULL, 0);
    assert_int_equal(bench_forecaster_nlinear.load(&loaded, path, &nset.params, &task, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "dlinear"));
    const char *longer[] = {"input_length=60"};
    make_params(&set, &bench_forecaster_dlinear, longer, 1);
    assert_int_equal(bench_forecaster_dlinear.load(&loaded, path, &set.params, &task, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "linear_seasonal.weight"));
    bench_forecaster_dlinear.destroy(model);
    unlink(path);
    free(out);
    free(loaded_out);
    free(s);
}

TEST_MAIN("nn_forecasters", NULL, NULL,
          cmocka_unit_test(models_learn_a_sine),
          cmocka_unit_test(deepar_learns_a_sine_and_samples),
          cmocka_unit_test(deepar_likelihood_gradients),
          cmocka_unit_test(architecture_gradients),
          cmocka_unit_test(bad_inputs_fail_clearly),
          cmocka_unit_test(checkpoint_round_trip_and_foreign_file))
