/*
 * cmd_describe.c - `graft describe`: columns, weights and design of a file.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "graft/xlsx.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char describe_usage[] =
    "usage: graft describe [DATA | --survey FILE.ini] [options]\n"
    CLI_COMMON_USAGE
    "  --format F         text|csv|json|xlsx (default text, or from -o's\n"
    "                     extension: .txt, .csv, .json, .xlsx)\n"
    "  -o FILE, --output FILE  write to FILE instead of standard output\n";

static const struct option describe_options[] = {CLI_COMMON_OPTIONS,
                                                 {NULL, 0, NULL, 0}};

/* Parse argv into FLAGS; returns -1 to go on, or an exit code. */
static int parse_flags(int argc, char **argv, cli_flags_t *f)
{
    int c;
    cli_parse_begin(f);
    while ((c = getopt_long(argc, argv, ":o:", describe_options, NULL)) !=
           -1) {
        if (cli_common_option(c, optarg, f))
            continue;
        switch (c) {
        case OPT_HELP: fputs(describe_usage, stdout); return 0;
        default: return cli_getopt_error("describe", c, argv);
        }
    }
    return cli_positional("describe", argc, argv, optind, f);
}

/* GRAFT_ERR_WEIGHT when the weights of D, each finite, are so large that
 * their sum or the sum of their squares is beyond the largest double: the
 * sum, the mean or Kish's n would print as inf or nan (and JSON has no such
 * numbers); estimate flags such sums too. */
static graft_error_t check_weight_sums(const graft_describe_t *d,
                                       graft_diag_t *diag)
{
    const graft_design_summary_t *g = &d->design;
    if (isfinite(g->sum_w) && (g->sum_w == 0 || isfinite(g->kish_n)))
        return GRAFT_OK;
    return graft_diag_set(diag, GRAFT_ERR_WEIGHT, d->file, 0, 0,
                          "the weights '%s' are too large to sum (up to "
                          "%g; their sum or the sum of their squares is "
                          "beyond the largest double): rescale them",
                          d->spec.weight ? d->spec.weight : "1", g->max_w);
}

static graft_error_t fill_sheet(graft_workbook_t *wb, const void *desc,
                                graft_diag_t *diag)
{
    return graft_describe_sheet(wb, "describe", desc, diag);
}

static graft_error_t write_stream(FILE *fp, const void *desc,
                                  graft_table_format_t format,
                                  graft_diag_t *diag)
{
    return graft_describe_write(fp, desc, format, diag);
}

int cmd_describe(int argc, char **argv)
{
    cli_flags_t flags;
    cli_input_t in;
    graft_diag_t diag;
    graft_describe_t *desc = NULL;
    graft_table_format_t format = GRAFT_TABLE_TEXT;
    int status = parse_flags(argc, argv, &flags);
    if (status >= 0)
        return status;
    /* describe writes no Markdown: its text is a report, not a table.
     * Without --format: text, or what -o's extension says (.csv, .json,
     * .xlsx; .txt and no extension are text). */
    if (flags.format && (!graft_table_format_parse(flags.format, &format) ||
                         format == GRAFT_TABLE_MD))
        return cli_usage_error("--format: '%s' must be text, csv, json or "
                               "xlsx",
                               flags.format);
    if (!flags.format && flags.output && strcmp(flags.output, "-") != 0) {
        if ((status = cli_output_format("-o", flags.output, &format)) >= 0)
            return status;
        if (format == GRAFT_TABLE_MD)
            return cli_usage_error("-o %s: describe writes no Markdown (use "
                                   ".txt, .csv, .json or .xlsx)",
                                   flags.output);
        if (!strchr(strrchr(flags.output, '/') ? strrchr(flags.output, '/')
                                               : flags.output,
                    '.'))
            format = GRAFT_TABLE_TEXT; /* no extension: text, as ever */
    }
    if (format == GRAFT_TABLE_XLSX &&
        (status = cli_xlsx_not_stdout(flags.output)) >= 0)
        return status;
    graft_diag_clear(&diag);
    if (cli_input_init(&in, &flags, 1, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    if ((status = cli_output_not_input(flags.output, &in, NULL)) >= 0)
        goto done;
    if (graft_describe_file(in.data, &in.read, &in.design, &desc, &diag) !=
            GRAFT_OK ||
        check_weight_sums(desc, &diag) != GRAFT_OK ||
        cli_write_table(flags.output, format, write_stream, fill_sheet, desc,
                        NULL, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
    } else {
        status = GRAFT_EXIT_OK;
    }
done:
    graft_describe_free(desc);
    cli_input_free(&in);
    return status;
}
