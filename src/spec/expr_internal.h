/*
 * expr_internal.h - the expression module's fast path for the library's own
 * row loops: an expression that is one column compared with a number,
 * tested inline without evaluating the tree.  Internal: graft/expr.h is
 * the module's interface.
 */
#ifndef GRAFT_SPEC_EXPR_INTERNAL_H
#define GRAFT_SPEC_EXPR_INTERNAL_H

#include <stddef.h>
#include "graft/expr.h"

/* The usual filter, a column compared with a number (`Q1 == 1`), for
 * callers that test it inline per row (the estimator's row loop). */
typedef enum graft_cmp {
    GRAFT_CMP_EQ, GRAFT_CMP_NE, GRAFT_CMP_LT, GRAFT_CMP_LE, GRAFT_CMP_GT,
    GRAFT_CMP_GE
} graft_cmp_t;

typedef struct graft_filter {
    size_t col;      /* the cell compared */
    graft_cmp_t cmp;
    double num;      /* with this number */
} graft_filter_t;

/* When bound expression E is a column compared with a number, fill *F
 * and return 1; otherwise return 0. */
int graft_expr_filter(const graft_expr_t *e, graft_filter_t *f);

/* graft_expr_test() of the expression F came from: 1, 0, or -1 for
 * missing.  A missing cell, NaN on either side, or a string with an order
 * comparison is missing; a string is unequal to any number. */
static inline int graft_filter_test(const graft_filter_t *f,
                                    const graft_cell_t *cells)
{
    const graft_cell_t *l = &cells[f->col];
    double v = l->num, r = f->num;
    if (l->kind == GRAFT_CELL_MISSING)
        return -1;
    if (l->kind == GRAFT_CELL_STRING)
        return f->cmp == GRAFT_CMP_EQ ? 0 : f->cmp == GRAFT_CMP_NE ? 1 : -1;
    if (v != v || r != r) /* NaN */
        return -1;
    switch (f->cmp) {
    case GRAFT_CMP_EQ: return v == r;
    case GRAFT_CMP_NE: return v != r;
    case GRAFT_CMP_LT: return v < r;
    case GRAFT_CMP_LE: return v <= r;
    case GRAFT_CMP_GT: return v > r;
    default: return v >= r;
    }
}

#endif
