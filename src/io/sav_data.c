/*
 * sav_data.c - the cases of a plain .sav file without ReadStat's value
 * callbacks (io/sav_data.h).
 *
 * The layout follows the SPSS system file format as ReadStat 1.1.8 reads
 * it (src/spss/readstat_sav_read.c, readstat_sav_compress.c): a 176-byte
 * header, the dictionary records up to record 999, then the cases, each
 * 8 bytes per variable, raw or in bytecode: blocks of 8 one-byte codes,
 * each followed by the 8-byte values its 253 codes stand for.
 */
#define _FILE_OFFSET_BITS 64
#include "io/sav_data.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the header and the dictionary -------------------------------------- */

#define SAV_HEADER 176
#define SPSS_FORMAT_TYPE_A 1
/* ReadStat's defaults when the file has no record 7.4 (readstat_sav.h) */
#define SAV_SYSMIS 0xFFEFFFFFFFFFFFFFu
#define SAV_HIGHEST 0x7FEFFFFFFFFFFFFFu
#define SAV_LOWEST 0xFFEFFFFFFFFFFFFEu

static uint32_t u32_at(const unsigned char *b)
{
    uint32_t v;
    memcpy(&v, b, sizeof v);
    return v;
}

static int read_exact(FILE *f, void *buf, size_t n)
{
    return fread(buf, 1, n, f) == n;
}

static int skip(FILE *f, uint64_t n)
{
    return n <= INT64_MAX && fseeko(f, (off_t)n, SEEK_CUR) == 0;
}

/* Room for one more variable in LAY.  0 when out of memory. */
static int add_variable(graft_sav_layout_t *lay, int numeric)
{
    if (lay->n_vars == lay->cap) {
        size_t cap = lay->cap ? 2 * lay->cap : 64;
        size_t *slot = realloc(lay->slot, cap * sizeof *slot);
        if (slot)
            lay->slot = slot;
        unsigned char *num = realloc(lay->numeric, cap);
        if (num)
            lay->numeric = num;
        if (!slot || !num)
            return 0;
        lay->cap = cap;
    }
    lay->slot[lay->n_vars] = lay->n_slots;
    lay->numeric[lay->n_vars++] = (unsigned char)numeric;
    lay->n_slots++;
    return 1;
}

/* Record 2, a variable (ReadStat's sav_read_variable_record()): a new one,
 * numeric when of type 0 and neither format of type A, else a string; or
 * (type below 0) one more slot of the string before it.  Read past. */
static int variable(FILE *f, graft_sav_layout_t *lay)
{
    unsigned char v[28]; /* type, has_label, n_missing, print, write, name */
    if (!read_exact(f, v, sizeof v))
        return 0;
    int32_t type = (int32_t)u32_at(v), n_missing = (int32_t)u32_at(v + 8);
    uint32_t print = u32_at(v + 12), write = u32_at(v + 16);
    if (type < 0) { /* continued: 32 slots (255 bytes) at most */
        size_t n = lay->n_vars;
        if (n == 0 || lay->numeric[n - 1] ||
            lay->n_slots - lay->slot[n - 1] >= 32)
            return 0;
        lay->n_slots++;
        return 1;
    }
    int numeric = type == 0 && (print >> 16 & 0xFF) != SPSS_FORMAT_TYPE_A &&
                  (write >> 16 & 0xFF) != SPSS_FORMAT_TYPE_A;
    if (!add_variable(lay, numeric))
        return 0;
    if (u32_at(v + 4)) { /* a label: its length, then it padded to 4
                          * (in 32 bits, as ReadStat pads it) */
        unsigned char len[4];
        if (!read_exact(f, len, 4) ||
            !skip(f, (uint32_t)(u32_at(len) + 3) / 4 * 4))
            return 0;
    }
    if (n_missing < -3 || n_missing > 3)
        return 0;
    return skip(f, (uint64_t)abs(n_missing) * 8);
}

/* Record 3, value labels, and the record 4 that must follow it. */
static int skip_value_labels(FILE *f)
{
    unsigned char b[9];
    if (!read_exact(f, b, 4))
        return 0;
    for (uint32_t i = 0, n = u32_at(b); i < n; i++)
        if (!read_exact(f, b, 9) || !skip(f, (b[8] + 8u) / 8 * 8 - 1))
            return 0;
    if (!read_exact(f, b, 8) || u32_at(b) != 4)
        return 0;
    return skip(f, (uint64_t)u32_at(b + 4) * 4);
}

/* Record 7, extension SUBTYPE: record 7.4 sets the missing patterns. */
static int extension(FILE *f, graft_sav_layout_t *lay)
{
    unsigned char b[12];
    if (!read_exact(f, b, sizeof b))
        return 0;
    uint64_t size = u32_at(b + 4), count = u32_at(b + 8);
    if (size * count == 0)
        return 0;
    if (u32_at(b) == 14) /* very long strings: variables made of others */
        return 0;
    if (u32_at(b) != 4)
        return skip(f, size * count);
    uint64_t fp[3];
    if (size != 8 || count != 3 || !read_exact(f, fp, sizeof fp))
        return 0;
    lay->sysmis = fp[0];
    lay->highest = fp[1];
    lay->lowest = fp[2];
    return 1;
}

/* The dictionary records up to the end of record 999: 1 when every one is
 * as expected and every variable numeric. */
static int walk_dictionary(FILE *f, graft_sav_layout_t *lay)
{
    for (;;) {
        unsigned char b[4];
        if (!read_exact(f, b, 4))
            return 0;
        int ok;
        switch (u32_at(b)) {
        case 2:
            ok = variable(f, lay);
            break;
        case 3:
            ok = skip_value_labels(f);
            break;
        case 6: /* documents: lines of 80 bytes (counted in 32 bits) */
            ok = read_exact(f, b, 4) && skip(f, (uint32_t)(u32_at(b) * 80u));
            break;
        case 7:
            ok = extension(f, lay);
            break;
        case 999:
            ok = read_exact(f, b, 4);
            if (ok) {
                off_t at = ftello(f);
                lay->data_at = at;
                return at > 0 && lay->n_vars > 0;
            }
            break;
        default:
            ok = 0;
        }
        if (!ok)
            return 0;
    }
}

static int direct_on = 1;

void graft_sav_direct(int on)
{
    direct_on = on;
}

int graft_sav_layout(const char *path, graft_sav_layout_t *lay)
{
    memset(lay, 0, sizeof *lay);
    if (!direct_on)
        return 0;
    lay->sysmis = SAV_SYSMIS;
    lay->highest = SAV_HIGHEST;
    lay->lowest = SAV_LOWEST;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    unsigned char h[SAV_HEADER];
    int ok = read_exact(f, h, sizeof h);
    uint32_t layout = ok ? u32_at(h + 64) : 0, comp = ok ? u32_at(h + 72) : 9;
    ok = ok && (memcmp(h, "$FL2", 4) == 0 || memcmp(h, "$FL3", 4) == 0) &&
         (layout == 2 || layout == 3) && (comp == 0 || comp == 1);
    if (ok) {
        lay->compressed = comp == 1;
        lay->n_cases = (int32_t)u32_at(h + 80);
        memcpy(&lay->bias, h + 84, sizeof lay->bias);
        ok = lay->n_cases > 0 && walk_dictionary(f, lay);
    }
    fclose(f);
    return ok;
}

void graft_sav_layout_free(graft_sav_layout_t *lay)
{
    free(lay->slot);
    free(lay->numeric);
    lay->slot = NULL;
    lay->numeric = NULL;
    lay->n_vars = lay->cap = 0;
}

/* ---- the cases ------------------------------------------------------------ */

#define SAV_BUFFER ((size_t)1 << 18) /* beside ReadStat's 1 MiB (io/stat_io.c) */
#define SAV_CHUNK 65536 /* ReadStat's read size for bytecode */
#define SAV_BLOCK_MAX 72 /* a block of 8 codes and 8 values */

typedef struct sav_input {
    int fd;
    unsigned char *buf;
    size_t cap;
    const unsigned char *p, *end; /* buf's bytes not yet decoded */
    uint64_t left;                /* bytes to read yet; 0 after an error */
    uint64_t at;                  /* the file offset of end */
    const graft_sav_sink_t *sink;
} sav_input_t;

/* At least NEED bytes in [p, end) unless the data has ended. */
static void refill(sav_input_t *in, size_t need)
{
    size_t have = (size_t)(in->end - in->p);
    if (have >= need || in->left == 0)
        return;
    memmove(in->buf, in->p, have);
    in->p = in->buf;
    in->end = in->buf + have;
    while (in->left > 0 && (size_t)(in->end - in->buf) < in->cap) {
        size_t room = in->cap - (size_t)(in->end - in->buf);
        ssize_t r = read(in->fd, (void *)in->end,
                         room < in->left ? room : (size_t)in->left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) { /* shorter than it was: ReadStat will see */
            in->left = 0;
            break;
        }
        in->end += r;
        in->left -= (uint64_t)r;
        in->at += (uint64_t)r;
    }
    if (in->sink->progress)
        in->sink->progress(in->sink->arg, (size_t)in->at);
}

/* The value ReadStat gives for the 8 bytes BITS of a numeric variable:
 * the double, or NaN where it tags it system-missing. */
static inline double tagged(const graft_sav_layout_t *lay, uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return bits == lay->sysmis || bits == lay->lowest ||
                   bits == lay->highest || isnan(v)
               ? NAN
               : v;
}

/* Where the values of the case being decoded go.  The first case is
 * decoded aside, each slot in its own place (PLACE is IDENT), and passed on
 * once whole: only then does the sink learn the places (ReadStat, too,
 * calls back only for whole cases). */
typedef struct sav_cases {
    const graft_sav_sink_t *sink;
    const long *place;    /* per slot */
    double *row;          /* the places of the case */
    double *first;        /* the first case, per slot */
    long *ident;
    size_t n_slots;
    long n_cases;
    unsigned long done;   /* cases passed on */
} sav_cases_t;

/* The case is decoded: pass it on and begin the next.  0 to go on, else
 * how it ended. */
static graft_sav_end_t next_case(sav_cases_t *k)
{
    const graft_sav_sink_t *s = k->sink;
    if (k->done == 0) {
        if (!(k->place = s->start(s->arg)) || !(k->row = s->begin(s->arg, 0)))
            return GRAFT_SAV_STOPPED;
        for (size_t j = 0; j < k->n_slots; j++)
            if (k->place[j] >= 0)
                k->row[k->place[j]] = k->first[j];
    }
    if (s->end(s->arg) != 0)
        return GRAFT_SAV_STOPPED;
    if ((long)++k->done == k->n_cases)
        return GRAFT_SAV_ALL;
    if (!(k->row = s->begin(s->arg, (long)k->done)))
        return GRAFT_SAV_STOPPED;
    return 0;
}

/* The cases in bytecode.  TABLE: the value of each code but 0, 252 and
 * 253, as sav_decompress_row() writes it (code - bias; 254: eight spaces;
 * 255: the system-missing pattern), tagged. */
static graft_sav_end_t decode_bytecode(sav_input_t *in,
                                       const graft_sav_layout_t *lay,
                                       const double *table, sav_cases_t *k)
{
    size_t j = 0, n_slots = lay->n_slots;
    /* in locals, which the stores into the row cannot change */
    const long *place = k->place;
    double *row = k->row;
    for (;;) {
        if (in->end - in->p < SAV_BLOCK_MAX)
            refill(in, SAV_BLOCK_MAX);
        const unsigned char *p = in->p, *end = in->end;
        if (end - p < 8)
            return GRAFT_SAV_UNSURE;
        const unsigned char *codes = p;
        p += 8;
        for (int b = 0; b < 8; b++) {
            unsigned c = codes[b];
            double v;
            if (c == 253) {
                if (end - p < 8)
                    return GRAFT_SAV_UNSURE;
                uint64_t bits;
                memcpy(&bits, p, sizeof bits);
                p += 8;
                v = tagged(lay, bits);
            } else if (c == 0) {
                continue;
            } else if (c == 252) {
                return GRAFT_SAV_UNSURE;
            } else {
                v = table[c];
            }
            long q = place[j];
            if (q >= 0)
                row[q] = v;
            if (++j < n_slots)
                continue;
            j = 0;
            in->p = p;
            graft_sav_end_t e = next_case(k);
            if (e)
                return e;
            place = k->place;
            row = k->row;
        }
        in->p = p;
    }
}

/* The cases raw, 8 bytes per slot. */
static graft_sav_end_t decode_raw(sav_input_t *in,
                                  const graft_sav_layout_t *lay,
                                  sav_cases_t *k)
{
    size_t n_slots = lay->n_slots, len = n_slots * 8;
    for (;;) {
        refill(in, len);
        if ((size_t)(in->end - in->p) < len)
            return GRAFT_SAV_UNSURE;
        for (size_t j = 0; j < n_slots; j++) {
            uint64_t bits;
            memcpy(&bits, in->p + 8 * j, sizeof bits);
            if (k->place[j] >= 0)
                k->row[k->place[j]] = tagged(lay, bits);
        }
        in->p += len;
        graft_sav_end_t end = next_case(k);
        if (end)
            return end;
    }
}

/* The bytes of data ReadStat decodes: it reads bytecode in chunks of
 * SAV_CHUNK from the start of the data and stops, that chunk unread, at a
 * chunk whose length is not a multiple of 8 (the last, short one). */
static uint64_t data_bytes(const graft_sav_layout_t *lay, uint64_t size)
{
    uint64_t n = size > (uint64_t)lay->data_at ? size - (uint64_t)lay->data_at
                                               : 0;
    uint64_t tail = n % SAV_CHUNK;
    return lay->compressed && tail % 8 ? n - tail : n;
}

/* The value of each bytecode but 0, 252 and 253 (decode_bytecode()). */
static void code_table(const graft_sav_layout_t *lay, double *table)
{
    for (unsigned c = 0; c < 256; c++) {
        double v = c - lay->bias;
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        table[c] = c == 254   ? tagged(lay, 0x2020202020202020u)
                   : c == 255 ? tagged(lay, lay->sysmis)
                              : tagged(lay, bits);
    }
}

/* Open PATH into IN at the start of the data.  0 on failure. */
static int open_input(sav_input_t *in, const char *path,
                      const graft_sav_layout_t *lay)
{
    struct stat st;
    in->fd = open(path, O_RDONLY | O_CLOEXEC);
    in->cap = lay->n_slots * 16 > SAV_BUFFER ? lay->n_slots * 16 : SAV_BUFFER;
    in->buf = malloc(in->cap);
    if (in->fd < 0 || !in->buf || fstat(in->fd, &st) != 0 ||
        lseek(in->fd, lay->data_at, SEEK_SET) != lay->data_at)
        return 0;
    in->left = data_bytes(lay, (uint64_t)st.st_size);
    in->at = (uint64_t)lay->data_at;
    in->p = in->end = in->buf;
    return 1;
}

graft_sav_end_t graft_sav_decode(const char *path,
                                 const graft_sav_layout_t *lay,
                                 const graft_sav_sink_t *sink,
                                 unsigned long *rows)
{
    sav_input_t in = {.fd = -1, .sink = sink};
    sav_cases_t k = {.sink = sink, .n_slots = lay->n_slots,
                     .n_cases = lay->n_cases};
    size_t n = lay->n_slots ? lay->n_slots : 1;
    k.first = malloc(n * sizeof *k.first);
    k.ident = malloc(n * sizeof *k.ident);
    graft_sav_end_t end = GRAFT_SAV_UNSURE;
    if (k.first && k.ident && open_input(&in, path, lay)) {
        for (size_t j = 0; j < lay->n_slots; j++)
            k.ident[j] = (long)j;
        k.place = k.ident;
        k.row = k.first;
        double table[256];
        code_table(lay, table);
        end = lay->compressed ? decode_bytecode(&in, lay, table, &k)
                              : decode_raw(&in, lay, &k);
    }
    *rows = k.done;
    if (in.fd >= 0)
        close(in.fd);
    free(in.buf);
    free(k.first);
    free(k.ident);
    return end;
}
