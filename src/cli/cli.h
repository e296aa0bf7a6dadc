/*
 * cli.h - the command-line layer: option parsing shared by the commands,
 * and the commands themselves.  Only this layer prints or exits.
 */
#ifndef GRAFT_CLI_H
#define GRAFT_CLI_H

#include "graft_design.h"
#include "graft_error.h"
#include "graft_reader.h"
#include "graft_survey.h"

/* The data, design and read options common to the commands that read a
 * survey, after merging a survey file with the flags (flags win). */
typedef struct cli_input {
    const char *data;           /* data file */
    graft_survey_t *survey;     /* loaded survey file, or NULL */
    graft_design_spec_t design; /* strings borrowed from argv or survey */
    graft_read_opts_t read;
    graft_missing_spec_t *missing; /* survey's codes + --missing */
    double *cli_codes;          /* --missing codes */
    char *strata_buf;           /* --strata, split in place */
    const char *exempt[GRAFT_MAX_STRATA_COLUMNS + 3]; /* design columns */
} cli_input_t;

/* Flags as given, before merging. */
typedef struct cli_flags {
    const char *data, *survey, *weight, *strata, *psu, *fpc, *lonely;
    const char *delim, *missing, *output, *format;
    int nest; /* -1 unset */
} cli_flags_t;

/* Print "graft: MSG" and return the exit code for CODE. */
int cli_fail(const graft_diag_t *diag);
/* Print a usage error "graft: MSG" and return GRAFT_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Build IN from FLAGS (loading the survey file).  On failure fills DIAG. */
graft_error_t cli_input_init(cli_input_t *in, const cli_flags_t *flags,
                             int need_design, graft_diag_t *diag);
void cli_input_free(cli_input_t *in);

int cmd_describe(int argc, char **argv);
int cmd_simulate(int argc, char **argv);

#endif
