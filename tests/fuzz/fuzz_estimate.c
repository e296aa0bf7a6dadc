/*
 * fuzz_estimate.c - fuzz target for `estimate` end to end on a small CSV:
 * reading, the design, the indicators, domains, variances, intervals and
 * the table writer.
 *
 * The input is the data of a CSV whose header is fixed, "w,s,p,y,z,g"
 * (weight, stratum, PSU, a 0/1 indicator, a number, a by-variable); it is
 * written to est.csv in a private folder and estimated under two fixed
 * designs (strata and nested PSUs with lonely PSUs adjusted; PSUs without
 * strata, lonely PSUs an error) with a proportion, a mean among a domain
 * and a total, by g and by s x g, then written as CSV and JSON.  Each
 * estimation runs on one thread and again on two.  Besides crashes and
 * sanitizer reports it aborts when the diagnostic lacks the returned code,
 * when a failure returns estimates, when an estimate row breaks a plain
 * invariant (n no more than the rows read, a standard error that is not
 * negative), or when the two runs differ in any bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>

#include "graft/estimate.h"
#include "graft/table.h"
#include "fuzz_util.h"

#define T "fuzz_estimate"
#define HEADER "w,s,p,y,z,g\n"

static int same_num(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

static void same_rows(const graft_estimates_t *a, const graft_estimates_t *b)
{
    fuzz_check(a->n_rows == b->n_rows, T, "threads change the row count");
    for (size_t i = 0; i < a->n_rows; i++) {
        const graft_estimate_row_t *x = &a->rows[i], *y = &b->rows[i];
        fuzz_check(same_num(x->estimate, y->estimate) &&
                       same_num(x->se, y->se) &&
                       same_num(x->ci_low, y->ci_low) &&
                       same_num(x->ci_high, y->ci_high) &&
                       same_num(x->df, y->df) &&
                       same_num(x->weighted_n, y->weighted_n) &&
                       x->n == y->n && x->n_missing == y->n_missing &&
                       strcmp(x->flag, y->flag) == 0,
                   T, "threads change a number");
    }
}

static void check_rows(const graft_estimates_t *e, size_t max_rows)
{
    for (size_t i = 0; i < e->n_rows; i++) {
        const graft_estimate_row_t *r = &e->rows[i];
        fuzz_check(r->n + r->n_missing <= max_rows, T,
                   "no more observations than rows");
        fuzz_check(isnan(r->se) || r->se >= 0, T, "se is not negative");
        fuzz_check(strlen(r->flag) < sizeof r->flag, T, "the flag ends");
    }
}

static void write_all(const graft_estimates_t *e)
{
    static const graft_table_format_t formats[] = {
        GRAFT_TABLE_CSV, GRAFT_TABLE_JSON, GRAFT_TABLE_TEXT};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        FILE *fp = fopen("/dev/null", "w");
        graft_diag_t diag;
        fuzz_check(fp != NULL, T, "/dev/null opens");
        graft_error_t rc = graft_estimates_write(fp, e, formats[i], &diag);
        fuzz_check(rc == GRAFT_OK || rc == GRAFT_ERR_NOMEM, T,
                   "estimates are written");
        fclose(fp);
    }
}

static void estimate(const char *path, const graft_design_spec_t *spec,
                     const graft_estimate_opts_t *opts, size_t max_rows)
{
    graft_estimates_t *e1 = NULL, *e2 = NULL;
    graft_diag_t d1, d2;
    graft_read_opts_t read = {0};
    read.threads = 1;
    graft_error_t rc1 = graft_estimate_file(path, &read, spec, opts, &e1, &d1);
    fuzz_check(rc1 == GRAFT_OK || rc1 == d1.code, T,
               "the diagnostic holds the returned code");
    fuzz_check((rc1 == GRAFT_OK) == (e1 != NULL), T,
               "estimates come exactly on success");
    read.threads = 2;
    graft_error_t rc2 = graft_estimate_file(path, &read, spec, opts, &e2, &d2);
    fuzz_check(rc1 == rc2 && (rc1 == GRAFT_OK || strcmp(d1.msg, d2.msg) == 0), T,
               "threads change the result");
    if (rc1 == GRAFT_OK) {
        check_rows(e1, max_rows);
        same_rows(e1, e2);
        write_all(e1);
    }
    graft_estimates_free(e1);
    graft_estimates_free(e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    FILE *fp;
    size_t lines = 0;
    /* as graft's main() does: GSL reports through return values, never
     * by aborting (tests/fuzz/corpus_estimate/crash_gsl_handler.csv) */
    gsl_set_error_handler_off();
    if (size > 4096) /* a small file: depth, not size */
        return 0;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n' || data[i] == '\r';
    fp = fopen(fuzz_path(path, sizeof path, "est.csv"), "wb");
    fuzz_check(fp && fputs(HEADER, fp) >= 0 &&
                   (!size || fwrite(data, 1, size, fp) == size) &&
                   fclose(fp) == 0,
               T, "the input is written");

    const graft_indicator_spec_t inds[3] = {
        {GRAFT_IND_PROP, "paid", NULL, NULL, "y == 1", NULL, 0,
         {"fuzz", 1, 1}, {NULL, 0, 0}, 0},
        {GRAFT_IND_MEAN, NULL, NULL, NULL, "z", "y in {0, 1}", 0,
         {"fuzz", 2, 1}, {"fuzz", 2, 9}, 0},
        {GRAFT_IND_TOTAL, "tz", NULL, NULL, "z", NULL, 0,
         {"fuzz", 3, 1}, {NULL, 0, 0}, 0}};
    const graft_by_spec_t by[2] = {{{"g"}, 1}, {{"s", "g"}, 2}};
    graft_estimate_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.indicators = inds;
    opts.n_indicators = 3;
    opts.by = by;
    opts.n_by = 2;
    opts.ci = GRAFT_CI_LOGIT;
    opts.level = 0.95;
    opts.df_mode = GRAFT_DF_DESIGN;
    opts.min_n = 2;

    graft_design_spec_t spec;
    graft_design_spec_init(&spec);
    spec.weight = "w";
    spec.strata[0] = "s";
    spec.n_strata = 1;
    spec.psu = "p";
    spec.nest = 1;
    spec.lonely = GRAFT_LONELY_ADJUST;
    estimate(path, &spec, &opts, lines + 1);

    graft_design_spec_init(&spec);
    spec.weight = "w";
    spec.psu = "p";
    opts.ci = GRAFT_CI_WILSON;
    opts.df_mode = GRAFT_DF_DOMAIN;
    estimate(path, &spec, &opts, lines + 1);
    return 0;
}
