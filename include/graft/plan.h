/*
 * graft/plan.h - planning the next round: the sample size that detects a
 * change in a proportion between two rounds, and the smallest change a
 * given sample size detects (docs/plan.md).
 *
 * Two rounds, a two-sided test of p1 = p2 at level ALPHA with power POWER,
 * as R's power.prop.test (strict = FALSE):
 *
 *   n_SRS = (z_{1-alpha/2} sqrt(2 pbar qbar) + z_{power} sqrt(p1 q1 + p2 q2))^2
 *           / (p1 - p2)^2,                    pbar = (p1 + p2) / 2,
 *
 * per round under simple random sampling, and under the design
 *
 *   n = deff (1 - R) n_SRS,
 *
 * R the correlation between the rounds' estimates (0 for independent
 * rounds; a panel of PSUs revisited has R > 0): the variance of the
 * difference, V1 + V2 - 2 R sqrt(V1 V2), is (1 - R) (V1 + V2) when the
 * rounds' variances are equal, so every variance term shrinks by (1 - R).
 */
#ifndef GRAFT_PLAN_H
#define GRAFT_PLAN_H

#include <stddef.h>
#include <stdio.h>
#include "graft/error.h"
#include "graft/table.h"

typedef struct graft_plan_opts {
    double power;       /* 0.5 <= power < 1; default 0.8 */
    double alpha;       /* 0 < alpha < 1, two-sided; default 0.05 */
    double correlation; /* -1 < R < 1; default 0 */
} graft_plan_opts_t;

/* O with the defaults: power 0.8, alpha 0.05, correlation 0. */
void graft_plan_opts_init(graft_plan_opts_t *o);

/* Check O's values.  Fails with GRAFT_ERR_USAGE ("--power: 1.2 is not ...")
 * naming the option. */
graft_error_t graft_plan_opts_check(const graft_plan_opts_t *o,
                                    graft_diag_t *diag);

/* R's power.prop.test power (strict = FALSE, two-sided) of N_SRS per round
 * for P1 against P2 at level ALPHA. */
double graft_plan_power(double n_srs, double p1, double p2, double alpha);

/* The unrounded sample size per round, deff (1 - R) n_SRS, for P1 against
 * P2 (0 <= p <= 1, p1 != p2) and design effect DEFF > 0; NaN when the
 * arguments are out of range. */
double graft_plan_n(double p1, double p2, double deff,
                    const graft_plan_opts_t *o);

/* The p2 below P1 (*LOW) and above it (*HIGH) at which N per round (a
 * design with DEFF) reaches the power: the p2 nearest P1 where
 * graft_plan_power(n / (deff (1 - R)), p1, p2, alpha) = power, found by
 * a scan of 20000 steps from P1 towards 0 (1) for the first step where the
 * power is reached, then Brent's method (GSL) on that step to full
 * precision.  NaN when no p2 in [0, p1) (in (p1, 1]) reaches the power, or
 * an argument is out of range. */
void graft_plan_mde(double p1, double n, double deff,
                    const graft_plan_opts_t *o, double *low, double *high);

/* One row of a plan. */
typedef struct graft_plan_row {
    const char *indicator;  /* baseline plans: the indicator, else NULL */
    const char *domain;     /* baseline plans: the domain ("All", "North") */
    double p1, p2, deff, n_exact, n;   /* n: n_exact rounded up */
    double p2_low, p2_high;            /* the detectable p2s, or NaN */
    double mde_decrease, mde_increase; /* p1 - p2_low, p2_high - p1 */
    /* baseline plans */
    size_t rows, psus;      /* the domain's denominator rows and the PSUs
                               holding them */
    double m, rho;          /* rows / psus; (deff - 1) / (m - 1) */
    double take, deff_take; /* --take M and 1 + (M - 1) rho, or NaN */
    double share;           /* weighted share of the respondents in the
                               indicator's denominator */
    double interviews, psus_needed; /* n / share; interviews / take */
    char flag[96];          /* "" or e.g. "n exceeds --n 3000" */
} graft_plan_row_t;

/* What a baseline plan asks: NaN for what is not asked. */
typedef struct graft_plan_ask {
    double change; /* --change: the change in p to detect */
    double budget; /* --n: interviews per round */
    double take;   /* --take: interviews per PSU */
} graft_plan_ask_t;

/* Fill R's plan from its baseline fields p1, deff, rows, psus and share,
 * FRACTION being the domain's share of the baseline's interviews (rows;
 * 1 for "All"):
 *   m = rows / psus;  rho = (deff - 1) / (m - 1)  (NaN when m <= 1);
 *   take: deff_take = 1 + (take share - 1) rho (take share: the PSU's
 *   denominator rows), used instead of deff when given;
 *   change: p2 = p1 - change (p1 + change when p1 - change < 0), n_exact
 *   = graft_plan_n(p1, p2, deff), interviews = n / share, psus_needed =
 *   interviews / take; flagged when interviews > budget x fraction;
 *   budget without change: interviews = budget x fraction, n = interviews
 *   x share (the denominator respondents expected), p2_low and p2_high
 *   from graft_plan_mde(p1, n, deff).  With both, the MDE is that of the
 *   budget and n_exact that of the change.  A domain whose deff_take is
 *   not positive (rho undefined at m = 1, or so large that it makes no
 *   sense: small domains) has NaN sizes and a flag saying so. */
void graft_plan_baseline_row(graft_plan_row_t *r, double fraction,
                             const graft_plan_ask_t *a,
                             const graft_plan_opts_t *o);

typedef enum graft_plan_kind {
    GRAFT_PLAN_SIZE = 0,     /* --p1 --p2: n */
    GRAFT_PLAN_MDE = 1,      /* --p1 --n: the detectable changes */
    GRAFT_PLAN_BASELINE = 2  /* from a survey: both, per indicator */
} graft_plan_kind_t;

/* Write ROWS as a table in FORMAT (CSV and JSON at full precision).  KIND
 * chooses the columns; O gives power, alpha and correlation columns.
 * Fails with GRAFT_ERR_WRITE or GRAFT_ERR_NOMEM. */
graft_error_t graft_plan_write(FILE *fp, const graft_plan_row_t *rows,
                               size_t n_rows, graft_plan_kind_t kind,
                               const graft_plan_opts_t *o,
                               graft_table_format_t format,
                               graft_diag_t *diag);

#endif
