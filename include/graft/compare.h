/*
 * graft/compare.h - differences between survey rounds and trends across
 * rounds: tests, multiple-comparison control and change labels on top of
 * the stacked-design contrasts of graft_estimate_rounds().
 */
#ifndef GRAFT_COMPARE_H
#define GRAFT_COMPARE_H

#include <stdio.h>
#include "graft/estimate.h"
#include "graft/table.h"

typedef enum graft_test_df {
    GRAFT_TESTDF_SUM = 0,          /* the stacked design's df (R's) */
    GRAFT_TESTDF_MIN = 1,          /* min(df1, df2) */
    GRAFT_TESTDF_SATTERTHWAITE = 2 /* (v1 + v2)^2 / (v1^2/df1 + v2^2/df2) */
} graft_test_df_t;

typedef enum graft_adjust {
    GRAFT_ADJUST_NONE = 0,
    GRAFT_ADJUST_BONFERRONI = 1,
    GRAFT_ADJUST_HOLM = 2,
    GRAFT_ADJUST_BH = 3
} graft_adjust_t;

/* Parse an option name ("sum", "min", "satterthwaite"; "none",
 * "bonferroni", "holm", "bh") into *OUT.  Return 1 on success, 0 (leaving
 * *OUT alone) for any other NAME. */
int graft_test_df_parse(const char *name, graft_test_df_t *out);
int graft_adjust_parse(const char *name, graft_adjust_t *out);

/* The option name of a value, or "?" when out of range. */
const char *graft_test_df_name(graft_test_df_t test_df);
const char *graft_adjust_name(graft_adjust_t adjust);

/* R's p.adjust(P, method) over the N values of P; NaN entries are left out
 * of the family (n counts the others) and stay NaN in OUT.  OUT may be P.
 * Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_p_adjust(const double *p, size_t n, graft_adjust_t method,
                             double *out);

/* Two-sided t test of EST / SE on DF: p = 2 P(T > |t|). */
double graft_t_pvalue(double est, double se, double df);

typedef enum graft_term {
    GRAFT_TERM_ESTIMATE = 0, /* a round's estimate (trend tables) */
    GRAFT_TERM_CHANGE = 1,   /* round `to` minus round `from` */
    GRAFT_TERM_LINEAR = 2,   /* orthonormal linear contrast over rounds */
    GRAFT_TERM_SLOPE = 3     /* least-squares change per year */
} graft_term_t;

/* One row of a comparison or trend table. */
typedef struct graft_change_row {
    int table;                 /* 0: comparisons (pairs), 1: trend */
    size_t indicator;
    const graft_estimate_row_t *where; /* gives by_set and by_values */
    graft_term_t term;
    size_t from, to;           /* rounds (0-based) */
    double baseline, followup; /* CHANGE: the two rounds' estimates */
    double estimate, se, ci_low, ci_high, df, p_value, p_adjusted;
    double rel_change;         /* CHANGE: estimate / baseline */
    size_t n_from, n_to;
    const char *change;        /* increase, decrease, no significant change,
                                  not comparable, or "" */
    char flag[384];            /* missing in baseline/follow-up, ... */
} graft_change_row_t;

typedef struct graft_change_opts {
    graft_test_df_t test_df;
    graft_adjust_t adjust;
    double level;
    const int *not_comparable; /* per indicator, or NULL */
    const double *years;       /* per round, for trends (NULL: 1, 2, ...) */
    const char *const *round_labels; /* per round, for output */
} graft_change_opts_t;

/* What to compute: comparisons of round pairs (from, to), and/or a trend
 * table over all rounds. */
typedef struct graft_change_plan {
    const size_t *pairs;       /* 2 * n_pairs round indexes: from, to */
    size_t n_pairs;
    int trend;
} graft_change_plan_t;

typedef struct graft_changes {
    graft_estimates_t *est;    /* owned; rows per round as well */
    graft_change_opts_t opts;
    int trend;
    size_t n_pairs;
    size_t *pairs;             /* owned copy */
    graft_change_row_t *rows;
    size_t n_rows;
    double *coefs;             /* the contrasts' coefficients (owned) */
    graft_contrast_spec_t *contrasts;
} graft_changes_t;

/* Compute PLAN over the rounds: each pair's comparison and, with
 * plan->trend, per-round estimates, consecutive changes, first-to-last,
 * linear trend and slope per year.  Reads every round once
 * (graft_estimate_rounds with every contrast needed) and owns the
 * estimates.  All comparisons and trend tests of the run form one
 * adjustment family.  OPTS is copied (its arrays borrowed).
 * A comparison's baseline is pairs[2k] and its follow-up pairs[2k + 1],
 * whatever their order among the rounds: diff = follow-up - baseline,
 * rel_change = diff / baseline.  Before any data is read, fails with
 * GRAFT_ERR_USAGE for a round compared with itself, a pair asked twice,
 * compared rounds (or, with a trend, any two rounds) that read the same
 * data file, or a trend whose years (opts->years) decrease.  Rounds whose
 * replicate designs differ (type, scale, rscales, mse, rho, count) are
 * refused by graft_estimate_rounds. */
graft_error_t graft_changes_run(const graft_round_t *rounds, size_t n_rounds,
                                int shared_psus,
                                const graft_change_plan_t *plan,
                                const graft_estimate_opts_t *est_opts,
                                const graft_change_opts_t *opts,
                                graft_changes_t **out, graft_diag_t *diag);
void graft_changes_free(graft_changes_t *ch);

/* Write the table (CSV columns for a comparison: indicator, the by
 * columns, baseline, followup, diff, se_diff, ci_low, ci_high, df,
 * p_value, p_adjusted, change, rel_change, n_baseline, n_followup, flag,
 * with baseline_round and followup_round after the by columns when the
 * plan has several pairs;
 * for a trend: indicator, by columns, term, from, to, estimate, se,
 * ci_low, ci_high, df, p_value, p_adjusted, change, flag). */
graft_error_t graft_changes_write(FILE *fp, const graft_changes_t *ch,
                                  int table, graft_table_format_t format,
                                  graft_diag_t *diag);

#endif
