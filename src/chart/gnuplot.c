/*
 * chart/gnuplot.c - running gnuplot: posix_spawn() of a path, or
 * posix_spawnp() of a bare name (PATH looked up by the C library, not
 * read here), never a shell; the script written to its standard input
 * through a pipe while its standard error is read through another (poll()
 * on both, so neither side can block the other), its standard output sent
 * to /dev/null (gnuplot writes a chart there when `set output` fails).
 */
#include "chart/chart_internal.h"
#include "graft/output.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define ERR_KEEP 8192 /* bytes of gnuplot's stderr kept for the message */

typedef struct child {
    pid_t pid;
    int in;  /* our end of its stdin, or -1 */
    int err; /* our end of its stderr, or -1 */
    char text[ERR_KEEP];
    size_t len;
} child_t;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Can PROGRAM, a path (it holds a '/'), be started?  Checked here so
 * that a missing program is reported the same everywhere (where
 * posix_spawn() is fork + exec, a failed exec is only an exit status
 * 127).  Returns 0 or an errno value. */
static int check_path(const char *program)
{
    struct stat st;
    if (stat(program, &st) != 0)
        return errno;
    if (!S_ISREG(st.st_mode) || access(program, X_OK) != 0)
        return EACCES;
    return 0;
}

/* Start PROGRAM with stdin and stderr piped; 0 or an errno value. */
static int start(child_t *c, const char *program)
{
    int in[2] = {-1, -1}, err[2] = {-1, -1}, e;
    posix_spawn_file_actions_t fa;
    char *argv[] = {(char *)program, (char *)"--default-settings", NULL};
    int on_path = strchr(program, '/') == NULL;
    if (!on_path && (e = check_path(program)) != 0)
        return e;
    if (pipe(in) != 0 || pipe(err) != 0) {
        e = errno;
        close_fd(&in[0]);
        close_fd(&in[1]);
        return e;
    }
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    fcntl(err[0], F_SETFD, FD_CLOEXEC);
    if ((e = posix_spawn_file_actions_init(&fa)) == 0) {
        e = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        if (!e)
            e = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
                                                 O_WRONLY, 0);
        if (!e)
            e = posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        if (!e && in[0] > 2)
            e = posix_spawn_file_actions_addclose(&fa, in[0]);
        if (!e && err[1] > 2)
            e = posix_spawn_file_actions_addclose(&fa, err[1]);
        /* a bare name: posix_spawnp() looks it up on PATH as execvp()
         * does (glibc reports ENOENT when no file of that name is there);
         * the library itself reads no environment */
        if (!e)
            e = (on_path ? posix_spawnp : posix_spawn)(&c->pid, program, &fa,
                                                       NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    close_fd(&in[0]);
    close_fd(&err[1]);
    c->in = in[1];
    c->err = err[0];
    if (e) {
        close_fd(&c->in);
        close_fd(&c->err);
    }
    return e;
}

/* Feed SCRIPT and collect stderr until gnuplot closes it.  SIGPIPE is
 * blocked while writing (gnuplot may exit early) and a pending one that
 * our write raised is consumed, so the caller's disposition is untouched. */
static void exchange(child_t *c, const char *script, size_t len)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE), broke = 0;
    size_t done = 0;
    while (c->in >= 0 || c->err >= 0) {
        struct pollfd p[2] = {{c->in, POLLOUT, 0}, {c->err, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (c->in >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t k = write(c->in, script + done, len - done);
            if (k > 0)
                done += (size_t)k;
            else if (k < 0 && errno != EINTR && errno != EAGAIN)
                broke = 1;
            if (done == len || broke)
                close_fd(&c->in);
        }
        if (c->err >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP))) {
            char buf[4096];
            ssize_t k = read(c->err, buf, sizeof buf);
            if (k <= 0 && !(k < 0 && errno == EINTR)) {
                close_fd(&c->err);
            } else if (k > 0) {
                size_t room = sizeof c->text - 1 - c->len;
                size_t take = (size_t)k < room ? (size_t)k : room;
                memcpy(c->text + c->len, buf, take);
                c->len += take;
            }
        }
    }
    close_fd(&c->in);
    close_fd(&c->err);
    c->text[c->len] = '\0';
    if (broke && !was_pending) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The line of gnuplot's stderr that says what went wrong: the first one
 * naming an error or a script line ("line 12: ..."), else the last
 * non-blank one.  Copied into BUF without surrounding spaces. */
static void error_line(const char *text, char *buf, size_t size)
{
    const char *best = NULL, *last = NULL;
    size_t best_len = 0, last_len = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        const char *s = p;
        size_t n = len;
        while (n > 0 && (*s == ' ' || *s == '\t')) {
            s++;
            n--;
        }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
            n--;
        int blank = n == 0 || strspn(s, "^ \t") >= n;
        if (!blank) {
            last = s;
            last_len = n;
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)(n < 511 ? n : 511), s);
            if (!best && (strstr(line, "rror") || strstr(line, "line "))) {
                best = s;
                best_len = n;
            }
        }
        p += len + (p[len] == '\n');
    }
    if (!best) {
        best = last;
        best_len = last_len;
    }
    snprintf(buf, size, "%.*s", best ? (int)(best_len < 400 ? best_len : 400)
                                     : 0,
             best ? best : "");
}

static int mentions_error(const char *text)
{
    for (const char *p = text; *p; p++)
        if ((p[0] == 'e' || p[0] == 'E') && strncmp(p + 1, "rror", 4) == 0)
            return 1;
    return 0;
}

/* PROGRAM could not be found. */
static graft_error_t not_found(const char *program, const char *output,
                               graft_diag_t *diag)
{
    if (strcmp(program, "gnuplot") == 0)
        return graft_diag_set(diag, GRAFT_ERR_EXEC, output, 0, 0,
                              "gnuplot not found: install the Debian "
                              "package gnuplot-nox");
    return graft_diag_set(diag, GRAFT_ERR_EXEC, output, 0, 0,
                          "gnuplot not found at '%s': install the "
                          "Debian package gnuplot-nox",
                          program);
}

graft_error_t graft_chart_gnuplot_run(const char *program, const char *script,
                                      size_t len, const char *output,
                                      graft_diag_t *diag)
{
    child_t c;
    memset(&c, 0, sizeof c);
    c.in = c.err = -1;
    int e = start(&c, program);
    if (e == ENOENT)
        return not_found(program, output, diag);
    if (e)
        return graft_diag_set(diag, GRAFT_ERR_EXEC, output, 0, 0,
                              "cannot start gnuplot ('%s'): %s", program,
                              strerror(e));
    /* a signal that removes the temporaries stops gnuplot first */
    (void)graft_tmp_track_child(c.pid);
    exchange(&c, script, len);
    int status, w;
    while ((w = waitpid(c.pid, &status, 0)) < 0 && errno == EINTR)
        ;
    graft_tmp_forget_child(c.pid);
    if (w < 0)
        return graft_diag_set(diag, GRAFT_ERR_EXEC, output, 0, 0,
                              "gnuplot: %s", strerror(errno));
    char line[512];
    error_line(c.text, line, sizeof line);
    if (WIFSIGNALED(status))
        return graft_diag_set(diag, GRAFT_ERR_EXEC, output, 0, 0,
                              "gnuplot was killed by signal %d%s%s",
                              WTERMSIG(status), *line ? ": " : "", line);
    /* Where posix_spawnp() cannot report a failed exec (without vfork
     * semantics, as under valgrind), the child exits 127 having printed
     * nothing: the name was not found on PATH. */
    if (WEXITSTATUS(status) == 127 && !*c.text && !strchr(program, '/'))
        return not_found(program, output, diag);
    if (WEXITSTATUS(status) != 0 || mentions_error(c.text))
        return graft_diag_set(diag, GRAFT_ERR_EXEC, output, 0, 0,
                              "gnuplot failed (exit status %d)%s%s",
                              WEXITSTATUS(status), *line ? ": " : "", line);
    return GRAFT_OK;
}
