/*
 * graft/ci.h - confidence intervals for proportions, means and totals, and
 * the NCHS reliability flags.
 *
 * The estimator computes an estimate, its standard error, the degrees of
 * freedom and the rows in the domain; this module turns them into an
 * interval and a reliability flag.  Pure functions of their arguments: no
 * allocation, no state, nothing printed.  Functions never take ownership of
 * pointer arguments; every reason string they hand back is static.
 *
 * Intervals for a proportion match R survey 4.1's svyciprop(method = ...)
 * (R's name in brackets) with t quantiles on DF degrees of freedom, a = 1 -
 * level, t = qt(1 - a/2, df):
 *   wald     ["mean"]   p -/+ t se
 *   logit    ["logit"]  expit(logit(p) -/+ t se / (p (1 - p)))
 *   xlogit   ["xlogit"] the same formula (R: svycontrast on log(p/(1-p)))
 *   asin     ["asin"]   sin^2(asin(sqrt p) -/+ t se / (2 sqrt(p (1 - p))))
 *   beta     ["beta"]   Korn-Graubard: n_eff = p (1 - p) / se^2,
 *                       n* = n_eff (qt(a/2, n - 1) / qt(a/2, df))^2,
 *                       [qbeta(a/2; n* p, n* (1 - p) + 1),
 *                        qbeta(1 - a/2; n* p + 1, n* (1 - p))]
 *   kg-nchs             beta with n* capped at n (see below)
 *   wilson   [4.5]      m = n_eff: (p + t^2/(2m) -/+ t/(2m)
 *                       sqrt(4 m p (1 - p) + t^2)) / (1 + t^2/m)
 *   jeffreys            [qbeta(a/2; n* p + 1/2, n* (1 - p) + 1/2),
 *                        qbeta(1 - a/2; same)], n* as in beta
 * n is the number of unweighted rows in the domain (R's nrow() of the
 * domain subset), df the domain's degrees of freedom (R's degf() of it).
 *
 * UNDEFINED INTERVALS.  An interval that cannot be computed is reported as
 * NaN bounds with a static reason string, never as a zero-width interval.
 * The checks, first match wins:
 *   "p is not finite"                 p is NaN or infinite (empty domain)
 *   "no rows in the domain"           n = 0
 *   "df <= 0"                         df <= 0 or NaN (R: NaN, qt(., 0))
 *   "se is not finite"                se is NaN or infinite
 *   "p is 0 or 1: logit interval undefined"   logit, xlogit (and
 *   "p is 0 or 1: asin interval undefined"    asin): the transform is
 *                                              infinite at 0 and 1
 *   "se is 0: interval undefined"     wald, logit, xlogit, asin, beta,
 *                                     wilson, jeffreys with se = 0 and
 *                                     0 < p < 1; wald and beta with se = 0
 *                                     and p = 0 or 1 (R gives [p, p] for
 *                                     wald, NaN for beta)
 *   "n < 2: Korn-Graubard df adjustment undefined"   beta, kg-nchs,
 *                                     jeffreys need qt(a/2, n - 1)
 *   "quantile not finite"             a quantile came out NaN: GSL's t
 *                                     quantile for df below ~0.01, or an
 *                                     infinite beta shape (se ~ 1e-300)
 * Deliberate differences from R survey 4.1, checked by tests/test_ci.c:
 *   - se = 0 (e.g. p = 0 or 1 in a domain): R's "mean" and "logit" give a
 *     zero-width interval; graft reports it undefined.
 *   - logit with df = 1: R computes the t quantile as a normal quantile at
 *     level 1 - 2 pnorm(qt(a/2, 1)), which rounds to 1, and returns (0,
 *     NaN); graft uses qt directly (= R's xlogit interval).
 *   - asin: R does not clip the angle, so an angle below 0 or above pi/2
 *     folds back (a bound moves towards p).  graft clips the angle to
 *     [0, pi/2]: the bound becomes 0 or 1.  Equal to R whenever R's angle
 *     is inside.
 *   - beta with 0 < se and p = 0 or 1 (impossible with linearization): R's
 *     qbeta with a zero shape gives 0 (lower) and 1 (upper); graft too.
 *     (Not a difference; neither is this: wald is not clipped to [0, 1],
 *     R's is not either.)
 *
 * p = 0 OR 1 WHERE THE METHOD DEFINES IT (the variance is then 0, so
 * n_eff = p (1 - p) / se^2 is 0/0):
 *   kg-nchs   n* = n, the NCHS rule (Parker et al. 2017; CDC surveytable's
 *             svyciprop_adjusted): p = 0 gives [0, qbeta(1 - a/2; 1, n)],
 *             p = 1 gives [qbeta(a/2; n, 1), 1].  Not df-adjusted.
 *   jeffreys  n* = n; lower 0 when p = 0, upper 1 when p = 1 (Brown, Cai
 *             and DasGupta 2001).
 *   wilson    m = n: p = 0 gives [0, (t^2/n) / (1 + t^2/n)].
 * kg-nchs CAP.  n* = min(n, n_eff (qt(a/2, n - 1) / qt(a/2, df))^2): the
 * cap applies to the df-adjusted n*, as in CDC surveytable (Makram Talih's
 * svyciprop_adjusted).  With se = 0 and 0 < p < 1, n* = n.
 * df = +Inf is accepted and means normal quantiles.
 *
 * QUANTILES.  t: gsl_cdf_tdist_Pinv (gsl_cdf_ugaussian_Pinv for df = Inf).
 * beta: not gsl_cdf_beta_Pinv, which in GSL 2.7 returns NaN for shapes
 * below ~1e-3, loops forever when both shapes exceed ~1e6 and is off by
 * 1e-3 near 1e7.  graft bisects on the bit patterns of the doubles in
 * [0, 1] with GSL's incomplete beta (P, or Q above the median; at most 62
 * steps), and uses a Cornish-Fisher expansion once both shapes exceed 1e5
 * (where the incomplete beta itself starts to fail).  Against R's qbeta:
 * relative error below 1e-9 for shapes up to 1e9 (a quantile that
 * underflows, which R returns as 0, comes out as the smallest double).
 */
#ifndef GRAFT_CI_H
#define GRAFT_CI_H

#include <stddef.h>
#include "graft/error.h"

/* Interval methods for a proportion.  Fixed values: append, never
 * renumber. */
typedef enum graft_ci_method {
    GRAFT_CI_LOGIT = 0,
    GRAFT_CI_WALD = 1,
    GRAFT_CI_BETA = 2,
    GRAFT_CI_KG_NCHS = 3,
    GRAFT_CI_WILSON = 4,
    GRAFT_CI_JEFFREYS = 5,
    GRAFT_CI_ASIN = 6,
    GRAFT_CI_XLOGIT = 7
} graft_ci_method_t;

#define GRAFT_CI_N_METHODS 8

/* Parse a command-line name ("logit", "wald", "beta", "kg-nchs", "wilson",
 * "jeffreys", "asin", "xlogit"; exact, case-sensitive) into *OUT.  Returns 1
 * on success, 0 (and *OUT untouched) if NAME is NULL or not a method. */
int graft_ci_method_parse(const char *name, graft_ci_method_t *out);

/* The command-line name of METHOD, or "?" for a value outside the enum. */
const char *graft_ci_method_name(graft_ci_method_t method);

/* An interval.  When the interval is undefined, lo and hi are NaN and
 * reason is a static string saying why; otherwise reason is NULL. */
typedef struct graft_ci {
    double lo;
    double hi;
    const char *reason;
} graft_ci_t;

/* 1 if CI holds a defined interval (reason NULL), 0 otherwise. */
int graft_ci_defined(const graft_ci_t *ci);

/* The interval for a proportion P (0 <= P <= 1) with standard error SE,
 * DF degrees of freedom (may be <= 0 or +Inf), N unweighted rows in the
 * domain, at confidence LEVEL, by METHOD.  Fills *OUT.  Returns GRAFT_OK
 * also when the interval is undefined (out->reason says why); fails with
 * GRAFT_ERR_USAGE if LEVEL is not inside (0, 1), and with GRAFT_ERR_INTERNAL
 * if OUT is NULL, METHOD is not a method, P is finite but outside [0, 1] or
 * SE is negative (a bug in the caller).  On failure *OUT (if any) holds NaN
 * bounds with the reason "invalid arguments", and DIAG (which may be NULL)
 * holds the message. */
graft_error_t graft_ci_prop(double p, double se, double df, size_t n,
                            double level, graft_ci_method_t method,
                            graft_ci_t *out, graft_diag_t *diag);

/* The t interval EST -/+ qt(1 - a/2, DF) SE for a mean, ratio or total (R:
 * confint(svymean(...), df = degf(design))).  Undefined (NaN bounds and a
 * reason) when EST is not finite ("estimate is not finite"), DF <= 0
 * ("df <= 0"), SE is not finite ("se is not finite") or SE = 0 ("se is 0:
 * interval undefined").  Fails as graft_ci_prop does for LEVEL, OUT and a
 * negative SE. */
graft_error_t graft_ci_mean(double est, double se, double df, double level,
                            graft_ci_t *out, graft_diag_t *diag);

/* ---- Design effects and precision ------------------------------------- */

/* Design effect of a proportion against simple random sampling with
 * replacement of N rows: se^2 / (p (1 - p) / n).  NaN when N = 0 or P is
 * not inside (0, 1) (the SRS variance is 0) or SE is not finite.  Not R's
 * deff = "replace", whose SRS variance uses the weighted svyvar. */
double graft_ci_deff(double p, double se, size_t n);

/* Effective sample size of a proportion, p (1 - p) / se^2 (= n / deff), not
 * capped.  +Inf when SE = 0 and 0 < P < 1; NaN when P is 0 or 1 and SE = 0,
 * or an argument is not finite. */
double graft_ci_neff(double p, double se);

/* Coefficient of variation se / est, as R's cv() (negative when EST is;
 * R warns that it "may not be useful for negative statistics").  NaN when
 * EST = 0 or an argument is not finite. */
double graft_ci_cv(double est, double se);

/* ---- NCHS reliability ------------------------------------------------- */

/* Rules that can fire, as bits of graft_rel_t.rules.  Fixed values. */
enum graft_rel_rule {
    GRAFT_REL_MIN_N = 1u << 0,       /* suppress: n < min_n (--min-n) */
    GRAFT_REL_NEFF = 1u << 1,        /* suppress: n_eff < 30 */
    GRAFT_REL_NO_CI = 1u << 2,       /* suppress: no KG interval */
    GRAFT_REL_WIDTH = 1u << 3,       /* suppress: KG width >= 0.30 */
    GRAFT_REL_REL_WIDTH = 1u << 4,   /* suppress: width > 0.05 and width / p
                                        > 130 % (means: width / |est| >
                                        160 %) */
    GRAFT_REL_DF = 1u << 5,          /* review: df < 8 */
    GRAFT_REL_P01 = 1u << 6,         /* review: p is 0 or 1 */
    GRAFT_REL_COMPLEMENT = 1u << 7   /* note: width > 0.05 and width / (1 - p)
                                        > 130 % */
};

#define GRAFT_REL_SUPPRESS_RULES                                               \
    (GRAFT_REL_MIN_N | GRAFT_REL_NEFF | GRAFT_REL_NO_CI | GRAFT_REL_WIDTH |    \
     GRAFT_REL_REL_WIDTH)
#define GRAFT_REL_REVIEW_RULES (GRAFT_REL_DF | GRAFT_REL_P01)

/* The NCHS thresholds (Parker et al. 2017; Series 2 No. 200 for counts). */
#define GRAFT_REL_MIN_NEFF 30.0
#define GRAFT_REL_MAX_WIDTH 0.30
#define GRAFT_REL_SMALL_WIDTH 0.05
#define GRAFT_REL_MAX_REL_WIDTH 1.30
#define GRAFT_REL_MAX_REL_WIDTH_MEAN 1.60
#define GRAFT_REL_MIN_DF 8.0

#define GRAFT_REL_FLAG_SIZE 256 /* the longest possible flag is 107 bytes */

/* A reliability verdict.
 *
 * flag is "" when no rule fired.  Otherwise, in this order:
 *   "suppress: R1; R2..."  every suppress rule that fired, joined by "; "
 *                          in the order n < MIN_N, n_eff < 30,
 *                          CI undefined (REASON), CI width >= 0.30,
 *                          relative CI width > 130% (> 160% for means);
 *                          review rules and the complement note are then
 *                          left out (the estimate is not shown);
 *   "review: R1; R2..."    df < 8, p is 0 or 1; followed by
 *                          "; complement unreliable" if that note fired;
 *   "note: complement unreliable"   when it is the only rule that fired.
 * MIN_N is printed as its value, e.g. "suppress: n < 50". */
typedef struct graft_rel {
    unsigned rules;      /* graft_rel_rule bits that fired */
    double n_eff;        /* proportions: p (1 - p) / se^2 capped at n, and n
                            when se = 0; means: NaN */
    graft_ci_t ci;       /* the interval the width rules used: kg-nchs for a
                            proportion, the t interval for a mean */
    double width;        /* ci.hi - ci.lo; NaN when ci is undefined */
    char flag[GRAFT_REL_FLAG_SIZE];
} graft_rel_t;

/* 1 if a suppress rule fired in REL, 0 otherwise. */
int graft_rel_suppressed(const graft_rel_t *rel);

/* NCHS Data Presentation Standards for Proportions (Parker et al. 2017):
 * judge a proportion P with SE, DF, N rows, using the kg-nchs interval at
 * LEVEL (the standards use 0.95).  MIN_N = 0 disables the n < MIN_N rule.
 * Rules: n_eff = p (1 - p) / se^2 capped at n (n when se = 0); suppress if
 * n < MIN_N, n_eff < 30, the interval is undefined (e.g. df <= 0), width
 * >= 0.30, or width > 0.05 and width / p > 1.30 (p = 0: relative width
 * infinite, so suppressed when width > 0.05); otherwise review if df < 8 and
 * if p is 0 or 1; the complement note fires (unless suppressed) if width >
 * 0.05 and width / (1 - p) > 1.30 (p = 1: infinite).  Boundaries: n_eff =
 * 30 passes, width = 0.30 is suppressed, relative width = 130 % passes.
 * Fills *OUT; fails as graft_ci_prop does (level, negative se, p outside
 * [0, 1], OUT NULL). */
graft_error_t graft_rel_prop(double p, double se, double df, size_t n,
                             double level, size_t min_n, graft_rel_t *out,
                             graft_diag_t *diag);

/* The rule table of graft_rel_prop alone, for callers (and tests) that
 * already hold n_eff and the interval: fills out->rules and out->flag from
 * P, N_EFF, the interval CI (its width is ci->hi - ci->lo, or the reason
 * when undefined), DF, N and MIN_N; copies N_EFF and CI into *OUT. */
void graft_rel_prop_rules(double p, double n_eff, const graft_ci_t *ci,
                          double df, size_t n, size_t min_n,
                          graft_rel_t *out);

/* NCHS standard for counts, means and rates (Series 2 No. 200): the t
 * interval at LEVEL; suppress if n < MIN_N (MIN_N > 0), the interval is
 * undefined, or (hi - lo) / |est| > 1.60 (est = 0: suppressed whenever the
 * width is positive); otherwise review if df < 8.  n_eff is NaN.  Fails as
 * graft_ci_mean does. */
graft_error_t graft_rel_mean(double est, double se, double df, size_t n,
                             double level, size_t min_n, graft_rel_t *out,
                             graft_diag_t *diag);

#endif
