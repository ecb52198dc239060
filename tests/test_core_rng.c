/* RNG and parameter getters: determinism, ranges, and the typed parsing rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "bench/forecaster.h"
#include "bench/rng.h"
#include "support_cmocka.h"

static void same_seed_same_stream(void **state)
{
    (void)state;
    bench_rng a, b;
    bench_rng_seed(&a, 42);
    bench_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        assert_true(bench_rng_next(&a) == bench_rng_next(&b));
    bench_rng_seed(&b, 43);
    assert_false(bench_rng_next(&a) == bench_rng_next(&b));
}

static void uniform_and_normal_moments(void **state)
{
    (void)state;
    bench_rng rng;
    bench_rng_seed(&rng, 7);
    double sum = 0, sum_sq = 0, normal_sum = 0, normal_sq = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = bench_rng_uniform(&rng);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        sum_sq += u * u;
        double z = bench_rng_normal(&rng);
        normal_sum += z;
        normal_sq += z * z;
    }
    assert_float_equal(sum / n, 0.5, 0.005);
    assert_float_equal(sum_sq / n - 0.25, 1.0 / 12.0, 0.002);
    assert_float_equal(normal_sum / n, 0.0, 0.01);
    assert_float_equal(normal_sq / n, 1.0, 0.01);
}

static void below_is_in_range_and_shuffle_is_a_permutation(void **state)
{
    (void)state;
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++)
        counts[bench_rng_below(&rng, 7)]++;
    for (int k = 0; k < 7; k++)
        assert_in_range(counts[k], 9500, 10500);
    size_t items[100];
    for (size_t i = 0; i < 100; i++)
        items[i] = i;
    bench_rng_shuffle_size(&rng, items, 100);
    int seen[100] = {0};
    size_t moved = 0;
    for (size_t i = 0; i < 100; i++) {
        seen[items[i]]++;
        moved += items[i] != i;
    }
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(seen[i], 1);
    assert_true(moved > 50);
}

static void derived_streams_differ_by_purpose(void **state)
{
    (void)state;
    bench_rng a, b, c;
    bench_rng_derive(&a, 1, "shuffle");
    bench_rng_derive(&b, 1, "dropout");
    bench_rng_derive(&c, 1, "shuffle");
    uint64_t x = bench_rng_next(&a);
    assert_false(x == bench_rng_next(&b));
    assert_true(x == bench_rng_next(&c));
}

static void params_getters(void **state)
{
    (void)state;
    const char *names[] = {"window", "eta", "flag", "mode", "sizes"};
    const char *values[] = {"24", "0.07", "yes", "last", "64, 32,16"};
    bench_params params = {.count = 5, .names = names, .values = values};
    bench_error error;
    long window;
    double eta;
    int flag;
    const char *mode;
    long sizes[4];
    size_t size_count = 4;
    assert_int_equal(bench_params_get_int(&params, "window", &window, &error), BENCH_OK);
    assert_int_equal(window, 24);
    assert_int_equal(bench_params_get_real(&params, "eta", &eta, &error), BENCH_OK);
    assert_float_equal(eta, 0.07, 1e-15);
    assert_int_equal(bench_params_get_bool(&params, "flag", &flag, &error), BENCH_OK);
    assert_int_equal(flag, 1);
    assert_int_equal(bench_params_get_string(&params, "mode", &mode, &error), BENCH_OK);
    assert_string_equal(mode, "last");
    assert_int_equal(bench_params_get_int_list(&params, "sizes", sizes, &size_count, &error), BENCH_OK);
    assert_int_equal(size_count, 3);
    assert_int_equal(sizes[2], 16);
    assert_int_equal(bench_params_get_int(&params, "eta", &window, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "eta"));
    assert_int_equal(bench_params_get_int(&params, "missing", &window, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "missing"));
    assert_int_equal(bench_status_exit_code(BENCH_BAD_INPUT), 2);
    assert_int_equal(bench_status_exit_code(BENCH_MODEL), 1);
}

TEST_MAIN("core_rng", NULL, NULL,
          cmocka_unit_test(same_seed_same_stream),
          cmocka_unit_test(uniform_and_normal_moments),
          cmocka_unit_test(below_is_in_range_and_shuffle_is_a_permutation),
          cmocka_unit_test(derived_streams_differ_by_purpose),
          cmocka_unit_test(params_getters))
