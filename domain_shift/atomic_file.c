#include "domain_shift/atomic_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int shift_atomic_open(shift_atomic_file *file, const char *path, bench_error *error)
{
    file->stream = NULL;
    if (strlen(path) >= sizeof file->final_path)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: path too long", path);
    strcpy(file->final_path, path);
    snprintf(file->temp_path, sizeof file->temp_path, "%s.tmp.XXXXXX", path);
    int descriptor = mkstemp(file->temp_path);
    if (descriptor < 0)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot create a temporary file: %s", path, strerror(errno));
    file->stream = fdopen(descriptor, "wb");
    if (file->stream == NULL) {
        int saved = errno;
        close(descriptor);
        unlink(file->temp_path);
        return BENCH_FAIL(error, BENCH_IO, "%s: %s", path, strerror(saved));
    }
    return BENCH_OK;
}

int shift_atomic_commit(shift_atomic_file *file, bench_error *error)
{
    if (file->stream == NULL)
        return BENCH_FAIL(error, BENCH_INTERNAL, "%s: file not open", file->final_path);
    int failed = ferror(file->stream) != 0;
    failed |= fclose(file->stream) != 0;
    file->stream = NULL;
    if (failed) {
        unlink(file->temp_path);
        return BENCH_FAIL(error, BENCH_IO, "%s: write failed", file->final_path);
    }
    if (rename(file->temp_path, file->final_path) != 0) {
        int saved = errno;
        unlink(file->temp_path);
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot rename into place: %s", file->final_path, strerror(saved));
    }
    return BENCH_OK;
}

void shift_atomic_abort(shift_atomic_file *file)
{
    if (file->stream != NULL) {
        fclose(file->stream);
        file->stream = NULL;
        unlink(file->temp_path);
    }
}

int shift_make_directories(const char *path, bench_error *error)
{
    char buffer[4096];
    if (strlen(path) >= sizeof buffer)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: path too long", path);
    strcpy(buffer, path);
    for (char *p = buffer + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buffer, 0777) != 0 && errno != EEXIST)
                return BENCH_FAIL(error, BENCH_IO, "%s: cannot create directory: %s", buffer, strerror(errno));
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    return BENCH_OK;
}
