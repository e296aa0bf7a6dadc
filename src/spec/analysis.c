/*
 * analysis.c - analysis files.
 */
#include "graft/analysis.h"
#include "base/str.h"
#include "base/ini.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct load_ctx {
    graft_analysis_t *a;
} load_ctx_t;


int graft_df_parse(const char *text, graft_df_mode_t *mode, double *value)
{
    if (strcmp(text, "domain") == 0) {
        *mode = GRAFT_DF_DOMAIN;
        return 1;
    }
    if (strcmp(text, "design") == 0) {
        *mode = GRAFT_DF_DESIGN;
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
    }
    return by->n_columns > 0;
}

#define FAIL(...) (snprintf(msg, msg_size, __VA_ARGS__), GRAFT_ERR_SURVEY_FILE)
#define NOMEM() (snprintf(msg, msg_size, "out of memory"), GRAFT_ERR_NOMEM)

static graft_error_t analysis_key(load_ctx_t *c, const char *name,
                                  const char *value, char *msg,
                                  size_t msg_size)
{
    graft_analysis_t *a = c->a;
    if (strcmp(name, "title") == 0) {
        free(a->title);
        return (a->title = graft_strdup(value)) ? GRAFT_OK : NOMEM();
    }
    if (strcmp(name, "by") == 0) {
        graft_by_spec_t *by = realloc(a->by, (a->n_by + 1) * sizeof *by);
        if (!by)
            return NOMEM();
        a->by = by;
        by = &a->by[a->n_by];
        char *buf = graft_strdup(value);
        if (!buf)
            return NOMEM();
        if (!graft_by_split(buf, by)) {
            free(buf);
            return FAIL("by '%s' must list 1 to %d columns", value,
                        GRAFT_MAX_BY);
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
    if (strcmp(name, "ci") == 0) {
        a->has_ci = 1;
        return graft_ci_method_parse(value, &a->ci)
                   ? GRAFT_OK
                   : FAIL("ci '%s' must be logit, wald, beta, kg-nchs, "
                          "wilson, jeffreys, asin or xlogit",
                          value);
    }
    if (strcmp(name, "level") == 0) {
        char *end;
        a->level = strtod(value, &end);
        a->has_level = 1;
        return *end == '\0' && end != value && a->level > 0 && a->level < 1
                   ? GRAFT_OK
                   : FAIL("level '%s' must be between 0 and 1, e.g. 0.95",
                          value);
    }
    if (strcmp(name, "df") == 0) {
        a->has_df = 1;
        return graft_df_parse(value, &a->df_mode, &a->df_value)
                   ? GRAFT_OK
                   : FAIL("df '%s' must be domain, design or a positive "
                          "number",
                          value);
    }
    if (strcmp(name, "min_n") == 0) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(value, &end, 10);
        a->min_n = v;
        a->has_min_n = 1;
        return !errno && *end == '\0' && end != value && value[0] != '-'
                   ? GRAFT_OK
                   : FAIL("min_n '%s' must be a non-negative integer", value);
    }
    return FAIL("unknown key '%s' in [analysis]", name);
}

static graft_error_t indicator_key(load_ctx_t *c, const char *id,
                                   const char *name, const char *value,
                                   unsigned long line, unsigned long col,
                                   char *msg, size_t msg_size)
{
    graft_analysis_t *a = c->a;
    graft_indicator_spec_t *ind = NULL;
    for (size_t i = 0; i < a->n_indicators; i++)
        if (strcmp(a->indicators[i].name, id) == 0)
            ind = &a->indicators[i];
    if (!ind) {
        graft_indicator_spec_t *inds =
            realloc(a->indicators, (a->n_indicators + 1) * sizeof *inds);
        if (!inds)
            return NOMEM();
        a->indicators = inds;
        ind = &inds[a->n_indicators++];
        memset(ind, 0, sizeof *ind);
        if (!(ind->name = graft_strdup(id)))
            return NOMEM();
    }
    const char **field = NULL;
    graft_source_t *src = NULL;
    if (strcmp(name, "label") == 0)
        field = &ind->label;
    else if (strcmp(name, "question") == 0)
        field = &ind->question;
    else if (strcmp(name, "expr") == 0)
        field = &ind->expr, src = &ind->expr_src;
    else if (strcmp(name, "among") == 0)
        field = &ind->among, src = &ind->among_src;
    else if (strcmp(name, "harmonized") == 0) {
        if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0)
            ind->harmonized = 1;
        else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0)
            ind->harmonized = 0;
        else
            return FAIL("harmonized '%s' must be true or false", value);
        return GRAFT_OK;
    } else if (strcmp(name, "type") == 0)
        return graft_ind_type_parse(value, &ind->type)
                   ? GRAFT_OK
                   : FAIL("type '%s' must be prop, mean or total", value);
    else
        return FAIL("unknown key '%s' in [indicator.%s]", name, id);
    free((char *)*field);
    if (!(*field = graft_strdup(value)))
        return NOMEM();
    if (src)
        *src = (graft_source_t){a->path, line, col};
    return GRAFT_OK;
}

/* Split "a, b,c" into a new array of copies. */
static int split_list(const char *value, char ***out, size_t *n)
{
    *n = 0;
    *out = NULL;
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && end[-1] == ' ')
            end--;
        char **grown = realloc(*out, (*n + 1) * sizeof *grown);
        if (!grown)
            return 0;
        *out = grown;
        char *item = malloc((size_t)(end - start) + 1);
        if (!item)
            return 0;
        memcpy(item, start, (size_t)(end - start));
        item[end - start] = '\0';
        (*out)[(*n)++] = item;
    }
    return 1;
}

static int parse_flag(const char *v, int *out)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
        return *out = 1, 1;
    if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
        return *out = 0, 1;
    return 0;
}

static graft_error_t run_key(load_ctx_t *c, const char *section,
                             const char *name, const char *value,
                             unsigned long line, char *msg, size_t msg_size)
{
    graft_analysis_t *a = c->a;
    if (strcmp(section, "rounds") == 0) {
        graft_analysis_round_t *r =
            realloc(a->rounds, (a->n_rounds + 1) * sizeof *r);
        if (!r)
            return NOMEM();
        a->rounds = r;
        r = &r[a->n_rounds++];
        r->name = graft_strdup(name);
        r->survey = graft_ini_resolve(a->path, value);
        return r->name && r->survey ? GRAFT_OK : NOMEM();
    }
    if (strcmp(section, "compare") == 0) {
        if (strcmp(name, "baseline") == 0) {
            free(a->baseline);
            return (a->baseline = graft_strdup(value)) ? GRAFT_OK : NOMEM();
        }
        if (strcmp(name, "followups") == 0 || strcmp(name, "followup") == 0)
            return split_list(value, &a->followups, &a->n_followups)
                       ? GRAFT_OK
                       : NOMEM();
        if (strcmp(name, "adjust") == 0 || strcmp(name, "test_df") == 0) {
            char **f = name[0] == 'a' ? &a->adjust : &a->test_df;
            free(*f);
            return (*f = graft_strdup(value)) ? GRAFT_OK : NOMEM();
        }
        if (strcmp(name, "shared_psus") == 0 || strcmp(name, "harmonized") == 0)
            return parse_flag(value, name[0] == 's' ? &a->shared_psus
                                                    : &a->harmonized)
                       ? GRAFT_OK
                       : FAIL("%s '%s' must be true or false", name, value);
        return FAIL("unknown key '%s' in [compare]", name);
    }
    if (strcmp(section, "trend") == 0) {
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
    /* [chart.NAME] */
    const char *id = section + 6;
    graft_analysis_chart_t *ch = NULL;
    for (size_t i = 0; i < a->n_charts; i++)
        if (strcmp(a->charts[i].name, id) == 0)
            ch = &a->charts[i];
    if (!ch) {
        graft_analysis_chart_t *charts =
            realloc(a->charts, (a->n_charts + 1) * sizeof *charts);
        if (!charts)
            return NOMEM();
        a->charts = charts;
        ch = &charts[a->n_charts++];
        memset(ch, 0, sizeof *ch);
        ch->line = line;
        if (!(ch->name = graft_strdup(id)))
            return NOMEM();
    }
    char **field = strcmp(name, "kind") == 0        ? &ch->kind
                   : strcmp(name, "indicator") == 0 ? &ch->indicator
                   : strcmp(name, "by") == 0        ? &ch->by
                   : strcmp(name, "round") == 0     ? &ch->round
                   : strcmp(name, "title") == 0     ? &ch->title
                                                    : NULL;
    if (!field)
        return FAIL("unknown key '%s' in [chart.%s]", name, id);
    free(*field);
    return (*field = graft_strdup(value)) ? GRAFT_OK : NOMEM();
}

static graft_error_t handler(void *user, const char *section,
                             const char *name, const char *value,
                             unsigned long line, unsigned long col, char *msg,
                             size_t msg_size)
{
    load_ctx_t *c = user;
    if (strcmp(section, "rounds") == 0 || strcmp(section, "compare") == 0 ||
        strcmp(section, "trend") == 0 ||
        (strncmp(section, "chart.", 6) == 0 && section[6]))
        return run_key(c, section, name, value, line, msg, msg_size);
    if (strcmp(section, "analysis") == 0)
        return analysis_key(c, name, value, msg, msg_size);
    if (strncmp(section, "indicator.", 10) == 0 && section[10])
        return indicator_key(c, section + 10, name, value, line, col, msg,
                             msg_size);
    return FAIL("unknown section [%s] (expected analysis, indicator.NAME, "
                "rounds, compare, trend or chart.NAME)",
                section);
}

graft_error_t graft_analysis_load(const char *path, graft_analysis_t **out,
                                  graft_diag_t *diag)
{
    *out = NULL;
    graft_analysis_t *a = calloc(1, sizeof *a);
    load_ctx_t c = {a};
    if (!a || !(a->path = graft_strdup(path))) {
        free(a);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                              "out of memory");
    }
    a->level = 0.95;
    graft_error_t rc = graft_ini_parse(path, handler, &c, diag);
    if (rc == GRAFT_OK && a->n_indicators == 0)
        rc = graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, 0, 0,
                            "no [indicator.NAME] section");
    for (size_t i = 0; rc == GRAFT_OK && i < a->n_indicators; i++)
        if (!a->indicators[i].expr)
            rc = graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, 0, 0,
                                "[indicator.%s] has no expr",
                                a->indicators[i].name);
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
    for (size_t i = 0; i < a->n_indicators; i++) {
        graft_indicator_spec_t *ind = &a->indicators[i];
        free((char *)ind->name);
        free((char *)ind->label);
        free((char *)ind->question);
        free((char *)ind->expr);
        free((char *)ind->among);
    }
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
    free(a->path);
    free(a);
}
