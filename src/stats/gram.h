/*
 * stats/gram.h - Gram matrices of replicate weights, for the rank that
 * R's degf() gives a replicate design (graft_rep_rank in graft/design.h).
 * Internal.
 *
 * Rows whose replicate vectors are multiples of one direction v (the rows
 * of one PSU, typically) are gathered first: their contribution to
 * G = W'W is s v v', with s the sum of their squared multipliers, added
 * once per group.
 */
#ifndef GRAFT_STATS_GRAM_H
#define GRAFT_STATS_GRAM_H

#include <stddef.h>

/* Add S times DIR DIR' to the upper triangle of GRAM (R x R, row-major).
 * Nothing when S is 0. */
void graft_gram_add(double *gram, size_t R, double s, const double *dir);

#endif
