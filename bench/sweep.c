/* plan.csv, merging finished cells, and Slurm job-array scripts (bench/sweep.h). */
#include <errno.h>
#include <math.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/dir_lock.h"
#include "bench/escape.h"
#include "core/files.h"
#include "bench/results.h"
#include "bench/sweep.h"
#include "datasets/csv_reader.h"
#include "reports/cell_file.h"
#include "reports/csv_file.h"

static const char timings_header[] = "cell_id,dataset,variant,horizon,seed,threads,fit_seconds,predict_seconds,seconds\n";

int bench_sweep_write_plan(const bench_plan *plan, const char *dir, bench_error *error)
{
    if (bench_make_directories(dir, error) != BENCH_OK)
        return error->code;
    char path[4200];
    snprintf(path, sizeof path, "%s/plan.csv", dir);
    bench_atomic_file file;
    if (bench_atomic_open(&file, path, error) != BENCH_OK)
        return error->code;
    fputs(BENCH_PLAN_HEADER, file.stream);
    for (size_t c = 0; c < plan->cell_count; c++) {
        const bench_cell *cell = &plan->cells[c];
        const bench_plan_dataset *dataset = &plan->datasets[cell->dataset];
        const bench_plan_model *model = &plan->models[cell->model];
        char metrics[1024];
        bench_cell_metric_list(plan, cell, metrics, sizeof metrics);
        /* Labels come from the configuration: quoted when they need it, so
         * plan.csv reads back as written. */
        fprintf(file.stream, "%zu,%s,forecast,", c, cell->id);
        bench_escape_csv(file.stream, dataset->label);
        fprintf(file.stream, ",%s,%s,", dataset->protocol->name, model->forecaster->name);
        bench_escape_csv(file.stream, model->variant);
        fprintf(file.stream, ",%zu,%llu,%u,%s\n", cell->horizon, (unsigned long long)cell->seed, cell->threads,
                metrics);
    }
    return bench_atomic_commit(&file, error);
}

/* ---- merge ------------------------------------------------------------------ */

enum { PLAN_INDEX, PLAN_ID, PLAN_TASK, PLAN_DATASET, PLAN_PROTOCOL, PLAN_MODEL, PLAN_VARIANT, PLAN_HORIZON,
       PLAN_SEED, PLAN_THREADS, PLAN_METRICS, PLAN_COLUMNS };

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

static int is_cell_id(const char *text)
{
    if (strlen(text) != 16)
        return 0;
    for (const char *c = text; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return 0;
    return 1;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* plan.csv checked: the expected header, indices 0..n-1 in order, unique ids. */
static int read_plan(report_csv *plan, const char *path, bench_error *error)
{
    if (report_csv_read(plan, path, error) != BENCH_OK)
        return error->code;
    char header[512] = "";
    for (size_t i = 0; i < plan->columns; i++)
        snprintf(header + strlen(header), sizeof header - strlen(header), "%s%s", i ? "," : "", plan->header[i]);
    if (strncmp(header, BENCH_PLAN_HEADER, strlen(BENCH_PLAN_HEADER) - 1) != 0 ||
        strlen(header) != strlen(BENCH_PLAN_HEADER) - 1)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:1: not a bench plan: the header is '%s', expected '%.*s'", path,
                          header, (int)strlen(BENCH_PLAN_HEADER) - 1, BENCH_PLAN_HEADER);
    for (size_t r = 0; r < plan->rows; r++) {
        long index;
        const char *id = report_csv_cell(plan, r, PLAN_ID);
        if (report_parse_long(report_csv_cell(plan, r, PLAN_INDEX), &index) != 0 || index != (long)r)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: index '%s' should be %zu (rows are in plan order)", path,
                              plan->lines[r], report_csv_cell(plan, r, PLAN_INDEX), r);
        if (!is_cell_id(id))
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: '%s' is not a cell id (16 hex digits)", path,
                              plan->lines[r], id);
        if (report_csv_cell(plan, r, PLAN_METRICS)[0] == '\0')
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: cell %s lists no metrics", path, plan->lines[r], id);
    }
    /* Duplicate ids would make two cells share one result file. */
    const char **ids = malloc((plan->rows ? plan->rows : 1) * sizeof *ids);
    if (ids == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    for (size_t r = 0; r < plan->rows; r++)
        ids[r] = report_csv_cell(plan, r, PLAN_ID);
    qsort(ids, plan->rows, sizeof *ids, compare_strings);
    int status = BENCH_OK;
    for (size_t r = 1; r < plan->rows && status == BENCH_OK; r++)
        if (strcmp(ids[r - 1], ids[r]) == 0)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: cell id %s appears twice", path, ids[r]);
    free(ids);
    return status;
}

static bench_cell_expect plan_expect(const report_csv *plan, size_t row)
{
    return (bench_cell_expect){
        .id = report_csv_cell(plan, row, PLAN_ID),           .task = report_csv_cell(plan, row, PLAN_TASK),
        .dataset = report_csv_cell(plan, row, PLAN_DATASET), .protocol = report_csv_cell(plan, row, PLAN_PROTOCOL),
        .model = report_csv_cell(plan, row, PLAN_MODEL),     .variant = report_csv_cell(plan, row, PLAN_VARIANT),
        .horizon = report_csv_cell(plan, row, PLAN_HORIZON), .seed = report_csv_cell(plan, row, PLAN_SEED),
        .metrics = report_csv_cell(plan, row, PLAN_METRICS), .record = 1,
    };
}

static int write_timing(FILE *stream, const report_csv *plan, size_t row, const char *source)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cells/%s.json", source, report_csv_cell(plan, row, PLAN_ID));
    json_error_t json_error;
    json_t *record = json_load_file(path, 0, &json_error);
    if (record == NULL)
        return -1;
    fprintf(stream, "%s,%s,%s,%s,%s,%s,%.6f,%.6f,%.6f\n", report_csv_cell(plan, row, PLAN_ID),
            report_csv_cell(plan, row, PLAN_DATASET), report_csv_cell(plan, row, PLAN_VARIANT),
            report_csv_cell(plan, row, PLAN_HORIZON), report_csv_cell(plan, row, PLAN_SEED),
            report_csv_cell(plan, row, PLAN_THREADS), json_number_value(json_object_get(record, "fit_seconds")),
            json_number_value(json_object_get(record, "predict_seconds")),
            json_number_value(json_object_get(record, "seconds")));
    json_decref(record);
    return 0;
}

/* run.json of a merged sweep: the first shard's description (config, versions),
 * every cell's record from whichever shard ran it, in plan order, and one entry
 * per shard (host, wall seconds) instead of a single wall time.  Each shard's
 * own run.json describes only its cells. */
static int write_merged_description(const char *dir, const char *const *sources, size_t source_count,
                                    const report_csv *plan, const size_t *found, bench_error *error)
{
    json_t *root = NULL, *shards = json_array(), *cells = json_array(), *errors = json_object();
    char path[4200];
    for (size_t s = 0; s <= source_count; s++) {
        const char *source = s == 0 ? dir : sources[s - 1];
        snprintf(path, sizeof path, "%s/run.json", source);
        json_error_t json_error;
        json_t *shard = json_load_file(path, 0, &json_error);
        if (shard == NULL)
            continue; /* a shard killed before its merge step wrote none */
        json_array_append_new(shards, json_pack("{s:s, s:O?, s:O?, s:O?}", "directory", source, "host",
                                                json_object_get(shard, "host"), "wall_seconds",
                                                json_object_get(shard, "wall_seconds"), "shard",
                                                json_object_get(shard, "shard")));
        if (root == NULL)
            root = shard;
        else
            json_decref(shard);
    }
    if (root == NULL)
        root = json_object();
    for (size_t r = 0; r < plan->rows; r++) {
        const char *source = found[r] == 0 ? dir : sources[found[r] - 1];
        const char *id = report_csv_cell(plan, r, PLAN_ID);
        snprintf(path, sizeof path, "%s/cells/%s.json", source, id);
        json_error_t json_error;
        json_t *record = json_load_file(path, 0, &json_error);
        if (record == NULL)
            continue; /* the validator has already refused such a cell */
        json_object_set_new(record, "dataset", json_string(report_csv_cell(plan, r, PLAN_DATASET)));
        json_object_set_new(record, "variant", json_string(report_csv_cell(plan, r, PLAN_VARIANT)));
        json_object_set_new(record, "horizon", json_integer(strtoll(report_csv_cell(plan, r, PLAN_HORIZON), NULL, 10)));
        json_object_set_new(record, "seed", json_integer(strtoll(report_csv_cell(plan, r, PLAN_SEED), NULL, 10)));
        json_object_set_new(record, "threads", json_integer(strtoll(report_csv_cell(plan, r, PLAN_THREADS), NULL, 10)));
        json_object_set_new(record, "shard_directory", json_string(source));
        json_t *message = json_object_get(record, "error");
        if (message != NULL)
            json_object_set(errors, id, message);
        json_array_append_new(cells, record);
    }
    json_object_del(root, "wall_seconds");
    json_object_del(root, "shard");
    json_object_set_new(root, "merged_from", shards);
    json_object_set_new(root, "cells", cells);
    json_object_set_new(root, "errors", errors);
    snprintf(path, sizeof path, "%s/run.json", dir);
    int status = bench_write_json_atomic(path, root, JSON_INDENT(2) | JSON_PRESERVE_ORDER, error);
    json_decref(root);
    return status;
}

/* Every plan.csv among the sources must be the same plan: shards of one sweep. */
static int find_plan(const char *dir, const char *const *sources, size_t source_count, char *plan_path,
                     size_t size, bench_error *error)
{
    char *reference = NULL;
    plan_path[0] = '\0';
    int status = BENCH_OK;
    for (size_t s = 0; s <= source_count && status == BENCH_OK; s++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/plan.csv", s == 0 ? dir : sources[s - 1]);
        if (!file_exists(path))
            continue;
        char *text = NULL;
        bench_error ignored = {0};
        if (bench_read_file(path, &text, NULL, &ignored) != BENCH_OK) {
            status = BENCH_FAIL(error, BENCH_IO, "%s: cannot read: %s", path, ignored.message);
            break;
        }
        if (reference == NULL) {
            reference = text;
            snprintf(plan_path, size, "%s", path);
            continue;
        }
        if (strcmp(reference, text) != 0)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                                "%s differs from %s: the directories hold different sweeps (configs, seeds or threads)",
                                path, plan_path);
        free(text);
    }
    free(reference);
    if (status == BENCH_OK && plan_path[0] == '\0')
        status = BENCH_FAIL(error, BENCH_NOT_FOUND,
                            "%s/plan.csv not found (nor in the other sources): write it with `bench plan CONFIG --out %s`",
                            dir, dir);
    return status;
}

static void note_cell(bench_merge_summary *summary, const report_csv *plan, size_t row, const char *problem)
{
    size_t listed = summary->missing + summary->invalid;
    if (listed < BENCH_MERGE_MISSING_LISTED)
        snprintf(summary->missing_cells[listed], sizeof summary->missing_cells[0],
                 "%s (%s %s h=%s seed=%s, plan row %zu): %s", report_csv_cell(plan, row, PLAN_ID),
                 report_csv_cell(plan, row, PLAN_DATASET), report_csv_cell(plan, row, PLAN_VARIANT),
                 report_csv_cell(plan, row, PLAN_HORIZON), report_csv_cell(plan, row, PLAN_SEED), row, problem);
}

/* Where each plan row's cell finished (index into {dir, sources...}, SIZE_MAX:
 * nowhere); missing and invalid cells are counted and listed in summary. */
static int locate_cells(const char *dir, const char *const *sources, size_t source_count, const report_csv *plan,
                        size_t *found, bench_merge_summary *summary, bench_error *error)
{
    for (size_t r = 0; r < plan->rows; r++) {
        bench_cell_expect expect = plan_expect(plan, r);
        found[r] = SIZE_MAX;
        int invalid = 0;
        for (size_t s = 0; s <= source_count; s++) {
            const char *source = s == 0 ? dir : sources[s - 1];
            bench_error problem = {0};
            bench_cellfile_state state = bench_cell_file_check(source, &expect, NULL, &problem);
            if (state == BENCH_CELLFILE_MISSING)
                continue;
            if (state == BENCH_CELLFILE_INVALID) {
                if (!invalid)
                    note_cell(summary, plan, r, problem.message);
                invalid = 1;
                continue;
            }
            if (found[r] == SIZE_MAX) {
                found[r] = s;
                continue;
            }
            const char *first = found[r] == 0 ? dir : sources[found[r] - 1];
            char a[4200], b[4200];
            snprintf(a, sizeof a, "%s/cells/%s.csv", first, expect.id);
            snprintf(b, sizeof b, "%s/cells/%s.csv", source, expect.id);
            char *left = NULL, *right = NULL;
            bench_error ignored = {0};
            int same = bench_read_file(a, &left, NULL, &ignored) == BENCH_OK &&
                       bench_read_file(b, &right, NULL, &ignored) == BENCH_OK && strcmp(left, right) == 0;
            free(left), free(right);
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "cell %s (plan row %zu) is finished in both %s and %s (%s): each cell must come from "
                              "exactly one shard; remove one copy",
                              expect.id, r, a, b, same ? "identical rows" : "conflicting values");
        }
        if (invalid) {
            found[r] = SIZE_MAX;
            summary->invalid++;
        } else if (found[r] == SIZE_MAX) {
            note_cell(summary, plan, r, "not finished");
            summary->missing++;
        }
    }
    return BENCH_OK;
}

/* Plan row i's cell and the directory (dir or a source) that finished it. */
typedef struct located_plan {
    const report_csv *plan;
    const size_t *found;
    const char *dir;
    const char *const *sources;
} located_plan;

static bench_cell_expect located_cell(void *context, size_t row, const char **dir)
{
    const located_plan *located = context;
    *dir = located->found[row] == 0 ? located->dir : located->sources[located->found[row] - 1];
    return plan_expect(located->plan, row);
}

/* results.csv and timings.csv from validated cells, in plan order; run.json
 * rewritten as a merged description when merged_description is set. */
static int write_merged(const char *dir, const char *const *sources, size_t source_count, const report_csv *plan,
                        const size_t *found, int merged_description, bench_merge_summary *summary,
                        bench_error *error)
{
    bench_atomic_file results = {0}, timings = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    if (bench_atomic_open(&results, path, error) != BENCH_OK)
        return error->code;
    snprintf(path, sizeof path, "%s/timings.csv", dir);
    if (bench_atomic_open(&timings, path, error) != BENCH_OK) {
        bench_atomic_abort(&results);
        return error->code;
    }
    fputs(timings_header, timings.stream);
    /* Read again, validated with the same rules: the text written is the text checked. */
    located_plan located = {.plan = plan, .found = found, .dir = dir, .sources = sources};
    size_t failed = 0;
    int status = bench_cells_append(results.stream, plan->rows, located_cell, NULL, &located, &failed, error);
    if (status == BENCH_OK) {
        summary->merged = plan->rows;
        summary->failed = failed;
    }
    for (size_t r = 0; r < plan->rows && status == BENCH_OK; r++) {
        const char *source = found[r] == 0 ? dir : sources[found[r] - 1];
        if (write_timing(timings.stream, plan, r, source) != 0)
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s/cells/%s.json: not a readable cell record", source,
                                report_csv_cell(plan, r, PLAN_ID));
    }
    if (status == BENCH_OK)
        status = bench_atomic_commit(&timings, error);
    else
        bench_atomic_abort(&timings);
    if (status == BENCH_OK && merged_description)
        status = write_merged_description(dir, sources, source_count, plan, found, error);
    /* results.csv last: its presence means the merge is complete. */
    if (status == BENCH_OK)
        status = bench_atomic_commit(&results, error);
    else
        bench_atomic_abort(&results);
    return status;
}

static int merge_cells(const char *dir, const char *const *sources, size_t source_count, int merged_description,
                       bench_merge_summary *summary, bench_error *error)
{
    memset(summary, 0, sizeof *summary);
    /* A results.csv says "complete and current": whatever this merge finds, the
     * old one no longer is. */
    char path[4200];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    if (unlink(path) != 0 && errno != ENOENT)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot remove the stale results: %s", path, strerror(errno));
    char plan_path[4200];
    if (find_plan(dir, sources, source_count, plan_path, sizeof plan_path, error) != BENCH_OK)
        return error->code;
    report_csv plan;
    if (read_plan(&plan, plan_path, error) != BENCH_OK) {
        report_csv_free(&plan);
        return error->code;
    }
    summary->cells = plan.rows;
    size_t *found = malloc((plan.rows ? plan.rows : 1) * sizeof *found);
    int status = found ? BENCH_OK : BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    if (status == BENCH_OK)
        status = locate_cells(dir, sources, source_count, &plan, found, summary, error);
    if (status == BENCH_OK && summary->invalid > 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                            "%zu of %zu cells have invalid files (and %zu are not finished); results.csv not written. "
                            "First: %s",
                            summary->invalid, summary->cells, summary->missing, summary->missing_cells[0]);
    if (status == BENCH_OK && summary->missing == 0)
        status = write_merged(dir, sources, source_count, &plan, found, merged_description, summary, error);
    free(found);
    report_csv_free(&plan);
    return status;
}

int bench_sweep_merge(const char *dir, const char *const *sources, size_t source_count,
                      bench_merge_summary *summary, bench_error *error)
{
    memset(summary, 0, sizeof *summary);
    bench_dir_lock lock;
    if (bench_dir_lock_take(&lock, dir, 1, "bench merge", error) != BENCH_OK)
        return error->code;
    int status = merge_cells(dir, sources, source_count, 1, summary, error);
    bench_dir_lock_release(&lock);
    return status;
}

int bench_sweep_assemble(const char *dir, bench_merge_summary *summary, bench_error *error)
{
    return merge_cells(dir, NULL, 0, 0, summary, error);
}

/* ---- Slurm -------------------------------------------------------------------- */

/* Single-quote text for sh; a quote inside becomes '\''. */
static void put_quoted(FILE *stream, const char *text)
{
    fputc('\'', stream);
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", stream);
        else
            fputc(*c, stream);
    }
    fputc('\'', stream);
}

/* sbatch reads #SBATCH values up to the end of the line, unquoted. */
static int safe_directive(const char *text)
{
    return text == NULL || (strpbrk(text, "\n\r") == NULL && text[0] != '\0');
}

static void put_directives(FILE *stream, const bench_slurm_options *options, const char *name, unsigned cpus)
{
    fprintf(stream, "#SBATCH --job-name=%s\n", name);
    fprintf(stream, "#SBATCH --cpus-per-task=%u\n", cpus);
    fprintf(stream, "#SBATCH --ntasks=1\n");
    if (options->partition)
        fprintf(stream, "#SBATCH --partition=%s\n", options->partition);
    if (options->time_limit)
        fprintf(stream, "#SBATCH --time=%s\n", options->time_limit);
}

int bench_sweep_write_slurm(const bench_plan *plan, const bench_slurm_options *options,
                            bench_slurm_layout *layout, bench_error *error)
{
    memset(layout, 0, sizeof *layout);
    if (!safe_directive(options->partition) || !safe_directive(options->time_limit) ||
        !safe_directive(options->memory) || strchr(options->out_dir, '\n') != NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "slurm options and the output path must be single non-empty lines");
    if (plan->cell_count == 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the plan has no cells", plan->config_path);
    for (size_t c = 0; c < plan->cell_count; c++)
        if (plan->cells[c].threads > layout->cell_threads)
            layout->cell_threads = plan->cells[c].threads;
    layout->cpus_per_task = options->cpus ? options->cpus : layout->cell_threads;
    if (layout->cpus_per_task < layout->cell_threads)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "--cpus %u is fewer than the %u threads a cell of %s uses",
                          layout->cpus_per_task, layout->cell_threads, plan->config_path);
    layout->jobs_per_task = layout->cpus_per_task / layout->cell_threads;
    size_t shards = options->shards ? options->shards : (plan->cell_count < 16 ? plan->cell_count : 16);
    if (shards > plan->cell_count)
        shards = plan->cell_count; /* an empty shard would be a task with nothing to do */
    layout->shards = (unsigned)shards;

    if (bench_sweep_write_plan(plan, options->out_dir, error) != BENCH_OK)
        return error->code;
    char slurm_dir[4096];
    if (snprintf(slurm_dir, sizeof slurm_dir, "%s/slurm", options->out_dir) >= (int)sizeof slurm_dir)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: path too long", options->out_dir);
    if (bench_make_directories(slurm_dir, error) != BENCH_OK)
        return error->code;
    const char *base = strrchr(plan->config_path, '/');
    base = base ? base + 1 : plan->config_path;
    char name[128];
    snprintf(name, sizeof name, "bench-%.*s", (int)strcspn(base, ". \t\n"), base);

    snprintf(layout->array_script, sizeof layout->array_script, "%s/shards.sbatch", slurm_dir);
    bench_atomic_file file;
    if (bench_atomic_open(&file, layout->array_script, error) != BENCH_OK)
        return error->code;
    FILE *out = file.stream;
    fprintf(out, "#!/bin/sh\n# Written by `bench slurm`: one array task per shard of the sweep in %s.\n",
            plan->config_path);
    put_directives(out, options, name, layout->cpus_per_task);
    fprintf(out, "#SBATCH --array=0-%u\n", layout->shards - 1);
    if (options->memory)
        fprintf(out, "#SBATCH --mem=%s\n", options->memory);
    fprintf(out, "#SBATCH --output=%s/shard-%%a.out\n", slurm_dir);
    fprintf(out, "# Each task runs the cells whose plan index %% %u is its array index, %u at a time\n"
                 "# with %u thread(s) each; --resume makes a requeued or rerun task skip finished cells.\n",
            layout->shards, layout->jobs_per_task, layout->cell_threads);
    fprintf(out, "exec ");
    put_quoted(out, options->bench_binary);
    fputs(" run ", out);
    put_quoted(out, options->config_path);
    fputs(" --out ", out);
    put_quoted(out, options->out_dir);
    fprintf(out, " --resume --quiet --jobs %u --shard \"$SLURM_ARRAY_TASK_ID/%u\"", layout->jobs_per_task,
            layout->shards);
    for (size_t i = 0; i < options->run_argument_count; i++) {
        fputc(' ', out);
        put_quoted(out, options->run_arguments[i]);
    }
    fputc('\n', out);
    if (bench_atomic_commit(&file, error) != BENCH_OK)
        return error->code;

    snprintf(layout->merge_script, sizeof layout->merge_script, "%s/merge.sbatch", slurm_dir);
    if (bench_atomic_open(&file, layout->merge_script, error) != BENCH_OK)
        return error->code;
    out = file.stream;
    fprintf(out, "#!/bin/sh\n# Written by `bench slurm`: merges the shards once every array task has ended.\n");
    char merge_name[160];
    snprintf(merge_name, sizeof merge_name, "%s-merge", name);
    put_directives(out, options, merge_name, 1);
    fprintf(out, "#SBATCH --output=%s/merge.out\n", slurm_dir);
    fprintf(out, "exec ");
    put_quoted(out, options->bench_binary);
    fputs(" merge ", out);
    put_quoted(out, options->out_dir);
    fputc('\n', out);
    return bench_atomic_commit(&file, error);
}

/* Run sbatch with arguments; its stdout (the job id, --parsable) into id. */
static int run_sbatch(const char *const argv[], char id[32], bench_error *error)
{
    int out_pipe[2];
    if (pipe(out_pipe) != 0)
        return BENCH_FAIL(error, BENCH_IO, "pipe: %s", strerror(errno));
    int err_pipe[2];
    if (pipe(err_pipe) != 0) {
        close(out_pipe[0]), close(out_pipe[1]);
        return BENCH_FAIL(error, BENCH_IO, "pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        close(out_pipe[0]), close(out_pipe[1]), close(err_pipe[0]), close(err_pipe[1]);
        return BENCH_FAIL(error, BENCH_IO, "fork: %s", strerror(errno));
    }
    if (child == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        close(out_pipe[0]), close(out_pipe[1]), close(err_pipe[0]), close(err_pipe[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out_pipe[1]), close(err_pipe[1]);
    /* sbatch prints little: a job id, or one error line; read stdout then stderr. */
    char output[256] = "", message[512] = "";
    size_t used = 0;
    ssize_t got;
    while ((got = read(out_pipe[0], output + used, sizeof output - 1 - used)) > 0)
        used += (size_t)got;
    output[used] = '\0';
    used = 0;
    while ((got = read(err_pipe[0], message + used, sizeof message - 1 - used)) > 0)
        used += (size_t)got;
    message[used] = '\0';
    close(out_pipe[0]), close(err_pipe[0]);
    int wait_status = 0;
    while (waitpid(child, &wait_status, 0) < 0 && errno == EINTR)
        ;
    message[strcspn(message, "\n")] = '\0';
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 127)
        return BENCH_FAIL(error, BENCH_NOT_FOUND, "%s not found in PATH: is Slurm installed (Debian slurm-client)?",
                          argv[0]);
    size_t last = 0;
    while (argv[last + 1] != NULL)
        last++;
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0)
        return BENCH_FAIL(error, BENCH_IO, "%s %s refused the job: %s", argv[0], argv[last],
                          message[0] ? message : "(no message)");
    size_t digits = strspn(output, "0123456789");
    if (digits == 0 || digits >= 32)
        return BENCH_FAIL(error, BENCH_IO, "%s printed no job id (output '%.100s')", argv[0], output);
    memcpy(id, output, digits);
    id[digits] = '\0';
    return BENCH_OK;
}

int bench_sweep_submit_slurm(const bench_slurm_layout *layout, char array_job[32], char merge_job[32],
                             bench_error *error)
{
    const char *array_argv[] = {"sbatch", "--parsable", layout->array_script, NULL};
    if (run_sbatch(array_argv, array_job, error) != BENCH_OK)
        return error->code;
    char dependency[64];
    snprintf(dependency, sizeof dependency, "--dependency=afterany:%s", array_job);
    const char *merge_argv[] = {"sbatch", "--parsable", dependency, layout->merge_script, NULL};
    return run_sbatch(merge_argv, merge_job, error);
}
