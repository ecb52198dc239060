/* The one parameter schema applied to a config section (issue 18): a model's
 * parameters, a protocol's settings and the sections of the HCSC and X-ray
 * configs are all described by bench_param_spec tables, checked here, so unknown
 * keys, ranges and suggestions behave the same everywhere. */
#ifndef BENCH_CORE_PARAMS_H
#define BENCH_CORE_PARAMS_H

#include <stddef.h>

#include "bench/forecaster.h"
#include "core/config.h"

/* Parameters resolved against a schema; arrays owned (freed by bench_owned_params_free). */
typedef struct bench_owned_params {
    bench_params view;      /* what forecasters and protocols read */
    char **names;
    char **values;
} bench_owned_params;

/* Check config entries against a schema and fill *out with every schema name
 * (given value or default).  Entries already marked used are skipped (the
 * caller consumed them).  An unknown key is "unknown parameter 'K' for OWNER". */
int bench_resolve_params(bench_owned_params *out, const bench_param_spec *spec, size_t spec_count,
                         bench_config_section *section, const char *config_path, const char *owner,
                         bench_error *error);

/* The same for a whole config section whose keys are all in spec: an unknown
 * key is "PATH:LINE: unknown key 'K' in [KIND LABEL] (did you mean ...); known
 * keys: ...", a bad value "PATH:LINE: K = V: problem".  Every entry is marked
 * used.  *out is freed by bench_owned_params_free, also after a failure. */
int bench_resolve_section(bench_owned_params *out, const bench_param_spec *spec, size_t spec_count,
                          bench_config_section *section, const char *config_path, bench_error *error);

/* The entry of section named key, or NULL: where a reader finds the line of a
 * resolved value that fails a check the schema cannot express. */
const bench_config_entry *bench_section_entry(const bench_config_section *section, const char *key);

void bench_owned_params_free(bench_owned_params *params);

#endif
