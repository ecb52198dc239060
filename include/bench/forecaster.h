/* The forecaster interface: the one vtable every forecaster implements, built-in
 * or loaded from a plugin .so.  A plugin includes only this header (it pulls in
 * error.h and rng.h) and exports
 *
 *     const bench_forecaster *bench_plugin_forecaster(void);
 *
 * Ownership, everywhere below: every view handed to a forecaster is read-only and
 * owned by bench, valid only during the call that receives it; every output
 * buffer is allocated by bench and sized as documented; the model object is
 * allocated by create()/load() and freed by destroy(). */
#ifndef BENCH_FORECASTER_H
#define BENCH_FORECASTER_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "bench/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A plugin built against another major version is refused; minor versions add
 * optional slots at the end of the vtable, which bench reads only when present. */
#define BENCH_FORECASTER_ABI_MAJOR 1
#define BENCH_FORECASTER_ABI_MINOR 0
#define BENCH_FORECASTER_ABI_VERSION ((BENCH_FORECASTER_ABI_MAJOR << 16) | BENCH_FORECASTER_ABI_MINOR)
#define BENCH_PLUGIN_ENTRY_SYMBOL "bench_plugin_forecaster"

/* ---- Parameters ------------------------------------------------------------ */

typedef enum {
    BENCH_PARAM_INT,     /* decimal integer within [minimum, maximum] */
    BENCH_PARAM_REAL,    /* finite real within [minimum, maximum] */
    BENCH_PARAM_BOOL,    /* true/false/1/0/yes/no */
    BENCH_PARAM_STRING,  /* one of `choices` ("a|b|c") when choices is not NULL */
    BENCH_PARAM_INT_LIST /* comma-separated integers, each within [minimum, maximum] */
} bench_param_type;

typedef struct bench_param_spec {
    const char *name;
    bench_param_type type;
    const char *default_value; /* text as it would appear in a config */
    const char *doc;           /* one sentence for `bench models` */
    double minimum, maximum;   /* numeric bounds; ignored for strings */
    const char *choices;       /* "|"-separated allowed strings, or NULL */
} bench_param_spec;

/* Resolved parameters: every name of the schema is present, values already
 * checked against type and range by bench before create() is called. */
typedef struct bench_params {
    size_t count;
    const char *const *names;
    const char *const *values;
} bench_params;

/* Typed getters; they fail with BENCH_BAD_INPUT when the name is absent or the
 * text does not parse (cannot happen for a name in the model's own schema). */
int bench_params_get_int(const bench_params *params, const char *name, long *out, bench_error *error);
int bench_params_get_real(const bench_params *params, const char *name, double *out, bench_error *error);
int bench_params_get_bool(const bench_params *params, const char *name, int *out, bench_error *error);
/* The returned string is owned by params. */
int bench_params_get_string(const bench_params *params, const char *name, const char **out, bench_error *error);
/* Fills out[0..*count) (capacity given in *count on entry). */
int bench_params_get_int_list(const bench_params *params, const char *name, long *out, size_t *count,
                              bench_error *error);

/* ---- What the protocol tells a model about its task ------------------------ */

typedef struct bench_task_info {
    const char *dataset;        /* registry name, e.g. "exchange_rate" */
    const char *protocol;       /* "paper", "ltsf", "m4", ... */
    size_t horizon;             /* steps to forecast per window */
    size_t lookback;            /* the protocol's input length (window); 0 = whole history */
    size_t seasonal_period;     /* from the dataset registry; 1 when none */
    double step_seconds;        /* regular sampling interval; 0 when unknown */
    size_t covariate_count;     /* M, columns of every covariates array below */
    const char *const *covariate_names;
    unsigned threads;           /* thread budget of this cell: use exactly this many */
    uint64_t seed;              /* the cell's seed, for models that want their own streams */
} bench_task_info;

/* ---- Data views ------------------------------------------------------------ */

typedef struct bench_series_view {
    const char *name;            /* series identifier */
    size_t length;               /* observations in this view */
    size_t train_length;         /* values[0, train_length) are for fitting; the rest,
                                    up to length, is the protocol's validation part
                                    (early stopping only); equal to length when none */
    const double *values;        /* (length), on the protocol's scale */
    const int64_t *timestamps;   /* (length) unix seconds, or NULL */
    const float *covariates;     /* (length × covariate_count), row-major, or NULL */
} bench_series_view;

typedef struct bench_train_view {
    size_t series_count;
    const bench_series_view *series; /* (series_count) */
} bench_train_view;

/* One forecast origin: predict the `horizon` values that follow history. */
typedef struct bench_forecast_window {
    size_t series_index;        /* index into the training view's series */
    size_t history_length;      /* observations before the origin */
    const double *history;      /* (history_length), oldest first, same scale as training */
    const int64_t *timestamps;  /* (history_length + horizon) or NULL */
    const float *covariates;    /* ((history_length + horizon) × covariate_count) or NULL:
                                   known-in-advance covariates include the horizon steps */
} bench_forecast_window;

typedef struct bench_forecast_request {
    size_t horizon;
    size_t window_count;
    const bench_forecast_window *windows; /* (window_count) */
} bench_forecast_request;

/* ---- The vtable --------------------------------------------------------------- */

typedef struct bench_model bench_model; /* opaque, defined by each forecaster */

typedef struct bench_forecaster {
    uint32_t abi_version;        /* BENCH_FORECASTER_ABI_VERSION */
    const char *name;            /* registry name: [a-z0-9_]+ */
    const char *description;     /* one line */
    const bench_param_spec *params;
    size_t param_count;

    /* Required.  *out is freed by destroy(). */
    int (*create)(bench_model **out, const bench_params *params, const bench_task_info *task,
                  bench_error *error);
    /* Required.  rng is seeded from the cell; the model may keep no pointer to train. */
    int (*fit)(bench_model *model, const bench_train_view *train, bench_rng *rng, bench_error *error);
    /* Required.  out is (window_count × horizon), row-major, owned by the caller. */
    int (*predict)(bench_model *model, const bench_forecast_request *request, bench_rng *rng,
                   double *out, bench_error *error);
    /* Required; must accept NULL. */
    void (*destroy)(bench_model *model);

    /* Optional (NULL when unsupported).  Every slot up to here exists since ABI
     * 1.0.  Slots added by a later minor version go below this comment, each
     * marked with that minor; bench reads such a slot only through
     * BENCH_FORECASTER_HAS_SLOT, so an older plugin's shorter vtable is never
     * read past its end. */
    int (*save)(const bench_model *model, const char *path, bench_error *error);
    int (*load)(bench_model **out, const char *path, const bench_params *params,
                const bench_task_info *task, bench_error *error);
    /* Probabilistic forecasts: out is (window_count × sample_count × horizon). */
    int (*predict_samples)(bench_model *model, const bench_forecast_request *request, size_t sample_count,
                           bench_rng *rng, double *out, bench_error *error);
} bench_forecaster;

/* True when `forecaster` was built against an ABI minor that has the slot added in
 * `minor` and fills it. */
#define BENCH_FORECASTER_HAS_SLOT(forecaster, minor, slot) \
    (((forecaster)->abi_version & 0xffffu) + 1u > (unsigned)(minor) && (forecaster)->slot != NULL)

/* The symbol a plugin exports (declared here so the compiler checks its type). */
const bench_forecaster *bench_plugin_forecaster(void);

#ifdef __cplusplus
}
#endif
#endif
