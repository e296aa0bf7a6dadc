/*
 * test_expr.c - the expression language: every construct, precedence, the
 * three-valued truth tables, value labels, derived variables, and every
 * error message with its column pinned.
 */
#include "test_util.h"

#include <malloc.h>

#include "graft/expr.h"
#include "spec/expr_internal.h"
#include "graft/labels.h"
#include "graft/reader.h"

/* ---- counting allocations ------------------------------------------------
 * glibc lets a program replace malloc, free, calloc and realloc; these
 * forward to glibc's own and count calls while `counting` is set.  Sanitizer
 * runtimes replace malloc themselves, so there the test falls back to
 * comparing the heap in use before and after (mallinfo2). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define NO_ALLOC_HOOK 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NO_ALLOC_HOOK 1
#endif
#if defined(__GLIBC__) && !defined(NO_ALLOC_HOOK)
#define ALLOC_HOOK 1
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

static volatile int counting;
static volatile size_t n_allocs;

void *malloc(size_t size)
{
    n_allocs += counting;
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    n_allocs += counting;
    return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size)
{
    n_allocs += counting;
    return __libc_realloc(ptr, size);
}

void free(void *ptr)
{
    n_allocs += counting && ptr;
    __libc_free(ptr);
}
#endif

/* ---- fixture: a column set with labels --------------------------------- */

enum {
    C_Q49C, C_Q49G, C_Q49K, C_REGION, C_CITY, C_NAME, C_A, C_B, C_C, C_ODD,
    C_REGION_FR, C_AND, C_QUOTE, N_COLS
};

typedef struct fixture {
    graft_labelset_t *region, *city;
    graft_column_t cols[N_COLS];
    graft_cell_t cells[N_COLS];
} fixture_t;

static graft_cell_t num(double v)
{
    graft_cell_t c = {GRAFT_CELL_NUMBER, v, NULL, 0};
    return c;
}

static graft_cell_t str(const char *s)
{
    graft_cell_t c = {GRAFT_CELL_STRING, 0.0, s, strlen(s)};
    return c;
}

static graft_cell_t miss(void)
{
    graft_cell_t c = {GRAFT_CELL_MISSING, 0.0, NULL, 0};
    return c;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->region = graft_labelset_alloc();
    f->city = graft_labelset_alloc();
    assert_non_null(f->region);
    assert_non_null(f->city);
    assert_int_equal(graft_labelset_add_num(f->region, 1580, "Great Tunis"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_num(f->region, 1581, "North East"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_num(f->region, 1582, "Sfax"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_num(f->region, 1599, "Great Tunis"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_str(f->city, "TN", "Great Tunis"), GRAFT_OK);
    assert_int_equal(graft_labelset_add_str(f->city, "SF", "Sfax"), GRAFT_OK);
    static const char *names[N_COLS] = {
        "Q49C", "Q49G", "Q49K", "REGION", "CITY", "NAME", "A", "B", "C",
        "odd name", "R\xc3\xa9gion", "and", "it's`q"};
    for (size_t i = 0; i < N_COLS; i++) {
        f->cols[i].name = names[i];
        f->cols[i].type = GRAFT_COL_UNKNOWN;
        f->cells[i] = miss();
    }
    f->cols[C_REGION].labels = f->region;
    f->cols[C_CITY].labels = f->city;
    f->cells[C_Q49C] = num(0);
    f->cells[C_Q49G] = num(2);
    f->cells[C_Q49K] = num(9);
    f->cells[C_REGION] = num(1580);
    f->cells[C_CITY] = str("TN");
    f->cells[C_NAME] = str("O'Brien");
    f->cells[C_A] = num(1);
    f->cells[C_B] = num(0);
    f->cells[C_ODD] = num(7.25);
    f->cells[C_REGION_FR] = num(3);
    f->cells[C_AND] = num(42);
    f->cells[C_QUOTE] = num(-1.5);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    graft_labelset_free(f->region);
    graft_labelset_free(f->city);
    free(f);
    return 0;
}

/* Parse and bind TEXT against the fixture's columns; fail the test on error. */
static graft_expr_t *compile(fixture_t *f, const char *text)
{
    graft_diag_t diag;
    graft_expr_t *e = NULL;
    graft_diag_clear(&diag);
    graft_error_t rc = graft_expr_parse(text, NULL, 0, 1, &e, &diag);
    if (rc != GRAFT_OK)
        fail_msg("parse \"%s\": %s (col %lu)", text, diag.msg, diag.col);
    rc = graft_expr_bind(e, f->cols, N_COLS, &diag);
    if (rc != GRAFT_OK)
        fail_msg("bind \"%s\": %s (col %lu)", text, diag.msg, diag.col);
    return e;
}

static graft_cell_t value(fixture_t *f, const char *text)
{
    graft_expr_t *e = compile(f, text);
    graft_cell_t v = graft_expr_eval(e, f->cells);
    graft_expr_free(e);
    return v;
}

/* 1, 0 or -1 (missing); fails when the result is not a truth value. */
static int truth(fixture_t *f, const char *text)
{
    graft_cell_t v = value(f, text);
    if (v.kind == GRAFT_CELL_MISSING)
        return -1;
    if (v.kind != GRAFT_CELL_NUMBER || (v.num != 0.0 && v.num != 1.0))
        fail_msg("\"%s\" is not a truth value (kind %d, %g)", text, v.kind,
                 v.num);
    return (int)v.num;
}

#define assert_truth(f, text, want)                                            \
    do {                                                                       \
        int got_ = truth((f), (text));                                         \
        if (got_ != (want))                                                    \
            fail_msg("\"%s\" = %d, want %d", (text), got_, (want));           \
    } while (0)

/* ---- literals and columns ----------------------------------------------- */

static void test_literals(void **state)
{
    fixture_t *f = *state;
    graft_cell_t v = value(f, "42");
    assert_int_equal(v.kind, GRAFT_CELL_NUMBER);
    assert_close(v.num, 42, REL_TOL, 0);
    assert_close(value(f, "0.375").num, 0.375, REL_TOL, 0);
    assert_close(value(f, ".5").num, 0.5, REL_TOL, 0);
    assert_close(value(f, "1.25e3").num, 1250, REL_TOL, 0);
    assert_close(value(f, "2E-2").num, 0.02, REL_TOL, 0);
    assert_close(value(f, "-17.5").num, -17.5, REL_TOL, 0);
    assert_close(value(f, "- 3").num, -3, REL_TOL, 0);
    /* A string result lives as long as the expression. */
    static const char *const strings[][2] = {
        {"'it''s'", "it's"}, {"''", ""}, {"  'a b'  ", "a b"},
        {"'''x'''", "'x'"}, {"'caf\xc3\xa9 `q`'", "caf\xc3\xa9 `q`"}};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        graft_expr_t *e = compile(f, strings[i][0]);
        v = graft_expr_eval(e, f->cells);
        assert_int_equal(v.kind, GRAFT_CELL_STRING);
        assert_string_equal(v.str, strings[i][1]);
        assert_int_equal(v.len, strlen(strings[i][1]));
        graft_expr_free(e);
    }
}

static void test_columns(void **state)
{
    fixture_t *f = *state;
    graft_cell_t v = value(f, "Q49G");
    assert_int_equal(v.kind, GRAFT_CELL_NUMBER);
    assert_close(v.num, 2, REL_TOL, 0);
    v = value(f, "NAME");
    assert_int_equal(v.kind, GRAFT_CELL_STRING);
    assert_string_equal(v.str, "O'Brien");
    assert_int_equal(value(f, "C").kind, GRAFT_CELL_MISSING);
    assert_close(value(f, "`odd name`").num, 7.25, REL_TOL, 0);
    assert_close(value(f, "`and`").num, 42, REL_TOL, 0);
    assert_close(value(f, "`it's``q`").num, -1.5, REL_TOL, 0);
    assert_close(value(f, "R\xc3\xa9gion").num, 3, REL_TOL, 0);
    assert_truth(f, "`odd name` > 7 and `and` == 42", 1);
}

static void test_bare_column(void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *text;
        int bare;
    } cases[] = {{"Q49C", 1},       {"(Q49C)", 1},    {"((`odd name`))", 1},
                 {"Q49C == 1", 0},  {"not Q49C", 0},  {"missing(Q49C)", 0},
                 {"1", 0},          {"'Q49C'", 0},    {"any(Q49C)", 0},
                 {"Q49C in 1..3", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        graft_expr_t *e = compile(f, cases[i].text);
        if (graft_expr_is_bare_column(e) != cases[i].bare)
            fail_msg("is_bare_column(\"%s\") != %d", cases[i].text,
                     cases[i].bare);
        assert_string_equal(graft_expr_text(e), cases[i].text);
        graft_expr_free(e);
    }
}

static void test_columns_list(void **state)
{
    fixture_t *f = *state;
    graft_expr_t *e = compile(
        f, "any(Q49K in 1..3, Q49C == 2) and not missing(`odd name`) or "
           "Q49K != Q49C");
    size_t n = 99;
    const char *const *names = graft_expr_columns(e, &n);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "Q49K");
    assert_string_equal(names[1], "Q49C");
    assert_string_equal(names[2], "odd name");
    assert_non_null(graft_expr_columns(e, NULL));
    graft_expr_free(e);
    graft_expr_free(NULL);

    /* Listed before binding, so a reader can read only these. */
    graft_diag_t diag;
    assert_int_equal(graft_expr_parse("NOPE == 1 or `x y`", NULL, 0, 1, &e,
                                      &diag), GRAFT_OK);
    names = graft_expr_columns(e, &n);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "NOPE");
    assert_string_equal(names[1], "x y");
    graft_expr_free(e);
}

/* ---- comparisons ---------------------------------------------------------- */

static void test_compare_numbers(void **state)
{
    fixture_t *f = *state; /* Q49G = 2 */
    assert_truth(f, "Q49G == 2", 1);
    assert_truth(f, "Q49G == 2.5", 0);
    assert_truth(f, "Q49G != 2", 0);
    assert_truth(f, "Q49G != -2", 1);
    assert_truth(f, "Q49G < 2", 0);
    assert_truth(f, "Q49G < 2.001", 1);
    assert_truth(f, "Q49G <= 2", 1);
    assert_truth(f, "Q49G > 1.999", 1);
    assert_truth(f, "Q49G > 2", 0);
    assert_truth(f, "Q49G >= 2", 1);
    assert_truth(f, "Q49G >= 3", 0);
    assert_truth(f, "3 > Q49G", 1);
    assert_truth(f, "Q49K > Q49G", 1);
    assert_truth(f, "Q49G==2", 1);
    assert_truth(f, "Q49G\t==\n2", 1);
    /* Comparisons with a missing operand are missing, never false. */
    assert_truth(f, "C == 2", -1);
    assert_truth(f, "C != 2", -1);
    assert_truth(f, "2 < C", -1);
    assert_truth(f, "C >= C", -1);
    assert_truth(f, "C == 'x'", -1);
    assert_truth(f, "C != 'x'", -1);
}

static void test_compare_strings(void **state)
{
    fixture_t *f = *state; /* NAME = "O'Brien" */
    assert_truth(f, "NAME == 'O''Brien'", 1);
    assert_truth(f, "NAME == 'o''brien'", 0);
    assert_truth(f, "NAME != 'Smith'", 1);
    assert_truth(f, "NAME < 'P'", 1);
    assert_truth(f, "NAME > 'O'", 1);
    assert_truth(f, "NAME >= 'O''Brien'", 1);
    assert_truth(f, "'O''Brien' == NAME", 1);
    assert_truth(f, "'P' > NAME", 1);
    assert_truth(f, "NAME == NAME", 1);
    assert_truth(f, "'a' < 'b'", 1);
    /* A string and a number: unequal and unordered. */
    assert_truth(f, "NAME == 3", 0);
    assert_truth(f, "NAME != 3", 1);
    assert_truth(f, "NAME < 3", -1);
    assert_truth(f, "3 >= NAME", -1);
    assert_truth(f, "NAME == Q49G", 0);
    assert_truth(f, "Q49G > NAME", -1);
    /* A numeric literal in quotes equals the number, as a CSV cell would. */
    assert_truth(f, "Q49G == '2'", 1);
    assert_truth(f, "Q49G == '2.0'", 1);
    assert_truth(f, "Q49G != '2'", 0);
    assert_truth(f, "Q49G == 'two'", 0);
    assert_truth(f, "Q49G < '3'", -1);
}

static void test_labels(void **state)
{
    fixture_t *f = *state; /* REGION = 1580 "Great Tunis", CITY = "TN" */
    assert_truth(f, "REGION == 'Great Tunis'", 1);
    assert_truth(f, "REGION != 'Great Tunis'", 0);
    assert_truth(f, "REGION == 'North East'", 0);
    assert_truth(f, "REGION != 'North East'", 1);
    /* 'great tunis', 'Atlantis': no label of REGION, refused by bind (see
     * test_unknown_columns). */
    assert_truth(f, "'Great Tunis' == REGION", 1);
    assert_truth(f, "'Great Tunis' != REGION", 0);
    assert_truth(f, "REGION in {'Great Tunis', 'North East'}", 1);
    assert_truth(f, "REGION in {'Sfax', 'North East'}", 0);
    assert_truth(f, "REGION in {1581, 'Great Tunis'}", 1);
    assert_truth(f, "REGION == 1580", 1);
    assert_truth(f, "REGION == '1580'", 1);
    /* Two codes carry "Great Tunis". */
    f->cells[C_REGION] = num(1599);
    assert_truth(f, "REGION == 'Great Tunis'", 1);
    f->cells[C_REGION] = num(1581);
    assert_truth(f, "REGION == 'Great Tunis'", 0);
    assert_truth(f, "REGION == 'North East'", 1);
    f->cells[C_REGION] = num(7);
    assert_truth(f, "REGION == 'Great Tunis'", 0);
    assert_truth(f, "REGION in {'Great Tunis', 'North East'}", 0);
    f->cells[C_REGION] = miss();
    assert_truth(f, "REGION == 'Great Tunis'", -1);
    assert_truth(f, "REGION in {'Great Tunis'}", -1);
    /* String codes: the text or the code's label. */
    assert_truth(f, "CITY == 'TN'", 1);
    assert_truth(f, "CITY == 'Great Tunis'", 1);
    assert_truth(f, "CITY == 'Sfax'", 0);
    assert_truth(f, "CITY in {'Sfax', 'Great Tunis'}", 1);
    f->cells[C_CITY] = str("SF");
    assert_truth(f, "CITY == 'Great Tunis'", 0);
    assert_truth(f, "CITY != 'Great Tunis'", 1);
    assert_truth(f, "CITY == 'Sfax'", 1);
    /* A label compares as a label only against its own column. */
    assert_truth(f, "NAME == 'Great Tunis'", 0);
    f->cells[C_REGION] = num(1581);
    assert_truth(f, "(REGION) == 'North East'", 1);
    assert_truth(f, "(REGION == 1581) == 'North East'", 0);
}

/* ---- in-lists and ranges -------------------------------------------------- */

static void test_in_list(void **state)
{
    fixture_t *f = *state; /* Q49G = 2, NAME = "O'Brien", C missing */
    assert_truth(f, "Q49G in {1, 2, 3}", 1);
    assert_truth(f, "Q49G in {1,3}", 0);
    assert_truth(f, "Q49G in {2}", 1);
    assert_truth(f, "Q49G in { -1, 2.0 }", 1);
    assert_truth(f, "Q49G in {'2'}", 1);
    assert_truth(f, "NAME in {'Smith', 'O''Brien'}", 1);
    assert_truth(f, "NAME in {1, 2}", 0);
    assert_truth(f, "C in {1, 2}", -1);
    assert_truth(f, "`it's``q` in {-1.5}", 1);
    assert_truth(f, "not Q49G in {1, 3}", 1);
}

static void test_in_range(void **state)
{
    fixture_t *f = *state;
    assert_truth(f, "Q49G in 1..3", 1);
    assert_truth(f, "Q49G in 2..2", 1);
    assert_truth(f, "Q49G in 2..3", 1);
    assert_truth(f, "Q49G in 0..2", 1);
    assert_truth(f, "Q49G in 2.0001..3", 0);
    assert_truth(f, "Q49G in 0 .. 1.9999", 0);
    assert_truth(f, "Q49G in -5..-1", 0);
    assert_truth(f, "`it's``q` in -2..-1", 1);
    assert_truth(f, "Q49G in 1e0..3e0", 1);
    assert_truth(f, "C in 1..3", -1);
    assert_truth(f, "NAME in 1..3", 0);
}

/* ---- logic ----------------------------------------------------------------- */

static void test_precedence(void **state)
{
    fixture_t *f = *state; /* A = 1, B = 0 */
    /* not binds looser than a comparison: not (B == 1). */
    assert_truth(f, "not B == 1", 1);
    assert_truth(f, "not A == 1", 0);
    assert_truth(f, "(not A) == 0", 1);
    /* and binds tighter than or. */
    assert_truth(f, "A == 1 or A == 1 and B == 1", 1);
    assert_truth(f, "(A == 1 or A == 1) and B == 1", 0);
    assert_truth(f, "B == 1 and A == 1 or A == 1", 1);
    assert_truth(f, "B == 1 and (A == 1 or A == 1)", 0);
    /* not binds tighter than and / or. */
    assert_truth(f, "not B and B", 0);
    assert_truth(f, "not (B and B)", 1);
    assert_truth(f, "not A or A", 1);
    assert_truth(f, "not (A or A)", 0);
    assert_truth(f, "not not A", 1);
    assert_truth(f, "not not not A", 0);
    /* Long chains are flat. */
    assert_truth(f, "A and A and A and A and B", 0);
    assert_truth(f, "B or B or B or B or A", 1);
    assert_truth(f, "B or B and A or B", 0);
}

/* Kleene truth values: 1, 0, -1 (missing). */
static int k_and(int x, int y)
{
    if (x == 0 || y == 0) return 0;
    if (x < 0 || y < 0) return -1;
    return 1;
}

static int k_or(int x, int y)
{
    if (x == 1 || y == 1) return 1;
    if (x < 0 || y < 0) return -1;
    return 0;
}

static graft_cell_t truth_cell(int t)
{
    return t < 0 ? miss() : num(t ? 1.0 : 0.0);
}

static void test_truth_tables(void **state)
{
    fixture_t *f = *state;
    static const int vals[3] = {1, 0, -1};
    for (int i = 0; i < 3; i++) {
        f->cells[C_A] = truth_cell(vals[i]);
        assert_truth(f, "not A", vals[i] < 0 ? -1 : !vals[i]);
        assert_truth(f, "A", vals[i]);
        assert_truth(f, "any(A)", vals[i]);
        assert_truth(f, "all(A)", vals[i]);
        for (int j = 0; j < 3; j++) {
            f->cells[C_B] = truth_cell(vals[j]);
            int and = k_and(vals[i], vals[j]), or = k_or(vals[i], vals[j]);
            assert_truth(f, "A and B", and);
            assert_truth(f, "B and A", and);
            assert_truth(f, "A or B", or);
            assert_truth(f, "B or A", or);
            assert_truth(f, "not (A and B)", and < 0 ? -1 : !and);
            for (int k = 0; k < 3; k++) {
                f->cells[C_C] = truth_cell(vals[k]);
                int all = k_and(and, vals[k]), any = k_or(or, vals[k]);
                assert_truth(f, "all(A, B, C)", all);
                assert_truth(f, "A and B and C", all);
                assert_truth(f, "any(A, B, C)", any);
                assert_truth(f, "A or B or C", any);
                assert_truth(f, "any(C, B, A)", any);
            }
        }
    }
    /* A non-zero number is true; a string is no truth value. */
    f->cells[C_A] = num(-2.5);
    assert_truth(f, "A and 1", 1);
    assert_truth(f, "not A", 0);
    assert_truth(f, "NAME or 0", -1);
    assert_truth(f, "NAME or 1", 1);
    assert_truth(f, "not NAME", -1);
    assert_truth(f, "any(NAME, 0)", -1);
}

static void test_truth_helper(void **state)
{
    (void)state;
    assert_int_equal(graft_expr_truth(num(1)), 1);
    assert_int_equal(graft_expr_truth(num(-0.5)), 1);
    assert_int_equal(graft_expr_truth(num(0)), 0);
    assert_int_equal(graft_expr_truth(num(NAN)), -1);
    assert_int_equal(graft_expr_truth(miss()), -1);
    assert_int_equal(graft_expr_truth(str("1")), -1);
}

static void test_missing_fn(void **state)
{
    fixture_t *f = *state; /* C missing, A = 1, NAME a string */
    assert_truth(f, "missing(C)", 1);
    assert_truth(f, "missing(A)", 0);
    assert_truth(f, "missing( NAME )", 0);
    assert_truth(f, "missing(`odd name`)", 0);
    assert_truth(f, "not missing(C)", 0);
    assert_truth(f, "missing(C) or C == 1", 1);
    assert_truth(f, "not missing(C) and C == 1", 0);
    /* Names that are functions only when called. */
    graft_column_t cols[3] = {{"any", NULL, GRAFT_COL_NUMERIC, NULL},
                              {"missing", NULL, GRAFT_COL_NUMERIC, NULL},
                              {"all", NULL, GRAFT_COL_NUMERIC, NULL}};
    graft_cell_t cells[3] = {num(1), num(0), miss()};
    graft_expr_t *e = NULL;
    graft_diag_t diag;
    assert_int_equal(graft_expr_parse("any == 1 and missing == 0 and "
                                      "missing (all)", NULL, 0, 1, &e, &diag),
                     GRAFT_OK);
    assert_int_equal(graft_expr_bind(e, cols, 3, &diag), GRAFT_OK);
    assert_int_equal(graft_expr_truth(graft_expr_eval(e, cells)), 1);
    graft_expr_free(e);
}

/* The Afrobarometer R7 question: did you pay a bribe for any of three
 * services (Q49C, Q49G, Q49K: 0 never, 1 once or twice, 2 a few times,
 * 3 often, 7 no contact, 8 refused, 9 don't know; -1 missing)? */
static void test_afrobarometer(void **state)
{
    fixture_t *f = *state;
    static const struct {
        int c, g, k; /* -99: missing cell */
        int want;
    } rows[] = {
        {0, 0, 0, 0},       {1, 0, 0, 1},       {0, 0, 3, 1},
        {0, 2, 0, 1},       {7, 7, 7, 0},       {9, 8, 0, 0},
        {-99, 0, 0, -1},    {-99, 2, 0, 1},     {-99, -99, -99, -1},
        {4, 0, -1, 0},      {-99, 7, 3, 1},     {0, -99, 9, -1},
    };
    graft_expr_t *e = compile(f, "any(Q49C in 1..3, Q49G in 1..3, Q49K in 1..3)");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const int v[3] = {rows[i].c, rows[i].g, rows[i].k};
        for (int j = 0; j < 3; j++)
            f->cells[C_Q49C + j] = v[j] == -99 ? miss() : num(v[j]);
        int got = graft_expr_truth(graft_expr_eval(e, f->cells));
        if (got != rows[i].want)
            fail_msg("row %zu (%d %d %d): %d, want %d", i, v[0], v[1], v[2],
                     got, rows[i].want);
    }
    graft_expr_free(e);
}

/* ---- binding ----------------------------------------------------------------- */

static void test_rebind(void **state)
{
    fixture_t *f = *state;
    graft_expr_t *e = compile(f, "REGION == 'North East' and Q49G >= 2");
    f->cells[C_REGION] = num(1581);
    assert_int_equal(graft_expr_truth(graft_expr_eval(e, f->cells)), 1);

    /* Another file: other order, other codes for the same label. */
    graft_labelset_t *other = graft_labelset_alloc();
    assert_non_null(other);
    assert_int_equal(graft_labelset_add_num(other, 2, "North East"), GRAFT_OK);
    graft_column_t cols[2] = {{"Q49G", NULL, GRAFT_COL_NUMERIC, NULL},
                              {"REGION", NULL, GRAFT_COL_NUMERIC, other}};
    graft_cell_t cells[2] = {num(3), num(2)};
    graft_diag_t diag;
    assert_int_equal(graft_expr_bind(e, cols, 2, &diag), GRAFT_OK);
    assert_int_equal(graft_expr_truth(graft_expr_eval(e, cells)), 1);
    cells[1] = num(1581);
    assert_int_equal(graft_expr_truth(graft_expr_eval(e, cells)), 0);

    /* A failed bind leaves the expression unbound: its value is missing. */
    assert_int_equal(graft_expr_bind(e, cols, 1, &diag), GRAFT_ERR_COLUMN);
    assert_int_equal(graft_expr_eval(e, cells).kind, GRAFT_CELL_MISSING);
    graft_expr_free(e);
    graft_labelset_free(other);

    /* Never bound. */
    assert_int_equal(graft_expr_parse("1 == 1", NULL, 0, 1, &e, &diag),
                     GRAFT_OK);
    assert_int_equal(graft_expr_eval(e, cells).kind, GRAFT_CELL_MISSING);
    graft_expr_free(e);
}

/* Derived variables: the caller appends derived columns after the file's,
 * binds each definition against the columns before it, and fills the
 * derived cells in order. */
static void test_derived(void **state)
{
    fixture_t *f = *state;
    enum { N_DERIVED = 2, N_ALL = N_COLS + N_DERIVED };
    static const char *const defs[N_DERIVED][2] = {
        {"bribed", "any(Q49C in 1..3, Q49G in 1..3, Q49K in 1..3)"},
        {"bribed_tunis", "bribed and REGION == 'Great Tunis'"}};
    graft_column_t cols[N_ALL];
    graft_cell_t cells[N_ALL];
    graft_expr_t *d[N_DERIVED] = {NULL, NULL}, *prop = NULL;
    graft_diag_t diag;
    memcpy(cols, f->cols, sizeof f->cols);
    for (size_t k = 0; k < N_DERIVED; k++) {
        graft_column_t c = {defs[k][0], NULL, GRAFT_COL_UNKNOWN, NULL};
        cols[N_COLS + k] = c;
        assert_int_equal(graft_expr_parse(defs[k][1], "survey.ini", 3 + k, 10,
                                          &d[k], &diag), GRAFT_OK);
        assert_int_equal(graft_expr_bind(d[k], cols, N_COLS + k, &diag),
                         GRAFT_OK);
    }
    assert_int_equal(graft_expr_parse("bribed_tunis", "--prop", 1, 1, &prop,
                                      &diag), GRAFT_OK);
    assert_int_equal(graft_expr_bind(prop, cols, N_ALL, &diag), GRAFT_OK);
    assert_true(graft_expr_is_bare_column(prop));

    static const struct {
        int g, region, want;
    } rows[] = {{2, 1580, 1}, {2, 1581, 0}, {0, 1580, 0}, {-99, 1599, -1}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        memcpy(cells, f->cells, sizeof f->cells);
        cells[C_Q49C] = num(0);
        cells[C_Q49K] = num(0);
        cells[C_Q49G] = rows[i].g == -99 ? miss() : num(rows[i].g);
        cells[C_REGION] = num(rows[i].region);
        for (size_t k = 0; k < N_DERIVED; k++)
            cells[N_COLS + k] = graft_expr_eval(d[k], cells);
        int got = graft_expr_truth(graft_expr_eval(prop, cells));
        if (got != rows[i].want)
            fail_msg("row %zu: %d, want %d", i, got, rows[i].want);
    }

    /* A definition cannot see itself or later ones. */
    graft_expr_t *self = NULL;
    assert_int_equal(graft_expr_parse("bribed_tunis or bribed", "survey.ini",
                                      4, 16, &self, &diag), GRAFT_OK);
    assert_int_equal(graft_expr_bind(self, cols, N_COLS + 1, &diag),
                     GRAFT_ERR_COLUMN);
    assert_string_equal(diag.msg, "unknown column 'bribed_tunis'");
    assert_string_equal(diag.file, "survey.ini");
    assert_int_equal(diag.line, 4);
    assert_int_equal(diag.col, 16);
    graft_expr_free(self);
    for (size_t k = 0; k < N_DERIVED; k++)
        graft_expr_free(d[k]);
    graft_expr_free(prop);
}

/* ---- errors -------------------------------------------------------------------- */

static const struct {
    const char *text;
    unsigned long col;
    const char *msg;
} syntax_errors[] = {
    {"", 1, "empty expression"},
    {"   ", 1, "empty expression"},
    {"Q49C ==", 8, "unexpected end of expression"},
    {"(Q49C == 1", 11, "expected ')' to close the '(' at column 1"},
    {"A and (B or (C)", 16, "expected ')' to close the '(' at column 7"},
    {"any(Q49C == 1, Q49G == 2", 25, "expected ')' after the arguments of any"},
    {"all(A B)", 7, "expected ')' after the arguments of all"},
    {"any()", 5, "any() needs at least one condition"},
    {"Q49C == 1 or", 13, "unexpected end of expression"},
    {"Q49C == 1 or or A", 14, "unexpected 'or'"},
    {"Q49C == 1)", 10, "unexpected ')'"},
    {"A B", 3, "unexpected 'B'"},
    {"and A", 1, "unexpected 'and'"},
    {"A == 'x' 'y'", 10, "unexpected string 'y'"},
    {"REGION == 'Great Tunis", 11, "unterminated string"},
    {"REGION == 'it''s", 11, "unterminated string"},
    {"`odd name == 1", 1, "unterminated `name`"},
    {"`` == 1", 1, "empty column name ``"},
    {"Q49C in 3..1", 9, "empty range '3..1' (the first number is larger)"},
    {"Q49C in -1 .. -3", 9, "empty range '-1 .. -3' (the first number is larger)"},
    {"Q49C in 1..", 12, "expected a number after '..'"},
    {"Q49C in 1..A", 12, "expected a number after '..'"},
    {"Q49C in 1", 10, "expected '..' after the first number of the range"},
    {"Q49C in 1...3", 9, "empty range '1...3' (the first number is larger)"},
    {"Q49C in 'a'..'c'", 9, "expected '{' or a number after 'in'"},
    {"Q49C in", 8, "expected '{' or a number after 'in'"},
    {"Q49C in {}", 10, "empty list after 'in'"},
    {"Q49C in {1,}", 12, "expected a number or a 'string' in the list"},
    {"Q49C in {A}", 10, "expected a number or a 'string' in the list"},
    {"Q49C in {1 2}", 12, "expected ',' or '}' in the list opened at column 9"},
    {"Q49C in {1, 2", 14, "expected ',' or '}' in the list opened at column 9"},
    {"Q49C = 1", 6, "unexpected '=' (compare with '==' or '!=')"},
    {"Q49C <> 1", 6, "unexpected '<>' (compare with '==' or '!=')"},
    {"A == 1 && B == 1", 8, "unexpected '&' (write 'and')"},
    {"A == 1 || B == 1", 8, "unexpected '|' (write 'or')"},
    {"!A", 1, "unexpected '!' (write 'not')"},
    {"A == \"x\"", 6, "unexpected '\"' (strings take single quotes)"},
    {"A == 1 AND B == 1", 8, "unexpected 'AND' (keywords are lowercase: 'and')"},
    {"A Or B", 3, "unexpected 'Or' (keywords are lowercase: 'or')"},
    {"1 < A < 3", 7, "unexpected '<' (comparisons do not chain; join them with 'and')"},
    {"A == 1 in {1}", 8, "unexpected 'in' (comparisons do not chain; join them with 'and')"},
    {"ANY(A, B)", 1, "unknown function 'ANY' (functions are lowercase)"},
    {"mean (A)", 1, "unknown function 'mean' (there are any, all and missing)"},
    {"missing(1)", 9, "expected a column name in missing()"},
    {"missing()", 9, "expected a column name in missing()"},
    {"missing(A, B)", 10, "expected ')' after the column of missing"},
    {"1abc == 2", 1, "invalid number '1abc'"},
    {"A == 1e", 6, "invalid number '1e'"},
    {"A == 1.2.3", 6, "invalid number '1.2.3'"},
    {"A == 1e999", 6, "invalid number '1e999'"},
    {"A == -B", 7, "expected a number after '-'"},
    {"A - 1", 3, "unexpected '-'"},
    {"'yes' and A", 1, "expected a condition, not the string 'yes'"},
    {"A or 'no'", 6, "expected a condition, not the string 'no'"},
    {"not 'x'", 5, "expected a condition, not the string 'x'"},
    {"any(A, 'x')", 8, "expected a condition, not the string 'x'"},
    {"A == 1 #", 8, "unexpected character '#'"},
    {"A == \x01", 6, "unexpected character \\x01"},
    /* Found by fuzzing: tokens after an error are not lexed again. */
    {"(((not ==abcdefghijklmnopqrstuvwxyz0123456789_long_name", 8,
     "unexpected '=='"},
    /* Columns count characters, not bytes. */
    {"`R\xc3\xa9gion` == '\xc3\xa9t\xc3\xa9' or )", 22, "unexpected ')'"},
};

static void test_syntax_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof syntax_errors / sizeof syntax_errors[0]; i++) {
        graft_expr_t *e = (graft_expr_t *)&e; /* must be reset to NULL */
        graft_diag_t diag;
        graft_diag_clear(&diag);
        graft_error_t rc = graft_expr_parse(syntax_errors[i].text, NULL, 0, 1,
                                            &e, &diag);
        if (rc != GRAFT_ERR_USAGE)
            fail_msg("\"%s\": rc %d, want GRAFT_ERR_USAGE",
                     syntax_errors[i].text, rc);
        assert_null(e);
        assert_int_equal(diag.code, GRAFT_ERR_USAGE);
        if (strcmp(diag.msg, syntax_errors[i].msg) != 0 ||
            diag.col != syntax_errors[i].col)
            fail_msg("\"%s\": col %lu \"%s\", want col %lu \"%s\"",
                     syntax_errors[i].text, diag.col, diag.msg,
                     syntax_errors[i].col, syntax_errors[i].msg);
        assert_string_equal(diag.file, "");
        assert_int_equal(diag.line, 0);
    }
}

static void test_error_location(void **state)
{
    (void)state;
    graft_expr_t *e = NULL;
    graft_diag_t diag;
    char buf[2048];
    assert_int_equal(graft_expr_parse("Q49C in 1..3)", "--prop", 1, 1, &e,
                                      &diag), GRAFT_ERR_USAGE);
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        "--prop:1:13: unexpected ')'");
    /* An expression that starts at column 10 of line 12 of a survey file. */
    assert_int_equal(graft_expr_parse("any(Q49C in 1..3,, A)", "surveys/r7.ini",
                                      12, 10, &e, &diag), GRAFT_ERR_USAGE);
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        "surveys/r7.ini:12:27: unexpected ','");
    assert_int_equal(graft_expr_parse("A == 1", "x.ini", 3, 0, &e, &diag),
                     GRAFT_OK);
    graft_expr_free(e);
    /* DIAG may be NULL. */
    assert_int_equal(graft_expr_parse("A ==", NULL, 0, 1, &e, NULL),
                     GRAFT_ERR_USAGE);
    assert_null(e);
    assert_int_equal(graft_expr_parse("Nope", NULL, 0, 1, &e, NULL), GRAFT_OK);
    assert_int_equal(graft_expr_bind(e, NULL, 0, NULL), GRAFT_ERR_COLUMN);
    graft_expr_free(e);
    /* Nesting is bounded, so evaluation cannot exhaust the stack. */
    char deep[2 * GRAFT_EXPR_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i < GRAFT_EXPR_MAX_DEPTH; i++)
        deep[n++] = '(';
    deep[n++] = '1';
    for (int i = 0; i < GRAFT_EXPR_MAX_DEPTH; i++)
        deep[n++] = ')';
    deep[n] = '\0';
    assert_int_equal(graft_expr_parse(deep, NULL, 0, 1, &e, &diag), GRAFT_OK);
    graft_expr_free(e);
    memmove(deep + 1, deep, n + 1);
    deep[0] = '(';
    deep[n + 1] = ')';
    deep[n + 2] = '\0';
    assert_int_equal(graft_expr_parse(deep, NULL, 0, 1, &e, &diag),
                     GRAFT_ERR_USAGE);
    assert_string_equal(diag.msg, "expression nested too deeply (more than "
                                  "200 levels)");
    assert_int_equal(diag.col, GRAFT_EXPR_MAX_DEPTH + 1);
    char nots[4 * GRAFT_EXPR_MAX_DEPTH + 8];
    n = 0;
    for (int i = 0; i < GRAFT_EXPR_MAX_DEPTH; i++, n += 4)
        memcpy(nots + n, "not ", 4);
    strcpy(nots + n, "A");
    assert_int_equal(graft_expr_parse(nots, NULL, 0, 1, &e, &diag), GRAFT_OK);
    graft_expr_free(e);
    memcpy(nots + n, "not A", 6);
    assert_int_equal(graft_expr_parse(nots, NULL, 0, 1, &e, &diag),
                     GRAFT_ERR_USAGE);
    assert_string_equal(diag.msg, "expression nested too deeply (more than "
                                  "200 levels)");
    assert_int_equal(diag.col, 4 * GRAFT_EXPR_MAX_DEPTH + 1);
}

static void test_unknown_column(void **state)
{
    fixture_t *f = *state;
    static const struct {
        const char *text;
        unsigned long col;
        const char *msg;
    } cases[] = {
        {"Q49C in 1..3 or Q49X in 1..3", 17,
         "unknown column 'Q49X' (did you mean 'Q49C'?)"},
        {"any(Q49C in 1..3, q49g in 1..3)", 19,
         "unknown column 'q49g' (did you mean 'Q49G'?)"},
        {"zzzzzzzz == 1", 1, "unknown column 'zzzzzzzz'"},
        {"A and B and missing(`odd  name`)", 21,
         "unknown column 'odd  name' (did you mean 'odd name'?)"},
        /* The first use of the first unknown name. */
        {"Xyzzy or A or Xyzzy or Never", 1, "unknown column 'Xyzzy'"},
        {"`R\xc3\xa9gion` == 1 and Regio == 1", 19,
         "unknown column 'Regio' (did you mean 'REGION'?)"},
        /* A text that is no label of a column whose codes are numbers. */
        {"REGION == 'great tunis'", 11,
         "'great tunis' is not a value label of REGION (did you mean 'Great "
         "Tunis'?)"},
        {"REGION in {'Great Tunis', 'Sousse'}", 27,
         "'Sousse' is not a value label of REGION (its labels: 'Great "
         "Tunis', 'North East', 'Sfax', 'Great Tunis')"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        graft_expr_t *e = NULL;
        graft_diag_t diag;
        assert_int_equal(graft_expr_parse(cases[i].text, NULL, 0, 1, &e, &diag),
                         GRAFT_OK);
        graft_diag_clear(&diag);
        assert_int_equal(graft_expr_bind(e, f->cols, N_COLS, &diag),
                         GRAFT_ERR_COLUMN);
        assert_int_equal(diag.code, GRAFT_ERR_COLUMN);
        if (strcmp(diag.msg, cases[i].msg) != 0 || diag.col != cases[i].col)
            fail_msg("\"%s\": col %lu \"%s\", want col %lu \"%s\"",
                     cases[i].text, diag.col, diag.msg, cases[i].col,
                     cases[i].msg);
        graft_expr_free(e);
    }
    graft_expr_t *e = NULL;
    graft_diag_t diag;
    char buf[2048];
    assert_int_equal(graft_expr_parse("any(Q49C in 1..3, Q49X in 1..3)",
                                      "surveys/r7.ini", 12, 10, &e, &diag),
                     GRAFT_OK);
    assert_int_equal(graft_expr_bind(e, f->cols, N_COLS, &diag),
                     GRAFT_ERR_COLUMN);
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        "surveys/r7.ini:12:28: unknown column 'Q49X' (did you "
                        "mean 'Q49C'?)");
    graft_expr_free(e);
}

/* ---- the hot loop ---------------------------------------------------------------- */

/* graft_expr_test() is graft_expr_truth(graft_expr_eval()): the shortcut
 * for a column against a number, and the general path, on every cell kind
 * (numbers, NaN, strings, missing) and every comparison. */
static void test_expr_test(void **state)
{
    fixture_t *f = *state;
    static const char *const texts[] = {
        "A == 1", "A != 1", "A < 1", "A <= 1", "A > 1", "A >= 1",
        "1 == A", "0 < A", "A == -0", "A >= 0.5", "A", "not A",
        "A == 1 and B == 0", "CITY == 'TN'", "REGION == 'Great Tunis'",
        "A in {0, 1}", "A in 0..1", "missing(A)", "C == 1"};
    const graft_cell_t values[] = {num(1), num(0), num(-0.0), num(2.5),
                                   num(NAN), num(-1), str("1"), str("TN"),
                                   miss()};
    size_t nv = sizeof values / sizeof values[0];
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        graft_expr_t *e = compile(f, texts[t]);
        for (size_t a = 0; a < nv; a++)
            for (size_t b = 0; b < nv; b++) {
                f->cells[C_A] = values[a];
                f->cells[C_B] = values[b];
                f->cells[C_C] = values[(a + b) % nv];
                int want = graft_expr_truth(graft_expr_eval(e, f->cells));
                int got = graft_expr_test(e, f->cells);
                if (got != want)
                    fail_msg("\"%s\" with A #%zu, B #%zu: test %d, eval %d",
                             texts[t], a, b, got, want);
                graft_filter_t flt;
                if (graft_expr_filter(e, &flt) &&
                    graft_filter_test(&flt, f->cells) != want)
                    fail_msg("\"%s\" with A #%zu, B #%zu: filter differs",
                             texts[t], a, b);
            }
        graft_expr_free(e);
    }
    /* which shapes are filters */
    static const struct { const char *text; int filter; } shapes[] = {
        {"A == 1", 1}, {"1 < A", 0}, {"A >= -0.5", 1}, {"A", 0},
        {"A == B", 0}, {"A == 1 and B == 0", 0}, {"CITY == 'TN'", 0},
        {"not A == 1", 0}, {"A in {1}", 0}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        graft_expr_t *e = compile(f, shapes[i].text);
        graft_filter_t flt;
        if (graft_expr_filter(e, &flt) != shapes[i].filter)
            fail_msg("\"%s\": filter %d", shapes[i].text, !shapes[i].filter);
        graft_expr_free(e);
    }
}

static void test_eval_allocates_nothing(void **state)
{
    fixture_t *f = *state;
    graft_expr_t *e = compile(
        f, "any(Q49C in 1..3, Q49G in 1..3, Q49K in 1..3) and "
           "REGION in {'Great Tunis', 'North East'} and CITY != 'Sfax' and "
           "not missing(`odd name`) or NAME == 'x'");
    double hits = 0;
#ifdef ALLOC_HOOK
    /* The hook counts: prove it on one allocation first. */
    counting = 1;
    void *volatile probe = malloc(24);
    free(probe);
    counting = 0;
    assert_int_equal(n_allocs, 2);
    n_allocs = 0;
    counting = 1;
#endif
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < 100000; i++) {
        f->cells[C_Q49G] = num(i % 5);
        f->cells[C_REGION] = num(i % 3 ? 1580 : 1582);
        graft_cell_t v = graft_expr_eval(e, f->cells);
        hits += v.kind == GRAFT_CELL_NUMBER ? v.num : 0;
    }
    struct mallinfo2 after = mallinfo2();
#ifdef ALLOC_HOOK
    counting = 0;
    assert_int_equal(n_allocs, 0);
#endif
    assert_int_equal(after.uordblks, before.uordblks);
    assert_int_equal(after.hblkhd, before.hblkhd);
    /* i % 5 in 1..3 (3 of 5) and i % 3 != 0 (2 of 3) */
    size_t want = 0;
    for (int i = 0; i < 100000; i++)
        want += (i % 5 >= 1 && i % 5 <= 3) && i % 3 != 0;
    assert_close(hits, (double)want, 0, 0);
    graft_expr_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bare_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_columns_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compare_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truth_tables, setup, teardown),
        cmocka_unit_test(test_truth_helper),
        cmocka_unit_test_setup_teardown(test_missing_fn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_afrobarometer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derived, setup, teardown),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_error_location),
        cmocka_unit_test_setup_teardown(test_unknown_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expr_test, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_allocates_nothing, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
