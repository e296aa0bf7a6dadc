/*
 * graft/calibrate.h - calibration of survey weights to population margins
 * (R's postStratify, rake and calibrate) and weight trimming (trimWeights).
 *
 * The caller holds the rows in memory: one design weight per row and, per
 * margin, the row's cell (a dense index into that margin's cells).  A margin
 * is a partition of the rows: one variable ("zone") or crossed variables
 * ("zone x sex"), each cell with its population total.
 *
 * A survey file written by `graft weight` records how its weight was made,
 * so that estimates use the calibration-adjusted linearization variance:
 *
 *   [calibration]
 *   method            = poststratify | rake | linear | logit | raking
 *   design_weight     = COLUMN   the weight before calibration
 *   calibrated_weight = COLUMN   the weight right after calibration, before
 *                                any trimming (default: [design] weight)
 *   margins           = zone; sex; region*urban
 *                       the margins, separated by ';', each one variable or
 *                       crossed variables joined by '*'; cells are the values
 *                       as `--by` shows them (labels or codes)
 *   files             = margins/zone.csv, ...   (provenance only)
 *   bounds, tolerance, max_iter, trim            (provenance only)
 */
#ifndef GRAFT_CALIBRATE_H
#define GRAFT_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>
#include "graft/error.h"

typedef enum graft_cal_method {
    GRAFT_CAL_POSTSTRATIFY = 0, /* R postStratify: one margin of cells */
    GRAFT_CAL_RAKE = 1,         /* R rake: iterative proportional fitting */
    GRAFT_CAL_LINEAR = 2,       /* R calibrate(calfun = "linear"), GREG */
    GRAFT_CAL_LOGIT = 3,        /* calfun = "logit" (needs bounds) */
    GRAFT_CAL_RAKING = 4        /* calfun = "raking" */
} graft_cal_method_t;

int graft_cal_method_parse(const char *name, graft_cal_method_t *out);
const char *graft_cal_method_name(graft_cal_method_t method);

/* One margin: its cells and their population totals. */
typedef struct graft_margin {
    const char *name;              /* "zone" or "zone*sex", for messages */
    size_t n_cells;
    const double *totals;          /* population total of each cell */
    const char *const *cell_names; /* "Coastal Belt" or "1*2"; may be NULL */
    const char *file;              /* margins file, for messages; may be NULL */
    const unsigned long *lines;    /* line of each cell in FILE; may be NULL */
} graft_margin_t;

/* Convergence (docs/calibration.md): rake stops when no cell of the
 * margins crossed moves by tolerance x the sum of the design weights in a
 * pass (R's rake with control$epsilon = tolerance; R's default is an
 * absolute 1 and 10 passes); linear, logit and raking stop when every
 * calibration equation is met to |misfit| / (1 + |total|) < tolerance
 * (R's grake epsilon; R's default 1e-7 and 50 iterations).  max_iter counts
 * passes (rake) or Newton iterations.  The bounds constrain linear, logit
 * (which needs them finite, lower < 1 < upper) and raking; poststratify and
 * rake only count the rows outside them.  When every total is over 20
 * times its sample total, grake rescales the weights first and the bounds
 * apply to g after rescaling, as in R. */
typedef struct graft_cal_opts {
    graft_cal_method_t method;
    double lower, upper;  /* bounds on g = new weight / design weight;
                             -HUGE_VAL / HUGE_VAL: none */
    double tolerance;     /* 0: GRAFT_CAL_TOLERANCE */
    size_t max_iter;      /* 0: GRAFT_CAL_MAX_ITER */
} graft_cal_opts_t;

#define GRAFT_CAL_TOLERANCE 1e-10
#define GRAFT_CAL_MAX_ITER 100

/* Defaults: rake, no bounds, GRAFT_CAL_TOLERANCE, GRAFT_CAL_MAX_ITER. */
void graft_cal_opts_init(graft_cal_opts_t *opts);

/* What a calibration achieved. */
typedef struct graft_cal_result {
    size_t iterations;
    int converged;
    size_t worst_margin, worst_cell; /* furthest from its target */
    double worst_rel_error;          /* |achieved - target| / target */
    size_t n_outside_bounds;         /* rows whose g is outside the bounds */
} graft_cal_result_t;

/* Calibrate the N design weights W to the margins: CELLS[m][i] is row i's
 * cell in margin m.  Writes the new weights to W_OUT (N doubles, the
 * caller's).  A calibration that does not converge or cannot meet its
 * bounds fails with GRAFT_ERR_CALIBRATE and a message naming the margin and
 * cell furthest from its target; W_OUT is then unspecified.  So does a cell
 * with a positive total but no rows of positive weight, or with such rows
 * but a total of 0 (a cell with neither is left out).  Bad options are
 * GRAFT_ERR_USAGE, a negative or non-finite weight GRAFT_ERR_WEIGHT.
 * OPTS may be NULL (the defaults), RES too.
 *
 * Totals of margins that disagree (their sums differ) are taken as R takes
 * them: rake ends on the last margin, met exactly; linear, logit and raking
 * take the first margin's sum as the grand total (R's margins2totals), so
 * the first cell of every other margin takes the difference; RES's worst
 * cell shows by how much. */
graft_error_t graft_calibrate(size_t n, const double *w, size_t n_margins,
                              const graft_margin_t *margins,
                              const uint32_t *const *cells,
                              const graft_cal_opts_t *opts, double *w_out,
                              graft_cal_result_t *res, graft_diag_t *diag);

/* As graft_calibrate() for the full-sample weights W (into W_OUT, with RES),
 * then each of the N_REPS replicate weight columns REP_W[r] (N analysis
 * weights: the replicate's own weights, not factors) calibrated to the same
 * margins with the same method into REP_OUT[r], as R's postStratify, rake
 * and calibrate do on an svyrep.design: poststratify and the calfun methods
 * calibrate each replicate on its own (a replicate that does not converge is
 * an error naming it), rake gives each replicate as many passes over the
 * margins as the full sample needed (R judges convergence on the full-sample
 * weights alone).  A replicate with no weight in a cell that has a total
 * fails with GRAFT_ERR_CALIBRATE. */
graft_error_t graft_calibrate_replicates(
    size_t n, const double *w, size_t n_reps, const double *const *rep_w,
    size_t n_margins, const graft_margin_t *margins,
    const uint32_t *const *cells, const graft_cal_opts_t *opts,
    double *w_out, double *const *rep_out, graft_cal_result_t *res,
    graft_diag_t *diag);

/* R's trimWeights(design, upper = UPPER, lower = LOWER, strict): weights
 * outside [LOWER, UPPER] (-HUGE_VAL / HUGE_VAL: no bound) are set to the
 * bound and the weight cut off (less the weight added) is shared equally
 * among the rows inside, added to each; with STRICT, repeated until none is
 * out (at most 10,000 rounds: a request no weights can meet stops there).
 * In place on the N weights W.  Returns the rows outside at the first round
 * (R's "N weights were trimmed"). */
size_t graft_trim_weights(size_t n, double *w, double lower, double upper,
                          int strict);

#endif
