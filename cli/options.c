/* Option parsing shared by the commands (cli/options.h). */
#include "cli/options.h"

#include <getopt.h>
#include <stdlib.h>

#include "cli/cli.h"

int cli_bad_count(const char *prefix, const char *option, const char *text, unsigned long long minimum,
                  unsigned long long maximum)
{
    fprintf(stderr, "%s: %s %s: expected an integer from %llu to %llu\n", prefix, option, text, minimum, maximum);
    return 2;
}

int cli_count_option(const char *prefix, const char *option, const char *text, unsigned long long minimum,
                     unsigned long long maximum, unsigned long long *out)
{
    if (cli_parse_count(text, minimum, maximum, out) != 0)
        return cli_bad_count(prefix, option, text, minimum, maximum);
    return 0;
}

int cli_parse_task_run(cli_task_run *out, const char *program, const char *short_options, int out_required,
                       void (*usage)(FILE *stream), int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'}, {"jobs", required_argument, NULL, 'j'},
        {"resume", no_argument, NULL, 'r'},    {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    *out = (cli_task_run){.program = program};
    unsigned long long jobs;
    int option;
    optind = 1;
    while ((option = getopt_long(argc, argv, short_options, options, NULL)) != -1) {
        switch (option) {
        case 'o': out->out_dir = optarg; break;
        case 'j':
            if (cli_parse_count(optarg, 1, 64, &jobs) != 0) {
                fprintf(stderr, "%s run: --jobs wants an integer in 1..64, got '%s'\n", program, optarg);
                return 2;
            }
            out->jobs = (unsigned)jobs;
            break;
        case 'r': out->resume = 1; break;
        case 'q': out->quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || (out_required && out->out_dir == NULL)) {
        usage(stderr);
        return 2;
    }
    return CLI_GO_ON;
}

void cli_task_progress(void *context, const char *line)
{
    const cli_task_run *run = context;
    char text[300];
    fprintf(stderr, "%s: %s [%.1f s]\n", run->program, cli_one_line(text, sizeof text, line), cli_now() - run->start);
    fflush(stderr);
}

int cli_gnuplot_timeout(const char *command, const char *text, double *seconds)
{
    char *end;
    *seconds = strtod(text, &end);
    if (*end != '\0' || !(*seconds > 0 && *seconds <= 3600)) {
        fprintf(stderr, "%s: --timeout must be seconds in (0, 3600], not '%s'\n", command, text);
        return -1;
    }
    return 0;
}

int cli_one_run_directory(const char *command, int bad, void (*usage)(FILE *stream), int argc)
{
    if (!bad && optind != argc - 1) {
        fprintf(stderr, "%s: expected one run directory\n", command);
        bad = 1;
    }
    if (bad) {
        usage(stderr);
        return 2;
    }
    return CLI_GO_ON;
}

void cli_figure_progress(void *context, size_t done, size_t total)
{
    (void)context;
    fprintf(stderr, "\rfigures %zu/%zu%s", done, total, done == total ? "\n" : "");
}
