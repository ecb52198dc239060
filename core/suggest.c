/* Nearest-name suggestions for "unknown X" messages (see suggest.h). */
#include "core/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Names longer than this are not typos of anything we know. */
#define SUGGEST_MAX_LENGTH 64

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions),
 * case-insensitive; SIZE_MAX-free because both lengths are capped. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t rows[3][SUGGEST_MAX_LENGTH + 1];
    size_t *before = rows[0], *previous = rows[1], *current = rows[2];
    for (size_t j = 0; j <= lb; j++)
        previous[j] = j;
    for (size_t i = 1; i <= la; i++) {
        current[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t best = previous[j - 1] + (ca != cb);
            if (previous[j] + 1 < best)
                best = previous[j] + 1;
            if (current[j - 1] + 1 < best)
                best = current[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) == cb &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            current[j] = best;
        }
        size_t *spare = before;
        before = previous;
        previous = current;
        current = spare;
    }
    return previous[lb];
}

/* How far apart two names may be and still read as a typo of each other. */
static int close_enough(const char *name, size_t length, const char *candidate, size_t candidate_length,
                        size_t distance)
{
    size_t allowed = length / 3 > 1 ? length / 3 : 1;
    if (distance <= allowed)
        return 1;
    /* "horizon" for "horizons", "seed" for "seeds": a dropped plural is always a typo. */
    return (candidate_length == length + 1 && candidate[length] == 's' && !strncasecmp(candidate, name, length)) ||
           (length == candidate_length + 1 && name[candidate_length] == 's' && !strncasecmp(candidate, name, candidate_length));
}

static const char *nearest(const char *name, const char *const *candidates, const size_t *lengths, size_t count)
{
    size_t length = strlen(name);
    if (length == 0 || length > SUGGEST_MAX_LENGTH)
        return NULL;
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; i < count; i++) {
        size_t candidate_length = lengths ? lengths[i] : strlen(candidates[i]);
        if (candidate_length == 0 || candidate_length > SUGGEST_MAX_LENGTH)
            continue;
        size_t distance = edit_distance(name, length, candidates[i], candidate_length);
        if (candidate_length == length && !strncmp(candidates[i], name, length))
            continue; /* the name itself: nothing to suggest */
        if (distance < best_distance && close_enough(name, length, candidates[i], candidate_length, distance)) {
            best = candidates[i];
            best_distance = distance;
        }
    }
    return best;
}

const char *bench_suggest(const char *name, const char *const *candidates, size_t count)
{
    if (name == NULL || candidates == NULL)
        return NULL;
    return nearest(name, candidates, NULL, count);
}

const char *bench_suggest_phrase(char *out, size_t size, const char *name, const char *list)
{
    if (size == 0)
        return out;
    out[0] = '\0';
    if (name == NULL || list == NULL)
        return out;
    /* Split the list into (pointer, length) items without copying it. */
    enum { MAX_ITEMS = 512 };
    const char *items[MAX_ITEMS];
    size_t lengths[MAX_ITEMS], count = 0;
    for (const char *cursor = list; *cursor && count < MAX_ITEMS;) {
        cursor += strspn(cursor, ", \t\n");
        size_t length = strcspn(cursor, ", \t\n");
        if (length == 0)
            break;
        items[count] = cursor;
        lengths[count++] = length;
        cursor += length;
    }
    const char *best = nearest(name, items, lengths, count);
    if (best != NULL) {
        size_t index = 0;
        while (items[index] != best)
            index++;
        snprintf(out, size, " (did you mean '%.*s'?)", (int)lengths[index], best);
    }
    return out;
}
