/*
 * stats/weight_internal.h - the state of one `graft weight` job, shared by
 * stats/weight.c (reading, weighing) and write/weight_write.c (the data,
 * the survey file, the report).  Internal.
 */
#ifndef GRAFT_STATS_WEIGHT_INTERNAL_H
#define GRAFT_STATS_WEIGHT_INTERNAL_H

#include "graft/expr.h"
#include "graft/weight.h"

#define GRAFT_WEIGHT_MAX_MARGINS 64

typedef struct graft_wjob {
    const char *data;
    const graft_read_opts_t *read;
    const graft_design_spec_t *spec;
    graft_margins_t *const *margins;
    size_t n_margins;
    const graft_weight_opts_t *opts;
    const char *name;   /* the new weight column, NULL: WEIGHT_cal */
    /* [derive]: margins may use derived variables (then every column is
     * read, and each row's derived cells follow its own in xrow) */
    const graft_derived_spec_t *derived;
    size_t n_derived;
    graft_expr_t **dexpr;  /* NULL: no margin uses a derived variable */
    graft_column_t *xcols; /* the file's columns, then the derived ones */
    graft_cell_t *xrow;
    size_t ncols;
    graft_design_t *design;
    /* the new columns: the weight, NAME_untrimmed (trimming after
     * calibration), REP_cal each; set when the header is read */
    char *names;        /* NUL-separated */
    const char **new_cols;
    size_t n_new;
    /* per row, in file order */
    size_t n, cap;
    double *w;          /* design weight */
    uint32_t **cells;   /* [margin][row] */
    size_t n_rep;
    double *repw;       /* [row * n_rep + r], as read */
    double *repw_cal;   /* calibrated (and trimmed), or NULL */
    double *w_cal;      /* calibrated, before trimming */
    double *w_final;    /* calibrated and trimmed */
    graft_cal_result_t cal;
    size_t n_trimmed, n_outside;
} graft_wjob_t;

/* Pass 1: read every row's design weight, cells and replicate weights;
 * check the margins (every cell has rows, totals agree). */
graft_error_t graft_wjob_read(graft_wjob_t *j, graft_diag_t *diag);
/* A new column that the data (COLS) already has: GRAFT_ERR_USAGE. */
graft_error_t graft_wjob_check_names(const graft_wjob_t *j,
                                     const graft_column_t *cols, size_t ncols,
                                     graft_diag_t *diag);
/* Calibrate and/or trim into w_cal, w_final (and repw_cal). */
graft_error_t graft_wjob_weigh(graft_wjob_t *j, graft_diag_t *diag);
/* Fill R from the weighed job J (the new columns' names NEW_COLS: the
 * final weight, then the untrimmed one when trimming followed
 * calibration).  Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_weight_report_fill(const graft_wjob_t *j,
                                       const char *const *new_cols,
                                       graft_weight_report_t *r,
                                       graft_diag_t *diag);
void graft_wjob_free(graft_wjob_t *j);

#endif
