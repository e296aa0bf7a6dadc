/*
 * test_replicate.c - replicate weights against R's survey package, their
 * properties, and `graft replicate` end to end.
 *
 * tests/ref/replicate_*.csv (made by tests/R/replicate_ref.R) hold R's
 * weights(as.svrepdesign(...), "analysis"), scales and rscales; each case is
 * built here through the library's two passes and every weight compared to
 * 1e-12 relative.  Bootstraps cannot match R's random draws: their scale is
 * compared, their draws tested for determinism and their structure.
 *
 * The binary under test for the CLI cases is $GRAFT_BIN, else ./graft.
 */
#define _GNU_SOURCE
#include "test_util.h"
#include "test_spawn.h"
#include "test_table.h"
#include "graft/replicate.h"
#include "graft/survey.h"

#include <gsl/gsl_errno.h>


#define REF "tests/ref/"
#define FIX "tests/data/replicate/"
#define REL 1e-12

/* ---- graft's replicates through the library ------------------------------- */

typedef struct built {
    graft_replicate_t *r;
    size_t n_rows, R, cap;
    double *w;     /* n_rows */
    double *repw;  /* n_rows x R */
    graft_error_t rc;
    graft_diag_t diag;
    int pass;
} built_t;

static graft_error_t b_header(void *ctx, const graft_column_t *cols,
                              size_t ncols, graft_diag_t *diag)
{
    built_t *b = ctx;
    return graft_replicate_bind(b->r, "data", cols, ncols, diag);
}

static graft_error_t b_row(void *ctx, const graft_cell_t *cells,
                           size_t ncols, unsigned long line,
                           graft_diag_t *diag)
{
    built_t *b = ctx;
    (void)ncols;
    if (b->pass == 1)
        return graft_replicate_add(b->r, cells, line, diag);
    if (b->n_rows == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->w = realloc(b->w, b->cap * sizeof *b->w);
        b->repw = realloc(b->repw, b->cap * b->R * sizeof *b->repw);
    }
    graft_error_t rc = graft_replicate_weights(
        b->r, cells, line, &b->w[b->n_rows], &b->repw[b->n_rows * b->R], diag);
    b->n_rows++;
    return rc;
}

static void built_free(built_t *b)
{
    graft_replicate_free(b->r);
    free(b->w);
    free(b->repw);
    free(b);
}

/* Build replicates of PATH under SPEC and OPTS; fails the test on error
 * unless ALLOW_FAIL (then b->rc and b->diag say what happened). */
static built_t *build_opts(const char *path, const graft_design_spec_t *spec,
                           const graft_replicate_opts_t *opts, int allow_fail)
{
    built_t *b = calloc(1, sizeof *b);
    graft_diag_clear(&b->diag);
    b->r = graft_replicate_alloc(spec, opts);
    assert_non_null(b->r);
    b->pass = 1;
    b->rc = graft_read(path, NULL, b_header, b_row, b, &b->diag);
    if (b->rc == GRAFT_OK)
        b->rc = graft_replicate_plan(b->r, &b->diag);
    if (b->rc == GRAFT_OK) {
        b->R = graft_replicate_count(b->r);
        b->pass = 2;
        b->rc = graft_read(path, NULL, b_header, b_row, b, &b->diag);
    }
    if (b->rc == GRAFT_OK)
        b->rc = graft_replicate_end(b->r, &b->diag);
    if (b->rc != GRAFT_OK && !allow_fail)
        fail_msg("%s: %s", path, b->diag.msg);
    return b;
}

static graft_design_spec_t spec_of(const char *weight, const char *strata,
                                   const char *psu, const char *fpc, int nest)
{
    graft_design_spec_t s;
    graft_design_spec_init(&s);
    s.weight = weight;
    if (strata) {
        s.strata[0] = strata;
        s.n_strata = 1;
    }
    s.psu = psu;
    s.fpc = fpc;
    s.nest = nest;
    return s;
}

static built_t *build(const char *path, const graft_design_spec_t *spec,
                      graft_repmethod_t method)
{
    graft_replicate_opts_t o;
    graft_replicate_opts_init(&o);
    o.method = method;
    return build_opts(path, spec, &o, 0);
}

/* ---- comparisons with R ----------------------------------------------------- */

/* The scale and rscales of CASE in replicate_scales.csv. */
static void expect_scales(const built_t *b, const char *name, int scale_only)
{
    table_t *t = table_open(REF "replicate_scales.csv");
    size_t c_case = table_col(t, "case"), c_idx = table_col(t, "index"),
           c_val = table_col(t, "value"), seen = 0;
    const double *rs = graft_replicate_rscales(b->r);
    for (size_t i = 0; i < t->nrows; i++) {
        if (strcmp(t->cells[i * t->ncols + c_case], name) != 0)
            continue;
        size_t k = (size_t)table_num(t, i, c_idx);
        double want = table_num(t, i, c_val);
        seen++;
        if (k == 0)
            assert_close(graft_replicate_scale(b->r), want, REL, 0);
        else if (k > b->R)
            fail_msg("%s: R has more than %zu rscales", name, b->R);
        else
            assert_close(rs[k - 1], want, REL, 0);
    }
    assert_int_equal(seen, scale_only ? 1 : b->R + 1);
    table_close(t);
}

/* Every weight of B against tests/ref/replicate_CASE.csv. */
static void expect_weights(const built_t *b, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, REF "replicate_%s.csv", name);
    table_t *t = table_open(path);
    assert_int_equal(t->ncols - 1, b->R);
    for (size_t i = 0; i < t->nrows; i++) {
        size_t row = (size_t)table_num(t, i, 0) - 1;
        assert_true(row < b->n_rows);
        for (size_t r = 0; r < b->R; r++) {
            double got = b->repw[row * b->R + r], want = table_num(t, i, r + 1);
            if (!test_close_ok(got, want, REL, 0))
                fail_msg("%s: row %zu replicate %zu: %.17g, R %.17g", name,
                         row + 1, r + 1, got, want);
        }
    }
    if (strcmp(name, "jkn_nhanes") != 0)
        assert_int_equal(t->nrows, b->n_rows);
    table_close(t);
    expect_scales(b, name, 0);
}

static void test_jk1_apiclus1(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("pw", NULL, "dnum", "fpc", 0);
    built_t *b = build("tests/data/r/apiclus1.csv", &s, GRAFT_REPMETHOD_JK1);
    assert_int_equal(b->R, 15);
    expect_weights(b, "jk1_apiclus1");
    built_free(b);
}

/* nhanes: R's compressed factors and PSU index give every row's weights;
 * every 100th row's analysis weights are also kept whole. */
static void test_jkn_nhanes(void **state)
{
    (void)state;
    graft_design_spec_t s =
        spec_of("WTMEC2YR", "SDMVSTRA", "SDMVPSU", NULL, 1);
    built_t *b = build("tests/data/r/nhanes.csv", &s, GRAFT_REPMETHOD_JKN);
    assert_int_equal(b->R, 31);
    expect_weights(b, "jkn_nhanes");
    table_t *fac = table_open(REF "replicate_jkn_nhanes_factors.csv");
    table_t *idx = table_open(REF "replicate_jkn_nhanes_index.csv");
    assert_int_equal(idx->nrows, b->n_rows);
    assert_int_equal(fac->ncols - 1, b->R);
    for (size_t i = 0; i < b->n_rows; i++) {
        size_t u = (size_t)table_num(idx, i, 1) - 1;
        for (size_t r = 0; r < b->R; r++) {
            double want = table_num(fac, u, r + 1) * b->w[i];
            double got = b->repw[i * b->R + r];
            if (!test_close_ok(got, want, REL, 0))
                fail_msg("row %zu replicate %zu: %.17g, R %.17g", i + 1,
                         r + 1, got, want);
        }
    }
    table_close(fac);
    table_close(idx);
    built_free(b);
}

static void lonely_case(graft_lonely_t policy, const char *name)
{
    graft_design_spec_t s = spec_of("w", "s", "p", NULL, 1);
    s.lonely = policy;
    built_t *b = build(FIX "lonely.csv", &s, GRAFT_REPMETHOD_JKN);
    expect_weights(b, name);
    built_free(b);
}

static void test_jkn_lonely_adjust(void **state)
{
    (void)state;
    lonely_case(GRAFT_LONELY_ADJUST, "jkn_lonely_adjust");
}

static void test_jkn_lonely_average(void **state)
{
    (void)state;
    lonely_case(GRAFT_LONELY_AVERAGE, "jkn_lonely_average");
}

static void test_jkn_lonely_remove(void **state)
{
    (void)state;
    lonely_case(GRAFT_LONELY_REMOVE, "jkn_lonely_remove");
}

static void test_jkn_lonely_certainty(void **state)
{
    (void)state;
    lonely_case(GRAFT_LONELY_CERTAINTY, "jkn_lonely_certainty");
}

static void test_jkn_lonely_fail(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("w", "s", "p", NULL, 1);
    graft_replicate_opts_t o;
    graft_replicate_opts_init(&o);
    built_t *b = build_opts(FIX "lonely.csv", &s, &o, 1);
    assert_int_equal(b->rc, GRAFT_ERR_LONELY_PSU);
    assert_string_equal(b->diag.msg,
                        "stratum '2' has a single PSU; choose --lonely-psu "
                        "remove, certainty, adjust or average");
    built_free(b);
}

/* Rows as PSUs with an fpc; stratum c is sampled whole (no replicates). */
static void test_jkn_fpc_rows(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("w", "h", NULL, "N", 0);
    built_t *b = build(FIX "fpc_rows.csv", &s, GRAFT_REPMETHOD_JKN);
    assert_int_equal(b->R, 9);
    expect_weights(b, "jkn_fpc_rows");
    built_free(b);
}

static void test_brr(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("wt", "stratum", "psu", NULL, 1);
    built_t *b = build(FIX "brr.csv", &s, GRAFT_REPMETHOD_BRR);
    assert_int_equal(b->R, 24);
    expect_weights(b, "brr");
    built_free(b);
}

static void test_fay(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("wt", "stratum", "psu", NULL, 1);
    graft_replicate_opts_t o;
    graft_replicate_opts_init(&o);
    o.method = GRAFT_REPMETHOD_FAY;
    o.rho = 0.3;
    built_t *b = build_opts(FIX "brr.csv", &s, &o, 0);
    expect_weights(b, "fay");
    built_free(b);
}

/* ---- BRR properties ---------------------------------------------------------- */

/* Linear total of y under the replicate weights: BRR's variance equals the
 * textbook sum over half-sample pairs of (z_1 - z_2)^2 (z = PSU totals of
 * w y), centred at the replicates' mean or at the full estimate, because
 * the matrix rows used are orthogonal and balanced. */
static void brr_total_variance(const built_t *b, const table_t *d,
                               double rho, double *v_mean, double *v_full)
{
    size_t cy = table_col(d, "y");
    double full = 0, mean = 0, *t = calloc(b->R, sizeof *t);
    for (size_t i = 0; i < b->n_rows; i++) {
        full += b->w[i] * table_num(d, i, cy);
        for (size_t r = 0; r < b->R; r++)
            t[r] += b->repw[i * b->R + r] * table_num(d, i, cy);
    }
    for (size_t r = 0; r < b->R; r++)
        mean += t[r] / (double)b->R;
    *v_mean = *v_full = 0;
    double scale = 1.0 / ((double)b->R * (1 - rho) * (1 - rho));
    assert_close(graft_replicate_scale(b->r), scale, REL, 0);
    for (size_t r = 0; r < b->R; r++) {
        *v_mean += scale * (t[r] - mean) * (t[r] - mean);
        *v_full += scale * (t[r] - full) * (t[r] - full);
    }
    free(t);
}

/* The textbook variance: PSUs paired in order of appearance per stratum. */
static double brr_textbook(const table_t *d)
{
    size_t cs = table_col(d, "stratum"), cp = table_col(d, "psu"),
           cw = table_col(d, "wt"), cy = table_col(d, "y");
    double z[20][4] = {{0}};
    int order[20][5] = {{0}}, n[20] = {0};
    for (size_t i = 0; i < d->nrows; i++) {
        int s = (int)table_num(d, i, cs), p = (int)table_num(d, i, cp), k = 0;
        while (k < n[s] && order[s][k] != p)
            k++;
        if (k == n[s])
            order[s][n[s]++] = p;
        z[s][k] += table_num(d, i, cw) * table_num(d, i, cy);
    }
    double v = 0;
    for (int s = 1; s < 20; s++)
        for (int k = 0; k + 1 < n[s]; k += 2)
            v += (z[s][k] - z[s][k + 1]) * (z[s][k] - z[s][k + 1]);
    return v;
}

static void test_brr_textbook_variance(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("wt", "stratum", "psu", NULL, 1);
    table_t *d = table_open(FIX "brr.csv");
    double want = brr_textbook(d), vm, vf;
    built_t *b = build(FIX "brr.csv", &s, GRAFT_REPMETHOD_BRR);
    brr_total_variance(b, d, 0, &vm, &vf);
    assert_close(vm, want, 1e-10, 0);
    assert_close(vf, want, 1e-10, 0);
    built_free(b);
    graft_replicate_opts_t o;
    graft_replicate_opts_init(&o);
    o.method = GRAFT_REPMETHOD_FAY;
    o.rho = 0.5;
    b = build_opts(FIX "brr.csv", &s, &o, 0);
    brr_total_variance(b, d, 0.5, &vm, &vf);
    assert_close(vm, want, 1e-10, 0);
    assert_close(vf, want, 1e-10, 0);
    built_free(b);
    table_close(d);
}

/* In every replicate each PSU's factor is 0 or 2, and the two halves of a
 * pair get opposite factors: every replicate keeps half the PSUs. */
static void test_brr_halves(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("wt", "stratum", "psu", NULL, 1);
    built_t *b = build(FIX "brr.csv", &s, GRAFT_REPMETHOD_BRR);
    table_t *d = table_open(FIX "brr.csv");
    size_t cs = table_col(d, "stratum");
    for (size_t r = 0; r < b->R; r++) {
        double kept[20] = {0}, all[20] = {0};
        for (size_t i = 0; i < b->n_rows; i++) {
            double f = b->repw[i * b->R + r] / b->w[i];
            assert_true(f == 0 || f == 2);
            int st = (int)table_num(d, i, cs);
            all[st] += 1;
            kept[st] += f / 2;
        }
        for (int st = 1; st < 20; st++)
            assert_close(kept[st], all[st] / 2, 0, 0);
    }
    table_close(d);
    built_free(b);
}

/* ---- Hadamard matrices and R's number text --------------------------------- */

static double had_checksum(const unsigned char *h, size_t k)
{
    double sum = 0;
    for (size_t i = 1; i <= k; i++)
        for (size_t j = 1; j <= k; j++)
            if (h[(i - 1) * k + (j - 1)])
                sum += (double)((i * 1000003 + j * 7919) % 999983);
    return sum;
}

static void test_hadamard_matches_r(void **state)
{
    (void)state;
    table_t *t = table_open(REF "replicate_hadamard.csv");
    assert_int_equal(t->nrows, 300);
    for (size_t i = 0; i < t->nrows; i++) {
        size_t n = (size_t)table_num(t, i, 0), k = 0;
        unsigned char *h = graft_hadamard(n, &k);
        assert_non_null(h);
        if (k != (size_t)table_num(t, i, 1))
            fail_msg("hadamard(%zu): order %zu, R %g", n, k,
                     table_num(t, i, 1));
        if (had_checksum(h, k) != table_num(t, i, 2))
            fail_msg("hadamard(%zu): checksum %.17g, R %.17g", n,
                     had_checksum(h, k), table_num(t, i, 2));
        free(h);
    }
    table_close(t);
}

/* As +-1 matrices, any two rows agree in exactly half the columns. */
static void test_hadamard_orthogonal(void **state)
{
    (void)state;
    static const size_t ns[] = {1, 3, 4, 8, 12, 15, 20, 27, 35, 43, 59, 60,
                                100, 131, 200, 300};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        size_t k;
        unsigned char *h = graft_hadamard(ns[t], &k);
        assert_true(k > ns[t]);
        for (size_t a = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++) {
                size_t same = 0;
                for (size_t j = 0; j < k; j++)
                    same += h[a * k + j] == h[b * k + j];
                if (2 * same != k)
                    fail_msg("hadamard(%zu) rows %zu, %zu", ns[t], a, b);
            }
        free(h);
    }
}

static void test_r_number(void **state)
{
    (void)state;
    table_t *t = table_open(REF "replicate_rnumber.csv");
    char buf[64];
    for (size_t i = 0; i < t->nrows; i++) {
        graft_r_number(table_num(t, i, 0), buf, sizeof buf);
        assert_string_equal(buf, t->cells[i * t->ncols + 1]);
    }
    table_close(t);
}

/* ---- bootstraps -------------------------------------------------------------- */

static built_t *boot(graft_repmethod_t m, size_t R, unsigned long seed)
{
    graft_design_spec_t s =
        spec_of("WTMEC2YR", "SDMVSTRA", "SDMVPSU", NULL, 1);
    graft_replicate_opts_t o;
    graft_replicate_opts_init(&o);
    o.method = m;
    o.replicates = R;
    o.seed = seed;
    return build_opts("tests/data/r/nhanes.csv", &s, &o, 0);
}

static void test_bootstrap_scale(void **state)
{
    (void)state;
    built_t *b = boot(GRAFT_REPMETHOD_BOOTSTRAP, 50, 1);
    expect_scales(b, "bootstrap_nhanes", 1);
    built_free(b);
    b = boot(GRAFT_REPMETHOD_SUBBOOTSTRAP, 40, 1);
    expect_scales(b, "subbootstrap_nhanes", 1);
    built_free(b);
    graft_design_spec_t s = spec_of("w", "h", NULL, "N", 0);
    graft_replicate_opts_t o;
    graft_replicate_opts_init(&o);
    o.method = GRAFT_REPMETHOD_BOOTSTRAP;
    o.replicates = 30;
    b = build_opts(FIX "fpc_rows.csv", &s, &o, 0);
    expect_scales(b, "bootstrap_fpc_rows", 1);
    built_free(b);
}

static void test_bootstrap_deterministic(void **state)
{
    (void)state;
    built_t *a = boot(GRAFT_REPMETHOD_BOOTSTRAP, 20, 7);
    built_t *b = boot(GRAFT_REPMETHOD_BOOTSTRAP, 20, 7);
    built_t *c = boot(GRAFT_REPMETHOD_BOOTSTRAP, 20, 8);
    size_t n = a->n_rows * a->R;
    assert_memory_equal(a->repw, b->repw, n * sizeof *a->repw);
    assert_true(memcmp(a->repw, c->repw, n * sizeof *a->repw) != 0);
    built_free(a);
    built_free(b);
    built_free(c);
}

/* Per replicate and stratum, the PSUs' draw counts (factor, or factor
 * (n_h - 1) / n_h for the subbootstrap) sum to n_h (bootstrap) or n_h - 1
 * (subbootstrap); all rows of a PSU share their factor. */
static void check_draws(const built_t *b, int sub)
{
    table_t *d = table_open("tests/data/r/nhanes.csv");
    size_t cs = table_col(d, "SDMVSTRA"), cp = table_col(d, "SDMVPSU");
    for (size_t r = 0; r < b->R; r++) {
        double f_of[100][4], sum[100] = {0};
        int n_h[100] = {0}, seen[100][4] = {{0}};
        for (size_t i = 0; i < b->n_rows; i++) {
            int s = (int)table_num(d, i, cs) - 70, p = (int)table_num(d, i, cp);
            double f = b->repw[i * b->R + r] / b->w[i];
            if (!seen[s][p]) {
                seen[s][p] = 1;
                f_of[s][p] = f;
                n_h[s]++;
                sum[s] += f;
            }
            assert_close(f, f_of[s][p], 1e-12, 1e-12);
        }
        for (int s = 0; s < 100; s++) {
            if (!n_h[s])
                continue;
            double draws = sub ? sum[s] * (n_h[s] - 1) / n_h[s] : sum[s];
            assert_close(draws, sub ? n_h[s] - 1 : n_h[s], 1e-12, 1e-12);
        }
    }
    table_close(d);
}

static void test_bootstrap_draws(void **state)
{
    (void)state;
    built_t *b = boot(GRAFT_REPMETHOD_BOOTSTRAP, 30, 3);
    check_draws(b, 0);
    built_free(b);
    b = boot(GRAFT_REPMETHOD_SUBBOOTSTRAP, 30, 3);
    check_draws(b, 1);
    built_free(b);
}

/* The mean of many replicate weights is close to the weight: each PSU is
 * drawn once per replicate on average (a loose check, deterministic with
 * the fixed seed). */
static void test_bootstrap_mean(void **state)
{
    (void)state;
    for (int sub = 0; sub < 2; sub++) {
        built_t *b = boot(sub ? GRAFT_REPMETHOD_SUBBOOTSTRAP
                              : GRAFT_REPMETHOD_BOOTSTRAP,
                          2000, 11);
        for (size_t i = 0; i < b->n_rows; i += 97) {
            double m = 0;
            for (size_t r = 0; r < b->R; r++)
                m += b->repw[i * b->R + r] / (double)b->R;
            assert_close(m, b->w[i], 0.1, 0);
        }
        built_free(b);
    }
}

/* With an fpc, R draws n_h of the pseudo-population without replacement:
 * a stratum sampled whole keeps every PSU once. */
static void test_bootstrap_fpc(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("w", "h", NULL, "N", 0);
    graft_replicate_opts_t o;
    graft_replicate_opts_init(&o);
    o.method = GRAFT_REPMETHOD_BOOTSTRAP;
    o.replicates = 200;
    built_t *b = build_opts(FIX "fpc_rows.csv", &s, &o, 0);
    table_t *d = table_open(FIX "fpc_rows.csv");
    size_t ch = table_col(d, "h");
    for (size_t r = 0; r < b->R; r++) {
        double sum[3] = {0};
        for (size_t i = 0; i < b->n_rows; i++) {
            int h = d->cells[i * d->ncols + ch][0] - 'a';
            double f = b->repw[i * b->R + r] / b->w[i];
            sum[h] += f;
            if (h == 2)
                assert_close(f, 1, 0, 0);
            else /* 20 / 4 and 50 / 5 copies: at most 4 or 5 of each */
                assert_true(f <= (h ? 5 : 4));
        }
        assert_close(sum[0], 4, 0, 0);
        assert_close(sum[1], 5, 0, 0);
    }
    table_close(d);
    built_free(b);
}

/* ---- errors through the library ---------------------------------------------- */

static void expect_plan_error(const char *path, graft_design_spec_t *s,
                              graft_repmethod_t m, graft_error_t code,
                              const char *msg)
{
    graft_replicate_opts_t o;
    graft_replicate_opts_init(&o);
    o.method = m;
    built_t *b = build_opts(path, s, &o, 1);
    assert_int_equal(b->rc, code);
    assert_string_equal(b->diag.msg, msg);
    built_free(b);
}

static void test_method_errors(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("w", "s", "p", NULL, 1);
    expect_plan_error(FIX "lonely.csv", &s, GRAFT_REPMETHOD_BRR,
                      GRAFT_ERR_DESIGN_VALUE,
                      "BRR needs 2 PSUs in every stratum (R splits an even "
                      "number into pairs); stratum '1' has 3");
    expect_plan_error(FIX "lonely.csv", &s, GRAFT_REPMETHOD_SUBBOOTSTRAP,
                      GRAFT_ERR_DESIGN_VALUE,
                      "subbootstrap needs 2 or more PSUs in every stratum; "
                      "stratum '2' has 1");
    expect_plan_error(FIX "lonely.csv", &s, GRAFT_REPMETHOD_JK1,
                      GRAFT_ERR_USAGE,
                      "--type jk1 is for unstratified designs (R: \"Can't use "
                      "JK1 for a stratified design\"); use jkn");
    s = spec_of("w", NULL, "p", NULL, 0);
    expect_plan_error(FIX "lonely.csv", &s, GRAFT_REPMETHOD_JKN,
                      GRAFT_ERR_USAGE,
                      "--type jkn needs strata (R: \"Must use JK1 or "
                      "bootstrap for an unstratified design\")");
    s = spec_of("w", NULL, "p", NULL, 0);
    expect_plan_error(FIX "one_psu.csv", &s, GRAFT_REPMETHOD_JK1,
                      GRAFT_ERR_DESIGN_VALUE,
                      "--type jk1 needs 2 or more PSUs; the design has 1");
    s = spec_of("w", "h", "h", NULL, 0);
    s.lonely = GRAFT_LONELY_REMOVE;
    expect_plan_error(FIX "fpc_rows.csv", &s, GRAFT_REPMETHOD_JKN,
                      GRAFT_ERR_DESIGN_VALUE,
                      "no replicates: every stratum was sampled whole (fpc) "
                      "or is a single-PSU stratum left out (R: \"All strata "
                      "were exhaustively sampled\")");
}

/* A bootstrap with every stratum a single PSU has R's scale m / (m - 1)
 * with m = 1. */
static void test_bootstrap_all_lonely(void **state)
{
    (void)state;
    graft_design_spec_t s = spec_of("w", "h", "h", NULL, 0);
    expect_plan_error(FIX "fpc_rows.csv", &s, GRAFT_REPMETHOD_BOOTSTRAP,
                      GRAFT_ERR_DESIGN_VALUE,
                      "bootstrap needs a stratum with 2 or more PSUs");
}

/* ---- the command line ---------------------------------------------------------- */

static spawn_result_t RUN;

/* Run graft with the NULL-terminated arguments; fill RUN. */
static void run(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    spawn_graft_v(&RUN, arg, ap);
    va_end(ap);
}

/* The output and its survey file, in this process's temporary directory. */
#define OUT test_tmp("graft_rep_test.csv")
#define OUT_INI test_tmp("graft_rep_test.ini")
#define L FIX "lonely.csv"

static void clean(void)
{
    unlink(OUT);
    unlink(OUT_INI);
}

/* The run failed with CODE and exactly MSG, and left no output. */
static void expect_error(int code, const char *msg)
{
    spawn_expect_error(&RUN, code, msg);
    assert_false(test_file_exists(OUT));
    assert_false(test_file_exists(OUT_INI));
}

#define DESIGN "--weight", "w", "--strata", "s", "--psu", "p", "--nest"

static void test_cli_usage_errors(void **state)
{
    (void)state;
    clean();
    run("replicate", L, DESIGN, "-o", OUT, NULL);
    expect_error(64, "replicate: --type is required: jk1, jkn, brr, fay, "
                     "bootstrap or subbootstrap");
    run("replicate", L, DESIGN, "--type", "jackknife", "-o", OUT, NULL);
    expect_error(64, "replicate: --type: 'jackknife' is not one of jk1, jkn, "
                     "brr, fay, bootstrap, subbootstrap");
    run("replicate", L, DESIGN, "--type", "jkn", NULL);
    expect_error(64, "replicate: give -o FILE (the survey file is written "
                     "beside it)");
    run("replicate", L, DESIGN, "--type", "bootstrap", "--replicates", "1",
        "-o", OUT, NULL);
    expect_error(64, "replicate: --replicates: '1' is not an integer from 2 "
                     "to 10000");
    run("replicate", L, DESIGN, "--type", "bootstrap", "--replicates", "5x",
        "-o", OUT, NULL);
    expect_error(64, "replicate: --replicates: '5x' is not an integer from 2 "
                     "to 10000");
    run("replicate", L, DESIGN, "--type", "bootstrap", "--seed",
        "4294967296", "-o", OUT, NULL);
    expect_error(64, "replicate: --seed: '4294967296' is not an integer from "
                     "0 to 4294967295");
    run("replicate", L, DESIGN, "--type", "bootstrap", "--seed", "-1", "-o",
        OUT, NULL);
    expect_error(64, "replicate: --seed: '-1' is not an integer from 0 to "
                     "4294967295");
    run("replicate", L, DESIGN, "--type", "fay", "--rho", "1", "-o", OUT,
        NULL);
    expect_error(64, "replicate: --rho: '1' is not a number between 0 and 1 "
                     "(both excluded)");
    run("replicate", L, DESIGN, "--type", "fay", "-o", OUT, NULL);
    expect_error(64, "replicate: --type fay needs --rho (R's default "
                     "fay.rho = 0 is plain BRR)");
    run("replicate", L, DESIGN, "--type", "jkn", "--rho", "0.5", "-o", OUT,
        NULL);
    expect_error(64, "replicate: --rho is for --type fay");
    run("replicate", L, DESIGN, "--type", "jkn", "--replicates", "10", "-o",
        OUT, NULL);
    expect_error(64, "replicate: --replicates is for --type bootstrap and "
                     "subbootstrap (jkn has its own number of replicates)");
    run("replicate", L, DESIGN, "--type", "brr", "--seed", "3", "-o", OUT,
        NULL);
    expect_error(64, "replicate: --seed is for --type bootstrap and "
                     "subbootstrap (brr draws nothing)");
    run("replicate", L, DESIGN, "--type", "jkn", "--id", "p", "-o", OUT,
        NULL);
    expect_error(64, "replicate: --id is for --only-weights");
    run("replicate", L, DESIGN, "--type", "jkn", "--format", "json", "-o",
        OUT, NULL);
    expect_error(64, "replicate: --format: 'json': replicate writes CSV");
    run("replicate", L, DESIGN, "--type", "jkn", "--reptype", "jkn", "-o",
        OUT, NULL);
    expect_error(64, "replicate: --repweights, --reptype, --scale, --rscales "
                     "and --mse describe existing replicate weights; "
                     "replicate makes them (--type)");
}

static void test_cli_design_errors(void **state)
{
    (void)state;
    clean();
    run("replicate", L, DESIGN, "--type", "brr", "-o", OUT, NULL);
    expect_error(65, L ": BRR needs 2 PSUs in every stratum (R splits an "
                     "even number into pairs); stratum '1' has 3");
    run("replicate", L, DESIGN, "--type", "jkn", "-o", OUT, NULL);
    expect_error(65, L ": stratum '2' has a single PSU; choose --lonely-psu "
                     "remove, certainty, adjust or average");
    run("replicate", L, DESIGN, "--type", "subbootstrap", "-o", OUT, NULL);
    expect_error(65, L ": subbootstrap needs 2 or more PSUs in every "
                     "stratum; stratum '2' has 1");
    run("replicate", L, DESIGN, "--type", "jk1", "-o", OUT, NULL);
    expect_error(64, "--type jk1 is for unstratified designs (R: \"Can't use "
                     "JK1 for a stratified design\"); use jkn");
    run("replicate", L, "--weight", "w", "--psu", "p", "--type", "brr", "-o",
        OUT, NULL);
    expect_error(64, "--type brr needs strata (R: \"Must use JK1 or "
                     "bootstrap for an unstratified design\")");
    run("replicate", L, "--weight", "wt", "--type", "jk1", "-o", OUT, NULL);
    expect_error(65, L ": unknown column 'wt' in --weight (did you mean "
                     "'w'?)");
    run("replicate", FIX "one_psu.csv", "--weight", "w", "--psu", "p",
        "--type", "jk1", "-o", OUT, NULL);
    expect_error(65, FIX "one_psu.csv: --type jk1 needs 2 or more PSUs; the "
                     "design has 1");
    run("replicate", "tests/data/cli/weight_negative.csv", "--weight", "w",
        "--type", "jk1", "-o", OUT, NULL);
    assert_int_equal(RUN.status, 65);
    assert_false(test_file_exists(OUT));
    assert_false(test_file_exists(OUT_INI));
}

static void test_cli_output_errors(void **state)
{
    (void)state;
    clean();
    char msg[1024];
    run("replicate", L, DESIGN, "--type", "jkn", "--lonely-psu", "adjust",
        "-o", OUT_INI, NULL);
    snprintf(msg, sizeof msg, "-o '%s': the output must be a data file (the "
             "survey file is written beside it)", OUT_INI);
    expect_error(64, msg);
    run("replicate", L, DESIGN, "--type", "jkn", "--lonely-psu", "adjust",
        "--prefix", "rep-w", "-o", OUT, NULL);
    expect_error(64, "--prefix 'rep-w': use letters, digits, '_' and '.'");
    run("replicate", L, DESIGN, "--type", "jkn", "--lonely-psu", "adjust",
        "-o", L, NULL);
    expect_error(64, "-o '" L "' would overwrite the input");
    run("replicate", "tests/data/r/apiclus1.csv", "--weight", "pw", "--psu",
        "dnum", "--type", "jk1", "--prefix", "acs.k", "-o", OUT, NULL);
    expect_error(64, "tests/data/r/apiclus1.csv:1:24: column 'acs.k3' would "
                     "clash with the replicate weights acs.k1..acs.k15; "
                     "choose another --prefix");
    run("replicate", L, DESIGN, "--type", "jkn", "--lonely-psu", "adjust",
        "--only-weights", "--id", "ww", "-o", OUT, NULL);
    expect_error(65, L ": --id given for unknown column 'ww' (did you mean "
                     "'w'?)");
    run("replicate", L, DESIGN, "--type", "jkn", "--lonely-psu", "adjust",
        "-o", "/nonexistent/dir/out.csv", NULL);
    assert_int_equal(RUN.status, 74);
    assert_false(test_file_exists("/nonexistent/dir/out.ini"));
}

static char file_buf[1 << 16];

static const char *read_text(const char *path)
{
    spawn_slurp(path, file_buf, sizeof file_buf);
    return file_buf;
}

static const char lonely_ini[] =
    "[survey]\n"
    "data = graft_rep_test.csv\n"
    "delim = ,\n"
    "\n"
    "[design]\n"
    "; jkn replicates of the design: strata = s, psu = p (nested)\n"
    "weight = w\n"
    "repweights = repw[0-9]+\n"
    "reptype = jkn\n"
    "scale = 1\n"
    "rscales = 0.5, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 0.75, "
    "0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 0.8\n"
    "mse = false\n";

/* The CSV is the input plus repw1..repwR; the weights are the library's;
 * the survey file is exactly as documented and loads back. */
static void test_cli_output(void **state)
{
    (void)state;
    clean();
    run("replicate", L, DESIGN, "--type", "jkn", "--lonely-psu", "adjust",
        "-o", OUT, NULL);
    assert_int_equal(RUN.status, 0);
    assert_string_equal(RUN.err, "");
    const char *ini = strchr(read_text(OUT_INI), '\n') + 1; /* the command */
    assert_string_equal(ini, lonely_ini);
    table_t *in = table_open(L), *out = table_open(OUT);
    graft_design_spec_t s = spec_of("w", "s", "p", NULL, 1);
    s.lonely = GRAFT_LONELY_ADJUST;
    built_t *b = build(L, &s, GRAFT_REPMETHOD_JKN);
    assert_int_equal(out->ncols, in->ncols + b->R);
    assert_int_equal(out->nrows, in->nrows);
    assert_string_equal(out->names[in->ncols], "repw1");
    for (size_t i = 0; i < in->nrows; i++) {
        for (size_t c = 0; c < in->ncols; c++)
            assert_string_equal(out->cells[i * out->ncols + c],
                                in->cells[i * in->ncols + c]);
        for (size_t r = 0; r < b->R; r++)
            assert_true(table_num(out, i, in->ncols + r) ==
                        b->repw[i * b->R + r]);
    }
    graft_survey_t *sv = NULL;
    graft_diag_t diag;
    graft_diag_clear(&diag);
    if (graft_survey_load(OUT_INI, &sv, &diag) != GRAFT_OK)
        fail_msg("%s", diag.msg);
    assert_string_equal(sv->design.weight, "w");
    assert_string_equal(sv->design.rep.columns, "repw[0-9]+");
    assert_int_equal(sv->design.rep.type, GRAFT_REP_JKN);
    assert_close(sv->design.rep.scale, 1, 0, 0);
    assert_int_equal(sv->design.rep.n_rscales, b->R);
    for (size_t r = 0; r < b->R; r++)
        assert_true(sv->design.rep.rscales[r] ==
                    graft_replicate_rscales(b->r)[r]);
    graft_survey_free(sv);
    built_free(b);
    table_close(in);
    table_close(out);
    clean();
}

static void test_cli_only_weights(void **state)
{
    (void)state;
    clean();
    run("replicate", L, DESIGN, "--type", "jkn", "--lonely-psu", "remove",
        "--only-weights", "--prefix", "jk_", "-o", OUT, NULL);
    assert_int_equal(RUN.status, 0);
    table_t *out = table_open(OUT);
    assert_int_equal(out->ncols, 2 + 11);
    assert_string_equal(out->names[0], "s");
    assert_string_equal(out->names[1], "w");
    assert_string_equal(out->names[2], "jk_1");
    assert_non_null(strstr(read_text(OUT_INI), "repweights = jk_[0-9]+\n"));
    table_close(out);
    run("replicate", L, DESIGN, "--type", "jkn", "--lonely-psu", "remove",
        "--only-weights", "--id", "w", "-o", OUT, NULL);
    assert_int_equal(RUN.status, 0);
    out = table_open(OUT);
    assert_int_equal(out->ncols, 1 + 11);
    assert_string_equal(out->names[0], "w");
    table_close(out);
    clean();
}

/* A survey file in: name, round, year, missing codes and labels carried
 * over; the output reads back as a replicate design. */
static void test_cli_survey_file(void **state)
{
    (void)state;
    clean();
    run("replicate", "surveys/demo/round1.ini", "--type", "jkn", "-o", OUT,
        NULL);
    assert_int_equal(RUN.status, 0);
    const char *ini = read_text(OUT_INI);
    assert_non_null(strstr(ini, "\nname = Demo bribery-experience survey\n"
                                "round = Round 1\nyear = 2023\n"
                                "data = graft_rep_test.csv\n"));
    assert_non_null(strstr(ini, "\n[missing]\ncontact_police = 8, 9\n"));
    assert_non_null(strstr(ini, "\n[labels.zone]\n1 = North\n"));
    assert_non_null(strstr(ini, "\nreptype = jkn\n"));
    graft_survey_t *sv = NULL;
    graft_diag_t diag;
    graft_diag_clear(&diag);
    if (graft_survey_load(OUT_INI, &sv, &diag) != GRAFT_OK)
        fail_msg("%s", diag.msg);
    assert_string_equal(sv->round, "Round 1");
    assert_int_equal(sv->n_missing, 18);
    graft_survey_free(sv);
    /* A replicate design cannot be replicated again. */
    run("replicate", OUT_INI, "--type", "jkn", "-o", test_tmp("rep2.csv"),
        NULL);
    assert_int_equal(RUN.status, 64);
    char want[1024];
    snprintf(want, sizeof want, "graft: %s: the design already has "
             "replicate weights (repweights = repw[0-9]+)\n", OUT);
    assert_string_equal(RUN.err, want);
    assert_false(test_file_exists(test_tmp("rep2.csv")));
    clean();
}

/* SPSS in: numbers in the shortest text that reads back, labels kept. */
static void test_cli_sav(void **state)
{
    (void)state;
    clean();
    run("replicate", "tests/data/stat/survey.sav", "--weight", "wt",
        "--type", "jk1", "-o", OUT, NULL);
    assert_int_equal(RUN.status, 0);
    const char *csv = read_text(OUT);
    assert_non_null(strstr(csv, "\n401962,150.45900285791663,"
                                "0.8081629296764732,5,0,53.9,Tunis,TN,"));
    assert_non_null(strstr(read_text(OUT_INI),
                           "\n[labels.region]\n1 = Great Tunis\n"));
    clean();
}

static void test_cli_bootstrap_bytes(void **state)
{
    (void)state;
    static char first[1 << 16];
    clean();
    run("replicate", L, DESIGN, "--type", "bootstrap", "--replicates", "7",
        "--seed", "99", "-o", OUT, NULL);
    assert_int_equal(RUN.status, 0);
    snprintf(first, sizeof first, "%s", read_text(OUT));
    assert_non_null(strstr(read_text(OUT_INI),
                           "; 7 replicates, gsl_rng_mt19937 seed 99\n"));
    run("replicate", L, DESIGN, "--type", "bootstrap", "--replicates", "7",
        "--seed", "99", "-o", OUT, NULL);
    assert_int_equal(RUN.status, 0);
    assert_string_equal(read_text(OUT), first);
    clean();
}

static void test_cli_fpc_warning(void **state)
{
    (void)state;
    clean();
    run("replicate", FIX "brr.csv", "--weight", "wt", "--strata", "stratum",
        "--psu", "psu", "--nest", "--fpc", "N", "--type", "brr", "-o", OUT,
        NULL);
    assert_int_equal(RUN.status, 0);
    assert_string_equal(RUN.err, "graft: warning: --type brr leaves out the "
                                 "fpc 'N', as R's as.svrepdesign does\n");
    assert_non_null(strstr(read_text(OUT_INI),
                           "fpc = N (left out, as R leaves it out)\n"));
    clean();
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jk1_apiclus1),
        cmocka_unit_test(test_jkn_nhanes),
        cmocka_unit_test(test_jkn_lonely_adjust),
        cmocka_unit_test(test_jkn_lonely_average),
        cmocka_unit_test(test_jkn_lonely_remove),
        cmocka_unit_test(test_jkn_lonely_certainty),
        cmocka_unit_test(test_jkn_lonely_fail),
        cmocka_unit_test(test_jkn_fpc_rows),
        cmocka_unit_test(test_brr),
        cmocka_unit_test(test_fay),
        cmocka_unit_test(test_brr_textbook_variance),
        cmocka_unit_test(test_brr_halves),
        cmocka_unit_test(test_hadamard_matches_r),
        cmocka_unit_test(test_hadamard_orthogonal),
        cmocka_unit_test(test_r_number),
        cmocka_unit_test(test_bootstrap_scale),
        cmocka_unit_test(test_bootstrap_deterministic),
        cmocka_unit_test(test_bootstrap_draws),
        cmocka_unit_test(test_bootstrap_mean),
        cmocka_unit_test(test_bootstrap_fpc),
        cmocka_unit_test(test_method_errors),
        cmocka_unit_test(test_bootstrap_all_lonely),
        cmocka_unit_test(test_cli_usage_errors),
        cmocka_unit_test(test_cli_design_errors),
        cmocka_unit_test(test_cli_output_errors),
        cmocka_unit_test(test_cli_output),
        cmocka_unit_test(test_cli_only_weights),
        cmocka_unit_test(test_cli_survey_file),
        cmocka_unit_test(test_cli_sav),
        cmocka_unit_test(test_cli_bootstrap_bytes),
        cmocka_unit_test(test_cli_fpc_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
