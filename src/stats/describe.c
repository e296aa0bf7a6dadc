/*
 * describe.c - the streaming pass behind `graft describe`.
 */
#include "graft/describe.h"
#include "base/grow.h"
#include "base/str.h"
#include "base/intern.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct col_state {
    graft_intern_t *seen;  /* distinct values, NULL after overflow */
    size_t values_cap;     /* room in the column's values */
} col_state_t;

typedef struct describe_ctx {
    graft_describe_t *desc;
    graft_design_t *design;
    col_state_t *state;
    const graft_column_t *cols;  /* borrowed during the read */
    graft_key_t key;
} describe_ctx_t;


static graft_error_t nomem(const describe_ctx_t *c, graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, c->desc->file, 0, 0,
                          "out of memory");
}

static graft_error_t on_header(void *vctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    describe_ctx_t *c = vctx;
    graft_describe_t *d = c->desc;
    graft_error_t rc;
    c->cols = cols;
    d->n_cols = ncols;
    d->cols = calloc(ncols ? ncols : 1, sizeof *d->cols);
    c->state = calloc(ncols ? ncols : 1, sizeof *c->state);
    if (!d->cols || !c->state)
        return nomem(c, diag);
    for (size_t i = 0; i < ncols; i++) {
        graft_column_desc_t *cd = &d->cols[i];
        cd->name = graft_strdup(cols[i].name);
        cd->label = graft_strdup(cols[i].label);
        cd->type = cols[i].type;
        cd->min = INFINITY;
        cd->max = -INFINITY;
        c->state[i].seen = graft_intern_alloc();
        if (!cd->name || (cols[i].label && !cd->label) || !c->state[i].seen)
            return nomem(c, diag);
    }
    if ((rc = graft_design_bind(c->design, d->file, cols, ncols, diag)) !=
        GRAFT_OK)
        return rc;
    return GRAFT_OK;
}

static graft_error_t add_value(describe_ctx_t *c, size_t i,
                               const graft_cell_t *cell)
{
    graft_column_desc_t *cd = &c->desc->cols[i];
    col_state_t *st = &c->state[i];
    if (!st->seen)
        return GRAFT_OK;
    size_t id;
    int added;
    c->key.len = 0;
    if (graft_key_cell(&c->key, cell) != GRAFT_OK ||
        graft_intern_put(st->seen, c->key.buf, c->key.len, &id, &added) !=
            GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    if (added && id == GRAFT_DESCRIBE_MAX_VALUES) {
        /* One value too many: stop counting this column. */
        for (size_t k = 0; k < cd->n_distinct; k++) {
            free(cd->values[k].str);
            free(cd->values[k].label);
        }
        free(cd->values);
        cd->values = NULL;
        cd->overflow = 1;
        graft_intern_free(st->seen);
        st->seen = NULL;
        return GRAFT_OK;
    }
    if (added) {
        graft_value_count_t *v = graft_grow(cd->values, &st->values_cap,
                                            id + 1, sizeof *cd->values);
        if (!v)
            return GRAFT_ERR_NOMEM;
        cd->values = v;
        graft_value_count_t *e = &v[id];
        memset(e, 0, sizeof *e);
        cd->n_distinct = id + 1;
        e->kind = cell->kind;
        e->num = cell->num;
        const graft_labelset_t *ls = c->cols[i].labels;
        const char *label = NULL;
        if (cell->kind == GRAFT_CELL_STRING) {
            if (!(e->str = graft_strdup(cell->str)))
                return GRAFT_ERR_NOMEM;
            label = graft_labelset_str(ls, cell->str);
        } else {
            label = graft_labelset_num(ls, cell->num);
        }
        if (label && !(e->label = graft_strdup(label)))
            return GRAFT_ERR_NOMEM;
    }
    cd->values[id].count++;
    return GRAFT_OK;
}

static graft_error_t on_row(void *vctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    describe_ctx_t *c = vctx;
    graft_describe_t *d = c->desc;
    graft_error_t rc;
    if ((rc = graft_design_row(c->design, cells, line, NULL, diag)) !=
        GRAFT_OK)
        return rc;
    d->n_rows++;
    for (size_t i = 0; i < ncols; i++) {
        const graft_cell_t *cell = &cells[i];
        graft_column_desc_t *cd = &d->cols[i];
        if (cell->kind == GRAFT_CELL_MISSING) {
            cd->n_missing++;
            continue;
        }
        if (cell->kind == GRAFT_CELL_STRING) {
            cd->type = GRAFT_COL_STRING;
        } else {
            if (cd->type == GRAFT_COL_UNKNOWN)
                cd->type = GRAFT_COL_NUMERIC;
            if (cell->num < cd->min)
                cd->min = cell->num;
            if (cell->num > cd->max)
                cd->max = cell->num;
        }
        if (add_value(c, i, cell) != GRAFT_OK)
            return nomem(c, diag);
    }
    return GRAFT_OK;
}

/* Numbers by value, then strings by text. */
static int cmp_value(const void *a, const void *b)
{
    const graft_value_count_t *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind == GRAFT_CELL_NUMBER ? -1 : 1;
    if (x->kind == GRAFT_CELL_STRING)
        return strcmp(x->str, y->str);
    return (x->num > y->num) - (x->num < y->num);
}

static graft_error_t collect_lonely(graft_describe_t *d,
                                    const graft_design_t *design)
{
    size_t H = graft_design_n_strata(design);
    d->lonely = calloc(d->design.n_lonely ? d->design.n_lonely : 1,
                       sizeof *d->lonely);
    if (!d->lonely)
        return GRAFT_ERR_NOMEM;
    for (size_t h = 0; h < H; h++)
        if (graft_design_stratum_psus(design, h) == 1 &&
            !(d->lonely[d->n_lonely++] =
                  graft_strdup(graft_design_stratum_name(design, h))))
            return GRAFT_ERR_NOMEM;
    return GRAFT_OK;
}

graft_error_t graft_describe_file(const char *path,
                                  const graft_read_opts_t *opts,
                                  const graft_design_spec_t *spec,
                                  graft_describe_t **out, graft_diag_t *diag)
{
    graft_error_t rc;
    describe_ctx_t c = {0};
    *out = NULL;
    c.desc = calloc(1, sizeof *c.desc);
    c.design = graft_design_alloc(spec);
    if (!c.desc || !c.design || !(c.desc->file = graft_strdup(path))) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                            "out of memory");
        goto cleanup;
    }
    c.desc->spec = *spec;
    if ((rc = graft_read(path, opts, on_header, on_row, &c, diag)) !=
            GRAFT_OK ||
        (rc = graft_design_finish(c.design, diag)) != GRAFT_OK)
        goto cleanup;
    graft_design_summarize(c.design, &c.desc->design);
    c.desc->n_rep = graft_design_n_rep(c.design);
    if (c.desc->n_rep) {
        c.desc->rep_scale = graft_design_rep_scale(c.design);
        c.desc->rep_df = graft_design_rep_df(c.design);
    }
    if ((rc = collect_lonely(c.desc, c.design)) != GRAFT_OK) {
        graft_diag_set(diag, rc, path, 0, 0, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < c.desc->n_cols; i++) {
        graft_column_desc_t *cd = &c.desc->cols[i];
        if (!cd->overflow && cd->n_distinct)
            qsort(cd->values, cd->n_distinct, sizeof *cd->values,
                  cmp_value);
    }
    *out = c.desc;
    c.desc = NULL;
cleanup:
    if (c.state)
        for (size_t i = 0; i < (c.desc ? c.desc->n_cols
                                       : (*out ? (*out)->n_cols : 0));
             i++)
            graft_intern_free(c.state[i].seen);
    free(c.state);
    graft_key_free(&c.key);
    graft_design_free(c.design);
    graft_describe_free(c.desc);
    return rc;
}

void graft_describe_free(graft_describe_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->cols && i < d->n_cols; i++) {
        graft_column_desc_t *cd = &d->cols[i];
        free(cd->name);
        free(cd->label);
        for (size_t k = 0; cd->values && k < cd->n_distinct; k++) {
            free(cd->values[k].str);
            free(cd->values[k].label);
        }
        free(cd->values);
    }
    free(d->cols);
    for (size_t i = 0; i < d->n_lonely; i++)
        free(d->lonely[i]);
    free(d->lonely);
    free(d->file);
    free(d);
}
