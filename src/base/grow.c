/*
 * grow.c - growing arrays by doubling.
 */
#include "base/grow.h"

#include <stdint.h>
#include <stdlib.h>

size_t graft_grow_cap(size_t cap, size_t need, size_t size)
{
    if (need <= cap)
        return cap;
    size_t next = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (next < 8)
        next = 8;
    if (next < need)
        next = need;
    if (size && next > SIZE_MAX / size)
        return 0;
    return next;
}

void *graft_grow(void *arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return arr;
    size_t next = graft_grow_cap(*cap, need, size);
    if (!next)
        return NULL;
    void *p = realloc(arr, next * size);
    if (!p)
        return NULL;
    *cap = next;
    return p;
}
