/*
 * test_xlsx.c - Excel workbooks (graft/xlsx.h): estimate, compare, trend,
 * describe, model and plan write -o FILE.xlsx, and graft run writes
 * tables.xlsx.  Each workbook is read back from its XML (a zip: minizip)
 * and every cell compared with the CSV graft writes of the same table:
 * numbers equal exactly (strtod of both), strings equal, empty fields
 * empty cells.  Also: the header row frozen, the percent format on
 * proportions (not on means), "suppressed" on suppressed rows, the notes
 * sheet with graft_version(), sheet names, the unknown -o extension
 * error, a workbook refused on stdout, and no file (nor temporary) left
 * when writing fails.
 *
 * The binary under test is $GRAFT_BIN (set by `make check`), else ./graft.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "graft/version.h"
#include "graft/xlsx.h"
#include "write/table_writer.h"

#include <dirent.h>
#include <minizip/unzip.h>

#define R1 "surveys/demo/round1.ini"
#define R2 "surveys/demo/round2.ini"
#define DEMO "analysis/demo.ini"

static spawn_result_t R;

static void run(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    spawn_graft_v(&R, arg, ap);
    va_end(ap);
    if (R.status != 0)
        fail_msg("graft exited %d: %s", R.status, R.err);
}

/* ---- reading a workbook -------------------------------------------------- */

/* Entry NAME of the zip PATH as a string (NULL when absent). */
static char *zip_entry(const char *path, const char *name)
{
    unzFile z = unzOpen64(path);
    if (!z)
        fail_msg("%s: not a zip archive", path);
    if (unzLocateFile(z, name, 1) != UNZ_OK) {
        unzClose(z);
        return NULL;
    }
    assert_int_equal(unzOpenCurrentFile(z), UNZ_OK);
    test_text_t t = {0};
    char buf[8192];
    int n;
    while ((n = unzReadCurrentFile(z, buf, sizeof buf)) > 0)
        test_text_add(&t, buf, (size_t)n);
    assert_true(n == 0);
    unzCloseCurrentFile(z);
    unzClose(z);
    test_text_add(&t, "", 0);
    return t.s ? t.s : strdup("");
}

/* XML text S..E unescaped into a new string. */
static char *unescape(const char *s, const char *e)
{
    static const char *const ents[][2] = {{"&amp;", "&"}, {"&lt;", "<"},
                                          {"&gt;", ">"}, {"&quot;", "\""},
                                          {"&apos;", "'"}};
    char *out = malloc((size_t)(e - s) + 1), *o = out;
    assert_non_null(out);
    while (s < e) {
        size_t k;
        for (k = 0; k < 5; k++)
            if (strncmp(s, ents[k][0], strlen(ents[k][0])) == 0)
                break;
        if (k < 5) {
            *o++ = ents[k][1][0];
            s += strlen(ents[k][0]);
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

typedef struct cell {
    int kind; /* 0 absent or blank, 's' string, 'n' number */
    char *text;
    int style;
} cell_t;

typedef struct sheet {
    cell_t *cells; /* rows x cols */
    size_t rows, cols;
    char *xml;
} sheet_t;

typedef struct book {
    char *path;
    char **strings; /* shared strings */
    size_t n_strings;
    char **names;   /* sheet names, in order */
    size_t n_sheets;
    char *styles;
} book_t;

static void book_open(book_t *b, const char *path)
{
    memset(b, 0, sizeof *b);
    b->path = strdup(path);
    char *sst = zip_entry(path, "xl/sharedStrings.xml");
    for (const char *p = sst ? strstr(sst, "<si>") : NULL; p;
         p = strstr(p + 1, "<si>")) {
        const char *t = strstr(p, "<t"), *gt = t ? strchr(t, '>') : NULL;
        const char *end = gt ? strstr(gt, "</t>") : NULL;
        assert_non_null(end);
        b->strings = realloc(b->strings, (b->n_strings + 1) * sizeof *b->strings);
        b->strings[b->n_strings++] = unescape(gt + 1, end);
    }
    free(sst);
    char *wb = zip_entry(path, "xl/workbook.xml");
    assert_non_null(wb);
    for (const char *p = strstr(wb, "<sheet "); p; p = strstr(p + 1, "<sheet ")) {
        const char *n = strstr(p, "name=\"") + 6, *e = strchr(n, '"');
        b->names = realloc(b->names, (b->n_sheets + 1) * sizeof *b->names);
        b->names[b->n_sheets++] = unescape(n, e);
    }
    free(wb);
    b->styles = zip_entry(path, "xl/styles.xml");
    assert_non_null(b->styles);
}

static void book_close(book_t *b)
{
    for (size_t i = 0; i < b->n_strings; i++)
        free(b->strings[i]);
    for (size_t i = 0; i < b->n_sheets; i++)
        free(b->names[i]);
    free(b->strings);
    free(b->names);
    free(b->styles);
    free(b->path);
}

static void sheet_free(sheet_t *s)
{
    for (size_t i = 0; i < s->rows * s->cols; i++)
        free(s->cells[i].text);
    free(s->cells);
    free(s->xml);
}

static cell_t *at(sheet_t *s, size_t r, size_t c)
{
    static cell_t none;
    return r < s->rows && c < s->cols ? &s->cells[r * s->cols + c] : &none;
}

/* The sheet named NAME of B. */
static void sheet_load(const book_t *b, const char *name, sheet_t *s)
{
    size_t idx = 0;
    while (idx < b->n_sheets && strcmp(b->names[idx], name) != 0)
        idx++;
    if (idx == b->n_sheets)
        fail_msg("%s: no sheet '%s'", b->path, name);
    char entry[64];
    snprintf(entry, sizeof entry, "xl/worksheets/sheet%zu.xml", idx + 1);
    memset(s, 0, sizeof *s);
    s->xml = zip_entry(b->path, entry);
    assert_non_null(s->xml);
    s->rows = 1;
    s->cols = 1;
    /* first pass: the extent */
    for (const char *p = strstr(s->xml, "<c r=\""); p;
         p = strstr(p + 1, "<c r=\"")) {
        size_t c = 0, r = 0;
        const char *q = p + 6;
        for (; *q >= 'A' && *q <= 'Z'; q++)
            c = c * 26 + (size_t)(*q - 'A' + 1);
        r = strtoul(q, NULL, 10);
        if (r > s->rows)
            s->rows = r;
        if (c > s->cols)
            s->cols = c;
    }
    s->cells = calloc(s->rows * s->cols, sizeof *s->cells);
    for (const char *p = strstr(s->xml, "<c r=\""); p;
         p = strstr(p + 1, "<c r=\"")) {
        size_t c = 0, r;
        const char *q = p + 6, *gt = strchr(p, '>');
        for (; *q >= 'A' && *q <= 'Z'; q++)
            c = c * 26 + (size_t)(*q - 'A' + 1);
        r = strtoul(q, NULL, 10);
        cell_t *x = at(s, r - 1, c - 1);
        char *tag = strndup(p, (size_t)(gt - p));
        const char *st = strstr(tag, " s=\"");
        x->style = st ? atoi(st + 4) : 0;
        if (gt[-1] == '/' || strncmp(gt + 1, "<v>", 3) != 0) {
            free(tag);
            continue; /* blank */
        }
        const char *v = gt + 4, *ve = strstr(v, "</v>");
        char *val = strndup(v, (size_t)(ve - v));
        if (strstr(tag, " t=\"s\"")) {
            size_t k = strtoul(val, NULL, 10);
            assert_true(k < b->n_strings);
            x->kind = 's';
            x->text = strdup(b->strings[k]);
            free(val);
        } else {
            assert_null(strstr(tag, " t=\""));
            x->kind = 'n';
            x->text = val;
        }
        free(tag);
    }
}

/* The number format code of style index STYLE ("General" for none). */
static void style_format(const book_t *b, int style, char *buf, size_t n)
{
    const char *xfs = strstr(b->styles, "<cellXfs");
    assert_non_null(xfs);
    const char *xf = xfs;
    for (int i = 0; i <= style; i++) {
        xf = strstr(xf + 1, "<xf ");
        assert_non_null(xf);
    }
    int id = atoi(strstr(xf, "numFmtId=\"") + 10);
    snprintf(buf, n, "General");
    char pat[64];
    snprintf(pat, sizeof pat, "<numFmt numFmtId=\"%d\" formatCode=\"", id);
    const char *f = strstr(b->styles, pat);
    if (id == 10)
        snprintf(buf, n, "0.00%%");
    else if (id == 9)
        snprintf(buf, n, "0%%");
    if (f) {
        f += strlen(pat);
        char *code = unescape(f, strchr(f, '"'));
        snprintf(buf, n, "%s", code);
        free(code);
    }
}

/* ---- reading a CSV -------------------------------------------------------- */

typedef struct csv {
    char ***rows; /* fields, NULL-ended per row */
    size_t n;
    size_t *n_fields;
} csv_t;

static void csv_load(csv_t *t, const char *path)
{
    char *text = test_slurp_must(path, NULL), *p = text;
    memset(t, 0, sizeof *t);
    while (*p) {
        char **row = NULL;
        size_t nf = 0;
        for (;;) {
            test_text_t f = {0};
            if (*p == '"') {
                for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                    if (*p == '"')
                        p++;
                    test_text_add(&f, p, 1);
                }
                if (*p == '"')
                    p++;
            } else {
                size_t k = strcspn(p, ",\n");
                test_text_add(&f, p, k);
                p += k;
            }
            test_text_add(&f, "", 0);
            row = realloc(row, (nf + 1) * sizeof *row);
            row[nf++] = f.s ? f.s : strdup("");
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == '\n')
                p++;
            break;
        }
        t->rows = realloc(t->rows, (t->n + 1) * sizeof *t->rows);
        t->n_fields = realloc(t->n_fields, (t->n + 1) * sizeof *t->n_fields);
        t->rows[t->n] = row;
        t->n_fields[t->n++] = nf;
    }
    free(text);
}

static void csv_free(csv_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        for (size_t j = 0; j < t->n_fields[i]; j++)
            free(t->rows[i][j]);
        free(t->rows[i]);
    }
    free(t->rows);
    free(t->n_fields);
}

/* Column NAME of the CSV's header, or fail. */
static size_t csv_col(const csv_t *t, const char *name)
{
    for (size_t j = 0; j < t->n_fields[0]; j++)
        if (strcmp(t->rows[0][j], name) == 0)
            return j;
    fail_msg("no column '%s'", name);
    return 0;
}

/* Every cell of sheet NAME of workbook XLSX equals the CSV's field:
 * numbers exactly, strings as they are, empty fields empty.  Returns the
 * number of numeric cells compared. */
static size_t expect_sheet_is_csv(const char *xlsx, const char *name,
                                  const char *csv_path)
{
    book_t b;
    sheet_t s;
    csv_t t;
    size_t numbers = 0;
    book_open(&b, xlsx);
    sheet_load(&b, name, &s);
    csv_load(&t, csv_path);
    if (s.rows != t.n)
        fail_msg("%s '%s': %zu rows, %s has %zu", xlsx, name, s.rows,
                 csv_path, t.n);
    for (size_t i = 0; i < t.n; i++) {
        if (t.n_fields[i] > s.cols && *t.rows[i][t.n_fields[i] - 1])
            fail_msg("%s row %zu: %zu fields, the sheet %zu columns",
                     csv_path, i + 1, t.n_fields[i], s.cols);
        for (size_t j = 0; j < t.n_fields[i]; j++) {
            const char *f = t.rows[i][j];
            cell_t *c = at(&s, i, j);
            if (!*f) {
                if (c->kind)
                    fail_msg("%s '%s' R%zuC%zu: '%s', the CSV empty", xlsx,
                             name, i + 1, j + 1, c->text);
            } else if (c->kind == 'n') {
                char *end;
                double want = strtod(f, &end), got = strtod(c->text, NULL);
                if (*end || got != want)
                    fail_msg("%s '%s' R%zuC%zu: %s (%.17g), the CSV %s", xlsx,
                             name, i + 1, j + 1, c->text, got, f);
                numbers++;
            } else if (c->kind != 's' || strcmp(c->text, f) != 0) {
                fail_msg("%s '%s' R%zuC%zu: '%s', the CSV '%s'", xlsx, name,
                         i + 1, j + 1, c->kind ? c->text : "(empty)", f);
            }
        }
        for (size_t j = t.n_fields[i]; j < s.cols; j++)
            assert_int_equal(at(&s, i, j)->kind, 0);
    }
    /* the header row, frozen */
    if (!strstr(s.xml, "<pane ySplit=\"1\" topLeftCell=\"A2\" "
                       "activePane=\"bottomLeft\" state=\"frozen\"/>"))
        fail_msg("%s '%s': the header row is not frozen", xlsx, name);
    /* column widths set */
    assert_non_null(strstr(s.xml, "customWidth=\"1\""));
    csv_free(&t);
    sheet_free(&s);
    book_close(&b);
    return numbers;
}

/* The notes sheet of XLSX holds "graft version" = graft_version() and the
 * item ITEM (NULL: none) with VALUE. */
static void expect_notes(const char *xlsx, const char *item, const char *value)
{
    book_t b;
    sheet_t s;
    book_open(&b, xlsx);
    assert_string_equal(b.names[b.n_sheets - 1], "notes");
    sheet_load(&b, "notes", &s);
    int version = 0, found = !item;
    for (size_t i = 1; i < s.rows; i++) {
        const cell_t *k = at(&s, i, 1), *v = at(&s, i, 2);
        if (k->kind != 's' || v->kind != 's')
            continue;
        if (strcmp(k->text, "graft version") == 0 &&
            strcmp(v->text, graft_version()) == 0)
            version = 1;
        if (item && strcmp(k->text, item) == 0 && strcmp(v->text, value) == 0)
            found = 1;
    }
    if (!version)
        fail_msg("%s: no graft version %s in the notes", xlsx,
                 graft_version());
    if (!found)
        fail_msg("%s: no note %s = %s", xlsx, item, value);
    sheet_free(&s);
    book_close(&b);
}

/* No "*.tmp.*" (nor anything else but KEEP files) in the test folder. */
static void expect_no_temporaries(void)
{
    DIR *d = opendir(test_tmp_dir());
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.") || strstr(e->d_name, ".lxw."))
            fail_msg("temporary file left behind: %s", e->d_name);
    closedir(d);
}

/* ---- the commands ------------------------------------------------------- */

static void test_estimate(void **state)
{
    (void)state;
    const char *x = test_tmp("est.xlsx"), *c = test_tmp("est.csv");
    run("estimate", "--survey", R1, "--analysis", DEMO, "-o", x, NULL);
    run("estimate", "--survey", R1, "--analysis", DEMO, "-o", c, NULL);
    assert_true(expect_sheet_is_csv(x, "estimates", c) > 500);
    expect_notes(x, "weight", "weight");
    expect_notes(x, "interval method", "logit");

    /* percent on a proportion's estimate, SE and interval; not on a mean;
     * "suppressed" on a suppressed row; the value kept all the same */
    book_t b;
    sheet_t s;
    csv_t t;
    book_open(&b, x);
    assert_int_equal(b.n_sheets, 2);
    assert_string_equal(b.names[0], "estimates");
    sheet_load(&b, "estimates", &s);
    csv_load(&t, c);
    size_t ind = csv_col(&t, "indicator"), est = csv_col(&t, "estimate"),
           se = csv_col(&t, "se"), lo = csv_col(&t, "ci_low"),
           hi = csv_col(&t, "ci_high"), flag = csv_col(&t, "flag"),
           df = csv_col(&t, "df");
    int seen_pct = 0, seen_mean = 0, seen_suppressed = 0;
    for (size_t i = 1; i < t.n; i++) {
        char fe[128], fs[128], fl[128], fh[128], fd[128];
        style_format(&b, at(&s, i, est)->style, fe, sizeof fe);
        style_format(&b, at(&s, i, se)->style, fs, sizeof fs);
        style_format(&b, at(&s, i, lo)->style, fl, sizeof fl);
        style_format(&b, at(&s, i, hi)->style, fh, sizeof fh);
        style_format(&b, at(&s, i, df)->style, fd, sizeof fd);
        assert_null(strchr(fd, '%'));
        const char *name = t.rows[i][ind];
        int suppressed = strncmp(t.rows[i][flag], "suppress", 8) == 0;
        if (suppressed && at(&s, i, est)->kind == 'n') {
            assert_non_null(strstr(fe, "\"suppressed\""));
            seen_suppressed++;
            continue;
        }
        if (strcmp(name, "n_bribes") == 0 ||
            strncmp(name, "median_amount", 13) == 0) {
            assert_string_equal(fe, "General");
            assert_string_equal(fs, "General");
            seen_mean++;
        } else if (at(&s, i, est)->kind == 'n') {
            if (strcmp(fe, "0.0%") != 0)
                fail_msg("row %zu (%s, flag '%s'): estimate as %s", i + 1,
                         name, t.rows[i][flag], fe);
            if (at(&s, i, lo)->kind == 'n') /* else undefined: empty */
                assert_string_equal(fl, "0.0%");
            if (at(&s, i, hi)->kind == 'n')
                assert_string_equal(fh, "0.0%");
            if (at(&s, i, se)->kind == 'n')
                assert_string_equal(fs, "0.00%");
            seen_pct++;
        }
    }
    assert_true(seen_pct > 20);
    assert_true(seen_mean > 5);
    assert_true(seen_suppressed > 5);
    csv_free(&t);
    sheet_free(&s);
    book_close(&b);
    expect_no_temporaries();
}

static void test_compare_trend(void **state)
{
    (void)state;
    const char *x = test_tmp("cmp.xlsx"), *c = test_tmp("cmp.csv");
    run("compare", R1, R2, "--analysis", DEMO, "-o", x, NULL);
    run("compare", R1, R2, "--analysis", DEMO, "-o", c, NULL);
    assert_true(expect_sheet_is_csv(x, "comparisons", c) > 300);
    expect_notes(x, "p adjustment", "holm");
    const char *tx = test_tmp("trend.xlsx"), *tc = test_tmp("trend.csv");
    run("trend", R1, R2, "--analysis", DEMO, "--format", "xlsx", "-o", tx,
        NULL);
    run("trend", R1, R2, "--analysis", DEMO, "-o", tc, NULL);
    assert_true(expect_sheet_is_csv(tx, "trend", tc) > 300);
    expect_notes(tx, "lonely psu", "adjust");
    expect_no_temporaries();
}

static void test_describe(void **state)
{
    (void)state;
    const char *x = test_tmp("d.xlsx"), *c = test_tmp("d.csv");
    run("describe", "--survey", R1, "-o", x, NULL);
    run("describe", "--survey", R1, "--format", "csv", "-o", c, NULL);
    /* describe's CSV carries its numbers as text: the workbook as numbers */
    assert_true(expect_sheet_is_csv(x, "describe", c) > 100);
    expect_notes(x, "psu", "ea (nested)");
    expect_no_temporaries();
}

static void test_model(void **state)
{
    (void)state;
    const char *x = test_tmp("m.xlsx"), *c = test_tmp("m.csv");
    run("model", R1, "--family", "logistic", "--formula",
        "paid_police == 1 ~ sex + urban + age_group + zone", "--among",
        "contact_police == 1", "-o", x, NULL);
    run("model", R1, "--family", "logistic", "--formula",
        "paid_police == 1 ~ sex + urban + age_group + zone", "--among",
        "contact_police == 1", "-o", c, NULL);
    assert_true(expect_sheet_is_csv(x, "model", c) > 100);
    expect_notes(x, "family", "logistic");
    expect_no_temporaries();
}

static void test_sae(void **state)
{
    (void)state;
    const char *x = test_tmp("s.xlsx"), *c = test_tmp("s.csv");
    run("sae", R1, "--prop", "paid_any == 1", "--among", "contact_any == 1",
        "--by", "zone", "--covariates", "tests/data/sae/demo_zones_extra.csv",
        "--formula", "~ urban_share + literacy", "-o", x, NULL);
    run("sae", R1, "--prop", "paid_any == 1", "--among", "contact_any == 1",
        "--by", "zone", "--covariates", "tests/data/sae/demo_zones_extra.csv",
        "--formula", "~ urban_share + literacy", "-o", c, NULL);
    assert_true(expect_sheet_is_csv(x, "sae", c) > 60);
    expect_notes(x, "direct variances", "direct");
    expect_no_temporaries();
}

static void test_plan(void **state)
{
    (void)state;
    const char *x = test_tmp("p.XLSX"), *c = test_tmp("p.csv");
    run("plan", "--p1", "0.3", "--p2", "0.35", "--deff", "1.7", "-o", x,
        NULL);
    run("plan", "--p1", "0.3", "--p2", "0.35", "--deff", "1.7", "-o", c,
        NULL);
    assert_true(expect_sheet_is_csv(x, "plan", c) >= 7);
    const char *bx = test_tmp("pb.xlsx"), *bc = test_tmp("pb.csv");
    run("plan", R1, "--analysis", DEMO, "--change", "0.05", "-o", bx, NULL);
    run("plan", R1, "--analysis", DEMO, "--change", "0.05", "-o", bc, NULL);
    assert_true(expect_sheet_is_csv(bx, "plan", bc) > 50);
    expect_notes(bx, "power", "0.8");
    expect_no_temporaries();
}

/* graft run: tables.xlsx with one sheet per CSV table, each equal to it. */
static void test_run(void **state)
{
    (void)state;
    char dir[600], xlsx[700], csv[700];
    snprintf(dir, sizeof dir, "%s/run", test_tmp_dir());
    run("run", DEMO, "-o", dir, NULL);
    snprintf(xlsx, sizeof xlsx, "%s/tables.xlsx", dir);
    static const char *const sheets[] = {"estimates", "comparisons", "trend",
                                         "plan", "model_police", "sae_zones",
                                         "notes"};
    book_t b;
    book_open(&b, xlsx);
    assert_int_equal(b.n_sheets, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(b.names[i], sheets[i]);
    book_close(&b);
    size_t numbers = 0;
    for (size_t i = 0; i < 6; i++) {
        snprintf(csv, sizeof csv, "%s/%s.csv", dir, sheets[i]);
        numbers += expect_sheet_is_csv(xlsx, sheets[i], csv);
    }
    assert_true(numbers > 1000);
    expect_notes(xlsx, "source",
                 "Demo bribery-experience survey (round1_weighted.csv)");
    expect_notes(xlsx, "calibration",
                 "linearized with the calibration's residuals");
}

/* ---- the extension rule, stdout, failures -------------------------------- */

static void test_extension_rule(void **state)
{
    (void)state;
    char xls[600], msg[1024];
    snprintf(xls, sizeof xls, "%s", test_tmp("table.xls"));
    spawn_graft(&R, "estimate", "--survey", R1, "--analysis", DEMO, "-o", xls,
                NULL);
    snprintf(msg, sizeof msg,
             "-o %s: unknown extension '.xls' (use .csv, .json, .md, .txt "
             "or .xlsx, or --format)",
             xls);
    spawn_expect_error(&R, 64, msg);
    assert_false(test_file_exists(xls));
    spawn_graft(&R, "plan", "--p1", "0.3", "--p2", "0.4", "-o", xls, NULL);
    spawn_expect_error(&R, 64, msg);
    spawn_graft(&R, "describe", "--survey", R1, "-o", xls, NULL);
    spawn_expect_error(&R, 64, msg);
    assert_false(test_file_exists(xls));
    /* --format wins over any name */
    run("plan", "--p1", "0.3", "--p2", "0.4", "--format", "csv", "-o", xls,
        NULL);
    char *text = test_slurp_must(xls, NULL);
    assert_int_equal(strncmp(text, "p1,p2,deff,", 11), 0);
    free(text);
    remove(xls);
    /* no extension: CSV, as ever */
    const char *bare = test_tmp("table");
    run("plan", "--p1", "0.3", "--p2", "0.4", "-o", bare, NULL);
    text = test_slurp_must(bare, NULL);
    assert_int_equal(strncmp(text, "p1,p2,deff,", 11), 0);
    free(text);
    remove(bare);
    /* upper case is fine */
    run("plan", "--p1", "0.3", "--p2", "0.4", "-o", test_tmp("t.JSON"), NULL);
    text = test_slurp_must(test_tmp("t.JSON"), NULL);
    assert_int_equal(text[0], '[');
    free(text);
    remove(test_tmp("t.JSON"));
    /* a workbook on stdout: refused */
    spawn_graft(&R, "plan", "--p1", "0.3", "--p2", "0.4", "--format", "xlsx",
                NULL);
    spawn_expect_error(&R, 64,
                       "--format xlsx: a workbook is binary, not for stdout "
                       "or a terminal: give -o FILE.xlsx");
    assert_int_equal(R.out[0], '\0');
    /* nor to a device */
    spawn_graft(&R, "plan", "--p1", "0.3", "--p2", "0.4", "--format", "xlsx",
                "-o", "/dev/null", NULL);
    spawn_expect_error(&R, 74,
                       "/dev/null: cannot write a workbook here: an .xlsx is "
                       "a binary zip archive written to a regular file, not "
                       "to stdout, a device or a pipe");
    /* weight --report: the same rule, and no workbook */
    char wout[600];
    snprintf(wout, sizeof wout, "%s", test_tmp("w.csv"));
    spawn_graft(&R, "weight", R1, "--margins", "surveys/demo/margins/zone.csv",
                "-o", wout, "--report", xls, NULL);
    snprintf(msg, sizeof msg,
             "--report %s: unknown extension '.xls' (use .csv, .json, .md, "
             ".txt or .xlsx, or --format)",
             xls);
    spawn_expect_error(&R, 64, msg);
    assert_false(test_file_exists(wout));
    /* nor weight's data under a workbook's name */
    char wx[600];
    snprintf(wx, sizeof wx, "%s", test_tmp("w.xlsx"));
    spawn_graft(&R, "weight", R1, "--margins", "surveys/demo/margins/zone.csv",
                "-o", wx, NULL);
    snprintf(msg, sizeof msg, "-o '%s': weight writes CSV (give a .csv name)",
             wx);
    spawn_expect_error(&R, 64, msg);
    assert_false(test_file_exists(wx));
    expect_no_temporaries();
}

/* A table libxlsxwriter refuses once the temporaries exist (a by value
 * over Excel's 32767 characters): exit 74, no file, no temporary. */
static void test_cli_failure_leaves_nothing(void **state)
{
    (void)state;
    char data[600], out[600];
    snprintf(data, sizeof data, "%s", test_tmp("long.csv"));
    snprintf(out, sizeof out, "%s", test_tmp("long.xlsx"));
    test_text_t t = {0};
    test_text_adds(&t, "w,p,g\n");
    for (int i = 0; i < 4; i++) {
        test_text_adds(&t, i % 2 ? "1,1," : "2,0,");
        for (int k = 0; k < 40000; k++)
            test_text_add(&t, "x", 1);
        test_text_adds(&t, "\n");
    }
    test_write_file(data, t.s);
    free(t.s);
    spawn_graft(&R, "estimate", data, "--weight", "w", "--prop", "p == 1",
                "--by", "g", "-o", out, NULL);
    assert_int_equal(R.status, 74);
    assert_non_null(strstr(R.err, "sheet 'estimates'"));
    assert_false(test_file_exists(out));
    remove(data);
    expect_no_temporaries();
}

/* -o into a missing folder: the error, no file. */
static void test_missing_dir(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/no/such/dir/e.xlsx", test_tmp_dir());
    spawn_graft(&R, "plan", "--p1", "0.3", "--p2", "0.4", "-o", path, NULL);
    assert_int_equal(R.status, 74);
    assert_non_null(strstr(R.err, "cannot write"));
    assert_false(test_file_exists(path));
    expect_no_temporaries();
}

/* A sheet libxlsxwriter refuses (a string beyond Excel's 32767
 * characters) after the temporaries exist: the error, and nothing left. */
static void test_failure_leaves_nothing(void **state)
{
    (void)state;
    const char *path = test_tmp("fail.xlsx");
    graft_diag_t diag;
    graft_outfile_t of;
    graft_workbook_t *wb;
    graft_diag_clear(&diag);
    assert_int_equal(graft_outfile_open(&of, path, &diag), GRAFT_OK);
    assert_int_equal(graft_workbook_new_outfile(&wb, &of, &diag), GRAFT_OK);
    static const graft_tcol_t cols[] = {{.name = "s", .field = 0},
                                        {.name = "x", .field = 1,
                                         .kind = GRAFT_TCOL_REAL}};
    char *big = malloc(40001);
    memset(big, 'a', 40000);
    big[40000] = '\0';
    graft_tcell_t cells[2] = {{.s = big}, {.x = 0.1}};
    graft_table_t t;
    graft_table_begin_sheet(&t, wb, "x", cols, 2);
    graft_table_row(&t, cells);
    assert_int_equal(graft_table_end(&t, NULL, NULL, &diag), GRAFT_ERR_WRITE);
    assert_non_null(strstr(diag.msg, "sheet 'x'"));
    free(big);
    graft_workbook_free(wb);
    graft_outfile_abort(&of);
    assert_false(test_file_exists(path));
    expect_no_temporaries();
}

/* Sheet names: Excel's forbidden characters, 31 characters, unique. */
static void test_sheet_names(void **state)
{
    (void)state;
    const char *path = test_tmp("names.xlsx");
    graft_diag_t diag;
    graft_workbook_t *wb;
    graft_diag_clear(&diag);
    assert_int_equal(graft_workbook_new(&wb, path, &diag), GRAFT_OK);
    static const graft_tcol_t cols[] = {{.name = "x", .field = 0,
                                         .kind = GRAFT_TCOL_REAL}};
    static const char *const asked[] = {
        "a[b]:c*d?e/f\\g", "notes", "NOTES",
        "model_a_very_long_name_beyond_thirty_one",
        "model_a_very_long_name_beyond_thirty_two"};
    static const char *const want[] = {
        "a_b__c_d_e_f_g", "notes (2)", "NOTES (3)",
        "model_a_very_long_name_beyond_t", "model_a_very_long_name_beyo (2)"};
    for (size_t i = 0; i < 5; i++) {
        char name[128];
        graft_workbook_sheet_name(wb, asked[i], name, sizeof name);
        assert_string_equal(name, want[i]);
        graft_table_t t;
        graft_tcell_t cells[1] = {{.x = (double)i}};
        graft_table_begin_sheet(&t, wb, asked[i], cols, 1);
        graft_table_row(&t, cells);
        assert_int_equal(graft_table_end(&t, NULL, NULL, &diag), GRAFT_OK);
    }
    assert_int_equal(graft_workbook_close(wb, &diag), GRAFT_OK);
    book_t b;
    book_open(&b, path);
    assert_int_equal(b.n_sheets, 6);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(b.names[i], want[i]);
    assert_string_equal(b.names[5], "notes");
    book_close(&b);
    remove(path);
}

/* Doubles that %.16G does not carry come back whole. */
static void test_full_precision(void **state)
{
    (void)state;
    const char *path = test_tmp("prec.xlsx");
    graft_diag_t diag;
    graft_workbook_t *wb;
    graft_diag_clear(&diag);
    assert_int_equal(graft_workbook_new(&wb, path, &diag), GRAFT_OK);
    static const graft_tcol_t cols[] = {
        {.name = "x", .field = 0, .kind = GRAFT_TCOL_REAL},
        {.name = "n", .field = 1, .kind = GRAFT_TCOL_COUNT}};
    const double xs[] = {0.1 + 0.2, 1.0 / 3, 2.0 / 3, 5720813.9148610085,
                         1e-300 / 3, -1.7976931348623157e308, 0.0,
                         4.9406564584124654e-324};
    graft_table_t t;
    graft_table_begin_sheet(&t, wb, "p", cols, 2);
    for (size_t i = 0; i < 8; i++) {
        graft_tcell_t cells[2] = {{.x = xs[i], .pct = 1}, {.n = i}};
        graft_table_row(&t, cells);
    }
    graft_tcell_t undefined[2] = {{.x = NAN}, {.n = 9}};
    graft_table_row(&t, undefined);
    assert_int_equal(graft_table_end(&t, NULL, NULL, &diag), GRAFT_OK);
    assert_int_equal(graft_workbook_close(wb, &diag), GRAFT_OK);
    book_t b;
    sheet_t s;
    book_open(&b, path);
    sheet_load(&b, "p", &s);
    assert_int_equal(s.rows, 10);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(at(&s, i + 1, 0)->kind, 'n');
        double got = strtod(at(&s, i + 1, 0)->text, NULL);
        if (got != xs[i])
            fail_msg("row %zu: %s, want %.17g", i + 1, at(&s, i + 1, 0)->text,
                     xs[i]);
        assert_int_equal(strtoul(at(&s, i + 1, 1)->text, NULL, 10), i);
    }
    assert_int_equal(at(&s, 9, 0)->kind, 0); /* undefined: empty */
    sheet_free(&s);
    book_close(&b);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_precision),
        cmocka_unit_test(test_sheet_names),
        cmocka_unit_test(test_failure_leaves_nothing),
        cmocka_unit_test(test_estimate),
        cmocka_unit_test(test_compare_trend),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_sae),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_extension_rule),
        cmocka_unit_test(test_missing_dir),
        cmocka_unit_test(test_cli_failure_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
