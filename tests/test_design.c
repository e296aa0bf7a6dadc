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

/* Streamed PSUs: 40,000 PSUs of two rows each go through several levels
 * of the filter without a false "seen"; a PSU from the first level and one
 * from the last then come back and are both caught.  Numbers and strings
 * as PSU ids, and the same ids in another stratum (nested: other PSUs). */
/* Stream row of PSU J in stratum H (the id a number, or "EA-J" written
 * into TEXT): its design as graft_design_row() sees it. */
static graft_design_obs_t stream_row(graft_design_t *d, int h, int j,
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

static void stream_rows(int strings)
{
    graft_design_spec_t spec = {0};
    spec.weight = "w";
    spec.strata[0] = "s";
    spec.n_strata = 1;
    spec.psu = "p";
    spec.nest = 1;
    graft_design_t *d = graft_design_alloc(&spec);
    assert_non_null(d);
    graft_design_stream_psus(d, 1);
    graft_diag_t diag;
    assert_int_equal(graft_design_bind(d, "mem.csv", COLS, 4, &diag),
                     GRAFT_OK);
    enum { N_PSU = 40000 };
    size_t expect = 0;
    char text[32];
    for (int h = 1; h <= 2; h++)
        for (int j = 1; j <= N_PSU / 2; j++)
            for (int r = 0; r < 2; r++) {
                graft_design_obs_t obs =
                    stream_row(d, h, j, strings, text, sizeof text);
                if (obs.psu != expect)
                    fail_msg("stratum %d PSU %d row %d: psu %zu, want %zu", h,
                             j, r, obs.psu, expect);
                assert_int_equal(obs.psu_new, r == 0);
                expect += r == 1;
            }
    static const int back[][2] = {{1, 3}, {2, N_PSU / 2 - 1}};
    for (size_t k = 0; k < 2; k++) {
        graft_design_obs_t obs = stream_row(d, back[k][0], back[k][1],
                                            strings, text, sizeof text);
        if (obs.psu != GRAFT_PSU_AGAIN)
            fail_msg("PSU %d of stratum %d came back unnoticed (psu %zu)",
                     back[k][1], back[k][0], obs.psu);
    }
    graft_design_free(d);
}

static void test_streamed_psus(void **state)
{
    (void)state;
    stream_rows(0);
    stream_rows(1);
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
        cmocka_unit_test(test_streamed_psus),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
