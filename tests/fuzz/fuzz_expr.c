/*
 * fuzz_expr.c - fuzz target for the expression parser and evaluator.
 *
 * Parses the input (a NUL-terminated copy; the text ends at the first NUL),
 * binds it to a fixed, labelled column set, and, when a name is unknown
 * there, to a column set made of exactly the names it uses; then evaluates
 * it on rows of missing, numeric, string and mixed cells.  Besides crashes
 * and sanitizer reports it aborts when a result breaks the contract in
 * graft/expr.h: an error without its diagnostic, a position outside the
 * text, a failed parse that returns an expression, a truth-valued result
 * that is not 0, 1 or missing, or two evaluations of one row that differ.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/expr.h"
#include "graft/labels.h"
#include "graft/reader.h"

#define N_FIXED 6
#define MAX_COLS 64

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_expr: contract broken: %s\n", what);
        abort();
    }
}

/* Code points in TEXT: the largest column a diagnostic may name is this
 * plus one (the end of the text). */
static unsigned long count_chars(const char *text)
{
    unsigned long n = 0;
    for (const char *p = text; *p; p++)
        n += ((unsigned char)*p & 0xC0) != 0x80;
    return n;
}

static void check_diag(const graft_diag_t *d, graft_error_t rc,
                       unsigned long max_col)
{
    check(d->code == rc, "the diagnostic holds the returned code");
    check(d->msg[0] != '\0', "the diagnostic has a message");
    check(strcmp(d->file, "fuzz") == 0 && d->line == 7,
          "the diagnostic names the source and line");
    if (rc != GRAFT_ERR_NOMEM)
        check(d->col >= 3 && d->col <= max_col,
              "the diagnostic column lies within the text");
}

static int same(graft_cell_t a, graft_cell_t b)
{
    if (a.kind != b.kind)
        return 0;
    if (a.kind == GRAFT_CELL_NUMBER)
        return a.num == b.num || (a.num != a.num && b.num != b.num);
    if (a.kind == GRAFT_CELL_STRING)
        return a.str && b.str && strcmp(a.str, b.str) == 0;
    return 1;
}

/* Evaluate E on a few rows of NCOLS cells. */
static void eval_rows(const graft_expr_t *e, size_t ncols)
{
    static const char *const texts[] = {"TN", "Great Tunis", "", "O'Brien"};
    graft_cell_t cells[MAX_COLS];
    for (int row = 0; row < 5; row++) {
        for (size_t i = 0; i < ncols; i++) {
            graft_cell_t c = {GRAFT_CELL_MISSING, 0.0, NULL, 0};
            int kind = row < 3 ? row : (int)((i + (size_t)row) % 3);
            if (kind == 1) {
                c.kind = GRAFT_CELL_NUMBER;
                c.num = (double)((i * 7 + (size_t)row) % 5) - 1.0;
            } else if (kind == 2) {
                c.kind = GRAFT_CELL_STRING;
                c.str = texts[(i + (size_t)row) % 4];
                c.len = strlen(c.str);
            }
            cells[i] = c;
        }
        graft_cell_t v = graft_expr_eval(e, cells);
        graft_cell_t again = graft_expr_eval(e, cells);
        check(same(v, again), "evaluation is deterministic");
        check(v.kind == GRAFT_CELL_MISSING || v.kind == GRAFT_CELL_NUMBER ||
                  v.kind == GRAFT_CELL_STRING,
              "the value has a valid kind");
        check(v.kind != GRAFT_CELL_STRING || (v.str && strlen(v.str) == v.len),
              "a string value has its length");
        int t = graft_expr_truth(v);
        check(t == -1 || t == 0 || t == 1, "truth is 1, 0 or -1");
    }
}

/* Bind to columns named after the expression's own names. */
static void bind_own(graft_expr_t *e)
{
    size_t n = 0;
    const char *const *names = graft_expr_columns(e, &n);
    graft_column_t cols[MAX_COLS];
    graft_diag_t diag;
    if (n > MAX_COLS)
        return;
    for (size_t i = 0; i < n; i++) {
        graft_column_t c = {names[i], NULL, GRAFT_COL_UNKNOWN, NULL};
        check(strlen(names[i]) > 0, "column names are not empty");
        for (size_t j = 0; j < i; j++)
            check(strcmp(names[i], names[j]) != 0, "column names are distinct");
        cols[i] = c;
    }
    graft_error_t rc = graft_expr_bind(e, cols, n, &diag);
    if (rc == GRAFT_ERR_NOMEM)
        return;
    check(rc == GRAFT_OK, "an expression binds to its own columns");
    eval_rows(e, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    graft_labelset_t *region = graft_labelset_alloc();
    graft_labelset_t *city = graft_labelset_alloc();
    graft_expr_t *e = NULL;
    graft_diag_t diag;
    if (!text || !region || !city)
        goto done;
    memcpy(text, data, size);
    text[size] = '\0';
    if (graft_labelset_add_num(region, 1, "Great Tunis") != GRAFT_OK ||
        graft_labelset_add_num(region, 3, "Great Tunis") != GRAFT_OK ||
        graft_labelset_add_num(region, 2, "North East") != GRAFT_OK ||
        graft_labelset_add_str(city, "TN", "Great Tunis") != GRAFT_OK)
        goto done;
    const graft_column_t fixed[N_FIXED] = {
        {"Q49C", NULL, GRAFT_COL_NUMERIC, NULL},
        {"Q49G", NULL, GRAFT_COL_NUMERIC, NULL},
        {"REGION", NULL, GRAFT_COL_NUMERIC, region},
        {"CITY", NULL, GRAFT_COL_STRING, city},
        {"odd name", NULL, GRAFT_COL_UNKNOWN, NULL},
        {"W", NULL, GRAFT_COL_UNKNOWN, NULL}};
    unsigned long max_col = count_chars(text) + 3;

    graft_error_t rc = graft_expr_parse(text, "fuzz", 7, 3, &e, &diag);
    if (rc != GRAFT_OK) {
        check(rc == GRAFT_ERR_USAGE || rc == GRAFT_ERR_NOMEM,
              "parse fails only with USAGE or NOMEM");
        check(e == NULL, "a failed parse returns no expression");
        check_diag(&diag, rc, max_col);
        goto done;
    }
    check(strcmp(graft_expr_text(e), text) == 0, "the text is kept");
    rc = graft_expr_bind(e, fixed, N_FIXED, &diag);
    if (rc == GRAFT_OK) {
        eval_rows(e, N_FIXED);
    } else {
        check(rc == GRAFT_ERR_COLUMN || rc == GRAFT_ERR_NOMEM,
              "bind fails only with COLUMN or NOMEM");
        check_diag(&diag, rc, max_col);
        graft_cell_t none[1] = {{GRAFT_CELL_NUMBER, 1.0, NULL, 0}};
        check(graft_expr_eval(e, none).kind == GRAFT_CELL_MISSING,
              "an unbound expression is missing");
        bind_own(e);
    }
done:
    graft_expr_free(e);
    graft_labelset_free(city);
    graft_labelset_free(region);
    free(text);
    return 0;
}
