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

/* ---------------------------------------------------- direct estimates */

static const char *dir_code(const graft_sae_direct_t *dir, size_t d)
{
    return dir->codes ? dir->codes[d] : NULL;
}

/* The covariates row of area D: its label, else its code. */
static cov_row_t *match(cov_read_t *c, const graft_sae_direct_t *dir,
                        size_t d)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *key = pass ? dir_code(dir, d) : dir->labels[d];
        for (size_t i = 0; key && i < c->n_rows; i++)
            if (strcmp(c->rows[i].area, key) == 0)
                return &c->rows[i];
    }
    return NULL;
}

/* The error naming the sample areas without covariates. */
static graft_error_t missing_areas(cov_read_t *c,
                                   const graft_sae_direct_t *dir,
                                   graft_diag_t *diag)
{
    char list[700] = "";
    size_t k = 0, len = 0;
    for (size_t d = 0; d < dir->n_areas; d++)
        if (!match(c, dir, d)) {
            if (len < sizeof list - 100)
                len += (size_t)snprintf(list + len, sizeof list - len,
                                        "%s'%s'", k ? ", " : "",
                                        dir->labels[d]);
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

/* Area D's direct variance: 0 when its SE is rounding noise, at most
 * 1e-9 of the estimate (a replicate design whose replicates all give the
 * same estimate up to the last bits), NaN when undefined. */
static double direct_psi(const graft_sae_direct_t *dir, size_t d)
{
    double y = dir->direct[d], se = dir->se[d];
    if (!isfinite(se) || !isfinite(y) || se < 0)
        return NAN;
    return se <= 1e-9 * fabs(y) ? 0 : se * se;
}

static size_t dir_n(const graft_sae_direct_t *dir, size_t d)
{
    return dir->n ? dir->n[d] : 0;
}

/* The variance of area D in the fit.  Smoothed: C / n_d (docs/sae.md). */
static double area_psi(const graft_sae_direct_t *dir, size_t d, int smoothed,
                       double c)
{
    if (smoothed)
        return dir_n(dir, d) > 0 && isfinite(dir->direct[d])
                   ? c / (double)dir_n(dir, d)
                   : NAN;
    return direct_psi(dir, d);
}

/* The smoothed variances' constant: psi_d = c v / n_d with
 * c = sum psi_d / sum (v / n_d) over the areas with a positive finite
 * direct variance is C / n_d with C = c v = sum psi_d / sum (1 / n_d),
 * whatever v (p(1 - p) of the overall proportion, or 1). */
static double smooth_const(const graft_sae_direct_t *dir)
{
    double num = 0, den = 0;
    for (size_t d = 0; d < dir->n_areas; d++) {
        double psi = direct_psi(dir, d);
        if (isfinite(psi) && psi > 0 && dir_n(dir, d) > 0) {
            num += psi;
            den += 1.0 / (double)dir_n(dir, d);
        }
    }
    return num / den;
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
static void fill_areas(graft_sae_t *s, const graft_sae_direct_t *dir,
                       const double *psi, double z)
{
    const graft_fh_t *fh = s->fit;
    size_t n_sample = dir->n_areas;
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
                                    : (dir->direct[d] - a->fitted) /
                                          sqrt(fh->sigma2u + psi[d]);
        /* a linear model on a proportion can leave [0, 1]: nothing to
         * publish, whatever else the row says */
        int outside = dir->proportion &&
                      (a->estimate < 0 || a->estimate > 1);
        if (d >= n_sample) {
            a->direct = a->direct_se = a->psi = NAN;
            snprintf(a->flag, sizeof a->flag, "%s",
                     outside ? "estimate outside [0, 1]: not in the sample"
                             : "not in the sample");
            continue;
        }
        a->direct = dir->direct[d];
        a->direct_se = dir->se[d];
        a->n = dir_n(dir, d);
        a->psi = psi[d];
        if (outside) {
            snprintf(a->flag, sizeof a->flag, "estimate outside [0, 1]");
            continue;
        }
        if (!a->synthetic) {
            /* the MSE's g2 and g3 can outweigh what shrinking gains: the
             * model then buys nothing over the direct estimate */
            if (a->rmse > a->direct_se)
                snprintf(a->flag, sizeof a->flag,
                         "rmse above the direct se: no gain");
            continue;
        }
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
                           const graft_sae_direct_t *dir, double sc,
                           double **y, double **psi, double **x,
                           graft_diag_t *diag)
{
    size_t n = dir->n_areas, p = c->n_names + 1;
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
    for (; d < dir->n_areas; d++) {
        cov_row_t *cr = match(c, dir, d);
        (*y)[d] = dir->direct[d];
        (*psi)[d] = area_psi(dir, d, s->variance == GRAFT_SAE_VAR_SMOOTHED,
                             sc);
        (*x)[d * p] = 1;
        memcpy(*x + d * p + 1, cr->x, c->n_names * sizeof(double));
        if (!(s->areas[d].area = strdup(dir->labels[d])))
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

static graft_error_t sae_header(graft_sae_t *s, const graft_sae_direct_t *dir,
                                const graft_sae_spec_t *spec, char **names,
                                size_t n_names, graft_diag_t *diag)
{
    s->variance = spec->opts.variance;
    s->proportion = dir->proportion;
    s->level = spec->opts.level > 0 ? spec->opts.level : 0.95;
    s->indicator = strdup(dir->indicator ? dir->indicator : "direct");
    s->by = strdup(dir->by);
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
                                     const graft_sae_direct_t *dir,
                                     graft_diag_t *diag)
{
    graft_error_t rc;
    if (!(c->cols = calloc(c->n_names + 1, sizeof *c->cols)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if ((rc = graft_read(spec->covariates, NULL, cov_header, cov_row, c,
                         diag)) != GRAFT_OK ||
        (rc = missing_areas(c, dir, diag)) != GRAFT_OK)
        return rc;
    for (size_t d = 0; d < dir->n_areas; d++)
        match(c, dir, d)->used = 1;
    return GRAFT_OK;
}

graft_error_t graft_sae_fit_direct(const graft_sae_direct_t *dir,
                                   const graft_sae_spec_t *spec,
                                   graft_sae_t **out, graft_diag_t *diag)
{
    char *names[SAE_MAX_TERMS];
    size_t n_names = 0;
    cov_read_t c;
    double *y = NULL, *psi = NULL, *x = NULL, sc = NAN;
    graft_error_t rc;
    graft_sae_t *s = calloc(1, sizeof *s);
    memset(&c, 0, sizeof c);
    *out = NULL;
    if (!s)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if (spec->opts.variance == GRAFT_SAE_VAR_SMOOTHED && !dir->n) {
        rc = graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                            "smoothed variances need each area's n (an n "
                            "column with the direct estimates)");
        goto cleanup;
    }
    if ((rc = parse_formula(spec->formula, &spec->formula_src, names,
                            &n_names, diag)) != GRAFT_OK)
        goto cleanup;
    c.path = spec->covariates;
    c.by = dir->by;
    c.names = names;
    c.n_names = n_names;
    if ((rc = read_covariates(&c, spec, dir, diag)) != GRAFT_OK ||
        (rc = sae_header(s, dir, spec, names, n_names, diag)) != GRAFT_OK)
        goto cleanup;
    n_names = 0; /* the names are the result's terms now */
    if (s->variance == GRAFT_SAE_VAR_SMOOTHED)
        sc = smooth_const(dir);
    s->smooth_c = sc;
    if ((rc = build(s, &c, dir, sc, &y, &psi, &x, diag)) != GRAFT_OK ||
        (rc = graft_fh_fit(y, psi, x, s->n_areas, c.n_names + 1, &spec->opts,
                           &s->fit, diag)) != GRAFT_OK)
        goto cleanup;
    fill_areas(s, dir, psi, gsl_cdf_ugaussian_Pinv(0.5 + s->level / 2));
    if (s->fit->n_fit < GRAFT_SAE_FEW_AREAS) {
        char text[200];
        snprintf(text, sizeof text,
                 "only %zu areas in the fit: sigma_u^2 and the MSE are "
                 "imprecise with fewer than about %d (docs/sae.md)",
                 s->fit->n_fit, GRAFT_SAE_FEW_AREAS);
        if (add_warning(s, text) != GRAFT_OK) {
            rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                "out of memory");
            goto cleanup;
        }
    }
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
    free(y);
    free(psi);
    free(x);
    graft_sae_free(s);
    return rc;
}

/* ------------------------------------------------- from graft's estimates */

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
    graft_error_t rc = check_estimates(est, diag);
    *out = NULL;
    if (rc != GRAFT_OK)
        return rc;
    size_t n = 0, k = 0;
    for (size_t i = 0; i < est->n_rows; i++) /* indicator 0, by-set 0 */
        n += est->rows[i].indicator == 0 && est->rows[i].by_set == 0 &&
             est->rows[i].round == 0;
    const char **labels = calloc(n ? n : 1, sizeof *labels);
    const char **codes = calloc(n ? n : 1, sizeof *codes);
    double *y = calloc(n ? n : 1, sizeof *y);
    double *se = calloc(n ? n : 1, sizeof *se);
    size_t *nn = calloc(n ? n : 1, sizeof *nn);
    if (!labels || !codes || !y || !se || !nn) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < est->n_rows; i++) {
        const graft_estimate_row_t *r = &est->rows[i];
        if (r->indicator != 0 || r->by_set != 0 || r->round != 0)
            continue;
        labels[k] = r->by_values[0];
        codes[k] = r->by_codes ? r->by_codes[0] : NULL;
        y[k] = r->estimate;
        se[k] = r->se;
        nn[k++] = r->n;
    }
    const graft_indicator_spec_t *ind = &est->opts->indicators[0];
    graft_sae_direct_t dir = {graft_indicator_name(ind),
                              est->opts->by[0].columns[0],
                              ind->type == GRAFT_IND_PROP, n,
                              labels, codes, y, se, nn};
    rc = graft_sae_fit_direct(&dir, spec, out, diag);
cleanup:
    free(labels);
    free(codes);
    free(y);
    free(se);
    free(nn);
    return rc;
}

/* ------------------------------------------------- a direct-estimates file */

typedef struct dir_read {
    const char *path, *by;
    size_t col[4];      /* by, direct, direct_se, n (CHART-like: -1 absent) */
    graft_sae_direct_file_t *f;
    size_t cap;
} dir_read_t;

static graft_error_t dir_header(void *ctx, const graft_column_t *cols,
                                size_t ncols, graft_diag_t *diag)
{
    dir_read_t *r = ctx;
    const char *need[] = {r->by, "direct", "direct_se", "n"};
    for (size_t k = 0; k < 4; k++) {
        r->col[k] = (size_t)-1;
        for (size_t i = 0; i < ncols; i++)
            if (strcmp(cols[i].name, need[k]) == 0)
                r->col[k] = i;
        if (k < 3 && r->col[k] == (size_t)-1)
            return graft_diag_set(diag, GRAFT_ERR_COLUMN, r->path, 1, 0,
                                  "no column '%s' in the direct estimates "
                                  "(the area column, direct and direct_se: "
                                  "graft sae's own columns)", need[k]);
    }
    return GRAFT_OK;
}

/* Cell C as a number: NaN when empty, an error when text. */
static graft_error_t dir_num(const dir_read_t *r, const graft_cell_t *c,
                             const char *name, unsigned long line,
                             size_t col, double *out, graft_diag_t *diag)
{
    *out = NAN;
    if (c->kind == GRAFT_CELL_NUMBER)
        *out = c->num;
    else if (c->kind == GRAFT_CELL_STRING && c->len)
        return graft_diag_set(diag, GRAFT_ERR_VALUE, r->path, line, col + 1,
                              "%s '%s' is not a number", name, c->str);
    return GRAFT_OK;
}

static graft_error_t dir_row(void *ctx, const graft_cell_t *cells,
                             size_t ncols, unsigned long line,
                             graft_diag_t *diag)
{
    dir_read_t *r = ctx;
    graft_sae_direct_file_t *f = r->f;
    char buf[64];
    (void)ncols;
    if (f->dir.n_areas == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        char **l = realloc(f->labels, cap * sizeof *l);
        if (l)
            f->labels = l;
        double *y = l ? realloc(f->direct, cap * sizeof *y) : NULL;
        if (y)
            f->direct = y;
        double *se = y ? realloc(f->se, cap * sizeof *se) : NULL;
        if (se)
            f->se = se;
        size_t *n = se ? realloc(f->n, cap * sizeof *n) : NULL;
        if (!n)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        f->n = n;
        r->cap = cap;
    }
    size_t d = f->dir.n_areas;
    const char *area = cell_text(&cells[r->col[0]], buf, sizeof buf);
    if (!*area)
        return graft_diag_set(diag, GRAFT_ERR_VALUE, r->path, line,
                              r->col[0] + 1, "no area ('%s' is empty)",
                              r->by);
    for (size_t i = 0; i < d; i++)
        if (strcmp(f->labels[i], area) == 0)
            return graft_diag_set(diag, GRAFT_ERR_VALUE, r->path, line,
                                  r->col[0] + 1, "area '%s' again", area);
    double n = NAN;
    graft_error_t rc;
    if ((rc = dir_num(r, &cells[r->col[1]], "direct", line, r->col[1],
                      &f->direct[d], diag)) != GRAFT_OK ||
        (rc = dir_num(r, &cells[r->col[2]], "direct_se", line, r->col[2],
                      &f->se[d], diag)) != GRAFT_OK ||
        (r->col[3] != (size_t)-1 &&
         (rc = dir_num(r, &cells[r->col[3]], "n", line, r->col[3], &n,
                       diag)) != GRAFT_OK))
        return rc;
    if (r->col[3] != (size_t)-1 && !(n >= 0 && n == floor(n) && n < 1e15))
        return graft_diag_set(diag, GRAFT_ERR_VALUE, r->path, line,
                              r->col[3] + 1, "n of area '%s' must be a "
                              "count", area);
    f->n[d] = r->col[3] != (size_t)-1 ? (size_t)n : 0;
    if (!(f->labels[d] = strdup(area)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    f->dir.n_areas++;
    return GRAFT_OK;
}

void graft_sae_direct_file_free(graft_sae_direct_file_t *f)
{
    if (!f)
        return;
    for (size_t d = 0; d < f->dir.n_areas; d++)
        free(f->labels[d]);
    free(f->labels);
    free(f->direct);
    free(f->se);
    free(f->n);
    free(f->by);
    free(f);
}

graft_error_t graft_sae_direct_load(const char *path, const char *by,
                                    graft_sae_direct_file_t **out,
                                    graft_diag_t *diag)
{
    dir_read_t r;
    memset(&r, 0, sizeof r);
    *out = NULL;
    r.path = path;
    r.by = by;
    if (!(r.f = calloc(1, sizeof *r.f)) || !(r.f->by = strdup(by))) {
        graft_sae_direct_file_free(r.f);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    graft_error_t rc = graft_read(path, NULL, dir_header, dir_row, &r, diag);
    if (rc == GRAFT_OK && r.f->dir.n_areas == 0)
        rc = graft_diag_set(diag, GRAFT_ERR_NO_ROWS, path, 0, 0,
                            "no area in the direct estimates");
    if (rc != GRAFT_OK) {
        graft_sae_direct_file_free(r.f);
        return rc;
    }
    graft_sae_direct_t *d = &r.f->dir;
    d->by = r.f->by;
    d->labels = (const char *const *)r.f->labels;
    d->direct = r.f->direct;
    d->se = r.f->se;
    d->n = r.col[3] != (size_t)-1 ? r.f->n : NULL;
    *out = r.f;
    return GRAFT_OK;
}
