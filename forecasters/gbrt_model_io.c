/* Saving and loading gbrt boosters with a checksummed manifest (see gbrt_model_io.h). */
#include "forecasters/gbrt_model_io.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/sha256.h"

/* XGBoost's last error, first line only, in a buffer living to the end of the
 * enclosing block (a compound literal). */
#define XGB_ERROR() bench_xgb_last_error((char[512]){0}, 512)

#define MANIFEST_NAME "manifest.json"
#define MANIFEST_FORMAT "bench-gbrt-model"
#define MANIFEST_VERSION 1

const char *bench_xgb_last_error(char *out, size_t size)
{
    const char *text = XGBGetLastError();
    if (text == NULL)
        text = "(no message)";
    size_t length = strcspn(text, "\n");
    if (length >= size)
        length = size - 1;
    memcpy(out, text, length);
    out[length] = '\0';
    return out;
}

/* directory/name into out; BENCH_BAD_INPUT when it does not fit. */
static int join_path(char *out, size_t size, const char *directory, const char *name, bench_error *error)
{
    int written = snprintf(out, size, "%s/%s", directory, name);
    if (written < 0 || (size_t)written >= size)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "model path '%s/%s' is too long", directory, name);
    return BENCH_OK;
}

/* The datasets helper's sha256 (OpenSSL EVP through libcrypto), so bench has one
 * checksum implementation. */
static int sha256_hex(char out[65], const void *bytes, size_t length, bench_error *error)
{
    bench_sha256 *hash;
    int status = bench_sha256_begin(&hash, error);
    if (status != BENCH_OK)
        return status;
    bench_sha256_update(hash, bytes, length);
    bench_sha256_end(hash, out);
    return BENCH_OK;
}

static int write_whole_file(const char *path, const void *bytes, size_t length, bench_error *error)
{
    FILE *file = fopen(path, "wb");
    if (file == NULL)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot create: %s", path, strerror(errno));
    size_t written = fwrite(bytes, 1, length, file);
    int failed = written != length || fflush(file) != 0;
    if (fclose(file) != 0 || failed)
        return BENCH_FAIL(error, BENCH_IO, "%s: write failed: %s", path, strerror(errno));
    return BENCH_OK;
}

/* Reads a whole file into a malloc'ed buffer the caller frees. */
static int read_whole_file(const char *path, unsigned char **bytes, size_t *length, bench_error *error)
{
    *bytes = NULL;
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: cannot open the model file: %s", path, strerror(errno));
    struct stat info;
    if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) {
        fclose(file);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: not a regular file", path);
    }
    *length = (size_t)info.st_size;
    *bytes = malloc(*length > 0 ? *length : 1);
    if (*bytes == NULL) {
        fclose(file);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: no memory for %zu bytes", path, *length);
    }
    size_t got = fread(*bytes, 1, *length, file);
    fclose(file);
    if (got != *length) {
        free(*bytes);
        *bytes = NULL;
        return BENCH_FAIL(error, BENCH_IO, "%s: short read (%zu of %zu bytes)", path, got, *length);
    }
    return BENCH_OK;
}

/* Removes a model directory this module wrote: its manifest and booster files. */
static void remove_model_directory(const char *directory)
{
    DIR *dir = opendir(directory);
    if (dir != NULL) {
        struct dirent *entry;
        char path[4096];
        while ((entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
            unlink(path);
        }
        closedir(dir);
    }
    rmdir(directory);
}

static int save_into(const char *temporary, BoosterHandle const *boosters, size_t count, const json_t *description,
                     bench_error *error)
{
    json_t *list = json_array();
    json_t *manifest = json_object();
    int major = 0, minor = 0, patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    char version[64];
    snprintf(version, sizeof version, "%d.%d.%d", major, minor, patch);
    if (list == NULL || manifest == NULL || json_object_set_new(manifest, "format", json_string(MANIFEST_FORMAT)) ||
        json_object_set_new(manifest, "format_version", json_integer(MANIFEST_VERSION)) ||
        json_object_set_new(manifest, "xgboost_version", json_string(version)) ||
        json_object_set_new(manifest, "model", description ? json_deep_copy(description) : json_object())) {
        json_decref(list);
        json_decref(manifest);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for the model manifest");
    }
    int status = BENCH_OK;
    for (size_t i = 0; i < count && status == BENCH_OK; i++) {
        bst_ulong length = 0;
        const char *bytes = NULL;
        if (XGBoosterSaveModelToBuffer(boosters[i], "{\"format\": \"ubj\"}", &length, &bytes) != 0) {
            status = BENCH_FAIL(error, BENCH_MODEL, "XGBoost could not serialise booster %zu: %s", i,
                                XGB_ERROR());
            break;
        }
        char name[64], path[4096], digest[65];
        snprintf(name, sizeof name, "booster-%03zu.ubj", i);
        status = join_path(path, sizeof path, temporary, name, error);
        if (status == BENCH_OK)
            status = write_whole_file(path, bytes, (size_t)length, error);
        if (status == BENCH_OK)
            status = sha256_hex(digest, bytes, (size_t)length, error);
        if (status == BENCH_OK) {
            json_t *entry = json_pack("{s:s, s:I, s:s}", "file", name, "bytes", (json_int_t)length, "sha256", digest);
            if (entry == NULL || json_array_append_new(list, entry) != 0)
                status = BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for the model manifest");
        }
    }
    if (status == BENCH_OK && json_object_set(manifest, "boosters", list) != 0)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for the model manifest");
    if (status == BENCH_OK) {
        char path[4096];
        status = join_path(path, sizeof path, temporary, MANIFEST_NAME, error);
        if (status == BENCH_OK && json_dump_file(manifest, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
            status = BENCH_FAIL(error, BENCH_IO, "%s: cannot write the manifest", path);
    }
    json_decref(list);
    json_decref(manifest);
    return status;
}

int bench_gbrt_io_save(const char *directory, BoosterHandle const *boosters, size_t count,
                       const json_t *description, bench_error *error)
{
    char temporary[4096], previous[4096], manifest[4096];
    if (directory == NULL || directory[0] == '\0' || strlen(directory) > 4000)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "model path is empty or too long");
    struct stat info;
    int replacing = stat(directory, &info) == 0;
    if (replacing) {
        int status = join_path(manifest, sizeof manifest, directory, MANIFEST_NAME, error);
        if (status != BENCH_OK)
            return status;
        if (!S_ISDIR(info.st_mode) || access(manifest, F_OK) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s exists and is not a saved bench model; refusing to replace it", directory);
    }
    snprintf(temporary, sizeof temporary, "%s.tmp-XXXXXX", directory);
    if (mkdtemp(temporary) == NULL)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot create a temporary directory: %s", temporary, strerror(errno));
    int status = save_into(temporary, boosters, count, description, error);
    if (status != BENCH_OK) {
        remove_model_directory(temporary);
        return status;
    }
    if (replacing) {
        /* Move the old model aside first: rename() cannot replace a non-empty directory. */
        snprintf(previous, sizeof previous, "%s.old-XXXXXX", directory);
        if (mkdtemp(previous) == NULL || rmdir(previous) != 0 || rename(directory, previous) != 0) {
            remove_model_directory(temporary);
            return BENCH_FAIL(error, BENCH_IO, "%s: cannot move the previous model aside: %s", directory,
                              strerror(errno));
        }
    }
    if (rename(temporary, directory) != 0) {
        int saved = errno;
        remove_model_directory(temporary);
        if (replacing)
            rename(previous, directory);
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot move the saved model into place: %s", directory,
                          strerror(saved));
    }
    if (replacing)
        remove_model_directory(previous);
    return BENCH_OK;
}

/* A manifest's file name must be a plain name inside the model directory. */
static int plain_file_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

static int load_booster(BoosterHandle *out, const char *directory, size_t index, json_t *entry,
                        bench_error *error)
{
    const char *name = NULL, *expected_digest = NULL;
    json_int_t expected_bytes = -1;
    if (json_unpack(entry, "{s:s, s:I, s:s}", "file", &name, "bytes", &expected_bytes, "sha256",
                    &expected_digest) != 0 ||
        !plain_file_name(name) || strlen(expected_digest) != 64 || expected_bytes < 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s/%s: booster entry %zu is malformed (needs file, bytes, sha256)",
                          directory, MANIFEST_NAME, index);
    char path[4096];
    unsigned char *bytes = NULL;
    size_t length = 0;
    int status = join_path(path, sizeof path, directory, name, error);
    if (status == BENCH_OK)
        status = read_whole_file(path, &bytes, &length, error);
    if (status != BENCH_OK)
        return status;
    char digest[65];
    if ((json_int_t)length != expected_bytes)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: %zu bytes, the manifest records %lld (truncated or altered)",
                            path, length, (long long)expected_bytes);
    else if ((status = sha256_hex(digest, bytes, length, error)) == BENCH_OK &&
             strcmp(digest, expected_digest) != 0)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: sha256 %s differs from the manifest's %s (file altered)",
                            path, digest, expected_digest);
    if (status == BENCH_OK) {
        *out = NULL;
        if (XGBoosterCreate(NULL, 0, out) != 0 || XGBoosterLoadModelFromBuffer(*out, bytes, (bst_ulong)length) != 0) {
            status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: XGBoost cannot load the model: %s", path,
                                XGB_ERROR());
            if (*out != NULL)
                XGBoosterFree(*out);
            *out = NULL;
        }
    }
    free(bytes);
    return status;
}

int bench_gbrt_io_load(const char *directory, BoosterHandle **boosters, size_t *count, json_t **description,
                       bench_error *error)
{
    *boosters = NULL;
    *count = 0;
    *description = NULL;
    char path[4096];
    int status = join_path(path, sizeof path, directory, MANIFEST_NAME, error);
    if (status != BENCH_OK)
        return status;
    json_error_t parse_error;
    json_t *manifest = json_load_file(path, 0, &parse_error);
    if (manifest == NULL) {
        if (access(path, F_OK) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: no saved model here (%s is missing)", directory,
                              MANIFEST_NAME);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%d: malformed manifest: %s", path, parse_error.line,
                          parse_error.text);
    }
    const char *format = NULL;
    json_int_t version = 0;
    json_t *list = NULL, *model = NULL;
    if (json_unpack(manifest, "{s:s, s:I, s:o, s:o}", "format", &format, "format_version", &version, "boosters",
                    &list, "model", &model) != 0 ||
        strcmp(format, MANIFEST_FORMAT) != 0 || !json_is_array(list) || json_array_size(list) == 0 ||
        !json_is_object(model))
        status = BENCH_FAIL(error, BENCH_BAD_INPUT,
                            "%s: not a bench gbrt manifest (needs format \"%s\", format_version, model, boosters)",
                            path, MANIFEST_FORMAT);
    else if (version != MANIFEST_VERSION)
        status = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: format_version %lld, this bench reads %d", path,
                            (long long)version, MANIFEST_VERSION);
    size_t total = status == BENCH_OK ? json_array_size(list) : 0;
    BoosterHandle *loaded = status == BENCH_OK ? calloc(total, sizeof *loaded) : NULL;
    if (status == BENCH_OK && loaded == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for %zu boosters", total);
    size_t done = 0;
    for (; status == BENCH_OK && done < total; done++)
        status = load_booster(&loaded[done], directory, done, json_array_get(list, done), error);
    if (status != BENCH_OK) {
        for (size_t i = 0; loaded != NULL && i < total; i++)
            if (loaded[i] != NULL)
                XGBoosterFree(loaded[i]);
        free(loaded);
        json_decref(manifest);
        return status;
    }
    *boosters = loaded;
    *count = total;
    *description = json_incref(model);
    json_decref(manifest);
    return BENCH_OK;
}
