/*
 * io/pipe.h - a two-thread row pipeline: the reader parses rows on the
 * calling thread while a second thread runs the row callback on the
 * previous batch.  Rows reach the callback in file order, one at a time, so
 * every result is the same as with one thread.
 *
 * The batches also serve the other way round (graft_pipe_local()): threads
 * that parse pack rows into batches of their own, and the calling thread
 * runs them through the callback in file order.
 */
#ifndef GRAFT_PIPE_H
#define GRAFT_PIPE_H

#include "io/reader_internal.h"

#include <math.h>

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

/* Missing codes, screened as the consumer unpacks each row (in the same
 * pass): a number cell of column C within [LO[C], HI[C]] becomes missing
 * when IS_CODE(ARG, C, NUM) says 1.  A column without codes has LO > HI
 * (LO +inf, HI -inf).  LO and HI are copied; call before the first row. */
graft_error_t graft_pipe_screen(graft_pipe_t *p, const double *lo,
                                const double *hi,
                                int (*is_code)(void *arg, size_t col,
                                               double num),
                                void *arg);

/* Queue a copy of one row.  Returns GRAFT_OK, or the consumer's error once
 * it has failed (the reader should stop), or GRAFT_ERR_NOMEM. */
graft_error_t graft_pipe_push(graft_pipe_t *p, const graft_cell_t *cells,
                              unsigned long line);

/* A format reader may also write its rows straight into the batch, a
 * column at a time, in the compact form the batches hold: per copied
 * column, a kind and a number. */
typedef struct graft_pipe_row {
    double *nums;         /* per copied column */
    unsigned char *kinds; /* a graft_cell_kind_t, or GRAFT_PIPE_AUTO */
} graft_pipe_row_t;

/* The kind of a compact cell that is a number when NUM is finite, and
 * missing otherwise (NaN, infinities). */
#define GRAFT_PIPE_AUTO 0xFF

/* The cell a compact KIND and NUM stand for (its text is set apart). */
static inline void graft_pipe_cell(graft_cell_t *cell, unsigned char kind,
                                   double num)
{
    if (kind == GRAFT_PIPE_AUTO) {
        int finite = isfinite(num);
        cell->kind = finite ? GRAFT_CELL_NUMBER : GRAFT_CELL_MISSING;
        cell->num = finite ? num : 0.0;
    } else {
        cell->kind = (graft_cell_kind_t)kind;
        cell->num = num;
    }
}

/* Column COL's place among the columns copied (in a row's nums and
 * kinds), or -1 when it is not copied. */
long graft_pipe_position(const graft_pipe_t *p, size_t col);

/* Start the next row in place: each kind GRAFT_PIPE_AUTO, the numbers
 * not set.  The caller writes every place's number (NaN: missing), and
 * its kind where it is not GRAFT_PIPE_AUTO.  The pointers hold until
 * graft_pipe_end_row(). */
graft_pipe_row_t graft_pipe_begin_row(graft_pipe_t *p);

/* Before the first row: every row will be begun in place and leave every
 * kind GRAFT_PIPE_AUTO (numbers and missing values, no text).
 * graft_pipe_end_row() then makes each row final on the reading thread
 * (the kinds, the missing codes marked), and the consumer only copies it,
 * with the same cells as a result. */
void graft_pipe_all_auto(graft_pipe_t *p);

/* Keep a copy of the text (LEN bytes) of the row's cell at place POS,
 * a string cell.  GRAFT_OK or GRAFT_ERR_NOMEM. */
graft_error_t graft_pipe_row_text(graft_pipe_t *p, size_t pos,
                                  const char *str, size_t len);

/* Queue the row begun, from line LINE.  Returns as graft_pipe_push(). */
graft_error_t graft_pipe_end_row(graft_pipe_t *p, unsigned long line);

/* graft_read_stat(), writing each case straight into *PIPE's batches
 * once the header callback has set *PIPE (ROW is then not called);
 * with *PIPE still NULL, exactly graft_read_stat(). */
graft_error_t graft_read_stat_piped(const char *path,
                                    const graft_read_opts_t *opts,
                                    graft_header_fn header, graft_row_fn row,
                                    void *ctx, graft_pipe_t *const *pipe,
                                    graft_diag_t *diag);

/* Run what is queued, stop the thread and free P.  Returns the error of
 * the first row that failed (with its diagnostic in DIAG), else
 * READER_RC (the reader's own result, DIAG untouched). */
graft_error_t graft_pipe_finish(graft_pipe_t *p, graft_error_t reader_rc,
                                graft_diag_t *diag);

/* ---- batches packed elsewhere, run on the caller's thread ------------ */

typedef struct graft_batch graft_batch_t;

/* A pipe without a thread, for rows of NCOLS cells in the compact form of
 * graft_pipe_start()'s (same USED and BARE_VALUES): other threads pack
 * rows into batches with graft_batch_push() and the caller passes them to
 * ROW with graft_pipe_run().  Freed with graft_pipe_free(); NULL when out
 * of memory. */
graft_pipe_t *graft_pipe_local(size_t ncols, const unsigned char *used,
                               int bare_values, graft_row_fn row, void *ctx);

/* Free a pipe from graft_pipe_local() (NULL is fine). */
void graft_pipe_free(graft_pipe_t *p);

/* An empty batch, growing as rows are pushed; NULL when out of memory.
 * Freed with graft_batch_free() (NULL is fine). */
graft_batch_t *graft_batch_alloc(void);
void graft_batch_free(graft_batch_t *b);

/* Empty B, keeping its memory for the next rows. */
void graft_batch_clear(graft_batch_t *b);

/* The rows in B. */
size_t graft_batch_rows(const graft_batch_t *b);

/* Queue a copy of one row from line LINE in B, in P's compact form.  P is
 * only read: several threads may push at once, each into its own batch.
 * GRAFT_OK or GRAFT_ERR_NOMEM. */
graft_error_t graft_batch_push(const graft_pipe_t *p, graft_batch_t *b,
                               const graft_cell_t *cells, unsigned long line);

/* Pass the rows of B to P's ROW in order, on the caller's thread, each
 * from its line plus SHIFT (modulo ULONG_MAX + 1, so a shift may take
 * lines back).  Returns the first error ROW returns (DIAG filled by ROW;
 * the rows after it are not passed), else GRAFT_OK. */
graft_error_t graft_pipe_run(graft_pipe_t *p, const graft_batch_t *b,
                             unsigned long shift, graft_diag_t *diag);

#endif
