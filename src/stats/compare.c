/*
 * compare.c - round comparisons and trends: t tests, p.adjust, change
 * labels (METHODS.md "Comparing rounds"; R: a stacked svydesign, svyby
 * with covmat = TRUE, svycontrast, p.adjust).
 */
#include "graft/compare.h"
#include "write/csvout.h"

#include <gsl/gsl_cdf.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------ */

static const char *const test_df_names[] = {"sum", "min", "satterthwaite"};
static const char *const adjust_names[] = {"none", "bonferroni", "holm",
                                           "bh"};

int graft_test_df_parse(const char *name, graft_test_df_t *out)
{
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, test_df_names[i]) == 0) {
            *out = (graft_test_df_t)i;
            return 1;
        }
    return 0;
}

int graft_adjust_parse(const char *name, graft_adjust_t *out)
{
    for (size_t i = 0; i < 4; i++)
        if (strcmp(name, adjust_names[i]) == 0) {
            *out = (graft_adjust_t)i;
            return 1;
        }
    return 0;
}

const char *graft_adjust_name(graft_adjust_t adjust)
{
    return (size_t)adjust < 4 ? adjust_names[adjust] : "?";
}

/* ---- p-values --------------------------------------------------------- */

double graft_t_pvalue(double est, double se, double df)
{
    if (!(se > 0) || !(df > 0) || !isfinite(est))
        return NAN;
    return 2 * gsl_cdf_tdist_Q(fabs(est / se), df);
}

typedef struct idx_p {
    size_t i;
    double p;
} idx_p_t;

static int cmp_p(const void *a, const void *b)
{
    const idx_p_t *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i); /* stable, as R's order() */
}

/* R's p.adjust (stats/R/p.adjust.R):
 *   bonferroni  pmin(1, n p)
 *   holm        pmin(1, cummax((n - i + 1) p[o]))   o = order(p)
 *   BH          pmin(1, cummin(n / i p[o]))          o = order(p, decr.) */
graft_error_t graft_p_adjust(const double *p, size_t n, graft_adjust_t method,
                             double *out)
{
    idx_p_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return GRAFT_ERR_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(p[i]))
            v[m++] = (idx_p_t){i, p[i]};
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            out[i] = NAN;
    qsort(v, m, sizeof *v, cmp_p);
    double run = 0;
    switch (method) {
    case GRAFT_ADJUST_BONFERRONI:
        for (size_t k = 0; k < m; k++)
            out[v[k].i] = fmin(1, (double)m * v[k].p);
        break;
    case GRAFT_ADJUST_HOLM:
        for (size_t k = 0; k < m; k++) {
            double a = (double)(m - k) * v[k].p;
            run = k == 0 ? a : fmax(run, a);
            out[v[k].i] = fmin(1, run);
        }
        break;
    case GRAFT_ADJUST_BH:
        for (size_t k = m; k-- > 0;) {
            double a = (double)m / (double)(k + 1) * v[k].p;
            run = k + 1 == m ? a : fmin(run, a);
            out[v[k].i] = fmin(1, run);
        }
        break;
    default:
        for (size_t k = 0; k < m; k++)
            out[v[k].i] = v[k].p;
    }
    free(v);
    return GRAFT_OK;
}

/* ---- contrasts -------------------------------------------------------- */

/* The contrasts a comparison (round 2 - round 1) or a trend needs:
 * consecutive changes, first to last (3+ rounds), the linear trend
 * (contr.poly(K, scores = years)[, 1]) and the slope per year
 * ((t - mean t) / sum (t - mean t)^2). */
static graft_error_t make_contrasts(graft_changes_t *ch, size_t R,
                                    size_t *n_out)
{
    size_t n = ch->n_pairs + (ch->trend ? (R - 1) + (R > 2) + 2 : 0);
    ch->coefs = calloc((n ? n : 1) * R, sizeof *ch->coefs);
    ch->contrasts = calloc(n ? n : 1, sizeof *ch->contrasts);
    if (!ch->coefs || !ch->contrasts)
        return GRAFT_ERR_NOMEM;
    size_t s = 0;
    for (size_t k = 0; k < ch->n_pairs; k++, s++) {
        ch->coefs[s * R + ch->pairs[2 * k]] = -1;
        ch->coefs[s * R + ch->pairs[2 * k + 1]] = 1;
    }
    if (ch->trend) {
        for (size_t i = 0; i + 1 < R; i++, s++) {
            ch->coefs[s * R + i] = -1;
            ch->coefs[s * R + i + 1] = 1;
        }
        if (R > 2) {
            ch->coefs[s * R] = -1;
            ch->coefs[s * R + R - 1] = 1;
            s++;
        }
        double mean = 0, ss = 0;
        for (size_t r = 0; r < R; r++)
            mean += ch->opts.years ? ch->opts.years[r] : (double)(r + 1);
        mean /= (double)R;
        for (size_t r = 0; r < R; r++) {
            double t = ch->opts.years ? ch->opts.years[r] : (double)(r + 1);
            ss += (t - mean) * (t - mean);
        }
        for (size_t r = 0; r < R; r++) {
            double t = ch->opts.years ? ch->opts.years[r] : (double)(r + 1);
            ch->coefs[s * R + r] = (t - mean) / sqrt(ss);
            ch->coefs[(s + 1) * R + r] = (t - mean) / ss;
        }
        ch->contrasts[s].df_all_rounds = 1;
        ch->contrasts[s + 1].df_all_rounds = 1;
        s += 2;
    }
    for (size_t k = 0; k < s; k++)
        ch->contrasts[k].coef = ch->coefs + k * R;
    *n_out = s;
    return GRAFT_OK;
}

/* ---- rows ------------------------------------------------------------- */

/* The df of a change: the stacked design's, or from the two rounds. */
static double change_df(const graft_changes_t *ch,
                        const graft_contrast_row_t *c,
                        const graft_estimate_row_t *a,
                        const graft_estimate_row_t *b)
{
    switch (ch->opts.test_df) {
    case GRAFT_TESTDF_MIN:
        return fmin(a->df, b->df);
    case GRAFT_TESTDF_SATTERTHWAITE: {
        double v1 = a->se * a->se, v2 = b->se * b->se;
        return (v1 + v2) * (v1 + v2) /
               (v1 * v1 / a->df + v2 * v2 / b->df);
    }
    default:
        return c->df;
    }
}

static void set_test(graft_changes_t *ch, graft_change_row_t *r)
{
    double t = gsl_cdf_tdist_Pinv(1 - (1 - ch->opts.level) / 2, r->df);
    r->p_value = graft_t_pvalue(r->estimate, r->se, r->df);
    if (isfinite(r->p_value)) {
        r->ci_low = r->estimate - t * r->se;
        r->ci_high = r->estimate + t * r->se;
    }
}

static void empty_round(graft_changes_t *ch, graft_change_row_t *r,
                        size_t round)
{
    if (r->table == 0)
        snprintf(r->flag, sizeof r->flag, "missing in %s",
                 round == 0 ? "baseline" : "follow-up");
    else
        snprintf(r->flag, sizeof r->flag, "missing in %s",
                 ch->opts.round_labels ? ch->opts.round_labels[round]
                                       : "a round");
}

static graft_change_row_t *next_row(graft_changes_t *ch, size_t k,
                                    const graft_estimate_row_t *where)
{
    graft_change_row_t *r = &ch->rows[ch->n_rows++];
    memset(r, 0, sizeof *r);
    r->indicator = k;
    r->where = where;
    r->baseline = r->followup = r->estimate = r->se = r->ci_low =
        r->ci_high = r->df = r->p_value = r->p_adjusted = r->rel_change = NAN;
    r->change = "";
    return r;
}

static void add_contrast_row(graft_changes_t *ch, size_t s, size_t n_con,
                             size_t k, size_t i, size_t D)
{
    const graft_estimates_t *e = ch->est;
    size_t R = e->n_rounds;
    const graft_contrast_row_t *c =
        &e->contrasts[(s * e->opts->n_indicators + k) * D + i];
    const graft_estimate_row_t *rows = &e->rows[(k * D + i) * R];
    const double *coef = ch->contrasts[s].coef;
    graft_change_row_t *r = next_row(ch, k, &rows[0]);
    r->table = s >= ch->n_pairs;
    int linear = r->table && s + 2 >= n_con;
    r->term = !linear ? GRAFT_TERM_CHANGE
              : s + 2 == n_con ? GRAFT_TERM_LINEAR
                               : GRAFT_TERM_SLOPE;
    r->from = R;
    for (size_t q = 0; q < R; q++)
        if (coef[q] != 0) {
            if (r->from == R)
                r->from = q;
            r->to = q;
        }
    const graft_estimate_row_t *a = &rows[r->from], *b = &rows[r->to];
    r->n_from = a->n;
    r->n_to = b->n;
    if (r->term == GRAFT_TERM_CHANGE) {
        r->baseline = a->estimate;
        r->followup = b->estimate;
    }
    if (c->first_empty != (size_t)-1) {
        empty_round(ch, r, c->first_empty);
        return;
    }
    r->estimate = c->estimate;
    r->se = c->se;
    if (r->term == GRAFT_TERM_CHANGE) {
        r->rel_change = a->estimate != 0 ? c->estimate / a->estimate : NAN;
        r->df = change_df(ch, c, a, b);
    } else {
        r->df = c->df;
    }
    set_test(ch, r);
    if (ch->opts.not_comparable && ch->opts.not_comparable[k])
        r->change = "not comparable";
}

/* Adjust the p-values of the family (change and linear rows that are
 * comparable), label the changes, and give slope rows their linear row's
 * adjusted p. */
static graft_error_t adjust_and_label(graft_changes_t *ch)
{
    double *p = malloc((ch->n_rows ? ch->n_rows : 1) * sizeof *p);
    if (!p)
        return GRAFT_ERR_NOMEM;
    for (size_t i = 0; i < ch->n_rows; i++) {
        const graft_change_row_t *r = &ch->rows[i];
        int family = (r->term == GRAFT_TERM_CHANGE ||
                      r->term == GRAFT_TERM_LINEAR) &&
                     strcmp(r->change, "not comparable") != 0;
        p[i] = family ? r->p_value : NAN;
    }
    if (graft_p_adjust(p, ch->n_rows, ch->opts.adjust, p) != GRAFT_OK) {
        free(p);
        return GRAFT_ERR_NOMEM;
    }
    double alpha = 1 - ch->opts.level;
    for (size_t i = 0; i < ch->n_rows; i++) {
        graft_change_row_t *r = &ch->rows[i];
        if (r->term == GRAFT_TERM_SLOPE && i > 0)
            p[i] = p[i - 1];
        if (r->term == GRAFT_TERM_ESTIMATE || *r->change)
            continue;
        r->p_adjusted = p[i];
        if (isfinite(p[i]))
            r->change = p[i] < alpha ? (r->estimate > 0 ? "increase"
                                                         : "decrease")
                                     : "no significant change";
    }
    free(p);
    return GRAFT_OK;
}

static graft_error_t build(graft_changes_t *ch, size_t n_con)
{
    const graft_estimates_t *e = ch->est;
    size_t K = e->opts->n_indicators, R = e->n_rounds;
    size_t D = e->n_rows / (K * R);
    size_t per = (ch->trend ? R : 0) + n_con;
    size_t n = K * D * per;
    ch->rows = calloc(n ? n : 1, sizeof *ch->rows);
    if (!ch->rows)
        return GRAFT_ERR_NOMEM;
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < D; i++) {
            const graft_estimate_row_t *rows = &e->rows[(k * D + i) * R];
            for (size_t s = 0; s < ch->n_pairs; s++)
                add_contrast_row(ch, s, n_con, k, i, D);
            for (size_t q = 0; ch->trend && q < R; q++) {
                graft_change_row_t *r = next_row(ch, k, &rows[q]);
                r->table = 1;
                r->term = GRAFT_TERM_ESTIMATE;
                r->from = r->to = q;
                r->estimate = rows[q].estimate;
                r->se = rows[q].se;
                r->ci_low = rows[q].ci_low;
                r->ci_high = rows[q].ci_high;
                r->df = rows[q].df;
                r->n_from = r->n_to = rows[q].n;
                snprintf(r->flag, sizeof r->flag, "%s", rows[q].flag);
            }
            for (size_t s = ch->n_pairs; s < n_con; s++)
                add_contrast_row(ch, s, n_con, k, i, D);
        }
    return adjust_and_label(ch);
}

graft_error_t graft_changes_run(const graft_round_t *rounds, size_t n_rounds,
                                int shared_psus,
                                const graft_change_plan_t *plan,
                                const graft_estimate_opts_t *est_opts,
                                const graft_change_opts_t *opts,
                                graft_changes_t **out, graft_diag_t *diag)
{
    graft_error_t rc;
    size_t n_con = 0;
    *out = NULL;
    if (n_rounds < 2)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "comparisons need two or more rounds, got %zu",
                              n_rounds);
    for (size_t k = 0; k < 2 * plan->n_pairs; k++)
        if (plan->pairs[k] >= n_rounds)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                                  "comparison of round %zu, but there are %zu",
                                  plan->pairs[k] + 1, n_rounds);
    graft_changes_t *ch = calloc(1, sizeof *ch);
    graft_estimate_opts_t *eo = malloc(sizeof *eo);
    size_t *pairs = malloc((2 * plan->n_pairs + 1) * sizeof *pairs);
    if (!ch || !eo || !pairs) {
        free(ch);
        free(eo);
        free(pairs);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    ch->opts = *opts;
    ch->trend = plan->trend;
    memcpy(pairs, plan->pairs, 2 * plan->n_pairs * sizeof *pairs);
    ch->pairs = pairs;
    ch->n_pairs = plan->n_pairs;
    *eo = *est_opts;
    if (make_contrasts(ch, n_rounds, &n_con) != GRAFT_OK) {
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
        free(eo);
        goto fail;
    }
    eo->contrasts = ch->contrasts;
    eo->n_contrasts = n_con;
    if ((rc = graft_estimate_rounds(rounds, n_rounds, shared_psus, eo,
                                    &ch->est, diag)) != GRAFT_OK) {
        free(eo);
        goto fail;
    }
    /* The estimates borrow their options: keep the copy with them. */
    ch->est->owned_opts = eo;
    if ((rc = build(ch, n_con)) != GRAFT_OK) {
        graft_diag_set(diag, rc, NULL, 0, 0, "out of memory");
        goto fail;
    }
    *out = ch;
    return GRAFT_OK;
fail:
    graft_changes_free(ch);
    return rc;
}

void graft_changes_free(graft_changes_t *ch)
{
    if (!ch)
        return;
    graft_estimates_free(ch->est);
    free(ch->pairs);
    free(ch->rows);
    free(ch->coefs);
    free(ch->contrasts);
    free(ch);
}

/* ---- output ----------------------------------------------------------- */

static const char *const term_names[] = {"estimate", "change", "linear",
                                         "slope"};

/* The row's value for by column NAME ("All" for the whole domain). */
static const char *by_value(const graft_changes_t *ch,
                            const graft_change_row_t *r, const char *name)
{
    const graft_estimate_row_t *w = r->where;
    if (w->by_set == (size_t)-1)
        return "All";
    const graft_by_spec_t *by = &ch->est->opts->by[w->by_set];
    for (size_t i = 0; i < by->n_columns; i++)
        if (strcmp(by->columns[i], name) == 0)
            return w->by_values[i];
    return "";
}

static const char *round_label(const graft_changes_t *ch, size_t q,
                               char *buf, size_t n)
{
    if (ch->opts.round_labels && ch->opts.round_labels[q])
        return ch->opts.round_labels[q];
    snprintf(buf, n, "%zu", q + 1);
    return buf;
}

static void num(FILE *fp, double v)
{
    fputc(',', fp);
    if (isfinite(v))
        fprintf(fp, "%.17g", v);
}

static void write_csv(FILE *fp, const graft_changes_t *ch, int trend)
{
    int rounds = !trend && ch->n_pairs > 1;
    const graft_estimates_t *e = ch->est;
    fputs("indicator", fp);
    for (size_t i = 0; i < e->n_by_names; i++)
        graft_csv_field(fp, e->by_names[i], 1);
    if (rounds)
        fputs(",baseline_round,followup_round", fp);
    fputs(trend ? ",term,from,to,estimate,se,ci_low,ci_high,df,p_value,"
                      "p_adjusted,change,n_from,n_to,flag\n"
                    : ",baseline,followup,diff,se_diff,ci_low,ci_high,df,"
                      "p_value,p_adjusted,change,rel_change,n_baseline,"
                      "n_followup,flag\n",
          fp);
    for (size_t i = 0; i < ch->n_rows; i++) {
        const graft_change_row_t *r = &ch->rows[i];
        char b1[32], b2[32];
        if (r->table != trend)
            continue;
        graft_csv_field(fp,
                        graft_indicator_name(&e->opts->indicators[r->indicator]),
                        0);
        for (size_t j = 0; j < e->n_by_names; j++)
            graft_csv_field(fp, by_value(ch, r, e->by_names[j]), 1);
        if (rounds) {
            graft_csv_field(fp, round_label(ch, r->from, b1, sizeof b1), 1);
            graft_csv_field(fp, round_label(ch, r->to, b2, sizeof b2), 1);
        }
        if (trend) {
            graft_csv_field(fp, term_names[r->term], 1);
            graft_csv_field(fp, round_label(ch, r->from, b1, sizeof b1), 1);
            graft_csv_field(fp, round_label(ch, r->to, b2, sizeof b2), 1);
        } else {
            num(fp, r->baseline);
            num(fp, r->followup);
        }
        num(fp, r->estimate);
        num(fp, r->se);
        num(fp, r->ci_low);
        num(fp, r->ci_high);
        num(fp, r->df);
        num(fp, r->p_value);
        num(fp, r->p_adjusted);
        graft_csv_field(fp, r->change, 1);
        if (!trend)
            num(fp, r->rel_change);
        fprintf(fp, ",%zu,%zu", r->n_from, r->n_to);
        graft_csv_field(fp, r->flag, 1);
        fputc('\n', fp);
    }
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *json_rows(const graft_changes_t *ch, int trend)
{
    const graft_estimates_t *e = ch->est;
    json_t *rows = json_array();
    for (size_t i = 0; i < ch->n_rows; i++) {
        const graft_change_row_t *r = &ch->rows[i];
        char b1[32], b2[32];
        if (r->table != trend)
            continue;
        json_t *by = json_object();
        for (size_t j = 0; j < e->n_by_names; j++)
            json_object_set_new(by, e->by_names[j],
                                json_string(by_value(ch, r, e->by_names[j])));
        json_t *o = json_pack(
            "{s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
            "s:s, s:I, s:I, s:s}",
            "indicator",
            graft_indicator_name(&e->opts->indicators[r->indicator]), "by", by,
            "term", term_names[r->term], "from",
            round_label(ch, r->from, b1, sizeof b1), "to",
            round_label(ch, r->to, b2, sizeof b2), "estimate",
            jnum(r->estimate), "se", jnum(r->se), "ci_low", jnum(r->ci_low),
            "ci_high", jnum(r->ci_high), "df", jnum(r->df), "p_value",
            jnum(r->p_value), "p_adjusted", jnum(r->p_adjusted), "change",
            r->change, "n_from", (json_int_t)r->n_from, "n_to",
            (json_int_t)r->n_to, "flag", r->flag);
        if (!trend) {
            json_object_set_new(o, "baseline", jnum(r->baseline));
            json_object_set_new(o, "followup", jnum(r->followup));
            json_object_set_new(o, "rel_change", jnum(r->rel_change));
        }
        json_array_append_new(rows, o);
    }
    return rows;
}

/* Percentages for proportions in text and Markdown. */
static void human(char *buf, size_t n, double v, int pct, int digits)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.*f", digits, pct ? 100 * v : v);
}

static void write_human(FILE *fp, const graft_changes_t *ch, int trend,
                        int md)
{
    const graft_estimates_t *e = ch->est;
    const char *sep = md ? " | " : "  ";
    if (md)
        fputs("| ", fp);
    fprintf(fp, md ? "%s" : "%-18s", "indicator");
    for (size_t j = 0; j < e->n_by_names; j++)
        fprintf(fp, md ? "%s%s" : "%s%-16s", sep, e->by_names[j]);
    fprintf(fp, "%s%s%s%s%s%s%s%s%s%s%s%s%s\n", sep,
            trend ? "term                " : "baseline", sep,
            trend ? "estimate" : "follow-up", sep, "change    ", sep,
            "95% CI of the change  ", sep, "p adj.", sep, "verdict",
            md ? " |" : "");
    if (md) {
        fputs("|---", fp);
        for (size_t j = 0; j < e->n_by_names; j++)
            fputs("|---", fp);
        fputs("|---|---|---|---|---|---|\n", fp);
    }
    for (size_t i = 0; i < ch->n_rows; i++) {
        const graft_change_row_t *r = &ch->rows[i];
        if (r->table != trend)
            continue;
        const graft_indicator_spec_t *ind =
            &e->opts->indicators[r->indicator];
        int pct = ind->type == GRAFT_IND_PROP;
        int slope = r->term == GRAFT_TERM_SLOPE;
        char a[32], b[32], d[32], lo[32], hi[32], p[32], term[80];
        char b1[32], b2[32];
        human(a, sizeof a, trend ? NAN : r->baseline, pct, 1);
        human(b, sizeof b,
              !trend                        ? r->followup
              : r->term == GRAFT_TERM_ESTIMATE ? r->estimate
                                               : NAN,
              pct, 1);
        if (trend && r->term != GRAFT_TERM_ESTIMATE)
            b[0] = '\0';
        human(d, sizeof d, trend ? NAN : r->estimate, pct, slope ? 2 : 1);
        if (trend && r->term != GRAFT_TERM_ESTIMATE)
            human(d, sizeof d, r->estimate, pct, 2);
        human(lo, sizeof lo, r->term == GRAFT_TERM_ESTIMATE ? NAN : r->ci_low,
              pct, 1);
        human(hi, sizeof hi, r->term == GRAFT_TERM_ESTIMATE ? NAN : r->ci_high,
              pct, 1);
        if (isfinite(r->p_adjusted))
            snprintf(p, sizeof p, "%.4f", r->p_adjusted);
        else
            snprintf(p, sizeof p, "-");
        if (r->term == GRAFT_TERM_ESTIMATE)
            snprintf(term, sizeof term, "%s",
                     round_label(ch, r->from, b1, sizeof b1));
        else if (r->term == GRAFT_TERM_CHANGE)
            snprintf(term, sizeof term, "%s -> %s",
                     round_label(ch, r->from, b1, sizeof b1),
                     round_label(ch, r->to, b2, sizeof b2));
        else
            snprintf(term, sizeof term, "%s", term_names[r->term]);
        if (md)
            fputs("| ", fp);
        fprintf(fp, md ? "%s" : "%-18s", graft_indicator_name(ind));
        for (size_t j = 0; j < e->n_by_names; j++)
            fprintf(fp, md ? "%s%s" : "%s%-16s", sep,
                    by_value(ch, r, e->by_names[j]));
        char ci[80];
        snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        fprintf(fp, md ? "%s%s%s%s%s%s%s%s%s%s%s%s%s\n"
                : trend ? "%s%-20s%s%8s%s%-10s%s%-22s%s%6s%s%s%s%s\n"
                            : "%s%8s%s%9s%s%-10s%s%-22s%s%6s%s%s%s%s\n",
                sep, trend ? term : a, sep, b, sep,
                r->term == GRAFT_TERM_ESTIMATE ? "" : d, sep,
                r->term == GRAFT_TERM_ESTIMATE ? "" : ci, sep, p, sep,
                *r->change ? r->change : "", *r->flag ? "  " : "", r->flag);
    }
    if (!md)
        fprintf(fp, "\nchanges in %s; p adjusted with %s over %s; verdict at "
                    "the %g%% level\n",
                "percentage points for proportions",
                graft_adjust_name(ch->opts.adjust),
                "every comparison in this table",
                100 * ch->opts.level);
}

graft_error_t graft_changes_write(FILE *fp, const graft_changes_t *ch,
                                  int trend, graft_table_format_t format,
                                  graft_diag_t *diag)
{
    if (format == GRAFT_TABLE_CSV) {
        write_csv(fp, ch, trend);
    } else if (format == GRAFT_TABLE_JSON) {
        json_t *root = json_pack("{s:s, s:s, s:f, s:s, s:o}", "kind",
                                 trend ? "trend" : "comparison", "adjust",
                                 graft_adjust_name(ch->opts.adjust), "level",
                                 ch->opts.level, "test_df",
                                 test_df_names[ch->opts.test_df], "rows",
                                 json_rows(ch, trend));
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
    } else {
        write_human(fp, ch, trend, format == GRAFT_TABLE_MD);
    }
    return ferror(fp) ? graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                                       "write error")
                      : GRAFT_OK;
}
