/*
 * run_weight.h - `graft run` with [weighting]: the rounds' weights
 * calibrated (graft weight) into the run's folder before any estimate.
 */
#ifndef GRAFT_CLI_RUN_WEIGHT_H
#define GRAFT_CLI_RUN_WEIGHT_H

#include "cli.h"
#include "run_dir.h"

/* The files round Q of A writes into the run's folder (NAME_weighted.csv,
 * NAME_weighted.ini, NAME_weighting.txt), each malloc'd into NAMES, or
 * none when [weighting] leaves the round alone.  Returns the count (0 or
 * 3), or -1 when out of memory. */
int run_weight_files(const graft_analysis_t *a, size_t q, char *names[3]);

/* Weigh round Q of A (IN loaded from its survey file) into the private
 * folder of D, and load IN again from the survey file written there.
 * Does nothing for a round [weighting] leaves alone. */
graft_error_t run_weigh(const graft_analysis_t *a, size_t q,
                        const run_dir_t *d, cli_input_t *in,
                        graft_diag_t *diag);

#endif
