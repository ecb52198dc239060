/* A fixed team of threads for data parallelism inside one training step: the
 * ghost batch-norm groups of an HCSC batch, the images of an augmentation, the
 * row blocks of a wide GEMM.  It is not the harness's worker pool (which runs
 * whole cells in processes); a team lives inside one cell and uses the cell's
 * thread budget.
 *
 * Determinism: nn_team_run hands out task indices dynamically, so a task must
 * write only memory that belongs to its index (or to its worker's scratch, which
 * it must not read back across tasks).  Results then do not depend on which
 * thread ran which index, nor on the team's size.
 *
 * GEMMs inside a task run on the calling thread: while the team runs, OpenBLAS
 * is set to one thread and restored afterwards (its own workers would otherwise
 * spin on the cores the team is using). */
#ifndef BENCH_NN_TEAM_H
#define BENCH_NN_TEAM_H

#include <stddef.h>

#include "bench/error.h"

typedef struct nn_team nn_team;

/* task(context, index, worker): index in [0, count), worker in [0, team size). */
typedef void (*nn_team_task)(void *context, size_t index, size_t worker);

/* A team of `threads` workers (0 is treated as 1): the caller is worker 0 and
 * threads − 1 pthreads wait for work.  *out is freed with nn_team_free. */
int nn_team_create(nn_team **out, unsigned threads, bench_error *error);
void nn_team_free(nn_team *team);

/* Workers in the team; 1 for a NULL team. */
size_t nn_team_size(const nn_team *team);

/* Runs task for every index in [0, count) and returns when all have finished.
 * A NULL team or a team of one runs them in order on the caller. */
void nn_team_run(nn_team *team, size_t count, nn_team_task task, void *context);

/* nn_gemm (nn/gemm.h, same arguments) with the rows of C cut into blocks of a
 * fixed NN_TEAM_GEMM_ROWS rows, one GEMM each, run across the team.  The blocks
 * do not depend on the team's size, so neither does the result. */
#define NN_TEAM_GEMM_ROWS 32
void nn_team_gemm(nn_team *team, int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

#endif
