/* "Did you mean …?": the nearest known name to a misspelt one, by edit distance.
 * Every "unknown X" message in bench lists what exists and, through these
 * functions, the one name the user most likely meant. */
#ifndef BENCH_SUGGEST_H
#define BENCH_SUGGEST_H

#include <stddef.h>

/* The candidate nearest to name (Levenshtein distance, case-insensitive, an
 * adjacent transposition counting as one edit), or NULL when none is close
 * enough to be a plausible typo: distance at most max(1, strlen(name) / 3), or
 * one name being the other plus a plural "s".  Ties go to the earlier candidate.
 * The result points into candidates (the caller's). */
const char *bench_suggest(const char *name, const char *const *candidates, size_t count);

/* The same over a list in one string, items separated by commas and/or spaces
 * ("paper, ltsf, m4").  Writes " (did you mean 'ltsf'?)" into out when a
 * candidate is close enough, else the empty string; returns out. */
const char *bench_suggest_phrase(char *out, size_t size, const char *name, const char *list);

#endif
