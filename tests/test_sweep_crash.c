/* Crash safety: a sweep killed with SIGKILL at random points (the whole process
 * group, as the OOM killer or a scheduler does), resumed after every kill, ends
 * with a results.csv byte-identical to an uninterrupted run.  Between kills a
 * results.csv is either absent or already the complete, identical file: never
 * partial.  The kill times come from a seeded bench_rng, so a failure replays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/rng.h"
#include "support_bench.h"
#include "support_sweep.h"
#include "support_files.h"
#include "support_cmocka.h"

#define KILLS 20
#define CELLS 96
#define KILL_SEED 20260901u

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Start `bench run config --out out [--resume] --jobs J` in its own process group. */
static pid_t start_sweep(const char *config, const char *out, int resume, unsigned jobs)
{
    char jobs_text[16];
    snprintf(jobs_text, sizeof jobs_text, "%u", jobs);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        setpgid(0, 0);
        if (freopen("/dev/null", "w", stdout) == NULL || freopen("/dev/null", "w", stderr) == NULL)
            _exit(126);
        const char *argv[] = {test_bench_binary(), "run", config, "--out", out, "--quiet", "--jobs", jobs_text,
                              resume ? "--resume" : NULL, NULL};
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    setpgid(child, child); /* also here, so the group exists before any kill */
    return child;
}


static void sigkill_at_random_points_then_resume_is_byte_identical(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char config[4200], reference[4200], killed[4300], path[4400];
    snprintf(config, sizeof config, "%s/crash.ini", work);
    snprintf(reference, sizeof reference, "%s/reference", work);
    snprintf(killed, sizeof killed, "%s/killed", work);
    /* 16 seeds × 2 horizons × 3 models = 96 cells of a few milliseconds each. */
    sweep_write_config(config, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16");

    double start = now_seconds();
    pid_t child = start_sweep(config, reference, 0, 1);
    int status = 0;
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    double full_seconds = now_seconds() - start;
    snprintf(path, sizeof path, "%s/results.csv", reference);
    size_t reference_length = 0;
    char *expected = test_read_file(path, &reference_length);
    assert_non_null(expected);
    assert_true(sweep_finished_cells(reference) == CELLS);

    /* Kill times uniform over [0, full/8): start-up (plan, data, trial models) takes
     * about a tenth of a full run, so kills land during start-up, mid-sweep a few
     * cells further on, or during the final merge.  A sweep that completes before
     * a kill is checked and a fresh one starts in a new directory (a new round),
     * until KILLS kills have landed. */
    bench_rng rng;
    bench_rng_seed(&rng, KILL_SEED);
    size_t kills = 0, mid_sweep = 0, rounds = 0, attempts = 0, runs_in_round = 0;
    snprintf(killed, sizeof killed, "%s/killed%zu", work, rounds);
    snprintf(path, sizeof path, "%s/results.csv", killed);
    /* The machine's load changes how long start-up takes from run to run: the kill
     * window widens after a kill that landed before any cell finished and narrows
     * after a sweep that finished first, so kills keep landing mid-sweep. */
    double window = full_seconds / 8;
    while (kills < KILLS && attempts++ < 10 * KILLS) {
        unsigned jobs = 1 + (unsigned)bench_rng_below(&rng, 2);
        double delay = bench_rng_uniform(&rng) * window;
        size_t before = sweep_finished_cells(killed);
        child = start_sweep(config, killed, runs_in_round++ > 0, jobs);
        struct timespec pause = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
        nanosleep(&pause, NULL);
        int finished = waitpid(child, &status, WNOHANG) == child;
        if (!finished) {
            kill(-child, SIGKILL);
            waitpid(child, &status, 0);
            kills++;
            size_t after = sweep_finished_cells(killed);
            mid_sweep += after > before && after < CELLS;
            if (after == before)
                window *= 1.5;
        } else {
            window *= 0.7;
        }
        /* Never a partial results.csv: absent, or the whole identical file. */
        size_t length = 0;
        char *results = test_read_file(path, &length);
        if (finished) {
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
            assert_non_null(results);
        }
        if (results != NULL) {
            if (length != reference_length || memcmp(results, expected, length) != 0)
                fprintf(stderr, "round %zu, after kill %zu: results.csv differs from the uninterrupted run\n", rounds,
                        kills);
            assert_int_equal(length, reference_length);
            assert_memory_equal(results, expected, length);
            free(results);
        }
        if (finished) {
            rounds++;
            runs_in_round = 0;
            snprintf(killed, sizeof killed, "%s/killed%zu", work, rounds);
            snprintf(path, sizeof path, "%s/results.csv", killed);
        }
    }
    assert_int_equal(kills, KILLS);
    if (mid_sweep < KILLS / 4)
        fprintf(stderr, "only %zu of %d kills landed while cells were being written\n", mid_sweep, KILLS);
    assert_true(mid_sweep >= KILLS / 4);
    size_t cells_before_final = sweep_finished_cells(killed);
    /* The last round ends with an uninterrupted resume. */
    child = start_sweep(config, killed, 1, 2);
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    size_t length = 0;
    char *results = test_read_file(path, &length);
    assert_non_null(results);
    assert_int_equal(length, reference_length);
    assert_memory_equal(results, expected, length);
    free(results);
    /* bench merge's checks (one file per cell, rows matching the plan) agree. */
    const char *argv[] = {test_bench_binary(), "merge", killed, "--quiet", NULL};
    test_process_result merged;
    assert_int_equal(test_process_run(&merged, argv, NULL, NULL), 0);
    test_assert_exit(&merged, 0);
    test_process_free(&merged);
    results = test_read_file(path, &length);
    assert_int_equal(length, reference_length);
    assert_memory_equal(results, expected, length);
    free(results);
    fprintf(stderr,
            "note: %zu SIGKILLs (seed %u, %zu with cells finished between start and kill) over %zu completed "
            "round(s) + 1, %zu/%d cells of the last round done before its final resume; full run %.2f s\n",
            kills, KILL_SEED, mid_sweep, rounds, cells_before_final, CELLS, full_seconds);
    free(expected);
}

TEST_MAIN("sweep_crash", test_bench_setup, NULL,
          cmocka_unit_test(sigkill_at_random_points_then_resume_is_byte_identical))
