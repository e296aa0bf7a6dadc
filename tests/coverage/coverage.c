/*
 * coverage.c - `make coverage`: the interval coverage study of
 * docs/coverage.md.  For every prevalence, intra-cluster correlation and
 * number of PSUs, REPS populations, one sample from each (seeded: the same
 * numbers on every run), every --ci method at 95 %.  Writes one CSV row
 * per setting and method to OUT.csv (default out/coverage.csv), and the
 * coverage per method and number of PSUs, pooled over prevalences and
 * intra-cluster correlations, to OUT.dat for the chart
 * (tests/coverage/coverage.gp).
 *
 *   coverage [OUT.csv [REPS]]
 */
#include "coverage_sim.h"

#include <gsl/gsl_errno.h>
#include <stdio.h>

static const double prevalences[] = {0.005, 0.02, 0.1, 0.3, 0.5};
static const double iccs[] = {0.02, 0.05, 0.2};
static const size_t psus[] = {4, 10, 20, 60};

/* Pooled per number of PSUs and method: covered and defined. */
static double pooled[4][COV_METHODS][2];

static void run_setting(FILE *out, gsl_rng *rng, double pi, double rho,
                        size_t kk, size_t reps)
{
    cov_tally_t t;
    size_t k = psus[kk];
    memset(&t, 0, sizeof t);
    for (size_t r = 0; r < reps; r++) {
        cov_pop_t pop;
        cov_est_t e;
        if (!cov_pop_make(&pop, rng, pi, rho)) {
            fputs("coverage: out of memory\n", stderr);
            exit(71);
        }
        cov_sample(&pop, rng, k, &e, NULL);
        cov_tally_add(&t, &e, pop.prevalence);
        cov_pop_free(&pop);
    }
    for (int m = 0; m < COV_METHODS; m++) {
        pooled[kk][m][0] += (double)t.covered[m];
        pooled[kk][m][1] += (double)t.defined[m];
        fprintf(out, "%g,%g,%zu,%s,%zu,%zu,%.6f,%.6f,%.2f,%.6f,%.6f\n", pi,
                rho, k, graft_ci_method_name((graft_ci_method_t)m), t.reps,
                t.defined[m],
                t.defined[m] ? (double)t.covered[m] / (double)t.defined[m]
                             : NAN,
                t.defined[m] ? t.width[m] / (double)t.defined[m] : NAN,
                t.neff / (double)t.reps,
                (double)t.flagged / (double)t.reps,
                t.unflagged ? (double)t.unflagged_covered / (double)t.unflagged
                            : NAN);
    }
}

static int write_pooled(const char *csv)
{
    char path[1024];
    size_t n = strlen(csv);
    snprintf(path, sizeof path, "%.*s.dat", (int)(n > 4 ? n - 4 : n), csv);
    FILE *f = fopen(path, "w");
    if (!f)
        return 0;
    fputs("# psus, then the coverage (percent) of each method:", f);
    for (int m = 0; m < COV_METHODS; m++)
        fprintf(f, " %s", graft_ci_method_name((graft_ci_method_t)m));
    fputc('\n', f);
    for (size_t k = 0; k < 4; k++) {
        fprintf(f, "%zu", psus[k]);
        for (int m = 0; m < COV_METHODS; m++)
            fprintf(f, " %.3f", 100 * pooled[k][m][0] / pooled[k][m][1]);
        fputc('\n', f);
    }
    return fclose(f) == 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "out/coverage.csv";
    size_t reps = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
    gsl_set_error_handler_off();
    FILE *out = fopen(path, "w");
    if (!out || reps < 2) {
        fprintf(stderr, "coverage: cannot write %s\n", path);
        return 74;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261206);
    fputs("prevalence,icc,psus,method,reps,defined,coverage,mean_width,"
          "mean_neff,flagged,kg_coverage_unflagged\n", out);
    for (size_t a = 0; a < sizeof prevalences / sizeof *prevalences; a++)
        for (size_t b = 0; b < sizeof iccs / sizeof *iccs; b++)
            for (size_t c = 0; c < sizeof psus / sizeof *psus; c++)
                run_setting(out, rng, prevalences[a], iccs[b], c, reps);
    gsl_rng_free(rng);
    return fclose(out) == 0 && write_pooled(path) ? 0 : 74;
}
