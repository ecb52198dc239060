#include "nn/params.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void nn_params_init(nn_params *params)
{
    memset(params, 0, sizeof *params);
}

int nn_params_add(nn_params *params, const char *name, size_t ndim, const size_t *dims, int trainable,
                  size_t *index, bench_error *error)
{
    if (params->memory != NULL)
        return BENCH_FAIL(error, BENCH_INTERNAL, "tensor '%s' declared after allocation", name);
    if (params->tensor_count == NN_PARAMS_MAX_TENSORS)
        return BENCH_FAIL(error, BENCH_INTERNAL, "more than %d tensors (adding '%s')", NN_PARAMS_MAX_TENSORS,
                          name);
    if (ndim == 0 || ndim > NN_PARAMS_MAX_DIMS)
        return BENCH_FAIL(error, BENCH_INTERNAL, "tensor '%s': %zu dimensions (1..%d allowed)", name, ndim,
                          NN_PARAMS_MAX_DIMS);
    if (strlen(name) >= NN_PARAMS_NAME_SIZE)
        return BENCH_FAIL(error, BENCH_INTERNAL, "tensor name '%s' longer than %d", name,
                          NN_PARAMS_NAME_SIZE - 1);
    if (nn_params_find(params, name) != SIZE_MAX)
        return BENCH_FAIL(error, BENCH_INTERNAL, "tensor '%s' declared twice", name);
    nn_tensor_info *t = &params->tensors[params->tensor_count];
    memset(t, 0, sizeof *t);
    memcpy(t->name, name, strlen(name) + 1);
    t->ndim = ndim;
    t->count = 1;
    for (size_t d = 0; d < ndim; d++) {
        t->shape[d] = dims[d];
        if (dims[d] != 0 && t->count > SIZE_MAX / 8 / dims[d])
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "tensor '%s' is too large", name);
        t->count *= dims[d];
    }
    /* Keep every view 16-float aligned so SIMD loads in BLAS start on a line. */
    t->offset = params->total;
    params->total += (t->count + 15) / 16 * 16;
    t->trainable = trainable;
    if (index != NULL)
        *index = params->tensor_count;
    params->tensor_count++;
    return BENCH_OK;
}

int nn_params_allocate(nn_params *params, bench_error *error)
{
    if (params->memory != NULL)
        return BENCH_FAIL(error, BENCH_INTERNAL, "parameters allocated twice");
    size_t total = params->total == 0 ? 16 : params->total;
    params->memory = calloc(4 * total, sizeof(float));
    if (params->memory == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "cannot allocate %zu parameters", params->total);
    params->values = params->memory;
    params->grads = params->memory + total;
    params->moment1 = params->memory + 2 * total;
    params->moment2 = params->memory + 3 * total;
    return BENCH_OK;
}

void nn_params_free(nn_params *params)
{
    if (params == NULL)
        return;
    free(params->memory);
    nn_params_init(params);
}

float *nn_params_value(const nn_params *params, size_t index)
{
    return params->values + params->tensors[index].offset;
}

float *nn_params_grad(const nn_params *params, size_t index)
{
    return params->grads + params->tensors[index].offset;
}

size_t nn_params_count(const nn_params *params, size_t index)
{
    return params->tensors[index].count;
}

size_t nn_params_find(const nn_params *params, const char *name)
{
    for (size_t i = 0; i < params->tensor_count; i++)
        if (strcmp(params->tensors[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

size_t nn_params_trainable_count(const nn_params *params)
{
    size_t count = 0;
    for (size_t i = 0; i < params->tensor_count; i++)
        if (params->tensors[i].trainable)
            count += params->tensors[i].count;
    return count;
}

void nn_params_zero_grad(nn_params *params)
{
    if (params->grads != NULL)
        memset(params->grads, 0, params->total * sizeof(float));
}

void nn_params_zero_state(nn_params *params)
{
    if (params->moment1 != NULL) {
        memset(params->moment1, 0, params->total * sizeof(float));
        memset(params->moment2, 0, params->total * sizeof(float));
    }
}

void nn_init_uniform(float *weights, size_t count, float bound, bench_rng *rng)
{
    for (size_t i = 0; i < count; i++)
        weights[i] = (float)((2.0 * bench_rng_uniform(rng) - 1.0) * bound);
}

void nn_init_kaiming_uniform(float *weights, size_t count, size_t fan_in, bench_rng *rng)
{
    nn_init_uniform(weights, count, (float)(sqrt(2.0) * sqrt(3.0 / (double)(fan_in ? fan_in : 1))), rng);
}

void nn_init_kaiming_normal(float *weights, size_t count, size_t fan_in, bench_rng *rng)
{
    double std = sqrt(2.0 / (double)(fan_in ? fan_in : 1));
    for (size_t i = 0; i < count; i++)
        weights[i] = (float)(std * bench_rng_normal(rng));
}

void nn_init_xavier_uniform(float *weights, size_t count, size_t fan_in, size_t fan_out, bench_rng *rng)
{
    size_t fans = fan_in + fan_out;
    nn_init_uniform(weights, count, (float)sqrt(6.0 / (double)(fans ? fans : 1)), rng);
}

void nn_init_constant(float *weights, size_t count, float value)
{
    for (size_t i = 0; i < count; i++)
        weights[i] = value;
}

/* ---- checkpoints ------------------------------------------------------------ */

#define CHECKPOINT_MAGIC "BENCHNN"   /* 8 bytes with the terminating NUL */
#define CHECKPOINT_VERSION 1u
#define CHECKPOINT_TAG_SIZE 32

/* Fixed-width header and table entries, so the expected file size follows
 * from the table alone and can be checked before any value is read. */
typedef struct checkpoint_header {
    char magic[8];
    uint32_t version;
    uint32_t tensor_count;
    char model_tag[CHECKPOINT_TAG_SIZE];
} checkpoint_header;

typedef struct checkpoint_entry {
    char name[NN_PARAMS_NAME_SIZE];
    uint64_t ndim;
    uint64_t shape[NN_PARAMS_MAX_DIMS];
} checkpoint_entry;

static uint64_t checkpoint_checksum(const nn_params *params)
{
    uint64_t hash = 0;
    for (size_t i = 0; i < params->tensor_count; i++)
        hash = bench_hash64(nn_params_value(params, i), params->tensors[i].count * sizeof(float),
                            hash ? hash : 0);
    return hash;
}

static size_t checkpoint_size(const nn_params *params)
{
    size_t size = sizeof(checkpoint_header) + params->tensor_count * sizeof(checkpoint_entry) + sizeof(uint64_t);
    for (size_t i = 0; i < params->tensor_count; i++)
        size += params->tensors[i].count * sizeof(float);
    return size;
}

/* Checkpoints are written like bench's other outputs (core/files.c): a unique
 * temporary beside PATH, fsync, rename, fsync of the directory.  nn/ sits below
 * the core library and links only with COMMON (test_nn_* are built that way),
 * so it cannot call bench_atomic_*; this is the same few steps, kept local.
 * The temporary is unique (mkstemp), so two writers of one PATH never share
 * one half-written file, and a crash leaves either the old checkpoint or the new
 * one, never a torn one. */
static int sync_directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *directory = slash == NULL ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (directory == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(directory);
    if (fd < 0)
        return -1;
    /* A file system that cannot sync a directory (EINVAL) has nothing to lose. */
    int failed = fsync(fd) != 0 && errno != EINVAL;
    int saved = errno;
    close(fd);
    errno = saved;
    return failed ? -1 : 0;
}

static int write_checkpoint(FILE *file, const nn_params *params, const char *model_tag)
{
    checkpoint_header header;
    memset(&header, 0, sizeof header);
    memcpy(header.magic, CHECKPOINT_MAGIC, sizeof header.magic);
    header.version = CHECKPOINT_VERSION;
    header.tensor_count = (uint32_t)params->tensor_count;
    strncpy(header.model_tag, model_tag, CHECKPOINT_TAG_SIZE - 1);
    int ok = fwrite(&header, sizeof header, 1, file) == 1;
    for (size_t i = 0; ok && i < params->tensor_count; i++) {
        checkpoint_entry entry;
        memset(&entry, 0, sizeof entry);
        memcpy(entry.name, params->tensors[i].name, sizeof entry.name);
        entry.ndim = params->tensors[i].ndim;
        for (size_t d = 0; d < NN_PARAMS_MAX_DIMS; d++)
            entry.shape[d] = d < params->tensors[i].ndim ? params->tensors[i].shape[d] : 0;
        ok = fwrite(&entry, sizeof entry, 1, file) == 1;
    }
    for (size_t i = 0; ok && i < params->tensor_count; i++)
        ok = fwrite(nn_params_value(params, i), sizeof(float), params->tensors[i].count, file) ==
             params->tensors[i].count;
    uint64_t checksum = checkpoint_checksum(params);
    ok = ok && fwrite(&checksum, sizeof checksum, 1, file) == 1;
    return ok && fflush(file) == 0 && fsync(fileno(file)) == 0 ? 0 : -1;
}

int nn_params_save(const nn_params *params, const char *model_tag, const char *path, bench_error *error)
{
    if (params->memory == NULL)
        return BENCH_FAIL(error, BENCH_INTERNAL, "saving unallocated parameters to %s", path);
    static const char suffix[] = ".tmp.XXXXXX";
    size_t path_length = strlen(path);
    char *temp_path = malloc(path_length + sizeof suffix);
    if (temp_path == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "no memory for a file name");
    memcpy(temp_path, path, path_length);
    memcpy(temp_path + path_length, suffix, sizeof suffix);
    int fd = mkostemp(temp_path, O_CLOEXEC);
    if (fd < 0) {
        int status = BENCH_FAIL(error, BENCH_IO, "%s: cannot create a temporary beside it: %s", path, strerror(errno));
        free(temp_path);
        return status;
    }
    /* mkstemp creates 0600; a checkpoint is shared like the other outputs. */
    FILE *file = fchmod(fd, 0644) == 0 ? fdopen(fd, "wb") : NULL;
    if (file == NULL) {
        int status = BENCH_FAIL(error, BENCH_IO, "%s: cannot write: %s", temp_path, strerror(errno));
        close(fd);
        unlink(temp_path);
        free(temp_path);
        return status;
    }
    int ok = write_checkpoint(file, params, model_tag) == 0;
    int saved = errno;
    if (fclose(file) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    const char *step = "cannot write";
    if (ok && rename(temp_path, path) != 0) {
        ok = 0;
        saved = errno;
        step = "cannot rename into place";
    }
    if (!ok) {
        int status = BENCH_FAIL(error, BENCH_IO, "%s: %s: %s", path, step, strerror(saved));
        unlink(temp_path);
        free(temp_path);
        return status;
    }
    free(temp_path);
    if (sync_directory_of(path) != 0)
        return BENCH_FAIL(error, BENCH_IO, "%s: written, but its directory could not be synced: %s", path,
                          strerror(errno));
    return BENCH_OK;
}

static int load_fail(FILE *file, bench_error *error, int code, const char *message, const char *path)
{
    if (file != NULL)
        fclose(file);
    return BENCH_FAIL(error, code, "%s: %s", path, message);
}

int nn_params_load(nn_params *params, const char *model_tag, const char *path, bench_error *error)
{
    if (params->memory == NULL)
        return BENCH_FAIL(error, BENCH_INTERNAL, "loading %s into unallocated parameters", path);
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return BENCH_FAIL(error, BENCH_NOT_FOUND, "%s: cannot open checkpoint: %s", path, strerror(errno));
    struct stat info;
    if (fstat(fileno(file), &info) != 0)
        return load_fail(file, error, BENCH_IO, "cannot stat checkpoint", path);
    checkpoint_header header;
    if (fread(&header, sizeof header, 1, file) != 1)
        return load_fail(file, error, BENCH_BAD_INPUT, "not a bench checkpoint (shorter than its header)", path);
    if (memcmp(header.magic, CHECKPOINT_MAGIC, sizeof header.magic) != 0)
        return load_fail(file, error, BENCH_BAD_INPUT, "not a bench checkpoint (bad magic number)", path);
    if (header.version != CHECKPOINT_VERSION) {
        fclose(file);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: checkpoint format version %u, this bench reads %u", path,
                          header.version, CHECKPOINT_VERSION);
    }
    header.model_tag[CHECKPOINT_TAG_SIZE - 1] = '\0';
    if (strncmp(header.model_tag, model_tag, CHECKPOINT_TAG_SIZE - 1) != 0) {
        fclose(file);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: checkpoint of model '%s', expected '%s'", path,
                          header.model_tag, model_tag);
    }
    if (header.tensor_count != params->tensor_count) {
        fclose(file);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: checkpoint has %u tensors, the model has %zu", path,
                          header.tensor_count, params->tensor_count);
    }
    for (size_t i = 0; i < params->tensor_count; i++) {
        checkpoint_entry entry;
        if (fread(&entry, sizeof entry, 1, file) != 1)
            return load_fail(file, error, BENCH_BAD_INPUT, "truncated checkpoint (tensor table)", path);
        entry.name[NN_PARAMS_NAME_SIZE - 1] = '\0';
        const nn_tensor_info *t = &params->tensors[i];
        int same = strcmp(entry.name, t->name) == 0 && entry.ndim == t->ndim;
        for (size_t d = 0; same && d < t->ndim; d++)
            same = entry.shape[d] == t->shape[d];
        if (!same) {
            fclose(file);
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s: tensor %zu is '%s' with shape (%llu, %llu, %llu, %llu) in the checkpoint; the "
                              "model expects '%s' (%zu, %zu, %zu, %zu)",
                              path, i, entry.name, (unsigned long long)entry.shape[0],
                              (unsigned long long)entry.shape[1], (unsigned long long)entry.shape[2],
                              (unsigned long long)entry.shape[3], t->name, t->shape[0], t->ndim > 1 ? t->shape[1] : 0,
                              t->ndim > 2 ? t->shape[2] : 0, t->ndim > 3 ? t->shape[3] : 0);
        }
    }
    size_t expected = checkpoint_size(params);
    if ((size_t)info.st_size != expected) {
        fclose(file);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: checkpoint is %lld bytes, its tensor table implies %zu (%s)",
                          path, (long long)info.st_size, expected,
                          (size_t)info.st_size < expected ? "truncated" : "trailing data");
    }
    /* Read into a scratch copy so a corrupted file leaves the model unchanged. */
    float *scratch = malloc(params->total * sizeof(float) + sizeof(float));
    if (scratch == NULL)
        return load_fail(file, error, BENCH_NO_MEMORY, "no memory to read checkpoint", path);
    for (size_t i = 0; i < params->tensor_count; i++) {
        const nn_tensor_info *t = &params->tensors[i];
        if (fread(scratch + t->offset, sizeof(float), t->count, file) != t->count) {
            free(scratch);
            return load_fail(file, error, BENCH_BAD_INPUT, "truncated checkpoint (values)", path);
        }
    }
    uint64_t stored_checksum;
    int read_ok = fread(&stored_checksum, sizeof stored_checksum, 1, file) == 1;
    fclose(file);
    float *saved_values = params->values;
    params->values = scratch;
    uint64_t checksum = checkpoint_checksum(params);
    params->values = saved_values;
    if (!read_ok || checksum != stored_checksum) {
        free(scratch);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: checkpoint checksum mismatch (corrupted file)", path);
    }
    for (size_t i = 0; i < params->tensor_count; i++) {
        const nn_tensor_info *t = &params->tensors[i];
        memcpy(params->values + t->offset, scratch + t->offset, t->count * sizeof(float));
    }
    free(scratch);
    return BENCH_OK;
}
