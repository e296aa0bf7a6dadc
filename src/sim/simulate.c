/*
 * simulate.c - a synthetic two-round bribery-experience survey (the demo
 * data in surveys/demo/).  See graft/simulate.h for the contract and
 * surveys/demo/README.md for the columns and the known change.
 *
 * The model, one respondent at a time:
 *   design weight  = adults in the stratum / (EAs sampled * respondents in
 *                    the EA) * EA size factor * person adjustment factor;
 *   contact_s      ~ Bernoulli(rate of sector s x zone x urban/rural x age
 *                    x EA factor), clamped to 5..55 %;
 *   paid_s | contact ~ Bernoulli(expit(logit base_s + zone effect + sex/age
 *                    + EA random effect + round-2 change)), the fixed part
 *                    clamped to 5..40 %; the EA random effect (shared by all
 *                    sectors) makes design effects exceed 1.
 * Every number is drawn from one gsl_rng_mt19937 stream with GSL's
 * documented samplers, in a fixed order, and printed with fixed formats, so
 * the output is a function of (seed, round, ea_per_stratum) alone.
 */
#include "graft/simulate.h"

#include <math.h>
#include <stdint.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* ---------------------------------------------------------------------
 * The population: 6 zones x urban/rural
 * ------------------------------------------------------------------- */

#define N_ZONES 6
#define N_SECTORS 8
#define LONELY_ZONE 6  /* Capital ... */
#define LONELY_URBAN 2 /* ... rural: one EA in every round */
#define MIN_TAKE 8     /* respondents per EA */
#define MAX_TAKE 16

/* Adults (thousands) per stratum, [zone - 1][urban - 1]. */
static const double stratum_adults[N_ZONES][2] = {
    {420, 910}, {380, 640}, {760, 520}, {450, 700}, {310, 580}, {1400, 45},
};

/* Share of ea_per_stratum sampled in each stratum (disproportionate
 * allocation, so design weights differ between strata). */
static const double stratum_alloc[N_ZONES][2] = {
    {0.85, 1.00}, {0.80, 0.90}, {1.10, 0.85}, {0.90, 0.95}, {0.75, 0.85}, {1.30, 0.0},
};

/* ---------------------------------------------------------------------
 * Sectors: contact rates and bribery among contacts
 * ------------------------------------------------------------------- */

static const char *const sector_name[N_SECTORS] = {
    "police", "courts", "tax", "health", "education", "land", "utilities", "permits",
};

/* Contact in the last 12 months: national base rate, urban and rural
 * multipliers. */
static const double contact_base[N_SECTORS] = {0.28, 0.07, 0.14, 0.45, 0.32, 0.08, 0.22, 0.11};
static const double contact_urban[N_SECTORS][2] = {
    {1.15, 0.85}, {1.10, 0.90}, {1.20, 0.80}, {1.00, 1.00},
    {1.00, 1.00}, {0.70, 1.30}, {1.25, 0.70}, {1.20, 0.80},
};
static const double contact_zone[N_ZONES] = {0.85, 0.95, 1.00, 0.90, 0.80, 1.20};
/* Age groups 18-29, 30-44, 45-59, 60+: contact with schools and clinics. */
static const double contact_age_education[4] = {1.10, 1.30, 0.80, 0.45};
static const double contact_age_health[4] = {0.85, 1.00, 1.05, 1.25};

/* Bribery among contacts: national base probability, zone effects on the
 * logit scale (all sectors, and police on top). */
static const double paid_base[N_SECTORS] = {0.26, 0.20, 0.12, 0.09, 0.07, 0.24, 0.10, 0.22};
static const double paid_zone[N_ZONES] = {0.20, 0.35, 0.00, -0.10, 0.25, -0.30};
static const double paid_zone_police[N_ZONES] = {0.30, 0.00, -0.20, 0.00, 0.40, -0.20};
static const double paid_age[4] = {0.15, 0.05, -0.10, -0.30};
#define PAID_MALE 0.20      /* logit effect of sex = 1 */
#define EA_RE_SD 0.60       /* SD of the EA random effect (logit scale) */
#define EA_CONTACT_SD 0.20  /* SD of the EA contact factor (log scale) */

/* The known change in round 2 (logit scale). */
#define SECTOR_POLICE 0
#define SECTOR_HEALTH 3
static const int police_falls[N_ZONES] = {1, 0, 1, 0, 0, 1}; /* North, Central, Capital */
#define R2_POLICE_DROP (-1.00)
#define R2_HEALTH_RISE 0.30

/* Item non-response: refused (8) and don't know (9). */
#define CONTACT_REFUSED 0.008
#define CONTACT_DK 0.012
#define PAID_REFUSED 0.030
#define PAID_DK 0.020

/* Among payers. */
#define EXTRA_BRIBES_MEAN 0.60  /* bribes per paying sector = 1 + Poisson */
#define AMOUNT_LOG_MEDIAN 3.2   /* log of the median amount of one bribe */
#define AMOUNT_LOG_SD 0.90
#define REPORTED_RATE 0.09

#define WEIGHT_EA_SD 0.20      /* EA measure-of-size discrepancy (log scale) */
#define WEIGHT_PERSON_SD 0.22  /* person non-response adjustment (log scale) */

/* One respondent; paid[s] < 0 means "not asked" (empty cell). */
typedef struct sim_person {
    unsigned long id;
    int zone, urban;
    size_t ea;
    double weight;
    int sex, age_group;
    int contact[N_SECTORS];
    int paid[N_SECTORS];
    int contact_any, paid_any; /* paid_any < 0: empty */
    unsigned n_bribes;         /* 0: not a payer, cells empty */
    double amount;
    int reported;
} sim_person_t;

/* What every respondent of one EA shares. */
typedef struct sim_ea {
    int zone, urban;
    size_t ea;
    double base_weight; /* adults / (EAs sampled * respondents here) */
    double size_factor;
    double contact_factor;
    double paid_re;
} sim_ea_t;

/* ---------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------- */

static double expit(double x) { return 1.0 / (1.0 + exp(-x)); }
static double logit(double p) { return log(p / (1.0 - p)); }

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* The 32-bit mt19937 seed for (SEED, ROUND): a multiplicative hash so that
 * rounds and nearby seeds give unrelated streams. */
static unsigned long sim_seed(unsigned long seed, int round)
{
    uint32_t s = (uint32_t)(seed & 0xffffffffUL);
    s = s * 2654435761u + (uint32_t)round * 0x9E3779B9u;
    return (unsigned long)s;
}

/* EAs sampled in stratum (ZONE, URBAN). */
static size_t stratum_eas(int zone, int urban, size_t ea_per_stratum)
{
    if (zone == LONELY_ZONE && urban == LONELY_URBAN)
        return 1;
    double n = floor(stratum_alloc[zone - 1][urban - 1] * (double)ea_per_stratum + 0.5);
    return n < 2.0 ? 2 : (size_t)n;
}

/* Draw a code: 8 with probability P8, 9 with probability P9, else a
 * Bernoulli(P) 1/0. */
static int draw_item(gsl_rng *rng, double p8, double p9, double p)
{
    double u = gsl_rng_uniform(rng);
    if (u < p8)
        return 8;
    if (u < p8 + p9)
        return 9;
    return (int)gsl_ran_bernoulli(rng, p);
}

/* ---------------------------------------------------------------------
 * Drawing a respondent
 * ------------------------------------------------------------------- */

static int draw_age_group(gsl_rng *rng)
{
    static const double cum[3] = {0.28, 0.58, 0.82}; /* 28/30/24/18 % */
    double u = gsl_rng_uniform(rng);
    int g = 1;
    while (g <= 3 && u >= cum[g - 1])
        g++;
    return g;
}

static double contact_rate(const sim_ea_t *ea, int s, int age_group)
{
    double p = contact_base[s] * contact_urban[s][ea->urban - 1] *
               contact_zone[ea->zone - 1] * ea->contact_factor;
    if (s == SECTOR_HEALTH)
        p *= contact_age_health[age_group - 1];
    else if (s == 4) /* education */
        p *= contact_age_education[age_group - 1];
    return clamp(p, 0.05, 0.55);
}

static double paid_rate(const sim_ea_t *ea, int s, const sim_person_t *p, int round)
{
    double eta = logit(paid_base[s]) + paid_zone[ea->zone - 1] +
                 (p->sex == 1 ? PAID_MALE : 0.0) + paid_age[p->age_group - 1];
    if (s == SECTOR_POLICE)
        eta += paid_zone_police[ea->zone - 1];
    eta = logit(clamp(expit(eta), 0.05, 0.40));
    if (round == 2 && s == SECTOR_POLICE && police_falls[ea->zone - 1])
        eta += R2_POLICE_DROP;
    if (round == 2 && s == SECTOR_HEALTH)
        eta += R2_HEALTH_RISE;
    return expit(eta + ea->paid_re);
}

/* contact_any: 1 if any contact, 0 if none in every sector, 9 otherwise.
 * paid_any (among contact_any == 1): 1 if any bribe, 0 if every contacted
 * sector answered no, 9 otherwise. */
static void derive_any(sim_person_t *p)
{
    int any = 0, unknown = 0, paid = 0, paid_unknown = 0;
    for (int s = 0; s < N_SECTORS; s++) {
        any |= p->contact[s] == 1;
        unknown |= p->contact[s] > 1;
        paid |= p->paid[s] == 1;
        paid_unknown |= p->paid[s] > 1;
    }
    p->contact_any = any ? 1 : unknown ? 9 : 0;
    p->paid_any = !any ? -1 : paid ? 1 : paid_unknown ? 9 : 0;
}

static void draw_person(gsl_rng *rng, const sim_ea_t *ea, int round, sim_person_t *p)
{
    p->zone = ea->zone;
    p->urban = ea->urban;
    p->ea = ea->ea;
    p->sex = gsl_ran_bernoulli(rng, 0.48) ? 1 : 2;
    p->age_group = draw_age_group(rng);
    p->weight = ea->base_weight * ea->size_factor *
                gsl_ran_lognormal(rng, -0.5 * WEIGHT_PERSON_SD * WEIGHT_PERSON_SD,
                                  WEIGHT_PERSON_SD);
    p->n_bribes = 0;
    for (int s = 0; s < N_SECTORS; s++) {
        p->contact[s] = draw_item(rng, CONTACT_REFUSED, CONTACT_DK,
                                  contact_rate(ea, s, p->age_group));
        p->paid[s] = p->contact[s] != 1 ? -1
                     : draw_item(rng, PAID_REFUSED, PAID_DK, paid_rate(ea, s, p, round));
        if (p->paid[s] == 1)
            p->n_bribes += 1 + gsl_ran_poisson(rng, EXTRA_BRIBES_MEAN);
    }
    derive_any(p);
    p->amount = 0.0;
    p->reported = 0;
    if (p->n_bribes > 0) {
        double zeta = AMOUNT_LOG_MEDIAN + log((double)p->n_bribes);
        p->amount = gsl_ran_lognormal(rng, zeta, AMOUNT_LOG_SD);
        p->reported = (int)gsl_ran_bernoulli(rng, REPORTED_RATE);
    }
}

/* ---------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------- */

static int write_header(FILE *out)
{
    if (fputs("id,round,zone,urban,stratum,ea,weight,sex,age_group", out) < 0)
        return -1;
    for (int s = 0; s < N_SECTORS; s++)
        if (fprintf(out, ",contact_%s,paid_%s", sector_name[s], sector_name[s]) < 0)
            return -1;
    return fputs(",contact_any,paid_any,n_bribes,amount,reported\n", out) < 0 ? -1 : 0;
}

/* Write an integer cell, or an empty one when V < 0. */
static int write_code(FILE *out, int v)
{
    return v < 0 ? fputs(",", out) : fprintf(out, ",%d", v);
}

static int write_person(FILE *out, const sim_person_t *p, int round)
{
    if (fprintf(out, "%lu,%d,%d,%d,%d,%zu,%.6f,%d,%d", p->id, round, p->zone,
                p->urban, p->zone * 10 + p->urban, p->ea, p->weight, p->sex,
                p->age_group) < 0)
        return -1;
    for (int s = 0; s < N_SECTORS; s++)
        if (write_code(out, p->contact[s]) < 0 || write_code(out, p->paid[s]) < 0)
            return -1;
    if (write_code(out, p->contact_any) < 0 || write_code(out, p->paid_any) < 0)
        return -1;
    if (p->n_bribes == 0)
        return fputs(",,,\n", out) < 0 ? -1 : 0;
    return fprintf(out, ",%u,%.2f,%d\n", p->n_bribes, p->amount, p->reported) < 0 ? -1 : 0;
}

/* Draw and write every respondent of one EA; ID is the running row id. */
static int write_ea(FILE *out, gsl_rng *rng, sim_ea_t *ea, size_t n_eas,
                    int round, unsigned long *id)
{
    unsigned long take = MIN_TAKE + gsl_rng_uniform_int(rng, MAX_TAKE - MIN_TAKE + 1);
    ea->base_weight = stratum_adults[ea->zone - 1][ea->urban - 1] * 1000.0 /
                      ((double)n_eas * (double)take);
    ea->size_factor = gsl_ran_lognormal(rng, 0.0, WEIGHT_EA_SD);
    ea->contact_factor = gsl_ran_lognormal(rng, 0.0, EA_CONTACT_SD);
    ea->paid_re = gsl_ran_gaussian(rng, EA_RE_SD);
    for (unsigned long k = 0; k < take; k++) {
        sim_person_t p;
        draw_person(rng, ea, round, &p);
        p.id = ++*id;
        if (write_person(out, &p, round) < 0)
            return -1;
    }
    return 0;
}

static graft_error_t check_opts(const graft_sim_opts_t *opts, graft_diag_t *diag)
{
    if (opts->round != 1 && opts->round != 2)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "simulate: round must be 1 or 2, not %d", opts->round);
    if (opts->ea_per_stratum < 2 || opts->ea_per_stratum > GRAFT_SIM_MAX_EA_PER_STRATUM)
        return graft_diag_set(diag, GRAFT_ERR_USAGE, NULL, 0, 0,
                              "simulate: EAs per stratum must be 2..%d, not %zu",
                              GRAFT_SIM_MAX_EA_PER_STRATUM, opts->ea_per_stratum);
    return GRAFT_OK;
}

void graft_sim_opts_init(graft_sim_opts_t *opts)
{
    opts->seed = GRAFT_SIM_DEFAULT_SEED;
    opts->round = 1;
    opts->ea_per_stratum = GRAFT_SIM_DEFAULT_EA_PER_STRATUM;
}

graft_error_t graft_simulate_write(FILE *out, const graft_sim_opts_t *opts,
                                   graft_diag_t *diag)
{
    graft_error_t rc = check_opts(opts, diag);
    if (rc != GRAFT_OK)
        return rc;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, NULL, 0, 0,
                              "simulate: cannot allocate the random number generator");
    gsl_rng_set(rng, sim_seed(opts->seed, opts->round));

    unsigned long id = (unsigned long)opts->round * 1000000UL;
    int failed = write_header(out) < 0;
    for (int z = 1; z <= N_ZONES && !failed; z++)
        for (int u = 1; u <= 2 && !failed; u++) {
            size_t n_eas = stratum_eas(z, u, opts->ea_per_stratum);
            for (size_t e = 1; e <= n_eas && !failed; e++) {
                sim_ea_t ea = {.zone = z, .urban = u, .ea = e};
                failed = write_ea(out, rng, &ea, n_eas, opts->round, &id) < 0;
            }
        }
    gsl_rng_free(rng);
    if (failed || ferror(out))
        return graft_diag_set(diag, GRAFT_ERR_WRITE, NULL, 0, 0,
                              "simulate: cannot write the data");
    return GRAFT_OK;
}
