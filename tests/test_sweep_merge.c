/* Sweeps across processes: `bench plan` writes the plan `bench run` runs, shards
 * merged give the bytes of a plain run (shards in one directory or in several),
 * `bench merge` refuses duplicates, conflicts and rows that contradict the plan
 * and lists missing cells, SIGINT/SIGTERM exit 130/143 leaving a resumable
 * directory, and an unwritable or full output directory fails clearly with
 * nothing half-written.  `bench slurm` scripts are checked as text here; the
 * real cluster run is tests/test_sweep_slurm.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support_process.h"

static char hourly_csv[4096];

static int setup(void **state)
{
    (void)state;
    snprintf(hourly_csv, sizeof hourly_csv, "%s/tests/data/harness/hourly.csv", test_source_dir());
    return access(test_bench_binary(), X_OK) == 0 ? 0 : -1;
}

/* Run bench with arguments (NULL-terminated); returns the exit code, stderr in *err (caller frees) when wanted. */
static int bench(char **err, const char *first, ...)
{
    const char *argv[40] = {test_bench_binary(), first};
    size_t count = 2;
    va_list list;
    va_start(list, first);
    const char *argument;
    while ((argument = va_arg(list, const char *)) != NULL && count < 39)
        argv[count++] = argument;
    va_end(list);
    argv[count] = NULL;
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, test_source_dir(), NULL), 0);
    if (err != NULL)
        *err = strdup(result.err);
    else if (result.exit_code != 0 && result.exit_code != 1)
        fprintf(stderr, "bench %s: exit %d: %s", first, result.exit_code, result.err);
    int code = result.exit_code;
    test_process_free(&result);
    return code;
}

static void write_config(const char *path, const char *seeds)
{
    char text[8192];
    snprintf(text, sizeof text,
             "[run]\nseeds = %s\n\n[dataset tiny]\npath = %s\nstep_seconds = 3600\nseasonal_period = 24\n"
             "protocol = ltsf\nlookback = 48\nhorizons = 12,24\n\n[model naive]\n[model seasonal_naive]\n"
             "[model mean]\nwindow = 24\n",
             seeds, hourly_csv);
    assert_int_equal(test_write_file(path, text), 0);
}

static char *read_in(const char *dir, const char *name, size_t *length)
{
    char path[8800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return test_read_file(path, length);
}

static int exists_in(const char *dir, const char *name)
{
    char path[8800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void assert_same_file(const char *dir_a, const char *dir_b, const char *name)
{
    size_t length_a = 0, length_b = 0;
    char *a = read_in(dir_a, name, &length_a), *b = read_in(dir_b, name, &length_b);
    if (a == NULL || b == NULL || length_a != length_b || memcmp(a, b, length_a) != 0)
        fprintf(stderr, "%s/%s and %s/%s differ (%zu vs %zu bytes)\n", dir_a, name, dir_b, name, length_a, length_b);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(length_a, length_b);
    assert_memory_equal(a, b, length_a);
    free(a), free(b);
}

/* Files whose name has ".tmp." anywhere under dir (a half-written leftover). */
static size_t temp_files(const char *dir)
{
    char command[4400];
    snprintf(command, sizeof command, "find '%s' -name '*.tmp.*' | wc -l", dir);
    FILE *pipe = popen(command, "r");
    size_t count = 0;
    if (pipe == NULL || fscanf(pipe, "%zu", &count) != 1)
        count = 999;
    if (pipe)
        pclose(pipe);
    return count;
}

typedef struct sweep {
    char work[4200], config[4300], plain[4300];
} sweep;

/* A work directory with a config and its plain (unsharded) run. */
static void prepare(sweep *s, const char *seeds)
{
    snprintf(s->work, sizeof s->work, "%s", test_temp_dir());
    snprintf(s->config, sizeof s->config, "%s/tiny.ini", s->work);
    snprintf(s->plain, sizeof s->plain, "%s/plain", s->work);
    write_config(s->config, seeds);
    assert_int_equal(bench(NULL, "run", s->config, "--out", s->plain, "--quiet", NULL), 0);
}

static void plan_matches_run_and_shards_merge_to_plain_bytes(void **state)
{
    (void)state;
    sweep s;
    prepare(&s, "1,2,3");
    char planned[4400], sharded[4400], parallel[4400];
    snprintf(planned, sizeof planned, "%s/planned", s.work);
    snprintf(sharded, sizeof sharded, "%s/sharded", s.work);
    snprintf(parallel, sizeof parallel, "%s/parallel", s.work);
    assert_int_equal(bench(NULL, "plan", s.config, "--out", planned, NULL), 0);
    assert_same_file(planned, s.plain, "plan.csv");
    assert_false(exists_in(planned, "results.csv"));

    /* Three shards into one directory; no shard writes a (partial) results.csv. */
    const char *shards[] = {"0/3", "1/3", "2/3"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bench(NULL, "run", s.config, "--out", sharded, "--quiet", "--shard", shards[i], NULL), 0);
        assert_false(exists_in(sharded, "results.csv"));
    }
    char *err = NULL;
    assert_int_equal(bench(&err, "merge", sharded, NULL), 0);
    assert_non_null(strstr(err, "18 cells"));
    free(err);
    assert_same_file(sharded, s.plain, "results.csv");
    /* Merging again changes nothing. */
    assert_int_equal(bench(NULL, "merge", sharded, "--quiet", NULL), 0);
    assert_same_file(sharded, s.plain, "results.csv");

    /* --jobs 2 and a sharded run with --jobs 2 give the same bytes too. */
    assert_int_equal(bench(NULL, "run", s.config, "--out", parallel, "--quiet", "--jobs", "2", NULL), 0);
    assert_same_file(parallel, s.plain, "results.csv");
}

static void shards_from_separate_directories_merge(void **state)
{
    (void)state;
    sweep s;
    prepare(&s, "1,2");
    char a[4400], b[4400], final[4400];
    snprintf(a, sizeof a, "%s/shard0", s.work);
    snprintf(b, sizeof b, "%s/shard1", s.work);
    snprintf(final, sizeof final, "%s/final", s.work);
    assert_int_equal(bench(NULL, "run", s.config, "--out", a, "--quiet", "--shard", "0/2", NULL), 0);
    assert_int_equal(bench(NULL, "run", s.config, "--out", b, "--quiet", "--shard", "1/2", NULL), 0);
    /* final has no plan.csv of its own: it comes from the sources. */
    assert_int_equal(mkdir(final, 0777), 0);
    assert_int_equal(bench(NULL, "merge", final, "--from", a, "--from", b, "--quiet", NULL), 0);
    assert_same_file(final, s.plain, "results.csv");

    /* One shard alone: the other's cells are missing, listed, nothing written. */
    char lonely[4400];
    snprintf(lonely, sizeof lonely, "%s/lonely", s.work);
    assert_int_equal(mkdir(lonely, 0777), 0);
    char *err = NULL;
    assert_int_equal(bench(&err, "merge", lonely, "--from", a, NULL), 1);
    assert_non_null(strstr(err, "6 of 12 cells are not finished"));
    assert_non_null(strstr(err, "seed=2"));
    assert_false(exists_in(lonely, "results.csv"));
    free(err);

    /* The same shard twice is a duplicate, refused even though the rows agree. */
    char twice[4400];
    snprintf(twice, sizeof twice, "%s/twice", s.work);
    assert_int_equal(mkdir(twice, 0777), 0);
    assert_int_equal(bench(&err, "merge", twice, "--from", a, "--from", b, "--from", a, NULL), 2);
    assert_non_null(strstr(err, "identical rows"));
    assert_false(exists_in(twice, "results.csv"));
    free(err);

    /* A shard directory of another sweep (other seeds) has another plan. */
    char other_config[4400], other[4400];
    snprintf(other_config, sizeof other_config, "%s/other.ini", s.work);
    snprintf(other, sizeof other, "%s/other", s.work);
    write_config(other_config, "7,8");
    assert_int_equal(bench(NULL, "run", other_config, "--out", other, "--quiet", "--shard", "1/2", NULL), 0);
    assert_int_equal(bench(&err, "merge", twice, "--from", a, "--from", other, NULL), 2);
    assert_non_null(strstr(err, "different sweeps"));
    free(err);
}

/* Replace the first occurrence of from by to in dir/cells/<the file of plan row row>. */
static void tamper_cell(const char *dir, size_t row, const char *from, const char *to, char id_out[17])
{
    char *plan = read_in(dir, "plan.csv", NULL);
    assert_non_null(plan);
    const char *line = plan;
    for (size_t r = 0; r <= row; r++)
        line = strchr(line, '\n') + 1;
    const char *id = strchr(line, ',') + 1;
    snprintf(id_out, 17, "%.16s", id);
    free(plan);
    char name[64];
    snprintf(name, sizeof name, "cells/%s.csv", id_out);
    char *rows = read_in(dir, name, NULL);
    assert_non_null(rows);
    char *at = strstr(rows, from);
    assert_non_null(at);
    char changed[8192];
    snprintf(changed, sizeof changed, "%.*s%s%s", (int)(at - rows), rows, to, at + strlen(from));
    char path[8800];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(test_write_file(path, changed), 0);
    free(rows);
}

static void merge_refuses_conflicts_and_contradictions(void **state)
{
    (void)state;
    sweep s;
    prepare(&s, "1");
    char copy[4400], command[14000], id[17];
    snprintf(copy, sizeof copy, "%s/copy", s.work);
    char *err = NULL;

    /* A second copy of a cell with another value: conflicting duplicate. */
    snprintf(command, sizeof command, "cp -r '%s' '%s'", s.plain, copy);
    assert_int_equal(system(command), 0);
    tamper_cell(copy, 0, ",ok", "1,ok", id); /* value 0.12 -> 0.121 */
    assert_int_equal(bench(&err, "merge", s.plain, "--from", copy, NULL), 2);
    assert_non_null(strstr(err, "conflicting values"));
    assert_non_null(strstr(err, id));
    free(err);

    /* Inside one directory: a row contradicting plan.csv, a repeated metric, a
     * row of another cell, a non-number, a bad status, a truncated last row. */
    static const struct {
        const char *from, *to, *expect;
    } cases[] = {
        {",naive,", ",naive2,", "plan.csv says 'naive'"},
        {",12,", ",13,", "plan.csv says '12'"},
        {",mae,", ",mse,", "duplicate row"},
        {",ok\n", ",okay\n", "neither ok nor error"},
        {"ok\n", NULL, "incomplete"}, /* the last row loses its newline */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(command, sizeof command, "rm -rf '%s' && cp -r '%s' '%s'", copy, s.plain, copy);
        assert_int_equal(system(command), 0);
        if (cases[i].to != NULL)
            tamper_cell(copy, 0, cases[i].from, cases[i].to, id);
        else {
            tamper_cell(copy, 0, "forecast", "forecast", id);
            char path[8800];
            snprintf(path, sizeof path, "%s/cells/%s.csv", copy, id);
            size_t length = 0;
            char *rows = test_read_file(path, &length);
            rows[length - 1] = '\0';
            assert_int_equal(test_write_file(path, rows), 0);
            free(rows);
        }
        int code = bench(&err, "merge", copy, NULL);
        if (code != 2 || strstr(err, cases[i].expect) == NULL)
            fprintf(stderr, "case %zu (%s): exit %d: %s", i, cases[i].expect, code, err);
        assert_int_equal(code, 2);
        assert_non_null(strstr(err, cases[i].expect));
        assert_non_null(strstr(err, id)); /* the offending file is named */
        free(err);
        /* results.csv of the plain run was copied; the failed merge left it untouched. */
        assert_same_file(copy, s.plain, "results.csv");
    }

    /* A row of another cell pasted into a cell's file. */
    snprintf(command, sizeof command, "rm -rf '%s' && cp -r '%s' '%s'", copy, s.plain, copy);
    assert_int_equal(system(command), 0);
    tamper_cell(copy, 0, "forecast", "forecast", id);
    /* The last data row of results.csv belongs to the last cell, not to row 0's. */
    char *results = read_in(s.plain, "results.csv", NULL);
    size_t start = strlen(results) - 1;
    while (start > 0 && results[start - 1] != '\n')
        start--;
    char path[8800];
    snprintf(path, sizeof path, "%s/cells/%s.csv", copy, id);
    char *rows = test_read_file(path, NULL);
    char *other = strdup(results + start);
    char combined[8192];
    snprintf(combined, sizeof combined, "%s%s", rows, other);
    assert_int_equal(test_write_file(path, combined), 0);
    assert_int_equal(bench(&err, "merge", copy, NULL), 2);
    assert_non_null(strstr(err, "in the file of cell"));
    free(err), free(rows), free(other), free(results);

    /* No plan.csv anywhere. */
    char empty[4400];
    snprintf(empty, sizeof empty, "%s/empty", s.work);
    assert_int_equal(mkdir(empty, 0777), 0);
    assert_int_equal(bench(&err, "merge", empty, NULL), 2);
    assert_non_null(strstr(err, "plan.csv not found"));
    free(err);
}

/* Start bench in the background; returns its pid.  stderr goes to err_path. */
static pid_t spawn_bench(const char *const arguments[], const char *err_path)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        FILE *sink = freopen(err_path, "w", stderr);
        (void)sink;
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(126);
        const char *argv[32] = {test_bench_binary()};
        size_t count = 1;
        for (size_t i = 0; arguments[i] != NULL && count < 31; i++)
            argv[count++] = arguments[i];
        argv[count] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return child;
}

static size_t count_cells(const char *dir)
{
    char path[8800];
    snprintf(path, sizeof path, "%s/cells", dir);
    DIR *listing = opendir(path);
    size_t count = 0;
    struct dirent *entry;
    while (listing != NULL && (entry = readdir(listing)) != NULL)
        count += strstr(entry->d_name, ".json") != NULL && strstr(entry->d_name, ".tmp.") == NULL;
    if (listing)
        closedir(listing);
    return count;
}

static void sleep_ms(long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static void interrupt_signals_exit_130_143_and_resume(void **state)
{
    (void)state;
    static const char seeds[] = "1,2,3,4,5,6,7,8,9,10,11,12"; /* 72 cells */
    sweep s;
    prepare(&s, seeds);
    const int signals[] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        char out[4400], err_path[4400];
        snprintf(out, sizeof out, "%s/stopped%d", s.work, i);
        snprintf(err_path, sizeof err_path, "%s/stderr%d.txt", s.work, i);
        const char *arguments[] = {"run", s.config, "--out", out, "--quiet", "--jobs", "2", NULL};
        pid_t child = spawn_bench(arguments, err_path);
        /* Signal the sweep (its parent only, as `kill PID` does) once some cells are done. */
        for (int tries = 0; tries < 2000 && count_cells(out) < 3; tries++)
            sleep_ms(5);
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
        assert_false(exists_in(out, "results.csv"));
        size_t done = count_cells(out);
        assert_true(done >= 3 && done < 72);
        /* Resumable: --resume finishes the rest and gives the plain run's bytes. */
        char *resume_err = NULL;
        assert_int_equal(bench(&resume_err, "run", s.config, "--out", out, "--resume", NULL), 0);
        char expect[64];
        snprintf(expect, sizeof expect, "%zu cells run, %zu resumed", 72 - done, done);
        if (strstr(resume_err, expect) == NULL)
            fprintf(stderr, "expected '%s' in: %s", expect, resume_err);
        assert_non_null(strstr(resume_err, expect));
        free(resume_err);
        assert_same_file(out, s.plain, "results.csv");
        assert_int_equal(temp_files(out), 0);
    }
}

static void unwritable_or_full_output_fails_cleanly(void **state)
{
    (void)state;
    sweep s;
    prepare(&s, "1,2");
    char *err = NULL;
    /* A directory that cannot be created (a file stands in the way). */
    char blocker[4400], out[4500];
    snprintf(blocker, sizeof blocker, "%s/a-file", s.work);
    assert_int_equal(test_write_file(blocker, "not a directory\n"), 0);
    snprintf(out, sizeof out, "%s/out", blocker);
    assert_int_equal(bench(&err, "run", s.config, "--out", out, "--quiet", NULL), 1);
    assert_non_null(strstr(err, "cannot create directory"));
    assert_non_null(strstr(err, blocker));
    free(err);
    assert_int_equal(bench(&err, "plan", s.config, "--out", out, NULL), 1);
    assert_non_null(strstr(err, blocker));
    free(err);

    /* A read-only directory (only meaningful when not root: root writes anyway). */
    if (geteuid() != 0) {
        char locked[4400];
        snprintf(locked, sizeof locked, "%s/locked", s.work);
        assert_int_equal(mkdir(locked, 0555), 0);
        assert_int_equal(bench(&err, "run", s.config, "--out", locked, "--quiet", NULL), 1);
        assert_non_null(strstr(err, locked));
        free(err);
        assert_int_equal(bench(&err, "merge", locked, "--from", s.plain, NULL), 1);
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
    assert_false(exists_in(full, "results.csv"));
    assert_int_equal(temp_files(full), 0);
    /* With space again, --resume completes it. */
    assert_int_equal(bench(NULL, "run", s.config, "--out", full, "--quiet", "--resume", NULL), 0);
    assert_same_file(full, s.plain, "results.csv");

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
    assert_false(exists_in(merged, "results.csv"));
    assert_int_equal(temp_files(merged), 0);
}

static void slurm_scripts_match_the_thread_budget(void **state)
{
    (void)state;
    sweep s;
    prepare(&s, "1,2");
    char out[4400], *err = NULL;
    snprintf(out, sizeof out, "%s/cluster", s.work);
    assert_int_equal(bench(&err, "slurm", s.config, "--out", out, "--shards", "5", "--threads", "2", "--cpus", "4",
                           "--partition", "short", "--time", "0:10:00", "--mem", "2G", NULL),
                     0);
    assert_non_null(strstr(err, "12 cells in 5 array tasks of 4 cpus (2 cells at once, 2 thread(s) each)"));
    free(err);
    char *array = read_in(out, "slurm/shards.sbatch", NULL), *merge = read_in(out, "slurm/merge.sbatch", NULL);
    assert_non_null(array);
    assert_non_null(merge);
    static const char *const expected[] = {"#SBATCH --array=0-4\n", "#SBATCH --cpus-per-task=4\n",
                                           "#SBATCH --partition=short\n", "#SBATCH --time=0:10:00\n",
                                           "#SBATCH --mem=2G\n", "--shard \"$SLURM_ARRAY_TASK_ID/5\"",
                                           "--jobs 2", "--resume", "'--threads' '2'"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        if (strstr(array, expected[i]) == NULL)
            fprintf(stderr, "missing '%s' in:\n%s", expected[i], array);
        assert_non_null(strstr(array, expected[i]));
    }
    assert_non_null(strstr(merge, "' merge '"));
    assert_non_null(strstr(merge, "#SBATCH --cpus-per-task=1\n"));
    assert_true(exists_in(out, "plan.csv"));
    free(array), free(merge);

    /* Run the generated shard commands by hand (as Slurm would), then the merge. */
    for (int task = 0; task < 5; task++) {
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
    assert_int_equal(bench(NULL, "run", s.config, "--out", two, "--quiet", "--threads", "2", NULL), 0);
    assert_same_file(out, two, "results.csv");

    /* Fewer cpus than a cell's threads is refused. */
    assert_int_equal(bench(&err, "slurm", s.config, "--out", out, "--threads", "4", "--cpus", "2", NULL), 2);
    assert_non_null(strstr(err, "fewer than the 4 threads"));
    free(err);
}

static void bad_usage_exits_2(void **state)
{
    (void)state;
    const char *cases[][6] = {
        {"plan", NULL},
        {"plan", "configs/m4-hourly.ini", NULL},
        {"merge", NULL},
        {"slurm", "configs/m4-hourly.ini", NULL},
        {"slurm", "configs/m4-hourly.ini", "--out", "/tmp/x", "--shards", "0"},
        {"plan", "/nonexistent.ini", "--out", "/tmp/nowhere-bench-plan", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[8] = {test_bench_binary()};
        for (size_t j = 0; j < 6 && cases[i][j] != NULL; j++)
            argv[j + 1] = cases[i][j];
        test_process_result result;
        assert_int_equal(test_process_run(&result, argv, test_source_dir(), NULL), 0);
        if (result.exit_code != 2)
            fprintf(stderr, "case %zu: exit %d: %s", i, result.exit_code, result.err);
        assert_int_equal(result.exit_code, 2);
        assert_true(strlen(result.err) > 0);
        test_process_free(&result);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_matches_run_and_shards_merge_to_plain_bytes),
        cmocka_unit_test(shards_from_separate_directories_merge),
        cmocka_unit_test(merge_refuses_conflicts_and_contradictions),
        cmocka_unit_test(interrupt_signals_exit_130_143_and_resume),
        cmocka_unit_test(unwritable_or_full_output_fails_cleanly),
        cmocka_unit_test(slurm_scripts_match_the_thread_budget),
        cmocka_unit_test(bad_usage_exits_2),
    };
    return cmocka_run_group_tests_name("sweep_merge", tests, setup, NULL);
}
