/*
 * csv_internal.h - the CSV reader's reference path, for its tests.
 *
 * graft_read_csv() splits plain lines itself and hands only the others to
 * libcsv.  The function below reads with every line going through libcsv,
 * as the reader did before it had a fast path: the tests compare the two.
 */
#ifndef GRAFT_CSV_INTERNAL_H
#define GRAFT_CSV_INTERNAL_H

#include "io/reader_internal.h"

/* graft_read_csv_buffer() without the fast path: same arguments, same
 * results, every line parsed by libcsv. */
graft_error_t graft_read_csv_buffer_libcsv(const char *name, const char *buf,
                                           size_t len,
                                           const graft_read_opts_t *opts,
                                           graft_header_fn header,
                                           graft_row_fn row, void *ctx,
                                           graft_diag_t *diag);

#endif
