/*
 * plan_baseline.c - `graft plan SURVEY.ini --analysis A.ini`: the next
 * round's sample from the baseline's own estimates and design effects
 * (docs/plan.md).  Two passes of graft_estimate_rounds(): the proportions
 * with a count of the respondents per domain (the denominator's weighted
 * share), then the proportions by strata x PSU x domain, whose rows with
 * n > 0 are the PSUs that hold the denominator's rows.
 */
#include "plan_cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct base {
    const graft_round_t *round;
    graft_indicator_spec_t *inds;
    size_t n_props;                 /* inds: the proportions, then one */
    graft_estimate_opts_t opts;
    graft_estimate_opts_t est_opts, psu_opts; /* borrowed by est, psu_est */
    graft_by_spec_t psu_by[GRAFT_MAX_BY * 2 + 1];
    graft_estimates_t *est, *psu_est;
    plan_result_t *res;
} base_t;

/* The proportions of the options, then the count of respondents. */
static graft_error_t base_indicators(base_t *b, graft_diag_t *diag)
{
    b->inds = calloc(b->opts.n_indicators + 1, sizeof *b->inds);
    if (b->inds == NULL)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t i = 0; i < b->opts.n_indicators; i++)
        if (b->opts.indicators[i].type == GRAFT_IND_PROP)
            b->inds[b->n_props++] = b->opts.indicators[i];
    if (b->n_props == 0)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "plan: no proportion to plan for (--prop or "
                              "type = prop in the analysis file)");
    b->inds[b->n_props] = (graft_indicator_spec_t){
        .type = GRAFT_IND_MEAN, .name = "(respondents)", .expr = "1",
        .expr_src = {"plan", 0, 0}};
    return GRAFT_OK;
}

/* By-sets strata x PSU (the "All" domain) and strata x PSU x each set. */
static graft_error_t base_psu_sets(base_t *b, size_t *n_sets,
                                   graft_diag_t *diag)
{
    const graft_design_spec_t *d = b->round->spec;
    for (size_t k = 0; k <= b->opts.n_by; k++) {
        graft_by_spec_t *s = &b->psu_by[k];
        size_t extra = k ? b->opts.by[k - 1].n_columns : 0;
        if (d->n_strata + 1 + extra > GRAFT_MAX_BY)
            return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                                  "plan: strata, PSU and by columns are "
                                  "more than %d", GRAFT_MAX_BY);
        s->n_columns = 0;
        for (size_t j = 0; j < d->n_strata; j++)
            s->columns[s->n_columns++] = d->strata[j];
        s->columns[s->n_columns++] = d->psu;
        for (size_t j = 0; j < extra; j++)
            s->columns[s->n_columns++] = b->opts.by[k - 1].columns[j];
    }
    *n_sets = b->opts.n_by + 1;
    return GRAFT_OK;
}

/* The estimates borrow their options: O and P live in B. */
static graft_error_t base_estimate(base_t *b, graft_diag_t *diag)
{
    graft_estimate_opts_t *o = &b->est_opts, *p = &b->psu_opts;
    *o = b->opts;
    o->indicators = b->inds;
    o->n_indicators = b->n_props + 1;
    o->min_n = 0;
    o->contrasts = NULL;
    o->n_contrasts = 0;
    graft_error_t rc = graft_estimate_rounds(b->round, 1, 0, o, &b->est,
                                             diag);
    if (rc != GRAFT_OK || b->round->spec->psu == NULL)
        return rc;
    size_t n_sets = 0;
    if ((rc = base_psu_sets(b, &n_sets, diag)) != GRAFT_OK)
        return rc;
    *p = *o;
    p->n_indicators = b->n_props;
    p->by = b->psu_by;
    p->n_by = n_sets;
    return graft_estimate_rounds(b->round, 1, 0, p, &b->psu_est, diag);
}

/* Do the last N codes of A equal the first N of B? */
static int codes_match(char **a, size_t a_n, char **b, size_t n)
{
    for (size_t j = 0; j < n; j++)
        if (strcmp(a[a_n - n + j], b[j]) != 0)
            return 0;
    return 1;
}

static size_t base_n_cols(const base_t *b, size_t by_set)
{
    return by_set == (size_t)-1 ? 0 : b->opts.by[by_set].n_columns;
}

/* The PSUs holding R's denominator rows (each row: its rows). */
static size_t base_psus(const base_t *b, const graft_estimate_row_t *r)
{
    if (b->psu_est == NULL)
        return r->n;
    size_t set = r->by_set == (size_t)-1 ? 0 : r->by_set + 1;
    size_t nc = base_n_cols(b, r->by_set), psus = 0;
    size_t width = b->psu_by[set].n_columns;
    for (size_t i = 0; i < b->psu_est->n_rows; i++) {
        const graft_estimate_row_t *q = &b->psu_est->rows[i];
        if (q->indicator == r->indicator && q->by_set == set && q->n > 0 &&
            codes_match(q->by_codes, width, r->by_codes, nc))
            psus++;
    }
    return psus;
}

/* The respondents' row of R's domain. */
static const graft_estimate_row_t *base_all(const base_t *b,
                                            const graft_estimate_row_t *r)
{
    size_t nc = base_n_cols(b, r->by_set);
    for (size_t i = 0; i < b->est->n_rows; i++) {
        const graft_estimate_row_t *q = &b->est->rows[i];
        if (q->indicator == b->n_props && q->by_set == r->by_set &&
            codes_match(q->by_codes, nc, r->by_codes, nc))
            return q;
    }
    return NULL;
}

static void base_domain(const base_t *b, const graft_estimate_row_t *r,
                        char *buf, size_t size)
{
    size_t nc = base_n_cols(b, r->by_set), len = 0;
    snprintf(buf, size, "%s", nc ? "" : "All");
    for (size_t j = 0; j < nc && len < size; j++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", j ? ", " : "",
                                r->by_values[j]);
}

static graft_error_t base_rows(base_t *b, const graft_plan_ask_t *ask,
                               const graft_plan_opts_t *po,
                               graft_diag_t *diag)
{
    plan_result_t *res = b->res;
    res->rows = calloc(b->est->n_rows, sizeof *res->rows);
    res->domains = calloc(b->est->n_rows, sizeof *res->domains);
    res->names = calloc(b->est->n_rows, sizeof *res->names);
    if (res->rows == NULL || res->domains == NULL || res->names == NULL)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    const graft_estimate_row_t *total = base_all(b, &b->est->rows[0]);
    for (size_t i = 0; i < b->est->n_rows; i++) {
        const graft_estimate_row_t *r = &b->est->rows[i];
        const graft_estimate_row_t *all = base_all(b, r);
        if (r->indicator >= b->n_props || all == NULL || total == NULL)
            continue;
        size_t k = res->n_rows++;
        graft_plan_row_t *p = &res->rows[k];
        base_domain(b, r, res->domains[k], sizeof res->domains[0]);
        snprintf(res->names[k], sizeof res->names[0], "%s",
                 graft_indicator_name(&b->inds[r->indicator]));
        p->indicator = res->names[k];
        p->domain = res->domains[k];
        p->p1 = r->estimate;
        p->deff = r->deff;
        p->rows = r->n;
        p->psus = base_psus(b, r);
        p->share = r->weighted_n / all->weighted_n;
        graft_plan_baseline_row(p, (double)all->n / (double)total->n, ask,
                                po);
    }
    return GRAFT_OK;
}

graft_error_t plan_compute(const graft_round_t *round,
                           const graft_estimate_opts_t *opts,
                           const graft_plan_ask_t *ask,
                           const graft_plan_opts_t *po, plan_result_t *res,
                           graft_diag_t *diag)
{
    base_t b;
    memset(&b, 0, sizeof b);
    memset(res, 0, sizeof *res);
    b.round = round;
    b.opts = *opts;
    b.res = res;
    graft_error_t rc = base_indicators(&b, diag);
    if (rc == GRAFT_OK)
        rc = base_estimate(&b, diag);
    if (rc == GRAFT_OK)
        rc = base_rows(&b, ask, po, diag);
    graft_estimates_free(b.est);
    graft_estimates_free(b.psu_est);
    free(b.inds);
    return rc;
}

void plan_result_free(plan_result_t *res)
{
    free(res->rows);
    free(res->domains);
    free(res->names);
    memset(res, 0, sizeof *res);
}

static int base_ask(const plan_args_t *p, graft_plan_ask_t *ask)
{
    ask->change = p->given[PLAN_CHANGE] ? p->value[PLAN_CHANGE] : NAN;
    ask->budget = p->given[PLAN_N] ? p->value[PLAN_N] : NAN;
    ask->take = p->given[PLAN_TAKE] ? p->value[PLAN_TAKE] : NAN;
    if (p->given[PLAN_P2] || p->given[PLAN_DEFF])
        return cli_usage_error("plan: --p2 and --deff need --p1; from a "
                               "survey the baseline gives them");
    if (isnan(ask->change) && isnan(ask->budget))
        return cli_usage_error("plan: give --change C (the change to "
                               "detect) or --n N (the interviews)");
    if (!isnan(ask->change) && !(ask->change > 0 && ask->change < 1))
        return cli_usage_error("plan: --change must be between 0 and 1");
    if (!isnan(ask->budget) && !(ask->budget >= 1))
        return cli_usage_error("plan: --n must be at least 1");
    if (!isnan(ask->take) && !(ask->take >= 1))
        return cli_usage_error("plan: --take must be at least 1");
    return -1;
}

typedef struct cli_base {
    cli_analysis_t e;
    cli_input_t in;
    graft_analysis_t *analysis;
    graft_indicator_spec_t *all;
    graft_estimate_opts_t opts;
    plan_result_t res;
    graft_diag_t diag;
} cli_base_t;

static int base_run(cli_base_t *b, const graft_plan_ask_t *ask,
                    const plan_args_t *p)
{
    if (cli_input_init(&b->in, &b->e.flags, 1, &b->diag) != GRAFT_OK)
        return cli_fail(&b->diag);
    int st = cli_output_not_input(b->e.flags.output, &b->in, b->e.analysis);
    if (st >= 0)
        return st;
    graft_round_t round = {b->in.data, &b->in.read, &b->in.design,
                           b->in.survey ? b->in.survey->derived : NULL,
                           b->in.survey ? b->in.survey->n_derived : 0};
    if (plan_compute(&round, &b->opts, ask, &p->opts, &b->res, &b->diag) !=
        GRAFT_OK)
        return cli_fail(&b->diag);
    return plan_write_rows(&b->e.flags, b->res.rows, b->res.n_rows,
                           GRAFT_PLAN_BASELINE, &p->opts);
}

int plan_baseline(const plan_args_t *p, const char *usage)
{
    cli_base_t b;
    graft_plan_ask_t ask;
    memset(&b, 0, sizeof b);
    graft_diag_clear(&b.diag);
    int st = cli_analysis_parse("plan", usage, 0, p->n_rest, p->rest, &b.e);
    if (st < 0 && (st = base_ask(p, &ask)) < 0 &&
        (st = cli_analysis_load(&b.e, &b.analysis, &b.opts, &b.all,
                                &b.diag)) < 0)
        st = base_run(&b, &ask, p);
    plan_result_free(&b.res);
    cli_input_free(&b.in);
    graft_analysis_free(b.analysis);
    free(b.all);
    cli_analysis_free(&b.e);
    return st;
}
