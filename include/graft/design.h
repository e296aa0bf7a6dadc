/*
 * graft/design.h - a stratified, clustered, weighted survey design, built
 * row by row as the data stream past.
 *
 * graft_design_bind() resolves the design columns against a file's header;
 * graft_design_row() validates one row's weight, strata, PSU and fpc and
 * returns the row's dense stratum and PSU ids (for per-PSU accumulators);
 * graft_design_finish() closes the design (PSUs per stratum, fpc, degrees of
 * freedom).  Memory grows with the number of strata and PSUs, never with the
 * number of rows: without a PSU column each row is its own PSU and only its
 * stratum's row count is kept.
 */
#ifndef GRAFT_DESIGN_H
#define GRAFT_DESIGN_H

#include <stddef.h>
#include "graft/error.h"
#include "graft/reader.h"

/* What to do with a stratum that has a single PSU (R's
 * options(survey.lonely.psu), survey 4.5 semantics). */
typedef enum graft_lonely {
    GRAFT_LONELY_FAIL = 0,
    GRAFT_LONELY_REMOVE = 1,
    GRAFT_LONELY_CERTAINTY = 2,
    GRAFT_LONELY_ADJUST = 3,
    GRAFT_LONELY_AVERAGE = 4
} graft_lonely_t;

/* Parse "fail", "remove", ... into *OUT.  Returns 1 on success, 0 if NAME is
 * not a policy. */
int graft_lonely_parse(const char *name, graft_lonely_t *out);
const char *graft_lonely_name(graft_lonely_t lonely);

#include "graft/limits.h" /* GRAFT_MAX_STRATA_COLUMNS, GRAFT_MAX_BY */
#include "graft/spec.h"   /* graft_source_t */

/* Kinds of replicate weights (R's svrepdesign type), for designs that ship
 * replicate weights instead of (or besides) strata and PSUs. */
typedef enum graft_reptype {
    GRAFT_REP_NONE = 0,
    GRAFT_REP_JK1 = 1,
    GRAFT_REP_JKN = 2,
    GRAFT_REP_BRR = 3,
    GRAFT_REP_FAY = 4,
    GRAFT_REP_BOOTSTRAP = 5,
    GRAFT_REP_SDR = 6,
    GRAFT_REP_ACS = 7,
    GRAFT_REP_OTHER = 8
} graft_reptype_t;

int graft_reptype_parse(const char *name, graft_reptype_t *out);
const char *graft_reptype_name(graft_reptype_t type);

/* Replicate weights: which columns, and how their estimates combine:
 * v = scale * sum_r rscale_r (theta_r - centre)^2. */
typedef struct graft_rep_spec {
    const char *columns;    /* POSIX ERE matching whole names, or a comma
                               list of names; NULL: no replicates */
    graft_reptype_t type;
    double rho;             /* Fay's rho; NaN: not given */
    double scale;           /* NaN: the type's default */
    const double *rscales;  /* NULL: all 1 (jkn needs them) */
    size_t n_rscales;
    int mse;                /* centre at the full-sample estimate */
} graft_rep_spec_t;

/* A weight calibrated to population margins: a survey file's
 * [calibration] section (keys in graft/calibrate.h).  Linearized
 * variances then use the residuals of the calibration (R's svyrecvar on a
 * postStratify'd, raked or calibrated design). */
#define GRAFT_MAX_CAL_MARGINS 32 /* margins of one calibration */

typedef struct graft_cal_margin_spec {
    const char *vars[GRAFT_MAX_BY]; /* one variable, or crossed ones */
    size_t n_vars;
} graft_cal_margin_spec_t;

typedef struct graft_cal_spec {
    int method;                    /* a graft_cal_method_t */
    const char *design_weight;     /* the weight before calibration */
    const char *calibrated_weight; /* right after it (before trimming);
                                      NULL: the design's weight */
    const graft_cal_margin_spec_t *margins;
    size_t n_margins;
    graft_source_t src;            /* the section, for messages */
} graft_cal_spec_t;

typedef struct graft_design_spec {
    const char *weight;   /* weight column; NULL only when unweighted */
    int unweighted;       /* 1: every weight is 1 ("--weight 1") */
    const char *strata[GRAFT_MAX_STRATA_COLUMNS];
    size_t n_strata;      /* 0: one stratum */
    const char *psu;      /* NULL: each row is its own PSU */
    const char *fpc;      /* NULL: no finite population correction */
    int nest;             /* PSU ids unique only within a stratum */
    graft_lonely_t lonely;
    graft_rep_spec_t rep; /* replicate weights (rep.columns NULL: none) */
    const graft_cal_spec_t *cal; /* borrowed; NULL: not calibrated.
                                    Replicate designs ignore it (their
                                    replicates carry the calibration) */
} graft_design_spec_t;

/* A spec with no columns, lonely-PSU fail and no replicates. */
void graft_design_spec_init(graft_design_spec_t *spec);

/* Does a design of SPEC read the column NAME (weight, strata, PSU, fpc or a
 * replicate weight)?  For graft_read_opts_t.uses. */
int graft_design_spec_uses(const graft_design_spec_t *spec, const char *name);

/* What graft_design_row() returns about one row. */
typedef struct graft_design_obs {
    double weight;
    const double *repw; /* the row's replicate weights (n_rep of them), or
                           NULL; valid until the next row */
    /* The row's replicate vector as a multiple REP_MULT of its group's
     * direction REP_DIR: consecutive rows with proportional vectors (the
     * rows of one PSU) share a group, so a Gram matrix needs one R x R
     * update per group.  REP_GROUP is 0 for an all-zero vector, else a
     * number that changes whenever a new group starts; REP_DIR is valid
     * until then. */
    size_t rep_group;
    double rep_mult;
    const double *rep_dir;
    size_t stratum;  /* dense stratum id */
    size_t psu;      /* dense PSU id across the design (0, 1, ... in order
                        of first appearance, rows in any order), or
                        GRAFT_ROW_PSU */
    int psu_new;     /* the first row of its PSU */
} graft_design_obs_t;

#define GRAFT_ROW_PSU ((size_t)-1)

typedef struct graft_design graft_design_t;

/* A new design for SPEC (its strings are copied).  NULL when out of memory. */
graft_design_t *graft_design_alloc(const graft_design_spec_t *spec);
void graft_design_free(graft_design_t *d);

/* Start round ROUND (0, 1, ...) of a design that stacks several files:
 * the next graft_design_bind() uses SPEC's columns (strings copied; the
 * lonely-PSU policy stays the first round's).  Independent rounds
 * (SHARED = 0) keep their own strata and PSUs, as R's stacked design with
 * strata = round x stratum; with SHARED = 1 the rounds share strata and PSU
 * ids (a panel of areas).  Fails only with GRAFT_ERR_NOMEM. */
graft_error_t graft_design_next_round(graft_design_t *d,
                                      const graft_design_spec_t *spec,
                                      size_t round, int shared);

/* Resolve the design columns in COLS.  FILE names the data in diagnostics.
 * Fails with GRAFT_ERR_COLUMN (suggesting the closest name) or
 * GRAFT_ERR_DESIGN_VALUE (a design column that holds text where a number is
 * needed is reported per row, not here). */
graft_error_t graft_design_bind(graft_design_t *d, const char *file,
                                const graft_column_t *cols, size_t ncols,
                                graft_diag_t *diag);

/* Add one row.  Fails with GRAFT_ERR_WEIGHT (non-numeric, negative, NaN or
 * infinite weight), GRAFT_ERR_DESIGN_VALUE (missing weight, stratum, PSU or
 * fpc value), GRAFT_ERR_NEST (a PSU id in two strata without nest),
 * GRAFT_ERR_FPC (fpc not positive, or varying within a stratum) or
 * GRAFT_ERR_NOMEM.  OBS (may be NULL) receives the row's ids. */
graft_error_t graft_design_row(graft_design_t *d, const graft_cell_t *cells,
                               unsigned long line, graft_design_obs_t *obs,
                               graft_diag_t *diag);

/* Close the design after the last row: count PSUs per stratum and check the
 * fpc against them (GRAFT_ERR_FPC when a stratum samples more PSUs than its
 * population holds).  Lonely PSUs are not an error here. */
graft_error_t graft_design_finish(graft_design_t *d, graft_diag_t *diag);

/* Under GRAFT_LONELY_FAIL, GRAFT_ERR_LONELY_PSU naming the first stratum
 * with a single PSU; GRAFT_OK otherwise.  Call after finish. */
graft_error_t graft_design_check_lonely(const graft_design_t *d,
                                        graft_diag_t *diag);

/* Replicate designs, after bind: the number of replicate columns, their
 * scale and per-replicate rscales (the type's defaults unless given), and
 * the column names. */
size_t graft_design_n_rep(const graft_design_t *d);
double graft_design_rep_scale(const graft_design_t *d);
const double *graft_design_rep_rscales(const graft_design_t *d);
const char *graft_design_rep_name(const graft_design_t *d, size_t r);

/* R's degf() for a replicate design: the rank of the replicate-weight
 * matrix (QR with tolerance 1e-5, as R's qr()) minus 1.  After finish. */
long graft_design_rep_df(const graft_design_t *d);

/* The rank of a matrix W (n x R) as R's qr(W, tol = 1e-5) sees it, from
 * its Gram matrix G = W'W (R x R, row-major, upper triangle used).
 * Returns -1 when out of memory. */
long graft_rep_rank(const double *gram, size_t R);

/* ---- after finish -------------------------------------------------- */

const graft_design_spec_t *graft_design_spec(const graft_design_t *d);
size_t graft_design_n_strata(const graft_design_t *d);
size_t graft_design_n_psu(const graft_design_t *d); /* all PSUs */
/* The stratum's display name: its columns' labels (or values) joined by
 * " / ", e.g. "Great Tunis / Urban"; "(all)" without strata. */
const char *graft_design_stratum_name(const graft_design_t *d, size_t h);
size_t graft_design_stratum_psus(const graft_design_t *d, size_t h);
/* Sampling fraction f_h of stratum H (0 without fpc). */
double graft_design_stratum_fraction(const graft_design_t *d, size_t h);
/* Stratum of PSU J (only when the design has a PSU column). */
size_t graft_design_psu_stratum(const graft_design_t *d, size_t j);

typedef struct graft_design_summary {
    size_t n_rows;
    size_t n_zero_weight;
    double sum_w, min_w, max_w, mean_w;
    double cv_w;        /* sd / mean, sd with divisor n - 1 */
    double kish_n;      /* (sum w)^2 / sum w^2 */
    size_t n_strata, n_psu;
    size_t psu_min, psu_max;
    double psu_median;
    size_t n_lonely;    /* strata with a single PSU */
    long df;            /* R's degf(): PSUs minus strata, rows with w != 0 */
} graft_design_summary_t;

void graft_design_summarize(const graft_design_t *d,
                            graft_design_summary_t *out);

#endif
