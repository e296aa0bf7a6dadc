/*
 * write/csvout.h - writing CSV fields (RFC 4180 quoting).
 */
#ifndef GRAFT_CSVOUT_H
#define GRAFT_CSVOUT_H

#include <stdio.h>

/* Write S as one CSV field, preceded by a comma when SEP is non-zero;
 * quoted when it holds a comma, quote, CR or LF, or starts or ends with a
 * space.  A NULL S writes an empty field. */
void graft_csv_field(FILE *fp, const char *s, int sep);

#endif
