/*
 * cmd_sae.c - `graft sae`: direct estimates by area in the pass of graft
 * estimate, then the area-level Fay-Herriot model on area covariates:
 * EBLUP, MSE and model-based intervals per area (docs/sae.md).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sae_usage[] =
    "usage: graft sae [DATA | --survey FILE.ini] --prop|--mean EXPR "
    "[--among EXPR] --by AREA\n"
    "                 --covariates FILE.csv --formula '~ X + ...' "
    "[options]\n"
    "       graft sae --direct FILE.csv --by AREA --covariates FILE.csv "
    "--formula '~ X + ...'\n"
    CLI_COMMON_USAGE
    "  --prop EXPR        the area's proportion where EXPR is true (COL means\n"
    "                     COL == 1)\n"
    "  --mean EXPR        or its weighted mean of EXPR\n"
    "  --among EXPR       restrict the indicator's domain\n"
    "  --name LABEL       name the indicator in the output\n"
    "  --by COL           the area column (one)\n"
    "  --analysis FILE    analysis file holding the one indicator\n"
    "  --level L          level of the intervals, 0.5 to 0.9999 (default\n"
    "                     0.95)\n"
    "  --format F         text|csv|json|md|xlsx (default: text on a\n"
    "                     terminal, else from -o's extension: .csv .json\n"
    "                     .md .txt .xlsx; none: csv; any other: an error)\n"
    "  -o FILE, --output FILE  write to FILE (atomically)\n"
    "  --covariates FILE  CSV with the --by column (labels or codes) and\n"
    "                     numeric covariates, one row per area\n"
    "  --formula F        ~ COL + COL ... (covariates; an intercept always)\n"
    "  --method M         reml|ml|fh, how sigma_u^2 is estimated (default\n"
    "                     reml)\n"
    "  --variance V       direct|smoothed, the direct variances as they are\n"
    "                     (areas with 0 or none are left out of the fit),\n"
    "                     or a generalized variance for every area\n"
    "  --max-iter N       Fisher scoring iterations (default 100)\n"
    "  --direct FILE      ready direct estimates instead of DATA: a CSV with\n"
    "                     the --by column, direct, direct_se and n\n"
    "                     (optional; --variance smoothed needs it)\n";

enum { OPT_COVARIATES = CLI_EXTRA_OPT_BASE, OPT_FORMULA, OPT_METHOD,
       OPT_VARIANCE, OPT_MAX_ITER, OPT_DIRECT };

static const struct option sae_options[] = {
    {"covariates", required_argument, NULL, OPT_COVARIATES},
    {"formula", required_argument, NULL, OPT_FORMULA},
    {"method", required_argument, NULL, OPT_METHOD},
    {"variance", required_argument, NULL, OPT_VARIANCE},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {"direct", required_argument, NULL, OPT_DIRECT},
    {NULL, 0, NULL, 0}};

/* The options of sae beyond estimate's. */
typedef struct sae_args {
    graft_sae_spec_t spec;
    const char *direct;         /* --direct FILE, or NULL */
} sae_args_t;

static int sae_option(void *ctx, int c, const char *arg)
{
    sae_args_t *a = ctx;
    graft_sae_spec_t *s = &a->spec;
    unsigned long n;
    switch (c) {
    case OPT_DIRECT: a->direct = arg; return -1;
    case OPT_COVARIATES: s->covariates = arg; return -1;
    case OPT_FORMULA: s->formula = arg; return -1;
    case OPT_METHOD:
        if (!graft_sae_method_parse(arg, &s->opts.method))
            return cli_usage_error("--method: '%s' must be reml, ml or fh",
                                   arg);
        return -1;
    case OPT_VARIANCE:
        if (strcmp(arg, "direct") == 0)
            s->opts.variance = GRAFT_SAE_VAR_DIRECT;
        else if (strcmp(arg, "smoothed") == 0)
            s->opts.variance = GRAFT_SAE_VAR_SMOOTHED;
        else
            return cli_usage_error("--variance: '%s' must be direct or "
                                   "smoothed", arg);
        return -1;
    case OPT_MAX_ITER: {
        int st = cli_uint_option("sae", "--max-iter", arg, 1, 10000, &n);
        s->opts.max_iter = (size_t)n;
        return st;
    }
    default: return 0;
    }
}

/* What sae needs beyond estimate's options. */
static int sae_check(const cli_analysis_t *e, const graft_estimate_opts_t *o,
                     const graft_sae_spec_t *s)
{
    if (e->ci || e->df || e->min_n)
        return cli_usage_error("sae: --ci, --df and --min-n are options of "
                               "graft estimate: the sae table has no direct "
                               "intervals or flags");
    if (o->n_indicators != 1)
        return cli_usage_error("sae: give one indicator (--prop or --mean), "
                               "not %zu", o->n_indicators);
    if (o->indicators[0].type == GRAFT_IND_QUANTILE)
        return cli_usage_error("sae: --quantile has no area-level model "
                               "here: give --prop or --mean");
    if (o->n_by != 1 || o->by[0].n_columns != 1)
        return cli_usage_error("sae: give one --by column, the areas");
    if (!s->covariates)
        return cli_usage_error("sae: --covariates FILE.csv is required");
    if (!s->formula)
        return cli_usage_error("sae: --formula is required (e.g. "
                               "--formula '~ urban_share + literacy')");
    return -1;
}

static graft_error_t fill_sheet(graft_workbook_t *wb, const void *arg,
                                graft_diag_t *diag)
{
    return graft_sae_sheet(wb, "sae", arg, diag);
}

/* --direct: no data, design or indicator; one --by column. */
static graft_error_t write_stream(FILE *fp, const void *sae,
                                  graft_table_format_t format,
                                  graft_diag_t *diag)
{
    return graft_sae_write(fp, sae, format, diag);
}

static int direct_check(const cli_analysis_t *e, const sae_args_t *a)
{
    const cli_flags_t *f = &e->flags;
    if (f->data || f->survey || f->weight || f->strata || f->psu ||
        f->fpc || f->repweights || e->n_inds || e->analysis)
        return cli_usage_error("sae: --direct takes the place of the data, "
                               "its design and the indicator");
    if (e->n_by != 1 || e->by[0].n_columns != 1)
        return cli_usage_error("sae: give one --by column, the areas");
    if (!a->spec.covariates)
        return cli_usage_error("sae: --covariates FILE.csv is required");
    if (!a->spec.formula)
        return cli_usage_error("sae: --formula is required (e.g. "
                               "--formula '~ urban_share + literacy')");
    return e->ci || e->df || e->min_n
               ? cli_usage_error("sae: --ci, --df and --min-n are options of "
                                 "graft estimate: the sae table has no "
                                 "direct intervals or flags")
               : -1;
}

/* Parse, check and load: -1 to go on, or an exit code. */
static int sae_setup(int argc, char **argv, cli_analysis_t *e,
                     sae_args_t *a, graft_analysis_t **analysis,
                     graft_estimate_opts_t *opts,
                     graft_indicator_spec_t **all, graft_diag_t *diag)
{
    memset(a, 0, sizeof *a);
    memset(opts, 0, sizeof *opts);
    a->spec.formula_src = (graft_source_t){"--formula", 1, 1};
    int status = cli_analysis_parse_ext("sae", sae_usage, CLI_DATA_OPTIONAL,
                                        argc, argv, e, sae_options,
                                        sae_option, a);
    if (status >= 0)
        return status;
    if (a->direct) {
        double level = 0.95;
        if ((status = direct_check(e, a)) >= 0 ||
            (e->level && (status = cli_level_flag(e->level, &level)) >= 0))
            return status;
        a->spec.opts.level = level;
        return -1;
    }
    if (!e->flags.data && !e->flags.survey)
        return cli_usage_error("sae: no data file (see graft sae --help)");
    if ((status = cli_analysis_load(e, analysis, opts, all, diag)) >= 0 ||
        (status = sae_check(e, opts, &a->spec)) >= 0)
        return status;
    a->spec.opts.level = opts->level;
    return -1;
}

/* The direct estimates of FILE (--direct) by the --by column, fitted. */
static graft_error_t fit_direct_file(const cli_analysis_t *e,
                                     const sae_args_t *a, graft_sae_t **out,
                                     graft_diag_t *diag)
{
    graft_sae_direct_file_t *f = NULL;
    graft_error_t rc = graft_sae_direct_load(a->direct,
                                             e->by[0].columns[0], &f, diag);
    if (rc == GRAFT_OK)
        rc = graft_sae_fit_direct(&f->dir, &a->spec, out, diag);
    graft_sae_direct_file_free(f);
    return rc;
}

/* The direct estimates of the data (in IN, opened) by OPTS, fitted. */
static graft_error_t fit_data(cli_input_t *in, const graft_estimate_opts_t *opts,
                              const sae_args_t *a, graft_sae_t **out,
                              graft_diag_t *diag)
{
    graft_estimates_t *est = NULL;
    graft_round_t round = {in->data, &in->read, &in->design,
                           in->survey ? in->survey->derived : NULL,
                           in->survey ? in->survey->n_derived : 0};
    graft_error_t rc = graft_estimate_rounds(&round, 1, 0, opts, &est, diag);
    for (size_t i = 0; rc == GRAFT_OK && i < est->n_warnings; i++)
        fprintf(stderr, "graft: warning: %s\n", est->warnings[i]);
    if (rc == GRAFT_OK)
        rc = graft_sae_areas(est, &a->spec, out, diag);
    graft_estimates_free(est);
    return rc;
}

int cmd_sae(int argc, char **argv)
{
    cli_analysis_t e;
    cli_input_t in;
    sae_args_t a;
    graft_analysis_t *analysis = NULL;
    graft_indicator_spec_t *all = NULL;
    graft_estimate_opts_t opts;
    graft_sae_t *sae = NULL;
    graft_diag_t diag;
    graft_table_format_t format;
    memset(&in, 0, sizeof in);
    graft_diag_clear(&diag);
    int status = sae_setup(argc, argv, &e, &a, &analysis, &opts, &all,
                           &diag);
    if (status >= 0 ||
        (status = cli_table_format_flag(&e.flags, &format)) >= 0)
        goto done;
    if (!a.direct && cli_input_init(&in, &e.flags, 1, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    if ((!a.direct &&
         (status = cli_output_not_input(e.flags.output, &in, e.analysis)) >=
             0) ||
        (a.direct &&
         (status = cli_output_not_file(e.flags.output, a.direct,
                                       "direct estimates file")) >= 0) ||
        (status = cli_output_not_file(e.flags.output, a.spec.covariates,
                                      "covariates file")) >= 0)
        goto done;
    graft_error_t rc = a.direct ? fit_direct_file(&e, &a, &sae, &diag)
                                : fit_data(&in, &opts, &a, &sae, &diag);
    for (size_t i = 0; rc == GRAFT_OK && i < sae->n_warnings; i++)
        fprintf(stderr, "graft: warning: %s\n", sae->warnings[i]);
    if (rc != GRAFT_OK ||
        cli_write_table(e.flags.output, format, write_stream, fill_sheet, sae,
                        a.direct ? NULL : &in.design, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    status = GRAFT_EXIT_OK;
done:
    graft_sae_free(sae);
    cli_input_free(&in);
    graft_analysis_free(analysis);
    free(all);
    cli_analysis_free(&e);
    return status;
}
