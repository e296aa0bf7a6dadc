/*
 * input.c - merge a survey file with the command-line flags.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "base/grow.h"

#include <getopt.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_fail(const graft_diag_t *diag)
{
    char buf[2200];
    fprintf(stderr, "graft: %s\n", graft_diag_format(diag, buf, sizeof buf));
    return graft_exit_code(diag->code);
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("graft: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    return GRAFT_EXIT_USAGE;
}

int cli_nomem(void)
{
    fputs("graft: out of memory\n", stderr);
    return GRAFT_EXIT_OSERR;
}

int cli_common_option(int c, const char *arg, cli_flags_t *f)
{
    switch (c) {
    case OPT_SURVEY: f->survey = arg; return 1;
    case OPT_WEIGHT: f->weight = arg; return 1;
    case OPT_STRATA: f->strata = arg; return 1;
    case OPT_PSU: f->psu = arg; return 1;
    case OPT_FPC: f->fpc = arg; return 1;
    case OPT_NEST: f->nest = 1; return 1;
    case OPT_LONELY: f->lonely = arg; return 1;
    case OPT_DELIM: f->delim = arg; return 1;
    case OPT_MISSING: f->missing = arg; return 1;
    case OPT_FORMAT: f->format = arg; return 1;
    case 'o': f->output = arg; return 1;
    case OPT_REPWEIGHTS: f->repweights = arg; return 1;
    case OPT_REPTYPE: f->reptype = arg; return 1;
    case OPT_RHO: f->rho = arg; return 1;
    case OPT_SCALE: f->scale = arg; return 1;
    case OPT_RSCALES: f->rscales = arg; return 1;
    case OPT_MSE: f->mse = 1; return 1;
    default: return 0;
    }
}

int cli_positional(const char *cmd, int argc, char **argv, int first,
                   cli_flags_t *f)
{
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        size_t n = strlen(a);
        int is_ini = n > 4 && strcmp(a + n - 4, ".ini") == 0;
        const char **slot = is_ini ? &f->survey : &f->data;
        if (*slot)
            return cli_usage_error("%s: more than one %s file ('%s')", cmd,
                                   is_ini ? "survey" : "data", a);
        *slot = a;
    }
    if (!f->data && !f->survey)
        return cli_usage_error("%s: no data file (see graft %s --help)", cmd,
                               cmd);
    return -1;
}

static graft_error_t usage(graft_diag_t *diag, const char *msg,
                           const char *arg)
{
    return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0, msg, arg);
}

static int parse_delim(const char *s, char *out)
{
    if (strcmp(s, ",") == 0 || strcmp(s, ";") == 0 || strcmp(s, "\t") == 0)
        *out = s[0];
    else if (strcmp(s, "tab") == 0)
        *out = '\t';
    else
        return 0;
    return 1;
}

/* Split "a,b,c" in place into SPEC's strata columns. */
static graft_error_t split_strata(cli_input_t *in, const char *text,
                                  graft_diag_t *diag)
{
    size_t n = strlen(text);
    if (!(in->strata_buf = malloc(n + 1)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    memcpy(in->strata_buf, text, n + 1);
    in->design.n_strata = 0;
    for (char *tok = strtok(in->strata_buf, ","); tok;
         tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (in->design.n_strata == GRAFT_MAX_STRATA_COLUMNS)
            return usage(diag, "--strata: at most 8 columns, got '%s'", text);
        in->design.strata[in->design.n_strata++] = tok;
    }
    if (in->design.n_strata == 0)
        return usage(diag, "--strata: no column names in '%s'", text);
    return GRAFT_OK;
}

static graft_error_t merge_missing(cli_input_t *in, const cli_flags_t *f,
                                   graft_diag_t *diag)
{
    size_t n_cli = 0, n_survey = in->survey ? in->survey->n_missing : 0;
    if (f->missing) {
        size_t bad = graft_parse_codes(f->missing, &in->cli_codes, &n_cli);
        if (bad)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, "--missing", 1, bad,
                                  "'%s' is not a comma-separated list of "
                                  "numbers",
                                  f->missing);
    }
    size_t total = n_survey + (f->missing ? 1 : 0);
    if (!total)
        return GRAFT_OK;
    if (!(in->missing = calloc(total, sizeof *in->missing)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t i = 0; i < n_survey; i++)
        in->missing[i] = in->survey->missing[i];
    if (f->missing)
        in->missing[n_survey] =
            (graft_missing_spec_t){NULL, in->cli_codes, n_cli};
    in->read.missing = in->missing;
    in->read.n_missing = total;
    return GRAFT_OK;
}

/* The whole of the open file FP as a new string, or NULL when out of
 * memory; FP is closed. */
static char *read_all(FILE *fp)
{
    size_t cap = 0, len = 0, n;
    char *text = graft_grow(NULL, &cap, 4096, 1);
    while (text && (n = fread(text + len, 1, cap - len - 1, fp)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *t = graft_grow(text, &cap, cap + 1, 1);
            if (!t)
                free(text);
            text = t;
        }
    }
    fclose(fp);
    if (text)
        text[len] = '\0';
    return text;
}

/* --rscales: a comma list, or a file of numbers separated by commas,
 * spaces or newlines. */
static graft_error_t parse_rscales(cli_input_t *in, const char *arg,
                                   graft_diag_t *diag)
{
    char *text = NULL;
    FILE *fp = fopen(arg, "r");
    if (fp) {
        in->rscales_file = arg;
        if (!(text = read_all(fp)))
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, arg, 0, 0,
                                  "out of memory");
        /* Separators to commas; drop a trailing one. */
        for (char *p = text; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t' ||
                *p == ';')
                *p = ',';
        char *w = text;
        for (char *p = text; *p; p++)
            if (*p != ',' || (w > text && w[-1] != ','))
                *w++ = *p;
        if (w > text && w[-1] == ',')
            w--;
        *w = '\0';
    }
    size_t n = 0;
    size_t bad = graft_parse_codes(text ? text : arg, &in->rscales, &n);
    free(text);
    if (bad)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, "--rscales", 1, bad,
                              "'%s' is not a list of numbers or a file of "
                              "them",
                              arg);
    in->design.rep.rscales = in->rscales;
    in->design.rep.n_rscales = n;
    return GRAFT_OK;
}

static graft_error_t merge_replicates(cli_input_t *in, const cli_flags_t *f,
                                      graft_diag_t *diag)
{
    graft_rep_spec_t *r = &in->design.rep;
    graft_error_t rc;
    if (f->repweights)
        r->columns = f->repweights;
    if (f->reptype && !graft_reptype_parse(f->reptype, &r->type))
        return usage(diag,
                     "--reptype: '%s' must be jk1, jkn, brr, fay, bootstrap, "
                     "sdr, acs or other",
                     f->reptype);
    if (f->rho && (!cli_parse_real(f->rho, &r->rho) || !(r->rho >= 0) ||
                   !(r->rho < 1)))
        return usage(diag, "--rho: '%s' is not a number from 0 to below 1 "
                           "(Fay's rho)",
                     f->rho);
    if (f->scale && (!cli_parse_real(f->scale, &r->scale) || r->scale <= 0))
        return usage(diag, "--scale: '%s' is not a positive number",
                     f->scale);
    if (f->rscales && (rc = parse_rscales(in, f->rscales, diag)) != GRAFT_OK)
        return rc;
    if (f->mse >= 0)
        r->mse = f->mse;
    if (r->columns)
        return GRAFT_OK;
    if (f->reptype)
        return usage(diag, "--reptype needs --repweights (the replicate "
                           "weight columns)%s",
                     "");
    /* Settings of replicate weights without any would be ignored. */
    const char *given = f->rho ? "--rho" : f->scale ? "--scale"
                      : f->rscales ? "--rscales" : f->mse >= 0 ? "--mse"
                                                               : NULL;
    if (given)
        return usage(diag, "%s describes replicate weights, but there are "
                           "none: give --repweights (the replicate weight "
                           "columns), or leave it out",
                     given);
    /* ... and so would the survey file's */
    given = r->type != GRAFT_REP_NONE ? "reptype"
            : !isnan(r->rho)          ? "rho"
            : !isnan(r->scale)        ? "scale"
            : r->rscales              ? "rscales"
            : r->mse                  ? "mse"
                                      : NULL;
    if (given && in->survey)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, in->survey->path,
                              0, 0,
                              "[design] %s describes replicate weights, but "
                              "there is no repweights key (the replicate "
                              "weight columns)",
                              given);
    return GRAFT_OK;
}

static graft_error_t merge_design(cli_input_t *in, const cli_flags_t *f,
                                  int need_design, graft_diag_t *diag)
{
    graft_design_spec_t *d = &in->design;
    graft_error_t rc;
    if (in->survey)
        *d = in->survey->design;
    else
        graft_design_spec_init(d);
    if ((rc = merge_replicates(in, f, diag)) != GRAFT_OK)
        return rc;
    if (f->weight) {
        d->unweighted = strcmp(f->weight, "1") == 0;
        d->weight = d->unweighted ? NULL : f->weight;
    }
    if (f->strata && (rc = split_strata(in, f->strata, diag)) != GRAFT_OK)
        return rc;
    if (f->psu)
        d->psu = f->psu;
    if (f->fpc)
        d->fpc = f->fpc;
    if (f->nest >= 0)
        d->nest = f->nest;
    if (f->lonely && !graft_lonely_parse(f->lonely, &d->lonely))
        return usage(diag,
                     "--lonely-psu: '%s' is not one of fail, remove, "
                     "certainty, adjust, average",
                     f->lonely);
    if (need_design && !d->weight && !d->unweighted)
        return usage(diag,
                     "a design needs --weight COLUMN (or --weight 1 for an "
                     "unweighted analysis)%s",
                     "");
    return GRAFT_OK;
}

graft_error_t cli_input_init(cli_input_t *in, const cli_flags_t *f,
                             int need_design, graft_diag_t *diag)
{
    graft_error_t rc;
    memset(in, 0, sizeof *in);
    if (f->survey &&
        (rc = graft_survey_load(f->survey, &in->survey, diag)) != GRAFT_OK)
        return rc;
    in->data = f->data ? f->data : in->survey ? in->survey->data : NULL;
    if (!in->data)
        return usage(diag,
                     "no data file: give one, or a survey file with "
                     "data = FILE%s",
                     "");
    if (in->survey) {
        in->read.delim = in->survey->delim;
        in->read.labels = in->survey->labels;
        in->read.n_labels = in->survey->n_labels;
    }
    if (f->delim && !parse_delim(f->delim, &in->read.delim))
        return usage(diag, "--delim: '%s' must be ',', ';' or tab", f->delim);
    if ((rc = merge_missing(in, f, diag)) != GRAFT_OK ||
        (rc = merge_design(in, f, need_design, diag)) != GRAFT_OK)
        return rc;
    /* Codes meant for every column do not touch the design's columns. */
    size_t n = 0;
    const graft_design_spec_t *d = &in->design;
    if (d->weight)
        in->exempt[n++] = d->weight;
    for (size_t i = 0; i < d->n_strata; i++)
        in->exempt[n++] = d->strata[i];
    if (d->psu)
        in->exempt[n++] = d->psu;
    if (d->fpc)
        in->exempt[n++] = d->fpc;
    if (d->cal) {
        in->exempt[n++] = d->cal->design_weight;
        if (d->cal->calibrated_weight)
            in->exempt[n++] = d->cal->calibrated_weight;
    }
    in->read.exempt = in->exempt;
    in->read.n_exempt = n;
    in->read.threads = cli_env_threads();
    cli_progress_attach(&in->progress, &in->read);
    return GRAFT_OK;
}

void cli_input_free(cli_input_t *in)
{
    cli_progress_done(&in->progress);
    graft_survey_free(in->survey);
    free(in->missing);
    free(in->cli_codes);
    free(in->rscales);
    free(in->strata_buf);
    memset(in, 0, sizeof *in);
}

/* ---- outputs that would overwrite an input ---------------------------- */

int cli_same_file(const char *output, const char *input)
{
    struct stat out, in;
    if (!output || !input || strcmp(output, "-") == 0 ||
        stat(output, &out) != 0 || !S_ISREG(out.st_mode) ||
        stat(input, &in) != 0)
        return 0;
    return out.st_dev == in.st_dev && out.st_ino == in.st_ino;
}

int cli_output_not_file(const char *output, const char *input,
                        const char *what)
{
    if (!cli_same_file(output, input))
        return -1;
    return cli_usage_error("-o %s is the %s %s: refusing to overwrite it",
                           output, what, input);
}

int cli_output_not_input(const char *output, const cli_input_t *in,
                         const char *analysis)
{
    int status;
    if ((status = cli_output_not_file(output, in->data,
                                      "input data file")) >= 0 ||
        (status = cli_output_not_file(
             output, in->survey ? in->survey->path : NULL, "survey file")) >=
            0 ||
        (status = cli_output_not_file(output, in->rscales_file,
                                      "--rscales file")) >= 0)
        return status;
    return cli_output_not_file(output, analysis, "analysis file");
}

char *cli_command_line(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    strcpy(s, "made by: graft");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

/* 1 when PATH begins with "; made by: graft CMD". */
static int written_by(const char *path, const char *cmd)
{
    char mark[64], head[64];
    int len = snprintf(mark, sizeof mark, "; made by: graft %s", cmd);
    if (len < 0 || (size_t)len >= sizeof mark)
        return 0;
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(head, 1, (size_t)len, fp) : 0;
    if (fp)
        fclose(fp);
    return n == (size_t)len && memcmp(head, mark, n) == 0;
}

int cli_keep_foreign_ini(const char *cmd, const char *ini, int force)
{
    struct stat st;
    if (force || lstat(ini, &st) != 0 || written_by(ini, cmd))
        return -1;
    return cli_usage_error("%s: %s exists and was not written by graft %s: "
                           "refusing to replace it (--force replaces it)",
                           cmd, ini, cmd);
}
