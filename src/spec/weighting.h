/*
 * spec/weighting.h - the [weighting] section of analysis files
 * (graft/analysis.h).  Internal.
 */
#ifndef GRAFT_SPEC_WEIGHTING_H
#define GRAFT_SPEC_WEIGHTING_H

#include "graft/analysis.h"

/* One KEY = VALUE of [weighting] on LINE into A.  Returns GRAFT_OK, or an
 * error with its message in MSG (GRAFT_ERR_SURVEY_FILE, GRAFT_ERR_NOMEM). */
graft_error_t graft_weighting_key(graft_analysis_t *a, const char *key,
                                  const char *value, unsigned long line,
                                  char *msg, size_t msg_size);
/* After the file: every round of [weighting] is in [rounds], each once;
 * settings without rounds, or calibration settings without margins, are
 * errors.  GRAFT_ERR_SURVEY_FILE naming the line. */
graft_error_t graft_weighting_check(graft_analysis_t *a, graft_diag_t *diag);
void graft_weighting_free(graft_analysis_t *a);

#endif
