/*
 * test_calvar.c - the calibration-adjusted linearized variance of a survey
 * file with [calibration] (stats/calvar.c, spec/survey.c) against R's
 * survey package on post-stratified, raked and calibrated designs.
 *
 * tests/ref/calvar_cases.csv lists each case (a hand-written survey file
 * under tests/data/calvar/, an indicator, a by column); tests/ref/
 * calvar_ref.csv holds R's answer (tests/R/calvar_ref.R).  Estimates, SEs
 * and weighted n agree to 1e-9 relative, interval ends to 1e-7, df and n
 * exactly; every case is run four ways (as written, its rows shuffled, its
 * PSU totals streamed, and with per-PSU arrays as --shared-psus keeps
 * them), each compared with R.
 */
#include "test_util.h"
#include "graft/estimate.h"
#include "graft/survey.h"
#include "graft/reader.h"
#include "test_spawn.h"
#include "test_table.h"

#include <gsl/gsl_errno.h>

#define CASES "tests/ref/calvar_cases.csv"
#define REFS "tests/ref/calvar_ref.csv"

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

/* ---- against R ------------------------------------------------------- */

enum way { AS_WRITTEN, SHUFFLED, STREAMED, SHARED, N_WAYS };
static const char *const way_names[] = {"as written", "shuffled",
                                        "streamed", "shared PSUs"};

/* Run case row I of C under survey S one WAY; its mismatches. */
static int run_way(const table_t *C, size_t i, const graft_survey_t *s,
                   enum way way, size_t *n_compared)
{
    const char *name = cell(C, i, "case");
    const char *exempt[] = {s->design.weight, s->cal->design_weight,
                            s->cal->calibrated_weight};
    graft_read_opts_t read = {0};
    read.labels = s->labels;
    read.n_labels = s->n_labels;
    read.missing = s->missing;
    read.n_missing = s->n_missing;
    read.exempt = exempt;
    read.n_exempt = 3;
    table_case_t tc;
    table_case_read(C, i, &tc);
    tc.opts.df_mode = GRAFT_DF_DOMAIN;
    if (way == STREAMED)
        tc.opts.psu_budget = 1; /* stream from the first PSU on */
    graft_round_t round = {way == SHUFFLED ? table_shuffled(s->data)
                                           : s->data,
                           &read, &s->design, s->derived, s->n_derived};
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    if (graft_estimate_rounds(&round, 1, way == SHARED, &tc.opts, &e,
                              &diag) != GRAFT_OK) {
        char buf[2200];
        printf("FAIL %s (%s): %s\n", name, way_names[way],
               graft_diag_format(&diag, buf, sizeof buf));
        return 1;
    }
    int bad = compare_with_ref(&REFS_T, name, e, n_compared);
    if (bad)
        printf("  (%s, %s)\n", name, way_names[way]);
    graft_estimates_free(e);
    return bad;
}

/* The Afrobarometer case's survey file: a copy beside the CSV that
 * afro_data() writes (NULL until then). */
static const char *afro_ini;

static int run_case(const table_t *C, size_t i, size_t *n_compared)
{
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    const char *path = cell(C, i, "survey");
    if (strstr(path, "/tun_r7_raked.ini"))
        path = afro_ini;
    assert_non_null(path);
    assert_int_equal(graft_survey_load(path, &s, &diag), GRAFT_OK);
    assert_non_null(s->cal);
    assert_ptr_equal(s->design.cal, s->cal);
    int bad = 0;
    for (int w = 0; w < N_WAYS; w++)
        if (w != SHARED || s->design.psu) /* shared PSUs need PSUs */
            bad += run_way(C, i, s, (enum way)w, n_compared);
    graft_survey_free(s);
    return bad;
}

static void family(const char *prefix)
{
    run_family(&CASES_T, prefix, run_case);
}

static void test_poststratify(void **s) { (void)s; family("ps_"); }
static void test_rake(void **s)
{
    (void)s;
    family("rake_clus1");
    family("rake3");
}
static void test_linear(void **s) { (void)s; family("linear_"); }
static void test_logit(void **s) { (void)s; family("logit_"); }
static void test_raking(void **s) { (void)s; family("raking_"); }
static void test_trimmed(void **s) { (void)s; family("trim_"); }
static void test_demo(void **s) { (void)s; family("rake_demo_"); }

/* ---- Afrobarometer: the data from ../shared, R's weights committed ---- */

#define AFRO_SAV SHARED_AFRO "/tun_r7_data.sav"
#define AFRO_WEIGHTS "tests/ref/calvar_tun_r7_weights.csv"

static const char *const afro_cols[] = {"REGION", "URBRUR", "Q101",
                                        "Q49C",   "Q49G",   "Q49K",
                                        "Q49N",   "Q49R",   "Q49T"};
#define N_AFRO (sizeof afro_cols / sizeof afro_cols[0])

typedef struct afro_ctx {
    FILE *out;
    const table_t *w; /* dw, wcal per row */
    size_t row;
    int col[N_AFRO];
} afro_ctx_t;

static graft_error_t afro_header(void *vctx, const graft_column_t *cols,
                                 size_t ncols, graft_diag_t *diag)
{
    (void)diag;
    afro_ctx_t *a = vctx;
    for (size_t k = 0; k < N_AFRO; k++) {
        a->col[k] = -1;
        for (size_t j = 0; j < ncols; j++)
            if (strcmp(cols[j].name, afro_cols[k]) == 0)
                a->col[k] = (int)j;
        assert_true(a->col[k] >= 0);
        fprintf(a->out, "%s,", afro_cols[k]);
    }
    fputs("dw,wcal\n", a->out);
    return GRAFT_OK;
}

static graft_error_t afro_row(void *vctx, const graft_cell_t *cells,
                              size_t ncols, unsigned long line,
                              graft_diag_t *diag)
{
    (void)ncols, (void)line, (void)diag;
    afro_ctx_t *a = vctx;
    for (size_t k = 0; k < N_AFRO; k++) {
        const graft_cell_t *c = &cells[a->col[k]];
        if (c->kind == GRAFT_CELL_NUMBER)
            fprintf(a->out, "%.17g", c->num);
        fputc(',', a->out);
    }
    assert_true(a->row < a->w->nrows);
    fprintf(a->out, "%s,%s\n", cell(a->w, a->row, "dw"),
            cell(a->w, a->row, "wcal"));
    a->row++;
    return GRAFT_OK;
}

/* tun_r7_raked.csv (the survey file's columns read from the .sav file,
 * R's weights beside them) and a copy of its survey file, in this test's
 * temporary folder. */
static void afro_data(void)
{
    table_t w;
    table_load(&w, AFRO_WEIGHTS);
    afro_ctx_t a = {fopen(test_tmp("tun_r7_raked.csv"), "w"), &w, 0, {0}};
    assert_non_null(a.out);
    graft_diag_t diag;
    assert_int_equal(graft_read(AFRO_SAV, NULL, afro_header, afro_row, &a,
                                &diag),
                     GRAFT_OK);
    assert_int_equal(fclose(a.out), 0);
    assert_int_equal(a.row, w.nrows);
    table_free(&w);
    size_t len;
    char *ini = test_slurp_must("tests/data/calvar/tun_r7_raked.ini", &len);
    afro_ini = test_tmp("tun_r7_raked.ini");
    FILE *f = fopen(afro_ini, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(ini, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(ini);
}

static void test_afrobarometer(void **s)
{
    (void)s;
    SKIP_WITHOUT_SHARED();
    afro_data();
    family("tun_");
}

/* Without [calibration] the same data give another (R's uncalibrated)
 * SE: the section is what changes the variance. */
static void test_section_matters(void **state)
{
    (void)state;
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load("tests/data/calvar/ps_clus1.ini", &s,
                                       &diag),
                     GRAFT_OK);
    graft_indicator_spec_t ind = {0};
    ind.type = GRAFT_IND_MEAN;
    ind.expr = "api00";
    ind.expr_src = (graft_source_t){"expr", 1, 1};
    graft_estimate_opts_t opts = {0};
    opts.indicators = &ind;
    opts.n_indicators = 1;
    opts.level = 0.95;
    graft_estimates_t *a = NULL, *b = NULL;
    assert_int_equal(graft_estimate_file(s->data, NULL, &s->design, &opts,
                                         &a, &diag),
                     GRAFT_OK);
    graft_design_spec_t plain = s->design;
    plain.cal = NULL;
    assert_int_equal(graft_estimate_file(s->data, NULL, &plain, &opts, &b,
                                         &diag),
                     GRAFT_OK);
    assert_close(a->rows[0].estimate, b->rows[0].estimate, 0, 0);
    /* R: SE(svymean(~api00, postStratify(dclus1, ~stype, ...))) is the
     * reference row; uncalibrated it is larger here */
    const table_t *R = &REFS_T;
    size_t r = table_find(R, "case", "ps_clus1_1");
    assert_close(a->rows[0].se, strtod(cell(R, r, "se"), NULL), 1e-9, 0);
    assert_true(fabs(b->rows[0].se - a->rows[0].se) > 1e-3 * a->rows[0].se);
    graft_estimates_free(a);
    graft_estimates_free(b);
    graft_survey_free(s);
}

/* Two calibrated rounds (compare, trend, run): independent rounds, so the
 * contrast's SE is the root of the sum of R's two calibrated variances
 * (apiclus1 post-stratified, and raked). */
static void test_two_rounds(void **state)
{
    (void)state;
    graft_survey_t *a = NULL, *b = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load("tests/data/calvar/ps_clus1.ini", &a,
                                       &diag),
                     GRAFT_OK);
    assert_int_equal(graft_survey_load("tests/data/calvar/rake_clus1.ini", &b,
                                       &diag),
                     GRAFT_OK);
    graft_round_t rounds[2] = {{a->data, NULL, &a->design, NULL, 0},
                               {b->data, NULL, &b->design, NULL, 0}};
    const double coef[2] = {-1, 1};
    graft_contrast_spec_t con = {coef, 0};
    graft_indicator_spec_t ind = {0};
    ind.type = GRAFT_IND_MEAN;
    ind.expr = "api00";
    ind.expr_src = (graft_source_t){"expr", 1, 1};
    graft_estimate_opts_t opts = {0};
    opts.indicators = &ind;
    opts.n_indicators = 1;
    opts.level = 0.95;
    opts.contrasts = &con;
    opts.n_contrasts = 1;
    graft_estimates_t *e = NULL;
    assert_int_equal(graft_estimate_rounds(rounds, 2, 0, &opts, &e, &diag),
                     GRAFT_OK);
    const table_t *R = &REFS_T;
    size_t ra = table_find(R, "case", "ps_clus1_1");
    size_t rb = table_find(R, "case", "rake_clus1_1");
    assert_string_equal(cell(R, ra, "domain"), "All");
    assert_string_equal(cell(R, rb, "domain"), "All");
    double sa = strtod(cell(R, ra, "se"), NULL);
    double sb = strtod(cell(R, rb, "se"), NULL);
    double ea = strtod(cell(R, ra, "estimate"), NULL);
    double eb = strtod(cell(R, rb, "estimate"), NULL);
    assert_int_equal(e->n_contrasts, 1);
    assert_close(e->rows[0].se, sa, 1e-9, 0);
    assert_close(e->rows[1].se, sb, 1e-9, 0);
    assert_close(e->contrasts[0].estimate, eb - ea, 1e-9, 0);
    assert_close(e->contrasts[0].se, sqrt(sa * sa + sb * sb), 1e-9, 0);
    graft_estimates_free(e);
    graft_survey_free(a);
    graft_survey_free(b);
}

/* ---- bad [calibration] sections ------------------------------------- */

static const char *write_ini(const char *name, const char *calibration)
{
    const char *path = test_tmp(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[survey]\ndata = %s/tests/data/calvar/ps_clus1.csv\n"
               "[design]\nweight = wcal\npsu = dnum\nfpc = fpc\n"
               "[calibration]\n%s",
            getenv("PWD") ? getenv("PWD") : ".", calibration);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Loading the survey file fails with CODE and the message at its line. */
static void expect_load_error(const char *calibration, unsigned long line,
                              const char *msg)
{
    const char *path = write_ini("bad_cal.ini", calibration);
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_survey_load(path, &s, &diag),
                     GRAFT_ERR_SURVEY_FILE);
    assert_null(s);
    assert_int_equal(diag.line, line);
    if (strcmp(diag.msg, msg) != 0)
        fail_msg("got '%s', want '%s'", diag.msg, msg);
}

#define CAL_OK "method = rake\ndesign_weight = dw\nmargins = stype; sch.wide\n"

static void test_bad_sections(void **state)
{
    (void)state;
    expect_load_error(CAL_OK "colour = blue\n", 11,
                      "unknown key 'colour' in [calibration] (expected "
                      "method, design_weight, calibrated_weight, margins, "
                      "files, bounds, tolerance, max_iter or trim)");
    expect_load_error("method = ipf\n", 8,
                      "method 'ipf' must be poststratify, rake, linear, "
                      "logit or raking");
    expect_load_error(CAL_OK "method = rake\n", 11,
                      "method is given twice in [calibration]");
    expect_load_error("method = rake\nmargins = stype;; sch.wide\n", 9,
                      "margins: margin 2 ('') has an empty variable name");
    expect_load_error("method = rake\nmargins = stype * \n", 9,
                      "margins: margin 1 ('stype *') has an empty variable "
                      "name");
    char many[400] = "method = rake\nmargins = v0";
    for (int i = 1; i <= 32; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "; v%d", i);
    strcat(many, "\n");
    expect_load_error(many, 9, "margins: more than 32 margins");
    expect_load_error(CAL_OK "bounds = 2, 0.5\n", 11,
                      "bounds '2, 0.5' must be two numbers L, U with L <= U");
    expect_load_error(CAL_OK "trim = 3\n", 11,
                      "trim '3' must be two numbers L, U with L <= U");
    expect_load_error(CAL_OK "tolerance = -1\n", 11,
                      "tolerance '-1' must be a positive number");
    expect_load_error(CAL_OK "max_iter = 2.5\n", 11,
                      "max_iter '2.5' must be a positive whole number");
    expect_load_error("method = rake\ndesign_weight =\n", 9,
                      "design_weight is empty in [calibration]");
    /* checked once the whole section is read, at its first key */
    expect_load_error("design_weight = dw\nmargins = stype\n", 8,
                      "[calibration] has no method key");
    expect_load_error("method = linear\nmargins = stype\n", 8,
                      "[calibration] has no design_weight key");
    expect_load_error("method = linear\ndesign_weight = dw\n", 8,
                      "[calibration] has no margins key");
    expect_load_error("method = poststratify\ndesign_weight = dw\n"
                      "margins = stype; sch.wide\n",
                      8,
                      "[calibration] method poststratify takes one margin "
                      "(crossed variables joined by '*'), not 2");
}

/* What the command line says, with its exit code, for a calibration its
 * data cannot carry. */
static void test_bad_data(void **state)
{
    (void)state;
    spawn_result_t res;
    const char *ini = write_ini("nocol.ini", "method = rake\n"
                                             "design_weight = dw\n"
                                             "margins = stype; region\n");
    char want[1024];
    spawn_graft(&res, "estimate", "--survey", ini, "--mean", "api00", NULL);
    snprintf(want, sizeof want,
             "%s:8: [calibration] margins variable 'region' is not a "
             "column of %s/tests/data/calvar/ps_clus1.csv",
             ini, getenv("PWD"));
    spawn_expect_error(&res, graft_exit_code(GRAFT_ERR_COLUMN), want);

    /* a margin value missing on a row */
    const char *csv = test_tmp("holes.csv");
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs("y,w,dw,zone\n1,2,1,a\n2,2,1,\n3,2,1,a\n", f);
    assert_int_equal(fclose(f), 0);
    const char *ini2 = test_tmp("holes.ini");
    f = fopen(ini2, "w");
    assert_non_null(f);
    fprintf(f, "[survey]\ndata = holes.csv\n[design]\nweight = w\n"
               "[calibration]\nmethod = poststratify\ndesign_weight = dw\n"
               "margins = zone\n");
    assert_int_equal(fclose(f), 0);
    spawn_graft(&res, "estimate", "--survey", ini2, "--mean", "y", NULL);
    snprintf(want, sizeof want,
             "%s:3: margin variable 'zone' is missing: a calibrated weight "
             "puts every row in a cell of each margin",
             csv);
    spawn_expect_error(&res, graft_exit_code(GRAFT_ERR_DESIGN_VALUE), want);

    /* a design weight that is not a number */
    f = fopen(csv, "w");
    assert_non_null(f);
    fputs("y,w,dw,zone\n1,2,1,a\n2,2,x,b\n", f);
    assert_int_equal(fclose(f), 0);
    spawn_graft(&res, "estimate", "--survey", ini2, "--mean", "y", NULL);
    snprintf(want, sizeof want,
             "%s:3: [calibration] weight 'dw' is not a number ('x'): the "
             "calibration-adjusted variance needs it on every row",
             csv);
    spawn_expect_error(&res, graft_exit_code(GRAFT_ERR_WEIGHT), want);

    /* the survey file's own error, through the command line */
    const char *bad = write_ini("badkey.ini", CAL_OK "colour = blue\n");
    spawn_graft(&res, "estimate", "--survey", bad, "--mean", "api00", NULL);
    assert_int_equal(res.status, graft_exit_code(GRAFT_ERR_SURVEY_FILE));
    assert_non_null(strstr(res.err, "badkey.ini:11"));
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poststratify),
        cmocka_unit_test(test_rake),
        cmocka_unit_test(test_linear),
        cmocka_unit_test(test_logit),
        cmocka_unit_test(test_raking),
        cmocka_unit_test(test_trimmed),
        cmocka_unit_test(test_demo),
        cmocka_unit_test(test_afrobarometer),
        cmocka_unit_test(test_section_matters),
        cmocka_unit_test(test_two_rounds),
        cmocka_unit_test(test_bad_sections),
        cmocka_unit_test(test_bad_data),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
