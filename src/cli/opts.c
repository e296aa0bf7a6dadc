/*
 * opts.c - getopt_long boilerplate every command shares: starting a parse
 * and the messages for an option without its value or an unknown one.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

void cli_flags_init(cli_flags_t *f)
{
    memset(f, 0, sizeof *f);
    f->nest = -1;
    f->mse = -1;
}

void cli_parse_begin(cli_flags_t *f)
{
    if (f)
        cli_flags_init(f);
    opterr = 0;
    optind = 1;
}

int cli_getopt_error(const char *cmd, int c, char **argv)
{
    if (c == ':')
        return cli_usage_error("%s: option '%s' needs a value", cmd,
                               argv[optind - 1]);
    return cli_usage_error("%s: unknown option '%s' (see graft %s --help)",
                           cmd, argv[optind - 1], cmd);
}
