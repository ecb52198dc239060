/* libFuzzer harness: nn checkpoint files through nn_params_load into a small
 * model (two trainable tensors and a buffer).  Loading must check the tag, the
 * tensor table and the size implied by it before reading values.
 * FUZZ_WRITE_SEED=PATH saves the genuine checkpoint to PATH (seed corpus). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/fuzz_support.h"
#include "nn/params.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static nn_params model;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    nn_params_init(&model);
    const size_t weight[2] = {3, 4}, bias[1] = {4}, running[1] = {4};
    size_t index;
    bench_error error = {0};
    if (nn_params_add(&model, "fc.weight", 2, weight, 1, &index, &error) != BENCH_OK ||
        nn_params_add(&model, "fc.bias", 1, bias, 1, &index, &error) != BENCH_OK ||
        nn_params_add(&model, "bn.running_mean", 1, running, 0, &index, &error) != BENCH_OK ||
        nn_params_allocate(&model, &error) != BENCH_OK) {
        fprintf(stderr, "fuzz_nn_checkpoint: %s\n", error.message);
        abort();
    }
    for (size_t i = 0; i < model.total; i++)
        model.values[i] = 0.25f * (float)i - 1.0f;
    const char *seed = getenv("FUZZ_WRITE_SEED");
    if (seed != NULL && nn_params_save(&model, "fuzzmodel", seed, &error) != BENCH_OK) {
        fprintf(stderr, "fuzz_nn_checkpoint: %s\n", error.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file(0, "model.ckpt", data, size);
    bench_error error = {0};
    nn_params_load(&model, "fuzzmodel", path, &error);
    return 0;
}
