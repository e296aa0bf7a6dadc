/*
 * graft/model.h - design-based generalized linear models: R survey's
 * svyglm (gaussian, quasibinomial, quasipoisson) with its sandwich
 * variance, summary() table and regTermTest Wald F tests (docs/model.md).
 *
 * A formula is "RESPONSE ~ TERM + TERM ...": the response any expression
 * of the expression language (graft/expr.h), each term a column, a factor
 * (factor(COL), ref(COL, 'level'), or a column holding strings or value
 * labels) or an interaction A:B of such parts.  An intercept is always
 * fitted.
 *
 * Memory: unlike estimate, a model keeps its rows.  The fit reads the file
 * once, keeping for every row of the domain with no missing model value
 * its response, weight, stratum, PSU, the values of the formula's
 * variables and its replicate weights, (32 + 8 (variables + replicates))
 * bytes, then builds the n x p design matrix (8 n p bytes) and, for the
 * fit, one more of the same size.
 */
#ifndef GRAFT_MODEL_H
#define GRAFT_MODEL_H

#include <stddef.h>
#include <stdio.h>
#include "graft/design.h"
#include "graft/error.h"
#include "graft/reader.h"
#include "graft/spec.h"
#include "graft/table.h"

typedef enum graft_family {
    GRAFT_FAMILY_LINEAR = 0,   /* Gaussian, identity link */
    GRAFT_FAMILY_LOGISTIC = 1, /* quasi-binomial, logit link */
    GRAFT_FAMILY_POISSON = 2   /* quasi-Poisson, log link */
} graft_family_t;

/* "linear", "logistic", "poisson" into *OUT; returns 1, or 0 for another
 * NAME. */
int graft_family_parse(const char *name, graft_family_t *out);
const char *graft_family_name(graft_family_t family);

/* The most terms, variables and coefficients a formula may have. */
#define GRAFT_MODEL_MAX_TERMS 64
#define GRAFT_MODEL_MAX_COEF 512

typedef struct graft_model_spec {
    const char *formula;
    graft_source_t formula_src; /* where the formula is ("--formula", 1, 1)
                                   for messages */
    graft_family_t family;
    const char *among;          /* the domain (R: subset() of the design:
                                   every PSU stays), or NULL */
    graft_source_t among_src;
    double level;               /* of the intervals, e.g. 0.95 */
    const char *const *tests;   /* terms to Wald-test (regTermTest), as
                                   written in the formula ("zone",
                                   "sex:urban") */
    size_t n_tests;
    size_t max_iter;            /* IRLS iterations; 0: 100 */
} graft_model_spec_t;

/* One coefficient: the summary(svyglm) row with its interval (t on df,
 * as R's confint.svyglm) and, for logistic and Poisson, its exponent. */
typedef struct graft_model_coef {
    char *term;     /* "(Intercept)", "sex=Female", "sex=Female:urban=Rural",
                       "meals" */
    size_t term_index; /* the formula term it belongs to ((size_t)-1: the
                          intercept) */
    double estimate, se, ci_low, ci_high, t, p;
    double exp_estimate, exp_ci_low, exp_ci_high; /* NaN for linear */
} graft_model_coef_t;

/* A Wald test that a term's coefficients are all zero (regTermTest). */
typedef struct graft_model_test {
    char *term;
    double F;
    size_t df;      /* the term's coefficients */
    double ddf, p;  /* the model's residual df; p of F(df, ddf) */
} graft_model_test_t;

typedef struct graft_model {
    graft_family_t family;
    char *formula;
    char *file;
    char **terms;            /* the formula's terms as written */
    char **reference;        /* per term: "sex=Male" for a factor (its
                                reference levels joined by ':'), or NULL */
    size_t n_terms;
    graft_model_coef_t *coefs;
    size_t p;
    double *vcov;            /* p x p, row-major */
    graft_model_test_t *tests;
    size_t n_tests;
    size_t n;                /* rows fitted */
    double weighted_n;       /* their sum of weights */
    double design_df;        /* R's degf() as svyglm takes it: of the
                                fitted rows; a replicate design's of the
                                domain's rows, missing values too */
    double df;               /* residual df: design_df + 1 - p */
    size_t iterations;       /* IRLS iterations of the full-sample fit */
    double level;
} graft_model_t;

/* Fit SPEC's model to PATH under the design DESIGN (read options READ,
 * may be NULL).  *OUT is the caller's, freed with graft_model_free().
 * Fails with reader and design errors, GRAFT_ERR_USAGE (a formula that
 * does not parse, at its position; a --test that is no term), a survey
 * file's GRAFT_ERR_SURVEY_FILE for the same in a file, GRAFT_ERR_COLUMN,
 * GRAFT_ERR_VALUE (a response or numeric term that is text),
 * GRAFT_ERR_LONELY_PSU, or GRAFT_ERR_MODEL (no rows, a rank-deficient
 * design matrix naming the aliased coefficients, no convergence, a
 * response outside the family's range). */
graft_error_t graft_model_fit(const char *path, const graft_read_opts_t *read,
                              const graft_design_spec_t *design,
                              const graft_model_spec_t *spec,
                              graft_model_t **out, graft_diag_t *diag);
void graft_model_free(graft_model_t *m);

/* Write M's coefficient table to FP in FORMAT: term, estimate, se, ci_low,
 * ci_high, t, p_value, df (and exp_estimate, exp_ci_low, exp_ci_high for
 * logistic and Poisson); JSON adds the fit (family, formula, n,
 * weighted_n, design_df, df, iterations) and the tests, text and Markdown
 * follow the table with them.  Fails with GRAFT_ERR_WRITE or
 * GRAFT_ERR_NOMEM. */
graft_error_t graft_model_write(FILE *fp, const graft_model_t *m,
                                graft_table_format_t format,
                                graft_diag_t *diag);

#endif
