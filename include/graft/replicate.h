/*
 * graft/replicate.h - replicate weights made from a stratified clustered
 * design, as R survey's as.svrepdesign() makes them (survey 4.1-1).
 *
 *   jk1           R's jk1weights: unstratified delete-one-PSU jackknife
 *   jkn           R's jknweights: stratified jackknife, lonely-PSU policies
 *   brr, fay      R's brrweights with R's hadamard(): half-samples
 *   bootstrap     R's bootweights: n_h PSUs drawn with replacement per
 *                 stratum (without, from a pseudo-population, with an fpc)
 *   subbootstrap  R's subbootweights: Rao-Wu, n_h - 1 PSUs drawn with
 *                 replacement, multiplied by n_h / (n_h - 1)
 *
 * Replicate weights are full weights: the row's weight times the
 * replicate's factor (R's weights(rep, "analysis")).  The variance of an
 * estimate is scale * sum_r rscale_r (theta_r - centre)^2.
 *
 * Two passes over the data: pass 1 (graft_replicate_bind, _add, _plan)
 * builds the design and the replicates; pass 2 (graft_replicate_bind
 * again, _weights, _end) gives each row's replicate weights in the same
 * row order.  Memory grows with the strata, the PSUs and, for the
 * bootstraps, PSUs times replicates (counts are drawn up front); never
 * with the rows unless the rows are the PSUs.
 *
 * Ownership: functions never take ownership of pointer arguments unless
 * the comment says so; returned pointers are the caller's, freed with the
 * matching _free function, and every _free accepts NULL.
 */
#ifndef GRAFT_REPLICATE_H
#define GRAFT_REPLICATE_H

#include <stddef.h>
#include "graft/design.h"
#include "graft/error.h"
#include "graft/reader.h"
#include "graft/spec.h"

/* Fixed values: append new methods, never renumber. */
typedef enum graft_repmethod {
    GRAFT_REPMETHOD_JK1 = 0,
    GRAFT_REPMETHOD_JKN = 1,
    GRAFT_REPMETHOD_BRR = 2,
    GRAFT_REPMETHOD_FAY = 3,
    GRAFT_REPMETHOD_BOOTSTRAP = 4,
    GRAFT_REPMETHOD_SUBBOOTSTRAP = 5
} graft_repmethod_t;

/* Parse "jk1", "jkn", "brr", "fay", "bootstrap" or "subbootstrap".
 * Returns 1 and stores the method in *OUT, or 0 when NAME is none. */
int graft_repmethod_parse(const char *name, graft_repmethod_t *out);
/* The method's name as parsed; "?" for a bad value. */
const char *graft_repmethod_name(graft_repmethod_t method);

#define GRAFT_REPLICATE_DEFAULT_N 50     /* R's bootweights(replicates) */
#include "graft/limits.h" /* GRAFT_REPLICATE_MAX_N */
#define GRAFT_REPLICATE_DEFAULT_SEED 1UL

typedef struct graft_replicate_opts {
    graft_repmethod_t method;
    size_t replicates;   /* bootstrap, subbootstrap: 2..GRAFT_REPLICATE_MAX_N */
    unsigned long seed;  /* bootstrap, subbootstrap: gsl_rng_mt19937 seed,
                            0..4294967295 (GSL maps 0 to 4357) */
    double rho;          /* fay: 0 < rho < 1 */
} graft_replicate_opts_t;

/* JKN, 50 replicates, seed 1, rho NaN. */
void graft_replicate_opts_init(graft_replicate_opts_t *opts);

typedef struct graft_replicate graft_replicate_t;

/* A new replicate builder for SPEC (copied) and OPTS.  NULL when out of
 * memory. */
graft_replicate_t *graft_replicate_alloc(const graft_design_spec_t *spec,
                                         const graft_replicate_opts_t *opts);
void graft_replicate_free(graft_replicate_t *r);

/* Resolve the design columns in COLS (FILE names the data in
 * diagnostics).  Called at the start of each pass.  Fails with
 * GRAFT_ERR_COLUMN, GRAFT_ERR_USAGE (the method does not fit the design:
 * jk1 with strata, jkn/brr/fay without, a design that already has
 * replicate weights, a bad option value) or GRAFT_ERR_NOMEM. */
graft_error_t graft_replicate_bind(graft_replicate_t *r, const char *file,
                                   const graft_column_t *cols, size_t ncols,
                                   graft_diag_t *diag);

/* Pass 1: add one row.  Fails with graft_design_row()'s errors. */
graft_error_t graft_replicate_add(graft_replicate_t *r,
                                  const graft_cell_t *cells,
                                  unsigned long line, graft_diag_t *diag);

/* Close pass 1 and build the replicates.  Fails with the design's finish
 * errors, GRAFT_ERR_LONELY_PSU (jkn under lonely-PSU fail),
 * GRAFT_ERR_DESIGN_VALUE (brr/fay: a stratum without 2 PSUs or an even
 * number; jk1 with one PSU; subbootstrap with a single-PSU stratum;
 * bootstrap where no stratum has 2 PSUs; no replicate left because every
 * stratum was sampled whole) or GRAFT_ERR_NOMEM. */
graft_error_t graft_replicate_plan(graft_replicate_t *r, graft_diag_t *diag);

/* After graft_replicate_plan(): the number of replicates R, the scale,
 * the R rscales (owned by R), the pass-1 design (owned by R). */
size_t graft_replicate_count(const graft_replicate_t *r);
double graft_replicate_scale(const graft_replicate_t *r);
const double *graft_replicate_rscales(const graft_replicate_t *r);
const graft_design_t *graft_replicate_design(const graft_replicate_t *r);
/* 1 when the design's fpc was left out, as R leaves it out (brr, fay,
 * subbootstrap); the caller may warn. */
int graft_replicate_fpc_dropped(const graft_replicate_t *r);

/* Pass 2 (after graft_replicate_bind): the row's weight in *W and its R
 * replicate weights in REPW (full weights: *W times the factor).  Rows
 * must come in pass 1's order.  Fails with graft_design_row()'s errors,
 * or GRAFT_ERR_READ when the file changed between the passes. */
graft_error_t graft_replicate_weights(graft_replicate_t *r,
                                      const graft_cell_t *cells,
                                      unsigned long line, double *w,
                                      double *repw, graft_diag_t *diag);

/* Close pass 2: GRAFT_ERR_READ when it saw fewer rows than pass 1. */
graft_error_t graft_replicate_end(graft_replicate_t *r, graft_diag_t *diag);

/* ---- the whole command ------------------------------------------------ */

/* Where and how graft_replicate_file() writes. */
typedef struct graft_replicate_out {
    const char *path;       /* the CSV; not "-" */
    const char *prefix;     /* replicate column names PREFIX1..PREFIXR;
                               letters, digits, '_' and '.'; NULL: "repw" */
    int only_weights;       /* write only the id, the weight and the
                               replicates */
    const char *id;         /* only_weights: the id column; NULL: the first */
    /* Carried into the survey file: */
    const char *name, *round; /* [survey] name and round, or NULL */
    long year;                /* [survey] year, 0: none */
    const graft_derived_spec_t *derived; /* [derive], in order */
    size_t n_derived;
    const char *command;    /* a comment line naming the command, or NULL */
    const char *survey;     /* the input survey file, never overwritten */
} graft_replicate_out_t;

/* Read DATA twice with READ (NULL: defaults) and write OUT->path: the
 * columns as read (CSV cells as their text; other formats' numbers in
 * the shortest form that reads back exactly) followed by the replicate
 * weights, and beside it (the same name with extension .ini) a survey
 * file with the weight, repweights (a regular expression), reptype,
 * scale, rscales, rho (fay), mse = false, each column's missing codes and
 * value labels, and [derive].  Both appear only when both are complete.
 * Fails with any reader, design or graft_replicate_plan() error,
 * GRAFT_ERR_USAGE (bad prefix or id, a column named like a replicate) or
 * GRAFT_ERR_WRITE.  SUMMARY (may be NULL) receives R, scale and whether the
 * fpc was dropped. */
typedef struct graft_replicate_summary {
    size_t n_rows, n_rep;
    double scale;
    int fpc_dropped;
    char ini_path[1100];
} graft_replicate_summary_t;

graft_error_t graft_replicate_file(const char *data,
                                   const graft_read_opts_t *read,
                                   const graft_design_spec_t *spec,
                                   const graft_replicate_opts_t *opts,
                                   const graft_replicate_out_t *out,
                                   graft_replicate_summary_t *summary,
                                   graft_diag_t *diag);

/* The survey file written beside the CSV PATH: PATH with its extension
 * replaced by .ini (appended when it has none), into BUF of SIZE bytes.
 * Returns BUF, or NULL when it does not fit or PATH ends in .ini. */
char *graft_replicate_ini_path(const char *path, char *buf, size_t size);

/* ---- building blocks, for tests ---------------------------------------- */

/* R survey's hadamard(N): a 0/1 Hadamard matrix of order >= N + 1, row
 * major, its order in *ORDER; brrweights() uses rows 2..N+1 and one
 * replicate per column.  The precomputed orders 4, 16, 28 and 36 are R's
 * own (survey:::hadamard.list), the rest Paley's construction or
 * Sylvester doubling as R chooses.  NULL when out of memory. */
unsigned char *graft_hadamard(size_t n, size_t *order);

/* R's as.character() of a double (15 significant digits, fixed unless
 * scientific is narrower): "83", "1e+05", "0.1".  Into BUF of SIZE. */
char *graft_r_number(double x, char *buf, size_t size);

#endif
