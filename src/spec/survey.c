/*
 * survey.c - survey files through inih.
 *
 * Parsed through graft_ini_parse() (inih with positions); the first
 * message is kept in the load context.
 */
#include "graft/survey.h"
#include "graft/calibrate.h"
#include "base/str.h"
#include "base/grow.h"
#include "base/ini.h"
#include "base/names.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct load_ctx {
    graft_survey_t *s;
    graft_error_t rc;
    char msg[1024];
    /* Capacities of the survey's arrays while it is loaded. */
    size_t cap_missing, cap_labels, cap_derived, cap_qnames, cap_qtexts;
    unsigned long cal_keys; /* [calibration] keys seen, one bit each */
} load_ctx_t;


/* Keep the first message (later ones follow from it); returns 0. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(load_ctx_t *c, graft_error_t rc, const char *fmt, ...)
{
    if (c->rc == GRAFT_OK) {
        va_list ap;
        c->rc = rc;
        va_start(ap, fmt);
        vsnprintf(c->msg, sizeof c->msg, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static int nomem(load_ctx_t *c)
{
    return fail(c, GRAFT_ERR_NOMEM, "out of memory");
}

size_t graft_parse_codes(const char *text, double **codes, size_t *n)
{
    size_t cap = 0, count = 0;
    double *out = NULL;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        double v;
        if (!graft_parse_number(start, (size_t)(p - start), &v)) {
            free(out);
            return (size_t)(start - text) + 1;
        }
        double *bigger = graft_grow(out, &cap, count + 1, sizeof *out);
        if (!bigger) {
            free(out);
            return 1;
        }
        out = bigger;
        out[count++] = v;
        if (*p == '\0')
            break;
        p++;
    }
    *codes = out;
    *n = count;
    return 0;
}

static int set_str(load_ctx_t *c, char **field, const char *value)
{
    return graft_str_set(field, value) ? 1 : nomem(c);
}

static int add_missing(load_ctx_t *c, const char *column, const char *value)
{
    graft_survey_t *s = c->s;
    double *codes;
    size_t n;
    if (graft_parse_codes(value, &codes, &n) != 0)
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "missing codes '%s' are not a list of numbers", value);
    graft_missing_spec_t *m =
        graft_grow(s->missing, &c->cap_missing, s->n_missing + 1, sizeof *m);
    char *col = column ? graft_strdup(column) : NULL;
    if (!m || (column && !col)) {
        free(codes);
        free(col);
        if (m)
            s->missing = m;
        return nomem(c);
    }
    s->missing = m;
    m[s->n_missing++] = (graft_missing_spec_t){col, codes, n};
    return 1;
}

static int add_label(load_ctx_t *c, const char *column, const char *code,
                     const char *label)
{
    graft_survey_t *s = c->s;
    graft_label_spec_t *spec = NULL;
    for (size_t i = 0; i < s->n_labels; i++)
        if (strcmp(s->labels[i].column, column) == 0)
            spec = &s->labels[i];
    if (!spec) {
        graft_label_spec_t *l =
            graft_grow(s->labels, &c->cap_labels, s->n_labels + 1, sizeof *l);
        if (!l)
            return nomem(c);
        s->labels = l;
        spec = &l[s->n_labels];
        spec->column = graft_strdup(column);
        spec->labels = graft_labelset_alloc();
        s->n_labels++;
        if (!spec->column || !spec->labels)
            return nomem(c);
    }
    graft_labelset_t *set = (graft_labelset_t *)spec->labels;
    double v;
    graft_error_t rc = graft_parse_number(code, strlen(code), &v)
                           ? graft_labelset_add_num(set, v, label)
                           : graft_labelset_add_str(set, code, label);
    if (rc != GRAFT_OK)
        return fail(c, rc, "out of memory");
    return 1;
}

/* ---- [survey] -------------------------------------------------------- */

static int set_year(load_ctx_t *c, const char *value)
{
    char *end;
    errno = 0;
    long y = strtol(value, &end, 10);
    if (errno || *end || end == value || y < 1000 || y > 9999)
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "year '%s' is not a four-digit year", value);
    c->s->year = y;
    return 1;
}

static int set_delim(load_ctx_t *c, const char *value)
{
    if (strcmp(value, ",") == 0 || strcmp(value, ";") == 0)
        c->s->delim = value[0];
    else if (strcmp(value, "tab") == 0)
        c->s->delim = '\t';
    else
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "delim '%s' must be ',', ';' or tab", value);
    return 1;
}

enum { SK_NAME, SK_ROUND, SK_DATA, SK_YEAR, SK_DELIM, SK_MISSING };
static const char *const survey_keys[] = {"name",  "round", "data",
                                          "year",  "delim", "missing"};

static int survey_key(load_ctx_t *c, const char *name, const char *value)
{
    graft_survey_t *s = c->s;
    size_t k;
    if (!GRAFT_NAMES_FIND(survey_keys, 0, name, &k))
        return fail(c, GRAFT_ERR_SURVEY_FILE, "unknown key '%s' in [survey]",
                    name);
    switch (k) {
    case SK_NAME: return set_str(c, &s->name, value);
    case SK_ROUND: return set_str(c, &s->round, value);
    case SK_DATA:
        if (!*value)
            return fail(c, GRAFT_ERR_SURVEY_FILE,
                        "data is empty: name the data file (a path "
                        "relative to this survey file)");
        return set_str(c, &s->data, value);
    case SK_YEAR: return set_year(c, value);
    case SK_DELIM: return set_delim(c, value);
    default: return add_missing(c, NULL, value); /* SK_MISSING */
    }
}

/* ---- [design] -------------------------------------------------------- */

/* Split "a, b,c" into the design's strata columns. */
static int set_strata(load_ctx_t *c, const char *value)
{
    graft_design_spec_t *d = &c->s->design;
    for (size_t i = 0; i < d->n_strata; i++)
        free((char *)d->strata[i]);
    d->n_strata = 0;
    const char *p = value;
    size_t len;
    for (const char *start; (start = graft_list_item(&p, &len));) {
        if (d->n_strata == GRAFT_MAX_STRATA_COLUMNS)
            return fail(c, GRAFT_ERR_SURVEY_FILE,
                        "too many strata columns in '%s'", value);
        char *col = graft_strndup(start, len);
        if (!col)
            return nomem(c);
        d->strata[d->n_strata++] = col;
    }
    return 1;
}

static int set_weight(load_ctx_t *c, const char *value)
{
    graft_design_spec_t *d = &c->s->design;
    c->s->has_weight = 1;
    d->unweighted = strcmp(value, "1") == 0;
    return d->unweighted ? 1 : set_str(c, (char **)&d->weight, value);
}

/* "nest" or "mse": true or false (graft_ini_bool's loose spellings). */
static int set_bool(load_ctx_t *c, const char *name, const char *value,
                    int *out)
{
    if (!graft_ini_bool(value, 1, out))
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "%s '%s' must be true or false", name, value);
    return 1;
}

/* "scale" or "rho": a finite number. */
static int set_number(load_ctx_t *c, const char *name, const char *value,
                      double *out)
{
    char *end;
    double v = strtod(value, &end);
    if (end == value || *end || !isfinite(v))
        return fail(c, GRAFT_ERR_SURVEY_FILE, "%s '%s' is not a number",
                    name, value);
    *out = v;
    return 1;
}

static int set_rscales(load_ctx_t *c, const char *value)
{
    graft_rep_spec_t *rep = &c->s->design.rep;
    double *codes;
    size_t n;
    if (graft_parse_codes(value, &codes, &n) != 0)
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "rscales '%s' is not a list of numbers", value);
    free((double *)rep->rscales);
    rep->rscales = codes;
    rep->n_rscales = n;
    return 1;
}

static int set_reptype(load_ctx_t *c, const char *value)
{
    if (!graft_reptype_parse(value, &c->s->design.rep.type))
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "reptype '%s' must be jk1, jkn, brr, fay, bootstrap, "
                    "sdr, acs or other",
                    value);
    return 1;
}

static int set_lonely(load_ctx_t *c, const char *value)
{
    if (!graft_lonely_parse(value, &c->s->design.lonely))
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "lonely_psu '%s' must be fail, remove, certainty, "
                    "adjust or average",
                    value);
    c->s->has_lonely = 1;
    return 1;
}

enum { DK_WEIGHT, DK_STRATA, DK_PSU, DK_FPC, DK_NEST, DK_REPWEIGHTS,
       DK_REPTYPE, DK_SCALE, DK_RHO, DK_RSCALES, DK_MSE, DK_LONELY };
static const char *const design_keys[] = {
    "weight",  "strata", "psu", "fpc",     "nest", "repweights",
    "reptype", "scale",  "rho", "rscales", "mse",  "lonely_psu"};

static int design_key(load_ctx_t *c, const char *name, const char *value)
{
    graft_survey_t *s = c->s;
    graft_design_spec_t *d = &s->design;
    size_t k;
    if (!GRAFT_NAMES_FIND(design_keys, 0, name, &k))
        return fail(c, GRAFT_ERR_SURVEY_FILE, "unknown key '%s' in [design]",
                    name);
    switch (k) {
    case DK_WEIGHT: return set_weight(c, value);
    case DK_STRATA: return set_strata(c, value);
    case DK_PSU: return set_str(c, (char **)&d->psu, value);
    case DK_FPC: return set_str(c, (char **)&d->fpc, value);
    case DK_NEST:
        if (!set_bool(c, name, value, &d->nest))
            return 0;
        s->has_nest = 1;
        return 1;
    case DK_REPWEIGHTS: return set_str(c, (char **)&d->rep.columns, value);
    case DK_REPTYPE: return set_reptype(c, value);
    case DK_SCALE: return set_number(c, name, value, &d->rep.scale);
    case DK_RHO: return set_number(c, name, value, &d->rep.rho);
    case DK_RSCALES: return set_rscales(c, value);
    case DK_MSE: return set_bool(c, name, value, &d->rep.mse);
    default: return set_lonely(c, value); /* DK_LONELY */
    }
}

/* ---- [calibration] ---------------------------------------------------- */

/* The calibration being read (made by its first key). */
static graft_cal_spec_t *cal_spec(load_ctx_t *c, unsigned long line)
{
    graft_survey_t *s = c->s;
    if (!s->cal && (s->cal = calloc(1, sizeof *s->cal)) != NULL) {
        s->cal->method = -1;
        s->cal->src = (graft_source_t){s->path, line, 0};
    }
    return s->cal;
}

/* One margin "region * urban" of the list: its crossed variables. */
static int add_margin(load_ctx_t *c, graft_cal_spec_t *cal, const char *text,
                      size_t len, size_t *cap)
{
    if (cal->n_margins == GRAFT_MAX_CAL_MARGINS)
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "margins: more than %d margins", GRAFT_MAX_CAL_MARGINS);
    graft_cal_margin_spec_t *m = graft_grow(
        (void *)cal->margins, cap, cal->n_margins + 1, sizeof *m);
    if (!m)
        return nomem(c);
    cal->margins = m;
    m = &m[cal->n_margins++];
    memset(m, 0, sizeof *m);
    for (const char *p = text, *end = text + len; p <= end;) {
        const char *star = memchr(p, '*', (size_t)(end - p));
        const char *stop = star ? star : end, *a = p, *b = stop;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (a == b)
            return fail(c, GRAFT_ERR_SURVEY_FILE,
                        "margins: margin %zu ('%.*s') has an empty variable "
                        "name",
                        cal->n_margins, (int)len, text);
        if (m->n_vars == GRAFT_MAX_BY)
            return fail(c, GRAFT_ERR_SURVEY_FILE,
                        "margins: margin %zu crosses more than %d variables",
                        cal->n_margins, GRAFT_MAX_BY);
        if (!(m->vars[m->n_vars++] = graft_strndup(a, (size_t)(b - a))))
            return nomem(c);
        p = stop + 1;
    }
    return 1;
}

/* "zone; sex; region*urban": margins separated by ';'. */
static int set_margins(load_ctx_t *c, graft_cal_spec_t *cal,
                       const char *value)
{
    size_t cap = 0;
    const char *p = value;
    for (;;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (!add_margin(c, cal, p, len, &cap))
            return 0;
        if (!semi)
            return 1;
        p = semi + 1;
    }
}

/* "L, U": two numbers (-Inf and Inf allowed, as graft weight writes
 * them), L <= U. */
static int check_pair(load_ctx_t *c, const char *name, const char *value)
{
    double v[2];
    const char *p = value;
    int ok = 1;
    for (int i = 0; i < 2 && ok; i++) {
        char *end;
        v[i] = strtod(p, &end);
        ok = end != p && !isnan(v[i]);
        while (*end == ' ' || *end == '\t')
            end++;
        ok = ok && *end == (i == 0 ? ',' : '\0');
        p = end + 1;
    }
    if (!ok || v[0] > v[1])
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "%s '%s' must be two numbers L, U with L <= U", name,
                    value);
    return 1;
}

/* tolerance (a positive number) or max_iter (a positive whole number). */
static int check_positive(load_ctx_t *c, const char *name, const char *value,
                          int whole)
{
    char *end;
    double v = strtod(value, &end);
    if (end == value || *end || !isfinite(v) || v <= 0 ||
        (whole && v != floor(v)))
        return fail(c, GRAFT_ERR_SURVEY_FILE, "%s '%s' must be a positive %s",
                    name, value, whole ? "whole number" : "number");
    return 1;
}

enum { CK_METHOD, CK_DESIGN_W, CK_CAL_W, CK_MARGINS, CK_FILES, CK_BOUNDS,
       CK_TOL, CK_MAXIT, CK_TRIM };
static const char *const cal_keys[] = {
    "method", "design_weight", "calibrated_weight", "margins", "files",
    "bounds", "tolerance",     "max_iter",          "trim"};

static int cal_key(load_ctx_t *c, const char *name, const char *value,
                   unsigned long line)
{
    graft_cal_spec_t *cal = cal_spec(c, line);
    size_t k;
    graft_cal_method_t m;
    if (!cal)
        return nomem(c);
    if (!GRAFT_NAMES_FIND(cal_keys, 0, name, &k))
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "unknown key '%s' in [calibration] (expected method, "
                    "design_weight, calibrated_weight, margins, files, "
                    "bounds, tolerance, max_iter or trim)",
                    name);
    if (c->cal_keys & (1ul << k))
        return fail(c, GRAFT_ERR_SURVEY_FILE,
                    "%s is given twice in [calibration]", name);
    c->cal_keys |= 1ul << k;
    if (k != CK_FILES && !*value)
        return fail(c, GRAFT_ERR_SURVEY_FILE, "%s is empty in [calibration]",
                    name);
    switch (k) {
    case CK_METHOD:
        if (!graft_cal_method_parse(value, &m))
            return fail(c, GRAFT_ERR_SURVEY_FILE,
                        "method '%s' must be poststratify, rake, linear, "
                        "logit or raking",
                        value);
        cal->method = (int)m;
        return 1;
    case CK_DESIGN_W:
        return set_str(c, (char **)&cal->design_weight, value);
    case CK_CAL_W:
        return set_str(c, (char **)&cal->calibrated_weight, value);
    case CK_MARGINS: return set_margins(c, cal, value);
    case CK_BOUNDS: case CK_TRIM: return check_pair(c, name, value);
    case CK_TOL: return check_positive(c, name, value, 0);
    case CK_MAXIT: return check_positive(c, name, value, 1);
    default: return 1; /* CK_FILES: provenance only */
    }
}

/* After the file: a [calibration] needs method, design_weight and
 * margins; poststratify has a single margin. */
static graft_error_t cal_check(graft_survey_t *s, graft_diag_t *diag)
{
    const graft_cal_spec_t *cal = s->cal;
    const char *missing = cal->method < 0         ? "method"
                          : !cal->design_weight   ? "design_weight"
                          : !cal->n_margins       ? "margins"
                                                  : NULL;
    if (missing)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, s->path,
                              cal->src.line, 0,
                              "[calibration] has no %s key", missing);
    if (cal->method == 0 && cal->n_margins > 1)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, s->path,
                              cal->src.line, 0,
                              "[calibration] method poststratify takes one "
                              "margin (crossed variables joined by '*'), "
                              "not %zu",
                              cal->n_margins);
    s->design.cal = cal;
    return GRAFT_OK;
}

/* ---- [derive] and [questions] ---------------------------------------- */

static int add_derived(load_ctx_t *c, const char *name, const char *value,
                       unsigned long line, unsigned long col)
{
    graft_survey_t *s = c->s;
    for (size_t i = 0; i < s->n_derived; i++)
        if (strcmp(s->derived[i].name, name) == 0)
            return fail(c, GRAFT_ERR_SURVEY_FILE,
                        "derived variable '%s' is defined twice (first on "
                        "line %lu)",
                        name, s->derived[i].src.line);
    graft_derived_spec_t *d =
        graft_grow(s->derived, &c->cap_derived, s->n_derived + 1, sizeof *d);
    if (!d)
        return nomem(c);
    s->derived = d;
    d = &d[s->n_derived];
    memset(d, 0, sizeof *d);
    d->name = graft_strdup(name);
    d->expr = graft_strdup(value);
    d->src = (graft_source_t){s->path, line, col};
    s->n_derived++;
    if (!d->name || !d->expr)
        return nomem(c);
    return 1;
}

static int add_question(load_ctx_t *c, const char *name, const char *value)
{
    graft_survey_t *s = c->s;
    size_t n = s->n_questions;
    char **names =
        graft_grow(s->question_names, &c->cap_qnames, n + 1, sizeof *names);
    if (names)
        s->question_names = names;
    char **texts = graft_grow(s->questions, &c->cap_qtexts, n + 1,
                              sizeof *texts);
    if (texts)
        s->questions = texts;
    if (!names || !texts)
        return nomem(c);
    names[n] = graft_strdup(name);
    texts[n] = graft_strdup(value);
    s->n_questions++;
    if (!names[n] || !texts[n])
        return nomem(c);
    return 1;
}

const char *graft_survey_question(const graft_survey_t *s, const char *name)
{
    for (size_t i = 0; s && i < s->n_questions; i++)
        if (strcmp(s->question_names[i], name) == 0)
            return s->questions[i];
    return NULL;
}

static int dispatch(load_ctx_t *c, const char *section, const char *name,
                    const char *value, unsigned long line, unsigned long col)
{
    if (strcmp(section, "questions") == 0)
        return add_question(c, name, value);
    if (strcmp(section, "derive") == 0)
        return add_derived(c, name, value, line, col);
    if (strcmp(section, "survey") == 0)
        return survey_key(c, name, value);
    if (strcmp(section, "design") == 0)
        return design_key(c, name, value);
    if (strcmp(section, "missing") == 0)
        return add_missing(c, name, value);
    if (strncmp(section, "labels.", 7) == 0 && section[7])
        return add_label(c, section + 7, name, value);
    if (strcmp(section, "calibration") == 0)
        return cal_key(c, name, value, line);
    return fail(c, GRAFT_ERR_SURVEY_FILE,
                "unknown section [%s] (expected survey, design, missing, "
                "derive, questions, calibration or labels.COLUMN)",
                section);
}

static graft_error_t handler(void *user, const char *section,
                             const char *name, const char *value,
                             unsigned long line, unsigned long col, char *msg,
                             size_t msg_size)
{
    load_ctx_t *c = user;
    if (dispatch(c, section, name, value, line, col))
        return GRAFT_OK;
    snprintf(msg, msg_size, "%s", c->msg);
    return c->rc;
}

graft_error_t graft_survey_load(const char *path, graft_survey_t **out,
                                graft_diag_t *diag)
{
    *out = NULL;
    graft_survey_t *s = calloc(1, sizeof *s);
    if (!s || !(s->path = graft_strdup(path))) {
        free(s);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                              "out of memory");
    }
    graft_design_spec_init(&s->design);
    load_ctx_t c = {.s = s, .rc = GRAFT_OK};
    graft_error_t rc = graft_ini_parse(path, handler, &c, diag);
    if (rc == GRAFT_OK && s->cal)
        rc = cal_check(s, diag);
    if (rc != GRAFT_OK) {
        graft_survey_free(s);
        return rc;
    }
    if (s->data) {
        char *abs = graft_ini_resolve(path, s->data);
        if (!abs) {
            graft_survey_free(s);
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                                  "out of memory");
        }
        free(s->data);
        s->data = abs;
    }
    *out = s;
    return GRAFT_OK;
}

void graft_survey_free(graft_survey_t *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->name);
    free(s->round);
    free(s->data);
    free((char *)s->design.weight);
    free((char *)s->design.psu);
    free((char *)s->design.fpc);
    free((char *)s->design.rep.columns);
    free((double *)s->design.rep.rscales);
    for (size_t i = 0; i < s->design.n_strata; i++)
        free((char *)s->design.strata[i]);
    for (size_t i = 0; i < s->n_missing; i++) {
        free((char *)s->missing[i].column);
        free((double *)s->missing[i].codes);
    }
    free(s->missing);
    for (size_t i = 0; i < s->n_labels; i++) {
        free((char *)s->labels[i].column);
        graft_labelset_free((graft_labelset_t *)s->labels[i].labels);
    }
    free(s->labels);
    for (size_t i = 0; i < s->n_derived; i++) {
        free((char *)s->derived[i].name);
        free((char *)s->derived[i].expr);
    }
    free(s->derived);
    for (size_t i = 0; i < s->n_questions; i++) {
        if (s->question_names)
            free(s->question_names[i]);
        if (s->questions)
            free(s->questions[i]);
    }
    free(s->question_names);
    free(s->questions);
    if (s->cal) {
        for (size_t m = 0; m < s->cal->n_margins; m++)
            for (size_t i = 0; i < s->cal->margins[m].n_vars; i++)
                free((char *)s->cal->margins[m].vars[i]);
        free((void *)s->cal->margins);
        free((char *)s->cal->design_weight);
        free((char *)s->cal->calibrated_weight);
        free(s->cal);
    }
    free(s);
}
