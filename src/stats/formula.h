/*
 * stats/formula.h - model formulas, "RESPONSE ~ TERM + TERM ...", parsed
 * into a response expression, the variables the terms use and the terms
 * as products of variables.  Internal (stats/glm.c).
 *
 *   formula := expr '~' term ('+' term)*
 *   term    := part (':' part)*
 *   part    := name | 'factor' '(' name ')' | 'ref' '(' name ',' string ')'
 *
 * A name is a column as the expression language writes it (letters,
 * digits, '_', '.', '@', '#', '$', or `any name`); a string is quoted
 * with ' as there.  A variable used twice (x and factor(x)) is one
 * variable, a factor when any use says so.  Terms keep the formula's
 * order within each degree, main effects first (R's terms()).
 */
#ifndef GRAFT_STATS_FORMULA_H
#define GRAFT_STATS_FORMULA_H

#include "graft/expr.h"
#include "graft/model.h"

#define GRAFT_FORMULA_MAX_PARTS 8

typedef struct graft_fvar {
    char *name;
    graft_expr_t *expr;    /* the bare column, bound with the file */
    int factor;            /* factor() or ref() */
    char *ref;             /* ref()'s level, or NULL */
    unsigned long ref_col; /* its position, for messages */
} graft_fvar_t;

typedef struct graft_fterm {
    char *text;            /* as written, spaces removed */
    size_t vars[GRAFT_FORMULA_MAX_PARTS];
    size_t n_vars;
} graft_fterm_t;

typedef struct graft_formula {
    graft_expr_t *response;
    graft_fvar_t *vars;
    size_t n_vars;
    graft_fterm_t *terms;
    size_t n_terms;
} graft_formula_t;

/* Parse TEXT from SRC into *OUT (freed with graft_formula_free).  Errors
 * are GRAFT_ERR_USAGE at the offending character (GRAFT_ERR_SURVEY_FILE
 * when SRC is a file rather than an option) or GRAFT_ERR_NOMEM. */
graft_error_t graft_formula_parse(const char *text, const graft_source_t *src,
                                  graft_formula_t **out, graft_diag_t *diag);
void graft_formula_free(graft_formula_t *f);

/* The term of F that TEXT names ("zone", "sex:urban" in any order of its
 * parts, or as written), or (size_t)-1. */
size_t graft_formula_find_term(const graft_formula_t *f, const char *text);

#endif
