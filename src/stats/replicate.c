/*
 * replicate.c - replicate weights from a stratified clustered design, as R
 * survey 4.1-1's as.svrepdesign() makes them.
 *
 * Every PSU gets a dense "unit" index: strata in order of first
 * appearance, and within a stratum its PSUs (or rows, without a PSU
 * column) in order of first appearance.  That is R's replicate order for
 * jk1 and jkn (jk1weights/jknweights walk unique(strata), then
 * unique(psu)), and the order R's bootweights fill the replicate matrix.
 * A row's replicate factors depend only on its stratum and unit; its
 * replicate weights are its weight times them.
 */
#include "graft/replicate.h"
#include "stats/lonely.h"
#include "base/grow.h"
#include "base/names.h"
#include "io/reader_internal.h"
#include "write/csvout.h"
#include "write/survey_ini.h"
#include "graft/output.h"

#include <errno.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONE ((size_t)-1)

/* ---- methods --------------------------------------------------------- */

static const char *const method_names[] = {"jk1", "jkn", "brr", "fay",
                                           "bootstrap", "subbootstrap"};

int graft_repmethod_parse(const char *name, graft_repmethod_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(method_names, 0, name, &i))
        return 0;
    *out = (graft_repmethod_t)i;
    return 1;
}

const char *graft_repmethod_name(graft_repmethod_t method)
{
    return GRAFT_NAMES_AT(method_names, method);
}

void graft_replicate_opts_init(graft_replicate_opts_t *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->method = GRAFT_REPMETHOD_JKN;
    opts->replicates = GRAFT_REPLICATE_DEFAULT_N;
    opts->seed = GRAFT_REPLICATE_DEFAULT_SEED;
    opts->rho = NAN;
}

static int is_boot(graft_repmethod_t m)
{
    return m == GRAFT_REPMETHOD_BOOTSTRAP || m == GRAFT_REPMETHOD_SUBBOOTSTRAP;
}

static int is_brr(graft_repmethod_t m)
{
    return m == GRAFT_REPMETHOD_BRR || m == GRAFT_REPMETHOD_FAY;
}

/* ---- numbers as text --------------------------------------------------- */

/* R's formatReal() for one number at 15 digits (src/main/format.c): the
 * fewest significant digits that show X as 15 digits do, then fixed
 * notation unless scientific is narrower. */
char *graft_r_number(double x, char *buf, size_t size)
{
    char sci[64];
    if (!isfinite(x)) {
        snprintf(buf, size, "%s", isnan(x) ? "NaN" : x > 0 ? "Inf" : "-Inf");
        return buf;
    }
    snprintf(sci, sizeof sci, "%.14e", x);
    double v15 = strtod(sci, NULL);
    int d = 1;
    for (; d < 15; d++) {
        snprintf(sci, sizeof sci, "%.*e", d - 1, x);
        if (strtod(sci, NULL) == v15)
            break;
    }
    snprintf(sci, sizeof sci, "%.*e", d - 1, x);
    const char *e_at = strchr(sci, 'e');
    int e = e_at ? atoi(e_at + 1) : 0;
    int neg = x < 0;
    int rgt = d - 1 - e > 0 ? d - 1 - e : 0;
    int fixed_w = neg + (e >= 0 ? e + 1 : 1) + (rgt ? rgt + 1 : 0);
    int sci_w = neg + (d > 1 ? d + 1 : 1) + (abs(e) >= 100 ? 5 : 4);
    if (fixed_w <= sci_w)
        snprintf(buf, size, "%.*f", rgt, x);
    else
        snprintf(buf, size, "%s", sci);
    return buf;
}

/* ---- R's hadamard() ----------------------------------------------------- */

/* survey:::hadamard.list: R's precomputed 0/1 matrices of orders 4, 16, 28
 * and 36, row by row. */
static const char *const had4[] = {"1111", "1010", "1100", "1001"};
static const char *const had16[] = {
    "1111111111111111", "1010101010101010", "1100110011001100",
    "1001100110011001", "1111000011110000", "1010010110100101",
    "1100001111000011", "1001011010010110", "1111111100000000",
    "1010101001010101", "1100110000110011", "1001100101100110",
    "1111000000001111", "1010010101011010", "1100001100111100",
    "1001011001101001"};
static const char *const had28[] = {
    "1111111111111111111111111111", "1001110001110001110001111000",
    "1000001111001101001101111000", "1000001110110010111001100110",
    "1001101000001111100011010110", "1001010100101100010110101110",
    "1000110011010010001110011110", "0101100010101010011111110000",
    "0100010110110101100111010100", "0100011011001011110010101100",
    "0101011000010111011101001010", "0100101101100100111010011010",
    "0101100101011001101100100110", "0010110100011110101011101000",
    "0011011001100110101100110100", "0010101100111011010100011100",
    "0011000111010111010010110010", "0011001011111000100111001010",
    "0010110011101101011001000110", "1110101001010100010111100100",
    "1111000101100011001011001100", "1111000010011100111000011100",
    "1110010101001010110101010010", "1110011000111001001010110010",
    "1110100010100111100100101010", "1101111111111110000000000000",
    "1011111110000001111110000000", "0111111110000000000001111110"};
static const char *const had36[] = {
    "111111111111111111111111111111111111",
    "010111000111110111001000010101100100",
    "101110001111101110010000101011001000",
    "011100011111011100100001010110010010",
    "111000111110111001000010101100100100",
    "110001111101110010000101011001001010",
    "100011111011100100001010110010010110",
    "000111110111001000010101100100101110",
    "001111101110010000101011001001011100",
    "011111011100100001010110010010111000",
    "111110111001000010101100100101110000",
    "111101110010000101011001001011100010",
    "111011100100001010110010010111000110",
    "110111001000010101100100101110001110",
    "101110010000101011001001011100011110",
    "011100100001010110010010111000111110",
    "111001000010101100100101110001111100",
    "110010000101011001001011100011111010",
    "100100001010110010010111000111110110",
    "001000010101100100101110001111101110",
    "010000101011001001011100011111011100",
    "100001010110010010111000111110111000",
    "000010101100100101110001111101110010",
    "000101011001001011100011111011100100",
    "001010110010010111000111110111001000",
    "010101100100101110001111101110010000",
    "101011001001011100011111011100100000",
    "010110010010111000111110111001000010",
    "101100100101110001111101110010000100",
    "011001001011100011111011100100001010",
    "110010010111000111110111001000010100",
    "100100101110001111101110010000101010",
    "001001011100011111011100100001010110",
    "010010111000111110111001000010101100",
    "100101110001111101110010000101011000",
    "001011100011111011100100001010110010"};

static const size_t had_sizes[4] = {4, 16, 28, 36};
static const char *const *const had_list[4] = {had4, had16, had28, had36};

/* The primes p = 3 mod 4 up to 7919 that survey:::paley() knows. */
static int paley_prime(size_t p)
{
    if (p < 3 || p > 7919 || p % 4 != 3)
        return 0;
    for (size_t d = 3; d * d <= p; d += 2)
        if (p % d == 0)
            return 0;
    return 1;
}

static unsigned char *had_precooked(size_t k, size_t *order)
{
    size_t n = had_sizes[k];
    unsigned char *h = malloc(n * n);
    if (!h)
        return NULL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            h[i * n + j] = (unsigned char)(had_list[k][i][j] - '0');
    *order = n;
    return h;
}

/* survey:::hadamard.doubler: rbind(cbind(H, H), cbind(H, 1 - H)).  Frees
 * H; NULL when out of memory. */
static unsigned char *had_double(unsigned char *h, size_t *order)
{
    size_t n = *order, m = 2 * n;
    unsigned char *d = h ? malloc(m * m) : NULL;
    if (d)
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < m; j++) {
                unsigned char v = h[(i % n) * n + j % n];
                d[i * m + j] = (i >= n && j >= n) ? (unsigned char)(1 - v) : v;
            }
    free(h);
    *order = m;
    return d;
}

/* Paley's construction for the prime P (survey:::paley(prime = P)):
 * entry (i, j) of the inner P x P block is 0 when (i + j) mod P is 0 or
 * a quadratic residue, else 1; a border of ones makes order P + 1. */
static unsigned char *paley_matrix(size_t p, size_t *order)
{
    size_t n = p + 1;
    unsigned char *res = calloc(p, 1), *h = malloc(n * n);
    if (!res || !h) {
        free(res);
        free(h);
        return NULL;
    }
    res[0] = 1;
    for (size_t i = 1; i <= (p - 1) / 2; i++)
        res[(i * i) % p] = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            h[i * n + j] = (i == 0 || j == 0)
                               ? 1
                               : (unsigned char)!res[(i - 1 + j - 1) % p];
    free(res);
    *order = n;
    return h;
}

/* survey:::paley(n, nmax): NULL with *ORDER 0 when R returns NULL (or
 * out of memory, *ORDER 1). */
static unsigned char *paley(size_t n, size_t nmax, size_t *order)
{
    size_t nceil = n + 4 - n % 4, nn = nceil;
    *order = 0;
    if (n % 4 + 4 == n % 8) {
        while (nn % 8 == 0)
            nn /= 2;
        if (paley_prime(nn - 1)) {
            unsigned char *m = paley_matrix(nn - 1, order);
            while (m && nn < nceil) {
                m = had_double(m, order);
                nn *= 2;
            }
            if (!m)
                *order = 1;
            return m;
        }
    }
    if (n > 7919)
        return NULL;
    size_t p = n;
    while (!paley_prime(p))
        p++;
    if (p + 1 > nceil + 4 && nceil + 4 < nmax)
        return paley(nceil + 3, 2 * (nceil + 3), order);
    if (p > nmax)
        return NULL;
    unsigned char *m = paley_matrix(p, order);
    if (!m)
        *order = 1;
    return m;
}

unsigned char *graft_hadamard(size_t n, size_t *order)
{
    size_t m = n - n % 4;
    for (size_t k = 0; k < 4; k++) /* the first precooked that fits */
        if (m < had_sizes[k] && m + 4 >= had_sizes[k])
            return had_precooked(k, order);
    if (m < had_sizes[0])
        return had_precooked(0, order);
    /* Each precooked order doubled until it exceeds n; the closest wins. */
    size_t sizes[4], doubles[4], best = 0;
    for (size_t k = 0; k < 4; k++) {
        sizes[k] = had_sizes[k];
        doubles[k] = 0;
        while (sizes[k] < n + 1) {
            sizes[k] *= 2;
            doubles[k]++;
        }
        if (sizes[k] < sizes[best])
            best = k;
    }
    if (sizes[best] - n > 4) {
        unsigned char *h = paley(n, sizes[best], order);
        if (h || *order == 1)
            return h;
    }
    unsigned char *h = had_precooked(best, order);
    for (size_t i = 0; h && i < doubles[best]; i++)
        h = had_double(h, order);
    return h;
}

/* ---- the builder --------------------------------------------------------- */

struct graft_replicate {
    graft_design_spec_t spec;   /* strings borrowed from d1's copy */
    graft_replicate_opts_t opts;
    graft_design_t *d1, *d2;    /* pass 1, pass 2 */
    char file[1024];
    int strata_cols[GRAFT_MAX_STRATA_COLUMNS];
    size_t n_strata_cols;
    char **keys;                /* R's text of each stratum, for BRR */
    size_t n_keys, keys_cap;
    size_t n_rows;
    int planned;

    /* the plan */
    size_t H, n_units, n_psu;
    size_t *n_h, *offset;
    size_t *unit_of_psu;        /* PSU designs: dense PSU -> unit */
    size_t R;
    double scale;
    double *rscales;
    int fpc_dropped;
    size_t *first_rep;          /* jk: stratum's first replicate, or NONE */
    size_t *adj_rep, *adj_h;    /* jkn adjust replicates and their strata */
    size_t n_adj;
    unsigned char *had;         /* brr: hadamard matrix */
    size_t had_order;
    size_t *pseudo;             /* brr: unit -> row of the matrix */
    unsigned char *half;        /* brr: unit -> first (0) or second (1) */
    uint32_t *counts;           /* bootstraps: unit x replicate draws */

    /* pass 2 */
    size_t *seen;               /* rows seen per stratum (row designs) */
    size_t n_rows2;
};

graft_replicate_t *graft_replicate_alloc(const graft_design_spec_t *spec,
                                         const graft_replicate_opts_t *opts)
{
    graft_replicate_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->opts = *opts;
    if (!(r->d1 = graft_design_alloc(spec))) {
        free(r);
        return NULL;
    }
    r->spec = *graft_design_spec(r->d1);
    return r;
}

static void free_plan(graft_replicate_t *r)
{
    free(r->n_h);
    free(r->offset);
    free(r->unit_of_psu);
    free(r->rscales);
    free(r->first_rep);
    free(r->adj_rep);
    free(r->adj_h);
    free(r->had);
    free(r->pseudo);
    free(r->half);
    free(r->counts);
    free(r->seen);
}

void graft_replicate_free(graft_replicate_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_keys; i++)
        free(r->keys[i]);
    free(r->keys);
    free_plan(r);
    graft_design_free(r->d1);
    graft_design_free(r->d2);
    free(r);
}

static graft_error_t nomem(graft_diag_t *diag, const char *file)
{
    return graft_diag_set(diag, GRAFT_ERR_NOMEM, file, 0, 0, "out of memory");
}

static graft_error_t usage(graft_diag_t *diag, const char *fmt,
                           const char *a)
{
    return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0, fmt, a);
}

/* Options and design that cannot go together (R's as.svrepdesign
 * refuses the same). */
static graft_error_t check_fit(const graft_replicate_t *r,
                               graft_diag_t *diag)
{
    const graft_replicate_opts_t *o = &r->opts;
    const char *m = graft_repmethod_name(o->method);
    if ((size_t)o->method >= GRAFT_COUNTOF(method_names))
        return usage(diag, "unknown replicate method%s", "");
    if (r->spec.rep.columns)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, r->file, 0, 0,
                              "the design already has replicate weights "
                              "(repweights = %s)",
                              r->spec.rep.columns);
    if (o->method == GRAFT_REPMETHOD_JK1 && r->spec.n_strata)
        return usage(diag, "--type jk1 is for unstratified designs (R: "
                           "\"Can't use JK1 for a stratified design\"); "
                           "use jkn%s", "");
    if (!r->spec.n_strata && !is_boot(o->method) &&
        o->method != GRAFT_REPMETHOD_JK1)
        return usage(diag, "--type %s needs strata (R: \"Must use JK1 or "
                           "bootstrap for an unstratified design\")", m);
    if (o->method == GRAFT_REPMETHOD_FAY && !(o->rho > 0 && o->rho < 1))
        return usage(diag, "--type fay needs --rho between 0 and 1%s", "");
    if (is_boot(o->method) && (o->replicates < 2 ||
                               o->replicates > GRAFT_REPLICATE_MAX_N))
        return usage(diag, "--replicates must be 2 to 10000%s", "");
    if (is_boot(o->method) && o->seed > 4294967295UL)
        return usage(diag, "--seed must be 0 to 4294967295%s", "");
    return GRAFT_OK;
}

static graft_error_t bind_strata(graft_replicate_t *r,
                                 const graft_column_t *cols, size_t ncols)
{
    r->n_strata_cols = r->spec.n_strata;
    for (size_t i = 0; i < r->spec.n_strata; i++)
        for (size_t c = 0; c < ncols; c++)
            if (strcmp(cols[c].name, r->spec.strata[i]) == 0)
                r->strata_cols[i] = (int)c;
    return GRAFT_OK;
}

graft_error_t graft_replicate_bind(graft_replicate_t *r, const char *file,
                                   const graft_column_t *cols, size_t ncols,
                                   graft_diag_t *diag)
{
    graft_error_t rc;
    snprintf(r->file, sizeof r->file, "%s", file ? file : "");
    if (!r->planned) {
        if ((rc = check_fit(r, diag)) != GRAFT_OK ||
            (rc = graft_design_bind(r->d1, file, cols, ncols, diag)) !=
                GRAFT_OK)
            return rc;
        return bind_strata(r, cols, ncols);
    }
    graft_design_free(r->d2);
    free(r->seen);
    r->n_rows2 = 0;
    if (!(r->d2 = graft_design_alloc(&r->spec)) ||
        !(r->seen = calloc(r->H ? r->H : 1, sizeof *r->seen)))
        return nomem(diag, file);
    return graft_design_bind(r->d2, file, cols, ncols, diag);
}

/* R's text of a row's stratum: as.character() of each strata value,
 * joined by "." as interaction() joins them. */
static char *stratum_key(const graft_replicate_t *r, const graft_cell_t *cells)
{
    char buf[2048] = "", part[512];
    size_t used = 0;
    for (size_t i = 0; i < r->n_strata_cols; i++) {
        const graft_cell_t *c = &cells[r->strata_cols[i]];
        if (c->kind == GRAFT_CELL_NUMBER)
            graft_r_number(c->num, part, sizeof part);
        else
            snprintf(part, sizeof part, "%s", c->str ? c->str : "");
        int n = snprintf(buf + used, sizeof buf - used, "%s%s",
                         i ? "." : "", part);
        if (n < 0 || (size_t)n >= sizeof buf - used)
            break;
        used += (size_t)n;
    }
    size_t n = strlen(buf) + 1;
    char *k = malloc(n);
    if (k)
        memcpy(k, buf, n);
    return k;
}

graft_error_t graft_replicate_add(graft_replicate_t *r,
                                  const graft_cell_t *cells,
                                  unsigned long line, graft_diag_t *diag)
{
    graft_design_obs_t obs;
    graft_error_t rc = graft_design_row(r->d1, cells, line, &obs, diag);
    if (rc != GRAFT_OK)
        return rc;
    r->n_rows++;
    if (obs.stratum < r->n_keys)
        return GRAFT_OK;
    char **k = graft_grow(r->keys, &r->keys_cap, r->n_keys + 1, sizeof *k);
    if (!k)
        return nomem(diag, r->file);
    r->keys = k;
    if (!(r->keys[r->n_keys] = stratum_key(r, cells)))
        return nomem(diag, r->file);
    r->n_keys++;
    return GRAFT_OK;
}

/* ---- plan: units ----------------------------------------------------------- */

/* Strata sizes, unit offsets and, with a PSU column, each PSU's unit. */
static graft_error_t plan_units(graft_replicate_t *r, graft_diag_t *diag)
{
    const graft_design_t *d = r->d1;
    r->H = graft_design_n_strata(d);
    r->n_h = calloc(r->H, sizeof *r->n_h);
    r->offset = calloc(r->H, sizeof *r->offset);
    if (!r->n_h || !r->offset)
        return nomem(diag, r->file);
    for (size_t h = 0; h < r->H; h++) {
        r->n_h[h] = graft_design_stratum_psus(d, h);
        r->offset[h] = r->n_units;
        r->n_units += r->n_h[h];
    }
    if (!r->spec.psu)
        return GRAFT_OK;
    r->n_psu = graft_design_n_psu(d);
    size_t *next = calloc(r->H, sizeof *next);
    r->unit_of_psu = malloc((r->n_psu ? r->n_psu : 1) * sizeof *r->unit_of_psu);
    if (!next || !r->unit_of_psu) {
        free(next);
        return nomem(diag, r->file);
    }
    /* Dense PSU ids come in order of first appearance. */
    for (size_t j = 0; j < r->n_psu; j++) {
        size_t h = graft_design_psu_stratum(d, j);
        r->unit_of_psu[j] = r->offset[h] + next[h]++;
    }
    free(next);
    return GRAFT_OK;
}

static graft_error_t alloc_reps(graft_replicate_t *r, size_t R,
                                graft_diag_t *diag)
{
    r->R = R;
    if (!(r->rscales = malloc((R ? R : 1) * sizeof *r->rscales)))
        return nomem(diag, r->file);
    for (size_t i = 0; i < R; i++)
        r->rscales[i] = 1.0;
    return GRAFT_OK;
}

static graft_error_t no_replicates(graft_replicate_t *r, graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_DESIGN_VALUE, r->file, 0, 0,
                          "no replicates: every stratum was sampled whole "
                          "(fpc) or is a single-PSU stratum left out (R: "
                          "\"All strata were exhaustively sampled\")");
}

/* R replicates (AT_LEAST: R or more) are more than GRAFT_MAX_REPLICATES:
 * one weight column per replicate on every row would be too large to write
 * or to use. */
static graft_error_t too_many_replicates(const graft_replicate_t *r, size_t R,
                                         int at_least, graft_diag_t *diag)
{
    const char *what, *fix;
    if (r->opts.method == GRAFT_REPMETHOD_BRR ||
        r->opts.method == GRAFT_REPMETHOD_FAY) {
        what = "one per pair of PSUs, and more for the Hadamard matrix";
        fix = "use fewer strata (--strata)";
    } else if (r->spec.psu) {
        what = "one per PSU";
        fix = "group the PSUs into larger ones (--psu)";
    } else {
        what = "one per row: there is no --psu";
        fix = "group the rows into PSUs (--psu)";
    }
    return graft_diag_set(
        diag, GRAFT_ERR_DESIGN_VALUE, r->file, 0, 0,
        "--type %s would make %s%zu replicate weights (%s), more than the "
        "limit of %d: use --type bootstrap (--replicates N) or %s",
        graft_repmethod_name(r->opts.method), at_least ? "at least " : "", R,
        what, GRAFT_MAX_REPLICATES, fix);
}

/* ---- plan: jackknives ------------------------------------------------------ */

/* survey:::jknweights (and jk1weights for one stratum): a stratum sampled
 * whole (f_h = 1) has no replicate (survey.drop.replicates); a single-PSU
 * stratum follows the lonely-PSU policy; any other stratum h gives one
 * replicate per PSU with rscale (1 - f_h) (n_h - 1) / n_h. */
static graft_error_t plan_jk_count(graft_replicate_t *r, size_t *R,
                                   graft_diag_t *diag)
{
    *R = 0;
    for (size_t h = 0; h < r->H; h++) {
        double f = graft_design_stratum_fraction(r->d1, h);
        r->first_rep[h] = NONE;
        if (f >= 1)
            continue;
        if (r->n_h[h] > 1) {
            r->first_rep[h] = *R;
            *R += r->n_h[h];
            continue;
        }
        if (r->opts.method == GRAFT_REPMETHOD_JK1)
            return graft_diag_set(diag, GRAFT_ERR_DESIGN_VALUE, r->file, 0,
                                  0, "--type jk1 needs 2 or more PSUs; "
                                     "the design has 1");
        graft_error_t rc = graft_lonely_check(
            r->spec.lonely, r->file, graft_design_stratum_name(r->d1, h),
            diag);
        if (rc != GRAFT_OK)
            return rc;
        if (graft_lonely_jk_replicate(r->spec.lonely)) {
            r->adj_rep[r->n_adj] = (*R)++;
            r->adj_h[r->n_adj++] = h;
        }
    }
    return GRAFT_OK;
}

static graft_error_t plan_jk(graft_replicate_t *r, graft_diag_t *diag)
{
    size_t R;
    graft_error_t rc;
    r->first_rep = malloc(r->H * sizeof *r->first_rep);
    r->adj_rep = malloc(r->H * sizeof *r->adj_rep);
    r->adj_h = malloc(r->H * sizeof *r->adj_h);
    if (!r->first_rep || !r->adj_rep || !r->adj_h)
        return nomem(diag, r->file);
    if ((rc = plan_jk_count(r, &R, diag)) != GRAFT_OK)
        return rc;
    if (R == 0)
        return no_replicates(r, diag);
    if (R > GRAFT_MAX_REPLICATES)
        return too_many_replicates(r, R, 0, diag);
    if ((rc = alloc_reps(r, R, diag)) != GRAFT_OK)
        return rc;
    double nstrat = (double)r->H;
    for (size_t h = 0; h < r->H; h++) {
        if (r->first_rep[h] == NONE)
            continue;
        double fpc = 1.0 - graft_design_stratum_fraction(r->d1, h);
        double n = (double)r->n_h[h];
        for (size_t k = 0; k < r->n_h[h]; k++)
            r->rscales[r->first_rep[h] + k] = fpc * (n - 1) / n;
    }
    for (size_t a = 0; a < r->n_adj; a++)
        r->rscales[r->adj_rep[a]] = (nstrat - 1) / nstrat;
    r->scale = 1.0;
    if (r->opts.method == GRAFT_REPMETHOD_JK1) {
        /* jk1weights: scale = fpc (n - 1) / n, rscales 1. */
        r->scale = r->rscales[0];
        for (size_t i = 0; i < R; i++)
            r->rscales[i] = 1.0;
    } else {
        r->scale = graft_lonely_jk_scale(r->spec.lonely,
                                         graft_design_n_psu(r->d1), R);
    }
    return GRAFT_OK;
}

static void jk_factors(const graft_replicate_t *r, size_t h, size_t u,
                       double *f)
{
    for (size_t i = 0; i < r->R; i++)
        f[i] = 1.0;
    double nstrat = (double)r->H;
    for (size_t a = 0; a < r->n_adj; a++)
        f[r->adj_rep[a]] = r->adj_h[a] == h ? 0.0 : nstrat / (nstrat - 1);
    if (r->first_rep[h] == NONE)
        return;
    double n = (double)r->n_h[h];
    size_t k = u - r->offset[h];
    for (size_t j = 0; j < r->n_h[h]; j++)
        f[r->first_rep[h] + j] = j == k ? 0.0 : n / (n - 1);
}

/* ---- plan: balanced repeated replication ---------------------------------- */

typedef struct keyed {
    const char *key;
    size_t h;
} keyed_t;

/* By R's text of the stratum (byte order: R's sort in the C locale). */
static int cmp_keyed(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->h > y->h) - (x->h < y->h);
}

/* Check every stratum has 2 PSUs or an even number (R's large = "split"). */
static graft_error_t brr_check(const graft_replicate_t *r, graft_diag_t *diag)
{
    for (size_t h = 0; h < r->H; h++)
        if (r->n_h[h] < 2 || r->n_h[h] % 2)
            return graft_diag_set(
                diag, GRAFT_ERR_DESIGN_VALUE, r->file, 0, 0,
                "BRR needs 2 PSUs in every stratum (R splits an even "
                "number into pairs); stratum '%s' has %zu",
                graft_design_stratum_name(r->d1, h), r->n_h[h]);
    return GRAFT_OK;
}

/* survey:::brrweights: strata in sorted order of their text; strata of
 * more than 2 PSUs first, split into consecutive pairs, then the 2-PSU
 * strata; each pair is one row of the Hadamard matrix, its first PSU (in
 * order of appearance) the half that gets factor rho when the matrix says
 * 0, 2 - rho when it says 1 (and the other half the reverse). */
static graft_error_t plan_brr(graft_replicate_t *r, graft_diag_t *diag)
{
    graft_error_t rc = brr_check(r, diag);
    if (rc != GRAFT_OK)
        return rc;
    keyed_t *order = malloc(r->H * sizeof *order);
    r->pseudo = malloc(r->n_units * sizeof *r->pseudo);
    r->half = malloc(r->n_units);
    if (!order || !r->pseudo || !r->half) {
        free(order);
        return nomem(diag, r->file);
    }
    for (size_t h = 0; h < r->H; h++)
        order[h] = (keyed_t){r->keys[h], h};
    qsort(order, r->H, sizeof *order, cmp_keyed);
    size_t upto = 0;
    for (int pass = 0; pass < 2; pass++) /* large strata, then pairs */
        for (size_t i = 0; i < r->H; i++) {
            size_t h = order[i].h, n = r->n_h[h];
            if ((n > 2) != (pass == 0))
                continue;
            for (size_t k = 0; k < n; k++) {
                r->pseudo[r->offset[h] + k] = upto + k / 2 + 1;
                r->half[r->offset[h] + k] = (unsigned char)(k % 2);
            }
            upto += n / 2;
        }
    free(order);
    if (upto >= GRAFT_MAX_REPLICATES) /* the order is above upto */
        return too_many_replicates(r, upto + 1, 1, diag);
    if (!(r->had = graft_hadamard(upto, &r->had_order)))
        return nomem(diag, r->file);
    if (r->had_order > GRAFT_MAX_REPLICATES)
        return too_many_replicates(r, r->had_order, 0, diag);
    if ((rc = alloc_reps(r, r->had_order, diag)) != GRAFT_OK)
        return rc;
    double rho = r->opts.method == GRAFT_REPMETHOD_FAY ? r->opts.rho : 0.0;
    r->scale = 1.0 / ((double)r->R * (1 - rho) * (1 - rho));
    r->fpc_dropped = r->spec.fpc != NULL;
    return GRAFT_OK;
}

static void brr_factors(const graft_replicate_t *r, size_t u, double *f)
{
    double rho = r->opts.method == GRAFT_REPMETHOD_FAY ? r->opts.rho : 0.0;
    const unsigned char *row = r->had + r->pseudo[u] * r->had_order;
    for (size_t i = 0; i < r->R; i++) {
        /* col = H + 1; wa = weights[, col], wb = weights[, 3 - col]. */
        double wa = row[i] ? 1.0 - r->half[u] : r->half[u];
        double wb = 1.0 - wa;
        f[i] = wa * (2 - rho) + wb * rho;
    }
}

/* ---- plan: bootstraps ---------------------------------------------------- */

/* Draw N distinct units of 0..POP-1 (Floyd's algorithm), mapping unit x
 * to PERM[x % n] as rep(PSUs, length = POP) does; count them in C. */
static graft_error_t draw_without(gsl_rng *rng, size_t n, unsigned long pop,
                                  const size_t *perm, uint32_t *c,
                                  size_t stride)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    unsigned long *set = malloc(cap * sizeof *set);
    if (!set)
        return GRAFT_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        set[i] = ULONG_MAX;
    for (unsigned long t = pop - n; t < pop; t++) {
        unsigned long x = gsl_rng_uniform_int(rng, t + 1);
        size_t s = (size_t)(x * 2654435761UL) & (cap - 1);
        for (; set[s] != ULONG_MAX; s = (s + 1) & (cap - 1))
            if (set[s] == x)
                break;
        if (set[s] == x) { /* taken: take t, never taken before */
            x = t;
            s = (size_t)(x * 2654435761UL) & (cap - 1);
            while (set[s] != ULONG_MAX)
                s = (s + 1) & (cap - 1);
        }
        set[s] = x;
        c[perm[x % n] * stride]++;
    }
    free(set);
    return GRAFT_OK;
}

/* Population number of PSUs of stratum H for R's bootstratum(), 0 when
 * the design has no fpc. */
static unsigned long boot_popsize(const graft_replicate_t *r, size_t h)
{
    double f = graft_design_stratum_fraction(r->d1, h);
    if (f <= 0)
        return 0;
    double N = (double)r->n_h[h] / f;
    return (unsigned long)floor(N + 1e-7 * N); /* rep(length = N) truncates */
}

/* One stratum of survey:::bootstratum (bootstrap) or subbootstratum
 * (subbootstrap).  Draw order, the contract of --seed: strata in order of
 * appearance; with an fpc, first a Fisher-Yates shuffle of the stratum's
 * PSUs; then per replicate, n_h (bootstrap) or n_h - 1 (subbootstrap)
 * draws gsl_rng_uniform_int(n_h), or without replacement from the
 * pseudo-population. */
static graft_error_t boot_stratum(graft_replicate_t *r, gsl_rng *rng,
                                  size_t h, size_t *perm)
{
    size_t n = r->n_h[h], R = r->R;
    uint32_t *c = r->counts + r->offset[h] * R;
    unsigned long pop = r->opts.method == GRAFT_REPMETHOD_BOOTSTRAP
                            ? boot_popsize(r, h)
                            : 0;
    for (size_t k = 0; k < n; k++)
        perm[k] = k;
    if (pop)
        for (size_t k = n - 1; k > 0; k--) {
            size_t j = (size_t)gsl_rng_uniform_int(rng, k + 1), t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
    size_t draws = r->opts.method == GRAFT_REPMETHOD_BOOTSTRAP ? n : n - 1;
    for (size_t i = 0; i < R; i++) {
        if (pop) {
            if (draw_without(rng, n, pop, perm, c + i, R) != GRAFT_OK)
                return GRAFT_ERR_NOMEM;
            continue;
        }
        for (size_t k = 0; k < draws; k++)
            c[(size_t)gsl_rng_uniform_int(rng, n) * R + i]++;
    }
    return GRAFT_OK;
}

static graft_error_t boot_check(graft_replicate_t *r, graft_diag_t *diag)
{
    double inv = 0;
    for (size_t h = 0; h < r->H; h++) {
        if (r->opts.method == GRAFT_REPMETHOD_SUBBOOTSTRAP && r->n_h[h] < 2)
            return graft_diag_set(
                diag, GRAFT_ERR_DESIGN_VALUE, r->file, 0, 0,
                "subbootstrap needs 2 or more PSUs in every stratum; "
                "stratum '%s' has 1",
                graft_design_stratum_name(r->d1, h));
        if (r->opts.method == GRAFT_REPMETHOD_BOOTSTRAP &&
            boot_popsize(r, h) > 4294967295UL)
            return graft_diag_set(
                diag, GRAFT_ERR_DESIGN_VALUE, r->file, 0, 0,
                "stratum '%s': the fpc's population is too large for the "
                "bootstrap",
                graft_design_stratum_name(r->d1, h));
        inv += 1.0 / (double)r->n_h[h];
    }
    if (r->opts.method == GRAFT_REPMETHOD_BOOTSTRAP && inv >= (double)r->H)
        return graft_diag_set(diag, GRAFT_ERR_DESIGN_VALUE, r->file, 0, 0,
                              "bootstrap needs a stratum with 2 or more "
                              "PSUs");
    return GRAFT_OK;
}

/* survey:::bootweights: scale = m / ((m - 1) (R - 1)) with m the harmonic
 * mean of the PSUs per stratum; subbootweights: 1 / (R - 1). */
static graft_error_t plan_boot(graft_replicate_t *r, graft_diag_t *diag)
{
    graft_error_t rc = boot_check(r, diag);
    size_t R = r->opts.replicates, nmax = 1;
    if (rc != GRAFT_OK || (rc = alloc_reps(r, R, diag)) != GRAFT_OK)
        return rc;
    if (r->n_units > SIZE_MAX / sizeof *r->counts / R)
        return nomem(diag, r->file);
    for (size_t h = 0; h < r->H; h++)
        nmax = r->n_h[h] > nmax ? r->n_h[h] : nmax;
    r->counts = calloc(r->n_units * R, sizeof *r->counts);
    size_t *perm = malloc(nmax * sizeof *perm);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (r->counts && perm && rng) {
        gsl_rng_set(rng, r->opts.seed);
        for (size_t h = 0; h < r->H && rc == GRAFT_OK; h++)
            rc = boot_stratum(r, rng, h, perm);
    } else {
        rc = GRAFT_ERR_NOMEM;
    }
    free(perm);
    gsl_rng_free(rng);
    if (rc != GRAFT_OK)
        return nomem(diag, r->file);
    double inv = 0;
    for (size_t h = 0; h < r->H; h++)
        inv += 1.0 / (double)r->n_h[h];
    double m = 1.0 / (inv / (double)r->H);
    r->scale = r->opts.method == GRAFT_REPMETHOD_BOOTSTRAP
                   ? m / ((m - 1) * (double)(R - 1))
                   : 1.0 / (double)(R - 1);
    r->fpc_dropped =
        r->opts.method == GRAFT_REPMETHOD_SUBBOOTSTRAP && r->spec.fpc;
    return GRAFT_OK;
}

static void boot_factors(const graft_replicate_t *r, size_t h, size_t u,
                         double *f)
{
    const uint32_t *c = r->counts + u * r->R;
    double n = (double)r->n_h[h];
    for (size_t i = 0; i < r->R; i++)
        f[i] = r->opts.method == GRAFT_REPMETHOD_BOOTSTRAP
                   ? (double)c[i]
                   : (double)c[i] * n / (n - 1); /* table * n / (n - 1) */
}

/* ---- plan --------------------------------------------------------------- */

graft_error_t graft_replicate_plan(graft_replicate_t *r, graft_diag_t *diag)
{
    graft_error_t rc;
    if (r->planned)
        return graft_diag_set(diag, GRAFT_ERR_INTERNAL, r->file, 0, 0,
                              "graft_replicate_plan called twice");
    if ((rc = graft_design_finish(r->d1, diag)) != GRAFT_OK ||
        (rc = plan_units(r, diag)) != GRAFT_OK)
        return rc;
    switch (r->opts.method) {
    case GRAFT_REPMETHOD_JK1:
    case GRAFT_REPMETHOD_JKN: rc = plan_jk(r, diag); break;
    case GRAFT_REPMETHOD_BRR:
    case GRAFT_REPMETHOD_FAY: rc = plan_brr(r, diag); break;
    default: rc = plan_boot(r, diag); break;
    }
    if (rc == GRAFT_OK)
        r->planned = 1;
    return rc;
}

size_t graft_replicate_count(const graft_replicate_t *r)
{
    return r->R;
}

double graft_replicate_scale(const graft_replicate_t *r)
{
    return r->scale;
}

const double *graft_replicate_rscales(const graft_replicate_t *r)
{
    return r->rscales;
}

const graft_design_t *graft_replicate_design(const graft_replicate_t *r)
{
    return r->d1;
}

int graft_replicate_fpc_dropped(const graft_replicate_t *r)
{
    return r->fpc_dropped;
}

/* ---- pass 2 ------------------------------------------------------------------ */

static graft_error_t changed(const graft_replicate_t *r, unsigned long line,
                             graft_diag_t *diag)
{
    return graft_diag_set(diag, GRAFT_ERR_READ, r->file, line, 0,
                          "the file changed between graft's two passes");
}

graft_error_t graft_replicate_weights(graft_replicate_t *r,
                                      const graft_cell_t *cells,
                                      unsigned long line, double *w,
                                      double *repw, graft_diag_t *diag)
{
    graft_design_obs_t obs;
    graft_error_t rc;
    if (!r->planned || !r->d2)
        return graft_diag_set(diag, GRAFT_ERR_INTERNAL, r->file, line, 0,
                              "replicate weights before the plan");
    if ((rc = graft_design_row(r->d2, cells, line, &obs, diag)) != GRAFT_OK)
        return rc;
    size_t h = obs.stratum, u;
    if (++r->n_rows2 > r->n_rows || h >= r->H)
        return changed(r, line, diag);
    if (obs.psu != GRAFT_ROW_PSU) {
        if (obs.psu >= r->n_psu || graft_design_psu_stratum(r->d1, obs.psu) != h)
            return changed(r, line, diag);
        u = r->unit_of_psu[obs.psu];
    } else {
        if (r->seen[h] >= r->n_h[h])
            return changed(r, line, diag);
        u = r->offset[h] + r->seen[h]++;
    }
    if (is_brr(r->opts.method))
        brr_factors(r, u, repw);
    else if (is_boot(r->opts.method))
        boot_factors(r, h, u, repw);
    else
        jk_factors(r, h, u, repw);
    for (size_t i = 0; i < r->R; i++)
        repw[i] = obs.weight * repw[i];
    *w = obs.weight;
    return GRAFT_OK;
}

graft_error_t graft_replicate_end(graft_replicate_t *r, graft_diag_t *diag)
{
    if (r->n_rows2 != r->n_rows)
        return changed(r, 0, diag);
    return GRAFT_OK;
}

/* ---- the survey file -------------------------------------------------------- */

char *graft_replicate_ini_path(const char *path, char *buf, size_t size)
{
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, ".ini") == 0)
        return NULL;
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t stem = dot && dot != (slash ? slash + 1 : path) ? (size_t)(dot - path)
                                                            : n;
    int w = snprintf(buf, size, "%.*s.ini", (int)stem, path);
    return w < 0 || (size_t)w >= size ? NULL : buf;
}

static void write_survey_section(FILE *fp, const graft_replicate_out_t *o)
{
    const char *base = strrchr(o->path, '/');
    base = base ? base + 1 : o->path;
    fputs("[survey]\n", fp);
    if (o->name) {
        fputs("name = ", fp);
        graft_ini_text(fp, o->name);
        fputc('\n', fp);
    }
    if (o->round) {
        fputs("round = ", fp);
        graft_ini_text(fp, o->round);
        fputc('\n', fp);
    }
    if (o->year)
        fprintf(fp, "year = %ld\n", o->year);
    fputs("data = ", fp);
    graft_ini_text(fp, base);
    fputs("\ndelim = ,\n", fp);
}

/* The regular expression for PREFIX followed by digits. */
static void write_regex(FILE *fp, const char *prefix)
{
    for (const char *p = prefix; *p; p++) {
        if (*p == '.')
            fputc('\\', fp);
        fputc(*p, fp);
    }
    fputs("[0-9]+", fp);
}

static void write_design_comment(FILE *fp, const graft_replicate_t *r)
{
    const graft_design_spec_t *s = &r->spec;
    const char *sep = ": ";
    fprintf(fp, "; %s replicates of the design",
            graft_repmethod_name(r->opts.method));
    for (size_t i = 0; i < s->n_strata; i++) {
        fprintf(fp, "%s%s", i ? ", " : ": strata = ", s->strata[i]);
        sep = ", ";
    }
    if (s->psu) {
        fprintf(fp, "%spsu = %s%s", sep, s->psu, s->nest ? " (nested)" : "");
        sep = ", ";
    }
    if (s->fpc)
        fprintf(fp, "%sfpc = %s%s", sep, s->fpc,
                r->fpc_dropped ? " (left out, as R leaves it out)" : "");
    fputc('\n', fp);
    if (is_boot(r->opts.method))
        fprintf(fp, "; %zu replicates, gsl_rng_mt19937 seed %lu%s\n", r->R,
                r->opts.seed,
                r->opts.method == GRAFT_REPMETHOD_SUBBOOTSTRAP
                    ? "; subbootstrap (R's subbootweights)"
                    : "");
}

static void write_design_section(FILE *fp, const graft_replicate_t *r,
                                 const char *prefix)
{
    char num[64];
    fputs("\n[design]\n", fp);
    write_design_comment(fp, r);
    fputs("weight = ", fp);
    graft_ini_text(fp, r->spec.unweighted ? "1" : r->spec.weight);
    fputs("\nrepweights = ", fp);
    write_regex(fp, prefix);
    graft_repmethod_t m = r->opts.method;
    fprintf(fp, "\nreptype = %s\n",
            m == GRAFT_REPMETHOD_SUBBOOTSTRAP ? "bootstrap"
                                               : graft_repmethod_name(m));
    fprintf(fp, "scale = %s\n", graft_shortest_number(r->scale, num, sizeof num));
    fputs("rscales = ", fp);
    for (size_t i = 0; i < r->R; i++)
        fprintf(fp, "%s%s", i ? ", " : "",
                graft_shortest_number(r->rscales[i], num, sizeof num));
    fputc('\n', fp);
    if (m == GRAFT_REPMETHOD_FAY)
        fprintf(fp, "rho = %s\n", graft_shortest_number(r->opts.rho, num, sizeof num));
    fputs("mse = false\n", fp);
}

static void write_derive_section(FILE *fp, const graft_replicate_out_t *o)
{
    if (o->only_weights || !o->n_derived)
        return;
    fputs("\n[derive]\n", fp);
    for (size_t i = 0; i < o->n_derived; i++) {
        graft_ini_text(fp, o->derived[i].name);
        fputs(" = ", fp);
        graft_ini_text(fp, o->derived[i].expr);
        fputc('\n', fp);
    }
}

/* ---- the command: two passes --------------------------------------------------- */

typedef struct write_ctx {
    graft_replicate_t *r;
    const char *data;
    const graft_replicate_out_t *out;
    const graft_read_opts_t *read;
    const char *prefix;
    graft_outfile_t csv, ini;
    size_t *cols;          /* the columns written */
    size_t n_cols;
    double *repw;
} write_ctx_t;

static graft_error_t pass1_header(void *ctx, const graft_column_t *cols,
                                  size_t ncols, graft_diag_t *diag)
{
    write_ctx_t *w = ctx;
    return graft_replicate_bind(w->r, w->data, cols, ncols, diag);
}

static graft_error_t pass1_row(void *ctx, const graft_cell_t *cells,
                               size_t ncols, unsigned long line,
                               graft_diag_t *diag)
{
    (void)ncols;
    return graft_replicate_add(((write_ctx_t *)ctx)->r, cells, line, diag);
}

static int column_index(const graft_column_t *cols, size_t ncols,
                        const char *name)
{
    for (size_t c = 0; c < ncols; c++)
        if (strcmp(cols[c].name, name) == 0)
            return (int)c;
    return -1;
}

/* Is NAME the prefix followed by digits only? */
static int is_rep_name(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0 || !name[n])
        return 0;
    for (const char *p = name + n; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* The columns to write: all, or the id and the weight. */
static graft_error_t choose_columns(write_ctx_t *w, const graft_column_t *cols,
                                    size_t ncols, graft_diag_t *diag)
{
    const char *file = w->r->file;
    if (!(w->cols = malloc((ncols ? ncols : 1) * sizeof *w->cols)))
        return nomem(diag, file);
    w->n_cols = 0;
    if (!w->out->only_weights) {
        for (size_t c = 0; c < ncols; c++)
            w->cols[w->n_cols++] = c;
        return GRAFT_OK;
    }
    int id = w->out->id ? column_index(cols, ncols, w->out->id) : 0;
    if (id < 0) {
        const char *near = graft_closest_column(w->out->id, cols, ncols);
        return graft_diag_set(diag, GRAFT_ERR_COLUMN, file, 0, 0,
                              "--id given for unknown column '%s'%s%s%s",
                              w->out->id, near ? " (did you mean '" : "",
                              near ? near : "", near ? "'?)" : "");
    }
    w->cols[w->n_cols++] = (size_t)id;
    int wc = w->r->spec.weight ? column_index(cols, ncols, w->r->spec.weight)
                               : -1;
    if (wc >= 0 && wc != id)
        w->cols[w->n_cols++] = (size_t)wc;
    return GRAFT_OK;
}

static graft_error_t check_names(write_ctx_t *w, const graft_column_t *cols,
                                 graft_diag_t *diag)
{
    for (size_t i = 0; i < w->n_cols; i++) {
        const char *name = cols[w->cols[i]].name;
        if (is_rep_name(name, w->prefix))
            return graft_diag_set(
                diag, GRAFT_ERR_USAGE, w->r->file, 1, w->cols[i] + 1,
                "column '%s' would clash with the replicate weights "
                "%s1..%s%zu; choose another --prefix",
                name, w->prefix, w->prefix, w->r->R);
    }
    return GRAFT_OK;
}

static void write_ini(write_ctx_t *w, const graft_column_t *cols)
{
    FILE *fp = w->ini.fp;
    /* The first line marks the file as graft's: `graft replicate` replaces
     * an OUT.ini without it only when given --force. */
    fputs("; ", fp);
    graft_ini_text(fp, w->out->command ? w->out->command
                                 : "made by: graft replicate");
    fputc('\n', fp);
    write_survey_section(fp, w->out);
    write_design_section(fp, w->r, w->prefix);
    int header = 0;
    for (size_t i = 0; i < w->n_cols; i++)
        graft_ini_column_missing(fp, w->read, cols[w->cols[i]].name, &header);
    for (size_t i = 0; i < w->n_cols; i++)
        graft_ini_column_labels(fp, &cols[w->cols[i]]);
    write_derive_section(fp, w->out);
}

static graft_error_t pass2_header(void *ctx, const graft_column_t *cols,
                                  size_t ncols, graft_diag_t *diag)
{
    write_ctx_t *w = ctx;
    graft_error_t rc;
    if ((rc = graft_replicate_bind(w->r, w->data, cols, ncols, diag)) !=
            GRAFT_OK ||
        (rc = choose_columns(w, cols, ncols, diag)) != GRAFT_OK ||
        (rc = check_names(w, cols, diag)) != GRAFT_OK)
        return rc;
    if (!(w->repw = malloc(w->r->R * sizeof *w->repw)))
        return nomem(diag, w->r->file);
    for (size_t i = 0; i < w->n_cols; i++)
        graft_csv_field(w->csv.fp, cols[w->cols[i]].name, i > 0);
    for (size_t i = 0; i < w->r->R; i++)
        fprintf(w->csv.fp, ",%s%zu", w->prefix, i + 1);
    fputc('\n', w->csv.fp);
    write_ini(w, cols);
    return GRAFT_OK;
}

/* A cell as it was read: CSV cells (and strings) as their text, other
 * formats' numbers in the shortest form that reads back exactly. */
static void write_cell(FILE *fp, const graft_cell_t *c, int sep)
{
    char num[64];
    if (c->str)
        graft_csv_field(fp, c->str, sep);
    else if (c->kind == GRAFT_CELL_NUMBER)
        graft_csv_field(fp, graft_shortest_number(c->num, num, sizeof num), sep);
    else
        graft_csv_field(fp, NULL, sep);
}

static graft_error_t pass2_row(void *ctx, const graft_cell_t *cells,
                               size_t ncols, unsigned long line,
                               graft_diag_t *diag)
{
    write_ctx_t *w = ctx;
    double wt;
    char num[64];
    (void)ncols;
    graft_error_t rc =
        graft_replicate_weights(w->r, cells, line, &wt, w->repw, diag);
    if (rc != GRAFT_OK)
        return rc;
    for (size_t i = 0; i < w->n_cols; i++)
        write_cell(w->csv.fp, &cells[w->cols[i]], i > 0);
    for (size_t i = 0; i < w->r->R; i++) {
        fputc(',', w->csv.fp);
        fputs(graft_shortest_number(w->repw[i], num, sizeof num), w->csv.fp);
    }
    fputc('\n', w->csv.fp);
    return GRAFT_OK;
}

/* ---- the command: checks and commit ------------------------------------------ */

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static graft_error_t check_out(const char *data, const graft_replicate_out_t *o,
                               const char *prefix, const char *ini,
                               graft_diag_t *diag)
{
    if (!o->path || strcmp(o->path, "-") == 0)
        return usage(diag, "replicate writes a file and a survey file "
                           "beside it: give -o FILE%s", "");
    size_t n = strlen(o->path);
    if (n >= 4 && strcmp(o->path + n - 4, ".ini") == 0)
        return usage(diag, "-o '%s': the output must be a data file (the "
                           "survey file is written beside it)", o->path);
    if (!ini)
        return usage(diag, "-o '%s': the path is too long", o->path);
    if (!*prefix || strspn(prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
                                   "NOPQRSTUVWXYZ0123456789_.") !=
                        strlen(prefix))
        return usage(diag, "--prefix '%s': use letters, digits, '_' and '.'",
                     prefix);
    if (same_file(o->path, data) || same_file(ini, data))
        return usage(diag, "-o '%s' would overwrite the input", o->path);
    if (o->survey && (same_file(o->path, o->survey) ||
                      same_file(ini, o->survey)))
        return usage(diag, "-o '%s' would overwrite the input survey file",
                     o->path);
    return GRAFT_OK;
}

/* Commit the CSV, then the survey file; if the survey file fails, the
 * CSV goes too. */
static graft_error_t commit_both(write_ctx_t *w, graft_diag_t *diag)
{
    char *csv_path = NULL;
    size_t n = strlen(w->out->path) + 1;
    if (!(csv_path = malloc(n)))
        return nomem(diag, w->out->path);
    memcpy(csv_path, w->out->path, n);
    graft_error_t rc = graft_outfile_commit(&w->csv, diag);
    if (rc == GRAFT_OK && (rc = graft_outfile_commit(&w->ini, diag)) !=
                              GRAFT_OK)
        unlink(csv_path);
    free(csv_path);
    return rc;
}

graft_error_t graft_replicate_file(const char *data,
                                   const graft_read_opts_t *read,
                                   const graft_design_spec_t *spec,
                                   const graft_replicate_opts_t *opts,
                                   const graft_replicate_out_t *out,
                                   graft_replicate_summary_t *summary,
                                   graft_diag_t *diag)
{
    static const graft_read_opts_t defaults;
    write_ctx_t w;
    char ini[1100];
    graft_error_t rc;
    memset(&w, 0, sizeof w);
    w.out = out;
    w.data = data;
    w.read = read ? read : &defaults;
    w.prefix = out->prefix ? out->prefix : "repw";
    const char *ini_path =
        out->path ? graft_replicate_ini_path(out->path, ini, sizeof ini) : NULL;
    if ((rc = check_out(data, out, w.prefix, ini_path, diag)) != GRAFT_OK)
        return rc;
    if (!(w.r = graft_replicate_alloc(spec, opts)))
        return nomem(diag, data);
    if ((rc = graft_read(data, w.read, pass1_header, pass1_row, &w, diag)) ==
            GRAFT_OK &&
        (rc = graft_replicate_plan(w.r, diag)) == GRAFT_OK &&
        (rc = graft_outfile_open(&w.csv, out->path, diag)) == GRAFT_OK &&
        (rc = graft_outfile_open(&w.ini, ini_path, diag)) == GRAFT_OK &&
        (rc = graft_read(data, w.read, pass2_header, pass2_row, &w, diag)) ==
            GRAFT_OK &&
        (rc = graft_replicate_end(w.r, diag)) == GRAFT_OK)
        rc = commit_both(&w, diag);
    if (rc != GRAFT_OK) {
        graft_outfile_abort(&w.csv);
        graft_outfile_abort(&w.ini);
    } else if (summary) {
        summary->n_rows = w.r->n_rows;
        summary->n_rep = w.r->R;
        summary->scale = w.r->scale;
        summary->fpc_dropped = w.r->fpc_dropped;
        snprintf(summary->ini_path, sizeof summary->ini_path, "%s", ini_path);
    }
    free(w.cols);
    free(w.repw);
    graft_replicate_free(w.r);
    return rc;
}
