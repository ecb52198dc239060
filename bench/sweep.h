/* Sweeps that outgrow one process: the plan file, merging finished cells into
 * results.csv, and Slurm job-array scripts (bench plan / merge / slurm).
 *
 * A run directory holds plan.csv (one row per cell, in plan order) and one pair
 * of files per finished cell, cells/<cell_id>.csv (its result rows) and
 * cells/<cell_id>.json (its record), each written atomically by the worker that
 * ran it (bench/run.c).  Merging needs nothing else: not the config, not the
 * data, so it runs anywhere the files were copied to. */
#ifndef BENCH_SWEEP_H
#define BENCH_SWEEP_H

#include <stddef.h>

#include "bench/error.h"
#include "bench/harness.h"
#include "reports/cell_file.h"

/* Header of plan.csv; the same text `bench run` writes. */
#define BENCH_PLAN_HEADER "index,cell_id,task,dataset,protocol,model,variant,horizon,seed,threads,metrics\n"

/* Write dir/plan.csv (atomically; dir is created when missing). */
int bench_sweep_write_plan(const bench_plan *plan, const char *dir, bench_error *error);

/* How many missing cells a merge names in its summary. */
#define BENCH_MERGE_MISSING_LISTED 8

typedef struct bench_merge_summary {
    size_t cells;                 /* rows of plan.csv */
    size_t merged;                /* cells found finished */
    size_t failed;                /* of those, cells with status=error rows */
    size_t missing;               /* cells no source has finished */
    size_t invalid;               /* cells whose files fail bench_sweep_check_cell */
    /* "cell_id (dataset variant h=H seed=S, plan row I): problem" of the first
     * missing or invalid cells, in plan order. */
    char missing_cells[BENCH_MERGE_MISSING_LISTED][600];
} bench_merge_summary;

/* Combine the finished cells of dir/cells and of each extra source directory
 * (run directories of shards that ran elsewhere: their cells/ are read) into
 * dir/results.csv and dir/timings.csv, in the order of plan.csv (dir's own, else
 * the first source's; every plan.csv found must be identical), and rewrite
 * dir/run.json as the merged description.
 *
 * A stale dir/results.csv is removed first: whatever the outcome, no old file
 * looks current.  Every cell is validated (bench_sweep_check_cell); a cell
 * finished in two sources, or any invalid cell, is BENCH_BAD_INPUT naming the
 * files (the summary lists the invalid cells).  When cells are missing nothing
 * is written and summary->missing says how many (BENCH_OK: the caller decides
 * how to report it).  A complete merge gives the bytes a plain `bench run`
 * writes. */
int bench_sweep_merge(const char *dir, const char *const *sources, size_t source_count,
                      bench_merge_summary *summary, bench_error *error);

/* The same for one directory, keeping its run.json: what `bench run` does after
 * its cells. */
int bench_sweep_assemble(const char *dir, bench_merge_summary *summary, bench_error *error);

typedef struct bench_slurm_options {
    const char *bench_binary;     /* absolute path of the bench the jobs run */
    const char *config_path;      /* absolute path of the configuration */
    const char *out_dir;          /* absolute path of the run directory */
    const char *partition;        /* NULL: the cluster's default partition */
    const char *time_limit;       /* sbatch --time (per array task); NULL: none */
    const char *memory;           /* sbatch --mem (per array task); NULL: none */
    unsigned cpus;                /* cpus per array task; 0: the largest cell thread count */
    unsigned shards;              /* array tasks; 0: one per cell up to 16 */
    const char *const *run_arguments; /* extra `bench run` arguments (--seeds, --threads, --plugin) */
    size_t run_argument_count;
} bench_slurm_options;

/* What bench_sweep_write_slurm decided, for the caller to report. */
typedef struct bench_slurm_layout {
    unsigned shards, cpus_per_task, jobs_per_task, cell_threads;
    char array_script[4200];      /* dir/slurm/shards.sbatch */
    char merge_script[4200];      /* dir/slurm/merge.sbatch */
} bench_slurm_layout;

/* Write dir/plan.csv and the two sbatch scripts: a job array with one task per
 * shard (`bench run --shard $SLURM_ARRAY_TASK_ID/N --resume`, --cpus-per-task =
 * cpus, jobs = cpus / the largest cell thread count, so thread budgets add up to
 * the task's cpus), and a merge job (`bench merge`).  Logs go to dir/slurm/.
 * cpus below a cell's thread count is BENCH_BAD_INPUT. */
int bench_sweep_write_slurm(const bench_plan *plan, const bench_slurm_options *options,
                            bench_slurm_layout *layout, bench_error *error);

/* Submit the scripts with sbatch (found in PATH): the array, then the merge job
 * with --dependency=afterany on it (shards whose cells failed still exit non-zero,
 * and the merge itself reports missing cells).  Job ids are written into the
 * caller's buffers.  sbatch missing is BENCH_NOT_FOUND; a refused submission
 * BENCH_IO with sbatch's message. */
int bench_sweep_submit_slurm(const bench_slurm_layout *layout, char array_job[32], char merge_job[32],
                             bench_error *error);

#endif
