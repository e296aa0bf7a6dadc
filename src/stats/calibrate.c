/*
 * calibrate.c - calibration of weights to population margins as R survey
 * 4.1-1 does it: postStratify (one margin), rake (iterative proportional
 * fitting, R's loop), calibrate's grake (Newton iterations on the
 * calibration equations, calfun linear, logit or raking, bounds on g), the
 * same on every replicate weight column (R's methods for svyrep.design), and
 * trimWeights.  docs/calibration.md states the formulas beside R's code and
 * what differs from R's defaults.
 *
 * The model matrix of the calfun methods is R's model.matrix(~ m1 + m2 ...)
 * of the margins as factors, the population totals margins2totals():
 * column 0 the intercept (total: the first margin's sum), then for each
 * margin its cells but the first one kept (R's treatment contrasts).  A cell
 * with neither rows of positive weight nor a total is left out (R's `zz`).
 */
#include "graft/calibrate.h"
#include "base/names.h"

#include <float.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

/* R grake: weights are rescaled when every population total is more than
 * SOMETHRESHOLD times its sample total. */
#define GRAKE_SOMETHRESHOLD 20.0
/* MASS::ginv(Tmat, tol = 256 * .Machine$double.eps) in grake. */
#define GINV_TOL (256.0 * DBL_EPSILON)
/* trimWeights(strict = TRUE) repeats until no weight is out of bounds; an
 * impossible request (the weights' sum beyond n times a bound) never gets
 * there: graft stops after this many rounds (R recurses until its stack
 * overflows). */
#define TRIM_MAX_ROUNDS 10000

/* ---- names and options ------------------------------------------------ */

static const char *const method_names[] = {"poststratify", "rake", "linear",
                                           "logit", "raking"};

int graft_cal_method_parse(const char *name, graft_cal_method_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(method_names, 0, name, &i))
        return 0;
    *out = (graft_cal_method_t)i;
    return 1;
}

const char *graft_cal_method_name(graft_cal_method_t method)
{
    return GRAFT_NAMES_AT(method_names, method);
}

void graft_cal_opts_init(graft_cal_opts_t *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->method = GRAFT_CAL_RAKE;
    opts->lower = -HUGE_VAL;
    opts->upper = HUGE_VAL;
    opts->tolerance = GRAFT_CAL_TOLERANCE;
    opts->max_iter = GRAFT_CAL_MAX_ITER;
}

/* ---- the problem ------------------------------------------------------ */

typedef struct cal {
    size_t n, nm;
    const graft_margin_t *mg;
    const uint32_t *const *cells;
    graft_cal_opts_t o;  /* defaults filled in */
    size_t *off;         /* nm + 1: margin m's cells are off[m] .. off[m+1) */
    double *sum;         /* off[nm]: a weighted total per cell (scratch) */
    size_t *count;       /* off[nm]: rows per cell */
} cal_t;

static void cell_text(const graft_margin_t *m, size_t c, char *buf,
                      size_t size)
{
    if (m->cell_names && m->cell_names[c])
        snprintf(buf, size, "'%s'", m->cell_names[c]);
    else
        snprintf(buf, size, "#%zu", c + 1);
}

/* Fail with CODE at cell C of margin M: "FILE:LINE: margin M, cell C: ...",
 * prefixed by the replicate when REP is not NONE. */
static graft_error_t cell_fail(graft_diag_t *diag, graft_error_t code,
                               const graft_margin_t *m, size_t c, size_t rep,
                               const char *fmt, ...)
{
    char what[700], cell[256], pre[64] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    cell_text(m, c, cell, sizeof cell);
    if (rep != NONE)
        snprintf(pre, sizeof pre, "replicate %zu: ", rep + 1);
    return graft_diag_set(diag, code, m->file,
                          m->file && m->lines ? m->lines[c] : 0, 0,
                          "%smargin %s, cell %s: %s", pre,
                          m->name ? m->name : "?", cell, what);
}

static graft_error_t check_opts(const cal_t *c, graft_diag_t *diag)
{
    double lo = c->o.lower, up = c->o.upper;
    if (c->nm == 0)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "calibration needs at least one margin");
    if (c->n == 0)
        return graft_diag_set(diag, GRAFT_ERR_CALIBRATE, NULL, 0, 0,
                              "no rows to calibrate");
    if (c->o.method == GRAFT_CAL_POSTSTRATIFY && c->nm != 1)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "poststratify takes one margin (%zu given): "
                              "cross the variables in one margin, or rake",
                              c->nm);
    if ((unsigned)c->o.method > GRAFT_CAL_RAKING)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "unknown calibration method %d",
                              (int)c->o.method);
    if (isnan(lo) || isnan(up) || !(lo < up))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "calibration bounds %g,%g: the lower bound "
                              "must be below the upper one", lo, up);
    if (c->o.method == GRAFT_CAL_LOGIT &&
        !(isfinite(lo) && isfinite(up) && lo < 1 && up > 1))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "logit calibration needs finite bounds L,U "
                              "with L < 1 < U (%g,%g given)", lo, up);
    if (!(c->o.tolerance > 0) || !isfinite(c->o.tolerance))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "calibration tolerance %g: not a positive "
                              "number", c->o.tolerance);
    return GRAFT_OK;
}

static graft_error_t check_margins(const cal_t *c, graft_diag_t *diag)
{
    for (size_t m = 0; m < c->nm; m++) {
        const graft_margin_t *mg = &c->mg[m];
        if (mg->n_cells == 0 || !mg->totals || !c->cells[m])
            return graft_diag_set(diag, GRAFT_ERR_USAGE, mg->file, 0, 0,
                                  "margin %s has no cells",
                                  mg->name ? mg->name : "?");
        for (size_t k = 0; k < mg->n_cells; k++)
            if (!(mg->totals[k] >= 0) || !isfinite(mg->totals[k]))
                return cell_fail(diag, GRAFT_ERR_CALIBRATE, mg, k, NONE,
                                 "the population total %g is not a "
                                 "number >= 0", mg->totals[k]);
        for (size_t i = 0; i < c->n; i++)
            if (c->cells[m][i] >= mg->n_cells)
                return graft_diag_set(diag, GRAFT_ERR_INTERNAL, NULL, 0, 0,
                                      "row %zu: cell %lu of margin %s out "
                                      "of range", i + 1,
                                      (unsigned long)c->cells[m][i],
                                      mg->name ? mg->name : "?");
    }
    return GRAFT_OK;
}

static graft_error_t check_weights(size_t n, const double *w, size_t rep,
                                   graft_diag_t *diag)
{
    for (size_t i = 0; i < n; i++)
        if (!(w[i] >= 0) || !isfinite(w[i])) {
            char pre[64] = "";
            if (rep != NONE)
                snprintf(pre, sizeof pre, "replicate %zu, ", rep + 1);
            return graft_diag_set(diag, GRAFT_ERR_WEIGHT, NULL, 0, 0,
                                  "%srow %zu: weight %g is negative or not "
                                  "finite", pre, i + 1, w[i]);
        }
    return GRAFT_OK;
}

/* SUM and COUNT of each cell of every margin under the weights W. */
static void cell_sums(const cal_t *c, const double *w)
{
    memset(c->sum, 0, c->off[c->nm] * sizeof *c->sum);
    memset(c->count, 0, c->off[c->nm] * sizeof *c->count);
    for (size_t m = 0; m < c->nm; m++) {
        double *s = c->sum + c->off[m];
        size_t *k = c->count + c->off[m];
        const uint32_t *cell = c->cells[m];
        for (size_t i = 0; i < c->n; i++) {
            s[cell[i]] += w[i];
            k[cell[i]]++;
        }
    }
}

/* Every cell with a total has weight in W, and every cell with weight has
 * a total (R's postStratify: "Some strata absent from sample", "Strata in
 * sample absent from population"). */
static graft_error_t check_cells(const cal_t *c, const double *w, size_t rep,
                                 graft_diag_t *diag)
{
    cell_sums(c, w);
    for (size_t m = 0; m < c->nm; m++)
        for (size_t k = 0; k < c->mg[m].n_cells; k++) {
            const graft_margin_t *mg = &c->mg[m];
            double t = mg->totals[k], s = c->sum[c->off[m] + k];
            size_t cnt = c->count[c->off[m] + k];
            if (t > 0 && cnt == 0)
                return cell_fail(diag, GRAFT_ERR_CALIBRATE, mg, k, rep,
                                 "a population total of %.10g but no rows "
                                 "in the data", t);
            if (t > 0 && s == 0)
                return cell_fail(diag, GRAFT_ERR_CALIBRATE, mg, k, rep,
                                 "a population total of %.10g but its %zu "
                                 "rows have weight 0%s", t, cnt,
                                 rep != NONE ? " in this replicate" : "");
            if (t == 0 && s > 0)
                return cell_fail(diag, GRAFT_ERR_CALIBRATE, mg, k, rep,
                                 "%zu rows in the data (weighted total "
                                 "%.10g) but a population total of 0",
                                 cnt, s);
        }
    return GRAFT_OK;
}

static graft_error_t cal_init(cal_t *c, size_t n, size_t nm,
                              const graft_margin_t *margins,
                              const uint32_t *const *cells,
                              const graft_cal_opts_t *opts,
                              graft_diag_t *diag)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->nm = nm;
    c->mg = margins;
    c->cells = cells;
    graft_cal_opts_init(&c->o);
    if (opts) {
        c->o = *opts;
        if (c->o.tolerance == 0)
            c->o.tolerance = GRAFT_CAL_TOLERANCE;
        if (c->o.max_iter == 0)
            c->o.max_iter = GRAFT_CAL_MAX_ITER;
    }
    graft_error_t rc = check_opts(c, diag);
    if (rc == GRAFT_OK)
        rc = check_margins(c, diag);
    if (rc != GRAFT_OK)
        return rc;
    c->off = malloc((nm + 1) * sizeof *c->off);
    if (!c->off)
        return GRAFT_ERR_NOMEM;
    c->off[0] = 0;
    for (size_t m = 0; m < nm; m++)
        c->off[m + 1] = c->off[m] + margins[m].n_cells;
    c->sum = malloc((c->off[nm] + 1) * sizeof *c->sum);
    c->count = malloc((c->off[nm] + 1) * sizeof *c->count);
    if (!c->sum || !c->count)
        return GRAFT_ERR_NOMEM;
    return GRAFT_OK;
}

static void cal_free(cal_t *c)
{
    free(c->off);
    free(c->sum);
    free(c->count);
}

/* ---- what a calibration achieved -------------------------------------- */

static int outside(double g, double lo, double up)
{
    return g < lo - 1e-12 * fabs(lo) || g > up + 1e-12 * fabs(up);
}

/* The cell furthest from its total under W_OUT, and the rows whose
 * g = W_OUT / W is outside the bounds. */
static void measure(const cal_t *c, const double *w, const double *w_out,
                    graft_cal_result_t *res)
{
    cell_sums(c, w_out);
    res->worst_margin = res->worst_cell = 0;
    res->worst_rel_error = -1;
    for (size_t m = 0; m < c->nm; m++)
        for (size_t k = 0; k < c->mg[m].n_cells; k++) {
            double t = c->mg[m].totals[k], a = c->sum[c->off[m] + k];
            double e = t > 0 ? fabs(a - t) / t : (a != 0 ? HUGE_VAL : 0);
            if (isnan(e))
                e = HUGE_VAL;
            if (e > res->worst_rel_error) {
                res->worst_rel_error = e;
                res->worst_margin = m;
                res->worst_cell = k;
            }
        }
    res->n_outside_bounds = 0;
    for (size_t i = 0; i < c->n; i++)
        if (w[i] > 0 && outside(w_out[i] / w[i], c->o.lower, c->o.upper))
            res->n_outside_bounds++;
}

/* The calibration of W (REP: a replicate, or NONE) did not converge: name
 * the cell furthest from its total under W_OUT. */
static graft_error_t fail_converge(const cal_t *c, const double *w,
                                   const double *w_out, size_t rep,
                                   graft_cal_result_t *res,
                                   graft_diag_t *diag)
{
    graft_cal_result_t r = *res;
    measure(c, w, w_out, &r);
    const graft_margin_t *m = &c->mg[r.worst_margin];
    char bounds[128] = "";
    if (c->o.method >= GRAFT_CAL_LINEAR &&
        (isfinite(c->o.lower) || isfinite(c->o.upper)))
        snprintf(bounds, sizeof bounds, " within the bounds %g <= g <= %g",
                 c->o.lower, c->o.upper);
    if (rep == NONE)
        *res = r;
    res->converged = 0;
    double got = c->sum[c->off[r.worst_margin] + r.worst_cell];
    if (!isfinite(got)) /* the iterations ran away: no achieved total */
        return cell_fail(diag, GRAFT_ERR_CALIBRATE, m, r.worst_cell, rep,
                         "total %.10g not met: %s calibration diverged "
                         "(the weighted total is no longer finite)%s "
                         "after %zu iterations",
                         m->totals[r.worst_cell],
                         graft_cal_method_name(c->o.method), bounds,
                         res->iterations);
    return cell_fail(diag, GRAFT_ERR_CALIBRATE, m, r.worst_cell, rep,
                     "furthest from its total (%.10g, achieved %.10g, "
                     "relative error %.3g): %s calibration did not converge"
                     "%s in %zu iterations (tolerance %g)",
                     m->totals[r.worst_cell], got, r.worst_rel_error, graft_cal_method_name(c->o.method),
                     bounds, res->iterations, c->o.tolerance);
}

/* ---- postStratify and rake -------------------------------------------- */

/* R postStratify on margin M, in place on W: each cell's weights times
 * reweight = Pop.Freq / Freq (a cell with no weight and no total keeps its
 * zero weights). */
static void ps_pass(const cal_t *c, size_t m, double *w)
{
    double *f = c->sum + c->off[m];
    const uint32_t *cell = c->cells[m];
    const double *t = c->mg[m].totals;
    memset(f, 0, c->mg[m].n_cells * sizeof *f);
    for (size_t i = 0; i < c->n; i++)
        f[cell[i]] += w[i];
    for (size_t k = 0; k < c->mg[m].n_cells; k++)
        f[k] = f[k] > 0 ? t[k] / f[k] : 1;
    for (size_t i = 0; i < c->n; i++)
        w[i] *= f[cell[i]];
}

typedef struct keyed {
    uint64_t key;
    size_t row;
} keyed_t;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Renumber ID[i] * K + CELL[i] densely, through a table of the NID * K
 * combinations (when that is small) or a sort of the rows by it. */
static graft_error_t cross_one(size_t n, size_t *id, size_t *nid, size_t k,
                               const uint32_t *cell)
{
    size_t next = 0;
    if (*nid <= (4 * n + 4096) / k) {
        size_t *map = malloc(*nid * k * sizeof *map);
        if (!map)
            return GRAFT_ERR_NOMEM;
        memset(map, 0xff, *nid * k * sizeof *map); /* NONE */
        for (size_t i = 0; i < n; i++) {
            size_t key = id[i] * k + cell[i];
            if (map[key] == NONE)
                map[key] = next++;
            id[i] = map[key];
        }
        free(map);
    } else {
        keyed_t *kv = malloc(n * sizeof *kv);
        if (!kv || *nid > UINT64_MAX / k) {
            free(kv);
            return GRAFT_ERR_NOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            kv[i].key = (uint64_t)id[i] * k + cell[i];
            kv[i].row = i;
        }
        qsort(kv, n, sizeof *kv, keyed_cmp);
        for (size_t j = 0; j < n; j++) {
            if (j > 0 && kv[j].key != kv[j - 1].key)
                next++;
            id[kv[j].row] = next;
        }
        next++;
        free(kv);
    }
    *nid = next;
    return GRAFT_OK;
}

/* Number the cells of the margins crossed (R rake's svytable over all the
 * margins' variables): ID[i] for row i (N > 0), *N_IDS of them. */
static graft_error_t cross_ids(const cal_t *c, size_t *id, size_t *n_ids)
{
    size_t nid = c->mg[0].n_cells;
    for (size_t i = 0; i < c->n; i++)
        id[i] = c->cells[0][i];
    for (size_t m = 1; m < c->nm; m++) {
        graft_error_t rc = cross_one(c->n, id, &nid, c->mg[m].n_cells,
                                     c->cells[m]);
        if (rc != GRAFT_OK)
            return rc;
    }
    *n_ids = nid;
    return GRAFT_OK;
}

static void cross_table(size_t n, const double *w, const size_t *id,
                        size_t n_ids, double *tab)
{
    memset(tab, 0, n_ids * sizeof *tab);
    for (size_t i = 0; i < n; i++)
        tab[id[i]] += w[i];
}

/* R rake's loop on W_OUT (the design weights on entry): passes of
 * postStratify over the margins until the crossed table of weights moves
 * by less than epsilon between passes, epsilon = tolerance * sum of the
 * design weights (R's control$epsilon below 1), or the tolerance itself
 * when it is 1 or more (R's absolute epsilon). */
static graft_error_t rake_full(const cal_t *c, double *w_out,
                               graft_cal_result_t *res)
{
    size_t n_ids, *id = malloc((c->n ? c->n : 1) * sizeof *id);
    double *old = NULL, *tab = NULL, total = 0;
    graft_error_t rc = id ? cross_ids(c, id, &n_ids) : GRAFT_ERR_NOMEM;
    if (rc == GRAFT_OK) {
        old = malloc((n_ids + 1) * sizeof *old);
        tab = malloc((n_ids + 1) * sizeof *tab);
        if (!old || !tab)
            rc = GRAFT_ERR_NOMEM;
    }
    if (rc != GRAFT_OK)
        goto done;
    for (size_t i = 0; i < c->n; i++)
        total += w_out[i];
    double eps = c->o.tolerance < 1 ? c->o.tolerance * total : c->o.tolerance;
    cross_table(c->n, w_out, id, n_ids, old);
    res->converged = 0;
    for (size_t iter = 0; iter < c->o.max_iter; iter++) {
        for (size_t m = 0; m < c->nm; m++)
            ps_pass(c, m, w_out);
        res->iterations = iter + 1;
        cross_table(c->n, w_out, id, n_ids, tab);
        double delta = 0;
        for (size_t j = 0; j < n_ids; j++)
            delta = fmax(delta, fabs(old[j] - tab[j]));
        if (delta < eps) {
            res->converged = 1;
            break;
        }
        double *t = old;
        old = tab;
        tab = t;
    }
done:
    free(id);
    free(old);
    free(tab);
    return rc;
}

/* ---- calibrate: grake ------------------------------------------------- */

typedef struct gr {
    size_t p;         /* columns of the model matrix */
    size_t *col;      /* off[nm]: each cell's column, NONE: none */
    size_t *rc;       /* nm + 1: one row's columns (scratch) */
    double *pop, *st, *eta, *deta, *mis, *S; /* p each */
    double *T, *V;    /* p x p */
    double *xeta, *ww, *g; /* n each */
    double scale;     /* grake's rescaling, 1: none */
    gsl_eigen_symmv_workspace *ws;
} gr_t;

static void gr_free(gr_t *g)
{
    free(g->col);
    free(g->rc);
    free(g->pop);
    free(g->T);
    free(g->xeta);
    if (g->ws)
        gsl_eigen_symmv_free(g->ws);
}

/* The columns: the intercept, then each margin's cells that have weight
 * or a total, but the first of them.  Needs cell_sums() of the design
 * weights. */
static void gr_columns(const cal_t *c, gr_t *g)
{
    size_t p = 1;
    for (size_t m = 0; m < c->nm; m++) {
        int first = 1;
        for (size_t k = 0; k < c->mg[m].n_cells; k++) {
            size_t j = c->off[m] + k;
            g->col[j] = NONE;
            if (c->sum[j] == 0 && c->mg[m].totals[k] == 0)
                continue; /* R's zz: no rows, no total */
            if (!first)
                g->col[j] = p++;
            first = 0;
        }
    }
    g->p = p;
}

static graft_error_t gr_init(const cal_t *c, gr_t *g)
{
    memset(g, 0, sizeof *g);
    g->col = malloc((c->off[c->nm] + 1) * sizeof *g->col);
    g->rc = malloc((c->nm + 1) * sizeof *g->rc);
    if (!g->col || !g->rc)
        return GRAFT_ERR_NOMEM;
    gr_columns(c, g);
    size_t p = g->p, n = c->n ? c->n : 1;
    g->pop = malloc(6 * p * sizeof *g->pop);
    g->T = malloc(2 * p * p * sizeof *g->T);
    g->xeta = malloc(3 * n * sizeof *g->xeta);
    g->ws = gsl_eigen_symmv_alloc(p);
    if (!g->pop || !g->T || !g->xeta || !g->ws)
        return GRAFT_ERR_NOMEM;
    g->st = g->pop + p;
    g->eta = g->st + p;
    g->deta = g->eta + p;
    g->mis = g->deta + p;
    g->S = g->mis + p;
    g->V = g->T + p * p;
    g->ww = g->xeta + n;
    g->g = g->ww + n;
    g->pop[0] = 0;
    for (size_t k = 0; k < c->mg[0].n_cells; k++)
        g->pop[0] += c->mg[0].totals[k];
    for (size_t m = 0; m < c->nm; m++)
        for (size_t k = 0; k < c->mg[m].n_cells; k++)
            if (g->col[c->off[m] + k] != NONE)
                g->pop[g->col[c->off[m] + k]] = c->mg[m].totals[k];
    return GRAFT_OK;
}

/* Row I's columns into g->rc; returns how many. */
static size_t row_cols(const cal_t *c, const gr_t *g, size_t i)
{
    size_t k = 0;
    g->rc[k++] = 0;
    for (size_t m = 0; m < c->nm; m++) {
        size_t j = g->col[c->off[m] + c->cells[m][i]];
        if (j != NONE)
            g->rc[k++] = j;
    }
    return k;
}

/* R's calfun objects: Fm1(u, bounds) = F(u) - 1 and dF(u, bounds) of
 * cal.linear, cal.logit and cal.raking, formula for formula (NaN in, NaN
 * out, as R's pmin/pmax and comparisons give NA). */
static double cal_fm1(graft_cal_method_t m, double u, double lo, double up)
{
    double x;
    if (m == GRAFT_CAL_LOGIT) {
        double a = (up - lo) / ((up - 1) * (1 - lo)), e = exp(a * u);
        return (lo * (up - 1) + up * (1 - lo) * e) / (up - 1 + (1 - lo) * e) -
               1;
    }
    x = m == GRAFT_CAL_RAKING ? exp(u) : u + 1;
    if (x < lo)
        x = lo;
    if (x > up)
        x = up;
    return x - 1;
}

static double cal_df(graft_cal_method_t m, double u, double lo, double up)
{
    if (isnan(u))
        return NAN;
    if (m == GRAFT_CAL_LOGIT) {
        double a = (up - lo) / ((up - 1) * (1 - lo)), e = exp(a * u);
        double den = up - 1 + (1 - lo) * e;
        return up * (1 - lo) * e * a / den -
               ((lo * (up - 1) + up * (1 - lo) * e) * ((1 - lo) * e * a)) /
                   (den * den);
    }
    /* cal.raking's dF compares u, not exp(u), with the bounds - 1: R's */
    if (!(u < up - 1 && u > lo - 1))
        return 0;
    return m == GRAFT_CAL_RAKING ? exp(u) : 1;
}

/* xeta = mm %*% eta on every row; returns 1 when every g = 1 + Fm1(xeta)
 * and every dF(xeta) is finite (grake's test for step halving). */
static int gr_update(const cal_t *c, gr_t *g)
{
    int ok = 1;
    for (size_t i = 0; i < c->n; i++) {
        size_t k = row_cols(c, g, i);
        double x = 0;
        for (size_t j = 0; j < k; j++)
            x += g->eta[g->rc[j]];
        g->xeta[i] = x;
        double f = cal_fm1(c->o.method, x, c->o.lower, c->o.upper);
        double d = cal_df(c->o.method, x, c->o.lower, c->o.upper);
        if (!isfinite(1 + f) || !isfinite(d))
            ok = 0;
    }
    return ok;
}

/* misfit = population - sample.total - colSums(mm * ww * Fm1(xeta)) */
static void gr_misfit(const cal_t *c, gr_t *g)
{
    memset(g->mis, 0, g->p * sizeof *g->mis);
    for (size_t i = 0; i < c->n; i++) {
        double f = g->ww[i] * cal_fm1(c->o.method, g->xeta[i], c->o.lower,
                                      c->o.upper);
        size_t k = row_cols(c, g, i);
        for (size_t j = 0; j < k; j++)
            g->mis[g->rc[j]] += f;
    }
    for (size_t j = 0; j < g->p; j++)
        g->mis[j] = g->pop[j] - g->st[j] - g->mis[j];
}

/* Tmat = crossprod(mm * ww * dF(xeta), mm) */
static void gr_tmat(const cal_t *c, gr_t *g)
{
    size_t p = g->p;
    memset(g->T, 0, p * p * sizeof *g->T);
    for (size_t i = 0; i < c->n; i++) {
        double d = g->ww[i] * cal_df(c->o.method, g->xeta[i], c->o.lower,
                                     c->o.upper);
        if (d == 0)
            continue;
        size_t k = row_cols(c, g, i);
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b < k; b++)
                g->T[g->rc[a] * p + g->rc[b]] += d;
    }
}

/* deta = Tmat^-1 misfit by Cholesky, for more than CHOL_MIN_P columns and
 * when Tmat is positive definite with room to spare: every pivot above
 * CHOL_PIVOT times its column's diagonal (a column nearly a combination of
 * the ones before it falls back to the eigendecomposition).  There
 * ginv(Tmat) is Tmat^-1 and the two agree to rounding; Cholesky is about
 * ten times faster (1,000 columns: 0.9 s against 4-13 s).  Below
 * CHOL_MIN_P columns the eigendecomposition costs little and stays closer
 * to R's SVD: a Newton path as unstable as the six rows of test case
 * fail_raking_far diverges with it, as R's does, and converged with
 * Cholesky.  Returns 0 when it does not apply (V is then scratch). */
#define CHOL_MIN_P 200
#define CHOL_PIVOT 1e-8
static int gr_solve_chol(gr_t *g)
{
    size_t p = g->p;
    if (p <= CHOL_MIN_P)
        return 0;
    memcpy(g->V, g->T, p * p * sizeof *g->V);
    gsl_matrix_view l = gsl_matrix_view_array(g->V, p, p);
    if (gsl_linalg_cholesky_decomp1(&l.matrix) != GSL_SUCCESS)
        return 0;
    for (size_t i = 0; i < p; i++) {
        double d = g->V[i * p + i];
        if (!(d * d > CHOL_PIVOT * g->T[i * p + i]))
            return 0;
    }
    gsl_vector_const_view b = gsl_vector_const_view_array(g->mis, p);
    gsl_vector_view x = gsl_vector_view_array(g->deta, p);
    return gsl_linalg_cholesky_solve(&l.matrix, &b.vector, &x.vector) ==
           GSL_SUCCESS;
}

/* deta = MASS::ginv(Tmat, tol = 256 * eps) %*% misfit.  Tmat is symmetric
 * and positive semi-definite, so its singular value decomposition is its
 * eigendecomposition Q diag(lambda) Q': ginv keeps the eigenvalues above
 * tol times the largest (those at rounding level below zero are dropped,
 * where R's svd would keep their absolute value when above tol).  GSL's
 * symmetric eigensolver is accurate and several times faster than its SVD
 * (whose one-sided Jacobi left residuals of 0.6 at 500 columns). */
static graft_error_t gr_solve(gr_t *g)
{
    size_t p = g->p;
    for (size_t i = 0; i < p * p; i++)
        if (!isfinite(g->T[i]))
            return GRAFT_ERR_CALIBRATE;
    if (gr_solve_chol(g))
        return GRAFT_OK;
    gsl_matrix_view a = gsl_matrix_view_array(g->T, p, p);
    gsl_matrix_view v = gsl_matrix_view_array(g->V, p, p);
    gsl_vector_view s = gsl_vector_view_array(g->S, p);
    if (gsl_eigen_symmv(&a.matrix, &s.vector, &v.matrix, g->ws) !=
        GSL_SUCCESS)
        return GRAFT_ERR_CALIBRATE;
    double smax = 0;
    for (size_t k = 0; k < p; k++)
        smax = fmax(smax, g->S[k]);
    memset(g->deta, 0, p * sizeof *g->deta);
    for (size_t k = 0; k < p; k++) {
        if (!(g->S[k] > GINV_TOL * smax))
            continue;
        double u = 0;
        for (size_t i = 0; i < p; i++)
            u += g->V[i * p + k] * g->mis[i];
        u /= g->S[k];
        for (size_t j = 0; j < p; j++)
            g->deta[j] += g->V[j * p + k] * u;
    }
    return GRAFT_OK;
}

/* ww and sample.total from W; grake's rescaling when every population
 * total exceeds SOMETHRESHOLD times its sample total. */
static void gr_start(const cal_t *c, gr_t *g, const double *w)
{
    size_t p = g->p;
    memcpy(g->ww, w, c->n * sizeof *w);
    memset(g->st, 0, p * sizeof *g->st);
    memset(g->eta, 0, p * sizeof *g->eta);
    for (size_t i = 0; i < c->n; i++) {
        size_t k = row_cols(c, g, i);
        for (size_t j = 0; j < k; j++)
            g->st[g->rc[j]] += g->ww[i];
    }
    double lo = HUGE_VAL, mean = 0;
    for (size_t j = 0; j < p; j++) {
        double s = g->pop[j] / g->st[j];
        lo = isnan(s) || isnan(lo) ? NAN : fmin(lo, s);
        mean += s;
    }
    g->scale = 1;
    if (lo > GRAKE_SOMETHRESHOLD) {
        g->scale = mean / (double)p;
        for (size_t i = 0; i < c->n; i++)
            g->ww[i] *= g->scale;
        for (size_t j = 0; j < p; j++)
            g->st[j] *= g->scale;
    }
}

static int gr_converged(const gr_t *g, double eps)
{
    for (size_t j = 0; j < g->p; j++)
        if (!(fabs(g->mis[j]) / (1 + fabs(g->pop[j])) < eps))
            return 0;
    return 1;
}

/* R's grake on the weights W: g into g->g, iterations and convergence
 * into RES.  A Tmat that is not finite (step halving ran out of
 * iterations; R's ginv would stop on it) ends the iterations unconverged. */
static void grake(const cal_t *c, gr_t *g, const double *w,
                  graft_cal_result_t *res)
{
    size_t iter = 1;
    gr_start(c, g, w);
    gr_update(c, g);
    res->converged = 0;
    for (;;) {
        gr_tmat(c, g);
        gr_misfit(c, g);
        if (gr_solve(g) != GRAFT_OK) {
            iter = c->o.max_iter;
            break;
        }
        for (size_t j = 0; j < g->p; j++)
            g->eta[j] += g->deta[j];
        int ok = gr_update(c, g);
        while (iter < c->o.max_iter && !ok) { /* step halving */
            iter++;
            for (size_t j = 0; j < g->p; j++) {
                g->deta[j] /= 2;
                g->eta[j] -= g->deta[j];
            }
            ok = gr_update(c, g);
        }
        gr_misfit(c, g);
        if (gr_converged(g, c->o.tolerance)) {
            res->converged = 1;
            break;
        }
        if (++iter > c->o.max_iter) {
            iter = c->o.max_iter; /* R says max_iter + 1 */
            break;
        }
    }
    res->iterations = iter;
    for (size_t i = 0; i < c->n; i++)
        g->g[i] = (1 + cal_fm1(c->o.method, g->xeta[i], c->o.lower,
                               c->o.upper)) * g->scale;
}

static graft_error_t grake_one(const cal_t *c, gr_t *g, const double *w,
                               double *w_out, size_t rep,
                               graft_cal_result_t *res, graft_diag_t *diag)
{
    grake(c, g, w, res);
    for (size_t i = 0; i < c->n; i++)
        w_out[i] = w[i] * g->g[i];
    if (!res->converged)
        return fail_converge(c, w, w_out, rep, res, diag);
    return GRAFT_OK;
}

/* ---- the methods, on the full sample and the replicates --------------- */

typedef struct reps {
    size_t n;
    const double *const *w;
    double *const *out;
} reps_t;

static graft_error_t run_poststratify(const cal_t *c, const double *w,
                                      const reps_t *r, double *w_out,
                                      graft_cal_result_t *res,
                                      graft_diag_t *diag)
{
    memcpy(w_out, w, c->n * sizeof *w);
    ps_pass(c, 0, w_out);
    res->iterations = 1;
    res->converged = 1;
    for (size_t k = 0; k < r->n; k++) {
        graft_error_t rc = check_cells(c, r->w[k], k, diag);
        if (rc != GRAFT_OK)
            return rc;
        memcpy(r->out[k], r->w[k], c->n * sizeof *w);
        ps_pass(c, 0, r->out[k]);
    }
    return GRAFT_OK;
}

static graft_error_t run_rake(const cal_t *c, const double *w,
                              const reps_t *r, double *w_out,
                              graft_cal_result_t *res, graft_diag_t *diag)
{
    memcpy(w_out, w, c->n * sizeof *w);
    graft_error_t rc = rake_full(c, w_out, res);
    if (rc != GRAFT_OK)
        return rc;
    if (!res->converged)
        return fail_converge(c, w, w_out, NONE, res, diag);
    for (size_t k = 0; k < r->n; k++) {
        if ((rc = check_cells(c, r->w[k], k, diag)) != GRAFT_OK)
            return rc;
        memcpy(r->out[k], r->w[k], c->n * sizeof *w);
        for (size_t pass = 0; pass < res->iterations; pass++)
            for (size_t m = 0; m < c->nm; m++)
                ps_pass(c, m, r->out[k]);
    }
    return GRAFT_OK;
}

/* Needs cell_sums() of W (check_cells() of W last). */
static graft_error_t run_grake(const cal_t *c, const double *w,
                               const reps_t *r, double *w_out,
                               graft_cal_result_t *res, graft_diag_t *diag)
{
    gr_t g;
    graft_error_t rc = gr_init(c, &g);
    if (rc == GRAFT_OK)
        rc = grake_one(c, &g, w, w_out, NONE, res, diag);
    for (size_t k = 0; rc == GRAFT_OK && k < r->n; k++) {
        graft_cal_result_t rr;
        memset(&rr, 0, sizeof rr);
        rc = check_cells(c, r->w[k], k, diag);
        if (rc == GRAFT_OK)
            rc = grake_one(c, &g, r->w[k], r->out[k], k, &rr, diag);
    }
    gr_free(&g);
    return rc;
}

graft_error_t graft_calibrate_replicates(
    size_t n, const double *w, size_t n_reps, const double *const *rep_w,
    size_t n_margins, const graft_margin_t *margins,
    const uint32_t *const *cells, const graft_cal_opts_t *opts,
    double *w_out, double *const *rep_out, graft_cal_result_t *res,
    graft_diag_t *diag)
{
    graft_cal_result_t tmp;
    reps_t r = {n_reps, rep_w, rep_out};
    cal_t c;
    if (!res)
        res = &tmp;
    memset(res, 0, sizeof *res);
    graft_error_t rc = cal_init(&c, n, n_margins, margins, cells, opts, diag);
    if (rc == GRAFT_OK)
        rc = check_weights(n, w, NONE, diag);
    for (size_t k = 0; rc == GRAFT_OK && k < n_reps; k++)
        rc = check_weights(n, rep_w[k], k, diag);
    if (rc == GRAFT_OK)
        rc = check_cells(&c, w, NONE, diag);
    if (rc == GRAFT_OK) {
        if (c.o.method == GRAFT_CAL_POSTSTRATIFY)
            rc = run_poststratify(&c, w, &r, w_out, res, diag);
        else if (c.o.method == GRAFT_CAL_RAKE)
            rc = run_rake(&c, w, &r, w_out, res, diag);
        else
            rc = run_grake(&c, w, &r, w_out, res, diag);
    }
    if (rc == GRAFT_OK)
        measure(&c, w, w_out, res);
    else if (rc == GRAFT_ERR_NOMEM)
        graft_diag_set(diag, rc, NULL, 0, 0, "out of memory in calibration");
    cal_free(&c);
    return rc;
}

graft_error_t graft_calibrate(size_t n, const double *w, size_t n_margins,
                              const graft_margin_t *margins,
                              const uint32_t *const *cells,
                              const graft_cal_opts_t *opts, double *w_out,
                              graft_cal_result_t *res, graft_diag_t *diag)
{
    return graft_calibrate_replicates(n, w, 0, NULL, n_margins, margins,
                                      cells, opts, w_out, NULL, res, diag);
}

/* ---- trimWeights ------------------------------------------------------ */

/* One round of R's trimWeights.survey.design2: weights outside [LO, UP]
 * set to the bound, the sum of what was cut off (or added) shared equally
 * among the rows inside:
 *     pwnew[!outside] <- pwnew[!outside] + sum(trimmings) / sum(!outside)
 * Returns the rows outside. */
static size_t trim_round(size_t n, double *w, double lo, double up)
{
    size_t out = 0;
    double trimmings = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] < lo || w[i] > up) {
            trimmings += w[i] - (w[i] < lo ? lo : up);
            out++;
        }
    if (out == 0)
        return 0;
    double share = trimmings / (double)(n - out); /* unused when out == n */
    for (size_t i = 0; i < n; i++) {
        if (w[i] < lo)
            w[i] = lo;
        else if (w[i] > up)
            w[i] = up;
        else
            w[i] += share;
    }
    return out;
}

size_t graft_trim_weights(size_t n, double *w, double lower, double upper,
                          int strict)
{
    size_t trimmed = trim_round(n, w, lower, upper);
    if (!strict)
        return trimmed;
    for (size_t r = 1; r < TRIM_MAX_ROUNDS; r++)
        if (trim_round(n, w, lower, upper) == 0)
            break;
    return trimmed;
}
