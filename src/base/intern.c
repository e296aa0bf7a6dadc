/*
 * intern.c - string interning with open addressing (linear probing) and
 * FNV-1a hashing.  Keys live in one growing arena; ids are dense.
 */
#include "base/intern.h"
#include "base/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A slot: the id + 1 (0 = empty) and 32 bits of the key's hash, which
 * reject most other keys without touching the arena.  Ids are dense and
 * below 2^32 - 1. */
typedef struct slot {
    uint32_t id1;
    uint32_t tag;
} slot_t;

struct graft_intern {
    slot_t *slots;
    size_t n_slots;    /* power of two, at most half full */
    size_t *offsets;   /* key start in arena, per id */
    uint32_t *lengths; /* key length, per id */
    size_t count, cap;
    char *arena;
    size_t arena_len, arena_cap;
};

static uint64_t fnv1a(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

graft_intern_t *graft_intern_alloc(void)
{
    graft_intern_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n_slots = 64;
    t->slots = calloc(t->n_slots, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    return t;
}

void graft_intern_free(graft_intern_t *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->offsets);
    free(t->lengths);
    free(t->arena);
    free(t);
}

/* The slot of KEY, or the empty slot where it would go. */
static size_t probe(const graft_intern_t *t, const char *key, size_t len,
                    uint64_t h)
{
    size_t mask = t->n_slots - 1;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const slot_t *s = &t->slots[i];
        if (s->id1 == 0)
            return i;
        size_t id = s->id1 - 1;
        if (s->tag == tag && t->lengths[id] == len &&
            memcmp(t->arena + t->offsets[id], key, len) == 0)
            return i;
    }
}

static graft_error_t grow_slots(graft_intern_t *t)
{
    size_t n = t->n_slots * 2;
    slot_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return GRAFT_ERR_NOMEM;
    for (size_t id = 0; id < t->count; id++) {
        uint64_t h = fnv1a(t->arena + t->offsets[id], t->lengths[id]);
        size_t i = (size_t)h & (n - 1);
        while (slots[i].id1)
            i = (i + 1) & (n - 1);
        slots[i].id1 = (uint32_t)(id + 1);
        slots[i].tag = (uint32_t)(h >> 32);
    }
    free(t->slots);
    t->slots = slots;
    t->n_slots = n;
    return GRAFT_OK;
}

/* Room for one more id in the two arrays that share t->cap: each grown
 * from it, so to the same new capacity. */
static graft_error_t grow_ids(graft_intern_t *t)
{
    size_t cap = t->cap, cap_lengths = t->cap;
    size_t *o = graft_grow(t->offsets, &cap, t->count + 1, sizeof *o);
    if (!o)
        return GRAFT_ERR_NOMEM;
    t->offsets = o;
    uint32_t *l =
        graft_grow(t->lengths, &cap_lengths, t->count + 1, sizeof *l);
    if (!l)
        return GRAFT_ERR_NOMEM;
    t->lengths = l;
    t->cap = cap;
    return GRAFT_OK;
}

graft_error_t graft_intern_put(graft_intern_t *t, const char *key, size_t len,
                               size_t *id, int *added)
{
    uint64_t h = fnv1a(key, len);
    size_t i = probe(t, key, len, h);
    if (t->slots[i].id1) {
        *id = t->slots[i].id1 - 1;
        if (added)
            *added = 0;
        return GRAFT_OK;
    }
    if (len > UINT32_MAX || t->count >= UINT32_MAX - 1)
        return GRAFT_ERR_NOMEM;
    if (t->count == t->cap && grow_ids(t) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    char *a = graft_grow(t->arena, &t->arena_cap, t->arena_len + len + 1, 1);
    if (!a)
        return GRAFT_ERR_NOMEM;
    t->arena = a;
    size_t nid = t->count++;
    t->offsets[nid] = t->arena_len;
    t->lengths[nid] = (uint32_t)len;
    if (len)
        memcpy(t->arena + t->arena_len, key, len);
    t->arena[t->arena_len + len] = '\0';
    t->arena_len += len + 1;
    t->slots[i].id1 = (uint32_t)(nid + 1);
    t->slots[i].tag = (uint32_t)(h >> 32);
    if (t->count * 2 > t->n_slots && grow_slots(t) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    *id = nid;
    if (added)
        *added = 1;
    return GRAFT_OK;
}

size_t graft_intern_find(const graft_intern_t *t, const char *key, size_t len)
{
    size_t i = probe(t, key, len, fnv1a(key, len));
    return t->slots[i].id1 ? (size_t)t->slots[i].id1 - 1 : (size_t)-1;
}

size_t graft_intern_count(const graft_intern_t *t)
{
    return t ? t->count : 0;
}

const char *graft_intern_key(const graft_intern_t *t, size_t id, size_t *len)
{
    if (id >= t->count)
        return NULL;
    if (len)
        *len = t->lengths[id];
    return t->arena + t->offsets[id];
}

/* ---- keys ------------------------------------------------------------ */

graft_error_t graft_key_bytes(graft_key_t *k, const void *p, size_t n)
{
    if (k->len + n > k->cap) {
        char *b = n > SIZE_MAX - k->len
                      ? NULL
                      : graft_grow(k->buf, &k->cap, k->len + n, 1);
        if (!b)
            return GRAFT_ERR_NOMEM;
        k->buf = b;
    }
    if (n)
        memcpy(k->buf + k->len, p, n);
    k->len += n;
    return GRAFT_OK;
}

graft_error_t graft_key_cell(graft_key_t *k, const graft_cell_t *c)
{
    if (c->kind == GRAFT_CELL_NUMBER) {
        /* Whole numbers (codes, ids) in 4 bytes; others as the double. */
        if (c->num >= -2147483648.0 && c->num <= 2147483647.0 &&
            c->num == (double)(int32_t)c->num) {
            int32_t i = (int32_t)c->num; /* -0 and 0 are one key */
            return graft_key_bytes(k, "i", 1) == GRAFT_OK
                       ? graft_key_bytes(k, &i, sizeof i)
                       : GRAFT_ERR_NOMEM;
        }
        double v = c->num;
        return graft_key_bytes(k, "n", 1) == GRAFT_OK
                   ? graft_key_bytes(k, &v, sizeof v)
                   : GRAFT_ERR_NOMEM;
    }
    if (graft_key_bytes(k, "s", 1) != GRAFT_OK ||
        graft_key_bytes(k, &c->len, sizeof c->len) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    return graft_key_bytes(k, c->str, c->len);
}

void graft_key_free(graft_key_t *k)
{
    free(k->buf);
    k->buf = NULL;
    k->len = k->cap = 0;
}

uint64_t graft_key_hash(const char *key, size_t len)
{
    return fnv1a(key, len);
}
