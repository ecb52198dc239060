#include "hcsc/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hcsc/evaluate.h"
#include "hcsc/select.h"
#include "nn/gemm.h"

/* The method table: one row per named model. */
static const hcsc_method methods[] = {
    {.name = "raw", .trains = 0, .description = "raw pixels, L2-normalised (no training)"},
    {.name = "moco", .trains = 1, .description = "MoCo v2: InfoNCE against a queue, momentum key encoder"},
    {.name = "pcl", .trains = 1, .prototypes = 1,
     .description = "MoCo v2 + hierarchical ProtoNCE, no selection (PCL-style)"},
    {.name = "hcsc", .trains = 1, .prototypes = 1, .instance_selection = 1, .prototype_selection = 1,
     .description = "HCSC: hierarchical prototypes with instance and prototype selection"},
    {.name = "hcsc_no_is", .trains = 1, .prototypes = 1, .prototype_selection = 1,
     .description = "HCSC without instance selection"},
    {.name = "hcsc_no_ps", .trains = 1, .prototypes = 1, .instance_selection = 1,
     .description = "HCSC without prototype selection"},
};

const hcsc_method *hcsc_method_find(const char *name)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(methods[i].name, name) == 0)
            return &methods[i];
    return NULL;
}

void hcsc_method_list(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof methods / sizeof methods[0] && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", methods[i].name);
}

void hcsc_train_defaults(hcsc_train_config *config)
{
    memset(config, 0, sizeof *config);
    hcsc_encoder_defaults(&config->encoder);
    hcsc_augment_defaults(&config->augment);
    config->epochs = 20;
    config->batch = 256;
    config->queue_size = 4096;
    config->warmup_epochs = 2;
    config->bn_group_size = 32;
    config->learning_rate = 0.06;
    config->lr_final = 0.0;
    config->sgd_momentum = 0.9;
    config->weight_decay = 1e-4;
    config->key_momentum = 0.99;
    config->temperature = 0.2;
    config->cluster_counts[0] = 120;
    config->cluster_counts[1] = 60;
    config->cluster_counts[2] = 30;
    config->level_count = 3;
    config->kmeans_iterations = 20;
    config->kmeans_restarts = 3;
    config->selection_mode = HCSC_SELECTION_ZERO;
    config->monitor_every = 1;
    config->monitor_kmeans_restarts = 3;
    config->monitor_kmeans_projection = 0;
}

void hcsc_trainer_free(hcsc_trainer *trainer)
{
    if (trainer == NULL)
        return;
    hcsc_encoder_free(&trainer->query);
    hcsc_encoder_free(&trainer->key);
    hcsc_activations_free(&trainer->query_activations);
    hcsc_activations_free(&trainer->key_activations);
    nn_team_free(trainer->team);
    hcsc_hierarchy_free(&trainer->hierarchy);
    free(trainer->queue);
    free(trainer->buffers);
    free(trainer->labels);
    free(trainer->candidates);
    free(trainer->order);
    free(trainer->permutation);
    memset(trainer, 0, sizeof *trainer);
}

static size_t largest_level(const hcsc_train_config *config)
{
    size_t largest = 1;
    for (size_t l = 0; l < config->level_count; l++)
        largest = config->cluster_counts[l] > largest ? config->cluster_counts[l] : largest;
    return largest;
}

int hcsc_trainer_create(hcsc_trainer *trainer, const hcsc_train_config *config, const hcsc_method *method,
                        size_t train_count, uint64_t seed, bench_error *error)
{
    memset(trainer, 0, sizeof *trainer);
    if (config->batch < 2 || config->queue_size == 0 || config->queue_size % config->batch != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "hcsc: queue (%zu) must be a positive multiple of batch (%zu >= 2)",
                          config->queue_size, config->batch);
    if (config->bn_group_size == 0 || config->batch % config->bn_group_size != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "hcsc: batch %zu is not a multiple of bn_group_size %zu",
                          config->batch, config->bn_group_size);
    if (train_count < config->batch)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "hcsc: %zu training images are fewer than one batch of %zu",
                          train_count, config->batch);
    if (config->temperature <= 0.0 || config->key_momentum < 0.0 || config->key_momentum > 1.0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "hcsc: temperature must be > 0 and key momentum in [0, 1]");
    if (method->prototypes) {
        if (config->level_count == 0 || config->level_count > HCSC_MAX_LEVELS)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "hcsc: %zu prototype levels (1..%d)", config->level_count,
                              HCSC_MAX_LEVELS);
        size_t previous = train_count;
        for (size_t l = 0; l < config->level_count; l++) {
            if (config->cluster_counts[l] < 2 || config->cluster_counts[l] > previous)
                return BENCH_FAIL(error, BENCH_BAD_INPUT,
                                  "hcsc: level %zu has %zu clusters; each level needs 2..%zu (fewer than below)", l + 1,
                                  config->cluster_counts[l], previous);
            previous = config->cluster_counts[l];
        }
    }
    trainer->config = *config;
    trainer->method = method;
    trainer->pixels = config->encoder.image_size * config->encoder.image_size;
    trainer->dim = config->encoder.projection_dim;
    trainer->bn_groups = config->batch / config->bn_group_size;
    bench_rng init_rng;
    bench_rng_derive(&init_rng, seed, "hcsc-init");
    bench_rng_derive(&trainer->augment_rng, seed, "hcsc-augment");
    bench_rng_derive(&trainer->shuffle_rng, seed, "hcsc-shuffle-bn");
    bench_rng_derive(&trainer->mask_rng, seed, "hcsc-masks");
    bench_rng_derive(&trainer->data_rng, seed, "hcsc-data");
    bench_rng_derive(&trainer->monitor_rng, seed, "hcsc-monitor");
    /* The cell's thread budget, as the harness set it for OpenBLAS, becomes the
     * team that shares out BN groups and images (nn/team.h). */
    int status = nn_team_create(&trainer->team, nn_get_threads(), error);
    if (status == BENCH_OK)
        status = hcsc_encoder_create(&trainer->query, &config->encoder, &init_rng, error);
    if (status == BENCH_OK)
        status = hcsc_encoder_create(&trainer->key, &config->encoder, &init_rng, error);
    if (status == BENCH_OK)
        status = hcsc_activations_create(&trainer->query_activations, &config->encoder, config->batch,
                                         trainer->bn_groups, trainer->team, error);
    if (status == BENCH_OK)
        status = hcsc_activations_create(&trainer->key_activations, &config->encoder, config->batch,
                                         trainer->bn_groups, trainer->team, error);
    if (status != BENCH_OK) {
        hcsc_trainer_free(trainer);
        return status;
    }
    /* The key encoder starts as a copy of the query encoder. */
    memcpy(trainer->key.params.values, trainer->query.params.values,
           trainer->query.params.total * sizeof *trainer->query.params.values);
    trainer->optimizer = nn_optimizer_sgd((float)config->learning_rate, (float)config->sgd_momentum,
                                          (float)config->weight_decay);
    size_t b = config->batch, k = config->queue_size, wide = k > largest_level(config) ? k : largest_level(config);
    size_t total = 3 * b * trainer->pixels + b * trainer->dim + 2 * b + 2 * b * k + 2 * b * wide + b * trainer->dim;
    trainer->buffers = calloc(total, sizeof(float));
    trainer->queue = malloc(k * trainer->dim * sizeof *trainer->queue);
    trainer->labels = malloc(b * sizeof *trainer->labels);
    trainer->candidates = malloc(largest_level(config) * sizeof *trainer->candidates);
    trainer->order = malloc(train_count * sizeof *trainer->order);
    trainer->permutation = malloc(b * sizeof *trainer->permutation);
    if (!trainer->buffers || !trainer->queue || !trainer->labels || !trainer->candidates || !trainer->order ||
        !trainer->permutation) {
        hcsc_trainer_free(trainer);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: cannot allocate the training buffers");
    }
    float *cursor = trainer->buffers;
    trainer->view_q = cursor, cursor += b * trainer->pixels;
    trainer->view_k = cursor, cursor += b * trainer->pixels;
    trainer->view_shuffled = cursor, cursor += b * trainer->pixels;
    trainer->keys = cursor, cursor += b * trainer->dim;
    trainer->positive = cursor, cursor += b;
    trainer->dpositive = cursor, cursor += b;
    trainer->negative = cursor, cursor += b * k;
    trainer->dnegative = cursor, cursor += b * k;
    trainer->keep = cursor, cursor += b * wide;
    trainer->mask = cursor, cursor += b * wide;
    trainer->dq = cursor, cursor += b * trainer->dim;
    /* MoCo initialises the queue with random unit vectors. */
    bench_rng queue_rng;
    bench_rng_derive(&queue_rng, seed, "hcsc-queue");
    for (size_t i = 0; i < k * trainer->dim; i++)
        trainer->queue[i] = (float)bench_rng_normal(&queue_rng);
    hcsc_l2_normalize_rows(trainer->queue, k, trainer->dim);
    for (size_t i = 0; i < train_count; i++)
        trainer->order[i] = i;
    return BENCH_OK;
}

int hcsc_step_loss(hcsc_trainer *trainer, const float *view_q, const float *keys, const size_t *indices,
                   size_t batch, bench_rng *mask_rng, int backward, hcsc_step_losses *out, bench_error *error)
{
    const hcsc_train_config *config = &trainer->config;
    size_t d = trainer->dim, k = config->queue_size;
    hcsc_activations *qa = &trainer->query_activations;
    size_t groups = batch / config->bn_group_size ? batch / config->bn_group_size : 1;
    hcsc_encoder_forward(&trainer->query, qa, view_q, batch, groups, 1);
    const float *q = qa->output;
    for (size_t i = 0; i < batch; i++) {
        double dot = 0.0;
        for (size_t j = 0; j < d; j++)
            dot += (double)q[i * d + j] * keys[i * d + j];
        trainer->positive[i] = (float)dot;
    }
    /* negative (batch, K) = q (batch, d) · queueᵀ (d, K) */
    nn_team_gemm(trainer->team, 0, 1, batch, k, d, 1.0f, q, d, trainer->queue, d, 0.0f, trainer->negative, k);
    float *dpositive = backward ? trainer->dpositive : NULL, *dnegative = backward ? trainer->dnegative : NULL;
    float *dq = backward ? trainer->dq : NULL;
    if (backward) {
        memset(trainer->dpositive, 0, batch * sizeof(float));
        memset(trainer->dnegative, 0, batch * k * sizeof(float));
        memset(trainer->dq, 0, batch * d * sizeof(float));
    }
    int prototypes = trainer->method->prototypes && trainer->have_hierarchy;
    const hcsc_hierarchy *h = &trainer->hierarchy;
    out->instance = 0.0;
    out->prototype = 0.0;
    int status = BENCH_OK;
    if (prototypes && trainer->method->instance_selection) {
        for (size_t l = 0; l < h->level_count; l++) {
            const hcsc_level *level = &h->levels[l];
            for (size_t i = 0; i < batch; i++)
                trainer->labels[i] = level->image_to_cluster[indices[i]];
            status = hcsc_instance_keep_probability(trainer->keep, trainer->queue, k, level->centroids, level->phi,
                                                    level->cluster_count, d, trainer->labels, batch, error);
            if (status != BENCH_OK)
                return status;
            hcsc_bernoulli_mask(trainer->mask, trainer->keep, batch * k, mask_rng);
            out->instance += hcsc_instance_loss(dpositive, dnegative, trainer->positive, trainer->negative,
                                                trainer->mask, batch, k, config->temperature, config->selection_mode,
                                                1.0, trainer->team);
        }
    } else {
        out->instance = hcsc_instance_loss(dpositive, dnegative, trainer->positive, trainer->negative, NULL, batch, k,
                                           config->temperature, config->selection_mode, 1.0, trainer->team);
    }
    if (isnan(out->instance))
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: cannot allocate the instance loss scratch");
    if (prototypes) {
        double weight = 1.0 / (double)h->level_count;
        for (size_t l = 0; l < h->level_count; l++) {
            const hcsc_level *level = &h->levels[l];
            for (size_t i = 0; i < batch; i++)
                trainer->labels[i] = level->image_to_cluster[indices[i]];
            size_t count = hcsc_negative_prototypes(trainer->candidates, level->max_label, trainer->labels, batch);
            const float *mask = NULL;
            if (trainer->method->prototype_selection && l + 1 < h->level_count) {
                const hcsc_level *up = &h->levels[l + 1];
                status = hcsc_prototype_keep_probability(trainer->keep, trainer->candidates, count,
                                                         level->parent_logits, up->phi, up->cluster_count,
                                                         level->parent, trainer->labels, batch, config->temperature,
                                                         error);
                if (status != BENCH_OK)
                    return status;
                hcsc_bernoulli_mask(trainer->mask, trainer->keep, batch * count, mask_rng);
                mask = trainer->mask;
            }
            double level_loss;
            status = hcsc_prototype_loss(&level_loss, dq, q, batch, d, level, trainer->labels, trainer->candidates,
                                         count, mask, config->selection_mode, weight, error);
            if (status != BENCH_OK)
                return status;
            out->prototype += weight * level_loss;
        }
    }
    out->total = out->instance + out->prototype;
    if (backward) {
        for (size_t i = 0; i < batch; i++)
            for (size_t j = 0; j < d; j++)
                dq[i * d + j] += trainer->dpositive[i] * keys[i * d + j];
        /* dq (batch, d) += dnegative (batch, K) · queue (K, d) */
        nn_team_gemm(trainer->team, 0, 0, batch, d, k, 1.0f, trainer->dnegative, k, trainer->queue, d, 1.0f, dq, d);
        hcsc_encoder_backward(&trainer->query, qa, view_q, dq, batch, groups);
    }
    return BENCH_OK;
}

static int train_step(hcsc_trainer *trainer, const float *images, const size_t *indices, hcsc_step_losses *out,
                    bench_error *error)
{
    const hcsc_train_config *config = &trainer->config;
    size_t b = config->batch, d = trainer->dim, pixels = trainer->pixels, side = config->encoder.image_size;
    hcsc_augment_two_views(trainer->view_q, trainer->view_k, images, indices, b, side, side, &config->augment,
                           &trainer->augment_rng, trainer->team);
    /* MoCo updates the key encoder before computing keys. */
    hcsc_encoder_momentum_update(&trainer->key, &trainer->query, config->key_momentum);
    /* Shuffle-BN: keys are computed on a permuted batch, so the key branch's BN
     * groups hold other images than the query branch's; then unpermuted. */
    for (size_t i = 0; i < b; i++)
        trainer->permutation[i] = i;
    bench_rng_shuffle_size(&trainer->shuffle_rng, trainer->permutation, b);
    for (size_t p = 0; p < b; p++)
        memcpy(trainer->view_shuffled + p * pixels, trainer->view_k + trainer->permutation[p] * pixels,
               pixels * sizeof(float));
    hcsc_encoder_forward(&trainer->key, &trainer->key_activations, trainer->view_shuffled, b, trainer->bn_groups, 1);
    for (size_t p = 0; p < b; p++)
        memcpy(trainer->keys + trainer->permutation[p] * d, trainer->key_activations.output + p * d,
               d * sizeof(float));
    nn_params_zero_grad(&trainer->query.params);
    int status = hcsc_step_loss(trainer, trainer->view_q, trainer->keys, indices, b, &trainer->mask_rng, 1, out, error);
    if (status != BENCH_OK)
        return status;
    if (!isfinite(out->total))
        return BENCH_FAIL(error, BENCH_MODEL, "hcsc: the loss became %g (diverged; lower learning_rate)", out->total);
    nn_optimizer_step(&trainer->optimizer, &trainer->query.params);
    memcpy(trainer->queue + trainer->queue_pointer * d, trainer->keys, b * d * sizeof(float));
    trainer->queue_pointer = (trainer->queue_pointer + b) % config->queue_size;
    return BENCH_OK;
}

int hcsc_train_step(hcsc_trainer *trainer, const float *images, const size_t *indices, hcsc_step_losses *out,
                    bench_error *error)
{
    /* Every GEMM of the step runs on one thread (the team shares out the wide
     * ones): OpenBLAS's own workers would spin on the cores the team uses. */
    unsigned blas_threads = nn_get_threads();
    nn_set_threads(1);
    int status = train_step(trainer, images, indices, out, error);
    nn_set_threads(blas_threads);
    return status;
}

int hcsc_trainer_cluster(hcsc_trainer *trainer, const float *images, size_t count, size_t epoch, bench_error *error)
{
    size_t d = trainer->dim;
    float *features = malloc(count * d * sizeof *features);
    if (features == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: cannot allocate %zu features for clustering", count);
    hcsc_encoder_features(&trainer->key, &trainer->key_activations, images, count, NULL, features, 1);
    hcsc_hierarchy_free(&trainer->hierarchy);
    trainer->have_hierarchy = 0;
    bench_rng seed_rng = trainer->data_rng; /* a copy: clustering does not shift the data stream */
    uint64_t seed = bench_rng_next(&seed_rng) ^ (uint64_t)epoch * 0x9E3779B97F4A7C15ull;
    int status = hcsc_hierarchy_build(&trainer->hierarchy, features, count, d, trainer->config.cluster_counts,
                                      trainer->config.level_count, trainer->config.temperature,
                                      trainer->config.kmeans_iterations, trainer->config.kmeans_restarts, seed, error);
    free(features);
    if (status == BENCH_OK)
        trainer->have_hierarchy = 1;
    return status;
}

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* The test-set monitor: kNN(200, 0.1) on the query encoder's normalised
 * backbone features and, when configured, k-means with 10 clusters (NMI and
 * clustering accuracy) on those or on the normalised projection output, the
 * final evaluation's protocols.  Its k-means draws from its own stream, so
 * monitoring never changes what training does. */
static int monitor_test(hcsc_trainer *trainer, hcsc_epoch_report *report, const float *train,
                        const uint8_t *train_labels, size_t train_count, const float *test, const uint8_t *test_labels,
                        size_t test_count, bench_error *error)
{
    size_t f = hcsc_encoder_feature_dim(&trainer->query);
    int clusters = trainer->config.monitor_kmeans_restarts > 0 && test_count >= 10;
    /* k-means on the projection output gets its own buffer (its width is not
     * the backbone's), filled in the same pass over the test images. */
    int project = clusters && trainer->config.monitor_kmeans_projection;
    size_t clustered_d = project ? trainer->config.encoder.projection_dim : f;
    float *train_features = malloc(train_count * f * sizeof(float)), *test_features = malloc(test_count * f * sizeof(float));
    float *projected = project ? malloc(test_count * clustered_d * sizeof *projected) : NULL;
    int status;
    if (train_features == NULL || test_features == NULL || (project && projected == NULL)) {
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "hcsc: cannot allocate monitoring features");
    } else {
        hcsc_encoder_features(&trainer->query, &trainer->query_activations, train, train_count, train_features, NULL, 1);
        hcsc_encoder_features(&trainer->query, &trainer->query_activations, test, test_count, test_features, projected,
                              1);
        size_t k = train_count < 200 ? train_count : 200;
        status = hcsc_knn_classify(&report->knn_accuracy, NULL, train_features, train_labels, train_count,
                                   test_features, test_labels, test_count, f, 10, k, 0.1, error);
        if (status == BENCH_OK && clusters) {
            hcsc_cluster_scores scores;
            status = hcsc_kmeans_scores(&scores, project ? projected : test_features, test_labels, test_count,
                                        clustered_d, 10, trainer->config.monitor_kmeans_restarts,
                                        &trainer->monitor_rng, error);
            if (status == BENCH_OK) {
                report->nmi = scores.nmi;
                report->cluster_accuracy = scores.accuracy;
            }
        }
    }
    free(train_features);
    free(test_features);
    free(projected);
    return status;
}

int hcsc_train(hcsc_trainer *trainer, const float *train, const uint8_t *train_labels, size_t train_count,
               const float *test, const uint8_t *test_labels, size_t test_count, hcsc_epoch_callback callback,
               void *context, bench_error *error)
{
    const hcsc_train_config *config = &trainer->config;
    size_t b = config->batch, steps = train_count / b;
    for (size_t epoch = 0; epoch < config->epochs; epoch++) {
        double start = seconds_now();
        hcsc_epoch_report report = {.epoch = epoch + 1, .knn_accuracy = NAN, .nmi = NAN, .cluster_accuracy = NAN};
        if (trainer->method->prototypes && epoch >= config->warmup_epochs) {
            int status = hcsc_trainer_cluster(trainer, train, train_count, epoch, error);
            if (status != BENCH_OK)
                return bench_error_prefix(error, "epoch %zu clustering: ", epoch + 1);
            report.cluster_seconds = seconds_now() - start;
        }
        /* Cosine schedule per epoch, as the official adjust_learning_rate. */
        double rate = config->lr_final + 0.5 * (1.0 + cos(M_PI * (double)epoch / (double)config->epochs)) *
                                             (config->learning_rate - config->lr_final);
        trainer->optimizer.learning_rate = (float)rate;
        report.learning_rate = rate;
        bench_rng_shuffle_size(&trainer->data_rng, trainer->order, train_count);
        double sum = 0.0, sum_instance = 0.0, sum_prototype = 0.0;
        for (size_t s = 0; s < steps; s++) {
            hcsc_step_losses losses;
            int status = hcsc_train_step(trainer, train, trainer->order + s * b, &losses, error);
            if (status != BENCH_OK)
                return bench_error_prefix(error, "epoch %zu step %zu: ", epoch + 1, s + 1);
            sum += losses.total;
            sum_instance += losses.instance;
            sum_prototype += losses.prototype;
        }
        report.mean_loss = sum / (double)steps;
        report.mean_instance = sum_instance / (double)steps;
        report.mean_prototype = sum_prototype / (double)steps;
        report.seconds = seconds_now() - start;
        if (test != NULL && config->monitor_every > 0 &&
            ((epoch + 1) % config->monitor_every == 0 || epoch + 1 == config->epochs)) {
            int status = monitor_test(trainer, &report, train, train_labels, train_count, test, test_labels,
                                      test_count, error);
            if (status != BENCH_OK)
                return status;
        }
        if (callback != NULL)
            callback(&report, context);
    }
    return BENCH_OK;
}
