/*
 * variance.c - variances and degrees of freedom of estimates and of linear
 * contrasts of estimates (round differences, trends).
 *
 * Linearization (docs/METHODS.md; R survey svyrecvar/onestrat):
 *   ratio p = sum(w y) / sum(w); scores z_i = w_i (y_i - p) / N
 *   total T = sum(w y);          scores z_i = w_i y_i
 *   V = sum_h (1 - f_h) n_h / (n_h - 1) sum_j (z_hj - zbar_h)^2
 * with z_hj the PSU totals of sum_k coef_k z_i^(k) and n_h the PSUs of
 * stratum h in the whole (stacked) design; PSUs without domain rows
 * contribute z_hj = 0.
 * Replicates (R survey svrVar): v = scale sum_r rscale_r (t_r - centre)^2.
 */
#include "stats/estimate_internal.h"
#include "stats/gram.h"
#include "stats/lonely.h"
#include "stats/calvar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- linearization --------------------------------------------------- */

/* The score total of PSU J in term T: (Y - q X) / N for a ratio, whose
 * rows accumulate u = y - c (q = p - c), Y for a total. */
static double psu_score(const term_t *t, size_t j)
{
    const cell_t *cell = t->cell;
    if (j >= cell->psu_cap)
        return 0;
    if (!t->ratio)
        return cell->Y[j];
    double q = t->est - cell->shift;
    return (cell->Y[j] - q * cell->X[j]) / cell->sw;
}

static double contrast_score(const term_t *terms, size_t m, size_t j)
{
    double z = 0;
    for (size_t k = 0; k < m; k++)
        if (terms[k].coef != 0) /* a zero term may have no rows at all */
            z += terms[k].coef * psu_score(&terms[k], j);
    return z;
}

/* S1/S2 per stratum from per-PSU arrays (--shared-psus: a PSU's totals
 * in several rounds enter one contrast score), centred at the stratum
 * mean over all its n_h PSUs (zeros included). */
static void strata_clustered(var_ctx_t *v, const term_t *terms, size_t m)
{
    const graft_design_t *d = v->design;
    size_t J = graft_design_n_psu(d);
    for (size_t j = 0; j < J; j++)
        v->s1[graft_design_psu_stratum(d, j)] += contrast_score(terms, m, j);
    for (size_t j = 0; j < J; j++) {
        size_t h = graft_design_psu_stratum(d, j);
        double mean = v->s1[h] / (double)graft_design_stratum_psus(d, h);
        double dz = contrast_score(terms, m, j) - mean;
        v->s2[h] += dz * dz;
    }
}

/* Every design but shared PSUs, from the per-stratum sums of each term's
 * PSU totals (strat_acc_t; a row is its own PSU without a PSU column):
 * sum z = (sy - q sx) / N, sum z^2 = (syy - 2 q sxy + q^2 sxx) / N^2; the
 * terms' PSUs are disjoint (independent rounds), so their squares add
 * with coef^2. */
static void strata_rows(var_ctx_t *v, const term_t *terms, size_t m)
{
    double *szz = v->s2;
    for (size_t k = 0; k < m; k++) {
        const term_t *t = &terms[k];
        const cell_t *cell = t->cell;
        if (t->coef == 0)
            continue;
        double q = t->est - cell->shift, N = cell->sw;
        for (size_t h = 0; h < v->H && h < cell->strat_cap; h++) {
            const strat_acc_t *a = &cell->T[h];
            double sz, zz;
            if (cell->cal) { /* the calibration residuals' (calvar.c) */
                sz = a->cz;
                zz = a->czz;
            } else if (t->ratio) {
                sz = (a->sy - q * a->sx) / N;
                zz = (a->syy - 2 * q * a->sxy + q * q * a->sxx) / (N * N);
            } else {
                sz = a->sy;
                zz = a->syy;
            }
            v->s1[h] += t->coef * sz;
            szz[h] += t->coef * t->coef * zz;
        }
    }
    for (size_t h = 0; h < v->H; h++) {
        double n_h = (double)graft_design_stratum_psus(v->design, h);
        double ss = szz[h] - v->s1[h] * v->s1[h] / n_h;
        szz[h] = ss > 0 || isnan(ss) ? ss : 0; /* NaN: a sum overflowed */
    }
}

/* Does any term have rows in stratum H? */
static int has_rows(const term_t *terms, size_t m, size_t h)
{
    for (size_t k = 0; k < m; k++)
        if ((h < terms[k].cell->strat_cap && terms[k].cell->T[h].rows) ||
            (terms[k].cell->cal &&
             graft_calvar_has_stratum(terms[k].cell->cal, h)))
            return 1;
    return 0;
}

double graft_var_linear(var_ctx_t *v, const term_t *terms, size_t m)
{
    const graft_design_t *d = v->design;
    memset(v->s1, 0, v->H * sizeof *v->s1);
    memset(v->s2, 0, v->H * sizeof *v->s2);
    if (v->clustered)
        strata_clustered(v, terms, m);
    else
        strata_rows(v, terms, m);
    /* 'adjust' centres a single PSU at the mean PSU total of the design
     * passed to the variance, i.e. the domain's strata (0 for a ratio,
     * whose scores sum to zero): R 4.5's arma_onestage; R 4.1 centred at
     * 0. */
    double total = 0, n_psu = 0;
    for (size_t h = 0; h < v->H; h++)
        if (has_rows(terms, m, h)) {
            total += v->s1[h];
            n_psu += (double)graft_design_stratum_psus(d, h);
        }
    double zbar = n_psu > 0 ? total / n_psu : 0;
    graft_lonely_t lonely = graft_design_spec(d)->lonely;
    double V = 0;
    size_t H_dom = 0, H_ok = 0;
    for (size_t h = 0; h < v->H; h++) {
        if (!has_rows(terms, m, h))
            continue; /* no domain rows: not in R's subset at all */
        H_dom++;
        size_t n_h = graft_design_stratum_psus(d, h);
        double f = graft_design_stratum_fraction(d, h);
        if (n_h > 1) {
            V += (1 - f) * (double)n_h / (double)(n_h - 1) * v->s2[h];
            H_ok++;
        } else {
            V += graft_lonely_var(lonely, f, v->s1[h], zbar);
        }
    }
    return graft_lonely_total(lonely, V, H_dom, H_ok);
}

double graft_var_df(const var_ctx_t *v, const term_t *terms, size_t m)
{
    size_t psus = 0, strata = 0;
    if (v->clustered) {
        size_t J = graft_design_n_psu(v->design);
        for (size_t j = 0; j < J; j++) {
            int pos = 0;
            for (size_t k = 0; k < m && !pos; k++)
                pos = j < terms[k].cell->psu_cap && terms[k].cell->X[j] > 0;
            psus += (size_t)pos;
        }
    }
    for (size_t h = 0; h < v->H; h++) {
        size_t pos = 0;
        for (size_t k = 0; k < m; k++)
            if (h < terms[k].cell->strat_cap)
                pos += terms[k].cell->T[h].pos;
        strata += pos > 0;
        if (!v->clustered)
            psus += pos;
    }
    return (double)psus - (double)strata;
}

/* ---- replicates ------------------------------------------------------ */

/* Replicate r of the contrast, through the logit for a single term when
 * LOGIT; NaN when a term has no weight in that replicate. */
static double rep_theta(const term_t *terms, size_t m, size_t r, int logit)
{
    double sum = 0;
    for (size_t k = 0; k < m; k++) {
        const cell_t *cell = terms[k].cell;
        if (terms[k].coef == 0)
            continue;
        if (!cell->rsw)
            return NAN;
        double t = terms[k].ratio ? cell->rswy[r] / cell->rsw[r]
                                  : cell->rswy[r];
        if (logit)
            t = log(t / (1 - t));
        sum += terms[k].coef * t;
    }
    return sum;
}

double graft_var_replicate(const var_ctx_t *v, const term_t *terms,
                           size_t m, int logit)
{
    size_t R = v->n_rep, used = 0;
    double centre = 0;
    for (size_t r = 0; r < R; r++) {
        double t = rep_theta(terms, m, r, logit);
        if (isfinite(t) && v->rep_rscales[r] > 0) {
            centre += t;
            used++;
        }
    }
    if (used == 0)
        return NAN;
    centre /= (double)used;
    if (v->rep_mse) {
        centre = 0;
        for (size_t k = 0; k < m; k++) {
            double e = terms[k].est;
            if (terms[k].coef != 0)
                centre += terms[k].coef * (logit ? log(e / (1 - e)) : e);
        }
    }
    double var = 0;
    for (size_t r = 0; r < R; r++) {
        double t = rep_theta(terms, m, r, logit);
        if (isfinite(t)) /* R drops undefined replicates (na.action) */
            var += v->rep_rscales[r] * (t - centre) * (t - centre);
    }
    return v->rep_scale * var;
}

void graft_cell_gram_flush(const var_ctx_t *v, cell_t *cell)
{
    graft_gram_add(cell->gram, v->n_rep, cell->gs, cell->gdir);
    cell->gs = 0;
}

double graft_var_rep_df(const var_ctx_t *v, cell_t *cell)
{
    if (!cell->gram)
        return NAN;
    if (cell->rank == 0) { /* once per cell: rows and contrasts ask */
        graft_cell_gram_flush(v, cell);
        cell->rank = graft_rep_rank(cell->gram, v->n_rep);
    }
    return cell->rank < 0 ? NAN : (double)cell->rank - 1;
}
