/*
 * analysis.c - analysis files.
 */
#include "graft/analysis.h"
#include "base/str.h"
#include "base/grow.h"
#include "base/ini.h"
#include "base/names.h"
#include "spec/plan_section.h"
#include "spec/weighting.h"
#include "graft/model.h"
#include "graft/sae.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An indicator's probs, while the file is read (type = quantile). */
typedef struct probs {
    double p[GRAFT_MAX_QUANTILE_PROBS];
    size_t n;
    unsigned long line;
} probs_t;

typedef struct load_ctx {
    graft_analysis_t *a;
    /* Capacities of the analysis's arrays while it is loaded. */
    size_t cap_by, cap_indicators, cap_rounds, cap_charts, cap_models,
        cap_saes;
    probs_t *probs;       /* per indicator */
    size_t cap_probs;
} load_ctx_t;

/* Named df modes, indexed by graft_df_mode_t (GRAFT_DF_FIXED has none). */
static const char *const df_names[] = {"domain", "design"};

int graft_df_parse(const char *text, graft_df_mode_t *mode, double *value)
{
    size_t i;
    if (GRAFT_NAMES_FIND(df_names, 0, text, &i)) {
        *mode = (graft_df_mode_t)i;
        return 1;
    }
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v > 0) || v > 1e9)
        return 0;
    *mode = GRAFT_DF_FIXED;
    *value = v;
    return 1;
}

int graft_by_split(char *buf, graft_by_spec_t *by)
{
    by->n_columns = 0;
    char *p = buf;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        char *start = p;
        while (*p && *p != ',')
            p++;
        char *end = p;
        if (*p)
            p++;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        *end = '\0';
        if (by->n_columns == GRAFT_MAX_BY)
            return 0;
        by->columns[by->n_columns++] = start;
        for (size_t i = 0; i + 1 < by->n_columns; i++)
            if (strcmp(by->columns[i], start) == 0)
                return -1; /* its rows would repeat, each value twice */
    }
    return by->n_columns > 0;
}

#define FAIL(...) (snprintf(msg, msg_size, __VA_ARGS__), GRAFT_ERR_SURVEY_FILE)
#define NOMEM() (snprintf(msg, msg_size, "out of memory"), GRAFT_ERR_NOMEM)

/* *FIELD replaced by a copy of VALUE. */
static graft_error_t set_str(char **field, const char *value, char *msg,
                             size_t msg_size)
{
    return graft_str_set(field, value) ? GRAFT_OK : NOMEM();
}

/* ---- [analysis] ------------------------------------------------------ */

/* One more domain table: "by = a, b". */
static graft_error_t add_by(load_ctx_t *c, const char *value, char *msg,
                            size_t msg_size)
{
    graft_analysis_t *a = c->a;
    graft_by_spec_t *by =
        graft_grow(a->by, &c->cap_by, a->n_by + 1, sizeof *by);
    if (!by)
        return NOMEM();
    a->by = by;
    by = &a->by[a->n_by];
    char *buf = graft_strdup(value);
    if (!buf)
        return NOMEM();
    int split = graft_by_split(buf, by);
    if (split < 0) {
        graft_error_t rc = FAIL("by '%s' lists the column '%s' twice", value,
                                by->columns[by->n_columns - 1]);
        free(buf);
        return rc;
    }
    if (!split) {
        free(buf);
        return FAIL("by '%s' must list 1 to %d columns", value, GRAFT_MAX_BY);
    }
    /* Own each name; the set counts once all are copied. */
    size_t n = by->n_columns, i = 0;
    for (; i < n; i++)
        if (!(by->columns[i] = graft_strdup(by->columns[i])))
            break;
    free(buf);
    if (i < n) {
        while (i > 0)
            free((char *)by->columns[--i]);
        return NOMEM();
    }
    a->n_by++;
    return GRAFT_OK;
}

static graft_error_t set_level(graft_analysis_t *a, const char *value,
                               char *msg, size_t msg_size)
{
    char *end;
    a->level = strtod(value, &end);
    a->has_level = 1;
    return *end == '\0' && end != value && a->level >= GRAFT_LEVEL_MIN &&
                   a->level <= GRAFT_LEVEL_MAX
               ? GRAFT_OK
               : FAIL("level '%s' must be a number from %g to %g, e.g. 0.95",
                      value, GRAFT_LEVEL_MIN, GRAFT_LEVEL_MAX);
}

static graft_error_t set_min_n(graft_analysis_t *a, const char *value,
                               char *msg, size_t msg_size)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    a->min_n = v;
    a->has_min_n = 1;
    return !errno && *end == '\0' && end != value && value[0] != '-'
               ? GRAFT_OK
               : FAIL("min_n '%s' must be a non-negative integer", value);
}

enum { AK_TITLE, AK_BY, AK_CI, AK_LEVEL, AK_DF, AK_MIN_N };
static const char *const analysis_keys[] = {"title", "by", "ci",
                                            "level", "df", "min_n"};

static graft_error_t analysis_key(load_ctx_t *c, const char *name,
                                  const char *value, char *msg,
                                  size_t msg_size)
{
    graft_analysis_t *a = c->a;
    size_t k;
    if (!GRAFT_NAMES_FIND(analysis_keys, 0, name, &k))
        return FAIL("unknown key '%s' in [analysis]", name);
    switch (k) {
    case AK_TITLE: return set_str(&a->title, value, msg, msg_size);
    case AK_BY: return add_by(c, value, msg, msg_size);
    case AK_CI:
        a->has_ci = 1;
        return graft_ci_method_parse(value, &a->ci)
                   ? GRAFT_OK
                   : FAIL("ci '%s' must be logit, wald, beta, kg-nchs, "
                          "wilson, jeffreys, asin or xlogit",
                          value);
    case AK_LEVEL: return set_level(a, value, msg, msg_size);
    case AK_DF:
        a->has_df = 1;
        return graft_df_parse(value, &a->df_mode, &a->df_value)
                   ? GRAFT_OK
                   : FAIL("df '%s' must be domain, design or a positive "
                          "number",
                          value);
    default: return set_min_n(a, value, msg, msg_size); /* AK_MIN_N */
    }
}

/* ---- [indicator.NAME] ------------------------------------------------ */

/* The indicator called ID, added (zeroed but for its name) when new. */
static graft_indicator_spec_t *get_indicator(load_ctx_t *c, const char *id)
{
    graft_analysis_t *a = c->a;
    for (size_t i = 0; i < a->n_indicators; i++)
        if (strcmp(a->indicators[i].name, id) == 0)
            return &a->indicators[i];
    graft_indicator_spec_t *inds = graft_grow(
        a->indicators, &c->cap_indicators, a->n_indicators + 1, sizeof *inds);
    if (!inds)
        return NULL;
    a->indicators = inds;
    probs_t *probs = graft_grow(c->probs, &c->cap_probs, a->n_indicators + 1,
                                sizeof *probs);
    if (!probs)
        return NULL;
    c->probs = probs;
    memset(&probs[a->n_indicators], 0, sizeof *probs);
    graft_indicator_spec_t *ind = &inds[a->n_indicators++];
    memset(ind, 0, sizeof *ind);
    return (ind->name = graft_strdup(id)) ? ind : NULL;
}

enum { IK_LABEL, IK_QUESTION, IK_EXPR, IK_AMONG, IK_HARMONIZED, IK_TYPE,
       IK_PROBS };
static const char *const indicator_keys[] = {
    "label", "question", "expr", "among", "harmonized", "type", "probs"};

/* probs = P[, P...] of indicator IND (a quantile's probabilities). */
static graft_error_t probs_key(load_ctx_t *c, const graft_indicator_spec_t
                               *ind, const char *value, unsigned long line,
                               char *msg, size_t msg_size)
{
    probs_t *pr = &c->probs[ind - c->a->indicators];
    char why[160];
    if (!graft_quantile_probs_parse(value, pr->p, &pr->n, why, sizeof why))
        return FAIL("probs '%s': %s", value, why);
    pr->line = line;
    return GRAFT_OK;
}

static graft_error_t indicator_key(load_ctx_t *c, const char *id,
                                   const char *name, const char *value,
                                   unsigned long line, unsigned long col,
                                   char *msg, size_t msg_size)
{
    graft_indicator_spec_t *ind = get_indicator(c, id);
    if (!ind)
        return NOMEM();
    size_t k;
    if (!GRAFT_NAMES_FIND(indicator_keys, 0, name, &k))
        return FAIL("unknown key '%s' in [indicator.%s]", name, id);
    if (k == IK_HARMONIZED)
        return graft_ini_bool(value, 0, &ind->harmonized)
                   ? GRAFT_OK
                   : FAIL("harmonized '%s' must be true or false", value);
    if (k == IK_TYPE)
        return graft_ind_type_parse(value, &ind->type)
                   ? GRAFT_OK
                   : FAIL("type '%s' must be prop, mean, total or quantile",
                          value);
    if (k == IK_PROBS)
        return probs_key(c, ind, value, line, msg, msg_size);
    const char **fields[] = {&ind->label, &ind->question, &ind->expr,
                             &ind->among};
    graft_source_t *src = k == IK_EXPR    ? &ind->expr_src
                          : k == IK_AMONG ? &ind->among_src
                                          : NULL;
    if (!graft_str_set((char **)fields[k], value))
        return NOMEM();
    if (src)
        *src = (graft_source_t){c->a->path, line, col};
    return GRAFT_OK;
}

/* ---- [rounds], [compare], [trend] ------------------------------------ */

/* Split "a, b,c" into copies appended to *OUT (of *N). */
static int split_list(const char *value, char ***out, size_t *n)
{
    size_t cap = *n, len;
    for (const char *start; (start = graft_list_item(&value, &len));) {
        char **grown = graft_grow(*out, &cap, *n + 1, sizeof *grown);
        if (!grown)
            return 0;
        *out = grown;
        char *item = graft_strndup(start, len);
        if (!item)
            return 0;
        (*out)[(*n)++] = item;
    }
    return 1;
}

/* The round called NAME in [rounds] so far, or NULL. */
static const graft_analysis_round_t *find_round(const graft_analysis_t *a,
                                                const char *name)
{
    for (size_t i = 0; i < a->n_rounds; i++)
        if (strcmp(a->rounds[i].name, name) == 0)
            return &a->rounds[i];
    return NULL;
}

static graft_error_t rounds_key(load_ctx_t *c, const char *name,
                                const char *value, unsigned long line,
                                char *msg, size_t msg_size)
{
    graft_analysis_t *a = c->a;
    if (find_round(a, name))
        return FAIL("round '%s' is listed twice in [rounds]", name);
    graft_analysis_round_t *r =
        graft_grow(a->rounds, &c->cap_rounds, a->n_rounds + 1, sizeof *r);
    if (!r)
        return NOMEM();
    a->rounds = r;
    r = &r[a->n_rounds++];
    r->line = line;
    r->name = graft_strdup(name);
    r->survey = graft_ini_resolve(a->path, value);
    return r->name && r->survey ? GRAFT_OK : NOMEM();
}

/* A round compared with itself: "baseline = r1" with "followups = r1". */
static graft_error_t set_baseline(graft_analysis_t *a, const char *value,
                                  char *msg, size_t msg_size)
{
    for (size_t i = 0; i < a->n_followups; i++)
        if (strcmp(a->followups[i], value) == 0)
            return FAIL("[compare] baseline '%s' is also a follow-up: a "
                        "round cannot be compared with itself",
                        value);
    return set_str(&a->baseline, value, msg, msg_size);
}

/* "followups = r2, r3" (repeatable): each follow-up once (a repeated one
 * would enter the adjustment family twice), never the baseline. */
static graft_error_t add_followups(graft_analysis_t *a, const char *value,
                                   char *msg, size_t msg_size)
{
    size_t first = a->n_followups;
    if (!split_list(value, &a->followups, &a->n_followups))
        return NOMEM();
    for (size_t i = first; i < a->n_followups; i++) {
        const char *f = a->followups[i];
        if (a->baseline && strcmp(a->baseline, f) == 0)
            return FAIL("[compare] follow-up '%s' is the baseline: a round "
                        "cannot be compared with itself",
                        f);
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->followups[j], f) == 0)
                return FAIL("[compare] follow-up '%s' is listed twice", f);
    }
    return GRAFT_OK;
}

enum { CK_BASELINE, CK_FOLLOWUPS, CK_FOLLOWUP, CK_ADJUST, CK_TEST_DF,
       CK_SHARED_PSUS, CK_HARMONIZED };
static const char *const compare_keys[] = {
    "baseline", "followups",   "followup",  "adjust",
    "test_df",  "shared_psus", "harmonized"};

static graft_error_t compare_key(load_ctx_t *c, const char *name,
                                 const char *value, char *msg, size_t msg_size)
{
    graft_analysis_t *a = c->a;
    size_t k;
    if (!GRAFT_NAMES_FIND(compare_keys, 0, name, &k))
        return FAIL("unknown key '%s' in [compare]", name);
    switch (k) {
    case CK_BASELINE: return set_baseline(a, value, msg, msg_size);
    case CK_FOLLOWUPS:
    case CK_FOLLOWUP: return add_followups(a, value, msg, msg_size);
    case CK_ADJUST: return set_str(&a->adjust, value, msg, msg_size);
    case CK_TEST_DF: return set_str(&a->test_df, value, msg, msg_size);
    default: /* CK_SHARED_PSUS, CK_HARMONIZED */
        return graft_ini_bool(value, 0,
                              k == CK_SHARED_PSUS ? &a->shared_psus
                                                  : &a->harmonized)
                   ? GRAFT_OK
                   : FAIL("%s '%s' must be true or false", name, value);
    }
}

static graft_error_t trend_key(load_ctx_t *c, const char *name,
                               const char *value, char *msg, size_t msg_size)
{
    graft_analysis_t *a = c->a;
    if (strcmp(name, "rounds") != 0)
        return FAIL("unknown key '%s' in [trend]", name);
    if (strcmp(value, "all") == 0) {
        a->trend_all = 1;
        return GRAFT_OK;
    }
    return split_list(value, &a->trend_rounds, &a->n_trend_rounds)
               ? GRAFT_OK
               : NOMEM();
}

/* ---- [chart.NAME] ---------------------------------------------------- */

/* The chart called ID (its section starting at LINE), added when new. */
static graft_analysis_chart_t *get_chart(load_ctx_t *c, const char *id,
                                         unsigned long line)
{
    graft_analysis_t *a = c->a;
    for (size_t i = 0; i < a->n_charts; i++)
        if (strcmp(a->charts[i].name, id) == 0)
            return &a->charts[i];
    graft_analysis_chart_t *charts =
        graft_grow(a->charts, &c->cap_charts, a->n_charts + 1, sizeof *charts);
    if (!charts)
        return NULL;
    a->charts = charts;
    graft_analysis_chart_t *ch = &charts[a->n_charts++];
    memset(ch, 0, sizeof *ch);
    ch->line = line;
    return (ch->name = graft_strdup(id)) ? ch : NULL;
}

/* A chart's name becomes DIR/charts/NAME.svg: letters, digits, '_', '-'
 * and '.' only (no '/', so never outside the folder), not "." or "..". */
static int plain_name(const char *name)
{
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
              *p == '.'))
            return 0;
    return 1;
}

static const char *const chart_keys[] = {"kind", "indicator", "by", "round",
                                         "title"};

static graft_error_t chart_key(load_ctx_t *c, const char *id,
                               const char *name, const char *value,
                               unsigned long line, char *msg, size_t msg_size)
{
    if (!plain_name(id))
        return FAIL("chart name '%s' must be a plain file name: letters, "
                    "digits, '_', '-' and '.', not '.' or '..'",
                    id);
    graft_analysis_chart_t *ch = get_chart(c, id, line);
    if (!ch)
        return NOMEM();
    char **fields[] = {&ch->kind, &ch->indicator, &ch->by, &ch->round,
                       &ch->title};
    size_t k;
    if (!GRAFT_NAMES_FIND(chart_keys, 0, name, &k))
        return FAIL("unknown key '%s' in [chart.%s]", name, id);
    if (fields[k] == &ch->round)
        ch->round_line = line;
    return set_str(fields[k], value, msg, msg_size);
}

/* ---- [model.NAME] ---------------------------------------------------- */

/* The model called ID (its section starting at LINE), added when new. */
static graft_analysis_model_t *get_model(load_ctx_t *c, const char *id,
                                         unsigned long line)
{
    graft_analysis_t *a = c->a;
    for (size_t i = 0; i < a->n_models; i++)
        if (strcmp(a->models[i].name, id) == 0)
            return &a->models[i];
    graft_analysis_model_t *models =
        graft_grow(a->models, &c->cap_models, a->n_models + 1, sizeof *models);
    if (!models)
        return NULL;
    a->models = models;
    graft_analysis_model_t *m = &models[a->n_models++];
    memset(m, 0, sizeof *m);
    m->line = line;
    return (m->name = graft_strdup(id)) ? m : NULL;
}

enum { MK_FAMILY, MK_FORMULA, MK_AMONG, MK_TEST, MK_ROUND, MK_TITLE };
static const char *const model_keys[] = {"family", "formula", "among",
                                         "test",   "round",   "title"};

static graft_error_t model_key(load_ctx_t *c, const char *id,
                               const char *name, const char *value,
                               unsigned long line, unsigned long col,
                               char *msg, size_t msg_size)
{
    /* its chart is DIR/charts/model_NAME.svg */
    if (!plain_name(id))
        return FAIL("model name '%s' must be a plain file name: letters, "
                    "digits, '_', '-' and '.', not '.' or '..'",
                    id);
    graft_analysis_model_t *m = get_model(c, id, line);
    if (!m)
        return NOMEM();
    size_t k;
    if (!GRAFT_NAMES_FIND(model_keys, 0, name, &k))
        return FAIL("unknown key '%s' in [model.%s] (expected family, "
                    "formula, among, test, round or title)",
                    name, id);
    graft_family_t family;
    switch (k) {
    case MK_FAMILY:
        if (!graft_family_parse(value, &family))
            return FAIL("[model.%s] family '%s' must be linear, logistic "
                        "or poisson",
                        id, value);
        return set_str(&m->family, value, msg, msg_size);
    case MK_TEST:
        return split_list(value, &m->tests, &m->n_tests) ? GRAFT_OK
                                                         : NOMEM();
    case MK_FORMULA:
        m->formula_line = line;
        m->formula_col = col;
        return set_str(&m->formula, value, msg, msg_size);
    case MK_AMONG:
        m->among_line = line;
        m->among_col = col;
        return set_str(&m->among, value, msg, msg_size);
    case MK_ROUND:
        m->round_line = line;
        return set_str(&m->round, value, msg, msg_size);
    default: return set_str(&m->title, value, msg, msg_size); /* MK_TITLE */
    }
}

/* Every model has a formula, a round of [rounds] (when the file has them)
 * and a chart name of its own. */
static graft_error_t check_models(const graft_analysis_t *a,
                                  graft_diag_t *diag)
{
    for (size_t i = 0; i < a->n_models; i++) {
        const graft_analysis_model_t *m = &a->models[i];
        if (!m->formula)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  m->line, 0,
                                  "[model.%s] has no formula, e.g. formula "
                                  "= paid_police == 1 ~ sex + urban",
                                  m->name);
        if (m->round && a->n_rounds && !find_round(a, m->round))
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  m->round_line, 0,
                                  "[model.%s] round '%s' is not in [rounds]",
                                  m->name, m->round);
        for (size_t j = 0; j < a->n_charts; j++)
            if (strncmp(a->charts[j].name, "model_", 6) == 0 &&
                strcmp(a->charts[j].name + 6, m->name) == 0)
                return graft_diag_set(
                    diag, GRAFT_ERR_SURVEY_FILE, a->path, a->charts[j].line,
                    0,
                    "[chart.%s] has the name of [model.%s]'s forest chart: "
                    "rename one of them",
                    a->charts[j].name, m->name);
    }
    return GRAFT_OK;
}

/* ---- [sae.NAME] ------------------------------------------------------ */

/* The small-area model called ID (its section starting at LINE), added
 * when new. */
static graft_analysis_sae_t *get_sae(load_ctx_t *c, const char *id,
                                     unsigned long line)
{
    graft_analysis_t *a = c->a;
    for (size_t i = 0; i < a->n_saes; i++)
        if (strcmp(a->saes[i].name, id) == 0)
            return &a->saes[i];
    graft_analysis_sae_t *s =
        graft_grow(a->saes, &c->cap_saes, a->n_saes + 1, sizeof *s);
    if (!s)
        return NULL;
    a->saes = s;
    graft_analysis_sae_t *x = &s[a->n_saes++];
    memset(x, 0, sizeof *x);
    x->line = line;
    return (x->name = graft_strdup(id)) ? x : NULL;
}

enum { SK_INDICATOR, SK_BY, SK_COVARIATES, SK_FORMULA, SK_METHOD,
       SK_VARIANCE, SK_ROUND, SK_TITLE };
static const char *const sae_keys[] = {"indicator", "by", "covariates",
                                       "formula", "method", "variance",
                                       "round", "title"};

static graft_error_t sae_key(load_ctx_t *c, const char *id, const char *name,
                             const char *value, unsigned long line,
                             unsigned long col, char *msg, size_t msg_size)
{
    /* its files are DIR/sae_NAME.csv and DIR/charts/sae_NAME*.svg */
    if (!plain_name(id))
        return FAIL("sae name '%s' must be a plain file name: letters, "
                    "digits, '_', '-' and '.', not '.' or '..'",
                    id);
    graft_analysis_sae_t *x = get_sae(c, id, line);
    if (!x)
        return NOMEM();
    size_t k;
    graft_sae_method_t method;
    if (!GRAFT_NAMES_FIND(sae_keys, 0, name, &k))
        return FAIL("unknown key '%s' in [sae.%s] (expected indicator, by, "
                    "covariates, formula, method, variance, round or title)",
                    name, id);
    switch (k) {
    case SK_INDICATOR:
        x->indicator_line = line;
        return set_str(&x->indicator, value, msg, msg_size);
    case SK_BY: return set_str(&x->by, value, msg, msg_size);
    case SK_COVARIATES:
        free(x->covariates);
        return (x->covariates = graft_ini_resolve(c->a->path, value))
                   ? GRAFT_OK : NOMEM();
    case SK_FORMULA:
        x->formula_line = line;
        x->formula_col = col;
        return set_str(&x->formula, value, msg, msg_size);
    case SK_METHOD:
        if (!graft_sae_method_parse(value, &method))
            return FAIL("[sae.%s] method '%s' must be reml, ml or fh", id,
                        value);
        return set_str(&x->method, value, msg, msg_size);
    case SK_VARIANCE:
        if (strcmp(value, "direct") != 0 && strcmp(value, "smoothed") != 0)
            return FAIL("[sae.%s] variance '%s' must be direct or smoothed",
                        id, value);
        return set_str(&x->variance, value, msg, msg_size);
    case SK_ROUND:
        x->round_line = line;
        return set_str(&x->round, value, msg, msg_size);
    default: return set_str(&x->title, value, msg, msg_size); /* SK_TITLE */
    }
}

/* Every [sae.NAME] has its required keys, an indicator of the file that
 * is a proportion or a mean, one by column and a round of [rounds]. */
static graft_error_t check_saes(const graft_analysis_t *a, graft_diag_t *diag)
{
    for (size_t i = 0; i < a->n_saes; i++) {
        const graft_analysis_sae_t *x = &a->saes[i];
        const char *missing = !x->indicator ? "indicator"
                              : !x->by ? "by"
                              : !x->covariates ? "covariates"
                              : !x->formula ? "formula" : NULL;
        if (missing)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  x->line, 0, "[sae.%s] has no %s", x->name,
                                  missing);
        if (strchr(x->by, ','))
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  x->line, 0, "[sae.%s] by '%s' must be one "
                                  "column, the areas", x->name, x->by);
        size_t j = 0;
        while (j < a->n_indicators &&
               strcmp(graft_indicator_name(&a->indicators[j]),
                      x->indicator) != 0)
            j++;
        if (j == a->n_indicators ||
            (a->indicators[j].type != GRAFT_IND_PROP &&
             a->indicators[j].type != GRAFT_IND_MEAN))
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  x->indicator_line, 0,
                                  "[sae.%s] indicator '%s' is not a "
                                  "proportion or mean of this file",
                                  x->name, x->indicator);
        if (x->round && a->n_rounds && !find_round(a, x->round))
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  x->round_line, 0,
                                  "[sae.%s] round '%s' is not in [rounds]",
                                  x->name, x->round);
    }
    return GRAFT_OK;
}

/* ---- sections -------------------------------------------------------- */

static graft_error_t handler(void *user, const char *section,
                             const char *name, const char *value,
                             unsigned long line, unsigned long col, char *msg,
                             size_t msg_size)
{
    load_ctx_t *c = user;
    if (strcmp(section, "rounds") == 0)
        return rounds_key(c, name, value, line, msg, msg_size);
    if (strcmp(section, "compare") == 0)
        return compare_key(c, name, value, msg, msg_size);
    if (strcmp(section, "trend") == 0)
        return trend_key(c, name, value, msg, msg_size);
    if (strncmp(section, "chart.", 6) == 0)
        return chart_key(c, section + 6, name, value, line, msg, msg_size);
    if (strcmp(section, "analysis") == 0)
        return analysis_key(c, name, value, msg, msg_size);
    if (strcmp(section, "weighting") == 0)
        return graft_weighting_key(c->a, name, value, line, msg, msg_size);
    if (strcmp(section, "plan") == 0)
        return graft_plan_section_key(c->a, name, value, line, msg,
                                      msg_size);
    if (strncmp(section, "model.", 6) == 0 && section[6])
        return model_key(c, section + 6, name, value, line, col, msg,
                         msg_size);
    if (strncmp(section, "sae.", 4) == 0 && section[4])
        return sae_key(c, section + 4, name, value, line, col, msg,
                       msg_size);
    if (strncmp(section, "indicator.", 10) == 0 && section[10])
        return indicator_key(c, section + 10, name, value, line, col, msg,
                             msg_size);
    return FAIL("unknown section [%s] (expected analysis, indicator.NAME, "
                "rounds, compare, trend, chart.NAME, model.NAME, sae.NAME, "
                "weighting or plan)",
                section);
}

/* ---- quantiles ------------------------------------------------------ */

/* Copy FROM into *TO, made for probability P: its name "NAME p50", its
 * label "LABEL (p50)", its strings copied.  Returns 0 when out of
 * memory. */
static int quantile_spec(const graft_indicator_spec_t *from, double p,
                         graft_indicator_spec_t *to)
{
    *to = *from;
    to->prob = p;
    to->label = to->question = to->expr = to->among = NULL;
    char probe[1]; /* snprintf's length; cppcheck frowns on NULL */
    size_t n = (size_t)graft_quantile_name(probe, sizeof probe, from->name,
                                           p) + 1;
    char *name = malloc(n), *label = NULL;
    if (name)
        graft_quantile_name(name, n, from->name, p);
    to->name = name;
    if (from->label) {
        n = strlen(from->label) + 32;
        if ((label = malloc(n)))
            snprintf(label, n, "%s (p%.10g)", from->label, 100 * p);
        to->label = label;
    }
    return name && (!from->label || label) &&
           (!from->question ||
            (to->question = graft_strdup(from->question))) &&
           (to->expr = graft_strdup(from->expr)) &&
           (!from->among || (to->among = graft_strdup(from->among)));
}

/* Free the strings of IND. */
static void spec_free(graft_indicator_spec_t *ind)
{
    free((char *)ind->name);
    free((char *)ind->label);
    free((char *)ind->question);
    free((char *)ind->expr);
    free((char *)ind->among);
}

/* Each type = quantile indicator becomes one per probability, in the order
 * of its probs; probs must be given for a quantile and only for one. */
static graft_error_t expand_quantiles(load_ctx_t *c, graft_diag_t *diag)
{
    graft_analysis_t *a = c->a;
    size_t n = 0;
    for (size_t i = 0; i < a->n_indicators; i++) {
        const graft_indicator_spec_t *ind = &a->indicators[i];
        int q = ind->type == GRAFT_IND_QUANTILE;
        if (q && c->probs[i].n == 0)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path, 0, 0,
                                  "[indicator.%s] has type quantile but no "
                                  "probs, e.g. probs = 0.5 or probs = 0.25, "
                                  "0.5, 0.75",
                                  ind->name);
        if (!q && c->probs[i].n)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  c->probs[i].line, 0,
                                  "probs is for type = quantile, not %s",
                                  graft_ind_type_name(ind->type));
        n += q ? c->probs[i].n : 1;
    }
    graft_indicator_spec_t *out = calloc(n, sizeof *out);
    if (!out)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, a->path, 0, 0,
                              "out of memory");
    size_t m = 0;
    int ok = 1;
    for (size_t i = 0; i < a->n_indicators; i++) {
        graft_indicator_spec_t *ind = &a->indicators[i];
        if (ind->type != GRAFT_IND_QUANTILE) {
            out[m++] = *ind;
            memset(ind, 0, sizeof *ind); /* moved */
            continue;
        }
        for (size_t j = 0; j < c->probs[i].n && ok; j++)
            ok = quantile_spec(ind, c->probs[i].p[j], &out[m++]);
        spec_free(ind);
    }
    free(a->indicators);
    a->indicators = out;
    a->n_indicators = m;
    return ok ? GRAFT_OK : graft_diag_set(diag, GRAFT_ERR_NOMEM, a->path, 0,
                                          0, "out of memory");
}

/* A chart's round must be one of [rounds] (when the file has them; graft
 * run refuses a file without). */
static graft_error_t check_chart_rounds(const graft_analysis_t *a,
                                        graft_diag_t *diag)
{
    for (size_t i = 0; a->n_rounds && i < a->n_charts; i++) {
        const graft_analysis_chart_t *ch = &a->charts[i];
        if (ch->round && !find_round(a, ch->round))
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  ch->round_line, 0,
                                  "[chart.%s] round '%s' is not in [rounds]",
                                  ch->name, ch->round);
    }
    return GRAFT_OK;
}

graft_error_t graft_analysis_load(const char *path, graft_analysis_t **out,
                                  graft_diag_t *diag)
{
    *out = NULL;
    graft_analysis_t *a = calloc(1, sizeof *a);
    load_ctx_t c = {.a = a};
    if (!a || !(a->path = graft_strdup(path))) {
        free(a);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                              "out of memory");
    }
    a->level = 0.95;
    graft_plan_section_init(a);
    graft_error_t rc = graft_ini_parse(path, handler, &c, diag);
    if (rc == GRAFT_OK && a->n_indicators == 0)
        rc = graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, 0, 0,
                            "no [indicator.NAME] section");
    for (size_t i = 0; rc == GRAFT_OK && i < a->n_indicators; i++)
        if (!a->indicators[i].expr)
            rc = graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, 0, 0,
                                "[indicator.%s] has no expr",
                                a->indicators[i].name);
    if (rc == GRAFT_OK)
        rc = expand_quantiles(&c, diag);
    if (rc == GRAFT_OK)
        rc = check_chart_rounds(a, diag);
    if (rc == GRAFT_OK)
        rc = check_models(a, diag);
    if (rc == GRAFT_OK)
        rc = check_saes(a, diag);
    free(c.probs);
    if (rc == GRAFT_OK)
        rc = graft_weighting_check(a, diag);
    if (rc == GRAFT_OK)
        rc = graft_plan_section_check(a, diag);
    if (rc != GRAFT_OK) {
        graft_analysis_free(a);
        return rc;
    }
    *out = a;
    return GRAFT_OK;
}

void graft_analysis_free(graft_analysis_t *a)
{
    if (!a)
        return;
    graft_weighting_free(a);
    free(a->plan_round);
    for (size_t i = 0; i < a->n_indicators; i++)
        spec_free(&a->indicators[i]);
    free(a->indicators);
    for (size_t s = 0; s < a->n_by; s++)
        for (size_t i = 0; i < a->by[s].n_columns; i++)
            free((char *)a->by[s].columns[i]);
    free(a->by);
    free(a->title);
    for (size_t i = 0; i < a->n_rounds; i++) {
        free(a->rounds[i].name);
        free(a->rounds[i].survey);
    }
    free(a->rounds);
    free(a->baseline);
    for (size_t i = 0; i < a->n_followups; i++)
        free(a->followups[i]);
    free(a->followups);
    free(a->adjust);
    free(a->test_df);
    for (size_t i = 0; i < a->n_trend_rounds; i++)
        free(a->trend_rounds[i]);
    free(a->trend_rounds);
    for (size_t i = 0; i < a->n_charts; i++) {
        graft_analysis_chart_t *ch = &a->charts[i];
        free(ch->name);
        free(ch->kind);
        free(ch->indicator);
        free(ch->by);
        free(ch->round);
        free(ch->title);
    }
    free(a->charts);
    for (size_t i = 0; i < a->n_models; i++) {
        graft_analysis_model_t *m = &a->models[i];
        free(m->name);
        free(m->family);
        free(m->formula);
        free(m->among);
        free(m->round);
        free(m->title);
        for (size_t t = 0; t < m->n_tests; t++)
            free(m->tests[t]);
        free(m->tests);
    }
    free(a->models);
    for (size_t i = 0; i < a->n_saes; i++) {
        graft_analysis_sae_t *x = &a->saes[i];
        char *fields[] = {x->name, x->indicator, x->by, x->covariates,
                          x->formula, x->method, x->variance, x->round,
                          x->title};
        for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
            free(fields[k]);
    }
    free(a->saes);
    free(a->path);
    free(a);
}
