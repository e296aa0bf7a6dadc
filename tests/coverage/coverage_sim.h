/*
 * coverage_sim.h - the simulation of the interval coverage study
 * (docs/coverage.md): finite populations with strata and clusters, a
 * stratified two-stage sample, its estimate and linearized variance, and
 * every interval of graft's library (graft_ci_prop) with the NCHS flags
 * (graft_rel_prop).  Header-only: `make coverage` (tests/coverage/
 * coverage.c) and tests/test_coverage.c share it.
 *
 * Population: H = 2 strata of 60 and 140 clusters; cluster sizes uniform
 * on 20..80; a cluster's prevalence drawn from Beta(pi (1 - rho) / rho,
 * (1 - pi)(1 - rho) / rho) (mean pi, intra-cluster correlation rho); each
 * person Bernoulli of it.  The target is the population's own proportion.
 * Sample: K / 2 clusters per stratum by simple random sampling, then
 * M = 10 people per cluster (all when fewer), weights (C_h / k)(M_c / m).
 * Estimate: the weighted proportion; variance: with-replacement
 * linearization (R's svydesign(ids = ~psu, strata = ~stratum, weights =
 * ~w), svymean), df = K - H, as graft estimates.
 */
#ifndef GRAFT_COVERAGE_SIM_H
#define GRAFT_COVERAGE_SIM_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "graft.h"

#define COV_H 2
#define COV_TAKE 10

static const size_t cov_clusters[COV_H] = {60, 140};

typedef struct cov_pop {
    size_t n_clusters;          /* all strata */
    size_t *stratum, *size, *cases; /* per cluster */
    double prevalence;          /* the population's proportion */
} cov_pop_t;

static inline void cov_pop_free(cov_pop_t *p)
{
    free(p->stratum);
    free(p->size);
    free(p->cases);
    memset(p, 0, sizeof *p);
}

static inline int cov_pop_make(cov_pop_t *p, gsl_rng *rng, double pi,
                               double rho)
{
    size_t n = cov_clusters[0] + cov_clusters[1], people = 0, cases = 0;
    p->n_clusters = n;
    p->prevalence = NAN;
    p->stratum = calloc(n, sizeof *p->stratum);
    p->size = calloc(n, sizeof *p->size);
    p->cases = calloc(n, sizeof *p->cases);
    if (!p->stratum || !p->size || !p->cases)
        return 0;
    double a = pi * (1 - rho) / rho, b = (1 - pi) * (1 - rho) / rho;
    for (size_t c = 0; c < n; c++) {
        p->stratum[c] = c < cov_clusters[0] ? 0 : 1;
        p->size[c] = 20 + gsl_rng_uniform_int(rng, 61);
        p->cases[c] = gsl_ran_binomial(rng, gsl_ran_beta(rng, a, b),
                                       (unsigned)p->size[c]);
        people += p->size[c];
        cases += p->cases[c];
    }
    p->prevalence = (double)cases / (double)people;
    return 1;
}

/* One sample's estimate: p, se, df, rows. */
typedef struct cov_est {
    double p, se, df;
    size_t n;
} cov_est_t;

/* What a sample drew, per sampled cluster (for checking the estimate
 * against graft's estimator). */
typedef struct cov_drawn {
    size_t n, stratum[64], cluster[64], m[64], y[64];
    double w[64];
} cov_drawn_t;

/* A sample of K clusters (K / 2 per stratum) and its estimate.  Each
 * cluster's sampled people: m of size, y of them cases (hypergeometric).
 * DRAWN (may be NULL) receives the clusters. */
static inline void cov_sample(const cov_pop_t *p, gsl_rng *rng, size_t k,
                              cov_est_t *e, cov_drawn_t *drawn)
{
    size_t per = k / COV_H;
    double Y[COV_H][64], X[COV_H][64], sy = 0, sx = 0;
    size_t n = 0;
    if (drawn)
        drawn->n = 0;
    for (size_t h = 0; h < COV_H; h++) {
        size_t first = h ? cov_clusters[0] : 0, C = cov_clusters[h];
        size_t pick[64], all[200];
        for (size_t i = 0; i < C; i++)
            all[i] = first + i;
        gsl_ran_choose(rng, pick, per, all, C, sizeof *all);
        for (size_t i = 0; i < per; i++) {
            size_t c = pick[i], M = p->size[c];
            size_t m = M < COV_TAKE ? M : COV_TAKE;
            size_t y = gsl_ran_hypergeometric(rng, (unsigned)p->cases[c],
                                              (unsigned)(M - p->cases[c]),
                                              (unsigned)m);
            double w = ((double)C / (double)per) * ((double)M / (double)m);
            if (drawn) {
                size_t j = drawn->n++;
                drawn->stratum[j] = h, drawn->cluster[j] = c;
                drawn->m[j] = m, drawn->y[j] = y, drawn->w[j] = w;
            }
            Y[h][i] = w * (double)y;
            X[h][i] = w * (double)m;
            sy += Y[h][i], sx += X[h][i], n += m;
        }
    }
    double phat = sy / sx, v = 0;
    for (size_t h = 0; h < COV_H; h++) {
        double z[64], zbar = 0;
        for (size_t i = 0; i < per; i++)
            zbar += (z[i] = (Y[h][i] - phat * X[h][i]) / sx) / (double)per;
        for (size_t i = 0; i < per; i++)
            v += (double)per / (double)(per - 1) * (z[i] - zbar) * (z[i] - zbar);
    }
    *e = (cov_est_t){phat, sqrt(v), (double)(k - COV_H), n};
}

/* The methods of the study, in graft's order. */
#define COV_METHODS GRAFT_CI_N_METHODS

/* Per setting: the tallies over the samples. */
typedef struct cov_tally {
    size_t reps, covered[COV_METHODS], defined[COV_METHODS];
    double width[COV_METHODS], neff;
    size_t flagged, flagged_missed, unflagged, unflagged_covered;
} cov_tally_t;

/* Add sample E of a population with proportion TRUTH to T. */
static inline void cov_tally_add(cov_tally_t *t, const cov_est_t *e,
                                 double truth)
{
    t->reps++;
    double neff = graft_ci_neff(e->p, e->se);
    t->neff += isfinite(neff) ? fmin(neff, (double)e->n) : (double)e->n;
    int kg_in = 0;
    for (int m = 0; m < COV_METHODS; m++) {
        graft_ci_t ci;
        graft_ci_prop(e->p, e->se, e->df, e->n, 0.95, (graft_ci_method_t)m,
                      &ci, NULL);
        if (!graft_ci_defined(&ci))
            continue;
        int in = ci.lo <= truth && truth <= ci.hi;
        t->defined[m]++;
        t->covered[m] += (size_t)in;
        t->width[m] += ci.hi - ci.lo;
        if (m == GRAFT_CI_KG_NCHS)
            kg_in = in;
    }
    graft_rel_t rel;
    graft_rel_prop(e->p, e->se, e->df, e->n, 0.95, 0, &rel, NULL);
    if (rel.flag[0]) {
        t->flagged++;
        t->flagged_missed += (size_t)!kg_in;
    } else {
        t->unflagged++;
        t->unflagged_covered += (size_t)kg_in;
    }
}

/* The intra-cluster correlation of population P by the method of moments
 * on its clusters' proportions: var(p_c) = P(1 - P)(rho + (1 - rho)
 * mean(1 / M)). */
static inline double cov_pop_icc(const cov_pop_t *p)
{
    double sum = 0, sq = 0, inv = 0, n = (double)p->n_clusters;
    for (size_t c = 0; c < p->n_clusters; c++) {
        double pc = (double)p->cases[c] / (double)p->size[c];
        sum += pc, sq += pc * pc, inv += 1.0 / (double)p->size[c];
    }
    double mean = sum / n, var = (sq - n * mean * mean) / (n - 1);
    double q = mean * (1 - mean), f = inv / n;
    return (var / q - f) / (1 - f);
}

#endif
