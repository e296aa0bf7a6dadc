/*
 * base/names.h - option names of an enum: a table of strings indexed by
 * the enum's values, looked up both ways.  Internal.
 *
 *     static const char *const lonely_names[] = {"fail", "remove", ...};
 *     int graft_lonely_parse(const char *name, graft_lonely_t *out)
 *     {
 *         size_t i;
 *         if (!GRAFT_NAMES_FIND(lonely_names, 0, name, &i))
 *             return 0;
 *         *out = (graft_lonely_t)i;
 *         return 1;
 *     }
 */
#ifndef GRAFT_BASE_NAMES_H
#define GRAFT_BASE_NAMES_H

#include <stddef.h>

#define GRAFT_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* Find NAME (exactly, case-sensitive) among NAMES[FIRST..N).  Returns 1 and
 * stores its index in *INDEX, or 0 when it is not there (or NAME is NULL).
 * FIRST skips entries that name no option (a "none" at index 0). */
int graft_names_find(const char *const *names, size_t n, size_t first,
                     const char *name, size_t *index);

/* NAMES[I], or "?" when I is out of range. */
const char *graft_names_at(const char *const *names, size_t n, size_t i);

#define GRAFT_NAMES_FIND(table, first, name, index)                            \
    graft_names_find((table), GRAFT_COUNTOF(table), (first), (name), (index))
#define GRAFT_NAMES_AT(table, i)                                               \
    graft_names_at((table), GRAFT_COUNTOF(table), (size_t)(i))

#endif
