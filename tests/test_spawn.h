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
    char out[1 << 16]; /* stdout, cut at 64 KiB */
    char err[8192];    /* stderr, cut at 8 KiB */
} spawn_result_t;

/* The binary under test. */
static inline const char *spawn_bin(void)
{
    return getenv("GRAFT_BIN") ? getenv("GRAFT_BIN") : "./graft";
}

/* Read up to SIZE - 1 bytes of PATH into BUF ("" when unreadable). */
static inline void spawn_slurp(const char *path, char *buf, size_t size)
{
    size_t n = 0;
    char *text = test_slurp(path, &n);
    if (n > size - 1)
        n = size - 1;
    if (text)
        memcpy(buf, text, n);
    buf[n] = '\0';
    free(text);
}

/* This process's environment changed by ENV (NULL, or a NULL-terminated
 * list of "NAME=value" to set and "NAME" to remove), in ENVP of MAX. */
static inline void spawn_env(const char *const *env, char **envp, size_t max)
{
    size_t n = 0;
    for (char **e = environ; *e && n < max - 1; e++) {
        int keep = 1;
        for (size_t i = 0; env && env[i]; i++) {
            size_t len = strcspn(env[i], "=");
            if (strncmp(*e, env[i], len) == 0 && (*e)[len] == '=')
                keep = 0;
        }
        if (keep)
            envp[n++] = *e;
    }
    for (size_t i = 0; env && env[i] && n < max - 1; i++)
        if (strchr(env[i], '='))
            envp[n++] = (char *)env[i];
    envp[n] = NULL;
}

/* Run graft with ARGS (NULL-terminated, the program name left out) in the
 * environment changed by ENV (see spawn_env); fill RES.  Its output goes
 * to files in this process's temporary directory, removed afterwards. */
static inline void spawn_graft_env(spawn_result_t *res,
                                   const char *const *env,
                                   const char *const *args)
{
    const char *bin = spawn_bin();
    char *argv[64], *envp[1024];
    size_t argc = 0;
    argv[argc++] = (char *)bin;
    for (size_t i = 0; args[i] && argc < 63; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    spawn_env(env, envp, sizeof envp / sizeof envp[0]);
    char out_path[600], err_path[600];
    snprintf(out_path, sizeof out_path, "%s", test_tmp("spawn_stdout"));
    snprintf(err_path, sizeof err_path, "%s", test_tmp("spawn_stderr"));
    int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(out_fd >= 0 && err_fd >= 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, bin, &fa, NULL, argv, envp), 0);
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

/* Run graft with the arguments ARG, then AP up to a NULL; fill RES. */
static inline void spawn_graft_v(spawn_result_t *res, const char *arg,
                                 va_list ap)
{
    const char *args[64];
    size_t n = 0;
    for (const char *a = arg; a && n < 63; a = va_arg(ap, const char *))
        args[n++] = a;
    args[n] = NULL;
    spawn_graft_env(res, NULL, args);
}

/* Run graft with the arguments ARG, ... up to a NULL; fill RES. */
static inline void spawn_graft(spawn_result_t *res, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    spawn_graft_v(res, arg, ap);
    va_end(ap);
}

/* RES failed with exit code CODE and a stderr of exactly "graft: MSG\n". */
static inline void spawn_expect_error(const spawn_result_t *res, int code,
                                      const char *msg)
{
    char want[4096];
    snprintf(want, sizeof want, "graft: %s\n", msg);
    if (strcmp(res->err, want) != 0)
        fail_msg("stderr:\n  got:  %s  want: %s", res->err, want);
    assert_int_equal(res->status, code);
}

/* RES ended with exit 0; otherwise fail with its stderr. */
static inline void spawn_expect_ok(const spawn_result_t *res)
{
    if (res->status != 0)
        fail_msg("graft exited %d: %s", res->status, res->err);
}

#endif
