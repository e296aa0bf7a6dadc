/*
 * stats/grow_zeroed.h - graft_grow() for arrays of counters and sums that
 * must start at zero.  Internal.
 */
#ifndef GRAFT_STATS_GROW_ZEROED_H
#define GRAFT_STATS_GROW_ZEROED_H

#include "base/grow.h"

#include <string.h>

/* As graft_grow(), with the elements past the old capacity set to zero
 * bytes.  Returns the block, or NULL (ARR and *CAP unchanged) when out of
 * memory. */
static inline void *graft_grow_zeroed(void *arr, size_t *cap, size_t need,
                                      size_t size)
{
    size_t old = *cap;
    char *p = graft_grow(arr, cap, need, size);
    if (p && *cap > old)
        memset(p + old * size, 0, (*cap - old) * size);
    return p;
}

#endif
