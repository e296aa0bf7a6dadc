/*
 * graft/spec.h - small shared specification types: where a piece of user
 * text came from, and derived-variable definitions.
 */
#ifndef GRAFT_SPEC_H
#define GRAFT_SPEC_H

/* Where an expression came from, for diagnostics: ("--prop", 1, 1) or
 * ("analysis/demo.ini", 12, 8). */
typedef struct graft_source {
    const char *file;
    unsigned long line, col;
} graft_source_t;

/* A derived variable: NAME = EXPR, evaluated per row in definition order;
 * later definitions and indicators may use earlier ones. */
typedef struct graft_derived_spec {
    const char *name;
    const char *expr;
    graft_source_t src;
} graft_derived_spec_t;

#endif
