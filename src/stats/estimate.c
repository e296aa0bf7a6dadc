/*
 * estimate.c - one streaming pass per round: every indicator in every
 * domain, accumulated per (domain, round, indicator) cell; the variances
 * (variance.c), intervals and flags at the end.
 *
 * PSU totals (Y = sum w u and X = sum w of a cell's rows in one PSU) are
 * what the linearized variance needs, through per-stratum sums of Y, X
 * and their squares and product (strat_acc_t).  How they are kept:
 *
 *   - rows in any order: a store of per-PSU blocks (psu_store.h), one
 *     block per (domain, round) a PSU has rows in, each holding Y and X of
 *     the K indicators; at the end every PSU is added to its cells'
 *     stratum sums in PSU id order.  Memory: 8 + 16 K bytes per touched
 *     block, besides the design's PSU table (design.c).  A row asks for its
 *     PSU's blocks as soon as the design has placed it, and uses them
 *     after its domains (graft_psu_store_prefetch_*): with rows in any
 *     order they are rarely in a cache.
 *   - a file grouped by PSU: the same store while it holds less than a
 *     budget (graft_estimate_opts_t.psu_budget, GRAFT_PSU_BUDGET by
 *     default); past it, if no PSU has come back so far, the store is
 *     added to the sums and each cell keeps only its open PSU, added when
 *     the next PSU starts (cell_flush_psu): memory stays flat however
 *     long the file.  Both give the same sums in the same order, bit for
 *     bit.  A PSU that comes back after that (a file grouped by PSU for
 *     its first budget's worth of PSUs, then not) makes the pass read the
 *     rounds again keeping the store to the end (GRAFT_EST_REREAD); an
 *     input that cannot be read twice (a pipe) keeps the store to the end
 *     from the start.
 *   - no PSU column: each row is its own PSU, added to its stratum's sums
 *     at once.
 *   - --shared-psus: per-PSU arrays in every cell, as the variance of a
 *     contrast needs each PSU's totals in every round (variance.c).
 */
#include "stats/estimate_internal.h"
#include "base/names.h"
#include "spec/expr_internal.h"
#include "io/reader_internal.h"
#include "base/str.h"
#include "stats/grow_zeroed.h"
#include "stats/psu_store.h"
#include "stats/quantile.h"
#include "stats/calvar.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct domain {
    size_t set;
    char **values;         /* display text per by column */
    char **code_text;      /* code text per by column */
    graft_cell_t *codes;   /* sort keys (num or str copy) */
} domain_t;

#define RECENT_DOMAINS 16

/* How a pass keeps the PSU totals of rows that have a PSU (see above). */
typedef enum psu_mode {
    PSU_NONE,   /* replicate designs: no PSU totals */
    PSU_STORE,  /* per-PSU blocks, added to the strata at the end */
    PSU_STREAM, /* grouped by PSU: each cell's open PSU */
    PSU_DENSE   /* --shared-psus: per-PSU arrays in every cell */
} psu_mode_t;

typedef struct est_ctx {
    const char *path;         /* the current round's file */
    const graft_estimate_opts_t *opts;
    const graft_round_t *rounds;
    size_t n_rounds, round;   /* all, and the one being read */
    graft_design_t *design;   /* one design across the rounds */
    int shared;               /* the rounds share their PSUs */
    psu_mode_t psu_mode;
    graft_psu_store_t *store; /* PSU_STORE: every PSU's sums so far */
    size_t budget;            /* PSU_STORE: store bytes past which a file
                                 grouped by PSU so far streams */
    int ungrouped;            /* a PSU came back: PSU_STORE to the end */
    size_t prev_psu;          /* the previous row's PSU in this round */
    struct last_block {
        size_t psu;
        uint32_t slot;
        double *yx;
    } *last_block;            /* per by-set (0: "All"): the previous
                                 row's block of the store */
    size_t n_rep;             /* replicate weights (0: linearization) */
    int rep_domain_df;        /* keep per-domain Gram matrices */
    double *rep_rscales;      /* the first round's (owned) */
    size_t K;                 /* indicators */
    graft_expr_t **expr, **among;
    int *bare;                /* prop with a bare column */
    /* per indicator, when expr / among is a column against a number: the
     * filter, tested inline (*_simple[k] says so) */
    graft_filter_t *fexpr, *famong;
    unsigned char *fexpr_simple, *famong_simple;
    graft_expr_t **derived;
    size_t n_derived;         /* the current round's */
    /* columns: the file's, then the derived variables */
    graft_column_t *cols;
    size_t n_file_cols, n_cols;
    graft_cell_t *row;        /* file cells + derived cells */
    const graft_cell_t *cur;  /* this row's cells: row, or the reader's
                                 when there are no derived variables */
    int (*by_col)[GRAFT_MAX_BY];
    /* domains and their cells: cells[(d * n_rounds + round) * K + k] */
    graft_intern_t *domain_ids;
    domain_t *domains;
    size_t n_domains, domains_cap;
    cell_t *cells;
    size_t cells_cap;
    size_t *row_domain;       /* per by-set: this row's domain, or -1 */
    struct last_domain {
        struct recent_domain {
            int valid;
            size_t d;
            double num[GRAFT_MAX_BY];
        } recent[RECENT_DOMAINS]; /* by a hash of the values */
        struct recent_domain *last; /* the previous row's, or NULL */
        size_t count;         /* the set's domains so far */
    } *last_dom;              /* per by-set: recent domains whose by
                                 values are all numbers */
    graft_key_t key;
    var_ctx_t var;
    /* string literals compared with a column (graft_expr_value), checked
     * on every row until seen; probes[0 .. n_unseen) are not seen yet */
    struct probe {
        const graft_expr_t *e;
        size_t i;
        size_t derived;       /* the derived variable it is in, or -1 */
        size_t k;             /* else the indicator */
        size_t order;         /* its place in the round's list */
    } *probes;
    size_t n_probes, n_unseen, cap_probes;
    char **never;             /* per (round, indicator): the values that
                                 never occur, for the rows' flag, or NULL */
    char **warnings;          /* for graft_estimates_t.warnings */
    size_t n_warnings, cap_warnings;
    graft_quant_t *quant;     /* the rows of quantile indicators, or NULL */
    graft_calvar_t **cal;     /* per round: its calibration, or NULL */
    graft_calvar_t *cv;       /* the current round's */
    int any_cal;              /* keep the store to the end for them */
} est_ctx_t;

static cell_t *cell_at(const est_ctx_t *c, size_t d, size_t round, size_t k)
{
    return &c->cells[(d * c->n_rounds + round) * c->K + k];
}

#define NO_DOMAIN ((size_t)-1)
#define NO_INDICATOR ((size_t)-1)


/* ---- indicator names and types ------------------------------------- */

static const char *const type_names[] = {"prop", "mean", "total",
                                          "quantile"};

const char *graft_ind_type_name(graft_ind_type_t type)
{
    return GRAFT_NAMES_AT(type_names, type);
}

int graft_ind_type_parse(const char *name, graft_ind_type_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(type_names, 0, name, &i))
        return 0;
    *out = (graft_ind_type_t)i;
    return 1;
}

const char *graft_indicator_name(const graft_indicator_spec_t *ind)
{
    return ind->name ? ind->name : ind->expr;
}

/* ---- set-up ---------------------------------------------------------- */

/* A syntax error in an option is a usage error; in a file it is a data
 * error of that file. */
static graft_error_t parse_expr(const char *text, const graft_source_t *src,
                                graft_expr_t **out, graft_diag_t *diag)
{
    graft_error_t rc = graft_expr_parse(text, src->file, src->line, src->col,
                                        out, diag);
    if (rc == GRAFT_ERR_USAGE && src->file && strncmp(src->file, "--", 2))
        rc = diag->code = GRAFT_ERR_SURVEY_FILE;
    return rc;
}

/* Free the expressions and columns bound to the previous round's file. */
static void round_free(est_ctx_t *c)
{
    for (size_t k = 0; c->expr && k < c->K; k++)
        graft_expr_free(c->expr[k]);
    for (size_t k = 0; c->among && k < c->K; k++)
        graft_expr_free(c->among[k]);
    for (size_t i = 0; c->derived && i < c->n_derived; i++)
        graft_expr_free(c->derived[i]);
    free(c->expr);
    free(c->among);
    free(c->bare);
    free(c->fexpr);
    free(c->famong);
    free(c->fexpr_simple);
    free(c->famong_simple);
    c->fexpr = c->famong = NULL;
    c->fexpr_simple = c->famong_simple = NULL;
    free(c->derived);
    free(c->cols);
    free(c->row);
    free(c->by_col);
    free(c->probes);
    c->probes = NULL;
    c->n_probes = c->n_unseen = c->cap_probes = 0;
    c->expr = c->among = c->derived = NULL;
    c->bare = NULL;
    c->cols = NULL;
    c->row = NULL;
    c->by_col = NULL;
}

/* Parse the round's derived variables and every indicator: each round is
 * bound to its own columns (harmonized names come from [derive]). */
static graft_error_t parse_round(est_ctx_t *c, const graft_round_t *round,
                                 graft_diag_t *diag)
{
    const graft_estimate_opts_t *o = c->opts;
    graft_error_t rc;
    round_free(c);
    c->n_derived = round->n_derived;
    c->expr = calloc(c->K ? c->K : 1, sizeof *c->expr);
    c->among = calloc(c->K ? c->K : 1, sizeof *c->among);
    c->bare = calloc(c->K ? c->K : 1, sizeof *c->bare);
    c->derived = calloc(c->n_derived ? c->n_derived : 1, sizeof *c->derived);
    c->fexpr = calloc(c->K ? c->K : 1, sizeof *c->fexpr);
    c->famong = calloc(c->K ? c->K : 1, sizeof *c->famong);
    c->fexpr_simple = calloc(c->K ? c->K : 1, 1);
    c->famong_simple = calloc(c->K ? c->K : 1, 1);
    if (!c->expr || !c->among || !c->bare || !c->derived || !c->fexpr ||
        !c->famong || !c->fexpr_simple || !c->famong_simple)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t i = 0; i < c->n_derived; i++) {
        const graft_derived_spec_t *d = &round->derived[i];
        if ((rc = parse_expr(d->expr, &d->src, &c->derived[i], diag)) !=
            GRAFT_OK)
            return rc;
    }
    for (size_t k = 0; k < c->K; k++) {
        const graft_indicator_spec_t *ind = &o->indicators[k];
        if ((rc = parse_expr(ind->expr, &ind->expr_src, &c->expr[k],
                             diag)) != GRAFT_OK)
            return rc;
        c->bare[k] = ind->type == GRAFT_IND_PROP &&
                     graft_expr_is_bare_column(c->expr[k]);
        if (ind->among && (rc = parse_expr(ind->among, &ind->among_src,
                                           &c->among[k], diag)) != GRAFT_OK)
            return rc;
    }
    return GRAFT_OK;
}

static graft_error_t bind_by(est_ctx_t *c, graft_diag_t *diag)
{
    const graft_estimate_opts_t *o = c->opts;
    c->by_col = calloc(o->n_by ? o->n_by : 1, sizeof *c->by_col);
    if (!c->by_col)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t s = 0; s < o->n_by; s++)
        for (size_t i = 0; i < o->by[s].n_columns; i++) {
            const char *name = o->by[s].columns[i];
            int found = -1;
            for (size_t j = 0; j < c->n_cols && found < 0; j++)
                if (strcmp(c->cols[j].name, name) == 0)
                    found = (int)j;
            if (found < 0) {
                const char *near =
                    graft_closest_column(name, c->cols, c->n_cols);
                return graft_diag_set(
                    diag, GRAFT_ERR_COLUMN, c->path, 0, 0,
                    "unknown column '%s' in --by%s%s%s", name,
                    near ? " (did you mean '" : "", near ? near : "",
                    near ? "'?)" : "");
            }
            c->by_col[s][i] = found;
        }
    return GRAFT_OK;
}

/* Do X and Y agree to 1e-12 relative (the same setting written twice)? */
static int same_setting(double x, double y)
{
    return fabs(x - y) <= 1e-12 * fmax(fabs(x), fabs(y));
}

/* Round C->round > 0 of a replicate design, after bind: its scale and
 * rscales must be the first round's, which the stacked variance uses. */
static graft_error_t check_rep_scales(const est_ctx_t *c, graft_diag_t *diag)
{
    const char *p0 = c->rounds[0].path;
    double scale = graft_design_rep_scale(c->design);
    if (!same_setting(scale, c->var.rep_scale))
        return graft_diag_set(diag, GRAFT_ERR_ROUNDS, NULL, 0, 0,
                              "rounds '%s' and '%s' have different replicate "
                              "scales: %.15g and %.15g",
                              p0, c->path, c->var.rep_scale, scale);
    const double *rs = graft_design_rep_rscales(c->design);
    for (size_t r = 0; r < c->n_rep; r++)
        if (!same_setting(rs[r], c->rep_rscales[r]))
            return graft_diag_set(diag, GRAFT_ERR_ROUNDS, NULL, 0, 0,
                                  "rounds '%s' and '%s' have different "
                                  "replicate rscales: replicate %zu has "
                                  "%.15g and %.15g",
                                  p0, c->path, r + 1, c->rep_rscales[r],
                                  rs[r]);
    return GRAFT_OK;
}

/* ---- values that never occur ------------------------------------------ */

static int expr_names(const graft_expr_t *e, const char *name);

static int add_probe(est_ctx_t *c, const graft_expr_t *e, size_t derived,
                     size_t k)
{
    size_t n = e ? graft_expr_n_values(e) : 0;
    for (size_t i = 0; i < n; i++) {
        struct probe *p = graft_grow(c->probes, &c->cap_probes,
                                     c->n_probes + 1, sizeof *p);
        if (!p)
            return 0;
        c->probes = p;
        c->probes[c->n_probes] = (struct probe){e, i, derived, k,
                                                c->n_probes};
        c->n_probes++;
    }
    c->n_unseen = c->n_probes;
    return 1;
}

/* The round's literals to look for: in derived variables and indicators. */
static int add_probes(est_ctx_t *c)
{
    for (size_t i = 0; i < c->n_derived; i++)
        if (!add_probe(c, c->derived[i], i, NO_INDICATOR))
            return 0;
    for (size_t k = 0; k < c->K; k++)
        if (!add_probe(c, c->expr[k], NO_INDICATOR, k) ||
            !add_probe(c, c->among[k], NO_INDICATOR, k))
            return 0;
    return 1;
}

/* Per row: drop the literals this row holds from the unseen ones. */
static void check_probes(est_ctx_t *c)
{
    for (size_t j = 0; j < c->n_unseen;) {
        const struct probe *p = &c->probes[j];
        if (graft_expr_value_occurs(p->e, p->i, c->cur)) {
            struct probe t = c->probes[j];
            c->probes[j] = c->probes[--c->n_unseen];
            c->probes[c->n_unseen] = t;
        } else {
            j++;
        }
    }
}

/* Append TEXT to *DST ("; " between), unless it is there already. */
static int append_text(char **dst, const char *text)
{
    size_t old = *dst ? strlen(*dst) : 0, add = strlen(text);
    if (*dst && strstr(*dst, text))
        return 1;
    char *s = realloc(*dst, old + add + 3);
    if (!s)
        return 0;
    if (old) {
        memcpy(s + old, "; ", 2);
        old += 2;
    }
    memcpy(s + old, text, add + 1);
    *dst = s;
    return 1;
}

/* Does indicator K of the round use derived variable D, directly or
 * through later derived variables? */
static int uses_derived(const est_ctx_t *c, size_t k, size_t d)
{
    const graft_derived_spec_t *spec = c->rounds[c->round].derived;
    unsigned char via[64] = {0};
    size_t n = c->n_derived;
    if (n > 64)
        return 1; /* too many to follow: flag every indicator */
    via[d] = 1;
    for (size_t j = d + 1; j < n; j++)
        for (size_t t = d; t < j && !via[j]; t++)
            via[j] = via[t] && expr_names(c->derived[j], spec[t].name);
    for (size_t t = d; t < n; t++)
        if (via[t] && (expr_names(c->expr[k], spec[t].name) ||
                       expr_names(c->among[k], spec[t].name)))
            return 1;
    return 0;
}

/* An indicator's column missing from the file of one round of several:
 * the message says which round's data file (the expression's own
 * position is the same in every round). */
static graft_error_t in_round(const est_ctx_t *c, graft_error_t rc,
                              graft_diag_t *diag)
{
    if (rc == GRAFT_ERR_COLUMN && c->n_rounds > 1 && diag) {
        size_t n = strlen(diag->msg);
        snprintf(diag->msg + n, sizeof diag->msg - n,
                 " in round %zu of %zu, data file %s", c->round + 1,
                 c->n_rounds, c->path);
    }
    return rc;
}

/* After the round's last row: a warning per literal never seen, and a
 * flag on the rows of the indicators it affects. */
static int cmp_probe(const void *pa, const void *pb)
{
    const struct probe *a = pa, *b = pb;
    return (a->order > b->order) - (a->order < b->order);
}

static graft_error_t report_probes(est_ctx_t *c)
{
    if (c->n_unseen)
        qsort(c->probes, c->n_unseen, sizeof *c->probes, cmp_probe);
    for (size_t j = 0; j < c->n_unseen; j++) {
        const struct probe *p = &c->probes[j];
        graft_expr_value_t v;
        char flag[200], msg[600], where[300] = "";
        graft_expr_value(p->e, p->i, &v);
        snprintf(flag, sizeof flag, "value '%.80s' of %.80s never occurs",
                 v.text, v.column);
        if (v.source && v.line)
            snprintf(where, sizeof where, "%.200s:%lu:%lu: ", v.source,
                     v.line, v.col);
        else if (v.source)
            snprintf(where, sizeof where, "%.200s: ", v.source);
        snprintf(msg, sizeof msg, "%s%s in %.200s", where, flag, c->path);
        int dup = 0;
        for (size_t w = 0; w < c->n_warnings && !dup; w++)
            dup = strcmp(c->warnings[w], msg) == 0;
        if (!dup) {
            char **ws = graft_grow(c->warnings, &c->cap_warnings,
                                   c->n_warnings + 1, sizeof *ws);
            if (!ws)
                return GRAFT_ERR_NOMEM;
            c->warnings = ws;
            if (!(ws[c->n_warnings] = graft_strdup(msg)))
                return GRAFT_ERR_NOMEM;
            c->n_warnings++;
        }
        for (size_t k = 0; k < c->K; k++) {
            if (p->derived == NO_INDICATOR ? p->k != k
                                           : !uses_derived(c, k, p->derived))
                continue;
            if (!append_text(&c->never[c->round * c->K + k], flag))
                return GRAFT_ERR_NOMEM;
        }
    }
    return GRAFT_OK;
}

/* The replicate design of the round just bound: the first round's is the
 * stacked variance's, every later round must have the same. */
static graft_error_t header_replicates(est_ctx_t *c, graft_diag_t *diag)
{
    graft_error_t rc;
    size_t n_rep = graft_design_n_rep(c->design);
    if (c->round > 0 && n_rep != c->n_rep)
        return graft_diag_set(diag, GRAFT_ERR_ROUNDS, c->path, 0, 0,
                              "this round has %zu replicate weights, the "
                              "first round %zu: rounds must share one kind "
                              "of design",
                              n_rep, c->n_rep);
    if (c->round > 0 && n_rep && (rc = check_rep_scales(c, diag)) != GRAFT_OK)
        return rc;
    c->n_rep = n_rep;
    c->rep_domain_df = c->n_rep && c->opts->df_mode == GRAFT_DF_DOMAIN;
    if (c->round == 0 && c->n_rep) {
        c->var.n_rep = c->n_rep;
        c->var.rep_scale = graft_design_rep_scale(c->design);
        c->var.rep_mse = graft_design_spec(c->design)->rep.mse;
        c->rep_rscales = malloc(c->n_rep * sizeof *c->rep_rscales);
        if (!c->rep_rscales)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
        memcpy(c->rep_rscales, graft_design_rep_rscales(c->design),
               c->n_rep * sizeof *c->rep_rscales);
        c->var.rep_rscales = c->rep_rscales;
    }
    return GRAFT_OK;
}

/* The columns the expressions see: the file's NCOLS, then the round's
 * derived variables, each bound to the columns before it. */
static graft_error_t header_derived(est_ctx_t *c, const graft_column_t *cols,
                                    size_t ncols, graft_diag_t *diag)
{
    graft_error_t rc;
    c->n_file_cols = ncols;
    c->n_cols = ncols + c->n_derived;
    c->cols = malloc(c->n_cols * sizeof *c->cols);
    c->row = calloc(c->n_cols, sizeof *c->row);
    if (!c->cols || !c->row)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    memcpy(c->cols, cols, ncols * sizeof *cols);
    const graft_derived_spec_t *derived = c->rounds[c->round].derived;
    for (size_t i = 0; i < c->n_derived; i++) {
        const graft_derived_spec_t *d = &derived[i];
        /* A derived name that is also the file's would never be read:
         * expressions find the file's column first. */
        for (size_t j = 0; j < ncols; j++)
            if (cols[j].name && strcmp(cols[j].name, d->name) == 0)
                return graft_diag_set(
                    diag, GRAFT_ERR_SURVEY_FILE, d->src.file, d->src.line, 0,
                    "derived variable '%s' has the name of a column of %s: "
                    "give it another name",
                    d->name, c->path);
        /* Derived i sees the file's columns and derived 0 .. i-1. */
        if ((rc = graft_expr_bind(c->derived[i], c->cols, ncols + i,
                                  diag)) != GRAFT_OK)
            return rc;
        c->cols[ncols + i] = (graft_column_t){derived[i].name, NULL,
                                              GRAFT_COL_UNKNOWN, NULL};
    }
    return GRAFT_OK;
}

/* Every indicator's expression and domain bound to the columns, with
 * their fast filters, and the literals to look for. */
static graft_error_t header_indicators(est_ctx_t *c, graft_diag_t *diag)
{
    graft_error_t rc;
    for (size_t k = 0; k < c->K; k++) {
        if ((rc = graft_expr_bind(c->expr[k], c->cols, c->n_cols, diag)) !=
                GRAFT_OK ||
            (c->among[k] && (rc = graft_expr_bind(c->among[k], c->cols,
                                                  c->n_cols, diag)) !=
                                GRAFT_OK))
            return in_round(c, rc, diag);
        c->fexpr_simple[k] =
            (unsigned char)graft_expr_filter(c->expr[k], &c->fexpr[k]);
        c->famong_simple[k] = c->among[k] && graft_expr_filter(
                                                 c->among[k], &c->famong[k]);
    }
    if (!add_probes(c))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    return GRAFT_OK;
}

static graft_error_t on_header(void *vctx, const graft_column_t *cols,
                               size_t ncols, graft_diag_t *diag)
{
    est_ctx_t *c = vctx;
    graft_error_t rc;
    if ((rc = graft_design_bind(c->design, c->path, cols, ncols, diag)) !=
            GRAFT_OK ||
        (rc = header_replicates(c, diag)) != GRAFT_OK ||
        (rc = header_derived(c, cols, ncols, diag)) != GRAFT_OK ||
        (rc = header_indicators(c, diag)) != GRAFT_OK ||
        (c->cv && (rc = graft_calvar_bind(c->cv, c->path, c->cols, c->n_cols,
                                          c->rounds[c->round].spec->weight,
                                          diag)) != GRAFT_OK))
        return rc;
    return bind_by(c, diag);
}

/* ---- domains --------------------------------------------------------- */

/* A copy of CELL's text as graft_cell_display() (COL's value label) or,
 * for a NULL COL, graft_cell_text() writes it, but whole however long
 * (their buffers cut a long label or string). */
static char *cell_dup(const graft_column_t *col, const graft_cell_t *cell)
{
    const char *label = NULL;
    if (col && col->labels)
        label = cell->kind == GRAFT_CELL_NUMBER
                    ? graft_labelset_num(col->labels, cell->num)
                    : graft_labelset_str(col->labels, cell->str);
    if (label)
        return graft_strdup(label);
    if (cell->kind == GRAFT_CELL_STRING)
        return graft_strdup(cell->str ? cell->str : "");
    char buf[64]; /* a number ("%.15g"), or "" for missing */
    return graft_strdup(graft_cell_text(cell, buf, sizeof buf));
}

static graft_error_t new_domain(est_ctx_t *c, size_t d, size_t set)
{
    size_t K = c->K * c->n_rounds;
    domain_t *domains = graft_grow_zeroed(c->domains, &c->domains_cap, d + 1,
                                          sizeof *c->domains);
    if (!domains)
        return GRAFT_ERR_NOMEM;
    c->domains = domains;
    cell_t *cells = graft_grow_zeroed(c->cells, &c->cells_cap, (d + 1) * K,
                                      sizeof *c->cells);
    if (!cells && K)
        return GRAFT_ERR_NOMEM;
    c->cells = cells;
    c->domains[d].set = set;
    c->n_domains = d + 1;
    if (set == NO_DOMAIN)
        return GRAFT_OK;
    size_t n = c->opts->by[set].n_columns;
    domain_t *dom = &c->domains[d];
    dom->values = calloc(n, sizeof *dom->values);
    dom->code_text = calloc(n, sizeof *dom->code_text);
    dom->codes = calloc(n, sizeof *dom->codes);
    if (!dom->values || !dom->code_text || !dom->codes)
        return GRAFT_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        int col = c->by_col[set][i];
        const graft_cell_t *cell = &c->cur[col];
        dom->codes[i] = *cell;
        dom->codes[i].str = NULL;
        if (!(dom->values[i] = cell_dup(&c->cols[col], cell)))
            return GRAFT_ERR_NOMEM;
        if (!(dom->code_text[i] = cell_dup(NULL, cell)) ||
            (cell->kind == GRAFT_CELL_STRING &&
             !(dom->codes[i].str = graft_strdup(cell->str))))
            return GRAFT_ERR_NOMEM;
    }
    return GRAFT_OK;
}

/* The entry of set S's recent domains for this row's by values, when
 * they are all numbers (NULL otherwise).  Equal numbers are equal keys
 * (-0 is 0), so the entry holding them names the row's domain. */
static struct recent_domain *recent_entry(est_ctx_t *c, size_t s)
{
    const graft_by_spec_t *by = &c->opts->by[s];
    uint64_t h = 0;
    for (size_t i = 0; i < by->n_columns; i++) {
        const graft_cell_t *cell = &c->cur[c->by_col[s][i]];
        if (cell->kind != GRAFT_CELL_NUMBER)
            return NULL;
        double x = cell->num == 0 ? 0 : cell->num;
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        h = graft_hash_mix(h ^ bits);
    }
    return &c->last_dom[s].recent[h % RECENT_DOMAINS];
}

/* Does entry E (may be NULL) hold the row's by values of set S? */
static int holds_domain(est_ctx_t *c, size_t s,
                        const struct recent_domain *e)
{
    const graft_by_spec_t *by = &c->opts->by[s];
    if (!e || !e->valid)
        return 0;
    for (size_t i = 0; i < by->n_columns; i++) {
        const graft_cell_t *cell = &c->cur[c->by_col[s][i]];
        if (cell->kind != GRAFT_CELL_NUMBER || cell->num != e->num[i])
            return 0;
    }
    return 1;
}

/* Remember domain D of set S in its entry E (NULL: not all numbers). */
static void remember_domain(est_ctx_t *c, size_t s, struct recent_domain *e,
                            size_t d)
{
    const graft_by_spec_t *by = &c->opts->by[s];
    c->last_dom[s].last = e;
    if (!e)
        return;
    e->valid = 1;
    e->d = d;
    for (size_t i = 0; i < by->n_columns; i++)
        e->num[i] = c->cur[c->by_col[s][i]].num;
}

/* By-set S has met its domain GRAFT_MAX_DOMAINS + 1 on LINE. */
static graft_error_t too_many_domains(const est_ctx_t *c, size_t s,
                                      unsigned long line, graft_diag_t *diag)
{
    const graft_by_spec_t *by = &c->opts->by[s];
    char names[GRAFT_MAX_BY * 64 + 8] = "";
    for (size_t i = 0; i < by->n_columns; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names),
                 "%s%.60s", i ? "," : "", by->columns[i]);
    if (by->n_columns == 1)
        return graft_diag_set(
            diag, GRAFT_ERR_DESIGN_VALUE, c->path, line, 0,
            "--by %s: column '%s' has more than %d distinct values (the "
            "limit of a --by table; this row has value %d): a domain table "
            "needs a column of categories",
            names, names, GRAFT_MAX_DOMAINS, GRAFT_MAX_DOMAINS + 1);
    return graft_diag_set(
        diag, GRAFT_ERR_DESIGN_VALUE, c->path, line, 0,
        "--by %s: the columns have more than %d distinct combinations of "
        "values (the limit of a --by table; this row has combination %d): "
        "a domain table needs columns of categories",
        names, GRAFT_MAX_DOMAINS, GRAFT_MAX_DOMAINS + 1);
}

/* This row's domain in by-set S, or NO_DOMAIN when a by value is missing
 * (R's svyby drops NA levels).  GRAFT_ERR_DESIGN_VALUE (without a
 * diagnostic) when the set would have more than GRAFT_MAX_DOMAINS. */
static graft_error_t row_domain(est_ctx_t *c, size_t s, size_t *out)
{
    const graft_by_spec_t *by = &c->opts->by[s];
    struct last_domain *ld = &c->last_dom[s];
    struct recent_domain *e;
    /* the previous row's domain (rows come grouped, by stratum or PSU),
     * else a recent one (rows in any order among few domains): most
     * rows skip the key and its hash table */
    if (holds_domain(c, s, ld->last)) {
        *out = ld->last->d;
        return GRAFT_OK;
    }
    if (holds_domain(c, s, e = recent_entry(c, s))) {
        ld->last = e;
        *out = e->d;
        return GRAFT_OK;
    }
    graft_key_t *k = &c->key;
    k->len = 0;
    if (graft_key_bytes(k, &s, sizeof s) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    for (size_t i = 0; i < by->n_columns; i++) {
        const graft_cell_t *cell = &c->cur[c->by_col[s][i]];
        if (cell->kind == GRAFT_CELL_MISSING) {
            *out = NO_DOMAIN;
            return GRAFT_OK;
        }
        if (graft_key_cell(k, cell) != GRAFT_OK)
            return GRAFT_ERR_NOMEM;
    }
    int added;
    if (graft_intern_put(c->domain_ids, k->buf, k->len, out, &added) !=
        GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    *out += 1; /* domain 0 is "All" */
    if (added && ++c->last_dom[s].count > GRAFT_MAX_DOMAINS)
        return GRAFT_ERR_DESIGN_VALUE;
    if (added && new_domain(c, *out, s) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    remember_domain(c, s, e, *out);
    return GRAFT_OK;
}

/* ---- per row --------------------------------------------------------- */

/* The domain's df is the rank of its rows' replicate weights (R's
 * `[.svyrep.design` recomputes degf on the subset): keep the Gram matrix,
 * one R x R update per group of proportional rows. */
static graft_error_t cell_gram_add(const est_ctx_t *c, cell_t *cell,
                                   const graft_design_obs_t *o)
{
    size_t R = c->n_rep;
    if (o->rep_group == 0)
        return GRAFT_OK;
    if (!cell->gram) {
        cell->gram = calloc(R * R, sizeof *cell->gram);
        cell->gdir = calloc(R, sizeof *cell->gdir);
        if (!cell->gram || !cell->gdir)
            return GRAFT_ERR_NOMEM;
    }
    if (cell->gid != o->rep_group) {
        graft_cell_gram_flush(&c->var, cell);
        memcpy(cell->gdir, o->rep_dir, R * sizeof *cell->gdir);
        cell->gid = o->rep_group;
    }
    cell->gs += o->rep_mult * o->rep_mult;
    return GRAFT_OK;
}

/* Add a PSU's totals Y and X to its stratum's sums T (strata_rows in
 * variance.c turns them into the variance). */
static void strat_add_psu(strat_acc_t *t, double y, double x)
{
    t->sy += y;
    t->sx += x;
    t->syy += y * y;
    t->sxy += x * y;
    t->sxx += x * x;
    t->pos += x > 0;
}

/* Add the open PSU's totals to its stratum's sums (PSU_STREAM). */
static void cell_flush_psu(cell_t *cell)
{
    if (!cell->open)
        return;
    strat_add_psu(&cell->T[cell->open_h], cell->oy, cell->ox);
    cell->oy = cell->ox = 0;
    cell->open = 0;
}

/* Add every stored PSU's totals to its cells' stratum sums, PSU by PSU in
 * id order (first appearance), and free the store.  Each cell so gets its
 * PSUs in the order a file grouped by PSU adds them (cell_flush_psu), and
 * the same sums, bit for bit.  A block's indicator without rows of the PSU
 * holds Y = X = 0 and is skipped: adding it would change no sum or count
 * (a sum that starts at +0 never becomes -0), and its cell may have no
 * stratum sums yet. */
static void store_fold(est_ctx_t *c)
{
    const graft_psu_store_t *s = c->store;
    size_t J = graft_psu_store_n_psu(s);
    for (size_t j = 0; j < J; j++) {
        size_t h = graft_design_psu_stratum(c->design, j);
        const graft_psu_block_t *b;
        for (size_t n = 0; (b = graft_psu_store_nth(s, j, n)); n++) {
            cell_t *cells = &c->cells[graft_psu_store_slot(b) * c->K];
            const double *yx = graft_psu_store_values(b);
            for (size_t k = 0; k < c->K; k++)
                if (yx[2 * k] != 0 || yx[2 * k + 1] != 0)
                    strat_add_psu(&cells[k].T[h], yx[2 * k], yx[2 * k + 1]);
        }
    }
    if (c->any_cal) /* calibrated rounds read it at the end (calvar.c) */
        return;
    graft_psu_store_free(c->store);
    c->store = NULL;
    for (size_t s = 0; s <= c->opts->n_by; s++)
        c->last_block[s].yx = NULL;
}

/* Replicate designs: the replicate estimates need only the replicate sums
 * sum w_r and sum w_r y (and the domain's Gram matrix for its df). */
static graft_error_t cell_add_replicates(const est_ctx_t *c, cell_t *cell,
                                         const graft_design_obs_t *o,
                                         double y)
{
    if (!cell->rsw) {
        cell->rsw = calloc(c->n_rep, sizeof *cell->rsw);
        cell->rswy = calloc(c->n_rep, sizeof *cell->rswy);
        if (!cell->rsw || !cell->rswy)
            return GRAFT_ERR_NOMEM;
    }
    const double *rw = o->repw;
    for (size_t r = 0; r < c->n_rep; r++) {
        cell->rsw[r] += rw[r];
        cell->rswy[r] += rw[r] * y;
    }
    return c->rep_domain_df ? cell_gram_add(c, cell, o) : GRAFT_OK;
}

/* Room in the per-PSU arrays Y and X (one capacity) for PSU J
 * (PSU_DENSE). */
static graft_error_t cell_psu_room(cell_t *cell, size_t j)
{
    size_t cap = cell->psu_cap;
    double *Y = graft_grow_zeroed(cell->Y, &cap, j + 1, sizeof *Y);
    if (!Y)
        return GRAFT_ERR_NOMEM;
    cell->Y = Y;
    double *X = graft_grow_zeroed(cell->X, &cell->psu_cap, j + 1, sizeof *X);
    if (!X)
        return GRAFT_ERR_NOMEM;
    cell->X = X;
    return GRAFT_OK;
}

/* Linearization: the row's w u and w go to its PSU's totals, kept as
 * c->psu_mode says: YX, the row's PSU's sums for this cell in the store
 * (PSU_STORE), the open PSU of a file grouped by PSU (PSU_STREAM), per-PSU
 * arrays (PSU_DENSE), or straight into the stratum's sums when each row is
 * its own PSU. */
static graft_error_t cell_add_psu(const est_ctx_t *c, cell_t *cell,
                                  const graft_design_obs_t *o, double u,
                                  double *yx)
{
    double w = o->weight;
    size_t h = o->stratum;
    if (h >= cell->strat_cap) {
        strat_acc_t *T = graft_grow_zeroed(cell->T, &cell->strat_cap, h + 1,
                                           sizeof *cell->T);
        if (!T)
            return GRAFT_ERR_NOMEM;
        cell->T = T;
    }
    strat_acc_t *t = &cell->T[h];
    t->rows++;
    if (o->psu == GRAFT_ROW_PSU) {
        double wu = w * u; /* each row is its own PSU */
        t->sy += wu;
        t->sx += w;
        t->syy += wu * wu;
        t->sxy += w * wu;
        t->sxx += w * w;
        t->pos += w > 0;
    } else if (yx) {
        yx[0] += w * u;
        yx[1] += w;
    } else if (c->psu_mode == PSU_DENSE) {
        t->pos += w > 0; /* rows; the PSUs come from X */
        if (cell_psu_room(cell, o->psu) != GRAFT_OK)
            return GRAFT_ERR_NOMEM;
        cell->Y[o->psu] += w * u;
        cell->X[o->psu] += w;
    } else {
        if (!cell->open || cell->open_psu != o->psu) {
            cell_flush_psu(cell);
            cell->open = 1;
            cell->open_psu = o->psu;
            cell->open_h = h;
        }
        cell->oy += w * u;
        cell->ox += w;
    }
    return GRAFT_OK;
}

/* Add a row of value Y to CELL: the raw sums, then what its variance
 * needs (YX: the row's PSU's sums for the cell in the store, or NULL).
 * Ratios (RATIO) accumulate u = y - c, c the cell's first y, for
 * accuracy; totals u = y. */
static graft_error_t cell_add(est_ctx_t *c, cell_t *cell, int ratio,
                              const graft_design_obs_t *o, double y,
                              double *yx)
{
    double w = o->weight;
    if (!cell->shifted && ratio) {
        cell->shift = y;
        cell->shifted = 1;
    }
    double u = ratio ? y - cell->shift : y;
    cell->n++;
    cell->sw += w;
    cell->swy += w * y;
    cell->a1 += w * u;
    cell->a2 += w * u * u;
    if (c->cv && graft_calvar_add(c->cv, &cell->cal, (size_t)(cell - c->cells),
                                  o, u) != GRAFT_OK)
        return GRAFT_ERR_NOMEM;
    if (c->n_rep)
        return cell_add_replicates(c, cell, o, y);
    return cell_add_psu(c, cell, o, u, yx);
}

/* The order of the PSUs: a PSU met before that is not the previous row's
 * has come back, so the file is not grouped by PSU.  PSU_STORE then keeps
 * its store to the end; while none has come back, the first row of a new
 * PSU past the budget turns the store into stratum sums and the pass
 * streams from there (every earlier PSU is complete).  PSU_STREAM cannot
 * take a PSU back: GRAFT_EST_REREAD, and the rounds are read again. */
static graft_error_t track_psu(est_ctx_t *c, const graft_design_obs_t *obs)
{
    if (obs->psu == GRAFT_ROW_PSU ||
        (c->psu_mode != PSU_STORE && c->psu_mode != PSU_STREAM))
        return GRAFT_OK;
    int back = !obs->psu_new && obs->psu != c->prev_psu;
    c->prev_psu = obs->psu;
    if (c->psu_mode == PSU_STREAM)
        return back ? GRAFT_EST_REREAD : GRAFT_OK;
    if (back) {
        c->ungrouped = 1;
    } else if (obs->psu_new && !c->ungrouped && c->store &&
               graft_psu_store_bytes(c->store) > c->budget) {
        store_fold(c);
        c->psu_mode = PSU_STREAM;
    }
    return GRAFT_OK;
}

/* The sums of the row's PSU in domain D of by-set S (0: "All") in this
 * round, in the store (made when it is new): the set's previous block
 * when it is the same PSU and slot, as for most rows of a PSU.  NULL when
 * out of memory. */
static double *row_block(est_ctx_t *c, size_t s, size_t d, size_t psu)
{
    struct last_block *lb = &c->last_block[s];
    uint32_t slot = (uint32_t)(d * c->n_rounds + c->round);
    if (lb->yx && lb->psu == psu && lb->slot == slot)
        return lb->yx;
    /* a PSU's usual blocks: "All" and one domain of each by-set (eight at
     * most: a PSU with more links the others) */
    size_t width = c->opts->n_by < 8 ? c->opts->n_by + 1 : 8;
    if (!c->store && !(c->store = graft_psu_store_alloc(c->K, width)))
        return NULL;
    double *yx = graft_psu_store_block(c->store, psu, slot);
    if (yx)
        *lb = (struct last_block){psu, slot, yx};
    return yx;
}

/* This row's cells (c->cur): the reader's, or a copy with the derived
 * variables evaluated after them. */
static void row_cells(est_ctx_t *c, const graft_cell_t *cells, size_t ncols)
{
    c->cur = cells;
    if (!c->n_derived)
        return;
    memcpy(c->row, cells, ncols * sizeof *cells);
    for (size_t i = 0; i < c->n_derived; i++)
        c->row[ncols + i] = graft_expr_eval(c->derived[i], c->row);
    c->cur = c->row;
}

/* Is the row among indicator K's rows (no 'among', or it holds)? */
static int row_among(const est_ctx_t *c, size_t k)
{
    if (!c->among[k])
        return 1;
    return (c->famong_simple[k] ? graft_filter_test(&c->famong[k], c->cur)
                                : graft_expr_test(c->among[k], c->cur)) == 1;
}

/* Indicator K's value on the row, in *Y, or *MISSING.  A proportion is 1
 * when its condition holds (or a bare column is 1); a mean or total of a
 * value that is not a finite number is GRAFT_ERR_VALUE (in DIAG). */
static graft_error_t row_value(const est_ctx_t *c, size_t k,
                               unsigned long line, double *y, int *missing,
                               graft_diag_t *diag)
{
    const graft_indicator_spec_t *ind = &c->opts->indicators[k];
    *y = 0;
    *missing = 0;
    if (ind->type == GRAFT_IND_PROP && !c->bare[k]) {
        int t = c->fexpr_simple[k] ? graft_filter_test(&c->fexpr[k], c->cur)
                                   : graft_expr_test(c->expr[k], c->cur);
        *missing = t < 0;
        *y = t == 1;
        return GRAFT_OK;
    }
    graft_cell_t v = graft_expr_eval(c->expr[k], c->cur);
    if (ind->type == GRAFT_IND_PROP) {
        *missing = v.kind == GRAFT_CELL_MISSING;
        *y = v.kind == GRAFT_CELL_NUMBER && v.num == 1;
    } else if (v.kind == GRAFT_CELL_NUMBER && isfinite(v.num)) {
        *y = v.num;
    } else if (v.kind == GRAFT_CELL_MISSING) {
        *missing = 1;
    } else {
        char buf[64];
        graft_cell_text(&v, buf, sizeof buf);
        return graft_diag_set(diag, GRAFT_ERR_VALUE, c->path, line, 0,
                              "%s of '%s' needs numbers, not '%s'",
                              graft_ind_type_name(ind->type),
                              graft_indicator_name(ind), buf);
    }
    return GRAFT_OK;
}

/* Add indicator K's value to its cell in "All" and in the row's domain of
 * each by-set (none when a by value is missing). */
static graft_error_t add_to_domains(est_ctx_t *c, size_t k,
                                    const graft_design_obs_t *obs, double y,
                                    int missing)
{
    int ratio = c->opts->indicators[k].type != GRAFT_IND_TOTAL;
    int stored = c->psu_mode == PSU_STORE && obs->psu != GRAFT_ROW_PSU;
    for (size_t s = 0; s <= c->opts->n_by; s++) {
        size_t d = s == 0 ? 0 : c->row_domain[s - 1];
        if (d == NO_DOMAIN)
            continue;
        cell_t *cell = cell_at(c, d, c->round, k);
        double *yx = NULL;
        if (missing) {
            cell->n_missing++;
            continue;
        }
        if (stored && !(yx = row_block(c, s, d, obs->psu)))
            return GRAFT_ERR_NOMEM;
        if (cell_add(c, cell, ratio, obs, y, yx ? yx + 2 * k : NULL) !=
            GRAFT_OK)
            return GRAFT_ERR_NOMEM;
    }
    return GRAFT_OK;
}

/* graft_row_fn: the row's design values, its domains, then every
 * indicator into its cells.  GRAFT_EST_REREAD when a file streamed by PSU
 * turns out not to be grouped by PSU after all (track_psu). */
static graft_error_t on_row(void *vctx, const graft_cell_t *cells,
                            size_t ncols, unsigned long line,
                            graft_diag_t *diag)
{
    est_ctx_t *c = vctx;
    graft_design_obs_t obs;
    graft_error_t rc;
    if ((rc = graft_design_row(c->design, cells, line, &obs, diag)) !=
            GRAFT_OK ||
        (rc = track_psu(c, &obs)) != GRAFT_OK)
        return rc;
    int stored = c->store && obs.psu != GRAFT_ROW_PSU;
    if (stored) /* its blocks are far away when rows come in any order */
        graft_psu_store_prefetch_first(c->store, obs.psu);
    row_cells(c, cells, ncols);
    if (c->cv &&
        (rc = graft_calvar_row(c->cv, c->cur, &obs, line, diag)) != GRAFT_OK)
        return rc;
    if (c->n_unseen)
        check_probes(c);
    if (c->n_domains == 0 && new_domain(c, 0, NO_DOMAIN) != GRAFT_OK)
        goto nomem;
    for (size_t s = 0; s < c->opts->n_by; s++)
        if ((rc = row_domain(c, s, &c->row_domain[s])) != GRAFT_OK)
            return rc == GRAFT_ERR_NOMEM ? graft_diag_set(
                                               diag, rc, c->path, line, 0,
                                               "out of memory")
                                         : too_many_domains(c, s, line, diag);
    if (stored)
        graft_psu_store_prefetch_next(c->store, obs.psu);
    for (size_t k = 0; k < c->K; k++) {
        double y;
        int missing;
        if (!row_among(c, k))
            continue;
        if ((rc = row_value(c, k, line, &y, &missing, diag)) != GRAFT_OK)
            return rc;
        if (add_to_domains(c, k, &obs, y, missing) != GRAFT_OK ||
            (!missing && graft_quant_add(c->quant, k, c->round,
                                         c->row_domain, &obs, c->n_rep,
                                         c->cv, y) != GRAFT_OK))
            goto nomem;
    }
    return GRAFT_OK;
nomem:
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, c->path, line, 0,
                          "out of memory");
}

/* ---- results --------------------------------------------------------- */

/* Numbers before strings; numbers by value, strings by text. */
static int cmp_code(const graft_cell_t *a, const graft_cell_t *b)
{
    if (a->kind != b->kind)
        return a->kind == GRAFT_CELL_NUMBER ? -1 : 1;
    if (a->kind == GRAFT_CELL_STRING)
        return strcmp(a->str, b->str);
    return (a->num > b->num) - (a->num < b->num);
}

static const est_ctx_t *sort_ctx; /* qsort has no context argument */

/* Domain order: "All", then by-set order, then codes. */
static int cmp_domain(const void *pa, const void *pb)
{
    const domain_t *a = &sort_ctx->domains[*(const size_t *)pa];
    const domain_t *b = &sort_ctx->domains[*(const size_t *)pb];
    if (a->set != b->set)
        return a->set == NO_DOMAIN ? -1 : b->set == NO_DOMAIN ? 1
               : a->set < b->set ? -1 : 1;
    if (a->set == NO_DOMAIN)
        return 0;
    for (size_t i = 0; i < sort_ctx->opts->by[a->set].n_columns; i++) {
        int r = cmp_code(&a->codes[i], &b->codes[i]);
        if (r)
            return r;
    }
    return 0;
}

/* The interval at the requested method and level, and the NCHS flag (at
 * the standards' 95 %); an undefined interval says why in the flag. */
static void interval_and_flag(const graft_estimate_opts_t *o,
                              graft_ind_type_t type, double est, double se,
                              double df, size_t n, graft_estimate_row_t *r)
{
    graft_ci_t ci = {NAN, NAN, NULL};
    graft_rel_t rel;
    graft_diag_t diag;
    graft_error_t rc;
    memset(&rel, 0, sizeof rel);
    if (type == GRAFT_IND_PROP)
        rc = graft_ci_prop(est, se, df, n, o->level, o->ci, &ci, &diag);
    else
        rc = graft_ci_mean(est, se, df, o->level, &ci, &diag);
    if (rc != GRAFT_OK) {
        ci.lo = ci.hi = NAN;
        ci.reason = "interval undefined";
    }
    if (type == GRAFT_IND_PROP)
        rc = graft_rel_prop(est, se, df, n, 0.95, o->min_n, &rel, &diag);
    else
        rc = graft_rel_mean(est, se, df, n, 0.95, o->min_n, &rel, &diag);
    r->ci_low = ci.lo;
    r->ci_high = ci.hi;
    if (rc != GRAFT_OK)
        snprintf(r->flag, sizeof r->flag, "suppress: %.140s", diag.msg);
    else
        snprintf(r->flag, sizeof r->flag, "%s", rel.flag);
    if (!graft_ci_defined(&ci)) {
        size_t len = strlen(r->flag);
        snprintf(r->flag + len, sizeof r->flag - len, "%s%s CI undefined (%s)",
                 len ? "; " : "", graft_ci_method_name(o->ci),
                 ci.reason ? ci.reason : "?");
    }
}

static void set_flag(graft_estimate_row_t *r, const char *flag)
{
    snprintf(r->flag, sizeof r->flag, "%s", flag);
}

/* The estimate of a cell (NaN when empty or without weight). */
static double cell_estimate(const cell_t *cell, int ratio)
{
    if (cell->n == 0 || (ratio && cell->sw == 0))
        return NAN;
    return ratio ? cell->swy / cell->sw : cell->swy;
}

/* Append TEXT (may be NULL) to the row's flag. */
static void add_flag(graft_estimate_row_t *r, const char *text)
{
    size_t len = strlen(r->flag);
    if (text)
        snprintf(r->flag + len, sizeof r->flag - len, "%s%s",
                 len ? "; " : "", text);
}

/* Did a sum of the cell overflow?  Values and weights are finite, so a
 * sum that is not finite overflowed: the estimate or its variance would be
 * infinite or NaN (or 0, where the variance drops a negative rounding
 * error), never a number to print. */
static int cell_overflows(const est_ctx_t *c, const cell_t *cell)
{
    int ok = isfinite(cell->sw) && isfinite(cell->swy) &&
             isfinite(cell->a1) && isfinite(cell->a2);
    for (size_t h = 0; ok && cell->T && h < cell->strat_cap; h++) {
        const strat_acc_t *t = &cell->T[h];
        ok = isfinite(t->sy) && isfinite(t->sx) && isfinite(t->syy) &&
             isfinite(t->sxy) && isfinite(t->sxx);
    }
    for (size_t j = 0; ok && cell->Y && j < cell->psu_cap; j++)
        ok = isfinite(cell->Y[j]) && isfinite(cell->X[j]);
    for (size_t r = 0; ok && cell->rsw && r < c->n_rep; r++)
        ok = isfinite(cell->rsw[r]) && isfinite(cell->rswy[r]);
    return !ok;
}

/* Estimate, variance, df, interval and flag of one cell. */
static void finish_cell(est_ctx_t *c, cell_t *cell, size_t k,
                        graft_estimate_row_t *r, const graft_estimates_t *e)
{
    const graft_estimate_opts_t *o = c->opts;
    const graft_indicator_spec_t *ind = &o->indicators[k];
    int ratio = ind->type != GRAFT_IND_TOTAL;
    r->n = cell->n;
    r->n_missing = cell->n_missing;
    r->weighted_n = cell->sw;
    r->estimate = r->se = r->ci_low = r->ci_high = r->deff = r->cv =
        r->n_eff = r->df = NAN;
    if (cell->n == 0) {
        set_flag(r, "suppress: empty domain");
        return;
    }
    if (ratio && cell->sw == 0) {
        set_flag(r, "suppress: all weights in the domain are zero");
        return;
    }
    double est = cell_estimate(cell, ratio);
    if (cell_overflows(c, cell)) {
        /* An estimate whose own sums are finite stands; nothing else. */
        r->estimate = isfinite(est) ? est : NAN;
        snprintf(r->flag, sizeof r->flag,
                 "suppress: %s overflows (a weighted sum is beyond the "
                 "largest double)",
                 isfinite(est) ? "variance" : graft_ind_type_name(ind->type));
        return;
    }
    term_t t = {cell, 1.0, ratio, est};
    double var = c->n_rep ? graft_var_replicate(&c->var, &t, 1, 0)
                          : graft_var_linear(&c->var, &t, 1);
    r->estimate = est;
    r->se = sqrt(var);
    if (o->df_mode == GRAFT_DF_FIXED)
        r->df = o->df_value;
    else if (c->rep_domain_df)
        r->df = graft_var_rep_df(&c->var, cell);
    else if (c->n_rep)
        r->df = (double)graft_design_rep_df(c->design);
    else if (o->df_mode == GRAFT_DF_DOMAIN)
        r->df = graft_var_df(&c->var, &t, 1);
    else
        r->df = (double)e->design.df;
    r->cv = r->se / est;
    /* deff against simple random sampling with replacement of n rows:
     * p (1 - p) / n for a proportion, the weighted variance of y over n
     * for a mean; not defined for a total. */
    double n = (double)cell->n;
    if (ind->type == GRAFT_IND_PROP) {
        r->deff = var / (est * (1 - est) / n);
    } else if (ind->type == GRAFT_IND_MEAN) {
        double m = cell->a1 / cell->sw;
        double s2 = cell->a2 / cell->sw - m * m;
        r->deff = var / (s2 / n);
    }
    r->n_eff = n / r->deff;
    /* On a replicate design R's logit interval uses the replicate variance
     * of logit(theta_r); the interval module takes the delta-method scale,
     * se = se_logit p (1 - p). */
    double se_ci = r->se;
    if (c->n_rep && ind->type == GRAFT_IND_PROP && o->ci == GRAFT_CI_LOGIT)
        se_ci = sqrt(graft_var_replicate(&c->var, &t, 1, 1)) * est *
                (1 - est);
    interval_and_flag(o, ind->type, est, se_ci, r->df, cell->n, r);
}

/* Contrast S of the rounds for indicator K in domain D. */
static void finish_contrast(est_ctx_t *c, size_t s, size_t d, size_t k,
                            graft_contrast_row_t *r)
{
    const graft_estimate_opts_t *o = c->opts;
    const double *coef = o->contrasts[s].coef;
    int ratio = o->indicators[k].type != GRAFT_IND_TOTAL;
    term_t terms[64];
    size_t m = 0;
    double est = 0, df_sum = 0;
    r->first_empty = (size_t)-1;
    int all = o->contrasts[s].df_all_rounds;
    for (size_t round = 0; round < c->n_rounds && m < 64; round++) {
        if (coef[round] == 0 && !all)
            continue;
        cell_t *cell = cell_at(c, d, round, k);
        double e = cell_estimate(cell, ratio);
        if (coef[round] != 0 && !isfinite(e) &&
            r->first_empty == (size_t)-1)
            r->first_empty = round;
        /* A zero coefficient adds nothing but its rows to the df. */
        terms[m++] = (term_t){cell, coef[round], ratio,
                              coef[round] != 0 ? e : 0};
        if (coef[round] != 0)
            est += coef[round] * e;
        if (c->rep_domain_df)
            df_sum += graft_var_rep_df(&c->var, cell);
    }
    r->estimate = r->se = r->df = NAN;
    if (r->first_empty != (size_t)-1)
        return;
    r->estimate = est;
    r->se = sqrt(c->n_rep ? graft_var_replicate(&c->var, terms, m, 0)
                          : graft_var_linear(&c->var, terms, m));
    if (o->df_mode == GRAFT_DF_FIXED)
        r->df = o->df_value;
    else if (c->rep_domain_df)
        r->df = df_sum;
    else if (c->n_rep)
        r->df = (double)graft_design_rep_df(c->design) * (double)m;
    else
        r->df = graft_var_df(&c->var, terms, m);
}

static graft_error_t add_by_names(graft_estimates_t *e,
                                  const graft_estimate_opts_t *o)
{
    size_t total = 0;
    for (size_t s = 0; s < o->n_by; s++)
        total += o->by[s].n_columns;
    e->by_names = calloc(total ? total : 1, sizeof *e->by_names);
    if (!e->by_names)
        return GRAFT_ERR_NOMEM;
    for (size_t s = 0; s < o->n_by; s++)
        for (size_t i = 0; i < o->by[s].n_columns; i++) {
            const char *name = o->by[s].columns[i];
            size_t j = 0;
            while (j < e->n_by_names && strcmp(e->by_names[j], name) != 0)
                j++;
            if (j == e->n_by_names &&
                !(e->by_names[e->n_by_names++] = graft_strdup(name)))
                return GRAFT_ERR_NOMEM;
        }
    return GRAFT_OK;
}

static char **copy_strings(char *const *src, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        if (!(out[i] = graft_strdup(src[i]))) {
            while (i > 0)
                free(out[--i]);
            free(out);
            return NULL;
        }
    return out;
}

/* Give R its own copies of domain DOM's by-values and codes. */
static int copy_by(const est_ctx_t *c, const domain_t *dom, char ***values,
                   char ***codes)
{
    if (dom->set == NO_DOMAIN)
        return 1;
    size_t n = c->opts->by[dom->set].n_columns;
    return (*values = copy_strings(dom->values, n)) &&
           (*codes = copy_strings(dom->code_text, n));
}

/* A row per (indicator, domain, round), domains in ORDER. */
static graft_error_t estimate_rows(est_ctx_t *c, graft_estimates_t *e,
                                   const size_t *order)
{
    for (size_t k = 0; k < c->K; k++)
        for (size_t i = 0; i < c->n_domains; i++)
            for (size_t round = 0; round < c->n_rounds; round++) {
                const domain_t *dom = &c->domains[order[i]];
                graft_estimate_row_t *r = &e->rows[e->n_rows++];
                r->indicator = k;
                r->round = round;
                r->by_set = dom->set;
                if (!copy_by(c, dom, &r->by_values, &r->by_codes))
                    return GRAFT_ERR_NOMEM;
                finish_cell(c, cell_at(c, order[i], round, k), k, r, e);
                if (graft_quant_row(c->quant, &c->var,
                                    c->cal ? c->cal[round] : NULL, k,
                                    order[i], dom->set, round,
                                    c->opts->level, c->opts->min_n,
                                    r) != GRAFT_OK)
                    return GRAFT_ERR_NOMEM;
                add_flag(r, c->never[round * c->K + k]);
            }
    return GRAFT_OK;
}

/* A row per (contrast, indicator, domain), domains in ORDER. */
static graft_error_t contrast_rows(est_ctx_t *c, graft_estimates_t *e,
                                   const size_t *order)
{
    for (size_t s = 0; s < c->opts->n_contrasts; s++)
        for (size_t k = 0; k < c->K; k++)
            for (size_t i = 0; i < c->n_domains; i++) {
                const domain_t *dom = &c->domains[order[i]];
                graft_contrast_row_t *r = &e->contrasts[e->n_contrasts++];
                r->contrast = s;
                r->indicator = k;
                r->by_set = dom->set;
                if (!copy_by(c, dom, &r->by_values, &r->by_codes))
                    return GRAFT_ERR_NOMEM;
                finish_contrast(c, s, order[i], k, r);
                graft_quant_contrast(c->quant, k, c->opts->contrasts[s].coef,
                                     c->n_rounds,
                                     &e->rows[(k * c->n_domains + i) *
                                              c->n_rounds],
                                     r);
            }
    return GRAFT_OK;
}

/* The results: every cell's row, then every contrast's, domains sorted
 * ("All", then by-set order, then codes). */
static graft_error_t build_rows(est_ctx_t *c, graft_estimates_t *e)
{
    size_t D = c->n_domains, K = c->K, R = c->n_rounds;
    size_t *order = malloc((D ? D : 1) * sizeof *order);
    size_t n_rows = D * K * R, n_con = c->opts->n_contrasts * D * K;
    e->rows = calloc(n_rows ? n_rows : 1, sizeof *e->rows);
    e->contrasts = calloc(n_con ? n_con : 1, sizeof *e->contrasts);
    if (!order || !e->rows || !e->contrasts) {
        free(order);
        return GRAFT_ERR_NOMEM;
    }
    for (size_t d = 0; d < D; d++)
        order[d] = d;
    sort_ctx = c;
    qsort(order, D, sizeof *order, cmp_domain);
    sort_ctx = NULL;
    graft_error_t rc = estimate_rows(c, e, order);
    if (rc == GRAFT_OK)
        rc = contrast_rows(c, e, order);
    free(order);
    return rc;
}

static void ctx_free(est_ctx_t *c)
{
    const graft_estimate_opts_t *o = c->opts;
    round_free(c);
    free(c->row_domain);
    free(c->last_dom);
    free(c->last_block);
    graft_psu_store_free(c->store);
    free(c->rep_rscales);
    free(c->var.s1);
    free(c->var.s2);
    graft_key_free(&c->key);
    for (size_t d = 0; d < c->n_domains; d++) {
        domain_t *dom = &c->domains[d];
        if (dom->set != NO_DOMAIN) {
            size_t n = o->by[dom->set].n_columns;
            for (size_t i = 0; i < n; i++) {
                if (dom->values)
                    free(dom->values[i]);
                if (dom->code_text)
                    free(dom->code_text[i]);
                if (dom->codes)
                    free((char *)dom->codes[i].str);
            }
        }
        free(dom->values);
        free(dom->code_text);
        free(dom->codes);
        for (size_t k = 0; k < c->K * c->n_rounds; k++) {
            cell_t *cell = &c->cells[d * c->K * c->n_rounds + k];
            free(cell->Y);
            free(cell->X);
            free(cell->T);
            free(cell->rsw);
            free(cell->rswy);
            free(cell->gram);
            free(cell->gdir);
        }
    }
    free(c->domains);
    free(c->cells);
    for (size_t i = 0; c->never && i < c->K * c->n_rounds; i++)
        free(c->never[i]);
    free(c->never);
    for (size_t i = 0; i < c->n_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    graft_intern_free(c->domain_ids);
    graft_design_free(c->design);
    graft_quant_free(c->quant);
    for (size_t r = 0; c->cal && r < c->n_rounds; r++)
        graft_calvar_free(c->cal[r]);
    free(c->cal);
}

static int expr_names(const graft_expr_t *e, const char *name)
{
    size_t n = 0;
    const char *const *names = e ? graft_expr_columns(e, &n) : NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* graft_read_opts_t.uses: the round's design columns, the by columns and
 * every column an expression of the round names.  The reader skips the
 * others. */
static int uses_column(void *vctx, const char *name)
{
    const est_ctx_t *c = vctx;
    const graft_estimate_opts_t *o = c->opts;
    if (graft_design_spec_uses(c->rounds[c->round].spec, name))
        return 1;
    for (size_t s = 0; s < o->n_by; s++)
        for (size_t i = 0; i < o->by[s].n_columns; i++)
            if (strcmp(o->by[s].columns[i], name) == 0)
                return 1;
    for (size_t i = 0; i < c->n_derived; i++)
        if (expr_names(c->derived[i], name))
            return 1;
    for (size_t k = 0; k < c->K; k++)
        if (expr_names(c->expr[k], name) || expr_names(c->among[k], name))
            return 1;
    return 0;
}

/* Read round ROUND of the estimation. */
static graft_error_t read_round(est_ctx_t *c, size_t round, int shared,
                                graft_diag_t *diag)
{
    const graft_round_t *r = &c->rounds[round];
    graft_error_t rc;
    c->round = round;
    c->path = r->path;
    c->cv = c->cal[round];
    if (round > 0 && (rc = graft_design_next_round(c->design, r->spec, round,
                                                   shared)) != GRAFT_OK)
        return graft_diag_set(diag, rc, r->path, 0, 0, "out of memory");
    if ((rc = parse_round(c, r, diag)) != GRAFT_OK)
        return rc;
    graft_read_opts_t read = {0};
    if (r->read)
        read = *r->read;
    read.uses = uses_column;
    read.uses_arg = c;
    read.bare_values = 1; /* keys and expressions read num */
    if ((rc = graft_read(r->path, &read, on_header, on_row, c, diag)) !=
        GRAFT_OK)
        return rc;
    if (report_probes(c) != GRAFT_OK)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, r->path, 0, 0,
                              "out of memory");
    return GRAFT_OK;
}

/* Rounds I > 0 and 0 of replicate designs: the same type, mse and (Fay)
 * rho, or the stacked variance would apply round 0's to both.  Scale and
 * rscales are checked once the replicate columns are known (on_header). */
static graft_error_t check_rep_kind(const graft_round_t *rounds, size_t i,
                                    graft_diag_t *diag)
{
    const graft_rep_spec_t *a = &rounds[0].spec->rep, *b = &rounds[i].spec->rep;
    const char *p0 = rounds[0].path, *p1 = rounds[i].path;
    if (a->type != b->type)
        return graft_diag_set(diag, GRAFT_ERR_ROUNDS, NULL, 0, 0,
                              "rounds '%s' and '%s' have different replicate "
                              "types: %s and %s",
                              p0, p1, graft_reptype_name(a->type),
                              graft_reptype_name(b->type));
    if (!a->mse != !b->mse)
        return graft_diag_set(diag, GRAFT_ERR_ROUNDS, NULL, 0, 0,
                              "rounds '%s' and '%s' have different replicate "
                              "mse settings: %s and %s",
                              p0, p1, a->mse ? "true" : "false",
                              b->mse ? "true" : "false");
    if (a->type == GRAFT_REP_FAY && !(a->rho == b->rho) &&
        !(isnan(a->rho) && isnan(b->rho)))
        return graft_diag_set(diag, GRAFT_ERR_ROUNDS, NULL, 0, 0,
                              "rounds '%s' and '%s' have different Fay rho: "
                              "%g and %g",
                              p0, p1, a->rho, b->rho);
    return GRAFT_OK;
}

/* Check that the rounds can share one design. */
static graft_error_t check_rounds(const graft_round_t *rounds, size_t n,
                                  int shared, graft_diag_t *diag)
{
    graft_error_t rc;
    for (size_t i = 0; i < n; i++) {
        const graft_design_spec_t *s = rounds[i].spec;
        int rep = s->rep.columns != NULL, rep0 = rounds[0].spec->rep.columns
                                                     != NULL;
        if (rep != rep0)
            return graft_diag_set(
                diag, GRAFT_ERR_ROUNDS, rounds[i].path, 0, 0,
                "this round's design uses %s, the first round's %s: rounds "
                "must share one kind of design",
                rep ? "replicate weights" : "strata and PSUs",
                rep0 ? "replicate weights" : "strata and PSUs");
        if (rep && i > 0 && (rc = check_rep_kind(rounds, i, diag)) != GRAFT_OK)
            return rc;
        if (shared && !rep && !s->psu)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, rounds[i].path, 0,
                                  0,
                                  "--shared-psus needs a PSU column in every "
                                  "round");
    }
    return GRAFT_OK;
}

/* ---- the pass ---------------------------------------------------------- */

/* Two indicators with one output name would give rows no reader could
 * tell apart: refused, at the second one's expression. */
static graft_error_t check_names(const graft_estimate_opts_t *o,
                                 graft_diag_t *diag)
{
    for (size_t k = 1; k < o->n_indicators; k++) {
        const graft_indicator_spec_t *b = &o->indicators[k];
        const char *name = graft_indicator_name(b);
        for (size_t j = 0; j < k; j++) {
            if (strcmp(graft_indicator_name(&o->indicators[j]), name) != 0)
                continue;
            const graft_source_t *src = &b->expr_src;
            graft_error_t code = src->file && strncmp(src->file, "--", 2)
                                     ? GRAFT_ERR_SURVEY_FILE
                                     : GRAFT_ERR_USAGE;
            return graft_diag_set(diag, code, src->file, src->line,
                                  src->col,
                                  "two indicators are named '%s': give "
                                  "each its own name (--name)",
                                  name);
        }
    }
    return GRAFT_OK;
}


/* Can every round's file be read twice (a regular file)?  A pipe or a
 * terminal cannot. */
static int rereadable(const graft_round_t *rounds, size_t n)
{
    struct stat st;
    for (size_t i = 0; i < n; i++)
        if (stat(rounds[i].path, &st) != 0 || !S_ISREG(st.st_mode))
            return 0;
    return 1;
}

/* How the pass keeps PSU totals, and the store's budget: none when
 * UNBOUNDED (a second pass) or when the input cannot be read again, so
 * that such a pass never asks for another. */
static void psu_mode_begin(est_ctx_t *c, int unbounded)
{
    const graft_design_spec_t *first = c->rounds[0].spec;
    size_t budget = c->opts->psu_budget ? c->opts->psu_budget
                                        : GRAFT_PSU_BUDGET;
    c->psu_mode = first->rep.columns ? PSU_NONE
                  : c->shared        ? PSU_DENSE
                                     : PSU_STORE;
    c->budget = unbounded || c->any_cal || !rereadable(c->rounds, c->n_rounds)
                    ? SIZE_MAX
                    : budget;
}

/* Each calibrated round's calvar (a replicate design's replicates carry
 * its calibration).  Returns 0 when out of memory. */
static int cal_begin(est_ctx_t *c)
{
    size_t W = c->opts->n_by < 8 ? c->opts->n_by + 1 : 8;
    if (!(c->cal = calloc(c->n_rounds, sizeof *c->cal)))
        return 0;
    for (size_t r = 0; r < c->n_rounds; r++) {
        const graft_design_spec_t *spec = c->rounds[r].spec;
        if (!spec->cal || spec->rep.columns)
            continue;
        if (!(c->cal[r] = graft_calvar_alloc(spec->cal, c->K, W)))
            return 0;
        c->any_cal = 1;
    }
    return 1;
}

/* The pass's context (c->opts, rounds, n_rounds and shared set by the
 * caller) and its empty results E (NULL when it could not be allocated):
 * a design for every round; PSU totals kept as psu_mode_begin says. */
static graft_error_t pass_begin(est_ctx_t *c, graft_estimates_t *e,
                                int unbounded, graft_diag_t *diag)
{
    const graft_round_t *first = &c->rounds[0];
    const graft_estimate_opts_t *opts = c->opts;
    graft_error_t rc;
    size_t n_by = opts->n_by ? opts->n_by : 1;
    c->K = opts->n_indicators;
    c->path = first->path;
    c->design = graft_design_alloc(first->spec);
    int cal_ok = cal_begin(c); /* before psu_mode_begin: any_cal */
    psu_mode_begin(c, unbounded);
    c->row_domain = calloc(n_by, sizeof *c->row_domain);
    c->last_dom = calloc(n_by, sizeof *c->last_dom);
    c->last_block = calloc(opts->n_by + 1, sizeof *c->last_block);
    c->domain_ids = graft_intern_alloc();
    c->never = calloc(c->K * c->n_rounds + 1, sizeof *c->never);
    if (!e || !c->never || !cal_ok || !c->design || !c->row_domain ||
        !c->last_dom || !c->last_block || !c->domain_ids ||
        graft_quant_alloc(opts, &c->quant) != GRAFT_OK ||
        !(e->file = graft_strdup(first->path)) ||
        add_by_names(e, opts) != GRAFT_OK)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, first->path, 0, 0,
                              "out of memory");
    e->opts = opts;
    e->n_rounds = c->n_rounds;
    if ((rc = check_names(opts, diag)) != GRAFT_OK ||
        (rc = check_rounds(c->rounds, c->n_rounds, c->shared, diag)) !=
            GRAFT_OK)
        return rc;
    if (c->n_rounds > 1 && !first->spec->rep.columns &&
        (rc = graft_design_next_round(c->design, first->spec, 0,
                                      c->shared)) != GRAFT_OK)
        return graft_diag_set(diag, rc, first->path, 0, 0, "out of memory");
    if (!(e->round_design = calloc(c->n_rounds, sizeof *e->round_design)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, first->path, 0, 0,
                              "out of memory");
    return GRAFT_OK;
}

/* Turn the cumulative design summaries S[0..N) (as graft_design_summarize
 * gives them after each round) into each round's own; PSUs, strata and df
 * stay cumulative when the rounds SHARE their PSUs. */
static void per_round_summaries(graft_design_summary_t *s, size_t n,
                                int shared)
{
    for (size_t i = n; i-- > 1;) {
        graft_design_summary_t *a = &s[i], *b = &s[i - 1];
        a->n_rows -= b->n_rows;
        a->n_zero_weight -= b->n_zero_weight;
        a->sum_w -= b->sum_w;
        a->n_strata -= shared ? 0 : b->n_strata;
        a->n_psu -= shared ? 0 : b->n_psu;
        a->df -= shared ? 0 : b->df;
    }
}

/* Read every round into the cells, and each round's design summary. */
static graft_error_t read_rounds(est_ctx_t *c, graft_estimates_t *e,
                                 graft_diag_t *diag)
{
    graft_error_t rc;
    for (size_t i = 0; i < c->n_rounds; i++) {
        c->prev_psu = (size_t)-1;
        if ((rc = read_round(c, i, c->shared, diag)) != GRAFT_OK)
            return rc;
        graft_design_summarize(c->design, &e->round_design[i]);
    }
    per_round_summaries(e->round_design, c->n_rounds, c->shared);
    return GRAFT_OK;
}

/* What the variance formulas need, once the design is finished.  Returns
 * 0 when out of memory. */
static int variance_begin(est_ctx_t *c)
{
    c->var.design = c->design;
    c->var.clustered = c->psu_mode == PSU_DENSE;
    c->var.H = graft_design_n_strata(c->design);
    c->var.s1 = calloc(c->var.H ? c->var.H : 1, sizeof *c->var.s1);
    c->var.s2 = calloc(c->var.H ? c->var.H : 1, sizeof *c->var.s2);
    return c->var.s1 && c->var.s2;
}

/* The calibrated rounds' residuals (calvar.c), from the store kept to
 * the end; with shared PSUs, in each cell's per-PSU totals.  Frees the
 * store.  Returns 0 when out of memory. */
static int cal_finish(est_ctx_t *c)
{
    int *ratio = malloc((c->K ? c->K : 1) * sizeof *ratio), ok = ratio != NULL;
    for (size_t k = 0; ok && k < c->K; k++)
        ratio[k] = c->opts->indicators[k].type != GRAFT_IND_TOTAL;
    for (size_t r = 0; ok && r < c->n_rounds; r++)
        ok = !c->cal[r] ||
             graft_calvar_finish(c->cal[r], c->design, c->store, c->cells,
                                 ratio) == GRAFT_OK;
    for (size_t x = 0; ok && c->psu_mode == PSU_DENSE &&
                       x < c->n_domains * c->n_rounds * c->K; x++)
        ok = !c->cells[x].cal || graft_calvar_dense(&c->cells[x]);
    free(ratio);
    graft_psu_store_free(c->store);
    c->store = NULL;
    return ok;
}

/* After the last row: add the stored or open PSUs to the stratum sums,
 * finish the design (fpc, rank; the lonely-PSU check under
 * linearization), then every cell's and contrast's estimate, variance and
 * interval into E. */
static graft_error_t pass_finish(est_ctx_t *c, graft_estimates_t *e,
                                 graft_diag_t *diag)
{
    graft_error_t rc;
    if (c->store)
        store_fold(c);
    for (size_t x = 0; x < c->n_domains * c->n_rounds * c->K; x++)
        cell_flush_psu(&c->cells[x]);
    c->path = c->rounds[0].path;
    if ((rc = graft_design_finish(c->design, diag)) != GRAFT_OK ||
        (!c->n_rep &&
         (rc = graft_design_check_lonely(c->design, diag)) != GRAFT_OK))
        return rc;
    if (c->any_cal && !cal_finish(c))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, c->rounds[0].path, 0,
                              0, "out of memory");
    graft_design_summarize(c->design, &e->design);
    if (!variance_begin(c) ||
        (c->n_domains == 0 && new_domain(c, 0, NO_DOMAIN) != GRAFT_OK) ||
        build_rows(c, e) != GRAFT_OK)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, c->rounds[0].path, 0,
                              0, "out of memory");
    e->warnings = c->warnings;
    e->n_warnings = c->n_warnings;
    c->warnings = NULL;
    c->n_warnings = 0;
    return GRAFT_OK;
}

/* One pass over every round.  Unless UNBOUNDED, a file grouped by PSU
 * streams its PSU totals once the store passes its budget, and
 * GRAFT_EST_REREAD says that a PSU came back after that (*OUT is NULL
 * then, as on any error). */
static graft_error_t estimate_pass(const graft_round_t *rounds,
                                   size_t n_rounds, int shared_psus,
                                   int unbounded,
                                   const graft_estimate_opts_t *opts,
                                   graft_estimates_t **out,
                                   graft_diag_t *diag)
{
    graft_error_t rc;
    est_ctx_t c = {0};
    graft_estimates_t *e = calloc(1, sizeof *e);
    *out = NULL;
    c.opts = opts;
    c.rounds = rounds;
    c.n_rounds = n_rounds;
    c.shared = shared_psus;
    if ((rc = pass_begin(&c, e, unbounded, diag)) != GRAFT_OK ||
        (rc = read_rounds(&c, e, diag)) != GRAFT_OK ||
        (rc = pass_finish(&c, e, diag)) != GRAFT_OK)
        goto cleanup;
    *out = e;
    e = NULL;
cleanup:
    ctx_free(&c);
    graft_estimates_free(e);
    return rc;
}

graft_error_t graft_estimate_rounds(const graft_round_t *rounds,
                                    size_t n_rounds, int shared_psus,
                                    const graft_estimate_opts_t *opts,
                                    graft_estimates_t **out,
                                    graft_diag_t *diag)
{
    if (n_rounds > GRAFT_MAX_ROUNDS) { /* contrasts hold at most that many */
        *out = NULL;
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "%zu rounds: at most %d can be estimated "
                              "together",
                              n_rounds, GRAFT_MAX_ROUNDS);
    }
    /* One pass, unless a file grouped by PSU for its first budget's worth
     * of PSUs turns out not to be: then again, keeping every PSU. */
    graft_error_t rc = estimate_pass(rounds, n_rounds, shared_psus, 0, opts,
                                     out, diag);
    if (rc == GRAFT_EST_REREAD)
        rc = estimate_pass(rounds, n_rounds, shared_psus, 1, opts, out,
                           diag);
    if (rc == GRAFT_EST_REREAD) /* only a pass with a budget may ask */
        rc = graft_diag_set(diag, GRAFT_ERR_INTERNAL, rounds[0].path, 0, 0,
                            "a pass keeping every PSU asked for another");
    return rc;
}

graft_error_t graft_estimate_file(const char *path,
                                  const graft_read_opts_t *read,
                                  const graft_design_spec_t *spec,
                                  const graft_estimate_opts_t *opts,
                                  graft_estimates_t **out,
                                  graft_diag_t *diag)
{
    graft_round_t round = {path, read, spec, NULL, 0};
    return graft_estimate_rounds(&round, 1, 0, opts, out, diag);
}

/* Free a row's by-values and codes (N of each when the row has a set). */
static void free_by(const graft_estimates_t *e, size_t set, char **values,
                    char **codes)
{
    size_t n = e->opts && set != NO_DOMAIN ? e->opts->by[set].n_columns : 0;
    for (size_t j = 0; j < n; j++) {
        if (values)
            free(values[j]);
        if (codes)
            free(codes[j]);
    }
    free(values);
    free(codes);
}

void graft_estimates_free(graft_estimates_t *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n_rows; i++)
        free_by(e, e->rows[i].by_set, e->rows[i].by_values,
                e->rows[i].by_codes);
    free(e->rows);
    for (size_t i = 0; i < e->n_contrasts; i++)
        free_by(e, e->contrasts[i].by_set, e->contrasts[i].by_values,
                e->contrasts[i].by_codes);
    free(e->contrasts);
    free(e->owned_opts);
    free(e->round_design);
    for (size_t i = 0; i < e->n_by_names; i++)
        free(e->by_names[i]);
    free(e->by_names);
    for (size_t i = 0; i < e->n_warnings; i++)
        free(e->warnings[i]);
    free(e->warnings);
    free(e->file);
    free(e);
}
