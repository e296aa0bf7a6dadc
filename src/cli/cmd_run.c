/*
 * cmd_run.c - `graft run ANALYSIS.ini`: every round read once, every
 * estimate, comparison and trend of the analysis file, its charts, and a
 * report (report.md, report.html) in one output folder, which is
 * replaced whole or not at all (run_dir.h).  What can be checked is
 * checked before any data is read: the charts, gnuplot, the folder.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "graft/xlsx.h"
#include "plan_cli.h"
#include "run_dir.h"
#include "run_sae.h"
#include "run_weight.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char run_usage[] =
    "usage: graft run ANALYSIS.ini [-o DIR]\n"
    "  -o DIR, --output DIR\n"
    "           output folder (default out/NAME for analysis/NAME.ini)\n"
    "writes DIR/estimates.csv, DIR/comparisons.csv and .json (with\n"
    "[compare]), DIR/trend.csv (with [trend]), DIR/charts/*.svg|.png (with\n"
    "[chart.NAME]), DIR/plan.csv (with [plan]), DIR/model_NAME.csv and\n"
    "DIR/charts/model_NAME.svg|.png (with [model.NAME]), DIR/sae_NAME.csv\n"
    "and DIR/charts/sae_NAME[_resid].svg|.png (with [sae.NAME]),\n"
    "DIR/tables.xlsx (every table, a sheet each), DIR/report.md and\n"
    "DIR/report.html\n"
    "DIR is replaced as a whole when the run succeeds, and left as it was\n"
    "when it fails; graft refuses a DIR that holds anything but an earlier\n"
    "run's outputs (marked by DIR/.graft-run)\n";

#define MAX_ROUNDS CLI_MAX_ROUNDS

typedef struct run {
    const char *analysis_path, *dir;
    char *dir_buf;
    run_dir_t out;             /* DIR, written through a private folder */
    char **names;              /* the relative paths the run writes */
    size_t n_names;
    graft_analysis_t *a;
    cli_input_t in[MAX_ROUNDS];
    graft_round_t rounds[MAX_ROUNDS];
    const char *labels[MAX_ROUNDS], *sources[MAX_ROUNDS];
    char source_buf[MAX_ROUNDS][256];
    double years[MAX_ROUNDS];
    int have_years;
    size_t n;
    graft_indicator_spec_t *all;
    graft_estimate_opts_t opts;
    graft_estimates_t *est;     /* when there is nothing to compare */
    graft_changes_t *ch;
    size_t pairs[2 * MAX_ROUNDS];
    size_t n_pairs;
    int trend;
    int progress;
    plan_result_t plan;         /* [plan] */
    size_t plan_round;
    graft_model_t **models;     /* per [model.NAME] */
    int *model_dw;              /* fitted on design weights ([weighting]) */
    run_sae_t sae;              /* per [sae.NAME] */
} run_t;

static void progress(const run_t *r, const char *what)
{
    if (r->progress)
        fprintf(stderr, "\rgraft run: %-60s", what);
}

static size_t round_index(const run_t *r, const char *name)
{
    for (size_t q = 0; q < r->n; q++)
        if (strcmp(r->a->rounds[q].name, name) == 0)
            return q;
    return (size_t)-1;
}

static void set_round(run_t *r, size_t q);

/* The rounds of the analysis file: each survey file loaded, its label,
 * source line and year. */
static graft_error_t load_rounds(run_t *r, graft_diag_t *diag)
{
    graft_error_t rc;
    graft_analysis_t *a = r->a;
    if (a->n_rounds == 0)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                              "no [rounds] section: graft run needs the "
                              "survey files of the rounds");
    if (a->n_rounds > MAX_ROUNDS)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                              "at most %d rounds", MAX_ROUNDS);
    r->have_years = 1;
    for (size_t q = 0; q < a->n_rounds; q++) {
        cli_flags_t f;
        cli_flags_init(&f);
        f.survey = a->rounds[q].survey;
        if ((rc = cli_input_init(&r->in[q], &f, 1, diag)) != GRAFT_OK)
            return rc;
        r->n = q + 1;
        set_round(r, q);
    }
    return GRAFT_OK;
}

/* Round Q's design, label, source and year from its loaded survey file. */
static void set_round(run_t *r, size_t q)
{
    const graft_survey_t *s = r->in[q].survey;
    r->rounds[q] = (graft_round_t){r->in[q].data, &r->in[q].read,
                                   &r->in[q].design, s->derived,
                                   s->n_derived};
    r->labels[q] = s->round ? s->round : r->a->rounds[q].name;
    const char *base = strrchr(r->in[q].data, '/');
    snprintf(r->source_buf[q], sizeof r->source_buf[q], "%s%s%s%s",
             s->name ? s->name : "", s->name ? " (" : "",
             base ? base + 1 : r->in[q].data, s->name ? ")" : "");
    r->sources[q] = r->source_buf[q];
    r->years[q] = s->year ? (double)s->year : NAN;
    r->have_years &= s->year != 0;
}

/* Is round Q's weight calibrated or trimmed by [weighting]? */
static int round_weighted(const graft_analysis_t *a, size_t q)
{
    if (!a->has_weighting)
        return 0;
    if (!a->n_weighting)
        return 1; /* trimming only: every round */
    for (size_t i = 0; i < a->n_weighting; i++)
        if (strcmp(a->weighting[i].round, a->rounds[q].name) == 0)
            return 1;
    return 0;
}

/* A model's error that has no line of its own: at its section. */
static graft_error_t model_error(const run_t *r,
                                 const graft_analysis_model_t *x,
                                 graft_error_t rc, graft_diag_t *diag)
{
    if (rc == GRAFT_ERR_NOMEM || diag->line)
        return rc;
    char msg[sizeof diag->msg];
    snprintf(msg, sizeof msg, "%s", diag->msg);
    return graft_diag_set(diag, rc, r->a->path, x->line, 0,
                          "[model.%s]: %.900s", x->name, msg);
}

/* Every [model.NAME] fitted on its round as the survey file gives it
 * (before [weighting] calibrates the rounds: graft_model_fit refuses a
 * calibrated design, so a model uses the round's design weights). */
static graft_error_t fit_models(run_t *r, graft_diag_t *diag)
{
    const graft_analysis_t *a = r->a;
    if (!a->n_models)
        return GRAFT_OK;
    r->models = calloc(a->n_models, sizeof *r->models);
    r->model_dw = calloc(a->n_models, sizeof *r->model_dw);
    if (!r->models || !r->model_dw)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t i = 0; i < a->n_models; i++) {
        const graft_analysis_model_t *x = &a->models[i];
        size_t q = x->round ? round_index(r, x->round) : 0;
        graft_model_spec_t spec = {
            x->formula, {a->path, x->formula_line, x->formula_col},
            GRAFT_FAMILY_LINEAR, x->among, {a->path, x->among_line,
                                            x->among_col},
            r->opts.level, (const char *const *)x->tests, x->n_tests, 0};
        if (x->family)
            graft_family_parse(x->family, &spec.family); /* checked */
        progress(r, "fitting the models");
        graft_error_t rc = graft_model_fit(r->in[q].data, &r->in[q].read,
                                           &r->in[q].design, &spec,
                                           &r->models[i], diag);
        if (rc != GRAFT_OK)
            return model_error(r, x, rc, diag);
        r->model_dw[i] = round_weighted(a, q);
    }
    return GRAFT_OK;
}

/* Every [sae.NAME] on its round as the survey file gives it (before
 * [weighting], as the models). */
static graft_error_t fit_saes(run_t *r, graft_diag_t *diag)
{
    const graft_analysis_t *a = r->a;
    size_t round_of[64];
    int weighted[MAX_ROUNDS];
    if (!a->n_saes)
        return GRAFT_OK;
    if (a->n_saes > 64)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                              "at most 64 [sae.NAME] sections");
    for (size_t i = 0; i < a->n_saes; i++)
        round_of[i] = a->saes[i].round ? round_index(r, a->saes[i].round) : 0;
    for (size_t q = 0; q < r->n; q++)
        weighted[q] = round_weighted(a, q);
    progress(r, "fitting the small-area models");
    return run_sae_fit(&r->sae, a, round_of, r->in, weighted, r->opts.level,
                       diag);
}

/* [weighting]: the rounds' weights calibrated into the run's folder (begun
 * here), each round then read from the survey file written there. */
static graft_error_t weigh_rounds(run_t *r, graft_diag_t *diag)
{
    graft_error_t rc;
    if (!r->a->has_weighting)
        return GRAFT_OK;
    if ((rc = run_dir_begin(&r->out, (const char *const *)r->names,
                            r->n_names, diag)) != GRAFT_OK)
        return rc;
    r->have_years = 1;
    for (size_t q = 0; q < r->n; q++) {
        progress(r, "weighting the rounds");
        if ((rc = run_weigh(r->a, q, &r->out, &r->in[q], diag)) != GRAFT_OK)
            return rc;
        set_round(r, q);
    }
    return GRAFT_OK;
}

/* Rounds, comparisons and trend from the analysis file. */
static graft_error_t load(run_t *r, graft_diag_t *diag)
{
    graft_error_t rc;
    graft_analysis_t *a = r->a;
    if ((rc = load_rounds(r, diag)) != GRAFT_OK)
        return rc;
    if (a->baseline) {
        size_t b = round_index(r, a->baseline);
        if (b == (size_t)-1)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                                  "[compare] baseline '%s' is not in "
                                  "[rounds]",
                                  a->baseline);
        for (size_t i = 0; i < a->n_followups; i++) {
            size_t f = round_index(r, a->followups[i]);
            if (f == (size_t)-1)
                return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                      0, 0,
                                      "[compare] follow-up '%s' is not in "
                                      "[rounds]",
                                      a->followups[i]);
            r->pairs[2 * r->n_pairs] = b;
            r->pairs[2 * r->n_pairs + 1] = f;
            r->n_pairs++;
        }
    }
    r->trend = a->trend_all;
    if (a->n_trend_rounds) {
        int same = a->n_trend_rounds == r->n;
        for (size_t i = 0; same && i < r->n; i++)
            same = round_index(r, a->trend_rounds[i]) == i;
        if (!same)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                                  "[trend] rounds must be all the [rounds], "
                                  "in order (or 'all')");
        r->trend = 1;
    }
    if ((r->n_pairs || r->trend) && r->n < 2)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                              "[compare] and [trend] need two or more "
                              "rounds");
    return GRAFT_OK;
}

/* The estimates' warnings (values that never occur) on stderr. */
static void warn(const run_t *r)
{
    for (size_t i = 0; r->est && i < r->est->n_warnings; i++)
        fprintf(stderr, "graft: warning: %s\n", r->est->warnings[i]);
}

static graft_error_t compute(run_t *r, graft_diag_t *diag)
{
    graft_analysis_t *a = r->a;
    progress(r, "reading the rounds");
    if (!r->n_pairs && !r->trend) {
        graft_error_t rc = graft_estimate_rounds(r->rounds, r->n, 0, &r->opts,
                                                 &r->est, diag);
        if (rc == GRAFT_OK)
            warn(r);
        return rc;
    }
    graft_change_opts_t copts = {GRAFT_TESTDF_SUM, GRAFT_ADJUST_HOLM,
                                 r->opts.level, NULL, NULL, r->labels};
    if (a->adjust && !graft_adjust_parse(a->adjust, &copts.adjust))
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                              "[compare] adjust '%s' must be none, "
                              "bonferroni, holm or bh",
                              a->adjust);
    if (a->test_df && !graft_test_df_parse(a->test_df, &copts.test_df))
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                              "[compare] test_df '%s' must be sum, min or "
                              "satterthwaite",
                              a->test_df);
    copts.years = r->have_years ? r->years : NULL;
    graft_change_plan_t plan = {r->pairs, r->n_pairs, r->trend};
    graft_error_t rc = graft_changes_run(r->rounds, r->n, a->shared_psus,
                                         &plan, &r->opts, &copts, &r->ch,
                                         diag);
    if (rc == GRAFT_OK) {
        r->est = r->ch->est;
        warn(r);
    }
    return rc;
}


/* Write one table file atomically. */
/* [plan]: the next round's needs from its round's (by default the last
 * round's) estimates and design effects. */
static graft_error_t plan_next(run_t *r, graft_diag_t *diag)
{
    const graft_analysis_t *a = r->a;
    if (!a->has_plan)
        return GRAFT_OK;
    r->plan_round = a->plan_round ? round_index(r, a->plan_round) : r->n - 1;
    progress(r, "planning the next round");
    return plan_compute(&r->rounds[r->plan_round], &r->opts, &a->plan_ask,
                        &a->plan_opts, &r->plan, diag);
}

static graft_error_t write_plan(run_t *r, graft_diag_t *diag)
{
    graft_outfile_t out;
    char *path = run_dir_path(&r->out, "plan.csv");
    if (!path)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    graft_error_t rc = graft_outfile_open(&out, path, diag);
    free(path);
    if (rc != GRAFT_OK)
        return rc;
    rc = graft_plan_write(out.fp, r->plan.rows, r->plan.n_rows,
                          GRAFT_PLAN_BASELINE, &r->a->plan_opts,
                          GRAFT_TABLE_CSV, diag);
    return graft_outfile_finish(&out, rc, diag);
}

static graft_error_t write_table(run_t *r, const char *name, int kind,
                                 graft_table_format_t format,
                                 graft_diag_t *diag)
{
    graft_outfile_t out;
    graft_error_t rc;
    char *path = run_dir_path(&r->out, name);
    if (!path)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    rc = graft_outfile_open(&out, path, diag);
    free(path);
    if (rc != GRAFT_OK)
        return rc;
    if (kind < 0)
        rc = graft_estimates_write(out.fp, r->est, format, diag);
    else
        rc = graft_changes_write(out.fp, r->ch, kind, format, diag);
    return graft_outfile_finish(&out, rc, diag);
}

typedef struct chart_out {
    char *svg, *png, *png_rel, *input; /* malloc'd */
    graft_report_chart_t rc;
} chart_out_t;

static void chart_out_free(chart_out_t *o)
{
    free(o->svg);
    free(o->png);
    free(o->png_rel);
    free(o->input);
}

/* SPEC for chart C of kind KIND drawn from INPUT. */
static void chart_spec(const run_t *r, const graft_analysis_chart_t *c,
                       graft_chart_kind_t kind, const char *input,
                       graft_chart_spec_t *spec)
{
    graft_chart_spec_init(spec);
    spec->kind = kind;
    spec->input = input;
    spec->indicator = c->indicator;
    spec->by = c->by;
    spec->round = c->round ? r->labels[round_index(r, c->round) < r->n
                                           ? round_index(r, c->round)
                                           : 0]
                           : NULL;
    spec->title = c->title;
    spec->analysis = r->a;
    spec->gnuplot = cli_env_gnuplot();
    spec->level = r->opts.level;
    if (r->have_years) {
        spec->years = r->years;
        spec->n_years = r->n;
    }
    if (r->n_pairs) {
        spec->baseline_label = r->labels[r->pairs[0]];
        spec->followup_label = r->labels[r->pairs[1]];
        spec->adjustment =
            r->ch ? graft_adjust_name(r->ch->opts.adjust) : NULL;
    }
}

/* Chart C's kind, checked against the analysis (before any data is
 * read). */
static graft_error_t chart_kind(const run_t *r, const graft_analysis_chart_t *c,
                                graft_chart_kind_t *out, graft_diag_t *diag)
{
    graft_chart_kind_t kind;
    if (!c->kind || !graft_chart_kind_parse(c->kind, &kind) ||
        kind == GRAFT_CHART_FOREST || kind == GRAFT_CHART_POWER ||
        kind == GRAFT_CHART_MDE) /* a model's or a plan's */
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, r->a->path,
                              c->line, 0,
                              "[chart.%s] kind must be bar, dumbbell, trend "
                              "or heatmap",
                              c->name);
    if ((kind == GRAFT_CHART_DUMBBELL && !r->n_pairs) ||
        (kind == GRAFT_CHART_TREND && !r->trend))
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, r->a->path,
                              c->line, 0,
                              "[chart.%s] a %s chart needs a %s section",
                              c->name, c->kind,
                              kind == GRAFT_CHART_TREND ? "[trend]"
                                                        : "[compare]");
    *out = kind;
    return GRAFT_OK;
}

/* "charts/NAME.EXT", malloc'd. */
static char *chart_file(const char *name, const char *ext)
{
    size_t n = strlen("charts/") + strlen(name) + strlen(ext) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "charts/%s%s", name, ext);
    return s;
}

/* Draw chart C from the tables in the private folder, into it. */
static graft_error_t draw(run_t *r, const graft_analysis_chart_t *c,
                          chart_out_t *o, graft_diag_t *diag)
{
    graft_chart_spec_t spec;
    graft_chart_kind_t kind;
    graft_error_t rc = chart_kind(r, c, &kind, diag);
    if (rc != GRAFT_OK)
        return rc;
    o->png_rel = chart_file(c->name, ".png");
    char *svg_rel = chart_file(c->name, ".svg");
    o->input = run_dir_path(&r->out, kind == GRAFT_CHART_DUMBBELL
                                         ? "comparisons.csv"
                                     : kind == GRAFT_CHART_TREND
                                         ? "trend.csv"
                                         : "estimates.csv");
    o->svg = svg_rel ? run_dir_path(&r->out, svg_rel) : NULL;
    o->png = o->png_rel ? run_dir_path(&r->out, o->png_rel) : NULL;
    free(svg_rel);
    if (!o->png_rel || !o->input || !o->svg || !o->png)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    chart_spec(r, c, kind, o->input, &spec);
    spec.output = o->svg;
    if ((rc = graft_chart_render(&spec, diag)) != GRAFT_OK)
        return rc;
    spec.output = o->png;
    if ((rc = graft_chart_render(&spec, diag)) != GRAFT_OK)
        return rc;
    o->rc = (graft_report_chart_t){c->name, c->title, c->kind, o->svg,
                                   o->png_rel, c->indicator};
    /* Bars go with their indicator's table; the others have sections of
     * their own. */
    if (kind != GRAFT_CHART_BAR)
        o->rc.indicator = NULL;
    return GRAFT_OK;
}

/* "model_NAME.csv" (EXT ".csv"), or "charts/model_NAME" + EXT for its
 * chart, malloc'd. */
static char *model_file(const char *name, const char *ext)
{
    int chart = strcmp(ext, ".csv") != 0;
    size_t n = strlen("charts/model_") + strlen(name) + strlen(ext) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%smodel_%s%s", chart ? "charts/" : "", name, ext);
    return s;
}

/* Model I's table (model_NAME.csv) and, for logistic and Poisson, its
 * forest chart (charts/model_NAME.svg and .png) into the private
 * folder. */
static graft_error_t write_model(run_t *r, size_t i, chart_out_t *o,
                                 graft_diag_t *diag)
{
    const graft_analysis_model_t *x = &r->a->models[i];
    graft_outfile_t out;
    char *rel = model_file(x->name, ".csv");
    o->input = rel ? run_dir_path(&r->out, rel) : NULL;
    free(rel);
    if (!o->input)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    graft_error_t rc = graft_outfile_open(&out, o->input, diag);
    if (rc != GRAFT_OK ||
        (rc = graft_outfile_finish(
             &out, graft_model_write(out.fp, r->models[i], GRAFT_TABLE_CSV,
                                     diag),
             diag)) != GRAFT_OK ||
        r->models[i]->family == GRAFT_FAMILY_LINEAR)
        return rc;
    char *svg_rel = model_file(x->name, ".svg");
    o->png_rel = model_file(x->name, ".png");
    o->svg = svg_rel ? run_dir_path(&r->out, svg_rel) : NULL;
    o->png = o->png_rel ? run_dir_path(&r->out, o->png_rel) : NULL;
    free(svg_rel);
    if (!o->svg || !o->png)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    graft_chart_spec_t spec;
    graft_chart_spec_init(&spec);
    spec.kind = GRAFT_CHART_FOREST;
    spec.input = o->input;
    spec.title = x->title;
    spec.gnuplot = cli_env_gnuplot();
    spec.level = r->opts.level;
    spec.output = o->svg;
    if ((rc = graft_chart_render(&spec, diag)) != GRAFT_OK)
        return rc;
    spec.output = o->png;
    if ((rc = graft_chart_render(&spec, diag)) != GRAFT_OK)
        return rc;
    o->rc = (graft_report_chart_t){x->name, x->title, "forest", o->svg,
                                   o->png_rel, NULL};
    return GRAFT_OK;
}

/* tables.xlsx: a sheet per CSV table the run writes (estimates,
 * comparisons, trend, plan, model_NAME, sae_NAME), the notes with each round's
 * design. */
static graft_error_t fill_workbook(graft_workbook_t *wb, const void *arg,
                                   graft_diag_t *diag)
{
    const run_t *r = arg;
    graft_error_t rc = graft_estimates_sheet(wb, "estimates", r->est, diag);
    if (rc == GRAFT_OK && r->n_pairs)
        rc = graft_changes_sheet(wb, "comparisons", r->ch, 0, diag);
    if (rc == GRAFT_OK && r->trend)
        rc = graft_changes_sheet(wb, "trend", r->ch, 1, diag);
    if (rc == GRAFT_OK && r->a->has_plan)
        rc = graft_plan_sheet(wb, "plan", r->plan.rows, r->plan.n_rows,
                              GRAFT_PLAN_BASELINE, &r->a->plan_opts, diag);
    for (size_t i = 0; rc == GRAFT_OK && i < r->a->n_models; i++) {
        char name[160];
        snprintf(name, sizeof name, "model_%s", r->a->models[i].name);
        rc = graft_model_sheet(wb, name, r->models[i], diag);
    }
    for (size_t i = 0; rc == GRAFT_OK && i < r->a->n_saes; i++) {
        char name[160];
        snprintf(name, sizeof name, "sae_%s", r->a->saes[i].name);
        rc = graft_sae_sheet(wb, name, r->sae.fits[i], diag);
    }
    for (size_t q = 0; rc == GRAFT_OK && q < r->n; q++) {
        char round[160];
        snprintf(round, sizeof round, "round %s", r->labels[q]);
        rc = graft_workbook_note(wb, round, "source", r->sources[q],
                                 diag);
        if (rc == GRAFT_OK)
            rc = graft_workbook_note_design(wb, round, &r->in[q].design,
                                            diag);
    }
    return rc;
}

static graft_error_t write_workbook(run_t *r, graft_diag_t *diag)
{
    char *path = run_dir_path(&r->out, "tables.xlsx");
    if (!path)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    graft_error_t rc = cli_write_workbook(path, fill_workbook, r, NULL, diag);
    free(path);
    return rc;
}

static graft_error_t write_report(run_t *r, chart_out_t *charts,
                                  chart_out_t *model_charts,
                                  graft_diag_t *diag)
{
    size_t n = r->a->n_charts;
    graft_report_chart_t *rc = calloc(n ? n : 1, sizeof *rc);
    if (!rc)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t i = 0; i < n; i++) /* every chart: none is left out */
        rc[i] = charts[i].rc;
    size_t nm = r->a->n_models;
    graft_report_model_t *rm = calloc(nm ? nm : 1, sizeof *rm);
    if (!rm) {
        free(rc);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    for (size_t i = 0; i < nm; i++) {
        const graft_analysis_model_t *x = &r->a->models[i];
        size_t q = x->round ? round_index(r, x->round) : 0;
        rm[i] = (graft_report_model_t){
            x->name, x->title, r->models[i], r->labels[q], x->among,
            r->model_dw[i], model_charts[i].svg ? &model_charts[i].rc : NULL};
    }
    size_t ns = r->a->n_saes;
    graft_report_sae_t *rs = calloc(ns ? ns : 1, sizeof *rs);
    if (!rs) {
        free(rc);
        free(rm);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    for (size_t i = 0; i < ns; i++) {
        const graft_analysis_sae_t *x = &r->a->saes[i];
        size_t q = x->round ? round_index(r, x->round) : 0;
        rs[i] = (graft_report_sae_t){
            x->name, x->title, r->sae.fits[i], r->labels[q],
            r->sae.design_weights[i], &r->sae.charts[2 * i],
            &r->sae.charts[2 * i + 1]};
    }
    graft_report_t rep = {r->a, r->labels, r->sources, r->n,
                          &r->in[0].design, r->est, r->ch, rc, n,
                          r->a->has_plan ? r->plan.rows : NULL,
                          r->plan.n_rows,
                          r->a->has_plan ? r->labels[r->plan_round] : NULL,
                          rm, nm, rs, ns};
    static const char *const names[] = {"report.md", "report.html"};
    graft_error_t e = GRAFT_OK;
    for (int h = 0; h < 2 && e == GRAFT_OK; h++) {
        graft_outfile_t out;
        char *path = run_dir_path(&r->out, names[h]);
        if (!path) {
            e = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                               "out of memory");
            break;
        }
        e = graft_outfile_open(&out, path, diag);
        free(path);
        if (e != GRAFT_OK)
            break;
        e = h ? graft_report_write_html(out.fp, &rep, diag)
              : graft_report_write_md(out.fp, &rep, diag);
        if (e != GRAFT_OK)
            graft_outfile_abort(&out);
        else
            e = graft_outfile_commit(&out, diag);
    }
    free(rc);
    free(rm);
    free(rs);
    return e;
}

static graft_error_t write_all(run_t *r, graft_diag_t *diag)
{
    graft_error_t rc;
    if (!r->out.tmp &&
        (rc = run_dir_begin(&r->out, (const char *const *)r->names,
                            r->n_names, diag)) != GRAFT_OK)
        return rc;
    r->est->round_labels = r->labels;
    progress(r, "writing tables");
    if ((rc = write_table(r, "estimates.csv", -1, GRAFT_TABLE_CSV, diag)) !=
        GRAFT_OK)
        return rc;
    if (r->n_pairs &&
        ((rc = write_table(r, "comparisons.csv", 0, GRAFT_TABLE_CSV, diag)) !=
             GRAFT_OK ||
         (rc = write_table(r, "comparisons.json", 0, GRAFT_TABLE_JSON,
                           diag)) != GRAFT_OK))
        return rc;
    if (r->trend &&
        (rc = write_table(r, "trend.csv", 1, GRAFT_TABLE_CSV, diag)) !=
            GRAFT_OK)
        return rc;
    if (r->a->has_plan && (rc = write_plan(r, diag)) != GRAFT_OK)
        return rc;
    chart_out_t *charts = calloc(r->a->n_charts + 1, sizeof *charts);
    if (!charts)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    size_t nm = r->a->n_models;
    chart_out_t *mcharts = calloc(nm + 1, sizeof *mcharts);
    if (!mcharts) {
        free(charts);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    for (size_t i = 0; i < r->a->n_charts && rc == GRAFT_OK; i++) {
        char what[96];
        snprintf(what, sizeof what, "drawing chart %zu of %zu", i + 1,
                 r->a->n_charts);
        progress(r, what);
        rc = draw(r, &r->a->charts[i], &charts[i], diag);
    }
    for (size_t i = 0; i < nm && rc == GRAFT_OK; i++) {
        progress(r, "writing the models");
        rc = write_model(r, i, &mcharts[i], diag);
    }
    for (size_t i = 0; i < r->a->n_saes && rc == GRAFT_OK; i++) {
        progress(r, "writing the small-area estimates");
        rc = run_sae_write(&r->sae, r->a, i, &r->out, r->opts.level, diag);
    }
    if (rc == GRAFT_OK) {
        progress(r, "writing tables.xlsx");
        rc = write_workbook(r, diag);
    }
    if (rc == GRAFT_OK) {
        progress(r, "writing the report");
        rc = write_report(r, charts, mcharts, diag);
    }
    for (size_t i = 0; i < r->a->n_charts; i++)
        chart_out_free(&charts[i]);
    for (size_t i = 0; i < nm; i++)
        chart_out_free(&mcharts[i]);
    free(charts);
    free(mcharts);
    if (rc == GRAFT_OK)
        rc = run_dir_commit(&r->out, diag);
    return rc;
}

/* ---- before any data is read ------------------------------------------ */

/* Add a malloc'd NAME (NULL: out of memory) to the run's output names. */
static int add_name(run_t *r, char *name)
{
    char **t = name ? realloc(r->names, (r->n_names + 1) * sizeof *t) : NULL;
    if (!t) {
        free(name);
        return -1;
    }
    r->names = t;
    r->names[r->n_names++] = name;
    return 0;
}

/* The relative paths the run writes, in the order it writes them. */
static int output_names(run_t *r)
{
    static const char *const tables[] = {"estimates.csv", "comparisons.csv",
                                         "comparisons.json", "trend.csv"};
    static const char *const ext[] = {".dat", ".gp", ".svg", ".png"};
    for (size_t q = 0; q < r->n; q++) {
        char *w[3];
        int n = run_weight_files(r->a, q, w);
        if (n < 0)
            return -1;
        for (int i = 0; i < n; i++)
            if (add_name(r, w[i]) != 0) {
                while (++i < n)
                    free(w[i]);
                return -1;
            }
    }
    for (size_t i = 0; i < 4; i++)
        if ((i == 0 || (i < 3 ? r->n_pairs != 0 : r->trend != 0)) &&
            add_name(r, strdup(tables[i])) != 0)
            return -1;
    if (r->a->has_plan && add_name(r, strdup("plan.csv")) != 0)
        return -1;
    for (size_t i = 0; i < r->a->n_charts; i++)
        for (size_t x = 0; x < 4; x++)
            if (add_name(r, chart_file(r->a->charts[i].name, ext[x])) != 0)
                return -1;
    for (size_t i = 0; i < r->a->n_models; i++) {
        const graft_analysis_model_t *m = &r->a->models[i];
        graft_family_t family = GRAFT_FAMILY_LINEAR;
        if (m->family)
            graft_family_parse(m->family, &family);
        if (add_name(r, model_file(m->name, ".csv")) != 0)
            return -1;
        for (size_t x = 0; family != GRAFT_FAMILY_LINEAR && x < 4; x++)
            if (add_name(r, model_file(m->name, ext[x])) != 0)
                return -1;
    }
    for (size_t i = 0; i < r->a->n_saes; i++) {
        char *files[9];
        if (run_sae_files(&r->a->saes[i], files) != 0)
            return -1;
        for (size_t k = 0; k < 9; k++)
            if (add_name(r, files[k]) != 0) {
                while (++k < 9)
                    free(files[k]);
                return -1;
            }
    }
    if (add_name(r, strdup("tables.xlsx")) != 0 ||
        add_name(r, strdup("report.md")) != 0 ||
        add_name(r, strdup("report.html")) != 0)
        return -1;
    return 0;
}

/* NAMES (N of them) joined with ", " into BUF of SIZE, cut with "...". */
static void join(char *buf, size_t size, const char *const *names, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         names[i]);
        if (k < 0 || (size_t)k >= size - used) {
            snprintf(buf + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size,
                     "...");
            return;
        }
        used += (size_t)k;
    }
}

/* The indicators' names (as the tables write them) and the by-variables
 * (every column of every --by table, once), malloc'd in *INDS and *BY. */
static int result_names(const run_t *r, const char ***inds, size_t *n_inds,
                        const char ***by, size_t *n_by)
{
    const graft_estimate_opts_t *o = &r->opts;
    size_t cap = 1;
    for (size_t s = 0; s < o->n_by; s++)
        cap += o->by[s].n_columns;
    *inds = calloc(o->n_indicators + 1, sizeof **inds);
    *by = calloc(cap, sizeof **by);
    if (!*inds || !*by)
        return 0;
    for (size_t k = 0; k < o->n_indicators; k++)
        (*inds)[k] = graft_indicator_name(&o->indicators[k]);
    *n_inds = o->n_indicators;
    *n_by = 0;
    for (size_t s = 0; s < o->n_by; s++)
        for (size_t i = 0; i < o->by[s].n_columns; i++) {
            size_t j = 0;
            while (j < *n_by && strcmp((*by)[j], o->by[s].columns[i]) != 0)
                j++;
            if (j == *n_by)
                (*by)[(*n_by)++] = o->by[s].columns[i];
        }
    return 1;
}

/* Is every item of LIST (comma-separated when SPLIT, else the whole
 * string) one of the N NAMES?  Else the first that is not, in BAD. */
static int all_known(const char *list, int split, const char *const *names,
                     size_t n, char *bad, size_t bad_size)
{
    const char *p = list;
    while (*p) {
        size_t len = split ? strcspn(p, ",") : strlen(p), i = 0;
        while (i < n && (strlen(names[i]) != len ||
                         strncmp(names[i], p, len) != 0))
            i++;
        if (i == n) {
            snprintf(bad, bad_size, "%.*s", (int)(len < 255 ? len : 255), p);
            return 0;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 1;
}

/* Chart C's indicator and by-variable against the analysis (NAMES of the
 * tables' indicators and by-variables), at the chart's line. */
static graft_error_t chart_names(const run_t *r,
                                 const graft_analysis_chart_t *c,
                                 graft_chart_kind_t kind,
                                 const char *const *inds, size_t n_inds,
                                 const char *const *by, size_t n_by,
                                 graft_diag_t *diag)
{
    char bad[256], list[400];
    const char *path = r->a->path;
    if (c->indicator && *c->indicator &&
        !all_known(c->indicator, kind == GRAFT_CHART_HEATMAP, inds, n_inds,
                   bad, sizeof bad)) {
        join(list, sizeof list, inds, n_inds);
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, c->line, 0,
                              "[chart.%s] indicator '%s' is not an "
                              "indicator of this analysis (it has: %s)",
                              c->name, bad, list);
    }
    if ((!c->indicator || !*c->indicator) && kind != GRAFT_CHART_HEATMAP &&
        n_inds > 1) {
        join(list, sizeof list, inds, n_inds);
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, c->line, 0,
                              "[chart.%s] has no indicator: name one of %s",
                              c->name, list);
    }
    join(list, sizeof list, by, n_by);
    if (c->by && *c->by && !all_known(c->by, 1, by, n_by, bad, sizeof bad))
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, c->line, 0,
                              "[chart.%s] by '%s' is not a by-variable of "
                              "this analysis (%s%s)",
                              c->name, bad, n_by ? "it has: " : "it has none",
                              list);
    if ((!c->by || !*c->by) && n_by > 1)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, c->line, 0,
                              "[chart.%s] has no by: name one of %s",
                              c->name, list);
    return GRAFT_OK;
}

/* A trend chart puts each round at its survey year: the years must
 * increase in the order of [rounds], at the round that does not. */
static graft_error_t trend_years(const run_t *r,
                                 const graft_analysis_chart_t *c,
                                 graft_diag_t *diag)
{
    const graft_analysis_round_t *q = r->a->rounds;
    for (size_t i = 1; r->have_years && i < r->n; i++)
        if (!(r->years[i] > r->years[i - 1]))
            return graft_diag_set(
                diag, GRAFT_ERR_SURVEY_FILE, r->a->path, q[i].line, 0,
                "round '%s' (%s, year %g) does not come after '%s' (%s, "
                "year %g): the trend chart [chart.%s] needs the survey "
                "files' years to increase in the order of [rounds]",
                q[i].name, q[i].survey, r->years[i], q[i - 1].name,
                q[i - 1].survey, r->years[i - 1], c->name);
    return GRAFT_OK;
}

/* Every chart's names and years (before any data is read). */
static graft_error_t check_charts(const run_t *r, graft_diag_t *diag)
{
    const char **inds = NULL, **by = NULL;
    size_t n_inds = 0, n_by = 0;
    graft_error_t rc = GRAFT_OK;
    if (!result_names(r, &inds, &n_inds, &by, &n_by))
        rc = graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                            "out of memory");
    for (size_t i = 0; rc == GRAFT_OK && i < r->a->n_charts; i++) {
        const graft_analysis_chart_t *c = &r->a->charts[i];
        graft_chart_kind_t kind;
        if ((rc = chart_kind(r, c, &kind, diag)) == GRAFT_OK)
            rc = chart_names(r, c, kind, inds, n_inds, by, n_by, diag);
        if (rc == GRAFT_OK && kind == GRAFT_CHART_TREND)
            rc = trend_years(r, c, diag);
    }
    free(inds);
    free(by);
    return rc;
}

/* Every chart's kind, gnuplot (when there are charts) and the output
 * folder, checked before the rounds are read. */
static graft_error_t preflight(run_t *r, graft_diag_t *diag)
{
    graft_error_t rc;
    for (size_t i = 0; i < r->a->n_charts; i++) {
        const graft_analysis_chart_t *c = &r->a->charts[i];
        graft_chart_kind_t kind;
        /* the chart's files stay in DIR/charts (the analysis reader checks
         * names too; this keeps the folder's contract on its own) */
        if (strchr(c->name, '/') || strcmp(c->name, ".") == 0 ||
            strcmp(c->name, "..") == 0)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, r->a->path,
                                  c->line, 0,
                                  "[chart.%s] a chart name is a file name: "
                                  "no '/', not '.' or '..'",
                                  c->name);
        if ((rc = chart_kind(r, c, &kind, diag)) != GRAFT_OK)
            return rc;
    }
    if ((rc = check_charts(r, diag)) != GRAFT_OK)
        return rc;
    if (output_names(r) != 0)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    if ((rc = run_dir_check(&r->out, r->dir, (const char *const *)r->names,
                            r->n_names, diag)) != GRAFT_OK)
        return rc;
    /* an empty script: gnuplot found, started, and exits 0 */
    if (r->a->n_charts || r->a->n_models || r->a->n_saes)
        return graft_chart_gnuplot_check(cli_env_gnuplot(), r->dir, diag);
    return GRAFT_OK;
}

/* The analysis file and -o DIR (default out/NAME for NAME.ini) into R.
 * Returns -1 to go on, else an exit code (help printed: 0). */
static int parse_args(int argc, char **argv, run_t *r)
{
    enum { OPT_HELP = 256 };
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0}};
    int c;
    cli_parse_begin(NULL);
    while ((c = getopt_long(argc, argv, ":o:", options, NULL)) != -1) {
        switch (c) {
        case 'o': r->dir = optarg; break;
        case OPT_HELP: fputs(run_usage, stdout); return 0;
        default: return cli_getopt_error("run", c, argv);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (r->analysis_path)
            return cli_usage_error("run: one analysis file, not '%s' too",
                                   argv[i]);
        r->analysis_path = argv[i];
    }
    if (!r->analysis_path)
        return cli_usage_error("run: no analysis file (see graft run "
                               "--help)");
    if (!r->dir) {
        const char *base = strrchr(r->analysis_path, '/');
        base = base ? base + 1 : r->analysis_path;
        size_t n = strlen(base);
        if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
            n -= 4;
        if (!(r->dir_buf = malloc(n + 5)))
            return cli_nomem();
        snprintf(r->dir_buf, n + 5, "out/%.*s", (int)n, base);
        r->dir = r->dir_buf;
    }
    return -1;
}

int cmd_run(int argc, char **argv)
{
    run_t r;
    graft_diag_t diag;
    cli_analysis_t e;
    int status;
    memset(&r, 0, sizeof r);
    memset(&e, 0, sizeof e);
    graft_diag_clear(&diag);
    if ((status = parse_args(argc, argv, &r)) >= 0)
        return status;
    r.progress = isatty(STDERR_FILENO);
    if (graft_analysis_load(r.analysis_path, &r.a, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    if ((status = cli_analysis_opts(&e, r.a, &r.opts, &r.all)) >= 0)
        goto done;
    if (load(&r, &diag) != GRAFT_OK || preflight(&r, &diag) != GRAFT_OK ||
        fit_models(&r, &diag) != GRAFT_OK || fit_saes(&r, &diag) != GRAFT_OK ||
        weigh_rounds(&r, &diag) != GRAFT_OK ||
        compute(&r, &diag) != GRAFT_OK || plan_next(&r, &diag) != GRAFT_OK ||
        write_all(&r, &diag) != GRAFT_OK) {
        if (r.progress)
            fputc('\n', stderr);
        run_dir_diag(&r.out, &diag);
        status = cli_fail(&diag);
        goto done;
    }
    if (r.progress)
        fputc('\n', stderr);
    printf("graft: report written to %s/report.html (and report.md)\n",
           r.dir);
    status = GRAFT_EXIT_OK;
done:
    if (r.ch)
        graft_changes_free(r.ch);
    else
        graft_estimates_free(r.est);
    for (size_t q = 0; q < r.n; q++)
        cli_input_free(&r.in[q]);
    run_dir_free(&r.out);
    for (size_t i = 0; i < r.n_names; i++)
        free(r.names[i]);
    free(r.names);
    free(r.dir_buf);
    free(r.all);
    plan_result_free(&r.plan);
    for (size_t i = 0; r.models && i < r.a->n_models; i++)
        graft_model_free(r.models[i]);
    free(r.models);
    free(r.model_dw);
    run_sae_free(&r.sae);
    graft_analysis_free(r.a);
    cli_analysis_free(&e);
    return status;
}
