/*
 * graft/simulate.h - a synthetic two-round bribery-experience survey.
 *
 * graft_simulate_write() writes one round of a realistic household survey
 * of experience of bribery (SDG 16.5.1) as CSV: 6 zones x urban/rural = 12
 * strata, enumeration areas (EAs) numbered within each stratum (the design
 * needs nest = true), 8-16 respondents per EA, unequal design weights with
 * a non-response adjustment, contact with and bribes paid to 8 types of
 * official, and one stratum (Capital, rural) with a single EA.  Round 2 is
 * an independent sample with the same strata and a known change: police
 * bribery falls in North, Central and Capital, health bribery rises a
 * little everywhere.  surveys/demo/README.md lists the columns.
 *
 * The output depends only on the options: GSL's gsl_rng_mt19937 seeded
 * from (seed, round), GSL's documented samplers, and fixed printf formats.
 *
 * Ownership: functions never take ownership of pointer arguments.
 */
#ifndef GRAFT_SIMULATE_H
#define GRAFT_SIMULATE_H

#include <stdio.h>
#include "graft/error.h"

#define GRAFT_SIM_DEFAULT_SEED 2024UL
#define GRAFT_SIM_DEFAULT_EA_PER_STRATUM 20
#define GRAFT_SIM_MAX_EA_PER_STRATUM 200000

typedef struct graft_sim_opts {
    unsigned long seed;    /* only the low 32 bits are used */
    int round;             /* 1 or 2 */
    size_t ea_per_stratum; /* EAs in a typical stratum, 2..200000; strata get
                              between 0.75 and 1.3 times this, and the lonely
                              stratum always 1 */
} graft_sim_opts_t;

/* Fill OPTS with the defaults: seed 2024, round 1, 20 EAs per stratum (the
 * settings that made surveys/demo/round1.csv). */
void graft_sim_opts_init(graft_sim_opts_t *opts);

/* Write one round of the simulated survey, header first, to OUT.
 * Returns GRAFT_OK; GRAFT_ERR_USAGE when opts->round is not 1 or 2 or
 * opts->ea_per_stratum is outside 2..GRAFT_SIM_MAX_EA_PER_STRATUM;
 * GRAFT_ERR_NOMEM; GRAFT_ERR_WRITE when OUT reports an error.  DIAG (may be
 * NULL) holds the message.  OUT is neither flushed nor closed. */
graft_error_t graft_simulate_write(FILE *out, const graft_sim_opts_t *opts,
                                   graft_diag_t *diag);

#endif
