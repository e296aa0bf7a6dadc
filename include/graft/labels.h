/*
 * graft/labels.h - value labels: a coded value (1580, or "TN") and its text
 * ("Great Tunis").  Built from SPSS/Stata/SAS label sets by ReadStat or from a
 * survey file's [labels.COLUMN] section for CSV data.
 */
#ifndef GRAFT_LABELS_H
#define GRAFT_LABELS_H

#include <stddef.h>
#include "graft/error.h"

typedef struct graft_labelset graft_labelset_t;

/* A new, empty label set.  Returns NULL when out of memory. */
graft_labelset_t *graft_labelset_alloc(void);
void graft_labelset_free(graft_labelset_t *set);

/* Add a label for a numeric or a string code; a repeated code replaces the
 * earlier label.  Both copy their strings.  Fail only with GRAFT_ERR_NOMEM. */
graft_error_t graft_labelset_add_num(graft_labelset_t *set, double code,
                                     const char *label);
graft_error_t graft_labelset_add_str(graft_labelset_t *set, const char *code,
                                     const char *label);

/* The label of a code, or NULL when it has none.  The pointer is owned by
 * SET and valid until it is freed. */
const char *graft_labelset_num(const graft_labelset_t *set, double code);
const char *graft_labelset_str(const graft_labelset_t *set, const char *code);

/* Number of labels in SET (0 for NULL). */
size_t graft_labelset_count(const graft_labelset_t *set);

/* The I-th label (0 <= I < count, in insertion order); stores whether its
 * code is a string, and the code, in *IS_STR, *NUM or *STR (each may be
 * NULL).  Returns NULL when I is out of range. */
const char *graft_labelset_entry(const graft_labelset_t *set, size_t i,
                                 int *is_str, double *num, const char **str);

#endif
