/*
 * quantile.c - quantiles in domains with Woodruff intervals, as R survey
 * 4.1's svyquantile(x, design, p) with its defaults (qrule = "math",
 * interval.type = "mean", alpha = 1 - level, df = degf(design)); see
 * stats/quantile.h and docs/quantiles.md.
 *
 * For a domain (R: svyby passes design[cell, ], whose degf() is the
 * domain df):
 *   q   = qrule_math(x, w, p) over the domain's rows with w > 0
 *   F   = svymean(x <= q): the weighted share of the domain at or below q,
 *         with its linearized (or replicate) variance, as a proportion's;
 *         on a calibrated round (a [calibration]), the variance of its
 *         calibration residuals over every PSU of the round (svyrecvar on
 *         design$postStrata; calvar.c's graft_calvar_residuals)
 *   [a, b] = F + se(F) qt((1 -/+ level) / 2, df)       (confint, t on df)
 *   lower = qrule_math(x, w, a), NaN when a is NaN or a < 0
 *   upper = qrule_math(x, w, b), NaN when b is NaN or b > 1
 *   se  = (upper - lower) / (2 qt(1 - alpha / 2, df))   (NaN with a bound)
 * (survey:::svyquantile.survey.design, woodruffCI, qrule_math, qs).
 */
#include "stats/quantile.h"
#include "stats/calvar.h"
#include "stats/grow_zeroed.h"
#include "base/grow.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

/* One kept row. */
typedef struct qrow {
    double x, w;
    size_t h, psu, round;
} qrow_t;

/* A kept row of a calibrated round: its calibration cells (at OFF in
 * the group's cells), its factor r and unit (graft_calvar_row_info). */
typedef struct qcal {
    double r;
    size_t unit, off;
} qcal_t;

/* The rows of the indicators that share an expression and 'among'. */
typedef struct qgroup {
    qrow_t *rows;
    size_t n, cap;
    size_t *dom;          /* n_by per row: its domain in each by-set */
    size_t dom_cap;
    double *repw;         /* n_rep per row (replicate designs) */
    size_t rep_cap, n_rep;
    qcal_t *cal;          /* per row, rows of calibrated rounds */
    size_t cal_cap;
    uint32_t *cells;      /* their cells, one per margin */
    size_t cells_n, cells_cap;
} qgroup_t;

struct graft_quant {
    const graft_estimate_opts_t *opts;
    size_t K, n_by;
    size_t *group;        /* per indicator: its group, or NONE */
    int *keeps;           /* per indicator: it adds the group's rows */
    qgroup_t *groups;
    size_t n_groups;
};

/* ---- the store --------------------------------------------------------- */

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Indicator K's group: an earlier quantile's with the same expression and
 * among, else a new one. */
static void assign_group(graft_quant_t *q, size_t k)
{
    const graft_indicator_spec_t *a = &q->opts->indicators[k];
    for (size_t j = 0; j < k; j++) {
        const graft_indicator_spec_t *b = &q->opts->indicators[j];
        if (q->group[j] != NONE && same_text(a->expr, b->expr) &&
            same_text(a->among, b->among)) {
            q->group[k] = q->group[j];
            return;
        }
    }
    q->group[k] = q->n_groups++;
    q->keeps[k] = 1;
}

graft_error_t graft_quant_alloc(const graft_estimate_opts_t *opts,
                                graft_quant_t **out)
{
    size_t K = opts->n_indicators, n_q = 0;
    *out = NULL;
    for (size_t k = 0; k < K; k++)
        n_q += opts->indicators[k].type == GRAFT_IND_QUANTILE;
    if (n_q == 0)
        return GRAFT_OK;
    graft_quant_t *q = calloc(1, sizeof *q);
    if (!q)
        return GRAFT_ERR_NOMEM;
    q->opts = opts;
    q->K = K;
    q->n_by = opts->n_by;
    q->group = malloc(K * sizeof *q->group);
    q->keeps = calloc(K, sizeof *q->keeps);
    q->groups = calloc(n_q, sizeof *q->groups);
    if (!q->group || !q->keeps || !q->groups) {
        graft_quant_free(q);
        return GRAFT_ERR_NOMEM;
    }
    for (size_t k = 0; k < K; k++) {
        q->group[k] = NONE;
        if (opts->indicators[k].type == GRAFT_IND_QUANTILE)
            assign_group(q, k);
    }
    *out = q;
    return GRAFT_OK;
}

void graft_quant_free(graft_quant_t *q)
{
    if (!q)
        return;
    for (size_t g = 0; q->groups && g < q->n_groups; g++) {
        free(q->groups[g].rows);
        free(q->groups[g].dom);
        free(q->groups[g].repw);
        free(q->groups[g].cal);
        free(q->groups[g].cells);
    }
    free(q->groups);
    free(q->group);
    free(q->keeps);
    free(q);
}

/* Row N of G's calibration (CV's current row).  Returns 0 when out of
 * memory. */
static int keep_cal(qgroup_t *g, const graft_calvar_t *cv,
                    const graft_design_obs_t *obs)
{
    size_t M = graft_calvar_n_margins(cv);
    qcal_t *cal = graft_grow_zeroed(g->cal, &g->cal_cap, g->n + 1,
                                    sizeof *cal);
    if (!cal)
        return 0;
    g->cal = cal;
    uint32_t *cells = graft_grow(g->cells, &g->cells_cap, g->cells_n + M,
                                 sizeof *cells);
    if (!cells)
        return 0;
    g->cells = cells;
    cal[g->n].off = g->cells_n;
    graft_calvar_row_info(cv, obs, cells + g->cells_n, &cal[g->n].r,
                          &cal[g->n].unit);
    g->cells_n += M;
    return 1;
}

graft_error_t graft_quant_add(graft_quant_t *q, size_t k, size_t round,
                              const size_t *row_domain,
                              const graft_design_obs_t *obs, size_t n_rep,
                              const graft_calvar_t *cv, double y)
{
    if (!q || !q->keeps[k])
        return GRAFT_OK;
    qgroup_t *g = &q->groups[q->group[k]];
    qrow_t *rows = graft_grow(g->rows, &g->cap, g->n + 1, sizeof *rows);
    if (!rows)
        return GRAFT_ERR_NOMEM;
    g->rows = rows;
    if (q->n_by) {
        size_t *dom = graft_grow(g->dom, &g->dom_cap, (g->n + 1) * q->n_by,
                                 sizeof *dom);
        if (!dom)
            return GRAFT_ERR_NOMEM;
        g->dom = dom;
        memcpy(dom + g->n * q->n_by, row_domain, q->n_by * sizeof *dom);
    }
    if (n_rep) {
        double *rw = graft_grow(g->repw, &g->rep_cap, (g->n + 1) * n_rep,
                                sizeof *rw);
        if (!rw)
            return GRAFT_ERR_NOMEM;
        g->repw = rw;
        memcpy(rw + g->n * n_rep, obs->repw, n_rep * sizeof *rw);
        g->n_rep = n_rep;
    }
    if (cv && !keep_cal(g, cv, obs))
        return GRAFT_ERR_NOMEM;
    rows[g->n++] = (qrow_t){y, obs->weight, obs->stratum, obs->psu, round};
    return GRAFT_OK;
}

/* ---- the rule ------------------------------------------------------------ */

/* A running sum kept as hi + lo (Knuth's TwoSum): R's cumsum() and sum()
 * accumulate in long double and round each result to double, which for
 * sums of a few thousand weights is the exact sum rounded once (equal
 * weights: 25 w is then exactly half of 50 w, and the rule's test for a
 * share of exactly p holds).  A double-double gives the same without
 * long double, whose width differs between machines (and valgrind's
 * emulation has none). */
typedef struct dsum {
    double hi, lo;
} dsum_t;

static void dsum_add(dsum_t *s, double x)
{
    double t = s->hi + x, b = t - s->hi;
    s->lo += (s->hi - (t - b)) + (x - b);
    s->hi = t;
}

static double dsum_value(const dsum_t *s)
{
    return s->hi + s->lo;
}

/* survey:::qs and qrule_math: pos = the last i with cumsum(w)[i] <= p sum(w)
 * (survey:::last: the first when there is none), the value there when its
 * share is exactly p, else the next value (the last when pos is). */
double graft_quant_rule(const double *x, const double *w, size_t n, double p)
{
    if (n == 0)
        return NAN;
    dsum_t all = {0, 0}, cum = {0, 0};
    for (size_t i = 0; i < n; i++)
        dsum_add(&all, w[i]);
    double sum_w = dsum_value(&all), target = p * sum_w, cum_pos = 0;
    size_t pos = NONE;
    for (size_t i = 0; i < n; i++) {
        dsum_add(&cum, w[i]);
        double c = dsum_value(&cum);
        if (c <= target) {
            pos = i;
            cum_pos = c;
        }
    }
    if (pos == NONE) { /* survey:::last(all FALSE) is 1 */
        pos = 0;
        cum_pos = w[0];
    }
    size_t next = pos + 1 < n ? pos + 1 : pos;
    return p - cum_pos / sum_w == 0 ? x[pos] : x[next];
}

/* ---- one domain ---------------------------------------------------------- */

/* The rows of a domain, and the sorted values and weights of those with a
 * positive weight. */
typedef struct qsel {
    size_t *idx, m;       /* kept rows in the domain, in row order */
    double *x, *w;        /* sorted by value: the rule's input */
    size_t n;
} qsel_t;

static const qgroup_t *sort_group; /* qsort has no context argument */

/* By value, then by row (a stable order, as R's order()). */
static int cmp_row(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    double xa = sort_group->rows[a].x, xb = sort_group->rows[b].x;
    if (xa != xb)
        return xa < xb ? -1 : 1;
    return (a > b) - (a < b);
}

/* The weight R's qrule sees: weights(design) = 1 / prob with prob = 1 / w
 * on a linearization design (not always w to the last bit), the weights
 * themselves on a replicate design. */
static double rule_weight(const qgroup_t *g, double w)
{
    return g->n_rep ? w : 1.0 / (1.0 / w);
}

static void sel_free(qsel_t *s)
{
    free(s->idx);
    free(s->x);
    free(s->w);
}

/* Select the rows of domain D of SET in ROUND into S.  Returns 0 when out
 * of memory. */
static int select_rows(const graft_quant_t *q, const qgroup_t *g, size_t d,
                       size_t set, size_t round, qsel_t *s)
{
    memset(s, 0, sizeof *s);
    size_t cap = g->n ? g->n : 1;
    s->idx = malloc(cap * sizeof *s->idx);
    size_t *pos = malloc(cap * sizeof *pos);
    s->x = malloc(cap * sizeof *s->x);
    s->w = malloc(cap * sizeof *s->w);
    if (!s->idx || !pos || !s->x || !s->w) {
        free(pos);
        return 0;
    }
    for (size_t i = 0; i < g->n; i++) {
        const qrow_t *row = &g->rows[i];
        if (row->round != round ||
            (set != NONE && g->dom[i * q->n_by + set] != d))
            continue;
        s->idx[s->m++] = i;
        if (row->w > 0)
            pos[s->n++] = i;
    }
    sort_group = g;
    qsort(pos, s->n, sizeof *pos, cmp_row);
    sort_group = NULL;
    for (size_t i = 0; i < s->n; i++) {
        s->x[i] = g->rows[pos[i]].x;
        s->w[i] = rule_weight(g, g->rows[pos[i]].w);
    }
    free(pos);
    return 1;
}

/* A stratum's sums for one PSU's totals (as estimate.c's strat_add_psu). */
static void add_psu(strat_acc_t *t, double y, double x)
{
    t->sy += y;
    t->sx += x;
    t->syy += y * y;
    t->sxy += x * y;
    t->sxx += x * x;
    t->pos += x > 0;
}

/* CELL's PSU totals of y = (x <= Q) over the selected rows, kept as the
 * variance formulas read them: per-PSU arrays (V->clustered) or per
 * stratum sums of each PSU's totals, in PSU id order. */
static void cdf_psu_sums(const var_ctx_t *v, const qgroup_t *g,
                         const qsel_t *s, double Q, cell_t *cell)
{
    for (size_t i = 0; i < s->m; i++) {
        const qrow_t *row = &g->rows[s->idx[i]];
        double y = row->x <= Q, w = row->w;
        strat_acc_t *t = &cell->T[row->h];
        t->rows++;
        if (row->psu == GRAFT_ROW_PSU) {
            add_psu(t, w * y, w);
            continue;
        }
        cell->Y[row->psu] += w * y;
        cell->X[row->psu] += w;
        if (v->clustered)
            t->pos += w > 0;
    }
    if (v->clustered)
        return;
    for (size_t j = 0; j < cell->psu_cap; j++)
        if (cell->Y[j] != 0 || cell->X[j] != 0)
            add_psu(&cell->T[graft_design_psu_stratum(v->design, j)],
                    cell->Y[j], cell->X[j]);
}

/* Where a calibrated round's residual totals go: CELL's stratum sums as
 * a total's scores, or its per-PSU totals (V->clustered). */
typedef struct cal_sink {
    const var_ctx_t *v;
    cell_t *cell;
} cal_sink_t;

static void cal_unit(void *ctx, size_t unit, size_t h, double z)
{
    cal_sink_t *k = ctx;
    strat_acc_t *t = &k->cell->T[h];
    t->rows++; /* R keeps every row, with weight 0: every stratum counts */
    if (k->v->clustered) {
        k->cell->Y[unit] = z;
        return;
    }
    t->sy += z;
    t->syy += z * z;
}

/* The CDF's influence on the selected rows, u = ((x <= Q) - F) / SW
 * (svymean's), replaced by its calibration residuals over every unit of
 * the round (CV, svyrecvar): their totals into CELL as a total's.
 * Returns 0 when out of memory. */
static int cdf_cal_sums(const var_ctx_t *v, const graft_calvar_t *cv,
                        const qgroup_t *g, const qsel_t *s, double Q,
                        double F, double sw, cell_t *cell)
{
    graft_calinf_t *inf = malloc((s->m ? s->m : 1) * sizeof *inf);
    if (!inf)
        return 0;
    for (size_t i = 0; i < s->m; i++) {
        const qrow_t *row = &g->rows[s->idx[i]];
        const qcal_t *c = &g->cal[s->idx[i]];
        double u = ((row->x <= Q) - F) / sw;
        inf[i] = (graft_calinf_t){g->cells + c->off, c->unit, row->w * u,
                                  c->r * u};
    }
    cal_sink_t sink = {v, cell};
    graft_error_t rc = graft_calvar_residuals(cv, v->design, inf, s->m,
                                              cal_unit, &sink);
    free(inf);
    return rc == GRAFT_OK;
}

/* The variance of F, the share of the selected rows at or below Q (R:
 * vcov(svymean(x <= q, design))), through the estimator's formulas; on
 * a calibrated round (CV), of its calibration residuals.  *NOMEM is set
 * when out of memory. */
static double cdf_variance(var_ctx_t *v, const graft_calvar_t *cv,
                           const qgroup_t *g, const qsel_t *s, double Q,
                           double F, double sw, int *nomem)
{
    cell_t cell;
    memset(&cell, 0, sizeof cell);
    cell.n = s->m;
    cell.sw = sw;
    double var = NAN;
    term_t t = {&cell, 1.0, 1, F};
    if (g->n_rep) {
        cell.rsw = calloc(g->n_rep, sizeof *cell.rsw);
        cell.rswy = calloc(g->n_rep, sizeof *cell.rswy);
        if (!(*nomem = !cell.rsw || !cell.rswy)) {
            for (size_t i = 0; i < s->m; i++) {
                const double *rw = g->repw + s->idx[i] * g->n_rep;
                double y = g->rows[s->idx[i]].x <= Q;
                for (size_t r = 0; r < g->n_rep; r++) {
                    cell.rsw[r] += rw[r];
                    cell.rswy[r] += rw[r] * y;
                }
            }
            var = graft_var_replicate(v, &t, 1, 0);
        }
    } else {
        size_t J = graft_design_n_psu(v->design);
        cell.strat_cap = v->H;
        cell.psu_cap = J;
        cell.T = calloc(v->H ? v->H : 1, sizeof *cell.T);
        cell.Y = calloc(J ? J : 1, sizeof *cell.Y);
        cell.X = calloc(J ? J : 1, sizeof *cell.X);
        if (!(*nomem = !cell.T || !cell.Y || !cell.X)) {
            t.ratio = !cv; /* the residuals are a total's scores */
            if (!cv)
                cdf_psu_sums(v, g, s, Q, &cell);
            else
                *nomem = !cdf_cal_sums(v, cv, g, s, Q, F, sw, &cell);
            if (!*nomem)
                var = graft_var_linear(v, &t, 1);
        }
    }
    free(cell.rsw);
    free(cell.rswy);
    free(cell.T);
    free(cell.Y);
    free(cell.X);
    return var;
}

/* qt(P, DF), NaN when DF is not positive (R: qt(., 0) is NaN). */
static double q_t(double p, double df)
{
    if (!(df > 0))
        return NAN;
    return isinf(df) ? gsl_cdf_ugaussian_Pinv(p) : gsl_cdf_tdist_Pinv(p, df);
}

/* The interval's ends and se (R's woodruffCI and svyquantile), and why an
 * end is undefined in *WHY (NULL when both are defined). */
typedef struct woodruff {
    double lo, hi, se;
    const char *why;
} woodruff_t;

static void woodruff(const qsel_t *s, double F, double se_F, double df,
                     double level, woodruff_t *out)
{
    double a = (1 - level) / 2; /* survey:::tconfint */
    double ta = q_t(a, df), tb = q_t(1 - a, df);
    double pa = F + se_F * ta, pb = F + se_F * tb;
    out->why = NULL;
    if (!(df > 0))
        out->why = "df <= 0";
    else if (!isfinite(se_F))
        out->why = "variance of the CDF undefined";
    else if (pa < 0)
        out->why = "F(q) - t se < 0: no lower bound";
    else if (pb > 1)
        out->why = "F(q) + t se > 1: no upper bound";
    out->lo = isnan(pa) || pa < 0 ? NAN
                                  : graft_quant_rule(s->x, s->w, s->n, pa);
    out->hi = isnan(pb) || pb > 1 ? NAN
                                  : graft_quant_rule(s->x, s->w, s->n, pb);
    out->se = (out->hi - out->lo) / (2 * tb);
}

/* The row's flag: the NCHS rule for means on the interval's se (relative
 * width of the 95 % interval over 160 %: suppress; df < 8: review), an
 * undefined interval suppressed with its reason, a zero-width one
 * (ties at the quantile) for review. */
static void quant_flag(const woodruff_t *wd, size_t min_n,
                       graft_estimate_row_t *r)
{
    graft_rel_t rel;
    graft_diag_t diag;
    char n_rule[64] = "";
    if (min_n > 0 && r->n < min_n)
        snprintf(n_rule, sizeof n_rule, "n < %zu; ", min_n);
    if (wd->why) {
        snprintf(r->flag, sizeof r->flag,
                 "suppress: %sWoodruff CI undefined (%s)", n_rule, wd->why);
    } else if (wd->se == 0) {
        if (*n_rule)
            snprintf(r->flag, sizeof r->flag, "suppress: n < %zu", min_n);
        else
            snprintf(r->flag, sizeof r->flag,
                     "review: CI of zero width (ties at the quantile)%s",
                     r->df < GRAFT_REL_MIN_DF ? "; df < 8" : "");
    } else if (graft_rel_mean(r->estimate, wd->se, r->df, r->n, 0.95, min_n,
                              &rel, &diag) == GRAFT_OK) {
        snprintf(r->flag, sizeof r->flag, "%s", rel.flag);
    } else {
        snprintf(r->flag, sizeof r->flag, "suppress: %.140s", diag.msg);
    }
}

graft_error_t graft_quant_row(const graft_quant_t *q, var_ctx_t *v,
                              const graft_calvar_t *cv, size_t k, size_t d,
                              size_t set, size_t round, double level,
                              size_t min_n, graft_estimate_row_t *r)
{
    if (!q || q->group[k] == NONE || !isfinite(r->estimate))
        return GRAFT_OK;
    const qgroup_t *g = &q->groups[q->group[k]];
    qsel_t s;
    if (!select_rows(q, g, d, set, round, &s)) {
        sel_free(&s);
        return GRAFT_ERR_NOMEM;
    }
    double p = q->opts->indicators[k].prob;
    double Q = graft_quant_rule(s.x, s.w, s.n, p);
    double below = 0, sw = 0;
    for (size_t i = 0; i < s.m; i++) {
        const qrow_t *row = &g->rows[s.idx[i]];
        sw += row->w;
        below += row->w * (row->x <= Q);
    }
    int nomem = 0;
    double F = below / sw;
    double var = cdf_variance(v, g->n_rep ? NULL : cv, g, &s, Q, F, sw,
                              &nomem);
    woodruff_t wd;
    if (!nomem)
        woodruff(&s, F, sqrt(var), r->df, level, &wd);
    sel_free(&s);
    if (nomem)
        return GRAFT_ERR_NOMEM;
    r->estimate = Q;
    r->se = wd.se;
    r->ci_low = wd.lo;
    r->ci_high = wd.hi;
    r->cv = wd.se / Q;
    r->deff = r->n_eff = NAN;
    quant_flag(&wd, min_n, r);
    return GRAFT_OK;
}

void graft_quant_contrast(const graft_quant_t *q, size_t k,
                          const double *coef, size_t n_rounds,
                          const graft_estimate_row_t *rows,
                          graft_contrast_row_t *r)
{
    if (!q || q->group[k] == NONE || r->first_empty != (size_t)-1)
        return;
    double est = 0, var = 0;
    for (size_t i = 0; i < n_rounds; i++) {
        if (coef[i] == 0)
            continue;
        est += coef[i] * rows[i].estimate;
        var += coef[i] * coef[i] * rows[i].se * rows[i].se;
    }
    r->estimate = est;
    r->se = sqrt(var);
}

int graft_quantile_name(char *buf, size_t size, const char *name,
                        double prob)
{
    return snprintf(buf, size, "%s p%.10g", name, 100 * prob);
}

/* One probability of a list: a plain decimal number (no hexadecimal,
 * infinity or NaN) strictly between 0 and 1.  Returns 1, or
 * 0 with the message in MSG. */
static int parse_prob(const char *tok, double *out, char *msg, size_t size)
{
    char *end = NULL;
    const char *s = tok + (*tok == '+' || *tok == '-');
    double v = NAN;
    if ((*s == '.' || (*s >= '0' && *s <= '9')) && !strpbrk(s, "xX"))
        v = strtod(tok, &end);
    if (isnan(v) || *end || !isfinite(v)) {
        snprintf(msg, size, "'%.40s' is not a number", tok);
        return 0;
    }
    if (!(v > 0 && v < 1)) {
        snprintf(msg, size,
                 "probability %.40s is not strictly between 0 and 1", tok);
        return 0;
    }
    *out = v;
    return 1;
}

int graft_quantile_probs_parse(const char *text, double *probs, size_t *n,
                               char *msg, size_t msg_size)
{
    char tok[64];
    *n = 0;
    for (const char *p = text;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, ",");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0) {
            snprintf(msg, msg_size, "a probability is missing");
            return 0;
        }
        if (len >= sizeof tok) {
            snprintf(msg, msg_size, "'%.40s...' is not a number", p);
            return 0;
        }
        if (*n == GRAFT_MAX_QUANTILE_PROBS) {
            snprintf(msg, msg_size, "more than %d probabilities",
                     GRAFT_MAX_QUANTILE_PROBS);
            return 0;
        }
        memcpy(tok, p, len);
        tok[len] = '\0';
        if (!parse_prob(tok, &probs[*n], msg, msg_size))
            return 0;
        for (size_t i = 0; i < *n; i++)
            if (probs[i] == probs[*n]) {
                snprintf(msg, msg_size, "probability %s is listed twice",
                         tok);
                return 0;
            }
        (*n)++;
        p += strcspn(p, ",");
        if (!*p++)
            return 1;
    }
}
