/*
 * psu_store.c - per-PSU blocks of sums in an arena (stats/psu_store.h).
 *
 * Blocks are numbered 1, 2, ... in the order they are made (0 is "none")
 * and live in chunks of 2^shift blocks, about 1 MiB each, which never
 * move: a pointer to a block's sums stays valid while the store lives.
 * A PSU's blocks form a list through their 32-bit links, newest first;
 * looking up a slot walks it (one block per (domain, round) the PSU has
 * rows in: two for a PSU in "All" and one by-domain).
 */
#include "stats/psu_store.h"
#include "stats/grow_zeroed.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES ((size_t)1 << 20)

/* A block: the link to the PSU's next block, its slot, then Y_k, X_k. */
typedef struct block {
    uint32_t next, slot;
    double v[];
} block_t;

struct graft_psu_store {
    size_t K;
    size_t block_size; /* bytes of one block */
    unsigned shift;    /* a chunk holds 2^shift blocks */
    char **chunks;
    size_t n_chunks, chunks_cap;
    size_t n_blocks;
    uint32_t *first;   /* per PSU: its first block, 0 for none */
    size_t n_psu, first_cap;
};

graft_psu_store_t *graft_psu_store_alloc(size_t K)
{
    if (K == 0 || K > (SIZE_MAX / 2 - sizeof(block_t)) / (2 * sizeof(double)))
        return NULL;
    graft_psu_store_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->K = K;
    s->block_size = sizeof(block_t) + 2 * K * sizeof(double);
    while (s->shift < 24 && s->block_size << (s->shift + 1) <= CHUNK_BYTES)
        s->shift++;
    return s;
}

void graft_psu_store_free(graft_psu_store_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_chunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
    free(s->first);
    free(s);
}

/* Block B (1, 2, ...). */
static block_t *block_at(const graft_psu_store_t *s, uint32_t b)
{
    size_t i = (size_t)b - 1, mask = ((size_t)1 << s->shift) - 1;
    return (block_t *)(void *)(s->chunks[i >> s->shift] +
                               (i & mask) * s->block_size);
}

/* A new zeroed block for SLOT linked before NEXT: its number, or 0 when
 * out of memory or out of 32-bit numbers. */
static uint32_t new_block(graft_psu_store_t *s, uint32_t slot, uint32_t next)
{
    if (s->n_blocks >= UINT32_MAX - 1)
        return 0;
    if (s->n_blocks == s->n_chunks << s->shift) {
        char **chunks = graft_grow(s->chunks, &s->chunks_cap,
                                   s->n_chunks + 1, sizeof *chunks);
        if (!chunks)
            return 0;
        s->chunks = chunks;
        if (!(chunks[s->n_chunks] = malloc(s->block_size << s->shift)))
            return 0;
        s->n_chunks++;
    }
    uint32_t b = (uint32_t)++s->n_blocks;
    block_t *blk = block_at(s, b);
    blk->next = next;
    blk->slot = slot;
    memset(blk->v, 0, 2 * s->K * sizeof *blk->v);
    return b;
}

double *graft_psu_store_block(graft_psu_store_t *s, size_t j, uint32_t slot)
{
    if (j >= s->n_psu) {
        if (j == SIZE_MAX)
            return NULL;
        uint32_t *first = graft_grow_zeroed(s->first, &s->first_cap, j + 1,
                                            sizeof *first);
        if (!first)
            return NULL;
        s->first = first;
        s->n_psu = j + 1;
    }
    for (uint32_t b = s->first[j]; b;) {
        block_t *blk = block_at(s, b);
        if (blk->slot == slot)
            return blk->v;
        b = blk->next;
    }
    uint32_t b = new_block(s, slot, s->first[j]);
    if (!b)
        return NULL;
    s->first[j] = b;
    return block_at(s, b)->v;
}

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

void graft_psu_store_prefetch_first(const graft_psu_store_t *s, size_t j)
{
    if (j < s->n_psu)
        PREFETCH(&s->first[j]);
}

/* The block's head and its first sums (the next cache line too). */
void graft_psu_store_prefetch_block(const graft_psu_store_t *s, size_t j)
{
    uint32_t b = j < s->n_psu ? s->first[j] : 0;
    if (b) {
        const char *blk = (const char *)block_at(s, b);
        PREFETCH(blk);
        PREFETCH(blk + 64);
    }
}

size_t graft_psu_store_n_psu(const graft_psu_store_t *s)
{
    return s ? s->n_psu : 0;
}

/* The blocks made, not the chunks: a chunk's pages that no block uses yet
 * are never written, and the system maps a page only when it is. */
size_t graft_psu_store_bytes(const graft_psu_store_t *s)
{
    if (!s)
        return 0;
    return sizeof *s + s->n_blocks * s->block_size +
           s->chunks_cap * sizeof *s->chunks + s->first_cap * sizeof *s->first;
}

uint32_t graft_psu_store_first(const graft_psu_store_t *s, size_t j)
{
    return j < s->n_psu ? s->first[j] : 0;
}

uint32_t graft_psu_store_next(const graft_psu_store_t *s, uint32_t b)
{
    return block_at(s, b)->next;
}

uint32_t graft_psu_store_slot(const graft_psu_store_t *s, uint32_t b)
{
    return block_at(s, b)->slot;
}

const double *graft_psu_store_values(const graft_psu_store_t *s, uint32_t b)
{
    return block_at(s, b)->v;
}
