/*
 * output.c - atomic output files: temporary + rename, and the registry of
 * this process's temporaries that a signal handler removes.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "graft/output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the registry of temporaries ------------------------------------- */

/* Nodes are never freed (a signal handler on another thread may be reading
 * one): a forgotten node is reused for a later path that fits.  Track and
 * forget take the lock; graft_tmp_remove_all() takes none and reads only
 * lock-free atomics and the path of a live node. */
typedef struct tmp_node {
    struct tmp_node *next; /* set before the node is published */
    atomic_int live;
    atomic_ulong seq;      /* order of tracking: newest is removed first */
    size_t cap;
    char *path;
} tmp_node_t;

static _Atomic(tmp_node_t *) tmp_head;
static pthread_mutex_t tmp_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long tmp_count;

graft_error_t graft_tmp_track(const char *path)
{
    size_t n = strlen(path) + 1;
    graft_error_t rc = GRAFT_OK;
    tmp_node_t *node;
    pthread_mutex_lock(&tmp_lock);
    for (node = atomic_load(&tmp_head); node; node = node->next)
        if (!atomic_load(&node->live) && node->cap >= n)
            break;
    if (!node && (node = calloc(1, sizeof *node)) != NULL) {
        if (!(node->path = malloc(n))) {
            free(node);
            node = NULL;
        } else {
            node->cap = n;
            node->next = atomic_load(&tmp_head);
            atomic_store(&tmp_head, node);
        }
    }
    if (node) {
        memcpy(node->path, path, n);
        atomic_store(&node->seq, ++tmp_count);
        atomic_store(&node->live, 1);
    } else {
        rc = GRAFT_ERR_NOMEM;
    }
    pthread_mutex_unlock(&tmp_lock);
    return rc;
}

void graft_tmp_forget(const char *path)
{
    pthread_mutex_lock(&tmp_lock);
    for (tmp_node_t *node = atomic_load(&tmp_head); node; node = node->next)
        if (atomic_load(&node->live) && strcmp(node->path, path) == 0) {
            atomic_store(&node->live, 0);
            break;
        }
    pthread_mutex_unlock(&tmp_lock);
}

/* Children writing into temporaries (gnuplot): 0 is a free slot. */
#define TMP_MAX_CHILDREN 16
static atomic_int tmp_children[TMP_MAX_CHILDREN];

graft_error_t graft_tmp_track_child(pid_t pid)
{
    for (size_t i = 0; i < TMP_MAX_CHILDREN; i++) {
        int free_slot = 0;
        if (atomic_compare_exchange_strong(&tmp_children[i], &free_slot,
                                           (int)pid))
            return GRAFT_OK;
    }
    return GRAFT_ERR_NOMEM;
}

void graft_tmp_forget_child(pid_t pid)
{
    for (size_t i = 0; i < TMP_MAX_CHILDREN; i++) {
        int p = (int)pid;
        if (atomic_compare_exchange_strong(&tmp_children[i], &p, 0))
            return;
    }
}

void graft_tmp_remove_all(void)
{
    unsigned long below = ULONG_MAX;
    /* first the children, or gnuplot would write its chart afterwards */
    for (size_t i = 0; i < TMP_MAX_CHILDREN; i++) {
        int pid = atomic_exchange(&tmp_children[i], 0);
        if (pid > 0) {
            kill((pid_t)pid, SIGTERM);
            while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
    }
    for (;;) {
        tmp_node_t *best = NULL;
        unsigned long best_seq = 0;
        for (tmp_node_t *node = atomic_load(&tmp_head); node;
             node = node->next) {
            unsigned long seq = atomic_load(&node->seq);
            if (atomic_load(&node->live) && seq < below && seq > best_seq) {
                best = node;
                best_seq = seq;
            }
        }
        if (!best)
            return;
        if (unlink(best->path) != 0)
            (void)rmdir(best->path);
        atomic_store(&best->live, 0);
        below = best_seq;
    }
}

/* ---- output files ---------------------------------------------------- */

static graft_error_t open_fail(graft_outfile_t *of, const char *path,
                               graft_diag_t *diag, int e)
{
    graft_outfile_abort(of);
    if (e == ENOMEM)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                              "out of memory");
    return graft_diag_set(diag, GRAFT_ERR_WRITE, path, 0, 0,
                          "cannot write: %s", strerror(e));
}

/* A character device or a FIFO (/dev/null, /dev/stdout, a pipe) is written
 * directly: there is nothing to rename, and replacing it would be wrong. */
static graft_error_t open_direct(graft_outfile_t *of, const char *path,
                                 graft_diag_t *diag)
{
    int fd;
    if (!(of->path = strdup(path)))
        return open_fail(of, path, diag, ENOMEM);
    if ((fd = open(path, O_WRONLY | O_APPEND)) < 0)
        return open_fail(of, path, diag, errno);
    if (!(of->fp = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        return open_fail(of, path, diag, e);
    }
    return GRAFT_OK;
}

/* mkstemp() the temporary beside OF->path and track it, with the signals
 * that remove temporaries blocked so that none is left between the two. */
static int make_temporary(graft_outfile_t *of)
{
    sigset_t block, old;
    int fd, e = 0;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    fd = mkstemp(of->tmp);
    if (fd < 0) {
        e = errno;
    } else if (graft_tmp_track(of->tmp) != GRAFT_OK) {
        unlink(of->tmp);
        close(fd);
        fd = -1;
        e = ENOMEM;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return fd;
}

/* What is at PATH decides how it is written.  Sets *MODE to the mode to
 * give the new file (an existing file's own), *RESOLVED to the target of a
 * symbolic link (the caller's to free) and *DIRECT when the output is a
 * character device or FIFO, written as it is.  Fails with GRAFT_ERR_WRITE
 * (a dangling link, a directory, another kind of file). */
static graft_error_t examine_target(const char *path, char **resolved,
                                    mode_t *mode, int *direct,
                                    graft_diag_t *diag)
{
    struct stat st;
    *resolved = NULL;
    *direct = 0;
    if (lstat(path, &st) != 0) {
        int e = errno;
        if (e == ENOENT)
            return GRAFT_OK;
        if (e == ENOMEM)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                                  "out of memory");
        return graft_diag_set(diag, GRAFT_ERR_WRITE, path, 0, 0,
                              "cannot write: %s", strerror(e));
    }
    if (S_ISLNK(st.st_mode)) {
        /* write through the link: the temporary goes beside its target */
        if (!(*resolved = realpath(path, NULL)) || stat(*resolved, &st) != 0) {
            int e = errno;
            free(*resolved);
            *resolved = NULL;
            return graft_diag_set(diag, GRAFT_ERR_WRITE, path, 0, 0,
                                  "cannot write through this symbolic "
                                  "link: %s",
                                  strerror(e));
        }
    }
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
        *direct = 1;
        return GRAFT_OK;
    }
    if (!S_ISREG(st.st_mode)) {
        free(*resolved);
        *resolved = NULL;
        return graft_diag_set(diag, GRAFT_ERR_WRITE, path, 0, 0,
                              S_ISDIR(st.st_mode)
                                  ? "cannot write: is a directory"
                                  : "cannot write: not a regular file");
    }
    *mode = st.st_mode & 07777; /* replacing a file keeps its mode */
    return GRAFT_OK;
}

graft_error_t graft_outfile_open(graft_outfile_t *of, const char *path,
                                 graft_diag_t *diag)
{
    char *resolved;
    int direct;
    mode_t mode, mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask; /* a new file gets the mode fopen would give it */
    memset(of, 0, sizeof *of);
    if (!path || strcmp(path, "-") == 0) {
        of->fp = stdout;
        return GRAFT_OK;
    }
    graft_error_t rc = examine_target(path, &resolved, &mode, &direct, diag);
    if (rc != GRAFT_OK)
        return rc;
    const char *target = resolved ? resolved : path;
    if (direct) {
        rc = open_direct(of, target, diag);
        free(resolved);
        return rc;
    }
    size_t n = strlen(target);
    of->path = malloc(n + 1);
    of->tmp = malloc(n + 16);
    if (!of->path || !of->tmp) {
        free(resolved);
        return open_fail(of, path, diag, ENOMEM);
    }
    memcpy(of->path, target, n + 1);
    free(resolved);
    snprintf(of->tmp, n + 16, "%s.tmp.XXXXXX", of->path);
    int fd = make_temporary(of);
    if (fd < 0) {
        int e = errno;
        free(of->tmp);
        of->tmp = NULL;
        return open_fail(of, path, diag, e);
    }
    (void)fchmod(fd, mode);
    if (!(of->fp = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        return open_fail(of, path, diag, e);
    }
    return GRAFT_OK;
}

graft_error_t graft_outfile_commit(graft_outfile_t *of, graft_diag_t *diag)
{
    int bad = fflush(of->fp) != 0 || ferror(of->fp);
    int e = errno;
    const char *what = "write error";
    if (!of->path) {
        of->fp = NULL;
        if (bad)
            return graft_diag_set(diag, GRAFT_ERR_WRITE, "<stdout>", 0, 0,
                                  "write error: %s", strerror(e));
        return GRAFT_OK;
    }
    if (fclose(of->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    of->fp = NULL;
    if (!bad && of->tmp && rename(of->tmp, of->path) != 0) {
        bad = 1;
        e = errno;
        what = "cannot move the finished file into place";
    }
    if (bad) {
        /* the message names of->path: set it before abort frees it */
        graft_error_t rc = graft_diag_set(diag, GRAFT_ERR_WRITE, of->path, 0,
                                          0, "%s: %s", what, strerror(e));
        graft_outfile_abort(of);
        return rc;
    }
    if (of->tmp)
        graft_tmp_forget(of->tmp);
    free(of->tmp);
    free(of->path);
    memset(of, 0, sizeof *of);
    return GRAFT_OK;
}

graft_error_t graft_outfile_finish(graft_outfile_t *of, graft_error_t wrote,
                                   graft_diag_t *diag)
{
    if (wrote != GRAFT_OK &&
        !(wrote == GRAFT_ERR_WRITE && of->fp && ferror(of->fp))) {
        graft_outfile_abort(of);
        return wrote;
    }
    graft_error_t rc = graft_outfile_commit(of, diag);
    return rc != GRAFT_OK ? rc : wrote;
}

void graft_outfile_abort(graft_outfile_t *of)
{
    if (of->fp && of->fp != stdout)
        fclose(of->fp);
    if (of->tmp) {
        unlink(of->tmp);
        graft_tmp_forget(of->tmp);
    }
    free(of->tmp);
    free(of->path);
    memset(of, 0, sizeof *of);
}
