/*
 * test_weight.c - `graft weight` end to end: margins files and their
 * errors, the calibrated weights against R's (tests/R/weight_ref.R ->
 * tests/ref/weight_*.csv), the weighting report's statistics, the output
 * data and its survey file (read back by graft estimate), replicate
 * weights calibrated, [weighting] in graft run, no partial output and no
 * input touched.
 *
 * The binary under test is $GRAFT_BIN, else ./graft.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "test_table.h"
#include "graft/weight.h"

#include <gsl/gsl_errno.h>
#include <jansson.h>

#define REF "tests/ref/"
#define FIX "tests/data/weight/"
#define DEMO "surveys/demo/round1.ini"
#define DEMO_CSV "surveys/demo/round1.csv"
#define MZ "surveys/demo/margins/zone.csv"
#define MS "surveys/demo/margins/sex.csv"
#define MA "surveys/demo/margins/age_group.csv"
#define MARGINS MZ "," MS "," MA

static spawn_result_t RUN;

static void run(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    spawn_graft_v(&RUN, arg, ap);
    va_end(ap);
}

#define OUT test_tmp("w_out.csv")
#define OUT_INI test_tmp("w_out.ini")

static void clean(void)
{
    unlink(OUT);
    unlink(OUT_INI);
}

/* The run failed with CODE and exactly MSG, and left no output. */
static void expect_error(int code, const char *msg)
{
    spawn_expect_error(&RUN, code, msg);
    assert_false(test_file_exists(OUT));
    assert_false(test_file_exists(OUT_INI));
}

/* ---- margins files ----------------------------------------------------------- */

/* Write TEXT as the margins file NAME and run the demo against it (with
 * the zone margins first when SECOND); expect CODE and MSG, where %s in
 * MSG stands for the margins file's path. */
static void margins_case(const char *name, const char *text, int second,
                         int code, const char *msg)
{
    char path[600], args[1300], want[2000];
    snprintf(path, sizeof path, "%s", test_tmp(name));
    test_write_file(path, text);
    snprintf(args, sizeof args, "%s%s", second ? MZ "," : "", path);
    snprintf(want, sizeof want, msg, path, path);
    clean();
    run("weight", DEMO, "--margins", args, "-o", OUT, NULL);
    expect_error(code, want);
}

static void test_margins_errors(void **state)
{
    (void)state;
    margins_case("m1.csv",
                 "zone,total\nNorth,1400000\nNorth East,1050000\nCentral,"
                 "1380000\nWest,1160000\nSouth,960000\n",
                 0, 65,
                 DEMO_CSV ":2160:3: zone 'Capital' is not a cell of the "
                          "margins file %s");
    margins_case("m2.csv",
                 "zone,total\nNorth,1400000\nNorth East,1050000\nCentral,"
                 "1380000\nWest,1160000\nSouth,960000\nCapital,1550000\n"
                 "Island,5\n",
                 0, 65, "%s:8:1: zone 'Island' has no row in " DEMO_CSV);
    margins_case("m3.csv", "zone,total\nNorth,1400000\nNorth East,\n", 0, 65,
                 "%s:3:2: the total is empty");
    margins_case("m4.csv", "zone,total\nNorth,1400000\nNorth East,-3\n", 0,
                 65, "%s:3:2: the total -3 is negative");
    margins_case("m5.csv", "zone,total\nNorth,1400000\nNorth East,1e5x\n", 0,
                 65, "%s:3:2: the total '1e5x' is not a number");
    margins_case("m6.csv", "zone,total\nNorth,1400000\nNorth,3\n", 0, 65,
                 "%s:3:1: cell 'North' is given twice (first on line 2)");
    margins_case("m7.csv", "zone,count\nNorth,1400000\n", 0, 65,
                 "%s:1:2: a margins file's header is one or more survey "
                 "variables then 'total' (e.g. zone,total)");
    margins_case("m8.csv", "total\n1400000\n", 0, 65,
                 "%s:1:1: a margins file's header is one or more survey "
                 "variables then 'total' (e.g. zone,total)");
    margins_case("m9.csv", "zoen,total\nNorth,1400000\n", 0, 65,
                 "%s:1:1: margin variable 'zoen' is not a column of " DEMO_CSV
                 " (did you mean 'zone'?)");
    margins_case("m10.csv", "zone,total\n,5\n", 0, 65,
                 "%s:2:1: the value of 'zone' is empty");
    margins_case("m11.csv", "sex,total\nMale,3000000\nFemale,3000000\n", 1,
                 65,
                 "%s: its totals sum to 6000000, but those of " MZ
                 " to 7500000: margins of one population must agree (within "
                 "0.1%%)");
    /* codes where the data has labels: --by shows the labels */
    margins_case("m12.csv", "sex,total\n1,3690000\n2,3810000\n", 1, 65,
                 DEMO_CSV ":2:8: sex 'Male' is not a cell of the margins "
                          "file %s");
    /* crossed cells */
    margins_case("m13.csv",
                 "sex,urban,total\nMale,Urban,2000000\nMale,Rural,1690000\n"
                 "Female,Urban,2000000\n",
                 1, 65,
                 DEMO_CSV ":196:8: sex*urban 'Female*Rural' is not a cell of "
                          "the margins file %s");
}

/* Within 0.1%: accepted (the error needs more). */
static void test_margins_sums_close(void **state)
{
    (void)state;
    graft_margins_t *a = NULL, *b = NULL;
    graft_diag_t diag;
    char *pa = strdup(test_tmp("s1.csv")), *pb = strdup(test_tmp("s2.csv"));
    test_write_file(pa, "x,total\n1,1000\n2,1000\n");
    test_write_file(pb, "y,total\n1,2001.9\n");
    assert_int_equal(graft_margins_load(pa, &a, &diag), GRAFT_OK);
    assert_int_equal(graft_margins_load(pb, &b, &diag), GRAFT_OK);
    graft_margins_t *ms[2] = {a, b};
    assert_int_equal(graft_margins_check_sums(ms, 2, &diag), GRAFT_OK);
    graft_margins_free(b);
    test_write_file(pb, "y,total\n1,2002.1\n");
    assert_int_equal(graft_margins_load(pb, &b, &diag), GRAFT_OK);
    ms[1] = b;
    assert_int_equal(graft_margins_check_sums(ms, 2, &diag),
                     GRAFT_ERR_SURVEY_FILE);
    assert_string_equal(graft_margins_margin(a)->cell_names[1], "2");
    assert_close(graft_margins_sum(a), 2000, 0, 0);
    graft_margins_free(a);
    graft_margins_free(b);
    free(pa);
    free(pb);
}

/* A string column's "01" matches a margins cell written "01" (an alias of
 * the cell's key, the number 1); a number column's 1 matches it too. */
static void test_margins_string_codes(void **state)
{
    (void)state;
    graft_margins_t *m = NULL;
    graft_diag_t diag;
    char *path = strdup(test_tmp("codes.csv"));
    test_write_file(path, "code,total\n01,50\n2.0,50\n");
    assert_int_equal(graft_margins_load(path, &m, &diag), GRAFT_OK);
    graft_column_t cols[1] = {{"code", NULL, GRAFT_COL_STRING, NULL}};
    assert_int_equal(graft_margins_bind(m, "data", cols, 1, &diag), GRAFT_OK);
    graft_cell_t s01 = {GRAFT_CELL_STRING, 0, "01", 2};
    graft_cell_t n1 = {GRAFT_CELL_NUMBER, 1, NULL, 0};
    graft_cell_t s2 = {GRAFT_CELL_STRING, 0, "2.0", 3};
    graft_cell_t s1 = {GRAFT_CELL_STRING, 0, "1", 1};
    graft_cell_t s02 = {GRAFT_CELL_STRING, 0, "02", 2};
    uint32_t cell = 9;
    assert_int_equal(graft_margins_cell(m, &s01, 2, &cell, &diag), GRAFT_OK);
    assert_int_equal(cell, 0);
    assert_int_equal(graft_margins_cell(m, &n1, 3, &cell, &diag), GRAFT_OK);
    assert_int_equal(cell, 0);
    assert_int_equal(graft_margins_cell(m, &s1, 4, &cell, &diag), GRAFT_OK);
    assert_int_equal(cell, 0);
    assert_int_equal(graft_margins_cell(m, &s2, 5, &cell, &diag), GRAFT_OK);
    assert_int_equal(cell, 1);
    assert_int_equal(graft_margins_cell(m, &s02, 6, &cell, &diag),
                     GRAFT_ERR_SURVEY_FILE);
    assert_int_equal(graft_margins_cell_rows(m, 0), 3);
    graft_margins_free(m);
    free(path);
}

/* ---- usage ---------------------------------------------------------------------- */

static void test_usage_errors(void **state)
{
    (void)state;
    clean();
    run("weight", DEMO, "-o", OUT, NULL);
    expect_error(64, "weight: give --margins FILE[,FILE...] (calibration), "
                     "--trim L,U, or both");
    run("weight", DEMO, "--margins", MZ, NULL);
    expect_error(64, "weight: give -o FILE (the survey file is written "
                     "beside it)");
    run("weight", DEMO, "--margins", MZ, "--method", "ipf", "-o", OUT, NULL);
    expect_error(64, "weight: --method: 'ipf' is not one of poststratify, "
                     "rake, linear, logit, raking");
    run("weight", DEMO, "--margins", MZ, "--bounds", "0.5,2", "-o", OUT,
        NULL);
    expect_error(64, "weight: --bounds is for --method linear, logit and "
                     "raking");
    run("weight", DEMO, "--margins", MZ, "--method", "linear", "--bounds",
        "2,0.5", "-o", OUT, NULL);
    expect_error(64, "weight: --bounds: '2,0.5' is not L,U with L < U (two "
                     "numbers)");
    run("weight", DEMO, "--trim", "10", "-o", OUT, NULL);
    expect_error(64, "weight: --trim: '10' is not L,U with L < U (two "
                     "numbers)");
    run("weight", DEMO, "--method", "rake", "--trim", "1,2", "-o", OUT, NULL);
    expect_error(64, "weight: --method, --bounds, --tolerance and --max-iter "
                     "need --margins");
    run("weight", DEMO, "--margins", MZ, "--tolerance", "0", "-o", OUT, NULL);
    expect_error(64, "weight: --tolerance: '0' is not a positive number");
    char ini[600], want[1400];
    snprintf(ini, sizeof ini, "%s", test_tmp("w_out.ini"));
    run("weight", DEMO, "--margins", MZ, "-o", ini, NULL);
    snprintf(want, sizeof want,
             "-o '%s': give a data file name such as OUT.csv (the survey "
             "file OUT.ini is written beside it)",
             ini);
    expect_error(64, want);
}

/* A calibration that cannot meet its bounds: exit 65, a message naming a
 * margins file and line, no output. */
static void test_calibration_fails(void **state)
{
    (void)state;
    clean();
    run("weight", DEMO, "--margins", MARGINS, "--method", "linear",
        "--bounds", "0.99,1.01", "-o", OUT, NULL);
    assert_int_equal(RUN.status, 65);
    assert_true(strncmp(RUN.err, "graft: surveys/demo/margins/", 28) == 0);
    assert_non_null(strstr(RUN.err, "did not converge"));
    assert_false(test_file_exists(OUT));
    assert_false(test_file_exists(OUT_INI));
}

/* -o onto an input, or an OUT.ini graft did not write. */
static void test_output_refusals(void **state)
{
    (void)state;
    char csv[600], ini[600];
    snprintf(csv, sizeof csv, "%s", test_tmp("copy.csv"));
    snprintf(ini, sizeof ini, "%s", test_tmp("copy.ini"));
    char *data = test_slurp_must(FIX "quoted.csv", NULL);
    test_write_file(csv, data);
    free(data);
    run("weight", csv, "--weight", "w", "--margins", FIX "quoted_grp.csv",
        "-o", csv, NULL);
    assert_int_equal(RUN.status, 64);
    test_write_file(ini, "; mine\n");
    char out[600];
    snprintf(out, sizeof out, "%s", test_tmp("copy.tsv"));
    run("weight", FIX "quoted.csv", "--weight", "w", "--margins",
        FIX "quoted_grp.csv", "-o", out, NULL);
    char want[1400];
    snprintf(want, sizeof want,
             "weight: %s exists and was not written by graft weight: "
             "refusing to replace it (--force replaces it)",
             ini);
    spawn_expect_error(&RUN, 64, want);
    assert_false(test_file_exists(out));
    data = test_slurp_must(ini, NULL);
    assert_string_equal(data, "; mine\n");
    free(data);
}

/* ---- the output ------------------------------------------------------------------ */

/* Every input field as it was (RFC 4180 quoting where a field needs it),
 * the new weight appended; the input untouched. */
static void test_output_fields(void **state)
{
    (void)state;
    char *before = test_slurp_must(FIX "quoted.csv", NULL);
    clean();
    run("weight", FIX "quoted.csv", "--weight", "w", "--margins",
        FIX "quoted_grp.csv", "--method", "poststratify", "-o", OUT,
        "--name", "w2", NULL);
    spawn_expect_ok(&RUN);
    char *after = test_slurp_must(FIX "quoted.csv", NULL);
    assert_string_equal(before, after);
    table_t *t = table_open(OUT);
    assert_int_equal(t->ncols, 5);
    assert_string_equal(t->names[4], "w2");
    assert_string_equal(cell(t, 0, "name"), "Smith, J");
    assert_string_equal(cell(t, 1, "name"), "O\"Brien");
    assert_string_equal(cell(t, 2, "name"), " lead space");
    /* post-stratification: each cell's weights times target / their sum */
    const double w[4] = {10, 20, 30, 40}, f[4] = {50.0 / 40, 50.0 / 60,
                                                  50.0 / 40, 50.0 / 60};
    for (size_t r = 0; r < 4; r++)
        assert_close(table_num(t, r, 4), w[r] * f[r], 1e-12, 0);
    table_close(t);
    /* the lines as they were, the new field after them */
    char *out = test_slurp_must(OUT, NULL);
    char *line = strstr(out, "\n") + 1;
    assert_int_equal(strncmp(line, "1,\"Smith, J\",a,10,", 18), 0);
    assert_non_null(strstr(out, "\n2,\"O\"\"Brien\",b,20,"));
    assert_non_null(strstr(out, "\n3,\" lead space\",a,30,"));
    free(out);
    free(before);
    free(after);
    char *ini = test_slurp_must(OUT_INI, NULL);
    assert_non_null(strstr(ini, "\ndata = w_out.csv\n"));
    assert_non_null(strstr(ini, "\nweight = w2\n"));
    assert_non_null(strstr(ini, "\n[calibration]\nmethod = poststratify\n"
                                "design_weight = w\ncalibrated_weight = w2\n"
                                "margins = grp\n"));
    free(ini);
}

/* The demo's every field kept byte for byte (none needs quotes). */
static void test_output_demo_bytes(void **state)
{
    (void)state;
    clean();
    run("weight", DEMO, "--margins", MARGINS, "-o", OUT, NULL);
    spawn_expect_ok(&RUN);
    char *in = test_slurp_must(DEMO_CSV, NULL);
    char *out = test_slurp_must(OUT, NULL);
    /* cut the last field (the new weight) of every output line */
    char *w = out;
    for (char *line = out; *line;) {
        char *end = strchr(line, '\n');
        char *comma = line;
        for (char *p = line; p < end; p++)
            if (*p == ',')
                comma = p;
        memmove(w, line, (size_t)(comma - line));
        w += comma - line;
        *w++ = '\n';
        line = end + 1;
    }
    *w = '\0';
    assert_string_equal(out, in);
    free(in);
    free(out);
}

/* An SPSS file: cells by its value labels, values written as read (the
 * same weights as its values exported by R to CSV, cells by code), its
 * labels in OUT.ini. */
static void test_output_sav(void **state)
{
    (void)state;
    char csv[600];
    snprintf(csv, sizeof csv, "%s", test_tmp("from_csv.csv"));
    clean();
    run("weight", "tests/data/stat/survey.sav", "--weight", "wt", "--margins",
        FIX "sav_region_labels.csv", "--method", "poststratify", "-o", OUT,
        NULL);
    spawn_expect_ok(&RUN);
    run("weight", "tests/data/stat/survey_sav.values.csv", "--weight", "wt",
        "--margins", FIX "sav_region_codes.csv", "--method", "poststratify",
        "-o", csv, NULL);
    spawn_expect_ok(&RUN);
    table_t *a = table_open(OUT), *b = table_open(csv);
    assert_int_equal(a->nrows, 24);
    assert_int_equal(a->nrows, b->nrows);
    size_t ca = table_col(a, "wt_cal"), cb = table_col(b, "wt_cal");
    for (size_t r = 0; r < a->nrows; r++) {
        assert_close(table_num(a, r, ca), table_num(b, r, cb), 1e-15, 0);
        /* numbers as read: R's %.17g of the same doubles reads back the
         * same */
        assert_close(table_num(a, r, table_col(a, "x")),
                     table_num(b, r, table_col(b, "x")), 0, 0);
        assert_string_equal(cell(a, r, "s"), cell(b, r, "s"));
    }
    table_close(a);
    table_close(b);
    char *ini = test_slurp_must(OUT_INI, NULL);
    assert_non_null(strstr(ini, "\n[labels.region]\n1 = Great Tunis\n"));
    free(ini);
    run("estimate", "--survey", OUT_INI, "--total", "1", "--by", "region",
        "--format", "csv", NULL);
    spawn_expect_ok(&RUN);
    assert_non_null(strstr(RUN.out, "\n1,Great Tunis,300,"));
    assert_non_null(strstr(RUN.out, "\n1,8,30,"));
    unlink(csv);
}

/* A margin on a [derive]d variable: calibrated to it, its total is met
 * with no variance (the calibration's residuals of a calibration
 * variable are 0). */
static void test_derived_margin(void **state)
{
    (void)state;
    clean();
    run("weight", FIX "derived.ini", "--margins", FIX "young.csv," MZ, "-o",
        OUT, NULL);
    spawn_expect_ok(&RUN);
    char *ini = test_slurp_must(OUT_INI, NULL);
    assert_non_null(strstr(ini, "\nmargins = young; zone\n"));
    assert_non_null(strstr(ini, "\n[derive]\nyoung = age_group == 1\n"));
    free(ini);
    run("estimate", "--survey", OUT_INI, "--total", "young", "--format",
        "csv", NULL);
    spawn_expect_ok(&RUN);
    char *path = strdup(test_tmp("young.csv"));
    test_write_file(path, RUN.out);
    table_t *t = table_open(path);
    assert_close(table_num(t, 0, table_col(t, "estimate")), 2250000, 1e-9, 0);
    assert_close(table_num(t, 0, table_col(t, "se")), 0, 0, 1e-6);
    table_close(t);
    unlink(path);
    free(path);
    /* a derived value the margins file lacks */
    test_write_file(test_tmp("young1.csv"), "young,total\n1,2250000\n");
    run("weight", FIX "derived.ini", "--margins", test_tmp("young1.csv"), "-o",
        OUT, NULL);
    assert_int_equal(RUN.status, 65);
    assert_non_null(strstr(RUN.err, "young '0' is not a cell of the margins "
                                    "file"));
}

/* ---- against R ---------------------------------------------------------------------- */

typedef struct rcase {
    const char *column;   /* of weight_demo.csv */
    double rel;
    const char *args[12];
} rcase_t;

static const rcase_t R_CASES[] = {
    {"ps", 1e-9, {"--margins", MZ, "--method", "poststratify", NULL}},
    {"rake", 1e-7, {"--margins", MARGINS, "--method", "rake", NULL}},
    {"linear", 1e-9, {"--margins", MARGINS, "--method", "linear", NULL}},
    {"linear_b", 1e-7,
     {"--margins", MARGINS, "--method", "linear", "--bounds", "0.93,1.14",
      NULL}},
    {"raking", 1e-7, {"--margins", MARGINS, "--method", "raking", NULL}},
    {"logit", 1e-7,
     {"--margins", MARGINS, "--method", "logit", "--bounds", "0.9,1.2",
      NULL}},
    {"rake_trim", 1e-7,
     {"--margins", MARGINS, "--method", "rake", "--trim", "1000,7000", NULL}},
    {"trim", 1e-9, {"--trim", "1000,7000", NULL}},
    {"ps_cross", 1e-9,
     {"--margins", FIX "sex_urban.csv", "--method", "poststratify", NULL}},
};

static void run_case(const rcase_t *c)
{
    const char *args[24];
    size_t n = 0;
    args[n++] = "weight";
    args[n++] = DEMO;
    for (size_t i = 0; c->args[i]; i++)
        args[n++] = c->args[i];
    args[n++] = "-o";
    args[n++] = OUT;
    args[n] = NULL;
    clean();
    spawn_graft_env(&RUN, NULL, args);
    spawn_expect_ok(&RUN);
}

static void test_against_r(void **state)
{
    (void)state;
    table_t *ref = table_open(REF "weight_demo.csv");
    size_t compared = 0;
    for (size_t k = 0; k < sizeof R_CASES / sizeof R_CASES[0]; k++) {
        const rcase_t *c = &R_CASES[k];
        run_case(c);
        table_t *t = table_open(OUT);
        size_t col = table_col(t, "weight_cal"), rc = table_col(ref, c->column);
        assert_int_equal(t->nrows, ref->nrows);
        for (size_t r = 0; r < t->nrows; r++) {
            assert_string_equal(cell(t, r, "id"), cell(ref, r, "id"));
            assert_close(table_num(t, r, col), table_num(ref, r, rc), c->rel,
                         0);
            compared++;
        }
        table_close(t);
    }
    printf("test_against_r: %zu weights compared with R's\n", compared);
    table_close(ref);
}

/* An Afrobarometer SPSS file (Tunisia round 7, cells by its value labels)
 * raked, linear- and raking-calibrated from the command line: R's weights
 * (tests/R/calibrate_ref.R, svydesign(ids = ~1, weights = ~withinwt)). */
static void test_afrobarometer(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    static const struct {
        const char *ref, *method, *margins;
    } cases[] = {
        {"tun_r7_rake", "rake",
         "tests/data/margins/tun_r7_region.csv,tests/data/margins/"
         "tun_r7_gender.csv,tests/data/margins/tun_r7_urbrur.csv"},
        {"tun_r7_linear", "linear",
         "tests/data/margins/tun_r7_region.csv,tests/data/margins/"
         "tun_r7_gender.csv,tests/data/margins/tun_r7_urbrur.csv"},
        {"tun_r7_raking", "raking",
         "tests/data/margins/tun_r7_region.csv,tests/data/margins/"
         "tun_r7_gender.csv"},
    };
    size_t compared = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char ref_path[300];
        snprintf(ref_path, sizeof ref_path, REF "calibrate_%s.csv",
                 cases[k].ref);
        clean();
        run("weight", SHARED_AFRO "/tun_r7_data.sav", "--weight", "withinwt",
            "--margins", cases[k].margins, "--method", cases[k].method, "-o",
            OUT, NULL);
        spawn_expect_ok(&RUN);
        table_t *t = table_open(OUT), *ref = table_open(ref_path);
        assert_int_equal(t->nrows, ref->nrows);
        size_t col = table_col(t, "withinwt_cal"), rc = table_col(ref, "w_cal");
        for (size_t r = 0; r < t->nrows; r++, compared++)
            assert_close(table_num(t, r, col), table_num(ref, r, rc), 1e-7, 0);
        table_close(t);
        table_close(ref);
    }
    printf("test_afrobarometer: %zu weights compared with R's\n", compared);
}

/* Trimming after calibration keeps the untrimmed weight, which
 * [calibration] names. */
static void test_trim_after_calibration(void **state)
{
    (void)state;
    run_case(&R_CASES[6]);
    table_t *ref = table_open(REF "weight_demo.csv");
    table_t *t = table_open(OUT);
    size_t u = table_col(t, "weight_cal_untrimmed"), rc = table_col(ref, "rake");
    for (size_t r = 0; r < t->nrows; r++)
        assert_close(table_num(t, r, u), table_num(ref, r, rc), 1e-7, 0);
    table_close(t);
    table_close(ref);
    char *ini = test_slurp_must(OUT_INI, NULL);
    assert_non_null(strstr(ini, "\nweight = weight_cal\n"));
    assert_non_null(strstr(ini, "\ncalibrated_weight = weight_cal_untrimmed\n"));
    assert_non_null(strstr(ini, "\ntrim = 1000, 7000\n"));
    free(ini);
}

/* The report's statistics of the design and raked weights. */
static void test_report_stats(void **state)
{
    (void)state;
    table_t *ref = table_open(REF "weight_stats.csv");
    clean();
    run("weight", DEMO, "--margins", MARGINS, "-o", OUT, "--format", "csv",
        NULL);
    spawn_expect_ok(&RUN);
    char *path = strdup(test_tmp("report.csv"));
    test_write_file(path, RUN.out);
    table_t *t = table_open(path);
    static const char *const stats[] = {"n", "sum", "min", "median", "max",
                                        "mean", "cv", "kish_n", "deff"};
    const char *which[2] = {"weight", "weight_cal"};
    size_t compared = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t s = 0; s < 9; s++) {
            size_t row = (size_t)-1;
            for (size_t r = 0; r < t->nrows; r++)
                if (strcmp(cell(t, r, "part"), "weights") == 0 &&
                    strcmp(cell(t, r, "name"), which[k]) == 0 &&
                    strcmp(cell(t, r, "statistic"), stats[s]) == 0)
                    row = r;
            assert_true(row != (size_t)-1);
            /* the raked weights come from an iteration */
            assert_close(table_num(t, row, table_col(t, "value")),
                         table_num(ref, k, table_col(ref, stats[s])),
                         k ? 1e-7 : 1e-12, 0);
            compared++;
        }
    /* each margin cell achieved */
    size_t cells = 0;
    for (size_t r = 0; r < t->nrows; r++)
        if (strcmp(cell(t, r, "part"), "cell") == 0 &&
            strcmp(cell(t, r, "statistic"), "achieved") == 0) {
            assert_close(table_num(t, r, 3), table_num(t, r - 3, 3), 1e-9, 0);
            cells++;
        }
    assert_int_equal(cells, 6 + 2 + 4);
    printf("test_report_stats: %zu statistics compared with R's\n", compared);
    table_close(t);
    table_close(ref);
    unlink(path);
    free(path);
}

/* --report FILE: its format from the extension (JSON here), written with
 * the outputs; refused onto the survey file. */
static void test_report_file(void **state)
{
    (void)state;
    char rep[600];
    snprintf(rep, sizeof rep, "%s", test_tmp("w_report.json"));
    clean();
    run("weight", DEMO, "--margins", MARGINS, "--method", "linear",
        "--bounds", "0.93,1.14", "-o", OUT, "--report", rep, NULL);
    spawn_expect_ok(&RUN);
    assert_string_equal(RUN.out, "");
    json_error_t err;
    json_t *root = json_load_file(rep, 0, &err);
    assert_non_null(root);
    json_t *cal = json_object_get(root, "calibration");
    assert_string_equal(json_string_value(json_object_get(cal, "method")),
                        "linear");
    assert_true(json_is_true(json_object_get(cal, "converged")));
    assert_int_equal(json_integer_value(json_object_get(cal,
                                                        "g_outside_bounds")),
                     0);
    json_t *cells = json_object_get(cal, "cells");
    assert_int_equal(json_array_size(cells), 12);
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *c = json_array_get(cells, i);
        assert_close(json_real_value(json_object_get(c, "achieved")),
                     json_real_value(json_object_get(c, "target")), 1e-9, 0);
    }
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(root, "final"), "n")),
                     2469);
    json_decref(root);
    unlink(rep);
    clean();
    /* --format: an .ini report is otherwise an unknown extension */
    run("weight", DEMO, "--margins", MZ, "-o", OUT, "--report", OUT_INI,
        "--format", "text", NULL);
    char want[1400];
    snprintf(want, sizeof want,
             "weight: --report %s is the output survey file", OUT_INI);
    expect_error(64, want);
}

/* graft estimate reads OUT.ini: the raked estimate and its
 * calibration-adjusted SE as R's. */
static void test_ini_round_trip(void **state)
{
    (void)state;
    run_case(&R_CASES[1]);
    run("estimate", "--survey", OUT_INI, "--prop", "paid_any == 1",
        "--lonely-psu", "certainty", "--format", "csv", NULL);
    spawn_expect_ok(&RUN);
    char *path = strdup(test_tmp("est.csv"));
    test_write_file(path, RUN.out);
    table_t *t = table_open(path), *ref = table_open(REF "weight_estimate.csv");
    assert_close(table_num(t, 0, table_col(t, "estimate")),
                 table_num(ref, 0, 1), 1e-7, 0);
    assert_close(table_num(t, 0, table_col(t, "se")), table_num(ref, 1, 1),
                 1e-7, 0);
    table_close(t);
    table_close(ref);
    unlink(path);
    free(path);
}

/* Replicate weights: each calibrated (R's postStratify on an svyrep
 * design), OUT.ini naming the new columns. */
static void test_replicates(void **state)
{
    (void)state;
    clean();
    run("weight", "tests/data/r/apiclus1_rep_jk1.csv", "--weight", "pw",
        "--repweights", "repw[0-9]+", "--reptype", "jk1", "--margins",
        FIX "api_stype.csv", "--method", "poststratify", "-o", OUT, NULL);
    spawn_expect_ok(&RUN);
    table_t *t = table_open(OUT), *ref = table_open(REF "weight_rep.csv");
    size_t compared = 0;
    for (size_t c = 1; c < ref->ncols; c++) {
        size_t col = table_col(t, ref->names[c]);
        for (size_t r = 0; r < ref->nrows; r++, compared++)
            assert_close(table_num(t, r, col), table_num(ref, r, c), 1e-12,
                         1e-12);
    }
    printf("test_replicates: %zu weights compared with R's\n", compared);
    table_close(t);
    table_close(ref);
    char *ini = test_slurp_must(OUT_INI, NULL);
    assert_non_null(strstr(ini, "\nrepweights = repw1_cal,repw2_cal,"));
    assert_non_null(strstr(ini, "\nreptype = jk1\n"));
    free(ini);
    run("estimate", "--survey", OUT_INI, "--mean", "api00", NULL);
    spawn_expect_ok(&RUN);
}

/* ---- graft run with [weighting] ------------------------------------------------------ */

static void test_run_weighting(void **state)
{
    (void)state;
    char an[600], dir[600];
    snprintf(an, sizeof an, "%s", test_tmp("an.ini"));
    snprintf(dir, sizeof dir, "%s", test_tmp("run"));
    char *cwd = getcwd(NULL, 0), text[4000];
    snprintf(text, sizeof text,
             "[analysis]\nby = zone\n[indicator.any]\ntype = prop\n"
             "expr = paid_any == 1\n[rounds]\nr1 = %s/surveys/demo/round1.ini\n"
             "r2 = %s/surveys/demo/round2.ini\n[compare]\nbaseline = r1\n"
             "followups = r2\n[weighting]\nmethod = rake\n"
             "r1 = %s/" MZ ", %s/" MS "\nr2 = %s/" MZ ", %s/" MS "\n",
             cwd, cwd, cwd, cwd, cwd, cwd);
    test_write_file(an, text);
    run("run", an, "-o", dir, NULL);
    spawn_expect_ok(&RUN);
    char p[800];
    snprintf(p, sizeof p, "%s/r1_weighted.ini", dir);
    assert_true(test_file_exists(p));
    snprintf(p, sizeof p, "%s/r2_weighting.txt", dir);
    assert_true(test_file_exists(p));
    /* the run's estimates are those of the weighted round */
    snprintf(p, sizeof p, "%s/r1_weighted.ini", dir);
    run("estimate", "--survey", p, "--prop", "paid_any == 1", "--by", "zone",
        "--format", "csv", NULL);
    spawn_expect_ok(&RUN);
    char *e = strdup(test_tmp("e.csv"));
    test_write_file(e, RUN.out);
    snprintf(p, sizeof p, "%s/estimates.csv", dir);
    table_t *single = table_open(e), *runs = table_open(p);
    for (size_t r = 0; r < single->nrows; r++) {
        size_t k = table_find(runs, "zone", cell(single, r, "zone"));
        assert_string_equal(cell(runs, k, "round"), "Round 1");
        assert_close(table_num(runs, k, table_col(runs, "estimate")),
                     table_num(single, r, table_col(single, "estimate")),
                     1e-15, 0);
        assert_close(table_num(runs, k, table_col(runs, "se")),
                     table_num(single, r, table_col(single, "se")), 1e-15,
                     0);
    }
    table_close(single);
    table_close(runs);
    free(e);
    free(cwd);
    /* the folder of a run with [weighting] is replaced by the next run */
    run("run", an, "-o", dir, NULL);
    spawn_expect_ok(&RUN);
    /* a round [weighting] does not know */
    strcat(text, "r3 = " MZ "\n");
    test_write_file(an, text);
    run("run", an, "-o", dir, NULL);
    assert_int_equal(RUN.status, 65);
    assert_non_null(strstr(RUN.err, ":16: [weighting] 'r3' is neither a "
                                    "setting"));
}

/* [weighting] errors name the analysis file's line. */
static void test_run_weighting_errors(void **state)
{
    (void)state;
    static const struct {
        const char *section, *msg;
    } cases[] = {
        {"method = ipf\n", ":8: [weighting] method 'ipf' must be "
                             "poststratify, rake, linear, logit or raking"},
        {"bounds = 2\n", ":8: [weighting] bounds '2' must be L, U with L < U"},
        {"trim = 5, 1\n", ":8: [weighting] trim '5, 1' must be L, U with L < "
                          "U"},
        {"max_iter = 0\n", ":8: [weighting] max_iter '0' must be a whole "
                           "number from 1 to 1000000"},
        {"tolerance = -1\n", ":8: [weighting] tolerance '-1' must be a "
                             "positive number"},
        {"trim_strict = maybe\n", ":8: [weighting] trim_strict 'maybe' must "
                                  "be true or false"},
        {"r1 =\n", ":8: [weighting] r1: no margins file"},
        {"method = rake\n", ":8: [weighting] names no round (ROUND = margins "
                            "files) and no trim"},
    };
    char an[600], dir[600], text[2000], want[1400];
    char *cwd = getcwd(NULL, 0);
    snprintf(an, sizeof an, "%s", test_tmp("bad.ini"));
    snprintf(dir, sizeof dir, "%s", test_tmp("badrun"));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text,
                 "[indicator.any]\nexpr = paid_any == 1\n[rounds]\n"
                 "r1 = %s/" DEMO "\n\n\n[weighting]\n%s",
                 cwd, cases[i].section);
        test_write_file(an, text);
        run("run", an, "-o", dir, NULL);
        snprintf(want, sizeof want, "%s%s", an, cases[i].msg);
        spawn_expect_error(&RUN, 65, want);
        assert_false(test_file_exists(dir));
    }
    free(cwd);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_margins_errors),
        cmocka_unit_test(test_margins_sums_close),
        cmocka_unit_test(test_margins_string_codes),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_output_refusals),
        cmocka_unit_test(test_calibration_fails),
        cmocka_unit_test(test_output_fields),
        cmocka_unit_test(test_output_demo_bytes),
        cmocka_unit_test(test_output_sav),
        cmocka_unit_test(test_derived_margin),
        cmocka_unit_test(test_against_r),
        cmocka_unit_test(test_afrobarometer),
        cmocka_unit_test(test_trim_after_calibration),
        cmocka_unit_test(test_report_stats),
        cmocka_unit_test(test_report_file),
        cmocka_unit_test(test_ini_round_trip),
        cmocka_unit_test(test_replicates),
        cmocka_unit_test(test_run_weighting),
        cmocka_unit_test(test_run_weighting_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
