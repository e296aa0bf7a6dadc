/*
 * glm_fit.c - the numerics of a design-based GLM (stats/glm_internal.h):
 * IRLS with GSL's Householder QR, aliasing, and the two variances R's
 * svyglm gives the coefficients.
 *
 * Families (canonical links, so the score of row i is x_i w_i (y_i - mu_i)):
 *   linear    mu = eta            var(mu) = 1
 *   logistic  mu = 1/(1+e^-eta)   var(mu) = mu (1 - mu)
 *   poisson   mu = e^eta          var(mu) = mu
 * IRLS: z = eta + (y - mu) / mu'(eta), W = w mu'^2 / var, beta = the
 * weighted least squares of z on X (QR of sqrt(W) X).  Iterations stop
 * once no coefficient moves by more than 1e-10 (relative to the largest),
 * after one more iteration (Newton converges quadratically: the answer is
 * then exact to rounding); R's glm() stops earlier (epsilon 1e-8 on the
 * deviance), which the references undo with epsilon = 1e-14.
 *
 * Linearization (R's svy.varcoef): with A^-1 = (X' W X)^-1 at the fit,
 * the influence of row i is A^-1 x_i w_i (y_i - mu_i); its PSU totals
 * z_hj enter V = sum_h (1 - f_h) n_h / (n_h - 1) sum_j (z_hj - zbar_h)
 * (z_hj - zbar_h)' with n_h the design's PSUs of stratum h (PSUs without
 * rows count as zeros), strata without rows left out; a single-PSU
 * stratum follows the lonely-PSU policy as in variance.c (the scores of
 * a fit sum to zero, so 'adjust' centres at 0 in R 4.1 and 4.5 alike).
 * Replicates (R's svyglm.svyrep.design): refit with each replicate's
 * weights, V = scale sum_r rscale_r (b_r - centre)(b_r - centre)'.
 */
#include "stats/glm_internal.h"
#include "stats/lonely.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- families -------------------------------------------------------- */

static double fam_mu(graft_family_t f, double eta)
{
    switch (f) {
    case GRAFT_FAMILY_LOGISTIC: return 1 / (1 + exp(-eta));
    case GRAFT_FAMILY_POISSON: return exp(eta);
    default: return eta;
    }
}

/* mu'(eta) / var(mu): 1 for canonical links, so W = w mu'(eta). */
static double fam_dmu(graft_family_t f, double mu)
{
    switch (f) {
    case GRAFT_FAMILY_LOGISTIC: return mu * (1 - mu);
    case GRAFT_FAMILY_POISSON: return mu;
    default: return 1;
    }
}

/* R's family$initialize: the mu to start from. */
static double fam_start(graft_family_t f, double y, double w)
{
    switch (f) {
    case GRAFT_FAMILY_LOGISTIC: return (w * y + 0.5) / (w + 1);
    case GRAFT_FAMILY_POISSON: return y + 0.1;
    default: return y;
    }
}

static double fam_link(graft_family_t f, double mu)
{
    switch (f) {
    case GRAFT_FAMILY_LOGISTIC: return log(mu / (1 - mu));
    case GRAFT_FAMILY_POISSON: return log(mu);
    default: return mu;
    }
}

/* ---- weighted least squares ----------------------------------------- */

/* The mean of the N weights W (R's svyglm rescales them to mean 1, which
 * the binomial start sees). */
static double mean_weight(const double *w, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += w[i];
    return n && s > 0 ? s / (double)n : 1;
}

/* One IRLS step: the rows' working response and weights from ETA (or,
 * when START, from the family's starting mu), then the least squares of
 * sqrt(W) z on sqrt(W) X into BETA.  A is n x p scratch, TAU p, B n. */
static int irls_step(const glm_data_t *g, const double *w, const double *eta,
                     int start, gsl_matrix *A, gsl_vector *tau, gsl_vector *b,
                     gsl_vector *res, gsl_vector *beta)
{
    double wbar = start ? mean_weight(w, g->n) : 1;
    for (size_t i = 0; i < g->n; i++) {
        double e, mu;
        if (start) {
            mu = fam_start(g->family, g->y[i], w[i] / wbar);
            e = fam_link(g->family, mu);
        } else {
            e = eta[i];
            mu = fam_mu(g->family, e);
        }
        double d = fam_dmu(g->family, mu);
        double W = w[i] > 0 && d > 0 ? w[i] * d : 0;
        double z = d > 0 ? e + (g->y[i] - mu) / d : e;
        double s = sqrt(W);
        for (size_t c = 0; c < g->p; c++)
            gsl_matrix_set(A, i, c, s * gsl_matrix_get(g->X, i, c));
        gsl_vector_set(b, i, s * z);
    }
    if (gsl_linalg_QR_decomp(A, tau) != 0)
        return -1;
    return gsl_linalg_QR_lssolve(A, tau, b, beta, res) != 0 ? -1 : 0;
}

static void linear_predictor(const glm_data_t *g, const double *beta,
                             double *eta)
{
    for (size_t i = 0; i < g->n; i++) {
        double e = 0;
        for (size_t c = 0; c < g->p; c++)
            e += gsl_matrix_get(g->X, i, c) * beta[c];
        eta[i] = e;
    }
}

/* Largest coefficient change relative to the largest coefficient. */
static double beta_change(const double *old, const gsl_vector *beta,
                          size_t p)
{
    double big = 1, d = 0;
    for (size_t c = 0; c < p; c++) {
        double b = gsl_vector_get(beta, c);
        if (fabs(b) > big)
            big = fabs(b);
        if (fabs(b - old[c]) > d || isnan(b))
            d = isnan(b) ? INFINITY : fabs(b - old[c]);
    }
    return d / big;
}

typedef struct irls_work {
    gsl_matrix *A;
    gsl_vector *tau, *b, *res, *beta;
    double *eta;
} irls_work_t;

static void work_free(irls_work_t *k)
{
    gsl_matrix_free(k->A);
    gsl_vector_free(k->tau);
    gsl_vector_free(k->b);
    gsl_vector_free(k->res);
    gsl_vector_free(k->beta);
    free(k->eta);
}

static int work_alloc(irls_work_t *k, size_t n, size_t p)
{
    memset(k, 0, sizeof *k);
    k->A = gsl_matrix_alloc(n, p);
    k->tau = gsl_vector_alloc(p);
    k->b = gsl_vector_alloc(n);
    k->res = gsl_vector_alloc(n);
    k->beta = gsl_vector_alloc(p);
    k->eta = malloc(n * sizeof *k->eta);
    if (k->A && k->tau && k->b && k->res && k->beta && k->eta)
        return 0;
    work_free(k);
    return -1;
}

graft_error_t graft_glm_irls(const glm_data_t *g, const double *w,
                             double *beta, int start, size_t *iter,
                             graft_diag_t *diag)
{
    irls_work_t k;
    size_t max = g->max_iter ? g->max_iter : 100;
    int settled = 0;
    if (work_alloc(&k, g->n, g->p) != 0)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (*iter = 1; *iter <= max; (*iter)++) {
        if (!start)
            linear_predictor(g, beta, k.eta);
        if (irls_step(g, w, k.eta, start, k.A, k.tau, k.b, k.res, k.beta))
            break;
        double d = start ? INFINITY : beta_change(beta, k.beta, g->p);
        for (size_t c = 0; c < g->p; c++)
            beta[c] = gsl_vector_get(k.beta, c);
        start = 0;
        if (isnan(d))
            break;
        if (settled)
            break;
        settled = d <= 1e-10;
    }
    work_free(&k);
    if (settled && *iter <= max)
        return GRAFT_OK;
    return graft_diag_set(diag, GRAFT_ERR_MODEL, NULL, 0, 0,
                          "the fit did not converge in %zu iterations (a "
                          "term that predicts the response perfectly, or "
                          "too few rows in a level?)",
                          max);
}

/* ---- aliasing --------------------------------------------------------- */

/* Gram-Schmidt on sqrt(w) X, column by column: a column whose remainder
 * after the earlier kept columns has a norm below 1e-7 of its own is
 * aliased (R's qr() tolerance). */
size_t graft_glm_aliased(const glm_data_t *g, int *aliased)
{
    size_t n = g->n, p = g->p, count = 0;
    double *Q = malloc(n * p * sizeof *Q);
    if (!Q)
        return (size_t)-1;
    for (size_t c = 0; c < p; c++) {
        double *q = Q + c * n, norm0 = 0, norm = 0;
        for (size_t i = 0; i < n; i++) {
            q[i] = sqrt(g->w[i]) * gsl_matrix_get(g->X, i, c);
            norm0 += q[i] * q[i];
        }
        for (size_t j = 0; j < c; j++) {
            if (aliased[j])
                continue;
            const double *u = Q + j * n;
            double dot = 0;
            for (size_t i = 0; i < n; i++)
                dot += u[i] * q[i];
            for (size_t i = 0; i < n; i++)
                q[i] -= dot * u[i];
        }
        for (size_t i = 0; i < n; i++)
            norm += q[i] * q[i];
        aliased[c] = norm0 == 0 || sqrt(norm) < 1e-7 * sqrt(norm0);
        count += (size_t)aliased[c];
        for (size_t i = 0; !aliased[c] && i < n; i++)
            q[i] /= sqrt(norm);
    }
    free(Q);
    return count;
}

/* ---- linearization ---------------------------------------------------- */

/* A^-1 = (X' W X)^-1 at BETA, p x p, from the R of sqrt(W) X. */
static int inverse_information(const glm_data_t *g, const double *beta,
                               gsl_matrix *Ainv)
{
    irls_work_t k;
    size_t p = g->p;
    if (work_alloc(&k, g->n, p) != 0)
        return -1;
    linear_predictor(g, beta, k.eta);
    int rc = irls_step(g, g->w, k.eta, 0, k.A, k.tau, k.b, k.res, k.beta);
    gsl_matrix_view R = gsl_matrix_submatrix(k.A, 0, 0, p, p);
    for (size_t i = 0; rc == 0 && i < p; i++)
        for (size_t j = 0; j < i; j++)
            gsl_matrix_set(&R.matrix, i, j, 0);
    if (rc == 0)
        rc = gsl_linalg_tri_invert(CblasUpper, CblasNonUnit, &R.matrix);
    if (rc == 0) /* R^-1 R^-T */
        rc = gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, &R.matrix,
                            &R.matrix, 0.0, Ainv);
    work_free(&k);
    return rc ? -1 : 0;
}

/* The PSU (or row) totals of the scores x_i w_i (y_i - mu_i), into Z
 * (J x p, J = the design's PSUs, or the rows without a PSU column). */
static void psu_scores(const glm_data_t *g, const double *beta, double *Z)
{
    size_t p = g->p;
    for (size_t i = 0; i < g->n; i++) {
        double e = 0;
        for (size_t c = 0; c < p; c++)
            e += gsl_matrix_get(g->X, i, c) * beta[c];
        double r = g->w[i] * (g->y[i] - fam_mu(g->family, e));
        size_t j = g->psu[i] == GRAFT_ROW_PSU ? i : g->psu[i];
        for (size_t c = 0; c < p; c++)
            Z[j * p + c] += gsl_matrix_get(g->X, i, c) * r;
    }
}

typedef struct strata_sums {
    double *S1, *S2;  /* H x p sums, H x p x p sums of products */
    size_t *rows;     /* per stratum: rows of the fit */
} strata_sums_t;

/* Add unit J (a PSU's or a row's score total ZJ) to stratum H. */
static void add_unit(strata_sums_t *s, size_t p, size_t h, const double *zj)
{
    for (size_t a = 0; a < p; a++) {
        s->S1[h * p + a] += zj[a];
        for (size_t b = 0; b < p; b++)
            s->S2[(h * p + a) * p + b] += zj[a] * zj[b];
    }
}

/* V (the scores' covariance) from the strata sums, as variance.c does
 * for one estimate. */
static void strata_variance(const glm_data_t *g, const graft_design_t *d,
                            const strata_sums_t *s, double *V)
{
    size_t p = g->p, H = graft_design_n_strata(d), H_dom = 0, H_ok = 0;
    graft_lonely_t lonely = graft_design_spec(d)->lonely;
    memset(V, 0, p * p * sizeof *V);
    for (size_t h = 0; h < H; h++) {
        if (!s->rows[h])
            continue;
        H_dom++;
        double n_h = (double)graft_design_stratum_psus(d, h);
        double f = graft_design_stratum_fraction(d, h);
        const double *s1 = s->S1 + h * p, *s2 = s->S2 + h * p * p;
        double k = n_h > 1 ? (1 - f) * n_h / (n_h - 1)
                           : graft_lonely_var(lonely, f, 1, 0);
        H_ok += n_h > 1;
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                V[a * p + b] += k * (n_h > 1 ? s2[a * p + b] -
                                                   s1[a] * s1[b] / n_h
                                             : s1[a] * s1[b]);
    }
    for (size_t a = 0; a < p * p; a++)
        V[a] = graft_lonely_total(lonely, V[a], H_dom, H_ok);
}

/* Per stratum, the sums over its PSUs (or rows) of the score totals. */
static int strata_sums(const glm_data_t *g, const graft_design_t *d,
                       const double *Z, size_t J, strata_sums_t *s)
{
    size_t p = g->p, H = graft_design_n_strata(d);
    s->S1 = calloc(H * p, sizeof *s->S1);
    s->S2 = calloc(H * p * p, sizeof *s->S2);
    s->rows = calloc(H, sizeof *s->rows);
    unsigned char *seen = calloc(J ? J : 1, 1);
    if (!s->S1 || !s->S2 || !s->rows || !seen) {
        free(seen);
        return -1;
    }
    for (size_t i = 0; i < g->n; i++) {
        int row_psu = g->psu[i] == GRAFT_ROW_PSU;
        size_t j = row_psu ? i : g->psu[i];
        s->rows[g->h[i]]++;
        if (!seen[j])
            add_unit(s, p, g->h[i], Z + j * p);
        seen[j] = 1;
    }
    free(seen);
    return 0;
}

/* Ainv V Ainv into OUT (p x p). */
static int sandwich(size_t p, const gsl_matrix *Ainv, double *V, double *out)
{
    gsl_matrix_view Vm = gsl_matrix_view_array(V, p, p);
    gsl_matrix_view Om = gsl_matrix_view_array(out, p, p);
    gsl_matrix *T = gsl_matrix_alloc(p, p);
    if (!T)
        return -1;
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, Ainv, &Vm.matrix, 0.0, T);
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, T, Ainv, 0.0, &Om.matrix);
    gsl_matrix_free(T);
    return 0;
}

graft_error_t graft_glm_var_linear(const glm_data_t *g,
                                   const graft_design_t *d,
                                   const double *beta, double *V)
{
    size_t p = g->p, J = graft_design_n_psu(d);
    if (g->n && g->psu[0] == GRAFT_ROW_PSU)
        J = g->n;
    strata_sums_t s = {NULL, NULL, NULL};
    double *Z = calloc((J ? J : 1) * p, sizeof *Z);
    double *VZ = malloc(p * p * sizeof *VZ);
    gsl_matrix *Ainv = gsl_matrix_alloc(p, p);
    int bad = !Z || !VZ || !Ainv || inverse_information(g, beta, Ainv);
    if (!bad) {
        psu_scores(g, beta, Z);
        bad = strata_sums(g, d, Z, J, &s);
    }
    if (!bad) {
        strata_variance(g, d, &s, VZ);
        bad = sandwich(p, Ainv, VZ, V);
    }
    free(s.S1);
    free(s.S2);
    free(s.rows);
    free(Z);
    free(VZ);
    gsl_matrix_free(Ainv);
    return bad ? GRAFT_ERR_NOMEM : GRAFT_OK;
}

/* ---- replicates ------------------------------------------------------- */

/* V from the replicates' coefficients B (R x p) around the mean of those
 * with rscale > 0, or BETA (mse). */
static void rep_combine(const graft_design_t *d, const double *B, size_t R,
                        size_t p, const double *beta, double *V)
{
    const double *rs = graft_design_rep_rscales(d);
    double scale = graft_design_rep_scale(d), used = 0;
    double centre[GRAFT_MODEL_MAX_COEF] = {0};
    for (size_t r = 0; r < R; r++)
        if (rs[r] > 0) {
            used++;
            for (size_t c = 0; c < p; c++)
                centre[c] += B[r * p + c];
        }
    for (size_t c = 0; c < p; c++)
        centre[c] = graft_design_spec(d)->rep.mse ? beta[c]
                                                  : centre[c] / used;
    memset(V, 0, p * p * sizeof *V);
    for (size_t r = 0; r < R; r++)
        for (size_t a = 0; a < p; a++)
            for (size_t b = 0; b < p; b++)
                V[a * p + b] += scale * rs[r] *
                                (B[r * p + a] - centre[a]) *
                                (B[r * p + b] - centre[b]);
}

graft_error_t graft_glm_var_replicate(const glm_data_t *g,
                                      const graft_design_t *d,
                                      const double *beta, double *V,
                                      graft_diag_t *diag)
{
    size_t R = g->n_rep, p = g->p, iter;
    double *B = malloc(R * p * sizeof *B);
    double *w = malloc(g->n * sizeof *w);
    graft_error_t rc = GRAFT_OK;
    if (!B || !w)
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
    for (size_t r = 0; rc == GRAFT_OK && r < R; r++) {
        for (size_t i = 0; i < g->n; i++)
            w[i] = g->repw[i * R + r];
        memcpy(B + r * p, beta, p * sizeof *B);
        rc = graft_glm_irls(g, w, B + r * p, 0, &iter, diag);
        if (rc == GRAFT_ERR_MODEL)
            graft_diag_set(diag, rc, NULL, 0, 0,
                           "replicate %zu ('%s'): the fit did not converge",
                           r + 1, graft_design_rep_name(d, r));
    }
    if (rc == GRAFT_OK)
        rep_combine(d, B, R, p, beta, V);
    free(B);
    free(w);
    return rc;
}
