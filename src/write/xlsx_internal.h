/*
 * write/xlsx_internal.h - the workbook module of the table writer
 * (table.c): a sheet per table over libxlsxwriter.  Internal.
 */
#ifndef GRAFT_WRITE_XLSX_INTERNAL_H
#define GRAFT_WRITE_XLSX_INTERNAL_H

#include "graft/xlsx.h"
#include "write/table_writer.h"

/* Add the sheet SHEET to WB for table T (its columns set) and write the
 * header row.  A failure is kept in the sheet (or T->nomem) and reported
 * by graft_xlsx_end. */
void graft_xlsx_begin(graft_table_t *t, graft_workbook_t *wb,
                      const char *sheet);
void graft_xlsx_row(graft_table_t *t, const graft_tcell_t *cells);
/* Set the column widths; GRAFT_OK, or the first failure of the sheet. */
graft_error_t graft_xlsx_end(graft_table_t *t, graft_diag_t *diag);

/* The name T's sheet was given ("" before graft_xlsx_begin). */
const char *graft_xlsx_sheet(const graft_table_t *t);

/* A note whose value is printf(FMT, ...), under SHEET. */
graft_error_t graft_xlsx_note_f(graft_workbook_t *wb, const char *sheet,
                                const char *item, graft_diag_t *diag,
                                const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* What an estimates table knows of its design and methods, as notes; its
 * data file too with WITH_FILE (one round: several rounds' files are the
 * caller's to note). */
graft_error_t graft_xlsx_note_estimates(graft_workbook_t *wb,
                                        const char *sheet,
                                        const graft_estimates_t *e,
                                        int with_file, graft_diag_t *diag);

#endif
