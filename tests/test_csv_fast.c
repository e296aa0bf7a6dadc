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
 * size.  Files as R, Stata, SPSS and Excel write them, every field quoted,
 * are read on the fast path too: quote-heavy buffers (quoted numbers,
 * empty fields, doubled quotes, delimiters, CR, LF and CRLF inside quotes,
 * spaces around quotes, invalid quoting, fields across the fast path's
 * 32-byte blocks) are compared for every chunk size, and libcsv's rules
 * are pinned case by case with the cells written out.
 */
#include "test_util.h"

#include <stdint.h>

#include "graft/error.h"
#include "graft/reader.h"
#include "io/csv_internal.h"

#define NAME "r.csv"
#define BUFFERS 20000
#define QUOTED_BUFFERS 1500

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

/* ---- quoted fields ------------------------------------------------ */

/* The text of a quoted field (between its quotes, doubled quotes
 * included): mostly what writers quote, sometimes what only libcsv's
 * rules decide. */
static void add_quoted_body(rng_t *r, test_text_t *t, char delim)
{
    static const char *const parts[] = {
        "1", "2.5", "-3", "NA", ".", "", "x y", "Tunis", " ", "\t", "\"\"",
        "\n", "\r\n", "\r", "0.25", "\xC3\xA9", "1e3", "  7  ",
    };
    static const char *const long_parts[] = {
        "Great Tunis and the coast of the north",
        "0123456789012345678901234567890123456789",
    };
    size_t n = below(r, 4);
    if (below(r, 12) == 0)
        test_text_adds(t, PICK(r, long_parts));
    for (size_t k = 0; k < n; k++) {
        if (below(r, 8) == 0)
            addc(t, delim);
        else if (below(r, 300) == 0)
            test_text_add(t, "\0", 1);
        else
            test_text_adds(t, PICK(r, parts));
    }
}

/* A field of a quote-heavy file: mostly quoted, some unquoted or empty,
 * spaces around quotes now and then, and rarely invalid quoting (a byte
 * after the closing quote, a quote in an unquoted field, an odd quote). */
static void add_quoted_field(rng_t *r, test_text_t *t, char delim)
{
    static const char *const bad[] = {
        "\"a\"b", "a\"b", "\"a\" \"b\"", "\"a\"\"", "\"\"x\"\"", "x\"",
        "\"a\"\t\"", " \"a\"x",
    };
    size_t kind = below(r, 20);
    if (kind == 0 && below(r, 4) == 0) {
        test_text_adds(t, PICK(r, bad));
        return;
    }
    if (kind <= 2) { /* unquoted */
        if (kind == 1)
            add_plain(r, t, delim);
        return; /* kind 0: empty */
    }
    int around = below(r, 10) == 0; /* spaces or tabs outside the quotes */
    if (around)
        add_blanks(r, t);
    addc(t, '"');
    add_quoted_body(r, t, delim);
    addc(t, '"');
    if (around)
        add_blanks(r, t);
}

/* A random quote-heavy CSV text with DELIM in T: a quoted header (BOM
 * sometimes), rows of quoted fields, blank lines and lines of one quoted
 * empty field, the three line ends. */
static void random_quoted_csv(rng_t *r, test_text_t *t, char delim)
{
    static const char *const names[] = {"id", "w", "zone", "x", "y"};
    size_t ncols = 1 + below(r, 8), nrows = below(r, 8);
    if (below(r, 10) == 0)
        test_text_adds(t, "\xEF\xBB\xBF");
    for (size_t i = 0; i < ncols; i++) {
        char name[32];
        int quote = below(r, 5) != 0;
        if (i)
            addc(t, delim);
        snprintf(name, sizeof name, "%s%s%zu%s", quote ? "\"" : "",
                 PICK(r, names), i, quote ? "\"" : "");
        test_text_adds(t, name);
    }
    for (size_t row = 0; row < nrows; row++) {
        add_line_end(r, t);
        if (below(r, 10) == 0) {
            test_text_adds(t, below(r, 2) ? "\"\"" : "");
            add_line_end(r, t);
        }
        size_t n = ncols + (below(r, 25) == 0);
        for (size_t i = 0; i < n; i++) {
            if (i)
                addc(t, delim);
            add_quoted_field(r, t, delim);
        }
    }
    if (below(r, 4))
        add_line_end(r, t);
}

/* Read BUF both ways with every chunk size from 1 byte to its length (and
 * one above), so that a chunk ends at every byte: all must agree with
 * libcsv reading it in one piece. */
static void compare_every_chunk(const test_text_t *buf, graft_read_opts_t opts)
{
    opts.chunk_size = 65536;
    char *want = transcript(graft_read_csv_buffer_libcsv, buf, &opts);
    for (size_t chunk = 1; chunk <= buf->len + 1; chunk++) {
        opts.chunk_size = chunk;
        char *got = transcript(graft_read_csv_buffer, buf, &opts);
        if (strcmp(got, want) != 0)
            fail_with(buf, got, want, chunk);
        free(got);
        if (chunk % 16 == 1) {
            got = transcript(graft_read_csv_buffer_libcsv, buf, &opts);
            if (strcmp(got, want) != 0)
                fail_with(buf, got, want, chunk);
            free(got);
        }
    }
    free(want);
}

static void test_quoted_buffers(void **state)
{
    (void)state;
    static const char delims[] = {',', ';', '\t'};
    rng_t r = {20251205};
    size_t ok = 0, quoted = 0;
    for (size_t k = 0; k < QUOTED_BUFFERS; k++) {
        char delim = delims[below(&r, 3)];
        test_text_t buf = {0};
        graft_read_opts_t opts = {0};
        uint64_t seed = next(&r);
        random_quoted_csv(&r, &buf, delim);
        opts.delim = below(&r, 2) ? delim : 0;
        if (below(&r, 4) == 0) {
            opts.uses = uses_some;
            opts.uses_arg = &seed;
        }
        compare_every_chunk(&buf, opts);
        graft_diag_t diag;
        opts.chunk_size = 0;
        if (graft_read_csv_buffer(NAME, buf.s, buf.len, &opts, NULL, NULL,
                                  NULL, &diag) == GRAFT_OK) {
            ok++;
            quoted += memchr(buf.s, '"', buf.len) != NULL;
        }
        free(buf.s);
    }
    /* enough readable files with quotes to test the rows */
    if (quoted < QUOTED_BUFFERS / 3)
        fail_msg("only %zu of %d quoted buffers read without error (%zu "
                 "files in all)",
                 quoted, QUOTED_BUFFERS, ok);
}

/* ---- libcsv's rules, written out ------------------------------------- */

/* A read as short text: "H|name|..." for the header, "LINE|Ktext|..." for
 * each row (K: N number, S string, M missing; bytes below 0x20 as \xNN),
 * then "= CODE" or "= CODE LINE:COL MESSAGE" after an error. */
static void add_escaped(test_text_t *t, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)s[i];
        char hex[8];
        if (b >= 0x20 && b != '\\') {
            addc(t, (char)b);
            continue;
        }
        snprintf(hex, sizeof hex, "\\x%02X", b);
        test_text_adds(t, hex);
    }
}

static graft_error_t brief_header(void *ctx, const graft_column_t *cols,
                                  size_t ncols, graft_diag_t *diag)
{
    test_text_t *t = ctx;
    (void)diag;
    addc(t, 'H');
    for (size_t i = 0; i < ncols; i++) {
        addc(t, '|');
        add_escaped(t, cols[i].name, strlen(cols[i].name));
    }
    addc(t, '\n');
    return GRAFT_OK;
}

static graft_error_t brief_row(void *ctx, const graft_cell_t *cells,
                               size_t ncols, unsigned long line,
                               graft_diag_t *diag)
{
    test_text_t *t = ctx;
    char buf[32];
    (void)diag;
    snprintf(buf, sizeof buf, "%lu", line);
    test_text_adds(t, buf);
    for (size_t i = 0; i < ncols; i++) {
        addc(t, '|');
        addc(t, "SNM"[cells[i].kind == GRAFT_CELL_NUMBER
                          ? 1
                          : cells[i].kind == GRAFT_CELL_MISSING ? 2 : 0]);
        add_escaped(t, cells[i].str, cells[i].len);
    }
    addc(t, '\n');
    return GRAFT_OK;
}

/* TEXT read with DELIM (0: detected) on the fast path, as brief text. */
static char *brief(const char *text, char delim)
{
    test_text_t t = {0};
    graft_read_opts_t opts = {0};
    graft_diag_t diag;
    char end[sizeof diag.msg + 64];
    opts.delim = delim;
    graft_error_t rc = graft_read_csv_buffer(NAME, text, strlen(text), &opts,
                                             brief_header, brief_row, &t,
                                             &diag);
    if (rc == GRAFT_OK)
        snprintf(end, sizeof end, "= 0\n");
    else
        snprintf(end, sizeof end, "= %d %lu:%lu %s\n", (int)rc, diag.line,
                 diag.col, diag.msg);
    test_text_adds(&t, end);
    return t.s;
}

/* TEXT must read as WANT, and the same through libcsv alone, whatever the
 * chunk size. */
static void check_rule(const char *text, char delim, const char *want)
{
    char *got = brief(text, delim);
    if (strcmp(got, want) != 0)
        fail_msg("%s\ngot:\n%s\nwant:\n%s", text, got, want);
    free(got);
    test_text_t buf = {0};
    graft_read_opts_t opts = {0};
    test_text_adds(&buf, text);
    opts.delim = delim;
    compare_every_chunk(&buf, opts);
    free(buf.s);
}

/* libcsv's rules for quoted fields in strict mode (libcsv.c, states
 * FIELD_NOT_BEGUN, FIELD_BEGUN and FIELD_MIGHT_HAVE_ENDED), one by one. */
static void test_quoted_rules(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        char delim;
        const char *want;
    } cases[] = {
        /* R's write.csv: every non-empty field quoted */
        {"\"id\",\"w\",\"zone\"\n\"1\",\"2.5\",\"Tunis\"\n\"2\",,\"Great "
         "Tunis\"\n",
         0, "H|id|w|zone\n2|N1|N2.5|STunis\n3|N2|M|SGreat Tunis\n= 0\n"},
        /* the delimiter inside quotes; "" is one quote */
        {"a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", ',',
         "H|a|b\n2|Sx,y|Ssay \"hi\"\n= 0\n"},
        {"a\n\"\"\"\"\n\"\"\"x\"\"\"\n", ',', "H|a\n2|S\"\n3|S\"x\"\n= 0\n"},
        /* a quoted empty field is a field: a line of it is a row, unlike
         * a blank line or one of spaces */
        {"a\n\"\"\n\n  \n\"  \"\n", ',', "H|a\n2|M\n5|S  \n= 0\n"},
        {"a,b\n\"\",\"\"\n,\n", ',', "H|a|b\n2|M|M\n3|M|M\n= 0\n"},
        /* spaces and tabs outside the quotes go, inside they stay */
        {"a;b\n  \"x\" ; \" y \"\t\n", ';', "H|a|b\n2|Sx|S y \n= 0\n"},
        {"a,b\n\t\"\tx\t\"\t,\" \"\n", ',', "H|a|b\n2|S\\x09x\\x09|S \n= 0\n"},
        /* with a tab delimiter, a tab is never trimmed */
        {"a\tb\n\"1\t2\"\t \" z\" \n", '\t', "H|a|b\n2|S1\\x092|S z\n= 0\n"},
        {"a\tb\tc\n\"x\"\t\t\"\"\n", '\t', "H|a|b|c\n2|Sx|M|M\n= 0\n"},
        /* quoted numbers, missing codes and text are typed as unquoted */
        {"a,b,c,d,e\n\"1\",\" 2 \",\"-3.5\",\"NA\",\".\"\n", ',',
         "H|a|b|c|d|e\n2|N1|N 2 |N-3.5|MNA|M.\n= 0\n"},
        /* line ends inside quotes stay in the field; lines count on */
        {"a,b\n\"x\ny\",1\n\"p\r\nq\",2\n\"r\rs\",3\n4,5\n", ',',
         "H|a|b\n2|Sx\\x0Ay|N1\n4|Sp\\x0D\\x0Aq|N2\n6|Sr\\x0Ds|N3\n8|N4|N5\n"
         "= 0\n"},
        /* a header of quoted names after a byte order mark */
        {"\xEF\xBB\xBF\"a b\",\"c\"\r\n1,2\r\n", 0, "H|a b|c\n2|N1|N2\n= 0\n"},
        /* doubled quotes or spaces around quotes, with unquoted fields */
        {"a,b,c\n x y ,\"p\"\"q\", 1 \n", ',',
         "H|a|b|c\n2|Sx y|Sp\"q|N1\n= 0\n"},
        {"a,b\n\"x\"  ,  \"y\"\n", ',', "H|a|b\n2|Sx|Sy\n= 0\n"},
        /* non-ASCII inside quotes */
        {"a\n\"\xC3\xA9t\xC3\xA9\"\n", ',',
         "H|a\n2|S\xC3\xA9t\xC3\xA9\n= 0\n"},
        /* invalid quoting: libcsv's errors, with the rows before them */
        {"a,b\n1,2\n1,\"x\"y\n", ',',
         "H|a|b\n2|N1|N2\n= 8 3:2 unexpected character after a closing "
         "quote\n"},
        {"a,b\n1,x\"y\n", ',',
         "H|a|b\n= 8 2:2 quote character inside an unquoted field\n"},
        {"a,b\n\"x\" \"y\",1\n", ',',
         "H|a|b\n= 8 2:1 unexpected character after a closing quote\n"},
        {"a,b\n1,\"open\n", ',', "H|a|b\n= 8 2:2 unterminated quoted field\n"},
        {"a\n\"x\"\"\n", ',', "H|a\n= 8 2:1 unterminated quoted field\n"},
        {"a\n\"x\"\n\"\xFF\"\n", ',',
         "H|a\n2|Sx\n= 9 3:1 invalid UTF-8 byte 0xFF in column 'a'\n"},
        {"a,b\n\"1\",\"2\",\"3\"\n", ',',
         "H|a|b\n= 7 2:3 row has 3 fields, the header has 2\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_rule(cases[i].text, cases[i].delim, cases[i].want);
}

/* The row of K unquoted bytes, "q", a quoted field of M bytes, a
 * delimiter and K (a doubled quote before the delimiter when DOUBLED, so
 * that the line is cut byte by byte), and a quoted empty field, with the
 * header a,b,c,d, into TEXT; what it reads as into WANT. */
static void border_row(size_t k, size_t m, int doubled, test_text_t *text,
                       test_text_t *want)
{
    char num[16];
    snprintf(num, sizeof num, "%zu", k);
    test_text_adds(text, "a,b,c,d\n");
    test_text_adds(want, "H|a|b|c|d\n2|");
    addc(want, k ? 'S' : 'M');
    for (size_t j = 0; j < k; j++) {
        addc(text, (char)('k' + j % 3));
        addc(want, (char)('k' + j % 3));
    }
    test_text_adds(text, ",\"q\",\"");
    test_text_adds(want, "|Sq|S");
    for (size_t j = 0; j < m; j++) {
        addc(text, 'v');
        addc(want, 'v');
    }
    if (doubled) {
        test_text_adds(text, "\"\"");
        addc(want, '"');
    }
    addc(text, ',');
    addc(want, ',');
    test_text_adds(text, num);
    test_text_adds(want, num);
    test_text_adds(text, k % 2 ? "\",\"\"\r\n" : "\",\"\"\n");
    test_text_adds(want, "|M\n= 0\n");
}

/* TEXT must read as WANT on the fast path, and as through libcsv alone
 * (in one chunk: the every chunk size is for the other tests). */
static void check_brief(const test_text_t *text, const char *want)
{
    char *got = brief(text->s, ',');
    if (strcmp(got, want) != 0)
        fail_msg("%s\ngot:\n%s\nwant:\n%s", text->s, got, want);
    free(got);
    graft_read_opts_t opts = {0};
    opts.delim = ',';
    opts.chunk_size = 65536;
    char *fast = transcript(graft_read_csv_buffer, text, &opts);
    char *slow = transcript(graft_read_csv_buffer_libcsv, text, &opts);
    if (strcmp(fast, slow) != 0)
        fail_with(text, fast, slow, opts.chunk_size);
    free(fast);
    free(slow);
}

/* Quotes, doubled quotes and delimiters at every place around the fast
 * path's 8-byte words and 32-byte blocks (border_row()), and invalid
 * quotes at every place, with the cells and errors written out. */
static void test_quoted_borders(void **state)
{
    (void)state;
    for (size_t k = 0; k < 41; k++)
        for (size_t m = 0; m < 41; m++)
            for (int doubled = 0; doubled < 2; doubled++) {
                test_text_t text = {0}, want = {0};
                border_row(k, m, doubled, &text, &want);
                check_brief(&text, want.s);
                free(text.s);
                free(want.s);
            }
    static const struct {
        const char *before, *after, *want;
    } bad[] = {
        {"", "\"y\"", "= 8 2:2 quote character inside an unquoted field"},
        {"\"", "\"y", "= 8 2:2 unexpected character after a closing quote"},
        {"\"", "\"\"\"y",
         "= 8 2:2 unexpected character after a closing quote"},
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
        for (size_t k = 1; k < 70; k++) {
            test_text_t text = {0}, want = {0};
            test_text_adds(&text, "a,b\n\"p\",");
            test_text_adds(&text, bad[b].before);
            for (size_t j = 0; j < k; j++)
                addc(&text, 'x');
            test_text_adds(&text, bad[b].after);
            test_text_adds(&text, "\n\"1\",\"2\"\n");
            test_text_adds(&want, "H|a|b\n");
            test_text_adds(&want, bad[b].want);
            addc(&want, '\n');
            check_brief(&text, want.s);
            free(text.s);
            free(want.s);
        }
}

/* A quoted row of more than GRAFT_MAX_COLUMNS fields on the fast path (a
 * chunk holds it whole): the error is libcsv's, the quote error when it
 * comes first, else the count. */
static void test_quoted_too_many(void **state)
{
    (void)state;
    static const struct {
        size_t bad; /* the field with a byte after its quote, 0 for none */
        const char *want;
    } cases[] = {
        {0, "= 15 2:0 the row has more than 1000000 fields (the limit of a "
            "CSV row): is the delimiter right?\n"},
        {7, "= 8 2:7 unexpected character after a closing quote\n"},
        {1000002, "= 15 2:0 the row has more than 1000000 fields (the limit "
                  "of a CSV row): is the delimiter right?\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_text_t text = {0};
        test_text_adds(&text, "a,b\n");
        for (size_t f = 1; f <= 1000002; f++)
            test_text_adds(&text, f == cases[i].bad ? "\"1\"x," : "\"1\",");
        test_text_adds(&text, "\"1\"\n");
        graft_read_opts_t opts = {0};
        opts.chunk_size = text.len;
        char *want = transcript(graft_read_csv_buffer_libcsv, &text, &opts);
        char *got = transcript(graft_read_csv_buffer, &text, &opts);
        assert_string_equal(got, want);
        free(got);
        free(want);
        got = brief(text.s, ',');
        test_text_t end = {0};
        test_text_adds(&end, "H|a|b\n");
        test_text_adds(&end, cases[i].want);
        assert_string_equal(got, end.s);
        free(got);
        free(end.s);
        free(text.s);
    }
}

/* The block masks of the portable code (machines without SSE2) equal the
 * vector code's and a byte-by-byte reading, for every byte value at
 * every place and random blocks. */
static void test_block_masks(void **state)
{
    (void)state;
    static const unsigned char delims[] = {',', ';', '\t', 'a', '|', 1};
    rng_t r = {32};
    for (size_t k = 0; k < 40000; k++) {
        unsigned char p[32];
        unsigned char delim = delims[k % sizeof delims];
        for (size_t j = 0; j < 32; j++) {
            static const unsigned char common[] = {'"', ',', ';', '\t', ' ',
                                                   '#', '!', 0, 0x80, 0xFF,
                                                   'a', '1', 0x22, 0x23};
            p[j] = below(&r, 2) ? common[below(&r, sizeof common)]
                                : (unsigned char)below(&r, 256);
        }
        if (k < 256 * 32 / 8) /* each byte value at each place */
            p[(k / 256) % 32] = (unsigned char)(k % 256);
        uint32_t want[3] = {0, 0, 0}, vec[3], port[3];
        for (size_t j = 0; j < 32; j++) {
            want[0] |= (uint32_t)(p[j] == '"') << j;
            want[1] |= (uint32_t)(p[j] == delim) << j;
            want[2] |= (uint32_t)(p[j] < '#' || p[j] >= 0x80) << j;
        }
        graft_csv_block_masks((const char *)p, delim, 0, vec);
        graft_csv_block_masks((const char *)p, delim, 1, port);
        for (int m = 0; m < 3; m++) {
            assert_int_equal(vec[m], want[m]);
            assert_int_equal(port[m], want[m]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_lines),
        cmocka_unit_test(test_long_plain_line),
        cmocka_unit_test(test_word_borders),
        cmocka_unit_test(test_random_buffers),
        cmocka_unit_test(test_block_masks),
        cmocka_unit_test(test_quoted_rules),
        cmocka_unit_test(test_quoted_borders),
        cmocka_unit_test(test_quoted_too_many),
        cmocka_unit_test(test_quoted_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
