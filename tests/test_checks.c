/*
 * test_checks.c - numbers that are never silently wrong (issue 13, items
 * 4, 5 and 8): a value label that does not exist, a compared string that
 * never occurs, [derive] names that clash, sums that overflow, two
 * indicators with one name, and the sign of cv.
 *
 * The binary under test is $GRAFT_BIN (set by `make check`), else ./graft.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "graft.h"

#include <gsl/gsl_errno.h>

static spawn_result_t R;

#define D "tests/data/checks/"
#define SAV "tests/data/stat/survey.sav"
#define TUN SHARED_AFRO "/tun_r7_data.sav"

/* Run graft with the NULL-terminated arguments; fill R. */
static void run(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    spawn_graft_v(&R, arg, ap);
    va_end(ap);
}

/* The CSV line of stdout that starts with PREFIX (a static copy), or fail. */
static const char *out_line(const char *prefix)
{
    static char line[4096];
    size_t n = strlen(prefix);
    for (const char *p = R.out; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len >= n && strncmp(p, prefix, n) == 0 && len < sizeof line) {
            memcpy(line, p, len);
            line[len] = '\0';
            return line;
        }
        p += len + (end != NULL);
    }
    fail_msg("no line starting with '%s' in:\n%s", prefix, R.out);
    return NULL;
}

/* ---- item 4: value labels and values that never occur ----------------- */

/* survey.sav's region is labelled 1 = "Great Tunis": a label in the wrong
 * case is refused (it used to give estimate 0, se 0). */
static void test_label_typo_sav(void **state)
{
    (void)state;
    run("estimate", SAV, "--weight", "wt", "--prop",
        "region == 'great tunis'", "--format", "csv", NULL);
    spawn_expect_error(&R, GRAFT_EXIT_DATA,
                       "--prop:1:11: 'great tunis' is not a value label of "
                       "region (did you mean 'Great Tunis'?)");
    assert_string_equal(R.out, "");
    /* In a list, written on the left, in --among: the same check. */
    run("estimate", SAV, "--weight", "wt", "--prop", "x > 100", "--among",
        "region in {'Great Tunis', 'Nort East'}", NULL);
    spawn_expect_error(&R, GRAFT_EXIT_DATA,
                       "--among:1:27: 'Nort East' is not a value label of "
                       "region (did you mean 'North East'?)");
    run("estimate", SAV, "--weight", "wt", "--prop",
        "'Sahara' != region", NULL);
    spawn_expect_error(&R, GRAFT_EXIT_DATA,
                       "--prop:1:1: 'Sahara' is not a value label of region "
                       "(its labels: 'Great Tunis', 'North East', 'North "
                       "West', 'Center East', ...)");
    /* The label itself and the code as text still select the rows. */
    run("estimate", SAV, "--weight", "wt", "--prop",
        "region == 'Great Tunis'", "--name", "label", "--prop",
        "region == '1'", "--name", "code", "--prop", "region == 1", "--name",
        "number", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(R.err, "");
    char want[512];
    snprintf(want, sizeof want, "%s", out_line("number,") + 6);
    assert_string_equal(out_line("label,") + 5, want);
    assert_string_equal(out_line("code,") + 4, want);
    assert_null(strstr(want, "never occurs"));
}

/* The same with the Tunisia round 7 file from the shared data. */
static void test_label_typo_tunisia(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    run("estimate", TUN, "--weight", "withinwt", "--prop",
        "REGION == 'great tunis'", NULL);
    spawn_expect_error(&R, GRAFT_EXIT_DATA,
                       "--prop:1:11: 'great tunis' is not a value label of "
                       "REGION (did you mean 'Great Tunis'?)");
    run("estimate", TUN, "--weight", "withinwt", "--prop",
        "REGION == 'Great Tunis'", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_null(strstr(R.out, "never occurs"));
}

/* A CSV whose survey file labels REGION: the labels are checked too, in
 * --prop and in an analysis file (with its file, line and column). */
static void test_label_typo_survey_labels(void **state)
{
    (void)state;
    run("estimate", "--survey", D "labelled.ini", "--prop",
        "REGION == 'north coast'", NULL);
    spawn_expect_error(&R, GRAFT_EXIT_DATA,
                       "--prop:1:11: 'north coast' is not a value label of "
                       "REGION (did you mean 'North Coast'?)");
    const char *ana = test_tmp("label_typo.ini");
    test_write_file(ana, "[indicator.south]\n"
                         "type = prop\n"
                         "expr = REGION == 'Suoth'\n");
    run("estimate", "--survey", D "labelled.ini", "--analysis", ana, NULL);
    char want[1024];
    snprintf(want, sizeof want,
             "%s:3:18: 'Suoth' is not a value label of REGION (did you "
             "mean 'South'?)",
             ana);
    spawn_expect_error(&R, GRAFT_EXIT_DATA, want);
    run("estimate", "--survey", D "labelled.ini", "--prop",
        "REGION == 'North Coast'", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(R.err, "");
}

/* A plain string column: a value that no row holds is a warning (once,
 * after the pass) and a flag on the indicator's rows, not an error. */
static void test_string_never_occurs(void **state)
{
    (void)state;
    run("estimate", SAV, "--weight", "wt", "--prop", "s == 'Tunsi'",
        "--name", "typo", "--prop", "s == 'Tunis'", "--name", "ok",
        "--by", "region", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(R.err, "graft: warning: --prop:1:6: value 'Tunsi' "
                               "of s never occurs in " SAV "\n");
    assert_non_null(strstr(out_line("typo,All,"),
                           "value 'Tunsi' of s never occurs"));
    assert_non_null(strstr(out_line("typo,North East,"),
                           "value 'Tunsi' of s never occurs"));
    assert_null(strstr(out_line("ok,All,"), "never occurs"));
    /* != and in-lists are checked as well; a value seen on some row is
     * not reported. */
    run("estimate", SAV, "--weight", "wt", "--prop",
        "s in {'Tunis', 'Sfx'}", "--prop", "x > 1", "--among",
        "s != 'Sousse '", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(R.err,
                        "graft: warning: --prop:1:16: value 'Sfx' of s "
                        "never occurs in " SAV "\n"
                        "graft: warning: --among:1:6: value 'Sousse ' of s "
                        "never occurs in " SAV "\n");
}

/* A value in a derived variable flags every indicator that uses it,
 * directly or through another derived variable. */
/* graft run prints the warnings of every round, as estimate does. */
static void test_run_never_occurs(void **state)
{
    (void)state;
    run("run", D "run_never.ini", "-o", test_tmp("run_never"), NULL);
    spawn_expect_ok(&R);
    assert_non_null(strstr(R.err, "graft: warning: " D "run_never.ini:9:16: "
                                  "value 'nort' of town never occurs in " D
                                  "labelled.csv\n"));
    assert_non_null(strstr(R.err, "graft: warning: " D "run_never.ini:9:16: "
                                  "value 'nort' of town never occurs in " D
                                  "labelled_b.csv\n"));
}

static void test_derived_never_occurs(void **state)
{
    (void)state;
    run("estimate", "--survey", D "derive_never.ini", "--prop", "north2",
        "--prop", "y > 0", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(R.err,
                        "graft: warning: " D "derive_never.ini:8:30: value "
                        "'nort' of town never occurs in " D "labelled.csv\n");
    assert_non_null(
        strstr(out_line("north2,"), "value 'nort' of town never occurs"));
    assert_null(strstr(out_line("y > 0,"), "never occurs"));
}

/* The library returns the warnings; it prints nothing. */
static void test_library_warnings(void **state)
{
    (void)state;
    graft_indicator_spec_t ind[2] = {
        {.type = GRAFT_IND_PROP, .expr = "town == 'west'",
         .expr_src = {"--prop", 1, 1}},
        {.type = GRAFT_IND_MEAN, .expr = "y", .among = "town != 'North'",
         .expr_src = {"--mean", 1, 1}, .among_src = {"--among", 1, 1}}};
    graft_estimate_opts_t o = {.indicators = ind, .n_indicators = 2,
                               .level = 0.95};
    graft_design_spec_t spec;
    graft_design_spec_init(&spec);
    spec.weight = "w";
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_estimate_file(D "labelled.csv", NULL, &spec, &o,
                                         &e, &diag),
                     GRAFT_OK);
    assert_int_equal(e->n_warnings, 2);
    assert_string_equal(e->warnings[0], "--prop:1:9: value 'west' of town "
                                        "never occurs in " D "labelled.csv");
    assert_string_equal(e->warnings[1], "--among:1:9: value 'North' of town "
                                        "never occurs in " D "labelled.csv");
    assert_int_equal(e->n_rows, 2);
    assert_non_null(strstr(e->rows[0].flag, "value 'west' of town never"));
    assert_null(strstr(e->rows[0].flag, "North"));
    assert_non_null(strstr(e->rows[1].flag, "value 'North' of town never"));
    graft_estimates_free(e);
}

/* ---- item 5: [derive] ---------------------------------------------------- */

static void test_derive_defined_twice(void **state)
{
    (void)state;
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load(D "derive_dup.ini", &s, &diag),
                     GRAFT_ERR_SURVEY_FILE);
    assert_null(s);
    run("estimate", "--survey", D "derive_dup.ini", "--prop", "coastal",
        NULL);
    spawn_expect_error(&R, GRAFT_EXIT_DATA,
                       D "derive_dup.ini:10: derived variable 'coastal' is "
                         "defined twice (first on line 8)");
}

static void test_derive_shadows_column(void **state)
{
    (void)state;
    run("estimate", "--survey", D "derive_column.ini", "--prop", "high",
        NULL);
    spawn_expect_error(&R, GRAFT_EXIT_DATA,
                       D "derive_column.ini:9: derived variable 'y' has the "
                         "name of a column of " D "labelled.csv: give it "
                         "another name");
    assert_string_equal(R.out, "");
    /* compare reads every round's derived variables the same way. */
    run("compare", D "labelled_b.ini", D "derive_column.ini", "--prop",
        "y > 0", NULL);
    spawn_expect_error(&R, GRAFT_EXIT_DATA,
                       D "derive_column.ini:9: derived variable 'y' has the "
                         "name of a column of " D "labelled.csv: give it "
                         "another name");
}

/* ---- item 8: overflow, duplicate names, cv ------------------------------ */

/* Values of 1e308: the weighted sums overflow.  se and cv used to print 0;
 * now every number the sums give is empty, and the flag says why. */
static void test_total_overflows(void **state)
{
    (void)state;
    run("estimate", D "overflow.csv", "--weight", "w", "--total", "y",
        "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(
        out_line("y,"),
        "y,,,,,,,,3,0,6,,suppress: total overflows (a weighted sum is "
        "beyond the largest double)");
    run("estimate", D "overflow.csv", "--weight", "w", "--mean", "y",
        "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(
        out_line("y,"),
        "y,,,,,,,,3,0,6,,suppress: mean overflows (a weighted sum is "
        "beyond the largest double)");
}

/* Values of 1e160: the estimate is a number, its variance is not. */
static void test_variance_overflows(void **state)
{
    (void)state;
    graft_indicator_spec_t ind[1] = {
        {.type = GRAFT_IND_TOTAL, .expr = "y", .expr_src = {"--total", 1, 1}}};
    graft_estimate_opts_t o = {.indicators = ind, .n_indicators = 1,
                               .level = 0.95};
    graft_design_spec_t spec;
    graft_design_spec_init(&spec);
    spec.weight = "w";
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_estimate_file(D "overflow_var.csv", NULL, &spec,
                                         &o, &e, &diag),
                     GRAFT_OK);
    const graft_estimate_row_t *r = &e->rows[0];
    assert_close(r->estimate, 2e160 + 9e160 - 5, 1e-15, 0);
    assert_true(isnan(r->se));
    assert_true(isnan(r->cv));
    assert_true(isnan(r->ci_low) && isnan(r->ci_high));
    assert_string_equal(r->flag, "suppress: variance overflows (a weighted "
                                 "sum is beyond the largest double)");
    graft_estimates_free(e);
    /* With PSUs (per-PSU totals), the same. */
    run("estimate", D "overflow_var.csv", "--weight", "w", "--psu", "y",
        "--total", "y", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(out_line("y,"),
                        "y,1.1e+161,,,,,,,3,0,6,,suppress: variance "
                        "overflows (a weighted sum is beyond the largest "
                        "double)");
    /* A difference of two such rounds: its se is not 0 but unknown. */
    run("compare", D "overflow_var.csv", D "overflow_var_b.csv", "--weight",
        "w", "--total", "y", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_string_equal(out_line("y,"),
                        "y,1.1e+161,1.1e+161,0,,,,4,,,,0,3,3,");
}

/* --mean y --total y: the rows are named by type; a name used twice
 * otherwise is refused. */
static void test_duplicate_names(void **state)
{
    (void)state;
    run("estimate", D "labelled.csv", "--weight", "w", "--mean", "y",
        "--total", "y", "--prop", "y > 0", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_non_null(out_line("mean(y),0.21153846153846154,"));
    assert_non_null(out_line("total(y),1.375,"));
    assert_non_null(out_line("y > 0,"));
    /* --name keeps its name; the other one is then unique. */
    run("estimate", D "labelled.csv", "--weight", "w", "--mean", "y",
        "--name", "avg", "--total", "y", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_non_null(out_line("avg,"));
    assert_non_null(out_line("y,1.375,"));
    /* The same name twice in any other way: refused. */
    run("estimate", D "labelled.csv", "--weight", "w", "--prop", "y > 0",
        "--among", "REGION == 1", "--prop", "y > 0", "--among",
        "REGION == 2", NULL);
    spawn_expect_error(&R, GRAFT_EXIT_USAGE,
                       "--prop:1:1: two indicators are named 'y > 0': give "
                       "each its own name (--name)");
    run("estimate", D "labelled.csv", "--weight", "w", "--mean", "y",
        "--total", "y", "--prop", "y > 0", "--name", "mean(y)", NULL);
    spawn_expect_error(&R, GRAFT_EXIT_USAGE,
                       "--prop:1:1: two indicators are named 'mean(y)': "
                       "give each its own name (--name)");
    run("compare", D "labelled.ini", D "labelled_b.ini", "--mean", "y",
        "--total", "y", "--format", "csv", NULL);
    spawn_expect_ok(&R);
    assert_non_null(strstr(R.out, "mean(y)"));
    assert_non_null(strstr(R.out, "total(y)"));
}

/* cv is se / estimate, negative for a negative estimate, as R's
 * cv.default (survey R/survey.R: SE(object)/coef(object), with a warning
 * "CV may not be useful for negative statistics"): the means and totals of
 * tests/ref/checks_cv_ref.csv (tests/R/checks_ref.R), in all rows and in
 * the rows with y < 0. */
static void test_negative_cv(void **state)
{
    (void)state;
    graft_indicator_spec_t ind[4];
    static const char *const names[4] = {"mean,all", "total,all",
                                         "mean,neg", "total,neg"};
    for (size_t k = 0; k < 4; k++)
        ind[k] = (graft_indicator_spec_t){
            .type = k % 2 ? GRAFT_IND_TOTAL : GRAFT_IND_MEAN,
            .name = names[k], .expr = "y", .among = k < 2 ? NULL : "y < 0",
            .expr_src = {"--mean", 1, 1}, .among_src = {"--among", 1, 1}};
    graft_estimate_opts_t o = {.indicators = ind, .n_indicators = 4,
                               .level = 0.95};
    graft_design_spec_t spec;
    graft_design_spec_init(&spec);
    spec.weight = "w";
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_estimate_file(D "labelled.csv", NULL, &spec, &o,
                                         &e, &diag),
                     GRAFT_OK);
    assert_int_equal(e->n_rows, 4);
    FILE *f = fopen("tests/ref/checks_cv_ref.csv", "r");
    assert_non_null(f);
    char line[512];
    size_t seen = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        char stat[16], dom[16];
        double est, se, cv;
        assert_int_equal(sscanf(line, "%15[^,],%15[^,],%lf,%lf,%lf", stat,
                                dom, &est, &se, &cv),
                         5);
        char name[40];
        snprintf(name, sizeof name, "%s,%s", stat, dom);
        for (size_t k = 0; k < 4; k++) {
            if (strcmp(names[k], name) != 0)
                continue;
            const graft_estimate_row_t *r = &e->rows[k];
            assert_close(r->estimate, est, REL_TOL, 0);
            assert_close(r->se, se, REL_TOL, 0);
            assert_close(r->cv, cv, REL_TOL, 0);
            assert_close(graft_ci_cv(r->estimate, r->se), cv, REL_TOL, 0);
            assert_true(strcmp(dom, "neg") != 0 || r->cv < 0);
            seen++;
        }
    }
    fclose(f);
    assert_int_equal(seen, 4);
    graft_estimates_free(e);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_typo_sav),
        cmocka_unit_test(test_label_typo_tunisia),
        cmocka_unit_test(test_label_typo_survey_labels),
        cmocka_unit_test(test_string_never_occurs),
        cmocka_unit_test(test_derived_never_occurs),
        cmocka_unit_test(test_run_never_occurs),
        cmocka_unit_test(test_library_warnings),
        cmocka_unit_test(test_derive_defined_twice),
        cmocka_unit_test(test_derive_shadows_column),
        cmocka_unit_test(test_total_overflows),
        cmocka_unit_test(test_variance_overflows),
        cmocka_unit_test(test_duplicate_names),
        cmocka_unit_test(test_negative_cv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
