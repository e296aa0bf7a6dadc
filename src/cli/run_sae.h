/*
 * run_sae.h - `graft run` with [sae.NAME]: direct estimates of the
 * section's indicator by area on its round, the Fay-Herriot model (graft
 * sae, docs/sae.md), DIR/sae_NAME.csv and its two charts.
 */
#ifndef GRAFT_CLI_RUN_SAE_H
#define GRAFT_CLI_RUN_SAE_H

#include "cli.h"
#include "run_dir.h"

typedef struct run_sae {
    size_t n;
    graft_sae_t **fits;        /* per [sae.NAME] */
    int *design_weights;       /* the round is calibrated by [weighting] */
    char **files;              /* per section: the 9 files below, malloc'd */
    graft_report_chart_t *charts; /* per section: the two charts */
    char **svg_paths;          /* per chart, in the private folder */
} run_sae_t;

/* The files [sae.NAME] I writes, relative to DIR, into NAMES (9 of them,
 * malloc'd): sae_NAME.csv, then charts/sae_NAME and charts/sae_NAME_resid
 * each .dat, .gp, .svg and .png.  Returns 0, or -1 when out of memory
 * (nothing left allocated). */
int run_sae_files(const graft_analysis_sae_t *x, char *names[9]);

/* Fit every [sae.NAME] of A on round Q (ROUND_OF(i) for section i: IN[q],
 * its design as the survey file gives it), with level LEVEL; WEIGHTED[q]
 * tells which rounds [weighting] calibrates.  Errors without a line of
 * their own are placed at the section. */
graft_error_t run_sae_fit(run_sae_t *s, const graft_analysis_t *a,
                          const size_t *round_of, cli_input_t *in,
                          const int *weighted, double level,
                          graft_diag_t *diag);

/* Write section I's table and charts into D's private folder. */
graft_error_t run_sae_write(run_sae_t *s, const graft_analysis_t *a,
                            size_t i, const run_dir_t *d, double level,
                            graft_diag_t *diag);

void run_sae_free(run_sae_t *s);

#endif
