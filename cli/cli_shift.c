/* `bench shift ...`: the EDS-like X-ray benchmark (domain_shift/).
 *
 *   bench shift generate --out DIR --seed S --scenes N [--devices D1,D2,D3] [--size 96]
 *   bench shift show --out DIR [--seed S] [--scene I] [--size 96] [--zoom 3]
 *   bench shift devices
 *   bench shift run CONFIG --out DIR [--jobs N] [--resume] [--quiet]
 *   bench shift gap DIR|results.csv
 */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "core/files.h"
#include "core/suggest.h"
#include "domain_shift/benchmark.h"
#include "domain_shift/gap.h"
#include "domain_shift/png_io.h"
#include "bench/run_tasks.h"
#include "domain_shift/examples.h"
#include "domain_shift/run.h"
#include "domain_shift/xray.h"

static int parse_size_option(const char *option, const char *text, size_t minimum, size_t maximum, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value < minimum || value > maximum) {
        fprintf(stderr, "bench shift: %s '%s': expected an integer in %zu..%zu\n", option, text, minimum, maximum);
        return 0;
    }
    *out = (size_t)value;
    return 1;
}

static int parse_devices(const char *text, const shift_device **devices, size_t *count)
{
    char buffer[256];
    snprintf(buffer, sizeof buffer, "%s", text);
    *count = 0;
    for (char *save = NULL, *name = strtok_r(buffer, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
        bench_error error = {0};
        const shift_device *device = shift_device_find(name, &error);
        if (device == NULL)
            return cli_report_error(&error);
        if (*count == SHIFT_MAX_DEVICES) {
            fprintf(stderr, "bench shift: at most %d devices\n", SHIFT_MAX_DEVICES);
            return 2;
        }
        devices[(*count)++] = device;
    }
    if (*count == 0) {
        fprintf(stderr, "bench shift: --devices needs at least one name\n");
        return 2;
    }
    return 0;
}

static void progress_line(void *data, size_t done, size_t total)
{
    (void)data;
    if (done == total || done % 25 == 0)
        fprintf(stderr, "\rbench shift: %zu/%zu scenes%s", done, total, done == total ? "\n" : "");
}

static int shift_generate_command(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},   {"seed", required_argument, NULL, 's'},
        {"scenes", required_argument, NULL, 'n'}, {"devices", required_argument, NULL, 'd'},
        {"size", required_argument, NULL, 'z'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    shift_generate_options o = {.seed = 1, .size = SHIFT_DEFAULT_SIZE};
    size_t value, device_count;
    const shift_device *all = shift_devices(&device_count);
    for (size_t d = 0; d < device_count && d < SHIFT_MAX_DEVICES; d++)
        o.devices[o.device_count++] = &all[d];
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 'o': o.out_dir = optarg; break;
        case 's':
            if (!parse_size_option("--seed", optarg, 0, (size_t)-1, &value))
                return 2;
            o.seed = value;
            break;
        case 'n':
            if (!parse_size_option("--scenes", optarg, 1, 1000000, &o.scenes))
                return 2;
            break;
        case 'z':
            if (!parse_size_option("--size", optarg, 32, 512, &value))
                return 2;
            o.size = (int)value;
            break;
        case 'd': {
            int code = parse_devices(optarg, o.devices, &o.device_count);
            if (code != 0)
                return code;
            break;
        }
        case 'h':
            printf("usage: bench shift generate --out DIR --seed S --scenes N [--devices D1,D2,D3] [--size 96]\n");
            return 0;
        default: return 2;
        }
    }
    if (o.out_dir == NULL || o.scenes == 0) {
        fprintf(stderr, "bench shift generate: --out and --scenes are required\n");
        return 2;
    }
    if (isatty(STDERR_FILENO))
        o.progress = progress_line;
    bench_error error = {0};
    if (shift_generate(&o, &error) != BENCH_OK)
        return cli_report_error(&error);
    return 0;
}

/* Class colours for drawn boxes: distinct, saturated, readable on the belt. */
static int shift_show_command(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},  {"seed", required_argument, NULL, 's'},
        {"scene", required_argument, NULL, 'i'}, {"size", required_argument, NULL, 'z'},
        {"zoom", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_dir = NULL;
    size_t seed = 1, scene_index = 0, size = SHIFT_DEFAULT_SIZE, zoom = 3;
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 'o': out_dir = optarg; break;
        case 's': if (!parse_size_option("--seed", optarg, 0, (size_t)-1, &seed)) return 2; break;
        case 'i': if (!parse_size_option("--scene", optarg, 0, 1000000, &scene_index)) return 2; break;
        case 'z': if (!parse_size_option("--size", optarg, 32, 512, &size)) return 2; break;
        case 'm': if (!parse_size_option("--zoom", optarg, 1, 8, &zoom)) return 2; break;
        case 'h':
            printf("usage: bench shift show --out DIR [--seed S] [--scene I] [--size 96] [--zoom 3]\n"
                   "writes DIR/show_<device>.png (raw) and DIR/show.png (all devices, zoomed, with boxes)\n");
            return 0;
        default: return 2;
        }
    }
    if (out_dir == NULL) {
        fprintf(stderr, "bench shift show: --out DIR is required\n");
        return 2;
    }
    bench_error error = {0};
    if (bench_make_directories(out_dir, &error) != BENCH_OK)
        return cli_report_error(&error);
    size_t device_count;
    const shift_device *devices = shift_devices(&device_count);
    int n = (int)size, z = (int)zoom, gap = 4;
    int canvas_width = (int)device_count * (n * z + gap) - gap;
    uint8_t *canvas = malloc((size_t)canvas_width * n * z * 3);
    uint8_t *rgb = malloc((size_t)n * n * 3);
    shift_scene *scene = malloc(sizeof *scene);
    if (canvas == NULL || rgb == NULL || scene == NULL) {
        free(canvas), free(rgb), free(scene);
        fprintf(stderr, "bench shift show: out of memory\n");
        return 1;
    }
    memset(canvas, 255, (size_t)canvas_width * n * z * 3);
    shift_scene_generate(scene, n, seed, scene_index);
    int code = BENCH_OK;
    char path[4096];
    for (size_t d = 0; d < device_count && code == BENCH_OK; d++) {
        shift_object objects[SHIFT_MAX_OBJECTS];
        size_t object_count;
        uint64_t noise_seed = seed ^ (0x9E3779B97F4A7C15ull * (scene_index + 1));
        code = shift_render(scene, &devices[d], noise_seed, rgb, objects, &object_count, &error);
        if (code != BENCH_OK)
            break;
        snprintf(path, sizeof path, "%s/show_%s.png", out_dir, devices[d].name);
        code = shift_png_write(path, rgb, n, n, &error);
        int x_offset = (int)d * (n * z + gap);
        shift_paste_zoomed(canvas, canvas_width, x_offset, rgb, n, z);
        for (size_t k = 0; k < object_count; k++)
            shift_draw_box(canvas, canvas_width, x_offset, n, z, &objects[k].box,
                           shift_class_colour(objects[k].class_index), 2);
        printf("%s:", devices[d].name);
        for (size_t k = 0; k < object_count; k++)
            printf(" %s[%g,%g,%g,%g]", shift_classes()[objects[k].class_index].key, objects[k].box.x_min,
                   objects[k].box.y_min, objects[k].box.x_max, objects[k].box.y_max);
        printf("\n");
    }
    if (code == BENCH_OK) {
        snprintf(path, sizeof path, "%s/show.png", out_dir);
        code = shift_png_write(path, canvas, canvas_width, n * z, &error);
    }
    free(canvas), free(rgb), free(scene);
    if (code != BENCH_OK)
        return cli_report_error(&error);
    return 0;
}

static int shift_devices_command(int argc, char **argv)
{
    (void)argc, (void)argv;
    size_t device_count, knob_count;
    const shift_device *devices = shift_devices(&device_count);
    const shift_knob_range *knobs = shift_knob_ranges(&knob_count);
    printf("%-22s %-9s %8s %8s", "knob", "group", "min", "max");
    for (size_t d = 0; d < device_count; d++)
        printf(" %8s", devices[d].name);
    printf("  meaning\n");
    for (size_t k = 0; k < knob_count; k++) {
        printf("%-22s %-9s %8g %8g", knobs[k].name, shift_knob_group_name(knobs[k].group), knobs[k].minimum,
               knobs[k].maximum);
        for (size_t d = 0; d < device_count; d++) {
            double value;
            memcpy(&value, (const char *)&devices[d] + knobs[k].offset, sizeof value);
            printf(" %8g", value);
        }
        printf("  %s\n", knobs[k].meaning);
    }
    for (size_t d = 0; d < device_count; d++)
        printf("%s: %s\n", devices[d].name, devices[d].summary);
    return 0;
}

static void shift_run_usage(FILE *stream)
{
    fprintf(stream,
            "usage: bench shift run CONFIG --out DIR [--jobs N] [--resume] [--quiet]\n"
            "trains and evaluates the X-ray transfer table; writes DIR/results.csv, timings.csv, run.json.\n"
            "Each trained model is a unit recorded in DIR/units/<id>.json as it finishes.\n"
            "  --jobs N   run N units at once in worker processes (default: [run] jobs, else 1)\n"
            "  --resume   keep the units DIR/units already holds and run only the rest (failed ones again);\n"
            "             without it every unit is recomputed. results.csv is the same either way.\n"
            "  --quiet    no progress lines (default: one line per phase and finished unit on stderr)\n"
            "exit status 1 when a unit failed (its rows have status error).\n");
}

static int shift_run_command(int argc, char **argv)
{
    cli_task_run run;
    int code = cli_parse_task_run(&run, "bench shift", "", 1, shift_run_usage, argc, argv);
    if (code != CLI_GO_ON)
        return code;
    run.start = cli_now();
    shift_run_options run_options = {.jobs = run.jobs, .resume = run.resume,
                                     .progress = run.quiet ? NULL : cli_task_progress, .progress_data = &run};
    shift_run_summary summary;
    bench_error error = {0};
    if (bench_shift_run(argv[optind], run.out_dir, &run_options, &summary, &error) != BENCH_OK)
        return cli_report_error(&error);
    if (!run.quiet || summary.failed > 0)
        fprintf(stderr, "bench shift: %zu units (%zu kept from before), %zu failed; results in %s/results.csv\n",
                summary.units, summary.reused, summary.failed, run.out_dir);
    return summary.failed > 0 ? 1 : 0;
}

static int shift_gap_command(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: bench shift gap DIR|results.csv\n"
               "per device pair of a `bench shift run` output: source-only, oracle, the shift between them and\n"
               "whether it is real (>= 10 mAP points and > 3 std), and every other method's gain over source-only.\n");
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: bench shift gap DIR|results.csv\n");
        return 2;
    }
    char path[4096];
    struct stat info;
    int directory = stat(argv[1], &info) == 0 && S_ISDIR(info.st_mode);
    if (directory)
        snprintf(path, sizeof path, "%s/results.csv", argv[1]);
    else
        snprintf(path, sizeof path, "%s", argv[1]);
    shift_gap_report report;
    bench_error error = {0};
    int status = shift_gap_compute(&report, path, &error);
    if (status == BENCH_OK)
        status = shift_gap_write_markdown(stdout, &report, &error);
    if (status == BENCH_OK && directory) {
        snprintf(path, sizeof path, "%s/run.json", argv[1]);
        status = shift_gap_write_choice(stdout, path, &error);
    }
    shift_gap_report_free(&report);
    return status == BENCH_OK ? 0 : cli_report_error(&error);
}

static const bench_command subcommands[] = {
    {"generate", shift_generate_command, "write the generated X-ray benchmark (PNG + VOC XML + splits)"},
    {"show", shift_show_command, "render one scene under every device, with boxes"},
    {"devices", shift_devices_command, "list device knobs with their documented ranges"},
    {"run", shift_run_command, "train and evaluate the transfer table of a configuration (results.csv)"},
    {"gap", shift_gap_command, "the shift per device pair and each method's gain over source-only, with std"},
};

int cli_shift(int argc, char **argv)
{
    size_t count = sizeof subcommands / sizeof subcommands[0];
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *stream = argc < 2 ? stderr : stdout;
        fprintf(stream, "usage: bench shift SUBCOMMAND [OPTIONS]\n\n");
        for (size_t i = 0; i < count; i++)
            fprintf(stream, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
        return argc < 2 ? 2 : 0;
    }
    return cli_dispatch("bench shift", "subcommand", subcommands, count, argc, argv);
}
