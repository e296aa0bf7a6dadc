/*
 * output.c - atomic output files: temporary + rename.
 */
#include "graft/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

graft_error_t graft_outfile_open(graft_outfile_t *of, const char *path,
                                 graft_diag_t *diag)
{
    memset(of, 0, sizeof *of);
    if (!path || strcmp(path, "-") == 0) {
        of->fp = stdout;
        return GRAFT_OK;
    }
    size_t n = strlen(path);
    of->path = malloc(n + 1);
    of->tmp = malloc(n + 16);
    if (!of->path || !of->tmp) {
        graft_outfile_abort(of);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                              "out of memory");
    }
    memcpy(of->path, path, n + 1);
    snprintf(of->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(of->tmp);
    if (fd < 0) {
        int e = errno;
        free(of->tmp);
        of->tmp = NULL;
        graft_outfile_abort(of);
        return graft_diag_set(diag, GRAFT_ERR_WRITE, path, 0, 0,
                              "cannot write: %s", strerror(e));
    }
    /* mkstemp makes 0600; give the file the mode fopen would. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    if (!(of->fp = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        graft_outfile_abort(of);
        return graft_diag_set(diag, GRAFT_ERR_WRITE, path, 0, 0,
                              "cannot write: %s", strerror(e));
    }
    return GRAFT_OK;
}

graft_error_t graft_outfile_commit(graft_outfile_t *of, graft_diag_t *diag)
{
    const char *name = of->path ? of->path : "<stdout>";
    int bad = fflush(of->fp) != 0 || ferror(of->fp);
    int e = errno;
    if (!of->path) {
        of->fp = NULL;
        if (bad)
            return graft_diag_set(diag, GRAFT_ERR_WRITE, name, 0, 0,
                                  "write error: %s", strerror(e));
        return GRAFT_OK;
    }
    if (fclose(of->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    of->fp = NULL;
    if (!bad && rename(of->tmp, of->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        graft_outfile_abort(of);
        return graft_diag_set(diag, GRAFT_ERR_WRITE, name, 0, 0,
                              "write error: %s", strerror(e));
    }
    free(of->tmp);
    free(of->path);
    memset(of, 0, sizeof *of);
    return GRAFT_OK;
}

void graft_outfile_abort(graft_outfile_t *of)
{
    if (of->fp && of->fp != stdout)
        fclose(of->fp);
    if (of->tmp)
        unlink(of->tmp);
    free(of->tmp);
    free(of->path);
    memset(of, 0, sizeof *of);
}
