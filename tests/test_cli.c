/*
 * test_cli.c - the command line end to end: every bad-input case reaches
 * one "graft: FILE:LINE:COL: message" line, its documented exit code and no
 * output file; good input gives the expected description.
 *
 * The binary under test is $GRAFT_BIN (set by `make check`), else ./graft.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"

static spawn_result_t R;

/* Run graft with the NULL-terminated arguments; fill R. */
static void run(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    spawn_graft_v(&R, arg, ap);
    va_end(ap);
}

/* The run failed with exit code CODE and exactly the message MSG. */
static void expect_error(int code, const char *msg)
{
    spawn_expect_error(&R, code, msg);
}

#define D "tests/data/cli/"
/* An output path in this process's temporary directory. */
#define OUT test_tmp("out.txt")

/* Describe FILE with the test design; -o OUT must not be left behind. */
static void describe_bad(const char *file, int code, const char *msg)
{
    unlink(OUT);
    run("describe", file, "--weight", "w", "--strata", "s", "--psu", "p",
        "-o", OUT, NULL);
    expect_error(code, msg);
    assert_false(test_file_exists(OUT));
}

/* ---- input files ---------------------------------------------------- */

static void test_missing_file(void **state)
{
    (void)state;
    describe_bad(D "nope.csv", 66,
                 D "nope.csv: cannot open: No such file or directory");
}

static void test_directory(void **state)
{
    (void)state;
    unlink(OUT);
    run("describe", "tests/data/cli", "--weight", "w", "-o", OUT, NULL);
    expect_error(74, "tests/data/cli: cannot read: Is a directory");
    assert_false(test_file_exists(OUT));
}

static void test_empty(void **state)
{
    (void)state;
    describe_bad(D "empty.csv", 65, D "empty.csv: file is empty");
}

static void test_header_only(void **state)
{
    (void)state;
    describe_bad(D "header_only.csv", 65,
                 D "header_only.csv:2: header only: no data rows");
}

static void test_duplicate_name(void **state)
{
    (void)state;
    describe_bad(D "dup_header.csv", 65,
                 D "dup_header.csv:1:4: duplicate column name 'id' "
                   "(columns 1 and 4)");
}

static void test_empty_name(void **state)
{
    (void)state;
    describe_bad(D "empty_name.csv", 65,
                 D "empty_name.csv:1:2: column 2 has an empty name");
}

static void test_extra_field(void **state)
{
    (void)state;
    describe_bad(D "extra_field.csv", 65,
                 D "extra_field.csv:3:5: row has 5 fields, the header has 4");
}

static void test_short_row(void **state)
{
    (void)state;
    describe_bad(D "short_row.csv", 65,
                 D "short_row.csv:3:4: row has 3 fields, the header has 4");
}

static void test_open_quote(void **state)
{
    (void)state;
    describe_bad(D "open_quote.csv", 65,
                 D "open_quote.csv:3:3: unterminated quoted field");
}

static void test_bad_utf8(void **state)
{
    (void)state;
    describe_bad(D "bad_utf8.csv", 65,
                 D "bad_utf8.csv:3:3: invalid UTF-8 byte 0xFF in column 's'");
}

/* An estimate reads only the columns it uses: the bad bytes of column s
 * stop it only when s is one of them. */
static void test_bad_utf8_unused_column(void **state)
{
    (void)state;
    run("estimate", D "bad_utf8.csv", "--weight", "w", "--prop", "p == 1",
        "--format", "csv", NULL);
    if (R.status != 0)
        fail_msg("status %d, stderr: %s", R.status, R.err);
    assert_non_null(strstr(R.out, "\np == 1,0.625,"));
    run("estimate", D "bad_utf8.csv", "--weight", "w", "--prop", "p == 1",
        "--by", "s", NULL);
    expect_error(65,
                 D "bad_utf8.csv:3:3: invalid UTF-8 byte 0xFF in column 's'");
}

static void test_fake_sav(void **state)
{
    (void)state;
    unlink(OUT);
    run("describe", D "fake.sav", "--weight", "w", "-o", OUT, NULL);
    expect_error(65, D "fake.sav: cannot read SPSS .sav file: Unable to read "
                       "from file (it has no SPSS .sav signature)");
    assert_false(test_file_exists(OUT));
}

static void test_fake_dta(void **state)
{
    (void)state;
    unlink(OUT);
    run("describe", D "fake.dta", "--weight", "w", "-o", OUT, NULL);
    expect_error(65, D "fake.dta: cannot read Stata .dta file: Unable to read "
                       "from file (it has no Stata .dta signature)");
    assert_false(test_file_exists(OUT));
}

/* A real .sav cut in half is a truncated file, not a crash. */
static void test_truncated_sav(void **state)
{
    (void)state;
    const char *src = "tests/data/stat/survey.sav";
    char cut[600], want[1024];
    snprintf(cut, sizeof cut, "%s", test_tmp("truncated.sav"));
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    FILE *out = fopen(cut, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(buf, 1, n / 2, out), n / 2);
    fclose(out);
    unlink(OUT);
    run("describe", cut, "--weight", "1", "-o", OUT, NULL);
    snprintf(want, sizeof want, "%s: cannot read SPSS .sav file: File did "
             "not contain the expected number of rows", cut);
    expect_error(65, want);
    assert_false(test_file_exists(OUT));
    unlink(cut);
}

/* ---- design columns and values ------------------------------------ */

static void test_unknown_columns(void **state)
{
    (void)state;
    run("describe", D "good.csv", "--weight", "ww", NULL);
    expect_error(65, D "good.csv: unknown column 'ww' in --weight "
                       "(did you mean 'w'?)");
    run("describe", D "good.csv", "--weight", "w", "--strata", "s,zone",
        NULL);
    expect_error(65, D "good.csv: unknown column 'zone' in --strata");
    run("describe", D "good.csv", "--weight", "w", "--psu", "P", NULL);
    expect_error(65, D "good.csv: unknown column 'P' in --psu "
                       "(did you mean 'p'?)");
    run("describe", D "good.csv", "--weight", "w", "--fpc", "fcp", NULL);
    expect_error(65, D "good.csv: unknown column 'fcp' in --fpc");
}

static void test_weights(void **state)
{
    (void)state;
    describe_bad(D "weight_text.csv", 65,
                 D "weight_text.csv:3:2: weight 'w' is not a number ('abc')");
    describe_bad(D "weight_negative.csv", 65,
                 D "weight_negative.csv:3:2: weight 'w' is negative (-3.1)");
    describe_bad(D "weight_nan.csv", 65,
                 D "weight_nan.csv:3:2: weight 'w' is NaN");
    describe_bad(D "weight_inf.csv", 65,
                 D "weight_inf.csv:3:2: weight 'w' is infinite");
    describe_bad(D "weight_missing.csv", 65,
                 D "weight_missing.csv:3:2: missing weight value in 'w'");
}

static void test_missing_design_values(void **state)
{
    (void)state;
    describe_bad(D "stratum_missing.csv", 65,
                 D "stratum_missing.csv:3:3: missing stratum value in 's'");
    describe_bad(D "psu_missing.csv", 65,
                 D "psu_missing.csv:3:4: missing PSU value in 'p'");
}

static void test_shared_psu(void **state)
{
    (void)state;
    describe_bad(D "shared_psu.csv", 65,
                 D "shared_psu.csv:4:4: PSU 'p' = 2 is in strata '1' and "
                   "'2'; if PSU ids repeat across strata, use --nest");
    run("describe", D "shared_psu.csv", "--weight", "w", "--strata", "s",
        "--psu", "p", "--nest", "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    /* nested: PSU 2 of stratum 1 and PSU 2 of stratum 2 are two PSUs */
    assert_non_null(strstr(R.out, "design,,psus,,4\n"));
    assert_non_null(strstr(R.out, "design,,df,,2\n"));
    /* estimate streams PSU totals; the PSU that changes stratum sends it
     * back to the full PSU table, which names the problem */
    run("estimate", D "shared_psu.csv", "--weight", "w", "--strata", "s",
        "--psu", "p", "--prop", "id > 2", NULL);
    expect_error(65, D "shared_psu.csv:4:4: PSU 'p' = 2 is in strata '1' and "
                       "'2'; if PSU ids repeat across strata, use --nest");
}

static void test_usage(void **state)
{
    (void)state;
    run("describe", D "good.csv", NULL);
    expect_error(64, "a design needs --weight COLUMN (or --weight 1 for an "
                     "unweighted analysis)");
    run("describe", D "good.csv", "--weight", "w", "--lonely-psu", "drop",
        NULL);
    expect_error(64, "--lonely-psu: 'drop' is not one of fail, remove, "
                     "certainty, adjust, average");
    run("describe", D "good.csv", "--weight", "w", "--bogus", NULL);
    expect_error(64, "describe: unknown option '--bogus' (see graft "
                     "describe --help)");
    run("describe", D "good.csv", "--weight", "w", "--format", "xml", NULL);
    expect_error(64, "--format: 'xml' must be text, csv, json or xlsx");
    run("describe", D "good.csv", "--weight", "w", "--missing", "8,x", NULL);
    expect_error(64, "--missing:1:3: '8,x' is not a comma-separated list of "
                     "numbers");
    run("frobnicate", NULL);
    expect_error(64, "unknown command 'frobnicate' (try graft --help)");
}

/* ---- good input ----------------------------------------------------- */

static void test_describe_good(void **state)
{
    (void)state;
    run("describe", D "good.csv", "--weight", "w", "--strata", "s", "--psu",
        "p", "--lonely-psu", "adjust", "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_string_equal(R.err, "");
    /* 5 rows, weight sum 6, 3 strata, 5 PSUs; stratum 3 has one PSU; the
     * zero-weight row's PSU does not count for df: (4 - 3) = 1. */
    assert_non_null(strstr(R.out, "data,,rows,,5\n"));
    assert_non_null(strstr(R.out, "weights,,sum,,6\n"));
    assert_non_null(strstr(R.out, "weights,,zero,,1\n"));
    assert_non_null(strstr(R.out, "design,,strata,,3\n"));
    assert_non_null(strstr(R.out, "design,,psus,,5\n"));
    assert_non_null(strstr(R.out, "design,,single_psu_strata,,1\n"));
    assert_non_null(strstr(R.out, "single_psu_stratum,,3,,1\n"));
    assert_non_null(strstr(R.out, "design,,df,,1\n"));
}

/* --missing applies to every column but the design's: a weight or PSU
 * of 2 stays, the id 2 becomes missing. */
static void test_missing_codes(void **state)
{
    (void)state;
    run("describe", D "good.csv", "--weight", "w", "--psu", "p",
        "--missing", "2,1.5", "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "column,id,missing,,1\n"));
    assert_non_null(strstr(R.out, "column,s,missing,,2\n"));
    assert_non_null(strstr(R.out, "column,w,missing,,0\n"));
    assert_non_null(strstr(R.out, "column,p,missing,,0\n"));
    assert_non_null(strstr(R.out, "weights,,sum,,6\n"));
}

/* A survey file's labels name the strata; flags override its design. */
static void test_survey_file(void **state)
{
    (void)state;
    run("describe", "surveys/demo/round1.ini", "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "single_psu_stratum,,Capital rural,,1\n"));
    assert_non_null(strstr(R.out, "value,zone,6,Capital,"));
    assert_non_null(strstr(R.out, "design,,df,,194\n"));
    run("describe", "--survey", "surveys/demo/round1.ini", "--psu", "id",
        "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "design,,psus,,2469\n"));
}

/* ---- estimate ------------------------------------------------------- */

#define R1 "surveys/demo/round1.ini"

static void test_estimate_bad_expressions(void **state)
{
    (void)state;
    unlink(OUT);
    run("estimate", R1, "--prop", "paid_police ==", "-o", OUT, NULL);
    expect_error(64, "--prop:1:15: unexpected end of expression");
    assert_false(test_file_exists(OUT));
    run("estimate", R1, "--prop", "paid_polce == 1", NULL);
    expect_error(65, "--prop:1:1: unknown column 'paid_polce' (did you mean "
                     "'paid_police'?)");
    run("estimate", R1, "--prop", "paid_police", "--among",
        "contact_police = 1", NULL);
    expect_error(64, "--among:1:16: unexpected '=' (compare with '==' or "
                     "'!=')");
    run("estimate", R1, "--prop", "paid_police", "--by", "zonee", NULL);
    expect_error(65, "surveys/demo/round1.csv: unknown column 'zonee' in --by "
                     "(did you mean 'zone'?)");
}

static void test_estimate_usage(void **state)
{
    (void)state;
    run("estimate", R1, NULL);
    expect_error(64, "estimate: nothing to estimate: give --prop, --mean, "
                     "--total, --quantile or --analysis");
    run("estimate", R1, "--among", "zone == 1", "--prop", "paid_police",
        NULL);
    expect_error(64, "--among 'zone == 1' must follow the --prop, --mean, "
                     "--total or --quantile it restricts (one each)");
    run("estimate", R1, "--prop", "paid_police", "--ci", "exact", NULL);
    expect_error(64, "--ci: 'exact' must be logit, wald, beta, kg-nchs, "
                     "wilson, jeffreys, asin or xlogit");
    run("estimate", R1, "--prop", "paid_police", "--level", "95", NULL);
    expect_error(64, "--level: '95' must be a number from 0.5 to 0.9999, "
                     "e.g. 0.95");
    run("estimate", R1, "--prop", "paid_police", "--df", "lots", NULL);
    expect_error(64, "--df: 'lots' must be domain, design or a positive "
                     "number");
}

/* The demo has a single-EA stratum: without a policy, estimation stops. */
static void test_estimate_lonely_fail(void **state)
{
    (void)state;
    unlink(OUT);
    run("estimate", "surveys/demo/round1.csv", "--weight", "weight",
        "--strata", "stratum", "--psu", "ea", "--nest", "--prop",
        "paid_police", "-o", OUT, NULL);
    expect_error(65, "surveys/demo/round1.csv: stratum '62' has a single PSU; "
                     "choose --lonely-psu remove, certainty, adjust or "
                     "average");
    assert_false(test_file_exists(OUT));
    run("estimate", R1, "--lonely-psu", "fail", "--prop", "paid_police",
        NULL);
    expect_error(65, "surveys/demo/round1.csv: stratum 'Capital rural' has a "
                     "single PSU; choose --lonely-psu remove, certainty, "
                     "adjust or average");
}

/* Empty and all-zero-weight domains are rows with a flag, not NaN. */
static void test_estimate_empty_domains(void **state)
{
    (void)state;
    run("estimate", R1, "--prop", "paid_police", "--among", "zone == 99",
        "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_string_equal(R.out,
                        "indicator,estimate,se,ci_low,ci_high,df,deff,cv,n,"
                        "n_missing,weighted_n,n_eff,flag\n"
                        "paid_police,,,,,,,,0,0,0,,suppress: empty domain\n");
    run("estimate", D "zero_domain.csv", "--weight", "w", "--strata", "s",
        "--psu", "p", "--prop", "y", "--by", "g", "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "y,2,,,,,,,,2,0,0,,suppress: all weights "
                                  "in the domain are zero\n"));
    assert_null(strstr(R.out, "nan"));
}

static void test_estimate_mean_of_text(void **state)
{
    (void)state;
    run("estimate", D "good.csv", "--weight", "w", "--mean", "s == 'x'",
        "--format", "csv", NULL);
    assert_int_equal(R.status, 0); /* a truth value is a number */
    assert_non_null(strstr(R.out, "\ns == 'x',0,0,"));
    run("estimate", "tests/data/csv/basic.csv", "--weight", "1", "--mean",
        "region", NULL);
    expect_error(65, "tests/data/csv/basic.csv:2: mean of 'region' needs "
                     "numbers, not 'Tunis'");
}

static void test_estimate_analysis_errors(void **state)
{
    (void)state;
    char path[600], msg[1024];
    snprintf(path, sizeof path, "%s", test_tmp("bad_analysis.ini"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[analysis]\nby = zone\n[indicator.x]\nexpr = paid_police == (1\n",
          f);
    fclose(f);
    run("estimate", R1, "--analysis", path, NULL);
    snprintf(msg, sizeof msg, "%s:4:25: expected ')' to close the '(' at "
             "column 23", path);
    expect_error(65, msg);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[analysis]\nby = zone\nconfidence = 0.9\n", f);
    fclose(f);
    run("estimate", R1, "--analysis", path, NULL);
    snprintf(msg, sizeof msg, "%s:3: unknown key 'confidence' in [analysis]",
             path);
    expect_error(65, msg);
    unlink(path);
}

/* The demo analysis: one pass, every indicator by zone, in each format. */
static void test_estimate_demo_analysis(void **state)
{
    (void)state;
    run("estimate", "--survey", R1, "--analysis", "analysis/demo.ini",
        "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "indicator,zone,estimate,se,"));
    assert_non_null(strstr(R.out, "\npolice,North,0.398250837586114"));
    assert_non_null(strstr(R.out, "\nany,All,0.30"));
    run("estimate", "--survey", R1, "--analysis", "analysis/demo.ini",
        "--format", "text", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "33.1 %  [28.6 %, 38.0 %]"));
    run("estimate", "--survey", R1, "--analysis", "analysis/demo.ini",
        "--format", "md", NULL);
    assert_non_null(strstr(R.out, "| police | North | 39.8 % |"));
    run("estimate", "--survey", R1, "--analysis", "analysis/demo.ini",
        "--format", "json", NULL);
    assert_non_null(strstr(R.out, "\"estimate\": 0.398250837586114"));
}

/* The Global Corruption Barometer Africa 2019 figure for Tunisia. */
static void test_estimate_tunisia(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    run("estimate", SHARED_AFRO "/tun_r7_data.sav", "--weight", "withinwt",
        "--strata", "REGION,URBRUR", "--prop",
        "any(Q49C in 1..3, Q49G in 1..3, Q49K in 1..3, Q49N in 1..3, "
        "Q49R in 1..3, Q49T in 1..3)",
        "--among",
        "any(Q49C in 0..3, Q49G in 0..3, Q49K in 0..3, Q49N in 0..3, "
        "Q49R in 0..3, Q49T in 0..3)",
        "--name", "paid", "--by", "REGION", "--format", "text", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "18.2 %  [15.8 %, 20.9 %]"));
    assert_non_null(strstr(R.out, "Great Tunis"));
}

/* A survey file's derived variables feed indicators and other derived
 * variables; --min-n adds its own suppression rule. */
static void test_estimate_derived(void **state)
{
    (void)state;
    const char *path = "surveys/demo/graft_cli_derived.ini";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[survey]\ndata = round1.csv\n[design]\nweight = weight\n"
          "strata = stratum\npsu = ea\nnest = true\nlonely_psu = adjust\n"
          "[missing]\npaid_police = 8,9\ncontact_police = 8,9\n"
          "[derive]\npolice_contact = contact_police == 1\n"
          "police_paid = paid_police == 1 and police_contact\n",
          f);
    fclose(f);
    run("estimate", path, "--prop", "police_paid", "--among",
        "police_contact == 1", "--format", "csv", NULL);
    char derived[1 << 12];
    assert_int_equal(R.status, 0);
    snprintf(derived, sizeof derived, "%s", strchr(R.out, '\n') + 1);
    run("estimate", R1, "--prop", "paid_police == 1", "--among",
        "contact_police == 1", "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    /* Same numbers; only the indicator's name differs. */
    assert_string_equal(strchr(derived, ','), strchr(strchr(R.out, '\n') + 1,
                                                     ','));
    run("estimate", path, "--prop", "police_paid", "--among",
        "police_contact == 1", "--min-n", "1000", "--format", "csv", NULL);
    assert_non_null(strstr(R.out, "suppress: n < 1000"));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[survey]\ndata = round1.csv\n[design]\nweight = weight\n"
          "[derive]\nx = contact_polce == 1\n",
          f);
    fclose(f);
    run("estimate", path, "--prop", "x", NULL);
    expect_error(65, "surveys/demo/graft_cli_derived.ini:6:5: unknown column "
                     "'contact_polce' (did you mean 'contact_police'?)");
    unlink(path);
}

/* Replicate weights: every bad-input case, and a good run. */
static void rep_run(const char *file, const char *pattern, const char *type,
                    const char *extra)
{
    char path[256];
    snprintf(path, sizeof path, D "%s", file);
    unlink(OUT);
    if (extra)
        run("estimate", path, "--weight", "w", "--prop", "y", "--repweights",
            pattern, "--reptype", type, extra, "1,2", "-o", OUT, NULL);
    else if (type)
        run("estimate", path, "--weight", "w", "--prop", "y", "--repweights",
            pattern, "--reptype", type, "-o", OUT, NULL);
    else
        run("estimate", path, "--weight", "w", "--prop", "y", "--repweights",
            pattern, "-o", OUT, NULL);
}

static void test_estimate_replicates(void **state)
{
    (void)state;
    rep_run("rep_good.csv", "repw[0-9]+", "jk1", NULL);
    assert_int_equal(R.status, 0);
    char *text = test_slurp(OUT, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "\ny                            50.0 %  "
                                 "[0.0 %, 100.0 %]        19.25      1"));
    free(text);
    /* the same columns as a comma list, spaces around the names */
    run("estimate", D "rep_good.csv", "--weight", "w", "--prop", "y",
        "--repweights", "repw[0-9]+", "--reptype", "jk1", "--format", "csv",
        NULL);
    assert_int_equal(R.status, 0);
    char *by_pattern = strdup(R.out);
    assert_non_null(by_pattern);
    run("estimate", D "rep_good.csv", "--weight", "w", "--prop", "y",
        "--repweights", " repw1, repw2 ,repw3", "--reptype", "jk1",
        "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_string_equal(R.out, by_pattern);
    free(by_pattern);
    unlink(OUT);
    rep_run("rep_negative.csv", "repw[0-9]+", "jk1", NULL);
    expect_error(65, D "rep_negative.csv:3:4: replicate weight 'repw2' is "
                       "negative (-1)");
    assert_false(test_file_exists(OUT));
    rep_run("rep_missing.csv", "repw[0-9]+", "jk1", NULL);
    expect_error(65, D "rep_missing.csv:3:4: replicate weight 'repw2' is "
                       "missing");
    rep_run("rep_inf.csv", "repw[0-9]+", "jk1", NULL);
    expect_error(65, D "rep_inf.csv:3:4: replicate weight 'repw2' is not a "
                       "finite number ('inf')");
    rep_run("rep_good.csv", "zz[0-9]+", "jk1", NULL);
    expect_error(65, D "rep_good.csv: --repweights 'zz[0-9]+' matches no "
                       "column");
    rep_run("rep_good.csv", "w|repw1", "jk1", NULL);
    expect_error(64, D "rep_good.csv: --repweights 'w|repw1' matches the main "
                       "weight 'w'");
    rep_run("rep_good.csv", "repw[0-9]+", NULL, NULL);
    expect_error(64, "--repweights needs --reptype jk1, jkn, brr, fay, "
                     "bootstrap, sdr, acs or other");
    rep_run("rep_good.csv", "repw[0-9]+", "jkn", "--rscales");
    expect_error(64, "--rscales has 2 values but there are 3 replicate "
                     "columns");
    rep_run("rep_good.csv", "repw1,repw2,repw4", "brr", NULL);
    expect_error(65, D "rep_good.csv: unknown column 'repw4' in --repweights "
                       "(did you mean 'repw1'?)");
    rep_run("rep_good.csv", "repw[", "brr", NULL);
    expect_error(64, "--repweights: 'repw[' is not a regular expression "
                     "(Unmatched [, [^, [:, [., or [=)");
    run("estimate", D "rep_good.csv", "--weight", "w", "--prop", "y",
        "--reptype", "jk1", NULL);
    expect_error(64, "--reptype needs --repweights (the replicate weight "
                     "columns)");
    assert_false(test_file_exists(OUT));
}

/* describe shows a replicate design's columns, type, scale and df. */
static void test_describe_replicates(void **state)
{
    (void)state;
    run("describe", D "cmp_rep.ini", "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "replicates,,columns,,3\n"));
    assert_non_null(strstr(R.out, "replicates,,type,,jk1\n"));
    /* JK1 with 3 replicates: scale (R - 1)/R */
    assert_non_null(strstr(R.out, "replicates,,scale,,0.66666666666666"));
    run("describe", D "cmp_rep.ini", "--format", "json", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "\"replicates\": {"));
}

/* ---- compare and trend ---------------------------------------------- */

static void test_compare_cli(void **state)
{
    (void)state;
    /* A by-value in one round only is a flagged row, not a crash; wordings
     * that differ make the indicator not comparable unless harmonized. */
    run("compare", D "cmp_qa.ini", D "cmp_qb.ini", "--prop", "y", "--by", "g",
        "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "\ny,2,0.33333333333333331,,,,,,,,,,,4,0,"
                                  "missing in "
                                  "follow-up\n"));
    assert_non_null(strstr(R.out, "\ny,3,,0.33333333333333331,,,,,,,,,,0,4,"
                                  "missing in "
                                  "baseline\n"));
    assert_non_null(strstr(R.out, ",not comparable,"));
    run("compare", D "cmp_qa.ini", D "cmp_qb.ini", "--prop", "y", "--by", "g",
        "--format", "csv", "--harmonized", NULL);
    assert_int_equal(R.status, 0);
    assert_null(strstr(R.out, "not comparable"));
    assert_non_null(strstr(R.out, "no significant change"));
    unlink(OUT);
    run("compare", D "cmp_rep.ini", D "cmp_qa.ini", "--prop", "y", "-o", OUT,
        NULL);
    expect_error(65, D "cmp_a.csv: this round's design uses strata and "
                       "PSUs, the first round's replicate weights: rounds "
                       "must share one kind of design");
    assert_false(test_file_exists(OUT));
    run("compare", D "cmp_lin.ini", D "cmp_qa.ini", "--prop", "y",
        "--shared-psus", NULL);
    expect_error(64, D "rep_good.csv: --shared-psus needs a PSU column in "
                       "every round");
    run("compare", D "cmp_qa.ini", "--prop", "y", NULL);
    expect_error(64, "compare: needs two rounds (data or survey files), got "
                     "1");
    run("trend", D "cmp_qa.ini", "--prop", "y", NULL);
    expect_error(64, "trend: needs two or more rounds (data or survey "
                     "files), got 1");
    run("compare", D "cmp_qa.ini", D "cmp_qb.ini", "--prop", "y", "--adjust",
        "sidak", NULL);
    expect_error(64, "--adjust: 'sidak' must be none, bonferroni, holm or "
                     "bh");
    run("compare", D "cmp_qa.ini", D "cmp_qb.ini", "--prop", "y",
        "--test-df", "welch", NULL);
    expect_error(64, "--test-df: 'welch' must be sum, min or satterthwaite");
    run("estimate", D "cmp_qa.ini", "--prop", "y", "--shared-psus", NULL);
    expect_error(64, "estimate: --shared-psus, --test-df, --adjust and "
                     "--harmonized are for compare and trend");
}

/* The demo comparison from the analysis file, in text. */
static void test_compare_demo(void **state)
{
    (void)state;
    run("compare", "surveys/demo/round1.ini", "surveys/demo/round2.ini",
        "--analysis", "analysis/demo.ini", "--format", "text", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "police              All                   "
                                  "33.1       21.0  -12.2       [-18.1, "
                                  "-6.2]"));
    assert_non_null(strstr(R.out, "decrease"));
}

static void test_trend_tunisia(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    run("trend", "surveys/tun_r7.ini", "surveys/tun_r8.ini",
        "surveys/tun_r9.ini", "--analysis", "analysis/tunisia.ini",
        "--format", "csv", NULL);
    assert_int_equal(R.status, 0);
    assert_non_null(strstr(R.out, "\nany5,All,linear,Round 7,Round 9,"
                                  "0.0692756140346"));
}

static void test_output_file(void **state)
{
    (void)state;
    unlink(OUT);
    run("describe", D "good.csv", "--weight", "w", "--format", "json", "-o",
        OUT, NULL);
    assert_int_equal(R.status, 0);
    assert_string_equal(R.out, "");
    FILE *f = fopen(OUT, "r");
    assert_non_null(f);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "\"rows\": 5"));
    unlink(OUT);
}

/* An existing output is replaced only on success. */
static void test_output_kept_on_failure(void **state)
{
    (void)state;
    FILE *f = fopen(OUT, "w");
    assert_non_null(f);
    fputs("precious\n", f);
    fclose(f);
    run("describe", D "weight_text.csv", "--weight", "w", "-o", OUT, NULL);
    assert_int_equal(R.status, 65);
    f = fopen(OUT, "r");
    assert_non_null(f);
    char buf[64] = "";
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "precious\n");
    unlink(OUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_duplicate_name),
        cmocka_unit_test(test_empty_name),
        cmocka_unit_test(test_extra_field),
        cmocka_unit_test(test_short_row),
        cmocka_unit_test(test_open_quote),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_bad_utf8_unused_column),
        cmocka_unit_test(test_fake_sav),
        cmocka_unit_test(test_fake_dta),
        cmocka_unit_test(test_truncated_sav),
        cmocka_unit_test(test_unknown_columns),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_missing_design_values),
        cmocka_unit_test(test_shared_psu),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_describe_good),
        cmocka_unit_test(test_missing_codes),
        cmocka_unit_test(test_survey_file),
        cmocka_unit_test(test_estimate_bad_expressions),
        cmocka_unit_test(test_estimate_usage),
        cmocka_unit_test(test_estimate_lonely_fail),
        cmocka_unit_test(test_estimate_empty_domains),
        cmocka_unit_test(test_estimate_mean_of_text),
        cmocka_unit_test(test_estimate_analysis_errors),
        cmocka_unit_test(test_estimate_demo_analysis),
        cmocka_unit_test(test_estimate_tunisia),
        cmocka_unit_test(test_estimate_derived),
        cmocka_unit_test(test_estimate_replicates),
        cmocka_unit_test(test_describe_replicates),
        cmocka_unit_test(test_compare_cli),
        cmocka_unit_test(test_compare_demo),
        cmocka_unit_test(test_trend_tunisia),
        cmocka_unit_test(test_output_file),
        cmocka_unit_test(test_output_kept_on_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
