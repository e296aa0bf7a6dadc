/*
 * io/sav_data.h - the cases of a plain SPSS .sav file, decoded without
 * ReadStat's value callbacks.
 *
 * ReadStat hands graft every value of a .sav file through a callback,
 * with a readstat_value_t built and tagged for each: for a file of only
 * numbers that is most of the time of reading it.  The data section of
 * such a file is simple (8 bytes per variable per case, raw or in SPSS's
 * bytecode compression), so the stat reader decodes it here, straight
 * into its rows, and leaves everything else (the dictionary, the labels,
 * every file this does not take, and whatever follows the first case this
 * is not sure of) to ReadStat.  The values are those ReadStat 1.1.8 gives:
 * the same doubles, missing where it tags them system-missing.
 */
#ifndef GRAFT_IO_SAV_DATA_H
#define GRAFT_IO_SAV_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the decoder needs of a .sav file's header and dictionary. */
typedef struct graft_sav_layout {
    off_t data_at;      /* the offset of the first case's data */
    size_t n_vars;      /* variables, as ReadStat numbers them */
    size_t n_slots;     /* 8-byte slots per case */
    size_t *slot;       /* per variable: its first slot */
    unsigned char *numeric; /* per variable: a number (one slot), else a
                             * string (one slot or more) */
    size_t cap;
    long n_cases;       /* cases the header declares (> 0) */
    int compressed;     /* 1: bytecode; 0: raw */
    double bias;        /* bytecode: a code C is the number C - bias */
    uint64_t sysmis, highest, lowest; /* the bit patterns ReadStat tags
                                       * system-missing (with NaN) */
} graft_sav_layout_t;

/* 1 and *LAY filled when PATH is a .sav file this decoder takes: in this
 * machine's byte order, raw or bytecode-compressed (not .zsav), with a
 * declared case count above 0 and no string longer than 255 bytes; else 0
 * (the file is left to ReadStat, which also reports whatever is wrong
 * with it).  Free *LAY with graft_sav_layout_free() either way.  Only the
 * numeric variables' values are decoded: a file whose strings are read
 * is left to ReadStat by the caller. */
int graft_sav_layout(const char *path, graft_sav_layout_t *lay);

void graft_sav_layout_free(graft_sav_layout_t *lay);

/* For tests: 0 has graft_sav_layout() take no file, so that ReadStat reads
 * every .sav file whole (the reference to compare with); 1, the default,
 * restores it.  Not for use while a file is being read. */
void graft_sav_direct(int on);

/* Where the decoded cases go. */
typedef struct graft_sav_sink {
    /* Called once the first case is decoded whole, before it is passed
     * on: per slot, the place of its value in a case, or -1 (not kept;
     * every slot of a string is not), which must last until the end of
     * the decoding; NULL stops it. */
    const long *(*start)(void *arg);
    /* The places of case OBS (0-based) to write, each a number or NaN
     * (missing); NULL stops the decoding. */
    double *(*begin)(void *arg, long obs);
    /* Case written: 0 to go on, else stop. */
    int (*end)(void *arg);
    /* The file's bytes read so far (NULL: not told). */
    void (*progress)(void *arg, size_t bytes);
    void *arg;
} graft_sav_sink_t;

typedef enum graft_sav_end {
    GRAFT_SAV_ALL = 1, /* every declared case decoded and passed on */
    GRAFT_SAV_STOPPED, /* the sink stopped it */
    GRAFT_SAV_UNSURE   /* stopped before a case this decoder is not sure
                        * ReadStat would give as it: the data ends early,
                        * an end code, a read error, no memory.  The cases
                        * before it have been passed on; ReadStat is to
                        * read the rest. */
} graft_sav_end_t;

/* Decode the cases of PATH, laid out as LAY says, into SINK, in file
 * order.  *ROWS: the cases passed on. */
graft_sav_end_t graft_sav_decode(const char *path,
                                 const graft_sav_layout_t *lay,
                                 const graft_sav_sink_t *sink,
                                 unsigned long *rows);

#endif
