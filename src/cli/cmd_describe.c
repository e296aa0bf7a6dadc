/*
 * cmd_describe.c - `graft describe`: columns, weights and design of a file.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "graft_describe.h"
#include "graft_output.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char describe_usage[] =
    "usage: graft describe [DATA | --survey FILE.ini] [options]\n"
    "  --survey FILE      survey file (INI) naming the data and design\n"
    "  --weight COL       sampling weight (--weight 1: unweighted)\n"
    "  --strata COL[,COL] strata (several columns combine)\n"
    "  --psu COL          first-stage cluster (default: each row)\n"
    "  --fpc COL          finite population correction\n"
    "  --nest             PSU ids repeat across strata\n"
    "  --lonely-psu P     fail|remove|certainty|adjust|average\n"
    "  --delim D          CSV delimiter: ',', ';' or tab (default: detect)\n"
    "  --missing CODES    extra missing codes for every column, e.g. 8,9,-1\n"
    "  --format F         text|csv|json (default text)\n"
    "  -o FILE            write to FILE instead of standard output\n";

enum { OPT_SURVEY = 256, OPT_WEIGHT, OPT_STRATA, OPT_PSU, OPT_FPC, OPT_NEST,
       OPT_LONELY, OPT_DELIM, OPT_MISSING, OPT_FORMAT, OPT_HELP };

static const struct option describe_options[] = {
    {"survey", required_argument, NULL, OPT_SURVEY},
    {"weight", required_argument, NULL, OPT_WEIGHT},
    {"strata", required_argument, NULL, OPT_STRATA},
    {"psu", required_argument, NULL, OPT_PSU},
    {"fpc", required_argument, NULL, OPT_FPC},
    {"nest", no_argument, NULL, OPT_NEST},
    {"lonely-psu", required_argument, NULL, OPT_LONELY},
    {"delim", required_argument, NULL, OPT_DELIM},
    {"missing", required_argument, NULL, OPT_MISSING},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}};

/* Parse argv into FLAGS; returns -1 to go on, or an exit code. */
static int parse_flags(int argc, char **argv, cli_flags_t *f)
{
    int c;
    memset(f, 0, sizeof *f);
    f->nest = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:", describe_options, NULL)) !=
           -1) {
        switch (c) {
        case OPT_SURVEY: f->survey = optarg; break;
        case OPT_WEIGHT: f->weight = optarg; break;
        case OPT_STRATA: f->strata = optarg; break;
        case OPT_PSU: f->psu = optarg; break;
        case OPT_FPC: f->fpc = optarg; break;
        case OPT_NEST: f->nest = 1; break;
        case OPT_LONELY: f->lonely = optarg; break;
        case OPT_DELIM: f->delim = optarg; break;
        case OPT_MISSING: f->missing = optarg; break;
        case OPT_FORMAT: f->format = optarg; break;
        case 'o': f->output = optarg; break;
        case OPT_HELP: fputs(describe_usage, stdout); return 0;
        case ':':
            return cli_usage_error("describe: option '%s' needs a value",
                                   argv[optind - 1]);
        default:
            return cli_usage_error("describe: unknown option '%s' (see "
                                   "graft describe --help)",
                                   argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++) {
        const char *a = argv[i];
        size_t n = strlen(a);
        int is_ini = n > 4 && strcmp(a + n - 4, ".ini") == 0;
        const char **slot = is_ini ? &f->survey : &f->data;
        if (*slot)
            return cli_usage_error("describe: more than one %s file ('%s')",
                                   is_ini ? "survey" : "data", a);
        *slot = a;
    }
    if (!f->data && !f->survey)
        return cli_usage_error("describe: no data file (see graft describe "
                               "--help)");
    return -1;
}

int cmd_describe(int argc, char **argv)
{
    cli_flags_t flags;
    cli_input_t in;
    graft_diag_t diag;
    graft_describe_t *desc = NULL;
    graft_outfile_t out = {0};
    graft_format_t format = GRAFT_FORMAT_TEXT;
    int status = parse_flags(argc, argv, &flags);
    if (status >= 0)
        return status;
    if (flags.format && !graft_format_parse(flags.format, &format))
        return cli_usage_error("--format: '%s' must be text, csv or json",
                               flags.format);
    graft_diag_clear(&diag);
    if (cli_input_init(&in, &flags, 1, &diag) != GRAFT_OK ||
        graft_describe_file(in.data, &in.read, &in.design, &desc, &diag) !=
            GRAFT_OK ||
        graft_outfile_open(&out, flags.output, &diag) != GRAFT_OK ||
        graft_describe_write(out.fp, desc, format, &diag) != GRAFT_OK ||
        graft_outfile_commit(&out, &diag) != GRAFT_OK) {
        graft_outfile_abort(&out);
        status = cli_fail(&diag);
    } else {
        status = GRAFT_EXIT_OK;
    }
    graft_describe_free(desc);
    cli_input_free(&in);
    return status;
}
