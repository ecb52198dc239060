#include "core/files.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bench_make_directories(const char *path, bench_error *error)
{
    char partial[4096];
    if (snprintf(partial, sizeof partial, "%s", path) >= (int)sizeof partial)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: path too long", path);
    for (char *slash = partial + 1; *slash; slash++) {
        if (*slash != '/')
            continue;
        *slash = '\0';
        if (mkdir(partial, 0777) != 0 && errno != EEXIST)
            return BENCH_FAIL(error, BENCH_IO, "%s: cannot create directory: %s", partial, strerror(errno));
        *slash = '/';
    }
    if (mkdir(partial, 0777) != 0 && errno != EEXIST)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot create directory: %s", partial, strerror(errno));
    return BENCH_OK;
}

int bench_sync_parent_directory(const char *path, bench_error *error)
{
    char directory[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(directory, sizeof directory, ".");
    else if (snprintf(directory, sizeof directory, "%.*s", slash == path ? 1 : (int)(slash - path), path) >=
             (int)sizeof directory)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: path too long", path);
    int fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot open to sync: %s", directory, strerror(errno));
    /* Some file systems cannot fsync a directory (EINVAL): nothing more to do there. */
    int failed = fsync(fd) != 0 && errno != EINVAL;
    int saved = errno;
    close(fd);
    if (failed)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot sync the directory: %s", directory, strerror(saved));
    return BENCH_OK;
}

int bench_atomic_open(bench_atomic_file *file, const char *path, bench_error *error)
{
    memset(file, 0, sizeof *file);
    if (snprintf(file->final_path, sizeof file->final_path, "%s", path) >= (int)sizeof file->final_path)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: path too long", path);
    snprintf(file->temp_path, sizeof file->temp_path, "%s.tmp.%ld", path, (long)getpid());
    file->stream = fopen(file->temp_path, "w");
    if (file->stream == NULL)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot write: %s", file->temp_path, strerror(errno));
    return BENCH_OK;
}

int bench_atomic_commit(bench_atomic_file *file, bench_error *error)
{
    int failed = fflush(file->stream) != 0 || ferror(file->stream) || fsync(fileno(file->stream)) != 0;
    int saved = errno;
    if (fclose(file->stream) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    file->stream = NULL;
    if (failed) {
        unlink(file->temp_path);
        return BENCH_FAIL(error, BENCH_IO, "%s: write failed: %s", file->final_path, strerror(saved));
    }
    if (rename(file->temp_path, file->final_path) != 0) {
        saved = errno;
        unlink(file->temp_path);
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot rename into place: %s", file->final_path, strerror(saved));
    }
    /* The rename lives in the directory: until the directory is synced, a crash
     * may lose it and leave the old file (or none) although the data were synced. */
    return bench_sync_parent_directory(file->final_path, error);
}

void bench_atomic_abort(bench_atomic_file *file)
{
    if (file->stream != NULL)
        fclose(file->stream);
    file->stream = NULL;
    if (file->temp_path[0])
        unlink(file->temp_path);
}

int bench_write_file_atomic(const char *path, const char *text, size_t length, bench_error *error)
{
    bench_atomic_file file;
    int status = bench_atomic_open(&file, path, error);
    if (status != BENCH_OK)
        return status;
    if (fwrite(text, 1, length, file.stream) != length) {
        bench_atomic_abort(&file);
        return BENCH_FAIL(error, BENCH_IO, "%s: write failed: %s", path, strerror(errno));
    }
    return bench_atomic_commit(&file, error);
}

int bench_read_file(const char *path, char **out, size_t *length, bench_error *error)
{
    FILE *stream = fopen(path, "rb");
    if (stream == NULL)
        return BENCH_FAIL(error, errno == ENOENT ? BENCH_NOT_FOUND : BENCH_IO, "%s: cannot open: %s", path,
                          strerror(errno));
    size_t capacity = 4096, used = 0;
    char *buffer = malloc(capacity);
    while (buffer != NULL) {
        used += fread(buffer + used, 1, capacity - used - 1, stream);
        if (used < capacity - 1)
            break;
        char *grown = realloc(buffer, capacity * 2);
        if (grown == NULL) {
            free(buffer);
            buffer = NULL;
            break;
        }
        buffer = grown;
        capacity *= 2;
    }
    int failed = ferror(stream);
    fclose(stream);
    if (buffer == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", path);
    if (failed) {
        free(buffer);
        return BENCH_FAIL(error, BENCH_IO, "%s: read error", path);
    }
    buffer[used] = '\0';
    *out = buffer;
    if (length)
        *length = used;
    return BENCH_OK;
}

int bench_write_json_atomic(const char *path, const json_t *root, size_t flags, bench_error *error)
{
    bench_atomic_file file;
    if (root == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: nothing to write", path);
    int status = bench_atomic_open(&file, path, error);
    if (status != BENCH_OK)
        return status;
    if (json_dumpf(root, file.stream, flags) != 0 || fputc('\n', file.stream) == EOF) {
        bench_atomic_abort(&file);
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot write", path);
    }
    return bench_atomic_commit(&file, error);
}

static int remove_entry(const char *path, const struct stat *status, int type, struct FTW *walk)
{
    (void)status, (void)type, (void)walk;
    remove(path);
    return 0;
}

void bench_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
