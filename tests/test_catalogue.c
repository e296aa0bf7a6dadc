/*
 * test_catalogue.c - the bad-input catalogue: every case of every
 * tests/catalogue/ *.tsv file, one cmocka test per case.
 *
 * A case is one TAB-separated line (a line starting with '#' is a
 * comment):
 *
 *     ID <TAB> EXIT <TAB> MESSAGE-FRAGMENT <TAB> SETUP <TAB> ARGS
 *
 * SETUP ('-' for none) runs under /bin/sh -c from the repository root
 * with $T a fresh private folder; it makes the hostile input.  Then
 * `$GRAFT_WRAP $GRAFT_BIN ARGS` runs under /bin/sh -c the same way (ARGS
 * is parsed by the shell: quoting works, $T expands).  A case passes when
 *   - graft ends within the time limit (killed after it: a hang fails);
 *   - its exit code is EXIT;
 *   - its stderr contains MESSAGE-FRAGMENT ('-' for no check; for EXIT 0,
 *     its stdout or its stderr, so that a case can pin a number);
 *   - for EXIT != 0, its stderr is exactly one line starting "graft: ",
 *     besides lines starting "graft: warning: ";
 *   - for EXIT != 0, $T holds no file that SETUP did not make (no partial
 *     output), and in any case no "*.tmp.*" file.
 *
 * Environment: GRAFT_BIN (else ./graft); GRAFT_WRAP, a command put in
 * front of graft (make memcheck: valgrind), except for the cases whose id
 * ends in "_big" (megabytes of input: hours under valgrind), which run
 * unwrapped with a visible note; GRAFT_CATALOGUE, run only the
 * cases whose id contains it; GRAFT_CATALOGUE_TIMEOUT, seconds per case
 * (default 60, 600 under GRAFT_WRAP).
 *
 * The cases that need root (a small full tmpfs for charts and reports)
 * are in test_catalogue_fault.c.
 */
#define _GNU_SOURCE
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* One line of a .tsv file. */
typedef struct cat_case {
    char where[300]; /* tests/catalogue/x.tsv:LINE */
    char *id;
    int exit_code;
    char *fragment; /* NULL: no check */
    char *setup;    /* NULL: none */
    char *args;
    char *line; /* the whole line, owning the fields above */
} cat_case_t;

/* ---- running a shell command ------------------------------------------- */

/* Run `/bin/sh -c CMD` with T=TDIR in the environment, stdin from
 * /dev/null, stdout and stderr into OUT and ERR; kill its process group
 * after LIMIT seconds.  Returns the exit code, 128 + signal, or -1 when it
 * timed out (and was killed). */
static int cat_sh(const char *cmd, const char *tdir, const char *out,
                  const char *err, double limit)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY);
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || o < 0 || e < 0)
            _exit(126);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        close(in);
        close(o);
        close(e);
        setenv("T", tdir, 1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid); /* both sides, so kill(-pid) cannot miss */
    struct timespec t0, now, nap = {0, 5 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        assert_true(r == 0 || (r < 0 && errno == EINTR));
        clock_gettime(CLOCK_MONOTONIC, &now);
        double used = (double)(now.tv_sec - t0.tv_sec) +
                      (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        if (used > limit) {
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        nanosleep(&nap, NULL);
        if (nap.tv_nsec < 100 * 1000 * 1000)
            nap.tv_nsec *= 2;
    }
    kill(-pid, SIGKILL); /* anything it left running (gnuplot) */
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- the files in $T ------------------------------------------------- */

/* Append to LIST (a "\n"-joined text) every path under DIR, relative to
 * ROOT_LEN, depth first; count "*.tmp.*" names into *TMPS. */
static void cat_list(const char *dir, size_t root_len, test_text_t *list,
                     int *tmps)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        test_text_adds(list, path + root_len);
        test_text_adds(list, "\n");
        if (strstr(e->d_name, ".tmp."))
            (*tmps)++;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            cat_list(path, root_len, list, tmps);
    }
    closedir(d);
}

/* The listing of DIR as a fresh string; *TMPS counts "*.tmp.*" names. */
static char *cat_listing(const char *dir, int *tmps)
{
    test_text_t list = {0};
    *tmps = 0;
    cat_list(dir, strlen(dir) + 1, &list, tmps);
    test_text_adds(&list, "");
    return list.s;
}

/* ---- one case -------------------------------------------------------- */

static double cat_limit(void)
{
    const char *t = getenv("GRAFT_CATALOGUE_TIMEOUT");
    if (t && *t)
        return atof(t);
    const char *wrap = getenv("GRAFT_WRAP");
    return wrap && *wrap ? 600 : 60;
}

/* The number of lines of ERR that are not "graft: warning: " lines, and
 * whether each of them starts with "graft: ". */
static size_t cat_error_lines(const char *err, int *all_graft)
{
    size_t n = 0;
    *all_graft = 1;
    for (const char *p = err; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, "graft: warning: ", 16) != 0 || len < 16) {
            n++;
            if (strncmp(p, "graft: ", 7) != 0)
                *all_graft = 0;
        }
        p += len + (nl != NULL);
    }
    return n;
}

static void cat_run(void **state)
{
    const cat_case_t *c = *state;
    char tdir[600], out[600], err[600];
    snprintf(tdir, sizeof tdir, "%s/case_%s", test_tmp_dir(), c->id);
    snprintf(out, sizeof out, "%s/stdout_%s", test_tmp_dir(), c->id);
    snprintf(err, sizeof err, "%s/stderr_%s", test_tmp_dir(), c->id);
    test_remove_tree(tdir);
    assert_int_equal(mkdir(tdir, 0700), 0);
    double limit = cat_limit();

    if (c->setup) {
        int rc = cat_sh(c->setup, tdir, out, err, limit);
        if (rc != 0) {
            char *e = test_slurp(err, NULL);
            print_error("%s: %s: SETUP failed (exit %d): %s\n%s\n", c->where,
                        c->id, rc, c->setup, e ? e : "");
            free(e);
            test_remove_tree(tdir);
            fail();
        }
    }
    int tmps0;
    char *before = cat_listing(tdir, &tmps0);

    const char *bin = getenv("GRAFT_BIN") ? getenv("GRAFT_BIN") : "./graft";
    const char *wrap = getenv("GRAFT_WRAP") ? getenv("GRAFT_WRAP") : "";
    size_t id_len = strlen(c->id);
    if (*wrap && id_len > 4 && strcmp(c->id + id_len - 4, "_big") == 0) {
        printf("NOTE %s: runs without GRAFT_WRAP (too big for it)\n", c->id);
        wrap = "";
    }
    size_t len = strlen(wrap) + strlen(bin) + strlen(c->args) + 16;
    char *cmd = malloc(len);
    assert_non_null(cmd);
    snprintf(cmd, len, "exec %s '%s' %s", wrap, bin, c->args);
    int rc = cat_sh(cmd, tdir, out, err, limit);
    free(cmd);

    char *e = test_slurp(err, NULL);
    if (!e)
        e = strdup("");
    char *o = test_slurp(out, NULL);
    int tmps;
    char *after = cat_listing(tdir, &tmps);
    test_text_t why = {0};
    char buf[700];
    if (rc < 0) {
        snprintf(buf, sizeof buf, "killed after %.0f s (a hang?)\n", limit);
        test_text_adds(&why, buf);
    } else if (rc != c->exit_code) {
        snprintf(buf, sizeof buf, "exit %d, expected %d\n", rc, c->exit_code);
        test_text_adds(&why, buf);
    }
    if (c->fragment && !strstr(e, c->fragment) &&
        !(c->exit_code == 0 && o && strstr(o, c->fragment))) {
        snprintf(buf, sizeof buf, "%s lacks \"%s\"\n",
                 c->exit_code ? "stderr" : "stdout and stderr", c->fragment);
        test_text_adds(&why, buf);
    }
    int all_graft;
    size_t lines = cat_error_lines(e, &all_graft);
    if (c->exit_code != 0 && (lines != 1 || !all_graft)) {
        snprintf(buf, sizeof buf,
                 "stderr is %zu line(s)%s, expected one 'graft: ' line\n",
                 lines, all_graft ? "" : " not all starting 'graft: '");
        test_text_adds(&why, buf);
    }
    if (c->exit_code != 0 && strcmp(before, after) != 0) {
        test_text_adds(&why, "files in $T changed; before:\n");
        test_text_adds(&why, before);
        test_text_adds(&why, "after:\n");
        test_text_adds(&why, after);
    }
    if (tmps > tmps0) {
        test_text_adds(&why, "a *.tmp.* file is left in $T:\n");
        test_text_adds(&why, after);
    }
    test_text_adds(&why, "");
    int failed = why.s[0] != '\0';
    if (failed)
        print_error("%s: %s: %s\n  setup: %s\n  args:  %s\n  stderr: %.2000s\n",
                    c->where, c->id, why.s, c->setup ? c->setup : "-",
                    c->args, e);
    free(why.s);
    free(before);
    free(after);
    free(e);
    free(o);
    unlink(out);
    unlink(err);
    test_remove_tree(tdir);
    if (failed)
        fail();
}

/* ---- reading the .tsv files ------------------------------------------ */

static int cat_id_ok(const char *id)
{
    if (!*id)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

/* Split LINE (owned by C) into C's fields; 0 when it is malformed, with
 * the reason printed. */
static int cat_parse(cat_case_t *c, char *line)
{
    char *f[5];
    size_t n = 0;
    for (char *p = line; n < 5;) {
        f[n++] = p;
        char *tab = n < 5 ? strchr(p, '\t') : NULL;
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    if (n != 5) {
        print_error("%s: expected 5 TAB-separated fields, got %zu\n", c->where,
                    n);
        return 0;
    }
    char *end;
    long code = strtol(f[1], &end, 10);
    if (!cat_id_ok(f[0]) || *end || end == f[1] || code < 0 || code > 255) {
        print_error("%s: bad id '%s' or exit code '%s'\n", c->where, f[0],
                    f[1]);
        return 0;
    }
    c->line = line;
    c->id = f[0];
    c->exit_code = (int)code;
    c->fragment = strcmp(f[2], "-") == 0 ? NULL : f[2];
    c->setup = strcmp(f[3], "-") == 0 ? NULL : f[3];
    c->args = f[4];
    return 1;
}

/* Read every case of PATH into *CASES (*N of *CAP); count malformed
 * lines into *BAD. */
static void cat_read(const char *path, cat_case_t **cases, size_t *n,
                     size_t *cap, int *bad)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *line = NULL;
    size_t size = 0;
    ssize_t got;
    size_t lineno = 0;
    while ((got = getline(&line, &size, fp)) >= 0) {
        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (got == 0 || line[0] == '#')
            continue;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 64;
            *cases = realloc(*cases, *cap * sizeof **cases);
            assert_non_null(*cases);
        }
        cat_case_t *c = &(*cases)[*n];
        memset(c, 0, sizeof *c);
        snprintf(c->where, sizeof c->where, "%s:%zu", path, lineno);
        char *own = strdup(line);
        assert_non_null(own);
        if (!cat_parse(c, own)) {
            free(own);
            (*bad)++;
            continue;
        }
        for (size_t i = 0; i < *n; i++)
            if (strcmp((*cases)[i].id, c->id) == 0) {
                print_error("%s: id '%s' already used at %s\n", c->where,
                            c->id, (*cases)[i].where);
                (*bad)++;
            }
        (*n)++;
    }
    free(line);
    fclose(fp);
}

/* A malformed catalogue fails visibly. */
static void cat_malformed(void **state)
{
    (void)state;
    fail_msg("the catalogue has malformed lines (see above)");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    glob_t g;
    int grc = glob("tests/catalogue/*.tsv", 0, NULL, &g);
    if (grc != 0) {
        fprintf(stderr, "test_catalogue: no tests/catalogue/*.tsv (run from "
                        "the repository root)\n");
        return 1;
    }
    cat_case_t *cases = NULL;
    size_t n = 0, cap = 0;
    int bad = 0;
    for (size_t i = 0; i < g.gl_pathc; i++)
        cat_read(g.gl_pathv[i], &cases, &n, &cap, &bad);
    globfree(&g);

    const char *only = getenv("GRAFT_CATALOGUE");
    struct CMUnitTest *tests = calloc(n + 1, sizeof *tests);
    assert_non_null(tests);
    size_t k = 0;
    if (bad)
        tests[k++] = (struct CMUnitTest){"catalogue_malformed",
                                         cat_malformed, NULL, NULL, NULL};
    for (size_t i = 0; i < n; i++) {
        if (only && *only && !strstr(cases[i].id, only))
            continue;
        tests[k++] = (struct CMUnitTest){cases[i].id, cat_run, NULL, NULL,
                                         &cases[i]};
    }
    int rc = _cmocka_run_group_tests("catalogue", tests, k, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(cases[i].line);
    free(cases);
    free(tests);
    return rc;
}
