/*
 * chart_internal.h - what the chart modules share: the data drawn (read
 * and selected by chart/data.c), text measuring and quoting for gnuplot
 * (chart/text.c), the page frame every chart has (chart/frame.c), one
 * script writer per kind (chart/bar.c, chart/dumbbell.c, chart/trend.c,
 * chart/heatmap.c) and the gnuplot runner (chart/gnuplot.c).
 *
 * Nothing here is public: graft/chart.h is the module's interface.  The
 * functions are global symbols of libgraft.a and so carry graft_chart_;
 * the types and inline helpers, never linked, keep a short chart_.
 */
#ifndef GRAFT_CHART_INTERNAL_H
#define GRAFT_CHART_INTERNAL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "graft/chart.h"

#define CHART_NONE ((size_t)-1)

/* ---- the data drawn (chart/data.c) ----------------------------------- */

typedef enum chart_flag {
    CHART_FLAG_OK = 0,       /* reliable */
    CHART_FLAG_REVIEW = 1,   /* drawn, marked unreliable ("review", others) */
    CHART_FLAG_SUPPRESS = 2  /* not drawn ("suppress...") */
} chart_flag_t;

typedef struct chart_cell {
    int present;          /* the file has a row for this domain and series */
    double est, lo, hi;   /* estimate and interval; dumbbell: the change */
    double base, follow;  /* dumbbell: the two rounds' estimates */
    double n, n2;         /* n (dumbbell: n_baseline, n_followup) */
    int significant;      /* dumbbell: change is increase or decrease */
    int not_comparable;   /* dumbbell: change is "not comparable" */
    chart_flag_t flag;
    char *flag_text;      /* the flag column ("" when reliable) */
} chart_cell_t;

typedef struct chart_data {
    char *indicator;      /* bar, dumbbell, trend: the indicator drawn */
    char *by;             /* the by-variable(s) as named, "" for none */
    char **domains;       /* domain labels, file order ("A / B" for two) */
    size_t n_domains;
    size_t all;           /* index of the All row, or CHART_NONE */
    char **series;        /* heatmap: indicators; trend: round labels;
                             bar, dumbbell: the indicator */
    size_t n_series;
    char **dropped;       /* heatmap: indicators left out (not
                             proportions) */
    size_t n_dropped;
    chart_cell_t *cells;  /* [domain * n_series + series] */
    int percent;          /* draw values times 100, in percent */
    char *round;          /* bar, heatmap: the round drawn, or NULL */
} chart_data_t;

/* Read SPEC->input and select what SPEC->kind draws.  Errors as
 * graft_chart_render() documents them. */
graft_error_t graft_chart_data_load(const graft_chart_spec_t *spec,
                                    chart_data_t **out, graft_diag_t *diag);
void graft_chart_data_free(chart_data_t *d);

/* The first line of a chart's .dat file: "# graft KIND chart data:
 * indicator NAME, values in PERCENT" (or "the file's units" when D's
 * values are not percentages). */
void graft_chart_dat_title(FILE *dat, const char *kind, const chart_data_t *d,
                           const char *percent);

static inline chart_cell_t *chart_cell(const chart_data_t *d, size_t domain,
                                       size_t series)
{
    return &d->cells[domain * d->n_series + series];
}

/* ---- text (chart/text.c) --------------------------------------------- */

/* A copy of S fit for one line of a chart: control characters become
 * spaces, invalid UTF-8 bytes '?', surrounding spaces trimmed.  NULL when
 * out of memory (or S is NULL). */
char *graft_chart_clean(const char *s);

/* Write S as a gnuplot string expression whose value is S for every byte
 * sequence: single-quoted runs, each quote as . "\047" . between them
 * (never ''); control characters as spaces.  Never to be used where
 * gnuplot reads a format (tic labels: see graft_chart_dat_text()). */
void graft_chart_quote(FILE *fp, const char *s);

/* Write " " and the N lines as one double-quoted data-file field that
 * gnuplot reads back as the lines joined by newlines, for every byte
 * sequence (\0042 for ", \\ for \).  Tic labels go through the data
 * file (ytic(), xtic()): gnuplot uses a label given in the script as a
 * printf format when it holds a %, one read from data never. */
void graft_chart_dat_text(FILE *fp, char *const *lines, size_t n);
/* The bytes of that field.  gnuplot cuts a data-file string field past
 * 1024 bytes (MAX_LINE_LEN): graft refuses one over CHART_DAT_TEXT_MAX. */
#define CHART_DAT_TEXT_MAX 1000
size_t graft_chart_dat_text_len(char *const *lines, size_t n);

/* Write S after "# " on a comment line: control characters as spaces and
 * no trailing backslash (which would continue the comment). */
void graft_chart_comment(FILE *fp, const char *s);

/* Width in pixels of S in a sans-serif font of PT points (DejaVu Sans
 * advance widths, the widest common sans; bold adds 8 %). */
double graft_chart_text_px(const char *s, double pt, int bold);

/* Split S into lines no wider than MAX_PX at PT points, at spaces (a word
 * longer than a line is cut).  Returns the number of lines and stores a
 * malloc'd array of malloc'd lines in *LINES, or 0 (out of memory) with
 * *LINES NULL.  An empty S gives no lines. */
size_t graft_chart_wrap(const char *s, double max_px, double pt, int bold,
                        char ***lines);
void graft_chart_lines_free(char **lines, size_t n);

/* "33.1 %" (PERCENT: V is a fraction) or "1.84" into BUF. */
char *graft_chart_fmt_value(char *buf, size_t size, double v, int percent);
/* V with thousands separators, "1,906". */
char *graft_chart_fmt_count(char *buf, size_t size, double v);

/* A tick step of 1, 2, 2.5 or 5 times a power of ten giving about
 * TARGET ticks over SPAN. */
double graft_chart_nice_step(double span, int target);

/* ---- the page frame (chart/frame.c) ---------------------------------- */

typedef struct chart_frame {
    graft_chart_format_t format;
    double W, H;            /* pixels */
    char family[128];       /* font family */
    double pt;              /* base font size, points */
    double pt_title, pt_small;
    char **title, **sub;    /* wrapped title and subtitle lines */
    size_t n_title, n_sub;
    char **notes, **src;    /* wrapped footnote and source lines */
    size_t n_notes, n_src;
    double top_px;          /* height of the title block */
    double bottom_px;       /* height of the footnote and source block */
    double natural_h;       /* the height the chart would take unasked */
} chart_frame_t;

/* Sizes in pixels of text of PT points: the line height. */
static inline double chart_line_px(double pt) { return pt * 4.0 / 3.0 * 1.3; }

/* Set up F for SPEC (format, size, font): the width is SPEC's or
 * DEFAULT_W; the height SPEC's, else fixed later by
 * graft_chart_frame_set_height().  Fails with GRAFT_ERR_USAGE (bad font). */
graft_error_t graft_chart_frame_init(chart_frame_t *f,
                                     const graft_chart_spec_t *spec,
                                     double default_w, graft_diag_t *diag);
/* Wrap and keep the title (SPEC's, else TITLE), the subtitle (SPEC's,
 * else SUBTITLE; may be NULL or ""), footnotes (may be none) and the
 * source line SOURCE, which it frees (NULL: allocating it failed).  Fails
 * with GRAFT_ERR_NOMEM. */
graft_error_t graft_chart_frame_text(chart_frame_t *f,
                                     const graft_chart_spec_t *spec,
                                     const char *title, const char *subtitle,
                                     const char *const *notes, size_t n_notes,
                                     char *source, graft_diag_t *diag);
void graft_chart_frame_free(chart_frame_t *f);
/* Fix the height (when SPEC gave none): the title block, EXTRA_PX of
 * the kind's own (plot area, axes, legend), the footnote block. */
void graft_chart_frame_set_height(chart_frame_t *f,
                                  const graft_chart_spec_t *spec,
                                  double extra_px);
/* Is the plot area left by the margins (pixels) big enough?  Fails with
 * GRAFT_ERR_USAGE suggesting a size that is. */
graft_error_t graft_chart_frame_check(const chart_frame_t *f, double left,
                                      double right, double top, double bottom,
                                      graft_diag_t *diag);
/* "family,size" for PT points (BOLD/ITALIC styles), SVG sizes scaled. */
void graft_chart_font(FILE *fp, const chart_frame_t *f, double pt, int bold,
                      int italic);
/* The terminal line. */
void graft_chart_frame_terminal(FILE *fp, const chart_frame_t *f);
/* Title, subtitle, footnotes and source as screen labels; the plot area
 * margins (pixels from each edge) as `set ?margin at screen`. */
void graft_chart_frame_labels(FILE *fp, const chart_frame_t *f);
void graft_chart_frame_margins(FILE *fp, const chart_frame_t *f, double left,
                               double right, double top, double bottom);
/* A text label at pixel X_PX and Y_PX (from the top; the text is centred
 * vertically there), ALIGN "left", "center" or "right", STYLE 0 regular,
 * 1 bold, 2 italic. */
void graft_chart_screen_text(FILE *fp, const chart_frame_t *f, const char *text,
                             double x_px, double y_px, double pt,
                             const char *align, int style, const char *color);
/* Screen coordinates of pixel positions. */
static inline double chart_sx(const chart_frame_t *f, double px)
{
    return px / f->W;
}
static inline double chart_sy(const chart_frame_t *f, double px_from_top)
{
    return 1.0 - px_from_top / f->H;
}

/* The palette (Okabe & Ito 2008, "Color universal design"). */
#define CHART_BLACK "#000000"
#define CHART_ORANGE "#E69F00"
#define CHART_SKY "#56B4E9"
#define CHART_GREEN "#009E73"
#define CHART_YELLOW "#F0E442"
#define CHART_BLUE "#0072B2"
#define CHART_VERMILLION "#D55E00"
#define CHART_PURPLE "#CC79A7"
#define CHART_GREY "#999999"
#define CHART_TEXT "#222222"
#define CHART_SOFT "#555555"

/* ---- the kinds ------------------------------------------------------- */

/* The order of a bar or dumbbell chart's domain rows (for qsort): rows
 * with a value to sort by (MISS 0) first, by value VA, VB descending, then
 * the others; ties in file order (DOMAIN). */
static inline int chart_row_order(int miss_a, double va, size_t dom_a,
                                  int miss_b, double vb, size_t dom_b)
{
    if (miss_a != miss_b)
        return miss_a - miss_b;
    if (!miss_a && va != vb)
        return va < vb ? 1 : -1;
    return dom_a < dom_b ? -1 : dom_a > dom_b;
}

/* The rows of a bar or dumbbell chart are drawn at y = N - i (1 at the
 * bottom); with an All row (FIRST 1) it goes on top, set apart: this y. */
static inline double chart_top_y(size_t n, size_t first)
{
    return (double)(n - first) + (first ? 1.6 : 0);
}

/* Place the N rows of a bar or dumbbell chart (each SIZE bytes, its y a
 * double at Y_OFF): with an All row (FIRST 1, already at ROWS[0]) it stays
 * on top, set apart; the others are sorted with CMP and drawn at y = N - i.
 * Returns the top y (chart_top_y). */
static inline double chart_place_rows(void *rows, size_t n, size_t size,
                                      size_t y_off, size_t first,
                                      int (*cmp)(const void *, const void *))
{
    char *base = rows;
    qsort(base + first * size, n - first, size, cmp);
    for (size_t i = first; i < n; i++) {
        double y = (double)(n - i);
        memcpy(base + i * size + y_off, &y, sizeof y);
    }
    double top = chart_top_y(n, first);
    if (first)
        memcpy(base + y_off, &top, sizeof top);
    return top;
}

/* What a kind writer produces: the script body (everything after the
 * terminal, output and datafile lines) and the data file. */
typedef struct chart_doc {
    chart_frame_t frame;
    char *body;
    size_t body_len;
    char *dat;
    size_t dat_len;
} chart_doc_t;

typedef graft_error_t (*chart_writer_fn)(const graft_chart_spec_t *spec,
                                         const chart_data_t *d,
                                         chart_doc_t *doc,
                                         graft_diag_t *diag);

graft_error_t graft_chart_bar_write(const graft_chart_spec_t *spec,
                                    const chart_data_t *d, chart_doc_t *doc,
                                    graft_diag_t *diag);
graft_error_t graft_chart_dumbbell_write(const graft_chart_spec_t *spec,
                                         const chart_data_t *d,
                                         chart_doc_t *doc, graft_diag_t *diag);
graft_error_t graft_chart_trend_write(const graft_chart_spec_t *spec,
                                      const chart_data_t *d, chart_doc_t *doc,
                                      graft_diag_t *diag);
graft_error_t graft_chart_heatmap_write(const graft_chart_spec_t *spec,
                                        const chart_data_t *d, chart_doc_t *doc,
                                        graft_diag_t *diag);
/* The forest chart reads a model CSV of its own (chart/forest.c): one
 * domain per coefficient but the intercept, est/lo/hi the ratios. */
graft_error_t graft_chart_forest_load(const graft_chart_spec_t *spec,
                                      chart_data_t **out, graft_diag_t *diag);
graft_error_t graft_chart_forest_write(const graft_chart_spec_t *spec,
                                       const chart_data_t *d,
                                       chart_doc_t *doc, graft_diag_t *diag);
/* The power chart reads its own input (a graft plan table): D is NULL. */
graft_error_t graft_chart_power_write(const graft_chart_spec_t *spec,
                                      const chart_data_t *d, chart_doc_t *doc,
                                      graft_diag_t *diag);

/* The sae charts read a `graft sae` CSV of their own (chart/sae.c): D is
 * NULL. */
graft_error_t graft_chart_sae_write(const graft_chart_spec_t *spec,
                                    const chart_data_t *d, chart_doc_t *doc,
                                    graft_diag_t *diag);

/* ---- helpers the kinds share (chart/render.c, chart/frame.c) ----------------- */

/* Open memory streams for DOC's body and data.  Returns 1, or 0 when out
 * of memory (nothing left open). */
int graft_chart_doc_open(chart_doc_t *doc, FILE **body, FILE **dat);
/* Close both streams; GRAFT_ERR_NOMEM when either failed. */
graft_error_t graft_chart_doc_close(FILE *body, FILE *dat, graft_diag_t *diag);

/* GRAFT_OK when the N label LINES fit a data-file field, else
 * GRAFT_ERR_USAGE naming SPEC->input and the label's start (gnuplot
 * would cut it). */
graft_error_t graft_chart_label_check(char *const *lines, size_t n,
                                      const graft_chart_spec_t *spec,
                                      graft_diag_t *diag);

/* The most lines a text wraps to on a chart; a longer text is cut
 * between characters and ends with an ellipsis (U+2026), so that no input
 * makes a chart taller than a few lines per label.  Tic labels (the
 * domains of bar, dumbbell and heatmap charts) keep their full text in a
 * comment of the chart's data file (graft_chart_dat_full); the titles and
 * headers are the analysis file's or the command line's. */
#define CHART_TIC_MAX_LINES 16    /* domains: about 300 px a row */
#define CHART_HEADER_MAX_LINES 6  /* heatmap column headers (indicators) */
#define CHART_TITLE_MAX_LINES 8   /* the title and the subtitle (question) */

/* S (cleaned, see graft_chart_clean) and TAIL (NULL for none; e.g.
 * " (n=108)", kept whole when S is cut) wrapped as graft_chart_wrap()
 * does, cut to at most MAX_LINES (unless TAIL alone takes more): the
 * number of lines in *N (0 for an empty text), *CUT (CUT may be NULL) 1
 * when S was cut.  NULL when out of memory. */
char **graft_chart_wrap_cut(const char *s, const char *tail, double max_px,
                            double pt, int bold, size_t max_lines, size_t *n,
                            int *cut);

/* graft_chart_wrap_cut() of TEXT, TAIL, not bold: at least one line (""
 * for an empty TEXT); the widest line's width in *WIDTH.  NULL when out of
 * memory. */
char **graft_chart_label_lines(const char *text, const char *tail,
                               double max_px, double pt, size_t max_lines,
                               size_t *n, double *width, int *cut);

/* When CUT, a comment line with row ROW's label TEXT in full, for a data
 * file row whose tic label was cut. */
void graft_chart_dat_full(FILE *dat, size_t row, const char *text, int cut);

/* Values as drawn: times 100 for proportions. */
static inline double chart_scaled(const chart_data_t *d, double v)
{
    return d->percent ? 100 * v : v;
}
/* gnuplot formats for axis tics and for printed values of magnitude up
 * to MAX: "%g %%" and "%.1f %%" for percent, else "%g" / "%.0f" (large
 * numbers, never "5e+06"), and 2, 1 or 0 decimals. */
const char *graft_chart_tic_format(int percent, double max);
const char *graft_chart_value_format(int percent, double max);
/* Write V to the data file: %.6f, or NaN. */
void graft_chart_dat_num(FILE *fp, double v);

/* The indicator's label and question from SPEC->analysis, or NULL. */
const char *graft_chart_indicator_label(const graft_chart_spec_t *spec,
                                        const char *name);
const char *graft_chart_indicator_question(const graft_chart_spec_t *spec,
                                           const char *name);
/* The source line: SPEC->source, else "Source: FILE[, ROUND][, n = N].
 * 95 % CI, design-based." (ROUND and N may be NULL).  Malloc'd; NULL when
 * out of memory. */
char *graft_chart_source(const graft_chart_spec_t *spec, const char *round,
                         const char *n);
/* The level in percent, "95". */
char *graft_chart_fmt_level(char *buf, size_t size,
                            const graft_chart_spec_t *spec);
/* Distinct unreliability rules of the flagged cells (REVIEW or SUPPRESS):
 * the flag text after "review: " or "suppress: ", split at "; ",
 * deduplicated, joined by "; " into a malloc'd string ("" when none). */
char *graft_chart_flag_rules(const chart_data_t *d, chart_flag_t which);
/* Both: the REVIEW rules into *REVIEW and the SUPPRESS rules into
 * *SUPPRESS (the caller frees both).  Fails with GRAFT_ERR_NOMEM, nothing
 * left allocated. */
graft_error_t graft_chart_flag_notes(const chart_data_t *d, char **review,
                                     char **suppress, graft_diag_t *diag);

/* ---- gnuplot (chart/gnuplot.c) ---------------------------------------- */

/* Run PROGRAM (a path, or a name posix_spawnp() looks up on PATH) with
 * SCRIPT on its standard input.  Fails with GRAFT_ERR_EXEC naming OUTPUT:
 * gnuplot not found (naming the Debian package), not startable, killed,
 * exiting non-zero or printing an error; DIAG carries its first error
 * line. */
graft_error_t graft_chart_gnuplot_run(const char *program, const char *script,
                                      size_t len, const char *output,
                                      graft_diag_t *diag);

#endif
