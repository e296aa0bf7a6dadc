/*
 * estimate_write.c - writers for estimate tables.
 */
#include "graft/estimate_write.h"
#include "write/csvout.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

int graft_table_format_parse(const char *name, graft_table_format_t *out)
{
    static const char *const names[] = {"text", "csv", "json", "md"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (graft_table_format_t)i;
            return 1;
        }
    return 0;
}

/* The row's value for by column NAME: its domain value, "All", or "" when
 * the row's by-set does not use that column. */
static const char *by_value(const graft_estimates_t *e,
                            const graft_estimate_row_t *r, const char *name)
{
    if (r->by_set == (size_t)-1)
        return "All";
    const graft_by_spec_t *by = &e->opts->by[r->by_set];
    for (size_t i = 0; i < by->n_columns; i++)
        if (strcmp(by->columns[i], name) == 0)
            return r->by_values[i];
    return "";
}

static const graft_indicator_spec_t *row_ind(const graft_estimates_t *e,
                                             const graft_estimate_row_t *r)
{
    return &e->opts->indicators[r->indicator];
}

/* ---- CSV ------------------------------------------------------------- */

static void csv_num(FILE *fp, double v)
{
    fputc(',', fp);
    if (isfinite(v))
        fprintf(fp, "%.17g", v);
}

/* The round of R, when the table has a round column. */
static const char *round_of(const graft_estimates_t *e,
                            const graft_estimate_row_t *r)
{
    return e->round_labels ? e->round_labels[r->round] : NULL;
}

static void write_csv(FILE *fp, const graft_estimates_t *e)
{
    if (e->round_labels)
        fputs("round,", fp);
    fputs("indicator", fp);
    for (size_t i = 0; i < e->n_by_names; i++)
        graft_csv_field(fp, e->by_names[i], 1);
    fputs(",estimate,se,ci_low,ci_high,df,deff,cv,n,n_missing,weighted_n,"
          "n_eff,flag\n",
          fp);
    for (size_t i = 0; i < e->n_rows; i++) {
        const graft_estimate_row_t *r = &e->rows[i];
        if (e->round_labels) {
            graft_csv_field(fp, round_of(e, r), 0);
            fputc(',', fp);
        }
        graft_csv_field(fp, graft_indicator_name(row_ind(e, r)), 0);
        for (size_t j = 0; j < e->n_by_names; j++)
            graft_csv_field(fp, by_value(e, r, e->by_names[j]), 1);
        csv_num(fp, r->estimate);
        csv_num(fp, r->se);
        csv_num(fp, r->ci_low);
        csv_num(fp, r->ci_high);
        csv_num(fp, r->df);
        csv_num(fp, r->deff);
        csv_num(fp, r->cv);
        fprintf(fp, ",%zu,%zu", r->n, r->n_missing);
        csv_num(fp, r->weighted_n);
        csv_num(fp, r->n_eff);
        graft_csv_field(fp, r->flag, 1);
        fputc('\n', fp);
    }
}

/* ---- JSON ------------------------------------------------------------ */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *json_rows(const graft_estimates_t *e)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < e->n_rows; i++) {
        const graft_estimate_row_t *r = &e->rows[i];
        json_t *by = json_object();
        for (size_t j = 0; j < e->n_by_names; j++)
            json_object_set_new(by, e->by_names[j],
                                json_string(by_value(e, r, e->by_names[j])));
        json_t *obj =
            json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, "
                      "s:I, s:o, s:o, s:s}",
                      "indicator", graft_indicator_name(row_ind(e, r)), "by",
                      by, "estimate", jnum(r->estimate), "se", jnum(r->se),
                      "ci_low", jnum(r->ci_low), "ci_high", jnum(r->ci_high),
                      "df", jnum(r->df), "deff", jnum(r->deff), "cv",
                      jnum(r->cv), "n", (json_int_t)r->n, "n_missing",
                      (json_int_t)r->n_missing, "weighted_n",
                      jnum(r->weighted_n), "n_eff", jnum(r->n_eff), "flag",
                      r->flag);
        if (e->round_labels)
            json_object_set_new(obj, "round", json_string(round_of(e, r)));
        json_array_append_new(rows, obj);
    }
    return rows;
}

static json_t *json_root(const graft_estimates_t *e)
{
    const graft_estimate_opts_t *o = e->opts;
    json_t *inds = json_array();
    for (size_t k = 0; k < o->n_indicators; k++) {
        const graft_indicator_spec_t *ind = &o->indicators[k];
        json_array_append_new(
            inds, json_pack("{s:s, s:s, s:o, s:o, s:s, s:o}", "name",
                            graft_indicator_name(ind), "type",
                            graft_ind_type_name(ind->type), "label",
                            jstr(ind->label), "question", jstr(ind->question),
                            "expr", ind->expr, "among", jstr(ind->among)));
    }
    const graft_design_summary_t *g = &e->design;
    json_t *design = json_pack("{s:I, s:I, s:I, s:I, s:f}", "rows",
                               (json_int_t)g->n_rows, "strata",
                               (json_int_t)g->n_strata, "psus",
                               (json_int_t)g->n_psu, "df", (json_int_t)g->df,
                               "sum_weights", g->sum_w);
    return json_pack("{s:s, s:o, s:s, s:f, s:o, s:o}", "file", e->file,
                     "design", design, "ci_method",
                     graft_ci_method_name(o->ci), "level", o->level,
                     "indicators", inds, "estimates", json_rows(e));
}

/* ---- text and Markdown ---------------------------------------------- */

/* A number as shown to people: percent for proportions. */
static void human(char *buf, size_t n, double v, int percent, int digits)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else if (percent)
        snprintf(buf, n, "%.*f", digits, 100 * v);
    else
        snprintf(buf, n, "%.*g", digits + 4, v);
}

static void write_human(FILE *fp, const graft_estimates_t *e, int md)
{
    const graft_estimate_opts_t *o = e->opts;
    char lvl[48];
    snprintf(lvl, sizeof lvl, "%g%% CI", 100 * o->level);
    if (md) {
        fputs("| indicator", fp);
        for (size_t j = 0; j < e->n_by_names; j++)
            fprintf(fp, " | %s", e->by_names[j]);
        fprintf(fp, " | estimate | %s | SE | df | deff | n | flag |\n",
                lvl);
        fputs("|---", fp);
        for (size_t j = 0; j < e->n_by_names; j++)
            fputs("|---", fp);
        fputs("|---:|---|---:|---:|---:|---:|---|\n", fp);
    } else {
        fprintf(fp, "%-24s", "indicator");
        for (size_t j = 0; j < e->n_by_names; j++)
            fprintf(fp, " %-18s", e->by_names[j]);
        fprintf(fp, " %10s  %-20s %8s %6s %6s %7s  %s\n", "estimate", lvl,
                "SE", "df", "deff", "n", "flag");
    }
    for (size_t i = 0; i < e->n_rows; i++) {
        const graft_estimate_row_t *r = &e->rows[i];
        int pct = row_ind(e, r)->type == GRAFT_IND_PROP;
        char est[32], lo[32], hi[32], se[32], deff[32], ci[80];
        human(est, sizeof est, r->estimate, pct, 1);
        human(lo, sizeof lo, r->ci_low, pct, 1);
        human(hi, sizeof hi, r->ci_high, pct, 1);
        human(se, sizeof se, r->se, pct, 2);
        human(deff, sizeof deff, r->deff, 0, 0);
        if (isfinite(r->deff))
            snprintf(deff, sizeof deff, "%.2f", r->deff);
        const char *unit = pct && isfinite(r->estimate) ? " %" : "";
        snprintf(ci, sizeof ci, "[%s%s, %s%s]", lo,
                 isfinite(r->ci_low) ? unit : "", hi,
                 isfinite(r->ci_high) ? unit : "");
        strncat(est, unit, sizeof est - strlen(est) - 1);
        const char *name = graft_indicator_name(row_ind(e, r));
        if (md) {
            fprintf(fp, "| %s", name);
            for (size_t j = 0; j < e->n_by_names; j++)
                fprintf(fp, " | %s", by_value(e, r, e->by_names[j]));
            fprintf(fp, " | %s | %s | %s | %.0f | %s | %zu | %s |\n", est, ci,
                    se, r->df, deff, r->n, r->flag);
        } else {
            fprintf(fp, "%-24s", name);
            for (size_t j = 0; j < e->n_by_names; j++)
                fprintf(fp, " %-18s", by_value(e, r, e->by_names[j]));
            fprintf(fp, " %10s  %-20s %8s %6.0f %6s %7zu  %s\n", est, ci, se,
                    r->df, deff, r->n, r->flag);
        }
    }
}

graft_error_t graft_estimates_write(FILE *fp, const graft_estimates_t *e,
                                    graft_table_format_t format,
                                    graft_diag_t *diag)
{
    switch (format) {
    case GRAFT_TABLE_CSV:
        write_csv(fp, e);
        break;
    case GRAFT_TABLE_JSON: {
        json_t *root = json_root(e);
        if (!root)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory building JSON");
        int rc = json_dumpf(root, fp,
                            JSON_INDENT(2) | JSON_REAL_PRECISION(17) |
                                JSON_PRESERVE_ORDER);
        json_decref(root);
        fputc('\n', fp);
        if (rc)
            return graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                                  "cannot write JSON");
        break;
    }
    case GRAFT_TABLE_MD:
        write_human(fp, e, 1);
        break;
    default:
        write_human(fp, e, 0);
    }
    return ferror(fp) ? graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                                       "write error")
                      : GRAFT_OK;
}
