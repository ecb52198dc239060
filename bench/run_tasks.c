#include "bench/run_tasks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/pool.h"
#include "core/dir_lock.h"
#include "core/files.h"
#include "nn/gemm.h"

/* ---- HCSC ------------------------------------------------------------------------ */

typedef struct hcsc_context {
    const hcsc_plan *plan;
    const char *out_dir;
    int resume;
    const hcsc_progress *progress;
    unsigned char *done;           /* (cell_count) resume keeps these; read once */
    bench_image_set train, test;   /* loaded once; the workers share them copy-on-write */
} hcsc_context;

static int hcsc_want(void *context_, size_t item)
{
    hcsc_context *context = context_;
    const hcsc_cell *cell = &context->plan->cells[item];
    if (context->resume)
        return !context->done[item];
    char path[4096];
    snprintf(path, sizeof path, "%s/cells/%s.csv", context->out_dir, cell->id);
    unlink(path);
    return 1;
}

static int hcsc_work(void *context_, size_t item, bench_error *error)
{
    hcsc_context *context = context_;
    return hcsc_run_cell(context->plan, item, &context->train, &context->test, context->out_dir, context->progress,
                         error);
}

/* A worker that could not write its files, or that died, leaves its cell
 * without rows: hcsc_merge() turns that into error rows and says so. */
static int hcsc_finished(void *context_, size_t item, const bench_pool_outcome *outcome, bench_error *error)
{
    (void)error;
    hcsc_context *context = context_;
    if (outcome->io_error != NULL)
        hcsc_progress_say(context->progress, "cell %s: cannot write its results: %s", context->plan->cells[item].id,
                 outcome->io_error);
    return BENCH_OK;
}

static int hcsc_run_locked(hcsc_context *context, size_t *failed_cells, bench_error *error)
{
    const hcsc_plan *plan = context->plan;
    static const char *const subdirectories[] = {"cells", "curves", "checkpoints"};
    char path[4096];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", context->out_dir, subdirectories[i]);
        int status = bench_make_directories(path, error);
        if (status != BENCH_OK)
            return status;
    }
    /* An old results.csv must not look like this run's while it is incomplete. */
    snprintf(path, sizeof path, "%s/results.csv", context->out_dir);
    if (unlink(path) != 0 && errno != ENOENT)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot remove: %s", path, strerror(errno));
    hcsc_progress_say(context->progress, "loading Fashion-MNIST");
    int status = hcsc_load_data(&context->train, &context->test, plan->data_dir, plan->train_limit, plan->test_limit,
                                plan->validation, error);
    if (status != BENCH_OK)
        return status;
    /* Each cell file is validated once, for the count said here and for the pool. */
    size_t to_run = 0;
    context->done = calloc(plan->cell_count + 1, 1);
    if (context->done == NULL) {
        bench_image_set_free(&context->train);
        bench_image_set_free(&context->test);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%zu cells", plan->cell_count);
    }
    for (size_t c = 0; c < plan->cell_count; c++) {
        context->done[c] = context->resume && hcsc_cell_done(&plan->cells[c], context->out_dir);
        to_run += !context->done[c];
    }
    hcsc_progress_say(context->progress, "%zu cells, %zu done before, %zu to run with %u job%s", plan->cell_count,
             plan->cell_count - to_run, to_run, plan->jobs, plan->jobs == 1 ? "" : "s");
    nn_set_threads(plan->threads);
    bench_pool pool = {.count = plan->cell_count, .jobs = plan->jobs, .want = hcsc_want, .work = hcsc_work,
                       .finished = hcsc_finished, .context = context};
    status = bench_pool_run(&pool, NULL, error);
    free(context->done);
    context->done = NULL;
    bench_image_set_free(&context->train);
    bench_image_set_free(&context->test);
    if (status != BENCH_OK)
        return status;
    return hcsc_merge(plan, context->out_dir, failed_cells, error);
}

int bench_hcsc_run(const hcsc_plan *plan, const char *out_dir, int resume, const hcsc_progress *progress,
                   size_t *failed_cells, bench_error *error)
{
    /* One writer per run directory. */
    char holder[4200];
    snprintf(holder, sizeof holder, "bench hcsc run %s%s", plan->config_path, resume ? " --resume" : "");
    bench_dir_lock lock;
    if (bench_dir_lock_take(&lock, out_dir, 1, holder, error) != BENCH_OK)
        return error->code;
    hcsc_context context = {.plan = plan, .out_dir = out_dir, .resume = resume, .progress = progress};
    int status = hcsc_run_locked(&context, failed_cells, error);
    bench_dir_lock_release(&lock);
    return status;
}

/* ---- X-ray shift ----------------------------------------------------------------- */

static int shift_want(void *context, size_t item) { return shift_run_unit_pending(context, item); }

static int shift_work(void *context, size_t item, bench_error *error) { return shift_run_unit(context, item, error); }

int bench_shift_run(const char *config_path, const char *out_dir, const shift_run_options *options,
                    shift_run_summary *summary, bench_error *error)
{
    static const shift_run_options defaults = {0};
    if (options == NULL)
        options = &defaults;
    if (summary != NULL)
        memset(summary, 0, sizeof *summary);
    /* A configuration that is wrong is refused before anything is written, the
     * output directory included (the lock lives in it). */
    int status = shift_run_check(config_path, out_dir, error);
    if (status != BENCH_OK)
        return status;
    /* One writer per run directory, and no results.csv of an earlier run that
     * could pass for this one while it is incomplete. */
    char holder[4200], path[4200];
    snprintf(holder, sizeof holder, "bench shift run %s%s", config_path, options->resume ? " --resume" : "");
    bench_dir_lock lock;
    if (bench_dir_lock_take(&lock, out_dir, 1, holder, error) != BENCH_OK)
        return error->code;
    snprintf(path, sizeof path, "%s/results.csv", out_dir);
    shift_run *run = NULL;
    if (unlink(path) != 0 && errno != ENOENT)
        status = BENCH_FAIL(error, BENCH_IO, "%s: cannot remove: %s", path, strerror(errno));
    if (status == BENCH_OK)
        status = shift_run_prepare(&run, config_path, out_dir, options, error);
    if (status == BENCH_OK) {
        /* A worker that dies leaves its unit without a file: shift_run_finish()
         * turns that into error rows. */
        bench_pool pool = {.count = shift_run_unit_count(run), .jobs = shift_run_jobs(run), .want = shift_want,
                           .work = shift_work, .context = run};
        status = bench_pool_run(&pool, NULL, error);
    }
    if (status == BENCH_OK)
        status = shift_run_finish(run, summary, error);
    shift_run_free(run);
    bench_dir_lock_release(&lock);
    return status;
}
