/*
 * cmd_simulate.c - `graft simulate`: write the demo bribery-experience
 * survey as CSV (the bundled surveys/demo/roundN.csv come from it).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char simulate_usage[] =
    "usage: graft simulate [--round N] [--seed S] [--ea-per-stratum K] "
    "[-o FILE]\n"
    "  --round N           1 or 2 (default 1)\n"
    "  --seed S            random seed (default 2024)\n"
    "  --ea-per-stratum K  enumeration areas in a typical stratum "
    "(default 20)\n"
    "  -o FILE, --output FILE  write to FILE instead of standard output\n";

int cmd_simulate(int argc, char **argv)
{
    enum { OPT_ROUND = 256, OPT_SEED, OPT_EA, OPT_HELP };
    static const struct option options[] = {
        {"round", required_argument, NULL, OPT_ROUND},
        {"seed", required_argument, NULL, OPT_SEED},
        {"ea-per-stratum", required_argument, NULL, OPT_EA},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0}};
    graft_sim_opts_t opts;
    graft_sim_opts_init(&opts);
    const char *output = NULL;
    unsigned long v;
    int c, st;
    cli_parse_begin(NULL);
    while ((c = getopt_long(argc, argv, ":o:", options, NULL)) != -1) {
        switch (c) {
        case OPT_ROUND:
            if ((st = cli_uint_option("simulate", "--round", optarg, 1, 2,
                                      &v)) >= 0)
                return st;
            opts.round = (int)v;
            break;
        case OPT_SEED:
            if ((st = cli_uint_option("simulate", "--seed", optarg, 0,
                                      ULONG_MAX, &opts.seed)) >= 0)
                return st;
            break;
        case OPT_EA:
            if ((st = cli_uint_option("simulate", "--ea-per-stratum", optarg,
                                      2, GRAFT_SIM_MAX_EA_PER_STRATUM,
                                      &v)) >= 0)
                return st;
            opts.ea_per_stratum = (size_t)v;
            break;
        case 'o': output = optarg; break;
        case OPT_HELP: fputs(simulate_usage, stdout); return 0;
        default: return cli_getopt_error("simulate", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("simulate: unexpected argument '%s'",
                               argv[optind]);
    if ((st = cli_csv_output("simulate", output)) >= 0)
        return st;
    graft_diag_t diag;
    graft_outfile_t out;
    graft_diag_clear(&diag);
    if (graft_outfile_open(&out, output, &diag) != GRAFT_OK)
        return cli_fail(&diag);
    if (graft_outfile_finish(&out, graft_simulate_write(out.fp, &opts, &diag),
                             &diag) != GRAFT_OK) {
        graft_outfile_abort(&out);
        return cli_fail(&diag);
    }
    return GRAFT_EXIT_OK;
}
