/*
 * test_csv.c - the CSV reader (src/io/csv_reader.c).
 *
 * Most tests read in-memory text through graft_read_csv_buffer() and
 * compare a transcript of every callback ("H|id|name" for the header,
 * "LINE|n:1|s:Tunis|m:NA" per row) or the formatted diagnostic
 * ("t.csv:LINE:COL: message").  Every read is repeated with chunk sizes of
 * 1, 2, 3 and 7 bytes and must give exactly what the 64 KiB read gives.
 */
#include "test_util.h"

#include "graft/error.h"
#include "graft/reader.h"
#include "io/reader_internal.h"

#include <pthread.h>

#define NAME "t.csv"
#define DATA "tests/data/csv/"

/* ---- a transcript of the callbacks ---------------------------------- */

typedef struct transcript {
    test_text_t out;
    size_t ncols;
    size_t rows;
    size_t fail_row;      /* return GRAFT_ERR_WEIGHT on this row (1-based) */
    int fail_header;      /* return GRAFT_ERR_COLUMN from the header */
    const char *skip;     /* " a b ": columns opts.uses answers 0 for */
} transcript_t;

static void put(transcript_t *t, const char *s, size_t n)
{
    test_text_add(&t->out, s, n);
}

static void puts_(transcript_t *t, const char *s)
{
    test_text_adds(&t->out, s);
}

static graft_error_t tr_header(void *ctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    transcript_t *t = ctx;
    t->ncols = ncols;
    puts_(t, "H");
    for (size_t i = 0; i < ncols; i++) {
        assert_int_equal(cols[i].type, GRAFT_COL_UNKNOWN);
        assert_null(cols[i].label);
        assert_null(cols[i].labels);
        puts_(t, "|");
        puts_(t, cols[i].name);
    }
    puts_(t, "\n");
    if (t->fail_header)
        return graft_diag_set(diag, GRAFT_ERR_COLUMN, "survey.ini", 4, 0,
                              "no column 'psu'");
    return GRAFT_OK;
}

static graft_error_t tr_row(void *ctx, const graft_cell_t *cells, size_t ncols,
                            unsigned long line, graft_diag_t *diag)
{
    transcript_t *t = ctx;
    char buf[64];
    assert_int_equal(ncols, t->ncols);
    snprintf(buf, sizeof buf, "%lu", line);
    puts_(t, buf);
    for (size_t i = 0; i < ncols; i++) {
        static const char *const kind[] = {"|m:", "|n:", "|s:"};
        if (!cells[i].str) { /* a skipped column */
            assert_int_equal(cells[i].kind, GRAFT_CELL_MISSING);
            assert_int_equal(cells[i].len, 0);
            assert_true(cells[i].num == 0.0);
            puts_(t, "|-");
            continue;
        }
        assert_int_equal(strlen(cells[i].str), cells[i].len);
        puts_(t, kind[cells[i].kind]);
        put(t, cells[i].str, cells[i].len);
    }
    puts_(t, "\n");
    if (++t->rows == t->fail_row)
        return graft_diag_set(diag, GRAFT_ERR_WEIGHT, "callback", line, 3,
                              "weight is negative (-3.1)");
    return GRAFT_OK;
}

/* The diagnostic as the command line prints it, or "OK". */
static const char *diag_text(graft_error_t rc, const graft_diag_t *diag,
                             char *buf, size_t size)
{
    if (rc == GRAFT_OK) {
        snprintf(buf, size, "OK");
        return buf;
    }
    assert_int_equal(diag->code, rc);
    return graft_diag_format(diag, buf, size);
}

/* opts.uses for a transcript's skip list: is " NAME " not in it? */
static int uses_unskipped(void *arg, const char *name)
{
    const char *skip = arg;
    size_t n = strlen(name);
    for (const char *p = strstr(skip, name); p; p = strstr(p + 1, name))
        if (p > skip && p[-1] == ' ' && p[n] == ' ')
            return 0;
    return 1;
}

/* Read TEXT (LEN bytes) with DELIM in 64 KiB chunks into OUT, then again in
 * tiny chunks, checking that the result, the diagnostic and the transcript
 * do not change.  Returns the result; DIAG is the 64 KiB one. */
static graft_error_t read_text(const char *text, size_t len, char delim,
                               transcript_t *out, graft_diag_t *diag)
{
    static const size_t tiny[] = {1, 2, 3, 7};
    graft_read_opts_t opts = {0};
    char want[2200], got[2200];
    opts.delim = delim;
    if (out->skip) {
        opts.uses = uses_unskipped;
        opts.uses_arg = (void *)out->skip;
    }
    graft_error_t rc = graft_read_csv_buffer(NAME, text, len, &opts, tr_header,
                                             tr_row, out, diag);
    diag_text(rc, diag, want, sizeof want);
    for (size_t k = 0; k < sizeof tiny / sizeof tiny[0]; k++) {
        transcript_t t = {0};
        graft_diag_t d;
        t.fail_row = out->fail_row;
        t.fail_header = out->fail_header;
        t.skip = out->skip;
        opts.chunk_size = tiny[k];
        graft_error_t rc2 = graft_read_csv_buffer(NAME, text, len, &opts,
                                                  tr_header, tr_row, &t, &d);
        assert_int_equal(rc2, rc);
        assert_string_equal(diag_text(rc2, &d, got, sizeof got), want);
        assert_string_equal(t.out.s ? t.out.s : "",
                            out->out.s ? out->out.s : "");
        free(t.out.s);
    }
    return rc;
}

/* TEXT must read without error and give the transcript WANT. */
static void expect_rows_d(const char *text, char delim, const char *want)
{
    transcript_t t = {0};
    graft_diag_t diag;
    char buf[2200];
    graft_error_t rc = read_text(text, strlen(text), delim, &t, &diag);
    assert_string_equal(diag_text(rc, &diag, buf, sizeof buf), "OK");
    assert_string_equal(t.out.s, want);
    free(t.out.s);
}

static void expect_rows(const char *text, const char *want)
{
    expect_rows_d(text, 0, want);
}

/* TEXT (LEN bytes) must fail with CODE and the diagnostic WANT. */
static void expect_error_n(const char *text, size_t len, char delim,
                           graft_error_t code, const char *want)
{
    transcript_t t = {0};
    graft_diag_t diag;
    char buf[2200];
    graft_error_t rc = read_text(text, len, delim, &t, &diag);
    assert_string_equal(diag_text(rc, &diag, buf, sizeof buf), want);
    assert_int_equal(rc, code);
    free(t.out.s);
}

static void expect_error(const char *text, graft_error_t code,
                         const char *want)
{
    expect_error_n(text, strlen(text), 0, code, want);
}

/* ---- records, fields and cells -------------------------------------- */

static void test_basic_cells(void **state)
{
    (void)state;
    expect_rows("id,name,w\n1,Tunis,1.5\n2,NA,.\n3,,-2e3\n",
                "H|id|name|w\n"
                "2|n:1|s:Tunis|n:1.5\n"
                "3|n:2|m:NA|m:.\n"
                "4|n:3|m:|n:-2e3\n");
}

typedef struct cells_seen {
    graft_cell_t cell[4];
    char text[4][16];
} cells_seen_t;

static graft_error_t keep_first_row(void *ctx, const graft_cell_t *cells,
                                    size_t ncols, unsigned long line,
                                    graft_diag_t *diag)
{
    cells_seen_t *s = ctx;
    (void)diag;
    assert_int_equal(ncols, 4);
    assert_int_equal(line, 2);
    for (size_t i = 0; i < 4; i++) {
        s->cell[i] = cells[i];
        snprintf(s->text[i], sizeof s->text[i], "%s", cells[i].str);
    }
    return GRAFT_OK;
}

static void test_cell_values(void **state)
{
    (void)state;
    const char *text = "a,b,c,d\n-2.5e-3,NA,\"\",Sfax\n";
    cells_seen_t s;
    graft_diag_t diag;
    graft_error_t rc = graft_read_csv_buffer(NAME, text, strlen(text), NULL,
                                             NULL, keep_first_row, &s, &diag);
    assert_int_equal(rc, GRAFT_OK);
    assert_int_equal(diag.code, GRAFT_OK);
    assert_int_equal(s.cell[0].kind, GRAFT_CELL_NUMBER);
    assert_close(s.cell[0].num, -0.0025, REL_TOL, 0);
    assert_string_equal(s.text[0], "-2.5e-3");
    assert_int_equal(s.cell[0].len, 7);
    assert_int_equal(s.cell[1].kind, GRAFT_CELL_MISSING);
    assert_string_equal(s.text[1], "NA");
    assert_int_equal(s.cell[1].len, 2);
    assert_int_equal(s.cell[2].kind, GRAFT_CELL_MISSING);
    assert_string_equal(s.text[2], "");
    assert_int_equal(s.cell[2].len, 0);
    assert_int_equal(s.cell[3].kind, GRAFT_CELL_STRING);
    assert_string_equal(s.text[3], "Sfax");
    assert_int_equal(s.cell[3].len, 4);
}

/* One-character cells: a digit is a number, "." is missing, any other
 * character is text. */
static void test_single_char_cells(void **state)
{
    (void)state;
    char text[512] = "a\n", want[1024] = "H|a\n";
    size_t line = 2;
    for (int ch = 0x21; ch < 0x7F; ch++) {
        if (ch == ',' || ch == '"')
            continue;
        char row[8], cell[32];
        snprintf(row, sizeof row, "%c\n", ch);
        strcat(text, row);
        snprintf(cell, sizeof cell, "%zu|%s%c\n", line++,
                 ch >= '0' && ch <= '9' ? "n:" : ch == '.' ? "m:" : "s:", ch);
        strcat(want, cell);
    }
    expect_rows_d(text, ',', want);
    cells_seen_t s;
    graft_diag_t diag;
    const char *four = "a,b,c,d\n0,9,/,:\n";
    assert_int_equal(graft_read_csv_buffer(NAME, four, strlen(four), NULL,
                                           NULL, keep_first_row, &s, &diag),
                     GRAFT_OK);
    assert_int_equal(s.cell[0].kind, GRAFT_CELL_NUMBER);
    assert_true(s.cell[0].num == 0.0 && !signbit(s.cell[0].num));
    assert_int_equal(s.cell[1].kind, GRAFT_CELL_NUMBER);
    assert_true(s.cell[1].num == 9.0);
    assert_int_equal(s.cell[2].kind, GRAFT_CELL_STRING);
    assert_int_equal(s.cell[3].kind, GRAFT_CELL_STRING);
    assert_true(s.cell[3].num == 0.0);
}

static void test_quoted_fields(void **state)
{
    (void)state;
    /* delimiters, doubled quotes and newlines inside quotes */
    expect_rows("a,b,c\n\"x,y\",\"say \"\"hi\"\"\",\"multi\nline\"\n",
                "H|a|b|c\n2|s:x,y|s:say \"hi\"|s:multi\nline\n");
    /* a quoted empty field, a quoted number, a quoted NA */
    expect_rows("a,b,c\n\"\",\"12\",\"NA\"\n", "H|a|b|c\n2|m:|n:12|m:NA\n");
    /* libcsv trims spaces around unquoted fields, keeps them in quotes */
    expect_rows("a,b,c\n  7  , x y ,\" 12 \"\n",
                "H|a|b|c\n2|n:7|s:x y|n: 12 \n");
    /* CRLF inside a quoted field is kept as written */
    expect_rows("a\r\n\"p\r\nq\"\r\n", "H|a\n2|s:p\r\nq\n");
}

static void test_last_row_without_newline(void **state)
{
    (void)state;
    expect_rows("a,b\n1,2", "H|a|b\n2|n:1|n:2\n");
    expect_rows("a,b\n1,\"2\"", "H|a|b\n2|n:1|n:2\n");
    expect_rows("a,b\n1,", "H|a|b\n2|n:1|m:\n");
}

static void test_many_rows(void **state)
{
    (void)state;
    size_t n = 20000, len = 0;
    char *text = malloc(n * 32 + 16);
    assert_non_null(text);
    len += (size_t)sprintf(text, "id,x,name\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%zu,%zu.5,r%zu\n", i, i * 7, i);
    transcript_t t = {0};
    graft_diag_t diag;
    graft_error_t rc = graft_read_csv_buffer(NAME, text, len, NULL, tr_header,
                                             tr_row, &t, &diag);
    assert_int_equal(rc, GRAFT_OK);
    assert_int_equal(t.rows, n);
    assert_non_null(strstr(t.out.s, "\n20001|n:19999|n:139993.5|s:r19999\n"));
    free(t.out.s);
    free(text);
}

static void test_long_field(void **state)
{
    (void)state;
    size_t n = 200000;
    char *text = malloc(n + 32);
    assert_non_null(text);
    memcpy(text, "a,b\n1,\"", 7);
    memset(text + 7, 'x', n);
    memcpy(text + 7 + n, "\"\n", 3);
    transcript_t t = {0};
    graft_diag_t diag;
    graft_read_opts_t opts = {0};
    opts.chunk_size = 4096;
    graft_error_t rc = graft_read_csv_buffer(NAME, text, strlen(text), &opts,
                                             tr_header, tr_row, &t, &diag);
    assert_int_equal(rc, GRAFT_OK);
    assert_int_equal(t.out.len, strlen("H|a|b\n2|n:1|s:\n") + n);
    free(t.out.s);
    free(text);
}

/* ---- line numbers ---------------------------------------------------- */

static void test_lines_crlf(void **state)
{
    (void)state;
    expect_rows("a,b\r\n1,2\r\n3,4\r\n", "H|a|b\n2|n:1|n:2\n3|n:3|n:4\n");
    /* old Mac line ends (lone CR) are line breaks too */
    expect_rows("a,b\r1,2\r3,4", "H|a|b\n2|n:1|n:2\n3|n:3|n:4\n");
    /* LF CR is two line breaks */
    expect_rows("a,b\n\r1,2\n", "H|a|b\n3|n:1|n:2\n");
}

static void test_lines_blank(void **state)
{
    (void)state;
    expect_rows("\n\na,b\n\n1,2\n   \n\r\n\t\n3,4\n\n",
                "H|a|b\n5|n:1|n:2\n9|n:3|n:4\n");
}

static void test_lines_quoted_newlines(void **state)
{
    (void)state;
    expect_rows("id,note\n1,\"x\ny\"\n2,\"a\r\nb\r\nc\"\r\n3,z\n",
                "H|id|note\n"
                "2|n:1|s:x\ny\n"
                "4|n:2|s:a\r\nb\r\nc\n"
                "7|n:3|s:z\n");
    /* a header spanning lines */
    expect_rows("\"a\nb\",c\n1,2\n", "H|a\nb|c\n3|n:1|n:2\n");
}

/* Every chunk size from 1 to 70 gives the same transcript, with a BOM,
 * CRLF and quoted newlines landing on every possible chunk border. */
static void test_chunk_sizes(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBFid;note;x\r\n"
                       "1;\"a;b\r\nc\";1,5\r\n"
                       "\r\n"
                       "2;\"\"\"q\"\"\";-0.5\r\n"
                       "3;\"\r\n\r\n\";.\r\n"
                       "4;\xC3\xA9t\xC3\xA9;7";
    const char *want = "H|id|note|x\n"
                       "2|n:1|s:a;b\r\nc|s:1,5\n"
                       "5|n:2|s:\"q\"|n:-0.5\n"
                       "6|n:3|s:\r\n\r\n|m:.\n"
                       "9|n:4|s:\xC3\xA9t\xC3\xA9|n:7\n";
    for (size_t chunk = 1; chunk <= 70; chunk++) {
        transcript_t t = {0};
        graft_diag_t diag;
        graft_read_opts_t opts = {0};
        opts.chunk_size = chunk;
        graft_error_t rc = graft_read_csv_buffer(
            NAME, text, strlen(text), &opts, tr_header, tr_row, &t, &diag);
        assert_int_equal(rc, GRAFT_OK);
        assert_string_equal(t.out.s, want);
        free(t.out.s);
    }
}

/* ---- byte order mark and delimiters --------------------------------- */

static void test_bom(void **state)
{
    (void)state;
    expect_rows("\xEF\xBB\xBFid,x\n1,2\n", "H|id|x\n2|n:1|n:2\n");
    expect_rows("\xEF\xBB\xBF\n\nid\n1\n", "H|id\n4|n:1\n");
    /* only the first three bytes are a BOM; a second U+FEFF is text */
    expect_rows("\xEF\xBB\xBF\xEF\xBB\xBFid\n1\n",
                "H|\xEF\xBB\xBFid\n2|n:1\n");
    /* U+FEFF elsewhere is ordinary text */
    expect_rows("id\n\xEF\xBB\xBFx\n", "H|id\n2|s:\xEF\xBB\xBFx\n");
    /* a truncated BOM is invalid UTF-8 */
    expect_error("\xEF\xBBid\n1\n", GRAFT_ERR_UTF8,
                 NAME ":1:1: invalid UTF-8 byte 0xEF in the header");
}

static void test_delim_detect(void **state)
{
    (void)state;
    expect_rows("a;b;c\n1;2,5;3\n", "H|a|b|c\n2|n:1|s:2,5|n:3\n");
    expect_rows("a\tb\n1\t2\n", "H|a|b\n2|n:1|n:2\n");
    expect_rows("a,b\n1,2\n", "H|a|b\n2|n:1|n:2\n");
    /* most frequent wins */
    expect_rows("a;b;c,d\n1;2;3,4\n", "H|a|b|c,d\n2|n:1|n:2|s:3,4\n");
    /* ties favour ',' then ';' */
    expect_rows("a,b;c\n1,2;3\n", "H|a|b;c\n2|n:1|s:2;3\n");
    expect_rows("a;b\tc\n1;2\t3\n", "H|a|b\tc\n2|n:1|s:2\t3\n");
    /* delimiters inside quotes do not count */
    expect_rows("\"a;b;c\",d\n1,2\n", "H|a;b;c|d\n2|n:1|n:2\n");
    expect_rows("\"x\"\"y;z\";w\n1;2\n", "H|x\"y;z|w\n2|n:1|n:2\n");
    /* only the header line counts, after blank lines */
    expect_rows("\n  \na;b\n1,2,3;4\n", "H|a|b\n4|s:1,2,3|n:4\n");
    /* a single column: ',' */
    expect_rows("name\nx;y\n", "H|name\n2|s:x;y\n");
    /* a tab-separated row may start with empty fields */
    expect_rows("a\tb\tc\n\t\t3\n", "H|a|b|c\n2|m:|m:|n:3\n");
    /* a quoted newline in the header does not end it */
    expect_rows("\"a\nb;c\";d\n1;2\n", "H|a\nb;c|d\n3|n:1|n:2\n");
}

static void test_delim_explicit(void **state)
{
    (void)state;
    expect_rows_d("a,b;c\n1,2;3\n", ';', "H|a,b|c\n2|s:1,2|n:3\n");
    expect_rows_d("a;b;c\n1;2;3\n", ',', "H|a;b;c\n2|s:1;2;3\n");
    expect_rows_d("a,b\tc\n1,2\t3\n", '\t', "H|a,b|c\n2|s:1,2|n:3\n");
    expect_rows_d("a|b\n1|2\n", '|', "H|a|b\n2|n:1|n:2\n");
    expect_error_n("a,b\n1,2\n", 8, '"', GRAFT_ERR_USAGE,
                   NAME ": unsupported CSV delimiter 0x22");
    expect_error_n("a,b\n1,2\n", 8, '\n', GRAFT_ERR_USAGE,
                   NAME ": unsupported CSV delimiter 0x0A");
}

/* ---- errors ---------------------------------------------------------- */

static void test_empty(void **state)
{
    (void)state;
    expect_error("", GRAFT_ERR_EMPTY, NAME ": file is empty");
    expect_error("\xEF\xBB\xBF", GRAFT_ERR_EMPTY, NAME ": file is empty");
    expect_error("\n\r\n  \n\n", GRAFT_ERR_EMPTY, NAME ": file is empty");
    expect_error("\xEF\xBB\xBF\r\n", GRAFT_ERR_EMPTY, NAME ": file is empty");
    /* NULL buffer of length 0 */
    graft_diag_t diag;
    assert_int_equal(graft_read_csv_buffer(NAME, NULL, 0, NULL, NULL, NULL,
                                           NULL, &diag),
                     GRAFT_ERR_EMPTY);
    char buf[2200];
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        NAME ": file is empty");
}

static void test_header_only(void **state)
{
    (void)state;
    expect_error("a,b\n", GRAFT_ERR_NO_ROWS,
                 NAME ":2: header only: no data rows");
    expect_error("a,b", GRAFT_ERR_NO_ROWS,
                 NAME ":2: header only: no data rows");
    expect_error("a,b\r\n\r\n\r\n", GRAFT_ERR_NO_ROWS,
                 NAME ":2: header only: no data rows");
    expect_error("\n\"a\nb\",c\n", GRAFT_ERR_NO_ROWS,
                 NAME ":4: header only: no data rows");
}

static void test_header_empty_name(void **state)
{
    (void)state;
    expect_error("a,b,\n1,2,3\n", GRAFT_ERR_HEADER,
                 NAME ":1:3: column 3 has an empty name");
    expect_error("\n\nid,,x\n1,2,3\n", GRAFT_ERR_HEADER,
                 NAME ":3:2: column 2 has an empty name");
    expect_error("\"\"\n1\n", GRAFT_ERR_HEADER,
                 NAME ":1:1: column 1 has an empty name");
    expect_error("a\t\tb\n", GRAFT_ERR_HEADER,
                 NAME ":1:2: column 2 has an empty name");
}

static void test_header_duplicate(void **state)
{
    (void)state;
    expect_error("id,age,x,y,age\n1,2,3,4,5\n", GRAFT_ERR_HEADER,
                 NAME ":1:5: duplicate column name 'age' (columns 2 and 5)");
    /* the earliest repeat is reported */
    expect_error("b,a,c,a,b,b\n", GRAFT_ERR_HEADER,
                 NAME ":1:4: duplicate column name 'a' (columns 2 and 4)");
    expect_error("a,b,a,a\n", GRAFT_ERR_HEADER,
                 NAME ":1:3: duplicate column name 'a' (columns 1 and 3)");
    /* names are compared as written: case and quotes matter */
    expect_rows("Age,age,\"a,b\",a\n1,2,3,4\n",
                "H|Age|age|a,b|a\n2|n:1|n:2|n:3|n:4\n");
}

static void test_header_wide(void **state)
{
    (void)state;
    size_t n = 5000, len = 0;
    char *text = malloc(n * 8 + 32);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "v%zu,", i);
    len += (size_t)sprintf(text + len, "v4321\n");
    char want[128];
    snprintf(want, sizeof want,
             NAME ":1:5001: duplicate column name 'v4321' (columns 4322 "
                  "and 5001)");
    expect_error_n(text, len, 0, GRAFT_ERR_HEADER, want);
    free(text);
}

static void test_field_count(void **state)
{
    (void)state;
    expect_error("a,b,c,d,e,f\n1,2,3,4,5\n", GRAFT_ERR_FIELDS,
                 NAME ":2:6: row has 5 fields, the header has 6");
    expect_error("a,b\n1,2\n1,2,3,4\n", GRAFT_ERR_FIELDS,
                 NAME ":3:3: row has 4 fields, the header has 2");
    expect_error("a,b\n1\n", GRAFT_ERR_FIELDS,
                 NAME ":2:2: row has 1 field, the header has 2");
    expect_error("a\n1,\n", GRAFT_ERR_FIELDS,
                 NAME ":2:2: row has 2 fields, the header has 1");
    /* the line where the record starts, after a multi-line field */
    expect_error("a,b\n\"x\ny\",1\n\r\n1,2,3\n", GRAFT_ERR_FIELDS,
                 NAME ":5:3: row has 3 fields, the header has 2");
    expect_error("a,b\n1,\"x\ny\",z\n", GRAFT_ERR_FIELDS,
                 NAME ":2:3: row has 3 fields, the header has 2");
}

static void test_utf8_valid(void **state)
{
    (void)state;
    expect_rows("name,v\n"
                "\xC3\xA9,\xC2\x80\n"             /* U+00E9, U+0080 */
                "\xE2\x82\xAC,\xE0\xA0\x80\n"     /* U+20AC, U+0800 */
                "\xED\x9F\xBF,\xEE\x80\x80\n"     /* U+D7FF, U+E000 */
                "\xF0\x9D\x84\x9E,\xF4\x8F\xBF\xBF\n" /* U+1D11E, U+10FFFF */
                "\xF0\x90\x80\x80,\xEF\xBF\xBF\n",    /* U+10000, U+FFFF */
                "H|name|v\n"
                "2|s:\xC3\xA9|s:\xC2\x80\n"
                "3|s:\xE2\x82\xAC|s:\xE0\xA0\x80\n"
                "4|s:\xED\x9F\xBF|s:\xEE\x80\x80\n"
                "5|s:\xF0\x9D\x84\x9E|s:\xF4\x8F\xBF\xBF\n"
                "6|s:\xF0\x90\x80\x80|s:\xEF\xBF\xBF\n");
}

static void test_utf8_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *field;
        unsigned bad;
    } cases[] = {
        {"\xC0\x80", 0xC0},          /* overlong NUL */
        {"\xC1\xBF", 0xC1},          /* overlong 2-byte */
        {"\xE0\x80\x80", 0xE0},      /* overlong 3-byte */
        {"\xE0\x9F\xBF", 0xE0},      /* overlong U+07FF */
        {"\xF0\x80\x80\x80", 0xF0},  /* overlong 4-byte */
        {"\xF0\x8F\xBF\xBF", 0xF0},  /* overlong U+FFFF */
        {"\xED\xA0\x80", 0xED},      /* surrogate U+D800 */
        {"\xED\xBF\xBF", 0xED},      /* surrogate U+DFFF */
        {"\xF4\x90\x80\x80", 0xF4},  /* U+110000 */
        {"\xF5\x80\x80\x80", 0xF5},  /* beyond the range */
        {"\xF8\x88\x80\x80\x80", 0xF8}, /* 5-byte form */
        {"\xFF", 0xFF},
        {"\xFE", 0xFE},
        {"ok\x80", 0x80},            /* lone continuation byte */
        {"ab\xE2\x82", 0xE2},        /* truncated at the end */
        {"\xE2\x82x", 0xE2},         /* truncated before ASCII */
        {"\xC3", 0xC3},              /* truncated 2-byte */
        {"\xF0\x9D\x84", 0xF0},      /* truncated 4-byte */
        {"\xC3\xA9\xC3\x28", 0xC3},  /* second character bad */
        {"Gab\xE8s", 0xE8},          /* Latin-1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64], want[128];
        snprintf(text, sizeof text, "a,city\n1,x\n2,%s\n", cases[i].field);
        snprintf(want, sizeof want,
                 NAME ":3:2: invalid UTF-8 byte 0x%02X in column 'city'",
                 cases[i].bad);
        expect_error(text, GRAFT_ERR_UTF8, want);
    }
    /* a sequence cut by a delimiter */
    expect_error("a,b\n\xE2,\x82\xAC\n", GRAFT_ERR_UTF8,
                 NAME ":2:1: invalid UTF-8 byte 0xE2 in column 'a'");
    /* the header; a record spanning lines reports where it starts */
    expect_error("a,\xFF\n1,2\n", GRAFT_ERR_UTF8,
                 NAME ":1:2: invalid UTF-8 byte 0xFF in the header");
    expect_error("a,b\n\"x\ny\",\"z\n\xC0\xAF\"\n", GRAFT_ERR_UTF8,
                 NAME ":2:2: invalid UTF-8 byte 0xC0 in column 'b'");
}

static void test_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "a,b\n1,x\0y\n";
    expect_error_n(text, sizeof text - 1, 0, GRAFT_ERR_FORMAT,
                   NAME ":2:2: NUL byte in column 'b' (not a text file?)");
    static const char head[] = "a\0,b\n1,2\n";
    expect_error_n(head, sizeof head - 1, 0, GRAFT_ERR_FORMAT,
                   NAME ":1:1: NUL byte in the header (not a text file?)");
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    expect_error("a,b\n1,\"abc\ndef\n", GRAFT_ERR_QUOTE,
                 NAME ":2:2: unterminated quoted field");
    /* the line where the field starts, not the record */
    expect_error("a,b\n\"x\ny\",\"open\n\n", GRAFT_ERR_QUOTE,
                 NAME ":3:2: unterminated quoted field");
    expect_error("\"a,b\n1,2\n", GRAFT_ERR_QUOTE,
                 NAME ":1:1: unterminated quoted field");
    expect_error("a,b\r\n1,2\r\n3,\"", GRAFT_ERR_QUOTE,
                 NAME ":3:2: unterminated quoted field");
    /* with an explicit delimiter (no header sniffing) */
    expect_error_n("a;b\n\"", 5, ';', GRAFT_ERR_QUOTE,
                   NAME ":2:1: unterminated quoted field");
}

static void test_stray_quote(void **state)
{
    (void)state;
    expect_error("a,b\n1,x\"y\n", GRAFT_ERR_QUOTE,
                 NAME ":2:2: quote character inside an unquoted field");
    expect_error("\"a\"x,b\n1,2\n", GRAFT_ERR_QUOTE,
                 NAME ":1:1: unexpected character after a closing quote");
    expect_error("a,b\n1,\"x\" \"\n", GRAFT_ERR_QUOTE,
                 NAME ":2:2: unexpected character after a closing quote");
    /* in a record spanning lines, the line of the offending field */
    expect_error("a,b\n\"p\nq\",r\"s\n", GRAFT_ERR_QUOTE,
                 NAME ":3:2: quote character inside an unquoted field");
}

/* ---- callbacks ------------------------------------------------------- */

static void test_row_callback_error(void **state)
{
    (void)state;
    const char *text = "a,b\n1,2\n\n3,4\n5,6\n";
    transcript_t t = {0};
    graft_diag_t diag;
    t.fail_row = 2;
    graft_error_t rc = read_text(text, strlen(text), 0, &t, &diag);
    assert_int_equal(rc, GRAFT_ERR_WEIGHT);
    assert_int_equal(t.rows, 2);
    assert_string_equal(t.out.s, "H|a|b\n2|n:1|n:2\n4|n:3|n:4\n");
    /* the callback's diagnostic comes back untouched */
    assert_int_equal(diag.code, GRAFT_ERR_WEIGHT);
    assert_string_equal(diag.file, "callback");
    assert_int_equal(diag.line, 4);
    assert_int_equal(diag.col, 3);
    assert_string_equal(diag.msg, "weight is negative (-3.1)");
    free(t.out.s);
}

static void test_header_callback_error(void **state)
{
    (void)state;
    const char *text = "a,b\n1,2\n";
    transcript_t t = {0};
    graft_diag_t diag;
    t.fail_header = 1;
    graft_error_t rc = read_text(text, strlen(text), 0, &t, &diag);
    assert_int_equal(rc, GRAFT_ERR_COLUMN);
    assert_int_equal(t.rows, 0);
    char buf[256];
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        "survey.ini:4: no column 'psu'");
    free(t.out.s);
}

static void test_null_callbacks(void **state)
{
    (void)state;
    const char *text = "a,b\n1,2\n";
    graft_diag_t diag;
    assert_int_equal(graft_read_csv_buffer(NULL, text, strlen(text), NULL,
                                           NULL, NULL, NULL, &diag),
                     GRAFT_OK);
    /* a NULL diagnostic is allowed */
    assert_int_equal(graft_read_csv_buffer(NULL, "a\n", 2, NULL, NULL, NULL,
                                           NULL, NULL),
                     GRAFT_ERR_NO_ROWS);
}

/* ---- columns the caller does not read (opts.uses) -------------------- */

/* TEXT read with the columns in SKIP skipped must give WANT. */
static void expect_rows_skip(const char *text, const char *skip,
                             const char *want)
{
    transcript_t t = {0};
    graft_diag_t diag;
    char buf[2200];
    t.skip = skip;
    graft_error_t rc = read_text(text, strlen(text), 0, &t, &diag);
    assert_string_equal(diag_text(rc, &diag, buf, sizeof buf), "OK");
    assert_string_equal(t.out.s, want);
    free(t.out.s);
}

static void expect_error_skip(const char *text, size_t len, const char *skip,
                              graft_error_t code, const char *want)
{
    transcript_t t = {0};
    graft_diag_t diag;
    char buf[2200];
    t.skip = skip;
    graft_error_t rc = read_text(text, len, 0, &t, &diag);
    assert_string_equal(diag_text(rc, &diag, buf, sizeof buf), want);
    assert_int_equal(rc, code);
    free(t.out.s);
}

static void test_uses_skips_cells(void **state)
{
    (void)state;
    /* the header still lists every column; skipped cells are missing with
     * no text, the others are as without uses */
    expect_rows_skip("id,name,w\n1,Tunis,1.5\n2,NA,.\n3,,-2e3\n", " name ",
                     "H|id|name|w\n"
                     "2|n:1|-|n:1.5\n"
                     "3|n:2|-|m:.\n"
                     "4|n:3|-|n:-2e3\n");
    expect_rows_skip("a,b,c\n\"x,y\",\"1\n2\",  7 \n", " a c ",
                     "H|a|b|c\n2|-|s:1\n2|-\n");
    expect_rows_skip("a;b\r\n1;2\r\n", " a b ", "H|a|b\n2|-|-\n");
    /* a name that only contains a skipped one is read */
    expect_rows_skip("ab,b\n1,2\n", " b ", "H|ab|b\n2|n:1|-\n");
}

static void test_uses_field_count(void **state)
{
    (void)state;
    /* a row must still have every field */
    const char *t1 = "a,b,c\n1,2,3\n1,2\n";
    expect_error_skip(t1, strlen(t1), " b c ", GRAFT_ERR_FIELDS,
                      NAME ":3:3: row has 2 fields, the header has 3");
    const char *t2 = "a,b\n1,2,\n";
    expect_error_skip(t2, strlen(t2), " a b ", GRAFT_ERR_FIELDS,
                      NAME ":2:3: row has 3 fields, the header has 2");
}

static void test_uses_text_checks(void **state)
{
    (void)state;
    /* bad UTF-8 and NUL bytes in a skipped column are not read */
    expect_rows_skip("a,city\n1,Gab\xE8s\n2,\"\xFF\"\n", " city ",
                     "H|a|city\n2|n:1|-\n3|n:2|-\n");
    static const char nul[] = "a,b\n1,x\0y\n";
    transcript_t t = {0};
    graft_diag_t diag;
    t.skip = " b ";
    assert_int_equal(read_text(nul, sizeof nul - 1, 0, &t, &diag), GRAFT_OK);
    assert_string_equal(t.out.s, "H|a|b\n2|n:1|-\n");
    free(t.out.s);
    /* in a column that is read they are errors, as without uses */
    const char *bad = "a,city\n1,Gab\xE8s\n";
    expect_error_skip(bad, strlen(bad), " a ", GRAFT_ERR_UTF8,
                      NAME ":2:2: invalid UTF-8 byte 0xE8 in column 'city'");
    expect_error_skip(nul, sizeof nul - 1, " a ", GRAFT_ERR_FORMAT,
                      NAME ":2:2: NUL byte in column 'b' (not a text file?)");
    /* the header is checked whatever the caller reads */
    const char *head = "a,\xFF\n1,2\n";
    expect_error_skip(head, strlen(head), " a \xFF ", GRAFT_ERR_UTF8,
                      NAME ":1:2: invalid UTF-8 byte 0xFF in the header");
}

typedef struct uses_log {
    char asked[256];
    int header_seen;
} uses_log_t;

static int log_uses(void *arg, const char *name)
{
    uses_log_t *log = arg;
    assert_false(log->header_seen);
    strcat(log->asked, name);
    strcat(log->asked, " ");
    return name[0] != 's';
}

static graft_error_t log_header(void *ctx, const graft_column_t *cols,
                                size_t ncols, graft_diag_t *diag)
{
    uses_log_t *log = ctx;
    (void)cols;
    (void)diag;
    assert_int_equal(ncols, 3);
    log->header_seen = 1;
    return GRAFT_OK;
}

static void test_uses_asked_once(void **state)
{
    (void)state;
    /* once per column, in order, before the header callback; not for an
     * invalid header */
    const char *text = "id,skip,w\n1,2,3\n4,5,6\n";
    uses_log_t log = {"", 0};
    graft_read_opts_t opts = {0};
    graft_diag_t diag;
    opts.uses = log_uses;
    opts.uses_arg = &log;
    assert_int_equal(graft_read_csv_buffer(NAME, text, strlen(text), &opts,
                                           log_header, NULL, &log, &diag),
                     GRAFT_OK);
    assert_string_equal(log.asked, "id skip w ");
    uses_log_t dup = {"", 0};
    opts.uses_arg = &dup;
    assert_int_equal(graft_read_csv_buffer(NAME, "a,a\n1,2\n", 8, &opts,
                                           log_header, NULL, &dup, &diag),
                     GRAFT_ERR_HEADER);
    assert_string_equal(dup.asked, "");
    char buf[2200];
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        NAME ":1:2: duplicate column name 'a' (columns 1 "
                        "and 2)");
}

/* ---- files ------------------------------------------------------------ */

static graft_error_t read_file(const char *path, size_t chunk,
                               transcript_t *t, graft_diag_t *diag)
{
    graft_read_opts_t opts = {0};
    opts.chunk_size = chunk;
    return graft_read_csv(path, &opts, tr_header, tr_row, t, diag);
}

static void expect_file(const char *path, const char *want)
{
    static const size_t chunks[] = {0, 1, 2, 7, 65536};
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        transcript_t t = {0};
        graft_diag_t diag;
        assert_int_equal(read_file(path, chunks[k], &t, &diag), GRAFT_OK);
        assert_string_equal(t.out.s, want);
        free(t.out.s);
    }
}

static void expect_file_error(const char *path, graft_error_t code,
                              const char *want)
{
    transcript_t t = {0};
    graft_diag_t diag;
    char buf[2200];
    graft_error_t rc = read_file(path, 3, &t, &diag);
    assert_int_equal(rc, code);
    assert_string_equal(diag_text(rc, &diag, buf, sizeof buf), want);
    free(t.out.s);
}

static void test_files(void **state)
{
    (void)state;
    expect_file(DATA "basic.csv",
                "H|id|region|weight|income|note\n"
                "2|n:1|s:Tunis|n:1.25|n:1580|s:Great Tunis, north\n"
                "3|n:2|s:Sfax|n:0.75|m:NA|m:\n"
                "5|n:3|s:Sousse|n:2|m:.|s:two\nlines\n"
                "7|n:4|s:Gafsa|n:3.5e-1|n:-12|s:say \"hi\"\n");
    expect_file(DATA "semicolon_bom_crlf.csv",
                "H|id|name|score\n"
                "2|n:1|s:Ben Arous; south|s:2,5\n"
                "3|n:2|s:Nabeul|n:-7\n");
    expect_file(DATA "tab.tsv", "H|a|b\n2|n:1|n:2\n");
}

static void test_file_errors(void **state)
{
    (void)state;
    expect_file_error(DATA "no_such_file.csv", GRAFT_ERR_OPEN,
                      DATA "no_such_file.csv: cannot open: No such file or "
                           "directory");
    expect_file_error(DATA, GRAFT_ERR_READ,
                      DATA ": cannot read: Is a directory");
    expect_file_error(DATA "empty.csv", GRAFT_ERR_EMPTY,
                      DATA "empty.csv: file is empty");
    expect_file_error(DATA "header_only.csv", GRAFT_ERR_NO_ROWS,
                      DATA "header_only.csv:2: header only: no data rows");
    graft_read_opts_t opts = {0};
    graft_diag_t diag;
    opts.delim = '"';
    assert_int_equal(graft_read_csv(DATA "basic.csv", &opts, NULL, NULL, NULL,
                                    &diag),
                     GRAFT_ERR_USAGE);
    char buf[2200];
    assert_string_equal(graft_diag_format(&diag, buf, sizeof buf),
                        DATA "basic.csv: unsupported CSV delimiter 0x22");
}

/* opts.progress follows the reading in chunks of 1, 7 and 64 KiB bytes. */
static void test_progress(void **state)
{
    (void)state;
    static const size_t chunks[] = {1, 7, 0};
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        test_progress_t prog = {0};
        transcript_t t = {0};
        graft_diag_t diag;
        graft_read_opts_t opts = {0};
        opts.chunk_size = chunks[k];
        opts.progress = test_progress_fn;
        opts.progress_arg = &prog;
        assert_int_equal(graft_read_csv(DATA "basic.csv", &opts, tr_header,
                                        tr_row, &t, &diag),
                         GRAFT_OK);
        test_progress_check(&prog, DATA "basic.csv", t.rows);
        assert_true(prog.calls >= (chunks[k] == 1 ? 100u : 1u));
        free(t.out.s);
    }
}

/* ---- threads ---------------------------------------------------------- */

typedef struct thread_seen {
    pthread_t caller;
    size_t rows, elsewhere;
} thread_seen_t;

static graft_error_t seen_header(void *ctx, const graft_column_t *cols,
                                 size_t ncols, graft_diag_t *diag)
{
    (void)ctx, (void)cols, (void)ncols, (void)diag;
    return GRAFT_OK;
}

static graft_error_t seen_row(void *ctx, const graft_cell_t *cells,
                              size_t ncols, unsigned long line,
                              graft_diag_t *diag)
{
    (void)cells, (void)ncols, (void)line, (void)diag;
    thread_seen_t *t = ctx;
    t->rows++;
    t->elsewhere += !pthread_equal(pthread_self(), t->caller);
    return GRAFT_OK;
}

/* opts.threads, not the environment, decides where ROW runs: 1 on the
 * caller's thread; the default on graft_read's second thread when there
 * are two cores. */
static void test_threads(void **state)
{
    (void)state;
    graft_diag_t diag;
    graft_read_opts_t opts = {0};
    thread_seen_t one = {pthread_self(), 0, 0}, two = one;
    setenv("GRAFT_THREADS", "2", 1);
    opts.threads = 1;
    assert_int_equal(graft_read(DATA "basic.csv", &opts, seen_header, seen_row,
                                &one, &diag),
                     GRAFT_OK);
    assert_int_equal(one.rows, 4);
    assert_int_equal(one.elsewhere, 0);
    setenv("GRAFT_THREADS", "1", 1);
    opts.threads = 0;
    assert_int_equal(graft_read(DATA "basic.csv", &opts, seen_header, seen_row,
                                &two, &diag),
                     GRAFT_OK);
    unsetenv("GRAFT_THREADS");
    assert_int_equal(two.rows, 4);
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
        assert_int_equal(two.elsewhere, 4);
}

/* ---- numbers and missing markers -------------------------------------- */

static void test_parse_number(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double v;
    } good[] = {
        {"0", 0},          {"-0", 0},          {"+1", 1},
        {"1.5", 1.5},      {".5", 0.5},        {"5.", 5},
        {"1e3", 1e3},      {"1E-3", 1e-3},     {"-2.5e+2", -250},
        {" 42 ", 42},      {"\t7\t", 7},       {"007", 7},
        {"0.1", 0.1},      {"1e-400", 0},      {"1580", 1580},
        {"-3.1", -3.1},    {"6.02214076e23", 6.02214076e23},
        {"123456789012345678901234567890", 1.2345678901234568e29},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -999;
        if (!graft_parse_number(good[i].s, strlen(good[i].s), &v))
            fail_msg("'%s' should be a number", good[i].s);
        assert_close(v, good[i].v, REL_TOL, 0);
    }
    static const char *const bad[] = {
        "",     " ",    "+",    "-",    ".",      "e5",  "1e",  "1e+",
        "1.2.3", "1,5", "inf",  "-inf", "nan",    "NaN", "Infinity",
        "0x10", "1e400", "-1e400", "1 2", "1d",   "--1", "+-1", "1_000",
        "12abc", "\xD9\xA1", "1e5.5", ". 5", "- 1", "1 e5", "1f", "0b1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = -999;
        if (graft_parse_number(bad[i], strlen(bad[i]), &v))
            fail_msg("'%s' should not be a number (got %g)", bad[i], v);
        assert_close(v, -999, 0, 0); /* untouched */
    }
}

static void test_parse_number_length(void **state)
{
    (void)state;
    double v = 0;
    /* only LEN bytes count, and S need not be NUL-terminated */
    assert_int_equal(graft_parse_number("12345", 2, &v), 1);
    assert_close(v, 12, 0, 0);
    char buf[3] = {'1', 'e', '5'};
    assert_int_equal(graft_parse_number(buf, 3, &v), 1);
    assert_close(v, 1e5, REL_TOL, 0);
    assert_int_equal(graft_parse_number("1e5", 2, &v), 0);
    /* a long number (past the stack buffer) */
    char big[302];
    big[0] = '1';
    memset(big + 1, '0', 300);
    big[301] = '\0';
    assert_int_equal(graft_parse_number(big, 301, &v), 1);
    assert_close(v, 1e300, REL_TOL, 0);
    big[0] = '9';
    memset(big + 1, '9', 300);
    assert_int_equal(graft_parse_number(big, 301, NULL), 1);
    big[0] = '1';
    memset(big + 1, '0', 300);
    big[300] = '.';
    assert_int_equal(graft_parse_number(big, 301, &v), 1);
    assert_close(v, 1e299, REL_TOL, 0);
}

static void test_missing_text(void **state)
{
    (void)state;
    assert_true(graft_is_missing_text("", 0));
    assert_true(graft_is_missing_text("NA", 2));
    assert_true(graft_is_missing_text(".", 1));
    assert_true(graft_is_missing_text("NAN", 2));
    assert_false(graft_is_missing_text("na", 2));
    assert_false(graft_is_missing_text("N/A", 3));
    assert_false(graft_is_missing_text(" NA", 3));
    assert_false(graft_is_missing_text("..", 2));
    assert_false(graft_is_missing_text("0", 1));
    assert_false(graft_is_missing_text("NAN", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_cells),
        cmocka_unit_test(test_cell_values),
        cmocka_unit_test(test_single_char_cells),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_last_row_without_newline),
        cmocka_unit_test(test_many_rows),
        cmocka_unit_test(test_long_field),
        cmocka_unit_test(test_lines_crlf),
        cmocka_unit_test(test_lines_blank),
        cmocka_unit_test(test_lines_quoted_newlines),
        cmocka_unit_test(test_chunk_sizes),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_delim_detect),
        cmocka_unit_test(test_delim_explicit),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_header_empty_name),
        cmocka_unit_test(test_header_duplicate),
        cmocka_unit_test(test_header_wide),
        cmocka_unit_test(test_field_count),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_stray_quote),
        cmocka_unit_test(test_row_callback_error),
        cmocka_unit_test(test_header_callback_error),
        cmocka_unit_test(test_null_callbacks),
        cmocka_unit_test(test_uses_skips_cells),
        cmocka_unit_test(test_uses_field_count),
        cmocka_unit_test(test_uses_text_checks),
        cmocka_unit_test(test_uses_asked_once),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_parse_number),
        cmocka_unit_test(test_parse_number_length),
        cmocka_unit_test(test_missing_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
