/* The HCSC encoder against PyTorch on a tiny configuration (closed-form weights
 * and images, tests/data/hcsc/gen_encoder_reference.py): ghost batch-norm in
 * training mode (2 groups of 2) and evaluation mode with the running statistics
 * group 0 left; normalised projections and backbone features. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "hcsc/encoder.h"
#include "nn/check.h"
#include "support_cmocka.h"

/* Output of tests/data/hcsc/gen_encoder_reference.py (float64 PyTorch 1.13). */
static const double reference_train_output[] = {-0.224828376567, 0.318650489072, 0.505738416731, 0.769508103107, -0.24916643196, 0.480193467138, 0.46455694723, 0.701082852509, -0.264547526921, 0.617708170696, 0.411784739626, 0.615535986005, -0.198897562739, 0.176111061449, 0.527283879644, 0.80709129833};
static const double reference_train_feature[] = {0.367211529725, 0.454546343379, 0.245993183958, 0.140087372354, 0.585825533552, 0.348720137789, 0.364198039402, 0.207150164726, 0.703690197175, 0.388443810172, 0.365749530511, 0.31118267355, 0.200309066721, 0.450880538718, 0.209788096508, 0};
static const double reference_eval_output[] = {-0.255466014719, 0.530641486111, 0.447377956831, 0.673059947021, -0.249487534931, 0.482638824401, 0.463776498448, 0.69980504041, -0.254728825082, 0.524433894251, 0.449617861731, 0.676702367844, -0.237935922489, 0.400770141824, 0.48724523591, 0.738486201831};
static const double reference_eval_feature[] = {0.96342613398, 0.0951945179414, 0.323271482927, 0.227158997893, 0.907996673068, 0.113927744449, 0.28896165997, 0.210400624598, 0.953187207969, 0.105646273706, 0.310057330258, 0.228998655277, 0.822363862309, 0.119649530651, 0.262360282976, 0.168120070184};

enum { SIDE = 8, BATCH = 4, GROUPS = 2, DIM = 4, FEATURE = 4 };

static void compare(const char *what, const float *actual, const double *expected, size_t count)
{
    float expected_float[64];
    for (size_t i = 0; i < count; i++)
        expected_float[i] = (float)expected[i];
    char report[256];
    if (nn_check_close(actual, expected_float, count, 1e-5, 1e-4, report, sizeof report) != 0)
        fail_msg("%s: %s", what, report);
}

static void encoder_matches_pytorch(void **state)
{
    (void)state;
    hcsc_encoder_config config = {.image_size = SIDE, .channels = {2, 3, FEATURE}, .head_hidden = 5,
                                  .projection_dim = DIM};
    hcsc_encoder encoder;
    hcsc_activations activations;
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    bench_error error = {0};
    assert_int_equal(hcsc_encoder_create(&encoder, &config, &rng, &error), BENCH_OK);
    assert_int_equal(hcsc_activations_create(&activations, &config, BATCH, GROUPS, NULL, &error), BENCH_OK);
    /* The script's tensor order. */
    size_t order[3 * HCSC_BLOCKS + 4], count = 0;
    for (size_t l = 0; l < HCSC_BLOCKS; l++) {
        order[count++] = encoder.conv_weight[l];
        order[count++] = encoder.bn_weight[l];
        order[count++] = encoder.bn_bias[l];
    }
    order[count++] = encoder.head_weight[0];
    order[count++] = encoder.head_bias[0];
    order[count++] = encoder.head_weight[1];
    order[count++] = encoder.head_bias[1];
    for (size_t t = 0; t < count; t++) {
        float *values = nn_params_value(&encoder.params, order[t]);
        for (size_t e = 0; e < nn_params_count(&encoder.params, order[t]); e++)
            values[e] = (float)(0.5 * sin(0.37 * (double)(e + 1) + (double)t));
    }
    float images[BATCH * SIDE * SIDE];
    for (size_t i = 0; i < BATCH * SIDE * SIDE; i++)
        images[i] = (float)pow(sin(0.11 * (double)i), 2.0);
    hcsc_encoder_forward(&encoder, &activations, images, BATCH, GROUPS, 1);
    compare("training output", activations.output, reference_train_output, BATCH * DIM);
    compare("training feature", activations.feature, reference_train_feature, BATCH * FEATURE);
    hcsc_encoder_forward(&encoder, &activations, images, BATCH, GROUPS, 0);
    compare("evaluation output", activations.output, reference_eval_output, BATCH * DIM);
    compare("evaluation feature", activations.feature, reference_eval_feature, BATCH * FEATURE);
    hcsc_activations_free(&activations);
    hcsc_encoder_free(&encoder);
}

TEST_MAIN("hcsc_encoder", NULL, NULL,
        cmocka_unit_test(encoder_matches_pytorch))
