/*
 * csv_internal.h - the CSV reader's reference path, for its tests.
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

#endif
