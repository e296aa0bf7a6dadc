/*
 * test_quantile_cal.c - quantiles on calibrated designs (a survey file
 * with [calibration]): the Woodruff interval from the variance of the
 * estimated CDF's calibration residuals (stats/quantile.c through
 * stats/calvar.c), against R's svyquantile on post-stratified, raked,
 * calibrated (linear, bounded, logit, raking) and trimmed designs and the
 * raked demo round.
 *
 * tests/ref/quantile_cal_cases.csv lists each case (a survey file under
 * tests/data/calvar/, an expression, its probabilities, a by column);
 * tests/ref/quantile_cal_ref.csv holds R's answer per domain and
 * probability (tests/R/quantile_cal_ref.R).  Estimates, se, interval ends
 * and weighted n agree to 1e-9 relative, df and n exactly; every case is
 * run four ways (as written, its rows shuffled, its PSU totals streamed,
 * and with per-PSU arrays as --shared-psus keeps them).  Without the
 * section some intervals are not R's: the residuals are what the test
 * checks.
 */
#include "test_util.h"
#include "graft/estimate.h"
#include "graft/survey.h"
#include "graft/reader.h"
#include "stats/quantile.h"
#include "test_table.h"

#include <gsl/gsl_errno.h>

#define CASES "tests/ref/quantile_cal_cases.csv"
#define REFS "tests/ref/quantile_cal_ref.csv"

static table_t CASES_T, REFS_T;

static int setup(void **state)
{
    (void)state;
    table_load(&CASES_T, CASES);
    table_load(&REFS_T, REFS);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    table_free(&CASES_T);
    table_free(&REFS_T);
    return 0;
}

/* ---- the cases ---------------------------------------------------------- */

/* The indicators of a case: one quantile per probability, named "q pNN". */
typedef struct qcase {
    graft_indicator_spec_t ind[GRAFT_MAX_QUANTILE_PROBS];
    char names[GRAFT_MAX_QUANTILE_PROBS][32];
    double probs[GRAFT_MAX_QUANTILE_PROBS];
    size_t n;
} qcase_t;

static void qcase_read(const table_t *C, size_t i, table_case_t *tc,
                       qcase_t *q)
{
    char list[256], msg[160];
    table_case_read(C, i, tc);
    snprintf(list, sizeof list, "%s", cell(C, i, "probs"));
    for (char *s = list; *s; s++)
        *s = *s == ';' ? ',' : *s;
    if (!graft_quantile_probs_parse(list, q->probs, &q->n, msg, sizeof msg))
        fail_msg("%s: %s", cell(C, i, "case"), msg);
    for (size_t k = 0; k < q->n; k++) {
        q->ind[k] = tc->ind;
        q->ind[k].prob = q->probs[k];
        graft_quantile_name(q->names[k], sizeof q->names[k], "q",
                            q->probs[k]);
        q->ind[k].name = q->names[k];
    }
    tc->opts.indicators = q->ind;
    tc->opts.n_indicators = q->n;
    assert_string_equal(cell(C, i, "df"), "domain");
    tc->opts.df_mode = GRAFT_DF_DOMAIN;
}

/* The row of indicator K in DOMAIN ("All" or the by code). */
static const graft_estimate_row_t *row_of(const graft_estimates_t *e,
                                          size_t k, const char *domain)
{
    for (size_t i = 0; i < e->n_rows; i++) {
        const graft_estimate_row_t *r = &e->rows[i];
        const char *key = r->by_set == (size_t)-1 ? "All" : r->by_codes[0];
        if (r->indicator == k && strcmp(key, domain) == 0)
            return r;
    }
    return NULL;
}

/* Reference row REF against graft's ROW; the mismatches (printed).  With
 * ONLY_CI, the interval ends alone, silently (test_section_matters). */
static int compare_row(const char *name, const graft_estimate_row_t *row,
                       size_t ref, int only_ci, size_t *n_compared)
{
    int bad = 0;
    struct { const char *what; double got, rel; } checks[] = {
        {"ci_low", row->ci_low, REL_TOL},
        {"ci_high", row->ci_high, REL_TOL},
        {"estimate", row->estimate, REL_TOL},
        {"se", row->se, REL_TOL},
        {"df", row->df, 0},
        {"n", (double)row->n, 0},
        {"weighted_n", row->weighted_n, REL_TOL},
    };
    size_t n_checks = only_ci ? 2 : sizeof checks / sizeof checks[0];
    for (size_t k = 0; k < n_checks; k++) {
        double want = strtod(cell(&REFS_T, ref, checks[k].what), NULL);
        (*n_compared)++;
        if (test_close_ok(checks[k].got, want, checks[k].rel, 1e-15))
            continue;
        bad++;
        if (!only_ci)
            printf("FAIL %s [%s] p %s %s: graft %.17g, R %.17g\n", name,
                   cell(&REFS_T, ref, "domain"), cell(&REFS_T, ref, "prob"),
                   checks[k].what, checks[k].got, want);
    }
    /* An undefined bound is never silent. */
    if (!only_ci && (isnan(row->ci_low) || isnan(row->ci_high)) &&
        !strstr(row->flag, "Woodruff CI undefined")) {
        printf("FAIL %s [%s]: undefined bound, flag '%s'\n", name,
               cell(&REFS_T, ref, "domain"), row->flag);
        bad++;
    }
    return bad;
}

/* Every reference row of case NAME against E; the mismatches. */
static int compare_case(const char *name, const qcase_t *q,
                        const graft_estimates_t *e, int only_ci,
                        size_t *n_compared)
{
    int bad = 0;
    size_t matched = 0;
    for (size_t r = 0; r < REFS_T.nrows; r++) {
        if (strcmp(cell(&REFS_T, r, "case"), name) != 0)
            continue;
        double p = strtod(cell(&REFS_T, r, "prob"), NULL);
        size_t k = 0;
        while (k < q->n && q->probs[k] != p)
            k++;
        const graft_estimate_row_t *row =
            k < q->n ? row_of(e, k, cell(&REFS_T, r, "domain")) : NULL;
        if (!row) {
            printf("FAIL %s [%s] p %g: no such row in graft's output\n",
                   name, cell(&REFS_T, r, "domain"), p);
            bad++;
            continue;
        }
        matched++;
        bad += compare_row(name, row, r, only_ci, n_compared);
    }
    if (matched == 0 || matched != e->n_rows) {
        printf("FAIL %s: %zu reference rows for graft's %zu\n", name,
               matched, e->n_rows);
        bad++;
    }
    return bad;
}

/* ---- against R ------------------------------------------------------- */

enum way { AS_WRITTEN, SHUFFLED, STREAMED, SHARED, NO_SECTION, N_WAYS };
static const char *const way_names[] = {"as written", "shuffled",
                                        "streamed", "shared PSUs",
                                        "without [calibration]"};

/* Case row I of C under survey S one WAY; its mismatches with R. */
static int run_way(const table_t *C, size_t i, const graft_survey_t *s,
                   enum way way, size_t *n_compared)
{
    const char *name = cell(C, i, "case");
    const char *exempt[] = {s->design.weight, s->cal->design_weight,
                            s->cal->calibrated_weight};
    graft_read_opts_t read = {0};
    read.labels = s->labels;
    read.n_labels = s->n_labels;
    read.missing = s->missing;
    read.n_missing = s->n_missing;
    read.exempt = exempt;
    read.n_exempt = 3;
    table_case_t tc;
    qcase_t q;
    qcase_read(C, i, &tc, &q);
    if (way == STREAMED)
        tc.opts.psu_budget = 1; /* stream from the first PSU on */
    graft_design_spec_t design = s->design;
    if (way == NO_SECTION)
        design.cal = NULL;
    graft_round_t round = {way == SHUFFLED ? table_shuffled(s->data)
                                           : s->data,
                           &read, &design, s->derived, s->n_derived};
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    if (graft_estimate_rounds(&round, 1, way == SHARED, &tc.opts, &e,
                              &diag) != GRAFT_OK) {
        char buf[2200];
        printf("FAIL %s (%s): %s\n", name, way_names[way],
               graft_diag_format(&diag, buf, sizeof buf));
        return 1;
    }
    int bad = compare_case(name, &q, e, way == NO_SECTION, n_compared);
    if (bad && way != NO_SECTION)
        printf("  (%s, %s)\n", name, way_names[way]);
    graft_estimates_free(e);
    return bad;
}

static int run_case(const table_t *C, size_t i, size_t *n_compared)
{
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load(cell(C, i, "survey"), &s, &diag),
                     GRAFT_OK);
    assert_non_null(s->cal);
    int bad = 0;
    for (int w = 0; w < NO_SECTION; w++)
        if (w != SHARED || s->design.psu) /* shared PSUs need PSUs */
            bad += run_way(C, i, s, (enum way)w, n_compared);
    graft_survey_free(s);
    return bad;
}

static void family(const char *prefix)
{
    run_family(&CASES_T, prefix, run_case);
}

static void test_poststratify(void **s) { (void)s; family("ps_"); }
static void test_rake(void **s)
{
    (void)s;
    family("rake_clus1_");
    family("rake3_");
}
static void test_linear(void **s) { (void)s; family("linear_"); }
static void test_logit(void **s) { (void)s; family("logit_"); }
static void test_raking(void **s) { (void)s; family("raking_"); }
static void test_trimmed(void **s) { (void)s; family("trim_"); }
static void test_demo(void **s) { (void)s; family("rake_demo_"); }

/* Without [calibration] (the calibrated weight taken as a design weight)
 * some intervals are not R's: the cases can fail. */
static void test_section_matters(void **state)
{
    (void)state;
    size_t compared = 0, cases_off = 0;
    int off = 0;
    for (size_t i = 0; i < CASES_T.nrows; i++) {
        graft_survey_t *s = NULL;
        graft_diag_t diag;
        assert_int_equal(graft_survey_load(cell(&CASES_T, i, "survey"), &s,
                                           &diag),
                         GRAFT_OK);
        int bad = run_way(&CASES_T, i, s, NO_SECTION, &compared);
        off += bad;
        cases_off += bad > 0;
        graft_survey_free(s);
    }
    printf("  without [calibration]: %d interval ends in %zu of %zu cases "
           "differ from R's\n",
           off, cases_off, CASES_T.nrows);
    assert_true(off > 0);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poststratify),
        cmocka_unit_test(test_rake),
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_logit),
        cmocka_unit_test(test_raking),
        cmocka_unit_test(test_trimmed),
        cmocka_unit_test(test_demo),
        cmocka_unit_test(test_section_matters),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
