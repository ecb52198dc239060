/* Helpers shared by the sweep tests (test_sweep_merge, test_sweep_signals): a
 * tiny configuration over tests/data/harness/hourly.csv, running bench, and
 * comparing run directories.  Failures are cmocka assertions. */
#ifndef BENCH_TEST_SUPPORT_SWEEP_H
#define BENCH_TEST_SUPPORT_SWEEP_H

#include <stddef.h>

/* Path of tests/data/harness/hourly.csv, set by sweep_setup. */
extern char sweep_hourly_csv[4096];

/* cmocka group setup: fills sweep_hourly_csv; fails when the bench binary is missing. */
int sweep_setup(void **state);

/* Run bench with arguments (NULL-terminated list after first); returns the exit
 * code.  When err is not NULL, *err receives stderr (the caller frees it). */
int sweep_bench(char **err, const char *first, ...);

/* A [run] seeds = SEEDS config: one dataset (tests/data/harness/hourly.csv,
 * ltsf, horizons 12,24) and naive, seasonal_naive, mean: 6 cells per seed.
 * Needs no sweep_setup. */
void sweep_write_config(const char *path, const char *seeds);

/* dir/name read whole (NUL-terminated; caller frees) or NULL; exists or not. */
char *sweep_read_in(const char *dir, const char *name, size_t *length);
int sweep_exists_in(const char *dir, const char *name);

/* dir_a/name and dir_b/name have the same bytes. */
void sweep_assert_same_file(const char *dir_a, const char *dir_b, const char *name);

/* Number of files named *.tmp.* under dir (half-written leftovers). */
size_t sweep_temp_files(const char *dir);
/* Finished cells of a run directory: the .json records in DIR/cells, temporaries excluded. */
size_t sweep_finished_cells(const char *dir);

/* A work directory holding tiny.ini and its plain (unsharded) run in plain/. */
typedef struct sweep_dirs {
    char work[4200], config[4300], plain[4300];
} sweep_dirs;
void sweep_prepare(sweep_dirs *s, const char *seeds);

#endif
