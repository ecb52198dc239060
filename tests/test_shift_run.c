/* `bench shift run` end to end on a tiny benchmark (10 scenes of 32 px, 3
 * training steps): results.csv follows the results contract in plan order and
 * is byte-identical across runs; configuration errors name file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain_shift/run.h"

static char scratch[64];

static int make_scratch(void **state)
{
    (void)state;
    snprintf(scratch, sizeof scratch, "/tmp/test_shift_run.XXXXXX");
    return mkdtemp(scratch) == NULL;
}

static int remove_scratch(void **state)
{
    (void)state;
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", scratch);
    return system(command);
}

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

static const char *tiny_config =
    "[benchmark]\nseed = 5\nscenes = 10\nsize = 32\ndevices = D1,D2\n"
    "[train]\nsteps = 3\nbatch = 2\nwidth = 4\neval_every = 3\n"
    "[run]\nmethods = source_only,oracle,psn,psn_global_only,psn_local_only,source_only_target_bn\n"
    "pairs = D1>D2\nseeds = 1\n";

static void tiny_run_follows_contract_and_repeats(void **state)
{
    (void)state;
    char config[128], out[2][128], path[160];
    snprintf(config, sizeof config, "%s/tiny.ini", scratch);
    write_file(config, tiny_config);
    bench_error error = {0};
    for (int run = 0; run < 2; run++) {
        snprintf(out[run], sizeof out[run], "%s/out%d", scratch, run);
        if (shift_run_config(config, out[run], NULL, NULL, &error) != BENCH_OK)
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
    assert_int_equal(rows, 1 + 6 * 11); /* header + 6 methods x (map + 10 classes) */
    /* plan order: source_only, its target-BN variant, oracle, psn, ablations; all detect on xray_D1_to_D2 */
    const char *second_line = strchr(first, '\n') + 1;
    assert_non_null(strstr(second_line, ",detect,xray_D1_to_D2,transfer,source_only,source_only,,1,map,"));
    const char *adabn = strstr(first, ",source_only_target_bn,source_only_target_bn,,1,map,");
    const char *oracle = strstr(first, ",oracle,oracle,,1,map,");
    assert_non_null(adabn);
    assert_non_null(oracle);
    assert_true(adabn < oracle);
    assert_non_null(strstr(adabn, ",ok\n")); /* trained and evaluated, not an error row */
    assert_non_null(strstr(first, ",psn_local_only,psn_local_only,,1,ap_laptop,"));
    free(first), free(second);
    snprintf(path, sizeof path, "%s/run.json", out[0]);
    char *json = read_file(path);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"protocol\": \"transfer\""));
    free(json);
}

static void configuration_errors_name_file_and_line(void **state)
{
    (void)state;
    char config[128], out[128];
    snprintf(config, sizeof config, "%s/bad.ini", scratch);
    snprintf(out, sizeof out, "%s/bad-out", scratch);
    bench_error error = {0};
    write_file(config, "[train]\nsteps = 3\nstpes = 4\n");
    assert_int_equal(shift_run_config(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "bad.ini:3: unknown key 'stpes' in [train]"));
    write_file(config, "[run]\nmethods = psn,dann\n");
    assert_int_equal(shift_run_config(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "bad.ini:2: methods = 'psn,dann'"));
    write_file(config, "[benchmark]\ndevices = D1,D9\n");
    assert_int_equal(shift_run_config(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "bad.ini:2:"));
    write_file(config, "[run]\npairs = D1>D1\n");
    assert_int_equal(shift_run_config(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "two different devices"));
    write_file(config, "[benchmark]\nsize = 50\n");
    assert_int_equal(shift_run_config(config, out, NULL, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "multiple of 4"));
    /* nothing was written for a bad configuration */
    char path[160];
    snprintf(path, sizeof path, "%s/results.csv", out);
    assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tiny_run_follows_contract_and_repeats),
        cmocka_unit_test(configuration_errors_name_file_and_line),
    };
    return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
