/*
 * test_run.c - `graft run`: the demo analysis end to end (tables, charts,
 * report.md, report.html), byte-identical output from the same input, and
 * bad analysis files.
 */
#define _GNU_SOURCE
#include "test_util.h"

#include "test_spawn.h"
#include "graft/version.h"

/* The run's folder, inside this process's temporary directory. */
#define RUN_A test_tmp("run")

static const char *in_run(const char *name)
{
    static char buf[4][600];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", RUN_A, name);
    return buf[k];
}

static spawn_result_t R;

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void run_demo(const char *dir)
{
    spawn_graft(&R, "run", "analysis/demo.ini", "-o", dir, NULL);
    spawn_expect_ok(&R);
}

static const char *const FILES[] = {
    "estimates.csv", "comparisons.csv", "comparisons.json", "trend.csv",
    "plan.csv", "report.md", "report.html",
    "charts/police_by_zone.svg", "charts/police_by_zone.png",
    "charts/police_by_zone.gp", "charts/police_by_zone.dat",
    "charts/any_by_zone.svg", "charts/police_change.svg",
    "charts/police_change.png", "charts/any_trend.svg", "charts/any_trend.png",
    "charts/officials_by_zone.svg", "charts/officials_by_zone.png",
    "charts/median_amount_by_zone.svg", "charts/median_amount_by_zone.png",
    "model_police.csv", "charts/model_police.svg", "charts/model_police.png",
    "sae_zones.csv", "charts/sae_zones.svg", "charts/sae_zones.png",
    "charts/sae_zones_resid.svg", "charts/sae_zones_resid.png"};

static void test_demo_run(void **state)
{
    (void)state;
    run_demo(RUN_A);
    char path[512];
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", RUN_A, FILES[i]);
        if (!test_file_exists(path))
            fail_msg("%s was not written", path);
    }
    /* Every chart inlined in the HTML and linked from the Markdown. */
    char *html = test_slurp(in_run("report.html"), NULL);
    char *md = test_slurp(in_run("report.md"), NULL);
    assert_non_null(html);
    assert_non_null(md);
    assert_int_equal(count(html, "<svg"), 9);
    assert_int_equal(count(html, "<figure>"), 9);
    assert_non_null(strstr(md, "](charts/model_police.png)"));
    assert_non_null(strstr(md, "](charts/police_by_zone.png)"));
    assert_non_null(strstr(md, "](charts/any_by_zone.png)"));
    assert_non_null(strstr(md, "](charts/police_change.png)"));
    assert_non_null(strstr(md, "](charts/any_trend.png)"));
    assert_non_null(strstr(md, "](charts/officials_by_zone.png)"));
    assert_non_null(strstr(md, "](charts/median_amount_by_zone.png)"));
    /* the median bribe of the raked round 1: R's svyquantile on the
     * raked design (37.43 [32.84, 44.1]) */
    assert_non_null(strstr(md, "### Amount paid in bribes by payers (p50)"));
    assert_non_null(strstr(md, "| **All** | **37.43** | **\\[32.84, 44.1\\]** "
                               "| **572** |"));
    assert_non_null(strstr(html, "Quantiles (p50: the median) follow R's "
                                 "svyquantile"));
    /* the tables, the design and the methods */
    assert_non_null(strstr(html, "<h2>Data and design</h2>"));
    assert_non_null(strstr(html, "<h2>Changes between rounds</h2>"));
    assert_non_null(strstr(html, "<h2>Methods</h2>"));
    /* the version of graft that wrote them, last (graft --version) */
    char made[128];
    snprintf(made, sizeof made, "\n\n*Made by graft %s.*\n\n",
             graft_version());
    assert_string_equal(md + strlen(md) - strlen(made), made);
    snprintf(made, sizeof made,
             "\n<p><em>Made by graft %s.</em></p>\n</body>\n</html>\n",
             graft_version());
    assert_string_equal(html + strlen(html) - strlen(made), made);
    /* the rounds raked to the same margins ([weighting]) */
    assert_non_null(strstr(md, "| Round 1 | Demo bribery-experience survey "
                               "(round1\\_weighted.csv) | 2469 | 7500000 |"));
    assert_non_null(strstr(md, "33.2 %"));
    assert_non_null(strstr(md, "| **police** | **All** | **Round 1** | "
                               "**Round 2** | **-12.4 pts** |"));
    assert_non_null(strstr(md, "calibrated to population margins (zone, "
                               "sex, age\\_group) by raking"));
    assert_non_null(strstr(html, "Taylor-linearized"));
    /* [model.police]: round 1 on its design weights, R's svyglm
     * (model_ref.R, demo_police_logistic): exp(-0.80343) = 0.4478 [0.2106,
     * 0.952] on 175 df; regTermTest zone F 1.162 on 5 and 175 df */
    assert_non_null(strstr(html, "<h2>Models</h2>"));
    assert_non_null(strstr(md, "### Who pays the police: odds ratios, "
                               "round 1"));
    assert_non_null(strstr(md, "| zone=Capital | 0.4478 | \\[0.2106, "
                               "0.952\\] | 0.037 |"));
    assert_non_null(strstr(md, "design df 185, residual df 175"));
    assert_non_null(strstr(md, "zone: F = 1.16 on 5 and 175 df, p = 0.33"));
    assert_non_null(strstr(md, "Reference levels: sex=Male, urban=Urban"));
    assert_non_null(strstr(md, "The model uses the round's design weights, "
                               "not the calibrated ones"));
    /* [sae.zones]: round 1 on its design weights, sae_ref.R's demo_reml
     * (EBLUP of North 0.30268, sigma_u^2 0.0005613) */
    assert_non_null(strstr(html, "<h2>Small-area estimates</h2>"));
    assert_non_null(strstr(md, "These estimates are model-based, not "
                               "design-based."));
    assert_non_null(strstr(md, "sigma\\_u^2 = 0.0005613 by REML"));
    assert_non_null(strstr(md, "| North | 329 | 35.1 % | 4.1 % | 30.3 % | "
                               "3.4 % | \\[23.7, 36.9\\] | 0.25 |"));
    assert_non_null(strstr(md, "](charts/sae_zones.png)"));
    assert_non_null(strstr(md, "](charts/sae_zones_resid.png)"));
    free(html);
    free(md);
    char *est = test_slurp(in_run("estimates.csv"), NULL);
    assert_non_null(strstr(est, "round,indicator,zone,estimate,"));
    assert_non_null(strstr(est, "\nRound 1,police,All,0.331633623574838"));
    assert_non_null(strstr(est, "\nRound 1,median_amount p50,All,"
                                "37.43,2.85193187986859"));
    free(est);
    char *model = test_slurp(in_run("model_police.csv"), NULL);
    assert_non_null(model);
    assert_non_null(strstr(model, "term,estimate,se,ci_low,ci_high,t,"
                                  "p_value,df,exp_estimate,"));
    assert_non_null(strstr(model, "\nzone=Capital,-0.80"));
    free(model);
}

/* [plan]: the demo report ends with what the next round needs, and the
 * run's plan.csv is, byte for byte, what `graft plan` writes from the raked
 * round 2 the run wrote, with the same settings. */
static void test_demo_plan(void **state)
{
    (void)state;
    char *md = test_slurp(in_run("report.md"), NULL);
    char *html = test_slurp(in_run("report.html"), NULL);
    assert_non_null(md);
    assert_non_null(html);
    const char *sec = strstr(md, "\n## What the next round needs\n");
    assert_non_null(sec);
    assert_true(sec > strstr(md, "\n## Methods\n"));
    assert_null(strstr(sec + 1, "\n## "));  /* the last section */
    assert_non_null(strstr(sec, "From the estimates and design effects of "
                                "Round 2"));
    assert_non_null(strstr(sec, "| Indicator | Domain | Baseline | Deff at "
                                "the take | Respondents | Interviews | PSUs "
                                "| Detectable fall | Detectable rise | Note |"));
    assert_non_null(strstr(html, "<h2>What the next round needs</h2>"));
    free(md);
    free(html);
    const char *mine = test_tmp("plan_cli.csv");
    spawn_graft(&R, "plan", in_run("round2_weighted.ini"), "--analysis",
                "analysis/demo.ini", "--change", "0.05", "--n", "3000",
                "--take", "10", "-o", mine, NULL);
    spawn_expect_ok(&R);
    size_t n1, n2;
    char *a = test_slurp(in_run("plan.csv"), &n1);
    char *b = test_slurp(mine, &n2);
    assert_non_null(a);
    assert_non_null(b);
    if (n1 != n2 || memcmp(a, b, n1) != 0)
        fail_msg("plan.csv differs from graft plan's output");
    assert_non_null(strstr(a, "\npolice,All,"));
    free(a);
    free(b);
}

/* The same input gives byte-identical files (run again into the same
 * folder: the scripts name their own paths). */
static void test_deterministic(void **state)
{
    (void)state;
    enum { N = sizeof FILES / sizeof FILES[0] };
    char *first[N];
    size_t len[N];
    char path[512];
    for (size_t i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/%s", RUN_A, FILES[i]);
        first[i] = test_slurp(path, &len[i]);
        assert_non_null(first[i]);
    }
    run_demo(RUN_A);
    for (size_t i = 0; i < N; i++) {
        size_t n;
        snprintf(path, sizeof path, "%s/%s", RUN_A, FILES[i]);
        char *again = test_slurp(path, &n);
        assert_non_null(again);
        if (n != len[i] || memcmp(again, first[i], n) != 0)
            fail_msg("%s differs between two runs", FILES[i]);
        free(again);
        free(first[i]);
    }
}

static void expect_fail(const char *ini_text, int code, const char *msg)
{
    char ini[128];
    snprintf(ini, sizeof ini, "analysis/graft_test_run_%ld.ini", (long)getpid());
    FILE *f = fopen(ini, "w");
    assert_non_null(f);
    fputs(ini_text, f);
    fclose(f);
    spawn_graft(&R, "run", ini, "-o", in_run("bad"), NULL);
    unlink(ini);
    if (!strstr(R.err, msg))
        fail_msg("stderr '%s' lacks '%s'", R.err, msg);
    assert_int_equal(R.status, code);
}

#define IND "[indicator.p]\nexpr = paid_police == 1\namong = contact_police == 1\n"

static void test_bad_analysis(void **state)
{
    (void)state;
    expect_fail("[analysis]\nby = zone\n" IND, 65,
                "no [rounds] section: graft run needs the survey files");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
                "r2 = ../surveys/demo/round2.ini\n[compare]\nbaseline = r0\n"
                "followups = r2\n",
                65, "[compare] baseline 'r0' is not in [rounds]");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/nope.ini\n",
                66, "nope.ini: cannot open");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
                "[chart.x]\nkind = pie\n",
                65, "[chart.x] kind must be bar, dumbbell, trend or heatmap");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
                "[chart.x]\nkind = dumbbell\n",
                65, "[chart.x] a dumbbell chart needs a [compare] section");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
                "[plan]\ntake = 10\n",
                65, "[plan] needs change (the change to detect) or n (the "
                    "interviews per round)");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
                "[plan]\nchange = 0.05\nround = r9\n",
                65, "[plan] round 'r9' is not in [rounds]");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
                "[plan]\nchange = 0.05\npower = 1.5\n",
                65, "[plan] power: 1.5 is not from 0.5 to below 1");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
                "[plan]\nchange = x\n",
                65, "[plan] change 'x' is not a number");
    expect_fail("[analysis]\n" IND "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
                "[plan]\nsize = 3\n",
                65, "unknown key 'size' in [plan]");
    /* [model.NAME]: errors at the file's line (and column) */
#define R1 "[rounds]\nr1 = ../surveys/demo/round1.ini\n"
    expect_fail("[analysis]\n" IND R1 "[model.m]\ntitle = x\n", 65,
                ":8: [model.m] has no formula");
    expect_fail("[analysis]\n" IND R1 "[model.m]\nfamily = logit\n", 65,
                ":8: [model.m] family 'logit' must be linear, logistic or "
                "poisson");
    expect_fail("[analysis]\n" IND R1 "[model.m]\nformula = y ~ sex\n"
                "round = r9\n",
                65, ":9: [model.m] round 'r9' is not in [rounds]");
    expect_fail("[analysis]\n" IND R1 "[model.m]\nformula = paid_police "
                "== 1 ~ sex + \n",
                65, ":8:35: formula: expected a term at the end");
    expect_fail("[analysis]\n" IND R1 "[model.m]\nformula = paid_police "
                "== 1 ~ sex\namong = zone == 99\n",
                65, ":8: [model.m]: no rows to fit");
    expect_fail("[analysis]\n" IND R1 "[model.m]\nformula = paid_police "
                "== 1 ~ sex\nwho = x\n",
                65, ":9: unknown key 'who' in [model.m]");
    expect_fail("[analysis]\n" IND R1 "[model.m]\nformula = paid_police "
                "== 1 ~ sex\n[chart.model_m]\nkind = bar\n",
                65, "[chart.model_m] has the name of [model.m]'s forest "
                    "chart");
#undef R1
}

static void test_unwritable(void **state)
{
    (void)state;
    spawn_graft(&R, "run", "analysis/demo.ini", "-o",
                "/proc/graft_cannot_write_here", NULL);
    /* the demo's six zones are too few for a small-area model, and the
     * warning says so before the folder is made */
    spawn_expect_error(&R, 74,
                       "warning: [sae.zones]: only 6 areas in the fit: "
                       "sigma_u^2 and the MSE are imprecise with fewer than "
                       "about 15 (docs/sae.md)\n"
                       "graft: /proc/graft_cannot_write_here: cannot "
                       "create the folder: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_run),
        cmocka_unit_test(test_demo_plan),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_bad_analysis),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
