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
#include "graft/chart.h"
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

/* The police indicator's denominator in the demo's round 1, counted from
 * the data file: rows with contact_police == 1 and paid_police 0 or 1 (8
 * and 9 are missing codes), in zone ZONE (0: all).  *PSUS: the distinct
 * (stratum, ea) among them; returns the weighted share of all
 * respondents (of the zone). */
static double police_denominator(const table_t *d, double zone, size_t *rows,
                                 size_t *psus)
{
    size_t cz = table_col(d, "zone"), cc = table_col(d, "contact_police");
    size_t cp = table_col(d, "paid_police"), cw = table_col(d, "weight");
    size_t cs = table_col(d, "stratum"), ce = table_col(d, "ea");
    double *seen = calloc(d->nrows * 2, sizeof *seen), w_den = 0, w_all = 0;
    assert_non_null(seen);
    *rows = *psus = 0;
    for (size_t i = 0; i < d->nrows; i++) {
        if (zone != 0 && table_num(d, i, cz) != zone)
            continue;
        double w = table_num(d, i, cw), p = table_num(d, i, cp);
        w_all += w;
        if (table_num(d, i, cc) != 1 || !(p == 0 || p == 1))
            continue;
        w_den += w;
        (*rows)++;
        double s = table_num(d, i, cs), e = table_num(d, i, ce);
        size_t k = 0;
        while (k < *psus && !(seen[2 * k] == s && seen[2 * k + 1] == e))
            k++;
        if (k == *psus) {
            seen[2 * k] = s, seen[2 * k + 1] = e;
            (*psus)++;
        }
    }
    free(seen);
    return w_den / w_all;
}

/* One plan row against graft estimate's row and the formulas. */
static void check_plan_row(const table_t *pl, size_t i, const table_t *est,
                           const graft_plan_opts_t *o)
{
    size_t j;
    for (j = 0; j < est->nrows; j++)
        if (strcmp(cell(est, j, "indicator"), cell(pl, i, "indicator")) == 0 &&
            strcmp(cell(est, j, "zone"), cell(pl, i, "domain")) == 0)
            break;
    assert_true(j < est->nrows);
    assert_close(num(pl, i, "p1"), num(est, j, "estimate"), 1e-15, 0);
    assert_close(num(pl, i, "deff"), num(est, j, "deff"), 1e-15, 0);
    assert_true(num(pl, i, "rows") == num(est, j, "n"));
    double m = num(pl, i, "rows") / num(pl, i, "psus");
    double rho = m > 1 ? (num(pl, i, "deff") - 1) / (m - 1) : NAN;
    assert_close(num(pl, i, "m"), m, 1e-15, 0);
    assert_close(num(pl, i, "rho"), rho, 1e-12, 1e-15);
    double dt = 1 + (10 * num(pl, i, "share") - 1) * rho;
    assert_close(num(pl, i, "deff_take"), dt, 1e-12, 1e-15);
    double p1 = num(pl, i, "p1"), p2 = p1 - 0.05 >= 0 ? p1 - 0.05 : p1 + 0.05;
    double n = graft_plan_n(p1, p2, dt, o);
    assert_close(num(pl, i, "n_exact"), n, 1e-12, 0);
    assert_true(num(pl, i, "n") == ceil(n) || (isnan(n) && isnan(num(pl, i, "n"))));
    if (isnan(n))
        assert_non_null(strstr(cell(pl, i, "flag"), "no deff for --take"));
    double iv = ceil(n) / num(pl, i, "share");
    assert_close(num(pl, i, "interviews"), iv, 1e-12, 0);
    assert_close(num(pl, i, "psus_needed"), iv / 10, 1e-12, 0);
}

/* graft plan from the demo's baseline: p1, deff and rows are graft
 * estimate's, the PSUs and shares those of the data file, the rest the
 * formulas of docs/plan.md. */
static void test_baseline_demo(void **state)
{
    (void)state;
    const char *out = test_tmp("plan.csv"), *eout = test_tmp("est.csv");
    spawn_result_t r;
    spawn_graft(&r, "plan", "surveys/demo/round1.ini", "--analysis",
                "analysis/demo.ini", "--change", "0.05", "--n", "3000",
                "--take", "10", "-o", out, NULL);
    spawn_expect_ok(&r);
    spawn_graft(&r, "estimate", "surveys/demo/round1.ini", "--analysis",
                "analysis/demo.ini", "-o", eout, NULL);
    spawn_expect_ok(&r);
    table_t *pl = table_open(out), *est = table_open(eout);
    table_t *data = table_open("surveys/demo/round1.csv");
    graft_plan_opts_t o;
    graft_plan_opts_init(&o);
    assert_int_equal(pl->nrows, 10 * 7); /* the proportions x (All + zones) */
    size_t flagged = 0;
    for (size_t i = 0; i < pl->nrows; i++) {
        check_plan_row(pl, i, est, &o);
        flagged += cell(pl, i, "flag")[0] != '\0';
    }
    assert_true(flagged > 0);
    static const char *const zones[] = {"All", "North", "Capital"};
    static const double codes[] = {0, 1, 6};
    for (size_t z = 0; z < 3; z++) {
        size_t i, rows, psus;
        for (i = 0; i < pl->nrows; i++)
            if (strcmp(cell(pl, i, "indicator"), "police") == 0 &&
                strcmp(cell(pl, i, "domain"), zones[z]) == 0)
                break;
        assert_true(i < pl->nrows);
        double share = police_denominator(data, codes[z], &rows, &psus);
        assert_true(num(pl, i, "rows") == (double)rows);
        assert_true(num(pl, i, "psus") == (double)psus);
        assert_close(num(pl, i, "share"), share, 1e-12, 0);
    }
    /* All police: 8347 interviews against 3000 */
    size_t i = table_find(pl, "indicator", "police");
    char want[96];
    snprintf(want, sizeof want, "needs %.0f interviews, budget 3000",
             ceil(num(pl, i, "interviews")));
    assert_string_equal(cell(pl, i, "flag"), want);
    table_close(pl);
    table_close(est);
    table_close(data);
}

static void test_baseline_errors(void **state)
{
    (void)state;
    spawn_result_t r;
    spawn_graft(&r, "plan", "surveys/demo/round1.ini", "--analysis",
                "analysis/demo.ini", NULL);
    spawn_expect_error(&r, GRAFT_EXIT_USAGE,
                       "plan: give --change C (the change to detect) or --n "
                       "N (the interviews)");
    spawn_graft(&r, "plan", "surveys/demo/round1.ini", "--mean", "n_bribes",
                "--change", "0.05", NULL);
    spawn_expect_error(&r, GRAFT_EXIT_USAGE,
                       "plan: no proportion to plan for (--prop or type = "
                       "prop in the analysis file)");
    spawn_graft(&r, "plan", "surveys/demo/round1.ini", "--prop",
                "paid_police", "--change", "1.5", NULL);
    spawn_expect_error(&r, GRAFT_EXIT_USAGE,
                       "plan: --change must be between 0 and 1");
}

/* The power chart of a budget plan: every curve's points are the power of
 * its row (R's power.prop.test, checked above), and each curve crosses the
 * planned power where the table's mde_decrease and mde_increase say. */
static void test_power_chart(void **state)
{
    (void)state;
    const char *plan = test_tmp("budget.csv"), *svg = test_tmp("power.svg");
    spawn_result_t r;
    spawn_graft(&r, "plan", "surveys/demo/round1.ini", "--analysis",
                "analysis/demo.ini", "--n", "3000", "--take", "10",
                "--power", "0.9", "-o", plan, NULL);
    spawn_expect_ok(&r);
    graft_chart_spec_t spec;
    graft_diag_t d;
    graft_chart_spec_init(&spec);
    spec.kind = GRAFT_CHART_POWER;
    spec.input = plan;
    spec.output = svg;
    spec.indicator = "police";
    assert_int_equal(graft_chart_write_script(&spec, &d), GRAFT_OK);
    table_t *t = table_open(plan);
    char dat_path[600];
    snprintf(dat_path, sizeof dat_path, "%.*s.dat",
             (int)(strlen(svg) - 4), svg);
    FILE *dat = fopen(dat_path, "r");
    assert_non_null(dat);
    char line[256];
    size_t curve = (size_t)-1, row = 0, points = 0, crossings = 0;
    double px = NAN, py = NAN;
    while (fgets(line, sizeof line, dat)) {
        if (strncmp(line, "# curve ", 8) == 0) {
            curve++;
            row = table_find(t, "indicator", "police") + curve;
            assert_string_equal(cell(t, row, "indicator"), "police");
            px = py = NAN;
            continue;
        }
        double x, y;
        if (line[0] == '#' || sscanf(line, "%lf %lf", &x, &y) != 2)
            continue;
        double p1 = num(t, row, "p1");
        double n_srs = num(t, row, "n") / num(t, row, "deff_take");
        double p2 = p1 + x / 100;
        if (p2 < 0 || p2 > 1) { /* no such p2: not drawn */
            assert_true(isnan(y));
            continue;
        }
        assert_close(y, 100 * graft_plan_power(n_srs, p1, p2, 0.05), 0, 5e-7);
        points++;
        /* a crossing of 90 %: the table's MDE lies between the points */
        if (isfinite(py) && (py - 90) * (y - 90) < 0) {
            double mde = x < 0 ? -100 * num(t, row, "mde_decrease")
                               : 100 * num(t, row, "mde_increase");
            assert_true(mde >= px && mde <= x);
            crossings++;
        }
        px = x, py = y;
    }
    fclose(dat);
    assert_int_equal(curve + 1, 7); /* All and the six zones */
    assert_true(points > 1000 && crossings >= 7);
    table_close(t);
    char *gp = test_slurp(test_tmp("power.gp"), NULL);
    assert_non_null(gp);
    assert_non_null(strstr(gp, "first 90.0000 to graph 1"));
    free(gp);
    spawn_graft(&r, "plot", plan, "--kind", "power", "-o", svg, NULL);
    spawn_expect_ok(&r);
    spawn_graft(&r, "plot", plan, "--kind", "power", "--indicator", "nope",
                "-o", svg, NULL);
    assert_int_equal(r.status, GRAFT_EXIT_DATA);
}

/* The MDE chart of the same plan: every point is graft_plan_mde's fall at
 * that n, and the rows' markers are the table's n and mde_decrease. */
static void test_mde_chart(void **state)
{
    (void)state;
    const char *plan = test_tmp("budget2.csv"), *png = test_tmp("mde.png");
    spawn_result_t r;
    spawn_graft(&r, "plan", "surveys/demo/round1.ini", "--analysis",
                "analysis/demo.ini", "--n", "3000", "--take", "10",
                "--alpha", "0.1", "-o", plan, NULL);
    spawn_expect_ok(&r);
    graft_chart_spec_t spec;
    graft_diag_t d;
    graft_chart_spec_init(&spec);
    spec.kind = GRAFT_CHART_MDE;
    spec.input = plan;
    spec.output = png;
    spec.indicator = "courts";
    assert_int_equal(graft_chart_write_script(&spec, &d), GRAFT_OK);
    table_t *t = table_open(plan);
    size_t rows[16], n_rows = 0; /* the rows drawn: courts, deff_take > 0 */
    for (size_t i = 0; i < t->nrows && n_rows < 16; i++)
        if (strcmp(cell(t, i, "indicator"), "courts") == 0 &&
            num(t, i, "deff_take") > 0)
            rows[n_rows++] = i;
    FILE *dat = fopen(test_tmp("mde.dat"), "r");
    assert_non_null(dat);
    char line[256];
    size_t curve = (size_t)-1, points = 0, marks = 0;
    int in_marks = 0;
    graft_plan_opts_t o;
    graft_plan_opts_init(&o);
    o.alpha = 0.1;
    while (fgets(line, sizeof line, dat)) {
        if (strncmp(line, "# curve ", 8) == 0) {
            curve++;
            continue;
        }
        if (strncmp(line, "# the rows'", 11) == 0) {
            in_marks = 1;
            continue;
        }
        double x, y;
        if (line[0] == '#' || sscanf(line, "%lf %lf", &x, &y) != 2)
            continue;
        size_t k = in_marks ? marks : curve;
        assert_true(k < n_rows);
        size_t row = rows[k];
        if (in_marks) {
            assert_close(x, num(t, row, "n"), 1e-9, 0);
            assert_close(y, 100 * num(t, row, "mde_decrease"), 0, 5e-7);
            marks++;
            continue;
        }
        double lo, hi, p1 = num(t, row, "p1");
        graft_plan_mde(p1, x, num(t, row, "deff_take"), &o, &lo, &hi);
        if (isnan(lo))
            assert_true(isnan(y));
        else
            assert_close(y, 100 * (p1 - lo), 0, 5e-7);
        points++;
    }
    fclose(dat);
    assert_int_equal(marks, n_rows);
    assert_int_equal(curve + 1, n_rows);
    assert_true(n_rows == 6 && points > 1000); /* South's take: no deff */
    table_close(t);
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
        cmocka_unit_test(test_baseline_demo),
        cmocka_unit_test(test_baseline_errors),
        cmocka_unit_test(test_power_chart),
        cmocka_unit_test(test_mde_chart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
