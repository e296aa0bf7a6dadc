/*
 * test_write.c - the one table writer (src/write/table.c): its four
 * format modules byte for byte, and what the commands write through it:
 * the flag of a domain missing in one round in every format (Markdown
 * included), and the actual confidence level in every header.
 *
 * The binary under test is $GRAFT_BIN (set by `make check`), else ./graft.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "write/table_writer.h"

static spawn_result_t R;

static void run(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    spawn_graft_v(&R, arg, ap);
    va_end(ap);
    if (R.status != 0)
        fail_msg("graft exited %d: %s", R.status, R.err);
}

static void expect_in(const char *line)
{
    if (!strstr(R.out, line))
        fail_msg("missing line:\n%s\nin output:\n%s", line, R.out);
}

static void expect_not_in(const char *s)
{
    if (strstr(R.out, s))
        fail_msg("unexpected '%s' in output:\n%s", s, R.out);
}

#define QA "tests/data/cli/cmp_qa.ini"
#define QB "tests/data/cli/cmp_qb.ini"
#define R1 "surveys/demo/round1.ini"
#define R2 "surveys/demo/round2.ini"
#define DEMO "analysis/demo.ini"

/* ---- the module --------------------------------------------------------- */

static void test_format_names(void **state)
{
    (void)state;
    static const char *const names[] = {"text", "csv", "json", "md"};
    for (int i = 0; i < 4; i++) {
        graft_table_format_t f = GRAFT_TABLE_CSV;
        assert_true(graft_table_format_parse(names[i], &f));
        assert_int_equal(f, i);
        assert_string_equal(graft_table_format_name(f), names[i]);
    }
    graft_table_format_t f = GRAFT_TABLE_CSV;
    assert_false(graft_table_format_parse("MD", &f));
    assert_false(graft_table_format_parse("xml", &f));
    assert_false(graft_table_format_parse(NULL, &f));
    assert_int_equal(f, GRAFT_TABLE_CSV);
    assert_string_equal(graft_table_format_name((graft_table_format_t)9), "?");
}

/* Two rows through FORMAT; the bytes written. */
static char *write_two_rows(graft_table_format_t format)
{
    static const graft_tcol_t flat[] = {
        {.name = "name", .field = 0, .width = -6},
        {.name = "x", .field = 1, .kind = GRAFT_TCOL_REAL, .gap = " ",
         .width = 8, .md_right = 1},
        {.name = "n", .field = 2, .kind = GRAFT_TCOL_COUNT, .gap = " ",
         .width = 3, .md_right = 1}};
    static const graft_tcol_t nested[] = {
        {.name = "name", .field = 0},
        {.name = "by", .field = 3, .kind = GRAFT_TCOL_GROUP},
        {.name = "g", .field = 4, .grouped = 1},
        {.name = "x", .field = 1, .kind = GRAFT_TCOL_REAL},
        {.name = "n", .field = 2, .kind = GRAFT_TCOL_COUNT}};
    const graft_tcell_t rows[2][5] = {
        {{.s = "a,b"}, {.x = 0.1}, {.n = 3}, {0}, {.s = "G1"}},
        {{.s = "c"}, {.x = NAN}, {.n = 0}, {0}, {.s = "G2"}}};
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    int json = format == GRAFT_TABLE_JSON;
    graft_table_t t;
    graft_table_begin(&t, fp, format, json ? nested : flat, json ? 5 : 3);
    graft_table_row(&t, rows[0]);
    graft_table_row(&t, rows[1]);
    assert_int_equal(graft_table_end(&t, NULL, NULL, NULL), GRAFT_OK);
    assert_int_equal(fclose(fp), 0);
    return buf;
}

static void test_modules(void **state)
{
    (void)state;
    static const char *const want[] = {
        /* text: widths, gaps, "-" for NaN */
        "name          x   n\n"
        "a,b    0.10000000000000001   3\n"
        "c             -   0\n",
        /* CSV: quoting, %.17g, empty for NaN */
        "name,x,n\n"
        "\"a,b\",0.10000000000000001,3\n"
        "c,,0\n",
        /* JSON: a nested group, null for NaN */
        "[\n  {\n    \"name\": \"a,b\",\n    \"by\": {\n      \"g\": \"G1\"\n"
        "    },\n    \"x\": 0.10000000000000001,\n    \"n\": 3\n  },\n"
        "  {\n    \"name\": \"c\",\n    \"by\": {\n      \"g\": \"G2\"\n"
        "    },\n    \"x\": null,\n    \"n\": 0\n  }\n]\n",
        /* Markdown: alignment row, closed rows */
        "| name | x | n |\n"
        "|---|---:|---:|\n"
        "| a,b | 0.10000000000000001 | 3 |\n"
        "| c | - | 0 |\n"};
    for (int f = 0; f < 4; f++) {
        char *got = write_two_rows((graft_table_format_t)f);
        if (strcmp(got, want[f]) != 0)
            fail_msg("format %s:\ngot:\n%s\nwant:\n%s",
                     graft_table_format_name((graft_table_format_t)f), got,
                     want[f]);
        free(got);
    }
}

/* ---- the commands ------------------------------------------------------- */

/* Domain 2 has no follow-up respondents, domain 3 no baseline ones: the
 * Markdown table has a flag column (the flag used to be dropped), text ends
 * the verdict with it. */
static void test_compare_md_flag(void **state)
{
    (void)state;
    run("compare", QA, QB, "--prop", "y", "--by", "g", "--format", "md",
        NULL);
    expect_in("| indicator | g | baseline | follow-up | change | 95% CI of the "
              "change | p adj. | verdict | flag |\n"
              "|---|---|---|---|---|---|---|---|---|\n");
    expect_in("\n| y | 1 | 58.3 | 80.0 | 21.7 | [-126.6, 170.0] | - | not "
              "comparable |  |\n");
    expect_in("\n| y | 2 | 33.3 | - | - | [-, -] | - |  | missing in "
              "follow-up |\n");
    expect_in("\n| y | 3 | - | 33.3 | - | [-, -] | - |  | missing in "
              "baseline |\n");
    run("compare", QA, QB, "--prop", "y", "--by", "g", "--format", "text",
        NULL);
    expect_in("y                   2                     33.3          -  -  "
              "         [-, -]                       -    missing in "
              "follow-up\n");
}

/* The flag of every row is in every format of compare and trend. */
static void test_flag_in_every_format(void **state)
{
    (void)state;
    static const char *const formats[] = {"text", "csv", "json", "md"};
    for (int f = 0; f < 4; f++) {
        run("compare", QA, QB, "--prop", "y", "--by", "g", "--format",
            formats[f], NULL);
        expect_in("missing in follow-up");
        expect_in("missing in baseline");
        run("trend", QA, QB, "--prop", "y", "--by", "g", "--format",
            formats[f], NULL);
        expect_in("suppress: empty domain");
    }
}

/* Every interval header names the level asked for. */
static void test_level_in_headers(void **state)
{
    (void)state;
    static const char *const formats[] = {"text", "md"};
    for (int f = 0; f < 2; f++) {
        run("compare", R1, R2, "--analysis", DEMO, "--level", "0.9",
            "--format", formats[f], NULL);
        expect_in("90% CI of the change");
        expect_not_in("95%");
        run("trend", R1, R2, "--analysis", DEMO, "--level", "0.9",
            "--format", formats[f], NULL);
        expect_in("90% CI of the change");
        expect_not_in("95%");
        run("estimate", "--survey", R1, "--analysis", DEMO, "--level", "0.9",
            "--format", formats[f], NULL);
        expect_in(" 90% CI ");
        expect_not_in("95%");
    }
    run("compare", R1, R2, "--analysis", DEMO, "--level", "0.999", "--format",
        "md", NULL);
    expect_in("| 99.9% CI of the change |");
}

/* An undefined number (the weights' cv of a one-row file) is an empty CSV
 * value and "-" in text in describe as in every other table (both used to
 * be "nan"), and null in JSON. */
static void test_describe_undefined(void **state)
{
    (void)state;
    const char *csv = test_tmp("one_row.csv");
    test_write_file(csv, "id,w\n1,2.5\n");
    run("describe", csv, "--weight", "w", "--format", "csv", NULL);
    expect_in("\nweights,,cv,,\n");
    expect_not_in("nan");
    run("describe", csv, "--weight", "w", "--format", "json", NULL);
    expect_in("\"cv\": null");
    run("describe", csv, "--weight", "w", "--format", "text", NULL);
    expect_in("\n  coefficient of var.  -\n");
    expect_not_in("nan");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_modules),
        cmocka_unit_test(test_describe_undefined),
        cmocka_unit_test(test_compare_md_flag),
        cmocka_unit_test(test_flag_in_every_format),
        cmocka_unit_test(test_level_in_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
