/*
 * test_files.c - nothing the user gave is modified or lost (issue 13,
 * items 9, 10, 11, 15 and 16): -o never overwrites an input, writes
 * through symbolic links and directly to FIFOs and devices, keeps a
 * replaced file's mode; replicate keeps an OUT.ini it did not write; a
 * signal leaves no temporary file; a failed rename reports the right name.
 *
 * The binary under test is $GRAFT_BIN (set by `make check`), else ./graft.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <time.h>

#include "graft.h"

static spawn_result_t R;

static void run(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    spawn_graft_v(&R, arg, ap);
    va_end(ap);
}

#define D "tests/data/cli/"

/* A copy of tests/data/cli/good.csv in the temporary directory. */
static const char good_csv[] = "id,w,s,p\n1,2.5,1,1\n2,1.5,1,2\n3,3,2,1\n"
                               "4,2,2,2\n5,1,1,1\n6,4,2,1\n";

static const char *copy_good(const char *name)
{
    const char *path = test_tmp(name);
    test_write_file(path, good_csv);
    return path;
}

/* PATH still holds exactly TEXT. */
static void expect_text(const char *path, const char *text)
{
    size_t len;
    char *got = test_slurp_must(path, &len);
    if (strcmp(got, text) != 0)
        fail_msg("%s changed:\n%s", path, got);
    free(got);
}

/* The number of names in the temporary directory containing ".tmp.". */
static int count_temporaries(void)
{
    int n = 0;
    DIR *dir = opendir(test_tmp_dir());
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(dir);
    return n;
}

/* ---- item 9: -o onto an input ------------------------------------------ */

static void test_output_is_input(void **state)
{
    (void)state;
    char msg[2048];
    const char *data = copy_good("in.csv");
    char data_path[512];
    snprintf(data_path, sizeof data_path, "%s", data);

    /* the data file itself */
    run("estimate", data_path, "--weight", "w", "--prop", "p == 1", "-o",
        data_path, NULL);
    snprintf(msg, sizeof msg,
             "-o %s is the input data file %s: refusing to overwrite it",
             data_path, data_path);
    spawn_expect_error(&R, 64, msg);
    expect_text(data_path, good_csv);

    /* through "..": same device and inode */
    char dotdot[600];
    snprintf(dotdot, sizeof dotdot, "%s/../%s/in.csv", test_tmp_dir(),
             strrchr(test_tmp_dir(), '/') + 1);
    run("describe", data_path, "--weight", "w", "-o", dotdot, NULL);
    snprintf(msg, sizeof msg,
             "-o %s is the input data file %s: refusing to overwrite it",
             dotdot, data_path);
    spawn_expect_error(&R, 64, msg);
    expect_text(data_path, good_csv);

    /* through a symbolic link */
    const char *link = test_tmp("link.csv");
    assert_int_equal(symlink(data_path, link), 0);
    run("estimate", data_path, "--weight", "w", "--mean", "s", "-o", link,
        NULL);
    assert_int_equal(R.status, 64);
    expect_text(data_path, good_csv);

    /* compare and trend: a round's data file */
    const char *b = copy_good("b.csv");
    char b_path[512];
    snprintf(b_path, sizeof b_path, "%s", b);
    run("compare", data_path, b_path, "--weight", "w", "--prop", "p == 1",
        "-o", b_path, NULL);
    snprintf(msg, sizeof msg,
             "-o %s is the input data file %s: refusing to overwrite it",
             b_path, b_path);
    spawn_expect_error(&R, 64, msg);
    expect_text(b_path, good_csv);
    run("trend", data_path, b_path, data_path, "--weight", "w", "--prop",
        "p == 1", "-o", data_path, NULL);
    assert_int_equal(R.status, 64);
    expect_text(data_path, good_csv);

    /* the survey file, the survey's data file, the analysis file */
    char ini[600], ini_text[1024];
    snprintf(ini, sizeof ini, "%s", test_tmp("s.ini"));
    snprintf(ini_text, sizeof ini_text,
             "[survey]\ndata = in.csv\n[design]\nweight = w\n");
    test_write_file(ini, ini_text);
    /* --format: an .ini output is otherwise an unknown extension */
    run("estimate", "--survey", ini, "--prop", "p == 1", "--format", "csv",
        "-o", ini, NULL);
    snprintf(msg, sizeof msg,
             "-o %s is the survey file %s: refusing to overwrite it", ini,
             ini);
    spawn_expect_error(&R, 64, msg);
    expect_text(ini, ini_text);
    run("describe", "--survey", ini, "-o", data_path, NULL);
    assert_int_equal(R.status, 64);
    expect_text(data_path, good_csv);
    char analysis[600];
    snprintf(analysis, sizeof analysis, "%s", test_tmp("a.ini"));
    test_write_file(analysis, "[indicator.p1]\ntype = prop\nexpr = p == 1\n");
    run("estimate", data_path, "--weight", "w", "--analysis", analysis,
        "--format", "csv", "-o", analysis, NULL);
    snprintf(msg, sizeof msg,
             "-o %s is the analysis file %s: refusing to overwrite it",
             analysis, analysis);
    spawn_expect_error(&R, 64, msg);
    expect_text(analysis, "[indicator.p1]\ntype = prop\nexpr = p == 1\n");

    /* plot: its input CSV, also as the .dat written beside the chart */
    char dat[600], png[600];
    snprintf(dat, sizeof dat, "%s", test_tmp("chart.dat"));
    snprintf(png, sizeof png, "%s", test_tmp("chart.png"));
    test_write_file(dat, good_csv);
    run("plot", dat, "--kind", "bar", "-o", png, NULL);
    snprintf(msg, sizeof msg,
             "-o %s writes %s beside it, which is the input %s: refusing to "
             "overwrite it",
             png, dat, dat);
    spawn_expect_error(&R, 64, msg);
    expect_text(dat, good_csv);

    /* a --rscales file */
    char rs[600];
    snprintf(rs, sizeof rs, "%s", test_tmp("rs.txt"));
    test_write_file(rs, "1 1 1\n");
    run("estimate", D "rep_good.csv", "--weight", "w", "--repweights",
        "repw[0-9]+", "--reptype", "other", "--scale", "1", "--rscales", rs,
        "--prop", "y", "-o", rs, NULL);
    snprintf(msg, sizeof msg,
             "-o %s is the --rscales file %s: refusing to overwrite it", rs,
             rs);
    spawn_expect_error(&R, 64, msg);
    expect_text(rs, "1 1 1\n");

    /* a different file is fine */
    run("estimate", data_path, "--weight", "w", "--prop", "p == 1", "-o",
        test_tmp("out.csv"), NULL);
    spawn_expect_ok(&R);
}

/* ---- item 10: what -o may be ------------------------------------------- */

static void test_output_fifo(void **state)
{
    (void)state;
    const char *fifo = test_tmp("fifo.csv");
    struct stat st;
    char buf[4096];
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* a reader first, so that graft's open for writing does not block */
    int fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    run("estimate", D "good.csv", "--weight", "w", "--prop", "p == 1",
        "--format", "csv", "-o", fifo, NULL);
    spawn_expect_ok(&R);
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "p == 1"));
    assert_int_equal(count_temporaries(), 0);
}

static void test_output_dev_null(void **state)
{
    (void)state;
    struct stat st;
    run("estimate", D "good.csv", "--weight", "w", "--prop", "p == 1",
        "-o", "/dev/null", NULL);
    spawn_expect_ok(&R);
    assert_int_equal(lstat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    run("simulate", "-o", "/dev/null", NULL);
    spawn_expect_ok(&R);
}

static void test_output_symlink(void **state)
{
    (void)state;
    char target[600], link[600];
    struct stat st;
    assert_int_equal(mkdir(test_tmp("real"), 0700), 0);
    snprintf(target, sizeof target, "%s", test_tmp("real/out.csv"));
    snprintf(link, sizeof link, "%s", test_tmp("out-link.csv"));
    test_write_file(target, "old\n");
    assert_int_equal(symlink(target, link), 0);
    run("estimate", D "good.csv", "--weight", "w", "--prop", "p == 1",
        "--format", "csv", "-o", link, NULL);
    spawn_expect_ok(&R);
    /* the link is kept, its target holds the table */
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    size_t len;
    char *text = test_slurp_must(target, &len);
    assert_non_null(strstr(text, "p == 1"));
    free(text);
    /* a link to nothing is refused */
    const char *dangling = test_tmp("dangling.csv");
    assert_int_equal(symlink(test_tmp("real/none/x.csv"), dangling), 0);
    run("simulate", "-o", dangling, NULL);
    assert_int_equal(R.status, 74);
    assert_int_equal(lstat(dangling, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(count_temporaries(), 0);
}

static void test_output_mode(void **state)
{
    (void)state;
    struct stat st;
    const char *path = test_tmp("private.csv");
    test_write_file(path, "secret\n");
    assert_int_equal(chmod(path, 0600), 0);
    run("simulate", "-o", path, NULL);
    spawn_expect_ok(&R);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* a new file: 0666 less the umask */
    mode_t old = umask(022);
    run("simulate", "-o", test_tmp("new.csv"), NULL);
    umask(old);
    spawn_expect_ok(&R);
    assert_int_equal(stat(test_tmp("new.csv"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_output_directory(void **state)
{
    (void)state;
    char dir[600], msg[700];
    snprintf(dir, sizeof dir, "%s", test_tmp("adir"));
    assert_int_equal(mkdir(dir, 0700), 0);
    run("estimate", D "good.csv", "--weight", "w", "--prop", "p == 1",
        "-o", dir, NULL);
    snprintf(msg, sizeof msg, "%s: cannot write: is a directory", dir);
    spawn_expect_error(&R, 74, msg);
    assert_int_equal(count_temporaries(), 0);
}

/* ---- item 16: the rename fails after the file was written -------------- */

static void test_commit_rename_fails(void **state)
{
    (void)state;
    char path[600], msg[700];
    graft_outfile_t of;
    graft_diag_t diag;
    graft_diag_clear(&diag);
    snprintf(path, sizeof path, "%s", test_tmp("becomes-a-directory.csv"));
    assert_int_equal(graft_outfile_open(&of, path, &diag), GRAFT_OK);
    fputs("a,b\n1,2\n", of.fp);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(graft_outfile_commit(&of, &diag), GRAFT_ERR_WRITE);
    assert_string_equal(diag.file, path);
    snprintf(msg, sizeof msg, "cannot move the finished file into place: %s",
             strerror(EISDIR));
    assert_string_equal(diag.msg, msg);
    assert_null(of.path);
    assert_int_equal(count_temporaries(), 0);
    assert_int_equal(rmdir(path), 0);
}

/* ---- item 11: replicate keeps an OUT.ini it did not write --------------- */

static void test_replicate_keeps_user_ini(void **state)
{
    (void)state;
    char out[600], ini[600], msg[1400];
    static const char user_ini[] = "[indicator.mine]\nprop = p == 1\n";
    snprintf(out, sizeof out, "%s", test_tmp("rep.csv"));
    snprintf(ini, sizeof ini, "%s", test_tmp("rep.ini"));
    test_write_file(ini, user_ini);
    run("replicate", D "good.csv", "--weight", "w", "--type", "jk1", "-o",
        out, NULL);
    snprintf(msg, sizeof msg,
             "replicate: %s exists and was not written by graft replicate: "
             "refusing to replace it (--force replaces it)",
             ini);
    spawn_expect_error(&R, 64, msg);
    expect_text(ini, user_ini);
    assert_false(test_file_exists(out));
    /* --force replaces it; graft's own file is then replaced freely */
    run("replicate", D "good.csv", "--weight", "w", "--type", "jk1", "-o",
        out, "--force", NULL);
    spawn_expect_ok(&R);
    size_t len;
    char *text = test_slurp_must(ini, &len);
    assert_memory_equal(text, "; made by: graft replicate", 26);
    free(text);
    run("replicate", D "good.csv", "--weight", "w", "--type", "jk1", "-o",
        out, NULL);
    spawn_expect_ok(&R);
}

/* ---- item 15: a signal leaves no temporary ----------------------------- */

/* Start `graft replicate FIFO` and feed its first pass; its second pass
 * then waits in open() for a writer with both temporaries made.  Returns
 * the pid once they exist. */
static pid_t start_blocked_replicate(const char *fifo, const char *out)
{
    const char *argv[] = {spawn_bin(), "replicate", fifo, "--weight", "w",
                          "--type", "jk1", "-o", out, NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char **)argv,
                                 environ),
                     0);
    posix_spawn_file_actions_destroy(&fa);
    FILE *w = fopen(fifo, "w"); /* pass 1 */
    assert_non_null(w);
    fputs(good_csv, w);
    assert_int_equal(fclose(w), 0);
    for (int i = 0; i < 1000 && count_temporaries() < 2; i++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    assert_int_equal(count_temporaries(), 2);
    return pid;
}

static void test_signals_remove_temporaries(void **state)
{
    (void)state;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    char fifo[600], out[600];
    snprintf(fifo, sizeof fifo, "%s", test_tmp("sig.csv"));
    snprintf(out, sizeof out, "%s", test_tmp("sig-rep.csv"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        pid_t pid = start_blocked_replicate(fifo, out);
        int st;
        assert_int_equal(kill(pid, sigs[i]), 0);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        /* killed by the signal itself: the shell shows 128 + SIG */
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), sigs[i]);
        assert_int_equal(count_temporaries(), 0);
        assert_false(test_file_exists(out));
    }
}

/* A chart: gnuplot (started late by a wrapper) must not write its
 * temporary after graft was killed and removed it. */
static void test_signal_stops_gnuplot(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        printf("SKIP: no gnuplot\n");
        return;
    }
    char fake[600], out[600], env_gp[700];
    snprintf(fake, sizeof fake, "%s", test_tmp("slow-gnuplot.sh"));
    snprintf(out, sizeof out, "%s", test_tmp("chart.png"));
    snprintf(env_gp, sizeof env_gp, "GRAFT_GNUPLOT=%s", fake);
    test_write_file(fake, "#!/bin/sh\nsleep 1\nexec gnuplot \"$@\"\n");
    assert_int_equal(chmod(fake, 0700), 0);
    const char *env[] = {env_gp, NULL};
    const char *argv[] = {spawn_bin(), "plot", "tests/data/charts/estimates.csv",
                          "--kind", "bar", "--indicator", "police", "-o", out,
                          NULL};
    char *envp[1024];
    spawn_env(env, envp, sizeof envp / sizeof envp[0]);
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char **)argv,
                                 envp),
                     0);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 1000 && count_temporaries() < 3; i++)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    assert_int_equal(count_temporaries(), 3);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    sleep(2); /* past the wrapper's sleep: gnuplot would have drawn now */
    assert_int_equal(count_temporaries(), 0);
    assert_false(test_file_exists(out));
}

/* ---- the registry itself ------------------------------------------------ */

static void test_tmp_registry(void **state)
{
    (void)state;
    char dir[600], inner[700], kept[600];
    snprintf(dir, sizeof dir, "%s", test_tmp("tmpdir"));
    snprintf(inner, sizeof inner, "%s/part.csv", dir);
    snprintf(kept, sizeof kept, "%s", test_tmp("forgotten.csv"));
    assert_int_equal(mkdir(dir, 0700), 0);
    test_write_file(inner, "x\n");
    test_write_file(kept, "y\n");
    assert_int_equal(graft_tmp_track(dir), GRAFT_OK);
    assert_int_equal(graft_tmp_track(kept), GRAFT_OK);
    assert_int_equal(graft_tmp_track(inner), GRAFT_OK);
    graft_tmp_forget(kept);
    graft_tmp_remove_all(); /* the file, then its folder */
    assert_false(test_file_exists(inner));
    assert_false(test_file_exists(dir));
    expect_text(kept, "y\n");
    graft_tmp_remove_all(); /* nothing is left tracked */
    expect_text(kept, "y\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_is_input),
        cmocka_unit_test(test_output_fifo),
        cmocka_unit_test(test_output_dev_null),
        cmocka_unit_test(test_output_symlink),
        cmocka_unit_test(test_output_mode),
        cmocka_unit_test(test_output_directory),
        cmocka_unit_test(test_commit_rename_fails),
        cmocka_unit_test(test_replicate_keeps_user_ini),
        cmocka_unit_test(test_signals_remove_temporaries),
        cmocka_unit_test(test_signal_stops_gnuplot),
        cmocka_unit_test(test_tmp_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
