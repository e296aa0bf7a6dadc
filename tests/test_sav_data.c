/*
 * test_sav_data.c - the cases of .sav files decoded without ReadStat's value
 * callbacks (io/sav_data.c) against ReadStat reading them whole.
 *
 * Every file is read twice, with graft_sav_direct(1) and graft_sav_direct(0)
 * (ReadStat alone, the reference), through graft_read_stat() and through
 * graft_read() (a second thread when there are two cores), and the two
 * reads must agree in everything: the result, the diagnostic and its case,
 * the header, every case's line, every cell's kind and number bit for bit
 * (a missing cell's number too), with and without missing codes.
 * The files are written here with ReadStat's writer: raw and bytecode, with
 * the numbers bytecode stores in one byte and in eight, system-missing
 * values, the patterns ReadStat tags missing, infinities, strings of one
 * slot and of several, user-missing values (a range, three values, a range
 * from -inf with a value); then cut at many places in
 * their data, their declared case count and bias changed, and with bytes
 * after the data.  A check that the decoder took each file (graft_sav_layout)
 * keeps the comparison from passing with ReadStat on both sides.
 */
#include "test_util.h"

#include <float.h>
#include <math.h>
#include <readstat.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "graft/reader.h"
#include "io/reader_internal.h" /* graft_read_stat() */
#include "io/sav_data.h"

#define ROWS 12000 /* more than a megabyte raw: several of the buffers */

/* ---- reading ------------------------------------------------------------ */

typedef struct cell {
    int kind;
    uint64_t bits;
    char *str;
} cell_t;

typedef struct got {
    size_t ncols, nrows, cap, header_calls;
    size_t fail_at;       /* fail the row of this line (0: none); the header
                           * when (size_t)-1 */
    cell_t *cells;
    unsigned long *lines;
    char names[16][16];
} got_t;

static graft_error_t on_header(void *ctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    got_t *g = ctx;
    g->header_calls++;
    if (g->fail_at == (size_t)-1)
        return graft_diag_set(diag, GRAFT_ERR_HEADER, "x.sav", 1, 0,
                              "the header refused");
    g->ncols = ncols;
    for (size_t j = 0; j < ncols && j < 16; j++)
        snprintf(g->names[j], sizeof g->names[j], "%s", cols[j].name);
    return GRAFT_OK;
}

static graft_error_t on_row(void *ctx, const graft_cell_t *cells, size_t n,
                            unsigned long line, graft_diag_t *diag)
{
    got_t *g = ctx;
    if (line == g->fail_at)
        return graft_diag_set(diag, GRAFT_ERR_VALUE, "x.sav", line, 3,
                              "row %lu refused", line);
    if (g->nrows == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 1024;
        g->cells = realloc(g->cells, g->cap * n * sizeof *g->cells);
        g->lines = realloc(g->lines, g->cap * sizeof *g->lines);
        assert_non_null(g->cells);
        assert_non_null(g->lines);
    }
    for (size_t j = 0; j < n; j++) {
        cell_t *c = &g->cells[g->nrows * n + j];
        c->kind = cells[j].kind;
        memcpy(&c->bits, &cells[j].num, sizeof c->bits);
        c->str = cells[j].kind == GRAFT_CELL_STRING
                     ? strndup(cells[j].str, cells[j].len)
                     : NULL;
    }
    g->lines[g->nrows++] = line;
    return GRAFT_OK;
}

static void got_free(got_t *g)
{
    for (size_t i = 0; i < g->nrows * g->ncols; i++)
        free(g->cells[i].str);
    free(g->cells);
    free(g->lines);
    memset(g, 0, sizeof *g);
}

/* The columns a read uses: NULL-terminated names (NULL list: all). */
static int uses_listed(void *arg, const char *name)
{
    for (const char *const *n = arg; *n; n++)
        if (strcmp(*n, name) == 0)
            return 1;
    return 0;
}

typedef struct outcome {
    graft_error_t rc;
    graft_diag_t diag;
    got_t got;
} outcome_t;

static size_t fail_at; /* got_t.fail_at of the next reads */
static int with_codes; /* the next reads mark missing codes */

static void read_file(const char *path, const char *const *uses, int piped,
                      outcome_t *o)
{
    graft_read_opts_t opts = {0};
    opts.uses = uses ? uses_listed : NULL;
    opts.uses_arg = (void *)uses;
    opts.bare_values = 1;
    /* codes on every column, among them numbers in one byte and in eight */
    static const double codes[] = {3, 42, 151, -0.0, 1e-300};
    static const graft_missing_spec_t miss = {NULL, codes, 5};
    if (with_codes) {
        opts.missing = &miss;
        opts.n_missing = 1;
    }
    memset(o, 0, sizeof *o);
    o->got.fail_at = fail_at;
    graft_diag_clear(&o->diag);
    if (piped)
        o->rc = graft_read(path, &opts, on_header, on_row, &o->got, &o->diag);
    else
        o->rc = graft_read_stat(path, &opts, on_header, on_row, &o->got,
                                &o->diag);
}

/* PATH read with the decoder and by ReadStat alone: the same in all. */
static void check_same(const char *path, const char *const *uses)
{
    for (int piped = 0; piped < 2; piped++) {
        outcome_t a, b; /* a: the decoder's, b: ReadStat's */
        graft_sav_direct(1);
        read_file(path, uses, piped, &a);
        graft_sav_direct(0);
        read_file(path, uses, piped, &b);
        graft_sav_direct(1);
        if (a.rc != b.rc || strcmp(a.diag.msg, b.diag.msg) != 0 ||
            a.diag.line != b.diag.line)
            fail_msg("%s (piped %d): decoder %s line %lu '%s', ReadStat %s "
                     "line %lu '%s'",
                     path, piped, graft_strerror(a.rc), a.diag.line,
                     a.diag.msg, graft_strerror(b.rc), b.diag.line,
                     b.diag.msg);
        assert_int_equal(a.got.header_calls, b.got.header_calls);
        assert_int_equal(a.got.ncols, b.got.ncols);
        if (a.got.nrows != b.got.nrows)
            fail_msg("%s (piped %d): %zu cases decoded, %zu by ReadStat",
                     path, piped, a.got.nrows, b.got.nrows);
        for (size_t r = 0; r < a.got.nrows; r++) {
            assert_int_equal(a.got.lines[r], b.got.lines[r]);
            for (size_t j = 0; j < a.got.ncols; j++) {
                const cell_t *x = &a.got.cells[r * a.got.ncols + j],
                             *y = &b.got.cells[r * a.got.ncols + j];
                if (x->kind != y->kind ||
                    (x->kind != GRAFT_CELL_STRING && x->bits != y->bits))
                    fail_msg("%s case %zu %s: kind %d %016llx decoded, "
                             "kind %d %016llx by ReadStat",
                             path, r + 1, a.got.names[j], x->kind,
                             (unsigned long long)x->bits, y->kind,
                             (unsigned long long)y->bits);
                if (x->kind == GRAFT_CELL_STRING)
                    assert_string_equal(x->str, y->str);
            }
        }
        got_free(&a.got);
        got_free(&b.got);
    }
}

/* ---- writing ------------------------------------------------------------ */

static ssize_t write_to_file(const void *data, size_t len, void *ctx)
{
    return (ssize_t)fwrite(data, 1, len, ctx);
}

static double from_bits(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Row R's value of "special": the values bytecode and ReadStat treat
 * apart, in turn (a NULL-like -1 stands for an inserted missing value). */
static int special(int r, double *v)
{
    const double vals[] = {
        0.0, -0.0, 151, 152, -99, -100, 0.5, 1e-300, DBL_MAX, -DBL_MAX,
        from_bits(0xFFEFFFFFFFFFFFFEu), /* ReadStat's "lowest" */
        from_bits(0x2020202020202020u), /* eight spaces */
        INFINITY, -INFINITY, 3.0, 42};
    size_t n = sizeof vals / sizeof vals[0];
    if (r % 17 == 16)
        return 0; /* system-missing */
    *v = vals[(size_t)r % 17 % n];
    return 1;
}

/* A .sav of ROWS cases, bytecode when COMPRESS, with numbers, strings and
 * columns with user-missing values. */
static void write_sav(const char *path, int compress)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    readstat_writer_t *w = readstat_writer_init();
    assert_non_null(w);
    readstat_set_data_writer(w, write_to_file);
    readstat_writer_set_compression(w, compress ? READSTAT_COMPRESS_ROWS
                                                : READSTAT_COMPRESS_NONE);
    readstat_variable_t *id = readstat_add_variable(w, "id", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *txt = readstat_add_variable(w, "txt", READSTAT_TYPE_STRING, 6);
    readstat_variable_t *small = readstat_add_variable(w, "small", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *wide = readstat_add_variable(w, "wide", READSTAT_TYPE_STRING, 40);
    readstat_variable_t *frac = readstat_add_variable(w, "frac", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *spec = readstat_add_variable(w, "special", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *coded = readstat_add_variable(w, "coded", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *disc = readstat_add_variable(w, "disc", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *low = readstat_add_variable(w, "low", READSTAT_TYPE_DOUBLE, 0);
    assert_int_equal(readstat_variable_add_missing_double_range(coded, 90, 99),
                     READSTAT_OK);
    /* three values; and a range from -inf ("LO THRU") with one value */
    assert_int_equal(readstat_variable_add_missing_double_value(disc, 1), READSTAT_OK);
    assert_int_equal(readstat_variable_add_missing_double_value(disc, 2.5), READSTAT_OK);
    assert_int_equal(readstat_variable_add_missing_double_value(disc, -7), READSTAT_OK);
    assert_int_equal(readstat_variable_add_missing_double_range(low, -HUGE_VAL, -50),
                     READSTAT_OK);
    assert_int_equal(readstat_variable_add_missing_double_value(low, 151), READSTAT_OK);
    assert_int_equal(readstat_begin_writing_sav(w, f, ROWS), READSTAT_OK);
    for (int r = 0; r < ROWS; r++) {
        char s[64];
        double v;
        assert_int_equal(readstat_begin_row(w), READSTAT_OK);
        readstat_insert_double_value(w, id, r + 1);
        if (r % 5)
            snprintf(s, sizeof s, "t%d", r);
        else
            s[0] = '\0';
        readstat_insert_string_value(w, txt, s);
        readstat_insert_double_value(w, small, r % 251 - 99);
        snprintf(s, sizeof s, "a wider string, case %d", r);
        readstat_insert_string_value(w, wide, r % 7 ? s : "");
        readstat_insert_double_value(w, frac, r * 0.37 - 50);
        if (special(r, &v))
            readstat_insert_double_value(w, spec, v);
        else
            readstat_insert_missing_value(w, spec);
        readstat_insert_double_value(w, coded, r % 101);
        readstat_insert_double_value(w, disc, r % 13 == 12 ? -7 : r % 13 * 0.5 - 2);
        readstat_insert_double_value(w, low, r % 251 - 99);
        assert_int_equal(readstat_end_row(w), READSTAT_OK);
    }
    assert_int_equal(readstat_end_writing(w), READSTAT_OK);
    readstat_writer_free(w);
    assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path, size_t *len)
{
    return test_slurp_must(path, len);
}

static void put(const char *path, const char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static const char *const numbers[] = {"id", "small", "frac", "special", NULL};
static const char *const one[] = {"frac", NULL};
static const char *const with_text[] = {"id", "txt", NULL};
static const char *const with_coded[] = {"id", "coded", "disc", "low",
                                         NULL};

/* The decoder takes PATH (else the comparisons would be of ReadStat with
 * itself). */
static void assert_decodable(const char *path)
{
    graft_sav_layout_t lay;
    int ok = graft_sav_layout(path, &lay);
    graft_sav_layout_free(&lay);
    if (!ok)
        fail_msg("%s: the decoder does not take it", path);
}

/* ---- tests -------------------------------------------------------------- */

/* Whole files, raw and bytecode, read with every column (strings: ReadStat
 * reads), the numbers alone, one column, the user-missing ones (decoded),
 * and a string with a number (ReadStat); then with missing codes. */
static void test_whole_files(void **state)
{
    (void)state;
    for (int compress = 0; compress < 2; compress++) {
        const char *path = test_tmp(compress ? "bytecode.sav" : "raw.sav");
        write_sav(path, compress);
        assert_decodable(path);
        check_same(path, NULL);
        check_same(path, numbers);
        check_same(path, one);
        check_same(path, with_text);
        check_same(path, with_coded);
        with_codes = 1;
        check_same(path, numbers);
        check_same(path, with_coded);
        with_codes = 0;
    }
}

/* The same file cut at places spread over its data, around ReadStat's
 * 64 KiB reads, and at every byte of its last 24. */
static void check_cuts(const char *full, const char *cut)
{
    size_t len;
    char *buf = slurp(full, &len);
    graft_sav_layout_t lay;
    assert_true(graft_sav_layout(full, &lay));
    size_t at = (size_t)lay.data_at;
    graft_sav_layout_free(&lay);
    size_t data = len - at;
    size_t cuts[25 + 15 + 24];
    size_t n = 0;
    for (size_t k = 0; k <= 24; k++)
        cuts[n++] = at + data * k / 24 - (k % 3);
    for (size_t k = 1; k <= 3; k++) {
        size_t b = at + k * 65536;
        if (b + 9 < len) {
            cuts[n++] = b - 1;
            cuts[n++] = b;
            cuts[n++] = b + 1;
            cuts[n++] = b + 8;
            cuts[n++] = b + 9;
        }
    }
    for (size_t k = 24; k > 0; k--)
        cuts[n++] = len - k;
    for (size_t i = 0; i < n; i++) {
        if (cuts[i] < at || cuts[i] > len)
            continue;
        put(cut, buf, cuts[i]);
        check_same(cut, numbers);
    }
    free(buf);
}

static void test_cut_files(void **state)
{
    (void)state;
    for (int compress = 0; compress < 2; compress++) {
        const char *full = test_tmp(compress ? "bytecode.sav" : "raw.sav");
        write_sav(full, compress);
        check_cuts(full, test_tmp("cut.sav"));
    }
}

/* The header changed: fewer cases declared than written (ReadStat stops
 * there), more (it fails), none and an unknown count (ReadStat reads);
 * another bias; bytes after the data. */
static void test_changed_headers(void **state)
{
    (void)state;
    static const int32_t counts[] = {ROWS - 5, ROWS + 5, 1, 0, -1};
    const char *changed = test_tmp("changed.sav");
    for (int compress = 0; compress < 2; compress++) {
        const char *full = test_tmp(compress ? "bytecode.sav" : "raw.sav");
        write_sav(full, compress);
        size_t len;
        char *buf = slurp(full, &len);
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
            char *copy = malloc(len);
            assert_non_null(copy);
            memcpy(copy, buf, len);
            memcpy(copy + 80, &counts[i], 4);
            put(changed, copy, len);
            free(copy);
            check_same(changed, numbers);
        }
        double bias = 50;
        memcpy(buf + 84, &bias, sizeof bias);
        put(changed, buf, len);
        assert_decodable(changed);
        check_same(changed, numbers);
        char *more = malloc(len + 100);
        assert_non_null(more);
        memcpy(more, buf, len);
        memset(more + len, 0xFD, 100);
        put(changed, more, len + 100);
        check_same(changed, numbers);
        free(more);
        free(buf);
    }
}

/* Codes the writer does not use for numbers, put in the first block of
 * codes of the bytecode file: 254 (eight spaces), 255 (system-missing),
 * 0 (nothing: the values after it move a slot) and 252 (the end). */
static void test_other_codes(void **state)
{
    (void)state;
    static const struct {
        size_t at;
        unsigned char code;
    } patches[] = {{2, 254}, {0, 255}, {2, 0}, {0, 0}, {2, 252}, {8, 252}};
    const char *full = test_tmp("bytecode.sav");
    const char *patched = test_tmp("patched.sav");
    write_sav(full, 1);
    graft_sav_layout_t lay;
    assert_true(graft_sav_layout(full, &lay));
    size_t at = (size_t)lay.data_at;
    graft_sav_layout_free(&lay);
    size_t len;
    char *buf = slurp(full, &len);
    for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
        char *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, buf, len);
        copy[at + patches[i].at] = (char)patches[i].code;
        put(patched, copy, len);
        free(copy);
        check_same(patched, numbers);
        check_same(patched, NULL);
    }
    free(buf);
}

/* opts.progress while a file is decoded, and while a cut one is decoded
 * then read again by ReadStat: the bytes never go back; the whole file
 * and every case at the end. */
static void test_progress(void **state)
{
    (void)state;
    const char *full = test_tmp("bytecode.sav");
    const char *cut = test_tmp("cut.sav");
    write_sav(full, 1);
    size_t len;
    char *buf = slurp(full, &len);
    put(cut, buf, len - len / 3);
    free(buf);
    for (int piped = 0; piped < 2; piped++)
        for (int i = 0; i < 2; i++) {
            test_progress_t prog = {0};
            graft_read_opts_t opts = {0};
            opts.uses = uses_listed;
            opts.uses_arg = (void *)numbers;
            opts.progress = test_progress_fn;
            opts.progress_arg = &prog;
            got_t g = {0};
            graft_diag_t d;
            graft_diag_clear(&d);
            const char *path = i ? cut : full;
            graft_error_t rc =
                piped ? graft_read(path, &opts, on_header, on_row, &g, &d)
                      : graft_read_stat(path, &opts, on_header, on_row, &g,
                                        &d);
            if (i == 0) {
                assert_int_equal(rc, GRAFT_OK);
                assert_int_equal(g.nrows, ROWS);
                assert_true(prog.calls > 2); /* along the way */
                test_progress_check(&prog, path, g.nrows);
            } else {
                assert_int_equal(rc, GRAFT_ERR_FORMAT);
                if (prog.bad[0])
                    fail_msg("%s: %s", path, prog.bad);
            }
            got_free(&g);
        }
}

/* The callbacks stop the reading: the header, the first case, a case in
 * the middle, the last. */
static void test_callback_errors(void **state)
{
    (void)state;
    const size_t at[] = {(size_t)-1, 1, 777, ROWS};
    for (int compress = 0; compress < 2; compress++) {
        const char *path = test_tmp(compress ? "bytecode.sav" : "raw.sav");
        write_sav(path, compress);
        for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
            fail_at = at[i];
            check_same(path, numbers);
            check_same(path, with_coded);
            outcome_t o; /* the error did come, after the cases before */
            read_file(path, numbers, 1, &o);
            assert_int_equal(o.rc, i == 0 ? GRAFT_ERR_HEADER : GRAFT_ERR_VALUE);
            assert_int_equal(o.got.nrows, i == 0 ? 0 : at[i] - 1);
            got_free(&o.got);
        }
        fail_at = 0;
    }
}

/* The fixture and, when ../shared is there, a real survey: its numeric
 * columns (strings and all, it is decoded when only numbers are read). */
static void test_real_files(void **state)
{
    (void)state;
    static const char *const fixture[] = {"id", "x", "wt", NULL};
    assert_decodable("tests/data/stat/survey.sav");
    check_same("tests/data/stat/survey.sav", fixture);
    check_same("tests/data/stat/survey.sav", NULL);
    if (!test_file_exists(SHARED_AFRO "/tun_r7_data.sav")) {
        printf("SKIP test_real_files (Afrobarometer R7): " SHARED_AFRO
               " is absent in this clone\n");
        return;
    }
    static const char *const afro[] = {"REGION", "URBRUR", "withinwt", "Q1",
                                       "Q4A", "Q101", "EA_SVC_A", NULL};
    assert_decodable(SHARED_AFRO "/tun_r7_data.sav");
    check_same(SHARED_AFRO "/tun_r7_data.sav", afro);
    check_same(SHARED_AFRO "/tun_r7_data.sav", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_files),
        cmocka_unit_test(test_cut_files),
        cmocka_unit_test(test_changed_headers),
        cmocka_unit_test(test_other_codes),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_callback_errors),
        cmocka_unit_test(test_real_files),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    test_tmp_dir_remove();
    return failed;
}
