/*
 * cmd_simulate.c - `graft simulate`: write the demo survey.
 */
#include "cli.h"

int cmd_simulate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_usage_error("simulate: not wired yet");
}
