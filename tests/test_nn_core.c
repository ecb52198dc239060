/* nn infrastructure: the GEMM wrapper against a naive reference on odd shapes,
 * the parameter block, checkpoints (good and bad files), optimizers against
 * PyTorch's update rules worked by hand, clipping and schedules. */
#include "tests/test_nn_harness.h"

#include <math.h>
#include <unistd.h>

#include "nn/gemm.h"
#include "nn/optim.h"
#include "nn/params.h"
#include "support_cmocka.h"

static void gemm_matches_reference_on_odd_shapes(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    size_t shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {13, 1, 17}, {3, 19, 2}, {33, 31, 29}, {5, 4, 0}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++) {
                size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
                /* Leading dimensions larger than the logical width (sub-matrix views). */
                size_t lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
                size_t a_rows = ta ? k : m, b_rows = tb ? n : k;
                float *a = test_alloc(a_rows * lda), *b = test_alloc(b_rows * ldb);
                float *c = test_alloc(m * ldc), *expected = test_alloc(m * ldc);
                fill_uniform(a, a_rows * lda, -1, 1, &rng);
                fill_uniform(b, b_rows * ldb, -1, 1, &rng);
                fill_uniform(c, m * ldc, -1, 1, &rng);
                memcpy(expected, c, m * ldc * sizeof(float));
                nn_gemm(ta, tb, m, n, k, 0.7f, a, lda, b, ldb, 0.3f, c, ldc);
                nn_gemm_reference(ta, tb, m, n, k, 0.7f, a, lda, b, ldb, 0.3f, expected, ldc);
                char report[256];
                if (nn_check_close(c, expected, m * ldc, 1e-5, 1e-5, report, sizeof report) != 0) {
                    print_error("gemm %zux%zux%zu ta=%d tb=%d: %s\n", m, n, k, ta, tb, report);
                    fail();
                }
                free(a); free(b); free(c); free(expected);
            }
    nn_set_threads(1);
    assert_int_equal(nn_get_threads(), 1);
}

static void make_params(nn_params *p, size_t hidden)
{
    bench_error error;
    nn_params_init(p);
    size_t w_shape[2] = {hidden, 3}, b_shape[1] = {hidden}, index;
    assert_int_equal(nn_params_add(p, "fc.weight", 2, w_shape, 1, &index, &error), BENCH_OK);
    assert_int_equal(nn_params_add(p, "fc.bias", 1, b_shape, 1, &index, &error), BENCH_OK);
    assert_int_equal(nn_params_add(p, "bn.running_mean", 1, b_shape, 0, &index, &error), BENCH_OK);
    assert_int_equal(nn_params_allocate(p, &error), BENCH_OK);
}

static void parameter_block_views_and_errors(void **unused)
{
    (void)unused;
    nn_params p;
    bench_error error;
    make_params(&p, 4);
    assert_int_equal(p.tensor_count, 3);
    assert_int_equal(nn_params_count(&p, 0), 12);
    assert_int_equal(nn_params_trainable_count(&p), 16);
    assert_int_equal(nn_params_find(&p, "fc.bias"), 1);
    assert_true(nn_params_find(&p, "nope") == SIZE_MAX);
    /* Views do not overlap and lie inside the one block. */
    assert_true(nn_params_value(&p, 1) >= nn_params_value(&p, 0) + 12);
    assert_true(nn_params_grad(&p, 0) == p.grads);
    size_t shape[1] = {2};
    assert_int_equal(nn_params_add(&p, "late", 1, shape, 1, NULL, &error), BENCH_INTERNAL);
    nn_params_free(&p);
    nn_params_init(&p);
    assert_int_equal(nn_params_add(&p, "x", 1, shape, 1, NULL, &error), BENCH_OK);
    assert_int_equal(nn_params_add(&p, "x", 1, shape, 1, NULL, &error), BENCH_INTERNAL);
    assert_non_null(strstr(error.message, "twice"));
    nn_params_free(&p);
}

static void write_bytes(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, size, f), size);
    fclose(f);
}

static void checkpoint_round_trip_and_bad_files(void **unused)
{
    (void)unused;
    char dir[] = "/tmp/bench-nn-ckpt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], bad_path[128];
    snprintf(path, sizeof path, "%s/model.bin", dir);
    snprintf(bad_path, sizeof bad_path, "%s/bad.bin", dir);
    bench_error error;
    bench_rng rng;
    bench_rng_seed(&rng, 3);
    nn_params saved, loaded;
    make_params(&saved, 4);
    fill_uniform(saved.values, saved.total, -1, 1, &rng);
    assert_int_equal(nn_params_save(&saved, "mlp", path, &error), BENCH_OK);
    make_params(&loaded, 4);
    assert_int_equal(nn_params_load(&loaded, "mlp", path, &error), BENCH_OK);
    for (size_t t = 0; t < saved.tensor_count; t++)
        assert_memory_equal(nn_params_value(&saved, t), nn_params_value(&loaded, t), nn_params_count(&saved, t) * 4);

    /* Another model's checkpoint. */
    assert_int_equal(nn_params_load(&loaded, "dlinear", path, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "'mlp'"));
    /* Same model, other shape. */
    nn_params other;
    make_params(&other, 5);
    assert_int_equal(nn_params_load(&other, "mlp", path, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "fc.weight"));
    nn_params_free(&other);

    /* Truncated, corrupted, and not a checkpoint at all. */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char bytes[4096];
    size_t size = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    write_bytes(bad_path, bytes, size - 10);
    assert_int_equal(nn_params_load(&loaded, "mlp", bad_path, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "truncated"));
    bytes[size - 20] ^= 0x40;
    write_bytes(bad_path, bytes, size);
    float before = loaded.values[0];
    assert_int_equal(nn_params_load(&loaded, "mlp", bad_path, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "checksum"));
    assert_true(loaded.values[0] == before); /* a failed load leaves the model unchanged */
    write_bytes(bad_path, "hello world, not a model", 24);
    assert_int_equal(nn_params_load(&loaded, "mlp", bad_path, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, bad_path));
    write_bytes(bad_path, "", 0);
    assert_int_equal(nn_params_load(&loaded, "mlp", bad_path, &error), BENCH_BAD_INPUT);
    unlink(bad_path);
    assert_int_equal(nn_params_load(&loaded, "mlp", bad_path, &error), BENCH_NOT_FOUND);
    unlink(path);
    rmdir(dir);
    nn_params_free(&saved);
    nn_params_free(&loaded);
}

static nn_params one_weight(float value, float grad)
{
    nn_params p;
    bench_error error;
    size_t shape[1] = {1};
    nn_params_init(&p);
    assert_int_equal(nn_params_add(&p, "w", 1, shape, 1, NULL, &error), BENCH_OK);
    assert_int_equal(nn_params_add(&p, "buffer", 1, shape, 0, NULL, &error), BENCH_OK);
    assert_int_equal(nn_params_allocate(&p, &error), BENCH_OK);
    p.values[0] = value;
    p.grads[0] = grad;
    nn_params_value(&p, 1)[0] = 5.0f;
    nn_params_grad(&p, 1)[0] = 1.0f;
    return p;
}

static void optimizers_follow_pytorch_rules(void **unused)
{
    (void)unused;
    /* SGD momentum 0.9, wd 0.1, lr 0.1, w=1, g=0.5 twice:
     * step 1: g'=0.6, buf=0.6, w=0.94; step 2: g'=0.594, buf=1.134, w=0.8266. */
    nn_params p = one_weight(1.0f, 0.5f);
    nn_optimizer sgd = nn_optimizer_sgd(0.1f, 0.9f, 0.1f);
    nn_optimizer_step(&sgd, &p);
    assert_float_equal(p.values[0], 0.94, 1e-6);
    nn_optimizer_step(&sgd, &p);
    assert_float_equal(p.values[0], 0.8266, 1e-6);
    assert_float_equal(nn_params_value(&p, 1)[0], 5.0, 0); /* buffers never move */
    nn_params_free(&p);
    /* Adam's first step moves by lr·g/(|g|+eps) ≈ lr. */
    p = one_weight(1.0f, -3.0f);
    nn_optimizer adam = nn_optimizer_adam(0.01f, 0.0f);
    nn_optimizer_step(&adam, &p);
    assert_float_equal(p.values[0], 1.01, 1e-6);
    nn_params_free(&p);
    /* AdamW decays decoupled: w·(1 − lr·wd) then the Adam step. */
    p = one_weight(2.0f, 1.0f);
    nn_optimizer adamw = nn_optimizer_adamw(0.1f, 0.5f);
    nn_optimizer_step(&adamw, &p);
    assert_float_equal(p.values[0], 2.0 * 0.95 - 0.1, 1e-6);
    nn_params_free(&p);
}

/* The vectorised update (4 lanes + scalar tail) against Adam/AdamW written out in double. */
static void adam_on_a_long_tensor_matches_the_formula(void **unused)
{
    (void)unused;
    for (int decoupled = 0; decoupled <= 1; decoupled++) {
        nn_params p;
        bench_error error;
        size_t shape[1] = {11};
        nn_params_init(&p);
        assert_int_equal(nn_params_add(&p, "w", 1, shape, 1, NULL, &error), BENCH_OK);
        assert_int_equal(nn_params_allocate(&p, &error), BENCH_OK);
        double w[11], m[11] = {0}, v[11] = {0};
        for (size_t i = 0; i < 11; i++)
            w[i] = p.values[i] = 0.1f * (float)i - 0.5f;
        nn_optimizer opt = decoupled ? nn_optimizer_adamw(0.01f, 0.1f) : nn_optimizer_adam(0.01f, 0.1f);
        for (int step = 1; step <= 3; step++) {
            for (size_t i = 0; i < 11; i++)
                p.grads[i] = (float)(0.3 * sin((double)(i + step)));
            nn_optimizer_step(&opt, &p);
            for (size_t i = 0; i < 11; i++) {
                double g = (float)(0.3 * sin((double)(i + step)));
                if (!decoupled)
                    g += 0.1 * w[i];
                else
                    w[i] *= 1.0 - 0.01 * 0.1;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double mhat = m[i] / (1 - pow(0.9, step)), vhat = v[i] / (1 - pow(0.999, step));
                w[i] -= 0.01 * mhat / (sqrt(vhat) + 1e-8);
            }
        }
        for (size_t i = 0; i < 11; i++)
            assert_float_equal(p.values[i], w[i], 1e-5);
        nn_params_free(&p);
    }
}

static void clipping_and_schedules(void **unused)
{
    (void)unused;
    nn_params p = one_weight(0.0f, 3.0f);
    assert_float_equal(nn_clip_grad_norm(&p, 1.0), 3.0, 1e-9); /* the buffer's gradient is not counted */
    assert_float_equal(p.grads[0], 1.0, 1e-5);
    assert_float_equal(nn_clip_grad_norm(&p, 10.0), 1.0, 1e-5);
    assert_float_equal(p.grads[0], 1.0, 1e-5);
    nn_params_free(&p);
    assert_float_equal(nn_lr_cosine(1.0f, 0.0f, 0, 10, 0), 1.0, 1e-7);
    assert_float_equal(nn_lr_cosine(1.0f, 0.0f, 5, 10, 0), 0.5, 1e-6);
    assert_float_equal(nn_lr_cosine(1.0f, 0.1f, 10, 10, 0), 0.1, 1e-7);
    assert_float_equal(nn_lr_cosine(1.0f, 0.0f, 1, 10, 4), 0.5, 1e-7);
    assert_float_equal(nn_lr_step(0.1f, 7, 3, 0.5f), 0.025, 1e-8);
}

static void kaiming_init_has_the_stated_spread(void **unused)
{
    (void)unused;
    bench_rng rng;
    bench_rng_seed(&rng, 5);
    size_t n = 20000;
    float *w = test_alloc(n);
    nn_init_kaiming_uniform(w, n, 50, &rng);
    double sq = 0.0, bound = sqrt(6.0 / 50.0);
    for (size_t i = 0; i < n; i++) {
        assert_true(fabs(w[i]) <= bound);
        sq += (double)w[i] * w[i];
    }
    assert_float_equal(sq / (double)n, 2.0 / 50.0, 0.002);
    float *again = test_alloc(n);
    bench_rng_seed(&rng, 5);
    nn_init_kaiming_uniform(again, n, 50, &rng);
    assert_memory_equal(w, again, n * sizeof(float));
    free(w);
    free(again);
}

TEST_MAIN("nn_core", NULL, NULL,
          cmocka_unit_test(gemm_matches_reference_on_odd_shapes),
          cmocka_unit_test(parameter_block_views_and_errors),
          cmocka_unit_test(checkpoint_round_trip_and_bad_files),
          cmocka_unit_test(optimizers_follow_pytorch_rules),
          cmocka_unit_test(adam_on_a_long_tensor_matches_the_formula),
          cmocka_unit_test(clipping_and_schedules),
          cmocka_unit_test(kaiming_init_has_the_stated_spread))
