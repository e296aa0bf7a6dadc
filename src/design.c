/*
 * design.c - build a stratified clustered design as rows stream past.
 *
 * Strata and PSUs are interned to dense ids; per stratum we keep the PSU
 * count, the fpc and whether any row has a non-zero weight, per PSU its
 * stratum and the same flag.  Nothing grows with the number of rows unless
 * the rows are the PSUs, and then only a count per stratum is kept.
 */
#include "graft_design.h"
#include "graft_intern.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct stratum {
    char *name;          /* display name */
    size_t n_psu;        /* PSUs (or rows, without a PSU column) */
    size_t n_psu_nz;     /* ... that have a row with non-zero weight */
    double fpc;          /* as given; 0 = none */
    double fraction;     /* f_h after finish */
} stratum_t;

typedef struct psu {
    size_t stratum;
    int nonzero;
} psu_t;

struct graft_design {
    graft_design_spec_t spec;
    char *owned[GRAFT_MAX_STRATA_COLUMNS + 3];
    const char *file;
    int weight_col, psu_col, fpc_col;
    int strata_cols[GRAFT_MAX_STRATA_COLUMNS];
    const graft_column_t *cols; /* borrowed during the read, for labels */
    size_t ncols;

    graft_intern_t *strata_ids, *psu_ids;
    stratum_t *strata;
    size_t strata_cap;
    psu_t *psus;
    size_t psus_cap;

    char *key;           /* key scratch buffer */
    size_t key_cap;

    /* weight statistics (Welford for the variance) */
    size_t n_rows, n_zero;
    double sum_w, sum_w2, min_w, max_w, mean_w, m2_w;
    int finished;
};

/* ---- policies -------------------------------------------------------- */

static const char *const lonely_names[] = {"fail", "remove", "certainty",
                                           "adjust", "average"};

int graft_lonely_parse(const char *name, graft_lonely_t *out)
{
    for (size_t i = 0; i < sizeof lonely_names / sizeof lonely_names[0]; i++)
        if (strcmp(name, lonely_names[i]) == 0) {
            *out = (graft_lonely_t)i;
            return 1;
        }
    return 0;
}

const char *graft_lonely_name(graft_lonely_t lonely)
{
    size_t i = (size_t)lonely;
    return i < sizeof lonely_names / sizeof lonely_names[0] ? lonely_names[i]
                                                            : "?";
}

/* ---- allocation ------------------------------------------------------ */

static char *dup_str(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

graft_design_t *graft_design_alloc(const graft_design_spec_t *spec)
{
    graft_design_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->spec = *spec;
    size_t k = 0;
#define OWN(field)                                                         \
    do {                                                                   \
        if (spec->field && !(d->owned[k++] = dup_str(spec->field))) {      \
            graft_design_free(d);                                          \
            return NULL;                                                   \
        }                                                                  \
        d->spec.field = d->owned[k - 1];                                   \
    } while (0)
    if (spec->weight)
        OWN(weight);
    if (spec->psu)
        OWN(psu);
    if (spec->fpc)
        OWN(fpc);
    for (size_t i = 0; i < spec->n_strata && i < GRAFT_MAX_STRATA_COLUMNS; i++)
        OWN(strata[i]);
#undef OWN
    d->strata_ids = graft_intern_alloc();
    d->psu_ids = graft_intern_alloc();
    if (!d->strata_ids || !d->psu_ids) {
        graft_design_free(d);
        return NULL;
    }
    d->weight_col = d->psu_col = d->fpc_col = -1;
    d->min_w = INFINITY;
    d->max_w = -INFINITY;
    return d;
}

void graft_design_free(graft_design_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < sizeof d->owned / sizeof d->owned[0]; i++)
        free(d->owned[i]);
    if (d->strata)
        for (size_t h = 0; h < graft_intern_count(d->strata_ids); h++)
            free(d->strata[h].name);
    graft_intern_free(d->strata_ids);
    graft_intern_free(d->psu_ids);
    free(d->strata);
    free(d->psus);
    free(d->key);
    free(d);
}

/* ---- binding --------------------------------------------------------- */

static graft_error_t find_column(const graft_design_t *d, const char *flag,
                                 const char *name, int *out,
                                 graft_diag_t *diag)
{
    for (size_t i = 0; i < d->ncols; i++)
        if (strcmp(d->cols[i].name, name) == 0) {
            *out = (int)i;
            return GRAFT_OK;
        }
    const char *near = graft_closest_column(name, d->cols, d->ncols);
    return graft_diag_set(diag, GRAFT_ERR_COLUMN, d->file, 0, 0,
                          "unknown column '%s' in %s%s%s%s", name, flag,
                          near ? " (did you mean '" : "", near ? near : "",
                          near ? "'?)" : "");
}

graft_error_t graft_design_bind(graft_design_t *d, const char *file,
                                const graft_column_t *cols, size_t ncols,
                                graft_diag_t *diag)
{
    graft_error_t rc;
    d->file = file;
    d->cols = cols;
    d->ncols = ncols;
    if (d->spec.n_strata > GRAFT_MAX_STRATA_COLUMNS)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "at most %d strata columns",
                              GRAFT_MAX_STRATA_COLUMNS);
    if (!d->spec.unweighted &&
        (rc = find_column(d, "--weight", d->spec.weight, &d->weight_col,
                          diag)) != GRAFT_OK)
        return rc;
    for (size_t i = 0; i < d->spec.n_strata; i++)
        if ((rc = find_column(d, "--strata", d->spec.strata[i],
                              &d->strata_cols[i], diag)) != GRAFT_OK)
            return rc;
    if (d->spec.psu &&
        (rc = find_column(d, "--psu", d->spec.psu, &d->psu_col, diag)) !=
            GRAFT_OK)
        return rc;
    if (d->spec.fpc &&
        (rc = find_column(d, "--fpc", d->spec.fpc, &d->fpc_col, diag)) !=
            GRAFT_OK)
        return rc;
    return GRAFT_OK;
}

/* ---- per row --------------------------------------------------------- */

static graft_error_t key_reserve(graft_design_t *d, size_t need)
{
    if (need <= d->key_cap)
        return GRAFT_OK;
    size_t cap = d->key_cap ? d->key_cap : 256;
    while (cap < need)
        cap *= 2;
    char *k = realloc(d->key, cap);
    if (!k)
        return GRAFT_ERR_NOMEM;
    d->key = k;
    d->key_cap = cap;
    return GRAFT_OK;
}

/* Append an unambiguous encoding of CELL to the key at *LEN: 'n' and the
 * double's bytes (so 1, 1.0 and "1" in a numeric CSV column agree), or 's',
 * the length and the text. */
static graft_error_t key_append(graft_design_t *d, size_t *len,
                                const graft_cell_t *c)
{
    size_t need = *len + 1 + sizeof(size_t) + c->len + sizeof(double);
    if (key_reserve(d, need) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    if (c->kind == GRAFT_CELL_NUMBER) {
        double v = c->num == 0 ? 0.0 : c->num; /* -0 and 0 are one id */
        d->key[(*len)++] = 'n';
        memcpy(d->key + *len, &v, sizeof v);
        *len += sizeof v;
    } else {
        d->key[(*len)++] = 's';
        memcpy(d->key + *len, &c->len, sizeof c->len);
        *len += sizeof c->len;
        memcpy(d->key + *len, c->str, c->len);
        *len += c->len;
    }
    return GRAFT_OK;
}

/* A cell as it is shown: its value label when it has one, else its text. */
static void cell_display(const graft_column_t *col, const graft_cell_t *c,
                         char *buf, size_t size)
{
    const char *label = NULL;
    if (col->labels)
        label = c->kind == GRAFT_CELL_NUMBER
                    ? graft_labelset_num(col->labels, c->num)
                    : graft_labelset_str(col->labels, c->str);
    if (label)
        snprintf(buf, size, "%s", label);
    else
        graft_cell_text(c, buf, size);
}

static char *stratum_name(const graft_design_t *d, const graft_cell_t *cells)
{
    char buf[1024] = "";
    size_t used = 0;
    if (d->spec.n_strata == 0)
        return dup_str("(all)");
    for (size_t i = 0; i < d->spec.n_strata; i++) {
        char part[256];
        int c = d->strata_cols[i];
        cell_display(&d->cols[c], &cells[c], part, sizeof part);
        int n = snprintf(buf + used, sizeof buf - used, "%s%s",
                         i ? " / " : "", part);
        if (n < 0 || (size_t)n >= sizeof buf - used)
            break;
        used += (size_t)n;
    }
    return dup_str(buf);
}

static graft_error_t missing_value(const graft_design_t *d, const char *what,
                                   int col, unsigned long line,
                                   graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_DESIGN_VALUE, d->file, line,
                          (unsigned long)col + 1, "missing %s value in '%s'",
                          what, d->cols[col].name);
}

static graft_error_t row_weight(graft_design_t *d, const graft_cell_t *cells,
                                unsigned long line, double *w,
                                graft_diag_t *diag)
{
    if (d->spec.unweighted) {
        *w = 1.0;
        return GRAFT_OK;
    }
    int col = d->weight_col;
    const graft_cell_t *c = &cells[col];
    const char *name = d->cols[col].name;
    unsigned long cn = (unsigned long)col + 1;
    if (c->kind == GRAFT_CELL_MISSING)
        return missing_value(d, "weight", col, line, diag);
    if (c->kind == GRAFT_CELL_STRING) {
        /* CSV text "NaN" or "-Inf" is not a number to the reader, but the
         * user meant one: name it. */
        const char *t = c->str + (c->str[0] == '-' || c->str[0] == '+');
        if (strcasecmp(t, "nan") == 0)
            return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                                  "weight '%s' is NaN", name);
        if (strcasecmp(t, "inf") == 0 || strcasecmp(t, "infinity") == 0)
            return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                                  "weight '%s' is infinite", name);
        return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                              "weight '%s' is not a number ('%s')", name,
                              c->str);
    }
    if (isnan(c->num))
        return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                              "weight '%s' is NaN", name);
    if (isinf(c->num))
        return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                              "weight '%s' is infinite", name);
    if (c->num < 0)
        return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                              "weight '%s' is negative (%.15g)", name, c->num);
    *w = c->num;
    return GRAFT_OK;
}

static graft_error_t grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return GRAFT_OK;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return GRAFT_ERR_NOMEM;
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *arr = p;
    *cap = n;
    return GRAFT_OK;
}

static graft_error_t row_stratum(graft_design_t *d, const graft_cell_t *cells,
                                 unsigned long line, size_t *h,
                                 graft_diag_t *diag)
{
    size_t len = 0;
    for (size_t i = 0; i < d->spec.n_strata; i++) {
        int col = d->strata_cols[i];
        if (cells[col].kind == GRAFT_CELL_MISSING)
            return missing_value(d, "stratum", col, line, diag);
        if (key_append(d, &len, &cells[col]) != GRAFT_OK)
            goto nomem;
    }
    int added;
    if (graft_intern_put(d->strata_ids, d->key ? d->key : "", len, h,
                         &added) != GRAFT_OK)
        goto nomem;
    if (added) {
        if (grow((void **)&d->strata, &d->strata_cap, *h + 1,
                 sizeof *d->strata) != GRAFT_OK ||
            !(d->strata[*h].name = stratum_name(d, cells)))
            goto nomem;
    }
    return GRAFT_OK;
nomem:
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, line, 0,
                          "out of memory");
}

static graft_error_t row_psu(graft_design_t *d, const graft_cell_t *cells,
                             unsigned long line, size_t h, int nonzero,
                             size_t *j, graft_diag_t *diag)
{
    stratum_t *s = &d->strata[h];
    if (d->psu_col < 0) {
        s->n_psu++;
        s->n_psu_nz += (size_t)nonzero;
        *j = GRAFT_ROW_PSU;
        return GRAFT_OK;
    }
    int col = d->psu_col;
    const graft_cell_t *c = &cells[col];
    if (c->kind == GRAFT_CELL_MISSING)
        return missing_value(d, "PSU", col, line, diag);
    size_t len = 0;
    if (d->spec.nest) {
        if (key_reserve(d, sizeof h) != GRAFT_OK)
            goto nomem;
        memcpy(d->key, &h, sizeof h);
        len = sizeof h;
    }
    int added;
    if (key_append(d, &len, c) != GRAFT_OK ||
        graft_intern_put(d->psu_ids, d->key, len, j, &added) != GRAFT_OK)
        goto nomem;
    if (added) {
        if (grow((void **)&d->psus, &d->psus_cap, *j + 1, sizeof *d->psus) !=
            GRAFT_OK)
            goto nomem;
        d->psus[*j].stratum = h;
        s->n_psu++;
    } else if (d->psus[*j].stratum != h) {
        char v[256];
        graft_cell_text(c, v, sizeof v);
        return graft_diag_set(
            diag, GRAFT_ERR_NEST, d->file, line, (unsigned long)col + 1,
            "PSU '%s' = %s is in strata '%s' and '%s'; if PSU ids repeat "
            "across strata, use --nest",
            d->cols[col].name, v, d->strata[d->psus[*j].stratum].name,
            s->name);
    }
    if (nonzero && !d->psus[*j].nonzero) {
        d->psus[*j].nonzero = 1;
        s->n_psu_nz++;
    }
    return GRAFT_OK;
nomem:
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, line, 0,
                          "out of memory");
}

static graft_error_t row_fpc(graft_design_t *d, const graft_cell_t *cells,
                             unsigned long line, size_t h, graft_diag_t *diag)
{
    if (d->fpc_col < 0)
        return GRAFT_OK;
    int col = d->fpc_col;
    const graft_cell_t *c = &cells[col];
    unsigned long cn = (unsigned long)col + 1;
    if (c->kind == GRAFT_CELL_MISSING)
        return missing_value(d, "fpc", col, line, diag);
    if (c->kind != GRAFT_CELL_NUMBER || !isfinite(c->num) || c->num <= 0)
        return graft_diag_set(diag, GRAFT_ERR_FPC, d->file, line, cn,
                              "fpc '%s' must be a positive number, not '%s'",
                              d->cols[col].name,
                              c->kind == GRAFT_CELL_STRING ? c->str : "?");
    stratum_t *s = &d->strata[h];
    if (s->fpc == 0)
        s->fpc = c->num;
    else if (s->fpc != c->num)
        return graft_diag_set(diag, GRAFT_ERR_FPC, d->file, line, cn,
                              "fpc '%s' varies within stratum '%s' (%.15g, "
                              "then %.15g)",
                              d->cols[col].name, s->name, s->fpc, c->num);
    return GRAFT_OK;
}

graft_error_t graft_design_row(graft_design_t *d, const graft_cell_t *cells,
                               unsigned long line, graft_design_obs_t *obs,
                               graft_diag_t *diag)
{
    graft_error_t rc;
    double w = 0;
    size_t h = 0, j = 0;
    if ((rc = row_weight(d, cells, line, &w, diag)) != GRAFT_OK ||
        (rc = row_stratum(d, cells, line, &h, diag)) != GRAFT_OK ||
        (rc = row_psu(d, cells, line, h, w != 0, &j, diag)) != GRAFT_OK ||
        (rc = row_fpc(d, cells, line, h, diag)) != GRAFT_OK)
        return rc;
    /* Welford's update for the weight's mean and variance. */
    d->n_rows++;
    d->n_zero += w == 0;
    d->sum_w += w;
    d->sum_w2 += w * w;
    double delta = w - d->mean_w;
    d->mean_w += delta / (double)d->n_rows;
    d->m2_w += delta * (w - d->mean_w);
    if (w < d->min_w)
        d->min_w = w;
    if (w > d->max_w)
        d->max_w = w;
    if (obs) {
        obs->weight = w;
        obs->stratum = h;
        obs->psu = j;
    }
    return GRAFT_OK;
}

/* ---- closing --------------------------------------------------------- */

graft_error_t graft_design_finish(graft_design_t *d, graft_diag_t *diag)
{
    size_t H = graft_intern_count(d->strata_ids);
    int pop = 0, frac = 0;
    for (size_t h = 0; h < H; h++) {
        if (d->strata[h].fpc > 1)
            pop = 1;
        else if (d->strata[h].fpc > 0)
            frac = 1;
    }
    if (pop && frac)
        return graft_diag_set(diag, GRAFT_ERR_FPC, d->file, 0, 0,
                              "fpc '%s' mixes population sizes (> 1) and "
                              "sampling fractions (<= 1)",
                              d->spec.fpc);
    for (size_t h = 0; h < H; h++) {
        stratum_t *s = &d->strata[h];
        /* R survey as.fpc(): a value > 1 is the population number of PSUs,
         * a value <= 1 the sampling fraction. */
        if (s->fpc > 1) {
            if ((double)s->n_psu > s->fpc)
                return graft_diag_set(
                    diag, GRAFT_ERR_FPC, d->file, 0, 0,
                    "stratum '%s' has %zu sampled PSUs but fpc '%s' says "
                    "its population has %.15g",
                    s->name, s->n_psu, d->spec.fpc, s->fpc);
            s->fraction = (double)s->n_psu / s->fpc;
        } else {
            s->fraction = s->fpc;
        }
    }
    d->finished = 1;
    return GRAFT_OK;
}

graft_error_t graft_design_check_lonely(const graft_design_t *d,
                                        graft_diag_t *diag)
{
    if (d->spec.lonely != GRAFT_LONELY_FAIL)
        return GRAFT_OK;
    size_t H = graft_intern_count(d->strata_ids);
    for (size_t h = 0; h < H; h++)
        if (d->strata[h].n_psu == 1)
            return graft_diag_set(
                diag, GRAFT_ERR_LONELY_PSU, d->file, 0, 0,
                "stratum '%s' has a single PSU; choose --lonely-psu "
                "remove, certainty, adjust or average",
                d->strata[h].name);
    return GRAFT_OK;
}

/* ---- accessors ------------------------------------------------------- */

const graft_design_spec_t *graft_design_spec(const graft_design_t *d)
{
    return &d->spec;
}

size_t graft_design_n_strata(const graft_design_t *d)
{
    return graft_intern_count(d->strata_ids);
}

size_t graft_design_n_psu(const graft_design_t *d)
{
    size_t n = 0, H = graft_intern_count(d->strata_ids);
    for (size_t h = 0; h < H; h++)
        n += d->strata[h].n_psu;
    return n;
}

const char *graft_design_stratum_name(const graft_design_t *d, size_t h)
{
    return h < graft_design_n_strata(d) ? d->strata[h].name : NULL;
}

size_t graft_design_stratum_psus(const graft_design_t *d, size_t h)
{
    return h < graft_design_n_strata(d) ? d->strata[h].n_psu : 0;
}

double graft_design_stratum_fraction(const graft_design_t *d, size_t h)
{
    return h < graft_design_n_strata(d) ? d->strata[h].fraction : 0.0;
}

size_t graft_design_psu_stratum(const graft_design_t *d, size_t j)
{
    return j < graft_intern_count(d->psu_ids) ? d->psus[j].stratum
                                              : GRAFT_ROW_PSU;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

void graft_design_summarize(const graft_design_t *d,
                            graft_design_summary_t *out)
{
    memset(out, 0, sizeof *out);
    size_t H = graft_intern_count(d->strata_ids);
    out->n_rows = d->n_rows;
    out->n_zero_weight = d->n_zero;
    out->sum_w = d->sum_w;
    out->min_w = d->n_rows ? d->min_w : NAN;
    out->max_w = d->n_rows ? d->max_w : NAN;
    out->mean_w = d->n_rows ? d->mean_w : NAN;
    out->cv_w = d->n_rows > 1
                    ? sqrt(d->m2_w / (double)(d->n_rows - 1)) / d->mean_w
                    : NAN;
    out->kish_n = d->sum_w2 > 0 ? d->sum_w * d->sum_w / d->sum_w2 : 0.0;
    out->n_strata = H;
    out->n_psu = graft_design_n_psu(d);
    size_t *counts = malloc((H ? H : 1) * sizeof *counts);
    size_t psu_nz = 0, strata_nz = 0;
    for (size_t h = 0; h < H; h++) {
        if (counts)
            counts[h] = d->strata[h].n_psu;
        out->n_lonely += d->strata[h].n_psu == 1;
        psu_nz += d->strata[h].n_psu_nz;
        strata_nz += d->strata[h].n_psu_nz > 0;
    }
    /* R survey degf.survey.design2: PSUs minus strata among rows with a
     * non-zero sampling weight. */
    out->df = (long)psu_nz - (long)strata_nz;
    if (counts && H) {
        qsort(counts, H, sizeof *counts, cmp_size);
        out->psu_min = counts[0];
        out->psu_max = counts[H - 1];
        out->psu_median = H % 2 ? (double)counts[H / 2]
                                : ((double)counts[H / 2 - 1] +
                                   (double)counts[H / 2]) / 2.0;
    }
    free(counts);
}
