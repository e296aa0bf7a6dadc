/*
 * test_util.h - helpers shared by the cmocka test binaries.
 *
 * Debian's cmocka 1.1.5 has no assert_double_equal and its
 * assert_float_equal casts to float; assert_close compares doubles with a
 * relative and an absolute tolerance and prints both numbers on failure.
 */
#ifndef GRAFT_TEST_UTIL_H
#define GRAFT_TEST_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <cmocka.h>

#define REL_TOL 1e-9

static inline int test_close_ok(double got, double want, double rel, double abs_tol)
{
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    double diff = fabs(got - want);
    return diff <= abs_tol || diff <= rel * fabs(want);
}

#define assert_close(got, want, rel, abs_tol)                                  \
    do {                                                                       \
        double g_ = (got), w_ = (want);                                        \
        if (!test_close_ok(g_, w_, (rel), (abs_tol)))                          \
            fail_msg("%s = %.17g, want %.17g (rel %g, abs %g)", #got, g_, w_,  \
                     (double)(rel), (double)(abs_tol));                        \
    } while (0)

/* A growing NUL-terminated byte string (s is NULL until the first add;
 * the caller frees it). */
typedef struct test_text {
    char *s;
    size_t len, cap;
} test_text_t;

static inline void test_text_add(test_text_t *t, const void *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *q = realloc(t->s, cap);
        assert_non_null(q);
        t->s = q;
        t->cap = cap;
    }
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static inline void test_text_adds(test_text_t *t, const char *s)
{
    test_text_add(t, s, strlen(s));
}

/* The calls of graft_read_opts_t.progress during one read. */
typedef struct test_progress {
    size_t calls, bytes, total, rows; /* the last call's */
    char bad[200];                    /* the first broken rule */
} test_progress_t;

static inline void test_progress_fn(void *arg, size_t bytes, size_t total,
                                    size_t rows)
{
    test_progress_t *p = arg;
    if (!p->bad[0] && (bytes > total || bytes < p->bytes || rows < p->rows ||
                       (p->calls && total != p->total)))
        snprintf(p->bad, sizeof p->bad,
                 "call %zu: %zu of %zu bytes, %zu rows after %zu of %zu, %zu",
                 p->calls + 1, bytes, total, rows, p->bytes, p->total,
                 p->rows);
    p->calls++;
    p->bytes = bytes;
    p->total = total;
    p->rows = rows;
}

/* After a read of PATH that delivered ROWS rows: the calls came with bytes
 * and rows that never go back, the file's size as the total, and a last
 * call for the whole file and every row. */
static inline void test_progress_check(const test_progress_t *p,
                                       const char *path, size_t rows)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    if (p->bad[0])
        fail_msg("%s: %s", path, p->bad);
    assert_true(p->calls >= 1);
    assert_int_equal(p->total, (size_t)st.st_size);
    assert_int_equal(p->bytes, (size_t)st.st_size);
    assert_int_equal(p->rows, rows);
}

/* ---- files ------------------------------------------------------------ */

/* The whole of PATH, NUL-terminated (the caller frees it), its length in
 * *LEN when LEN is not NULL; NULL when PATH cannot be read. */
static inline char *test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (len)
        *len = 0;
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, k;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* test_slurp, but a file that cannot be read fails the test. */
static inline char *test_slurp_must(const char *path, size_t *len)
{
    char *buf = test_slurp(path, len);
    if (!buf)
        fail_msg("cannot read %s (tests run from the repository root)", path);
    return buf;
}

/* Remove PATH and, when it is a directory, everything below it. */
static inline void test_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char sub[4096];
        while (d && (e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) <
                    (int)sizeof sub)
                test_remove_tree(sub);
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* This process's own temporary directory, /tmp/graft_test_XXXXXX, made on
 * the first call and removed with all it holds when the process exits:
 * two test runs at once never share a file. */
static inline char *test_tmp_dir_buf(void)
{
    static char buf[64];
    return buf;
}

static inline void test_tmp_dir_remove(void)
{
    if (test_tmp_dir_buf()[0])
        test_remove_tree(test_tmp_dir_buf());
}

static inline const char *test_tmp_dir(void)
{
    char *dir = test_tmp_dir_buf();
    if (!dir[0]) {
        snprintf(dir, 64, "/tmp/graft_test_XXXXXX");
        if (!mkdtemp(dir))
            fail_msg("mkdtemp: cannot make a temporary directory");
        atexit(test_tmp_dir_remove);
    }
    return dir;
}

/* NAME inside test_tmp_dir(), in a rotating static buffer (valid for the
 * next 15 calls). */
static inline const char *test_tmp(const char *name)
{
    static char buf[16][512];
    static int k;
    k = (k + 1) % 16;
    snprintf(buf[k], sizeof buf[k], "%s/%s", test_tmp_dir(), name);
    return buf[k];
}

/* Write the NUL-terminated TEXT to PATH (replacing it). */
static inline void test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    size_t n = strlen(text);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Does PATH exist? */
static inline int test_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The shared data folder (../shared/data) or NULL when this clone has none;
 * tests that need it print a visible SKIP line and return. */
#define SHARED_AFRO "../shared/data/afrobarometer"
#define SKIP_WITHOUT_SHARED()                                                  \
    do {                                                                       \
        if (!test_file_exists(SHARED_AFRO "/tun_r7_data.sav")) {               \
            printf("SKIP %s: " SHARED_AFRO " is absent in this clone\n",       \
                   __func__);                                                  \
            skip();                                                            \
        }                                                                      \
    } while (0)

#endif
