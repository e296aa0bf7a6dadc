/*
 * test_csv_fast.c - the CSV reader's fast path against libcsv.
 *
 * graft_read_csv_buffer() splits plain lines itself; the reference,
 * graft_read_csv_buffer_libcsv() (src/io/csv_internal.h), sends every line
 * through libcsv.  On thousands of seeded random buffers (numbers, text,
 * spaces and tabs around fields, empty fields, quoted fields holding
 * delimiters, line ends and doubled quotes, CR, LF and CRLF, blank lines,
 * lines of spaces, trailing delimiters, stray quotes, bad UTF-8, NUL bytes,
 * the three delimiters given or detected, some columns left out through
 * opts.uses) the two must deliver the same
 * header, the same rows and cells (kind, bits of the number, text, line)
 * and the same error (code, line, column, message), whatever the chunk
 * size.
 */
#include "test_util.h"

#include <stdint.h>

#include "graft/error.h"
#include "graft/reader.h"
#include "io/csv_internal.h"

#define NAME "r.csv"
#define BUFFERS 20000

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

/* ---- random CSV ------------------------------------------------------- */

static const char *pick(rng_t *r, const char *const *v, size_t n)
{
    return v[below(r, n)];
}
#define PICK(r, v) pick(r, v, sizeof v / sizeof v[0])

static void add_line_end(rng_t *r, test_text_t *t)
{
    static const char *const ends[] = {"\n", "\n", "\n", "\r\n", "\r\n", "\r"};
    test_text_adds(t, PICK(r, ends));
}

/* Spaces and tabs around a field (trimmed unless the delimiter is a tab). */
static void add_blanks(rng_t *r, test_text_t *t)
{
    static const char *const blanks[] = {"", "", "", "", " ", "  ", "\t",
                                         " \t", "\t "};
    test_text_adds(t, PICK(r, blanks));
}

static void add_quoted(rng_t *r, test_text_t *t, char delim)
{
    static const char *const parts[] = {
        "x", "12", "a b", "\"\"", "\n", "\r\n", "\r", " ", "\t", "",
        "NA", "\xC3\xA9", "-3.5",
    };
    addc(t, '"');
    for (size_t k = below(r, 4); k > 0; k--) {
        if (below(r, 5) == 0)
            addc(t, delim);
        else
            test_text_adds(t, PICK(r, parts));
    }
    addc(t, '"');
}

/* Unquoted field text (before the blanks around it). */
static void add_plain(rng_t *r, test_text_t *t, char delim)
{
    static const char *const plain[] = {
        "0", "1", "7", "11", "2.215992", "-3.5", "+4", ".5", "5.", "1e3",
        "-2.5E-3", "117.08", "1000001", "0.1", "007", "123456789012345678",
        "0.00000000000000000000001", "1.5.2", "-", "+", ".", "e5",
        "NA", ".", "na", "Tunis", "Great Tunis", "x y z", "a\tb", "1 2",
        "\xC3\xA9t\xC3\xA9", "\xE2\x82\xAC", "", "/", ":", "9", "-0",
    };
    static const char *const rare[] = {
        "x\"y",      /* a quote in an unquoted field */
        "\xFF",      /* invalid UTF-8 */
        "ab\xE2\x82", "\xC0\xAF", "\xED\xA0\x80",
    };
    if (below(r, 200) == 0) {
        test_text_adds(t, PICK(r, rare));
        return;
    }
    if (below(r, 300) == 0) {
        test_text_add(t, "n\0l", 3); /* a NUL byte */
        return;
    }
    const char *s = PICK(r, plain);
    if (strchr(s, delim))
        s = "z";
    test_text_adds(t, s);
}

static void add_field(rng_t *r, test_text_t *t, char delim)
{
    add_blanks(r, t);
    if (below(r, 12) == 0)
        add_quoted(r, t, delim);
    else
        add_plain(r, t, delim);
    add_blanks(r, t);
}

/* Lines libcsv skips between records. */
static void add_blank_lines(rng_t *r, test_text_t *t)
{
    static const char *const blank[] = {"", " ", "\t", "  \t ", "   "};
    while (below(r, 6) == 0) {
        test_text_adds(t, PICK(r, blank));
        add_line_end(r, t);
    }
}

static void add_header(rng_t *r, test_text_t *t, char delim, size_t ncols)
{
    static const char *const names[] = {"id", "w", "age", "zone", "note",
                                        "x", "y", "z", "v1", "v2", "paid"};
    for (size_t i = 0; i < ncols; i++) {
        if (i)
            addc(t, delim);
        if (below(r, 40) == 0)
            add_field(r, t, delim); /* perhaps empty, perhaps a duplicate */
        else {
            add_blanks(r, t);
            char name[32];
            snprintf(name, sizeof name, "%s%zu", PICK(r, names), i);
            if (below(r, 10) == 0) {
                addc(t, '"');
                test_text_adds(t, name);
                addc(t, '"');
            } else
                test_text_adds(t, name);
            add_blanks(r, t);
        }
    }
}

/* A random CSV text with DELIM in T. */
static void random_csv(rng_t *r, test_text_t *t, char delim)
{
    size_t ncols = 1 + below(r, 6), nrows = below(r, 14);
    if (below(r, 10) == 0)
        test_text_adds(t, "\xEF\xBB\xBF");
    add_blank_lines(r, t);
    add_header(r, t, delim, ncols);
    for (size_t row = 0; row < nrows; row++) {
        add_line_end(r, t);
        add_blank_lines(r, t);
        size_t n = ncols;
        if (below(r, 30) == 0)
            n = n + below(r, 3) - (n > 1 ? 1 : 0); /* wrong field count */
        for (size_t i = 0; i < n; i++) {
            if (i)
                addc(t, delim);
            add_field(r, t, delim);
        }
        if (below(r, 40) == 0)
            addc(t, delim); /* trailing delimiter */
    }
    switch (below(r, 8)) {
    case 0:
        break; /* no final line end */
    case 1:
        test_text_adds(t, "\"open"); /* unterminated quote, or a stray one */
        break;
    default:
        add_line_end(r, t);
        add_blank_lines(r, t);
    }
}

/* ---- the transcript of a read ---------------------------------------- */

static graft_error_t on_header(void *ctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    test_text_t *t = ctx;
    (void)diag;
    test_text_adds(t, "H");
    for (size_t i = 0; i < ncols; i++) {
        addc(t, '|');
        test_text_adds(t, cols[i].name);
    }
    addc(t, '\n');
    return GRAFT_OK;
}

static graft_error_t on_row(void *ctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    test_text_t *t = ctx;
    char buf[64];
    (void)diag;
    snprintf(buf, sizeof buf, "%lu", line);
    test_text_adds(t, buf);
    for (size_t i = 0; i < ncols; i++) {
        const graft_cell_t *c = &cells[i];
        uint64_t bits;
        memcpy(&bits, &c->num, sizeof bits);
        snprintf(buf, sizeof buf, "|%d:%016llx:%zu:", (int)c->kind,
                 (unsigned long long)bits, c->len);
        test_text_adds(t, buf);
        if (!c->str) { /* a column left out through opts.uses */
            test_text_adds(t, "(null)");
            continue;
        }
        double v = 0;
        int number = graft_parse_number(c->str, c->len, &v);
        assert_int_equal(strlen(c->str), c->len);
        /* the kind is what the public functions say of the text */
        if (graft_is_missing_text(c->str, c->len))
            assert_int_equal(c->kind, GRAFT_CELL_MISSING);
        else if (number) {
            assert_int_equal(c->kind, GRAFT_CELL_NUMBER);
            assert_memory_equal(&v, &c->num, sizeof v);
        } else
            assert_int_equal(c->kind, GRAFT_CELL_STRING);
        test_text_add(t, c->str, c->len);
    }
    addc(t, '\n');
    return GRAFT_OK;
}

/* Skip the columns whose name hashes to an odd number under the seed. */
static int uses_some(void *arg, const char *name)
{
    uint64_t h = *(const uint64_t *)arg;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211u;
    return (h >> 7) & 1;
}

typedef graft_error_t (*read_fn)(const char *, const char *, size_t,
                                 const graft_read_opts_t *, graft_header_fn,
                                 graft_row_fn, void *, graft_diag_t *);

/* The transcript of reading BUF with READ: the callbacks, then the result
 * and the diagnostic. */
static char *transcript(read_fn read, const test_text_t *buf,
                        const graft_read_opts_t *opts)
{
    test_text_t t = {0};
    graft_diag_t diag;
    char end[2400];
    graft_error_t rc = read(NAME, buf->s, buf->len, opts, on_header, on_row,
                            &t, &diag);
    assert_int_equal(diag.code, rc);
    snprintf(end, sizeof end, "= %d %s %lu %lu %s\n", (int)rc,
             diag.file, diag.line, diag.col, diag.msg);
    test_text_adds(&t, end);
    return t.s;
}

static void fail_with(const test_text_t *buf, const char *got, const char *want,
                      size_t chunk)
{
    fprintf(stderr, "input (%zu bytes):\n", buf->len);
    for (size_t i = 0; i < buf->len; i++) {
        unsigned char b = (unsigned char)buf->s[i];
        if (b >= 0x20 && b < 0x7F && b != '\\')
            fputc(b, stderr);
        else
            fprintf(stderr, "\\x%02X", b);
    }
    fprintf(stderr, "\nlibcsv:\n%s\nfast path (chunk %zu):\n%s\n", want,
            chunk, got);
    fail_msg("the fast path and libcsv differ");
}

/* Read BUF both ways with every chunk size; all must agree. */
static void compare(const test_text_t *buf, graft_read_opts_t opts)
{
    static const size_t chunks[] = {65536, 1, 2, 7, 64};
    opts.chunk_size = 65536;
    char *want = transcript(graft_read_csv_buffer_libcsv, buf, &opts);
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        opts.chunk_size = chunks[k];
        char *got = transcript(graft_read_csv_buffer, buf, &opts);
        if (strcmp(got, want) != 0)
            fail_with(buf, got, want, chunks[k]);
        free(got);
        if (k) {
            got = transcript(graft_read_csv_buffer_libcsv, buf, &opts);
            if (strcmp(got, want) != 0)
                fail_with(buf, got, want, chunks[k]);
            free(got);
        }
    }
    free(want);
}

/* ---- the tests --------------------------------------------------------- */

static void test_random_buffers(void **state)
{
    (void)state;
    static const char delims[] = {',', ';', '\t'};
    rng_t r = {20240601};
    size_t ok = 0;
    for (size_t k = 0; k < BUFFERS; k++) {
        char delim = delims[below(&r, 3)];
        test_text_t buf = {0};
        graft_read_opts_t opts = {0};
        uint64_t seed = next(&r);
        random_csv(&r, &buf, delim);
        if (buf.s == NULL)
            test_text_adds(&buf, "");
        opts.delim = below(&r, 2) ? delim : 0;
        if (below(&r, 3) == 0) {
            opts.uses = uses_some;
            opts.uses_arg = &seed;
        }
        compare(&buf, opts);
        graft_diag_t diag;
        ok += graft_read_csv_buffer(NAME, buf.s, buf.len, &opts, NULL, NULL,
                                    NULL, &diag) == GRAFT_OK;
        free(buf.s);
    }
    /* the generator must make enough readable files to test the rows */
    if (ok < BUFFERS / 5)
        fail_msg("only %zu of %d random buffers read without error", ok,
                 BUFFERS);
}

/* Hand-picked lines at the borders of the fast path. */
static void test_plain_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        char delim;
    } cases[] = {
        {"a,b,c\n1,2,\n,,\n , \n", ','},
        {"a\tb\n 1 \t 2 \n\t\n \t \n", '\t'},
        {"a;b\n \t1\t ; x y \n", ';'},
        {"a,b\r\n1,2\r\n\r\n3,4\r\n", ','},
        {"a,b\r1,2\r\r3,4", ','},
        {"a,b\n\n   \n\t\t\n1,2\n", ','},
        {"a,b\n\"1\",2\n3,\"4\n5\"\n6,7\n", ','},
        {"a,b\n1,\"x\" \n2,y\n", ','},
        {"a,b\n1, \"x\"\n", ','},
        {"a,b\n1,x\"y\n", ','},
        {"a\n \n", ','},
        {"a,b\n1,\xC3\xA9\n2,\xFF\n", ','},
        {"x\n1\n2", ','},
        {" a , b \n1,2\n", 0},
        {"a\t\tb\n1\t2\t3\n", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_text_t buf = {0};
        graft_read_opts_t opts = {0};
        test_text_adds(&buf, cases[i].text);
        opts.delim = cases[i].delim;
        compare(&buf, opts);
        free(buf.s);
    }
}

/* A plain line longer than every chunk, and many fields. */
static void test_long_plain_line(void **state)
{
    (void)state;
    test_text_t buf = {0};
    for (size_t i = 0; i < 3000; i++) {
        char name[16];
        snprintf(name, sizeof name, "%sc%zu", i ? "," : "", i);
        test_text_adds(&buf, name);
    }
    test_text_adds(&buf, "\n");
    for (size_t i = 0; i < 3000; i++)
        test_text_adds(&buf, i ? ", 12.5" : "1");
    test_text_adds(&buf, "\n");
    graft_read_opts_t opts = {0};
    compare(&buf, opts);
    free(buf.s);
}

/* Delimiters the random buffers do not use (among them 'a', the byte the
 * fast path pads its copy of a line with, and bytes below '#'), with a
 * special byte at every position of an 8-byte word, and a run of empty
 * fields longer than the room first made for fields. */
static void test_word_borders(void **state)
{
    (void)state;
    static const char delims[] = {'a', 'b', '|', '!', '#', '\x01', ',', '\t'};
    static const char *const specials[] = {" ", "\t", "\"", "\xC3\xA9",
                                           "\xFF", "!", "\r", "\x01", ""};
    for (size_t d = 0; d < sizeof delims; d++) {
        char delim = delims[d];
        for (size_t s = 0; s <= sizeof specials / sizeof specials[0]; s++)
            for (size_t k = 0; k < 18; k++) {
                test_text_t buf = {0};
                graft_read_opts_t opts = {0};
                test_text_adds(&buf, "h1");
                addc(&buf, delim);
                test_text_adds(&buf, "h2\n");
                for (size_t j = 0; j < k; j++)
                    addc(&buf, 'x');
                if (s < sizeof specials / sizeof specials[0])
                    test_text_adds(&buf, specials[s]);
                else
                    test_text_add(&buf, "\0", 1); /* a NUL byte */
                addc(&buf, delim);
                for (size_t j = 0; j < k % 5; j++)
                    addc(&buf, 'y');
                test_text_adds(&buf, k % 2 ? "\r\n" : "\n");
                opts.delim = delim;
                compare(&buf, opts);
                free(buf.s);
            }
        test_text_t buf = {0};
        graft_read_opts_t opts = {0};
        for (size_t i = 0; i < 40; i++) {
            char name[16];
            snprintf(name, sizeof name, "c%zu", i);
            if (i)
                addc(&buf, delim);
            test_text_adds(&buf, name);
        }
        addc(&buf, '\n');
        for (size_t i = 1; i < 40; i++)
            addc(&buf, delim);
        addc(&buf, '\n');
        opts.delim = delim;
        compare(&buf, opts);
        free(buf.s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_lines),
        cmocka_unit_test(test_long_plain_line),
        cmocka_unit_test(test_word_borders),
        cmocka_unit_test(test_random_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
