/*
 * chart/bar.c - horizontal bars by domain, from an estimates file.
 *
 * Domains sorted by estimate (largest on top); suppressed estimates and
 * domains without one at the bottom, labelled, with "suppressed" (or "no
 * estimate") where the bar would be.  The All row on top, darker, below it
 * a dotted rule.  Whiskers: the confidence interval; the value printed
 * right of the whisker; "(n=..)" after each label.  Estimates flagged for
 * review: hatched bar, "*" after the value, footnote naming the rule.
 */
#include "chart/chart_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum bar_kind {
    BAR_DOMAIN = 0,
    BAR_ALL = 1,
    BAR_DOMAIN_REVIEW = 2,
    BAR_ALL_REVIEW = 3,
    BAR_SUPPRESSED = 4,
    BAR_NONE = 5 /* no estimate */
};

typedef struct bar_row {
    size_t domain;
    enum bar_kind kind;
    double est, lo, hi, n; /* as drawn (percent or raw) */
    double y;
    char **lines;          /* the label, wrapped */
    size_t n_lines;
    double label_px;
    int cut;               /* the label was cut (CHART_LABEL_MAX_LINES) */
} bar_row_t;

/* Drawn rows by estimate, descending; then suppressed and empty ones in
 * file order. */
static int by_estimate(const void *a, const void *b)
{
    const bar_row_t *x = a, *y = b;
    return chart_row_order(x->kind >= BAR_SUPPRESSED, x->est, x->domain,
                           y->kind >= BAR_SUPPRESSED, y->est, y->domain);
}

static enum bar_kind kind_of(const chart_cell_t *c, int all)
{
    if (!c->present || !isfinite(c->est))
        return c->flag == CHART_FLAG_SUPPRESS ? BAR_SUPPRESSED : BAR_NONE;
    if (c->flag == CHART_FLAG_SUPPRESS)
        return BAR_SUPPRESSED;
    if (c->flag == CHART_FLAG_REVIEW)
        return all ? BAR_ALL_REVIEW : BAR_DOMAIN_REVIEW;
    return all ? BAR_ALL : BAR_DOMAIN;
}

/* The rows, sorted, with their y positions (1 at the bottom). */
static bar_row_t *make_rows(const chart_data_t *d, size_t *n_rows,
                            double *y_top)
{
    bar_row_t *rows = calloc(d->n_domains, sizeof *rows);
    size_t n = 0;
    if (!rows)
        return NULL;
    for (size_t i = 0; i < d->n_domains; i++) {
        const chart_cell_t *c = chart_cell(d, i, 0);
        bar_row_t *r = &rows[n++];
        r->domain = i;
        r->kind = kind_of(c, i == d->all);
        r->est = chart_scaled(d, c->est);
        r->lo = chart_scaled(d, c->lo);
        r->hi = chart_scaled(d, c->hi);
        r->n = c->n;
    }
    /* the All row first, the others sorted after it */
    for (size_t i = 0; i < n; i++)
        if (rows[i].domain == d->all && i > 0) {
            bar_row_t all = rows[i];
            memmove(rows + 1, rows, i * sizeof *rows);
            rows[0] = all;
        }
    *y_top = chart_place_rows(rows, n, sizeof *rows, offsetof(bar_row_t, y),
                              d->all != CHART_NONE, by_estimate);
    *n_rows = n;
    return rows;
}

static void free_rows(bar_row_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        graft_chart_lines_free(rows[i].lines, rows[i].n_lines);
    free(rows);
}

/* Wrap each "Label (n=108)" to at most MAX_PX; the widest in *WIDEST. */
static int label_rows(const chart_data_t *d, bar_row_t *rows, size_t n,
                      double max_px, double pt, double *widest,
                      size_t *most_lines)
{
    *widest = 0;
    *most_lines = 1;
    for (size_t i = 0; i < n; i++) {
        char tail[64] = "", count[32];
        if (isfinite(rows[i].n))
            snprintf(tail, sizeof tail, " (n=%s)",
                     graft_chart_fmt_count(count, sizeof count, rows[i].n));
        rows[i].lines = graft_chart_label_lines(
            d->domains[rows[i].domain], tail, max_px, pt, CHART_TIC_MAX_LINES,
            &rows[i].n_lines,
            &rows[i].label_px, &rows[i].cut);
        if (!rows[i].lines)
            return 0;
        if (rows[i].label_px > *widest)
            *widest = rows[i].label_px;
        if (rows[i].n_lines > *most_lines)
            *most_lines = rows[i].n_lines;
    }
    return 1;
}

/* The value text drawn beside a bar (as the script's sprintf makes it). */
static double value_px(const bar_row_t *r, int percent, double pt)
{
    char buf[64];
    if (r->kind == BAR_SUPPRESSED)
        return graft_chart_text_px("suppressed", pt, 0);
    if (r->kind == BAR_NONE)
        return graft_chart_text_px("no estimate", pt, 0);
    if (percent)
        snprintf(buf, sizeof buf, "%.1f %%*", r->est);
    else
        graft_chart_fmt_value(buf, sizeof buf, r->est, 0);
    return graft_chart_text_px(buf, pt, 0) + graft_chart_text_px("*", pt, 0);
}

/* x range: from 0 (or the lowest bound) to room for every value text. */
static void x_range(const bar_row_t *rows, size_t n, int percent, double pt,
                    double plot_px, double *xmin, double *xmax)
{
    double lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        const bar_row_t *r = &rows[i];
        if (r->kind >= BAR_SUPPRESSED)
            continue;
        double a = isfinite(r->lo) ? fmin(r->lo, r->est) : r->est;
        double b = isfinite(r->hi) ? fmax(r->hi, r->est) : r->est;
        lo = fmin(lo, a);
        hi = fmax(hi, b);
    }
    if (!(hi > lo))
        hi = lo + (percent ? 10 : 1);
    double span = hi - lo, need = span;
    double gap = pt * 4.0 / 3.0 * 0.6;
    for (size_t i = 0; i < n; i++) {
        const bar_row_t *r = &rows[i];
        double at = r->kind >= BAR_SUPPRESSED ? 0
                    : isfinite(r->hi)         ? fmax(r->hi, r->est)
                                              : r->est;
        double room = plot_px - gap - value_px(r, percent, pt);
        if (room > plot_px * 0.2)
            need = fmax(need, (at - lo) * plot_px / room);
    }
    *xmin = lo;
    *xmax = lo + need * 1.02;
}

static void write_dat(FILE *dat, const bar_row_t *rows, size_t n,
                      const chart_data_t *d)
{
    graft_chart_dat_title(dat, "bar", d, "percent");
    fputs("# row y estimate ci_low ci_high kind text_x label\n"
          "# kind: 0 domain, 1 All, 2 domain flagged for review, 3 All "
          "flagged,\n#       4 suppressed, 5 no estimate\n"
          "# label: the row's tic label, \\n between its lines\n",
          dat);
    for (size_t i = 0; i < n; i++) {
        const bar_row_t *r = &rows[i];
        graft_chart_dat_full(dat, i + 1, d->domains[r->domain], r->cut);
        double tx = r->kind >= BAR_SUPPRESSED ? 0
                    : isfinite(r->hi)         ? fmax(r->hi, r->est)
                                              : r->est;
        fprintf(dat, "%zu %.2f", i + 1, r->y);
        graft_chart_dat_num(dat, r->kind >= BAR_SUPPRESSED ? NAN : r->est);
        graft_chart_dat_num(dat, r->kind >= BAR_SUPPRESSED ? NAN : r->lo);
        graft_chart_dat_num(dat, r->kind >= BAR_SUPPRESSED ? NAN : r->hi);
        fprintf(dat, " %d", (int)r->kind);
        graft_chart_dat_num(dat, tx);
        graft_chart_dat_text(dat, r->lines, r->n_lines);
        fputc('\n', dat);
    }
}

static int any_kind(const bar_row_t *rows, size_t n, enum bar_kind a,
                    enum bar_kind b)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].kind == a || rows[i].kind == b)
            return 1;
    return 0;
}

/* The next `plot` clause (the first, the tic labels, is written by
 * write_body()). */
static void clause(FILE *fp)
{
    fputs(", \\\n     ", fp);
}

static void write_plot(FILE *fp, const chart_frame_t *f, const bar_row_t *rows,
                       size_t n, int percent, double xmax)
{
    const double h = 0.34;
    static const struct {
        enum bar_kind kind;
        const char *color, *style;
    } bars[] = {
        {BAR_DOMAIN, CHART_SKY, "fs solid 1.0 noborder"},
        {BAR_ALL, CHART_BLUE, "fs solid 1.0 noborder"},
        {BAR_DOMAIN_REVIEW, CHART_SKY, "fs pattern 4 border lc rgb '" CHART_SKY "'"},
        {BAR_ALL_REVIEW, CHART_BLUE, "fs pattern 4 border lc rgb '" CHART_BLUE "'"},
    };
    for (size_t b = 0; b < sizeof bars / sizeof *bars; b++) {
        if (!any_kind(rows, n, bars[b].kind, bars[b].kind))
            continue;
        clause(fp);
        fprintf(fp,
                "datafile using (0):2:(0):($6 == %d ? $3 : NaN):($2 - %.2f):"
                "($2 + %.2f) with boxxyerror fc rgb '%s' %s notitle",
                (int)bars[b].kind, h, h, bars[b].color, bars[b].style);
    }
    if (any_kind(rows, n, BAR_DOMAIN, BAR_ALL) ||
        any_kind(rows, n, BAR_DOMAIN_REVIEW, BAR_ALL_REVIEW)) {
        clause(fp);
        fprintf(fp, "datafile using 3:2:4:5 with xerrorbars pt -1 lw 1.5 "
                    "lc rgb '%s' notitle",
                CHART_TEXT);
        clause(fp);
        fprintf(fp,
                "datafile using ($6 < 4 ? $7 : NaN):2:(sprintf('%s%%s', $3, "
                "$6 == 2 || $6 == 3 ? '*' : '')) with labels left offset "
                "char 0.6,0 tc rgb '%s' notitle",
                graft_chart_value_format(percent, xmax), CHART_TEXT);
    }
    for (int k = BAR_SUPPRESSED; k <= BAR_NONE; k++) {
        if (!any_kind(rows, n, (enum bar_kind)k, (enum bar_kind)k))
            continue;
        clause(fp);
        fprintf(fp,
                "datafile using ($6 == %d ? $7 : NaN):2:('%s') with labels "
                "left offset char 0.6,0 font ",
                k, k == BAR_SUPPRESSED ? "suppressed" : "no estimate");
        graft_chart_font(fp, f, f->pt, 0, 1);
        fprintf(fp, " tc rgb '%s' notitle", CHART_SOFT);
    }
    fputc('\n', fp);
}

static void write_body(FILE *fp, const chart_frame_t *f, const bar_row_t *rows,
                       size_t n, const chart_data_t *d, double y_top,
                       double xmin, double xmax)
{
    graft_chart_frame_labels(fp, f);
    fputs("unset key\nset border 1 lc rgb '#555555'\n", fp);
    fprintf(fp, "set xrange [%.4f:%.4f]\nset yrange [0.4:%.2f]\n", xmin,
            xmax, y_top + 0.6);
    double step = graft_chart_nice_step(xmax - xmin, 6);
    double end = d->percent && xmax > 100 ? 100 : xmax;
    fprintf(fp,
            "set xtics %.4g, %.4g, %.4g nomirror out scale 0.5 format '%s' "
            "tc rgb '%s'\n",
            ceil(xmin / step) * step, step, end,
            graft_chart_tic_format(d->percent, xmax), CHART_TEXT);
    fprintf(fp, "set grid xtics lt 1 lc rgb '#e5e5e5'\n");
    fputs("set ytics nomirror scale 0 tc rgb '#333333'\n", fp);
    if (d->all != CHART_NONE && n > 1)
        fprintf(fp,
                "set arrow from graph 0, first %.2f to graph 1, first %.2f "
                "nohead dt 3 lc rgb '%s'\n",
                y_top - 0.8, y_top - 0.8, CHART_GREY);
    fputs("set bars 1.5\n"
          "# the domains: tic labels read from the data (column 8)\n"
          "plot datafile using (0):2:ytic(8) with points pt -1 notitle",
          fp);
    write_plot(fp, f, rows, n, d->percent, xmax);
}

/* Footnotes: flagged and suppressed estimates. */
static graft_error_t notes_for(const chart_data_t *d, char notes[2][2300],
                               size_t *n_notes, graft_diag_t *diag)
{
    char *review, *suppress;
    *n_notes = 0;
    graft_error_t rc = graft_chart_flag_notes(d, &review, &suppress, diag);
    if (rc != GRAFT_OK)
        return rc;
    if (*review)
        snprintf(notes[(*n_notes)++], 2300,
                 "* Hatched bar: estimate unreliable: %s.", review);
    if (*suppress)
        snprintf(notes[(*n_notes)++], 2300,
                 "Suppressed as too unreliable to show: %s.", suppress);
    free(review);
    free(suppress);
    return GRAFT_OK;
}

/* Title (the indicator's label and the by-variable), subtitle (the
 * question), footnotes and source line. */
static graft_error_t frame_text(const graft_chart_spec_t *spec,
                                const chart_data_t *d, chart_frame_t *f,
                                graft_diag_t *diag)
{
    char notes[2][2300], title[1200], count[32];
    const char *note_ptr[2] = {notes[0], notes[1]};
    size_t n_notes = 0;
    graft_error_t rc = notes_for(d, notes, &n_notes, diag);
    if (rc)
        return rc;
    const char *label = graft_chart_indicator_label(spec, d->indicator);
    snprintf(title, sizeof title, "%s%s%s", label ? label : d->indicator,
             *d->by ? ", by " : "", d->by);
    const chart_cell_t *all = d->all != CHART_NONE ? chart_cell(d, d->all, 0)
                                                   : NULL;
    char *source = graft_chart_source(
        spec, d->round,
        all && isfinite(all->n)
            ? graft_chart_fmt_count(count, sizeof count, all->n)
            : NULL);
    return graft_chart_frame_text(
        f, spec, title, graft_chart_indicator_question(spec, d->indicator),
        note_ptr, n_notes, source, diag);
}

graft_error_t graft_chart_bar_write(const graft_chart_spec_t *spec,
                                    const chart_data_t *d, chart_doc_t *doc,
                                    graft_diag_t *diag)
{
    chart_frame_t *f = &doc->frame;
    size_t n = 0, most_lines;
    double y_top = 0, widest, xmin, xmax;
    char xlabel[200], level[32];
    FILE *body = NULL, *dat = NULL;
    bar_row_t *rows = make_rows(d, &n, &y_top);
    graft_error_t rc = GRAFT_OK;
    if (!rows)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if ((rc = graft_chart_frame_init(f, spec, 1000, diag)) ||
        (rc = frame_text(spec, d, f, diag)))
        goto done;
    if (!label_rows(d, rows, n, 0.4 * f->W, f->pt, &widest, &most_lines)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = graft_chart_label_check(rows[i].lines, rows[i].n_lines, spec,
                                          diag)))
            goto done;
    double em = f->pt * 4.0 / 3.0;
    double left = em + widest + 0.8 * em, right = 1.2 * em, axis = 3.9 * em;
    double row_px = fmax(2.3 * em, (most_lines + 0.9) * chart_line_px(f->pt));
    /* at least the plot height graft_chart_frame_check() asks for (4 em):
     * a single row without an All row would be shorter */
    double plot_px = fmax((y_top + 0.2) * row_px, 4 * em);
    graft_chart_frame_set_height(f, spec, plot_px + axis);
    if ((rc = graft_chart_frame_check(f, left, right, f->top_px,
                                      f->bottom_px + axis, diag)))
        goto done;
    if (!graft_chart_doc_open(doc, &body, &dat)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    x_range(rows, n, d->percent, f->pt, f->W - left - right, &xmin, &xmax);
    snprintf(xlabel, sizeof xlabel, "%s; whiskers: %s %% confidence intervals",
             d->percent ? "Percent" : "Estimate",
             graft_chart_fmt_level(level, sizeof level, spec));
    graft_chart_frame_margins(body, f, left, right, f->top_px,
                              f->bottom_px + axis);
    graft_chart_screen_text(body, f, xlabel, left + (f->W - left - right) / 2,
                            f->H - f->bottom_px - axis + 3.1 * em, f->pt,
                            "center", 0, CHART_TEXT);
    write_body(body, f, rows, n, d, y_top, xmin, xmax);
    write_dat(dat, rows, n, d);
    rc = graft_chart_doc_close(body, dat, diag);
done:
    free_rows(rows, n);
    return rc;
}
