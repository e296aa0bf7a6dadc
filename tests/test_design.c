/*
 * test_design.c - the design module against R's survey package.
 *
 * tests/ref/design_summary.csv (made by tests/R/design_ref.R) holds, per
 * case, what R's svydesign says about the data: strata, PSUs, PSUs per
 * stratum, single-PSU strata, degf(), and the weight statistics.  Each case
 * is described here through graft_describe_file and compared.
 */
#include "test_util.h"
#include "test_table.h"
#include "graft/describe.h"
#include "graft/design.h"

#include <gsl/gsl_errno.h>

#define REF "tests/ref/design_summary.csv"

static table_t T;

/* Column NAME of case row C. */
static const char *get(size_t c, const char *name)
{
    return cell(&T, c, name);
}

static double num(size_t c, const char *name)
{
    return strtod(get(c, name), NULL);
}

static int setup(void **state)
{
    (void)state;
    table_load(&T, REF);
    return T.nrows >= 9 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    table_free(&T);
    return 0;
}

/* Describe the case's file under the case's design and compare with R. */
static void check_case(const char *name)
{
    size_t c = table_find(&T, "case", name);
    const char *file = get(c, "file");
    if (strncmp(file, "../shared/", 10) == 0 && !test_file_exists(file)) {
        printf("SKIP %s: %s is absent in this clone\n", name, file);
        skip();
    }
    char strata[128];
    snprintf(strata, sizeof strata, "%s", get(c, "strata"));
    graft_design_spec_t spec = {0};
    spec.weight = get(c, "weight");
    for (char *tok = strtok(strata, ":"); tok; tok = strtok(NULL, ":"))
        spec.strata[spec.n_strata++] = tok;
    spec.psu = *get(c, "psu") ? get(c, "psu") : NULL;
    spec.fpc = *get(c, "fpc") ? get(c, "fpc") : NULL;
    spec.nest = strcmp(get(c, "nest"), "true") == 0;
    spec.lonely = GRAFT_LONELY_ADJUST;

    graft_describe_t *d = NULL;
    graft_diag_t diag;
    graft_error_t rc = graft_describe_file(file, NULL, &spec, &d, &diag);
    if (rc != GRAFT_OK) {
        char buf[2200];
        fail_msg("%s: %s", name, graft_diag_format(&diag, buf, sizeof buf));
    }
    const graft_design_summary_t *g = &d->design;
    assert_int_equal(g->n_rows, (size_t)num(c, "n_rows"));
    assert_int_equal(g->n_zero_weight, (size_t)num(c, "n_zero_weight"));
    assert_close(g->sum_w, num(c, "sum_w"), REL_TOL, 0);
    assert_close(g->min_w, num(c, "min_w"), REL_TOL, 0);
    assert_close(g->max_w, num(c, "max_w"), REL_TOL, 0);
    assert_close(g->cv_w, num(c, "cv_w"), REL_TOL, 1e-12);
    assert_close(g->kish_n, num(c, "kish_n"), REL_TOL, 0);
    assert_int_equal(g->n_strata, (size_t)num(c, "n_strata"));
    assert_int_equal(g->n_psu, (size_t)num(c, "n_psu"));
    assert_int_equal(g->psu_min, (size_t)num(c, "psu_min"));
    assert_close(g->psu_median, num(c, "psu_median"), 0, 0);
    assert_int_equal(g->psu_max, (size_t)num(c, "psu_max"));
    assert_int_equal(g->n_lonely, (size_t)num(c, "n_lonely"));
    assert_int_equal(g->df, (long)num(c, "degf"));
    graft_describe_free(d);
}

static void test_apiclus1(void **s) { (void)s; check_case("apiclus1"); }
static void test_apistrat(void **s) { (void)s; check_case("apistrat"); }
static void test_apiclus2(void **s) { (void)s; check_case("apiclus2_stage1"); }
static void test_nhanes(void **s) { (void)s; check_case("nhanes"); }
static void test_demo1(void **s) { (void)s; check_case("demo_round1"); }
static void test_demo2(void **s) { (void)s; check_case("demo_round2"); }
static void test_tun_r7(void **s) { (void)s; check_case("tun_r7"); }
static void test_tun_r8(void **s) { (void)s; check_case("tun_r8"); }
static void test_tun_r9(void **s) { (void)s; check_case("tun_r9"); }

/* ---- the design module directly ------------------------------------ */

static graft_column_t COLS[] = {
    {"w", NULL, GRAFT_COL_NUMERIC, NULL},
    {"s", NULL, GRAFT_COL_NUMERIC, NULL},
    {"p", NULL, GRAFT_COL_NUMERIC, NULL},
    {"f", NULL, GRAFT_COL_NUMERIC, NULL},
};

static graft_cell_t num_cell(double v)
{
    graft_cell_t c = {GRAFT_CELL_NUMBER, v, NULL, 0};
    return c;
}

/* The design of ROWS (w, s, p, f) under LONELY and FPC; its finish must
 * return WANT_FINISH, and then, when it is an error, the message
 * WANT_MSG. */
static graft_design_t *design_with(graft_lonely_t lonely, const char *fpc,
                                   const double (*rows)[4], size_t n,
                                   graft_error_t want_finish,
                                   const char *want_msg)
{
    graft_design_spec_t spec = {0};
    spec.weight = "w";
    spec.strata[0] = "s";
    spec.n_strata = 1;
    spec.psu = "p";
    spec.fpc = fpc;
    spec.lonely = lonely;
    graft_design_t *d = graft_design_alloc(&spec);
    graft_diag_t diag;
    assert_non_null(d);
    assert_int_equal(graft_design_bind(d, "mem.csv", COLS, 4, &diag),
                     GRAFT_OK);
    for (size_t i = 0; i < n; i++) {
        graft_cell_t cells[4];
        for (size_t k = 0; k < 4; k++)
            cells[k] = num_cell(rows[i][k]);
        graft_design_obs_t obs;
        assert_int_equal(graft_design_row(d, cells, i + 2, &obs, &diag),
                         GRAFT_OK);
        assert_close(obs.weight, rows[i][0], 0, 0);
    }
    assert_int_equal(graft_design_finish(d, &diag), want_finish);
    if (want_finish != GRAFT_OK) {
        char buf[2200];
        assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                            want_msg);
    }
    return d;
}

static const double LONELY_ROWS[][4] = {
    {1.5, 1, 1, 10}, {2.5, 1, 2, 10}, {3.5, 2, 7, 4}, {1.0, 2, 7, 4},
};

static void test_lonely_fail(void **state)
{
    (void)state;
    graft_diag_t diag;
    graft_design_t *d =
        design_with(GRAFT_LONELY_FAIL, NULL, LONELY_ROWS, 4, GRAFT_OK, NULL);
    assert_int_equal(graft_design_check_lonely(d, &diag),
                     GRAFT_ERR_LONELY_PSU);
    char buf[2200];
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        "mem.csv: stratum '2' has a single PSU; choose "
                        "--lonely-psu remove, certainty, adjust or average");
    assert_int_equal(graft_exit_code(diag.code), 65);
    graft_design_free(d);
    d = design_with(GRAFT_LONELY_ADJUST, NULL, LONELY_ROWS, 4, GRAFT_OK, NULL);
    assert_int_equal(graft_design_check_lonely(d, &diag), GRAFT_OK);
    graft_design_free(d);
}

static void test_fpc(void **state)
{
    (void)state;
    graft_diag_t diag;
    /* Stratum 1: 2 of 10 PSUs; stratum 2: 1 of 4. */
    graft_design_t *d =
        design_with(GRAFT_LONELY_ADJUST, "f", LONELY_ROWS, 4, GRAFT_OK, NULL);
    assert_close(graft_design_stratum_fraction(d, 0), 0.2, 1e-15, 0);
    assert_close(graft_design_stratum_fraction(d, 1), 0.25, 1e-15, 0);
    graft_design_free(d);
    /* Fractions are taken as given. */
    static const double frac[][4] = {{1, 1, 1, 0.3}, {1, 1, 2, 0.3}};
    d = design_with(GRAFT_LONELY_ADJUST, "f", frac, 2, GRAFT_OK, NULL);
    assert_close(graft_design_stratum_fraction(d, 0), 0.3, 0, 0);
    graft_design_free(d);
    /* More PSUs sampled than the population holds. */
    static const double over[][4] = {{1, 1, 1, 2}, {1, 1, 2, 2}, {1, 1, 3, 2}};
    d = design_with(GRAFT_LONELY_ADJUST, "f", over, 3, GRAFT_ERR_FPC,
                    "mem.csv: stratum '1' has 3 sampled PSUs but fpc 'f' "
                    "says its population has 2");
    graft_design_free(d);
    (void)diag;
}

/* PSU ids: 40,000 PSUs of two rows each get ids 0, 1, ... as they first
 * appear; a PSU from the start and one from the end then come back with
 * their own ids, not new, as does one id in both strata on consecutive
 * rows; then rows of PSUs in turn (no two rows of a PSU together).  Numbers and strings as PSU ids, and the same ids in another
 * stratum (nested: other PSUs). */
/* Row of PSU J in stratum H (the id a number, or "EA-J" written into
 * TEXT): its design as graft_design_row() sees it. */
static graft_design_obs_t psu_row(graft_design_t *d, int h, int j,
                                  int strings, char *text, size_t size)
{
    graft_cell_t cells[4] = {num_cell(1.5), num_cell(h), num_cell(j),
                             num_cell(0)};
    if (strings) {
        snprintf(text, size, "EA-%d", j);
        cells[2] = (graft_cell_t){GRAFT_CELL_STRING, 0.0, text, strlen(text)};
    }
    graft_design_obs_t obs;
    graft_diag_t diag;
    assert_int_equal(graft_design_row(d, cells, 2, &obs, &diag), GRAFT_OK);
    return obs;
}

/* Row of PSU J of stratum H (as psu_row): its id must be WANT, and new
 * when NEW. */
static void expect_psu(graft_design_t *d, int h, int j, int strings,
                       size_t want, int new)
{
    char text[32];
    graft_design_obs_t obs = psu_row(d, h, j, strings, text, sizeof text);
    if (obs.psu != want || obs.psu_new != new)
        fail_msg("stratum %d PSU %d: psu %zu (new %d), want %zu (new %d)", h,
                 j, obs.psu, obs.psu_new, want, new);
}

static void psu_ids(int strings)
{
    graft_design_spec_t spec = {0};
    spec.weight = "w";
    spec.strata[0] = "s";
    spec.n_strata = 1;
    spec.psu = "p";
    spec.nest = 1;
    graft_design_t *d = graft_design_alloc(&spec);
    assert_non_null(d);
    graft_diag_t diag;
    assert_int_equal(graft_design_bind(d, "mem.csv", COLS, 4, &diag),
                     GRAFT_OK);
    enum { N_PSU = 40000, HALF = N_PSU / 2 };
    size_t expect = 0;
    for (int h = 1; h <= 2; h++)
        for (int j = 1; j <= HALF; j++, expect++)
            for (int r = 0; r < 2; r++)
                expect_psu(d, h, j, strings, expect, r == 0);
    expect_psu(d, 1, 3, strings, 2, 0);
    expect_psu(d, 2, HALF - 1, strings, N_PSU - 2, 0);
    expect_psu(d, 1, 5, strings, 4, 0); /* one number, two strata */
    expect_psu(d, 2, 5, strings, HALF + 4, 0);
    for (int r = 0; r < 2; r++) /* PSUs in turn, then new ones */
        for (int j = 1; j <= 100; j++)
            expect_psu(d, 1 + j % 2, HALF + j, strings,
                       (size_t)N_PSU + (size_t)j - 1, r == 0);
    assert_int_equal(graft_design_n_psu(d), N_PSU + 100);
    assert_int_equal(graft_design_psu_stratum(d, 2), 0);
    assert_int_equal(graft_design_psu_stratum(d, N_PSU - 2), 1);
    graft_design_free(d);
}

static void test_psu_ids(void **state)
{
    (void)state;
    psu_ids(0);
    psu_ids(1);
}

/* Without --nest a PSU number met again in another stratum is refused,
 * also when it is the previous row's (whose id the design reuses without
 * a lookup while the stratum is the same). */
static void test_psu_other_stratum(void **state)
{
    (void)state;
    graft_design_spec_t spec = {0};
    spec.weight = "w";
    spec.strata[0] = "s";
    spec.n_strata = 1;
    spec.psu = "p";
    graft_design_t *d = graft_design_alloc(&spec);
    assert_non_null(d);
    graft_diag_t diag;
    assert_int_equal(graft_design_bind(d, "mem.csv", COLS, 4, &diag),
                     GRAFT_OK);
    static const int strata[] = {1, 1, 2};
    graft_error_t rc = GRAFT_OK;
    for (size_t i = 0; i < 3; i++) {
        graft_cell_t cells[4] = {num_cell(1), num_cell(strata[i]),
                                 num_cell(7), num_cell(0)};
        graft_design_obs_t obs;
        rc = graft_design_row(d, cells, i + 2, &obs, &diag);
        assert_int_equal(rc, i < 2 ? GRAFT_OK : GRAFT_ERR_NEST);
    }
    char buf[2200];
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        "mem.csv:4:3: PSU 'p' = 7 is in strata '1' and '2'; "
                        "if PSU ids repeat across strata, use --nest");
    graft_design_free(d);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiclus1), cmocka_unit_test(test_apistrat),
        cmocka_unit_test(test_apiclus2), cmocka_unit_test(test_nhanes),
        cmocka_unit_test(test_demo1),    cmocka_unit_test(test_demo2),
        cmocka_unit_test(test_tun_r7),   cmocka_unit_test(test_tun_r8),
        cmocka_unit_test(test_tun_r9),   cmocka_unit_test(test_lonely_fail),
        cmocka_unit_test(test_fpc),
        cmocka_unit_test(test_psu_ids),
        cmocka_unit_test(test_psu_other_stratum),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
