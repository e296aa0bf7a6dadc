/*
 * run_dir.c - the output folder of `graft run`, replaced whole or not at
 * all (see run_dir.h).
 */
#define _GNU_SOURCE
#include "run_dir.h"
#include "graft/output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_SUFFIX ".tmp.XXXXXX"
#define OLD_SUFFIX ".old.XXXXXX"

/* ---- small helpers ---------------------------------------------------- */

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 2);
    if (s) {
        memcpy(s, a, na);
        s[na] = '/';
        memcpy(s + na + 1, b, nb + 1);
    }
    return s;
}

static graft_error_t nomem(graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

/* Block the signals that remove temporaries (between creating a
 * temporary and tracking it), or restore OLD. */
static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, old);
}

/* Track PATH (owned by D from now on) as a temporary of this process. */
static graft_error_t track(run_dir_t *d, char *path, graft_diag_t *diag)
{
    if (!path)
        return nomem(diag);
    char **t = realloc(d->tracked, (d->n_tracked + 1) * sizeof *t);
    if (!t) {
        free(path);
        return nomem(diag);
    }
    d->tracked = t;
    d->tracked[d->n_tracked++] = path;
    if (graft_tmp_track(path) != GRAFT_OK)
        return nomem(diag);
    return GRAFT_OK;
}

/* Track BASE/NAME for each of NAMES. */
static graft_error_t track_names(run_dir_t *d, const char *base,
                                 const char *const *names, size_t n,
                                 graft_diag_t *diag)
{
    graft_error_t rc = GRAFT_OK;
    for (size_t i = 0; i < n && rc == GRAFT_OK; i++)
        rc = track(d, join(base, names[i]), diag);
    return rc;
}

static void forget_all(run_dir_t *d)
{
    for (size_t i = d->n_tracked; i-- > 0;) {
        graft_tmp_forget(d->tracked[i]);
        free(d->tracked[i]);
    }
    free(d->tracked);
    d->tracked = NULL;
    d->n_tracked = 0;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Remove the tree at PATH without following symbolic links. */
static void remove_tree(const char *path)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- what graft run writes -------------------------------------------- */

static const char *const top_names[] = {
    RUN_DIR_MARKER, "estimates.csv", "comparisons.csv", "comparisons.json",
    "trend.csv",    "plan.csv",      "report.md",     "report.html",
    "tables.xlsx"};

/* ROUND_weighted.csv, ROUND_weighted.ini, ROUND_weighting.txt: the rounds
 * [weighting] calibrates (run_weight.h). */
static const char *const weight_suffixes[] = {
    "_weighted.csv", "_weighted.ini", "_weighting.txt"};

static int is_top_name(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof top_names / sizeof *top_names; i++)
        if (strcmp(name, top_names[i]) == 0)
            return 1;
    /* model_NAME.csv: a [model.NAME]'s table */
    if (n > 10 && strncmp(name, "model_", 6) == 0 &&
        strcmp(name + n - 4, ".csv") == 0)
        return 1;
    for (size_t i = 0; i < sizeof weight_suffixes / sizeof *weight_suffixes;
         i++) {
        size_t k = strlen(weight_suffixes[i]);
        if (n > k && strcmp(name + n - k, weight_suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

static int is_chart_name(const char *name)
{
    static const char *const ext[] = {".svg", ".png", ".gp", ".dat"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && strcmp(name + n - k, ext[i]) == 0)
            return 1;
    }
    return 0;
}

typedef struct listing {
    char **names; /* relative paths, charts/ ones after "charts" itself */
    size_t n;
    int marked;   /* RUN_DIR_MARKER is there */
    char *foreign; /* the first entry graft run does not write, or NULL */
} listing_t;

static void listing_free(listing_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->foreign);
    memset(l, 0, sizeof *l);
}

static int listing_add(listing_t *l, const char *name)
{
    char **t = realloc(l->names, (l->n + 1) * sizeof *t);
    if (!t)
        return -1;
    l->names = t;
    if (!(l->names[l->n] = strdup(name)))
        return -1;
    l->n++;
    return 0;
}

/* The entries of DIR/SUB (SUB "" for DIR itself) into L: those graft run
 * writes (regular files, and the charts/ folder), or the first other one
 * in L->foreign.  0, or -1 with errno set. */
static int list(const char *dir, const char *sub, listing_t *l)
{
    char *path = *sub ? join(dir, sub) : strdup(dir);
    DIR *dp = path ? opendir(path) : NULL;
    int rc = dp ? 0 : -1;
    struct dirent *e;
    while (rc == 0 && !l->foreign && (errno = 0, e = readdir(dp))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *rel = *sub ? join(sub, e->d_name) : strdup(e->d_name);
        char *full = rel ? join(dir, rel) : NULL;
        struct stat st;
        if (!full || lstat(full, &st) != 0) {
            rc = -1;
        } else if (!*sub && strcmp(e->d_name, "charts") == 0 &&
                   S_ISDIR(st.st_mode)) {
            rc = listing_add(l, rel);
            if (rc == 0)
                rc = list(dir, rel, l);
        } else if (S_ISREG(st.st_mode) &&
                   (*sub ? is_chart_name(e->d_name)
                         : is_top_name(e->d_name))) {
            l->marked |= !*sub && strcmp(e->d_name, RUN_DIR_MARKER) == 0;
            rc = listing_add(l, rel);
        } else {
            l->foreign = rel;
            rel = NULL;
        }
        free(rel);
        free(full);
    }
    if (rc == 0 && !l->foreign && errno != 0)
        rc = -1;
    int e_saved = errno;
    if (dp)
        closedir(dp);
    free(path);
    errno = e_saved;
    return rc;
}

/* Can DIR, which exists (ST), be replaced?  Fills L with what it holds. */
static graft_error_t check_existing(const char *dir, const struct stat *st,
                                    listing_t *l, graft_diag_t *diag)
{
    memset(l, 0, sizeof *l);
    if (S_ISLNK(st->st_mode))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, dir, 0, 0,
                              "the output folder is a symbolic link: give "
                              "the folder it points to");
    if (!S_ISDIR(st->st_mode))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, dir, 0, 0,
                              "not a folder: graft run writes a folder "
                              "(-o DIR)");
    if (list(dir, "", l) != 0) {
        int e = errno;
        listing_free(l);
        if (e == ENOMEM)
            return nomem(diag);
        return graft_diag_set(diag, GRAFT_ERR_WRITE, dir, 0, 0,
                              "cannot read the folder: %s", strerror(e));
    }
    if (l->foreign)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, dir, 0, 0,
                              "holds '%s', which graft run does not write: "
                              "refusing to replace the folder (graft run "
                              "replaces its output folder as a whole); move "
                              "it or choose another folder",
                              l->foreign);
    if (l->n && !l->marked)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, dir, 0, 0,
                              "was not written by graft run (no %s file): "
                              "refusing to replace the folder (graft run "
                              "replaces its output folder as a whole); "
                              "remove it or choose another folder",
                              RUN_DIR_MARKER);
    return GRAFT_OK;
}

/* ---- checking ----------------------------------------------------------- */

static graft_error_t too_long(const char *dir, graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_USAGE, dir, 0, 0, "path too long");
}

/* DIR plus every NAME (with the temporaries' suffixes) within PATH_MAX,
 * each file name within NAME_MAX. */
static graft_error_t check_lengths(const char *dir, const char *const *names,
                                   size_t n, graft_diag_t *diag)
{
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    size_t suffix = strlen(TMP_SUFFIX);
    if (strlen(base) + suffix > NAME_MAX)
        return too_long(dir, diag);
    for (size_t i = 0; i < n; i++) {
        const char *leaf = strrchr(names[i], '/');
        leaf = leaf ? leaf + 1 : names[i];
        /* DIR.tmp.XXXXXX/NAME.tmp.XXXXXX and its NUL */
        if (strlen(dir) + suffix + 1 + strlen(names[i]) + suffix + 1 >
                PATH_MAX ||
            strlen(leaf) + suffix > NAME_MAX)
            return too_long(dir, diag);
    }
    return GRAFT_OK;
}

/* The nearest existing ancestor of D->dir must be a folder we can write
 * in; D->made is set to the outermost folder that will be created. */
static graft_error_t check_parent(run_dir_t *d, graft_diag_t *diag)
{
    char *p = strdup(d->parent);
    if (!p)
        return nomem(diag);
    struct stat st;
    int e = 0;
    for (;;) {
        if (stat(p, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                e = ENOTDIR;
            else if (access(p, W_OK | X_OK) != 0)
                e = errno;
            break;
        }
        if (errno != ENOENT || strcmp(p, ".") == 0 || strcmp(p, "/") == 0) {
            e = errno;
            break;
        }
        char *slash = strrchr(p, '/');
        while (slash && slash > p && slash[-1] == '/')
            slash--;
        if (!slash || slash == p) {
            /* a relative first component, or "/x": on to . or / */
            char *up = strdup(slash ? "/" : ".");
            free(p);
            if (!(p = up))
                return nomem(diag);
        } else {
            *slash = '\0';
        }
    }
    free(p);
    return e ? graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                              "cannot create the folder: %s", strerror(e))
             : GRAFT_OK;
}

graft_error_t run_dir_check(run_dir_t *d, const char *dir,
                            const char *const *names, size_t n,
                            graft_diag_t *diag)
{
    memset(d, 0, sizeof *d);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (!(d->dir = strndup(dir, len)))
        return nomem(diag);
    const char *slash = strrchr(d->dir, '/');
    const char *base = slash ? slash + 1 : d->dir;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, dir, 0, 0,
                              "graft run writes a folder of its own, "
                              "replaced as a whole: name it (-o DIR), not "
                              "'.', '..' or '/'");
    d->parent = slash ? strndup(d->dir, (size_t)(slash - d->dir) + (slash ==
                                                                     d->dir))
                      : strdup(".");
    if (!d->parent)
        return nomem(diag);
    graft_error_t rc = check_lengths(d->dir, names, n, diag);
    if (rc != GRAFT_OK)
        return rc;
    struct stat st;
    if (lstat(d->dir, &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            return graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                                  "cannot create the folder: %s",
                                  strerror(errno));
        return check_parent(d, diag);
    }
    listing_t l;
    rc = check_existing(d->dir, &st, &l, diag);
    listing_free(&l);
    if (rc == GRAFT_OK && access(d->parent, W_OK | X_OK) != 0)
        rc = graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                            "cannot replace the folder: %s",
                            strerror(errno));
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* mkdir -p D->parent, remembering the outermost folder made. */
static graft_error_t make_parents(run_dir_t *d, graft_diag_t *diag)
{
    char *p = strdup(d->parent);
    if (!p)
        return nomem(diag);
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) == 0) {
            if (!d->made && !(d->made = strdup(p))) {
                free(p);
                return nomem(diag);
            }
        } else if (errno != EEXIST) {
            int e = errno;
            free(p);
            return graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                                  "cannot create the folder: %s",
                                  strerror(e));
        }
        if (!(*s = c))
            break;
    }
    free(p);
    return GRAFT_OK;
}

static graft_error_t write_marker(const run_dir_t *d, graft_diag_t *diag)
{
    char *path = run_dir_path(d, RUN_DIR_MARKER);
    FILE *fp = path ? fopen(path, "w") : NULL;
    int bad = !fp;
    if (fp) {
        fputs("This folder was written by graft run.  The next graft run "
              "into it\nreplaces it as a whole; graft refuses to replace "
              "a folder without\nthis file or with files graft run does "
              "not write.\n",
              fp);
        bad = ferror(fp) | (fclose(fp) != 0);
    }
    graft_error_t rc = !path  ? nomem(diag)
                       : bad ? graft_diag_set(diag, GRAFT_ERR_WRITE, path, 0,
                                              0, "write error: %s",
                                              strerror(errno))
                             : GRAFT_OK;
    free(path);
    return rc;
}

graft_error_t run_dir_begin(run_dir_t *d, const char *const *names, size_t n,
                            graft_diag_t *diag)
{
    graft_error_t rc;
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    mode_t mode = lstat(d->dir, &st) == 0 ? st.st_mode & 07777 : 0777 & ~mask;
    if ((rc = make_parents(d, diag)) != GRAFT_OK)
        return rc;
    size_t len = strlen(d->dir);
    char *tmp = malloc(len + sizeof TMP_SUFFIX);
    if (!tmp)
        return nomem(diag);
    memcpy(tmp, d->dir, len);
    memcpy(tmp + len, TMP_SUFFIX, sizeof TMP_SUFFIX);
    sigset_t old;
    block_signals(&old);
    if (!mkdtemp(tmp)) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        free(tmp);
        return graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                              "cannot create the folder: %s", strerror(e));
    }
    if (!(d->tmp = strdup(tmp))) {
        rmdir(tmp);
        free(tmp);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return nomem(diag);
    }
    rc = track(d, tmp, diag); /* TMP is D's from here */
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rc != GRAFT_OK)
        return rc;
    static const char *const charts = "charts";
    if ((rc = track_names(d, d->tmp, &charts, 1, diag)) != GRAFT_OK ||
        (rc = track_names(d, d->tmp, top_names, 1, diag)) != GRAFT_OK ||
        (rc = track_names(d, d->tmp, names, n, diag)) != GRAFT_OK)
        return rc;
    char *dir = run_dir_path(d, "charts");
    int bad = !dir || mkdir(dir, 0777) != 0 || chmod(d->tmp, mode) != 0;
    int e = errno;
    free(dir);
    if (bad)
        return graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                              "cannot create the folder: %s", strerror(e));
    return write_marker(d, diag);
}

char *run_dir_path(const run_dir_t *d, const char *name)
{
    return join(d->tmp, name);
}

void run_dir_diag(const run_dir_t *d, graft_diag_t *diag)
{
    size_t n = d->tmp ? strlen(d->tmp) : 0;
    if (!n || strncmp(diag->file, d->tmp, n) != 0 ||
        (diag->file[n] != '/' && diag->file[n] != '\0'))
        return;
    char *name = malloc(strlen(d->dir) + strlen(diag->file + n) + 1);
    if (!name)
        return;
    strcpy(name, d->dir);
    strcat(name, diag->file + n);
    snprintf(diag->file, sizeof diag->file, "%s", name);
    free(name);
}

/* ---- the swap ----------------------------------------------------------- */

/* Without RENAME_EXCHANGE: DIR moves aside to DIR.old.XXXXXX (replacing
 * the empty folder mkdtemp made), the run takes its place, the old one
 * is removed.  DIR is absent for the moment between the two renames. */
static graft_error_t swap_by_renames(run_dir_t *d, const listing_t *l,
                                     graft_diag_t *diag)
{
    size_t len = strlen(d->dir);
    char *old = malloc(len + sizeof OLD_SUFFIX);
    if (!old)
        return nomem(diag);
    memcpy(old, d->dir, len);
    memcpy(old + len, OLD_SUFFIX, sizeof OLD_SUFFIX);
    sigset_t mask;
    block_signals(&mask);
    char *made = mkdtemp(old);
    graft_error_t rc = made ? track(d, old, diag) : GRAFT_OK;
    sigprocmask(SIG_SETMASK, &mask, NULL);
    if (!made) {
        int e = errno;
        free(old);
        return graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                              "cannot replace the folder: %s", strerror(e));
    }
    if (rc == GRAFT_OK)
        rc = track_names(d, old, (const char *const *)l->names, l->n, diag);
    if (rc != GRAFT_OK)
        return rc;
    if (rename(d->dir, old) != 0)
        return graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                              "cannot replace the folder: %s",
                              strerror(errno));
    if (rename(d->tmp, d->dir) != 0) {
        int e = errno;
        (void)rename(old, d->dir);
        return graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                              "cannot replace the folder: %s", strerror(e));
    }
    remove_tree(old);
    return GRAFT_OK;
}

/* D->dir exists: exchange it with the run, then remove the old one. */
static graft_error_t swap(run_dir_t *d, const struct stat *st,
                          graft_diag_t *diag)
{
    listing_t l;
    graft_error_t rc = check_existing(d->dir, st, &l, diag);
    /* after the exchange the old files are at the private folder's path */
    if (rc == GRAFT_OK)
        rc = track_names(d, d->tmp, (const char *const *)l.names, l.n, diag);
    if (rc == GRAFT_OK) {
        if (renameat2(AT_FDCWD, d->tmp, AT_FDCWD, d->dir, RENAME_EXCHANGE) ==
            0)
            remove_tree(d->tmp);
        else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
            rc = swap_by_renames(d, &l, diag);
        else
            rc = graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                                "cannot replace the folder: %s",
                                strerror(errno));
    }
    listing_free(&l);
    return rc;
}

graft_error_t run_dir_commit(run_dir_t *d, graft_diag_t *diag)
{
    graft_error_t rc = GRAFT_OK;
    struct stat st;
    /* one run at a time puts its folder in place (flock: released by the
     * kernel however the process ends).  Where a folder cannot be locked
     * (some network filesystems) the exchange itself is still atomic. */
    int lock = open(d->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int locked = lock >= 0 && flock(lock, LOCK_EX) == 0;
    if (!locked && (lock < 0 || (errno != ENOLCK && errno != EOPNOTSUPP &&
                                 errno != EBADF && errno != EINVAL))) {
        rc = graft_diag_set(diag, GRAFT_ERR_WRITE, d->parent, 0, 0,
                            "cannot lock the folder: %s", strerror(errno));
    } else if (lstat(d->dir, &st) == 0) {
        rc = swap(d, &st, diag);
    } else if (errno != ENOENT || rename(d->tmp, d->dir) != 0) {
        rc = graft_diag_set(diag, GRAFT_ERR_WRITE, d->dir, 0, 0,
                            "cannot create the folder: %s", strerror(errno));
    }
    if (rc == GRAFT_OK) {
        forget_all(d);
        free(d->tmp);
        d->tmp = NULL;
        free(d->made);
        d->made = NULL;
    }
    if (lock >= 0)
        close(lock);
    return rc;
}

void run_dir_free(run_dir_t *d)
{
    if (d->tmp)
        remove_tree(d->tmp);
    forget_all(d);
    if (d->made && d->parent) {
        /* the parents this run made, innermost first, up to D->made */
        char *p = strdup(d->parent);
        size_t stop = strlen(d->made);
        while (p && strlen(p) >= stop && rmdir(p) == 0) {
            char *slash = strrchr(p, '/');
            if (!slash || strlen(p) == stop)
                break;
            *slash = '\0';
        }
        free(p);
    }
    free(d->tmp);
    free(d->made);
    free(d->parent);
    free(d->dir);
    memset(d, 0, sizeof *d);
}
