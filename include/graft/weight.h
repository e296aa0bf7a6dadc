/*
 * graft/weight.h - `graft weight`: margins files, and a survey's weights
 * calibrated to them (graft/calibrate.h) and/or trimmed, written as the
 * data with the new weight column(s) and a survey file beside it.
 *
 * A margins file is CSV: a header of one or more survey variables then
 * `total`, one row per cell with its population total:
 *
 *     zone,total              zone,sex,total
 *     North,1250000           North,Male,610000
 *     ...                     ...
 *
 * Cells are matched against the data as `--by` shows its values: the
 * value label of a code when the column has one, else the value (numbers
 * with up to 15 significant digits, so "1.0" in a margins file is 1).
 *
 * Ownership: functions never take ownership of pointer arguments unless
 * the comment says so; returned pointers are the caller's, freed with the
 * matching _free function, and every _free accepts NULL.
 */
#ifndef GRAFT_WEIGHT_H
#define GRAFT_WEIGHT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "graft/calibrate.h"
#include "graft/design.h"
#include "graft/error.h"
#include "graft/reader.h"
#include "graft/spec.h"
#include "graft/table.h"

/* ---- margins files ----------------------------------------------------- */

/* One margins file: its variables, cells and totals. */
typedef struct graft_margins graft_margins_t;

/* Read the margins file PATH (CSV).  Fails with GRAFT_ERR_OPEN and the
 * reader's errors, or GRAFT_ERR_SURVEY_FILE naming PATH:LINE:COL: a header
 * that does not end in `total` or has no variable before it, an empty
 * variable value, an empty, non-numeric, negative or infinite total, a
 * cell given twice (naming the line of the first). */
graft_error_t graft_margins_load(const char *path, graft_margins_t **out,
                                 graft_diag_t *diag);
void graft_margins_free(graft_margins_t *m);

/* Its variables (the header before `total`). */
size_t graft_margins_n_vars(const graft_margins_t *m);
const char *graft_margins_var(const graft_margins_t *m, size_t i);
/* The margin as graft_calibrate() takes it (name "zone" or "zone*sex",
 * cell names "North" or "North*Male", totals, file and lines); owned by M. */
const graft_margin_t *graft_margins_margin(const graft_margins_t *m);
/* The sum of its totals. */
double graft_margins_sum(const graft_margins_t *m);

/* Resolve M's variables in the data's columns COLS (DATA names the file).
 * Fails with GRAFT_ERR_COLUMN (suggesting the closest name). */
graft_error_t graft_margins_bind(graft_margins_t *m, const char *data,
                                 const graft_column_t *cols, size_t ncols,
                                 graft_diag_t *diag);
/* The cell of a data row (after bind): *CELL.  Counts the row in its cell.
 * Fails with GRAFT_ERR_DESIGN_VALUE (a margin variable missing on the
 * row: DATA:LINE:COL) or GRAFT_ERR_SURVEY_FILE (the row's value, or
 * combination of values, is not in the margins file). */
graft_error_t graft_margins_cell(graft_margins_t *m, const graft_cell_t *cells,
                                 unsigned long line, uint32_t *cell,
                                 graft_diag_t *diag);
/* Rows counted in cell C. */
size_t graft_margins_cell_rows(const graft_margins_t *m, size_t c);
/* After the last row: GRAFT_ERR_SURVEY_FILE (FILE:LINE) for the first cell
 * of the margins file that no data row falls in. */
graft_error_t graft_margins_check_rows(const graft_margins_t *m,
                                       graft_diag_t *diag);
/* The margins' population totals agree within 0.1% (relative to the
 * larger): else GRAFT_ERR_SURVEY_FILE naming both files and sums. */
graft_error_t graft_margins_check_sums(graft_margins_t *const *ms, size_t n,
                                       graft_diag_t *diag);

/* ---- weight statistics --------------------------------------------------- */

/* Weights' summary for the weighting report.  CV uses the population sd
 * (divisor n), so that deff = 1 + CV^2 = n sum w^2 / (sum w)^2, Kish's
 * design effect due to weighting, and kish_n = n / deff. */
typedef struct graft_weight_stats {
    size_t n;
    double sum, min, median, max, mean, cv, kish_n, deff;
} graft_weight_stats_t;

/* Summarize the N weights W into *OUT.  Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_weight_stats(size_t n, const double *w,
                                 graft_weight_stats_t *out,
                                 graft_diag_t *diag);

/* ---- the whole command --------------------------------------------------- */

typedef struct graft_weight_opts {
    int calibrate;           /* 1: calibrate to the margins */
    graft_cal_opts_t cal;
    int trim;                /* 1: trim (after calibrating, if calibrate) */
    double trim_lower, trim_upper;
    int trim_strict;
} graft_weight_opts_t;

struct graft_weight_report;

/* Where and how graft_weight_file() writes. */
typedef struct graft_weight_out {
    const char *path;        /* the CSV; not "-" */
    const char *name;        /* the new weight column; NULL: WEIGHT_cal */
    /* Carried into the survey file OUT.ini: */
    const char *survey_name, *round; /* [survey] name and round, or NULL */
    long year;
    const graft_derived_spec_t *derived; /* [derive], in order: margins may
                                            use them too */
    size_t n_derived;
    char *const *question_names, *const *questions; /* [questions] */
    size_t n_questions;
    const char *const *files; /* the margins files as given, for [calibration] */
    const char *command;      /* a comment line naming the command, or NULL */
    const char *survey;       /* the input survey file, never overwritten */
    /* Called (when not NULL) with the report once the outputs are
     * complete, before they are renamed into place: an error it returns
     * (a report that cannot be written) leaves no output. */
    graft_error_t (*before_commit)(void *arg,
                                   const struct graft_weight_report *report,
                                   graft_diag_t *diag);
    void *before_commit_arg;
} graft_weight_out_t;

/* One margin cell in the report. */
typedef struct graft_weight_cell {
    const char *margin, *cell; /* owned by the margins */
    size_t n;                  /* rows */
    double target, before, calibrated, after; /* totals: population, design
                                                 weights, calibrated (before
                                                 trimming), final */
} graft_weight_cell_t;

/* What graft_weight_file() did. */
typedef struct graft_weight_report {
    const char *data, *output, *ini; /* borrowed from the call / owned */
    char ini_path[1100];
    const char *design_weight, *new_weight, *untrimmed; /* column names */
    graft_weight_opts_t opts;
    graft_weight_stats_t before, calibrated, after;
    graft_cal_result_t cal;
    size_t n_trimmed;
    size_t n_outside;        /* final g = new / design weight outside
                                the bounds */
    size_t n_rep;            /* replicate weight columns calibrated */
    graft_weight_cell_t *cells;
    size_t n_cells;
    char *names_buf;         /* owned */
} graft_weight_report_t;

void graft_weight_report_free(graft_weight_report_t *r);

/* Read DATA with READ, calibrate its weight (SPEC's) to the N_MARGINS
 * margins and/or trim it as OPTS says, and write OUT->path: the columns as
 * read (CSV cells as their text; other formats' numbers in the shortest
 * form that reads back exactly), then the new weight, the calibrated
 * weight before trimming (trimming after calibration: NAME_untrimmed) and
 * each replicate weight calibrated (REP_cal); beside it the survey file
 * (OUT with extension .ini) with the design on the new weight, the
 * missing codes, value labels, [derive], [questions] and [calibration].
 * Both appear only when both are complete.  Fails with any reader,
 * design, margins or calibration error, GRAFT_ERR_USAGE (a new column
 * that already exists, an -o that is an input) or GRAFT_ERR_WRITE.
 * REPORT receives what was done (free with graft_weight_report_free). */
graft_error_t graft_weight_file(const char *data,
                                const graft_read_opts_t *read,
                                const graft_design_spec_t *spec,
                                graft_margins_t *const *margins,
                                size_t n_margins,
                                const graft_weight_opts_t *opts,
                                const graft_weight_out_t *out,
                                graft_weight_report_t *report,
                                graft_diag_t *diag);

/* Write the weighting report R to FP in FORMAT (text, csv, json or md).
 * Fails with GRAFT_ERR_WRITE or GRAFT_ERR_NOMEM. */
graft_error_t graft_weight_report_write(FILE *fp,
                                        const graft_weight_report_t *r,
                                        graft_table_format_t format,
                                        graft_diag_t *diag);

#endif
