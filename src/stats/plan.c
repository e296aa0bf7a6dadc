/*
 * plan.c - sample sizes and minimum detectable changes between two rounds
 * (include/graft/plan.h, docs/plan.md): R's power.prop.test, times the
 * design effect and (1 - R).
 */
#include "graft/plan.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#define PLAN_SCAN_STEPS 20000
#define PLAN_MAX_ITER 200

void graft_plan_opts_init(graft_plan_opts_t *o)
{
    o->power = 0.8;
    o->alpha = 0.05;
    o->correlation = 0.0;
}

graft_error_t graft_plan_opts_check(const graft_plan_opts_t *o,
                                    graft_diag_t *diag)
{
    if (!(o->power >= 0.5 && o->power < 1.0))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--power: %g is not from 0.5 to below 1",
                              o->power);
    if (!(o->alpha > 0.0 && o->alpha < 1.0))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--alpha: %g is not strictly between 0 and 1",
                              o->alpha);
    if (!(o->correlation > -1.0 && o->correlation < 1.0))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--correlation: %g is not strictly between -1 "
                              "and 1", o->correlation);
    return GRAFT_OK;
}

static int plan_opts_ok(const graft_plan_opts_t *o)
{
    return graft_plan_opts_check(o, NULL) == GRAFT_OK;
}

/* R's p.body: the argument of pnorm() less z_{power}, times the root of
 * the alternative's variance, as a function of p2 (zero where the power
 * is reached). */
static double plan_gap(double sqrt_n, double p1, double p2, double qu,
                       double zb)
{
    double d = fabs(p1 - p2);
    double s0 = sqrt((p1 + p2) * (1.0 - (p1 + p2) / 2.0));
    double s1 = sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2));
    return sqrt_n * d - qu * s0 - zb * s1;
}

double graft_plan_power(double n_srs, double p1, double p2, double alpha)
{
    double qu = gsl_cdf_ugaussian_Qinv(alpha / 2.0);
    double s1 = sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2));
    return gsl_cdf_ugaussian_P(
        (sqrt(n_srs) * fabs(p1 - p2) -
         qu * sqrt((p1 + p2) * (1.0 - (p1 + p2) / 2.0))) / s1);
}

static int plan_p_ok(double p)
{
    return p >= 0.0 && p <= 1.0;
}

double graft_plan_n(double p1, double p2, double deff,
                    const graft_plan_opts_t *o)
{
    if (!plan_p_ok(p1) || !plan_p_ok(p2) || p1 == p2 || !(deff > 0.0) ||
        !isfinite(deff) || !plan_opts_ok(o))
        return NAN;
    double qu = gsl_cdf_ugaussian_Qinv(o->alpha / 2.0);
    double zb = gsl_cdf_ugaussian_Pinv(o->power);
    double pbar = (p1 + p2) / 2.0;
    double a = qu * sqrt(2.0 * pbar * (1.0 - pbar)) +
               zb * sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2));
    double d = p1 - p2;
    return deff * (1.0 - o->correlation) * (a * a) / (d * d);
}

typedef struct plan_fn {
    double sqrt_n, p1, qu, zb;
} plan_fn_t;

static double plan_fn(double p2, void *arg)
{
    const plan_fn_t *f = arg;
    return plan_gap(f->sqrt_n, f->p1, p2, f->qu, f->zb);
}

/* Brent's method on [LO, HI] (F changes sign) to full precision. */
static double plan_brent(plan_fn_t *f, double lo, double hi)
{
    gsl_function fn = {plan_fn, f};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (s == NULL || gsl_root_fsolver_set(s, &fn, lo, hi) != GSL_SUCCESS) {
        gsl_root_fsolver_free(s);
        return NAN;
    }
    double root = NAN;
    for (int i = 0; i < PLAN_MAX_ITER; i++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS)
            break;
        root = gsl_root_fsolver_root(s);
        if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s),
                                   gsl_root_fsolver_x_upper(s), 0.0,
                                   4 * DBL_EPSILON) == GSL_SUCCESS)
            break;
    }
    gsl_root_fsolver_free(s);
    return root;
}

/* The p2 nearest P1 towards END (0 or 1) where the power is reached. */
static double plan_solve(plan_fn_t *f, double end)
{
    double prev = f->p1;
    for (int k = 1; k <= PLAN_SCAN_STEPS; k++) {
        double x = k == PLAN_SCAN_STEPS
                       ? end
                       : f->p1 + (end - f->p1) * k / PLAN_SCAN_STEPS;
        double g = plan_fn(x, f);
        if (g == 0.0)
            return x;
        if (g > 0.0)
            return prev < x ? plan_brent(f, prev, x) : plan_brent(f, x, prev);
        prev = x;
    }
    return NAN;
}

void graft_plan_mde(double p1, double n, double deff,
                    const graft_plan_opts_t *o, double *low, double *high)
{
    *low = *high = NAN;
    if (!plan_p_ok(p1) || !(n > 0.0) || !isfinite(n) || !(deff > 0.0) ||
        !isfinite(deff) || !plan_opts_ok(o))
        return;
    plan_fn_t f = {sqrt(n / (deff * (1.0 - o->correlation))), p1,
                   gsl_cdf_ugaussian_Qinv(o->alpha / 2.0),
                   gsl_cdf_ugaussian_Pinv(o->power)};
    if (p1 > 0.0)
        *low = plan_solve(&f, 0.0);
    if (p1 < 1.0)
        *high = plan_solve(&f, 1.0);
}

/* The budget's detectable changes for R (a domain with FRACTION of the
 * interviews). */
static void plan_budget(graft_plan_row_t *r, double fraction, double deff,
                        const graft_plan_ask_t *a, const graft_plan_opts_t *o)
{
    double interviews = a->budget * fraction;
    double n = interviews * r->share;
    graft_plan_mde(r->p1, n, deff, o, &r->p2_low, &r->p2_high);
    r->mde_decrease = r->p1 - r->p2_low;
    r->mde_increase = r->p2_high - r->p1;
    if (isnan(a->change)) {
        r->n_exact = n;
        r->n = n;
        r->interviews = interviews;
    } else if (r->interviews > interviews) {
        snprintf(r->flag, sizeof r->flag,
                 "needs %.0f interviews, budget %.0f", ceil(r->interviews),
                 floor(interviews));
    }
}

void graft_plan_baseline_row(graft_plan_row_t *r, double fraction,
                             const graft_plan_ask_t *a,
                             const graft_plan_opts_t *o)
{
    r->m = r->psus ? (double)r->rows / (double)r->psus : NAN;
    r->rho = r->m > 1.0 ? (r->deff - 1.0) / (r->m - 1.0) : NAN;
    r->take = a->take;
    r->deff_take = isnan(a->take) ? NAN
                                  : 1.0 + (a->take * r->share - 1.0) * r->rho;
    double deff = isnan(a->take) ? r->deff : r->deff_take;
    r->p2 = r->n_exact = r->n = r->interviews = r->psus_needed = NAN;
    r->p2_low = r->p2_high = r->mde_decrease = r->mde_increase = NAN;
    r->flag[0] = '\0';
    if (!isnan(a->change)) {
        r->p2 = r->p1 - a->change >= 0.0 ? r->p1 - a->change
                                         : r->p1 + a->change;
        r->n_exact = graft_plan_n(r->p1, r->p2, deff, o);
        r->n = ceil(r->n_exact);
        r->interviews = r->n / r->share;
    }
    if (!isnan(a->budget))
        plan_budget(r, fraction, deff, a, o);
    r->psus_needed = r->interviews / a->take;
    if (!isnan(a->take) && !(r->deff_take > 0.0))
        snprintf(r->flag, sizeof r->flag,
                 "no deff for --take: rho %s from %.3g rows per PSU",
                 isnan(r->rho) ? "undefined" : "out of range", r->m);
}
