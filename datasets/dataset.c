/* The dataset registry, file lookup and loading.
 *
 * Seasonal periods: M4 conventions for M4 (hourly 24, weekly 1); the daily
 * cycle for hourly data (24) and 10-minute data (144); the year for weekly and
 * monthly series with an annual cycle (ILI, co2: 52; monthly: 12); 1 for yearly
 * data (M4's yearly convention; the ~11-year sunspot cycle is not a fixed
 * period).  Exchange-Rate: 5, a trading week — the file holds quotes of trading
 * days only (about 281 rows per year), so a calendar week of 7 rows would cross
 * weekends that are not in the data; the synthetic calendar dates the GBRT code
 * attaches (daily from 1990-01-01) are kept as they are, for the covariates.
 *
 * Debian-packaged series ("deb:PACKAGE:PATH") are what `make bench` uses offline;
 * their checksums are those of Debian 12's packages (python3-vega-datasets
 * 0.9+dfsg-1, python3-statsmodels 0.13.5+dfsg-7). */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/suggest.h"
#include "datasets/dataset.h"
#include "datasets/format.h"

#define GITHUB_RAW "https://raw.githubusercontent.com/"
#define ETT_COMMIT GITHUB_RAW "zhouhaoyi/ETDataset/1d16c8f4f943005d613b5bc962e9eeb06058cf07/ETT-small/"
#define LSTNET_COMMIT GITHUB_RAW "laiguokun/multivariate-time-series-data/7f402f185cc2435b5e66aed13a3b560ed142e023/"
#define M4_COMMIT GITHUB_RAW "Mcompetitions/M4-methods/6c1067e5a57161249b17289a565178dc7a3fb3ca/Dataset/"
#define ILI_URL                                                                                                 \
    GITHUB_RAW "junwoopark92/Self-Supervised-Contrastive-Forecsating/f394705adbf5217811276f5e59576c6e7ea7586c/" \
               "dataset/illness/national_illness.csv"
#define VEGA_DEB "deb:python3-vega-datasets:usr/lib/python3/dist-packages/vega_datasets/_data/"
#define STATSMODELS_DEB "deb:python3-statsmodels:usr/lib/python3/dist-packages/statsmodels/datasets/"

#define HOUR 3600.0
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)

static const bench_dataset_info registry[] = {
    {
        .name = "ETTh1", .format = "csv_dated", .files = {"ETTh1.csv"},
        .urls = {ETT_COMMIT "ETTh1.csv"},
        .sha256 = {"f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066"},
        .source = "http", .frequency = "hourly", .step_seconds = HOUR, .seasonal_period = 24,
        .default_protocol = "ltsf", .date_column = "date", .timestamp_format = "%Y-%m-%d %H:%M:%S",
        .length = 17420, .series_count = 7,
        .description = "Electricity Transformer Temperature, transformer 1, hourly, 2016-07..2018-06 (CC BY-ND 4.0)",
    },
    {
        .name = "ETTh2", .format = "csv_dated", .files = {"ETTh2.csv"},
        .urls = {ETT_COMMIT "ETTh2.csv"},
        .sha256 = {"a3dc2c597b9218c7ce1cd55eb77b283fd459a1d09d753063f944967dd6b9218b"},
        .source = "http", .frequency = "hourly", .step_seconds = HOUR, .seasonal_period = 24,
        .default_protocol = "ltsf", .date_column = "date", .timestamp_format = "%Y-%m-%d %H:%M:%S",
        .length = 17420, .series_count = 7,
        .description = "Electricity Transformer Temperature, transformer 2, hourly (CC BY-ND 4.0)",
    },
    {
        .name = "exchange_rate", .format = "lstnet", .files = {"exchange_rate.txt.gz"},
        .urls = {LSTNET_COMMIT "exchange_rate/exchange_rate.txt.gz"},
        .sha256 = {"6a4fbb561dcdee43f071a83badbeec9223a335552278348656738b556f1c2e9d"},
        .source = "http", .frequency = "daily", .step_seconds = DAY, .seasonal_period = 5,
        .default_protocol = "paper", .start_date = "1990-01-01",
        .length = 7588, .series_count = 8,
        .description = "daily exchange rates of 8 currencies, 1990-2016 (LSTNet); synthetic dates from 1990-01-01",
    },
    {
        .name = "national_illness", .format = "csv_dated", .files = {"national_illness.csv"},
        .urls = {ILI_URL},
        .sha256 = {"8594cecb98c6f2f9dc014eca11c4d5d1e38ad5ce6ed0592d4abe65b146fce395"},
        .source = "http", .frequency = "weekly", .step_seconds = WEEK, .seasonal_period = 52,
        .default_protocol = "ltsf", .date_column = "date", .timestamp_format = "%Y-%m-%d %H:%M:%S",
        .length = 966, .series_count = 7,
        .description = "US CDC influenza-like illness, weekly, 2002-2020 (TSLib's national_illness.csv)",
    },
    {
        .name = "m4_hourly", .format = "m4", .files = {"M4-Hourly-train.csv", "M4-Hourly-test.csv"},
        .urls = {M4_COMMIT "Train/Hourly-train.csv", M4_COMMIT "Test/Hourly-test.csv"},
        .sha256 = {"ea59b7783573c49077a835ab6465c7d66f1474783360f310988a9a737fbca62f",
                   "71a57fccb15e534d973626ada4fb87febf789e9317715b7cc6dd3b5f90db6f42"},
        .source = "http", .frequency = "hourly", .step_seconds = HOUR, .seasonal_period = 24,
        .default_protocol = "m4", .length = 0, .series_count = 414,
        .description = "M4 competition, hourly: 414 series of 700-960 points, holdout 48",
    },
    {
        .name = "m4_weekly", .format = "m4", .files = {"M4-Weekly-train.csv", "M4-Weekly-test.csv"},
        .urls = {M4_COMMIT "Train/Weekly-train.csv", M4_COMMIT "Test/Weekly-test.csv"},
        .sha256 = {"d478d3f6ed673e6ed3c2cb0fbed5425f72eedd51318ebebeb0b5ecfcefc37714",
                   "3b2bc4be8e636e802260dcd843ca3c5da40536a1fbe1ecb3229a97dae4f44688"},
        .source = "http", .frequency = "weekly", .step_seconds = WEEK, .seasonal_period = 1,
        .default_protocol = "m4", .length = 0, .series_count = 359,
        .description = "M4 competition, weekly: 359 series, holdout 13",
    },
    {
        .name = "electricity", .format = "lstnet", .files = {"electricity.txt.gz"},
        .urls = {LSTNET_COMMIT "electricity/electricity.txt.gz"},
        .source = "http", .frequency = "hourly", .step_seconds = HOUR, .seasonal_period = 24,
        .default_protocol = "ltsf", .start_date = "2012-01-01",
        .length = 26304, .series_count = 321,
        .description = "hourly consumption of 321 clients, 2012-2014 (LSTNet); synthetic dates from 2012-01-01",
    },
    {
        .name = "traffic", .format = "lstnet", .files = {"traffic.txt.gz"},
        .urls = {LSTNET_COMMIT "traffic/traffic.txt.gz"},
        .source = "http", .frequency = "hourly", .step_seconds = HOUR, .seasonal_period = 24,
        .default_protocol = "ltsf", .start_date = "2012-01-01",
        .length = 17544, .series_count = 862,
        .description = "hourly occupancy of 862 San Francisco freeway sensors (LSTNet); synthetic dates",
    },
    {
        .name = "solar_AL", .format = "lstnet", .files = {"solar_AL.txt.gz"},
        .urls = {LSTNET_COMMIT "solar-energy/solar_AL.txt.gz"},
        .source = "http", .frequency = "10min", .step_seconds = 600, .seasonal_period = 144,
        .default_protocol = "ltsf", .start_date = "2006-01-01", .synthetic_step_seconds = HOUR,
        .length = 52560, .series_count = 137,
        .description = "10-minute output of 137 Alabama PV plants, 2006 (LSTNet); synthetic dates step 1 h as "
                       "the GBRT code does",
    },
    /* ---- Debian-packaged series: the offline default benchmark ---- */
    {
        .name = "seattle_temps", .format = "csv_dated", .files = {"seattle-temps.csv"},
        .sha256 = {"c220666521ff4bec4ffb6f0d9acfdc5c1056564b1aad6f78d3b06aa0a0c8b085"},
        .source = VEGA_DEB "seattle-temps.csv", .frequency = "hourly", .step_seconds = HOUR,
        .seasonal_period = 24, .default_protocol = "ltsf", .date_column = "date",
        .timestamp_format = "%Y/%m/%d %H:%M", .missing_policy = "interpolate",
        .length = 8760, .series_count = 1,
        .description = "Seattle hourly temperature (F), 2010, local time; the skipped DST hour is interpolated. "
                       "Smooth like climate normals: same hour on consecutive days differs by 0.16 F on average",
    },
    {
        .name = "sf_temps", .format = "csv_dated", .files = {"sf-temps.csv"},
        .sha256 = {"3f91699707cfed43ef551394bebef4c2ebe5505157b9be7bff9558eea2fbaaec"},
        .source = VEGA_DEB "sf-temps.csv", .frequency = "hourly", .step_seconds = HOUR,
        .seasonal_period = 24, .default_protocol = "ltsf", .date_column = "date",
        .timestamp_format = "%Y/%m/%d %H:%M:%S", .missing_policy = "interpolate",
        .length = 8760, .series_count = 1,
        .description = "San Francisco hourly temperature (F), 2010, `temp,date`; the skipped DST hour is "
                       "interpolated. Smooth like climate normals (seasonal naive is nearly exact)",
    },
    {
        .name = "co2", .format = "csv_dated", .files = {"co2.csv"},
        .sha256 = {"16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f"},
        .source = STATSMODELS_DEB "co2/co2.csv", .frequency = "weekly", .step_seconds = WEEK,
        .seasonal_period = 52, .default_protocol = "ltsf", .date_column = "date", .timestamp_format = "%Y%m%d",
        .missing_policy = "interpolate", .length = 2284, .series_count = 1,
        .description = "Mauna Loa weekly CO2 (ppm), 1958-2001; 59 empty cells interpolated",
    },
    {
        .name = "sunspots", .format = "csv_dated", .files = {"sunspots.csv"},
        .sha256 = {"f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b"},
        .source = STATSMODELS_DEB "sunspots/sunspots.csv", .frequency = "yearly", .seasonal_period = 1,
        .default_protocol = "ltsf", .date_column = "YEAR", .timestamp_format = "%Y",
        .length = 309, .series_count = 1,
        .description = "yearly sunspot numbers, 1700-2008",
    },
    {
        .name = "nile", .format = "csv_dated", .files = {"nile.csv"},
        .sha256 = {"88e97bea7249e5832a85e41aec6ce4b8f7b1b14aae930c8363da7f193286b598"},
        .source = STATSMODELS_DEB "nile/nile.csv", .frequency = "yearly", .seasonal_period = 1,
        .default_protocol = "ltsf", .date_column = "year", .timestamp_format = "%Y",
        .length = 100, .series_count = 1,
        .description = "yearly Nile flow at Aswan (1e8 m^3), 1871-1970",
    },
    {
        .name = "elec_equip", .format = "csv_dated", .files = {"elec_equip.csv"},
        .sha256 = {"fb0e86774484d2c9179374377041600ffd25ea0236aeaf7d293bf2df5ae86369"},
        .source = STATSMODELS_DEB "elec_equip/elec_equip.csv", .frequency = "monthly", .seasonal_period = 12,
        .default_protocol = "ltsf", .date_column = "DATE", .timestamp_format = "%b-%d-%Y",
        .length = 257, .series_count = 1,
        .description = "euro-area electrical equipment orders index, monthly, 1995-2016",
    },
    {
        .name = "stocks", .format = "long", .files = {"stocks.csv"},
        .sha256 = {"f9953ac6693e587476b4ebf2f0b00d9bb95371ca8c39da4cc6155077b3e417cd"},
        .source = VEGA_DEB "stocks.csv", .frequency = "monthly", .seasonal_period = 12,
        .default_protocol = "ltsf", .series_column = "symbol", .date_column = "date", .columns = "price",
        .timestamp_format = "%b %d %Y", .length = 0, .series_count = 5,
        .description = "monthly prices of 5 tech stocks, 2000-2010, long format (GOOG starts 2004)",
    },
};

size_t bench_dataset_registry(const bench_dataset_info **entries)
{
    *entries = registry;
    return sizeof registry / sizeof registry[0];
}

const bench_dataset_info *bench_dataset_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i].name, name) == 0)
            return &registry[i];
    return NULL;
}

/* "unknown dataset 'x' (did you mean 'y'?); known: ETTh1, ..." */
int bench_dataset_fail_unknown(const char *name, bench_error *error)
{
    char known[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
        int wrote = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", registry[i].name);
        if (wrote > 0 && (size_t)wrote < sizeof known - used)
            used += (size_t)wrote;
    }
    char hint[128] = "";
    if (name != NULL)
        bench_suggest_phrase(hint, sizeof hint, name, known);
    return BENCH_FAIL(error, BENCH_NOT_FOUND, "unknown dataset '%s'%s; known: %s", name ? name : "(none)", hint,
                      known);
}

int bench_dataset_file_count(const bench_dataset_info *info)
{
    const bench_format *format;
    if (info == NULL || bench_format_find(info->format, &format, NULL) != BENCH_OK)
        return info != NULL && info->files[1] != NULL ? 2 : 1;
    return format->file_count;
}

int bench_dataset_cache_dir(char *path, size_t path_size, bench_error *error)
{
    const char *explicit_dir = getenv("BENCH_DATA_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int wrote;
    if (explicit_dir != NULL && explicit_dir[0] != '\0')
        wrote = snprintf(path, path_size, "%s", explicit_dir);
    else if (xdg != NULL && xdg[0] == '/')
        wrote = snprintf(path, path_size, "%s/bench", xdg);
    else if (home != NULL && home[0] != '\0')
        wrote = snprintf(path, path_size, "%s/.cache/bench", home);
    else
        return BENCH_FAIL(error, BENCH_NOT_FOUND, "no data cache: set BENCH_DATA_DIR (HOME is not set)");
    if (wrote < 0 || (size_t)wrote >= path_size)
        return BENCH_FAIL(error, BENCH_BAD_INPUT, "data cache path too long");
    return BENCH_OK;
}

static int join_path(char *out, size_t size, const char *dir, size_t dir_length, const char *file)
{
    while (dir_length > 1 && dir[dir_length - 1] == '/')
        dir_length--;
    int wrote = snprintf(out, size, "%.*s/%s", (int)dir_length, dir, file);
    return wrote >= 0 && (size_t)wrote < size ? 0 : -1;
}

int bench_dataset_locate(const bench_dataset_info *info, int index, char *path, size_t path_size,
                         bench_error *error)
{
    if (info == NULL || index < 0 || index > 1 || info->files[index] == NULL)
        return BENCH_FAIL(error, BENCH_INTERNAL, "%s: no file %d", info && info->name ? info->name : "dataset", index);
    const char *file = info->files[index];
    const char *search = getenv("BENCH_DATA_PATH");
    for (const char *cursor = search; cursor != NULL && *cursor;) {
        size_t length = strcspn(cursor, ":");
        if (length > 0 && join_path(path, path_size, cursor, length, file) == 0 && access(path, R_OK) == 0)
            return BENCH_OK;
        cursor += length + (cursor[length] == ':');
    }
    char cache[PATH_MAX];
    int status = bench_dataset_cache_dir(cache, sizeof cache, error);
    if (status != BENCH_OK)
        return status;
    if (join_path(path, path_size, cache, strlen(cache), file) == 0 && access(path, R_OK) == 0)
        return BENCH_OK;
    path[0] = '\0';
    /* The local name may differ from the upstream one (M4's Weekly-train.csv is
     * kept as M4-Weekly-train.csv): a hand-downloaded file must be renamed. */
    const char *url = info->urls[index];
    const char *upstream = url != NULL && strrchr(url, '/') != NULL ? strrchr(url, '/') + 1 : NULL;
    char renamed[512] = "";
    if (upstream != NULL && strcmp(upstream, file) != 0)
        snprintf(renamed, sizeof renamed, " (upstream it is called %s: a copy downloaded by hand must be saved as %s)",
                 upstream, file);
    return BENCH_FAIL(error, BENCH_NOT_FOUND,
                      "%s: %s not found in BENCH_DATA_PATH (%s) nor in the cache %s%s; run `bench data fetch %s`",
                      info->name, file, search && *search ? search : "unset", cache, renamed, info->name);
}

void bench_dataset_free(bench_dataset *dataset)
{
    if (dataset == NULL)
        return;
    for (size_t s = 0; dataset->series != NULL && s < dataset->series_count; s++) {
        bench_series *series = &dataset->series[s];
        free(series->name);
        free(series->values);
        free(series->holdout);
        if (series->timestamps != dataset->timestamps)
            free(series->timestamps);
    }
    free(dataset->series);
    free(dataset->timestamps);
    free(dataset->name);
    free(dataset);
}

/* One series' values (read from path) must survive the arithmetic every
 * protocol and metric does on them: the z-score's mean and standard deviation
 * and squared errors.  With values of ±1e200 the variance overflows to inf, the
 * z-scores all become 0 and every model scores MSE 0 with status ok, so such a
 * column is refused here, where its file and name are known.  The readers
 * already refuse single values whose square overflows, with their line; this
 * also covers sums over many large values. */
static int check_magnitudes(const double *values, size_t count, const char *path, const char *column,
                            bench_error *error)
{
    if (count == 0)
        return BENCH_OK;
    const double largest_square_root = sqrt(DBL_MAX);
    double sum = 0.0, largest = 0.0;
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(values[i]) || fabs(values[i]) > largest_square_root)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s: column '%s': value %g (number %zu of the column) is %s; rescale the column",
                              path, column, values[i], i + 1,
                              isfinite(values[i]) ? "too large: its square overflows a double" : "not finite");
        sum += values[i];
        largest = fmax(largest, fabs(values[i]));
    }
    double mean = sum / (double)count;
    double spread = 0.0;
    for (size_t i = 0; i < count && isfinite(mean); i++)
        spread += (values[i] - mean) * (values[i] - mean);
    if (!isfinite(mean) || !isfinite(spread))
        return BENCH_FAIL(error, BENCH_BAD_INPUT,
                          "%s: column '%s': its %s overflows a double (values up to %g in magnitude), so its "
                          "standard deviation and squared errors cannot be computed; rescale the column",
                          path, column, isfinite(mean) ? "sum of squared deviations" : "sum", largest);
    return BENCH_OK;
}

int bench_dataset_load_path(bench_dataset **out, const bench_dataset_info *info, const char *const paths[2],
                            bench_error *error)
{
    *out = NULL;
    const char *label = info != NULL && info->name != NULL ? info->name : "dataset";
    const bench_format *format;
    int status = bench_format_find(info ? info->format : NULL, &format, error);
    if (status != BENCH_OK)
        return bench_error_prefix(error, "%s: ", label);
    for (int i = 0; i < format->file_count; i++)
        if (paths == NULL || paths[i] == NULL || strlen(paths[i]) >= sizeof((bench_dataset *)0)->path[i])
            return BENCH_FAIL(error, BENCH_BAD_INPUT, "%s: the %s format reads %d file(s); file %d %s", label,
                              format->name, format->file_count, i + 1,
                              paths && paths[i] ? "has too long a path" : "is missing");
    bench_dataset *dataset = calloc(1, sizeof *dataset);
    if (dataset == NULL || (dataset->name = strdup(label)) == NULL) {
        free(dataset);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "%s: out of memory", label);
    }
    status = format->load(dataset, info, paths, error);
    if (status != BENCH_OK) {
        bench_dataset_free(dataset);
        return bench_error_prefix(error, "%s: ", label);
    }
    for (size_t s = 0; status == BENCH_OK && s < dataset->series_count; s++) {
        const bench_series *series = &dataset->series[s];
        const char *name = series->name ? series->name : "?";
        status = check_magnitudes(series->values, series->length, paths[0], name, error);
        if (status == BENCH_OK && series->holdout != NULL)
            status = check_magnitudes(series->holdout, series->holdout_length,
                                      format->file_count > 1 ? paths[1] : paths[0], name, error);
    }
    if (status != BENCH_OK) {
        bench_dataset_free(dataset);
        return bench_error_prefix(error, "%s: ", label);
    }
    dataset->step_seconds = info->step_seconds;
    dataset->seasonal_period = info->seasonal_period > 0 ? info->seasonal_period : 1;
    for (int i = 0; i < format->file_count; i++) {
        snprintf(dataset->path[i], sizeof dataset->path[i], "%s", paths[i]);
        /* A checksum is recorded when libcrypto is linked; otherwise "" as documented. */
        bench_error ignored = {0};
        if (bench_sha256_file(paths[i], dataset->sha256[i], &ignored) != BENCH_OK)
            dataset->sha256[i][0] = '\0';
    }
    *out = dataset;
    return BENCH_OK;
}

int bench_dataset_load(bench_dataset **out, const char *name, bench_error *error)
{
    *out = NULL;
    const bench_dataset_info *info = bench_dataset_find(name);
    if (info == NULL)
        return bench_dataset_fail_unknown(name, error);
    char located[2][PATH_MAX];
    const char *paths[2] = {NULL, NULL};
    for (int i = 0; i < bench_dataset_file_count(info); i++) {
        int status = bench_dataset_locate(info, i, located[i], sizeof located[i], error);
        if (status != BENCH_OK)
            return status;
        paths[i] = located[i];
    }
    int status = bench_dataset_load_path(out, info, paths, error);
    if (status != BENCH_OK)
        return status;
    (*out)->registered = 1;
    /* Recorded, not refused: `bench data verify` must still load a modified copy
     * to report it, and only the caller knows whether the user allowed it.  An
     * uncomputed checksum ("") cannot be compared and is not flagged. */
    for (int i = 0; i < bench_dataset_file_count(info); i++)
        (*out)->modified[i] = info->sha256[i] != NULL && (*out)->sha256[i][0] != '\0' &&
                              strcmp(info->sha256[i], (*out)->sha256[i]) != 0;
    return BENCH_OK;
}
