/*
 * graft/output.h - output files that appear whole or not at all.
 *
 * graft_outfile_open() writes to a temporary file beside the target;
 * graft_outfile_commit() checks every write, closes and renames it into
 * place; graft_outfile_abort() removes it.  With path "-" or NULL the
 * stream is stdout, checked the same way and never closed.
 *
 * What an output path may be:
 *  - absent, or a regular file: written to a temporary beside it, renamed
 *    into place; a file replaced keeps its mode (a new one gets 0666 less
 *    the umask);
 *  - a symbolic link: written through to the file it resolves to (the
 *    temporary beside that file), the link is kept; a link to nothing is
 *    refused;
 *  - a character device or a FIFO (/dev/null, a named pipe): written
 *    directly, no temporary, no rename (tmp stays NULL);
 *  - a directory or any other kind of file: refused (GRAFT_ERR_WRITE).
 *
 * Temporaries.  Every temporary this process has open is remembered in a
 * process-wide registry (the library's one piece of global state) so that
 * a signal handler can remove them all: graft_tmp_remove_all().
 */
#ifndef GRAFT_OUTPUT_H
#define GRAFT_OUTPUT_H

#include <stdio.h>
#include <sys/types.h>
#include "graft/error.h"

typedef struct graft_outfile {
    FILE *fp;
    char *path;    /* target, NULL for stdout */
    char *tmp;     /* temporary file, NULL for stdout, a device or a FIFO */
} graft_outfile_t;

/* Open an output stream for PATH (see above for what PATH may be).  Fails
 * with GRAFT_ERR_WRITE, or GRAFT_ERR_NOMEM. */
graft_error_t graft_outfile_open(graft_outfile_t *of, const char *path,
                                 graft_diag_t *diag);
/* Flush, check, close and rename into place.  On failure the temporary is
 * removed and GRAFT_ERR_WRITE returned.  Always releases OF. */
graft_error_t graft_outfile_commit(graft_outfile_t *of, graft_diag_t *diag);
/* Commit OF after the writer that filled it returned WROTE.  When the
 * writer failed because the stream is in error (a full disk: its own
 * message names no file), the commit fails in its place and names the file
 * and the reason; any other failure of the writer is returned as it is,
 * OF discarded.  Always releases OF. */
graft_error_t graft_outfile_finish(graft_outfile_t *of, graft_error_t wrote,
                                   graft_diag_t *diag);
/* Discard the output (removes the temporary).  Accepts an unopened OF. */
void graft_outfile_abort(graft_outfile_t *of);

/* Remember PATH (a file, or a folder emptied before it is forgotten) as a
 * temporary of this process until graft_tmp_forget(PATH).  graft_outfile_open()
 * tracks its own temporary and forgets it on commit or abort.  Thread-safe.
 * Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_tmp_track(const char *path);
/* Forget PATH (one tracking of it); a path not tracked is ignored. */
void graft_tmp_forget(const char *path);
/* Remember PID, a child process that writes into a temporary (gnuplot
 * drawing a chart), until graft_tmp_forget_child(PID): left running, it
 * would write its file after the temporaries were removed.  Up to 16 at
 * once; fails only with GRAFT_ERR_NOMEM when that many are tracked. */
graft_error_t graft_tmp_track_child(pid_t pid);
void graft_tmp_forget_child(pid_t pid);
/* Send every tracked child SIGTERM and wait for it, then remove every
 * tracked temporary, newest first (unlink; rmdir for a folder).
 * Async-signal-safe: meant for a signal handler. */
void graft_tmp_remove_all(void);

#endif
