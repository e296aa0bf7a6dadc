/*
 * test_labels.c - labels never break or change a chart (issue 13, item 7).
 *
 * Domain labels, round labels, indicator names, titles, subtitles,
 * legend names and source lines holding ' " \ ` % ; @ { } ^ _ & #, a
 * newline and UTF-8 (Sidi Bouzid – «Sud», Médenine), in every chart kind
 * (bar, dumbbell, trend, heatmap).  A prefix of 0 to MAX_PREFIX letters
 * moves where each label wraps, so every word (and every byte of a word
 * longer than a line, which is cut) comes to the start and the end of a
 * wrapped line somewhere.  Each chart must be drawn (graft exits 0, the
 * SVG exists), gnuplot must print nothing (GRAFT_GNUPLOT is a wrapper
 * that logs gnuplot's stderr), no injected command may run (the marker
 * files stay absent), and every label must be in the SVG as it is:
 * texts un-escaped, a wrapped label found as consecutive <text> pieces
 * joined at the spaces the wrap took out; a newline in a label is drawn
 * as a space.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"

#include <sys/stat.h>

#define MAX_PREFIX 48
#define LABEL_MAX 2048 /* bytes of a label, and more */

/* ---- the labels ------------------------------------------------------- */

static char marker[3][512]; /* files an injected command would create */
static char gp_log[512];     /* gnuplot's stderr, all runs */
static char wrapper[512];   /* GRAFT_GNUPLOT */

/* The hostile words of every wrapped label (separated by spaces). */
static void hostile_words(char *buf, size_t size)
{
    snprintf(buf, size,
             "'q' \"d\" a\\b `touch %s` 10%% rate %%.3f %%s ; @GPVAL_PWD "
             "@x {c} ^_& ''' '' \\n \\U+0041 #h Sidi Bouzid – «Sud» "
             "Médenine Ain \"Sud\"; system(\"touch %s\"); \" "
             "\\\" '; set output '%s' "
             "'%%'\"`@{^_&}\\;#'''''\"\"\"«é»–x'%%'\"`@{^_&}\\;#''x",
             marker[0], marker[1], marker[2]);
}

/* Label I of the wrapped set: I letters, then the hostile words. */
static void wrapped_label(char *buf, size_t size, int i)
{
    char words[LABEL_MAX - 100];
    hostile_words(words, sizeof words);
    snprintf(buf, size, "%.*s%s%s", i,
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
             i ? " " : "", words);
}

/* A label without spaces (never wrapped on a wide chart). */
static const char solid[] = "'\"\\`%;@{}^_&#%.3f%s''''x\\n\\U+0041"
                            "«Médenine»–Sidi_Bouzid\"'";

/* Write S as a CSV field. */
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

/* ---- input files -------------------------------------------------------- */

static const char *const est_head =
    "indicator,region,estimate,se,ci_low,ci_high,df,deff,cv,n,n_missing,"
    "weighted_n,n_eff,flag\n";
static const char *const cmp_head =
    "indicator,region,baseline,followup,diff,se_diff,ci_low,ci_high,df,"
    "p_value,p_adjusted,change,rel_change,n_baseline,n_followup,flag\n";
static const char *const trend_head =
    "indicator,region,term,from,to,estimate,se,ci_low,ci_high,df,p_value,"
    "p_adjusted,change,n_from,n_to,flag\n";

/* The round labels of the trend file. */
static const char *const rounds[2] = {"R'1 \"q\" 10% @x `x` {a}",
                                      "''R2'' \\n %.3f ^_& «Sud» #"};

/* One row of KIND ('e' estimates, 'c' comparison, 't' trend: two rows)
 * for domain LABEL, indicator IND, value index I. */
static void write_row(FILE *f, char kind, const char *ind, const char *label,
                      int i)
{
    double v = 0.1 + 0.005 * (i % 50);
    if (kind == 't') {
        for (int r = 0; r < 2; r++) {
            csv_field(f, ind);
            fputc(',', f);
            csv_field(f, label);
            fputs(",estimate,", f);
            csv_field(f, rounds[r]);
            fputc(',', f);
            csv_field(f, rounds[r]);
            fprintf(f, ",%.3f,0.01,%.3f,%.3f,100,,,,100,100,\n", v + 0.05 * r,
                    v + 0.05 * r - 0.02, v + 0.05 * r + 0.02);
        }
        return;
    }
    csv_field(f, ind);
    fputc(',', f);
    csv_field(f, label);
    if (kind == 'e')
        fprintf(f, ",%.3f,0.05,%.3f,%.3f,30,1,0.1,100,0,100,80,\n", v,
                v - 0.05, v + 0.05);
    else
        fprintf(f,
                ",%.3f,%.3f,-0.05,0.03,-0.11,0.01,100,0.1,0.2,no "
                "significant change,-0.2,100,90,\n",
                v + 0.05, v);
}

/* The input of KIND ('e', 'c', 't') at PATH: an All row, then the N
 * LABELS; indicator IND. */
static void write_input(const char *path, char kind, const char *ind,
                        char labels[][LABEL_MAX], int n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(kind == 'e' ? est_head : kind == 'c' ? cmp_head : trend_head, f);
    write_row(f, kind, ind, "All", 0);
    for (int i = 0; i < n; i++)
        write_row(f, kind, ind, labels[i], i + 1);
    assert_int_equal(fclose(f), 0);
}

/* ---- reading the SVG ----------------------------------------------------- */

typedef struct texts {
    char **t;
    size_t n;
} texts_t;

/* Replace the XML entities gnuplot writes, in place. */
static void unescape(char *s)
{
    static const struct {
        const char *ent, *ch;
    } map[] = {{"&amp;", "&"},
               {"&lt;", "<"},
               {"&gt;", ">"},
               {"&quot;", "\""},
               {"&apos;", "'"}};
    char *o = s;
    while (*s) {
        size_t k = 0;
        while (k < 5 && strncmp(s, map[k].ent, strlen(map[k].ent)) != 0)
            k++;
        if (k < 5) {
            *o++ = *map[k].ch;
            s += strlen(map[k].ent);
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
}

/* Every <text>...</text> of the SVG at PATH, un-escaped, in order. */
static texts_t svg_texts(const char *path)
{
    texts_t x = {NULL, 0};
    char *svg = test_slurp(path, NULL);
    if (!svg)
        fail_msg("no chart %s", path);
    for (char *p = svg; (p = strstr(p, "<text")) != NULL;) {
        char *open = strchr(p, '>'), *close = strstr(p, "</text>");
        assert_non_null(open);
        assert_non_null(close);
        x.t = realloc(x.t, (x.n + 1) * sizeof *x.t);
        assert_non_null(x.t);
        x.t[x.n] = strndup(open + 1, (size_t)(close - open - 1));
        assert_non_null(x.t[x.n]);
        unescape(x.t[x.n++]);
        p = close + 7;
    }
    free(svg);
    return x;
}

static void texts_free(texts_t *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->t[i]);
    free(x->t);
}

/* Is LABEL the texts from index I on, as wrapped lines: each piece where
 * the label goes on, a space between two pieces taken out by the wrap (a
 * word longer than a line is cut with none)? */
static int pieces_at(const texts_t *x, size_t i, const char *label)
{
    size_t pos = 0, len = strlen(label);
    for (; i < x->n; i++) {
        size_t k = strlen(x->t[i]);
        if (k == 0 || strncmp(label + pos, x->t[i], k) != 0)
            return 0;
        pos += k;
        if (pos == len)
            return 1;
        if (label[pos] == ' ')
            pos++;
    }
    return 0;
}

/* LABEL (newlines drawn as spaces) is in X, whole or wrapped. */
static void assert_drawn(const texts_t *x, const char *label, const char *svg)
{
    char want[LABEL_MAX + 16];
    snprintf(want, sizeof want, "%s", label);
    for (char *p = want; *p; p++)
        if (*p == '\n')
            *p = ' ';
    for (size_t i = 0; i < x->n; i++)
        if (pieces_at(x, i, want))
            return;
    fail_msg("%s: label not drawn as it is: [%s]", svg, want);
}

/* ---- running graft ----------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        snprintf(marker[i], sizeof marker[i], "%s", test_tmp("pwned_x"));
    for (int i = 0; i < 3; i++)
        marker[i][strlen(marker[i]) - 1] = (char)('0' + i);
    snprintf(gp_log, sizeof gp_log, "%s", test_tmp("gnuplot.log"));
    snprintf(wrapper, sizeof wrapper, "%s", test_tmp("gnuplot.sh"));
    char text[4096];
    snprintf(text, sizeof text,
             "#!/bin/sh\n"
             "gnuplot \"$@\" 2>'%s.$$'\n"
             "rc=$?\n"
             "cat '%s.$$' >>'%s'\n"
             "cat '%s.$$' >&2\n"
             "rm -f '%s.$$'\n"
             "exit $rc\n",
             gp_log, gp_log, gp_log, gp_log, gp_log);
    test_write_file(wrapper, text);
    assert_int_equal(chmod(wrapper, 0700), 0);
    return 0;
}

/* Draw IN as KIND into OUT (SVG) with the extra arguments EXTRA (up to
 * 16, NULL-terminated): exit 0, the chart there, gnuplot silent, no
 * marker file. */
static void draw(const char *in, const char *kind, const char *out,
                 const char *const *extra)
{
    const char *args[40] = {"plot", in, "--kind", kind, "-o", out};
    size_t n = 6;
    for (size_t i = 0; extra && extra[i] && n < 39; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    char env_gp[700];
    snprintf(env_gp, sizeof env_gp, "GRAFT_GNUPLOT=%s", wrapper);
    const char *env[] = {env_gp, NULL};
    unlink(gp_log);
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft_env(res, env, args);
    spawn_expect_ok(res);
    free(res);
    struct stat st;
    if (stat(out, &st) != 0 || st.st_size == 0)
        fail_msg("%s: no chart drawn", out);
    char *log = test_slurp(gp_log, NULL);
    if (log && *log)
        fail_msg("%s: gnuplot printed: %s", out, log);
    free(log);
    for (int i = 0; i < 3; i++)
        if (test_file_exists(marker[i]))
            fail_msg("%s: a label ran a command (%s exists)", out,
                     marker[i]);
}

/* The wrapped labels, MAX_PREFIX + 1 of them, and the newline label. */
static char labels[MAX_PREFIX + 3][LABEL_MAX];
static int n_labels;

static void make_labels(void)
{
    n_labels = 0;
    for (int i = 0; i <= MAX_PREFIX; i++)
        wrapped_label(labels[n_labels++], sizeof labels[0], i);
    snprintf(labels[n_labels++], sizeof labels[0],
             "two\nlines ' \\ A_b^c{d}&<e> %%d");
}

/* ---- every kind, every wrap position -------------------------------- */

static void test_bar(void **state)
{
    (void)state;
    make_labels();
    const char *in = test_tmp("bar.csv"), *out = test_tmp("bar.svg");
    write_input(in, 'e', "x", labels, n_labels);
    char title[LABEL_MAX];
    wrapped_label(title, sizeof title, 7);
    const char *extra[] = {"--title", title, "--subtitle", solid, "--source",
                           labels[3], NULL};
    draw(in, "bar", out, extra);
    texts_t x = svg_texts(out);
    char want[LABEL_MAX + 16];
    for (int i = 0; i < n_labels; i++) {
        snprintf(want, sizeof want, "%s (n=100)", labels[i]);
        assert_drawn(&x, want, out);
    }
    assert_drawn(&x, title, out);
    assert_drawn(&x, solid, out);
    assert_drawn(&x, labels[3], out);
    texts_free(&x);
}

static void test_heatmap(void **state)
{
    (void)state;
    make_labels();
    const char *in = test_tmp("heat.csv"), *out = test_tmp("heat.svg");
    write_input(in, 'e', solid, labels, n_labels);
    draw(in, "heatmap", out, NULL);
    texts_t x = svg_texts(out);
    for (int i = 0; i < n_labels; i++)
        assert_drawn(&x, labels[i], out);
    assert_drawn(&x, solid, out); /* the column header */
    texts_free(&x);
}

static void test_dumbbell(void **state)
{
    (void)state;
    make_labels();
    const char *in = test_tmp("db.csv"), *out = test_tmp("db.svg");
    write_input(in, 'c', "x", labels, n_labels);
    char names[200];
    snprintf(names, sizeof names, "%s,%s", "R'1 %.3f \"@x\"", "`R2` {^_&}");
    const char *extra[] = {"--round-names", names, NULL};
    draw(in, "dumbbell", out, extra);
    texts_t x = svg_texts(out);
    for (int i = 0; i < n_labels; i++)
        assert_drawn(&x, labels[i], out);
    assert_drawn(&x, "R'1 %.3f \"@x\"", out);
    assert_drawn(&x, "`R2` {^_&}", out);
    texts_free(&x);
}

static void test_trend(void **state)
{
    (void)state;
    make_labels();
    const char *in = test_tmp("trend.csv"), *out = test_tmp("trend.svg");
    /* trend legends are not wrapped: a few lines, each label whole */
    static char few[4][LABEL_MAX];
    for (int i = 0; i < 3; i++)
        memcpy(few[i], labels[i * 20], sizeof few[i]);
    snprintf(few[3], sizeof few[3], "%s", solid);
    write_input(in, 't', "x", few, 4);
    const char *extra[] = {"--size", "3000x900", NULL};
    draw(in, "trend", out, extra);
    texts_t x = svg_texts(out);
    for (int i = 0; i < 4; i++)
        assert_drawn(&x, few[i], out);
    for (int r = 0; r < 2; r++)
        assert_drawn(&x, rounds[r], out);
    texts_free(&x);
    /* with years: two-line tic labels, the round over its year */
    const char *years[] = {"--years", "2014,2018", NULL};
    draw(in, "trend", out, years);
    x = svg_texts(out);
    char want[300];
    for (int r = 0; r < 2; r++) {
        snprintf(want, sizeof want, "%s %d", rounds[r], r ? 2018 : 2014);
        assert_drawn(&x, want, out);
    }
    texts_free(&x);
}

/* ---- a label gnuplot would cut is refused --------------------------- */

static void test_too_long(void **state)
{
    (void)state;
    static char long_label[1][LABEL_MAX];
    memset(long_label[0], '"', 600);
    long_label[0][600] = '\0';
    const char *in = test_tmp("long.csv"), *out = test_tmp("long.svg");
    write_input(in, 'e', "x", long_label, 1);
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft(res, "plot", in, "--kind", "bar", "-o", out, NULL);
    char msg[800];
    snprintf(msg, sizeof msg,
             "%s: the label '%.40s...' is too long to draw (3036 bytes in "
             "the chart's data file, at most 1000)",
             in, long_label[0]);
    spawn_expect_error(res, 64, msg);
    free(res);
    assert_false(test_file_exists(out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bar),      cmocka_unit_test(test_heatmap),
        cmocka_unit_test(test_dumbbell), cmocka_unit_test(test_trend),
        cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
