/*
 * chart/heatmap.c - domains (rows) by indicators (columns), from an
 * estimates file with several indicators: each cell coloured by its
 * estimate (a light-to-blue ramp of the Okabe-Ito blues), the value printed
 * in it with its confidence interval under it.  Suppressed cells grey with
 * no number; cells flagged for review "*" and a footnote; cells the file
 * lacks pale with "n/a".  The All row on top, set apart.
 */
#include "chart/chart_internal.h"
#include "graft/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum hm_kind {
    HM_OK = 0,
    HM_REVIEW = 1,
    HM_SUPPRESSED = 2,
    HM_MISSING = 3
};

#define HM_SUPPRESSED_FILL "#D4D4D4"
#define HM_MISSING_FILL "#F2F2F2"

typedef struct hm_layout {
    double em, left, right, top, bottom, cell_w, row_px, header_px;
    size_t n_rows;       /* domains drawn */
    double y_top;        /* y of the top row */
    char ***headers;     /* wrapped column headers */
    size_t *n_header;
    char ***rows;        /* wrapped row labels, in drawing order */
    size_t *n_row;
    int *cut_row;        /* the row label was cut (CHART_LABEL_MAX_LINES) */
    size_t *order;       /* domain of each drawn row, top first */
} hm_layout_t;

static enum hm_kind kind_of(const chart_cell_t *c)
{
    if (!c->present)
        return HM_MISSING;
    if (c->flag == CHART_FLAG_SUPPRESS)
        return HM_SUPPRESSED;
    if (!isfinite(c->est))
        return HM_MISSING;
    return c->flag == CHART_FLAG_REVIEW ? HM_REVIEW : HM_OK;
}

static double row_y(const hm_layout_t *L, size_t i, const chart_data_t *d)
{
    /* rows top down; the All row (first when present) a quarter row up */
    int all = d->all != CHART_NONE;
    if (all && i == 0)
        return L->y_top;
    return (double)(L->n_rows - i);
}

static void layout_free(hm_layout_t *L, const chart_data_t *d)
{
    for (size_t j = 0; L->headers && j < d->n_series; j++)
        graft_chart_lines_free(L->headers[j], L->n_header[j]);
    for (size_t i = 0; L->rows && i < L->n_rows; i++)
        graft_chart_lines_free(L->rows[i], L->n_row[i]);
    free(L->headers);
    free(L->n_header);
    free(L->rows);
    free(L->n_row);
    free(L->cut_row);
    free(L->order);
}

/* Column headers (labels from the analysis file, else the names) wrapped
 * to the cell width; row labels wrapped to 30 % of the width. */
static int layout_text(const graft_chart_spec_t *spec, const chart_data_t *d,
                       const chart_frame_t *f, hm_layout_t *L)
{
    size_t C = d->n_series, most = 1;
    double widest = 0, w;
    L->n_rows = d->n_domains;
    L->headers = calloc(C, sizeof *L->headers);
    L->n_header = calloc(C, sizeof *L->n_header);
    L->rows = calloc(L->n_rows, sizeof *L->rows);
    L->n_row = calloc(L->n_rows, sizeof *L->n_row);
    L->cut_row = calloc(L->n_rows, sizeof *L->cut_row);
    L->order = calloc(L->n_rows, sizeof *L->order);
    if (!L->headers || !L->n_header || !L->rows || !L->n_row || !L->order ||
        !L->cut_row)
        return 0;
    size_t k = 0;
    if (d->all != CHART_NONE)
        L->order[k++] = d->all;
    for (size_t i = 0; i < d->n_domains; i++)
        if (i != d->all)
            L->order[k++] = i;
    for (size_t i = 0; i < L->n_rows; i++) {
        L->rows[i] = graft_chart_label_lines(
            d->domains[L->order[i]], NULL, 0.3 * f->W, f->pt,
            CHART_TIC_MAX_LINES, &L->n_row[i], &w, &L->cut_row[i]);
        if (!L->rows[i])
            return 0;
        widest = fmax(widest, w);
    }
    L->left = L->em + widest + 0.8 * L->em;
    L->right = 7 * L->em;
    L->cell_w = spec->width ? (f->W - L->left - L->right) / (double)C
                            : 6.6 * L->em;
    for (size_t j = 0; j < C; j++) {
        const char *label = graft_chart_indicator_label(spec, d->series[j]);
        L->headers[j] = graft_chart_label_lines(
            label ? label : d->series[j], NULL, L->cell_w - 0.5 * L->em,
            f->pt_small, CHART_HEADER_MAX_LINES, &L->n_header[j], &w, NULL);
        if (!L->headers[j])
            return 0;
        most = L->n_header[j] > most ? L->n_header[j] : most;
    }
    L->header_px = most * chart_line_px(f->pt_small) + 0.5 * L->em;
    return 1;
}

static void write_dat(FILE *dat, const chart_data_t *d, const hm_layout_t *L)
{
    fprintf(dat, "# graft heatmap data, values in %s\n",
            d->percent ? "percent" : "the file's units");
    fputs("# column row estimate ci_low ci_high kind label\n"
          "# kind: 0 reliable, 1 flagged for review, 2 suppressed (not "
          "shown), 3 no estimate\n"
          "# label: the row's tic label, \\n between its lines\n",
          dat);
    for (size_t i = 0; i < L->n_rows; i++) {
        graft_chart_dat_full(dat, i + 1, d->domains[L->order[i]],
                             L->cut_row[i]);
        for (size_t j = 0; j < d->n_series; j++) {
            const chart_cell_t *c = chart_cell(d, L->order[i], j);
            enum hm_kind k = kind_of(c);
            int shown = k == HM_OK || k == HM_REVIEW;
            fprintf(dat, "%zu %.2f", j + 1, row_y(L, i, d));
            graft_chart_dat_num(dat, shown ? chart_scaled(d, c->est) : NAN);
            graft_chart_dat_num(dat, shown ? chart_scaled(d, c->lo) : NAN);
            graft_chart_dat_num(dat, shown ? chart_scaled(d, c->hi) : NAN);
            fprintf(dat, " %d", (int)k);
            graft_chart_dat_text(dat, L->rows[i], L->n_row[i]);
            fputc('\n', dat);
        }
    }
}

static double max_value(const chart_data_t *d)
{
    double hi = 0;
    for (size_t i = 0; i < d->n_domains * d->n_series; i++) {
        enum hm_kind k = kind_of(&d->cells[i]);
        if (k == HM_OK || k == HM_REVIEW)
            hi = fmax(hi, chart_scaled(d, d->cells[i].est));
    }
    return hi > 0 ? hi : 1;
}

static void write_axes(FILE *fp, const chart_frame_t *f, const hm_layout_t *L,
                       const chart_data_t *d, double cb_max)
{
    size_t C = d->n_series;
    fprintf(fp,
            "unset key\nunset border\nunset xtics\n"
            "set xrange [0.5:%.1f]\nset yrange [0.5:%.2f]\n",
            (double)C + 0.5, L->y_top + 0.5);
    fputs("set ytics nomirror scale 0 tc rgb '#333333'\n"
          "# column headers\n",
          fp);
    double lh = chart_line_px(f->pt_small);
    for (size_t j = 0; j < C; j++)
        for (size_t k = 0; k < L->n_header[j]; k++) {
            double y = L->top - L->header_px + 0.2 * L->em +
                       (double)k * lh + lh / 2;
            fputs("set label ", fp);
            graft_chart_quote(fp, L->headers[j][k]);
            fprintf(fp, " at first %zu, screen %.4f center font ", j + 1,
                    chart_sy(f, y));
            graft_chart_font(fp, f, f->pt_small, 0, 0);
            fprintf(fp, " tc rgb '%s' front\n", CHART_TEXT);
        }
    fprintf(fp,
            "set palette defined (0 '#F4F9FD', 0.45 '%s', 1 '%s')\n"
            "set cbrange [0:%.4g]\n"
            "set cbtics out scale 0.5 format '%s' tc rgb '#222222'\n"
            "set colorbox user origin screen %.4f, screen %.4f size screen "
            "%.4f, screen %.4f noborder\n",
            CHART_SKY, CHART_BLUE, cb_max,
            graft_chart_tic_format(d->percent, cb_max),
            chart_sx(f, f->W - L->right + 1.2 * L->em),
            chart_sy(f, f->H - L->bottom), chart_sx(f, 0.9 * L->em),
            (f->H - L->bottom - L->top) / f->H);
}

static void write_plot(FILE *fp, const chart_frame_t *f, const chart_data_t *d,
                       double cb_max)
{
    const char *box = "with boxxyerror fs solid 1.0 border lc rgb '#ffffff' "
                      "lw 3";
    double dark = 0.6 * cb_max;
    const char *fmt = d->percent ? "%.1f" : graft_chart_value_format(0, cb_max);
    fprintf(fp,
            "# the rows: tic labels read from the data (column 7, of each "
            "row's first cell)\n"
            "plot datafile every %zu using (0):2:ytic(7) with points pt -1 "
            "notitle, \\\n"
            "     datafile using 1:2:(0.5):(0.5):($6 < 2 ? $3 : NaN) %s fc "
            "palette notitle, \\\n"
            "     datafile using 1:2:(0.5):($6 == 2 ? 0.5 : NaN) %s fc rgb "
            "'%s' notitle, \\\n"
            "     datafile using 1:2:(0.5):($6 == 3 ? 0.5 : NaN) %s fc rgb "
            "'%s' notitle",
            d->n_series, box, box, HM_SUPPRESSED_FILL, box,
            HM_MISSING_FILL);
    for (int white = 0; white < 2; white++) {
        const char *color = white ? "#ffffff" : CHART_TEXT;
        const char *test = white ? ">=" : "<";
        fprintf(fp,
                ", \\\n     datafile using ($6 < 2 && $3 %s %.4g ? $1 : NaN):"
                "($2 + 0.14):(sprintf('%s%%s', $3, $6 == 1 ? '*' : '')) "
                "with labels center font ",
                test, dark, fmt);
        graft_chart_font(fp, f, f->pt, 1, 0);
        fprintf(fp, " tc rgb '%s' notitle", color);
        fprintf(fp,
                ", \\\n     datafile using ($6 < 2 && $3 %s %.4g && $4 == $4 ? "
                "$1 : NaN):($2 - 0.2):(sprintf('%s–%s', $4, $5)) with labels "
                "center font ",
                test, dark, fmt, fmt);
        graft_chart_font(fp, f, f->pt_small, 0, 0);
        fprintf(fp, " tc rgb '%s' notitle", color);
    }
    fprintf(fp,
            ", \\\n     datafile using ($6 == 3 ? $1 : NaN):2:('n/a') with "
            "labels center tc rgb '%s' notitle\n",
            CHART_SOFT);
}

static graft_error_t frame_text(const graft_chart_spec_t *spec,
                                const chart_data_t *d, chart_frame_t *f,
                                graft_diag_t *diag)
{
    char title[1400], notes[4][2300], level[32];
    const char *note_ptr[4] = {notes[0], notes[1], notes[2], notes[3]};
    size_t n_notes = 0;
    const char *atitle = spec->analysis ? spec->analysis->title : NULL;
    snprintf(title, sizeof title, "%s%s%s", atitle ? atitle : "Estimates",
             *d->by ? ", by " : "", d->by);
    char *review, *suppress;
    graft_error_t rc = graft_chart_flag_notes(d, &review, &suppress, diag);
    if (rc != GRAFT_OK)
        return rc;
    snprintf(notes[n_notes++], sizeof notes[0],
             "Each cell: the estimate%s and its %s %% confidence interval.",
             d->percent ? " in percent" : "",
             graft_chart_fmt_level(level, sizeof level, spec));
    if (*suppress)
        snprintf(notes[n_notes++], sizeof notes[0],
                 "Grey cells: suppressed as too unreliable to show: %s.",
                 suppress);
    if (*review)
        snprintf(notes[n_notes++], sizeof notes[0],
                 "* Estimate unreliable: %s.", review);
    free(review);
    free(suppress);
    if (d->n_dropped) {
        size_t used = (size_t)snprintf(notes[n_notes], sizeof notes[0],
                                       "Not shown (not proportions): ");
        for (size_t i = 0; i < d->n_dropped && used < sizeof notes[0]; i++) {
            int k = snprintf(notes[n_notes] + used, sizeof notes[0] - used,
                             "%s%s", i ? ", " : "", d->dropped[i]);
            used += k > 0 ? (size_t)k : 0;
        }
        if (used + 2 < sizeof notes[0])
            strcat(notes[n_notes], ".");
        n_notes++;
    }
    return graft_chart_frame_text(f, spec, title, NULL, note_ptr, n_notes,
                                  graft_chart_source(spec, d->round, NULL),
                                  diag);
}

graft_error_t graft_chart_heatmap_write(const graft_chart_spec_t *spec,
                                        const chart_data_t *d, chart_doc_t *doc,
                                        graft_diag_t *diag)
{
    chart_frame_t *f = &doc->frame;
    hm_layout_t L;
    FILE *body = NULL, *dat = NULL;
    graft_error_t rc;
    memset(&L, 0, sizeof L);
    if ((rc = graft_chart_frame_init(f, spec, 1000, diag)))
        return rc;
    L.em = f->pt * 4.0 / 3.0;
    if (!layout_text(spec, d, f, &L)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    for (size_t i = 0; i < L.n_rows; i++)
        if ((rc = graft_chart_label_check(L.rows[i], L.n_row[i], spec, diag)))
            goto done;
    if (!spec->width)
        f->W = fmax(640, ceil(L.left + L.cell_w * (double)d->n_series +
                              L.right));
    if ((rc = frame_text(spec, d, f, diag)))
        goto done;
    size_t most = 1;
    for (size_t i = 0; i < L.n_rows; i++)
        most = L.n_row[i] > most ? L.n_row[i] : most;
    L.row_px = fmax(2.7 * L.em, (most + 0.8) * chart_line_px(f->pt));
    int all = d->all != CHART_NONE;
    L.y_top = all ? (double)L.n_rows + 0.25 : (double)L.n_rows;
    /* at least the 4 em graft_chart_frame_check() asks for (one row) */
    graft_chart_frame_set_height(
        f, spec, L.header_px + fmax(L.y_top * L.row_px, 4 * L.em) + 0.8 * L.em);
    L.top = f->top_px + L.header_px;
    L.bottom = f->bottom_px + 0.8 * L.em;
    if ((rc = graft_chart_frame_check(f, L.left, L.right, L.top, L.bottom,
                                      diag)))
        goto done;
    double cb_max = graft_chart_nice_step(max_value(d), 1);
    cb_max = ceil(max_value(d) / (cb_max / 5)) * (cb_max / 5);
    if (!graft_chart_doc_open(doc, &body, &dat)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    graft_chart_frame_margins(body, f, L.left, L.right, L.top, L.bottom);
    graft_chart_frame_labels(body, f);
    write_axes(body, f, &L, d, cb_max);
    write_plot(body, f, d, cb_max);
    write_dat(dat, d, &L);
    rc = graft_chart_doc_close(body, dat, diag);
done:
    layout_free(&L, d);
    return rc;
}
