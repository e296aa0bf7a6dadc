/*
 * sae_write.c - the small-area table of graft sae (graft_sae_write)
 * through the table writer (write/table_writer.h).
 *
 * CSV: one row per area, full precision: the area (column named as the
 * --by column), direct, direct_se, n, estimate, mse, rmse, ci_low,
 * ci_high, gamma, synthetic (0/1), flag, fitted (x'beta), resid_std
 * ((direct - x'beta) / sqrt(sigma_u^2 + psi), in the fit only).  JSON: an object with the
 * indicator, the model (method, formula, variance, sigma2u, iterations,
 * loglik, areas in the fit, level, coefficients with their SEs) and the
 * areas.  Text and Markdown: the table with rounded numbers (proportions
 * in percent), then the model block.  A workbook sheet (graft_sae_sheet):
 * the CSV's columns, proportions in a percent format, the model in the
 * notes.
 */
#include "graft/sae.h"
#include "write/table_writer.h"
#include "write/xlsx_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    F_AREA, F_DIRECT, F_DIRECT_SE, F_N, F_EST, F_MSE, F_RMSE, F_LO, F_HI,
    F_GAMMA, F_SYNTH, F_FLAG, F_FITTED, F_RESID,
    F_H_DIRECT, F_H_DIRECT_SE, F_H_EST, F_H_RMSE, F_H_CI, F_H_GAMMA,
    F_H_SYNTH, F_COUNT
};

static graft_tcol_t col(const char *name, size_t field, graft_tcol_kind_t k)
{
    return (graft_tcol_t){.name = name, .field = field, .kind = k};
}

static graft_tcol_t human(const char *name, size_t field, int width)
{
    return (graft_tcol_t){.name = name, .field = field, .gap = "  ",
                          .width = width, .md_right = width > 0};
}

static size_t data_columns(const graft_sae_t *s, graft_tcol_t *c)
{
    static const char *const names[] = {"direct", "direct_se"};
    static const char *const after[] = {"estimate", "mse", "rmse", "ci_low",
                                        "ci_high", "gamma"};
    size_t n = 0;
    c[n++] = col(s->by, F_AREA, GRAFT_TCOL_TEXT);
    for (size_t i = 0; i < 2; i++)
        c[n++] = col(names[i], F_DIRECT + i, GRAFT_TCOL_REAL);
    c[n++] = col("n", F_N, GRAFT_TCOL_COUNT);
    for (size_t i = 0; i < 6; i++)
        c[n++] = col(after[i], F_EST + i, GRAFT_TCOL_REAL);
    c[n++] = col("synthetic", F_SYNTH, GRAFT_TCOL_COUNT);
    c[n++] = col("flag", F_FLAG, GRAFT_TCOL_TEXT);
    c[n++] = col("fitted", F_FITTED, GRAFT_TCOL_REAL);
    c[n++] = col("resid_std", F_RESID, GRAFT_TCOL_REAL);
    return n;
}

static size_t human_columns(const graft_sae_t *s, const char *ci,
                            graft_tcol_t *c)
{
    size_t n = 0;
    c[n++] = (graft_tcol_t){.name = s->by, .field = F_AREA, .width = -16};
    c[n++] = human("direct", F_H_DIRECT, 8);
    c[n++] = human("se", F_H_DIRECT_SE, 7);
    c[n++] = (graft_tcol_t){.name = "n", .field = F_N,
                            .kind = GRAFT_TCOL_COUNT, .gap = "  ",
                            .width = 6, .md_right = 1};
    c[n++] = human("estimate", F_H_EST, 8);
    c[n++] = human("rmse", F_H_RMSE, 7);
    c[n++] = human(ci, F_H_CI, -18);
    c[n++] = human("gamma", F_H_GAMMA, 5);
    c[n++] = human("synthetic", F_H_SYNTH, -9);
    c[n++] = (graft_tcol_t){.name = "flag", .field = F_FLAG, .gap = "  "};
    return n;
}

typedef struct htext {
    char direct[32], se[32], est[32], rmse[32], ci[80], gamma[32];
} htext_t;

static void fill_row(const graft_sae_area_t *a, int pct, graft_tcell_t *c,
                     htext_t *h)
{
    char lo[32], hi[32];
    double x[] = {a->estimate, a->mse, a->rmse, a->ci_low, a->ci_high,
                  a->gamma};
    memset(c, 0, F_COUNT * sizeof *c);
    c[F_AREA].s = a->area;
    c[F_DIRECT].x = a->direct;
    c[F_DIRECT_SE].x = a->direct_se;
    c[F_N].n = a->n;
    for (size_t i = 0; i < 6; i++)
        c[F_EST + i].x = x[i];
    if (pct) { /* a workbook's percent formats; mse and gamma stay plain */
        c[F_DIRECT].pct = c[F_EST].pct = c[F_LO].pct = c[F_HI].pct = 1;
        c[F_DIRECT_SE].pct = c[F_RMSE].pct = 2;
        c[F_FITTED].pct = 1;
    }
    c[F_SYNTH].n = (size_t)a->synthetic;
    c[F_FLAG].s = a->flag;
    c[F_FITTED].x = a->fitted;
    c[F_RESID].x = a->resid_std;
    /* percentages to 1 decimal, other values to 5 significant digits */
    graft_fmt_human(h->direct, sizeof h->direct, a->direct, pct, 1, pct);
    graft_fmt_human(h->se, sizeof h->se, a->direct_se, pct, 2, 0);
    graft_fmt_human(h->est, sizeof h->est, a->estimate, pct, 1, pct);
    graft_fmt_human(h->rmse, sizeof h->rmse, a->rmse, pct, 2, 0);
    graft_fmt_human(lo, sizeof lo, a->ci_low, pct, 1, pct);
    graft_fmt_human(hi, sizeof hi, a->ci_high, pct, 1, pct);
    snprintf(h->ci, sizeof h->ci, "%s to %s", lo, hi);
    graft_fmt_human(h->gamma, sizeof h->gamma, a->gamma, 0, 2, 1);
    const char *s[] = {h->direct, h->se, h->est, h->rmse, h->ci, h->gamma,
                       a->synthetic ? "yes" : ""};
    for (size_t i = 0; i < 7; i++)
        c[F_H_DIRECT + i].s = s[i];
}

static const char *variance_name(graft_sae_variance_t v)
{
    return v == GRAFT_SAE_VAR_SMOOTHED ? "smoothed" : "direct";
}

static json_t *json_model(const graft_sae_t *s)
{
    const graft_fh_t *fh = s->fit;
    json_t *root = json_object(), *m = json_object(), *k = json_array();
    if (!root || !m || !k) {
        json_decref(root);
        json_decref(m);
        json_decref(k);
        return NULL;
    }
    json_object_set_new(root, "indicator", json_string(s->indicator));
    json_object_set_new(root, "by", json_string(s->by));
    json_object_set_new(m, "method",
                        json_string(graft_sae_method_name(fh->method)));
    json_object_set_new(m, "formula", json_string(s->formula));
    json_object_set_new(m, "variance",
                        json_string(variance_name(s->variance)));
    json_object_set_new(m, "sigma2u", graft_json_real(fh->sigma2u));
    json_object_set_new(m, "iterations",
                        json_integer((json_int_t)fh->iterations));
    json_object_set_new(m, "loglik", graft_json_real(fh->loglik));
    json_object_set_new(m, "areas_in_fit",
                        json_integer((json_int_t)fh->n_fit));
    json_object_set_new(m, "level", graft_json_real(s->level));
    for (size_t j = 0; j < fh->p; j++)
        json_array_append_new(k, json_pack("{s:s, s:o, s:o}", "term",
                                           s->terms[j], "estimate",
                                           graft_json_real(fh->beta[j]), "se",
                                           graft_json_real(fh->beta_se[j])));
    json_object_set_new(m, "coefficients", k);
    json_object_set_new(root, "model", m);
    return root;
}

/* Text and Markdown: the model after the table. */
static void human_model(FILE *fp, const graft_sae_t *s, int md)
{
    const graft_fh_t *fh = s->fit;
    const char *bullet = md ? "- " : "";
    fprintf(fp, "\n%sFay-Herriot model %s, %s: sigma_u^2 = %.6g (%s), "
                "%zu iterations, log-likelihood %.6g, %zu of %zu areas in "
                "the fit, variances %s\n",
            bullet, s->formula, s->indicator, fh->sigma2u,
            graft_sae_method_name(fh->method), fh->iterations, fh->loglik,
            fh->n_fit, fh->n_areas, variance_name(s->variance));
    for (size_t j = 0; j < fh->p; j++)
        fprintf(fp, "%s  %-24s %12.6g  (se %.4g)\n", bullet, s->terms[j],
                fh->beta[j], fh->beta_se[j]);
    fprintf(fp, "%sestimates are model-based (EBLUP); intervals are "
                "estimate -/+ z rmse (docs/sae.md)\n", bullet);
}

/* The model as workbook notes under SHEET. */
static graft_error_t sae_notes(graft_workbook_t *wb, const char *sheet,
                               const graft_sae_t *s, graft_diag_t *diag)
{
    const graft_fh_t *fh = s->fit;
    graft_error_t rc = graft_workbook_note(wb, sheet, "indicator",
                                           s->indicator, diag);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "model", diag,
                               "Fay-Herriot %s, %s (docs/sae.md)", s->formula,
                               graft_sae_method_name(fh->method));
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(wb, sheet, "direct variances",
                                 variance_name(s->variance), diag);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "sigma_u^2", diag, "%.17g",
                               fh->sigma2u);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "iterations", diag, "%zu",
                               fh->iterations);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "log-likelihood", diag, "%.17g",
                               fh->loglik);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "areas in the fit", diag,
                               "%zu of %zu", fh->n_fit, fh->n_areas);
    for (size_t j = 0; rc == GRAFT_OK && j < fh->p; j++)
        rc = graft_xlsx_note_f(wb, sheet, "coefficient", diag,
                               "%s: %.17g (se %.17g)", s->terms[j],
                               fh->beta[j], fh->beta_se[j]);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "interval", diag,
                               "estimate -/+ z rmse, level %g: model-based",
                               s->level);
    return rc;
}

/* To FP in FORMAT, or (WB not NULL) as the sheet SHEET of WB. */
static graft_error_t write_to(FILE *fp, graft_workbook_t *wb,
                              const char *sheet, const graft_sae_t *s,
                              graft_table_format_t format, graft_diag_t *diag)
{
    graft_tcol_t cols[F_COUNT];
    char ci[48];
    int hum = format == GRAFT_TABLE_TEXT || format == GRAFT_TABLE_MD;
    int pct = s->proportion;
    snprintf(ci, sizeof ci, "%.10g%% interval", 100 * s->level);
    size_t n = hum ? human_columns(s, ci, cols) : data_columns(s, cols);
    graft_table_t t;
    graft_table_begin_to(&t, fp, wb, sheet, format, cols, n);
    for (size_t d = 0; d < s->n_areas; d++) {
        graft_tcell_t cells[F_COUNT];
        htext_t h;
        fill_row(&s->areas[d], pct, cells, &h);
        graft_table_row(&t, cells);
    }
    json_t *root = format == GRAFT_TABLE_JSON ? json_model(s) : NULL;
    graft_error_t rc = graft_table_end(&t, root, "areas", diag);
    if (rc == GRAFT_OK && wb)
        rc = sae_notes(wb, graft_xlsx_sheet(&t), s, diag);
    if (rc != GRAFT_OK || !hum || !fp) /* a workbook has no footer */
        return rc;
    human_model(fp, s, format == GRAFT_TABLE_MD);
    return graft_table_check(fp, diag);
}

graft_error_t graft_sae_write(FILE *fp, const graft_sae_t *s,
                              graft_table_format_t format,
                              graft_diag_t *diag)
{
    return write_to(fp, NULL, NULL, s, format, diag);
}

graft_error_t graft_sae_sheet(struct graft_workbook *wb, const char *sheet,
                              const graft_sae_t *s, graft_diag_t *diag)
{
    return write_to(NULL, wb, sheet, s, GRAFT_TABLE_XLSX, diag);
}
