/* `bench new-forecaster NAME [DIR]` and `bench check-plugin PATH`: the two
 * commands of the plugin workflow (issue 5), plus the table of helper functions
 * bench guarantees to plugins. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "bench/contract.h"
#include "core/files.h"
#include "bench/metrics.h"
#include "bench/scaling.h"
#include "bench/plugin.h"
#include "forecasters/registry.h"
#include "forecasters/window_features.h"
#include "nn/attention.h"
#include "nn/gemm.h"
#include "nn/layers.h"
#include "nn/loss.h"
#include "nn/optim.h"
#include "nn/params.h"
#include "nn/rnn.h"

/* ---- Helpers exported to plugins ----------------------------------------------------
 * A plugin built without linking anything resolves these from the bench
 * executable (linked with -rdynamic).  The linker only keeps archive members
 * something references, so this table references one function of every
 * exported object: error/rng/params (include/bench), metrics (include/bench/
 * metrics.h), window construction (forecasters/window_features.h), the GEMM
 * wrapper and every nn/ header.  libbench.{a,so} (`make install`) holds the same
 * objects for programs that are not loaded by bench. */
typedef void (*exported_function)(void);
#define EXPORT(function) ((exported_function)(function))
static const exported_function plugin_exports[] __attribute__((used)) = {
    EXPORT(bench_fail),
    EXPORT(bench_rng_seed),
    EXPORT(bench_params_get_int),
    EXPORT(bench_metric_mae),
    EXPORT(bench_scaler_fit_standard),
    EXPORT(bench_window_layout_init),
    EXPORT(nn_gemm),
    EXPORT(nn_params_allocate),
    EXPORT(nn_linear_forward),
    EXPORT(nn_conv2d_forward),
    EXPORT(nn_lstm_forward),
    EXPORT(nn_attention_forward),
    EXPORT(nn_mse_loss),
    EXPORT(nn_optimizer_step),
};

/* ---- The scaffold's files, embedded from tools/plugin-template/ -------------------
 * The template directory is a working plugin itself (`make -C tools/plugin-template
 * BENCH=$PWD/build/bench`);
 * its text is assembled into the binary so an installed bench needs no data files.
 * Paths are relative to the repository root, where make runs the compiler. */
#define EMBED_FILE(symbol, path)                                                                   \
    __asm__(".section .rodata\n.global " #symbol "\n.hidden " #symbol "\n.type " #symbol          \
            ", @object\n.balign 16\n" #symbol ":\n.incbin \"" path "\"\n.byte 0\n.size " #symbol \
            ", .-" #symbol "\n.previous\n");                                                      \
    extern const char symbol[];

EMBED_FILE(bench_template_source, "tools/plugin-template/my_forecaster.c")
EMBED_FILE(bench_template_makefile, "tools/plugin-template/Makefile")
EMBED_FILE(bench_template_readme, "tools/plugin-template/README.md")

#define TEMPLATE_NAME "my_forecaster"

/* ---- bench check-plugin --------------------------------------------------------------- */

static void check_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench check-plugin PATH.so|BUILTIN [--param NAME=VALUE]... [--timeout SECONDS]\n"
            "Load a forecaster plugin (or name a built-in) and run the forecaster contract on small\n"
            "synthetic series: shapes, no writes past the output buffer or into input views, no reads\n"
            "of a window's future, determinism under a fixed seed, horizons 0/1/96, destroy(NULL),\n"
            "unknown parameters refused, constant and 3-step series, two live instances, save/load.\n"
            "Each check runs in its own process, and the plugin is first loaded in one too: a plugin\n"
            "that crashes, exits or hangs while loading is refused with the reason.  --timeout bounds\n"
            "each check (default 120 s) and loading (default %d s).  Exit 0 when every check passes,\n"
            "1 when one fails, 2 when the plugin cannot be loaded.\n",
            BENCH_PLUGIN_LOAD_SECONDS);
}

typedef struct {
    size_t passed, failed, skipped;
} check_tally;

static void print_check(void *context, const char *check, bench_contract_outcome outcome, const char *detail)
{
    check_tally *tally = context;
    static const char *const labels[] = {"ok", "FAIL", "skip"};
    printf("  %-5s %-18s %s\n", labels[outcome], check, detail);
    fflush(stdout);
    if (outcome == BENCH_CONTRACT_PASS)
        tally->passed++;
    else if (outcome == BENCH_CONTRACT_FAIL)
        tally->failed++;
    else
        tally->skipped++;
}

int cli_check_plugin(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"param", required_argument, NULL, 'p'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *names[64], *values[64];
    char *owned[64];
    bench_contract_options options = {.param_names = names, .param_values = values};
    int exit_code = -1;
    optind = 1;
    int option;
    while (exit_code < 0 && (option = getopt_long(argc, argv, "p:t:h", long_options, NULL)) != -1) {
        switch (option) {
        case 'p': {
            char *equals = strchr(optarg, '=');
            if (equals == NULL || equals == optarg || options.param_count == 64) {
                fprintf(stderr, "bench check-plugin: --param %s: expected NAME=VALUE (at most 64)\n", optarg);
                exit_code = 2;
                break;
            }
            owned[options.param_count] = strndup(optarg, (size_t)(equals - optarg));
            if (owned[options.param_count] == NULL) {
                fprintf(stderr, "bench check-plugin: out of memory\n");
                exit_code = 1;
                break;
            }
            names[options.param_count] = owned[options.param_count];
            values[options.param_count++] = equals + 1;
            break;
        }
        case 't': {
            char *end;
            errno = 0;
            long seconds = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || seconds < 1 || seconds > 86400) {
                fprintf(stderr, "bench check-plugin: --timeout %s: expected seconds from 1 to 86400\n", optarg);
                exit_code = 2;
            }
            options.timeout_seconds = (unsigned)seconds;
            break;
        }
        case 'h':
            check_usage(stdout);
            exit_code = 0;
            break;
        default:
            check_usage(stderr);
            exit_code = 2;
        }
    }
    if (exit_code < 0 && optind != argc - 1) {
        check_usage(stderr);
        exit_code = 2;
    }
    if (exit_code >= 0) {
        for (size_t i = 0; i < options.param_count; i++)
            free(owned[i]);
        return exit_code;
    }
    const char *target = argv[optind];
    bench_error error = {0};
    const bench_forecaster *forecaster = NULL;
    int is_file = strchr(target, '/') != NULL || access(target, F_OK) == 0;
    if (!is_file && (forecaster = bench_forecaster_find(target)) == NULL)
        BENCH_FAIL(&error, BENCH_BAD_INPUT, "'%s' is neither a plugin file nor a forecaster; built-ins: %s", target,
                   bench_forecaster_names());
    else if (is_file)
        /* --timeout bounds loading too: a slow but honest plugin gets the time it is given. */
        bench_plugin_load_within(target, options.timeout_seconds ? options.timeout_seconds : BENCH_PLUGIN_LOAD_SECONDS,
                                 &forecaster, &error);
    if (forecaster != NULL) {
        printf("check-plugin %s (%s)\n", forecaster->name, is_file ? target : "built-in");
        fflush(stdout);
        check_tally tally = {0};
        size_t failures = 0;
        if (bench_contract_run(forecaster, &options, print_check, &tally, &failures, &error) == BENCH_OK) {
            printf("%zu checks: %zu passed, %zu failed, %zu skipped\n", tally.passed + tally.failed + tally.skipped,
                   tally.passed, tally.failed, tally.skipped);
            exit_code = failures ? 1 : 0;
        }
    }
    for (size_t i = 0; i < options.param_count; i++)
        free(owned[i]);
    return exit_code >= 0 ? exit_code : cli_report_error(&error);
}

/* ---- bench new-forecaster ---------------------------------------------------------------- */

static void new_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench new-forecaster NAME [DIR]\n"
            "       bench new-forecaster --cflags\n"
            "Write a working forecaster plugin to start from into DIR (default ./NAME):\n"
            "  NAME.c      seasonal naive with drift, against include/bench/forecaster.h\n"
            "  Makefile    `make -C DIR` builds DIR/NAME.so\n"
            "  README.md   build, check, run, compare; the rules a plugin follows\n"
            "  try.ini     a config running NAME next to seasonal_naive on try.csv\n"
            "  try.csv     30 days of synthetic hourly data\n"
            "NAME: lower-case letters, digits and '_', starting with a letter, not a built-in's name.\n"
            "Existing files are never overwritten.  Every path written is relative, so DIR can be\n"
            "moved or committed.  --cflags prints the compiler flags for the headers of this bench\n"
            "(what the scaffold's Makefile asks for).\n");
}

/* text with every occurrence of `from` replaced by `to`; the caller frees it. */
static char *replace_all(const char *text, const char *from, const char *to)
{
    size_t from_length = strlen(from), to_length = strlen(to), count = 0;
    for (const char *at = strstr(text, from); at != NULL; at = strstr(at + from_length, from))
        count++;
    char *out = malloc(strlen(text) + count * (to_length + 1) + 1);
    if (out == NULL)
        return NULL;
    char *cursor = out;
    for (const char *at; (at = strstr(text, from)) != NULL; text = at + from_length) {
        memcpy(cursor, text, (size_t)(at - text));
        cursor += at - text;
        memcpy(cursor, to, to_length);
        cursor += to_length;
    }
    strcpy(cursor, text);
    return out;
}

/* The directory holding bench/forecaster.h for this binary: PREFIX/include when
 * installed (PREFIX/bin/bench), the source tree's include/ when run from a build
 * directory.  Empty when neither is found. */
static void find_include_dir(char *out, size_t size)
{
    char exe[PATH_MAX];
    out[0] = '\0';
    ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (length <= 0)
        return;
    exe[length] = '\0';
    for (int level = 0; level < 4; level++) {
        char *slash = strrchr(exe, '/');
        if (slash == NULL || slash == exe)
            return;
        *slash = '\0';
        char candidate[PATH_MAX + 64];
        snprintf(candidate, sizeof candidate, "%s/include/bench/forecaster.h", exe);
        if (access(candidate, R_OK) == 0) {
            size_t used = strlen(exe);
            if (used + sizeof "/include" <= size) {
                memcpy(out, exe, used);
                memcpy(out + used, "/include", sizeof "/include");
            }
            return;
        }
    }
}

/* -I flags for bench's headers next to this binary: include/ for
 * "bench/forecaster.h", and the folder holding the helper headers ("nn/gemm.h"):
 * PREFIX/include/bench when installed, the source tree's root otherwise. */
static int print_cflags(void)
{
    char include_dir[PATH_MAX], probe[PATH_MAX + 64];
    find_include_dir(include_dir, sizeof include_dir);
    if (include_dir[0] == '\0') {
        fprintf(stderr, "bench new-forecaster: bench's headers are not next to this binary (no include/bench/forecaster.h "
                        "in its parent folders); use pkg-config bench or BENCH_INCLUDE\n");
        return 1;
    }
    snprintf(probe, sizeof probe, "%s/bench/nn/gemm.h", include_dir);
    if (access(probe, R_OK) == 0)
        printf("-I%s -I%s/bench\n", include_dir, include_dir);
    else
        printf("-I%s -I%s/..\n", include_dir, include_dir);
    return 0;
}

static int write_text(const char *path, const char *text, bench_error *error)
{
    bench_atomic_file file;
    if (bench_atomic_open(&file, path, error) != BENCH_OK)
        return error->code;
    fputs(text, file.stream);
    return bench_atomic_commit(&file, error);
}

/* 30 days of hourly values: daily and weekly cycles, a slow trend and noise. */
static int write_try_data(const char *path, bench_error *error)
{
    bench_atomic_file file;
    if (bench_atomic_open(&file, path, error) != BENCH_OK)
        return error->code;
    bench_rng rng;
    bench_rng_seed(&rng, 1);
    fputs("date,value\n", file.stream);
    for (int t = 0; t < 30 * 24; t++) {
        double value = 50.0 + 10.0 * sin(2.0 * M_PI * t / 24.0) + 4.0 * sin(2.0 * M_PI * t / 168.0) + 0.01 * t +
                       bench_rng_normal(&rng);
        fprintf(file.stream, "2024-01-%02d %02d:00:00,%.4f\n", 1 + t / 24, t % 24, value);
    }
    return bench_atomic_commit(&file, error);
}

int cli_new_forecaster(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        new_usage(stdout);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "--cflags"))
        return print_cflags();
    if (argc < 2 || argc > 3) {
        new_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    size_t name_length = strlen(name);
    if (name_length == 0 || name_length > 64 || name[0] < 'a' || name[0] > 'z' ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != name_length) {
        fprintf(stderr,
                "bench new-forecaster: '%s' is not a forecaster name: use lower-case letters, digits and '_', "
                "starting with a letter (at most 64)\n",
                name);
        return 2;
    }
    const bench_forecaster *const *builtins;
    size_t builtin_count = bench_forecaster_builtins(&builtins);
    for (size_t i = 0; i < builtin_count; i++)
        if (strcmp(builtins[i]->name, name) == 0) {
            fprintf(stderr, "bench new-forecaster: '%s' is a built-in forecaster; choose another name\n", name);
            return 2;
        }
    const char *directory = argc == 3 ? argv[2] : name;
    bench_error error = {0};
    if (bench_make_directories(directory, &error) != BENCH_OK)
        return cli_report_error(&error);
    if (strlen(directory) > PATH_MAX - 80) {
        fprintf(stderr, "bench new-forecaster: %s: path too long\n", directory);
        return 2;
    }
    char paths[5][PATH_MAX + 80];
    static const char *const suffixes[5] = {".c", "/Makefile", "/README.md", "/try.ini", "/try.csv"};
    for (int i = 0; i < 5; i++) {
        if (i == 0)
            snprintf(paths[i], sizeof paths[i], "%s/%s.c", directory, name);
        else
            snprintf(paths[i], sizeof paths[i], "%s%s", directory, suffixes[i]);
        if (access(paths[i], F_OK) == 0) {
            fprintf(stderr, "bench new-forecaster: %s exists; nothing was written (choose another DIR)\n", paths[i]);
            return 2;
        }
    }
    char include_dir[PATH_MAX];
    find_include_dir(include_dir, sizeof include_dir);
    /* The Makefile finds bench's headers when it runs (see its comment), and
     * try.ini names its files relative to itself: nothing written depends on
     * where this folder or this bench is now. */
    char *source = replace_all(bench_template_source, TEMPLATE_NAME, name);
    char *makefile = replace_all(bench_template_makefile, TEMPLATE_NAME, name);
    char *readme = replace_all(bench_template_readme, TEMPLATE_NAME, name);
    char config[4096];
    snprintf(config, sizeof config,
             "; Try %s next to seasonal_naive on 30 days of synthetic hourly data\n"
             "; (written by `bench new-forecaster`):\n"
             ";   bench run try.ini --out runs/try && bench table runs/try\n"
             "; Paths below are relative to this file's folder, so it runs from anywhere.\n"
             "[run]\nseeds = 1,2\n\n"
             "[dataset synthetic]\npath = try.csv\nstep_seconds = 3600\nseasonal_period = 24\n"
             "protocol = ltsf\nlookback = 96\nhorizons = 24,48\n\n"
             "[model seasonal_naive]\n\n"
             "[model %s]\nplugin = %s.so\n",
             name, name, name);
    int status = source && makefile && readme ? BENCH_OK : BENCH_FAIL(&error, BENCH_NO_MEMORY, "out of memory");
    if (status == BENCH_OK)
        status = write_text(paths[0], source, &error);
    if (status == BENCH_OK)
        status = write_text(paths[1], makefile, &error);
    if (status == BENCH_OK)
        status = write_text(paths[2], readme, &error);
    if (status == BENCH_OK)
        status = write_text(paths[3], config, &error);
    if (status == BENCH_OK)
        status = write_try_data(paths[4], &error);
    free(source), free(makefile), free(readme);
    if (status != BENCH_OK)
        return cli_report_error(&error);
    printf("wrote %s/{%s.c,Makefile,README.md,try.ini,try.csv}\n"
           "next:\n"
           "  make -C %s\n"
           "  bench check-plugin %s/%s.so\n"
           "  bench run %s/try.ini --out runs/try && bench table runs/try\n",
           directory, name, directory, directory, name, directory);
    if (include_dir[0] == '\0')
        fprintf(stderr, "bench new-forecaster: warning: bench's headers were not found next to this binary; "
                        "the Makefile will ask pkg-config for them (or set BENCH_INCLUDE)\n");
    return 0;
}
