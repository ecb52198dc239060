/* The configuration examples of the documentation load with the real loader:
 * every ```ini block of README.md and of each folder's README.md is written to a
 * temporary folder (next to a `data` link to examples/data/, which holds the
 * files the blocks name, config-relative) and given to `bench plan`.  A block
 * may opt out only with the marker line `<!-- config-test: skip (why) -->` right
 * before it, for deliberate fragments.  A registered dataset that is not present
 * skips its block loudly rather than failing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support_process.h"
#include "support_files.h"
#include "support_cmocka.h"

#define SKIP_MARKER "<!-- config-test: skip"

/* Check every ini block of one markdown file; counts into *checked / *skipped. */
static void check_file(const char *markdown, const char *work, size_t *checked, size_t *skipped)
{
    char *text = test_slurp(markdown);
    size_t index = 0;
    for (const char *open = strstr(text, "```ini\n"); open != NULL; open = strstr(open, "```ini\n")) {
        const char *body = open + strlen("```ini\n");
        const char *close = strstr(body, "```");
        assert_non_null(close);
        /* The marker must be the line just before the fence. */
        const char *line_start = open;
        if (line_start > text)
            for (line_start--; line_start > text && line_start[-1] != '\n'; line_start--)
                ;
        int marked = open > text && !strncmp(line_start, SKIP_MARKER, strlen(SKIP_MARKER));
        index++;
        open = close + 3;
        if (marked) {
            (*skipped)++;
            continue;
        }
        char config[4400], out[4400];
        snprintf(config, sizeof config, "%s/block%zu.ini", work, *checked + *skipped);
        snprintf(out, sizeof out, "%s/out%zu", work, *checked + *skipped);
        char *block = strndup(body, (size_t)(close - body));
        assert_non_null(block);
        assert_int_equal(test_write_file(config, block), 0);
        free(block);
        const char *argv[] = {test_bench_binary(), "plan", config, "--out", out, NULL};
        test_process_result result;
        assert_int_equal(test_process_run(&result, argv, work, NULL), 0);
        if (result.exit_code != 0 && strstr(result.err, "run `bench data fetch") != NULL) {
            fprintf(stderr, "SKIPPED: %s, ini block %zu: a registered dataset is absent: %s", markdown, index,
                    result.err);
            (*skipped)++;
        } else {
            if (result.exit_code != 0)
                fprintf(stderr, "%s, ini block %zu does not load (exit %d):\n%s", markdown, index, result.exit_code,
                        result.err);
            assert_int_equal(result.exit_code, 0);
            (*checked)++;
        }
        test_process_free(&result);
    }
    free(text);
}

static void every_ini_block_of_the_readmes_loads(void **state)
{
    (void)state;
    if (access(test_bench_binary(), X_OK) != 0)
        fail_msg("%s is not built", test_bench_binary());
    const char *work = test_temp_dir();
    char link_target[4300], link_path[4300];
    snprintf(link_target, sizeof link_target, "%s/examples/data", test_source_dir());
    snprintf(link_path, sizeof link_path, "%s/data", work);
    assert_int_equal(symlink(link_target, link_path), 0);
    char pattern[4300];
    size_t checked = 0, skipped = 0;
    snprintf(pattern, sizeof pattern, "%s/README.md", test_source_dir());
    check_file(pattern, work, &checked, &skipped);
    snprintf(pattern, sizeof pattern, "%s/*/README.md", test_source_dir());
    glob_t found;
    if (glob(pattern, 0, NULL, &found) == 0) {
        for (size_t i = 0; i < found.gl_pathc; i++)
            check_file(found.gl_pathv[i], work, &checked, &skipped);
        globfree(&found);
    }
    fprintf(stderr, "note: %zu ini blocks loaded, %zu skipped\n", checked, skipped);
    /* The "Your own data" section alone has one block per format. */
    assert_true(checked >= 4);
}

TEST_MAIN("config_docs", NULL, NULL,
          cmocka_unit_test(every_ini_block_of_the_readmes_loads))
