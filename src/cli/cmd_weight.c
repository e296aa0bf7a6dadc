/*
 * cmd_weight.c - `graft weight`: calibrate a survey's weights to
 * population margins (post-stratification, raking, GREG and bounded
 * calibration) and/or trim them; the data with the new weight written
 * with a survey file beside it, and the weighting report.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "graft/weight.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char weight_usage[] =
    "usage: graft weight [DATA | --survey FILE.ini] --margins F[,F...] "
    "-o OUT.csv [options]\n"
    CLI_COMMON_USAGE
    "  --margins F[,F...] margins files: CSV of survey variables then "
    "'total'\n"
    "  --method M         poststratify|rake|linear|logit|raking "
    "(default rake)\n"
    "  --bounds L,U       linear, logit, raking: bounds on g = new weight /\n"
    "                     design weight (logit needs them)\n"
    "  --tolerance T      convergence tolerance (default 1e-10, relative)\n"
    "  --max-iter N       iterations at most (default 100)\n"
    "  --trim L,U         trim the weights to [L, U] as R's trimWeights\n"
    "                     (after calibrating, or alone without --margins)\n"
    "  --trim-strict      trim again until no weight is outside [L, U]\n"
    "  --name COL         the new weight column (default WEIGHT_cal)\n"
    "  -o OUT.csv, --output OUT.csv\n"
    "                     the output (required): the data and the new\n"
    "                     weight; the survey file OUT.ini beside it\n"
    "  --report FILE      the weighting report into FILE (default: stdout)\n"
    "  --format F         the report: text|csv|json|md (default: text, or\n"
    "                     from --report's extension)\n"
    "  --force            replace an OUT.ini that graft weight did not "
    "write\n";

enum { OPT_MARGINS = OPT_COMMON_END, OPT_METHOD, OPT_BOUNDS, OPT_TOLERANCE,
       OPT_MAX_ITER, OPT_TRIM, OPT_TRIM_STRICT, OPT_NAME, OPT_REPORT,
       OPT_FORCE };

static const struct option weight_options[] = {
    CLI_COMMON_OPTIONS,
    {"margins", required_argument, NULL, OPT_MARGINS},
    {"method", required_argument, NULL, OPT_METHOD},
    {"bounds", required_argument, NULL, OPT_BOUNDS},
    {"tolerance", required_argument, NULL, OPT_TOLERANCE},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {"trim", required_argument, NULL, OPT_TRIM},
    {"trim-strict", no_argument, NULL, OPT_TRIM_STRICT},
    {"name", required_argument, NULL, OPT_NAME},
    {"report", required_argument, NULL, OPT_REPORT},
    {"force", no_argument, NULL, OPT_FORCE},
    {NULL, 0, NULL, 0}};

typedef struct weight_cli {
    cli_flags_t flags;
    const char *margins, *method, *bounds, *tolerance, *max_iter, *trim;
    const char *name, *report;
    int trim_strict, force;
    /* parsed */
    graft_weight_opts_t opts;
    graft_table_format_t format;
    char *files_buf;
    const char *files[64];
    size_t n_files;
} weight_cli_t;

static int parse_flags(int argc, char **argv, weight_cli_t *f)
{
    int c;
    memset(f, 0, sizeof *f);
    cli_parse_begin(&f->flags);
    while ((c = getopt_long(argc, argv, ":o:", weight_options, NULL)) != -1) {
        if (cli_common_option(c, optarg, &f->flags))
            continue;
        switch (c) {
        case OPT_MARGINS: f->margins = optarg; break;
        case OPT_METHOD: f->method = optarg; break;
        case OPT_BOUNDS: f->bounds = optarg; break;
        case OPT_TOLERANCE: f->tolerance = optarg; break;
        case OPT_MAX_ITER: f->max_iter = optarg; break;
        case OPT_TRIM: f->trim = optarg; break;
        case OPT_TRIM_STRICT: f->trim_strict = 1; break;
        case OPT_NAME: f->name = optarg; break;
        case OPT_REPORT: f->report = optarg; break;
        case OPT_FORCE: f->force = 1; break;
        case OPT_HELP: fputs(weight_usage, stdout); return 0;
        default: return cli_getopt_error("weight", c, argv);
        }
    }
    return cli_positional("weight", argc, argv, optind, &f->flags);
}

/* "L,U" into *LO < *HI, both finite.  Returns -1 or a usage exit code. */
static int parse_pair(const char *opt, const char *s, double *lo, double *hi)
{
    const char *comma = strchr(s, ',');
    char a[64];
    size_t n = comma ? (size_t)(comma - s) : 0;
    if (comma && n < sizeof a) {
        memcpy(a, s, n);
        a[n] = '\0';
        if (cli_parse_real(a, lo) && cli_parse_real(comma + 1, hi) &&
            *lo < *hi)
            return -1;
    }
    return cli_usage_error("weight: %s: '%s' is not L,U with L < U (two "
                           "numbers)",
                           opt, s);
}

/* Split --margins into F->files. */
static int split_margins(weight_cli_t *f)
{
    size_t n = strlen(f->margins);
    if (!(f->files_buf = malloc(n + 1)))
        return cli_nomem();
    memcpy(f->files_buf, f->margins, n + 1);
    for (char *tok = strtok(f->files_buf, ","); tok; tok = strtok(NULL, ",")) {
        if (f->n_files == sizeof f->files / sizeof f->files[0])
            return cli_usage_error("weight: --margins: at most 64 files");
        f->files[f->n_files++] = tok;
    }
    if (!f->n_files)
        return cli_usage_error("weight: --margins: no file in '%s'",
                               f->margins);
    return -1;
}

static int calibration_opts(weight_cli_t *f)
{
    graft_cal_opts_t *c = &f->opts.cal;
    unsigned long v;
    int status;
    if (f->method && !graft_cal_method_parse(f->method, &c->method))
        return cli_usage_error("weight: --method: '%s' is not one of "
                               "poststratify, rake, linear, logit, raking",
                               f->method);
    if (f->bounds) {
        if (c->method == GRAFT_CAL_POSTSTRATIFY || c->method == GRAFT_CAL_RAKE)
            return cli_usage_error("weight: --bounds is for --method "
                                   "linear, logit and raking");
        if ((status = parse_pair("--bounds", f->bounds, &c->lower,
                                 &c->upper)) >= 0)
            return status;
    }
    if (f->tolerance && (!cli_parse_real(f->tolerance, &c->tolerance) ||
                         !(c->tolerance > 0)))
        return cli_usage_error("weight: --tolerance: '%s' is not a positive "
                               "number",
                               f->tolerance);
    if (f->max_iter) {
        if ((status = cli_uint_option("weight", "--max-iter", f->max_iter, 1,
                                      1000000, &v)) >= 0)
            return status;
        c->max_iter = (size_t)v;
    }
    return split_margins(f);
}

static int build_opts(weight_cli_t *f)
{
    int status;
    graft_cal_opts_init(&f->opts.cal);
    f->opts.calibrate = f->margins != NULL;
    if (!f->margins && !f->trim)
        return cli_usage_error("weight: give --margins FILE[,FILE...] "
                               "(calibration), --trim L,U, or both");
    if (!f->margins && (f->method || f->bounds || f->tolerance ||
                        f->max_iter))
        return cli_usage_error("weight: --method, --bounds, --tolerance and "
                               "--max-iter need --margins");
    if (f->margins && (status = calibration_opts(f)) >= 0)
        return status;
    if (f->trim) {
        f->opts.trim = 1;
        f->opts.trim_strict = f->trim_strict;
        if ((status = parse_pair("--trim", f->trim, &f->opts.trim_lower,
                                 &f->opts.trim_upper)) >= 0)
            return status;
    } else if (f->trim_strict)
        return cli_usage_error("weight: --trim-strict needs --trim L,U");
    if (!f->flags.output || strcmp(f->flags.output, "-") == 0)
        return cli_usage_error("weight: give -o FILE (the survey file is "
                               "written beside it)");
    /* the report: --format, else --report's extension (an unknown one is
     * an error; none is CSV), else text; no workbook */
    f->format = GRAFT_TABLE_TEXT;
    if (f->flags.format) {
        if (!graft_table_format_parse(f->flags.format, &f->format) ||
            f->format == GRAFT_TABLE_XLSX)
            return cli_usage_error("--format: '%s' must be text, csv, json "
                                   "or md",
                                   f->flags.format);
    } else if (f->report && strcmp(f->report, "-") != 0) {
        if ((status = cli_output_format("--report", f->report,
                                        &f->format)) >= 0)
            return status;
        if (f->format == GRAFT_TABLE_XLSX)
            return cli_usage_error("--report %s: the weighting report is "
                                   "not written as a workbook (use .csv, "
                                   ".json, .md or .txt)",
                                   f->report);
    }
    return -1;
}

/* The outputs: OUT.ini kept unless graft wrote it (or --force), no output
 * over an input.  Returns -1 to go on, or an exit code. */
static int check_outputs(const weight_cli_t *f, const cli_input_t *in)
{
    char ini[1100];
    int status;
    if ((status = cli_output_not_input(f->report, in, NULL)) >= 0)
        return status;
    for (size_t i = 0; i < f->n_files; i++)
        if ((status = cli_output_not_file(f->report, f->files[i],
                                          "margins file")) >= 0 ||
            (status = cli_output_not_file(f->flags.output, f->files[i],
                                          "margins file")) >= 0)
            return status;
    if (f->report && cli_same_file(f->report, f->flags.output))
        return cli_usage_error("weight: --report %s is the output data "
                               "file",
                               f->report);
    if (!graft_replicate_ini_path(f->flags.output, ini, sizeof ini))
        return -1; /* graft_weight_file() explains */
    if (f->report && (cli_same_file(f->report, ini) ||
                      strcmp(f->report, ini) == 0))
        return cli_usage_error("weight: --report %s is the output survey "
                               "file",
                               f->report);
    return cli_keep_foreign_ini("weight", ini, f->force);
}

static graft_error_t load_margins(const weight_cli_t *f,
                                  graft_margins_t **ms, graft_diag_t *diag)
{
    graft_error_t rc = GRAFT_OK;
    for (size_t i = 0; rc == GRAFT_OK && i < f->n_files; i++)
        rc = graft_margins_load(f->files[i], &ms[i], diag);
    return rc;
}

static void fill_out(const weight_cli_t *f, const cli_input_t *in,
                     const char *cmd, graft_weight_out_t *out)
{
    memset(out, 0, sizeof *out);
    out->path = f->flags.output;
    out->name = f->name;
    out->files = f->files;
    out->command = cmd;
    out->survey = in->survey ? in->survey->path : NULL;
    if (!in->survey)
        return;
    out->survey_name = in->survey->name;
    out->round = in->survey->round;
    out->year = in->survey->year;
    out->derived = in->survey->derived;
    out->n_derived = in->survey->n_derived;
    out->question_names = in->survey->question_names;
    out->questions = in->survey->questions;
    out->n_questions = in->survey->n_questions;
}

/* The report, written before the outputs are renamed into place (so that
 * a report that cannot be written leaves no output), renamed after them. */
typedef struct report_ctx {
    const weight_cli_t *f;
    cli_progress_t *progress; /* cleared before the report */
    graft_outfile_t of;
    int open;
} report_ctx_t;

static graft_error_t write_report(void *arg, const graft_weight_report_t *r,
                                  graft_diag_t *diag)
{
    report_ctx_t *c = arg;
    cli_progress_done(c->progress);
    graft_error_t rc = graft_outfile_open(&c->of, c->f->report, diag);
    if (rc != GRAFT_OK)
        return rc;
    c->open = 1;
    if ((rc = graft_weight_report_write(c->of.fp, r, c->f->format, diag)) ==
            GRAFT_OK &&
        fflush(c->of.fp) != 0)
        rc = graft_diag_set(diag, GRAFT_ERR_WRITE,
                            c->of.path ? c->of.path : "standard output", 0,
                            0, "write error: %s", strerror(errno));
    return rc;
}

static int run(weight_cli_t *f, const char *cmd)
{
    cli_input_t in;
    graft_diag_t diag;
    graft_weight_out_t out;
    graft_weight_report_t rep;
    graft_margins_t *ms[64] = {0};
    report_ctx_t rc = {f, NULL, {NULL, NULL, NULL}, 0};
    int status = -1;
    graft_diag_clear(&diag);
    memset(&rep, 0, sizeof rep);
    if (cli_input_init(&in, &f->flags, 1, &diag) == GRAFT_OK &&
        (status = check_outputs(f, &in)) < 0 &&
        load_margins(f, ms, &diag) == GRAFT_OK) {
        fill_out(f, &in, cmd, &out);
        out.before_commit = write_report;
        out.before_commit_arg = &rc;
        rc.progress = &in.progress;
        if (graft_weight_file(in.data, &in.read, &in.design, ms, f->n_files,
                              &f->opts, &out, &rep, &diag) == GRAFT_OK &&
            graft_outfile_commit(&rc.of, &diag) == GRAFT_OK)
            status = GRAFT_EXIT_OK;
        else if (rc.open)
            graft_outfile_abort(&rc.of);
    }
    if (status < 0)
        status = cli_fail(&diag);
    graft_weight_report_free(&rep);
    for (size_t i = 0; i < f->n_files; i++)
        graft_margins_free(ms[i]);
    cli_input_free(&in);
    return status;
}

int cmd_weight(int argc, char **argv)
{
    weight_cli_t f;
    memset(&f, 0, sizeof f);
    char *cmd = cli_command_line(argc, argv); /* before getopt reorders argv */
    int status = cmd ? parse_flags(argc, argv, &f) : cli_nomem();
    if (status < 0)
        status = build_opts(&f);
    if (status < 0)
        status = run(&f, cmd);
    free(f.files_buf);
    free(cmd);
    return status;
}
