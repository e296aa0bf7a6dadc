/*
 * cmd_compare.c - `graft compare` (baseline against follow-up) and
 * `graft trend` (three or more rounds): every round read once, the rounds
 * stacked into one design, differences tested and adjusted.
 */
#include "cli.h"
#include "graft/xlsx.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char compare_usage[] =
    "usage: graft compare BASELINE FOLLOWUP [options]\n"
    "       (each a data file or a survey file, FILE.ini)\n"
    CLI_DESIGN_USAGE
    CLI_ANALYSIS_USAGE
    "  --shared-psus      the rounds revisit the same PSUs (a panel)\n"
    "  --test-df D        sum|min|satterthwaite (default sum: the stacked\n"
    "                     design's df)\n"
    "  --adjust M         none|bonferroni|holm|bh (default holm)\n"
    "  --harmonized       compare even where the question wordings differ\n";

static const char trend_usage[] =
    "usage: graft trend ROUND1 ROUND2 ROUND3 ... [options]\n"
    "       (each a data file or a survey file, FILE.ini; in time order)\n"
    CLI_DESIGN_USAGE
    CLI_ANALYSIS_USAGE
    "  --shared-psus      the rounds revisit the same PSUs (a panel)\n"
    "  --test-df D        sum|min|satterthwaite (default sum)\n"
    "  --adjust M         none|bonferroni|holm|bh (default holm)\n"
    "  --harmonized       compare even where the question wordings differ\n";

typedef struct rounds_cli {
    cli_input_t in[CLI_MAX_ROUNDS];
    graft_round_t rounds[CLI_MAX_ROUNDS];
    const char *labels[CLI_MAX_ROUNDS];
    char label_buf[CLI_MAX_ROUNDS][128];
    double years[CLI_MAX_ROUNDS];
    int have_years;
    size_t n;
} rounds_cli_t;

/* Load every round: a survey file or a data file, with the flags on top. */
static graft_error_t load_rounds(const cli_analysis_t *e, rounds_cli_t *r,
                                 graft_diag_t *diag)
{
    graft_error_t rc;
    r->have_years = 1;
    for (size_t q = 0; q < e->n_files; q++) {
        cli_flags_t f = e->flags;
        const char *file = e->files[q];
        size_t n = strlen(file);
        f.survey = n > 4 && strcmp(file + n - 4, ".ini") == 0 ? file : NULL;
        f.data = f.survey ? NULL : file;
        if ((rc = cli_input_init(&r->in[q], &f, 1, diag)) != GRAFT_OK)
            return rc;
        r->n = q + 1;
        const graft_survey_t *s = r->in[q].survey;
        r->rounds[q] = (graft_round_t){r->in[q].data, &r->in[q].read,
                                       &r->in[q].design,
                                       s ? s->derived : NULL,
                                       s ? s->n_derived : 0};
        const char *slash = strrchr(file, '/');
        if (s && s->round)
            snprintf(r->label_buf[q], sizeof r->label_buf[q], "%s", s->round);
        else
            snprintf(r->label_buf[q], sizeof r->label_buf[q], "%s",
                     slash ? slash + 1 : file);
        r->labels[q] = r->label_buf[q];
        r->years[q] = s && s->year ? (double)s->year : NAN;
        r->have_years &= s && s->year;
    }
    return GRAFT_OK;
}

static void free_rounds(rounds_cli_t *r)
{
    for (size_t q = 0; q < r->n; q++)
        cli_input_free(&r->in[q]);
}

/* Are the question wordings behind indicator IND the same in every round
 * (where the rounds' survey files record them in [questions])? */
static int same_wording(const graft_indicator_spec_t *ind,
                        const rounds_cli_t *r)
{
    const char *texts[2] = {ind->expr, ind->among};
    for (size_t t = 0; t < 2; t++) {
        graft_expr_t *x = NULL;
        if (!texts[t] || graft_expr_parse(texts[t], NULL, 0, 0, &x, NULL) !=
                             GRAFT_OK)
            continue; /* the estimator reports the syntax error */
        size_t n;
        const char *const *names = graft_expr_columns(x, &n);
        for (size_t i = 0; i < n; i++) {
            const char *first = NULL;
            for (size_t q = 0; q < r->n; q++) {
                const char *w = graft_survey_question(r->in[q].survey,
                                                      names[i]);
                if (!w)
                    continue;
                if (!first)
                    first = w;
                else if (strcmp(first, w) != 0) {
                    graft_expr_free(x);
                    return 0;
                }
            }
        }
        graft_expr_free(x);
    }
    return 1;
}

/* The output format and the test options; returns -1 to go on, or an
 * exit code. */
static int parse_change_opts(const cli_analysis_t *e,
                             graft_table_format_t *format,
                             graft_change_opts_t *copts)
{
    int status = cli_table_format_flag(&e->flags, format);
    if (status >= 0)
        return status;
    if (e->test_df && !graft_test_df_parse(e->test_df, &copts->test_df))
        return cli_usage_error("--test-df: '%s' must be sum, min or "
                               "satterthwaite",
                               e->test_df);
    if (e->adjust && !graft_adjust_parse(e->adjust, &copts->adjust))
        return cli_usage_error("--adjust: '%s' must be none, bonferroni, "
                               "holm or bh",
                               e->adjust);
    return -1;
}

/* Per indicator, 1 when its rounds are not comparable (the wordings
 * differ and neither --harmonized nor the indicator says otherwise).
 * The caller frees the array; NULL when out of memory. */
static int *comparable_flags(const cli_analysis_t *e,
                             const graft_estimate_opts_t *opts,
                             const rounds_cli_t *r)
{
    int *not_comparable = calloc(opts->n_indicators ? opts->n_indicators : 1,
                                 sizeof *not_comparable);
    if (!not_comparable)
        return NULL;
    for (size_t k = 0; k < opts->n_indicators; k++)
        not_comparable[k] = !e->harmonized &&
                            !opts->indicators[k].harmonized &&
                            !same_wording(&opts->indicators[k], r);
    return not_comparable;
}

static graft_error_t fill_compare(graft_workbook_t *wb, const void *ch,
                                  graft_diag_t *diag)
{
    return graft_changes_sheet(wb, "comparisons", ch, 0, diag);
}

static graft_error_t fill_trend(graft_workbook_t *wb, const void *ch,
                                graft_diag_t *diag)
{
    return graft_changes_sheet(wb, "trend", ch, 1, diag);
}

static graft_error_t write_compare(FILE *fp, const void *ch,
                                   graft_table_format_t format,
                                   graft_diag_t *diag)
{
    return graft_changes_write(fp, ch, 0, format, diag);
}

static graft_error_t write_trend(FILE *fp, const void *ch,
                                 graft_table_format_t format,
                                 graft_diag_t *diag)
{
    return graft_changes_write(fp, ch, 1, format, diag);
}

/* Compute the comparisons (or the trend) of the loaded rounds and write
 * the table; returns the exit status. */
static int compute_and_write(const cli_analysis_t *e, const rounds_cli_t *r,
                             const graft_estimate_opts_t *opts,
                             graft_change_opts_t *copts, int trend,
                             graft_table_format_t format)
{
    static const size_t first_pair[2] = {0, 1};
    graft_change_plan_t plan = {first_pair, trend ? 0 : 1, trend};
    graft_changes_t *ch = NULL;
    graft_diag_t diag;
    int status = GRAFT_EXIT_OK;
    graft_diag_clear(&diag);
    copts->level = opts->level;
    copts->years = r->have_years ? r->years : NULL;
    copts->round_labels = r->labels;
    graft_error_t rc = graft_changes_run(r->rounds, r->n, e->shared_psus,
                                         &plan, opts, copts, &ch, &diag);
    for (size_t i = 0; rc == GRAFT_OK && i < ch->est->n_warnings; i++)
        fprintf(stderr, "graft: warning: %s\n", ch->est->warnings[i]);
    if (rc != GRAFT_OK ||
        cli_write_table(e->flags.output, format,
                        trend ? write_trend : write_compare,
                        trend ? fill_trend : fill_compare, ch,
                        &r->in[0].design, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
    }
    graft_changes_free(ch);
    return status;
}

static int run_changes(int argc, char **argv, int trend)
{
    const char *cmd = trend ? "trend" : "compare";
    cli_analysis_t e;
    rounds_cli_t r;
    graft_analysis_t *analysis = NULL;
    graft_indicator_spec_t *all = NULL;
    graft_estimate_opts_t opts;
    graft_change_opts_t copts = {GRAFT_TESTDF_SUM, GRAFT_ADJUST_HOLM, 0.95,
                                 NULL, NULL, NULL};
    graft_diag_t diag;
    int *not_comparable = NULL;
    graft_table_format_t format;
    memset(&r, 0, sizeof r);
    graft_diag_clear(&diag);
    int status = cli_analysis_parse(cmd, trend ? trend_usage : compare_usage,
                                    1, argc, argv, &e);
    if (status >= 0)
        goto done;
    if (e.flags.survey) { /* each round names its own survey file */
        status = cli_usage_error("%s: --survey names one survey; give each "
                                 "round's survey file (FILE.ini) as an "
                                 "argument instead",
                                 cmd);
        goto done;
    }
    if (e.n_files < 2 || (!trend && e.n_files != 2)) {
        status = cli_usage_error("%s: needs %s rounds (data or survey "
                                 "files), got %zu",
                                 cmd, trend ? "two or more" : "two",
                                 e.n_files);
        goto done;
    }
    if ((status = parse_change_opts(&e, &format, &copts)) >= 0 ||
        (status = cli_analysis_load(&e, &analysis, &opts, &all, &diag)) >= 0)
        goto done;
    if (load_rounds(&e, &r, &diag) != GRAFT_OK) {
        status = cli_fail(&diag);
        goto done;
    }
    for (size_t q = 0; q < r.n; q++)
        if ((status = cli_output_not_input(e.flags.output, &r.in[q],
                                           e.analysis)) >= 0)
            goto done;
    if (!(not_comparable = comparable_flags(&e, &opts, &r))) {
        status = cli_nomem();
        goto done;
    }
    copts.not_comparable = not_comparable;
    status = compute_and_write(&e, &r, &opts, &copts, trend, format);
done:
    free(not_comparable);
    free_rounds(&r);
    graft_analysis_free(analysis);
    free(all);
    cli_analysis_free(&e);
    return status;
}

int cmd_compare(int argc, char **argv)
{
    return run_changes(argc, argv, 0);
}

int cmd_trend(int argc, char **argv)
{
    return run_changes(argc, argv, 1);
}
