/*
 * calvar.c - the calibration-adjusted linearized variance (stats/calvar.h,
 * docs/calibration-variance.md).
 *
 * R survey 4.1.1, svyrecvar(), replaces the weighted influence x by:
 *   postStratify  x - psw * (rowsum(x oldw / psw, cell) / sum(oldw))[cell]
 *   calibrate     qr.resid(qr(mm sqrt(d)), x / (g sqrt(d))) * g sqrt(d)
 *   rake          10 times, for each margin: x - psw * ave(x / psw, cell)
 * with psw the calibrated weight c, oldw the design weight d, g = c / d and
 * mm the margins' cell indicators m_i.  Each is x - c_i m_i'beta:
 *   postStratify, calibrate: beta solves A beta = b with A = sum d m m',
 *                 b = sum (x d / c) m (a design-weighted regression of the
 *                 influence on the cells; postStratify's A is diagonal)
 *   rake          beta = the sum of the ten sweeps' cell means, a
 *                 Gauss-Seidel on A beta = b with A = sum m m' (counts) and
 *                 b = sum (x / c) m, ten sweeps from 0.
 * The rank-deficient A of several margins (their indicators each sum to
 * one) is solved on a greedy basis of its columns (Cholesky dropping a
 * column whose pivot vanishes): the residual, a projection, is the same
 * for any basis of the span, as qr.resid's.
 */
#include "stats/calvar.h"
#include "stats/estimate_internal.h"
#include "stats/psu_store.h"
#include "base/intern.h"
#include "base/grow.h"
#include "stats/grow_zeroed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CAL_RAKE = 1 }; /* graft_cal_method_t: 0 poststratify, >= 2 GREG */

#define RAKE_SWEEPS 10  /* svyrecvar: for (iterations in 1:10) */
#define PIVOT_TOL 1e-10 /* a column is dependent below this share */

/* A vector of sums that grows (zero-filled) as cells appear. */
typedef struct vec {
    double *v;
    size_t cap;
} vec_t;

static int vec_add(vec_t *x, size_t i, double a)
{
    if (i >= x->cap) {
        double *v = graft_grow_zeroed(x->v, &x->cap, i + 1, sizeof *v);
        if (!v)
            return 0;
        x->v = v;
    }
    x->v[i] += a;
    return 1;
}

static double vec_get(const vec_t *x, size_t i)
{
    return i < x->cap ? x->v[i] : 0;
}

/* Packed lower triangle: (g, k) with g >= k. */
static size_t tri(size_t g, size_t k)
{
    return g >= k ? g * (g + 1) / 2 + k : k * (k + 1) / 2 + g;
}

/* Room for index I in an array of vectors (one per stratum or PSU). */
static vec_t *vecs_at(vec_t **arr, size_t *cap, size_t i)
{
    if (i >= *cap) {
        vec_t *a = graft_grow_zeroed(*arr, cap, i + 1, sizeof *a);
        if (!a)
            return NULL;
        *arr = a;
    }
    return &(*arr)[i];
}

static void vecs_free(vec_t *arr, size_t n)
{
    for (size_t i = 0; arr && i < n; i++)
        free(arr[i].v);
    free(arr);
}

struct graft_calcell {
    graft_calvar_t *cv;
    size_t idx;         /* the estimator's cell */
    vec_t bu, b1;       /* sum r u m, sum r m (the ratio's two parts) */
    double *beta;       /* the residual's coefficients (finish) */
    int ratio, live;    /* a ratio; an estimate to give a variance */
    double q, n;        /* estimate - shift, sum w */
    double z;           /* the PSU's residual total (finish) */
};

typedef struct margin {
    int col[GRAFT_MAX_BY];
    const graft_labelset_t *labels[GRAFT_MAX_BY];
    graft_intern_t *ids; /* the cell's key -> its local id */
    size_t *global;      /* local id -> cell index g */
    size_t cap;
} margin_t;

struct graft_calvar {
    const graft_cal_spec_t *spec;
    const char *file;
    margin_t *margins;
    size_t M, K, W;
    int dw_col, cw_col;   /* design weight; calibrated (-1: the weight) */
    size_t G;             /* cells over all margins */
    size_t *cell_margin, cm_cap;
    vec_t A;              /* packed sum a m m' */
    size_t *h_rows, h_cap; /* rows per stratum */
    vec_t *Mt;            /* per PSU: M_j (designs with PSUs) */
    size_t Mt_cap;
    /* without a PSU column, per row: stratum, c and cells (M each) */
    size_t *rh, rh_cap, n_rows;
    double *rc;
    size_t rc_cap;
    uint32_t *rg;
    size_t rg_cap;
    graft_psu_store_t *store; /* and the rows' totals (one per "PSU") */
    size_t row_g[GRAFT_MAX_CAL_MARGINS]; /* the current row's cells */
    double row_c, row_r;
    int row_psu;           /* the row is its own PSU */
    graft_key_t key;
    graft_calcell_t **cells;
    size_t n_cells, cells_cap;
    double *L;             /* G x G Cholesky factor (finish) */
    unsigned char *kept;   /* basis columns of A */
    double *scratch;       /* G */
};

/* ---- set-up ---------------------------------------------------------- */

int graft_cal_spec_uses(const graft_cal_spec_t *spec, const char *name)
{
    if ((spec->design_weight && strcmp(spec->design_weight, name) == 0) ||
        (spec->calibrated_weight &&
         strcmp(spec->calibrated_weight, name) == 0))
        return 1;
    for (size_t m = 0; m < spec->n_margins; m++)
        for (size_t i = 0; i < spec->margins[m].n_vars; i++)
            if (strcmp(spec->margins[m].vars[i], name) == 0)
                return 1;
    return 0;
}

graft_calvar_t *graft_calvar_alloc(const graft_cal_spec_t *spec, size_t K,
                                   size_t W)
{
    graft_calvar_t *cv = calloc(1, sizeof *cv);
    if (!cv)
        return NULL;
    cv->spec = spec;
    cv->K = K ? K : 1;
    cv->W = W;
    cv->M = spec->n_margins;
    cv->margins = calloc(cv->M ? cv->M : 1, sizeof *cv->margins);
    if (!cv->margins || cv->M > sizeof cv->row_g / sizeof cv->row_g[0]) {
        graft_calvar_free(cv);
        return NULL;
    }
    for (size_t m = 0; m < cv->M; m++)
        if (!(cv->margins[m].ids = graft_intern_alloc())) {
            graft_calvar_free(cv);
            return NULL;
        }
    return cv;
}

static void calcell_free(graft_calcell_t *cc)
{
    if (!cc)
        return;
    free(cc->bu.v);
    free(cc->b1.v);
    free(cc->beta);
    free(cc);
}

void graft_calvar_free(graft_calvar_t *cv)
{
    if (!cv)
        return;
    for (size_t m = 0; cv->margins && m < cv->M; m++) {
        graft_intern_free(cv->margins[m].ids);
        free(cv->margins[m].global);
    }
    free(cv->margins);
    free(cv->cell_margin);
    free(cv->A.v);
    free(cv->h_rows);
    vecs_free(cv->Mt, cv->Mt_cap);
    free(cv->rh);
    free(cv->rc);
    free(cv->rg);
    graft_psu_store_free(cv->store);
    graft_key_free(&cv->key);
    for (size_t i = 0; i < cv->n_cells; i++)
        calcell_free(cv->cells[i]);
    free(cv->cells);
    free(cv->L);
    free(cv->kept);
    free(cv->scratch);
    free(cv);
}

static graft_error_t find_col(const graft_calvar_t *cv, const char *what,
                              const char *name, const graft_column_t *cols,
                              size_t ncols, int *out, graft_diag_t *diag)
{
    for (size_t j = 0; j < ncols; j++)
        if (cols[j].name && strcmp(cols[j].name, name) == 0) {
            *out = (int)j;
            return GRAFT_OK;
        }
    const graft_source_t *src = &cv->spec->src;
    return graft_diag_set(diag, GRAFT_ERR_COLUMN, src->file, src->line, 0,
                          "[calibration] %s '%s' is not a column of %s",
                          what, name, cv->file);
}

graft_error_t graft_calvar_bind(graft_calvar_t *cv, const char *file,
                                const graft_column_t *cols, size_t ncols,
                                const char *weight, graft_diag_t *diag)
{
    const graft_cal_spec_t *s = cv->spec;
    graft_error_t rc;
    cv->file = file;
    cv->cw_col = -1;
    if ((rc = find_col(cv, "design_weight", s->design_weight, cols, ncols,
                       &cv->dw_col, diag)) != GRAFT_OK)
        return rc;
    if (s->calibrated_weight && (!weight ||
                                 strcmp(s->calibrated_weight, weight) != 0) &&
        (rc = find_col(cv, "calibrated_weight", s->calibrated_weight, cols,
                       ncols, &cv->cw_col, diag)) != GRAFT_OK)
        return rc;
    for (size_t m = 0; m < cv->M; m++)
        for (size_t i = 0; i < s->margins[m].n_vars; i++) {
            margin_t *mg = &cv->margins[m];
            if ((rc = find_col(cv, "margins variable", s->margins[m].vars[i],
                               cols, ncols, &mg->col[i], diag)) != GRAFT_OK)
                return rc;
            mg->labels[i] = cols[mg->col[i]].labels;
        }
    return GRAFT_OK;
}

/* ---- per row --------------------------------------------------------- */

/* The number in CELLS[COL], or a GRAFT_ERR_WEIGHT at LINE. */
static graft_error_t weight_value(const graft_calvar_t *cv,
                                  const graft_cell_t *cells, int col,
                                  const char *name, unsigned long line,
                                  double *out, graft_diag_t *diag)
{
    const graft_cell_t *c = &cells[col];
    if (c->kind == GRAFT_CELL_NUMBER && isfinite(c->num)) {
        *out = c->num;
        return GRAFT_OK;
    }
    char buf[64];
    return graft_diag_set(diag, GRAFT_ERR_WEIGHT, cv->file, line, 0,
                          "[calibration] weight '%s' is not a number ('%s'): "
                          "the calibration-adjusted variance needs it on "
                          "every row",
                          name, graft_cell_text(c, buf, sizeof buf));
}

/* The row's cell of margin M: its key (labels as --by shows them), its
 * dense id, a new cell index when it is new. */
static graft_error_t row_cell(graft_calvar_t *cv, size_t m,
                              const graft_cell_t *cells, unsigned long line,
                              graft_diag_t *diag)
{
    margin_t *mg = &cv->margins[m];
    const graft_cal_margin_spec_t *ms = &cv->spec->margins[m];
    graft_key_t *k = &cv->key;
    k->len = 0;
    for (size_t i = 0; i < ms->n_vars; i++) {
        const graft_cell_t *c = &cells[mg->col[i]];
        const char *label = NULL;
        if (c->kind == GRAFT_CELL_MISSING)
            return graft_diag_set(diag, GRAFT_ERR_DESIGN_VALUE, cv->file,
                                  line, 0,
                                  "margin variable '%s' is missing: a "
                                  "calibrated weight puts every row in a "
                                  "cell of each margin",
                                  ms->vars[i]);
        if (mg->labels[i])
            label = c->kind == GRAFT_CELL_NUMBER
                        ? graft_labelset_num(mg->labels[i], c->num)
                        : graft_labelset_str(mg->labels[i], c->str);
        graft_error_t rc = label ? graft_key_bytes(k, "L", 1)
                                 : graft_key_cell(k, c);
        if (rc == GRAFT_OK && label)
            rc = graft_key_bytes(k, label, strlen(label) + 1);
        if (rc != GRAFT_OK)
            return GRAFT_ERR_NOMEM;
    }
    size_t id;
    int added;
    if (graft_intern_put(mg->ids, k->buf, k->len, &id, &added) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    if (added) {
        size_t *gl = graft_grow(mg->global, &mg->cap, id + 1, sizeof *gl);
        size_t *cm = gl ? graft_grow(cv->cell_margin, &cv->cm_cap,
                                     cv->G + 1, sizeof *cm)
                        : NULL;
        if (gl)
            mg->global = gl;
        if (!cm)
            return GRAFT_ERR_NOMEM;
        cv->cell_margin = cm;
        cm[cv->G] = m;
        gl[id] = cv->G++;
    }
    cv->row_g[m] = mg->global[id];
    return GRAFT_OK;
}

/* The row's weights: c (calibrated), d (design), r (the factor of the
 * influence in b) and a (its factor in A). */
static graft_error_t row_weights(graft_calvar_t *cv,
                                 const graft_cell_t *cells, double w,
                                 unsigned long line, double *a,
                                 graft_diag_t *diag)
{
    const graft_cal_spec_t *s = cv->spec;
    double c = w, d;
    graft_error_t rc;
    if ((rc = weight_value(cv, cells, cv->dw_col, s->design_weight, line, &d,
                           diag)) != GRAFT_OK ||
        (cv->cw_col >= 0 &&
         (rc = weight_value(cv, cells, cv->cw_col, s->calibrated_weight,
                            line, &c, diag)) != GRAFT_OK))
        return rc;
    int rake = s->method == CAL_RAKE;
    if (c == 0 && w != 0 && (rake || d != 0))
        return graft_diag_set(diag, GRAFT_ERR_WEIGHT, cv->file, line, 0,
                              "calibrated weight '%s' is 0 where the weight "
                              "is not (%g)",
                              s->calibrated_weight, w);
    /* R: x oldw / psw (postStratify), x / (g sqrt d) (calibrate), x / psw
     * (rake); x = w u.  Where c = w the factors are d and 1. */
    double q = c == w ? 1 : c != 0 ? w / c : 0;
    cv->row_r = rake ? q : q * d;
    cv->row_c = c;
    *a = rake ? 1 : d;
    return GRAFT_OK;
}

/* The row's M: into its PSU's M_j, or kept with the row when it is its
 * own PSU.  Returns 0 when out of memory. */
static int row_m(graft_calvar_t *cv, const graft_design_obs_t *obs)
{
    double c = cv->row_c;
    if (obs->psu != GRAFT_ROW_PSU) {
        vec_t *Mj = vecs_at(&cv->Mt, &cv->Mt_cap, obs->psu);
        for (size_t m = 0; Mj && m < cv->M; m++)
            if (!vec_add(Mj, cv->row_g[m], c))
                return 0;
        return Mj != NULL;
    }
    size_t i = cv->n_rows, M = cv->M;
    size_t *rh = graft_grow(cv->rh, &cv->rh_cap, i + 1, sizeof *rh);
    if (rh)
        cv->rh = rh;
    double *rc = rh ? graft_grow(cv->rc, &cv->rc_cap, i + 1, sizeof *rc)
                    : NULL;
    if (rc)
        cv->rc = rc;
    uint32_t *rg = rc ? graft_grow(cv->rg, &cv->rg_cap, (i + 1) * M,
                                   sizeof *rg)
                      : NULL;
    if (!rg)
        return 0;
    cv->rg = rg;
    rh[i] = obs->stratum;
    rc[i] = c;
    for (size_t m = 0; m < M; m++)
        rg[i * M + m] = (uint32_t)cv->row_g[m];
    cv->n_rows++;
    return 1;
}

graft_error_t graft_calvar_row(graft_calvar_t *cv, const graft_cell_t *cells,
                               const graft_design_obs_t *obs,
                               unsigned long line, graft_diag_t *diag)
{
    graft_error_t rc;
    double a = 0;
    if ((rc = row_weights(cv, cells, obs->weight, line, &a, diag)) !=
        GRAFT_OK)
        return rc;
    for (size_t m = 0; m < cv->M; m++)
        if ((rc = row_cell(cv, m, cells, line, diag)) != GRAFT_OK)
            goto fail;
    size_t h = obs->stratum;
    size_t *hr = graft_grow_zeroed(cv->h_rows, &cv->h_cap, h + 1,
                                   sizeof *hr);
    if (!hr)
        goto nomem;
    cv->h_rows = hr;
    hr[h]++;
    cv->row_psu = obs->psu == GRAFT_ROW_PSU;
    for (size_t m = 0; m < cv->M; m++)
        for (size_t k = 0; k <= m; k++)
            if (!vec_add(&cv->A, tri(cv->row_g[m], cv->row_g[k]), a))
                goto nomem;
    if (!row_m(cv, obs))
        goto nomem;
    return GRAFT_OK;
fail:
    if (rc != GRAFT_ERR_NOMEM)
        return rc;
nomem:
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, cv->file, line, 0,
                          "out of memory");
}

static graft_calcell_t *calcell_new(graft_calvar_t *cv)
{
    graft_calcell_t *cc = calloc(1, sizeof *cc);
    graft_calcell_t **cells =
        cc ? graft_grow(cv->cells, &cv->cells_cap, cv->n_cells + 1,
                        sizeof *cells)
           : NULL;
    if (!cells) {
        free(cc);
        return NULL;
    }
    cv->cells = cells;
    cells[cv->n_cells++] = cc;
    cc->cv = cv;
    return cc;
}

graft_error_t graft_calvar_add(graft_calvar_t *cv, graft_calcell_t **cc,
                               size_t idx, const graft_design_obs_t *obs,
                               double u)
{
    if (!*cc && !(*cc = calcell_new(cv)))
        return GRAFT_ERR_NOMEM;
    graft_calcell_t *x = *cc;
    double r = cv->row_r, w = obs->weight;
    x->idx = idx;
    for (size_t m = 0; m < cv->M; m++) {
        size_t g = cv->row_g[m];
        if (!vec_add(&x->bu, g, r * u) || !vec_add(&x->b1, g, r))
            return GRAFT_ERR_NOMEM;
    }
    if (!cv->row_psu)
        return GRAFT_OK; /* the estimator's store has the PSU's totals */
    if (!cv->store && !(cv->store = graft_psu_store_alloc(cv->K, cv->W)))
        return GRAFT_ERR_NOMEM;
    double *yx = graft_psu_store_block(cv->store, cv->n_rows - 1,
                                       (uint32_t)(idx / cv->K));
    if (!yx)
        return GRAFT_ERR_NOMEM;
    yx[2 * (idx % cv->K)] += w * u;
    yx[2 * (idx % cv->K) + 1] += w;
    return GRAFT_OK;
}

/* ---- the coefficients -------------------------------------------------- */

/* Cholesky of A on a greedy basis of its columns (kept[g]). */
static void factor(graft_calvar_t *cv)
{
    size_t G = cv->G;
    double *L = cv->L;
    for (size_t k = 0; k < G; k++) {
        double akk = vec_get(&cv->A, tri(k, k)), s = akk;
        for (size_t p = 0; p < k; p++)
            if (cv->kept[p])
                s -= L[k * G + p] * L[k * G + p];
        cv->kept[k] = akk > 0 && s > PIVOT_TOL * akk;
        if (!cv->kept[k])
            continue;
        L[k * G + k] = sqrt(s);
        for (size_t i = k + 1; i < G; i++) {
            double t = vec_get(&cv->A, tri(i, k));
            for (size_t p = 0; p < k; p++)
                if (cv->kept[p])
                    t -= L[i * G + p] * L[k * G + p];
            L[i * G + k] = t / L[k * G + k];
        }
    }
}

/* X = A^-1 B on the basis (0 off it), through the factor. */
static void solve(const graft_calvar_t *cv, const vec_t *b, double *x)
{
    size_t G = cv->G;
    const double *L = cv->L;
    for (size_t k = 0; k < G; k++) {
        x[k] = 0;
        if (!cv->kept[k])
            continue;
        double t = vec_get(b, k);
        for (size_t p = 0; p < k; p++)
            if (cv->kept[p])
                t -= L[k * G + p] * x[p];
        x[k] = t / L[k * G + k];
    }
    for (size_t k = G; k-- > 0;) {
        if (!cv->kept[k])
            continue;
        double t = x[k];
        for (size_t i = k + 1; i < G; i++)
            if (cv->kept[i])
                t -= L[i * G + k] * x[i];
        x[k] = t / L[k * G + k];
    }
}

/* rake: svyrecvar's ten sweeps over the margins, each subtracting the
 * cells' means of x / psw, as the sum of the means they take. */
static void sweeps(const graft_calvar_t *cv, const vec_t *b, double *x)
{
    size_t G = cv->G;
    memset(x, 0, G * sizeof *x);
    for (int it = 0; it < RAKE_SWEEPS; it++)
        for (size_t m = 0; m < cv->M; m++)
            for (size_t g = 0; g < G; g++) {
                double n = vec_get(&cv->A, tri(g, g));
                if (cv->cell_margin[g] != m || n == 0)
                    continue;
                double s = vec_get(b, g);
                for (size_t k = 0; k < G; k++)
                    s -= vec_get(&cv->A, tri(g, k)) * x[k];
                x[g] += s / n;
            }
}

/* Each cell's coefficients: beta = (beta_u - q beta_1) / N for a ratio
 * (q = estimate - shift), beta_u for a total, through A's factor or
 * rake's sweeps.  Returns 0 when out of memory. */
static int coefficients(graft_calvar_t *cv, struct cell *cells,
                        const int *ratio)
{
    size_t G = cv->G ? cv->G : 1;
    double *b1 = cv->scratch;
    for (size_t i = 0; i < cv->n_cells; i++) {
        graft_calcell_t *cc = cv->cells[i];
        const cell_t *cell = &cells[cc->idx];
        cc->ratio = ratio[cc->idx % cv->K];
        cc->live = cell->n > 0 && (!cc->ratio || cell->sw != 0);
        if (!cc->live)
            continue;
        if (!(cc->beta = calloc(G, sizeof *cc->beta)))
            return 0;
        double est = cc->ratio ? cell->swy / cell->sw : cell->swy;
        cc->q = est - cell->shift;
        cc->n = cell->sw;
        if (cv->spec->method == CAL_RAKE) {
            sweeps(cv, &cc->bu, cc->beta);
            sweeps(cv, &cc->b1, b1);
        } else {
            solve(cv, &cc->bu, cc->beta);
            solve(cv, &cc->b1, b1);
        }
        for (size_t g = 0; cc->ratio && g < cv->G; g++)
            cc->beta[g] = (cc->beta[g] - cc->q * b1[g]) / cc->n;
    }
    return 1;
}

/* M'BETA of unit J: PSU J's M_j, or row J's c m (without a PSU
 * column). */
static double unit_m_beta(const graft_calvar_t *cv, const double *beta,
                          size_t j)
{
    double s = 0;
    if (!cv->n_rows) {
        const vec_t *Mj = &cv->Mt[j];
        for (size_t g = 0; g < Mj->cap && g < cv->G; g++)
            s += Mj->v[g] * beta[g];
        return s;
    }
    for (size_t m = 0; m < cv->M; m++)
        s += beta[cv->rg[j * cv->M + m]];
    return cv->rc[j] * s;
}

static double m_beta(const graft_calvar_t *cv, const graft_calcell_t *cc,
                     size_t j)
{
    return unit_m_beta(cv, cc->beta, j);
}

/* Unit J (of stratum H): every live cell's residual total
 * z = t - M'beta, t = (Y - q X) / N or Y from the unit's blocks in STORE,
 * into its stratum's sums.  Returns 0 when out of memory. */
static int fold_unit(graft_calvar_t *cv, const graft_psu_store_t *store,
                     struct cell *cells, size_t j, size_t h)
{
    for (size_t i = 0; i < cv->n_cells; i++)
        if (cv->cells[i]->live)
            cv->cells[i]->z = -m_beta(cv, cv->cells[i], j);
    const graft_psu_block_t *b;
    for (size_t n = 0; store && (b = graft_psu_store_nth(store, j, n)); n++) {
        const double *yx = graft_psu_store_values(b);
        size_t base = (size_t)graft_psu_store_slot(b) * cv->K;
        for (size_t k = 0; k < cv->K; k++) {
            graft_calcell_t *cc = cells[base + k].cal;
            if (!cc || cc->cv != cv || !cc->live)
                continue;
            double y = yx[2 * k], x = yx[2 * k + 1];
            cc->z += cc->ratio ? (y - cc->q * x) / cc->n : y;
        }
    }
    for (size_t i = 0; i < cv->n_cells; i++) {
        graft_calcell_t *cc = cv->cells[i];
        cell_t *cell = &cells[cc->idx];
        if (!cc->live)
            continue;
        if (h >= cell->strat_cap) {
            strat_acc_t *T = graft_grow_zeroed(cell->T, &cell->strat_cap,
                                               h + 1, sizeof *T);
            if (!T)
                return 0;
            cell->T = T;
        }
        cell->T[h].cz += cc->z;
        cell->T[h].czz += cc->z * cc->z;
    }
    return 1;
}

graft_error_t graft_calvar_finish(graft_calvar_t *cv,
                                  const graft_design_t *design,
                                  const struct graft_psu_store *store,
                                  struct cell *cells, const int *ratio)
{
    size_t G = cv->G ? cv->G : 1;
    if (!(cv->L = calloc(G * G, sizeof *cv->L)) || !(cv->kept = calloc(G, 1)) ||
        !(cv->scratch = calloc(G, sizeof *cv->scratch)))
        return GRAFT_ERR_NOMEM;
    if (cv->spec->method != CAL_RAKE)
        factor(cv);
    if (!coefficients(cv, cells, ratio))
        return GRAFT_ERR_NOMEM;
    if (cv->store) { /* each row its own PSU */
        for (size_t i = 0; i < cv->n_rows; i++)
            if (!fold_unit(cv, cv->store, cells, i, cv->rh[i]))
                return GRAFT_ERR_NOMEM;
        return GRAFT_OK;
    }
    if (!store) /* --shared-psus: graft_calvar_dense */
        return GRAFT_OK;
    for (size_t j = 0; j < cv->Mt_cap; j++)
        if (cv->Mt[j].cap &&
            !fold_unit(cv, store, cells, j,
                       graft_design_psu_stratum(design, j)))
            return GRAFT_ERR_NOMEM;
    return GRAFT_OK;
}

int graft_calvar_has_stratum(const graft_calcell_t *cc, size_t h)
{
    return h < cc->cv->h_cap && cc->cv->h_rows[h] > 0;
}

/* --shared-psus keeps each PSU's totals per cell: the residual goes into
 * them, so every contrast of rounds uses it. */
int graft_calvar_dense(struct cell *cell)
{
    graft_calcell_t *cc = cell->cal;
    const graft_calvar_t *cv = cc->cv;
    size_t J = cv->Mt_cap;
    if (!cc->live || J == 0)
        return 1;
    size_t cap = cell->psu_cap;
    double *Y = graft_grow_zeroed(cell->Y, &cap, J, sizeof *Y);
    if (!Y)
        return 0;
    cell->Y = Y;
    double *X = graft_grow_zeroed(cell->X, &cell->psu_cap, J, sizeof *X);
    if (!X)
        return 0;
    cell->X = X;
    double s = cc->ratio ? cc->n : 1;
    for (size_t j = 0; j < J; j++)
        if (cv->Mt[j].cap)
            cell->Y[j] -= s * m_beta(cv, cc, j);
    return 1;
}

/* ---- influences known on kept rows ------------------------------------ */

size_t graft_calvar_n_margins(const graft_calvar_t *cv)
{
    return cv->M;
}

void graft_calvar_row_info(const graft_calvar_t *cv,
                           const graft_design_obs_t *obs, uint32_t *cells,
                           double *r, size_t *unit)
{
    for (size_t m = 0; m < cv->M; m++)
        cells[m] = (uint32_t)cv->row_g[m];
    *r = cv->row_r;
    *unit = obs->psu == GRAFT_ROW_PSU ? cv->n_rows - 1 : obs->psu;
}

/* Each unit's residual total into Z (its rows' w u less M'BETA), then
 * EACH in unit order. */
static void residual_units(const graft_calvar_t *cv,
                           const graft_design_t *design, const double *beta,
                           double *z,
                           void (*each)(void *, size_t, size_t, double),
                           void *ctx)
{
    size_t units = cv->n_rows ? cv->n_rows : cv->Mt_cap;
    for (size_t j = 0; j < units; j++) {
        if (!cv->n_rows && !cv->Mt[j].cap)
            continue; /* a PSU of another round */
        size_t h = cv->n_rows ? cv->rh[j]
                              : graft_design_psu_stratum(design, j);
        each(ctx, j, h, z[j] - unit_m_beta(cv, beta, j));
    }
}

/* svyrecvar's residuals of an influence given on kept rows: beta from
 * b = sum r u m (A's factor, or rake's sweeps), as coefficients() does
 * for a total. */
graft_error_t graft_calvar_residuals(const graft_calvar_t *cv,
                                     const graft_design_t *design,
                                     const graft_calinf_t *rows, size_t n,
                                     void (*each)(void *ctx, size_t unit,
                                                  size_t h, double z),
                                     void *ctx)
{
    size_t G = cv->G ? cv->G : 1;
    size_t units = cv->n_rows ? cv->n_rows : cv->Mt_cap;
    vec_t b = {calloc(G, sizeof(double)), G};
    double *beta = calloc(G, sizeof *beta);
    double *z = calloc(units ? units : 1, sizeof *z);
    if (!b.v || !beta || !z) {
        free(b.v);
        free(beta);
        free(z);
        return GRAFT_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t m = 0; m < cv->M; m++)
            b.v[rows[i].cells[m]] += rows[i].ru;
        z[rows[i].unit] += rows[i].wu;
    }
    if (cv->spec->method == CAL_RAKE)
        sweeps(cv, &b, beta);
    else
        solve(cv, &b, beta);
    residual_units(cv, design, beta, z, each, ctx);
    free(b.v);
    free(beta);
    free(z);
    return GRAFT_OK;
}
