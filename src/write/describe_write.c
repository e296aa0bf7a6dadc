/*
 * describe_write.c - `graft describe` output as text, CSV or JSON.
 */
#include "graft/describe.h"
#include "write/csvout.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

int graft_format_parse(const char *name, graft_format_t *out)
{
    static const char *const names[] = {"text", "csv", "json"};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (graft_format_t)i;
            return 1;
        }
    return 0;
}

static const char *type_name(graft_coltype_t t)
{
    switch (t) {
    case GRAFT_COL_NUMERIC:
        return "numeric";
    case GRAFT_COL_STRING:
        return "string";
    default:
        return "empty";
    }
}

static void value_text(const graft_value_count_t *v, char *buf, size_t n)
{
    if (v->kind == GRAFT_CELL_STRING)
        snprintf(buf, n, "%s", v->str);
    else
        snprintf(buf, n, "%.15g", v->num);
}

static void design_line(FILE *fp, const graft_describe_t *d)
{
    const graft_design_spec_t *s = &d->spec;
    fprintf(fp, "design: weight %s", s->unweighted ? "1 (unweighted)"
                                                   : s->weight);
    fprintf(fp, ", strata ");
    if (s->n_strata == 0)
        fprintf(fp, "none");
    for (size_t i = 0; i < s->n_strata; i++)
        fprintf(fp, "%s%s", i ? "," : "", s->strata[i]);
    fprintf(fp, ", psu %s%s, fpc %s, lonely-psu %s\n",
            s->psu ? s->psu : "none (each row)",
            s->psu && s->nest ? " (nested)" : "", s->fpc ? s->fpc : "none",
            graft_lonely_name(s->lonely));
}

/* ---- text ------------------------------------------------------------ */

static void write_text(FILE *fp, const graft_describe_t *d)
{
    const graft_design_summary_t *g = &d->design;
    fprintf(fp, "file: %s\n", d->file);
    fprintf(fp, "rows: %zu, columns: %zu\n", d->n_rows, d->n_cols);
    design_line(fp, d);

    fprintf(fp, "\nWeights\n");
    fprintf(fp, "  sum                  %.10g\n", g->sum_w);
    fprintf(fp, "  min / mean / max     %.6g / %.6g / %.6g\n", g->min_w,
            g->mean_w, g->max_w);
    fprintf(fp, "  coefficient of var.  %.4f\n", g->cv_w);
    fprintf(fp, "  Kish effective n     %.1f\n", g->kish_n);
    fprintf(fp, "  zero weights         %zu\n", g->n_zero_weight);

    fprintf(fp, "\nDesign\n");
    fprintf(fp, "  strata               %zu\n", g->n_strata);
    fprintf(fp, "  PSUs                 %zu%s\n", g->n_psu,
            d->spec.psu ? "" : " (each row is a PSU)");
    fprintf(fp, "  PSUs per stratum     min %zu, median %g, max %zu\n",
            g->psu_min, g->psu_median, g->psu_max);
    fprintf(fp, "  single-PSU strata    %zu", g->n_lonely);
    for (size_t i = 0; i < d->n_lonely; i++)
        fprintf(fp, "%s'%s'", i ? ", " : ": ", d->lonely[i]);
    fprintf(fp, "\n  degrees of freedom   %ld\n", g->df);
    if (d->n_rep)
        fprintf(fp, "  replicate weights    %zu columns ('%s'), %s, scale %.6g, "
                    "df %ld (rank - 1)\n",
                d->n_rep, d->spec.rep.columns,
                graft_reptype_name(d->spec.rep.type), d->rep_scale,
                d->rep_df);
    if (g->n_lonely && d->spec.lonely == GRAFT_LONELY_FAIL)
        fprintf(fp, "  note: under --lonely-psu fail, variance estimation "
                    "stops at the single-PSU strata; choose remove, "
                    "certainty, adjust or average\n");

    fprintf(fp, "\nColumns\n");
    for (size_t i = 0; i < d->n_cols; i++) {
        const graft_column_desc_t *c = &d->cols[i];
        fprintf(fp, "  %-20s %-8s missing %zu", c->name, type_name(c->type),
                c->n_missing);
        if (c->overflow)
            fprintf(fp, ", more than %d distinct",
                    GRAFT_DESCRIBE_MAX_VALUES);
        else
            fprintf(fp, ", %zu distinct", c->n_distinct);
        if (c->type == GRAFT_COL_NUMERIC)
            fprintf(fp, ", range %.10g .. %.10g", c->min, c->max);
        if (c->label)
            fprintf(fp, "  \"%s\"", c->label);
        fputc('\n', fp);
        for (size_t k = 0; !c->overflow && k < c->n_distinct; k++) {
            char v[64];
            value_text(&c->values[k], v, sizeof v);
            fprintf(fp, "      %-12s %-34s %10zu\n", v,
                    c->values[k].label ? c->values[k].label : "",
                    c->values[k].count);
        }
    }
}

/* ---- CSV: section,column,key,label,value ------------------------------ */

static void csv_row(FILE *fp, const char *section, const char *column,
                    const char *key, const char *label, const char *value)
{
    graft_csv_field(fp, section, 0);
    graft_csv_field(fp, column, 1);
    graft_csv_field(fp, key, 1);
    graft_csv_field(fp, label, 1);
    graft_csv_field(fp, value, 1);
    fputc('\n', fp);
}

static void csv_num(FILE *fp, const char *section, const char *column,
                    const char *key, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", v);
    csv_row(fp, section, column, key, "", buf);
}

static void write_csv(FILE *fp, const graft_describe_t *d)
{
    const graft_design_summary_t *g = &d->design;
    fputs("section,column,key,label,value\n", fp);
    csv_num(fp, "data", "", "rows", (double)d->n_rows);
    csv_num(fp, "data", "", "columns", (double)d->n_cols);
    csv_num(fp, "weights", "", "sum", g->sum_w);
    csv_num(fp, "weights", "", "min", g->min_w);
    csv_num(fp, "weights", "", "mean", g->mean_w);
    csv_num(fp, "weights", "", "max", g->max_w);
    csv_num(fp, "weights", "", "cv", g->cv_w);
    csv_num(fp, "weights", "", "kish_n", g->kish_n);
    csv_num(fp, "weights", "", "zero", (double)g->n_zero_weight);
    csv_num(fp, "design", "", "strata", (double)g->n_strata);
    csv_num(fp, "design", "", "psus", (double)g->n_psu);
    csv_num(fp, "design", "", "psu_min", (double)g->psu_min);
    csv_num(fp, "design", "", "psu_median", g->psu_median);
    csv_num(fp, "design", "", "psu_max", (double)g->psu_max);
    csv_num(fp, "design", "", "single_psu_strata", (double)g->n_lonely);
    csv_num(fp, "design", "", "df", (double)g->df);
    if (d->n_rep) {
        csv_num(fp, "replicates", "", "columns", (double)d->n_rep);
        csv_row(fp, "replicates", "", "type", "",
                graft_reptype_name(d->spec.rep.type));
        csv_num(fp, "replicates", "", "scale", d->rep_scale);
        csv_num(fp, "replicates", "", "df", (double)d->rep_df);
    }
    for (size_t i = 0; i < d->n_lonely; i++)
        csv_row(fp, "single_psu_stratum", "", d->lonely[i], "", "1");
    for (size_t i = 0; i < d->n_cols; i++) {
        const graft_column_desc_t *c = &d->cols[i];
        csv_row(fp, "column", c->name, "type", c->label ? c->label : "",
                type_name(c->type));
        csv_num(fp, "column", c->name, "missing", (double)c->n_missing);
        if (!c->overflow)
            csv_num(fp, "column", c->name, "distinct",
                    (double)c->n_distinct);
        for (size_t k = 0; !c->overflow && k < c->n_distinct; k++) {
            char v[64], n[32];
            value_text(&c->values[k], v, sizeof v);
            snprintf(n, sizeof n, "%zu", c->values[k].count);
            csv_row(fp, "value", c->name, v,
                    c->values[k].label ? c->values[k].label : "", n);
        }
    }
}

/* ---- JSON (jansson) --------------------------------------------------- */

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *design_json(const graft_describe_t *d)
{
    const graft_design_summary_t *g = &d->design;
    const graft_design_spec_t *s = &d->spec;
    json_t *strata = json_array(), *lonely = json_array();
    for (size_t i = 0; i < s->n_strata; i++)
        json_array_append_new(strata, json_string(s->strata[i]));
    for (size_t i = 0; i < d->n_lonely; i++)
        json_array_append_new(lonely, json_string(d->lonely[i]));
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:b, s:s, s:I, s:I, s:I, s:f, s:I, s:o, s:I}",
        "weight", s->unweighted ? json_integer(1) : json_string(s->weight),
        "strata_columns", strata,
        "psu", s->psu ? json_string(s->psu) : json_null(),
        "fpc", s->fpc ? json_string(s->fpc) : json_null(),
        "nest", s->nest,
        "lonely_psu", graft_lonely_name(s->lonely),
        "strata", (json_int_t)g->n_strata,
        "psus", (json_int_t)g->n_psu,
        "psu_min", (json_int_t)g->psu_min,
        "psu_median", g->psu_median,
        "psu_max", (json_int_t)g->psu_max,
        "single_psu_strata", lonely,
        "df", (json_int_t)g->df);
}

static json_t *column_json(const graft_column_desc_t *c)
{
    json_t *col = json_pack("{s:s, s:o, s:s, s:I}", "name", c->name, "label",
                            c->label ? json_string(c->label) : json_null(),
                            "type", type_name(c->type), "missing",
                            (json_int_t)c->n_missing);
    if (!col)
        return NULL;
    if (c->type == GRAFT_COL_NUMERIC) {
        json_object_set_new(col, "min", num_or_null(c->min));
        json_object_set_new(col, "max", num_or_null(c->max));
    }
    if (c->overflow) {
        json_object_set_new(col, "distinct", json_null());
        return col;
    }
    json_object_set_new(col, "distinct", json_integer((json_int_t)c->n_distinct));
    json_t *values = json_array();
    for (size_t k = 0; k < c->n_distinct; k++) {
        const graft_value_count_t *v = &c->values[k];
        json_array_append_new(
            values,
            json_pack("{s:o, s:o, s:I}", "value",
                      v->kind == GRAFT_CELL_STRING ? json_string(v->str)
                                                   : json_real(v->num),
                      "label", v->label ? json_string(v->label) : json_null(),
                      "count", (json_int_t)v->count));
    }
    json_object_set_new(col, "values", values);
    return col;
}

static json_t *describe_json(const graft_describe_t *d)
{
    const graft_design_summary_t *g = &d->design;
    json_t *cols = json_array();
    for (size_t i = 0; i < d->n_cols; i++)
        json_array_append_new(cols, column_json(&d->cols[i]));
    json_t *weights = json_pack(
        "{s:f, s:o, s:o, s:o, s:o, s:f, s:I}", "sum", g->sum_w, "min",
        num_or_null(g->min_w), "mean", num_or_null(g->mean_w), "max",
        num_or_null(g->max_w), "cv", num_or_null(g->cv_w), "kish_n",
        g->kish_n, "zero", (json_int_t)g->n_zero_weight);
    json_t *design = design_json(d);
    if (design && d->n_rep)
        json_object_set_new(
            design, "replicates",
            json_pack("{s:I, s:s, s:s, s:f, s:I}", "columns",
                      (json_int_t)d->n_rep, "pattern", d->spec.rep.columns,
                      "type", graft_reptype_name(d->spec.rep.type), "scale",
                      d->rep_scale, "df", (json_int_t)d->rep_df));
    return json_pack("{s:s, s:I, s:I, s:o, s:o, s:o}", "file", d->file, "rows",
                     (json_int_t)d->n_rows, "columns", (json_int_t)d->n_cols,
                     "weights", weights, "design", design, "variables", cols);
}

graft_error_t graft_describe_write(FILE *fp, const graft_describe_t *d,
                                   graft_format_t format, graft_diag_t *diag)
{
    if (format == GRAFT_FORMAT_TEXT) {
        write_text(fp, d);
    } else if (format == GRAFT_FORMAT_CSV) {
        write_csv(fp, d);
    } else {
        json_t *root = describe_json(d);
        if (!root)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory building JSON");
        int rc = json_dumpf(root, fp,
                            JSON_INDENT(2) | JSON_REAL_PRECISION(17) |
                                JSON_PRESERVE_ORDER);
        json_decref(root);
        fputc('\n', fp);
        if (rc != 0)
            return graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                                  "cannot write JSON");
    }
    return ferror(fp) ? graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                                       "write error")
                      : GRAFT_OK;
}
