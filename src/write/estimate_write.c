/*
 * estimate_write.c - the estimates table: its columns per format and its
 * rows, written through the table writer (write/table_writer.h).
 */
#include "graft/table.h"
#include "base/names.h"
#include "write/table_writer.h"
#include "write/xlsx_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The fields of a row; the by values follow F_BY. */
enum {
    F_ROUND, F_INDICATOR, F_ESTIMATE, F_SE, F_CI_LOW, F_CI_HIGH, F_DF,
    F_DEFF, F_CV, F_N, F_N_MISSING, F_WEIGHTED_N, F_N_EFF, F_FLAG,
    F_H_ESTIMATE, F_H_CI, F_H_SE, F_H_DF, F_H_DEFF, F_BY_GROUP, F_BY
};

const char *graft_row_by_value(const graft_estimates_t *e,
                               const graft_estimate_row_t *r,
                               const char *name)
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

/* ---- columns ----------------------------------------------------------- */

static void add_by(const graft_estimates_t *e, graft_tcol_t *c, size_t *n,
                   const char *gap, int width)
{
    graft_tcol_add_by(c, n, e->by_names, e->n_by_names, F_BY, gap, width);
}

/* CSV and JSON: every number in full; JSON nests the by values. */
static size_t data_columns(const graft_estimates_t *e, int json,
                           graft_tcol_t *c)
{
    static const char *const names[] = {
        "estimate", "se", "ci_low", "ci_high", "df", "deff", "cv", "n",
        "n_missing", "weighted_n", "n_eff", "flag"};
    size_t n = 0;
    if (e->round_labels && !json)
        c[n++] = (graft_tcol_t){.name = "round", .field = F_ROUND};
    c[n++] = (graft_tcol_t){.name = "indicator", .field = F_INDICATOR};
    if (json)
        c[n++] = (graft_tcol_t){.name = "by", .field = F_BY_GROUP,
                                .kind = GRAFT_TCOL_GROUP};
    add_by(e, c, &n, NULL, 0);
    for (size_t i = 0; i < GRAFT_COUNTOF(names); i++)
        c[n++] = (graft_tcol_t){
            .name = names[i], .field = F_ESTIMATE + i,
            .kind = F_ESTIMATE + i == F_FLAG ? GRAFT_TCOL_TEXT
                    : F_ESTIMATE + i == F_N ||
                            F_ESTIMATE + i == F_N_MISSING
                        ? GRAFT_TCOL_COUNT
                        : GRAFT_TCOL_REAL};
    if (e->round_labels && json)
        c[n++] = (graft_tcol_t){.name = "round", .field = F_ROUND};
    return n;
}

/* A text and Markdown column: GAP, then the cell in WIDTH (negative:
 * left-aligned); numbers are right-aligned in Markdown too. */
static graft_tcol_t human_col(const char *name, size_t field, const char *gap,
                              int width, int right)
{
    return (graft_tcol_t){.name = name, .field = field, .gap = gap,
                          .width = width, .md_right = right};
}

/* Text and Markdown: percent for proportions, the interval in one cell. */
static size_t human_columns(const graft_estimates_t *e, const char *lvl,
                            graft_tcol_t *c)
{
    size_t n = 0;
    c[n++] = (graft_tcol_t){.name = "indicator", .field = F_INDICATOR,
                            .width = -24};
    add_by(e, c, &n, " ", -18);
    c[n++] = human_col("estimate", F_H_ESTIMATE, " ", 10, 1);
    c[n++] = human_col(lvl, F_H_CI, "  ", -20, 0);
    c[n++] = human_col("SE", F_H_SE, " ", 8, 1);
    c[n++] = human_col("df", F_H_DF, " ", 6, 1);
    c[n++] = human_col("deff", F_H_DEFF, " ", 6, 1);
    c[n] = human_col("n", F_N, " ", 7, 1);
    c[n++].kind = GRAFT_TCOL_COUNT;
    c[n++] = human_col("flag", F_FLAG, "  ", 0, 0);
    return n;
}

/* ---- rows -------------------------------------------------------------- */

typedef struct human_cells {
    char est[32], se[32], df[32], deff[32], ci[80];
} human_cells_t;

static void human_row(const graft_estimates_t *e,
                      const graft_estimate_row_t *r, human_cells_t *h,
                      graft_tcell_t *cells)
{
    int pct = row_ind(e, r)->type == GRAFT_IND_PROP;
    char lo[32], hi[32];
    graft_fmt_human(h->est, sizeof h->est, r->estimate, pct, 1, 0);
    graft_fmt_human(lo, sizeof lo, r->ci_low, pct, 1, 0);
    graft_fmt_human(hi, sizeof hi, r->ci_high, pct, 1, 0);
    graft_fmt_human(h->se, sizeof h->se, r->se, pct, 2, 0);
    graft_fmt_human(h->deff, sizeof h->deff, r->deff, 0, 0, 0);
    if (isfinite(r->deff))
        snprintf(h->deff, sizeof h->deff, "%.2f", r->deff);
    snprintf(h->df, sizeof h->df, "%.0f", r->df);
    const char *unit = pct && isfinite(r->estimate) ? " %" : "";
    snprintf(h->ci, sizeof h->ci, "[%s%s, %s%s]", lo,
             isfinite(r->ci_low) ? unit : "", hi,
             isfinite(r->ci_high) ? unit : "");
    strncat(h->est, unit, sizeof h->est - strlen(h->est) - 1);
    cells[F_H_ESTIMATE].s = h->est;
    cells[F_H_CI].s = h->ci;
    cells[F_H_SE].s = h->se;
    cells[F_H_DF].s = h->df;
    cells[F_H_DEFF].s = h->deff;
}

static void data_row(const graft_estimates_t *e, const graft_estimate_row_t *r,
                     graft_tcell_t *cells)
{
    /* the workbook: a proportion's estimate, interval and SE in percent */
    int pct = row_ind(e, r)->type == GRAFT_IND_PROP;
    cells[F_ESTIMATE].pct = cells[F_CI_LOW].pct = cells[F_CI_HIGH].pct =
        (unsigned char)pct;
    cells[F_SE].pct = (unsigned char)(2 * pct);
    cells[F_ROUND].s = e->round_labels ? e->round_labels[r->round] : NULL;
    cells[F_INDICATOR].s = graft_indicator_name(row_ind(e, r));
    for (size_t j = 0; j < e->n_by_names; j++)
        cells[F_BY + j].s = graft_row_by_value(e, r, e->by_names[j]);
    cells[F_ESTIMATE].x = r->estimate;
    cells[F_SE].x = r->se;
    cells[F_CI_LOW].x = r->ci_low;
    cells[F_CI_HIGH].x = r->ci_high;
    cells[F_DF].x = r->df;
    cells[F_DEFF].x = r->deff;
    cells[F_CV].x = r->cv;
    cells[F_N].n = r->n;
    cells[F_N_MISSING].n = r->n_missing;
    cells[F_WEIGHTED_N].x = r->weighted_n;
    cells[F_N_EFF].x = r->n_eff;
    cells[F_FLAG].s = r->flag;
}

/* ---- JSON document ----------------------------------------------------- */

static json_t *json_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The document around the rows: file, design, interval method, level and
 * indicators; the rows go in as "estimates". */
static json_t *json_root(const graft_estimates_t *e)
{
    const graft_estimate_opts_t *o = e->opts;
    json_t *inds = json_array();
    for (size_t k = 0; k < o->n_indicators; k++) {
        const graft_indicator_spec_t *ind = &o->indicators[k];
        json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:s, s:o}", "name",
                              graft_indicator_name(ind), "type",
                              graft_ind_type_name(ind->type), "label",
                              json_str_or_null(ind->label), "question",
                              json_str_or_null(ind->question), "expr",
                              ind->expr, "among",
                              json_str_or_null(ind->among));
        if (j && ind->type == GRAFT_IND_QUANTILE) /* its probability */
            json_object_set_new(j, "prob", json_real(ind->prob));
        json_array_append_new(inds, j);
    }
    const graft_design_summary_t *g = &e->design;
    json_t *design = json_pack("{s:I, s:I, s:I, s:I, s:f}", "rows",
                               (json_int_t)g->n_rows, "strata",
                               (json_int_t)g->n_strata, "psus",
                               (json_int_t)g->n_psu, "df", (json_int_t)g->df,
                               "sum_weights", g->sum_w);
    return json_pack("{s:s, s:o, s:s, s:f, s:o}", "file", e->file, "design",
                     design, "ci_method", graft_ci_method_name(o->ci),
                     "level", o->level, "indicators", inds);
}

/* To FP in FORMAT, or (WB not NULL) as the sheet SHEET of WB. */
static graft_error_t write_to(FILE *fp, graft_workbook_t *wb,
                              const char *sheet, const graft_estimates_t *e,
                              graft_table_format_t format, graft_diag_t *diag)
{
    int human = format == GRAFT_TABLE_TEXT || format == GRAFT_TABLE_MD;
    graft_tcol_t *cols = malloc((16 + e->n_by_names) * sizeof *cols);
    graft_tcell_t *cells = calloc(F_BY + e->n_by_names, sizeof *cells);
    char lvl[48];
    if (!cols || !cells) {
        free(cols);
        free(cells);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    snprintf(lvl, sizeof lvl, "%g%% CI", 100 * e->opts->level);
    size_t n_cols = human ? human_columns(e, lvl, cols)
                          : data_columns(e, format == GRAFT_TABLE_JSON, cols);
    graft_table_t t;
    graft_table_begin_to(&t, fp, wb, sheet, format, cols, n_cols);
    for (size_t i = 0; i < e->n_rows; i++) {
        human_cells_t h;
        data_row(e, &e->rows[i], cells);
        if (human)
            human_row(e, &e->rows[i], &h, cells);
        t.mark = graft_tmark_of_flag(e->rows[i].flag);
        graft_table_row(&t, cells);
    }
    json_t *root = format == GRAFT_TABLE_JSON ? json_root(e) : NULL;
    graft_error_t rc = graft_table_end(&t, root, "estimates", diag);
    if (rc == GRAFT_OK && wb)
        rc = graft_xlsx_note_estimates(wb, graft_xlsx_sheet(&t), e, 1, diag);
    free(cols);
    free(cells);
    return rc;
}

graft_error_t graft_estimates_write(FILE *fp, const graft_estimates_t *e,
                                    graft_table_format_t format,
                                    graft_diag_t *diag)
{
    return write_to(fp, NULL, NULL, e, format, diag);
}

graft_error_t graft_estimates_sheet(graft_workbook_t *wb, const char *sheet,
                                    const graft_estimates_t *e,
                                    graft_diag_t *diag)
{
    return write_to(NULL, wb, sheet, e, GRAFT_TABLE_XLSX, diag);
}
