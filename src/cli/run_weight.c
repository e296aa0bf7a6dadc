/*
 * run_weight.c - `graft run` with [weighting] (run_weight.h).
 */
#define _GNU_SOURCE
#include "run_weight.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The [weighting] entry of round Q, or NULL; *ALL set when the round is
 * weighted without one (trimming alone, every round). */
static const graft_analysis_weighting_t *entry(const graft_analysis_t *a,
                                               size_t q, int *weighted)
{
    *weighted = 0;
    if (!a->has_weighting)
        return NULL;
    for (size_t i = 0; i < a->n_weighting; i++)
        if (strcmp(a->weighting[i].round, a->rounds[q].name) == 0) {
            *weighted = 1;
            return &a->weighting[i];
        }
    *weighted = !a->weight_opts.calibrate && a->weight_opts.trim;
    return NULL;
}

int run_weight_files(const graft_analysis_t *a, size_t q, char *names[3])
{
    static const char *const suffix[3] = {"_weighted.csv", "_weighted.ini",
                                          "_weighting.txt"};
    int weighted;
    entry(a, q, &weighted);
    if (!weighted)
        return 0;
    for (int i = 0; i < 3; i++)
        if (asprintf(&names[i], "%s%s", a->rounds[q].name, suffix[i]) < 0) {
            while (i-- > 0)
                free(names[i]);
            return -1;
        }
    return 3;
}

static graft_error_t nomem(graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

/* The weighting report of round Q as text into PATH. */
static graft_error_t write_report(const char *path,
                                  const graft_weight_report_t *rep,
                                  graft_diag_t *diag)
{
    graft_outfile_t of;
    graft_error_t rc = graft_outfile_open(&of, path, diag);
    if (rc != GRAFT_OK)
        return rc;
    return graft_outfile_finish(
        &of, graft_weight_report_write(of.fp, rep, GRAFT_TABLE_TEXT, diag),
        diag);
}

static graft_error_t weigh(const graft_analysis_t *a,
                           const graft_analysis_weighting_t *e,
                           cli_input_t *in, char *const paths[3],
                           graft_diag_t *diag)
{
    graft_margins_t *ms[64] = {0};
    size_t n = e ? e->n_margins : 0;
    graft_weight_report_t rep;
    graft_weight_out_t out;
    graft_error_t rc = n > 64 ? graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE,
                                               a->path, e->line, 0,
                                               "at most 64 margins files")
                              : GRAFT_OK;
    for (size_t i = 0; rc == GRAFT_OK && i < n; i++)
        rc = graft_margins_load(e->margins[i], &ms[i], diag);
    memset(&out, 0, sizeof out);
    memset(&rep, 0, sizeof rep);
    const graft_survey_t *s = in->survey;
    out.path = paths[0];
    out.name = a->weight_name;
    out.files = e ? (const char *const *)e->margins : NULL;
    out.command = "made by: graft run (its [weighting])";
    out.survey = s->path;
    out.survey_name = s->name;
    out.round = s->round;
    out.year = s->year;
    out.derived = s->derived;
    out.n_derived = s->n_derived;
    out.question_names = s->question_names;
    out.questions = s->questions;
    out.n_questions = s->n_questions;
    if (rc == GRAFT_OK &&
        (rc = graft_weight_file(in->data, &in->read, &in->design, ms, n,
                                &a->weight_opts, &out, &rep, diag)) ==
            GRAFT_OK) {
        /* named as they will be in the run's folder */
        rep.output = strrchr(paths[0], '/') ? strrchr(paths[0], '/') + 1
                                            : paths[0];
        rep.ini = strrchr(paths[1], '/') ? strrchr(paths[1], '/') + 1
                                         : paths[1];
        rc = write_report(paths[2], &rep, diag);
    }
    graft_weight_report_free(&rep);
    for (size_t i = 0; i < n; i++)
        graft_margins_free(ms[i]);
    return rc;
}

graft_error_t run_weigh(const graft_analysis_t *a, size_t q,
                        const run_dir_t *d, cli_input_t *in,
                        graft_diag_t *diag)
{
    char *names[3], *paths[3] = {NULL, NULL, NULL};
    int weighted, n = run_weight_files(a, q, names);
    const graft_analysis_weighting_t *e = entry(a, q, &weighted);
    graft_error_t rc = GRAFT_OK;
    if (n < 0)
        return nomem(diag);
    for (int i = 0; i < n; i++) {
        paths[i] = run_dir_path(d, names[i]);
        free(names[i]);
        if (!paths[i])
            rc = nomem(diag);
    }
    if (n && rc == GRAFT_OK &&
        (rc = weigh(a, e, in, paths, diag)) == GRAFT_OK) {
        cli_flags_t f;
        cli_flags_init(&f);
        f.survey = paths[1];
        cli_input_free(in);
        rc = cli_input_init(in, &f, 1, diag);
    }
    for (int i = 0; i < n; i++)
        free(paths[i]);
    return rc;
}
