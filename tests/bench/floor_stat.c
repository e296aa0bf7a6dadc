/* floor_stat: the ReadStat parse floor of graft's benchmark.
 *
 *   floor_stat FILE         FILE.sav, .zsav, .por, .dta, .sas7bdat or .xpt
 *   floor_stat -m FILE      the same pass, counting the missing values
 *
 * One readstat_parse_*() pass, the parser chosen by FILE's extension the
 * way graft chooses it, whose value handler does nothing but count the
 * call; the metadata handler records the row count.  Prints "ROWS VALUES".
 * Whatever graft spends beyond this pass on such a file is graft's own
 * work.  (graft reads a .dta file in two passes, the first of which skips
 * the data to reach the value labels; the floor is the one data pass.)
 *
 * The file is mapped into memory and ReadStat's reads are served from the
 * mapping: ReadStat's default input calls read(2) for every request, once
 * per row in its Stata reader, while graft serves them from a buffer
 * (src/io/stat_io.c).  A floor paying a system call per row would flatter
 * graft; this one pays no system call at all.
 *
 * With -m (not timed by run.sh: a check of the data) the value handler
 * also sorts each numeric value into system-missing, tagged missing
 * (Stata's .a-.z, SAS's .A-.Z and ._) or a number, and the line becomes
 * "ROWS VALUES SYSTEM_MISSING TAGGED_MISSING STRINGS": it shows what the
 * writer (haven, csv2sav) made of R's NA. */
#include <fcntl.h>
#include <readstat.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef readstat_error_t (*parse_fn)(readstat_parser_t *, const char *,
                                     void *);

typedef struct {
    long rows;
    unsigned long long values, sysmiss, tagged, strings;
} counts_t;

/* The ReadStat parser for PATH's extension (compared without case), or
 * NULL. */
static parse_fn parser_for(const char *path)
{
    static const struct {
        const char *ext;
        parse_fn parse;
    } formats[] = {
        {"sav", readstat_parse_sav},           {"zsav", readstat_parse_sav},
        {"por", readstat_parse_por},           {"dta", readstat_parse_dta},
        {"sas7bdat", readstat_parse_sas7bdat}, {"xpt", readstat_parse_xport},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcasecmp(dot + 1, formats[i].ext) == 0)
            return formats[i].parse;
    return NULL;
}

/* ---- input from a memory mapping ---------------------------------------- */

typedef struct {
    int fd;
    const unsigned char *map;
    off_t size, at;
} mapped_t;

static int map_open(const char *path, void *io_ctx)
{
    mapped_t *m = io_ctx;
    struct stat st;
    m->fd = open(path, O_RDONLY);
    if (m->fd < 0 || fstat(m->fd, &st) != 0)
        return -1;
    m->size = st.st_size;
    m->at = 0;
    m->map = NULL;
    if (m->size > 0) {
        void *p = mmap(NULL, (size_t)m->size, PROT_READ, MAP_PRIVATE, m->fd, 0);
        if (p == MAP_FAILED)
            return -1;
        m->map = p;
    }
    return m->fd;
}

static int map_close(void *io_ctx)
{
    mapped_t *m = io_ctx;
    if (m->map)
        munmap((void *)m->map, (size_t)m->size);
    m->map = NULL;
    return m->fd >= 0 ? close(m->fd) : 0;
}

static readstat_off_t map_seek(readstat_off_t offset,
                               readstat_io_flags_t whence, void *io_ctx)
{
    mapped_t *m = io_ctx;
    off_t base = whence == READSTAT_SEEK_SET   ? 0
                 : whence == READSTAT_SEEK_CUR ? m->at
                                               : m->size;
    if (base + offset < 0)
        return -1;
    m->at = base + offset;
    return m->at;
}

static ssize_t map_read(void *buf, size_t nbyte, void *io_ctx)
{
    mapped_t *m = io_ctx;
    size_t left = m->at < m->size ? (size_t)(m->size - m->at) : 0;
    size_t n = nbyte < left ? nbyte : left;
    if (n)
        memcpy(buf, m->map + m->at, n);
    m->at += (off_t)n;
    return (ssize_t)n;
}

static readstat_error_t map_update(long file_size,
                                   readstat_progress_handler progress,
                                   void *user_ctx, void *io_ctx)
{
    mapped_t *m = io_ctx;
    if (progress && file_size > 0 &&
        progress((double)m->at / (double)file_size, user_ctx))
        return READSTAT_ERROR_USER_ABORT;
    return READSTAT_OK;
}

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

/* The floor's value handler: counts the call. */
static int on_value(int obs, readstat_variable_t *var, readstat_value_t value,
                    void *ctx)
{
    (void)obs;
    (void)var;
    (void)value;
    ((counts_t *)ctx)->values++;
    return READSTAT_HANDLER_OK;
}

/* -m's value handler: counts the call and the kind of value. */
static int on_value_kind(int obs, readstat_variable_t *var,
                         readstat_value_t value, void *ctx)
{
    counts_t *c = ctx;
    (void)obs;
    (void)var;
    c->values++;
    if (readstat_value_type_class(value) == READSTAT_TYPE_CLASS_STRING)
        c->strings++;
    else if (readstat_value_is_system_missing(value))
        c->sysmiss++;
    else if (readstat_value_is_tagged_missing(value))
        c->tagged++;
    return READSTAT_HANDLER_OK;
}

int main(int argc, char **argv)
{
    int kinds = argc == 3 && strcmp(argv[1], "-m") == 0;
    if (argc != 2 + kinds) {
        fputs("usage: floor_stat [-m] FILE.{sav,zsav,por,dta,sas7bdat,xpt}\n",
              stderr);
        return 64;
    }
    const char *path = argv[1 + kinds];
    parse_fn parse = parser_for(path);
    if (!parse) {
        fprintf(stderr, "floor_stat: %s: not a .sav, .zsav, .por, .dta, "
                        ".sas7bdat or .xpt file name\n", path);
        return 64;
    }
    counts_t c = {-1, 0, 0, 0, 0};
    readstat_parser_t *p = readstat_parser_init();
    if (!p) {
        fputs("floor_stat: out of memory\n", stderr);
        return 71;
    }
    mapped_t io = {-1, NULL, 0, 0};
    readstat_set_open_handler(p, map_open);
    readstat_set_close_handler(p, map_close);
    readstat_set_seek_handler(p, map_seek);
    readstat_set_read_handler(p, map_read);
    readstat_set_update_handler(p, map_update);
    readstat_set_io_ctx(p, &io);
    readstat_set_metadata_handler(p, on_metadata);
    readstat_set_variable_handler(p, on_variable);
    readstat_set_value_handler(p, kinds ? on_value_kind : on_value);
    readstat_error_t rs = parse(p, path, &c);
    readstat_parser_free(p);
    if (rs != READSTAT_OK) {
        fprintf(stderr, "floor_stat: %s: %s\n", path,
                readstat_error_message(rs));
        return 65;
    }
    if (kinds)
        printf("%ld %llu %llu %llu %llu\n", c.rows, c.values, c.sysmiss,
               c.tagged, c.strings);
    else
        printf("%ld %llu\n", c.rows, c.values);
    return 0;
}
