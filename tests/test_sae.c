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
    double max_rel = 0;
    assert_int_equal(area_refs(name, rows, MILK_AREAS), MILK_AREAS);
    for (size_t d = 0; d < MILK_AREAS; d++) {
        max_rel = fmax(max_rel, fmax(fabs(fh->estimate[d] /
                                          aref(rows[d], "estimate") - 1),
                                     fabs(fh->mse[d] / aref(rows[d], "mse") -
                                          1)));
        assert_close(fh->estimate[d], aref(rows[d], "estimate"), SAE_TOL, 0);
        assert_close(fh->mse[d], aref(rows[d], "mse"), SAE_TOL, 0);
        assert_close(fh->gamma[d], aref(rows[d], "gamma"), SAE_TOL, 1e-15);
        assert_int_equal(fh->synthetic[d], (int)aref(rows[d], "synthetic"));
    }
    printf("test_sae: %-18s EBLUP, MSE: max relative gap to R %.2g\n", name,
           max_rel);
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
/* A proportion's EBLUP or synthetic estimate below 0 is flagged; fewer
 * than GRAFT_SAE_FEW_AREAS areas in the fit give a warning. */
static void test_outside_unit(void **state)
{
    (void)state;
    enum { M = 20 };
    char lab[M + 1][8];
    const char *labels[M + 1];
    double y[M + 1], se[M + 1];
    size_t n[M + 1];
    char path[] = "/tmp/graft_sae_cov_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    assert_non_null(fp);
    fprintf(fp, "area,x\n");
    for (size_t d = 0; d < M; d++) {
        snprintf(lab[d], sizeof lab[d], "a%zu", d + 1);
        labels[d] = lab[d];
        double x = d == 0 ? -0.6 : (double)d / M;
        /* area 1: far out on x, with a direct estimate of about 0 */
        y[d] = d == 0 ? 0.001 : 0.05 + 0.3 * x + (d % 3 == 0 ? 0.08 : -0.04);
        se[d] = d == 0 ? 0.05 : 0.02;
        n[d] = 100;
        fprintf(fp, "%s,%.17g\n", lab[d], x);
    }
    fprintf(fp, "z,-1\n"); /* not in the sample: a synthetic -0.25 */
    assert_int_equal(fclose(fp), 0);
    graft_sae_direct_t dir = {"p", "area", 1, M, labels, NULL, y, se, n};
    graft_sae_spec_t spec = {.covariates = path, .formula = "~ x"};
    graft_sae_t *s = NULL;
    graft_diag_t diag;
    graft_diag_clear(&diag);
    graft_error_t rc = graft_sae_fit_direct(&dir, &spec, &s, &diag);
    if (rc != GRAFT_OK)
        fail_msg("%s", diag.msg);
    assert_int_equal(s->n_areas, M + 1);
    assert_true(s->areas[0].estimate < 0);
    assert_string_equal(s->areas[0].flag, "estimate outside [0, 1]");
    assert_true(s->areas[M].estimate < 0);
    assert_string_equal(s->areas[M].flag,
                        "estimate outside [0, 1]: not in the sample");
    for (size_t d = 1; d < M; d++)
        assert_true(s->areas[d].estimate > 0 &&
                    strstr(s->areas[d].flag, "outside") == NULL);
    if (s->n_warnings) /* 20 areas: no warning */
        fail_msg("warning: %s", s->warnings[0]);
    graft_sae_free(s);
    /* the same without the first 6 areas: 14 in the fit */
    dir.n_areas = M - 6;
    dir.labels += 6;
    dir.direct += 6;
    dir.se += 6;
    dir.n += 6;
    rc = graft_sae_fit_direct(&dir, &spec, &s, &diag);
    if (rc != GRAFT_OK)
        fail_msg("%s", diag.msg);
    assert_int_equal(s->n_warnings, 1);
    assert_string_equal(s->warnings[0],
                        "only 14 areas in the fit: sigma_u^2 and the MSE are "
                        "imprecise with fewer than about 15 (docs/sae.md)");
    graft_sae_free(s);
    unlink(path);
}

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


/* ------------------------------------------------- the command line */

#include <jansson.h>

#define DEMO_ANY "surveys/demo/round1.ini", "--prop", "paid_any == 1", \
                 "--among", "contact_any == 1", "--by", "zone"
#define ZCOV "--covariates", "surveys/demo/zone_covariates.csv"
#define F2 "--formula", "~ urban_share + literacy"
#define TUN "surveys/tun_r8.ini", "--prop", "paid_any", "--among", \
            "contact_any", "--by", "REGION", "--covariates", \
            "tests/data/sae/tun_regions_r7.csv"

typedef struct cli_case {
    const char *name;
    const char *args[24];
    int smoothed;       /* direct_se is not sqrt(psi) */
    int afro;           /* needs ../shared */
} cli_case_t;

#define MILK "--direct", "tests/data/sae/milk_fh.csv", "--by", "SmallArea", \
             "--covariates", "tests/data/sae/milk_fh.csv", "--formula", \
             "~ MajorArea2 + MajorArea3 + MajorArea4"

static const cli_case_t CLI_CASES[] = {
    /* --direct: the milk data's own direct estimates */
    {"milk_reml", {MILK, NULL}, 0, 0},
    {"milk_ml", {MILK, "--method", "ml", NULL}, 0, 0},
    {"milk_fh", {MILK, "--method", "fh", NULL}, 0, 0},
    {"demo_reml", {DEMO_ANY, ZCOV, F2, NULL}, 0, 0},
    {"demo_fh", {DEMO_ANY, ZCOV, F2, "--method", "fh", NULL}, 0, 0},
    {"demo_ml", {DEMO_ANY, ZCOV, "--formula", "~ literacy", "--method",
                 "ML", NULL}, 0, 0},
    {"demo_smoothed", {DEMO_ANY, ZCOV, F2, "--variance", "smoothed", NULL},
     1, 0},
    {"demo_synth", {DEMO_ANY, "--covariates",
                    "tests/data/sae/demo_zones_extra.csv", F2, NULL}, 0, 0},
    {"demo_zero", {"surveys/demo/round1.ini", "--prop", "paid_police == 1",
                   "--among", "contact_police == 1", "--by", "zone", ZCOV, F2,
                   NULL}, 0, 0},
    {"demo_p0", {"surveys/demo/round1.ini", "--prop",
                 "paid_any == 1 and zone != 6", "--among", "contact_any == 1",
                 "--by", "zone", ZCOV, F2, NULL}, 0, 0},
    {"demo_p0_smoothed", {"surveys/demo/round1.ini", "--prop",
                          "paid_any == 1 and zone != 6", "--among",
                          "contact_any == 1", "--by", "zone", ZCOV, F2,
                          "--variance", "smoothed", NULL}, 1, 0},
    {"apiclus1_rep_reml", {"tests/data/r/apiclus1_rep_jk1.csv", "--weight",
                           "pw", "--repweights", "repw[0-9]+", "--reptype",
                           "jk1", "--scale", "0.9148745", "--mean", "api00",
                           "--by", "cname", "--covariates",
                           "tests/data/sae/apiclus1_counties.csv",
                           "--formula", "~ x", NULL}, 0, 0},
    {"tun_r8_reml", {TUN, "--formula", "~ r7_paid", NULL}, 0, 1},
    {"tun_r8_fh", {TUN, "--formula", "~ r7_paid", "--method", "fh", NULL},
     0, 1},
    {"tun_r8_urban_reml", {TUN, "--formula", "~ r7_paid + r7_urban", NULL},
     0, 1},
};

#define AFRO_FILE "../shared/data/afrobarometer/tun_r8_data.sav"

static double jnum(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        fail_msg("no '%s' in the JSON", key);
    return json_is_null(v) ? NAN : json_number_value(v);
}

/* The JSON of C's run against its references. */
static void check_cli_json(const cli_case_t *c, const char *text,
                           double *max_rel)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        fail_msg("%s: not JSON: %s", c->name, jerr.text);
    json_t *model = json_object_get(root, "model");
    assert_close(jnum(model, "sigma2u"), model_ref(c->name, "sigma2u"),
                 SAE_TOL, 1e-15);
    assert_close(jnum(model, "loglik"), model_ref(c->name, "loglik"),
                 SAE_TOL, 0);
    json_t *coefs = json_object_get(model, "coefficients"), *k;
    size_t j;
    json_array_foreach(coefs, j, k) {
        const char *term = json_string_value(json_object_get(k, "term"));
        char se[96];
        snprintf(se, sizeof se, "se:%s", term);
        assert_close(jnum(k, "estimate"), model_ref(c->name, term), SAE_TOL,
                     0);
        assert_close(jnum(k, "se"), model_ref(c->name, se), SAE_TOL, 0);
    }
    size_t rows[64], n = area_refs(c->name, rows, 64);
    json_t *areas = json_object_get(root, "areas"), *a;
    assert_int_equal(json_array_size(areas), n);
    const char *by = json_string_value(json_object_get(root, "by"));
    json_array_foreach(areas, j, a) {
        size_t r = rows[j];
        assert_string_equal(json_string_value(json_object_get(a, by)),
                            cell(&AREAS_T, r, "area"));
        double want[] = {aref(r, "estimate"), aref(r, "mse"),
                         aref(r, "gamma")};
        double got[] = {jnum(a, "estimate"), jnum(a, "mse"), jnum(a, "gamma")};
        for (size_t i = 0; i < 3; i++) {
            assert_close(got[i], want[i], SAE_TOL, 1e-15);
            if (want[i] != 0)
                *max_rel = fmax(*max_rel, fabs(got[i] / want[i] - 1));
        }
        assert_close(jnum(a, "direct"), aref(r, "direct"), SAE_TOL, 1e-15);
        /* an SE of rounding noise is 0 to the model (R: 4e-13, graft
         * the same or 0) */
        if (!c->smoothed && aref(r, "psi") > 0)
            assert_close(pow(jnum(a, "direct_se"), 2), aref(r, "psi"),
                         SAE_TOL, 1e-15);
        assert_close(jnum(a, "n"), aref(r, "n"), 0, 0);
        assert_close(jnum(a, "synthetic"), aref(r, "synthetic"), 0, 0);
        assert_close(jnum(a, "rmse"), sqrt(want[1]), SAE_TOL, 0);
        assert_close(jnum(a, "resid_std"), aref(r, "resid_std"), SAE_TOL,
                     1e-13);
        assert_close(jnum(a, "ci_high") - jnum(a, "estimate"),
                     1.959963984540054 * sqrt(want[1]), 1e-8, 0);
        /* an area in the fit whose rmse exceeds its direct SE is flagged
         * (none of the references leaves [0, 1]) */
        if (aref(r, "synthetic") == 0 && aref(r, "psi") > 0) {
            const char *flag = json_string_value(json_object_get(a, "flag"));
            assert_non_null(flag);
            assert_string_equal(flag, sqrt(want[1]) > jnum(a, "direct_se")
                                          ? "rmse above the direct se: "
                                            "no gain"
                                          : "");
        }
    }
    json_decref(root);
}

static void test_cli_cases(void **state)
{
    (void)state;
    spawn_result_t *r = malloc(sizeof *r);
    assert_non_null(r);
    int afro = access(AFRO_FILE, R_OK) == 0;
    if (!afro)
        printf("test_sae: %s is absent: the Afrobarometer cases are "
               "skipped\n", AFRO_FILE);
    for (size_t i = 0; i < sizeof CLI_CASES / sizeof CLI_CASES[0]; i++) {
        const cli_case_t *c = &CLI_CASES[i];
        if (c->afro && !afro)
            continue;
        const char *args[32] = {"sae"};
        size_t n = 1;
        for (size_t k = 0; c->args[k]; k++)
            args[n++] = c->args[k];
        args[n++] = "--format";
        args[n++] = "json";
        args[n] = NULL;
        spawn_graft_env(r, NULL, args);
        spawn_expect_ok(r);
        double max_rel = 0;
        check_cli_json(c, r->out, &max_rel);
        printf("test_sae: %-18s EBLUP, MSE, gamma: max relative gap to R "
               "%.2g\n", c->name, max_rel);
        int zero = model_ref(c->name, "sigma2u") == 0;
        if (zero != (strstr(r->err, "sigma_u^2 is estimated at 0") != NULL))
            fail_msg("%s: stderr: %s", c->name, r->err);
    }
    free(r);
}

#define DEMO_ANY_SHORT "surveys/demo/round1.ini", "--prop", "paid_any", \
                       "--among", "contact_any", "--by", "zone"

/* Every error of graft sae, its exit code and message. */
static void test_cli_errors(void **state)
{
    (void)state;
    spawn_result_t *r = malloc(sizeof *r);
    assert_non_null(r);
    spawn_graft(r, "sae", DEMO_ANY_SHORT, "--covariates",
                "tests/data/sae/demo_zones_missing.csv", "--formula",
                "~ literacy", NULL);
    spawn_expect_error(r, 65, "tests/data/sae/demo_zones_missing.csv: 2 "
                              "areas of the sample are not in the "
                              "covariates (matched on 'zone' by label or "
                              "code): 'South', 'Capital'");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, "--covariates",
                "tests/data/sae/demo_zones_text.csv", "--formula",
                "~ literacy", NULL);
    spawn_expect_error(r, 65, "tests/data/sae/demo_zones_text.csv:3:3: "
                              "covariate 'literacy' of area 'North East' is "
                              "not a number ('high')");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, "--formula",
                "~ literacy + rainfall", NULL);
    spawn_expect_error(r, 65, "surveys/demo/zone_covariates.csv:1: no "
                              "column 'rainfall' (in the formula) in the "
                              "covariates");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, "--formula",
                "~ literacy * urban", NULL);
    spawn_expect_error(r, 64, "--formula:1:12: the formula must read "
                              "'~ COL + COL ...' (covariates of the "
                              "covariates file)");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, "--formula", "~ literacy",
                "--method", "bayes", NULL);
    spawn_expect_error(r, 64, "--method: 'bayes' must be reml, ml or fh");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, "--formula", "~ literacy",
                "--variance", "gvf", NULL);
    spawn_expect_error(r, 64, "--variance: 'gvf' must be direct or "
                              "smoothed");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, "--formula", "~ literacy", NULL);
    spawn_expect_error(r, 64, "sae: --covariates FILE.csv is required");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, "--formula", "~ literacy",
                "--ci", "wald", NULL);
    spawn_expect_error(r, 64, "sae: --ci, --df and --min-n are options of "
                              "graft estimate: the sae table has no direct "
                              "intervals or flags");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, NULL);
    spawn_expect_error(r, 64, "sae: --formula is required (e.g. --formula "
                              "'~ urban_share + literacy')");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, "--formula", "~ literacy",
                "--mean", "n_bribes", NULL);
    spawn_expect_error(r, 64, "sae: give one indicator (--prop or --mean), "
                              "not 2");
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, "--formula", "~ literacy",
                "--by", "sex", NULL);
    spawn_expect_error(r, 64, "sae: give one --by column, the areas");
    spawn_graft(r, "sae", "surveys/demo/round1.ini", "--prop", "paid_any",
                ZCOV, "--formula", "~ literacy", NULL);
    spawn_expect_error(r, 64, "sae: give one --by column, the areas");
    /* ML on both covariates: Fisher scoring leaves the parameter space, as
     * the sae package's does (sae_ref.R). */
    spawn_graft(r, "sae", DEMO_ANY, ZCOV, F2, "--method", "ml", NULL);
    spawn_expect_error(r, 65, "ML estimation of sigma_u^2 did not converge "
                              "in 100 iterations");
    /* --direct */
    spawn_graft(r, "sae", MILK, "surveys/demo/round1.csv", NULL);
    spawn_expect_error(r, 64, "sae: --direct takes the place of the data, "
                              "its design and the indicator");
    spawn_graft(r, "sae", "--direct", "tests/data/sae/milk.csv", "--by",
                "SmallArea", ZCOV, F2, NULL);
    spawn_expect_error(r, 65, "tests/data/sae/milk.csv:1: no column "
                              "'direct' in the direct estimates (the area "
                              "column, direct and direct_se: graft sae's "
                              "own columns)");
    spawn_graft(r, "sae", "--direct", "tests/data/sae/demo_zones_text.csv",
                "--by", "zone", ZCOV, F2, NULL);
    spawn_expect_error(r, 65, "tests/data/sae/demo_zones_text.csv:1: no "
                              "column 'direct' in the direct estimates (the "
                              "area column, direct and direct_se: graft "
                              "sae's own columns)");
    spawn_graft(r, "sae", "--direct", "tests/data/sae/direct_text.csv",
                "--by", "zone", ZCOV, F2, NULL);
    spawn_expect_error(r, 65, "tests/data/sae/direct_text.csv:3:3: "
                              "direct_se 'abc' is not a number");
    spawn_graft(r, "sae", "--direct", "tests/data/sae/direct_no_n.csv",
                "--by", "zone", ZCOV, F2, "--variance", "smoothed", NULL);
    spawn_expect_error(r, 64, "smoothed variances need each area's n (an n "
                              "column with the direct estimates)");
    spawn_graft(r, "sae", "--direct", "tests/data/sae/direct_no_n.csv",
                "--by", "zone", ZCOV, F2, "--format", "json", NULL);
    spawn_expect_ok(r);
    assert_non_null(strstr(r->out, "\"areas_in_fit\": 6"));
    spawn_graft(r, "sae", "--prop", "paid_any", "--by", "zone", ZCOV, F2,
                NULL);
    spawn_expect_error(r, 64, "sae: no data file (see graft sae --help)");
    /* no partial output on failure */
    char out[4096];
    snprintf(out, sizeof out, "%s/failed.csv", test_tmp_dir());
    spawn_graft(r, "sae", DEMO_ANY_SHORT, "--covariates",
                "tests/data/sae/demo_zones_missing.csv", "--formula",
                "~ literacy", "-o", out, NULL);
    assert_int_equal(r->status, 65);
    assert_int_not_equal(access(out, F_OK), 0);
    free(r);
}

/* CSV: the columns in order; a synthetic area's flag; text and Markdown
 * carry the model block. */
static void test_cli_formats(void **state)
{
    (void)state;
    spawn_result_t *r = malloc(sizeof *r);
    assert_non_null(r);
    char out[4096];
    snprintf(out, sizeof out, "%s/sae.csv", test_tmp_dir());
    spawn_graft(r, "sae", DEMO_ANY, "--covariates",
                "tests/data/sae/demo_zones_extra.csv", F2, "-o", out, NULL);
    spawn_expect_ok(r);
    table_t t;
    table_load(&t, out);
    const char *want[] = {"zone", "direct", "direct_se", "n", "estimate",
                          "mse", "rmse", "ci_low", "ci_high", "gamma",
                          "synthetic", "flag", "fitted", "resid_std"};
    assert_int_equal(t.ncols, 14);
    for (size_t i = 0; i < 14; i++)
        assert_string_equal(t.names[i], want[i]);
    assert_int_equal(t.nrows, 7);
    assert_string_equal(cell(&t, 6, "zone"), "Islands");
    assert_string_equal(cell(&t, 6, "flag"), "not in the sample");
    assert_string_equal(cell(&t, 6, "synthetic"), "1");
    assert_string_equal(cell(&t, 6, "direct"), "");
    table_free(&t);
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, F2, "--format", "text",
                NULL);
    spawn_expect_ok(r);
    assert_non_null(strstr(r->out, "Fay-Herriot model ~ urban_share + "
                                   "literacy, paid_any: sigma_u^2 = "));
    assert_non_null(strstr(r->out, "estimates are model-based"));
    spawn_graft(r, "sae", DEMO_ANY_SHORT, ZCOV, F2, "--format", "md", NULL);
    spawn_expect_ok(r);
    assert_non_null(strstr(r->out, "| zone "));
    assert_non_null(strstr(r->out, "- Fay-Herriot model"));
    spawn_graft(r, "sae", "--help", NULL);
    spawn_expect_ok(r);
    assert_non_null(strstr(r->out, "--covariates FILE"));
    free(r);
}

/* The charts: a PNG each, the data drawn (.dat, 6 decimals): the areas by
 * sample size with the EBLUP and its interval, the synthetic area apart;
 * the standardized residuals as R computes them. */
static void test_charts(void **state)
{
    (void)state;
    spawn_result_t *r = malloc(sizeof *r);
    assert_non_null(r);
    char csv[4096], png[4096], dat[4096];
    snprintf(csv, sizeof csv, "%s/synth.csv", test_tmp_dir());
    spawn_graft(r, "sae", DEMO_ANY, "--covariates",
                "tests/data/sae/demo_zones_extra.csv", F2, "-o", csv, NULL);
    spawn_expect_ok(r);
    size_t rows[16], n = area_refs("demo_synth", rows, 16);
    static const char *const kinds[] = {"sae", "sae-resid"};
    for (size_t k = 0; k < 2; k++) {
        snprintf(png, sizeof png, "%s/%s.png", test_tmp_dir(), kinds[k]);
        snprintf(dat, sizeof dat, "%s/%s.dat", test_tmp_dir(), kinds[k]);
        spawn_graft(r, "plot", csv, "--kind", kinds[k], "-o", png, NULL);
        spawn_expect_ok(r);
        size_t len;
        char *bytes = test_slurp_must(png, &len);
        assert_true(len > 8 && memcmp(bytes, "\x89PNG", 4) == 0);
        free(bytes);
        FILE *fp = fopen(dat, "r");
        assert_non_null(fp);
        char line[1024];
        size_t i = 0;
        while (fgets(line, sizeof line, fp)) {
            if (line[0] == '#')
                continue;
            double v[11];
            if (k == 0) {
                /* North (n = 329) is the third largest: third from the
                 * top; Islands (n = 0) last, synthetic. */
                assert_int_equal(sscanf(line, "%lf %lf %lf %lf %lf %lf %lf "
                                        "%lf %lf %lf %lf", &v[0], &v[1],
                                        &v[2], &v[3], &v[4], &v[5], &v[6],
                                        &v[7], &v[8], &v[9], &v[10]), 11);
                if (i == 2) {
                    assert_non_null(strstr(line, "\"North (n=329)\""));
                    assert_close(v[5], 100 * aref(rows[0], "estimate"), 0,
                                 1e-6);
                }
                if (i == n - 1) {
                    assert_non_null(strstr(line, "\"Islands (n=0)\""));
                    assert_true(isnan(v[5]));
                    assert_close(v[8], 100 * aref(rows[n - 1], "estimate"),
                                 0, 1e-6);
                }
            } else {
                assert_int_equal(sscanf(line, "%lf %lf %lf %lf", &v[0],
                                        &v[1], &v[2], &v[3]), 4);
                assert_close(v[1], aref(rows[i], "resid_std"), 0, 1e-6);
            }
            i++;
        }
        fclose(fp);
        assert_int_equal(i, k == 0 ? n : n - 1);
    }
    free(r);
}

/* [sae.NAME] in an analysis file: its errors at the file's line. */
static void test_analysis_errors(void **state)
{
    (void)state;
    spawn_result_t *r = malloc(sizeof *r);
    assert_non_null(r);
    char ini[1024], msg[2048], dir[1024];
    snprintf(ini, sizeof ini, "%s/bad.ini", test_tmp_dir());
    snprintf(dir, sizeof dir, "%s/badrun", test_tmp_dir());
    static const char *const texts[] = {
        "[indicator.any]\ntype = prop\nexpr = paid_any == 1\n\n[sae.x]\n"
        "indicator = nope\nby = zone\ncovariates = z.csv\nformula = ~ a\n",
        "[indicator.any]\ntype = prop\nexpr = paid_any == 1\n\n[sae.x]\n"
        "indicator = any\nby = zone\nformula = ~ a\n",
        "[sae.x]\nmethod = bayes\n",
        "[sae.x]\nvariance = gvf\n",
        "[sae.x]\nlevel = 0.9\n"};
    static const char *const msgs[] = {
        "%s:6: [sae.x] indicator 'nope' is not a proportion or mean of this "
        "file",
        "%s:6: [sae.x] has no covariates",
        "%s:2: [sae.x] method 'bayes' must be reml, ml or fh",
        "%s:2: [sae.x] variance 'gvf' must be direct or smoothed",
        "%s:2: unknown key 'level' in [sae.x] (expected indicator, by, "
        "covariates, formula, method, variance, round or title)"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        FILE *fp = fopen(ini, "w");
        assert_non_null(fp);
        fputs(texts[i], fp);
        assert_int_equal(fclose(fp), 0);
        spawn_graft(r, "run", ini, "-o", dir, NULL);
        snprintf(msg, sizeof msg, msgs[i], ini);
        spawn_expect_error(r, 65, msg);
    }
    free(r);
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
        cmocka_unit_test(test_cli_cases),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_formats),
        cmocka_unit_test(test_charts),
        cmocka_unit_test(test_analysis_errors),
        cmocka_unit_test(test_outside_unit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
