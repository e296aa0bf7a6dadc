/*
 * sae_areas.c - graft_sae_areas: from an indicator's direct estimates by
 * area and a covariates CSV file to the Fay-Herriot fit (sae.c) and the
 * per-area table of graft sae (docs/sae.md).
 */
#define _GNU_SOURCE
#include "graft/sae.h"
#include "graft/reader.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SAE_MAX_TERMS 64

/* ------------------------------------------------------------ formula */

/* The formula "~ a + b": the covariate names into NAMES (strdup'd, at most
 * SAE_MAX_TERMS), *N of them.  A term "1" (the intercept, always in) is
 * skipped. */
static graft_error_t parse_formula(const char *text, const graft_source_t *src,
                                   char **names, size_t *n,
                                   graft_diag_t *diag)
{
    const char *s = text, *file = src && src->file ? src->file : "--formula";
    unsigned long line = src ? src->line : 1, col0 = src ? src->col : 1;
    *n = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '~')
        s++;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        const char *b = s;
        while (*s && *s != '+' && *s != ' ' && *s != '\t')
            s++;
        size_t len = (size_t)(s - b);
        while (*s == ' ' || *s == '\t')
            s++;
        unsigned long col = col0 + (unsigned long)(b - text);
        if (len == 0 || (*s && *s != '+'))
            return graft_diag_set(diag, GRAFT_ERR_USAGE, file, line,
                                  len ? col0 + (unsigned long)(s - text) : col,
                                  "the formula must read '~ COL + COL ...' "
                                  "(covariates of the covariates file)");
        for (size_t i = 0; i < len; i++)
            if (strchr("~()*:^-=,'\"", b[i]))
                return graft_diag_set(diag, GRAFT_ERR_USAGE, file, line,
                                      col + i, "'%c' in the formula: give "
                                      "covariates as columns joined by '+'",
                                      b[i]);
        if (!(len == 1 && b[0] == '1')) {
            if (*n == SAE_MAX_TERMS)
                return graft_diag_set(diag, GRAFT_ERR_USAGE, file, line, col,
                                      "at most %d covariates", SAE_MAX_TERMS);
            if (!(names[*n] = strndup(b, len)))
                return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                      "out of memory");
            for (size_t i = 0; i < *n; i++)
                if (strcmp(names[i], names[*n]) == 0) {
                    free(names[*n]);
                    return graft_diag_set(diag, GRAFT_ERR_USAGE, file, line,
                                          col, "covariate '%s' is in the "
                                          "formula twice", names[i]);
                }
            (*n)++;
        }
        if (!*s)
            return GRAFT_OK;
        s++; /* '+' */
    }
}

/* ---------------------------------------------------------- covariates */

typedef struct cov_row {
    char *area;
    double *x;          /* the covariates, formula order */
    unsigned long line;
    int used;           /* matched by a sample area */
} cov_row_t;

typedef struct cov_read {
    const char *path, *by;
    char **names;
    size_t n_names;
    size_t area_col, *cols;     /* positions in the file */
    cov_row_t *rows;
    size_t n_rows, cap;
} cov_read_t;

static graft_error_t cov_header(void *ctx, const graft_column_t *cols,
                                size_t ncols, graft_diag_t *diag)
{
    cov_read_t *c = ctx;
    c->area_col = (size_t)-1;
    for (size_t i = 0; i < ncols; i++)
        if (strcmp(cols[i].name, c->by) == 0)
            c->area_col = i;
    if (c->area_col == (size_t)-1)
        return graft_diag_set(diag, GRAFT_ERR_COLUMN, c->path, 1, 0,
                              "no column '%s' (the --by column) in the "
                              "covariates", c->by);
    for (size_t j = 0; j < c->n_names; j++) {
        c->cols[j] = (size_t)-1;
        for (size_t i = 0; i < ncols; i++)
            if (strcmp(cols[i].name, c->names[j]) == 0)
                c->cols[j] = i;
        if (c->cols[j] == (size_t)-1)
            return graft_diag_set(diag, GRAFT_ERR_COLUMN, c->path, 1, 0,
                                  "no column '%s' (in the formula) in the "
                                  "covariates", c->names[j]);
    }
    return GRAFT_OK;
}

static const char *cell_text(const graft_cell_t *cell, char *buf, size_t n)
{
    if (cell->str)
        return cell->str;
    if (cell->kind == GRAFT_CELL_NUMBER) {
        snprintf(buf, n, "%.15g", cell->num);
        return buf;
    }
    return "";
}

static graft_error_t cov_row(void *ctx, const graft_cell_t *cells,
                             size_t ncols, unsigned long line,
                             graft_diag_t *diag)
{
    cov_read_t *c = ctx;
    char buf[64];
    (void)ncols;
    const char *area = cell_text(&cells[c->area_col], buf, sizeof buf);
    if (cells[c->area_col].kind == GRAFT_CELL_MISSING || !*area)
        return graft_diag_set(diag, GRAFT_ERR_VALUE, c->path, line,
                              c->area_col + 1, "no area ('%s' is empty)",
                              c->by);
    for (size_t r = 0; r < c->n_rows; r++)
        if (strcmp(c->rows[r].area, area) == 0)
            return graft_diag_set(diag, GRAFT_ERR_VALUE, c->path, line,
                                  c->area_col + 1, "area '%s' again (first "
                                  "on line %lu)", area, c->rows[r].line);
    if (c->n_rows == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        cov_row_t *rows = realloc(c->rows, cap * sizeof *rows);
        if (!rows)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        c->rows = rows;
        c->cap = cap;
    }
    cov_row_t *r = &c->rows[c->n_rows];
    memset(r, 0, sizeof *r);
    r->line = line;
    r->area = strdup(area);
    r->x = calloc(c->n_names ? c->n_names : 1, sizeof *r->x);
    if (!r->area || !r->x) {
        free(r->area);
        free(r->x);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    c->n_rows++;
    for (size_t j = 0; j < c->n_names; j++) {
        const graft_cell_t *x = &cells[c->cols[j]];
        if (x->kind != GRAFT_CELL_NUMBER || !isfinite(x->num))
            return graft_diag_set(diag, GRAFT_ERR_VALUE, c->path, line,
                                  c->cols[j] + 1, "covariate '%s' of area "
                                  "'%s' is not a number ('%s')",
                                  c->names[j], area,
                                  cell_text(x, buf, sizeof buf));
        r->x[j] = x->num;
    }
    return GRAFT_OK;
}

static void cov_free(cov_read_t *c)
{
    for (size_t r = 0; r < c->n_rows; r++) {
        free(c->rows[r].area);
        free(c->rows[r].x);
    }
    free(c->rows);
    free(c->cols);
}

/* ------------------------------------------------------------- result */

void graft_sae_free(graft_sae_t *s)
{
    if (!s)
        return;
    free(s->indicator);
    free(s->by);
    free(s->formula);
    for (size_t j = 0; j < s->n_terms; j++)
        free(s->terms[j]);
    free(s->terms);
    for (size_t d = 0; d < s->n_areas; d++)
        free(s->areas[d].area);
    free(s->areas);
    for (size_t i = 0; i < s->n_warnings; i++)
        free(s->warnings[i]);
    free(s->warnings);
    graft_fh_free(s->fit);
    free(s);
}

/* The sample's areas: the rows of indicator 0 in by-set 0. */
static size_t sample_rows(const graft_estimates_t *est,
                          const graft_estimate_row_t **rows)
{
    size_t n = 0;
    for (size_t i = 0; i < est->n_rows; i++) {
        const graft_estimate_row_t *r = &est->rows[i];
        if (r->indicator == 0 && r->by_set == 0 && r->round == 0) {
            if (rows)
                rows[n] = r;
            n++;
        }
    }
    return n;
}

/* The "All" row of indicator 0. */
static const graft_estimate_row_t *all_row(const graft_estimates_t *est)
{
    for (size_t i = 0; i < est->n_rows; i++)
        if (est->rows[i].indicator == 0 &&
            est->rows[i].by_set == (size_t)-1 && est->rows[i].round == 0)
            return &est->rows[i];
    return NULL;
}

/* The covariates row of sample area R: its label, else its code. */
static cov_row_t *match(cov_read_t *c, const graft_estimate_row_t *r)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *key = pass ? r->by_codes[0] : r->by_values[0];
        for (size_t i = 0; key && i < c->n_rows; i++)
            if (strcmp(c->rows[i].area, key) == 0)
                return &c->rows[i];
    }
    return NULL;
}

/* The error naming the sample areas without covariates. */
static graft_error_t missing_areas(cov_read_t *c,
                                   const graft_estimate_row_t **rows,
                                   size_t n, graft_diag_t *diag)
{
    char list[700] = "";
    size_t k = 0, len = 0;
    for (size_t d = 0; d < n; d++)
        if (!match(c, rows[d])) {
            if (len < sizeof list - 100)
                len += (size_t)snprintf(list + len, sizeof list - len,
                                        "%s'%s'", k ? ", " : "",
                                        rows[d]->by_values[0]);
            else if (len < sizeof list - 4)
                len += (size_t)snprintf(list + len, sizeof list - len, "...");
            k++;
        }
    if (!k)
        return GRAFT_OK;
    return graft_diag_set(diag, GRAFT_ERR_MODEL, c->path, 0, 0,
                          "%zu area%s of the sample %s not in the covariates "
                          "(matched on '%s' by label or code): %s", k,
                          k == 1 ? "" : "s", k == 1 ? "is" : "are", c->by,
                          list);
}

/* Area R's direct variance: 0 when its SE is rounding noise, at most
 * 1e-9 of the estimate (a replicate design whose replicates all give the
 * same estimate up to the last bits), NaN when undefined. */
static double direct_psi(const graft_estimate_row_t *r)
{
    if (!isfinite(r->se) || !isfinite(r->estimate))
        return NAN;
    return r->se <= 1e-9 * fabs(r->estimate) ? 0 : r->se * r->se;
}

/* The variance of area R in the fit.  Smoothed: C V / n (docs/sae.md). */
static double area_psi(const graft_estimate_row_t *r, int smoothed, double c,
                       double v)
{
    if (smoothed)
        return r->n > 0 && isfinite(r->estimate) ? c * v / (double)r->n : NAN;
    return direct_psi(r);
}

/* The smoothed variances' constant c = sum psi_d / sum (v / n_d) over the
 * areas with a positive finite direct variance, and v: p(1 - p) of the
 * overall estimate for a proportion, else 1. */
static void smooth_const(const graft_estimates_t *est,
                         const graft_estimate_row_t **rows, size_t n,
                         double *c, double *v)
{
    const graft_estimate_row_t *all = all_row(est);
    double p = all ? all->estimate : NAN, num = 0, den = 0;
    *v = est->opts->indicators[0].type == GRAFT_IND_PROP ? p * (1 - p) : 1;
    for (size_t d = 0; d < n; d++) {
        double psi = direct_psi(rows[d]);
        if (isfinite(psi) && psi > 0 && rows[d]->n > 0) {
            num += psi;
            den += *v / (double)rows[d]->n;
        }
    }
    *c = num / den;
}

static graft_error_t add_warning(graft_sae_t *s, const char *text)
{
    char **w = realloc(s->warnings, (s->n_warnings + 1) * sizeof *w);
    if (!w)
        return GRAFT_ERR_NOMEM;
    s->warnings = w;
    if (!(w[s->n_warnings] = strdup(text)))
        return GRAFT_ERR_NOMEM;
    s->n_warnings++;
    return GRAFT_OK;
}

/* Fill the per-area table from the fit. */
static void fill_areas(graft_sae_t *s, const graft_estimate_row_t **rows,
                       size_t n_sample, const double *psi, double z)
{
    const graft_fh_t *fh = s->fit;
    for (size_t d = 0; d < s->n_areas; d++) {
        graft_sae_area_t *a = &s->areas[d];
        a->estimate = fh->estimate[d];
        a->mse = fh->mse[d];
        a->rmse = sqrt(fh->mse[d]);
        a->ci_low = a->estimate - z * a->rmse;
        a->ci_high = a->estimate + z * a->rmse;
        a->gamma = fh->gamma[d];
        a->fitted = fh->fitted[d];
        a->synthetic = fh->synthetic[d];
        /* in the fit: psi[d] > 0 (graft_fh_fit) */
        a->resid_std = a->synthetic ? NAN
                                    : (rows[d]->estimate - a->fitted) /
                                          sqrt(fh->sigma2u + psi[d]);
        if (d >= n_sample) {
            a->direct = a->direct_se = a->psi = NAN;
            snprintf(a->flag, sizeof a->flag, "not in the sample");
            continue;
        }
        a->direct = rows[d]->estimate;
        a->direct_se = rows[d]->se;
        a->n = rows[d]->n;
        a->psi = psi[d];
        if (!a->synthetic)
            continue;
        if (!isfinite(a->direct))
            snprintf(a->flag, sizeof a->flag, "no direct estimate");
        else if (isfinite(psi[d]) && psi[d] == 0)
            snprintf(a->flag, sizeof a->flag, "direct variance 0: not in "
                     "the fit");
        else
            snprintf(a->flag, sizeof a->flag, "direct variance undefined: "
                     "not in the fit");
    }
}

/* Y, PSI and X (intercept first) of every area: the sample's, then the
 * covariates' areas the sample lacks. */
static graft_error_t build(graft_sae_t *s, cov_read_t *c,
                           const graft_estimate_row_t **rows, size_t n_sample,
                           double sc, double v, double **y, double **psi,
                           double **x, graft_diag_t *diag)
{
    size_t n = n_sample, p = c->n_names + 1;
    for (size_t i = 0; i < c->n_rows; i++)
        n += !c->rows[i].used;
    s->n_areas = n;
    s->areas = calloc(n ? n : 1, sizeof *s->areas);
    *y = calloc(n ? n : 1, sizeof **y);
    *psi = calloc(n ? n : 1, sizeof **psi);
    *x = calloc((n ? n : 1) * p, sizeof **x);
    if (!s->areas || !*y || !*psi || !*x)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    size_t d = 0;
    for (; d < n_sample; d++) {
        cov_row_t *cr = match(c, rows[d]);
        (*y)[d] = rows[d]->estimate;
        (*psi)[d] = area_psi(rows[d], s->variance == GRAFT_SAE_VAR_SMOOTHED,
                             sc, v);
        (*x)[d * p] = 1;
        memcpy(*x + d * p + 1, cr->x, c->n_names * sizeof(double));
        if (!(s->areas[d].area = strdup(rows[d]->by_values[0])))
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
    }
    for (size_t i = 0; i < c->n_rows; i++) {
        if (c->rows[i].used)
            continue;
        (*y)[d] = (*psi)[d] = NAN;
        (*x)[d * p] = 1;
        memcpy(*x + d * p + 1, c->rows[i].x, c->n_names * sizeof(double));
        if (!(s->areas[d].area = strdup(c->rows[i].area)))
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        d++;
    }
    return GRAFT_OK;
}

static graft_error_t sae_header(graft_sae_t *s, const graft_estimates_t *est,
                                const graft_sae_spec_t *spec, char **names,
                                size_t n_names, graft_diag_t *diag)
{
    const graft_indicator_spec_t *ind = &est->opts->indicators[0];
    s->variance = spec->opts.variance;
    s->proportion = ind->type == GRAFT_IND_PROP;
    s->level = spec->opts.level > 0 ? spec->opts.level : 0.95;
    s->indicator = strdup(graft_indicator_name(ind));
    s->by = strdup(est->opts->by[0].columns[0]);
    s->formula = strdup(spec->formula);
    s->terms = calloc(n_names + 1, sizeof *s->terms);
    if (!s->indicator || !s->by || !s->formula || !s->terms)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    s->terms[0] = strdup("(Intercept)");
    s->n_terms = n_names + 1;
    for (size_t j = 0; j < n_names; j++) {
        s->terms[j + 1] = names[j];
        names[j] = NULL;
    }
    if (!s->terms[0])
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    return GRAFT_OK;
}

/* Read the covariates and match the sample's areas to them. */
static graft_error_t read_covariates(cov_read_t *c,
                                     const graft_sae_spec_t *spec,
                                     const graft_estimate_row_t **rows,
                                     size_t n, graft_diag_t *diag)
{
    graft_error_t rc;
    if (!(c->cols = calloc(c->n_names + 1, sizeof *c->cols)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if ((rc = graft_read(spec->covariates, NULL, cov_header, cov_row, c,
                         diag)) != GRAFT_OK ||
        (rc = missing_areas(c, rows, n, diag)) != GRAFT_OK)
        return rc;
    for (size_t d = 0; d < n; d++)
        match(c, rows[d])->used = 1;
    return GRAFT_OK;
}

static graft_error_t check_estimates(const graft_estimates_t *est,
                                     graft_diag_t *diag)
{
    if (!est->opts || est->opts->n_indicators == 0)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "sae: no indicator");
    if (est->opts->n_by == 0 || est->opts->by[0].n_columns != 1)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "sae: --by must name the one area column");
    return GRAFT_OK;
}

graft_error_t graft_sae_areas(const graft_estimates_t *est,
                              const graft_sae_spec_t *spec,
                              graft_sae_t **out, graft_diag_t *diag)
{
    char *names[SAE_MAX_TERMS];
    size_t n_names = 0, n = 0;
    cov_read_t c;
    const graft_estimate_row_t **rows = NULL;
    double *y = NULL, *psi = NULL, *x = NULL, sc = NAN, v = NAN;
    graft_error_t rc;
    graft_sae_t *s = calloc(1, sizeof *s);
    memset(&c, 0, sizeof c);
    *out = NULL;
    if (!s)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if ((rc = check_estimates(est, diag)) != GRAFT_OK ||
        (rc = parse_formula(spec->formula, &spec->formula_src, names,
                            &n_names, diag)) != GRAFT_OK)
        goto cleanup;
    n = sample_rows(est, NULL);
    if (!(rows = calloc(n ? n : 1, sizeof *rows))) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto cleanup;
    }
    sample_rows(est, rows);
    c.path = spec->covariates;
    c.by = est->opts->by[0].columns[0];
    c.names = names;
    c.n_names = n_names;
    if ((rc = read_covariates(&c, spec, rows, n, diag)) != GRAFT_OK ||
        (rc = sae_header(s, est, spec, names, n_names, diag)) != GRAFT_OK)
        goto cleanup;
    n_names = 0; /* the names are the result's terms now */
    if (s->variance == GRAFT_SAE_VAR_SMOOTHED)
        smooth_const(est, rows, n, &sc, &v);
    s->smooth_c = sc;
    if ((rc = build(s, &c, rows, n, sc, v, &y, &psi, &x, diag)) !=
            GRAFT_OK ||
        (rc = graft_fh_fit(y, psi, x, s->n_areas, c.n_names + 1, &spec->opts,
                           &s->fit, diag)) != GRAFT_OK)
        goto cleanup;
    fill_areas(s, rows, n, psi, gsl_cdf_ugaussian_Pinv(0.5 + s->level / 2));
    if (s->fit->sigma2u == 0 &&
        add_warning(s, "sigma_u^2 is estimated at 0: every estimate is the "
                       "synthetic x'beta, the direct estimates get no "
                       "weight (docs/sae.md)") != GRAFT_OK) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto cleanup;
    }
    *out = s;
    s = NULL;
cleanup:
    for (size_t j = 0; j < n_names; j++)
        free(names[j]);
    cov_free(&c);
    free(rows);
    free(y);
    free(psi);
    free(x);
    graft_sae_free(s);
    return rc;
}
