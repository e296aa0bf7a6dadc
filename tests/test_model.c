/*
 * test_model.c - design-based GLMs (graft model) against R survey 4.1-1's
 * svyglm and regTermTest (tests/R/model_ref.R -> tests/ref/model_coef.csv,
 * tests/ref/model_test.csv): every coefficient's estimate, se, t, p and
 * df, and every Wald F, df, ddf and p, to 1e-9 relative (R fitted with
 * glm epsilon 1e-14, and refitted from its answer; a p far in the tail to
 * what the t's tolerance implies); then formula errors at their position, rank
 * deficiency naming the aliased terms, non-convergence, and the command
 * line.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "test_table.h"
#include "graft.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#define COEF_REF "tests/ref/model_coef.csv"
#define TEST_REF "tests/ref/model_test.csv"
#define MODEL_TOL 1e-9

static table_t COEF_T, TEST_T;

static int setup(void **state)
{
    (void)state;
    table_load(&COEF_T, COEF_REF);
    table_load(&TEST_T, TEST_REF);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    table_free(&COEF_T);
    table_free(&TEST_T);
    test_tmp_dir_remove();
    return 0;
}

/* One case of model_ref.R, in graft's terms. */
typedef struct mcase {
    const char *name, *data, *survey;
    const char *weight, *strata, *psu, *fpc;
    int nest;
    const char *repweights; /* jk1 */
    graft_family_t family;
    const char *formula, *among;
    const char *tests[3];
    const char *lonely;     /* NULL: the design's policy */
} mcase_t;

#define STRAT "tests/data/r/apistrat.csv", NULL, "pw", "stype", NULL, "fpc", 0
#define CLUS1 "tests/data/r/apiclus1.csv", NULL, "pw", NULL, "dnum", "fpc", 0
#define REP "tests/data/r/apiclus1_rep_jk1.csv", NULL, "pw", NULL, NULL, NULL, 0
#define NHANES "tests/data/r/nhanes.csv", NULL, "WTMEC2YR", "SDMVSTRA", \
               "SDMVPSU", NULL, 1
#define DEMO NULL, "surveys/demo/round1.ini", NULL, NULL, NULL, NULL, 0

static const mcase_t CASES[] = {
    {"strat_linear", STRAT, NULL, GRAFT_FAMILY_LINEAR,
     "api00 ~ ell + meals + mobility", NULL, {NULL}, NULL},
    {"strat_logistic", STRAT, NULL, GRAFT_FAMILY_LOGISTIC,
     "sch.wide == 'Yes' ~ stype + ell + meals", NULL, {"stype"}, NULL},
    {"strat_linear_interaction_domain", STRAT, NULL, GRAFT_FAMILY_LINEAR,
     "api00 ~ ell + stype + stype:awards + awards", "yr.rnd == 'No'",
     {"awards:stype", "stype"}, NULL},
    {"clus1_poisson", CLUS1, NULL, GRAFT_FAMILY_POISSON,
     "api.stu ~ stype + meals + ell", NULL, {"stype"}, NULL},
    {"clus1_logistic_ref_domain", CLUS1, NULL, GRAFT_FAMILY_LOGISTIC,
     "awards == 'Yes' ~ ref(stype, 'H') + meals", "api00 > 600", {"stype"}, NULL},
    {"clus1_linear", CLUS1, NULL, GRAFT_FAMILY_LINEAR, "api00 ~ meals + ell",
     NULL, {NULL}, NULL},
    {"rep_linear", REP, "repw[0-9]+", GRAFT_FAMILY_LINEAR,
     "api00 ~ meals + stype", NULL, {"stype"}, NULL},
    {"rep_logistic_domain", REP, "repw[0-9]+", GRAFT_FAMILY_LOGISTIC,
     "sch.wide == 'Yes' ~ meals + ell", "stype != 'H'", {NULL}, NULL},
    /* acs.core is missing on every row of 3 districts: they still count
     * toward the replicate df, as in svyglm */
    {"rep_linear_missing_term", REP, "repw[0-9]+", GRAFT_FAMILY_LINEAR,
     "api00 ~ meals + acs.core", NULL, {"acs.core"}, NULL},
    {"rep_linear_missing_response", REP, "repw[0-9]+", GRAFT_FAMILY_LINEAR,
     "acs.core ~ meals + ell", NULL, {NULL}, NULL},
    {"rep_logistic_missing_domain", REP, "repw[0-9]+", GRAFT_FAMILY_LOGISTIC,
     "sch.wide == 'Yes' ~ meals + acs.core", "stype != 'E'", {NULL}, NULL},
    {"nhanes_logistic", NHANES, NULL, GRAFT_FAMILY_LOGISTIC,
     "HI_CHOL == 1 ~ factor(race) + agecat + RIAGENDR", NULL,
     {"race", "agecat"}, NULL},
    {"demo_police_logistic", DEMO, NULL, GRAFT_FAMILY_LOGISTIC,
     "paid_police == 1 ~ sex + urban + age_group + zone",
     "contact_police == 1", {"zone", "age_group"}, NULL},
    {"demo_bribes_poisson", DEMO, NULL, GRAFT_FAMILY_POISSON,
     "n_bribes ~ sex + urban", "paid_any == 1", {NULL}, NULL},
    {"demo_amount_linear", DEMO, NULL, GRAFT_FAMILY_LINEAR,
     "amount ~ sex + urban + n_bribes", "paid_any == 1", {"urban"}, NULL},
    {"demo_amount_linear_remove", DEMO, NULL, GRAFT_FAMILY_LINEAR,
     "amount ~ sex + urban + n_bribes", "paid_any == 1", {"urban"},
     "remove"},
    {"demo_amount_linear_average", DEMO, NULL, GRAFT_FAMILY_LINEAR,
     "amount ~ sex + urban + n_bribes", "paid_any == 1", {"urban"},
     "average"},
};

/* Fit case K (its survey file's design and reading, or the case's). */
static graft_error_t fit_case(const mcase_t *k, graft_model_t **m,
                              graft_diag_t *diag)
{
    graft_survey_t *s = NULL;
    graft_design_spec_t d;
    graft_read_opts_t ro = {0};
    const char *data = k->data;
    graft_design_spec_init(&d);
    if (k->survey) {
        assert_int_equal(graft_survey_load(k->survey, &s, diag), GRAFT_OK);
        d = s->design;
        data = s->data;
        ro.missing = s->missing;
        ro.n_missing = s->n_missing;
        ro.labels = s->labels;
        ro.n_labels = s->n_labels;
    } else {
        d.weight = k->weight;
        d.strata[0] = k->strata;
        d.n_strata = k->strata != NULL;
        d.psu = k->psu;
        d.fpc = k->fpc;
        d.nest = k->nest;
        if (k->repweights) {
            d.rep.columns = k->repweights;
            d.rep.type = GRAFT_REP_JK1;
        }
    }
    if (k->lonely)
        assert_true(graft_lonely_parse(k->lonely, &d.lonely));
    size_t n_tests = 0;
    while (n_tests < 3 && k->tests[n_tests])
        n_tests++;
    graft_model_spec_t ms = {k->formula, {"--formula", 1, 1}, k->family,
                             k->among, {"--among", 1, 1}, 0.95,
                             k->tests, n_tests, 0};
    graft_error_t rc = graft_model_fit(data, &ro, &d, &ms, m, diag);
    graft_survey_free(s);
    return rc;
}

static void check_coefs(const mcase_t *k, const graft_model_t *m)
{
    size_t seen = 0;
    for (size_t r = 0; r < COEF_T.nrows; r++) {
        if (strcmp(cell(&COEF_T, r, "case"), k->name) != 0)
            continue;
        const char *term = cell(&COEF_T, r, "term");
        size_t j = 0;
        while (j < m->p && strcmp(m->coefs[j].term, term) != 0)
            j++;
        if (j == m->p)
            fail_msg("%s: no coefficient '%s'", k->name, term);
        assert_int_equal(j, seen); /* R's order */
        const graft_model_coef_t *c = &m->coefs[j];
        assert_close(c->estimate, table_num(&COEF_T, r, 2), MODEL_TOL, 0);
        assert_close(c->se, table_num(&COEF_T, r, 3), MODEL_TOL, 0);
        assert_close(c->t, table_num(&COEF_T, r, 4), MODEL_TOL, 0);
        /* p = 2 pt(-|t|, df) turns a relative error e in t into about
         * t^2 e in p far in the tail (R's p of 1e-81): the tolerance the
         * t of the line above allows, carried to p */
        assert_close(c->p, table_num(&COEF_T, r, 5),
                     MODEL_TOL * fmax(1, c->t * c->t), 0);
        assert_close(m->df, table_num(&COEF_T, r, 6), 0, 0);
        seen++;
    }
    assert_true(seen > 0);
    assert_int_equal(seen, m->p);
}

static void check_tests(const mcase_t *k, const graft_model_t *m)
{
    size_t seen = 0;
    for (size_t r = 0; r < TEST_T.nrows; r++) {
        if (strcmp(cell(&TEST_T, r, "case"), k->name) != 0)
            continue;
        const char *term = cell(&TEST_T, r, "term");
        size_t t = 0;
        while (t < m->n_tests && strcmp(m->tests[t].term, term) != 0 &&
               !(strcmp(term, "stype:awards") == 0 &&
                 strcmp(m->tests[t].term, "awards:stype") == 0))
            t++;
        if (t == m->n_tests)
            fail_msg("%s: no test of '%s'", k->name, term);
        assert_close(m->tests[t].F, table_num(&TEST_T, r, 2), MODEL_TOL, 0);
        assert_int_equal(m->tests[t].df, (size_t)table_num(&TEST_T, r, 3));
        assert_close(m->tests[t].ddf, table_num(&TEST_T, r, 4), 0, 0);
        assert_close(m->tests[t].p, table_num(&TEST_T, r, 5), MODEL_TOL, 0);
        seen++;
    }
    assert_int_equal(seen, m->n_tests);
}

static void test_against_r(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        graft_model_t *m = NULL;
        graft_diag_t diag;
        graft_diag_clear(&diag);
        graft_error_t rc = fit_case(&CASES[i], &m, &diag);
        if (rc != GRAFT_OK)
            fail_msg("%s: %s", CASES[i].name, diag.msg);
        check_coefs(&CASES[i], m);
        check_tests(&CASES[i], m);
        graft_model_free(m);
    }
}


/* ---- errors ------------------------------------------------------------ */

/* A small data file in the test folder: y, x, x2 = 2 x, s (a step in x
 * that separates y), g (text), w. */
static const char *small_csv(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/model_small.csv", test_tmp_dir());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("y,x,x2,g,w\n", fp);
    for (int i = 0; i < 40; i++)
        fprintf(fp, "%d,%d,%d,%s,%g\n", i % 8 >= 4, i % 8, 2 * (i % 8),
                i % 3 ? "a" : "b", 1.0 + (i % 5));
    assert_int_equal(fclose(fp), 0);
    return path;
}

static graft_error_t fit_small(const char *formula, graft_family_t fam,
                               const char *test, graft_diag_t *diag)
{
    graft_design_spec_t d;
    graft_model_t *m = NULL;
    graft_design_spec_init(&d);
    d.weight = "w";
    const char *tests[1] = {test};
    graft_model_spec_t ms = {formula, {"--formula", 1, 1}, fam, NULL,
                             {"--among", 1, 1}, 0.95, tests, test != NULL,
                             0};
    graft_diag_clear(diag);
    graft_error_t rc = graft_model_fit(small_csv(), NULL, &d, &ms, &m, diag);
    assert_true((rc == GRAFT_OK) == (m != NULL));
    graft_model_free(m);
    return rc;
}

static void expect_diag(graft_error_t rc, const graft_diag_t *diag,
                        graft_error_t code, unsigned long col,
                        const char *msg)
{
    assert_int_equal(rc, code);
    assert_int_equal(diag->col, col);
    if (!strstr(diag->msg, msg))
        fail_msg("message '%s' lacks '%s'", diag->msg, msg);
}

static void test_formula_errors(void **state)
{
    (void)state;
    graft_diag_t diag;
    graft_family_t lin = GRAFT_FAMILY_LINEAR;
    expect_diag(fit_small("y x", lin, NULL, &diag), &diag, GRAFT_ERR_USAGE,
                1, "no '~'");
    expect_diag(fit_small("y ~ x +", lin, NULL, &diag), &diag,
                GRAFT_ERR_USAGE, 8, "expected a term at the end");
    expect_diag(fit_small("y ~ x * g", lin, NULL, &diag), &diag,
                GRAFT_ERR_USAGE, 7, "expected '+', ':'");
    expect_diag(fit_small("y ~ log(x)", lin, NULL, &diag), &diag,
                GRAFT_ERR_USAGE, 5, "unknown function");
    expect_diag(fit_small("y ~ ref(g, 'c')", lin, NULL, &diag), &diag,
                GRAFT_ERR_USAGE, 12, "'c' is not a level of g");
    expect_diag(fit_small("y ~ x + xx", lin, NULL, &diag), &diag,
                GRAFT_ERR_COLUMN, 9, "unknown column 'xx'");
    expect_diag(fit_small("y ~ x + x", lin, NULL, &diag), &diag,
                GRAFT_ERR_USAGE, 9, "already in the formula");
    expect_diag(fit_small("y ~ x", lin, "g", &diag), &diag, GRAFT_ERR_USAGE,
                0, "--test: 'g' is not a term");
    expect_diag(fit_small("g ~ x", lin, NULL, &diag), &diag, GRAFT_ERR_VALUE,
                0, "the response 'g' is 'b' on this row");
    assert_int_equal(diag.line, 2);
}

static void test_fit_errors(void **state)
{
    (void)state;
    graft_diag_t diag;
    expect_diag(fit_small("y ~ x + g + x2", GRAFT_FAMILY_LINEAR, NULL,
                          &diag),
                &diag, GRAFT_ERR_MODEL, 0,
                "rank-deficient: 'x2' is a combination of the terms before");
    /* y = (x >= 4): x separates it perfectly, the logit runs away */
    expect_diag(fit_small("y ~ x", GRAFT_FAMILY_LOGISTIC, NULL, &diag),
                &diag, GRAFT_ERR_MODEL, 0, "did not converge");
    expect_diag(fit_small("x ~ g", GRAFT_FAMILY_LOGISTIC, NULL, &diag),
                &diag, GRAFT_ERR_MODEL, 0, "needs values from 0 to 1");
    assert_int_equal(graft_exit_code(GRAFT_ERR_MODEL), 65);
    assert_string_equal(graft_strerror(GRAFT_ERR_MODEL),
                        "a model that cannot be fitted");
}

/* ---- the command line --------------------------------------------------- */

static void test_cli(void **state)
{
    (void)state;
    spawn_result_t *r = malloc(sizeof *r);
    assert_non_null(r);
    char out[4096];
    snprintf(out, sizeof out, "%s/police.csv", test_tmp_dir());
    spawn_graft(r, "model", "surveys/demo/round1.ini", "--family",
                "logistic", "--formula",
                "paid_police == 1 ~ sex + urban + age_group + zone",
                "--among", "contact_police == 1", "-o", out, NULL);
    spawn_expect_ok(r);
    table_t t;
    table_load(&t, out);
    assert_int_equal(t.nrows, 11);
    const char *want[] = {"term", "estimate", "se", "ci_low", "ci_high", "t",
                          "p_value", "df", "exp_estimate", "exp_ci_low",
                          "exp_ci_high"};
    assert_int_equal(t.ncols, 11);
    for (size_t i = 0; i < 11; i++)
        assert_string_equal(t.names[i], want[i]);
    size_t ref = table_find(&COEF_T, "term", "zone=Capital");
    size_t row = table_find(&t, "term", "zone=Capital");
    assert_close(table_num(&t, row, 1), table_num(&COEF_T, ref, 2),
                 MODEL_TOL, 0);
    assert_close(table_num(&t, row, 8), exp(table_num(&COEF_T, ref, 2)),
                 MODEL_TOL, 0);
    /* the interval: t quantile on the residual df (R's confint.svyglm) */
    double q = gsl_cdf_tdist_Qinv(0.025, table_num(&COEF_T, ref, 6));
    assert_close(table_num(&t, row, 3),
                 table_num(&COEF_T, ref, 2) - q * table_num(&COEF_T, ref, 3),
                 MODEL_TOL, 0);
    table_free(&t);
    spawn_graft(r, "model", "surveys/demo/round1.ini", NULL);
    spawn_expect_error(r, 64, "model: --formula is required (e.g. --formula "
                              "'paid == 1 ~ sex + age_group')");
    spawn_graft(r, "model", "surveys/demo/round1.ini", "--formula",
                "paid_police ~ sex +", "-o", out, NULL);
    spawn_expect_error(r, 64, "--formula:1:20: formula: expected a term at "
                              "the end");
    spawn_graft(r, "model", "surveys/demo/round1.ini", "--family", "probit",
                "--formula", "paid_police ~ sex", NULL);
    spawn_expect_error(r, 64, "--family: 'probit' must be linear, logistic "
                              "or poisson");
    free(r);
}

/* ---- the forest chart ---------------------------------------------------- */

static void test_forest(void **state)
{
    (void)state;
    spawn_result_t *r = malloc(sizeof *r);
    assert_non_null(r);
    char csv[4096], png[4096], dat[4096];
    snprintf(csv, sizeof csv, "%s/forest.csv", test_tmp_dir());
    snprintf(png, sizeof png, "%s/forest.png", test_tmp_dir());
    snprintf(dat, sizeof dat, "%s/forest.dat", test_tmp_dir());
    spawn_graft(r, "model", "surveys/demo/round1.ini", "--family",
                "logistic", "--formula",
                "paid_police == 1 ~ sex + urban + age_group + zone",
                "--among", "contact_police == 1", "-o", csv, NULL);
    spawn_expect_ok(r);
    spawn_graft(r, "plot", csv, "--kind", "forest", "-o", png, NULL);
    spawn_expect_ok(r);
    size_t len;
    char *png_bytes = test_slurp_must(png, &len);
    assert_true(len > 8 && memcmp(png_bytes, "\x89PNG", 4) == 0);
    free(png_bytes);
    /* the data drawn: every coefficient but the intercept, R's odds ratio
     * and its interval ends (to the .dat file's 6 decimals) */
    FILE *fp = fopen(dat, "r");
    assert_non_null(fp);
    char line[4096];
    size_t rows = 0;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        double y, ratio, lo, hi;
        size_t row;
        assert_int_equal(sscanf(line, "%zu %lf %lf %lf %lf", &row, &y, &ratio,
                                &lo, &hi), 5);
        const char *term = strchr(line, '"');
        assert_non_null(term);
        char name[256];
        snprintf(name, sizeof name, "%s", term + 1);
        *strchr(name, '"') = '\0';
        size_t ref = table_find(&COEF_T, "term", name);
        assert_string_equal(cell(&COEF_T, ref, "case"),
                            "demo_police_logistic");
        assert_close(ratio, exp(table_num(&COEF_T, ref, 2)), 0, 1e-6);
        rows++;
    }
    fclose(fp);
    assert_int_equal(rows, 10);
    /* an estimates file has no ratios to draw */
    spawn_graft(r, "plot", "tests/data/charts/estimates.csv", "--kind",
                "forest", "-o", png, NULL);
    assert_int_equal(r->status, 65);
    assert_non_null(strstr(r->err, "a forest chart needs column 'term'"));
    free(r);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_r),
        cmocka_unit_test(test_formula_errors),
        cmocka_unit_test(test_fit_errors),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_forest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
