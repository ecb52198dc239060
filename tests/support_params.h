/* Test support: "key=value" settings resolved against a parameter schema the
 * way a config section is (core/params), so a test states a model's settings
 * in one line.  Needs only core/params (libbench_common) and libc. */
#ifndef BENCH_TEST_SUPPORT_PARAMS_H
#define BENCH_TEST_SUPPORT_PARAMS_H

#include <stddef.h>

#include "core/params.h"

/* Resolves up to 16 "key=value" settings as the entries of a [model OWNER]
 * section against spec; returns bench_resolve_params's status (unknown names
 * and malformed values fail there).  *out is freed by bench_owned_params_free. */
int test_resolve_settings(bench_owned_params *out, const bench_param_spec *spec, size_t spec_count,
                          const char *owner, const char *const *settings, size_t count, bench_error *error);

#endif
