/*
 * graft/table.h - the output formats of graft's tables (estimates,
 * comparisons, trends, describe) and the estimates table itself.
 *
 * Every table is written through one writer module per format
 * (src/write/table.c): CSV and JSON carry full double precision (%.17g)
 * and proportions as fractions; text and Markdown show proportions in
 * percent.  An undefined number is an empty CSV field, JSON null, or "-"
 * in text and Markdown.  A workbook (graft/xlsx.h) has the CSV's columns.
 *
 * Estimates' CSV columns, in order: [round,] indicator, one column per by
 * variable, estimate, se, ci_low, ci_high, df, deff, cv, n, n_missing,
 * weighted_n, n_eff, flag.
 */
#ifndef GRAFT_TABLE_H
#define GRAFT_TABLE_H

#include <stdio.h>
#include "graft/estimate.h"

typedef enum graft_table_format {
    GRAFT_TABLE_TEXT = 0,
    GRAFT_TABLE_CSV = 1,
    GRAFT_TABLE_JSON = 2,
    GRAFT_TABLE_MD = 3,
    GRAFT_TABLE_XLSX = 4 /* a workbook (graft/xlsx.h): not to a FILE * */
} graft_table_format_t;

/* Parse "text", "csv", "json", "md" or "xlsx" into *OUT.  Returns 1 on success, 0
 * (leaving *OUT alone) for any other NAME. */
int graft_table_format_parse(const char *name, graft_table_format_t *out);

/* The option name of FORMAT ("text", ...), or "?" when out of range. */
const char *graft_table_format_name(graft_table_format_t format);

/* Write EST to FP in FORMAT.  Fails with GRAFT_ERR_WRITE or
 * GRAFT_ERR_NOMEM; GRAFT_TABLE_XLSX fails with GRAFT_ERR_USAGE (a workbook
 * is written with graft_estimates_sheet(), graft/xlsx.h).  So do the other
 * tables' writers (graft_changes_write, ...). */
graft_error_t graft_estimates_write(FILE *fp, const graft_estimates_t *est,
                                    graft_table_format_t format,
                                    graft_diag_t *diag);

#endif
