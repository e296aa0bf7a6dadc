/*
 * spec/plan_section.h - the [plan] section of analysis files: what
 * `graft run` plans for the next round (docs/plan.md).  Internal.
 */
#ifndef GRAFT_SPEC_PLAN_SECTION_H
#define GRAFT_SPEC_PLAN_SECTION_H

#include "graft/analysis.h"

/* A's [plan] settings before the file is read: nothing asked, the
 * defaults of graft_plan_opts_init(). */
void graft_plan_section_init(graft_analysis_t *a);

/* One KEY = VALUE of [plan] at LINE: round, change, n, take, power, alpha,
 * correlation.  Fails with GRAFT_ERR_SURVEY_FILE and what is wrong in MSG,
 * or GRAFT_ERR_NOMEM. */
graft_error_t graft_plan_section_key(graft_analysis_t *a, const char *key,
                                     const char *value, unsigned long line,
                                     char *msg, size_t msg_size);

/* After the file: [plan] asks for change or n, its round is in [rounds],
 * power, alpha and correlation are in range. */
graft_error_t graft_plan_section_check(const graft_analysis_t *a,
                                       graft_diag_t *diag);

#endif
