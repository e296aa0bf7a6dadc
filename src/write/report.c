/*
 * report.c - report.md and report.html from the results of `graft run`.
 *
 * Both come from one walk over the results through a small document
 * writer (headings, paragraphs, tables, figures) that emits Markdown or
 * HTML, so the two reports always say the same thing.  Everything from
 * the user's data is escaped for the format.
 */
#include "graft/report.h"
#include "graft/version.h"

#include <math.h>
#include <string.h>

/* ---- the document writer -------------------------------------------- */

typedef struct doc {
    FILE *fp;
    int html;
} doc_t;

static void text(doc_t *d, const char *s)
{
    for (; s && *s; s++) {
        if (d->html) {
            switch (*s) {
            case '<': fputs("&lt;", d->fp); continue;
            case '>': fputs("&gt;", d->fp); continue;
            case '&': fputs("&amp;", d->fp); continue;
            case '"': fputs("&quot;", d->fp); continue;
            default: break;
            }
        } else if (strchr("|*_`[]<>\\#", *s)) {
            fputc('\\', d->fp);
        }
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, d->fp);
    }
}

static void heading(doc_t *d, int level, const char *s)
{
    if (d->html) {
        fprintf(d->fp, "<h%d>", level);
        text(d, s);
        fprintf(d->fp, "</h%d>\n", level);
    } else {
        fprintf(d->fp, "\n%.*s ", level, "######");
        text(d, s);
        fputs("\n\n", d->fp);
    }
}

static void para_start(doc_t *d)
{
    fputs(d->html ? "<p>" : "", d->fp);
}

static void para_end(doc_t *d)
{
    fputs(d->html ? "</p>\n" : "\n\n", d->fp);
}

static void para(doc_t *d, const char *s)
{
    para_start(d);
    text(d, s);
    para_end(d);
}

static void emph(doc_t *d, const char *s)
{
    fputs(d->html ? "<em>" : "*", d->fp);
    text(d, s);
    fputs(d->html ? "</em>" : "*", d->fp);
}

/* A paragraph of A then B in italics: the report's last line. */
static void emph_para(doc_t *d, const char *a, const char *b)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s%s.", a, b);
    para_start(d);
    emph(d, buf);
    para_end(d);
}

static void table_start(doc_t *d, const char *const *head, size_t n)
{
    if (d->html) {
        fputs("<table>\n<tr>", d->fp);
        for (size_t i = 0; i < n; i++) {
            fputs("<th>", d->fp);
            text(d, head[i]);
            fputs("</th>", d->fp);
        }
        fputs("</tr>\n", d->fp);
        return;
    }
    fputs("|", d->fp);
    for (size_t i = 0; i < n; i++) {
        fputc(' ', d->fp);
        text(d, head[i]);
        fputs(" |", d->fp);
    }
    fputs("\n|", d->fp);
    for (size_t i = 0; i < n; i++)
        fputs(i ? "---:|" : "---|", d->fp);
    fputc('\n', d->fp);
}

/* Numbers and intervals are right-aligned, words left-aligned. */
static int is_text(const char *s)
{
    return *s && !strchr("0123456789[-+.", *s);
}

static void table_row(doc_t *d, const char *const *cells, size_t n, int strong)
{
    fputs(d->html ? "<tr>" : "|", d->fp);
    for (size_t i = 0; i < n; i++) {
        if (d->html) {
            fputs(is_text(cells[i]) ? "<td class=\"t\">" : "<td>", d->fp);
            fputs(strong ? "<strong>" : "", d->fp);
            text(d, cells[i]);
            fputs(strong ? "</strong></td>" : "</td>", d->fp);
        } else {
            fputs(strong && *cells[i] ? " **" : " ", d->fp);
            text(d, cells[i]);
            fputs(strong && *cells[i] ? "** |" : " |", d->fp);
        }
    }
    fputs(d->html ? "</tr>\n" : "\n", d->fp);
}

static void table_end(doc_t *d)
{
    fputs(d->html ? "</table>\n" : "\n", d->fp);
}

/* A chart: inline SVG in HTML, an image link in Markdown. */
static graft_error_t figure(doc_t *d, const graft_report_chart_t *c,
                            graft_diag_t *diag)
{
    if (!d->html) {
        fputs("![", d->fp);
        text(d, c->title ? c->title : c->name);
        fprintf(d->fp, "](%s)\n\n", c->png_file);
        return GRAFT_OK;
    }
    FILE *in = fopen(c->svg_path, "r");
    if (!in)
        return graft_diag_set(diag, GRAFT_ERR_READ, c->svg_path, 0, 0,
                              "cannot read the chart");
    fputs("<figure>\n", d->fp);
    char buf[8192];
    int started = 0;
    while (fgets(buf, sizeof buf, in)) {
        /* drop the XML prolog and doctype: the SVG is inlined */
        if (!started && !strstr(buf, "<svg"))
            continue;
        started = 1;
        fputs(buf, d->fp);
    }
    int bad = ferror(in);
    fclose(in);
    fputs("</figure>\n", d->fp);
    return bad ? graft_diag_set(diag, GRAFT_ERR_READ, c->svg_path, 0, 0,
                                "cannot read the chart")
               : GRAFT_OK;
}

/* ---- numbers ---------------------------------------------------------- */

static void fmt_est(char *buf, size_t n, double v, int pct)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else if (pct)
        snprintf(buf, n, "%.1f %%", 100 * v);
    else
        snprintf(buf, n, "%.4g", v);
}

static void fmt_ci(char *buf, size_t n, double lo, double hi, int pct)
{
    if (!isfinite(lo) || !isfinite(hi))
        snprintf(buf, n, "-");
    else if (pct)
        snprintf(buf, n, "[%.1f, %.1f]", 100 * lo, 100 * hi);
    else
        snprintf(buf, n, "[%.4g, %.4g]", lo, hi);
}

/* ---- sections --------------------------------------------------------- */

static const char *by_text(const graft_estimates_t *e,
                           const graft_estimate_row_t *r, char *buf, size_t n)
{
    if (r->by_set == (size_t)-1)
        return "All";
    buf[0] = '\0';
    for (size_t j = 0; j < e->opts->by[r->by_set].n_columns; j++) {
        if (j)
            strncat(buf, " / ", n - strlen(buf) - 1);
        strncat(buf, r->by_values[j], n - strlen(buf) - 1);
    }
    return buf;
}

static void design_section(doc_t *d, const graft_report_t *r)
{
    const graft_estimates_t *e = r->est;
    heading(d, 2, "Data and design");
    static const char *const head[] = {"round", "survey (data file)", "rows",
                                       "sum of weights", "strata", "PSUs",
                                       "df"};
    table_start(d, head, 7);
    for (size_t q = 0; q < r->n_rounds; q++) {
        const graft_design_summary_t *g = &e->round_design[q];
        char rows[32], sw[48], st[32], ps[32], df[32];
        snprintf(rows, sizeof rows, "%zu", g->n_rows);
        snprintf(sw, sizeof sw, "%.0f", g->sum_w);
        snprintf(st, sizeof st, "%zu", g->n_strata);
        snprintf(ps, sizeof ps, "%zu", g->n_psu);
        snprintf(df, sizeof df, "%ld", g->df);
        const char *cells[] = {r->round_labels[q], r->round_sources[q], rows,
                               sw, st, ps, df};
        table_row(d, cells, 7, 0);
    }
    table_end(d);
}

/* The header of an indicator's table: domain, then estimate, interval
 * and n per round (at most 16 rounds), then the reliability flags. */
static void estimates_head(doc_t *d, const graft_report_t *r)
{
    const graft_estimate_opts_t *o = r->est->opts;
    const char *head[2 + 3 * 16];
    char hbuf[16][3][96];
    size_t nh = 0;
    head[nh++] = "domain";
    for (size_t q = 0; q < r->est->n_rounds && q < 16; q++) {
        snprintf(hbuf[q][0], sizeof hbuf[q][0], "%s", r->round_labels[q]);
        snprintf(hbuf[q][1], sizeof hbuf[q][1], "%g %% CI", 100 * o->level);
        snprintf(hbuf[q][2], sizeof hbuf[q][2], "n");
        for (int x = 0; x < 3; x++)
            head[nh++] = hbuf[q][x];
    }
    head[nh++] = "reliability";
    table_start(d, head, nh);
}

/* One domain's row: ROWS holds its estimate in each round. */
static void estimates_row(doc_t *d, const graft_report_t *r,
                          const graft_estimate_row_t *rows, int pct)
{
    size_t R = r->est->n_rounds;
    char dom[256], cbuf[16][3][96], flags[1024] = "";
    const char *cells[2 + 3 * 16];
    size_t nc = 0;
    cells[nc++] = by_text(r->est, &rows[0], dom, sizeof dom);
    for (size_t q = 0; q < R && q < 16; q++) {
        const graft_estimate_row_t *x = &rows[q];
        /* NCHS: a suppressed estimate is not shown. */
        int hide = strncmp(x->flag, "suppress", 8) == 0;
        fmt_est(cbuf[q][0], sizeof cbuf[q][0], hide ? NAN : x->estimate, pct);
        fmt_ci(cbuf[q][1], sizeof cbuf[q][1], hide ? NAN : x->ci_low,
               x->ci_high, pct);
        if (hide)
            snprintf(cbuf[q][0], sizeof cbuf[q][0], "suppressed");
        snprintf(cbuf[q][2], sizeof cbuf[q][2], "%zu", x->n);
        for (int y = 0; y < 3; y++)
            cells[nc++] = cbuf[q][y];
        if (*x->flag) {
            size_t used = strlen(flags);
            snprintf(flags + used, sizeof flags - used, "%s%s%s%s",
                     used ? "; " : "", R > 1 ? r->round_labels[q] : "",
                     R > 1 ? ": " : "", x->flag);
        }
    }
    cells[nc++] = flags;
    table_row(d, cells, nc, rows[0].by_set == (size_t)-1);
}

/* The charts of indicator NAME, after its table. */
static graft_error_t indicator_charts(doc_t *d, const graft_report_t *r,
                                      const char *name, graft_diag_t *diag)
{
    for (size_t c = 0; c < r->n_charts; c++)
        if (r->charts[c].indicator &&
            strcmp(r->charts[c].indicator, name) == 0) {
            graft_error_t rc = figure(d, &r->charts[c], diag);
            if (rc != GRAFT_OK)
                return rc;
        }
    return GRAFT_OK;
}

/* One table per indicator: domains down, rounds across. */
static graft_error_t estimates_section(doc_t *d, const graft_report_t *r,
                                       graft_diag_t *diag)
{
    const graft_estimates_t *e = r->est;
    const graft_estimate_opts_t *o = e->opts;
    size_t K = o->n_indicators, R = e->n_rounds;
    size_t D = e->n_rows / (K * R);
    heading(d, 2, "Estimates");
    char level[400];
    snprintf(level, sizeof level,
             "Estimates with %g %% confidence intervals (%s) and the "
             "unweighted number of respondents in the domain; the last "
             "column names the reliability rules that fired (NCHS); "
             "suppressed estimates are not shown (estimates.csv has them).",
             100 * o->level, graft_ci_method_name(o->ci));
    para(d, level);
    for (size_t k = 0; k < K; k++) {
        const graft_indicator_spec_t *ind = &o->indicators[k];
        heading(d, 3, ind->label ? ind->label : graft_indicator_name(ind));
        if (ind->question) {
            para_start(d);
            emph(d, ind->question);
            para_end(d);
        }
        estimates_head(d, r);
        for (size_t i = 0; i < D; i++)
            estimates_row(d, r, &e->rows[(k * D + i) * R],
                          ind->type == GRAFT_IND_PROP);
        table_end(d);
        graft_error_t rc = indicator_charts(d, r, graft_indicator_name(ind),
                                            diag);
        if (rc != GRAFT_OK)
            return rc;
    }
    return GRAFT_OK;
}

static void changes_table(doc_t *d, const graft_report_t *r, int trend)
{
    const graft_changes_t *ch = r->changes;
    const graft_estimates_t *e = ch->est;
    static const char *const head[] = {"indicator", "domain", "from", "to",
                                       "change", "CI", "p adjusted",
                                       "verdict"};
    table_start(d, head, 8);
    for (size_t i = 0; i < ch->n_rows; i++) {
        const graft_change_row_t *x = &ch->rows[i];
        if (x->table != trend || x->term == GRAFT_TERM_ESTIMATE)
            continue;
        const graft_indicator_spec_t *ind = &e->opts->indicators[x->indicator];
        int pct = ind->type == GRAFT_IND_PROP;
        char dom[256], from[128], to[128], est[48], ci[64], p[32], verdict[600];
        const char *domain = by_text(e, x->where, dom, sizeof dom);
        if (x->term == GRAFT_TERM_CHANGE) {
            snprintf(from, sizeof from, "%s", r->round_labels[x->from]);
            snprintf(to, sizeof to, "%s", r->round_labels[x->to]);
        } else {
            snprintf(from, sizeof from, "%s",
                     x->term == GRAFT_TERM_LINEAR ? "linear trend"
                                                  : "slope per year");
            to[0] = '\0';
        }
        if (isfinite(x->estimate) && pct)
            snprintf(est, sizeof est, "%+.1f pts", 100 * x->estimate);
        else if (isfinite(x->estimate))
            snprintf(est, sizeof est, "%+.4g", x->estimate);
        else
            snprintf(est, sizeof est, "-");
        fmt_ci(ci, sizeof ci, x->ci_low, x->ci_high, pct);
        if (isfinite(x->p_adjusted))
            snprintf(p, sizeof p, "%.4f", x->p_adjusted);
        else
            snprintf(p, sizeof p, "-");
        snprintf(verdict, sizeof verdict, "%s%s%s", x->change,
                 *x->change && *x->flag ? "; " : "", x->flag);
        const char *cells[] = {graft_indicator_name(ind), domain, from, to,
                               est, ci, p, verdict};
        table_row(d, cells, 8, x->where->by_set == (size_t)-1);
    }
    table_end(d);
}

static graft_error_t changes_section(doc_t *d, const graft_report_t *r,
                                     graft_diag_t *diag)
{
    const graft_changes_t *ch = r->changes;
    if (!ch)
        return GRAFT_OK;
    char buf[512];
    if (ch->n_pairs) {
        heading(d, 2, "Changes between rounds");
        snprintf(buf, sizeof buf,
                 "Differences in percentage points for proportions, with "
                 "%g %% confidence intervals (not adjusted); p-values from t "
                 "tests, adjusted with %s over every comparison of the run; "
                 "a change is reported when the adjusted p is below %g.",
                 100 * ch->opts.level, graft_adjust_name(ch->opts.adjust),
                 1 - ch->opts.level);
        para(d, buf);
        changes_table(d, r, 0);
        for (size_t c = 0; c < r->n_charts; c++)
            if (strcmp(r->charts[c].kind, "dumbbell") == 0) {
                graft_error_t rc = figure(d, &r->charts[c], diag);
                if (rc != GRAFT_OK)
                    return rc;
            }
    }
    if (ch->trend) {
        heading(d, 2, "Trend across rounds");
        para(d, "Consecutive and first-to-last changes, the linear trend "
                "(orthonormal polynomial contrast over the rounds' years) "
                "and the same trend as a slope per year.");
        changes_table(d, r, 1);
        for (size_t c = 0; c < r->n_charts; c++)
            if (strcmp(r->charts[c].kind, "trend") == 0) {
                graft_error_t rc = figure(d, &r->charts[c], diag);
                if (rc != GRAFT_OK)
                    return rc;
            }
    }
    return GRAFT_OK;
}

static graft_error_t other_charts(doc_t *d, const graft_report_t *r,
                                  graft_diag_t *diag)
{
    int any = 0;
    for (size_t c = 0; c < r->n_charts; c++) {
        const graft_report_chart_t *x = &r->charts[c];
        if (x->indicator || strcmp(x->kind, "dumbbell") == 0 ||
            strcmp(x->kind, "trend") == 0)
            continue;
        if (!any)
            heading(d, 2, "Overview");
        any = 1;
        graft_error_t rc = figure(d, x, diag);
        if (rc != GRAFT_OK)
            return rc;
    }
    return GRAFT_OK;
}

/* ---- models ----------------------------------------------------------- */

/* The family in words, and what its exponentiated coefficients are. */
static const char *family_words(graft_family_t f)
{
    return f == GRAFT_FAMILY_LOGISTIC
               ? "Logistic regression (quasi-binomial, logit link)"
           : f == GRAFT_FAMILY_POISSON
               ? "Poisson regression (quasi-Poisson, log link)"
               : "Linear regression (Gaussian, identity link)";
}

static void model_table(doc_t *d, const graft_model_t *m)
{
    int ratio = m->family != GRAFT_FAMILY_LINEAR;
    char level[48], est[32], ci[64], p[32];
    snprintf(level, sizeof level, "%g %% CI", 100 * m->level);
    const char *head[] = {"Term",
                          !ratio ? "Coefficient"
                          : m->family == GRAFT_FAMILY_LOGISTIC ? "Odds ratio"
                                                               : "Rate ratio",
                          level, "p"};
    table_start(d, head, 4);
    for (size_t j = 0; j < m->p; j++) {
        const graft_model_coef_t *c = &m->coefs[j];
        int intercept = c->term_index == (size_t)-1;
        /* a ratio of the intercept is a baseline odds or rate, not a
         * comparison: its coefficient is shown instead */
        int r = ratio && !intercept;
        fmt_est(est, sizeof est, r ? c->exp_estimate : c->estimate, 0);
        fmt_ci(ci, sizeof ci, r ? c->exp_ci_low : c->ci_low,
               r ? c->exp_ci_high : c->ci_high, 0);
        if (!isfinite(c->p))
            snprintf(p, sizeof p, "-");
        else if (c->p < 0.001)
            snprintf(p, sizeof p, "<0.001");
        else
            snprintf(p, sizeof p, "%.3f", c->p);
        const char *row[] = {!intercept || !ratio ? c->term
                             : m->family == GRAFT_FAMILY_LOGISTIC
                                 ? "(Intercept), log odds"
                                 : "(Intercept), log rate",
                             est, ci, p};
        table_row(d, row, 4, 0);
    }
    table_end(d);
}

/* The fit in words: family, response and terms, domain, round, weights,
 * rows, df, reference levels and tests. */
static void model_para(doc_t *d, const graft_report_model_t *x)
{
    const graft_model_t *m = x->model;
    char buf[3072];
    size_t len = (size_t)snprintf(
        buf, sizeof buf,
        "%s of %s%s%s, on %s: %zu rows (weighted %.0f), design df %g, "
        "residual df %g, %zu iterations.",
        family_words(m->family), m->formula, x->among ? ", among " : "",
        x->among ? x->among : "", x->round_label, m->n, m->weighted_n,
        m->design_df, m->df, m->iterations);
    for (size_t t = 0, k = 0; t < m->n_terms && len < sizeof buf - 200; t++)
        if (m->reference[t])
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                    k++ ? ", " : " Reference levels: ",
                                    m->reference[t]);
    for (size_t t = 0; t < m->n_tests && len < sizeof buf - 200; t++)
        len += (size_t)snprintf(
            buf + len, sizeof buf - len,
            "%s%s: F = %.3g on %zu and %g df, p %s %.3g", t ? "; " : ". "
            "Wald tests that a term's coefficients are all zero (R's "
            "regTermTest): ",
            m->tests[t].term, m->tests[t].F, m->tests[t].df, m->tests[t].ddf,
            m->tests[t].p < 0.001 ? "<" : "=",
            m->tests[t].p < 0.001 ? 0.001 : m->tests[t].p);
    if (len < sizeof buf - 2)
        snprintf(buf + len, sizeof buf - len, "%s",
                 m->n_tests || len == 0 ? "." : "");
    para(d, buf);
    if (x->design_weights)
        para(d, "The model uses the round's design weights, not the "
                "calibrated ones of [weighting]: graft does not yet give a "
                "model the variance of a calibrated design (it needs the "
                "calibration residuals), so these estimates and standard "
                "errors are those of the uncalibrated design.");
}

static graft_error_t models_section(doc_t *d, const graft_report_t *r,
                                    graft_diag_t *diag)
{
    if (!r->n_models)
        return GRAFT_OK;
    heading(d, 2, "Models");
    para(d, "Design-based regressions (R's svyglm): standard errors from "
            "the design, t and p on the residual degrees of freedom. For "
            "logistic and Poisson models the table gives odds or rate "
            "ratios, exp(coefficient), each factor level against its "
            "reference level, adjusted for the other terms.");
    for (size_t i = 0; i < r->n_models; i++) {
        const graft_report_model_t *x = &r->models[i];
        heading(d, 3, x->title ? x->title : x->name);
        model_para(d, x);
        model_table(d, x->model);
        if (x->chart) {
            graft_error_t rc = figure(d, x->chart, diag);
            if (rc != GRAFT_OK)
                return rc;
        }
    }
    return GRAFT_OK;
}

/* ---- small-area estimates ------------------------------------------- */

static void sae_table(doc_t *d, const graft_sae_t *s)
{
    int pct = s->proportion;
    char level[48], dir[32], dci[64], est[32], eci[64], rmse[32], gam[32],
        n[32];
    snprintf(level, sizeof level, "%g %% interval", 100 * s->level);
    const char *head[] = {s->by, "n", "Direct", "Direct SE", "EBLUP",
                          "RMSE", level, "gamma", "Note"};
    table_start(d, head, 9);
    for (size_t i = 0; i < s->n_areas; i++) {
        const graft_sae_area_t *a = &s->areas[i];
        snprintf(n, sizeof n, "%zu", a->n);
        fmt_est(dir, sizeof dir, a->direct, pct);
        fmt_est(dci, sizeof dci, a->direct_se, pct);
        fmt_est(est, sizeof est, a->estimate, pct);
        fmt_est(rmse, sizeof rmse, a->rmse, pct);
        fmt_ci(eci, sizeof eci, a->ci_low, a->ci_high, pct);
        snprintf(gam, sizeof gam, "%.2f", a->gamma);
        const char *note = a->flag[0] ? a->flag
                           : a->synthetic ? "synthetic" : "";
        const char *row[] = {a->area, n, dir, dci, est, rmse, eci, gam, note};
        table_row(d, row, 9, 0);
    }
    table_end(d);
}

/* The label of indicator NAME in A, else NAME. */
static const char *indicator_label(const graft_analysis_t *a,
                                   const char *name)
{
    for (size_t i = 0; a && i < a->n_indicators; i++)
        if (strcmp(graft_indicator_name(&a->indicators[i]), name) == 0 &&
            a->indicators[i].label)
            return a->indicators[i].label;
    return name;
}

/* The model in words: method, covariates, sigma_u^2, coefficients. */
static void sae_para(doc_t *d, const graft_report_t *r,
                     const graft_report_sae_t *x)
{
    const graft_sae_t *s = x->sae;
    const graft_fh_t *fh = s->fit;
    char buf[3072];
    size_t len = (size_t)snprintf(
        buf, sizeof buf,
        "Fay-Herriot model of %s by %s, on %s: direct estimates ~ %s, "
        "sigma_u^2 = %.4g by %s (%zu iterations), %zu of %zu areas in the "
        "fit, %s direct variances. Coefficients (SE):",
        indicator_label(r->analysis, s->indicator), s->by, x->round_label,
        s->formula + strspn(s->formula, "~ \t"), fh->sigma2u,
        graft_sae_method_name(fh->method), fh->iterations, fh->n_fit,
        fh->n_areas,
        s->variance == GRAFT_SAE_VAR_SMOOTHED ? "smoothed" : "design-based");
    for (size_t j = 0; j < fh->p && len < sizeof buf - 200; j++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s %s %.4g "
                                "(%.3g)", j ? "," : "", s->terms[j],
                                fh->beta[j], fh->beta_se[j]);
    if (len < sizeof buf - 2)
        snprintf(buf + len, sizeof buf - len, ".");
    para(d, buf);
    if (fh->sigma2u == 0)
        para(d, "sigma_u^2 is estimated at 0: the model says the covariates "
                "explain all the differences between areas, so every EBLUP "
                "is the synthetic estimate x'beta and the direct estimates "
                "get no weight. Treat these estimates with caution.");
    if (fh->n_fit < GRAFT_SAE_FEW_AREAS) {
        snprintf(buf, sizeof buf,
                 "Only %zu areas are in the fit: with fewer than about %d, "
                 "sigma_u^2 and the RMSE are imprecise, and these estimates "
                 "show the method rather than results to publish.",
                 fh->n_fit, GRAFT_SAE_FEW_AREAS);
        para(d, buf);
    }
    if (x->design_weights)
        para(d, "The direct estimates use the round's design weights, not "
                "the calibrated ones of [weighting].");
}

static graft_error_t saes_section(doc_t *d, const graft_report_t *r,
                                  graft_diag_t *diag)
{
    if (!r->n_saes)
        return GRAFT_OK;
    heading(d, 2, "Small-area estimates");
    para(d, "These estimates are model-based, not design-based. Each "
            "area's direct estimate (from the sample alone) is combined "
            "with a prediction from area covariates (an area-level "
            "Fay-Herriot model), weighted by gamma, the share of the "
            "direct estimate: areas with small samples lean on the model. "
            "The RMSE and the interval (EBLUP -/+ z RMSE) hold only if the "
            "model is right: that the covariates predict the areas' true "
            "values linearly, that the areas' deviations from the model "
            "are normal with one variance, and that the direct variances "
            "are known. Check the residual charts; synthetic estimates (no "
            "direct estimate in the fit) rest on the model alone. See "
            "docs/sae.md.");
    for (size_t i = 0; i < r->n_saes; i++) {
        const graft_report_sae_t *x = &r->saes[i];
        heading(d, 3, x->title ? x->title : x->name);
        sae_para(d, r, x);
        sae_table(d, x->sae);
        const graft_report_chart_t *c[] = {x->chart, x->resid};
        for (int k = 0; k < 2; k++)
            if (c[k]) {
                graft_error_t rc = figure(d, c[k], diag);
                if (rc != GRAFT_OK)
                    return rc;
            }
    }
    return GRAFT_OK;
}

/* Append to BUF the weighting reports graft run wrote ([weighting]: the
 * rounds it names, or every round when it only trims). */
static void weighting_files(const graft_report_t *r, char *buf, size_t size)
{
    const graft_analysis_t *a = r->analysis;
    size_t len = strlen(buf), n = 0;
    if (!a || !a->has_weighting)
        return;
    size_t total = a->n_weighting ? a->n_weighting : a->n_rounds;
    for (size_t i = 0; i < total && len + 80 < size; i++) {
        const char *round = a->n_weighting ? a->weighting[i].round
                                           : a->rounds[i].name;
        len += (size_t)snprintf(buf + len, size - len, "%s%s_weighting.txt",
                                n++ ? ", " : " The weighting reports: ",
                                round);
    }
    if (n && len + 2 < size)
        snprintf(buf + len, size - len, ".");
}

/* The first round's weight calibrated to population margins (graft
 * weight; [weighting] in graft run). */
static void calibration_para(doc_t *d, const graft_report_t *r)
{
    const graft_cal_spec_t *c = r->spec->cal;
    char buf[2048], margins[1024] = "";
    size_t len = 0;
    for (size_t m = 0; m < c->n_margins && len < sizeof margins - 64; m++)
        for (size_t v = 0; v < c->margins[m].n_vars; v++)
            len += (size_t)snprintf(margins + len, sizeof margins - len,
                                    "%s%s", v ? " x " : m ? ", " : "",
                                    c->margins[m].vars[v]);
    static const char *const how[] = {
        "post-stratification (R's postStratify)", "raking (R's rake)",
        "linear calibration, GREG (R's calibrate, calfun linear)",
        "logit calibration (R's calibrate, calfun logit)",
        "raking calibration (R's calibrate, calfun raking)"};
    snprintf(buf, sizeof buf,
             "The weights were calibrated to population margins (%s) by "
             "%s%s; standard errors use the residuals of the calibration, "
             "as R's svyrecvar does for a calibrated design.",
             margins,
             c->method >= 0 && c->method < 5 ? how[c->method] : "?",
             r->spec->weight && c->calibrated_weight &&
                     strcmp(r->spec->weight, c->calibrated_weight) != 0
                 ? ", then trimmed (R's trimWeights)"
                 : "");
    weighting_files(r, buf, sizeof buf);
    para(d, buf);
}

static void methods_section(doc_t *d, const graft_report_t *r)
{
    const graft_design_spec_t *s = r->spec;
    const graft_estimate_opts_t *o = r->est->opts;
    char buf[2048];
    heading(d, 2, "Methods");
    if (s->rep.columns)
        snprintf(buf, sizeof buf,
                 "Estimates are weighted ratios (proportions and means) and "
                 "totals. Variances come from the %s replicate weights "
                 "('%s'): v = scale x sum of rscale_r (theta_r - centre)^2, "
                 "as R's svrepdesign; degrees of freedom are the rank of the "
                 "domain's replicate weights minus 1.",
                 graft_reptype_name(s->rep.type), s->rep.columns);
    else
        snprintf(buf, sizeof buf,
                 "Estimates are weighted ratios (proportions and means) and "
                 "totals. Standard errors are Taylor-linearized for a "
                 "stratified design with %s and a with-replacement first "
                 "stage%s (R survey's svyrecvar); domains keep every PSU of "
                 "the design. Strata with a single PSU: %s. Degrees of "
                 "freedom: %s.",
                 s->psu ? "clustered PSUs" : "each respondent as its own PSU",
                 s->fpc ? ", with the first-stage finite population "
                          "correction"
                        : "",
                 graft_lonely_name(s->lonely),
                 o->df_mode == GRAFT_DF_DOMAIN
                     ? "PSUs minus strata among the domain's rows with a "
                       "non-zero weight (R's degf on the domain)"
                 : o->df_mode == GRAFT_DF_DESIGN ? "the whole design's"
                                                 : "as given");
    para(d, buf);
    if (s->cal)
        calibration_para(d, r);
    snprintf(buf, sizeof buf,
             "Confidence intervals: %s at the %g %% level, with t quantiles "
             "on those degrees of freedom. Reliability flags follow the NCHS "
             "Data Presentation Standards for Proportions (Parker et al. "
             "2017): an estimate is suppressed when its effective sample "
             "size is below 30, its Korn-Graubard interval is 0.30 wide or "
             "more, or wider than 0.05 and more than 130 %% of the estimate; "
             "it is flagged for review when the degrees of freedom are below "
             "8 or the estimate is 0 or 1.%s",
             graft_ci_method_name(o->ci), 100 * o->level,
             o->min_n ? " Cells with fewer rows than the minimum n are "
                        "suppressed too."
                      : "");
    para(d, buf);
    int quantiles = 0;
    for (size_t k = 0; k < o->n_indicators; k++)
        quantiles |= o->indicators[k].type == GRAFT_IND_QUANTILE;
    if (quantiles) /* docs/quantiles.md */
        para(d, "Quantiles (p50: the median) follow R's svyquantile: the "
                "smallest value whose weighted share of the domain reaches "
                "p, with Woodruff's interval, the confidence interval of "
                "the estimated distribution function at the quantile mapped "
                "back to values; their standard error is that interval's "
                "width over 2 t. A bound that does not exist (too few rows "
                "beyond the quantile, or no degrees of freedom) is left "
                "empty and the estimate suppressed; a quantile is "
                "suppressed when its 95 % interval is wider than 160 % of "
                "it. Changes of quantiles take the rounds as uncorrelated.");
    if (r->changes)
        para(d, "Rounds are compared in one stacked design, each round "
                "keeping its own strata (or sharing PSUs for a panel), the "
                "difference being a linear contrast of the rounds' "
                "estimates (R: svyby with covmat = TRUE and svycontrast).");
    para(d, "Every number was computed by graft; its formulas are checked "
            "against R's survey package in graft's test suite.");
}

/* ---- [plan]: what the next round needs -------------------------------- */

static void plan_intro(doc_t *d, const graft_report_t *r)
{
    const graft_analysis_t *a = r->analysis;
    const graft_plan_ask_t *k = &a->plan_ask;
    char buf[768];
    size_t n = (size_t)snprintf(
        buf, sizeof buf,
        "From the estimates and design effects of %s: a two-sided test at "
        "level %g with power %g",
        r->plan_round ? r->plan_round : "the baseline", a->plan_opts.alpha,
        a->plan_opts.power);
    if (a->plan_opts.correlation != 0 && n < sizeof buf)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              ", a correlation of %g between the rounds",
                              a->plan_opts.correlation);
    if (!isnan(k->take) && n < sizeof buf)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              ", %g interviews per PSU", k->take);
    if (!isnan(k->change) && n < sizeof buf)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "; the respondents, interviews and PSUs that "
                              "detect a change of %.1f points", 100 * k->change);
    if (!isnan(k->budget) && n < sizeof buf)
        snprintf(buf + n, sizeof buf - n,
                 "; the smallest fall and rise that %g interviews detect",
                 k->budget);
    para(d, buf);
}

/* A number of people or PSUs: V rounded up. */
static void fmt_count(char *buf, size_t n, double v)
{
    if (isfinite(v))
        snprintf(buf, n, "%.0f", ceil(v));
    else
        snprintf(buf, n, "-");
}

static void fmt_points(char *buf, size_t n, double v)
{
    if (isfinite(v))
        snprintf(buf, n, "%.1f points", 100 * v);
    else
        snprintf(buf, n, "-");
}

static void plan_row(doc_t *d, const graft_report_t *r,
                     const graft_plan_row_t *p)
{
    const graft_plan_ask_t *k = &r->analysis->plan_ask;
    char c[10][64];
    const char *cells[10] = {p->indicator, p->domain};
    size_t n = 2;
    fmt_est(c[n], 64, p->p1, 1), n++;
    fmt_est(c[n], 64, isnan(k->take) ? p->deff : p->deff_take, 0), n++;
    if (!isnan(k->change)) {
        fmt_count(c[n], 64, p->n), n++;
        fmt_count(c[n], 64, p->interviews), n++;
        if (!isnan(k->take))
            fmt_count(c[n], 64, p->psus_needed), n++;
    }
    if (!isnan(k->budget)) {
        fmt_points(c[n], 64, p->mde_decrease), n++;
        fmt_points(c[n], 64, p->mde_increase), n++;
    }
    for (size_t i = 2; i < n; i++)
        cells[i] = c[i];
    cells[n++] = p->flag;
    table_row(d, cells, n, 0);
}

static void plan_section(doc_t *d, const graft_report_t *r)
{
    const graft_plan_ask_t *k = &r->analysis->plan_ask;
    const char *head[10];
    size_t n = 0;
    if (r->plan == NULL)
        return;
    heading(d, 2, "What the next round needs");
    plan_intro(d, r);
    head[n++] = "Indicator", head[n++] = "Domain", head[n++] = "Baseline";
    head[n++] = isnan(k->take) ? "Deff" : "Deff at the take";
    if (!isnan(k->change)) {
        head[n++] = "Respondents";
        head[n++] = "Interviews";
        if (!isnan(k->take))
            head[n++] = "PSUs";
    }
    if (!isnan(k->budget))
        head[n++] = "Detectable fall", head[n++] = "Detectable rise";
    head[n++] = "Note";
    table_start(d, head, n);
    for (size_t i = 0; i < r->n_plan; i++)
        plan_row(d, r, &r->plan[i]);
    table_end(d);
    para(d, "Respondents: those in the indicator's denominator, per round "
            "(R: power.prop.test's n times the design effect); interviews: "
            "respondents divided by the weighted share of all respondents in "
            "the denominator; the design effect at the take from the "
            "intra-cluster correlation the baseline's design effect implies. "
            "Detectable changes in percentage points. See docs/plan.md.");
}

static graft_error_t write_doc(doc_t *d, const graft_report_t *r,
                               graft_diag_t *diag)
{
    const graft_analysis_t *a = r->analysis;
    const char *title = a && a->title ? a->title : "graft report";
    graft_error_t rc;
    if (d->html) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
              "charset=\"utf-8\">\n<title>",
              d->fp);
        text(d, title);
        fputs("</title>\n<style>\n"
              "body{font-family:sans-serif;max-width:60em;margin:2em auto;"
              "padding:0 1em;color:#222;line-height:1.45}\n"
              "table{border-collapse:collapse;margin:1em 0;font-size:90%}\n"
              "th,td{border-bottom:1px solid #ddd;padding:.25em .6em;"
              "text-align:right}\n"
              "th:first-child,td:first-child,td.t{text-align:left}\n"
              "td{white-space:nowrap}td.t:last-child{white-space:normal;"
              "min-width:14em}\n"
              "th{background:#f3f3f3}\n"
              "figure{margin:1.5em 0}\nfigure svg{max-width:100%;"
              "height:auto}\n"
              "</style>\n</head>\n<body>\n",
              d->fp);
        heading(d, 1, title);
    } else {
        fputs("# ", d->fp);
        text(d, title);
        fputs("\n\n", d->fp);
    }
    design_section(d, r);
    if ((rc = estimates_section(d, r, diag)) != GRAFT_OK ||
        (rc = changes_section(d, r, diag)) != GRAFT_OK ||
        (rc = models_section(d, r, diag)) != GRAFT_OK ||
        (rc = saes_section(d, r, diag)) != GRAFT_OK ||
        (rc = other_charts(d, r, diag)) != GRAFT_OK)
        return rc;
    methods_section(d, r);
    plan_section(d, r);
    emph_para(d, "Made by graft ", graft_version());
    if (d->html)
        fputs("</body>\n</html>\n", d->fp);
    return ferror(d->fp) ? graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                                          "write error")
                         : GRAFT_OK;
}

graft_error_t graft_report_write_md(FILE *fp, const graft_report_t *r,
                                    graft_diag_t *diag)
{
    doc_t d = {fp, 0};
    return write_doc(&d, r, diag);
}

graft_error_t graft_report_write_html(FILE *fp, const graft_report_t *r,
                                      graft_diag_t *diag)
{
    doc_t d = {fp, 1};
    return write_doc(&d, r, diag);
}
