/*
 * graft_pipe.h - a two-thread row pipeline: the reader parses rows on the
 * calling thread while a second thread runs the row callback on the
 * previous batch.  Rows reach the callback in file order, one at a time, so
 * every result is the same as with one thread.
 */
#ifndef GRAFT_PIPE_H
#define GRAFT_PIPE_H

#include "graft_reader.h"

typedef struct graft_pipe graft_pipe_t;

/* Start the consumer thread for rows of NCOLS cells, each passed to ROW
 * with CTX.  USED (NULL: all) marks the columns to copy: the others are
 * always missing in the rows pushed and are passed on as missing.  With
 * BARE_VALUES, number and missing cells are passed on without their text.
 * NULL when
 * out of memory or the thread cannot start (the caller then calls ROW
 * itself). */
graft_pipe_t *graft_pipe_start(size_t ncols, const unsigned char *used,
                               int bare_values, graft_row_fn row, void *ctx);

/* Queue a copy of one row.  Returns GRAFT_OK, or the consumer's error once
 * it has failed (the reader should stop), or GRAFT_ERR_NOMEM. */
graft_error_t graft_pipe_push(graft_pipe_t *p, const graft_cell_t *cells,
                              unsigned long line);

/* Run what is queued, stop the thread and free P.  Returns the error of
 * the first row that failed (with its diagnostic in DIAG), else
 * READER_RC (the reader's own result, DIAG untouched). */
graft_error_t graft_pipe_finish(graft_pipe_t *p, graft_error_t reader_rc,
                                graft_diag_t *diag);

#endif
