/*
 * sae.c - the area-level Fay-Herriot model (graft_fh_fit): sigma_u^2 by
 * REML, ML or the moment method by Fisher scoring, beta by GLS, EBLUP and
 * MSE, each step as R's sae package 1.3 computes it (R/eblupFH.R,
 * R/mseFH.R; Molina and Marhuenda 2015, The R Journal 7/1).  docs/sae.md.
 */
#include "graft/sae.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_math.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SAE_FH_MAX_P 256

const char *graft_sae_method_name(graft_sae_method_t m)
{
    switch (m) {
    case GRAFT_SAE_REML: return "REML";
    case GRAFT_SAE_ML: return "ML";
    case GRAFT_SAE_FH: return "FH";
    }
    return "?";
}

int graft_sae_method_parse(const char *name, graft_sae_method_t *out)
{
    static const char *const names[] = {"reml", "ml", "fh"};
    for (int i = 0; i < 3; i++)
        if (strcasecmp(name, names[i]) == 0) {
            *out = (graft_sae_method_t)i;
            return 1;
        }
    return 0;
}

void graft_fh_free(graft_fh_t *fh)
{
    if (!fh)
        return;
    free(fh->beta);
    free(fh->beta_se);
    free(fh->estimate);
    free(fh->mse);
    free(fh->gamma);
    free(fh->g1);
    free(fh->g2);
    free(fh->g3);
    free(fh->fitted);
    free(fh->synthetic);
    free(fh);
}

static graft_fh_t *fh_alloc(size_t n, size_t p)
{
    graft_fh_t *fh = calloc(1, sizeof *fh);
    if (!fh)
        return NULL;
    fh->n_areas = n;
    fh->p = p;
    fh->beta = calloc(p, sizeof(double));
    fh->beta_se = calloc(p, sizeof(double));
    double **per[] = {&fh->estimate, &fh->mse, &fh->gamma, &fh->g1,
                      &fh->g2, &fh->g3, &fh->fitted};
    int ok = fh->beta && fh->beta_se;
    for (size_t i = 0; i < sizeof per / sizeof per[0]; i++)
        ok = (*per[i] = calloc(n ? n : 1, sizeof(double))) != NULL && ok;
    fh->synthetic = calloc(n ? n : 1, sizeof(int));
    if (!ok || !fh->synthetic) {
        graft_fh_free(fh);
        return NULL;
    }
    return fh;
}

/* ---------------------------------------------------------- workspace */

/* The areas in the fit and the matrices every step needs. */
typedef struct fh_work {
    size_t m, p;
    gsl_vector *y, *psi, *vi;   /* m */
    gsl_matrix *x;              /* m x p */
    gsl_matrix *q;              /* p x p: (X' V^-1 X)^-1 */
    gsl_matrix *xq;             /* m x p: X Q */
    gsl_vector *beta, *res;     /* p, m */
    gsl_matrix *m2;             /* p x p: X' V^-1 X, then its LU */
    gsl_permutation *perm;
    gsl_vector *xty;            /* p: X' V^-1 y */
} fh_work_t;

static void work_free(fh_work_t *w)
{
    gsl_vector_free(w->y);
    gsl_vector_free(w->psi);
    gsl_vector_free(w->vi);
    gsl_matrix_free(w->x);
    gsl_matrix_free(w->q);
    gsl_matrix_free(w->xq);
    gsl_vector_free(w->beta);
    gsl_vector_free(w->res);
    gsl_matrix_free(w->m2);
    gsl_permutation_free(w->perm);
    gsl_vector_free(w->xty);
}

static int work_alloc(fh_work_t *w, size_t m, size_t p)
{
    memset(w, 0, sizeof *w);
    w->m = m;
    w->p = p;
    w->y = gsl_vector_alloc(m);
    w->psi = gsl_vector_alloc(m);
    w->vi = gsl_vector_alloc(m);
    w->x = gsl_matrix_alloc(m, p);
    w->q = gsl_matrix_alloc(p, p);
    w->xq = gsl_matrix_alloc(m, p);
    w->beta = gsl_vector_alloc(p);
    w->res = gsl_vector_alloc(m);
    w->m2 = gsl_matrix_alloc(p, p);
    w->perm = gsl_permutation_alloc(p);
    w->xty = gsl_vector_alloc(p);
    return w->y && w->psi && w->vi && w->x && w->q && w->xq && w->beta &&
           w->res && w->m2 && w->perm && w->xty;
}

/* At sigma_u^2 = A: Vi = 1 / (A + psi), Q = (X' V^-1 X)^-1 by Cholesky,
 * beta = Q X' V^-1 y (GLS), res = y - X beta.  Returns 0 when X' V^-1 X
 * is singular. */
static int work_gls(fh_work_t *w, double a)
{
    size_t m = w->m, p = w->p;
    for (size_t d = 0; d < m; d++)
        gsl_vector_set(w->vi, d, 1.0 / (a + gsl_vector_get(w->psi, d)));
    gsl_vector_set_zero(w->beta);
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k <= j; k++) {
            double s = 0;
            for (size_t d = 0; d < m; d++)
                s += gsl_matrix_get(w->x, d, j) * gsl_vector_get(w->vi, d) *
                     gsl_matrix_get(w->x, d, k);
            gsl_matrix_set(w->m2, j, k, s);
            gsl_matrix_set(w->m2, k, j, s);
        }
    for (size_t d = 0; d < m; d++)
        for (size_t j = 0; j < p; j++)
            *gsl_vector_ptr(w->beta, j) += gsl_matrix_get(w->x, d, j) *
                gsl_vector_get(w->vi, d) * gsl_vector_get(w->y, d);
    /* R's solve(): LU with partial pivoting (V^-1 may have negative
     * entries while Fisher scoring passes below sigma_u^2 = 0). */
    int sign;
    if (gsl_linalg_LU_decomp(w->m2, w->perm, &sign) != GSL_SUCCESS ||
        gsl_linalg_LU_invert(w->m2, w->perm, w->q) != GSL_SUCCESS)
        return 0;
    for (size_t j = 0; j < p; j++)
        if (!(fabs(gsl_matrix_get(w->m2, j, j)) > 0))
            return 0;
    gsl_vector_memcpy(w->xty, w->beta);
    gsl_blas_dgemv(CblasNoTrans, 1.0, w->q, w->xty, 0.0, w->beta);
    for (size_t d = 0; d < m; d++) {
        double xb = 0;
        for (size_t j = 0; j < p; j++) {
            double s = 0;
            for (size_t k = 0; k < p; k++)
                s += gsl_matrix_get(w->x, d, k) * gsl_matrix_get(w->q, k, j);
            gsl_matrix_set(w->xq, d, j, s);
            xb += gsl_matrix_get(w->x, d, j) * gsl_vector_get(w->beta, j);
        }
        gsl_vector_set(w->res, d, gsl_vector_get(w->y, d) - xb);
    }
    return 1;
}

/* tr(P) and tr(PP) of P = W - W X Q X' W (eblupFH.R; W = V^-1, from
 * work_gls's Q) without forming the m x m matrix:
 *   tr(P)  = sum w_d - sum w_d^2 x_d'Q x_d
 *   tr(PP) = sum w_d^2 - 2 tr(Q X'W^3 X) + tr((Q X'W^2 X)^2). */
static void work_traces(const fh_work_t *w, double *tr, double *tr2)
{
    size_t m = w->m, p = w->p;
    double *m2 = calloc(p * p, sizeof *m2), *m3 = calloc(p * p, sizeof *m3);
    double *qm = calloc(p * p, sizeof *qm);
    *tr = *tr2 = NAN;
    if (!m2 || !m3 || !qm)
        goto done;
    double t = 0, t2 = 0;
    for (size_t d = 0; d < m; d++) {
        double wd = gsl_vector_get(w->vi, d), h = 0;
        for (size_t j = 0; j < p; j++) {
            h += gsl_matrix_get(w->xq, d, j) * gsl_matrix_get(w->x, d, j);
            for (size_t k = 0; k < p; k++) {
                double xx = gsl_matrix_get(w->x, d, j) *
                            gsl_matrix_get(w->x, d, k);
                m2[j * p + k] += wd * wd * xx;
                m3[j * p + k] += wd * wd * wd * xx;
            }
        }
        t += wd - wd * wd * h;
        t2 += wd * wd;
    }
    double tq3 = 0; /* tr(Q M3) */
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k < p; k++) {
            double s = 0;
            for (size_t l = 0; l < p; l++)
                s += gsl_matrix_get(w->q, j, l) * m2[l * p + k];
            qm[j * p + k] = s;
            tq3 += gsl_matrix_get(w->q, j, k) * m3[k * p + j];
        }
    double tqm2 = 0; /* tr((Q M2)^2) */
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k < p; k++)
            tqm2 += qm[j * p + k] * qm[k * p + j];
    *tr = t;
    *tr2 = t2 - 2 * tq3 + tqm2;
done:
    free(m2);
    free(m3);
    free(qm);
}

/* The score S and Fisher information F of the method at the current
 * work_gls step (eblupFH.R).  REML: s = -tr(P)/2 + y'PPy/2,
 * F = tr(PP)/2; ML: s = -sum(Vi)/2 + y'PPy/2, F = sum(Vi^2)/2 (Py is
 * V^-1 (y - X beta)); FH: s = sum(res^2 Vi) - (m - p), F = sum(Vi). */
static void work_score(fh_work_t *w, graft_sae_method_t method, double *s,
                       double *f)
{
    size_t m = w->m;
    double sv = 0, sv2 = 0, pyy = 0;
    for (size_t d = 0; d < m; d++) {
        double vi = gsl_vector_get(w->vi, d), r = gsl_vector_get(w->res, d);
        sv += vi;
        sv2 += vi * vi;
        pyy += vi * vi * r * r; /* (Py)'(Py), Py = V^-1 res */
    }
    if (method == GRAFT_SAE_FH) {
        double q = 0;
        for (size_t d = 0; d < m; d++)
            q += gsl_vector_get(w->res, d) * gsl_vector_get(w->res, d) *
                 gsl_vector_get(w->vi, d);
        *s = q - (double)(m - w->p);
        *f = sv;
        return;
    }
    if (method == GRAFT_SAE_ML) {
        *s = -0.5 * sv + 0.5 * pyy;
        *f = 0.5 * sv2;
        return;
    }
    double tr, tr2;
    work_traces(w, &tr, &tr2);
    *s = -0.5 * tr + 0.5 * pyy;
    *f = 0.5 * tr2;
}

/* ------------------------------------------------------------ fitting */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* R's median() of the M variances: the start of Fisher scoring. */
static double median_of(const gsl_vector *v, double *buf)
{
    size_t m = v->size;
    for (size_t d = 0; d < m; d++)
        buf[d] = gsl_vector_get(v, d);
    qsort(buf, m, sizeof *buf, cmp_double);
    return m % 2 ? buf[m / 2] : (buf[m / 2 - 1] + buf[m / 2]) / 2;
}

/* Fisher scoring from the median of psi until the relative change is at
 * most PRECISION (eblupFH.R); sigma_u^2 then truncated at 0. */
static graft_error_t fh_scoring(fh_work_t *w, const graft_sae_opts_t *o,
                                graft_fh_t *fh, graft_diag_t *diag)
{
    double *buf = malloc(w->m * sizeof *buf);
    if (!buf)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    double a = median_of(w->psi, buf), diff = o->precision + 1;
    free(buf);
    size_t k = 0;
    while (diff > o->precision && k < o->max_iter) {
        double s, f;
        k++;
        if (!work_gls(w, a))
            return graft_diag_set(diag, GRAFT_ERR_MODEL, NULL, 0, 0,
                                  "%s estimation of sigma_u^2 did not "
                                  "converge: X'V^-1X is singular at step "
                                  "%zu (sigma_u^2 = %g)",
                                  graft_sae_method_name(o->method), k, a);
        work_score(w, o->method, &s, &f);
        double next = a + s / f;
        diff = fabs((next - a) / a);
        a = next;
        if (!isfinite(a))
            break;
    }
    fh->iterations = k;
    if (!isfinite(a) || (k >= o->max_iter && !(diff < o->precision)))
        return graft_diag_set(diag, GRAFT_ERR_MODEL, NULL, 0, 0,
                              "%s estimation of sigma_u^2 did not converge "
                              "in %zu iterations",
                              graft_sae_method_name(o->method), k);
    fh->sigma2u = a > 0 ? a : 0;
    return GRAFT_OK;
}

/* mseFH.R's bias b of the estimator of sigma_u^2 and its asymptotic
 * variance VarA, at the final sigma_u^2 (work_gls done). */
static void fh_bias(const fh_work_t *w, graft_sae_method_t method,
                    double *b, double *var_a)
{
    size_t m = w->m, p = w->p;
    double sv = 0, sv2 = 0;
    for (size_t d = 0; d < m; d++) {
        double vi = gsl_vector_get(w->vi, d);
        sv += vi;
        sv2 += vi * vi;
    }
    *b = 0;
    if (method == GRAFT_SAE_FH) {
        *var_a = 2.0 * (double)m / (sv * sv);
        *b = 2.0 * ((double)m * sv2 - sv * sv) / (sv * sv * sv);
        return;
    }
    *var_a = 2.0 / sv2;
    if (method == GRAFT_SAE_ML) {
        /* b = -tr(Q X' V^-2 X) / sum(Vi^2) = -sum_d Vi^2 x_d' Q x_d / ... */
        double tr = 0;
        for (size_t d = 0; d < m; d++) {
            double vi = gsl_vector_get(w->vi, d), h = 0;
            for (size_t j = 0; j < p; j++)
                h += gsl_matrix_get(w->xq, d, j) * gsl_matrix_get(w->x, d, j);
            tr += vi * vi * h;
        }
        *b = -tr / sv2;
    }
}

/* x' Q x for covariate row X. */
static double quad_q(const gsl_matrix *q, const double *x, size_t p)
{
    double s = 0;
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k < p; k++)
            s += x[j] * gsl_matrix_get(q, j, k) * x[k];
    return s;
}

/* The EBLUP, gamma, g1..g3 and MSE of every area (mseFH.R), the
 * synthetic estimate and g2 + sigma_u^2 outside the fit; the
 * log-likelihood (eblupFH.R). */
static void fh_predict(fh_work_t *w, const double *y, const double *psi,
                       const double *x, const int *in_fit,
                       graft_fh_t *fh)
{
    size_t p = w->p;
    double a = fh->sigma2u, b, var_a, ll = 0;
    fh_bias(w, fh->method, &b, &var_a);
    fh->bias = b;
    for (size_t j = 0; j < p; j++) {
        fh->beta[j] = gsl_vector_get(w->beta, j);
        fh->beta_se[j] = sqrt(gsl_matrix_get(w->q, j, j));
    }
    for (size_t d = 0; d < fh->n_areas; d++) {
        const double *xd = x + d * p;
        double xb = 0;
        for (size_t j = 0; j < p; j++)
            xb += xd[j] * fh->beta[j];
        fh->fitted[d] = xb;
        double g2q = quad_q(w->q, xd, p);
        if (!in_fit[d]) {
            fh->synthetic[d] = 1;
            fh->estimate[d] = xb;
            fh->g2[d] = g2q;
            fh->mse[d] = g2q + a;
            continue;
        }
        double v = a + psi[d], bd = psi[d] / v, r = y[d] - xb;
        ll += log(2 * M_PI * v) + r * r / v;
        fh->gamma[d] = a / v;
        fh->estimate[d] = xb + a / v * r;
        fh->g1[d] = psi[d] * (1 - bd);
        fh->g2[d] = bd * bd * g2q;
        fh->g3[d] = bd * bd * var_a / v;
        fh->mse[d] = fh->g1[d] + fh->g2[d] + 2 * fh->g3[d] - b * bd * bd;
    }
    fh->loglik = -0.5 * ll;
}

static int area_in_fit(double y, double psi)
{
    return isfinite(y) && isfinite(psi) && psi > 0;
}

/* Is X of full column rank?  X'X scaled to a unit diagonal (a
 * correlation-like matrix), Cholesky with every pivot L_jj^2 above 1e-10
 * (an R^2 of a column on the others below 1 - 1e-10). */
static int full_rank(fh_work_t *w)
{
    size_t m = w->m, p = w->p;
    double diag[SAE_FH_MAX_P];
    for (size_t j = 0; j < p; j++) {
        diag[j] = 0;
        for (size_t d = 0; d < m; d++)
            diag[j] += gsl_matrix_get(w->x, d, j) * gsl_matrix_get(w->x, d, j);
        if (!(diag[j] > 0))
            return 0;
    }
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k < p; k++) {
            double s = 0;
            for (size_t d = 0; d < m; d++)
                s += gsl_matrix_get(w->x, d, j) * gsl_matrix_get(w->x, d, k);
            gsl_matrix_set(w->m2, j, k, s / sqrt(diag[j] * diag[k]));
        }
    if (gsl_linalg_cholesky_decomp1(w->m2) != GSL_SUCCESS)
        return 0;
    for (size_t j = 0; j < p; j++) {
        double l = gsl_matrix_get(w->m2, j, j);
        if (!(l * l > 1e-10))
            return 0;
    }
    return 1;
}

/* Copy the areas in the fit into W; checks the covariates. */
static graft_error_t fh_load(fh_work_t *w, const double *y, const double *psi,
                             const double *x, size_t n, size_t p,
                             int *in_fit, graft_diag_t *diag)
{
    size_t m = 0;
    for (size_t d = 0; d < n; d++) {
        for (size_t j = 0; j < p; j++)
            if (!isfinite(x[d * p + j]))
                return graft_diag_set(diag, GRAFT_ERR_MODEL, NULL, 0, 0,
                                      "area %zu: covariate %zu is not a "
                                      "finite number", d + 1, j + 1);
        in_fit[d] = area_in_fit(y[d], psi[d]);
        m += (size_t)in_fit[d];
    }
    if (m < p + 1)
        return graft_diag_set(diag, GRAFT_ERR_MODEL, NULL, 0, 0,
                              "%zu area%s in the fit for %zu coefficient%s: "
                              "the model needs at least %zu",
                              m, m == 1 ? "" : "s", p, p == 1 ? "" : "s",
                              p + 1);
    if (!work_alloc(w, m, p))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t d = 0, i = 0; d < n; d++) {
        if (!in_fit[d])
            continue;
        gsl_vector_set(w->y, i, y[d]);
        gsl_vector_set(w->psi, i, psi[d]);
        for (size_t j = 0; j < p; j++)
            gsl_matrix_set(w->x, i, j, x[d * p + j]);
        i++;
    }
    if (!full_rank(w))
        return graft_diag_set(diag, GRAFT_ERR_MODEL, NULL, 0, 0,
                              "the covariates are collinear over the %zu "
                              "areas in the fit", m);
    return GRAFT_OK;
}

graft_error_t graft_fh_fit(const double *y, const double *psi,
                           const double *x, size_t n, size_t p,
                           const graft_sae_opts_t *opts, graft_fh_t **out,
                           graft_diag_t *diag)
{
    graft_sae_opts_t o = *opts;
    fh_work_t w;
    graft_error_t rc;
    memset(&w, 0, sizeof w);
    *out = NULL;
    if (p == 0 || p > SAE_FH_MAX_P)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "the model has %zu coefficients (1 to %d)", p,
                              SAE_FH_MAX_P);
    if (o.max_iter == 0)
        o.max_iter = 100;
    if (!(o.precision > 0))
        o.precision = 1e-12;
    graft_fh_t *fh = fh_alloc(n, p);
    int *in_fit = calloc(n ? n : 1, sizeof *in_fit);
    if (!fh || !in_fit) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto cleanup;
    }
    fh->method = o.method;
    if ((rc = fh_load(&w, y, psi, x, n, p, in_fit, diag)) != GRAFT_OK ||
        (rc = fh_scoring(&w, &o, fh, diag)) != GRAFT_OK)
        goto cleanup;
    fh->n_fit = w.m;
    if (!work_gls(&w, fh->sigma2u)) {
        rc = graft_diag_set(diag, GRAFT_ERR_MODEL, NULL, 0, 0,
                            "the covariates are collinear over the %zu "
                            "areas in the fit", w.m);
        goto cleanup;
    }
    fh_predict(&w, y, psi, x, in_fit, fh);
    *out = fh;
    fh = NULL;
cleanup:
    work_free(&w);
    free(in_fit);
    graft_fh_free(fh);
    return rc;
}
