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

/* ---- item 1: trend rounds out of time order --------------------------- */

static void test_trend_order(void **state)
{
    (void)state;
    spawn_graft(&R, "trend", R2, R1, "--prop", "paid_police == 1", NULL);
    spawn_expect_error(&R, 65, "trend: the rounds must be in time order, "
                               "but 'Round 2' (2024) comes before 'Round 1' "
                               "(2023)");
    /* graft run: [trend] follows [rounds], here r2 (2024) before r1. */
    char text[2048];
    snprintf(text, sizeof text,
             "[indicator.police]\nexpr = paid_police == 1\n"
             "[rounds]\nr2 = %s\nr1 = %s\n[trend]\nrounds = all\n",
             repo_path(R2), repo_path(R1));
    test_write_file(test_tmp("trend21.ini"), text);
    spawn_graft(&R, "run", test_tmp("trend21.ini"), "-o", test_tmp("ot21"),
                NULL);
    spawn_expect_error(&R, 65, "trend: the rounds must be in time order, "
                               "but 'Round 2' (2024) comes before 'Round 1' "
                               "(2023)");
    assert_false(test_file_exists(test_tmp("ot21/trend.csv")));
    /* In time order the same trend is fine. */
    spawn_graft(&R, "trend", R1, R2, "--prop", "paid_police == 1", NULL);
    spawn_expect_ok(&R);
}

/* ---- item 2: a round compared with itself, a repeated follow-up ------ */

/* Run ANALYSIS and expect exit CODE with the message MSG, prefixed with
 * the analysis file's path and LINE when LINE > 0. */
static void expect_run_error(const char *ini, int code, unsigned long line,
                             const char *msg)
{
    char want[2048];
    if (line)
        snprintf(want, sizeof want, "%s:%lu: %s", ini, line, msg);
    else
        snprintf(want, sizeof want, "%s", msg);
    char out[1100];
    snprintf(out, sizeof out, "%s.out", ini);
    spawn_graft(&R, "run", ini, "-o", out, NULL);
    spawn_expect_error(&R, code, want);
    assert_false(test_file_exists(out));
}

static void test_self_comparison(void **state)
{
    (void)state;
    /* Lines 12 and on are the tail ([compare] on 12). */
    expect_run_error(analysis("s1.ini", "[compare]\nbaseline = r1\n"
                                        "followups = r1\n"),
                     65, 14,
                     "[compare] follow-up 'r1' is the baseline: a round "
                     "cannot be compared with itself");
    expect_run_error(analysis("s2.ini", "[compare]\nfollowups = r2, r1\n"
                                        "baseline = r1\n"),
                     65, 14,
                     "[compare] baseline 'r1' is also a follow-up: a round "
                     "cannot be compared with itself");
    expect_run_error(analysis("s3.ini", "[compare]\nbaseline = r1\n"
                                        "followups = r2, r1, r2\n"),
                     65, 14,
                     "[compare] follow-up 'r1' is the baseline: a round "
                     "cannot be compared with itself");
    expect_run_error(analysis("s4.ini", "[compare]\nbaseline = r1\n"
                                        "followups = r2, r2\n"),
                     65, 14, "[compare] follow-up 'r2' is listed twice");
    expect_run_error(analysis("s5.ini", "[compare]\nbaseline = r1\n"
                                        "followups = r2\nfollowup = r2\n"),
                     65, 15, "[compare] follow-up 'r2' is listed twice");
    /* A round name given twice in [rounds]. */
    char tail[1100];
    snprintf(tail, sizeof tail, "[rounds]\nr1 = %s\n", repo_path(R2));
    expect_run_error(analysis("s6.ini", tail), 65, 13,
                     "round 'r1' is listed twice in [rounds]");
    /* Two names for one survey file: the same data compared. */
    snprintf(tail, sizeof tail,
             "[rounds]\nr3 = %s\n[compare]\nbaseline = r1\nfollowups = r3\n",
             repo_path(R1));
    char msg[1500];
    snprintf(msg, sizeof msg,
             "the baseline 'Round 1' and the follow-up 'Round 1' read the "
             "same data file '%s': a round cannot be compared with itself",
             repo_path("surveys/demo/round1.csv"));
    expect_run_error(analysis("s7.ini", tail), 65, 0, msg);
    /* graft compare X X, also spelt differently, and a trend that repeats
     * a round. */
    static const char same[] =
        "the baseline 'Round 1' and the follow-up 'Round 1' read the same "
        "data file 'surveys/demo/round1.csv': a round cannot be compared "
        "with itself";
    spawn_graft(&R, "compare", R1, R1, "--prop", "paid_police == 1", NULL);
    spawn_expect_error(&R, 65, same);
    spawn_graft(&R, "compare", "surveys/demo/../demo/round1.ini", R1,
                "--prop", "paid_police == 1", NULL);
    spawn_expect_error(&R, 65,
                       "the baseline 'Round 1' and the follow-up 'Round 1' "
                       "read the same data file 'surveys/demo/round1.csv': a "
                       "round cannot be compared with itself");
    spawn_graft(&R, "trend", R1, R2, R1, "--prop", "paid_police == 1", NULL);
    spawn_expect_error(&R, 65, "trend: rounds 'Round 1' and 'Round 1' read "
                               "the same data file "
                               "'surveys/demo/round1.csv'");
}

/* ---- item 3: replicate designs that differ ---------------------------- */

/* `graft replicate SOURCE ARGS... -o tmp/NAME.csv`, which also writes
 * tmp/NAME.ini. */
static void make_replicates(const char *name, const char *const *args)
{
    char out[600];
    snprintf(out, sizeof out, "%s.csv", test_tmp(name));
    const char *argv[20];
    size_t n = 0;
    argv[n++] = "replicate";
    while (*args && n < 16)
        argv[n++] = *args++;
    argv[n++] = "-o";
    argv[n++] = out;
    argv[n] = NULL;
    spawn_graft_env(&R, NULL, argv);
    spawn_expect_ok(&R);
}

/* tmp/NAME.ini with line FROM (whole) replaced by TO. */
static void edit_ini(const char *from_name, const char *name,
                     const char *from, const char *to)
{
    char *text = test_slurp_must(test_tmp(from_name), NULL);
    char *at = strstr(text, from);
    assert_non_null(at);
    char out[1 << 15];
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - text), text, to,
             at + strlen(from));
    test_write_file(test_tmp(name), out);
    free(text);
}

static void expect_compare_error(const char *a, const char *b,
                                 const char *msg_fmt, const char *p1,
                                 const char *p2)
{
    char want[2048];
    snprintf(want, sizeof want, msg_fmt, p1, p2);
    spawn_graft(&R, "compare", test_tmp(a), test_tmp(b), "--prop",
                "paid_police == 1", "--among", "contact_police == 1", NULL);
    spawn_expect_error(&R, 65, want);
}

static void test_replicate_kinds(void **state)
{
    (void)state;
    static const char *const jkn1[] = {R1, "--type", "jkn", NULL};
    static const char *const jkn2[] = {R2, "--type", "jkn", NULL};
    /* as many bootstrap replicates as the 206 PSUs of the jackknife */
    static const char *const boot2[] = {R2, "--type", "bootstrap",
                                        "--replicates", "206", NULL};
    make_replicates("rj1", jkn1);
    make_replicates("rj2", jkn2);
    make_replicates("rb2", boot2);
    char p1[600], p2[600], pb[600];
    snprintf(p1, sizeof p1, "%s", test_tmp("rj1.csv"));
    snprintf(p2, sizeof p2, "%s", test_tmp("rj2.csv"));
    snprintf(pb, sizeof pb, "%s", test_tmp("rb2.csv"));
    /* The same kind: compared. */
    spawn_graft(&R, "compare", test_tmp("rj1.ini"), test_tmp("rj2.ini"),
                "--prop", "paid_police == 1", NULL);
    spawn_expect_ok(&R);
    expect_compare_error("rj1.ini", "rb2.ini",
                         "rounds '%s' and '%s' have different replicate "
                         "types: jkn and bootstrap",
                         p1, pb);
    expect_compare_error("rb2.ini", "rj1.ini",
                         "rounds '%s' and '%s' have different replicate "
                         "types: bootstrap and jkn",
                         pb, p1);
    /* Estimates alone stack the rounds too (graft run without
     * [compare]): refused as well. */
    char text[2048];
    snprintf(text, sizeof text,
             "[indicator.police]\nexpr = paid_police == 1\n"
             "[rounds]\nr1 = %s\nr2 = %s\n",
             test_tmp("rj1.ini"), test_tmp("rb2.ini"));
    test_write_file(test_tmp("mixed.ini"), text);
    spawn_graft(&R, "run", test_tmp("mixed.ini"), "-o", test_tmp("omix"),
                NULL);
    char want[2048];
    snprintf(want, sizeof want,
             "rounds '%s' and '%s' have different replicate types: jkn and "
             "bootstrap",
             p1, pb);
    spawn_expect_error(&R, 65, want);
    /* scale, rscales, mse */
    edit_ini("rj2.ini", "rj2_scale.ini", "\nscale = 1\n", "\nscale = 2\n");
    expect_compare_error("rj1.ini", "rj2_scale.ini",
                         "rounds '%s' and '%s' have different replicate "
                         "scales: 1 and 2",
                         p1, p2);
    edit_ini("rj2.ini", "rj2_rscales.ini", "\nrscales = 0.9411764705882353,",
             "\nrscales = 0.5,");
    expect_compare_error("rj1.ini", "rj2_rscales.ini",
                         "rounds '%s' and '%s' have different replicate "
                         "rscales: replicate 1 has 0.941176470588235 and 0.5",
                         p1, p2);
    edit_ini("rj2.ini", "rj2_mse.ini", "\nmse = false\n", "\nmse = true\n");
    expect_compare_error("rj1.ini", "rj2_mse.ini",
                         "rounds '%s' and '%s' have different replicate mse "
                         "settings: false and true",
                         p1, p2);
    /* Replicate weights against strata and PSUs: refused already. */
    spawn_graft(&R, "compare", test_tmp("rj1.ini"), R2, "--prop",
                "paid_police == 1", NULL);
    spawn_expect_error(&R, 65,
                       "surveys/demo/round2.csv: this round's design uses "
                       "strata and PSUs, the first round's replicate "
                       "weights: rounds must share one kind of design");
}

/* Fay's rho (on the paired-PSU fixture). */
static void test_replicate_fay_rho(void **state)
{
    (void)state;
    static const char *const f3[] = {
        "tests/data/replicate/brr.csv", "--weight", "wt", "--strata",
        "stratum", "--psu", "psu", "--nest", "--type", "fay", "--rho", "0.3",
        NULL};
    static const char *const f5[] = {
        "tests/data/replicate/brr.csv", "--weight", "wt", "--strata",
        "stratum", "--psu", "psu", "--nest", "--type", "fay", "--rho", "0.5",
        NULL};
    make_replicates("f3", f3);
    make_replicates("f5", f5);
    char p3[600], p5[600], want[2048];
    snprintf(p3, sizeof p3, "%s", test_tmp("f3.csv"));
    snprintf(p5, sizeof p5, "%s", test_tmp("f5.csv"));
    snprintf(want, sizeof want,
             "rounds '%s' and '%s' have different Fay rho: 0.3 and 0.5", p3,
             p5);
    spawn_graft(&R, "compare", test_tmp("f3.ini"), test_tmp("f5.ini"),
                "--mean", "y", NULL);
    spawn_expect_error(&R, 65, want);
}

/* ---- items 6 and 12: chart sections ----------------------------------- */

static void test_chart_round_unknown(void **state)
{
    (void)state;
    expect_run_error(analysis("c1.ini", "[chart.x]\nkind = bar\n"
                                        "indicator = police\nby = zone\n"
                                        "round = r3\n"),
                     65, 16, "[chart.x] round 'r3' is not in [rounds]");
    /* A known round draws that round. */
    spawn_graft(&R, "run",
                analysis("c2.ini", "[chart.x]\nkind = bar\n"
                                   "indicator = police\nby = zone\n"
                                   "round = r2\n"),
                "-o", test_tmp("oc2"), NULL);
    spawn_expect_ok(&R);
    assert_true(test_file_exists(test_tmp("oc2/charts/x.svg")));
}

static void test_chart_names(void **state)
{
    (void)state;
    static const char *const bad[] = {"../../../escaped", "a/b", "..", ".",
                                      "", "sp ace", "/abs", "x\\y"};
    char tail[256], want[256], name[32];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(tail, sizeof tail, "[chart.%s]\nkind = bar\n"
                                    "indicator = police\nby = zone\n",
                 bad[i]);
        snprintf(want, sizeof want,
                 "chart name '%s' must be a plain file name: letters, "
                 "digits, '_', '-' and '.', not '.' or '..'",
                 bad[i]);
        snprintf(name, sizeof name, "n%zu.ini", i);
        spawn_graft(&R, "run", analysis(name, tail), "-o",
                    test_tmp("deep/a/b"), NULL);
        char full[1200];
        snprintf(full, sizeof full, "%s:13: %s", test_tmp(name), want);
        spawn_expect_error(&R, 65, full);
    }
    assert_false(test_file_exists(test_tmp("escaped.svg")));
    assert_false(test_file_exists(test_tmp("deep")));
    /* Letters, digits, '_', '-' and '.' are fine. */
    spawn_graft(&R, "run",
                analysis("ok.ini", "[chart.Police_2-zones.v1]\nkind = bar\n"
                                   "indicator = police\nby = zone\n"),
                "-o", test_tmp("ok"), NULL);
    spawn_expect_ok(&R);
    assert_true(test_file_exists(test_tmp("ok/charts/Police_2-zones.v1.svg")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_baseline_second),
        cmocka_unit_test(test_compare_reversed),
        cmocka_unit_test(test_trend_order),
        cmocka_unit_test(test_self_comparison),
        cmocka_unit_test(test_replicate_kinds),
        cmocka_unit_test(test_replicate_fay_rho),
        cmocka_unit_test(test_chart_round_unknown),
        cmocka_unit_test(test_chart_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
