/* The one cmocka entry point of every test binary, and cmocka-only helpers
 * shared by the tests (libc and cmocka alone, so the nn tests may link them). */
#ifndef BENCH_TEST_SUPPORT_CMOCKA_H
#define BENCH_TEST_SUPPORT_CMOCKA_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Defines main: runs the tests given after the group name and the group
 * setup/teardown (NULL for none) as one cmocka group and exits with cmocka's
 * count of failed tests, so the exit code carries the verdict. */
#define TEST_MAIN(group, setup, teardown, ...)                                           \
    int main(void)                                                                       \
    {                                                                                    \
        static const struct CMUnitTest test_main_cases[] = {__VA_ARGS__};                \
        return cmocka_run_group_tests_name(group, test_main_cases, setup, teardown);     \
    }

#endif
