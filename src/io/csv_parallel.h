/*
 * io/csv_parallel.h - a large CSV file parsed on several cores, with the
 * rows, lines and errors of graft_read_csv().  Internal: graft_read()
 * chooses it (graft_csv_parallel_wanted()); the tests drive it directly
 * with tiny blocks.
 */
#ifndef GRAFT_CSV_PARALLEL_H
#define GRAFT_CSV_PARALLEL_H

#include "io/pipe.h"
#include "io/reader_internal.h"

/* How to split the work (zeros: the defaults), and what was done. */
typedef struct graft_csv_par {
    size_t block;     /* bytes per block (0: 128 KiB); a block grows to
                         its first record boundary, up to 16 blocks' worth */
    unsigned workers; /* worker threads, besides the calling thread,
                         which parses too when it would wait (0:
                         opts->threads less one, or one per CPU less one;
                         at least 1, at most 8) */
    int waits;        /* 1: the calling thread parses no block after the
                         header's, the workers parse them all (tests) */
    size_t blocks;    /* out: the blocks the worker threads parsed */
} graft_csv_par_t;

/* Is PATH worth reading with graft_read_csv_parallel() under OPTS: a
 * regular file of at least 4 MiB, opts->threads not 1, more than one
 * CPU? */
int graft_csv_parallel_wanted(const char *path, const graft_read_opts_t *opts);

/* graft_read_csv() with the parsing spread over threads: the same calls
 * of HEADER and ROW (on the calling thread, in file order, with the same
 * cells and lines), the same result and the same diagnostic.  PAR (NULL:
 * defaults) tunes the split and counts the blocks; opts->progress is
 * called after each block.
 *
 * Rows parsed into batches (by the workers, and by the calling thread
 * ahead of its turn) are copied in the compact form of pipe.c and rebuilt
 * for ROW (the cells of columns opts->uses leaves out have no text, nor,
 * with opts->bare_values, have number and missing cells).  When PIPE is
 * not NULL and the header callback has set *PIPE (a pipe from
 * graft_pipe_local(), with the columns opts->uses reads), those rows are
 * packed in *PIPE's form and run through *PIPE instead, which calls its
 * own callback; ROW then sees only the rows the calling thread parses
 * straight through its own context (the header's block, a block no thread
 * had claimed when its turn came, and the rest of a file it cannot
 * split). */
graft_error_t graft_read_csv_parallel(const char *path,
                                      const graft_read_opts_t *opts,
                                      graft_csv_par_t *par,
                                      graft_header_fn header, graft_row_fn row,
                                      void *ctx, graft_pipe_t *const *pipe,
                                      graft_diag_t *diag);

/* The same over the LEN bytes at BUF, named NAME in messages (for tests
 * and fuzzing). */
graft_error_t graft_read_csv_buffer_parallel(
    const char *name, const char *buf, size_t len,
    const graft_read_opts_t *opts, graft_csv_par_t *par,
    graft_header_fn header, graft_row_fn row, void *ctx,
    graft_pipe_t *const *pipe, graft_diag_t *diag);

#endif
