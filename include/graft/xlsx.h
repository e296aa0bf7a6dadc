/*
 * graft/xlsx.h - Excel workbooks (.xlsx) of graft's tables, through
 * libxlsxwriter.
 *
 * A workbook holds one sheet per table and a last sheet "notes": the
 * graft version, the date written, and per sheet what its table knows of
 * the design and the methods (data file, rows, strata, PSUs, degrees of
 * freedom, interval method and level, ...), with whatever the caller adds
 * with graft_workbook_note().
 *
 * A sheet has the columns of the table's CSV, in the same order and under
 * the same names (the two writers share one column description), so that
 * a workbook and a CSV cannot drift:
 *  - numbers are numbers, carried at full double precision (the shortest
 *    of %.15g, %.16g, %.17g that reads back as the same double);
 *  - an undefined number is an empty cell (the flag column says why when
 *    the table flagged the row);
 *  - proportions (estimates, standard errors and interval bounds of a
 *    proportion, changes between proportions, a plan's proportions) carry
 *    a percent format ("0.0%", standard errors "0.00%"): the value stays
 *    the fraction;
 *  - a row flagged "review" has its numbers on an amber fill; a row
 *    flagged "suppress" shows "suppressed" in its numeric cells (the value
 *    stays in the cell) on a grey fill; the flag column holds the reason;
 *  - the header row is bold and frozen, column widths fit the contents.
 *
 * Sheet names are made what Excel accepts: the characters []:*?/\ become
 * '_', at most 31 characters, unique in the workbook (ignoring case) by a
 * suffix " (2)", " (3)", ...
 *
 *     graft_outfile_t of;
 *     graft_workbook_t *wb;
 *     graft_outfile_open(&of, "out.xlsx", diag);
 *     graft_workbook_new_outfile(&wb, &of, diag);
 *     graft_estimates_sheet(wb, "estimates", est, diag);
 *     graft_workbook_close(wb, diag);   (writes the temporary)
 *     graft_outfile_commit(&of, diag);  (renames it into place)
 */
#ifndef GRAFT_XLSX_H
#define GRAFT_XLSX_H

#include "graft/compare.h"
#include "graft/describe.h"
#include "graft/error.h"
#include "graft/estimate.h"
#include "graft/model.h"
#include "graft/output.h"
#include "graft/plan.h"

#include <time.h>

typedef struct graft_workbook graft_workbook_t;

/* A new workbook that graft_workbook_close() writes to PATH, a regular
 * file (a workbook is a zip archive, written with seeks: not a pipe).  Its
 * temporaries go beside PATH and are tracked (graft_tmp_track).  Fails
 * with GRAFT_ERR_NOMEM or GRAFT_ERR_WRITE. */
graft_error_t graft_workbook_new(graft_workbook_t **out, const char *path,
                                 graft_diag_t *diag);

/* A new workbook written into the temporary of OF (opened by
 * graft_outfile_open), to be renamed into place by graft_outfile_commit()
 * after graft_workbook_close().  Stdout, a device or a FIFO is refused
 * with GRAFT_ERR_WRITE: a workbook is binary and written with seeks. */
graft_error_t graft_workbook_new_outfile(graft_workbook_t **out,
                                         graft_outfile_t *of,
                                         graft_diag_t *diag);

/* The time the workbook says it was written (the notes' "written", the
 * document's creation date, its entries' dates): by default the time of
 * graft_workbook_new().  A fixed time (SOURCE_DATE_EPOCH) makes the same
 * tables the same bytes. */
void graft_workbook_set_time(graft_workbook_t *wb, time_t when);

/* Add ITEM = VALUE to the notes sheet, under SHEET ("" for the whole
 * workbook).  Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_workbook_note(graft_workbook_t *wb, const char *sheet,
                                  const char *item, const char *value,
                                  graft_diag_t *diag);

/* Add the design SPEC (weight, strata, PSU, fpc, lonely-PSU rule or the
 * replicate weights) to the notes under SHEET.  Fails only with
 * GRAFT_ERR_NOMEM. */
graft_error_t graft_workbook_note_design(graft_workbook_t *wb,
                                         const char *sheet,
                                         const graft_design_spec_t *spec,
                                         graft_diag_t *diag);

/* The name graft gives a sheet asked for as NAME in WB (see above), into
 * BUF (at least 128 bytes): what graft_*_sheet() will call it. */
void graft_workbook_sheet_name(const graft_workbook_t *wb, const char *name,
                               char *buf, size_t size);

/* Write the notes sheet and the workbook to its path, and free WB (always).
 * Fails with GRAFT_ERR_WRITE (the file cannot be written; nothing is left
 * at the path's temporaries) or GRAFT_ERR_NOMEM. */
graft_error_t graft_workbook_close(graft_workbook_t *wb, graft_diag_t *diag);

/* Free WB without writing it.  Accepts NULL. */
void graft_workbook_free(graft_workbook_t *wb);

/* The tables as sheets named SHEET (made valid and unique).  Each adds to
 * the notes what its table knows.  Fail with GRAFT_ERR_NOMEM, or
 * GRAFT_ERR_WRITE (libxlsxwriter refused a cell, e.g. more than 1048576
 * rows). */
graft_error_t graft_estimates_sheet(graft_workbook_t *wb, const char *sheet,
                                    const graft_estimates_t *est,
                                    graft_diag_t *diag);
graft_error_t graft_changes_sheet(graft_workbook_t *wb, const char *sheet,
                                  const graft_changes_t *ch, int table,
                                  graft_diag_t *diag);
graft_error_t graft_describe_sheet(graft_workbook_t *wb, const char *sheet,
                                   const graft_describe_t *desc,
                                   graft_diag_t *diag);
graft_error_t graft_model_sheet(graft_workbook_t *wb, const char *sheet,
                                const graft_model_t *m, graft_diag_t *diag);
graft_error_t graft_plan_sheet(graft_workbook_t *wb, const char *sheet,
                               const graft_plan_row_t *rows, size_t n_rows,
                               graft_plan_kind_t kind,
                               const graft_plan_opts_t *opts,
                               graft_diag_t *diag);

#endif
