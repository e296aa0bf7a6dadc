/*
 * fuzz_survey.c - fuzz target for survey files (graft_survey_load).
 *
 * The loader takes a path, so the input is written to survey.ini in a
 * private folder and loaded.  A loaded survey's derived variables are
 * parsed as the estimator would parse them.  Besides crashes and sanitizer
 * reports it aborts when a result breaks the loader's contract: a failure
 * with another code than OPEN, SURVEY_FILE or NOMEM, a diagnostic without
 * the returned code or a message, a failure that returns a survey, or a
 * success without the path.
 */
#include <stdint.h>
#include <string.h>

#include "graft/expr.h"
#include "graft/survey.h"
#include "fuzz_util.h"

#define T "fuzz_survey"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    graft_survey_t *s = NULL;
    graft_diag_t diag;
    fuzz_write(path, sizeof path, "survey.ini", data, size);
    graft_error_t rc = graft_survey_load(path, &s, &diag);
    if (rc != GRAFT_OK) {
        fuzz_check_failed_load(T, rc, &diag, s == NULL,
                               "a failed load returns no survey");
        return 0;
    }
    fuzz_check(s && s->path && strcmp(s->path, path) == 0, T,
               "a survey keeps its path");
    for (size_t i = 0; i < s->n_derived; i++) {
        const graft_derived_spec_t *d = &s->derived[i];
        graft_expr_t *e = NULL;
        fuzz_check(d->name && d->expr, T, "a derived variable has a name "
                   "and an expression");
        rc = graft_expr_parse(d->expr, d->src.file, d->src.line, d->src.col,
                              &e, &diag);
        fuzz_check((rc == GRAFT_OK) == (e != NULL), T,
                   "parse returns an expression exactly on success");
        graft_expr_free(e);
    }
    for (size_t i = 0; i < s->n_questions; i++)
        fuzz_check(graft_survey_question(s, s->question_names[i]) != NULL, T,
                   "every question is found by its name");
    graft_survey_free(s);
    return 0;
}
