/*
 * plan_section.c - the [plan] section of analysis files
 * (spec/plan_section.h, docs/plan.md).
 */
#include "spec/plan_section.h"
#include "base/names.h"
#include "base/str.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) (snprintf(msg, msg_size, __VA_ARGS__), GRAFT_ERR_SURVEY_FILE)

enum { PK_ROUND, PK_CHANGE, PK_N, PK_TAKE, PK_POWER, PK_ALPHA, PK_CORR };
static const char *const plan_keys[] = {"round", "change", "n", "take",
                                        "power", "alpha", "correlation"};

void graft_plan_section_init(graft_analysis_t *a)
{
    a->plan_ask.change = a->plan_ask.budget = a->plan_ask.take = NAN;
    graft_plan_opts_init(&a->plan_opts);
}

static double *plan_slot(graft_analysis_t *a, size_t k)
{
    double *slots[] = {NULL, &a->plan_ask.change, &a->plan_ask.budget,
                       &a->plan_ask.take, &a->plan_opts.power,
                       &a->plan_opts.alpha, &a->plan_opts.correlation};
    return slots[k];
}

graft_error_t graft_plan_section_key(graft_analysis_t *a, const char *key,
                                     const char *value, unsigned long line,
                                     char *msg, size_t msg_size)
{
    size_t k;
    if (!GRAFT_NAMES_FIND(plan_keys, 0, key, &k))
        return FAIL("unknown key '%s' in [plan] (expected round, change, n, "
                    "take, power, alpha or correlation)", key);
    if (!a->has_plan)
        a->plan_line = line;
    a->has_plan = 1;
    if (k == PK_ROUND) {
        free(a->plan_round);
        a->plan_round = graft_strdup(value);
        return a->plan_round ? GRAFT_OK
                             : (snprintf(msg, msg_size, "out of memory"),
                                GRAFT_ERR_NOMEM);
    }
    char *end;
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || !isfinite(v))
        return FAIL("[plan] %s '%s' is not a number", key, value);
    if ((k == PK_CHANGE && !(v > 0 && v < 1)) ||
        ((k == PK_N || k == PK_TAKE) && !(v >= 1)))
        return FAIL("[plan] %s '%s' must be %s", key, value,
                    k == PK_CHANGE ? "between 0 and 1" : "at least 1");
    *plan_slot(a, k) = v;
    return GRAFT_OK;
}

graft_error_t graft_plan_section_check(const graft_analysis_t *a,
                                       graft_diag_t *diag)
{
    if (!a->has_plan)
        return GRAFT_OK;
    if (isnan(a->plan_ask.change) && isnan(a->plan_ask.budget))
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                              a->plan_line, 0,
                              "[plan] needs change (the change to detect) "
                              "or n (the interviews per round)");
    int found = a->plan_round == NULL;
    for (size_t i = 0; !found && i < a->n_rounds; i++)
        found = strcmp(a->rounds[i].name, a->plan_round) == 0;
    if (!found)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                              a->plan_line, 0,
                              "[plan] round '%s' is not in [rounds]",
                              a->plan_round);
    graft_diag_t d;
    if (graft_plan_opts_check(&a->plan_opts, &d) != GRAFT_OK)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                              a->plan_line, 0, "[plan] %s", d.msg + 2);
    return GRAFT_OK;
}
