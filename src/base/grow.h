/*
 * base/grow.h - growing arrays by doubling.  Internal.
 *
 *     double *p = graft_grow(a->vals, &a->cap, a->n + 1, sizeof *a->vals);
 *     if (!p)
 *         return GRAFT_ERR_NOMEM;
 *     a->vals = p;
 */
#ifndef GRAFT_BASE_GROW_H
#define GRAFT_BASE_GROW_H

#include <stddef.h>

/* Make room for NEED elements of SIZE bytes in ARR (NULL for none), whose
 * capacity is *CAP elements: when NEED > *CAP, the block is reallocated to
 * the larger of NEED and twice *CAP (at least 8) and *CAP updated.  Returns
 * the block, possibly moved; NULL when out of memory or when the size
 * overflows, in which case ARR and *CAP are unchanged and ARR is still the
 * caller's to free. */
void *graft_grow(void *arr, size_t *cap, size_t need, size_t size);

/* As graft_grow(), for the first allocation of several arrays that share one
 * capacity: the new capacity graft_grow() would choose for NEED, without
 * allocating anything; 0 when it would overflow for elements of SIZE. */
size_t graft_grow_cap(size_t cap, size_t need, size_t size);

#endif
