/*
 * base/str.h - string helpers every module needs.
 */
#ifndef GRAFT_STR_H
#define GRAFT_STR_H

#include <stddef.h>

/* A new copy of S (the caller frees it), or NULL when S is NULL or out of
 * memory. */
char *graft_strdup(const char *s);

/* A new copy of the N bytes at S, NUL-terminated, or NULL when out of
 * memory. */
char *graft_strndup(const char *s, size_t n);

/* The next item of the comma list at *P, skipping commas and the spaces
 * around items: its start, with its length in *LEN and *P moved past it;
 * NULL when no item is left. */
const char *graft_list_item(const char **p, size_t *len);

/* Replace *FIELD (freed first; may be NULL) by a new copy of VALUE.
 * Returns 1, or 0 when out of memory, *FIELD then being NULL. */
int graft_str_set(char **field, const char *value);

/* Texts kept one after the other, each NUL-terminated, for a row's string
 * values: zero-initialise, empty with len = 0, free buf when done. */
typedef struct graft_arena {
    char *buf;
    size_t len, cap;
} graft_arena_t;

/* Copy S (LEN bytes) into A; returns its offset in a->buf (which may move
 * as A grows), or (size_t)-1 when out of memory. */
size_t graft_arena_put(graft_arena_t *a, const char *s, size_t len);

#endif
