/*
 * graft/output.h - output files that appear whole or not at all.
 *
 * graft_outfile_open() writes to a temporary file beside the target;
 * graft_outfile_commit() checks every write, closes and renames it into
 * place; graft_outfile_abort() removes it.  With path "-" or NULL the
 * stream is stdout, checked the same way and never closed.
 */
#ifndef GRAFT_OUTPUT_H
#define GRAFT_OUTPUT_H

#include <stdio.h>
#include "graft/error.h"

typedef struct graft_outfile {
    FILE *fp;
    char *path;    /* target, NULL for stdout */
    char *tmp;     /* temporary file, NULL for stdout */
} graft_outfile_t;

/* Open an output stream for PATH.  Fails with GRAFT_ERR_WRITE. */
graft_error_t graft_outfile_open(graft_outfile_t *of, const char *path,
                                 graft_diag_t *diag);
/* Flush, check, close and rename into place.  On failure the temporary is
 * removed and GRAFT_ERR_WRITE returned.  Always releases OF. */
graft_error_t graft_outfile_commit(graft_outfile_t *of, graft_diag_t *diag);
/* Discard the output (removes the temporary).  Accepts an unopened OF. */
void graft_outfile_abort(graft_outfile_t *of);

#endif
