/*
 * stats/calvar.h - the calibration-adjusted linearized variance of a round
 * whose weight was calibrated to population margins (a survey file's
 * [calibration]; R's svyrecvar on a postStratify'd, raked or calibrated
 * design).  Internal; see docs/calibration-variance.md.
 *
 * Each estimate's weighted influence x_i = w_i u_i is replaced by its
 * calibration residual x_i - c_i m_i'beta, with m_i the row's margin-cell
 * indicators (G of them over all margins), c_i the calibrated weight and
 * beta from G-vectors of sums that are linear in the data.  One pass keeps,
 * per round, A (G x G) = sum a_i m_i m_i' and each PSU's M_j = sum c_i m_i
 * (or each row's c_i and cells, without a PSU column), and per cell
 * b = sum r_i u_i m_i and sum r_i m_i; the PSU totals of every cell are
 * kept to the end (the estimator's store; the calvar's own, one "PSU" per
 * row, without a PSU column).  At the end each PSU's residual total
 * z_j = t_j - M_j'beta is summed per stratum, z and z^2 (strat_acc_t's cz
 * and czz), exactly as R sums its residuals.  Memory: G x G and G per
 * PSU for the round, 2 G per cell, and the PSU totals of every cell (for
 * a design without a PSU column: 8 + 16 K bytes per row and domain).
 * Ownership: a calvar owns its cells' sums (graft_calcell_t); the cells
 * only point at them.
 */
#ifndef GRAFT_STATS_CALVAR_H
#define GRAFT_STATS_CALVAR_H

#include <stddef.h>
#include <stdint.h>
#include "graft/design.h"
#include "graft/error.h"
#include "graft/reader.h"

typedef struct graft_calvar graft_calvar_t;
typedef struct graft_calcell graft_calcell_t;

/* Does a calibration of SPEC read column NAME (its weights and margin
 * variables)? */
int graft_cal_spec_uses(const graft_cal_spec_t *spec, const char *name);

/* A round's calibration, for SPEC (borrowed; it must outlive the calvar),
 * for an estimation of K indicators with W slots (domains) a row is
 * usually in.  NULL when out of memory. */
graft_calvar_t *graft_calvar_alloc(const graft_cal_spec_t *spec, size_t K,
                                   size_t W);
void graft_calvar_free(graft_calvar_t *cv);

/* Resolve the calibration's columns among COLS (the file's, then derived
 * variables) of FILE; WEIGHT is the design's weight column (NULL when
 * unweighted).  Fails with GRAFT_ERR_COLUMN at the survey file's
 * [calibration], or GRAFT_ERR_NOMEM. */
graft_error_t graft_calvar_bind(graft_calvar_t *cv, const char *file,
                                const graft_column_t *cols, size_t ncols,
                                const char *weight, graft_diag_t *diag);

/* One row (CELLS, its design values OBS): its margin cells and weights
 * into the round's sums.  Fails with GRAFT_ERR_DESIGN_VALUE (a margin
 * value missing), GRAFT_ERR_WEIGHT (a weight that is not a finite number,
 * a calibrated weight 0 where the weight is not) or GRAFT_ERR_NOMEM, at
 * FILE:LINE. */
graft_error_t graft_calvar_row(graft_calvar_t *cv, const graft_cell_t *cells,
                               const graft_design_obs_t *obs,
                               unsigned long line, graft_diag_t *diag);

/* The current row (the last graft_calvar_row) adds U (y, or y minus the
 * cell's shift for a ratio) to the estimator's cell number IDX (its slot
 * IDX / K, indicator IDX % K) whose sums are *CC (made on the first
 * call).  Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_calvar_add(graft_calvar_t *cv, graft_calcell_t **cc,
                               size_t idx, const graft_design_obs_t *obs,
                               double u);

/* After the last row and graft_design_finish(): every cell's coefficients
 * and the per-stratum sums of its residual PSU totals into its T[h].cz and
 * czz (every stratum of the round).  CELLS are the estimator's (K per
 * slot), RATIO[k] says whether indicator k is a ratio, STORE holds the PSU
 * totals of a design with PSUs (NULL without a PSU column).  Fails only
 * with GRAFT_ERR_NOMEM. */
struct cell;
struct graft_psu_store;
graft_error_t graft_calvar_finish(graft_calvar_t *cv,
                                  const graft_design_t *design,
                                  const struct graft_psu_store *store,
                                  struct cell *cells, const int *ratio);

/* ---- influences known on kept rows (quantile.c) ----------------------- */

/* The number of margins (cells per row). */
size_t graft_calvar_n_margins(const graft_calvar_t *cv);

/* The current row's (the last graft_calvar_row's, design values OBS)
 * cells into CELLS (graft_calvar_n_margins of them), the factor r of its
 * influence u in b into *R, and its unit into *UNIT: its PSU, or its row
 * number in the round when it is its own PSU. */
void graft_calvar_row_info(const graft_calvar_t *cv,
                           const graft_design_obs_t *obs, uint32_t *cells,
                           double *r, size_t *unit);

/* A kept row's influence: its cells and unit (graft_calvar_row_info),
 * w u (its weighted influence) and r u. */
typedef struct graft_calinf {
    const uint32_t *cells;
    size_t unit;
    double wu, ru;
} graft_calinf_t;

/* The calibration residual totals z_j = sum_{i in j} w_i u_i - M_j'beta
 * of an influence that is 0 off the N rows ROWS, with beta from
 * b = sum r_i u_i m_i as for a total (svyrecvar on any linear
 * statistic's influence): EACH(CTX, unit, stratum, z) for every unit of
 * the round (its PSUs, or its rows without a PSU column), in unit order.
 * After graft_calvar_finish.  Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_calvar_residuals(const graft_calvar_t *cv,
                                     const graft_design_t *design,
                                     const graft_calinf_t *rows, size_t n,
                                     void (*each)(void *ctx, size_t unit,
                                                  size_t h, double z),
                                     void *ctx);

/* Does the round have rows in stratum H (R keeps a calibrated design's
 * rows outside a domain, with weight 0, so the domain's variance runs over
 * every stratum of the round)? */
int graft_calvar_has_stratum(const graft_calcell_t *cc, size_t h);

/* --shared-psus (per-PSU totals in each cell): turn the totals Y of the
 * calibrated CELL into those of its residuals, Y_j - N M_j'beta for a
 * ratio (whose score is (Y - q X) / N), after graft_calvar_finish.
 * Returns 0 when out of memory. */
int graft_calvar_dense(struct cell *cell);

#endif
