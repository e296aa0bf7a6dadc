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

/* The cases R refuses (no reference rows; repweights_ref.R says why):
 * graft must refuse each with this error code and message. */
static const struct refusal {
    const char *name;
    graft_error_t code;
    const char *msg;
} REFUSALS[] = {
    {"nhanes_jkn_norscales", GRAFT_ERR_USAGE,
     "--reptype jkn needs --rscales: (n_h - 1) / n_h for each replicate "
     "(graft replicate writes them)"},
};

/* Case NAME, which R refuses, ended with RC and DIAG: 0 when that is the
 * refusal REFUSALS pins, else 1 with a FAIL line. */
static int refused(const char *name, graft_error_t rc,
                   const graft_diag_t *diag)
{
    const struct refusal *want = NULL;
    for (size_t k = 0; k < sizeof REFUSALS / sizeof REFUSALS[0]; k++)
        if (strcmp(REFUSALS[k].name, name) == 0)
            want = &REFUSALS[k];
    if (!want) {
        printf("FAIL %s: no reference rows and no pinned refusal\n", name);
        return 1;
    }
    char buf[2200];
    const char *got = rc == GRAFT_OK ? "(none)"
                                     : graft_diag_format(diag, buf, sizeof buf);
    if (rc != want->code || strcmp(got, want->msg) != 0) {
        printf("FAIL %s: R refuses it; graft gave error %d '%s', want %d "
               "'%s'\n", name, (int)rc, got, (int)want->code, want->msg);
        return 1;
    }
    return 0;
}

/* Run case row I of C; returns the number of mismatches (printed). */
static int run_case(const table_t *C, size_t i, size_t *n_compared)
{
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

    table_case_t tc;
    table_case_read(C, i, &tc);
    if (strcmp(cell(C, i, "df"), "default") != 0) {
        tc.opts.df_mode = GRAFT_DF_FIXED;
        tc.opts.df_value = strtod(cell(C, i, "df"), NULL);
    }
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    int bad;
    size_t n_refs = 0;
    for (size_t r = 0; r < REFS_T.nrows; r++)
        n_refs += strcmp(cell(&REFS_T, r, "case"), name) == 0;
    graft_error_t rc = graft_estimate_file(cell(C, i, "file"), NULL, &spec,
                                           &tc.opts, &e, &diag);
    if (n_refs == 0) {
        /* R refuses this case: so must we, with the pinned error. */
        bad = refused(name, rc, &diag);
        if (!bad)
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

/* Every case whose name starts with PREFIX. */
static void family(const char *prefix)
{
    run_family(&CASES_T, prefix, run_case);
}

static void test_jk1(void **s) { (void)s; family("nhanes_jk1_"); }
static void test_jkn(void **s) { (void)s; family("nhanes_jkn_"); }
static void test_other(void **s) { (void)s; family("nhanes_other_"); }
static void test_boot(void **s) { (void)s; family("nhanes_boot_"); }
static void test_sdr(void **s) { (void)s; family("nhanes_sdr_"); }
static void test_acs(void **s) { (void)s; family("nhanes_acs_"); }
static void test_brr(void **s) { (void)s; family("nhanes_brr_"); }
static void test_fay(void **s) { (void)s; family("nhanes_fay_"); }
static void test_apiclus1(void **s) { (void)s; family("apiclus1_jk1_"); }

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
