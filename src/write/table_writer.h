/*
 * write/table_writer.h - the one path every graft table is written
 * through.  Internal.
 *
 * A writer declares its columns for the chosen format (name, kind, text
 * width, Markdown alignment) and then hands over rows as arrays of cells;
 * one module per format (text, CSV, JSON, Markdown, in table.c, chosen
 * from a table by format as ReadStat's rs_module_t) turns them into bytes:
 * RFC 4180 quoting and %.17g in CSV, jansson objects in JSON, aligned
 * columns in text, pipes in Markdown.
 *
 *     graft_table_t t;
 *     graft_table_begin(&t, fp, GRAFT_TABLE_CSV, cols, n_cols, 0);
 *     for (each row) {
 *         graft_tcell_t cells[N_FIELDS];
 *         ... fill cells[F_ESTIMATE].x = r->estimate; ...
 *         graft_table_row(&t, cells);
 *     }
 *     rc = graft_table_end(&t, NULL, diag);
 */
#ifndef GRAFT_WRITE_TABLE_WRITER_H
#define GRAFT_WRITE_TABLE_WRITER_H

#include <jansson.h>
#include <stdio.h>
#include "graft/error.h"
#include "graft/table.h"

typedef enum graft_tcol_kind {
    GRAFT_TCOL_TEXT = 0,  /* a string; NULL is an empty field, JSON null */
    GRAFT_TCOL_REAL = 1,  /* a double: %.17g in CSV, "-" in text when not
                             finite, empty in CSV, null in JSON */
    GRAFT_TCOL_COUNT = 2, /* a size_t: %zu, a JSON integer */
    GRAFT_TCOL_GROUP = 3  /* JSON only: opens a nested object NAME that
                             holds the following GROUPED columns */
} graft_tcol_kind_t;

/* One column of a table as one format shows it. */
typedef struct graft_tcol {
    const char *name;   /* header cell, CSV header, JSON key */
    size_t field;       /* index of its cell in the row's cell array */
    graft_tcol_kind_t kind;
    const char *gap;    /* text: written before the cell (NULL: none) */
    int width;          /* text: printf width, negative to left-align */
    int md_right;       /* Markdown: right-aligned (---:) */
    int grouped;        /* JSON: inside the last GROUP column's object */
} graft_tcol_t;

/* A cell: the member its column's kind reads.  The workbook reads two
 * more: PCT gives a number a percent format (1: "0.0%", 2: "0.00%"), and
 * NUM makes a TEXT cell the number X (empty when not finite): a CSV that
 * carries numbers as text (describe's value column) has them as numbers
 * in the workbook. */
typedef struct graft_tcell {
    const char *s;
    double x;
    size_t n;
    unsigned char pct;
    unsigned char num;
} graft_tcell_t;

struct graft_workbook;
struct graft_xsheet;

/* What the workbook shows of a row: its flag's verdict
 * (graft_tmark_of_flag). */
enum { GRAFT_TMARK_NONE = 0, GRAFT_TMARK_REVIEW = 1, GRAFT_TMARK_SUPPRESS = 2 };

typedef struct graft_table {
    FILE *fp;
    graft_table_format_t format;
    const graft_tcol_t *cols; /* borrowed until graft_table_end */
    size_t n_cols;
    json_t *rows;             /* JSON: the row objects so far */
    int nomem;                /* JSON: a row could not be built */
    struct graft_xsheet *xs;  /* workbook: the sheet being written */
    int mark;                 /* workbook: GRAFT_TMARK_* of the next row */
} graft_table_t;

/* Start table T on FP: write the header (text, CSV, Markdown) or start
 * the array of row objects (JSON).  COLS is borrowed until
 * graft_table_end. */
void graft_table_begin(graft_table_t *t, FILE *fp, graft_table_format_t format,
                       const graft_tcol_t *cols, size_t n_cols);

/* Start table T as the sheet SHEET of workbook WB (format
 * GRAFT_TABLE_XLSX): the header row, bold and frozen.  A failure is kept
 * and returned by graft_table_end. */
void graft_table_begin_sheet(graft_table_t *t, struct graft_workbook *wb,
                             const char *sheet, const graft_tcol_t *cols,
                             size_t n_cols);

/* Start table T as the sheet SHEET of WB when WB is not NULL, else on FP
 * in FORMAT: the one start of every writer that serves both a stream and
 * a workbook. */
void graft_table_begin_to(graft_table_t *t, FILE *fp,
                          struct graft_workbook *wb, const char *sheet,
                          graft_table_format_t format,
                          const graft_tcol_t *cols, size_t n_cols);

/* The mark of a row whose flag is FLAG: "suppress..." suppresses, any
 * other non-empty flag asks for review. */
int graft_tmark_of_flag(const char *flag);

/* Write one row; CELLS is indexed by the columns' field. */
void graft_table_row(graft_table_t *t, const graft_tcell_t *cells);

/* Finish T.  For JSON, the rows become the last member KEY of ROOT
 * (stolen) and the document is dumped; with KEY NULL the rows array alone
 * is dumped, and ROOT NULL with a KEY means ROOT could not be built (out
 * of memory).  Other formats free ROOT and ignore KEY.  Fails with GRAFT_ERR_NOMEM or GRAFT_ERR_WRITE
 * (checked with ferror on FP). */
graft_error_t graft_table_end(graft_table_t *t, json_t *root, const char *key,
                              graft_diag_t *diag);

/* Dump ROOT (stolen; NULL means out of memory) to FP as graft writes
 * every JSON document: indented by 2, %.17g reals, keys in insertion
 * order, a final newline.  Fails with GRAFT_ERR_NOMEM or
 * GRAFT_ERR_WRITE. */
graft_error_t graft_json_dump(FILE *fp, json_t *root, graft_diag_t *diag);

/* V with %.17g into BUF, as CSV carries every number. */
void graft_fmt_real(char *buf, size_t n, double v);

/* A finite V as a JSON real, anything else as null. */
json_t *graft_json_real(double v);

/* V as text and Markdown show it, into BUF: "-" when not finite; with
 * PCT, 100 V with DIGITS decimals; else V with DIGITS decimals (FIXED) or
 * DIGITS + 4 significant digits. */
void graft_fmt_human(char *buf, size_t n, double v, int pct, int digits,
                     int fixed);

/* Append to COLS at *N one column per by variable (NAMES[0..N_NAMES)),
 * of fields FIELD, FIELD + 1, ..., grouped for JSON, with the text GAP
 * and WIDTH. */
void graft_tcol_add_by(graft_tcol_t *cols, size_t *n, char *const *names,
                       size_t n_names, size_t field, const char *gap,
                       int width);

/* The value of estimate row R for by column NAME: its domain's value,
 * "All" for the whole sample, "" when R's by-set does not use NAME.  The
 * estimates, comparison and trend tables share it (estimate_write.c). */
const char *graft_row_by_value(const graft_estimates_t *e,
                               const graft_estimate_row_t *r,
                               const char *name);

/* Write ferror's verdict on FP: GRAFT_OK or GRAFT_ERR_WRITE. */
graft_error_t graft_table_check(FILE *fp, graft_diag_t *diag);

#endif
