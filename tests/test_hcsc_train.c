/* The whole HCSC training step's gradient (query encoder through instance and
 * prototype losses, masks fixed by a copied rng) against central finite
 * differences on a tiny encoder, for every method and both selection modes;
 * plus a few steps of training that must run, be deterministic and move the
 * loss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsc/train.h"
#include "nn/check.h"
#include "nn/gemm.h"
#include "support_cmocka.h"

enum { IMAGES = 12, SIDE = 8, BATCH = 4 };

static void tiny_config(hcsc_train_config *config)
{
    hcsc_train_defaults(config);
    config->encoder.image_size = SIDE;
    config->encoder.channels[0] = 2;
    config->encoder.channels[1] = 3;
    config->encoder.channels[2] = 4;
    config->encoder.head_hidden = 5;
    config->encoder.projection_dim = 4;
    config->batch = BATCH;
    config->bn_group_size = 2;
    config->queue_size = 8;
    config->cluster_counts[0] = 4;
    config->cluster_counts[1] = 2;
    config->level_count = 2;
    config->kmeans_restarts = 1;
    config->temperature = 0.5; /* larger τ keeps the tiny logits smooth for differences */
}

typedef struct step_context {
    hcsc_trainer *trainer;
    const float *views, *keys;
    const size_t *indices;
    bench_rng masks; /* copied for each evaluation: the same Bernoulli draws every time */
} step_context;

static double step_loss(void *opaque)
{
    step_context *c = opaque;
    bench_rng masks = c->masks;
    hcsc_step_losses losses;
    bench_error error = {0};
    if (hcsc_step_loss(c->trainer, c->views, c->keys, c->indices, BATCH, &masks, 0, &losses, &error) != BENCH_OK)
        return NAN;
    return losses.total;
}

static void fill_images(float *images, size_t count, uint64_t seed)
{
    bench_rng rng;
    bench_rng_seed(&rng, seed);
    for (size_t i = 0; i < count * SIDE * SIDE; i++)
        images[i] = bench_rng_uniform_float(&rng);
}

static void check_step_gradient(const char *method_name, hcsc_selection_mode mode, int with_hierarchy)
{
    hcsc_train_config config;
    tiny_config(&config);
    config.selection_mode = mode;
    const hcsc_method *method = hcsc_method_find(method_name);
    assert_non_null(method);
    hcsc_trainer trainer;
    bench_error error = {0};
    assert_int_equal(hcsc_trainer_create(&trainer, &config, method, IMAGES, 5, &error), BENCH_OK);
    float images[IMAGES * SIDE * SIDE], keys[BATCH * 4];
    fill_images(images, IMAGES, 6);
    if (with_hierarchy)
        assert_int_equal(hcsc_trainer_cluster(&trainer, images, IMAGES, 0, &error), BENCH_OK);
    bench_rng rng;
    bench_rng_seed(&rng, 7);
    for (size_t i = 0; i < BATCH * 4; i++)
        keys[i] = (float)bench_rng_normal(&rng);
    hcsc_l2_normalize_rows(keys, BATCH, 4);
    const size_t indices[BATCH] = {3, 7, 0, 10};
    step_context context = {.trainer = &trainer, .views = images, .keys = keys, .indices = indices};
    bench_rng_seed(&context.masks, 8);

    nn_params_zero_grad(&trainer.query.params);
    bench_rng masks = context.masks;
    hcsc_step_losses losses;
    assert_int_equal(hcsc_step_loss(&trainer, images, keys, indices, BATCH, &masks, 1, &losses, &error), BENCH_OK);
    assert_true(isfinite(losses.total));
    if (with_hierarchy && method->prototypes)
        assert_true(losses.prototype > 0.0);
    else
        assert_float_equal(losses.prototype, 0.0, 0.0);

    nn_params *p = &trainer.query.params;
    int failed = 0;
    for (size_t t = 0; t < p->tensor_count; t++) {
        if (!p->tensors[t].trainable)
            continue;
        size_t count = p->tensors[t].count;
        float *analytic = malloc(count * sizeof *analytic);
        assert_non_null(analytic);
        memcpy(analytic, p->grads + p->tensors[t].offset, count * sizeof *analytic);
        char report[256];
        size_t bad = nn_check_gradient(p->values + p->tensors[t].offset, analytic, count, step_loss, &context, 1e-3f,
                                       2e-3, 3e-2, report, sizeof report);
        free(analytic);
        if (bad != 0) {
            print_error("%s (mode %d): d loss / d %s: %s\n", method_name, (int)mode, p->tensors[t].name, report);
            failed = 1;
        }
    }
    hcsc_trainer_free(&trainer);
    assert_false(failed);
}

static void gradient_moco(void **state)
{
    (void)state;
    check_step_gradient("moco", HCSC_SELECTION_ZERO, 0);
}

static void gradient_pcl(void **state)
{
    (void)state;
    check_step_gradient("pcl", HCSC_SELECTION_ZERO, 1);
}

static void gradient_hcsc_zero_mode(void **state)
{
    (void)state;
    check_step_gradient("hcsc", HCSC_SELECTION_ZERO, 1);
}

static void gradient_hcsc_remove_mode(void **state)
{
    (void)state;
    check_step_gradient("hcsc", HCSC_SELECTION_REMOVE, 1);
}

static void gradient_ablations(void **state)
{
    (void)state;
    check_step_gradient("hcsc_no_is", HCSC_SELECTION_ZERO, 1);
    check_step_gradient("hcsc_no_ps", HCSC_SELECTION_ZERO, 1);
}

/* The tiny encoder trained for 3 epochs, prototypes (6, 3 clusters) after 1. */
static void three_epoch_config(hcsc_train_config *config)
{
    tiny_config(config);
    config->epochs = 3;
    config->warmup_epochs = 1;
    config->cluster_counts[0] = 6;
    config->cluster_counts[1] = 3;
}

static void training_runs_and_is_deterministic(void **state)
{
    (void)state;
    enum { count = 48 };
    static float images[count * SIDE * SIDE];
    uint8_t labels[count];
    fill_images(images, count, 9);
    for (size_t i = 0; i < count; i++)
        labels[i] = (uint8_t)(i % 10);
    hcsc_train_config config;
    three_epoch_config(&config);
    config.monitor_every = 0;
    /* The same seed gives the same parameters, bit for bit, run after run and
     * whatever the size of the team that shares out BN groups and images (the
     * trainer takes the cell's OpenBLAS thread count). */
    float *first = NULL;
    size_t total = 0;
    const unsigned threads[] = {1, 1, 2, 3};
    for (size_t run = 0; run < sizeof threads / sizeof threads[0]; run++) {
        nn_set_threads(threads[run]);
        hcsc_trainer trainer;
        bench_error error = {0};
        assert_int_equal(hcsc_trainer_create(&trainer, &config, hcsc_method_find("hcsc"), count, 1, &error), BENCH_OK);
        assert_int_equal(nn_team_size(trainer.team), threads[run]);
        assert_int_equal(hcsc_train(&trainer, images, labels, count, NULL, NULL, 0, NULL, NULL, &error), BENCH_OK);
        assert_true(trainer.have_hierarchy);
        if (run == 0) {
            total = trainer.query.params.total;
            first = malloc(total * sizeof *first);
            assert_non_null(first);
            memcpy(first, trainer.query.params.values, total * sizeof *first);
        } else {
            assert_memory_equal(first, trainer.query.params.values, total * sizeof *first);
        }
        hcsc_trainer_free(&trainer);
    }
    free(first);
    nn_set_threads(1);
    /* Inconsistent sizes are refused. */
    hcsc_trainer trainer;
    bench_error error = {0};
    config.queue_size = 6;
    assert_int_equal(hcsc_trainer_create(&trainer, &config, hcsc_method_find("hcsc"), count, 1, &error),
                     BENCH_BAD_INPUT);
    assert_null(hcsc_method_find("simclr"));
}

typedef struct monitor_log {
    size_t epochs;
    double knn[4], nmi[4], cluster_accuracy[4];
} monitor_log;

static void record_epoch(const hcsc_epoch_report *report, void *context)
{
    monitor_log *log = context;
    assert_true(report->epoch == log->epochs + 1 && log->epochs < 4);
    log->knn[log->epochs] = report->knn_accuracy;
    log->nmi[log->epochs] = report->nmi;
    log->cluster_accuracy[log->epochs] = report->cluster_accuracy;
    log->epochs++;
}

/* The test monitor (kNN and k-means NMI every monitor_every epochs and at the
 * last) reports sane values and leaves training bit-identical: it draws from
 * its own random stream and runs the encoder in eval mode only. */
static void monitoring_reports_and_changes_nothing(void **state)
{
    (void)state;
    enum { count = 48, test_count = 20 };
    static float images[count * SIDE * SIDE], test_images[test_count * SIDE * SIDE];
    uint8_t labels[count], test_labels[test_count];
    fill_images(images, count, 9);
    fill_images(test_images, test_count, 10);
    for (size_t i = 0; i < count; i++)
        labels[i] = (uint8_t)(i % 10);
    for (size_t i = 0; i < test_count; i++)
        test_labels[i] = (uint8_t)(i % 10);
    hcsc_train_config config;
    three_epoch_config(&config);
    float unmonitored[64];
    monitor_log logs[2];
    for (int run = 0; run < 3; run++) {
        config.monitor_every = run == 0 ? 0 : 2;
        config.monitor_kmeans_restarts = run == 0 ? 0 : 2;
        monitor_log log = {0};
        hcsc_trainer trainer;
        bench_error error = {0};
        assert_int_equal(hcsc_trainer_create(&trainer, &config, hcsc_method_find("hcsc"), count, 1, &error), BENCH_OK);
        assert_int_equal(hcsc_train(&trainer, images, labels, count, test_images, test_labels, test_count,
                                    record_epoch, &log, &error),
                         BENCH_OK);
        assert_int_equal(log.epochs, 3);
        if (run == 0) {
            memcpy(unmonitored, trainer.query.params.values, sizeof unmonitored);
            for (size_t e = 0; e < 3; e++)
                assert_true(isnan(log.knn[e]) && isnan(log.nmi[e]));
        } else {
            assert_memory_equal(unmonitored, trainer.query.params.values, sizeof unmonitored);
            /* Monitored at epoch 2 and at the last epoch, not at epoch 1. */
            assert_true(isnan(log.knn[0]) && isnan(log.nmi[0]) && isnan(log.cluster_accuracy[0]));
            for (size_t e = 1; e < 3; e++) {
                assert_true(log.knn[e] >= 0.0 && log.knn[e] <= 1.0);
                assert_true(log.nmi[e] >= 0.0 && log.nmi[e] <= 1.0);
                /* 20 points in 10 clusters: Hungarian matching gets at least 2 of them right. */
                assert_true(log.cluster_accuracy[e] >= 0.1 && log.cluster_accuracy[e] <= 1.0);
            }
            logs[run - 1] = log;
        }
        hcsc_trainer_free(&trainer);
    }
    /* The monitor's own k-means stream is seeded: the same values on a rerun. */
    assert_memory_equal(logs[0].nmi + 1, logs[1].nmi + 1, 2 * sizeof(double));
}

TEST_MAIN("hcsc_train", NULL, NULL,
        cmocka_unit_test(gradient_moco),
        cmocka_unit_test(gradient_pcl),
        cmocka_unit_test(gradient_hcsc_zero_mode),
        cmocka_unit_test(gradient_hcsc_remove_mode),
        cmocka_unit_test(gradient_ablations),
        cmocka_unit_test(training_runs_and_is_deterministic),
        cmocka_unit_test(monitoring_reports_and_changes_nothing))
