/*
 * labels.c - value label sets.  Label sets are small (tens of codes), so a
 * flat array searched linearly is both simplest and fast enough; lookups
 * happen when output is written or an expression is bound, never per row.
 */
#include "graft/labels.h"
#include "base/grow.h"
#include "base/str.h"

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
    free(set);
}


static label_entry_t *find(const graft_labelset_t *set, int is_str, double num,
                           const char *str)
{
    for (size_t i = 0; i < set->count; i++) {
        label_entry_t *e = &set->items[i];
        if (e->is_str != is_str)
            continue;
        if (is_str ? strcmp(e->str, str) == 0 : e->num == num)
            return e;
    }
    return NULL;
}

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
    if (!items) {
        free(copy);
        return GRAFT_ERR_NOMEM;
    }
    set->items = items;
    e = &set->items[set->count];
    e->is_str = is_str;
    e->num = num;
    e->str = NULL;
    if (is_str && !(e->str = graft_strdup(str))) {
        free(copy);
        return GRAFT_ERR_NOMEM;
    }
    e->label = copy;
    set->count++;
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
