/*
 * graft/estimate_write.h - estimate tables as CSV, JSON, Markdown or text.
 *
 * CSV columns, in order: indicator, one column per by variable, estimate,
 * se, ci_low, ci_high, df, deff, cv, n, n_missing, weighted_n, n_eff, flag.
 * CSV and JSON carry full double precision (%.17g) and proportions as
 * fractions; text and Markdown show proportions in percent.  An undefined
 * number is an empty CSV field, JSON null, or "-" in text and Markdown.
 */
#ifndef GRAFT_ESTIMATE_WRITE_H
#define GRAFT_ESTIMATE_WRITE_H

#include <stdio.h>
#include "graft/estimate.h"

typedef enum graft_table_format {
    GRAFT_TABLE_TEXT = 0,
    GRAFT_TABLE_CSV = 1,
    GRAFT_TABLE_JSON = 2,
    GRAFT_TABLE_MD = 3
} graft_table_format_t;

/* Parse "text", "csv", "json" or "md".  Returns 1 on success. */
int graft_table_format_parse(const char *name, graft_table_format_t *out);

/* Write EST to FP.  Fails with GRAFT_ERR_WRITE or GRAFT_ERR_NOMEM. */
graft_error_t graft_estimates_write(FILE *fp, const graft_estimates_t *est,
                                    graft_table_format_t format,
                                    graft_diag_t *diag);

#endif
