/* One writer per output directory.
 *
 * A run directory is written by one command at a time: two `bench run` into the
 * same --out would interleave cell files and the first to finish would merge a
 * results.csv from the other's half-done cells.  Shards of one plan (`bench run
 * --shard I/N`, as `bench slurm` runs them) share the directory by design and
 * take the lock shared; everything else that writes it (an unsharded run or
 * resume, plan, merge, tune, hcsc and shift runs) takes it exclusively.  The
 * lock is flock(2) on DIR/.bench.lock: the kernel releases it when the holder
 * dies, so a SIGKILLed run never leaves a stale lock behind.  Forked workers
 * inherit it, which is what we want: they are still writing. */
#ifndef BENCH_DIR_LOCK_H
#define BENCH_DIR_LOCK_H

#include "bench/error.h"

typedef struct bench_dir_lock {
    int fd;                 /* -1 when not held */
} bench_dir_lock;

/* Take dir's lock (dir is created when missing).  holder is a one-line
 * description ("bench run configs/x.ini") recorded with the pid so that a
 * conflicting writer is told who holds it.  Never waits: a conflict is
 * BENCH_BAD_INPUT "DIR is in use by pid N (bench run ...)". */
int bench_dir_lock_take(bench_dir_lock *lock, const char *dir, int exclusive, const char *holder,
                        bench_error *error);

/* Release (safe on a lock never taken or already released). */
void bench_dir_lock_release(bench_dir_lock *lock);

#endif
