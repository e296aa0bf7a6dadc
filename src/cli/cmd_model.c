/*
 * cmd_model.c - `graft model`: a design-based regression (R's svyglm)
 * with its coefficient table, intervals, odds or rate ratios and Wald
 * tests (docs/model.md).
 */
#define _GNU_SOURCE
#include "cli.h"
#include "graft/xlsx.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char model_usage[] =
    "usage: graft model [DATA | --survey FILE.ini] --formula 'Y ~ X + ...' "
    "[options]\n"
    CLI_COMMON_USAGE
    "  --formula F        RESPONSE ~ TERM + TERM ...; a term is a column,\n"
    "                     factor(COL), ref(COL, 'level') or an interaction\n"
    "                     A:B (docs/model.md)\n"
    "  --family F         linear|logistic|poisson (default linear)\n"
    "  --among EXPR       fit in this domain (every PSU stays in the design)\n"
    "  --test TERM        Wald F test that TERM's coefficients are all zero\n"
    "                     (repeat for more)\n"
    "  --level L          confidence level, 0.5 to 0.9999 (default 0.95)\n"
    "  --max-iter N       IRLS iterations before giving up (default 100)\n"
    "  --format F         text|csv|json|md|xlsx (default: text on a\n"
    "                     terminal, else from -o's extension: .csv .json\n"
    "                     .md .txt .xlsx; none: csv; any other: an error)\n"
    "  -o FILE, --output FILE  write to FILE (atomically)\n";

enum { OPT_FORMULA = OPT_COMMON_END, OPT_FAMILY, OPT_AMONG, OPT_TEST,
       OPT_LEVEL, OPT_MAX_ITER };

static const struct option model_options[] = {
    CLI_COMMON_OPTIONS,
    {"formula", required_argument, NULL, OPT_FORMULA},
    {"family", required_argument, NULL, OPT_FAMILY},
    {"among", required_argument, NULL, OPT_AMONG},
    {"test", required_argument, NULL, OPT_TEST},
    {"level", required_argument, NULL, OPT_LEVEL},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {NULL, 0, NULL, 0}};

#define MAX_TESTS 32

typedef struct model_args {
    cli_flags_t flags;
    graft_model_spec_t spec;
    const char *tests[MAX_TESTS];
} model_args_t;

/* One model option C with OPTARG into A; -1 to go on, or an exit code. */
static int model_option(int c, const char *arg, model_args_t *a)
{
    unsigned long n;
    switch (c) {
    case OPT_FORMULA: a->spec.formula = arg; return -1;
    case OPT_AMONG: a->spec.among = arg; return -1;
    case OPT_FAMILY:
        if (!graft_family_parse(arg, &a->spec.family))
            return cli_usage_error("--family: '%s' must be linear, logistic "
                                   "or poisson", arg);
        return -1;
    case OPT_TEST:
        if (a->spec.n_tests == MAX_TESTS)
            return cli_usage_error("--test: at most %d tests", MAX_TESTS);
        a->tests[a->spec.n_tests++] = arg;
        return -1;
    case OPT_LEVEL: return cli_level_flag(arg, &a->spec.level);
    case OPT_MAX_ITER: {
        int st = cli_uint_option("model", "--max-iter", arg, 1, 10000, &n);
        a->spec.max_iter = (size_t)n;
        return st;
    }
    case OPT_HELP: fputs(model_usage, stdout); return 0;
    default: return GRAFT_EXIT_USAGE + 1000; /* not a model option */
    }
}

static int parse_args(int argc, char **argv, model_args_t *a)
{
    int c;
    memset(a, 0, sizeof *a);
    a->spec.formula_src = (graft_source_t){"--formula", 1, 1};
    a->spec.among_src = (graft_source_t){"--among", 1, 1};
    a->spec.level = 0.95;
    a->spec.tests = a->tests;
    cli_parse_begin(&a->flags);
    while ((c = getopt_long(argc, argv, ":o:", model_options, NULL)) != -1) {
        if (cli_common_option(c, optarg, &a->flags))
            continue;
        int st = model_option(c, optarg, a);
        if (st == GRAFT_EXIT_USAGE + 1000)
            return cli_getopt_error("model", c, argv);
        if (st >= 0)
            return st;
    }
    int st = cli_positional("model", argc, argv, optind, &a->flags);
    if (st >= 0)
        return st;
    if (!a->spec.formula)
        return cli_usage_error("model: --formula is required (e.g. "
                               "--formula 'paid == 1 ~ sex + age_group')");
    return -1;
}

static graft_error_t fill_sheet(graft_workbook_t *wb, const void *m,
                                graft_diag_t *diag)
{
    return graft_model_sheet(wb, "model", m, diag);
}

static graft_error_t write_stream(FILE *fp, const void *m,
                                  graft_table_format_t format,
                                  graft_diag_t *diag)
{
    return graft_model_write(fp, m, format, diag);
}

int cmd_model(int argc, char **argv)
{
    model_args_t a;
    cli_input_t in;
    graft_model_t *m = NULL;
    graft_diag_t diag;
    graft_table_format_t format;
    int status = parse_args(argc, argv, &a);
    memset(&in, 0, sizeof in);
    graft_diag_clear(&diag);
    if (status >= 0 ||
        (status = cli_table_format_flag(&a.flags, &format)) >= 0)
        goto done;
    if (cli_input_init(&in, &a.flags, 1, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    if ((status = cli_output_not_input(a.flags.output, &in, NULL)) >= 0)
        goto done;
    if (graft_model_fit(in.data, &in.read, &in.design, &a.spec, &m,
                        &diag) != GRAFT_OK ||
        cli_write_table(a.flags.output, format, write_stream, fill_sheet, m,
                        &in.design, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    status = GRAFT_EXIT_OK;
done:
    graft_model_free(m);
    cli_input_free(&in);
    return status;
}
