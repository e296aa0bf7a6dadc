/*
 * test_stat_io.c - the buffered input handlers graft gives ReadStat
 * (io/stat_io.c) serve exactly the bytes and offsets the file has: random
 * walks of reads and seeks (forward, backward as SAS's reader walks its
 * pages, from the end, past the end, larger than the buffer) are checked
 * against pread(2) of the same file; the progress handler sees the logical
 * position.
 */
#include "test_util.h"
#include "io/stat_io.h"

#include <fcntl.h>
#include <gsl/gsl_rng.h>
#include <unistd.h>

#define FILE_BYTES (3 * (1 << 20) + 12345) /* three buffers and a bit */

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/graft_stat_io_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unsigned char *b = malloc(FILE_BYTES);
    for (size_t i = 0; i < FILE_BYTES; i++)
        b[i] = (unsigned char)((i * 2654435761u) >> 13);
    int ok = write(fd, b, FILE_BYTES) == FILE_BYTES;
    free(b);
    close(fd);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

/* Read N bytes at the handler's position and compare with pread at AT. */
static void check_read(readstat_io_t *io, int ref, off_t at, size_t n)
{
    unsigned char *got = malloc(n + 1), *want = malloc(n + 1);
    ssize_t r = io->read(got, n, io->io_ctx);
    ssize_t w = pread(ref, want, n, at);
    assert_int_equal(r, w);
    if (r > 0 && memcmp(got, want, (size_t)r) != 0)
        fail_msg("bytes differ in a read of %zu at %lld", n, (long long)at);
    free(got);
    free(want);
}

static void test_random_walk(void **state)
{
    (void)state;
    readstat_parser_t *p = readstat_parser_init();
    graft_stat_io_t sio;
    graft_stat_io_install(p, &sio);
    readstat_io_t *io = p->io;
    int ref = open(path, O_RDONLY);
    assert_true(ref >= 0);
    assert_true(io->open(path, io->io_ctx) >= 0);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    off_t at = 0;
    for (int step = 0; step < 4000; step++) {
        unsigned long kind = gsl_rng_uniform_int(rng, 6);
        off_t to = at;
        if (kind == 0) { /* anywhere, from the start */
            to = (off_t)gsl_rng_uniform_int(rng, FILE_BYTES + 100);
            assert_int_equal(io->seek(to, READSTAT_SEEK_SET, io->io_ctx), to);
        } else if (kind == 1 && at >= 4096) { /* a page back */
            to = at - 4096;
            assert_int_equal(io->seek(-4096, READSTAT_SEEK_CUR, io->io_ctx),
                             to);
        } else if (kind == 2) { /* from the end */
            off_t back = (off_t)gsl_rng_uniform_int(rng, 3 << 20);
            to = FILE_BYTES - back;
            assert_int_equal(io->seek(-back, READSTAT_SEEK_END, io->io_ctx),
                             to);
        }
        at = to;
        size_t n = gsl_rng_uniform_int(rng, 5) == 0
                       ? (size_t)gsl_rng_uniform_int(rng, 3 << 20)
                       : (size_t)gsl_rng_uniform_int(rng, 9000);
        check_read(io, ref, at, n);
        off_t end = at + (off_t)n;
        at = end < FILE_BYTES ? end : (at > FILE_BYTES ? at : FILE_BYTES);
        assert_int_equal(io->seek(0, READSTAT_SEEK_CUR, io->io_ctx), at);
    }
    gsl_rng_free(rng);
    close(ref);
    assert_int_equal(io->close(io->io_ctx), 0);
    readstat_parser_free(p);
    graft_stat_io_free(&sio);
}

/* SAS's reader: every page from the last to the first, then forward. */
static void test_pages_backwards(void **state)
{
    (void)state;
    readstat_parser_t *p = readstat_parser_init();
    graft_stat_io_t sio;
    graft_stat_io_install(p, &sio);
    readstat_io_t *io = p->io;
    int ref = open(path, O_RDONLY);
    assert_true(io->open(path, io->io_ctx) >= 0);
    for (off_t at = FILE_BYTES - 4096; at >= 0; at -= 4096) {
        assert_int_equal(io->seek(at, READSTAT_SEEK_SET, io->io_ctx), at);
        check_read(io, ref, at, 4096);
    }
    for (off_t at = 0; at < FILE_BYTES; at += 65536) {
        assert_int_equal(io->seek(at, READSTAT_SEEK_SET, io->io_ctx), at);
        check_read(io, ref, at, 65536);
    }
    close(ref);
    io->close(io->io_ctx);
    readstat_parser_free(p);
    graft_stat_io_free(&sio);
}

static double seen;
static int on_progress(double progress, void *ctx)
{
    (void)ctx;
    seen = progress;
    return progress > 0.9; /* abort near the end */
}

static void test_progress(void **state)
{
    (void)state;
    readstat_parser_t *p = readstat_parser_init();
    graft_stat_io_t sio;
    graft_stat_io_install(p, &sio);
    readstat_io_t *io = p->io;
    char buf[100];
    assert_true(io->open(path, io->io_ctx) >= 0);
    assert_int_equal(io->seek(FILE_BYTES / 2, READSTAT_SEEK_SET, io->io_ctx),
                     FILE_BYTES / 2);
    assert_int_equal(io->read(buf, 100, io->io_ctx), 100);
    assert_int_equal(io->update(FILE_BYTES, on_progress, NULL, io->io_ctx),
                     READSTAT_OK);
    assert_true(seen == (FILE_BYTES / 2 + 100) / (double)FILE_BYTES);
    io->seek(-10, READSTAT_SEEK_END, io->io_ctx);
    assert_int_equal(io->update(FILE_BYTES, on_progress, NULL, io->io_ctx),
                     READSTAT_ERROR_USER_ABORT);
    io->close(io->io_ctx);
    /* a file that is not there: the open handler fails as open(2) does */
    assert_int_equal(io->open("/nonexistent/graft", io->io_ctx), -1);
    readstat_parser_free(p);
    graft_stat_io_free(&sio);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_walk),
        cmocka_unit_test(test_pages_backwards),
        cmocka_unit_test(test_progress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
