/*
 * test_table.h - reference tables for the estimator tests: a CSV loaded
 * with graft's own reader (tested on its own in test_csv), and the
 * comparison of graft's estimate rows with R's reference rows.
 */
#ifndef GRAFT_TEST_TABLE_H
#define GRAFT_TEST_TABLE_H

#include "test_util.h"
#include "graft/estimate.h"

/* ---- a small CSV table loaded with graft's own reader ---------------- */

typedef struct table {
    char **names;
    size_t ncols;
    char **cells; /* row-major copies of each field's text */
    double *num;  /* row-major: the number the reader saw, NaN for text */
    size_t nrows, cap;
} table_t;

static inline graft_error_t t_header(void *ctx, const graft_column_t *cols,
                              size_t ncols, graft_diag_t *diag)
{
    (void)diag;
    table_t *t = ctx;
    t->names = calloc(ncols, sizeof *t->names);
    for (size_t i = 0; i < ncols; i++)
        t->names[i] = strdup(cols[i].name);
    t->ncols = ncols;
    return GRAFT_OK;
}

static inline graft_error_t t_row(void *ctx, const graft_cell_t *cells, size_t ncols,
                           unsigned long line, graft_diag_t *diag)
{
    (void)line;
    (void)diag;
    table_t *t = ctx;
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->cells = realloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
        t->num = realloc(t->num, t->cap * t->ncols * sizeof *t->num);
        assert_true(t->cells && t->num);
    }
    for (size_t i = 0; i < ncols; i++) {
        t->cells[t->nrows * t->ncols + i] =
            strdup(cells[i].str ? cells[i].str : "");
        t->num[t->nrows * t->ncols + i] =
            cells[i].kind == GRAFT_CELL_NUMBER ? cells[i].num : NAN;
    }
    t->nrows++;
    return GRAFT_OK;
}

/* Load the CSV at PATH into T; a file graft cannot read fails the test. */
static inline void table_load(table_t *t, const char *path)
{
    graft_diag_t diag;
    memset(t, 0, sizeof *t);
    if (graft_read(path, NULL, t_header, t_row, t, &diag) != GRAFT_OK) {
        char buf[2200];
        fail_msg("%s", graft_diag_format(&diag, buf, sizeof buf));
    }
}

static inline void table_free(table_t *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    for (size_t i = 0; i < t->ncols; i++)
        free(t->names[i]);
    free(t->cells);
    free(t->num);
    free(t->names);
}

/* table_load into a new table (freed with table_close). */
static inline table_t *table_open(const char *path)
{
    table_t *t = malloc(sizeof *t);
    assert_non_null(t);
    table_load(t, path);
    return t;
}

static inline void table_close(table_t *t)
{
    if (!t)
        return;
    table_free(t);
    free(t);
}

/* The index of column NAME; a missing column fails the test. */
static inline size_t table_col(const table_t *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    fail_msg("no column '%s'", name);
    return 0;
}

/* The text of column NAME in ROW. */
static inline const char *cell(const table_t *t, size_t row, const char *name)
{
    return t->cells[row * t->ncols + table_col(t, name)];
}

/* The number in column COL of ROW as graft's reader saw it (NaN: text). */
static inline double table_num(const table_t *t, size_t row, size_t col)
{
    return t->num[row * t->ncols + col];
}

/* The first row whose column COL holds VALUE; a missing row fails. */
static inline size_t table_find(const table_t *t, const char *col,
                                const char *value)
{
    for (size_t r = 0; r < t->nrows; r++)
        if (strcmp(cell(t, r, col), value) == 0)
            return r;
    fail_msg("no row with %s = '%s'", col, value);
    return 0;
}

/* Split S (modified) at the characters of SEP into OUT; returns the count
 * (0 for an empty S). */
static inline size_t table_split(char *s, const char **out, size_t max,
                                 const char *sep)
{
    size_t n = 0;
    if (!*s)
        return 0;
    for (char *tok = strtok(s, sep); tok && n < max; tok = strtok(NULL, sep))
        out[n++] = tok;
    return n;
}

/* The output row for DOMAIN ("All" or codes joined by ':'). */
static inline const graft_estimate_row_t *find_row(const graft_estimates_t *e,
                                            const char *domain)
{
    for (size_t i = 0; i < e->n_rows; i++) {
        const graft_estimate_row_t *r = &e->rows[i];
        char key[512] = "";
        if (r->by_set == (size_t)-1) {
            strcpy(key, "All");
        } else {
            for (size_t j = 0; j < e->opts->by[r->by_set].n_columns; j++) {
                if (j)
                    strcat(key, ":");
                strncat(key, r->by_codes[j], sizeof key - strlen(key) - 2);
            }
        }
        if (strcmp(key, domain) == 0)
            return r;
    }
    return NULL;
}

/* Compare E with every reference row of case NAME in REFS: estimate, se,
 * weighted n to 1e-9 relative, interval ends to 1e-7, df and n exactly.
 * Prints each mismatch; returns their number. */
static inline int compare_with_ref(const table_t *REFS, const char *name,
                                   const graft_estimates_t *e,
                                   size_t *n_compared)
{
    int bad = 0;
    size_t matched = 0;
    for (size_t r = 0; r < REFS->nrows; r++) {
        if (strcmp(cell(REFS, r, "case"), name) != 0)
            continue;
        const char *domain = cell(REFS, r, "domain");
        const graft_estimate_row_t *row = find_row(e, domain);
        if (!row) {
            printf("FAIL %s [%s]: no such domain in graft's output\n", name,
                   domain);
            bad++;
            continue;
        }
        matched++;
        struct { const char *what; double got, rel; } checks[] = {
            {"estimate", row->estimate, REL_TOL},
            {"se", row->se, REL_TOL},
            {"ci_low", row->ci_low, 1e-7},
            {"ci_high", row->ci_high, 1e-7},
            {"df", row->df, 0},
            {"n", (double)row->n, 0},
            {"weighted_n", row->weighted_n, REL_TOL},
        };
        for (size_t k = 0; k < sizeof checks / sizeof checks[0]; k++) {
            double want = strtod(cell(REFS, r, checks[k].what), NULL);
            (*n_compared)++;
            if (!test_close_ok(checks[k].got, want, checks[k].rel, 1e-15)) {
                printf("FAIL %s [%s] %s: graft %.17g, R %.17g\n", name,
                       domain, checks[k].what, checks[k].got, want);
                bad++;
            }
        }
    }
    if (matched == 0) {
        printf("FAIL %s: no reference rows\n", name);
        bad++;
    }
    return bad;
}

/* ---- cases: one row of a *_cases.csv, run and compared with R -------- */

/* The indicator, domain and interval of a case row, as the estimator
 * takes them (opts points into the same struct: do not copy it). */
typedef struct table_case {
    graft_indicator_spec_t ind;
    graft_by_spec_t by;
    graft_estimate_opts_t opts;
    char by_text[256];
} table_case_t;

/* Fill TC from row I of C: columns type, expr, among, by (columns joined
 * by ':'), ci and level.  The strings stay C's; df is the caller's. */
static inline void table_case_read(const table_t *C, size_t i,
                                   table_case_t *tc)
{
    memset(tc, 0, sizeof *tc);
    assert_true(graft_ind_type_parse(cell(C, i, "type"), &tc->ind.type));
    tc->ind.expr = cell(C, i, "expr");
    tc->ind.among = *cell(C, i, "among") ? cell(C, i, "among") : NULL;
    tc->ind.expr_src = (graft_source_t){"expr", 1, 1};
    tc->ind.among_src = (graft_source_t){"among", 1, 1};
    snprintf(tc->by_text, sizeof tc->by_text, "%s", cell(C, i, "by"));
    tc->by.n_columns = table_split(tc->by_text, tc->by.columns, GRAFT_MAX_BY,
                                   ":");
    tc->opts.indicators = &tc->ind;
    tc->opts.n_indicators = 1;
    tc->opts.by = &tc->by;
    tc->opts.n_by = tc->by.n_columns ? 1 : 0;
    assert_true(graft_ci_method_parse(cell(C, i, "ci"), &tc->opts.ci));
    tc->opts.level = strtod(cell(C, i, "level"), NULL);
}

/* The design and read options of an estimate case row: columns weight,
 * strata (joined by ':'), psu, fpc, nest, lonely, and missing (codes for
 * every column but the design's).  The strings stay C's; keep TD where it
 * is (read points into it). */
typedef struct table_design {
    graft_design_spec_t spec;
    char strata[256], missing[128];
    double codes[16];
    graft_missing_spec_t ms;
    const char *exempt[12];
    graft_read_opts_t read;
} table_design_t;

static inline void table_design_read(const table_t *C, size_t i,
                                     table_design_t *td)
{
    memset(td, 0, sizeof *td);
    graft_design_spec_t *spec = &td->spec;
    snprintf(td->strata, sizeof td->strata, "%s", cell(C, i, "strata"));
    snprintf(td->missing, sizeof td->missing, "%s", cell(C, i, "missing"));
    spec->weight = cell(C, i, "weight");
    spec->n_strata = table_split(td->strata, spec->strata,
                                 GRAFT_MAX_STRATA_COLUMNS, ":");
    spec->psu = *cell(C, i, "psu") ? cell(C, i, "psu") : NULL;
    spec->fpc = *cell(C, i, "fpc") ? cell(C, i, "fpc") : NULL;
    spec->nest = strcmp(cell(C, i, "nest"), "true") == 0;
    assert_true(graft_lonely_parse(cell(C, i, "lonely"), &spec->lonely));
    size_t n_codes = 0, n_exempt = 0;
    for (char *tok = strtok(td->missing, ","); tok && n_codes < 16;
         tok = strtok(NULL, ","))
        td->codes[n_codes++] = strtod(tok, NULL);
    td->ms = (graft_missing_spec_t){NULL, td->codes, n_codes};
    td->exempt[n_exempt++] = spec->weight;
    for (size_t k = 0; k < spec->n_strata; k++)
        td->exempt[n_exempt++] = spec->strata[k];
    if (spec->psu)
        td->exempt[n_exempt++] = spec->psu;
    if (spec->fpc)
        td->exempt[n_exempt++] = spec->fpc;
    if (n_codes) {
        td->read.missing = &td->ms;
        td->read.n_missing = 1;
        td->read.exempt = td->exempt;
        td->read.n_exempt = n_exempt;
    }
}

/* ---- shuffled copies ------------------------------------------------- */

/* A seeded pseudo-random number below N (a 64-bit LCG, Knuth's MMIX
 * constants; the high bits): the same shuffle on every machine. */
static inline size_t table_rand_below(unsigned long long *state, size_t n)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (size_t)((*state >> 33) % n);
}

/* Write to DST the CSV file SRC with its data lines in an order shuffled
 * by SEED (Fisher-Yates), the header first.  Every line must be a whole
 * record (no line break inside quotes: an even number of quotes). */
static inline void table_shuffle_csv(const char *src, const char *dst,
                                     unsigned long long seed)
{
    size_t len;
    char *text = test_slurp_must(src, &len);
    size_t n = 0, cap = 1024;
    char **lines = malloc(cap * sizeof *lines);
    assert_non_null(lines);
    for (char *p = text; p < text + len;) {
        char *end = memchr(p, '\n', (size_t)(text + len - p));
        end = end ? end : text + len;
        *end = '\0';
        size_t quotes = 0;
        for (const char *q = p; *q; q++)
            quotes += *q == '"';
        if (quotes % 2)
            fail_msg("%s: a line break inside quotes", src);
        if (n == cap)
            assert_non_null(lines = realloc(lines, (cap *= 2) * sizeof *lines));
        lines[n++] = p;
        p = end + 1;
    }
    unsigned long long state = seed;
    for (size_t i = n; i > 2; i--) { /* lines[0], the header, stays */
        size_t j = 1 + table_rand_below(&state, i - 1);
        char *t = lines[i - 1];
        lines[i - 1] = lines[j];
        lines[j] = t;
    }
    FILE *f = fopen(dst, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", lines[i]);
    assert_int_equal(fclose(f), 0);
    free(lines);
    free(text);
}

/* A shuffled copy of the CSV file PATH in this process's temporary
 * directory, made on the first call for PATH (seeded by the order of the
 * calls, so the same in every run). */
static inline const char *table_shuffled(const char *path)
{
    enum { MAX_FILES = 16 };
    static char copies[MAX_FILES][512], sources[MAX_FILES][512];
    static size_t n;
    for (size_t k = 0; k < n; k++)
        if (strcmp(sources[k], path) == 0)
            return copies[k];
    assert_true(n < MAX_FILES);
    char name[32];
    snprintf(name, sizeof name, "shuffled%zu.csv", n);
    snprintf(sources[n], sizeof sources[n], "%s", path);
    snprintf(copies[n], sizeof copies[n], "%s", test_tmp(name));
    table_shuffle_csv(path, copies[n], 20261205 + n);
    return copies[n++];
}

/* Runs case row I of C; returns its mismatches (each printed) and adds
 * the numbers it compared to *N_COMPARED. */
typedef int (*table_case_fn)(const table_t *C, size_t i, size_t *n_compared);

/* Run every case of C whose name starts with PREFIX; print how many
 * numbers were compared with R; fail on any mismatch or when no case has
 * the prefix. */
static inline void run_family(const table_t *C, const char *prefix,
                              table_case_fn run_case)
{
    int bad = 0;
    size_t compared = 0, cases = 0;
    for (size_t i = 0; i < C->nrows; i++)
        if (strncmp(cell(C, i, "case"), prefix, strlen(prefix)) == 0) {
            bad += run_case(C, i, &compared);
            cases++;
        }
    printf("  %s: %zu cases, %zu numbers compared with R\n", prefix, cases,
           compared);
    assert_true(cases > 0);
    if (bad)
        fail_msg("%d mismatches with R in %s cases", bad, prefix);
}

#endif
