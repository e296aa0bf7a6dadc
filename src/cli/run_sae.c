/*
 * run_sae.c - [sae.NAME] in graft run (run_sae.h): each section's
 * indicator estimated by area on its round in one pass (as graft
 * estimate), the Fay-Herriot model on the section's covariates, its table
 * and two charts.
 */
#define _GNU_SOURCE
#include "run_sae.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const chart_ext[] = {".dat", ".gp", ".svg", ".png"};

int run_sae_files(const graft_analysis_sae_t *x, char *names[9])
{
    int k = 0;
    memset(names, 0, 9 * sizeof *names);
    if (asprintf(&names[k++], "sae_%s.csv", x->name) < 0)
        names[0] = NULL;
    for (int c = 0; c < 2 && names[0]; c++)
        for (int e = 0; e < 4; e++)
            if (asprintf(&names[k++], "charts/sae_%s%s%s", x->name,
                         c ? "_resid" : "", chart_ext[e]) < 0) {
                names[k - 1] = NULL;
                break;
            }
    for (int i = 0; i < 9; i++)
        if (!names[i]) {
            for (int j = 0; j < 9; j++)
                free(names[j]);
            return -1;
        }
    return 0;
}

void run_sae_free(run_sae_t *s)
{
    for (size_t i = 0; s->fits && i < s->n; i++)
        graft_sae_free(s->fits[i]);
    free(s->fits);
    free(s->design_weights);
    for (size_t i = 0; s->files && i < 9 * s->n; i++)
        free(s->files[i]);
    free(s->files);
    for (size_t i = 0; s->svg_paths && i < 2 * s->n; i++)
        free(s->svg_paths[i]);
    free(s->svg_paths);
    free(s->charts);
    memset(s, 0, sizeof *s);
}

/* An error without a line of its own: at the section. */
static graft_error_t at_section(const graft_analysis_t *a,
                                const graft_analysis_sae_t *x,
                                graft_error_t rc, graft_diag_t *diag)
{
    if (rc == GRAFT_ERR_NOMEM || diag->line)
        return rc;
    char msg[sizeof diag->msg];
    snprintf(msg, sizeof msg, "%s", diag->msg);
    return graft_diag_set(diag, rc, a->path, x->line, 0, "[sae.%s]: %.900s",
                          x->name, msg);
}

/* Section X's model on round IN: its indicator by X->by, then the fit. */
static graft_error_t fit_one(const graft_analysis_t *a,
                             const graft_analysis_sae_t *x, cli_input_t *in,
                             double level, graft_sae_t **out,
                             graft_diag_t *diag)
{
    const graft_indicator_spec_t *ind = NULL;
    for (size_t j = 0; j < a->n_indicators && !ind; j++)
        if (strcmp(graft_indicator_name(&a->indicators[j]), x->indicator) ==
            0)
            ind = &a->indicators[j]; /* checked when the file was read */
    graft_by_spec_t by = {{x->by}, 1};
    graft_estimate_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.indicators = ind;
    opts.n_indicators = 1;
    opts.by = &by;
    opts.n_by = 1;
    opts.ci = GRAFT_CI_LOGIT;
    opts.level = level;
    graft_sae_spec_t spec;
    memset(&spec, 0, sizeof spec);
    spec.covariates = x->covariates;
    spec.formula = x->formula;
    spec.formula_src = (graft_source_t){a->path, x->formula_line,
                                        x->formula_col};
    spec.opts.level = level;
    if (x->method)
        graft_sae_method_parse(x->method, &spec.opts.method); /* checked */
    if (x->variance && strcmp(x->variance, "smoothed") == 0)
        spec.opts.variance = GRAFT_SAE_VAR_SMOOTHED;
    graft_round_t round = {in->data, &in->read, &in->design,
                           in->survey ? in->survey->derived : NULL,
                           in->survey ? in->survey->n_derived : 0};
    graft_estimates_t *est = NULL;
    graft_error_t rc = graft_estimate_rounds(&round, 1, 0, &opts, &est, diag);
    if (rc == GRAFT_OK)
        rc = graft_sae_areas(est, &spec, out, diag);
    graft_estimates_free(est);
    return rc;
}

graft_error_t run_sae_fit(run_sae_t *s, const graft_analysis_t *a,
                          const size_t *round_of, cli_input_t *in,
                          const int *weighted, double level,
                          graft_diag_t *diag)
{
    memset(s, 0, sizeof *s);
    if (!a->n_saes)
        return GRAFT_OK;
    s->n = a->n_saes;
    s->fits = calloc(s->n, sizeof *s->fits);
    s->design_weights = calloc(s->n, sizeof *s->design_weights);
    s->files = calloc(9 * s->n, sizeof *s->files);
    s->charts = calloc(2 * s->n, sizeof *s->charts);
    s->svg_paths = calloc(2 * s->n, sizeof *s->svg_paths);
    if (!s->fits || !s->design_weights || !s->files || !s->charts ||
        !s->svg_paths)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        const graft_analysis_sae_t *x = &a->saes[i];
        size_t q = round_of[i];
        graft_error_t rc = fit_one(a, x, &in[q], level, &s->fits[i], diag);
        if (rc != GRAFT_OK)
            return at_section(a, x, rc, diag);
        for (size_t w = 0; w < s->fits[i]->n_warnings; w++)
            fprintf(stderr, "graft: warning: [sae.%s]: %s\n", x->name,
                    s->fits[i]->warnings[w]);
        s->design_weights[i] = weighted[q];
        if (run_sae_files(x, &s->files[9 * i]) != 0)
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                                  "out of memory");
    }
    return GRAFT_OK;
}

/* Chart C (0: direct against EBLUP, 1: residuals) of section I. */
static graft_error_t draw(run_sae_t *s, const graft_analysis_sae_t *x,
                          size_t i, int c, const char *csv,
                          const run_dir_t *d, double level,
                          graft_diag_t *diag)
{
    char **f = &s->files[9 * i + 1 + 4 * c]; /* .dat .gp .svg .png */
    char *svg = run_dir_path(d, f[2]), *png = run_dir_path(d, f[3]);
    if (!svg || !png) {
        free(svg);
        free(png);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    }
    s->svg_paths[2 * i + c] = svg;
    graft_chart_spec_t spec;
    graft_chart_spec_init(&spec);
    spec.kind = c ? GRAFT_CHART_SAE_RESID : GRAFT_CHART_SAE;
    spec.input = csv;
    spec.title = c ? NULL : x->title;
    spec.gnuplot = cli_env_gnuplot();
    spec.level = level;
    spec.output = svg;
    graft_error_t rc = graft_chart_render(&spec, diag);
    if (rc == GRAFT_OK) {
        spec.output = png;
        rc = graft_chart_render(&spec, diag);
    }
    free(png);
    s->charts[2 * i + c] = (graft_report_chart_t){
        x->name, c ? "Residual diagnostics of the small-area model"
                   : x->title,
        c ? "sae-resid" : "sae", svg, f[3],
        x->indicator};
    return rc;
}

graft_error_t run_sae_write(run_sae_t *s, const graft_analysis_t *a,
                            size_t i, const run_dir_t *d, double level,
                            graft_diag_t *diag)
{
    const graft_analysis_sae_t *x = &a->saes[i];
    char *csv = run_dir_path(d, s->files[9 * i]);
    graft_outfile_t out;
    if (!csv)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "out of memory");
    graft_error_t rc = graft_outfile_open(&out, csv, diag);
    if (rc == GRAFT_OK)
        rc = graft_outfile_finish(
            &out, graft_sae_write(out.fp, s->fits[i], GRAFT_TABLE_CSV, diag),
            diag);
    for (int c = 0; c < 2 && rc == GRAFT_OK; c++)
        rc = draw(s, x, i, c, csv, d, level, diag);
    free(csv);
    return rc;
}
