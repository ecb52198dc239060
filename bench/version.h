/* bench's own version and the versions of the libraries it runs on: one list
 * that `bench --version` prints and that run.json records under "versions". */
#ifndef BENCH_VERSION_H
#define BENCH_VERSION_H

#include <stddef.h>

/* The program's version (semantic: the forecaster plugin ABI has its own,
 * BENCH_FORECASTER_ABI_MAJOR/MINOR in bench/forecaster.h). */
#define BENCH_VERSION "0.9.0"

typedef struct bench_library_version {
    const char *name;    /* "xgboost", "openblas", ... */
    char version[256];   /* as the library reports it at run time where it can */
} bench_library_version;

#define BENCH_LIBRARY_VERSION_COUNT 8

/* Fill out[BENCH_LIBRARY_VERSION_COUNT] with every library bench links against,
 * in a fixed order; the names are static strings.  Returns the count. */
size_t bench_library_versions(bench_library_version out[BENCH_LIBRARY_VERSION_COUNT]);

/* The git commit the binary was built from ("unknown" outside a checkout);
 * a static string. */
const char *bench_git_commit(void);

#endif
