/*
 * csv_reader.c - graft_read_csv(): streaming CSV through libcsv.
 *
 * The input arrives in chunks (fread of opts->chunk_size bytes, or slices of
 * a caller's buffer) and is handed to libcsv one physical line at a time:
 * every piece passed to csv_parse() ends at a CR or LF or at the end of the
 * chunk.  The reader therefore always knows the line of the bytes libcsv is
 * looking at, which gives exact line numbers with CRLF, blank lines (which
 * libcsv skips silently) and quoted fields spanning lines, whatever the chunk
 * borders are.
 *
 * Before parsing starts, the first bytes are held back until the UTF-8 byte
 * order mark can be recognised and, when no delimiter is given, until the
 * header line is complete so that the delimiter can be counted in it.
 *
 * A line complete in the chunk, while libcsv is between records, is split
 * here instead, with libcsv's rules: eight bytes at a time up to its first
 * quote, then 32 at a time with a running quote parity, so that delimiters
 * inside quotes are not cut, and the quotes of fields written as a quote,
 * text and a quote (as R, Stata, SPSS and Excel write them) are taken off
 * on the way.  A line with other quoting (doubled quotes, spaces around
 * quotes) is cut again byte by byte by libcsv's rules.  A line that ends
 * inside quotes (a quoted field spanning lines), a line with invalid
 * quoting (libcsv reports it) and everything else go through libcsv.  Both
 * paths deliver the same records.
 *
 * libcsv callbacks cannot abort: the first error is stored in the context,
 * later callbacks do nothing, and the error is checked after every call.
 */
#include "graft/limits.h"
#include "graft/reader.h"
#include "io/csv_internal.h"
#include "base/grow.h"
#include "io/number.h"

#include <csv.h>
#include <errno.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CSV_DEFAULT_CHUNK 65536
#define CSV_SNIFF_MAX (1u << 20) /* bytes of header scanned for a delimiter */
#define CSV_ROW_NOT_BEGUN 0      /* libcsv.c's pstate between records */

typedef struct csv_field {
    size_t off, len; /* in csv_ctx_t.text; text[off + len] == '\0' */
} csv_field_t;

typedef struct csv_ctx {
    const char *file;
    graft_header_fn header;
    graft_row_fn row;
    void *user;
    graft_diag_t *diag;
    graft_error_t rc; /* first error; GRAFT_OK until then */
    struct csv_parser parser;
    unsigned char delim; /* 0 until detected */

    /* the fast path: plain lines split without libcsv */
    int fast;          /* 0: every line goes through libcsv */
    uint64_t delims;   /* the delimiter in every byte, once it is known */
    uint64_t tabs;     /* tab in every byte, or space when tab delimits */
    unsigned char pad; /* pads lines to whole words: not delim, not odd */
    int clean;         /* the record's text is ASCII without NUL */

    /* prelude: held-back first bytes, BOM and delimiter detection */
    int started;
    unsigned char *pre;
    size_t pre_len, pre_cap, bom;
    size_t sniff_pos, sniff_count[3];
    int sniff_quote, sniff_content, sniff_done;

    /* position */
    unsigned long line;        /* line of the bytes being parsed */
    unsigned long record_line; /* line where the current record starts */
    unsigned long field_line;  /* line where the current field starts */
    unsigned long header_end;  /* last line of the header record */
    int in_record, after_cr;

    /* the record being assembled; reused for every record */
    char *text;
    size_t text_len, text_cap;
    size_t record_bytes; /* fed to libcsv since the record began */
    csv_field_t *fields;
    size_t nfields, fields_cap;

    /* after the header */
    int have_header;
    size_t ncols;
    char *names;           /* copy of the header's text */
    graft_column_t *cols;  /* names point into names */
    graft_cell_t *cells;
    unsigned long nrows;

    /* the columns the caller reads (opts->uses) */
    int (*uses)(void *arg, const char *name);
    void *uses_arg;
    unsigned char *used; /* per column; NULL: every column */
} csv_ctx_t;

/* ---- small helpers -------------------------------------------------- */

static graft_error_t fail(csv_ctx_t *c, graft_error_t code, unsigned long line,
                          unsigned long col, const char *msg)
{
    c->rc = graft_diag_set(c->diag, code, c->file, line, col, "%s", msg);
    return c->rc;
}

static graft_error_t nomem(csv_ctx_t *c)
{
    return fail(c, GRAFT_ERR_NOMEM, 0, 0, "out of memory");
}

/* The record begun on c->record_line has more than GRAFT_MAX_COLUMNS
 * fields. */
static graft_error_t too_many_fields(csv_ctx_t *c)
{
    c->rc = graft_diag_set(
        c->diag, GRAFT_ERR_FORMAT, c->file, c->record_line, 0,
        "the %s has more than %d %s (the limit of a CSV row): is the "
        "delimiter right?",
        c->have_header ? "row" : "header", GRAFT_MAX_COLUMNS,
        c->have_header ? "fields" : "columns");
    return c->rc;
}

/* The record begun on c->record_line is longer than GRAFT_MAX_ROW_BYTES. */
static graft_error_t row_too_long(csv_ctx_t *c)
{
    c->rc = graft_diag_set(
        c->diag, GRAFT_ERR_FORMAT, c->file, c->record_line, 0,
        "%s is longer than %lu MiB (the limit of a CSV row, line breaks in "
        "quotes included): is a quote left open, or is this not a CSV "
        "file?",
        c->have_header ? "the row" : "the header", GRAFT_MAX_ROW_BYTES >> 20);
    return c->rc;
}

/* Index of the first byte of S[0..N) that is NUL or starts an invalid UTF-8
 * sequence (overlong, surrogate, above U+10FFFF or truncated), or N when
 * the text is valid.  Ranges from RFC 3629, section 4. */
static size_t utf8_bad(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t k;
        unsigned char lo = 0x80, hi = 0xBF;
        if (b == 0)
            return i;
        if (b < 0x80) {
            i++;
            continue;
        }
        if (b >= 0xC2 && b <= 0xDF)
            k = 1;
        else if (b >= 0xE0 && b <= 0xEF) {
            k = 2;
            if (b == 0xE0)
                lo = 0xA0; /* overlong */
            else if (b == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (b >= 0xF0 && b <= 0xF4) {
            k = 3;
            if (b == 0xF0)
                lo = 0x90; /* overlong */
            else if (b == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else
            return i;
        if (n - i <= k || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t j = 2; j <= k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xBF)
                return i;
        i += k + 1;
    }
    return n;
}

/* Check field I of the current record for NUL bytes and invalid UTF-8. */
static graft_error_t check_text(csv_ctx_t *c, size_t i)
{
    const csv_field_t *f = &c->fields[i];
    const unsigned char *s = (const unsigned char *)c->text + f->off;
    size_t bad = utf8_bad(s, f->len);
    if (bad == f->len)
        return GRAFT_OK;
    const char *name = c->have_header ? c->cols[i].name : NULL;
    const char *pre = name ? "column '" : "the header";
    const char *post = name ? "'" : "";
    if (s[bad] == 0)
        c->rc = graft_diag_set(c->diag, GRAFT_ERR_FORMAT, c->file,
                               c->record_line, (unsigned long)(i + 1),
                               "NUL byte in %s%s%s (not a text file?)", pre,
                               name ? name : "", post);
    else
        c->rc = graft_diag_set(c->diag, GRAFT_ERR_UTF8, c->file,
                               c->record_line, (unsigned long)(i + 1),
                               "invalid UTF-8 byte 0x%02X in %s%s%s",
                               (unsigned)s[bad], pre, name ? name : "", post);
    return c->rc;
}

/* ---- the header ----------------------------------------------------- */

typedef struct name_pos {
    const char *name;
    size_t pos;
} name_pos_t;

static int cmp_name_pos(const void *a, const void *b)
{
    const name_pos_t *x = a, *y = b;
    int d = strcmp(x->name, y->name);
    if (d)
        return d;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Report the duplicate whose second occurrence comes first, naming both
 * positions.  Sorting keeps this O(n log n) for very wide files. */
static graft_error_t check_duplicates(csv_ctx_t *c)
{
    name_pos_t *v = malloc(c->ncols * sizeof *v);
    if (!v)
        return nomem(c);
    for (size_t i = 0; i < c->ncols; i++)
        v[i] = (name_pos_t){c->cols[i].name, i};
    qsort(v, c->ncols, sizeof *v, cmp_name_pos);
    size_t first = 0, second = (size_t)-1, run = 0; /* v[run]: run start */
    for (size_t i = 1; i < c->ncols; i++) {
        if (strcmp(v[i].name, v[run].name) != 0)
            run = i;
        else if (i == run + 1 && v[i].pos < second) {
            first = v[run].pos;
            second = v[i].pos;
        }
    }
    free(v);
    if (second == (size_t)-1)
        return GRAFT_OK;
    c->rc = graft_diag_set(c->diag, GRAFT_ERR_HEADER, c->file, c->record_line,
                           (unsigned long)(second + 1),
                           "duplicate column name '%s' (columns %zu and %zu)",
                           c->cols[second].name, first + 1, second + 1);
    return c->rc;
}

/* Keep the column names for the whole read (they name columns in later
 * messages) and allocate the row's cells. */
static graft_error_t keep_columns(csv_ctx_t *c)
{
    c->ncols = c->nfields;
    c->names = malloc(c->text_len);
    c->cols = calloc(c->ncols, sizeof *c->cols);
    c->cells = calloc(c->ncols, sizeof *c->cells);
    if (!c->names || !c->cols || !c->cells)
        return nomem(c);
    memcpy(c->names, c->text, c->text_len);
    for (size_t i = 0; i < c->ncols; i++) {
        c->cols[i].name = c->names + c->fields[i].off;
        c->cols[i].label = NULL;
        c->cols[i].type = GRAFT_COL_UNKNOWN;
        c->cols[i].labels = NULL;
    }
    return GRAFT_OK;
}

/* Ask opts->uses which columns the caller reads. */
static graft_error_t ask_uses(csv_ctx_t *c)
{
    if (!c->uses)
        return GRAFT_OK;
    c->used = malloc(c->ncols);
    if (!c->used)
        return nomem(c);
    for (size_t i = 0; i < c->ncols; i++)
        c->used[i] = c->uses(c->uses_arg, c->cols[i].name) != 0;
    return GRAFT_OK;
}

static graft_error_t finish_header(csv_ctx_t *c)
{
    for (size_t i = 0; i < c->nfields && !c->clean; i++)
        if (check_text(c, i) != GRAFT_OK)
            return c->rc;
    for (size_t i = 0; i < c->nfields; i++)
        if (c->fields[i].len == 0)
            return c->rc = graft_diag_set(
                       c->diag, GRAFT_ERR_HEADER, c->file, c->record_line,
                       (unsigned long)(i + 1), "column %zu has an empty name",
                       i + 1);
    if (keep_columns(c) != GRAFT_OK || check_duplicates(c) != GRAFT_OK ||
        ask_uses(c) != GRAFT_OK)
        return c->rc;
    c->have_header = 1;
    c->header_end = c->line;
    if (c->header)
        c->rc = c->header(c->user, c->cols, c->ncols, c->diag);
    return c->rc;
}

/* ---- data rows ------------------------------------------------------ */

static graft_error_t check_row_shape(csv_ctx_t *c)
{
    if (c->nfields == c->ncols)
        return GRAFT_OK;
    size_t col = (c->nfields < c->ncols ? c->nfields : c->ncols) + 1;
    c->rc = graft_diag_set(c->diag, GRAFT_ERR_FIELDS, c->file, c->record_line,
                           (unsigned long)col,
                           "row has %zu field%s, the header has %zu",
                           c->nfields, c->nfields == 1 ? "" : "s", c->ncols);
    return c->rc;
}

/* Fill CELL with the field S[0..LEN) (NUL-terminated): missing, a number
 * or a string.  A single digit, the commonest cell of survey files, is
 * read here as graft_parse_number() would read it. */
static void type_cell(graft_cell_t *cell, const char *s, size_t len)
{
    unsigned digit = (unsigned)(unsigned char)s[0] - '0';
    cell->str = s;
    cell->len = len;
    cell->num = 0.0;
    if (len == 1 && digit <= 9) {
        cell->kind = GRAFT_CELL_NUMBER;
        cell->num = (double)digit;
    } else if (graft_is_missing_text(s, len))
        cell->kind = GRAFT_CELL_MISSING;
    else if (graft_number_parse(s, len, &cell->num))
        cell->kind = GRAFT_CELL_NUMBER;
    else
        cell->kind = GRAFT_CELL_STRING;
}

static graft_error_t finish_row(csv_ctx_t *c)
{
    if (check_row_shape(c) != GRAFT_OK)
        return c->rc;
    for (size_t i = 0; i < c->ncols; i++) {
        const csv_field_t *f = &c->fields[i];
        graft_cell_t *cell = &c->cells[i];
        if (c->used && !c->used[i]) {
            *cell = (graft_cell_t){GRAFT_CELL_MISSING, 0.0, NULL, 0};
            continue;
        }
        if (!c->clean && check_text(c, i) != GRAFT_OK)
            return c->rc;
        type_cell(cell, c->text + f->off, f->len);
    }
    c->nrows++;
    if (c->row)
        c->rc = c->row(c->user, c->cells, c->ncols, c->record_line, c->diag);
    return c->rc;
}

/* ---- libcsv callbacks ----------------------------------------------- */

static void on_field(void *data, size_t len, void *vctx)
{
    csv_ctx_t *c = vctx;
    if (c->rc != GRAFT_OK)
        return;
    if (c->nfields == GRAFT_MAX_COLUMNS) {
        too_many_fields(c);
        return;
    }
    csv_field_t *fields =
        graft_grow(c->fields, &c->fields_cap, c->nfields + 1, sizeof *fields);
    if (fields)
        c->fields = fields;
    char *text = graft_grow(c->text, &c->text_cap, c->text_len + len + 1, 1);
    if (text)
        c->text = text;
    if (!fields || !text) {
        nomem(c);
        return;
    }
    if (len)
        memcpy(c->text + c->text_len, data, len);
    c->text[c->text_len + len] = '\0';
    c->fields[c->nfields++] = (csv_field_t){c->text_len, len};
    c->text_len += len + 1;
    c->field_line = c->line; /* the next field starts after this delimiter */
}

/* The record in fields and text is complete: the header or a row. */
static void end_record(csv_ctx_t *c)
{
    if (c->rc == GRAFT_OK)
        c->rc = c->have_header ? finish_row(c) : finish_header(c);
    c->nfields = 0;
    c->text_len = 0;
    c->record_bytes = 0;
    c->in_record = 0;
}

static void on_record(int term, void *vctx)
{
    (void)term;
    end_record(vctx);
}

/* ---- libcsv's side of the line-by-line feed -------------------------- */

/* Bytes libcsv skips between records (libcsv.c, ROW_NOT_BEGUN). */
static int skipped_between_records(unsigned char b, unsigned char delim)
{
    return ((b == ' ' || b == '\t') && b != delim) || b == '\r' || b == '\n';
}

static graft_error_t parser_error(csv_ctx_t *c)
{
    if (csv_error(&c->parser) != CSV_EPARSE)
        return nomem(c); /* CSV_ENOMEM or CSV_ETOOBIG */
    return fail(c, GRAFT_ERR_QUOTE, c->field_line,
                (unsigned long)(c->nfields + 1),
                c->parser.quoted ? "unexpected character after a closing quote"
                                 : "quote character inside an unquoted field");
}

/* After a segment ending in TERM (CR or LF; 0 for none) of LEN bytes. */
static void advance_line(csv_ctx_t *c, int term, size_t len)
{
    if (term == '\r' || (term == '\n' && !(len == 1 && c->after_cr)))
        c->line++;
    c->after_cr = term == '\r';
}

/* ---- the fast path: complete lines without libcsv -------------------- */

/* The line is tested eight bytes at a time, a word of them at once, with
 * the tests of Warren, "Hacker's Delight" (2nd ed., 2013), section 6-1. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS (ONES * 0x80)

/* The high bit of every byte of W that equals its byte of B, and no other
 * bit: exact, unlike the shorter test with a borrow. */
static inline uint64_t bytes_equal(uint64_t w, uint64_t b)
{
    uint64_t x = w ^ b;
    return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}

/* Nonzero when a byte of W is below '#' or at least 0x80: only then can it
 * be a NUL, tab, space, quote or non-ASCII byte.  Exact, as the borrow out
 * of the lowest such byte only reaches bytes above it. */
static inline uint64_t any_odd(uint64_t w)
{
    return ((w - ONES * '#') | w) & HIGHS;
}

/* The words for the file's delimiter.  As in libcsv.c, a space or tab is
 * trimmed only when it is not the delimiter (a space never is one). */
static void set_words(csv_ctx_t *c)
{
    c->delims = ONES * c->delim;
    c->tabs = ONES * (c->delim == '\t' ? ' ' : '\t');
    c->pad = c->delim == 'a' ? 'b' : 'a';
}

/* Is B a byte libcsv trims around unquoted fields? */
static int trimmed(const csv_ctx_t *c, unsigned char b)
{
    return b == ' ' || (b == '\t' && c->delim != '\t');
}

/* Make room for NEED fields in the fast path. */
static graft_error_t more_fields(csv_ctx_t *c, size_t need)
{
    csv_field_t *f = graft_grow(c->fields, &c->fields_cap, need, sizeof *f);
    if (!f)
        return nomem(c);
    c->fields = f;
    return GRAFT_OK;
}

/* Trim from field F of the line T the spaces and tabs libcsv trims. */
static void trim_field(const csv_ctx_t *c, const char *t, csv_field_t *f)
{
    const unsigned char *s = (const unsigned char *)t;
    while (f->len && trimmed(c, s[f->off])) {
        f->off++;
        f->len--;
    }
    while (f->len && trimmed(c, s[f->off + f->len - 1]))
        f->len--;
}

/* Cut the fields ending at the delimiters marked in D (bytes_equal() of the
 * word at T + I) from the copy T of the line into F: each delimiter DELIM
 * becomes the NUL ending its field.  NF fields so far, the next from
 * *START.  Returns the new number of fields. */
static inline size_t cut_word(csv_field_t *f, char *t, size_t i, uint64_t d,
                              unsigned char delim, size_t nf, size_t *start)
{
    size_t from = *start; /* a local: stores through T may alias *START */
    csv_field_t *g = f + nf;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                          \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    (void)delim;
    do { /* the lowest bit marks the first byte */
        size_t p = i + ((unsigned)__builtin_ctzll(d) >> 3);
        t[p] = '\0';
        *g++ = (csv_field_t){from, p - from};
        from = p + 1;
        d &= d - 1;
    } while (d);
#else
    (void)d;
    for (size_t p = i; p < i + 8; p++)
        if ((unsigned char)t[p] == delim) {
            t[p] = '\0';
            *g++ = (csv_field_t){from, p - from};
            from = p + 1;
        }
#endif
    *start = from;
    return (size_t)(g - f);
}

/* The 8 bytes at P as a word whose lowest byte is P[0], as the bit
 * scans need, whatever the byte order of the machine. */
static inline uint64_t load_word(const char *p)
{
    uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&w, p, 8);
#else
    for (int k = 7; k >= 0; k--)
        w = w << 8 | (unsigned char)p[k];
#endif
    return w;
}

/* From its first quote on, a line is looked at QBLOCK bytes at a time,
 * with one bit per byte (bit K for byte K): the quote parity and the
 * checks below cost the same for 32 bytes as for 8.  The copy of a line
 * has CSV_PAD bytes after it so that the block holding its end can be
 * read. */
#define QBLOCK 32 /* the bits of a uint32_t */
#define CSV_PAD QBLOCK

/* The masks of the QBLOCK bytes at P: QUOTE the quotes, DELIM the bytes
 * equal to DELIM, ODD the bytes below '#' or at least 0x80 (the quotes
 * among them).  SSE2 (every x86-64) compares 16 bytes at once; the
 * portable code a word at a time, with the tests of bytes_equal(). */
typedef struct block_masks {
    uint32_t quote, delim, odd;
} block_masks_t;

/* The high bits of W (one per byte) as the bits 0 to 7 of a byte. */
static inline uint32_t gather_highs(uint64_t w)
{
    return (uint32_t)(((w >> 7) * UINT64_C(0x0102040810204080)) >> 56);
}

static inline block_masks_t block_masks_portable(const char *p,
                                                 unsigned char delim)
{
    block_masks_t m = {0, 0, 0};
    for (unsigned k = 0; k < QBLOCK; k += 8) {
        uint64_t w = load_word(p + k);
        /* below '#' when its low 7 bits plus 0x80 - '#' do not carry */
        uint64_t odd = (~((w & ~HIGHS) + ONES * (0x80 - '#')) | w) & HIGHS;
        m.quote |= gather_highs(bytes_equal(w, ONES * '"')) << k;
        m.delim |= gather_highs(bytes_equal(w, ONES * delim)) << k;
        m.odd |= gather_highs(odd) << k;
    }
    return m;
}

#if defined(__SSE2__)
static inline uint32_t movemask2(__m128i lo, __m128i hi)
{
    return (uint32_t)_mm_movemask_epi8(lo) |
           (uint32_t)_mm_movemask_epi8(hi) << 16;
}

static inline block_masks_t block_masks(const char *p, unsigned char delim)
{
    const __m128i quote = _mm_set1_epi8('"'), hash = _mm_set1_epi8('#');
    const __m128i dl = _mm_set1_epi8((char)delim);
    __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
    block_masks_t m;
    m.quote = movemask2(_mm_cmpeq_epi8(lo, quote), _mm_cmpeq_epi8(hi, quote));
    m.delim = movemask2(_mm_cmpeq_epi8(lo, dl), _mm_cmpeq_epi8(hi, dl));
    /* signed: the bytes >= 0x80 are below '#' too */
    m.odd = movemask2(_mm_cmplt_epi8(lo, hash), _mm_cmplt_epi8(hi, hash));
    return m;
}
#else
#define block_masks block_masks_portable
#endif

/* The masks of either code, for the tests (io/csv_internal.h). */
void graft_csv_block_masks(const char *p, unsigned char delim, int portable,
                           uint32_t m[3])
{
    block_masks_t b =
        portable ? block_masks_portable(p, delim) : block_masks(p, delim);
    m[0] = b.quote;
    m[1] = b.delim;
    m[2] = b.odd;
}

/* The bits of M set where the number of bits of M up to and including
 * them is odd: the bytes inside quotes when M marks the quotes. */
static inline uint32_t prefix_xor(uint32_t m)
{
    m ^= m << 1;
    m ^= m << 2;
    m ^= m << 4;
    m ^= m << 8;
    m ^= m << 16;
    return m;
}

#if defined(__GNUC__)
#define LOWEST_BIT(m) ((unsigned)__builtin_ctz(m))
#else
static unsigned lowest_bit(uint32_t m)
{
    unsigned b = 0;
    while (!((m >> b) & 1))
        b++;
    return b;
}
#define LOWEST_BIT(m) lowest_bit(m)
#endif

/* A line being cut: what cut_line() found so far. */
typedef struct line_cut {
    size_t nf, start; /* fields so far, and where the next starts */
    int odd;          /* a NUL or a byte >= 0x80 */
    int blank;        /* a byte trim_field() removes */
    int quoted;       /* 0, or 1 (quotes taken off), or 2 (cut again) */
} line_cut_t;

/* Note in K what the bytes marked in RARE of the block at P are: spaces
 * and tabs that trim_field() removes, NUL and bytes >= 0x80. */
static void note_rare(const csv_ctx_t *c, const char *p, uint32_t rare,
                      line_cut_t *k)
{
    for (; rare && !(k->odd && k->blank); rare &= rare - 1) {
        unsigned char b = (unsigned char)p[LOWEST_BIT(rare)];
        k->odd |= b == 0 || b >= 0x80;
        k->blank |= trimmed(c, b);
    }
}

/* The field T[FROM..P) of a line with quotes, ended by a delimiter outside
 * quotes at P or by the line end, into *G: without its edges when QUOTED
 * (0 or 1) says that it is a quote, text and a quote, as it is when its
 * last byte is a quote and every quote is at the edge of a field.  The
 * NUL takes the place of the closing quote.  Branch-free, as quoted and
 * unquoted fields alternate at random. */
static inline void put_quoted(csv_field_t *g, char *t, size_t from, size_t p,
                              size_t quoted)
{
    size_t end = p - quoted;
    t[end] = '\0';
    *g = (csv_field_t){from + quoted, end - from - quoted};
}

/* Go on cutting the line T[0..LEN) of cut_line() from I, the offset of
 * its first word with a quote, to its end, a block at a time: at the
 * delimiters outside quotes (a running quote parity tells them), the last
 * field included, with the quotes at the edges of fields taken off
 * (put_quoted()).  That reads the line as libcsv does when each quote is
 * next to a delimiter outside quotes or to an end of the line: after it,
 * the quote opens a field (the quotes before it are even); before it, it
 * closes one.  Then each field is a quote, text without quotes and a
 * quote, the form every writer gives a quoted field, or has no quote.
 * Otherwise (a doubled quote, spaces around quotes, invalid quoting)
 * K->quoted becomes 2, else 1.  Returns 0 when the line ends inside quotes
 * or on error (recorded in C). */
static int cut_quoted_blocks(csv_ctx_t *c, char *t, size_t i, size_t len,
                             line_cut_t *k)
{
    const unsigned char delim = c->delim;
    size_t nf = k->nf, from = k->start;
    uint32_t in = 0, bad = 0; /* in: all ones inside quotes */
    /* bit 0: the byte before the block is a quote; a delimiter outside
     * quotes or the line start; a quote that needs a delimiter after it */
    uint32_t quote_before = 0, lone_before = 0;
    /* the byte before I is a delimiter (cut_word() made it a NUL) when
     * the field being cut starts at I, or I is the line start */
    uint32_t edge_before = from == i;
    t[len] = (char)delim; /* the line end ends the last field */
    memset(t + len + 8, c->pad, CSV_PAD - 8);
    for (; i <= len; i += QBLOCK) {
        block_masks_t m = block_masks(t + i, delim);
        uint32_t q = m.quote, rare = m.odd & ~q;
        if (rare)
            note_rare(c, t + i, rare, k);
        uint32_t inq = prefix_xor(q) ^ in; /* the bytes inside quotes */
        in = 0u - (inq >> 31);
        uint32_t out = m.delim & ~inq;
        uint32_t lone = q & ~((out << 1) | edge_before | (out >> 1));
        bad |= (lone & ~(1u << (QBLOCK - 1))) | (lone_before & ~out);
        uint32_t shut = out & ((q << 1) | quote_before); /* after a quote */
        lone_before = lone >> (QBLOCK - 1);
        edge_before = out >> (QBLOCK - 1);
        quote_before = q >> (QBLOCK - 1);
        if (!out)
            continue;
        if (c->fields_cap < nf + QBLOCK &&
            more_fields(c, nf + QBLOCK) != GRAFT_OK)
            return 0;
        csv_field_t *f = c->fields, *g = f + nf;
        do {
            unsigned b = LOWEST_BIT(out);
            put_quoted(g++, t, from, i + b, (shut >> b) & 1);
            from = i + b + 1;
            out &= out - 1;
        } while (out);
        nf = (size_t)(g - f);
    }
    t[len] = '\0';
    k->nf = nf;
    k->quoted = bad ? 2 : 1; /* the last block ends past the line */
    return in == 0;
}

/* Cut the copy T[0..LEN) of a line, padded with CSV_PAD bytes, into fields
 * at the delimiters: eight bytes at a time, until the first word with a
 * quote, from which cut_quoted_blocks() goes on.  *SPACES: whether a byte
 * is one trim_field() removes; *CLEAN: whether the line has neither NUL
 * nor bytes >= 0x80; *QUOTED: 0 without quotes, 1 when their fields were
 * taken off their quotes, 2 when the line must be cut again
 * (split_exact()).  Returns the number of fields, or 0 when the line ends
 * inside quotes (a quoted field goes on in the next line: libcsv reads the
 * record) or on error, recorded in C. */
static size_t cut_line(csv_ctx_t *c, char *t, size_t len, int *spaces,
                       int *clean, int *quoted)
{
    const uint64_t delims = c->delims, tabs = c->tabs;
    csv_field_t *f = c->fields;
    size_t room = c->fields_cap, nf = 0, start = 0, i;
    uint64_t odd = 0, blank = 0;
    for (i = 0; i < len; i += 8) {
        uint64_t w = load_word(t + i);
        if (any_odd(w)) {
            if (bytes_equal(w, ONES * '"'))
                break;
            odd |= w | bytes_equal(w, 0);
            blank |= bytes_equal(w, ONES * ' ') | bytes_equal(w, tabs);
        }
        uint64_t d = bytes_equal(w, delims);
        if (!d)
            continue;
        if (room < nf + 9) { /* this word's fields and the last */
            if (more_fields(c, nf + 9) != GRAFT_OK)
                return 0;
            f = c->fields;
            room = c->fields_cap;
        }
        nf = cut_word(f, t, i, d, c->delim, nf, &start);
    }
    if (i < len) {
        line_cut_t k = {nf, start, (odd & HIGHS) != 0, blank != 0, 0};
        if (!cut_quoted_blocks(c, t, i, len, &k))
            return 0;
        *spaces = k.blank;
        *clean = !k.odd;
        *quoted = k.quoted;
        return k.nf;
    }
    if (room == nf) {
        if (more_fields(c, nf + 1) != GRAFT_OK)
            return 0;
        f = c->fields;
    }
    f[nf++] = (csv_field_t){start, len - start};
    t[len] = '\0';
    *spaces = blank != 0;
    *clean = !(odd & HIGHS);
    *quoted = 0;
    return nf;
}

/* Trim the NF fields of the line T (trim_field()) but those that were
 * quoted, which the quote before them tells (put_quoted()); the byte
 * before any other field is a delimiter, or there is none. */
static void trim_fields(const csv_ctx_t *c, char *t, size_t nf)
{
    csv_field_t *f = c->fields;
    for (size_t k = 0; k < nf; k++) {
        if (f[k].off && t[f[k].off - 1] == '"')
            continue;
        trim_field(c, t, &f[k]);
        t[f[k].off + f[k].len] = '\0';
    }
}

/* The next field of the line S[*I..LEN) as libcsv reads it in strict mode
 * (libcsv.c, states FIELD_NOT_BEGUN, FIELD_BEGUN and
 * FIELD_MIGHT_HAVE_ENDED), written to T + *W with its NUL.  Spaces and tabs
 * that are not the delimiter are skipped before it.  Unquoted, it ends at
 * the delimiter, without the spaces and tabs before it, and must have no
 * quote.  Quoted, it keeps every byte up to the closing quote, a doubled
 * quote standing for one, and after the closing quote come only spaces and
 * tabs before the delimiter.  *I moves past the delimiter, or to LEN.
 * Returns 2 after a delimiter, 1 at the line end, 0 where libcsv stops
 * with an error. */
static int exact_field(const csv_ctx_t *c, const unsigned char *s,
                       size_t len, size_t *i, char *t, csv_field_t *f)
{
    size_t r = *i, w = f->off, end;
    while (r < len && trimmed(c, s[r]))
        r++;
    if (r < len && s[r] == '"') {
        for (r++;; r++) {
            if (r == len)
                return 0; /* the quotes go on past the line end */
            if (s[r] == '"' && (r + 1 == len || s[r + 1] != '"'))
                break;
            r += s[r] == '"'; /* "" is one quote */
            t[w++] = (char)s[r];
        }
        end = w;
        for (r++; r < len && trimmed(c, s[r]); r++)
            ;
        if (r < len && s[r] != c->delim)
            return 0; /* a byte after the closing quote */
    } else {
        for (end = w; r < len && s[r] != c->delim; r++) {
            if (s[r] == '"')
                return 0; /* a quote inside an unquoted field */
            t[w++] = (char)s[r];
            if (!trimmed(c, s[r]))
                end = w;
        }
    }
    t[end] = '\0';
    f->len = end - f->off;
    *i = r + (r < len);
    return r < len ? 2 : 1;
}

/* Cut the line S[0..LEN) into fields byte by byte, exactly as libcsv does
 * (exact_field()), into T.  For the lines with quotes cut_line() cannot
 * take off (doubled quotes, spaces around quotes) or invalid quoting.
 * Returns the number of fields, or 0 when the line must go through libcsv
 * (or on error, recorded in C). */
static size_t split_exact(csv_ctx_t *c, const unsigned char *s, size_t len,
                          char *t)
{
    size_t nf = 0, i = 0, w = 0;
    int more;
    do {
        if (nf == c->fields_cap && more_fields(c, nf + 1) != GRAFT_OK)
            return 0;
        csv_field_t *f = &c->fields[nf++];
        f->off = w;
        more = exact_field(c, s, len, &i, t, f);
        if (!more)
            return 0;
        w = f->off + f->len + 1;
    } while (more == 2);
    return nf;
}

/* Cut the line S[0..LEN) into fields as libcsv does, in its copy T padded
 * with CSV_PAD bytes: at the delimiters outside quotes, trimmed, without
 * their quotes.  *CLEAN as for cut_line(); *QUOTED: whether the line has
 * quotes (a line of one empty field is blank only without them).  Returns
 * the number of fields, or 0 when the line must go through libcsv, which
 * meets a quote error in it or a quoted field going on past its end (or
 * on error, recorded in C). */
static size_t split_line(csv_ctx_t *c, const unsigned char *s, char *t,
                         size_t len, int *clean, int *quoted)
{
    int spaces;
    size_t nf = cut_line(c, t, len, &spaces, clean, quoted);
    if (nf == 0)
        return 0;
    if (*quoted == 2)
        return split_exact(c, s, len, t);
    if (spaces && nf <= GRAFT_MAX_COLUMNS)
        trim_fields(c, t, nf);
    return nf;
}

/* Read the line at S[0..N) without libcsv when it is complete (its CR or
 * LF is in S) and libcsv would read it as one record or a blank line: no
 * quoted field goes on past the line end, and every quote is where libcsv
 * in strict mode accepts it.  Its fields are what libcsv makes of them
 * (libcsv.c, states ROW_NOT_BEGUN to FIELD_MIGHT_HAVE_ENDED; see
 * split_line()); a line of nothing but spaces and tabs is skipped like a
 * blank line.  The line is copied into text, padded (CSV_PAD), and its
 * fields are cut in place.  Returns the bytes used, the CR or LF
 * included, or 0 when the line must go through libcsv (or on error,
 * recorded in C).  TO_LF: the offset of the next LF in S, or N when there
 * is none. */
static size_t fast_line(csv_ctx_t *c, const unsigned char *s, size_t n,
                        size_t to_lf)
{
    size_t len = to_lf;
    const unsigned char *cr = memchr(s, '\r', len);
    if (cr)
        len = (size_t)(cr - s);
    else if (to_lf == n)
        return 0; /* the line goes on in the next chunk */
    char *t = graft_grow(c->text, &c->text_cap, len + CSV_PAD, 1);
    if (!t) {
        nomem(c);
        return 0;
    }
    c->text = t;
    memcpy(t, s, len);
    memset(t + len, c->pad, 8); /* cut_quoted_blocks() pads the rest */
    int clean, quoted;
    size_t nf = split_line(c, s, t, len, &clean, &quoted);
    if (nf == 0)
        return 0;
    if (nf > GRAFT_MAX_COLUMNS) { /* its quotes are right, as libcsv's */
        c->record_line = c->line;
        too_many_fields(c);
        return 0;
    }
    if (nf == 1 && c->fields[0].len == 0 && !quoted)
        return len + 1; /* blank, or only spaces and tabs */
    c->nfields = nf;
    c->text_len = len + 1;
    c->clean = clean;
    c->record_line = c->field_line = c->line;
    c->in_record = 1;
    end_record(c);
    c->clean = 0;
    return len + 1;
}

/* ---- feeding the input line by line ---------------------------------- */

/* Hand S[0..N) over one physical line at a time: plain lines to
 * fast_line() while libcsv is between records, the rest to libcsv. */
static graft_error_t parse_bytes(csv_ctx_t *c, const unsigned char *s,
                                 size_t n)
{
    size_t i = 0;
    const unsigned char *lf = NULL; /* the next LF from s + i, or s + n */
    while (i < n) {
        size_t start = i;
        if (c->fast && !c->in_record &&
            c->parser.pstate == CSV_ROW_NOT_BEGUN) {
            if (!lf || lf < s + i) { /* not once a line when there is none */
                lf = memchr(s + i, '\n', n - i);
                if (!lf)
                    lf = s + n;
            }
            size_t used = fast_line(c, s + i, n - i, (size_t)(lf - (s + i)));
            if (c->rc != GRAFT_OK)
                return c->rc;
            if (used) {
                i += used;
                advance_line(c, s[i - 1], used);
                continue;
            }
        }
        int looking = !c->in_record, found = 0, term = 0;
        while (i < n && s[i] != '\n' && s[i] != '\r') {
            if (looking && !found && !skipped_between_records(s[i], c->delim))
                found = 1;
            i++;
        }
        if (i < n)
            term = s[i++];
        if (found) {
            c->in_record = 1;
            c->record_line = c->field_line = c->line;
        }
        size_t len = i - start;
        if (c->in_record && (c->record_bytes += len) > GRAFT_MAX_ROW_BYTES)
            return row_too_long(c);
        /* libcsv grows its field buffer by blk_size bytes at a time (128
         * by default), which copies a long quoted field quadratically (a
         * 10 MB field took minutes under ASan); growing by the buffer's own
         * size makes it geometric. */
        if (c->parser.entry_size > c->parser.blk_size)
            csv_set_blk_size(&c->parser, c->parser.entry_size);
        size_t used = csv_parse(&c->parser, s + start, len, on_field,
                                on_record, c);
        if (c->rc != GRAFT_OK)
            return c->rc;
        if (used < len || csv_error(&c->parser) != CSV_SUCCESS)
            return parser_error(c);
        advance_line(c, term, len);
    }
    return GRAFT_OK;
}

/* ---- prelude: byte order mark and delimiter detection ---------------- */

/* Scan held-back bytes for the end of the first non-blank line outside
 * quotes, counting the candidate delimiters on it.  Returns 1 when done. */
static int sniff(csv_ctx_t *c)
{
    static const char cand[3] = {',', ';', '\t'};
    size_t limit = c->bom + CSV_SNIFF_MAX;
    if (c->sniff_pos < c->bom)
        c->sniff_pos = c->bom;
    for (; c->sniff_pos < c->pre_len && !c->sniff_done; c->sniff_pos++) {
        unsigned char b = c->pre[c->sniff_pos];
        if (c->sniff_pos >= limit)
            c->sniff_done = 1;
        else if (c->sniff_quote)
            c->sniff_quote = b != '"';
        else if (b == '\r' || b == '\n')
            c->sniff_done = c->sniff_content;
        else if (b != ' ') {
            c->sniff_content = 1;
            c->sniff_quote = b == '"';
            for (int k = 0; k < 3; k++)
                c->sniff_count[k] += b == (unsigned char)cand[k];
        }
    }
    return c->sniff_done;
}

/* The most frequent candidate; ties go to the earlier of ',', ';', tab. */
static unsigned char chosen_delim(const csv_ctx_t *c)
{
    static const char cand[3] = {',', ';', '\t'};
    int best = 0;
    for (int k = 1; k < 3; k++)
        if (c->sniff_count[k] > c->sniff_count[best])
            best = k;
    return (unsigned char)cand[best];
}

/* Are enough bytes held back to start parsing?  EOF: no more will come. */
static int prelude_ready(csv_ctx_t *c, int eof)
{
    if (c->pre_len < 3 && !eof)
        return 0;
    int bom = c->pre_len >= 3 && memcmp(c->pre, "\xEF\xBB\xBF", 3) == 0;
    c->bom = bom ? 3 : 0;
    if (c->delim)
        return 1;
    return sniff(c) || eof;
}

static graft_error_t start_parsing(csv_ctx_t *c)
{
    if (!c->delim)
        c->delim = chosen_delim(c);
    csv_set_delim(&c->parser, c->delim);
    set_words(c);
    c->started = 1;
    graft_error_t rc = GRAFT_OK;
    if (c->pre_len > c->bom)
        rc = parse_bytes(c, c->pre + c->bom, c->pre_len - c->bom);
    free(c->pre);
    c->pre = NULL;
    c->pre_len = c->pre_cap = 0;
    return rc;
}

static graft_error_t feed(csv_ctx_t *c, const unsigned char *s, size_t n)
{
    if (c->started)
        return parse_bytes(c, s, n);
    unsigned char *pre = graft_grow(c->pre, &c->pre_cap, c->pre_len + n, 1);
    if (!pre)
        return nomem(c);
    c->pre = pre;
    memcpy(c->pre + c->pre_len, s, n);
    c->pre_len += n;
    return prelude_ready(c, 0) ? start_parsing(c) : GRAFT_OK;
}

/* Flush libcsv's last record: an open quote is an unterminated field.
 * Returns the context's first error. */
static graft_error_t flush_parser(csv_ctx_t *c)
{
    if (csv_fini(&c->parser, on_field, on_record, c) != 0 &&
        c->rc == GRAFT_OK)
        return fail(c, GRAFT_ERR_QUOTE, c->field_line,
                    (unsigned long)(c->nfields + 1),
                    "unterminated quoted field");
    return c->rc;
}

/* End of input: flush libcsv and check that there was a header and rows. */
static graft_error_t finish(csv_ctx_t *c)
{
    if (!c->started) {
        prelude_ready(c, 1);
        if (start_parsing(c) != GRAFT_OK)
            return c->rc;
    }
    if (flush_parser(c) != GRAFT_OK)
        return c->rc;
    if (!c->have_header)
        return fail(c, GRAFT_ERR_EMPTY, 0, 0, "file is empty");
    if (c->nrows == 0)
        return fail(c, GRAFT_ERR_NO_ROWS, c->header_end + 1, 0,
                    "header only: no data rows");
    return GRAFT_OK;
}

/* ---- setup and the two entry points --------------------------------- */

static graft_error_t ctx_init(csv_ctx_t *c, const char *file,
                              const graft_read_opts_t *opts,
                              graft_header_fn header, graft_row_fn row,
                              void *user, graft_diag_t *diag)
{
    memset(c, 0, sizeof *c);
    c->file = file;
    c->header = header;
    c->row = row;
    c->user = user;
    c->diag = diag;
    c->line = 1;
    csv_init(&c->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    graft_diag_clear(diag);
    unsigned char d = opts ? (unsigned char)opts->delim : 0;
    if (d == '"' || d == '\r' || d == '\n' || d == ' ' || d >= 0x80)
        return c->rc = graft_diag_set(diag, GRAFT_ERR_USAGE, file, 0, 0,
                                      "unsupported CSV delimiter 0x%02X",
                                      (unsigned)d);
    c->delim = d;
    c->fast = 1;
    if (opts) {
        c->uses = opts->uses;
        c->uses_arg = opts->uses_arg;
    }
    return GRAFT_OK;
}

static void ctx_free(csv_ctx_t *c)
{
    csv_free(&c->parser);
    free(c->pre);
    free(c->text);
    free(c->fields);
    free(c->names);
    free(c->cols);
    free(c->cells);
    free(c->used);
}

static size_t chunk_size(const graft_read_opts_t *opts)
{
    return opts && opts->chunk_size ? opts->chunk_size : CSV_DEFAULT_CHUNK;
}

/* Open PATH for reading, refusing directories.  Returns NULL with the
 * error recorded in C. */
static FILE *open_input(csv_ctx_t *c, const char *path)
{
    struct stat st;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        c->rc = graft_diag_set(c->diag, GRAFT_ERR_OPEN, path, 0, 0,
                               "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        c->rc = graft_diag_set(c->diag, GRAFT_ERR_READ, path, 0, 0,
                               "cannot read: %s", strerror(EISDIR));
        fclose(fp);
        return NULL;
    }
    return fp;
}

graft_error_t graft_read_csv(const char *path, const graft_read_opts_t *opts,
                             graft_header_fn header, graft_row_fn row,
                             void *ctx, graft_diag_t *diag)
{
    csv_ctx_t c;
    FILE *fp = NULL;
    unsigned char *buf = NULL;
    size_t size = chunk_size(opts);
    graft_error_t rc = ctx_init(&c, path, opts, header, row, ctx, diag);
    if (rc != GRAFT_OK || (fp = open_input(&c, path)) == NULL)
        goto cleanup;
    if ((buf = malloc(size)) == NULL) {
        nomem(&c);
        goto cleanup;
    }
    struct stat st;
    size_t total = fstat(fileno(fp), &st) == 0 ? (size_t)st.st_size : 0;
    size_t done = 0;
    for (;;) {
        size_t n = fread(buf, 1, size, fp);
        int err = errno;
        if (n > 0 && feed(&c, buf, n) != GRAFT_OK)
            goto cleanup;
        done += n;
        if (opts && opts->progress)
            opts->progress(opts->progress_arg, done, total, c.nrows);
        if (n == size)
            continue;
        if (ferror(fp)) {
            c.rc = graft_diag_set(diag, GRAFT_ERR_READ, path, 0, 0,
                                  "cannot read: %s", strerror(err));
            goto cleanup;
        }
        break;
    }
    finish(&c);
cleanup:
    rc = c.rc;
    free(buf);
    if (fp)
        fclose(fp);
    ctx_free(&c);
    return rc;
}

/* graft_read_csv_buffer(), with the fast path when FAST is nonzero. */
static graft_error_t read_buffer(const char *name, const char *buf,
                                 size_t len, const graft_read_opts_t *opts,
                                 int fast, graft_header_fn header,
                                 graft_row_fn row, void *ctx,
                                 graft_diag_t *diag)
{
    csv_ctx_t c;
    size_t size = chunk_size(opts);
    graft_error_t rc = ctx_init(&c, name, opts, header, row, ctx, diag);
    const unsigned char *s = (const unsigned char *)buf;
    c.fast = fast;
    for (size_t off = 0; rc == GRAFT_OK && off < len; off += size) {
        size_t n = len - off < size ? len - off : size;
        rc = feed(&c, s + off, n);
    }
    if (rc == GRAFT_OK)
        rc = finish(&c);
    ctx_free(&c);
    return rc;
}

graft_error_t graft_read_csv_buffer(const char *name, const char *buf,
                                    size_t len, const graft_read_opts_t *opts,
                                    graft_header_fn header, graft_row_fn row,
                                    void *ctx, graft_diag_t *diag)
{
    return read_buffer(name, buf, len, opts, 1, header, row, ctx, diag);
}

graft_error_t graft_read_csv_buffer_libcsv(const char *name, const char *buf,
                                           size_t len,
                                           const graft_read_opts_t *opts,
                                           graft_header_fn header,
                                           graft_row_fn row, void *ctx,
                                           graft_diag_t *diag)
{
    return read_buffer(name, buf, len, opts, 0, header, row, ctx, diag);
}

int graft_is_missing_text(const char *s, size_t len)
{
    return len == 0 || (len == 1 && s[0] == '.') ||
           (len == 2 && s[0] == 'N' && s[1] == 'A');
}

/* ---- entry points for the parallel reader (csv_parallel.c) ----------- */

graft_csv_t *graft_csv_new(const char *file, const graft_read_opts_t *opts,
                           graft_header_fn header, graft_row_fn row,
                           void *ctx, graft_diag_t *diag)
{
    csv_ctx_t *c = malloc(sizeof *c);
    if (!c) {
        graft_diag_set(diag, GRAFT_ERR_NOMEM, file, 0, 0, "out of memory");
        return NULL;
    }
    ctx_init(c, file, opts, header, row, ctx, diag);
    return c;
}

graft_csv_t *graft_csv_fork(const graft_csv_t *from, graft_row_fn row,
                            void *ctx, graft_diag_t *diag)
{
    /* on cache lines of its own: forks parse side by side on other
     * threads, each writing its fields for every row */
    size_t size = (sizeof(csv_ctx_t) + 63) / 64 * 64;
    csv_ctx_t *c = aligned_alloc(64, size);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->file = from->file;
    c->row = row;
    c->user = ctx;
    c->diag = diag;
    csv_init(&c->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    c->delim = from->delim;
    csv_set_delim(&c->parser, c->delim);
    set_words(c);
    c->fast = from->fast;
    c->started = 1;
    c->line = 1;
    c->header_end = from->header_end;
    c->have_header = 1;
    c->ncols = from->ncols;
    c->cols = from->cols; /* borrowed, as are used and the names */
    c->used = from->used;
    size = (c->ncols * sizeof *c->cells + 63) / 64 * 64; /* as c */
    c->cells = aligned_alloc(64, size);
    if (c->cells)
        memset(c->cells, 0, size);
    if (!c->cells) {
        graft_csv_free_fork(c);
        return NULL;
    }
    return c;
}

graft_error_t graft_csv_feed(graft_csv_t *c, const unsigned char *s,
                             size_t n, size_t off, size_t chunk)
{
    while (n > 0 && c->rc == GRAFT_OK) {
        size_t k = chunk - off % chunk;
        if (k > n)
            k = n;
        if (feed(c, s, k) != GRAFT_OK)
            break;
        s += k;
        off += k;
        n -= k;
    }
    return c->rc;
}

int graft_csv_between_rows(const graft_csv_t *c)
{
    return c->rc == GRAFT_OK && c->started && c->have_header &&
           !c->in_record && c->parser.pstate == CSV_ROW_NOT_BEGUN;
}

void graft_csv_restart(graft_csv_t *c, unsigned long line, size_t rows)
{
    c->line = line;
    c->after_cr = 0;
    c->nrows += rows;
}

graft_error_t graft_csv_flush(graft_csv_t *c)
{
    return flush_parser(c);
}

graft_error_t graft_csv_finish(graft_csv_t *c)
{
    return finish(c);
}

unsigned long graft_csv_line(const graft_csv_t *c)
{
    return c->line;
}

size_t graft_csv_rows(const graft_csv_t *c)
{
    return c->nrows;
}

const unsigned char *graft_csv_used(const graft_csv_t *c, size_t *ncols)
{
    *ncols = c->ncols;
    return c->used;
}

size_t graft_csv_chunk(const graft_read_opts_t *opts)
{
    return chunk_size(opts);
}

void graft_csv_free(graft_csv_t *c)
{
    if (!c)
        return;
    ctx_free(c);
    free(c);
}

void graft_csv_free_fork(graft_csv_t *c)
{
    if (!c)
        return;
    c->cols = NULL; /* borrowed */
    c->used = NULL;
    ctx_free(c);
    free(c);
}
