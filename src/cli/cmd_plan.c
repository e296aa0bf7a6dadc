/*
 * cmd_plan.c - `graft plan`: the sample size per round that detects a
 * change in a proportion, or the change a sample size detects (R's
 * power.prop.test times the design effect; docs/plan.md), directly or from
 * a baseline survey's own estimates and design effects (plan_baseline.c).
 */
#include "cli.h"
#include "graft/xlsx.h"
#include "plan_cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plan_usage[] =
    "usage: graft plan --p1 P1 --p2 P2 [--deff D] [options]   (n per round)\n"
    "       graft plan --p1 P1 --n N [--deff D] [options]     (detectable p2)\n"
    "       graft plan SURVEY.ini --analysis A.ini (--change C | --n N)\n"
    "                  [--take M] [estimate's options]        (from a baseline)\n"
    "  --p1 P             baseline proportion, 0 to 1\n"
    "  --p2 P             proportion to detect in the next round\n"
    "  --deff D           design effect (default 1)\n"
    "  --n N              respondents per round (baseline: interviews)\n"
    "  --change C         baseline: the change to detect, e.g. 0.05\n"
    "  --take M           baseline: interviews per PSU in the next round\n"
    "  --power P          power, 0.5 to below 1 (default 0.8)\n"
    "  --alpha A          two-sided level of the test (default 0.05)\n"
    "  --correlation R    correlation of the rounds' estimates (default 0)\n"
    "  --format F         text|csv|json|md|xlsx (default: text on a\n"
    "                     terminal, else from -o's extension: .csv .json\n"
    "                     .md .txt .xlsx; none: csv; any other: an error)\n"
    "  -o FILE, --output FILE  write to FILE (atomically)\n";

static const char *const plan_flag_names[PLAN_N_FLAGS] = {
    "--p1", "--p2", "--deff", "--n", "--power", "--alpha", "--correlation",
    "--change", "--take"};

/* Take plan's own options out of ARGV into P; the rest into P->rest. */
static int plan_split(int argc, char **argv, plan_args_t *p)
{
    p->rest[p->n_rest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        int k = -1;
        size_t len = 0;
        for (int j = 0; j < PLAN_N_FLAGS && k < 0; j++) {
            len = strlen(plan_flag_names[j]);
            if (strncmp(argv[i], plan_flag_names[j], len) == 0 &&
                (argv[i][len] == '\0' || argv[i][len] == '='))
                k = j;
        }
        if (k < 0) {
            p->rest[p->n_rest++] = argv[i];
            continue;
        }
        const char *v = argv[i][len] == '=' ? argv[i] + len + 1 : argv[++i];
        if (v == NULL)
            return cli_usage_error("plan: option '%s' needs a value",
                                   plan_flag_names[k]);
        double x;
        if (!cli_parse_real(v, &x))
            return cli_usage_error("plan: %s: '%s' is not a number",
                                   plan_flag_names[k], v);
        p->given[k] = 1;
        p->value[k] = x;
    }
    p->rest[p->n_rest] = NULL;
    return -1;
}

static int plan_check_direct(const plan_args_t *p)
{
    if (p->given[PLAN_P2] == p->given[PLAN_N])
        return cli_usage_error("plan: give either --p2 (for n) or --n (for "
                               "the detectable change) with --p1");
    if (p->given[PLAN_CHANGE] || p->given[PLAN_TAKE])
        return cli_usage_error("plan: --change and --take are for a "
                               "baseline survey");
    double p1 = p->value[PLAN_P1], p2 = p->value[PLAN_P2];
    if (!(p1 >= 0 && p1 <= 1) || (p->given[PLAN_P2] && !(p2 >= 0 && p2 <= 1)))
        return cli_usage_error("plan: --p1 and --p2 must be from 0 to 1");
    if (p->given[PLAN_P2] && p1 == p2)
        return cli_usage_error("plan: --p1 and --p2 are equal: no change to "
                               "detect");
    if (!(p->value[PLAN_DEFF] > 0))
        return cli_usage_error("plan: --deff must be positive");
    if (p->given[PLAN_N] && !(p->value[PLAN_N] > 0))
        return cli_usage_error("plan: --n must be positive");
    return -1;
}

/* -o, --format and --help of the direct forms. */
static int plan_direct_opts(plan_args_t *p, cli_flags_t *f)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    cli_parse_begin(f);
    while ((c = getopt_long(p->n_rest, p->rest, ":o:", opts, NULL)) != -1) {
        if (c == 'o')
            f->output = optarg;
        else if (c == 'f')
            f->format = optarg;
        else if (c == 'h') {
            fputs(plan_usage, stdout);
            return GRAFT_EXIT_OK;
        } else
            return cli_getopt_error("plan", c, p->rest);
    }
    if (optind < p->n_rest)
        return cli_usage_error("plan: with --p1, no survey file ('%s')",
                               p->rest[optind]);
    return -1;
}

static void plan_direct_row(const plan_args_t *p, graft_plan_row_t *r)
{
    memset(r, 0, sizeof *r);
    r->p1 = p->value[PLAN_P1];
    r->deff = p->value[PLAN_DEFF];
    r->p2 = p->given[PLAN_P2] ? p->value[PLAN_P2] : NAN;
    if (p->given[PLAN_P2]) {
        r->n_exact = graft_plan_n(r->p1, r->p2, r->deff, &p->opts);
        r->n = ceil(r->n_exact);
    } else {
        r->n = p->value[PLAN_N];
        graft_plan_mde(r->p1, r->n, r->deff, &p->opts, &r->p2_low,
                       &r->p2_high);
        r->mde_decrease = r->p1 - r->p2_low;
        r->mde_increase = r->p2_high - r->p1;
    }
}

typedef struct plan_sheet {
    const graft_plan_row_t *rows;
    size_t n;
    graft_plan_kind_t kind;
    const graft_plan_opts_t *o;
} plan_sheet_t;

static graft_error_t fill_sheet(graft_workbook_t *wb, const void *arg,
                                graft_diag_t *diag)
{
    const plan_sheet_t *p = arg;
    return graft_plan_sheet(wb, "plan", p->rows, p->n, p->kind, p->o, diag);
}

static graft_error_t write_stream(FILE *fp, const void *arg,
                                  graft_table_format_t format,
                                  graft_diag_t *diag)
{
    const plan_sheet_t *p = arg;
    return graft_plan_write(fp, p->rows, p->n, p->kind, p->o, format, diag);
}

int plan_write_rows(const cli_flags_t *f, const graft_plan_row_t *rows,
                    size_t n, graft_plan_kind_t kind,
                    const graft_plan_opts_t *o)
{
    graft_table_format_t format;
    graft_diag_t diag;
    int st = cli_table_format_flag(f, &format);
    if (st >= 0)
        return st;
    graft_diag_clear(&diag);
    const plan_sheet_t arg = {rows, n, kind, o};
    return cli_write_table(f->output, format, write_stream, fill_sheet, &arg,
                           NULL, &diag) != GRAFT_OK
               ? cli_fail(&diag)
               : GRAFT_EXIT_OK;
}

int cmd_plan(int argc, char **argv)
{
    plan_args_t p;
    cli_flags_t f;
    graft_diag_t diag;
    memset(&p, 0, sizeof p);
    p.value[PLAN_DEFF] = 1.0;
    p.rest = calloc((size_t)argc + 1, sizeof *p.rest);
    if (p.rest == NULL)
        return cli_nomem();
    int st = plan_split(argc, argv, &p);
    graft_plan_opts_init(&p.opts);
    if (p.given[PLAN_POWER])
        p.opts.power = p.value[PLAN_POWER];
    if (p.given[PLAN_ALPHA])
        p.opts.alpha = p.value[PLAN_ALPHA];
    if (p.given[PLAN_CORR])
        p.opts.correlation = p.value[PLAN_CORR];
    if (st < 0 && graft_plan_opts_check(&p.opts, &diag) != GRAFT_OK)
        st = cli_fail(&diag);
    if (st < 0 && !p.given[PLAN_P1])
        st = plan_baseline(&p, plan_usage);
    else if (st < 0 && (st = plan_direct_opts(&p, &f)) < 0 &&
             (st = plan_check_direct(&p)) < 0) {
        graft_plan_row_t row;
        plan_direct_row(&p, &row);
        st = plan_write_rows(&f, &row, 1,
                             p.given[PLAN_P2] ? GRAFT_PLAN_SIZE
                                              : GRAFT_PLAN_MDE,
                             &p.opts);
    }
    free(p.rest);
    return st;
}
