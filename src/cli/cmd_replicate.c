/*
 * cmd_replicate.c - `graft replicate`: replicate weights from a design (R's
 * as.svrepdesign), written as the data plus replicate columns, with a
 * survey file beside it.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The common options without those that describe existing replicates. */
static const char replicate_usage[] =
    "usage: graft replicate [DATA | --survey FILE.ini] --type T -o OUT.csv "
    "[options]\n"
    "  --survey FILE      survey file (INI) naming the data and design\n"
    "  --weight COL       sampling weight (--weight 1: unweighted)\n"
    "  --strata COL[,COL] strata (several columns combine)\n"
    "  --psu COL          first-stage cluster (default: each row)\n"
    "  --fpc COL          finite population correction\n"
    "  --nest             PSU ids repeat across strata\n"
    "  --lonely-psu P     jkn: fail|remove|certainty|adjust|average\n"
    "  --delim D          CSV delimiter: ',', ';' or tab (default: detect)\n"
    "  --missing CODES    extra missing codes for every column, e.g. 8,9,-1\n"
    "  --type T           jk1|jkn|brr|fay|bootstrap|subbootstrap (R's\n"
    "                     as.svrepdesign types)\n"
    "  --replicates N     bootstrap, subbootstrap: replicates (default 50)\n"
    "  --seed S           bootstrap, subbootstrap: gsl_rng_mt19937 seed,\n"
    "                     0 to 4294967295 (default 1)\n"
    "  --rho R            fay: Fay's rho, 0 < R < 1 (required)\n"
    "  --prefix P         replicate columns P1..PR (default repw)\n"
    "  --only-weights     write only the id column, the weight and the\n"
    "                     replicate weights\n"
    "  --id COL           the id column for --only-weights (default: the\n"
    "                     first column)\n"
    "  -o OUT.csv, --output OUT.csv\n"
    "                     the output (required); the survey file OUT.ini\n"
    "                     is written beside it\n"
    "  --force            replace an OUT.ini that graft replicate did not\n"
    "                     write\n";

/* --rho is a common option (Fay's rho of existing replicates); here it is
 * the rho to build with. */
enum { OPT_TYPE = OPT_COMMON_END, OPT_REPLICATES, OPT_SEED, OPT_PREFIX,
       OPT_ONLY_WEIGHTS, OPT_ID, OPT_FORCE };

static const struct option replicate_options[] = {
    CLI_COMMON_OPTIONS,
    {"type", required_argument, NULL, OPT_TYPE},
    {"replicates", required_argument, NULL, OPT_REPLICATES},
    {"seed", required_argument, NULL, OPT_SEED},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"only-weights", no_argument, NULL, OPT_ONLY_WEIGHTS},
    {"id", required_argument, NULL, OPT_ID},
    {"force", no_argument, NULL, OPT_FORCE},
    {NULL, 0, NULL, 0}};

typedef struct rep_cli {
    cli_flags_t flags;
    const char *type, *replicates, *seed, *prefix, *id;
    int only_weights, force;
} rep_cli_t;

static int parse_flags(int argc, char **argv, rep_cli_t *f)
{
    int c;
    memset(f, 0, sizeof *f);
    cli_parse_begin(&f->flags);
    while ((c = getopt_long(argc, argv, ":o:", replicate_options, NULL)) !=
           -1) {
        if (cli_common_option(c, optarg, &f->flags))
            continue;
        switch (c) {
        case OPT_TYPE: f->type = optarg; break;
        case OPT_REPLICATES: f->replicates = optarg; break;
        case OPT_SEED: f->seed = optarg; break;
        case OPT_PREFIX: f->prefix = optarg; break;
        case OPT_ONLY_WEIGHTS: f->only_weights = 1; break;
        case OPT_ID: f->id = optarg; break;
        case OPT_FORCE: f->force = 1; break;
        case OPT_HELP: fputs(replicate_usage, stdout); return 0;
        default: return cli_getopt_error("replicate", c, argv);
        }
    }
    return cli_positional("replicate", argc, argv, optind, &f->flags);
}

static int parse_rho(const char *s, double *out)
{
    double v;
    if (!cli_parse_real(s, &v) || !(v > 0 && v < 1)) {
        cli_usage_error("replicate: --rho: '%s' is not a number between 0 "
                        "and 1 (both excluded)",
                        s);
        return 0;
    }
    *out = v;
    return 1;
}

/* Options that only some methods take. */
static int check_method_options(const rep_cli_t *f, graft_repmethod_t m)
{
    int boot = m == GRAFT_REPMETHOD_BOOTSTRAP ||
               m == GRAFT_REPMETHOD_SUBBOOTSTRAP;
    if (!boot && f->replicates)
        return cli_usage_error("replicate: --replicates is for --type "
                               "bootstrap and subbootstrap (%s has its own "
                               "number of replicates)",
                               graft_repmethod_name(m));
    if (!boot && f->seed)
        return cli_usage_error("replicate: --seed is for --type bootstrap "
                               "and subbootstrap (%s draws nothing)",
                               graft_repmethod_name(m));
    if (m != GRAFT_REPMETHOD_FAY && f->flags.rho)
        return cli_usage_error("replicate: --rho is for --type fay");
    if (m == GRAFT_REPMETHOD_FAY && !f->flags.rho)
        return cli_usage_error("replicate: --type fay needs --rho (R's "
                               "default fay.rho = 0 is plain BRR)");
    if (f->flags.repweights || f->flags.reptype || f->flags.scale ||
        f->flags.rscales || f->flags.mse >= 0)
        return cli_usage_error("replicate: --repweights, --reptype, --scale, "
                               "--rscales and --mse describe existing "
                               "replicate weights; replicate makes them "
                               "(--type)");
    if (f->id && !f->only_weights)
        return cli_usage_error("replicate: --id is for --only-weights");
    return -1;
}

static int build_opts(const rep_cli_t *f, graft_replicate_opts_t *o)
{
    unsigned long v;
    graft_replicate_opts_init(o);
    if (f->flags.format && strcmp(f->flags.format, "csv") != 0)
        return cli_usage_error("replicate: --format: '%s': replicate "
                               "writes CSV",
                               f->flags.format);
    if (!f->type)
        return cli_usage_error("replicate: --type is required: jk1, jkn, "
                               "brr, fay, bootstrap or subbootstrap");
    if (!graft_repmethod_parse(f->type, &o->method))
        return cli_usage_error("replicate: --type: '%s' is not one of jk1, "
                               "jkn, brr, fay, bootstrap, subbootstrap",
                               f->type);
    int status = check_method_options(f, o->method);
    if (status >= 0)
        return status;
    if (f->replicates) {
        if ((status = cli_uint_option("replicate", "--replicates",
                                      f->replicates, 2,
                                      GRAFT_REPLICATE_MAX_N, &v)) >= 0)
            return status;
        o->replicates = (size_t)v;
    }
    if (f->seed && (status = cli_uint_option("replicate", "--seed", f->seed,
                                             0, 4294967295UL, &o->seed)) >= 0)
        return status;
    if (f->flags.rho && !parse_rho(f->flags.rho, &o->rho))
        return GRAFT_EXIT_USAGE;
    if (!f->flags.output || strcmp(f->flags.output, "-") == 0)
        return cli_usage_error("replicate: give -o FILE (the survey file "
                               "is written beside it)");
    /* an -o that names no data file (OUT.ini) gets the library's own
     * message */
    char ini[4200];
    if (!graft_replicate_ini_path(f->flags.output, ini, sizeof ini))
        return -1;
    return cli_csv_output("replicate", f->flags.output);
}

static void warn_fpc(const graft_replicate_summary_t *sum,
                     const cli_input_t *in, graft_repmethod_t m)
{
    if (sum->fpc_dropped)
        fprintf(stderr,
                "graft: warning: --type %s leaves out the fpc '%s', as R's "
                "as.svrepdesign does\n",
                graft_repmethod_name(m), in->design.fpc);
}

/* An existing OUT.ini that graft did not write is kept unless --force.
 * Returns -1 to go on, or an exit code after the message. */
static int check_outputs(const rep_cli_t *f, const cli_input_t *in)
{
    char ini[4200];
    const char *out = f->flags.output;
    /* graft_replicate_file() refuses the data and survey files itself, and
     * an -o it cannot derive OUT.ini from */
    if (!graft_replicate_ini_path(out, ini, sizeof ini) ||
        cli_same_file(ini, in->data) ||
        (in->survey && cli_same_file(ini, in->survey->path)))
        return -1;
    return cli_keep_foreign_ini("replicate", ini, f->force);
}

int cmd_replicate(int argc, char **argv)
{
    rep_cli_t f;
    cli_input_t in;
    graft_diag_t diag;
    graft_replicate_opts_t opts;
    graft_replicate_summary_t sum;
    char *cmd = cli_command_line(argc, argv); /* before getopt reorders argv */
    int status = parse_flags(argc, argv, &f);
    if (status < 0)
        status = build_opts(&f, &opts);
    if (status >= 0) {
        free(cmd);
        return status;
    }
    graft_diag_clear(&diag);
    graft_replicate_out_t out = {0};
    out.path = f.flags.output;
    out.prefix = f.prefix;
    out.only_weights = f.only_weights;
    out.id = f.id;
    out.command = cmd;
    out.survey = f.flags.survey;
    /* --rho here is the rho to build with, not one of existing replicate
     * weights */
    cli_flags_t in_flags = f.flags;
    in_flags.rho = NULL;
    if (cli_input_init(&in, &in_flags, 1, &diag) == GRAFT_OK &&
        (status = check_outputs(&f, &in)) < 0) {
        if (in.survey) {
            out.name = in.survey->name;
            out.round = in.survey->round;
            out.year = in.survey->year;
            out.derived = in.survey->derived;
            out.n_derived = in.survey->n_derived;
        }
        if (graft_replicate_file(in.data, &in.read, &in.design, &opts, &out,
                                 &sum, &diag) == GRAFT_OK) {
            warn_fpc(&sum, &in, opts.method);
            status = GRAFT_EXIT_OK;
        }
    }
    if (status < 0)
        status = cli_fail(&diag);
    cli_input_free(&in);
    free(cmd);
    return status;
}
