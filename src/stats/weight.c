/*
 * weight.c - `graft weight` (graft/weight.h): read the design weight, the
 * margin cells and the replicate weights of every row into memory (one
 * pass, only those columns), calibrate (graft/calibrate.h) and/or trim,
 * summarize; write_weight.c then writes the data again with the new
 * columns, and the survey file.
 */
#include "graft/weight.h"
#include "stats/weight_internal.h"
#include "base/grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static graft_error_t nomem(graft_diag_t *diag, const char *file)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, file, 0, 0, "out of memory");
}

/* ---- statistics ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

graft_error_t graft_weight_stats(size_t n, const double *w,
                                 graft_weight_stats_t *out,
                                 graft_diag_t *diag)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (!n)
        return GRAFT_OK;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return nomem(diag, NULL);
    memcpy(s, w, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < n; i++) {
        sum += s[i];
        sum2 += s[i] * s[i];
    }
    out->sum = sum;
    out->min = s[0];
    out->max = s[n - 1];
    out->median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    out->mean = sum / (double)n;
    /* Kish (1965): deff_w = n sum w^2 / (sum w)^2 = 1 + CV^2, CV with the
     * population sd; n_eff = (sum w)^2 / sum w^2 */
    out->deff = sum > 0 ? (double)n * sum2 / (sum * sum) : NAN;
    out->cv = sum > 0 ? sqrt(fmax(out->deff - 1, 0)) : NAN;
    out->kish_n = sum2 > 0 ? sum * sum / sum2 : NAN;
    free(s);
    return GRAFT_OK;
}

/* ---- the new columns' names -------------------------------------------------- */

/* NAME, NAME_untrimmed (trimming after calibration), REP_cal each. */
static graft_error_t new_names(graft_wjob_t *j, graft_diag_t *diag)
{
    const char *base = j->name;
    char def[1100];
    if (!base) {
        snprintf(def, sizeof def, "%s_cal", j->spec->weight);
        base = def;
    }
    int untrimmed = j->opts->calibrate && j->opts->trim;
    size_t len = strlen(base) + 1 + (untrimmed ? strlen(base) + 11 : 0);
    for (size_t r = 0; r < j->n_rep; r++)
        len += strlen(graft_design_rep_name(j->design, r)) + 5;
    j->n_new = 1 + (size_t)untrimmed + j->n_rep;
    if (!(j->names = malloc(len)) ||
        !(j->new_cols = malloc(j->n_new * sizeof *j->new_cols)))
        return nomem(diag, j->data);
    char *p = j->names;
    size_t k = 0;
    j->new_cols[k++] = p;
    p += sprintf(p, "%s", base) + 1;
    if (untrimmed) {
        j->new_cols[k++] = p;
        p += sprintf(p, "%s_untrimmed", base) + 1;
    }
    for (size_t r = 0; r < j->n_rep; r++) {
        j->new_cols[k++] = p;
        p += sprintf(p, "%s_cal", graft_design_rep_name(j->design, r)) + 1;
    }
    return GRAFT_OK;
}

graft_error_t graft_wjob_check_names(const graft_wjob_t *j,
                                     const graft_column_t *cols, size_t ncols,
                                     graft_diag_t *diag)
{
    for (size_t k = 0; k < j->n_new; k++)
        for (size_t c = 0; c < ncols; c++)
            if (strcmp(cols[c].name, j->new_cols[k]) == 0)
                return graft_diag_set(
                    diag, GRAFT_ERR_USAGE, j->data, 1, c + 1,
                    "the data already has a column '%s'; choose another "
                    "--name",
                    j->new_cols[k]);
    return GRAFT_OK;
}

/* ---- pass 1: the rows into memory -------------------------------------------- */

static int uses(void *arg, const char *name)
{
    const graft_wjob_t *j = arg;
    if (graft_design_spec_uses(j->spec, name))
        return 1;
    for (size_t m = 0; m < j->n_margins; m++)
        for (size_t v = 0; v < graft_margins_n_vars(j->margins[m]); v++)
            if (strcmp(graft_margins_var(j->margins[m], v), name) == 0)
                return 1;
    return 0;
}

/* ---- derived variables in margins ------------------------------------------ */

/* Does a margin use a derived variable?  Then parse them all. */
static graft_error_t derived_parse(graft_wjob_t *j, graft_diag_t *diag)
{
    int used = 0;
    for (size_t m = 0; m < j->n_margins; m++)
        for (size_t v = 0; v < graft_margins_n_vars(j->margins[m]); v++)
            for (size_t d = 0; d < j->n_derived; d++)
                used |= strcmp(graft_margins_var(j->margins[m], v),
                               j->derived[d].name) == 0;
    if (!used)
        return GRAFT_OK;
    if (!(j->dexpr = calloc(j->n_derived, sizeof *j->dexpr)))
        return nomem(diag, j->data);
    for (size_t d = 0; d < j->n_derived; d++) {
        const graft_derived_spec_t *s = &j->derived[d];
        graft_error_t rc = graft_expr_parse(s->expr, s->src.file, s->src.line,
                                            s->src.col, &j->dexpr[d], diag);
        if (rc != GRAFT_OK)
            return rc == GRAFT_ERR_USAGE ? (diag->code = GRAFT_ERR_SURVEY_FILE)
                                         : rc;
    }
    return GRAFT_OK;
}

/* The file's columns then the derived variables, each bound to the
 * columns before it (as estimate binds them). */
static graft_error_t derived_bind(graft_wjob_t *j, const graft_column_t *cols,
                                  size_t ncols, graft_diag_t *diag)
{
    size_t n = ncols + j->n_derived;
    graft_error_t rc = GRAFT_OK;
    if (!(j->xcols = calloc(n, sizeof *j->xcols)) ||
        !(j->xrow = calloc(n, sizeof *j->xrow)))
        return nomem(diag, j->data);
    memcpy(j->xcols, cols, ncols * sizeof *cols);
    j->ncols = ncols;
    for (size_t d = 0; rc == GRAFT_OK && d < j->n_derived; d++) {
        j->xcols[ncols + d].name = j->derived[d].name;
        rc = graft_expr_bind(j->dexpr[d], j->xcols, ncols + d, diag);
    }
    return rc;
}

/* ROW's cells, then its derived variables. */
static const graft_cell_t *derived_row(graft_wjob_t *j,
                                       const graft_cell_t *cells)
{
    memcpy(j->xrow, cells, j->ncols * sizeof *cells);
    for (size_t d = 0; d < j->n_derived; d++)
        j->xrow[j->ncols + d] = graft_expr_eval(j->dexpr[d], j->xrow);
    return j->xrow;
}

static graft_error_t read_header(void *ctx, const graft_column_t *cols,
                                 size_t ncols, graft_diag_t *diag)
{
    graft_wjob_t *j = ctx;
    graft_error_t rc = graft_design_bind(j->design, j->data, cols, ncols,
                                         diag);
    if (rc == GRAFT_OK && j->dexpr &&
        (rc = derived_bind(j, cols, ncols, diag)) == GRAFT_OK) {
        cols = j->xcols;
        ncols += j->n_derived;
    }
    for (size_t m = 0; rc == GRAFT_OK && m < j->n_margins; m++)
        rc = graft_margins_bind(j->margins[m], j->data, cols, ncols, diag);
    if (rc != GRAFT_OK)
        return rc;
    j->n_rep = graft_design_n_rep(j->design);
    if ((rc = new_names(j, diag)) != GRAFT_OK)
        return rc;
    return graft_wjob_check_names(j, cols, ncols, diag);
}

/* Room for row N in every per-row array. */
static graft_error_t grow_rows(graft_wjob_t *j, graft_diag_t *diag)
{
    size_t need = j->n + 1, cap;
    if (need <= j->cap)
        return GRAFT_OK;
    size_t new_cap = graft_grow_cap(j->cap, need, sizeof(double) *
                                                      (j->n_rep ? j->n_rep : 1));
    if (!new_cap)
        return nomem(diag, j->data);
    cap = j->cap;
    double *w = graft_grow(j->w, &cap, new_cap, sizeof *w);
    if (!w)
        return nomem(diag, j->data);
    j->w = w;
    for (size_t m = 0; m < j->n_margins; m++) {
        cap = j->cap;
        uint32_t *c = graft_grow(j->cells[m], &cap, new_cap, sizeof *c);
        if (!c)
            return nomem(diag, j->data);
        j->cells[m] = c;
    }
    if (j->n_rep) {
        cap = j->cap;
        double *r = graft_grow(j->repw, &cap, new_cap,
                               j->n_rep * sizeof *r);
        if (!r)
            return nomem(diag, j->data);
        j->repw = r;
    }
    j->cap = new_cap;
    return GRAFT_OK;
}

static graft_error_t read_row(void *ctx, const graft_cell_t *cells,
                              size_t ncols, unsigned long line,
                              graft_diag_t *diag)
{
    graft_wjob_t *j = ctx;
    graft_design_obs_t obs;
    graft_error_t rc;
    (void)ncols;
    if ((rc = graft_design_row(j->design, cells, line, &obs, diag)) !=
            GRAFT_OK ||
        (rc = grow_rows(j, diag)) != GRAFT_OK)
        return rc;
    const graft_cell_t *x = j->dexpr ? derived_row(j, cells) : cells;
    for (size_t m = 0; m < j->n_margins; m++)
        if ((rc = graft_margins_cell(j->margins[m], x, line,
                                     &j->cells[m][j->n], diag)) != GRAFT_OK)
            return rc;
    j->w[j->n] = obs.weight;
    if (j->n_rep)
        memcpy(j->repw + j->n * j->n_rep, obs.repw,
               j->n_rep * sizeof *j->repw);
    j->n++;
    return GRAFT_OK;
}

graft_error_t graft_wjob_read(graft_wjob_t *j, graft_diag_t *diag)
{
    graft_read_opts_t read = *j->read;
    graft_error_t rc;
    read.uses = uses;
    read.uses_arg = j;
    read.bare_values = 0;
    if ((rc = derived_parse(j, diag)) != GRAFT_OK)
        return rc;
    if (j->dexpr)
        read.uses = NULL; /* the derived variables' columns */
    if (!(j->cells = calloc(j->n_margins ? j->n_margins : 1,
                            sizeof *j->cells)) ||
        !(j->design = graft_design_alloc(j->spec)))
        return nomem(diag, j->data);
    if ((rc = graft_read(j->data, &read, read_header, read_row, j, diag)) !=
            GRAFT_OK ||
        (rc = graft_design_finish(j->design, diag)) != GRAFT_OK)
        return rc;
    for (size_t m = 0; m < j->n_margins; m++)
        if ((rc = graft_margins_check_rows(j->margins[m], diag)) != GRAFT_OK)
            return rc;
    return graft_margins_check_sums(j->margins, j->n_margins, diag);
}

void graft_wjob_free(graft_wjob_t *j)
{
    for (size_t m = 0; j->cells && m < j->n_margins; m++)
        free(j->cells[m]);
    free(j->cells);
    for (size_t d = 0; j->dexpr && d < j->n_derived; d++)
        graft_expr_free(j->dexpr[d]);
    free(j->dexpr);
    free(j->xcols);
    free(j->xrow);
    free(j->w);
    free(j->names);
    free(j->new_cols);
    free(j->w_cal);
    free(j->w_final);
    free(j->repw);
    free(j->repw_cal);
    graft_design_free(j->design);
}

/* ---- calibrating and trimming ---------------------------------------------------- */

/* Calibrate the design weights to the job's margins into w_cal. */
static graft_error_t calibrate_one(graft_wjob_t *j, graft_diag_t *diag)
{
    graft_margin_t view[GRAFT_WEIGHT_MAX_MARGINS];
    for (size_t m = 0; m < j->n_margins; m++)
        view[m] = *graft_margins_margin(j->margins[m]);
    return graft_calibrate(j->n, j->w, j->n_margins, view,
                           (const uint32_t *const *)j->cells, &j->opts->cal,
                           j->w_cal, &j->cal, diag);
}

/* The full sample and every replicate column calibrated to the same
 * totals with the same method (R's calibrate(), rake() and postStratify()
 * on an svyrep.design: graft_calibrate_replicates). */
static graft_error_t calibrate_all(graft_wjob_t *j, graft_diag_t *diag)
{
    graft_margin_t view[GRAFT_WEIGHT_MAX_MARGINS];
    size_t n = j->n, R = j->n_rep;
    for (size_t m = 0; m < j->n_margins; m++)
        view[m] = *graft_margins_margin(j->margins[m]);
    double *cols = malloc((n ? n : 1) * R * 2 * sizeof *cols);
    const double **in = malloc(R * sizeof *in);
    double **out = malloc(R * sizeof *out);
    graft_error_t rc = GRAFT_OK;
    if (!cols || !in || !out ||
        !(j->repw_cal = malloc((n ? n : 1) * R * sizeof *j->repw_cal)))
        rc = nomem(diag, j->data);
    for (size_t r = 0; rc == GRAFT_OK && r < R; r++) {
        double *c = cols + r * n;
        for (size_t i = 0; i < n; i++)
            c[i] = j->repw[i * R + r];
        in[r] = c;
        out[r] = cols + (R + r) * n;
    }
    if (rc == GRAFT_OK)
        rc = graft_calibrate_replicates(
            n, j->w, R, in, j->n_margins, view,
            (const uint32_t *const *)j->cells, &j->opts->cal, j->w_cal, out,
            &j->cal, diag);
    for (size_t r = 0; rc == GRAFT_OK && r < R; r++)
        for (size_t i = 0; i < n; i++)
            j->repw_cal[i * R + r] = out[r][i];
    free(cols);
    free(in);
    free(out);
    return rc;
}

/* Each replicate column trimmed to the same bounds on its own (the intent
 * of R's trimWeights.svyrep.design, whose survey 4.1-1 code leaves the
 * weights as they were), in REPW_CAL (the replicates as calibrated, or as
 * read). */
static graft_error_t trim_replicates(graft_wjob_t *j, graft_diag_t *diag)
{
    size_t n = j->n, R = j->n_rep;
    if (!j->repw_cal) {
        if (!(j->repw_cal = malloc(n * R * sizeof *j->repw_cal)))
            return nomem(diag, j->data);
        memcpy(j->repw_cal, j->repw, n * R * sizeof *j->repw);
    }
    double *col = malloc((n ? n : 1) * sizeof *col);
    if (!col)
        return nomem(diag, j->data);
    for (size_t r = 0; r < R; r++) {
        for (size_t i = 0; i < n; i++)
            col[i] = j->repw_cal[i * R + r];
        graft_trim_weights(n, col, j->opts->trim_lower, j->opts->trim_upper,
                           j->opts->trim_strict);
        for (size_t i = 0; i < n; i++)
            j->repw_cal[i * R + r] = col[i];
    }
    free(col);
    return GRAFT_OK;
}

/* Rows whose final g = w_final / w is outside the calibration bounds. */
static size_t count_outside(const graft_wjob_t *j)
{
    const graft_cal_opts_t *c = &j->opts->cal;
    size_t k = 0;
    if (!j->opts->calibrate || (!isfinite(c->lower) && !isfinite(c->upper)))
        return 0;
    for (size_t i = 0; i < j->n; i++) {
        if (j->w[i] <= 0)
            continue;
        double g = j->w_final[i] / j->w[i];
        /* a g at its bound by rounding is not outside it */
        if (g < c->lower * (1 - 1e-12) || g > c->upper * (1 + 1e-12))
            k++;
    }
    return k;
}

graft_error_t graft_wjob_weigh(graft_wjob_t *j, graft_diag_t *diag)
{
    size_t n = j->n;
    graft_error_t rc;
    if (!(j->w_cal = malloc(n * sizeof *j->w_cal)) ||
        !(j->w_final = malloc(n * sizeof *j->w_final)))
        return nomem(diag, j->data);
    memcpy(j->w_cal, j->w, n * sizeof *j->w);
    if (j->opts->calibrate &&
        (rc = j->n_rep ? calibrate_all(j, diag) : calibrate_one(j, diag)) !=
            GRAFT_OK)
        return rc;
    memcpy(j->w_final, j->w_cal, n * sizeof *j->w);
    if (j->opts->trim) {
        j->n_trimmed = graft_trim_weights(n, j->w_final, j->opts->trim_lower,
                                          j->opts->trim_upper,
                                          j->opts->trim_strict);
        if (j->n_rep && (rc = trim_replicates(j, diag)) != GRAFT_OK)
            return rc;
    }
    j->n_outside = count_outside(j);
    return GRAFT_OK;
}
