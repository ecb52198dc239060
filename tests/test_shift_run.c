/* `bench shift run` end to end on a tiny benchmark (10 scenes of 32 px, 3
 * training steps): results.csv follows the results contract in plan order and
 * is byte-identical across runs, with one or two worker processes, and after an
 * interruption and --resume (only the lost unit runs again); a failing unit
 * gives error rows while the others go on; configuration errors name file and
 * line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/run_tasks.h"
#include "domain_shift/png_io.h"
#include "domain_shift/run.h"
#include "support_process.h"
#include "support_cmocka.h"
#include "support_files.h"

static void write_file(const char *path, const char *text)
{
    FILE *stream = fopen(path, "w");
    assert_non_null(stream);
    fputs(text, stream);
    fclose(stream);
}

static char *read_file(const char *path)
{
    FILE *stream = fopen(path, "rb");
    if (stream == NULL)
        return NULL;
    fseek(stream, 0, SEEK_END);
    long length = ftell(stream);
    fseek(stream, 0, SEEK_SET);
    char *text = calloc((size_t)length + 1, 1);
    if (fread(text, 1, (size_t)length, stream) != (size_t)length)
        text[0] = '\0';
    fclose(stream);
    return text;
}

/* The first line a shell command prints, into out. */
static void shell_line(const char *command, char *out, size_t size)
{
    FILE *pipe = popen(command, "r");
    assert_non_null(pipe);
    assert_non_null(fgets(out, (int)size, pipe));
    pclose(pipe);
}

static const char *tiny_config =
    "[benchmark]\nseed = 5\nscenes = 10\nsize = 32\ndevices = D1,D2\n"
    "[train]\nsteps = 3\nbatch = 2\nwidth = 4\neval_every = 3\n"
    "[run]\nmethods = source_only,oracle,psn,psn_global_only,psn_local_only,psn_grl_schedule,psn_target_bn,"
    "psn_domain_bn,source_only_target_bn\npairs = D1>D2\nseeds = 1\n";

static void tiny_run_follows_contract_and_repeats(void **state)
{
    (void)state;
    char config[128], out[2][128], path[160];
    snprintf(config, sizeof config, "%s/tiny.ini", test_scratch);
    write_file(config, tiny_config);
    bench_error error = {0};
    for (int run = 0; run < 2; run++) {
        snprintf(out[run], sizeof out[run], "%s/out%d", test_scratch, run);
        if (bench_shift_run(config, out[run], NULL, NULL, &error) != BENCH_OK)
            fail_msg("%s", error.message);
    }
    snprintf(path, sizeof path, "%s/results.csv", out[0]);
    char *first = read_file(path);
    snprintf(path, sizeof path, "%s/results.csv", out[1]);
    char *second = read_file(path);
    assert_non_null(first);
    assert_non_null(second);
    assert_string_equal(first, second);
    assert_true(strncmp(first, "cell_id,task,dataset,protocol,model,variant,horizon,seed,metric,value,status\n", 77) ==
                0);
    size_t rows = 0;
    for (const char *c = first; *c; c++)
        rows += *c == '\n';
    assert_int_equal(rows, 1 + 9 * 11); /* header + 9 methods x (map + 10 classes) */
    /* plan order: source_only, its target-BN variant, oracle, psn, its target-BN variant, psn_grl_schedule,
     * psn_domain_bn,
     * ablations; all detect on xray_D1_to_D2 */
    const char *second_line = strchr(first, '\n') + 1;
    assert_non_null(strstr(second_line, ",detect,xray_D1_to_D2,transfer,source_only,source_only,,1,map,"));
    const char *adabn = strstr(first, ",source_only_target_bn,source_only_target_bn,,1,map,");
    const char *oracle = strstr(first, ",oracle,oracle,,1,map,");
    assert_non_null(adabn);
    assert_non_null(oracle);
    assert_true(adabn < oracle);
    assert_non_null(strstr(adabn, ",ok\n")); /* trained and evaluated, not an error row */
    assert_non_null(strstr(first, ",psn_local_only,psn_local_only,,1,ap_laptop,"));
    const char *psn = strstr(first, ",psn,psn,,1,map,");
    const char *scheduled = strstr(first, ",psn_grl_schedule,psn_grl_schedule,,1,map,");
    const char *global = strstr(first, ",psn_global_only,psn_global_only,,1,map,");
    const char *psn_bn = strstr(first, ",psn_target_bn,psn_target_bn,,1,map,");
    assert_non_null(scheduled);
    assert_non_null(psn_bn);
    const char *domain = strstr(first, ",psn_domain_bn,psn_domain_bn,,1,map,");
    assert_non_null(domain);
    assert_true(psn < psn_bn && psn_bn < scheduled && scheduled < domain && domain < global);
    assert_non_null(strstr(scheduled, ",ok\n"));
    assert_non_null(strstr(domain, ",ok\n"));
    assert_non_null(strstr(psn_bn, ",ok\n"));
    /* psn_target_bn has no unit of its own: the psn unit tests its model
     * twice, as trained and with the target's batch-norm statistics, each on
     * the target's test and validation splits (the latter for the rule that
     * chooses between PSN variants). */
    char command[512], text[256];
    snprintf(command, sizeof command, "grep -l '\"method\": \"psn_target_bn\"' %s/units/*.json | wc -l", out[0]);
    shell_line(command, text, sizeof text);
    assert_int_equal(atoi(text), 0);
    snprintf(command, sizeof command,
             "grep -l '\"method\": \"psn\"' %s/units/*.json | xargs grep -c -e '\"adapted\": true' "
             "-e '\"adapted\": false' -e '\"target_val_map\": [0-9]'",
             out[0]);
    shell_line(command, text, sizeof text);
    assert_int_equal(atoi(text), 4);
    /* Training curves, a file per unit (2 supervised, 5 adaptive), a row per
     * step and metric: the scheduled GRL starts at exactly 0, psn's at 1, and
     * each unit's validation mAP sits at its evaluation step (3). */
    snprintf(command, sizeof command, "ls %s/curves/*.csv | wc -l", out[0]);
    shell_line(command, text, sizeof text);
    assert_int_equal(atoi(text), 7);
    static const struct {
        const char *text;
        int whole_line; /* else the line starts with it */
    } curve_rows[] = {
        {"model,variant,seed,step,split,metric,value", 1},
        {"psn_grl_schedule,psn_grl_schedule D1>D2,1,1,train,grl_lambda,0", 1},
        {"psn,psn D1>D2,1,1,train,grl_lambda,1", 1},
        {"psn,psn D1>D2,1,3,train,disc_accuracy_stage3,", 0},
        {"psn_local_only,psn_local_only D1>D2,1,2,train,loss_prototype,", 0},
        {"supervised,supervised D1,1,3,val,map,", 0},
        {"supervised,supervised D2,1,1,train,loss_detection,", 0},
    };
    for (size_t r = 0; r < sizeof curve_rows / sizeof curve_rows[0]; r++) {
        snprintf(command, sizeof command, "cat %s/curves/*.csv | grep -c %s '%s%s'", out[0],
                 curve_rows[r].whole_line ? "-x -F" : "", curve_rows[r].whole_line ? "" : "^",
                 curve_rows[r].text);
        shell_line(command, text, sizeof text);
        if (atoi(text) < 1)
            fail_msg("no curve row %s %s", curve_rows[r].whole_line ? "equal to" : "starting", curve_rows[r].text);
    }
    free(first), free(second);
    /* Detection examples for the figures: the first (up to) four target test
     * images (32 px, zoomed 3 times, 6 px apart) under each method. */
    static const char *const examples[] = {"xray_D1_to_D2_source_only", "xray_D1_to_D2_source_only_target_bn",
                                           "xray_D2_oracle", "xray_D1_to_D2_psn", "xray_D1_to_D2_psn_local_only"};
    for (size_t e = 0; e < sizeof examples / sizeof examples[0]; e++) {
        snprintf(path, sizeof path, "%s/figures/examples/%s.png", out[0], examples[e]);
        uint8_t *rgb = NULL;
        int width = 0, height = 0;
        if (shift_png_read(path, &rgb, &width, &height, &error) != BENCH_OK)
            fail_msg("%s", error.message);
        assert_int_equal((width + 6) % (32 * 3 + 6), 0); /* whole images: 4, or all when the split has fewer */
        assert_true(width >= 32 * 3 && width <= 4 * 32 * 3 + 3 * 6);
        assert_int_equal(height, 32 * 3);
        free(rgb);
    }
    snprintf(path, sizeof path, "%s/run.json", out[0]);
    char *json = read_file(path);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"protocol\": \"transfer\""));
    free(json);
}

/* Two devices, both pairs, seeds 1 and 2 (ablations seed 1): 4 supervised
 * units, 4 PSN units and 4 ablation units.  `jobs = 2` in the file; runs that
 * want one process say so in their options. */
static const char *units_config =
    "[benchmark]\ndata = %s/data\nseed = 5\nscenes = 10\nsize = 32\ndevices = D1,D2\n"
    "[train]\nsteps = 3\nbatch = 2\nwidth = 4\neval_every = 3\n"
    "[run]\nmethods = source_only,oracle,psn,psn_global_only,psn_local_only,source_only_target_bn\n"
    "pairs = all\nseeds = 1,2\nablation_seeds = 1\njobs = 2\n";
#define UNIT_COUNT 12

/* The workers report in their own processes (bench/pool.h), so the unit lines
 * go to a file every process appends to, counted afterwards. */
typedef struct progress_log {
    char plan[256];     /* "N training units, ..." (said by the run itself) */
    char units[256];    /* file of "[i/n] ..." lines, one per finished unit */
} progress_log;

static void log_progress(void *data, const char *line)
{
    progress_log *log = data;
    if (line[0] == '[') {
        FILE *file = fopen(log->units, "a");
        if (file != NULL) {
            fprintf(file, "%s\n", line);
            fclose(file);
        }
    } else if (strstr(line, "training units") != NULL)
        snprintf(log->plan, sizeof log->plan, "%s", line);
}

static size_t unit_lines(progress_log *log)
{
    size_t lines = 0;
    FILE *file = fopen(log->units, "r");
    for (int c; file != NULL && (c = fgetc(file)) != EOF;)
        lines += c == '\n';
    if (file != NULL)
        fclose(file);
    unlink(log->units);
    return lines;
}

static char *run_into(const char *config, const char *out, unsigned jobs, int resume, shift_run_summary *summary,
                      progress_log *log)
{
    shift_run_options options = {.jobs = jobs, .resume = resume, .progress = log ? log_progress : NULL,
                                 .progress_data = log};
    bench_error error = {0};
    if (bench_shift_run(config, out, &options, summary, &error) != BENCH_OK)
        fail_msg("%s", error.message);
    char path[256];
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *text = read_file(path);
    assert_non_null(text);
    return text;
}

/* The unit files of out (sorted by name) with their inode numbers: a kept file
 * keeps its inode, a rewritten one cannot (its temporary exists beside it). */
static size_t list_units(const char *out, char names[][32], ino_t *inodes)
{
    char command[256];
    snprintf(command, sizeof command, "ls '%s/units'", out);
    FILE *listing = popen(command, "r");
    assert_non_null(listing);
    size_t count = 0;
    while (count < UNIT_COUNT + 1 && fgets(names[count], 32, listing) != NULL) {
        names[count][strcspn(names[count], "\n")] = '\0';
        char path[256];
        struct stat info;
        snprintf(path, sizeof path, "%s/units/%s", out, names[count]);
        assert_int_equal(stat(path, &info), 0);
        inodes[count++] = info.st_ino;
    }
    pclose(listing);
    return count;
}

static void parallel_and_resumed_runs_give_the_same_bytes(void **state)
{
    (void)state;
    char config[128], text[512], one[128], two[128], path[256];
    snprintf(config, sizeof config, "%s/units.ini", test_scratch);
    snprintf(text, sizeof text, units_config, test_scratch);
    write_file(config, text);
    snprintf(one, sizeof one, "%s/one-job", test_scratch);
    snprintf(two, sizeof two, "%s/two-jobs", test_scratch);
    shift_run_summary summary;
    progress_log log = {0};
    snprintf(log.units, sizeof log.units, "%s/unit-lines", test_scratch);
    char *reference = run_into(config, one, 1, 0, &summary, &log);
    assert_int_equal(summary.units, UNIT_COUNT);
    assert_int_equal(summary.failed, 0);
    assert_null(strstr(reference, ",map,,error\n")); /* every model trained and was evaluated */
    assert_string_equal(log.plan, "12 training units, 0 done before, 12 to run with 1 job");
    assert_int_equal(unit_lines(&log), UNIT_COUNT);

    log.plan[0] = '\0';
    char *parallel = run_into(config, two, 0, 0, &summary, &log); /* jobs = 2 from the file */
    assert_string_equal(log.plan, "12 training units, 0 done before, 12 to run with 2 jobs");
    assert_int_equal(unit_lines(&log), UNIT_COUNT);
    assert_string_equal(parallel, reference);
    free(parallel);

    /* Interrupted: one unit's file and the merged outputs are lost.  Resuming
     * runs that unit alone and merges the same bytes. */
    char names[UNIT_COUNT + 1][32];
    ino_t inodes[UNIT_COUNT + 1];
    assert_int_equal(list_units(two, names, inodes), UNIT_COUNT);
    size_t lost = 5;
    snprintf(path, sizeof path, "%s/units/%.31s", two, names[lost]);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/results.csv", two);
    assert_int_equal(unlink(path), 0);
    char *resumed = run_into(config, two, 2, 1, &summary, NULL);
    assert_string_equal(resumed, reference);
    free(resumed);
    assert_int_equal(summary.reused, UNIT_COUNT - 1);
    char after_names[UNIT_COUNT + 1][32];
    ino_t after_inodes[UNIT_COUNT + 1];
    assert_int_equal(list_units(two, after_names, after_inodes), UNIT_COUNT);
    for (size_t u = 0; u < UNIT_COUNT; u++) {
        assert_string_equal(after_names[u], names[u]);
        if (u != lost)
            assert_true(after_inodes[u] == inodes[u]); /* kept, not recomputed */
    }
    /* Without --resume every unit runs again, to the same bytes. */
    char *again = run_into(config, two, 1, 0, &summary, NULL);
    assert_int_equal(summary.reused, 0);
    assert_string_equal(again, reference);
    free(again);

    /* The generated benchmark in place is not the one a changed config asks for. */
    snprintf(text, sizeof text, units_config, test_scratch);
    char *scenes = strstr(text, "scenes = 10");
    memcpy(scenes, "scenes = 12", 11);
    write_file(config, text);
    bench_error error = {0};
    snprintf(path, sizeof path, "%s/changed", test_scratch);
    assert_int_equal(bench_shift_run(config, path, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "scenes 10"));
    assert_non_null(strstr(error.message, "is not the one the configuration asks for"));
    free(reference);
}

/* D2's validation split is missing, so the units that need it fail (the D2
 * model: source_only of D2>D1 and oracle of D1>D2, which select on it; every PSN
 * variant, which selects on its source's and is scored for the variant rule on
 * its target's); the D1 model runs and its rows are ok.  Once the file is back,
 * --resume runs exactly the failed units again. */
static void failing_unit_gives_error_rows_and_reruns_on_resume(void **state)
{
    (void)state;
    char config[128], text[640], out[128], path[256], hidden[256];
    snprintf(config, sizeof config, "%s/broken.ini", test_scratch);
    snprintf(text, sizeof text, units_config, test_scratch);
    char *seeds = strstr(text, "seeds = 1,2\nablation_seeds = 1\n");
    snprintf(seeds, sizeof text - (size_t)(seeds - text), "seeds = 1\n");
    char *benchmark = strstr(text, "data = ");
    char rest[640];
    snprintf(rest, sizeof rest, "%s", benchmark);
    snprintf(benchmark, sizeof text - (size_t)(benchmark - text), "generate = no\n%s", rest);
    write_file(config, text);
    snprintf(out, sizeof out, "%s/broken-out", test_scratch);
    /* the benchmark of the previous test, or generated here when run alone */
    snprintf(path, sizeof path, "%s/data/benchmark.ini", test_scratch);
    if (access(path, F_OK) != 0) {
        char generate[128];
        snprintf(generate, sizeof generate, "%s/units.ini", test_scratch);
        char units_text[512];
        snprintf(units_text, sizeof units_text, units_config, test_scratch);
        write_file(generate, units_text);
        free(run_into(generate, out, 1, 0, NULL, NULL));
    }
    snprintf(path, sizeof path, "%s/data/D2/val.txt", test_scratch);
    snprintf(hidden, sizeof hidden, "%s/data/D2/val.hidden", test_scratch);
    assert_int_equal(rename(path, hidden), 0);
    shift_run_summary summary;
    char *results = run_into(config, out, 2, 0, &summary, NULL);
    assert_int_equal(rename(hidden, path), 0);
    /* units: D1, D2 supervised; psn, psn_global_only, psn_local_only on each pair */
    assert_int_equal(summary.units, 8);
    assert_int_equal(summary.failed, 7);
    assert_non_null(strstr(results, ",xray_D1_to_D2,transfer,source_only,source_only,,1,map,0"));
    assert_non_null(strstr(results, ",xray_D1_to_D2,transfer,psn,psn,,1,map,,error\n"));
    assert_non_null(strstr(results, ",xray_D2_to_D1,transfer,oracle,oracle,,1,map,0"));
    assert_non_null(strstr(results, ",xray_D1_to_D2,transfer,oracle,oracle,,1,map,,error\n"));
    assert_non_null(strstr(results, ",xray_D2_to_D1,transfer,source_only,source_only,,1,map,,error\n"));
    assert_non_null(strstr(results, ",xray_D2_to_D1,transfer,psn_local_only,psn_local_only,,1,ap_laptop,,error\n"));
    free(results);
    snprintf(path, sizeof path, "%s/run.json", out);
    char *json = read_file(path);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"error\": \"loading D2/val: "));
    free(json);
    results = run_into(config, out, 1, 1, &summary, NULL);
    assert_int_equal(summary.reused, 1);
    assert_int_equal(summary.failed, 0);
    assert_null(strstr(results, ",map,,error\n"));
    free(results);
}

/* A two-device benchmark of 10 tiny scenes and 3 training steps, with the
 * [run] section given: written to test_scratch/NAME.ini, its output directory
 * test_scratch/NAME into out. */
static void write_tiny_config(const char *name, const char *run, char config[128], char out[128])
{
    char text[512];
    snprintf(config, 128, "%s/%s.ini", test_scratch, name);
    snprintf(out, 128, "%s/%s", test_scratch, name);
    snprintf(text, sizeof text,
             "[benchmark]\nseed = 5\nscenes = 10\nsize = 32\ndevices = D1,D2\n"
             "[train]\nsteps = 3\nbatch = 2\nwidth = 4\neval_every = 3\n[run]\n%s",
             run);
    write_file(config, text);
}

/* A run of PSN variants only has no per-device unit: its examples still have
 * a directory to go to (the unit failed on the missing directory once). */
static void psn_only_run_draws_its_examples(void **state)
{
    (void)state;
    char config[128], out[128], path[192];
    write_tiny_config("psn-only", "methods = psn\npairs = D1>D2\nseeds = 1\n", config, out);
    shift_run_summary summary;
    bench_error error = {0};
    if (bench_shift_run(config, out, NULL, &summary, &error) != BENCH_OK)
        fail_msg("%s", error.message);
    assert_int_equal(summary.units, 1);
    assert_int_equal(summary.failed, 0);
    snprintf(path, sizeof path, "%s/figures/examples/xray_D1_to_D2_psn.png", out);
    assert_int_equal(access(path, R_OK), 0);
}

/* The rule that chooses between PSN variants (issue 23): for the pairs into a
 * device, the variant with the highest mean target-validation mAP on the pairs
 * into the other devices.  The tiny models score 0 everywhere, so the unit
 * files get planted scores and the merge runs again (--resume): with two
 * devices the choice for D1 must follow D1>D2's scores and that for D2 D2>D1's,
 * where a rule that looked at a device's own pairs would swap them. */
static void set_target_val_map(const char *out, const char *method, const char *source, int adapted, double value)
{
    char command[512], path[256];
    snprintf(command, sizeof command, "grep -l '\"source\": \"%s\"' $(grep -l '\"method\": \"%s\"' %s/units/*.json)",
             source, method, out);
    shell_line(command, path, sizeof path);
    path[strcspn(path, "\n")] = '\0';
    json_error_t json_error;
    json_t *unit = json_load_file(path, 0, &json_error);
    if (unit == NULL)
        fail_msg("%s: %s", path, json_error.text);
    size_t e;
    json_t *evaluation;
    json_array_foreach(json_object_get(unit, "evaluations"), e, evaluation)
        if (json_is_true(json_object_get(evaluation, "adapted")) == adapted)
            json_object_set_new(evaluation, "target_val_map", json_real(value));
    assert_int_equal(json_dump_file(unit, path, JSON_REAL_PRECISION(17)), 0);
    json_decref(unit);
}

static void psn_variant_rule_uses_only_other_targets(void **state)
{
    (void)state;
    char config[128], out[128], path[192];
    write_tiny_config("variants", "methods = psn,psn_grl_schedule,psn_target_bn\npairs = all\nseeds = 1\n", config,
                      out);
    shift_run_summary summary;
    free(run_into(config, out, 1, 0, &summary, NULL));
    assert_int_equal(summary.units, 4); /* psn and psn_grl_schedule per pair; psn_target_bn from psn's */
    set_target_val_map(out, "psn", "D1", 0, 0.2);
    set_target_val_map(out, "psn", "D1", 1, 0.3);
    set_target_val_map(out, "psn_grl_schedule", "D1", 0, 0.6); /* best into D2: the evidence for D1 */
    set_target_val_map(out, "psn", "D2", 0, 0.1);
    set_target_val_map(out, "psn", "D2", 1, 0.7); /* psn_target_bn best into D1: the evidence for D2 */
    set_target_val_map(out, "psn_grl_schedule", "D2", 0, 0.4);
    free(run_into(config, out, 1, 1, &summary, NULL));
    assert_int_equal(summary.reused, 4);
    snprintf(path, sizeof path, "%s/run.json", out);
    json_error_t json_error;
    json_t *root = json_load_file(path, 0, &json_error);
    if (root == NULL)
        fail_msg("%s", json_error.text);
    const json_t *choices = json_object_get(root, "psn_variant_choice");
    assert_int_equal(json_array_size(choices), 2);
    static const struct {
        const char *target, *chosen;
        double scores[3]; /* psn, psn_grl_schedule, psn_target_bn */
    } expected[] = {{"D1", "psn_grl_schedule", {0.2, 0.6, 0.3}}, {"D2", "psn_target_bn", {0.1, 0.4, 0.7}}};
    static const char *const variants[] = {"psn", "psn_grl_schedule", "psn_target_bn"};
    for (size_t c = 0; c < 2; c++) {
        const json_t *choice = json_array_get(choices, c);
        assert_string_equal(json_string_value(json_object_get(choice, "target")), expected[c].target);
        assert_string_equal(json_string_value(json_object_get(choice, "chosen")), expected[c].chosen);
        for (size_t v = 0; v < 3; v++)
            assert_float_equal(
                json_number_value(json_object_get(json_object_get(choice, "other_targets_val_map"), variants[v])),
                expected[c].scores[v], 1e-12);
    }
    json_decref(root);
    /* bench shift gap shows the choice next to the table */
    char command[512], line[256];
    snprintf(command, sizeof command, "'%s' shift gap '%s' | grep -F '| D2 | psn\\_target\\_bn |'", test_bench_binary(),
             out);
    shell_line(command, line, sizeof line);
    assert_non_null(strstr(line, "psn 10.0 psn\\_grl\\_schedule 40.0 psn\\_target\\_bn 70.0 |"));
}

/* lr_decay_step: the paper's step schedule of the detector's rate.  The curves
 * show the rate before and after the step; the cell ids are the constant rate's
 * only when no decay is set, so a decayed table never reuses a constant one's
 * units (and an old table keeps its ids). */
static void detector_rate_decays_at_its_step(void **state)
{
    (void)state;
    char config[128], out[128], command[512], text[256];
    snprintf(config, sizeof config, "%s/decay.ini", test_scratch);
    static const char body[] = "[benchmark]\nseed = 5\nscenes = 10\nsize = 32\ndevices = D1,D2\n"
                               "[train]\nsteps = 4\nbatch = 2\nwidth = 4\neval_every = 4\n%s"
                               "[run]\nmethods = source_only\npairs = D1>D2\nseeds = 1\n";
    char buffer[512];
    char *ids[2];
    for (int decayed = 0; decayed < 2; decayed++) {
        snprintf(buffer, sizeof buffer, body, decayed ? "lr_decay_step = 2\nlr_decay_gamma = 0.5\n" : "");
        write_file(config, buffer);
        snprintf(out, sizeof out, "%s/decay%d", test_scratch, decayed);
        char *results = run_into(config, out, 1, 0, NULL, NULL);
        ids[decayed] = strndup(strchr(results, '\n') + 1, 16);
        free(results);
        snprintf(command, sizeof command, "cat %s/curves/*.csv | grep -c ',train,learning_rate,' || true", out);
        shell_line(command, text, sizeof text);
        assert_int_equal(atoi(text), decayed ? 4 : 0); /* one supervised unit (D1), four steps */
    }
    assert_true(strcmp(ids[0], ids[1]) != 0);
    static const char *const rows[] = {"supervised,supervised D1,1,2,train,learning_rate,0.001",
                                       "supervised,supervised D1,1,3,train,learning_rate,0.0005"};
    for (size_t r = 0; r < 2; r++) {
        snprintf(command, sizeof command, "cat %s/curves/*.csv | grep -c '^%s' || true", out, rows[r]);
        shell_line(command, text, sizeof text);
        if (atoi(text) != 1)
            fail_msg("no curve row starting %s", rows[r]);
    }
    snprintf(command, sizeof command, "grep -c '\"lr_decay_step\": 2,' %s/run.json", out);
    shell_line(command, text, sizeof text);
    assert_int_equal(atoi(text), 1);
    free(ids[0]), free(ids[1]);
}

/* knobs = GROUP: a benchmark whose devices differ in one group of knobs only,
 * with its own dataset names and cell ids; its generated data is not taken for
 * another group's (nor for the whole benchmark's). */
static void knob_group_benchmark_is_its_own(void **state)
{
    (void)state;
    char config[128], out[128];
    snprintf(config, sizeof config, "%s/noise.ini", test_scratch);
    snprintf(out, sizeof out, "%s/noise", test_scratch);
    static const char text[] = "[benchmark]\nseed = 5\nscenes = 10\nsize = 32\ndevices = D1,D2\nknobs = %s\n"
                               "[train]\nsteps = 2\nbatch = 2\nwidth = 4\neval_every = 2\n"
                               "[run]\nmethods = source_only\npairs = D1>D2\nseeds = 1\n";
    char buffer[512];
    snprintf(buffer, sizeof buffer, text, "noise");
    write_file(config, buffer);
    char *results = run_into(config, out, 1, 0, NULL, NULL);
    assert_non_null(strstr(results, ",detect,xray_noise_D1_to_D2,transfer,source_only,source_only,,1,map,"));
    char *first_id = strndup(strchr(results, '\n') + 1, 16);
    free(results);
    snprintf(buffer, sizeof buffer, text, "colour");
    write_file(config, buffer);
    bench_error error = {0};
    assert_int_equal(bench_shift_run(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "other knob values of D2"));
    assert_non_null(strstr(error.message, "knobs = colour"));
    /* the whole benchmark (knobs = all) in a fresh directory: other names, other ids */
    snprintf(buffer, sizeof buffer, text, "all");
    write_file(config, buffer);
    snprintf(out, sizeof out, "%s/all-knobs", test_scratch);
    results = run_into(config, out, 1, 0, NULL, NULL);
    assert_non_null(strstr(results, ",detect,xray_D1_to_D2,transfer,source_only,"));
    assert_true(strncmp(strchr(results, '\n') + 1, first_id, 16) != 0);
    free(results), free(first_id);
    write_file(config, "[benchmark]\nknobs = color\n");
    assert_int_equal(bench_shift_run(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "noise.ini:2: knobs = color: 'color' is not one of all|colour|noise|artefacts"));
}

/* One writer per directory: while another process holds it, a run with a
 * valid configuration is refused at once. */
static void a_held_directory_is_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/bench-shift-lock-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/.bench.lock", dir);
    int lock = open(path, O_RDWR | O_CREAT, 0644);
    assert_true(lock >= 0);
    assert_int_equal(flock(lock, LOCK_EX), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        bench_error error = {0};
        char config[300];
        snprintf(config, sizeof config, "%s/shift.ini", dir);
        FILE *file = fopen(config, "w");
        if (file == NULL)
            _exit(2);
        fprintf(file, "[benchmark]\ngenerate = no\ndata = %s\n", dir);
        fclose(file);
        int code = bench_shift_run(config, dir, NULL, NULL, &error);
        _exit(code == BENCH_BAD_INPUT && strstr(error.message, "is in use by") != NULL ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(lock);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

static void configuration_errors_name_file_and_line(void **state)
{
    (void)state;
    char config[128], out[128];
    snprintf(config, sizeof config, "%s/bad.ini", test_scratch);
    snprintf(out, sizeof out, "%s/bad-out", test_scratch);
    bench_error error = {0};
    write_file(config, "[train]\nsteps = 3\nstpes = 4\n");
    assert_int_equal(bench_shift_run(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "bad.ini:3: unknown key 'stpes' in [train]"));
    write_file(config, "[run]\nmethods = psn,dann\n");
    assert_int_equal(bench_shift_run(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "bad.ini:2: methods = 'psn,dann'"));
    write_file(config, "[benchmark]\ndevices = D1,D9\n");
    assert_int_equal(bench_shift_run(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "bad.ini:2:"));
    write_file(config, "[run]\npairs = D1>D1\n");
    assert_int_equal(bench_shift_run(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "two different devices"));
    write_file(config, "[benchmark]\nsize = 50\n");
    assert_int_equal(bench_shift_run(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "multiple of 4"));
    /* nothing was written for a bad configuration */
    char path[160];
    snprintf(path, sizeof path, "%s/results.csv", out);
    assert_int_equal(access(path, F_OK), -1);
}

TEST_MAIN("shift_run", test_scratch_setup, test_scratch_teardown,
        cmocka_unit_test(tiny_run_follows_contract_and_repeats),
        cmocka_unit_test(parallel_and_resumed_runs_give_the_same_bytes),
        cmocka_unit_test(failing_unit_gives_error_rows_and_reruns_on_resume),
        cmocka_unit_test(psn_only_run_draws_its_examples),
        cmocka_unit_test(psn_variant_rule_uses_only_other_targets),
        cmocka_unit_test(knob_group_benchmark_is_its_own),
        cmocka_unit_test(detector_rate_decays_at_its_step),
        cmocka_unit_test(a_held_directory_is_refused),
        cmocka_unit_test(configuration_errors_name_file_and_line))
