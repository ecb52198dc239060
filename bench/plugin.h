/* Loading out-of-tree forecaster plugins (.so files exporting
 * bench_plugin_forecaster, see include/bench/forecaster.h). */
#ifndef BENCH_PLUGIN_H
#define BENCH_PLUGIN_H

#include "bench/forecaster.h"

/* dlopen the file, call its entry symbol, check and register the vtable.  dlopen
 * errors are passed on verbatim.  *out (may be NULL) receives the registered
 * vtable.  Plugins stay loaded for the life of the process. */
int bench_plugin_load(const char *path, const bench_forecaster **out, bench_error *error);

/* Load every *.so in each directory of BENCH_PLUGIN_PATH (colon list), in name order. */
int bench_plugin_load_environment(bench_error *error);

#endif
