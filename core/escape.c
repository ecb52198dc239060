/* Escaping of untrusted text, one function per output language (see
 * include/bench/escape.h for what each guarantees).
 *
 * Every language is written once, against a small sink that either writes to
 * a FILE or counts into a caller buffer, so the FILE and buffer variants can
 * never disagree. */
#include "bench/escape.h"

#include <string.h>

typedef struct sink {
    FILE *file;      /* when not NULL, bytes go here */
    char *buffer;    /* otherwise here, up to size - 1 bytes */
    size_t size;
    size_t length;   /* bytes the whole text needs, also past size */
} sink;

static void put(sink *s, char c)
{
    if (s->file != NULL)
        fputc(c, s->file);
    else if (s->length + 1 < s->size)
        s->buffer[s->length] = c;
    s->length++;
}

static void put_text(sink *s, const char *text)
{
    for (; *text; text++)
        put(s, *text);
}

/* Line breaks, other C0 controls and DEL: the bytes that end a command or a
 * table row, or that TeX refuses ("invalid character"). */
static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static void csv_to(sink *s, const char *text)
{
    size_t length = strlen(text);
    int quote = strpbrk(text, ",\"\r\n") != NULL ||
                (length > 0 && (text[0] == ' ' || text[0] == '\t' || text[length - 1] == ' ' ||
                                text[length - 1] == '\t'));
    if (!quote) {
        put_text(s, text);
        return;
    }
    put(s, '"');
    for (; *text; text++) {
        if (*text == '"')
            put(s, '"');
        put(s, *text);
    }
    put(s, '"');
}

static void gnuplot_to(sink *s, const char *text)
{
    put(s, '\'');
    for (; *text; text++) {
        if (*text == '\'')
            put(s, '\'');
        put(s, is_control((unsigned char)*text) ? ' ' : *text);
    }
    put(s, '\'');
}

static void gnuplot_comment_to(sink *s, const char *text)
{
    char last = '\0';
    for (; *text; text++) {
        last = is_control((unsigned char)*text) ? ' ' : *text;
        put(s, last);
    }
    if (last == '\\')
        put(s, '.');
}

static void gnuplot_data_to(sink *s, const char *text)
{
    /* A plain word stays bare (as in data files people write by hand); anything
     * that could split the column or start a comment is quoted. */
    int plain = *text != '\0';
    for (const char *c = text; *c && plain; c++)
        plain = (unsigned char)*c > ' ' && *c != 0x7f && *c != '"' && *c != '#' && *c != '\'';
    if (plain) {
        put_text(s, text);
        return;
    }
    put(s, '"');
    for (; *text; text++)
        put(s, *text == '"' ? '\'' : is_control((unsigned char)*text) ? ' ' : *text);
    put(s, '"');
}

static void html_to(sink *s, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': put_text(s, "&amp;"); break;
        case '<': put_text(s, "&lt;"); break;
        case '>': put_text(s, "&gt;"); break;
        case '"': put_text(s, "&quot;"); break;
        case '\'': put_text(s, "&#39;"); break;
        default: put(s, *text);
        }
    }
}

static void latex_to(sink *s, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '{': case '}': case '$': case '&': case '#': case '_': case '%':
            put(s, '\\');
            put(s, *text);
            break;
        case '\\': put_text(s, "\\textbackslash{}"); break;
        case '^': put_text(s, "\\textasciicircum{}"); break;
        case '~': put_text(s, "\\textasciitilde{}"); break;
        case '<': put_text(s, "\\textless{}"); break;
        case '>': put_text(s, "\\textgreater{}"); break;
        case '|': put_text(s, "\\textbar{}"); break;
        case '[': put_text(s, "{[}"); break;
        case ']': put_text(s, "{]}"); break;
        default: put(s, is_control((unsigned char)*text) ? ' ' : *text);
        }
    }
}

static void latex_label_to(sink *s, const char *text)
{
    for (; *text; text++) {
        unsigned char c = (unsigned char)*text;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == ':' || c == '.';
        put(s, keep ? *text : '-');
    }
}

static void markdown_to(sink *s, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '\\': case '|': case '*': case '_': case '`': case '[': case ']': case '~':
            put(s, '\\');
            put(s, *text);
            break;
        case '&': put_text(s, "&amp;"); break;
        case '<': put_text(s, "&lt;"); break;
        case '>': put_text(s, "&gt;"); break;
        default: put(s, is_control((unsigned char)*text) ? ' ' : *text);
        }
    }
}

static void url_path_to(sink *s, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *text; text++) {
        unsigned char c = (unsigned char)*text;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-_.~/", c)) {
            put(s, *text);
        } else {
            put(s, '%');
            put(s, hex[c >> 4]);
            put(s, hex[c & 15]);
        }
    }
}

static void (*const writers[])(sink *, const char *) = {
    [BENCH_ESCAPE_CSV] = csv_to,
    [BENCH_ESCAPE_GNUPLOT] = gnuplot_to,
    [BENCH_ESCAPE_GNUPLOT_COMMENT] = gnuplot_comment_to,
    [BENCH_ESCAPE_GNUPLOT_DATA] = gnuplot_data_to,
    [BENCH_ESCAPE_HTML] = html_to,
    [BENCH_ESCAPE_LATEX] = latex_to,
    [BENCH_ESCAPE_LATEX_LABEL] = latex_label_to,
    [BENCH_ESCAPE_MARKDOWN] = markdown_to,
    [BENCH_ESCAPE_URL_PATH] = url_path_to,
};

static void write_file(FILE *out, bench_escape_language language, const char *text)
{
    sink s = {.file = out};
    writers[language](&s, text);
}

void bench_escape_csv(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_CSV, text); }
void bench_escape_gnuplot(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_GNUPLOT, text); }
void bench_escape_gnuplot_comment(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_GNUPLOT_COMMENT, text); }
void bench_escape_gnuplot_data(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_GNUPLOT_DATA, text); }
void bench_escape_html(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_HTML, text); }
void bench_escape_latex(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_LATEX, text); }
void bench_escape_latex_label(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_LATEX_LABEL, text); }
void bench_escape_markdown(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_MARKDOWN, text); }
void bench_escape_url_path(FILE *out, const char *text) { write_file(out, BENCH_ESCAPE_URL_PATH, text); }

size_t bench_escape_buffer(char *out, size_t size, bench_escape_language language, const char *text)
{
    sink s = {.buffer = out, .size = size};
    if ((size_t)language < sizeof writers / sizeof writers[0])
        writers[language](&s, text);
    if (size > 0)
        out[s.length < size ? s.length : 0] = '\0';
    return s.length;
}
