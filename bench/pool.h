/* The one worker pool of the harness: every item of a plan (a forecasting cell,
 * an HCSC cell, an X-ray training unit) runs in a process of its own, `jobs` at
 * a time, in plan order.
 *
 * Why processes: each item gets exactly its own thread budget (OpenBLAS,
 * XGBoost's OpenMP), a crashing model cannot take the run down, and items are
 * independent of how many run at once, so --jobs never changes a byte.
 *
 * The pool owns the mechanics every task needs the same way: fork, a per-item
 * memory limit and wall-clock deadline, the worker's report pipe (the only
 * channel from a worker: "ok" once its files are committed, or an I/O failure),
 * SIGINT/SIGTERM (no new items; running ones finish or are reaped, the caller
 * learns the signal), and reaping.  What an item is, which to skip on resume
 * and what a worker that ended without a report means stay with the task. */
#ifndef BENCH_POOL_H
#define BENCH_POOL_H

#include <stddef.h>

#include "bench/error.h"

/* How one worker ended, as the parent saw it. */
typedef struct bench_pool_outcome {
    int reported_ok;       /* the worker said "ok": its item's files are committed */
    const char *io_error;  /* the worker could not write its files: its message; else NULL */
    int wait_status;       /* from waitpid */
    int timed_out;         /* killed by the pool at its deadline */
    int interrupted;       /* a stop signal arrived and the worker did not finish */
} bench_pool_outcome;

typedef struct bench_pool {
    size_t count;                       /* items 0 .. count-1, started in this order */
    unsigned jobs;                      /* workers at once (0 counts as 1) */
    double timeout_seconds;             /* per item, wall clock; 0 = none */
    unsigned long long memory_limit_mb; /* per worker (RLIMIT_AS); 0 = none */
    /* In the parent, before item i would start: 1 to run it, 0 to leave it
     * (another shard's, or kept by --resume).  May be NULL (run all). */
    int (*want)(void *context, size_t item);
    /* In the worker: the item's work.  BENCH_OK once its files are committed;
     * any other status is an I/O failure of the harness (a model's own error is
     * a result the item records as such, with BENCH_OK). */
    int (*work)(void *context, size_t item, bench_error *error);
    /* In the parent, once a worker has ended, however it ended (a worker cut
     * short by a stop signal has outcome->interrupted: usually left for
     * --resume).  A status other than BENCH_OK stops the pool with that error. */
    int (*finished)(void *context, size_t item, const bench_pool_outcome *outcome, bench_error *error);
    void *context;
} bench_pool;

/* Runs the pool to the end, or until a stop signal or a finished() error; then
 * waits for the workers still running.  *stop_signal (may be NULL) receives the
 * SIGINT/SIGTERM that stopped it, else 0; an interrupted pool returns
 * BENCH_INTERRUPTED.  Library code: prints nothing. */
int bench_pool_run(const bench_pool *pool, int *stop_signal, bench_error *error);

/* One question asked of a child process, for work the parent must not do
 * itself (a library that starts threads, code that may crash): body runs in a
 * forked child, writes its answer to fd and returns the child's exit status.
 * The parent reads up to size bytes into answer (*got says how many) and reaps
 * the child (*wait_status).  BENCH_IO only when the pipe or the fork fails;
 * what the answer and status mean is the caller's. */
int bench_child_answer(int (*body)(void *context, int fd), void *context, void *answer, size_t size, size_t *got,
                       int *wait_status, bench_error *error);

#endif
