/*
 * margins.c - margins files for `graft weight` (graft/weight.h): CSV of
 * one or more survey variables then `total`, one row per cell.
 *
 * A cell's key is its variables' values as `--by` shows them (value
 * labels, or the value), joined by the unit separator 0x1f, which no
 * label or CSV field in a margins file is expected to hold; its name in
 * messages and reports joins them by '*'.
 */
#include "graft/weight.h"
#include "base/grow.h"
#include "base/intern.h"
#include "io/reader_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SEP '\x1f'
#define VALUE_MAX 1024

struct graft_margins {
    char *path;
    char **vars;
    size_t n_vars;
    char *name;              /* vars joined by '*' */
    graft_intern_t *index;   /* cell key -> cell */
    graft_intern_t *alias;   /* a cell's key as written, when its numbers
                                were written otherwise ("01", "1.0") */
    uint32_t *alias_cell;    /* alias -> cell */
    size_t alias_cap;
    char **cell_names;
    double *totals;
    unsigned long *lines;
    size_t *rows;            /* data rows per cell */
    size_t n_cells, cap;
    graft_margin_t margin;   /* the calibrate.h view */
    /* during a read of the data */
    const char *data;
    const graft_column_t *cols;
    size_t *col_of;          /* data column of each variable */
    graft_key_t key;         /* reused */
    char *text;              /* VALUE_MAX per variable, for names */
};

static graft_error_t nomem(graft_diag_t *diag, const char *file)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, file, 0, 0, "out of memory");
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void graft_margins_free(graft_margins_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_vars; i++)
        free(m->vars[i]);
    for (size_t c = 0; c < m->n_cells; c++)
        free(m->cell_names[c]);
    free(m->vars);
    free(m->name);
    graft_intern_free(m->index);
    graft_intern_free(m->alias);
    free(m->alias_cell);
    free(m->cell_names);
    free(m->totals);
    free(m->lines);
    free(m->rows);
    free(m->path);
    free(m->col_of);
    graft_key_free(&m->key);
    free(m->text);
    free(m);
}

/* ---- reading the file ---------------------------------------------------- */

static graft_error_t bad(graft_margins_t *m, graft_diag_t *diag,
                         unsigned long line, size_t col, const char *what)
{
    return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, m->path, line, col,
                          "%s", what);
}

static graft_error_t load_header(void *ctx, const graft_column_t *cols,
                                 size_t ncols, graft_diag_t *diag)
{
    graft_margins_t *m = ctx;
    if (ncols < 2 || strcmp(cols[ncols - 1].name, "total") != 0)
        return bad(m, diag, 1, ncols,
                   "a margins file's header is one or more survey variables "
                   "then 'total' (e.g. zone,total)");
    size_t len = 0;
    m->n_vars = ncols - 1;
    if (!(m->vars = calloc(m->n_vars, sizeof *m->vars)))
        return nomem(diag, m->path);
    for (size_t i = 0; i < m->n_vars; i++) {
        if (!(m->vars[i] = dup_str(cols[i].name)))
            return nomem(diag, m->path);
        len += strlen(cols[i].name) + 1;
    }
    if (!(m->name = malloc(len)) ||
        !(m->text = malloc(m->n_vars * VALUE_MAX)))
        return nomem(diag, m->path);
    m->name[0] = '\0';
    for (size_t i = 0; i < m->n_vars; i++) {
        if (i)
            strcat(m->name, "*");
        strcat(m->name, m->vars[i]);
    }
    return GRAFT_OK;
}

static graft_error_t grow_cells(graft_margins_t *m, graft_diag_t *diag)
{
    size_t need = m->n_cells + 1, cap = m->cap;
    double *t = graft_grow(m->totals, &cap, need, sizeof *t);
    if (!t)
        return nomem(diag, m->path);
    m->totals = t;
    cap = m->cap;
    unsigned long *l = graft_grow(m->lines, &cap, need, sizeof *l);
    if (!l)
        return nomem(diag, m->path);
    m->lines = l;
    cap = m->cap;
    char **n = graft_grow(m->cell_names, &cap, need, sizeof *n);
    if (!n)
        return nomem(diag, m->path);
    m->cell_names = n;
    m->cap = cap;
    return GRAFT_OK;
}

/* Build the key of values TEXTS (N_VARS of them, VALUE_MAX apart) in
 * M->key, and the '*'-joined name into a new string *NAME (if NAME). */
static graft_error_t make_key(graft_margins_t *m, const char *texts,
                              char **name)
{
    size_t len = 0;
    m->key.len = 0;
    for (size_t i = 0; i < m->n_vars; i++) {
        const char *t = texts + i * VALUE_MAX;
        char sep = KEY_SEP;
        if ((i && graft_key_bytes(&m->key, &sep, 1) != GRAFT_OK) ||
            graft_key_bytes(&m->key, t, strlen(t)) != GRAFT_OK)
            return GRAFT_ERR_NOMEM;
        len += strlen(t) + 1;
    }
    if (!name)
        return GRAFT_OK;
    if (!(*name = malloc(len)))
        return GRAFT_ERR_NOMEM;
    (*name)[0] = '\0';
    for (size_t i = 0; i < m->n_vars; i++) {
        if (i)
            strcat(*name, "*");
        strcat(*name, texts + i * VALUE_MAX);
    }
    return GRAFT_OK;
}

static graft_error_t load_total(graft_margins_t *m, const graft_cell_t *c,
                                unsigned long line, double *total,
                                graft_diag_t *diag)
{
    char buf[VALUE_MAX];
    size_t col = m->n_vars + 1;
    if (c->kind == GRAFT_CELL_MISSING)
        return bad(m, diag, line, col, "the total is empty");
    if (c->kind != GRAFT_CELL_NUMBER || !isfinite(c->num))
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, m->path, line, col,
                              "the total '%s' is not a number",
                              graft_cell_text(c, buf, sizeof buf));
    if (c->num < 0)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, m->path, line, col,
                              "the total %s is negative",
                              graft_cell_text(c, buf, sizeof buf));
    *total = c->num;
    return GRAFT_OK;
}

/* The cell's values as written (a string column's "01" is "01", not the
 * number 1), when they differ from its key: an alias of cell ID. */
static graft_error_t add_alias(graft_margins_t *m, const graft_cell_t *cells,
                               size_t id)
{
    int differs = 0;
    for (size_t i = 0; i < m->n_vars; i++) {
        char *t = m->text + i * VALUE_MAX;
        if (cells[i].str && strcmp(cells[i].str, t) != 0) {
            differs = 1;
            snprintf(t, VALUE_MAX, "%s", cells[i].str);
        }
    }
    size_t a;
    int added;
    if (!differs)
        return GRAFT_OK;
    if (!m->alias && !(m->alias = graft_intern_alloc()))
        return GRAFT_ERR_NOMEM;
    if (make_key(m, m->text, NULL) != GRAFT_OK ||
        graft_intern_put(m->alias, m->key.buf, m->key.len, &a, &added) !=
            GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    uint32_t *c = graft_grow(m->alias_cell, &m->alias_cap, a + 1, sizeof *c);
    if (!c)
        return GRAFT_ERR_NOMEM;
    m->alias_cell = c;
    if (added)
        c[a] = (uint32_t)id;
    return GRAFT_OK;
}

static graft_error_t load_row(void *ctx, const graft_cell_t *cells,
                              size_t ncols, unsigned long line,
                              graft_diag_t *diag)
{
    graft_margins_t *m = ctx;
    double total;
    graft_error_t rc;
    (void)ncols;
    for (size_t i = 0; i < m->n_vars; i++) {
        if (cells[i].kind == GRAFT_CELL_MISSING)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, m->path, line,
                                  i + 1, "the value of '%s' is empty",
                                  m->vars[i]);
        graft_cell_text(&cells[i], m->text + i * VALUE_MAX, VALUE_MAX);
    }
    if ((rc = load_total(m, &cells[m->n_vars], line, &total, diag)) !=
            GRAFT_OK ||
        (rc = grow_cells(m, diag)) != GRAFT_OK)
        return rc;
    char *name = NULL;
    size_t id;
    int added;
    if (make_key(m, m->text, &name) != GRAFT_OK ||
        graft_intern_put(m->index, m->key.buf, m->key.len, &id, &added) !=
            GRAFT_OK) {
        free(name);
        return nomem(diag, m->path);
    }
    if (!added) {
        rc = graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, m->path, line, 1,
                            "cell '%s' is given twice (first on line %lu)",
                            name, m->lines[id]);
        free(name);
        return rc;
    }
    m->cell_names[id] = name;
    m->totals[id] = total;
    m->lines[id] = line;
    m->n_cells++;
    return add_alias(m, cells, id) == GRAFT_OK ? GRAFT_OK
                                               : nomem(diag, m->path);
}

static graft_error_t load_finish(graft_margins_t *m, graft_diag_t *diag)
{
    if (!(m->rows = calloc(m->n_cells, sizeof *m->rows)) ||
        !(m->col_of = calloc(m->n_vars, sizeof *m->col_of)))
        return nomem(diag, m->path);
    m->margin.name = m->name;
    m->margin.n_cells = m->n_cells;
    m->margin.totals = m->totals;
    m->margin.cell_names = (const char *const *)m->cell_names;
    m->margin.file = m->path;
    m->margin.lines = m->lines;
    return GRAFT_OK;
}

graft_error_t graft_margins_load(const char *path, graft_margins_t **out,
                                 graft_diag_t *diag)
{
    graft_read_opts_t read;
    graft_error_t rc;
    *out = NULL;
    graft_margins_t *m = calloc(1, sizeof *m);
    if (!m || !(m->path = dup_str(path)) ||
        !(m->index = graft_intern_alloc())) {
        graft_margins_free(m);
        return nomem(diag, path);
    }
    memset(&read, 0, sizeof read);
    read.threads = 1;
    if ((rc = graft_read(path, &read, load_header, load_row, m, diag)) !=
            GRAFT_OK ||
        (rc = load_finish(m, diag)) != GRAFT_OK) {
        graft_margins_free(m);
        return rc;
    }
    *out = m;
    return GRAFT_OK;
}

size_t graft_margins_n_vars(const graft_margins_t *m) { return m->n_vars; }

const char *graft_margins_var(const graft_margins_t *m, size_t i)
{
    return i < m->n_vars ? m->vars[i] : NULL;
}

const graft_margin_t *graft_margins_margin(const graft_margins_t *m)
{
    return &m->margin;
}

double graft_margins_sum(const graft_margins_t *m)
{
    double s = 0;
    for (size_t c = 0; c < m->n_cells; c++)
        s += m->totals[c];
    return s;
}

size_t graft_margins_cell_rows(const graft_margins_t *m, size_t c)
{
    return c < m->n_cells ? m->rows[c] : 0;
}

/* ---- matching the data ------------------------------------------------- */

graft_error_t graft_margins_bind(graft_margins_t *m, const char *data,
                                 const graft_column_t *cols, size_t ncols,
                                 graft_diag_t *diag)
{
    m->data = data;
    m->cols = cols;
    for (size_t i = 0; i < m->n_vars; i++) {
        size_t c = 0;
        while (c < ncols && strcmp(cols[c].name, m->vars[i]) != 0)
            c++;
        if (c == ncols) {
            const char *near = graft_closest_column(m->vars[i], cols, ncols);
            return graft_diag_set(
                diag, GRAFT_ERR_COLUMN, m->path, 1, i + 1,
                "margin variable '%s' is not a column of %s%s%s%s",
                m->vars[i], data, near ? " (did you mean '" : "",
                near ? near : "", near ? "'?)" : "");
        }
        m->col_of[i] = c;
    }
    memset(m->rows, 0, m->n_cells * sizeof *m->rows);
    return GRAFT_OK;
}

graft_error_t graft_margins_cell(graft_margins_t *m, const graft_cell_t *cells,
                                 unsigned long line, uint32_t *cell,
                                 graft_diag_t *diag)
{
    for (size_t i = 0; i < m->n_vars; i++) {
        size_t c = m->col_of[i];
        if (cells[c].kind == GRAFT_CELL_MISSING)
            return graft_diag_set(diag, GRAFT_ERR_DESIGN_VALUE, m->data, line,
                                  c + 1,
                                  "margin variable '%s' is missing (every "
                                  "row needs a cell of %s)",
                                  m->vars[i], m->path);
        graft_cell_display(&m->cols[c], &cells[c], m->text + i * VALUE_MAX,
                           VALUE_MAX);
    }
    if (make_key(m, m->text, NULL) != GRAFT_OK)
        return nomem(diag, m->data);
    size_t id = graft_intern_find(m->index, m->key.buf, m->key.len);
    size_t a = id == (size_t)-1 && m->alias
                   ? graft_intern_find(m->alias, m->key.buf, m->key.len)
                   : (size_t)-1;
    if (a != (size_t)-1)
        id = m->alias_cell[a];
    if (id == (size_t)-1) {
        char *name = NULL;
        graft_error_t rc = make_key(m, m->text, &name);
        if (rc != GRAFT_OK)
            return nomem(diag, m->data);
        rc = graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, m->data, line,
                            m->col_of[0] + 1,
                            "%s '%s' is not a cell of the margins file %s",
                            m->name, name, m->path);
        free(name);
        return rc;
    }
    m->rows[id]++;
    *cell = (uint32_t)id;
    return GRAFT_OK;
}

graft_error_t graft_margins_check_rows(const graft_margins_t *m,
                                       graft_diag_t *diag)
{
    for (size_t c = 0; c < m->n_cells; c++)
        if (!m->rows[c])
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, m->path,
                                  m->lines[c], 1,
                                  "%s '%s' has no row in %s", m->name,
                                  m->cell_names[c], m->data);
    return GRAFT_OK;
}

graft_error_t graft_margins_check_sums(graft_margins_t *const *ms, size_t n,
                                       graft_diag_t *diag)
{
    for (size_t i = 1; i < n; i++) {
        double a = graft_margins_sum(ms[0]), b = graft_margins_sum(ms[i]);
        double big = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
        if (fabs(a - b) > 1e-3 * big)
            return graft_diag_set(
                diag, GRAFT_ERR_SURVEY_FILE, ms[i]->path, 0, 0,
                "its totals sum to %.15g, but those of %s to %.15g: margins "
                "of one population must agree (within 0.1%%)",
                b, ms[0]->path, a);
    }
    return GRAFT_OK;
}
