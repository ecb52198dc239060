/* The ten EDS object classes, keyed by the strings EDS's own annotations use
 * (including the truncated "smallelectronicequipmen"), with readable display
 * names kept apart.  Index order is PSN's detector order without background. */
#ifndef SHIFT_CLASSES_H
#define SHIFT_CLASSES_H

#include <stddef.h>

#include "bench/error.h"

#define SHIFT_CLASS_COUNT 10

typedef struct shift_class_info {
    const char *key;     /* as in EDS XML <name>, e.g. "smallelectronicequipmen" */
    const char *display; /* as in the paper's figure, e.g. "Device" */
} shift_class_info;

/* Static table of SHIFT_CLASS_COUNT rows; never NULL. */
const shift_class_info *shift_classes(void);

/* Index of an EDS class key, or -1 when the key is unknown (exact, case-sensitive). */
int shift_class_index(const char *key);

/* Writes "drinkbottle, pressure, ..." into buffer (always terminated), for
 * error messages that list what exists. */
void shift_class_list(char *buffer, size_t size);

#endif
