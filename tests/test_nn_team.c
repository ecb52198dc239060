/* The thread team of nn/team.h: every index runs exactly once whatever the
 * team's size, runs follow one another on the same threads, and the row-split
 * GEMM gives the same bits for every team size and the reference's numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bench/rng.h"
#include "nn/check.h"
#include "nn/gemm.h"
#include "nn/team.h"
#include "support_cmocka.h"

typedef struct {
    atomic_int runs[200];
    atomic_int bad_worker;
    size_t size;
} count_context;

static void count_task(void *context, size_t index, size_t worker)
{
    count_context *c = context;
    atomic_fetch_add(&c->runs[index], 1);
    if (worker >= c->size)
        atomic_store(&c->bad_worker, 1);
}

static void every_index_runs_once(void **state)
{
    (void)state;
    for (unsigned threads = 0; threads <= 4; threads++) {
        nn_team *team = NULL;
        bench_error error = {0};
        assert_int_equal(nn_team_create(&team, threads, &error), BENCH_OK);
        assert_int_equal(nn_team_size(team), threads == 0 ? 1 : threads);
        for (size_t count = 0; count <= 200; count += 7) {
            static count_context c;
            memset(&c, 0, sizeof c);
            c.size = nn_team_size(team);
            nn_team_run(team, count, count_task, &c);
            for (size_t i = 0; i < 200; i++)
                assert_int_equal(atomic_load(&c.runs[i]), i < count ? 1 : 0);
            assert_int_equal(atomic_load(&c.bad_worker), 0);
        }
        nn_team_free(team);
    }
    assert_int_equal(nn_team_size(NULL), 1);
    nn_team_free(NULL);
}

static void team_gemm_is_the_same_for_every_size(void **state)
{
    (void)state;
    enum { M = 75, N = 33, K = 19 };
    float a[K * M], b[N * K], c0[M * N], expected[M * N], c[M * N];
    bench_rng rng;
    bench_rng_seed(&rng, 3);
    for (size_t i = 0; i < K * M; i++)
        a[i] = bench_rng_uniform_float(&rng) - 0.5f;
    for (size_t i = 0; i < N * K; i++)
        b[i] = bench_rng_uniform_float(&rng) - 0.5f;
    for (size_t i = 0; i < M * N; i++)
        c0[i] = bench_rng_uniform_float(&rng);
    for (int transpose = 0; transpose <= 1; transpose++) {
        /* op(A) (M, K): A is (M, K), or (K, M) when transposed; B is (N, K) transposed. */
        size_t lda = transpose ? M : K;
        memcpy(expected, c0, sizeof c0);
        nn_gemm_reference(transpose, 1, M, N, K, 0.5f, a, lda, b, K, 2.0f, expected, N);
        float first[M * N];
        for (unsigned threads = 1; threads <= 3; threads++) {
            nn_team *team = NULL;
            bench_error error = {0};
            assert_int_equal(nn_team_create(&team, threads, &error), BENCH_OK);
            memcpy(c, c0, sizeof c0);
            nn_team_gemm(team, transpose, 1, M, N, K, 0.5f, a, lda, b, K, 2.0f, c, N);
            nn_team_free(team);
            char report[256];
            if (nn_check_close(c, expected, M * N, 1e-5, 1e-5, report, sizeof report) != 0)
                fail_msg("team of %u, transpose %d: %s", threads, transpose, report);
            if (threads == 1)
                memcpy(first, c, sizeof c);
            else
                assert_memory_equal(first, c, sizeof c);
        }
    }
}

TEST_MAIN("nn_team", NULL, NULL,
          cmocka_unit_test(every_index_runs_once),
          cmocka_unit_test(team_gemm_is_the_same_for_every_size))
