/*
 * base/ini.h - inih with positions: the handler learns the line and the
 * column of each value, so a bad expression in a survey or analysis file is
 * reported as FILE:LINE:COL.
 *
 * Settings: long lines (up to GRAFT_INI_MAX_LINE bytes; a longer one is an
 * error), no inline comments (a ';' may appear in a label), comments are
 * lines starting with ';' or '#', no multi-line values (an indented line
 * that is not blank or a comment is an error), parsing stops at the first
 * error.
 */
#ifndef GRAFT_INI_H
#define GRAFT_INI_H

#include "graft/error.h"

/* The longest line of a survey or analysis file, without its newline. */
#define GRAFT_INI_MAX_LINE (1 << 20)

/* Called per "name = value"; returns GRAFT_OK or an error code with the
 * message in MSG (of MSG_SIZE bytes); LINE/COL are the value's position. */
typedef graft_error_t (*graft_ini_fn)(void *user, const char *section,
                                      const char *name, const char *value,
                                      unsigned long line, unsigned long col,
                                      char *msg, size_t msg_size);

/* Parse PATH.  Fails with GRAFT_ERR_OPEN, GRAFT_ERR_NOMEM, or the
 * handler's code (GRAFT_ERR_SURVEY_FILE for a line that is not INI), with
 * DIAG at FILE:LINE and, when the handler gave one, :COL. */
graft_error_t graft_ini_parse(const char *path, graft_ini_fn handler,
                              void *user, graft_diag_t *diag);

/* VALUE as a yes/no setting: "true" or "yes" store 1 in *OUT, "false" or
 * "no" store 0; when LOOSE, also "1"/"on" and "0"/"off", in any case.
 * Returns 1, or 0 (*OUT untouched) when VALUE is none of these. */
int graft_ini_bool(const char *value, int loose, int *out);

/* REL resolved against the folder of FILE (an INI file), unless REL is
 * absolute: a new string, or NULL when out of memory. */
char *graft_ini_resolve(const char *file, const char *rel);

#endif
