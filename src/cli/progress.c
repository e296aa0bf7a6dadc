/*
 * progress.c - a progress line on stderr for long inputs, when stderr is
 * a terminal: percent of bytes read and rows per second.
 */
#include "cli.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void show(void *arg, size_t bytes, size_t total, size_t rows)
{
    cli_progress_t *p = arg;
    double t = now();
    if (p->start == 0)
        p->start = t;
    if (total < (16u << 20) || (t - p->last < 0.2 && bytes < total))
        return;
    p->last = t;
    p->shown = 1;
    double secs = t - p->start > 1e-6 ? t - p->start : 1e-6;
    fprintf(stderr, "\rgraft: %3.0f %% of %.1f MB, %zu rows, %.2f M rows/s  ",
            total ? 100.0 * (double)bytes / (double)total : 0.0,
            (double)total / 1e6, rows, (double)rows / secs / 1e6);
    if (bytes >= total) { /* read whole: clear the line for the output */
        fputs("\r\033[K", stderr);
        p->shown = 0;
    }
    fflush(stderr);
}

void cli_progress_attach(cli_progress_t *p, graft_read_opts_t *read)
{
    /* Only worth it for a terminal and a big file (>= 16 MB). */
    if (!isatty(STDERR_FILENO))
        return;
    p->start = p->last = 0;
    p->shown = 0;
    read->progress = show;
    read->progress_arg = p;
}

void cli_progress_done(cli_progress_t *p)
{
    if (p->shown)
        fputs("\r\033[K", stderr);
    p->shown = 0;
}
