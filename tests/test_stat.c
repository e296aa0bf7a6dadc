/*
 * test_stat.c - graft_read_stat(): SPSS, Stata and SAS files through
 * ReadStat.
 *
 * The fixtures in tests/data/stat/ and R's view of each of them (F.values.csv,
 * F.meta.csv) come from tests/R/make_stat_fixtures.R; every value, variable
 * label and value label graft reads is compared with what haven reads.  The
 * .por file and the file without variables are written at test time with
 * ReadStat's writer (haven cannot write them).  The Afrobarometer tests read
 * the real files in ../shared/data/afrobarometer and skip when it is absent.
 */
#include "test_util.h"

#include <readstat.h>
#include <unistd.h>

#include "io/pipe.h"
#include "graft/reader.h"

#define STAT_DIR "tests/data/stat/"

/* ---- temporary files ---------------------------------------------------- */

/* NAME in this process's temporary directory (test_util.h). */
static void tmp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", test_tmp_dir(), name);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Copy the first NUM/DEN of SRC to DST. */
static void copy_part(const char *src, const char *dst, size_t num, size_t den)
{
    size_t len;
    char *buf = test_slurp_must(src, &len);
    write_file(dst, buf, len * num / den);
    free(buf);
}

/* ---- R's expected CSV files ---------------------------------------------- */

typedef struct csv_field {
    char *text;
    int quoted;
} csv_field_t;

typedef struct csv_row {
    csv_field_t *f;
    size_t n;
} csv_row_t;

typedef struct csv_table {
    csv_row_t *rows;
    size_t n;
} csv_table_t;

/* Parse the CSV R writes: "," separated, "\n" ended, strings in quotes with
 * "" for a quote, everything else unquoted. */
static csv_table_t load_csv(const char *path)
{
    size_t len, i = 0;
    char *buf = test_slurp_must(path, &len);
    csv_table_t t = {NULL, 0};
    while (i < len) {
        csv_row_t row = {NULL, 0};
        for (;;) {
            csv_field_t fld = {malloc(len - i + 1), 0};
            size_t k = 0;
            assert_non_null(fld.text);
            if (buf[i] == '"') {
                fld.quoted = 1;
                for (i++; i < len; i++) {
                    if (buf[i] == '"' && i + 1 < len && buf[i + 1] == '"')
                        fld.text[k++] = buf[i++];
                    else if (buf[i] == '"')
                        break;
                    else
                        fld.text[k++] = buf[i];
                }
                i++; /* the closing quote */
            } else {
                while (i < len && buf[i] != ',' && buf[i] != '\n')
                    fld.text[k++] = buf[i++];
            }
            fld.text[k] = '\0';
            row.f = realloc(row.f, (row.n + 1) * sizeof *row.f);
            assert_non_null(row.f);
            row.f[row.n++] = fld;
            if (i < len && buf[i] == ',') {
                i++;
                continue;
            }
            if (i < len && buf[i] == '\n')
                i++;
            break;
        }
        t.rows = realloc(t.rows, (t.n + 1) * sizeof *t.rows);
        assert_non_null(t.rows);
        t.rows[t.n++] = row;
    }
    free(buf);
    return t;
}

static void free_csv(csv_table_t *t)
{
    for (size_t r = 0; r < t->n; r++) {
        for (size_t j = 0; j < t->rows[r].n; j++)
            free(t->rows[r].f[j].text);
        free(t->rows[r].f);
    }
    free(t->rows);
}

/* ---- a collector of everything the reader delivers ----------------------- */

typedef struct got_cell {
    graft_cell_kind_t kind;
    double num;
    char *str;
} got_cell_t;

typedef struct collect collect_t;
struct collect {
    int header_calls;
    size_t rows_at_header;  /* rows seen before the header: must be 0 */
    size_t ncols;
    char **names, **labels;
    graft_coltype_t *types;
    size_t *nlabels;        /* graft_labelset_count of each column */

    const csv_table_t *meta; /* value labels to look up at header time */
    int label_errors;
    char label_error[512];
    void (*at_header)(collect_t *c, const graft_column_t *cols, size_t n);
    int probe_ok;           /* set by at_header hooks */

    got_cell_t *cells;      /* nrows * ncols */
    unsigned long *lines;
    size_t nrows, cap;
    int contract_errors;
    char contract_error[512];

    graft_error_t header_rc; /* returned by the header when set */
    size_t abort_row;        /* the row (1-based) that returns abort_rc */
    graft_error_t abort_rc;
};

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    char *d = malloc(strlen(s) + 1);
    assert_non_null(d);
    return strcpy(d, s);
}

static int find_col(const char *const *names, size_t n, const char *name)
{
    for (size_t j = 0; j < n; j++)
        if (strcmp(names[j], name) == 0)
            return (int)j;
    return -1;
}

/* Look up every "label" line of C->meta in the header's label sets: they
 * are freed when the read ends, so this runs inside the header call. */
static void check_labels_at_header(collect_t *c, const graft_column_t *cols,
                                   size_t ncols)
{
    for (size_t r = 0; r < c->meta->n; r++) {
        const csv_row_t *m = &c->meta->rows[r];
        if (strcmp(m->f[0].text, "label") != 0)
            continue;
        int j = -1;
        for (size_t k = 0; k < ncols; k++)
            if (strcmp(cols[k].name, m->f[1].text) == 0)
                j = (int)k;
        const char *got = NULL;
        if (j >= 0 && m->f[2].quoted)
            got = graft_labelset_str(cols[j].labels, m->f[2].text);
        else if (j >= 0)
            got = graft_labelset_num(cols[j].labels, strtod(m->f[2].text, NULL));
        if (!got || strcmp(got, m->f[3].text) != 0) {
            if (!c->label_errors++)
                snprintf(c->label_error, sizeof c->label_error,
                         "%s code %s: label '%s', want '%s'", m->f[1].text,
                         m->f[2].text, got ? got : "(none)", m->f[3].text);
        }
    }
}

static graft_error_t on_header(void *vctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    collect_t *c = vctx;
    c->header_calls++;
    c->rows_at_header = c->nrows;
    c->ncols = ncols;
    c->names = calloc(ncols, sizeof *c->names);
    c->labels = calloc(ncols, sizeof *c->labels);
    c->types = calloc(ncols, sizeof *c->types);
    c->nlabels = calloc(ncols, sizeof *c->nlabels);
    assert_true(c->names && c->labels && c->types && c->nlabels);
    for (size_t j = 0; j < ncols; j++) {
        c->names[j] = dup_or_null(cols[j].name);
        c->labels[j] = dup_or_null(cols[j].label);
        c->types[j] = cols[j].type;
        c->nlabels[j] = graft_labelset_count(cols[j].labels);
    }
    if (c->meta)
        check_labels_at_header(c, cols, ncols);
    if (c->at_header)
        c->at_header(c, cols, ncols);
    if (c->header_rc != GRAFT_OK)
        return graft_diag_set(diag, c->header_rc, "callback", 7, 0,
                              "header says stop");
    return GRAFT_OK;
}

static void contract_error(collect_t *c, unsigned long line, size_t j,
                           const char *what)
{
    if (!c->contract_errors++)
        snprintf(c->contract_error, sizeof c->contract_error,
                 "case %lu column %zu: %s", line, j, what);
}

static graft_error_t on_row(void *vctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    collect_t *c = vctx;
    if (ncols != c->ncols)
        contract_error(c, line, ncols, "row width differs from the header");
    if (c->nrows == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 32;
        c->cells = realloc(c->cells, c->cap * c->ncols * sizeof *c->cells);
        c->lines = realloc(c->lines, c->cap * sizeof *c->lines);
        assert_true(c->cells && c->lines);
    }
    got_cell_t *out = &c->cells[c->nrows * c->ncols];
    for (size_t j = 0; j < c->ncols && j < ncols; j++) {
        const graft_cell_t *cell = &cells[j];
        out[j].kind = cell->kind;
        out[j].num = cell->num;
        out[j].str = NULL;
        if (cell->kind == GRAFT_CELL_STRING) {
            if (!cell->str || strlen(cell->str) != cell->len || cell->len == 0)
                contract_error(c, line, j, "string cell without its text");
            else
                out[j].str = dup_or_null(cell->str);
        } else if (cell->str || cell->len) {
            contract_error(c, line, j, "non-string cell with text");
        }
    }
    c->lines[c->nrows++] = line;
    if (c->abort_row && c->nrows == c->abort_row)
        return graft_diag_set(diag, c->abort_rc, "callback", line, 3,
                              "row says stop");
    return GRAFT_OK;
}

static void collect_free(collect_t *c)
{
    for (size_t j = 0; j < c->ncols; j++) {
        if (c->names)
            free(c->names[j]);
        if (c->labels)
            free(c->labels[j]);
    }
    for (size_t i = 0; i < c->nrows * c->ncols; i++)
        free(c->cells[i].str);
    free(c->names);
    free(c->labels);
    free(c->types);
    free(c->nlabels);
    free(c->cells);
    free(c->lines);
}

static const got_cell_t *cell_at(const collect_t *c, size_t row,
                                 const char *col)
{
    int j = find_col((const char *const *)c->names, c->ncols, col);
    if (j < 0)
        fail_msg("no column %s", col);
    if (row >= c->nrows)
        fail_msg("no row %zu", row + 1);
    return &c->cells[row * c->ncols + (size_t)j];
}

static void assert_missing(const collect_t *c, size_t row, const char *col)
{
    const got_cell_t *g = cell_at(c, row, col);
    if (g->kind != GRAFT_CELL_MISSING)
        fail_msg("case %zu %s: kind %d, want missing", row + 1, col, g->kind);
}

static void assert_number(const collect_t *c, size_t row, const char *col,
                          double want)
{
    const got_cell_t *g = cell_at(c, row, col);
    if (g->kind != GRAFT_CELL_NUMBER)
        fail_msg("case %zu %s: kind %d, want number", row + 1, col, g->kind);
    assert_close(g->num, want, REL_TOL, 0.0);
}

static void assert_string(const collect_t *c, size_t row, const char *col,
                          const char *want)
{
    const got_cell_t *g = cell_at(c, row, col);
    if (g->kind != GRAFT_CELL_STRING)
        fail_msg("case %zu %s: kind %d, want string", row + 1, col, g->kind);
    assert_string_equal(g->str, want);
}

/* Read PATH into C; returns the reader's code and fills DIAG. */
static graft_error_t read_into(const char *path, collect_t *c,
                               graft_diag_t *diag)
{
    graft_diag_clear(diag);
    return graft_read_stat(path, NULL, on_header, on_row, c, diag);
}

static void read_ok(const char *path, collect_t *c)
{
    graft_diag_t d;
    graft_error_t rc = read_into(path, c, &d);
    if (rc != GRAFT_OK)
        fail_msg("%s: %s (%s)", path, d.msg, graft_strerror(rc));
    assert_int_equal(c->header_calls, 1);
    assert_int_equal(c->rows_at_header, 0);
    if (c->contract_errors)
        fail_msg("%s: %s", path, c->contract_error);
}

/* ---- every format against R's view --------------------------------------- */

static void compare_meta(const collect_t *c, const csv_table_t *meta)
{
    size_t j = 0;
    for (size_t r = 0; r < meta->n; r++) {
        const csv_row_t *m = &meta->rows[r];
        if (strcmp(m->f[0].text, "column") != 0)
            continue;
        if (j >= c->ncols)
            fail_msg("missing column %s", m->f[1].text);
        assert_string_equal(c->names[j], m->f[1].text);
        assert_int_equal(c->types[j], strcmp(m->f[2].text, "string") == 0
                                          ? GRAFT_COL_STRING
                                          : GRAFT_COL_NUMERIC);
        if (!m->f[3].quoted && strcmp(m->f[3].text, "NA") == 0)
            assert_null(c->labels[j]);
        else
            assert_string_equal(c->labels[j] ? c->labels[j] : "(none)",
                                m->f[3].text);
        size_t want = 0;
        for (size_t k = 0; k < meta->n; k++)
            if (strcmp(meta->rows[k].f[0].text, "label") == 0 &&
                strcmp(meta->rows[k].f[1].text, m->f[1].text) == 0)
                want++;
        if (c->nlabels[j] != want)
            fail_msg("%s: %zu value labels, want %zu", c->names[j],
                     c->nlabels[j], want);
        j++;
    }
    assert_int_equal(c->ncols, j);
}

static void compare_values(const collect_t *c, const csv_table_t *values)
{
    assert_true(values->n >= 1);
    assert_int_equal(values->rows[0].n, c->ncols);
    for (size_t j = 0; j < c->ncols; j++)
        assert_string_equal(c->names[j], values->rows[0].f[j].text);
    assert_int_equal(c->nrows, values->n - 1);
    for (size_t r = 0; r < c->nrows; r++) {
        assert_int_equal(c->lines[r], r + 1);
        const csv_row_t *want = &values->rows[r + 1];
        assert_int_equal(want->n, c->ncols);
        for (size_t j = 0; j < c->ncols; j++) {
            const got_cell_t *g = &c->cells[r * c->ncols + j];
            const csv_field_t *w = &want->f[j];
            graft_cell_kind_t kind =
                w->quoted ? (w->text[0] ? GRAFT_CELL_STRING
                                        : GRAFT_CELL_MISSING)
                : strcmp(w->text, "NA") == 0 ? GRAFT_CELL_MISSING
                                             : GRAFT_CELL_NUMBER;
            if (g->kind != kind)
                fail_msg("case %zu %s: kind %d, R has %s%s%s", r + 1,
                         c->names[j], g->kind, w->quoted ? "\"" : "",
                         w->text, w->quoted ? "\"" : "");
            if (kind == GRAFT_CELL_STRING && strcmp(g->str, w->text) != 0)
                fail_msg("case %zu %s: '%s', R has '%s'", r + 1, c->names[j],
                         g->str, w->text);
            if (kind == GRAFT_CELL_NUMBER)
                assert_close(g->num, strtod(w->text, NULL), 1e-15, 0.0);
        }
    }
}

/* Read STAT_DIR/FILE and compare it with STAT_DIR/STEM.{values,meta}.csv. */
static void check_fixture(const char *file, const char *stem)
{
    char path[256], vpath[256], mpath[256];
    snprintf(path, sizeof path, STAT_DIR "%s", file);
    snprintf(vpath, sizeof vpath, STAT_DIR "%s.values.csv", stem);
    snprintf(mpath, sizeof mpath, STAT_DIR "%s.meta.csv", stem);
    csv_table_t values = load_csv(vpath), meta = load_csv(mpath);
    collect_t c = {0};
    c.meta = &meta;
    read_ok(path, &c);
    if (c.label_errors)
        fail_msg("%s: %d value labels differ from R's; first: %s", path,
                 c.label_errors, c.label_error);
    compare_meta(&c, &meta);
    compare_values(&c, &values);
    assert_int_equal(c.nrows, 24);
    collect_free(&c);
    free_csv(&values);
    free_csv(&meta);
}

static void test_sav_matches_r(void **state)
{
    (void)state;
    check_fixture("survey.sav", "survey_sav");
}

static void test_zsav_matches_r(void **state)
{
    (void)state;
    check_fixture("survey.zsav", "survey_zsav");
}

static void test_dta_matches_r(void **state)
{
    (void)state;
    check_fixture("survey.dta", "survey_dta");
}

static void test_xpt_matches_r(void **state)
{
    (void)state;
    check_fixture("survey.xpt", "survey_xpt");
}

static void test_sas7bdat_matches_r(void **state)
{
    (void)state;
    check_fixture("survey.sas7bdat", "survey_sas7bdat");
}

/* ---- columns the caller does not read ------------------------------------ */

/* uses(): every other column, by name, and never the last one (so that a
 * case must end at an earlier column). */
typedef struct pick {
    char names[64][64];
    size_t n;
} pick_t;

static int uses_picked(void *arg, const char *name)
{
    const pick_t *p = arg;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->names[i], name) == 0)
            return 1;
    return 0;
}

/* Columns 1, 3, 5, ... of what C read, never the first or the last (64 at
 * most). */
static pick_t pick_every_other(const collect_t *c)
{
    pick_t pick = {0};
    for (size_t j = 1; j + 1 < c->ncols && pick.n < 64; j += 2)
        snprintf(pick.names[pick.n++], sizeof pick.names[0], "%s",
                 c->names[j]);
    return pick;
}

/* Read FILE whole, then again skipping columns: the read columns are the
 * same cell for cell, the skipped ones missing without text (the first
 * too, which ReadStat must still read so that every case comes), and
 * every case still comes. */
static void check_skipping(const char *file)
{
    char path[256];
    snprintf(path, sizeof path, STAT_DIR "%s", file);
    collect_t all = {0}, some = {0};
    read_ok(path, &all);
    pick_t pick = pick_every_other(&all);
    assert_true(pick.n >= 2);
    graft_read_opts_t opts = {0};
    opts.uses = uses_picked;
    opts.uses_arg = &pick;
    graft_diag_t d;
    graft_diag_clear(&d);
    graft_error_t rc = graft_read_stat(path, &opts, on_header, on_row, &some,
                                       &d);
    if (rc != GRAFT_OK)
        fail_msg("%s: %s (%s)", path, d.msg, graft_strerror(rc));
    if (some.contract_errors)
        fail_msg("%s: %s", path, some.contract_error);
    assert_int_equal(some.ncols, all.ncols);
    assert_int_equal(some.nrows, all.nrows);
    size_t skipped = 0;
    for (size_t r = 0; r < all.nrows; r++) {
        assert_int_equal(some.lines[r], all.lines[r]);
        for (size_t j = 0; j < all.ncols; j++) {
            const got_cell_t *a = &all.cells[r * all.ncols + j],
                             *b = &some.cells[r * all.ncols + j];
            if (!uses_picked(&pick, all.names[j])) {
                if (b->kind != GRAFT_CELL_MISSING)
                    fail_msg("%s case %zu %s: skipped but kind %d", path,
                             r + 1, all.names[j], b->kind);
                skipped += a->kind != GRAFT_CELL_MISSING;
                continue;
            }
            assert_int_equal(b->kind, a->kind);
            if (a->kind == GRAFT_CELL_NUMBER)
                assert_memory_equal(&b->num, &a->num, sizeof a->num);
            if (a->kind == GRAFT_CELL_STRING)
                assert_string_equal(b->str, a->str);
        }
    }
    assert_true(skipped > 0); /* some value was there to skip */
    collect_free(&all);
    collect_free(&some);
}

static void test_skip_columns(void **state)
{
    (void)state;
    static const char *const files[] = {"survey.sav", "survey.zsav",
                                        "survey.dta", "survey.xpt",
                                        "survey.sas7bdat"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        check_skipping(files[i]);
}

/* ---- straight into the pipe --------------------------------------------- */

/* A header callback that starts a pipe to the collector, as graft_read()
 * does, for graft_read_stat_piped() to write the cases into. */
typedef struct piped {
    collect_t *out;
    const graft_read_opts_t *opts;
    graft_pipe_t *pipe;
} piped_t;

static graft_error_t piped_header(void *vctx, const graft_column_t *cols,
                                  size_t ncols, graft_diag_t *diag)
{
    piped_t *p = vctx;
    graft_error_t rc = on_header(p->out, cols, ncols, diag);
    if (rc != GRAFT_OK)
        return rc;
    unsigned char *used = malloc(ncols ? ncols : 1);
    assert_non_null(used);
    for (size_t j = 0; j < ncols; j++)
        used[j] = !p->opts || !p->opts->uses ||
                  p->opts->uses(p->opts->uses_arg, cols[j].name);
    p->pipe = graft_pipe_start(ncols, used, 1, on_row, p->out);
    free(used);
    assert_non_null(p->pipe);
    return GRAFT_OK;
}

static graft_error_t no_row(void *vctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    (void)vctx;
    (void)cells;
    (void)ncols;
    return graft_diag_set(diag, GRAFT_ERR_VALUE, "no_row", line, 0,
                          "ROW called although the cases go to the pipe");
}

/* Read PATH with OPTS alone and straight into a pipe: the same cases, cell
 * for cell and bit for bit. */
static void check_piped(const char *path, const graft_read_opts_t *opts)
{
    collect_t alone = {0}, piped = {0};
    graft_diag_t d;
    graft_diag_clear(&d);
    graft_error_t rc =
        graft_read_stat(path, opts, on_header, on_row, &alone, &d);
    if (rc != GRAFT_OK)
        fail_msg("%s: %s (%s)", path, d.msg, graft_strerror(rc));
    piped_t p = {&piped, opts, NULL};
    rc = graft_read_stat_piped(path, opts, piped_header, no_row, &p, &p.pipe,
                               &d);
    assert_non_null(p.pipe);
    rc = graft_pipe_finish(p.pipe, rc, &d);
    if (rc != GRAFT_OK)
        fail_msg("%s piped: %s (%s)", path, d.msg, graft_strerror(rc));
    if (alone.contract_errors || piped.contract_errors)
        fail_msg("%s: %s%s", path, alone.contract_error,
                 piped.contract_error);
    assert_int_equal(piped.ncols, alone.ncols);
    assert_int_equal(piped.nrows, alone.nrows);
    for (size_t r = 0; r < alone.nrows; r++) {
        assert_int_equal(piped.lines[r], alone.lines[r]);
        for (size_t j = 0; j < alone.ncols; j++) {
            const got_cell_t *a = &alone.cells[r * alone.ncols + j],
                             *b = &piped.cells[r * alone.ncols + j];
            if (b->kind != a->kind)
                fail_msg("%s case %zu %s: kind %d piped, %d alone", path,
                         r + 1, alone.names[j], b->kind, a->kind);
            if (a->kind == GRAFT_CELL_NUMBER)
                assert_memory_equal(&b->num, &a->num, sizeof a->num);
            if (a->kind == GRAFT_CELL_STRING)
                assert_string_equal(b->str, a->str);
        }
    }
    collect_free(&alone);
    collect_free(&piped);
}

/* Every column, then every other one (never the first), of each fixture
 * and, when ../shared is there, of the three Afrobarometer files (their
 * hundreds of columns fill many batches, each used again). */
static void test_piped_same(void **state)
{
    (void)state;
    static const char *const files[] = {
        STAT_DIR "survey.sav",       STAT_DIR "survey.zsav",
        STAT_DIR "survey.dta",       STAT_DIR "survey.xpt",
        STAT_DIR "survey.sas7bdat",  SHARED_AFRO "/tun_r7_data.sav",
        SHARED_AFRO "/tun_r8_data.sav", SHARED_AFRO "/tun_r9_data.sav"};
    size_t n = sizeof files / sizeof files[0];
    if (access(SHARED_AFRO, R_OK) != 0) {
        printf("SKIP test_piped_same (the Afrobarometer files): %s is "
               "absent in this clone\n",
               SHARED_AFRO);
        n -= 3;
    }
    for (size_t i = 0; i < n; i++) {
        check_piped(files[i], NULL);
        collect_t all = {0};
        read_ok(files[i], &all);
        pick_t pick = pick_every_other(&all);
        collect_free(&all);
        graft_read_opts_t opts = {0};
        opts.uses = uses_picked;
        opts.uses_arg = &pick;
        check_piped(files[i], &opts);
    }
}

/* ---- progress ----------------------------------------------------------- */

/* opts.progress follows ReadStat's reading of each fixture and, when
 * ../shared is there, of the Afrobarometer R7 file (a megabyte: many of
 * ReadStat's buffers), alone and through a pipe. */
static void test_progress(void **state)
{
    (void)state;
    const char *files[] = {STAT_DIR "survey.sav", STAT_DIR "survey.zsav",
                           STAT_DIR "survey.dta", STAT_DIR "survey.xpt",
                           STAT_DIR "survey.sas7bdat",
                           SHARED_AFRO "/tun_r7_data.sav"};
    size_t n = sizeof files / sizeof files[0];
    if (!test_file_exists(files[n - 1])) {
        printf("SKIP test_progress (the Afrobarometer file): %s is absent "
               "in this clone\n",
               SHARED_AFRO);
        n--;
    }
    for (size_t i = 0; i < n; i++)
        for (int piped = 0; piped < 2; piped++) {
            test_progress_t prog = {0};
            graft_read_opts_t opts = {0};
            opts.progress = test_progress_fn;
            opts.progress_arg = &prog;
            collect_t c = {0};
            piped_t p = {&c, &opts, NULL};
            graft_diag_t d;
            graft_diag_clear(&d);
            graft_error_t rc =
                piped ? graft_read_stat_piped(files[i], &opts, piped_header,
                                              no_row, &p, &p.pipe, &d)
                      : graft_read_stat(files[i], &opts, on_header, on_row,
                                        &c, &d);
            if (p.pipe)
                rc = graft_pipe_finish(p.pipe, rc, &d);
            if (rc != GRAFT_OK)
                fail_msg("%s: %s (%s)", files[i], d.msg, graft_strerror(rc));
            test_progress_check(&prog, files[i], c.nrows);
            if (i == n - 1 && n == sizeof files / sizeof files[0])
                assert_true(prog.calls >= 10); /* 1 MB in 64 KiB reads */
            collect_free(&c);
        }
}

/* ---- missing values and labels, case by case ----------------------------- */

/* The fixture's cases 1-8 hold every bribery code in turn (0 1 2 3 7 8 9
 * -1), case 7 has an empty town, case 4 the country code "ZZ", case 3 the
 * income 999 and case 5 no x. */
static void test_sav_missing_kinds(void **state)
{
    (void)state;
    collect_t c = {0};
    read_ok(STAT_DIR "survey.sav", &c);
    assert_number(&c, 4, "q", 7);    /* 7 is labelled, not missing */
    assert_missing(&c, 5, "q");      /* 8: user-missing (discrete) */
    assert_missing(&c, 6, "q");      /* 9: user-missing */
    assert_missing(&c, 7, "q");      /* -1: user-missing */
    assert_missing(&c, 2, "inc");    /* 999: user-missing range 900..HI */
    assert_number(&c, 0, "inc", 53.9);
    assert_missing(&c, 4, "x");      /* system missing */
    assert_missing(&c, 3, "cc");     /* "ZZ": user-missing string */
    assert_string(&c, 0, "cc", "TN");
    assert_missing(&c, 6, "s");      /* empty string */
    assert_string(&c, 2, "s", "Gab\xc3\xa8s");
    assert_string(&c, 4, "s", "dit \"non\"");
    /* 2018-04-22 as SPSS stores it: seconds since 1582-10-14. */
    assert_number(&c, 0, "d", 13742524800.0);
    collect_free(&c);
}

static void test_dta_tagged_missing(void **state)
{
    (void)state;
    collect_t c = {0};
    read_ok(STAT_DIR "survey.dta", &c);
    assert_number(&c, 4, "q", 7);
    assert_missing(&c, 5, "q");      /* .r */
    assert_missing(&c, 6, "q");      /* .d */
    assert_missing(&c, 7, "q");      /* . */
    assert_number(&c, 2, "inc", 999); /* no user-missing in Stata */
    assert_string(&c, 3, "cc", "ZZ");
    assert_missing(&c, 6, "s");
    assert_number(&c, 0, "id", 401962); /* a Stata long (int32) */
    assert_number(&c, 0, "d", 21282);   /* days since 1960-01-01 */
    collect_free(&c);
}

static void test_sas_special_missing(void **state)
{
    (void)state;
    const char *files[] = {STAT_DIR "survey.xpt", STAT_DIR "survey.sas7bdat"};
    for (size_t i = 0; i < 2; i++) {
        collect_t c = {0};
        read_ok(files[i], &c);
        const char *q = c.ncols && strcmp(c.names[4], "Q") == 0 ? "Q" : "q";
        assert_number(&c, 4, q, 7);
        assert_missing(&c, 5, q); /* .R */
        assert_missing(&c, 6, q); /* .D */
        assert_missing(&c, 7, q); /* . */
        collect_free(&c);
    }
}

/* Stata writes its value labels after the data: they must be complete
 * when the header is called, before the first row. */
static void probe_dta_labels(collect_t *c, const graft_column_t *cols,
                             size_t n)
{
    assert_int_equal(n, 9);
    assert_int_equal(c->nrows, 0);
    assert_string_equal(cols[3].name, "region");
    assert_non_null(cols[3].labels);
    assert_string_equal(graft_labelset_num(cols[3].labels, 1), "Great Tunis");
    assert_string_equal(graft_labelset_num(cols[3].labels, 7), "South West");
    assert_null(graft_labelset_num(cols[3].labels, 8));
    assert_string_equal(cols[4].name, "q");
    assert_string_equal(graft_labelset_num(cols[4].labels, 7), "No contact");
    assert_int_equal(graft_labelset_count(cols[4].labels), 5); /* no .r .d */
    assert_null(cols[0].labels);
    assert_null(cols[6].labels);
    c->probe_ok = 1;
}

static void test_dta_labels_at_header(void **state)
{
    (void)state;
    collect_t c = {0};
    c.at_header = probe_dta_labels;
    read_ok(STAT_DIR "survey.dta", &c);
    assert_true(c.probe_ok);
    assert_int_equal(c.nrows, 24);
    collect_free(&c);
}

static void probe_sav_labels(collect_t *c, const graft_column_t *cols,
                             size_t n)
{
    assert_int_equal(n, 9);
    assert_string_equal(graft_labelset_num(cols[3].labels, 1), "Great Tunis");
    assert_string_equal(graft_labelset_num(cols[4].labels, 8), "Refused");
    assert_string_equal(graft_labelset_num(cols[4].labels, -1), "Missing");
    assert_string_equal(cols[7].name, "cc");
    assert_string_equal(graft_labelset_str(cols[7].labels, "TN"), "Tunis");
    assert_null(graft_labelset_str(cols[7].labels, "GB"));
    assert_null(graft_labelset_num(cols[7].labels, 1));
    assert_string_equal(cols[2].label, "Within-country weight");
    assert_null(cols[0].label);
    c->probe_ok = 1;
}

static void test_sav_string_labels(void **state)
{
    (void)state;
    collect_t c = {0};
    c.at_header = probe_sav_labels;
    read_ok(STAT_DIR "survey.zsav", &c);
    assert_true(c.probe_ok);
    collect_free(&c);
}

static void test_extension_any_case(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "SURVEY.DTA");
    copy_part(STAT_DIR "survey.dta", path, 1, 1);
    collect_t c = {0};
    read_ok(path, &c);
    assert_int_equal(c.nrows, 24);
    assert_int_equal(c.ncols, 9);
    collect_free(&c);
}

/* ---- .por, written here with ReadStat's writer --------------------------- */

static ssize_t write_to_file(const void *data, size_t len, void *ctx)
{
    return fwrite(data, 1, len, ctx) == len ? (ssize_t)len : -1;
}

#define POR_ROWS 5
static const double por_x[POR_ROWS] = {3.14159265358979, -2718.28182845904,
                                       0.000123456789012, 0, 1.41421356237};
static const double por_q[POR_ROWS] = {1, 8, 2, 9, 3};
static const char *const por_s[POR_ROWS] = {"Tunis", "", "Sfax", "Gabes",
                                            "Bizerte"};

static void write_por(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    readstat_writer_t *w = readstat_writer_init();
    assert_non_null(w);
    readstat_set_data_writer(w, write_to_file);
    readstat_label_set_t *ls = readstat_add_label_set(w, READSTAT_TYPE_DOUBLE,
                                                      "labels0");
    readstat_label_double_value(ls, 1, "Once or twice");
    readstat_label_double_value(ls, 8, "Refused");
    readstat_variable_t *x = readstat_add_variable(w, "X", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *q = readstat_add_variable(w, "Q", READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_t *s = readstat_add_variable(w, "S", READSTAT_TYPE_STRING, 16);
    readstat_variable_set_label(x, "A number");
    readstat_variable_set_label_set(q, ls);
    assert_int_equal(readstat_variable_add_missing_double_value(q, 8), READSTAT_OK);
    assert_int_equal(readstat_variable_add_missing_double_value(q, 9), READSTAT_OK);
    assert_int_equal(readstat_begin_writing_por(w, f, POR_ROWS), READSTAT_OK);
    for (int r = 0; r < POR_ROWS; r++) {
        assert_int_equal(readstat_begin_row(w), READSTAT_OK);
        if (r == 3)
            assert_int_equal(readstat_insert_missing_value(w, x), READSTAT_OK);
        else
            assert_int_equal(readstat_insert_double_value(w, x, por_x[r]),
                             READSTAT_OK);
        assert_int_equal(readstat_insert_double_value(w, q, por_q[r]), READSTAT_OK);
        assert_int_equal(readstat_insert_string_value(w, s, por_s[r]), READSTAT_OK);
        assert_int_equal(readstat_end_row(w), READSTAT_OK);
    }
    assert_int_equal(readstat_end_writing(w), READSTAT_OK);
    readstat_writer_free(w);
    assert_int_equal(fclose(f), 0);
}

static void probe_por_labels(collect_t *c, const graft_column_t *cols,
                             size_t n)
{
    assert_int_equal(n, 3);
    assert_string_equal(graft_labelset_num(cols[1].labels, 1), "Once or twice");
    assert_string_equal(graft_labelset_num(cols[1].labels, 8), "Refused");
    assert_null(cols[0].labels);
    c->probe_ok = 1;
}

static void test_por_roundtrip(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "written.por");
    write_por(path);
    collect_t c = {0};
    c.at_header = probe_por_labels;
    read_ok(path, &c);
    assert_true(c.probe_ok);
    assert_int_equal(c.ncols, 3);
    assert_string_equal(c.names[0], "X");
    assert_string_equal(c.labels[0], "A number");
    assert_int_equal(c.types[0], GRAFT_COL_NUMERIC);
    assert_int_equal(c.types[2], GRAFT_COL_STRING);
    assert_int_equal(c.nrows, POR_ROWS);
    for (size_t r = 0; r < POR_ROWS; r++) {
        assert_int_equal(c.lines[r], r + 1);
        if (r == 3)
            assert_missing(&c, r, "X");
        else
            assert_number(&c, r, "X", por_x[r]);
        if (por_q[r] >= 8)
            assert_missing(&c, r, "Q");
        else
            assert_number(&c, r, "Q", por_q[r]);
        if (por_s[r][0])
            assert_string(&c, r, "S", por_s[r]);
        else
            assert_missing(&c, r, "S");
    }
    collect_free(&c);
}

/* ---- errors ---------------------------------------------------------------- */

static void expect_error(const char *path, graft_error_t want_rc,
                         unsigned long want_line, const char *want_msg)
{
    collect_t c = {0};
    graft_diag_t d;
    graft_error_t rc = read_into(path, &c, &d);
    if (rc != want_rc)
        fail_msg("%s: %s (%s), want %s", path, graft_strerror(rc), d.msg,
                 graft_strerror(want_rc));
    assert_int_equal(d.code, want_rc);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, want_line);
    assert_int_equal(d.col, 0);
    if (want_msg)
        assert_string_equal(d.msg, want_msg);
    collect_free(&c);
}

static void test_missing_file(void **state)
{
    (void)state;
    expect_error(STAT_DIR "no_such_file.sav", GRAFT_ERR_OPEN, 0,
                 "cannot open: No such file or directory");
}

static void test_directory(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "folder.sav");
    assert_int_equal(mkdir(path, 0700), 0);
    expect_error(path, GRAFT_ERR_OPEN, 0, "cannot open: Is a directory");
}

static void test_unknown_extension(void **state)
{
    (void)state;
    expect_error(STAT_DIR "survey_sav.meta.csv", GRAFT_ERR_FORMAT, 0,
                 "not a ReadStat format: the extension is not .sav, .zsav, "
                 ".por, .dta, .sas7bdat or .xpt");
}

/* A CSV file renamed to each extension: ReadStat's error, and our note that
 * the file does not even start like one. */
static void test_text_as_sav(void **state)
{
    (void)state;
    static const char text[] = "id,x\n1,2.5\n2,3.5\n";
    static const struct {
        const char *ext, *msg;
    } cases[] = {
        {"sav", "cannot read SPSS .sav file: Unable to read from file (it has "
                "no SPSS .sav signature)"},
        {"zsav", "cannot read SPSS .zsav file: Unable to read from file (it "
                 "has no SPSS .zsav signature)"},
        {"por", "cannot read SPSS .por file: Unable to read from file (it has "
                "no SPSS .por signature)"},
        {"dta", "cannot read Stata .dta file: Unable to read from file (it has "
                "no Stata .dta signature)"},
        {"sas7bdat", "cannot read SAS .sas7bdat file: Unable to read from file "
                     "(it has no SAS .sas7bdat signature)"},
        {"xpt", "cannot read SAS .xpt file: truncated: 17 bytes is not a whole "
                "number of 80-byte records"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32], path[256];
        snprintf(name, sizeof name, "text.%s", cases[i].ext);
        tmp_path(path, sizeof path, name);
        write_file(path, text, sizeof text - 1);
        expect_error(path, GRAFT_ERR_FORMAT, 0, cases[i].msg);
    }
}

/* The first NUM/DEN of each fixture.  These small files fail before their
 * first case: their dictionaries fill most of them. */
static void test_truncated(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        size_t num, den;
        const char *msg;
    } cases[] = {
        {"survey.sav", 1, 2, "cannot read SPSS .sav file: File did not "
                             "contain the expected number of rows"},
        {"survey.zsav", 1, 2, "cannot read SPSS .zsav file: Unable to read "
                              "from file"},
        {"survey.dta", 1, 2, "cannot read Stata .dta file: truncated: it does "
                             "not end with </stata_dta>"},
        {"survey.xpt", 1, 2, "cannot read SAS .xpt file: truncated: 1880 "
                             "bytes is not a whole number of 80-byte records"},
        {"survey.sas7bdat", 1, 2, "cannot read SAS .sas7bdat file: truncated: "
                                  "8192 bytes, its header declares 16384"},
        /* ReadStat itself reads these two without a word: the .dta without
         * its last label tables, the .xpt without its last case. */
        {"survey.dta", 97, 100, "cannot read Stata .dta file: truncated: it "
                                "does not end with </stata_dta>"},
        {"survey.xpt", 99, 100, "cannot read SAS .xpt file: truncated: 3722 "
                                "bytes is not a whole number of 80-byte "
                                "records"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char src[256], path[256], name[64];
        snprintf(src, sizeof src, STAT_DIR "%s", cases[i].file);
        snprintf(name, sizeof name, "cut%zu_%s", i, cases[i].file);
        tmp_path(path, sizeof path, name);
        copy_part(src, path, cases[i].num, cases[i].den);
        expect_error(path, GRAFT_ERR_FORMAT, 0, cases[i].msg);
    }
}

/* A .por without its end: the case ReadStat was reading is the line. */
static void test_truncated_por(void **state)
{
    (void)state;
    char full[256], path[256];
    tmp_path(full, sizeof full, "full.por");
    tmp_path(path, sizeof path, "cut.por");
    write_por(full);
    size_t len;
    char *buf = test_slurp_must(full, &len);
    /* Cut inside the last case: strip the 'Z' end marker and its padding,
     * then "7/Bizerte", the last string with its length. */
    size_t end = len;
    while (end > 0 && strchr("Z\r\n", buf[end - 1]))
        end--;
    assert_true(end > 9);
    assert_memory_equal(buf + end - 9, "7/Bizerte", 9);
    write_file(path, buf, end - 9);
    free(buf);
    collect_t c = {0};
    graft_diag_t d;
    assert_int_equal(read_into(path, &c, &d), GRAFT_ERR_FORMAT);
    assert_int_equal(c.nrows, POR_ROWS - 1);
    assert_int_equal(d.line, POR_ROWS);
    assert_string_equal(d.msg, "cannot read SPSS .por file: Invalid file, or "
                               "file has unsupported features (Error in S "
                               "(row=5))");
    collect_free(&c);
}

/* A real file cut in its data: the cases before the cut are delivered and
 * the diagnostic names the first case that is not. */
static void test_truncated_afrobarometer(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    char path[256];
    tmp_path(path, sizeof path, "r7_cut.sav");
    size_t len;
    char *buf = test_slurp_must(SHARED_AFRO "/tun_r7_data.sav", &len);
    assert_int_equal(len, 1001952);
    write_file(path, buf, 300000);
    free(buf);
    collect_t c = {0};
    graft_diag_t d;
    assert_int_equal(read_into(path, &c, &d), GRAFT_ERR_FORMAT);
    assert_string_equal(d.msg, "cannot read SPSS .sav file: File did not "
                               "contain the expected number of rows");
    assert_int_equal(c.nrows, 249);
    assert_int_equal(d.line, 250);
    collect_free(&c);
}

static void test_no_cases(void **state)
{
    (void)state;
    const char *files[] = {STAT_DIR "nocases.sav", STAT_DIR "nocases.dta"};
    for (size_t i = 0; i < 2; i++) {
        collect_t c = {0};
        graft_diag_t d;
        assert_int_equal(read_into(files[i], &c, &d), GRAFT_ERR_NO_ROWS);
        assert_string_equal(d.msg, "the file has no cases");
        assert_string_equal(d.file, files[i]);
        assert_int_equal(c.header_calls, 1); /* the columns are known */
        assert_int_equal(c.ncols, 9);
        assert_int_equal(c.nrows, 0);
        collect_free(&c);
    }
}

/* A .dta file with cases but no variables, written with ReadStat. */
static void test_no_variables(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "novars.dta");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    readstat_writer_t *w = readstat_writer_init();
    readstat_set_data_writer(w, write_to_file);
    assert_int_equal(readstat_begin_writing_dta(w, f, 2), READSTAT_OK);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(readstat_begin_row(w), READSTAT_OK);
        assert_int_equal(readstat_end_row(w), READSTAT_OK);
    }
    assert_int_equal(readstat_end_writing(w), READSTAT_OK);
    readstat_writer_free(w);
    assert_int_equal(fclose(f), 0);
    expect_error(path, GRAFT_ERR_EMPTY, 0, "the file has no variables");
}

/* ---- callbacks that stop the read ------------------------------------------ */

static const char *const fixtures[] = {"survey.sav", "survey.zsav",
                                       "survey.dta", "survey.xpt",
                                       "survey.sas7bdat"};

static void test_header_abort(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, STAT_DIR "%s", fixtures[i]);
        collect_t c = {0};
        c.header_rc = GRAFT_ERR_COLUMN;
        graft_diag_t d;
        assert_int_equal(read_into(path, &c, &d), GRAFT_ERR_COLUMN);
        assert_int_equal(d.code, GRAFT_ERR_COLUMN);
        assert_string_equal(d.msg, "header says stop");
        assert_string_equal(d.file, "callback");
        assert_int_equal(d.line, 7);
        assert_int_equal(c.header_calls, 1);
        assert_int_equal(c.nrows, 0);
        collect_free(&c);
    }
}

static void test_row_abort(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, STAT_DIR "%s", fixtures[i]);
        collect_t c = {0};
        c.abort_row = 3;
        c.abort_rc = GRAFT_ERR_WEIGHT;
        graft_diag_t d;
        assert_int_equal(read_into(path, &c, &d), GRAFT_ERR_WEIGHT);
        assert_string_equal(d.msg, "row says stop");
        assert_string_equal(d.file, "callback");
        assert_int_equal(d.line, 3);
        assert_int_equal(d.col, 3);
        assert_int_equal(c.nrows, 3);
        collect_free(&c);
    }
}

/* The last case is the one that stops: nothing is left to deliver. */
static void test_abort_on_last_row(void **state)
{
    (void)state;
    collect_t c = {0};
    c.abort_row = 24;
    c.abort_rc = GRAFT_ERR_DESIGN_VALUE;
    graft_diag_t d;
    assert_int_equal(read_into(STAT_DIR "survey.dta", &c, &d),
                     GRAFT_ERR_DESIGN_VALUE);
    assert_string_equal(d.msg, "row says stop");
    assert_int_equal(c.nrows, 24);
    assert_int_equal(d.line, 24);
    collect_free(&c);
}

/* graft_read() reaches this reader by extension. */
static void test_graft_read_dispatch(void **state)
{
    (void)state;
    collect_t c = {0};
    graft_diag_t d;
    graft_diag_clear(&d);
    assert_int_equal(graft_read(STAT_DIR "survey.sav", NULL, on_header, on_row,
                                &c, &d),
                     GRAFT_OK);
    assert_int_equal(c.nrows, 24);
    assert_int_equal(c.ncols, 9);
    collect_free(&c);
}

/* ---- the real Afrobarometer files ------------------------------------------ */

typedef struct afro {
    const char *weight;     /* the weight column's name */
    unsigned char *is_str;  /* per column */
    int region, wt, respno; /* column indexes, -1 until the header */
    size_t ncols, nrows, string_cols;
    size_t missing_num, missing_str, great_tunis;
    double wsum;
    const char *great_tunis_label; /* copied at header time */
    char label[64];
    char first_respno[16], last_respno[16];
    int lines_ok;
} afro_t;

static graft_error_t afro_header(void *vctx, const graft_column_t *cols,
                                 size_t ncols, graft_diag_t *diag)
{
    (void)diag;
    afro_t *a = vctx;
    a->ncols = ncols;
    a->region = a->wt = a->respno = -1;
    a->is_str = calloc(ncols ? ncols : 1, 1);
    assert_non_null(a->is_str);
    for (size_t j = 0; j < ncols; j++) {
        a->is_str[j] = cols[j].type == GRAFT_COL_STRING;
        if (strcmp(cols[j].name, "REGION") == 0)
            a->region = (int)j;
        if (strcmp(cols[j].name, a->weight) == 0)
            a->wt = (int)j;
        if (strcmp(cols[j].name, "RESPNO") == 0)
            a->respno = (int)j;
        a->string_cols += cols[j].type == GRAFT_COL_STRING;
    }
    if (a->region >= 0) {
        const char *l = graft_labelset_num(cols[a->region].labels, 1580);
        snprintf(a->label, sizeof a->label, "%s", l ? l : "(none)");
        a->great_tunis_label = a->label;
        if (graft_labelset_count(cols[a->region].labels) != 7)
            snprintf(a->label, sizeof a->label, "(wrong count)");
    }
    a->lines_ok = 1;
    return GRAFT_OK;
}

static graft_error_t afro_row(void *vctx, const graft_cell_t *cells,
                              size_t ncols, unsigned long line,
                              graft_diag_t *diag)
{
    (void)diag;
    afro_t *a = vctx;
    a->nrows++;
    if (line != a->nrows || ncols != a->ncols)
        a->lines_ok = 0;
    for (size_t j = 0; j < ncols && j < a->ncols; j++) {
        if (cells[j].kind != GRAFT_CELL_MISSING)
            continue;
        if (cells[j].str || cells[j].len)
            a->lines_ok = 0;
        if (a->is_str[j])
            a->missing_str++;
        else
            a->missing_num++;
    }
    if (a->wt >= 0 && cells[a->wt].kind == GRAFT_CELL_NUMBER)
        a->wsum += cells[a->wt].num;
    if (a->region >= 0 && cells[a->region].kind == GRAFT_CELL_NUMBER &&
        cells[a->region].num == 1580)
        a->great_tunis++;
    if (a->respno >= 0 && cells[a->respno].kind == GRAFT_CELL_STRING) {
        snprintf(a->last_respno, sizeof a->last_respno, "%s",
                 cells[a->respno].str);
        if (a->nrows == 1)
            snprintf(a->first_respno, sizeof a->first_respno, "%s",
                     cells[a->respno].str);
    }
    return GRAFT_OK;
}

/* The counts come from R (haven::read_sav): cases, variables, string
 * variables, empty strings (which graft reports as missing; the files have
 * no other missing value), REGION == 1580, the weights' sum. */
static void check_afro(const char *file, const char *weight, size_t rows,
                       size_t cols, size_t string_cols, size_t empty_strings,
                       size_t great_tunis, double wsum,
                       const char *last_respno)
{
    char path[256];
    snprintf(path, sizeof path, SHARED_AFRO "/%s", file);
    afro_t a = {0};
    a.weight = weight;
    graft_diag_t d;
    graft_diag_clear(&d);
    graft_error_t rc = graft_read_stat(path, NULL, afro_header, afro_row, &a, &d);
    free(a.is_str);
    if (rc != GRAFT_OK)
        fail_msg("%s: %s", path, d.msg);
    assert_true(a.lines_ok);
    assert_int_equal(a.missing_num, 0);
    assert_int_equal(a.missing_str, empty_strings);
    assert_int_equal(a.nrows, rows);
    assert_int_equal(a.ncols, cols);
    assert_int_equal(a.string_cols, string_cols);
    assert_true(a.region >= 0);
    assert_true(a.wt >= 0);
    assert_non_null(a.great_tunis_label);
    assert_string_equal(a.great_tunis_label, "Great Tunis");
    assert_int_equal(a.great_tunis, great_tunis);
    assert_close(a.wsum, wsum, 1e-12, 0.0);
    assert_string_equal(a.first_respno, "TUN0001");
    assert_string_equal(a.last_respno, last_respno);
}

static void test_afrobarometer_r7(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    check_afro("tun_r7_data.sav", "withinwt", 1199, 339, 16, 15767, 295, 1199.0,
               "TUN1199");
}

static void test_afrobarometer_r8(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    check_afro("tun_r8_data.sav", "withinwt_hh", 1200, 377, 18, 18673, 304,
               1200.0000000000014, "TUN1200");
}

static void test_afrobarometer_r9(void **state)
{
    (void)state;
    SKIP_WITHOUT_SHARED();
    check_afro("tun_r9_data.sav", "withinwt_hh", 1200, 388, 26, 28490, 304,
               1199.9999713910593, "TUN1200");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sav_matches_r),
        cmocka_unit_test(test_zsav_matches_r),
        cmocka_unit_test(test_dta_matches_r),
        cmocka_unit_test(test_xpt_matches_r),
        cmocka_unit_test(test_sas7bdat_matches_r),
        cmocka_unit_test(test_skip_columns),
        cmocka_unit_test(test_piped_same),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_sav_missing_kinds),
        cmocka_unit_test(test_dta_tagged_missing),
        cmocka_unit_test(test_sas_special_missing),
        cmocka_unit_test(test_dta_labels_at_header),
        cmocka_unit_test(test_sav_string_labels),
        cmocka_unit_test(test_extension_any_case),
        cmocka_unit_test(test_por_roundtrip),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_unknown_extension),
        cmocka_unit_test(test_text_as_sav),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_truncated_por),
        cmocka_unit_test(test_truncated_afrobarometer),
        cmocka_unit_test(test_no_cases),
        cmocka_unit_test(test_no_variables),
        cmocka_unit_test(test_header_abort),
        cmocka_unit_test(test_row_abort),
        cmocka_unit_test(test_abort_on_last_row),
        cmocka_unit_test(test_graft_read_dispatch),
        cmocka_unit_test(test_afrobarometer_r7),
        cmocka_unit_test(test_afrobarometer_r8),
        cmocka_unit_test(test_afrobarometer_r9),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
