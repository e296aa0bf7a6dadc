/*
 * fuzz_csv.c - fuzz target for the CSV reader.
 *
 * Reads the input with graft_read_csv_buffer() three times, in 64 KiB,
 * 1-byte and 7-byte chunks, and once more with every line going through
 * libcsv (graft_read_csv_buffer_libcsv, the reference of the fast path),
 * with callbacks that touch every byte of every cell.  Besides crashes and
 * sanitizer reports it aborts when the chunk size or the fast path changes
 * anything (the result code, the diagnostic or a digest of every value
 * delivered) or when a cell breaks the reader's contract.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "graft/reader.h"
#include "io/csv_internal.h"

#define T "fuzz_csv"

typedef struct digest {
    uint64_t h;
    size_t ncols;
    unsigned long last_line;
} digest_t;

static graft_error_t on_header(void *ctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    digest_t *d = ctx;
    (void)diag;
    fuzz_check(ncols > 0, T, "header has columns");
    d->ncols = ncols;
    for (size_t i = 0; i < ncols; i++) {
        size_t len = strlen(cols[i].name);
        fuzz_check(len > 0, T, "column names are not empty");
        fuzz_check(cols[i].type == GRAFT_COL_UNKNOWN && !cols[i].labels &&
                       !cols[i].label,
                   "fuzz_csv", "CSV columns are untyped and unlabelled");
        fuzz_hash(&d->h, cols[i].name, len + 1);
    }
    return GRAFT_OK;
}

static graft_error_t on_row(void *ctx, const graft_cell_t *cells, size_t ncols,
                            unsigned long line, graft_diag_t *diag)
{
    digest_t *d = ctx;
    (void)diag;
    fuzz_check(ncols == d->ncols, T, "rows have as many cells as the header");
    fuzz_check(line > d->last_line, T, "line numbers increase");
    d->last_line = line;
    fuzz_hash(&d->h, &line, sizeof line);
    for (size_t i = 0; i < ncols; i++) {
        const graft_cell_t *c = &cells[i];
        double v = 0;
        fuzz_check(c->str && strlen(c->str) == c->len, T, "len is strlen(str)");
        fuzz_check(graft_is_missing_text(c->str, c->len) ==
                       (c->kind == GRAFT_CELL_MISSING),
                   "fuzz_csv", "missing cells are the missing markers");
        if (c->kind == GRAFT_CELL_NUMBER) {
            fuzz_check(graft_parse_number(c->str, c->len, &v) && v == c->num, T,
                       "number cells hold their parsed text");
            fuzz_hash(&d->h, &c->num, sizeof c->num);
        }
        fuzz_hash(&d->h, &c->kind, sizeof c->kind);
        fuzz_hash(&d->h, c->str, c->len + 1);
    }
    return GRAFT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the last read, 65536 again, is the libcsv reference */
    static const size_t chunks[] = {65536, 1, 7, 65536};
    const size_t n = sizeof chunks / sizeof chunks[0];
    graft_error_t rc0 = GRAFT_OK;
    graft_diag_t diag0;
    digest_t d0 = {0};
    for (size_t k = 0; k < n; k++) {
        graft_read_opts_t opts = {0};
        graft_diag_t diag;
        digest_t d = {14695981039346656037u, 0, 0}; /* FNV offset basis */
        opts.chunk_size = chunks[k];
        graft_error_t rc =
            (k == n - 1 ? graft_read_csv_buffer_libcsv : graft_read_csv_buffer)(
                "fuzz.csv", (const char *)data, size, &opts, on_header, on_row,
                &d, &diag);
        fuzz_check(rc == diag.code, T,
                   "the diagnostic holds the returned code");
        if (k == 0) {
            rc0 = rc;
            diag0 = diag;
            d0 = d;
            continue;
        }
        fuzz_check(rc == rc0, T, "chunk size or fast path changes the result");
        fuzz_check(diag.line == diag0.line && diag.col == diag0.col &&
                       strcmp(diag.msg, diag0.msg) == 0,
                   "fuzz_csv",
                   "chunk size or fast path changes the diagnostic");
        fuzz_check(d.h == d0.h, T,
                   "chunk size or fast path changes the values");
    }
    return 0;
}
