/*
 * stats/lonely.h - the lonely-PSU policy: what a stratum with a single PSU
 * does to a variance, in one place.  Internal.
 *
 * R survey's options(survey.lonely.psu), survey 4.5 semantics:
 *   fail       an error (GRAFT_ERR_LONELY_PSU) naming the stratum;
 *   remove     the stratum adds nothing to the variance;
 *   certainty  the same (the PSU was sampled with certainty);
 *   adjust     the single PSU is centred at the mean PSU total of the
 *              strata in the estimate's domain instead of its stratum's;
 *   average    the variance of the other strata, scaled up by the share
 *              of strata they are.
 * Linearization (variance.c) and jackknife replicates (replicate.c) apply
 * the same policy through these functions; with a replicate design the
 * replicates already carry it.
 */
#ifndef GRAFT_STATS_LONELY_H
#define GRAFT_STATS_LONELY_H

#include "graft/design.h"
#include "graft/error.h"

#include <stddef.h>

/* Under GRAFT_LONELY_FAIL, GRAFT_ERR_LONELY_PSU with a message in DIAG
 * naming STRATUM (of FILE, NULL for none); GRAFT_OK under every other
 * policy. */
graft_error_t graft_lonely_check(graft_lonely_t policy, const char *file,
                                 const char *stratum, graft_diag_t *diag);

/* The linearized variance contribution of a single-PSU stratum with
 * sampling fraction F and PSU score total S1, when ZBAR is the mean PSU
 * total over the domain's strata: (1 - f) (s1 - zbar)^2 under adjust
 * (R 4.5 arma_onestage), 0 under the others (average acts on the total
 * through graft_lonely_total). */
double graft_lonely_var(graft_lonely_t policy, double f, double s1,
                        double zbar);

/* The linearized variance V of a domain with H_DOM strata, H_OK of them
 * with two PSUs or more: under average V H_dom / H_ok (NaN when no stratum
 * has two PSUs), else V unchanged. */
double graft_lonely_total(graft_lonely_t policy, double V, size_t H_dom,
                          size_t H_ok);

/* Does a single-PSU stratum get a jackknife replicate of its own (R's
 * jknweights: only under adjust)? */
int graft_lonely_jk_replicate(graft_lonely_t policy);

/* The jknweights scale of R replicates for N_PSU PSUs: N_PSU / R under
 * average when single-PSU strata have no replicate (R < N_PSU), else 1. */
double graft_lonely_jk_scale(graft_lonely_t policy, size_t n_psu, size_t R);

#endif
