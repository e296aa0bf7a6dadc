/*
 * test_rounds.c - comparisons that are never silently wrong (issue 13,
 * items 1, 2, 3, 6 and 12): every contrast carries its own baseline and
 * follow-up whatever the rounds' order, a round is never compared with
 * itself, rounds with different replicate designs are refused, and chart
 * sections name known rounds and plain file names.
 */
#define _GNU_SOURCE
#include "test_util.h"

#include "test_spawn.h"
#include "test_table.h"

#include <unistd.h>

static spawn_result_t R;

#define R1 "surveys/demo/round1.ini"
#define R2 "surveys/demo/round2.ini"

/* The absolute path of the repository file REL (analysis files in the
 * temporary folder resolve their rounds against their own folder). */
static const char *repo_path(const char *rel)
{
    static char buf[4][1024];
    static int k;
    char cwd[900];
    k = (k + 1) % 4;
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(buf[k], sizeof buf[k], "%s/%s", cwd, rel);
    return buf[k];
}

/* Write an analysis file NAME in the temporary folder: the police and any
 * indicators by zone, rounds r1 and r2 (the demo rounds), then TAIL.
 * Returns its path. */
static const char *analysis(const char *name, const char *tail)
{
    char text[4096];
    snprintf(text, sizeof text,
             "[analysis]\nby = zone\n"
             "[indicator.police]\nexpr = paid_police == 1\n"
             "among = contact_police == 1\n"
             "[indicator.any]\nexpr = paid_any == 1\n"
             "among = contact_any == 1\n"
             "[rounds]\nr1 = %s\nr2 = %s\n%s",
             repo_path(R1), repo_path(R2), tail);
    const char *path = test_tmp(name);
    test_write_file(path, text);
    return path;
}

static double num(const table_t *t, size_t row, const char *col)
{
    return table_num(t, row, table_col(t, col));
}

static void expect_same(double got, double want, const char *what,
                        size_t row)
{
    if (!(got == want) && !(isnan(got) && isnan(want)))
        fail_msg("row %zu %s: got %.17g, want %.17g", row + 1, what, got,
                 want);
}

/* B is A with baseline and follow-up swapped: the same rounds' estimates in
 * swapped columns, exactly the negated difference and interval, the same
 * se and p-values, rel_change on B's own baseline, the verdict flipped. */
static void expect_swapped(const table_t *a, const table_t *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_true(a->nrows > 0);
    for (size_t i = 0; i < a->nrows; i++) {
        assert_string_equal(cell(a, i, "indicator"), cell(b, i, "indicator"));
        assert_string_equal(cell(a, i, "zone"), cell(b, i, "zone"));
        expect_same(num(b, i, "baseline"), num(a, i, "followup"), "baseline",
                    i);
        expect_same(num(b, i, "followup"), num(a, i, "baseline"), "followup",
                    i);
        expect_same(num(b, i, "diff"), -num(a, i, "diff"), "diff", i);
        expect_same(num(b, i, "ci_low"), -num(a, i, "ci_high"), "ci_low", i);
        expect_same(num(b, i, "ci_high"), -num(a, i, "ci_low"), "ci_high", i);
        expect_same(num(b, i, "se_diff"), num(a, i, "se_diff"), "se_diff", i);
        expect_same(num(b, i, "p_value"), num(a, i, "p_value"), "p_value", i);
        expect_same(num(b, i, "p_adjusted"), num(a, i, "p_adjusted"),
                    "p_adjusted", i);
        expect_same(num(b, i, "n_baseline"), num(a, i, "n_followup"),
                    "n_baseline", i);
        expect_same(num(b, i, "n_followup"), num(a, i, "n_baseline"),
                    "n_followup", i);
        /* rel_change = diff / baseline, each on its own baseline */
        assert_close(num(b, i, "rel_change"),
                     num(b, i, "diff") / num(b, i, "baseline"), 1e-15, 0);
        assert_close(num(a, i, "rel_change"),
                     num(a, i, "diff") / num(a, i, "baseline"), 1e-15, 0);
        const char *ca = cell(a, i, "change"), *cb = cell(b, i, "change");
        if (strcmp(ca, "increase") == 0)
            assert_string_equal(cb, "decrease");
        else if (strcmp(ca, "decrease") == 0)
            assert_string_equal(cb, "increase");
        else
            assert_string_equal(cb, ca);
    }
}

/* Rows of TABLE for INDICATOR against R's case CASE in compare_ref.csv
 * (the same order: All, then the zones by code), at 1e-9; SIGN -1 when
 * TABLE has R's baseline as its follow-up. */
static void expect_ref(const table_t *t, const char *indicator,
                       const char *ref_case, int sign)
{
    table_t ref;
    table_load(&ref, "tests/ref/compare_ref.csv");
    size_t r = 0, n = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        if (strcmp(cell(t, i, "indicator"), indicator) != 0)
            continue;
        while (r < ref.nrows && strcmp(cell(&ref, r, "case"), ref_case) != 0)
            r++;
        assert_true(r < ref.nrows);
        const char *b = sign > 0 ? "baseline" : "followup";
        const char *f = sign > 0 ? "followup" : "baseline";
        assert_close(num(t, i, "baseline"), num(&ref, r, b), 1e-9, 0);
        assert_close(num(t, i, "followup"), num(&ref, r, f), 1e-9, 0);
        assert_close(num(t, i, "diff"), sign * num(&ref, r, "diff"), 1e-9, 0);
        assert_close(num(t, i, "se_diff"), num(&ref, r, "se_diff"), 1e-9, 0);
        assert_close(num(t, i, "p_value"), num(&ref, r, "p_value"), 1e-9, 0);
        expect_same(num(t, i, "n_baseline"),
                    num(&ref, r, sign > 0 ? "n_baseline" : "n_followup"),
                    "n_baseline", i);
        /* R's rel_change is diff / R's baseline; swapped, the base is R's
         * follow-up. */
        double want_rel =
            sign > 0 ? num(&ref, r, "rel_change")
                     : -num(&ref, r, "diff") / num(&ref, r, "followup");
        assert_close(num(t, i, "rel_change"), want_rel, 1e-9, 0);
        r++;
        n++;
    }
    assert_int_equal(n, 7); /* All and six zones */
    table_free(&ref);
}

/* ---- item 1: the baseline listed second ------------------------------ */

static void test_run_baseline_second(void **state)
{
    (void)state;
    const char *a12 = analysis("a12.ini", "[compare]\nbaseline = r1\n"
                                          "followups = r2\n");
    const char *a21 = analysis("a21.ini", "[compare]\nbaseline = r2\n"
                                          "followups = r1\n");
    spawn_graft(&R, "run", a12, "-o", test_tmp("o12"), NULL);
    spawn_expect_ok(&R);
    spawn_graft(&R, "run", a21, "-o", test_tmp("o21"), NULL);
    spawn_expect_ok(&R);
    table_t t12, t21;
    table_load(&t12, test_tmp("o12/comparisons.csv"));
    table_load(&t21, test_tmp("o21/comparisons.csv"));
    expect_swapped(&t12, &t21);
    expect_ref(&t12, "police", "demo_analysis_police", 1);
    expect_ref(&t21, "police", "demo_analysis_police", -1);
    /* Police bribery fell from 33.1 % (r1) to 21.0 % (r2): with r2 as the
     * baseline, r2's 21.0 % is the baseline column. */
    assert_close(num(&t21, 0, "baseline"), 0.2098320237987126, 1e-9, 0);
    assert_string_equal(cell(&t21, 0, "change"), "increase");
    table_free(&t12);
    table_free(&t21);
    /* The JSON's from and to are the contrast's. */
    char *json = test_slurp_must(test_tmp("o21/comparisons.json"), NULL);
    assert_non_null(strstr(json, "\"from\": \"Round 2\""));
    assert_non_null(strstr(json, "\"to\": \"Round 1\""));
    assert_null(strstr(json, "\"from\": \"Round 1\""));
    free(json);
}

/* `graft compare B A`: B is the baseline. */
static void test_compare_reversed(void **state)
{
    (void)state;
    const char *out12 = test_tmp("c12.csv"), *out21 = test_tmp("c21.csv");
    spawn_graft(&R, "compare", R1, R2, "--prop", "paid_police == 1",
                "--among", "contact_police == 1", "--by", "zone",
                "-o", out12, NULL);
    spawn_expect_ok(&R);
    spawn_graft(&R, "compare", R2, R1, "--prop", "paid_police == 1",
                "--among", "contact_police == 1", "--by", "zone",
                "-o", out21, NULL);
    spawn_expect_ok(&R);
    table_t t12, t21;
    table_load(&t12, out12);
    table_load(&t21, out21);
    expect_swapped(&t12, &t21);
    table_free(&t12);
    table_free(&t21);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_baseline_second),
        cmocka_unit_test(test_compare_reversed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
