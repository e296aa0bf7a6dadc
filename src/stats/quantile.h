/*
 * stats/quantile.h - quantiles of a domain, as R survey 4.1's svyquantile
 * computes them by default: the "math" rule and the Woodruff interval
 * (interval.type = "mean"), with se derived from the interval.  Internal.
 *
 * A quantile needs its rows' values, not sums: during the pass
 * (estimate.c) every row of a quantile indicator's denominator is kept
 * here as (value, weight, stratum, PSU, round, its domain in each by-set)
 * and, on a replicate design, its replicate weights.  Indicators with the
 * same expression and 'among' (the probabilities of one --quantile) share
 * one copy.  Memory grows with those rows: 40 + 8 (by-sets + replicates)
 * bytes each.  At the end each output row is computed from the kept rows
 * of its domain; the variance of the estimated CDF goes through the
 * estimator's own variance formulas (variance.c), so strata, PSUs, fpc,
 * lonely PSUs and replicate weights are treated as for a proportion; on
 * a calibrated round, with its calibration residuals (calvar.c), for
 * which each kept row also keeps its margin cells (24 + 4 per margin
 * bytes).
 */
#ifndef GRAFT_STATS_QUANTILE_H
#define GRAFT_STATS_QUANTILE_H

#include "stats/estimate_internal.h"

typedef struct graft_quant graft_quant_t;
typedef struct graft_calvar graft_calvar_t;

/* The store for OPTS's quantile indicators, in *OUT (NULL when OPTS has
 * none; freed with graft_quant_free).  Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_quant_alloc(const graft_estimate_opts_t *opts,
                                graft_quant_t **out);
void graft_quant_free(graft_quant_t *q);

/* Keep a row of indicator K (value Y, not missing, among its rows) of
 * round ROUND, whose domain in by-set s is ROW_DOMAIN[s] ((size_t)-1:
 * none), and its design values OBS (N_REP replicate weights in
 * obs->repw); on a calibrated round, CV (whose current row it is; NULL
 * otherwise) gives its calibration cells (4 bytes per margin, and 24).
 * Nothing for an indicator that is not a quantile or whose rows another
 * indicator keeps.  Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_quant_add(graft_quant_t *q, size_t k, size_t round,
                              const size_t *row_domain,
                              const graft_design_obs_t *obs, size_t n_rep,
                              const graft_calvar_t *cv, double y);

/* Indicator K's row R in domain D of by-set SET ((size_t)-1: "All") of
 * round ROUND, which the estimator filled as for a mean (n, n_missing,
 * weighted_n, df): the quantile, its Woodruff interval at LEVEL with R's
 * se, and the flag (MIN_N: --min-n).  CV is the round's calibration
 * (NULL: none), after graft_calvar_finish: the CDF's variance is then
 * that of its calibration residuals (R: svymean(x <= q) on the calibrated
 * design).  Nothing for another indicator or an empty domain.  Fails only
 * with GRAFT_ERR_NOMEM. */
graft_error_t graft_quant_row(const graft_quant_t *q, var_ctx_t *v,
                              const graft_calvar_t *cv, size_t k, size_t d,
                              size_t set, size_t round, double level,
                              size_t min_n, graft_estimate_row_t *r);

/* Contrast COEF (one per round) of indicator K's rows ROWS (one per
 * round, as graft_quant_row left them) into R, computed by the estimator
 * as for a mean (df, first_empty): the estimate sum_r coef_r q_r and, the
 * rounds' quantiles taken as uncorrelated (independent samples; R 4.1's
 * svyby(covmat = TRUE) refuses svyquantile on a linearization design),
 * the se sqrt(sum_r coef_r^2 se_r^2).  Nothing for another indicator. */
void graft_quant_contrast(const graft_quant_t *q, size_t k,
                          const double *coef, size_t n_rounds,
                          const graft_estimate_row_t *rows,
                          graft_contrast_row_t *r);

/* R survey's qrule_math on the N values X sorted increasingly (ties in
 * any order) with positive weights W in the same order, at P: the value
 * where the cumulative weight share is exactly P, else the first whose
 * share passes P (and R's corner: the second value when the first's share
 * alone passes P).  Cumulative sums are exact sums rounded once, as R's
 * long double ones on x86 are for such sums.  NaN when N = 0. */
double graft_quant_rule(const double *x, const double *w, size_t n,
                        double p);

#endif
