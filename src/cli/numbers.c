/*
 * numbers.c - the one parser of the command line's number options
 * (--min-n, --level, --rho, --scale, --replicates, --seed, --round,
 * --ea-per-stratum ...): nothing before or after the number, no sign where
 * none makes sense, no overflow, no infinity or NaN.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_uint(const char *s, unsigned long *out)
{
    char *end;
    /* strtoul would take leading spaces and a sign (" -1" is ULONG_MAX) */
    if (!s || *s < '0' || *s > '9')
        return 0;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end)
        return 0;
    *out = v;
    return 1;
}

int cli_parse_real(const char *s, double *out)
{
    char *end;
    /* no leading space, no hexadecimal, no "inf" or "nan" */
    if (!s || !(strchr("+-.", *s) || (*s >= '0' && *s <= '9')) ||
        strpbrk(s, "xX"))
        return 0;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int cli_uint_option(const char *cmd, const char *opt, const char *s,
                    unsigned long lo, unsigned long hi, unsigned long *out)
{
    unsigned long v;
    if ((!cli_parse_uint(s, &v) || v < lo) && lo == 0 && hi == ULONG_MAX)
        return cli_usage_error("%s%s%s: '%s' is not a non-negative integer",
                               cmd ? cmd : "", cmd ? ": " : "", opt, s);
    if (!cli_parse_uint(s, &v) || v < lo || v > hi)
        return cli_usage_error("%s%s%s: '%s' is not an integer from %lu to "
                               "%lu",
                               cmd ? cmd : "", cmd ? ": " : "", opt, s, lo,
                               hi);
    *out = v;
    return -1;
}

int cli_level_flag(const char *arg, double *level)
{
    double v;
    if (!cli_parse_real(arg, &v) || !(v >= GRAFT_LEVEL_MIN) ||
        !(v <= GRAFT_LEVEL_MAX))
        return cli_usage_error("--level: '%s' must be a number from %g to "
                               "%g, e.g. 0.95",
                               arg, GRAFT_LEVEL_MIN, GRAFT_LEVEL_MAX);
    *level = v;
    return -1;
}
