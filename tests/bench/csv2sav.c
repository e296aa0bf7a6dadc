/* csv2sav: write an SPSS .sav file from a numeric CSV file (the
 * simulator's survey), with ReadStat's writer API, for graft's benchmark.
 *
 *   csv2sav IN.csv OUT.sav
 *
 * Every column of IN.csv becomes a numeric (double) variable of the same
 * name, in the same order; empty cells, NA and . become system-missing.
 * Rows are bytecode-compressed (READSTAT_COMPRESS_ROWS, SPSS's default
 * "compressed" .sav).  No value labels, so graft prints the same codes as
 * for the CSV and the two outputs can be compared.  The file timestamp is
 * fixed, so the same CSV gives the same bytes.
 *
 * Two passes over IN.csv: the first reads the header and counts the rows
 * (the .sav header carries the row count), the second writes them.  OUT.sav
 * is written to OUT.sav.tmp and renamed when complete. */
#define _POSIX_C_SOURCE 200809L
#include <csv.h>
#include <errno.h>
#include <readstat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536

typedef struct {
    int pass;                  /* 1: header and count; 2: write */
    long records;              /* records seen in this pass, header included */
    size_t ncols, col;         /* columns; next field's column */
    char **names;              /* pass 1: the header */
    double *vals;              /* the current row */
    unsigned char *miss;       /* 1: system-missing */
    readstat_writer_t *writer; /* pass 2 */
    const char *path;
    int failed;
} ctx_t;

static const char *tmp_path; /* removed on failure */

static void die(const char *msg, const char *what)
{
    if (tmp_path)
        remove(tmp_path);
    fprintf(stderr, "csv2sav: %s%s%s\n", what ? what : "", what ? ": " : "",
            msg);
    exit(1);
}

static void on_field(void *s, size_t len, void *vctx)
{
    ctx_t *c = vctx;
    const char *f = s; /* NUL-terminated: CSV_APPEND_NULL */
    if (c->records == 0) { /* header */
        if (c->pass == 1) {
            char **n = realloc(c->names, (c->ncols + 1) * sizeof *n);
            if (!n || !(n[c->ncols] = strdup(f)))
                die("out of memory", NULL);
            c->names = n;
            c->ncols++;
        }
        return;
    }
    if (c->pass == 1 || c->failed)
        return;
    if (c->col >= c->ncols) {
        fprintf(stderr, "csv2sav: %s: record %ld has more than %zu fields\n",
                c->path, c->records + 1, c->ncols);
        c->failed = 1;
        return;
    }
    size_t j = c->col++;
    if (len == 0 || strcmp(f, "NA") == 0 || strcmp(f, ".") == 0) {
        c->miss[j] = 1;
        return;
    }
    char *end;
    errno = 0;
    double v = strtod(f, &end);
    if (*end != '\0' || errno == ERANGE) {
        fprintf(stderr, "csv2sav: %s: record %ld, column %s: not a number: %s\n",
                c->path, c->records + 1, c->names[j], f);
        c->failed = 1;
        return;
    }
    c->miss[j] = 0;
    c->vals[j] = v;
}

static void on_record(int term, void *vctx)
{
    (void)term;
    ctx_t *c = vctx;
    long rec = c->records++;
    if (rec == 0 || c->pass == 1 || c->failed)
        return;
    if (c->col != c->ncols) {
        fprintf(stderr, "csv2sav: %s: record %ld has %zu fields, not %zu\n",
                c->path, rec + 1, c->col, c->ncols);
        c->failed = 1;
        return;
    }
    readstat_writer_t *w = c->writer;
    readstat_error_t e = readstat_begin_row(w);
    for (size_t j = 0; e == READSTAT_OK && j < c->ncols; j++) {
        readstat_variable_t *v = readstat_get_variable(w, (int)j);
        e = c->miss[j] ? readstat_insert_missing_value(w, v)
                       : readstat_insert_double_value(w, v, c->vals[j]);
    }
    if (e == READSTAT_OK)
        e = readstat_end_row(w);
    if (e != READSTAT_OK) {
        fprintf(stderr, "csv2sav: record %ld: %s\n", rec + 1,
                readstat_error_message(e));
        c->failed = 1;
    }
    c->col = 0;
}

static void pass(ctx_t *c, int which)
{
    FILE *fp = fopen(c->path, "rb");
    if (!fp)
        die(strerror(errno), c->path);
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        die("csv_init failed", NULL);
    static char buf[CHUNK];
    size_t n;
    c->pass = which;
    c->records = 0;
    c->col = 0;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0 && !c->failed)
        if (csv_parse(&p, buf, n, on_field, on_record, c) != n)
            die(csv_strerror(csv_error(&p)), c->path);
    if (ferror(fp))
        die("read error", c->path);
    if (csv_fini(&p, on_field, on_record, c) != 0)
        die(csv_strerror(csv_error(&p)), c->path);
    csv_free(&p);
    fclose(fp);
    if (c->failed) {
        if (tmp_path)
            remove(tmp_path);
        exit(1);
    }
}

static ssize_t write_bytes(const void *data, size_t len, void *ctx)
{
    return fwrite(data, 1, len, ctx) == len ? (ssize_t)len : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: csv2sav IN.csv OUT.sav\n", stderr);
        return 64;
    }
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.path = argv[1];
    pass(&c, 1);
    if (c.ncols == 0 || c.records < 2)
        die("no header or no rows", c.path);
    long rows = c.records - 1;
    if (!(c.vals = calloc(c.ncols, sizeof *c.vals)) ||
        !(c.miss = calloc(c.ncols, 1)))
        die("out of memory", NULL);

    size_t tlen = strlen(argv[2]) + 5;
    char *tmp = malloc(tlen);
    if (!tmp)
        die("out of memory", NULL);
    snprintf(tmp, tlen, "%s.tmp", argv[2]);
    FILE *out = fopen(tmp, "wb");
    if (!out)
        die(strerror(errno), tmp);
    tmp_path = tmp;

    readstat_writer_t *w = c.writer = readstat_writer_init();
    if (!w)
        die("out of memory", NULL);
    readstat_set_data_writer(w, write_bytes);
    readstat_writer_set_file_label(w, "graft benchmark survey");
    readstat_writer_set_file_timestamp(w, (time_t)1700000000);
    readstat_writer_set_compression(w, READSTAT_COMPRESS_ROWS);
    for (size_t j = 0; j < c.ncols; j++) {
        readstat_variable_t *v =
            readstat_add_variable(w, c.names[j], READSTAT_TYPE_DOUBLE, 0);
        if (!v)
            die("cannot add variable", c.names[j]);
        readstat_variable_set_format(v, "F12.6");
    }
    readstat_error_t e = readstat_begin_writing_sav(w, out, rows);
    if (e != READSTAT_OK)
        die(readstat_error_message(e), argv[2]);
    pass(&c, 2);
    if ((e = readstat_end_writing(w)) != READSTAT_OK)
        die(readstat_error_message(e), argv[2]);
    readstat_writer_free(w);
    if (fclose(out) != 0)
        die(strerror(errno), tmp);
    if (rename(tmp, argv[2]) != 0)
        die(strerror(errno), argv[2]);
    tmp_path = NULL;
    printf("%ld rows, %zu columns\n", rows, c.ncols);
    for (size_t j = 0; j < c.ncols; j++)
        free(c.names[j]);
    free(c.names);
    free(c.vals);
    free(c.miss);
    free(tmp);
    return 0;
}
