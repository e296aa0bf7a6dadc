/*
 * test_compare.c - round comparisons and trends against R: a stacked
 * svydesign, svyby(covmat = TRUE), svycontrast and p.adjust
 * (tests/R/compare_ref.R).  One graft run per R "run": every indicator of
 * the run is adjusted together, as one graft command does.
 */
#include "test_table.h"
#include "graft/compare.h"
#include "graft/survey.h"

#include <gsl/gsl_errno.h>

static table_t CMP_CASES, CMP_REFS, TR_CASES, TR_REFS, PADJ;

static int setup(void **state)
{
    (void)state;
    table_load(&CMP_CASES, "tests/ref/compare_cases.csv");
    table_load(&CMP_REFS, "tests/ref/compare_ref.csv");
    table_load(&TR_CASES, "tests/ref/trend_cases.csv");
    table_load(&TR_REFS, "tests/ref/trend_ref.csv");
    table_load(&PADJ, "tests/ref/padjust_ref.csv");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    table_free(&CMP_CASES);
    table_free(&CMP_REFS);
    table_free(&TR_CASES);
    table_free(&TR_REFS);
    table_free(&PADJ);
    return 0;
}

/* ---- building a run -------------------------------------------------- */

#define MAX_ROUNDS 4
#define MAX_INDS 16

typedef struct run {
    graft_round_t rounds[MAX_ROUNDS];
    graft_design_spec_t specs[MAX_ROUNDS];
    graft_read_opts_t reads[MAX_ROUNDS];
    graft_missing_spec_t missing[MAX_ROUNDS][64];
    graft_survey_t *surveys[MAX_ROUNDS];
    char strata[256], by[256], files[1024], weights[512], years[128];
    double codes[16];
    const char *exempt[16];
    graft_indicator_spec_t inds[MAX_INDS];
    size_t case_row[MAX_INDS];
    graft_by_spec_t by_spec;
    graft_estimate_opts_t opts;
    graft_change_opts_t copts;
    double year[MAX_ROUNDS];
    size_t n_rounds, n_inds;
} run_t;

/* Read each round's data from a shuffled copy (the same estimates to
 * 1e-9 of R's: the order of the rows is no part of the design). */
static int SHUFFLE;

/* Round Q: its file (a survey file brings [missing], labels, [derive]),
 * the case's design and the case's every-column missing codes. */
static void set_round(run_t *r, size_t q, const char *file, const char *weight,
                      const table_t *C, size_t i, size_t n_codes)
{
    graft_design_spec_t *spec = &r->specs[q];
    graft_read_opts_t *read = &r->reads[q];
    graft_diag_t diag;
    graft_design_spec_init(spec);
    spec->weight = weight;
    char *strata = r->strata;
    spec->n_strata = table_split(strata, spec->strata,
                                 GRAFT_MAX_STRATA_COLUMNS, ":");
    spec->psu = *cell(C, i, "psu") ? cell(C, i, "psu") : NULL;
    spec->nest = strcmp(cell(C, i, "nest"), "true") == 0;
    assert_true(graft_lonely_parse(cell(C, i, "lonely"), &spec->lonely));
    size_t nm = 0;
    const char *data = file;
    r->rounds[q] = (graft_round_t){NULL, read, spec, NULL, 0};
    size_t n = strlen(file);
    if (n > 4 && strcmp(file + n - 4, ".ini") == 0) {
        assert_int_equal(graft_survey_load(file, &r->surveys[q], &diag),
                         GRAFT_OK);
        graft_survey_t *s = r->surveys[q];
        data = s->data;
        for (size_t k = 0; k < s->n_missing && nm < 63; k++)
            r->missing[q][nm++] = s->missing[k];
        read->labels = s->labels;
        read->n_labels = s->n_labels;
        r->rounds[q].derived = s->derived;
        r->rounds[q].n_derived = s->n_derived;
    }
    if (n_codes)
        r->missing[q][nm++] = (graft_missing_spec_t){NULL, r->codes, n_codes};
    read->missing = r->missing[q];
    read->n_missing = nm;
    read->exempt = r->exempt;
    r->rounds[q].path = SHUFFLE ? table_shuffled(data) : data;
}

/* Every case of RUN in C (compare when !trend) as one graft run. */
static void build_run(run_t *r, const table_t *C, const char *run, int trend)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < C->nrows; i++) {
        if (strcmp(cell(C, i, "run"), run) != 0)
            continue;
        assert_true(r->n_inds < MAX_INDS);
        graft_indicator_spec_t *ind = &r->inds[r->n_inds];
        r->case_row[r->n_inds++] = i;
        assert_true(graft_ind_type_parse(cell(C, i, "type"), &ind->type));
        ind->name = cell(C, i, "case");
        ind->expr = cell(C, i, "expr");
        ind->among = *cell(C, i, "among") ? cell(C, i, "among") : NULL;
        ind->expr_src = (graft_source_t){"expr", 1, 1};
        ind->among_src = (graft_source_t){"among", 1, 1};
    }
    assert_true(r->n_inds > 0);
    size_t i = r->case_row[0];
    snprintf(r->by, sizeof r->by, "%s", cell(C, i, "by"));
    r->by_spec.n_columns = table_split(r->by, r->by_spec.columns,
                                       GRAFT_MAX_BY, ":");
    size_t n_codes = 0;
    char missing[64];
    snprintf(missing, sizeof missing, "%s", cell(C, i, "missing"));
    for (char *tok = strtok(missing, ","); tok && n_codes < 16;
         tok = strtok(NULL, ","))
        r->codes[n_codes++] = strtod(tok, NULL);
    const char *files[MAX_ROUNDS], *weights[MAX_ROUNDS];
    if (trend) {
        snprintf(r->files, sizeof r->files, "%s", cell(C, i, "files"));
        snprintf(r->weights, sizeof r->weights, "%s", cell(C, i, "weights"));
        snprintf(r->years, sizeof r->years, "%s", cell(C, i, "years"));
        r->n_rounds = table_split(r->files, files, MAX_ROUNDS, ":");
        assert_int_equal(table_split(r->weights, weights, MAX_ROUNDS, ":"),
                         r->n_rounds);
        const char *years[MAX_ROUNDS];
        assert_int_equal(table_split(r->years, years, MAX_ROUNDS, ":"),
                         r->n_rounds);
        for (size_t q = 0; q < r->n_rounds; q++)
            r->year[q] = strtod(years[q], NULL);
        r->copts.years = r->year;
    } else {
        r->n_rounds = 2;
        files[0] = cell(C, i, "file1");
        files[1] = cell(C, i, "file2");
        weights[0] = cell(C, i, "weight1");
        weights[1] = cell(C, i, "weight2");
    }
    for (size_t q = 0; q < r->n_rounds; q++) {
        snprintf(r->strata, sizeof r->strata, "%s", cell(C, i, "strata"));
        set_round(r, q, files[q], weights[q], C, i, n_codes);
        /* the strata names point into r->strata: copy per round */
        static char keep[MAX_ROUNDS][256];
        snprintf(keep[q], sizeof keep[q], "%s", cell(C, i, "strata"));
        r->specs[q].n_strata = table_split(keep[q], r->specs[q].strata,
                                           GRAFT_MAX_STRATA_COLUMNS, ":");
    }
    size_t ne = 0;
    r->exempt[ne++] = weights[0];
    if (r->n_rounds > 1)
        r->exempt[ne++] = weights[1];
    for (size_t k = 0; k < r->specs[0].n_strata; k++)
        r->exempt[ne++] = r->specs[0].strata[k];
    if (r->specs[0].psu)
        r->exempt[ne++] = r->specs[0].psu;
    for (size_t q = 0; q < r->n_rounds; q++)
        r->reads[q].n_exempt = ne;
    r->opts.indicators = r->inds;
    r->opts.n_indicators = r->n_inds;
    r->opts.by = &r->by_spec;
    r->opts.n_by = r->by_spec.n_columns ? 1 : 0;
    r->opts.ci = GRAFT_CI_LOGIT;
    r->opts.level = strtod(cell(C, i, "level"), NULL);
    r->copts.level = r->opts.level;
    assert_true(graft_test_df_parse(cell(C, i, "test_df"), &r->copts.test_df));
    assert_true(graft_adjust_parse(cell(C, i, "adjust"), &r->copts.adjust));
}

static void free_run(run_t *r)
{
    for (size_t q = 0; q < MAX_ROUNDS; q++)
        graft_survey_free(r->surveys[q]);
}

/* The domain key of a row: "All" or its codes joined by ':'. */
static void domain_key(const graft_estimates_t *e,
                       const graft_estimate_row_t *w, char *key, size_t n)
{
    if (w->by_set == (size_t)-1) {
        snprintf(key, n, "All");
        return;
    }
    key[0] = '\0';
    for (size_t j = 0; j < e->opts->by[w->by_set].n_columns; j++) {
        if (j)
            strncat(key, ":", n - strlen(key) - 1);
        strncat(key, w->by_codes[j], n - strlen(key) - 1);
    }
}

static int check(const char *what, const char *c, const char *d, double got,
                 const char *want_text, double rel, size_t *compared)
{
    double want = *want_text ? strtod(want_text, NULL) : NAN;
    (*compared)++;
    if (test_close_ok(got, want, rel, 1e-14))
        return 0;
    printf("FAIL %s [%s] %s: graft %.17g, R %s\n", c, d, what, got,
           *want_text ? want_text : "(empty)");
    return 1;
}

static const char *const TERM[] = {"estimate", "change", "linear", "slope"};

/* Compare one run's rows with R's; returns the mismatches. */
static int compare_run(const table_t *C, const table_t *REF, const char *run,
                       int trend, size_t *compared)
{
    run_t r;
    build_run(&r, C, run, trend);
    graft_changes_t *ch = NULL;
    graft_diag_t diag;
    int bad = 0;
    static const size_t first_pair[2] = {0, 1};
    graft_change_plan_t plan = {first_pair, trend ? 0 : 1, trend};
    if (graft_changes_run(r.rounds, r.n_rounds,
                          strcmp(cell(C, r.case_row[0], "shared_psus"),
                                 "true") == 0,
                          &plan, &r.opts, &r.copts, &ch, &diag) != GRAFT_OK) {
        char buf[2200];
        printf("FAIL %s: %s\n", run, graft_diag_format(&diag, buf, sizeof buf));
        free_run(&r);
        return 1;
    }
    size_t matched = 0;
    for (size_t x = 0; x < REF->nrows; x++) {
        const char *c = cell(REF, x, "case");
        size_t k = 0;
        while (k < r.n_inds && strcmp(r.inds[k].name, c) != 0)
            k++;
        if (k == r.n_inds)
            continue;
        const char *d = cell(REF, x, "domain");
        const graft_change_row_t *row = NULL;
        for (size_t y = 0; y < ch->n_rows && !row; y++) {
            const graft_change_row_t *cand = &ch->rows[y];
            char key[256];
            domain_key(ch->est, cand->where, key, sizeof key);
            if (cand->indicator != k || strcmp(key, d) != 0)
                continue;
            if (trend && (strcmp(TERM[cand->term], cell(REF, x, "term")) ||
                          cand->from + 1 != strtoul(cell(REF, x, "from"),
                                                    NULL, 10) ||
                          cand->to + 1 != strtoul(cell(REF, x, "to"), NULL,
                                                  10)))
                continue;
            row = cand;
        }
        if (!row) {
            printf("FAIL %s [%s]: no such row in graft's output\n", c, d);
            bad++;
            continue;
        }
        matched++;
        if (trend) {
            bad += check("estimate", c, d, row->estimate,
                         cell(REF, x, "estimate"), REL_TOL, compared);
            bad += check("se", c, d, row->se, cell(REF, x, "se"), REL_TOL,
                         compared);
        } else {
            bad += check("baseline", c, d, row->baseline,
                         cell(REF, x, "baseline"), REL_TOL, compared);
            bad += check("followup", c, d, row->followup,
                         cell(REF, x, "followup"), REL_TOL, compared);
            bad += check("diff", c, d, row->estimate, cell(REF, x, "diff"),
                         REL_TOL, compared);
            bad += check("se_diff", c, d, row->se, cell(REF, x, "se_diff"),
                         REL_TOL, compared);
            bad += check("rel_change", c, d, row->rel_change,
                         cell(REF, x, "rel_change"), REL_TOL, compared);
        }
        int est_row = trend && row->term == GRAFT_TERM_ESTIMATE;
        bad += check("ci_low", c, d, row->ci_low, cell(REF, x, "ci_low"),
                     est_row ? 1e-7 : REL_TOL, compared);
        bad += check("ci_high", c, d, row->ci_high, cell(REF, x, "ci_high"),
                     est_row ? 1e-7 : REL_TOL, compared);
        bad += check("df", c, d, row->df, cell(REF, x, "df"), 1e-12,
                     compared);
        if (!est_row) {
            bad += check("p_value", c, d, row->p_value,
                         cell(REF, x, "p_value"), REL_TOL, compared);
            bad += check("p_adjusted", c, d, row->p_adjusted,
                         cell(REF, x, "p_adjusted"), REL_TOL, compared);
            (*compared)++;
            if (strcmp(row->change, cell(REF, x, "change")) != 0) {
                printf("FAIL %s [%s] change: graft '%s', R '%s'\n", c, d,
                       row->change, cell(REF, x, "change"));
                bad++;
            }
        }
    }
    if (!matched) {
        printf("FAIL %s: no reference rows\n", run);
        bad++;
    }
    graft_changes_free(ch);
    free_run(&r);
    return bad;
}

static void run_runs(const table_t *C, const table_t *REF, const char *prefix,
                     int trend)
{
    int bad = 0;
    size_t compared = 0, runs = 0;
    const char *done[64];
    size_t n_done = 0;
    for (size_t i = 0; i < C->nrows; i++) {
        const char *run = cell(C, i, "run");
        int seen = 0;
        for (size_t k = 0; k < n_done; k++)
            seen |= strcmp(done[k], run) == 0;
        if (seen || strncmp(run, prefix, strlen(prefix)) != 0)
            continue;
        done[n_done++] = run;
        bad += compare_run(C, REF, run, trend, &compared);
        runs++;
    }
    printf("  %s: %zu runs, %zu values compared with R\n", prefix, runs,
           compared);
    assert_true(runs > 0);
    if (bad)
        fail_msg("%d mismatches with R", bad);
}

static void test_demo(void **s) { (void)s; run_runs(&CMP_CASES, &CMP_REFS, "demo_", 0); }

/* The demo runs again, each round's rows shuffled: independent rounds
 * keep every PSU's sums, shared PSUs their per-PSU arrays. */
static void test_demo_shuffled(void **s)
{
    (void)s;
    SHUFFLE = 1;
    run_runs(&CMP_CASES, &CMP_REFS, "demo_", 0);
    SHUFFLE = 0;
}

static void test_tunisia_compare(void **s)
{
    (void)s;
    SKIP_WITHOUT_SHARED();
    run_runs(&CMP_CASES, &CMP_REFS, "tun_", 0);
}

static void test_tunisia_trend(void **s)
{
    (void)s;
    SKIP_WITHOUT_SHARED();
    run_runs(&TR_CASES, &TR_REFS, "tun_", 1);
}

/* p.adjust of every run's p-values, each method, against R. */
static void test_p_adjust(void **state)
{
    (void)state;
    static const char *const methods[] = {"bonferroni", "holm", "BH"};
    static const graft_adjust_t codes[] = {GRAFT_ADJUST_BONFERRONI,
                                           GRAFT_ADJUST_HOLM, GRAFT_ADJUST_BH};
    size_t compared = 0;
    for (size_t m = 0; m < 3; m++) {
        const char *done[64];
        size_t n_done = 0;
        for (size_t i = 0; i < PADJ.nrows; i++) {
            const char *run = cell(&PADJ, i, "run");
            int seen = 0;
            for (size_t k = 0; k < n_done; k++)
                seen |= strcmp(done[k], run) == 0;
            if (seen)
                continue;
            done[n_done++] = run;
            double p[2048], want[2048];
            size_t n = 0;
            for (size_t j = 0; j < PADJ.nrows && n < 2048; j++)
                if (strcmp(cell(&PADJ, j, "run"), run) == 0 &&
                    strcmp(cell(&PADJ, j, "method"), methods[m]) == 0) {
                    const char *pv = cell(&PADJ, j, "p");
                    const char *pa = cell(&PADJ, j, "p_adjusted");
                    p[n] = *pv ? strtod(pv, NULL) : NAN;
                    want[n++] = *pa ? strtod(pa, NULL) : NAN;
                }
            double got[2048];
            assert_int_equal(graft_p_adjust(p, n, codes[m], got), GRAFT_OK);
            for (size_t j = 0; j < n; j++, compared++)
                assert_close(got[j], want[j], 1e-12, 1e-300);
        }
    }
    printf("  p.adjust: %zu values compared with R\n", compared);
    assert_true(compared > 100);
}

/* Hand-checked: holm and BH on four p-values. */
static void test_p_adjust_hand(void **state)
{
    (void)state;
    const double p[] = {0.01, 0.04, 0.03, NAN, 0.005};
    double out[5];
    assert_int_equal(graft_p_adjust(p, 5, GRAFT_ADJUST_HOLM, out), GRAFT_OK);
    /* sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, running max */
    assert_close(out[4], 0.02, 1e-15, 0);
    assert_close(out[0], 0.03, 1e-15, 0);
    assert_close(out[2], 0.06, 1e-15, 0);
    assert_close(out[1], 0.06, 1e-15, 0);
    assert_true(isnan(out[3]));
    assert_int_equal(graft_p_adjust(p, 5, GRAFT_ADJUST_BH, out), GRAFT_OK);
    /* 0.04 * 4/4, 0.03 * 4/3, 0.01 * 4/2, 0.005 * 4/1, running min */
    assert_close(out[1], 0.04, 1e-15, 0);
    assert_close(out[2], 0.04, 1e-15, 0);
    assert_close(out[0], 0.02, 1e-15, 0);
    assert_close(out[4], 0.02, 1e-15, 0);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo),
        cmocka_unit_test(test_demo_shuffled),
        cmocka_unit_test(test_tunisia_compare),
        cmocka_unit_test(test_tunisia_trend),
        cmocka_unit_test(test_p_adjust),
        cmocka_unit_test(test_p_adjust_hand),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
