/*
 * test_survey.c - survey files: every key, and every bad entry pinned to
 * its line.
 */
#include "test_util.h"
#include "graft/survey.h"

static void test_demo_round1(void **state)
{
    (void)state;
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load("surveys/demo/round1.ini", &s, &diag),
                     GRAFT_OK);
    assert_string_equal(s->name, "Demo bribery-experience survey");
    assert_string_equal(s->round, "Round 1");
    assert_int_equal(s->year, 2023);
    assert_string_equal(s->data, "surveys/demo/round1.csv");
    assert_string_equal(s->design.weight, "weight");
    assert_int_equal(s->design.n_strata, 1);
    assert_string_equal(s->design.strata[0], "stratum");
    assert_string_equal(s->design.psu, "ea");
    assert_null(s->design.fpc);
    assert_int_equal(s->design.nest, 1);
    assert_int_equal(s->design.lonely, GRAFT_LONELY_ADJUST);
    assert_true(s->n_missing >= 16);
    assert_string_equal(s->missing[0].column, "contact_police");
    assert_int_equal(s->missing[0].n_codes, 2);
    assert_close(s->missing[0].codes[0], 8, 0, 0);
    assert_close(s->missing[0].codes[1], 9, 0, 0);
    const graft_labelset_t *zone = NULL;
    for (size_t i = 0; i < s->n_labels; i++)
        if (strcmp(s->labels[i].column, "zone") == 0)
            zone = s->labels[i].labels;
    assert_non_null(zone);
    assert_string_equal(graft_labelset_num(zone, 6), "Capital");
    graft_survey_free(s);
}

static void test_all_keys(void **state)
{
    (void)state;
    const char *path = test_tmp("survey_keys.ini");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[survey]\nname = N ; not a comment\nround = R2\nyear = 2020\n"
          "data = /abs/data.csv\ndelim = ;\nmissing = -1, 98.5\n"
          "[design]\nweight = 1\nstrata = a, b ,c\nfpc = f\nnest = no\n"
          "lonely_psu = average\n"
          "[labels.region]\nTN = Tunis ; Carthage\n7 = Sfax\n"
          "[derive]\npaid_school = Q49C in 1..3\nany_paid =  any(paid_school)\n",
          f);
    fclose(f);
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load(path, &s, &diag), GRAFT_OK);
    assert_string_equal(s->name, "N ; not a comment");
    assert_string_equal(s->data, "/abs/data.csv");
    assert_int_equal(s->delim, ';');
    assert_int_equal(s->n_missing, 1);
    assert_null(s->missing[0].column);
    assert_close(s->missing[0].codes[1], 98.5, 0, 0);
    assert_int_equal(s->design.unweighted, 1);
    assert_int_equal(s->design.n_strata, 3);
    assert_string_equal(s->design.strata[1], "b");
    assert_string_equal(s->design.strata[2], "c");
    assert_string_equal(s->design.fpc, "f");
    assert_int_equal(s->design.nest, 0);
    assert_int_equal(s->has_nest, 1);
    assert_int_equal(s->design.lonely, GRAFT_LONELY_AVERAGE);
    assert_string_equal(graft_labelset_str(s->labels[0].labels, "TN"),
                        "Tunis ; Carthage");
    assert_string_equal(graft_labelset_num(s->labels[0].labels, 7), "Sfax");
    assert_int_equal(s->n_derived, 2);
    assert_string_equal(s->derived[1].name, "any_paid");
    assert_string_equal(s->derived[1].expr, "any(paid_school)");
    assert_int_equal(s->derived[1].src.line, 19);
    assert_int_equal(s->derived[1].src.col, 13);
    assert_string_equal(s->derived[1].src.file, path);
    graft_survey_free(s);
    unlink(path);
}

/* A long derived expression must not be cut at inih's default 200. */
static void test_long_line(void **state)
{
    (void)state;
    const char *path = test_tmp("survey_long.ini");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[survey]\nname = ", f);
    for (int i = 0; i < 500; i++)
        fputs("abcdefghij", f);
    fputs("\n", f);
    fclose(f);
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load(path, &s, &diag), GRAFT_OK);
    assert_int_equal(strlen(s->name), 5000);
    graft_survey_free(s);
    unlink(path);
}

static void expect_bad(const char *file, graft_error_t code,
                       const char *message)
{
    graft_survey_t *s = (graft_survey_t *)1;
    graft_diag_t diag;
    char path[256], buf[2200];
    snprintf(path, sizeof path, "tests/data/survey/%s", file);
    assert_int_equal(graft_survey_load(path, &s, &diag), code);
    assert_null(s);
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf), message);
}

static void test_bad_files(void **state)
{
    (void)state;
    expect_bad("nope.ini", GRAFT_ERR_OPEN,
               "tests/data/survey/nope.ini: cannot open: No such file or "
               "directory");
    expect_bad("unknown_key.ini", GRAFT_ERR_SURVEY_FILE,
               "tests/data/survey/unknown_key.ini:5: unknown key 'bogus' in "
               "[design]");
    expect_bad("unknown_section.ini", GRAFT_ERR_SURVEY_FILE,
               "tests/data/survey/unknown_section.ini:4: unknown section "
               "[weird] (expected survey, design, missing, derive, "
               "questions, calibration or labels.COLUMN)");
    expect_bad("bad_nest.ini", GRAFT_ERR_SURVEY_FILE,
               "tests/data/survey/bad_nest.ini:3: nest 'maybe' must be true "
               "or false");
    expect_bad("bad_lonely.ini", GRAFT_ERR_SURVEY_FILE,
               "tests/data/survey/bad_lonely.ini:2: lonely_psu 'drop' must "
               "be fail, remove, certainty, adjust or average");
    expect_bad("bad_missing.ini", GRAFT_ERR_SURVEY_FILE,
               "tests/data/survey/bad_missing.ini:2: missing codes '8, nine' "
               "are not a list of numbers");
    expect_bad("bad_syntax.ini", GRAFT_ERR_SURVEY_FILE,
               "tests/data/survey/bad_syntax.ini:2: not a valid INI line "
               "(expected [section] or key = value)");
    expect_bad("bad_year.ini", GRAFT_ERR_SURVEY_FILE,
               "tests/data/survey/bad_year.ini:2: year '20x4' is not a "
               "four-digit year");
}

static void test_parse_codes(void **state)
{
    (void)state;
    double *codes = NULL;
    size_t n = 0;
    assert_int_equal(graft_parse_codes(" 8, 9,-1 ", &codes, &n), 0);
    assert_int_equal(n, 3);
    assert_close(codes[2], -1, 0, 0);
    free(codes);
    assert_int_equal(graft_parse_codes("8,,9", &codes, &n), 3);
    assert_int_equal(graft_parse_codes("", &codes, &n), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_round1), cmocka_unit_test(test_all_keys),
        cmocka_unit_test(test_long_line),   cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_parse_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
