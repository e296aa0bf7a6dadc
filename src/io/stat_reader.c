/*
 * stat_reader.c - graft_read_stat(): SPSS (.sav, .zsav, .por), Stata (.dta)
 * and SAS (.sas7bdat, .xpt) files through ReadStat.
 *
 * ReadStat calls back once per variable, once per value label and once per
 * value.  This file collects the variables and the label sets, calls the
 * caller's HEADER when the first value arrives (or at the end, for a file
 * without cases), and gathers each case's values into one row, calling
 * ROW when the case's last variable has arrived.  The row is in the
 * pipe's compact form (io/pipe.h): with graft_read_stat_piped() and a
 * second thread, the values are written straight into the pipe's batch
 * and ROW is not called; else they become cells for ROW.
 *
 * Stata keeps its value labels after the data.  For .dta a first pass runs
 * without a value handler, which makes ReadStat seek past the data, so it
 * costs only the header and the label tables; the second pass reads the
 * values with every label set already complete.  The other formats store
 * their labels before the data and are read in one pass, but for a plain
 * .sav file whose columns read are numbers: ReadStat reads its dictionary
 * in such a first pass, and its cases are decoded without ReadStat's
 * per-value callbacks (io/sav_data.h), into the same rows.
 */
#include "io/pipe.h"
#include "io/sav_data.h"
#include "io/stat_io.h"
#include "graft/reader.h"
#include "base/grow.h"
#include "base/str.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <readstat.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- formats ------------------------------------------------------------ */

typedef readstat_error_t (*stat_parse_fn)(readstat_parser_t *parser,
                                          const char *path, void *ctx);

typedef enum stat_kind { SAV, ZSAV, POR, DTA, SAS7BDAT, XPT } stat_kind_t;

typedef struct stat_format {
    const char *ext;       /* extension, compared without case */
    stat_kind_t kind;
    const char *name;      /* for messages */
    stat_parse_fn parse;
    int labels_after_data; /* needs a label pass before the data pass */
} stat_format_t;

static const stat_format_t formats[] = {
    {"sav", SAV, "SPSS .sav", readstat_parse_sav, 0},
    {"zsav", ZSAV, "SPSS .zsav", readstat_parse_sav, 0},
    {"por", POR, "SPSS .por", readstat_parse_por, 0},
    {"dta", DTA, "Stata .dta", readstat_parse_dta, 1},
    {"sas7bdat", SAS7BDAT, "SAS .sas7bdat", readstat_parse_sas7bdat, 0},
    {"xpt", XPT, "SAS .xpt", readstat_parse_xport, 0},
};

static const stat_format_t *find_format(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcasecmp(dot + 1, formats[i].ext) == 0)
            return &formats[i];
    return NULL;
}

/* Does the file start the way FMT's files do?  Asked only after ReadStat
 * has failed, to tell "not this format at all" (a CSV file renamed .sav)
 * from a damaged file. */
static int has_signature(const char *path, const stat_format_t *fmt)
{
    static const unsigned char sas_magic[32] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc2, 0xea, 0x81, 0x60,
        0xb3, 0x14, 0x11, 0xcf, 0xbd, 0x92, 0x08, 0x00, 0x09, 0xc7, 0x31,
        0x8c, 0x18, 0x1f, 0x10, 0x11};
    unsigned char buf[640];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1; /* nothing to add */
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    switch (fmt->kind) {
    case SAV:
        return n >= 4 && (memcmp(buf, "$FL2", 4) == 0 ||
                          memcmp(buf, "$FL3", 4) == 0);
    case ZSAV:
        return n >= 4 && memcmp(buf, "$FL3", 4) == 0;
    case POR: /* "SPSSPORT" after the 200-byte vanity and the 256-byte
                 character table, give or take line ends */
        for (size_t i = 0; i + 8 <= n; i++)
            if (memcmp(buf + i, "SPSSPORT", 8) == 0)
                return 1;
        return 0;
    case DTA: /* XML-like (117+), or release byte 102-115 and byte order */
        return (n >= 11 && memcmp(buf, "<stata_dta>", 11) == 0) ||
               (n >= 2 && buf[0] >= 102 && buf[0] <= 115 &&
                (buf[1] == 1 || buf[1] == 2));
    case SAS7BDAT:
        return n >= 32 && memcmp(buf, sas_magic, 32) == 0;
    case XPT:
        return n >= 20 && memcmp(buf, "HEADER RECORD*******", 20) == 0;
    }
    return 1;
}

/* ---- reading state ------------------------------------------------------ */

typedef struct named_set {
    char *name;
    graft_labelset_t *set;
} named_set_t;

/* A user-missing range of a column, as ReadStat reports it: a value V is
 * missing when LO <= V <= HI (readstat_value_is_defined_missing()). */
typedef struct missing_range {
    long at;               /* the column; in c->kept, its place */
    double lo, hi;
} missing_range_t;

typedef struct stat_ctx {
    const char *path;
    const stat_format_t *fmt;
    graft_header_fn header;
    graft_row_fn row;
    void *user;
    graft_diag_t *diag;

    graft_column_t *cols;  /* names and labels owned here */
    char **set_names;      /* per column: the label set it names, or NULL */
    size_t ncols, cap_cols;
    int cols_done;         /* second .dta pass: variables already known */
    const graft_read_opts_t *opts;
    unsigned char *used;   /* per column: read (else ReadStat skips it) */
    int first_unwanted;    /* column 0 is read only so that cases come */
    unsigned char *ranges; /* per column: has user-missing values */
    size_t last_used;      /* the case's last read column: it ends a row */

    named_set_t *sets;     /* every label set of the file */
    size_t nsets, cap_sets;

    /* The case being gathered, in the pipe's compact form (a kind and a
     * number per column kept: io/pipe.h), straight in the pipe's batch
     * when there is one, else in own_nums and own_kinds. */
    graft_pipe_t *const *pipe_at; /* where the header callback sets it */
    graft_pipe_t *pipe;
    graft_pipe_row_t slot;
    long *pos;             /* per column: its place in slot, or -1 */
    long *fast;            /* per column: its place when on_value() may
                            * store its plain doubles itself, else -1 */
    size_t n_fast;         /* 0 until the header: all goes the slow way */
    size_t n_places;       /* places in a row */
    long next_pos;         /* places 0 to next_pos - 1 of the case are
                            * written (a value or missing) */
    double *own_nums;      /* per place, without a pipe */
    unsigned char *own_kinds;
    size_t *own_cols;      /* without a pipe: each place's column */
    size_t *str_off, *str_len; /* per place: a string's text in arena */
    graft_arena_t arena;   /* the case's string values (without a pipe) */
    graft_cell_t *cells;   /* the case as cells, for ROW (without a pipe) */
    long obs;              /* 0-based case being gathered; -1 before any */
    int row_open;          /* slot holds part of case obs */
    long open_obs;         /* obs while a case is open, else -1 */
    unsigned long rows;    /* cases delivered */
    long row_count;        /* cases the file declares; -1 when unknown */
    unsigned long skip;    /* cases passed on already (io/sav_data.h):
                            * ReadStat's values of these are dropped */
    const graft_sav_layout_t *lay; /* while graft_sav_decode() runs */
    long *sav_place;       /* its places per slot */
    missing_range_t *missing; /* every column's user-missing ranges */
    size_t n_missing, cap_missing;
    missing_range_t *kept; /* those of the places kept (.sav decoded) */
    size_t n_kept;
    size_t size;           /* the file's bytes, for opts->progress */
    size_t progress_at;    /* the bytes last reported by sav_progress() */
    long var_count;        /* variables the file declares; -1 when unknown */
    int header_done;

    graft_error_t err;     /* first error of ours or of a callback */
    char rs_msg[512];      /* first message of ReadStat's error handler */
} stat_ctx_t;


static void ctx_free(stat_ctx_t *c)
{
    for (size_t i = 0; i < c->ncols; i++) {
        free((char *)c->cols[i].name);
        free((char *)c->cols[i].label);
        free(c->set_names[i]);
    }
    free(c->cols);
    free(c->set_names);
    free(c->used);
    free(c->pos);
    free(c->fast);
    free(c->own_nums);
    free(c->own_kinds);
    free(c->own_cols);
    free(c->str_len);
    free(c->ranges);
    for (size_t i = 0; i < c->nsets; i++) {
        free(c->sets[i].name);
        graft_labelset_free(c->sets[i].set);
    }
    free(c->sets);
    free(c->cells);
    free(c->str_off);
    free(c->arena.buf);
    free(c->sav_place);
    free(c->missing);
    free(c->kept);
}

/* Record an error of ours in the diagnostic and tell ReadStat to stop. */
static int fail(stat_ctx_t *c, graft_error_t code, unsigned long line,
                const char *msg)
{
    c->err = graft_diag_set(c->diag, code, c->path, line, 0, "%s", msg);
    return READSTAT_HANDLER_ABORT;
}

static int fail_nomem(stat_ctx_t *c)
{
    return fail(c, GRAFT_ERR_NOMEM, 0, "out of memory");
}

/* ---- variables and label sets ------------------------------------------- */

static graft_labelset_t *find_set(const stat_ctx_t *c, const char *name)
{
    for (size_t i = 0; i < c->nsets; i++)
        if (strcmp(c->sets[i].name, name) == 0)
            return c->sets[i].set;
    return NULL;
}

/* The label set called NAME, created empty when new; NULL when out of
 * memory. */
static graft_labelset_t *get_set(stat_ctx_t *c, const char *name)
{
    graft_labelset_t *set = find_set(c, name);
    if (set)
        return set;
    named_set_t *sets =
        graft_grow(c->sets, &c->cap_sets, c->nsets + 1, sizeof *sets);
    if (!sets)
        return NULL;
    c->sets = sets;
    named_set_t *e = &c->sets[c->nsets];
    e->name = graft_strdup(name);
    e->set = graft_labelset_alloc();
    if (!e->name || !e->set) {
        free(e->name);
        graft_labelset_free(e->set);
        return NULL;
    }
    c->nsets++;
    return e->set;
}

/* Room for one more column in the four arrays that share c->cap_cols:
 * each grown from it, so to the same new capacity. */
static int grow_columns(stat_ctx_t *c)
{
    size_t need = c->ncols + 1, cap[4];
    for (size_t i = 0; i < 4; i++)
        cap[i] = c->cap_cols;
    graft_column_t *cols = graft_grow(c->cols, &cap[0], need, sizeof *cols);
    if (!cols)
        return -1;
    c->cols = cols;
    char **names = graft_grow(c->set_names, &cap[1], need, sizeof *names);
    if (!names)
        return -1;
    c->set_names = names;
    unsigned char *used = graft_grow(c->used, &cap[2], need, 1);
    if (!used)
        return -1;
    c->used = used;
    unsigned char *ranges = graft_grow(c->ranges, &cap[3], need, 1);
    if (!ranges)
        return -1;
    c->ranges = ranges;
    c->cap_cols = cap[0];
    return 0;
}

static int on_metadata(readstat_metadata_t *md, void *vctx)
{
    stat_ctx_t *c = vctx;
    c->row_count = readstat_get_row_count(md);
    c->var_count = readstat_get_var_count(md);
    return READSTAT_HANDLER_OK;
}

/* Keep the user-missing ranges of numeric column INDEX, VAR. */
static int keep_ranges(stat_ctx_t *c, int index, readstat_variable_t *var)
{
    int n = readstat_variable_get_missing_ranges_count(var);
    if (c->cols[index].type != GRAFT_COL_NUMERIC)
        return 0;
    for (int i = 0; i < n; i++) {
        missing_range_t *m = graft_grow(c->missing, &c->cap_missing,
                                        c->n_missing + 1, sizeof *m);
        if (!m)
            return -1;
        c->missing = m;
        c->missing[c->n_missing++] = (missing_range_t){
            index,
            readstat_double_value(readstat_variable_get_missing_range_lo(var, i)),
            readstat_double_value(readstat_variable_get_missing_range_hi(var, i))};
    }
    return 0;
}

static int on_variable(int index, readstat_variable_t *var,
                       const char *val_labels, void *vctx)
{
    stat_ctx_t *c = vctx;
    if (c->cols_done)
        return index >= 0 && (size_t)index < c->ncols && !c->used[index]
                   ? READSTAT_HANDLER_SKIP_VARIABLE
                   : READSTAT_HANDLER_OK;
    if (index < 0 || (size_t)index != c->ncols)
        return fail(c, GRAFT_ERR_FORMAT, 0, "variables out of order");
    if (c->ncols == c->cap_cols && grow_columns(c) != 0)
        return fail_nomem(c);

    const char *name = readstat_variable_get_name(var);
    const char *label = readstat_variable_get_label(var);
    graft_column_t *col = &c->cols[c->ncols];
    col->name = graft_strdup(name ? name : "");
    col->label = label && *label ? graft_strdup(label) : NULL;
    col->type = readstat_variable_get_type_class(var) ==
                        READSTAT_TYPE_CLASS_STRING
                    ? GRAFT_COL_STRING
                    : GRAFT_COL_NUMERIC;
    col->labels = NULL; /* resolved when the header is called */
    c->set_names[c->ncols] =
        val_labels && *val_labels ? graft_strdup(val_labels) : NULL;
    c->ncols++; /* counted first, so ctx_free frees a half-made column */
    if (!col->name || (label && *label && !col->label) ||
        (val_labels && *val_labels && !c->set_names[c->ncols - 1]))
        return fail_nomem(c);
    /* The first variable is always read, so that every case still comes
     * (ReadStat calls back only for the variables it reads). */
    const graft_read_opts_t *o = c->opts;
    int wanted = !o || !o->uses || o->uses(o->uses_arg, col->name);
    int used = index == 0 || wanted;
    if (index == 0)
        c->first_unwanted = !wanted;
    c->used[index] = (unsigned char)used;
    c->ranges[index] = readstat_variable_get_missing_ranges_count(var) > 0;
    if (keep_ranges(c, index, var) != 0)
        return fail_nomem(c);
    if (!used)
        return READSTAT_HANDLER_SKIP_VARIABLE;
    c->last_used = (size_t)index;
    return READSTAT_HANDLER_OK;
}

static int on_value_label(const char *set_name, readstat_value_t value,
                          const char *label, void *vctx)
{
    stat_ctx_t *c = vctx;
    if (c->cols_done || !set_name || !label)
        return READSTAT_HANDLER_OK;
    graft_labelset_t *set = get_set(c, set_name);
    if (!set)
        return fail_nomem(c);
    graft_error_t rc = GRAFT_OK;
    if (readstat_value_type_class(value) == READSTAT_TYPE_CLASS_STRING) {
        const char *code = readstat_string_value(value);
        if (code)
            rc = graft_labelset_add_str(set, code, label);
    } else if (!readstat_value_is_system_missing(value) &&
               !readstat_value_is_tagged_missing(value)) {
        /* Labels of Stata .a-.z and SAS .A-.Z are dropped: those values
         * reach the rows as missing cells, which carry no code. */
        rc = graft_labelset_add_num(set, readstat_double_value(value), label);
    }
    return rc == GRAFT_OK ? READSTAT_HANDLER_OK : fail_nomem(c);
}

/* ReadStat's PROGRESS (0 to 1, as it reads its buffers) as bytes of the
 * file for opts->progress. */
static int on_progress(double progress, void *vctx)
{
    stat_ctx_t *c = vctx;
    const graft_read_opts_t *o = c->opts;
    double bytes = progress * (double)c->size;
    size_t at = bytes <= 0                    ? 0
                : bytes >= (double)c->size ? c->size
                                           : (size_t)bytes;
    /* ReadStat reading a .sav file again after graft_sav_decode() starts
     * from 0: the bytes reported do not go back */
    if (at < c->progress_at)
        at = c->progress_at;
    o->progress(o->progress_arg, at, c->size, c->rows);
    return READSTAT_HANDLER_OK;
}

static void on_error(const char *msg, void *vctx)
{
    stat_ctx_t *c = vctx;
    if (c->rs_msg[0] || !msg)
        return;
    size_t n = strlen(msg);
    while (n > 0 && strchr(" \t\r\n.", msg[n - 1]))
        n--;
    if (n >= sizeof c->rs_msg)
        n = sizeof c->rs_msg - 1;
    memcpy(c->rs_msg, msg, n);
    c->rs_msg[n] = '\0';
}

/* ---- header and rows ---------------------------------------------------- */

/* Place the columns in the compact row: the pipe's places, or (without a
 * pipe) the columns read but for an unwanted first one. */
static int place_columns(stat_ctx_t *c)
{
    size_t n = c->ncols;
    c->pos = malloc(n * sizeof *c->pos);
    c->fast = malloc(n * sizeof *c->fast);
    if (!c->pos || !c->fast)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (c->pipe)
            c->pos[i] = graft_pipe_position(c->pipe, i);
        else if (c->used[i] && !(i == 0 && c->first_unwanted))
            c->pos[i] = (long)c->n_places;
        else
            c->pos[i] = -1;
        c->n_places += c->pos[i] >= 0;
        /* on_value() leaves strings and user-missing values to
         * value_slow() */
        c->fast[i] = c->cols[i].type == GRAFT_COL_NUMERIC && !c->ranges[i]
                         ? c->pos[i]
                         : -1;
    }
    if (!c->pipe) { /* the row is ours, and then cells for ROW */
        size_t m = c->n_places ? c->n_places : 1;
        c->own_nums = malloc(m * sizeof *c->own_nums);
        c->own_kinds = malloc(m);
        c->own_cols = malloc(m * sizeof *c->own_cols);
        c->str_off = malloc(m * sizeof *c->str_off);
        c->str_len = malloc(m * sizeof *c->str_len);
        c->cells = malloc(n * sizeof *c->cells);
        if (!c->own_nums || !c->own_kinds || !c->own_cols || !c->str_off ||
            !c->str_len || !c->cells)
            return -1;
        for (size_t i = 0; i < n; i++) {
            c->cells[i] = (graft_cell_t){GRAFT_CELL_MISSING, 0.0, NULL, 0};
            if (c->pos[i] >= 0)
                c->own_cols[c->pos[i]] = i;
        }
    }
    c->n_fast = n;
    return 0;
}

/* Attach the label sets, call HEADER (once) and place the columns. */
static int fire_header(stat_ctx_t *c)
{
    c->header_done = 1;
    if (c->ncols == 0)
        return fail(c, GRAFT_ERR_EMPTY, 0, "the file has no variables");
    for (size_t i = 0; i < c->ncols; i++)
        c->cols[i].labels =
            c->set_names[i] ? find_set(c, c->set_names[i]) : NULL;
    graft_error_t rc = c->header(c->user, c->cols, c->ncols, c->diag);
    if (rc != GRAFT_OK) {
        c->err = rc;
        return READSTAT_HANDLER_ABORT;
    }
    c->pipe = c->pipe_at ? *c->pipe_at : NULL;
    if (place_columns(c) != 0)
        return fail_nomem(c);
    return READSTAT_HANDLER_OK;
}

static void begin_row(stat_ctx_t *c, long obs)
{
    if (c->pipe) {
        c->slot = graft_pipe_begin_row(c->pipe);
    } else {
        /* the kinds GRAFT_PIPE_AUTO, as the pipe's */
        c->slot = (graft_pipe_row_t){c->own_nums, c->own_kinds};
        memset(c->own_kinds, GRAFT_PIPE_AUTO, c->n_places);
        c->arena.len = 0;
    }
    c->next_pos = 0;
    c->obs = c->open_obs = obs;
    c->row_open = 1;
}

/* Write NaN (missing) at the places from FROM to TO - 1: places whose
 * values did not come. */
static void fill_missing(stat_ctx_t *c, size_t from, size_t to)
{
    for (size_t q = from; q < to; q++)
        c->slot.nums[q] = NAN;
}

/* Place POS is about to be written: the places skipped since the last
 * value's are written as missing, so that every place of the case is.  (A
 * place before next_pos is written already, as a value or missing.) */
static void reach_place(stat_ctx_t *c, size_t pos)
{
    if (pos >= (size_t)c->next_pos) {
        fill_missing(c, (size_t)c->next_pos, pos);
        c->next_pos = (long)pos + 1;
    }
}

/* Hand the gathered case on: to the pipe, or as cells to ROW. */
static int end_row(stat_ctx_t *c)
{
    fill_missing(c, (size_t)c->next_pos, c->n_places);
    c->row_open = 0;
    c->open_obs = -1;
    c->rows++;
    unsigned long line = (unsigned long)c->obs + 1;
    graft_error_t rc;
    if (c->pipe) {
        rc = graft_pipe_end_row(c->pipe, line);
    } else {
        for (size_t i = 0; i < c->n_places; i++) {
            graft_cell_t *cell = &c->cells[c->own_cols[i]];
            graft_pipe_cell(cell, c->own_kinds[i], c->own_nums[i]);
            int str = cell->kind == GRAFT_CELL_STRING;
            cell->str = str ? c->arena.buf + c->str_off[i] : NULL;
            cell->len = str ? c->str_len[i] : 0;
        }
        rc = c->row(c->user, c->cells, c->ncols, line, c->diag);
    }
    if (rc != GRAFT_OK) {
        c->err = rc;
        return READSTAT_HANDLER_ABORT;
    }
    return READSTAT_HANDLER_OK;
}

/* Set the case's cell of column IDX from VALUE: system, SPSS user-defined
 * and Stata/SAS tagged missing values, non-finite numbers and empty
 * strings are missing (GRAFT_PIPE_AUTO and NaN). */
static int set_cell(stat_ctx_t *c, size_t idx, readstat_variable_t *var,
                    readstat_value_t value)
{
    long pos = c->pos[idx];
    if (pos < 0) /* an unwanted first column */
        return READSTAT_HANDLER_OK;
    reach_place(c, (size_t)pos);
    c->slot.kinds[pos] = GRAFT_PIPE_AUTO;
    c->slot.nums[pos] = NAN;
    /* A variable without missing ranges has no user-missing values:
     * readstat_value_is_defined_missing() would only walk its (empty)
     * ranges. */
    if (readstat_value_is_system_missing(value) ||
        readstat_value_is_tagged_missing(value) ||
        (c->ranges[idx] && readstat_value_is_defined_missing(value, var)))
        return READSTAT_HANDLER_OK;
    if (c->cols[idx].type == GRAFT_COL_STRING) {
        const char *s = readstat_string_value(value);
        size_t len = s ? strlen(s) : 0;
        if (len == 0)
            return READSTAT_HANDLER_OK;
        c->slot.kinds[pos] = GRAFT_CELL_STRING;
        c->slot.nums[pos] = 0.0;
        if (c->pipe)
            return graft_pipe_row_text(c->pipe, (size_t)pos, s, len) ==
                           GRAFT_OK
                       ? READSTAT_HANDLER_OK
                       : fail_nomem(c);
        size_t off = graft_arena_put(&c->arena, s, len);
        if (off == (size_t)-1)
            return fail_nomem(c);
        c->str_off[pos] = off;
        c->str_len[pos] = len;
        return READSTAT_HANDLER_OK;
    }
    /* GRAFT_PIPE_AUTO: a number when finite, else missing */
    c->slot.nums[pos] = readstat_double_value(value);
    return READSTAT_HANDLER_OK;
}

/* on_value() for every value but the common one. */
__attribute__((noinline)) static int value_slow(stat_ctx_t *c, int obs,
                                                readstat_variable_t *var,
                                                readstat_value_t value)
{
    if (!c->header_done && fire_header(c) != READSTAT_HANDLER_OK)
        return READSTAT_HANDLER_ABORT;
    int idx = readstat_variable_get_index(var);
    if (idx < 0 || (size_t)idx >= c->ncols)
        return fail(c, GRAFT_ERR_FORMAT, (unsigned long)obs + 1,
                    "value of an undeclared variable");
    /* A case whose last variable never came (ReadStat skipped it) is
     * delivered when the next case starts, its gaps missing. */
    if (c->row_open && obs != c->obs && end_row(c) != READSTAT_HANDLER_OK)
        return READSTAT_HANDLER_ABORT;
    if (!c->row_open)
        begin_row(c, obs);
    if (set_cell(c, (size_t)idx, var, value) != READSTAT_HANDLER_OK)
        return READSTAT_HANDLER_ABORT;
    if ((size_t)idx == c->last_used)
        return end_row(c);
    return READSTAT_HANDLER_OK;
}

/* Is the value of column IDX of case OBS the next place of the case being
 * gathered, of a numeric column without user-missing values? */
static inline int in_order(const stat_ctx_t *c, int obs, int idx)
{
    return obs == c->open_obs && (size_t)idx < c->n_fast && /* idx < 0 */
           c->fast[idx] == c->next_pos;
}

/* Store NUM at the next place as set_cell() would (system and tagged
 * missing values as NaN, which GRAFT_PIPE_AUTO reads as missing), and end
 * the case at its last place. */
static inline int store_next(stat_ctx_t *c, readstat_value_t value,
                             double num)
{
    long pos = c->next_pos;
    c->next_pos = pos + 1;
    /* NaN for a missing value, without a branch: which values are missing
     * follows the data, which a branch would have to guess */
    uint64_t bits, nan_bits = 0x7ff8000000000000u;
    uint64_t missing = value.is_system_missing | value.is_tagged_missing;
    memcpy(&bits, &num, sizeof bits);
    bits = (bits & (missing - 1)) | (nan_bits & -missing);
    memcpy(&c->slot.nums[pos], &bits, sizeof bits);
    /* the last place is the last column read's: it ends the case */
    return (size_t)pos + 1 < c->n_places ? READSTAT_HANDLER_OK : end_row(c);
}

/* on_value() for a value that is not a double: Stata and SAS files keep
 * integers in 1, 2 or 4 bytes (and floats), converted as
 * readstat_double_value() converts them; the rest goes to value_slow(). */
__attribute__((noinline)) static int value_other(stat_ctx_t *c, int obs,
                                                 readstat_variable_t *var,
                                                 readstat_value_t value)
{
    double num;
    switch (value.type) {
    case READSTAT_TYPE_INT32:
        num = value.v.i32_value;
        break;
    case READSTAT_TYPE_INT16:
        num = value.v.i16_value;
        break;
    case READSTAT_TYPE_INT8:
        num = value.v.i8_value;
        break;
    case READSTAT_TYPE_FLOAT:
        num = value.v.float_value;
        break;
    default:
        return value_slow(c, obs, var, value);
    }
    if (!in_order(c, obs, var->index))
        return value_slow(c, obs, var, value);
    return store_next(c, value, num);
}

/* The common value, a double of a numeric variable without user-missing
 * values in the middle of the case being gathered, is stored here; other
 * numbers go to value_other(), the rest to value_slow().  Called once per
 * value of the file: kept small. */
static int on_value(int obs, readstat_variable_t *var, readstat_value_t value,
                    void *vctx)
{
    stat_ctx_t *c = vctx;
    /* The values come in column order: the place is the one after the
     * last value's, checked against the column's (a mismatch goes the
     * slow way).  Where the value is stored then does not wait for the
     * lookup, only for the check, which the branch predictor answers.
     * var->index is readstat_variable_get_index(), without a call. */
    if (value.type != READSTAT_TYPE_DOUBLE)
        return value_other(c, obs, var, value);
    if (!in_order(c, obs, var->index))
        return value_slow(c, obs, var, value);
    return store_next(c, value, value.v.double_value);
}

/* ---- .sav cases without ReadStat's callbacks (io/sav_data.h) ---------- */

static double *sav_begin(void *vctx, long obs)
{
    stat_ctx_t *c = vctx;
    begin_row(c, obs);
    return c->slot.nums;
}

static int sav_end(void *vctx)
{
    stat_ctx_t *c = vctx;
    /* user-missing values, as set_cell() marks them */
    double *nums = c->slot.nums;
    for (size_t i = 0; i < c->n_kept; i++) {
        const missing_range_t *m = &c->kept[i];
        if (nums[m->at] >= m->lo && nums[m->at] <= m->hi)
            nums[m->at] = NAN;
    }
    c->next_pos = (long)c->n_places; /* every place is written */
    return end_row(c) != READSTAT_HANDLER_OK;
}

static void sav_progress(void *vctx, size_t bytes)
{
    stat_ctx_t *c = vctx;
    c->progress_at = bytes < c->size ? bytes : c->size;
    c->opts->progress(c->opts->progress_arg, c->progress_at, c->size,
                      c->rows);
}

/* May the cases of the .sav file laid out as LAY be decoded by
 * graft_sav_decode()?  Every column read must be a number (its
 * user-missing values are marked by sav_end()). */
static int sav_decodable(const stat_ctx_t *c, const graft_sav_layout_t *lay)
{
    if (lay->n_vars != c->ncols)
        return 0; /* ReadStat counts the variables otherwise */
    for (size_t i = 0; i < c->ncols; i++)
        if (c->used[i] &&
            (c->cols[i].type != GRAFT_COL_NUMERIC || !lay->numeric[i]))
            return 0;
    return 1;
}

/* The user-missing ranges of the places kept, in c->kept.  -1 when out of
 * memory. */
static int keep_place_ranges(stat_ctx_t *c)
{
    if (c->n_missing == 0)
        return 0;
    c->kept = malloc(c->n_missing * sizeof *c->kept);
    if (!c->kept)
        return -1;
    for (size_t i = 0; i < c->n_missing; i++) {
        long place = c->pos[c->missing[i].at];
        if (place >= 0) {
            c->kept[c->n_kept] = c->missing[i];
            c->kept[c->n_kept++].at = place;
        }
    }
    return 0;
}

/* The sink's start(): the header, then per slot of c->lay the place of
 * its value, or -1 (also for every slot of a string); NULL on an error
 * (c->err) or when out of memory. */
static const long *sav_start(void *vctx)
{
    stat_ctx_t *c = vctx;
    const graft_sav_layout_t *lay = c->lay;
    if (!c->header_done && fire_header(c) != READSTAT_HANDLER_OK)
        return NULL;
    size_t n = lay->n_slots ? lay->n_slots : 1;
    if (keep_place_ranges(c) != 0 ||
        !(c->sav_place = malloc(n * sizeof *c->sav_place))) {
        fail_nomem(c);
        return NULL;
    }
    for (size_t j = 0; j < lay->n_slots; j++)
        c->sav_place[j] = -1;
    for (size_t i = 0; i < c->ncols; i++)
        c->sav_place[lay->slot[i]] = c->pos[i];
    /* the columns kept are numbers (sav_decodable()): every kind stays
     * GRAFT_PIPE_AUTO, here and should ReadStat read the rest */
    if (c->pipe)
        graft_pipe_all_auto(c->pipe);
    return c->sav_place;
}

/* Read the cases of the .sav file laid out as LAY, its dictionary read.
 * Returns 1 when ReadStat is to read them (the rest of them: c->skip
 * says how many have been passed on), else 0 (all read, or c->err). */
static int read_sav_cases(stat_ctx_t *c, const graft_sav_layout_t *lay)
{
    if (!sav_decodable(c, lay))
        return 1;
    graft_sav_sink_t sink = {sav_start, sav_begin, sav_end,
                             c->opts && c->opts->progress ? sav_progress
                                                          : NULL,
                             c};
    unsigned long rows = 0;
    c->lay = lay;
    graft_sav_end_t end = graft_sav_decode(c->path, lay, &sink, &rows);
    c->lay = NULL;
    if (end == GRAFT_SAV_ALL || c->err != GRAFT_OK)
        return 0;
    /* the case begun is not passed on: ReadStat gives it, if whole */
    c->row_open = 0;
    c->open_obs = -1;
    c->obs = (long)rows - 1;
    c->skip = rows;
    return 1;
}

/* on_value() once the cases before c->skip have been passed on. */
static int on_value_rest(int obs, readstat_variable_t *var,
                         readstat_value_t value, void *vctx)
{
    stat_ctx_t *c = vctx;
    if (obs >= 0 && (unsigned long)obs < c->skip)
        return READSTAT_HANDLER_OK;
    return on_value(obs, var, value, vctx);
}

/* ---- the reader --------------------------------------------------------- */

/* Does the open file FD of SIZE bytes hold TAG (LEN bytes) at OFFSET? */
static int has_bytes(int fd, off_t size, off_t offset, const char *tag,
                     size_t len)
{
    char buf[16];
    if (offset < 0 || offset + (off_t)len > size || len > sizeof buf)
        return 0;
    return pread(fd, buf, len, offset) == (ssize_t)len &&
           memcmp(buf, tag, len) == 0;
}

/* An unsigned integer of LEN (4 or 8) bytes at OFFSET of FD, in the byte
 * order LITTLE says; 0 and *OK cleared when FD is too short. */
static uint64_t read_uint(int fd, off_t offset, size_t len, int little,
                          int *ok)
{
    unsigned char b[8];
    if (pread(fd, b, len, offset) != (ssize_t)len) {
        *ok = 0;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v = v << 8 | b[little ? len - 1 - i : i];
    return v;
}

/* The size a SAS .sas7bdat file declares in its header (header size plus
 * page size times page count; ReadStat's sas7bdat_parse_header reads the
 * same fields), or 0 when its header is too short to tell. */
static uint64_t sas7bdat_declared(int fd)
{
    unsigned char b[38];
    if (pread(fd, b, sizeof b, 0) != (ssize_t)sizeof b)
        return 0;
    off_t a1 = b[35] == 0x33 ? 4 : 0;         /* alignment of the sizes */
    size_t count_len = b[32] == 0x33 ? 8 : 4; /* a 64-bit file */
    int little = b[37] == 0x01, ok = 1;
    uint64_t header = read_uint(fd, 196 + a1, 4, little, &ok);
    uint64_t page = read_uint(fd, 200 + a1, 4, little, &ok);
    uint64_t pages = read_uint(fd, 204 + a1, count_len, little, &ok);
    if (!ok || page == 0 || pages > (UINT64_MAX - header) / page)
        return 0;
    return header + page * pages;
}

/* GRAFT_ERR_FORMAT when FD (SIZE bytes) is visibly cut short in a way
 * ReadStat does not report, or reports only as "Unable to read from file":
 * XPORT files are 80-byte records, but ReadStat stops quietly at the last
 * whole case of a cut one; a Stata 117+ file cut inside its value labels
 * reads without them; a SAS .sas7bdat file shorter than its header says. */
static graft_error_t check_whole(int fd, off_t size, const stat_format_t *fmt,
                                 const char *path, graft_diag_t *diag)
{
    if (fmt->kind == XPT && size % 80 != 0)
        return graft_diag_set(diag, GRAFT_ERR_FORMAT, path, 0, 0,
                              "cannot read %s file: truncated: %lld bytes "
                              "is not a whole number of 80-byte records",
                              fmt->name, (long long)size);
    if (fmt->kind == DTA && has_bytes(fd, size, 0, "<stata_dta>", 11) &&
        !has_bytes(fd, size, size - 12, "</stata_dta>", 12))
        return graft_diag_set(diag, GRAFT_ERR_FORMAT, path, 0, 0,
                              "cannot read %s file: truncated: it does not "
                              "end with </stata_dta>",
                              fmt->name);
    uint64_t declared;
    if (fmt->kind == SAS7BDAT && has_signature(path, fmt) &&
        (declared = sas7bdat_declared(fd)) > (uint64_t)size)
        return graft_diag_set(diag, GRAFT_ERR_FORMAT, path, 0, 0,
                              "cannot read %s file: truncated: %lld bytes, "
                              "its header declares %llu",
                              fmt->name, (long long)size,
                              (unsigned long long)declared);
    return GRAFT_OK;
}

/* GRAFT_ERR_OPEN unless PATH is a readable file, GRAFT_ERR_FORMAT unless
 * its extension names a format and it is not visibly truncated.  Sets
 * *FMT and *SIZE (bytes). */
static graft_error_t check_file(const char *path, const stat_format_t **fmt,
                                size_t *size, graft_diag_t *diag)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return graft_diag_set(diag, GRAFT_ERR_OPEN, path, 0, 0,
                              "cannot open: %s", strerror(errno));
    struct stat st;
    graft_error_t rc = GRAFT_OK;
    if (fstat(fd, &st) != 0)
        rc = graft_diag_set(diag, GRAFT_ERR_OPEN, path, 0, 0,
                            "cannot open: %s", strerror(errno));
    else if (S_ISDIR(st.st_mode))
        rc = graft_diag_set(diag, GRAFT_ERR_OPEN, path, 0, 0,
                            "cannot open: %s", strerror(EISDIR));
    else if (!(*fmt = find_format(path)))
        rc = graft_diag_set(diag, GRAFT_ERR_FORMAT, path, 0, 0,
                            "not a ReadStat format: the extension is not "
                            ".sav, .zsav, .por, .dta, .sas7bdat or .xpt");
    else
        rc = check_whole(fd, st.st_size, *fmt, path, diag);
    *size = rc == GRAFT_OK ? (size_t)st.st_size : 0;
    close(fd);
    return rc;
}

/* The diagnostic for a ReadStat failure RS.  The case number is known when
 * the failure came while reading cases, within the count the file declares.
 *
 * READSTAT_ERROR_MALLOC is a format error: ReadStat's allocator refuses
 * empty and oversized blocks (readstat_malloc.c), so that is what a corrupt
 * length field, or a .por or .xpt file without variables, yields. */
static graft_error_t parse_error(stat_ctx_t *c, readstat_error_t rs)
{
    if (c->var_count == 0 && c->ncols == 0) /* ReadStat rejects such files */
        return graft_diag_set(c->diag, GRAFT_ERR_EMPTY, c->path, 0, 0,
                              "the file has no variables");
    if (rs == READSTAT_ERROR_OPEN)
        return graft_diag_set(c->diag, GRAFT_ERR_OPEN, c->path, 0, 0,
                              "cannot open: %s", readstat_error_message(rs));
    unsigned long line = 0;
    if (c->header_done) {
        long obs = c->row_open ? c->obs : c->obs + 1;
        if (c->row_count < 0 || obs < c->row_count)
            line = (unsigned long)obs + 1;
    }
    /* ReadStat's own text adds detail ("Error in X (row=6)") unless it
     * only repeats the error with errno noise. */
    const char *what = readstat_error_message(rs);
    const char *more = strstr(c->rs_msg, what) ? "" : c->rs_msg;
    char hint[64];
    if (!c->header_done && !has_signature(c->path, c->fmt)) {
        snprintf(hint, sizeof hint, "it has no %s signature", c->fmt->name);
        more = hint;
    }
    return graft_diag_set(c->diag, GRAFT_ERR_FORMAT, c->path, line, 0,
                          "cannot read %s file: %s%s%s%s", c->fmt->name, what,
                          more[0] ? " (" : "", more, more[0] ? ")" : "");
}

/* The outcome once ReadStat has returned RS from the data pass. */
static graft_error_t finish(stat_ctx_t *c, readstat_error_t rs)
{
    if (c->err != GRAFT_OK)
        return c->err;
    if (rs != READSTAT_OK)
        return parse_error(c, rs);
    if (c->row_open && end_row(c) != READSTAT_HANDLER_OK)
        return c->err;
    if (!c->header_done && fire_header(c) != READSTAT_HANDLER_OK)
        return c->err;
    if (c->rows == 0)
        return graft_diag_set(c->diag, GRAFT_ERR_NO_ROWS, c->path, 0, 0,
                              "the file has no cases");
    return GRAFT_OK;
}

/* ReadStat's passes over C's file with PARSER, its handlers but the value
 * and progress ones set: the label pass (.dta), or the dictionary pass and
 * the cases decoded here (a plain .sav file: io/sav_data.h); then the data
 * pass unless the cases are all read.  Returns ReadStat's result. */
static readstat_error_t parse_passes(stat_ctx_t *c, readstat_parser_t *parser)
{
    const stat_format_t *fmt = c->fmt;
    graft_sav_layout_t lay = {0};
    int direct = fmt->kind == SAV && graft_sav_layout(c->path, &lay);
    readstat_error_t rs = READSTAT_OK;
    if (fmt->labels_after_data || direct) {
        /* Without a value handler ReadStat seeks past the data. */
        rs = fmt->parse(parser, c->path, c);
        c->cols_done = 1;
    }
    int cases = rs == READSTAT_OK && c->err == GRAFT_OK;
    if (cases && direct)
        cases = read_sav_cases(c, &lay);
    graft_sav_layout_free(&lay);
    if (cases) {
        readstat_set_value_handler(parser,
                                   c->skip ? on_value_rest : on_value);
        if (c->opts && c->opts->progress)
            readstat_set_progress_handler(parser, on_progress);
        rs = fmt->parse(parser, c->path, c);
    }
    return rs;
}

graft_error_t graft_read_stat(const char *path, const graft_read_opts_t *opts,
                              graft_header_fn header, graft_row_fn row,
                              void *ctx, graft_diag_t *diag)
{
    return graft_read_stat_piped(path, opts, header, row, ctx, NULL, diag);
}

graft_error_t graft_read_stat_piped(const char *path,
                                    const graft_read_opts_t *opts,
                                    graft_header_fn header, graft_row_fn row,
                                    void *ctx, graft_pipe_t *const *pipe,
                                    graft_diag_t *diag)
{
    const stat_format_t *fmt = NULL;
    size_t size = 0;
    graft_error_t rc = check_file(path, &fmt, &size, diag);
    if (rc != GRAFT_OK)
        return rc;

    stat_ctx_t c = {0};
    c.path = path;
    c.fmt = fmt;
    c.header = header;
    c.row = row;
    c.user = ctx;
    c.diag = diag;
    c.obs = c.open_obs = -1;
    c.row_count = -1;
    c.var_count = -1;
    c.opts = opts;
    c.pipe_at = pipe;
    c.size = size;

    readstat_parser_t *parser = readstat_parser_init();
    if (!parser)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                              "out of memory");
    graft_stat_io_t io;
    graft_stat_io_install(parser, &io);
    readstat_set_metadata_handler(parser, on_metadata);
    readstat_set_variable_handler(parser, on_variable);
    readstat_set_value_label_handler(parser, on_value_label);
    readstat_set_error_handler(parser, on_error);

    rc = finish(&c, parse_passes(&c, parser));
    if (rc == GRAFT_OK && opts && opts->progress) /* read whole */
        opts->progress(opts->progress_arg, size, size, c.rows);
    readstat_parser_free(parser);
    graft_stat_io_free(&io);
    ctx_free(&c);
    return rc;
}
