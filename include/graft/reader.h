/*
 * graft/reader.h - streaming access to survey microdata.
 *
 * graft_read() opens a data file, chooses the format from its extension
 * (.csv/.tsv/.txt through libcsv; .sav/.zsav/.por/.dta/.sas7bdat/.xpt
 * through ReadStat), calls HEADER once with the columns, then ROW once per
 * data row, as it reads: the file is never loaded whole.
 *
 * Cells are typed per value: a CSV cell that parses as a finite decimal
 * number is GRAFT_CELL_NUMBER (its text kept in str), any other non-missing
 * cell is GRAFT_CELL_STRING.  Empty cells, "NA" and "." are missing in CSV;
 * SPSS user-missing values and Stata/SAS extended missing values are
 * missing; so is any numeric value listed in the options' missing codes.
 *
 * Everything a callback receives is borrowed and valid only during the call.
 * The format readers rebuild their cells for every row; graft_read() marks
 * the caller's missing codes in them in place.
 */
#ifndef GRAFT_READER_H
#define GRAFT_READER_H

#include <stddef.h>
#include "graft/error.h"
#include "graft/labels.h"

typedef enum graft_cell_kind {
    GRAFT_CELL_MISSING = 0,
    GRAFT_CELL_NUMBER = 1,
    GRAFT_CELL_STRING = 2
} graft_cell_kind_t;

typedef struct graft_cell {
    graft_cell_kind_t kind;
    double num;       /* the value when kind == GRAFT_CELL_NUMBER */
    const char *str;  /* NUL-terminated text: the CSV field as written, or a
                         ReadStat string value; NULL for ReadStat numbers */
    size_t len;       /* strlen(str), 0 when str is NULL */
} graft_cell_t;

typedef enum graft_coltype {
    GRAFT_COL_UNKNOWN = 0, /* CSV: decided from the content */
    GRAFT_COL_NUMERIC = 1,
    GRAFT_COL_STRING = 2
} graft_coltype_t;

typedef struct graft_column {
    const char *name;
    const char *label;              /* variable label, or NULL */
    graft_coltype_t type;           /* declared type; UNKNOWN for CSV */
    const graft_labelset_t *labels; /* value labels, or NULL */
} graft_column_t;

/* Extra missing codes for one column (or for all, when column is NULL). */
typedef struct graft_missing_spec {
    const char *column;   /* NULL: every numeric column */
    const double *codes;
    size_t n_codes;
} graft_missing_spec_t;

/* Value labels the caller supplies for a column (survey files, for CSV). */
typedef struct graft_label_spec {
    const char *column;
    const graft_labelset_t *labels;
} graft_label_spec_t;

typedef struct graft_read_opts {
    char delim;                          /* CSV delimiter; 0 = detect */
    size_t chunk_size;                   /* CSV read size; 0 = 64 KiB */
    const graft_missing_spec_t *missing; /* extra missing codes */
    size_t n_missing;
    const char *const *exempt;           /* columns the every-column codes
                                            leave alone (the design's: a
                                            weight of 9 is a weight) */
    size_t n_exempt;
    const graft_label_spec_t *labels;    /* labels for columns by name */
    size_t n_labels;
    /* Called as the file is read (after every chunk of a CSV file; as
     * ReadStat reads its buffers, and once more when the file is read
     * whole) with the bytes read so far, the file's size and the rows so
     * far (NULL: none). */
    void (*progress)(void *arg, size_t bytes, size_t total, size_t rows);
    void *progress_arg;
    /* The columns the caller reads (NULL: every column).  Asked once per
     * column, by name, before HEADER is called; a column it answers 0 for
     * is skipped: its cells come as GRAFT_CELL_MISSING with str NULL,
     * neither parsed nor checked (a CSV row must still have every field).
     * HEADER still lists every column. */
    int (*uses)(void *arg, const char *name);
    void *uses_arg;
    /* 1: number and missing cells may come without their text (str NULL,
     * len 0), as ReadStat's numbers always do: only string cells need it.
     * Saves copying text between threads. */
    int bare_values;
    /* Threads to read with: 1 runs everything on the caller's thread; 0
     * (the default) or more, when the machine has more than one core,
     * parses on the caller's thread and runs ROW on a second thread, one
     * row at a time in file order (HEADER and progress stay on the
     * caller's).  A CSV file of 4 MiB or more is parsed instead in blocks
     * by threads of its own (one per core but one, or this many less one
     * when above 1; at most 8) and by the caller's thread, which runs ROW
     * one row at a time in file order and parses when it would wait.  The
     * results are the same.  (The command line sets 1 for GRAFT_THREADS=1;
     * the library reads no environment.) */
    unsigned threads;
} graft_read_opts_t;

/* Called once with the columns, before any row.  Returns GRAFT_OK to go on,
 * or an error code (with DIAG filled) to stop reading. */
typedef graft_error_t (*graft_header_fn)(void *ctx, const graft_column_t *cols,
                                         size_t ncols, graft_diag_t *diag);

/* Called once per data row with NCOLS cells.  LINE is the 1-based line of
 * the file where the row starts (CSV) or the 1-based case number (other
 * formats).  Returns GRAFT_OK, or an error code to stop reading. */
typedef graft_error_t (*graft_row_fn)(void *ctx, const graft_cell_t *cells,
                                      size_t ncols, unsigned long line,
                                      graft_diag_t *diag);

/* Read PATH with OPTS (NULL for defaults), calling HEADER then ROW.
 * Returns GRAFT_OK, a reader error (GRAFT_ERR_OPEN, _READ, _EMPTY, _NO_ROWS,
 * _HEADER, _FIELDS, _QUOTE, _UTF8, _FORMAT, _NOMEM) or the first error a
 * callback returned.  DIAG names the file, line and column. */
graft_error_t graft_read(const char *path, const graft_read_opts_t *opts,
                         graft_header_fn header, graft_row_fn row, void *ctx,
                         graft_diag_t *diag);

/* Parse S (of length LEN) as a finite decimal number, as CSV cells are.
 * Returns 1 and stores it in *OUT, or 0 when S is not a number. */
int graft_parse_number(const char *s, size_t len, double *out);

/* Is S (length LEN) a CSV missing marker: "", "NA" or "."? */
int graft_is_missing_text(const char *s, size_t len);

/* The text of a cell for display: a string cell's text, or a number written
 * with up to 15 significant digits ("1580", "0.25").  Writes into BUF of
 * SIZE bytes and returns it ("" for missing). */
char *graft_cell_text(const graft_cell_t *cell, char *buf, size_t size);

/* A cell as tables show it: the value label of its code in COL when COL has
 * one, else graft_cell_text().  Writes into BUF of SIZE bytes and returns
 * it. */
char *graft_cell_display(const graft_column_t *col, const graft_cell_t *cell,
                         char *buf, size_t size);

#endif
