/*
 * chart/frame.c - what every chart has around its plot: the terminal and
 * font, the title and subtitle at the top, footnotes and the source line
 * at the bottom, margins placed in screen coordinates computed from
 * measured text (so labels never run into the plot).
 */
#include "chart/chart_internal.h"
#include "graft/analysis.h"
#include "base/str.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_FAMILY "sans-serif"
#define DEFAULT_PT 14.0

/* ---- fonts and terminals ---------------------------------------------- */

/* Parse "Name,size", "Name" or ",size" into F. */
static int parse_font(const char *text, chart_frame_t *f)
{
    snprintf(f->family, sizeof f->family, "%s", DEFAULT_FAMILY);
    f->pt = DEFAULT_PT;
    if (!text)
        return 1;
    size_t len = strcspn(text, ",");
    if (len >= sizeof f->family)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '_' ||
              c == '.'))
            return 0;
    }
    if (len > 0) {
        memcpy(f->family, text, len);
        f->family[len] = '\0';
    }
    if (text[len] == ',') {
        char *end;
        f->pt = strtod(text + len + 1, &end);
        if (*end || end == text + len + 1 || !(f->pt >= 4 && f->pt <= 96))
            return 0;
    }
    return 1;
}

graft_error_t graft_chart_frame_init(chart_frame_t *f,
                                     const graft_chart_spec_t *spec,
                                     double default_w, graft_diag_t *diag)
{
    memset(f, 0, sizeof *f);
    if (!graft_chart_format_of(spec->output, &f->format))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, spec->output, 0, 0,
                              "the chart's extension must be .png, .svg or "
                              ".pdf");
    if (!parse_font(spec->font, f))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--font: '%s' must be \"Name,size\" (letters, "
                              "digits, spaces; size 4 to 96), e.g. "
                              "\"DejaVu Sans,14\"",
                              spec->font);
    f->pt_title = f->pt * 1.3;
    f->pt_small = f->pt * 0.85;
    f->W = spec->width ? spec->width : default_w;
    f->H = spec->height ? spec->height : 600;
    return GRAFT_OK;
}

void graft_chart_frame_free(chart_frame_t *f)
{
    graft_chart_lines_free(f->title, f->n_title);
    graft_chart_lines_free(f->sub, f->n_sub);
    graft_chart_lines_free(f->notes, f->n_notes);
    graft_chart_lines_free(f->src, f->n_src);
    memset(f, 0, sizeof *f);
}

/* Append the wrapped lines of TEXT, at most MAX_LINES, to *LINES. */
static int wrap_more(const char *text, double width, double pt, int bold,
                     size_t max_lines, char ***lines, size_t *n)
{
    size_t k = 0;
    char **more =
        graft_chart_wrap_cut(text, NULL, width, pt, bold, max_lines, &k, NULL);
    if (!more)
        return 0;
    if (k == 0) {
        free(more);
        return 1;
    }
    char **grown = realloc(*lines, (*n + k) * sizeof **lines);
    if (!grown) {
        graft_chart_lines_free(more, k);
        return 0;
    }
    memcpy(grown + *n, more, k * sizeof *more);
    free(more);
    *lines = grown;
    *n += k;
    return 1;
}

static double pad_px(const chart_frame_t *f)
{
    return f->pt * 4.0 / 3.0;
}

graft_error_t graft_chart_frame_text(chart_frame_t *f,
                                     const graft_chart_spec_t *spec,
                                     const char *title, const char *subtitle,
                                     const char *const *notes, size_t n_notes,
                                     char *source, graft_diag_t *diag)
{
    if (spec->title)
        title = spec->title;
    if (spec->subtitle)
        subtitle = spec->subtitle;
    double width = f->W - 2 * pad_px(f);
    int ok = source &&
             wrap_more(title ? title : "", width, f->pt_title, 1,
                       CHART_TITLE_MAX_LINES, &f->title, &f->n_title) &&
             wrap_more(subtitle ? subtitle : "", width, f->pt, 0,
                       CHART_TITLE_MAX_LINES, &f->sub, &f->n_sub) &&
             wrap_more(source, width, f->pt_small, 0, SIZE_MAX, &f->src,
                       &f->n_src);
    for (size_t i = 0; ok && i < n_notes; i++)
        ok = wrap_more(notes[i], width, f->pt_small, 0, SIZE_MAX, &f->notes,
                       &f->n_notes);
    free(source);
    if (!ok)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    double pad = pad_px(f);
    f->top_px = 0.8 * pad + f->n_title * chart_line_px(f->pt_title) +
                f->n_sub * chart_line_px(f->pt) + 0.9 * pad;
    f->bottom_px = 0.7 * pad +
                   (f->n_notes + f->n_src) * chart_line_px(f->pt_small) +
                   (f->n_notes ? 0.3 * pad : 0);
    return GRAFT_OK;
}

void graft_chart_frame_set_height(chart_frame_t *f,
                                  const graft_chart_spec_t *spec,
                                  double extra_px)
{
    f->natural_h = ceil(f->top_px + extra_px + f->bottom_px);
    if (!spec->height)
        f->H = f->natural_h;
}

graft_error_t graft_chart_frame_check(const chart_frame_t *f, double left,
                                      double right, double top, double bottom,
                                      graft_diag_t *diag)
{
    double min_w = 8 * f->pt * 4.0 / 3.0, min_h = 4 * f->pt * 4.0 / 3.0;
    if (f->W - left - right >= min_w && f->H - top - bottom >= min_h)
        return GRAFT_OK;
    return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                          "--size %.0fx%.0f leaves no room to plot beside "
                          "the text: try --size %.0fx%.0f (or a smaller "
                          "--font)",
                          f->W, f->H, fmax(f->W, ceil(left + right + 3 * min_w)),
                          fmax(f->H, f->natural_h));
}

void graft_chart_font(FILE *fp, const chart_frame_t *f, double pt, int bold,
                      int italic)
{
    char font[192];
    /* the svg terminal writes sizes in pixels; the cairo ones render
     * points at 96 dpi: scale SVG by 4/3 to look the same */
    double size = f->format == GRAFT_CHART_SVG ? pt * 4.0 / 3.0 : pt;
    snprintf(font, sizeof font, "%s%s,%.4g", f->family,
             bold ? ":Bold" : italic ? ":Italic" : "", size);
    graft_chart_quote(fp, font);
}

void graft_chart_frame_terminal(FILE *fp, const chart_frame_t *f)
{
    static const char *const term[] = {"pngcairo", "svg", "pdfcairo"};
    fprintf(fp, "set terminal %s size ", term[f->format]);
    if (f->format == GRAFT_CHART_PDF)
        fprintf(fp, "%.4fin,%.4fin", f->W / 96, f->H / 96);
    else
        fprintf(fp, "%.0f,%.0f", f->W, f->H);
    fputs(" font ", fp);
    graft_chart_font(fp, f, f->pt, 0, 0);
    fputs(" noenhanced", fp);
    /* pdfcairo's default fontscale (0.5) draws text smaller than
     * pngcairo does; 0.75 makes the PDF look like the PNG at 96 dpi */
    if (f->format == GRAFT_CHART_PDF)
        fputs(" fontscale 0.75", fp);
    if (f->format != GRAFT_CHART_PDF)
        fputs(" background '#ffffff'", fp);
    fputc('\n', fp);
}

/* ---- the text around the plot ----------------------------------------- */

void graft_chart_screen_text(FILE *fp, const chart_frame_t *f, const char *text,
                             double x_px, double y_px, double pt,
                             const char *align, int style, const char *color)
{
    fputs("set label ", fp);
    graft_chart_quote(fp, text);
    fprintf(fp, " at screen %.4f, screen %.4f %s font ", chart_sx(f, x_px),
            chart_sy(f, y_px), align);
    graft_chart_font(fp, f, pt, style == 1, style == 2);
    fprintf(fp, " textcolor rgb '%s' front\n", color);
}

static void screen_label(FILE *fp, const chart_frame_t *f, const char *text,
                         double x_px, double y_px, double pt, int bold,
                         const char *color)
{
    graft_chart_screen_text(fp, f, text, x_px, y_px, pt, "left", bold, color);
}

void graft_chart_frame_labels(FILE *fp, const chart_frame_t *f)
{
    double pad = pad_px(f), y = 0.8 * pad;
    fputs("# title and subtitle\n", fp);
    for (size_t i = 0; i < f->n_title; i++) {
        double h = chart_line_px(f->pt_title);
        screen_label(fp, f, f->title[i], pad, y + h / 2, f->pt_title, 1,
                     CHART_BLACK);
        y += h;
    }
    for (size_t i = 0; i < f->n_sub; i++) {
        double h = chart_line_px(f->pt);
        screen_label(fp, f, f->sub[i], pad, y + h / 2, f->pt, 0, "#444444");
        y += h;
    }
    fputs("# footnotes and source\n", fp);
    double h = chart_line_px(f->pt_small);
    y = f->H - 0.7 * pad - (f->n_notes + f->n_src) * h -
        (f->n_notes ? 0.3 * pad : 0);
    for (size_t i = 0; i < f->n_notes; i++, y += h)
        screen_label(fp, f, f->notes[i], pad, y + h / 2, f->pt_small, 0,
                     CHART_SOFT);
    if (f->n_notes)
        y += 0.3 * pad;
    for (size_t i = 0; i < f->n_src; i++, y += h)
        screen_label(fp, f, f->src[i], pad, y + h / 2, f->pt_small, 0,
                     CHART_SOFT);
}

void graft_chart_frame_margins(FILE *fp, const chart_frame_t *f, double left,
                               double right, double top, double bottom)
{
    fprintf(fp,
            "set lmargin at screen %.4f\n"
            "set rmargin at screen %.4f\n"
            "set tmargin at screen %.4f\n"
            "set bmargin at screen %.4f\n",
            chart_sx(f, left), 1 - chart_sx(f, right), chart_sy(f, top),
            bottom / f->H);
}

/* ---- shared helpers --------------------------------------------------- */

static const graft_indicator_spec_t *find_indicator(
    const graft_chart_spec_t *spec, const char *name)
{
    const graft_analysis_t *a = spec->analysis;
    for (size_t i = 0; a && name && i < a->n_indicators; i++)
        if (a->indicators[i].name && strcmp(a->indicators[i].name, name) == 0)
            return &a->indicators[i];
    return NULL;
}

const char *graft_chart_indicator_label(const graft_chart_spec_t *spec,
                                        const char *name)
{
    const graft_indicator_spec_t *ind = find_indicator(spec, name);
    return ind && ind->label ? ind->label : NULL;
}

const char *graft_chart_indicator_question(const graft_chart_spec_t *spec,
                                           const char *name)
{
    const graft_indicator_spec_t *ind = find_indicator(spec, name);
    return ind && ind->question ? ind->question : NULL;
}

char *graft_chart_fmt_level(char *buf, size_t size,
                            const graft_chart_spec_t *spec)
{
    double level = spec->level > 0 && spec->level < 1 ? spec->level : 0.95;
    snprintf(buf, size, "%.10g", 100 * level);
    return buf;
}

char *graft_chart_source(const graft_chart_spec_t *spec, const char *round,
                         const char *n)
{
    char buf[2048], level[32];
    if (spec->source) {
        snprintf(buf, sizeof buf, "%s", spec->source);
    } else {
        const char *slash = strrchr(spec->input, '/');
        snprintf(buf, sizeof buf,
                 "Source: %s%s%s%s%s. %s %% CI, "
                 "design-based.",
                 slash ? slash + 1 : spec->input, round ? ", " : "",
                 round ? round : "", n ? ", n = " : "", n ? n : "",
                 graft_chart_fmt_level(level, sizeof level, spec));
    }
    return graft_strdup(buf);
}

/* Add the "; "-separated rules of TEXT (after its "word: " prefix) to
 * OUT (of SIZE bytes) unless there. */
static void add_rules(char *out, size_t size, const char *text)
{
    const char *p = text, *colon = strchr(text, ':');
    if (colon && (strncmp(text, "review", 6) == 0 ||
                  strncmp(text, "suppress", 8) == 0))
        p = colon + 1;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len == 0)
            break;
        char rule[256];
        snprintf(rule, sizeof rule, "%.*s", (int)(len < 255 ? len : 255), p);
        const char *hit = strstr(out, rule);
        size_t rl = strlen(rule);
        int seen = hit && (hit == out || hit[-1] == ' ') &&
                   (hit[rl] == '\0' || hit[rl] == ';');
        size_t used = strlen(out);
        if (!seen && used + rl + 3 < size)
            snprintf(out + used, size - used, "%s%s", used ? "; " : "", rule);
        p += strcspn(p, ";");
    }
}

graft_error_t graft_chart_flag_notes(const chart_data_t *d, char **review,
                                     char **suppress, graft_diag_t *diag)
{
    *review = graft_chart_flag_rules(d, CHART_FLAG_REVIEW);
    *suppress = graft_chart_flag_rules(d, CHART_FLAG_SUPPRESS);
    if (*review && *suppress)
        return GRAFT_OK;
    free(*review);
    free(*suppress);
    *review = *suppress = NULL;
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

char *graft_chart_flag_rules(const chart_data_t *d, chart_flag_t which)
{
    char buf[2048] = "";
    for (size_t i = 0; i < d->n_domains * d->n_series; i++) {
        const chart_cell_t *c = &d->cells[i];
        /* a flagged cell without an estimate is drawn as "no estimate" */
        if (c->present && c->flag == which &&
            (which == CHART_FLAG_SUPPRESS || isfinite(c->est)))
            add_rules(buf, sizeof buf, c->flag_text);
    }
    return graft_strdup(buf);
}
