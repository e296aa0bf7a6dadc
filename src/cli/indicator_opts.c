/*
 * indicator_opts.c - the options estimate, compare and trend share:
 * indicators, domains, intervals, tests, and the analysis file under them.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "graft/analysis.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_PROP = OPT_COMMON_END, OPT_MEAN, OPT_TOTAL, OPT_AMONG, OPT_NAME,
       OPT_BY, OPT_ANALYSIS, OPT_CI, OPT_LEVEL, OPT_DF, OPT_MIN_N,
       OPT_SHARED, OPT_TEST_DF, OPT_ADJUST, OPT_HARMONIZED };

static const struct option analysis_options[] = {
    CLI_COMMON_OPTIONS,
    {"prop", required_argument, NULL, OPT_PROP},
    {"mean", required_argument, NULL, OPT_MEAN},
    {"total", required_argument, NULL, OPT_TOTAL},
    {"among", required_argument, NULL, OPT_AMONG},
    {"name", required_argument, NULL, OPT_NAME},
    {"by", required_argument, NULL, OPT_BY},
    {"analysis", required_argument, NULL, OPT_ANALYSIS},
    {"ci", required_argument, NULL, OPT_CI},
    {"level", required_argument, NULL, OPT_LEVEL},
    {"df", required_argument, NULL, OPT_DF},
    {"min-n", required_argument, NULL, OPT_MIN_N},
    {"shared-psus", no_argument, NULL, OPT_SHARED},
    {"test-df", required_argument, NULL, OPT_TEST_DF},
    {"adjust", required_argument, NULL, OPT_ADJUST},
    {"harmonized", no_argument, NULL, OPT_HARMONIZED},
    {NULL, 0, NULL, 0}};


static int add_indicator(cli_analysis_t *e, graft_ind_type_t type,
                         const char *opt, const char *expr)
{
    graft_indicator_spec_t *inds =
        realloc(e->inds, (e->n_inds + 1) * sizeof *inds);
    if (!inds)
        return cli_usage_error("out of memory");
    e->inds = inds;
    graft_indicator_spec_t *ind = &inds[e->n_inds++];
    memset(ind, 0, sizeof *ind);
    ind->type = type;
    ind->expr = expr;
    ind->expr_src = (graft_source_t){opt, 1, 1};
    return -1;
}

static int indicator_option(cli_analysis_t *e, int c, const char *arg)
{
    graft_indicator_spec_t *last = e->n_inds ? &e->inds[e->n_inds - 1]
                                             : NULL;
    switch (c) {
    case OPT_PROP: return add_indicator(e, GRAFT_IND_PROP, "--prop", arg);
    case OPT_MEAN: return add_indicator(e, GRAFT_IND_MEAN, "--mean", arg);
    case OPT_TOTAL: return add_indicator(e, GRAFT_IND_TOTAL, "--total", arg);
    case OPT_AMONG:
        if (!last || last->among)
            return cli_usage_error("--among '%s' must follow the --prop, "
                                   "--mean or --total it restricts (one "
                                   "each)",
                                   arg);
        last->among = arg;
        last->among_src = (graft_source_t){"--among", 1, 1};
        return -1;
    case OPT_NAME:
        if (!last || last->name)
            return cli_usage_error("--name '%s' must follow the --prop, "
                                   "--mean or --total it names (one each)",
                                   arg);
        last->name = arg;
        return -1;
    default:
        return 0;
    }
}

int cli_analysis_parse(const char *cmd, const char *usage, int rounds,
                       int argc, char **argv, cli_analysis_t *e)
{
    int c, st;
    memset(e, 0, sizeof *e);
    e->flags.nest = -1;
    e->flags.mse = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:", analysis_options, NULL)) !=
           -1) {
        if (cli_common_option(c, optarg, &e->flags))
            continue;
        if ((st = indicator_option(e, c, optarg)) != 0) {
            if (st > 0)
                return st;
            continue;
        }
        switch (c) {
        case OPT_BY:
            if (e->n_by == 16)
                return cli_usage_error("--by: at most 16 tables");
            if (!(e->by_bufs[e->n_by] = strdup(optarg)))
                return cli_usage_error("out of memory");
            if (!graft_by_split(e->by_bufs[e->n_by], &e->by[e->n_by]))
                return cli_usage_error("--by '%s' must list 1 to %d columns",
                                       optarg, GRAFT_MAX_BY);
            e->n_by++;
            break;
        case OPT_ANALYSIS: e->analysis = optarg; break;
        case OPT_CI: e->ci = optarg; break;
        case OPT_LEVEL: e->level = optarg; break;
        case OPT_DF: e->df = optarg; break;
        case OPT_MIN_N: e->min_n = optarg; break;
        case OPT_SHARED: e->shared_psus = 1; break;
        case OPT_TEST_DF: e->test_df = optarg; break;
        case OPT_ADJUST: e->adjust = optarg; break;
        case OPT_HARMONIZED: e->harmonized = 1; break;
        case OPT_HELP: fputs(usage, stdout); return 0;
        case ':':
            return cli_usage_error("%s: option '%s' needs a value", cmd,
                                   argv[optind - 1]);
        default:
            return cli_usage_error("%s: unknown option '%s' (see graft %s "
                                   "--help)",
                                   cmd, argv[optind - 1], cmd);
        }
    }
    if (!rounds && (e->shared_psus || e->test_df || e->adjust ||
                    e->harmonized))
        return cli_usage_error("%s: --shared-psus, --test-df, --adjust and "
                               "--harmonized are for compare and trend",
                               cmd);
    if (!rounds)
        return cli_positional(cmd, argc, argv, optind, &e->flags);
    for (int i = optind; i < argc; i++) {
        if (e->n_files == CLI_MAX_ROUNDS)
            return cli_usage_error("%s: at most %d rounds", cmd,
                                   CLI_MAX_ROUNDS);
        e->files[e->n_files++] = argv[i];
    }
    return -1;
}

void cli_analysis_free(cli_analysis_t *e)
{
    free(e->inds);
    for (size_t i = 0; i < e->n_by; i++)
        free(e->by_bufs[i]);
}

/* Options from the analysis file, then the flags on top. */
int cli_analysis_opts(cli_analysis_t *e, const graft_analysis_t *a,
                      graft_estimate_opts_t *o, graft_indicator_spec_t **all)
{
    memset(o, 0, sizeof *o);
    o->ci = GRAFT_CI_LOGIT;
    o->level = 0.95;
    o->df_mode = GRAFT_DF_DOMAIN;
    size_t na = a ? a->n_indicators : 0, n = na + e->n_inds;
    if (n == 0)
        return cli_usage_error("estimate: nothing to estimate: give --prop, "
                               "--mean, --total or --analysis");
    if (!(*all = calloc(n, sizeof **all)))
        return cli_usage_error("out of memory");
    for (size_t i = 0; i < na; i++)
        (*all)[i] = a->indicators[i];
    for (size_t i = 0; i < e->n_inds; i++)
        (*all)[na + i] = e->inds[i];
    o->indicators = *all;
    o->n_indicators = n;
    if (a) {
        o->by = a->by;
        o->n_by = a->n_by;
        if (a->has_ci)
            o->ci = a->ci;
        if (a->has_level)
            o->level = a->level;
        if (a->has_df) {
            o->df_mode = a->df_mode;
            o->df_value = a->df_value;
        }
        if (a->has_min_n)
            o->min_n = a->min_n;
    }
    if (e->n_by) {
        o->by = e->by;
        o->n_by = e->n_by;
    }
    if (e->ci && !graft_ci_method_parse(e->ci, &o->ci))
        return cli_usage_error("--ci: '%s' must be logit, wald, beta, "
                               "kg-nchs, wilson, jeffreys, asin or xlogit",
                               e->ci);
    if (e->level) {
        char *end;
        o->level = strtod(e->level, &end);
        if (*end || end == e->level || !(o->level > 0 && o->level < 1))
            return cli_usage_error("--level: '%s' must be between 0 and 1, "
                                   "e.g. 0.95",
                                   e->level);
    }
    if (e->df && !graft_df_parse(e->df, &o->df_mode, &o->df_value))
        return cli_usage_error("--df: '%s' must be domain, design or a "
                               "positive number",
                               e->df);
    if (e->min_n) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(e->min_n, &end, 10);
        if (errno || *end || end == e->min_n || e->min_n[0] == '-')
            return cli_usage_error("--min-n: '%s' must be a non-negative "
                                   "integer",
                                   e->min_n);
        o->min_n = v;
    }
    return -1;
}

graft_table_format_t cli_table_format(const char *output)
{
    graft_table_format_t f = GRAFT_TABLE_CSV;
    if (!output || strcmp(output, "-") == 0)
        return isatty(STDOUT_FILENO) ? GRAFT_TABLE_TEXT : GRAFT_TABLE_CSV;
    const char *dot = strrchr(output, '.');
    if (dot && strcmp(dot, ".json") == 0)
        f = GRAFT_TABLE_JSON;
    else if (dot && strcmp(dot, ".md") == 0)
        f = GRAFT_TABLE_MD;
    else if (dot && strcmp(dot, ".txt") == 0)
        f = GRAFT_TABLE_TEXT;
    return f;
}

