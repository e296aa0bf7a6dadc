/*
 * plan_cli.h - what cmd_plan.c and plan_baseline.c share.  Internal to
 * the command line.
 */
#ifndef GRAFT_CLI_PLAN_CLI_H
#define GRAFT_CLI_PLAN_CLI_H

#include "cli.h"

enum plan_flag {
    PLAN_P1, PLAN_P2, PLAN_DEFF, PLAN_N, PLAN_POWER, PLAN_ALPHA, PLAN_CORR,
    PLAN_CHANGE, PLAN_TAKE, PLAN_N_FLAGS
};

typedef struct plan_args {
    int given[PLAN_N_FLAGS];
    double value[PLAN_N_FLAGS];
    graft_plan_opts_t opts;
    char **rest;  /* argv without plan's own options (NULL-terminated) */
    int n_rest;
} plan_args_t;

/* A baseline plan: its rows, whose indicator and domain strings point
 * into NAMES and DOMAINS. */
typedef struct plan_result {
    graft_plan_row_t *rows;
    size_t n_rows;
    char (*domains)[256];
    char (*names)[256];
} plan_result_t;

/* The plan of ROUND for the proportions of OPTS (its indicators and
 * by-sets; min_n and contrasts ignored) into RES (freed with
 * plan_result_free whatever this returns): two passes of
 * graft_estimate_rounds(), the proportions with a respondents count, then
 * by strata x PSU x domain.  Fails as graft_estimate_rounds, and with
 * GRAFT_ERR_USAGE when OPTS has no proportion. */
graft_error_t plan_compute(const graft_round_t *round,
                           const graft_estimate_opts_t *opts,
                           const graft_plan_ask_t *ask,
                           const graft_plan_opts_t *po, plan_result_t *res,
                           graft_diag_t *diag);
void plan_result_free(plan_result_t *res);

/* The baseline form: estimate's options in P->rest. */
int plan_baseline(const plan_args_t *p, const char *usage);

/* ROWS through the table writer to F's -o in F's format. */
int plan_write_rows(const cli_flags_t *f, const graft_plan_row_t *rows,
                    size_t n, graft_plan_kind_t kind,
                    const graft_plan_opts_t *o);

#endif
