#include "bench/plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forecasters/registry.h"

typedef const bench_forecaster *(*plugin_entry)(void);

/* dlopen searches the library path for a bare name; a plugin is a file. */
static int resolve_path(const char *path, char *resolved, size_t size, bench_error *error)
{
    int length = snprintf(resolved, size, "%s%s", strchr(path, '/') == NULL ? "./" : "", path);
    if (length < 0 || (size_t)length >= size)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "plugin %.200s...: path longer than %zu bytes", path, size - 1);
    return BENCH_OK;
}

/* ---- The probe: load the plugin in a child first -------------------------------------
 * What the child is doing, kept in a page shared with the parent: when the child
 * crashes, exits or hangs without a report, the parent can still say where. */
enum {
    STAGE_STARTING,
    STAGE_DLOPEN,
    STAGE_ENTRY,
    STAGE_VTABLE,
    STAGE_REPORTING,
};

static const char *stage_text(int stage)
{
    switch (stage) {
    case STAGE_STARTING:
        return "before dlopen";
    case STAGE_DLOPEN:
        return "in dlopen (its constructors or a library it needs)";
    case STAGE_ENTRY:
        return "in its entry function " BENCH_PLUGIN_ENTRY_SYMBOL "()";
    case STAGE_VTABLE:
        return "while bench read the vtable it returned (a bad pointer in it?)";
    default:
        return "after it had loaded";
    }
}

/* The child's verdict.  The magic number tells a report written by bench's code
 * from a short or absent one; the exit status of the child never counts as a
 * verdict, because plugin code can call exit() with any status. */
#define PROBE_MAGIC 0x62504c47u
typedef struct {
    uint32_t magic;
    int32_t code; /* BENCH_OK, or the bench_status of the failure */
    char message[BENCH_ERROR_MESSAGE_SIZE];
} probe_report;

/* dlopen, dlsym and call the entry.  *stage (may be NULL) is advanced before each
 * step that runs plugin code.  The handle is never closed on success: the
 * vtable lives in the library. */
static int open_plugin(const char *path, const bench_forecaster **out, volatile int *stage, bench_error *error)
{
    char resolved[4096];
    if (resolve_path(path, resolved, sizeof resolved, error) != BENCH_OK)
        return error->code;
    if (stage != NULL)
        *stage = STAGE_DLOPEN;
    void *handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "plugin %s: %s", path, dlerror());
    dlerror();
    void *symbol = dlsym(handle, BENCH_PLUGIN_ENTRY_SYMBOL);
    const char *problem = dlerror();
    if (symbol == NULL || problem != NULL) {
        BENCH_FAIL(error, BENCH_BAD_INPUT, "plugin %s: no entry symbol %s: %s", path, BENCH_PLUGIN_ENTRY_SYMBOL,
                   problem ? problem : "it is NULL");
        dlclose(handle);
        return error->code;
    }
    plugin_entry entry;
    memcpy(&entry, &symbol, sizeof entry); /* object → function pointer without a cast warning */
    if (stage != NULL)
        *stage = STAGE_ENTRY;
    *out = entry();
    return BENCH_OK;
}

/* Read every string the vtable points to, so that a bad pointer faults here, in
 * the probe, rather than later when bench lists, checks or plans the model. */
static void touch_vtable(const bench_forecaster *forecaster)
{
    volatile size_t sink = strlen(forecaster->name);
    if (forecaster->description != NULL)
        sink += strlen(forecaster->description);
    for (size_t i = 0; i < forecaster->param_count; i++) {
        const bench_param_spec *spec = &forecaster->params[i];
        sink += strlen(spec->name) + strlen(spec->doc);
        if (spec->default_value != NULL)
            sink += strlen(spec->default_value);
        if (spec->choices != NULL)
            sink += strlen(spec->choices);
    }
    (void)sink;
}

/* In the child only: load, check, report, _exit.  Never returns. */
static _Noreturn void probe_child(int channel, const char *path, pid_t parent, volatile int *stage)
{
    /* A fault must end the child with its own signal: not run a handler bench
     * installed, nor a sanitizer's report and abort; Ctrl-C must end it too. */
    static const int defaults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        signal(defaults[i], SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_DUMPABLE, 0);         /* a crashing plugin leaves no core file behind */
    prctl(PR_SET_PDEATHSIG, SIGKILL);  /* a hanging plugin dies with bench */
    if (getppid() != parent)
        _exit(1);
    probe_report report = {.magic = PROBE_MAGIC};
    bench_error error = {0};
    const bench_forecaster *forecaster = NULL;
    char origin[4200];
    snprintf(origin, sizeof origin, "plugin %s", path);
    int status = open_plugin(path, &forecaster, stage, &error);
    if (status == BENCH_OK) {
        *stage = STAGE_VTABLE;
        status = bench_forecaster_check(forecaster, origin, &error);
    }
    if (status == BENCH_OK)
        touch_vtable(forecaster);
    *stage = STAGE_REPORTING;
    report.code = status;
    memcpy(report.message, error.message, sizeof report.message);
    /* Smaller than PIPE_BUF: one write, whole or not at all. */
    ssize_t written = write(channel, &report, sizeof report);
    _exit(written == (ssize_t)sizeof report ? 0 : 1);
}

static long milliseconds_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000L + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/* Load the plugin in a child and wait up to `seconds` for its report.
 * BENCH_OK only when the child reported that the plugin loaded and its vtable is
 * sound; otherwise the child's own error, or why it ended without one. */
static int probe_plugin(const char *path, unsigned seconds, bench_error *error)
{
    volatile int *stage = mmap(NULL, sizeof *stage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (stage == MAP_FAILED)
        return BENCH_FAIL(error, BENCH_IO, "plugin %s: cannot probe it: mmap: %s", path, strerror(errno));
    *stage = STAGE_STARTING;
    int channel[2];
    if (pipe2(channel, O_CLOEXEC) != 0) {
        munmap((void *)stage, sizeof *stage);
        return BENCH_FAIL(error, BENCH_IO, "plugin %s: cannot probe it: pipe: %s", path, strerror(errno));
    }
    fflush(NULL); /* a plugin calling exit() in the child would write bench's buffers a second time */
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        close(channel[0]), close(channel[1]);
        munmap((void *)stage, sizeof *stage);
        return BENCH_FAIL(error, BENCH_IO, "plugin %s: cannot probe it: fork: %s", path, strerror(saved));
    }
    if (child == 0) {
        close(channel[0]);
        probe_child(channel[1], path, parent, stage);
    }
    close(channel[1]);

    probe_report report;
    size_t got = 0;
    int timed_out = 0;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += seconds;
    while (got < sizeof report) {
        long left = milliseconds_left(&deadline);
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd wait_for = {.fd = channel[0], .events = POLLIN};
        int ready = poll(&wait_for, 1, left > 60000 ? 60000 : (int)left);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0)
            continue;
        ssize_t part = read(channel[0], (char *)&report + got, sizeof report - got);
        if (part < 0 && errno == EINTR)
            continue;
        if (part <= 0)
            break; /* end of file: the child (and whatever inherited the pipe) is gone */
        got += (size_t)part;
    }
    close(channel[0]);

    int wait_status = 0, reaped = 0;
    if (timed_out) {
        /* A child that crashed while something it started still holds the pipe
         * open is not a hang: its status explains. */
        reaped = waitpid(child, &wait_status, WNOHANG) == child;
        if (!reaped)
            kill(child, SIGKILL);
        else
            timed_out = 0;
    }
    while (!reaped) {
        pid_t waited = waitpid(child, &wait_status, 0);
        if (waited == child)
            reaped = 1;
        else if (waited < 0 && errno != EINTR)
            break; /* already reaped elsewhere (SIGCHLD ignored): no status to read */
    }
    int last_stage = *stage;
    munmap((void *)stage, sizeof *stage);

    if (got == sizeof report && report.magic == PROBE_MAGIC) {
        if (report.code == BENCH_OK)
            return BENCH_OK;
        report.message[sizeof report.message - 1] = '\0';
        int code = report.code > BENCH_OK && report.code <= BENCH_INTERNAL ? report.code : BENCH_BAD_INPUT;
        return BENCH_FAIL(error, code, "%s", report.message);
    }
    if (timed_out)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "plugin %s did not finish loading within %u s; stuck %s; bench "
                          "stopped it", path, seconds, stage_text(last_stage));
    if (reaped && WIFSIGNALED(wait_status))
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "plugin %s crashed while loading: signal %d (%s), %s", path,
                          WTERMSIG(wait_status), strsignal(WTERMSIG(wait_status)), stage_text(last_stage));
    if (reaped && WIFEXITED(wait_status))
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "plugin %s exited with status %d while loading, %s, without reporting (a plugin returns "
                          "errors; it must not call exit)",
                          path, WEXITSTATUS(wait_status), stage_text(last_stage));
    return BENCH_FAIL(error, BENCH_BAD_INPUT, "plugin %s: the process loading it ended without a report, %s", path,
                      stage_text(last_stage));
}

/* ---- Loading for real ------------------------------------------------------------------ */

int bench_plugin_load_within(const char *path, unsigned seconds, const bench_forecaster **out, bench_error *error)
{
    char resolved[4096];
    if (resolve_path(path, resolved, sizeof resolved, error) != BENCH_OK)
        return error->code;
    /* A file already loaded here (named twice: config and --plugin) has run its
     * code in this process already; RTLD_NOLOAD runs none. */
    void *loaded = dlopen(resolved, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (loaded != NULL)
        dlclose(loaded);
    else if (probe_plugin(path, seconds ? seconds : BENCH_PLUGIN_LOAD_SECONDS, error) != BENCH_OK)
        return error->code;
    /* The probe loaded the same file in the same state, so this dlopen runs code
     * already seen to return; a plugin that behaves differently the second time
     * is deliberately hostile, which the probe does not try to defeat. */
    const bench_forecaster *forecaster = NULL;
    if (open_plugin(path, &forecaster, NULL, error) != BENCH_OK)
        return error->code;
    char origin[4200];
    snprintf(origin, sizeof origin, "plugin %s", path);
    /* On failure the library stays mapped: dlclose would run its destructors,
     * more plugin code for nothing. */
    if (bench_forecaster_register(forecaster, origin, error) != BENCH_OK)
        return error->code;
    if (out != NULL)
        *out = forecaster;
    return BENCH_OK;
}

int bench_plugin_load(const char *path, const bench_forecaster **out, bench_error *error)
{
    return bench_plugin_load_within(path, BENCH_PLUGIN_LOAD_SECONDS, out, error);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

int bench_plugin_load_environment(bench_error *error)
{
    const char *list = getenv("BENCH_PLUGIN_PATH");
    if (list == NULL || list[0] == '\0')
        return BENCH_OK;
    const char *cursor = list;
    while (*cursor) {
        size_t length = strcspn(cursor, ":");
        char directory[4096];
        if (length >= sizeof directory)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "BENCH_PLUGIN_PATH: directory %.200s... longer than %zu bytes",
                              cursor, sizeof directory - 1);
        snprintf(directory, sizeof directory, "%.*s", (int)length, cursor);
        cursor += length + (cursor[length] == ':');
        if (directory[0] == '\0')
            continue;
        DIR *listing = opendir(directory);
        if (listing == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "BENCH_PLUGIN_PATH: cannot open directory %s", directory);
        char **names = NULL;
        size_t count = 0;
        struct dirent *entry;
        while ((entry = readdir(listing)) != NULL) {
            size_t name_length = strlen(entry->d_name);
            if (name_length < 4 || strcmp(entry->d_name + name_length - 3, ".so") != 0)
                continue;
            char **grown = realloc(names, (count + 1) * sizeof *names);
            if (grown != NULL)
                names = grown;
            if (grown == NULL || (names[count] = strdup(entry->d_name)) == NULL) {
                free_names(names, count);
                closedir(listing);
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
            }
            count++;
        }
        closedir(listing);
        qsort(names, count, sizeof *names, compare_names);
        int status = BENCH_OK;
        for (size_t i = 0; i < count && status == BENCH_OK; i++) {
            char path[8200];
            snprintf(path, sizeof path, "%s/%s", directory, names[i]);
            status = bench_plugin_load(path, NULL, error);
        }
        free_names(names, count);
        if (status != BENCH_OK)
            return status;
    }
    return BENCH_OK;
}
