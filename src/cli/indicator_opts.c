/*
 * indicator_opts.c - the options estimate, compare and trend share:
 * indicators, domains, intervals, tests, and the analysis file under them.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "base/grow.h"
#include "base/names.h"

#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { OPT_PROP = OPT_COMMON_END, OPT_MEAN, OPT_TOTAL, OPT_AMONG, OPT_NAME,
       OPT_BY, OPT_ANALYSIS, OPT_CI, OPT_LEVEL, OPT_DF, OPT_MIN_N,
       OPT_SHARED, OPT_TEST_DF, OPT_ADJUST, OPT_HARMONIZED, OPT_QUANTILE };

static const struct option analysis_options[] = {
    CLI_COMMON_OPTIONS,
    {"prop", required_argument, NULL, OPT_PROP},
    {"mean", required_argument, NULL, OPT_MEAN},
    {"total", required_argument, NULL, OPT_TOTAL},
    {"quantile", required_argument, NULL, OPT_QUANTILE},
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
        graft_grow(e->inds, &e->cap_inds, e->n_inds + 1, sizeof *inds);
    if (!inds)
        return cli_nomem();
    e->inds = inds;
    graft_indicator_spec_t *ind = &inds[e->n_inds++];
    memset(ind, 0, sizeof *ind);
    ind->type = type;
    ind->expr = expr;
    ind->expr_src = (graft_source_t){opt, 1, 1};
    return -1;
}

/* --quantile EXPR:P[,P...]: one spec per probability, all of the same
 * expression (a copy of ARG up to its last ':'). */
static int add_quantile(cli_analysis_t *e, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    double probs[GRAFT_MAX_QUANTILE_PROBS];
    size_t n;
    char msg[160];
    if (!colon)
        return cli_usage_error("--quantile '%s': give the expression, ':' "
                               "and the probabilities, e.g. 'amount:0.5' "
                               "or 'amount:0.25,0.5,0.75'",
                               arg);
    if (colon == arg)
        return cli_usage_error("--quantile '%s': no expression before ':'",
                               arg);
    if (!graft_quantile_probs_parse(colon + 1, probs, &n, msg, sizeof msg))
        return cli_usage_error("--quantile '%s': %s", arg, msg);
    char **bufs = graft_grow(e->bufs, &e->cap_bufs, e->n_bufs + 1,
                             sizeof *bufs);
    if (!bufs)
        return cli_nomem();
    e->bufs = bufs;
    if (!(bufs[e->n_bufs] = strndup(arg, (size_t)(colon - arg))))
        return cli_nomem();
    const char *expr = bufs[e->n_bufs++];
    size_t first = e->n_inds;
    for (size_t i = 0; i < n; i++) {
        int st = add_indicator(e, GRAFT_IND_QUANTILE, "--quantile", expr);
        if (st >= 0)
            return st;
        e->inds[e->n_inds - 1].prob = probs[i];
    }
    e->first_ind = first;
    return -1;
}

static int indicator_option(cli_analysis_t *e, int c, const char *arg)
{
    graft_indicator_spec_t *last = e->n_inds ? &e->inds[e->n_inds - 1]
                                             : NULL;
    if (c == OPT_PROP || c == OPT_MEAN || c == OPT_TOTAL)
        e->first_ind = e->n_inds;
    switch (c) {
    case OPT_PROP: return add_indicator(e, GRAFT_IND_PROP, "--prop", arg);
    case OPT_MEAN: return add_indicator(e, GRAFT_IND_MEAN, "--mean", arg);
    case OPT_TOTAL: return add_indicator(e, GRAFT_IND_TOTAL, "--total", arg);
    case OPT_QUANTILE: return add_quantile(e, arg);
    case OPT_AMONG:
        if (!last || last->among)
            return cli_usage_error("--among '%s' must follow the --prop, "
                                   "--mean, --total or --quantile it "
                                   "restricts (one each)",
                                   arg);
        for (size_t i = e->first_ind; i < e->n_inds; i++) {
            e->inds[i].among = arg; /* every probability of a --quantile */
            e->inds[i].among_src = (graft_source_t){"--among", 1, 1};
        }
        return -1;
    case OPT_NAME:
        if (!last || last->name)
            return cli_usage_error("--name '%s' must follow the --prop, "
                                   "--mean, --total or --quantile it names "
                                   "(one each)",
                                   arg);
        for (size_t i = e->first_ind; i < e->n_inds; i++)
            e->inds[i].name = arg;
        return -1;
    default:
        return 0;
    }
}

/* One more --by table; returns -1 or a usage exit code. */
static int add_by(cli_analysis_t *e, const char *arg)
{
    if (e->n_by == 16)
        return cli_usage_error("--by: at most 16 tables");
    if (!(e->by_bufs[e->n_by] = strdup(arg)))
        return cli_nomem();
    const graft_by_spec_t *by = &e->by[e->n_by];
    int split = graft_by_split(e->by_bufs[e->n_by], &e->by[e->n_by]);
    int rc = -1;
    if (split < 0)
        rc = cli_usage_error("--by '%s' lists the column '%s' twice", arg,
                             by->columns[by->n_columns - 1]);
    else if (!split)
        rc = cli_usage_error("--by '%s' must list 1 to %d columns", arg,
                             GRAFT_MAX_BY);
    if (rc >= 0) { /* the buffer is not counted: free it here */
        free(e->by_bufs[e->n_by]);
        e->by_bufs[e->n_by] = NULL;
        return rc;
    }
    e->n_by++;
    return -1;
}

/* An option of estimate, compare and trend other than the common ones and
 * the indicators; returns -1 or an exit code (help printed: 0). */
static int analysis_option(const char *cmd, const char *usage, int c,
                           char **argv, cli_analysis_t *e)
{
    switch (c) {
    case OPT_BY: return add_by(e, optarg);
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
    default: return cli_getopt_error(cmd, c, argv);
    }
    return -1;
}

/* compare and trend: ARGV[FIRST..ARGC) are the rounds. */
static int take_rounds(const char *cmd, int argc, char **argv, int first,
                       cli_analysis_t *e)
{
    for (int i = first; i < argc; i++) {
        if (e->n_files == CLI_MAX_ROUNDS)
            return cli_usage_error("%s: at most %d rounds", cmd,
                                   CLI_MAX_ROUNDS);
        e->files[e->n_files++] = argv[i];
    }
    return -1;
}

int cli_analysis_parse(const char *cmd, const char *usage, int rounds,
                       int argc, char **argv, cli_analysis_t *e)
{
    int c, st;
    memset(e, 0, sizeof *e);
    cli_parse_begin(&e->flags);
    while ((c = getopt_long(argc, argv, ":o:", analysis_options, NULL)) !=
           -1) {
        if (cli_common_option(c, optarg, &e->flags))
            continue;
        if ((st = indicator_option(e, c, optarg)) == 0)
            st = analysis_option(cmd, usage, c, argv, e);
        if (st >= 0)
            return st;
    }
    if (!rounds && (e->shared_psus || e->test_df || e->adjust ||
                    e->harmonized))
        return cli_usage_error("%s: --shared-psus, --test-df, --adjust and "
                               "--harmonized are for compare and trend",
                               cmd);
    if (!rounds)
        return cli_positional(cmd, argc, argv, optind, &e->flags);
    return take_rounds(cmd, argc, argv, optind, e);
}

void cli_analysis_free(cli_analysis_t *e)
{
    free(e->inds);
    for (size_t i = 0; i < e->n_bufs; i++)
        free(e->bufs[i]);
    free(e->bufs);
    for (size_t i = 0; i < e->n_by; i++)
        free(e->by_bufs[i]);
}

/* O's defaults, then what the analysis file A (may be NULL) sets. */
static void analysis_file_opts(const graft_analysis_t *a,
                               graft_estimate_opts_t *o)
{
    o->ci = GRAFT_CI_LOGIT;
    o->level = 0.95;
    o->df_mode = GRAFT_DF_DOMAIN;
    if (!a)
        return;
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

/* --ci, --level, --df and --min-n over O; returns -1 or a usage exit
 * code. */
static int value_flags(const cli_analysis_t *e, graft_estimate_opts_t *o)
{
    if (e->ci && !graft_ci_method_parse(e->ci, &o->ci))
        return cli_usage_error("--ci: '%s' must be logit, wald, beta, "
                               "kg-nchs, wilson, jeffreys, asin or xlogit",
                               e->ci);
    int status;
    if (e->level && (status = cli_level_flag(e->level, &o->level)) >= 0)
        return status;
    double df;
    if (e->df && (!graft_df_parse(e->df, &o->df_mode, &o->df_value) ||
                  (o->df_mode == GRAFT_DF_FIXED &&
                   !cli_parse_real(e->df, &df))))
        return cli_usage_error("--df: '%s' must be domain, design or a "
                               "positive number",
                               e->df);
    unsigned long v;
    if (e->min_n) {
        if ((status = cli_uint_option(NULL, "--min-n", e->min_n, 0,
                                      ULONG_MAX, &v)) >= 0)
            return status;
        o->min_n = v;
    }
    return -1;
}

/* Must indicator I of the flags be named by its type, "mean(y)"?  When
 * another indicator of the flags has the same expression, another type and
 * neither has a --name (`--mean y --total y`): two rows both named y could
 * not be told apart.  A quantile is always named by its probability,
 * "y p50" (or "NAME p50").  Returns the bytes the name needs, or 0. */
static size_t typed_name_size(const cli_analysis_t *e, size_t i)
{
    const graft_indicator_spec_t *ind = &e->inds[i];
    char probe[1]; /* snprintf's length; cppcheck frowns on NULL */
    if (ind->type == GRAFT_IND_QUANTILE) /* "NAME p50" */
        return (size_t)graft_quantile_name(probe, sizeof probe,
                                           graft_indicator_name(ind),
                                           ind->prob) + 1;
    if (ind->name)
        return 0;
    for (size_t j = 0; j < e->n_inds; j++)
        if (!e->inds[j].name && e->inds[j].type != ind->type &&
            e->inds[j].type != GRAFT_IND_QUANTILE &&
            strcmp(e->inds[j].expr, ind->expr) == 0)
            return strlen(graft_ind_type_name(ind->type)) +
                   strlen(ind->expr) + 3;
    return 0;
}

/* Options from the analysis file, then the flags on top. */
int cli_analysis_opts(cli_analysis_t *e, const graft_analysis_t *a,
                      graft_estimate_opts_t *o, graft_indicator_spec_t **all)
{
    memset(o, 0, sizeof *o);
    analysis_file_opts(a, o);
    size_t na = a ? a->n_indicators : 0, n = na + e->n_inds, names = 0;
    if (n == 0)
        return cli_usage_error("estimate: nothing to estimate: give --prop, "
                               "--mean, --total, --quantile or --analysis");
    for (size_t i = 0; i < e->n_inds; i++)
        names += typed_name_size(e, i);
    /* One block, freed by the caller's free(): the specs, then the names
     * given by type. */
    if (!(*all = calloc(1, n * sizeof **all + names)))
        return cli_nomem();
    char *name = (char *)(*all + n);
    for (size_t i = 0; i < na; i++)
        (*all)[i] = a->indicators[i];
    for (size_t i = 0; i < e->n_inds; i++) {
        size_t size = typed_name_size(e, i);
        (*all)[na + i] = e->inds[i];
        if (size && e->inds[i].type == GRAFT_IND_QUANTILE) {
            graft_quantile_name(name, size, graft_indicator_name(&e->inds[i]),
                                e->inds[i].prob);
            (*all)[na + i].name = name;
            name += size;
        } else if (size) {
            snprintf(name, size, "%s(%s)",
                     graft_ind_type_name(e->inds[i].type), e->inds[i].expr);
            (*all)[na + i].name = name;
            name += size;
        }
    }
    o->indicators = *all;
    o->n_indicators = n;
    if (e->n_by) {
        o->by = e->by;
        o->n_by = e->n_by;
    }
    return value_flags(e, o);
}

int cli_analysis_load(cli_analysis_t *e, graft_analysis_t **analysis,
                      graft_estimate_opts_t *o, graft_indicator_spec_t **all,
                      graft_diag_t *diag)
{
    if (e->analysis &&
        graft_analysis_load(e->analysis, analysis, diag) != GRAFT_OK)
        return cli_fail(diag);
    return cli_analysis_opts(e, *analysis, o, all);
}

/* The extensions of -o that choose a table format. */
static const char *const format_exts[] = {".csv", ".json", ".md", ".txt",
                                          ".xlsx"};
static const graft_table_format_t ext_formats[] = {
    GRAFT_TABLE_CSV, GRAFT_TABLE_JSON, GRAFT_TABLE_MD, GRAFT_TABLE_TEXT,
    GRAFT_TABLE_XLSX};

/* The extension of OUTPUT's last component (".xls"), or NULL when it has
 * none (a leading dot, as in ".hidden", is not one). */
static const char *output_ext(const char *output)
{
    const char *base = strrchr(output, '/');
    base = base ? base + 1 : output;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot : NULL;
}

int cli_output_format(const char *opt, const char *output,
                      graft_table_format_t *format)
{
    if (!output || strcmp(output, "-") == 0) {
        *format = isatty(STDOUT_FILENO) ? GRAFT_TABLE_TEXT : GRAFT_TABLE_CSV;
        return -1;
    }
    const char *ext = output_ext(output);
    if (!ext) { /* no extension: CSV, as ever */
        *format = GRAFT_TABLE_CSV;
        return -1;
    }
    for (size_t i = 0; i < GRAFT_COUNTOF(format_exts); i++)
        if (strcasecmp(ext, format_exts[i]) == 0) {
            *format = ext_formats[i];
            return -1;
        }
    return cli_usage_error("%s %s: unknown extension '%s' (use .csv, .json, "
                           ".md, .txt or .xlsx, or --format)",
                           opt, output, ext);
}

int cli_csv_output(const char *cmd, const char *output)
{
    const char *ext = output ? output_ext(output) : NULL;
    if (!ext || strcasecmp(ext, ".csv") == 0)
        return -1;
    return cli_usage_error("%s: -o %s: %s writes CSV data (give a .csv name "
                           "or none)",
                           cmd, output, cmd);
}

int cli_xlsx_not_stdout(const char *output)
{
    if (output && strcmp(output, "-") != 0)
        return -1;
    return cli_usage_error("--format xlsx: a workbook is binary, not for "
                           "stdout or a terminal: give -o FILE.xlsx");
}

int cli_table_format_flag(const cli_flags_t *f, graft_table_format_t *format)
{
    int status;
    if (f->format) { /* --format wins: any name is allowed with it */
        if (!graft_table_format_parse(f->format, format))
            return cli_usage_error("--format: '%s' must be text, csv, json, "
                                   "md or xlsx",
                                   f->format);
    } else if ((status = cli_output_format("-o", f->output, format)) >= 0) {
        return status;
    }
    return *format == GRAFT_TABLE_XLSX ? cli_xlsx_not_stdout(f->output) : -1;
}
