#include "domain_shift/classes.h"

#include <stdio.h>
#include <string.h>

static const shift_class_info class_table[SHIFT_CLASS_COUNT] = {
    {"drinkbottle", "PlasticBottle"},
    {"pressure", "Pressure"},
    {"lighter", "Lighter"},
    {"knife", "Knife"},
    {"smallelectronicequipmen", "Device"},
    {"powerbank", "PowerBank"},
    {"umbrella", "Umbrella"},
    {"glassbottle", "GlassBottle"},
    {"scissor", "Scissor"},
    {"laptop", "Laptop"},
};

const shift_class_info *shift_classes(void)
{
    return class_table;
}

int shift_class_index(const char *key)
{
    for (int i = 0; i < SHIFT_CLASS_COUNT; i++)
        if (strcmp(class_table[i].key, key) == 0)
            return i;
    return -1;
}

void shift_class_list(char *buffer, size_t size)
{
    if (size == 0)
        return;
    buffer[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < SHIFT_CLASS_COUNT && used < size; i++) {
        int written = snprintf(buffer + used, size - used, "%s%s", i ? ", " : "", class_table[i].key);
        if (written < 0)
            break;
        used += (size_t)written;
    }
}
