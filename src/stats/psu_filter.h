/*
 * stats/psu_filter.h - the set of PSU keys seen so far, when an estimator
 * streams PSU totals from a file grouped by PSU.  Internal.
 *
 * A scalable Bloom filter over 64-bit key hashes (graft_key_hash): it
 * answers "maybe seen" or "certainly not seen".  A "maybe" on a new key
 * (a false positive, about 1.6e-10 per level and lookup, see
 * psu_filter.c) only costs the caller a second read of the file with a
 * full PSU table, so the filter trades that small chance for memory that
 * grows with the PSUs, not the rows: 128 KiB for the first 4096 PSUs,
 * 32 MiB at most.
 *
 *     graft_psu_filter_t f = {0};           (an empty filter)
 *     if (graft_psu_filter_seen(&f, hash))  ... the key may be back
 *     else if (graft_psu_filter_add(&f, hash) != GRAFT_OK) ... no memory
 *     graft_psu_filter_clear(&f);
 */
#ifndef GRAFT_STATS_PSU_FILTER_H
#define GRAFT_STATS_PSU_FILTER_H

#include "graft/error.h"

#include <stddef.h>
#include <stdint.h>

#define GRAFT_PSU_FILTER_LEVELS 8

/* Levels of 2^20, 2^21, ... bits; all zero is the empty filter. */
typedef struct graft_psu_filter {
    uint64_t *bits[GRAFT_PSU_FILTER_LEVELS];
    size_t n_levels;  /* levels allocated */
    size_t last_keys; /* keys added to the last level */
} graft_psu_filter_t;

/* Has a key of HASH been added?  Never 0 for a key that was; 1 for one
 * that was not with odds of about 1.6e-10 per level (psu_filter.c). */
int graft_psu_filter_seen(const graft_psu_filter_t *f, uint64_t hash);

/* Add a key of HASH.  Returns GRAFT_OK, or GRAFT_ERR_NOMEM when a new level
 * cannot be allocated (F is unchanged then). */
graft_error_t graft_psu_filter_add(graft_psu_filter_t *f, uint64_t hash);

/* Free F's levels and leave it empty.  F itself is the caller's. */
void graft_psu_filter_clear(graft_psu_filter_t *f);

#endif
