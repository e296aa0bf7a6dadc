/*
 * str.c - string helpers.
 */
#include "base/str.h"
#include "base/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char *graft_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *graft_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

const char *graft_list_item(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == ',')
        s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    const char *start = s;
    while (*s && *s != ',')
        s++;
    const char *end = s;
    while (end > start && end[-1] == ' ')
        end--;
    *p = s;
    *len = (size_t)(end - start);
    return start;
}

int graft_str_set(char **field, const char *value)
{
    free(*field);
    return (*field = graft_strdup(value)) != NULL;
}

size_t graft_arena_put(graft_arena_t *a, const char *s, size_t len)
{
    if (len + 1 > a->cap - a->len) {
        if (len + 1 > SIZE_MAX - a->len)
            return (size_t)-1;
        char *buf = graft_grow(a->buf, &a->cap, a->len + len + 1, 1);
        if (!buf)
            return (size_t)-1;
        a->buf = buf;
    }
    size_t off = a->len;
    memcpy(a->buf + off, s, len);
    a->buf[off + len] = '\0';
    a->len += len + 1;
    return off;
}
