/*
 * xlsx.c - workbooks over libxlsxwriter: a sheet per table (the table
 * writer's xlsx module), a notes sheet, and every number at full double
 * precision.
 *
 * libxlsxwriter writes a number with %.16G, which does not read back as
 * the same double for about a quarter of them.  So the workbook is first
 * written to a temporary beside its path, then copied entry by entry into
 * the path (minizip, which libxlsxwriter itself links), each number cell
 * of a worksheet given back the shortest of %.15g, %.16g, %.17g that
 * reads back exactly: the double graft wrote, remembered per cell.
 */
#define _XOPEN_SOURCE 700 /* mkstemp */
#include "write/xlsx_internal.h"
#include "base/grow.h"
#include "graft/version.h"

#include <errno.h>
#include <math.h>
#include <minizip/unzip.h>
#include <minizip/zip.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define SHEET_NAME_MAX 31 /* Excel's limit, in characters */
#define NAME_BUF 128
#define WIDTH_MAX 60

typedef struct xnum {
    lxw_row_t row;
    lxw_col_t col;
    double x;
} xnum_t;

typedef struct graft_xsheet {
    struct graft_workbook *wb; /* its formats */
    lxw_worksheet *ws;
    char name[NAME_BUF];
    lxw_row_t row;       /* the next row */
    size_t n_cols;
    double *width;       /* per column, in characters */
    xnum_t *nums;        /* every number written, in order */
    size_t n_nums, cap_nums;
    lxw_error err;       /* the first failure of libxlsxwriter */
    int nomem;
} graft_xsheet_t;

typedef struct note {
    char *sheet, *item, *value;
} note_t;

struct graft_workbook {
    lxw_workbook *book;
    char *path;   /* the file to write */
    char *raw;    /* libxlsxwriter's own output, beside PATH */
    lxw_format *header;
    lxw_format *num[3][3]; /* numbers: [pct][mark] */
    lxw_format *text[3];   /* text and counts: [mark] (the fill only) */
    graft_xsheet_t **sheets;
    size_t n_sheets, cap_sheets;
    note_t *notes;
    size_t n_notes, cap_notes;
    time_t when;  /* written */
};

/* ---- notes ------------------------------------------------------------ */

static graft_error_t nomem(graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

graft_error_t graft_workbook_note(graft_workbook_t *wb, const char *sheet,
                                  const char *item, const char *value,
                                  graft_diag_t *diag)
{
    note_t *p = graft_grow(wb->notes, &wb->cap_notes, wb->n_notes + 1,
                           sizeof *wb->notes);
    if (!p)
        return nomem(diag);
    wb->notes = p;
    note_t n = {strdup(sheet ? sheet : ""), strdup(item ? item : ""),
                strdup(value ? value : "")};
    if (!n.sheet || !n.item || !n.value) {
        free(n.sheet);
        free(n.item);
        free(n.value);
        return nomem(diag);
    }
    wb->notes[wb->n_notes++] = n;
    return GRAFT_OK;
}

graft_error_t graft_xlsx_note_f(graft_workbook_t *wb, const char *sheet,
                                const char *item, graft_diag_t *diag,
                                const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return graft_workbook_note(wb, sheet, item, buf, diag);
}

graft_error_t graft_workbook_note_design(graft_workbook_t *wb,
                                         const char *sheet,
                                         const graft_design_spec_t *s,
                                         graft_diag_t *diag)
{
    char strata[512] = "";
    for (size_t i = 0; i < s->n_strata; i++) {
        size_t n = strlen(strata);
        snprintf(strata + n, sizeof strata - n, "%s%s", i ? "," : "",
                 s->strata[i]);
    }
    graft_error_t rc = graft_workbook_note(
        wb, sheet, "weight",
        s->unweighted ? "1 (unweighted)" : s->weight ? s->weight : "", diag);
    if (rc == GRAFT_OK && s->rep.columns) {
        char scale[64] = "";
        if (isfinite(s->rep.scale))
            snprintf(scale, sizeof scale, ", scale %.17g", s->rep.scale);
        return graft_xlsx_note_f(wb, sheet, "replicate weights", diag,
                                 "%s (%s%s%s)", s->rep.columns,
                                 graft_reptype_name(s->rep.type), scale,
                                 s->rep.mse ? ", mse" : "");
    }
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(wb, sheet, "strata",
                                 s->n_strata ? strata : "none", diag);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "psu", diag, "%s%s",
                               s->psu ? s->psu : "none (each row)",
                               s->psu && s->nest ? " (nested)" : "");
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(wb, sheet, "fpc", s->fpc ? s->fpc : "none",
                                 diag);
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(wb, sheet, "lonely psu",
                                 graft_lonely_name(s->lonely), diag);
    if (rc == GRAFT_OK && s->cal)
        rc = graft_workbook_note(wb, sheet, "calibration",
                                 "linearized with the calibration's "
                                 "residuals", diag);
    return rc;
}

graft_error_t graft_xlsx_note_estimates(graft_workbook_t *wb,
                                        const char *sheet,
                                        const graft_estimates_t *e,
                                        int with_file, graft_diag_t *diag)
{
    const graft_design_summary_t *g = &e->design;
    const graft_estimate_opts_t *o = e->opts;
    graft_error_t rc = GRAFT_OK;
    /* several rounds: their files are the caller's to note */
    if (with_file && !e->round_labels)
        rc = graft_workbook_note(wb, sheet, "data file",
                                 e->file ? e->file : "", diag);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "rows", diag, "%zu", g->n_rows);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "strata (count)", diag, "%zu",
                               g->n_strata);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "PSUs (count)", diag, "%zu",
                               g->n_psu);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "design df", diag, "%ld",
                               (long)g->df);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "sum of weights", diag, "%.17g",
                               g->sum_w);
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(wb, sheet, "interval method",
                                 graft_ci_method_name(o->ci), diag);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "level", diag, "%g", o->level);
    if (rc == GRAFT_OK && o->min_n)
        rc = graft_xlsx_note_f(wb, sheet, "minimum n", diag, "%zu",
                               o->min_n);
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(
            wb, sheet, "flags",
            "suppress: not to be published (shown as suppressed, the value "
            "kept in the cell); review: read with care (amber)",
            diag);
    return rc;
}

/* ---- the workbook ----------------------------------------------------- */

static graft_error_t write_fail(graft_diag_t *diag, const char *path,
                                const char *what)
{
    return graft_diag_set(diag, GRAFT_ERR_WRITE, path, 0, 0,
                          "cannot write the workbook: %s", what);
}

static lxw_format *new_format(lxw_workbook *book, int pct, int mark)
{
    static const char *const pct_fmt[] = {NULL, "0.0%", "0.00%"};
    lxw_format *f = workbook_add_format(book);
    if (!f)
        return NULL;
    if (pct_fmt[pct])
        format_set_num_format(f, pct_fmt[pct]);
    if (mark == GRAFT_TMARK_REVIEW)
        format_set_bg_color(f, 0xFFE699);
    if (mark == GRAFT_TMARK_SUPPRESS) {
        format_set_bg_color(f, 0xE7E6E6);
        format_set_font_color(f, 0x7F7F7F);
        format_set_num_format(
                f, "\"suppressed\";\"suppressed\";\"suppressed\"");
    }
    return f;
}

graft_error_t graft_workbook_new(graft_workbook_t **out, const char *path,
                                 graft_diag_t *diag)
{
    graft_workbook_t *wb = calloc(1, sizeof *wb);
    size_t n = strlen(path);
    *out = NULL;
    if (!wb || !(wb->path = strdup(path)) || !(wb->raw = malloc(n + 16))) {
        graft_workbook_free(wb);
        return nomem(diag);
    }
    snprintf(wb->raw, n + 16, "%s.lxw.XXXXXX", path);
    int fd = mkstemp(wb->raw);
    if (fd < 0) {
        int e = errno;
        free(wb->raw);
        wb->raw = NULL;
        graft_workbook_free(wb);
        return write_fail(diag, path, strerror(e));
    }
    close(fd);
    if (graft_tmp_track(wb->raw) != GRAFT_OK) {
        graft_workbook_free(wb);
        return nomem(diag);
    }
    lxw_workbook_options opt = {.constant_memory = LXW_FALSE,
                                .tmpdir = NULL};
    if (!(wb->book = workbook_new_opt(wb->raw, &opt)) ||
        !(wb->header = workbook_add_format(wb->book))) {
        graft_workbook_free(wb);
        return nomem(diag);
    }
    format_set_bold(wb->header);
    format_set_bottom(wb->header, LXW_BORDER_THIN);
    format_set_bg_color(wb->header, 0xDDEBF7);
    for (int m = 0; m < 3; m++) {
        for (int p = 0; p < 3; p++)
            if (!(wb->num[p][m] = new_format(wb->book, p, m))) {
                graft_workbook_free(wb);
                return nomem(diag);
            }
        /* text cells: the row's fill, never the "suppressed" format; an
         * unmarked row has none (NULL) */
        if (m == GRAFT_TMARK_NONE)
            continue;
        wb->text[m] = workbook_add_format(wb->book);
        if (!wb->text[m]) {
            graft_workbook_free(wb);
            return nomem(diag);
        }
        if (m == GRAFT_TMARK_REVIEW)
            format_set_bg_color(wb->text[m], 0xFFE699);
        if (m == GRAFT_TMARK_SUPPRESS)
            format_set_bg_color(wb->text[m], 0xE7E6E6);
    }
    wb->when = time(NULL);
    /* the first notes; "written" is filled in by graft_workbook_close() */
    if (graft_workbook_note(wb, "", "graft version", graft_version(), diag) !=
            GRAFT_OK ||
        graft_workbook_note(wb, "", "written", "", diag) != GRAFT_OK) {
        graft_workbook_free(wb);
        return GRAFT_ERR_NOMEM;
    }
    *out = wb;
    return GRAFT_OK;
}

void graft_workbook_set_time(graft_workbook_t *wb, time_t when)
{
    wb->when = when;
}

/* The document's properties and the "written" note, at WB->when. */
static graft_error_t set_date(graft_workbook_t *wb, graft_diag_t *diag)
{
    struct tm tm;
    char date[32] = "";
    if (gmtime_r(&wb->when, &tm))
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char *v = strdup(date);
    if (!v)
        return nomem(diag);
    free(wb->notes[1].value); /* "written", noted by graft_workbook_new */
    wb->notes[1].value = v;
    char creator[64];
    snprintf(creator, sizeof creator, "graft %s", graft_version());
    lxw_doc_properties props = {.title = "graft tables",
                                .author = creator,
                                .comments = "written by graft",
                                .created = wb->when};
    workbook_set_properties(wb->book, &props);
    return GRAFT_OK;
}

/* WHEN as a zip entry's MS-DOS date and time (local time, as zip has it;
 * 1980 at the earliest). */
static unsigned long dos_date(time_t when)
{
    struct tm tm;
    if (!gmtime_r(&when, &tm) || tm.tm_year < 80)
        return (1UL << 21) | (1UL << 16); /* 1980-01-01 00:00 */
    return ((unsigned long)(tm.tm_year - 80) << 25) |
           ((unsigned long)(tm.tm_mon + 1) << 21) |
           ((unsigned long)tm.tm_mday << 16) |
           ((unsigned long)tm.tm_hour << 11) |
           ((unsigned long)tm.tm_min << 5) | ((unsigned long)tm.tm_sec / 2);
}

graft_error_t graft_workbook_new_outfile(graft_workbook_t **out,
                                         graft_outfile_t *of,
                                         graft_diag_t *diag)
{
    *out = NULL;
    if (!of->tmp)
        return graft_diag_set(
            diag, GRAFT_ERR_WRITE, of->path ? of->path : "<stdout>", 0, 0,
            "cannot write a workbook here: an .xlsx is a binary zip archive "
            "written to a regular file, not to stdout, a device or a pipe");
    return graft_workbook_new(out, of->tmp, diag);
}

static void sheet_free(graft_xsheet_t *s)
{
    if (!s)
        return;
    free(s->width);
    free(s->nums);
    free(s);
}

void graft_workbook_free(graft_workbook_t *wb)
{
    if (!wb)
        return;
    if (wb->book)
        lxw_workbook_free(wb->book);
    if (wb->raw) {
        unlink(wb->raw);
        graft_tmp_forget(wb->raw);
    }
    for (size_t i = 0; i < wb->n_sheets; i++)
        sheet_free(wb->sheets[i]);
    for (size_t i = 0; i < wb->n_notes; i++) {
        free(wb->notes[i].sheet);
        free(wb->notes[i].item);
        free(wb->notes[i].value);
    }
    free(wb->sheets);
    free(wb->notes);
    free(wb->raw);
    free(wb->path);
    free(wb);
}

/* ---- sheet names ------------------------------------------------------ */

static int name_taken(const graft_workbook_t *wb, const char *name)
{
    if (strcasecmp(name, "notes") == 0)
        return 1;
    for (size_t i = 0; i < wb->n_sheets; i++)
        if (strcasecmp(wb->sheets[i]->name, name) == 0)
            return 1;
    return 0;
}

/* The first MAX characters of S (UTF-8) into BUF. */
static void cut_chars(char *buf, size_t size, const char *s, size_t max)
{
    size_t i = 0, chars = 0;
    while (s[i] && i + 5 < size) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && chars++ == max)
            break;
        buf[i] = s[i];
        i++;
    }
    /* never end inside a character */
    while (i > 0 && ((unsigned char)buf[i - 1] & 0x80) &&
           ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    buf[i] = '\0';
}

void graft_workbook_sheet_name(const graft_workbook_t *wb, const char *name,
                               char *buf, size_t size)
{
    char base[NAME_BUF];
    size_t n = 0;
    for (const char *p = name ? name : ""; *p && n + 1 < sizeof base; p++)
        base[n++] = strchr("[]:*?/\\", *p) ? '_' : *p;
    base[n] = '\0';
    /* nor may it start or end with an apostrophe */
    if (base[0] == '\'')
        base[0] = '_';
    if (n && base[n - 1] == '\'')
        base[n - 1] = '_';
    if (!n)
        snprintf(base, sizeof base, "sheet");
    cut_chars(buf, size, base, SHEET_NAME_MAX);
    for (unsigned k = 2; name_taken(wb, buf); k++) {
        char suffix[16], stem[NAME_BUF];
        int len = snprintf(suffix, sizeof suffix, " (%u)", k);
        cut_chars(stem, sizeof stem, base, SHEET_NAME_MAX - (size_t)len);
        snprintf(buf, size, "%s%s", stem, suffix);
    }
}

/* ---- the xlsx module of the table writer ------------------------------ */

static void keep(graft_xsheet_t *s, lxw_error e)
{
    if (e != LXW_NO_ERROR && s->err == LXW_NO_ERROR)
        s->err = e;
}

static size_t text_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void widen(graft_xsheet_t *s, size_t col, double w)
{
    if (col < s->n_cols && w > s->width[col])
        s->width[col] = w;
}

const char *graft_xlsx_sheet(const graft_table_t *t)
{
    return t->xs ? t->xs->name : "";
}

void graft_xlsx_begin(graft_table_t *t, graft_workbook_t *wb,
                      const char *sheet)
{
    graft_xsheet_t **p = graft_grow(wb->sheets, &wb->cap_sheets,
                                    wb->n_sheets + 1, sizeof *wb->sheets);
    graft_xsheet_t *s = calloc(1, sizeof *s);
    if (p)
        wb->sheets = p;
    if (!p || !s || !(s->width = calloc(t->n_cols + 1, sizeof *s->width))) {
        sheet_free(s);
        t->nomem = 1;
        return;
    }
    graft_workbook_sheet_name(wb, sheet, s->name, sizeof s->name);
    s->n_cols = t->n_cols;
    s->wb = wb;
    wb->sheets[wb->n_sheets++] = s;
    t->xs = s;
    if (!(s->ws = workbook_add_worksheet(wb->book, s->name))) {
        s->err = LXW_ERROR_MEMORY_MALLOC_FAILED;
        return;
    }
    for (size_t i = 0; i < t->n_cols; i++) {
        keep(s, worksheet_write_string(s->ws, 0, (lxw_col_t)i,
                                       t->cols[i].name, wb->header));
        widen(s, i, (double)text_chars(t->cols[i].name) + 2);
    }
    worksheet_freeze_panes(s->ws, 1, 0);
    s->row = 1;
}

static void remember(graft_xsheet_t *s, lxw_col_t col, double x)
{
    xnum_t *p = graft_grow(s->nums, &s->cap_nums, s->n_nums + 1,
                           sizeof *s->nums);
    if (!p) {
        s->nomem = 1;
        return;
    }
    s->nums = p;
    s->nums[s->n_nums++] = (xnum_t){s->row, col, x};
}

/* Number X in column COL with format F; WIDTH its shown width. */
static void put_number(graft_xsheet_t *s, lxw_col_t col, double x,
                       lxw_format *f, int width)
{
    if (!isfinite(x)) {
        if (f)
            keep(s, worksheet_write_blank(s->ws, s->row, col, f));
        return;
    }
    keep(s, worksheet_write_number(s->ws, s->row, col, x, f));
    remember(s, col, x);
    if (width <= 0) {
        char buf[40];
        width = snprintf(buf, sizeof buf, "%.10g", x);
    }
    widen(s, col, width + 2);
}

void graft_xlsx_row(graft_table_t *t, const graft_tcell_t *cells)
{
    graft_xsheet_t *s = t->xs;
    int mark = t->mark >= 0 && t->mark <= 2 ? t->mark : 0;
    if (!s || !s->ws || s->err != LXW_NO_ERROR)
        return;
    if (s->row >= LXW_ROW_MAX) {
        s->err = LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE;
        return;
    }
    for (size_t i = 0; i < t->n_cols; i++) {
        const graft_tcol_t *c = &t->cols[i];
        const graft_tcell_t *x = &cells[c->field];
        lxw_col_t col = (lxw_col_t)i;
        switch (c->kind) {
        case GRAFT_TCOL_REAL: {
            int pct = x->pct > 2 ? 0 : x->pct;
            put_number(s, col, x->x, s->wb->num[pct][mark],
                       mark == GRAFT_TMARK_SUPPRESS ? 10
                       : pct                        ? 8
                                                    : 0);
            break;
        }
        case GRAFT_TCOL_COUNT: /* a count is shown, suppressed or not */
            put_number(s, col, (double)x->n, s->wb->text[mark], 0);
            break;
        default:
            if (x->num) {
                put_number(s, col, x->x, s->wb->text[mark], 0);
            } else if (x->s && *x->s) {
                keep(s, worksheet_write_string(s->ws, s->row, col, x->s,
                                               s->wb->text[mark]));
                widen(s, col, (double)text_chars(x->s) + 2);
            } else if (mark) {
                keep(s, worksheet_write_blank(s->ws, s->row, col,
                                              s->wb->text[mark]));
            }
        }
    }
    s->row++;
}

static const char *lxw_why(lxw_error e)
{
    const char *m = lxw_strerror(e);
    return m ? m : "libxlsxwriter error";
}

graft_error_t graft_xlsx_end(graft_table_t *t, graft_diag_t *diag)
{
    graft_xsheet_t *s = t->xs;
    if (t->nomem || (s && (s->nomem || s->err == LXW_ERROR_MEMORY_MALLOC_FAILED)))
        return nomem(diag);
    if (!s)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "xlsx: a workbook is written with the "
                              "graft_*_sheet functions (graft/xlsx.h), not "
                              "to a stream");
    if (s->err != LXW_NO_ERROR)
        return graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                              "sheet '%s': %s", s->name, lxw_why(s->err));
    for (size_t i = 0; i < s->n_cols; i++) {
        double w = s->width[i] > WIDTH_MAX ? WIDTH_MAX : s->width[i];
        keep(s, worksheet_set_column(s->ws, (lxw_col_t)i, (lxw_col_t)i, w,
                                     NULL));
    }
    if (s->err != LXW_NO_ERROR)
        return graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                              "sheet '%s': %s", s->name, lxw_why(s->err));
    return GRAFT_OK;
}

/* ---- the notes sheet -------------------------------------------------- */

static graft_error_t notes_sheet(graft_workbook_t *wb, graft_diag_t *diag)
{
    static const graft_tcol_t cols[] = {{.name = "sheet", .field = 0},
                                        {.name = "item", .field = 1},
                                        {.name = "value", .field = 2}};
    graft_table_t t = {.cols = cols, .n_cols = 3,
                       .format = GRAFT_TABLE_XLSX};
    /* "notes" is kept for this sheet: no table sheet takes it */
    graft_xsheet_t **p = graft_grow(wb->sheets, &wb->cap_sheets,
                                    wb->n_sheets + 1, sizeof *wb->sheets);
    graft_xsheet_t *s = calloc(1, sizeof *s);
    if (p)
        wb->sheets = p;
    if (!p || !s || !(s->width = calloc(4, sizeof *s->width))) {
        sheet_free(s);
        return nomem(diag);
    }
    snprintf(s->name, sizeof s->name, "notes");
    s->n_cols = 3;
    s->wb = wb;
    wb->sheets[wb->n_sheets++] = s;
    t.xs = s;
    if (!(s->ws = workbook_add_worksheet(wb->book, s->name)))
        return nomem(diag);
    for (size_t i = 0; i < 3; i++) {
        keep(s, worksheet_write_string(s->ws, 0, (lxw_col_t)i, cols[i].name,
                                       wb->header));
        widen(s, i, (double)text_chars(cols[i].name) + 2);
    }
    worksheet_freeze_panes(s->ws, 1, 0);
    s->row = 1;
    for (size_t i = 0; i < wb->n_notes; i++) {
        const graft_tcell_t cells[] = {{.s = wb->notes[i].sheet},
                                       {.s = wb->notes[i].item},
                                       {.s = wb->notes[i].value}};
        graft_xlsx_row(&t, cells);
    }
    return graft_xlsx_end(&t, diag);
}

/* ---- full precision --------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf_t;

static int put(buf_t *b, const char *s, size_t n)
{
    char *p = graft_grow(b->p, &b->cap, b->n + n + 1, 1);
    if (!p)
        return -1;
    b->p = p;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as X. */
static void exact(char *buf, size_t n, double x)
{
    for (int d = 15; d <= 17; d++) {
        snprintf(buf, n, "%.*g", d, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

static int cmp_num(const void *a, const void *b)
{
    const xnum_t *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return (x->col > y->col) - (x->col < y->col);
}

/* A cell reference "AB12" as its row and column, from 0. */
static int parse_ref(const char *p, lxw_row_t *row, lxw_col_t *col)
{
    unsigned long c = 0, r = 0;
    if (*p < 'A' || *p > 'Z')
        return -1;
    for (; *p >= 'A' && *p <= 'Z'; p++)
        c = c * 26 + (unsigned long)(*p - 'A' + 1);
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++)
        r = r * 10 + (unsigned long)(*p - '0');
    if (*p != '"' || c == 0 || r == 0)
        return -1;
    *row = (lxw_row_t)(r - 1);
    *col = (lxw_col_t)(c - 1);
    return 0;
}

/* Does the tag from C to GT have a t="..." attribute (a string, a
 * boolean, an error: not a number)? */
static int has_type(const char *c, const char *gt)
{
    for (const char *q = c; q + 4 <= gt; q++)
        if (memcmp(q, " t=\"", 4) == 0)
            return 1;
    return 0;
}

/* Worksheet XML IN (N bytes) into OUT with every number cell of S given
 * back its exact double. */
static int patch_sheet(graft_xsheet_t *s, const char *in, size_t n,
                       buf_t *out)
{
    static const char open_c[] = "<c r=\"";
    size_t k = 0; /* the next remembered number */
    const char *p = in, *end = in + n;
    if (s->n_nums > 1)
        qsort(s->nums, s->n_nums, sizeof *s->nums, cmp_num);
    for (;;) {
        const char *c = strstr(p, open_c);
        if (!c || c >= end)
            break;
        const char *gt = strchr(c, '>');
        if (!gt)
            break;
        lxw_row_t row;
        lxw_col_t col;
        const char *v = gt + 1;
        int is_num = gt[-1] != '/' && strncmp(v, "<v>", 3) == 0 &&
                     !has_type(c, gt) &&
                     parse_ref(c + sizeof open_c - 1, &row, &col) == 0;
        if (!is_num) {
            if (put(out, p, (size_t)(gt + 1 - p)))
                return -1;
            p = gt + 1;
            continue;
        }
        const char *vend = strstr(v + 3, "</v>");
        if (!vend)
            break;
        while (k < s->n_nums && (s->nums[k].row < row ||
                                 (s->nums[k].row == row && s->nums[k].col < col)))
            k++;
        if (put(out, p, (size_t)(v + 3 - p)))
            return -1;
        if (k < s->n_nums && s->nums[k].row == row && s->nums[k].col == col) {
            char num[40];
            exact(num, sizeof num, s->nums[k].x);
            if (put(out, num, strlen(num)))
                return -1;
        } else if (put(out, v + 3, (size_t)(vend - (v + 3)))) {
            return -1;
        }
        p = vend;
    }
    return put(out, p, (size_t)(end - p));
}

/* The sheet a zip entry NAME holds ("xl/worksheets/sheetN.xml"), or NULL. */
static graft_xsheet_t *entry_sheet(graft_workbook_t *wb, const char *name)
{
    unsigned idx;
    char tail[8];
    if (sscanf(name, "xl/worksheets/sheet%u.%7s", &idx, tail) != 2 ||
        strcmp(tail, "xml") != 0 || idx == 0 || idx > wb->n_sheets)
        return NULL;
    return wb->sheets[idx - 1];
}

/* Copy the archive RAW into PATH, worksheets patched. */
static graft_error_t rewrite(graft_workbook_t *wb, graft_diag_t *diag)
{
    unzFile in = unzOpen64(wb->raw);
    zipFile out = NULL;
    buf_t data = {0}, patched = {0};
    const char *why = NULL;
    int e = 0;
    if (!in)
        return write_fail(diag, wb->path, "cannot read libxlsxwriter's output");
    errno = 0;
    if (!(out = zipOpen64(wb->path, APPEND_STATUS_CREATE))) {
        e = errno;
        unzClose(in);
        return write_fail(diag, wb->path, e ? strerror(e) : "cannot create");
    }
    int rc = unzGoToFirstFile(in);
    while (rc == UNZ_OK && !why) {
        char name[512];
        unz_file_info64 info;
        if (unzGetCurrentFileInfo64(in, &info, name, sizeof name, NULL, 0,
                                    NULL, 0) != UNZ_OK ||
            unzOpenCurrentFile(in) != UNZ_OK) {
            why = "cannot read libxlsxwriter's output";
            break;
        }
        data.n = 0;
        for (;;) {
            char chunk[16384];
            int got = unzReadCurrentFile(in, chunk, sizeof chunk);
            if (got < 0) {
                why = "cannot read libxlsxwriter's output";
                break;
            }
            if (got == 0)
                break;
            if (put(&data, chunk, (size_t)got)) {
                why = "out of memory";
                break;
            }
        }
        unzCloseCurrentFile(in);
        if (why)
            break;
        const char *bytes = data.p ? data.p : "";
        size_t len = data.n;
        graft_xsheet_t *s = entry_sheet(wb, name);
        if (s && s->n_nums) {
            patched.n = 0;
            if (patch_sheet(s, bytes, len, &patched)) {
                why = "out of memory";
                break;
            }
            bytes = patched.p;
            len = patched.n;
        }
        zip_fileinfo zi;
        memset(&zi, 0, sizeof zi);
        zi.dosDate = dos_date(wb->when);
        errno = 0;
        if (zipOpenNewFileInZip(out, name, &zi, NULL, 0, NULL, 0, NULL,
                                Z_DEFLATED, Z_DEFAULT_COMPRESSION) != ZIP_OK ||
            zipWriteInFileInZip(out, bytes, (unsigned)len) != ZIP_OK ||
            zipCloseFileInZip(out) != ZIP_OK) {
            e = errno;
            why = e ? strerror(e) : "write error";
            break;
        }
        rc = unzGoToNextFile(in);
    }
    if (!why && rc != UNZ_END_OF_LIST_OF_FILE)
        why = "cannot read libxlsxwriter's output";
    unzClose(in);
    errno = 0;
    if (zipClose(out, NULL) != ZIP_OK && !why) {
        e = errno;
        why = e ? strerror(e) : "write error";
    }
    free(data.p);
    free(patched.p);
    if (why)
        return strcmp(why, "out of memory") == 0
                   ? nomem(diag)
                   : write_fail(diag, wb->path, why);
    return GRAFT_OK;
}

graft_error_t graft_workbook_close(graft_workbook_t *wb, graft_diag_t *diag)
{
    graft_error_t rc = set_date(wb, diag);
    if (rc == GRAFT_OK)
        rc = notes_sheet(wb, diag);
    if (rc == GRAFT_OK) {
        errno = 0;
        lxw_error e = workbook_close(wb->book);
        wb->book = NULL;
        if (e != LXW_NO_ERROR) {
            int en = errno;
            rc = graft_diag_set(diag, GRAFT_ERR_WRITE, wb->path, 0, 0,
                                "cannot write the workbook: %s%s%s",
                                lxw_why(e), en ? ": " : "",
                                en ? strerror(en) : "");
        }
    }
    if (rc == GRAFT_OK)
        rc = rewrite(wb, diag);
    graft_workbook_free(wb);
    return rc;
}
