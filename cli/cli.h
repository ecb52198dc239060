/* Subcommands of the `bench` program.  Each handler gets argv starting at the
 * subcommand name and returns the process exit code (0 ok, 1 failure, 2 bad
 * usage or input).  Handlers are the only code besides main() that print. */
#ifndef BENCH_CLI_H
#define BENCH_CLI_H

#include <stddef.h>

#include "bench/error.h"

typedef struct bench_command {
    const char *name;
    int (*handler)(int argc, char **argv);
    const char *summary;
} bench_command;

/* Print "bench: error: MESSAGE" (plus the detecting source location when
 * BENCH_DEBUG is set) to stderr and return the exit code for error->code. */
int cli_report_error(const bench_error *error);

/* Parse a whole decimal number within [minimum, maximum] (no sign, no trailing
 * text); 0 on success, -1 otherwise.  Every command's count options use it. */
int cli_parse_count(const char *text, unsigned long long minimum, unsigned long long maximum,
                    unsigned long long *out);

/* The first line of text, at most size - 1 bytes (cut ones end in "..."), in
 * out; returns out.  Progress lines show a failed cell's reason with it: the
 * whole message stays in run.json. */
const char *cli_one_line(char *out, size_t size, const char *text);

/* Seconds on a monotonic clock, for progress lines' elapsed times. */
double cli_now(void);

/* Runs the command of `commands` that argv[1] names (its handler gets argv from
 * that name on); an unknown name prints "PROGRAM: unknown WHAT 'x' (did you mean
 * 'y'?); WHATs are: ..." and returns 2. */
int cli_dispatch(const char *program, const char *what, const bench_command *commands, size_t count, int argc,
                 char **argv);

/* One declaration per subcommand; its row goes in the table in cli/main.c. */
int cli_run(int argc, char **argv);
int cli_models(int argc, char **argv);
int cli_table(int argc, char **argv);
int cli_plot(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_shift(int argc, char **argv);
int cli_data(int argc, char **argv);
int cli_new_forecaster(int argc, char **argv);
int cli_check_plugin(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_slurm(int argc, char **argv);
int cli_hcsc(int argc, char **argv);
int cli_tune(int argc, char **argv);

#endif
