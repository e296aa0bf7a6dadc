/*
 * cmd_estimate.c - `graft estimate`: prevalence, means and totals with
 * design-based standard errors, intervals and reliability flags.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "graft_analysis.h"
#include "graft_estimate.h"
#include "graft_estimate_write.h"
#include "graft_output.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char estimate_usage[] =
    "usage: graft estimate [DATA | --survey FILE.ini] [options]\n"
    CLI_COMMON_USAGE
    "  --prop EXPR        proportion where EXPR is true (COL means COL == 1)\n"
    "  --mean EXPR        weighted mean of EXPR\n"
    "  --total EXPR       weighted total of EXPR\n"
    "  --among EXPR       restrict the previous indicator's domain\n"
    "  --name LABEL       name the previous indicator in the output\n"
    "  --by COL[,COL]     one row per combination (repeat for more tables)\n"
    "  --analysis FILE    analysis file with indicators and domains\n"
    "  --ci METHOD        logit|wald|beta|kg-nchs|wilson|jeffreys|asin|xlogit\n"
    "                     (default logit)\n"
    "  --level L          confidence level (default 0.95)\n"
    "  --df D             domain (default), design, or a number\n"
    "  --min-n N          suppress estimates from fewer than N rows\n"
    "  --format F         text|csv|json|md (default: text on a terminal,\n"
    "                     else from -o's extension, else csv)\n"
    "  -o FILE            write to FILE (atomically)\n";

enum { OPT_PROP = OPT_COMMON_END, OPT_MEAN, OPT_TOTAL, OPT_AMONG, OPT_NAME,
       OPT_BY, OPT_ANALYSIS, OPT_CI, OPT_LEVEL, OPT_DF, OPT_MIN_N };

static const struct option estimate_options[] = {
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
    {NULL, 0, NULL, 0}};

typedef struct est_cli {
    cli_flags_t flags;
    graft_indicator_spec_t *inds;  /* from the command line */
    size_t n_inds;
    graft_by_spec_t by[16];
    char *by_bufs[16];
    size_t n_by;
    const char *analysis, *ci, *level, *df, *min_n;
} est_cli_t;

static int add_indicator(est_cli_t *e, graft_ind_type_t type,
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

static int indicator_option(est_cli_t *e, int c, const char *arg)
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

static int parse_flags(int argc, char **argv, est_cli_t *e)
{
    int c, st;
    memset(e, 0, sizeof *e);
    e->flags.nest = -1;
    e->flags.mse = -1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:", estimate_options, NULL)) !=
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
        case OPT_HELP: fputs(estimate_usage, stdout); return 0;
        case ':':
            return cli_usage_error("estimate: option '%s' needs a value",
                                   argv[optind - 1]);
        default:
            return cli_usage_error("estimate: unknown option '%s' (see "
                                   "graft estimate --help)",
                                   argv[optind - 1]);
        }
    }
    return cli_positional("estimate", argc, argv, optind, &e->flags);
}

/* Options from the analysis file, then the flags on top. */
static int build_opts(est_cli_t *e, const graft_analysis_t *a,
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

static graft_table_format_t default_format(const char *output)
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

int cmd_estimate(int argc, char **argv)
{
    est_cli_t e;
    cli_input_t in;
    graft_analysis_t *analysis = NULL;
    graft_indicator_spec_t *all = NULL;
    graft_estimate_opts_t opts;
    graft_estimates_t *est = NULL;
    graft_outfile_t out = {0};
    graft_diag_t diag;
    graft_table_format_t format;
    int status = parse_flags(argc, argv, &e);
    memset(&in, 0, sizeof in);
    graft_diag_clear(&diag);
    if (status >= 0)
        goto done;
    format = default_format(e.flags.output);
    if (e.flags.format && !graft_table_format_parse(e.flags.format, &format)) {
        status = cli_usage_error("--format: '%s' must be text, csv, json or "
                                 "md",
                                 e.flags.format);
        goto done;
    }
    if (e.analysis &&
        graft_analysis_load(e.analysis, &analysis, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    if ((status = build_opts(&e, analysis, &opts, &all)) >= 0)
        goto done;
    if (cli_input_init(&in, &e.flags, 1, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    graft_round_t round = {in.data, &in.read, &in.design,
                           in.survey ? in.survey->derived : NULL,
                           in.survey ? in.survey->n_derived : 0};
    if (graft_estimate_rounds(&round, 1, 0, &opts, &est, &diag) != GRAFT_OK ||
        graft_outfile_open(&out, e.flags.output, &diag) != GRAFT_OK ||
        graft_estimates_write(out.fp, est, format, &diag) != GRAFT_OK ||
        graft_outfile_commit(&out, &diag) != GRAFT_OK) {
        graft_outfile_abort(&out);
        status = cli_fail(&diag);
        goto done;
    }
    status = GRAFT_EXIT_OK;
done:
    graft_estimates_free(est);
    cli_input_free(&in);
    graft_analysis_free(analysis);
    free(all);
    free(e.inds);
    for (size_t i = 0; i < e.n_by; i++)
        free(e.by_bufs[i]);
    return status;
}
