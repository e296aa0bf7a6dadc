/*
 * estimate_internal.h - the estimator's accumulators, shared by the pass
 * (estimate.c) and the variance formulas (variance.c).  Not installed.
 */
#ifndef GRAFT_ESTIMATE_INTERNAL_H
#define GRAFT_ESTIMATE_INTERNAL_H

#include "graft/estimate.h"
#include "graft/expr.h"
#include "base/intern.h"

/* The pass's answer, from its row callback, when a file whose PSU totals
 * are streamed (it was grouped by PSU for the store's whole budget) turns
 * out not to be grouped by PSU: graft_estimate_rounds then reads the
 * rounds again keeping every PSU's sums (estimate.c).  Private: never
 * returned by the library, and outside graft_error_t's public values
 * (0 .. 22, graft/error.h), so a true GRAFT_ERR_INTERNAL stays one. */
#define GRAFT_EST_REREAD ((graft_error_t)100)

/* Per stratum of a cell: row counts, and the sums of the PSU totals
 * Y = sum(w u) and X = sum(w) that the variance needs: sum Y, sum X,
 * sum Y^2, sum X Y, sum X^2.  A PSU's totals are added once the PSU is
 * complete: per row when each row is a PSU, when the next PSU starts in a
 * file grouped by PSU, at the end from the per-PSU store otherwise (in PSU
 * id order either way).  (With shared PSUs the cell keeps per-PSU arrays
 * instead.) */
typedef struct strat_acc {
    size_t rows;                  /* domain rows (any weight) */
    size_t pos;                   /* PSUs with a positive weight */
    double sy, sx, syy, sxy, sxx;
    double cz, czz;               /* calibrated: sum z, sum z^2 of the
                                     residual PSU scores (calvar.c) */
} strat_acc_t;

/* The sums of one indicator in one domain of one round. */
typedef struct cell {
    size_t n, n_missing;
    double sw, swy;        /* sum w, sum w y (raw) */
    double shift;          /* c: ratios accumulate u = y - c */
    int shifted;
    double a1, a2;         /* sum w u, sum w u^2 (for deff of means) */
    double *Y, *X;         /* per PSU: sum w u, sum w (--shared-psus) */
    size_t psu_cap;
    size_t open_psu;       /* streamed files: the PSU being summed, whose */
    size_t open_h;         /* totals are added to its stratum's sums */
    double oy, ox;         /* when the next PSU starts */
    int open;
    strat_acc_t *T;        /* per stratum */
    size_t strat_cap;
    double *rsw, *rswy;    /* per replicate: sum w_r, sum w_r y */
    double *gram;          /* the domain's replicate Gram matrix (df) */
    double *gdir;          /* pending group direction, its multiplier sum */
    double gs;
    size_t gid;
    long rank;             /* of gram, once computed (0: not yet) */
    struct graft_calcell *cal; /* calibrated rounds: the residuals' sums
                                  (stats/calvar.h, owned by the round's
                                  calvar), or NULL */
} cell_t;

/* A term of a linear contrast: COEF times the estimate of CELL. */
typedef struct term {
    cell_t *cell;
    double coef;
    int ratio;             /* proportion or mean (else total) */
    double est;            /* the cell's estimate */
} term_t;

/* What the variance formulas need to know about the design. */
typedef struct var_ctx {
    const graft_design_t *design;
    int clustered;         /* per-PSU arrays (shared PSUs); else
                              per-stratum sums */
    size_t n_rep;
    double rep_scale;
    const double *rep_rscales;
    int rep_mse;
    double *s1, *s2;       /* scratch per stratum */
    size_t H;
} var_ctx_t;

/* The linearized variance of sum_k coef_k theta_k (R survey svyrecvar /
 * onestrat, lonely PSUs as survey 4.5).  Terms from different rounds have
 * no row in common; row-as-PSU designs need that.  NaN when undefined. */
double graft_var_linear(var_ctx_t *v, const term_t *terms, size_t m);

/* R's degf() for the stacked domain: PSUs minus strata among the terms'
 * rows with a positive weight. */
double graft_var_df(const var_ctx_t *v, const term_t *terms, size_t m);

/* The replicate variance of sum_k coef_k theta_k (R survey svrVar), with
 * LOGIT the variance of logit(theta) of a single term.  NaN when no
 * replicate is defined. */
double graft_var_replicate(const var_ctx_t *v, const term_t *terms,
                           size_t m, int logit);

/* R's degf() of a replicate domain: the rank of its rows' replicate
 * weights minus 1 (the Gram matrix is flushed first). */
double graft_var_rep_df(const var_ctx_t *v, cell_t *cell);

/* Add the cell's pending group of rows to its Gram matrix. */
void graft_cell_gram_flush(const var_ctx_t *v, cell_t *cell);

#endif
