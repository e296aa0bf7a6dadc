/*
 * test_simulate.c - the demo-data simulator: the committed files
 * surveys/demo/round{1,2}.csv are exactly what graft_simulate_write() makes
 * with the default options, and their structure is what the demo promises
 * (6 zones, 12 strata, one single-EA stratum, positive weights, contact and
 * bribery rates in range, police bribery lower in round 2).
 */
#include "test_util.h"

#include <gsl/gsl_errno.h>
#include "graft/simulate.h"

/* ---------------------------------------------------------------------
 * Fixtures: one round generated into memory and split into fields
 * ------------------------------------------------------------------- */

typedef struct sim_table {
    char *text;     /* the CSV as generated (NUL-terminated) */
    size_t len;
    char *cells;    /* a copy with ',' and '\n' turned into '\0' */
    char **field;   /* field[row * n_cols + col]; row 0 is the header */
    size_t n_rows;  /* data rows */
    size_t n_cols;
} sim_table_t;

static void table_free(sim_table_t *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->cells);
    free(t->field);
    free(t);
}

/* Generate with OPTS into memory; the return code goes to *RC. */
static char *generate(const graft_sim_opts_t *opts, size_t *len, graft_error_t *rc,
                      graft_diag_t *diag)
{
    char *buf = NULL;
    FILE *mem = open_memstream(&buf, len);
    assert_non_null(mem);
    *rc = graft_simulate_write(mem, opts, diag);
    assert_int_equal(fclose(mem), 0);
    return buf;
}

/* Split T->text into lines and fields (the simulator never quotes). */
static void table_split(sim_table_t *t)
{
    size_t lines = 0, commas = 0;
    for (size_t i = 0; i < t->len; i++) {
        lines += t->text[i] == '\n';
        commas += t->text[i] == ',' && lines == 0;
    }
    assert_true(lines >= 2);
    assert_int_equal(t->text[t->len - 1], '\n');
    t->n_cols = commas + 1;
    t->n_rows = lines - 1;
    t->cells = malloc(t->len + 1);
    t->field = calloc(lines * t->n_cols, sizeof *t->field);
    assert_non_null(t->cells);
    assert_non_null(t->field);
    memcpy(t->cells, t->text, t->len + 1);
    size_t row = 0, col = 0;
    char *start = t->cells;
    for (char *p = t->cells; p < t->cells + t->len; p++) {
        if (*p != ',' && *p != '\n')
            continue;
        assert_true(col < t->n_cols);
        t->field[row * t->n_cols + col] = start;
        if (*p == '\n') {
            assert_int_equal(col + 1, t->n_cols); /* every row is complete */
            row++;
            col = 0;
        } else {
            col++;
        }
        *p = '\0';
        start = p + 1;
    }
}

static sim_table_t *table_make(int round)
{
    graft_sim_opts_t opts;
    graft_sim_opts_init(&opts);
    opts.round = round;
    sim_table_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    graft_error_t rc;
    t->text = generate(&opts, &t->len, &rc, NULL);
    assert_int_equal(rc, GRAFT_OK);
    table_split(t);
    return t;
}

static int setup_round1(void **state)
{
    *state = table_make(1);
    return 0;
}

static int setup_round2(void **state)
{
    *state = table_make(2);
    return 0;
}

static int teardown_table(void **state)
{
    table_free(*state);
    return 0;
}

static size_t col_index(const sim_table_t *t, const char *name)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->field[c], name) == 0)
            return c;
    fail_msg("no column '%s'", name);
    return 0;
}

/* Row R (1-based data row) of column C as text, or as a number (-1 when
 * the cell is empty). */
static const char *cell(const sim_table_t *t, size_t r, size_t c)
{
    return t->field[r * t->n_cols + c];
}

static double num(const sim_table_t *t, size_t r, size_t c)
{
    const char *s = cell(t, r, c);
    if (*s == '\0')
        return -1.0;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0')
        fail_msg("row %zu col %zu: '%s' is not a number", r, c, s);
    return v;
}

/* ---------------------------------------------------------------------
 * The committed files are the generator's output
 * ------------------------------------------------------------------- */

/* Compare the committed file with TABLE's text and point at the first
 * differing line. */
static void check_committed(const sim_table_t *t, const char *path)
{
    size_t len;
    char *want = test_slurp_must(path, &len);
    size_t n = len < t->len ? len : t->len, line = 1, i = 0;
    while (i < n && want[i] == t->text[i])
        line += want[i++] == '\n';
    free(want);
    if (i < n)
        fail_msg("%s:%zu: differs from graft_simulate_write() output; "
                 "regenerate with `graft simulate`", path, line);
    if (len != t->len)
        fail_msg("%s: %zu bytes, the generator writes %zu", path, len, t->len);
}

static void test_round1_committed(void **state)
{
    check_committed(*state, "surveys/demo/round1.csv");
}

static void test_round2_committed(void **state)
{
    check_committed(*state, "surveys/demo/round2.csv");
}

/* ---------------------------------------------------------------------
 * Structure
 * ------------------------------------------------------------------- */

static const char *const sectors[] = {
    "police", "courts", "tax", "health", "education", "land", "utilities", "permits",
};
#define N_SECTORS (sizeof sectors / sizeof sectors[0])

static void test_header(void **state)
{
    const sim_table_t *t = *state;
    static const char *const first[] = {
        "id", "round", "zone", "urban", "stratum", "ea", "weight", "sex", "age_group",
    };
    static const char *const last[] = {
        "contact_any", "paid_any", "n_bribes", "amount", "reported",
    };
    assert_int_equal(t->n_cols, 9 + 2 * N_SECTORS + 5);
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(t->field[i], first[i]);
    for (size_t s = 0; s < N_SECTORS; s++) {
        char name[64];
        snprintf(name, sizeof name, "contact_%s", sectors[s]);
        assert_string_equal(t->field[9 + 2 * s], name);
        snprintf(name, sizeof name, "paid_%s", sectors[s]);
        assert_string_equal(t->field[10 + 2 * s], name);
    }
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(t->field[9 + 2 * N_SECTORS + i], last[i]);
    assert_in_range(t->n_rows, 2000, 4000);
}

/* 6 zones, 12 strata coded zone * 10 + urban, EAs numbered 1..k within each
 * stratum in order, 8-16 respondents per EA, exactly one single-EA stratum
 * (62, Capital rural), unique ids. */
static void test_design_structure(void **state)
{
    const sim_table_t *t = *state;
    size_t c_id = col_index(t, "id"), c_zone = col_index(t, "zone"),
           c_urban = col_index(t, "urban"), c_stratum = col_index(t, "stratum"),
           c_ea = col_index(t, "ea");
    size_t eas[7][3] = {{0}}, rows[7][3] = {{0}};
    long prev_stratum = -1, prev_ea = -1, prev_id = -1;
    size_t take = 0;
    for (size_t r = 1; r <= t->n_rows; r++) {
        long id = (long)num(t, r, c_id), zone = (long)num(t, r, c_zone),
             urban = (long)num(t, r, c_urban), stratum = (long)num(t, r, c_stratum),
             ea = (long)num(t, r, c_ea);
        assert_true(id > prev_id);
        prev_id = id;
        assert_in_range(zone, 1, 6);
        assert_in_range(urban, 1, 2);
        assert_int_equal(stratum, zone * 10 + urban);
        if (stratum != prev_stratum || ea != prev_ea) {
            if (prev_ea > 0)
                assert_in_range(take, 8, 16);
            /* a new EA: the next number in its stratum */
            assert_int_equal(ea, (long)eas[zone][urban] + 1);
            eas[zone][urban]++;
            take = 0;
        }
        take++;
        rows[zone][urban]++;
        prev_stratum = stratum;
        prev_ea = ea;
    }
    assert_in_range(take, 8, 16);
    size_t n_strata = 0, n_single = 0;
    for (int z = 1; z <= 6; z++)
        for (int u = 1; u <= 2; u++) {
            n_strata += rows[z][u] > 0;
            n_single += eas[z][u] == 1;
        }
    assert_int_equal(n_strata, 12);
    assert_int_equal(n_single, 1);
    assert_int_equal(eas[6][2], 1);
}

/* Positive weights, differing between strata, cv within 0.3..0.6. */
static void test_weights(void **state)
{
    const sim_table_t *t = *state;
    size_t c_w = col_index(t, "weight"), c_stratum = col_index(t, "stratum");
    double sum = 0.0, sum2 = 0.0, s11 = 0.0, s61 = 0.0;
    size_t n11 = 0, n61 = 0;
    for (size_t r = 1; r <= t->n_rows; r++) {
        double w = num(t, r, c_w);
        assert_true(w > 0.0);
        sum += w;
        sum2 += w * w;
        long h = (long)num(t, r, c_stratum);
        if (h == 11) { s11 += w; n11++; }
        if (h == 61) { s61 += w; n61++; }
    }
    double n = (double)t->n_rows, mean = sum / n;
    double cv = sqrt((sum2 - n * mean * mean) / (n - 1.0)) / mean;
    if (cv < 0.3 || cv > 0.6)
        fail_msg("weight cv %.3f outside 0.3..0.6", cv);
    /* Capital urban is weighted about twice as heavily as North urban. */
    assert_true(s61 / (double)n61 > 1.5 * s11 / (double)n11);
}

/* Weighted contact rate of SECTOR and bribery rate among its contacts;
 * codes 8 and 9 are left out of both. */
static void sector_rates(const sim_table_t *t, const char *sector, double *contact,
                         double *paid)
{
    char name[64];
    snprintf(name, sizeof name, "contact_%s", sector);
    size_t c_c = col_index(t, name);
    snprintf(name, sizeof name, "paid_%s", sector);
    size_t c_p = col_index(t, name), c_w = col_index(t, "weight");
    double cn = 0, cd = 0, pn = 0, pd = 0;
    for (size_t r = 1; r <= t->n_rows; r++) {
        double w = num(t, r, c_w), c = num(t, r, c_c), p = num(t, r, c_p);
        assert_true(c == 0 || c == 1 || c == 8 || c == 9);
        if (c != 1) {
            assert_true(p == -1.0); /* not asked: empty */
            cd += c == 0 ? w : 0.0;
            continue;
        }
        assert_true(p == 0 || p == 1 || p == 8 || p == 9);
        cn += w;
        cd += w;
        pn += p == 1 ? w : 0.0;
        pd += p <= 1 ? w : 0.0;
    }
    *contact = cn / cd;
    *paid = pn / pd;
}

static void test_rates_in_range(void **state)
{
    const sim_table_t *t = *state;
    for (size_t s = 0; s < N_SECTORS; s++) {
        double contact, paid;
        sector_rates(t, sectors[s], &contact, &paid);
        if (contact < 0.05 || contact > 0.55 || paid < 0.05 || paid > 0.40)
            fail_msg("%s: contact %.3f (want 0.05..0.55), paid %.3f (want 0.05..0.40)",
                     sectors[s], contact, paid);
    }
}

/* n_bribes, amount and reported are filled exactly for payers; paid_any is
 * filled exactly for those with contact_any == 1; reported ~5-15 %. */
static void test_payers(void **state)
{
    const sim_table_t *t = *state;
    size_t c_nb = col_index(t, "n_bribes"), c_amt = col_index(t, "amount"),
           c_rep = col_index(t, "reported"), c_ca = col_index(t, "contact_any"),
           c_pa = col_index(t, "paid_any"), c_w = col_index(t, "weight");
    double rep = 0.0, pay = 0.0;
    for (size_t r = 1; r <= t->n_rows; r++) {
        int payer = 0, contact = 0;
        for (size_t s = 0; s < N_SECTORS; s++) {
            payer |= num(t, r, col_index(t, "contact_police") + 2 * s + 1) == 1.0;
            contact |= num(t, r, col_index(t, "contact_police") + 2 * s) == 1.0;
        }
        double nb = num(t, r, c_nb), amt = num(t, r, c_amt), rp = num(t, r, c_rep);
        if (payer) {
            assert_true(nb >= 1.0 && amt > 0.0 && (rp == 0.0 || rp == 1.0));
            assert_true(num(t, r, c_pa) == 1.0);
            rep += rp * num(t, r, c_w);
            pay += num(t, r, c_w);
        } else {
            assert_true(nb == -1.0 && amt == -1.0 && rp == -1.0);
        }
        assert_true(contact == (num(t, r, c_ca) == 1.0));
        assert_true(contact == (num(t, r, c_pa) != -1.0));
    }
    if (rep / pay < 0.05 || rep / pay > 0.15)
        fail_msg("reported among payers %.3f, want 0.05..0.15", rep / pay);
}

/* The known change: police bribery among contacts falls clearly. */
static void test_police_falls(void **state)
{
    (void)state;
    sim_table_t *r1 = table_make(1), *r2 = table_make(2);
    double c1, p1, c2, p2;
    sector_rates(r1, "police", &c1, &p1);
    sector_rates(r2, "police", &c2, &p2);
    table_free(r1);
    table_free(r2);
    if (!(p2 < p1 - 0.05))
        fail_msg("police bribery round 1 %.3f, round 2 %.3f: no clear fall", p1, p2);
}

/* ---------------------------------------------------------------------
 * Options and errors
 * ------------------------------------------------------------------- */

static void test_deterministic(void **state)
{
    (void)state;
    graft_sim_opts_t opts;
    graft_sim_opts_init(&opts);
    opts.seed = 7;
    opts.ea_per_stratum = 3;
    size_t la, lb, lc;
    graft_error_t rc;
    char *a = generate(&opts, &la, &rc, NULL);
    assert_int_equal(rc, GRAFT_OK);
    char *b = generate(&opts, &lb, &rc, NULL);
    assert_int_equal(rc, GRAFT_OK);
    opts.seed = 8;
    char *c = generate(&opts, &lc, &rc, NULL);
    assert_int_equal(rc, GRAFT_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
}

/* ea_per_stratum = 2: every stratum has 2 or 3 EAs (the allocation
 * rounds 0.75..1.3 x 2, at least 2) except the lonely one. */
static void test_small_design(void **state)
{
    (void)state;
    graft_sim_opts_t opts;
    graft_sim_opts_init(&opts);
    opts.ea_per_stratum = 2;
    opts.round = 2;
    sim_table_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    graft_error_t rc;
    t->text = generate(&opts, &t->len, &rc, NULL);
    assert_int_equal(rc, GRAFT_OK);
    table_split(t);
    size_t c_stratum = col_index(t, "stratum"), c_ea = col_index(t, "ea");
    double max_ea[70] = {0};
    for (size_t r = 1; r <= t->n_rows; r++) {
        size_t h = (size_t)num(t, r, c_stratum);
        double ea = num(t, r, c_ea);
        if (ea > max_ea[h])
            max_ea[h] = ea;
        assert_int_equal(strncmp(cell(t, r, 0), "2", 1), 0); /* round-2 ids */
    }
    for (int z = 1; z <= 6; z++)
        for (int u = 1; u <= 2; u++)
            if (z == 6 && u == 2)
                assert_true(max_ea[z * 10 + u] == 1.0);
            else
                assert_true(max_ea[z * 10 + u] == 2.0 || max_ea[z * 10 + u] == 3.0);
    table_free(t);
}

static void expect_usage(int round, size_t eas, const char *msg)
{
    graft_sim_opts_t opts;
    graft_sim_opts_init(&opts);
    opts.round = round;
    opts.ea_per_stratum = eas;
    graft_diag_t diag;
    graft_diag_clear(&diag);
    size_t len;
    graft_error_t rc;
    char *buf = generate(&opts, &len, &rc, &diag);
    assert_int_equal(rc, GRAFT_ERR_USAGE);
    assert_int_equal(diag.code, GRAFT_ERR_USAGE);
    assert_string_equal(diag.msg, msg);
    assert_int_equal(len, 0); /* nothing written */
    free(buf);
}

static void test_bad_options(void **state)
{
    (void)state;
    expect_usage(0, 20, "simulate: round must be 1 or 2, not 0");
    expect_usage(3, 20, "simulate: round must be 1 or 2, not 3");
    expect_usage(1, 1, "simulate: EAs per stratum must be 2..200000, not 1");
    expect_usage(1, 200001, "simulate: EAs per stratum must be 2..200000, not 200001");
}

/* A stream that cannot be written: GRAFT_ERR_WRITE. */
static void test_write_error(void **state)
{
    (void)state;
    FILE *ro = fopen("surveys/demo/round1.csv", "r");
    assert_non_null(ro);
    graft_sim_opts_t opts;
    graft_sim_opts_init(&opts);
    graft_diag_t diag;
    graft_diag_clear(&diag);
    assert_int_equal(graft_simulate_write(ro, &opts, &diag), GRAFT_ERR_WRITE);
    assert_string_equal(diag.msg, "simulate: cannot write the data");
    fclose(ro);
    /* and DIAG may be NULL */
    ro = fopen("surveys/demo/round1.csv", "r");
    assert_non_null(ro);
    assert_int_equal(graft_simulate_write(ro, &opts, NULL), GRAFT_ERR_WRITE);
    fclose(ro);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest round1[] = {
        cmocka_unit_test(test_round1_committed),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_design_structure),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_rates_in_range),
        cmocka_unit_test(test_payers),
    };
    const struct CMUnitTest round2[] = {
        cmocka_unit_test(test_round2_committed),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_design_structure),
        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_rates_in_range),
        cmocka_unit_test(test_payers),
    };
    const struct CMUnitTest other[] = {
        cmocka_unit_test(test_police_falls),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_small_design),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_write_error),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("simulate_round1", round1, setup_round1,
                                          teardown_table);
    failed += cmocka_run_group_tests_name("simulate_round2", round2, setup_round2,
                                          teardown_table);
    failed += cmocka_run_group_tests_name("simulate", other, NULL, NULL);
    return failed ? 1 : 0;
}
