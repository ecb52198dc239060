/* HCSC training in one process: MoCo v2 with a momentum key encoder, a queue of
 * negatives and emulated shuffle-BN, plus — for the prototype methods — the
 * epoch-wise hierarchical k-means of the key encoder's features and the
 * instance/prototype selective coding losses (hcsc/loss.h, hcsc/select.h).
 *
 * Methods (one table, hcsc_methods): raw (pixels, no training), moco, pcl
 * (prototypes without selection), hcsc, hcsc_no_is, hcsc_no_ps. */
#ifndef BENCH_HCSC_TRAIN_H
#define BENCH_HCSC_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/error.h"
#include "bench/rng.h"
#include "hcsc/augment.h"
#include "hcsc/cluster.h"
#include "hcsc/encoder.h"
#include "hcsc/loss.h"
#include "nn/optim.h"

typedef struct hcsc_method {
    const char *name;
    int trains;              /* 0: raw pixels are the features */
    int prototypes;          /* ProtoNCE after warm-up */
    int instance_selection;
    int prototype_selection;
    const char *description;
} hcsc_method;

/* NULL when unknown; hcsc_method_list writes "raw, moco, ..." for messages. */
const hcsc_method *hcsc_method_find(const char *name);
void hcsc_method_list(char *out, size_t size);

typedef struct hcsc_train_config {
    hcsc_encoder_config encoder;
    hcsc_augment_config augment;
    size_t epochs;               /* 20 */
    size_t batch;                /* 256 */
    size_t queue_size;           /* 4096; multiple of batch */
    size_t warmup_epochs;        /* 2: epochs of pure MoCo before prototypes */
    size_t bn_group_size;        /* 32: images per batch-norm group (one "GPU") */
    double learning_rate;        /* 0.06 (cosine per epoch to lr_final) */
    double lr_final;             /* 0 */
    double sgd_momentum;         /* 0.9 */
    double weight_decay;         /* 1e-4 */
    double key_momentum;         /* 0.99 */
    double temperature;          /* τ = 0.2 */
    size_t cluster_counts[HCSC_MAX_LEVELS]; /* 120, 60, 30 */
    size_t level_count;
    size_t kmeans_iterations;    /* 20 */
    size_t kmeans_restarts;      /* 3 */
    hcsc_selection_mode selection_mode;
    size_t monitor_every;        /* kNN(200, 0.1) on the test set every N epochs; 0 = never */
    size_t monitor_kmeans_restarts; /* 3: k-means (10 clusters) restarts of the same monitor; 0 = no clustering */
    int monitor_kmeans_projection;  /* 0: the monitor's k-means reads the backbone; 1: the projection output */
} hcsc_train_config;

void hcsc_train_defaults(hcsc_train_config *config);

/* Everything one training run owns; created by hcsc_trainer_create, freed by
 * hcsc_trainer_free. */
typedef struct hcsc_trainer {
    hcsc_train_config config;
    const hcsc_method *method;
    hcsc_encoder query, key;
    nn_optimizer optimizer;
    hcsc_activations query_activations, key_activations;
    nn_team *team;           /* the cell's threads (nn/team.h), shared by both activations */
    size_t pixels, dim, bn_groups;
    float *queue;            /* (queue_size, dim) keys, rows L2-normalised */
    size_t queue_pointer;
    hcsc_hierarchy hierarchy;
    int have_hierarchy;
    bench_rng augment_rng, shuffle_rng, mask_rng, data_rng;
    bench_rng monitor_rng;   /* the test monitor's k-means only */
    /* per-step buffers, one allocation */
    float *view_q, *view_k, *view_shuffled;  /* (batch, S, S) */
    float *keys;                             /* (batch, dim) */
    float *positive, *dpositive;             /* (batch) */
    float *negative, *dnegative;             /* (batch, queue) */
    float *keep, *mask;                      /* (batch, max(queue, largest level)) */
    float *dq;                               /* (batch, dim) */
    int32_t *labels, *candidates;            /* (batch), (largest level) */
    size_t *order, *permutation;             /* (train count), (batch) */
    float *buffers;
} hcsc_trainer;

/* All random streams derive from seed; the query encoder is initialised from it
 * and copied into the key encoder.  BENCH_BAD_INPUT on an inconsistent config
 * (queue not a multiple of batch, batch not a multiple of bn_group_size, ...). */
int hcsc_trainer_create(hcsc_trainer *trainer, const hcsc_train_config *config, const hcsc_method *method,
                        size_t train_count, uint64_t seed, bench_error *error);
void hcsc_trainer_free(hcsc_trainer *trainer);

typedef struct hcsc_step_losses {
    double total, instance, prototype;
} hcsc_step_losses;

/* The loss of one step for given query views (batch, S, S), keys (batch, dim)
 * and dataset indices (for the pseudo-labels); masks are drawn from mask_rng.
 * Runs the query forward (training-mode BN) and, when backward, ADDS the
 * gradient into trainer->query.params grads.  Uses trainer->hierarchy when
 * trainer->have_hierarchy and the method has prototypes.  Exposed so the
 * gradient of the whole step can be checked by finite differences. */
int hcsc_step_loss(hcsc_trainer *trainer, const float *view_q, const float *keys, const size_t *indices,
                   size_t batch, bench_rng *mask_rng, int backward, hcsc_step_losses *out, bench_error *error);

/* One optimisation step on images[indices] (batch): augment, momentum update,
 * shuffled keys, loss, SGD, enqueue. */
int hcsc_train_step(hcsc_trainer *trainer, const float *images, const size_t *indices, hcsc_step_losses *out,
                    bench_error *error);

/* Recompute the hierarchy from the key encoder's normalised projections of
 * images (count, S, S) (eval-mode BN), seeded by the trainer's seed and epoch. */
int hcsc_trainer_cluster(hcsc_trainer *trainer, const float *images, size_t count, size_t epoch, bench_error *error);

/* Per-epoch report handed to the callback (curves, progress). */
typedef struct hcsc_epoch_report {
    size_t epoch;            /* 1-based */
    double mean_loss, mean_instance, mean_prototype;
    double knn_accuracy;     /* NAN when not monitored this epoch */
    double nmi, cluster_accuracy; /* k-means on the test features; NAN when not monitored */
    double seconds, cluster_seconds;
    double learning_rate;
} hcsc_epoch_report;

typedef void (*hcsc_epoch_callback)(const hcsc_epoch_report *report, void *context);

/* Train for config.epochs over train (count, S, S); monitor kNN on test when
 * configured.  The callback may be NULL. */
int hcsc_train(hcsc_trainer *trainer, const float *train, const uint8_t *train_labels, size_t train_count,
               const float *test, const uint8_t *test_labels, size_t test_count, hcsc_epoch_callback callback,
               void *context, bench_error *error);

#endif
