/*
 * run_dir.h - the output folder of `graft run`, replaced whole or not at
 * all.
 *
 * The run is written into a private folder beside DIR (DIR.tmp.XXXXXX,
 * on the same filesystem), which takes DIR's place only when every file
 * in it is complete: one atomic exchange of the two folders (Linux
 * renameat2 RENAME_EXCHANGE; elsewhere two renames), under a lock on
 * DIR's parent folder so that two runs finishing together replace DIR
 * one after the other.  Nothing is ever read back from DIR.
 *
 * DIR is replaced as a whole, so graft replaces only a folder that holds
 * nothing but its own outputs: absent, empty, or marked with the file
 * RUN_DIR_MARKER that every run writes and holding only the names a run
 * writes.  Any other folder is refused before anything is read.
 *
 * Every path of the private folder is tracked (graft_tmp_track) so that
 * a run killed by SIGINT, SIGTERM or SIGHUP leaves nothing behind.
 */
#ifndef GRAFT_CLI_RUN_DIR_H
#define GRAFT_CLI_RUN_DIR_H

#include "graft.h"

#define RUN_DIR_MARKER ".graft-run"

typedef struct run_dir {
    char *dir;        /* DIR as given, without trailing slashes */
    char *parent;     /* the folder holding DIR ("." when none is named) */
    char *tmp;        /* the private folder, once begun */
    char *made;       /* the outermost ancestor of DIR this run created */
    char **tracked;   /* every path given to graft_tmp_track */
    size_t n_tracked;
} run_dir_t;

/* Check DIR before anything is read: its paths (DIR plus each of NAMES,
 * the relative paths the run writes, plus the temporaries' suffixes) fit
 * in PATH_MAX and every file name in NAME_MAX (GRAFT_ERR_USAGE "path too
 * long"); DIR is absent, empty, or a folder of graft run's
 * (GRAFT_ERR_USAGE naming a file that is not); the folder that will hold
 * it can be written (GRAFT_ERR_WRITE).  Fills D (run_dir_free). */
graft_error_t run_dir_check(run_dir_t *d, const char *dir,
                            const char *const *names, size_t n,
                            graft_diag_t *diag);

/* Create DIR's parent folders, the private folder with its charts/
 * folder and the marker, and track them with NAMES (the relative paths
 * the run will write).  GRAFT_ERR_WRITE or GRAFT_ERR_NOMEM. */
graft_error_t run_dir_begin(run_dir_t *d, const char *const *names, size_t n,
                            graft_diag_t *diag);

/* NAME inside the private folder, malloc'd (NULL when out of memory). */
char *run_dir_path(const run_dir_t *d, const char *name);

/* A diagnostic naming a file of the private folder names it in DIR
 * instead (the user never sees the private folder's name). */
void run_dir_diag(const run_dir_t *d, graft_diag_t *diag);

/* Put the private folder in DIR's place and remove what DIR held.  DIR
 * is checked again under the lock (GRAFT_ERR_USAGE when it now holds
 * other files); GRAFT_ERR_WRITE when it cannot be replaced (DIR is then
 * as it was). */
graft_error_t run_dir_commit(run_dir_t *d, graft_diag_t *diag);

/* Remove the private folder and the parents this run created; release
 * D.  Safe after run_dir_commit and on a zeroed D. */
void run_dir_free(run_dir_t *d);

#endif
