/* The fetch path for real, against a loopback HTTP server this test starts
 * (tests/data/datasets/http_server.py on a free 127.0.0.1 port, serving a temp
 * copy of a fixture): good file, wrong checksum, 404, truncated transfer, stale
 * cache copy, file:// URL.  Debian sources are exercised with a fake `apt-get`
 * that hands over a .deb built here with dpkg-deb; the real Debian archive is
 * used only with BENCH_SLOW=1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "datasets/dataset.h"
#include "support_bench.h"
#include "support_files.h"
#include "support_cmocka.h"

extern char **environ;

static struct {
    pid_t server;
    int port;
    char serve_dir[512];   /* what the server publishes */
    char cache_dir[512];   /* BENCH_DATA_DIR for this test */
    char shared_data[1024]; /* BENCH_DATA_PATH as the suite set it, before the test hides it */
    char fixture_sha[65];
    char *fixture_text;
    size_t fixture_length;
} fx;

/* Ask the kernel for a free port (a tiny race with other processes is fine). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        getsockname(fd, (struct sockaddr *)&address, &length) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(address.sin_port);
}

static int server_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int start_server(void **state)
{
    (void)state;
    snprintf(fx.serve_dir, sizeof fx.serve_dir, "%s", test_temp_dir());
    snprintf(fx.cache_dir, sizeof fx.cache_dir, "%s", test_temp_dir());
    fx.fixture_text = test_read_file(test_dataset_fixture("ett_tiny.csv"), &fx.fixture_length);
    if (fx.fixture_text == NULL)
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/good.csv", fx.serve_dir);
    if (test_write_file(path, fx.fixture_text) != 0)
        return -1;
    bench_error error = {0};
    if (bench_sha256_file(path, fx.fixture_sha, &error) != BENCH_OK) {
        fprintf(stderr, "%s\n", error.message);
        return -1;
    }
    /* Proxies in the environment must not intercept loopback. */
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    setenv("BENCH_DATA_DIR", fx.cache_dir, 1);
    const char *shared = getenv("BENCH_DATA_PATH");
    snprintf(fx.shared_data, sizeof fx.shared_data, "%s", shared ? shared : "");
    unsetenv("BENCH_DATA_PATH");

    fx.port = free_port();
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", fx.port);
    char *argv[] = {"python3", (char *)test_dataset_fixture("http_server.py"), port_text, fx.serve_dir, NULL};
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s", argv[1]);
    argv[1] = script;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    int spawned = posix_spawnp(&fx.server, "python3", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        fprintf(stderr, "cannot start python3: %s\n", strerror(spawned));
        return -1;
    }
    for (int attempt = 0; attempt < 200; attempt++) { /* up to 10 s */
        if (server_accepts(fx.port))
            return 0;
        int status;
        if (waitpid(fx.server, &status, WNOHANG) == fx.server) {
            fprintf(stderr, "the loopback HTTP server exited early\n");
            fx.server = 0;
            return -1;
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    fprintf(stderr, "the loopback HTTP server did not come up on port %d\n", fx.port);
    return -1;
}

static int stop_server(void **state)
{
    (void)state;
    if (fx.server > 0) {
        kill(fx.server, SIGTERM);
        waitpid(fx.server, NULL, 0);
    }
    test_remove_tree(fx.serve_dir);
    test_remove_tree(fx.cache_dir);
    free(fx.fixture_text);
    return 0;
}

static void url_for(char *out, size_t size, const char *path)
{
    snprintf(out, size, "http://127.0.0.1:%d/%s", fx.port, path);
}

/* Number of entries in the cache whose name starts with prefix. */
static int cache_entries(const char *prefix)
{
    DIR *dir = opendir(fx.cache_dir);
    assert_non_null(dir);
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, "..") &&
            strncmp(entry->d_name, prefix, strlen(prefix)) == 0)
            count++;
    closedir(dir);
    return count;
}

static void clear_cache(void)
{
    test_remove_tree(fx.cache_dir);
    mkdir(fx.cache_dir, 0755);
}

/* An empty cache and a registry row for loop.csv served by the loopback
 * server at SERVED (pinned to sha256, or unpinned when NULL).  The row's URL
 * lives in a static buffer the next call overwrites. */
static bench_dataset_info loopback_info(const char *served, const char *sha256)
{
    static char url[256];
    clear_cache();
    url_for(url, sizeof url, served);
    bench_dataset_info info = {
        .name = "loopback", .format = "csv_dated", .files = {"loop.csv"}, .urls = {url}, .sha256 = {sha256},
        .source = "http", .date_column = "date", .step_seconds = 3600,
    };
    return info;
}

/* Fetching SERVED (pinned to sha256) must fail with status, a message holding
 * each of the NULL-terminated expected strings, and nothing left in the cache. */
static void expect_failed_fetch(const char *label, const char *served, const char *sha256, int status,
                                const char *const expected[])
{
    bench_dataset_info info = loopback_info(served, sha256);
    bench_error error = {0};
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, NULL, &error), status);
    printf("%s -> %s\n", label, error.message);
    for (size_t i = 0; expected[i] != NULL; i++)
        assert_non_null(strstr(error.message, expected[i]));
    assert_int_equal(cache_entries(""), 0);
}

static void good_file_is_fetched_verified_and_loadable(void **state)
{
    (void)state;
    bench_dataset_info info = loopback_info("good.csv", fx.fixture_sha);
    bench_fetch_report report;
    bench_error error = {0};
    if (bench_dataset_fetch_ex(&info, 0, &report, &error) != BENCH_OK)
        fail_msg("%s", error.message);
    assert_int_equal(report.file_count, 1);
    assert_int_equal(report.downloaded[0], 1);
    assert_int_equal(report.pinned[0], 1);
    assert_string_equal(report.sha256[0], fx.fixture_sha);
    size_t length = 0;
    char *copy = test_read_file(report.path[0], &length);
    assert_non_null(copy);
    assert_int_equal(length, fx.fixture_length);
    assert_memory_equal(copy, fx.fixture_text, length);
    free(copy);
    assert_int_equal(cache_entries(""), 1); /* no temp file left behind */

    /* The fetched file is what bench_dataset_locate/load find next. */
    char located[PATH_MAX];
    assert_int_equal(bench_dataset_locate(&info, 0, located, sizeof located, &error), BENCH_OK);
    assert_string_equal(located, report.path[0]);
    bench_dataset *d;
    const char *paths[2] = {located, NULL};
    assert_int_equal(bench_dataset_load_path(&d, &info, paths, &error), BENCH_OK);
    assert_true(d->series[2].values[0] == 30.531);
    bench_dataset_free(d);

    /* Fetching again finds it present and does not download. */
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, &report, &error), BENCH_OK);
    assert_int_equal(report.downloaded[0], 0);
}

static void wrong_checksum_deletes_the_download(void **state)
{
    (void)state;
    const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    expect_failed_fetch("wrong checksum", "good.csv", wrong, BENCH_BAD_INPUT,
                        (const char *[]){"checksum mismatch", fx.fixture_sha, wrong, NULL});
}

static void http_404_fails_and_leaves_nothing(void **state)
{
    (void)state;
    expect_failed_fetch("404", "missing.csv", fx.fixture_sha, BENCH_IO,
                        (const char *[]){"HTTP 404", "missing.csv", NULL});
}

static void truncated_transfer_fails_and_leaves_nothing(void **state)
{
    (void)state;
    /* Unpinned, so only the transfer itself can catch the truncation. */
    expect_failed_fetch("truncated", "truncated/good.csv", NULL, BENCH_IO, (const char *[]){"failed", NULL});
}

static void unpinned_file_reports_its_checksum(void **state)
{
    (void)state;
    bench_dataset_info info = loopback_info("good.csv", NULL);
    bench_fetch_report report;
    bench_error error = {0};
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, &report, &error), BENCH_OK);
    assert_int_equal(report.pinned[0], 0);
    assert_int_equal(report.downloaded[0], 1);
    assert_string_equal(report.sha256[0], fx.fixture_sha);
}

static void stale_cache_copy_is_replaced(void **state)
{
    (void)state;
    bench_dataset_info info = loopback_info("good.csv", fx.fixture_sha);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/loop.csv", fx.cache_dir);
    assert_int_equal(test_write_file(path, "date,a\n2020-01-01 00:00:00,damaged\n"), 0);
    bench_fetch_report report;
    bench_error error = {0};
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, &report, &error), BENCH_OK);
    assert_int_equal(report.downloaded[0], 1);
    char sha[65];
    assert_int_equal(bench_sha256_file(path, sha, &error), BENCH_OK);
    assert_string_equal(sha, fx.fixture_sha);
}

static void two_files_and_file_urls(void **state)
{
    (void)state;
    clear_cache();
    char train_url[PATH_MAX + 16], test_url[PATH_MAX + 16], train_sha[65], test_sha[65];
    snprintf(train_url, sizeof train_url, "file://%s", test_dataset_fixture("m4_train.csv"));
    snprintf(test_url, sizeof test_url, "file://%s", test_dataset_fixture("m4_test.csv"));
    bench_error error = {0};
    assert_int_equal(bench_sha256_file(test_dataset_fixture("m4_train.csv"), train_sha, &error), BENCH_OK);
    assert_int_equal(bench_sha256_file(test_dataset_fixture("m4_test.csv"), test_sha, &error), BENCH_OK);
    bench_dataset_info info = {
        .name = "m4_local", .format = "m4", .files = {"m4-train.csv", "m4-test.csv"},
        .urls = {train_url, test_url}, .sha256 = {train_sha, test_sha}, .source = "http",
    };
    bench_fetch_report report;
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, &report, &error), BENCH_OK);
    assert_int_equal(report.file_count, 2);
    assert_int_equal(report.downloaded[0] + report.downloaded[1], 2);
    assert_int_equal(cache_entries("m4-"), 2);
    bench_dataset *d;
    const char *paths[2] = {report.path[0], report.path[1]};
    assert_int_equal(bench_dataset_load_path(&d, &info, paths, &error), BENCH_OK);
    assert_int_equal(d->series[1].holdout_length, 2);
    bench_dataset_free(d);
}

/* The command line against the registry's real pinned checksums, through a
 * mirror on the loopback server: `bench data fetch ETTh1` with ETTh1's own
 * bytes succeeds; the same bytes served as ETTh2 fail the checksum; an
 * unpinned entry is fetched with a warning. */
static void cli_fetch_through_a_mirror(void **state)
{
    (void)state;
    test_need_bench();
    char source[PATH_MAX] = "";
    for (const char *cursor = fx.shared_data; *cursor && source[0] == '\0';) {
        size_t length = strcspn(cursor, ":");
        snprintf(source, sizeof source, "%.*s/ETTh1.csv", (int)length, cursor);
        if (access(source, R_OK) != 0)
            source[0] = '\0';
        cursor += length + (cursor[length] == ':');
    }
    if (source[0] == '\0') {
        printf("SKIPPED: ETTh1.csv not in BENCH_DATA_PATH (%s)\n", fx.shared_data);
        skip();
    }
    clear_cache();
    size_t length;
    char *etth1 = test_read_file(source, &length);
    assert_non_null(etth1);
    char path[PATH_MAX], mirror[128], mirror_env[160], path_env[] = "BENCH_DATA_PATH=";
    snprintf(path, sizeof path, "%s/ETTh1.csv", fx.serve_dir);
    assert_int_equal(test_write_file(path, etth1), 0);
    snprintf(path, sizeof path, "%s/ETTh2.csv", fx.serve_dir);
    assert_int_equal(test_write_file(path, etth1), 0);
    free(etth1);
    snprintf(path, sizeof path, "%s/electricity.txt.gz", fx.serve_dir);
    assert_int_equal(test_write_file(path, "1,2\n3,4\n"), 0); /* plain text is fine for gzread */
    snprintf(mirror, sizeof mirror, "http://127.0.0.1:%d/", fx.port);
    snprintf(mirror_env, sizeof mirror_env, "BENCH_DATA_MIRROR=%s", mirror);
    const char *env[] = {mirror_env, path_env, NULL};
    test_expect_bench((const char *[]){"data", "fetch", "ETTh1", NULL}, env, 0,
                      (const char *[]){"fetched", "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066",
                                       NULL},
                      NULL);
    test_expect_bench((const char *[]){"data", "verify", "ETTh1", NULL}, env, 0,
                      (const char *[]){"sha256 ok", "7 series, length 17420", NULL}, NULL);
    test_expect_bench((const char *[]){"data", "fetch", "ETTh2", NULL}, env, 2, NULL,
                      (const char *[]){"checksum mismatch",
                                       "a3dc2c597b9218c7ce1cd55eb77b283fd459a1d09d753063f944967dd6b9218b", NULL});
    assert_int_equal(cache_entries("ETTh2"), 0);
    assert_int_equal(cache_entries(".ETTh2"), 0);
    test_expect_bench((const char *[]){"data", "fetch", "electricity", NULL}, env, 0, NULL,
                      (const char *[]){"warning: electricity: electricity.txt.gz has no pinned checksum", NULL});
}

/* ---- Debian sources, offline: a fake apt-get that hands over a local .deb ---- */

static void build_fake_deb(const char *work, char *deb_path, size_t size)
{
    char dir[PATH_MAX], file[PATH_MAX + 64];
    snprintf(dir, sizeof dir, "%s/pkg/usr/share/bench-fake", work);
    char command_dir[PATH_MAX + 16];
    snprintf(command_dir, sizeof command_dir, "%s/pkg/DEBIAN", work);
    const char *mkdir_argv[] = {"mkdir", "-p", dir, command_dir, NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, mkdir_argv, NULL, NULL), 0);
    assert_int_equal(result.exit_code, 0);
    test_process_free(&result);
    snprintf(file, sizeof file, "%s/control", command_dir);
    assert_int_equal(test_write_file(file, "Package: bench-fake-data\nVersion: 1.0\nArchitecture: all\n"
                                           "Maintainer: bench tests <bench@localhost>\n"
                                           "Description: fixture package for test_datasets_fetch\n"),
                     0);
    size_t length;
    char *text = test_read_file(test_dataset_fixture("co2_like.csv"), &length);
    assert_non_null(text);
    snprintf(file, sizeof file, "%s/co2_like.csv", dir);
    assert_int_equal(test_write_file(file, text), 0);
    free(text);
    snprintf(deb_path, size, "%s/bench-fake-data_1.0_all.deb", work);
    char package_dir[PATH_MAX];
    snprintf(package_dir, sizeof package_dir, "%s/pkg", work);
    const char *build_argv[] = {"dpkg-deb", "--root-owner-group", "-b", package_dir, deb_path, NULL};
    assert_int_equal(test_process_run(&result, build_argv, NULL, NULL), 0);
    if (result.exit_code != 0)
        fail_msg("dpkg-deb -b failed: %s", result.err);
    test_process_free(&result);
}

static void deb_source_with_fake_apt_get(void **state)
{
    (void)state;
    clear_cache();
    char work[512], bin[600], script[700], deb[PATH_MAX], path_env[5000];
    snprintf(work, sizeof work, "%s", test_temp_dir());
    build_fake_deb(work, deb, sizeof deb);
    snprintf(bin, sizeof bin, "%s/bin", work);
    mkdir(bin, 0755);
    snprintf(script, sizeof script, "%s/apt-get", bin);
    test_write_textf(script,
                     "#!/bin/sh\n# fake apt-get: `apt-get download bench-fake-data` copies a local .deb\n"
                     "[ \"$1\" = download ] || exit 100\n"
                     "[ \"$2\" = bench-fake-data ] || { echo \"E: Unable to locate package $2\"; exit 100; }\n"
                     "cp '%s' .\n",
                     deb);
    assert_int_equal(chmod(script, 0755), 0);
    const char *old_path = getenv("PATH");
    char saved_path[4096];
    snprintf(saved_path, sizeof saved_path, "%s", old_path ? old_path : "/usr/bin:/bin");
    snprintf(path_env, sizeof path_env, "%s:%s", bin, saved_path);
    setenv("PATH", path_env, 1);

    char sha[65];
    bench_error error = {0};
    assert_int_equal(bench_sha256_file(test_dataset_fixture("co2_like.csv"), sha, &error), BENCH_OK);
    bench_dataset_info info = {
        .name = "fake_co2", .format = "csv_dated", .files = {"fake-co2.csv"}, .sha256 = {sha},
        .source = "deb:bench-fake-data:/usr/share/bench-fake/co2_like.csv", .date_column = "date",
        .timestamp_format = "%Y%m%d", .step_seconds = 7 * 86400, .missing_policy = "interpolate",
    };
    bench_fetch_report report;
    if (bench_dataset_fetch_ex(&info, 0, &report, &error) != BENCH_OK)
        fail_msg("%s", error.message);
    assert_int_equal(report.downloaded[0], 1);
    assert_int_equal(report.pinned[0], 1);
    assert_int_equal(cache_entries(""), 1); /* the work directory is gone */
    bench_dataset *d;
    const char *paths[2] = {report.path[0], NULL};
    assert_int_equal(bench_dataset_load_path(&d, &info, paths, &error), BENCH_OK);
    assert_int_equal(d->missing_filled, 3);
    bench_dataset_free(d);

    /* A path the package does not contain. */
    clear_cache();
    info.source = "deb:bench-fake-data:usr/share/bench-fake/absent.csv";
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, NULL, &error), BENCH_IO);
    printf("absent member -> %s\n", error.message);
    assert_non_null(strstr(error.message, "package bench-fake-data has no file /usr/share/bench-fake/absent.csv"));
    assert_int_equal(cache_entries(""), 0);

    /* apt-get failing: its own last words end up in the message. */
    info.source = "deb:bench-no-such-package:usr/share/x.csv";
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, NULL, &error), BENCH_IO);
    printf("apt-get failure -> %s\n", error.message);
    assert_non_null(strstr(error.message, "Unable to locate package bench-no-such-package"));
    assert_int_equal(cache_entries(""), 0);

    /* A checksum mismatch on the extracted file. */
    info.source = "deb:bench-fake-data:usr/share/bench-fake/co2_like.csv";
    info.sha256[0] = "1111111111111111111111111111111111111111111111111111111111111111";
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "checksum mismatch"));
    assert_int_equal(cache_entries(""), 0);

    /* Malformed source strings. */
    info.source = "deb:no-path";
    assert_int_equal(bench_dataset_fetch_ex(&info, 0, NULL, &error), BENCH_BAD_INPUT);
    assert_non_null(strstr(error.message, "deb:PACKAGE:PATH"));

    setenv("PATH", saved_path, 1);
    test_remove_tree(work);
}

/* The real Debian archive: slow (downloads ~4.6 MB), so only with BENCH_SLOW=1. */
static void real_debian_packages(void **state)
{
    (void)state;
    const char *slow = getenv("BENCH_SLOW");
    if (slow == NULL || strcmp(slow, "1") != 0) {
        printf("SKIPPED: fetching from the Debian archive needs BENCH_SLOW=1\n");
        skip();
    }
    clear_cache();
    bench_error error = {0};
    if (bench_dataset_fetch("seattle_temps", 0, &error) != BENCH_OK)
        fail_msg("%s", error.message);
    if (bench_dataset_fetch("co2", 0, &error) != BENCH_OK)
        fail_msg("%s", error.message);
    bench_dataset *d;
    assert_int_equal(bench_dataset_load(&d, "seattle_temps", &error), BENCH_OK);
    assert_int_equal(d->series[0].length, 8760);
    assert_int_equal(d->missing_timestamps, 1);
    bench_dataset_free(d);
    /* sf-temps came along with seattle-temps from the same package. */
    assert_int_equal(bench_dataset_load(&d, "sf_temps", &error), BENCH_OK);
    assert_int_equal(d->series[0].length, 8760);
    bench_dataset_free(d);
    assert_int_equal(bench_dataset_load(&d, "co2", &error), BENCH_OK);
    assert_int_equal(d->missing_filled, 59);
    bench_dataset_free(d);
}

TEST_MAIN("datasets_fetch", start_server, stop_server,
          cmocka_unit_test(good_file_is_fetched_verified_and_loadable),
          cmocka_unit_test(wrong_checksum_deletes_the_download),
          cmocka_unit_test(http_404_fails_and_leaves_nothing),
          cmocka_unit_test(truncated_transfer_fails_and_leaves_nothing),
          cmocka_unit_test(unpinned_file_reports_its_checksum),
          cmocka_unit_test(stale_cache_copy_is_replaced),
          cmocka_unit_test(two_files_and_file_urls),
          cmocka_unit_test(cli_fetch_through_a_mirror),
          cmocka_unit_test(deb_source_with_fake_apt_get),
          cmocka_unit_test(real_debian_packages))
