/*
 * gram.c - Gram matrices of replicate weights and their rank.
 */
#include "graft/design.h"
#include "stats/gram.h"

#include <math.h>
#include <stdlib.h>

void graft_gram_add(double *gram, size_t R, double s, const double *dir)
{
    if (s == 0)
        return;
    for (size_t a = 0; a < R; a++) {
        double va = s * dir[a];
        double *row = gram + a * R;
        for (size_t b = a; b < R; b++)
            row[b] += va * dir[b];
    }
}

/* The rank of W as R's qr(W, tol = 1e-5) (LINPACK dqrdc2) decides it:
 * columns in order, a column is negligible when the norm of its part
 * orthogonal to the kept columns is below 1e-5 times its own norm.
 * Computed by a Cholesky factorisation of W'W in column order. */
long graft_rep_rank(const double *gram, size_t R)
{
    size_t RR = R * R;
    double *L = calloc(RR ? RR : 1, sizeof *L); /* L[j * R + k] */
    size_t *kept = calloc(R ? R : 1, sizeof *kept);
    if (!L || !kept) {
        free(L);
        free(kept);
        return -1;
    }
    size_t nk = 0;
    for (size_t j = 0; j < R; j++) {
        double gjj = gram[j * R + j];
        double rjj = gjj;
        for (size_t i = 0; i < nk; i++) {
            size_t k = kept[i];
            double g = gram[k * R + j]; /* k < j: upper triangle */
            for (size_t m = 0; m < i; m++)
                g -= L[j * R + kept[m]] * L[k * R + kept[m]];
            double l = g / L[k * R + k];
            L[j * R + k] = l;
            rjj -= l * l;
        }
        if (gjj > 0 && rjj > 0 && sqrt(rjj) >= 1e-5 * sqrt(gjj)) {
            L[j * R + j] = sqrt(rjj);
            kept[nk++] = j;
        }
    }
    free(L);
    free(kept);
    return (long)nk;
}
