/* Every libFuzzer input committed under fuzz/ (seed corpora and past crashes in
 * fuzz/regressions/NAME/) replayed through the very harness code, in the normal
 * test build: under `make check`'s ASan+UBSan build a past crash fails here even
 * on a machine without clang.
 *
 * Why the harness .c files are included rather than linked: each defines the
 * one symbol libFuzzer calls, LLVMFuzzerTestOneInput, so each is renamed on
 * inclusion; the code replayed is exactly the code fuzzed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support_process.h"

#include "fuzz/fuzz_support.c"
#define LLVMFuzzerTestOneInput fuzz_csv_dated
#include "fuzz/fuzz_csv_dated.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_csv_long
#include "fuzz/fuzz_csv_long.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_lstnet
#include "fuzz/fuzz_lstnet.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_m4
#include "fuzz/fuzz_m4.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_idx
#include "fuzz/fuzz_idx.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_config
#include "fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_voc_xml
#include "fuzz/fuzz_voc_xml.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_gbrt_manifest
#define LLVMFuzzerInitialize init_gbrt_manifest
#include "fuzz/fuzz_gbrt_manifest.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_nn_checkpoint
#define LLVMFuzzerInitialize init_nn_checkpoint
#include "fuzz/fuzz_nn_checkpoint.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_merge
#include "fuzz/fuzz_merge.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cell_file
#include "fuzz/fuzz_cell_file.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_plan
#include "fuzz/fuzz_plan.c"
#include "support_cmocka.h"
#undef LLVMFuzzerTestOneInput

typedef struct harness {
    const char *name;
    int (*one_input)(const uint8_t *data, size_t size);
    int (*initialize)(int *argc, char ***argv);
} harness;

static const harness harnesses[] = {
    {"csv_dated", fuzz_csv_dated, NULL},
    {"csv_long", fuzz_csv_long, NULL},
    {"lstnet", fuzz_lstnet, NULL},
    {"m4", fuzz_m4, NULL},
    {"idx", fuzz_idx, NULL},
    {"config", fuzz_config, NULL},
    {"voc_xml", fuzz_voc_xml, NULL},
    {"gbrt_manifest", fuzz_gbrt_manifest, init_gbrt_manifest},
    {"nn_checkpoint", fuzz_nn_checkpoint, init_nn_checkpoint},
    {"merge", fuzz_merge, NULL},
    {"cell_file", fuzz_cell_file, NULL},
    {"plan", fuzz_plan, NULL},
};

/* Feed every file of fuzz/KIND/NAME to the harness; returns how many. */
static size_t replay(const harness *h, const char *kind)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", test_source_dir(), kind, h->name);
    DIR *listing = opendir(dir);
    if (listing == NULL)
        return 0;
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(listing)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char path[4500];
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        size_t length = 0;
        char *bytes = test_read_file(path, &length);
        assert_non_null(bytes);
        h->one_input((const uint8_t *)bytes, length);
        free(bytes);
        count++;
    }
    closedir(listing);
    return count;
}

static void seeds_and_past_crashes_run_clean(void **state)
{
    (void)state;
    size_t seeds = 0, crashes = 0;
    for (size_t i = 0; i < sizeof harnesses / sizeof harnesses[0]; i++) {
        const harness *h = &harnesses[i];
        if (h->initialize != NULL)
            h->initialize(NULL, NULL);
        size_t found = replay(h, "corpus");
        if (found == 0)
            fprintf(stderr, "harness %s has no seed corpus in fuzz/corpus/%s\n", h->name, h->name);
        assert_true(found > 0);
        seeds += found;
        crashes += replay(h, "regressions");
    }
    fprintf(stderr, "note: %zu seeds and %zu past crash inputs replayed through %zu harnesses\n", seeds, crashes,
            sizeof harnesses / sizeof harnesses[0]);
    assert_true(crashes >= 1); /* fuzz/regressions/voc_xml: element nesting past path[] */
}

/* The past crash, named: an <annotation> nested ten deep read past the parser's
 * element-path table (domain_shift/voc_xml.c parent_is). */
static void voc_nesting_deeper_than_the_path_table(void **state)
{
    (void)state;
    char text[2048] = "<annotation>";
    for (int i = 0; i < 12; i++)
        strcat(text, "<a>");
    strcat(text, "<name>x</name>");
    for (int i = 0; i < 12; i++)
        strcat(text, "</a>");
    strcat(text, "</annotation>");
    shift_annotation annotation;
    bench_error error = {0};
    if (shift_voc_parse(text, strlen(text), "deep.xml", &annotation, &error) == BENCH_OK)
        shift_annotation_free(&annotation);
}

static int cleanup(void **state)
{
    (void)state;
    nn_params_free(&model);
    return 0;
}

TEST_MAIN("sweep_fuzz_regressions", NULL, cleanup,
          cmocka_unit_test(seeds_and_past_crashes_run_clean),
          cmocka_unit_test(voc_nesting_deeper_than_the_path_table))
