/*
 * test_limits.c - explicit limits and sizes a hostile input can blow up
 * (issue 14, engineer "limits"); the hostile inputs themselves are cases
 * of tests/catalogue/limits.tsv.
 *
 * Value label sets are indexed by a hash: their lookups must give what
 * the linear search gave (a repeated code replaces the earlier label, 0
 * and -0 are one code, a NaN code is never found, a number and a string
 * are different codes, entries keep their order of first appearance),
 * for small sets and for 200,000 labels.
 *
 * The binary under test for the command-line cases is $GRAFT_BIN, else
 * ./graft.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "graft.h"

#include <math.h>
#include <sys/stat.h>

/* ---- label sets ------------------------------------------------------- */

static void test_labelset_semantics(void **state)
{
    (void)state;
    graft_labelset_t *set = graft_labelset_alloc();
    assert_non_null(set);
    assert_null(graft_labelset_num(set, 1));
    assert_null(graft_labelset_str(set, "1"));
    assert_int_equal(graft_labelset_add_num(set, 1, "one"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_str(set, "1", "string one"),
                     GRAFT_OK);
    assert_int_equal(graft_labelset_add_num(set, -0.0, "zero"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_num(set, 0.0, "zero again"),
                     GRAFT_OK);
    assert_int_equal(graft_labelset_add_num(set, NAN, "nan"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_num(set, NAN, "nan 2"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_num(set, 1, "ONE"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_str(set, "", "empty"), GRAFT_OK);
    assert_string_equal(graft_labelset_num(set, 1), "ONE");
    assert_string_equal(graft_labelset_str(set, "1"), "string one");
    assert_string_equal(graft_labelset_num(set, 0.0), "zero again");
    assert_string_equal(graft_labelset_num(set, -0.0), "zero again");
    assert_null(graft_labelset_num(set, NAN));
    assert_string_equal(graft_labelset_str(set, ""), "empty");
    assert_null(graft_labelset_num(set, 2));
    assert_null(graft_labelset_str(set, "one"));
    /* One entry per distinct code, in order of first appearance; each
     * NaN is an entry of its own, as the linear search made it. */
    assert_int_equal(graft_labelset_count(set), 6);
    int is_str;
    double num;
    const char *str;
    assert_string_equal(graft_labelset_entry(set, 0, &is_str, &num, &str),
                        "ONE");
    assert_int_equal(is_str, 0);
    assert_true(num == 1);
    assert_string_equal(graft_labelset_entry(set, 1, &is_str, &num, &str),
                        "string one");
    assert_int_equal(is_str, 1);
    assert_string_equal(str, "1");
    assert_string_equal(graft_labelset_entry(set, 2, NULL, &num, NULL),
                        "zero again");
    assert_true(num == 0 && signbit(num)); /* the first code is kept */
    assert_string_equal(graft_labelset_entry(set, 3, NULL, NULL, NULL),
                        "nan");
    assert_string_equal(graft_labelset_entry(set, 4, NULL, NULL, NULL),
                        "nan 2");
    assert_string_equal(graft_labelset_entry(set, 5, NULL, NULL, NULL),
                        "empty");
    assert_null(graft_labelset_entry(set, 6, NULL, NULL, NULL));
    graft_labelset_free(set);
}

#define BIG 200000

static void test_labelset_big(void **state)
{
    (void)state;
    graft_labelset_t *set = graft_labelset_alloc();
    assert_non_null(set);
    char label[64], code[32];
    for (int pass = 0; pass < 2; pass++) /* the second replaces the first */
        for (int i = BIG - 1; i >= 0; i--) {
            snprintf(label, sizeof label, "%s %d", pass ? "new" : "old", i);
            snprintf(code, sizeof code, "c%d", i);
            assert_int_equal(graft_labelset_add_num(set, i * 0.5, label),
                             GRAFT_OK);
            assert_int_equal(graft_labelset_add_str(set, code, label),
                             GRAFT_OK);
        }
    assert_int_equal(graft_labelset_count(set), 2 * BIG);
    for (int i = 0; i < BIG; i++) {
        snprintf(label, sizeof label, "new %d", i);
        snprintf(code, sizeof code, "c%d", i);
        assert_string_equal(graft_labelset_num(set, i * 0.5), label);
        assert_string_equal(graft_labelset_str(set, code), label);
        /* entries in order of first appearance: BIG - 1 first */
        int is_str;
        double num;
        const char *s;
        size_t at = 2 * (size_t)(BIG - 1 - i);
        assert_string_equal(graft_labelset_entry(set, at, &is_str, &num, &s),
                            label);
        assert_true(!is_str && num == i * 0.5);
        assert_string_equal(
            graft_labelset_entry(set, at + 1, &is_str, &num, &s), label);
        assert_true(is_str && strcmp(s, code) == 0);
    }
    assert_null(graft_labelset_num(set, BIG));
    assert_null(graft_labelset_num(set, 0.25));
    assert_null(graft_labelset_str(set, "c"));
    graft_labelset_free(set);
}

/* A survey file with 200,000 labels (a repeated code replaces the earlier
 * label) loads and its estimates by the labelled column carry the
 * labels. */
static void test_survey_200k_labels(void **state)
{
    (void)state;
    const char *data = test_tmp("labels.csv"), *ini = test_tmp("labels.ini");
    FILE *f = fopen(data, "w");
    assert_non_null(f);
    fputs("w,a\n", f);
    for (int i = 0; i < 300; i++)
        fprintf(f, "1,%d\n", i % 3 ? 7 : 199998);
    assert_int_equal(fclose(f), 0);
    f = fopen(ini, "w");
    assert_non_null(f);
    fputs("[survey]\ndata = labels.csv\n[design]\nweight = w\n[labels.a]\n",
          f);
    for (int i = BIG - 1; i >= 0; i--)
        fprintf(f, "%d = Label %d\n", i, i);
    fputs("7 = Seven\n", f);
    assert_int_equal(fclose(f), 0);
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft(res, "estimate", ini, "--prop", "a == 'Seven'", "--by", "a",
                "--format", "csv", NULL);
    spawn_expect_ok(res);
    assert_non_null(strstr(res->out, "a == 'Seven',Seven,1,"));
    assert_non_null(strstr(res->out, "a == 'Seven',Label 199998,0,"));
    assert_null(strstr(res->out, "Label 7,"));
    free(res);
}

/* ---- rounds: at most GRAFT_MAX_ROUNDS ------------------------------------ */

/* A library caller asking for 17 rounds is refused (a contrast held at
 * most 64 rounds and silently left out the others). */
static void test_rounds_limit(void **state)
{
    (void)state;
    const char *data = test_tmp("rounds.csv");
    test_write_file(data, "w,y\n1,0\n1,1\n2,1\n");
    graft_design_spec_t spec = {0};
    spec.weight = "w";
    graft_indicator_spec_t ind = {0};
    ind.type = GRAFT_IND_PROP;
    ind.expr = "y == 1";
    ind.expr_src = (graft_source_t){"--prop", 1, 1};
    graft_estimate_opts_t opts = {0};
    opts.indicators = &ind;
    opts.n_indicators = 1;
    opts.ci = GRAFT_CI_WALD;
    opts.level = 0.95;
    graft_round_t rounds[GRAFT_MAX_ROUNDS + 1];
    for (size_t i = 0; i <= GRAFT_MAX_ROUNDS; i++)
        rounds[i] = (graft_round_t){data, NULL, &spec, NULL, 0};
    graft_estimates_t *e = (graft_estimates_t *)&opts; /* set to NULL */
    graft_diag_t diag;
    assert_int_equal(graft_estimate_rounds(rounds, GRAFT_MAX_ROUNDS + 1, 0,
                                           &opts, &e, &diag),
                     GRAFT_ERR_USAGE);
    assert_null(e);
    char buf[600];
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        "17 rounds: at most 16 can be estimated together");
    assert_int_equal(graft_estimate_rounds(rounds, GRAFT_MAX_ROUNDS, 0,
                                           &opts, &e, &diag),
                     GRAFT_OK);
    graft_estimates_free(e);
}

/* ---- the report keeps every chart --------------------------------------- */

/* A stand-in for gnuplot: writes a tiny SVG where the script's "set
 * output" says (nothing for the check that runs an empty script). */
static const char fake_gnuplot[] =
    "#!/bin/sh\n"
    "out=$(sed -n \"s/^set output '\\(.*\\)'\\$/\\1/p\")\n"
    "[ -n \"$out\" ] || exit 0\n"
    "printf '<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\\n' > "
    "\"$out\"\n";

#define N_CHARTS 70 /* more than the 64 the report once kept */

static void test_report_every_chart(void **state)
{
    (void)state;
    const char *gp = test_tmp("fake_gnuplot");
    test_write_file(gp, fake_gnuplot);
    assert_int_equal(chmod(gp, 0700), 0);
    test_write_file(test_tmp("charts.csv"), "w,zone,y\n1,1,0\n1,2,1\n");
    test_write_file(test_tmp("charts_survey.ini"),
                    "[survey]\ndata = charts.csv\n[design]\nweight = w\n");
    const char *ini = test_tmp("charts.ini");
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fputs("[analysis]\ntitle = t\nby = zone\n[indicator.x]\ntype = prop\n"
          "expr = y == 1\n[rounds]\nr1 = charts_survey.ini\n",
          f);
    for (int i = 1; i <= N_CHARTS; i++)
        fprintf(f,
                "[chart.c%d]\nkind = bar\nindicator = x\nby = zone\n"
                "round = r1\ntitle = Chart number %d\n",
                i, i);
    assert_int_equal(fclose(f), 0);
    char env_gp[600];
    snprintf(env_gp, sizeof env_gp, "GRAFT_GNUPLOT=%s", gp);
    const char *env[] = {env_gp, NULL};
    const char *out = test_tmp("charts_run");
    const char *args[] = {"run", ini, "-o", out, NULL};
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft_env(res, env, args);
    spawn_expect_ok(res);
    free(res);
    char path[700];
    snprintf(path, sizeof path, "%s/report.md", out);
    char *md = test_slurp_must(path, NULL);
    snprintf(path, sizeof path, "%s/report.html", out);
    char *html = test_slurp_must(path, NULL);
    for (int i = 1; i <= N_CHARTS; i++) {
        char fig[100];
        snprintf(fig, sizeof fig, "![Chart number %d](charts/c%d.png)", i, i);
        if (!strstr(md, fig))
            fail_msg("report.md lacks %s", fig);
    }
    /* report.html inlines each chart's SVG in a <figure> */
    int figures = 0;
    for (const char *p = html; (p = strstr(p, "<figure>")); p++)
        figures++;
    assert_int_equal(figures, N_CHARTS);
    free(md);
    free(html);
}

/* ---- charts: long labels are cut, not drawn thousands of pixels tall ---- */

/* The height in the viewBox of the SVG at PATH. */
static double svg_height(const char *path)
{
    char *svg = test_slurp_must(path, NULL);
    const char *v = strstr(svg, "viewBox=\"");
    double x, y, w, h = -1;
    if (!v || sscanf(v, "viewBox=\"%lf %lf %lf %lf", &x, &y, &w, &h) != 4)
        fail_msg("%s: no viewBox", path);
    free(svg);
    return h;
}

/* A domain label of 960 narrow characters wraps, on a chart 400 px wide,
 * to more than CHART_TIC_MAX_LINES (16): cut with an ellipsis before its
 * " (n=...)", the full text in a comment of the data file. */
static void test_chart_long_tic_label(void **state)
{
    (void)state;
    const char *in = test_tmp("tic.csv"), *out = test_tmp("tic.svg");
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("indicator,zone,estimate,se,ci_low,ci_high,df,deff,cv,n,"
          "n_missing,weighted_n,n_eff,flag\ny==1,",
          f);
    for (int i = 0; i < 480; i++)
        fputs(i ? " i" : "i", f);
    fputs(",0.5,0.1,0.3,0.7,10,1,0.2,100,0,100,100,\n"
          "y==1,All,0.5,0.1,0.3,0.7,10,1,0.2,100,0,100,100,\n",
          f);
    assert_int_equal(fclose(f), 0);
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft(res, "plot", in, "--kind", "bar", "--size", "400x600", "-o",
                out, NULL);
    spawn_expect_ok(res);
    free(res);
    assert_true(svg_height(out) == 600);
    char *dat = test_slurp_must(test_tmp("tic.dat"), NULL);
    const char *full = strstr(dat, "'s label in full, cut on the chart: ");
    assert_non_null(full);
    const char *nl = strchr(full, '\n');
    assert_non_null(nl);
    const char *text = strstr(full, ": ") + 2;
    assert_int_equal(nl - text, 959); /* every character */
    const char *row = strstr(dat, "\n2 ");
    assert_non_null(row);
    size_t lines = 1;
    for (const char *p = row; (p = strstr(p + 1, "\\n")) && p < strchr(row + 1, '\n');)
        lines++;
    assert_int_equal(lines, 16);
    assert_non_null(strstr(dat, "i i\xe2\x80\xa6 (n=100)\"")); /* … */
    free(dat);
}

/* An indicator label of 3,000 characters made a heatmap 6,562 px tall (its
 * column header) and a bar chart 960 px (its title): at most
 * CHART_HEADER_MAX_LINES and CHART_TITLE_MAX_LINES lines now. */
static void test_chart_long_indicator_label(void **state)
{
    (void)state;
    test_write_file(test_tmp("ind.csv"), "w,zone,y\n1,1,0\n1,2,1\n");
    test_write_file(test_tmp("ind_survey.ini"),
                    "[survey]\ndata = ind.csv\n[design]\nweight = w\n");
    const char *ini = test_tmp("ind.ini");
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fputs("[analysis]\ntitle = t\nby = zone\n[indicator.x]\nlabel = ", f);
    for (int i = 0; i < 600; i++)
        fputs("word ", f);
    fputs("\ntype = prop\nexpr = y == 1\n[rounds]\nr1 = ind_survey.ini\n"
          "[chart.h]\nkind = heatmap\nindicator = x\nby = zone\n"
          "round = r1\n[chart.b]\nkind = bar\nindicator = x\nby = zone\n"
          "round = r1\n",
          f);
    assert_int_equal(fclose(f), 0);
    const char *out = test_tmp("ind_run");
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft(res, "run", ini, "-o", out, NULL);
    spawn_expect_ok(res);
    free(res);
    char path[700];
    snprintf(path, sizeof path, "%s/charts/h.svg", out);
    double h = svg_height(path);
    if (h > 700)
        fail_msg("heatmap %g px tall", h);
    snprintf(path, sizeof path, "%s/charts/b.svg", out);
    if ((h = svg_height(path)) > 700)
        fail_msg("bar chart %g px tall", h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labelset_semantics),
        cmocka_unit_test(test_labelset_big),
        cmocka_unit_test(test_survey_200k_labels),
        cmocka_unit_test(test_rounds_limit),
        cmocka_unit_test(test_report_every_chart),
        cmocka_unit_test(test_chart_long_tic_label),
        cmocka_unit_test(test_chart_long_indicator_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
