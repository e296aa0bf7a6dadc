/*
 * glm.c - design-based generalized linear models, R survey's svyglm
 * (graft/model.h, docs/model.md): the data pass that keeps the model's
 * rows, the factors and the design matrix, and the summary table
 * (coefficients, se, t, p on the residual df, intervals, Wald tests).
 * The numerics are in glm_fit.c.
 *
 * Rows (R: model.frame of subset(design, among), then na.action): a row
 * is fitted when 'among' is true, the response is a number and every
 * variable of the formula has a value.  Every row still counts in the
 * design (strata, PSUs, n_h), so a domain keeps every PSU as estimate's
 * domains do.
 */
#include "stats/formula.h"
#include "stats/glm_internal.h"
#include "stats/gram.h"
#include "stats/lonely.h"
#include "base/grow.h"
#include "base/str.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static const char *const family_names[] = {"linear", "logistic", "poisson"};

int graft_family_parse(const char *name, graft_family_t *out)
{
    for (size_t i = 0; i < 3; i++)
        if (name && strcmp(name, family_names[i]) == 0) {
            *out = (graft_family_t)i;
            return 1;
        }
    return 0;
}

const char *graft_family_name(graft_family_t family)
{
    return (size_t)family < 3 ? family_names[family] : "?";
}

/* A formula variable: where it is, what the pass saw, and its levels. */
typedef struct gvar {
    size_t col;
    graft_labelset_t *labels; /* a copy of the column's value labels (the
                                 reader's last only for its callback) */
    int has_num, has_str, factor;
    char **strs;          /* distinct strings met, in order */
    size_t n_strs, strs_cap;
    double *codes;        /* numeric factor: its levels' codes, sorted */
    size_t *str_level;    /* string factor: the level of each string */
    char **names;         /* the levels' display names */
    size_t n_levels, ref;
} gvar_t;

/* One column of the design matrix: a term and a level of each of its
 * factor parts (NONE for a numeric part). */
typedef struct gcol {
    size_t term;
    size_t level[GRAFT_FORMULA_MAX_PARTS];
} gcol_t;

typedef struct glm_ctx {
    const char *path;
    const graft_model_spec_t *spec;
    graft_formula_t *f;
    graft_expr_t *among;
    graft_design_t *design;
    gvar_t *vars;
    size_t nv, n_rep, n, cap;
    double *y, *w, *val, *repw;
    double *rep_gram; /* replicate weights' Gram matrix over every row of
                         the domain, those with a missing value too (R's
                         svyglm takes its df before dropping them) */
    size_t *h, *psu;
    gcol_t *cols;
    size_t p;
} glm_ctx_t;

/* ---- the pass --------------------------------------------------------- */

/* A copy of SET, or NULL (none, or out of memory: *NOMEM set). */
static graft_labelset_t *copy_labels(const graft_labelset_t *set, int *nomem)
{
    size_t n = graft_labelset_count(set);
    graft_labelset_t *copy = n ? graft_labelset_alloc() : NULL;
    *nomem = n && !copy;
    for (size_t i = 0; copy && i < n; i++) {
        int is_str;
        double num;
        const char *str;
        const char *lab = graft_labelset_entry(set, i, &is_str, &num, &str);
        if ((is_str ? graft_labelset_add_str(copy, str, lab)
                    : graft_labelset_add_num(copy, num, lab)) != GRAFT_OK) {
            graft_labelset_free(copy);
            *nomem = 1;
            return NULL;
        }
    }
    return copy;
}

static graft_error_t bind_vars(glm_ctx_t *c, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    graft_error_t rc;
    for (size_t v = 0; v < c->nv; v++) {
        if ((rc = graft_expr_bind(c->f->vars[v].expr, cols, ncols, diag)) !=
            GRAFT_OK)
            return rc;
        for (size_t k = 0; k < ncols; k++)
            if (cols[k].name && strcmp(cols[k].name, c->f->vars[v].name) == 0) {
                int nomem;
                c->vars[v].col = k;
                graft_labelset_free(c->vars[v].labels);
                c->vars[v].labels = copy_labels(cols[k].labels, &nomem);
                if (nomem)
                    return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                          "out of memory");
            }
    }
    return GRAFT_OK;
}

static graft_error_t on_header(void *vctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    glm_ctx_t *c = vctx;
    graft_error_t rc;
    if ((rc = graft_design_bind(c->design, c->path, cols, ncols, diag)) !=
            GRAFT_OK ||
        (rc = graft_expr_bind(c->f->response, cols, ncols, diag)) !=
            GRAFT_OK ||
        (c->among &&
         (rc = graft_expr_bind(c->among, cols, ncols, diag)) != GRAFT_OK))
        return rc;
    c->n_rep = graft_design_n_rep(c->design);
    free(c->rep_gram);
    c->rep_gram = c->n_rep ? calloc(c->n_rep * c->n_rep, sizeof *c->rep_gram)
                           : NULL;
    if (c->n_rep && !c->rep_gram)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    return bind_vars(c, cols, ncols, diag);
}

/* Room for one more row in every array. */
static int grow_rows(glm_ctx_t *c)
{
    if (c->n < c->cap)
        return 0;
    size_t cap = graft_grow_cap(c->cap, c->n + 1, sizeof(double) *
                                (c->nv + c->n_rep + 4));
    if (!cap)
        return -1;
    double *y = realloc(c->y, cap * sizeof *y);
    if (y) c->y = y;
    double *w = realloc(c->w, cap * sizeof *w);
    if (w) c->w = w;
    size_t *h = realloc(c->h, cap * sizeof *h);
    if (h) c->h = h;
    size_t *psu = realloc(c->psu, cap * sizeof *psu);
    if (psu) c->psu = psu;
    double *val = realloc(c->val, (c->nv ? cap * c->nv : 1) * sizeof *val);
    if (val) c->val = val;
    double *repw = c->n_rep ? realloc(c->repw, cap * c->n_rep * sizeof *repw)
                            : c->repw;
    if (repw) c->repw = repw;
    if (!y || !w || !h || !psu || !val || (c->n_rep && !repw))
        return -1;
    c->cap = cap;
    return 0;
}

/* The index of string S among V's strings, added when new (-1: no
 * memory). */
static double string_index(gvar_t *v, const char *s)
{
    for (size_t k = 0; k < v->n_strs; k++)
        if (strcmp(v->strs[k], s) == 0)
            return (double)k;
    char **p = graft_grow(v->strs, &v->strs_cap, v->n_strs + 1,
                          sizeof *v->strs);
    if (!p)
        return -1;
    v->strs = p;
    if (!(v->strs[v->n_strs] = graft_strdup(s)))
        return -1;
    return (double)v->n_strs++;
}

/* The row's variables into VAL; 1 when one is missing, -1 out of memory. */
static int row_vars(glm_ctx_t *c, const graft_cell_t *cells, double *val)
{
    for (size_t v = 0; v < c->nv; v++) {
        graft_cell_t x = graft_expr_eval(c->f->vars[v].expr, cells);
        gvar_t *g = &c->vars[v];
        if (x.kind == GRAFT_CELL_MISSING)
            return 1;
        if (x.kind == GRAFT_CELL_NUMBER) {
            g->has_num = 1;
            val[v] = x.num;
        } else {
            g->has_str = 1;
            if ((val[v] = string_index(g, x.str ? x.str : "")) < 0)
                return -1;
        }
    }
    return 0;
}

/* The response on this row into *Y (NaN when missing), or an error. */
static graft_error_t row_response(glm_ctx_t *c, const graft_cell_t *cells,
                                  unsigned long line, double *y,
                                  graft_diag_t *diag)
{
    graft_cell_t r = graft_expr_eval(c->f->response, cells);
    *y = NAN;
    if (r.kind == GRAFT_CELL_MISSING)
        return GRAFT_OK;
    if (r.kind == GRAFT_CELL_STRING)
        return graft_diag_set(diag, GRAFT_ERR_VALUE, c->path, line, 0,
                              "the response '%s' is '%s' on this row, not "
                              "a number",
                              graft_expr_text(c->f->response),
                              r.str ? r.str : "");
    *y = r.num;
    int bad = (c->spec->family == GRAFT_FAMILY_LOGISTIC && (*y < 0 || *y > 1))
              || (c->spec->family == GRAFT_FAMILY_POISSON && *y < 0);
    if (bad)
        return graft_diag_set(diag, GRAFT_ERR_MODEL, c->path, line, 0,
                              "the response '%s' is %g on this row: a %s "
                              "model needs %s",
                              graft_expr_text(c->f->response), *y,
                              graft_family_name(c->spec->family),
                              c->spec->family == GRAFT_FAMILY_LOGISTIC
                                  ? "values from 0 to 1"
                                  : "values of 0 or more");
    return GRAFT_OK;
}

static graft_error_t on_row(void *vctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    glm_ctx_t *c = vctx;
    graft_design_obs_t obs;
    graft_error_t rc;
    double y;
    (void)ncols;
    if ((rc = graft_design_row(c->design, cells, line, &obs, diag)) !=
        GRAFT_OK)
        return rc;
    if (c->among && graft_expr_test(c->among, cells) != 1)
        return GRAFT_OK;
    if (c->n_rep)
        graft_gram_add(c->rep_gram, c->n_rep, 1.0, obs.repw);
    if ((rc = row_response(c, cells, line, &y, diag)) != GRAFT_OK ||
        isnan(y))
        return rc;
    if (grow_rows(c) != 0)
        goto nomem;
    int missing = row_vars(c, cells, c->val + c->n * c->nv);
    if (missing < 0)
        goto nomem;
    if (missing)
        return GRAFT_OK;
    c->y[c->n] = y;
    c->w[c->n] = obs.weight;
    c->h[c->n] = obs.stratum;
    c->psu[c->n] = obs.psu;
    if (c->n_rep)
        memcpy(c->repw + c->n * c->n_rep, obs.repw,
               c->n_rep * sizeof *c->repw);
    c->n++;
    return GRAFT_OK;
nomem:
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, c->path, line, 0,
                          "out of memory");
}

/* Every column the model reads: the design's and the formula's. */
static int uses_column(void *vctx, const char *name)
{
    const glm_ctx_t *c = vctx;
    const graft_expr_t *e[2] = {c->f->response, c->among};
    if (graft_design_spec_uses(graft_design_spec(c->design), name))
        return 1;
    for (size_t v = 0; v < c->nv; v++)
        if (strcmp(c->f->vars[v].name, name) == 0)
            return 1;
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        const char *const *cols = e[k] ? graft_expr_columns(e[k], &n) : NULL;
        for (size_t i = 0; cols && i < n; i++)
            if (strcmp(cols[i], name) == 0)
                return 1;
    }
    return 0;
}

/* ---- factors ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *const *sort_strs; /* qsort has no context argument */

static int cmp_str_index(const void *a, const void *b)
{
    return strcmp(sort_strs[*(const size_t *)a], sort_strs[*(const size_t *)b]);
}

/* A numeric factor's levels: the distinct codes, sorted. */
static int numeric_levels(glm_ctx_t *c, size_t v, gvar_t *g)
{
    if (!(g->codes = malloc((c->n ? c->n : 1) * sizeof *g->codes)))
        return -1;
    for (size_t i = 0; i < c->n; i++)
        g->codes[i] = c->val[i * c->nv + v];
    qsort(g->codes, c->n, sizeof *g->codes, cmp_double);
    size_t L = 0;
    for (size_t i = 0; i < c->n; i++)
        if (L == 0 || g->codes[i] != g->codes[L - 1])
            g->codes[L++] = g->codes[i];
    g->n_levels = L;
    if (!(g->names = calloc(L ? L : 1, sizeof *g->names)))
        return -1;
    for (size_t k = 0; k < L; k++) {
        const char *lab = g->labels ? graft_labelset_num(g->labels,
                                                         g->codes[k])
                                    : NULL;
        char buf[64];
        snprintf(buf, sizeof buf, "%.15g", g->codes[k]);
        if (!(g->names[k] = graft_strdup(lab ? lab : buf)))
            return -1;
    }
    return 0;
}

/* A string factor's levels: its strings in byte order. */
static int string_levels(gvar_t *g)
{
    size_t L = g->n_strs;
    size_t *order = malloc((L ? L : 1) * sizeof *order);
    g->str_level = malloc((L ? L : 1) * sizeof *g->str_level);
    g->names = calloc(L ? L : 1, sizeof *g->names);
    if (!order || !g->str_level || !g->names) {
        free(order);
        return -1;
    }
    for (size_t k = 0; k < L; k++)
        order[k] = k;
    sort_strs = (const char *const *)g->strs;
    qsort(order, L, sizeof *order, cmp_str_index);
    sort_strs = NULL;
    for (size_t k = 0; k < L; k++) {
        const char *s = g->strs[order[k]];
        const char *lab = g->labels ? graft_labelset_str(g->labels, s) : NULL;
        g->str_level[order[k]] = k;
        if (!(g->names[k] = graft_strdup(lab ? lab : s))) {
            free(order);
            return -1;
        }
    }
    g->n_levels = L;
    free(order);
    return 0;
}

/* The reference level ref() names, by display name or code. */
static graft_error_t find_ref(const glm_ctx_t *c, size_t v,
                              graft_diag_t *diag)
{
    gvar_t *g = &c->vars[v];
    const graft_fvar_t *fv = &c->f->vars[v];
    for (size_t k = 0; k < g->n_levels; k++) {
        char buf[64];
        if (g->codes)
            snprintf(buf, sizeof buf, "%.15g", g->codes[k]);
        if (strcmp(g->names[k], fv->ref) == 0 ||
            (g->codes && strcmp(buf, fv->ref) == 0)) {
            g->ref = k;
            return GRAFT_OK;
        }
    }
    const graft_source_t *src = &c->spec->formula_src;
    graft_error_t code = src->file && strncmp(src->file, "--", 2)
                             ? GRAFT_ERR_SURVEY_FILE : GRAFT_ERR_USAGE;
    return graft_diag_set(diag, code, src->file, src->line, fv->ref_col,
                          "'%s' is not a level of %s among the fitted rows "
                          "(the first is '%s')",
                          fv->ref, fv->name,
                          g->n_levels ? g->names[0] : "");
}

static graft_error_t resolve_var(glm_ctx_t *c, size_t v, graft_diag_t *diag)
{
    gvar_t *g = &c->vars[v];
    const graft_fvar_t *fv = &c->f->vars[v];
    if (g->has_num && g->has_str)
        return graft_diag_set(diag, GRAFT_ERR_VALUE, c->path, 0, 0,
                              "column '%s' holds both numbers and text: "
                              "a model term needs one or the other",
                              fv->name);
    g->factor = fv->factor || g->has_str || g->labels;
    if (!g->factor)
        return GRAFT_OK;
    if ((g->has_str ? string_levels(g) : numeric_levels(c, v, g)) != 0)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if (g->n_levels < 2)
        return graft_diag_set(diag, GRAFT_ERR_MODEL, c->path, 0, 0,
                              "factor '%s' has a single level ('%s') among "
                              "the rows fitted: drop it from the formula",
                              fv->name, g->n_levels ? g->names[0] : "");
    return fv->ref ? find_ref(c, v, diag) : GRAFT_OK;
}

/* Row I's level of factor V. */
static size_t row_level(const glm_ctx_t *c, size_t i, size_t v)
{
    const gvar_t *g = &c->vars[v];
    double x = c->val[i * c->nv + v];
    if (!g->codes)
        return g->str_level[(size_t)x];
    const double *hit = bsearch(&x, g->codes, g->n_levels, sizeof x,
                                cmp_double);
    return hit ? (size_t)(hit - g->codes) : NONE;
}

/* ---- the design matrix ------------------------------------------------ */

/* Append term T's columns: the odometer over its factors' levels other
 * than the reference, first part fastest (R's column order). */
static graft_error_t term_columns(glm_ctx_t *c, size_t t, graft_diag_t *diag)
{
    const graft_fterm_t *ft = &c->f->terms[t];
    gcol_t col = {t, {0}};
    for (size_t k = 0; k < ft->n_vars; k++) {
        const gvar_t *g = &c->vars[ft->vars[k]];
        col.level[k] = g->factor ? (g->ref == 0 ? 1 : 0) : NONE;
    }
    for (;;) {
        if (c->p == GRAFT_MODEL_MAX_COEF)
            return graft_diag_set(diag, GRAFT_ERR_MODEL, NULL, 0, 0,
                                  "more than %d coefficients",
                                  GRAFT_MODEL_MAX_COEF);
        c->cols[c->p++] = col;
        size_t k = 0;
        for (; k < ft->n_vars; k++) {
            const gvar_t *g = &c->vars[ft->vars[k]];
            if (!g->factor)
                continue;
            size_t next = col.level[k] + 1;
            if (next == g->ref)
                next++;
            if (next < g->n_levels) {
                col.level[k] = next;
                break;
            }
            col.level[k] = g->ref == 0 ? 1 : 0;
        }
        if (k == ft->n_vars)
            return GRAFT_OK;
    }
}

static double cell_value(const glm_ctx_t *c, size_t i, const gcol_t *col)
{
    const graft_fterm_t *ft = &c->f->terms[col->term];
    double x = 1;
    for (size_t k = 0; k < ft->n_vars; k++) {
        size_t v = ft->vars[k];
        if (col->level[k] == NONE)
            x *= c->val[i * c->nv + v];
        else if (row_level(c, i, v) != col->level[k])
            return 0;
    }
    return x;
}

/* Column J's name: "(Intercept)", "sex=Female", "sex=Female:urban=Rural". */
static char *col_name(const glm_ctx_t *c, size_t j)
{
    if (j == 0)
        return graft_strdup("(Intercept)");
    const gcol_t *col = &c->cols[j];
    const graft_fterm_t *ft = &c->f->terms[col->term];
    char buf[2048];
    size_t used = 0;
    for (size_t k = 0; k < ft->n_vars && used < sizeof buf; k++) {
        size_t v = ft->vars[k];
        int n = col->level[k] == NONE
                    ? snprintf(buf + used, sizeof buf - used, "%s%s",
                               k ? ":" : "", c->f->vars[v].name)
                    : snprintf(buf + used, sizeof buf - used, "%s%s=%s",
                               k ? ":" : "", c->f->vars[v].name,
                               c->vars[v].names[col->level[k]]);
        used += n > 0 ? (size_t)n : 0;
    }
    return graft_strdup(buf);
}

static graft_error_t build_matrix(glm_ctx_t *c, glm_data_t *g,
                                  graft_diag_t *diag)
{
    graft_error_t rc;
    if (!(c->cols = calloc(GRAFT_MODEL_MAX_COEF, sizeof *c->cols)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    c->p = 1; /* the intercept */
    for (size_t t = 0; t < c->f->n_terms; t++)
        if ((rc = term_columns(c, t, diag)) != GRAFT_OK)
            return rc;
    if (c->n < c->p)
        return graft_diag_set(diag, GRAFT_ERR_MODEL, c->path, 0, 0,
                              "%zu rows to fit but %zu coefficients",
                              c->n, c->p);
    if (!(g->X = gsl_matrix_alloc(c->n, c->p)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t i = 0; i < c->n; i++) {
        gsl_matrix_set(g->X, i, 0, 1.0);
        for (size_t j = 1; j < c->p; j++)
            gsl_matrix_set(g->X, i, j, cell_value(c, i, &c->cols[j]));
    }
    g->n = c->n;
    g->p = c->p;
    g->n_rep = c->n_rep;
    g->y = c->y;
    g->w = c->w;
    g->h = c->h;
    g->psu = c->psu;
    g->repw = c->repw;
    g->family = c->spec->family;
    g->max_iter = c->spec->max_iter;
    return GRAFT_OK;
}

/* GRAFT_ERR_MODEL naming the aliased columns. */
static graft_error_t check_aliased(glm_ctx_t *c, const glm_data_t *g,
                                   graft_diag_t *diag)
{
    int *aliased = calloc(g->p, sizeof *aliased);
    size_t n = aliased ? graft_glm_aliased(g, aliased) : (size_t)-1;
    if (n == (size_t)-1) {
        free(aliased);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    char list[512] = "";
    size_t used = 0;
    for (size_t j = 0; n && j < g->p; j++) {
        char *name = aliased[j] ? col_name(c, j) : NULL;
        if (name && used < sizeof list) {
            int k = snprintf(list + used, sizeof list - used, "%s'%s'",
                             used ? ", " : "", name);
            used += k > 0 ? (size_t)k : 0;
        }
        free(name);
    }
    free(aliased);
    if (!n)
        return GRAFT_OK;
    return graft_diag_set(diag, GRAFT_ERR_MODEL, c->path, 0, 0,
                          "the design matrix is rank-deficient: %s %s a "
                          "combination of the terms before (drop %s or "
                          "merge levels)",
                          list, n > 1 ? "are each" : "is",
                          n > 1 ? "them" : "it");
}

/* ---- degrees of freedom ---------------------------------------------- */

/* R's degf() as svyglm takes it: PSUs minus strata among the fitted rows
 * with a positive weight; a replicate design's: the rank of the replicate
 * weights of every row of the domain, rows with a missing response or
 * term included (svyglm.svyrep.design computes degf(design) before
 * dropping them), minus 1. */
static double design_df(const glm_ctx_t *c)
{
    if (c->n_rep) {
        long rank = graft_rep_rank(c->rep_gram, c->n_rep);
        return rank < 0 ? NAN : (double)rank - 1;
    }
    size_t J = graft_design_n_psu(c->design), H = graft_design_n_strata(c->design);
    unsigned char *psu = calloc(J ? J : 1, 1), *h = calloc(H ? H : 1, 1);
    double units = 0, strata = 0;
    for (size_t i = 0; psu && h && i < c->n; i++) {
        if (!(c->w[i] > 0))
            continue;
        if (c->psu[i] == GRAFT_ROW_PSU || !psu[c->psu[i]])
            units++;
        if (c->psu[i] != GRAFT_ROW_PSU)
            psu[c->psu[i]] = 1;
        strata += !h[c->h[i]];
        h[c->h[i]] = 1;
    }
    int ok = psu && h;
    free(psu);
    free(h);
    return ok ? units - strata : NAN;
}

/* Under lonely-psu fail, the first stratum with rows and a single PSU. */
static graft_error_t check_lonely(const glm_ctx_t *c, graft_diag_t *diag)
{
    const graft_design_t *d = c->design;
    graft_lonely_t policy = graft_design_spec(d)->lonely;
    for (size_t i = 0; i < c->n; i++) {
        size_t h = c->h[i];
        if (graft_design_stratum_psus(d, h) == 1) {
            graft_error_t rc = graft_lonely_check(
                policy, c->path, graft_design_stratum_name(d, h), diag);
            if (rc != GRAFT_OK)
                return rc;
        }
    }
    return GRAFT_OK;
}

/* ---- results ---------------------------------------------------------- */

static void coef_stats(graft_model_t *m, const double *beta)
{
    double df = m->df;
    double q = df > 0 ? gsl_cdf_tdist_Qinv((1 - m->level) / 2, df) : NAN;
    for (size_t j = 0; j < m->p; j++) {
        graft_model_coef_t *k = &m->coefs[j];
        k->estimate = beta[j];
        k->se = sqrt(m->vcov[j * m->p + j]);
        k->t = k->estimate / k->se;
        k->p = df > 0 ? 2 * gsl_cdf_tdist_Q(fabs(k->t), df) : NAN;
        k->ci_low = k->estimate - q * k->se;
        k->ci_high = k->estimate + q * k->se;
        int lin = m->family == GRAFT_FAMILY_LINEAR;
        k->exp_estimate = lin ? NAN : exp(k->estimate);
        k->exp_ci_low = lin ? NAN : exp(k->ci_low);
        k->exp_ci_high = lin ? NAN : exp(k->ci_high);
    }
}

/* regTermTest: F = b' V^-1 b / q on (q, ddf) for term T's coefficients. */
static void wald_test(const glm_ctx_t *c, graft_model_t *m, size_t t,
                      graft_model_test_t *out)
{
    size_t idx[GRAFT_MODEL_MAX_COEF], q = 0;
    for (size_t j = 1; j < m->p; j++)
        if (c->cols[j].term == t)
            idx[q++] = j;
    out->df = q;
    out->ddf = m->df;
    out->F = out->p = NAN;
    gsl_matrix *V = gsl_matrix_alloc(q, q);
    gsl_vector *b = gsl_vector_alloc(q), *x = gsl_vector_alloc(q);
    if (V && b && x) {
        for (size_t a = 0; a < q; a++) {
            gsl_vector_set(b, a, m->coefs[idx[a]].estimate);
            for (size_t k = 0; k < q; k++)
                gsl_matrix_set(V, a, k, m->vcov[idx[a] * m->p + idx[k]]);
        }
        double chisq = NAN;
        if (gsl_linalg_cholesky_decomp1(V) == 0 &&
            gsl_linalg_cholesky_solve(V, b, x) == 0)
            gsl_blas_ddot(b, x, &chisq);
        out->F = chisq / (double)q;
        if (m->df > 0 && isfinite(out->F))
            out->p = gsl_cdf_fdist_Q(out->F, (double)q, m->df);
    }
    gsl_matrix_free(V);
    gsl_vector_free(b);
    gsl_vector_free(x);
}

/* The term names and, per factor term, its reference levels. */
static int model_terms(const glm_ctx_t *c, graft_model_t *m)
{
    m->n_terms = c->f->n_terms;
    m->terms = calloc(m->n_terms ? m->n_terms : 1, sizeof *m->terms);
    m->reference = calloc(m->n_terms ? m->n_terms : 1, sizeof *m->reference);
    if (!m->terms || !m->reference)
        return -1;
    for (size_t t = 0; t < m->n_terms; t++) {
        const graft_fterm_t *ft = &c->f->terms[t];
        char buf[1024];
        size_t used = 0;
        for (size_t k = 0; k < ft->n_vars && used < sizeof buf; k++) {
            const gvar_t *g = &c->vars[ft->vars[k]];
            if (!g->factor)
                continue;
            int n = snprintf(buf + used, sizeof buf - used, "%s%s=%s",
                             used ? ":" : "", c->f->vars[ft->vars[k]].name,
                             g->names[g->ref]);
            used += n > 0 ? (size_t)n : 0;
        }
        if (!(m->terms[t] = graft_strdup(ft->text)) ||
            (used && !(m->reference[t] = graft_strdup(buf))))
            return -1;
    }
    return 0;
}

/* The model in *OUT, which takes V (freed whatever happens). */
static graft_error_t model_build(const glm_ctx_t *c, const double *beta,
                                 double *V, double ddf, size_t iter,
                                 graft_model_t **out)
{
    graft_model_t *m = calloc(1, sizeof *m);
    if (!m) {
        free(V);
        return GRAFT_ERR_NOMEM;
    }
    *out = m; /* owns V from here */
    m->family = c->spec->family;
    m->level = c->spec->level;
    m->p = c->p;
    m->vcov = V;
    m->n = c->n;
    for (size_t i = 0; i < c->n; i++)
        m->weighted_n += c->w[i];
    m->design_df = ddf;
    m->df = ddf + 1 - (double)c->p;
    m->iterations = iter;
    m->formula = graft_strdup(c->spec->formula);
    m->file = graft_strdup(c->path);
    m->coefs = calloc(c->p, sizeof *m->coefs);
    m->tests = calloc(c->spec->n_tests ? c->spec->n_tests : 1,
                      sizeof *m->tests);
    if (!m->formula || !m->file || !m->coefs || !m->tests ||
        model_terms(c, m) != 0)
        return GRAFT_ERR_NOMEM;
    for (size_t j = 0; j < c->p; j++) {
        m->coefs[j].term_index = j ? c->cols[j].term : NONE;
        if (!(m->coefs[j].term = col_name(c, j)))
            return GRAFT_ERR_NOMEM;
    }
    coef_stats(m, beta);
    for (size_t k = 0; k < c->spec->n_tests; k++) {
        size_t t = graft_formula_find_term(c->f, c->spec->tests[k]);
        m->tests[m->n_tests].term = graft_strdup(c->spec->tests[k]);
        if (!m->tests[m->n_tests].term)
            return GRAFT_ERR_NOMEM;
        wald_test(c, m, t, &m->tests[m->n_tests++]);
    }
    return GRAFT_OK;
}

/* Fit the rows kept, then the variance, df and table. */
static graft_error_t fit_rows(glm_ctx_t *c, graft_model_t **out,
                              graft_diag_t *diag)
{
    glm_data_t g;
    graft_error_t rc;
    size_t iter = 0;
    double beta[GRAFT_MODEL_MAX_COEF] = {0}, *V = NULL;
    memset(&g, 0, sizeof g);
    if (c->n == 0)
        return graft_diag_set(diag, GRAFT_ERR_MODEL, c->path, 0, 0,
                              "no rows to fit: none is in the domain with "
                              "the response and every term present");
    for (size_t v = 0; v < c->nv; v++)
        if ((rc = resolve_var(c, v, diag)) != GRAFT_OK)
            return rc;
    if ((rc = build_matrix(c, &g, diag)) != GRAFT_OK ||
        (rc = check_aliased(c, &g, diag)) != GRAFT_OK ||
        (rc = check_lonely(c, diag)) != GRAFT_OK ||
        (rc = graft_glm_irls(&g, g.w, beta, 1, &iter, diag)) != GRAFT_OK)
        goto done;
    if (!(V = malloc(c->p * c->p * sizeof *V))) {
        rc = GRAFT_ERR_NOMEM;
        goto done;
    }
    rc = c->n_rep ? graft_glm_var_replicate(&g, c->design, beta, V, diag)
                  : graft_glm_var_linear(&g, c->design, beta, V);
    if (rc == GRAFT_OK) {
        rc = model_build(c, beta, V, design_df(c), iter, out);
        V = NULL; /* the model's */
    }
done:
    gsl_matrix_free(g.X);
    free(V);
    if (rc == GRAFT_ERR_NOMEM)
        graft_diag_set(diag, rc, NULL, 0, 0, "out of memory");
    return rc;
}

static void ctx_free(glm_ctx_t *c)
{
    for (size_t v = 0; c->vars && v < c->nv; v++) {
        gvar_t *g = &c->vars[v];
        for (size_t k = 0; k < g->n_strs; k++)
            free(g->strs[k]);
        for (size_t k = 0; g->names && k < g->n_levels; k++)
            free(g->names[k]);
        free(g->strs);
        graft_labelset_free(g->labels);
        free(g->codes);
        free(g->str_level);
        free(g->names);
    }
    free(c->vars);
    free(c->cols);
    free(c->y);
    free(c->w);
    free(c->val);
    free(c->repw);
    free(c->rep_gram);
    free(c->h);
    free(c->psu);
    graft_expr_free(c->among);
    graft_formula_free(c->f);
    graft_design_free(c->design);
}

/* The formula, 'among' and tests parsed, before the file is read. */
static graft_error_t parse_spec(glm_ctx_t *c, graft_diag_t *diag)
{
    const graft_model_spec_t *s = c->spec;
    graft_error_t rc;
    if ((rc = graft_formula_parse(s->formula, &s->formula_src, &c->f,
                                  diag)) != GRAFT_OK)
        return rc;
    if (s->among &&
        (rc = graft_expr_parse(s->among, s->among_src.file, s->among_src.line,
                               s->among_src.col, &c->among, diag)) !=
            GRAFT_OK)
        return rc;
    for (size_t k = 0; k < s->n_tests; k++)
        if (graft_formula_find_term(c->f, s->tests[k]) == NONE)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                                  "--test: '%s' is not a term of the "
                                  "formula",
                                  s->tests[k]);
    c->nv = c->f->n_vars;
    c->vars = calloc(c->nv ? c->nv : 1, sizeof *c->vars);
    if (!c->vars)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    return GRAFT_OK;
}

graft_error_t graft_model_fit(const char *path, const graft_read_opts_t *read,
                              const graft_design_spec_t *design,
                              const graft_model_spec_t *spec,
                              graft_model_t **out, graft_diag_t *diag)
{
    glm_ctx_t c;
    graft_error_t rc;
    memset(&c, 0, sizeof c);
    *out = NULL;
    c.path = path;
    c.spec = spec;
    if (design->cal && !design->rep.columns)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "a model on a calibrated design is not "
                              "supported yet (its variance needs the "
                              "calibration residuals)");
    if ((rc = parse_spec(&c, diag)) != GRAFT_OK)
        goto done;
    if (!(c.design = graft_design_alloc(design))) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    graft_read_opts_t ro = {0};
    if (read)
        ro = *read;
    ro.uses = uses_column;
    ro.uses_arg = &c;
    if ((rc = graft_read(path, &ro, on_header, on_row, &c, diag)) !=
            GRAFT_OK ||
        (rc = graft_design_finish(c.design, diag)) != GRAFT_OK)
        goto done;
    if ((rc = fit_rows(&c, out, diag)) != GRAFT_OK) {
        graft_model_free(*out);
        *out = NULL;
    }
done:
    ctx_free(&c);
    return rc;
}

void graft_model_free(graft_model_t *m)
{
    if (!m)
        return;
    for (size_t j = 0; m->coefs && j < m->p; j++)
        free(m->coefs[j].term);
    for (size_t t = 0; t < m->n_tests; t++)
        free(m->tests[t].term);
    for (size_t t = 0; t < m->n_terms; t++) {
        free(m->terms ? m->terms[t] : NULL);
        free(m->reference ? m->reference[t] : NULL);
    }
    free(m->terms);
    free(m->reference);
    free(m->coefs);
    free(m->tests);
    free(m->vcov);
    free(m->formula);
    free(m->file);
    free(m);
}
