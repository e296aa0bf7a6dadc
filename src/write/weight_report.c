/*
 * weight_report.c - the weighting report of `graft weight`
 * (graft/weight.h): the weights before and after, each margin cell's
 * target against what the weights achieve, the calibration's iterations
 * and the g-weights outside the bounds.  Text, a long CSV table
 * (part,name,statistic,value) through the table writer, or JSON.
 */
#include "graft/weight.h"
#include "stats/weight_internal.h"
#include "write/table_writer.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- filling it ------------------------------------------------------------ */

static graft_error_t fill_cells(const graft_wjob_t *j,
                                graft_weight_report_t *r, graft_diag_t *diag)
{
    size_t n = 0;
    for (size_t m = 0; m < j->n_margins; m++)
        n += graft_margins_margin(j->margins[m])->n_cells;
    if (n && !(r->cells = calloc(n, sizeof *r->cells)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    r->n_cells = n;
    graft_weight_cell_t *c = r->cells;
    for (size_t m = 0; m < j->n_margins; m++) {
        const graft_margin_t *mg = graft_margins_margin(j->margins[m]);
        for (size_t k = 0; k < mg->n_cells; k++) {
            c[k].margin = mg->name;
            c[k].cell = mg->cell_names[k];
            c[k].n = graft_margins_cell_rows(j->margins[m], k);
            c[k].target = mg->totals[k];
        }
        for (size_t i = 0; i < j->n; i++) {
            graft_weight_cell_t *x = &c[j->cells[m][i]];
            x->before += j->w[i];
            x->calibrated += j->w_cal[i];
            x->after += j->w_final[i];
        }
        c += mg->n_cells;
    }
    return GRAFT_OK;
}

static graft_error_t fill_names(const graft_wjob_t *j,
                                const char *const *new_cols,
                                graft_weight_report_t *r, graft_diag_t *diag)
{
    int untrimmed = j->opts->calibrate && j->opts->trim;
    size_t len = strlen(j->spec->weight) + strlen(new_cols[0]) + 2 +
                 (untrimmed ? strlen(new_cols[1]) + 1 : 0);
    if (!(r->names_buf = malloc(len)))
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    char *p = r->names_buf;
    r->design_weight = p;
    p += sprintf(p, "%s", j->spec->weight) + 1;
    r->new_weight = p;
    p += sprintf(p, "%s", new_cols[0]) + 1;
    if (untrimmed) {
        r->untrimmed = p;
        sprintf(p, "%s", new_cols[1]);
    }
    return GRAFT_OK;
}

graft_error_t graft_weight_report_fill(const graft_wjob_t *j,
                                       const char *const *new_cols,
                                       graft_weight_report_t *r,
                                       graft_diag_t *diag)
{
    graft_error_t rc;
    r->opts = *j->opts;
    r->cal = j->cal;
    r->n_trimmed = j->n_trimmed;
    r->n_outside = j->n_outside;
    r->n_rep = j->opts->calibrate ? j->n_rep : 0;
    r->ini = r->ini_path;
    if ((rc = fill_names(j, new_cols, r, diag)) != GRAFT_OK ||
        (rc = graft_weight_stats(j->n, j->w, &r->before, diag)) != GRAFT_OK ||
        (rc = graft_weight_stats(j->n, j->w_cal, &r->calibrated, diag)) !=
            GRAFT_OK ||
        (rc = graft_weight_stats(j->n, j->w_final, &r->after, diag)) !=
            GRAFT_OK)
        return rc;
    return fill_cells(j, r, diag);
}

void graft_weight_report_free(graft_weight_report_t *r)
{
    if (!r)
        return;
    free(r->cells);
    free(r->names_buf);
    r->cells = NULL;
    r->names_buf = NULL;
}

/* ---- text ---------------------------------------------------------------- */

static double rel_error(double achieved, double target)
{
    return target != 0 ? (achieved - target) / target : NAN;
}

static void text_stats(FILE *fp, const char *label, const char *col,
                       const graft_weight_stats_t *s)
{
    fprintf(fp, "  %-11s %-22s %12.6g %12.6g %12.6g %12.10g %7.4f %10.1f %7.4f\n",
            label, col, s->min, s->median, s->max, s->sum, s->cv, s->kish_n,
            s->deff);
}

static void text_run(FILE *fp, const graft_weight_report_t *r)
{
    const graft_weight_opts_t *o = &r->opts;
    if (o->calibrate) {
        fprintf(fp, "calibration: %s, %zu iteration%s, %s; largest relative "
                    "error %.3g",
                graft_cal_method_name(o->cal.method), r->cal.iterations,
                r->cal.iterations == 1 ? "" : "s",
                r->cal.converged ? "converged" : "NOT converged",
                r->cal.worst_rel_error);
        if (isfinite(o->cal.lower) || isfinite(o->cal.upper))
            fprintf(fp, "; g outside [%g, %g]: %zu", o->cal.lower,
                    o->cal.upper, r->n_outside);
        fputc('\n', fp);
    }
    if (r->n_rep)
        fprintf(fp, "replicate weights calibrated: %zu\n", r->n_rep);
    if (o->trim)
        fprintf(fp, "trimmed to [%g, %g]%s: %zu row%s\n", o->trim_lower,
                o->trim_upper, o->trim_strict ? " (strict)" : "",
                r->n_trimmed, r->n_trimmed == 1 ? "" : "s");
}

static void write_text(FILE *fp, const graft_weight_report_t *r)
{
    fprintf(fp, "graft weight: %s -> %s (survey file %s)\n", r->data,
            r->output, r->ini);
    text_run(fp, r);
    fprintf(fp, "\nWeights (%zu rows)\n  %-11s %-22s %12s %12s %12s %12s %7s "
                "%10s %7s\n",
            r->before.n, "", "column", "min", "median", "max", "sum", "cv",
            "Kish n", "1+cv^2");
    text_stats(fp, "design", r->design_weight, &r->before);
    if (r->untrimmed)
        text_stats(fp, "calibrated", r->untrimmed, &r->calibrated);
    text_stats(fp, "final", r->new_weight, &r->after);
    if (!r->n_cells)
        return;
    int both = r->untrimmed != NULL;
    fprintf(fp, "\nMargins%-22s %-20s %7s %14s %14s ", "", "cell", "n",
            "target", "design");
    if (both)
        fprintf(fp, "%14s ", "calibrated");
    fprintf(fp, "%14s %10s\n", "achieved", "rel. error");
    for (size_t i = 0; i < r->n_cells; i++) {
        const graft_weight_cell_t *c = &r->cells[i];
        fprintf(fp, "  %-27s %-20s %7zu %14.10g %14.10g ",
                i == 0 || strcmp(c->margin, r->cells[i - 1].margin) != 0
                    ? c->margin
                    : "",
                c->cell, c->n, c->target, c->before);
        if (both)
            fprintf(fp, "%14.10g ", c->calibrated);
        fprintf(fp, "%14.10g %10.2e\n", c->after,
                rel_error(c->after, c->target));
    }
}

/* ---- CSV (and Markdown): part,name,statistic,value --------------------------- */

enum { F_PART, F_NAME, F_STAT, F_VALUE, N_FIELDS };

static const graft_tcol_t long_cols[] = {
    {"part", F_PART, GRAFT_TCOL_TEXT, NULL, -12, 0, 0},
    {"name", F_NAME, GRAFT_TCOL_TEXT, " ", -30, 0, 0},
    {"statistic", F_STAT, GRAFT_TCOL_TEXT, " ", -16, 0, 0},
    {"value", F_VALUE, GRAFT_TCOL_REAL, " ", 18, 1, 0}};

static void long_row(graft_table_t *t, const char *part, const char *name,
                     const char *stat, double v)
{
    graft_tcell_t cells[N_FIELDS];
    memset(cells, 0, sizeof cells);
    cells[F_PART].s = part;
    cells[F_NAME].s = name;
    cells[F_STAT].s = stat;
    cells[F_VALUE].x = v;
    graft_table_row(t, cells);
}

static void long_stats(graft_table_t *t, const char *name,
                       const graft_weight_stats_t *s)
{
    long_row(t, "weights", name, "n", (double)s->n);
    long_row(t, "weights", name, "sum", s->sum);
    long_row(t, "weights", name, "min", s->min);
    long_row(t, "weights", name, "median", s->median);
    long_row(t, "weights", name, "max", s->max);
    long_row(t, "weights", name, "mean", s->mean);
    long_row(t, "weights", name, "cv", s->cv);
    long_row(t, "weights", name, "kish_n", s->kish_n);
    long_row(t, "weights", name, "deff", s->deff);
}

static graft_error_t write_long(FILE *fp, const graft_weight_report_t *r,
                                graft_table_format_t format,
                                graft_diag_t *diag)
{
    graft_table_t t;
    char name[2200];
    graft_table_begin(&t, fp, format, long_cols, N_FIELDS);
    long_stats(&t, r->design_weight, &r->before);
    if (r->untrimmed)
        long_stats(&t, r->untrimmed, &r->calibrated);
    long_stats(&t, r->new_weight, &r->after);
    if (r->opts.calibrate) {
        const char *m = graft_cal_method_name(r->opts.cal.method);
        long_row(&t, "calibration", m, "iterations",
                 (double)r->cal.iterations);
        long_row(&t, "calibration", m, "converged", r->cal.converged);
        long_row(&t, "calibration", m, "worst_rel_error",
                 r->cal.worst_rel_error);
        long_row(&t, "calibration", m, "g_outside_bounds",
                 (double)r->n_outside);
        long_row(&t, "calibration", m, "replicates", (double)r->n_rep);
    }
    if (r->opts.trim)
        long_row(&t, "trim", r->new_weight, "rows_trimmed",
                 (double)r->n_trimmed);
    for (size_t i = 0; i < r->n_cells; i++) {
        const graft_weight_cell_t *c = &r->cells[i];
        snprintf(name, sizeof name, "%s=%s", c->margin, c->cell);
        long_row(&t, "cell", name, "n", (double)c->n);
        long_row(&t, "cell", name, "target", c->target);
        long_row(&t, "cell", name, "design", c->before);
        long_row(&t, "cell", name, "calibrated", c->calibrated);
        long_row(&t, "cell", name, "achieved", c->after);
    }
    return graft_table_end(&t, NULL, NULL, diag);
}

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *json_stats(const char *column, const graft_weight_stats_t *s)
{
    return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "column", column, "n", (json_int_t)s->n, "sum",
                     graft_json_real(s->sum), "min", graft_json_real(s->min),
                     "median", graft_json_real(s->median), "max",
                     graft_json_real(s->max), "mean",
                     graft_json_real(s->mean), "cv", graft_json_real(s->cv),
                     "kish_n", graft_json_real(s->kish_n), "deff",
                     graft_json_real(s->deff));
}

static json_t *json_cells(const graft_weight_report_t *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n_cells; i++) {
        const graft_weight_cell_t *c = &r->cells[i];
        if (json_array_append_new(
                a, json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "margin",
                             c->margin, "cell", c->cell, "n",
                             (json_int_t)c->n, "target",
                             graft_json_real(c->target), "design",
                             graft_json_real(c->before), "calibrated",
                             graft_json_real(c->calibrated), "achieved",
                             graft_json_real(c->after))) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *json_report(const graft_weight_report_t *r)
{
    const graft_weight_opts_t *o = &r->opts;
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o}", "data", r->data, "output",
        r->output, "survey_file", r->ini, "design",
        json_stats(r->design_weight, &r->before), "calibrated",
        r->untrimmed ? json_stats(r->untrimmed, &r->calibrated) : json_null(),
        "final", json_stats(r->new_weight, &r->after));
    if (root && o->calibrate &&
        json_object_set_new(
            root, "calibration",
            json_pack("{s:s, s:I, s:b, s:o, s:I, s:I, s:o}", "method",
                      graft_cal_method_name(o->cal.method), "iterations",
                      (json_int_t)r->cal.iterations, "converged",
                      r->cal.converged, "worst_rel_error",
                      graft_json_real(r->cal.worst_rel_error),
                      "g_outside_bounds", (json_int_t)r->n_outside,
                      "replicates", (json_int_t)r->n_rep, "cells",
                      json_cells(r))) != 0) {
        json_decref(root);
        return NULL;
    }
    if (root && o->trim &&
        json_object_set_new(root, "trim",
                            json_pack("{s:o, s:o, s:b, s:I}", "lower",
                                      graft_json_real(o->trim_lower), "upper",
                                      graft_json_real(o->trim_upper),
                                      "strict", o->trim_strict, "rows_trimmed",
                                      (json_int_t)r->n_trimmed)) != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

graft_error_t graft_weight_report_write(FILE *fp,
                                        const graft_weight_report_t *r,
                                        graft_table_format_t format,
                                        graft_diag_t *diag)
{
    switch (format) {
    case GRAFT_TABLE_TEXT:
        write_text(fp, r);
        return graft_table_check(fp, diag);
    case GRAFT_TABLE_JSON:
        return graft_json_dump(fp, json_report(r), diag);
    default:
        return write_long(fp, r, format, diag);
    }
}
