/* floor_sav: the ReadStat parse floor of graft's benchmark.
 *
 *   floor_sav FILE.sav
 *
 * One readstat_parse_sav() pass whose value handler does nothing but count
 * the call; the metadata handler records the row count.  Prints
 * "ROWS VALUES".  Whatever graft spends beyond this pass on a .sav file is
 * graft's own work. */
#include <readstat.h>
#include <stdio.h>

typedef struct {
    long rows;
    unsigned long long values;
} counts_t;

static int on_metadata(readstat_metadata_t *m, void *ctx)
{
    ((counts_t *)ctx)->rows = readstat_get_row_count(m);
    return READSTAT_HANDLER_OK;
}

/* ReadStat 1.1.8's SPSS reader needs a variable handler when it has a
 * value handler (without one it crashes); this one does nothing either. */
static int on_variable(int index, readstat_variable_t *var,
                       const char *val_labels, void *ctx)
{
    (void)index;
    (void)var;
    (void)val_labels;
    (void)ctx;
    return READSTAT_HANDLER_OK;
}

static int on_value(int obs, readstat_variable_t *var, readstat_value_t value,
                    void *ctx)
{
    (void)obs;
    (void)var;
    (void)value;
    ((counts_t *)ctx)->values++;
    return READSTAT_HANDLER_OK;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: floor_sav FILE.sav\n", stderr);
        return 64;
    }
    counts_t c = {-1, 0};
    readstat_parser_t *p = readstat_parser_init();
    if (!p) {
        fputs("floor_sav: out of memory\n", stderr);
        return 71;
    }
    readstat_set_metadata_handler(p, on_metadata);
    readstat_set_variable_handler(p, on_variable);
    readstat_set_value_handler(p, on_value);
    readstat_error_t rs = readstat_parse_sav(p, argv[1], &c);
    readstat_parser_free(p);
    if (rs != READSTAT_OK) {
        fprintf(stderr, "floor_sav: %s: %s\n", argv[1],
                readstat_error_message(rs));
        return 65;
    }
    printf("%ld %llu\n", c.rows, c.values);
    return 0;
}
