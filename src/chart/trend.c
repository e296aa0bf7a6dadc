/*
 * chart/trend.c - one line per domain across rounds, from a trend file's
 * `estimate` rows.
 *
 * x is each round's year (spec->years) or, without years, the rounds
 * evenly spaced in file order; tic labels are the round labels (with the
 * year under them).  Every estimate carries its CI whisker; the domains
 * are nudged apart on x so whiskers do not hide each other.  The All line
 * is black and thicker; the others take the Okabe-Ito colours and a
 * marker shape each (so colour is never the only cue).  Suppressed
 * estimates are not drawn (a gap in the line, listed in a footnote);
 * estimates flagged for review get an open marker and a footnote.  The
 * legend, right of the plot, lists the domains by their last value.
 */
#include "chart/chart_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const line_colors[] = {
    CHART_BLUE,   CHART_ORANGE, CHART_GREEN,  CHART_VERMILLION,
    CHART_SKY,    CHART_PURPLE, "#B8A800" /* Okabe-Ito yellow, darkened
                                             to be seen on white */};
/* filled marker, its open twin is one less */
static const int line_points[] = {7, 5, 9, 13, 11, 15, 7};
#define N_STYLES (sizeof line_colors / sizeof *line_colors)

typedef struct trend_line {
    size_t domain;
    double last;      /* last drawn value, for the legend order */
    char *label;      /* cleaned */
} trend_line_t;

static int by_last(const void *a, const void *b)
{
    const trend_line_t *x = a, *y = b;
    int fx = isfinite(x->last), fy = isfinite(y->last);
    if (fx != fy)
        return fy - fx;
    if (fx && x->last != y->last)
        return x->last < y->last ? 1 : -1;
    return x->domain < y->domain ? -1 : x->domain > y->domain;
}

/* Drawn value of the cell (NaN when suppressed or missing). */
static double drawn(const chart_data_t *d, const chart_cell_t *c)
{
    if (!c->present || c->flag == CHART_FLAG_SUPPRESS)
        return NAN;
    return chart_scaled(d, c->est);
}

/* The lines drawn (domains with at least one drawn estimate): All
 * first, the others by their last value.  *N gets their number. */
static trend_line_t *make_lines(const chart_data_t *d, size_t *n_out)
{
    trend_line_t *lines = calloc(d->n_domains ? d->n_domains : 1,
                                 sizeof *lines);
    size_t n = 0;
    *n_out = 0;
    if (!lines)
        return NULL;
    for (size_t k = 0; k < d->n_domains; k++) {
        size_t dom = k == 0 && d->all != CHART_NONE ? d->all
                     : d->all != CHART_NONE && k <= d->all ? k - 1
                                                          : k;
        trend_line_t *l = &lines[n];
        l->domain = dom;
        l->last = NAN;
        for (size_t r = 0; r < d->n_series; r++) {
            double v = drawn(d, chart_cell(d, dom, r));
            if (isfinite(v))
                l->last = v;
        }
        if (!isfinite(l->last))
            continue;
        if (!(l->label = graft_chart_clean(d->domains[dom]))) {
            for (size_t i = 0; i < n; i++)
                free(lines[i].label);
            free(lines);
            return NULL;
        }
        n++;
    }
    size_t first = n && lines[0].domain == d->all ? 1 : 0;
    qsort(lines + first, n - first, sizeof *lines, by_last);
    *n_out = n;
    return lines;
}

static void free_lines(trend_line_t *lines, size_t n)
{
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i].label);
    free(lines);
}

/* Append "TEXT" to BUF (SIZE bytes, USED so far), separated by SEP. */
static void append(char *buf, size_t size, size_t *used, const char *sep,
                   const char *text)
{
    int k = snprintf(buf + *used, size - *used, "%s%s", *used ? sep : "",
                     text);
    if (k > 0 && (size_t)k < size - *used)
        *used += (size_t)k;
}

/* The footnote on suppressed estimates: "every round of A, B; C in
 * Round 7, Round 8"; "" when none. */
static void suppressed_note(const chart_data_t *d, char *buf, size_t size)
{
    char every[1200] = "", some[1200] = "";
    size_t ue = 0, us = 0;
    for (size_t i = 0; i < d->n_domains; i++) {
        char rounds[600] = "";
        size_t ur = 0, hidden = 0;
        for (size_t r = 0; r < d->n_series; r++) {
            const chart_cell_t *c = chart_cell(d, i, r);
            if (c->present && c->flag == CHART_FLAG_SUPPRESS) {
                append(rounds, sizeof rounds, &ur, ", ", d->series[r]);
                hidden++;
            }
        }
        if (hidden == 0)
            continue;
        if (hidden == d->n_series && d->n_series > 1) {
            append(every, sizeof every, &ue, ", ", d->domains[i]);
        } else {
            char item[1300];
            snprintf(item, sizeof item, "%s in %s", d->domains[i], rounds);
            append(some, sizeof some, &us, "; ", item);
        }
    }
    size_t used = 0;
    buf[0] = '\0';
    if (*every) {
        char item[1300];
        snprintf(item, sizeof item, "every round of %s", every);
        append(buf, size, &used, "; ", item);
    }
    if (*some)
        append(buf, size, &used, "; ", some);
}

static int any_review(const chart_data_t *d)
{
    for (size_t i = 0; i < d->n_domains * d->n_series; i++)
        if (d->cells[i].present && d->cells[i].flag == CHART_FLAG_REVIEW)
            return 1;
    return 0;
}

static int line_has_review(const chart_data_t *d, size_t domain)
{
    for (size_t r = 0; r < d->n_series; r++) {
        const chart_cell_t *c = chart_cell(d, domain, r);
        if (c->present && c->flag == CHART_FLAG_REVIEW && isfinite(c->est))
            return 1;
    }
    return 0;
}

/* x position of round R. */
static double round_x(const graft_chart_spec_t *spec, size_t r)
{
    return spec->years ? spec->years[r] : (double)(r + 1);
}

/* The tic label of round R: its label (cleaned, ROUNDS), and its year
 * under it. */
static size_t round_label(const graft_chart_spec_t *spec,
                          char *const *rounds, size_t r, char *year,
                          size_t size, char *parts[2])
{
    parts[0] = rounds[r];
    if (!spec->years)
        return 1;
    snprintf(year, size, "%.10g", spec->years[r]);
    parts[1] = year;
    return 2;
}

static void write_dat(FILE *dat, const graft_chart_spec_t *spec,
                      const chart_data_t *d, const trend_line_t *lines,
                      size_t n, char *const *rounds)
{
    graft_chart_dat_title(dat, "trend", d, "percent");
    fputs("# one block per line (gnuplot index 0, 1, ...), in legend "
          "order\n# x estimate ci_low ci_high kind (0 reliable, 1 flagged "
          "for review)\n# suppressed estimates are NaN: not drawn\n",
          dat);
    for (size_t i = 0; i < n; i++) {
        fprintf(dat, "%s# line %zu\n", i ? "\n\n" : "", i + 1);
        for (size_t r = 0; r < d->n_series; r++) {
            const chart_cell_t *c = chart_cell(d, lines[i].domain, r);
            double v = drawn(d, c);
            fprintf(dat, "%.4f", round_x(spec, r));
            graft_chart_dat_num(dat, v);
            graft_chart_dat_num(dat,
                                isfinite(v) ? chart_scaled(d, c->lo) : NAN);
            graft_chart_dat_num(dat,
                                isfinite(v) ? chart_scaled(d, c->hi) : NAN);
            fprintf(dat, " %d\n", c->flag == CHART_FLAG_REVIEW);
        }
    }
    fprintf(dat, "%s# the rounds' tic labels (index %zu): x label, \\n "
                 "between its lines\n",
            n ? "\n\n" : "", n);
    for (size_t r = 0; r < d->n_series; r++) {
        char year[32], *parts[2];
        size_t k = round_label(spec, rounds, r, year, sizeof year, parts);
        fprintf(dat, "%.4f", round_x(spec, r));
        graft_chart_dat_text(dat, parts, k);
        fputc('\n', dat);
    }
}

/* y range over everything drawn, whiskers included. */
static void y_range(const chart_data_t *d, double *lo, double *hi)
{
    *lo = d->percent ? 0 : INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < d->n_domains * d->n_series; i++) {
        const chart_cell_t *c = &d->cells[i];
        if (!isfinite(drawn(d, c)))
            continue;
        double v[3] = {chart_scaled(d, c->est), chart_scaled(d, c->lo),
                       chart_scaled(d, c->hi)};
        for (size_t k = 0; k < 3; k++)
            if (isfinite(v[k])) {
                *lo = fmin(*lo, v[k]);
                *hi = fmax(*hi, v[k]);
            }
    }
    if (!isfinite(*hi) || !isfinite(*lo)) {
        *lo = 0;
        *hi = d->percent ? 100 : 1;
    }
    double step = graft_chart_nice_step(*hi - *lo, 5);
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
    if (d->percent && *hi > 100)
        *hi = 100;
}

static void write_xtics(FILE *fp)
{
    fputs("set xtics nomirror out scale 0.5 tc rgb '#222222'\n", fp);
}

/* Colour, marker and dash type of legend line I (past seven domains the
 * colours repeat with another dash pattern). */
static void line_style(const chart_data_t *d, const trend_line_t *lines,
                       size_t i, const char **color, int *pt, int *dt)
{
    int all = lines[i].domain == d->all;
    size_t k = all ? 0 : i - (d->all != CHART_NONE && lines[0].domain == d->all);
    *color = all ? CHART_BLACK : line_colors[k % N_STYLES];
    *pt = all ? 7 : line_points[k % N_STYLES];
    *dt = all ? 1 : 1 + (int)((k / N_STYLES) % 4);
}

/* The clauses of line I: its whiskers, its line, its open markers. */
static void write_whiskers(FILE *fp, const chart_data_t *d,
                           const trend_line_t *lines, size_t i, double off)
{
    const char *color;
    int pt, dt;
    line_style(d, lines, i, &color, &pt, &dt);
    fprintf(fp,
            "datafile index %zu using ($1 %+.4f):2:3:4 with yerrorbars pt -1 "
            "lw 1.2 lc rgb '%s' notitle",
            i, off, color);
}

static void write_line(FILE *fp, const chart_data_t *d,
                       const trend_line_t *lines, size_t i, double off,
                       int titled)
{
    const char *color;
    int pt, dt;
    line_style(d, lines, i, &color, &pt, &dt);
    fprintf(fp,
            "datafile index %zu using ($1 %+.4f):2 with linespoints lw %d "
            "dt %d pt %d ps 1.3 lc rgb '%s' ",
            i, off, lines[i].domain == d->all ? 3 : 2, dt, pt, color);
    if (titled) {
        fputs("title ", fp);
        graft_chart_quote(fp, lines[i].label);
    } else {
        fputs("notitle", fp);
    }
}

static void write_open_markers(FILE *fp, const chart_data_t *d,
                               const trend_line_t *lines, size_t i,
                               double off)
{
    const char *color;
    int pt, dt;
    line_style(d, lines, i, &color, &pt, &dt);
    fprintf(fp,
            "datafile index %zu using ($1 %+.4f):($5 == 1 ? $2 : NaN) with "
            "points pt %d ps 1.1 lc rgb '#ffffff' notitle, \\\n     "
            "datafile index %zu using ($1 %+.4f):($5 == 1 ? $2 : NaN) with "
            "points pt %d ps 1.3 lw 2 lc rgb '%s' notitle",
            i, off, pt, i, off, pt - 1, color);
}

/* Whiskers first (gnuplot's errorbars blank the point they are drawn
 * at), then the lines, the All line last (on top) but first in the legend
 * (a keyentry), then open markers for the estimates flagged for review. */
static void write_plot(FILE *fp, const chart_data_t *d,
                       const trend_line_t *lines, size_t n, double dodge,
                       double y)
{
    const char *sep = ", \\\n     ";
    int all = n > 0 && lines[0].domain == d->all;
    fprintf(fp,
            "# the rounds (tic labels read from the data), whiskers, lines "
            "(titles are\n# quoted strings), open markers\n"
            "plot datafile index %zu using 1:(%.4f):xtic(2) with points pt -1 "
            "notitle",
            n, y);
    for (size_t i = 0; i < n; i++) {
        fputs(sep, fp);
        write_whiskers(fp, d, lines, i,
                       ((double)i - (double)(n - 1) / 2) * dodge);
    }
    if (all)
        fprintf(fp, "%skeyentry with linespoints lw 3 dt 1 pt 7 ps 1.3 lc rgb "
                    "'%s' title ",
                sep, CHART_BLACK);
    if (all)
        graft_chart_quote(fp, lines[0].label);
    for (size_t k = 0; k < n; k++) {
        size_t i = all ? (k + 1) % n : k; /* the All line last */
        fputs(sep, fp);
        write_line(fp, d, lines, i, ((double)i - (double)(n - 1) / 2) * dodge,
                   !(all && i == 0));
    }
    for (size_t i = 0; i < n; i++) {
        if (!line_has_review(d, lines[i].domain))
            continue;
        fputs(sep, fp);
        write_open_markers(fp, d, lines, i,
                           ((double)i - (double)(n - 1) / 2) * dodge);
    }
    fputc('\n', fp);
}

static graft_error_t frame_text(const graft_chart_spec_t *spec,
                                const chart_data_t *d, chart_frame_t *f,
                                graft_diag_t *diag)
{
    const char *label = graft_chart_indicator_label(spec, d->indicator);
    char title[1400], supp[1800], notes[2][2000], level[32];
    const char *note_ptr[2] = {notes[0], notes[1]};
    size_t n_notes = 0;
    snprintf(title, sizeof title, "%s%s%s", label ? label : d->indicator,
             *d->by ? ", by " : "", d->by);
    suppressed_note(d, supp, sizeof supp);
    if (*supp)
        snprintf(notes[n_notes++], sizeof notes[0],
                 "Not drawn, too unreliable (suppressed): %s.", supp);
    if (any_review(d)) {
        char *rules = graft_chart_flag_rules(d, CHART_FLAG_REVIEW);
        if (!rules)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        snprintf(notes[n_notes++], sizeof notes[0],
                 "Open markers: estimate unreliable: %s.", rules);
        free(rules);
    }
    char *source = spec->source ? graft_chart_source(spec, NULL, NULL) : NULL;
    if (!spec->source) {
        char buf[600];
        const char *slash = strrchr(spec->input, '/');
        snprintf(buf, sizeof buf,
                 "Source: %s. Whiskers: %s %% confidence intervals, "
                 "design-based.",
                 slash ? slash + 1 : spec->input,
                 graft_chart_fmt_level(level, sizeof level, spec));
        source = graft_chart_clean(buf);
    }
    return graft_chart_frame_text(
        f, spec, title, graft_chart_indicator_question(spec, d->indicator),
        note_ptr, n_notes, source, diag);
}

typedef struct trend_layout {
    double em, left, right, caption, axis;
    double x0, x1, gap, lo, hi, dodge;
} trend_layout_t;

/* Ranges, margins and the nudge between lines. */
static void layout(const graft_chart_spec_t *spec, const chart_data_t *d,
                   const chart_frame_t *f, const trend_line_t *lines,
                   size_t n, trend_layout_t *L)
{
    double widest = 0;
    char tick[64];
    L->em = f->pt * 4.0 / 3.0;
    for (size_t i = 0; i < n; i++)
        widest = fmax(widest, graft_chart_text_px(lines[i].label, f->pt, 0));
    widest = fmin(widest, 0.35 * f->W);
    L->x0 = round_x(spec, 0);
    L->x1 = round_x(spec, d->n_series - 1);
    y_range(d, &L->lo, &L->hi);
    L->gap = d->n_series > 1 ? (L->x1 - L->x0) / (double)(d->n_series - 1)
                             : 1;
    for (size_t r = 1; r < d->n_series; r++)
        L->gap = fmin(L->gap, round_x(spec, r) - round_x(spec, r - 1));
    L->dodge = n > 1 ? 0.3 * L->gap / (double)(n - 1) : 0;
    double big = fabs(L->lo) > fabs(L->hi) ? L->lo : L->hi;
    snprintf(tick, sizeof tick, graft_chart_tic_format(d->percent, big), big);
    L->left = L->em + graft_chart_text_px(tick, f->pt, 0) + 0.8 * L->em;
    L->right = 2.2 * L->em + 4 * L->em + widest;
    L->caption = 1.3 * chart_line_px(f->pt);
    L->axis = (spec->years ? 3.4 : 2.4) * L->em;
}

static void write_axes(FILE *fp, const graft_chart_spec_t *spec,
                       const chart_data_t *d, const chart_frame_t *f,
                       const trend_layout_t *L)
{
    char level[32], cap[200];
    snprintf(cap, sizeof cap, "%s; whiskers: %s %% confidence intervals",
             d->percent ? "Percent" : "Estimate",
             graft_chart_fmt_level(level, sizeof level, spec));
    graft_chart_frame_margins(fp, f, L->left, L->right, f->top_px + L->caption,
                              f->bottom_px + L->axis);
    graft_chart_frame_labels(fp, f);
    graft_chart_screen_text(fp, f, cap, L->left, f->top_px + 0.5 * L->caption,
                            f->pt, "left", 0, CHART_SOFT);
    fprintf(fp,
            "set border 3 lc rgb '#555555'\n"
            "set grid ytics lt 1 lc rgb '#e5e5e5'\n"
            "set xrange [%.4f:%.4f]\nset yrange [%.4f:%.4f]\n",
            L->x0 - 0.35 * L->gap, L->x1 + 0.35 * L->gap, L->lo, L->hi);
    fprintf(fp,
            "set ytics nomirror out scale 0.5 format '%s' tc rgb '#222222'\n",
            graft_chart_tic_format(d->percent, fmax(fabs(L->lo), fabs(L->hi))));
    write_xtics(fp);
    fprintf(fp,
            "set key at screen %.4f, screen %.4f left top Left reverse "
            "samplen 2.5 spacing 1.3 width 1 tc rgb '#222222'\n"
            "set bars 0.6\n",
            chart_sx(f, f->W - L->right + 1.2 * L->em),
            chart_sy(f, f->top_px + L->caption));
}

static graft_error_t check_years(const graft_chart_spec_t *spec,
                                 const chart_data_t *d, graft_diag_t *diag)
{
    if (spec->years && spec->n_years != d->n_series)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, spec->input, 0, 0,
                              "--years gives %zu years for %zu rounds",
                              spec->n_years, d->n_series);
    for (size_t r = 1; spec->years && r < spec->n_years; r++)
        if (!(spec->years[r] > spec->years[r - 1]))
            return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                                  "--years must increase, round by round");
    return GRAFT_OK;
}

graft_error_t graft_chart_trend_write(const graft_chart_spec_t *spec,
                                      const chart_data_t *d, chart_doc_t *doc,
                                      graft_diag_t *diag)
{
    chart_frame_t *f = &doc->frame;
    size_t n = 0;
    FILE *body = NULL, *dat = NULL;
    char **rounds = NULL; /* the round labels, cleaned */
    trend_layout_t L;
    graft_error_t rc = check_years(spec, d, diag);
    if (rc)
        return rc;
    trend_line_t *lines = make_lines(d, &n);
    if (!lines)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if ((rc = graft_chart_frame_init(f, spec, 1000, diag)) ||
        (rc = frame_text(spec, d, f, diag)))
        goto done;
    rounds = calloc(d->n_series ? d->n_series : 1, sizeof *rounds);
    for (size_t r = 0; rounds && r < d->n_series; r++)
        if (!(rounds[r] = graft_chart_clean(d->series[r]))) {
            graft_chart_lines_free(rounds, r);
            rounds = NULL;
        }
    if (!rounds) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    for (size_t r = 0; r < d->n_series; r++) {
        char year[32], *parts[2];
        size_t k = round_label(spec, rounds, r, year, sizeof year, parts);
        if ((rc = graft_chart_label_check(parts, k, spec, diag)))
            goto done;
    }
    layout(spec, d, f, lines, n, &L);
    graft_chart_frame_set_height(f, spec, L.caption + 24 * L.em + L.axis);
    if ((rc = graft_chart_frame_check(f, L.left, L.right, f->top_px + L.caption,
                                      f->bottom_px + L.axis, diag)))
        goto done;
    if (!graft_chart_doc_open(doc, &body, &dat)) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        goto done;
    }
    write_axes(body, spec, d, f, &L);
    write_plot(body, d, lines, n, L.dodge, L.lo);
    write_dat(dat, spec, d, lines, n, rounds);
    rc = graft_chart_doc_close(body, dat, diag);
done:
    graft_chart_lines_free(rounds, rounds ? d->n_series : 0);
    free_lines(lines, n);
    return rc;
}
