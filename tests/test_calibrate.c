/*
 * test_calibrate.c - calibration of weights (graft/calibrate.h) against R's
 * survey package, and its errors.
 *
 * tests/ref/calibrate_cases.csv lists the cases tests/R/calibrate_ref.R ran
 * (postStratify, rake, calibrate with calfun linear, logit, raking, bounds,
 * trimWeights, replicate weights of a JK1 design); calibrate_margins.csv
 * their margins; calibrate_<case>.csv each row's design weight, cells and
 * R's calibrated weight.  Every weight is compared to 1e-9 relative (R was
 * made to iterate to 1e-12 and graft is given the same tolerance), and the
 * passes or Newton iterations to R's count where R iterates.  Cases R
 * refuses (bounds it cannot meet) must fail here too.  The tun_r7 cases read
 * the Afrobarometer file from ../shared and skip visibly without it.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_table.h"
#include "graft/calibrate.h"
#include "graft/reader.h"

#include <gsl/gsl_errno.h>

#define REF "tests/ref/"
#define REL 1e-9
#define MAX_MARGINS 4
#define MAX_REPS 32

static double num(const table_t *t, size_t row, const char *col)
{
    const char *s = cell(t, row, col);
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end)
        fail_msg("%s = '%s' is not a number", col, s);
    return v;
}

/* ---- one case ------------------------------------------------------------ */

typedef struct ccase {
    const char *name, *method;
    graft_cal_opts_t opts;
    int strict, fails;
    size_t nm, n_reps, n;
    double iterations; /* R's, NaN: not known */
    graft_margin_t m[MAX_MARGINS];
    double *totals[MAX_MARGINS];
    char **labels[MAX_MARGINS];
    double *codes[MAX_MARGINS];
    uint32_t *cells[MAX_MARGINS];
    double *w, *want, *w_out;
    double *rep[MAX_REPS], *rep_want[MAX_REPS], *rep_out[MAX_REPS];
} ccase_t;

static void case_margins(ccase_t *c, const table_t *M)
{
    for (size_t m = 0; m < c->nm; m++) {
        size_t k = 0;
        c->totals[m] = calloc(M->nrows, sizeof(double));
        c->codes[m] = calloc(M->nrows, sizeof(double));
        c->labels[m] = calloc(M->nrows, sizeof(char *));
        for (size_t r = 0; r < M->nrows; r++) {
            if (strcmp(cell(M, r, "case"), c->name) != 0 ||
                (size_t)num(M, r, "margin") != m + 1)
                continue;
            assert_int_equal((size_t)num(M, r, "cell"), k);
            c->totals[m][k] = num(M, r, "total");
            c->labels[m][k] = (char *)cell(M, r, "label");
            c->codes[m][k] = strcmp(cell(M, r, "code"), "NA") == 0
                                 ? NAN : num(M, r, "code");
            k++;
        }
        assert_true(k > 0);
        static const char *const mnames[] = {"m1", "m2", "m3", "m4"};
        c->m[m].name = mnames[m];
        c->m[m].n_cells = k;
        c->m[m].totals = c->totals[m];
        c->m[m].cell_names = (const char *const *)c->labels[m];
    }
}

static void case_read(ccase_t *c, const table_t *C, size_t i)
{
    memset(c, 0, sizeof *c);
    c->name = cell(C, i, "case");
    c->method = cell(C, i, "method");
    c->fails = strstr(c->method, ":fails") != NULL;
    graft_cal_opts_init(&c->opts);
    char method[32];
    snprintf(method, sizeof method, "%.*s", (int)strcspn(c->method, ":"),
             c->method);
    if (strcmp(method, "trim") != 0)
        assert_true(graft_cal_method_parse(method, &c->opts.method));
    c->opts.lower = num(C, i, "lower");
    c->opts.upper = num(C, i, "upper");
    c->opts.tolerance = num(C, i, "tolerance");
    c->opts.max_iter = (size_t)num(C, i, "max_iter");
    c->strict = (int)num(C, i, "strict");
    c->nm = (size_t)num(C, i, "n_margins");
    c->n_reps = (size_t)num(C, i, "n_reps");
    c->iterations = strcmp(cell(C, i, "iterations"), "NA") == 0
                        ? NAN : num(C, i, "iterations");
    assert_true(c->nm <= MAX_MARGINS && c->n_reps <= MAX_REPS);
}

/* The rows of a case written with its data: design weight, cells, R's
 * weights (and replicates). */
static void case_rows(ccase_t *c, const table_t *D)
{
    char col[16];
    c->n = D->nrows;
    c->w = calloc(c->n, sizeof(double));
    c->want = calloc(c->n, sizeof(double));
    c->w_out = calloc(c->n, sizeof(double));
    for (size_t m = 0; m < c->nm; m++)
        c->cells[m] = calloc(c->n, sizeof(uint32_t));
    for (size_t r = 0; r < c->n_reps; r++) {
        c->rep[r] = calloc(c->n, sizeof(double));
        c->rep_want[r] = calloc(c->n, sizeof(double));
        c->rep_out[r] = calloc(c->n, sizeof(double));
    }
    for (size_t i = 0; i < c->n; i++) {
        c->w[i] = num(D, i, "w");
        c->want[i] = c->fails ? NAN : num(D, i, "w_cal");
        for (size_t m = 0; m < c->nm; m++) {
            snprintf(col, sizeof col, "c%zu", m + 1);
            c->cells[m][i] = (uint32_t)num(D, i, col);
        }
        for (size_t r = 0; r < c->n_reps; r++) {
            snprintf(col, sizeof col, "r%zu", r + 1);
            c->rep[r][i] = num(D, i, col);
            snprintf(col, sizeof col, "cr%zu", r + 1);
            c->rep_want[r][i] = num(D, i, col);
        }
    }
}

static void case_free(ccase_t *c)
{
    for (size_t m = 0; m < MAX_MARGINS; m++) {
        free(c->totals[m]);
        free(c->labels[m]);
        free(c->codes[m]);
        free(c->cells[m]);
    }
    for (size_t r = 0; r < MAX_REPS; r++) {
        free(c->rep[r]);
        free(c->rep_want[r]);
        free(c->rep_out[r]);
    }
    free(c->w);
    free(c->want);
    free(c->w_out);
}

static double max_rel; /* the largest relative difference from R seen */

static size_t compare_weights(const char *name, const char *what, size_t n,
                              const double *got, const double *want)
{
    for (size_t i = 0; i < n; i++) {
        double d = fabs(got[i] - want[i]) / fabs(want[i]);
        if (d > max_rel)
            max_rel = d;
    }
    for (size_t i = 0; i < n; i++)
        if (!test_close_ok(got[i], want[i], REL, 0))
            fail_msg("%s: %s of row %zu = %.17g, R %.17g", name, what, i + 1,
                     got[i], want[i]);
    return n;
}

/* Run case C; returns the count of weights compared with R's. */
static size_t case_run(ccase_t *c)
{
    graft_cal_result_t res;
    graft_diag_t diag;
    char buf[2200];
    if (strcmp(c->method, "trim") == 0) {
        memcpy(c->w_out, c->w, c->n * sizeof *c->w);
        graft_trim_weights(c->n, c->w_out, c->opts.lower, c->opts.upper,
                           c->strict);
        return compare_weights(c->name, "trimmed weight", c->n, c->w_out,
                               c->want);
    }
    const uint32_t *cells[MAX_MARGINS];
    for (size_t m = 0; m < c->nm; m++)
        cells[m] = c->cells[m];
    graft_error_t rc = graft_calibrate_replicates(
        c->n, c->w, c->n_reps, (const double *const *)c->rep, c->nm, c->m,
        cells, &c->opts, c->w_out, c->rep_out, &res, &diag);
    if (c->fails) {
        if (rc != GRAFT_ERR_CALIBRATE)
            fail_msg("%s: R fails, graft returned %d", c->name, (int)rc);
        assert_false(res.converged);
        assert_non_null(strstr(diag.msg, isinf(c->opts.upper)
                                              ? "did not converge in "
                                              : "did not converge within "
                                                "the bounds"));
        return 0;
    }
    if (rc != GRAFT_OK)
        fail_msg("%s: %s", c->name, graft_diag_format(&diag, buf, sizeof buf));
    assert_true(res.converged);
    assert_true(res.worst_rel_error < 1e-9);
    if (!isnan(c->iterations) && (double)res.iterations != c->iterations)
        fail_msg("%s: %zu iterations, R %g", c->name, res.iterations,
                 c->iterations);
    size_t k = compare_weights(c->name, "weight", c->n, c->w_out, c->want);
    for (size_t r = 0; r < c->n_reps; r++)
        k += compare_weights(c->name, "replicate weight", c->n, c->rep_out[r],
                             c->rep_want[r]);
    return k;
}

/* The tun_r7 cases: the rows from the Afrobarometer file itself, each
 * margin's cell from the SPSS code (REGION, Q101, URBRUR in that order),
 * the weight withinwt; R's weights from calibrate_<case>.csv. */
static void afro_rows(ccase_t *c)
{
    static const char *const vars[] = {"REGION", "Q101", "URBRUR"};
    table_t A, D;
    char path[256];
    table_load(&A, SHARED_AFRO "/tun_r7_data.sav");
    snprintf(path, sizeof path, REF "calibrate_%s.csv", c->name);
    table_load(&D, path);
    assert_int_equal(A.nrows, D.nrows);
    c->n = A.nrows;
    c->w = calloc(c->n, sizeof(double));
    c->want = calloc(c->n, sizeof(double));
    c->w_out = calloc(c->n, sizeof(double));
    for (size_t m = 0; m < c->nm; m++) {
        size_t col = table_col(&A, vars[m]);
        c->cells[m] = calloc(c->n, sizeof(uint32_t));
        for (size_t i = 0; i < c->n; i++) {
            size_t k = 0;
            while (k < c->m[m].n_cells &&
                   c->codes[m][k] != table_num(&A, i, col))
                k++;
            assert_true(k < c->m[m].n_cells);
            c->cells[m][i] = (uint32_t)k;
        }
    }
    size_t wcol = table_col(&A, "withinwt");
    for (size_t i = 0; i < c->n; i++) {
        c->w[i] = table_num(&A, i, wcol);
        c->want[i] = num(&D, i, "w_cal");
    }
    table_free(&A);
    table_free(&D);
}

/* ---- the cases ------------------------------------------------------------ */

static void run_cases(const char *prefix, int afro)
{
    table_t C, M;
    size_t n_cases = 0, n_cmp = 0;
    max_rel = 0;
    table_load(&C, REF "calibrate_cases.csv");
    table_load(&M, REF "calibrate_margins.csv");
    for (size_t i = 0; i < C.nrows; i++) {
        const char *name = cell(&C, i, "case");
        if (strncmp(name, "tun_r7", 6) == 0 ? !afro
                                            : afro || !prefix ||
                                                  strncmp(name, prefix,
                                                          strlen(prefix)))
            continue;
        ccase_t c;
        case_read(&c, &C, i);
        case_margins(&c, &M);
        if (afro) {
            afro_rows(&c);
        } else {
            char path[256];
            table_t D;
            snprintf(path, sizeof path, REF "calibrate_%s.csv", c.name);
            table_load(&D, path);
            case_rows(&c, &D);
            n_cmp += case_run(&c);
            table_free(&D);
        }
        if (afro)
            n_cmp += case_run(&c);
        case_free(&c);
        n_cases++;
    }
    printf("calibrate %s: %zu cases, %zu weights compared with R (largest "
           "relative difference %.2g)\n", afro ? "tun_r7" : prefix, n_cases,
           n_cmp, max_rel);
    assert_true(n_cases > 0);
    table_free(&C);
    table_free(&M);
}

static void test_poststratify_r(void **state)
{
    (void)state;
    run_cases("ps_", 0);
}

static void test_rake_r(void **state)
{
    (void)state;
    run_cases("rake_", 0);
}

static void test_linear_r(void **state)
{
    (void)state;
    run_cases("linear_", 0);
}

static void test_logit_r(void **state)
{
    (void)state;
    run_cases("logit_", 0);
}

static void test_raking_r(void **state)
{
    (void)state;
    run_cases("raking_", 0);
}

static void test_fails_like_r(void **state)
{
    (void)state;
    run_cases("fail_", 0);
}

static void test_trim_r(void **state)
{
    (void)state;
    run_cases("trim_", 0);
}

static void test_replicates_r(void **state)
{
    (void)state;
    run_cases("rep_", 0);
}

static void test_afrobarometer_r(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    run_cases(NULL, 1);
}

/* ---- errors and properties on small data ---------------------------------- */

/* Six rows: margin A (cells a, b, c; file margins/a.csv, lines 2-4) and
 * margin B (cells x, y). */
static const double w6[6] = {10, 12, 9, 11, 14, 8};
static const uint32_t a6[6] = {0, 0, 1, 1, 2, 2};
static const uint32_t b6[6] = {0, 1, 0, 1, 0, 1};
static const char *const a_names[] = {"a", "b", "c"};
static const char *const b_names[] = {"x", "y"};
static const unsigned long a_lines[] = {2, 3, 4};

static graft_margin_t margin_a(const double *totals)
{
    graft_margin_t m = {"A", 3, totals, a_names, "margins/a.csv", a_lines};
    return m;
}

static graft_margin_t margin_b(const double *totals)
{
    graft_margin_t m = {"B", 2, totals, b_names, NULL, NULL};
    return m;
}

static graft_error_t cal6(graft_cal_method_t method, size_t nm,
                          const graft_margin_t *m, const uint32_t *a,
                          double *out, graft_cal_result_t *res,
                          graft_diag_t *diag)
{
    graft_cal_opts_t o;
    graft_cal_opts_init(&o);
    o.method = method;
    if (method == GRAFT_CAL_LOGIT) {
        o.lower = 0.2;
        o.upper = 5;
    }
    const uint32_t *cells[2] = {a, b6};
    return graft_calibrate(6, w6, nm, m, cells, &o, out, res, diag);
}

static void expect_error(graft_error_t rc, const graft_diag_t *diag,
                         graft_error_t want, const char *msg)
{
    char buf[2200];
    assert_int_equal(rc, want);
    assert_string_equal(graft_diag_format(diag, buf, sizeof buf), msg);
}

static void test_cell_without_rows(void **state)
{
    (void)state;
    static const double ta[] = {50, 60, 100};
    static const uint32_t a[6] = {0, 0, 1, 1, 1, 1};
    graft_margin_t m = margin_a(ta);
    double out[6];
    graft_diag_t diag;
    for (int k = 0; k <= GRAFT_CAL_RAKING; k++) {
        graft_error_t rc = cal6((graft_cal_method_t)k, 1, &m, a, out, NULL,
                                &diag);
        expect_error(rc, &diag, GRAFT_ERR_CALIBRATE,
                     "margins/a.csv:4: margin A, cell 'c': a population "
                     "total of 100 but no rows in the data");
    }
    assert_int_equal(graft_exit_code(GRAFT_ERR_CALIBRATE), 65);
    assert_string_equal(graft_strerror(GRAFT_ERR_CALIBRATE),
                        "weights that cannot be calibrated");
}

static void test_rows_without_total(void **state)
{
    (void)state;
    static const double ta[] = {50, 0, 100};
    graft_margin_t m = margin_a(ta);
    double out[6];
    graft_diag_t diag;
    graft_error_t rc = cal6(GRAFT_CAL_RAKE, 1, &m, a6, out, NULL, &diag);
    expect_error(rc, &diag, GRAFT_ERR_CALIBRATE,
                 "margins/a.csv:3: margin A, cell 'b': 2 rows in the data "
                 "(weighted total 20) but a population total of 0");
}

static void test_rows_of_weight_zero(void **state)
{
    (void)state;
    static const double tb[] = {40, 30};
    static const double w[4] = {0, 3, 0, 5};
    static const uint32_t b[4] = {0, 1, 0, 1};
    graft_margin_t m = margin_b(tb);
    const uint32_t *cells[1] = {b};
    double out[4];
    graft_diag_t diag;
    graft_error_t rc = graft_calibrate(4, w, 1, &m, cells, NULL, out, NULL,
                                       &diag);
    expect_error(rc, &diag, GRAFT_ERR_CALIBRATE,
                 "margin B, cell 'x': a population total of 40 but its 2 "
                 "rows have weight 0");
}

/* A cell with neither rows nor a total is left out, as R leaves it out. */
static void test_empty_cell_without_total(void **state)
{
    (void)state;
    static const double ta[] = {50, 60, 0};
    static const uint32_t a[6] = {0, 0, 1, 1, 1, 1};
    graft_margin_t m = margin_a(ta);
    for (int k = 0; k <= GRAFT_CAL_RAKING; k++) {
        double out[6];
        graft_cal_result_t res;
        graft_diag_t diag;
        graft_error_t rc = cal6((graft_cal_method_t)k, 1, &m, a, out, &res,
                                &diag);
        assert_int_equal(rc, GRAFT_OK);
        /* the default tolerance, 1e-10 on the calibration equations */
        assert_close(out[0], 10 * 50.0 / 22, 1e-9, 0);
        assert_close(out[5], 8 * 60.0 / 42, 1e-9, 0);
        assert_true(res.worst_rel_error < 1e-9);
    }
}

/* Rake stopped after one pass: the first margin is off; the message names
 * its cell furthest from its total, with the file and line. */
static void test_rake_not_converged(void **state)
{
    (void)state;
    static const double ta[] = {30, 40, 50}, tb[] = {70, 50};
    graft_margin_t m[2] = {margin_a(ta), margin_b(tb)};
    const uint32_t *cells[2] = {a6, b6};
    graft_cal_opts_t o;
    graft_cal_opts_init(&o);
    o.max_iter = 1;
    double out[6];
    graft_cal_result_t res;
    graft_diag_t diag;
    char buf[2200];
    graft_error_t rc = graft_calibrate(6, w6, 2, m, cells, &o, out, &res,
                                       &diag);
    assert_int_equal(rc, GRAFT_ERR_CALIBRATE);
    assert_false(res.converged);
    assert_int_equal(res.iterations, 1);
    assert_int_equal(res.worst_margin, 0);
    /* after B: a = 10 * 70/33 + 12 * 50/31 etc.; the worst is found */
    double a_ach[3], worst = -1;
    size_t wc = 0;
    for (size_t k = 0; k < 3; k++) {
        a_ach[k] = out[2 * k] + out[2 * k + 1];
        double e = fabs(a_ach[k] - ta[k]) / ta[k];
        if (e > worst) {
            worst = e;
            wc = k;
        }
    }
    assert_int_equal(res.worst_cell, wc);
    assert_close(res.worst_rel_error, worst, 1e-12, 0);
    char want[600];
    snprintf(want, sizeof want,
             "margins/a.csv:%lu: margin A, cell '%s': furthest from its "
             "total (%.10g, achieved %.10g, relative error %.3g): rake "
             "calibration did not converge in 1 iterations (tolerance 1e-10)",
             a_lines[wc], a_names[wc], ta[wc], a_ach[wc], worst);
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf), want);
    o.max_iter = 0; /* the default converges */
    rc = graft_calibrate(6, w6, 2, m, cells, &o, out, &res, &diag);
    assert_int_equal(rc, GRAFT_OK);
    assert_true(res.iterations > 1 && res.worst_rel_error < 1e-9);
}

/* Totals twice the sample's with g at most 1.5: out of reach. */
static void test_bounds_unreachable(void **state)
{
    (void)state;
    static const double tb[] = {2 * 33, 2 * 31};
    graft_margin_t m = margin_b(tb);
    const uint32_t *cells[1] = {b6};
    graft_cal_opts_t o;
    graft_cal_opts_init(&o);
    o.lower = 0.5;
    o.upper = 1.5;
    double out[6];
    graft_cal_result_t res;
    graft_diag_t diag;
    for (int k = GRAFT_CAL_LINEAR; k <= GRAFT_CAL_RAKING; k++) {
        o.method = (graft_cal_method_t)k;
        graft_error_t rc = graft_calibrate(6, w6, 1, &m, cells, &o, out, &res,
                                           &diag);
        assert_int_equal(rc, GRAFT_ERR_CALIBRATE);
        assert_false(res.converged);
        assert_non_null(strstr(diag.msg, "did not converge within the "
                                         "bounds 0.5 <= g <= 1.5 in"));
        assert_non_null(strstr(diag.msg, "margin B, cell "));
    }
    o.upper = 2.5; /* reachable */
    for (int k = GRAFT_CAL_LINEAR; k <= GRAFT_CAL_RAKING; k++) {
        o.method = (graft_cal_method_t)k;
        assert_int_equal(graft_calibrate(6, w6, 1, &m, cells, &o, out, &res,
                                         &diag), GRAFT_OK);
        assert_close(out[0], 20, 1e-9, 0);
        assert_int_equal(res.n_outside_bounds, 0);
    }
}

static void test_bad_options(void **state)
{
    (void)state;
    static const double ta[] = {30, 40, 50}, tb[] = {70, 50};
    graft_margin_t m[2] = {margin_a(ta), margin_b(tb)};
    const uint32_t *cells[2] = {a6, b6};
    graft_cal_opts_t o;
    double out[6];
    graft_diag_t diag;
    graft_cal_opts_init(&o);
    o.method = GRAFT_CAL_POSTSTRATIFY;
    expect_error(graft_calibrate(6, w6, 2, m, cells, &o, out, NULL, &diag),
                 &diag, GRAFT_ERR_USAGE,
                 "poststratify takes one margin (2 given): cross the "
                 "variables in one margin, or rake");
    o.method = GRAFT_CAL_LOGIT;
    expect_error(graft_calibrate(6, w6, 2, m, cells, &o, out, NULL, &diag),
                 &diag, GRAFT_ERR_USAGE,
                 "logit calibration needs finite bounds L,U with L < 1 < U "
                 "(-inf,inf given)");
    o.lower = 1.2;
    o.upper = 2;
    assert_int_equal(graft_calibrate(6, w6, 2, m, cells, &o, out, NULL,
                                     &diag), GRAFT_ERR_USAGE);
    o.method = GRAFT_CAL_LINEAR;
    o.lower = 2;
    o.upper = 0.5;
    expect_error(graft_calibrate(6, w6, 2, m, cells, &o, out, NULL, &diag),
                 &diag, GRAFT_ERR_USAGE,
                 "calibration bounds 2,0.5: the lower bound must be below "
                 "the upper one");
    graft_cal_opts_init(&o);
    double w[6];
    memcpy(w, w6, sizeof w);
    w[3] = -1;
    expect_error(graft_calibrate(6, w, 2, m, cells, &o, out, NULL, &diag),
                 &diag, GRAFT_ERR_WEIGHT,
                 "row 4: weight -1 is negative or not finite");
    static const double neg[] = {30, -40, 50};
    m[0].totals = neg;
    expect_error(graft_calibrate(6, w6, 2, m, cells, &o, out, NULL, &diag),
                 &diag, GRAFT_ERR_CALIBRATE,
                 "margins/a.csv:3: margin A, cell 'b': the population total "
                 "-40 is not a number >= 0");
}

static void test_method_names(void **state)
{
    (void)state;
    static const char *const names[] = {"poststratify", "rake", "linear",
                                        "logit", "raking"};
    for (int k = 0; k <= GRAFT_CAL_RAKING; k++) {
        graft_cal_method_t m;
        assert_string_equal(graft_cal_method_name((graft_cal_method_t)k),
                            names[k]);
        assert_true(graft_cal_method_parse(names[k], &m));
        assert_int_equal(m, k);
    }
    graft_cal_method_t m = GRAFT_CAL_RAKE;
    assert_false(graft_cal_method_parse("Rake", &m));
    assert_false(graft_cal_method_parse("greg", &m));
    assert_false(graft_cal_method_parse(NULL, &m));
    assert_string_equal(graft_cal_method_name((graft_cal_method_t)9), "?");
    graft_cal_opts_t o;
    graft_cal_opts_init(&o);
    assert_int_equal(o.method, GRAFT_CAL_RAKE);
    assert_true(isinf(o.lower) && o.lower < 0 && isinf(o.upper));
    assert_true(o.tolerance == GRAFT_CAL_TOLERANCE);
    assert_int_equal(o.max_iter, GRAFT_CAL_MAX_ITER);
}

/* The same partition given twice: the stacked indicators are collinear
 * beyond the intercept; R's ginv (graft's too) still solves, and every
 * method gives the post-stratified weights. */
static void test_collinear_margins(void **state)
{
    (void)state;
    static const double ta[] = {30, 40, 50};
    graft_margin_t m[2] = {margin_a(ta), margin_a(ta)};
    m[1].name = "A again";
    const uint32_t *cells[2] = {a6, a6};
    graft_cal_opts_t o;
    graft_cal_opts_init(&o);
    o.lower = 0.2;
    o.upper = 5;
    for (int k = GRAFT_CAL_RAKE; k <= GRAFT_CAL_RAKING; k++) {
        double out[6];
        graft_diag_t diag;
        o.method = (graft_cal_method_t)k;
        assert_int_equal(graft_calibrate(6, w6, 2, m, cells, &o, out, NULL,
                                         &diag), GRAFT_OK);
        for (size_t i = 0; i < 6; i++)
            assert_close(out[i],
                         w6[i] * ta[a6[i]] / (w6[i & ~1u] + w6[i | 1u]),
                         1e-9, 0);
    }
}

static void test_replicate_without_weight(void **state)
{
    (void)state;
    static const double ta[] = {30, 40, 50};
    graft_margin_t m = margin_a(ta);
    const uint32_t *cells[1] = {a6};
    static const double r1[6] = {10, 12, 9, 11, 14, 8};
    static const double r2[6] = {10, 12, 0, 0, 14, 8};
    const double *reps[2] = {r1, r2};
    double out[6], o1[6], o2[6];
    double *outs[2] = {o1, o2};
    graft_diag_t diag;
    for (int k = 0; k <= GRAFT_CAL_RAKING; k++) {
        graft_cal_opts_t o;
        graft_cal_opts_init(&o);
        o.method = (graft_cal_method_t)k;
        o.lower = 0.5;
        o.upper = 3;
        graft_error_t rc = graft_calibrate_replicates(
            6, w6, 2, reps, 1, &m, cells, &o, out, outs, NULL, &diag);
        expect_error(rc, &diag, GRAFT_ERR_CALIBRATE,
                     "margins/a.csv:3: replicate 2: margin A, cell 'b': a "
                     "population total of 40 but its 2 rows have weight 0 "
                     "in this replicate");
    }
}

/* What trimWeights returns: the rows outside at first (R's message
 * "N weights were trimmed"), the total weight kept. */
static void test_trim_count(void **state)
{
    (void)state;
    double w[6] = {1, 5, 9, 3, 20, 2};
    assert_int_equal(graft_trim_weights(6, w, 2, 10, 0), 2);
    assert_close(w[0], 2, 0, 0);
    assert_close(w[4], 10, 0, 0);
    assert_close(w[1], 5 + 9.0 / 4, 1e-15, 0);
    double sum = 0;
    for (size_t i = 0; i < 6; i++)
        sum += w[i];
    assert_close(sum, 40, 1e-15, 0);
    double v[3] = {1, 2, 3};
    assert_int_equal(graft_trim_weights(3, v, 0, 10, 1), 0);
    assert_close(v[2], 3, 0, 0);
    double swing[2] = {1, 9}; /* strict cannot be met: stops */
    assert_int_equal(graft_trim_weights(2, swing, -HUGE_VAL, 4, 1), 1);
    assert_close(swing[0] + swing[1], 10, 0, 0);
    assert_true(swing[0] <= 4 || swing[1] <= 4);
    double all[2] = {50, 60}; /* none inside: R clamps only */
    assert_int_equal(graft_trim_weights(2, all, 0, 10, 1), 2);
    assert_close(all[0], 10, 0, 0);
    assert_close(all[1], 10, 0, 0);
}

/* Margins whose totals disagree slightly (the caller allows 0.1 %): rake
 * ends on the last margin, exactly; the calfun methods take the first
 * margin's sum as the grand total (R's margins2totals), the first cell of
 * every other margin taking the difference. */
static void test_inconsistent_totals(void **state)
{
    (void)state;
    static const double ta[] = {30, 40, 50}, tb[] = {70.03, 50.03};
    graft_margin_t m[2] = {margin_a(ta), margin_b(tb)};
    const uint32_t *cells[2] = {a6, b6};
    graft_cal_opts_t o;
    graft_cal_opts_init(&o);
    for (int k = GRAFT_CAL_RAKE; k <= GRAFT_CAL_RAKING; k++) {
        double out[6], sa[3] = {0}, sb[2] = {0};
        graft_cal_result_t res;
        graft_diag_t diag;
        o.method = (graft_cal_method_t)k;
        if (k == GRAFT_CAL_LOGIT) {
            o.lower = 0.2;
            o.upper = 5;
        }
        assert_int_equal(graft_calibrate(6, w6, 2, m, cells, &o, out, &res,
                                         &diag), GRAFT_OK);
        for (size_t i = 0; i < 6; i++) {
            sa[a6[i]] += out[i];
            sb[b6[i]] += out[i];
        }
        if (k == GRAFT_CAL_RAKE) {
            assert_close(sb[0], tb[0], 1e-12, 0);
            assert_close(sb[1], tb[1], 1e-12, 0);
            assert_true(res.worst_margin == 0);
        } else {
            for (size_t c = 0; c < 3; c++)
                assert_close(sa[c], ta[c], 1e-9, 0);
            assert_close(sb[1], tb[1], 1e-9, 0);
            assert_close(sb[0], 120 - tb[1], 1e-9, 0);
            assert_true(res.worst_margin == 1 && res.worst_cell == 0);
        }
        assert_true(res.worst_rel_error > 1e-4 && res.worst_rel_error < 1e-3);
    }
}

/* Step halving: a first step that overflows exp() is halved until g is
 * finite; here (as in R, whose grake fails on this too) the iterations
 * still diverge: an error naming the cell and saying so, never NaN weights
 * or an 'achieved nan'. */
static void test_step_halving(void **state)
{
    (void)state;
    static const double ta[] = {22e6, 20, 22};
    graft_margin_t m = margin_a(ta);
    const uint32_t *cells[1] = {a6};
    graft_cal_opts_t o;
    graft_cal_opts_init(&o);
    o.method = GRAFT_CAL_RAKING;
    double out[6];
    graft_cal_result_t res;
    graft_diag_t diag;
    for (size_t it = 1; it <= 100; it *= 10) {
        o.max_iter = it;
        graft_error_t rc = graft_calibrate(6, w6, 1, &m, cells, &o, out, &res,
                                           &diag);
        assert_int_equal(rc, GRAFT_ERR_CALIBRATE);
        assert_false(res.converged);
        assert_int_equal(res.iterations, it);
        assert_non_null(strstr(diag.msg, "margin A, cell 'a': "));
        assert_true(strstr(diag.msg, ": furthest from its total (22000000, "
                                     "achieved ") ||
                    strstr(diag.msg, ": total 22000000 not met: raking "
                                     "calibration diverged"));
        assert_null(strstr(diag.msg, "nan"));
    }
}

/* Rake's crossed table through a sort of the rows (margins of 100 cells
 * each: more combinations than a table is made for) gives the weights of
 * the direct table bit for bit; the empty cells without totals are left
 * alone. */
static void test_rake_many_cells(void **state)
{
    (void)state;
    static const double ta[] = {30, 40, 50}, tb[] = {70, 50};
    double big_a[100] = {30, 40, 50}, big_b[100] = {70, 50};
    graft_margin_t m[2] = {margin_a(ta), margin_b(tb)};
    graft_margin_t big[2] = {{"A", 100, big_a, NULL, NULL, NULL},
                             {"B", 100, big_b, NULL, NULL, NULL}};
    const uint32_t *cells[2] = {a6, b6};
    double out[6], out_big[6];
    graft_cal_result_t r1, r2;
    graft_diag_t diag;
    assert_int_equal(graft_calibrate(6, w6, 2, m, cells, NULL, out, &r1,
                                     &diag), GRAFT_OK);
    assert_int_equal(graft_calibrate(6, w6, 2, big, cells, NULL, out_big,
                                     &r2, &diag), GRAFT_OK);
    assert_int_equal(r1.iterations, r2.iterations);
    assert_true(r1.iterations > 2);
    assert_memory_equal(out, out_big, sizeof out);
}

/* One margin of 210 cells (210 columns, solved by Cholesky), and beside it
 * a margin of 21 cells that groups them by ten (rank deficient: a Cholesky
 * pivot falls, the eigendecomposition takes over): every calfun ends
 * post-stratified, g = total / sample total in each fine cell. */
static void test_many_columns(void **state)
{
    (void)state;
    enum { N = 2100, K = 210, KC = 21 };
    static double w[N], out[N], tot[K], sum[K], coarse[KC];
    static uint32_t cell[N], ccell[N];
    memset(sum, 0, sizeof sum);
    memset(coarse, 0, sizeof coarse);
    for (size_t i = 0; i < N; i++) {
        cell[i] = (uint32_t)(i % K);
        ccell[i] = cell[i] / 10;
        w[i] = 1 + (double)((i * 7) % 13);
        sum[cell[i]] += w[i];
    }
    for (size_t k = 0; k < K; k++) {
        tot[k] = sum[k] * (0.8 + 0.1 * (double)(k % 5));
        coarse[k / 10] += tot[k];
    }
    graft_margin_t m[2] = {{"fine", K, tot, NULL, NULL, NULL},
                           {"coarse", KC, coarse, NULL, NULL, NULL}};
    const uint32_t *cells[2] = {cell, ccell};
    for (size_t nm = 1; nm <= 2; nm++)
        for (int k = GRAFT_CAL_LINEAR; k <= GRAFT_CAL_RAKING; k++) {
            graft_cal_opts_t o;
            graft_cal_result_t res;
            graft_diag_t diag;
            graft_cal_opts_init(&o);
            o.method = (graft_cal_method_t)k;
            o.lower = 0.5;
            o.upper = 1.5;
            assert_int_equal(graft_calibrate(N, w, nm, m, cells, &o, out,
                                             &res, &diag), GRAFT_OK);
            for (size_t i = 0; i < N; i++)
                assert_close(out[i], w[i] * tot[cell[i]] / sum[cell[i]],
                             1e-9, 0);
        }
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poststratify_r),
        cmocka_unit_test(test_rake_r),
        cmocka_unit_test(test_linear_r),
        cmocka_unit_test(test_logit_r),
        cmocka_unit_test(test_raking_r),
        cmocka_unit_test(test_fails_like_r),
        cmocka_unit_test(test_trim_r),
        cmocka_unit_test(test_replicates_r),
        cmocka_unit_test(test_afrobarometer_r),
        cmocka_unit_test(test_cell_without_rows),
        cmocka_unit_test(test_rows_without_total),
        cmocka_unit_test(test_rows_of_weight_zero),
        cmocka_unit_test(test_empty_cell_without_total),
        cmocka_unit_test(test_rake_not_converged),
        cmocka_unit_test(test_bounds_unreachable),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_method_names),
        cmocka_unit_test(test_collinear_margins),
        cmocka_unit_test(test_replicate_without_weight),
        cmocka_unit_test(test_trim_count),
        cmocka_unit_test(test_inconsistent_totals),
        cmocka_unit_test(test_step_halving),
        cmocka_unit_test(test_rake_many_cells),
        cmocka_unit_test(test_many_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
