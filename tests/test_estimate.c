/*
 * test_estimate.c - the estimator against R's survey package.
 *
 * tests/ref/estimate_cases.csv lists each case in graft's terms (file,
 * design, indicator, domain, interval); tests/ref/estimate_ref.csv holds
 * what R computed for it (tests/R/estimate_ref.R).  Estimates, SEs and
 * weighted n agree to 1e-9 relative, interval ends to 1e-7 (R's logit
 * interval goes through svyglm), df and n exactly.
 */
#include "test_util.h"
#include "graft/estimate.h"
#include "test_table.h"

#include <gsl/gsl_errno.h>

#define CASES "tests/ref/estimate_cases.csv"
#define REFS "tests/ref/estimate_ref.csv"

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

/* ---- running one case ------------------------------------------------ */

/* A and B give the same rows, bit for bit; 0 or 1 with a FAIL line. */
static int same_rows(const char *name, const graft_estimates_t *a,
                     const graft_estimates_t *b)
{
    if (a->n_rows != b->n_rows) {
        printf("FAIL %s: %zu rows with two threads, %zu with one\n", name,
               a->n_rows, b->n_rows);
        return 1;
    }
    for (size_t r = 0; r < a->n_rows; r++) {
        const graft_estimate_row_t *x = &a->rows[r], *y = &b->rows[r];
        const double dx[] = {x->estimate, x->se, x->ci_low, x->ci_high,
                             x->df, x->deff, x->cv, x->n_eff, x->weighted_n};
        const double dy[] = {y->estimate, y->se, y->ci_low, y->ci_high,
                             y->df, y->deff, y->cv, y->n_eff, y->weighted_n};
        if (memcmp(dx, dy, sizeof dx) != 0 || x->n != y->n ||
            x->n_missing != y->n_missing || strcmp(x->flag, y->flag) != 0 ||
            x->indicator != y->indicator || x->by_set != y->by_set) {
            printf("FAIL %s: row %zu differs between one and two threads\n",
                   name, r);
            return 1;
        }
    }
    return 0;
}

/* Run case row I of C twice (two threads, then one); returns the number
 * of mismatches (printed). */
static int run_case(const table_t *C, size_t i, size_t *n_compared)
{
    const char *name = cell(C, i, "case");
    const char *file = cell(C, i, "file");
    if (strncmp(file, "../shared/", 10) == 0 && !test_file_exists(file)) {
        printf("SKIP %s: %s is absent in this clone\n", name, file);
        return 0;
    }
    table_design_t td;
    table_design_read(C, i, &td);
    graft_design_spec_t spec = td.spec;
    graft_read_opts_t read = td.read;

    table_case_t tc;
    table_case_read(C, i, &tc);
    graft_estimate_opts_t *opts = &tc.opts;
    opts->df_mode = strcmp(cell(C, i, "df"), "design") == 0 ? GRAFT_DF_DESIGN
                                                             : GRAFT_DF_DOMAIN;

    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    if (graft_estimate_file(file, &read, &spec, opts, &e, &diag) !=
        GRAFT_OK) {
        char buf[2200];
        printf("FAIL %s: %s\n", name, graft_diag_format(&diag, buf, sizeof buf));
        return 1;
    }
    int bad = compare_with_ref(&REFS_T, name, e, n_compared);
    /* Again on one thread (two, above, when there are two cores): the
     * same numbers to the last bit. */
    graft_estimates_t *e1 = NULL;
    read.threads = 1;
    graft_error_t rc1 = graft_estimate_file(file, &read, &spec, opts, &e1,
                                            &diag);
    read.threads = 0;
    assert_int_equal(rc1, GRAFT_OK);
    bad += same_rows(name, e, e1);
    graft_estimates_free(e1);
    graft_estimates_free(e);
    return bad;
}

/* Every case whose name starts with PREFIX. */
static void family(const char *prefix)
{
    run_family(&CASES_T, prefix, run_case);
}

static void test_apistrat(void **s) { (void)s; family("apistrat_"); }
static void test_apiclus1(void **s) { (void)s; family("apiclus1_"); }
static void test_apiclus2(void **s) { (void)s; family("apiclus2_"); }
static void test_nhanes(void **s) { (void)s; family("nhanes_"); }
static void test_demo(void **s) { (void)s; family("demo_"); }

static void test_tunisia(void **s)
{
    (void)s;
    SKIP_WITHOUT_SHARED();
    family("tun_");
}

/* ---- hand-checked formulas on tiny inputs --------------------------- */

/* Two strata of two PSUs (and optionally a third stratum with one PSU):
 *   h1: PSU a (w 1, y 1), (w 2, y 0); PSU b (w 1, y 1)
 *   h2: PSU c (w 2, y 0);             PSU d (w 1, y 1), (w 1, y 0)
 *   h3: PSU e (w 2, y 1)
 * with fpc N_h = 4, 10, 5. */
static const char *tiny(int lonely)
{
    const char *path = test_tmp(lonely ? "tiny_lonely.csv" : "tiny.csv");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("h,psu,w,y,N\n1,a,1,1,4\n1,a,2,0,4\n1,b,1,1,4\n"
          "2,c,2,0,10\n2,d,1,1,10\n2,d,1,0,10\n",
          f);
    if (lonely)
        fputs("3,e,2,1,5\n", f);
    fclose(f);
    return path;
}

/* Estimate TYPE of y on the tiny design; returns the "All" row. */
static graft_estimate_row_t tiny_estimate(int lonely_rows, int psu, int fpc,
                                          graft_lonely_t lonely,
                                          graft_ind_type_t type)
{
    graft_design_spec_t spec = {0};
    spec.weight = "w";
    spec.strata[0] = "h";
    spec.n_strata = 1;
    spec.psu = psu ? "psu" : NULL;
    spec.fpc = fpc ? "N" : NULL;
    spec.lonely = lonely;
    graft_indicator_spec_t ind = {0};
    ind.type = type;
    ind.expr = "y";
    ind.expr_src = (graft_source_t){"expr", 1, 1};
    graft_estimate_opts_t opts = {0};
    opts.indicators = &ind;
    opts.n_indicators = 1;
    opts.ci = GRAFT_CI_WALD;
    opts.level = 0.95;
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_estimate_file(tiny(lonely_rows), NULL, &spec,
                                         &opts, &e, &diag),
                     GRAFT_OK);
    graft_estimate_row_t r = e->rows[0];
    r.by_values = r.by_codes = NULL;
    graft_estimates_free(e);
    return r;
}

/* p = 3/8; scores z = w (y - p) / 8 give PSU totals -1/64, 5/64, -6/64,
 * 2/64; V = 2 (2 (3/64)^2) + 2 (2 (4/64)^2) = 100/4096, se = 10/64. */
static void test_tiny_clustered(void **state)
{
    (void)state;
    graft_estimate_row_t r =
        tiny_estimate(0, 1, 0, GRAFT_LONELY_FAIL, GRAFT_IND_PROP);
    assert_close(r.estimate, 0.375, 1e-15, 0);
    assert_close(r.se, 0.15625, 1e-14, 0);
    assert_close(r.df, 2, 0, 0);
    assert_int_equal(r.n, 6);
    assert_close(r.weighted_n, 8, 0, 0);
    /* wald: p -/+ qt(0.975, 2) se, qt = 4.302652729749464 */
    assert_close(r.ci_low, 0.375 - 4.302652729749464 * 0.15625, 1e-12, 0);
    /* deff = V / (p (1 - p) / n) = (100/4096) / (0.234375 / 6) */
    assert_close(r.deff, (100.0 / 4096) / (0.234375 / 6), 1e-13, 0);
    assert_close(r.n_eff, 6 / r.deff, 1e-13, 0);
    assert_close(r.cv, 0.15625 / 0.375, 1e-14, 0);
}

/* fpc: f_1 = 2/4, f_2 = 2/10: V = 0.5 (36/4096) + 0.8 (64/4096). */
static void test_tiny_fpc(void **state)
{
    (void)state;
    graft_estimate_row_t r =
        tiny_estimate(0, 1, 1, GRAFT_LONELY_FAIL, GRAFT_IND_PROP);
    assert_close(r.se * r.se, (0.5 * 36 + 0.8 * 64) / 4096, 1e-14, 0);
}

/* Each row its own PSU: z in 64ths are 5, -6, 5 and -6, 5, -3;
 * V = 3/2 (726/9) + 3/2 (582/9), all over 4096, = 218/4096; df = 6 - 2. */
static void test_tiny_rows(void **state)
{
    (void)state;
    graft_estimate_row_t r =
        tiny_estimate(0, 0, 0, GRAFT_LONELY_FAIL, GRAFT_IND_PROP);
    assert_close(r.se * r.se, 218.0 / 4096, 1e-13, 0);
    assert_close(r.df, 4, 0, 0);
}

/* Total of y: PSU totals 1, 1 | 0, 1: V = 0 + 2 (2 (1/2)^2) = 1. */
static void test_tiny_total(void **state)
{
    (void)state;
    graft_estimate_row_t r =
        tiny_estimate(0, 1, 0, GRAFT_LONELY_FAIL, GRAFT_IND_TOTAL);
    assert_close(r.estimate, 3, 0, 0);
    assert_close(r.se, 1, 1e-15, 0);
}

/* With the single-PSU stratum h3: p = 1/2, N = 10, PSU scores -0.05,
 * 0.05 | -0.1, 0 | 0.1.  remove/certainty: V = 0.01 + 0.01; adjust adds
 * (0.1 - 0)^2; average scales 0.02 by 3 strata / 2. */
static void test_tiny_lonely(void **state)
{
    (void)state;
    graft_estimate_row_t r;
    r = tiny_estimate(1, 1, 0, GRAFT_LONELY_REMOVE, GRAFT_IND_PROP);
    assert_close(r.estimate, 0.5, 1e-15, 0);
    assert_close(r.se * r.se, 0.02, 1e-14, 0);
    r = tiny_estimate(1, 1, 0, GRAFT_LONELY_CERTAINTY, GRAFT_IND_PROP);
    assert_close(r.se * r.se, 0.02, 1e-14, 0);
    r = tiny_estimate(1, 1, 0, GRAFT_LONELY_ADJUST, GRAFT_IND_PROP);
    assert_close(r.se * r.se, 0.03, 1e-14, 0);
    r = tiny_estimate(1, 1, 0, GRAFT_LONELY_AVERAGE, GRAFT_IND_PROP);
    assert_close(r.se * r.se, 0.03, 1e-14, 0);
    /* fpc N = 5 for h3: adjust multiplies its term by 1 - 1/5. */
    r = tiny_estimate(1, 1, 1, GRAFT_LONELY_ADJUST, GRAFT_IND_PROP);
    assert_close(r.se * r.se, 0.5 * 0.01 + 0.8 * 0.01 + 0.8 * 0.01, 1e-14,
                 0);
}

/* Totals under adjust centre the single PSU at the mean PSU total of the
 * design, 5 / 5 = 1 (R 4.5): V = 0 + 1 + (2 - 1)^2 = 2; remove gives 1. */
static void test_tiny_lonely_total(void **state)
{
    (void)state;
    graft_estimate_row_t r;
    r = tiny_estimate(1, 1, 0, GRAFT_LONELY_ADJUST, GRAFT_IND_TOTAL);
    assert_close(r.estimate, 5, 0, 0);
    assert_close(r.se * r.se, 2, 1e-14, 0);
    r = tiny_estimate(1, 1, 0, GRAFT_LONELY_REMOVE, GRAFT_IND_TOTAL);
    assert_close(r.se * r.se, 1, 1e-14, 0);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apistrat), cmocka_unit_test(test_apiclus1),
        cmocka_unit_test(test_apiclus2), cmocka_unit_test(test_nhanes),
        cmocka_unit_test(test_demo),     cmocka_unit_test(test_tunisia),
        cmocka_unit_test(test_tiny_clustered),
        cmocka_unit_test(test_tiny_fpc),
        cmocka_unit_test(test_tiny_rows),
        cmocka_unit_test(test_tiny_total),
        cmocka_unit_test(test_tiny_lonely),
        cmocka_unit_test(test_tiny_lonely_total),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
