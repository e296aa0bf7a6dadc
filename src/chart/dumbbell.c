/*
 * chart/dumbbell.c - baseline against follow-up by domain, from a
 * comparison file: two panels sharing the rows.
 *
 * Left: the two estimates, an open circle (baseline) and a filled one
 * (follow-up) joined by a line, thick and vermillion when the change is
 * significant (the file's `change` column says increase or decrease, that
 * is adjusted p below 1 - level).  Right: the change with its confidence
 * interval and a zero line.  The All row on top, set apart.  A legend
 * above the plot names the rounds and the significance rule.
 */
#include "chart/chart_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum db_kind {
    DB_SAME = 0,          /* no significant change */
    DB_SIGNIFICANT = 1,
    DB_NOT_COMPARABLE = 2,
    DB_NO_BASELINE = 3,   /* no baseline estimate */
    DB_NO_FOLLOWUP = 4    /* no follow-up estimate */
};

typedef struct db_row {
    size_t domain;
    enum db_kind kind;
    double base, follow, diff, lo, hi; /* as drawn */
    double y;
    char **lines;
    size_t n_lines;
    int cut;                /* the label was cut (CHART_LABEL_MAX_LINES) */
} db_row_t;

static int by_followup(const void *a, const void *b)
{
    const db_row_t *x = a, *y = b;
    return chart_row_order(x->kind >= DB_NO_BASELINE, x->follow, x->domain,
                           y->kind >= DB_NO_BASELINE, y->follow, y->domain);
}

static db_row_t *make_rows(const chart_data_t *d, size_t *n_rows,
                           double *y_top)
{
    db_row_t *rows = calloc(d->n_domains, sizeof *rows);
    if (!rows)
        return NULL;
    size_t n = 0;
    if (d->all != CHART_NONE)
        rows[n++].domain = d->all;
    for (size_t i = 0; i < d->n_domains; i++)
        if (i != d->all)
            rows[n++].domain = i;
    for (size_t i = 0; i < n; i++) {
        db_row_t *r = &rows[i];
        const chart_cell_t *c = chart_cell(d, r->domain, 0);
        r->base = chart_scaled(d, c->base);
        r->follow = chart_scaled(d, c->follow);
        r->diff = chart_scaled(d, c->est);
        r->lo = chart_scaled(d, c->lo);
        r->hi = chart_scaled(d, c->hi);
        r->kind = !c->present || !isfinite(r->base) ? DB_NO_BASELINE
                  : !isfinite(r->follow)             ? DB_NO_FOLLOWUP
                  : c->not_comparable                ? DB_NOT_COMPARABLE
                  : c->significant    ? DB_SIGNIFICANT
                                      : DB_SAME;
    }
    *y_top = chart_place_rows(rows, n, sizeof *rows, offsetof(db_row_t, y),
                              d->all != CHART_NONE, by_followup);
    *n_rows = n;
    return rows;
}

static void free_rows(db_row_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        graft_chart_lines_free(rows[i].lines, rows[i].n_lines);
    free(rows);
}

/* "Holm", "Bonferroni", "Benjamini-Hochberg", or as given. */
static const char *adjust_name(const char *a)
{
    if (!a || strcasecmp(a, "holm") == 0)
        return "Holm";
    if (strcasecmp(a, "bonferroni") == 0)
        return "Bonferroni";
    if (strcasecmp(a, "bh") == 0 || strcasecmp(a, "fdr") == 0)
        return "Benjamini-Hochberg";
    return a;
}

static void significance_text(char *buf, size_t size,
                              const graft_chart_spec_t *spec)
{
    double level = spec->level > 0 && spec->level < 1 ? spec->level : 0.95;
    const char *adj = adjust_name(spec->adjustment);
    if (strcasecmp(adj, "none") == 0)
        snprintf(buf, size, "significant change (p < %.4g, no adjustment)",
                 1 - level);
    else
        snprintf(buf, size,
                 "significant change (p < %.4g after %s adjustment)",
                 1 - level, adj);
}

/* ---- the legend above the plot ---------------------------------------- */

typedef struct legend_item {
    const char *text;
    int marker; /* 0 open circle, 1 filled circle, 2 thick line */
} legend_item_t;

/* Legend items left to right from X0, wrapping at X1; returns the rows. */
static int legend_rows(const chart_frame_t *f, const legend_item_t *items,
                       size_t n, double x0, double x1)
{
    double em = f->pt * 4.0 / 3.0, x = x0;
    int rows = 1;
    for (size_t i = 0; i < n; i++) {
        double w = 2.2 * em + graft_chart_text_px(items[i].text, f->pt, 0);
        if (x > x0 && x + w > x1) {
            rows++;
            x = x0;
        }
        x += w + 1.2 * em;
    }
    return rows;
}

static void write_legend(FILE *fp, const chart_frame_t *f,
                         const legend_item_t *items, size_t n, double x0,
                         double x1, double y0)
{
    double em = f->pt * 4.0 / 3.0, x = x0, y = y0, r = 0.3 * em;
    fputs("# legend\n", fp);
    for (size_t i = 0; i < n; i++) {
        double w = 2.2 * em + graft_chart_text_px(items[i].text, f->pt, 0);
        if (x > x0 && x + w > x1) {
            x = x0;
            y += chart_line_px(f->pt);
        }
        double cx = x + 0.8 * em;
        if (items[i].marker == 2)
            fprintf(fp,
                    "set arrow from screen %.4f, screen %.4f to screen %.4f, "
                    "screen %.4f nohead lw 4 lc rgb '%s' front\n",
                    chart_sx(f, x), chart_sy(f, y), chart_sx(f, x + 1.6 * em),
                    chart_sy(f, y), CHART_VERMILLION);
        else
            fprintf(fp,
                    "set object circle at screen %.4f, screen %.4f size "
                    "screen %.4f fc rgb '%s' fs %s lw 2 front\n",
                    chart_sx(f, cx), chart_sy(f, y), chart_sx(f, r),
                    items[i].marker ? CHART_BLUE : CHART_TEXT,
                    items[i].marker ? "solid 1.0 noborder" : "empty border");
        graft_chart_screen_text(fp, f, items[i].text, x + 2.0 * em, y, f->pt,
                                "left", 0, CHART_TEXT);
        x += w + 1.2 * em;
    }
}

/* ---- data and plot ---------------------------------------------------- */

static void write_dat(FILE *dat, const db_row_t *rows, size_t n,
                      const chart_data_t *d)
{
    graft_chart_dat_title(dat, "dumbbell", d,
                          "percent (changes in percentage points)");
    fputs("# row y baseline followup change ci_low ci_high kind label\n"
          "# kind: 0 no significant change, 1 significant, 2 not "
          "comparable,\n#       3 no baseline estimate, 4 no follow-up "
          "estimate\n"
          "# label: the row's tic label, \\n between its lines\n",
          dat);
    for (size_t i = 0; i < n; i++) {
        const db_row_t *r = &rows[i];
        graft_chart_dat_full(dat, i + 1, d->domains[r->domain], r->cut);
        fprintf(dat, "%zu %.2f", i + 1, r->y);
        graft_chart_dat_num(dat, r->base);
        graft_chart_dat_num(dat, r->follow);
        graft_chart_dat_num(dat, r->diff);
        graft_chart_dat_num(dat, r->lo);
        graft_chart_dat_num(dat, r->hi);
        fprintf(dat, " %d", (int)r->kind);
        graft_chart_dat_text(dat, r->lines, r->n_lines);
        fputc('\n', dat);
    }
}

static void range_of(const db_row_t *rows, size_t n, int change, double *lo,
                     double *hi)
{
    *lo = change ? 0 : INFINITY;
    *hi = change ? 0 : -INFINITY;
    for (size_t i = 0; i < n; i++) {
        const double v[3] = {change ? rows[i].lo : rows[i].base,
                             change ? rows[i].hi : rows[i].follow,
                             change ? rows[i].diff : rows[i].base};
        for (size_t k = 0; k < 3; k++)
            if (isfinite(v[k])) {
                *lo = fmin(*lo, v[k]);
                *hi = fmax(*hi, v[k]);
            }
    }
    if (!isfinite(*lo)) {
        *lo = 0;
        *hi = 1;
    }
}

/* x range LO..HI widened to whole tick steps, and the tics.  GRID_ARROWS:
 * draw the grid as back arrows (gnuplot's grid would cross the opaque
 * boxes of boxed labels). */
static void axis_setup(FILE *fp, double lo, double hi, int percent,
                       const char *unit, int grid_arrows)
{
    double step = graft_chart_nice_step(hi - lo, 5);
    lo = floor(lo / step + 1e-9) * step;
    hi = ceil(hi / step - 1e-9) * step;
    for (double t = lo + step; grid_arrows && t < hi - step / 2; t += step)
        if (fabs(t) > step / 2)
            fprintf(fp,
                    "set arrow from first %.4g, graph 0 to first %.4g, graph "
                    "1 back nohead lc rgb '#e5e5e5'\n",
                    t, t);
    fprintf(fp, "set xrange [%.4f:%.4f]\n", lo, hi);
    fprintf(fp,
            "set xtics %.4g, %.4g, %.4g nomirror out scale 0.5 format '%s' "
            "tc rgb '%s'\n",
            ceil(lo / step - 1e-9) * step, step, hi,
            percent ? unit
                    : graft_chart_tic_format(0, fmax(fabs(lo), fabs(hi))),
            CHART_TEXT);
}

typedef struct db_layout {
    double left, split, gap, right, top, bottom, axis, em;
} db_layout_t;

static void write_left_panel(FILE *fp, const chart_frame_t *f,
                             const db_layout_t *L, const db_row_t *rows,
                             size_t n, const chart_data_t *d, double y_top)
{
    double lo, hi;
    range_of(rows, n, 0, &lo, &hi);
    double pad = (hi - lo) * 0.04;
    lo = d->percent && lo - pad < 0 ? 0 : lo - pad;
    hi += pad;
    graft_chart_frame_margins(fp, f, L->left, f->W - L->split, L->top,
                              L->bottom);
    axis_setup(fp, lo, hi, d->percent, "%g %%", 0);
    fprintf(fp, "set yrange [0.4:%.2f]\n", y_top + 0.6);
    fputs("set ytics nomirror scale 0 tc rgb '#333333'\n", fp);
    if (d->all != CHART_NONE && n > 1)
        fprintf(fp,
                "set arrow from graph 0, first %.2f to graph 1, first %.2f "
                "nohead dt 3 lc rgb '%s'\n",
                y_top - 0.8, y_top - 0.8, CHART_GREY);
    fprintf(fp,
            "# the domains: tic labels read from the data (column 9)\n"
            "plot datafile using (0):2:ytic(9) with points pt -1 notitle, \\\n"
            "     datafile using ($8 == 0 ? $3 : NaN):2:($4 - $3):(0) with "
            "vectors nohead lw 2 lc rgb '#b0b0b0' notitle, \\\n"
            "     datafile using ($8 == 2 ? $3 : NaN):2:($4 - $3):(0) with "
            "vectors nohead lw 2 dt 2 lc rgb '#b0b0b0' notitle, \\\n"
            "     datafile using ($8 == 1 ? $3 : NaN):2:($4 - $3):(0) with "
            "vectors nohead lw 5 lc rgb '%s' notitle, \\\n"
            "     datafile using 3:2 with points pt 6 ps 1.6 lw 2 lc rgb '%s' "
            "notitle, \\\n"
            "     datafile using 4:2 with points pt 7 ps 1.7 lc rgb '%s' "
            "notitle\n",
            CHART_VERMILLION, CHART_TEXT, CHART_BLUE);
}

static void write_right_panel(FILE *fp, const chart_frame_t *f,
                              const db_layout_t *L, const db_row_t *rows,
                              size_t n, const chart_data_t *d, double y_top)
{
    double lo, hi;
    range_of(rows, n, 1, &lo, &hi);
    double pad = (hi - lo) * 0.04;
    fputs("# the change, with its confidence interval\n"
          "unset label\nunset arrow\nunset object\nunset ytics\n"
          "unset grid\nset style textbox opaque noborder\n",
          fp);
    graft_chart_frame_margins(fp, f, L->split + L->gap, L->right, L->top,
                              L->bottom);
    axis_setup(fp, lo - pad, hi + pad, d->percent, "%g", 1);
    fprintf(fp, "set yrange [0.4:%.2f]\n", y_top + 0.6);
    fprintf(fp,
            "set arrow from first 0, graph 0 to first 0, graph 1 back nohead lw "
            "1.5 lc rgb '%s'\n",
            CHART_SOFT);
    fprintf(fp,
            "plot datafile using ($8 == 0 ? $5 : NaN):2:6:7 with xerrorbars "
            "pt 7 ps 1.2 lw 1.5 lc rgb '#8c8c8c' notitle, \\\n"
            "     datafile using ($8 == 1 ? $5 : NaN):2:6:7 with xerrorbars "
            "pt 7 ps 1.3 lw 2 lc rgb '%s' notitle",
            CHART_VERMILLION);
    int other = 0;
    for (size_t i = 0; i < n; i++)
        other |= rows[i].kind >= DB_NOT_COMPARABLE;
    if (other) {
        fputs(", \\\n     datafile using ($8 >= 2 ? 0 : NaN):2:($8 == 2 ? "
              "'not comparable' : $8 == 3 ? 'no baseline estimate' : "
              "'no follow-up estimate') with labels boxed center font ",
              fp);
        graft_chart_font(fp, f, f->pt_small, 0, 1);
        fprintf(fp, " tc rgb '%s' notitle", CHART_SOFT);
    }
    fputc('\n', fp);
}

static graft_error_t frame_text(const graft_chart_spec_t *spec,
                                const chart_data_t *d, chart_frame_t *f,
                                graft_diag_t *diag)
{
    const char *label = graft_chart_indicator_label(spec, d->indicator);
    const char *b = spec->baseline_label ? spec->baseline_label : "baseline";
    const char *a = spec->followup_label ? spec->followup_label : "follow-up";
    char title[1400], n_text[96] = "", nb[32], nf[32], note[2][400];
    const char *notes[2] = {note[0], note[1]};
    size_t n_notes = 0;
    snprintf(title, sizeof title, "%s, by %s: %s to %s",
             label ? label : d->indicator, *d->by ? d->by : "domain", b, a);
    const chart_cell_t *all = d->all != CHART_NONE ? chart_cell(d, d->all, 0)
                                                   : NULL;
    if (all && isfinite(all->n) && isfinite(all->n2))
        snprintf(n_text, sizeof n_text, "%s and %s",
                 graft_chart_fmt_count(nb, sizeof nb, all->n),
                 graft_chart_fmt_count(nf, sizeof nf, all->n2));
    int not_comparable = 0;
    for (size_t i = 0; i < d->n_domains; i++)
        not_comparable |= chart_cell(d, i, 0)->not_comparable;
    if (not_comparable)
        snprintf(note[n_notes++], sizeof note[0],
                 "Not comparable (dashed): the question wording differs "
                 "between the rounds, so the change is not tested.");
    return graft_chart_frame_text(
        f, spec, title, graft_chart_indicator_question(spec, d->indicator),
        notes, n_notes, graft_chart_source(spec, NULL, *n_text ? n_text : NULL),
        diag);
}

/* Wrap the row labels; the widest line and the most lines per label. */
static int label_rows(const chart_data_t *d, const chart_frame_t *f,
                      db_row_t *rows, size_t n, double *widest, size_t *most)
{
    *widest = 0;
    *most = 1;
    for (size_t i = 0; i < n; i++) {
        double w;
        rows[i].lines =
            graft_chart_label_lines(d->domains[rows[i].domain], NULL,
                                    0.3 * f->W, f->pt, CHART_TIC_MAX_LINES,
                                    &rows[i].n_lines, &w,
                                    &rows[i].cut);
        if (!rows[i].lines)
            return 0;
        *widest = fmax(*widest, w);
        *most = rows[i].n_lines > *most ? rows[i].n_lines : *most;
    }
    return 1;
}

/* The body: legend, axis titles, both panels. */
static void write_body(FILE *fp, const graft_chart_spec_t *spec,
                       const chart_frame_t *f, const db_layout_t *L,
                       const legend_item_t *items, const db_row_t *rows,
                       size_t n, const chart_data_t *d, double y_top)
{
    char level[32], xl[2][200];
    graft_chart_fmt_level(level, sizeof level, spec);
    snprintf(xl[0], sizeof xl[0], "%s", d->percent ? "Percent" : "Estimate");
    snprintf(xl[1], sizeof xl[1], "%s (%s %% CI)",
             d->percent ? "Change, % points" : "Change", level);
    fputs("set multiplot\nunset key\nset border 1 lc rgb '#555555'\n"
          "set grid xtics lt 1 lc rgb '#e5e5e5'\n",
          fp);
    graft_chart_frame_labels(fp, f);
    write_legend(fp, f, items, 3, L->left, f->W - L->right,
                 f->top_px + 0.5 * chart_line_px(f->pt));
    double label_y = f->H - L->bottom + 3.1 * L->em;
    graft_chart_screen_text(fp, f, xl[0], (L->left + L->split) / 2, label_y,
                            f->pt, "center", 0, CHART_TEXT);
    graft_chart_screen_text(fp, f, xl[1],
                            (L->split + L->gap + f->W - L->right) / 2, label_y,
                            f->pt, "center", 0, CHART_TEXT);
    write_left_panel(fp, f, L, rows, n, d, y_top);
    write_right_panel(fp, f, L, rows, n, d, y_top);
    fputs("unset multiplot\n", fp);
}

graft_error_t graft_chart_dumbbell_write(const graft_chart_spec_t *spec,
                                         const chart_data_t *d,
                                         chart_doc_t *doc, graft_diag_t *diag)
{
    chart_frame_t *f = &doc->frame;
    size_t n = 0, most = 1;
    double y_top = 0, widest = 0;
    char sig[200];
    FILE *body = NULL, *dat = NULL;
    db_row_t *rows = make_rows(d, &n, &y_top);
    graft_error_t rc;
    if (!rows)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if ((rc = graft_chart_frame_init(f, spec, 1000, diag)) ||
        (rc = frame_text(spec, d, f, diag)))
        goto done;
    if (!label_rows(d, f, rows, n, &widest, &most)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = graft_chart_label_check(rows[i].lines, rows[i].n_lines, spec,
                                          diag)))
            goto done;
    db_layout_t L;
    L.em = f->pt * 4.0 / 3.0;
    L.left = L.em + widest + 0.8 * L.em;
    L.right = 1.5 * L.em;
    L.split = L.left + 0.58 * (f->W - L.left - L.right);
    L.gap = 0.07 * (f->W - L.left - L.right);
    L.axis = 3.9 * L.em;
    significance_text(sig, sizeof sig, spec);
    legend_item_t items[3] = {
        {spec->baseline_label ? spec->baseline_label : "Baseline", 0},
        {spec->followup_label ? spec->followup_label : "Follow-up", 1},
        {sig, 2}};
    int legend = legend_rows(f, items, 3, L.left, f->W - L.right);
    double legend_px = legend * chart_line_px(f->pt) + 0.4 * L.em;
    double row_px = fmax(2.2 * L.em, (most + 0.9) * chart_line_px(f->pt));
    /* at least the 4 em graft_chart_frame_check() asks for (one row) */
    graft_chart_frame_set_height(
        f, spec, legend_px + fmax((y_top + 0.2) * row_px, 4 * L.em) + L.axis);
    L.top = f->top_px + legend_px;
    L.bottom = f->bottom_px + L.axis;
    if ((rc = graft_chart_frame_check(f, L.left, L.right, L.top, L.bottom,
                                      diag)))
        goto done;
    if (!graft_chart_doc_open(doc, &body, &dat)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    write_body(body, spec, f, &L, items, rows, n, d, y_top);
    write_dat(dat, rows, n, d);
    rc = graft_chart_doc_close(body, dat, diag);
done:
    free_rows(rows, n);
    return rc;
}
