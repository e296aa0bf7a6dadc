/*
 * psu_filter.c - the PSU keys seen so far, as a scalable Bloom filter.
 *
 * What it is for: an estimator that streams PSU totals (estimate.c, with
 * graft_design_stream_psus) needs the file grouped by PSU, and must notice
 * a PSU that comes back after another started.  Keeping every PSU key would
 * grow with the PSUs' text; the filter keeps a few bits per PSU instead.  A
 * key it says it has seen sends the caller back to read the file again
 * with the full PSU table, so a false positive costs time, never a wrong
 * number; a false negative would cost a wrong number, and there is none.
 *
 * Sizing (Almeida, Baquero, Preguica and Hutchison, "Scalable Bloom
 * Filters", 2007): level i has 2^(20 + i) bits; a level takes keys until
 * it holds one per 256 bits (4096 keys for the first), then the next level
 * opens, twice the size.  Eight levels at most: 2^28 bits (32 MiB) in all,
 * about a million PSUs before the last level fills past one key per 256
 * bits (it keeps taking keys, with a slowly rising rate).  Each key sets
 * 6 bits in its level.
 *
 * False-positive rate: a lookup tests every level; with n/m = 1/256 and
 * k = 6 probes, a level answers a wrong "yes" with odds
 * (1 - e^(-6/256))^6, about 1.6e-10; at most 1.3e-9 for the 8 levels.
 */
#include "stats/psu_filter.h"
#include "base/intern.h"

#include <stdlib.h>

#define FIRST_BITS ((size_t)1 << 20)
#define BITS_PER_KEY 256
#define PROBES 6

/* The bits of level I (a power of two). */
static size_t level_bits(size_t i)
{
    return FIRST_BITS << i;
}

/* The key hash as level I sees it: salted per level and mixed (the
 * finalizer of MurmurHash3), so that the levels' probes are independent
 * and use well-mixed low bits. */
static uint64_t level_hash(uint64_t hash, size_t i)
{
    return graft_hash_mix(hash + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15u);
}

/* Probe I of HASH (level_hash) among NBITS bits: double hashing,
 * a + i b with b odd. */
static size_t probe_bit(uint64_t hash, int i, size_t nbits)
{
    uint64_t a = hash & 0xffffffffu, b = (hash >> 32) | 1;
    return (size_t)((a + (uint64_t)i * b) & (nbits - 1));
}

/* Is every probe of HASH (level_hash) set in the NBITS bits of BITS? */
static int probes_set(const uint64_t *bits, size_t nbits, uint64_t hash)
{
    for (int i = 0; i < PROBES; i++) {
        size_t bit = probe_bit(hash, i, nbits);
        if (!(bits[bit / 64] & ((uint64_t)1 << (bit % 64))))
            return 0;
    }
    return 1;
}

/* A level, zeroed by writing every page first: a page of calloc's that is
 * read before it is written maps the shared zero page, and the first
 * write then replaces it, which with a second thread costs the other core
 * a TLB flush (an interrupt) for each of its pages. */
static uint64_t *level_alloc(size_t nbits)
{
    size_t n = nbits / 64;
    uint64_t *bits = malloc(n * sizeof *bits);
    if (!bits)
        return NULL;
    volatile uint64_t *v = bits; /* not folded into a calloc */
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
    return bits;
}

int graft_psu_filter_seen(const graft_psu_filter_t *f, uint64_t hash)
{
    for (size_t i = 0; i < f->n_levels; i++)
        if (probes_set(f->bits[i], level_bits(i), level_hash(hash, i)))
            return 1;
    return 0;
}

/* Memory grows with the PSUs (not the rows) up to the last level. */
graft_error_t graft_psu_filter_add(graft_psu_filter_t *f, uint64_t hash)
{
    if (f->n_levels == 0 ||
        (f->n_levels < GRAFT_PSU_FILTER_LEVELS &&
         f->last_keys >= level_bits(f->n_levels - 1) / BITS_PER_KEY)) {
        uint64_t *bits = level_alloc(level_bits(f->n_levels));
        if (!bits)
            return GRAFT_ERR_NOMEM;
        f->bits[f->n_levels++] = bits;
        f->last_keys = 0;
    }
    size_t last = f->n_levels - 1, nbits = level_bits(last);
    uint64_t *bits = f->bits[last];
    uint64_t h = level_hash(hash, last);
    for (int i = 0; i < PROBES; i++) {
        size_t bit = probe_bit(h, i, nbits);
        bits[bit / 64] |= (uint64_t)1 << (bit % 64);
    }
    f->last_keys++;
    return GRAFT_OK;
}

void graft_psu_filter_clear(graft_psu_filter_t *f)
{
    for (size_t i = 0; i < f->n_levels; i++)
        free(f->bits[i]);
    *f = (graft_psu_filter_t){0};
}
