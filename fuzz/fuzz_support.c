#include "fuzz/fuzz_support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[256];

/* Remove the scratch tree (two levels are enough for every harness). */
static void remove_scratch(void)
{
    DIR *listing = opendir(scratch);
    struct dirent *entry;
    while (listing != NULL && (entry = readdir(listing)) != NULL) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", scratch, entry->d_name);
        if (unlink(path) != 0) {
            DIR *inner = opendir(path);
            struct dirent *item;
            while (inner != NULL && (item = readdir(inner)) != NULL) {
                char file[900];
                snprintf(file, sizeof file, "%s/%s", path, item->d_name);
                unlink(file);
            }
            if (inner)
                closedir(inner);
            rmdir(path);
        }
    }
    if (listing)
        closedir(listing);
    rmdir(scratch);
}

const char *fuzz_scratch_dir(void)
{
    if (scratch[0] == '\0') {
        struct stat info;
        const char *base = stat("/dev/shm", &info) == 0 && S_ISDIR(info.st_mode) ? "/dev/shm" : "/tmp";
        snprintf(scratch, sizeof scratch, "%s/bench-fuzz-XXXXXX", base);
        if (mkdtemp(scratch) == NULL) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(remove_scratch);
    }
    return scratch;
}

const char *fuzz_write_file(int slot, const char *name, const uint8_t *data, size_t size)
{
    static char paths[4][512];
    char *path = paths[slot & 3];
    snprintf(path, sizeof paths[0], "%s/%s", fuzz_scratch_dir(), name);
    FILE *file = fopen(path, "wb");
    if (file == NULL || (size > 0 && fwrite(data, 1, size, file) != size) || fclose(file) != 0) {
        perror(path);
        abort();
    }
    return path;
}

void fuzz_split(const uint8_t *data, size_t size, const char *separator, size_t *first_size, size_t *second_start)
{
    size_t length = strlen(separator);
    const uint8_t *found = memmem(data, size, separator, length);
    *first_size = found != NULL ? (size_t)(found - data) + 1 : size;
    *second_start = found != NULL ? (size_t)(found - data) + length : size;
}

void fuzz_load_dataset(const bench_dataset_info *info, const char *name, const uint8_t *data, size_t size)
{
    const char *paths[2] = {fuzz_write_file(0, name, data, size), NULL};
    bench_dataset *dataset = NULL;
    bench_error error = {0};
    bench_dataset_load_path(&dataset, info, paths, &error);
    bench_dataset_free(dataset);
}
