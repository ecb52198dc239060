/* A plan never holds the same cell twice, and the per-cell limits are read and
 * checked (issue 17, sections 2 and 3's limits).  Each bad input goes through the
 * real binary and must give exit 2, a message naming the config line (or the
 * option), and no results.csv; the accepted forms and the CLI-over-config
 * precedence of timeout and memory_limit are checked on bench_plan_build itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/harness.h"
#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"

static int setup(void **state)
{
    if (test_bench_scratch_setup(state) != 0)
        return -1;
    char command[12000];
    snprintf(command, sizeof command, "cp '%s/tests/data/harness/hourly.csv' '%s/hourly.csv'", test_source_dir(),
             test_scratch);
    return system(command) == 0 ? 0 : -1;
}

/* Lines 1-6; a test's own lines start at 7. */
#define HOURLY "[dataset tiny]\npath = hourly.csv\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 24\nhorizons = 12\n"
#define HOURLY_NO_H "[dataset tiny]\npath = hourly.csv\nstep_seconds = 3600\nprotocol = ltsf\nlookback = 24\n"

typedef struct refusal {
    const char *name;
    const char *command;      /* "run" or "plan" */
    const char *text;         /* the config */
    const char *options[3];   /* extra arguments, NULL-terminated */
    const char *expect[2];    /* substrings of stderr; "%s" in expect[0] is the case's config name */
} refusal;

static const refusal refusals[] = {
    /* §2: duplicate cells, at plan time. */
    {"seeds_twice", "run", "[run]\nseeds = 1,2,1\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: seeds = 1,2,1: seed 1 is given twice"}},
    {"model_seeds_twice", "run", HOURLY "[model naive]\nseeds = 4,4\n", {NULL},
     {"%s.ini:8: [model naive] seeds = 4,4: seed 4 is given twice"}},
    {"model_seeds_empty", "run", HOURLY "[model naive]\nseeds =\n", {NULL},
     {"%s.ini:8: [model naive] seeds = : expected a comma list"}},
    {"horizons_twice", "run", HOURLY_NO_H "horizons = 12,24,12\n[model naive]\n", {NULL},
     {"%s.ini:6: horizons = 12,24,12: horizon 12 is given twice"}},
    {"model_label_spaces", "run", HOURLY "[model naive]\n[model  naive]\n", {NULL},
     {"%s.ini:8: section [model naive] appears twice (first on line 7)"}},
    {"model_label_tab", "run", HOURLY "[model naive]\n[model\tnaive ]\n", {NULL},
     {"%s.ini:8: section [model naive] appears twice (first on line 7)"}},
    {"dataset_label_spaces", "run",
     HOURLY "[dataset   tiny]\npath = hourly.csv\nstep_seconds = 3600\n[model naive]\n", {NULL},
     {"%s.ini:7: section [dataset tiny] appears twice (first on line 1)"}},
    {"datasets_empty", "run", HOURLY "[model naive]\n[model mean]\ndatasets =\n", {NULL},
     {"%s.ini:9: datasets is empty", "remove the key"}},
    {"datasets_blank_item", "run", HOURLY "[model naive]\ndatasets = tiny,\n", {NULL},
     {"%s.ini:8: datasets = tiny,: an empty item"}},
    {"datasets_twice", "run", HOURLY "[model naive]\ndatasets = tiny, tiny\n", {NULL},
     {"%s.ini:8: datasets = tiny, tiny: a dataset named twice ('tiny')"}},
    {"datasets_unknown", "run", HOURLY "[model naive]\ndatasets = tinny\n", {NULL},
     {"%s.ini:8: datasets: 'tinny' is not a [dataset] section", "did you mean 'tiny'?"}},
    {"cli_seeds_twice", "run", HOURLY "[model naive]\n", {"--seeds", "3,3"},
     {"--seeds '3,3': a seed given twice ('3')"}},
    {"cli_seeds_empty", "run", HOURLY "[model naive]\n", {"--seeds", ""}, {"--seeds '': an empty list"}},
    {"cli_seeds_blank_item", "run", HOURLY "[model naive]\n", {"--seeds", "1,,2"}, {"--seeds '1,,2': an empty item"}},
    /* bench plan parses --seeds elsewhere; the plan builder refuses for it. */
    {"plan_seeds_twice", "plan", HOURLY "[model naive]\n", {"--seeds", "4,4"}, {"--seeds: seed 4 is given twice"}},
    {"plan_seeds_empty", "plan", HOURLY "[model naive]\n", {"--seeds", ""}, {"--seeds: an empty list"}},
    /* Per-cell limits: config keys ... */
    {"timeout_zero", "run", "[run]\ntimeout = 0\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: timeout = 0: expected a positive number of seconds"}},
    {"timeout_negative", "run", "[run]\ntimeout = -5\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: timeout = -5: expected a positive number of seconds"}},
    {"timeout_nan", "run", "[run]\ntimeout = nan\n" HOURLY "[model naive]\n", {NULL}, {"%s.ini:2: timeout = nan"}},
    {"timeout_infinite", "run", "[run]\ntimeout = inf\n" HOURLY "[model naive]\n", {NULL}, {"%s.ini:2: timeout = inf"}},
    {"timeout_words", "run", "[run]\ntimeout = 10 minutes\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: timeout = 10 minutes"}},
    {"timeout_huge", "run", "[run]\ntimeout = 1e300\n" HOURLY "[model naive]\n", {NULL}, {"%s.ini:2: timeout = 1e300"}},
    {"memory_zero", "run", "[run]\nmemory_limit = 0\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: memory_limit = 0: expected a positive whole number of megabytes"}},
    {"memory_fraction", "run", "[run]\nmemory_limit = 1.5\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: memory_limit = 1.5"}},
    {"memory_negative", "run", "[run]\nmemory_limit = -1\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: memory_limit = -1"}},
    {"memory_unit", "run", "[run]\nmemory_limit = 4GB\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: memory_limit = 4GB"}},
    {"timeout_misspelt", "run", "[run]\ntimout = 5\n" HOURLY "[model naive]\n", {NULL},
     {"%s.ini:2: unknown key 'timout' in [run] (did you mean 'timeout'?)", "timeout, memory_limit"}},
    /* ... and options. */
    {"cli_timeout_zero", "run", HOURLY "[model naive]\n", {"--timeout", "0"},
     {"--timeout 0: expected a positive number of seconds"}},
    {"cli_timeout_words", "run", HOURLY "[model naive]\n", {"--timeout", "soon"}, {"--timeout soon"}},
    {"cli_memory_fraction", "run", HOURLY "[model naive]\n", {"--memory-limit", "0.5"},
     {"--memory-limit 0.5: expected a positive whole number of megabytes"}},
    {"cli_memory_negative", "run", HOURLY "[model naive]\n", {"--memory-limit", "-1"}, {"--memory-limit -1"}},
};

/* Run `bench COMMAND SCRATCH/NAME.ini --out SCRATCH/out-NAME [options]` from SCRATCH (test_scratch). */
static void run_case(test_process_result *result, const char *command, const char *name, const char *text,
                     const char *const options[])
{
    char config[4300], out[4300];
    snprintf(out, sizeof out, "%s/out-%s", test_scratch, name);
    const char *arguments[16] = {command, config, "--out", out};
    size_t count = 4;
    if (!strcmp(command, "run"))
        arguments[count++] = "--quiet";
    for (size_t i = 0; options != NULL && options[i] != NULL && count < 15; i++)
        arguments[count++] = options[i];
    arguments[count] = NULL;
    snprintf(config, sizeof config, "%s/%s.ini", test_scratch, name);
    assert_int_equal(test_write_file(config, text), 0);
    assert_int_equal(test_bench_run_in(result, test_scratch, arguments, NULL), 0);
}

static int exists_in_out(const char *name, const char *file)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/out-%s/%s", test_scratch, name, file);
    return access(path, F_OK) == 0;
}

static void duplicate_cells_and_bad_limits_are_refused(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        const refusal *c = &refusals[i];
        test_process_result result;
        run_case(&result, c->command, c->name, c->text, c->options);
        int ok = result.exit_code == 2;
        for (size_t k = 0; k < 2 && c->expect[k] != NULL; k++) {
            char expected[512];
            snprintf(expected, sizeof expected, c->expect[k], c->name);
            if (strstr(result.err, expected) == NULL) {
                fprintf(stderr, "case %s: stderr lacks \"%s\"\n", c->name, expected);
                ok = 0;
            }
        }
        if (exists_in_out(c->name, "results.csv") || exists_in_out(c->name, "plan.csv")) {
            fprintf(stderr, "case %s: left a results.csv or plan.csv\n", c->name);
            ok = 0;
        }
        if (!ok) {
            fprintf(stderr, "case %s: exit %d, stderr: %s", c->name, result.exit_code, result.err);
            failures++;
        }
        test_process_free(&result);
    }
    assert_int_equal(failures, 0);
}

/* The forms the refusals must not catch: distinct seeds and horizons, datasets
 * with spaces after commas, limits in config and on the command line. */
static void valid_lists_and_limits_run(void **state)
{
    (void)state;
    test_process_result result;
    /* Limits far above any real need: under AddressSanitizer a worker reserves
     * terabytes of address space, and the harness enforces memory_limit on it. */
    const char *options[] = {"--seeds", "7,8", "--timeout", "120.5", "--memory-limit", "1099511627776", NULL};
    run_case(&result, "run", "accepted",
             "[run]\nseeds = 1,2\ntimeout = 60\nmemory_limit = 1073741824\n" HOURLY_NO_H "horizons = 12, 24\n"
             "[dataset other]\npath = hourly.csv\nstep_seconds = 3600\nlookback = 24\nhorizons = 12\n"
             "[model naive]\ndatasets = tiny , other\n[model mean]\ndatasets = other\n",
             options);
    test_assert_exit(&result, 0);
    test_process_free(&result);
    assert_true(exists_in_out("accepted", "results.csv"));
    /* tiny: 2 horizons x naive x 2 seeds; other: 1 horizon x 2 models x 2 seeds. */
    char path[4400];
    snprintf(path, sizeof path, "%s/out-accepted/plan.csv", test_scratch);
    char *plan = test_slurp(path);
    size_t lines = 0;
    for (const char *c = plan; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 1 + 4 + 4);
    free(plan);
}

/* bench_plan_build stores the effective limits: the command line's when given,
 * else the config's, else none (0). */
static void limits_resolve_command_line_over_config(void **state)
{
    (void)state;
    char config[4300];
    snprintf(config, sizeof config, "%s/limits.ini", test_scratch);
    assert_int_equal(test_write_file(config, "[run]\ntimeout = 30\nmemory_limit = 1024\n" HOURLY "[model naive]\n"), 0);
    char bare[4300];
    snprintf(bare, sizeof bare, "%s/nolimits.ini", test_scratch);
    assert_int_equal(test_write_file(bare, HOURLY "[model naive]\n"), 0);

    bench_error error = {0};
    bench_plan *plan = NULL;
    bench_run_options options = {.jobs = 1};
    assert_int_equal(bench_plan_build(&plan, config, &options, &error), BENCH_OK);
    assert_float_equal(plan->timeout_seconds, 30.0, 0.0);
    assert_int_equal(plan->memory_limit_mb, 1024);
    bench_plan_free(plan);

    options.timeout_seconds = 2.5;
    options.memory_limit_mb = 512;
    assert_int_equal(bench_plan_build(&plan, config, &options, &error), BENCH_OK);
    assert_float_equal(plan->timeout_seconds, 2.5, 0.0);
    assert_int_equal(plan->memory_limit_mb, 512);
    bench_plan_free(plan);

    assert_int_equal(bench_plan_build(&plan, bare, NULL, &error), BENCH_OK);
    assert_float_equal(plan->timeout_seconds, 0.0, 0.0);
    assert_int_equal(plan->memory_limit_mb, 0);
    bench_plan_free(plan);

    /* A caller that skipped the CLI's checks is still refused. */
    options.timeout_seconds = -1;
    assert_int_equal(bench_plan_build(&plan, bare, &options, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "--timeout"));

    /* An empty --seeds list and a repeated seed, straight through the library. */
    uint64_t seeds[] = {5, 6, 5};
    bench_run_options seeded = {.jobs = 1, .seeds = seeds, .seed_count = 0};
    assert_int_equal(bench_plan_build(&plan, bare, &seeded, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "--seeds: an empty list"));
    seeded.seed_count = 3;
    assert_int_equal(bench_plan_build(&plan, bare, &seeded, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "--seeds: seed 5 is given twice"));
}

/* Writes text to SCRATCH/NAME and builds its plan with options (NULL for
 * none), failing the test unless it builds; the caller frees it with
 * bench_plan_free. */
static bench_plan *planned(const char *name, const char *text, const bench_run_options *options)
{
    char config[4300];
    snprintf(config, sizeof config, "%s/%s", test_scratch, name);
    assert_int_equal(test_write_file(config, text), 0);
    bench_error error = {0};
    bench_plan *plan = NULL;
    if (bench_plan_build(&plan, config, options, &error) != BENCH_OK)
        fail_msg("%s: %s", name, error.message);
    return plan;
}

/* Every plan's cell ids are distinct (the defensive check passes on a real
 * sweep), and the dataset filter is stored trimmed. */
static void plan_ids_are_distinct(void **state)
{
    (void)state;
    bench_plan *plan = planned("ids.ini", "[run]\nseeds = 1,2,3\n" HOURLY_NO_H "horizons = 6,12\n[model naive]\n"
                                          "[model seasonal_naive]\ndatasets = tiny \n[model mean]\n", NULL);
    assert_int_equal(plan->cell_count, 2 * 3 * 3);
    for (size_t i = 0; i < plan->cell_count; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(plan->cells[i].id, plan->cells[j].id);
    assert_string_equal(plan->models[1].dataset_filter, "tiny");
    bench_plan_free(plan);
}

/* A model's own seeds replace [run]'s for that model only, keep plan order
 * (datasets × horizons × models × that model's seeds), and --seeds replaces
 * every model's. */
static void model_seeds_replace_run_seeds(void **state)
{
    (void)state;
    const char *text = "[run]\nseeds = 1,2,3\n" HOURLY_NO_H "horizons = 6,12\n"
                       "[model naive]\n[model slow]\nmodel = mean\nseeds = 7\n";
    bench_plan *plan = planned("model-seeds.ini", text, NULL);
    assert_int_equal(plan->cell_count, 2 * (3 + 1));
    static const uint64_t order[] = {1, 2, 3, 7, 1, 2, 3, 7};
    for (size_t i = 0; i < plan->cell_count; i++) {
        assert_int_equal(plan->cells[i].seed, order[i]);
        assert_int_equal(plan->cells[i].model, i % 4 == 3 ? 1 : 0);
    }
    bench_plan_free(plan);
    uint64_t seeds[] = {5};
    bench_run_options options = {.jobs = 1, .seeds = seeds, .seed_count = 1};
    plan = planned("model-seeds.ini", text, &options);
    assert_int_equal(plan->cell_count, 2 * 2);
    for (size_t i = 0; i < plan->cell_count; i++)
        assert_int_equal(plan->cells[i].seed, 5);
    bench_plan_free(plan);
}

TEST_MAIN("plan_refusals", setup, test_scratch_teardown,
          cmocka_unit_test(duplicate_cells_and_bad_limits_are_refused),
          cmocka_unit_test(valid_lists_and_limits_run),
          cmocka_unit_test(limits_resolve_command_line_over_config),
          cmocka_unit_test(plan_ids_are_distinct),
          cmocka_unit_test(model_seeds_replace_run_seeds))
