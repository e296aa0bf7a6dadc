/*
 * stat_io.c - buffered input handlers for ReadStat (io/stat_io.h).
 *
 * The invariant: the descriptor's position is always start + len, the end
 * of what the buffer holds, and the reader's logical position is
 * start + pos.  A seek that lands inside the buffer only moves pos.
 */
#include "io/stat_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAT_IO_BUFFER ((size_t)1 << 20)

/* read(2) of up to N bytes, retried when interrupted.  -1 on error. */
static ssize_t read_some(int fd, void *buf, size_t n)
{
    ssize_t r;
    do
        r = read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
}

static int io_open(const char *path, void *vio)
{
    graft_stat_io_t *io = vio;
    if (!io->buf) {
        io->buf = malloc(STAT_IO_BUFFER);
        if (!io->buf) {
            errno = ENOMEM;
            return -1;
        }
        io->cap = STAT_IO_BUFFER;
    }
    io->fd = open(path, O_RDONLY | O_CLOEXEC);
    io->pos = io->len = 0;
    io->start = 0;
    return io->fd;
}

static int io_close(void *vio)
{
    graft_stat_io_t *io = vio;
    int rc = io->fd >= 0 ? close(io->fd) : 0;
    io->fd = -1;
    return rc;
}

/* Refill the (consumed) buffer from the descriptor.  Returns the bytes
 * now held: 0 at the end of the file, -1 on error. */
static ssize_t refill(graft_stat_io_t *io)
{
    io->start += (off_t)io->len;
    io->pos = io->len = 0;
    ssize_t r = read_some(io->fd, io->buf, io->cap);
    if (r > 0)
        io->len = (size_t)r;
    return r;
}

/* Copy up to NBYTE bytes into BUF: from the buffer, refilled as needed; a
 * request at least a buffer long bypasses it.  Short only at the end of
 * the file; -1 on a read error. */
static ssize_t io_read(void *buf, size_t nbyte, void *vio)
{
    graft_stat_io_t *io = vio;
    unsigned char *out = buf;
    size_t done = 0;
    while (done < nbyte) {
        size_t have = io->len - io->pos;
        if (have) {
            size_t n = nbyte - done < have ? nbyte - done : have;
            memcpy(out + done, io->buf + io->pos, n);
            io->pos += n;
            done += n;
            continue;
        }
        ssize_t r;
        if (nbyte - done >= io->cap) { /* straight into the caller's */
            io->start += (off_t)io->len;
            io->pos = io->len = 0;
            r = read_some(io->fd, out + done, nbyte - done);
            if (r > 0) {
                io->start += r;
                done += (size_t)r;
            }
        } else {
            r = refill(io);
        }
        if (r < 0)
            return -1;
        if (r == 0)
            break;
    }
    return (ssize_t)done;
}

/* A seek to TARGET, shortly before the buffer: SAS's reader walks the
 * pages backwards from the end of the file, and a forward refill from each
 * would read the rest of the buffer again for every page.  The buffer is
 * loaded with the bytes that end where it started instead, so the pages
 * before TARGET are there too.  The descriptor's position stays the end of
 * the buffer. */
static readstat_off_t seek_back(graft_stat_io_t *io, off_t target)
{
    off_t from = io->start > (off_t)io->cap ? io->start - (off_t)io->cap : 0;
    size_t want = (size_t)(io->start - from), got = 0;
    io->pos = io->len = 0;
    if (lseek(io->fd, from, SEEK_SET) < 0)
        return -1;
    io->start = from;
    while (got < want) {
        ssize_t r = read_some(io->fd, io->buf + got, want - got);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    io->len = got;
    if (target > from + (off_t)got) { /* the file shrank under us */
        errno = EIO;
        return -1;
    }
    io->pos = (size_t)(target - from);
    return target;
}

static readstat_off_t io_seek(readstat_off_t offset,
                              readstat_io_flags_t whence, void *vio)
{
    graft_stat_io_t *io = vio;
    off_t target;
    if (whence == READSTAT_SEEK_SET) {
        target = offset;
    } else if (whence == READSTAT_SEEK_CUR) {
        target = io->start + (off_t)io->pos + offset;
    } else {
        off_t end = lseek(io->fd, 0, SEEK_END);
        if (end < 0 || lseek(io->fd, io->start + (off_t)io->len, SEEK_SET) < 0)
            return -1;
        target = end + offset;
    }
    if (target < 0) {
        errno = EINVAL;
        return -1;
    }
    if (target >= io->start && target <= io->start + (off_t)io->len) {
        io->pos = (size_t)(target - io->start);
        return target;
    }
    if (target < io->start && io->start - target <= (off_t)io->cap)
        return seek_back(io, target);
    if (lseek(io->fd, target, SEEK_SET) < 0)
        return -1;
    io->start = target;
    io->pos = io->len = 0;
    return target;
}

static readstat_error_t io_update(long file_size,
                                  readstat_progress_handler progress,
                                  void *user_ctx, void *vio)
{
    graft_stat_io_t *io = vio;
    if (!progress || file_size <= 0)
        return READSTAT_OK;
    double at = (double)(io->start + (off_t)io->pos) / (double)file_size;
    return progress(at, user_ctx) ? READSTAT_ERROR_USER_ABORT : READSTAT_OK;
}

void graft_stat_io_install(readstat_parser_t *parser, graft_stat_io_t *io)
{
    memset(io, 0, sizeof *io);
    io->fd = -1;
    readstat_set_open_handler(parser, io_open);
    readstat_set_close_handler(parser, io_close);
    readstat_set_seek_handler(parser, io_seek);
    readstat_set_read_handler(parser, io_read);
    readstat_set_update_handler(parser, io_update);
    readstat_set_io_ctx(parser, io);
}

void graft_stat_io_free(graft_stat_io_t *io)
{
    io_close(io);
    free(io->buf);
    io->buf = NULL;
}
