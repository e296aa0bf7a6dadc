/*
 * xlsx_out.c - a workbook written as every graft output is: into a
 * temporary beside the target, renamed into place only when whole.
 */
#include "cli.h"
#include "graft/xlsx.h"

#include <stdlib.h>

/* SOURCE_DATE_EPOCH (reproducible-builds.org), when it is a number of
 * seconds: the time the workbook says it was written. */
static void source_date(graft_workbook_t *wb)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    unsigned long t;
    if (s && cli_parse_uint(s, &t) && (unsigned long)(time_t)t == t)
        graft_workbook_set_time(wb, (time_t)t);
}

graft_error_t cli_write_workbook(const char *path,
                                 graft_error_t (*fill)(graft_workbook_t *wb,
                                                       const void *arg,
                                                       graft_diag_t *diag),
                                 const void *arg,
                                 const graft_design_spec_t *design,
                                 graft_diag_t *diag)
{
    graft_outfile_t out = {0};
    graft_workbook_t *wb = NULL;
    graft_error_t rc = graft_outfile_open(&out, path, diag);
    if (rc == GRAFT_OK)
        rc = graft_workbook_new_outfile(&wb, &out, diag);
    if (rc == GRAFT_OK)
        source_date(wb);
    if (rc == GRAFT_OK)
        rc = fill(wb, arg, diag);
    if (rc == GRAFT_OK && design)
        rc = graft_workbook_note_design(wb, "", design, diag);
    if (rc != GRAFT_OK) {
        graft_workbook_free(wb);
        graft_outfile_abort(&out);
        return rc;
    }
    /* the workbook is written into the temporary, then renamed */
    if ((rc = graft_workbook_close(wb, diag)) != GRAFT_OK) {
        graft_outfile_abort(&out);
        return rc;
    }
    return graft_outfile_commit(&out, diag);
}

graft_error_t cli_write_table(const char *path, graft_table_format_t format,
                              graft_error_t (*write)(FILE *fp,
                                                     const void *arg,
                                                     graft_table_format_t f,
                                                     graft_diag_t *diag),
                              graft_error_t (*fill)(graft_workbook_t *wb,
                                                    const void *arg,
                                                    graft_diag_t *diag),
                              const void *arg,
                              const graft_design_spec_t *design,
                              graft_diag_t *diag)
{
    if (format == GRAFT_TABLE_XLSX)
        return cli_write_workbook(path, fill, arg, design, diag);
    graft_outfile_t out = {0};
    graft_error_t rc = graft_outfile_open(&out, path, diag);
    if (rc == GRAFT_OK)
        rc = graft_outfile_finish(&out, write(out.fp, arg, format, diag),
                                  diag);
    if (rc != GRAFT_OK)
        graft_outfile_abort(&out);
    return rc;
}
