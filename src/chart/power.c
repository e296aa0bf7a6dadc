/*
 * chart/power.c - power against the true change, from a `graft plan`
 * table: one curve per row (per domain of one indicator for a baseline
 * plan), at the row's n and design effect (deff_take when the plan has a
 * take), drawn from -X to +X percentage points around p1, X covering
 * 1.5 times the widest detectable change.  A dashed line marks the power
 * the plan asked for; where a curve crosses it are the row's mde_decrease
 * and mde_increase.  The power is R's power.prop.test's
 * (graft_plan_power(), docs/plan.md).
 *
 * The MDE chart (GRAFT_CHART_MDE) draws from the same table the smallest
 * detectable fall (graft_plan_mde()'s p1 - p2_low, in percentage points)
 * against the respondents per round, from a quarter of the smallest row's
 * n to four times the largest (log scale), each row's own n marked.
 */
#include "chart/chart_internal.h"
#include "graft/plan.h"
#include "graft/reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define POWER_STEPS 200

static const char *const curve_colors[] = {
    CHART_BLUE, CHART_ORANGE, CHART_GREEN, CHART_VERMILLION, CHART_SKY,
    CHART_PURPLE, "#B8A800"};
#define N_COLORS (sizeof curve_colors / sizeof *curve_colors)

enum { C_IND, C_DOMAIN, C_P1, C_N, C_DEFF, C_DEFF_TAKE, C_POWER, C_ALPHA,
       C_CORR, N_COLS };
static const char *const col_names[N_COLS] = {
    "indicator", "domain", "p1", "n", "deff", "deff_take", "power", "alpha",
    "correlation"};

typedef struct power_curve {
    char *label;          /* cleaned */
    double p1, n_srs, alpha, target, mde;
    double n, fall;       /* the row's n and its detectable fall */
    graft_plan_opts_t opts;
    double deff;          /* the row's deff (deff_take when given) */
} power_curve_t;

typedef struct power_read {
    const graft_chart_spec_t *spec;
    size_t col[N_COLS];   /* CHART_NONE when absent */
    char *indicator;      /* the one drawn */
    power_curve_t *curves;
    size_t n, cap;
} power_read_t;

static graft_error_t power_header(void *ctx, const graft_column_t *cols,
                                  size_t n, graft_diag_t *diag)
{
    power_read_t *r = ctx;
    for (size_t k = 0; k < N_COLS; k++) {
        r->col[k] = CHART_NONE;
        for (size_t i = 0; i < n; i++)
            if (strcmp(cols[i].name, col_names[k]) == 0)
                r->col[k] = i;
    }
    for (size_t k = C_P1; k <= C_DEFF; k++)
        if (r->col[k] == CHART_NONE)
            return graft_diag_set(diag, GRAFT_ERR_COLUMN, r->spec->input, 1,
                                  0, "a power chart needs graft plan's "
                                     "column '%s'", col_names[k]);
    return GRAFT_OK;
}

static double cell_num(const power_read_t *r, const graft_cell_t *cells,
                       size_t k, double dflt)
{
    if (r->col[k] == CHART_NONE)
        return dflt;
    const graft_cell_t *c = &cells[r->col[k]];
    return c->kind == GRAFT_CELL_NUMBER ? c->num : NAN;
}

static const char *cell_text(const power_read_t *r, const graft_cell_t *cells,
                             size_t k)
{
    return r->col[k] == CHART_NONE || !cells[r->col[k]].str
               ? NULL
               : cells[r->col[k]].str;
}

/* The row's curve label: its domain, else "p1 = .. %, n = ..". */
static char *curve_label(const power_read_t *r, const graft_cell_t *cells,
                         double p1, double n)
{
    const char *dom = cell_text(r, cells, C_DOMAIN);
    char buf[128];
    if (dom && *dom)
        return graft_chart_clean(dom);
    snprintf(buf, sizeof buf, "p1 = %.4g %%, n = %.0f", 100 * p1, n);
    return graft_chart_clean(buf);
}

static graft_error_t power_row(void *ctx, const graft_cell_t *cells,
                               size_t n_cells, unsigned long line,
                               graft_diag_t *diag)
{
    (void)n_cells;
    power_read_t *r = ctx;
    const char *ind = cell_text(r, cells, C_IND);
    if (ind && !r->indicator &&
        !(r->indicator = strdup(r->spec->indicator ? r->spec->indicator
                                                   : ind)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if (ind && strcmp(ind, r->indicator) != 0)
        return GRAFT_OK;
    double p1 = cell_num(r, cells, C_P1, NAN), n = cell_num(r, cells, C_N, NAN);
    double deff = cell_num(r, cells, C_DEFF_TAKE, NAN);
    if (!isfinite(deff))
        deff = cell_num(r, cells, C_DEFF, NAN);
    graft_plan_opts_t o = {cell_num(r, cells, C_POWER, 0.8),
                           cell_num(r, cells, C_ALPHA, 0.05),
                           cell_num(r, cells, C_CORR, 0)};
    if (!(p1 >= 0 && p1 <= 1) || !(n > 0) || !(deff > 0) ||
        graft_plan_opts_check(&o, NULL) != GRAFT_OK)
        return GRAFT_OK; /* nothing to draw for this row */
    power_curve_t *c = r->n < r->cap ? &r->curves[r->n] : NULL;
    if (!c) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        power_curve_t *g = realloc(r->curves, cap * sizeof *g);
        if (!g)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        r->curves = g, r->cap = cap, c = &g[r->n];
    }
    double lo, hi;
    graft_plan_mde(p1, n, deff, &o, &lo, &hi);
    *c = (power_curve_t){curve_label(r, cells, p1, n), p1,
                         n / (deff * (1 - o.correlation)), o.alpha, o.power,
                         fmax(isfinite(lo) ? p1 - lo : 0,
                              isfinite(hi) ? hi - p1 : 0),
                         n, p1 - lo, o, deff};
    (void)line;
    if (!c->label)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    r->n++;
    return GRAFT_OK;
}

static void power_read_free(power_read_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->curves[i].label);
    free(r->curves);
    free(r->indicator);
}

static graft_error_t power_load(const graft_chart_spec_t *spec,
                                power_read_t *r, graft_diag_t *diag)
{
    memset(r, 0, sizeof *r);
    r->spec = spec;
    graft_error_t rc = graft_read(spec->input, NULL, power_header, power_row,
                                  r, diag);
    if (rc == GRAFT_OK && r->n == 0)
        rc = graft_diag_set(diag, GRAFT_ERR_VALUE, spec->input, 0, 0,
                            "no row of the plan to draw%s%s",
                            spec->indicator ? " for indicator " : "",
                            spec->indicator ? spec->indicator : "");
    return rc;
}

/* Half the x range, in percentage points: 1.5 times the widest MDE. */
static double power_span(const power_read_t *r)
{
    double m = 0;
    for (size_t i = 0; i < r->n; i++)
        m = fmax(m, r->curves[i].mde);
    m = m > 0 ? 150 * m : 50;
    double step = graft_chart_nice_step(m, 4);
    return fmin(ceil(m / step) * step, 100);
}

static void power_dat(FILE *dat, const power_read_t *r, double span)
{
    fputs("# graft power chart data: change in percentage points, power in "
          "percent\n# one block per curve (gnuplot index 0, 1, ...), in "
          "legend order\n",
          dat);
    for (size_t i = 0; i < r->n; i++) {
        const power_curve_t *c = &r->curves[i];
        fprintf(dat, "%s# curve %zu\n", i ? "\n\n" : "", i + 1);
        for (int k = 0; k <= POWER_STEPS; k++) {
            double x = -span + 2 * span * k / POWER_STEPS;
            double p2 = c->p1 + x / 100;
            double y = p2 >= 0 && p2 <= 1
                           ? 100 * graft_plan_power(c->n_srs, c->p1, p2,
                                                    c->alpha)
                           : NAN;
            fprintf(dat, "%.4f", x);
            graft_chart_dat_num(dat, y);
            fputc('\n', dat);
        }
    }
}

/* The n range of the MDE chart: a quarter of the smallest n to four
 * times the largest. */
static void mde_range(const power_read_t *r, double *lo, double *hi)
{
    *lo = INFINITY, *hi = 0;
    for (size_t i = 0; i < r->n; i++) {
        *lo = fmin(*lo, r->curves[i].n / 4);
        *hi = fmax(*hi, r->curves[i].n * 4);
    }
    *lo = fmax(*lo, 1);
}

static void mde_dat(FILE *dat, const power_read_t *r)
{
    double lo, hi;
    mde_range(r, &lo, &hi);
    fputs("# graft mde chart data: respondents per round, smallest "
          "detectable fall in percentage points\n# one block per curve "
          "(gnuplot index 0, 1, ...), in legend order, then the rows' own "
          "n and fall\n",
          dat);
    for (size_t i = 0; i < r->n; i++) {
        const power_curve_t *c = &r->curves[i];
        fprintf(dat, "%s# curve %zu\n", i ? "\n\n" : "", i + 1);
        for (int k = 0; k <= POWER_STEPS; k++) {
            double n = lo * pow(hi / lo, (double)k / POWER_STEPS), dn, up;
            graft_plan_mde(c->p1, n, c->deff, &c->opts, &dn, &up);
            fprintf(dat, "%.10g", n);
            graft_chart_dat_num(dat, 100 * (c->p1 - dn));
            fputc('\n', dat);
        }
    }
    fputs("\n\n# the rows' n and detectable fall\n", dat);
    for (size_t i = 0; i < r->n; i++) {
        fprintf(dat, "%.10g", r->curves[i].n);
        graft_chart_dat_num(dat, 100 * r->curves[i].fall);
        fputc('\n', dat);
    }
}

static void mde_axes(FILE *fp, const chart_frame_t *f, const power_read_t *r,
                     double left, double right, double cap)
{
    double lo, hi;
    mde_range(r, &lo, &hi);
    graft_chart_frame_margins(fp, f, left, right, f->top_px + cap,
                              f->bottom_px + 3.6 * f->pt * 4.0 / 3.0);
    graft_chart_frame_labels(fp, f);
    graft_chart_screen_text(fp, f, "Smallest detectable fall, percentage "
                                   "points", left, f->top_px + 0.5 * cap,
                            f->pt, "left", 0, CHART_SOFT);
    fprintf(fp,
            "set border 3 lc rgb '#555555'\n"
            "set grid xtics ytics lt 1 lc rgb '#e5e5e5'\n"
            "set logscale x\nset xrange [%.6g:%.6g]\nset yrange [0:*]\n"
            "set ytics nomirror out scale 0.5 format '%%g' tc rgb '#222222'\n"
            "set xtics nomirror out scale 0.5 format '%%g' tc rgb '#222222'\n"
            "set xlabel 'Respondents per round (the indicator''s "
            "denominator), log scale' tc rgb '#222222'\n",
            lo, hi);
    fprintf(fp,
            "set key at screen %.4f, screen %.4f left top Left reverse "
            "samplen 2.5 spacing 1.3 width 1 tc rgb '#222222'\n",
            chart_sx(f, f->W - right + 1.2 * f->pt * 4.0 / 3.0),
            chart_sy(f, f->top_px + cap));
}

static graft_error_t power_text(const graft_chart_spec_t *spec,
                                const power_read_t *r, chart_frame_t *f,
                                graft_diag_t *diag)
{
    char title[1400], sub[400];
    const char *label = r->indicator
                            ? graft_chart_indicator_label(spec, r->indicator)
                            : NULL;
    int mde = spec->kind == GRAFT_CHART_MDE;
    snprintf(title, sizeof title, "%s%s%s",
             mde ? "Smallest detectable fall by sample size"
                 : "Power to detect a change",
             r->indicator ? " in " : "",
             label ? label : r->indicator ? r->indicator : "");
    if (mde)
        snprintf(sub, sizeof sub,
                 "Two rounds, two-sided test at level %g with power %g %%; "
                 "the markers are the plan's own n",
                 r->curves[0].alpha, 100 * r->curves[0].target);
    else
        snprintf(sub, sizeof sub,
                 "Two rounds, two-sided test at level %g; the dashed line is "
                 "the power planned for (%g %%)",
                 r->curves[0].alpha, 100 * r->curves[0].target);
    char *source = spec->source ? graft_chart_source(spec, NULL, NULL) : NULL;
    if (!spec->source) {
        char buf[600];
        const char *slash = strrchr(spec->input, '/');
        snprintf(buf, sizeof buf,
                 "Source: %s. Power of R's power.prop.test at each row's n "
                 "divided by its design effect (graft plan).",
                 slash ? slash + 1 : spec->input);
        source = graft_chart_clean(buf);
    }
    return graft_chart_frame_text(f, spec, title, sub, NULL, 0, source, diag);
}

static void power_axes(FILE *fp, const chart_frame_t *f, const power_read_t *r,
                       double span, double left, double right, double cap)
{
    graft_chart_frame_margins(fp, f, left, right, f->top_px + cap,
                              f->bottom_px + 3.6 * f->pt * 4.0 / 3.0);
    graft_chart_frame_labels(fp, f);
    graft_chart_screen_text(fp, f, "Power, percent", left,
                            f->top_px + 0.5 * cap, f->pt, "left", 0,
                            CHART_SOFT);
    fprintf(fp,
            "set border 3 lc rgb '#555555'\n"
            "set grid xtics ytics lt 1 lc rgb '#e5e5e5'\n"
            "set xrange [%.4f:%.4f]\nset yrange [0:100]\n"
            "set ytics 0, 20, 100 nomirror out scale 0.5 format '%%g %%%%' "
            "tc rgb '#222222'\n"
            "set xtics nomirror out scale 0.5 format '%%g' tc rgb '#222222'\n"
            "set xlabel 'True change, percentage points' tc rgb '#222222'\n"
            "set arrow 1 from graph 0, first %.4f to graph 1, first %.4f "
            "nohead dt 2 lw 1.5 lc rgb '#555555'\n",
            -span, span, 100 * r->curves[0].target, 100 * r->curves[0].target);
    fprintf(fp,
            "set key at screen %.4f, screen %.4f left top Left reverse "
            "samplen 2.5 spacing 1.3 width 1 tc rgb '#222222'\n",
            chart_sx(f, f->W - right + 1.2 * f->pt * 4.0 / 3.0),
            chart_sy(f, f->top_px + cap));
}

static void power_plot(FILE *fp, const power_read_t *r, int mde)
{
    fputs("# one curve per row (titles are quoted strings)\nplot ", fp);
    if (mde)
        fprintf(fp, "datafile index %zu using 1:2 with points pt 7 ps 1.4 "
                    "lc rgb '#222222' notitle, \\\n     ",
                r->n);
    for (size_t i = 0; i < r->n; i++) {
        int all = strcmp(r->curves[i].label, "All") == 0;
        fprintf(fp,
                "%sdatafile index %zu using 1:2 with lines lw %d dt %d "
                "lc rgb '%s' title ",
                i ? ", \\\n     " : "", i, all ? 3 : 2,
                1 + (int)((i / N_COLORS) % 4),
                all ? CHART_BLACK : curve_colors[i % N_COLORS]);
        graft_chart_quote(fp, r->curves[i].label);
    }
    fputc('\n', fp);
}

graft_error_t graft_chart_power_write(const graft_chart_spec_t *spec,
                                      const chart_data_t *d, chart_doc_t *doc,
                                      graft_diag_t *diag)
{
    (void)d;
    power_read_t r;
    chart_frame_t *f = &doc->frame;
    FILE *body = NULL, *dat = NULL;
    graft_error_t rc = power_load(spec, &r, diag);
    if (rc == GRAFT_OK && !(rc = graft_chart_frame_init(f, spec, 1000, diag)))
        rc = power_text(spec, &r, f, diag);
    if (rc != GRAFT_OK) {
        power_read_free(&r);
        return rc;
    }
    double em = f->pt * 4.0 / 3.0, widest = 0;
    for (size_t i = 0; i < r.n; i++)
        widest = fmax(widest, graft_chart_text_px(r.curves[i].label, f->pt, 0));
    double left = 5 * em, right = 2.2 * em + 4 * em + fmin(widest, 0.35 * f->W);
    double cap = 1.3 * chart_line_px(f->pt), span = power_span(&r);
    graft_chart_frame_set_height(f, spec, cap + 24 * em + 3.6 * em);
    if (!(rc = graft_chart_frame_check(f, left, right, f->top_px + cap,
                                       f->bottom_px + 3.6 * em, diag))) {
        if (!graft_chart_doc_open(doc, &body, &dat))
            rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                "out of memory");
        else {
            int mde = spec->kind == GRAFT_CHART_MDE;
            if (mde) {
                mde_axes(body, f, &r, left, right, cap);
                mde_dat(dat, &r);
            } else {
                power_axes(body, f, &r, span, left, right, cap);
                power_dat(dat, &r, span);
            }
            power_plot(body, &r, mde);
            rc = graft_chart_doc_close(body, dat, diag);
        }
    }
    power_read_free(&r);
    return rc;
}
