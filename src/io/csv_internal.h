/*
 * csv_internal.h - the CSV reader's reference path, for its tests, and its
 * context, for the parallel reader (csv_parallel.c).
 *
 * graft_read_csv() splits complete lines itself and hands only the others
 * to libcsv.  graft_read_csv_buffer_libcsv() reads with every line going
 * through libcsv, as the reader did before it had a fast path: the tests
 * compare the two.  graft_csv_block_masks() shows the one part of the fast
 * path that depends on the machine.
 */
#ifndef GRAFT_CSV_INTERNAL_H
#define GRAFT_CSV_INTERNAL_H

#include <stdint.h>

#include "io/reader_internal.h"

/* graft_read_csv_buffer() without the fast path: same arguments, same
 * results, every line parsed by libcsv. */
graft_error_t graft_read_csv_buffer_libcsv(const char *name, const char *buf,
                                           size_t len,
                                           const graft_read_opts_t *opts,
                                           graft_header_fn header,
                                           graft_row_fn row, void *ctx,
                                           graft_diag_t *diag);

/* The masks the fast path takes of the 32 bytes at P, bit K for P[K]: in
 * M[0] the quotes, in M[1] the bytes equal to DELIM, in M[2] the bytes
 * below '#' or at least 0x80.  From the machine's vector code (SSE2 on
 * x86-64) when PORTABLE is 0, else from the portable code, which the
 * machines without it use: the tests compare the two. */
void graft_csv_block_masks(const char *p, unsigned char delim, int portable,
                           uint32_t m[3]);

/* ---- the reader's context, driven from outside --------------------------
 *
 * The parallel reader reads the header with a context of its own, as
 * graft_read_csv() would, then has copies of it ("forks") parse blocks of
 * whole records on other threads.  Bytes are fed in the pieces
 * graft_read_csv() would feed them in (ending at multiples of the chunk
 * size), so that every check sees the same input in the same order. */
typedef struct csv_ctx graft_csv_t;

/* A context for reading FILE as graft_read_csv() does (HEADER, ROW and
 * CTX as there; DIAG cleared).  NULL when out of memory (DIAG says so); a
 * bad opts->delim is recorded in the context (graft_csv_feed() returns
 * it).  Freed with graft_csv_free(). */
graft_csv_t *graft_csv_new(const char *file, const graft_read_opts_t *opts,
                           graft_header_fn header, graft_row_fn row,
                           void *ctx, graft_diag_t *diag);

/* A context that goes on from FROM (whose header is read) at the start of
 * a record, on line 1, calling ROW with CTX and filling DIAG.  It borrows
 * FROM's columns: free it with graft_csv_free_fork() before FROM.  NULL
 * when out of memory. */
graft_csv_t *graft_csv_fork(const graft_csv_t *from, graft_row_fn row,
                            void *ctx, graft_diag_t *diag);

/* Parse S[0..N), the file's bytes from offset OFF, in pieces ending at
 * the multiples of CHUNK (graft_csv_chunk()).  Returns the first error
 * so far (DIAG filled), else GRAFT_OK. */
graft_error_t graft_csv_feed(graft_csv_t *c, const unsigned char *s,
                             size_t n, size_t off, size_t chunk);

/* 1 when C has read the header and stands between records without error
 * (every byte fed is parsed; none is held back). */
int graft_csv_between_rows(const graft_csv_t *c);

/* Go on from the start of a record on line LINE, counting ROWS more rows
 * as read (by forks): C must be between rows. */
void graft_csv_restart(graft_csv_t *c, unsigned long line, size_t rows);

/* The input ends: deliver a last record without a line end, or fail with
 * an unterminated quote.  Returns C's first error, else GRAFT_OK. */
graft_error_t graft_csv_flush(graft_csv_t *c);

/* The end of the file, as graft_read_csv() ends: graft_csv_flush(), then
 * GRAFT_ERR_EMPTY without a header or GRAFT_ERR_NO_ROWS without rows. */
graft_error_t graft_csv_finish(graft_csv_t *c);

/* The line of the next byte, and the rows read (restart()'s included). */
unsigned long graft_csv_line(const graft_csv_t *c);
size_t graft_csv_rows(const graft_csv_t *c);

/* The columns read (opts->uses; NULL: all) and their number, once the
 * header is read. */
const unsigned char *graft_csv_used(const graft_csv_t *c, size_t *ncols);

/* The size of the pieces graft_read_csv() reads with OPTS. */
size_t graft_csv_chunk(const graft_read_opts_t *opts);

void graft_csv_free(graft_csv_t *c);
void graft_csv_free_fork(graft_csv_t *c);

#endif
