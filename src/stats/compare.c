/*
 * compare.c - round comparisons and trends: t tests, p.adjust, change
 * labels (docs/METHODS.md "Comparisons and trends"; R: a stacked
 * svydesign, svyby with covmat = TRUE, svycontrast, p.adjust).  The tables
 * are written by src/write/compare_write.c.
 */
#include "graft/compare.h"
#include "base/names.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- names ------------------------------------------------------------ */

static const char *const test_df_names[] = {"sum", "min", "satterthwaite"};
static const char *const adjust_names[] = {"none", "bonferroni", "holm",
                                           "bh"};

int graft_test_df_parse(const char *name, graft_test_df_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(test_df_names, 0, name, &i))
        return 0;
    *out = (graft_test_df_t)i;
    return 1;
}

const char *graft_test_df_name(graft_test_df_t test_df)
{
    return GRAFT_NAMES_AT(test_df_names, test_df);
}

int graft_adjust_parse(const char *name, graft_adjust_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(adjust_names, 0, name, &i))
        return 0;
    *out = (graft_adjust_t)i;
    return 1;
}

const char *graft_adjust_name(graft_adjust_t adjust)
{
    return GRAFT_NAMES_AT(adjust_names, adjust);
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
                 round == r->from ? "baseline" : "follow-up");
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
    if (s < ch->n_pairs) {
        /* A comparison carries its own baseline and follow-up, whatever
         * their order among the rounds. */
        r->from = ch->pairs[2 * s];
        r->to = ch->pairs[2 * s + 1];
    } else {
        r->from = R;
        for (size_t q = 0; q < R; q++)
            if (coef[q] != 0) {
                if (r->from == R)
                    r->from = q;
                r->to = q;
            }
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
    if (isnan(r->se) &&
        ch->est->opts->indicators[k].type == GRAFT_IND_QUANTILE)
        snprintf(r->flag, sizeof r->flag, "no test: a round's quantile has "
                                          "no se (Woodruff CI undefined)");
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

/* ---- checks ----------------------------------------------------------- */

/* Round Q's name in messages: its label, else its number. */
static const char *round_name(const graft_change_opts_t *opts, size_t q,
                              char *buf, size_t size)
{
    if (opts->round_labels && opts->round_labels[q])
        return opts->round_labels[q];
    snprintf(buf, size, "%zu", q + 1);
    return buf;
}

/* Do rounds I and J read the same data file (same device and inode, so
 * through links and different spellings of the path)? */
static int same_file(const graft_round_t *rounds, size_t i, size_t j)
{
    struct stat a, b;
    if (!rounds[i].path || !rounds[j].path)
        return 0;
    if (stat(rounds[i].path, &a) != 0 || stat(rounds[j].path, &b) != 0)
        return strcmp(rounds[i].path, rounds[j].path) == 0;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Refuse a plan that would be silently wrong: a round compared with
 * itself, a comparison asked twice (it would enter the adjustment family
 * twice), two compared rounds reading one data file (they are not
 * independent samples), a trend whose rounds are not in time order. */
static graft_error_t check_plan(const graft_round_t *rounds, size_t n_rounds,
                                const graft_change_plan_t *plan,
                                const graft_change_opts_t *opts,
                                graft_diag_t *diag)
{
    char ba[32], bb[32];
    for (size_t k = 0; k < plan->n_pairs; k++) {
        size_t b = plan->pairs[2 * k], f = plan->pairs[2 * k + 1];
        if (b == f)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                                  "round '%s' is compared with itself",
                                  round_name(opts, b, ba, sizeof ba));
        for (size_t j = 0; j < k; j++)
            if (plan->pairs[2 * j] == b && plan->pairs[2 * j + 1] == f)
                return graft_diag_set(
                    diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                    "the comparison of '%s' with '%s' is asked twice",
                    round_name(opts, b, ba, sizeof ba),
                    round_name(opts, f, bb, sizeof bb));
        if (same_file(rounds, b, f))
            return graft_diag_set(
                diag, GRAFT_ERR_ROUNDS, NULL, 0, 0,
                "the baseline '%s' and the follow-up '%s' read the same "
                "data file '%s': a round cannot be compared with itself",
                round_name(opts, b, ba, sizeof ba),
                round_name(opts, f, bb, sizeof bb), rounds[f].path);
    }
    if (!plan->trend)
        return GRAFT_OK;
    for (size_t i = 0; i < n_rounds; i++)
        for (size_t j = i + 1; j < n_rounds; j++)
            if (same_file(rounds, i, j))
                return graft_diag_set(
                    diag, GRAFT_ERR_ROUNDS, NULL, 0, 0,
                    "trend: rounds '%s' and '%s' read the same data file "
                    "'%s'",
                    round_name(opts, i, ba, sizeof ba),
                    round_name(opts, j, bb, sizeof bb), rounds[j].path);
    for (size_t q = 1; opts->years && q < n_rounds; q++)
        if (opts->years[q] < opts->years[q - 1])
            return graft_diag_set(
                diag, GRAFT_ERR_ROUNDS, NULL, 0, 0,
                "trend: the rounds must be in time order, but '%s' (%g) "
                "comes before '%s' (%g)",
                round_name(opts, q - 1, ba, sizeof ba), opts->years[q - 1],
                round_name(opts, q, bb, sizeof bb), opts->years[q]);
    return GRAFT_OK;
}

/* ---- the run ---------------------------------------------------------- */

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
    if ((rc = check_plan(rounds, n_rounds, plan, opts, diag)) != GRAFT_OK)
        return rc;
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
