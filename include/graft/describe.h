/*
 * graft/describe.h - one streaming pass that describes a data file and its
 * survey design: columns, types, missing counts, small value tables with
 * labels, weights, strata, PSUs and degrees of freedom.
 */
#ifndef GRAFT_DESCRIBE_H
#define GRAFT_DESCRIBE_H

#include <stdio.h>
#include "graft/design.h"
#include "graft/error.h"
#include "graft/reader.h"
#include "graft/table.h"

/* Columns with at most this many distinct values get a value table. */
#define GRAFT_DESCRIBE_MAX_VALUES 50

typedef struct graft_value_count {
    graft_cell_kind_t kind; /* NUMBER or STRING */
    double num;
    char *str;              /* string value, or NULL */
    char *label;            /* value label, or NULL */
    size_t count;
} graft_value_count_t;

typedef struct graft_column_desc {
    char *name;
    char *label;            /* variable label, or NULL */
    graft_coltype_t type;   /* UNKNOWN: no non-missing value */
    size_t n_missing;
    size_t n_distinct;      /* exact when !overflow */
    int overflow;           /* more than GRAFT_DESCRIBE_MAX_VALUES values */
    graft_value_count_t *values; /* sorted by code, when !overflow */
    double min, max;        /* numeric columns */
} graft_column_desc_t;

typedef struct graft_describe {
    char *file;
    size_t n_rows, n_cols;
    graft_column_desc_t *cols;
    graft_design_spec_t spec;        /* as used; strings borrowed from the
                                        caller's spec */
    graft_design_summary_t design;
    char **lonely;                   /* names of single-PSU strata */
    size_t n_lonely;
    size_t n_rep;                    /* replicate weight columns, or 0 */
    double rep_scale;
    long rep_df;                     /* rank of the replicates - 1 */
} graft_describe_t;

/* Read PATH once and describe it under SPEC.  *OUT is the caller's, freed
 * with graft_describe_free.  Fails with any reader or design error.  Lonely
 * PSUs are reported, not an error: describing a design is how one finds
 * them. */
graft_error_t graft_describe_file(const char *path,
                                  const graft_read_opts_t *opts,
                                  const graft_design_spec_t *spec,
                                  graft_describe_t **out, graft_diag_t *diag);
void graft_describe_free(graft_describe_t *desc);

/* Write DESC to FP as text, CSV (section,column,key,label,value) or JSON;
 * GRAFT_TABLE_MD writes text.  Fails with GRAFT_ERR_WRITE or
 * GRAFT_ERR_NOMEM. */
graft_error_t graft_describe_write(FILE *fp, const graft_describe_t *desc,
                                   graft_table_format_t format,
                                   graft_diag_t *diag);

#endif
