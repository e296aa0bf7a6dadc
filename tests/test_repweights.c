/*
 * test_repweights.c - replicate-weight variance against R's svrepdesign.
 *
 * tests/ref/repest_cases.csv lists each case (data with exported replicate
 * columns, replicate type, scale, rscales, rho, mse, indicator, domain,
 * interval, df); tests/ref/repest_ref.csv holds what R computed for it
 * (tests/R/repweights_ref.R).
 */
#include "test_table.h"

#include <gsl/gsl_errno.h>

#define CASES "tests/ref/repest_cases.csv"
#define REFS "tests/ref/repest_ref.csv"

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

/* Parse "a;b;c" into a new array. */
static double *parse_list(const char *text, size_t *n)
{
    size_t cap = 16;
    double *v = malloc(cap * sizeof *v);
    *n = 0;
    for (const char *p = text; *p;) {
        char *end;
        double x = strtod(p, &end);
        assert_true(end != p);
        if (*n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[(*n)++] = x;
        p = *end == ';' ? end + 1 : end;
    }
    return v;
}

static int run_case(size_t i, size_t *n_compared)
{
    const table_t *C = &CASES_T;
    const char *name = cell(C, i, "case");
    graft_design_spec_t spec;
    graft_design_spec_init(&spec);
    spec.weight = cell(C, i, "weight");
    spec.rep.columns = cell(C, i, "repweights");
    assert_true(graft_reptype_parse(cell(C, i, "reptype"), &spec.rep.type));
    if (*cell(C, i, "scale"))
        spec.rep.scale = strtod(cell(C, i, "scale"), NULL);
    if (*cell(C, i, "rho"))
        spec.rep.rho = strtod(cell(C, i, "rho"), NULL);
    size_t n_rs = 0;
    double *rscales = NULL;
    if (*cell(C, i, "rscales")) {
        rscales = parse_list(cell(C, i, "rscales"), &n_rs);
        spec.rep.rscales = rscales;
        spec.rep.n_rscales = n_rs;
    }
    spec.rep.mse = strcmp(cell(C, i, "mse"), "true") == 0;

    graft_indicator_spec_t ind = {0};
    assert_true(graft_ind_type_parse(cell(C, i, "type"), &ind.type));
    ind.expr = cell(C, i, "expr");
    ind.among = *cell(C, i, "among") ? cell(C, i, "among") : NULL;
    ind.expr_src = (graft_source_t){"expr", 1, 1};
    ind.among_src = (graft_source_t){"among", 1, 1};
    char by[256];
    snprintf(by, sizeof by, "%s", cell(C, i, "by"));
    graft_by_spec_t by_spec = {{0}, 0};
    for (char *tok = strtok(by, ":"); tok && by_spec.n_columns < GRAFT_MAX_BY;
         tok = strtok(NULL, ":"))
        by_spec.columns[by_spec.n_columns++] = tok;
    graft_estimate_opts_t opts = {0};
    opts.indicators = &ind;
    opts.n_indicators = 1;
    opts.by = &by_spec;
    opts.n_by = by_spec.n_columns ? 1 : 0;
    assert_true(graft_ci_method_parse(cell(C, i, "ci"), &opts.ci));
    opts.level = strtod(cell(C, i, "level"), NULL);
    if (strcmp(cell(C, i, "df"), "default") != 0) {
        opts.df_mode = GRAFT_DF_FIXED;
        opts.df_value = strtod(cell(C, i, "df"), NULL);
    }
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    int bad;
    size_t n_refs = 0;
    for (size_t r = 0; r < REFS_T.nrows; r++)
        n_refs += strcmp(cell(&REFS_T, r, "case"), name) == 0;
    graft_error_t rc = graft_estimate_file(cell(C, i, "file"), NULL, &spec,
                                           &opts, &e, &diag);
    if (n_refs == 0) {
        /* R refuses this case (repweights_ref.R says why): so must we. */
        bad = rc == GRAFT_OK;
        if (bad)
            printf("FAIL %s: R refuses it, graft did not\n", name);
        else
            (*n_compared)++;
    } else if (rc != GRAFT_OK) {
        char buf[2200];
        printf("FAIL %s: %s\n", name,
               graft_diag_format(&diag, buf, sizeof buf));
        bad = 1;
    } else {
        bad = compare_with_ref(&REFS_T, name, e, n_compared);
    }
    graft_estimates_free(e);
    free(rscales);
    return bad;
}

static void run_family(const char *prefix)
{
    int bad = 0;
    size_t compared = 0, cases = 0;
    for (size_t i = 0; i < CASES_T.nrows; i++)
        if (strncmp(cell(&CASES_T, i, "case"), prefix, strlen(prefix)) == 0) {
            bad += run_case(i, &compared);
            cases++;
        }
    printf("  %s: %zu cases, %zu numbers compared with R\n", prefix, cases,
           compared);
    assert_true(cases > 0);
    if (bad)
        fail_msg("%d mismatches with R in %s cases", bad, prefix);
}

static void test_jk1(void **s) { (void)s; run_family("nhanes_jk1_"); }
static void test_jkn(void **s) { (void)s; run_family("nhanes_jkn_"); }
static void test_other(void **s) { (void)s; run_family("nhanes_other_"); }
static void test_boot(void **s) { (void)s; run_family("nhanes_boot_"); }
static void test_sdr(void **s) { (void)s; run_family("nhanes_sdr_"); }
static void test_acs(void **s) { (void)s; run_family("nhanes_acs_"); }
static void test_brr(void **s) { (void)s; run_family("nhanes_brr_"); }
static void test_fay(void **s) { (void)s; run_family("nhanes_fay_"); }
static void test_apiclus1(void **s) { (void)s; run_family("apiclus1_jk1_"); }

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jk1),  cmocka_unit_test(test_jkn),
        cmocka_unit_test(test_other), cmocka_unit_test(test_boot),
        cmocka_unit_test(test_sdr),  cmocka_unit_test(test_acs),
        cmocka_unit_test(test_brr),  cmocka_unit_test(test_fay),
        cmocka_unit_test(test_apiclus1),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
