/*
 * cmd_simulate.c - `graft simulate`: write the demo bribery-experience
 * survey as CSV (the bundled surveys/demo/roundN.csv come from it).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
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
    "  -o FILE             write to FILE instead of standard output\n";

static int parse_ulong(const char *opt, const char *s, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || s[0] == '-') {
        cli_usage_error("simulate: %s: '%s' is not a non-negative integer",
                        opt, s);
        return 0;
    }
    *out = v;
    return 1;
}

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
    int c;
    cli_parse_begin(NULL);
    while ((c = getopt_long(argc, argv, ":o:", options, NULL)) != -1) {
        switch (c) {
        case OPT_ROUND:
            if (!parse_ulong("--round", optarg, &v))
                return GRAFT_EXIT_USAGE;
            opts.round = v > 9999 ? 9999 : (int)v;
            break;
        case OPT_SEED:
            if (!parse_ulong("--seed", optarg, &opts.seed))
                return GRAFT_EXIT_USAGE;
            break;
        case OPT_EA:
            if (!parse_ulong("--ea-per-stratum", optarg, &v))
                return GRAFT_EXIT_USAGE;
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
