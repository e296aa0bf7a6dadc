/*
 * weight_write.c - `graft weight`'s outputs (graft/weight.h): the data
 * again with the new weight columns, the survey file beside it, and
 * graft_weight_file() that runs the job.  The report is weight_report.c.
 */
#include "graft/weight.h"
#include "graft/output.h"
#include "graft/replicate.h"
#include "stats/weight_internal.h"
#include "write/csvout.h"
#include "write/survey_ini.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct wout {
    graft_wjob_t *job;
    const graft_weight_out_t *out;
    const graft_read_opts_t *read;  /* as pass 1 read (for [missing]) */
    graft_outfile_t csv, ini;
    size_t row;                     /* rows written */
} wout_t;

static graft_error_t nomem(graft_diag_t *diag, const char *file)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, file, 0, 0, "out of memory");
}

/* ---- the survey file ------------------------------------------------------------ */

static void ini_key(FILE *fp, const char *key, const char *value)
{
    fprintf(fp, "%s = ", key);
    graft_ini_text(fp, value);
    fputc('\n', fp);
}

static void write_survey(FILE *fp, const wout_t *o)
{
    const graft_weight_out_t *w = o->out;
    const char *base = strrchr(w->path, '/');
    fputs("[survey]\n", fp);
    if (w->survey_name)
        ini_key(fp, "name", w->survey_name);
    if (w->round)
        ini_key(fp, "round", w->round);
    if (w->year)
        fprintf(fp, "year = %ld\n", w->year);
    ini_key(fp, "data", base ? base + 1 : w->path);
    fputs("delim = ,\n", fp);
}

static void write_replicates(FILE *fp, const wout_t *o)
{
    const graft_rep_spec_t *r = &o->job->spec->rep;
    size_t first = 1 + (size_t)(o->job->opts->calibrate && o->job->opts->trim);
    char num[64];
    fputs("repweights = ", fp);
    for (size_t k = first; k < o->job->n_new; k++)
        fprintf(fp, "%s%s", k > first ? "," : "", o->job->new_cols[k]);
    fprintf(fp, "\nreptype = %s\n", graft_reptype_name(r->type));
    if (!isnan(r->scale))
        fprintf(fp, "scale = %s\n", graft_shortest_number(r->scale, num,
                                                          sizeof num));
    for (size_t i = 0; i < r->n_rscales; i++)
        fprintf(fp, "%s%s", i ? ", " : "rscales = ",
                graft_shortest_number(r->rscales[i], num, sizeof num));
    if (r->n_rscales)
        fputc('\n', fp);
    if (!isnan(r->rho))
        fprintf(fp, "rho = %s\n", graft_shortest_number(r->rho, num,
                                                        sizeof num));
    fprintf(fp, "mse = %s\n", r->mse ? "true" : "false");
}

static void write_design(FILE *fp, const wout_t *o)
{
    const graft_design_spec_t *s = o->job->spec;
    fputs("\n[design]\n", fp);
    ini_key(fp, "weight", o->job->new_cols[0]);
    for (size_t i = 0; i < s->n_strata; i++)
        fprintf(fp, "%s%s", i ? "," : "strata = ", s->strata[i]);
    if (s->n_strata)
        fputc('\n', fp);
    if (s->psu)
        ini_key(fp, "psu", s->psu);
    if (s->fpc)
        ini_key(fp, "fpc", s->fpc);
    fprintf(fp, "nest = %s\n", s->nest ? "true" : "false");
    ini_key(fp, "lonely_psu", graft_lonely_name(s->lonely));
    if (o->job->n_rep)
        write_replicates(fp, o);
}

static void write_bounds(FILE *fp, const char *key, double lo, double hi)
{
    char a[64], b[64];
    fprintf(fp, "%s = %s, %s\n", key,
            isfinite(lo) ? graft_shortest_number(lo, a, sizeof a) : "-Inf",
            isfinite(hi) ? graft_shortest_number(hi, b, sizeof b) : "Inf");
}

static void write_calibration(FILE *fp, const wout_t *o)
{
    const graft_wjob_t *j = o->job;
    const graft_cal_opts_t *c = &j->opts->cal;
    if (!j->opts->calibrate) {
        write_bounds(fp, "; the weight trimmed as R's trimWeights; trim",
                     j->opts->trim_lower, j->opts->trim_upper);
        return;
    }
    fputs("\n[calibration]\n", fp);
    ini_key(fp, "method", graft_cal_method_name(c->method));
    ini_key(fp, "design_weight", j->spec->weight);
    ini_key(fp, "calibrated_weight", o->job->new_cols[j->opts->trim ? 1 : 0]);
    fputs("margins = ", fp);
    for (size_t m = 0; m < j->n_margins; m++)
        fprintf(fp, "%s%s", m ? "; " : "",
                graft_margins_margin(j->margins[m])->name);
    fputs("\nfiles = ", fp);
    for (size_t m = 0; m < j->n_margins; m++) {
        fputs(m ? ", " : "", fp);
        graft_ini_text(fp, o->out->files ? o->out->files[m]
                                         : graft_margins_margin(
                                               j->margins[m])->file);
    }
    fputc('\n', fp);
    if (isfinite(c->lower) || isfinite(c->upper))
        write_bounds(fp, "bounds", c->lower, c->upper);
    fprintf(fp, "tolerance = %g\nmax_iter = %zu\n",
            c->tolerance > 0 ? c->tolerance : GRAFT_CAL_TOLERANCE,
            c->max_iter ? c->max_iter : (size_t)GRAFT_CAL_MAX_ITER);
    if (j->opts->trim)
        write_bounds(fp, "trim", j->opts->trim_lower, j->opts->trim_upper);
}

static void write_texts(FILE *fp, const char *section, char *const *names,
                        char *const *texts, size_t n)
{
    if (!n)
        return;
    fprintf(fp, "\n[%s]\n", section);
    for (size_t i = 0; i < n; i++) {
        graft_ini_text(fp, names[i]);
        fputs(" = ", fp);
        graft_ini_text(fp, texts[i]);
        fputc('\n', fp);
    }
}

static void write_derive(FILE *fp, const graft_weight_out_t *w)
{
    if (!w->n_derived)
        return;
    fputs("\n[derive]\n", fp);
    for (size_t i = 0; i < w->n_derived; i++) {
        graft_ini_text(fp, w->derived[i].name);
        fputs(" = ", fp);
        graft_ini_text(fp, w->derived[i].expr);
        fputc('\n', fp);
    }
}

static void write_ini(wout_t *o, const graft_column_t *cols, size_t ncols)
{
    FILE *fp = o->ini.fp;
    /* the first line marks the file as graft weight's */
    fputs("; ", fp);
    graft_ini_text(fp, o->out->command ? o->out->command
                                       : "made by: graft weight");
    fputc('\n', fp);
    write_survey(fp, o);
    write_design(fp, o);
    write_calibration(fp, o);
    int header = 0;
    for (size_t c = 0; c < ncols; c++)
        graft_ini_column_missing(fp, o->read, cols[c].name, &header);
    for (size_t c = 0; c < ncols; c++)
        graft_ini_column_labels(fp, &cols[c]);
    write_derive(fp, o->out);
    write_texts(fp, "questions", o->out->question_names, o->out->questions,
                o->out->n_questions);
}

/* ---- pass 2: the data ---------------------------------------------------------------- */

static graft_error_t pass2_header(void *ctx, const graft_column_t *cols,
                                  size_t ncols, graft_diag_t *diag)
{
    wout_t *o = ctx;
    graft_error_t rc = graft_wjob_check_names(o->job, cols, ncols, diag);
    if (rc != GRAFT_OK)
        return rc;
    for (size_t c = 0; c < ncols; c++)
        graft_csv_field(o->csv.fp, cols[c].name, c > 0);
    for (size_t k = 0; k < o->job->n_new; k++)
        graft_csv_field(o->csv.fp, o->job->new_cols[k], 1);
    fputc('\n', o->csv.fp);
    write_ini(o, cols, ncols);
    return GRAFT_OK;
}

/* A cell as it was read: CSV cells (and strings) as their text, other
 * formats' numbers in the shortest form that reads back exactly. */
static void write_cell(FILE *fp, const graft_cell_t *c, int sep)
{
    char num[64];
    if (c->str)
        graft_csv_field(fp, c->str, sep);
    else if (c->kind == GRAFT_CELL_NUMBER)
        graft_csv_field(fp, graft_shortest_number(c->num, num, sizeof num),
                        sep);
    else
        graft_csv_field(fp, NULL, sep);
}

static void write_number(FILE *fp, double x)
{
    char num[64];
    fputc(',', fp);
    fputs(graft_shortest_number(x, num, sizeof num), fp);
}

static graft_error_t pass2_row(void *ctx, const graft_cell_t *cells,
                               size_t ncols, unsigned long line,
                               graft_diag_t *diag)
{
    wout_t *o = ctx;
    const graft_wjob_t *j = o->job;
    if (o->row >= j->n)
        return graft_diag_set(diag, GRAFT_ERR_READ, j->data, line, 0,
                              "the file changed while graft read it (more "
                              "rows than the first time)");
    for (size_t c = 0; c < ncols; c++)
        write_cell(o->csv.fp, &cells[c], c > 0);
    write_number(o->csv.fp, j->w_final[o->row]);
    if (j->opts->calibrate && j->opts->trim)
        write_number(o->csv.fp, j->w_cal[o->row]);
    for (size_t r = 0; r < j->n_rep; r++)
        write_number(o->csv.fp, j->repw_cal ? j->repw_cal[o->row * j->n_rep + r]
                                            : j->repw[o->row * j->n_rep + r]);
    fputc('\n', o->csv.fp);
    o->row++;
    return GRAFT_OK;
}

/* Read the data again, every column, its values as they are (no missing
 * codes applied), and write it with the new columns. */
static graft_error_t write_data(wout_t *o, graft_diag_t *diag)
{
    graft_read_opts_t read = *o->read;
    read.missing = NULL;
    read.n_missing = 0;
    read.uses = NULL;
    read.bare_values = 0;
    graft_error_t rc =
        graft_read(o->job->data, &read, pass2_header, pass2_row, o, diag);
    if (rc == GRAFT_OK && o->row != o->job->n)
        rc = graft_diag_set(diag, GRAFT_ERR_READ, o->job->data, 0, 0,
                            "the file changed while graft read it (fewer "
                            "rows than the first time)");
    return rc;
}

/* ---- the job --------------------------------------------------------------------------- */

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static graft_error_t check_out(const char *data, const graft_weight_out_t *o,
                               const char *ini, graft_margins_t *const *ms,
                               size_t n_ms, graft_diag_t *diag)
{
    if (!o->path || strcmp(o->path, "-") == 0)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "weight writes a file and a survey file beside "
                              "it: give -o FILE");
    if (!ini)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "-o '%s': give a data file name such as "
                              "OUT.csv (the survey file OUT.ini is written "
                              "beside it)",
                              o->path);
    /* statistical formats and spreadsheets: CSV under such a name would
     * be CSV in disguise */
    static const char *const stat_ext[] = {".sav", ".zsav", ".por", ".dta",
                                           ".sas7bdat", ".xpt", ".xlsx",
                                           ".xls", ".ods"};
    const char *dot = strrchr(o->path, '.');
    for (size_t i = 0; dot && i < sizeof stat_ext / sizeof *stat_ext; i++)
        if (strcmp(dot, stat_ext[i]) == 0)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                                  "-o '%s': weight writes CSV (give a .csv "
                                  "name)",
                                  o->path);
    int clash = same_file(o->path, data) || same_file(ini, data) ||
                (o->survey && (same_file(o->path, o->survey) ||
                               same_file(ini, o->survey)));
    for (size_t m = 0; m < n_ms; m++) {
        const char *f = graft_margins_margin(ms[m])->file;
        clash = clash || same_file(o->path, f) || same_file(ini, f);
    }
    if (clash)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "-o '%s' (or its survey file %s) would "
                              "overwrite an input",
                              o->path, ini);
    return GRAFT_OK;
}

/* Commit the CSV, then the survey file; if the survey file fails, the
 * CSV goes too. */
static graft_error_t commit_both(wout_t *o, graft_diag_t *diag)
{
    size_t n = strlen(o->out->path) + 1;
    char *csv_path = malloc(n);
    if (!csv_path)
        return nomem(diag, o->out->path);
    memcpy(csv_path, o->out->path, n);
    graft_error_t rc = graft_outfile_commit(&o->csv, diag);
    if (rc == GRAFT_OK && (rc = graft_outfile_commit(&o->ini, diag)) !=
                              GRAFT_OK)
        unlink(csv_path);
    free(csv_path);
    return rc;
}

static graft_error_t check_job(const graft_design_spec_t *spec,
                               size_t n_margins,
                               const graft_weight_opts_t *opts,
                               graft_diag_t *diag)
{
    if (!spec->weight)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "weight needs a design weight column "
                              "(--weight COL; for equal weights add a column "
                              "of 1s)");
    if (opts->calibrate && !n_margins)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "calibration needs --margins FILE[,FILE...]");
    if (n_margins > GRAFT_WEIGHT_MAX_MARGINS)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "at most %d margins files",
                              GRAFT_WEIGHT_MAX_MARGINS);
    return GRAFT_OK;
}

graft_error_t graft_weight_file(const char *data,
                                const graft_read_opts_t *read,
                                const graft_design_spec_t *spec,
                                graft_margins_t *const *margins,
                                size_t n_margins,
                                const graft_weight_opts_t *opts,
                                const graft_weight_out_t *out,
                                graft_weight_report_t *report,
                                graft_diag_t *diag)
{
    static const graft_read_opts_t defaults;
    graft_wjob_t j = {0};
    wout_t o = {0};
    graft_error_t rc;
    memset(report, 0, sizeof *report);
    report->data = data;
    report->output = out->path;
    j.data = data;
    j.read = read ? read : &defaults;
    j.spec = spec;
    j.margins = margins;
    j.n_margins = opts->calibrate ? n_margins : 0;
    j.opts = opts;
    j.name = out->name;
    j.derived = out->derived;
    j.n_derived = out->n_derived;
    o.job = &j;
    o.out = out;
    o.read = j.read;
    const char *ini = out->path ? graft_replicate_ini_path(
                                      out->path, report->ini_path,
                                      sizeof report->ini_path)
                                : NULL;
    if ((rc = check_job(spec, j.n_margins, opts, diag)) == GRAFT_OK &&
        (rc = check_out(data, out, ini, margins, j.n_margins, diag)) ==
            GRAFT_OK &&
        (rc = graft_wjob_read(&j, diag)) == GRAFT_OK &&
        (rc = graft_wjob_weigh(&j, diag)) == GRAFT_OK &&
        (rc = graft_outfile_open(&o.csv, out->path, diag)) == GRAFT_OK &&
        (rc = graft_outfile_open(&o.ini, ini, diag)) == GRAFT_OK &&
        (rc = write_data(&o, diag)) == GRAFT_OK &&
        (rc = graft_weight_report_fill(&j, j.new_cols, report, diag)) ==
            GRAFT_OK &&
        (!out->before_commit ||
         (rc = out->before_commit(out->before_commit_arg, report, diag)) ==
             GRAFT_OK))
        rc = commit_both(&o, diag);
    if (rc != GRAFT_OK) {
        graft_outfile_abort(&o.csv);
        graft_outfile_abort(&o.ini);
    }
    graft_wjob_free(&j);
    return rc;
}
