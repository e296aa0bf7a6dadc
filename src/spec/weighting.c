/*
 * weighting.c - [weighting] in analysis files: which rounds `graft run`
 * calibrates to which margins files, and how (spec/weighting.h).
 *
 *   [weighting]
 *   method = rake                 poststratify|rake|linear|logit|raking
 *   bounds = 0.5, 2               linear, logit, raking
 *   tolerance = 1e-10
 *   max_iter = 100
 *   trim = 100, 5000              after calibrating (alone: every round)
 *   trim_strict = false
 *   name = weight_cal             the new weight column
 *   round1 = ../surveys/demo/margins/zone.csv, ../surveys/demo/margins/sex.csv
 */
#include "spec/weighting.h"
#include "base/grow.h"
#include "base/ini.h"
#include "base/str.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) (snprintf(msg, msg_size, __VA_ARGS__), GRAFT_ERR_SURVEY_FILE)
#define NOMEM() (snprintf(msg, msg_size, "out of memory"), GRAFT_ERR_NOMEM)

/* A finite number, the whole of S. */
static int number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    return end != s && !*end && !errno && isfinite(*out);
}

/* "L, U" with L < U. */
static int pair(const char *value, double *lo, double *hi)
{
    const char *comma = strchr(value, ',');
    char a[64];
    size_t n = comma ? (size_t)(comma - value) : 0;
    if (!comma || n >= sizeof a)
        return 0;
    memcpy(a, value, n);
    a[n] = '\0';
    return number(a, lo) && number(comma + 1, hi) && *lo < *hi;
}

static graft_error_t round_key(graft_analysis_t *a, const char *key,
                               const char *value, unsigned long line,
                               char *msg, size_t msg_size)
{
    for (size_t i = 0; i < a->n_weighting; i++)
        if (strcmp(a->weighting[i].round, key) == 0)
            return FAIL("[weighting] round '%s' is given twice", key);
    graft_analysis_weighting_t *w =
        realloc(a->weighting, (a->n_weighting + 1) * sizeof *w);
    if (!w)
        return NOMEM();
    a->weighting = w;
    w = &w[a->n_weighting++];
    memset(w, 0, sizeof *w);
    w->line = line;
    if (!(w->round = graft_strdup(key)))
        return NOMEM();
    size_t len;
    for (const char *start; (start = graft_list_item(&value, &len));) {
        char *item = graft_strndup(start, len);
        char **m = item ? realloc(w->margins, (w->n_margins + 1) * sizeof *m)
                        : NULL;
        char *path = m ? graft_ini_resolve(a->path, item) : NULL;
        free(item);
        if (m)
            w->margins = m;
        if (!path)
            return NOMEM();
        w->margins[w->n_margins++] = path;
    }
    if (!w->n_margins)
        return FAIL("[weighting] %s: no margins file", key);
    return GRAFT_OK;
}

static graft_error_t setting(graft_analysis_t *a, const char *key,
                             const char *value, char *msg, size_t msg_size)
{
    graft_weight_opts_t *o = &a->weight_opts;
    double v;
    if (strcmp(key, "method") == 0) {
        if (!graft_cal_method_parse(value, &o->cal.method))
            return FAIL("[weighting] method '%s' must be poststratify, rake, "
                        "linear, logit or raking",
                        value);
    } else if (strcmp(key, "bounds") == 0) {
        if (!pair(value, &o->cal.lower, &o->cal.upper))
            return FAIL("[weighting] bounds '%s' must be L, U with L < U",
                        value);
    } else if (strcmp(key, "tolerance") == 0) {
        if (!number(value, &o->cal.tolerance) || !(o->cal.tolerance > 0))
            return FAIL("[weighting] tolerance '%s' must be a positive "
                        "number",
                        value);
    } else if (strcmp(key, "max_iter") == 0) {
        if (!number(value, &v) || v < 1 || v > 1e6 || v != floor(v))
            return FAIL("[weighting] max_iter '%s' must be a whole number "
                        "from 1 to 1000000",
                        value);
        o->cal.max_iter = (size_t)v;
    } else if (strcmp(key, "trim") == 0) {
        o->trim = 1;
        if (!pair(value, &o->trim_lower, &o->trim_upper))
            return FAIL("[weighting] trim '%s' must be L, U with L < U",
                        value);
    } else if (strcmp(key, "trim_strict") == 0) {
        if (!graft_ini_bool(value, 0, &o->trim_strict))
            return FAIL("[weighting] trim_strict '%s' must be true or false",
                        value);
    } else if (strcmp(key, "name") == 0) {
        if (!graft_str_set(&a->weight_name, value))
            return NOMEM();
    } else
        return -1;
    return GRAFT_OK;
}

graft_error_t graft_weighting_key(graft_analysis_t *a, const char *key,
                                  const char *value, unsigned long line,
                                  char *msg, size_t msg_size)
{
    if (!a->has_weighting) {
        a->has_weighting = 1;
        a->weighting_line = line;
        graft_cal_opts_init(&a->weight_opts.cal);
    }
    graft_error_t rc = setting(a, key, value, msg, msg_size);
    if ((int)rc != -1)
        return rc;
    return round_key(a, key, value, line, msg, msg_size);
}

graft_error_t graft_weighting_check(graft_analysis_t *a, graft_diag_t *diag)
{
    graft_weight_opts_t *o = &a->weight_opts;
    if (!a->has_weighting)
        return GRAFT_OK;
    o->calibrate = a->n_weighting != 0;
    for (size_t i = 0; i < a->n_weighting; i++) {
        size_t r = 0;
        while (r < a->n_rounds &&
               strcmp(a->rounds[r].name, a->weighting[i].round) != 0)
            r++;
        if (r == a->n_rounds)
            return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                                  a->weighting[i].line, 0,
                                  "[weighting] '%s' is neither a setting "
                                  "(method, bounds, tolerance, max_iter, "
                                  "trim, trim_strict, name) nor a round of "
                                  "[rounds]",
                                  a->weighting[i].round);
    }
    if (!o->calibrate && !o->trim)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, a->path,
                              a->weighting_line, 0,
                              "[weighting] names no round (ROUND = margins "
                              "files) and no trim");
    return GRAFT_OK;
}

void graft_weighting_free(graft_analysis_t *a)
{
    for (size_t i = 0; i < a->n_weighting; i++) {
        for (size_t k = 0; k < a->weighting[i].n_margins; k++)
            free(a->weighting[i].margins[k]);
        free(a->weighting[i].margins);
        free(a->weighting[i].round);
    }
    free(a->weighting);
    free(a->weight_name);
}
