/*
 * test_chart.c - charts: every kind renders to PNG, SVG and PDF; the
 * scripts match the committed snapshots (tests/ref/charts/NAME.gp, made from
 * the fixtures under tests/data/charts/); labels and titles that look like
 * gnuplot commands print literally and run nothing; every bad input and
 * every gnuplot failure gives its exact message and leaves no file behind;
 * `graft plot` end to end ($GRAFT_BIN, else ./graft).
 *
 * GRAFT_UPDATE_SNAPSHOTS=1 rewrites the snapshots instead of comparing.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "graft/chart.h"

#include <errno.h>

#define FX "tests/data/charts/"
#define REF "tests/ref/charts/"

static char dir[64]; /* a fresh directory for each test */

/* ---- helpers ---------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/graft_chart_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    test_remove_tree(dir);
    return 0;
}

/* DIR/NAME in a rotating static buffer (valid for the next 63 calls). */
static const char *in_dir(const char *name)
{
    static char buf[64][512];
    static int k;
    k = (k + 1) % 64;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Number of entries in DIR (dot files aside). */
static int dir_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* No temporary file is left in DIR. */
static void assert_no_temporaries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp."))
            fail_msg("temporary file left behind: %s", e->d_name);
    closedir(d);
}

static graft_chart_spec_t spec_for(graft_chart_kind_t kind, const char *input,
                                   const char *indicator, const char *output)
{
    graft_chart_spec_t s;
    graft_chart_spec_init(&s);
    s.kind = kind;
    s.input = input;
    s.indicator = indicator;
    s.output = output;
    return s;
}

static void render_ok(const graft_chart_spec_t *s)
{
    graft_diag_t diag;
    char msg[2200];
    graft_diag_clear(&diag);
    if (graft_chart_render(s, &diag) != GRAFT_OK)
        fail_msg("render failed: %s", graft_diag_format(&diag, msg,
                                                        sizeof msg));
}

/* The call fails with CODE and exactly MSG ("FILE:LINE:COL: message"). */
static void expect_fail(graft_error_t got, const graft_diag_t *diag,
                        graft_error_t code, const char *msg)
{
    char buf[2200];
    graft_diag_format(diag, buf, sizeof buf);
    if (strcmp(buf, msg) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", buf, msg);
    assert_int_equal(got, code);
}

static void render_fails(const graft_chart_spec_t *s, graft_error_t code,
                         const char *msg)
{
    graft_diag_t diag;
    graft_diag_clear(&diag);
    expect_fail(graft_chart_render(s, &diag), &diag, code, msg);
}

static void check_png(const char *path)
{
    size_t len;
    char *data = test_slurp(path, &len);
    assert_non_null(data);
    assert_true(len > 10000 && len < 2000000);
    assert_memory_equal(data, "\x89PNG\r\n\x1a\n", 8);
    free(data);
}

static void check_svg(const char *path, const char *title)
{
    size_t len;
    char *data = test_slurp(path, &len);
    assert_non_null(data);
    assert_true(strncmp(data, "<?xml", 5) == 0 ||
                strncmp(data, "<svg", 4) == 0);
    const char *end = data + len;
    while (end > data && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    assert_true(end - data > 6 && strncmp(end - 6, "</svg>", 6) == 0);
    if (title && !strstr(data, title))
        fail_msg("the SVG does not hold the title '%s'", title);
    /* bold titles: the font style became an SVG attribute */
    assert_null(strstr(data, ":Bold\""));
    free(data);
}

static void check_pdf(const char *path)
{
    size_t len;
    char *data = test_slurp(path, &len);
    assert_non_null(data);
    assert_true(len > 2000);
    assert_memory_equal(data, "%PDF-", 5);
    free(data);
}

/* Render SPEC as OUT.png, OUT.svg and OUT.pdf and check the three. */
static void render_three(graft_chart_spec_t s, const char *stem,
                         const char *title)
{
    char name[3][64];
    const char *ext[3] = {"png", "svg", "pdf"};
    for (int i = 0; i < 3; i++) {
        snprintf(name[i], sizeof name[i], "%s.%s", stem, ext[i]);
        s.output = in_dir(name[i]);
        render_ok(&s);
    }
    check_png(in_dir(name[0]));
    check_svg(in_dir(name[1]), title);
    check_pdf(in_dir(name[2]));
    char gp[64], dat[64];
    snprintf(gp, sizeof gp, "%s.gp", stem);
    snprintf(dat, sizeof dat, "%s.dat", stem);
    assert_true(test_file_exists(in_dir(gp)));
    assert_true(test_file_exists(in_dir(dat)));
    assert_int_equal(dir_entries(), 5);
    assert_no_temporaries();
}

/* Compare GOT with the snapshot REF/NAME (a path of DIR in it, which the
 * scripts should not hold, would read "OUT"). */
static void snapshot(const char *name, const char *got_path)
{
    char *got = test_slurp(got_path, NULL), ref_path[256];
    assert_non_null(got);
    size_t dl = strlen(dir);
    for (char *p; (p = strstr(got, dir));) {
        memcpy(p, "OUT", 3);
        memmove(p + 3, p + dl, strlen(p + dl) + 1);
    }
    snprintf(ref_path, sizeof ref_path, REF "%s", name);
    if (getenv("GRAFT_UPDATE_SNAPSHOTS")) {
        write_file(ref_path, got);
        printf("updated %s\n", ref_path);
        free(got);
        return;
    }
    char *want = test_slurp(ref_path, NULL);
    if (!want)
        fail_msg("no snapshot %s (GRAFT_UPDATE_SNAPSHOTS=1 writes it)",
                 ref_path);
    if (strcmp(got, want) != 0) {
        size_t line = 1, i = 0;
        while (got[i] && got[i] == want[i])
            line += got[i++] == '\n';
        fail_msg("%s differs from the snapshot at line %zu", ref_path, line);
    }
    free(got);
    free(want);
}

/* Write only the script of S (output DIR/STEM.EXT) and snapshot it. */
static void script_snapshot(graft_chart_spec_t s, const char *stem,
                            const char *ext)
{
    char out[64], gp[64], ref[64];
    graft_diag_t diag;
    char msg[2200];
    snprintf(out, sizeof out, "%s.%s", stem, ext);
    snprintf(gp, sizeof gp, "%s.gp", stem);
    snprintf(ref, sizeof ref, "%s.gp", stem);
    s.output = in_dir(out);
    graft_diag_clear(&diag);
    if (graft_chart_write_script(&s, &diag) != GRAFT_OK)
        fail_msg("write_script failed: %s",
                 graft_diag_format(&diag, msg, sizeof msg));
    assert_false(test_file_exists(in_dir(out)));
    snapshot(ref, in_dir(gp));
}

/* ---- parsing helpers -------------------------------------------------- */

static void test_parsers(void **state)
{
    (void)state;
    graft_chart_kind_t k;
    graft_chart_format_t f;
    unsigned w = 0, h = 0;
    double years[4];
    assert_true(graft_chart_kind_parse("heatmap", &k));
    assert_int_equal(k, GRAFT_CHART_HEATMAP);
    assert_false(graft_chart_kind_parse("pie", &k));
    assert_true(graft_chart_format_of("a/b.SVG", &f));
    assert_int_equal(f, GRAFT_CHART_SVG);
    assert_true(graft_chart_format_of("x.pdf", &f));
    assert_false(graft_chart_format_of("x.gif", &f));
    assert_false(graft_chart_format_of("dir/.png", &f));
    assert_false(graft_chart_format_of("png", &f));
    assert_true(graft_chart_size_parse("1200x800", &w, &h));
    assert_int_equal(w, 1200);
    assert_int_equal(h, 800);
    assert_false(graft_chart_size_parse("1200", &w, &h));
    assert_false(graft_chart_size_parse("99x800", &w, &h));
    assert_false(graft_chart_size_parse("1200x800px", &w, &h));
    assert_false(graft_chart_size_parse("-5x800", &w, &h));
    assert_int_equal(graft_chart_years_parse("2018, 2020,2022", years, 4), 3);
    assert_close(years[1], 2020, 0, 0);
    assert_int_equal(graft_chart_years_parse("2018,,2020", years, 4), 0);
    assert_int_equal(graft_chart_years_parse("2018,x", years, 4), 0);
    assert_int_equal(graft_chart_years_parse("1,2,3,4,5", years, 4), 0);
}

/* ---- every kind, every format ----------------------------------------- */

static void test_render_bar(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "police", NULL);
    s.title = "Police bribery by region";
    render_three(s, "bar", "Police bribery by region");
}

static void test_render_dumbbell(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_DUMBBELL,
                                    FX "comparison.csv", NULL, NULL);
    render_three(s, "dumbbell", "police, by region: baseline to follow-up");
}

static void test_render_trend(void **state)
{
    (void)state;
    static const double years[] = {2018, 2020, 2022};
    graft_chart_spec_t s = spec_for(GRAFT_CHART_TREND, FX "trend.csv",
                                    "any5", NULL);
    s.years = years;
    s.n_years = 3;
    render_three(s, "trend", "any5, by region");
}

static void test_render_heatmap(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_HEATMAP, FX "estimates.csv",
                                    NULL, NULL);
    render_three(s, "heatmap", "Estimates, by region");
}

/* The saved script redraws the chart on its own: `gnuplot OUT.gp`. */
static void test_script_redraws(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "courts", in_dir("c.png"));
    render_ok(&s);
    assert_int_equal(unlink(in_dir("c.png")), 0);
    char *argv[] = {"gnuplot", (char *)in_dir("c.gp"), NULL};
    pid_t pid;
    int st;
    assert_int_equal(posix_spawnp(&pid, "gnuplot", NULL, NULL, argv,
                                  environ),
                     0);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    check_png(in_dir("c.png"));
}

/* ---- snapshots -------------------------------------------------------- */

static void test_snapshot_bar(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "police", NULL);
    s.subtitle = "In the past 12 months, did you pay a bribe to, or were you "
                 "asked for one by, the police?";
    s.source = "Source: Demo survey, Round 1, n = 652. 95 % CI, "
               "design-based.";
    script_snapshot(s, "bar", "png");
    /* the data file: numbers, percent, sorted, suppressed as NaN; the
     * tic label last */
    char *dat = test_slurp(in_dir("bar.dat"), NULL);
    assert_non_null(dat);
    assert_non_null(strstr(dat, "1 7.60 33.148995 28.595211 38.041615 1 "
                                "38.041615 \"All (n=652)\"\n"));
    assert_non_null(
        strstr(dat, " NaN NaN NaN 4 0.000000 \"South (n=89)\"\n"));
    free(dat);
}

static void test_snapshot_bar_svg_raw(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "n_bribes", NULL);
    s.font = "DejaVu Sans,12";
    s.width = 800;
    s.height = 500;
    script_snapshot(s, "bar_raw", "svg");
}

static void test_snapshot_rounds(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "rounds.csv",
                                    "police", NULL);
    script_snapshot(s, "bar_last_round", "png"); /* Round 2 */
    s.round = "Round 1";
    script_snapshot(s, "bar_round1", "png");
    char *gp = test_slurp(in_dir("bar_round1.gp"), NULL);
    assert_non_null(strstr(gp, "Source: rounds.csv, Round 1, n = 652."));
    free(gp);
}

static void test_snapshot_dumbbell(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_DUMBBELL,
                                    FX "comparison.csv", "police", NULL);
    s.baseline_label = "Round 1";
    s.followup_label = "Round 2";
    s.level = 0.9;
    s.adjustment = "bh";
    script_snapshot(s, "dumbbell", "png");
}

static void test_snapshot_trend(void **state)
{
    (void)state;
    static const double years[] = {2018, 2020, 2022};
    graft_chart_spec_t s = spec_for(GRAFT_CHART_TREND, FX "trend.csv",
                                    "any5", NULL);
    s.years = years;
    s.n_years = 3;
    script_snapshot(s, "trend", "pdf");
    s.years = NULL;
    s.n_years = 0;
    script_snapshot(s, "trend_rounds", "png");
}

static void test_snapshot_heatmap(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_HEATMAP, FX "estimates.csv",
                                    NULL, NULL);
    script_snapshot(s, "heatmap", "png");
    s.indicator = "courts,police";
    s.title = "Courts and police";
    script_snapshot(s, "heatmap_two", "png");
}

/* ---- labels are data -------------------------------------------------- */

/* A CSV field, quoted. */
static void csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void test_injection(void **state)
{
    (void)state;
    char marker[3][300], label[3][600], title[700], csv[300];
    for (int i = 0; i < 3; i++)
        snprintf(marker[i], sizeof marker[i], "%s/pwned%d", dir, i);
    snprintf(label[0], sizeof label[0],
             "Ain \"Sud\"; system(\"touch %s\")", marker[0]);
    snprintf(label[1], sizeof label[1], "`touch %s` $HOME @lab", marker[1]);
    snprintf(label[2], sizeof label[2], "two\nlines ' \\ A_b^c{d}&<e>");
    snprintf(title, sizeof title,
             "T'it`touch %s`le @x $y \"q\"'; system('touch %s')", marker[2],
             marker[2]);
    snprintf(csv, sizeof csv, "%s/inject.csv", dir);
    FILE *f = fopen(csv, "wb");
    assert_non_null(f);
    fputs("indicator,region,estimate,se,ci_low,ci_high,df,deff,cv,n,"
          "n_missing,weighted_n,n_eff,flag\n"
          "x,All,0.3,0.02,0.26,0.34,100,1,0.1,500,0,1000,400,\n",
          f);
    for (int i = 0; i < 3; i++) {
        fputs("x,", f);
        csv_field(f, label[i]);
        fprintf(f, ",0.%d,0.05,0.1,0.5,30,1,0.1,100,0,100,80,\n", 2 + i);
    }
    assert_int_equal(fclose(f), 0);
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, csv, NULL,
                                    in_dir("inj.svg"));
    s.title = title;
    s.subtitle = "sub'); system('touch /tmp/graft_never'); print('";
    s.width = 2000; /* no wrapping: the texts stay whole in the SVG */
    render_ok(&s);
    s.output = in_dir("inj.png");
    render_ok(&s);
    s.kind = GRAFT_CHART_HEATMAP;
    s.output = in_dir("injh.svg");
    render_ok(&s);
    for (int i = 0; i < 3; i++)
        if (test_file_exists(marker[i]))
            fail_msg("a label ran a command: %s exists", marker[i]);
    /* the labels are printed literally (XML-escaped, newline a space) */
    char *svg = test_slurp(in_dir("inj.svg"), NULL);
    char *hm = test_slurp(in_dir("injh.svg"), NULL);
    char want[700];
    assert_non_null(svg);
    snprintf(want, sizeof want, "`touch %s` $HOME @lab", marker[1]);
    assert_non_null(strstr(svg, want));
    assert_non_null(strstr(hm, want));
    assert_non_null(strstr(svg, "Ain \"Sud\"; system(\"touch"));
    assert_non_null(strstr(hm, "Ain \"Sud\"; system(\"touch"));
    assert_non_null(strstr(svg, "two lines ' \\ A_b^c{d}&amp;&lt;e>"));
    snprintf(want, sizeof want,
             "T'it`touch %s`le @x $y \"q\"'; system('touch %s')", marker[2],
             marker[2]);
    assert_non_null(strstr(svg, want));
    free(svg);
    free(hm);
}

/* ---- bad input ---------------------------------------------------------- */

static void test_missing_columns(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "no_ci.csv", NULL,
                                    in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_COLUMN,
                 FX "no_ci.csv: no column 'ci_low' (is this a graft "
                    "estimates file?)");
    s.input = FX "not_graft.csv";
    render_fails(&s, GRAFT_ERR_COLUMN,
                 FX "not_graft.csv: no column 'estimate' (is this a graft "
                    "estimates file?)");
    s.input = FX "trend.csv";
    render_fails(&s, GRAFT_ERR_COLUMN,
                 FX "trend.csv: no column 'n' (this is a graft trend file: "
                    "draw it with --kind trend)");
    s.kind = GRAFT_CHART_DUMBBELL;
    s.input = FX "estimates.csv";
    render_fails(&s, GRAFT_ERR_COLUMN,
                 FX "estimates.csv: no column 'baseline' (this is a graft "
                    "estimates file: draw it with --kind bar or heatmap)");
    s.input = FX "not_graft.csv";
    render_fails(&s, GRAFT_ERR_COLUMN,
                 FX "not_graft.csv: no column 'baseline' (is this a graft "
                    "comparison file?)");
    s.kind = GRAFT_CHART_TREND;
    s.input = FX "comparison.csv";
    render_fails(&s, GRAFT_ERR_COLUMN,
                 FX "comparison.csv: no column 'term' (this is a graft "
                    "comparison file: draw it with --kind dumbbell)");
    assert_int_equal(dir_entries(), 0);
}

static void test_unknown_names(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "polise", in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "estimates.csv: no indicator 'polise' (did you mean "
                    "'police'?)");
    s.indicator = "zzz";
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "estimates.csv: no indicator 'zzz' (the file has: "
                    "police, courts, n_bribes)");
    s.indicator = NULL;
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "estimates.csv: several indicators (police, courts, "
                    "n_bribes): choose one with --indicator");
    s.indicator = "police";
    s.by = "regoin";
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "estimates.csv: no by-variable 'regoin' (did you mean "
                    "'region'?)");
    s.by = "sex";
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "estimates.csv: no by-variable 'sex' (the file has: "
                    "region)");
    s.by = NULL;
    s.round = "Round 1";
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "estimates.csv: no column 'round': the file holds one "
                    "round (leave out --round)");
    s.input = FX "rounds.csv";
    s.round = "Round 3";
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "rounds.csv: no round 'Round 3' (the file has: Round 1, "
                    "Round 2)");
    s.kind = GRAFT_CHART_HEATMAP;
    s.input = FX "estimates.csv";
    s.round = NULL;
    s.indicator = "police,cuorts";
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "estimates.csv: no indicator 'cuorts' (did you mean "
                    "'courts'?)");
    static const double years[] = {2018, 2020};
    s = spec_for(GRAFT_CHART_TREND, FX "trend.csv", "any5", in_dir("x.png"));
    s.years = years;
    s.n_years = 2;
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "trend.csv: --years gives 2 years for 3 rounds");
    s.years = NULL;
    s.n_years = 0;
    s.round = "Round 7";
    render_fails(&s, GRAFT_ERR_USAGE,
                 "--round applies to bar and heatmap charts");
    assert_int_equal(dir_entries(), 0);
}

static void test_bad_values(void **state)
{
    (void)state;
    write_file(in_dir("text.csv"),
               "indicator,region,estimate,se,ci_low,ci_high,df,deff,cv,n,"
               "n_missing,weighted_n,n_eff,flag\n"
               "x,All,0.3,0.02,0.26,0.34,100,1,0.1,500,0,1000,400,\n"
               "x,North,high,0.02,0.26,0.34,100,1,0.1,500,0,1000,400,\n");
    write_file(in_dir("dup.csv"),
               "indicator,region,estimate,se,ci_low,ci_high,df,deff,cv,n,"
               "n_missing,weighted_n,n_eff,flag\n"
               "x,North,0.3,0.02,0.26,0.34,100,1,0.1,500,0,1000,400,\n"
               "x,North,0.3,0.02,0.26,0.34,100,1,0.1,500,0,1000,400,\n");
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, in_dir("text.csv"), NULL,
                                    in_dir("x.png"));
    char want[600];
    snprintf(want, sizeof want,
             "%s:3:3: 'high' in column 'estimate' is not a number",
             in_dir("text.csv"));
    render_fails(&s, GRAFT_ERR_VALUE, want);
    s.input = in_dir("dup.csv");
    snprintf(want, sizeof want,
             "%s:3: a second row for indicator 'x', North", in_dir("dup.csv"));
    render_fails(&s, GRAFT_ERR_VALUE, want);
    s.input = FX "nope.csv";
    render_fails(&s, GRAFT_ERR_OPEN,
                 FX "nope.csv: cannot open: No such file or directory");
    assert_false(test_file_exists(in_dir("x.png")));
}

static void test_bad_spec(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "police", in_dir("x.gif"));
    char want[600];
    snprintf(want, sizeof want,
             "%s: the chart's extension must be .png, .svg or .pdf",
             in_dir("x.gif"));
    render_fails(&s, GRAFT_ERR_USAGE, want);
    s.output = in_dir("x.png");
    s.font = "Evil'Font,12";
    render_fails(&s, GRAFT_ERR_USAGE,
                 "--font: 'Evil'Font,12' must be \"Name,size\" (letters, "
                 "digits, spaces; size 4 to 96), e.g. \"DejaVu Sans,14\"");
    s.font = "Sans,200";
    render_fails(&s, GRAFT_ERR_USAGE,
                 "--font: 'Sans,200' must be \"Name,size\" (letters, "
                 "digits, spaces; size 4 to 96), e.g. \"DejaVu Sans,14\"");
    s.font = NULL;
    s.output = "bad\nname.png";
    render_fails(&s, GRAFT_ERR_USAGE,
                 "the chart's file name has a control character");
    s.output = NULL;
    render_fails(&s, GRAFT_ERR_USAGE,
                 "no chart file given (-o OUT.png, .svg or .pdf)");
    s.output = FX "estimates.png";
    s.input = FX "estimates.png";
    render_fails(&s, GRAFT_ERR_USAGE,
                 FX "estimates.png: the chart, its .gp or its .dat would "
                    "replace the input " FX "estimates.png");
    s.output = "data/est.svg";
    s.input = "data/est.dat";
    render_fails(&s, GRAFT_ERR_USAGE,
                 "data/est.svg: the chart, its .gp or its .dat would replace "
                 "the input data/est.dat");
    s.input = FX "estimates.csv";
    s.output = in_dir("x.png");
    s.width = 300;
    s.height = 200;
    render_fails(&s, GRAFT_ERR_USAGE,
                 "--size 300x200 leaves no room to plot beside the text: try "
                 "--size 612x828 (or a smaller --font)");
    /* the other kinds check their plot area too */
    static const struct {
        graft_chart_kind_t kind;
        const char *input, *indicator;
    } kinds[] = {{GRAFT_CHART_DUMBBELL, FX "comparison.csv", NULL},
                 {GRAFT_CHART_TREND, FX "trend.csv", "any5"},
                 {GRAFT_CHART_HEATMAP, FX "estimates.csv", NULL}};
    for (size_t i = 0; i < 3; i++) {
        graft_chart_spec_t k = spec_for(kinds[i].kind, kinds[i].input,
                                        kinds[i].indicator, in_dir("x.png"));
        graft_diag_t diag;
        k.width = 300;
        k.height = 200;
        graft_diag_clear(&diag);
        assert_int_equal(graft_chart_render(&k, &diag), GRAFT_ERR_USAGE);
        assert_non_null(strstr(diag.msg, "--size 300x200 leaves no room"));
    }
    s.height = 0;
    s.width = 50;
    render_fails(&s, GRAFT_ERR_USAGE,
                 "the chart size must be 100 to 10000 pixels each way");
    assert_int_equal(dir_entries(), 0);
}

static void test_unwritable(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "police", in_dir("no/such/dir/x.png"));
    char want[600];
    snprintf(want, sizeof want, "%s: cannot write: No such file or directory",
             in_dir("no/such/dir/x.png"));
    render_fails(&s, GRAFT_ERR_WRITE, want);
    /* without a chart, the data file is the first written */
    graft_diag_t diag;
    graft_diag_clear(&diag);
    snprintf(want, sizeof want, "%s: cannot write: No such file or directory",
             in_dir("no/such/dir/x.dat"));
    expect_fail(graft_chart_write_script(&s, &diag), &diag, GRAFT_ERR_WRITE,
                want);
    assert_int_equal(dir_entries(), 0);
}

/* ---- gnuplot missing or failing --------------------------------------- */

static void test_gnuplot_missing(void **state)
{
    (void)state;
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "police", in_dir("x.png"));
    char want[600];
    snprintf(want, sizeof want,
             "%s: gnuplot not found at '/nonexistent/gnuplot': install the "
             "Debian package gnuplot-nox",
             in_dir("x.png"));
    s.gnuplot = "/nonexistent/gnuplot";
    render_fails(&s, GRAFT_ERR_EXEC, want);
    /* the default name, not on PATH; the library reads no GRAFT_GNUPLOT
     * (the command line passes it in the spec) */
    s.gnuplot = NULL;
    setenv("GRAFT_GNUPLOT", "/nonexistent/gnuplot", 1);
    const char *path = getenv("PATH");
    char *saved = path ? strdup(path) : NULL;
    setenv("PATH", "/nonexistent", 1);
    snprintf(want, sizeof want,
             "%s: gnuplot not found: install the Debian package gnuplot-nox",
             in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_EXEC, want);
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
    unsetenv("GRAFT_GNUPLOT");
    assert_int_equal(dir_entries(), 0);
    /* there but not executable */
    write_file(in_dir("gp_noexec"), "#!/bin/sh\n");
    s.gnuplot = in_dir("gp_noexec");
    snprintf(want, sizeof want,
             "%s: cannot start gnuplot ('%s'): Permission denied",
             in_dir("x.png"), in_dir("gp_noexec"));
    render_fails(&s, GRAFT_ERR_EXEC, want);
    unlink(in_dir("gp_noexec"));
    /* writing the script alone needs no gnuplot */
    graft_diag_t diag;
    s.gnuplot = "/nonexistent/gnuplot";
    graft_diag_clear(&diag);
    assert_int_equal(graft_chart_write_script(&s, &diag), GRAFT_OK);
    assert_true(test_file_exists(in_dir("x.gp")));
    assert_false(test_file_exists(in_dir("x.png")));
}

/* A fake gnuplot: a shell script reading the script and doing BODY. */
static const char *fake_gnuplot(const char *name, const char *body)
{
    const char *path = in_dir(name);
    char text[600];
    snprintf(text, sizeof text, "#!/bin/sh\ncat > /dev/null\n%s\n", body);
    write_file(path, text);
    assert_int_equal(chmod(path, 0755), 0);
    return path;
}

static void test_gnuplot_fails(void **state)
{
    (void)state;
    char out[512];
    snprintf(out, sizeof out, "%s", in_dir("x.png"));
    graft_chart_spec_t s = spec_for(GRAFT_CHART_BAR, FX "estimates.csv",
                                    "police", out);
    char want[600];
    /* an old chart stays as it was */
    write_file(in_dir("x.png"), "old chart");
    s.gnuplot = fake_gnuplot("gp_fail",
                             "printf '\\n plot foo\\n      ^\\n\"<stdin>\" "
                             "line 7: undefined variable: oops\\n\\n' >&2; "
                             "exit 1");
    snprintf(want, sizeof want,
             "%s: gnuplot failed (exit status 1): \"<stdin>\" line 7: "
             "undefined variable: oops",
             in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_EXEC, want);
    s.gnuplot = fake_gnuplot("gp_error0", "echo 'Error: font not found' >&2");
    snprintf(want, sizeof want,
             "%s: gnuplot failed (exit status 0): Error: font not found",
             in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_EXEC, want);
    s.gnuplot = fake_gnuplot("gp_empty", "exit 0");
    snprintf(want, sizeof want, "%s: gnuplot wrote an empty chart",
             in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_EXEC, want);
    s.gnuplot = fake_gnuplot("gp_kill", "kill -9 $$");
    snprintf(want, sizeof want, "%s: gnuplot was killed by signal 9",
             in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_EXEC, want);
    /* gnuplot quitting before reading its script: no SIGPIPE kills us */
    s.gnuplot = "/bin/false";
    snprintf(want, sizeof want, "%s: gnuplot failed (exit status 1)",
             in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_EXEC, want);
    char *old = test_slurp(in_dir("x.png"), NULL);
    assert_string_equal(old, "old chart");
    free(old);
    assert_false(test_file_exists(in_dir("x.gp")));
    assert_false(test_file_exists(in_dir("x.dat")));
    assert_no_temporaries();
    /* a real gnuplot error: a font size gnuplot rejects cannot happen, so
     * feed a script gnuplot fails on through a wrapper */
    s.gnuplot = fake_gnuplot("gp_real",
                             "echo 'plot foo' | gnuplot --default-settings");
    snprintf(want, sizeof want,
             "%s: gnuplot failed (exit status 1): line 0: undefined "
             "variable: foo",
             in_dir("x.png"));
    render_fails(&s, GRAFT_ERR_EXEC, want);
}

/* ---- graft plot ------------------------------------------------------- */

static spawn_result_t R;

/* Run graft with ARGS (NULL-terminated, after the program name) without
 * any GRAFT_GNUPLOT of ours; ENV1 an extra NAME=VALUE or NULL. */
static void run_graft(const char *env1, const char *const *args)
{
    const char *env[] = {"GRAFT_GNUPLOT", env1, NULL};
    spawn_graft_env(&R, env, args);
}

static void expect_cli(int code, const char *msg)
{
    spawn_expect_error(&R, code, msg);
}

static void test_cli(void **state)
{
    (void)state;
    const char *out = in_dir("p.svg");
    const char *ok[] = {"plot", FX "comparison.csv", "--kind", "dumbbell",
                        "--round-names", "Round 1,Round 2", "--title",
                        "Police: round 1 to round 2", "--size", "900x600",
                        "--font", "DejaVu Sans,13", "-o", out, NULL};
    run_graft(NULL, ok);
    if (R.status != 0)
        fail_msg("graft plot failed: %s", R.err);
    check_svg(out, "Police: round 1 to round 2");
    char *svg = test_slurp(out, NULL);
    assert_non_null(strstr(svg, "width=\"900\" height=\"600\""));
    free(svg);
    assert_true(test_file_exists(in_dir("p.gp")));
    assert_true(test_file_exists(in_dir("p.dat")));

    const char *years[] = {"plot", FX "trend.csv", "--kind", "trend",
                           "--indicator", "any5", "--years", "2018,2020,2022",
                           "-o", in_dir("t.png"), NULL};
    run_graft(NULL, years);
    assert_int_equal(R.status, 0);
    check_png(in_dir("t.png"));

    const char *gif[] = {"plot", FX "estimates.csv", "--kind", "bar", "-o",
                         "x.gif", NULL};
    run_graft(NULL, gif);
    expect_cli(64, "-o: 'x.gif' must end in .png, .svg or .pdf");
    const char *kind[] = {"plot", FX "estimates.csv", "--kind", "pie", "-o",
                          "x.png", NULL};
    run_graft(NULL, kind);
    expect_cli(64, "--kind: 'pie' must be bar, dumbbell, trend, heatmap, "
                   "forest, power, mde, sae or sae-resid");
    const char *nokind[] = {"plot", FX "estimates.csv", "-o", "x.png", NULL};
    run_graft(NULL, nokind);
    expect_cli(64, "plot: --kind is required (bar, dumbbell, trend, heatmap, "
                   "forest, power, mde, sae or sae-resid)");
    const char *noout[] = {"plot", FX "estimates.csv", "--kind", "bar", NULL};
    run_graft(NULL, noout);
    expect_cli(64, "plot: -o OUT.png (or .svg, .pdf) is required");
    const char *size[] = {"plot", FX "estimates.csv", "--kind", "bar",
                          "--size", "big", "-o", "x.png", NULL};
    run_graft(NULL, size);
    expect_cli(64, "--size: 'big' must be WIDTHxHEIGHT in pixels, each 100 "
                   "to 10000 (e.g. 1000x600)");
    const char *yrs[] = {"plot", FX "trend.csv", "--kind", "trend", "--years",
                         "2018;2020", "-o", "x.png", NULL};
    run_graft(NULL, yrs);
    expect_cli(64, "--years: '2018;2020' must be numbers separated by commas "
                   "(e.g. 2018,2020,2022)");
    const char *unknown_ind[] = {"plot", FX "estimates.csv", "--kind", "bar",
                                 "--indicator", "polise", "-o",
                                 in_dir("x.png"), NULL};
    run_graft(NULL, unknown_ind);
    expect_cli(64, FX "estimates.csv: no indicator 'polise' (did you mean "
                      "'police'?)");
    const char *cols[] = {"plot", FX "no_ci.csv", "--kind", "bar", "-o",
                          in_dir("x.png"), NULL};
    run_graft(NULL, cols);
    expect_cli(65, FX "no_ci.csv: no column 'ci_low' (is this a graft "
                      "estimates file?)");
    const char *missing[] = {"plot", FX "nope.csv", "--kind", "bar", "-o",
                             in_dir("x.png"), NULL};
    run_graft(NULL, missing);
    expect_cli(66, FX "nope.csv: cannot open: No such file or directory");
    const char *bar[] = {"plot", FX "estimates.csv", "--kind", "bar",
                         "--indicator", "police", "-o", in_dir("x.png"),
                         NULL};
    run_graft("GRAFT_GNUPLOT=/nonexistent", bar);
    char want[600];
    snprintf(want, sizeof want,
             "%s: gnuplot not found at '/nonexistent': install the Debian "
             "package gnuplot-nox",
             in_dir("x.png"));
    expect_cli(71, want);
    assert_false(test_file_exists(in_dir("x.png")));
    assert_false(test_file_exists(in_dir("x.gp")));
    const char *help[] = {"plot", "--help", NULL};
    run_graft(NULL, help);
    assert_int_equal(R.status, 0);
    assert_true(strncmp(R.out, "usage: graft plot FILE --kind KIND -o ", 38)
                == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsers),
        cmocka_unit_test_setup_teardown(test_render_bar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_dumbbell, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_render_trend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render_heatmap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_redraws, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_bar, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_bar_svg_raw, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_rounds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_dumbbell, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_trend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_heatmap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_columns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_spec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gnuplot_missing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gnuplot_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
