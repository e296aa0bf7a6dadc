/*
 * model_write.c - a model's coefficient table (graft_model_write) through
 * the table writer (write/table_writer.h).
 *
 * CSV: one row per coefficient, full precision: term, estimate, se,
 * ci_low, ci_high, t, p_value, df and, for logistic and Poisson,
 * exp_estimate, exp_ci_low, exp_ci_high.  JSON: an object with the fit
 * (family, formula, file, n, weighted_n, design_df, df, iterations,
 * level), the Wald tests and the coefficients.  Text and Markdown: the
 * table with rounded numbers, then the fit and the tests.
 */
#include "graft/model.h"
#include "write/table_writer.h"
#include "write/xlsx_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    F_TERM, F_EST, F_SE, F_LO, F_HI, F_T, F_P, F_DF, F_EXP, F_EXP_LO,
    F_EXP_HI, F_H_EST, F_H_SE, F_H_CI, F_H_T, F_H_P, F_H_EXP, F_H_EXP_CI,
    F_COUNT
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

static size_t data_columns(const graft_model_t *m, graft_tcol_t *c)
{
    static const char *const names[] = {"estimate", "se", "ci_low",
                                        "ci_high", "t", "p_value", "df",
                                        "exp_estimate", "exp_ci_low",
                                        "exp_ci_high"};
    size_t n = 0, last = m->family == GRAFT_FAMILY_LINEAR ? 7 : 10;
    c[n++] = col("term", F_TERM, GRAFT_TCOL_TEXT);
    for (size_t i = 0; i < last; i++)
        c[n++] = col(names[i], F_EST + i, GRAFT_TCOL_REAL);
    return n;
}

static size_t human_columns(const graft_model_t *m, const char *ci,
                            const char *exp_name, graft_tcol_t *c)
{
    size_t n = 0;
    c[n++] = (graft_tcol_t){.name = "term", .field = F_TERM, .width = -28};
    c[n++] = human("estimate", F_H_EST, 10);
    c[n++] = human("se", F_H_SE, 9);
    c[n++] = human(ci, F_H_CI, -22);
    c[n++] = human("t", F_H_T, 7);
    c[n++] = human("p", F_H_P, 7);
    if (m->family != GRAFT_FAMILY_LINEAR) {
        c[n++] = human(exp_name, F_H_EXP, 9);
        c[n++] = human(ci, F_H_EXP_CI, -20);
    }
    return n;
}

typedef struct htext {
    char est[32], se[32], ci[80], t[32], p[32], ex[32], exci[80];
} htext_t;

static void fmt_p(char *buf, size_t n, double p)
{
    if (!isfinite(p))
        snprintf(buf, n, "-");
    else if (p < 0.001)
        snprintf(buf, n, "<0.001");
    else
        snprintf(buf, n, "%.3f", p);
}

static void fill_row(const graft_model_t *m, const graft_model_coef_t *k,
                     graft_tcell_t *cells, htext_t *h)
{
    char a[32], b[32];
    double x[] = {k->estimate, k->se, k->ci_low, k->ci_high, k->t, k->p,
                  m->df, k->exp_estimate, k->exp_ci_low, k->exp_ci_high};
    memset(cells, 0, F_COUNT * sizeof *cells);
    cells[F_TERM].s = k->term;
    for (size_t i = 0; i < 10; i++)
        cells[F_EST + i].x = x[i];
    graft_fmt_human(h->est, sizeof h->est, k->estimate, 0, 3, 1);
    graft_fmt_human(h->se, sizeof h->se, k->se, 0, 3, 1);
    graft_fmt_human(a, sizeof a, k->ci_low, 0, 3, 1);
    graft_fmt_human(b, sizeof b, k->ci_high, 0, 3, 1);
    snprintf(h->ci, sizeof h->ci, "%s to %s", a, b);
    graft_fmt_human(h->t, sizeof h->t, k->t, 0, 2, 1);
    fmt_p(h->p, sizeof h->p, k->p);
    graft_fmt_human(h->ex, sizeof h->ex, k->exp_estimate, 0, 3, 1);
    graft_fmt_human(a, sizeof a, k->exp_ci_low, 0, 3, 1);
    graft_fmt_human(b, sizeof b, k->exp_ci_high, 0, 3, 1);
    snprintf(h->exci, sizeof h->exci, "%s to %s", a, b);
    const char *s[] = {h->est, h->se, h->ci, h->t, h->p, h->ex, h->exci};
    for (size_t i = 0; i < 7; i++)
        cells[F_H_EST + i].s = s[i];
}

static json_t *json_fit(const graft_model_t *m)
{
    json_t *root = json_object(), *tests = json_array();
    if (!root || !tests) {
        json_decref(root);
        json_decref(tests);
        return NULL;
    }
    json_object_set_new(root, "family",
                        json_string(graft_family_name(m->family)));
    json_object_set_new(root, "formula", json_string(m->formula));
    json_object_set_new(root, "file", json_string(m->file));
    json_object_set_new(root, "n", json_integer((json_int_t)m->n));
    json_object_set_new(root, "weighted_n", graft_json_real(m->weighted_n));
    json_object_set_new(root, "design_df", graft_json_real(m->design_df));
    json_object_set_new(root, "df", graft_json_real(m->df));
    json_object_set_new(root, "iterations",
                        json_integer((json_int_t)m->iterations));
    json_object_set_new(root, "level", graft_json_real(m->level));
    for (size_t t = 0; t < m->n_tests; t++) {
        const graft_model_test_t *x = &m->tests[t];
        json_array_append_new(
            tests, json_pack("{s:s, s:o, s:I, s:o, s:o}", "term", x->term,
                             "F", graft_json_real(x->F), "df",
                             (json_int_t)x->df, "ddf", graft_json_real(x->ddf),
                             "p_value", graft_json_real(x->p)));
    }
    json_object_set_new(root, "tests", tests);
    return root;
}

/* Text and Markdown: the fit and the tests after the table. */
static void human_footer(FILE *fp, const graft_model_t *m, int md)
{
    const char *bullet = md ? "- " : "";
    char p[32];
    fprintf(fp, "\n%s%s model, %zu rows (weighted %.6g), design df %.10g, "
                "residual df %.10g, %zu iterations\n",
            bullet, graft_family_name(m->family), m->n, m->weighted_n,
            m->design_df, m->df, m->iterations);
    for (size_t t = 0; t < m->n_tests; t++) {
        const graft_model_test_t *x = &m->tests[t];
        fmt_p(p, sizeof p, x->p);
        fprintf(fp, "%sWald test of %s: F = %.4g on %zu and %.10g df, "
                    "p %s%s\n",
                bullet, x->term, x->F, x->df, x->ddf, p[0] == '<' ? "" : "= ",
                p[0] == '<' ? "< 0.001" : p);
    }
    for (size_t t = 0; t < m->n_terms; t++)
        if (m->reference[t])
            fprintf(fp, "%sreference level of %s: %s\n", bullet, m->terms[t],
                    m->reference[t]);
}

/* What the model knows of its fit and methods, as workbook notes. */
static graft_error_t model_notes(graft_workbook_t *wb, const char *sheet,
                                 const graft_model_t *m, graft_diag_t *diag)
{
    graft_error_t rc = graft_workbook_note(wb, sheet, "data file",
                                           m->file ? m->file : "", diag);
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(wb, sheet, "family",
                                 graft_family_name(m->family), diag);
    if (rc == GRAFT_OK)
        rc = graft_workbook_note(wb, sheet, "formula",
                                 m->formula ? m->formula : "", diag);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "rows", diag, "%zu", m->n);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "weighted n", diag, "%.17g",
                               m->weighted_n);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "design df", diag, "%.17g",
                               m->design_df);
    if (rc == GRAFT_OK)
        rc = graft_xlsx_note_f(wb, sheet, "level", diag, "%g", m->level);
    for (size_t i = 0; rc == GRAFT_OK && i < m->n_tests; i++)
        rc = graft_xlsx_note_f(wb, sheet, "Wald test", diag,
                               "%s: F = %.17g on %zu and %.17g df, p = %.17g",
                               m->tests[i].term, m->tests[i].F,
                               m->tests[i].df, m->tests[i].ddf,
                               m->tests[i].p);
    return rc;
}

/* To FP in FORMAT, or (WB not NULL) as the sheet SHEET of WB. */
static graft_error_t write_to(FILE *fp, graft_workbook_t *wb,
                              const char *sheet, const graft_model_t *m,
                              graft_table_format_t format, graft_diag_t *diag)
{
    graft_tcol_t cols[F_COUNT];
    char ci[48], exp_name[24];
    int hum = format == GRAFT_TABLE_TEXT || format == GRAFT_TABLE_MD;
    snprintf(ci, sizeof ci, "%.10g%% CI", 100 * m->level);
    snprintf(exp_name, sizeof exp_name, "%s",
             m->family == GRAFT_FAMILY_LOGISTIC ? "odds ratio" : "rate ratio");
    size_t n = hum ? human_columns(m, ci, exp_name, cols)
                   : data_columns(m, cols);
    graft_table_t t;
    graft_table_begin_to(&t, fp, wb, sheet, format, cols, n);
    for (size_t j = 0; j < m->p; j++) {
        graft_tcell_t cells[F_COUNT];
        htext_t h;
        fill_row(m, &m->coefs[j], cells, &h);
        graft_table_row(&t, cells);
    }
    json_t *root = format == GRAFT_TABLE_JSON ? json_fit(m) : NULL;
    graft_error_t rc = graft_table_end(&t, root, "coefficients", diag);
    if (rc == GRAFT_OK && wb)
        rc = model_notes(wb, graft_xlsx_sheet(&t), m, diag);
    if (rc != GRAFT_OK || !hum || !fp) /* a workbook has no footer */
        return rc;
    human_footer(fp, m, format == GRAFT_TABLE_MD);
    return graft_table_check(fp, diag);
}

graft_error_t graft_model_write(FILE *fp, const graft_model_t *m,
                                graft_table_format_t format,
                                graft_diag_t *diag)
{
    return write_to(fp, NULL, NULL, m, format, diag);
}

graft_error_t graft_model_sheet(graft_workbook_t *wb, const char *sheet,
                                const graft_model_t *m, graft_diag_t *diag)
{
    return write_to(NULL, wb, sheet, m, GRAFT_TABLE_XLSX, diag);
}
