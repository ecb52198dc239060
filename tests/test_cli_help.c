/* The manual page stays in step with the program (issue 16): every command that
 * `bench help` lists has a section ".SS bench NAME" in man/bench.1 carrying its
 * one-line summary; every long option that `bench NAME --help` (and, for commands
 * with subcommands, `bench NAME SUB --help`) prints is documented in that
 * section, and every long option the section documents is one the command's help
 * prints.  Adding a command or an option without documenting it fails here.
 * Also: `bench --version` and `bench version` print the version list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support_process.h"
#include "support_cmocka.h"

static char *manual; /* man/bench.1 with roff escapes removed; freed by teardown */

/* The roff source as plain text: font changes dropped, "\-" as "-", so that
 * "\fB\-\-out\fR" reads "--out".  Caller frees. */
static char *plain_manual(const char *source)
{
    char *out = malloc(strlen(source) + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *s = source; *s;) {
        if (s[0] == '\\' && s[1] == 'f' && s[2] != '\0') {
            s += 3; /* \fB, \fI, \fR, \fP */
        } else if (s[0] == '\\' && (s[1] == '-' || s[1] == '&')) {
            if (s[1] == '-')
                *o++ = '-';
            s += 2;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static int setup(void **state)
{
    (void)state;
    if (access(test_bench_binary(), X_OK) != 0) {
        fprintf(stderr, "test_cli_help: %s is not built\n", test_bench_binary());
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/man/bench.1", test_source_dir());
    char *source = test_read_file(path, NULL);
    if (source == NULL) {
        fprintf(stderr, "test_cli_help: %s is missing\n", path);
        return -1;
    }
    manual = plain_manual(source);
    free(source);
    return manual == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    free(manual);
    return 0;
}

static void run_bench(test_process_result *result, const char *a, const char *b, const char *c)
{
    const char *argv[] = {test_bench_binary(), a, b, c, NULL};
    assert_int_equal(test_process_run(result, argv, test_source_dir(), NULL), 0);
}

/* The text of the manual section ".SS bench NAME ..." up to the next .SS or .SH,
 * as a new string (caller frees), or NULL when there is no such section. */
static char *manual_section(const char *name)
{
    size_t length = strlen(name);
    for (const char *line = manual; line != NULL && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, ".SS bench ", 10) != 0 || strncmp(line + 10, name, length) != 0 ||
            (line[10 + length] != ' ' && line[10 + length] != '\n'))
            continue;
        const char *end = line + 1;
        while ((end = strchr(end, '\n')) != NULL && strncmp(end + 1, ".SS", 3) != 0 && strncmp(end + 1, ".SH", 3) != 0)
            end++;
        size_t size = end ? (size_t)(end - line) : strlen(line);
        char *section = malloc(size + 1);
        assert_non_null(section);
        memcpy(section, line, size);
        section[size] = '\0';
        return section;
    }
    return NULL;
}

static int option_char(char c) { return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'; }

/* 1 when text holds option (e.g. "--out") as a whole token, not as "--output". */
static int has_option(const char *text, const char *option)
{
    size_t length = strlen(option);
    for (const char *p = strstr(text, option); p != NULL; p = strstr(p + 1, option))
        if ((p == text || !option_char(p[-1])) && !option_char(p[length]))
            return 1;
    return 0;
}

/* Calls check(option, context) for every distinct long option in text but --help. */
static void each_option(const char *text, void (*check)(const char *option, void *context), void *context)
{
    char seen[4096] = " ";
    for (const char *p = strstr(text, "--"); p != NULL; p = strstr(p + 2, "--")) {
        if ((p > text && option_char(p[-1])) || !islower((unsigned char)p[2]))
            continue;
        char option[64];
        size_t length = 2;
        while (length < sizeof option - 1 && option_char(p[length]))
            length++;
        snprintf(option, sizeof option, "%.*s", (int)length, p);
        while (length > 2 && option[length - 1] == '-')
            option[--length] = '\0'; /* "--out-" at a line break is "--out" */
        char key[80];
        snprintf(key, sizeof key, " %s ", option);
        if (!strcmp(option, "--help") || strstr(seen, key) != NULL || strlen(seen) + strlen(key) >= sizeof seen)
            continue;
        strcat(seen, key + 1);
        check(option, context);
    }
}

typedef struct {
    const char *command, *where, *text;
} option_check;

static void documented_in(const char *option, void *context)
{
    const option_check *check = context;
    if (!has_option(check->text, option))
        fail_msg("option %s of `bench %s` is not in %s", option, check->command, check->where);
}

/* The names of the commands `bench help` lists: lines "  NAME  summary". */
typedef struct {
    char name[32];
    char summary[256];
} listed_command;

static size_t listed_commands(const char *help, listed_command *out, size_t capacity)
{
    size_t count = 0;
    const char *list = strstr(help, "commands:\n");
    assert_non_null(list);
    for (const char *line = strchr(list, '\n') + 1; line && strncmp(line, "  ", 2) == 0 && count < capacity;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *name = line + 2;
        size_t name_length = strcspn(name, " \n");
        const char *summary = name + name_length + strspn(name + name_length, " ");
        snprintf(out[count].name, sizeof out[count].name, "%.*s", (int)name_length, name);
        snprintf(out[count].summary, sizeof out[count].summary, "%.*s", (int)strcspn(summary, "\n"), summary);
        count++;
    }
    return count;
}

/* The help of a command with subcommands ("usage: bench CMD SUBCOMMAND") lists
 * them as "  NAME  summary"; their own --help texts are appended to help. */
static char *with_subcommand_help(const char *command, char *help)
{
    if (strstr(help, "SUBCOMMAND") == NULL)
        return help;
    for (const char *line = help; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "  ", 2) != 0 || !islower((unsigned char)line[2]))
            continue;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(line + 2, " \n"), line + 2);
        test_process_result result;
        run_bench(&result, command, name, "--help");
        size_t old = strlen(help);
        char *joined = malloc(old + strlen(result.out) + 2);
        assert_non_null(joined);
        snprintf(joined, old + strlen(result.out) + 2, "%s\n%s", help, result.out);
        line = joined + (line - help);
        free(help);
        help = joined;
        test_process_free(&result);
    }
    return help;
}

static void every_command_and_option_is_in_the_manual(void **state)
{
    (void)state;
    test_process_result result;
    run_bench(&result, "help", NULL, NULL);
    assert_int_equal(result.exit_code, 0);
    listed_command commands[64];
    size_t count = listed_commands(result.out, commands, 64);
    test_process_free(&result);
    assert_true(count >= 15);
    for (size_t i = 0; i < count; i++) {
        char *section = manual_section(commands[i].name);
        if (section == NULL)
            fail_msg("`bench %s` has no section \".SS bench %s\" in man/bench.1", commands[i].name, commands[i].name);
        if (strstr(section, commands[i].summary) == NULL)
            fail_msg("the man page section of `bench %s` lacks its summary \"%s\"", commands[i].name,
                     commands[i].summary);
        run_bench(&result, commands[i].name, "--help", NULL);
        if (result.exit_code != 0)
            fail_msg("`bench %s --help` exited %d", commands[i].name, result.exit_code);
        char *help = with_subcommand_help(commands[i].name, strdup(result.out));
        test_process_free(&result);
        char where[64];
        snprintf(where, sizeof where, "its man page section");
        option_check to_manual = {commands[i].name, where, section};
        each_option(help, documented_in, &to_manual);
        option_check to_help = {commands[i].name, "its --help", help};
        each_option(section, documented_in, &to_help);
        free(help);
        free(section);
    }
}

/* The manual has no command section that the program lacks. */
static void every_manual_section_is_a_command(void **state)
{
    (void)state;
    test_process_result result;
    run_bench(&result, "help", NULL, NULL);
    listed_command commands[64];
    size_t count = listed_commands(result.out, commands, 64);
    test_process_free(&result);
    for (const char *line = strstr(manual, "\n.SS bench "); line != NULL; line = strstr(line + 1, "\n.SS bench ")) {
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(line + 11, " \n"), line + 11);
        int found = 0;
        for (size_t i = 0; i < count; i++)
            found |= !strcmp(commands[i].name, name);
        if (!found)
            fail_msg("man/bench.1 documents `bench %s`, which `bench help` does not list", name);
    }
    assert_true(has_option(manual, "--version"));
    assert_non_null(strstr(manual, ".SH EXIT STATUS"));
    static const char *const variables[] = {"BENCH_DATA_PATH", "BENCH_DATA_DIR", "BENCH_DATA_MIRROR",
                                            "BENCH_PLUGIN_PATH", "BENCH_DEBUG"};
    for (size_t i = 0; i < sizeof variables / sizeof variables[0]; i++)
        if (strstr(manual, variables[i]) == NULL)
            fail_msg("man/bench.1 does not document %s", variables[i]);
}

/* The man page renders without groff warnings (when groff is installed). */
static void manual_renders_without_warnings(void **state)
{
    (void)state;
    if (system("command -v groff >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIPPED: groff is not installed; rendering not checked\n");
        skip();
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/man/bench.1", test_source_dir());
    const char *argv[] = {"groff", "-man", "-ww", "-z", path, NULL};
    test_process_result result;
    assert_int_equal(test_process_run(&result, argv, NULL, NULL), 0);
    if (result.exit_code != 0 || result.err[0] != '\0')
        fail_msg("groff -man -ww -z man/bench.1: exit %d\n%s", result.exit_code, result.err);
    test_process_free(&result);
}

static void version_lists_bench_and_its_libraries(void **state)
{
    (void)state;
    const char *spellings[] = {"--version", "version"};
    char *first = NULL;
    for (size_t i = 0; i < 2; i++) {
        test_process_result result;
        run_bench(&result, spellings[i], NULL, NULL);
        assert_int_equal(result.exit_code, 0);
        assert_int_equal(strncmp(result.out, "bench ", 6), 0);
        assert_true(isdigit((unsigned char)result.out[6]));
        assert_non_null(strstr(result.out, "(git "));
        static const char *const libraries[] = {"\nxgboost ", "\nopenblas ", "\njansson ", "\nlibcurl ",
                                                "\nzlib ", "\ngsl ", "\nlibpng ", "\nlibjpeg "};
        for (size_t l = 0; l < sizeof libraries / sizeof libraries[0]; l++)
            if (strstr(result.out, libraries[l]) == NULL)
                fail_msg("`bench %s` does not list%s", spellings[i], libraries[l]);
        if (first == NULL)
            first = strdup(result.out);
        else
            assert_string_equal(result.out, first);
        test_process_free(&result);
    }
    free(first);
}

TEST_MAIN("cli_help", setup, teardown,
        cmocka_unit_test(every_command_and_option_is_in_the_manual),
        cmocka_unit_test(every_manual_section_is_a_command),
        cmocka_unit_test(manual_renders_without_warnings),
        cmocka_unit_test(version_lists_bench_and_its_libraries))
