/* Stopping and failing sweeps: SIGINT/SIGTERM exit 130/143 and leave a
 * resumable directory; an unwritable or full output directory fails clearly
 * with nothing half-written; `bench slurm` scripts carry the thread budget and,
 * run by hand as Slurm would, merge to the bytes of a plain run (the real
 * cluster: tests/test_sweep_slurm.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support_bench.h"
#include "support_sweep.h"
#include "support_cmocka.h"

static void interrupt_signals_exit_130_143_and_resume(void **state)
{
    (void)state;
    static const char seeds[] = "1,2,3,4,5,6,7,8"; /* 48 cells */
    sweep_dirs s;
    sweep_prepare(&s, seeds);
    const int signals[] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        char out[4400], err_path[4400];
        snprintf(out, sizeof out, "%s/stopped%d", s.work, i);
        snprintf(err_path, sizeof err_path, "%s/stderr%d.txt", s.work, i);
        const char *arguments[] = {"run", s.config, "--out", out, "--quiet", "--jobs", "2", NULL};
        pid_t child = test_bench_spawn(arguments, NULL, err_path);
        /* Signal the sweep (its parent only, as `kill PID` does) once some cells are done. */
        for (int tries = 0; tries < 2000 && sweep_finished_cells(out) < 3; tries++)
            test_sleep_ms(5);
        kill(child, signals[i]);
        int status = 0;
        waitpid(child, &status, 0);
        assert_true(WIFEXITED(status));
        char *err = test_read_file(err_path, NULL);
        if (WEXITSTATUS(status) != 128 + signals[i])
            fprintf(stderr, "signal %d: exit %d: %s", signals[i], WEXITSTATUS(status), err);
        assert_int_equal(WEXITSTATUS(status), 128 + signals[i]);
        assert_non_null(strstr(err, "--resume"));
        free(err);
        assert_false(sweep_exists_in(out, "results.csv"));
        size_t done = sweep_finished_cells(out);
        assert_true(done >= 3 && done < 48);
        /* Resumable: --resume finishes the rest and gives the plain run's bytes. */
        char *resume_err = NULL;
        assert_int_equal(sweep_bench(&resume_err, "run", s.config, "--out", out, "--resume", NULL), 0);
        char expect[64];
        snprintf(expect, sizeof expect, "%zu cells run, %zu resumed", 48 - done, done);
        if (strstr(resume_err, expect) == NULL)
            fprintf(stderr, "expected '%s' in: %s", expect, resume_err);
        assert_non_null(strstr(resume_err, expect));
        free(resume_err);
        sweep_assert_same_file(out, s.plain, "results.csv");
        assert_int_equal(sweep_temp_files(out), 0);
    }
}

static void unwritable_or_full_output_fails_cleanly(void **state)
{
    (void)state;
    sweep_dirs s;
    sweep_prepare(&s, "1,2");
    char *err = NULL;
    /* A directory that cannot be created (a file stands in the way). */
    char blocker[4400], out[4500];
    snprintf(blocker, sizeof blocker, "%s/a-file", s.work);
    assert_int_equal(test_write_file(blocker, "not a directory\n"), 0);
    snprintf(out, sizeof out, "%s/out", blocker);
    assert_int_equal(sweep_bench(&err, "run", s.config, "--out", out, "--quiet", NULL), 1);
    assert_non_null(strstr(err, "cannot create directory"));
    assert_non_null(strstr(err, blocker));
    free(err);
    assert_int_equal(sweep_bench(&err, "plan", s.config, "--out", out, NULL), 1);
    assert_non_null(strstr(err, blocker));
    free(err);

    /* A read-only directory (only meaningful when not root: root writes anyway). */
    if (geteuid() != 0) {
        char locked[4400];
        snprintf(locked, sizeof locked, "%s/locked", s.work);
        assert_int_equal(mkdir(locked, 0555), 0);
        assert_int_equal(sweep_bench(&err, "run", s.config, "--out", locked, "--quiet", NULL), 1);
        assert_non_null(strstr(err, locked));
        free(err);
        assert_int_equal(sweep_bench(&err, "merge", locked, "--from", s.plain, NULL), 1);
        free(err);
        chmod(locked, 0755);
    } else
        fprintf(stderr, "note: running as root; the read-only directory case is covered by the file-size limit below\n");

    /* A full disk, simulated by a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored so
     * writes fail with EFBIG as they would with ENOSPC): cells fit, results.csv does not. */
    char full[4400];
    snprintf(full, sizeof full, "%s/full", s.work);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit = {1200, 1200};
        setrlimit(RLIMIT_FSIZE, &limit);
        if (freopen("/dev/null", "w", stderr) == NULL || freopen("/dev/null", "w", stdout) == NULL)
            _exit(126);
        execl(test_bench_binary(), test_bench_binary(), "run", s.config, "--out", full, NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_false(sweep_exists_in(full, "results.csv"));
    assert_int_equal(sweep_temp_files(full), 0);
    /* With space again, --resume completes it. */
    assert_int_equal(sweep_bench(NULL, "run", s.config, "--out", full, "--quiet", "--resume", NULL), 0);
    sweep_assert_same_file(full, s.plain, "results.csv");

    /* bench merge into a full disk: an error, no results.csv. */
    char merged[4400];
    snprintf(merged, sizeof merged, "%s/merged", s.work);
    assert_int_equal(mkdir(merged, 0777), 0);
    child = fork();
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit = {1200, 1200};
        setrlimit(RLIMIT_FSIZE, &limit);
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(126);
        execl(test_bench_binary(), test_bench_binary(), "merge", merged, "--from", s.plain, NULL);
        _exit(127);
    }
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    assert_false(sweep_exists_in(merged, "results.csv"));
    assert_int_equal(sweep_temp_files(merged), 0);
}

static void slurm_scripts_match_the_thread_budget(void **state)
{
    (void)state;
    sweep_dirs s;
    sweep_prepare(&s, "1,2");
    char out[4400], *err = NULL;
    snprintf(out, sizeof out, "%s/cluster", s.work);
    assert_int_equal(sweep_bench(&err, "slurm", s.config, "--out", out, "--shards", "3", "--threads", "2", "--cpus", "4",
                           "--partition", "short", "--time", "0:10:00", "--mem", "2G", NULL),
                     0);
    assert_non_null(strstr(err, "12 cells in 3 array tasks of 4 cpus (2 cells at once, 2 thread(s) each)"));
    free(err);
    char *array = sweep_read_in(out, "slurm/shards.sbatch", NULL), *merge = sweep_read_in(out, "slurm/merge.sbatch", NULL);
    assert_non_null(array);
    assert_non_null(merge);
    static const char *const expected[] = {"#SBATCH --array=0-2\n", "#SBATCH --cpus-per-task=4\n",
                                           "#SBATCH --partition=short\n", "#SBATCH --time=0:10:00\n",
                                           "#SBATCH --mem=2G\n", "--shard \"$SLURM_ARRAY_TASK_ID/3\"",
                                           "--jobs 2", "--resume", "'--threads' '2'"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (strstr(array, expected[i]) == NULL)
            fprintf(stderr, "missing '%s' in:\n%s", expected[i], array);
        assert_non_null(strstr(array, expected[i]));
    }
    assert_non_null(strstr(merge, "' merge '"));
    assert_non_null(strstr(merge, "#SBATCH --cpus-per-task=1\n"));
    assert_true(sweep_exists_in(out, "plan.csv"));
    free(array), free(merge);

    /* Run the generated shard commands by hand (as Slurm would), then the merge. */
    for (int task = 0; task < 3; task++) {
        char command[9000], env[64];
        snprintf(env, sizeof env, "SLURM_ARRAY_TASK_ID=%d", task);
        snprintf(command, sizeof command, "%s sh '%s/slurm/shards.sbatch'", env, out);
        assert_int_equal(system(command), 0);
    }
    char command[9000];
    snprintf(command, sizeof command, "sh '%s/slurm/merge.sbatch' 2>/dev/null", out);
    assert_int_equal(system(command), 0);
    /* --threads 2 changes the cell ids, so compare with a plain run at 2 threads. */
    char two[4400];
    snprintf(two, sizeof two, "%s/two-threads", s.work);
    assert_int_equal(sweep_bench(NULL, "run", s.config, "--out", two, "--quiet", "--threads", "2", NULL), 0);
    sweep_assert_same_file(out, two, "results.csv");

    /* Fewer cpus than a cell's threads is refused. */
    assert_int_equal(sweep_bench(&err, "slurm", s.config, "--out", out, "--threads", "4", "--cpus", "2", NULL), 2);
    assert_non_null(strstr(err, "fewer than the 4 threads"));
    free(err);
}

TEST_MAIN("sweep_signals", sweep_setup, NULL,
          cmocka_unit_test(interrupt_signals_exit_130_143_and_resume),
          cmocka_unit_test(unwritable_or_full_output_fails_cleanly),
          cmocka_unit_test(slurm_scripts_match_the_thread_budget))
