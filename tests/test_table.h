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
    char **cells; /* row-major copies */
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
    }
    for (size_t i = 0; i < ncols; i++)
        t->cells[t->nrows * t->ncols + i] =
            strdup(cells[i].str ? cells[i].str : "");
    t->nrows++;
    return GRAFT_OK;
}

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
    free(t->names);
}

static inline const char *cell(const table_t *t, size_t row, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return t->cells[row * t->ncols + i];
    fail_msg("no column '%s'", name);
    return NULL;
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

#endif
