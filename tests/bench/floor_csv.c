/* floor_csv: the CSV parse floor of graft's benchmark.
 *
 *   floor_csv FILE
 *
 * Reads FILE the way graft does (fread in 64 KiB chunks, libcsv with
 * CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) and only counts records
 * and fields: no number conversion, no per-line splitting, no estimates.
 * Prints "ROWS FIELDS" (ROWS = records minus the header).  Whatever graft
 * spends beyond this pass is graft's own work. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536

typedef struct {
    unsigned long long records, fields;
} counts_t;

static void on_field(void *s, size_t len, void *ctx)
{
    (void)s;
    (void)len;
    ((counts_t *)ctx)->fields++;
}

static void on_record(int term, void *ctx)
{
    (void)term;
    ((counts_t *)ctx)->records++;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: floor_csv FILE\n", stderr);
        return 64;
    }
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) {
        fprintf(stderr, "floor_csv: %s: %s\n", argv[1], strerror(errno));
        return 66;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fputs("floor_csv: csv_init failed\n", stderr);
        return 70;
    }
    char *buf = malloc(CHUNK);
    if (!buf) {
        fputs("floor_csv: out of memory\n", stderr);
        return 71;
    }
    counts_t c = {0, 0};
    size_t n;
    while ((n = fread(buf, 1, CHUNK, fp)) > 0) {
        if (csv_parse(&p, buf, n, on_field, on_record, &c) != n) {
            fprintf(stderr, "floor_csv: %s: %s\n", argv[1],
                    csv_strerror(csv_error(&p)));
            return 65;
        }
    }
    if (ferror(fp)) {
        fprintf(stderr, "floor_csv: %s: read error\n", argv[1]);
        return 74;
    }
    if (csv_fini(&p, on_field, on_record, &c) != 0) {
        fprintf(stderr, "floor_csv: %s: %s\n", argv[1],
                csv_strerror(csv_error(&p)));
        return 65;
    }
    csv_free(&p);
    free(buf);
    fclose(fp);
    printf("%llu %llu\n", c.records ? c.records - 1 : 0, c.fields);
    return 0;
}
