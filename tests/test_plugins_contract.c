/* The forecaster contract (bench/contract.h) holds for every built-in in
 * forecasters/registry.c.  That it catches broken plugins: test_plugins_broken.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/contract.h"
#include "forecasters/registry.h"
#include "support_cmocka.h"

/* ---- The contract on every built-in --------------------------------------------------- */

typedef struct {
    const char *forecaster;
    size_t failures;
} contract_log;

static void log_check(void *context, const char *check, bench_contract_outcome outcome, const char *detail)
{
    contract_log *log = context;
    if (outcome == BENCH_CONTRACT_FAIL) {
        fprintf(stderr, "contract: %s: %s FAILED: %s\n", log->forecaster, check, detail);
        log->failures++;
    }
}

/* Overrides that keep each built-in's checks fast; applied where the schema has the name. */
static const char *const fast_names[] = {"n_estimators", "max_depth", "epochs", "max_windows", "batch_size",
                                         "e_layers", "d_ff", "patience", "blocks", "width", "layers", "hidden",
                                         "samples", "hid_cnn", "hid_rnn"};
static const char *const fast_values[] = {"2", "1", "1", "64", "16", "1", "16", "1", "1", "16", "1", "8",
                                          "10", "8", "8"};
#define FAST_COUNT (sizeof fast_names / sizeof fast_names[0])

static void builtins_satisfy_the_contract(void **state)
{
    (void)state;
    const bench_forecaster *const *list;
    size_t count = bench_forecaster_builtins(&list);
    assert_true(count >= 7);
    /* The checks' scratch files go to a directory of our own, which must be
     * empty afterwards: a model saved as a directory (gbrt's boosters) once
     * stayed behind in /tmp and, when its name came round again with a reused
     * process id, made the next model's save fail. */
    char scratch[] = "/tmp/bench-test-contract-XXXXXX";
    assert_non_null(mkdtemp(scratch));
    for (size_t i = 0; i < count; i++) {
        const char *names[FAST_COUNT], *values[FAST_COUNT];
        size_t overrides = 0;
        for (size_t o = 0; o < FAST_COUNT; o++)
            for (size_t p = 0; p < list[i]->param_count; p++)
                if (!strcmp(list[i]->params[p].name, fast_names[o])) {
                    names[overrides] = fast_names[o];
                    values[overrides++] = fast_values[o];
                }
        bench_contract_options options = {.param_names = names, .param_values = values, .param_count = overrides,
                                          .timeout_seconds = 60, .scratch_dir = scratch};
        contract_log log = {.forecaster = list[i]->name};
        size_t failures = 0;
        bench_error error = {0};
        int status = bench_contract_run(list[i], &options, log_check, &log, &failures, &error);
        if (status != BENCH_OK)
            fprintf(stderr, "contract: %s: %s\n", list[i]->name, error.message);
        assert_int_equal(status, BENCH_OK);
        assert_int_equal(failures, log.failures);
        assert_int_equal(failures, 0);
    }
    DIR *left = opendir(scratch);
    assert_non_null(left);
    struct dirent *entry;
    while ((entry = readdir(left)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
            fail_msg("the contract checks left %s/%s behind", scratch, entry->d_name);
    closedir(left);
    assert_int_equal(rmdir(scratch), 0);
}

TEST_MAIN("plugins_contract", NULL, NULL,
          cmocka_unit_test(builtins_satisfy_the_contract))
