/* Building plugins against bench's helpers, uninstalled and installed (issue 5):
 * a plugin calling window construction, nn_gemm, nn_params and a metric loads
 * into the bench executable with no library (-rdynamic exports); then
 * `make install PREFIX=tmp`, and the installed bench's scaffold builds with the
 * README's one command `cc -shared -fPIC x.c $(pkg-config --cflags --libs bench)
 * -o x.so`, runs, and shows up in a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support_bench.h"
#include "support_cmocka.h"

/* Run a shell script in cwd with extra environment; fails the test on a non-zero exit. */
static void shell(test_process_result *result, const char *cwd, const char *script, const char *const environment[])
{
    const char *argv[] = {"sh", "-c", script, NULL};
    assert_int_equal(test_process_run(result, argv, cwd, environment), 0);
    if (result->exit_code != 0)
        fprintf(stderr, "script failed (exit %d):\n%s\n--- stdout\n%s--- stderr\n%s", result->exit_code, script,
                result->out, result->err);
    assert_int_equal(result->exit_code, 0);
}

static void helpers_resolve_from_the_executable(void **state)
{
    (void)state;
    const char *work = test_temp_dir();
    char script[16384];
    snprintf(script, sizeof script,
             "set -e\ncc -std=c11 -shared -fPIC -I%s/include -I%s %s/tests/data/plugins/helpers.c -o helpers.so\n"
             "'%s' check-plugin ./helpers.so\n",
             test_source_dir(), test_source_dir(), test_source_dir(), test_bench_binary());
    test_process_result result;
    shell(&result, work, script, NULL);
    assert_non_null(strstr(result.out, "check-plugin mean_change"));
    assert_non_null(strstr(result.out, ", 0 failed"));
    test_process_free(&result);
}

static void install_then_build_with_pkg_config(void **state)
{
    (void)state;
    if (system("command -v make >/dev/null && command -v pkg-config >/dev/null") != 0) {
        fprintf(stderr, "SKIPPED: make or pkg-config missing; the installed build is not checked\n");
        skip();
    }
    /* The build directory of the binary under test, relative to the source tree.
     * `-o BUILD/bench`: the install never relinks the binary under test. */
    char build[4200];
    snprintf(build, sizeof build, "%s", test_bench_binary());
    *strrchr(build, '/') = '\0';
    const char *relative = build;
    size_t source_length = strlen(test_source_dir());
    if (strncmp(build, test_source_dir(), source_length) == 0 && build[source_length] == '/')
        relative = build + source_length + 1;
#ifdef __SANITIZE_ADDRESS__
    const char *sanitize = "SANITIZE=address,undefined OPT='-O1 -g'";
#else
    const char *sanitize = "";
#endif
    const char *work = test_temp_dir();
    char script[16384];
    snprintf(script, sizeof script,
             "set -e\n"
             "make -s -C '%s' BUILD='%s' %s -o '%s/bench' install PREFIX='%s/prefix' >make.log\n"
             "export PATH='%s/prefix/bin':$PATH PKG_CONFIG_PATH='%s/prefix/lib/pkgconfig'\n"
             "pkg-config --modversion bench\n"
             "bench new-forecaster my_model >/dev/null\n"
             "cd my_model\n"
             "cc -shared -fPIC my_model.c $(pkg-config --cflags --libs bench) -o my_model.so\n"
             "bench run try.ini --out runs/try --quiet\n"
             "bench table runs/try --metric mse\n"
             "cc -shared -fPIC %s/tests/data/plugins/helpers.c $(pkg-config --cflags --libs bench) -o helpers.so\n"
             "bench check-plugin ./helpers.so\n",
             test_source_dir(), relative, sanitize, relative, work, work, work, test_source_dir());
    const char *const environment[] = {"MAKEFLAGS=", "MAKELEVEL=", NULL};
    test_process_result result;
    shell(&result, work, script, environment);
    /* The pkg-config version is the forecaster ABI. */
    assert_true(strncmp(result.out, "1.", 2) == 0);
    assert_non_null(strstr(result.out, "| seasonal\\_naive | my\\_model |"));
    assert_non_null(strstr(result.out, "check-plugin mean_change"));
    assert_non_null(strstr(result.out, ", 0 failed"));
    test_process_free(&result);
    char path[4300];
    snprintf(path, sizeof path, "%s/prefix/include/bench/nn/gemm.h", work);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/prefix/lib/libbench.a", work);
    assert_int_equal(access(path, R_OK), 0);
}

TEST_MAIN("plugins_install", test_bench_setup, NULL,
          cmocka_unit_test(helpers_resolve_from_the_executable),
          cmocka_unit_test(install_then_build_with_pkg_config))
