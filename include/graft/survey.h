/*
 * graft/survey.h - survey files: an INI file (parsed with inih) that names a
 * data file, its design, its round, per-column missing codes and value
 * labels.  graft-survey(5) (man/) lists the keys.
 *
 *   [survey]   name, round, year, data, delim, missing
 *   [design]   weight, strata, psu, fpc, nest, lonely_psu
 *   [missing]  COLUMN = code, code, ...
 *   [labels.COLUMN]  code = label
 *   [derive]   NAME = expression (harmonized variables)
 *   [questions] NAME = the question wording behind a column or derived
 *              variable in this round (comparisons check it)
 *   [calibration] method, design_weight, calibrated_weight, margins (and
 *              files, bounds, tolerance, max_iter, trim, kept as given):
 *              how `graft weight` made the weight (graft/calibrate.h)
 */
#ifndef GRAFT_SURVEY_H
#define GRAFT_SURVEY_H

#include <stddef.h>
#include "graft/design.h"
#include "graft/spec.h"
#include "graft/error.h"
#include "graft/reader.h"

typedef struct graft_survey {
    char *path;        /* the survey file */
    char *name;        /* [survey] name, or NULL */
    char *round;       /* [survey] round label, or NULL */
    long year;         /* [survey] year, 0 when absent */
    char *data;        /* the data file, resolved against the survey file's
                          folder; NULL when absent */
    char delim;        /* 0 = detect */

    graft_design_spec_t design; /* strings owned by the survey */
    int has_weight, has_nest, has_lonely;

    graft_missing_spec_t *missing; /* [survey] missing (column NULL) and
                                      [missing]; codes owned */
    size_t n_missing;
    graft_label_spec_t *labels;    /* [labels.COLUMN]; sets owned */
    size_t n_labels;
    graft_derived_spec_t *derived; /* [derive] NAME = EXPR, in order;
                                      strings owned, src.file borrows path */
    size_t n_derived;
    char **question_names, **questions; /* [questions], owned */
    size_t n_questions;
    graft_cal_spec_t *cal; /* [calibration] (design.cal points to it), or
                              NULL; owned */
} graft_survey_t;

/* The wording recorded for variable NAME in [questions], or NULL. */
const char *graft_survey_question(const graft_survey_t *s, const char *name);

/* Load the survey file PATH into *OUT (the caller's, freed with
 * graft_survey_free).  Fails with GRAFT_ERR_OPEN, GRAFT_ERR_SURVEY_FILE
 * (with the line of the first bad entry) or GRAFT_ERR_NOMEM. */
graft_error_t graft_survey_load(const char *path, graft_survey_t **out,
                                graft_diag_t *diag);
void graft_survey_free(graft_survey_t *s);

/* Parse a list of missing codes "8, 9, -1" into a new array *CODES of *N
 * doubles (the caller frees it).  Returns 0 on success, or the 1-based
 * character position of the first bad code. */
size_t graft_parse_codes(const char *text, double **codes, size_t *n);

#endif
