/*
 * graft/report.h - the report of `graft run`: report.md and a
 * self-contained report.html (inline SVG charts, the tables with
 * intervals and flags, the design summary and the methods paragraph).
 * Deterministic: the same results give byte-identical files.
 */
#ifndef GRAFT_REPORT_H
#define GRAFT_REPORT_H

#include <stdio.h>
#include "graft/analysis.h"
#include "graft/compare.h"
#include "graft/design.h"
#include "graft/estimate.h"
#include "graft/plan.h"
#include "graft/model.h"
#include "graft/sae.h"

typedef struct graft_report_chart {
    const char *name;       /* the [chart.NAME] */
    const char *title;
    const char *kind;
    const char *svg_path;   /* read and inlined in the HTML */
    const char *png_file;   /* referenced from report.md (relative) */
    const char *indicator;  /* the chart's indicator, or NULL */
} graft_report_chart_t;

/* A [model.NAME] fitted by graft run. */
typedef struct graft_report_model {
    const char *name, *title;        /* title may be NULL */
    const graft_model_t *model;
    const char *round_label;
    const char *among;               /* the domain, or NULL */
    int design_weights;              /* the round's weights were calibrated
                                        ([weighting]): the model is fitted
                                        on its design weights */
    const graft_report_chart_t *chart; /* its forest chart, or NULL */
} graft_report_model_t;

/* A [sae.NAME] fitted by graft run. */
typedef struct graft_report_sae {
    const char *name, *title;        /* title may be NULL */
    const graft_sae_t *sae;
    const char *round_label;
    int design_weights;              /* fitted on the round's design
                                        weights ([weighting] calibrates
                                        it) */
    const graft_report_chart_t *chart;  /* direct against EBLUP, or NULL */
    const graft_report_chart_t *resid;  /* residual diagnostics, or NULL */
} graft_report_sae_t;

typedef struct graft_report {
    const graft_analysis_t *analysis;
    const char *const *round_labels;
    const char *const *round_sources; /* survey files */
    size_t n_rounds;
    const graft_design_spec_t *spec;  /* the first round's design */
    const graft_estimates_t *est;     /* per-round rows */
    const graft_changes_t *changes;   /* comparisons and trend, or NULL */
    const graft_report_chart_t *charts;
    size_t n_charts;
    /* [plan]: the report ends with "What the next round needs" */
    const graft_plan_row_t *plan;     /* NULL: no such section */
    size_t n_plan;
    const char *plan_round;           /* the baseline round's label */
    const graft_report_model_t *models;
    size_t n_models;
    const graft_report_sae_t *saes;   /* [sae.NAME] */
    size_t n_saes;
} graft_report_t;

/* Write the Markdown or the HTML report to FP.  Fails with GRAFT_ERR_WRITE
 * or GRAFT_ERR_READ (a chart's SVG cannot be read). */
graft_error_t graft_report_write_md(FILE *fp, const graft_report_t *r,
                                    graft_diag_t *diag);
graft_error_t graft_report_write_html(FILE *fp, const graft_report_t *r,
                                      graft_diag_t *diag);

#endif
