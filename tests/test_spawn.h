/*
 * test_spawn.h - running the graft binary from a test: $GRAFT_BIN (set by
 * `make check`), else ./graft, with its stdout, stderr and exit status
 * captured.  Needs _GNU_SOURCE (or _POSIX_C_SOURCE) before test_util.h.
 */
#ifndef GRAFT_TEST_SPAWN_H
#define GRAFT_TEST_SPAWN_H

#include "test_util.h"

#include <spawn.h>
#include <stdarg.h>
#include <sys/wait.h>

extern char **environ;

typedef struct spawn_result {
    int status;        /* exit code, or 128 + signal */
    char out[1 << 16];
    char err[8192];
} spawn_result_t;

/* Read up to SIZE - 1 bytes of PATH into BUF ("" when unreadable). */
static inline void spawn_slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Run graft with the arguments ARG, then AP up to a NULL; fill RES. */
static inline void spawn_graft_v(spawn_result_t *res, const char *arg,
                                 va_list ap)
{
    const char *bin = getenv("GRAFT_BIN") ? getenv("GRAFT_BIN") : "./graft";
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)bin;
    for (const char *a = arg; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    argv[argc] = NULL;
    char out_path[] = "/tmp/graft_test_out_XXXXXX";
    char err_path[] = "/tmp/graft_test_err_XXXXXX";
    int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
    assert_true(out_fd >= 0 && err_fd >= 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    close(out_fd);
    close(err_fd);
    res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    spawn_slurp(out_path, res->out, sizeof res->out);
    spawn_slurp(err_path, res->err, sizeof res->err);
    unlink(out_path);
    unlink(err_path);
}

#endif
