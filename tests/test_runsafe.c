/*
 * test_runsafe.c - `graft run` is all or nothing (issue 13, items 13, 14
 * and 15): a failed run leaves its folder exactly as it was, a folder
 * holding other files is refused, two runs into one folder at once leave
 * one of them whole, a killed run leaves no temporary, and output paths
 * longer than 1,200 bytes work up to PATH_MAX (longer ones are an error
 * before anything is written).
 */
#define _GNU_SOURCE
#include "test_util.h"

#include "test_spawn.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <time.h>

static spawn_result_t R;

/* ---- fixtures ----------------------------------------------------------- */

/* An analysis by BY (zone or sex) with one bar chart and one dumbbell
 * named after BY, its rounds ROUND1 and ROUND2 (absolute paths). */
static const char *write_analysis(const char *name, const char *by,
                                  const char *round1, const char *round2)
{
    char text[3 * PATH_MAX];
    snprintf(text, sizeof text,
             "[analysis]\ntitle = Police by %s\nby = %s\n\n"
             "[indicator.police]\ntype = prop\nexpr = paid_police == 1\n"
             "among = contact_police == 1\n\n"
             "[rounds]\nround1 = %s\nround2 = %s\n\n"
             "[compare]\nbaseline = round1\nfollowups = round2\n\n"
             "[trend]\nrounds = all\n\n"
             "[chart.police_by_%s]\nkind = bar\nindicator = police\nby = %s\n"
             "round = round2\n\n"
             "[chart.police_change_%s]\nkind = dumbbell\nindicator = police\n"
             "by = %s\n",
             by, by, round1, round2, by, by, by, by);
    const char *path = test_tmp(name);
    test_write_file(path, text);
    return path;
}

static char ROUND1[PATH_MAX], ROUND2[PATH_MAX];

static const char *zone_ini(void)
{
    return write_analysis("zone.ini", "zone", ROUND1, ROUND2);
}

static const char *sex_ini(void)
{
    return write_analysis("sex.ini", "sex", ROUND1, ROUND2);
}

/* A copy of round 2 whose data file has a bad row at its end: the read
 * fails only after the checks made before reading. */
static const char *bad_round2(void)
{
    char *ini = test_slurp_must("surveys/demo/round2.ini", NULL);
    char *csv = test_slurp_must("surveys/demo/round2.csv", NULL);
    char path[600], text[8192];
    snprintf(path, sizeof path, "%s", test_tmp("bad2.csv"));
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(csv, f);
    fputs("2999999,2,1\n", f);
    assert_int_equal(fclose(f), 0);
    char *at = strstr(ini, "data = round2.csv");
    assert_non_null(at);
    *at = '\0';
    snprintf(text, sizeof text, "%sdata = %s%s", ini, path,
             at + strlen("data = round2.csv"));
    const char *out = test_tmp("bad2.ini");
    test_write_file(out, text);
    free(ini);
    free(csv);
    return out;
}

/* A stand-in for gnuplot: an empty script (graft's check that gnuplot
 * runs) succeeds; a real one fails, or sleeps, as MODE says. */
static const char *fake_gnuplot(const char *mode)
{
    char text[512];
    snprintf(text, sizeof text,
             "#!/bin/sh\nscript=$(cat)\n[ -z \"$script\" ] && exit 0\n%s\n",
             strcmp(mode, "fail") == 0
                 ? "echo 'line 1: error: fake gnuplot fails' >&2; exit 1"
                 : "sleep 20; exit 1");
    const char *path = test_tmp(mode);
    test_write_file(path, text);
    assert_int_equal(chmod(path, 0755), 0);
    return path;
}

/* ---- a folder's whole content ------------------------------------------ */

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every path under DIR (sorted), with its bytes when BYTES, appended to
 * T. */
static void snapshot_into(test_text_t *t, const char *dir, const char *rel,
                          int bytes)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
    struct dirent **list;
    int n = scandir(path, &list, NULL, by_name);
    assert_true(n >= 0);
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            char sub[PATH_MAX], full[2 * PATH_MAX];
            snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", name);
            snprintf(full, sizeof full, "%s/%s", dir, sub);
            struct stat st;
            assert_int_equal(lstat(full, &st), 0);
            test_text_adds(t, sub);
            test_text_adds(t, S_ISDIR(st.st_mode) ? "/\n" : "\n");
            if (S_ISDIR(st.st_mode)) {
                snapshot_into(t, dir, sub, bytes);
            } else if (bytes) {
                size_t len;
                char *b = test_slurp_must(full, &len);
                char head[64];
                snprintf(head, sizeof head, "%zu bytes\n", len);
                test_text_adds(t, head);
                test_text_add(t, b, len);
                test_text_adds(t, "\n");
                free(b);
            }
        }
        free(list[i]);
    }
    free(list);
}

/* DIR's content (names and bytes; empty when DIR is absent). */
static test_text_t snapshot(const char *dir)
{
    test_text_t t;
    memset(&t, 0, sizeof t);
    test_text_adds(&t, "");
    if (test_file_exists(dir))
        snapshot_into(&t, dir, "", 1);
    return t;
}

/* The names under DIR, one a line, malloc'd. */
static char *names(const char *dir)
{
    test_text_t t;
    memset(&t, 0, sizeof t);
    test_text_adds(&t, "");
    snapshot_into(&t, dir, "", 0);
    return t.s;
}

static int same(const test_text_t *a, const test_text_t *b)
{
    return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/* Fail when anything named DIR.tmp.* or DIR.old.* is left beside DIR. */
static void no_temporaries(const char *dir)
{
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    assert_non_null(slash);
    *slash = '\0';
    const char *base = slash + 1;
    size_t n = strlen(base);
    DIR *d = opendir(parent);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, base, n) == 0 &&
            (strncmp(e->d_name + n, ".tmp.", 5) == 0 ||
             strncmp(e->d_name + n, ".old.", 5) == 0))
            fail_msg("%s/%s was left behind", parent, e->d_name);
    closedir(d);
}

static void expect_same(const char *dir, const test_text_t *before,
                        const char *what)
{
    test_text_t now = snapshot(dir);
    if (!same(&now, before))
        fail_msg("%s: %s changed the folder", dir, what);
    free(now.s);
    no_temporaries(dir);
}

/* ---- item 14: no partial output on any failure -------------------------- */

static void test_failed_run_changes_nothing(void **state)
{
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%s", test_tmp("fail_out"));
    spawn_graft(&R, "run", zone_ini(), "-o", dir, NULL);
    spawn_expect_ok(&R);
    test_text_t before = snapshot(dir);
    char *listed = names(dir);
    assert_non_null(strstr(listed, "charts/police_by_zone.svg\n"));
    free(listed);

    /* a chart that fails after the tables are written */
    const char *fail_env[] = {NULL, NULL};
    char env[PATH_MAX + 32];
    snprintf(env, sizeof env, "GRAFT_GNUPLOT=%s", fake_gnuplot("fail"));
    fail_env[0] = env;
    const char *args[] = {"run", sex_ini(), "-o", dir, NULL};
    spawn_graft_env(&R, fail_env, args);
    char msg[1024];
    /* the message names the chart in DIR, not in the private folder */
    snprintf(msg, sizeof msg,
             "graft: %s/charts/police_by_sex.svg: gnuplot failed (exit "
             "status 1): line 1: error: fake gnuplot fails\n",
             dir);
    assert_int_equal(R.status, 71);
    assert_string_equal(R.err, msg);
    expect_same(dir, &before, "a run whose chart failed");

    /* gnuplot missing: refused before any data is read */
    const char *missing[] = {"GRAFT_GNUPLOT=/nonexistent", NULL};
    spawn_graft_env(&R, missing, args);
    snprintf(msg, sizeof msg,
             "%s: gnuplot not found at '/nonexistent': install the Debian "
             "package gnuplot-nox",
             dir);
    spawn_expect_error(&R, 71, msg);
    expect_same(dir, &before, "a run without gnuplot");

    /* a read error in the second round */
    const char *bad = write_analysis("bad.ini", "sex", ROUND1, bad_round2());
    spawn_graft(&R, "run", bad, "-o", dir, NULL);
    assert_int_equal(R.status, 65);
    expect_same(dir, &before, "a run whose second round could not be read");

    /* a folder that does not exist stays absent, and so do its parents */
    char fresh[600];
    snprintf(fresh, sizeof fresh, "%s", test_tmp("fresh"));
    char deep[PATH_MAX];
    snprintf(deep, sizeof deep, "%s/a/b", fresh);
    spawn_graft(&R, "run", bad, "-o", deep, NULL);
    assert_int_equal(R.status, 65);
    assert_false(test_file_exists(fresh));

    /* and a good run replaces the whole folder: no chart by zone is left */
    spawn_graft(&R, "run", sex_ini(), "-o", dir, NULL);
    spawn_expect_ok(&R);
    char *after = names(dir);
    assert_null(strstr(after, "by_zone"));
    assert_non_null(strstr(after, "charts/police_by_sex.svg\n"));
    no_temporaries(dir);
    free(after);
    free(before.s);
}

/* A folder holding anything graft run does not write is refused, before
 * anything is read or written. */
static void test_foreign_folder_refused(void **state)
{
    (void)state;
    char dir[600];
    snprintf(dir, sizeof dir, "%s", test_tmp("foreign"));
    spawn_graft(&R, "run", zone_ini(), "-o", dir, NULL);
    spawn_expect_ok(&R);
    char notes[PATH_MAX];
    snprintf(notes, sizeof notes, "%s/charts/notes.txt", dir);
    test_write_file(notes, "mine\n");
    test_text_t before = snapshot(dir);
    spawn_graft(&R, "run", sex_ini(), "-o", dir, NULL);
    char msg[1024];
    snprintf(msg, sizeof msg,
             "%s: holds 'charts/notes.txt', which graft run does not write: "
             "refusing to replace the folder (graft run replaces its output "
             "folder as a whole); move it or choose another folder",
             dir);
    spawn_expect_error(&R, 64, msg);
    expect_same(dir, &before, "a refused run");
    free(before.s);

    /* graft's names without graft's marker: not ours either */
    char plain[600];
    snprintf(plain, sizeof plain, "%s", test_tmp("plain"));
    assert_int_equal(mkdir(plain, 0777), 0);
    char est[PATH_MAX];
    snprintf(est, sizeof est, "%s/estimates.csv", plain);
    test_write_file(est, "my own table\n");
    spawn_graft(&R, "run", sex_ini(), "-o", plain, NULL);
    snprintf(msg, sizeof msg,
             "%s: was not written by graft run (no .graft-run file): "
             "refusing to replace the folder (graft run replaces its output "
             "folder as a whole); remove it or choose another folder",
             plain);
    spawn_expect_error(&R, 64, msg);
    char *mine = test_slurp_must(est, NULL);
    assert_string_equal(mine, "my own table\n");
    free(mine);

    /* an empty folder is taken */
    char empty[600];
    snprintf(empty, sizeof empty, "%s", test_tmp("empty"));
    assert_int_equal(mkdir(empty, 0777), 0);
    spawn_graft(&R, "run", sex_ini(), "-o", empty, NULL);
    spawn_expect_ok(&R);
}

/* ---- item 15: two runs at once ------------------------------------------ */

static pid_t start_graft(const char *const *args)
{
    char *argv[16];
    size_t n = 0;
    argv[n++] = (char *)spawn_bin();
    for (size_t i = 0; args[i]; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static int wait_status(pid_t pid)
{
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_concurrent_runs(void **state)
{
    (void)state;
    char zone[PATH_MAX], sex[PATH_MAX], ref_zone[PATH_MAX], ref_sex[PATH_MAX],
        dir[PATH_MAX];
    snprintf(zone, sizeof zone, "%s", zone_ini());
    snprintf(sex, sizeof sex, "%s", sex_ini());
    snprintf(ref_zone, sizeof ref_zone, "%s", test_tmp("ref_zone"));
    snprintf(ref_sex, sizeof ref_sex, "%s", test_tmp("ref_sex"));
    snprintf(dir, sizeof dir, "%s", test_tmp("both"));
    /* tables.xlsx says when it was written: one time for every run */
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    spawn_graft(&R, "run", zone, "-o", ref_zone, NULL);
    spawn_expect_ok(&R);
    spawn_graft(&R, "run", sex, "-o", ref_sex, NULL);
    spawn_expect_ok(&R);
    test_text_t want_zone = snapshot(ref_zone), want_sex = snapshot(ref_sex);
    for (int round = 0; round < 3; round++) {
        const char *a[] = {"run", zone, "-o", dir, NULL};
        const char *b[] = {"run", sex, "-o", dir, NULL};
        pid_t pa = start_graft(round % 2 ? b : a);
        pid_t pb = start_graft(round % 2 ? a : b);
        assert_int_equal(wait_status(pa), 0);
        assert_int_equal(wait_status(pb), 0);
        test_text_t got = snapshot(dir);
        if (!same(&got, &want_zone) && !same(&got, &want_sex))
            fail_msg("round %d: %s is neither run whole", round, dir);
        free(got.s);
        no_temporaries(dir);
    }
    free(want_zone.s);
    free(want_sex.s);
    unsetenv("SOURCE_DATE_EPOCH");
}

/* A run killed while drawing leaves nothing: its private folder and every
 * file in it are removed. */
static void test_killed_run_leaves_nothing(void **state)
{
    (void)state;
    char dir[PATH_MAX], sex[PATH_MAX], env[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s", test_tmp("killed"));
    snprintf(env, sizeof env, "GRAFT_GNUPLOT=%s", fake_gnuplot("sleep"));
    snprintf(sex, sizeof sex, "%s", sex_ini());
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t s = 0; s < 3; s++) {
        char *argv[] = {(char *)spawn_bin(), (char *)"run", (char *)sex,
                        (char *)"-o", (char *)dir, NULL};
        char *envp[1024];
        const char *set[] = {env, NULL};
        spawn_env(set, envp, 1024);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, envp),
                         0);
        posix_spawn_file_actions_destroy(&fa);
        /* wait for the tables in the private folder (at most 20 s) */
        char glob_dir[PATH_MAX];
        snprintf(glob_dir, sizeof glob_dir, "%s", test_tmp_dir());
        int seen = 0;
        for (int i = 0; i < 2000 && !seen; i++) {
            DIR *d = opendir(glob_dir);
            struct dirent *e;
            while (d && (e = readdir(d)))
                if (strncmp(e->d_name, "killed.tmp.", 11) == 0) {
                    char est[2 * PATH_MAX];
                    snprintf(est, sizeof est, "%s/%s/estimates.csv",
                             glob_dir, e->d_name);
                    seen = test_file_exists(est);
                }
            if (d)
                closedir(d);
            struct timespec ten_ms = {0, 10000000};
            if (!seen)
                nanosleep(&ten_ms, NULL);
        }
        assert_true(seen);
        struct timespec settle = {0, 100000000};
        nanosleep(&settle, NULL);
        kill(pid, sigs[s]);
        assert_int_equal(wait_status(pid), 128 + sigs[s]);
        assert_false(test_file_exists(dir));
        no_temporaries(dir);
    }
}

/* ---- item 13: long paths ------------------------------------------------ */

/* BASE/ddd.../ddd... with COMPONENTS components of 200 bytes, made. */
static void deep_dir(char *buf, size_t size, const char *base,
                     int components, int make)
{
    char part[201];
    memset(part, 'd', 200);
    part[200] = '\0';
    snprintf(buf, size, "%s", base);
    for (int i = 0; i < components; i++) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, "/%s", part);
        if (make)
            assert_int_equal(mkdir(buf, 0777), 0);
    }
}

static void test_long_paths(void **state)
{
    (void)state;
    char deep[PATH_MAX], dir[PATH_MAX];
    char base[PATH_MAX], top[PATH_MAX];
    snprintf(base, sizeof base, "%s", test_tmp("long"));
    snprintf(top, sizeof top, "%s", test_tmp("huge"));
    assert_int_equal(mkdir(base, 0777), 0);
    deep_dir(deep, sizeof deep, base, 7, 1); /* about 1,440 bytes */
    snprintf(dir, sizeof dir, "%s/out", deep);
    assert_true(strlen(dir) > 1300);
    spawn_graft(&R, "run", zone_ini(), "-o", dir, NULL);
    spawn_expect_ok(&R);
    static const char *const files[] = {
        "estimates.csv",  "comparisons.csv",          "comparisons.json",
        "trend.csv",      "report.md",                "report.html",
        ".graft-run",     "charts/police_by_zone.svg", "charts/police_by_zone.png",
        "charts/police_by_zone.gp", "charts/police_by_zone.dat",
        "charts/police_change_zone.svg"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (!test_file_exists(path))
            fail_msg("%s was not written", files[i]);
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/comparisons.csv", dir);
    char *csv = test_slurp_must(path, NULL);
    assert_true(csv[0] != '{' && csv[0] != '[');
    free(csv);
    snprintf(path, sizeof path, "%s/estimates.csv", dir);
    csv = test_slurp_must(path, NULL);
    assert_true(strncmp(csv, "round,indicator,zone,", 21) == 0);
    free(csv);
    no_temporaries(dir);

    /* longer than PATH_MAX: an error, and nothing is made */
    char *huge = malloc(PATH_MAX + 400);
    assert_non_null(huge);
    deep_dir(huge, PATH_MAX + 400, top, 21, 0);
    assert_true(strlen(huge) >= PATH_MAX);
    spawn_graft(&R, "run", zone_ini(), "-o", huge, NULL);
    assert_int_equal(R.status, 64);
    if (!strstr(R.err, ": path too long\n"))
        fail_msg("stderr: %s", R.err);
    assert_false(test_file_exists(top));

    /* within PATH_MAX, but not with graft's temporary names */
    deep_dir(huge, PATH_MAX + 400, top, 19, 0);
    size_t n = strlen(huge);
    /* 4050 bytes: DIR.tmp.XXXXXX/charts/police_change_zone.svg.tmp.XXXXXX
     * is longer than PATH_MAX */
    size_t k = 4050 - n - 1;
    assert_true(n < 4050 && k < 240);
    huge[n++] = '/';
    memset(huge + n, 'e', k);
    huge[n + k] = '\0';
    assert_true(strlen(huge) < PATH_MAX);
    spawn_graft(&R, "run", zone_ini(), "-o", huge, NULL);
    assert_int_equal(R.status, 64);
    assert_non_null(strstr(R.err, ": path too long\n"));
    assert_false(test_file_exists(top));
    free(huge);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(realpath("surveys/demo/round1.ini", ROUND1));
    assert_non_null(realpath("surveys/demo/round2.ini", ROUND2));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_run_changes_nothing),
        cmocka_unit_test(test_foreign_folder_refused),
        cmocka_unit_test(test_concurrent_runs),
        cmocka_unit_test(test_killed_run_leaves_nothing),
        cmocka_unit_test(test_long_paths),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
