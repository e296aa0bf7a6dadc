/*
 * test_ci.c - the interval and reliability module (src/stats/ci.c).
 *
 * Three reference files, made by tests/R/ci_ref.R (R 4.2.2, survey 4.1-1):
 *   tests/ref/ci_ref.csv      svyciprop() per domain of R's api data for the
 *                             methods R has (survey-package checks); rows
 *                             with agree = 0 hold graft's documented
 *                             deviation instead of R's value.  Tolerance
 *                             1e-9 relative, 1e-7 for logit from the ratio
 *                             p (R's svyglm p is off by up to ~3e-8) and
 *                             1e-9 again from R's own svyglm p and se.
 *   tests/ref/ci_formula.csv  kg-nchs, jeffreys, wilson computed from their
 *                             formulas with R's qt/qbeta: formula checks, not
 *                             survey-package checks (R 4.1 lacks them).
 *   tests/ref/ci_mean_ref.csv confint(svymean / svytotal, df = degf(sub)).
 * The rest are hand-computed cases: every undefined-interval reason and
 * error message pinned, the p = 0 / 1 conventions in closed form, and each
 * NCHS rule firing, with its boundary (n_eff = 30, width = 0.30, relative
 * width = 130 %).
 */
#include "test_util.h"
#include "test_table.h"
#include "graft/ci.h"

#include <float.h>
#include <gsl/gsl_errno.h>

#define REF_R "tests/ref/ci_ref.csv"
#define REF_FORMULA "tests/ref/ci_formula.csv"
#define REF_MEAN "tests/ref/ci_mean_ref.csv"

/* ---- the reference CSV files (test_table.h) ---- */

static double ref_num(const table_t *r, size_t row, const char *name)
{
    const char *s = cell(r, row, name);
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0')
        fail_msg("row %zu: column %s is not a number: '%s'", row + 2, name, s);
    return v;
}

/* Check an interval against the reference bounds WANT_LO, WANT_HI (NaN:
 * the interval must be undefined, with a reason). */
static void check_against(const graft_ci_t *ci, double want_lo, double want_hi,
                          double rel, const char *what)
{
    if (isnan(want_lo) || isnan(want_hi)) {
        if (ci->reason == NULL)
            fail_msg("%s: got [%.17g, %.17g], want undefined", what, ci->lo,
                     ci->hi);
        assert_true(isnan(ci->lo) && isnan(ci->hi));
        return;
    }
    if (ci->reason != NULL)
        fail_msg("%s: undefined (%s), want [%.17g, %.17g]", what, ci->reason,
                 want_lo, want_hi);
    if (!test_close_ok(ci->lo, want_lo, rel, 1e-15) ||
        !test_close_ok(ci->hi, want_hi, rel, 1e-15))
        fail_msg("%s: got [%.17g, %.17g], want [%.17g, %.17g] (rel %g)", what,
                 ci->lo, ci->hi, want_lo, want_hi, rel);
}

/* ---- Reference files ---------------------------------------------------- */

/* svyciprop on R's api data: wald, logit, beta, asin, xlogit by domain. */
static void test_ref_survey(void **state)
{
    (void)state;
    table_t *r = table_open(REF_R);
    size_t n_defined = 0, n_undefined = 0, n_deviate = 0, n_l90 = 0;
    size_t n_glm = 0;
    assert_true(r->nrows >= 200);
    for (size_t i = 0; i < r->nrows; i++) {
        char what[256];
        const char *mname = cell(r, i, "method");
        snprintf(what, sizeof what, "%s line %zu (%s %s %s)", REF_R, i + 2,
                 cell(r, i, "case"), cell(r, i, "domain"), mname);
        graft_ci_method_t m;
        assert_true(graft_ci_method_parse(mname, &m));
        double df = ref_num(r, i, "df");
        graft_ci_t ci;
        assert_int_equal(graft_ci_prop(ref_num(r, i, "p"), ref_num(r, i, "se"),
                                       df, (size_t)ref_num(r, i, "n"),
                                       ref_num(r, i, "level"), m, &ci, NULL),
                         GRAFT_OK);
        /* logit: R goes through svyglm, whose p differs from the ratio by
         * ~1e-12; everything else uses the plain ratio. */
        double rel = m == GRAFT_CI_LOGIT ? 1e-7 : REL_TOL;
        check_against(&ci, ref_num(r, i, "lo"), ref_num(r, i, "hi"), rel,
                      what);
        if (df <= 0)
            assert_string_equal(ci.reason, "df <= 0");
        /* logit again from R's own svyglm p and logit-scale se: now the
         * only difference left is R's t-to-normal quantile round trip. */
        double p_glm = ref_num(r, i, "p_glm");
        if (!isnan(p_glm) && ref_num(r, i, "agree") == 1) {
            double se_p = ref_num(r, i, "se_glm") * p_glm * (1 - p_glm);
            assert_int_equal(graft_ci_prop(p_glm, se_p, df,
                                           (size_t)ref_num(r, i, "n"),
                                           ref_num(r, i, "level"), m, &ci,
                                           NULL),
                             GRAFT_OK);
            check_against(&ci, ref_num(r, i, "lo"), ref_num(r, i, "hi"),
                          REL_TOL, what);
            n_glm++;
        }
        if (graft_ci_defined(&ci))
            n_defined++;
        else
            n_undefined++;
        if (ref_num(r, i, "agree") == 0)
            n_deviate++;
        if (ref_num(r, i, "level") == 0.90)
            n_l90++;
    }
    /* The file covers defined and undefined intervals, deliberate
     * deviations and a second level. */
    assert_true(n_defined >= 150);
    assert_true(n_undefined >= 30);
    assert_true(n_deviate >= 10);
    assert_true(n_l90 >= 30);
    assert_true(n_glm >= 25);
    table_close(r);
}

/* kg-nchs, jeffreys, wilson against their formulas evaluated in R. */
static void test_ref_formula(void **state)
{
    (void)state;
    table_t *r = table_open(REF_FORMULA);
    size_t counts[GRAFT_CI_N_METHODS] = {0};
    for (size_t i = 0; i < r->nrows; i++) {
        char what[256];
        const char *mname = cell(r, i, "method");
        snprintf(what, sizeof what, "%s line %zu (%s %s)", REF_FORMULA, i + 2,
                 cell(r, i, "case"), mname);
        graft_ci_method_t m;
        assert_true(graft_ci_method_parse(mname, &m));
        graft_ci_t ci;
        assert_int_equal(graft_ci_prop(ref_num(r, i, "p"), ref_num(r, i, "se"),
                                       ref_num(r, i, "df"),
                                       (size_t)ref_num(r, i, "n"),
                                       ref_num(r, i, "level"), m, &ci, NULL),
                         GRAFT_OK);
        check_against(&ci, ref_num(r, i, "lo"), ref_num(r, i, "hi"), REL_TOL,
                      what);
        assert_true(graft_ci_defined(&ci));
        counts[m]++;
    }
    assert_true(counts[GRAFT_CI_KG_NCHS] >= 30);
    assert_true(counts[GRAFT_CI_JEFFREYS] >= 30);
    assert_true(counts[GRAFT_CI_WILSON] >= 30);
    table_close(r);
}

/* Means and totals: confint(svymean(...), df = degf(sub)). */
static void test_ref_mean(void **state)
{
    (void)state;
    table_t *r = table_open(REF_MEAN);
    size_t n_defined = 0;
    assert_true(r->nrows >= 30);
    for (size_t i = 0; i < r->nrows; i++) {
        char what[256];
        snprintf(what, sizeof what, "%s line %zu (%s %s %s)", REF_MEAN, i + 2,
                 cell(r, i, "case"), cell(r, i, "domain"),
                 cell(r, i, "kind"));
        graft_ci_t ci;
        double df = ref_num(r, i, "df");
        assert_int_equal(graft_ci_mean(ref_num(r, i, "est"),
                                       ref_num(r, i, "se"), df,
                                       ref_num(r, i, "level"), &ci, NULL),
                         GRAFT_OK);
        check_against(&ci, ref_num(r, i, "lo"), ref_num(r, i, "hi"), REL_TOL,
                      what);
        if (df <= 0)
            assert_string_equal(ci.reason, "df <= 0");
        else
            n_defined++;
    }
    assert_true(n_defined >= 20);
    table_close(r);
}

/* ---- Names -------------------------------------------------------------- */

static void test_method_names(void **state)
{
    (void)state;
    static const char *const names[] = {"logit", "wald", "beta", "kg-nchs",
                                        "wilson", "jeffreys", "asin",
                                        "xlogit"};
    for (int i = 0; i < GRAFT_CI_N_METHODS; i++) {
        graft_ci_method_t m = GRAFT_CI_XLOGIT;
        assert_true(graft_ci_method_parse(names[i], &m));
        assert_int_equal(m, i);
        assert_string_equal(graft_ci_method_name(m), names[i]);
    }
    assert_int_equal(GRAFT_CI_LOGIT, 0);
    assert_int_equal(GRAFT_CI_XLOGIT, 7);
    graft_ci_method_t m = GRAFT_CI_WALD;
    assert_false(graft_ci_method_parse("Logit", &m));
    assert_false(graft_ci_method_parse("kg_nchs", &m));
    assert_false(graft_ci_method_parse("mean", &m));
    assert_false(graft_ci_method_parse("", &m));
    assert_false(graft_ci_method_parse(NULL, &m));
    assert_int_equal(m, GRAFT_CI_WALD); /* untouched */
    assert_string_equal(graft_ci_method_name((graft_ci_method_t)8), "?");
    assert_string_equal(graft_ci_method_name((graft_ci_method_t)-1), "?");
}

/* ---- Errors and undefined intervals ------------------------------------ */

static void expect_error(graft_error_t rc, const graft_diag_t *d,
                         graft_error_t code, const char *msg)
{
    assert_int_equal(rc, code);
    assert_int_equal(d->code, code);
    assert_string_equal(d->msg, msg);
}

static void test_errors(void **state)
{
    (void)state;
    graft_diag_t d;
    graft_ci_t ci;
    static const double bad_levels[] = {0.0, 1.0, -0.5, 95.0};
    for (size_t i = 0; i < sizeof bad_levels / sizeof *bad_levels; i++) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 "confidence level %g is not between 0 and 1", bad_levels[i]);
        graft_diag_clear(&d);
        expect_error(graft_ci_prop(0.3, 0.05, 10, 50, bad_levels[i],
                                   GRAFT_CI_LOGIT, &ci, &d),
                     &d, GRAFT_ERR_USAGE, msg);
        assert_true(isnan(ci.lo) && isnan(ci.hi));
        assert_string_equal(ci.reason, "invalid arguments");
        graft_diag_clear(&d);
        expect_error(graft_ci_mean(3.0, 1.0, 10, bad_levels[i], &ci, &d), &d,
                     GRAFT_ERR_USAGE, msg);
    }
    graft_diag_clear(&d);
    expect_error(graft_ci_prop(0.3, 0.05, 10, 50, NAN, GRAFT_CI_LOGIT, &ci, &d),
                 &d, GRAFT_ERR_USAGE,
                 "confidence level nan is not between 0 and 1");

    graft_diag_clear(&d);
    expect_error(graft_ci_prop(1.25, 0.05, 10, 50, 0.95, GRAFT_CI_WALD, &ci,
                               &d),
                 &d, GRAFT_ERR_INTERNAL,
                 "confidence interval: proportion 1.25 is outside [0, 1]");
    graft_diag_clear(&d);
    expect_error(graft_ci_prop(-0.5, 0.05, 10, 50, 0.95, GRAFT_CI_WALD, &ci,
                               &d),
                 &d, GRAFT_ERR_INTERNAL,
                 "confidence interval: proportion -0.5 is outside [0, 1]");
    graft_diag_clear(&d);
    expect_error(graft_ci_prop(0.5, -0.25, 10, 50, 0.95, GRAFT_CI_WALD, &ci,
                               &d),
                 &d, GRAFT_ERR_INTERNAL,
                 "confidence interval: negative se (-0.25)");
    graft_diag_clear(&d);
    expect_error(graft_ci_mean(2.0, -0.25, 10, 0.95, &ci, &d), &d,
                 GRAFT_ERR_INTERNAL,
                 "confidence interval: negative se (-0.25)");
    graft_diag_clear(&d);
    expect_error(graft_ci_prop(0.5, 0.1, 10, 50, 0.95, (graft_ci_method_t)8,
                               &ci, &d),
                 &d, GRAFT_ERR_INTERNAL,
                 "confidence interval: unknown method 8");
    assert_string_equal(ci.reason, "invalid arguments");
    graft_diag_clear(&d);
    expect_error(graft_ci_prop(0.5, 0.1, 10, 50, 0.95, GRAFT_CI_WALD, NULL,
                               &d),
                 &d, GRAFT_ERR_INTERNAL, "confidence interval: no output");
    graft_diag_clear(&d);
    expect_error(graft_ci_mean(1, 0.1, 10, 0.95, NULL, &d), &d,
                 GRAFT_ERR_INTERNAL, "confidence interval: no output");
    /* DIAG may be NULL. */
    assert_int_equal(graft_ci_prop(0.5, 0.1, 10, 50, 2.0, GRAFT_CI_WALD, &ci,
                                   NULL),
                     GRAFT_ERR_USAGE);

    graft_rel_t rel;
    graft_diag_clear(&d);
    expect_error(graft_rel_prop(0.5, 0.1, 10, 50, 1.5, 0, &rel, &d), &d,
                 GRAFT_ERR_USAGE,
                 "confidence level 1.5 is not between 0 and 1");
    graft_diag_clear(&d);
    expect_error(graft_rel_prop(0.5, 0.1, 10, 50, 0.95, 0, NULL, &d), &d,
                 GRAFT_ERR_INTERNAL, "reliability: no output");
    graft_diag_clear(&d);
    expect_error(graft_rel_mean(0.5, -0.125, 10, 50, 0.95, 0, &rel, &d), &d,
                 GRAFT_ERR_INTERNAL,
                 "confidence interval: negative se (-0.125)");
    graft_diag_clear(&d);
    expect_error(graft_rel_mean(0.5, 0.1, 10, 50, 0.95, 0, NULL, &d), &d,
                 GRAFT_ERR_INTERNAL, "reliability: no output");
}

/* One undefined-interval case: METHOD on (P, SE, DF, N) must give REASON. */
static void expect_undefined(double p, double se, double df, size_t n,
                             graft_ci_method_t m, const char *reason)
{
    graft_ci_t ci;
    assert_int_equal(graft_ci_prop(p, se, df, n, 0.95, m, &ci, NULL), GRAFT_OK);
    if (ci.reason == NULL)
        fail_msg("%s p=%g se=%g df=%g n=%zu: got [%.17g, %.17g], want '%s'",
                 graft_ci_method_name(m), p, se, df, n, ci.lo, ci.hi, reason);
    assert_string_equal(ci.reason, reason);
    assert_true(isnan(ci.lo) && isnan(ci.hi));
    assert_false(graft_ci_defined(&ci));
}

static void test_undefined_reasons(void **state)
{
    (void)state;
    for (int m = 0; m < GRAFT_CI_N_METHODS; m++) {
        graft_ci_method_t g = (graft_ci_method_t)m;
        expect_undefined(NAN, 0.1, 10, 50, g, "p is not finite");
        expect_undefined(INFINITY, 0.1, 10, 50, g, "p is not finite");
        expect_undefined(0.4, 0.1, 10, 0, g, "no rows in the domain");
        expect_undefined(0.4, 0.1, 0, 50, g, "df <= 0");
        expect_undefined(0.4, 0.1, -1, 50, g, "df <= 0");
        expect_undefined(0.4, 0.1, NAN, 50, g, "df <= 0");
        expect_undefined(0.4, NAN, 10, 50, g, "se is not finite");
        expect_undefined(0.4, INFINITY, 10, 50, g, "se is not finite");
        /* df is checked before se, p before everything. */
        expect_undefined(0.4, NAN, 0, 50, g, "df <= 0");
        expect_undefined(NAN, NAN, 0, 0, g, "p is not finite");
    }
    /* Transforms undefined at 0 and 1, whatever se is. */
    expect_undefined(0, 0, 10, 50, GRAFT_CI_LOGIT,
                     "p is 0 or 1: logit interval undefined");
    expect_undefined(1, 0, 10, 50, GRAFT_CI_XLOGIT,
                     "p is 0 or 1: logit interval undefined");
    expect_undefined(0, 0.1, 10, 50, GRAFT_CI_LOGIT,
                     "p is 0 or 1: logit interval undefined");
    expect_undefined(1, 0, 10, 50, GRAFT_CI_ASIN,
                     "p is 0 or 1: asin interval undefined");
    expect_undefined(0, 0.1, 10, 50, GRAFT_CI_ASIN,
                     "p is 0 or 1: asin interval undefined");
    /* se = 0: never a zero-width interval. */
    static const graft_ci_method_t se0[] = {
        GRAFT_CI_WALD, GRAFT_CI_LOGIT, GRAFT_CI_XLOGIT, GRAFT_CI_ASIN,
        GRAFT_CI_BETA, GRAFT_CI_WILSON, GRAFT_CI_JEFFREYS};
    for (size_t i = 0; i < sizeof se0 / sizeof *se0; i++)
        expect_undefined(0.37, 0, 10, 50, se0[i],
                         "se is 0: interval undefined");
    expect_undefined(0, 0, 10, 50, GRAFT_CI_WALD,
                     "se is 0: interval undefined");
    expect_undefined(1, 0, 10, 50, GRAFT_CI_BETA,
                     "se is 0: interval undefined");
    /* The Korn-Graubard df factor needs qt(a/2, n - 1). */
    expect_undefined(0.5, 0.1, 3, 1, GRAFT_CI_BETA,
                     "n < 2: Korn-Graubard df adjustment undefined");
    expect_undefined(0.5, 0.1, 3, 1, GRAFT_CI_KG_NCHS,
                     "n < 2: Korn-Graubard df adjustment undefined");
    expect_undefined(0.5, 0.1, 3, 1, GRAFT_CI_JEFFREYS,
                     "n < 2: Korn-Graubard df adjustment undefined");
    /* GSL 2.7's t quantile gives NaN for df = 0.001 (never a real df). */
    expect_undefined(0.5, 0.1, 1e-3, 10, GRAFT_CI_WALD, "quantile not finite");

    graft_ci_t ci;
    assert_int_equal(graft_ci_mean(NAN, 1, 10, 0.95, &ci, NULL), GRAFT_OK);
    assert_string_equal(ci.reason, "estimate is not finite");
    assert_int_equal(graft_ci_mean(5, 1, 0, 0.95, &ci, NULL), GRAFT_OK);
    assert_string_equal(ci.reason, "df <= 0");
    assert_int_equal(graft_ci_mean(5, INFINITY, 3, 0.95, &ci, NULL), GRAFT_OK);
    assert_string_equal(ci.reason, "se is not finite");
    assert_int_equal(graft_ci_mean(5, 0, 3, 0.95, &ci, NULL), GRAFT_OK);
    assert_string_equal(ci.reason, "se is 0: interval undefined");
    assert_true(isnan(ci.lo) && isnan(ci.hi));
}

/* ---- Hand-computed intervals -------------------------------------------- */

#define Z975 1.9599639845400536 /* R: qnorm(0.975) */

static graft_ci_t ci_of(double p, double se, double df, size_t n,
                        double level, graft_ci_method_t m)
{
    graft_ci_t ci;
    assert_int_equal(graft_ci_prop(p, se, df, n, level, m, &ci, NULL),
                     GRAFT_OK);
    if (ci.reason != NULL)
        fail_msg("%s p=%g se=%g df=%g n=%zu: undefined (%s)",
                 graft_ci_method_name(m), p, se, df, n, ci.reason);
    return ci;
}

/* kg-nchs and jeffreys at p = 0 and 1 use n; closed forms of the beta
 * quantiles with a shape 1 (Clopper-Pearson at x = 0 or n). */
static void test_p01_conventions(void **state)
{
    (void)state;
    graft_ci_t ci = ci_of(0, 0, 39, 40, 0.95, GRAFT_CI_KG_NCHS);
    assert_true(ci.lo == 0);
    assert_close(ci.hi, 1 - pow(0.025, 1.0 / 40), 1e-12, 0);
    ci = ci_of(1, 0, 39, 40, 0.95, GRAFT_CI_KG_NCHS);
    assert_close(ci.lo, pow(0.025, 1.0 / 40), 1e-12, 0);
    assert_true(ci.hi == 1);
    /* Not df-adjusted at p = 0: df 3 or 300 give the same interval. */
    graft_ci_t ci3 = ci_of(1, 0, 3, 40, 0.95, GRAFT_CI_KG_NCHS);
    assert_true(ci3.lo == ci.lo && ci3.hi == ci.hi);
    /* kg-nchs with se = 0 inside (0, 1): n* = n. */
    ci = ci_of(0.5, 0, 9, 10, 0.95, GRAFT_CI_KG_NCHS);
    graft_ci_t capped = ci_of(0.5, 0.01, 9, 10, 0.95, GRAFT_CI_KG_NCHS);
    assert_close(ci.lo, capped.lo, 1e-15, 0);
    assert_close(ci.hi, capped.hi, 1e-15, 0);

    /* Jeffreys: lower 0 at p = 0, upper 1 at p = 1, Beta(1/2, n + 1/2). */
    ci = ci_of(0, 0, 39, 40, 0.95, GRAFT_CI_JEFFREYS);
    assert_true(ci.lo == 0);
    assert_true(ci.hi > 0 && ci.hi < 1 - pow(0.025, 1.0 / 40));
    ci = ci_of(1, 0, 39, 40, 0.95, GRAFT_CI_JEFFREYS);
    assert_true(ci.hi == 1);

    /* Wilson with m = n at p = 0, df = Inf (t = z):
     * [0, (z^2/n) / (1 + z^2/n)]. */
    ci = ci_of(0, 0, INFINITY, 40, 0.95, GRAFT_CI_WILSON);
    assert_true(ci.lo == 0);
    assert_close(ci.hi, 0.087621601197286611, 1e-12, 0); /* R */
    ci = ci_of(1, 0, INFINITY, 40, 0.95, GRAFT_CI_WILSON);
    assert_close(ci.lo, 1 - 0.087621601197286611, 1e-12, 0);
    assert_true(ci.hi == 1);

    /* beta with se > 0 at p = 0 (not from linearization): R's qbeta with
     * shape 0 gives 0 and 1. */
    ci = ci_of(0, 0.05, 20, 30, 0.95, GRAFT_CI_BETA);
    assert_true(ci.lo == 0 && ci.hi == 1);
    /* wald with se > 0 at p = 0 is R's p -/+ t se, not clipped. */
    ci = ci_of(0, 0.05, INFINITY, 30, 0.95, GRAFT_CI_WALD);
    assert_close(ci.lo, -Z975 * 0.05, 1e-15, 0);
    assert_close(ci.hi, Z975 * 0.05, 1e-15, 0);
}

/* df = Inf means normal quantiles; asin clips the angle. */
static void test_hand_intervals(void **state)
{
    (void)state;
    graft_ci_t ci = ci_of(0.3, 0.02, INFINITY, 500, 0.95, GRAFT_CI_WALD);
    assert_close(ci.lo, 0.3 - Z975 * 0.02, 1e-15, 0);
    assert_close(ci.hi, 0.3 + Z975 * 0.02, 1e-15, 0);
    /* logit and xlogit are the same formula. */
    graft_ci_t a = ci_of(0.3, 0.02, 12, 500, 0.9, GRAFT_CI_LOGIT);
    graft_ci_t b = ci_of(0.3, 0.02, 12, 500, 0.9, GRAFT_CI_XLOGIT);
    assert_true(a.lo == b.lo && a.hi == b.hi);
    double eta = log(0.3 / 0.7), s = Z975 * 0.02 / 0.21;
    ci = ci_of(0.3, 0.02, INFINITY, 500, 0.95, GRAFT_CI_LOGIT);
    assert_close(ci.lo, 1 / (1 + exp(-(eta - s))), 1e-14, 0);
    assert_close(ci.hi, 1 / (1 + exp(-(eta + s))), 1e-14, 0);
    /* asin, p = 0.9, se = 0.1, z: the upper angle 1.5757 passes pi/2, so
     * the upper bound is 1 (R would fold it to sin(1.5757)^2 < 1). */
    ci = ci_of(0.9, 0.1, INFINITY, 50, 0.95, GRAFT_CI_ASIN);
    assert_close(ci.lo, 0.63527961994100746, 1e-12, 0); /* R */
    assert_true(ci.hi == 1);
    /* ... and the lower angle below 0 gives 0. */
    ci = ci_of(0.1, 0.1, INFINITY, 50, 0.95, GRAFT_CI_ASIN);
    assert_true(ci.lo == 0);
    assert_close(ci.hi, 1 - 0.63527961994100746, 1e-12, 0);
    /* kg-nchs equals beta when the cap does not bind, and is narrower when
     * it does (n_eff 525 > n = 100). */
    a = ci_of(0.3, 0.05, 60, 100, 0.95, GRAFT_CI_BETA);
    b = ci_of(0.3, 0.05, 60, 100, 0.95, GRAFT_CI_KG_NCHS);
    assert_true(a.lo == b.lo && a.hi == b.hi);
    a = ci_of(0.3, 0.02, 60, 100, 0.95, GRAFT_CI_BETA);
    b = ci_of(0.3, 0.02, 60, 100, 0.95, GRAFT_CI_KG_NCHS);
    assert_true(b.lo < a.lo && b.hi > a.hi);
    /* Huge n* (se near rounding noise): GSL 2.7's gsl_cdf_beta_Pinv loops
     * forever on such shapes; graft's own quantile returns at once. */
    for (int m = 0; m < GRAFT_CI_N_METHODS; m++) {
        ci = ci_of(0.5, 1e-12, 50, 100, 0.95, (graft_ci_method_t)m);
        if (m == GRAFT_CI_KG_NCHS) /* capped at n = 100 */
            assert_true(ci.lo > 0.3 && ci.hi < 0.7);
        else
            assert_true(fabs(ci.lo - 0.5) < 1e-10 &&
                        fabs(ci.hi - 0.5) < 1e-10);
    }
    /* Every method contains p for an ordinary case. */
    for (int m = 0; m < GRAFT_CI_N_METHODS; m++) {
        ci = ci_of(0.2345, 0.0312, 23, 180, 0.95, (graft_ci_method_t)m);
        assert_true(ci.lo < 0.2345 && 0.2345 < ci.hi);
        assert_true(ci.lo >= 0 && ci.hi <= 1);
    }
}

static void test_mean_hand(void **state)
{
    (void)state;
    graft_ci_t ci;
    assert_int_equal(graft_ci_mean(-12.5, 2.0, INFINITY, 0.95, &ci, NULL),
                     GRAFT_OK);
    assert_null(ci.reason);
    assert_close(ci.lo, -12.5 - Z975 * 2, 1e-15, 0);
    assert_close(ci.hi, -12.5 + Z975 * 2, 1e-15, 0);
    assert_int_equal(graft_ci_mean(100, 10, 30, 0.95, &ci, NULL), GRAFT_OK);
    /* R: qt(0.975, 30) = 2.0422724563012378 */
    assert_close(ci.hi - ci.lo, 2 * 10 * 2.0422724563012378, 1e-14, 0);
}

static void test_deff_neff_cv(void **state)
{
    (void)state;
    /* p = 0.25, se = 0.05, n = 100: SRS variance 0.1875 / 100, deff 4/3,
     * n_eff = 75 = n / deff. */
    assert_close(graft_ci_deff(0.25, 0.05, 100), 4.0 / 3.0, 1e-14, 0);
    assert_close(graft_ci_neff(0.25, 0.05), 75, 1e-14, 0);
    assert_close(100 / graft_ci_deff(0.25, 0.05, 100),
                 graft_ci_neff(0.25, 0.05), 1e-14, 0);
    assert_true(isnan(graft_ci_deff(0, 0, 100)));
    assert_true(isnan(graft_ci_deff(1, 0.1, 100)));
    assert_true(isnan(graft_ci_deff(0.5, 0.1, 0)));
    assert_true(isnan(graft_ci_deff(0.5, NAN, 10)));
    assert_true(graft_ci_deff(0.5, 0, 10) == 0);
    assert_true(isinf(graft_ci_neff(0.3, 0)));
    assert_true(isnan(graft_ci_neff(0, 0)));
    assert_true(isnan(graft_ci_neff(NAN, 0.1)));
    assert_true(graft_ci_neff(0, 0.1) == 0);
    assert_close(graft_ci_cv(0.25, 0.05), 0.2, 1e-15, 0);
    assert_close(graft_ci_cv(-2, 0.5), -0.25, 1e-15, 0); /* R's cv() */
    assert_true(isnan(graft_ci_cv(0, 0.5)));
    assert_true(isnan(graft_ci_cv(1, INFINITY)));
}

/* ---- NCHS reliability: the rule table at its boundaries ---------------- */

static graft_rel_t rules_of(double p, double n_eff, double lo, double hi,
                            double df, size_t n, size_t min_n)
{
    graft_ci_t ci = {lo, hi, NULL};
    graft_rel_t rel;
    graft_rel_prop_rules(p, n_eff, &ci, df, n, min_n, &rel);
    return rel;
}

static void expect_flag(const graft_rel_t *rel, unsigned rules,
                        const char *flag)
{
    if (rel->rules != rules || strcmp(rel->flag, flag) != 0)
        fail_msg("got rules 0x%x '%s', want 0x%x '%s'", rel->rules, rel->flag,
                 rules, flag);
}

static void test_rules_boundaries(void **state)
{
    (void)state;
    graft_rel_t r;
    /* A reliable estimate: nothing fires. */
    r = rules_of(0.25, 100, 0.2, 0.3, 20, 200, 0);
    expect_flag(&r, 0, "");
    assert_false(graft_rel_suppressed(&r));

    /* n_eff: exactly 30 passes, just below is suppressed. */
    r = rules_of(0.25, 30, 0.2, 0.3, 20, 200, 0);
    expect_flag(&r, 0, "");
    r = rules_of(0.25, nextafter(30, 0), 0.2, 0.3, 20, 200, 0);
    expect_flag(&r, GRAFT_REL_NEFF, "suppress: n_eff < 30");
    assert_true(graft_rel_suppressed(&r));

    /* Width: exactly 0.30 is suppressed, just below passes. */
    assert_true(0.30 - 0.0 == 0.30);
    r = rules_of(0.25, 100, 0.0, 0.30, 20, 200, 0);
    expect_flag(&r, GRAFT_REL_WIDTH, "suppress: CI width >= 0.30");
    r = rules_of(0.25, 100, 0.0, nextafter(0.30, 0), 20, 200, 0);
    expect_flag(&r, 0, "");

    /* Relative width: exactly 130 % passes (0.1625 / 0.125 is exactly
     * 1.3 in binary: a division by a power of two), just above suppresses. */
    assert_true(0.1625 / 0.125 == 1.30);
    r = rules_of(0.125, 100, 0.0, 0.1625, 20, 200, 0);
    expect_flag(&r, 0, "");
    r = rules_of(0.125, 100, 0.0, nextafter(0.1625, 1), 20, 200, 0);
    expect_flag(&r, GRAFT_REL_REL_WIDTH,
                "suppress: relative CI width > 130%");
    /* ... but only for widths above 0.05: exactly 0.05 passes. */
    assert_true(0.05 - 0.0 == 0.05);
    r = rules_of(0.01, 100, 0.0, 0.05, 20, 200, 0);
    expect_flag(&r, 0, "");
    r = rules_of(0.01, 100, 0.0, nextafter(0.05, 1), 20, 200, 0);
    expect_flag(&r, GRAFT_REL_REL_WIDTH,
                "suppress: relative CI width > 130%");
    /* p = 0: the relative width is infinite. */
    r = rules_of(0, 100, 0.0, 0.06, 20, 200, 0);
    expect_flag(&r, GRAFT_REL_REL_WIDTH,
                "suppress: relative CI width > 130%");
    r = rules_of(0, 100, 0.0, 0.04, 20, 200, 0);
    expect_flag(&r, GRAFT_REL_P01, "review: p is 0 or 1");

    /* df: 8 passes, just below 8 is reviewed. */
    r = rules_of(0.25, 100, 0.2, 0.3, 8, 200, 0);
    expect_flag(&r, 0, "");
    r = rules_of(0.25, 100, 0.2, 0.3, nextafter(8, 0), 200, 0);
    expect_flag(&r, GRAFT_REL_DF, "review: df < 8");
    r = rules_of(1, 100, 0.97, 1, 7, 200, 0);
    expect_flag(&r, GRAFT_REL_DF | GRAFT_REL_P01,
                "review: df < 8; p is 0 or 1");

    /* The complement 1 - p: exactly 130 % passes, above gets the note. */
    assert_true(0.1625 / (1 - 0.875) == 1.30);
    r = rules_of(0.875, 100, 0.0, 0.1625, 20, 200, 0);
    expect_flag(&r, 0, "");
    r = rules_of(0.875, 100, 0.0, nextafter(0.1625, 1), 20, 200, 0);
    expect_flag(&r, GRAFT_REL_COMPLEMENT, "note: complement unreliable");
    /* p = 1: the complement's relative width is infinite. */
    r = rules_of(1, 100, 0.9, 1.0, 20, 200, 0);
    expect_flag(&r, GRAFT_REL_P01 | GRAFT_REL_COMPLEMENT,
                "review: p is 0 or 1; complement unreliable");
    r = rules_of(0.875, 100, 0.8, 1.0, 5, 200, 0);
    expect_flag(&r, GRAFT_REL_DF | GRAFT_REL_COMPLEMENT,
                "review: df < 8; complement unreliable");

    /* --min-n: n = MIN_N passes, below is suppressed; 0 disables it. */
    r = rules_of(0.25, 100, 0.2, 0.3, 20, 50, 50);
    expect_flag(&r, 0, "");
    r = rules_of(0.25, 100, 0.2, 0.3, 20, 49, 50);
    expect_flag(&r, GRAFT_REL_MIN_N, "suppress: n < 50");
    r = rules_of(0.25, 100, 0.2, 0.3, 20, 1, 0);
    expect_flag(&r, 0, "");

    /* Every suppress rule at once, in the documented order; review rules
     * and the complement note are left out of a suppressed estimate. */
    r = rules_of(0.1, 12, 0.0, 0.9, 3, 20, 25);
    expect_flag(&r,
                GRAFT_REL_MIN_N | GRAFT_REL_NEFF | GRAFT_REL_WIDTH |
                    GRAFT_REL_REL_WIDTH,
                "suppress: n < 25; n_eff < 30; CI width >= 0.30; "
                "relative CI width > 130%");

    /* An undefined interval suppresses, and names its reason. */
    graft_ci_t none = {NAN, NAN, "df <= 0"};
    graft_rel_prop_rules(0.4, 100, &none, 0, 200, 0, &r);
    expect_flag(&r, GRAFT_REL_NO_CI, "suppress: CI undefined (df <= 0)");
    assert_true(isnan(r.width));

    /* The longest flag fits whole. */
    graft_ci_t n2 = {NAN, NAN, "n < 2: Korn-Graubard df adjustment undefined"};
    graft_rel_prop_rules(0.5, 0.5, &n2, 0, 1, (size_t)-1, &r);
    expect_flag(&r, GRAFT_REL_MIN_N | GRAFT_REL_NEFF | GRAFT_REL_NO_CI,
                "suppress: n < 18446744073709551615; n_eff < 30; CI undefined "
                "(n < 2: Korn-Graubard df adjustment undefined)");
}

/* ---- NCHS reliability: the whole path, with the kg-nchs interval ------- */

typedef struct rel_case {
    const char *name;
    double p, se, df;
    size_t n, min_n;
    double lo, hi;       /* R: the kg-nchs formula (see ci_ref.R), 0.95 */
    double n_eff;
    unsigned rules;
    const char *flag;
} rel_case_t;

static void test_rel_prop(void **state)
{
    (void)state;
    static const rel_case_t cases[] = {
        {"reliable", 0.4, 0.02, 100, 1000, 0, 0.36010654012822502,
         0.44090490130118631, 600, 0, ""},
        {"df 5", 0.4, 0.02, 5, 1000, 0, 0.34826016412449201,
         0.45344844741083157, 600, GRAFT_REL_DF, "review: df < 8"},
        {"small n_eff", 0.02, 0.03, 20, 40, 0, 4.3972740508439615e-06,
         0.19927907869425165, 0.0196 / 0.0009,
         GRAFT_REL_NEFF | GRAFT_REL_REL_WIDTH,
         "suppress: n_eff < 30; relative CI width > 130%"},
        {"small n_eff, min-n", 0.02, 0.03, 20, 40, 50, 4.3972740508439615e-06,
         0.19927907869425165, 0.0196 / 0.0009,
         GRAFT_REL_MIN_N | GRAFT_REL_NEFF | GRAFT_REL_REL_WIDTH,
         "suppress: n < 50; n_eff < 30; relative CI width > 130%"},
        {"three rules", 0.1, 0.08, 20, 40, 0, 0.0054919680591863735,
         0.38669074374064527, 0.09 / 0.0064,
         GRAFT_REL_NEFF | GRAFT_REL_WIDTH | GRAFT_REL_REL_WIDTH,
         "suppress: n_eff < 30; CI width >= 0.30; relative CI width > 130%"},
        /* n_eff 2500 capped at n = 30: exactly 30 passes that rule. */
        {"n_eff capped at 30", 0.5, 0.01, 29, 30, 0, 0.3129702858680275,
         0.68702971413197256, 30, GRAFT_REL_WIDTH,
         "suppress: CI width >= 0.30"},
        {"relative width", 0.06, 0.02, 100, 500, 0, 0.026738327373199641,
         0.11354077393660955, 0.0564 / 0.0004, GRAFT_REL_REL_WIDTH,
         "suppress: relative CI width > 130%"},
        {"complement", 0.94, 0.02, 100, 500, 0, 0.88645922606339034,
         0.9732616726268003, 0.0564 / 0.0004, GRAFT_REL_COMPLEMENT,
         "note: complement unreliable"},
        {"review df 6", 0.3, 0.05, 6, 90, 0, 0.18422513420613371,
         0.43804295969828078, 84, GRAFT_REL_DF, "review: df < 8"},
        /* p = 0: width 1 - 0.025^(1/n) crosses 0.05 between n = 71, 72. */
        {"p 0, n 71", 0, 0, 70, 71, 0, 0, 0.050629407954403738, 71,
         GRAFT_REL_REL_WIDTH, "suppress: relative CI width > 130%"},
        {"p 0, n 72", 0, 0, 71, 72, 0, 0, 0.04994408370585468, 72,
         GRAFT_REL_P01, "review: p is 0 or 1"},
        {"p 1, n 50", 1, 0, 49, 50, 0, 0.92887826353580238, 1, 50,
         GRAFT_REL_P01 | GRAFT_REL_COMPLEMENT,
         "review: p is 0 or 1; complement unreliable"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const rel_case_t *c = &cases[i];
        graft_rel_t r;
        assert_int_equal(graft_rel_prop(c->p, c->se, c->df, c->n, 0.95,
                                        c->min_n, &r, NULL),
                         GRAFT_OK);
        if (r.rules != c->rules || strcmp(r.flag, c->flag) != 0)
            fail_msg("%s: got 0x%x '%s', want 0x%x '%s'", c->name, r.rules,
                     r.flag, c->rules, c->flag);
        assert_true(graft_ci_defined(&r.ci));
        assert_close(r.ci.lo, c->lo, REL_TOL, 1e-15);
        assert_close(r.ci.hi, c->hi, REL_TOL, 1e-15);
        assert_close(r.width, c->hi - c->lo, 1e-8, 0);
        assert_close(r.n_eff, c->n_eff, 1e-12, 0);
    }
    /* p = 0 width in closed form. */
    graft_rel_t r;
    assert_int_equal(graft_rel_prop(0, 0, 71, 72, 0.95, 0, &r, NULL), GRAFT_OK);
    assert_close(r.width, 1 - pow(0.025, 1.0 / 72), 1e-12, 0);
    /* df <= 0: no interval. */
    assert_int_equal(graft_rel_prop(0.4, 0.02, 0, 1000, 0.95, 0, &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, GRAFT_REL_NO_CI, "suppress: CI undefined (df <= 0)");
    assert_close(r.n_eff, 600, 1e-12, 0);
    assert_true(isnan(r.width));
    /* se = 0 inside (0, 1): n_eff = n. */
    assert_int_equal(graft_rel_prop(0.5, 0, 99, 100, 0.95, 0, &r, NULL),
                     GRAFT_OK);
    assert_close(r.n_eff, 100, 0, 0);
}

static void test_rel_mean(void **state)
{
    (void)state;
    graft_rel_t r;
    const double t30 = 2.0422724563012378; /* R: qt(0.975, 30) */
    assert_int_equal(graft_rel_mean(10, 1, 30, 100, 0.95, 0, &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, 0, "");
    assert_close(r.width, 2 * t30, 1e-14, 0);
    assert_true(isnan(r.n_eff));
    /* Relative width 160 %: se = 1.6 est / (2 t) sits on the boundary;
     * a hair below passes, a hair above suppresses. */
    double se160 = 1.6 * 5 / (2 * t30);
    assert_int_equal(graft_rel_mean(5, se160 * (1 - 1e-9), 30, 100, 0.95, 0,
                                    &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, 0, "");
    assert_int_equal(graft_rel_mean(5, se160 * (1 + 1e-9), 30, 100, 0.95, 0,
                                    &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, GRAFT_REL_REL_WIDTH, "suppress: relative CI width > 160%");
    /* A negative estimate uses |est|. */
    assert_int_equal(graft_rel_mean(-10, 1, 30, 100, 0.95, 0, &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, 0, "");
    /* est = 0: infinite relative width. */
    assert_int_equal(graft_rel_mean(0, 1, 30, 100, 0.95, 0, &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, GRAFT_REL_REL_WIDTH, "suppress: relative CI width > 160%");
    assert_int_equal(graft_rel_mean(10, 1, 7, 100, 0.95, 0, &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, GRAFT_REL_DF, "review: df < 8");
    assert_int_equal(graft_rel_mean(10, 1, 7, 9, 0.95, 10, &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, GRAFT_REL_MIN_N, "suppress: n < 10");
    assert_int_equal(graft_rel_mean(10, 0, 30, 100, 0.95, 0, &r, NULL),
                     GRAFT_OK);
    expect_flag(&r, GRAFT_REL_NO_CI,
                "suppress: CI undefined (se is 0: interval undefined)");
    assert_int_equal(graft_rel_mean(1, 1, 0, 5, 0.95, 10, &r, NULL), GRAFT_OK);
    expect_flag(&r, GRAFT_REL_MIN_N | GRAFT_REL_NO_CI,
                "suppress: n < 10; CI undefined (df <= 0)");
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_survey),
        cmocka_unit_test(test_ref_formula),
        cmocka_unit_test(test_ref_mean),
        cmocka_unit_test(test_method_names),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_undefined_reasons),
        cmocka_unit_test(test_p01_conventions),
        cmocka_unit_test(test_hand_intervals),
        cmocka_unit_test(test_mean_hand),
        cmocka_unit_test(test_deff_neff_cv),
        cmocka_unit_test(test_rules_boundaries),
        cmocka_unit_test(test_rel_prop),
        cmocka_unit_test(test_rel_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
