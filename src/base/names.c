/*
 * names.c - option names of an enum.
 */
#include "base/names.h"

#include <string.h>

int graft_names_find(const char *const *names, size_t n, size_t first,
                     const char *name, size_t *index)
{
    if (!name)
        return 0;
    for (size_t i = first; i < n; i++)
        if (names[i] && strcmp(name, names[i]) == 0) {
            *index = i;
            return 1;
        }
    return 0;
}

const char *graft_names_at(const char *const *names, size_t n, size_t i)
{
    return i < n && names[i] ? names[i] : "?";
}
