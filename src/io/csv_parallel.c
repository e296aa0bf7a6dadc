/*
 * csv_parallel.c - graft_read_csv_parallel(): a large CSV file parsed on
 * several cores, with the rows, lines and errors of graft_read_csv().
 *
 * The file is read in blocks of 128 KiB, each cut just after its last LF
 * outside quotes: with an even number of quote characters between the
 * start of the block (the start of a record) and that LF, the LF ends a
 * record, since in a strict CSV every quote opens, closes or doubles one
 * inside a quoted field.  The calling thread parses the first blocks
 * itself with a context of csv_reader.c, as graft_read_csv() would, until
 * the header is read and the context stands between rows.  From then on
 * the worker threads, and the calling thread whenever it would wait,
 * claim the next block in turn: the claimer reads and cuts it (one at a
 * time, in the order claimed: a block starts with the bytes the one before
 * left over), then parses it with its copy ("fork") of that context, from
 * line 1, into a batch of rows in the compact form of pipe.c.  The calling
 * thread runs the batches through ROW in file order, the lines shifted by
 * those of the blocks before; the first error (ROW's, or the one that
 * stopped a block, after the block's earlier rows) ends the read.
 *
 * Where the file is wrong, the blocks before the first wrong byte are
 * still cut at true record boundaries (the quotes before it are counted
 * right), so the block holding it is parsed from a true record start and
 * fails exactly as graft_read_csv() fails; blocks after it are never run.
 * Every context is fed the pieces graft_read_csv() feeds (ending at
 * multiples of the chunk size), so even the checks on a record's length
 * see the same input.
 *
 * A block that finds no boundary within 16 blocks' worth of bytes (a
 * quoted field of megabytes, a quote left open, lines that end in CR
 * only) ends the split: once the blocks before it are run, the calling
 * thread reads the rest of the file itself.
 */
#include "io/csv_parallel.h"
#include "io/csv_internal.h"
#include "io/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAR_BLOCK (128u << 10)    /* bytes per block */
#define PAR_MIN_SIZE (4u << 20)   /* smaller files are read on one thread */
#define PAR_MAX_WORKERS 8
#define PAR_WINDOW_BLOCKS 16      /* the longest block, in blocks */
#define PAR_SLOTS_PER_WORKER 2    /* blocks in flight */

/* ---- the input: a file descriptor or a caller's buffer ----------------- */

typedef struct source {
    int fd;                   /* -1: reading buf */
    const unsigned char *buf;
    size_t len;               /* buf's length */
    size_t pos;               /* bytes read so far */
    int eof, err;             /* err: errno of a failed read */
} source_t;

/* Read up to N bytes into DST; fewer only at the end of the input or on an
 * error (src->eof, src->err).  Returns the bytes read. */
static size_t source_read(source_t *src, unsigned char *dst, size_t n)
{
    size_t got = 0;
    while (got < n && !src->eof && !src->err) {
        if (src->fd < 0) {
            size_t k = src->len - src->pos < n - got ? src->len - src->pos
                                                     : n - got;
            memcpy(dst + got, src->buf + src->pos, k);
            got += k;
            src->pos += k;
            src->eof = src->pos == src->len;
            continue;
        }
        ssize_t k = read(src->fd, dst + got, n - got);
        if (k > 0) {
            got += (size_t)k;
            src->pos += (size_t)k;
        } else if (k == 0)
            src->eof = 1;
        else if (errno != EINTR)
            src->err = errno;
    }
    return got;
}

/* ---- finding record boundaries ---------------------------------------- */

/* The number of quote characters in S[0..N).  Counted in 64 byte-wide
 * counters, summed before they can overflow: loops of a fixed length
 * that compilers turn into vector code (16 GB/s here, against 2 for a
 * word at a time with popcount). */
static size_t count_quotes(const unsigned char *s, size_t n)
{
    size_t q = 0, i = 0;
    while (n - i >= 64) {
        unsigned char acc[64] = {0};
        size_t rounds = (n - i) / 64;
        if (rounds > 255)
            rounds = 255;
        for (size_t r = 0; r < rounds; r++, i += 64)
            for (size_t k = 0; k < 64; k++)
                acc[k] += s[i + k] == '"';
        for (size_t k = 0; k < 64; k++)
            q += acc[k];
    }
    for (; i < n; i++)
        q += s[i] == '"';
    return q;
}

/* The offset of the last LF in S[0..N), or N when there is none. */
static size_t last_lf(const unsigned char *s, size_t n)
{
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '\n')
            return i - 1;
    return n;
}

/* Just past the last LF outside quotes in S[0..N), which starts at a
 * record boundary: the last LF with an even number of quotes before it.
 * 0 when there is none. */
static size_t block_end(const unsigned char *s, size_t n)
{
    if (!memchr(s, '"', n)) {
        size_t lf = last_lf(s, n);
        return lf < n ? lf + 1 : 0;
    }
    size_t quotes = count_quotes(s, n), end = n;
    for (;;) {
        size_t lf = last_lf(s, end);
        if (lf == end)
            return 0;
        quotes -= count_quotes(s + lf + 1, end - lf - 1);
        if (quotes % 2 == 0)
            return lf + 1;
        end = lf;
    }
}

/* ---- the state of a read ---------------------------------------------- */

/* What the splitter found. */
typedef enum split {
    SPLIT_BLOCK, /* a block ending at a record boundary */
    SPLIT_LAST,  /* the block ends the file */
    SPLIT_END,   /* nothing left */
    SPLIT_NONE,  /* no boundary within the limit: the rest is sequential */
    SPLIT_ERROR  /* a read error (src.err), or out of memory (nomem) */
} split_t;

/* A block of the file and, once a thread has parsed it, its rows. */
typedef struct slot {
    unsigned char *buf;
    size_t cap;
    size_t off;           /* the file offset of buf[0] */
    size_t len;           /* the block's bytes */
    size_t end;           /* bytes in buf: the block, then the next one's
                             first bytes */
    int last;             /* the block ends the file */
    graft_batch_t *batch; /* its rows */
    unsigned long lines;  /* the line ends in it */
    graft_error_t rc;     /* the error that stopped it, after its rows */
    graft_diag_t diag;
    split_t split;        /* how its split ended */
    int done;             /* split and parsed (under the lock) */
} slot_t;

typedef struct par par_t;

/* A thread that parses blocks: a worker, or the calling thread. */
typedef struct worker {
    par_t *par;
    graft_csv_t *csv;     /* a fork of the calling thread's context */
    graft_pipe_t *pipe;   /* the compact form (only read) */
    graft_batch_t *batch; /* of the block being parsed */
    graft_diag_t diag;
    pthread_t thread;
} worker_t;

struct par {
    const char *name;
    const graft_read_opts_t *opts;
    graft_row_fn row;
    void *ctx;
    graft_diag_t *diag;
    size_t block, limit, chunk, total;
    source_t src;
    graft_csv_t *csv;    /* the calling thread's context */
    graft_pipe_t *const *pipe_at; /* the caller's pipe, once set */
    graft_pipe_t *pipe;  /* the rows' compact form, and their consumer */
    int own_pipe;        /* pipe is not the caller's */
    int nomem;

    /* the bytes that start the next block (in the last slot filled) */
    const unsigned char *carry;
    size_t carry_len, carry_off;

    slot_t *slots;
    size_t n_slots;
    size_t filled, run;   /* blocks claimed, run (under mu) */
    int split_over;       /* a claimed block ended the split (under mu) */
    int split_end;        /* the same, under split_mu */
    int halt;             /* no more claims */
    worker_t *workers;
    size_t n_workers;
    worker_t self;        /* the calling thread's */
    int waits;            /* it parses no block itself (tests) */
    pthread_mutex_t mu, split_mu;
    pthread_cond_t work, done;

    unsigned long line; /* the line the next block to run starts on */
    size_t rows;        /* rows run from the workers' blocks */
    size_t blocks;
};

/* The slot of block SEQ (counted from the file's first). */
static slot_t *slot_at(par_t *p, size_t seq)
{
    return &p->slots[seq % p->n_slots];
}

/* The errors of the read itself, with graft_read_csv()'s messages. */
static graft_error_t out_of_memory(par_t *p)
{
    return graft_diag_set(p->diag, GRAFT_ERR_NOMEM, p->name, 0, 0,
                          "out of memory");
}

static graft_error_t read_error(par_t *p)
{
    if (p->nomem)
        return out_of_memory(p);
    return graft_diag_set(p->diag, GRAFT_ERR_READ, p->name, 0, 0,
                          "cannot read: %s", strerror(p->src.err));
}

/* Tell opts->progress that BYTES are read, with the rows run so far. */
static void progress(par_t *p, size_t bytes)
{
    const graft_read_opts_t *o = p->opts;
    if (o && o->progress)
        o->progress(o->progress_arg, bytes, p->total,
                    graft_csv_rows(p->csv) + p->rows);
}

/* ---- the splitter ------------------------------------------------------ */

/* Make room for N bytes in S's buffer; 0 when out of memory. */
static int reserve(slot_t *s, size_t n)
{
    if (n <= s->cap)
        return 1;
    unsigned char *buf = realloc(s->buf, n);
    if (!buf)
        return 0;
    s->buf = buf;
    s->cap = n;
    return 1;
}

/* Lines that end in CR only: no LF, but a CR. */
static int cr_only(const unsigned char *s, size_t n)
{
    return !memchr(s, '\n', n) && memchr(s, '\r', n);
}

/* Fill S with the next block: the carried bytes, then at least WANT bytes
 * in all (unless the file ends), cut after the last LF outside quotes
 * (the window doubles, up to p->limit, until it holds one). */
static split_t split(par_t *p, slot_t *s, size_t want)
{
    if (!reserve(s, want > p->carry_len ? want : p->carry_len)) {
        p->nomem = 1;
        return SPLIT_ERROR;
    }
    if (p->carry_len)
        memcpy(s->buf, p->carry, p->carry_len);
    s->off = p->carry_off;
    s->end = p->carry_len;
    s->last = 0;
    for (;;) {
        if (s->end < want)
            s->end += source_read(&p->src, s->buf + s->end, want - s->end);
        if (p->src.err)
            return SPLIT_ERROR;
        if (p->src.eof) {
            s->len = s->end;
            s->last = 1;
            p->carry_len = 0;
            return s->len ? SPLIT_LAST : SPLIT_END;
        }
        size_t e = block_end(s->buf, s->end);
        if (e) {
            s->len = e;
            p->carry = s->buf + e;
            p->carry_len = s->end - e;
            p->carry_off = s->off + e;
            return SPLIT_BLOCK;
        }
        if (want >= p->limit || cr_only(s->buf, s->end))
            return SPLIT_NONE;
        want *= 2;
        if (!reserve(s, want)) {
            p->nomem = 1;
            return SPLIT_ERROR;
        }
    }
}

/* The calling thread reads the rest of the file: the N bytes at PENDING
 * (from file offset OFF), then the source to its end. */
static graft_error_t read_rest(par_t *p, const unsigned char *pending,
                               size_t n, size_t off)
{
    graft_error_t rc = graft_csv_feed(p->csv, pending, n, off, p->chunk);
    unsigned char *buf = rc == GRAFT_OK ? malloc(p->chunk) : NULL;
    if (rc == GRAFT_OK && !buf)
        return out_of_memory(p);
    off += n;
    progress(p, off);
    while (rc == GRAFT_OK && !p->src.eof) {
        size_t got = source_read(&p->src, buf, p->chunk - off % p->chunk);
        if (p->src.err) {
            rc = read_error(p);
            break;
        }
        rc = graft_csv_feed(p->csv, buf, got, off, p->chunk);
        off += got;
        progress(p, off);
    }
    free(buf);
    return rc == GRAFT_OK ? graft_csv_finish(p->csv) : rc;
}

/* The calling thread parses the first blocks itself, until its context has
 * read the header and stands between rows.  Returns 1 when the workers
 * should go on, else 0 with the read over and its result in *RC. */
static int read_start(par_t *p, graft_error_t *rc)
{
    size_t want = p->block < p->chunk ? p->block : p->chunk;
    for (;;) {
        slot_t *s = slot_at(p, p->filled);
        split_t r = split(p, s, want);
        if (r == SPLIT_ERROR) {
            *rc = read_error(p);
            return 0;
        }
        if (r == SPLIT_NONE || r == SPLIT_END) {
            *rc = read_rest(p, s->buf, s->end, s->off);
            return 0;
        }
        *rc = graft_csv_feed(p->csv, s->buf, s->len, s->off, p->chunk);
        progress(p, s->off + s->len);
        if (*rc == GRAFT_OK && r == SPLIT_LAST)
            *rc = graft_csv_finish(p->csv);
        if (*rc != GRAFT_OK || r == SPLIT_LAST)
            return 0;
        p->filled++;
        p->run = p->filled;
        if (graft_csv_between_rows(p->csv)) {
            p->line = graft_csv_line(p->csv);
            return 1;
        }
    }
}

/* ---- the parsing threads ------------------------------------------------ */

/* A parsing thread's row callback: copy the row into its block's batch. */
static graft_error_t pack(void *vw, const graft_cell_t *cells, size_t ncols,
                          unsigned long line, graft_diag_t *diag)
{
    worker_t *w = vw;
    (void)ncols;
    if (graft_batch_push(w->pipe, w->batch, cells, line) == GRAFT_OK)
        return GRAFT_OK;
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, w->par->name, 0, 0,
                          "out of memory");
}

/* Parse block S from line 1 into its batch; a block that ends the file
 * ends as the file does. */
static void parse_block(worker_t *w, slot_t *s)
{
    par_t *p = w->par;
    graft_batch_clear(s->batch);
    w->pipe = p->pipe;
    w->batch = s->batch;
    graft_csv_restart(w->csv, 1, 0);
    s->rc = graft_csv_feed(w->csv, s->buf, s->len, s->off, p->chunk);
    if (s->rc == GRAFT_OK && s->last)
        s->rc = graft_csv_flush(w->csv);
    if (s->rc != GRAFT_OK)
        s->diag = w->diag;
    s->lines = graft_csv_line(w->csv) - 1;
}

/* May another block be claimed: the split goes on, and a slot is free? */
static int can_claim(const par_t *p)
{
    return !p->halt && !p->split_over && p->filled - p->run < p->n_slots;
}

/* Claim the next block and split it off the file.  Splits are made one at
 * a time, in the order claimed (each block starts with the bytes the one
 * before left); once one has ended the file, the later claims hold
 * nothing.  Called with p->mu held; returns with it released. */
static slot_t *claim(par_t *p)
{
    slot_t *s = slot_at(p, p->filled++);
    s->done = 0;
    s->rc = GRAFT_OK;
    pthread_mutex_lock(&p->split_mu);
    pthread_mutex_unlock(&p->mu);
    s->split = p->split_end ? SPLIT_END : split(p, s, p->block);
    p->split_end |= s->split != SPLIT_BLOCK;
    pthread_mutex_unlock(&p->split_mu);
    return s;
}

/* Mark block S done (taking p->mu, and returning with it held): no more
 * claims after the end of the split, nor after a failed block, whose
 * later blocks are never run. */
static void claimed(par_t *p, slot_t *s)
{
    pthread_mutex_lock(&p->mu);
    s->done = 1;
    p->split_over |= s->split != SPLIT_BLOCK;
    p->halt |= s->rc != GRAFT_OK;
    pthread_cond_signal(&p->done);
}

/* Claim the next block and parse it into its batch with W's context.
 * Called and returning with p->mu held. */
static void claim_next(worker_t *w)
{
    par_t *p = w->par;
    slot_t *s = claim(p);
    int parse = s->split == SPLIT_BLOCK || s->split == SPLIT_LAST;
    if (parse)
        parse_block(w, s);
    claimed(p, s);
    p->blocks += (size_t)(parse && w != &p->self);
}

/* A worker: claim and parse blocks until told to halt. */
static void *work(void *arg)
{
    worker_t *w = arg;
    par_t *p = w->par;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->halt && !can_claim(p))
            pthread_cond_wait(&p->work, &p->mu);
        if (p->halt)
            break;
        claim_next(w);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Start WANT workers, and the calling thread's own fork (it parses too
 * when it would wait).  Returns the number of workers started (0: the
 * calling thread goes on alone). */
static size_t start_workers(par_t *p, size_t want)
{
    p->self.par = p;
    p->self.csv = graft_csv_fork(p->csv, pack, &p->self, &p->self.diag);
    p->workers = calloc(want, sizeof *p->workers);
    if (!p->self.csv || !p->workers)
        return 0;
    for (size_t i = 0; i < want; i++) {
        worker_t *w = &p->workers[i];
        w->par = p;
        w->csv = graft_csv_fork(p->csv, pack, w, &w->diag);
        if (!w->csv || pthread_create(&w->thread, NULL, work, w) != 0) {
            graft_csv_free_fork(w->csv);
            w->csv = NULL;
            break;
        }
        p->n_workers++;
    }
    return p->n_workers;
}

/* Halt the workers and wait for them. */
static void stop_workers(par_t *p)
{
    pthread_mutex_lock(&p->mu);
    p->halt = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n_workers; i++)
        pthread_join(p->workers[i].thread, NULL);
}

/* ---- the calling thread ------------------------------------------------ */

/* The next block in file order, once split; parsed into its batch, or,
 * when no thread had claimed it, to be parsed by the calling thread itself
 * (*DIRECT).  The calling thread parses later blocks rather than wait. */
static slot_t *next_block(par_t *p, int *direct)
{
    slot_t *s = slot_at(p, p->run);
    pthread_mutex_lock(&p->mu);
    while (p->filled == p->run || !s->done) {
        int parse = !p->waits && can_claim(p);
        if (parse && p->filled == p->run) {
            claim(p);
            *direct = 1;
            claimed(p, s);
            break;
        }
        if (parse)
            claim_next(&p->self);
        else
            pthread_cond_wait(&p->done, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return s;
}

/* Parse block S with the calling thread's own context, its rows straight
 * to ROW. */
static graft_error_t run_direct(par_t *p, const slot_t *s)
{
    graft_csv_restart(p->csv, p->line, p->rows);
    p->rows = 0; /* counted in the context now */
    graft_error_t rc =
        graft_csv_feed(p->csv, s->buf, s->len, s->off, p->chunk);
    p->line = graft_csv_line(p->csv);
    progress(p, s->off + s->len);
    return rc;
}

/* Pass the rows of block S to ROW; then its error, if it had one, with the
 * line made absolute. */
static graft_error_t run_block(par_t *p, const slot_t *s)
{
    graft_error_t rc = graft_pipe_run(p->pipe, s->batch, p->line - 1, p->diag);
    if (rc != GRAFT_OK)
        return rc;
    p->rows += graft_batch_rows(s->batch);
    if (s->rc != GRAFT_OK) {
        if (p->diag) {
            *p->diag = s->diag;
            if (s->diag.line) /* 0: no line (out of memory) */
                p->diag->line += p->line - 1;
        }
        return s->rc;
    }
    p->line += s->lines;
    progress(p, s->off + s->len);
    return GRAFT_OK;
}

/* Run the blocks in file order as they are parsed, until the file ends,
 * an error stops the read, or the split does (the calling thread then
 * reads the rest). */
static graft_error_t read_blocks(par_t *p)
{
    graft_error_t rc = GRAFT_OK;
    slot_t *s;
    for (;;) {
        int direct = 0;
        s = next_block(p, &direct);
        if (s->split != SPLIT_BLOCK && s->split != SPLIT_LAST)
            break;
        rc = direct ? run_direct(p, s) : run_block(p, s);
        if (rc != GRAFT_OK || s->split == SPLIT_LAST)
            break;
        pthread_mutex_lock(&p->mu); /* its slot is free */
        p->run++;
        pthread_cond_signal(&p->work);
        pthread_mutex_unlock(&p->mu);
    }
    stop_workers(p);
    if (rc != GRAFT_OK)
        return rc;
    graft_csv_restart(p->csv, p->line, p->rows);
    p->rows = 0;
    if (s->split == SPLIT_ERROR)
        return read_error(p);
    if (s->split == SPLIT_NONE)
        return read_rest(p, s->buf, s->end, s->off);
    return graft_csv_finish(p->csv);
}

/* ---- setting up ------------------------------------------------------- */

/* The worker threads, besides the calling thread (which parses too when it
 * would wait): PAR's number, else opts->threads less one, else one per
 * CPU less one; at least one. */
static size_t how_many(const graft_read_opts_t *opts,
                       const graft_csv_par_t *par)
{
    long n = par && par->workers ? (long)par->workers : 0;
    if (n == 0 && opts && opts->threads > 1)
        n = (long)opts->threads - 1;
    if (n == 0)
        n = sysconf(_SC_NPROCESSORS_ONLN) - 1;
    if (n < 1)
        n = 1;
    return n > PAR_MAX_WORKERS ? PAR_MAX_WORKERS : (size_t)n;
}

/* The locks and conditions; 0 when one cannot be made (none is left). */
static int sync_init(par_t *p)
{
    int m = pthread_mutex_init(&p->mu, NULL) == 0;
    int s = m && pthread_mutex_init(&p->split_mu, NULL) == 0;
    int w = s && pthread_cond_init(&p->work, NULL) == 0;
    int d = w && pthread_cond_init(&p->done, NULL) == 0;
    if (d)
        return 1;
    if (w)
        pthread_cond_destroy(&p->work);
    if (s)
        pthread_mutex_destroy(&p->split_mu);
    if (m)
        pthread_mutex_destroy(&p->mu);
    return 0;
}

/* Destroy what sync_init() made. */
static void sync_free(par_t *p)
{
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->split_mu);
    pthread_mutex_destroy(&p->mu);
}

/* Once the header is read: the rows' compact form and a batch per slot. */
static graft_error_t make_batches(par_t *p)
{
    size_t ncols;
    const unsigned char *used = graft_csv_used(p->csv, &ncols);
    if (p->pipe_at && *p->pipe_at) {
        p->pipe = *p->pipe_at;
    } else {
        p->pipe = graft_pipe_local(ncols, used,
                                   p->opts && p->opts->bare_values, p->row,
                                   p->ctx);
        if (!p->pipe)
            return GRAFT_ERR_NOMEM;
        p->own_pipe = 1;
    }
    for (size_t i = 0; i < p->n_slots; i++)
        if (!(p->slots[i].batch = graft_batch_alloc()))
            return GRAFT_ERR_NOMEM;
    return GRAFT_OK;
}

/* The read, once the state is set up. */
static graft_error_t read_all(par_t *p, size_t workers)
{
    graft_error_t rc = graft_csv_feed(p->csv, NULL, 0, 0, p->chunk);
    if (rc != GRAFT_OK || !read_start(p, &rc))
        return rc;
    if (make_batches(p) != GRAFT_OK)
        return out_of_memory(p);
    if (start_workers(p, workers) == 0)
        return read_rest(p, p->carry, p->carry_len, p->carry_off);
    return read_blocks(p);
}

/* Free what a read allocated (the workers have stopped). */
static void par_free(par_t *p)
{
    if (p->workers)
        for (size_t i = 0; i < p->n_workers; i++)
            graft_csv_free_fork(p->workers[i].csv);
    graft_csv_free_fork(p->self.csv);
    free(p->workers);
    if (p->slots)
        for (size_t i = 0; i < p->n_slots; i++) {
            free(p->slots[i].buf);
            graft_batch_free(p->slots[i].batch);
        }
    free(p->slots);
    if (p->own_pipe)
        graft_pipe_free(p->pipe);
    graft_csv_free(p->csv);
}

/* Read SRC (TOTAL bytes, for progress) as NAME. */
static graft_error_t read_source(const char *name, source_t *src,
                                 size_t total, const graft_read_opts_t *opts,
                                 graft_csv_par_t *par, graft_header_fn header,
                                 graft_row_fn row, void *ctx,
                                 graft_pipe_t *const *pipe,
                                 graft_diag_t *diag)
{
    par_t p;
    memset(&p, 0, sizeof p);
    p.pipe_at = pipe;
    p.name = name;
    p.opts = opts;
    p.row = row;
    p.ctx = ctx;
    p.diag = diag;
    p.src = *src;
    p.total = total;
    p.chunk = graft_csv_chunk(opts);
    p.block = par && par->block ? par->block : PAR_BLOCK;
    p.waits = par && par->waits;
    p.limit = p.block * PAR_WINDOW_BLOCKS;
    size_t workers = how_many(opts, par);
    p.n_slots = (workers + 1) * PAR_SLOTS_PER_WORKER;
    if (!(p.csv = graft_csv_new(name, opts, header, row, ctx, diag)))
        return GRAFT_ERR_NOMEM;
    graft_error_t rc;
    p.slots = calloc(p.n_slots, sizeof *p.slots);
    if (!p.slots || !sync_init(&p)) {
        rc = out_of_memory(&p);
    } else {
        rc = read_all(&p, workers);
        sync_free(&p);
    }
    if (par)
        par->blocks = p.blocks;
    par_free(&p);
    return rc;
}

/* ---- the entry points -------------------------------------------------- */

int graft_csv_parallel_wanted(const char *path, const graft_read_opts_t *opts)
{
    struct stat st;
    if ((opts && opts->threads == 1) || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return 0;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           st.st_size >= (off_t)PAR_MIN_SIZE;
}

graft_error_t graft_read_csv_parallel(const char *path,
                                      const graft_read_opts_t *opts,
                                      graft_csv_par_t *par,
                                      graft_header_fn header, graft_row_fn row,
                                      void *ctx, graft_pipe_t *const *pipe,
                                      graft_diag_t *diag)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        /* what cannot be opened, or is not a file: as one thread says */
        if (par)
            par->blocks = 0;
        return graft_read_csv(path, opts, header, row, ctx, diag);
    }
    source_t src = {fd, NULL, 0, 0, 0, 0};
    graft_error_t rc = read_source(path, &src, (size_t)st.st_size, opts, par,
                                   header, row, ctx, pipe, diag);
    close(fd);
    return rc;
}

graft_error_t graft_read_csv_buffer_parallel(
    const char *name, const char *buf, size_t len,
    const graft_read_opts_t *opts, graft_csv_par_t *par,
    graft_header_fn header, graft_row_fn row, void *ctx,
    graft_pipe_t *const *pipe, graft_diag_t *diag)
{
    source_t src = {-1, (const unsigned char *)buf, len, 0, len == 0, 0};
    return read_source(name, &src, len, opts, par, header, row, ctx, pipe,
                       diag);
}
