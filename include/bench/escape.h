/* Escaping of untrusted text for every language bench writes.
 *
 * Series names, dataset labels, model variants, class names and metric names
 * come from user data and configuration files, and they reach gnuplot scripts,
 * CSV files, HTML pages, XML annotations, LaTeX and Markdown tables.  Each of
 * those languages has its own active characters (gnuplot runs `backquoted`
 * text as a shell command inside double-quoted strings; LaTeX runs \input;
 * HTML runs <script>), so every writer goes through the one function here for
 * its language instead of escaping by hand.
 *
 * The FILE variants write the escaped text to out; a write error stays in
 * ferror(out), which writers check once after the whole document.  Text is
 * bytes: UTF-8 passes through unchanged. */
#ifndef BENCH_ESCAPE_H
#define BENCH_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One CSV field (RFC 4180): quoted when it holds a comma, a double quote, CR
 * or LF, or starts or ends with a space or tab (libcsv trims those from
 * unquoted fields); a quote inside is doubled.  Line breaks stay inside the
 * quotes, so a CSV reader (libcsv, reports/csv_file.h) reads the exact text
 * back and the row is never split. */
void bench_escape_csv(FILE *out, const char *text);

/* A gnuplot string literal, quotes included: single-quoted, because gnuplot
 * substitutes `command` and processes \ escapes inside double quotes but not
 * inside single quotes.  A single quote is doubled; line breaks and other
 * control characters (which would end the command) become spaces.  Enhanced
 * text markup (^ _ @ & { } ~) is left alone: write `noenhanced` after titles
 * and labels so it shows literally whatever the terminal's setting. */
void bench_escape_gnuplot(FILE *out, const char *text);

/* The text of a '#' comment in a gnuplot script or data file (after "# ",
 * before the newline): line breaks and control characters become spaces, and a
 * final backslash gets a '.' after it, since gnuplot continues a line ending
 * in a backslash, comments included, onto the next line. */
void bench_escape_gnuplot_comment(FILE *out, const char *text);

/* A string column of a gnuplot data file: a word without blanks, quotes or '#'
 * as it is, anything else in double quotes.  gnuplot's data-file reader has no
 * escape for a double quote inside one, so a double quote becomes a single
 * quote (the one lossy escape here: use it for columns people read, and put
 * exact labels in the script with bench_escape_gnuplot); control characters
 * become spaces. */
void bench_escape_gnuplot_data(FILE *out, const char *text);

/* HTML or XML text, valid both between tags and in a quoted attribute value:
 * & < > " ' become &amp; &lt; &gt; &quot; &#39;. */
void bench_escape_html(FILE *out, const char *text);

/* LaTeX text (also inside \caption, \multirow and tabular cells): the ten
 * special characters \ { } $ & # ^ _ % ~ are printed, not interpreted (so
 * "\input{x}" prints as typed); < > | get their text commands (in OT1 fonts
 * they would print as other glyphs), [ and ] are braced (a row starting with
 * "[" would be read as the optional argument of the previous row's \\), and
 * line breaks and control characters become spaces. */
void bench_escape_latex(FILE *out, const char *text);

/* A LaTeX \label / \ref key: letters, digits, '-', ':' and '.' are kept,
 * every other byte becomes '-'. */
void bench_escape_latex_label(FILE *out, const char *text);

/* Markdown inline text, also a GFM table cell: \ | * _ ` [ ] ~ are
 * backslash-escaped (no emphasis, code, links or cell breaks), & < > become
 * entities (no raw HTML), and line breaks and control characters become
 * spaces (a table row is one line). */
void bench_escape_markdown(FILE *out, const char *text);

/* A relative URL path (an href to a file of the run): letters, digits and
 * - _ . ~ / are kept, every other byte is percent-encoded. */
void bench_escape_url_path(FILE *out, const char *text);

/* The signature all the writers above share, for tables of formats. */
typedef void (*bench_escape_fn)(FILE *out, const char *text);

/* The languages, for bench_escape_buffer. */
typedef enum bench_escape_language {
    BENCH_ESCAPE_CSV,
    BENCH_ESCAPE_GNUPLOT,
    BENCH_ESCAPE_GNUPLOT_COMMENT,
    BENCH_ESCAPE_GNUPLOT_DATA,
    BENCH_ESCAPE_HTML,
    BENCH_ESCAPE_LATEX,
    BENCH_ESCAPE_LATEX_LABEL,
    BENCH_ESCAPE_MARKDOWN,
    BENCH_ESCAPE_URL_PATH,
} bench_escape_language;

/* Escape text into the caller's buffer out[0..size), NUL-terminated, exactly
 * as the FILE variant of language would write it.  Returns the length of the
 * whole escaped text (without the NUL), like snprintf: the result is complete
 * only when the return value is < size.  When it is not, out holds "" (when
 * size > 0), never a truncated escape such as "&am" or an unclosed quote. */
size_t bench_escape_buffer(char *out, size_t size, bench_escape_language language, const char *text);

#ifdef __cplusplus
}
#endif
#endif
