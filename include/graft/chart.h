/*
 * graft/chart.h - charts of graft's own CSV outputs, drawn by gnuplot.
 *
 * A chart is made from one CSV that graft wrote: an estimates file (bar
 * and heatmap charts), a comparison file (dumbbell) or a trend file
 * (trend).  The library reads it with graft_read(), lays the chart out
 * (margins from the longest label, wrapped subtitle, footnotes for flagged
 * estimates), writes a gnuplot script and its data, and runs gnuplot as an
 * external program: a bare name looked up on PATH and started with
 * posix_spawnp() (never a shell), the script fed on a pipe to its standard input, its standard
 * error captured.
 *
 * Files: for OUT.png (or .svg, .pdf) the chart goes to OUT.png, the script
 * to OUT.gp and the plotted numbers to OUT.dat (OUT.png and OUT.svg share
 * one OUT.gp and OUT.dat: the last chart drawn wins).  OUT.gp names the
 * chart and the data relative to its own folder (gnuplot 5.4's ARG0), so
 * `gnuplot path/to/OUT.gp` redraws OUT.png from any directory, and the
 * script does not depend on where it was written.  All three files are
 * written to temporaries beside the targets and renamed into place only
 * when gnuplot succeeded: on any error none of them is left behind and
 * existing files are untouched.
 *
 * Labels are data.  Domain names, indicator names, titles and paths reach
 * gnuplot only as single-quoted string literals ('' for a quote, control
 * characters replaced by spaces), in which gnuplot 5.4 expands neither
 * backquotes nor @macros, and every text is drawn with `noenhanced`, so a
 * label prints literally and never runs anything.  (gnuplot's data files
 * cannot carry a double quote inside a string field, so the labels live in
 * the script, as arrays, and OUT.dat holds numbers only.)
 *
 * Units: sizes are pixels for PNG and SVG; a PDF gets the same layout at
 * 96 pixels per inch (1000x600 is 10.42 x 6.25 in).  Font sizes are points
 * as the cairo terminals render them (96 dpi); SVG font sizes are scaled so
 * that the SVG looks like the PNG.
 *
 * Ownership: functions never take ownership of pointer arguments; the spec
 * and everything it points to are borrowed for the duration of the call.
 */
#ifndef GRAFT_CHART_H
#define GRAFT_CHART_H

#include <stddef.h>
#include "graft/error.h"

struct graft_analysis;

typedef enum graft_chart_kind {
    /* Horizontal bars by domain from an estimates CSV, sorted by estimate,
     * with CI whiskers, the value printed beside each bar and "(n=..)"
     * after each label.  The All row is drawn on top, darker, set apart by
     * a dotted rule. */
    GRAFT_CHART_BAR = 0,
    /* Baseline and follow-up per domain joined by a line, from a comparison
     * CSV; significant changes drawn in vermillion; a second panel shows
     * each change with its confidence interval. */
    GRAFT_CHART_DUMBBELL = 1,
    /* One line per domain across rounds from a trend CSV's estimate rows,
     * with CI whiskers; x is the round's year or, without years, the
     * rounds evenly spaced in file order. */
    GRAFT_CHART_TREND = 2,
    /* Domains (rows) by indicators (columns) from an estimates CSV, the
     * value in every cell; suppressed cells grey without a number. */
    GRAFT_CHART_HEATMAP = 3,
    /* A model's odds or rate ratios with their intervals, from the CSV of
     * `graft model --family logistic|poisson`: one row per coefficient
     * but the intercept, a logarithmic axis, a dashed line at 1. */
    GRAFT_CHART_FOREST = 4,
    /* Power against the true change from a `graft plan` table: one curve
     * per row (a baseline plan: per domain of --indicator, default the
     * file's first), at the row's n and design effect (deff_take when
     * given), with the power planned for as a dashed line (docs/plan.md). */
    GRAFT_CHART_POWER = 5,
    /* The smallest detectable fall against the respondents per round from
     * a `graft plan` table, one curve per row as for POWER, each row's own
     * n marked. */
    GRAFT_CHART_MDE = 6,
    /* From the CSV of `graft sae`: per area the direct estimate with its
     * design-based interval above the EBLUP with its model-based interval,
     * areas by sample size, largest on top (docs/sae.md). */
    GRAFT_CHART_SAE = 7,
    /* From the same CSV: standardized residuals against the fitted values,
     * and a normal Q-Q plot of the area effects, side by side. */
    GRAFT_CHART_SAE_RESID = 8
} graft_chart_kind_t;

typedef enum graft_chart_format {
    GRAFT_CHART_PNG = 0, /* pngcairo */
    GRAFT_CHART_SVG = 1, /* svg */
    GRAFT_CHART_PDF = 2  /* pdfcairo */
} graft_chart_format_t;

typedef enum graft_chart_scale {
    GRAFT_CHART_SCALE_AUTO = 0,    /* percent when every value plotted is
                                      in [0, 1], else the values as they
                                      are */
    GRAFT_CHART_SCALE_PERCENT = 1, /* proportions: drawn as percent */
    GRAFT_CHART_SCALE_RAW = 2      /* means, totals: drawn as they are */
} graft_chart_scale_t;

typedef struct graft_chart_spec {
    graft_chart_kind_t kind;
    const char *input;     /* graft CSV to draw */
    const char *output;    /* chart path: .png, .svg or .pdf */
    /* bar, dumbbell, trend: the indicator to draw (NULL: the file's only
     * one).  heatmap: NULL for every indicator, or a comma-separated list
     * choosing and ordering the columns. */
    const char *indicator;
    /* the by-variable(s), "zone" or "urban,sex" (a table of the file);
     * NULL: the file's only one */
    const char *by;
    /* bar and heatmap: the round to draw when the estimates file has a
     * `round` column; NULL: the last round in the file */
    const char *round;
    unsigned width, height; /* pixels; 0: a default for the kind, the
                               height growing with the number of rows */
    const char *font;       /* "Name,size", e.g. "DejaVu Sans,14"; NULL:
                               "sans-serif,14" */
    const char *title;      /* NULL: made from the indicator and by-variable
                               (the indicator's label from ANALYSIS) */
    const char *subtitle;   /* question wording; NULL: the indicator's
                               question from ANALYSIS, else none */
    const char *source;     /* source line; NULL: "Source: FILE, n = ... .
                               95 % CI, design-based." */
    const double *years;    /* trend: one x position per round, in file
                               order; NULL: rounds evenly spaced */
    size_t n_years;
    /* dumbbell: legend names of the two rounds; NULL: "Baseline" and
     * "Follow-up" */
    const char *baseline_label, *followup_label;
    double level;           /* confidence level of the intervals and of the
                               tests; 0: 0.95 */
    const char *adjustment; /* dumbbell legend: the p-value adjustment, e.g.
                               "Holm", "none"; NULL: "Holm" (graft compare's
                               default) */
    graft_chart_scale_t scale;
    /* indicator labels and questions (optional, borrowed) */
    const struct graft_analysis *analysis;
    /* the gnuplot program: a path, or a name looked up on PATH (as
     * execvp() does); NULL: "gnuplot" */
    const char *gnuplot;
} graft_chart_spec_t;

/* Set SPEC to the defaults (everything 0 or NULL: a bar chart). */
void graft_chart_spec_init(graft_chart_spec_t *spec);

/* Draw the chart SPEC describes: OUT, OUT.gp and OUT.dat (see above).
 * Fails with GRAFT_ERR_USAGE (unknown output extension, bad size or font,
 * an indicator, by-variable or round the file does not have, a chart kind
 * the file cannot make), GRAFT_ERR_OPEN and the reader's errors (the
 * input), GRAFT_ERR_COLUMN (the input lacks a column the kind needs),
 * GRAFT_ERR_VALUE (a number column holds text, a duplicate row, no rows to
 * draw), GRAFT_ERR_WRITE (an output cannot be written), GRAFT_ERR_EXEC
 * (gnuplot missing, not startable, failing or writing nothing: DIAG shows
 * gnuplot's message) or GRAFT_ERR_NOMEM. */
graft_error_t graft_chart_render(const graft_chart_spec_t *spec,
                                 graft_diag_t *diag);

/* Check that gnuplot PROGRAM (NULL: "gnuplot", found on PATH) starts and
 * runs an empty script, before any chart is drawn.  WHERE names the
 * output in a message.  Fails with GRAFT_ERR_EXEC as graft_chart_render()
 * would (DIAG names the Debian package when gnuplot is missing) or
 * GRAFT_ERR_NOMEM. */
graft_error_t graft_chart_gnuplot_check(const char *program, const char *where,
                                        graft_diag_t *diag);

/* Write only OUT.gp and OUT.dat, as graft_chart_render() would, without
 * running gnuplot (snapshot tests, or to edit the script by hand).  Same
 * errors, except gnuplot's. */
graft_error_t graft_chart_write_script(const graft_chart_spec_t *spec,
                                       graft_diag_t *diag);

/* Parse "bar", "dumbbell", "trend" or "heatmap".  Returns 1 on success. */
int graft_chart_kind_parse(const char *name, graft_chart_kind_t *out);

/* Parse "auto", "percent" or "raw".  Returns 1 on success. */
int graft_chart_scale_parse(const char *name, graft_chart_scale_t *out);

/* The format of PATH from its extension (.png, .svg, .pdf; any case).
 * Returns 1 on success, 0 for any other extension. */
int graft_chart_format_of(const char *path, graft_chart_format_t *out);

/* Parse "WxH" (pixels, each 100..10000).  Returns 1 on success. */
int graft_chart_size_parse(const char *text, unsigned *width,
                           unsigned *height);

/* Parse a comma-separated list of years ("2018,2020,2022") into YEARS (at
 * most MAX).  Returns the count, or 0 when TEXT is not such a list. */
size_t graft_chart_years_parse(const char *text, double *years, size_t max);

#endif
