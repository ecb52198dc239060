#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    FILE *file;
    const char *path;
    size_t line;               /* number of the line last handed to inih */
    char *buffer;
    size_t buffer_size;
    bench_config *config;
    bench_error *error;
    int failed;
} parse_state;

static int fail_once(parse_state *state, int code, size_t line, const char *what)
{
    if (!state->failed)
        BENCH_FAIL(state->error, code, "%s:%zu: %s", state->path, line, what);
    state->failed = 1;
    return 0;
}

static char *trim(char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    char *end = text + strlen(text);
    while (end > text && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return text;
}

/* Open a new section when the line is a section header; inih itself does not
 * report empty sections, and "[model naive]" alone is a complete entry. */
static void note_section_header(parse_state *state, const char *line)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", line);
    char *text = trim(copy);
    if (text[0] != '[')
        return;
    char *close = strchr(text, ']');
    if (close == NULL)
        return; /* inih reports the syntax error */
    *close = '\0';
    char *header = trim(text + 1);
    /* Compare the parsed kind and label, not the header text: "[model  naive]"
     * after "[model naive]" is the same section (the label is trimmed either
     * way), and letting it through would give two variants whose cells share
     * ids. */
    size_t kind_length = strcspn(header, " \t");
    const char *label = header + kind_length;
    while (*label == ' ' || *label == '\t')
        label++;
    bench_config *config = state->config;
    for (size_t i = 0; i < config->section_count; i++) {
        const bench_config_section *seen = &config->sections[i];
        if (strlen(seen->kind) == kind_length && !strncmp(seen->kind, header, kind_length) &&
            !strcmp(seen->label, label)) {
            char what[160];
            snprintf(what, sizeof what, "section [%s%s%s] appears twice (first on line %zu)", seen->kind,
                     label[0] ? " " : "", label, seen->line);
            fail_once(state, BENCH_BAD_INPUT, state->line, what);
            return;
        }
    }
    bench_config_section *grown = realloc(config->sections, (config->section_count + 1) * sizeof *grown);
    if (grown == NULL) {
        fail_once(state, BENCH_NO_MEMORY, state->line, "out of memory");
        return;
    }
    config->sections = grown;
    bench_config_section *section = &config->sections[config->section_count++];
    memset(section, 0, sizeof *section);
    section->kind = strndup(header, kind_length);
    section->label = strdup(label);
    section->line = state->line;
    if (section->kind == NULL || section->label == NULL)
        fail_once(state, BENCH_NO_MEMORY, state->line, "out of memory");
}

static char *counting_reader(char *destination, int capacity, void *stream)
{
    parse_state *state = stream;
    ssize_t length = getline(&state->buffer, &state->buffer_size, state->file);
    if (length < 0)
        return NULL;
    state->line++;
    size_t content = (size_t)length;
    while (content > 0 && (state->buffer[content - 1] == '\n' || state->buffer[content - 1] == '\r'))
        content--;
    if (memchr(state->buffer, '\0', (size_t)length) != NULL) {
        fail_once(state, BENCH_BAD_INPUT, state->line, "the line contains a NUL byte");
        return NULL;
    }
    if (content + 2 > (size_t)capacity) {
        char what[128];
        snprintf(what, sizeof what, "line is %zu characters long; the limit is %d", content, capacity - 2);
        fail_once(state, BENCH_BAD_INPUT, state->line, what);
        return NULL;
    }
    memcpy(destination, state->buffer, content);
    destination[content] = '\n';
    destination[content + 1] = '\0';
    note_section_header(state, destination);
    return state->failed ? NULL : destination;
}

static int handle_entry(void *user, const char *section_header, const char *key, const char *value)
{
    parse_state *state = user;
    if (state->failed)
        return 0;
    bench_config *config = state->config;
    if (section_header[0] == '\0' || config->section_count == 0)
        return fail_once(state, BENCH_BAD_INPUT, state->line, "key outside any section");
    bench_config_section *section = &config->sections[config->section_count - 1];
    for (size_t i = 0; i < section->entry_count; i++)
        if (strcmp(section->entries[i].key, key) == 0) {
            char what[160];
            snprintf(what, sizeof what, "key '%s' is set twice in this section (first on line %zu)", key,
                     section->entries[i].line);
            return fail_once(state, BENCH_BAD_INPUT, state->line, what);
        }
    bench_config_entry *grown = realloc(section->entries, (section->entry_count + 1) * sizeof *grown);
    if (grown == NULL)
        return fail_once(state, BENCH_NO_MEMORY, state->line, "out of memory");
    section->entries = grown;
    bench_config_entry *entry = &section->entries[section->entry_count++];
    entry->key = strdup(key);
    entry->value = strdup(value);
    entry->line = state->line;
    entry->used = 0;
    if (entry->key == NULL || entry->value == NULL)
        return fail_once(state, BENCH_NO_MEMORY, state->line, "out of memory");
    return 1;
}

int bench_config_load(bench_config **out, const char *path, bench_error *error)
{
    FILE *file = fopen(path, "r");
    if (file == NULL)
        return BENCH_FAIL(error, errno == ENOENT ? BENCH_NOT_FOUND : BENCH_IO, "%s: cannot open: %s", path,
                          strerror(errno));
    bench_config *config = calloc(1, sizeof *config);
    if (config == NULL || (config->path = strdup(path)) == NULL) {
        fclose(file);
        free(config);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    parse_state state = {.file = file, .path = path, .config = config, .error = error};
    int first_error_line = ini_parse_stream(counting_reader, &state, handle_entry, &state);
    free(state.buffer);
    fclose(file);
    if (!state.failed && first_error_line > 0)
        fail_once(&state, BENCH_BAD_INPUT, (size_t)first_error_line,
                  "cannot parse this line (expected [section], key = value, or a ; comment)");
    if (!state.failed && first_error_line < 0)
        fail_once(&state, BENCH_IO, 0, "read error");
    if (!state.failed && config->section_count == 0)
        fail_once(&state, BENCH_BAD_INPUT, 1, "the configuration has no sections");
    if (state.failed) {
        bench_config_free(config);
        return error->code;
    }
    *out = config;
    return BENCH_OK;
}

bench_config_entry *bench_config_take(bench_config_section *section, const char *key)
{
    for (size_t i = 0; i < section->entry_count; i++)
        if (strcmp(section->entries[i].key, key) == 0) {
            section->entries[i].used = 1;
            return &section->entries[i];
        }
    return NULL;
}

void bench_config_free(bench_config *config)
{
    if (config == NULL)
        return;
    for (size_t s = 0; s < config->section_count; s++) {
        bench_config_section *section = &config->sections[s];
        for (size_t e = 0; e < section->entry_count; e++) {
            free(section->entries[e].key);
            free(section->entries[e].value);
        }
        free(section->entries);
        free(section->kind);
        free(section->label);
    }
    free(config->sections);
    free(config->path);
    free(config);
}

int bench_config_path(char *out, size_t size, const char *config_path, const char *value)
{
    const char *slash = strrchr(config_path, '/');
    int wrote = value[0] == '/' || slash == NULL
                    ? snprintf(out, size, "%s", value)
                    : snprintf(out, size, "%.*s/%s", (int)(slash - config_path), config_path, value);
    return wrote < 0 || (size_t)wrote >= size ? -1 : 0;
}

int bench_parse_timeout(const char *text, double *seconds)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    /* strtod also reads "nan", "inf" and hex floats; only finite positives pass. */
    if (errno || end == text || *end != '\0' || !isfinite(value) || !(value > 0) || value > BENCH_MAX_TIMEOUT_SECONDS)
        return -1;
    *seconds = value;
    return 0;
}

int bench_parse_memory_limit(const char *text, unsigned long long *megabytes)
{
    /* Digits only: strtoull alone would take "-1" (as 2^64 - 1), "+5" and " 5". */
    if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text))
        return -1;
    errno = 0;
    unsigned long long value = strtoull(text, NULL, 10);
    if (errno || value == 0 || value > BENCH_MAX_MEMORY_LIMIT_MB)
        return -1;
    *megabytes = value;
    return 0;
}

int bench_parse_threads(const char *text, unsigned *threads)
{
    if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text) || strlen(text) > 3)
        return -1;
    unsigned long value = strtoul(text, NULL, 10);
    if (value == 0 || value > BENCH_MAX_THREADS)
        return -1;
    *threads = (unsigned)value;
    return 0;
}

int bench_config_threads(const char *path, const bench_config_entry *entry, unsigned *threads, bench_error *error)
{
    if (bench_parse_threads(entry->value, threads) != 0)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%zu: %s = %s: expected an integer from 1 to %d", path,
                          entry->line, entry->key, entry->value, BENCH_MAX_THREADS);
    return BENCH_OK;
}
