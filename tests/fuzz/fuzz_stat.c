/*
 * fuzz_stat.c - fuzz target for the SPSS, Stata and SAS readers
 * (ReadStat through graft_read).
 *
 * graft_read() chooses the format by the file's extension, so the input is
 * written to one file per extension (.sav, .zsav, .por, .dta, .sas7bdat,
 * .xpt) in a private folder and each is read, with missing codes 8 and 9 on
 * every numeric column so that the wrapper that applies them runs too.
 * Each file is read on one thread and again through the two-thread row
 * pipeline, and the .sav file once more with ReadStat alone (without the
 * cases decoded by io/sav_data.c).  Besides crashes and sanitizer reports
 * it aborts when a cell breaks the reader's contract (graft/reader.h) or
 * when the pipeline or the decoder changes the result code, the diagnostic
 * or any value delivered.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "graft/reader.h"
#include "io/sav_data.h"

#define T "fuzz_stat"

typedef struct digest {
    uint64_t h;
    size_t ncols;
    unsigned long rows;
} digest_t;

static graft_error_t on_header(void *ctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    digest_t *d = ctx;
    (void)diag;
    d->ncols = ncols;
    for (size_t i = 0; i < ncols; i++) {
        fuzz_check(cols[i].name != NULL, T, "a column has a name");
        fuzz_hash(&d->h, cols[i].name, strlen(cols[i].name) + 1);
        if (cols[i].label)
            fuzz_hash(&d->h, cols[i].label, strlen(cols[i].label) + 1);
        fuzz_hash(&d->h, &cols[i].type, sizeof cols[i].type);
    }
    return GRAFT_OK;
}

static graft_error_t on_row(void *ctx, const graft_cell_t *cells, size_t ncols,
                            unsigned long line, graft_diag_t *diag)
{
    digest_t *d = ctx;
    (void)diag;
    fuzz_check(ncols == d->ncols, T, "rows have as many cells as the header");
    fuzz_check(line == ++d->rows, T, "rows are numbered 1, 2, ...");
    for (size_t i = 0; i < ncols; i++) {
        const graft_cell_t *c = &cells[i];
        fuzz_hash(&d->h, &c->kind, sizeof c->kind);
        if (c->kind == GRAFT_CELL_NUMBER) {
            fuzz_check(c->num == c->num, T, "a number cell is not NaN");
            fuzz_check(c->num != 8 && c->num != 9, T,
                       "missing codes are missing");
            fuzz_hash(&d->h, &c->num, sizeof c->num);
        } else if (c->kind == GRAFT_CELL_STRING) {
            fuzz_check(c->str && strlen(c->str) == c->len, T,
                       "len is strlen(str)");
            fuzz_hash(&d->h, c->str, c->len + 1);
        } else {
            fuzz_check(c->kind == GRAFT_CELL_MISSING, T, "a valid kind");
        }
    }
    return GRAFT_OK;
}

static graft_error_t read_once(const char *path, unsigned threads, digest_t *d,
                               graft_diag_t *diag)
{
    static const double codes[] = {8, 9};
    const graft_missing_spec_t miss = {NULL, codes, 2};
    graft_read_opts_t opts = {0};
    opts.missing = &miss;
    opts.n_missing = 1;
    opts.threads = threads;
    d->h = 14695981039346656037u; /* FNV offset basis */
    d->ncols = 0;
    d->rows = 0;
    graft_error_t rc = graft_read(path, &opts, on_header, on_row, d, diag);
    fuzz_check(rc == GRAFT_OK || rc == diag->code, T,
               "the diagnostic holds the returned code");
    fuzz_check(rc == GRAFT_OK || diag->msg[0], T, "an error has a message");
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"f.sav", "f.zsav",     "f.por",
                                        "f.dta", "f.sas7bdat", "f.xpt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        graft_diag_t d1, d2;
        digest_t g1, g2;
        fuzz_write(path, sizeof path, names[i], data, size);
        graft_error_t rc1 = read_once(path, 1, &g1, &d1);
        graft_error_t rc2 = read_once(path, 2, &g2, &d2);
        fuzz_check(rc1 == rc2, T, "the pipeline changes the result");
        fuzz_check(rc1 == GRAFT_OK ||
                       (strcmp(d1.msg, d2.msg) == 0 && d1.line == d2.line),
                   T, "the pipeline changes the diagnostic");
        fuzz_check(g1.h == g2.h && g1.rows == g2.rows, T,
                   "the pipeline changes the values");
        if (i == 0) { /* .sav: against ReadStat reading it whole */
            graft_sav_direct(0);
            rc2 = read_once(path, 1, &g2, &d2);
            graft_sav_direct(1);
            fuzz_check(rc1 == rc2, T, "the .sav decoder changes the result");
            fuzz_check(rc1 == GRAFT_OK ||
                           (strcmp(d1.msg, d2.msg) == 0 && d1.line == d2.line),
                       T, "the .sav decoder changes the diagnostic");
            fuzz_check(g1.h == g2.h && g1.rows == g2.rows, T,
                       "the .sav decoder changes the values");
        }
        unlink(path);
    }
    return 0;
}
