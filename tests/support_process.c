#include "support_process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void append(char **buffer, size_t *length, const char *data, size_t count)
{
    char *grown = realloc(*buffer, *length + count + 1);
    if (grown == NULL)
        return;
    memcpy(grown + *length, data, count);
    *length += count;
    grown[*length] = '\0';
    *buffer = grown;
}

int test_process_run(test_process_result *result, const char *const argv[], const char *cwd,
                     const char *const extra_env[])
{
    memset(result, 0, sizeof *result);
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0)
        return -1;
    pid_t child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        close(out_pipe[0]), close(err_pipe[0]), close(out_pipe[1]), close(err_pipe[1]);
        int null_input = open("/dev/null", O_RDONLY);
        if (null_input >= 0)
            dup2(null_input, STDIN_FILENO);
        if (cwd != NULL && chdir(cwd) != 0)
            _exit(126);
        for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
            putenv((char *)extra_env[i]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out_pipe[1]), close(err_pipe[1]);
    size_t out_length = 0, err_length = 0;
    result->out = calloc(1, 1);
    result->err = calloc(1, 1);
    struct pollfd fds[2] = {{.fd = out_pipe[0], .events = POLLIN}, {.fd = err_pipe[0], .events = POLLIN}};
    int open_count = 2;
    char chunk[65536];
    while (open_count > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
            if (got <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_count--;
            } else if (i == 0)
                append(&result->out, &out_length, chunk, (size_t)got);
            else
                append(&result->err, &err_length, chunk, (size_t)got);
        }
    }
    int status = 0;
    waitpid(child, &status, 0);
    result->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
}

void test_process_free(test_process_result *result)
{
    free(result->out);
    free(result->err);
    result->out = result->err = NULL;
}

const char *test_bench_binary(void)
{
    const char *binary = getenv("BENCH_BINARY");
    static char fallback[PATH_MAX];
    if (binary != NULL && binary[0] != '\0')
        return binary;
    snprintf(fallback, sizeof fallback, "%s/build/bench", test_source_dir());
    return fallback;
}

const char *test_source_dir(void)
{
    static char directory[PATH_MAX];
    if (directory[0] == '\0') {
        char resolved[PATH_MAX];
        if (realpath(__FILE__, resolved) == NULL)
            snprintf(resolved, sizeof resolved, "%s", __FILE__);
        char *slash = strrchr(resolved, '/');
        if (slash != NULL)
            *slash = '\0'; /* tests/ */
        slash = strrchr(resolved, '/');
        if (slash != NULL)
            *slash = '\0'; /* repository root */
        snprintf(directory, sizeof directory, "%s", resolved);
    }
    return directory;
}

const char *test_temp_dir(void)
{
    static char slots[4][PATH_MAX];
    static int next;
    char *slot = slots[next++ % 4];
    const char *base = getenv("TMPDIR");
    snprintf(slot, PATH_MAX, "%s/bench-test-XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(slot) == NULL)
        return NULL;
    return slot;
}

static int put_file(const char *path, const char *mode, const char *text)
{
    FILE *file = fopen(path, mode);
    if (file == NULL)
        return -1;
    fputs(text, file);
    return fclose(file) == 0 ? 0 : -1;
}

int test_write_file(const char *path, const char *text)
{
    return put_file(path, "w", text);
}

int test_append_file(const char *path, const char *text)
{
    return put_file(path, "a", text);
}

char *test_read_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return NULL;
    char *buffer = NULL;
    size_t used = 0;
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
        append(&buffer, &used, chunk, got);
    fclose(file);
    if (buffer == NULL)
        buffer = calloc(1, 1);
    if (length)
        *length = used;
    return buffer;
}

const char *test_find_data(const char *name)
{
    static char found[PATH_MAX];
    const char *list = getenv("BENCH_DATA_PATH");
    if (list == NULL)
        return NULL;
    const char *cursor = list;
    while (*cursor) {
        size_t length = strcspn(cursor, ":");
        snprintf(found, sizeof found, "%.*s/%s", (int)length, cursor, name);
        if (access(found, R_OK) == 0) {
            found[length] = '\0';
            return found;
        }
        cursor += length + (cursor[length] == ':');
    }
    return NULL;
}
