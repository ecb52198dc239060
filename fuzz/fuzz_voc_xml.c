/* libFuzzer harness: Pascal-VOC annotations (EDS labels) through shift_voc_parse,
 * the in-memory entry point of the expat reader. */
#include <stddef.h>
#include <stdint.h>

#include "domain_shift/voc_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    shift_annotation annotation;
    bench_error error = {0};
    if (shift_voc_parse((const char *)data, size, "fuzz.xml", &annotation, &error) == BENCH_OK)
        shift_annotation_free(&annotation);
    return 0;
}
