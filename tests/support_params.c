#include "support_params.h"

#include <stdio.h>
#include <string.h>

#define SETTINGS_MAX 16

int test_resolve_settings(bench_owned_params *out, const bench_param_spec *spec, size_t spec_count,
                          const char *owner, const char *const *settings, size_t count, bench_error *error)
{
    bench_config_entry entries[SETTINGS_MAX];
    char keys[SETTINGS_MAX][64], texts[SETTINGS_MAX][128], label[64];
    if (count > SETTINGS_MAX)
        count = SETTINGS_MAX;
    for (size_t i = 0; i < count; i++) {
        const char *equals = strchr(settings[i], '=');
        size_t key_length = equals ? (size_t)(equals - settings[i]) : strlen(settings[i]);
        snprintf(keys[i], sizeof keys[i], "%.*s", (int)key_length, settings[i]);
        snprintf(texts[i], sizeof texts[i], "%s", equals ? equals + 1 : "");
        entries[i] = (bench_config_entry){.key = keys[i], .value = texts[i], .line = i + 2};
    }
    snprintf(label, sizeof label, "%s", owner);
    bench_config_section section = {.kind = "model", .label = label, .line = 1, .entries = entries,
                                    .entry_count = count};
    return bench_resolve_params(out, spec, spec_count, &section, "test.ini", owner, error);
}
