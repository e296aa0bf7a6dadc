/*
 * table.c - the table writer: one module per output format, chosen from a
 * table by format (ReadStat src/bin/write/module.h), over the column
 * schema and cell rows of write/table_writer.h.
 */
#include "write/table_writer.h"
#include "base/names.h"
#include "write/csvout.h"
#include "write/xlsx_internal.h"

#include <math.h>
#include <string.h>

/* ---- formats ----------------------------------------------------------- */

static const char *const format_names[] = {"text", "csv", "json", "md",
                                           "xlsx"};

int graft_table_format_parse(const char *name, graft_table_format_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(format_names, 0, name, &i))
        return 0;
    *out = (graft_table_format_t)i;
    return 1;
}

const char *graft_table_format_name(graft_table_format_t format)
{
    return GRAFT_NAMES_AT(format_names, format);
}

/* ---- cells ------------------------------------------------------------- */

void graft_fmt_human(char *buf, size_t n, double v, int pct, int digits,
                     int fixed)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else if (pct)
        snprintf(buf, n, "%.*f", digits, 100 * v);
    else if (fixed)
        snprintf(buf, n, "%.*f", digits, v);
    else
        snprintf(buf, n, "%.*g", digits + 4, v);
}

void graft_fmt_real(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.17g", v);
}

/* The cell as text: CSV (HUMAN 0) leaves undefined numbers empty, text and
 * Markdown (HUMAN 1) show "-". */
static const char *cell_text(const graft_tcol_t *c, const graft_tcell_t *x,
                             char *buf, size_t n, int human)
{
    switch (c->kind) {
    case GRAFT_TCOL_REAL:
        if (isfinite(x->x))
            graft_fmt_real(buf, n, x->x);
        else
            snprintf(buf, n, "%s", human ? "-" : "");
        return buf;
    case GRAFT_TCOL_COUNT:
        snprintf(buf, n, "%zu", x->n);
        return buf;
    default:
        return x->s ? x->s : "";
    }
}

void graft_tcol_add_by(graft_tcol_t *cols, size_t *n, char *const *names,
                       size_t n_names, size_t field, const char *gap,
                       int width)
{
    for (size_t j = 0; j < n_names; j++)
        cols[(*n)++] = (graft_tcol_t){.name = names[j], .field = field + j,
                                      .gap = gap, .width = width,
                                      .grouped = 1};
}

/* ---- the modules ------------------------------------------------------- */

typedef struct table_module {
    void (*header)(graft_table_t *t);
    void (*row)(graft_table_t *t, const graft_tcell_t *cells);
} table_module_t;

/* text: each cell after its gap, padded to its width */
static void text_cell(FILE *fp, const graft_tcol_t *c, const char *s)
{
    if (c->gap)
        fputs(c->gap, fp);
    fprintf(fp, "%*s", c->width, s);
}

static void text_header(graft_table_t *t)
{
    for (size_t i = 0; i < t->n_cols; i++)
        text_cell(t->fp, &t->cols[i], t->cols[i].name);
    fputc('\n', t->fp);
}

static void text_row(graft_table_t *t, const graft_tcell_t *cells)
{
    char buf[64];
    for (size_t i = 0; i < t->n_cols; i++) {
        const graft_tcol_t *c = &t->cols[i];
        text_cell(t->fp, c, cell_text(c, &cells[c->field], buf, sizeof buf, 1));
    }
    fputc('\n', t->fp);
}

/* CSV: RFC 4180 fields, %.17g numbers */
static void csv_header(graft_table_t *t)
{
    for (size_t i = 0; i < t->n_cols; i++)
        graft_csv_field(t->fp, t->cols[i].name, i > 0);
    fputc('\n', t->fp);
}

static void csv_row(graft_table_t *t, const graft_tcell_t *cells)
{
    char buf[64];
    for (size_t i = 0; i < t->n_cols; i++) {
        const graft_tcol_t *c = &t->cols[i];
        graft_csv_field(t->fp,
                        cell_text(c, &cells[c->field], buf, sizeof buf, 0),
                        i > 0);
    }
    fputc('\n', t->fp);
}

/* JSON: an object per row, keys in column order */
json_t *graft_json_real(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *json_cell(const graft_tcol_t *c, const graft_tcell_t *x)
{
    switch (c->kind) {
    case GRAFT_TCOL_REAL: return graft_json_real(x->x);
    case GRAFT_TCOL_COUNT: return json_integer((json_int_t)x->n);
    case GRAFT_TCOL_GROUP: return json_object();
    default: return x->s ? json_string(x->s) : json_null();
    }
}

static void json_header(graft_table_t *t)
{
    t->rows = json_array();
    t->nomem = !t->rows;
}

static void json_row(graft_table_t *t, const graft_tcell_t *cells)
{
    json_t *obj = json_object(), *group = NULL;
    if (!obj || !t->rows) {
        t->nomem = 1;
        json_decref(obj);
        return;
    }
    for (size_t i = 0; i < t->n_cols; i++) {
        const graft_tcol_t *c = &t->cols[i];
        json_t *v = json_cell(c, &cells[c->field]);
        json_object_set_new(c->grouped && group ? group : obj, c->name, v);
        if (c->kind == GRAFT_TCOL_GROUP)
            group = v;
    }
    json_array_append_new(t->rows, obj);
}

/* Markdown: pipes, an alignment row under the header */
static void md_header(graft_table_t *t)
{
    for (size_t i = 0; i < t->n_cols; i++) {
        const graft_tcol_t *c = &t->cols[i];
        fputs(i ? " | " : "| ", t->fp);
        fputs(c->name, t->fp);
    }
    fputs(" |\n", t->fp);
    for (size_t i = 0; i < t->n_cols; i++)
        fputs(t->cols[i].md_right ? "|---:" : "|---", t->fp);
    fputs("|\n", t->fp);
}

static void md_row(graft_table_t *t, const graft_tcell_t *cells)
{
    char buf[64];
    for (size_t i = 0; i < t->n_cols; i++) {
        const graft_tcol_t *c = &t->cols[i];
        fputs(i ? " | " : "| ", t->fp);
        fputs(cell_text(c, &cells[c->field], buf, sizeof buf, 1), t->fp);
    }
    fputs(" |\n", t->fp);
}

/* A workbook: write/xlsx.c; graft_table_begin_sheet() has written the
 * header. */
static void xlsx_header(graft_table_t *t)
{
    (void)t;
}

/* Indexed by graft_table_format_t. */
static const table_module_t modules[] = {
    {text_header, text_row},
    {csv_header, csv_row},
    {json_header, json_row},
    {md_header, md_row},
    {xlsx_header, graft_xlsx_row},
};

static const table_module_t *module_of(graft_table_format_t format)
{
    return (size_t)format < GRAFT_COUNTOF(modules) ? &modules[format]
                                                   : &modules[0];
}

/* ---- the table --------------------------------------------------------- */

void graft_table_begin(graft_table_t *t, FILE *fp, graft_table_format_t format,
                       const graft_tcol_t *cols, size_t n_cols)
{
    *t = (graft_table_t){fp, format, cols, n_cols, NULL, 0, NULL, 0};
    module_of(format)->header(t);
}

void graft_table_begin_sheet(graft_table_t *t, struct graft_workbook *wb,
                             const char *sheet, const graft_tcol_t *cols,
                             size_t n_cols)
{
    *t = (graft_table_t){NULL, GRAFT_TABLE_XLSX, cols, n_cols, NULL, 0,
                         NULL, 0};
    graft_xlsx_begin(t, wb, sheet);
}

void graft_table_begin_to(graft_table_t *t, FILE *fp,
                          struct graft_workbook *wb, const char *sheet,
                          graft_table_format_t format,
                          const graft_tcol_t *cols, size_t n_cols)
{
    if (wb)
        graft_table_begin_sheet(t, wb, sheet, cols, n_cols);
    else
        graft_table_begin(t, fp, format, cols, n_cols);
}

int graft_tmark_of_flag(const char *flag)
{
    if (!flag || !*flag)
        return GRAFT_TMARK_NONE;
    return strncmp(flag, "suppress", 8) == 0 ? GRAFT_TMARK_SUPPRESS
                                             : GRAFT_TMARK_REVIEW;
}

void graft_table_row(graft_table_t *t, const graft_tcell_t *cells)
{
    module_of(t->format)->row(t, cells);
    t->mark = GRAFT_TMARK_NONE;
}

graft_error_t graft_table_check(FILE *fp, graft_diag_t *diag)
{
    return ferror(fp) ? graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                                       "write error")
                      : GRAFT_OK;
}

graft_error_t graft_json_dump(FILE *fp, json_t *root, graft_diag_t *diag)
{
    if (!root)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory building JSON");
    int rc = json_dumpf(root, fp,
                        JSON_INDENT(2) | JSON_REAL_PRECISION(17) |
                            JSON_PRESERVE_ORDER);
    json_decref(root);
    fputc('\n', fp);
    if (rc)
        return graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                              "cannot write JSON");
    return graft_table_check(fp, diag);
}

graft_error_t graft_table_end(graft_table_t *t, json_t *root, const char *key,
                              graft_diag_t *diag)
{
    if (t->format == GRAFT_TABLE_XLSX) {
        json_decref(root);
        return graft_xlsx_end(t, diag);
    }
    if (t->format != GRAFT_TABLE_JSON) {
        json_decref(root);
        return graft_table_check(t->fp, diag);
    }
    json_t *rows = t->rows;
    t->rows = NULL;
    if (t->nomem || (key && !root)) {
        json_decref(rows);
        json_decref(root);
        return graft_json_dump(t->fp, NULL, diag);
    }
    if (!key) {
        json_decref(root);
        return graft_json_dump(t->fp, rows, diag);
    }
    /* json_object_set_new takes ROWS even when it fails */
    if (json_object_set_new(root, key, rows) != 0) {
        json_decref(root);
        return graft_json_dump(t->fp, NULL, diag);
    }
    return graft_json_dump(t->fp, root, diag);
}
