/*
 * reader_internal.h - what the library shares behind graft_read(): the
 * format readers it dispatches to (also driven directly by tests and
 * fuzzing) and the "did you mean" column lookup of its diagnostics.
 * Internal: graft/reader.h is the module's interface.
 */
#ifndef GRAFT_IO_READER_INTERNAL_H
#define GRAFT_IO_READER_INTERNAL_H

#include <stddef.h>
#include "graft/reader.h"

/* The format readers behind graft_read(), for tests and fuzzing.  They use
 * only opts->delim, opts->chunk_size and opts->uses and deliver the
 * file's own values and labels; graft_read() applies opts->missing and
 * opts->labels on top. */
graft_error_t graft_read_csv(const char *path, const graft_read_opts_t *opts,
                             graft_header_fn header, graft_row_fn row,
                             void *ctx, graft_diag_t *diag);
graft_error_t graft_read_csv_buffer(const char *name, const char *buf,
                                    size_t len, const graft_read_opts_t *opts,
                                    graft_header_fn header, graft_row_fn row,
                                    void *ctx, graft_diag_t *diag);
graft_error_t graft_read_stat(const char *path, const graft_read_opts_t *opts,
                              graft_header_fn header, graft_row_fn row,
                              void *ctx, graft_diag_t *diag);

/* The shortest edit distance match for NAME among COLS, or NULL when none is
 * close (for "did you mean" suggestions). */
const char *graft_closest_column(const char *name, const graft_column_t *cols,
                                 size_t ncols);

#endif
