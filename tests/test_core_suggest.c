/* "Did you mean": the nearest known name for typos, nothing for unrelated names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/suggest.h"
#include "support_cmocka.h"

static void nearest_name_for_typos(void **state)
{
    (void)state;
    const char *keys[] = {"window", "horizons", "borders", "scale", "series"};
    assert_string_equal(bench_suggest("horizon", keys, 5), "horizons");   /* dropped plural */
    assert_string_equal(bench_suggest("windw", keys, 5), "window");       /* deletion */
    assert_string_equal(bench_suggest("bordres", keys, 5), "borders");    /* transposition */
    assert_string_equal(bench_suggest("SCALE", keys, 5), "scale");        /* case only */
    assert_null(bench_suggest("learning_rate", keys, 5));                 /* unrelated */
    assert_null(bench_suggest("x", keys, 5));
    assert_null(bench_suggest("", keys, 5));
    assert_null(bench_suggest("window", keys, 0));
}

static void phrase_from_a_comma_list(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(bench_suggest_phrase(out, sizeof out, "ltfs", "paper, ltsf, m4"), " (did you mean 'ltsf'?)");
    assert_string_equal(bench_suggest_phrase(out, sizeof out, "gbrtt", "naive,gbrt,gbrt_naive"),
                        " (did you mean 'gbrt'?)");
    assert_string_equal(bench_suggest_phrase(out, sizeof out, "transformer", "paper, ltsf, m4"), "");
    assert_string_equal(bench_suggest_phrase(out, sizeof out, "ltsf", ""), "");
    char tiny[8];
    bench_suggest_phrase(tiny, sizeof tiny, "ltfs", "ltsf");
    assert_int_equal(strlen(tiny), 7); /* truncated, still terminated */
}

TEST_MAIN("core_suggest", NULL, NULL,
          cmocka_unit_test(nearest_name_for_typos),
          cmocka_unit_test(phrase_from_a_comma_list))
