/*
 * pipe.c - the row pipeline: batches of copied rows handed from the
 * reading thread to a consuming thread through a small ring; and the same
 * batches filled by other threads and run on the caller's
 * (graft_pipe_local(), for the parallel CSV reader).
 */
#include "io/pipe.h"
#include "base/grow.h"
#include "base/str.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_BYTES (1u << 18) /* per batch: a quarter megabyte */
#define N_BATCHES 8

/* A batch holds each row's cells in the columns copied as a kind byte and
 * a number (what crosses between the cores is about a third of whole
 * cells), and the texts that must go along in an arena. */
typedef struct text_ref {
    size_t at;            /* row * n_copy + the column's place in copy */
    size_t off, len;      /* in the arena */
} text_ref_t;

/* The threads that fill batches and the one that reads them touch fields
 * of their own for every row; data one writes and another reads in the
 * same cache line would bounce between the cores (false sharing), so the
 * groups are kept a line apart. */
#define LINE 64

typedef struct graft_batch {
    double *nums;         /* cap x n_copy */
    unsigned char *kinds; /* cap x n_copy */
    unsigned long *lines;
    text_ref_t *texts;    /* in push order */
    size_t n_texts, texts_cap;
    graft_arena_t arena;
    size_t n, cap;        /* rows held, rows room was made for */
    int blank;            /* every kind GRAFT_PIPE_AUTO already */
    char apart[LINE];     /* from the next batch in an array */
} batch_t;

struct graft_pipe {
    /* the compact form: set before the first row, then only read */
    size_t ncols, batch_rows;
    size_t *copy, n_copy;     /* the columns copied */
    long *position;           /* per column: its place in copy, or -1 */
    double *lo, *hi;          /* per place: the missing codes' range */
    int (*is_code)(void *arg, size_t col, double num); /* NULL: no codes */
    void *code_arg;
    int bare_values;
    graft_row_fn row;
    void *ctx;
    char apart1[LINE];
    /* the consumer's, written for each row */
    graft_cell_t *cells;      /* its row (ncols) */
    size_t *texted, n_texted; /* its cells with a text (from the last row) */
    char apart2[LINE];
    batch_t batches[N_BATCHES];
    size_t head, tail, count; /* ready batches: ring [tail, head) */
    size_t filling;           /* the batch the reader fills */
    int direct;               /* rows are begun in place: the consumer
                               * blanks each batch it is done with; 2:
                               * their kinds are all GRAFT_PIPE_AUTO, and
                               * graft_pipe_end_row() makes them final
                               * (graft_pipe_all_auto()) */
    int done;
    atomic_int failed;
    graft_error_t rc;
    graft_diag_t diag;
    pthread_mutex_t mu;
    pthread_cond_t ready, freed;
    pthread_t thread;
};

static void batch_free(batch_t *b)
{
    free(b->nums);
    free(b->kinds);
    free(b->texts);
    free(b->lines);
    free(b->arena.buf);
}

/* Make room in B for ROWS rows of N_COPY cells.  GRAFT_OK or
 * GRAFT_ERR_NOMEM (B unchanged but for the arrays already grown). */
static graft_error_t batch_reserve(batch_t *b, size_t rows, size_t n_copy)
{
    size_t cap = b->cap, width = n_copy ? n_copy : 1;
    if (rows <= cap)
        return GRAFT_OK;
    cap = graft_grow_cap(cap, rows, width * sizeof(double));
    if (cap == 0)
        return GRAFT_ERR_NOMEM;
    double *nums = realloc(b->nums, cap * width * sizeof *nums);
    if (nums)
        b->nums = nums;
    unsigned char *kinds = realloc(b->kinds, cap * width);
    if (kinds)
        b->kinds = kinds;
    unsigned long *lines = realloc(b->lines, cap * sizeof *lines);
    if (lines)
        b->lines = lines;
    if (!nums || !kinds || !lines)
        return GRAFT_ERR_NOMEM;
    b->cap = cap;
    return GRAFT_OK;
}

/* The kinds and numbers of a row into p->cells, the missing codes marked.
 * AUTO: the kinds may be GRAFT_PIPE_AUTO (rows written in place); 2: the
 * row is final already (graft_pipe_all_auto()): kinds and numbers are
 * copied; a constant where it is called, so that the loop is made for
 * each case. */
static inline void put_cells(graft_pipe_t *p, const unsigned char *kinds,
                             const double *nums, int automatic)
{
    /* In locals: the cells written might alias p's fields for all the
     * compiler knows, which would have it load them again each time. */
    graft_cell_t *cells = p->cells;
    const size_t *copy = p->copy, n = p->n_copy;
    const double *lo = p->lo, *hi = p->hi;
    int (*is_code)(void *, size_t, double) =
        automatic == 2 ? NULL : p->is_code;
    for (size_t i = 0; i < n; i++) {
        graft_cell_t *cell = &cells[copy[i]];
        if (automatic == 1) {
            graft_pipe_cell(cell, kinds[i], nums[i]);
        } else {
            cell->kind = (graft_cell_kind_t)kinds[i];
            cell->num = nums[i];
        }
        /* NaN fails both tests: only numbers in a code range are asked */
        if (is_code && nums[i] >= lo[i] && nums[i] <= hi[i] &&
            cell->kind == GRAFT_CELL_NUMBER &&
            is_code(p->code_arg, copy[i], nums[i]))
            cell->kind = GRAFT_CELL_MISSING;
    }
}

/* The row at NUMS and KINDS, every kind GRAFT_PIPE_AUTO, made final as
 * put_cells() would unpack it (on the reading thread, for
 * graft_pipe_all_auto()): each kind a number or missing (its number 0),
 * the missing codes marked (their numbers kept). */
static void finish_row(const graft_pipe_t *p, double *nums,
                       unsigned char *kinds)
{
    const double *lo = p->lo, *hi = p->hi;
    int (*is_code)(void *, size_t, double) = p->is_code;
    for (size_t i = 0, n = p->n_copy; i < n; i++) {
        double num = nums[i];
        int finite = isfinite(num);
        unsigned char kind = finite ? GRAFT_CELL_NUMBER : GRAFT_CELL_MISSING;
        if (finite && is_code && num >= lo[i] && num <= hi[i] &&
            is_code(p->code_arg, p->copy[i], num))
            kind = GRAFT_CELL_MISSING;
        kinds[i] = kind;
        nums[i] = finite ? num : 0.0;
    }
}

/* Row R of batch B as cells in p->cells; *T is the batch's next text.
 * Only the cells that had a text in the last row have one to clear.
 * AUTOMATIC: as put_cells(). */
static const graft_cell_t *unpack(graft_pipe_t *p, const batch_t *b, size_t r,
                                  size_t *t, int automatic)
{
    size_t base = r * p->n_copy;
    const double *nums = b->nums + base;
    const unsigned char *kinds = b->kinds + base;
    int all = p->n_texted > p->ncols; /* a cell had two texts */
    for (size_t i = 0; i < (all ? p->n_copy : p->n_texted); i++) {
        graft_cell_t *cell = &p->cells[all ? p->copy[i] : p->texted[i]];
        cell->str = NULL;
        cell->len = 0;
    }
    p->n_texted = 0;
    if (automatic == 2)
        put_cells(p, kinds, nums, 2);
    else if (automatic)
        put_cells(p, kinds, nums, 1);
    else
        put_cells(p, kinds, nums, 0);
    for (; *t < b->n_texts && b->texts[*t].at < base + p->n_copy; ++*t) {
        const text_ref_t *x = &b->texts[*t];
        size_t col = p->copy[x->at - base];
        graft_cell_t *cell = &p->cells[col];
        cell->str = b->arena.buf + x->off;
        cell->len = x->len;
        if (p->n_texted < p->ncols)
            p->texted[p->n_texted] = col;
        p->n_texted++; /* past ncols (a text given twice): clear them all */
    }
    return p->cells;
}

/* Set the kinds of N rows to GRAFT_PIPE_AUTO. */
static void blank_rows(const graft_pipe_t *p, unsigned char *kinds, size_t n)
{
    memset(kinds, GRAFT_PIPE_AUTO, n * p->n_copy);
}

/* Pass rows [0, b->n) of B to the row callback in order, each from its
 * line plus SHIFT (AUTOMATIC: as put_cells()).  Returns the first error
 * (DIAG filled by the callback), else GRAFT_OK. */
static graft_error_t run_rows(graft_pipe_t *p, const batch_t *b,
                              unsigned long shift, int automatic,
                              graft_diag_t *diag)
{
    size_t t = 0;
    for (size_t r = 0; r < b->n; r++) {
        const graft_cell_t *cells = unpack(p, b, r, &t, automatic);
        graft_error_t rc =
            p->row(p->ctx, cells, p->ncols, b->lines[r] + shift, diag);
        if (rc != GRAFT_OK)
            return rc;
    }
    return GRAFT_OK;
}

static void *consume(void *arg)
{
    graft_pipe_t *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->count == 0 && !p->done)
            pthread_cond_wait(&p->ready, &p->mu);
        if (p->count == 0 && p->done) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        batch_t *b = &p->batches[p->tail];
        int failed = p->failed, direct = p->direct;
        pthread_mutex_unlock(&p->mu);
        graft_error_t rc =
            failed ? GRAFT_OK : run_rows(p, b, 0, direct, &p->diag);
        if (rc != GRAFT_OK) {
            pthread_mutex_lock(&p->mu);
            p->rc = rc;
            atomic_store(&p->failed, 1);
            pthread_mutex_unlock(&p->mu);
        }
        /* Blank the kinds here rather than in graft_pipe_begin_row(), on
         * the reading thread; final rows (graft_pipe_all_auto()) have
         * every kind written when they end, and need none. */
        if (direct == 1)
            blank_rows(p, b->kinds, b->n);
        pthread_mutex_lock(&p->mu);
        b->blank = direct != 0;
        b->n = 0;
        b->n_texts = 0;
        b->arena.len = 0;
        p->tail = (p->tail + 1) % N_BATCHES;
        p->count--;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->mu);
    }
}

static void pipe_free(graft_pipe_t *p)
{
    for (size_t i = 0; i < N_BATCHES; i++)
        batch_free(&p->batches[i]);
    free(p->copy);
    free(p->position);
    free(p->cells);
    free(p->texted);
    free(p->lo);
    free(p->hi);
    free(p);
}

/* The parts of a pipe both kinds have: which columns are copied, and
 * the consumer's row.  NULL when out of memory. */
static graft_pipe_t *pipe_new(size_t ncols, const unsigned char *used,
                              int bare_values, graft_row_fn row, void *ctx)
{
    static const graft_cell_t missing = {GRAFT_CELL_MISSING, 0.0, NULL, 0};
    graft_pipe_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->ncols = ncols ? ncols : 1;
    p->bare_values = bare_values;
    p->copy = malloc(p->ncols * sizeof *p->copy);
    p->position = malloc(p->ncols * sizeof *p->position);
    p->cells = malloc(p->ncols * sizeof *p->cells);
    p->texted = malloc(p->ncols * sizeof *p->texted);
    if (!p->copy || !p->position || !p->cells || !p->texted) {
        pipe_free(p);
        return NULL;
    }
    /* The columns not copied stay missing for good. */
    for (size_t c = 0; c < p->ncols; c++) {
        p->cells[c] = missing;
        p->position[c] = -1;
    }
    for (size_t c = 0; c < ncols; c++)
        if (!used || used[c]) {
            p->position[c] = (long)p->n_copy;
            p->copy[p->n_copy++] = c;
        }
    p->row = row;
    p->ctx = ctx;
    return p;
}

graft_pipe_t *graft_pipe_start(size_t ncols, const unsigned char *used,
                               int bare_values, graft_row_fn row, void *ctx)
{
    graft_pipe_t *p = pipe_new(ncols, used, bare_values, row, ctx);
    if (!p)
        return NULL;
    size_t row_bytes = p->n_copy * (sizeof(double) + 1) + sizeof(long);
    p->batch_rows = BATCH_BYTES / row_bytes;
    if (p->batch_rows < 16)
        p->batch_rows = 16;
    if (p->batch_rows > 4096)
        p->batch_rows = 4096;
    for (size_t i = 0; i < N_BATCHES; i++)
        if (batch_reserve(&p->batches[i], p->batch_rows, p->n_copy) !=
            GRAFT_OK) {
            pipe_free(p);
            return NULL;
        }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        pipe_free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->ready, NULL) != 0 ||
        pthread_cond_init(&p->freed, NULL) != 0 ||
        pthread_create(&p->thread, NULL, consume, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pipe_free(p);
        return NULL;
    }
    return p;
}

graft_pipe_t *graft_pipe_local(size_t ncols, const unsigned char *used,
                               int bare_values, graft_row_fn row, void *ctx)
{
    return pipe_new(ncols, used, bare_values, row, ctx);
}

void graft_pipe_free(graft_pipe_t *p)
{
    if (p)
        pipe_free(p);
}

graft_error_t graft_pipe_screen(graft_pipe_t *p, const double *lo,
                                const double *hi,
                                int (*is_code)(void *arg, size_t col,
                                               double num),
                                void *arg)
{
    size_t n = p->n_copy ? p->n_copy : 1;
    p->lo = malloc(n * sizeof *p->lo);
    p->hi = malloc(n * sizeof *p->hi);
    if (!p->lo || !p->hi)
        return GRAFT_ERR_NOMEM;
    for (size_t i = 0; i < p->n_copy; i++) {
        p->lo[i] = lo[p->copy[i]];
        p->hi[i] = hi[p->copy[i]];
    }
    p->is_code = is_code;
    p->code_arg = arg;
    return GRAFT_OK;
}

/* Hand the filling batch to the consumer and wait for a free one. */
static void hand_over(graft_pipe_t *p)
{
    pthread_mutex_lock(&p->mu);
    p->head = (p->head + 1) % N_BATCHES;
    p->count++;
    pthread_cond_signal(&p->ready);
    while (p->count == N_BATCHES && !p->failed)
        pthread_cond_wait(&p->freed, &p->mu);
    p->filling = p->head;
    pthread_mutex_unlock(&p->mu);
}

/* Copy LEN bytes of text of the batch's cell AT into its arena. */
static graft_error_t keep_text(batch_t *b, size_t at, const char *str,
                               size_t len)
{
    text_ref_t *t =
        graft_grow(b->texts, &b->texts_cap, b->n_texts + 1, sizeof *t);
    if (!t)
        return GRAFT_ERR_NOMEM;
    b->texts = t;
    size_t off = graft_arena_put(&b->arena, str, len);
    if (off == (size_t)-1)
        return GRAFT_ERR_NOMEM;
    b->texts[b->n_texts++] = (text_ref_t){at, off, len};
    return GRAFT_OK;
}

/* The consumer's error once it has failed, else GRAFT_OK. */
static graft_error_t consumer_error(graft_pipe_t *p)
{
    if (!atomic_load(&p->failed))
        return GRAFT_OK;
    pthread_mutex_lock(&p->mu);
    graft_error_t rc = p->rc;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* The next row of the filling batch, its cells not yet written. */
static graft_pipe_row_t next_row(graft_pipe_t *p)
{
    batch_t *b = &p->batches[p->filling];
    size_t base = b->n * p->n_copy;
    return (graft_pipe_row_t){b->nums + base, b->kinds + base};
}

long graft_pipe_position(const graft_pipe_t *p, size_t col)
{
    return col < p->ncols ? p->position[col] : -1;
}

void graft_pipe_all_auto(graft_pipe_t *p)
{
    p->direct = 2; /* before the first hand-over, which publishes it */
}

graft_pipe_row_t graft_pipe_begin_row(graft_pipe_t *p)
{
    graft_pipe_row_t row = next_row(p);
    if (!p->direct)
        p->direct = 1; /* before the first hand-over, which publishes it */
    if (!p->batches[p->filling].blank)
        blank_rows(p, row.kinds, 1);
    return row;
}

graft_error_t graft_pipe_row_text(graft_pipe_t *p, size_t pos,
                                  const char *str, size_t len)
{
    batch_t *b = &p->batches[p->filling];
    return keep_text(b, b->n * p->n_copy + pos, str, len);
}

graft_error_t graft_pipe_end_row(graft_pipe_t *p, unsigned long line)
{
    batch_t *b = &p->batches[p->filling];
    if (p->direct == 2) {
        size_t base = b->n * p->n_copy;
        finish_row(p, b->nums + base, b->kinds + base);
    }
    b->lines[b->n++] = line;
    if (b->n == p->batch_rows)
        hand_over(p);
    return consumer_error(p);
}

/* Pack a copy of one row into B, whose room the caller has made, in P's
 * compact form.  P is only read.  GRAFT_OK or GRAFT_ERR_NOMEM. */
static graft_error_t pack_row(const graft_pipe_t *p, batch_t *b,
                              const graft_cell_t *cells, unsigned long line)
{
    size_t n = p->n_copy, base = b->n * n;
    double *restrict nums = b->nums + base;
    unsigned char *restrict kinds = b->kinds + base;
    const size_t *restrict copy = p->copy;
    unsigned seen = 0; /* the kinds or'ed: of 0, 1 and 2, only a string
                        * (which has a text) sets GRAFT_CELL_STRING's bit */
    for (size_t i = 0; i < n; i++) {
        const graft_cell_t *src = &cells[copy[i]];
        seen |= (unsigned)src->kind;
        kinds[i] = (unsigned char)src->kind;
        nums[i] = src->num;
    }
    int texts = !p->bare_values || (seen & GRAFT_CELL_STRING);
    for (size_t i = 0; texts && i < n; i++) {
        const graft_cell_t *src = &cells[copy[i]];
        if (src->str && (src->kind == GRAFT_CELL_STRING || !p->bare_values) &&
            keep_text(b, base + i, src->str, src->len) != GRAFT_OK)
            return GRAFT_ERR_NOMEM;
    }
    b->lines[b->n++] = line;
    return GRAFT_OK;
}

graft_error_t graft_pipe_push(graft_pipe_t *p, const graft_cell_t *cells,
                              unsigned long line)
{
    graft_error_t rc = consumer_error(p);
    if (rc != GRAFT_OK)
        return rc;
    batch_t *b = &p->batches[p->filling];
    if (pack_row(p, b, cells, line) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    if (b->n == p->batch_rows)
        hand_over(p);
    return consumer_error(p);
}

/* ---- batches for a pipe without a thread ------------------------------ */

graft_batch_t *graft_batch_alloc(void)
{
    /* on lines of its own: the batches of one reader sit side by side */
    size_t size = (sizeof(graft_batch_t) + LINE - 1) / LINE * LINE;
    graft_batch_t *b = aligned_alloc(LINE, size);
    if (b)
        memset(b, 0, sizeof *b);
    return b;
}

void graft_batch_free(graft_batch_t *b)
{
    if (!b)
        return;
    batch_free(b);
    free(b);
}

void graft_batch_clear(graft_batch_t *b)
{
    b->n = 0;
    b->n_texts = 0;
    b->arena.len = 0;
}

size_t graft_batch_rows(const graft_batch_t *b)
{
    return b->n;
}

graft_error_t graft_batch_push(const graft_pipe_t *p, graft_batch_t *b,
                               const graft_cell_t *cells, unsigned long line)
{
    if (b->n == b->cap && batch_reserve(b, b->n + 1, p->n_copy) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    return pack_row(p, b, cells, line);
}

graft_error_t graft_pipe_run(graft_pipe_t *p, const graft_batch_t *b,
                             unsigned long shift, graft_diag_t *diag)
{
    return run_rows(p, b, shift, 0, diag);
}

graft_error_t graft_pipe_finish(graft_pipe_t *p, graft_error_t reader_rc,
                                graft_diag_t *diag)
{
    if (p->batches[p->filling].n && !p->failed)
        hand_over(p);
    pthread_mutex_lock(&p->mu);
    p->done = 1;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    graft_error_t rc = reader_rc;
    if (p->failed) {
        rc = p->rc;
        if (diag)
            *diag = p->diag;
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->ready);
    pthread_cond_destroy(&p->freed);
    pipe_free(p);
    return rc;
}
