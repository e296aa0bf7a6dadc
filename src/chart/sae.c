/*
 * chart/sae.c - the charts of a `graft sae` table (docs/sae.md).
 *
 * GRAFT_CHART_SAE: per area, the direct estimate with its design-based
 * interval (direct -/+ z direct_se, grey, hollow) above the model-based
 * estimate with its interval (EBLUP -/+ z rmse, blue; synthetic areas in
 * vermillion), areas ordered by sample size with the largest on top, so
 * that the shrinkage of the small areas towards the model is visible.
 *
 * GRAFT_CHART_SAE_RESID: the model's residual diagnostics in two panels:
 * the standardized residuals (y_d - x_d'beta) / sqrt(sigma_u^2 + psi_d)
 * against the fitted x_d'beta, with lines at 0 and -/+2; and a normal
 * Q-Q plot of the estimated area effects u_d = EBLUP_d - x_d'beta (R's
 * qqnorm: ppoints' (i - a) / (m + 1 - 2a), a = 3/8 up to 10 areas, else
 * 1/2), with the line of their mean and standard deviation.  Only the
 * areas in the fit are drawn.
 */
#include "chart/chart_internal.h"
#include "base/str.h"
#include "graft/reader.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { C_DIRECT, C_DIRECT_SE, C_N, C_EST, C_LO, C_HI, C_SYNTH, C_FITTED,
       C_RESID, N_COLS };
static const char *const col_names[N_COLS] = {
    "direct", "direct_se", "n", "estimate", "ci_low", "ci_high", "synthetic",
    "fitted", "resid_std"};

typedef struct sae_row {
    char *label;                /* cleaned */
    double x[N_COLS];
    size_t order;               /* file order */
    double y;                   /* drawn at */
} sae_row_t;

typedef struct sae_read {
    const graft_chart_spec_t *spec;
    size_t col[N_COLS];
    char *area_name;            /* the first column's name */
    sae_row_t *rows;
    size_t n, cap;
} sae_read_t;

static graft_error_t sae_header(void *ctx, const graft_column_t *cols,
                                size_t n, graft_diag_t *diag)
{
    sae_read_t *r = ctx;
    for (size_t k = 0; k < N_COLS; k++) {
        r->col[k] = CHART_NONE;
        for (size_t i = 1; i < n; i++)
            if (strcmp(cols[i].name, col_names[k]) == 0)
                r->col[k] = i;
        if (r->col[k] == CHART_NONE)
            return graft_diag_set(diag, GRAFT_ERR_COLUMN, r->spec->input, 1,
                                  0, "an sae chart needs column '%s': draw "
                                  "the CSV of `graft sae`", col_names[k]);
    }
    if (!(r->area_name = graft_strdup(cols[0].name)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    return GRAFT_OK;
}

static graft_error_t sae_row(void *ctx, const graft_cell_t *cells,
                             size_t ncols, unsigned long line,
                             graft_diag_t *diag)
{
    sae_read_t *r = ctx;
    (void)ncols;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        sae_row_t *rows = realloc(r->rows, cap * sizeof *rows);
        if (!rows)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        r->rows = rows;
        r->cap = cap;
    }
    sae_row_t *row = &r->rows[r->n];
    memset(row, 0, sizeof *row);
    for (size_t k = 0; k < N_COLS; k++) {
        const graft_cell_t *c = &cells[r->col[k]];
        if (c->kind == GRAFT_CELL_STRING)
            return graft_diag_set(diag, GRAFT_ERR_VALUE, r->spec->input,
                                  line, r->col[k] + 1, "'%s' is not a "
                                  "number", c->str);
        row->x[k] = c->kind == GRAFT_CELL_NUMBER ? c->num : NAN;
    }
    row->order = r->n;
    if (!(row->label = graft_chart_clean(cells[0].str ? cells[0].str : "")))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    r->n++;
    return GRAFT_OK;
}

static void sae_read_free(sae_read_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->rows[i].label);
    free(r->rows);
    free(r->area_name);
}

static graft_error_t sae_load(const graft_chart_spec_t *spec, sae_read_t *r,
                              graft_diag_t *diag)
{
    memset(r, 0, sizeof *r);
    r->spec = spec;
    graft_error_t rc = graft_read(spec->input, NULL, sae_header, sae_row, r,
                                  diag);
    if (rc == GRAFT_OK && r->n == 0)
        rc = graft_diag_set(diag, GRAFT_ERR_NO_ROWS, spec->input, 0, 0,
                            "no area to draw");
    if (rc != GRAFT_OK)
        sae_read_free(r);
    return rc;
}

/* Percent when asked, or (auto) when every estimate is in [0, 1]. */
static int sae_percent(const graft_chart_spec_t *spec, const sae_read_t *r)
{
    if (spec->scale != GRAFT_CHART_SCALE_AUTO)
        return spec->scale == GRAFT_CHART_SCALE_PERCENT;
    for (size_t i = 0; i < r->n; i++) {
        double v[] = {r->rows[i].x[C_DIRECT], r->rows[i].x[C_EST]};
        for (size_t k = 0; k < 2; k++)
            if (isfinite(v[k]) && (v[k] < 0 || v[k] > 1))
                return 0;
    }
    return 1;
}

static double z_of(const graft_chart_spec_t *spec)
{
    double level = spec->level > 0 ? spec->level : 0.95;
    return gsl_cdf_ugaussian_Pinv(0.5 + level / 2);
}

/* ---- direct against EBLUP -------------------------------------------- */

/* Largest n on top, the areas not in the sample at the bottom; ties in
 * file order. */
static int by_n(const void *a, const void *b)
{
    const sae_row_t *x = a, *y = b;
    double nx = x->x[C_N], ny = y->x[C_N];
    if (nx != ny)
        return nx < ny ? 1 : -1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void sae_range(const sae_read_t *r, double z, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        const double *x = r->rows[i].x;
        double v[] = {x[C_DIRECT] - z * x[C_DIRECT_SE],
                      x[C_DIRECT] + z * x[C_DIRECT_SE], x[C_LO], x[C_HI],
                      x[C_EST]};
        for (size_t k = 0; k < 5; k++)
            if (isfinite(v[k])) {
                *lo = fmin(*lo, v[k]);
                *hi = fmax(*hi, v[k]);
            }
    }
    if (!isfinite(*lo)) {
        *lo = 0;
        *hi = 1;
    }
    double pad = 0.05 * (*hi - *lo > 0 ? *hi - *lo : 1);
    *lo -= pad;
    *hi += pad;
}

static void sae_dat(FILE *dat, const sae_read_t *r, int pct, double z)
{
    double k = pct ? 100 : 1;
    fprintf(dat, "# graft sae chart data: values in %s; intervals -/+ "
                 "%.6g\n# row y direct d_lo d_hi eblup e_lo e_hi synth s_lo "
                 "s_hi label\n",
            pct ? "percent" : "the file's units", z);
    for (size_t i = 0; i < r->n; i++) {
        const sae_row_t *row = &r->rows[i];
        const double *x = row->x;
        int syn = x[C_SYNTH] == 1;
        char n[48], label[600];
        fprintf(dat, "%zu %.2f", i + 1, row->y);
        graft_chart_dat_num(dat, k * x[C_DIRECT]);
        graft_chart_dat_num(dat, k * (x[C_DIRECT] - z * x[C_DIRECT_SE]));
        graft_chart_dat_num(dat, k * (x[C_DIRECT] + z * x[C_DIRECT_SE]));
        for (int s = 0; s < 2; s++) {
            int on = s == syn;
            graft_chart_dat_num(dat, on ? k * x[C_EST] : NAN);
            graft_chart_dat_num(dat, on ? k * x[C_LO] : NAN);
            graft_chart_dat_num(dat, on ? k * x[C_HI] : NAN);
        }
        if (isfinite(x[C_N]) && x[C_N] > 0)
            graft_chart_fmt_count(n, sizeof n, x[C_N]);
        else
            snprintf(n, sizeof n, "0");
        snprintf(label, sizeof label, "%s (n=%s)", row->label, n);
        char *lines[1] = {label};
        graft_chart_dat_text(dat, lines, 1);
        fputc('\n', dat);
    }
}

static void sae_plot(FILE *fp, const chart_frame_t *f, const sae_read_t *r,
                     int pct, double lo, double hi, double left, double right,
                     double cap)
{
    int any_syn = 0;
    for (size_t i = 0; i < r->n; i++)
        any_syn |= r->rows[i].x[C_SYNTH] == 1;
    graft_chart_frame_labels(fp, f);
    fprintf(fp,
            "set border 1 lc rgb '#555555'\n"
            "set grid xtics lt 1 lc rgb '#e5e5e5'\n"
            "set xrange [%.6g:%.6g]\nset yrange [0.4:%.2f]\n"
            "set xtics nomirror out scale 0.5 format '%s' tc rgb '%s'\n"
            "set ytics nomirror scale 0 tc rgb '#333333'\n"
            "set bars 1.2\n",
            pct ? 100 * lo : lo, pct ? 100 * hi : hi, (double)r->n + 0.6,
            pct ? "%g %%" : "%g", CHART_TEXT);
    fprintf(fp,
            "set key at screen %.4f, screen %.4f left center horizontal "
            "Left reverse maxrows 1 samplen 1.5 width 1 tc rgb '%s'\n",
            chart_sx(f, left), chart_sy(f, f->top_px + 0.5 * cap),
            CHART_TEXT);
    (void)right;
    fprintf(fp,
            "plot datafile using (%.6g):2:ytic(12) with points pt -1 "
            "notitle, \\\n"
            "     datafile using 3:($2+0.17):4:5 with xerrorbars pt 6 ps 1.2 "
            "lw 1.5 lc rgb '%s' title 'Direct (design-based)', \\\n"
            "     datafile using 6:($2-0.17):7:8 with xerrorbars pt 7 ps 1.2 "
            "lw 2 lc rgb '%s' title 'EBLUP (model-based)'%s\n",
            pct ? 100 * lo : lo, CHART_GREY, CHART_BLUE,
            any_syn ? ", \\" : "");
    if (any_syn)
        fprintf(fp, "     datafile using 9:($2-0.17):10:11 with xerrorbars "
                    "pt 5 ps 1.1 lw 2 lc rgb '%s' title 'Synthetic"
                    "'\n", CHART_VERMILLION);
}

static graft_error_t sae_text(const graft_chart_spec_t *spec,
                              const sae_read_t *r, chart_frame_t *f,
                              int resid, graft_diag_t *diag)
{
    char title[600], level[32], note[600];
    graft_chart_fmt_level(level, sizeof level, spec);
    if (resid) {
        snprintf(title, sizeof title, "Fay-Herriot model by %s: residual "
                 "diagnostics", r->area_name);
        snprintf(note, sizeof note,
                 "Left: (direct - x'beta) / sqrt(sigma_u^2 + psi), which "
                 "should scatter around 0 mostly within -/+2. Right: the "
                 "estimated area effects EBLUP - x'beta against normal "
                 "quantiles; the model assumes they are normal. Areas in "
                 "the fit only.");
    } else {
        snprintf(title, sizeof title, "Direct and model-based (EBLUP) "
                 "estimates by %s", r->area_name);
        snprintf(note, sizeof note,
                 "Areas by sample size, largest on top. Direct: estimate "
                 "-/+ z se (design-based). EBLUP: Fay-Herriot model, "
                 "estimate -/+ z rmse (model-based: valid if the model "
                 "is). %s %% intervals.", level);
    }
    const char *notes[] = {note};
    char *source = spec->source ? graft_chart_source(spec, NULL, NULL) : NULL;
    if (!spec->source) {
        char buf[600];
        const char *slash = strrchr(spec->input, '/');
        snprintf(buf, sizeof buf, "Source: %s (graft sae, Fay-Herriot "
                 "model; docs/sae.md).", slash ? slash + 1 : spec->input);
        source = graft_chart_clean(buf);
    }
    return graft_chart_frame_text(f, spec, title, NULL, notes, 1, source,
                                  diag);
}

static graft_error_t sae_compare_write(const graft_chart_spec_t *spec,
                                       sae_read_t *r, chart_doc_t *doc,
                                       graft_diag_t *diag)
{
    chart_frame_t *f = &doc->frame;
    FILE *body = NULL, *dat = NULL;
    double z = z_of(spec), lo, hi, widest = 0;
    int pct = sae_percent(spec, r);
    graft_error_t rc;
    qsort(r->rows, r->n, sizeof *r->rows, by_n);
    for (size_t i = 0; i < r->n; i++)
        r->rows[i].y = (double)(r->n - i);
    if ((rc = graft_chart_frame_init(f, spec, 1000, diag)) ||
        (rc = sae_text(spec, r, f, 0, diag)))
        return rc;
    double em = f->pt * 4.0 / 3.0;
    for (size_t i = 0; i < r->n; i++) {
        char buf[600];
        snprintf(buf, sizeof buf, "%s (n=%.0f)", r->rows[i].label,
                 isfinite(r->rows[i].x[C_N]) ? r->rows[i].x[C_N] : 0);
        widest = fmax(widest, graft_chart_text_px(buf, f->pt, 0));
    }
    double left = em + fmin(widest, 0.4 * f->W) + 0.8 * em, right = 2 * em;
    double axis = 2.6 * em, cap = 1.6 * chart_line_px(f->pt);
    double row_px = 2.6 * em;
    graft_chart_frame_set_height(f, spec, cap + fmax(((double)r->n + 0.4) *
                                                     row_px, 6 * em) + axis);
    if ((rc = graft_chart_frame_check(f, left, right, f->top_px + cap,
                                      f->bottom_px + axis, diag)))
        return rc;
    if (!graft_chart_doc_open(doc, &body, &dat))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    sae_range(r, z, &lo, &hi);
    graft_chart_frame_margins(body, f, left, right, f->top_px + cap,
                              f->bottom_px + axis);
    sae_plot(body, f, r, pct, lo, hi, left, right, cap);
    sae_dat(dat, r, pct, z);
    return graft_chart_doc_close(body, dat, diag);
}

/* ---- residual diagnostics -------------------------------------------- */

static int by_effect(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Per area in the fit: fitted, standardized residual; the sorted area
 * effects against R's ppoints quantiles, in the same rows.  Mean and sd
 * of the effects into *MEAN, *SD. */
static size_t resid_dat(FILE *dat, const sae_read_t *r, int pct,
                        double *mean, double *sd)
{
    double k = pct ? 100 : 1, *u = malloc((r->n ? r->n : 1) * sizeof *u);
    size_t m = 0;
    *mean = *sd = 0;
    if (!u)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        const double *x = r->rows[i].x;
        if (x[C_SYNTH] != 1 && isfinite(x[C_RESID]))
            u[m++] = k * (x[C_EST] - x[C_FITTED]);
    }
    qsort(u, m, sizeof *u, by_effect);
    for (size_t i = 0; i < m; i++)
        *mean += u[i] / (double)m;
    for (size_t i = 0; m > 1 && i < m; i++)
        *sd += (u[i] - *mean) * (u[i] - *mean) / (double)(m - 1);
    *sd = sqrt(*sd);
    fprintf(dat, "# graft sae residual chart data: fitted (%s), "
                 "standardized residual; normal quantile, sorted area "
                 "effect\n", pct ? "percent" : "the file's units");
    double a = m <= 10 ? 3.0 / 8 : 0.5;
    size_t j = 0;
    for (size_t i = 0; i < r->n; i++) {
        const double *x = r->rows[i].x;
        if (x[C_SYNTH] == 1 || !isfinite(x[C_RESID]))
            continue;
        graft_chart_dat_num(dat, k * x[C_FITTED]);
        graft_chart_dat_num(dat, x[C_RESID]);
        graft_chart_dat_num(dat, gsl_cdf_ugaussian_Pinv(
                                     ((double)j + 1 - a) /
                                     ((double)m + 1 - 2 * a)));
        graft_chart_dat_num(dat, u[j]);
        fputc('\n', dat);
        j++;
    }
    free(u);
    return m;
}

static void resid_plot(FILE *fp, const chart_frame_t *f, double left,
                       double right, double top, double bottom, int pct,
                       double mean, double sd, double xstep)
{
    double em = f->pt * 4.0 / 3.0, gap = 8 * em;
    double mid = left + (f->W - left - right - gap) / 2;
    graft_chart_frame_labels(fp, f);
    fputs("set multiplot\nunset key\n"
          "set border 3 lc rgb '#555555'\n"
          "set grid xtics ytics lt 1 lc rgb '#e5e5e5'\n", fp);
    fprintf(fp, "set xtics nomirror out scale 0.5 format '%s' tc rgb '%s'\n"
                "set ytics nomirror out scale 0.5 tc rgb '%s'\n",
            pct ? "%g %%" : "%g", CHART_TEXT, CHART_TEXT);
    graft_chart_frame_margins(fp, f, left, f->W - mid, top, bottom);
    fprintf(fp,
            "set xlabel 'Fitted x''beta' tc rgb '%s'\n"
            "set ylabel 'Standardized residual' tc rgb '%s'\n"
            "set yrange [*:*] extend\n"
            "set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead "
            "lw 1.2 lc rgb '%s'\n"
            "set arrow 2 from graph 0, first 2 to graph 1, first 2 nohead "
            "dt 2 lc rgb '%s'\n"
            "set arrow 3 from graph 0, first -2 to graph 1, first -2 nohead "
            "dt 2 lc rgb '%s'\n"
            "set offsets graph 0.06, graph 0.06, 0, 0\n"
            "set xtics %.10g\n"
            "stats datafile using 2 nooutput\n"
            "set yrange [(STATS_min < -2.5 ? STATS_min - 0.3 : -2.5):"
            "(STATS_max > 2.5 ? STATS_max + 0.3 : 2.5)]\n"
            "plot datafile using 1:2 with points pt 7 ps 1.3 lc rgb '%s'\n",
            CHART_TEXT, CHART_TEXT, CHART_SOFT, CHART_SOFT, CHART_SOFT,
            xstep, CHART_BLUE);
    fputs("unset label\nunset arrow\nset yrange [*:*]\nset xrange [*:*]\n"
          "set xtics autofreq\nset format x '%g'\n", fp);
    graft_chart_frame_margins(fp, f, mid + gap, right, top, bottom);
    fprintf(fp,
            "set xlabel 'Normal quantile' tc rgb '%s'\n"
            "set ylabel 'Area effect (EBLUP - x''beta)' tc rgb '%s'\n"
            "set ytics format '%s'\n"
            "plot %.10g + %.10g * x with lines dt 2 lw 1.2 lc rgb '%s', \\\n"
            "     datafile using 3:4 with points pt 7 ps 1.3 lc rgb '%s'\n"
            "unset multiplot\n",
            CHART_TEXT, CHART_TEXT, pct ? "%g %%" : "%g", mean, sd,
            CHART_SOFT, CHART_BLUE);
}

static graft_error_t sae_resid_write(const graft_chart_spec_t *spec,
                                     sae_read_t *r, chart_doc_t *doc,
                                     graft_diag_t *diag)
{
    chart_frame_t *f = &doc->frame;
    FILE *body = NULL, *dat = NULL;
    int pct = sae_percent(spec, r);
    graft_error_t rc;
    size_t m = 0;
    for (size_t i = 0; i < r->n; i++)
        m += r->rows[i].x[C_SYNTH] != 1 && isfinite(r->rows[i].x[C_RESID]);
    if (m < 2)
        return graft_diag_set(diag, GRAFT_ERR_NO_ROWS, spec->input, 0, 0,
                              "fewer than 2 areas in the fit to draw");
    if ((rc = graft_chart_frame_init(f, spec, 1100, diag)) ||
        (rc = sae_text(spec, r, f, 1, diag)))
        return rc;
    double em = f->pt * 4.0 / 3.0, axis = 4.4 * em, left = 6 * em,
           right = 2 * em, top = f->top_px + em;
    graft_chart_frame_set_height(f, spec, em + 26 * em + axis);
    if ((rc = graft_chart_frame_check(f, left + 12 * em, right + 12 * em,
                                      top, f->bottom_px + axis, diag)))
        return rc;
    if (!graft_chart_doc_open(doc, &body, &dat))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    double mean, sd;
    if (resid_dat(dat, r, pct, &mean, &sd) != m) {
        graft_chart_doc_close(body, dat, NULL);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < r->n; i++)
        if (r->rows[i].x[C_SYNTH] != 1 && isfinite(r->rows[i].x[C_RESID])) {
            lo = fmin(lo, r->rows[i].x[C_FITTED]);
            hi = fmax(hi, r->rows[i].x[C_FITTED]);
        }
    double span = (pct ? 100 : 1) * (hi - lo);
    resid_plot(body, f, left, right, top, f->bottom_px + axis, pct, mean,
               sd, graft_chart_nice_step(span > 0 ? span : 1, 5));
    return graft_chart_doc_close(body, dat, diag);
}

graft_error_t graft_chart_sae_write(const graft_chart_spec_t *spec,
                                    const chart_data_t *d, chart_doc_t *doc,
                                    graft_diag_t *diag)
{
    (void)d;
    sae_read_t r;
    graft_error_t rc = sae_load(spec, &r, diag);
    if (rc != GRAFT_OK)
        return rc;
    rc = spec->kind == GRAFT_CHART_SAE_RESID
             ? sae_resid_write(spec, &r, doc, diag)
             : sae_compare_write(spec, &r, doc, diag);
    sae_read_free(&r);
    return rc;
}
