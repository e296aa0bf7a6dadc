/*
 * reader.c - graft_read(): choose the format reader by extension and apply
 * the caller's missing codes and value labels on top of what the file says.
 */
#include "graft/reader.h"
#include "io/reader_internal.h"
#include "io/csv_parallel.h"
#include "io/pipe.h"
#include "base/str.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- format dispatch ------------------------------------------------ */

static const char *extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? dot + 1 : "";
}

static int is_stat_format(const char *path)
{
    static const char *const exts[] = {"sav", "zsav", "por", "dta",
                                       "sas7bdat", "xpt"};
    const char *ext = extension(path);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(ext, exts[i]) == 0)
            return 1;
    return 0;
}

/* ---- the wrapper that applies missing codes and labels --------------- */

typedef struct col_missing {
    const double *codes[2]; /* per-column and global code lists */
    size_t n[2];
    double lo, hi;          /* the smallest and largest code */
} col_missing_t;

typedef struct wrap {
    const char *path;
    graft_pipe_t *pipe;    /* rows go to a second thread */
    graft_labelset_t **owned; /* per column: copied label sets (pipe) */
    const graft_read_opts_t *opts;
    graft_header_fn header;
    graft_row_fn row;
    void *ctx;
    graft_column_t *cols;  /* the file's columns with label overrides */
    col_missing_t *miss;   /* per column, NULL when no codes at all */
    size_t *coded, n_coded; /* the columns read that have codes */
    unsigned char *used;   /* per column: read (opts->uses) */
    int screened;          /* the pipe marks the codes as it unpacks */
    int parallel;          /* the parallel CSV reader runs the rows here */
    size_t ncols;
} wrap_t;

static int column_index(const graft_column_t *cols, size_t ncols,
                        const char *name)
{
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

static graft_error_t unknown_column(const wrap_t *w, const char *what,
                                    const char *name,
                                    const graft_column_t *cols, size_t ncols,
                                    graft_diag_t *diag)
{
    const char *near = graft_closest_column(name, cols, ncols);
    return graft_diag_set(diag, GRAFT_ERR_COLUMN, w->path, 0, 0,
                          "%s given for unknown column '%s'%s%s%s", what, name,
                          near ? " (did you mean '" : "", near ? near : "",
                          near ? "'?)" : "");
}

static graft_error_t consume_row(void *vctx, const graft_cell_t *cells,
                                 size_t ncols, unsigned long line,
                                 graft_diag_t *diag);
static int want_pipe(const graft_read_opts_t *opts);
static graft_error_t screen_codes(wrap_t *w);


static graft_labelset_t *copy_labels(const graft_labelset_t *src)
{
    graft_labelset_t *set = graft_labelset_alloc();
    int is_str;
    double num;
    const char *str, *label;
    for (size_t i = 0; set && (label = graft_labelset_entry(src, i, &is_str,
                                                            &num, &str));
         i++)
        if ((is_str ? graft_labelset_add_str(set, str, label)
                    : graft_labelset_add_num(set, num, label)) != GRAFT_OK) {
            graft_labelset_free(set);
            return NULL;
        }
    return set;
}

static void free_owned(wrap_t *w)
{
    if (!w->owned)
        return;
    for (size_t i = 0; i < w->ncols; i++) {
        free((char *)w->cols[i].name);
        free((char *)w->cols[i].label);
        graft_labelset_free(w->owned[i]);
    }
    free(w->owned);
    w->owned = NULL;
}

/* Deep copies of w->cols' strings and label sets. */
static graft_error_t own_columns(wrap_t *w)
{
    w->owned = calloc(w->ncols ? w->ncols : 1, sizeof *w->owned);
    if (!w->owned)
        return GRAFT_ERR_NOMEM;
    graft_error_t rc = GRAFT_OK;
    for (size_t i = 0; i < w->ncols; i++) {
        graft_column_t *c = &w->cols[i];
        const char *name = c->name, *label = c->label;
        c->name = graft_strdup(name);
        c->label = graft_strdup(label);
        if (!c->name || (label && !c->label))
            rc = GRAFT_ERR_NOMEM;
        if (c->labels && !(w->owned[i] = copy_labels(c->labels)))
            rc = GRAFT_ERR_NOMEM;
        c->labels = w->owned[i];
    }
    return rc;
}

static graft_error_t out_of_memory(const wrap_t *w, graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, w->path, 0, 0,
                          "out of memory");
}

/* w->cols: the file's COLS with the caller's label sets put in. */
static graft_error_t place_labels(wrap_t *w, const graft_column_t *cols,
                                  size_t ncols, graft_diag_t *diag)
{
    const graft_read_opts_t *o = w->opts;
    w->cols = malloc((ncols ? ncols : 1) * sizeof *w->cols);
    if (!w->cols)
        return out_of_memory(w, diag);
    memcpy(w->cols, cols, ncols * sizeof *cols);
    for (size_t i = 0; i < o->n_labels; i++) {
        int c = column_index(cols, ncols, o->labels[i].column);
        if (c < 0)
            return unknown_column(w, "value labels", o->labels[i].column,
                                  cols, ncols, diag);
        w->cols[c].labels = o->labels[i].labels;
    }
    return GRAFT_OK;
}

/* w->miss: per column, its own codes and the every-column codes (which
 * leave the exempt columns alone); NULL when the caller gave none. */
static graft_error_t place_missing(wrap_t *w, const graft_column_t *cols,
                                   size_t ncols, graft_diag_t *diag)
{
    const graft_read_opts_t *o = w->opts;
    if (!o->n_missing)
        return GRAFT_OK;
    w->miss = calloc(ncols ? ncols : 1, sizeof *w->miss);
    if (!w->miss)
        return out_of_memory(w, diag);
    for (size_t i = 0; i < o->n_missing; i++) {
        const graft_missing_spec_t *m = &o->missing[i];
        if (!m->column) {
            for (size_t c = 0; c < ncols; c++) {
                w->miss[c].codes[1] = m->codes;
                w->miss[c].n[1] = m->n_codes;
            }
            for (size_t k = 0; k < o->n_exempt; k++) {
                int c = column_index(cols, ncols, o->exempt[k]);
                if (c >= 0)
                    w->miss[c].n[1] = 0;
            }
            continue;
        }
        int c = column_index(cols, ncols, m->column);
        if (c < 0)
            return unknown_column(w, "missing codes", m->column, cols, ncols,
                                  diag);
        w->miss[c].codes[0] = m->codes;
        w->miss[c].n[0] = m->n_codes;
    }
    return GRAFT_OK;
}

/* w->used (opts->uses) and w->coded: the columns read that have codes,
 * with the range of their codes. */
static graft_error_t mark_columns(wrap_t *w, const graft_column_t *cols,
                                  size_t ncols, graft_diag_t *diag)
{
    const graft_read_opts_t *o = w->opts;
    w->used = malloc(ncols ? ncols : 1);
    w->coded = malloc((ncols ? ncols : 1) * sizeof *w->coded);
    if (!w->used || !w->coded)
        return out_of_memory(w, diag);
    for (size_t c = 0; c < ncols; c++) {
        w->used[c] = !o->uses || o->uses(o->uses_arg, cols[c].name);
        if (!w->miss || !w->used[c] || (!w->miss[c].n[0] && !w->miss[c].n[1]))
            continue;
        col_missing_t *m = &w->miss[c];
        m->lo = INFINITY;
        m->hi = -INFINITY;
        for (int k = 0; k < 2; k++)
            for (size_t i = 0; i < m->n[k]; i++) {
                m->lo = fmin(m->lo, m->codes[k][i]);
                m->hi = fmax(m->hi, m->codes[k][i]);
            }
        w->coded[w->n_coded++] = c;
    }
    return GRAFT_OK;
}

static graft_error_t wrap_header(void *vctx, const graft_column_t *cols,
                                 size_t ncols, graft_diag_t *diag)
{
    wrap_t *w = vctx;
    graft_error_t rc;
    w->ncols = ncols;
    if ((rc = place_labels(w, cols, ncols, diag)) != GRAFT_OK ||
        (rc = place_missing(w, cols, ncols, diag)) != GRAFT_OK ||
        (rc = mark_columns(w, cols, ncols, diag)) != GRAFT_OK)
        return rc;
    /* With a second thread, rows are consumed after the format reader has
     * moved on (or freed its header): the consumer gets its own copy of
     * the columns' names, labels and label sets.  The parallel CSV reader
     * runs the rows on this thread itself. */
    if (!w->parallel && want_pipe(w->opts) && own_columns(w) != GRAFT_OK)
        return out_of_memory(w, diag);
    rc = w->header(w->ctx, w->cols, ncols, diag);
    if (rc == GRAFT_OK && w->parallel) {
        /* the parallel CSV reader's workers pack rows in this form */
        w->pipe = graft_pipe_local(ncols, w->used, w->opts->bare_values,
                                   consume_row, w);
        if (!w->pipe || (w->n_coded && screen_codes(w) != GRAFT_OK))
            return out_of_memory(w, diag);
    } else if (rc == GRAFT_OK && w->owned) {
        w->pipe = graft_pipe_start(ncols, w->used, w->opts->bare_values,
                                   consume_row, w); /* NULL: 1 thread */
        if (w->pipe && w->n_coded && screen_codes(w) != GRAFT_OK)
            return out_of_memory(w, diag);
    }
    return rc;
}

static int is_code(const col_missing_t *m, double v)
{
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < m->n[k]; i++)
            if (m->codes[k][i] == v)
                return 1;
    return 0;
}

static int screen_code(void *arg, size_t col, double v)
{
    const wrap_t *w = arg;
    return is_code(&w->miss[col], v);
}

/* Have the pipe mark the missing codes as it unpacks each row, in the same
 * pass, rather than consume_row() in one more. */
static graft_error_t screen_codes(wrap_t *w)
{
    size_t n = w->ncols ? w->ncols : 1;
    double *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    graft_error_t rc = GRAFT_ERR_NOMEM;
    if (lo && hi) {
        for (size_t c = 0; c < w->ncols; c++) {
            lo[c] = INFINITY; /* no codes: an empty range */
            hi[c] = -INFINITY;
        }
        for (size_t i = 0; i < w->n_coded; i++) {
            lo[w->coded[i]] = w->miss[w->coded[i]].lo;
            hi[w->coded[i]] = w->miss[w->coded[i]].hi;
        }
        rc = graft_pipe_screen(w->pipe, lo, hi, screen_code, w);
        w->screened = rc == GRAFT_OK;
    }
    free(lo);
    free(hi);
    return rc;
}

/* Mark the caller's missing codes in CELLS.  The format readers rebuild
 * their cells for every row, so the codes are marked in place (the cells
 * are theirs, lent for this call). */
static void mark_codes(const wrap_t *w, const graft_cell_t *cells)
{
    graft_cell_t *mut = (graft_cell_t *)cells;
    for (size_t i = 0; i < w->n_coded; i++) {
        size_t c = w->coded[i];
        const col_missing_t *m = &w->miss[c];
        double v = mut[c].num;
        /* most values are outside [lo, hi]: one test */
        if (mut[c].kind == GRAFT_CELL_NUMBER && v >= m->lo && v <= m->hi &&
            is_code(m, v))
            mut[c].kind = GRAFT_CELL_MISSING;
    }
}

/* The row callback of the pipe: its rows are screened as it unpacks them
 * when w->screened. */
static graft_error_t consume_row(void *vctx, const graft_cell_t *cells,
                                 size_t ncols, unsigned long line,
                                 graft_diag_t *diag)
{
    wrap_t *w = vctx;
    if (w->miss && !w->screened)
        mark_codes(w, cells);
    return w->row(w->ctx, cells, ncols, line, diag);
}

/* The format reader's row callback: to the second thread when there is
 * one, else to the caller (the parallel CSV reader's pipe runs only the
 * rows its workers parse: the others come here, not screened). */
static graft_error_t wrap_row(void *vctx, const graft_cell_t *cells,
                              size_t ncols, unsigned long line,
                              graft_diag_t *diag)
{
    wrap_t *w = vctx;
    if (w->pipe && !w->parallel)
        return graft_pipe_push(w->pipe, cells, line);
    if (w->miss)
        mark_codes(w, cells);
    return w->row(w->ctx, cells, ncols, line, diag);
}

/* Two threads pay when there are two cores, unless OPTS asks for one. */
static int want_pipe(const graft_read_opts_t *opts)
{
    if (opts->threads == 1)
        return 0;
    return sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

graft_error_t graft_read(const char *path, const graft_read_opts_t *opts,
                         graft_header_fn header, graft_row_fn row, void *ctx,
                         graft_diag_t *diag)
{
    static const graft_read_opts_t defaults;
    wrap_t w = {path, NULL, NULL, opts ? opts : &defaults, header, row, ctx,
                NULL, NULL, NULL, 0, NULL, 0, 0, 0};
    graft_error_t rc;
    if (is_stat_format(path))
        rc = graft_read_stat_piped(path, w.opts, wrap_header, wrap_row, &w,
                                   &w.pipe, diag);
    else if ((w.parallel = graft_csv_parallel_wanted(path, w.opts)) != 0)
        rc = graft_read_csv_parallel(path, w.opts, NULL, wrap_header,
                                     wrap_row, &w, &w.pipe, diag);
    else
        rc = graft_read_csv(path, w.opts, wrap_header, wrap_row, &w, diag);
    if (w.pipe && w.parallel)
        graft_pipe_free(w.pipe);
    else if (w.pipe)
        rc = graft_pipe_finish(w.pipe, rc, diag);
    free_owned(&w);
    free(w.cols);
    free(w.miss);
    free(w.coded);
    free(w.used);
    return rc;
}

/* ---- small shared helpers ------------------------------------------- */

char *graft_cell_text(const graft_cell_t *cell, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    switch (cell->kind) {
    case GRAFT_CELL_NUMBER:
        snprintf(buf, size, "%.15g", cell->num);
        break;
    case GRAFT_CELL_STRING:
        snprintf(buf, size, "%s", cell->str ? cell->str : "");
        break;
    default:
        buf[0] = '\0';
    }
    return buf;
}

char *graft_cell_display(const graft_column_t *col, const graft_cell_t *cell,
                         char *buf, size_t size)
{
    const char *label = NULL;
    if (col->labels)
        label = cell->kind == GRAFT_CELL_NUMBER
                    ? graft_labelset_num(col->labels, cell->num)
                    : graft_labelset_str(col->labels, cell->str);
    if (!label)
        return graft_cell_text(cell, buf, size);
    if (size)
        snprintf(buf, size, "%s", label);
    return buf;
}

/* Case-insensitive optimal-string-alignment distance (Levenshtein plus
 * adjacent transpositions, so "fcp" is one edit from "fpc"); names longer
 * than 255 characters are never close. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 255 || lb > 255)
        return (size_t)-1;
    size_t rows[3][256];
    size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        int ai = tolower((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= lb; j++) {
            int bj = tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (ai != bj);
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *graft_closest_column(const char *name, const graft_column_t *cols,
                                 size_t ncols)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t len = strlen(name);
    size_t limit = len / 3 > 1 ? len / 3 : 1;
    for (size_t i = 0; i < ncols; i++) {
        size_t d = edit_distance(name, cols[i].name);
        if (d < best_d) {
            best_d = d;
            best = cols[i].name;
        }
    }
    return best_d <= limit ? best : NULL;
}
