/*
 * render.c - graft_chart_render() and graft_chart_write_script(): read the
 * data, let the kind's writer lay out the chart, write OUT.dat and OUT.gp,
 * run gnuplot on a copy of the script that writes to temporary files, and
 * rename all three into place only when everything worked.
 */
#include "chart/chart_internal.h"
#include "base/names.h"
#include "graft/output.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* ---- small public helpers --------------------------------------------- */

void graft_chart_spec_init(graft_chart_spec_t *spec)
{
    memset(spec, 0, sizeof *spec);
}

static const char *const kind_names[] = {"bar", "dumbbell", "trend",
                                         "heatmap", "forest", "power", "mde",
                                         "sae", "sae-resid"};

static const char *const scale_names[] = {"auto", "percent", "raw"};

int graft_chart_kind_parse(const char *name, graft_chart_kind_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(kind_names, 0, name, &i))
        return 0;
    *out = (graft_chart_kind_t)i;
    return 1;
}

int graft_chart_scale_parse(const char *name, graft_chart_scale_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(scale_names, 0, name, &i))
        return 0;
    *out = (graft_chart_scale_t)i;
    return 1;
}

int graft_chart_format_of(const char *path, graft_chart_format_t *out)
{
    static const char *const ext[] = {".png", ".svg", ".pdf"};
    size_t n = path ? strlen(path) : 0;
    for (size_t i = 0; n > 4 && i < 3; i++)
        if (strcasecmp(path + n - 4, ext[i]) == 0 && path[n - 5] != '/') {
            *out = (graft_chart_format_t)i;
            return 1;
        }
    return 0;
}

int graft_chart_size_parse(const char *text, unsigned *width,
                           unsigned *height)
{
    char *end;
    if (!text || !(*text >= '0' && *text <= '9'))
        return 0;
    unsigned long w = strtoul(text, &end, 10);
    if (*end != 'x' && *end != 'X')
        return 0;
    const char *h_text = end + 1;
    if (!(*h_text >= '0' && *h_text <= '9'))
        return 0;
    unsigned long h = strtoul(h_text, &end, 10);
    if (*end || w < 100 || w > 10000 || h < 100 || h > 10000)
        return 0;
    *width = (unsigned)w;
    *height = (unsigned)h;
    return 1;
}

size_t graft_chart_years_parse(const char *text, double *years, size_t max)
{
    size_t n = 0;
    const char *p = text;
    if (!p || !*p)
        return 0;
    for (;;) {
        char *end;
        double y = strtod(p, &end);
        if (end == p || !isfinite(y) || n == max)
            return 0;
        years[n++] = y;
        while (*end == ' ')
            end++;
        if (!*end)
            return n;
        if (*end != ',')
            return 0;
        p = end + 1;
    }
}

/* ---- helpers for the kind writers ------------------------------------- */

int graft_chart_doc_open(chart_doc_t *doc, FILE **body, FILE **dat)
{
    *body = open_memstream(&doc->body, &doc->body_len);
    *dat = *body ? open_memstream(&doc->dat, &doc->dat_len) : NULL;
    if (*dat)
        return 1;
    if (*body)
        fclose(*body);
    free(doc->body);
    doc->body = NULL;
    *body = NULL;
    return 0;
}

graft_error_t graft_chart_doc_close(FILE *body, FILE *dat, graft_diag_t *diag)
{
    int bad = ferror(body) | ferror(dat);
    bad |= fclose(body) != 0;
    bad |= fclose(dat) != 0;
    return bad ? graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                "out of memory")
               : GRAFT_OK;
}

graft_error_t graft_chart_label_check(char *const *lines, size_t n,
                                      const graft_chart_spec_t *spec,
                                      graft_diag_t *diag)
{
    size_t len = graft_chart_dat_text_len(lines, n), cut = 40;
    if (len <= CHART_DAT_TEXT_MAX)
        return GRAFT_OK;
    const char *first = n ? lines[0] : "";
    if (strlen(first) <= cut)
        cut = strlen(first);
    while (cut > 0 && (first[cut] & 0xC0) == 0x80)
        cut--; /* not inside a UTF-8 character */
    return graft_diag_set(diag, GRAFT_ERR_USAGE, spec->input, 0, 0,
                          "the label '%.*s...' is too long to draw (%zu "
                          "bytes in the chart's data file, at most %d)",
                          (int)cut, first, len, CHART_DAT_TEXT_MAX);
}

/* TEXT (cleaned) and TAIL wrapped to MAX_PX: their number in *N (0 for
 * nothing, with a non-NULL empty array).  NULL when out of memory. */
static char **wrap_label(const char *text, const char *tail, double max_px,
                         double pt, int bold, size_t *n)
{
    size_t len = strlen(text), tail_len = tail ? strlen(tail) : 0;
    char *joined = malloc(len + tail_len + 1);
    char **lines = NULL;
    *n = 0;
    if (!joined)
        return NULL;
    memcpy(joined, text, len);
    memcpy(joined + len, tail ? tail : "", tail_len + 1);
    if (*joined)
        *n = graft_chart_wrap(joined, max_px, pt, bold, &lines);
    else
        lines = malloc(sizeof *lines);
    free(joined);
    return lines;
}

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */

/* The lines of CLEAN's first END bytes, trailing spaces left out, an
 * ellipsis and TAIL. */
static char **cut_at(const char *clean, size_t end, char *buf,
                     const char *tail, double max_px, double pt, int bold,
                     size_t *n)
{
    while (end > 0 && clean[end - 1] == ' ')
        end--;
    memcpy(buf, clean, end);
    memcpy(buf + end, ELLIPSIS, sizeof ELLIPSIS);
    return wrap_label(buf, tail, max_px, pt, bold, n);
}

/* The lines of the longest start of CLEAN, cut between characters and
 * ended by an ellipsis, that wrap with TAIL to at most MAX_LINES (the
 * ellipsis alone when none does). */
static char **cut_label(const char *clean, const char *tail, double max_px,
                        double pt, int bold, size_t max_lines, size_t *n)
{
    size_t len = strlen(clean), n_starts = 0;
    char *buf = malloc(len + sizeof ELLIPSIS);
    size_t *starts = malloc((len + 1) * sizeof *starts);
    char **lines = NULL;
    if (!buf || !starts)
        goto done;
    for (size_t i = 0; i <= len; i++) /* where a character starts */
        if (i == len || (clean[i] & 0xC0) != 0x80)
            starts[n_starts++] = i;
    size_t lo = 0, hi = n_starts - 1; /* starts[lo] fits; above hi not */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2, k;
        lines = cut_at(clean, starts[mid], buf, tail, max_px, pt, bold, &k);
        if (!lines)
            goto done;
        graft_chart_lines_free(lines, k);
        lines = NULL;
        if (k <= max_lines)
            lo = mid;
        else
            hi = mid - 1;
    }
    lines = cut_at(clean, starts[lo], buf, tail, max_px, pt, bold, n);
done:
    free(buf);
    free(starts);
    return lines;
}

char **graft_chart_wrap_cut(const char *text, const char *tail,
                            double max_px, double pt, int bold,
                            size_t max_lines, size_t *n, int *cut)
{
    char *clean = graft_chart_clean(text);
    char **lines = NULL;
    *n = 0;
    if (cut)
        *cut = 0;
    if (!clean)
        return NULL;
    lines = wrap_label(clean, tail, max_px, pt, bold, n);
    if (lines && *n > max_lines) {
        graft_chart_lines_free(lines, *n);
        lines = cut_label(clean, tail, max_px, pt, bold, max_lines, n);
        if (cut)
            *cut = 1;
    }
    free(clean);
    return lines;
}

char **graft_chart_label_lines(const char *text, const char *tail,
                               double max_px, double pt, size_t max_lines,
                               size_t *n, double *width, int *cut)
{
    char **lines =
        graft_chart_wrap_cut(text, tail, max_px, pt, 0, max_lines, n, cut);
    *width = 0;
    if (lines && *n == 0) { /* one empty line */
        graft_chart_lines_free(lines, 0);
        lines = malloc(sizeof *lines);
        if (lines && (lines[0] = malloc(1))) {
            lines[0][0] = '\0';
            *n = 1;
        } else {
            free(lines);
            lines = NULL;
        }
    }
    for (size_t i = 0; lines && i < *n; i++) {
        double w = graft_chart_text_px(lines[i], pt, 0);
        if (w > *width)
            *width = w;
    }
    return lines;
}

const char *graft_chart_tic_format(int percent, double max)
{
    return percent ? "%g %%" : fabs(max) >= 1e5 ? "%.0f" : "%g";
}

const char *graft_chart_value_format(int percent, double max)
{
    if (percent)
        return "%.1f %%";
    max = fabs(max);
    return max >= 1000 ? "%.0f" : max >= 100 ? "%.1f" : "%.2f";
}

void graft_chart_dat_num(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, " %.6f", v + 0.0);
    else
        fputs(" NaN", fp);
}

/* ---- building a chart ------------------------------------------------- */

static const chart_writer_fn writers[] = {
    graft_chart_bar_write, graft_chart_dumbbell_write, graft_chart_trend_write,
    graft_chart_heatmap_write, graft_chart_forest_write,
    graft_chart_power_write, graft_chart_power_write, graft_chart_sae_write,
    graft_chart_sae_write};

static void doc_free(chart_doc_t *doc)
{
    graft_chart_frame_free(&doc->frame);
    free(doc->body);
    free(doc->dat);
    memset(doc, 0, sizeof *doc);
}

/* PATH with its extension (after the last '.' of the file name) replaced
 * by EXT.  Malloc'd, or NULL. */
static char *sibling(const char *path, const char *ext)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t stem = dot ? (size_t)(dot - path) : strlen(path);
    char *out = malloc(stem + strlen(ext) + 1);
    if (out) {
        memcpy(out, path, stem);
        strcpy(out + stem, ext);
    }
    return out;
}

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 1;
    return 0;
}

static graft_error_t check_spec(const graft_chart_spec_t *spec,
                                graft_diag_t *diag)
{
    graft_chart_format_t format;
    if (!spec->input || !*spec->input)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "no input file to draw");
    if (!spec->output || !*spec->output)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "no chart file given (-o OUT.png, .svg or "
                              ".pdf)");
    if ((unsigned)spec->kind >= sizeof writers / sizeof *writers)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "unknown chart kind %d", (int)spec->kind);
    if (!graft_chart_format_of(spec->output, &format))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, spec->output, 0, 0,
                              "the chart's extension must be .png, .svg or "
                              ".pdf");
    if (has_control(spec->output))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "the chart's file name has a control "
                              "character");
    char *gp = sibling(spec->output, ".gp"), *dat = sibling(spec->output,
                                                           ".dat");
    int oom = !gp || !dat;
    int clash = !oom && (strcmp(spec->input, spec->output) == 0 ||
                         strcmp(spec->input, gp) == 0 ||
                         strcmp(spec->input, dat) == 0);
    free(gp);
    free(dat);
    if (oom)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if (clash)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, spec->output, 0, 0,
                              "the chart, its .gp or its .dat would replace "
                              "the input %s",
                              spec->input);
    if (spec->level != 0 && !(spec->level > 0 && spec->level < 1))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "level %g must be between 0 and 1",
                              spec->level);
    if ((spec->width && (spec->width < 100 || spec->width > 10000)) ||
        (spec->height && (spec->height < 100 || spec->height > 10000)))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "the chart size must be 100 to 10000 pixels "
                              "each way");
    return GRAFT_OK;
}

static graft_error_t build(const graft_chart_spec_t *spec, chart_doc_t *doc,
                           graft_diag_t *diag)
{
    chart_data_t *d = NULL;
    graft_error_t rc = check_spec(spec, diag);
    memset(doc, 0, sizeof *doc);
    if (rc == GRAFT_OK && (spec->kind == GRAFT_CHART_POWER ||
                           spec->kind == GRAFT_CHART_MDE ||
                           spec->kind == GRAFT_CHART_SAE ||
                           spec->kind == GRAFT_CHART_SAE_RESID))
        rc = writers[spec->kind](spec, NULL, doc, diag);
    else if (rc == GRAFT_OK &&
             (rc = spec->kind == GRAFT_CHART_FOREST
                       ? graft_chart_forest_load(spec, &d, diag)
                       : graft_chart_data_load(spec, &d, diag)) == GRAFT_OK)
        rc = writers[spec->kind](spec, d, doc, diag);
    graft_chart_data_free(d);
    if (rc != GRAFT_OK)
        doc_free(doc);
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The whole script: comments, terminal, where the chart and its data are,
 * the body.  The saved script (RUN 0) names them relative to its own
 * folder, which gnuplot 5.4 gives as ARG0 (`gnuplot path/x.gp`, `load`):
 * it redraws from anywhere and is the same whatever the output folder.
 * The script gnuplot runs now (RUN 1, on stdin) names the temporaries. */
static void write_script(FILE *fp, const graft_chart_spec_t *spec,
                         const chart_doc_t *doc, const char *output,
                         const char *datafile, int run)
{
    fprintf(fp, "# graft plot --kind %s, from ",
            GRAFT_NAMES_AT(kind_names, spec->kind));
    graft_chart_comment(fp, base_name(spec->input));
    char *gp = sibling(base_name(spec->output), ".gp");
    fputs("\n# Redraw with: gnuplot PATH/", fp);
    graft_chart_comment(fp, gp ? gp : "");
    free(gp);
    fputs(" (from any folder: the chart\n# and its data are beside this "
          "script).  Every text is drawn noenhanced, as it\n# is: strings "
          "in single quotes (a quote in them as \"\\047\"), tic labels "
          "read\n# from the data file.\n",
          fp);
    graft_chart_frame_terminal(fp, &doc->frame);
    if (run) {
        fputs("set output ", fp);
        graft_chart_quote(fp, output);
        fputs("\ndatafile = ", fp);
        graft_chart_quote(fp, datafile);
    } else {
        fputs("graft_dir(s) = (graft_i = strstrt(s, '/'), graft_i == 0 ? '' "
              ": s[1:graft_i] . graft_dir(s[graft_i + 1:]))\n"
              "here = exists('ARG0') ? graft_dir(ARG0) : ''\n"
              "set output here . ",
              fp);
        graft_chart_quote(fp, base_name(output));
        fputs("\ndatafile = here . ", fp);
        graft_chart_quote(fp, base_name(datafile));
    }
    fputs("\nset encoding utf8\n", fp);
    fwrite(doc->body, 1, doc->body_len, fp);
    fputs("unset output\n", fp);
}

/* The script with temporary names, in memory, for gnuplot's stdin. */
static graft_error_t script_for_run(const graft_chart_spec_t *spec,
                                    const chart_doc_t *doc, const char *out,
                                    const char *dat, char **text, size_t *len,
                                    graft_diag_t *diag)
{
    FILE *fp = open_memstream(text, len);
    if (!fp)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    write_script(fp, spec, doc, out, dat, 1);
    if (fclose(fp) != 0) {
        free(*text);
        *text = NULL;
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    return GRAFT_OK;
}

/* The svg terminal writes font-family="Name:Bold" as the family name.
 * Turn the styles of our own fonts into SVG attributes inside the
 * <g transform="..." ...> tags gnuplot opens for text (user text is inside
 * <text> elements, XML-escaped, so it holds no tag).  Rewrites PATH. */
static void svg_fix_tag(FILE *out, const char *tag, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (len - i > 6 && strncmp(tag + i, ":Bold\"", 6) == 0) {
            fputs("\" font-weight=\"bold\"", out);
            i += 6;
        } else if (len - i > 8 && strncmp(tag + i, ":Italic\"", 8) == 0) {
            fputs("\" font-style=\"italic\"", out);
            i += 8;
        } else {
            fputc(tag[i++], out);
        }
    }
}

static graft_error_t svg_fix_styles(const char *path, const char *output,
                                    graft_diag_t *diag)
{
    char *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    FILE *fp = fopen(path, "rb"), *mem = open_memstream(&in, &in_len);
    int ok = fp && mem;
    char buf[8192];
    size_t k;
    while (ok && (k = fread(buf, 1, sizeof buf, fp)) > 0)
        ok = fwrite(buf, 1, k, mem) == k;
    ok = ok && !ferror(fp);
    if (fp)
        fclose(fp);
    if (mem && fclose(mem) != 0)
        ok = 0;
    mem = ok ? open_memstream(&out, &out_len) : NULL;
    for (size_t i = 0; mem && i < in_len;) {
        const char *tag = strstr(in + i, "<g transform=\"");
        size_t at = tag ? (size_t)(tag - in) : in_len;
        fwrite(in + i, 1, at - i, mem);
        if (!tag)
            break;
        size_t end = at + strcspn(in + at, ">");
        svg_fix_tag(mem, in + at, end - at);
        i = end;
    }
    if (!mem || fclose(mem) != 0)
        ok = 0;
    fp = ok ? fopen(path, "wb") : NULL;
    ok = fp && fwrite(out, 1, out_len, fp) == out_len;
    if (fp && fclose(fp) != 0)
        ok = 0;
    free(in);
    free(out);
    return ok ? GRAFT_OK
              : graft_diag_set(diag, GRAFT_ERR_WRITE, output, 0, 0,
                               "cannot rewrite the SVG gnuplot wrote");
}

/* Did gnuplot write something to PATH? */
static int non_empty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* Is the filesystem holding PATH full?  gnuplot says nothing when it
 * cannot write all of its chart: a chart drawn onto a disk that is full
 * afterwards may be cut short, and is refused as a write error. */
static int disk_full(const char *path)
{
    struct statvfs v;
    return statvfs(path, &v) == 0 && v.f_bavail == 0;
}

typedef struct outputs {
    char *gp_path, *dat_path;
    graft_outfile_t gp, dat, chart;
} outputs_t;

static void outputs_abort(outputs_t *o)
{
    graft_outfile_abort(&o->gp);
    graft_outfile_abort(&o->dat);
    graft_outfile_abort(&o->chart);
    free(o->gp_path);
    free(o->dat_path);
    memset(o, 0, sizeof *o);
}

/* Open OUT.gp and OUT.dat (and OUT itself when CHART) as temporaries and
 * write the data and the saved script. */
static graft_error_t outputs_open(outputs_t *o, const graft_chart_spec_t *spec,
                                  const chart_doc_t *doc, int chart,
                                  graft_diag_t *diag)
{
    graft_error_t rc;
    memset(o, 0, sizeof *o);
    o->gp_path = sibling(spec->output, ".gp");
    o->dat_path = sibling(spec->output, ".dat");
    if (!o->gp_path || !o->dat_path)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if ((chart && (rc = graft_outfile_open(&o->chart, spec->output, diag))) ||
        (rc = graft_outfile_open(&o->dat, o->dat_path, diag)) ||
        (rc = graft_outfile_open(&o->gp, o->gp_path, diag)))
        return rc;
    /* gnuplot draws into a temporary; a device or FIFO output has none */
    if (chart && !o->chart.tmp)
        return graft_diag_set(diag, GRAFT_ERR_WRITE, spec->output, 0, 0,
                              "a chart is written to a regular file, not "
                              "to a device or a FIFO");
    /* gnuplot need not inherit our descriptors of the temporaries */
    graft_outfile_t *all[3] = {&o->chart, &o->dat, &o->gp};
    for (int i = 0; i < 3; i++)
        if (all[i]->fp)
            fcntl(fileno(all[i]->fp), F_SETFD, FD_CLOEXEC);
    fwrite(doc->dat, 1, doc->dat_len, o->dat.fp);
    write_script(o->gp.fp, spec, doc, spec->output, o->dat_path, 0);
    if (fflush(o->dat.fp) != 0 || ferror(o->dat.fp))
        return graft_diag_set(diag, GRAFT_ERR_WRITE, o->dat_path, 0, 0,
                              "write error: %s", strerror(errno));
    return GRAFT_OK;
}

/* Rename everything into place; a failure removes what was placed. */
static graft_error_t outputs_commit(outputs_t *o, graft_diag_t *diag)
{
    graft_error_t rc;
    int chart = o->chart.fp != NULL;
    if ((rc = graft_outfile_commit(&o->dat, diag)) != GRAFT_OK)
        return rc;
    if ((rc = graft_outfile_commit(&o->gp, diag)) != GRAFT_OK) {
        unlink(o->dat_path);
        return rc;
    }
    if (chart && (rc = graft_outfile_commit(&o->chart, diag)) != GRAFT_OK) {
        unlink(o->dat_path);
        unlink(o->gp_path);
        return rc;
    }
    return GRAFT_OK;
}

static const char *gnuplot_program(const graft_chart_spec_t *spec)
{
    return spec->gnuplot ? spec->gnuplot : "gnuplot";
}

graft_error_t graft_chart_render(const graft_chart_spec_t *spec,
                                 graft_diag_t *diag)
{
    chart_doc_t doc;
    outputs_t o;
    char *script = NULL;
    size_t len = 0;
    graft_error_t rc = build(spec, &doc, diag);
    memset(&o, 0, sizeof o);
    if (rc != GRAFT_OK)
        return rc;
    if ((rc = outputs_open(&o, spec, &doc, 1, diag)) ||
        (rc = script_for_run(spec, &doc, o.chart.tmp, o.dat.tmp, &script, &len,
                             diag)) ||
        (rc = graft_chart_gnuplot_run(gnuplot_program(spec), script, len,
                                      spec->output, diag)))
        goto done;
    if (disk_full(o.chart.tmp)) {
        rc = graft_diag_set(diag, GRAFT_ERR_WRITE, spec->output, 0, 0,
                            "write error: %s", strerror(ENOSPC));
        goto done;
    }
    if (!non_empty(o.chart.tmp)) {
        rc = graft_diag_set(diag, GRAFT_ERR_EXEC, spec->output, 0, 0,
                            "gnuplot wrote an empty chart");
        goto done;
    }
    if (doc.frame.format == GRAFT_CHART_SVG &&
        (rc = svg_fix_styles(o.chart.tmp, spec->output, diag)))
        goto done;
    rc = outputs_commit(&o, diag);
done:
    outputs_abort(&o);
    free(script);
    doc_free(&doc);
    return rc;
}

graft_error_t graft_chart_write_script(const graft_chart_spec_t *spec,
                                       graft_diag_t *diag)
{
    chart_doc_t doc;
    outputs_t o;
    graft_error_t rc = build(spec, &doc, diag);
    memset(&o, 0, sizeof o);
    if (rc != GRAFT_OK)
        return rc;
    if ((rc = outputs_open(&o, spec, &doc, 0, diag)) == GRAFT_OK)
        rc = outputs_commit(&o, diag);
    outputs_abort(&o);
    doc_free(&doc);
    return rc;
}

graft_error_t graft_chart_gnuplot_check(const char *program, const char *where,
                                        graft_diag_t *diag)
{
    return graft_chart_gnuplot_run(program ? program : "gnuplot", "", 0,
                                   where, diag);
}
