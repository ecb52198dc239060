/* The HCSC benchmark driver: configuration parsing (every mistake named with
 * path:line), stable cell ids, and one real cell on a tiny synthetic image set
 * writing its results rows, curve and checkpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/run_tasks.h"
#include "hcsc/run.h"
#include "support_cmocka.h"
#include "support_files.h"

/* The tests that train on the real Fashion-MNIST skip loudly without it. */
static void skip_without_fashion_mnist(void)
{
    if (access(BENCH_FASHION_MNIST_DEFAULT_DIR "/t10k-labels-idx1-ubyte.gz", R_OK) != 0 &&
        getenv("BENCH_FASHION_MNIST_DIR") == NULL) {
        printf("SKIPPED: Fashion-MNIST is not installed (dataset-fashion-mnist)\n");
        skip();
    }
}

static size_t count_lines_in(const char *text)
{
    size_t lines = 0;
    for (; *text != '\0'; text++)
        lines += *text == '\n';
    return lines;
}

static void write_config(const char *name, const char *text, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", test_scratch, name);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static const char good_config[] = "[run]\nseeds = 1,2\ntrain_limit = 1000\n\n[hcsc]\nepochs = 2\nbatch = 64\n"
                                  "queue = 256\nclusters = 20,10\nselection_mode = remove\nlinear_holdout = 100\n\n"
                                  "[model raw]\n[model hcsc]\n[model moco_once]\nmethod = moco\nseeds = 7\n"
                                  "learning_rate = 0.03\n";

static void parses_a_plan_with_stable_ids(void **state)
{
    (void)state;
    char path[512];
    write_config("good.ini", good_config, path, sizeof path);
    static hcsc_plan plan, again;
    bench_error error = {0};
    assert_int_equal(hcsc_plan_load(&plan, path, &error), BENCH_OK);
    assert_int_equal(plan.cell_count, 5);
    assert_string_equal(plan.cells[0].variant, "raw");
    assert_string_equal(plan.cells[2].method->name, "hcsc");
    assert_string_equal(plan.cells[4].variant, "moco_once");
    assert_string_equal(plan.cells[4].method->name, "moco");
    assert_int_equal(plan.cells[4].seed, 7);
    /* A [model] override changes that model's recipe only. */
    assert_float_equal(plan.cells[4].recipe.train.learning_rate, 0.03, 0.0);
    assert_float_equal(plan.cells[2].recipe.train.learning_rate, 0.06, 0.0);
    assert_int_equal(plan.cells[2].recipe.train.epochs, 2);
    assert_false(plan.validation);
    assert_int_equal(plan.train.epochs, 2);
    assert_int_equal(plan.train.level_count, 2);
    assert_int_equal(plan.train.selection_mode, HCSC_SELECTION_REMOVE);
    for (size_t i = 0; i < plan.cell_count; i++)
        for (size_t j = i + 1; j < plan.cell_count; j++)
            assert_string_not_equal(plan.cells[i].id, plan.cells[j].id);
    assert_int_equal(hcsc_plan_load(&again, path, &error), BENCH_OK);
    for (size_t i = 0; i < plan.cell_count; i++)
        assert_string_equal(plan.cells[i].id, again.cells[i].id);
    /* A recipe change moves trained cells' ids but not raw's. */
    char changed[sizeof good_config + 16];
    snprintf(changed, sizeof changed, "%s", good_config);
    char *epochs = strstr(changed, "epochs = 2");
    epochs[9] = '3';
    write_config("changed.ini", changed, path, sizeof path);
    assert_int_equal(hcsc_plan_load(&again, path, &error), BENCH_OK);
    assert_string_equal(plan.cells[0].id, again.cells[0].id);
    assert_string_not_equal(plan.cells[2].id, again.cells[2].id);
    /* Other data move every id, raw's included. */
    char *limit = strstr(changed, "train_limit = 1000");
    limit[14] = '2';
    write_config("changed.ini", changed, path, sizeof path);
    assert_int_equal(hcsc_plan_load(&again, path, &error), BENCH_OK);
    assert_string_not_equal(plan.cells[0].id, again.cells[0].id);
    /* Issue 22's augmentations are keys of the recipe: one turned on moves the
     * trained cells' ids; left off, the ids are those of the recipe without them. */
    char augmented[sizeof good_config + 64];
    char *hcsc_section = strstr(good_config, "[hcsc]\n");
    assert_non_null(hcsc_section);
    snprintf(augmented, sizeof augmented, "%.*s[hcsc]\nerase_probability = 0.5\ntranslate = 0.1\n%s",
             (int)(hcsc_section - good_config), good_config, hcsc_section + 7);
    write_config("augmented.ini", augmented, path, sizeof path);
    assert_int_equal(hcsc_plan_load(&again, path, &error), BENCH_OK);
    assert_float_equal(again.cells[2].recipe.train.augment.erase_probability, 0.5, 0.0);
    assert_float_equal(again.cells[2].recipe.train.augment.translate, 0.1, 0.0);
    assert_string_equal(plan.cells[0].id, again.cells[0].id);
    assert_string_not_equal(plan.cells[2].id, again.cells[2].id);
    snprintf(augmented, sizeof augmented, "%.*s[hcsc]\nerase_probability = 0\nblur_sigma_max = 3\n%s",
             (int)(hcsc_section - good_config), good_config, hcsc_section + 7);
    write_config("augmented.ini", augmented, path, sizeof path);
    assert_int_equal(hcsc_plan_load(&again, path, &error), BENCH_OK);
    assert_string_equal(plan.cells[2].id, again.cells[2].id);
    /* What k-means reads is hashed as the features it reads: "same" and naming
     * kNN's features keep the id, the projection output moves it. */
    static const char *const kmeans_choices[] = {"same", "backbone", "projection"};
    for (int c = 0; c < 3; c++) {
        snprintf(augmented, sizeof augmented, "%.*s[hcsc]\neval_kmeans_features = %s\n%s",
                 (int)(hcsc_section - good_config), good_config, kmeans_choices[c], hcsc_section + 7);
        write_config("augmented.ini", augmented, path, sizeof path);
        assert_int_equal(hcsc_plan_load(&again, path, &error), BENCH_OK);
        assert_int_equal(again.cells[2].recipe.eval.kmeans_features, c);
        assert_int_equal(hcsc_eval_kmeans_projection(&again.cells[2].recipe.eval), c == HCSC_KMEANS_PROJECTION);
        if (c == HCSC_KMEANS_PROJECTION)
            assert_string_not_equal(plan.cells[2].id, again.cells[2].id);
        else
            assert_string_equal(plan.cells[2].id, again.cells[2].id);
    }
}

static void expect_bad_config(const char *text, const char *expect)
{
    char path[512];
    write_config("bad.ini", text, path, sizeof path);
    static hcsc_plan plan;
    bench_error error = {0};
    int status = hcsc_plan_load(&plan, path, &error);
    if (status != BENCH_BAD_INPUT || strstr(error.message, expect) == NULL)
        fail_msg("config '%s': status %d, message '%s' (wanted '%s')", text, status, error.message, expect);
}

static void refuses_bad_configs(void **state)
{
    (void)state;
    expect_bad_config("[hcsc]\nepoch = 3\n[model hcsc]\n", "bad.ini:2: unknown key 'epoch'");
    expect_bad_config("[model simclr]\n", "unknown method 'simclr'");
    expect_bad_config("[hcsc]\nbatch = 100\nqueue = 250\n[model moco]\n", "multiple of batch");
    expect_bad_config("[hcsc]\nlearning_rate = fast\n[model moco]\n", "bad.ini:2: learning_rate = fast: 'fast' is not a finite number");
    expect_bad_config("[hcsc]\nclusters = 10,20\n[model hcsc]\n", "shrink");
    expect_bad_config("[hcsc]\nselection_mode = drop\n[model hcsc]\n", "selection_mode = drop: 'drop' is not one of zero|remove");
    expect_bad_config("[hcsc]\nchannels = 8,16\n[model hcsc]\n", "exactly 3");
    expect_bad_config("[run]\nseeds = 1\n", "nothing to run");
    expect_bad_config("[datasets]\n", "unknown section");
    expect_bad_config("[run]\nsplit = val\n[model raw]\n", "split = val: 'val' is not one of test|validation");
    expect_bad_config("[hcsc]\neval_kmeans_features = head\n[model hcsc]\n",
                      "'head' is not one of same|backbone|projection");
    expect_bad_config("[model moco]\nbatch = 100\n", "[model moco] queue (4096) must be a multiple of batch (100)");
}

static void fill_set(bench_image_set *set, size_t count, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    set->count = count;
    set->height = set->width = 28;
    set->class_count = 10;
    set->images = malloc(count * 784 * sizeof *set->images);
    set->labels = malloc(count);
    assert_non_null(set->images);
    assert_non_null(set->labels);
    for (size_t i = 0; i < count; i++) {
        set->labels[i] = (uint8_t)(i % 10);
        /* A class-dependent bright bar plus noise: learnable, cheap. */
        for (size_t p = 0; p < 784; p++)
            set->images[i * 784 + p] =
                0.2f * bench_rng_uniform_float(&rng) + ((p / 28) % 10 == set->labels[i] ? 0.8f : 0.0f);
    }
}

static size_t count_lines(const char *path)
{
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    size_t lines = 0;
    int c;
    while ((c = fgetc(file)) != EOF)
        lines += c == '\n';
    fclose(file);
    return lines;
}

static void runs_one_cell_and_writes_rows(void **state)
{
    (void)state;
    char path[512];
    write_config("cell.ini",
                 "[run]\nseeds = 3\ntrain_limit = 200\n[hcsc]\nepochs = 2\nwarmup_epochs = 1\nbatch = 32\n"
                 "bn_group_size = 16\nqueue = 64\nclusters = 8,4\nchannels = 2,3,4\nhead_hidden = 8\n"
                 "projection_dim = 8\nlinear_epochs = 3\nlinear_holdout = 50\neval_kmeans_restarts = 2\n"
                 "kmeans_restarts = 1\n[model hcsc]\n[model hcsc_split]\nmethod = hcsc\n"
                 "eval_kmeans_features = projection\n",
                 path, sizeof path);
    static hcsc_plan plan;
    bench_error error = {0};
    assert_int_equal(hcsc_plan_load(&plan, path, &error), BENCH_OK);
    bench_image_set train = {0}, test = {0};
    fill_set(&train, 200, 1);
    fill_set(&test, 60, 2);
    char directory[512];
    snprintf(directory, sizeof directory, "%s/out", test_scratch);
    const char *const subdirectories[] = {"cells", "curves", "checkpoints"};
    for (size_t i = 0; i < 3; i++) {
        char sub[600];
        snprintf(sub, sizeof sub, "mkdir -p '%s/%s'", directory, subdirectories[i]);
        assert_int_equal(system(sub), 0);
    }
    assert_int_equal(hcsc_run_cell(&plan, 0, &train, &test, directory, NULL, &error), BENCH_OK);
    char file[700];
    snprintf(file, sizeof file, "%s/cells/%s.csv", directory, plan.cells[0].id);
    assert_int_equal(count_lines(file), HCSC_RESULT_COUNT);
    FILE *rows = fopen(file, "r");
    char line[256];
    assert_non_null(fgets(line, sizeof line, rows));
    fclose(rows);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s,hcsc,fashion_mnist,knn200,hcsc,hcsc,,3,accuracy,", plan.cells[0].id);
    assert_memory_equal(line, prefix, strlen(prefix));
    assert_non_null(strstr(line, ",ok\n"));
    snprintf(file, sizeof file, "%s/curves/%s.csv", directory, plan.cells[0].id);
    /* header + 2 epochs × (2 losses + learning rate + kNN + k-means NMI and
     * accuracy), plus the prototype loss of epoch 2 only: with warmup_epochs = 1
     * there is none in epoch 1. */
    assert_int_equal(count_lines(file), 1 + 2 * 6 + 1);
    FILE *curve = fopen(file, "r");
    assert_non_null(curve);
    size_t monitored = 0;
    while (fgets(line, sizeof line, curve) != NULL) {
        const char *nmi = strstr(line, ",test,kmeans_nmi,");
        if (nmi == NULL)
            continue;
        double value = strtod(nmi + strlen(",test,kmeans_nmi,"), NULL);
        assert_true(value >= 0.0 && value <= 1.0);
        monitored++;
    }
    fclose(curve);
    assert_int_equal(monitored, 2);
    snprintf(file, sizeof file, "%s/checkpoints/hcsc-seed3.ckpt.json", directory);
    assert_int_equal(access(file, R_OK), 0);
    /* The embedding figure's input: every one of the 60 test points (fewer
     * than the 1,000 kept), its class name, then the encoder's features. */
    snprintf(file, sizeof file, "%s/embeddings/%s.csv", directory, plan.cells[0].id);
    assert_int_equal(count_lines(file), 1 + 60);
    FILE *embedding = fopen(file, "r");
    assert_non_null(embedding);
    char header[4096];
    assert_non_null(fgets(header, sizeof header, embedding));
    assert_memory_equal(header, "dataset,variant,seed,label,f0,f1,", strlen("dataset,variant,seed,label,f0,f1,"));
    assert_non_null(fgets(line, sizeof line, embedding));
    static const char *const classes[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    char expected[64];
    snprintf(expected, sizeof expected, "fashion_mnist,hcsc,3,%s,", classes[test.labels[0]]);
    assert_memory_equal(line, expected, strlen(expected));
    fclose(embedding);

    /* The same training with k-means on the projection output (issue 22): the
     * encoder is the same (training does not read the evaluation settings), so
     * kNN and the probe give the same values, k-means other ones, and the
     * monitor's k-means moves with it. */
    assert_int_equal(hcsc_run_cell(&plan, 1, &train, &test, directory, NULL, &error), BENCH_OK);
    char lines[2][HCSC_RESULT_COUNT][256];
    for (size_t c = 0; c < 2; c++) {
        snprintf(file, sizeof file, "%s/cells/%s.csv", directory, plan.cells[c].id);
        rows = fopen(file, "r");
        assert_non_null(rows);
        for (size_t r = 0; r < HCSC_RESULT_COUNT; r++)
            assert_non_null(fgets(lines[c][r], sizeof lines[c][r], rows));
        fclose(rows);
    }
    for (size_t r = 0; r < HCSC_RESULT_COUNT; r++) {
        /* the value is the text after the 9th comma; the id before the 1st differs */
        const char *values[2];
        for (size_t c = 0; c < 2; c++) {
            values[c] = lines[c][r];
            for (int commas = 0; commas < 9; commas++)
                values[c] = strchr(values[c], ',') + 1;
        }
        if (strstr(lines[0][r], ",kmeans,") == NULL)
            assert_string_equal(values[0], values[1]);
        else if (r == 3) /* NMI */
            assert_string_not_equal(values[0], values[1]);
    }
    double last_nmi[2] = {-1, -1};
    for (size_t c = 0; c < 2; c++) {
        snprintf(file, sizeof file, "%s/curves/%s.csv", directory, plan.cells[c].id);
        curve = fopen(file, "r");
        assert_non_null(curve);
        while (fgets(line, sizeof line, curve) != NULL)
            if (strstr(line, ",test,kmeans_nmi,") != NULL)
                last_nmi[c] = strtod(strstr(line, ",test,kmeans_nmi,") + strlen(",test,kmeans_nmi,"), NULL);
        fclose(curve);
        assert_true(last_nmi[c] >= 0.0);
    }
    assert_true(last_nmi[0] != last_nmi[1]);
    snprintf(file, sizeof file, "%s/checkpoints/hcsc_split-seed3.ckpt.json", directory);
    json_error_t json_error;
    json_t *sidecar = json_load_file(file, 0, &json_error);
    assert_non_null(sidecar);
    json_t *evaluation = json_object_get(sidecar, "evaluation");
    assert_string_equal(json_string_value(json_object_get(evaluation, "features")), "backbone");
    assert_string_equal(json_string_value(json_object_get(evaluation, "kmeans_features")), "projection");
    json_decref(sidecar);
    bench_image_set_free(&train);
    bench_image_set_free(&test);
}

/* A whole plan on the first images of the real Fashion-MNIST, then the saved
 * checkpoint evaluated alone must reproduce the run's rows exactly. */
static void checkpoint_evaluation_reproduces_the_run(void **state)
{
    (void)state;
    skip_without_fashion_mnist();
    char path[512];
    write_config("real.ini",
                 "[run]\nseeds = 2\ntrain_limit = 256\ntest_limit = 100\n[hcsc]\nepochs = 2\nwarmup_epochs = 1\n"
                 "batch = 64\nbn_group_size = 32\nqueue = 128\nclusters = 8,4\nchannels = 2,3,4\nhead_hidden = 8\n"
                 "projection_dim = 8\nlinear_epochs = 2\nlinear_holdout = 50\neval_kmeans_restarts = 1\n"
                 "kmeans_restarts = 1\nmonitor_every = 0\n[model raw]\n[model pcl]\n",
                 path, sizeof path);
    static hcsc_plan plan;
    bench_error error = {0};
    assert_int_equal(hcsc_plan_load(&plan, path, &error), BENCH_OK);
    char directory[512];
    snprintf(directory, sizeof directory, "%s/real", test_scratch);
    size_t failed = 99;
    assert_int_equal(bench_hcsc_run(&plan, directory, 0, NULL, &failed, &error), BENCH_OK);
    assert_int_equal(failed, 0);
    char file[700];
    snprintf(file, sizeof file, "%s/results.csv", directory);
    assert_int_equal(count_lines(file), 1 + 2 * HCSC_RESULT_COUNT);
    snprintf(file, sizeof file, "%s/checkpoints/pcl-seed2.ckpt", directory);
    hcsc_result results[HCSC_RESULT_COUNT];
    assert_int_equal(hcsc_evaluate_checkpoint(results, file, NULL, HCSC_FROM_CHECKPOINT, HCSC_FROM_CHECKPOINT, NULL,
                                              HCSC_SEED_FROM_CHECKPOINT, &error),
                     BENCH_OK);
    snprintf(file, sizeof file, "%s/cells/%s.csv", directory, plan.cells[1].id);
    FILE *rows = fopen(file, "r");
    assert_non_null(rows);
    char line[256];
    for (size_t r = 0; r < HCSC_RESULT_COUNT; r++) {
        assert_non_null(fgets(line, sizeof line, rows));
        /* protocol sits before model/variant/horizon/seed; compare metric and value. */
        char tail[64];
        snprintf(tail, sizeof tail, ",%s,%.9g,ok\n", results[r].metric, results[r].value);
        size_t length = strlen(line), tail_length = strlen(tail);
        assert_true(length > tail_length);
        assert_string_equal(line + length - tail_length, tail);
        assert_non_null(strstr(line, results[r].protocol));
    }
    fclose(rows);
    /* Issue 22's evaluation choices on the same encoder: the run's own are
     * backbone and normalised (the rows above, bit for bit); the projection
     * head's output moves kNN, linear and k-means; whitening moves k-means only. */
    snprintf(file, sizeof file, "%s/checkpoints/pcl-seed2.ckpt", directory);
    hcsc_result same[HCSC_RESULT_COUNT], projected[HCSC_RESULT_COUNT], whitened[HCSC_RESULT_COUNT];
    assert_int_equal(hcsc_evaluate_checkpoint_as(same, file, NULL, HCSC_FROM_CHECKPOINT, HCSC_FROM_CHECKPOINT, 0, -1, 0,
                                                 HCSC_SEED_FROM_CHECKPOINT, &error),
                     BENCH_OK);
    assert_int_equal(hcsc_evaluate_checkpoint_as(projected, file, NULL, HCSC_FROM_CHECKPOINT, HCSC_FROM_CHECKPOINT, 1,
                                                 -1, -1, HCSC_SEED_FROM_CHECKPOINT, &error),
                     BENCH_OK);
    assert_int_equal(hcsc_evaluate_checkpoint_as(whitened, file, NULL, HCSC_FROM_CHECKPOINT, HCSC_FROM_CHECKPOINT, -1,
                                                 -1, 1, HCSC_SEED_FROM_CHECKPOINT, &error),
                     BENCH_OK);
    int projection_moved = 0;
    for (size_t r = 0; r < HCSC_RESULT_COUNT; r++) {
        assert_true(same[r].value == results[r].value);
        projection_moved |= projected[r].value != results[r].value;
        if (strcmp(results[r].protocol, "kmeans") != 0)
            assert_true(whitened[r].value == results[r].value);
    }
    assert_true(projection_moved);
    assert_true(whitened[3].value != results[3].value); /* k-means NMI */
    /* k-means on the projection output with kNN and the probe on the backbone:
     * each protocol's rows are those of evaluating everything on its features. */
    hcsc_result split[HCSC_RESULT_COUNT];
    assert_int_equal(hcsc_evaluate_checkpoint_as(split, file, NULL, HCSC_FROM_CHECKPOINT, HCSC_FROM_CHECKPOINT, 0,
                                                 HCSC_KMEANS_PROJECTION, -1, HCSC_SEED_FROM_CHECKPOINT, &error),
                     BENCH_OK);
    for (size_t r = 0; r < HCSC_RESULT_COUNT; r++)
        assert_true(split[r].value == (strcmp(results[r].protocol, "kmeans") == 0 ? projected : same)[r].value);

    /* --resume reruns a failed cell and keeps a finished one: turn raw's rows
     * into error rows and stamp pcl's timing, then resume. */
    snprintf(file, sizeof file, "%s/cells/%s.csv", directory, plan.cells[0].id);
    FILE *failed_rows = fopen(file, "w");
    assert_non_null(failed_rows);
    fputs("x,hcsc,fashion_mnist,knn200,raw,raw,,2,top1,,error\n", failed_rows);
    fclose(failed_rows);
    snprintf(file, sizeof file, "%s/cells/%s.info", directory, plan.cells[1].id);
    FILE *info = fopen(file, "w");
    assert_non_null(info);
    fputs("12345.000\n\n", info);
    fclose(info);
    assert_int_equal(bench_hcsc_run(&plan, directory, 1, NULL, &failed, &error), BENCH_OK);
    assert_int_equal(failed, 0);
    snprintf(file, sizeof file, "%s/cells/%s.csv", directory, plan.cells[0].id);
    assert_int_equal(count_lines(file), HCSC_RESULT_COUNT);
    snprintf(file, sizeof file, "%s/timings.csv", directory);
    FILE *timings = fopen(file, "r");
    assert_non_null(timings);
    int kept = 0;
    while (fgets(line, sizeof line, timings) != NULL)
        kept += strstr(line, ",pcl,") != NULL && strstr(line, ",12345.000,") != NULL;
    fclose(timings);
    assert_int_equal(kept, 1);

    /* A damaged cell file (garbage, or rows of the right shape missing one
     * metric) is run again by --resume, never copied into results.csv. */
    snprintf(file, sizeof file, "%s/cells/%s.csv", directory, plan.cells[0].id);
    FILE *garbage = fopen(file, "w");
    assert_non_null(garbage);
    fputs("\x01 not \"a cell,\n", garbage);
    fclose(garbage);
    assert_int_equal(bench_hcsc_run(&plan, directory, 1, NULL, &failed, &error), BENCH_OK);
    assert_int_equal(failed, 0);
    snprintf(file, sizeof file, "%s/results.csv", directory);
    assert_int_equal(count_lines(file), 1 + 2 * HCSC_RESULT_COUNT);
    FILE *merged = fopen(file, "r");
    assert_non_null(merged);
    while (fgets(line, sizeof line, merged) != NULL)
        assert_null(strstr(line, "not "));
    fclose(merged);

    /* One writer per directory: while another process holds it, a run is refused at once. */
    snprintf(file, sizeof file, "%s/.bench.lock", directory);
    int lock = open(file, O_RDWR | O_CREAT, 0644);
    assert_true(lock >= 0);
    assert_int_equal(flock(lock, LOCK_EX), 0);
    pid_t holder = fork();
    assert_true(holder >= 0);
    if (holder == 0) {
        bench_error child_error = {0};
        size_t child_failed = 0;
        int status = bench_hcsc_run(&plan, directory, 1, NULL, &child_failed, &child_error);
        _exit(status == BENCH_BAD_INPUT && strstr(child_error.message, "is in use by") != NULL ? 0 : 1);
    }
    int wait_status = 0;
    assert_int_equal(waitpid(holder, &wait_status, 0), holder);
    assert_true(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0);
    close(lock);
}

/* Cells train on a team of `threads` (BN groups, augmentation, the loss rows):
 * with threads = 2, a run with one job and a run with two write the same
 * results.csv, byte for byte. */
static void two_threads_give_the_same_bytes_with_one_or_two_jobs(void **state)
{
    (void)state;
    skip_without_fashion_mnist();
    char text[2][1024], bytes[2][16384];
    for (int run = 0; run < 2; run++) {
        snprintf(text[run], sizeof text[run],
                 "[run]\nseeds = 1\njobs = %d\nthreads = 2\ntrain_limit = 256\ntest_limit = 100\n"
                 "[hcsc]\nepochs = 2\nwarmup_epochs = 1\nbatch = 64\nbn_group_size = 16\nqueue = 128\n"
                 "clusters = 8,4\nchannels = 2,3,4\nhead_hidden = 8\nprojection_dim = 8\nlinear_epochs = 2\n"
                 "linear_holdout = 50\neval_kmeans_restarts = 1\nkmeans_restarts = 1\n[model moco]\n[model hcsc]\n",
                 run + 1);
        char path[512], name[32], directory[512], file[600];
        snprintf(name, sizeof name, "jobs%d.ini", run + 1);
        write_config(name, text[run], path, sizeof path);
        static hcsc_plan plan;
        bench_error error = {0};
        assert_int_equal(hcsc_plan_load(&plan, path, &error), BENCH_OK);
        assert_int_equal(plan.threads, 2);
        snprintf(directory, sizeof directory, "%s/jobs%d", test_scratch, run + 1);
        size_t failed = 99;
        assert_int_equal(bench_hcsc_run(&plan, directory, 0, NULL, &failed, &error), BENCH_OK);
        assert_int_equal(failed, 0);
        snprintf(file, sizeof file, "%s/results.csv", directory);
        FILE *results = fopen(file, "r");
        assert_non_null(results);
        size_t length = fread(bytes[run], 1, sizeof bytes[run] - 1, results);
        fclose(results);
        bytes[run][length] = '\0';
        assert_true(length > 0);
    }
    assert_int_equal(count_lines_in(bytes[0]), 1 + 2 * HCSC_RESULT_COUNT);
    assert_string_equal(bytes[0], bytes[1]);
}

/* The shipped configurations must load and give the documented cell counts. */
static void shipped_configs_load(void **state)
{
    (void)state;
    if (access("configs/hcsc-fmnist.ini", R_OK) != 0) {
        printf("SKIPPED: run from the repository root to check configs/hcsc-fmnist*.ini\n");
        skip();
    }
    static hcsc_plan plan;
    bench_error error = {0};
    assert_int_equal(hcsc_plan_load(&plan, "configs/hcsc-fmnist.ini", &error), BENCH_OK);
    assert_int_equal(plan.cell_count, 3 + 3 + 3 + 3 + 1 + 1);
    assert_int_equal(plan.train.queue_size % plan.train.batch, 0);
    /* The recipe the validation search chose (hcsc/README.md), frozen for every method. */
    for (size_t c = 0; c < plan.cell_count; c++) {
        assert_float_equal(plan.cells[c].recipe.train.learning_rate, 0.03, 0.0);
        assert_float_equal(plan.cells[c].recipe.train.augment.crop_scale_min, 0.5, 0.0);
        assert_int_equal(plan.cells[c].recipe.train.batch, 256);
    }
    /* The training-length study copies the benchmark's sections (configs have no
     * includes): everything but the epoch count must stay the same. */
    static hcsc_plan study;
    assert_int_equal(hcsc_plan_load(&study, "configs/hcsc-fmnist-epochs.ini", &error), BENCH_OK);
    assert_int_equal(study.cell_count, 2);
    assert_int_equal(study.train.epochs, 36);
    study.train.epochs = plan.train.epochs;
    assert_memory_equal(&study.train, &plan.train, sizeof plan.train);
    assert_memory_equal(&study.eval, &plan.eval, sizeof plan.eval);
    assert_int_equal(hcsc_plan_load(&plan, "configs/hcsc-fmnist-slice.ini", &error), BENCH_OK);
    assert_int_equal(plan.cell_count, 3);
    assert_float_equal(plan.train.learning_rate, 0.03, 0.0);
    assert_float_equal(plan.train.augment.crop_scale_min, 0.5, 0.0);
    assert_int_equal(hcsc_plan_load(&plan, "configs/hcsc-fmnist-lrsearch.ini", &error), BENCH_OK);
    assert_int_equal(plan.cell_count, 5);
    assert_true(plan.validation);
    assert_float_equal(plan.cells[2].recipe.train.learning_rate, 0.12, 0.0);
    assert_float_equal(plan.cells[3].recipe.train.augment.crop_scale_min, 0.5, 0.0);
    assert_int_equal(plan.cells[4].recipe.train.batch, 128);
    /* Issue 22's round 2: validation only, one recipe for the three losses, k-means
     * on the projection output, kNN and the probe on the backbone. */
    assert_int_equal(hcsc_plan_load(&plan, "configs/hcsc-fmnist-study2.ini", &error), BENCH_OK);
    assert_int_equal(plan.cell_count, 5 * 3);
    assert_true(plan.validation);
    for (size_t c = 3; c < plan.cell_count; c++) {
        assert_int_equal(plan.cells[c].recipe.train.level_count, 3);
        assert_int_equal(plan.cells[c].recipe.train.cluster_counts[0], 100);
        assert_int_equal(plan.cells[c].recipe.eval.projection_features, 0);
        assert_int_equal(hcsc_eval_kmeans_projection(&plan.cells[c].recipe.eval), 1);
        assert_float_equal(plan.cells[c].recipe.train.augment.erase_probability, c < 12 ? 0.5 : 0.0, 0.0);
    }
}

TEST_MAIN("hcsc_run", test_scratch_setup, test_scratch_teardown,
        cmocka_unit_test(parses_a_plan_with_stable_ids),
        cmocka_unit_test(refuses_bad_configs),
        cmocka_unit_test(two_threads_give_the_same_bytes_with_one_or_two_jobs),
        cmocka_unit_test(runs_one_cell_and_writes_rows),
        cmocka_unit_test(shipped_configs_load),
        cmocka_unit_test(checkpoint_evaluation_reproduces_the_run))
