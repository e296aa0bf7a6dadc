/*
 * fuzz_csv_parallel.c - fuzz target for the parallel CSV reader.
 *
 * Reads the input with graft_read_csv_buffer() (the sequential reader, the
 * reference), then with graft_read_csv_buffer_parallel() in blocks of 1, 5
 * and 64 bytes on two worker threads (with 5, the calling thread parses
 * none of them; else it takes its share), with a row callback that refuses
 * the row the first input byte names (none when it is 0).  Besides crashes
 * and sanitizer reports it aborts when the parallel reads change anything:
 * the result code, the diagnostic, or a digest of every header name and
 * every cell delivered (kind, number, text, line) in order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "graft/reader.h"
#include "io/csv_parallel.h"

#define T "fuzz_csv_parallel"

typedef struct digest {
    uint64_t h;
    size_t rows, fail_at;
} digest_t;

static graft_error_t on_header(void *ctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    digest_t *d = ctx;
    (void)diag;
    for (size_t i = 0; i < ncols; i++)
        fuzz_hash(&d->h, cols[i].name, strlen(cols[i].name) + 1);
    return GRAFT_OK;
}

static graft_error_t on_row(void *ctx, const graft_cell_t *cells, size_t ncols,
                            unsigned long line, graft_diag_t *diag)
{
    digest_t *d = ctx;
    fuzz_hash(&d->h, &line, sizeof line);
    for (size_t i = 0; i < ncols; i++) {
        const graft_cell_t *c = &cells[i];
        fuzz_hash(&d->h, &c->kind, sizeof c->kind);
        fuzz_hash(&d->h, &c->num, sizeof c->num);
        fuzz_hash(&d->h, &c->len, sizeof c->len);
        if (c->str)
            fuzz_hash(&d->h, c->str, c->len + 1);
    }
    if (++d->rows == d->fail_at)
        return graft_diag_set(diag, GRAFT_ERR_COLUMN, "cb", line, 1,
                              "row %zu refused", d->rows);
    return GRAFT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t blocks[] = {0, 1, 5, 64}; /* 0: sequential */
    size_t fail_at = size ? data[0] : 0;
    graft_error_t rc0 = GRAFT_OK;
    graft_diag_t diag0;
    uint64_t h0 = 0;
    for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
        graft_read_opts_t opts = {0};
        graft_diag_t diag;
        digest_t d = {14695981039346656037u, 0, fail_at};
        graft_csv_par_t par = {.block = blocks[k], .workers = 2,
                               .waits = k == 2};
        graft_error_t rc =
            k == 0 ? graft_read_csv_buffer("fuzz.csv", (const char *)data,
                                           size, &opts, on_header, on_row, &d,
                                           &diag)
                   : graft_read_csv_buffer_parallel(
                         "fuzz.csv", (const char *)data, size, &opts, &par,
                         on_header, on_row, &d, NULL, &diag);
        fuzz_check(rc == diag.code, T,
                   "the diagnostic holds the returned code");
        if (k == 0) {
            rc0 = rc;
            diag0 = diag;
            h0 = d.h;
            continue;
        }
        fuzz_check(rc == rc0, T, "the parallel reader changes the result");
        fuzz_check(diag.line == diag0.line && diag.col == diag0.col &&
                       strcmp(diag.file, diag0.file) == 0 &&
                       strcmp(diag.msg, diag0.msg) == 0,
                   T, "the parallel reader changes the diagnostic");
        fuzz_check(d.h == h0, T, "the parallel reader changes the values");
    }
    return 0;
}
