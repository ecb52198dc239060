#include "domain_shift/voc_xml.h"

#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/escape.h"
#include "core/files.h"

/* Fields of an <object> collected until its end tag, with the line of its
 * start tag so that a missing field can be reported where the object begins. */
typedef struct pending_object {
    char name[128];
    int has_name;
    double coordinate[4];       /* xmin, ymin, xmax, ymax */
    int has_coordinate[4];
    int difficult;
    unsigned long line;
} pending_object;

typedef struct parse_state {
    XML_Parser parser;
    const char *name;           /* file name for messages */
    bench_error *error;
    int failed;
    int depth;
    char path[8][32];           /* element names from the root, truncated */
    char text[256];             /* character data of the current leaf */
    size_t text_length;
    int text_overflow;
    int in_object;
    pending_object object;
    shift_annotation *annotation;
    size_t capacity;
} parse_state;

static const char *const coordinate_names[4] = {"xmin", "ymin", "xmax", "ymax"};

static void stop_with(parse_state *state, int code, const char *problem, const char *detail)
{
    if (state->failed)
        return;
    state->failed = 1;
    BENCH_FAIL(state->error, code, "%s:%lu: %s%s", state->name,
               (unsigned long)XML_GetCurrentLineNumber(state->parser), problem, detail);
    XML_StopParser(state->parser, XML_FALSE);
}

/* Elements deeper than path[] records are no VOC field: never a match (the
 * fuzzer found the out-of-bounds read at depth 10). */
static int parent_is(const parse_state *state, const char *name)
{
    return state->depth >= 2 && (size_t)(state->depth - 2) < sizeof state->path / sizeof state->path[0] &&
           strcmp(state->path[state->depth - 2], name) == 0;
}

static void XMLCALL on_start(void *data, const XML_Char *element, const XML_Char **attributes)
{
    (void)attributes;
    parse_state *state = data;
    if (state->failed)
        return;
    if (state->depth == 0 && strcmp(element, "annotation") != 0) {
        stop_with(state, BENCH_BAD_INPUT, "root element must be <annotation>, found <", element);
        return;
    }
    if (state->depth < 8)
        snprintf(state->path[state->depth], sizeof state->path[0], "%s", element);
    state->depth++;
    state->text_length = 0;
    state->text_overflow = 0;
    state->text[0] = '\0';
    if (strcmp(element, "object") == 0 && state->depth == 2) {
        memset(&state->object, 0, sizeof state->object);
        state->object.line = (unsigned long)XML_GetCurrentLineNumber(state->parser);
        state->in_object = 1;
    }
}

static void XMLCALL on_text(void *data, const XML_Char *text, int length)
{
    parse_state *state = data;
    if (state->failed)
        return;
    size_t room = sizeof state->text - 1 - state->text_length;
    size_t count = (size_t)length;
    if (count > room) {
        state->text_overflow = 1;
        count = room;
    }
    memcpy(state->text + state->text_length, text, count);
    state->text_length += count;
    state->text[state->text_length] = '\0';
}

/* The leaf's text with surrounding white space removed. */
static char *trimmed_text(parse_state *state)
{
    char *start = state->text;
    while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
        start++;
    char *end = start + strlen(start);
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        *--end = '\0';
    return start;
}

static int parse_number(parse_state *state, const char *element, const char *text, double *out)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(value)) {
        char detail[200];
        snprintf(detail, sizeof detail, "<%s> is not a number: '%.100s'", element, text);
        stop_with(state, BENCH_BAD_INPUT, "", detail);
        return 0;
    }
    *out = value;
    return 1;
}

static void finish_object(parse_state *state)
{
    pending_object *object = &state->object;
    char detail[200];
    if (!object->has_name) {
        snprintf(detail, sizeof detail, "<object> starting on line %lu has no <name>", object->line);
        stop_with(state, BENCH_BAD_INPUT, "", detail);
        return;
    }
    for (int k = 0; k < 4; k++)
        if (!object->has_coordinate[k]) {
            snprintf(detail, sizeof detail, "<object> '%s' starting on line %lu has no <bndbox><%s>", object->name,
                     object->line, coordinate_names[k]);
            stop_with(state, BENCH_BAD_INPUT, "", detail);
            return;
        }
    int class_index = shift_class_index(object->name);
    if (class_index < 0) {
        char known[160], message[300];
        shift_class_list(known, sizeof known);
        snprintf(message, sizeof message, "unknown class '%.60s' (known: %s)", object->name, known);
        stop_with(state, BENCH_BAD_INPUT, "", message);
        return;
    }
    if (object->coordinate[0] > object->coordinate[2] || object->coordinate[1] > object->coordinate[3]) {
        snprintf(detail, sizeof detail, "<object> '%s' has xmin > xmax or ymin > ymax", object->name);
        stop_with(state, BENCH_BAD_INPUT, "", detail);
        return;
    }
    shift_annotation *annotation = state->annotation;
    if (annotation->object_count == state->capacity) {
        size_t capacity = state->capacity ? 2 * state->capacity : 8;
        shift_object *grown = realloc(annotation->objects, capacity * sizeof *grown);
        if (grown == NULL) {
            stop_with(state, BENCH_NO_MEMORY, "out of memory reading objects", "");
            return;
        }
        annotation->objects = grown;
        state->capacity = capacity;
    }
    annotation->objects[annotation->object_count++] = (shift_object){
        .class_index = class_index,
        .difficult = object->difficult,
        .box = {object->coordinate[0], object->coordinate[1], object->coordinate[2], object->coordinate[3]},
    };
}

static void XMLCALL on_end(void *data, const XML_Char *element)
{
    parse_state *state = data;
    if (state->failed)
        return;
    char *text = trimmed_text(state);
    shift_annotation *annotation = state->annotation;
    if (state->in_object && parent_is(state, "object") && strcmp(element, "name") == 0) {
        if (state->text_overflow || strlen(text) >= sizeof state->object.name) {
            stop_with(state, BENCH_BAD_INPUT, "<name> is too long", "");
            return;
        }
        strcpy(state->object.name, text);
        state->object.has_name = 1;
    } else if (state->in_object && parent_is(state, "object") && strcmp(element, "difficult") == 0) {
        double value;
        if (!parse_number(state, element, text, &value))
            return;
        state->object.difficult = value != 0.0;
    } else if (state->in_object && parent_is(state, "bndbox")) {
        for (int k = 0; k < 4; k++)
            if (strcmp(element, coordinate_names[k]) == 0) {
                if (!parse_number(state, element, text, &state->object.coordinate[k]))
                    return;
                state->object.has_coordinate[k] = 1;
            }
    } else if (strcmp(element, "object") == 0 && state->depth == 2) {
        finish_object(state);
        state->in_object = 0;
    } else if (state->depth == 2 && strcmp(element, "filename") == 0) {
        snprintf(annotation->filename, sizeof annotation->filename, "%s", text);
    } else if (parent_is(state, "size") && state->depth == 3) {
        int *field = strcmp(element, "width") == 0    ? &annotation->width
                     : strcmp(element, "height") == 0 ? &annotation->height
                     : strcmp(element, "depth") == 0  ? &annotation->depth
                                                      : NULL;
        double value;
        if (field != NULL) {
            if (!parse_number(state, element, text, &value))
                return;
            if (value < 0 || value > 1e6 || value != floor(value)) {
                stop_with(state, BENCH_BAD_INPUT, "image size must be a non-negative integer: ", text);
                return;
            }
            *field = (int)value;
        }
    }
    state->depth--;
    state->text_length = 0;
    state->text[0] = '\0';
}

int shift_voc_parse(const char *text, size_t length, const char *name, shift_annotation *out, bench_error *error)
{
    memset(out, 0, sizeof *out);
    XML_Parser parser = XML_ParserCreate(NULL);
    if (parser == NULL)
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: cannot create an XML parser", name);
    parse_state state = {.parser = parser, .name = name, .error = error, .annotation = out};
    XML_SetUserData(parser, &state);
    XML_SetElementHandler(parser, on_start, on_end);
    XML_SetCharacterDataHandler(parser, on_text);
    if (length > (size_t)INT32_MAX) {
        XML_ParserFree(parser);
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: file too large for an annotation", name);
    }
    enum XML_Status status = XML_Parse(parser, text, (int)length, 1);
    int code = BENCH_OK;
    if (state.failed) {
        code = error != NULL ? error->code : BENCH_BAD_INPUT;
    } else if (status != XML_STATUS_OK) {
        code = BENCH_FAIL(error, BENCH_BAD_INPUT, "%s:%lu: malformed XML: %s", name,
                          (unsigned long)XML_GetCurrentLineNumber(parser), XML_ErrorString(XML_GetErrorCode(parser)));
    }
    XML_ParserFree(parser);
    if (code != BENCH_OK)
        shift_annotation_free(out);
    return code;
}

int shift_voc_read(const char *path, shift_annotation *out, bench_error *error)
{
    memset(out, 0, sizeof *out);
    FILE *stream = fopen(path, "rb");
    if (stream == NULL)
        return BENCH_FAIL(error, errno == ENOENT ? BENCH_NOT_FOUND : BENCH_IO, "%s: %s", path, strerror(errno));
    char *buffer = NULL;
    size_t length = 0, capacity = 0;
    for (;;) {
        if (capacity - length < 4096) {
            capacity = capacity ? 2 * capacity : 8192;
            char *grown = realloc(buffer, capacity);
            if (grown == NULL) {
                free(buffer);
                fclose(stream);
                return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", path);
            }
            buffer = grown;
        }
        size_t count = fread(buffer + length, 1, capacity - length, stream);
        length += count;
        if (count == 0)
            break;
    }
    int read_failed = ferror(stream);
    fclose(stream);
    if (read_failed) {
        free(buffer);
        return BENCH_FAIL(error, BENCH_IO, "%s: read error", path);
    }
    int code = shift_voc_parse(buffer, length, path, out, error);
    free(buffer);
    return code;
}

/* %.17g would write 12 as "12"; integers stay integers, fractions keep full precision. */
static void write_number(FILE *stream, double value)
{
    if (value == floor(value) && fabs(value) < 1e15)
        fprintf(stream, "%.0f", value);
    else
        fprintf(stream, "%.17g", value);
}

int shift_voc_write(const char *path, const char *folder, const shift_annotation *annotation, bench_error *error)
{
    bench_atomic_file file;
    int code = bench_atomic_open(&file, path, error);
    if (code != BENCH_OK)
        return code;
    FILE *s = file.stream;
    /* Folder, file and class names may come from a user's dataset: XML-escaped
     * (bench/escape.h; the HTML escaper's five entities are XML's too). */
    fputs("<annotation>\n\t<folder>", s);
    bench_escape_html(s, folder);
    fputs("</folder>\n\t<filename>", s);
    bench_escape_html(s, annotation->filename);
    fprintf(s, "</filename>\n\t<size>\n\t\t<width>%d</width>\n\t\t<height>%d</height>\n\t\t<depth>%d</depth>\n\t</size>\n"
               "\t<segmented>0</segmented>\n",
            annotation->width, annotation->height, annotation->depth);
    for (size_t i = 0; i < annotation->object_count; i++) {
        const shift_object *object = &annotation->objects[i];
        if (object->class_index < 0 || object->class_index >= SHIFT_CLASS_COUNT) {
            bench_atomic_abort(&file);
            return BENCH_FAIL(error, BENCH_INTERNAL, "%s: object %zu has class index %d", path, i,
                              object->class_index);
        }
        fputs("\t<object>\n\t\t<name>", s);
        bench_escape_html(s, shift_classes()[object->class_index].key);
        fprintf(s, "</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n"
                   "\t\t<difficult>%d</difficult>\n\t\t<bndbox>\n",
                object->difficult ? 1 : 0);
        const double coordinate[4] = {object->box.x_min, object->box.y_min, object->box.x_max, object->box.y_max};
        for (int k = 0; k < 4; k++) {
            fprintf(s, "\t\t\t<%s>", coordinate_names[k]);
            write_number(s, coordinate[k]);
            fprintf(s, "</%s>\n", coordinate_names[k]);
        }
        fputs("\t\t</bndbox>\n\t</object>\n", s);
    }
    fputs("</annotation>\n", s);
    return bench_atomic_commit(&file, error);
}

void shift_annotation_free(shift_annotation *annotation)
{
    free(annotation->objects);
    annotation->objects = NULL;
    annotation->object_count = 0;
}
