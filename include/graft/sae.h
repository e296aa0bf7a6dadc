/*
 * graft/sae.h - small-area estimation: the area-level Fay-Herriot model
 * fitted to direct estimates, its EBLUP and MSE (docs/sae.md).
 *
 *     y_d = x_d' beta + u_d + e_d,  u_d ~ N(0, sigma_u^2),  e_d ~ N(0, psi_d)
 *
 * with y_d an area's direct estimate and psi_d its design-based variance,
 * taken as known.  sigma_u^2 is estimated by REML, ML or the Fay-Herriot
 * moment method, each by Fisher scoring as R's sae package (eblupFH),
 * beta by GLS, the EBLUP is gamma_d y_d + (1 - gamma_d) x_d' beta with
 * gamma_d = sigma_u^2 / (sigma_u^2 + psi_d), and its MSE is the sae
 * package's mseFH: g1 + g2 + 2 g3 (REML), g1 + g2 + 2 g3 - b B_d^2 (ML
 * and FH, b the bias of the estimator of sigma_u^2).
 *
 * Two levels: graft_fh_fit() fits the model to numbers (estimates,
 * variances, a covariate matrix); graft_sae_areas() builds those numbers
 * from graft's direct estimates by area (graft/estimate.h) and a
 * covariates CSV file, and gives the table graft sae writes
 * (graft_sae_fit_direct() the same from direct estimates given as
 * numbers, e.g. read by graft_sae_direct_load()).
 */
#ifndef GRAFT_SAE_H
#define GRAFT_SAE_H

#include <stddef.h>
#include <stdio.h>
#include "graft/error.h"
#include "graft/estimate.h"
#include "graft/table.h"

typedef enum graft_sae_method {
    GRAFT_SAE_REML = 0, /* restricted maximum likelihood (default) */
    GRAFT_SAE_ML = 1,   /* maximum likelihood */
    GRAFT_SAE_FH = 2    /* Fay and Herriot's (1979) moment method */
} graft_sae_method_t;

/* "REML", "ML" or "FH" ("?" when out of range). */
const char *graft_sae_method_name(graft_sae_method_t m);

/* Parse "reml", "ml" or "fh" (any case) into *OUT.  Returns 1, or 0 for
 * any other NAME (leaving *OUT alone). */
int graft_sae_method_parse(const char *name, graft_sae_method_t *out);

typedef enum graft_sae_variance {
    GRAFT_SAE_VAR_DIRECT = 0,  /* psi_d = the direct estimate's variance;
                                  areas where it is 0 or undefined are left
                                  out of the fit */
    GRAFT_SAE_VAR_SMOOTHED = 1 /* psi_d = c v / n_d for every area
                                  (a generalized variance, docs/sae.md) */
} graft_sae_variance_t;

typedef struct graft_sae_opts {
    graft_sae_method_t method;
    graft_sae_variance_t variance;
    size_t max_iter;    /* Fisher scoring iterations; 0: 100 */
    double precision;   /* stop when |change of sigma_u^2| / sigma_u^2 is at
                           most this; 0: 1e-12 (the sae package: 1e-4) */
    double level;       /* of the intervals; 0: 0.95 */
} graft_sae_opts_t;

/* Fewer areas in the fit than this, and graft_sae_areas() warns:
 * sigma_u^2 and the MSE (second-order in 1/m) are imprecise. */
#define GRAFT_SAE_FEW_AREAS 15

/* A fitted Fay-Herriot model and its predictions for every area. */
typedef struct graft_fh {
    graft_sae_method_t method;
    size_t n_areas;     /* areas given, in the fit or not */
    size_t n_fit;       /* m: the areas in the fit */
    size_t p;           /* covariates, intercept included */
    double sigma2u;     /* the estimate, truncated at 0 */
    size_t iterations;  /* Fisher scoring steps taken */
    double loglik;      /* log-likelihood at (beta, sigma_u^2), as eblupFH */
    double bias;        /* b of mseFH: 0 for REML */
    double *beta, *beta_se;  /* p each; se = sqrt(diag((X'V^-1X)^-1)) */
    /* Per area (n_areas each).  Areas in the fit: the EBLUP and mseFH's
     * g1, g2, g3 and MSE.  Areas outside it: synthetic = 1, estimate
     * x' beta, gamma 0, g1 = g3 = 0, g2 = x'(X'V^-1X)^-1 x and MSE
     * g2 + sigma_u^2. */
    double *estimate, *mse, *gamma, *g1, *g2, *g3;
    double *fitted;     /* x_d' beta */
    int *synthetic;
} graft_fh_t;

/* Fit the Fay-Herriot model to N areas: direct estimates Y, their
 * variances PSI and the N x P covariate matrix X (row-major, the
 * intercept's column included when wanted).  An area whose Y or PSI is
 * not finite, or whose PSI is not positive, is left out of the fit and
 * gets the synthetic estimate.  *OUT is the caller's (graft_fh_free).
 * Fails with GRAFT_ERR_MODEL (fewer areas in the fit than P + 1, a
 * non-finite covariate, covariates that are collinear over the areas in
 * the fit, or Fisher scoring that does not converge in OPTS->max_iter
 * steps), GRAFT_ERR_USAGE (P = 0) or GRAFT_ERR_NOMEM. */
graft_error_t graft_fh_fit(const double *y, const double *psi,
                           const double *x, size_t n, size_t p,
                           const graft_sae_opts_t *opts, graft_fh_t **out,
                           graft_diag_t *diag);
void graft_fh_free(graft_fh_t *fh);

/* What graft sae asks: an indicator's direct estimates by area, a
 * covariates file and the model's covariates. */
typedef struct graft_sae_spec {
    const char *covariates;     /* CSV path: the area column(s) named as
                                   the --by column(s), then covariates */
    const char *formula;        /* "~ x1 + x2" (an intercept always) */
    graft_source_t formula_src; /* for messages */
    graft_sae_opts_t opts;
} graft_sae_spec_t;

/* One area of the result. */
typedef struct graft_sae_area {
    char *area;         /* as --by shows it (its label, else its code) */
    double direct, direct_se, psi; /* NaN when the area is not in the
                                      sample; psi is the variance used */
    size_t n;           /* rows of the area in the indicator's domain */
    double estimate, mse, rmse, ci_low, ci_high, gamma;
    double fitted;      /* x' beta */
    double resid_std;   /* (direct - x' beta) / sqrt(sigma_u^2 + psi) for
                           the areas in the fit, else NaN */
    int synthetic;      /* the estimate is x' beta alone */
    char flag[96];      /* "" or why: "not in the sample", "direct variance
                           0: not in the fit", "estimate outside [0, 1]"
                           (a proportion), "rmse above the direct se: no
                           gain" */
} graft_sae_area_t;

typedef struct graft_sae {
    char *indicator;    /* its output name */
    int proportion;     /* a --prop: text shows percentages */
    char *by;           /* the area column's name */
    char *formula;
    graft_sae_variance_t variance;
    double level;
    double smooth_c;    /* smoothed variances: psi_d = smooth_c / n_d (c v of
                           docs/sae.md); NaN otherwise */
    char **terms;       /* n_terms names: "(Intercept)", then the
                           covariates, in the order of fit->beta */
    size_t n_terms;
    graft_fh_t *fit;
    graft_sae_area_t *areas;    /* sample areas in the estimates' order,
                                   then areas only in the covariates */
    size_t n_areas;
    char **warnings;    /* e.g. sigma_u^2 estimated at 0 */
    size_t n_warnings;
} graft_sae_t;

/* Direct estimates of N_AREAS areas given as numbers (graft sae
 * --direct, or graft_sae_areas from graft's estimates).  Borrowed. */
typedef struct graft_sae_direct {
    const char *indicator;      /* its name in the output (NULL: "direct") */
    const char *by;             /* the area column's name */
    int proportion;             /* text shows percentages */
    size_t n_areas;
    const char *const *labels;  /* per area: its name, matched to the
                                   covariates */
    const char *const *codes;   /* per area a second key (graft's codes),
                                   or NULL */
    const double *direct, *se;  /* NaN: none */
    const size_t *n;            /* rows per area, or NULL (then
                                   --variance smoothed cannot be used) */
} graft_sae_direct_t;

/* Fit SPEC's model to the direct estimates DIR, as graft_sae_areas()
 * does.  Fails as graft_sae_areas(), and with GRAFT_ERR_USAGE for
 * smoothed variances without DIR->n. */
graft_error_t graft_sae_fit_direct(const graft_sae_direct_t *dir,
                                   const graft_sae_spec_t *spec,
                                   graft_sae_t **out, graft_diag_t *diag);

/* Direct estimates read from a CSV file: DIR points into the file's
 * arrays. */
typedef struct graft_sae_direct_file {
    graft_sae_direct_t dir;
    char *by, **labels;
    double *direct, *se;
    size_t *n;
} graft_sae_direct_file_t;

/* Read PATH: a CSV with the area column BY, direct and direct_se (graft
 * sae's own columns; an empty cell is no estimate) and optionally n, one
 * row per area.  *OUT is the caller's (graft_sae_direct_file_free).
 * Fails with reader errors, GRAFT_ERR_COLUMN (a column missing),
 * GRAFT_ERR_VALUE (text where a number belongs, an area twice, an n that
 * is not a count, at its line and column), GRAFT_ERR_NO_ROWS or
 * GRAFT_ERR_NOMEM. */
graft_error_t graft_sae_direct_load(const char *path, const char *by,
                                    graft_sae_direct_file_t **out,
                                    graft_diag_t *diag);
void graft_sae_direct_file_free(graft_sae_direct_file_t *f);

/* Fit SPEC's model to the estimates EST of one indicator (the first of
 * EST) by its one by-set (the first): every area in EST must be a row of
 * the covariates file (matched on its value label or its code), areas
 * only in the covariates are predicted synthetically.  *OUT is the
 * caller's (graft_sae_free).  Fails with GRAFT_ERR_MODEL (an area in the
 * sample but not in the covariates, naming it; see graft_fh_fit),
 * GRAFT_ERR_USAGE (a bad formula, no by column), GRAFT_ERR_COLUMN (a
 * formula or by column the covariates file lacks), GRAFT_ERR_VALUE (a
 * covariate that is not a number, at its line), reader errors and
 * GRAFT_ERR_NOMEM. */
graft_error_t graft_sae_areas(const graft_estimates_t *est,
                              const graft_sae_spec_t *spec,
                              graft_sae_t **out, graft_diag_t *diag);
void graft_sae_free(graft_sae_t *s);

/* Write S to FP: CSV and Markdown the per-area table (area column named
 * as the by column(s), direct, direct_se, n, estimate, mse, rmse, ci_low,
 * ci_high, gamma, synthetic, flag, fitted, resid_std); text the table
 * then the model block;
 * JSON an object with "model" (method, formula, sigma2u, iterations,
 * loglik, coefficients with se) and "areas".  Fails with GRAFT_ERR_WRITE
 * or GRAFT_ERR_NOMEM; GRAFT_TABLE_XLSX fails with GRAFT_ERR_USAGE (a
 * workbook is written with graft_sae_sheet). */
graft_error_t graft_sae_write(FILE *fp, const graft_sae_t *s,
                              graft_table_format_t format,
                              graft_diag_t *diag);

/* S as the sheet SHEET of workbook WB (graft/xlsx.h): the CSV's columns,
 * proportions in a percent format; the model (method, sigma_u^2,
 * coefficients) in the notes.  Fails as graft_model_sheet(). */
struct graft_workbook;
graft_error_t graft_sae_sheet(struct graft_workbook *wb, const char *sheet,
                              const graft_sae_t *s, graft_diag_t *diag);

#endif
