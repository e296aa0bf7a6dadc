/*
 * graft/analysis.h - analysis files: the indicators, domains, interval
 * method and level of an analysis, in INI form (graft-analysis(5), man/).
 *
 *   [analysis]        title, by (repeatable; each line one domain set of
 *                     comma-separated columns), ci, level, df, min_n
 *   [indicator.NAME]  label, question, type (prop|mean|total|quantile),
 *                     expr, among, harmonized, probs (quantile: P[, P...];
 *                     loaded as one indicator per probability, "NAME p50")
 *   [rounds]          NAME = survey file (relative to the analysis file),
 *                     in time order (graft run)
 *   [compare]         baseline = NAME, followups = NAME[, NAME...]
 *                     (repeatable; each follow-up once, never the
 *                     baseline), adjust, test_df, shared_psus, harmonized
 *   [trend]           rounds = all | NAME, NAME, ... (three or more)
 *   [chart.NAME]      kind (bar|dumbbell|trend|heatmap), indicator, by,
 *                     round, title
 *   [weighting]       ROUND = margins files (relative to the analysis
 *                     file), method, bounds, tolerance, max_iter, trim,
 *                     trim_strict, name: graft run calibrates (and/or
 *                     trims) those rounds' weights first (graft weight)
 *   [model.NAME]      formula (required), family (linear|logistic|
 *                     poisson; default linear), among, test (repeatable;
 *                     TERM[, TERM...]), round (a name of [rounds]; default
 *                     the first), title: graft run fits the model (graft
 *                     model, docs/model.md) on the round's design weights
 *                     and puts its table, and for logistic and Poisson a
 *                     forest chart, in the report
 *   [sae.NAME]        indicator (an [indicator.NAME], a proportion or a
 *                     mean; required), by (the area column; required),
 *                     covariates (CSV path, relative to the analysis
 *                     file; required), formula (required), method
 *                     (reml|ml|fh), variance (direct|smoothed), round,
 *                     title: graft run fits the Fay-Herriot model (graft
 *                     sae, docs/sae.md) on the round's design weights and
 *                     puts its table and charts in the report
 */
#ifndef GRAFT_ANALYSIS_H
#define GRAFT_ANALYSIS_H

#include <stddef.h>
#include "graft/estimate.h"
#include "graft/plan.h"
#include "graft/weight.h"

/* The confidence levels graft accepts, in analysis files and on the command
 * line: below 0.5 or above 0.9999 an interval is too narrow or too wide to
 * mean anything (1e-300 would give a zero-width interval). */
#define GRAFT_LEVEL_MIN 0.5
#define GRAFT_LEVEL_MAX 0.9999

typedef struct graft_analysis_round {
    char *name;
    char *survey;   /* path, resolved against the analysis file's folder */
    unsigned long line; /* of its entry in [rounds] */
} graft_analysis_round_t;

typedef struct graft_analysis_chart {
    char *name;
    char *kind, *indicator, *by, *round, *title;
    unsigned long line;       /* of the section's first key */
    unsigned long round_line; /* of its round key */
} graft_analysis_chart_t;

/* A [model.NAME]: graft model's options; the strings as written. */
typedef struct graft_analysis_model {
    char *name;
    char *family, *formula, *among, *round, *title;
    char **tests;             /* terms to Wald-test */
    size_t n_tests;
    unsigned long line;       /* of the section's first key */
    unsigned long formula_line, formula_col, among_line, among_col;
    unsigned long round_line;
} graft_analysis_model_t;

/* A [sae.NAME]: graft sae's options; the strings as written (covariates
 * resolved against the analysis file's folder). */
typedef struct graft_analysis_sae {
    char *name;
    char *indicator, *by, *covariates, *formula, *method, *variance;
    char *round, *title;
    unsigned long line;       /* of the section's first key */
    unsigned long formula_line, formula_col, round_line, indicator_line;
} graft_analysis_sae_t;

/* A round of [weighting]: its margins files. */
typedef struct graft_analysis_weighting {
    char *round;        /* a name of [rounds] */
    char **margins;     /* resolved against the analysis file's folder */
    size_t n_margins;
    unsigned long line;
} graft_analysis_weighting_t;

typedef struct graft_analysis {
    char *path;
    char *title;
    graft_analysis_round_t *rounds;
    size_t n_rounds;
    char *baseline;           /* [compare] */
    char **followups;
    size_t n_followups;
    char *adjust, *test_df;
    int shared_psus, harmonized;
    char **trend_rounds;      /* [trend]; "all" expands to every round */
    size_t n_trend_rounds;
    int trend_all;
    graft_analysis_chart_t *charts;
    size_t n_charts;
    graft_analysis_model_t *models;     /* [model.NAME], in file order */
    size_t n_models;
    graft_analysis_sae_t *saes;         /* [sae.NAME], in file order */
    size_t n_saes;
    graft_indicator_spec_t *indicators; /* strings owned */
    size_t n_indicators;
    graft_by_spec_t *by;                /* column names owned */
    size_t n_by;
    int has_ci, has_level, has_df, has_min_n;
    graft_ci_method_t ci;
    double level;
    graft_df_mode_t df_mode;
    double df_value;
    size_t min_n;
    graft_analysis_weighting_t *weighting; /* [weighting], by round */
    size_t n_weighting;
    graft_weight_opts_t weight_opts;       /* [weighting]'s settings */
    char *weight_name;                     /* its name, or NULL */
    int has_weighting;
    unsigned long weighting_line;
    /* [plan]: what the next round needs, at the end of graft run's report
     * (docs/plan.md) */
    int has_plan;
    char *plan_round;            /* the baseline round; NULL: the last */
    graft_plan_ask_t plan_ask;   /* NaN for what is not asked */
    graft_plan_opts_t plan_opts;
    unsigned long plan_line;
} graft_analysis_t;

/* Load PATH into *OUT (the caller's, freed with graft_analysis_free).
 * Fails with GRAFT_ERR_OPEN, GRAFT_ERR_SURVEY_FILE (line of the bad entry:
 * unknown key or section, bad value, an indicator without expr, a round
 * named twice in [rounds], a follow-up that is the baseline or is listed
 * twice, a chart name that is not a plain file name (letters, digits,
 * '_', '-', '.'; not "." or ".."), a chart round not in [rounds], a
 * model without formula, with an unknown family, a round not in [rounds]
 * or a name a chart has as "model_NAME") or
 * GRAFT_ERR_NOMEM.  Expressions are parsed later, by the estimator, with
 * their file, line and column. */
graft_error_t graft_analysis_load(const char *path, graft_analysis_t **out,
                                  graft_diag_t *diag);
void graft_analysis_free(graft_analysis_t *a);

/* Parse "domain", "design" or a non-negative number into MODE/VALUE.
 * Returns 1 on success. */
int graft_df_parse(const char *text, graft_df_mode_t *mode, double *value);

/* Split "a, b" into BY's columns, pointing into BUF (modified).  Returns
 * 1, 0 when there are no columns or more than GRAFT_MAX_BY, or -1 when a
 * column is listed twice (BY's last column is the repeated one). */
int graft_by_split(char *buf, graft_by_spec_t *by);

#endif
