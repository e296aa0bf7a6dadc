/*
 * base/intern.h - string interning: each distinct key gets a dense id
 * (0, 1, 2, ... in order of first appearance), so the hot loop compares and
 * indexes integers instead of strings.  Open addressing, FNV-1a hashing.
 */
#ifndef GRAFT_INTERN_H
#define GRAFT_INTERN_H

#include <stddef.h>
#include <stdint.h>
#include "graft/error.h"
#include "graft/reader.h"

typedef struct graft_intern graft_intern_t;

graft_intern_t *graft_intern_alloc(void);
void graft_intern_free(graft_intern_t *t);

/* The id of KEY (LEN bytes, may hold NULs), adding it when new (at most
 * 2^32 - 2 keys, each shorter than 4 GiB).  Stores the
 * id in *ID and sets *ADDED to 1 when the key was new (ADDED may be NULL).
 * Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_intern_put(graft_intern_t *t, const char *key, size_t len,
                               size_t *id, int *added);

/* The id of KEY, or (size_t)-1 when absent. */
size_t graft_intern_find(const graft_intern_t *t, const char *key, size_t len);

/* Number of keys, and the key of an id (NUL-terminated copy owned by T). */
size_t graft_intern_count(const graft_intern_t *t);
const char *graft_intern_key(const graft_intern_t *t, size_t id, size_t *len);

/* A key under construction: the unambiguous encoding of one or more cells
 * ('i' and 4 bytes for a whole number that fits, so 1, 1.0, -0 and a CSV
 * "1" agree; 'n' and the double's bytes for other numbers; 's', the length
 * and the text for strings).  Reused across rows. */
typedef struct graft_key {
    char *buf;
    size_t len, cap;
} graft_key_t;

/* Append N raw bytes, or the encoding of cell C.  Fail only with
 * GRAFT_ERR_NOMEM. */
graft_error_t graft_key_bytes(graft_key_t *k, const void *p, size_t n);
graft_error_t graft_key_cell(graft_key_t *k, const graft_cell_t *c);
void graft_key_free(graft_key_t *k);

/* The 64-bit FNV-1a hash of LEN bytes at KEY. */
uint64_t graft_key_hash(const char *key, size_t len);

/* MurmurHash3's 64-bit finalizer (fmix64): every bit of H reaches every
 * bit of the result, so that the low bits (a slot, a probe) depend on all
 * of H. */
static inline uint64_t graft_hash_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

#endif
