/* The table of evaluation protocols. */
#include <string.h>

#include "bench/protocol.h"

static const bench_protocol *const protocols[] = {
    &bench_protocol_paper,
    &bench_protocol_ltsf,
    &bench_protocol_m4,
};

size_t bench_protocol_list(const bench_protocol *const **list)
{
    *list = protocols;
    return sizeof protocols / sizeof protocols[0];
}

const bench_protocol *bench_protocol_find(const char *name)
{
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
        if (strcmp(protocols[i]->name, name) == 0)
            return protocols[i];
    return NULL;
}

const char *bench_protocol_names(void)
{
    static char names[256];
    names[0] = '\0';
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++) {
        if (i > 0)
            strncat(names, ", ", sizeof names - strlen(names) - 1);
        strncat(names, protocols[i]->name, sizeof names - strlen(names) - 1);
    }
    return names;
}
