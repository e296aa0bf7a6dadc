/*
 * test_stream.c - the streaming estimator against a straightforward
 * two-pass implementation on random designs.
 *
 * graft sums each PSU as its rows stream past, keeping every PSU's sums
 * (per-PSU blocks) until the file ends, when they are added to
 * per-stratum sums; a long file grouped by PSU adds each PSU when the
 * next starts.  Here the same rows, grouped and shuffled, are compared
 * with the textbook computation: p first, then every row's score, PSU
 * totals, and the stratified with-replacement variance (docs/METHODS.md).
 */
#include "test_util.h"
#include "graft/estimate.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

typedef struct row {
    int h, psu, g;  /* stratum, PSU (nested), domain group */
    double w;
    int y, in;      /* value, in the --among domain */
} row_t;

#define MAX_ROWS 20000

static row_t ROWS[MAX_ROWS];
static size_t N;

/* A random design: 2-6 strata of 1-8 PSUs (single-PSU strata happen), 1-20
 * rows per PSU, weights 0.5-50, about 10 % of rows outside the domain. */
static void make_design(gsl_rng *rng)
{
    N = 0;
    int H = 2 + (int)gsl_rng_uniform_int(rng, 5);
    for (int h = 1; h <= H; h++) {
        int n_h = 1 + (int)gsl_rng_uniform_int(rng, 8);
        for (int j = 1; j <= n_h; j++) {
            int m = 1 + (int)gsl_rng_uniform_int(rng, 20);
            double p = gsl_rng_uniform(rng);
            for (int i = 0; i < m && N < MAX_ROWS; i++) {
                row_t *r = &ROWS[N++];
                r->h = h;
                r->psu = j;
                r->g = 1 + (int)gsl_rng_uniform_int(rng, 3);
                r->w = 0.5 + 49.5 * gsl_rng_uniform(rng);
                r->y = gsl_rng_uniform(rng) < p;
                r->in = gsl_rng_uniform(rng) < 0.9;
            }
        }
    }
}

static void write_csv(const char *path, const size_t *order)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("h,psu,g,w,y,dom\n", f);
    for (size_t i = 0; i < N; i++) {
        const row_t *r = &ROWS[order[i]];
        fprintf(f, "%d,%d,%d,%.17g,%d,%d\n", r->h, r->psu, r->g, r->w, r->y,
                r->in);
    }
    fclose(f);
}

/* The two-pass reference for the domain (in == 1 and, when G > 0, g == G):
 * estimate and linearized variance, lonely PSUs under ADJUST (ratio: the
 * single PSU centred at 0) or REMOVE. */
static void reference(int G, int adjust, double *p_out, double *v_out)
{
    double sw = 0, swy = 0;
    for (size_t i = 0; i < N; i++) {
        const row_t *r = &ROWS[i];
        if (r->in && (G == 0 || r->g == G)) {
            sw += r->w;
            swy += r->w * r->y;
        }
    }
    double p = swy / sw;
    /* PSU totals of z = w (y - p) / N: strata <= 6, PSUs <= 8 */
    double z[7][9] = {{0}};
    int n_h[7] = {0};
    for (size_t i = 0; i < N; i++) {
        const row_t *r = &ROWS[i];
        if (r->psu > n_h[r->h])
            n_h[r->h] = r->psu;
        if (r->in && (G == 0 || r->g == G))
            z[r->h][r->psu] += r->w * (r->y - p) / sw;
    }
    double v = 0;
    for (int h = 1; h <= 6; h++) {
        int has = 0;
        for (size_t i = 0; i < N; i++)
            has |= ROWS[i].h == h && ROWS[i].in &&
                   (G == 0 || ROWS[i].g == G);
        if (!has || n_h[h] == 0)
            continue;
        if (n_h[h] == 1) {
            if (adjust)
                v += z[h][1] * z[h][1];
            continue;
        }
        double mean = 0, ss = 0;
        for (int j = 1; j <= n_h[h]; j++)
            mean += z[h][j];
        mean /= n_h[h];
        for (int j = 1; j <= n_h[h]; j++)
            ss += (z[h][j] - mean) * (z[h][j] - mean);
        v += (double)n_h[h] / (n_h[h] - 1) * ss;
    }
    *p_out = p;
    *v_out = v;
}

static void run_graft(const char *path, int adjust, graft_estimates_t **e)
{
    graft_design_spec_t spec;
    graft_design_spec_init(&spec);
    spec.weight = "w";
    spec.strata[0] = "h";
    spec.n_strata = 1;
    spec.psu = "psu";
    spec.nest = 1;
    spec.lonely = adjust ? GRAFT_LONELY_ADJUST : GRAFT_LONELY_REMOVE;
    static graft_indicator_spec_t ind;
    ind.type = GRAFT_IND_PROP;
    ind.expr = "y";
    ind.among = "dom == 1";
    ind.expr_src = ind.among_src = (graft_source_t){"expr", 1, 1};
    static graft_by_spec_t by = {{"g"}, 1};
    static graft_estimate_opts_t opts;
    opts.indicators = &ind;
    opts.n_indicators = 1;
    opts.by = &by;
    opts.n_by = 1;
    opts.ci = GRAFT_CI_WALD;
    opts.level = 0.95;
    graft_diag_t diag;
    assert_int_equal(graft_estimate_file(path, NULL, &spec, &opts, e, &diag),
                     GRAFT_OK);
}

static void test_random_designs(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261127);
    static size_t order[MAX_ROWS];
    size_t checked = 0;
    for (int rep = 0; rep < 200; rep++) {
        make_design(rng);
        int adjust = rep % 2;
        for (size_t i = 0; i < N; i++)
            order[i] = i;
        write_csv(test_tmp("grouped.csv"), order);
        gsl_ran_shuffle(rng, order, N, sizeof *order);
        write_csv(test_tmp("shuffled.csv"), order);
        graft_estimates_t *a = NULL, *b = NULL;
        run_graft(test_tmp("grouped.csv"), adjust, &a);
        run_graft(test_tmp("shuffled.csv"), adjust, &b);
        assert_int_equal(a->n_rows, b->n_rows);
        for (size_t r = 0; r < a->n_rows; r++) {
            const graft_estimate_row_t *x = &a->rows[r], *y = &b->rows[r];
            int G = x->by_set == (size_t)-1 ? 0 : atoi(x->by_codes[0]);
            double p, v;
            reference(G, adjust, &p, &v);
            assert_close(x->estimate, p, 1e-12, 0);
            assert_close(y->estimate, p, 1e-12, 0);
            assert_close(x->se * x->se, v, 1e-12, 1e-300);
            assert_close(y->se * y->se, v, 1e-12, 1e-300);
            assert_close(x->df, y->df, 0, 0);
            checked++;
        }
        graft_estimates_free(a);
        graft_estimates_free(b);
    }
    gsl_rng_free(rng);
    unlink(test_tmp("grouped.csv"));
    unlink(test_tmp("shuffled.csv"));
    printf("  %zu domain estimates checked, grouped and shuffled\n", checked);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_designs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
