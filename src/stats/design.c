/*
 * design.c - build a stratified clustered design as rows stream past.
 *
 * Strata and PSUs get dense ids (in order of first appearance, whatever
 * the order of the rows); per stratum we keep the PSU count, the fpc and
 * whether any row has a non-zero weight, per PSU its stratum and the same
 * flag.  Nothing grows with the number of rows: the PSU table grows with
 * the PSUs, and when the rows are the PSUs only a count per stratum is
 * kept.  PSU values that are whole numbers (most surveys number their
 * PSUs) live in a table of their own: a 4-byte slot holding the PSU's id
 * and the PSU's 8-byte record (value, stratum, flag), so 16 to 24 bytes
 * a PSU with the slack of doubling, and one slot and one record to touch
 * per lookup; other values (text, fractions) are interned as keys, about
 * 50 bytes a PSU more.
 */
#include "graft/design.h"
#include "io/reader_internal.h"
#include "base/names.h"
#include "base/str.h"
#include "base/intern.h"
#include "stats/gram.h"
#include "stats/grow_zeroed.h"
#include "stats/lonely.h"
#include "stats/calvar.h"

#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STRATA_SEEN 64

typedef struct stratum {
    char *name;          /* display name */
    uint32_t round;      /* the round it belongs to (independent rounds) */
    size_t n_psu;        /* PSUs (or rows, without a PSU column) */
    size_t n_psu_nz;     /* ... that have a row with non-zero weight */
    double fpc;          /* as given; 0 = none */
    double fraction;     /* f_h after finish */
} stratum_t;

/* A PSU: its value when that is a whole number (its key in the number
 * table), its stratum (ids below 2^31, new_psu checks) and whether a row
 * has a non-zero weight. */
typedef struct psu {
    int32_t value;
    unsigned stratum : 31;
    unsigned nonzero : 1;
} psu_t;

/* What the previous row's stratum or PSU was, to recognise it again. */
typedef struct row_cache {
    char *key;   /* its key (NULL: none yet) */
    size_t len, cap;
    size_t id;   /* its stratum or PSU */
    int num_ok;  /* 1: its value was one number, NUM, so the same number
                    is the same key and the key need not be built */
    double num;
} row_cache_t;

struct graft_design {
    graft_design_spec_t spec;
    char *owned[GRAFT_MAX_STRATA_COLUMNS + 4];
    const char *file;
    int weight_col, psu_col, fpc_col;
    int strata_cols[GRAFT_MAX_STRATA_COLUMNS];
    const graft_column_t *cols; /* borrowed during the read, for labels */
    size_t ncols;

    graft_intern_t *strata_ids;
    stratum_t *strata;
    size_t strata_cap;
    psu_t *psus;
    size_t n_psus, psus_cap;
    /* whole-number PSU values: open addressing, a slot holds id + 1 (0:
     * empty), at most half full */
    uint32_t *num_slots;
    size_t num_cap, num_count;
    /* other PSU values: interned keys, and each key's PSU id */
    graft_intern_t *psu_ids;
    uint32_t *key_psu;
    size_t key_psu_cap;

    graft_key_t key;     /* key scratch buffer */
    /* the previous row's stratum and PSU: rows of one PSU come together,
     * so most rows skip the key or the hash table.  prev_j holds the last
     * PSU key that was not a whole number; prev_num the previous row's
     * PSU when its value was a number */
    row_cache_t prev_h, prev_j;
    struct {
        int ok;
        double num;
        size_t id;
    } prev_num;
    /* the strata of recent single stratum numbers, by a hash of the
     * number: rows in any order change stratum on most rows */
    struct strata_seen {
        int ok;
        double num;
        size_t id;
    } strata_seen[STRATA_SEEN];

    /* replicate weights */
    int *rep_cols;       /* column of each replicate */
    char **rep_names;    /* their names (owned) */
    size_t n_rep;
    double *repw;        /* this row's replicate weights */
    double rep_scale;
    double *rep_rscales;
    double *gram;        /* n_rep x n_rep, upper triangle: sum of w w' */
    double *group;       /* current group's direction */
    double group_s;      /* sum of squared multipliers of the group */
    size_t group_id;     /* 0: none yet */
    double row_mult;     /* this row's multiple of the group direction */
    int row_zero;        /* this row's replicate vector is all zero */
    int psu_added;       /* this row's PSU is new */
    long rep_rank;

    /* several rounds in one design (comparisons) */
    size_t round;
    int prefix_round;    /* keys start with the round: independent rounds */

    /* weight statistics (Welford for the variance) */
    size_t n_rows, n_zero;
    double sum_w, sum_w2, min_w, max_w, mean_w, m2_w;
    double ss_scale, ss; /* sum w^2 = ss_scale^2 ss, without under- or
                            overflow (LAPACK's dnrm2 scaling) */
    int finished;
};

/* ---- policies -------------------------------------------------------- */

static const char *const rep_names[] = {"none", "jk1", "jkn", "brr", "fay",
                                        "bootstrap", "sdr", "acs", "other"};

int graft_reptype_parse(const char *name, graft_reptype_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(rep_names, 1, name, &i))
        return 0;
    *out = (graft_reptype_t)i;
    return 1;
}

const char *graft_reptype_name(graft_reptype_t type)
{
    return GRAFT_NAMES_AT(rep_names, type);
}

void graft_design_spec_init(graft_design_spec_t *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->lonely = GRAFT_LONELY_FAIL;
    spec->rep.rho = NAN;
    spec->rep.scale = NAN;
}

/* ---- allocation ------------------------------------------------------ */


/* Copy SPEC's strings into D's own storage (freeing the previous ones).
 * Returns 0 when out of memory. */
static int own_spec(graft_design_t *d, const graft_design_spec_t *spec)
{
    for (size_t i = 0; i < sizeof d->owned / sizeof d->owned[0]; i++) {
        free(d->owned[i]);
        d->owned[i] = NULL;
    }
    d->spec = *spec;
    size_t k = 0;
#define OWN(field)                                                         \
    do {                                                                   \
        if (!(d->owned[k++] = graft_strdup(spec->field)))                       \
            return 0;                                                      \
        d->spec.field = d->owned[k - 1];                                   \
    } while (0)
    if (spec->weight)
        OWN(weight);
    if (spec->psu)
        OWN(psu);
    if (spec->fpc)
        OWN(fpc);
    if (spec->rep.columns)
        OWN(rep.columns);
    for (size_t i = 0; i < spec->n_strata && i < GRAFT_MAX_STRATA_COLUMNS; i++)
        OWN(strata[i]);
#undef OWN
    return 1;
}

graft_design_t *graft_design_alloc(const graft_design_spec_t *spec)
{
    graft_design_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    if (!own_spec(d, spec)) {
        graft_design_free(d);
        return NULL;
    }
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

/* Drop what binding built for the previous file. */
static void unbind(graft_design_t *d)
{
    for (size_t r = 0; d->rep_names && r < d->n_rep; r++)
        free(d->rep_names[r]);
    free(d->rep_names);
    free(d->rep_cols);
    free(d->repw);
    free(d->rep_rscales);
    free(d->gram);
    free(d->group);
    d->rep_names = NULL;
    d->rep_cols = NULL;
    d->repw = d->rep_rscales = d->gram = d->group = NULL;
    d->n_rep = 0;
    d->group_s = 0;
    d->weight_col = d->psu_col = d->fpc_col = -1;
}

graft_error_t graft_design_next_round(graft_design_t *d,
                                      const graft_design_spec_t *spec,
                                      size_t round, int shared)
{
    unbind(d);
    graft_lonely_t lonely = d->spec.lonely;
    if (!own_spec(d, spec))
        return GRAFT_ERR_NOMEM;
    d->spec.lonely = lonely;
    d->round = round;
    d->prefix_round = !shared;
    return GRAFT_OK;
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
    free(d->num_slots);
    free(d->key_psu);
    graft_key_free(&d->key);
    free(d->prev_h.key);
    free(d->prev_j.key);
    unbind(d);
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

/* The replicate pattern is a comma list of names, or an extended regular
 * expression that must match whole names.  next_listed() walks the list:
 * the next name at *P (spaces around it dropped), its length in *LEN, or
 * NULL at the end. */
static const char *next_listed(const char **p, size_t *len)
{
    const char *s = *p;
    while (*s == ' ' || *s == ',')
        s++;
    if (!*s)
        return NULL;
    size_t n = strcspn(s, ",");
    size_t l = n;
    while (l && s[l - 1] == ' ')
        l--;
    *p = s + n;
    *len = l;
    return s;
}

/* Compile the expression PAT anchored to whole names: regcomp()'s result
 * (REG_ESPACE when out of memory). */
static int compile_whole(regex_t *re, const char *pat)
{
    size_t n = strlen(pat);
    char *anchored = malloc(n + 5);
    if (!anchored)
        return REG_ESPACE;
    snprintf(anchored, n + 5, "^(%s)$", pat);
    int err = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
    free(anchored);
    return err;
}

/* Resolve the replicate columns (in list order, or in file order for an
 * expression). */
static graft_error_t bind_replicates(graft_design_t *d, graft_diag_t *diag)
{
    const graft_rep_spec_t *rs = &d->spec.rep;
    const char *pat = rs->columns;
    graft_error_t rc;
    d->rep_cols = calloc(d->ncols ? d->ncols : 1, sizeof *d->rep_cols);
    if (!d->rep_cols)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, 0, 0,
                              "out of memory");
    if (strchr(pat, ',')) {
        char name[1024];
        const char *p = pat, *s;
        size_t len;
        while ((s = next_listed(&p, &len)) && len < sizeof name) {
            memcpy(name, s, len);
            name[len] = '\0';
            int col;
            if ((rc = find_column(d, "--repweights", name, &col, diag)) !=
                GRAFT_OK)
                return rc;
            d->rep_cols[d->n_rep++] = col;
        }
    } else {
        regex_t re;
        int err = compile_whole(&re, pat);
        if (err == REG_ESPACE)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, 0, 0,
                                  "out of memory");
        if (err) {
            char buf[256];
            regerror(err, &re, buf, sizeof buf);
            return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                                  "--repweights: '%s' is not a regular "
                                  "expression (%s)",
                                  pat, buf);
        }
        for (size_t i = 0; i < d->ncols; i++)
            if (regexec(&re, d->cols[i].name, 0, NULL, 0) == 0)
                d->rep_cols[d->n_rep++] = (int)i;
        regfree(&re);
    }
    if (d->n_rep == 0)
        return graft_diag_set(diag, GRAFT_ERR_COLUMN, d->file, 0, 0,
                              "--repweights '%s' matches no column", pat);
    if (d->n_rep > GRAFT_MAX_REPLICATES)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, d->file, 0, 0,
                              "--repweights '%s' names %zu columns, more than "
                              "the limit of %d replicate weights",
                              pat, d->n_rep, GRAFT_MAX_REPLICATES);
    for (size_t r = 0; r < d->n_rep; r++)
        if (d->rep_cols[r] == d->weight_col)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, d->file, 0, 0,
                                  "--repweights '%s' matches the main weight "
                                  "'%s'",
                                  pat, d->spec.weight);
    if (!(d->rep_names = calloc(d->n_rep, sizeof *d->rep_names)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, 0, 0,
                              "out of memory");
    for (size_t r = 0; r < d->n_rep; r++)
        if (!(d->rep_names[r] = graft_strdup(d->cols[d->rep_cols[r]].name)))
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, 0, 0,
                                  "out of memory");
    return GRAFT_OK;
}

/* Does the replicate pattern PAT (as bind_replicates reads it) name NAME?
 * A pattern that does not compile names every column: binding reports it. */
static int rep_pattern_names(const char *pat, const char *name)
{
    if (strchr(pat, ',')) {
        size_t want = strlen(name), len;
        for (const char *p = pat, *s; (s = next_listed(&p, &len));)
            if (len == want && memcmp(s, name, len) == 0)
                return 1;
        return 0;
    }
    regex_t re;
    if (compile_whole(&re, pat) != 0)
        return 1;
    int hit = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
    return hit;
}

int graft_design_spec_uses(const graft_design_spec_t *spec, const char *name)
{
    if ((spec->weight && strcmp(spec->weight, name) == 0) ||
        (spec->psu && strcmp(spec->psu, name) == 0) ||
        (spec->fpc && strcmp(spec->fpc, name) == 0))
        return 1;
    for (size_t i = 0; i < spec->n_strata; i++)
        if (spec->strata[i] && strcmp(spec->strata[i], name) == 0)
            return 1;
    if (spec->cal && !spec->rep.columns && graft_cal_spec_uses(spec->cal, name))
        return 1;
    return spec->rep.columns && rep_pattern_names(spec->rep.columns, name);
}

/* The scale and rscales: given, or R's svrepdesign defaults per type. */
static graft_error_t rep_factors(graft_design_t *d, graft_diag_t *diag)
{
    const graft_rep_spec_t *rs = &d->spec.rep;
    double R = (double)d->n_rep;
    if (rs->type == GRAFT_REP_NONE)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--repweights needs --reptype jk1, jkn, brr, "
                              "fay, bootstrap, sdr, acs or other");
    if (rs->n_rscales && rs->n_rscales != d->n_rep)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--rscales has %zu values but there are %zu "
                              "replicate columns",
                              rs->n_rscales, d->n_rep);
    if (rs->type == GRAFT_REP_FAY &&
        !(isfinite(rs->rho) && rs->rho >= 0 && rs->rho < 1))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--reptype fay needs --rho between 0 and 1");
    if (rs->type == GRAFT_REP_JKN && !rs->n_rscales)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--reptype jkn needs --rscales: (n_h - 1) / "
                              "n_h for each replicate (graft replicate "
                              "writes them)");
    if (rs->type == GRAFT_REP_OTHER && !isfinite(rs->scale))
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "--reptype other needs --scale");
    switch (rs->type) {
    case GRAFT_REP_JK1: d->rep_scale = (R - 1) / R; break;
    case GRAFT_REP_BRR: d->rep_scale = 1 / R; break;
    case GRAFT_REP_FAY:
        d->rep_scale = 1 / (R * (1 - rs->rho) * (1 - rs->rho));
        break;
    case GRAFT_REP_BOOTSTRAP: d->rep_scale = 1 / (R - 1); break;
    case GRAFT_REP_SDR:
    case GRAFT_REP_ACS: d->rep_scale = 4 / R; break;
    default: d->rep_scale = 1; break;
    }
    if (isfinite(rs->scale))
        d->rep_scale = rs->scale;
    d->rep_rscales = malloc(d->n_rep * sizeof *d->rep_rscales);
    d->repw = calloc(d->n_rep, sizeof *d->repw);
    d->gram = calloc(d->n_rep * d->n_rep, sizeof *d->gram);
    d->group = calloc(d->n_rep, sizeof *d->group);
    if (!d->rep_rscales || !d->repw || !d->gram || !d->group)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, 0, 0,
                              "out of memory");
    for (size_t r = 0; r < d->n_rep; r++)
        d->rep_rscales[r] = rs->n_rscales ? rs->rscales[r] : 1.0;
    return GRAFT_OK;
}

graft_error_t graft_design_bind(graft_design_t *d, const char *file,
                                const graft_column_t *cols, size_t ncols,
                                graft_diag_t *diag)
{
    graft_error_t rc;
    d->file = file;
    d->cols = cols;
    d->prev_h.num_ok = d->prev_num.ok = 0; /* a new file, maybe a new round */
    memset(d->strata_seen, 0, sizeof d->strata_seen);
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
    if (d->spec.rep.columns &&
        ((rc = bind_replicates(d, diag)) != GRAFT_OK ||
         (rc = rep_factors(d, diag)) != GRAFT_OK))
        return rc;
    return GRAFT_OK;
}

/* ---- per row --------------------------------------------------------- */

static char *stratum_name(const graft_design_t *d, const graft_cell_t *cells)
{
    char buf[1024] = "";
    size_t used = 0;
    if (d->spec.n_strata == 0)
        return graft_strdup("(all)");
    for (size_t i = 0; i < d->spec.n_strata; i++) {
        char part[256];
        int c = d->strata_cols[i];
        graft_cell_display(&d->cols[c], &cells[c], part, sizeof part);
        int n = snprintf(buf + used, sizeof buf - used, "%s%s",
                         i ? " / " : "", part);
        if (n < 0 || (size_t)n >= sizeof buf - used)
            break;
        used += (size_t)n;
    }
    return graft_strdup(buf);
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

/* Is K the key of the previous row's, in PC? */
static int cache_holds(const row_cache_t *pc, const graft_key_t *k)
{
    return pc->key && k->len == pc->len &&
           (k->len == 0 || memcmp(k->buf, pc->key, k->len) == 0);
}

/* Make K, whose id is ID, the previous row's key in PC.  GRAFT_ERR_NOMEM
 * when the copy cannot be had. */
static graft_error_t cache_set(row_cache_t *pc, const graft_key_t *k,
                               size_t id)
{
    char *b = graft_grow(pc->key, &pc->cap, k->len ? k->len : 1, 1);
    if (!b)
        return GRAFT_ERR_NOMEM;
    pc->key = b;
    if (k->len)
        memcpy(b, k->buf, k->len);
    pc->len = k->len;
    pc->id = id;
    return GRAFT_OK;
}

/* The dense id of K among IDS in *ID (*ADDED: it is new), the previous
 * row's (PC) when K is its key.  GRAFT_ERR_NOMEM when out of memory. */
static graft_error_t intern_cached(graft_intern_t *ids, row_cache_t *pc,
                                   const graft_key_t *k, size_t *id,
                                   int *added)
{
    *added = 0;
    if (cache_holds(pc, k)) {
        *id = pc->id;
        return GRAFT_OK;
    }
    if (graft_intern_put(ids, k->buf ? k->buf : "", k->len, id, added) !=
        GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    return cache_set(pc, k, *id);
}

/* The entry of strata_seen for the stratum number X (equal numbers are
 * equal keys: -0 is 0). */
static struct strata_seen *strata_seen_at(graft_design_t *d, double x)
{
    uint64_t bits;
    x = x == 0 ? 0 : x;
    memcpy(&bits, &x, sizeof bits);
    return &d->strata_seen[graft_hash_mix(bits) % STRATA_SEEN];
}

/* The row's stratum in *H: the dense id of its strata columns' values (and
 * the round, for independent rounds), a new stratum named after them.  A
 * missing value is GRAFT_ERR_DESIGN_VALUE.  Through prev_h: the previous
 * row's key, and with one strata column its number; and through
 * strata_seen, with one strata column, recent numbers (both caches are
 * cleared when a file, maybe of another round, is bound). */
static graft_error_t row_stratum(graft_design_t *d, const graft_cell_t *cells,
                                 unsigned long line, size_t *h,
                                 graft_diag_t *diag)
{
    const graft_cell_t *first = &cells[d->strata_cols[0]];
    int one_number = d->spec.n_strata == 1 && first->kind == GRAFT_CELL_NUMBER;
    struct strata_seen *seen = one_number ? strata_seen_at(d, first->num)
                                          : NULL;
    if (d->prev_h.num_ok && one_number && first->num == d->prev_h.num) {
        *h = d->prev_h.id; /* the previous row's single stratum number */
        return GRAFT_OK;
    }
    if (seen && seen->ok && seen->num == first->num) {
        *h = seen->id;
        return GRAFT_OK;
    }
    graft_key_t *k = &d->key;
    k->len = 0;
    uint32_t round = (uint32_t)d->round;
    if (d->prefix_round && graft_key_bytes(k, &round, sizeof round) != GRAFT_OK)
        goto nomem;
    for (size_t i = 0; i < d->spec.n_strata; i++) {
        int col = d->strata_cols[i];
        if (cells[col].kind == GRAFT_CELL_MISSING)
            return missing_value(d, "stratum", col, line, diag);
        if (graft_key_cell(k, &cells[col]) != GRAFT_OK)
            goto nomem;
    }
    if (d->spec.n_strata == 1) {
        d->prev_h.num_ok = first->kind == GRAFT_CELL_NUMBER;
        d->prev_h.num = first->num;
    }
    int added;
    if (intern_cached(d->strata_ids, &d->prev_h, k, h, &added) != GRAFT_OK)
        goto nomem;
    if (seen)
        *seen = (struct strata_seen){1, first->num, *h};
    if (added) {
        stratum_t *st = graft_grow_zeroed(d->strata, &d->strata_cap, *h + 1,
                                          sizeof *d->strata);
        if (!st)
            goto nomem;
        d->strata = st;
        d->strata[*h].round = (uint32_t)d->round;
        if (!(d->strata[*h].name = stratum_name(d, cells)))
            goto nomem;
    }
    return GRAFT_OK;
nomem:
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, line, 0,
                          "out of memory");
}

/* ---- the PSU of a row ------------------------------------------------- */

/* Count the first row with a non-zero weight of PSU P of stratum S (R's
 * degf counts such PSUs). */
static void count_nonzero(stratum_t *s, int nonzero, psu_t *p)
{
    if (nonzero && !p->nonzero) {
        p->nonzero = 1;
        s->n_psu_nz++;
    }
}

/* Without a PSU column every row is a PSU of its stratum. */
static void row_is_psu(stratum_t *s, int nonzero, size_t *j)
{
    s->n_psu++;
    s->n_psu_nz += (size_t)nonzero;
    *j = GRAFT_ROW_PSU;
}

/* Is cell C the previous row's PSU number, and H that PSU's stratum?
 * Then the row is in that PSU and no table need be asked (the rows of a
 * PSU mostly come together).  Equal numbers are equal keys, and under
 * --nest the key holds the stratum; a number met in another stratum
 * takes the full path, which finds it or refuses it (GRAFT_ERR_NEST). */
static int same_psu_number(const graft_design_t *d, size_t h,
                           const graft_cell_t *c)
{
    return d->prev_num.ok && c->kind == GRAFT_CELL_NUMBER &&
           c->num == d->prev_num.num && d->psus[d->prev_num.id].stratum == h;
}

/* PSU ids are unique within a scope: the stratum under --nest, the round
 * for independent rounds, the design otherwise.  The scope of stratum H's
 * PSUs, and of PSU P. */
static uint32_t scope_of_stratum(const graft_design_t *d, size_t h)
{
    return d->spec.nest       ? (uint32_t)h
           : d->prefix_round ? d->strata[h].round
                              : 0;
}

static uint32_t scope_of_psu(const graft_design_t *d, const psu_t *p)
{
    return scope_of_stratum(d, p->stratum);
}

/* A new PSU of stratum H, its id (the next) in *J.  GRAFT_ERR_NOMEM when
 * the table cannot grow (or the ids or strata run past 32 bits). */
static graft_error_t new_psu(graft_design_t *d, size_t h, size_t *j)
{
    if (d->n_psus >= UINT32_MAX - 1 || h >= (size_t)1 << 31)
        return GRAFT_ERR_NOMEM;
    psu_t *p = graft_grow_zeroed(d->psus, &d->psus_cap, d->n_psus + 1,
                                 sizeof *d->psus);
    if (!p)
        return GRAFT_ERR_NOMEM;
    d->psus = p;
    *j = d->n_psus++;
    d->psus[*j].stratum = (unsigned)h;
    d->strata[h].n_psu++;
    return GRAFT_OK;
}

/* Is the number X a whole number of 32 bits, *V?  The test of
 * graft_key_cell's 4-byte keys, so that both tables agree on which PSU
 * values are whose (-0 is 0). */
static int whole_number(double x, int32_t *v)
{
    if (!(x >= -2147483648.0 && x <= 2147483647.0 &&
          x == (double)(int32_t)x))
        return 0;
    *v = (int32_t)x;
    return 1;
}

/* The slot of the whole-number PSU (SCOPE, VALUE) among CAP slots. */
static size_t num_slot(uint32_t scope, int32_t value, size_t cap)
{
    uint64_t key = (uint64_t)scope << 32 | (uint32_t)value;
    return (size_t)graft_hash_mix(key) & (cap - 1);
}

/* Double the number table (1024 slots at first).  GRAFT_ERR_NOMEM when
 * out of memory (the table is unchanged). */
static graft_error_t num_grow(graft_design_t *d)
{
    size_t cap = d->num_cap ? d->num_cap * 2 : 1024;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return GRAFT_ERR_NOMEM;
    for (size_t i = 0; i < d->num_cap; i++) {
        uint32_t id1 = d->num_slots[i];
        if (!id1)
            continue;
        const psu_t *p = &d->psus[id1 - 1];
        size_t k = num_slot(scope_of_psu(d, p), p->value, cap);
        while (slots[k])
            k = (k + 1) & (cap - 1);
        slots[k] = id1;
    }
    free(d->num_slots);
    d->num_slots = slots;
    d->num_cap = cap;
    return GRAFT_OK;
}

/* The PSU whose value is the whole number VALUE, in stratum H's scope:
 * its id in *J, a new PSU of stratum H when none (*ADDED).  GRAFT_ERR_NOMEM
 * when a table cannot grow. */
static graft_error_t num_psu(graft_design_t *d, size_t h, int32_t value,
                             size_t *j, int *added)
{
    if ((d->num_count + 1) * 2 > d->num_cap && num_grow(d) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    uint32_t scope = scope_of_stratum(d, h);
    size_t mask = d->num_cap - 1, i = num_slot(scope, value, d->num_cap);
    for (; d->num_slots[i]; i = (i + 1) & mask) {
        const psu_t *p = &d->psus[d->num_slots[i] - 1];
        if (p->value == value && scope_of_psu(d, p) == scope) {
            *j = d->num_slots[i] - 1;
            *added = 0;
            return GRAFT_OK;
        }
    }
    if (new_psu(d, h, j) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    d->psus[*j].value = value;
    d->num_slots[i] = (uint32_t)(*j + 1);
    d->num_count++;
    *added = 1;
    return GRAFT_OK;
}

/* Build the PSU key of cell C in stratum H into d->key: the value, after
 * the stratum id under --nest or the round for independent rounds (their
 * ids are unique only within that scope). */
static graft_error_t psu_key(graft_design_t *d, size_t h,
                             const graft_cell_t *c)
{
    graft_key_t *k = &d->key;
    k->len = 0;
    if (d->spec.nest || d->prefix_round) {
        uint32_t scope = scope_of_stratum(d, h);
        if (graft_key_bytes(k, &scope, sizeof scope) != GRAFT_OK)
            return GRAFT_ERR_NOMEM;
    }
    return graft_key_cell(k, c);
}

/* The PSU of cell C (not a whole number) in stratum H: its key interned,
 * the previous such key's PSU when the key is the same (prev_j).  Its id
 * in *J, a new PSU when none (*ADDED).  GRAFT_ERR_NOMEM when out of
 * memory. */
static graft_error_t key_psu(graft_design_t *d, size_t h,
                             const graft_cell_t *c, size_t *j, int *added)
{
    graft_key_t *k = &d->key;
    size_t kid;
    *added = 0;
    if (psu_key(d, h, c) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    if (cache_holds(&d->prev_j, k)) {
        *j = d->prev_j.id;
        return GRAFT_OK;
    }
    if (graft_intern_put(d->psu_ids, k->buf, k->len, &kid, added) !=
        GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    if (*added) {
        uint32_t *map = graft_grow(d->key_psu, &d->key_psu_cap, kid + 1,
                                   sizeof *map);
        if (!map || new_psu(d, h, j) != GRAFT_OK)
            return GRAFT_ERR_NOMEM;
        d->key_psu = map;
        map[kid] = (uint32_t)*j;
    } else {
        *j = d->key_psu[kid];
    }
    return cache_set(&d->prev_j, k, *j);
}

/* PSU J was found for a row of stratum H: GRAFT_ERR_NEST (in DIAG, C the
 * PSU's cell) when it is a known PSU of another stratum; else the row's
 * weight (NONZERO) is counted. */
static graft_error_t psu_in_stratum(graft_design_t *d, const graft_cell_t *c,
                                    unsigned long line, size_t h, size_t j,
                                    int nonzero, graft_diag_t *diag)
{
    psu_t *p = &d->psus[j];
    if (p->stratum != h) {
        char v[256];
        int col = d->psu_col;
        graft_cell_text(c, v, sizeof v);
        return graft_diag_set(
            diag, GRAFT_ERR_NEST, d->file, line, (unsigned long)col + 1,
            "PSU '%s' = %s is in strata '%s' and '%s'; if PSU ids repeat "
            "across strata, use --nest",
            d->cols[col].name, v, d->strata[p->stratum].name,
            d->strata[h].name);
    }
    count_nonzero(&d->strata[h], nonzero, p);
    return GRAFT_OK;
}

/* The PSU of a row of stratum H (NONZERO: its weight is not 0), in *J, and
 * the strata's PSU counts (n_psu, and n_psu_nz: PSUs with a non-zero
 * weight row) kept up to date.  d->psu_added says whether the PSU is new.
 *
 *   - No PSU column: every row is a PSU; *J = GRAFT_ROW_PSU.
 *   - Otherwise *J is the PSU's dense id in order of first appearance,
 *     from the first row of any file, grouped by PSU or not.
 *
 * Checks, in order: a missing PSU value is GRAFT_ERR_DESIGN_VALUE; a PSU id
 * met before in another stratum is GRAFT_ERR_NEST; GRAFT_ERR_NOMEM when a
 * table cannot grow.  Each error fills DIAG.
 *
 * The previous row's PSU number (prev_num, valid while prev_num.ok: its
 * value was a number; graft_design_bind clears it) lets most rows of a
 * PSU skip the tables. */
static graft_error_t row_psu(graft_design_t *d, const graft_cell_t *cells,
                             unsigned long line, size_t h, int nonzero,
                             size_t *j, graft_diag_t *diag)
{
    if (d->psu_col < 0) {
        row_is_psu(&d->strata[h], nonzero, j);
        return GRAFT_OK;
    }
    const graft_cell_t *c = &cells[d->psu_col];
    int32_t v;
    int added = 0;
    graft_error_t rc;
    if (same_psu_number(d, h, c)) {
        *j = d->prev_num.id;
        rc = GRAFT_OK;
    } else if (c->kind == GRAFT_CELL_MISSING) {
        return missing_value(d, "PSU", d->psu_col, line, diag);
    } else if (c->kind == GRAFT_CELL_NUMBER && whole_number(c->num, &v)) {
        rc = num_psu(d, h, v, j, &added);
    } else {
        rc = key_psu(d, h, c, j, &added);
    }
    if (rc == GRAFT_ERR_NOMEM)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, line, 0,
                              "out of memory");
    d->psu_added = added;
    rc = psu_in_stratum(d, c, line, h, *j, nonzero, diag);
    d->prev_num.ok = rc == GRAFT_OK && c->kind == GRAFT_CELL_NUMBER;
    d->prev_num.num = c->num;
    d->prev_num.id = *j;
    return rc;
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

/* Add the group's rows to the Gram matrix: s v v'. */
static void gram_flush(graft_design_t *d)
{
    graft_gram_add(d->gram, d->n_rep, d->group_s, d->group);
    d->group_s = 0;
}

/* Accumulate the row's replicate vector for the rank: rows whose vector is
 * a multiple of the group's (the rows of one PSU, typically) only add their
 * squared multiplier, so the R^2 update runs once per group. */
static void gram_add(graft_design_t *d, const double *w)
{
    size_t R = d->n_rep;
    d->row_zero = 0;
    if (d->group_s > 0) {
        size_t k = 0;
        while (k < R && d->group[k] == 0)
            k++;
        double c = k < R ? w[k] / d->group[k] : 0;
        int same = k < R && c != 0;
        for (size_t r = 0; same && r < R; r++)
            same = fabs(w[r] - c * d->group[r]) <= 1e-12 * fabs(w[r]);
        if (same) {
            d->group_s += c * c;
            d->row_mult = c;
            return;
        }
        gram_flush(d);
    }
    int any = 0;
    for (size_t r = 0; r < R; r++)
        any |= w[r] != 0;
    if (!any) {
        d->row_zero = 1;
        return;
    }
    memcpy(d->group, w, R * sizeof *w);
    d->group_s = 1;
    d->group_id++;
    d->row_mult = 1;
}

static graft_error_t row_replicates(graft_design_t *d,
                                    const graft_cell_t *cells,
                                    unsigned long line, graft_diag_t *diag)
{
    for (size_t r = 0; r < d->n_rep; r++) {
        int col = d->rep_cols[r];
        const graft_cell_t *c = &cells[col];
        const char *name = d->cols[col].name;
        unsigned long cn = (unsigned long)col + 1;
        if (c->kind == GRAFT_CELL_MISSING)
            return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                                  "replicate weight '%s' is missing", name);
        if (c->kind != GRAFT_CELL_NUMBER || !isfinite(c->num))
            return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                                  "replicate weight '%s' is not a finite "
                                  "number ('%s')",
                                  name, c->str ? c->str : "?");
        if (c->num < 0)
            return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, line, cn,
                                  "replicate weight '%s' is negative (%.15g)",
                                  name, c->num);
        d->repw[r] = c->num;
    }
    gram_add(d, d->repw);
    return GRAFT_OK;
}

/* Add W^2 to the scaled sum of squares: ss_scale is the largest weight so
 * far and ss the sum of (w / ss_scale)^2, so that Kish's n is right where
 * w^2 underflows (weights near 1e-308) or overflows. */
static void scaled_square(graft_design_t *d, double w)
{
    if (w <= 0)
        return;
    if (w > d->ss_scale) {
        double r = d->ss_scale / w;
        d->ss = 1 + d->ss * r * r;
        d->ss_scale = w;
    } else {
        double r = w / d->ss_scale;
        d->ss += r * r;
    }
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
        (rc = row_fpc(d, cells, line, h, diag)) != GRAFT_OK ||
        (d->n_rep && (rc = row_replicates(d, cells, line, diag)) != GRAFT_OK))
        return rc;
    /* Welford's update for the weight's mean and variance. */
    d->n_rows++;
    d->n_zero += w == 0;
    d->sum_w += w;
    d->sum_w2 += w * w;
    scaled_square(d, w);
    double delta = w - d->mean_w;
    d->mean_w += delta / (double)d->n_rows;
    d->m2_w += delta * (w - d->mean_w);
    if (w < d->min_w)
        d->min_w = w;
    if (w > d->max_w)
        d->max_w = w;
    if (obs) {
        obs->weight = w;
        obs->repw = d->n_rep ? d->repw : NULL;
        obs->psu_new = d->psu_col < 0 || d->psu_added;
        obs->rep_group = d->n_rep && !d->row_zero ? d->group_id : 0;
        obs->rep_mult = d->row_mult;
        obs->rep_dir = d->group;
        obs->stratum = h;
        obs->psu = j;
    }
    return GRAFT_OK;
}

/* ---- closing --------------------------------------------------------- */

static int rep_rank(graft_design_t *d)
{
    gram_flush(d);
    d->rep_rank = graft_rep_rank(d->gram, d->n_rep);
    return d->rep_rank >= 0;
}

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
    if (d->n_rep && !rep_rank(d))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, d->file, 0, 0,
                              "out of memory");
    d->finished = 1;
    return GRAFT_OK;
}

graft_error_t graft_design_check_lonely(const graft_design_t *d,
                                        graft_diag_t *diag)
{
    size_t H = graft_intern_count(d->strata_ids);
    graft_error_t rc = GRAFT_OK;
    for (size_t h = 0; h < H && rc == GRAFT_OK; h++)
        if (d->strata[h].n_psu == 1)
            rc = graft_lonely_check(d->spec.lonely, d->file,
                                    d->strata[h].name, diag);
    return rc;
}

/* ---- accessors ------------------------------------------------------- */

size_t graft_design_n_rep(const graft_design_t *d)
{
    return d->n_rep;
}

double graft_design_rep_scale(const graft_design_t *d)
{
    return d->rep_scale;
}

const double *graft_design_rep_rscales(const graft_design_t *d)
{
    return d->rep_rscales;
}

const char *graft_design_rep_name(const graft_design_t *d, size_t r)
{
    return r < d->n_rep && d->rep_names ? d->rep_names[r] : NULL;
}

long graft_design_rep_df(const graft_design_t *d)
{
    return d->rep_rank - 1;
}

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
    return j < d->n_psus ? d->psus[j].stratum : GRAFT_ROW_PSU;
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
    if (!isnormal(d->sum_w2) && d->ss > 0) {
        /* w^2 under- or overflowed: (sum w / scale)^2 / sum (w / scale)^2 */
        double a = d->sum_w / d->ss_scale;
        out->kish_n = a * a / d->ss;
    }
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
