/*
 * test_catalogue_fault.c - a full disk for the outputs that /dev/full cannot
 * stand in for: charts and the report are only written to regular files
 * (beside a .dat and a .gp), replicate writes OUT.csv and OUT.ini.  Each
 * case mounts a 64 KiB tmpfs, fills it (all of it, or all but a few pages),
 * and checks that graft fails with exit 74, one message naming a file on
 * that filesystem and the reason, and leaves nothing behind.  Mounting
 * needs root: without it every case prints a visible SKIP line and passes.
 *
 * The /dev/full cases of every table command and format are in
 * tests/catalogue/core.tsv (test_catalogue.c).
 */
#define _GNU_SOURCE
#include "test_spawn.h"

#include <errno.h>
#include <sys/mount.h>

/* A mounted, filled tmpfs. */
typedef struct full_fs {
    char dir[512];
    int mounted;
} full_fs_t;

/* Mount a 64 KiB tmpfs in this process's temporary folder and fill it,
 * leaving FREE_KB kilobytes free (0: none).  Returns 0 and prints a SKIP
 * line when it cannot be mounted. */
static int full_fs_make(full_fs_t *fs, int free_kb)
{
    snprintf(fs->dir, sizeof fs->dir, "%s", test_tmp("tmpfs"));
    assert_int_equal(mkdir(fs->dir, 0700), 0);
    fs->mounted = mount("tmpfs", fs->dir, "tmpfs", MS_NOSUID | MS_NODEV,
                        "size=64k,mode=0700") == 0;
    if (!fs->mounted) {
        printf("SKIP %s: cannot mount a tmpfs (%s): a full filesystem is "
               "tested as root only\n",
               __FILE__, strerror(errno));
        rmdir(fs->dir);
        return 0;
    }
    char fill[600], block[1024] = {0};
    snprintf(fill, sizeof fill, "%s/fill", fs->dir);
    FILE *f = fopen(fill, "wb");
    assert_non_null(f);
    size_t limit = free_kb ? (size_t)(64 - free_kb) : 64;
    for (size_t k = 0; k < limit; k++)
        if (fwrite(block, 1, sizeof block, f) != sizeof block ||
            fflush(f) != 0)
            break;
    fclose(f); /* full: the error is the point */
    return 1;
}

/* The names in FS other than "fill", "\n"-joined ("" when none). */
static void full_fs_left(const full_fs_t *fs, char *buf, size_t size)
{
    buf[0] = '\0';
    DIR *d = opendir(fs->dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            strcmp(e->d_name, "fill") &&
            strlen(buf) + strlen(e->d_name) + 2 < size) {
            strcat(buf, e->d_name);
            strcat(buf, "\n");
        }
    closedir(d);
}

static void full_fs_free(full_fs_t *fs)
{
    if (fs->mounted)
        assert_int_equal(umount2(fs->dir, MNT_DETACH), 0);
    rmdir(fs->dir);
}

/* Run graft ARGS (with "@" replaced by the tmpfs folder) on a full tmpfs
 * with FREE_KB left; expect exit 74, a message naming WHAT (a name inside
 * the tmpfs) and "No space left on device", and nothing left behind. */
static void expect_full(int free_kb, const char *what, const char *const *args)
{
    full_fs_t fs;
    if (!full_fs_make(&fs, free_kb))
        return;
    char bufs[16][600];
    const char *argv[17];
    size_t n = 0;
    for (; args[n] && n < 16; n++) {
        const char *at = strchr(args[n], '@');
        if (at)
            snprintf(bufs[n], sizeof bufs[n], "%.*s%s%s", (int)(at - args[n]),
                     args[n], fs.dir, at + 1);
        else
            snprintf(bufs[n], sizeof bufs[n], "%s", args[n]);
        argv[n] = bufs[n];
    }
    argv[n] = NULL;
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft_env(res, NULL, argv);
    char left[1024], want[700];
    full_fs_left(&fs, left, sizeof left);
    snprintf(want, sizeof want, "graft: %s/%s: write error: No space left on "
             "device\n", fs.dir, what);
    full_fs_free(&fs);
    /* warnings (the demo's small-area model has too few areas) come
     * before the error, which must be the last line */
    const char *err = res->err;
    while (strncmp(err, "graft: warning: ", 16) == 0 && strchr(err, '\n'))
        err = strchr(err, '\n') + 1;
    if (res->status != 74 || strcmp(err, want) != 0 || left[0]) {
        print_error("exit %d (want 74)\nstderr: %s\nwant:   %sleft: %s\n",
                    res->status, res->err, want, left);
        free(res);
        fail();
    }
    free(res);
}

static void chart_svg_full(void **state)
{
    (void)state;
    const char *args[] = {"plot", "tests/data/charts/estimates.csv",
                          "--indicator", "police", "--kind", "bar", "-o",
                          "@/c.svg", NULL};
    expect_full(0, "c.dat", args);
}

static void chart_png_full(void **state)
{
    (void)state;
    const char *args[] = {"plot", "tests/data/charts/comparison.csv",
                          "--indicator", "police", "--kind", "dumbbell",
                          "-o", "@/c.png", NULL};
    expect_full(0, "c.dat", args);
}

/* Room for part of the chart only: gnuplot says nothing when it cannot
 * write all of it, so graft names the chart and the full disk (a cut
 * chart could be kept, or "gnuplot wrote an empty chart", exit 71). */
static void chart_png_no_room(void **state)
{
    (void)state;
    const char *args[] = {"plot", "tests/data/charts/estimates.csv",
                          "--indicator", "police", "--kind", "bar", "-o",
                          "@/c.png", NULL};
    expect_full(16, "c.png", args);
}

/* The report folder's marker is written first: a full disk names it. */
static void report_full(void **state)
{
    (void)state;
    const char *args[] = {"run", "analysis/demo.ini", "-o", "@/run", NULL};
    expect_full(0, "run/.graft-run", args);
}

/* Room for the marker, not for what follows: the demo's [weighting]
 * writes the first round's calibrated data first. */
static void report_tables_full(void **state)
{
    (void)state;
    const char *args[] = {"run", "analysis/demo.ini", "-o", "@/run", NULL};
    expect_full(8, "run/round1_weighted.csv", args);
}

static void replicate_csv_full(void **state)
{
    (void)state;
    const char *args[] = {"replicate", "tests/data/cli/good.csv", "--weight",
                          "w", "--type", "jk1", "-o", "@/r.csv", NULL};
    expect_full(0, "r.csv", args);
}

/* Room for the replicate data, not for the survey file beside them: both
 * are removed. */
static void replicate_ini_full(void **state)
{
    (void)state;
    const char *args[] = {"replicate", "tests/data/cli/good.csv", "--weight",
                          "w", "--type", "jk1", "-o", "@/r.csv", NULL};
    expect_full(4, "r.ini", args);
}

static void estimate_full(void **state)
{
    (void)state;
    const char *args[] = {"estimate", "--survey", "surveys/demo/round1.ini",
                          "--prop", "paid_police == 1", "--by", "stratum",
                          "--format", "json", "-o", "@/e.json", NULL};
    expect_full(0, "e.json", args);
}

static void describe_full(void **state)
{
    (void)state;
    const char *args[] = {"describe", "--survey", "surveys/demo/round1.ini",
                          "-o", "@/d.txt", NULL};
    expect_full(0, "d.txt", args);
}

/* replicate -o /dev/full: the data go to the device and fail there; the
 * survey file it would write beside them, /dev/full.ini, is never made. */
static void replicate_dev_full(void **state)
{
    (void)state;
    struct stat st;
    int had = lstat("/dev/full.ini", &st) == 0;
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft(res, "replicate", "tests/data/cli/good.csv", "--weight", "w",
                "--type", "jk1", "-o", "/dev/full", NULL);
    spawn_expect_error(res, 74, "/dev/full: write error: No space left on "
                                "device");
    if (!had)
        assert_int_not_equal(lstat("/dev/full.ini", &st), 0);
    free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chart_svg_full),
        cmocka_unit_test(chart_png_full),
        cmocka_unit_test(chart_png_no_room),
        cmocka_unit_test(report_full),
        cmocka_unit_test(report_tables_full),
        cmocka_unit_test(replicate_csv_full),
        cmocka_unit_test(replicate_ini_full),
        cmocka_unit_test(estimate_full),
        cmocka_unit_test(describe_full),
        cmocka_unit_test(replicate_dev_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
