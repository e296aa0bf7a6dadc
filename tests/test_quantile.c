/*
 * test_quantile.c - quantile indicators against R's survey package
 * (svyquantile: qrule "math", Woodruff intervals), the rule itself, the
 * probability lists, and the command line's --quantile and type =
 * quantile.
 *
 * tests/ref/quantile_cases.csv lists each case in graft's terms;
 * tests/ref/quantile_ref.csv holds R's answer per domain and probability,
 * tests/ref/quantile_rule.csv survey:::qrule_math on small inputs
 * (tests/R/quantile_ref.R).  Estimates, se, interval ends and weighted n
 * agree to 1e-9 relative; df and n exactly; a bound R leaves undefined
 * (NaN) is undefined here too, and the row is flagged.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "graft/estimate.h"
#include "graft/analysis.h"
#include "stats/quantile.h"
#include "test_table.h"

#include <gsl/gsl_errno.h>

#define CASES "tests/ref/quantile_cases.csv"
#define REFS "tests/ref/quantile_ref.csv"
#define RULE "tests/ref/quantile_rule.csv"

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

/* ---- the cases ---------------------------------------------------------- */

/* The indicators of a case: one quantile per probability, named "q pNN". */
typedef struct qcase {
    graft_indicator_spec_t ind[GRAFT_MAX_QUANTILE_PROBS];
    char names[GRAFT_MAX_QUANTILE_PROBS][32];
    double probs[GRAFT_MAX_QUANTILE_PROBS];
    size_t n;
} qcase_t;

static void qcase_read(const table_t *C, size_t i, table_case_t *tc,
                       qcase_t *q)
{
    char list[256], msg[160];
    table_case_read(C, i, tc);
    snprintf(list, sizeof list, "%s", cell(C, i, "probs"));
    for (char *s = list; *s; s++)
        *s = *s == ';' ? ',' : *s;
    if (!graft_quantile_probs_parse(list, q->probs, &q->n, msg, sizeof msg))
        fail_msg("%s: %s", cell(C, i, "case"), msg);
    for (size_t k = 0; k < q->n; k++) {
        q->ind[k] = tc->ind;
        q->ind[k].type = GRAFT_IND_QUANTILE;
        q->ind[k].prob = q->probs[k];
        graft_quantile_name(q->names[k], sizeof q->names[k], "q",
                            q->probs[k]);
        q->ind[k].name = q->names[k];
    }
    tc->opts.indicators = q->ind;
    tc->opts.n_indicators = q->n;
    tc->opts.df_mode = strcmp(cell(C, i, "df"), "design") == 0
                           ? GRAFT_DF_DESIGN
                           : GRAFT_DF_DOMAIN;
}

/* The row of indicator K in DOMAIN ("All" or codes joined by ':'). */
static const graft_estimate_row_t *row_of(const graft_estimates_t *e,
                                          size_t k, const char *domain)
{
    for (size_t i = 0; i < e->n_rows; i++) {
        const graft_estimate_row_t *r = &e->rows[i];
        char key[512] = "";
        if (r->indicator != k)
            continue;
        if (r->by_set == (size_t)-1)
            strcpy(key, "All");
        for (size_t j = 0; r->by_set != (size_t)-1 &&
                           j < e->opts->by[r->by_set].n_columns; j++) {
            if (j)
                strcat(key, ":");
            strncat(key, r->by_codes[j], sizeof key - strlen(key) - 2);
        }
        if (strcmp(key, domain) == 0)
            return r;
    }
    return NULL;
}

/* One reference row against graft's; returns the mismatches (printed). */
static int compare_row(const char *name, const char *domain, double p,
                       const graft_estimate_row_t *row, size_t ref,
                       size_t *n_compared)
{
    int bad = 0;
    struct { const char *what; double got, rel; } checks[] = {
        {"estimate", row->estimate, REL_TOL},
        {"se", row->se, REL_TOL},
        {"ci_low", row->ci_low, REL_TOL},
        {"ci_high", row->ci_high, REL_TOL},
        {"df", row->df, 0},
        {"n", (double)row->n, 0},
        {"weighted_n", row->weighted_n, REL_TOL},
    };
    for (size_t k = 0; k < sizeof checks / sizeof checks[0]; k++) {
        double want = strtod(cell(&REFS_T, ref, checks[k].what), NULL);
        (*n_compared)++;
        if (!test_close_ok(checks[k].got, want, checks[k].rel, 1e-15)) {
            printf("FAIL %s [%s] p %g %s: graft %.17g, R %.17g\n", name,
                   domain, p, checks[k].what, checks[k].got, want);
            bad++;
        }
    }
    /* An undefined bound is never silent. */
    if ((isnan(row->ci_low) || isnan(row->ci_high)) &&
        !strstr(row->flag, "Woodruff CI undefined")) {
        printf("FAIL %s [%s] p %g: undefined bound, flag '%s'\n", name,
               domain, p, row->flag);
        bad++;
    }
    return bad;
}

/* Every reference row of case NAME against E. */
static int compare_case(const char *name, const qcase_t *q,
                        const graft_estimates_t *e, size_t *n_compared)
{
    int bad = 0;
    size_t matched = 0;
    for (size_t r = 0; r < REFS_T.nrows; r++) {
        if (strcmp(cell(&REFS_T, r, "case"), name) != 0)
            continue;
        const char *domain = cell(&REFS_T, r, "domain");
        double p = strtod(cell(&REFS_T, r, "prob"), NULL);
        size_t k = 0;
        while (k < q->n && q->probs[k] != p)
            k++;
        const graft_estimate_row_t *row = k < q->n ? row_of(e, k, domain)
                                                   : NULL;
        if (!row) {
            printf("FAIL %s [%s] p %g: no such row in graft's output\n",
                   name, domain, p);
            bad++;
            continue;
        }
        matched++;
        bad += compare_row(name, domain, p, row, r, n_compared);
    }
    /* graft's other rows are domains without a row of the indicator,
     * which R's svyby leaves out */
    size_t empty = 0;
    for (size_t i = 0; i < e->n_rows; i++)
        if (e->rows[i].n == 0 &&
            strcmp(e->rows[i].flag, "suppress: empty domain") == 0 &&
            isnan(e->rows[i].estimate))
            empty++;
    if (matched == 0 || matched + empty != e->n_rows) {
        printf("FAIL %s: %zu reference rows for graft's %zu\n", name,
               matched, e->n_rows);
        bad++;
    }
    return bad;
}

/* Run case I of C on FILE; the mismatches with R. */
static int run_on(const table_t *C, size_t i, const char *file,
                  size_t *n_compared)
{
    const char *name = cell(C, i, "case");
    table_design_t td;
    table_case_t tc;
    qcase_t q;
    table_design_read(C, i, &td);
    qcase_read(C, i, &tc, &q);
    graft_design_spec_t spec = td.spec;
    if (*cell(C, i, "reptype")) {
        spec.rep.columns = cell(C, i, "repweights");
        assert_true(graft_reptype_parse(cell(C, i, "reptype"),
                                        &spec.rep.type));
        spec.rep.rho = spec.rep.scale = NAN;
    }
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    if (graft_estimate_file(file, &td.read, &spec, &tc.opts, &e, &diag) !=
        GRAFT_OK) {
        char buf[2200];
        printf("FAIL %s: %s\n", name,
               graft_diag_format(&diag, buf, sizeof buf));
        return 1;
    }
    int bad = compare_case(name, &q, e, n_compared);
    graft_estimates_free(e);
    /* a file grouped by PSU streams its PSU totals past a budget of one
     * byte: the df and n the quantile rows take from the pass are the
     * same */
    tc.opts.psu_budget = 1;
    if (graft_estimate_file(file, &td.read, &spec, &tc.opts, &e, &diag) !=
        GRAFT_OK) {
        printf("FAIL %s (budget 1): %s\n", name, diag.msg);
        return bad + 1;
    }
    bad += compare_case(name, &q, e, n_compared);
    graft_estimates_free(e);
    return bad;
}

/* The case on its file and, for a CSV, on a shuffled copy: rows in any
 * order give R's numbers too. */
static int run_case(const table_t *C, size_t i, size_t *n_compared)
{
    const char *file = cell(C, i, "file");
    if (strncmp(file, "../shared/", 10) == 0 && !test_file_exists(file)) {
        printf("SKIP %s: %s is absent in this clone\n", cell(C, i, "case"),
               file);
        return 0;
    }
    int bad = run_on(C, i, file, n_compared);
    size_t len = strlen(file);
    if (len > 4 && strcmp(file + len - 4, ".csv") == 0)
        bad += run_on(C, i, table_shuffled(file), n_compared);
    return bad;
}

static void family(const char *prefix)
{
    run_family(&CASES_T, prefix, run_case);
}

static void test_apistrat(void **s) { (void)s; family("apistrat_"); }
static void test_apiclus1(void **s) { (void)s; family("apiclus1_"); }
static void test_replicates(void **s) { (void)s; family("rep_"); }
static void test_demo(void **s) { (void)s; family("demo_"); }

static void test_tunisia(void **s)
{
    (void)s;
    SKIP_WITHOUT_SHARED();
    family("tun_");
}

/* ---- the rule ----------------------------------------------------------- */

static const double *rule_x; /* qsort has no context argument */

static int cmp_index(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    if (rule_x[a] != rule_x[b])
        return rule_x[a] < rule_x[b] ? -1 : 1;
    return (a > b) - (a < b);
}

/* survey:::qrule_math on every row of quantile_rule.csv: the values
 * sorted, zero weights dropped. */
static void test_rule(void **s)
{
    (void)s;
    table_t t;
    table_load(&t, RULE);
    assert_true(t.nrows >= 10);
    for (size_t r = 0; r < t.nrows; r++) {
        char xs[512], ws[512];
        const char *xt[64], *wt[64];
        double x[64], w[64], sx[64], sw[64];
        size_t idx[64], m = 0;
        snprintf(xs, sizeof xs, "%s", cell(&t, r, "x"));
        snprintf(ws, sizeof ws, "%s", cell(&t, r, "w"));
        size_t n = table_split(xs, xt, 64, ";");
        assert_int_equal(table_split(ws, wt, 64, ";"), n);
        for (size_t i = 0; i < n; i++) {
            x[i] = strtod(xt[i], NULL);
            w[i] = strtod(wt[i], NULL);
            if (w[i] > 0)
                idx[m++] = i;
        }
        rule_x = x;
        qsort(idx, m, sizeof *idx, cmp_index);
        for (size_t i = 0; i < m; i++) {
            sx[i] = x[idx[i]];
            sw[i] = w[idx[i]];
        }
        double p = strtod(cell(&t, r, "p"), NULL);
        double want = strtod(cell(&t, r, "q"), NULL);
        double got = graft_quant_rule(sx, sw, m, p);
        if (got != want)
            fail_msg("row %zu (x %s, p %g): graft %.17g, R %.17g", r + 1,
                     cell(&t, r, "x"), p, got, want);
    }
    table_free(&t);
}

/* ---- probability lists -------------------------------------------------- */

static void expect_probs_error(const char *text, const char *msg)
{
    double p[GRAFT_MAX_QUANTILE_PROBS];
    size_t n;
    char got[160];
    assert_int_equal(graft_quantile_probs_parse(text, p, &n, got, sizeof got),
                     0);
    assert_string_equal(got, msg);
}

static void test_probs(void **s)
{
    (void)s;
    double p[GRAFT_MAX_QUANTILE_PROBS];
    size_t n;
    char msg[160];
    assert_int_equal(graft_quantile_probs_parse(" 0.25,0.5 , .75", p, &n,
                                                msg, sizeof msg),
                     1);
    assert_int_equal(n, 3);
    assert_true(p[0] == 0.25 && p[1] == 0.5 && p[2] == 0.75);
    expect_probs_error("0.5,x", "'x' is not a number");
    expect_probs_error("0.5,", "a probability is missing");
    expect_probs_error("", "a probability is missing");
    expect_probs_error("1", "probability 1 is not strictly between 0 and 1");
    expect_probs_error("0", "probability 0 is not strictly between 0 and 1");
    expect_probs_error("-0.5",
                       "probability -0.5 is not strictly between 0 and 1");
    expect_probs_error("1.5",
                       "probability 1.5 is not strictly between 0 and 1");
    expect_probs_error("nan", "'nan' is not a number");
    expect_probs_error("0x0.8", "'0x0.8' is not a number");
    expect_probs_error("0.5,0.50", "probability 0.50 is listed twice");
    char name[32];
    assert_int_equal(graft_quantile_name(name, sizeof name, "a", 0.25), 5);
    assert_string_equal(name, "a p25");
    graft_quantile_name(name, sizeof name, "a", 0.975);
    assert_string_equal(name, "a p97.5");
    graft_quantile_name(name, sizeof name, "a", 0.1);
    assert_string_equal(name, "a p10");
}

/* ---- the command line --------------------------------------------------- */

#define R1 "surveys/demo/round1.ini"

static void test_cli_errors(void **s)
{
    (void)s;
    spawn_result_t res;
    spawn_graft(&res, "estimate", R1, "--quantile", "amount", NULL);
    spawn_expect_error(&res, 64,
                       "--quantile 'amount': give the expression, ':' and "
                       "the probabilities, e.g. 'amount:0.5' or "
                       "'amount:0.25,0.5,0.75'");
    spawn_graft(&res, "estimate", R1, "--quantile", "amount:0.5,x", NULL);
    spawn_expect_error(&res, 64,
                       "--quantile 'amount:0.5,x': 'x' is not a number");
    spawn_graft(&res, "estimate", R1, "--quantile", "amount:1.5", NULL);
    spawn_expect_error(&res, 64,
                       "--quantile 'amount:1.5': probability 1.5 is not "
                       "strictly between 0 and 1");
    spawn_graft(&res, "estimate", R1, "--quantile", "amount:0", NULL);
    spawn_expect_error(&res, 64,
                       "--quantile 'amount:0': probability 0 is not "
                       "strictly between 0 and 1");
    spawn_graft(&res, "estimate", R1, "--quantile", "amount:", NULL);
    spawn_expect_error(&res, 64,
                       "--quantile 'amount:': a probability is missing");
    spawn_graft(&res, "estimate", R1, "--quantile", ":0.5", NULL);
    spawn_expect_error(&res, 64, "--quantile ':0.5': no expression before "
                                 "':'");
    spawn_graft(&res, "estimate", R1, "--quantile", "zone == :0.5", NULL);
    spawn_expect_error(&res, 64,
                       "--quantile:1:9: unexpected end of expression");
}

/* --among and --name apply to every probability; rows are named by
 * probability; the numbers are the library's (checked against R above). */
static void test_cli_rows(void **s)
{
    (void)s;
    const char *among_police = "paid_police == 1";
    spawn_result_t res;
    spawn_graft(&res, "estimate", R1, "--quantile", "amount:0.5,0.9",
                "--among", "paid_police == 1", "--name", "bribe",
                "--format", "csv", NULL);
    spawn_expect_ok(&res);
    const char *want_start = "indicator,estimate,se,ci_low,ci_high,df,deff,"
                             "cv,n,n_missing,weighted_n,n_eff,flag\n"
                             "bribe p50,";
    assert_int_equal(strncmp(res.out, want_start, strlen(want_start)), 0);
    assert_non_null(strstr(res.out, "\nbribe p90,"));
    /* the same numbers as the unnamed option */
    spawn_result_t res2;
    spawn_graft(&res2, "estimate", R1, "--quantile", "amount:0.5",
                "--among", "paid_police == 1", "--format", "csv", NULL);
    spawn_expect_ok(&res2);
    const char *a = strchr(res.out, '\n') + 1, *b = strchr(res2.out, '\n') + 1;
    assert_int_equal(strncmp(a, "bribe p50,", 10), 0);
    assert_int_equal(strncmp(b, "amount p50,", 11), 0);
    size_t la = strcspn(a, "\n") - 10, lb = strcspn(b, "\n") - 11;
    assert_int_equal(la, lb);
    assert_int_equal(memcmp(a + 10, b + 11, la), 0);
    /* JSON names each quantile's probability */
    spawn_graft(&res2, "estimate", R1, "--quantile", "amount:0.9", "--among",
                among_police, "--format", "json", NULL);
    spawn_expect_ok(&res2);
    assert_non_null(strstr(res2.out, "\"name\": \"amount p90\""));
    assert_non_null(strstr(res2.out, "\"type\": \"quantile\""));
    assert_non_null(strstr(res2.out, "\"prob\": 0.9"));
}

/* The number in column COL of the CSV line of TEXT that starts with
 * PREFIX. */
static double csv_field(const char *text, const char *prefix, size_t col)
{
    const char *line = strstr(text, prefix);
    assert_non_null(line);
    for (size_t i = 0; i < col; i++) {
        line = strchr(line, ',');
        assert_non_null(line);
        line++;
    }
    return *line == ',' || *line == '\n' ? NAN : strtod(line, NULL);
}

/* compare: the rounds' quantiles as estimate gives them (the round alone),
 * the change's se sqrt(se1^2 + se2^2) (independent rounds), and a flag
 * where a round's quantile has no se. */
static void test_compare(void **s)
{
    (void)s;
    static spawn_result_t r1, r2, c;
    const char *q = "amount:0.5,0.9", *among = "paid_police == 1";
    spawn_graft(&r1, "estimate", R1, "--quantile", q, "--among", among,
                "--by", "zone", "--format", "csv", NULL);
    spawn_graft(&r2, "estimate", "surveys/demo/round2.ini", "--quantile", q,
                "--among", among, "--by", "zone", "--format", "csv", NULL);
    spawn_graft(&c, "compare", R1, "surveys/demo/round2.ini", "--quantile", q,
                "--among", among, "--by", "zone", "--format", "csv", NULL);
    spawn_expect_ok(&r1);
    spawn_expect_ok(&r2);
    spawn_expect_ok(&c);
    const char *lines[] = {"\namount p50,All,", "\namount p50,West,",
                           "\namount p90,All,"};
    for (size_t i = 0; i < 3; i++) {
        double e1 = csv_field(r1.out, lines[i], 2);
        double e2 = csv_field(r2.out, lines[i], 2);
        double s1 = csv_field(r1.out, lines[i], 3);
        double s2 = csv_field(r2.out, lines[i], 3);
        assert_close(csv_field(c.out, lines[i], 2), e1, 1e-15, 0);
        assert_close(csv_field(c.out, lines[i], 3), e2, 1e-15, 0);
        assert_close(csv_field(c.out, lines[i], 4), e2 - e1, 1e-12, 0);
        assert_close(csv_field(c.out, lines[i], 5), sqrt(s1 * s1 + s2 * s2),
                     1e-12, 0);
    }
    /* North: no upper bound at p90 in round 1, so no se, no test */
    const char *north = strstr(c.out, "\namount p90,North,");
    assert_non_null(north);
    assert_true(isnan(csv_field(r1.out, "\namount p90,North,", 3)));
    assert_true(isnan(csv_field(c.out, "\namount p90,North,", 5)));
    size_t len = strcspn(north + 1, "\n");
    const char *flag = ",no test: a round's quantile has no se (Woodruff CI "
                       "undefined)";
    assert_true(len > strlen(flag));
    assert_int_equal(memcmp(north + 1 + len - strlen(flag), flag,
                            strlen(flag)), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_analysis_file(void **s)
{
    (void)s;
    const char *path = test_tmp("q.ini");
    write_file(path, "[indicator.amt]\nlabel = Amount\ntype = quantile\n"
                     "probs = 0.25, 0.5\nexpr = amount\n"
                     "among = paid_police == 1\n"
                     "[indicator.police]\nexpr = paid_police == 1\n");
    graft_analysis_t *a = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_analysis_load(path, &a, &diag), GRAFT_OK);
    assert_int_equal(a->n_indicators, 3);
    assert_string_equal(a->indicators[0].name, "amt p25");
    assert_string_equal(a->indicators[0].label, "Amount (p25)");
    assert_string_equal(a->indicators[1].name, "amt p50");
    assert_true(a->indicators[1].prob == 0.5);
    assert_string_equal(a->indicators[1].among, "paid_police == 1");
    assert_int_equal(a->indicators[1].type, GRAFT_IND_QUANTILE);
    assert_string_equal(a->indicators[2].name, "police");
    graft_analysis_free(a);

    /* one probability: still named by it */
    write_file(path, "[indicator.amt]\ntype = quantile\nprobs = 0.5\n"
                     "expr = amount\n");
    assert_int_equal(graft_analysis_load(path, &a, &diag), GRAFT_OK);
    assert_int_equal(a->n_indicators, 1);
    assert_string_equal(a->indicators[0].name, "amt p50");
    assert_true(a->indicators[0].prob == 0.5);
    graft_analysis_free(a);

    write_file(path, "[indicator.amt]\ntype = quantile\nexpr = amount\n");
    assert_int_equal(graft_analysis_load(path, &a, &diag),
                     GRAFT_ERR_SURVEY_FILE);
    assert_non_null(strstr(diag.msg, "[indicator.amt] has type quantile but "
                                     "no probs"));
    write_file(path, "[indicator.amt]\nexpr = amount\nprobs = 0.5\n");
    assert_int_equal(graft_analysis_load(path, &a, &diag),
                     GRAFT_ERR_SURVEY_FILE);
    assert_string_equal(diag.msg, "probs is for type = quantile, not prop");
    assert_int_equal(diag.line, 3);
    write_file(path, "[indicator.amt]\ntype = quantile\nprobs = 0.5, 2\n"
                     "expr = amount\n");
    assert_int_equal(graft_analysis_load(path, &a, &diag),
                     GRAFT_ERR_SURVEY_FILE);
    assert_string_equal(diag.msg, "probs '0.5, 2': probability 2 is not "
                                  "strictly between 0 and 1");
    assert_int_equal(diag.line, 3);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apistrat),   cmocka_unit_test(test_apiclus1),
        cmocka_unit_test(test_replicates), cmocka_unit_test(test_demo),
        cmocka_unit_test(test_tunisia),    cmocka_unit_test(test_rule),
        cmocka_unit_test(test_probs),      cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_rows),
        cmocka_unit_test(test_analysis_file),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
