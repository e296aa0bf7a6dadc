/*
 * test_plan.c - `graft plan`: sample sizes and detectable changes
 * (src/stats/plan.c, src/write/plan_write.c, src/cli/cmd_plan.c).
 *
 * Two reference files, made by tests/R/plan_ref.R (R 4.2.2,
 * stats::power.prop.test with tol = 1e-13):
 *   tests/ref/plan_n.csv    n_exact = deff (1 - corr) n_SRS and its
 *                           ceiling over a grid of p1, p2, deff, power,
 *                           alpha, corr; 1e-9 relative, n exactly.
 *   tests/ref/plan_mde.csv  the p2 below and above p1 that n per round
 *                           detects; 1e-9 relative; where R finds none
 *                           (status 0), graft must say undefined.
 * Then the command line: both direct forms against the library and R's
 * row, and the usage errors with their messages.
 */
#include "test_util.h"
#include "test_spawn.h"
#include "test_table.h"
#include "graft/plan.h"

#include <gsl/gsl_errno.h>

#define REF_N "tests/ref/plan_n.csv"
#define REF_MDE "tests/ref/plan_mde.csv"

static double num(const table_t *t, size_t row, const char *name)
{
    return table_num(t, row, table_col(t, name));
}

static void ref_opts(const table_t *t, size_t i, graft_plan_opts_t *o)
{
    graft_plan_opts_init(o);
    o->power = num(t, i, "power");
    o->alpha = num(t, i, "alpha");
    o->correlation = num(t, i, "corr");
}

static void test_ref_n(void **state)
{
    (void)state;
    table_t *t = table_open(REF_N);
    assert_true(t->nrows >= 500);
    for (size_t i = 0; i < t->nrows; i++) {
        graft_plan_opts_t o;
        ref_opts(t, i, &o);
        double n = graft_plan_n(num(t, i, "p1"), num(t, i, "p2"),
                                num(t, i, "deff"), &o);
        if (!test_close_ok(n, num(t, i, "n_exact"), REL_TOL, 0))
            fail_msg("plan_n.csv row %zu: n_exact %.17g, R %.17g", i + 2, n,
                     num(t, i, "n_exact"));
        assert_true(ceil(n) == num(t, i, "n"));
    }
    printf("plan_n.csv: %zu sample sizes compared with R\n", t->nrows);
    table_close(t);
}

static size_t check_side(const table_t *t, size_t i, const char *col,
                         const char *status, double got)
{
    double st = num(t, i, status), want = num(t, i, col);
    if (st == 2)
        return 0;
    if (st == 0) {
        if (!isnan(got))
            fail_msg("plan_mde.csv row %zu: %s %.17g, R finds none", i + 2,
                     col, got);
        return 1;
    }
    if (!test_close_ok(got, want, REL_TOL, 0))
        fail_msg("plan_mde.csv row %zu: %s %.17g, R %.17g", i + 2, col, got,
                 want);
    return 1;
}

static void test_ref_mde(void **state)
{
    (void)state;
    table_t *t = table_open(REF_MDE);
    size_t compared = 0, none = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        graft_plan_opts_t o;
        double lo, hi;
        ref_opts(t, i, &o);
        graft_plan_mde(num(t, i, "p1"), num(t, i, "n"), num(t, i, "deff"),
                       &o, &lo, &hi);
        compared += check_side(t, i, "p2_low", "low_status", lo);
        compared += check_side(t, i, "p2_high", "high_status", hi);
        none += num(t, i, "low_status") == 0;
        none += num(t, i, "high_status") == 0;
        /* the power at the p2 found is the power asked */
        if (!isnan(hi))
            assert_close(graft_plan_power(num(t, i, "n_srs"),
                                          num(t, i, "p1"), hi, o.alpha),
                         o.power, 1e-9, 0);
    }
    assert_true(compared > 800 && none > 50);
    printf("plan_mde.csv: %zu detectable p2 compared with R (%zu none)\n",
           compared, none);
    table_close(t);
}

static void test_opts_errors(void **state)
{
    (void)state;
    graft_plan_opts_t o;
    graft_diag_t d;
    graft_plan_opts_init(&o);
    assert_int_equal(graft_plan_opts_check(&o, &d), GRAFT_OK);
    o.power = 1.0;
    assert_int_equal(graft_plan_opts_check(&o, &d), GRAFT_ERR_USAGE);
    assert_string_equal(d.msg, "--power: 1 is not from 0.5 to below 1");
    graft_plan_opts_init(&o);
    o.alpha = 0;
    assert_int_equal(graft_plan_opts_check(&o, &d), GRAFT_ERR_USAGE);
    graft_plan_opts_init(&o);
    o.correlation = -1;
    assert_int_equal(graft_plan_opts_check(&o, &d), GRAFT_ERR_USAGE);
    assert_true(isnan(graft_plan_n(0.3, 0.3, 1, &o)));
}

/* The direct forms on the command line: R's numbers in CSV. */
static void test_cli_direct(void **state)
{
    (void)state;
    spawn_result_t r;
    table_t *t = table_open(REF_N);
    /* the grid row p1 0.3, p2 0.25, deff 1.8, power 0.9, alpha 0.01, corr 0.4 */
    spawn_graft(&r, "plan", "--p1", "0.3", "--p2", "0.25", "--deff", "1.8",
                "--power", "0.9", "--alpha=0.01", "--correlation", "0.4",
                "--format", "csv", NULL);
    spawn_expect_ok(&r);
    size_t i;
    for (i = 0; i < t->nrows; i++)
        if (num(t, i, "p1") == 0.3 && num(t, i, "p2") == 0.25 &&
            num(t, i, "deff") == 1.8 && num(t, i, "power") == 0.9 &&
            num(t, i, "alpha") == 0.01 && num(t, i, "corr") == 0.4)
            break;
    assert_true(i < t->nrows);
    /* the last line's last two fields: n_exact, n */
    char *nl = strrchr(r.out, '\n');
    assert_non_null(nl);
    *nl = '\0';
    char *last = strrchr(r.out, ',');
    assert_non_null(last);
    *last = '\0';
    char *prev = strrchr(r.out, ',');
    assert_non_null(prev);
    assert_close(strtod(prev + 1, NULL), num(t, i, "n_exact"), REL_TOL, 0);
    assert_true(strtod(last + 1, NULL) == num(t, i, "n"));
    table_close(t);
    char want[256];

    spawn_graft(&r, "plan", "--p1", "0.3", "--n", "2000", "--deff", "1.8",
                "--format", "csv", NULL);
    spawn_expect_ok(&r);
    graft_plan_opts_t o;
    double lo, hi;
    graft_plan_opts_init(&o);
    graft_plan_mde(0.3, 2000, 1.8, &o, &lo, &hi);
    snprintf(want, sizeof want, ",%.17g,%.17g,%.17g,%.17g\n", lo, hi,
             0.3 - lo, hi - 0.3);
    if (strstr(r.out, want) == NULL)
        fail_msg("got %s, want a line ending %s", r.out, want);
}

static void test_cli_errors(void **state)
{
    (void)state;
    spawn_result_t r;
    spawn_graft(&r, "plan", "--p1", "0.3", NULL);
    spawn_expect_error(&r, GRAFT_EXIT_USAGE,
                       "plan: give either --p2 (for n) or --n (for the "
                       "detectable change) with --p1");
    spawn_graft(&r, "plan", "--p1", "0.3", "--p2", "0.3", NULL);
    spawn_expect_error(&r, GRAFT_EXIT_USAGE,
                       "plan: --p1 and --p2 are equal: no change to detect");
    spawn_graft(&r, "plan", "--p1", "x", "--p2", "0.3", NULL);
    spawn_expect_error(&r, GRAFT_EXIT_USAGE, "plan: --p1: 'x' is not a number");
    spawn_graft(&r, "plan", "--p1", "0.3", "--p2", "0.2", "--power", "0.3",
                NULL);
    spawn_expect_error(&r, GRAFT_EXIT_USAGE,
                       "--power: 0.3 is not from 0.5 to below 1");
    spawn_graft(&r, "plan", "--p1", "0.3", "--p2", NULL);
    spawn_expect_error(&r, GRAFT_EXIT_USAGE,
                       "plan: option '--p2' needs a value");
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref_n),
        cmocka_unit_test(test_ref_mde),
        cmocka_unit_test(test_opts_errors),
        cmocka_unit_test(test_cli_direct),
        cmocka_unit_test(test_cli_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
