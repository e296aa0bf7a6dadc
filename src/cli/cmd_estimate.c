/*
 * cmd_estimate.c - `graft estimate`: prevalence, means and totals with
 * design-based standard errors, intervals and reliability flags.
 */
#include "cli.h"
#include "graft/xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char estimate_usage[] =
    "usage: graft estimate [DATA | --survey FILE.ini] [options]\n"
    CLI_COMMON_USAGE
    CLI_ANALYSIS_USAGE;

static graft_error_t fill_sheet(graft_workbook_t *wb, const void *est,
                                graft_diag_t *diag)
{
    return graft_estimates_sheet(wb, "estimates", est, diag);
}

static graft_error_t write_stream(FILE *fp, const void *est,
                                  graft_table_format_t format,
                                  graft_diag_t *diag)
{
    return graft_estimates_write(fp, est, format, diag);
}

int cmd_estimate(int argc, char **argv)
{
    cli_analysis_t e;
    cli_input_t in;
    graft_analysis_t *analysis = NULL;
    graft_indicator_spec_t *all = NULL;
    graft_estimate_opts_t opts;
    graft_estimates_t *est = NULL;
    graft_diag_t diag;
    graft_table_format_t format;
    int status = cli_analysis_parse("estimate", estimate_usage, 0, argc,
                                    argv, &e);
    memset(&in, 0, sizeof in);
    graft_diag_clear(&diag);
    if (status >= 0)
        goto done;
    if ((status = cli_table_format_flag(&e.flags, &format)) >= 0 ||
        (status = cli_analysis_load(&e, &analysis, &opts, &all, &diag)) >= 0)
        goto done;
    if (cli_input_init(&in, &e.flags, 1, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    if ((status = cli_output_not_input(e.flags.output, &in, e.analysis)) >= 0)
        goto done;
    graft_round_t round = {in.data, &in.read, &in.design,
                           in.survey ? in.survey->derived : NULL,
                           in.survey ? in.survey->n_derived : 0};
    graft_error_t rc = graft_estimate_rounds(&round, 1, 0, &opts, &est,
                                             &diag);
    for (size_t i = 0; rc == GRAFT_OK && i < est->n_warnings; i++)
        fprintf(stderr, "graft: warning: %s\n", est->warnings[i]);
    if (rc != GRAFT_OK ||
        cli_write_table(e.flags.output, format, write_stream, fill_sheet, est,
                        &in.design, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    status = GRAFT_EXIT_OK;
done:
    graft_estimates_free(est);
    cli_input_free(&in);
    graft_analysis_free(analysis);
    free(all);
    cli_analysis_free(&e);
    return status;
}
