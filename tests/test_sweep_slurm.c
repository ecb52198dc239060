/* `bench slurm --submit` on a real one-node Slurm cluster started for the test
 * (tests/slurm/start-cluster.sh: munged, slurmctld, slurmd on localhost): the job
 * array runs the shards, the dependent job merges them, and the merged
 * results.csv equals a local run's byte for byte.  Skipped, with the reason
 * printed, where the cluster cannot start (not root, Slurm or munge missing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "support_process.h"
#include "support_sweep.h"
#include "support_files.h"
#include "support_cmocka.h"

static char cluster_dir[4200];
static char slurm_conf_env[4400];
static int cluster_started;

static int start_cluster(void **state)
{
    (void)state;
    if (access(test_bench_binary(), X_OK) != 0)
        return -1;
    /* munged runs as the munge user, which must reach its directory. */
    const char *top = test_temp_dir();
    if (top == NULL || chmod(top, 0755) != 0)
        return -1;
    snprintf(cluster_dir, sizeof cluster_dir, "%s/cluster", top);
    char script[4200];
    snprintf(script, sizeof script, "%s/tests/slurm/start-cluster.sh", test_source_dir());
    const char *argv[] = {"sh", script, cluster_dir, NULL};
    test_process_result result;
    if (test_process_run(&result, argv, NULL, NULL) != 0)
        return -1;
    cluster_started = result.exit_code == 0;
    if (cluster_started)
        snprintf(slurm_conf_env, sizeof slurm_conf_env, "SLURM_CONF=%s/slurm.conf", cluster_dir);
    else
        fprintf(stderr, "SKIPPED: single-node Slurm cluster did not start (exit %d): %s", result.exit_code,
                result.err[0] ? result.err : "no message\n");
    test_process_free(&result);
    return 0;
}

static int stop_cluster(void **state)
{
    (void)state;
    char script[4200];
    snprintf(script, sizeof script, "%s/tests/slurm/stop-cluster.sh", test_source_dir());
    const char *argv[] = {"sh", script, cluster_dir, NULL};
    test_process_result result;
    if (cluster_dir[0] && test_process_run(&result, argv, NULL, NULL) == 0)
        test_process_free(&result);
    return 0;
}

static void print_file(const char *path)
{
    char *text = test_read_file(path, NULL);
    fprintf(stderr, "---- %s\n%s", path, text ? text : "(absent)\n");
    free(text);
}

static void job_array_and_merge_job_equal_a_local_run(void **state)
{
    (void)state;
    if (!cluster_started)
        skip();
    const char *work = test_temp_dir();
    char config[4200], local[4200], cluster[4200], text[8192], path[4400];
    snprintf(config, sizeof config, "%s/tiny.ini", work);
    snprintf(local, sizeof local, "%s/local", work);
    snprintf(cluster, sizeof cluster, "%s/cluster", work);
    sweep_write_config(config, "1,2");
    test_process_result result;
    const char *local_argv[] = {test_bench_binary(), "run", config, "--out", local, "--quiet", NULL};
    assert_int_equal(test_process_run(&result, local_argv, NULL, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);

    const char *env[] = {slurm_conf_env, NULL};
    const char *slurm_argv[] = {test_bench_binary(), "slurm", config, "--out", cluster, "--shards", "2", "--submit",
                                NULL};
    assert_int_equal(test_process_run(&result, slurm_argv, NULL, env), 0);
    if (result.exit_code != 0)
        fprintf(stderr, "bench slurm --submit: exit %d: %s", result.exit_code, result.err);
    assert_int_equal(result.exit_code, 0);
    unsigned long array_job = 0, merge_job = 0;
    assert_int_equal(sscanf(result.out, "%lu %lu", &array_job, &merge_job), 2);
    assert_true(merge_job > array_job);
    test_process_free(&result);

    /* The merge job writes results.csv once both array tasks ended. */
    snprintf(path, sizeof path, "%s/results.csv", cluster);
    struct timespec tick = {0, 200 * 1000000L};
    int waited = 0;
    while (access(path, F_OK) != 0 && waited++ < 300) /* 60 s */
        nanosleep(&tick, NULL);
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "no results.csv after 60 s; Slurm logs:\n");
        const char *argv[] = {"squeue", NULL};
        if (test_process_run(&result, argv, NULL, env) == 0) {
            fprintf(stderr, "%s%s", result.out, result.err);
            test_process_free(&result);
        }
        for (int task = 0; task < 2; task++) {
            snprintf(text, sizeof text, "%s/slurm/shard-%d.out", cluster, task);
            print_file(text);
        }
        snprintf(text, sizeof text, "%s/slurm/merge.out", cluster);
        print_file(text);
        snprintf(text, sizeof text, "%s/log/slurmd.log", cluster_dir);
        print_file(text);
    }
    assert_int_equal(access(path, F_OK), 0);
    size_t local_length = 0, cluster_length = 0;
    snprintf(text, sizeof text, "%s/results.csv", local);
    char *expected = test_read_file(text, &local_length);
    char *merged = test_read_file(path, &cluster_length);
    assert_int_equal(cluster_length, local_length);
    assert_memory_equal(merged, expected, local_length);
    free(expected), free(merged);
    /* Each array task really ran under Slurm and the merge job said so. */
    for (int task = 0; task < 2; task++) {
        snprintf(text, sizeof text, "%s/slurm/shard-%d.out", cluster, task);
        assert_int_equal(access(text, F_OK), 0);
    }
    snprintf(text, sizeof text, "%s/slurm/merge.out", cluster);
    char *log = test_slurp(text);
    assert_non_null(strstr(log, "bench merge: 12 cells (0 failed)"));
    free(log);
    fprintf(stderr, "note: Slurm array job %lu (2 tasks) and merge job %lu matched the local run\n", array_job,
            merge_job);
}

TEST_MAIN("sweep_slurm", start_cluster, stop_cluster,
          cmocka_unit_test(job_array_and_merge_job_equal_a_local_run))
