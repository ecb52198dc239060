/* Detector kernels of domain_shift/: CenterNet focal loss, L1 heads, targets,
 * decoding, the gradient-reversal layer and PSN's prototype terms against
 * central finite differences (double accumulation, float kernels), and every
 * parameter tensor of a tiny detector (heads, backbone, pixel discriminators)
 * through L_det - lambda L_g1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/rng.h"
#include "domain_shift/benchmark.h"
#include "domain_shift/centernet.h"
#include "domain_shift/detector.h"
#include "nn/check.h"
#include "support_cmocka.h"

static void fill(float *x, size_t n, double low, double high, bench_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(low + (high - low) * bench_rng_uniform(rng));
}

static void expect_gradient(float *x, const float *analytic, size_t n, nn_check_loss_fn loss, void *context,
                            const char *what)
{
    char report[256];
    size_t bad = nn_check_gradient(x, analytic, n, loss, context, 1e-3f, 1e-4, 1e-2, report, sizeof report);
    if (bad)
        fail_msg("%s: %s", what, report);
}

/* ---- focal loss ------------------------------------------------------------------- */
typedef struct { float *logits, *target; size_t n; } focal_context;
static double focal_value(void *c_)
{
    focal_context *c = c_;
    return shift_focal_loss(NULL, c->logits, c->target, c->n, 2.0, 4.0);
}

static void focal_loss_value_and_gradient(void **state)
{
    (void)state;
    /* Hand value: one positive with p = 0.5, one negative Y = 0.5 with p = 0.5:
     * -( (0.5)^2 log 0.5 + (0.5)^4 (0.5)^2 log 0.5 ) / 1 */
    float logits[2] = {0.0f, 0.0f}, target[2] = {1.0f, 0.5f};
    double expected = -(0.25 * log(0.5) + 0.0625 * 0.25 * log(0.5));
    assert_float_equal(shift_focal_loss(NULL, logits, target, 2, 2.0, 4.0), expected, 1e-12);

    bench_rng rng;
    bench_rng_seed(&rng, 3);
    enum { N = 60 };
    float x[N], y[N], analytic[N] = {0};
    fill(x, N, -4, 4, &rng);
    fill(y, N, 0, 0.98, &rng);
    y[5] = y[17] = y[40] = 1.0f;
    assert_true(shift_focal_loss(analytic, x, y, N, 2.0, 4.0) > 0);
    focal_context c = {x, y, N};
    expect_gradient(x, analytic, N, focal_value, &c, "focal loss");
    /* No positives: the sum is not normalised (CenterNet's num_pos == 0 branch). */
    float only_negative[3] = {0.1f, 0.2f, 0.0f}, zeros[3] = {-1, 0, 1};
    double sum = 0;
    for (int i = 0; i < 3; i++) {
        double p = 1 / (1 + exp(-zeros[i]));
        sum += pow(1 - only_negative[i], 4) * p * p * log(1 - p);
    }
    assert_float_equal(shift_focal_loss(NULL, zeros, only_negative, 3, 2.0, 4.0), -sum, 1e-6);
}

/* ---- L1 heads ------------------------------------------------------------------------ */
typedef struct { float *pred, *target; int32_t *index; size_t cells, objects; double weight; } l1_context;
static double l1_value(void *c_)
{
    l1_context *c = c_;
    return shift_reg_l1_loss(NULL, c->pred, c->cells, c->index, c->target, c->objects, c->weight);
}

static void size_and_offset_heads_gradient(void **state)
{
    (void)state;
    bench_rng rng;
    bench_rng_seed(&rng, 4);
    enum { CELLS = 16 };
    float pred[2 * CELLS], analytic[2 * CELLS] = {0}, target[6];
    int32_t index[3] = {2, 9, 14};
    fill(pred, 2 * CELLS, -2, 2, &rng);
    for (int i = 0; i < 6; i++)
        target[i] = pred[(i % 2) * CELLS + index[i / 2]] + (i % 2 ? 0.7f : -0.4f); /* away from the kink */
    for (int pass = 0; pass < 2; pass++) {
        double weight = pass == 0 ? 0.1 : 1.0; /* size head 0.1, offset head 1 */
        memset(analytic, 0, sizeof analytic);
        double loss = shift_reg_l1_loss(analytic, pred, CELLS, index, target, 3, weight);
        assert_float_equal(loss, weight * (3 * 0.4 + 3 * 0.7) / (6 + 1e-4), 1e-6);
        l1_context c = {pred, target, index, CELLS, 3, weight};
        expect_gradient(pred, analytic, 2 * CELLS, l1_value, &c, pass == 0 ? "size head" : "offset head");
    }
}

/* ---- gradient reversal ------------------------------------------------------------- */
static void gradient_reversal_flips_sign(void **state)
{
    (void)state;
    float in[4] = {1, -2, 3, 0.5f}, out[4], dout[4] = {0.25f, -1, 2, 0}, din[4] = {0};
    shift_grl_forward(out, in, 4);
    assert_memory_equal(out, in, sizeof in);
    shift_grl_backward(din, dout, 1.0, 4);
    for (int i = 0; i < 4; i++)
        assert_float_equal(din[i], -dout[i], 0);
    float scaled[4] = {1, 1, 1, 1};
    shift_grl_backward(scaled, dout, 0.5, 4); /* adds, scaled by lambda */
    for (int i = 0; i < 4; i++)
        assert_float_equal(scaled[i], 1 - 0.5f * dout[i], 1e-7);
}

/* ---- prototypes ------------------------------------------------------------------ */
typedef struct { float *source, *target; size_t classes, dim; } proto_context;
static double proto_value(void *c_)
{
    proto_context *c = c_;
    return shift_prototype_loss(NULL, NULL, c->source, c->target, c->classes, c->dim, 1.0);
}

static void prototype_loss_gradient(void **state)
{
    (void)state;
    bench_rng rng;
    bench_rng_seed(&rng, 5);
    enum { C = 4, D = 6 };
    float source[C * D], target[C * D], d_source[C * D] = {0}, d_target[C * D] = {0};
    fill(source, C * D, -0.6, 0.6, &rng); /* distances below the margin: the inter term is active */
    fill(target, C * D, -0.6, 0.6, &rng);
    double loss = shift_prototype_loss(d_source, d_target, source, target, C, D, 1.0);
    assert_true(loss > 0);
    proto_context c = {source, target, C, D};
    expect_gradient(source, d_source, C * D, proto_value, &c, "prototype loss / source");
    expect_gradient(target, d_target, C * D, proto_value, &c, "prototype loss / target");
    /* Identical, far-apart prototypes: no intra term, no inter term. */
    float far[2 * 2] = {0, 0, 5, 5};
    assert_float_equal(shift_prototype_loss(NULL, NULL, far, far, 2, 2, 1.0), 0.0, 1e-12);
}

typedef struct { float *features, *probabilities, *weights, *z, *sums; size_t n, dim, classes, cells; } batch_context;
static double batch_value(void *c_)
{
    batch_context *c = c_;
    shift_prototypes_batch(c->z, c->sums, c->features, c->probabilities, c->n, c->dim, c->classes, c->cells);
    double sum = 0;
    for (size_t i = 0; i < c->classes * c->dim; i++)
        sum += (double)c->weights[i] * c->z[i];
    return sum;
}

static void prototype_batch_gradient_and_blend(void **state)
{
    (void)state;
    bench_rng rng;
    bench_rng_seed(&rng, 6);
    enum { N = 2, D = 3, C = 4, X = 5 };
    float features[N * D * X], probabilities[N * C * X], weights[C * D], z[C * D], sums[C], d_features[N * D * X] = {0};
    fill(features, N * D * X, -1, 1, &rng);
    fill(probabilities, N * C * X, 0, 1, &rng);
    fill(weights, C * D, -1, 1, &rng);
    shift_prototypes_batch(z, sums, features, probabilities, N, D, C, X);
    /* z_c is the probability-weighted mean of the features */
    double numerator = 0, denominator = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t x = 0; x < X; x++) {
            numerator += probabilities[(i * C + 2) * X + x] * features[(i * D + 1) * X + x];
            denominator += probabilities[(i * C + 2) * X + x];
        }
    assert_float_equal(z[2 * D + 1], numerator / (denominator + 1e-6), 1e-5);
    shift_prototypes_batch_backward(d_features, weights, sums, probabilities, N, D, C, X);
    batch_context c = {features, probabilities, weights, z, sums, N, D, C, X};
    expect_gradient(features, d_features, N * D * X, batch_value, &c, "prototype batch");

    /* Blending: zero running prototype -> cos 0 -> alpha 1/2; equal -> alpha 1. */
    float running[2 * 2] = {0, 0, 1, 2}, update[2 * 2] = {2, 4, 2, 4}, blended[4], alpha[2];
    shift_prototypes_blend(blended, alpha, running, update, 2, 2);
    assert_float_equal(alpha[0], 0.5, 1e-7);
    assert_float_equal(blended[1], 2.0, 1e-6);
    assert_float_equal(alpha[1], 1.0, 1e-6);
    assert_float_equal(blended[3], 4.0, 1e-5);
}

/* ---- targets and decoding -------------------------------------------------------- */
static void targets_and_decoding_round_trip(void **state)
{
    (void)state;
    /* CenterNet gaussian_radius((10, 20), 0.7), computed with its Python formula. */
    assert_float_equal(shift_gaussian_radius(10, 20, 0.7), 3.6779253585061333, 1e-9);
    enum { SIZE = 32, OUT = 8, CELLS = OUT * OUT };
    float heatmap[SHIFT_CLASS_COUNT * CELLS], size[8], offset[8];
    int32_t index[4];
    shift_targets t = {heatmap, index, size, offset, 0};
    shift_object object = {.class_index = 3, .box = {5, 9, 20, 16}}; /* continuous x 4..20, y 8..16 */
    shift_build_targets(&t, &object, 1, 4, SIZE, 0);
    assert_int_equal(t.object_count, 1);
    assert_int_equal(index[0], 3 * OUT + 3); /* centre (12, 12) px -> cell (3, 3) */
    assert_float_equal(heatmap[3 * CELLS + index[0]], 1.0, 0);
    assert_float_equal(size[0], 4.0, 1e-6);
    assert_float_equal(size[1], 2.0, 1e-6);
    assert_float_equal(offset[0], 0.0, 1e-6);
    shift_build_targets(&t, &object, 1, 4, SIZE, 1); /* mirrored: x 12..28, centre 20 -> cell 5 */
    assert_int_equal(index[0], 3 * OUT + 5);

    /* A decoded peak reproduces the box; a weaker neighbour is suppressed by the 3x3 max-pool. */
    float logits[SHIFT_CLASS_COUNT * CELLS], size_map[2 * CELLS], offset_map[2 * CELLS];
    for (int i = 0; i < SHIFT_CLASS_COUNT * CELLS; i++)
        logits[i] = -6;
    logits[7 * CELLS + 2 * OUT + 4] = 3;
    logits[7 * CELLS + 2 * OUT + 5] = 2;
    for (int i = 0; i < 2 * CELLS; i++)
        size_map[i] = 2, offset_map[i] = 0.5f;
    shift_detection detections[5];
    float scratch[4 * SHIFT_CLASS_COUNT * CELLS];
    int32_t argmax[SHIFT_CLASS_COUNT * CELLS];
    size_t count = shift_decode(detections, 5, logits, size_map, offset_map, OUT, 3, scratch, argmax);
    assert_int_equal(count, 5);
    assert_int_equal(detections[0].class_index, 7);
    assert_int_equal(detections[0].image, 3);
    assert_float_equal(detections[0].score, 1 / (1 + exp(-3.0)), 1e-6);
    /* centre (4.5, 2.5) cells, size 2 -> x 14..22 px, y 6..14 px -> VOC 15..22, 7..14 */
    assert_float_equal(detections[0].box.x_min, 15, 1e-5);
    assert_float_equal(detections[0].box.x_max, 22, 1e-5);
    assert_float_equal(detections[0].box.y_min, 7, 1e-5);
    assert_float_equal(detections[0].box.y_max, 14, 1e-5);
    for (size_t i = 1; i < count; i++)
        assert_true(detections[i].score < 0.01); /* the neighbour at 2 was suppressed */
}

/* ---- whole detector ------------------------------------------------------------- */
/* `count` 32-px scenes, the first half from device 0, the rest from device 1. */
static void tiny_scenes(shift_dataset *data, size_t count, uint64_t seed)
{
    *data = (shift_dataset){.count = count, .size = 32};
    data->pixels = malloc(count * 32 * 32 * 3);
    data->labels = calloc(count, sizeof *data->labels);
    assert_non_null(data->pixels);
    assert_non_null(data->labels);
    shift_scene *scene = malloc(sizeof *scene);
    size_t device_count;
    const shift_device *devices = shift_devices(&device_count);
    for (size_t i = 0; i < count; i++) {
        shift_scene_generate(scene, 32, seed, i + 1);
        data->labels[i].objects = calloc(SHIFT_MAX_OBJECTS, sizeof(shift_object));
        assert_int_equal(shift_render(scene, &devices[2 * i / count], 1, data->pixels + i * 32 * 32 * 3,
                                      data->labels[i].objects, &data->labels[i].object_count, NULL),
                         BENCH_OK);
    }
    free(scene);
}

static void detector_gradients_through_every_tensor(void **state)
{
    (void)state;
    shift_dataset data;
    tiny_scenes(&data, 4, 21);
    char report[4096];
    size_t bad = shift_detector_check_gradients(&data, SHIFT_CHECK_DETECTION, 1, 1e-3, 5e-2, report, sizeof report);
    if (bad)
        fail_msg("detector: %zu bad elements; %s", bad, report);
    print_message("detector (L_det): %s\n", report);
    bad = shift_detector_check_gradients(&data, SHIFT_CHECK_DETECTION | SHIFT_CHECK_PIXEL, 2, 1e-3, 5e-2, report,
                                         sizeof report);
    if (bad)
        fail_msg("detector + discriminators: %zu bad elements; %s", bad, report);
    print_message("detector (L_det - L_g1, discriminators L_g1): %s\n", report);
    /* PSN's whole loss after the warm-up, and its prototype terms alone: their
     * gradient is much smaller than L_det's, so only the second check would
     * notice an error on the prototype path into the backbone. */
    bad = shift_detector_check_gradients(&data, SHIFT_CHECK_DETECTION | SHIFT_CHECK_PIXEL | SHIFT_CHECK_PROTOTYPES, 3,
                                         1e-3, 5e-2, report, sizeof report);
    if (bad)
        fail_msg("PSN total: %zu bad elements; %s", bad, report);
    print_message("detector (L_det - L_g1 + L_p - 0.1 L_g2, discriminators L_g1 + 0.1 L_g2): %s\n", report);
    bad = shift_detector_check_gradients(&data, SHIFT_CHECK_PROTOTYPES, 4, 1e-4, 5e-2, report, sizeof report);
    if (bad)
        fail_msg("PSN prototype terms: %zu bad elements; %s", bad, report);
    print_message("detector (L_p - 0.1 L_g2, prototype discriminator 0.1 L_g2): %s\n", report);
    shift_dataset_free(&data);
}

/* Trains `method` on source (labelled, also the validation split) and target;
 * returns the trained values (the caller frees them) and their count. */
static float *trained_state(shift_method method, const shift_dataset *source, const shift_dataset *target,
                            const shift_train_config *config, uint64_t seed, size_t *total)
{
    shift_detector *detector = NULL;
    shift_train_report report;
    bench_error error = {0};
    if (shift_train(&detector, method, source, source, target, config, seed, &report, &error) != BENCH_OK)
        fail_msg("%s: %s", shift_method_name(method), error.message);
    assert_true(isfinite(report.final_det_loss));
    float *state = shift_detector_copy_state(detector);
    assert_non_null(state);
    *total = shift_detector_state_size(detector);
    shift_detector_free(detector);
    return state;
}

/* The batch is cut into parts that run on the cell's team of threads; the cut
 * and the order the parts' gradients are summed in do not depend on the team,
 * so PSN trained with 1, 2 or 3 threads ends with the same bits. */
static void training_is_the_same_for_any_thread_count(void **state)
{
    (void)state;
    shift_dataset source, target;
    tiny_scenes(&source, 6, 31);
    tiny_scenes(&target, 6, 32);
    shift_train_config config = shift_train_config_default(6);
    config.batch = 3; /* six images a step with the target's: parts of 1 and 2 images */
    config.width = 4;
    config.warmup = 2;
    config.eval_every = 3;
    /* psn_domain_bn's halves of 3 images do not line up with the parts either */
    const shift_method methods[2] = {SHIFT_METHOD_PSN, SHIFT_METHOD_PSN_DOMAIN_BN};
    for (int m = 0; m < 2; m++) {
        size_t total = 0, count = 0;
        config.threads = 1;
        float *first = trained_state(methods[m], &source, &target, &config, 7, &total);
        for (unsigned threads = 2; threads <= 3; threads++) {
            config.threads = threads;
            float *state = trained_state(methods[m], &source, &target, &config, 7, &count);
            assert_int_equal(count, total);
            assert_memory_equal(first, state, total * sizeof *state);
            free(state);
        }
        free(first);
    }
    shift_dataset_free(&source);
    shift_dataset_free(&target);
}

/* psn_domain_bn: a training step on 2 source + 2 target images normalises each
 * pair as a batch of its own, with running statistics of its own, to the bit;
 * after training the target's statistics replace the source's (on which the
 * checkpoint was selected), which a model without them refuses. */
static void domain_bn_normalises_each_half_apart(void **state)
{
    (void)state;
    shift_dataset data;
    tiny_scenes(&data, 4, 51); /* images 0-1 from D1, 2-3 from D2 */
    char report[256];
    size_t differ = shift_detector_check_domain_bn(&data, 5, report, sizeof report);
    if (differ != 0)
        fail_msg("%s", report);
    shift_train_config config = shift_train_config_default(2);
    config.batch = 2;
    config.width = 4;
    shift_detector *detector = NULL;
    shift_train_report trained;
    bench_error error = {0};
    for (int domain = 0; domain < 2; domain++) {
        shift_method method = domain ? SHIFT_METHOD_PSN_DOMAIN_BN : SHIFT_METHOD_PSN;
        if (shift_train(&detector, method, &data, &data, &data, &config, 1, &trained, &error) != BENCH_OK)
            fail_msg("%s", error.message);
        float *before = shift_detector_copy_state(detector);
        assert_non_null(before);
        size_t total = shift_detector_state_size(detector);
        if (domain) {
            assert_int_equal(shift_detector_use_target_statistics(detector, &error), BENCH_OK);
            float *after = shift_detector_copy_state(detector);
            assert_non_null(after);
            assert_memory_not_equal(before, after, total * sizeof *after);
            free(after);
        } else {
            assert_int_equal(shift_detector_use_target_statistics(detector, &error), BENCH_BAD_INPUT);
            assert_non_null(strstr(error.message, "no target batch-norm statistics"));
        }
        free(before);
        shift_detector_free(detector);
    }
    shift_method parsed;
    assert_int_equal(shift_method_parse("psn_domain_bn", &parsed, NULL), BENCH_OK);
    assert_int_equal(parsed, SHIFT_METHOD_PSN_DOMAIN_BN);
    shift_dataset_free(&data);
}

/* psn_grl_schedule's coefficient is exactly 0 at the first step: one step of
 * it trains the detector as psn with grl_lambda = 0 does, and unlike psn with
 * the paper's constant 1. */
static void grl_schedule_starts_at_zero(void **state)
{
    (void)state;
    shift_dataset source, target;
    tiny_scenes(&source, 4, 41);
    tiny_scenes(&target, 4, 42);
    shift_train_config config = shift_train_config_default(1);
    config.batch = 2;
    config.width = 4;
    config.warmup = 0; /* prototype terms from the first step too */
    float *states[3];
    size_t total = 0;
    const shift_method methods[3] = {SHIFT_METHOD_PSN_GRL_SCHEDULE, SHIFT_METHOD_PSN, SHIFT_METHOD_PSN};
    const double lambdas[3] = {1.0, 0.0, 1.0};
    for (int run = 0; run < 3; run++) {
        config.grl_lambda = lambdas[run];
        /* the last step's weights, not a checkpoint from before it: one step, both the same */
        states[run] = trained_state(methods[run], &source, &target, &config, 3, &total);
    }
    assert_memory_equal(states[0], states[1], total * sizeof(float));
    assert_memory_not_equal(states[0], states[2], total * sizeof(float));
    shift_method parsed;
    assert_int_equal(shift_method_parse("psn_grl_schedule", &parsed, NULL), BENCH_OK);
    assert_int_equal(parsed, SHIFT_METHOD_PSN_GRL_SCHEDULE);
    assert_string_equal(shift_method_name(SHIFT_METHOD_PSN_GRL_SCHEDULE), "psn_grl_schedule");
    for (int run = 0; run < 3; run++)
        free(states[run]);
    shift_dataset_free(&source);
    shift_dataset_free(&target);
}

TEST_MAIN("shift_detector", NULL, NULL,
        cmocka_unit_test(focal_loss_value_and_gradient),
        cmocka_unit_test(size_and_offset_heads_gradient),
        cmocka_unit_test(gradient_reversal_flips_sign),
        cmocka_unit_test(prototype_loss_gradient),
        cmocka_unit_test(prototype_batch_gradient_and_blend),
        cmocka_unit_test(targets_and_decoding_round_trip),
        cmocka_unit_test(detector_gradients_through_every_tensor),
        cmocka_unit_test(training_is_the_same_for_any_thread_count),
        cmocka_unit_test(grl_schedule_starts_at_zero),
        cmocka_unit_test(domain_bn_normalises_each_half_apart))
