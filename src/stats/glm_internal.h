/*
 * stats/glm_internal.h - the pieces of a design-based GLM fit shared by
 * the data pass (glm.c) and the numerics (glm_fit.c).  Internal.
 */
#ifndef GRAFT_STATS_GLM_INTERNAL_H
#define GRAFT_STATS_GLM_INTERNAL_H

#include "graft/model.h"

#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

/* The rows a model keeps: those of the domain with a response and every
 * variable present. */
typedef struct glm_data {
    size_t n, p, n_rep;
    gsl_matrix *X;        /* n x p design matrix, intercept first */
    double *y, *w;        /* response, weight */
    size_t *h, *psu;      /* stratum, PSU (GRAFT_ROW_PSU: the row) */
    double *repw;         /* n x n_rep replicate weights, or NULL */
    graft_family_t family;
    size_t max_iter;
} glm_data_t;

/* Fit by IRLS with prior weights W (n of them) from BETA (p; zeros: the
 * family's usual start) into BETA; *ITER receives the iterations.  Returns
 * GRAFT_OK, GRAFT_ERR_MODEL when it does not converge (or a weight sum
 * is zero) or GRAFT_ERR_NOMEM; DIAG says which. */
graft_error_t graft_glm_irls(const glm_data_t *g, const double *w,
                             double *beta, int start, size_t *iter,
                             graft_diag_t *diag);

/* The columns of G's design matrix that are aliased (linearly dependent
 * on earlier ones under the weights): ALIASED[c] = 1.  Returns their
 * count, or (size_t)-1 when out of memory. */
size_t graft_glm_aliased(const glm_data_t *g, int *aliased);

/* The linearization (sandwich) variance of BETA under design D into V
 * (p x p row-major): Ainv (sum over PSUs of the score totals, centred per
 * stratum, R's svyrecvar) Ainv, lonely PSUs as estimate treats them.
 * GRAFT_OK or GRAFT_ERR_NOMEM. */
graft_error_t graft_glm_var_linear(const glm_data_t *g,
                                   const graft_design_t *d,
                                   const double *beta, double *V);

/* The replicate variance: BETA refitted with each replicate's weights
 * (started at BETA), combined as R's svrVar.  GRAFT_OK, GRAFT_ERR_MODEL
 * (a replicate that does not converge) or GRAFT_ERR_NOMEM. */
graft_error_t graft_glm_var_replicate(const glm_data_t *g,
                                      const graft_design_t *d,
                                      const double *beta, double *V,
                                      graft_diag_t *diag);

#endif
