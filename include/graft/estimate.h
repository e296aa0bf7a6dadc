/*
 * graft/estimate.h - design-based estimates of proportions, means and
 * totals in domains, all indicators and all domains in one streaming pass.
 *
 * Per (indicator, domain) the pass accumulates the weighted sums the
 * Taylor-linearized variance needs: per PSU the totals Y = sum(w y) and
 * X = sum(w) over the domain's rows (a PSU without domain rows stays 0 and
 * still counts in n_h, as R's subset() keeps it), added per stratum as
 * sums of Y, X, Y^2, X Y and X^2 (when each row is its own PSU, at once),
 * so memory never grows with the number of rows (but for quantile
 * indicators, which keep their rows' values: stats/quantile.h,
 * docs/quantiles.md).  The rows may come in
 * any order; each file is read once (but see psu_budget).  Variances,
 * degrees of freedom, intervals and reliability flags are computed once
 * at the end.
 */
#ifndef GRAFT_ESTIMATE_H
#define GRAFT_ESTIMATE_H

#include <stddef.h>
#include "graft/ci.h"
#include "graft/design.h"
#include "graft/error.h"
#include "graft/reader.h"
#include "graft/spec.h"

typedef enum graft_ind_type {
    GRAFT_IND_PROP = 0,  /* share of the domain where expr is true */
    GRAFT_IND_MEAN = 1,  /* weighted mean of expr over the domain */
    GRAFT_IND_TOTAL = 2, /* weighted total of expr over the domain */
    GRAFT_IND_QUANTILE = 3 /* the prob-quantile of expr over the domain
                              (R's svyquantile; docs/quantiles.md) */
} graft_ind_type_t;

const char *graft_ind_type_name(graft_ind_type_t type);
int graft_ind_type_parse(const char *name, graft_ind_type_t *out);

typedef struct graft_indicator_spec {
    graft_ind_type_t type;
    const char *name;     /* output name; NULL: the expression text */
    const char *label;    /* longer title, or NULL */
    const char *question; /* question wording, or NULL */
    const char *expr;     /* prop: a condition (a bare column means
                             COL == 1); mean/total: a numeric expression */
    const char *among;    /* domain restriction, or NULL for all rows */
    int harmonized;       /* comparable across rounds whatever their
                             question wordings say */
    graft_source_t expr_src, among_src;
    double prob;          /* quantile: the probability, 0 < prob < 1 */
} graft_indicator_spec_t;

typedef enum graft_df_mode {
    GRAFT_DF_DOMAIN = 0, /* R's degf() on the domain (default) */
    GRAFT_DF_DESIGN = 1, /* the whole design's degf() */
    GRAFT_DF_FIXED = 2   /* df_value as given */
} graft_df_mode_t;

#include "graft/limits.h" /* GRAFT_MAX_BY */

/* One set of --by columns: one output row per combination of values. */
typedef struct graft_by_spec {
    const char *columns[GRAFT_MAX_BY];
    size_t n_columns;
} graft_by_spec_t;

/* A linear contrast of the rounds' estimates: sum_r coef[r] theta_r, e.g.
 * (-1, 1) for follow-up minus baseline. */
typedef struct graft_contrast_spec {
    const double *coef;         /* one per round */
    int df_all_rounds;          /* df of the whole stack (trend tests), not
                                   only of the rounds with coef != 0 */
} graft_contrast_spec_t;

typedef struct graft_estimate_opts {
    const graft_indicator_spec_t *indicators;
    size_t n_indicators;
    const graft_by_spec_t *by;  /* domain sets; the "All" row is always
                                   produced */
    size_t n_by;
    graft_ci_method_t ci;
    double level;               /* e.g. 0.95 */
    graft_df_mode_t df_mode;
    double df_value;            /* for GRAFT_DF_FIXED */
    size_t min_n;               /* extra reliability rule; 0: none */
    const graft_contrast_spec_t *contrasts; /* across rounds */
    size_t n_contrasts;
    /* Bytes of per-PSU sums kept for a file grouped by PSU so far before
     * its PSU totals are streamed (0: GRAFT_PSU_BUDGET).  Rows in any
     * order keep every PSU's sums (memory grows with the PSUs and the
     * domains they touch, never with the rows); a file still grouped by
     * PSU when the sums pass the budget is streamed in flat memory, and
     * read a second time only if a PSU comes back after that (an input
     * that cannot be read twice, such as a pipe, keeps every PSU). */
    size_t psu_budget;
} graft_estimate_opts_t;

#define GRAFT_PSU_BUDGET ((size_t)4 << 20)

/* One data file of a (possibly multi-round) estimation. */
typedef struct graft_round {
    const char *path;
    const graft_read_opts_t *read;      /* NULL: defaults */
    const graft_design_spec_t *spec;
    const graft_derived_spec_t *derived; /* the round's harmonized
                                            variables */
    size_t n_derived;
} graft_round_t;

/* One output row: an indicator in a domain. */
typedef struct graft_estimate_row {
    size_t indicator;     /* index into the indicators */
    size_t round;         /* index into the rounds */
    size_t by_set;        /* index into opts->by; (size_t)-1 for "All" */
    char **by_values;     /* per by column of the set: the value's label or
                             text; NULL for "All" */
    char **by_codes;      /* the same values as codes ("1580", "E") */
    double estimate, se, ci_low, ci_high, df, deff, cv, n_eff, weighted_n;
                          /* NaN when undefined.  cv = se / estimate,
                             negative for a negative estimate (R's cv()).
                             When a weighted sum overflows, everything but
                             a finite estimate is NaN and the flag says
                             "suppress: total|mean|prop overflows" or
                             "suppress: variance overflows" */
    size_t n, n_missing;
    char flag[GRAFT_REL_FLAG_SIZE + 96]; /* "" when reliable, else the
                                           rules that fired */
} graft_estimate_row_t;

/* A contrast of rounds for an indicator in a domain. */
typedef struct graft_contrast_row {
    size_t contrast;      /* index into opts->contrasts */
    size_t indicator;
    size_t by_set;
    char **by_values, **by_codes; /* as in graft_estimate_row_t */
    double estimate, se;
    double df;            /* R's degf() of the stacked domain; replicate
                             designs: the sum of the rounds' domain dfs */
    size_t first_empty;   /* first round with a non-zero coefficient and no
                             rows in the domain, or (size_t)-1 */
} graft_contrast_row_t;

typedef struct graft_estimates {
    const graft_estimate_opts_t *opts; /* borrowed from the caller */
    graft_estimate_opts_t *owned_opts; /* freed with the estimates, when a
                                          caller hands its copy over */
    size_t n_rounds;
    graft_estimate_row_t *rows; /* by indicator, domain, then round */
    size_t n_rows;
    graft_contrast_row_t *contrasts; /* by contrast, indicator, domain */
    size_t n_contrasts;
    char **by_names;      /* union of the by columns, in first-use order */
    size_t n_by_names;
    graft_design_summary_t design;    /* the whole (stacked) design */
    graft_design_summary_t *round_design; /* per round: rows, zero weights,
                                          weight sum, strata, PSUs, df */
    const char *const *round_labels;  /* set by the caller for output with a
                                         round column (borrowed), or NULL */
    char *file;
    char **warnings;      /* what the caller should tell the user, e.g.
                             "--prop:1:11: value 'x' of COL never occurs in
                             FILE" (a string literal compared with a column
                             that holds it on no row; the rows of the
                             indicators it affects say so in their flag);
                             owned by the estimates */
    size_t n_warnings;
} graft_estimates_t;

/* Read PATH once under the design SPEC and compute every indicator of OPTS
 * in the "All" domain and every by-domain.  *OUT is the caller's, freed
 * with graft_estimates_free; it borrows OPTS, which must outlive it.
 * Fails with reader and design errors, GRAFT_ERR_USAGE (a bad expression),
 * GRAFT_ERR_COLUMN (an unknown column in an expression or --by) or
 * GRAFT_ERR_LONELY_PSU (a single-PSU stratum under lonely-psu fail). */
graft_error_t graft_estimate_file(const char *path,
                                  const graft_read_opts_t *read,
                                  const graft_design_spec_t *spec,
                                  const graft_estimate_opts_t *opts,
                                  graft_estimates_t **out,
                                  graft_diag_t *diag);
void graft_estimates_free(graft_estimates_t *est);

/* Several rounds in one design, each read once: independent rounds keep
 * their own strata (R: a stacked design with strata = round x stratum),
 * SHARED_PSUS rounds share strata and PSU ids (a panel of areas), so the
 * covariance between rounds enters every contrast.  Rows come per round;
 * OPTS->contrasts are computed as well.  Fails as graft_estimate_file,
 * and with GRAFT_ERR_USAGE when the rounds' designs disagree in kind
 * (replicates in one, strata and PSUs in another; another number of
 * replicates), SHARED_PSUS is asked without a PSU column, or there are
 * more than GRAFT_MAX_ROUNDS rounds. */
graft_error_t graft_estimate_rounds(const graft_round_t *rounds,
                                    size_t n_rounds, int shared_psus,
                                    const graft_estimate_opts_t *opts,
                                    graft_estimates_t **out,
                                    graft_diag_t *diag);

/* The name of the quantile of NAME at PROB: "NAME p25", "NAME p50",
 * "NAME p97.5" (100 prob, at most 10 significant digits), into BUF of
 * SIZE bytes.  Returns the length the whole name needs (snprintf). */
int graft_quantile_name(char *buf, size_t size, const char *name,
                        double prob);

/* The most probabilities one quantile indicator may list. */
#define GRAFT_MAX_QUANTILE_PROBS 32

/* Parse TEXT, a comma-separated list of probabilities ("0.25, 0.5,0.75"),
 * each a decimal number strictly between 0 and 1, none twice, into PROBS
 * (room for GRAFT_MAX_QUANTILE_PROBS) and *N.  Returns 1, or 0 with what is
 * wrong in MSG (MSG_SIZE bytes), e.g. "'x' is not a number" or
 * "probability 1.5 is not strictly between 0 and 1". */
int graft_quantile_probs_parse(const char *text, double *probs, size_t *n,
                               char *msg, size_t msg_size);

/* The indicator's output name: its name, else its expression text. */
const char *graft_indicator_name(const graft_indicator_spec_t *ind);

#endif
