/*
 * chart/data.c - reading one of graft's CSV outputs (with graft_read) and
 * selecting what a chart draws: one indicator (or several, for a heatmap),
 * one by-variable table, one round.
 *
 * The files are graft's own small outputs (a few hundred rows), so the
 * table is held whole; the survey microdata never come here.
 */
#include "chart/chart_internal.h"
#include "base/grow.h"
#include "base/str.h"
#include "graft/reader.h"
#include "io/reader_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the CSV as a table of strings ------------------------------------ */

typedef struct table {
    const char *path;
    char **names;
    size_t ncols;
    char **cells; /* nrows * ncols */
    unsigned long *lines;
    size_t nrows, cap;
} table_t;


static graft_error_t on_header(void *ctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    table_t *t = ctx;
    if (!(t->names = calloc(ncols, sizeof *t->names)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, t->path, 0, 0,
                              "out of memory");
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++)
        if (!(t->names[i] = graft_strdup(cols[i].name)))
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, t->path, 0, 0,
                                  "out of memory");
    return GRAFT_OK;
}

static graft_error_t on_row(void *ctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    table_t *t = ctx;
    if (t->nrows == t->cap) { /* cells and lines share one capacity */
        size_t cap = graft_grow_cap(t->cap, t->nrows + 1,
                                    t->ncols * sizeof *t->cells);
        char **c = cap ? realloc(t->cells, cap * t->ncols * sizeof *c) : NULL;
        if (c)
            t->cells = c;
        unsigned long *l = c ? realloc(t->lines, cap * sizeof *l) : NULL;
        if (!l)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, t->path, 0, 0,
                                  "out of memory");
        t->lines = l;
        t->cap = cap;
    }
    char **row = &t->cells[t->nrows * t->ncols];
    for (size_t i = 0; i < ncols; i++) {
        char buf[64];
        const char *s = cells[i].str ? cells[i].str
                                     : graft_cell_text(&cells[i], buf,
                                                       sizeof buf);
        if (!(row[i] = graft_strdup(s))) {
            while (i-- > 0)
                free(row[i]);
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, t->path, 0, 0,
                                  "out of memory");
        }
    }
    t->lines[t->nrows++] = line;
    return GRAFT_OK;
}

static void table_free(table_t *t)
{
    for (size_t i = 0; t->names && i < t->ncols; i++)
        free(t->names[i]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->names);
    free(t->cells);
    free(t->lines);
}

static size_t col_of(const table_t *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->names[i], name) == 0)
            return i;
    return CHART_NONE;
}

static const char *cell_at(const table_t *t, size_t row, size_t col)
{
    return t->cells[row * t->ncols + col];
}

/* ---- what kind of graft file ------------------------------------------ */

typedef enum file_kind {
    FILE_ESTIMATES = 0,
    FILE_COMPARISON = 1,
    FILE_TREND = 2,
    FILE_UNKNOWN = 3
} file_kind_t;

static const char *const file_kind_name[] = {"estimates", "comparison",
                                             "trend", "unknown"};
static const char *const file_kind_chart[] = {"bar or heatmap", "dumbbell",
                                              "trend", ""};

static file_kind_t file_kind_of(const table_t *t)
{
    if (col_of(t, "term") != CHART_NONE)
        return FILE_TREND;
    if (col_of(t, "baseline") != CHART_NONE)
        return FILE_COMPARISON;
    if (col_of(t, "estimate") != CHART_NONE && col_of(t, "n") != CHART_NONE)
        return FILE_ESTIMATES;
    return FILE_UNKNOWN;
}

/* The columns a chart kind reads; the first is where by-columns end. */
static const char *const need_estimates[] = {"estimate", "indicator",
                                             "ci_low", "ci_high", "n",
                                             "flag", NULL};
static const char *const need_comparison[] = {
    "baseline", "indicator", "followup", "diff", "ci_low", "ci_high",
    "p_adjusted", "change", "n_baseline", "n_followup", "flag", NULL};
static const char *const need_trend[] = {"term", "indicator", "from",
                                         "estimate", "ci_low", "ci_high",
                                         "n_from", "flag", NULL};

static file_kind_t wanted_file(graft_chart_kind_t kind)
{
    return kind == GRAFT_CHART_DUMBBELL ? FILE_COMPARISON
           : kind == GRAFT_CHART_TREND  ? FILE_TREND
                                        : FILE_ESTIMATES;
}

/* Check T has the columns KIND needs; store their indices in COLS. */
static graft_error_t check_columns(const table_t *t, graft_chart_kind_t kind,
                                   size_t *cols, graft_diag_t *diag)
{
    file_kind_t want = wanted_file(kind), have = file_kind_of(t);
    const char *const *need = want == FILE_COMPARISON ? need_comparison
                              : want == FILE_TREND    ? need_trend
                                                      : need_estimates;
    for (size_t i = 0; need[i]; i++) {
        if ((cols[i] = col_of(t, need[i])) != CHART_NONE)
            continue;
        if (have != want && have != FILE_UNKNOWN)
            return graft_diag_set(diag, GRAFT_ERR_COLUMN, t->path, 0, 0,
                                  "no column '%s' (this is a graft %s "
                                  "file: draw it with --kind %s)",
                                  need[i], file_kind_name[have],
                                  file_kind_chart[have]);
        return graft_diag_set(diag, GRAFT_ERR_COLUMN, t->path, 0, 0,
                              "no column '%s' (is this a graft %s file?)",
                              need[i], file_kind_name[want]);
    }
    return GRAFT_OK;
}

/* ---- choosing the table, round and indicators ------------------------- */

typedef struct select {
    const table_t *t;
    size_t cols[12];       /* need_* order */
    size_t by_cols[16];    /* the file's by-columns */
    size_t n_by;
    int chosen[16];        /* by_cols[i] is a chosen by-variable */
    size_t round_col;      /* or CHART_NONE */
    const char *round;     /* chosen round, or NULL */
    char **inds;           /* chosen indicators (borrowed from the table) */
    size_t n_inds;
} select_t;

/* A ", "-joined list of the N strings at NAMES, for messages. */
static void join_names(char *buf, size_t size, const char *const *names,
                       size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         names[i]);
        if (k < 0 || (size_t)k >= size - used) {
            snprintf(buf + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size,
                     "...");
            return;
        }
        used += (size_t)k;
    }
}

/* The closest of N NAMES to NAME, or NULL (graft_closest_column's rule). */
static const char *closest(const char *name, const char *const *names,
                           size_t n)
{
    graft_column_t cols[256];
    if (n > 256)
        n = 256;
    for (size_t i = 0; i < n; i++)
        cols[i] = (graft_column_t){names[i], NULL, GRAFT_COL_UNKNOWN, NULL};
    return graft_closest_column(name, cols, n);
}

static graft_error_t find_by_columns(select_t *s, const graft_chart_spec_t *spec,
                                     graft_diag_t *diag)
{
    const table_t *t = s->t;
    size_t first = col_of(t, "indicator") + 1, end = s->cols[0];
    const char *names[16] = {NULL};
    s->n_by = 0;
    for (size_t c = first; c < end && c < t->ncols; c++)
        if (c != s->round_col && s->n_by < 16) {
            names[s->n_by] = t->names[c];
            s->by_cols[s->n_by++] = c;
        }
    char list[512];
    join_names(list, sizeof list, names, s->n_by);
    if (!spec->by || !*spec->by) {
        if (s->n_by > 1)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, t->path, 0, 0,
                                  "several by-variables (%s): choose one "
                                  "with --by",
                                  list);
        for (size_t i = 0; i < s->n_by; i++)
            s->chosen[i] = 1;
        return GRAFT_OK;
    }
    const char *p = spec->by;
    while (*p) {
        size_t len = strcspn(p, ",");
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(len < 255 ? len : 255), p);
        size_t i = 0;
        while (i < s->n_by && strcmp(t->names[s->by_cols[i]], name) != 0)
            i++;
        if (i == s->n_by) {
            const char *near = closest(name, names, s->n_by);
            if (near)
                return graft_diag_set(diag, GRAFT_ERR_USAGE, t->path, 0, 0,
                                      "no by-variable '%s' (did you mean "
                                      "'%s'?)",
                                      name, near);
            return graft_diag_set(diag, GRAFT_ERR_USAGE, t->path, 0, 0,
                                  "no by-variable '%s' (the file has: %s)",
                                  name, s->n_by ? list : "none");
        }
        s->chosen[i] = 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return GRAFT_OK;
}

static graft_error_t choose_round(select_t *s, const graft_chart_spec_t *spec,
                                  graft_diag_t *diag)
{
    const table_t *t = s->t;
    int estimates = spec->kind == GRAFT_CHART_BAR ||
                    spec->kind == GRAFT_CHART_HEATMAP;
    s->round_col = estimates ? col_of(t, "round") : CHART_NONE;
    if (spec->round && !estimates)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--round applies to bar and heatmap charts");
    if (s->round_col == CHART_NONE) {
        if (spec->round)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, t->path, 0, 0,
                                  "no column 'round': the file holds one "
                                  "round (leave out --round)");
        return GRAFT_OK;
    }
    const char *names[64];
    size_t n = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        const char *v = cell_at(t, r, s->round_col);
        size_t i = 0;
        while (i < n && strcmp(names[i], v) != 0)
            i++;
        if (i == n && n < 64)
            names[n++] = v;
        if (spec->round && strcmp(v, spec->round) == 0)
            s->round = v;
    }
    if (!spec->round) {
        s->round = n ? names[n - 1] : NULL;
        return GRAFT_OK;
    }
    if (!s->round) {
        char list[512];
        join_names(list, sizeof list, names, n);
        return graft_diag_set(diag, GRAFT_ERR_USAGE, t->path, 0, 0,
                              "no round '%s' (the file has: %s)", spec->round,
                              list);
    }
    return GRAFT_OK;
}

/* Add NAME to the indicator list (*N of *CAP used) unless there. */
static int add_name(char ***list, size_t *n, size_t *cap, char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0)
            return 1;
    char **grown = graft_grow(*list, cap, *n + 1, sizeof **list);
    if (!grown)
        return 0;
    *list = grown;
    (*list)[(*n)++] = name;
    return 1;
}

static graft_error_t choose_indicators(select_t *s,
                                       const graft_chart_spec_t *spec,
                                       graft_diag_t *diag)
{
    const table_t *t = s->t;
    size_t ind_col = s->cols[1];
    char **all = NULL;
    size_t n_all = 0, cap_all = 0, cap_inds = 0;
    graft_error_t rc = GRAFT_OK;
    for (size_t r = 0; r < t->nrows; r++)
        if (!add_name(&all, &n_all, &cap_all, t->cells[r * t->ncols + ind_col])) {
            free(all);
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        }
    char list[512];
    join_names(list, sizeof list, (const char *const *)all, n_all);
    if (!spec->indicator || !*spec->indicator) {
        if (spec->kind == GRAFT_CHART_HEATMAP || n_all == 1) {
            s->inds = all;
            s->n_inds = n_all;
            return GRAFT_OK;
        }
        free(all);
        return graft_diag_set(diag, GRAFT_ERR_USAGE, t->path, 0, 0,
                              "several indicators (%s): choose one with "
                              "--indicator",
                              list);
    }
    const char *p = spec->indicator;
    int many = spec->kind == GRAFT_CHART_HEATMAP;
    while (*p && rc == GRAFT_OK) {
        size_t len = many ? strcspn(p, ",") : strlen(p), i = 0;
        while (i < n_all && (strlen(all[i]) != len ||
                             strncmp(all[i], p, len) != 0))
            i++;
        if (i == n_all) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(len < 255 ? len : 255),
                     p);
            const char *near = closest(name, (const char *const *)all, n_all);
            rc = near ? graft_diag_set(diag, GRAFT_ERR_USAGE, t->path, 0, 0,
                                       "no indicator '%s' (did you mean "
                                       "'%s'?)",
                                       name, near)
                      : graft_diag_set(diag, GRAFT_ERR_USAGE, t->path, 0, 0,
                                       "no indicator '%s' (the file has: %s)",
                                       name, list);
        } else if (!add_name(&s->inds, &s->n_inds, &cap_inds, all[i])) {
            rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                "out of memory");
        }
        p += len;
        if (*p == ',')
            p++;
    }
    free(all);
    return rc;
}

/* ---- building the chart data ------------------------------------------ */

static void data_free_parts(chart_data_t *d)
{
    for (size_t i = 0; i < d->n_domains; i++)
        free(d->domains[i]);
    for (size_t i = 0; i < d->n_series; i++)
        free(d->series[i]);
    for (size_t i = 0; i < d->n_dropped; i++)
        free(d->dropped[i]);
    for (size_t i = 0; d->cells && i < d->n_domains * d->n_series; i++)
        free(d->cells[i].flag_text);
    free(d->domains);
    free(d->series);
    free(d->dropped);
    free(d->cells);
    free(d->indicator);
    free(d->by);
    free(d->round);
}

void graft_chart_data_free(chart_data_t *d)
{
    if (!d)
        return;
    data_free_parts(d);
    free(d);
}

void graft_chart_dat_title(FILE *dat, const char *kind, const chart_data_t *d,
                           const char *percent)
{
    fprintf(dat, "# graft %s chart data: indicator ", kind);
    graft_chart_comment(dat, d->indicator);
    fprintf(dat, ", values in %s\n",
            d->percent ? percent : "the file's units");
}

/* Index of S in LIST (*N of *CAP used; adding a copy when absent), or
 * CHART_NONE on OOM. */
static size_t intern(char ***list, size_t *n, size_t *cap, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], s) == 0)
            return i;
    char **grown = graft_grow(*list, cap, *n + 1, sizeof **list);
    if (!grown)
        return CHART_NONE;
    *list = grown;
    if (!(grown[*n] = graft_strdup(s)))
        return CHART_NONE;
    return (*n)++;
}

/* The domain label of row R for the chosen table, "All" for the All row,
 * or "" when the row belongs to another table. */
static void domain_label(const select_t *s, size_t r, char *buf, size_t size,
                         int *is_all)
{
    const table_t *t = s->t;
    int all = 1, mine = 1;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_by; i++) {
        const char *v = cell_at(t, r, s->by_cols[i]);
        all &= strcmp(v, "All") == 0;
        if (s->chosen[i] && !*v)
            mine = 0;
        if (!s->chosen[i] && *v)
            mine = 0;
        if (s->chosen[i] && used < size) {
            int k = snprintf(buf + used, size - used, "%s%s",
                             used ? " / " : "", v);
            used += k > 0 ? (size_t)k : 0;
        }
    }
    *is_all = all;
    if (all)
        snprintf(buf, size, "All");
    else if (!mine)
        buf[0] = '\0';
}

static graft_error_t number(const select_t *s, size_t r, size_t col,
                            double *out, graft_diag_t *diag)
{
    const char *v = cell_at(s->t, r, col);
    if (graft_is_missing_text(v, strlen(v))) {
        *out = NAN;
        return GRAFT_OK;
    }
    if (graft_parse_number(v, strlen(v), out))
        return GRAFT_OK;
    return graft_diag_set(diag, GRAFT_ERR_VALUE, s->t->path, s->t->lines[r],
                          col + 1, "'%s' in column '%s' is not a number", v,
                          s->t->names[col]);
}

static chart_flag_t classify(const char *flag)
{
    if (!*flag)
        return CHART_FLAG_OK;
    return strncmp(flag, "suppress", 8) == 0 ? CHART_FLAG_SUPPRESS
                                              : CHART_FLAG_REVIEW;
}

/* Fill CELL from row R. */
static graft_error_t fill_cell(const select_t *s, graft_chart_kind_t kind,
                               size_t r, chart_cell_t *cell,
                               graft_diag_t *diag)
{
    const size_t *c = s->cols;
    graft_error_t rc = GRAFT_OK;
    cell->present = 1;
    cell->base = cell->follow = cell->n2 = NAN;
    if (kind == GRAFT_CHART_DUMBBELL) {
        /* baseline indicator followup diff ci_low ci_high p_adjusted
         * change n_baseline n_followup flag */
        if ((rc = number(s, r, c[0], &cell->base, diag)) ||
            (rc = number(s, r, c[2], &cell->follow, diag)) ||
            (rc = number(s, r, c[3], &cell->est, diag)) ||
            (rc = number(s, r, c[4], &cell->lo, diag)) ||
            (rc = number(s, r, c[5], &cell->hi, diag)) ||
            (rc = number(s, r, c[8], &cell->n, diag)) ||
            (rc = number(s, r, c[9], &cell->n2, diag)))
            return rc;
        const char *change = cell_at(s->t, r, c[7]);
        cell->significant = strcmp(change, "increase") == 0 ||
                            strcmp(change, "decrease") == 0;
        cell->not_comparable = strcmp(change, "not comparable") == 0;
        c += 10;
    } else if (kind == GRAFT_CHART_TREND) {
        /* term indicator from estimate ci_low ci_high n_from flag */
        if ((rc = number(s, r, c[3], &cell->est, diag)) ||
            (rc = number(s, r, c[4], &cell->lo, diag)) ||
            (rc = number(s, r, c[5], &cell->hi, diag)) ||
            (rc = number(s, r, c[6], &cell->n, diag)))
            return rc;
        c += 7;
    } else {
        /* estimate indicator ci_low ci_high n flag */
        if ((rc = number(s, r, c[0], &cell->est, diag)) ||
            (rc = number(s, r, c[2], &cell->lo, diag)) ||
            (rc = number(s, r, c[3], &cell->hi, diag)) ||
            (rc = number(s, r, c[4], &cell->n, diag)))
            return rc;
        c += 5;
    }
    const char *flag = cell_at(s->t, r, c[0]);
    cell->flag = classify(flag);
    if (!(cell->flag_text = graft_strdup(flag)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    return GRAFT_OK;
}

/* Grow D's cell array to N_DOMAINS x N_SERIES (series fixed). */
static int ensure_cells(chart_data_t *d, size_t n_domains, size_t *cap)
{
    size_t cap2 = *cap;
    chart_cell_t *c = graft_grow(d->cells, &cap2, n_domains,
                                 d->n_series * sizeof *c);
    if (!c)
        return 0;
    memset(c + *cap * d->n_series, 0,
           (cap2 - *cap) * d->n_series * sizeof *c);
    d->cells = c;
    *cap = cap2;
    return 1;
}

/* The series of row R: the indicator (heatmap), the round (trend), 0. */
static size_t series_of(const select_t *s, chart_data_t *d,
                        graft_chart_kind_t kind, size_t r)
{
    if (kind == GRAFT_CHART_HEATMAP) {
        const char *ind = cell_at(s->t, r, s->cols[1]);
        for (size_t i = 0; i < s->n_inds; i++)
            if (strcmp(s->inds[i], ind) == 0)
                return i;
        return CHART_NONE;
    }
    if (kind == GRAFT_CHART_TREND)
        for (size_t i = 0; i < d->n_series; i++)
            if (strcmp(d->series[i], cell_at(s->t, r, s->cols[2])) == 0)
                return i;
    return 0;
}

/* Does row R hold something the chart draws? */
static int row_wanted(const select_t *s, graft_chart_kind_t kind, size_t r)
{
    const table_t *t = s->t;
    if (s->round_col != CHART_NONE &&
        strcmp(cell_at(t, r, s->round_col), s->round) != 0)
        return 0;
    if (kind == GRAFT_CHART_TREND &&
        strcmp(cell_at(t, r, s->cols[0]), "estimate") != 0)
        return 0;
    const char *ind = cell_at(t, r, s->cols[1]);
    for (size_t i = 0; i < s->n_inds; i++)
        if (strcmp(s->inds[i], ind) == 0)
            return 1;
    return 0;
}

static graft_error_t collect(const select_t *s, graft_chart_kind_t kind,
                             chart_data_t *d, graft_diag_t *diag)
{
    const table_t *t = s->t;
    size_t cap = 0, cap_series = 0, cap_domains = 0;
    /* series first: they fix the row width of the cell array */
    for (size_t r = 0; r < t->nrows; r++) {
        if (!row_wanted(s, kind, r))
            continue;
        const char *name = kind == GRAFT_CHART_TREND
                               ? cell_at(t, r, s->cols[2])
                               : cell_at(t, r, s->cols[1]);
        if (kind == GRAFT_CHART_HEATMAP)
            continue;
        if (intern(&d->series, &d->n_series, &cap_series, name) == CHART_NONE)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
    }
    for (size_t i = 0; kind == GRAFT_CHART_HEATMAP && i < s->n_inds; i++)
        if (intern(&d->series, &d->n_series, &cap_series, s->inds[i]) == CHART_NONE)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
    for (size_t r = 0; r < t->nrows; r++) {
        char label[1024];
        int is_all;
        if (!row_wanted(s, kind, r))
            continue;
        domain_label(s, r, label, sizeof label, &is_all);
        if (!*label)
            continue;
        size_t dom = intern(&d->domains, &d->n_domains, &cap_domains, label);
        size_t ser = series_of(s, d, kind, r);
        if (dom == CHART_NONE || !ensure_cells(d, d->n_domains, &cap))
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        if (is_all)
            d->all = dom;
        chart_cell_t *cell = chart_cell(d, dom, ser);
        if (cell->present)
            return graft_diag_set(diag, GRAFT_ERR_VALUE, t->path,
                                  t->lines[r], 0,
                                  "a second row for indicator '%s', %s",
                                  cell_at(t, r, s->cols[1]), label);
        graft_error_t rc = fill_cell(s, kind, r, cell, diag);
        if (rc != GRAFT_OK)
            return rc;
    }
    return GRAFT_OK;
}

/* ---- proportions or not ----------------------------------------------- */

static int in_unit(double v)
{
    return !isfinite(v) || (v >= 0 && v <= 1);
}

/* Are the values of series J (every series when J is CHART_NONE) all
 * proportions? */
static int series_is_proportion(const chart_data_t *d,
                                graft_chart_kind_t kind, size_t j)
{
    for (size_t i = 0; i < d->n_domains; i++)
        for (size_t k = 0; k < d->n_series; k++) {
            const chart_cell_t *c = chart_cell(d, i, k);
            if (!c->present || (j != CHART_NONE && k != j))
                continue;
            if (kind == GRAFT_CHART_DUMBBELL
                    ? !in_unit(c->base) || !in_unit(c->follow)
                    : !in_unit(c->est) || !in_unit(c->lo) || !in_unit(c->hi))
                return 0;
        }
    return 1;
}

/* Heatmap: leave out the indicators that are not proportions when others
 * are (their scale would not fit the colours). */
static graft_error_t drop_non_proportions(chart_data_t *d)
{
    size_t props = 0, n = d->n_series, keep = 0;
    int *is_prop = malloc(n * sizeof *is_prop);
    if (!is_prop)
        return GRAFT_ERR_NOMEM;
    for (size_t j = 0; j < n; j++)
        props += (size_t)(is_prop[j] =
                              series_is_proportion(d, GRAFT_CHART_HEATMAP, j));
    if (props == 0 || props == n) {
        free(is_prop);
        return GRAFT_OK;
    }
    chart_cell_t *cells = calloc(d->n_domains * props, sizeof *cells);
    if (!cells || !(d->dropped = malloc(n * sizeof *d->dropped))) {
        free(cells);
        free(is_prop);
        return GRAFT_ERR_NOMEM;
    }
    for (size_t j = 0; j < n; j++) {
        for (size_t i = 0; i < d->n_domains; i++) {
            if (is_prop[j])
                cells[i * props + keep] = d->cells[i * n + j];
            else
                free(d->cells[i * n + j].flag_text);
        }
        if (is_prop[j])
            d->series[keep++] = d->series[j];
        else
            d->dropped[d->n_dropped++] = d->series[j];
    }
    free(d->cells);
    d->cells = cells;
    d->n_series = props;
    free(is_prop);
    return GRAFT_OK;
}

/* ---- entry point ------------------------------------------------------ */

static graft_error_t finish(const select_t *s, const graft_chart_spec_t *spec,
                            chart_data_t *d, graft_diag_t *diag)
{
    char by[512] = "";
    size_t used = 0, n_chosen = 0, k_chosen = 0;
    for (size_t i = 0; i < s->n_by; i++)
        n_chosen += (size_t)s->chosen[i];
    for (size_t i = 0; i < s->n_by; i++) /* "a", "a and b", "a, b and c" */
        if (s->chosen[i] && used < sizeof by) {
            k_chosen++;
            int k = snprintf(by + used, sizeof by - used, "%s%s",
                             k_chosen == 1          ? ""
                             : k_chosen == n_chosen ? " and "
                                                    : ", ",
                             s->t->names[s->by_cols[i]]);
            used += k > 0 ? (size_t)k : 0;
        }
    if (!(d->by = graft_strdup(by)) ||
        (s->n_inds == 1 && !(d->indicator = graft_strdup(s->inds[0]))) ||
        (s->round && !(d->round = graft_strdup(s->round))))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if (d->n_domains == 0 || d->n_series == 0)
        return graft_diag_set(diag, GRAFT_ERR_VALUE, s->t->path, 0, 0,
                              "no rows to draw for %s%s%s%s%s",
                              s->n_inds == 1 ? "indicator '" : "the indicators",
                              s->n_inds == 1 ? s->inds[0] : "",
                              s->n_inds == 1 ? "'" : "", *by ? " by " : "",
                              by);
    if (spec->kind == GRAFT_CHART_HEATMAP &&
        spec->scale == GRAFT_CHART_SCALE_AUTO &&
        drop_non_proportions(d) != GRAFT_OK)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    d->percent = spec->scale == GRAFT_CHART_SCALE_PERCENT ||
                 (spec->scale == GRAFT_CHART_SCALE_AUTO &&
                  series_is_proportion(d, spec->kind, CHART_NONE));
    return GRAFT_OK;
}

graft_error_t graft_chart_data_load(const graft_chart_spec_t *spec,
                                    chart_data_t **out, graft_diag_t *diag)
{
    table_t t = {spec->input, NULL, 0, NULL, NULL, 0, 0};
    select_t s;
    chart_data_t *d = calloc(1, sizeof *d);
    graft_error_t rc;
    memset(&s, 0, sizeof s);
    *out = NULL;
    if (!d)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    d->all = CHART_NONE;
    s.t = &t;
    if ((rc = graft_read(spec->input, NULL, on_header, on_row, &t, diag)) ||
        (rc = check_columns(&t, spec->kind, s.cols, diag)) ||
        (rc = choose_round(&s, spec, diag)) ||
        (rc = find_by_columns(&s, spec, diag)) ||
        (rc = choose_indicators(&s, spec, diag)) ||
        (rc = collect(&s, spec->kind, d, diag)) ||
        (rc = finish(&s, spec, d, diag))) {
        graft_chart_data_free(d);
        d = NULL;
    }
    free(s.inds);
    table_free(&t);
    *out = d;
    return rc;
}
