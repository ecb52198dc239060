/* libFuzzer harness: the gbrt model manifest (manifest.json) through
 * bench_gbrt_io_load.  A real one-booster model is saved once per process into
 * the scratch directory; every input replaces its manifest.json, so inputs that
 * keep the booster entry intact reach XGBoost, and all others exercise the
 * manifest checks (format, version, file names, sizes, sha256).
 * FUZZ_WRITE_SEED=PATH copies the genuine manifest to PATH (seed corpus). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "forecasters/gbrt_model_io.h"
#include "fuzz/fuzz_support.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char model_dir[600];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* y = x0 + 2 x1 on a 3 × 4 grid: enough for one tree. */
    float features[12 * 2];
    float labels[12];
    for (int i = 0; i < 12; i++) {
        features[2 * i] = (float)(i % 3);
        features[2 * i + 1] = (float)(i / 3);
        labels[i] = features[2 * i] + 2 * features[2 * i + 1];
    }
    DMatrixHandle matrix = NULL;
    BoosterHandle booster = NULL;
    if (XGDMatrixCreateFromMat(features, 12, 2, -1.0f, &matrix) != 0 ||
        XGDMatrixSetFloatInfo(matrix, "label", labels, 12) != 0 || XGBoosterCreate(&matrix, 1, &booster) != 0 ||
        XGBoosterSetParam(booster, "nthread", "1") != 0 || XGBoosterSetParam(booster, "max_depth", "2") != 0 ||
        XGBoosterUpdateOneIter(booster, 0, matrix) != 0) {
        fprintf(stderr, "fuzz_gbrt_manifest: cannot train the reference booster\n");
        abort();
    }
    snprintf(model_dir, sizeof model_dir, "%s/model", fuzz_scratch_dir());
    json_t *description = json_pack("{s:s}", "model", "gbrt");
    bench_error error = {0};
    if (bench_gbrt_io_save(model_dir, &booster, 1, description, &error) != BENCH_OK) {
        fprintf(stderr, "fuzz_gbrt_manifest: %s\n", error.message);
        abort();
    }
    json_decref(description);
    XGBoosterFree(booster);
    XGDMatrixFree(matrix);
    const char *seed = getenv("FUZZ_WRITE_SEED");
    if (seed != NULL) {
        char command[2048];
        snprintf(command, sizeof command, "cp '%s/manifest.json' '%s'", model_dir, seed);
        if (system(command) != 0)
            abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write_file(0, "model/manifest.json", data, size);
    BoosterHandle *boosters = NULL;
    size_t count = 0;
    json_t *description = NULL;
    bench_error error = {0};
    if (bench_gbrt_io_load(model_dir, &boosters, &count, &description, &error) == BENCH_OK) {
        for (size_t i = 0; i < count; i++)
            XGBoosterFree(boosters[i]);
        free(boosters);
        json_decref(description);
    }
    return 0;
}
