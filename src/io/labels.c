/*
 * labels.c - value label sets: the entries in order of first appearance,
 * and an open-addressing hash index over their codes (FNV-1a, linear
 * probing, at most half full), so that adding N labels takes O(N) time
 * whatever N (a survey file's [labels.X] section may hold a million).
 * Codes compare as before: numbers with == (0 and -0 are one code, a NaN
 * code matches nothing), strings byte for byte.
 */
#include "graft/labels.h"
#include "base/grow.h"
#include "base/intern.h"
#include "base/str.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct label_entry {
    int is_str;
    double num;
    char *str;
    char *label;
} label_entry_t;

struct graft_labelset {
    label_entry_t *items;
    size_t count, cap;
    struct slot {
        uint32_t at;  /* entry index + 1 (0 = empty) */
        uint32_t tag; /* 32 bits of the code's hash, which reject most
                         other codes without touching the entries */
    } *slots;         /* NULL until the first add */
    size_t n_slots;   /* power of two, at most half full */
};

graft_labelset_t *graft_labelset_alloc(void)
{
    return calloc(1, sizeof(graft_labelset_t));
}

void graft_labelset_free(graft_labelset_t *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++) {
        free(set->items[i].str);
        free(set->items[i].label);
    }
    free(set->items);
    free(set->slots);
    free(set);
}

/* ---- the hash index ------------------------------------------------------ */

/* FNV-1a of the code, finished with MurmurHash3's fmix64 so that the low
 * bits (the slot) depend on every byte: codes 1, 2, 3 ... differ only in
 * the high bytes of their doubles. */
static uint64_t code_hash(int is_str, double num, const char *str)
{
    uint64_t h;
    if (is_str) {
        h = graft_key_hash(str, strlen(str));
    } else {
        if (num == 0)
            num = 0; /* -0 and 0 are one code */
        h = graft_key_hash((const char *)&num, sizeof num) ^ 1;
    }
    return graft_hash_mix(h);
}

static int same_code(const label_entry_t *e, int is_str, double num,
                     const char *str)
{
    if (e->is_str != is_str)
        return 0;
    return is_str ? strcmp(e->str, str) == 0 : e->num == num;
}

/* The slot holding the code of hash H, or the empty slot where it would
 * go. */
static size_t probe(const graft_labelset_t *set, uint64_t h, int is_str,
                    double num, const char *str)
{
    size_t mask = set->n_slots - 1;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        const struct slot *s = &set->slots[i];
        if (s->at == 0 ||
            (s->tag == tag &&
             same_code(&set->items[s->at - 1], is_str, num, str)))
            return i;
    }
}

static void put_slot(graft_labelset_t *set, size_t k)
{
    const label_entry_t *e = &set->items[k];
    if (!e->is_str && e->num != e->num)
        return; /* a NaN code is never found */
    uint64_t h = code_hash(e->is_str, e->num, e->str);
    struct slot *s = &set->slots[probe(set, h, e->is_str, e->num, e->str)];
    s->at = (uint32_t)(k + 1);
    s->tag = (uint32_t)(h >> 32);
}

static label_entry_t *find(const graft_labelset_t *set, int is_str, double num,
                           const char *str)
{
    if (!set->slots || (!is_str && num != num))
        return NULL;
    uint64_t h = code_hash(is_str, num, str);
    uint32_t at = set->slots[probe(set, h, is_str, num, str)].at;
    return at ? &set->items[at - 1] : NULL;
}

/* Room in the index for one more code (kept at most half full). */
static graft_error_t grow_index(graft_labelset_t *set)
{
    if (set->slots && (set->count + 1) * 2 <= set->n_slots)
        return GRAFT_OK;
    size_t n = set->n_slots ? set->n_slots * 2 : 16;
    if (set->count >= UINT32_MAX - 1 || n > SIZE_MAX / 2 / sizeof *set->slots)
        return GRAFT_ERR_NOMEM;
    struct slot *slots = calloc(n, sizeof *slots);
    if (!slots)
        return GRAFT_ERR_NOMEM;
    free(set->slots);
    set->slots = slots;
    set->n_slots = n;
    for (size_t k = 0; k < set->count; k++)
        put_slot(set, k);
    return GRAFT_OK;
}

/* ---- adding and looking up ------------------------------------------------ */

static graft_error_t add(graft_labelset_t *set, int is_str, double num,
                         const char *str, const char *label)
{
    char *copy = graft_strdup(label);
    if (!copy)
        return GRAFT_ERR_NOMEM;
    label_entry_t *e = find(set, is_str, num, str);
    if (e) {
        free(e->label);
        e->label = copy;
        return GRAFT_OK;
    }
    label_entry_t *items =
        graft_grow(set->items, &set->cap, set->count + 1, sizeof *items);
    if (items)
        set->items = items;
    if (!items || grow_index(set) != GRAFT_OK) {
        free(copy);
        return GRAFT_ERR_NOMEM;
    }
    e = &set->items[set->count];
    e->is_str = is_str;
    e->num = num;
    e->str = NULL;
    if (is_str && !(e->str = graft_strdup(str))) {
        free(copy);
        return GRAFT_ERR_NOMEM;
    }
    e->label = copy;
    put_slot(set, set->count++);
    return GRAFT_OK;
}
graft_error_t graft_labelset_add_num(graft_labelset_t *set, double code,
                                     const char *label)
{
    return add(set, 0, code, NULL, label);
}

graft_error_t graft_labelset_add_str(graft_labelset_t *set, const char *code,
                                     const char *label)
{
    return add(set, 1, 0.0, code, label);
}

const char *graft_labelset_num(const graft_labelset_t *set, double code)
{
    const label_entry_t *e = set ? find(set, 0, code, NULL) : NULL;
    return e ? e->label : NULL;
}

const char *graft_labelset_str(const graft_labelset_t *set, const char *code)
{
    const label_entry_t *e = set ? find(set, 1, 0.0, code) : NULL;
    return e ? e->label : NULL;
}

size_t graft_labelset_count(const graft_labelset_t *set)
{
    return set ? set->count : 0;
}

const char *graft_labelset_entry(const graft_labelset_t *set, size_t i,
                                 int *is_str, double *num, const char **str)
{
    if (!set || i >= set->count)
        return NULL;
    const label_entry_t *e = &set->items[i];
    if (is_str)
        *is_str = e->is_str;
    if (num)
        *num = e->num;
    if (str)
        *str = e->str;
    return e->label;
}
