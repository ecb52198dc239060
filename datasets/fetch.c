/* Downloading datasets into the cache.
 *
 * Every file lands in the cache as `.NAME.part-XXXXXX` first and is renamed to
 * NAME only once complete and (when the registry pins one) matching its sha256,
 * so an interrupted or tampered download never looks like data.  http/https/file
 * URLs go through libcurl; Debian-packaged files through `apt-get download` and
 * `dpkg-deb -x`, run with posix_spawnp (no shell) in a temp directory
 * `.deb-PACKAGE-XXXXXX` of the cache.
 *
 * A fetch holds an flock on its temporaries while it works.  A process killed
 * mid-download cannot clean up, so the next fetch of the same file (or package)
 * removes what such a fetch left: only names of exactly these two patterns,
 * owned by this user, unlocked and untouched for a minute, so neither a fetch
 * still running (in this or another process, or on another host sharing the
 * cache) nor a file bench did not create is ever deleted. */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/files.h"
#include "datasets/dataset.h"
#include "datasets/sha256.h"

extern char **environ;

#define DEB_PREFIX "deb:"
#define TEMP_MARK ".part-"          /* .NAME.part-XXXXXX */
#define STALE_AFTER_SECONDS 60      /* covers the instant between mkstemp and flock */

/* ---- small file helpers ---------------------------------------------------- */

static int make_directories(const char *path, bench_error *error)
{
    char buffer[PATH_MAX];
    if (snprintf(buffer, sizeof buffer, "%s", path) >= (int)sizeof buffer)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: path too long", path);
    for (char *slash = buffer + 1;; slash++) {
        if (*slash != '/' && *slash != '\0')
            continue;
        char saved = *slash;
        *slash = '\0';
        if (mkdir(buffer, 0755) != 0 && errno != EEXIST)
            return BENCH_FAIL(error, BENCH_IO, "cannot create directory %s: %s", buffer, strerror(errno));
        *slash = saved;
        if (saved == '\0')
            break;
    }
    return BENCH_OK;
}

/* dir + "/" + name into out; -1 when it does not fit. */
static int join(char *out, size_t size, const char *dir, const char *name)
{
    int wrote = snprintf(out, size, "%s/%s", dir, name);
    return wrote >= 0 && (size_t)wrote < size ? 0 : -1;
}

/* The six characters mkstemp and mkdtemp put in place of XXXXXX. */
static int is_temp_suffix(const char *text)
{
    return strlen(text) == 6 &&
           strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == 6;
}

/* Remove what interrupted fetches left in cache: entries named prefix + six
 * mkstemp characters (regular files, or directories when directories), owned
 * by this user, not modified for STALE_AFTER_SECONDS and not locked by a live
 * fetch.  Best effort: whatever cannot be checked is left alone. */
static void remove_stale_temporaries(const char *cache, const char *prefix, int directories)
{
    DIR *dir = opendir(cache);
    if (dir == NULL)
        return;
    size_t prefix_length = strlen(prefix);
    time_t now = time(NULL);
    for (struct dirent *entry = readdir(dir); entry != NULL; entry = readdir(dir)) {
        char path[PATH_MAX];
        struct stat about;
        if (strncmp(entry->d_name, prefix, prefix_length) != 0 || !is_temp_suffix(entry->d_name + prefix_length) ||
            join(path, sizeof path, cache, entry->d_name) != 0 || lstat(path, &about) != 0 ||
            !(directories ? S_ISDIR(about.st_mode) : S_ISREG(about.st_mode)) || about.st_uid != geteuid() ||
            now - about.st_mtime < STALE_AFTER_SECONDS)
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (directories ? O_DIRECTORY : 0));
        if (fd < 0)
            continue;
        /* The lock is free only when no fetch holds the temporary open. */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            if (directories)
                bench_remove_tree(path);
            else
                unlink(path);
        }
        close(fd);
    }
    closedir(dir);
}

/* Temp file next to `final_path` (same directory, so rename is atomic), locked
 * for as long as it is open (see remove_stale_temporaries). */
static int open_temp_beside(const char *final_path, char *temp_path, size_t size, FILE **file, bench_error *error)
{
    const char *slash = strrchr(final_path, '/');
    size_t dir_length = slash ? (size_t)(slash - final_path) : 0;
    const char *base = slash ? slash + 1 : final_path;
    int wrote = snprintf(temp_path, size, "%.*s%s.%s" TEMP_MARK "XXXXXX", (int)dir_length, final_path,
                         slash ? "/" : "", base);
    if (wrote < 0 || (size_t)wrote >= size)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: path too long", final_path);
    int fd = mkostemp(temp_path, O_CLOEXEC);
    if (fd < 0)
        return BENCH_FAIL(error, BENCH_IO, "cannot create a temp file beside %s: %s", final_path, strerror(errno));
    /* Without lock support the cleaner cannot take the lock either, and so
     * leaves the file alone: failing here would only stop the fetch. */
    (void)flock(fd, LOCK_EX | LOCK_NB);
    *file = fdopen(fd, "wb");
    if (*file == NULL) {
        close(fd);
        unlink(temp_path);
        return BENCH_FAIL(error, BENCH_IO, "%s: %s", temp_path, strerror(errno));
    }
    return BENCH_OK;
}

/* Flush and sync the temp file, check the checksum, rename into place, then
 * close it and sync the directory; on any failure the temp file is deleted.
 * It is closed only after the rename so its lock covers the whole life of the
 * name (see remove_stale_temporaries). */
static int finish_temp(FILE *file, const char *temp_path, const char *final_path, const char *origin,
                       bench_sha256 *hash, const char *pinned, char obtained[65], bench_error *error)
{
    /* mkstemp creates 0600; cached data is meant to be shared like any download. */
    int write_failed = fflush(file) != 0 || ferror(file) || fchmod(fileno(file), 0644) != 0 ||
                       fsync(fileno(file)) != 0;
    int saved_errno = errno;
    bench_sha256_end(hash, obtained);
    if (write_failed) {
        unlink(temp_path);
        fclose(file);
        return BENCH_FAIL(error, BENCH_IO, "writing %s failed: %s", temp_path, strerror(saved_errno));
    }
    if (pinned != NULL && strcmp(pinned, obtained) != 0) {
        unlink(temp_path);
        fclose(file);
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "checksum mismatch for %s: sha256 %s, expected %s; the download was deleted", origin,
                          obtained, pinned);
    }
    if (rename(temp_path, final_path) != 0) {
        int rename_errno = errno;
        unlink(temp_path);
        fclose(file);
        return BENCH_FAIL(error, BENCH_IO, "cannot rename %s to %s: %s", temp_path, final_path, strerror(rename_errno));
    }
    /* Flushed and synced above, so closing cannot lose data now. */
    fclose(file);
    if (bench_sync_parent_directory(final_path, error) != BENCH_OK)
        return bench_error_prefix(error, "%s: renamed into place, but ", final_path);
    return BENCH_OK;
}

/* ---- http, https, file: libcurl --------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_status = CURLE_OK;

static void init_curl(void)
{
    curl_init_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct download_sink {
    FILE *file;
    bench_sha256 *hash;
    int show_progress;
    const char *label;
    int drew_progress;
    curl_off_t last_drawn;   /* bytes at the last redraw: redraw every ~1 % or 1 MB */
} download_sink;

static size_t write_download(char *data, size_t size, size_t count, void *context)
{
    download_sink *sink = context;
    size_t bytes = size * count;
    if (fwrite(data, 1, bytes, sink->file) != bytes)
        return 0; /* curl reports CURLE_WRITE_ERROR */
    bench_sha256_update(sink->hash, data, bytes);
    return bytes;
}

static int draw_progress(void *context, curl_off_t total, curl_off_t now, curl_off_t upload_total,
                         curl_off_t upload_now)
{
    (void)upload_total, (void)upload_now;
    download_sink *sink = context;
    if (now == 0 && total == 0)
        return 0; /* still connecting: nothing worth a line yet */
    curl_off_t every = total > 0 ? total / 100 : 1000000;
    int finished_now = now == total && sink->last_drawn != total;
    if (sink->drew_progress && now - sink->last_drawn < every && !finished_now)
        return 0;
    sink->last_drawn = now;
    if (total > 0)
        fprintf(stderr, "\r%s: %.1f / %.1f MB (%3d%%)", sink->label, (double)now / 1e6, (double)total / 1e6,
                (int)(100 * now / total));
    else
        fprintf(stderr, "\r%s: %.1f MB", sink->label, (double)now / 1e6);
    sink->drew_progress = 1;
    return 0;
}

static int download_url(const char *url, const char *final_path, const char *pinned, int show_progress,
                        const char *label, char obtained[65], bench_error *error)
{
    pthread_once(&curl_once, init_curl);
    if (curl_init_status != CURLE_OK)
        return BENCH_FAIL(error, BENCH_INTERNAL, "libcurl initialisation failed: %s",
                          curl_easy_strerror(curl_init_status));
    char temp_path[PATH_MAX];
    FILE *file;
    int status = open_temp_beside(final_path, temp_path, sizeof temp_path, &file, error);
    if (status != BENCH_OK)
        return status;
    download_sink sink = {.file = file, .show_progress = show_progress, .label = label};
    status = bench_sha256_begin(&sink.hash, error);
    CURL *curl = status == BENCH_OK ? curl_easy_init() : NULL;
    if (status == BENCH_OK && curl == NULL)
        status = BENCH_FAIL(error, BENCH_NO_MEMORY, "libcurl could not create a handle");
    if (status != BENCH_OK) {
        bench_sha256_discard(sink.hash);
        fclose(file);
        unlink(temp_path);
        return status;
    }
    char curl_message[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A stalled transfer fails instead of hanging: under 1 byte/s for 60 s. */
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_message);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_download);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "bench-dataset-fetch/1");
    if (show_progress && isatty(STDERR_FILENO)) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, draw_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &sink);
    }
    CURLcode result = curl_easy_perform(curl);
    long response = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
    curl_easy_cleanup(curl);
    if (sink.drew_progress)
        fputc('\n', stderr);
    if (result != CURLE_OK) {
        bench_sha256_discard(sink.hash);
        fclose(file);
        unlink(temp_path);
        if (result == CURLE_HTTP_RETURNED_ERROR)
            return BENCH_FAIL(error, BENCH_IO, "download of %s failed: HTTP %ld", url, response);
        return BENCH_FAIL(error, BENCH_IO, "download of %s failed: %s%s%s", url, curl_easy_strerror(result),
                          curl_message[0] ? ": " : "", curl_message);
    }
    return finish_temp(file, temp_path, final_path, url, sink.hash, pinned, obtained, error);
}

/* ---- Debian packages ---------------------------------------------------------- */

/* Run argv[0] (looked up in PATH) in `directory` with stdout and stderr going to
 * `log_path`; BENCH_IO unless it exits 0.  The log's last line goes into the
 * message, since that is where apt-get and dpkg-deb say why. */
static int run_program(char *const argv[], const char *directory, const char *log_path, bench_error *error)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addchdir_np(&actions, directory);
    pid_t child;
    int spawn_error = posix_spawnp(&child, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error != 0)
        return BENCH_FAIL(error, BENCH_IO, "cannot run %s: %s", argv[0], strerror(spawn_error));
    int wait_status = 0;
    while (waitpid(child, &wait_status, 0) < 0)
        if (errno != EINTR)
            return BENCH_FAIL(error, BENCH_IO, "waiting for %s: %s", argv[0], strerror(errno));
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
        return BENCH_OK;
    char last_line[512] = "";
    FILE *log = fopen(log_path, "r");
    if (log != NULL) {
        char line[512];
        while (fgets(line, sizeof line, log) != NULL)
            if (line[0] != '\n')
                snprintf(last_line, sizeof last_line, "%s", line);
        fclose(log);
    }
    last_line[strcspn(last_line, "\n")] = '\0';
    char command[256] = "";
    for (size_t i = 0, used = 0; argv[i] != NULL && used < sizeof command; i++) {
        int wrote = snprintf(command + used, sizeof command - used, "%s%s", i ? " " : "", argv[i]);
        used += wrote > 0 ? (size_t)wrote : 0;
    }
    if (WIFEXITED(wait_status))
        return BENCH_FAIL(error, BENCH_IO, "`%s` failed (exit %d)%s%s", command, WEXITSTATUS(wait_status),
                          last_line[0] ? ": " : "", last_line);
    return BENCH_FAIL(error, BENCH_IO, "`%s` was killed by signal %d", command, WTERMSIG(wait_status));
}

/* Split "deb:PACKAGE:PATH" into its parts (package and path point into buffers). */
static int parse_deb_source(const char *source, char *package, size_t package_size, const char **path)
{
    if (strncmp(source, DEB_PREFIX, strlen(DEB_PREFIX)) != 0)
        return -1;
    const char *rest = source + strlen(DEB_PREFIX);
    const char *colon = strchr(rest, ':');
    if (colon == NULL || colon == rest || colon[1] == '\0' || (size_t)(colon - rest) >= package_size)
        return -1;
    memcpy(package, rest, (size_t)(colon - rest));
    package[colon - rest] = '\0';
    *path = colon + 1;
    while (**path == '/')
        (*path)++;
    return 0;
}

static int copy_file_verified(const char *source_path, const char *final_path, const char *pinned,
                              char obtained[65], bench_error *error)
{
    FILE *input = fopen(source_path, "rb");
    if (input == NULL)
        return BENCH_FAIL(error, BENCH_IO, "%s: %s", source_path, strerror(errno));
    char temp_path[PATH_MAX];
    FILE *output;
    bench_sha256 *hash = NULL;
    int status = open_temp_beside(final_path, temp_path, sizeof temp_path, &output, error);
    if (status == BENCH_OK && (status = bench_sha256_begin(&hash, error)) != BENCH_OK) {
        fclose(output);
        unlink(temp_path);
    }
    if (status != BENCH_OK) {
        fclose(input);
        return status;
    }
    char buffer[1 << 16];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, input)) > 0) {
        bench_sha256_update(hash, buffer, got);
        if (fwrite(buffer, 1, got, output) != got)
            break;
    }
    int read_failed = ferror(input);
    fclose(input);
    if (read_failed) {
        bench_sha256_discard(hash);
        fclose(output);
        unlink(temp_path);
        return BENCH_FAIL(error, BENCH_IO, "%s: read error", source_path);
    }
    return finish_temp(output, temp_path, final_path, source_path, hash, pinned, obtained, error);
}

static int fetch_deb(const bench_dataset_info *info, const char *cache, int show_progress,
                     bench_fetch_report *report, bench_error *error)
{
    char package[256];
    const char *member;
    if (parse_deb_source(info->source, package, sizeof package, &member) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: source '%s' is not deb:PACKAGE:PATH", info->name, info->source);
    char work[PATH_MAX], log_path[PATH_MAX], root[PATH_MAX], prefix[300];
    snprintf(prefix, sizeof prefix, ".deb-%s-", package);
    remove_stale_temporaries(cache, prefix, 1);
    if (snprintf(work, sizeof work, "%s/%sXXXXXX", cache, prefix) >= (int)sizeof work)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: cache path too long", cache);
    if (mkdtemp(work) == NULL)
        return BENCH_FAIL(error, BENCH_IO, "cannot create a temp directory in %s: %s", cache, strerror(errno));
    /* Held until the directory is removed below: a concurrent fetch's cleanup
     * must not take this one for the leftover of an interrupted fetch. */
    int work_lock = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (work_lock >= 0)
        (void)flock(work_lock, LOCK_EX | LOCK_NB);
    char pattern[PATH_MAX];
    if (join(log_path, sizeof log_path, work, "log") != 0 || join(root, sizeof root, work, "root") != 0 ||
        join(pattern, sizeof pattern, work, "*.deb") != 0) {
        bench_remove_tree(work);
        if (work_lock >= 0)
            close(work_lock);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: cache path too long", cache);
    }
    if (show_progress && isatty(STDERR_FILENO))
        fprintf(stderr, "%s: apt-get download %s\n", info->name, package);

    char *download_argv[] = {"apt-get", "download", package, NULL};
    int status = run_program(download_argv, work, log_path, error);
    if (status != BENCH_OK && error != NULL) {
        size_t used = strlen(error->message);
        snprintf(error->message + used, sizeof error->message - used,
                 " (needs the Debian archive in apt's sources and a prior `apt-get update`)");
    }
    glob_t found = {0};
    if (status == BENCH_OK && (glob(pattern, 0, NULL, &found) != 0 || found.gl_pathc != 1))
        status = BENCH_FAIL(error, BENCH_IO, "apt-get download %s left %zu .deb files in %s, expected 1", package,
                            found.gl_pathc, work);
    if (status == BENCH_OK) {
        char *extract_argv[] = {"dpkg-deb", "-x", found.gl_pathv[0], root, NULL};
        status = run_program(extract_argv, work, log_path, error);
    }
    globfree(&found);

    /* The requested file, then every other registered file of the same package
     * that is not present yet (one download serves them all). */
    const bench_dataset_info *entries;
    size_t entry_count = bench_dataset_registry(&entries);
    for (size_t e = 0; status == BENCH_OK && e <= entry_count; e++) {
        const bench_dataset_info *entry = e == 0 ? info : &entries[e - 1];
        char entry_package[256];
        const char *entry_member;
        if (e > 0 && (entry == info || entry->source == NULL || entry->files[0] == NULL ||
                      parse_deb_source(entry->source, entry_package, sizeof entry_package, &entry_member) != 0 ||
                      strcmp(entry_package, package) != 0 || (info->name && !strcmp(entry->name, info->name))))
            continue;
        if (e == 0)
            entry_member = member;
        char source_path[PATH_MAX], final_path[PATH_MAX], existing[PATH_MAX], obtained[65];
        if (e > 0 && bench_dataset_locate(entry, 0, existing, sizeof existing, NULL) == BENCH_OK)
            continue;
        int copy_status = BENCH_BAD_INPUT;
        char stale_prefix[300];
        snprintf(stale_prefix, sizeof stale_prefix, ".%s" TEMP_MARK, entry->files[0]);
        remove_stale_temporaries(cache, stale_prefix, 0);
        if (join(source_path, sizeof source_path, root, entry_member) != 0 ||
            join(final_path, sizeof final_path, cache, entry->files[0]) != 0)
            BENCH_FAIL(e == 0 ? error : NULL, BENCH_BAD_INPUT, "%s: path too long", entry->files[0]);
        else if (access(source_path, R_OK) != 0)
            BENCH_FAIL(e == 0 ? error : NULL, BENCH_IO, "package %s has no file /%s", package, entry_member);
        else
            copy_status = copy_file_verified(source_path, final_path, entry->sha256[0], obtained,
                                             e == 0 ? error : NULL);
        if (e == 0) {
            status = copy_status;
            if (status == BENCH_OK && report != NULL) {
                snprintf(report->path[0], sizeof report->path[0], "%s", final_path);
                memcpy(report->sha256[0], obtained, sizeof obtained);
                report->pinned[0] = entry->sha256[0] != NULL;
                report->downloaded[0] = 1;
            }
        }
    }
    bench_remove_tree(work);
    if (work_lock >= 0)
        close(work_lock);
    if (status != BENCH_OK)
        return bench_error_prefix(error, "%s: ", info->name ? info->name : "dataset");
    return BENCH_OK;
}

/* ---- entry points --------------------------------------------------------------- */

int bench_dataset_fetch_ex(const bench_dataset_info *info, int show_progress, bench_fetch_report *report,
                           bench_error *error)
{
    bench_fetch_report local;
    if (report == NULL)
        report = &local;
    memset(report, 0, sizeof *report);
    if (info == NULL || info->name == NULL)
        return BENCH_FAIL(error, BENCH_INTERNAL, "fetch: no dataset");
    int file_count = bench_dataset_file_count(info);
    report->file_count = file_count;
    char cache[PATH_MAX];
    int status = bench_dataset_cache_dir(cache, sizeof cache, error);
    if (status == BENCH_OK)
        status = make_directories(cache, error);
    if (status != BENCH_OK)
        return status;

    int is_deb = info->source != NULL && strncmp(info->source, DEB_PREFIX, strlen(DEB_PREFIX)) == 0;
    for (int i = 0; i < file_count; i++) {
        if (info->files[i] == NULL)
            return BENCH_FAIL(error, BENCH_INTERNAL, "%s: registry row lacks file %d", info->name, i + 1);
        /* What an interrupted fetch of this file left behind goes first. */
        char stale_prefix[PATH_MAX];
        snprintf(stale_prefix, sizeof stale_prefix, ".%s" TEMP_MARK, info->files[i]);
        remove_stale_temporaries(cache, stale_prefix, 0);
        /* Already there (in BENCH_DATA_PATH or the cache) and intact: nothing to do. */
        char existing[PATH_MAX];
        if (bench_dataset_locate(info, i, existing, sizeof existing, NULL) == BENCH_OK) {
            status = bench_sha256_file(existing, report->sha256[i], error);
            if (status != BENCH_OK)
                return status;
            if (info->sha256[i] == NULL || strcmp(info->sha256[i], report->sha256[i]) == 0) {
                snprintf(report->path[i], sizeof report->path[i], "%s", existing);
                report->pinned[i] = info->sha256[i] != NULL;
                continue;
            }
            char cached[PATH_MAX];
            if (join(cached, sizeof cached, cache, info->files[i]) != 0 || strcmp(existing, cached) != 0)
                return BENCH_FAIL(error, BENCH_BAD_INPUT,
                                  "%s: %s has sha256 %s, expected %s (it is outside the cache; replace or remove it)",
                                  info->name, existing, report->sha256[i], info->sha256[i]);
            /* A stale or damaged cache copy is simply fetched again. */
        }
        char final_path[PATH_MAX];
        if (join(final_path, sizeof final_path, cache, info->files[i]) != 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: cache path too long", info->name);
        if (is_deb) {
            if (i > 0)
                return BENCH_FAIL(error, BENCH_INTERNAL, "%s: deb sources hold one file", info->name);
            status = fetch_deb(info, cache, show_progress, report, error);
            if (status != BENCH_OK)
                return status;
            continue;
        }
        /* A mirror holds the files under their local names (a lab server, or
         * file:///path/to/a/copy); checksums are enforced all the same. */
        const char *mirror = getenv("BENCH_DATA_MIRROR");
        char mirrored[PATH_MAX];
        const char *url = info->urls[i];
        if (mirror != NULL && mirror[0] != '\0') {
            size_t length = strlen(mirror);
            while (length > 0 && mirror[length - 1] == '/')
                length--;
            int wrote = snprintf(mirrored, sizeof mirrored, "%.*s/%s", (int)length, mirror, info->files[i]);
            if (wrote < 0 || (size_t)wrote >= sizeof mirrored)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "BENCH_DATA_MIRROR is too long");
            url = mirrored;
        }
        if (url == NULL)
            return BENCH_FAIL(error, BENCH_NOT_FOUND, "%s: no download address for %s; put the file in BENCH_DATA_PATH",
                              info->name, info->files[i]);
        status = download_url(url, final_path, info->sha256[i], show_progress, info->files[i], report->sha256[i],
                              error);
        if (status != BENCH_OK)
            return bench_error_prefix(error, "%s: ", info->name);
        snprintf(report->path[i], sizeof report->path[i], "%s", final_path);
        report->pinned[i] = info->sha256[i] != NULL;
        report->downloaded[i] = 1;
    }
    return BENCH_OK;
}

int bench_dataset_fetch(const char *name, int show_progress, bench_error *error)
{
    const bench_dataset_info *info = bench_dataset_find(name);
    if (info == NULL)
        return bench_dataset_fail_unknown(name, error);
    return bench_dataset_fetch_ex(info, show_progress, NULL, error);
}
