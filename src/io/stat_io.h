/*
 * io/stat_io.h - buffered input for ReadStat.
 *
 * ReadStat's own input handlers call read(2) once per request, and its
 * Stata reader asks for one row at a time: a million rows cost a million
 * system calls (half of the time of reading a .dta file).  These handlers
 * serve ReadStat's reads and seeks from a 1 MiB buffer instead.  The bytes
 * ReadStat sees are the same, so every value is.
 */
#ifndef GRAFT_IO_STAT_IO_H
#define GRAFT_IO_STAT_IO_H

#include <readstat.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct graft_stat_io {
    int fd;              /* -1 when closed */
    unsigned char *buf;  /* allocated on the first open */
    size_t cap;
    size_t pos, len;     /* buf[pos .. len) not yet read */
    off_t start;         /* the file offset of buf[0] */
} graft_stat_io_t;

/* Install the buffered handlers on PARSER, with IO (which must live until
 * the parser is freed, and be freed with graft_stat_io_free() after). */
void graft_stat_io_install(readstat_parser_t *parser, graft_stat_io_t *io);

/* Close IO's file if it is still open and free its buffer. */
void graft_stat_io_free(graft_stat_io_t *io);

#endif
