/*
 * describe_write.c - `graft describe` output: a text report, or the
 * section,column,key,label,value table (CSV) and a JSON document through
 * the table writer (write/table_writer.h).
 */
#include "graft/describe.h"
#include "base/names.h"
#include "write/table_writer.h"
#include "write/xlsx_internal.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

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
    if (isfinite(g->cv_w))
        fprintf(fp, "  coefficient of var.  %.4f\n", g->cv_w);
    else
        fprintf(fp, "  coefficient of var.  -\n");
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

static const graft_tcol_t csv_cols[] = {
    {.name = "section", .field = 0}, {.name = "column", .field = 1},
    {.name = "key", .field = 2},     {.name = "label", .field = 3},
    {.name = "value", .field = 4}};

static void csv_row(graft_table_t *t, const char *section, const char *column,
                    const char *key, const char *label, const char *value)
{
    const graft_tcell_t cells[] = {{.s = section}, {.s = column}, {.s = key},
                                   {.s = label}, {.s = value}};
    graft_table_row(t, cells);
}

/* A number in full (%.17g), or an empty value when it is undefined, as
 * every CSV graft writes. */
static void csv_num(graft_table_t *t, const char *section, const char *column,
                    const char *key, double v)
{
    char buf[64] = "";
    if (isfinite(v))
        graft_fmt_real(buf, sizeof buf, v);
    /* the workbook has the number itself */
    const graft_tcell_t cells[] = {{.s = section}, {.s = column}, {.s = key},
                                   {.s = ""}, {.s = buf, .x = v, .num = 1}};
    graft_table_row(t, cells);
}

static void csv_summary(graft_table_t *t, const graft_describe_t *d)
{
    const graft_design_summary_t *g = &d->design;
    csv_num(t, "data", "", "rows", (double)d->n_rows);
    csv_num(t, "data", "", "columns", (double)d->n_cols);
    csv_num(t, "weights", "", "sum", g->sum_w);
    csv_num(t, "weights", "", "min", g->min_w);
    csv_num(t, "weights", "", "mean", g->mean_w);
    csv_num(t, "weights", "", "max", g->max_w);
    csv_num(t, "weights", "", "cv", g->cv_w);
    csv_num(t, "weights", "", "kish_n", g->kish_n);
    csv_num(t, "weights", "", "zero", (double)g->n_zero_weight);
    csv_num(t, "design", "", "strata", (double)g->n_strata);
    csv_num(t, "design", "", "psus", (double)g->n_psu);
    csv_num(t, "design", "", "psu_min", (double)g->psu_min);
    csv_num(t, "design", "", "psu_median", g->psu_median);
    csv_num(t, "design", "", "psu_max", (double)g->psu_max);
    csv_num(t, "design", "", "single_psu_strata", (double)g->n_lonely);
    csv_num(t, "design", "", "df", (double)g->df);
    if (d->n_rep) {
        csv_num(t, "replicates", "", "columns", (double)d->n_rep);
        csv_row(t, "replicates", "", "type", "",
                graft_reptype_name(d->spec.rep.type));
        csv_num(t, "replicates", "", "scale", d->rep_scale);
        csv_num(t, "replicates", "", "df", (double)d->rep_df);
    }
}

static void csv_columns(graft_table_t *t, const graft_describe_t *d)
{
    for (size_t i = 0; i < d->n_lonely; i++)
        csv_row(t, "single_psu_stratum", "", d->lonely[i], "", "1");
    for (size_t i = 0; i < d->n_cols; i++) {
        const graft_column_desc_t *c = &d->cols[i];
        csv_row(t, "column", c->name, "type", c->label ? c->label : "",
                type_name(c->type));
        csv_num(t, "column", c->name, "missing", (double)c->n_missing);
        if (!c->overflow)
            csv_num(t, "column", c->name, "distinct",
                    (double)c->n_distinct);
        for (size_t k = 0; !c->overflow && k < c->n_distinct; k++) {
            char v[64], n[32];
            value_text(&c->values[k], v, sizeof v);
            snprintf(n, sizeof n, "%zu", c->values[k].count);
            const graft_tcell_t cells[] = {
                {.s = "value"}, {.s = c->name}, {.s = v},
                {.s = c->values[k].label ? c->values[k].label : ""},
                {.s = n, .x = (double)c->values[k].count, .num = 1}};
            graft_table_row(t, cells);
        }
    }
}

/* ---- JSON (jansson) --------------------------------------------------- */

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
        json_object_set_new(col, "min", graft_json_real(c->min));
        json_object_set_new(col, "max", graft_json_real(c->max));
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
        graft_json_real(g->min_w), "mean", graft_json_real(g->mean_w), "max",
        graft_json_real(g->max_w), "cv", graft_json_real(g->cv_w), "kish_n",
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
                                   graft_table_format_t format,
                                   graft_diag_t *diag)
{
    if (format == GRAFT_TABLE_XLSX)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "xlsx: a workbook is written with "
                              "graft_describe_sheet (graft/xlsx.h)");
    if (format == GRAFT_TABLE_JSON)
        return graft_json_dump(fp, describe_json(d), diag);
    if (format != GRAFT_TABLE_CSV) {
        write_text(fp, d);
        return graft_table_check(fp, diag);
    }
    graft_table_t t;
    graft_table_begin(&t, fp, GRAFT_TABLE_CSV, csv_cols,
                      GRAFT_COUNTOF(csv_cols));
    csv_summary(&t, d);
    csv_columns(&t, d);
    return graft_table_end(&t, NULL, NULL, diag);
}

graft_error_t graft_describe_sheet(graft_workbook_t *wb, const char *sheet,
                                   const graft_describe_t *d,
                                   graft_diag_t *diag)
{
    graft_table_t t;
    graft_table_begin_sheet(&t, wb, sheet, csv_cols, GRAFT_COUNTOF(csv_cols));
    csv_summary(&t, d);
    csv_columns(&t, d);
    graft_error_t rc = graft_table_end(&t, NULL, NULL, diag);
    const char *name = graft_xlsx_sheet(&t);
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(wb, name, "data file", d->file ? d->file : "",
                                 diag);
    if (rc == GRAFT_OK)
        rc = graft_workbook_note_design(wb, name, &d->spec, diag);
    return rc;
}
