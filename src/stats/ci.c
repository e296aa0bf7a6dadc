/*
 * ci.c - confidence intervals for proportions, means and totals, and the
 * NCHS reliability flags.  The formulas, the conventions at p = 0 or 1 and
 * the deliberate differences from R are listed in include/graft/ci.h.
 */
#include "graft/ci.h"
#include "base/names.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#ifndef M_PI_2
#define M_PI_2 1.57079632679489661923
#endif

/* ---- Names ------------------------------------------------------------ */

static const char *const method_names[GRAFT_CI_N_METHODS] = {
    [GRAFT_CI_LOGIT] = "logit",     [GRAFT_CI_WALD] = "wald",
    [GRAFT_CI_BETA] = "beta",       [GRAFT_CI_KG_NCHS] = "kg-nchs",
    [GRAFT_CI_WILSON] = "wilson",   [GRAFT_CI_JEFFREYS] = "jeffreys",
    [GRAFT_CI_ASIN] = "asin",       [GRAFT_CI_XLOGIT] = "xlogit",
};

int graft_ci_method_parse(const char *name, graft_ci_method_t *out)
{
    size_t m;
    if (!GRAFT_NAMES_FIND(method_names, 0, name, &m))
        return 0;
    if (out != NULL)
        *out = (graft_ci_method_t)m;
    return 1;
}

const char *graft_ci_method_name(graft_ci_method_t method)
{
    return GRAFT_NAMES_AT(method_names, method);
}

int graft_ci_defined(const graft_ci_t *ci)
{
    return ci != NULL && ci->reason == NULL;
}

/* ---- Reasons for an undefined interval -------------------------------- */

static const char R_P_NAN[] = "p is not finite";
static const char R_EST_NAN[] = "estimate is not finite";
static const char R_NO_ROWS[] = "no rows in the domain";
static const char R_DF[] = "df <= 0";
static const char R_SE_NAN[] = "se is not finite";
static const char R_SE_0[] = "se is 0: interval undefined";
static const char R_LOGIT[] = "p is 0 or 1: logit interval undefined";
static const char R_ASIN[] = "p is 0 or 1: asin interval undefined";
static const char R_N2[] = "n < 2: Korn-Graubard df adjustment undefined";
static const char R_QUANTILE[] = "quantile not finite";
static const char R_INVALID[] = "invalid arguments";

/* ---- Quantiles -------------------------------------------------------- */

/* qt(prob, df); df = +Inf gives the normal quantile (R's qt does too). */
static double q_t(double prob, double df)
{
    return isinf(df) ? gsl_cdf_ugaussian_Pinv(prob)
                     : gsl_cdf_tdist_Pinv(prob, df);
}

/* Shapes from which both beta quantiles use the Cornish-Fisher expansion. */
#define BETA_CF_SHAPE 1e5

static uint64_t double_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static double bits_double(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The beta quantile by bisection on the bit patterns of the doubles in
 * [0, 1] (ordered like the doubles): at most 62 evaluations of GSL's
 * incomplete beta, the upper tail Q for prob > 1/2.  Used instead of
 * gsl_cdf_beta_Pinv, which returns NaN for shapes below ~1e-3, loops
 * forever for both shapes above ~1e6 and is off by 1e-3 for shapes near
 * 1e7 (GSL 2.7).  NaN if the incomplete beta fails. */
static double q_beta_search(double prob, double a, double b)
{
    int upper = prob > 0.5;
    double target = upper ? 1 - prob : prob;
    uint64_t lo = 0, hi = double_bits(1.0); /* F(lo) < prob <= F(hi) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        double x = bits_double(mid);
        double tail = upper ? gsl_cdf_beta_Q(x, a, b) : gsl_cdf_beta_P(x, a, b);
        if (isnan(tail))
            return NAN;
        if (upper ? tail <= target : tail >= target)
            hi = mid;
        else
            lo = mid;
    }
    return bits_double(hi);
}

/* Cornish-Fisher expansion of the beta quantile from its mean, variance,
 * skewness and excess kurtosis (Johnson, Kotz and Balakrishnan 1995,
 * ch. 25); relative error below 1e-9 against R's qbeta once both shapes
 * exceed BETA_CF_SHAPE, where GSL's incomplete beta starts to fail. */
static double q_beta_cf(double prob, double a, double b)
{
    double s = a + b, mu = a / s;
    double sd = sqrt(a / s * (b / s) / (s + 1));
    double g = 2 * (b - a) * sqrt(s + 1) / ((s + 2) * sqrt(a * b));
    double k = 6 * ((a - b) * (a - b) * (s + 1) - a * b * (s + 2)) /
               (a * b * (s + 2) * (s + 3));
    double z = gsl_cdf_ugaussian_Pinv(prob);
    double w = z + g * (z * z - 1) / 6 + k * (z * z * z - 3 * z) / 24 -
               g * g * (2 * z * z * z - 5 * z) / 36;
    double q = mu + sd * w;
    return q < 0 ? 0.0 : q > 1 ? 1.0 : q;
}

/* qbeta(prob; a, b) with R's conventions for a zero shape (R's qbeta, as
 * survey's "beta" method relies on at p = 0 or 1): a = 0 is a point mass at
 * 0, b = 0 at 1, both zero half at each. */
static double q_beta(double prob, double a, double b)
{
    if (a == 0 && b == 0)
        return prob < 0.5 ? 0.0 : prob > 0.5 ? 1.0 : 0.5;
    if (a == 0)
        return 0.0;
    if (b == 0)
        return 1.0;
    if (!(a > 0 && b > 0 && isfinite(a) && isfinite(b)))
        return NAN;
    if (a >= BETA_CF_SHAPE && b >= BETA_CF_SHAPE)
        return q_beta_cf(prob, a, b);
    return q_beta_search(prob, a, b);
}

/* expit(x) = exp(x) / (1 + exp(x)), written not to overflow. */
static double expit(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

/* survey:::tconfint on some scale: CENTRE + S qt(c(A/2, 1 - A/2), DF). */
static void t_bounds(double centre, double s, double a, double df,
                     double *lo, double *hi)
{
    *lo = centre + s * q_t(a / 2, df);
    *hi = centre + s * q_t(1 - a / 2, df);
}

/* ---- Intervals for a proportion --------------------------------------- */

typedef struct prop_in {
    double p, se, df, a; /* a = 1 - level */
    size_t n;
} prop_in_t;

/* Each method fills *lo, *hi and returns NULL, or returns the reason the
 * interval is undefined.  Common checks (p, n, df, se finite) are done. */

/* survey:::tconfint: cf + se * qt(c(a/2, 1 - a/2), df). */
static const char *ci_wald(const prop_in_t *x, double *lo, double *hi)
{
    if (x->se == 0)
        return R_SE_0;
    t_bounds(x->p, x->se, x->a, x->df, lo, hi);
    return NULL;
}

/* svyciprop "logit" (svyglm Wald interval) and "xlogit" (svycontrast on
 * log(p / (1 - p)), delta-method se / (p (1 - p))), then expit. */
static const char *ci_logit(const prop_in_t *x, double *lo, double *hi)
{
    if (x->p == 0 || x->p == 1)
        return R_LOGIT;
    if (x->se == 0)
        return R_SE_0;
    double eta = log(x->p / (1 - x->p));
    double s = x->se / (x->p * (1 - x->p));
    double e_lo, e_hi;
    t_bounds(eta, s, x->a, x->df, &e_lo, &e_hi);
    *lo = expit(e_lo);
    *hi = expit(e_hi);
    return NULL;
}

/* svyciprop "asin": sin(asin(sqrt p) -/+ t se / (2 sqrt(p (1 - p))))^2; the
 * angle is clipped to [0, pi/2] where R lets it fold back. */
static const char *ci_asin(const prop_in_t *x, double *lo, double *hi)
{
    if (x->p == 0 || x->p == 1)
        return R_ASIN;
    if (x->se == 0)
        return R_SE_0;
    double theta = asin(sqrt(x->p));
    double s = x->se / (2 * sqrt(x->p * (1 - x->p)));
    double t_lo, t_hi;
    t_bounds(theta, s, x->a, x->df, &t_lo, &t_hi);
    double s_lo = t_lo > 0 ? sin(t_lo) : 0.0;
    double s_hi = t_hi < M_PI_2 ? sin(t_hi) : 1.0;
    *lo = s_lo * s_lo;
    *hi = s_hi * s_hi;
    return NULL;
}

/* Korn-Graubard df factor (qt(a/2, n - 1) / qt(a/2, df))^2 (svyciprop
 * "beta"). */
static double kg_ratio(const prop_in_t *x)
{
    double r = q_t(x->a / 2, (double)x->n - 1) / q_t(x->a / 2, x->df);
    return r * r;
}

/* The sample size n* of the beta-based intervals, or a reason.  beta: R's
 * n_eff * ratio; kg-nchs: capped at n, n at p = 0 or 1 or se = 0;
 * jeffreys: R's n*, n at p = 0 or 1. */
static const char *beta_size(const prop_in_t *x, graft_ci_method_t m,
                             double *n_star)
{
    int edge = x->p == 0 || x->p == 1;
    double n = (double)x->n;
    if (m != GRAFT_CI_BETA && (edge || (m == GRAFT_CI_KG_NCHS && x->se == 0))) {
        *n_star = n; /* NCHS: the variance is 0, use n */
        return NULL;
    }
    if (x->se == 0)
        return R_SE_0;
    if (x->n < 2)
        return R_N2;
    double ns = x->p * (1 - x->p) / (x->se * x->se) * kg_ratio(x);
    *n_star = (m == GRAFT_CI_KG_NCHS && ns > n) ? n : ns;
    return NULL;
}

/* Korn-Graubard (svyciprop "beta") and its NCHS variant: Clopper-Pearson
 * beta quantiles at n* (Korn and Graubard 1998). */
static const char *ci_beta(const prop_in_t *x, graft_ci_method_t m,
                           double *lo, double *hi)
{
    double ns;
    const char *why = beta_size(x, m, &ns);
    if (why != NULL)
        return why;
    *lo = q_beta(x->a / 2, ns * x->p, ns * (1 - x->p) + 1);
    *hi = q_beta(1 - x->a / 2, ns * x->p + 1, ns * (1 - x->p));
    return NULL;
}

/* Jeffreys: Beta(n* p + 1/2, n* (1 - p) + 1/2) quantiles; lower 0 at p = 0,
 * upper 1 at p = 1 (Brown, Cai and DasGupta 2001). */
static const char *ci_jeffreys(const prop_in_t *x, double *lo, double *hi)
{
    double ns;
    const char *why = beta_size(x, GRAFT_CI_JEFFREYS, &ns);
    if (why != NULL)
        return why;
    double sa = ns * x->p + 0.5, sb = ns * (1 - x->p) + 0.5;
    *lo = x->p == 0 ? 0.0 : q_beta(x->a / 2, sa, sb);
    *hi = x->p == 1 ? 1.0 : q_beta(1 - x->a / 2, sa, sb);
    return NULL;
}

/* Wilson score interval with m = n_eff and t on df (R survey 4.5's
 * "wilson"; docs/METHODS.md); m = n at p = 0 or 1. */
static const char *ci_wilson(const prop_in_t *x, double *lo, double *hi)
{
    int edge = x->p == 0 || x->p == 1;
    if (!edge && x->se == 0)
        return R_SE_0;
    double p = x->p;
    double m = edge ? (double)x->n : p * (1 - p) / (x->se * x->se);
    double t = q_t(1 - x->a / 2, x->df);
    double centre = p + t * t / (2 * m);
    double half = t / (2 * m) * sqrt(4 * m * p * (1 - p) + t * t);
    double den = 1 + t * t / m;
    *lo = p == 0 ? 0.0 : (centre - half) / den;
    *hi = p == 1 ? 1.0 : (centre + half) / den;
    return NULL;
}

static void ci_undefined(graft_ci_t *out, const char *reason)
{
    out->lo = NAN;
    out->hi = NAN;
    out->reason = reason;
}

/* Validate the arguments every interval shares and mark *OUT undefined
 * ("invalid arguments") until the caller fills it.  Returns GRAFT_OK or the
 * error. */
static graft_error_t check_args(double se, double level, graft_ci_t *out,
                                graft_diag_t *diag)
{
    if (out == NULL)
        return graft_diag_set(diag, GRAFT_ERR_INTERNAL, NULL, 0, 0,
                              "confidence interval: no output");
    ci_undefined(out, R_INVALID);
    if (!(level > 0 && level < 1))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "confidence level %g is not between 0 and 1",
                              level);
    if (se < 0)
        return graft_diag_set(diag, GRAFT_ERR_INTERNAL, NULL, 0, 0,
                              "confidence interval: negative se (%.17g)", se);
    return GRAFT_OK;
}

/* Dispatch METHOD; returns the reason the interval is undefined, or NULL. */
static const char *prop_method(const prop_in_t *x, graft_ci_method_t method,
                               double *lo, double *hi)
{
    switch (method) {
    case GRAFT_CI_WALD:
        return ci_wald(x, lo, hi);
    case GRAFT_CI_LOGIT:
    case GRAFT_CI_XLOGIT:
        return ci_logit(x, lo, hi);
    case GRAFT_CI_ASIN:
        return ci_asin(x, lo, hi);
    case GRAFT_CI_BETA:
    case GRAFT_CI_KG_NCHS:
        return ci_beta(x, method, lo, hi);
    case GRAFT_CI_JEFFREYS:
        return ci_jeffreys(x, lo, hi);
    case GRAFT_CI_WILSON:
        return ci_wilson(x, lo, hi);
    }
    return R_QUANTILE; /* not reached: the caller checked METHOD */
}

graft_error_t graft_ci_prop(double p, double se, double df, size_t n,
                            double level, graft_ci_method_t method,
                            graft_ci_t *out, graft_diag_t *diag)
{
    graft_error_t rc = check_args(se, level, out, diag);
    if (rc != GRAFT_OK)
        return rc;
    if ((int)method < 0 || (int)method >= GRAFT_CI_N_METHODS)
        return graft_diag_set(diag, GRAFT_ERR_INTERNAL, NULL, 0, 0,
                              "confidence interval: unknown method %d",
                              (int)method);
    if (isfinite(p) && (p < 0 || p > 1))
        return graft_diag_set(diag, GRAFT_ERR_INTERNAL, NULL, 0, 0,
                              "confidence interval: proportion %.17g is "
                              "outside [0, 1]", p);

    const char *why = !isfinite(p) ? R_P_NAN
                      : n == 0     ? R_NO_ROWS
                      : !(df > 0)  ? R_DF
                      : !isfinite(se) ? R_SE_NAN
                                      : NULL;
    double lo = NAN, hi = NAN;
    if (why == NULL) {
        prop_in_t x = {p, se, df, 1 - level, n};
        why = prop_method(&x, method, &lo, &hi);
    }
    if (why == NULL && !(isfinite(lo) && isfinite(hi)))
        why = R_QUANTILE;
    if (why != NULL) {
        ci_undefined(out, why);
        return GRAFT_OK;
    }
    out->lo = lo;
    out->hi = hi;
    out->reason = NULL;
    return GRAFT_OK;
}

/* ---- Interval for a mean or total ------------------------------------- */

graft_error_t graft_ci_mean(double est, double se, double df, double level,
                            graft_ci_t *out, graft_diag_t *diag)
{
    graft_error_t rc = check_args(se, level, out, diag);
    if (rc != GRAFT_OK)
        return rc;
    const char *why = !isfinite(est)  ? R_EST_NAN
                      : !(df > 0)     ? R_DF
                      : !isfinite(se) ? R_SE_NAN
                      : se == 0       ? R_SE_0
                                      : NULL;
    if (why == NULL) {
        double a = 1 - level; /* survey:::tconfint */
        t_bounds(est, se, a, df, &out->lo, &out->hi);
        out->reason = NULL;
        if (!(isfinite(out->lo) && isfinite(out->hi)))
            why = R_QUANTILE;
    }
    if (why != NULL)
        ci_undefined(out, why);
    return GRAFT_OK;
}

/* ---- Design effects and precision ------------------------------------- */

double graft_ci_deff(double p, double se, size_t n)
{
    if (n == 0 || !(p > 0 && p < 1) || !isfinite(se))
        return NAN;
    return se * se / (p * (1 - p) / (double)n);
}

double graft_ci_neff(double p, double se)
{
    if (!isfinite(p) || !isfinite(se))
        return NAN;
    return p * (1 - p) / (se * se); /* 0/0 = NaN at p = 0 or 1 */
}

/* R survey's cv.default (R/survey.R): SE(object) / coef(object), negative
 * for a negative statistic, as graft_estimate_row_t.cv. */
double graft_ci_cv(double est, double se)
{
    if (!isfinite(est) || !isfinite(se) || est == 0)
        return NAN;
    return se / est;
}

/* ---- NCHS reliability ------------------------------------------------- */

int graft_rel_suppressed(const graft_rel_t *rel)
{
    return rel != NULL && (rel->rules & GRAFT_REL_SUPPRESS_RULES) != 0;
}

/* Append S to BUF of SIZE, truncating (GRAFT_REL_FLAG_SIZE leaves room for
 * the longest flag, so nothing is cut in practice). */
static void flag_cat(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf), add = strlen(s);
    if (len + 1 >= size)
        return;
    if (add > size - 1 - len)
        add = size - 1 - len;
    memcpy(buf + len, s, add);
    buf[len + add] = '\0';
}

/* Append "; TEXT" to BUF of SIZE ("TEXT" for the first item). */
static void flag_add(char *buf, size_t size, int *count, const char *text)
{
    if (*count > 0)
        flag_cat(buf, size, "; ");
    flag_cat(buf, size, text);
    (*count)++;
}

/* Build out->flag from out->rules.  REL_TEXT names the relative-width
 * rule, which differs for proportions and means. */
static void flag_build(graft_rel_t *out, size_t min_n, const char *rel_text)
{
    char item[GRAFT_REL_FLAG_SIZE];
    char *f = out->flag;
    size_t size = sizeof out->flag;
    int count = 0;
    unsigned r = out->rules;

    f[0] = '\0';
    if (r & GRAFT_REL_SUPPRESS_RULES) {
        flag_cat(f, size, "suppress: ");
        if (r & GRAFT_REL_MIN_N) {
            snprintf(item, sizeof item, "n < %zu", min_n);
            flag_add(f, size, &count, item);
        }
        if (r & GRAFT_REL_NEFF)
            flag_add(f, size, &count, "n_eff < 30");
        if (r & GRAFT_REL_NO_CI) {
            flag_add(f, size, &count, "CI undefined (");
            flag_cat(f, size, out->ci.reason ? out->ci.reason : "?");
            flag_cat(f, size, ")");
        }
        if (r & GRAFT_REL_WIDTH)
            flag_add(f, size, &count, "CI width >= 0.30");
        if (r & GRAFT_REL_REL_WIDTH)
            flag_add(f, size, &count, rel_text);
        return;
    }
    if (r & GRAFT_REL_REVIEW_RULES) {
        flag_cat(f, size, "review: ");
        if (r & GRAFT_REL_DF)
            flag_add(f, size, &count, "df < 8");
        if (r & GRAFT_REL_P01)
            flag_add(f, size, &count, "p is 0 or 1");
    } else if (r & GRAFT_REL_COMPLEMENT) {
        flag_cat(f, size, "note: ");
    }
    if (r & GRAFT_REL_COMPLEMENT)
        flag_add(f, size, &count, "complement unreliable");
}

/* Parker et al. 2017, "NCHS Data Presentation Standards for Proportions",
 * Vital Health Stat 2(175), figure 1; the complement footnote as in CDC
 * surveytable (width > 0.05 first, like the relative-width rule). */
void graft_rel_prop_rules(double p, double n_eff, const graft_ci_t *ci,
                          double df, size_t n, size_t min_n, graft_rel_t *out)
{
    unsigned r = 0;
    out->n_eff = n_eff;
    out->ci = *ci;
    out->width = graft_ci_defined(ci) ? ci->hi - ci->lo : NAN;
    double w = out->width;

    if (min_n > 0 && n < min_n)
        r |= GRAFT_REL_MIN_N;
    if (n_eff < GRAFT_REL_MIN_NEFF)
        r |= GRAFT_REL_NEFF;
    if (!graft_ci_defined(ci)) {
        r |= GRAFT_REL_NO_CI;
    } else {
        if (w >= GRAFT_REL_MAX_WIDTH)
            r |= GRAFT_REL_WIDTH;
        /* p = 0: w / p is infinite */
        if (w > GRAFT_REL_SMALL_WIDTH &&
            (p == 0 || w / p > GRAFT_REL_MAX_REL_WIDTH))
            r |= GRAFT_REL_REL_WIDTH;
    }
    if (!(r & GRAFT_REL_SUPPRESS_RULES)) {
        if (df < GRAFT_REL_MIN_DF)
            r |= GRAFT_REL_DF;
        if (p == 0 || p == 1)
            r |= GRAFT_REL_P01;
        if (w > GRAFT_REL_SMALL_WIDTH &&
            (p == 1 || w / (1 - p) > GRAFT_REL_MAX_REL_WIDTH))
            r |= GRAFT_REL_COMPLEMENT;
    }
    out->rules = r;
    flag_build(out, min_n, "relative CI width > 130%");
}

static void rel_clear(graft_rel_t *out)
{
    out->rules = 0;
    out->n_eff = NAN;
    out->ci.lo = out->ci.hi = NAN;
    out->ci.reason = NULL;
    out->width = NAN;
    out->flag[0] = '\0';
}

graft_error_t graft_rel_prop(double p, double se, double df, size_t n,
                             double level, size_t min_n, graft_rel_t *out,
                             graft_diag_t *diag)
{
    if (out == NULL)
        return graft_diag_set(diag, GRAFT_ERR_INTERNAL, NULL, 0, 0,
                              "reliability: no output");
    rel_clear(out);
    graft_ci_t ci;
    graft_error_t rc =
        graft_ci_prop(p, se, df, n, level, GRAFT_CI_KG_NCHS, &ci, diag);
    if (rc != GRAFT_OK)
        return rc;
    /* NCHS: n_eff = p (1 - p) / se^2, capped at n; n when the variance is 0 */
    double n_eff = se == 0 ? (double)n : graft_ci_neff(p, se);
    if (n_eff > (double)n)
        n_eff = (double)n;
    graft_rel_prop_rules(p, n_eff, &ci, df, n, min_n, out);
    return GRAFT_OK;
}

/* NCHS Data Presentation Standards for Rates and Counts (Series 2 No.
 * 200, 2023): relative CI width > 160 % suppresses, df < 8 reviews. */
graft_error_t graft_rel_mean(double est, double se, double df, size_t n,
                             double level, size_t min_n, graft_rel_t *out,
                             graft_diag_t *diag)
{
    if (out == NULL)
        return graft_diag_set(diag, GRAFT_ERR_INTERNAL, NULL, 0, 0,
                              "reliability: no output");
    rel_clear(out);
    graft_error_t rc = graft_ci_mean(est, se, df, level, &out->ci, diag);
    if (rc != GRAFT_OK)
        return rc;
    unsigned r = 0;
    if (min_n > 0 && n < min_n)
        r |= GRAFT_REL_MIN_N;
    if (!graft_ci_defined(&out->ci)) {
        r |= GRAFT_REL_NO_CI;
    } else {
        double w = out->ci.hi - out->ci.lo;
        out->width = w;
        /* est = 0: relative width infinite */
        if (w > 0 && (est == 0 ||
                      w / fabs(est) > GRAFT_REL_MAX_REL_WIDTH_MEAN))
            r |= GRAFT_REL_REL_WIDTH;
    }
    if (!(r & GRAFT_REL_SUPPRESS_RULES) && df < GRAFT_REL_MIN_DF)
        r |= GRAFT_REL_DF;
    out->rules = r;
    flag_build(out, min_n, "relative CI width > 160%");
    return GRAFT_OK;
}
