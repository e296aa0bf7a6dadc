/*
 * example.c - graft as a C library: the share of people in contact with
 * the police who paid them a bribe, by zone, with its design-based
 * standard error and 95 % confidence interval, from a survey file (the
 * data file, its strata, PSUs and weights, missing codes and labels).
 * The same numbers as
 *     graft estimate --survey SURVEY.ini --prop paid_police \
 *         --among contact_police --by zone
 *
 *     cc example.c $(pkg-config --cflags --libs graft) -o example
 *     ./example surveys/demo/round1.ini
 */
#include <graft.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "surveys/demo/round1.ini";
    graft_survey_t *survey = NULL;
    graft_estimates_t *est = NULL;
    graft_diag_t diag;
    char msg[2200];

    gsl_set_error_handler_off(); /* graft checks every GSL status itself */
    graft_diag_clear(&diag);
    if (graft_survey_load(path, &survey, &diag) != GRAFT_OK)
        goto fail;

    graft_read_opts_t read = {
        .missing = survey->missing, .n_missing = survey->n_missing,
        .labels = survey->labels, .n_labels = survey->n_labels};
    graft_indicator_spec_t paid = {.type = GRAFT_IND_PROP,
                                   .name = "paid_police",
                                   .expr = "paid_police",
                                   .among = "contact_police"};
    graft_by_spec_t by_zone = {.columns = {"zone"}, .n_columns = 1};
    graft_estimate_opts_t opts = {.indicators = &paid, .n_indicators = 1,
                                  .by = &by_zone, .n_by = 1,
                                  .ci = GRAFT_CI_LOGIT, .level = 0.95};
    if (graft_estimate_file(survey->data, &read, &survey->design, &opts,
                            &est, &diag) != GRAFT_OK)
        goto fail;

    printf("zone,estimate,se,ci_low,ci_high,n\n");
    for (size_t i = 0; i < est->n_rows; i++) {
        const graft_estimate_row_t *row = &est->rows[i];
        printf("%s,%.17g,%.17g,%.17g,%.17g,%zu\n",
               row->by_values ? row->by_values[0] : "All", row->estimate,
               row->se, row->ci_low, row->ci_high, row->n);
    }
    graft_estimates_free(est);
    graft_survey_free(survey);
    return 0;

fail:
    fprintf(stderr, "example: %s\n", graft_diag_format(&diag, msg, sizeof msg));
    graft_estimates_free(est);
    graft_survey_free(survey);
    return graft_exit_code(diag.code);
}
