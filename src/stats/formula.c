/*
 * formula.c - model formulas (stats/formula.h): a small scanner over the
 * right-hand side; the response goes to the expression language, and each
 * variable becomes a bare-column expression so that binding it names an
 * unknown column at its place with the closest existing name.
 */
#include "stats/formula.h"
#include "base/grow.h"
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

typedef struct scan {
    const char *s;          /* the whole formula */
    size_t i;               /* the next byte */
    const graft_source_t *src;
    graft_formula_t *f;
    size_t var_cap, term_cap;
    graft_diag_t *diag;
} scan_t;

/* The position of byte OFF of the formula: SRC's column plus the code
 * points before it. */
static unsigned long col_of(const scan_t *sc, size_t off)
{
    unsigned long col = sc->src->col ? sc->src->col : 1;
    for (size_t k = 0; k < off; k++)
        if (((unsigned char)sc->s[k] & 0xC0) != 0x80)
            col++;
    return col;
}

static graft_error_t fail_at(const scan_t *sc, size_t off, const char *what)
{
    const char *file = sc->src->file;
    graft_error_t code = file && strncmp(file, "--", 2) ? GRAFT_ERR_SURVEY_FILE
                                                        : GRAFT_ERR_USAGE;
    return graft_diag_set(sc->diag, code, file, sc->src->line,
                          col_of(sc, off), "formula: %s", what);
}

static void skip_space(scan_t *sc)
{
    while (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t')
        sc->i++;
}

static int name_char(unsigned char c, int first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80 ||
           (!first && ((c >= '0' && c <= '9') || c == '_' || c == '.' ||
                       c == '@' || c == '#' || c == '$'));
}

/* A name at the scanner (plain or in backquotes): its text as written
 * in *START, *LEN.  Returns 0 when there is none. */
static int scan_name(scan_t *sc, size_t *start, size_t *len)
{
    const char *s = sc->s;
    size_t i = sc->i;
    *start = i;
    if (s[i] == '`') {
        for (i++; s[i]; i++)
            if (s[i] == '`' && s[i + 1] != '`')
                break;
            else if (s[i] == '`')
                i++;
        if (s[i] != '`')
            return 0;
        i++;
    } else {
        if (!name_char((unsigned char)s[i], 1))
            return 0;
        while (name_char((unsigned char)s[i], 0))
            i++;
    }
    *len = i - *start;
    sc->i = i;
    return 1;
}

/* The variable written S[START..START+LEN) (a column name), added once.
 * Its index in *OUT. */
static graft_error_t add_var(scan_t *sc, size_t start, size_t len,
                             size_t *out)
{
    graft_formula_t *f = sc->f;
    char *name = graft_strndup(sc->s + start, len);
    if (!name)
        return GRAFT_ERR_NOMEM;
    for (size_t v = 0; v < f->n_vars; v++)
        if (strcmp(graft_expr_text(f->vars[v].expr), name) == 0) {
            free(name);
            *out = v;
            return GRAFT_OK;
        }
    graft_fvar_t *p = graft_grow(f->vars, &sc->var_cap, f->n_vars + 1,
                                 sizeof *f->vars);
    if (!p) {
        free(name);
        return GRAFT_ERR_NOMEM;
    }
    f->vars = p;
    graft_fvar_t *v = &f->vars[f->n_vars];
    memset(v, 0, sizeof *v);
    graft_error_t rc = graft_expr_parse(name, sc->src->file, sc->src->line,
                                        col_of(sc, start), &v->expr,
                                        sc->diag);
    if (rc != GRAFT_OK) {
        free(name);
        return rc;
    }
    free(name); /* the column's name, without backquotes, instead */
    v->name = graft_strdup(graft_expr_columns(v->expr, NULL)[0]);
    if (!v->name) {
        graft_expr_free(v->expr);
        return GRAFT_ERR_NOMEM;
    }
    *out = f->n_vars++;
    return GRAFT_OK;
}

/* ref(NAME, 'level'): the level after the comma. */
static graft_error_t scan_ref_level(scan_t *sc, graft_fvar_t *v)
{
    skip_space(sc);
    if (sc->s[sc->i] != ',')
        return fail_at(sc, sc->i, "expected ',' and the reference level");
    sc->i++;
    skip_space(sc);
    size_t at = sc->i;
    if (sc->s[sc->i] != '\'')
        return fail_at(sc, sc->i, "expected the reference level in quotes");
    char buf[1024];
    size_t n = 0;
    for (sc->i++;; sc->i++) {
        char c = sc->s[sc->i];
        if (!c)
            return fail_at(sc, at, "unterminated string");
        if (c == '\'' && sc->s[sc->i + 1] == '\'')
            sc->i++;
        else if (c == '\'')
            break;
        if (n + 1 < sizeof buf)
            buf[n++] = c;
    }
    sc->i++;
    buf[n] = '\0';
    if (v->ref && strcmp(v->ref, buf) != 0)
        return fail_at(sc, at, "a second, different reference level");
    free(v->ref);
    v->ref = graft_strdup(buf);
    v->ref_col = col_of(sc, at);
    return v->ref ? GRAFT_OK : GRAFT_ERR_NOMEM;
}

/* factor(NAME) or ref(NAME, 'level') after the function's name. */
static graft_error_t scan_call(scan_t *sc, int is_ref, size_t *var)
{
    size_t start, len;
    graft_error_t rc;
    sc->i++; /* '(' */
    skip_space(sc);
    if (!scan_name(sc, &start, &len))
        return fail_at(sc, sc->i, "expected a column name");
    if ((rc = add_var(sc, start, len, var)) != GRAFT_OK)
        return rc;
    graft_fvar_t *v = &sc->f->vars[*var];
    v->factor = 1;
    if (is_ref && (rc = scan_ref_level(sc, v)) != GRAFT_OK)
        return rc;
    skip_space(sc);
    if (sc->s[sc->i] != ')')
        return fail_at(sc, sc->i, "expected ')'");
    sc->i++;
    return GRAFT_OK;
}

static graft_error_t scan_part(scan_t *sc, size_t *var)
{
    size_t start, len;
    skip_space(sc);
    if (!scan_name(sc, &start, &len))
        return fail_at(sc, sc->i, sc->s[sc->i] ? "expected a term"
                                                : "expected a term at the end");
    size_t after = sc->i;
    skip_space(sc);
    if (sc->s[sc->i] == '(') {
        int is_factor = len == 6 && strncmp(sc->s + start, "factor", 6) == 0;
        int is_ref = len == 3 && strncmp(sc->s + start, "ref", 3) == 0;
        if (!is_factor && !is_ref)
            return fail_at(sc, start, "unknown function (factor() and "
                                      "ref() are the ones a term may use)");
        return scan_call(sc, is_ref, var);
    }
    sc->i = after;
    return add_var(sc, start, len, var);
}

/* The term's text as written, without spaces. */
static char *term_text(const scan_t *sc, size_t start, size_t end)
{
    char *t = malloc(end - start + 1);
    size_t n = 0;
    if (!t)
        return NULL;
    for (size_t k = start; k < end; k++)
        if (sc->s[k] != ' ' && sc->s[k] != '\t')
            t[n++] = sc->s[k];
    t[n] = '\0';
    return t;
}

static graft_error_t scan_term(scan_t *sc)
{
    graft_formula_t *f = sc->f;
    graft_fterm_t *p = graft_grow(f->terms, &sc->term_cap, f->n_terms + 1,
                                  sizeof *f->terms);
    if (!p)
        return GRAFT_ERR_NOMEM;
    f->terms = p;
    graft_fterm_t *t = &f->terms[f->n_terms];
    memset(t, 0, sizeof *t);
    skip_space(sc);
    size_t start = sc->i;
    graft_error_t rc;
    for (;;) {
        if (t->n_vars == GRAFT_FORMULA_MAX_PARTS)
            return fail_at(sc, sc->i, "too many parts in an interaction");
        if ((rc = scan_part(sc, &t->vars[t->n_vars++])) != GRAFT_OK)
            return rc;
        skip_space(sc);
        if (sc->s[sc->i] != ':')
            break;
        sc->i++;
    }
    if (!(t->text = term_text(sc, start, sc->i)))
        return GRAFT_ERR_NOMEM;
    f->n_terms++;
    if (graft_formula_find_term(f, t->text) != f->n_terms - 1) {
        f->n_terms--;
        free(t->text);
        return fail_at(sc, start, "this term is already in the formula");
    }
    return GRAFT_OK;
}

/* The byte of the first '~' outside quotes and backquotes, or -1. */
static long find_tilde(const char *s)
{
    char q = 0;
    for (long i = 0; s[i]; i++) {
        if (q && s[i] == q)
            q = 0;
        else if (!q && (s[i] == '\'' || s[i] == '`'))
            q = s[i];
        else if (!q && s[i] == '~')
            return i;
    }
    return -1;
}

static int cmp_degree(const void *a, const void *b)
{
    const graft_fterm_t *x = a, *y = b;
    return (x->n_vars > y->n_vars) - (x->n_vars < y->n_vars);
}

/* Main effects first, then two-way interactions, ...: a stable sort. */
static void order_terms(graft_formula_t *f)
{
    for (size_t i = 1; i < f->n_terms; i++)
        for (size_t j = i; j > 0 && cmp_degree(&f->terms[j - 1],
                                               &f->terms[j]) > 0; j--) {
            graft_fterm_t t = f->terms[j];
            f->terms[j] = f->terms[j - 1];
            f->terms[j - 1] = t;
        }
}

static graft_error_t parse_rhs(scan_t *sc)
{
    graft_error_t rc;
    for (;;) {
        if (sc->f->n_terms == GRAFT_MODEL_MAX_TERMS)
            return fail_at(sc, sc->i, "too many terms");
        if ((rc = scan_term(sc)) != GRAFT_OK)
            return rc;
        skip_space(sc);
        if (!sc->s[sc->i])
            break;
        if (sc->s[sc->i] != '+')
            return fail_at(sc, sc->i, "expected '+', ':' or the end of the "
                                      "formula");
        sc->i++;
    }
    order_terms(sc->f);
    return GRAFT_OK;
}

graft_error_t graft_formula_parse(const char *text, const graft_source_t *src,
                                  graft_formula_t **out, graft_diag_t *diag)
{
    scan_t sc = {text, 0, src, NULL, 0, 0, diag};
    graft_error_t rc;
    *out = NULL;
    long tilde = find_tilde(text);
    if (tilde < 0)
        return fail_at(&sc, 0, "no '~' between the response and the terms "
                               "(RESPONSE ~ TERM + TERM ...)");
    if (!(sc.f = calloc(1, sizeof *sc.f)))
        return GRAFT_ERR_NOMEM;
    size_t end = (size_t)tilde;
    while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t'))
        end--;
    char *lhs = graft_strndup(text, end);
    if (!lhs) {
        rc = GRAFT_ERR_NOMEM;
        goto fail;
    }
    rc = graft_expr_parse(lhs, src->file, src->line, col_of(&sc, 0),
                          &sc.f->response, diag);
    free(lhs);
    if (rc != GRAFT_OK)
        goto fail;
    sc.i = (size_t)tilde + 1;
    if ((rc = parse_rhs(&sc)) != GRAFT_OK)
        goto fail;
    *out = sc.f;
    return GRAFT_OK;
fail:
    if (rc == GRAFT_ERR_NOMEM)
        graft_diag_set(diag, rc, NULL, 0, 0, "out of memory");
    graft_formula_free(sc.f);
    return rc;
}

void graft_formula_free(graft_formula_t *f)
{
    if (!f)
        return;
    graft_expr_free(f->response);
    for (size_t v = 0; v < f->n_vars; v++) {
        free(f->vars[v].name);
        free(f->vars[v].ref);
        graft_expr_free(f->vars[v].expr);
    }
    free(f->vars);
    for (size_t t = 0; t < f->n_terms; t++)
        free(f->terms[t].text);
    free(f->terms);
    free(f);
}

/* Does term T use exactly the variables named in TEXT ("a:b", any order,
 * each once)? */
static int term_is(const graft_formula_t *f, const graft_fterm_t *t,
                   const char *text)
{
    size_t n = 0;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int found = 0;
        for (size_t k = 0; k < t->n_vars && !found; k++) {
            const char *name = f->vars[t->vars[k]].name;
            found = strlen(name) == len && strncmp(name, p, len) == 0;
        }
        if (!found)
            return 0;
        n++;
        p += len + (e != NULL);
    }
    return n == t->n_vars;
}

size_t graft_formula_find_term(const graft_formula_t *f, const char *text)
{
    for (size_t t = 0; t < f->n_terms; t++)
        if (strcmp(f->terms[t].text, text) == 0 ||
            term_is(f, &f->terms[t], text))
            return t;
    return (size_t)-1;
}
