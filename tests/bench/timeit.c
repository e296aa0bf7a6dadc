/* timeit: run a command, report its wall time and peak resident set size.
 *
 *   timeit [-o FILE] [--stdout FILE] -- COMMAND [ARG...]
 *
 * Forks, execs COMMAND (PATH search), waits with wait4() and writes one line
 *
 *   WALL_SECONDS PEAK_RSS_KB EXIT_STATUS CPU_SECONDS
 *
 * to FILE (default: standard error).  Wall time is CLOCK_MONOTONIC from just
 * before fork() to the end of wait4(); the peak RSS is the child's
 * ru_maxrss (kilobytes on Linux); CPU time is the child's user plus system
 * time, over all its threads (more than the wall time when it runs several
 * threads at once).  --stdout sends the child's standard
 * output to a file.  timeit exits with the child's exit status (128 + the
 * signal number if it was killed), or 127 if it could not run it.
 *
 * Part of graft's benchmark harness (tests/bench/run.sh); stands in for
 * /usr/bin/time -f "%e %M", which a fresh machine may lack. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* wait4 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
    fputs("usage: timeit [-o FILE] [--stdout FILE] -- COMMAND [ARG...]\n",
          stderr);
    exit(127);
}

int main(int argc, char **argv)
{
    const char *report = NULL, *out = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            report = argv[++i];
        } else if (strcmp(argv[i], "--stdout") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else {
            usage();
        }
    }
    if (i >= argc)
        usage();

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "timeit: fork: %s\n", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        if (out) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
                fprintf(stderr, "timeit: %s: %s\n", out, strerror(errno));
                _exit(127);
            }
            close(fd);
        }
        execvp(argv[i], argv + i);
        fprintf(stderr, "timeit: %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "timeit: wait4: %s\n", strerror(errno));
            return 127;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int code = WIFEXITED(status)     ? WEXITSTATUS(status)
               : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                     : 127;

    FILE *f = report ? fopen(report, "w") : stderr;
    if (!f) {
        fprintf(stderr, "timeit: %s: %s\n", report, strerror(errno));
        return 127;
    }
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    fprintf(f, "%.3f %ld %d %.3f\n", wall, (long)ru.ru_maxrss, code, cpu);
    if (report && fclose(f) != 0) {
        fprintf(stderr, "timeit: %s: %s\n", report, strerror(errno));
        return 127;
    }
    return code;
}
