/* Saving and loading the boosters of a gbrt model.
 *
 * A saved model is a directory:
 *   manifest.json      {"format": "bench-gbrt-model", "format_version": 1,
 *                       "xgboost_version": "1.7.4", "model": {...caller's description...},
 *                       "boosters": [{"file": "booster-000.ubj", "bytes": N, "sha256": "hex"}, ...]}
 *   booster-NNN.ubj    one XGBoost model (UBJSON) per booster, in order.
 * Every booster file's size and sha256 (datasets/sha256.h: OpenSSL EVP) are checked against the
 * manifest before its bytes are handed to XGBoost, which may crash on a corrupted
 * model; the verified buffer itself is what XGBoost parses, so the file cannot
 * change between check and use.  Any missing, altered or truncated file is
 * BENCH_BAD_INPUT naming it. */
#ifndef BENCH_GBRT_MODEL_IO_H
#define BENCH_GBRT_MODEL_IO_H

#include <stddef.h>

#include <jansson.h>
#include <xgboost/c_api.h>

#include "bench/error.h"

/* Writes the boosters and the manifest into a temporary directory beside
 * `directory`, then renames it into place, so a failure leaves no partial model.
 * An existing directory is replaced only when it holds a manifest.json (an
 * earlier saved model); anything else there is BENCH_BAD_INPUT.  `description`
 * is borrowed and stored under "model". */
/* The first line of XGBGetLastError() (the rest is a C++ stack trace), into
 * out (size bytes, caller-owned); returns out. */
const char *bench_xgb_last_error(char *out, size_t size);

int bench_gbrt_io_save(const char *directory, BoosterHandle const *boosters, size_t count,
                       const json_t *description, bench_error *error);

/* Reads and verifies a saved model.  On success *boosters is a malloc'ed array of
 * *count boosters (the caller frees each with XGBoosterFree, then the array) and
 * *description a new reference to the manifest's "model" object (the caller
 * json_decref()s it).  On failure nothing is left allocated. */
int bench_gbrt_io_load(const char *directory, BoosterHandle **boosters, size_t *count, json_t **description,
                       bench_error *error);

#endif
