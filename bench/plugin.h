/* Loading out-of-tree forecaster plugins (.so files exporting
 * bench_plugin_forecaster, see include/bench/forecaster.h).
 *
 * A plugin is untrusted code: its constructors run inside dlopen and its entry
 * function returns a vtable bench then reads.  So each plugin is first loaded in
 * a child process (dlopen, entry, vtable checks), which reports through a pipe;
 * only after that report says the plugin loaded does this process dlopen it.  A
 * crash, an exit() or a hang while loading is then a BENCH_BAD_INPUT naming the
 * plugin, not a dead bench.  Its constructors and entry function therefore run
 * twice: once in the probe, once for real. */
#ifndef BENCH_PLUGIN_H
#define BENCH_PLUGIN_H

#include "bench/forecaster.h"

/* How long the probe may take before it is killed and the plugin refused. */
#define BENCH_PLUGIN_LOAD_SECONDS 10

/* Probe the file in a child, then dlopen it here, call its entry symbol, check
 * and register the vtable.  dlopen errors are passed on verbatim.  *out (may be
 * NULL) receives the registered vtable, which lives in the plugin: never freed,
 * as plugins stay loaded for the life of the process.  A file already loaded
 * here is not probed again. */
int bench_plugin_load(const char *path, const bench_forecaster **out, bench_error *error);

/* bench_plugin_load with another time limit for the probe (seconds >= 1). */
int bench_plugin_load_within(const char *path, unsigned seconds, const bench_forecaster **out, bench_error *error);

/* Load every *.so in each directory of BENCH_PLUGIN_PATH (colon list), in name order. */
int bench_plugin_load_environment(bench_error *error);

#endif
