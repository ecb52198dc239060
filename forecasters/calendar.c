/* Calendar covariates (see calendar.h for the definition of each feature). */
#include "forecasters/calendar.h"

#include <math.h>
#include <string.h>
#include <time.h>

typedef enum { MONTH, DAY, HOUR, MINUTE, DAY_OF_WEEK, DAY_OF_YEAR, WEEK_OF_YEAR, FEATURE_COUNT } feature_id;

static const char *const feature_names[FEATURE_COUNT] = {
    "month", "day", "hour", "minute", "day_of_week", "day_of_year", "week_of_year",
};

const char *bench_calendar_feature_list(void)
{
    return "month, day, hour, minute, day_of_week, day_of_year, week_of_year";
}

static int feature_index(const char *name)
{
    for (int i = 0; i < FEATURE_COUNT; i++)
        if (strcmp(name, feature_names[i]) == 0)
            return i;
    return -1;
}

int bench_calendar_validate(const char *const *names, size_t count, bench_error *error)
{
    for (size_t j = 0; j < count; j++) {
        if (names[j] == NULL || feature_index(names[j]) < 0)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "unknown calendar covariate '%s' (known: %s)",
                              names[j] ? names[j] : "(null)", bench_calendar_feature_list());
        for (size_t i = 0; i < j; i++)
            if (strcmp(names[i], names[j]) == 0)
                return BENCH_FAIL(error, BENCH_BAD_INPUT, "calendar covariate '%s' is listed twice", names[j]);
    }
    return BENCH_OK;
}

/* Weekday (0 = Sunday) of 31 December of `year`; a year has ISO week 53 exactly
 * when it ends on a Thursday, or on a Friday in a leap year — equivalently when
 * this value is 4, or the previous year's is 3. */
static long december_31_weekday(long year)
{
    return (year + year / 4 - year / 100 + year / 400) % 7;
}

static int iso_weeks_in_year(long year)
{
    return (december_31_weekday(year) == 4 || december_31_weekday(year - 1) == 3) ? 53 : 52;
}

/* ISO 8601 week number, what pandas' Series.dt.week returned. */
static int iso_week(const struct tm *when)
{
    long year = (long)when->tm_year + 1900;
    int iso_weekday = (when->tm_wday + 6) % 7 + 1; /* Monday 1 .. Sunday 7 */
    int week = (when->tm_yday + 1 - iso_weekday + 10) / 7;
    if (week < 1)
        return iso_weeks_in_year(year - 1);
    if (week > iso_weeks_in_year(year))
        return 1;
    return week;
}

static double raw_feature(feature_id id, const struct tm *when)
{
    switch (id) {
    case MONTH: return when->tm_mon + 1;
    case DAY: return when->tm_mday;
    case HOUR: return when->tm_hour;
    case MINUTE: return when->tm_min;
    case DAY_OF_WEEK: return (when->tm_wday + 6) % 7; /* pandas: Monday = 0 */
    case DAY_OF_YEAR: return when->tm_yday + 1;
    case WEEK_OF_YEAR: return iso_week(when);
    default: return 0;
    }
}

int bench_calendar_covariates(float *out, const int64_t *timestamps, size_t length,
                              const char *const *names, size_t count, bench_error *error)
{
    int status = bench_calendar_validate(names, count, error);
    if (status != BENCH_OK)
        return status;
    if (count == 0 || length == 0)
        return BENCH_OK;
    if (timestamps == NULL)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "calendar covariates need timestamps, and the series has none");
    feature_id ids[FEATURE_COUNT];
    double lowest[FEATURE_COUNT], highest[FEATURE_COUNT];
    for (size_t j = 0; j < count; j++) {
        ids[j] = (feature_id)feature_index(names[j]);
        lowest[j] = INFINITY;
        highest[j] = -INFINITY;
    }
    /* Raw integer features are small and exact in float, so the first pass stores
     * them in out and the second pass scales in place. */
    for (size_t t = 0; t < length; t++) {
        time_t seconds = (time_t)timestamps[t];
        struct tm when;
        if ((int64_t)seconds != timestamps[t] || gmtime_r(&seconds, &when) == NULL)
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "timestamp %lld (row %zu) is out of range",
                              (long long)timestamps[t], t);
        for (size_t j = 0; j < count; j++) {
            double value = raw_feature(ids[j], &when);
            out[t * count + j] = (float)value;
            if (value < lowest[j])
                lowest[j] = value;
            if (value > highest[j])
                highest[j] = value;
        }
    }
    for (size_t j = 0; j < count; j++) {
        /* sklearn's _handle_zeros_in_scale: a zero range divides by 1. */
        double range = highest[j] - lowest[j];
        double scale = range > 0 ? 1.0 / range : 1.0;
        for (size_t t = 0; t < length; t++)
            out[t * count + j] = (float)((out[t * count + j] - lowest[j]) * scale - 0.5);
    }
    return BENCH_OK;
}

static const char *const subset_daily[] = {"month", "day", "day_of_week", "day_of_year", "week_of_year"};
static const char *const subset_hourly[] = {"month", "day", "hour", "day_of_week", "day_of_year", "week_of_year"};
static const char *const subset_pems[] = {"month", "day", "hour", "minute", "day_of_week", "day_of_year",
                                          "week_of_year"};

static const struct {
    const char *dataset;
    const char *const *names;
    size_t count;
} dataset_subsets[] = {
    {"exchange_rate", subset_daily, sizeof subset_daily / sizeof subset_daily[0]},
    {"electricity", subset_hourly, sizeof subset_hourly / sizeof subset_hourly[0]},
    {"traffic", subset_hourly, sizeof subset_hourly / sizeof subset_hourly[0]},
    {"solar_AL", subset_hourly, sizeof subset_hourly / sizeof subset_hourly[0]},
    {"pemsd7", subset_pems, sizeof subset_pems / sizeof subset_pems[0]},
};

int bench_calendar_dataset_subset(const char *dataset, const char *const **names, size_t *count,
                                  bench_error *error)
{
    for (size_t i = 0; i < sizeof dataset_subsets / sizeof dataset_subsets[0]; i++)
        if (dataset != NULL && strcmp(dataset, dataset_subsets[i].dataset) == 0) {
            *names = dataset_subsets[i].names;
            *count = dataset_subsets[i].count;
            return BENCH_OK;
        }
    return BENCH_FAIL(error, BENCH_NOT_FOUND,
                      "no calendar covariate subset is defined for dataset '%s' "
                      "(defined: exchange_rate, electricity, traffic, solar_AL, pemsd7)",
                      dataset ? dataset : "(null)");
}
