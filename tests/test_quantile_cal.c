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
 * checks.  Three rounds in one estimation (raked, uncalibrated, bounded
 * linear) give each round's own R numbers.
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

/* The row of indicator K in DOMAIN ("All" or the by code) of ROUND. */
static const graft_estimate_row_t *row_of(const graft_estimates_t *e,
                                          size_t k, const char *domain,
                                          size_t round)
{
    for (size_t i = 0; i < e->n_rows; i++) {
        const graft_estimate_row_t *r = &e->rows[i];
        const char *key = r->by_set == (size_t)-1 ? "All" : r->by_codes[0];
        if (r->indicator == k && r->round == round &&
            strcmp(key, domain) == 0)
            return r;
    }
    return NULL;
}

/* Reference row REF against graft's ROW; the mismatches (printed).  With
 * ONLY_CI, the interval ends alone, silently (test_section_matters). */
static int compare_row(const table_t *refs, const char *name,
                       const graft_estimate_row_t *row, size_t ref,
                       int only_ci, size_t *n_compared)
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
        double want = strtod(cell(refs, ref, checks[k].what), NULL);
        (*n_compared)++;
        if (test_close_ok(checks[k].got, want, checks[k].rel, 1e-15))
            continue;
        bad++;
        if (!only_ci)
            printf("FAIL %s [%s] p %s %s: graft %.17g, R %.17g\n", name,
                   cell(refs, ref, "domain"), cell(refs, ref, "prob"),
                   checks[k].what, checks[k].got, want);
    }
    /* An undefined bound is never silent. */
    if (!only_ci && (isnan(row->ci_low) || isnan(row->ci_high)) &&
        !strstr(row->flag, "Woodruff CI undefined")) {
        printf("FAIL %s [%s]: undefined bound, flag '%s'\n", name,
               cell(refs, ref, "domain"), row->flag);
        bad++;
    }
    return bad;
}

/* Every reference row of case NAME (table refs) against round ROUND of E
 * (of N_ROUNDS rounds with the same domains); the mismatches. */
static int compare_round(const table_t *refs, const char *name,
                         const qcase_t *q, const graft_estimates_t *e,
                         size_t round, size_t n_rounds, int only_ci,
                         size_t *n_compared)
{
    int bad = 0;
    size_t matched = 0;
    for (size_t r = 0; r < refs->nrows; r++) {
        if (strcmp(cell(refs, r, "case"), name) != 0)
            continue;
        double p = strtod(cell(refs, r, "prob"), NULL);
        size_t k = 0;
        while (k < q->n && q->probs[k] != p)
            k++;
        const graft_estimate_row_t *row =
            k < q->n ? row_of(e, k, cell(refs, r, "domain"), round) : NULL;
        if (!row) {
            printf("FAIL %s [%s] p %g: no such row in graft's output\n",
                   name, cell(refs, r, "domain"), p);
            bad++;
            continue;
        }
        matched++;
        bad += compare_row(refs, name, row, r, only_ci, n_compared);
    }
    if (matched == 0 || matched * n_rounds != e->n_rows) {
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

/* Survey S's read options into READ (its weights, EXEMPT[3], are not
 * subject to its missing codes). */
static void survey_read(const graft_survey_t *s, graft_read_opts_t *read,
                        const char **exempt)
{
    memset(read, 0, sizeof *read);
    exempt[0] = s->design.weight;
    exempt[1] = s->cal->design_weight;
    exempt[2] = s->cal->calibrated_weight;
    read->labels = s->labels;
    read->n_labels = s->n_labels;
    read->missing = s->missing;
    read->n_missing = s->n_missing;
    read->exempt = exempt;
    read->n_exempt = 3;
}

/* Case row I of C under survey S one WAY; its mismatches with R. */
static int run_way(const table_t *C, size_t i, const graft_survey_t *s,
                   enum way way, size_t *n_compared)
{
    const char *name = cell(C, i, "case");
    const char *exempt[3];
    graft_read_opts_t read;
    survey_read(s, &read, exempt);
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
    int bad = compare_round(&REFS_T, name, &q, e, 0, 1, way == NO_SECTION,
                            n_compared);
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

/* Rounds of three designs in one estimation (graft compare, trend, run):
 * apiclus1 raked, apiclus1 uncalibrated (tests/ref/quantile_ref.csv's
 * case) and apistrat calibrated with bounds (each row its own PSU, two
 * margins).  Each round's quantiles are R's on that round alone, and a
 * change's se is the root of the sum of the rounds' se^2. */
static void test_rounds(void **state)
{
    (void)state;
    table_t plain_cases, plain_refs;
    table_load(&plain_cases, "tests/ref/quantile_cases.csv");
    table_load(&plain_refs, "tests/ref/quantile_ref.csv");
    graft_survey_t *a = NULL, *b = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load("tests/data/calvar/rake_clus1.ini", &a,
                                       &diag),
                     GRAFT_OK);
    assert_int_equal(
        graft_survey_load("tests/data/calvar/linear_bounds_strat.ini", &b,
                          &diag),
        GRAFT_OK);
    const char *ea[3], *eb[3];
    graft_read_opts_t ra, rb;
    survey_read(a, &ra, ea);
    survey_read(b, &rb, eb);
    size_t pc = table_find(&plain_cases, "case", "apiclus1_api00_quartiles");
    table_design_t td;
    table_design_read(&plain_cases, pc, &td);
    graft_round_t rounds[3] = {
        {a->data, &ra, &a->design, NULL, 0},
        {cell(&plain_cases, pc, "file"), &td.read, &td.spec, NULL, 0},
        {b->data, &rb, &b->design, NULL, 0}};
    table_case_t tc;
    qcase_t q;
    qcase_read(&CASES_T, table_find(&CASES_T, "case", "rake_clus1_q1"), &tc,
               &q);
    const double coef[3] = {-1, 0, 1};
    graft_contrast_spec_t con = {coef, 0};
    tc.opts.contrasts = &con;
    tc.opts.n_contrasts = 1;
    graft_estimates_t *e = NULL;
    assert_int_equal(graft_estimate_rounds(rounds, 3, 0, &tc.opts, &e, &diag),
                     GRAFT_OK);
    size_t n = 0;
    int bad = compare_round(&REFS_T, "rake_clus1_q1", &q, e, 0, 3, 0, &n) +
              compare_round(&plain_refs, "apiclus1_api00_quartiles", &q, e,
                            1, 3, 0, &n) +
              compare_round(&REFS_T, "linear_bounds_strat_q1", &q, e, 2, 3,
                            0, &n);
    printf("  three rounds: %zu numbers compared with R\n", n);
    assert_int_equal(bad, 0);
    size_t checked = 0;
    for (size_t i = 0; i < e->n_contrasts; i++) {
        const graft_contrast_row_t *c = &e->contrasts[i];
        const char *dom = c->by_set == (size_t)-1 ? "All" : c->by_codes[0];
        const graft_estimate_row_t *r0 = row_of(e, c->indicator, dom, 0);
        const graft_estimate_row_t *r2 = row_of(e, c->indicator, dom, 2);
        assert_close(c->estimate, r2->estimate - r0->estimate, 1e-12, 0);
        assert_close(c->se, sqrt(r0->se * r0->se + r2->se * r2->se), 1e-12,
                     0);
        checked++;
    }
    assert_int_equal(checked, 12); /* 3 quartiles x (All, E, H, M) */
    graft_estimates_free(e);
    graft_survey_free(a);
    graft_survey_free(b);
    table_free(&plain_cases);
    table_free(&plain_refs);
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
        cmocka_unit_test(test_rounds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
