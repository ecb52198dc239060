/* Library versions for `bench --version` and run.json (bench/version.h).
 * Run-time queries where a library offers one, so the numbers describe the
 * shared objects actually loaded, not the headers bench was compiled with. */
#include <cblas.h>
#include <curl/curl.h>
#include <gsl/gsl_version.h>
#include <jansson.h>
#include <png.h>
#include <stdio.h>
#include <xgboost/c_api.h>
#include <zlib.h>
#ifdef BENCH_HAVE_JPEG
#include <jpeglib.h>
#endif

#include "bench/version.h"

#define STRINGIFY_VALUE(x) #x
#define STRINGIFY(x) STRINGIFY_VALUE(x)

size_t bench_library_versions(bench_library_version out[BENCH_LIBRARY_VERSION_COUNT])
{
    size_t n = 0;
    int major = 0, minor = 0, patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    out[n].name = "xgboost";
    snprintf(out[n++].version, sizeof out[0].version, "%d.%d.%d", major, minor, patch);
    out[n].name = "openblas";
    snprintf(out[n++].version, sizeof out[0].version, "%s", openblas_get_config());
    out[n].name = "jansson";
    snprintf(out[n++].version, sizeof out[0].version, "%s", JANSSON_VERSION);
    out[n].name = "libcurl";
    snprintf(out[n++].version, sizeof out[0].version, "%s", curl_version());
    out[n].name = "zlib";
    snprintf(out[n++].version, sizeof out[0].version, "%s", zlibVersion());
    out[n].name = "gsl";
    snprintf(out[n++].version, sizeof out[0].version, "%s", gsl_version);
    out[n].name = "libpng";
    snprintf(out[n++].version, sizeof out[0].version, "%s", png_get_libpng_ver(NULL));
    out[n].name = "libjpeg";
#if defined(BENCH_HAVE_JPEG) && defined(LIBJPEG_TURBO_VERSION)
    /* libjpeg has no run-time version query: this is the header bench was built with. */
    snprintf(out[n++].version, sizeof out[0].version, "libjpeg-turbo %s (API %d)", STRINGIFY(LIBJPEG_TURBO_VERSION),
             JPEG_LIB_VERSION);
#elif defined(BENCH_HAVE_JPEG)
    snprintf(out[n++].version, sizeof out[0].version, "API %d", JPEG_LIB_VERSION);
#else
    snprintf(out[n++].version, sizeof out[0].version, "not linked");
#endif
    return n;
}
