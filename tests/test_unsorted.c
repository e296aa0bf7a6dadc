/*
 * test_unsorted.c - estimates from files whose rows come in any order.
 *
 * graft keeps each PSU's sums in a store (stats/psu_store.h: a block per
 * (domain, round) the PSU has rows in) and adds them to the strata at the
 * end, PSU by PSU in order of first appearance; a file grouped by PSU
 * streams once the store passes its budget (graft_estimate_opts_t.
 * psu_budget).  Here:
 *   - random designs (strata with nested or unique PSUs, lonely PSUs under
 *     each policy, fpc, two by-sets, two rounds and their contrast,
 *     proportions with 'among', means and totals) give the same numbers
 *     grouped by PSU, shuffled and interleaved, to 1e-12;
 *   - R's references (tests/ref/estimate_*.csv) hold for shuffled copies
 *     of the bundled data, which also agree with the files as they are;
 *   - a file grouped by PSU gives the same numbers, bit for bit, whether
 *     it streams at once, past a small budget, at the default or never;
 *   - each file is read once (bytes counted through the progress callback;
 *     a FIFO), except a file grouped by PSU for the whole budget whose
 *     PSUs then come back: read twice, with the numbers of keeping every
 *     PSU (a FIFO, which cannot be read twice, keeps every PSU at once);
 *   - the store: blocks per slot, pointers that stay, its bytes.
 */
#include "test_table.h"
#include "stats/psu_store.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

/* ---- random designs ---------------------------------------------------- */

typedef struct rrow {
    int h, psu, N;  /* stratum, PSU (1, 2, ... within it), fpc */
    int g1;         /* by columns: g1 in 1..3, g2 "a", "b" or missing */
    const char *g2;
    double w, x;    /* weight (sometimes 0), value (NaN: missing) */
    int y, dom;
} rrow_t;

#define MAX_ROWS 1000

typedef struct rdata {
    rrow_t rows[MAX_ROWS];
    size_t n;
} rdata_t;

/* A round: 3-8 strata of 1-8 PSUs (single-PSU strata happen), 1-15 rows
 * per PSU, each PSU with its own level of y and x. */
static void make_round(gsl_rng *rng, rdata_t *D)
{
    D->n = 0;
    int H = 3 + (int)gsl_rng_uniform_int(rng, 6);
    for (int h = 1; h <= H; h++) {
        int n_h = 1 + (int)gsl_rng_uniform_int(rng, 8);
        int N = n_h + 1 + (int)gsl_rng_uniform_int(rng, 20);
        for (int j = 1; j <= n_h; j++) {
            int m = 1 + (int)gsl_rng_uniform_int(rng, 15);
            double p = gsl_rng_uniform(rng);
            double level = 1 + 50 * gsl_rng_uniform(rng);
            for (int i = 0; i < m; i++) {
                rrow_t *r = &D->rows[D->n++];
                double u = gsl_rng_uniform(rng);
                r->h = h;
                r->psu = j;
                r->N = N;
                r->g1 = 1 + (int)gsl_rng_uniform_int(rng, 3);
                r->g2 = u < 0.45 ? "a" : u < 0.9 ? "b" : "";
                r->w = gsl_rng_uniform(rng) < 0.05
                           ? 0
                           : 0.5 + 49.5 * gsl_rng_uniform(rng);
                r->x = gsl_rng_uniform(rng) < 0.05
                           ? NAN
                           : level * (0.5 + gsl_rng_uniform(rng));
                r->y = gsl_rng_uniform(rng) < p;
                r->dom = gsl_rng_uniform(rng) < 0.9;
            }
        }
    }
}

/* Write D's rows in ORDER to PATH; PSU ids are numbers within their
 * stratum (NESTED, for --nest) or unique strings. */
static void write_round(const char *path, const rdata_t *D,
                        const size_t *order, int nested)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("h,psu,N,g1,g2,w,x,y,dom\n", f);
    for (size_t i = 0; i < D->n; i++) {
        const rrow_t *r = &D->rows[order[i]];
        if (nested)
            fprintf(f, "%d,%d,", r->h, r->psu);
        else
            fprintf(f, "%d,EA-%d-%d,", r->h, r->h, r->psu);
        fprintf(f, "%d,%d,%s,%.17g,", r->N, r->g1, r->g2, r->w);
        if (isnan(r->x))
            fputs(",", f);
        else
            fprintf(f, "%.17g,", r->x);
        fprintf(f, "%d,%d\n", r->y, r->dom);
    }
    assert_int_equal(fclose(f), 0);
}

enum { GROUPED, SHUFFLED, INTERLEAVED, N_ORDERS };

/* The rows of D in order KIND: as made (grouped by PSU), shuffled, or
 * interleaved (the first row of every PSU, then every second row, ...:
 * no two rows of a PSU together). */
static void make_order(gsl_rng *rng, const rdata_t *D, int kind,
                       size_t *order)
{
    size_t n = 0;
    if (kind != INTERLEAVED) {
        for (size_t i = 0; i < D->n; i++)
            order[n++] = i;
        if (kind == SHUFFLED)
            gsl_ran_shuffle(rng, order, D->n, sizeof *order);
        return;
    }
    for (size_t rank = 0; n < D->n; rank++)
        for (size_t i = 0, in_psu = 0; i < D->n; i++) {
            in_psu = i > 0 && D->rows[i].h == D->rows[i - 1].h &&
                             D->rows[i].psu == D->rows[i - 1].psu
                         ? in_psu + 1
                         : 0;
            if (in_psu == rank)
                order[n++] = i;
        }
}

/* ---- reads, counted ----------------------------------------------------- */

/* graft_read_opts_t.progress gives the bytes read so far; a read that
 * starts again from the beginning shows fewer bytes than the last call
 * (the files are larger than the reader's chunk). */
typedef struct reads {
    size_t n;     /* reads seen */
    size_t bytes; /* bytes read, all reads together */
    size_t last;  /* bytes of the last read */
} reads_t;

static void count_reads_fn(void *arg, size_t bytes, size_t total,
                           size_t rows)
{
    reads_t *r = arg;
    (void)total;
    (void)rows;
    if (r->n == 0 || bytes < r->last) {
        r->n++;
        r->last = 0;
    }
    r->bytes += bytes - r->last;
    r->last = bytes;
}

static size_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (size_t)st.st_size;
}

/* ---- comparing two results ---------------------------------------------- */

/* The largest relative difference seen between two orders of the rows,
 * and where. */
static double WORST;
static char WORST_WHAT[160];

/* A and B agree: the same bits when TOL is 0, else to TOL relative to the
 * larger of |A|, |B| and SCALE (NaN agrees with NaN). */
static void agree(const char *what, size_t row, double a, double b,
                  double scale, double tol)
{
    if (memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)))
        return;
    double rel = fabs(a - b) / fmax(fmax(fabs(a), fabs(b)), scale);
    if (tol > 0 && rel > WORST) {
        WORST = rel;
        snprintf(WORST_WHAT, sizeof WORST_WHAT, "%s of row %zu: %.17g, %.17g",
                 what, row, a, b);
    }
    if (!(rel <= tol))
        fail_msg("row %zu %s: %.17g and %.17g (relative %.3g, tolerance %g)",
                 row, what, a, b, rel, tol);
}

/* The same rows in A and B: every number to TOL (0: bit for bit), df,
 * counts and flags exactly. */
static void same_rows(const graft_estimates_t *a, const graft_estimates_t *b,
                      double tol)
{
    assert_int_equal(a->n_rows, b->n_rows);
    for (size_t i = 0; i < a->n_rows; i++) {
        const graft_estimate_row_t *x = &a->rows[i], *y = &b->rows[i];
        assert_int_equal(x->indicator, y->indicator);
        assert_int_equal(x->round, y->round);
        assert_int_equal(x->by_set, y->by_set);
        if (x->by_set != (size_t)-1)
            for (size_t j = 0; j < a->opts->by[x->by_set].n_columns; j++)
                assert_string_equal(x->by_codes[j], y->by_codes[j]);
        agree("estimate", i, x->estimate, y->estimate, 0, tol);
        agree("se", i, x->se, y->se, 0, tol);
        agree("ci_low", i, x->ci_low, y->ci_low, fabs(x->estimate), tol);
        agree("ci_high", i, x->ci_high, y->ci_high, fabs(x->estimate), tol);
        agree("df", i, x->df, y->df, 0, 0);
        agree("deff", i, x->deff, y->deff, 0, tol);
        agree("cv", i, x->cv, y->cv, 0, tol);
        agree("n_eff", i, x->n_eff, y->n_eff, 0, tol);
        agree("weighted_n", i, x->weighted_n, y->weighted_n, 0, tol);
        assert_int_equal(x->n, y->n);
        assert_int_equal(x->n_missing, y->n_missing);
        assert_string_equal(x->flag, y->flag);
    }
}

/* The same results in A and B: rows, contrasts (a difference to TOL of
 * its indicator's largest estimate) and the design's counts. */
static void same_estimates(const graft_estimates_t *a,
                           const graft_estimates_t *b, double tol)
{
    same_rows(a, b, tol);
    assert_int_equal(a->n_contrasts, b->n_contrasts);
    for (size_t i = 0; i < a->n_contrasts; i++) {
        const graft_contrast_row_t *x = &a->contrasts[i], *y = &b->contrasts[i];
        double scale = 0;
        for (size_t r = 0; r < a->n_rows; r++)
            if (a->rows[r].indicator == x->indicator && isfinite(a->rows[r].estimate))
                scale = fmax(scale, fabs(a->rows[r].estimate));
        assert_int_equal(x->indicator, y->indicator);
        assert_int_equal(x->by_set, y->by_set);
        agree("contrast", i, x->estimate, y->estimate, scale, tol);
        agree("contrast se", i, x->se, y->se, 0, tol);
        agree("contrast df", i, x->df, y->df, 0, 0);
        assert_int_equal(x->first_empty, y->first_empty);
    }
    assert_int_equal(a->design.n_psu, b->design.n_psu);
    assert_int_equal(a->design.n_strata, b->design.n_strata);
    assert_int_equal(a->design.df, b->design.df);
    assert_int_equal(a->design.n_rows, b->design.n_rows);
}

/* ---- running the estimator --------------------------------------------- */

static const graft_indicator_spec_t INDS[] = {
    {.type = GRAFT_IND_PROP, .name = "p_y", .expr = "y == 1",
     .among = "dom == 1"},
    {.type = GRAFT_IND_MEAN, .name = "m_x", .expr = "x"},
    {.type = GRAFT_IND_TOTAL, .name = "t_x", .expr = "x", .among = "dom == 1"},
    {.type = GRAFT_IND_PROP, .name = "p_x", .expr = "x > 25"},
    {.type = GRAFT_IND_TOTAL, .name = "t_y", .expr = "y"},
};
#define N_INDS (sizeof INDS / sizeof INDS[0])

static const graft_by_spec_t BY[] = {{{"g1"}, 1}, {{"g1", "g2"}, 2}};
static const double COEF[] = {-1, 1};
static const graft_contrast_spec_t CONTRAST = {COEF, 0};

/* How to estimate: the design's settings and the options that vary. */
typedef struct setup {
    int nested, fpc, df_design;
    graft_lonely_t lonely;
    size_t budget;      /* psu_budget */
    size_t chunk;       /* the reader's chunk size (0: its default) */
    void *progress_arg; /* count_reads' (NULL: none) */
} setup_t;

/* Estimate the rounds at PATHS[0 .. N) under S. */
static graft_estimates_t *run_rounds(const char *const *paths, size_t n,
                                     const setup_t *S)
{
    static graft_indicator_spec_t inds[N_INDS];
    graft_design_spec_t spec;
    graft_design_spec_init(&spec);
    spec.weight = "w";
    spec.strata[0] = "h";
    spec.n_strata = 1;
    spec.psu = "psu";
    spec.nest = S->nested;
    spec.fpc = S->fpc ? "N" : NULL;
    spec.lonely = S->lonely;
    for (size_t k = 0; k < N_INDS; k++) {
        inds[k] = INDS[k];
        inds[k].expr_src = inds[k].among_src = (graft_source_t){"expr", 1, 1};
    }
    static graft_estimate_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.indicators = inds;
    opts.n_indicators = N_INDS;
    opts.by = BY;
    opts.n_by = 2;
    opts.ci = GRAFT_CI_LOGIT;
    opts.level = 0.95;
    opts.df_mode = S->df_design ? GRAFT_DF_DESIGN : GRAFT_DF_DOMAIN;
    opts.contrasts = n > 1 ? &CONTRAST : NULL;
    opts.n_contrasts = n > 1;
    opts.psu_budget = S->budget;
    graft_read_opts_t read = {0};
    read.chunk_size = S->chunk;
    read.progress = S->progress_arg ? count_reads_fn : NULL;
    read.progress_arg = S->progress_arg;
    graft_round_t rounds[2];
    for (size_t q = 0; q < n; q++)
        rounds[q] = (graft_round_t){paths[q], &read, &spec, NULL, 0};
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    graft_error_t rc = graft_estimate_rounds(rounds, n, 0, &opts, &e, &diag);
    if (rc != GRAFT_OK) {
        char buf[2200];
        fail_msg("%s: %s", paths[0], graft_diag_format(&diag, buf, sizeof buf));
    }
    return e;
}

static const graft_lonely_t LONELY[] = {GRAFT_LONELY_ADJUST,
                                        GRAFT_LONELY_REMOVE,
                                        GRAFT_LONELY_CERTAINTY,
                                        GRAFT_LONELY_AVERAGE};

/* The settings of random design REP: nested numbers or unique strings as
 * PSU ids, fpc or not, each lonely-PSU policy, domain or design df. */
static setup_t random_setup(int rep)
{
    setup_t S = {0};
    S.nested = rep % 2;
    S.fpc = rep % 3 == 0;
    S.df_design = rep % 5 == 0;
    S.lonely = LONELY[rep % 4];
    return S;
}

/* Write round Q of D in order KIND to its own file; returns its path. */
static const char *round_file(gsl_rng *rng, const rdata_t *D, size_t q,
                              int kind, int nested)
{
    static char paths[2][N_ORDERS][512];
    static size_t order[MAX_ROWS];
    char name[32];
    snprintf(name, sizeof name, "round%zu_%d.csv", q, kind);
    snprintf(paths[q][kind], sizeof paths[q][kind], "%s", test_tmp(name));
    make_order(rng, D, kind, order);
    write_round(paths[q][kind], D, order, nested);
    return paths[q][kind];
}

/* ---- the same numbers in any order ------------------------------------- */

/* Two rounds of a random design, grouped by PSU, shuffled and interleaved:
 * the same estimates, SEs, intervals, df, flags and contrasts to 1e-12. */
static void test_any_order(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261205);
    static rdata_t D[2];
    size_t rows = 0;
    WORST = 0;
    for (int rep = 0; rep < 80; rep++) {
        setup_t S = random_setup(rep);
        make_round(rng, &D[0]);
        make_round(rng, &D[1]);
        graft_estimates_t *e[N_ORDERS];
        for (int kind = 0; kind < N_ORDERS; kind++) {
            const char *paths[2];
            for (size_t q = 0; q < 2; q++)
                paths[q] = round_file(rng, &D[q], q, kind, S.nested);
            e[kind] = run_rounds(paths, 2, &S);
        }
        same_estimates(e[GROUPED], e[SHUFFLED], 1e-12);
        same_estimates(e[GROUPED], e[INTERLEAVED], 1e-12);
        rows += e[GROUPED]->n_rows + e[GROUPED]->n_contrasts;
        for (int kind = 0; kind < N_ORDERS; kind++)
            graft_estimates_free(e[kind]);
    }
    gsl_rng_free(rng);
    printf("  80 designs, %zu rows and contrasts in 3 orders; largest "
           "relative difference %.3g (%s)\n",
           rows, WORST, WORST_WHAT);
}

/* A file grouped by PSU: the same numbers, bit for bit, whether the pass
 * keeps every PSU to the end, streams from the second PSU, streams past
 * a budget reached mid-file, or takes the default budget; each file read
 * once. */
static void test_grouped_budgets(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    static rdata_t D[2];
    static const size_t budgets[] = {1, 3000, 0};
    for (int rep = 0; rep < 40; rep++) {
        setup_t S = random_setup(rep);
        make_round(rng, &D[0]);
        make_round(rng, &D[1]);
        const char *paths[2];
        for (size_t q = 0; q < 2; q++)
            paths[q] = round_file(rng, &D[q], q, GROUPED, S.nested);
        S.budget = SIZE_MAX;
        graft_estimates_t *all = run_rounds(paths, 2, &S);
        for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++) {
            reads_t reads = {0};
            S.budget = budgets[b];
            S.chunk = 512;
            S.progress_arg = &reads;
            graft_estimates_t *e = run_rounds(paths, 2, &S);
            same_estimates(all, e, 0);
            assert_int_equal(reads.n, 2);
            assert_int_equal(reads.bytes,
                             file_size(paths[0]) + file_size(paths[1]));
            graft_estimates_free(e);
        }
        graft_estimates_free(all);
    }
    gsl_rng_free(rng);
}

/* ---- R's references, rows shuffled -------------------------------------- */

/* Estimate case row I of C on the file PATH (the case's own, or a copy). */
static graft_estimates_t *run_case_on(const table_t *C, size_t i,
                                      const char *path)
{
    table_design_t td;
    table_case_t tc;
    table_design_read(C, i, &td);
    table_case_read(C, i, &tc);
    tc.opts.df_mode = strcmp(cell(C, i, "df"), "design") == 0
                          ? GRAFT_DF_DESIGN
                          : GRAFT_DF_DOMAIN;
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    if (graft_estimate_file(path, &td.read, &td.spec, &tc.opts, &e, &diag) !=
        GRAFT_OK) {
        char buf[2200];
        fail_msg("%s: %s", cell(C, i, "case"),
                 graft_diag_format(&diag, buf, sizeof buf));
    }
    e->opts = NULL; /* tc.opts goes out of scope */
    return e;
}

/* Every estimate case on bundled CSV data (tests/data/r, surveys/demo)
 * again on a shuffled copy of its file: R's numbers to 1e-9
 * (compare_with_ref), the file's own order's to 1e-12. */
static void test_r_shuffled(void **state)
{
    (void)state;
    table_t C, R;
    table_load(&C, "tests/ref/estimate_cases.csv");
    table_load(&R, "tests/ref/estimate_ref.csv");
    size_t compared = 0, cases = 0;
    int bad = 0;
    WORST = 0;
    for (size_t i = 0; i < C.nrows; i++) {
        const char *file = cell(&C, i, "file");
        size_t n = strlen(file);
        if (strncmp(file, "../", 3) == 0 || n < 4 ||
            strcmp(file + n - 4, ".csv") != 0)
            continue; /* not bundled (the Afrobarometer .sav files) */
        graft_estimates_t *a = run_case_on(&C, i, file);
        graft_estimates_t *b = run_case_on(&C, i, table_shuffled(file));
        table_design_t td;
        table_case_t tc;
        table_design_read(&C, i, &td);
        table_case_read(&C, i, &tc);
        a->opts = b->opts = &tc.opts;
        bad += compare_with_ref(&R, cell(&C, i, "case"), b, &compared);
        same_rows(a, b, 1e-12);
        graft_estimates_free(a);
        graft_estimates_free(b);
        cases++;
    }
    printf("  %zu cases on shuffled data, %zu numbers compared with R; "
           "largest relative difference from the files' own order %.3g "
           "(%s)\n",
           cases, compared, WORST, WORST_WHAT);
    table_free(&C);
    table_free(&R);
    assert_true(cases >= 60);
    if (bad)
        fail_msg("%d mismatches with R on shuffled data", bad);
}

/* ---- one read ----------------------------------------------------------- */

/* The demo survey's design and a few indicators by zone, read in chunks
 * of CHUNK bytes with the progress counted into READS (may be NULL). */
static graft_estimates_t *run_demo(const char *path, size_t budget,
                                   reads_t *reads)
{
    static graft_indicator_spec_t inds[] = {
        {.type = GRAFT_IND_PROP, .expr = "paid_police == 1",
         .among = "contact_police == 1"},
        {.type = GRAFT_IND_PROP, .expr = "paid_any == 1",
         .among = "contact_any == 1"},
        {.type = GRAFT_IND_MEAN, .expr = "amount", .among = "paid_any == 1"},
        {.type = GRAFT_IND_TOTAL, .expr = "n_bribes"},
    };
    static const graft_by_spec_t by[] = {{{"zone"}, 1}, {{"sex"}, 1}};
    static graft_estimate_opts_t opts;
    for (size_t k = 0; k < sizeof inds / sizeof *inds; k++)
        inds[k].expr_src = inds[k].among_src = (graft_source_t){"e", 1, 1};
    memset(&opts, 0, sizeof opts);
    opts.indicators = inds;
    opts.n_indicators = sizeof inds / sizeof *inds;
    opts.by = by;
    opts.n_by = 2;
    opts.ci = GRAFT_CI_LOGIT;
    opts.level = 0.95;
    opts.psu_budget = budget;
    graft_design_spec_t spec;
    graft_design_spec_init(&spec);
    spec.weight = "weight";
    spec.strata[0] = "stratum";
    spec.n_strata = 1;
    spec.psu = "ea";
    spec.nest = 1;
    spec.lonely = GRAFT_LONELY_ADJUST;
    static const double codes[] = {8, 9};
    static const char *const exempt[] = {"weight", "stratum", "ea"};
    graft_missing_spec_t ms = {NULL, codes, 2};
    graft_read_opts_t read = {0};
    read.missing = &ms;
    read.n_missing = 1;
    read.exempt = exempt;
    read.n_exempt = 3;
    read.chunk_size = 4096;
    read.progress = reads ? count_reads_fn : NULL;
    read.progress_arg = reads;
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    if (graft_estimate_file(path, &read, &spec, &opts, &e, &diag) !=
        GRAFT_OK) {
        char buf[2200];
        fail_msg("%s: %s", path, graft_diag_format(&diag, buf, sizeof buf));
    }
    return e;
}

#define DEMO "surveys/demo/round1.csv"

/* DEMO with its first data row moved to the end: grouped by PSU but for
 * that row, whose PSU comes back after all the others. */
static const char *demo_back(void)
{
    static char path[512];
    size_t len;
    char *text = test_slurp_must(DEMO, &len);
    char *first = strchr(text, '\n') + 1, *second = strchr(first, '\n') + 1;
    snprintf(path, sizeof path, "%s", test_tmp("demo_back.csv"));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(text, 1, (size_t)(first - text), f);
    fwrite(second, 1, len - (size_t)(second - text), f);
    fwrite(first, 1, (size_t)(second - first), f);
    assert_int_equal(fclose(f), 0);
    free(text);
    return path;
}

/* A shuffled file is read once: its first PSU comes back long before the
 * default budget is reached.  A grouped file is read once, whatever the
 * budget.  The documented corner: a file grouped by PSU for the whole
 * budget whose PSU then comes back is read twice, with the numbers of
 * keeping every PSU from the start.  (A budget of 1 streams from the
 * second PSU: a shuffled file is such a file then, but its first read
 * stops so early that it may end before the reader reports any bytes;
 * how far an abandoned read got depends on the threads.) */
static void test_read_once(void **state)
{
    (void)state;
    const char *shuffled = table_shuffled(DEMO), *back = demo_back();
    static const size_t budgets[] = {0, 1, SIZE_MAX};
    const char *files[] = {shuffled, DEMO, back};
    for (size_t f = 0; f < 3; f++) {
        size_t size = file_size(files[f]);
        graft_estimates_t *all = run_demo(files[f], SIZE_MAX, NULL);
        for (size_t b = 0; b < 3; b++) {
            reads_t reads = {0};
            graft_estimates_t *e = run_demo(files[f], budgets[b], &reads);
            int corner = f != 1 && budgets[b] == 1;
            if (!corner || f == 2) { /* the corner of demo_back: 2 */
                size_t want = corner ? 2 : 1;
                if (reads.n != want)
                    fail_msg("%s, budget %zu: %zu reads, want %zu",
                             files[f], budgets[b], reads.n, want);
            }
            assert_int_equal(reads.last, size); /* the last read whole */
            if (!corner)
                assert_int_equal(reads.bytes, size);
            else
                assert_true(reads.bytes <= 2 * size);
            same_estimates(all, e, 0);
            graft_estimates_free(e);
        }
        graft_estimates_free(all);
    }
}

/* Serve the LEN bytes of TEXT through a new FIFO at PATH from a child
 * process: once, then an empty stream to any later reader (a second read
 * would find no header and fail).  Returns the child, for fifo_stop. */
static pid_t fifo_serve(const char *path, const char *text, size_t len)
{
    assert_int_equal(mkfifo(path, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0)
        return pid;
    int fd = open(path, O_WRONLY);
    for (size_t off = 0; fd >= 0 && off < len;) {
        ssize_t k = write(fd, text + off, len - off);
        if (k <= 0)
            break;
        off += (size_t)k;
    }
    close(fd);
    for (;;) /* each later reader: an empty stream */
        if ((fd = open(path, O_WRONLY)) >= 0)
            close(fd);
}

static void fifo_stop(pid_t pid, const char *path)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(path);
}

/* Estimate the file SRC read through a FIFO with BUDGET. */
static graft_estimates_t *run_fifo(const char *src, size_t budget)
{
    size_t len;
    char *text = test_slurp_must(src, &len);
    const char *fifo = test_tmp("fifo.csv");
    pid_t pid = fifo_serve(fifo, text, len);
    reads_t reads = {0};
    graft_estimates_t *e = run_demo(fifo, budget, &reads);
    assert_int_equal(reads.n, 1);
    assert_int_equal(reads.bytes, len);
    fifo_stop(pid, fifo);
    free(text);
    return e;
}

/* Through a FIFO, which cannot be read twice: a shuffled file, a grouped
 * one and the grouped file whose PSU comes back (even with a budget of 1,
 * the pass keeps every PSU) give the numbers of the same regular files. */
static void test_fifo(void **state)
{
    (void)state;
    const char *files[] = {table_shuffled(DEMO), DEMO, demo_back()};
    for (size_t f = 0; f < 3; f++) {
        graft_estimates_t *want = run_demo(files[f], SIZE_MAX, NULL);
        graft_estimates_t *got = run_fifo(files[f], f == 2 ? 1 : 0);
        same_estimates(want, got, 0);
        graft_estimates_free(want);
        graft_estimates_free(got);
    }
}

/* ---- rounds with and without PSUs ------------------------------------- */

/* Estimate y in FILE with PSU column PSU (NULL: each row its own PSU). */
static graft_estimates_t *run_cmp(const char *const *files,
                                  const char *const *psus, size_t n)
{
    static graft_design_spec_t specs[2];
    static graft_indicator_spec_t ind;
    static graft_estimate_opts_t opts;
    graft_round_t rounds[2];
    ind = (graft_indicator_spec_t){.type = GRAFT_IND_PROP, .expr = "y"};
    ind.expr_src = (graft_source_t){"e", 1, 1};
    memset(&opts, 0, sizeof opts);
    opts.indicators = &ind;
    opts.n_indicators = 1;
    opts.ci = GRAFT_CI_WALD;
    opts.level = 0.95;
    opts.contrasts = n > 1 ? &CONTRAST : NULL;
    opts.n_contrasts = n > 1;
    for (size_t q = 0; q < n; q++) {
        graft_design_spec_init(&specs[q]);
        specs[q].weight = "w";
        specs[q].strata[0] = "s";
        specs[q].n_strata = 1;
        specs[q].psu = psus[q];
        rounds[q] = (graft_round_t){files[q], NULL, &specs[q], NULL, 0};
    }
    graft_estimates_t *e = NULL;
    graft_diag_t diag;
    if (graft_estimate_rounds(rounds, n, 0, &opts, &e, &diag) != GRAFT_OK) {
        char buf[2200];
        fail_msg("%s", graft_diag_format(&diag, buf, sizeof buf));
    }
    return e;
}

/* A round with PSUs and one without, stacked (R: strata = round x
 * stratum, each row of the second round its own PSU): each round's
 * estimate and SE are its own, and the difference's variance is the sum
 * of theirs; either order.  (The PSU totals were kept per pass, from the
 * first round's design: a second round without PSUs failed with "out of
 * memory", and a first round without them took the second's rows each as
 * a PSU.) */
static void test_rounds_with_and_without_psus(void **state)
{
    (void)state;
    static const char *const files[] = {"tests/data/cli/cmp_a.csv",
                                        "tests/data/cli/cmp_b.csv"};
    static const char *const psus[][2] = {{"p", NULL}, {NULL, "p"}};
    for (size_t order = 0; order < 2; order++) {
        graft_estimates_t *one[2], *both = run_cmp(files, psus[order], 2);
        for (size_t q = 0; q < 2; q++) {
            one[q] = run_cmp(&files[q], &psus[order][q], 1);
            const graft_estimate_row_t *x = &one[q]->rows[0];
            const graft_estimate_row_t *y = &both->rows[q];
            assert_int_equal(y->round, q);
            assert_close(y->estimate, x->estimate, 1e-15, 0);
            assert_close(y->se, x->se, 1e-13, 0);
        }
        double v0 = one[0]->rows[0].se, v1 = one[1]->rows[0].se;
        assert_close(both->contrasts[0].se, sqrt(v0 * v0 + v1 * v1), 1e-13,
                     0);
        assert_close(both->contrasts[0].df,
                     one[0]->rows[0].df + one[1]->rows[0].df, 0, 0);
        graft_estimates_free(one[0]);
        graft_estimates_free(one[1]);
        graft_estimates_free(both);
    }
}

/* ---- the store ----------------------------------------------------------- */

/* Blocks per (PSU, slot), made zeroed and found again; pointers that stay
 * while chunks are added; each PSU's blocks listed once; PSUs never given
 * none; the bytes as the model says. */
static void test_store(void **state)
{
    (void)state;
    assert_null(graft_psu_store_alloc(0, 2));
    assert_null(graft_psu_store_alloc(3, 0));
    /* two blocks reserved per PSU: PSUs with three slots link a third */
    graft_psu_store_t *s = graft_psu_store_alloc(3, 2);
    assert_non_null(s);
    assert_int_equal(graft_psu_store_n_psu(s), 0);
    assert_null(graft_psu_store_nth(s, 0, 0));
    enum { J = 40000, SLOTS = 3 };
    static double *yx[J][SLOTS];
    size_t top = 0;
    for (size_t j = 0; j < J; j++) {
        if (j % 7 == 1) /* PSUs 1, 8, ...: no block */
            continue;
        top = j;
        for (uint32_t t = 0; t <= j % SLOTS; t++) {
            yx[j][t] = graft_psu_store_block(s, j, t * 5 + 1);
            assert_non_null(yx[j][t]);
            for (size_t k = 0; k < 6; k++) {
                assert_true(yx[j][t][k] == 0);
                yx[j][t][k] = (double)(j * 10 + t) + 0.125 * (double)k;
            }
        }
    }
    size_t linked = 0;
    for (size_t j = 0; j < J; j++) {
        unsigned seen = 0;
        const graft_psu_block_t *b;
        for (size_t n = 0; (b = graft_psu_store_nth(s, j, n)); n++) {
            linked += n >= 2;
            uint32_t t = (graft_psu_store_slot(b) - 1) / 5;
            assert_true(t <= j % SLOTS && !(seen & (1u << t)));
            seen |= 1u << t;
            assert_ptr_equal(graft_psu_store_values(b), yx[j][t]);
            assert_ptr_equal(graft_psu_store_block(s, j, t * 5 + 1),
                             yx[j][t]);
            for (size_t k = 0; k < 6; k++)
                assert_true(yx[j][t][k] ==
                            (double)(j * 10 + t) + 0.125 * (double)k);
        }
        assert_int_equal(seen, j % 7 == 1 ? 0 : (1u << (j % SLOTS + 1)) - 1);
    }
    assert_int_equal(graft_psu_store_n_psu(s), top + 1);
    /* 8 + 16 K bytes per block, two per PSU and the ones linked, a
     * little more */
    size_t three = 0; /* PSUs given three slots */
    for (size_t j = 0; j <= top; j++)
        three += j % 7 != 1 && j % SLOTS == 2;
    assert_int_equal(linked, three);
    size_t model = ((top + 1) * 2 + linked) * (8 + 16 * 3);
    size_t bytes = graft_psu_store_bytes(s);
    assert_true(bytes >= model && bytes <= model + 4096);
    graft_psu_store_free(s);
    graft_psu_store_free(NULL);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_any_order),
        cmocka_unit_test(test_grouped_budgets),
        cmocka_unit_test(test_r_shuffled),
        cmocka_unit_test(test_read_once),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_rounds_with_and_without_psus),
        cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
