/*
 * graft_str.h - the one string helper every module needs.
 */
#ifndef GRAFT_STR_H
#define GRAFT_STR_H

/* A new copy of S (the caller frees it), or NULL when S is NULL or out of
 * memory. */
char *graft_strdup(const char *s);

#endif
