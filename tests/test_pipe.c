/*
 * test_pipe.c - the two-thread row pipeline (graft_pipe_*): rows reach the
 * consumer whole, in order, with their text, across batch borders; the
 * columns not read and the bare values are passed on as documented; the
 * consumer's first error stops the reader.  The same rows written in place
 * (graft_pipe_begin_row() and the rest) reach the consumer the same way,
 * and missing codes are screened as rows are unpacked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/pipe.h"

#define NCOLS 5
#define NROWS 20000 /* many batches of any size the pipe picks */
#define NROWS_REUSED 100000 /* and every batch used again (8 x 4096 rows
                             * at most before that) */

/* Row R's cell C: a number with its text, a string (some long, to grow the
 * arena), a missing cell with text ("NA"), or a missing cell without.  The
 * kind follows a hash of R, so that a row's slot in a batch used again
 * held cells of other kinds before. */
static graft_cell_t make_cell(size_t r, size_t c, char *buf, size_t size)
{
    graft_cell_t cell = {GRAFT_CELL_MISSING, 0.0, NULL, 0};
    switch (((((uint32_t)r * 2654435761u) >> 30) + c) % 4) {
    case 0:
        cell.kind = GRAFT_CELL_NUMBER;
        cell.num = (double)r + 0.25 * (double)c;
        snprintf(buf, size, "%.2f", cell.num);
        cell.str = buf;
        break;
    case 1:
        if (r % 97 == 0) { /* a long one now and then */
            memset(buf, 'a' + (int)(c % 26), size - 1);
            buf[size - 1] = '\0';
        } else {
            snprintf(buf, size, "s%zu.%zu", r, c);
        }
        cell.kind = GRAFT_CELL_STRING;
        cell.str = buf;
        break;
    case 2:
        cell.str = "NA";
        break;
    default:
        break;
    }
    cell.len = cell.str ? strlen(cell.str) : 0;
    return cell;
}

typedef struct seen {
    const unsigned char *used;
    int bare;
    size_t rows;
    size_t fail_at; /* 1-based row to fail on; 0: never */
    char first_error[256];
} seen_t;

static void record_error(seen_t *s, const char *fmt, size_t r, size_t c)
{
    if (!s->first_error[0])
        snprintf(s->first_error, sizeof s->first_error, fmt, r, c);
}

static graft_error_t consume(void *ctx, const graft_cell_t *cells,
                             size_t ncols, unsigned long line,
                             graft_diag_t *diag)
{
    seen_t *s = ctx;
    size_t r = s->rows++;
    if (ncols != NCOLS || line != 2 * r + 3)
        record_error(s, "row %zu: width or line wrong (%zu)", r, ncols);
    for (size_t c = 0; c < NCOLS; c++) {
        char buf[300];
        graft_cell_t want = make_cell(r, c, buf, sizeof buf);
        const graft_cell_t *got = &cells[c];
        if (s->used && !s->used[c]) {
            if (got->kind != GRAFT_CELL_MISSING || got->str || got->len)
                record_error(s, "row %zu col %zu: not read, yet not missing",
                             r, c);
            continue;
        }
        if (got->kind != want.kind || got->num != want.num)
            record_error(s, "row %zu col %zu: kind or value differs", r, c);
        int text = want.str && (want.kind == GRAFT_CELL_STRING || !s->bare);
        if (!text) {
            if (got->str || got->len)
                record_error(s, "row %zu col %zu: text where none is due", r,
                             c);
        } else if (!got->str || got->len != want.len ||
                   strcmp(got->str, want.str) != 0) {
            record_error(s, "row %zu col %zu: text differs", r, c);
        }
    }
    if (s->fail_at && s->rows == s->fail_at)
        return graft_diag_set(diag, GRAFT_ERR_VALUE, "consumer", line, 2,
                              "stop at row %zu", s->rows);
    return GRAFT_OK;
}

/* Push NROWS rows (the reader's cells are rebuilt and overwritten for every
 * row, as the format readers do); returns the pipe's result. */
static graft_error_t run(seen_t *s, size_t *pushed, graft_diag_t *diag)
{
    graft_pipe_t *p = graft_pipe_start(NCOLS, s->used, s->bare, consume, s);
    assert_non_null(p);
    graft_error_t rc = GRAFT_OK;
    *pushed = 0;
    for (size_t r = 0; r < NROWS && rc == GRAFT_OK; r++) {
        char bufs[NCOLS][300];
        graft_cell_t cells[NCOLS];
        for (size_t c = 0; c < NCOLS; c++) {
            cells[c] = make_cell(r, c, bufs[c], sizeof bufs[c]);
            if (s->used && !s->used[c])
                cells[c] = (graft_cell_t){GRAFT_CELL_MISSING, 0.0, NULL, 0};
        }
        rc = graft_pipe_push(p, cells, 2 * r + 3);
        if (rc == GRAFT_OK)
            ++*pushed;
        else
            assert_int_equal(rc, GRAFT_ERR_VALUE); /* the consumer's */
        memset(bufs, 'x', sizeof bufs); /* the pipe must have copied */
    }
    graft_diag_clear(diag);
    return graft_pipe_finish(p, rc, diag);
}

/* The rows of run(), written in place as the ReadStat reader does: a
 * number as a bare value (GRAFT_PIPE_AUTO), a string with its kind and
 * text, a missing cell as NaN or an infinity.  A number must come out a
 * number even where the batch held a string before: every kind starts
 * GRAFT_PIPE_AUTO. */
static graft_error_t run_in_place(seen_t *s, graft_diag_t *diag)
{
    graft_pipe_t *p = graft_pipe_start(NCOLS, s->used, 1, consume, s);
    assert_non_null(p);
    for (size_t c = 0, pos = 0; c < NCOLS; c++)
        if (s->used && !s->used[c])
            assert_int_equal(graft_pipe_position(p, c), -1);
        else
            assert_int_equal(graft_pipe_position(p, c), pos++);
    assert_int_equal(graft_pipe_position(p, NCOLS), -1);
    graft_error_t rc = GRAFT_OK;
    for (size_t r = 0; r < NROWS_REUSED && rc == GRAFT_OK; r++) {
        graft_pipe_row_t row = graft_pipe_begin_row(p);
        for (size_t c = 0; c < NCOLS; c++) {
            long pos = graft_pipe_position(p, c);
            if (pos < 0)
                continue;
            char buf[300];
            graft_cell_t cell = make_cell(r, c, buf, sizeof buf);
            if (cell.kind == GRAFT_CELL_NUMBER) {
                row.nums[pos] = cell.num;
            } else if (cell.kind == GRAFT_CELL_STRING) {
                row.kinds[pos] = GRAFT_CELL_STRING;
                row.nums[pos] = 0.0;
                assert_int_equal(graft_pipe_row_text(p, (size_t)pos,
                                                     cell.str, cell.len),
                                 GRAFT_OK);
                memset(buf, 'x', sizeof buf); /* the pipe must have copied */
            } else {
                row.nums[pos] = r % 2 ? NAN : -INFINITY;
            }
        }
        rc = graft_pipe_end_row(p, 2 * r + 3);
    }
    graft_diag_clear(diag);
    return graft_pipe_finish(p, rc, diag);
}

static void test_rows_in_place(void **state)
{
    (void)state;
    static const unsigned char used[NCOLS] = {1, 0, 1, 0, 1};
    const unsigned char *picks[] = {NULL, used};
    for (size_t k = 0; k < 2; k++) {
        seen_t s = {picks[k], 1, 0, 0, ""};
        graft_diag_t diag;
        assert_int_equal(run_in_place(&s, &diag), GRAFT_OK);
        if (s.first_error[0])
            fail_msg("%s", s.first_error);
        assert_int_equal(s.rows, NROWS_REUSED);
    }
}

/* ---- missing codes screened as rows are unpacked ------------------------ */

/* Column 0 has codes in [100, 200]: the even whole numbers; column 2 in
 * [0, 0]: 0 itself; the others none.  String cells (whose number is 0)
 * and missing ones are never codes: column 0 is missing in every 11th row
 * (pushed with its number), column 2 a string in every 7th. */
static int even_code(void *arg, size_t col, double v)
{
    size_t *asked = arg;
    ++*asked;
    if (col == 0)
        return v == (double)(long)v && (long)v % 2 == 0;
    return col == 2 && v == 0.0;
}

typedef struct screened {
    size_t rows;
    char first_error[256];
} screened_t;

static graft_error_t consume_screened(void *ctx, const graft_cell_t *cells,
                                      size_t ncols, unsigned long line,
                                      graft_diag_t *diag)
{
    (void)ncols;
    (void)line;
    (void)diag;
    screened_t *s = ctx;
    size_t r = s->rows++;
    double v0 = (double)(r % 300), v2 = (double)(r % 3);
    int code0 = v0 >= 100 && v0 <= 200 && (long)v0 % 2 == 0;
    int want[NCOLS] = {code0 || r % 11 == 0 ? GRAFT_CELL_MISSING
                                            : GRAFT_CELL_NUMBER,
                       GRAFT_CELL_STRING,
                       r % 7 == 0   ? GRAFT_CELL_STRING
                       : v2 == 0 ? GRAFT_CELL_MISSING
                                 : GRAFT_CELL_NUMBER,
                       GRAFT_CELL_MISSING, GRAFT_CELL_NUMBER};
    for (size_t c = 0; c < NCOLS; c++)
        if ((int)cells[c].kind != want[c] && !s->first_error[0])
            snprintf(s->first_error, sizeof s->first_error,
                     "row %zu col %zu: kind %d, not %d", r, c, cells[c].kind,
                     want[c]);
    if (r % 11 && cells[0].num != v0 && !s->first_error[0]) /* kept */
        snprintf(s->first_error, sizeof s->first_error, "row %zu: value", r);
    return GRAFT_OK;
}

static void test_screened_codes(void **state)
{
    (void)state;
    const double lo[NCOLS] = {100, INFINITY, 0, INFINITY, INFINITY};
    const double hi[NCOLS] = {200, -INFINITY, 0, -INFINITY, -INFINITY};
    for (int in_place = 0; in_place < 2; in_place++) {
        screened_t s = {0, ""};
        size_t asked = 0;
        graft_pipe_t *p =
            graft_pipe_start(NCOLS, NULL, 1, consume_screened, &s);
        assert_non_null(p);
        assert_int_equal(graft_pipe_screen(p, lo, hi, even_code, &asked),
                         GRAFT_OK);
        for (size_t r = 0; r < NROWS; r++) {
            double v0 = (double)(r % 300), v2 = (double)(r % 3);
            if (in_place) {
                graft_pipe_row_t row = graft_pipe_begin_row(p);
                row.nums[0] = r % 11 ? v0 : NAN;
                row.kinds[1] = GRAFT_CELL_STRING;
                row.nums[1] = 0.0;
                assert_int_equal(graft_pipe_row_text(p, 1, "s", 1), GRAFT_OK);
                if (r % 7 == 0) {
                    row.kinds[2] = GRAFT_CELL_STRING;
                    row.nums[2] = 0.0;
                    assert_int_equal(graft_pipe_row_text(p, 2, "t", 1),
                                     GRAFT_OK);
                } else {
                    row.nums[2] = v2;
                }
                row.nums[3] = NAN;
                row.nums[4] = 150.0; /* in no range of its column */
                assert_int_equal(graft_pipe_end_row(p, r + 1), GRAFT_OK);
            } else {
                graft_cell_t cells[NCOLS] = {
                    {r % 11 ? GRAFT_CELL_NUMBER : GRAFT_CELL_MISSING, v0,
                     NULL, 0},
                    {GRAFT_CELL_STRING, 0.0, "s", 1},
                    r % 7 ? (graft_cell_t){GRAFT_CELL_NUMBER, v2, NULL, 0}
                          : (graft_cell_t){GRAFT_CELL_STRING, 0.0, "t", 1},
                    {GRAFT_CELL_MISSING, 0.0, NULL, 0},
                    {GRAFT_CELL_NUMBER, 150.0, NULL, 0}};
                assert_int_equal(graft_pipe_push(p, cells, r + 1), GRAFT_OK);
            }
        }
        graft_diag_t diag;
        graft_diag_clear(&diag);
        assert_int_equal(graft_pipe_finish(p, GRAFT_OK, &diag), GRAFT_OK);
        if (s.first_error[0])
            fail_msg("%s: %s", in_place ? "in place" : "pushed",
                     s.first_error);
        assert_int_equal(s.rows, NROWS);
        /* asked only for numbers in a range: column 0's 101 of every 300
         * and column 2's zeros */
        size_t want = 0;
        for (size_t r = 0; r < NROWS; r++)
            want += (r % 11 && r % 300 >= 100 && r % 300 <= 200) +
                    (r % 7 && r % 3 == 0);
        assert_int_equal(asked, want);
    }
}

static void check_all(const unsigned char *used, int bare)
{
    seen_t s = {used, bare, 0, 0, ""};
    graft_diag_t diag;
    size_t pushed;
    assert_int_equal(run(&s, &pushed, &diag), GRAFT_OK);
    if (s.first_error[0])
        fail_msg("%s", s.first_error);
    assert_int_equal(pushed, NROWS);
    assert_int_equal(s.rows, NROWS);
}

static void test_every_column(void **state)
{
    (void)state;
    check_all(NULL, 0);
}

static void test_bare_values(void **state)
{
    (void)state;
    check_all(NULL, 1);
}

static void test_columns_not_read(void **state)
{
    (void)state;
    static const unsigned char used[NCOLS] = {1, 0, 1, 0, 1};
    check_all(used, 0);
    check_all(used, 1);
}

/* The consumer's error comes back from finish with its diagnostic, and
 * from push once the reader notices (how soon depends on the scheduler:
 * under valgrind the reader may push every row first). */
static void test_consumer_error(void **state)
{
    (void)state;
    seen_t s = {NULL, 0, 0, 1234, ""};
    graft_diag_t diag;
    size_t pushed;
    assert_int_equal(run(&s, &pushed, &diag), GRAFT_ERR_VALUE);
    assert_string_equal(diag.msg, "stop at row 1234");
    assert_int_equal(diag.line, 2 * 1233 + 3);
    assert_int_equal(s.rows, 1234);
    if (s.first_error[0])
        fail_msg("%s", s.first_error);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_column),
        cmocka_unit_test(test_bare_values),
        cmocka_unit_test(test_columns_not_read),
        cmocka_unit_test(test_consumer_error),
        cmocka_unit_test(test_rows_in_place),
        cmocka_unit_test(test_screened_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
