/*
 * psu_store.c - per-PSU blocks of sums (stats/psu_store.h).
 *
 * Two arrays of blocks, each in chunks of 2^shift blocks (about 1 MiB)
 * that never move, so a pointer to a block's sums stays valid while the
 * store lives:
 *   - reserved blocks, W per PSU, blocks J W .. J W + W - 1 for PSU J:
 *     their places follow from J, with no table or link to read first,
 *     so that all of them can be fetched at once; they are taken in
 *     order, so the used ones come first;
 *   - other blocks, numbered 1, 2, ... as they are made (0 is "none"),
 *     for a PSU whose W reserved blocks are taken, linked from its first
 *     reserved block, newest first.
 * Chunks are zeroed as they are made, so a block needs no clearing; a
 * block whose slot is 0 is unused (slots are stored plus one).  Looking up
 * a slot walks the PSU's blocks: one per (domain, round) it has rows in,
 * two for a PSU in "All" and one by-domain.
 */
#include "stats/psu_store.h"
#include "base/grow.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES ((size_t)1 << 20)

/* A block: the number of the PSU's next block, its slot plus one (0:
 * unused), then Y_k, X_k. */
struct graft_psu_block {
    uint32_t next, slot1;
    double v[];
};
typedef struct graft_psu_block block_t;

/* Blocks in chunks of 2^shift. */
typedef struct chunks {
    char **chunk;
    size_t n, cap;
} chunks_t;

struct graft_psu_store {
    size_t K;
    size_t W;          /* blocks reserved per PSU */
    size_t block_size; /* bytes of one block */
    unsigned shift;    /* a chunk holds 2^shift blocks */
    chunks_t firsts;   /* block J: PSU J's first */
    chunks_t others;   /* block B - 1: other block B */
    size_t n_psu, n_others;
};

graft_psu_store_t *graft_psu_store_alloc(size_t K, size_t W)
{
    if (K == 0 || K > (SIZE_MAX / 2 - sizeof(block_t)) / (2 * sizeof(double)) ||
        W == 0 || W > 64)
        return NULL;
    graft_psu_store_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->K = K;
    s->W = W;
    s->block_size = sizeof(block_t) + 2 * K * sizeof(double);
    while (s->shift < 24 && s->block_size << (s->shift + 1) <= CHUNK_BYTES)
        s->shift++;
    return s;
}

static void chunks_free(chunks_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->chunk[i]);
    free(c->chunk);
}

void graft_psu_store_free(graft_psu_store_t *s)
{
    if (!s)
        return;
    chunks_free(&s->firsts);
    chunks_free(&s->others);
    free(s);
}

/* Block I (0, 1, ...) of C, which must have its chunk. */
static block_t *block_in(const graft_psu_store_t *s, const chunks_t *c,
                         size_t i)
{
    size_t mask = ((size_t)1 << s->shift) - 1;
    return (block_t *)(void *)(c->chunk[i >> s->shift] +
                               (i & mask) * s->block_size);
}

/* Make C's chunks reach block I: chunks zeroed by writing them (not
 * calloc's untouched pages: a page read before it is written maps the
 * shared zero page, and the first write then replaces it, which with a
 * second thread costs the other core a TLB flush, an interrupt, for each
 * page; blocks are read first, as their sums are added to).  0 when out
 * of memory. */
static int chunks_reach(const graft_psu_store_t *s, chunks_t *c, size_t i)
{
    size_t need = (i >> s->shift) + 1, bytes = s->block_size << s->shift;
    while (c->n < need) {
        char **chunk = graft_grow(c->chunk, &c->cap, c->n + 1, sizeof *chunk);
        if (!chunk)
            return 0;
        c->chunk = chunk;
        if (!(chunk[c->n] = malloc(bytes)))
            return 0;
        memset(chunk[c->n], 0, bytes);
        c->n++;
    }
    return 1;
}

/* Reserved block I of PSU J, which must have its chunk. */
static block_t *reserved(const graft_psu_store_t *s, size_t j, size_t i)
{
    return block_in(s, &s->firsts, j * s->W + i);
}

/* PSU J's first block, or NULL when J has none yet. */
static block_t *first_of(const graft_psu_store_t *s, size_t j)
{
    return j < s->n_psu ? reserved(s, j, 0) : NULL;
}

/* Other block B (1, 2, ...). */
static block_t *other(const graft_psu_store_t *s, uint32_t b)
{
    return block_in(s, &s->others, (size_t)b - 1);
}

/* A new other block for SLOT, linked after FIRST; NULL when out of
 * memory or of 32-bit numbers. */
static block_t *new_other(graft_psu_store_t *s, block_t *first,
                          uint32_t slot)
{
    if (s->n_others >= UINT32_MAX - 1 ||
        !chunks_reach(s, &s->others, s->n_others))
        return NULL;
    uint32_t b = (uint32_t)++s->n_others;
    block_t *blk = other(s, b);
    blk->next = first->next;
    blk->slot1 = slot + 1;
    first->next = b;
    return blk;
}

double *graft_psu_store_block(graft_psu_store_t *s, size_t j, uint32_t slot)
{
    if (slot == UINT32_MAX || j == SIZE_MAX)
        return NULL;
    if (j >= s->n_psu) {
        if (j > (SIZE_MAX - s->W) / s->W ||
            !chunks_reach(s, &s->firsts, j * s->W + s->W - 1))
            return NULL;
        s->n_psu = j + 1;
    }
    for (size_t i = 0; i < s->W; i++) {
        block_t *b = reserved(s, j, i);
        if (b->slot1 == 0) /* the first free one: the slot is new */
            b->slot1 = slot + 1;
        if (b->slot1 == slot + 1)
            return b->v;
    }
    block_t *first = first_of(s, j);
    for (uint32_t n = first->next; n; n = other(s, n)->next)
        if (other(s, n)->slot1 == slot + 1)
            return other(s, n)->v;
    block_t *blk = new_other(s, first, slot);
    return blk ? blk->v : NULL;
}

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* The cache lines of block B's head and sums (at most three). */
static void prefetch_block(const graft_psu_store_t *s, const block_t *b)
{
    const char *p = (const char *)b;
    for (size_t off = 0; off < s->block_size && off < 192; off += 64)
        PREFETCH(p + off);
}

void graft_psu_store_prefetch_first(const graft_psu_store_t *s, size_t j)
{
    if (j >= s->n_psu)
        return;
    for (size_t i = 0; i < s->W; i++)
        prefetch_block(s, reserved(s, j, i));
}

void graft_psu_store_prefetch_next(const graft_psu_store_t *s, size_t j)
{
    const block_t *first = first_of(s, j);
    if (first && first->next)
        prefetch_block(s, other(s, first->next));
}

size_t graft_psu_store_n_psu(const graft_psu_store_t *s)
{
    return s ? s->n_psu : 0;
}

/* Blocks made, not whole chunks: a chunk's pages that no block uses yet
 * are never written, and the system maps a page only when it is. */
size_t graft_psu_store_bytes(const graft_psu_store_t *s)
{
    if (!s)
        return 0;
    return sizeof *s + (s->n_psu * s->W + s->n_others) * s->block_size +
           (s->firsts.cap + s->others.cap) * sizeof(char *);
}

const graft_psu_block_t *graft_psu_store_nth(const graft_psu_store_t *s,
                                             size_t j, size_t n)
{
    if (j >= s->n_psu)
        return NULL;
    if (n < s->W) { /* the used reserved blocks come first */
        const block_t *b = reserved(s, j, n);
        return b->slot1 ? b : NULL;
    }
    uint32_t b = first_of(s, j)->next;
    for (n -= s->W; b && n > 0; n--)
        b = other(s, b)->next;
    return b ? other(s, b) : NULL;
}

uint32_t graft_psu_store_slot(const graft_psu_block_t *b)
{
    return b->slot1 - 1;
}

const double *graft_psu_store_values(const graft_psu_block_t *b)
{
    return b->v;
}
