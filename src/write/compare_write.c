/*
 * compare_write.c - comparison and trend tables: their columns per format
 * and their rows, written through the table writer
 * (write/table_writer.h).
 */
#include "graft/compare.h"
#include "write/table_writer.h"
#include "write/xlsx_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const term_names[] = {"estimate", "change", "linear",
                                         "slope"};

/* The fields of a row; the by values follow F_BY. */
enum {
    F_INDICATOR, F_TERM, F_FROM, F_TO, F_ESTIMATE, F_SE, F_CI_LOW,
    F_CI_HIGH, F_DF, F_P_VALUE, F_P_ADJUSTED, F_CHANGE, F_N_FROM, F_N_TO,
    F_FLAG, F_BASELINE, F_FOLLOWUP, F_REL_CHANGE, F_H_BASELINE, F_H_TERM,
    F_H_SECOND, F_H_CHANGE, F_H_CI, F_H_P, F_H_VERDICT, F_BY_GROUP, F_BY
};

static const char *round_label(const graft_changes_t *ch, size_t q,
                               char *buf, size_t n)
{
    if (ch->opts.round_labels && ch->opts.round_labels[q])
        return ch->opts.round_labels[q];
    snprintf(buf, n, "%zu", q + 1);
    return buf;
}

/* ---- columns ----------------------------------------------------------- */

static graft_tcol_t col(const char *name, size_t field, graft_tcol_kind_t k)
{
    return (graft_tcol_t){.name = name, .field = field, .kind = k};
}

static void add_by(const graft_estimates_t *e, graft_tcol_t *c, size_t *n,
                   const char *gap, int width)
{
    graft_tcol_add_by(c, n, e->by_names, e->n_by_names, F_BY, gap, width);
}

/* The numbers every CSV and JSON row carries, from estimate to p_adjusted,
 * under the CSV names of a comparison (DIFF) or the JSON and trend ones. */
static void add_numbers(graft_tcol_t *c, size_t *n, int diff)
{
    static const char *const names[2][7] = {
        {"estimate", "se", "ci_low", "ci_high", "df", "p_value",
         "p_adjusted"},
        {"diff", "se_diff", "ci_low", "ci_high", "df", "p_value",
         "p_adjusted"}};
    for (size_t i = 0; i < 7; i++)
        c[(*n)++] = col(names[diff][i], F_ESTIMATE + i, GRAFT_TCOL_REAL);
}

static size_t csv_columns(const graft_changes_t *ch, int trend,
                          graft_tcol_t *c)
{
    size_t n = 0;
    c[n++] = col("indicator", F_INDICATOR, GRAFT_TCOL_TEXT);
    add_by(ch->est, c, &n, NULL, 0);
    if (!trend && ch->n_pairs > 1) {
        c[n++] = col("baseline_round", F_FROM, GRAFT_TCOL_TEXT);
        c[n++] = col("followup_round", F_TO, GRAFT_TCOL_TEXT);
    }
    if (trend) {
        c[n++] = col("term", F_TERM, GRAFT_TCOL_TEXT);
        c[n++] = col("from", F_FROM, GRAFT_TCOL_TEXT);
        c[n++] = col("to", F_TO, GRAFT_TCOL_TEXT);
    } else {
        c[n++] = col("baseline", F_BASELINE, GRAFT_TCOL_REAL);
        c[n++] = col("followup", F_FOLLOWUP, GRAFT_TCOL_REAL);
    }
    add_numbers(c, &n, !trend);
    c[n++] = col("change", F_CHANGE, GRAFT_TCOL_TEXT);
    if (!trend)
        c[n++] = col("rel_change", F_REL_CHANGE, GRAFT_TCOL_REAL);
    c[n++] = col(trend ? "n_from" : "n_baseline", F_N_FROM, GRAFT_TCOL_COUNT);
    c[n++] = col(trend ? "n_to" : "n_followup", F_N_TO, GRAFT_TCOL_COUNT);
    c[n++] = col("flag", F_FLAG, GRAFT_TCOL_TEXT);
    return n;
}

static size_t json_columns(const graft_changes_t *ch, int trend,
                           graft_tcol_t *c)
{
    size_t n = 0;
    c[n++] = col("indicator", F_INDICATOR, GRAFT_TCOL_TEXT);
    c[n++] = col("by", F_BY_GROUP, GRAFT_TCOL_GROUP);
    add_by(ch->est, c, &n, NULL, 0);
    c[n++] = col("term", F_TERM, GRAFT_TCOL_TEXT);
    c[n++] = col("from", F_FROM, GRAFT_TCOL_TEXT);
    c[n++] = col("to", F_TO, GRAFT_TCOL_TEXT);
    add_numbers(c, &n, 0);
    c[n++] = col("change", F_CHANGE, GRAFT_TCOL_TEXT);
    c[n++] = col("n_from", F_N_FROM, GRAFT_TCOL_COUNT);
    c[n++] = col("n_to", F_N_TO, GRAFT_TCOL_COUNT);
    c[n++] = col("flag", F_FLAG, GRAFT_TCOL_TEXT);
    if (!trend) {
        c[n++] = col("baseline", F_BASELINE, GRAFT_TCOL_REAL);
        c[n++] = col("followup", F_FOLLOWUP, GRAFT_TCOL_REAL);
        c[n++] = col("rel_change", F_REL_CHANGE, GRAFT_TCOL_REAL);
    }
    return n;
}

/* A text and Markdown column after the first: two spaces, then WIDTH. */
static graft_tcol_t human_col(const char *name, size_t field, int width)
{
    return (graft_tcol_t){.name = name, .field = field, .gap = "  ",
                          .width = width};
}

/* Text and Markdown; LVL names the interval ("95% CI of the change").  Text
 * ends each verdict with the row's flag; Markdown gives the flag a column
 * of its own. */
static size_t human_columns(const graft_changes_t *ch, int trend, int md,
                            const char *lvl, graft_tcol_t *c)
{
    size_t n = 0;
    c[n++] = (graft_tcol_t){.name = "indicator", .field = F_INDICATOR,
                            .width = -18};
    add_by(ch->est, c, &n, "  ", -16);
    if (trend)
        c[n++] = human_col("term", F_H_TERM, -20);
    else
        c[n++] = human_col("baseline", F_H_BASELINE, 8);
    c[n++] = trend ? human_col("estimate", F_H_SECOND, 8)
                   : human_col("follow-up", F_H_SECOND, 9);
    c[n++] = human_col("change", F_H_CHANGE, -10);
    c[n++] = human_col(lvl, F_H_CI, -22);
    c[n++] = human_col("p adj.", F_H_P, 6);
    c[n++] = human_col("verdict", F_H_VERDICT, 0);
    if (md)
        c[n++] = human_col("flag", F_FLAG, 0);
    return n;
}

/* ---- rows -------------------------------------------------------------- */

typedef struct change_text {
    char from_buf[32], to_buf[32];
    const char *from, *to; /* the rounds' labels */
    char a[32], b[32], d[32], ci[80], p[32], term[80], verdict[512];
} change_text_t;

static void data_row(const graft_changes_t *ch, const graft_change_row_t *r,
                     change_text_t *x, graft_tcell_t *cells)
{
    const graft_estimates_t *e = ch->est;
    cells[F_INDICATOR].s =
        graft_indicator_name(&e->opts->indicators[r->indicator]);
    for (size_t j = 0; j < e->n_by_names; j++)
        cells[F_BY + j].s = graft_row_by_value(e, r->where, e->by_names[j]);
    cells[F_TERM].s = term_names[r->term];
    x->from = round_label(ch, r->from, x->from_buf, sizeof x->from_buf);
    x->to = round_label(ch, r->to, x->to_buf, sizeof x->to_buf);
    cells[F_FROM].s = x->from;
    cells[F_TO].s = x->to;
    const double v[] = {r->estimate, r->se,      r->ci_low,    r->ci_high,
                        r->df,       r->p_value, r->p_adjusted};
    for (size_t i = 0; i < 7; i++)
        cells[F_ESTIMATE + i].x = v[i];
    cells[F_CHANGE].s = r->change;
    cells[F_N_FROM].n = r->n_from;
    cells[F_N_TO].n = r->n_to;
    cells[F_FLAG].s = r->flag;
    cells[F_BASELINE].x = r->baseline;
    cells[F_FOLLOWUP].x = r->followup;
    cells[F_REL_CHANGE].x = r->rel_change;
    /* the workbook: proportions and their changes in percent */
    int pct = e->opts->indicators[r->indicator].type == GRAFT_IND_PROP;
    cells[F_BASELINE].pct = cells[F_FOLLOWUP].pct = cells[F_ESTIMATE].pct =
        cells[F_CI_LOW].pct = cells[F_CI_HIGH].pct = (unsigned char)pct;
    cells[F_SE].pct = (unsigned char)(2 * pct);
}

/* The text and Markdown cells: percentages for proportions, the change
 * with 1 decimal (2 in trends and for slopes), a round's estimate alone on
 * its trend row. */
static void human_row(const graft_changes_t *ch, const graft_change_row_t *r,
                      int trend, int md, change_text_t *x,
                      graft_tcell_t *cells)
{
    int pct = ch->est->opts->indicators[r->indicator].type == GRAFT_IND_PROP;
    int est_row = r->term == GRAFT_TERM_ESTIMATE;
    char lo[32], hi[32];
    graft_fmt_human(x->a, sizeof x->a, trend ? NAN : r->baseline, pct, 1, 1);
    graft_fmt_human(x->b, sizeof x->b,
                    !trend ? r->followup : est_row ? r->estimate : NAN, pct,
                    1, 1);
    if (trend && !est_row)
        x->b[0] = '\0';
    graft_fmt_human(x->d, sizeof x->d, trend ? NAN : r->estimate, pct,
                    r->term == GRAFT_TERM_SLOPE ? 2 : 1, 1);
    if (trend && !est_row)
        graft_fmt_human(x->d, sizeof x->d, r->estimate, pct, 2, 1);
    graft_fmt_human(lo, sizeof lo, est_row ? NAN : r->ci_low, pct, 1, 1);
    graft_fmt_human(hi, sizeof hi, est_row ? NAN : r->ci_high, pct, 1, 1);
    snprintf(x->ci, sizeof x->ci, "[%s, %s]", lo, hi);
    if (isfinite(r->p_adjusted))
        snprintf(x->p, sizeof x->p, "%.4f", r->p_adjusted);
    else
        snprintf(x->p, sizeof x->p, "-");
    if (r->term == GRAFT_TERM_CHANGE)
        snprintf(x->term, sizeof x->term, "%s -> %s", x->from, x->to);
    else
        snprintf(x->term, sizeof x->term, "%s",
                 est_row ? x->from : term_names[r->term]);
    if (md)
        snprintf(x->verdict, sizeof x->verdict, "%s", r->change);
    else
        snprintf(x->verdict, sizeof x->verdict, "%s%s%s", r->change,
                 *r->flag ? "  " : "", r->flag);
    cells[F_H_BASELINE].s = x->a;
    cells[F_H_TERM].s = x->term;
    cells[F_H_SECOND].s = x->b;
    cells[F_H_CHANGE].s = est_row ? "" : x->d;
    cells[F_H_CI].s = est_row ? "" : x->ci;
    cells[F_H_P].s = x->p;
    cells[F_H_VERDICT].s = x->verdict;
}

/* ---- the table --------------------------------------------------------- */

static size_t columns(const graft_changes_t *ch, int trend,
                      graft_table_format_t format, const char *lvl,
                      graft_tcol_t *c)
{
    switch (format) {
    case GRAFT_TABLE_CSV:
    case GRAFT_TABLE_XLSX: return csv_columns(ch, trend, c);
    case GRAFT_TABLE_JSON: return json_columns(ch, trend, c);
    default:
        return human_columns(ch, trend, format == GRAFT_TABLE_MD, lvl, c);
    }
}

static void write_rows(graft_table_t *t, const graft_changes_t *ch,
                       int trend, graft_tcell_t *cells)
{
    int human = t->format == GRAFT_TABLE_TEXT || t->format == GRAFT_TABLE_MD;
    for (size_t i = 0; i < ch->n_rows; i++) {
        const graft_change_row_t *r = &ch->rows[i];
        change_text_t x;
        if (r->table != trend)
            continue;
        data_row(ch, r, &x, cells);
        if (human)
            human_row(ch, r, trend, t->format == GRAFT_TABLE_MD, &x, cells);
        t->mark = graft_tmark_of_flag(r->flag);
        graft_table_row(t, cells);
    }
}

static void text_footer(FILE *fp, const graft_changes_t *ch)
{
    fprintf(fp, "\nchanges in %s; p adjusted with %s over %s; verdict at "
                "the %g%% level\n",
            "percentage points for proportions",
            graft_adjust_name(ch->opts.adjust),
            "every comparison in this table", 100 * ch->opts.level);
}

/* To FP in FORMAT, or (WB not NULL) as the sheet SHEET of WB. */
static graft_error_t write_to(FILE *fp, graft_workbook_t *wb,
                              const char *sheet, const graft_changes_t *ch,
                              int trend, graft_table_format_t format,
                              graft_diag_t *diag)
{
    size_t n_by = ch->est->n_by_names;
    graft_tcol_t *cols = malloc((24 + n_by) * sizeof *cols);
    graft_tcell_t *cells = calloc(F_BY + n_by, sizeof *cells);
    if (!cols || !cells) {
        free(cols);
        free(cells);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    char lvl[64];
    snprintf(lvl, sizeof lvl, "%g%% CI of the change", 100 * ch->opts.level);
    graft_table_t t;
    size_t n_cols = columns(ch, trend, format, lvl, cols);
    graft_table_begin_to(&t, fp, wb, sheet, format, cols, n_cols);
    write_rows(&t, ch, trend, cells);
    if (format == GRAFT_TABLE_TEXT)
        text_footer(fp, ch);
    json_t *root = NULL;
    if (format == GRAFT_TABLE_JSON)
        root = json_pack("{s:s, s:s, s:f, s:s}", "kind",
                         trend ? "trend" : "comparison", "adjust",
                         graft_adjust_name(ch->opts.adjust), "level",
                         ch->opts.level, "test_df",
                         graft_test_df_name(ch->opts.test_df));
    graft_error_t rc = graft_table_end(&t, root, "rows", diag);
    if (rc == GRAFT_OK && wb) {
        const char *name = graft_xlsx_sheet(&t);
        rc = graft_workbook_note(wb, name, "p adjustment",
                                 graft_adjust_name(ch->opts.adjust), diag);
        if (rc == GRAFT_OK)
            rc = graft_workbook_note(wb, name, "test df",
                                     graft_test_df_name(ch->opts.test_df),
                                     diag);
        if (rc == GRAFT_OK)
            rc = graft_xlsx_note_f(wb, name, "verdict level", diag, "%g",
                                   ch->opts.level);
        if (rc == GRAFT_OK)
            rc = graft_xlsx_note_estimates(wb, name, ch->est, 0, diag);
    }
    free(cols);
    free(cells);
    return rc;
}

graft_error_t graft_changes_write(FILE *fp, const graft_changes_t *ch,
                                  int trend, graft_table_format_t format,
                                  graft_diag_t *diag)
{
    return write_to(fp, NULL, NULL, ch, trend, format, diag);
}

graft_error_t graft_changes_sheet(graft_workbook_t *wb, const char *sheet,
                                  const graft_changes_t *ch, int trend,
                                  graft_diag_t *diag)
{
    return write_to(NULL, wb, sheet, ch, trend, GRAFT_TABLE_XLSX, diag);
}
