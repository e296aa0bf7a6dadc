/*
 * test_csv_parallel.c - the parallel CSV reader (src/io/csv_parallel.c)
 * against the sequential one.
 *
 * graft_read_csv_buffer_parallel() with blocks of 1 to 200 bytes (so that
 * block borders fall everywhere: inside quoted fields, between CR and LF,
 * in blank lines, next to a wrong quote) must deliver what
 * graft_read_csv_buffer() delivers: the same header, the same rows in the
 * same order (kind, bits of the number, text, line) and the same result
 * and diagnostic (code, line, column, message), on thousands of seeded
 * random files (quoted and unquoted fields, doubled quotes, LF, CRLF and
 * CR inside quotes and as line ends, blank lines, a byte order mark, the
 * three delimiters given or detected, narrow and wide rows, rows short or
 * long of fields, stray and unclosed quotes, invalid UTF-8, NUL bytes,
 * columns left out, bare values) and with a row callback that fails at a
 * given row.  The blocks the workers parsed are counted, to show that the
 * parallel path is taken; files and graft_read() are checked too.
 */
#include "test_util.h"

#include <stdint.h>

#include "graft/error.h"
#include "graft/reader.h"
#include "io/csv_internal.h"
#include "io/csv_parallel.h"

#define NAME "p.csv"
#define FILES 1500

/* ---- a seeded generator (splitmix64) -------------------------------- */

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t next(rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A number in [0, n). */
static size_t below(rng_t *r, size_t n)
{
    return (size_t)(next(r) % n);
}

static void addc(test_text_t *t, char ch)
{
    test_text_add(t, &ch, 1);
}

static const char *pick(rng_t *r, const char *const *v, size_t n)
{
    return v[below(r, n)];
}
#define PICK(r, v) pick(r, v, sizeof v / sizeof v[0])

/* ---- random CSV files ---------------------------------------------------- */

/* How one file is made: its delimiter, line ends and rates of quoting,
 * blank lines and damage (per 10,000 fields or rows). */
typedef struct shape {
    char delim;
    int ends;    /* 0: LF, 1: CRLF, 2: mixed, 3: CR only */
    size_t quoted, blank, damage;
} shape_t;

static void add_line_end(rng_t *r, test_text_t *t, const shape_t *s)
{
    static const char *const mixed[] = {"\n", "\n", "\r\n", "\r"};
    switch (s->ends) {
    case 0:
        addc(t, '\n');
        break;
    case 1:
        test_text_adds(t, "\r\n");
        break;
    case 2:
        test_text_adds(t, PICK(r, mixed));
        break;
    default:
        addc(t, '\r');
    }
}

static void add_quoted(rng_t *r, test_text_t *t, char delim)
{
    static const char *const parts[] = {
        "x", "12", "a b", "\"\"", "\n", "\r\n", "\r", " ", "\t", "",
        "NA", "\xC3\xA9", "-3.5", "\"\"\"\"", "\n\n", "7",
    };
    addc(t, '"');
    for (size_t k = below(r, 5); k > 0; k--) {
        if (below(r, 6) == 0)
            addc(t, delim);
        else
            test_text_adds(t, PICK(r, parts));
    }
    addc(t, '"');
}

/* A wrong field: a stray quote, text after a closing quote, bad UTF-8, a
 * NUL byte, or a quote that is never closed (the rest of the file is in
 * it, unless a later quote closes it). */
static void add_damage(rng_t *r, test_text_t *t)
{
    static const char *const bad[] = {
        "x\"y", "\"a\"b", "\"a\" \"", "\xFF", "ab\xE2\x82", "\xC0\xAF",
        "\xED\xA0\x80", "\"open",
    };
    if (below(r, 6) == 0)
        test_text_add(t, "n\0l", 3);
    else
        test_text_adds(t, PICK(r, bad));
}

static void add_plain(rng_t *r, test_text_t *t, char delim)
{
    static const char *const plain[] = {
        "0", "1", "7", "11", "2.215992", "-3.5", "+4", ".5", "1e3", "8",
        "9", "117.08", "1000001", "0.1", "007", "NA", ".", "Tunis",
        "Great Tunis", "x y", "\xC3\xA9t\xC3\xA9", "", "", "/", "-0",
        " 5 ", "\t6",
    };
    const char *s = PICK(r, plain);
    if (strchr(s, delim))
        s = "z";
    test_text_adds(t, s);
}

static void add_field(rng_t *r, test_text_t *t, const shape_t *s)
{
    if (s->damage && below(r, 10000) < s->damage)
        add_damage(r, t);
    else if (below(r, 10000) < s->quoted)
        add_quoted(r, t, s->delim);
    else
        add_plain(r, t, s->delim);
}

static void add_blank_lines(rng_t *r, test_text_t *t, const shape_t *s)
{
    static const char *const blank[] = {"", " ", "\t", "  \t "};
    while (below(r, 10000) < s->blank) {
        test_text_adds(t, PICK(r, blank));
        add_line_end(r, t, s);
    }
}

static void add_header(rng_t *r, test_text_t *t, const shape_t *s,
                       size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        char name[32];
        if (i)
            addc(t, s->delim);
        snprintf(name, sizeof name, "c%zu", i);
        if (below(r, 8) == 0) { /* quoted, perhaps across lines */
            addc(t, '"');
            test_text_adds(t, name);
            if (below(r, 3) == 0)
                test_text_adds(t, "\r\nx\"\"");
            addc(t, '"');
        } else
            test_text_adds(t, name);
    }
    if (s->damage && below(r, 20) == 0)
        add_damage(r, t);
}

/* A random CSV file in T; its shape in *S. */
static void random_csv(rng_t *r, test_text_t *t, shape_t *s)
{
    static const char delims[] = {',', ';', '\t'};
    static const size_t quoted[] = {0, 0, 300, 2000, 6000};
    static const size_t damage[] = {0, 0, 0, 5, 30, 200};
    s->delim = delims[below(r, 3)];
    s->ends = below(r, 12) == 0 ? 3 : (int)below(r, 3);
    s->quoted = quoted[below(r, 5)];
    s->blank = below(r, 3) == 0 ? 800 : 0;
    s->damage = damage[below(r, 6)];
    size_t ncols = below(r, 6) == 0 ? 20 + below(r, 40) : 1 + below(r, 8);
    size_t nrows = below(r, 10) == 0 ? below(r, 4) : below(r, 300);
    if (below(r, 8) == 0)
        test_text_adds(t, "\xEF\xBB\xBF");
    add_blank_lines(r, t, s);
    add_header(r, t, s, ncols);
    for (size_t row = 0; row < nrows; row++) {
        add_line_end(r, t, s);
        add_blank_lines(r, t, s);
        size_t n = ncols;
        if (s->damage && below(r, 10000) < s->damage * 4)
            n = n + below(r, 3) - (n > 1 ? 1 : 0); /* wrong field count */
        for (size_t i = 0; i < n; i++) {
            if (i)
                addc(t, s->delim);
            add_field(r, t, s);
        }
    }
    if (below(r, 4))
        add_line_end(r, t, s);
    add_blank_lines(r, t, s);
}

/* ---- the transcript of a read ------------------------------------------ */

typedef struct seen {
    test_text_t t;
    int bare;       /* number and missing cells may come without text */
    size_t rows;
    size_t fail_at; /* 1-based row ROW fails on; 0: never */
    int digest;     /* keep only a hash of each row (large files) */
    uint64_t hash;
} seen_t;

/* Fold the text so far into s->hash (FNV-1a) and forget it. */
static void fold(seen_t *s)
{
    for (size_t i = 0; i < s->t.len; i++)
        s->hash = (s->hash ^ (unsigned char)s->t.s[i]) * 1099511628211u;
    s->t.len = 0;
}

static graft_error_t on_header(void *ctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    seen_t *s = ctx;
    (void)diag;
    test_text_adds(&s->t, "H");
    for (size_t i = 0; i < ncols; i++) {
        addc(&s->t, '|');
        test_text_adds(&s->t, cols[i].name);
    }
    addc(&s->t, '\n');
    return GRAFT_OK;
}

static void add_cell(seen_t *s, const graft_cell_t *c)
{
    char buf[64];
    uint64_t bits;
    memcpy(&bits, &c->num, sizeof bits);
    snprintf(buf, sizeof buf, "|%d:%016llx:", (int)c->kind,
             (unsigned long long)bits);
    test_text_adds(&s->t, buf);
    if (s->bare && c->kind != GRAFT_CELL_STRING)
        return; /* the text may or may not come along */
    if (!c->str) {
        test_text_adds(&s->t, "(null)");
        return;
    }
    assert_int_equal(strlen(c->str), c->len);
    snprintf(buf, sizeof buf, "%zu:", c->len);
    test_text_adds(&s->t, buf);
    test_text_add(&s->t, c->str, c->len);
}

static graft_error_t on_row(void *ctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    seen_t *s = ctx;
    char buf[64];
    snprintf(buf, sizeof buf, "%lu", line);
    test_text_adds(&s->t, buf);
    for (size_t i = 0; i < ncols; i++)
        add_cell(s, &cells[i]);
    addc(&s->t, '\n');
    if (s->digest)
        fold(s);
    if (++s->rows == s->fail_at)
        return graft_diag_set(diag, GRAFT_ERR_COLUMN, "cb", line, 2,
                              "row %zu refused", s->rows);
    return GRAFT_OK;
}

/* The transcript of a read of BUF: sequential when PAR is NULL, else
 * parallel with PAR. */
static char *transcript(const test_text_t *buf, const graft_read_opts_t *opts,
                        graft_csv_par_t *par, size_t fail_at)
{
    seen_t s = {{0}, opts->bare_values, 0, fail_at, 0, 0};
    graft_diag_t diag;
    char end[2400];
    graft_error_t rc =
        par ? graft_read_csv_buffer_parallel(NAME, buf->s, buf->len, opts,
                                             par, on_header, on_row, &s, NULL,
                                             &diag)
            : graft_read_csv_buffer(NAME, buf->s, buf->len, opts, on_header,
                                    on_row, &s, &diag);
    assert_int_equal(diag.code, rc);
    snprintf(end, sizeof end, "= %d %s %lu %lu %s\n", (int)rc, diag.file,
             diag.line, diag.col, diag.msg);
    test_text_adds(&s.t, end);
    return s.t.s;
}

static void show_input(const test_text_t *buf)
{
    fprintf(stderr, "input (%zu bytes):\n", buf->len);
    for (size_t i = 0; i < buf->len; i++) {
        unsigned char b = (unsigned char)buf->s[i];
        if (b == '\n')
            fputs("\\n\n", stderr);
        else if (b >= 0x20 && b < 0x7F && b != '\\')
            fputc(b, stderr);
        else
            fprintf(stderr, "\\x%02X", b);
    }
    fputc('\n', stderr);
}

/* Read BUF in parallel as PAR says (blocks, workers, whether the calling
 * thread parses too): the transcript must be WANT, the sequential
 * reader's.  Returns the blocks the workers parsed. */
static size_t compare_to(const char *want, const test_text_t *buf,
                         const graft_read_opts_t *opts, graft_csv_par_t par,
                         size_t fail_at)
{
    char *got = transcript(buf, opts, &par, fail_at);
    if (strcmp(got, want) != 0) {
        show_input(buf);
        fprintf(stderr, "sequential:\n%s\nparallel (block %zu, %u workers%s, "
                "chunk %zu):\n%s\n", want, par.block, par.workers,
                par.waits ? ", the caller waiting" : "", opts->chunk_size,
                got);
        fail_msg("the parallel reader and the sequential one differ");
    }
    free(got);
    return par.blocks;
}

/* Read BUF sequentially and in parallel; the two must agree. */
static size_t compare(const test_text_t *buf, const graft_read_opts_t *opts,
                      graft_csv_par_t par, size_t fail_at)
{
    char *want = transcript(buf, opts, NULL, fail_at);
    size_t blocks = compare_to(want, buf, opts, par, fail_at);
    free(want);
    return blocks;
}

/* ---- the tests --------------------------------------------------------- */

/* Skip the columns whose name hashes to an odd number under the seed. */
static int uses_some(void *arg, const char *name)
{
    uint64_t h = *(const uint64_t *)arg;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    return (h >> 7) & 1;
}

static void test_random_files(void **state)
{
    (void)state;
    static const size_t blocks[] = {1, 2, 3, 5, 8, 13, 21, 40, 64, 100, 200};
    static const size_t chunks[] = {65536, 65536, 7, 64, 1};
    rng_t r = {20251205};
    size_t ok = 0, parsed = 0, failed_rows = 0;
    for (size_t k = 0; k < FILES; k++) {
        test_text_t buf = {0};
        shape_t shape;
        uint64_t seed = next(&r);
        random_csv(&r, &buf, &shape);
        graft_read_opts_t opts = {0};
        opts.delim = below(&r, 2) ? shape.delim : 0;
        opts.chunk_size = chunks[below(&r, 5)];
        opts.bare_values = below(&r, 4) == 0;
        if (below(&r, 3) == 0) {
            opts.uses = uses_some;
            opts.uses_arg = &seed;
        }
        size_t fail_at = below(&r, 5) == 0 ? 1 + below(&r, 100) : 0;
        char *want = transcript(&buf, &opts, NULL, fail_at);
        for (int i = 0; i < 3; i++) {
            /* the first time all on the workers, then shared */
            graft_csv_par_t par = {.block = blocks[below(&r, 11)],
                                   .workers = 1 + (unsigned)below(&r, 3),
                                   .waits = i == 0};
            size_t n = compare_to(want, &buf, &opts, par, fail_at);
            parsed += i == 0 ? n : 0;
        }
        ok += strncmp(strrchr(want, '='), "= 0 ", 4) == 0;
        failed_rows += strstr(want, "refused") != NULL;
        free(want);
        free(buf.s);
    }
    /* enough files read whole, enough rows refused, enough blocks */
    if (ok < FILES / 3 || failed_rows < FILES / 20 || parsed < FILES * 8)
        fail_msg("%zu of %d files read, %zu with a refused row, %zu blocks",
                 ok, FILES, failed_rows, parsed);
}

/* Hand-picked files, each read with every block size from 1 to 64 bytes
 * and 1 to 3 workers. */
static void test_borders(void **state)
{
    (void)state;
#define C(text) {text, sizeof text - 1} /* NUL bytes included */
    static const struct {
        const char *s;
        size_t len;
    } cases[] = {
        /* quoted line ends, doubled quotes, blank lines, CRLF */
        C("a,b\n1,\"x\ny\"\n\n2,\"\"\"q\"\"\"\r\n3,\"\r\n\"\n  \n4,5\n"),
        /* a stray quote in an unquoted field, late in the file */
        C("a,b\n1,2\n3,4\n5,6\n7,8\n9,x\"y\n10,11\n12,13\n"),
        /* text after a closing quote */
        C("a,b\n1,2\n3,4\n5,\"6\"7\n8,9\n"),
        /* a quote never closed, in the middle and at the end */
        C("a,b\n1,2\n3,\"4\n5,6\n7,8\n9,10\n"),
        C("a,b\n1,2\n3,4\n5,\"6"),
        /* a second stray quote that evens the count again */
        C("a,b\n1,2\n3,x\"y\n4,5\n6,z\"w\n7,8\n9,10\n"),
        /* lines ending in CR only; then CR only after a first LF */
        C("a,b\r1,2\r3,4\r5,6\r7,8\r"),
        C("a,b\n1,2\r3,4\r5,6\r7,8\r9,10\r"),
        /* a byte order mark, a header across lines, a detected delimiter */
        C("\xEF\xBB\xBF\"a\nb\";c\n1;2\n3;4\n5;6\n"),
        /* short and long rows, bad UTF-8, a NUL byte */
        C("a,b\n1,2\n3\n4,5\n"),
        C("a,b\n1,2\n3,4,5\n"),
        C("a,b\n1,2\n3,\xFF\n4,5\n"),
        C("a,b\n1,2\n3,n\0l\n4,5\n"),
        /* no rows; only blank lines after the header; empty */
        C("a,b\n"),
        C("a,b\n\n\n \n\t\n\r\n\n\n\n\n\n\n\n"),
        C(""),
        C("\n\n\n"),
        /* a quoted field far longer than any block's limit */
        C("a,b\n1,\"0123456789012345678901234567890123456789012345678901234567"
        "8901234567890123456789012345678901234567890123456789012345678901"
        "2345678901234567890123456789012345678901234567890123456789\n"
        "0123456789012345678901234567890123456789012345678901234567890123"
        "45678901234567890123456789\"\n2,3\n4,5\n6,7\n8,9\n"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_text_t buf = {0};
        test_text_add(&buf, cases[i].s, cases[i].len);
        if (!buf.s)
            test_text_adds(&buf, "");
        for (size_t block = 1; block <= 64; block++)
            for (unsigned workers = 1; workers <= 3; workers++)
                for (size_t fail_at = 0; fail_at <= 3; fail_at += 3) {
                    graft_read_opts_t opts = {0};
                    graft_csv_par_t par = {.block = block,
                                           .workers = workers,
                                           .waits = (block + workers) % 2};
                    compare(&buf, &opts, par, fail_at);
                }
        free(buf.s);
    }
#undef C
}

/* A plain file of ROWS rows. */
static void plain_file(test_text_t *t, size_t rows)
{
    test_text_adds(t, "id,w,zone,x,note\n");
    for (size_t i = 0; i < rows; i++) {
        char line[128];
        snprintf(line, sizeof line, "%zu,%.3f,%zu,%s,%s\n", i + 1,
                 1.0 + (double)(i % 97) / 8.0, i % 7,
                 i % 11 == 0 ? "NA" : i % 5 == 0 ? "9" : "1",
                 i % 3 ? "ok" : "\"a, \"\"b\"\"\nc\"");
        test_text_adds(t, line);
    }
}

/* The workers do parse: a file of 2,000 rows in blocks of 64 bytes, all
 * on the workers, then shared with the calling thread. */
static void test_blocks_counted(void **state)
{
    (void)state;
    test_text_t buf = {0};
    plain_file(&buf, 2000);
    graft_read_opts_t opts = {0};
    graft_csv_par_t par = {.block = 64, .workers = 2, .waits = 1};
    size_t blocks = compare(&buf, &opts, par, 0);
    if (blocks < buf.len / 128)
        fail_msg("%zu bytes in only %zu blocks", buf.len, blocks);
    par.waits = 0;
    compare(&buf, &opts, par, 0);
    free(buf.s);
}

/* A file on disk, read by path with the default blocks: the same as the
 * sequential reader, many blocks, and progress to the last byte. */
static void test_file(void **state)
{
    (void)state;
    test_text_t buf = {0};
    plain_file(&buf, 150000);
    const char *path = test_tmp("big.csv");
    test_write_file(path, buf.s);
    graft_read_opts_t opts = {0};
    seen_t want = {{0}, 0, 0, 0, 1, 0};
    graft_diag_t diag;
    graft_csv_par_t par = {.workers = 2};
    assert_int_equal(graft_read_csv(path, &opts, on_header, on_row, &want,
                                    &diag),
                     GRAFT_OK);
    for (int waits = 1; waits >= 0; waits--) {
        test_progress_t prog = {0};
        seen_t got = {{0}, 0, 0, 0, 1, 0};
        opts.progress = test_progress_fn;
        opts.progress_arg = &prog;
        par.waits = waits;
        assert_int_equal(graft_read_csv_parallel(path, &opts, &par, on_header,
                                                 on_row, &got, NULL, &diag),
                         GRAFT_OK);
        assert_true(got.hash == want.hash);
        assert_int_equal(got.rows, 150000);
        test_progress_check(&prog, path, 150000);
        if (waits && par.blocks < buf.len >> 18) /* 128 KiB blocks */
            fail_msg("%zu bytes in only %zu blocks", buf.len, par.blocks);
        free(got.t.s);
    }
    /* what cannot be read fails as it does on one thread */
    seen_t none = {{0}, 0, 0, 0, 0, 0};
    graft_diag_t d1, d2;
    const char *bad[] = {test_tmp("absent.csv"), test_tmp_dir()};
    for (size_t i = 0; i < 2; i++) {
        graft_error_t r1 = graft_read_csv(bad[i], &opts, on_header, on_row,
                                          &none, &d1);
        graft_error_t r2 = graft_read_csv_parallel(
            bad[i], &opts, &par, on_header, on_row, &none, NULL, &d2);
        assert_int_equal(r1, r2);
        assert_string_equal(d1.msg, d2.msg);
    }
    free(want.t.s);
    free(none.t.s);
    free(buf.s);
}

/* graft_read() of a file large enough for the parallel reader, with
 * missing codes for every column but one, columns left out and bare
 * values, against the same read on one thread; and a row refused. */
static void test_graft_read(void **state)
{
    (void)state;
    test_text_t buf = {0};
    plain_file(&buf, 250000);
    const char *path = test_tmp("codes.csv");
    test_write_file(path, buf.s);
    assert_true(buf.len >= (4u << 20));
    static const double codes[] = {9, 8};
    static const char *const exempt[] = {"w"};
    graft_missing_spec_t miss = {NULL, codes, 2};
    uint64_t seed = 3;
    for (size_t fail_at = 0; fail_at <= 200001; fail_at += 200001) {
        char t[2][2400];
        for (unsigned threads = 0; threads < 2; threads++) {
            graft_read_opts_t opts = {0};
            opts.missing = &miss;
            opts.n_missing = 1;
            opts.exempt = exempt;
            opts.n_exempt = 1;
            opts.uses = uses_some;
            opts.uses_arg = &seed;
            opts.bare_values = 1;
            opts.threads = threads;
            seen_t s = {{0}, 1, 0, fail_at, 1, 0};
            graft_diag_t diag;
            graft_error_t rc =
                graft_read(path, &opts, on_header, on_row, &s, &diag);
            assert_int_equal(rc, fail_at ? GRAFT_ERR_COLUMN : GRAFT_OK);
            snprintf(t[threads], sizeof t[threads],
                     "%zu rows, hash %016llx = %d %lu %lu %s", s.rows,
                     (unsigned long long)s.hash, (int)rc, diag.line, diag.col,
                     diag.msg);
            free(s.t.s);
        }
        assert_string_equal(t[0], t[1]);
    }
    free(buf.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_borders),
        cmocka_unit_test(test_blocks_counted),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_graft_read),
        cmocka_unit_test(test_random_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
