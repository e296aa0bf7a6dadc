/*
 * fuzz_chart.c - fuzz target for the charts' CSV input: the reading, the
 * selection of indicator, by-variable and round, and the layout, through
 * graft_chart_write_script() (the script and its data, no gnuplot run).
 *
 * The input is written to in.csv in a private folder and drawn as each of
 * the four kinds (bar, dumbbell, trend, heatmap), with the file's only
 * indicator and by-variable, then once more as a bar and a trend with
 * explicit choices.  Besides crashes and sanitizer reports it aborts when
 * a result breaks graft/chart.h's contract: a diagnostic without the
 * returned code, a failure that leaves OUT.gp or OUT.dat behind, a success
 * without them, or a temporary left in the folder.
 */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "graft/chart.h"
#include "fuzz_util.h"

#define T "fuzz_chart"

static int exists(const char *name)
{
    char path[512];
    struct stat st;
    return stat(fuzz_path(path, sizeof path, name), &st) == 0;
}

/* No file but in.csv and, when WITH_OUTPUT, out.gp and out.dat. */
static void check_folder(int with_output)
{
    DIR *d = opendir(fuzz_dir());
    struct dirent *e;
    fuzz_check(d != NULL, T, "the folder can be read");
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        int ok = strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
                 strcmp(n, "in.csv") == 0 ||
                 (with_output &&
                  (strcmp(n, "out.gp") == 0 || strcmp(n, "out.dat") == 0));
        if (!ok)
            fprintf(stderr, "fuzz_chart: unexpected file %s\n", n);
        fuzz_check(ok, T, "no other file than the outputs is left");
    }
    closedir(d);
    fuzz_check(!with_output || (exists("out.gp") && exists("out.dat")), T,
               "a success writes the script and its data");
}

static void draw(graft_chart_spec_t *s)
{
    char out[512], gp[512], dat[512];
    graft_diag_t diag;
    s->output = fuzz_path(out, sizeof out, "out.svg");
    graft_error_t rc = graft_chart_write_script(s, &diag);
    fuzz_check(rc == GRAFT_OK || rc == diag.code, T,
               "the diagnostic holds the returned code");
    fuzz_check(rc == GRAFT_OK || diag.msg[0], T, "an error has a message");
    fuzz_check(rc != GRAFT_ERR_EXEC, T, "no gnuplot is run");
    check_folder(rc == GRAFT_OK);
    unlink(fuzz_path(gp, sizeof gp, "out.gp"));
    unlink(fuzz_path(dat, sizeof dat, "out.dat"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double years[] = {2018, 2020, 2022, 2024};
    char in[512];
    graft_chart_spec_t s;
    fuzz_write(in, sizeof in, "in.csv", data, size);
    for (int kind = 0; kind <= GRAFT_CHART_HEATMAP; kind++) {
        graft_chart_spec_init(&s);
        s.kind = (graft_chart_kind_t)kind;
        s.input = in;
        draw(&s);
    }
    graft_chart_spec_init(&s);
    s.kind = GRAFT_CHART_BAR;
    s.input = in;
    s.indicator = "police";
    s.by = "region";
    s.round = "Round 1";
    s.scale = GRAFT_CHART_SCALE_PERCENT;
    draw(&s);
    graft_chart_spec_init(&s);
    s.kind = GRAFT_CHART_TREND;
    s.input = in;
    s.years = years;
    s.n_years = 4;
    s.scale = GRAFT_CHART_SCALE_RAW;
    draw(&s);
    return 0;
}
