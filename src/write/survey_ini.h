/*
 * write/survey_ini.h - pieces of the survey files graft writes beside its
 * data outputs (`graft replicate`, `graft weight`).  Internal.
 */
#ifndef GRAFT_WRITE_SURVEY_INI_H
#define GRAFT_WRITE_SURVEY_INI_H

#include <stdio.h>
#include "graft/reader.h"

/* The shortest %.Ng (N = 15..17) that reads back as X, into BUF of SIZE.
 * Returns BUF. */
char *graft_shortest_number(double x, char *buf, size_t size);

/* S as an INI value on one line: newlines become spaces (inih would read a
 * continuation line as a second entry). */
void graft_ini_text(FILE *fp, const char *s);

/* The [missing] entry of column NAME: the codes the reader applies to it
 * under READ, its own (the last [missing] entry for it) and, unless it is
 * exempt (a design column), the every-column codes (the last such entry).
 * Writes the section header first when *HEADER is 0, and sets it. */
void graft_ini_column_missing(FILE *fp, const graft_read_opts_t *read,
                              const char *name, int *header);

/* A [labels.NAME] section with COL's value labels, if it has any. */
void graft_ini_column_labels(FILE *fp, const graft_column_t *col);

#endif
