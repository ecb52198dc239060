/* INI configuration files, read with libinih.  Debian's libinih (r55) silently
 * truncates lines over 200 characters and reports no line numbers to handlers, so
 * bench feeds it through a reader that counts lines and refuses over-long ones:
 * a config is never misread silently.
 *
 * Sections are "[run]", "[dataset LABEL]" and "[model VARIANT]"; every key keeps
 * the line it came from, for error messages. */
#ifndef BENCH_CONFIG_H
#define BENCH_CONFIG_H

#include <stddef.h>

#include "bench/error.h"

typedef struct bench_config_entry {
    char *key;
    char *value;
    size_t line;
    int used;            /* set by whoever consumes it; unused keys are errors */
} bench_config_entry;

typedef struct bench_config_section {
    char *kind;          /* "run", "dataset", "model", ... (first word of the header) */
    char *label;         /* the rest of the header ("" when none) */
    size_t line;
    bench_config_entry *entries;
    size_t entry_count;
} bench_config_section;

typedef struct bench_config {
    char *path;
    bench_config_section *sections;
    size_t section_count;
} bench_config;

/* *out is freed with bench_config_free().  Syntax errors, over-long lines,
 * duplicate sections or keys, and keys outside a section are BENCH_BAD_INPUT
 * naming path:line. */
int bench_config_load(bench_config **out, const char *path, bench_error *error);
void bench_config_free(bench_config *config);

/* The entry for key in section (marking it used), or NULL. */
bench_config_entry *bench_config_take(bench_config_section *section, const char *key);

/* A path named in the config at config_path, resolved against the config file's
 * folder (absolute paths stay as they are), so a config and the files it names
 * move together and a run reads the same files from any working directory.
 * Writes out; -1 when it does not fit in size. */
int bench_config_path(char *out, size_t size, const char *config_path, const char *value);

/* The per-cell limits `[run] timeout` / `bench run --timeout` and `[run]
 * memory_limit` / `--memory-limit` share one syntax, so the config and the
 * command line accept exactly the same values.  Bounds keep timers (seconds as
 * unsigned int) and MB * 2^20 bytes (rlim_t) from overflowing. */
#define BENCH_MAX_TIMEOUT_SECONDS 1e9
#define BENCH_MAX_MEMORY_LIMIT_MB 1099511627776ULL /* 2^40 MB */

/* A positive finite number of seconds up to BENCH_MAX_TIMEOUT_SECONDS ("90",
 * "2.5", "1e3"); 0 with *seconds set, or -1. */
int bench_parse_timeout(const char *text, double *seconds);
/* A positive whole number of megabytes up to BENCH_MAX_MEMORY_LIMIT_MB, digits
 * only; 0 with *megabytes set, or -1. */
int bench_parse_memory_limit(const char *text, unsigned long long *megabytes);

/* A cell's thread budget: `[run] threads` of a forecasting, HCSC or X-ray
 * config, `[train] threads` of an X-ray config, and `--threads` all take a
 * whole number from 1 to BENCH_MAX_THREADS, digits only; 0 with *threads set,
 * or -1 (the callers' messages say "an integer from 1 to BENCH_MAX_THREADS"). */
#define BENCH_MAX_THREADS 256
int bench_parse_threads(const char *text, unsigned *threads);
/* The same for a config entry: BENCH_BAD_INPUT "PATH:LINE: threads = VALUE:
 * expected an integer from 1 to 256" when it is not one. */
int bench_config_threads(const char *path, const bench_config_entry *entry, unsigned *threads, bench_error *error);

#endif
