/* The thread team of nn/team.h: workers sleep on a condition variable between
 * runs (no spinning: the cell's other work, and other cells, need the cores), a
 * run is published by bumping a generation counter, and indices are claimed from
 * an atomic counter so a slow task does not hold up the rest. */
#include "nn/team.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "nn/gemm.h"

struct nn_team {
    size_t size;
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    unsigned long generation; /* bumped by every run; workers wait for a change */
    int stopping;
    size_t running;           /* helper threads still inside the current run */
    /* the current run */
    nn_team_task task;
    void *context;
    size_t count;
    atomic_size_t next;
};

typedef struct worker_start {
    nn_team *team;
    size_t worker;
} worker_start;

static void claim_and_run(nn_team *team, size_t worker)
{
    for (;;) {
        size_t index = atomic_fetch_add(&team->next, 1);
        if (index >= team->count)
            return;
        team->task(team->context, index, worker);
    }
}

static void *worker_main(void *argument)
{
    worker_start start = *(worker_start *)argument;
    free(argument);
    nn_team *team = start.team;
    unsigned long seen = 0;
    pthread_mutex_lock(&team->lock);
    for (;;) {
        while (team->generation == seen && !team->stopping)
            pthread_cond_wait(&team->wake, &team->lock);
        if (team->stopping)
            break;
        seen = team->generation;
        pthread_mutex_unlock(&team->lock);
        claim_and_run(team, start.worker);
        pthread_mutex_lock(&team->lock);
        if (--team->running == 0)
            pthread_cond_signal(&team->done);
    }
    pthread_mutex_unlock(&team->lock);
    return NULL;
}

int nn_team_create(nn_team **out, unsigned threads, bench_error *error)
{
    *out = NULL;
    nn_team *team = calloc(1, sizeof *team);
    if (team == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "team: cannot allocate a team of %u threads", threads);
    team->size = threads == 0 ? 1 : threads;
    pthread_mutex_init(&team->lock, NULL);
    pthread_cond_init(&team->wake, NULL);
    pthread_cond_init(&team->done, NULL);
    atomic_init(&team->next, 0);
    if (team->size > 1) {
        team->threads = calloc(team->size - 1, sizeof *team->threads);
        if (team->threads == NULL) {
            team->size = 1;
            nn_team_free(team);
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "team: cannot allocate a team of %u threads", threads);
        }
    }
    for (size_t w = 1; w < team->size; w++) {
        worker_start *start = malloc(sizeof *start);
        int failed = start == NULL;
        if (!failed) {
            *start = (worker_start){.team = team, .worker = w};
            failed = pthread_create(&team->threads[w - 1], NULL, worker_main, start) != 0;
            if (failed)
                free(start);
        }
        if (failed) {
            team->size = w; /* the threads started so far are joined by nn_team_free */
            nn_team_free(team);
            return BENCH_FAIL(error, BENCH_NO_MEMORY, "team: cannot start thread %zu of %u", w + 1, threads);
        }
    }
    *out = team;
    return BENCH_OK;
}

void nn_team_free(nn_team *team)
{
    if (team == NULL)
        return;
    pthread_mutex_lock(&team->lock);
    team->stopping = 1;
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->lock);
    for (size_t w = 1; w < team->size; w++)
        pthread_join(team->threads[w - 1], NULL);
    pthread_cond_destroy(&team->wake);
    pthread_cond_destroy(&team->done);
    pthread_mutex_destroy(&team->lock);
    free(team->threads);
    free(team);
}

size_t nn_team_size(const nn_team *team)
{
    return team == NULL ? 1 : team->size;
}

void nn_team_run(nn_team *team, size_t count, nn_team_task task, void *context)
{
    if (team == NULL || team->size == 1 || count <= 1) {
        for (size_t i = 0; i < count; i++)
            task(context, i, 0);
        return;
    }
    unsigned blas_threads = nn_get_threads();
    nn_set_threads(1);
    pthread_mutex_lock(&team->lock);
    team->task = task;
    team->context = context;
    team->count = count;
    atomic_store(&team->next, 0);
    team->running = team->size - 1;
    team->generation++;
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->lock);
    claim_and_run(team, 0);
    pthread_mutex_lock(&team->lock);
    while (team->running > 0)
        pthread_cond_wait(&team->done, &team->lock);
    pthread_mutex_unlock(&team->lock);
    nn_set_threads(blas_threads);
}

typedef struct gemm_rows {
    int transpose_a, transpose_b;
    size_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
    const float *a, *b;
    float *c;
} gemm_rows;

static void gemm_block(void *context, size_t index, size_t worker)
{
    (void)worker;
    const gemm_rows *g = context;
    size_t first = index * NN_TEAM_GEMM_ROWS;
    size_t rows = g->m - first < NN_TEAM_GEMM_ROWS ? g->m - first : NN_TEAM_GEMM_ROWS;
    /* op(A)'s rows [first, first + rows): rows of A, or columns of A when transposed. */
    const float *a = g->transpose_a ? g->a + first : g->a + first * g->lda;
    nn_gemm(g->transpose_a, g->transpose_b, rows, g->n, g->k, g->alpha, a, g->lda, g->b, g->ldb, g->beta,
            g->c + first * g->ldc, g->ldc);
}

void nn_team_gemm(nn_team *team, int transpose_a, int transpose_b, size_t m, size_t n, size_t k, float alpha,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    gemm_rows g = {.transpose_a = transpose_a, .transpose_b = transpose_b, .m = m, .n = n, .k = k, .lda = lda,
                   .ldb = ldb, .ldc = ldc, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c};
    nn_team_run(team, (m + NN_TEAM_GEMM_ROWS - 1) / NN_TEAM_GEMM_ROWS, gemm_block, &g);
}
