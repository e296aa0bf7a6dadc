/*
 * fuzz_analysis.c - fuzz target for analysis files (graft_analysis_load).
 *
 * The loader takes a path, so the input is written to analysis.ini in a
 * private folder and loaded; the indicators' expressions of a loaded file
 * are parsed as the estimator would parse them.  Besides crashes and
 * sanitizer reports it aborts when a result breaks the loader's contract
 * (graft/analysis.h): a failure with another code than OPEN, SURVEY_FILE
 * or NOMEM, a diagnostic without the code or a message, a failure that
 * returns an analysis, or a loaded file whose rounds, follow-ups or chart
 * rounds contradict what the loader promises to check.
 */
#include <stdint.h>
#include <string.h>

#include "graft/analysis.h"
#include "graft/expr.h"
#include "fuzz_util.h"

#define T "fuzz_analysis"

static void parse_one(const char *text, graft_source_t src)
{
    graft_expr_t *e = NULL;
    graft_diag_t diag;
    if (!text)
        return;
    graft_error_t rc = graft_expr_parse(text, src.file, src.line, src.col,
                                        &e, &diag);
    fuzz_check((rc == GRAFT_OK) == (e != NULL), T,
               "parse returns an expression exactly on success");
    graft_expr_free(e);
}

static int has_round(const graft_analysis_t *a, const char *name)
{
    for (size_t i = 0; i < a->n_rounds; i++)
        if (strcmp(a->rounds[i].name, name) == 0)
            return 1;
    return 0;
}

static void check_loaded(const graft_analysis_t *a)
{
    for (size_t i = 0; i < a->n_rounds; i++) {
        fuzz_check(a->rounds[i].name && a->rounds[i].survey, T,
                   "a round has a name and a survey");
        for (size_t j = 0; j < i; j++)
            fuzz_check(strcmp(a->rounds[i].name, a->rounds[j].name) != 0, T,
                       "no round is named twice");
    }
    for (size_t i = 0; i < a->n_followups; i++) {
        fuzz_check(!a->baseline || strcmp(a->followups[i], a->baseline) != 0,
                   T, "no follow-up is the baseline");
        for (size_t j = 0; j < i; j++)
            fuzz_check(strcmp(a->followups[i], a->followups[j]) != 0, T,
                       "no follow-up is listed twice");
    }
    for (size_t i = 0; i < a->n_charts; i++) {
        const char *n = a->charts[i].name;
        fuzz_check(n && *n && strcmp(n, ".") != 0 && strcmp(n, "..") != 0 &&
                       strspn(n, "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789_-.") == strlen(n),
                   T, "a chart name is a plain file name");
        if (a->charts[i].round && a->n_rounds) /* else graft run refuses */
            fuzz_check(has_round(a, a->charts[i].round), T,
                       "a chart round is in [rounds]");
    }
    for (size_t i = 0; i < a->n_indicators; i++) {
        fuzz_check(a->indicators[i].expr != NULL, T,
                   "an indicator has an expression");
        parse_one(a->indicators[i].expr, a->indicators[i].expr_src);
        parse_one(a->indicators[i].among, a->indicators[i].among_src);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    graft_analysis_t *a = NULL;
    graft_diag_t diag;
    fuzz_write(path, sizeof path, "analysis.ini", data, size);
    graft_error_t rc = graft_analysis_load(path, &a, &diag);
    if (rc != GRAFT_OK) {
        fuzz_check_failed_load(T, rc, &diag, a == NULL,
                               "a failed load returns no analysis");
        return 0;
    }
    fuzz_check(a != NULL, T, "a load returns an analysis");
    check_loaded(a);
    graft_analysis_free(a);
    return 0;
}
