/*
 * chart/forest.c - a forest chart of a model's odds or rate ratios, from
 * the CSV `graft model --family logistic|poisson` writes.
 *
 * One row per coefficient but the intercept, in the model's order from
 * the top: the ratio exp(estimate) as a dot, its interval exp(ci_low) to
 * exp(ci_high) as a whisker, on a logarithmic axis with a dashed line at
 * 1 (no difference); the ratio and interval printed right of the plot.
 * Each factor's ratios compare its levels with its reference level, which
 * a footnote says (the CSV names the levels compared, "sex=Female").
 */
#include "chart/chart_internal.h"
#include "base/grow.h"
#include "base/str.h"
#include "graft/reader.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- the data ---------------------------------------------------------- */

typedef struct forest_load {
    chart_data_t *d;
    size_t col[4];      /* term, exp_estimate, exp_ci_low, exp_ci_high */
    size_t cap;
    const char *path;
} forest_load_t;

static graft_error_t on_header(void *vctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    static const char *const need[] = {"term", "exp_estimate", "exp_ci_low",
                                       "exp_ci_high"};
    forest_load_t *f = vctx;
    for (size_t k = 0; k < 4; k++) {
        f->col[k] = CHART_NONE;
        for (size_t i = 0; i < ncols; i++)
            if (cols[i].name && strcmp(cols[i].name, need[k]) == 0)
                f->col[k] = i;
        if (f->col[k] == CHART_NONE)
            return graft_diag_set(diag, GRAFT_ERR_COLUMN, f->path, 1, 0,
                                  "a forest chart needs column '%s': draw "
                                  "the CSV of `graft model --family "
                                  "logistic` or `poisson`",
                                  need[k]);
    }
    return GRAFT_OK;
}

static double num_of(const graft_cell_t *c)
{
    return c->kind == GRAFT_CELL_NUMBER ? c->num : NAN;
}

static graft_error_t on_row(void *vctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    forest_load_t *f = vctx;
    chart_data_t *d = f->d;
    (void)ncols;
    const char *term = cells[f->col[0]].str ? cells[f->col[0]].str : "";
    if (strcmp(term, "(Intercept)") == 0)
        return GRAFT_OK;
    size_t cap = f->cap;
    char **dom = graft_grow(d->domains, &cap, d->n_domains + 1,
                            sizeof *d->domains);
    if (dom)
        d->domains = dom;
    chart_cell_t *cells_p = dom ? graft_grow(d->cells, &f->cap,
                                             d->n_domains + 1,
                                             sizeof *d->cells)
                                : NULL;
    if (!cells_p || !(dom[d->n_domains] = graft_strdup(term)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, f->path, line, 0,
                              "out of memory");
    d->cells = cells_p;
    chart_cell_t *c = &d->cells[d->n_domains++];
    memset(c, 0, sizeof *c);
    c->present = 1;
    c->est = num_of(&cells[f->col[1]]);
    c->lo = num_of(&cells[f->col[2]]);
    c->hi = num_of(&cells[f->col[3]]);
    c->n = NAN;
    return GRAFT_OK;
}

/* The model CSV SPEC->input as chart data: one domain per coefficient. */
graft_error_t graft_chart_forest_load(const graft_chart_spec_t *spec,
                                      chart_data_t **out, graft_diag_t *diag)
{
    forest_load_t f = {calloc(1, sizeof *f.d), {0}, 0, spec->input};
    *out = NULL;
    if (!f.d)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    chart_data_t *d = f.d;
    d->all = CHART_NONE;
    d->n_series = 1;
    d->series = calloc(1, sizeof *d->series);
    d->indicator = graft_strdup("ratio");
    d->by = graft_strdup("");
    if (d->series)
        d->series[0] = graft_strdup("ratio");
    if (!d->series || !d->series[0] || !d->indicator || !d->by) {
        graft_chart_data_free(d);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    graft_error_t rc = graft_read(spec->input, NULL, on_header, on_row, &f,
                                  diag);
    if (rc == GRAFT_OK && d->n_domains == 0)
        rc = graft_diag_set(diag, GRAFT_ERR_NO_ROWS, spec->input, 0, 0,
                            "no coefficient but the intercept to draw");
    if (rc != GRAFT_OK) {
        graft_chart_data_free(d);
        return rc;
    }
    *out = d;
    return GRAFT_OK;
}

/* ---- the chart ------------------------------------------------------- */

/* The axis range (logarithmic): every interval and 1, with some room. */
static void x_range(const chart_data_t *d, double *lo, double *hi)
{
    *lo = 1;
    *hi = 1;
    for (size_t i = 0; i < d->n_domains; i++) {
        const chart_cell_t *c = chart_cell(d, i, 0);
        double a = isfinite(c->lo) && c->lo > 0 ? c->lo : c->est;
        double b = isfinite(c->hi) ? c->hi : c->est;
        if (isfinite(a) && a > 0)
            *lo = fmin(*lo, a);
        if (isfinite(b))
            *hi = fmax(*hi, b);
    }
    *lo /= 1.25;
    *hi *= 1.25;
}

/* Tics at 1, 2 and 5 times powers of ten (and 0.25, 0.5 between). */
static void write_tics(FILE *fp, double lo, double hi)
{
    static const double steps[] = {1, 2, 5};
    int first = 1;
    fputs("set xtics (", fp);
    for (int e = -4; e <= 4; e++)
        for (size_t k = 0; k < 3; k++) {
            double v = steps[k] * pow(10, e);
            if (v < lo || v > hi)
                continue;
            fprintf(fp, "%s'%g' %g", first ? "" : ", ", v, v);
            first = 0;
        }
    fputs(") nomirror out scale 0.5 tc rgb '" CHART_TEXT "'\n", fp);
}

static void write_body(FILE *fp, const chart_frame_t *f, const chart_data_t *d,
                       double lo, double hi)
{
    size_t n = d->n_domains;
    graft_chart_frame_labels(fp, f);
    fputs("unset key\nset border 1 lc rgb '#555555'\nset logscale x\n", fp);
    fprintf(fp, "set xrange [%.6g:%.6g]\nset yrange [0.4:%.2f]\n", lo, hi,
            (double)n + 0.6);
    write_tics(fp, lo, hi);
    fputs("set grid xtics lt 1 lc rgb '#e5e5e5'\n"
          "set ytics nomirror scale 0 tc rgb '#333333'\n", fp);
    fprintf(fp, "set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lw 1.5 "
                "lc rgb '%s'\n", CHART_SOFT);
    fprintf(fp,
            "set bars 1.5\n"
            "# the coefficients: tic labels read from the data (column 6)\n"
            "plot datafile using (1):2:ytic(6) with points pt -1 notitle, \\\n"
            "     datafile using 3:2:4:5 with xerrorbars pt 7 ps 1.3 lw 1.5 "
            "lc rgb '%s' notitle, \\\n"
            "     datafile using (%.6g):2:(sprintf('%%.2f (%%.2f to %%.2f)', "
            "$3, $4, $5)) with labels left offset char 1,0 tc rgb '%s' "
            "notitle\n",
            CHART_BLUE, hi, CHART_TEXT);
}

static void write_dat(FILE *dat, const chart_data_t *d, char ***lines,
                      const size_t *n_lines, const int *cut)
{
    size_t n = d->n_domains;
    fputs("# graft forest chart data: ratios exp(estimate)\n"
          "# row y ratio ci_low ci_high label\n", dat);
    for (size_t i = 0; i < n; i++) {
        const chart_cell_t *c = chart_cell(d, i, 0);
        graft_chart_dat_full(dat, i + 1, d->domains[i], cut[i]);
        fprintf(dat, "%zu %.2f", i + 1, (double)(n - i));
        graft_chart_dat_num(dat, c->est);
        graft_chart_dat_num(dat, c->lo);
        graft_chart_dat_num(dat, c->hi);
        graft_chart_dat_text(dat, lines[i], n_lines[i]);
        fputc('\n', dat);
    }
}

static graft_error_t frame_text(const graft_chart_spec_t *spec,
                                chart_frame_t *f, graft_diag_t *diag)
{
    static const char *const note =
        "A factor's ratios compare each level with its reference level "
        "(the first level, or the one ref() chose); a ratio of 1 is no "
        "difference.";
    char level[32], title[128];
    snprintf(title, sizeof title, "Ratios with %s %% confidence intervals",
             graft_chart_fmt_level(level, sizeof level, spec));
    return graft_chart_frame_text(f, spec, title, NULL, &note, 1,
                                  graft_chart_source(spec, NULL, NULL), diag);
}

typedef struct forest_labels {
    char ***lines;
    size_t *n_lines;
    int *cut;
    size_t n;
} forest_labels_t;

static void labels_free(forest_labels_t *l)
{
    for (size_t i = 0; l->lines && i < l->n; i++)
        graft_chart_lines_free(l->lines[i], l->n_lines[i]);
    free(l->lines);
    free(l->n_lines);
    free(l->cut);
}

/* Each term wrapped to MAX_PX; the widest in *WIDEST. */
static int make_labels(const chart_data_t *d, forest_labels_t *l,
                       double max_px, double pt, double *widest)
{
    l->n = d->n_domains;
    l->lines = calloc(l->n, sizeof *l->lines);
    l->n_lines = calloc(l->n, sizeof *l->n_lines);
    l->cut = calloc(l->n, sizeof *l->cut);
    *widest = 0;
    if (!l->lines || !l->n_lines || !l->cut)
        return 0;
    for (size_t i = 0; i < l->n; i++) {
        double px;
        l->lines[i] = graft_chart_label_lines(d->domains[i], NULL, max_px, pt,
                                              CHART_TIC_MAX_LINES,
                                              &l->n_lines[i], &px, &l->cut[i]);
        if (!l->lines[i])
            return 0;
        *widest = fmax(*widest, px);
    }
    return 1;
}

graft_error_t graft_chart_forest_write(const graft_chart_spec_t *spec,
                                       const chart_data_t *d,
                                       chart_doc_t *doc, graft_diag_t *diag)
{
    chart_frame_t *f = &doc->frame;
    forest_labels_t l = {NULL, NULL, NULL, 0};
    FILE *body = NULL, *dat = NULL;
    double widest, lo, hi;
    graft_error_t rc;
    if ((rc = graft_chart_frame_init(f, spec, 1000, diag)) ||
        (rc = frame_text(spec, f, diag)))
        goto done;
    if (!make_labels(d, &l, 0.35 * f->W, f->pt, &widest)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    for (size_t i = 0; i < l.n; i++)
        if ((rc = graft_chart_label_check(l.lines[i], l.n_lines[i], spec,
                                          diag)))
            goto done;
    double em = f->pt * 4.0 / 3.0;
    double left = em + widest + 0.8 * em;
    double right = graft_chart_text_px("00.00 (00.00 to 00.00)", f->pt, 0) +
                   2 * em;
    double axis = 3.9 * em, row_px = 2.1 * em;
    graft_chart_frame_set_height(f, spec,
                                 fmax(((double)l.n + 0.4) * row_px, 4 * em) +
                                     axis);
    if ((rc = graft_chart_frame_check(f, left, right, f->top_px,
                                      f->bottom_px + axis, diag)))
        goto done;
    if (!graft_chart_doc_open(doc, &body, &dat)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    x_range(d, &lo, &hi);
    graft_chart_frame_margins(body, f, left, right, f->top_px,
                              f->bottom_px + axis);
    graft_chart_screen_text(body, f, "Ratio (logarithmic scale)",
                            left + (f->W - left - right) / 2,
                            f->H - f->bottom_px - axis + 3.1 * em, f->pt,
                            "center", 0, CHART_TEXT);
    write_body(body, f, d, lo, hi);
    write_dat(dat, d, l.lines, l.n_lines, l.cut);
    rc = graft_chart_doc_close(body, dat, diag);
done:
    labels_free(&l);
    return rc;
}
