/*
 * stats/psu_store.h - per-PSU totals of an estimator's cells, for files
 * whose rows come in any order.  Internal.
 *
 * An estimate sums, per (indicator, domain, round) cell and per PSU,
 * Y = sum w u and X = sum w over the PSU's rows in the cell.  A file
 * grouped by PSU needs only the open PSU's sums; rows in any order need
 * every PSU's until the file ends.  The store keeps, for each PSU, one
 * block per SLOT (a (domain, round) pair) the PSU has rows in, holding the
 * Y and X of the slot's K indicators: a PSU costs what it touches, not
 * what every cell could hold.  W blocks per PSU (the slots a PSU
 * usually has: "All" and one domain of each by-set) sit at places computed
 * from its id, so that all of them can be fetched as soon as the id is
 * known, with no link to follow first; a PSU with more slots gets other
 * blocks from an arena, linked from its first by 32-bit numbers.  Both
 * live in chunks of about 1 MiB that never move.
 *
 * Memory (graft_psu_store_bytes): 8 + 16 K bytes per block (a 4-byte link
 * and slot, then Y_k, X_k for each indicator), W blocks per PSU (PSUs
 * 0 .. the largest id given) and one per further slot.  The system maps a
 * chunk's pages as blocks are written.
 *
 *     graft_psu_store_t *s = graft_psu_store_alloc(K, W);
 *     double *yx = graft_psu_store_block(s, psu, slot);  (Y_k = yx[2k],
 *     yx[2 * k] += w * u; yx[2 * k + 1] += w;              X_k = yx[2k+1])
 *     for (size_t n = 0; (b = graft_psu_store_nth(s, j, n)); n++)
 *         ... slot and sums of block b
 *     graft_psu_store_free(s);
 */
#ifndef GRAFT_STATS_PSU_STORE_H
#define GRAFT_STATS_PSU_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct graft_psu_store graft_psu_store_t;
typedef struct graft_psu_block graft_psu_block_t;

/* An empty store whose blocks hold K indicators (K >= 1), W blocks
 * reserved per PSU (1 <= W <= 64).  NULL when out of memory. */
graft_psu_store_t *graft_psu_store_alloc(size_t K, size_t W);

/* Free S and its blocks (NULL is fine); every pointer it gave is void. */
void graft_psu_store_free(graft_psu_store_t *s);

/* The 2 K sums of PSU J in SLOT (Y_k at [2 k], X_k at [2 k + 1]), a new
 * zeroed block when J has none for SLOT yet.  The pointer stays valid
 * until S is freed.  NULL when out of memory (S is unchanged then). */
double *graft_psu_store_block(graft_psu_store_t *s, size_t j, uint32_t slot);

/* Hints that PSU J's blocks will be wanted soon, so that the memory can
 * fetch them while the caller does other work (rows in any order find
 * their PSU's blocks far apart): first the PSU's reserved blocks, then,
 * some work later, the block linked from the first.  No effect on any
 * result. */
void graft_psu_store_prefetch_first(const graft_psu_store_t *s, size_t j);
void graft_psu_store_prefetch_next(const graft_psu_store_t *s, size_t j);

/* The PSUs S has room for: one more than the largest J given. */
size_t graft_psu_store_n_psu(const graft_psu_store_t *s);

/* The bytes of S's blocks and arrays (the memory model above). */
size_t graft_psu_store_bytes(const graft_psu_store_t *s);

/* PSU J's block N (0, 1, ...; NULL: no more), in no particular order;
 * a block's slot and its 2 K sums. */
const graft_psu_block_t *graft_psu_store_nth(const graft_psu_store_t *s,
                                             size_t j, size_t n);
uint32_t graft_psu_store_slot(const graft_psu_block_t *b);
const double *graft_psu_store_values(const graft_psu_block_t *b);

#endif
