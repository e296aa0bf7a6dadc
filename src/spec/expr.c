/*
 * expr.c - the expression language of --prop, --among and derived
 * variables (see graft/expr.h for the syntax and the three-valued rules).
 *
 * A recursive-descent parser builds a flat array of nodes; children are node
 * indexes, and the operands of any/all/and/or and the items of an in-list are
 * chained through `next`, so `a and b and c` is one node with three operands
 * and evaluation recurses only as deep as the parentheses (bounded by
 * GRAFT_EXPR_MAX_DEPTH).  Binding writes column indexes into the nodes and
 * turns each string literal compared with a labelled column into the list of
 * codes carrying that label, so evaluation does no label lookups.
 */
#include "graft/expr.h"
#include "base/grow.h"
#include "base/names.h"
#include "spec/expr_internal.h"
#include "io/reader_internal.h"
#include "base/str.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NONE SIZE_MAX

enum op {
    OP_NUM,      /* number literal: num */
    OP_STR,      /* string literal: str, len; num when has_num */
    OP_COL,      /* column: name, col */
    OP_MISSING,  /* missing(COL): name, col */
    OP_CMP,      /* a cmp b */
    OP_IN_LIST,  /* a in {items chained from b} */
    OP_IN_RANGE, /* a in num..hi */
    OP_NOT,      /* not a */
    OP_ALL,      /* and / all(): operands chained from a */
    OP_ANY       /* or / any(): operands chained from a */
};

enum cmp {
    CMP_EQ = GRAFT_CMP_EQ, CMP_NE = GRAFT_CMP_NE, CMP_LT = GRAFT_CMP_LT,
    CMP_LE = GRAFT_CMP_LE, CMP_GT = GRAFT_CMP_GT, CMP_GE = GRAFT_CMP_GE
};

typedef struct node {
    unsigned char op, cmp;
    int has_num;         /* OP_STR: the text reads as a number (num) */
    size_t pos;          /* byte offset of the node's token in the text */
    size_t a, b;         /* children; see enum op */
    size_t next;         /* next operand or list item, or NONE */
    size_t n;            /* OP_ALL/OP_ANY/OP_IN_LIST: operands or items */
    double num, hi;
    const char *str;     /* OP_STR: text; OP_COL/OP_MISSING: name */
    size_t len;
    size_t ctx;          /* OP_STR: the node it is compared with, or NONE */
    int eq;              /* OP_STR: compared with ==, != or listed after in */
    /* set by bind */
    size_t col;          /* OP_COL/OP_MISSING: cell index */
    size_t codes, n_codes;   /* OP_STR: matching numeric codes in e->codes */
    size_t scodes, n_scodes; /* OP_STR: matching string codes in e->scodes */
    int labelled;        /* OP_STR: some value label of its column is it */
} node_t;

struct graft_expr {
    char *text;
    size_t text_len;
    char *source;
    unsigned long line, col0;
    char *arena;               /* decoded names and strings */
    size_t arena_used, arena_cap;
    node_t *nodes;
    size_t n_nodes, cap_nodes;
    size_t root;
    const char **names;        /* distinct column names, in the arena */
    size_t *name_pos;          /* byte offset of each name's first use */
    size_t n_names, cap_names;
    int bound;
    double *codes;             /* bind: numeric codes for string literals */
    size_t n_codes_used, cap_codes;
    const char **scodes;       /* bind: string codes (borrowed) */
    size_t n_scodes_used, cap_scodes;
    size_t *values;            /* bind: OP_STR nodes whose occurrence the
                                  caller may check (graft_expr_value) */
    size_t n_values, cap_values;
};

/* ===================================================================== */
/* Lexer                                                                 */
/* ===================================================================== */

typedef enum tok_kind {
    T_END, T_NUM, T_STR, T_NAME, T_QNAME, T_LP, T_RP, T_LB, T_RB, T_COMMA,
    T_DOTDOT, T_MINUS, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR,
    T_NOT, T_IN
} tok_kind_t;

typedef struct token {
    tok_kind_t kind;
    size_t start, end;   /* byte offsets of the raw token */
    double num;          /* T_NUM */
    const char *str;     /* T_STR, T_NAME, T_QNAME: decoded, in the arena */
    size_t len;
} token_t;

typedef struct parser {
    graft_expr_t *e;
    const char *s;
    token_t tok;
    graft_error_t rc;
    graft_diag_t *diag;
} parser_t;

/* The diagnostic column of byte offset OFF: code points before it, plus the
 * column of the text's first character. */
static unsigned long text_col(const graft_expr_t *e, size_t off)
{
    unsigned long col = e->col0;
    for (size_t i = 0; i < off && e->text[i]; i++)
        if (((unsigned char)e->text[i] & 0xC0) != 0x80)
            col++;
    return col;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void fail(parser_t *p, size_t off, const char *fmt, ...);

static void fail(parser_t *p, size_t off, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    if (p->rc != GRAFT_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->rc = graft_diag_set(p->diag, GRAFT_ERR_USAGE, p->e->source, p->e->line,
                           text_col(p->e, off), "%s", msg);
}

/* Length of the raw text from OFF to END, cut to at most 40 bytes without
 * splitting a UTF-8 sequence, for quoting in messages. */
static int quote_len(const char *s, size_t off, size_t end)
{
    size_t n = end - off;
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)s[off + n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

static int is_name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80;
}

static int is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '@' || c == '#' || c == '$';
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Room in the arena for a token decoded from the text at OFF onwards.  Each
 * byte of the text is lexed once and decodes to at most one byte, plus a NUL
 * per token, so the arena (twice the text plus 2) never runs out; the check
 * keeps a bug from becoming an overflow. */
static char *arena_room(parser_t *p, size_t off)
{
    graft_expr_t *e = p->e;
    if (e->arena_cap - e->arena_used < e->text_len - off + 1) {
        p->rc = graft_diag_set(p->diag, GRAFT_ERR_INTERNAL, e->source,
                               e->line, 0, "expression arena exhausted");
        return NULL;
    }
    return e->arena + e->arena_used;
}

/* Copy a quoted token body from S at OFF (just after the opening QUOTE) into
 * the arena, turning doubled quotes into one.  Returns the offset just past
 * the closing quote, or 0 when the text ends first. */
static size_t lex_quoted(parser_t *p, size_t off, char quote, token_t *t)
{
    graft_expr_t *e = p->e;
    char *out = arena_room(p, off);
    size_t n = 0;
    if (!out)
        return off;
    for (;;) {
        char c = p->s[off];
        if (c == '\0')
            return 0;
        if (c == quote) {
            if (p->s[off + 1] != quote)
                break;
            off++;
        }
        out[n++] = c;
        off++;
    }
    out[n] = '\0';
    e->arena_used += n + 1;
    t->str = out;
    t->len = n;
    return off + 1;
}

/* A decimal number: digits [. digits] [e [+-] digits], or . digits ...  A
 * name character right after it (other than the '..' of a range) makes the
 * whole run an invalid number. */
static size_t lex_number(parser_t *p, size_t off, token_t *t)
{
    const char *s = p->s;
    size_t i = off;
    while (is_digit((unsigned char)s[i]))
        i++;
    if (s[i] == '.' && is_digit((unsigned char)s[i + 1])) {
        i++;
        while (is_digit((unsigned char)s[i]))
            i++;
    }
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1;
        if (s[j] == '+' || s[j] == '-')
            j++;
        if (is_digit((unsigned char)s[j])) {
            while (is_digit((unsigned char)s[j]))
                j++;
            i = j;
        }
    }
    int bad = 0;
    while (is_name_char((unsigned char)s[i]) &&
           !(s[i] == '.' && s[i + 1] == '.')) {
        bad = 1;
        i++;
    }
    if (bad || !graft_parse_number(s + off, i - off, &t->num))
        fail(p, off, "invalid number '%.*s'", quote_len(s, off, i), s + off);
    return i;
}

static const struct {
    const char *word;
    tok_kind_t kind;
} keywords[] = {{"and", T_AND}, {"or", T_OR}, {"not", T_NOT}, {"in", T_IN}};

static size_t lex_name(parser_t *p, size_t off, token_t *t)
{
    graft_expr_t *e = p->e;
    size_t i = off;
    while (is_name_char((unsigned char)p->s[i]))
        i++;
    t->kind = T_NAME;
    for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
        if (strlen(keywords[k].word) == i - off &&
            memcmp(keywords[k].word, p->s + off, i - off) == 0)
            t->kind = keywords[k].kind;
    if (t->kind == T_NAME) {
        char *out = arena_room(p, off);
        if (!out)
            return i;
        memcpy(out, p->s + off, i - off);
        out[i - off] = '\0';
        e->arena_used += i - off + 1;
        t->str = out;
        t->len = i - off;
    }
    return i;
}

/* Operators of one or two characters, and hints for C and SQL habits. */
static size_t lex_operator(parser_t *p, size_t off, token_t *t)
{
    const char *s = p->s + off;
    static const struct {
        const char *text;
        tok_kind_t kind;
    } ops[] = {{"==", T_EQ}, {"!=", T_NE}, {"<=", T_LE}, {">=", T_GE},
               {"..", T_DOTDOT}, {"<", T_LT}, {">", T_GT}, {"(", T_LP},
               {")", T_RP}, {"{", T_LB}, {"}", T_RB}, {",", T_COMMA},
               {"-", T_MINUS}};
    if (s[0] == '<' && s[1] == '>') {
        fail(p, off, "unexpected '<>' (compare with '==' or '!=')");
        return off + 2;
    }
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k].text);
        if (strncmp(s, ops[k].text, n) == 0) {
            t->kind = ops[k].kind;
            return off + n;
        }
    }
    if (s[0] == '=')
        fail(p, off, "unexpected '=' (compare with '==' or '!=')");
    else if (s[0] == '!')
        fail(p, off, "unexpected '!' (write 'not')");
    else if (s[0] == '&')
        fail(p, off, "unexpected '&' (write 'and')");
    else if (s[0] == '|')
        fail(p, off, "unexpected '|' (write 'or')");
    else if (s[0] == '"')
        fail(p, off, "unexpected '\"' (strings take single quotes)");
    else if ((unsigned char)s[0] < 0x20 || s[0] == 0x7f)
        fail(p, off, "unexpected character \\x%02x", (unsigned char)s[0]);
    else
        fail(p, off, "unexpected character '%c'", s[0]);
    return off + 1;
}

/* Read the token after the current one into p->tok. */
static void advance(parser_t *p)
{
    token_t *t = &p->tok;
    size_t off = t->end;
    if (p->rc != GRAFT_OK)  /* after an error the current token stays T_END */
        return;
    while (is_space((unsigned char)p->s[off]))
        off++;
    memset(t, 0, sizeof *t);
    t->start = off;
    unsigned char c = (unsigned char)p->s[off];
    if (c == '\0') {
        t->kind = T_END;
        t->end = off;
    } else if (c == '\'' || c == '`') {
        t->kind = c == '\'' ? T_STR : T_QNAME;
        t->end = lex_quoted(p, off + 1, (char)c, t);
        if (t->end == 0)
            fail(p, off, c == '\'' ? "unterminated string"
                                   : "unterminated `name`");
        else if (c == '`' && t->len == 0)
            fail(p, off, "empty column name ``");
    } else if (is_digit(c) ||
               (c == '.' && is_digit((unsigned char)p->s[off + 1]))) {
        t->kind = T_NUM;
        t->end = lex_number(p, off, t);
    } else if (is_name_start(c)) {
        t->end = lex_name(p, off, t);
    } else {
        t->end = lex_operator(p, off, t);
    }
    if (p->rc != GRAFT_OK) {  /* stop the parse at the first error */
        t->kind = T_END;
        t->end = off;
    }

}

/* "unexpected 'X'" for the current token. */
static void unexpected(parser_t *p)
{
    const token_t *t = &p->tok;
    int n = quote_len(p->s, t->start, t->end);
    const char *raw = p->s + t->start;
    if (t->kind == T_END) {
        fail(p, t->start, "unexpected end of expression");
    } else if (t->kind == T_STR) {
        fail(p, t->start, "unexpected string %.*s", n, raw);
    } else if (t->kind == T_NAME) {
        for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
            const char *w = keywords[k].word;
            if (strlen(w) == t->len && strncasecmp(w, t->str, t->len) == 0) {
                fail(p, t->start, "unexpected '%.*s' (keywords are "
                     "lowercase: '%s')", n, raw, w);
                return;
            }
        }
        fail(p, t->start, "unexpected '%.*s'", n, raw);
    } else {
        fail(p, t->start, "unexpected '%.*s'", n, raw);
    }
}

/* ===================================================================== */
/* Parser                                                                */
/* ===================================================================== */

static size_t new_node(parser_t *p, enum op op, size_t pos)
{
    graft_expr_t *e = p->e;
    if (p->rc != GRAFT_OK)
        return NONE;
    node_t *nodes =
        graft_grow(e->nodes, &e->cap_nodes, e->n_nodes + 1, sizeof *nodes);
    if (!nodes) {
        p->rc = graft_diag_set(p->diag, GRAFT_ERR_NOMEM, e->source, e->line,
                               0, "out of memory");
        return NONE;
    }
    e->nodes = nodes;
    node_t *n = &e->nodes[e->n_nodes];
    memset(n, 0, sizeof *n);
    n->op = (unsigned char)op;
    n->pos = pos;
    n->a = n->b = n->next = n->ctx = NONE;
    return e->n_nodes++;
}

/* Add column NAME, first used at POS, to the name table unless it is there. */
static void add_name(parser_t *p, const char *name, size_t pos)
{
    graft_expr_t *e = p->e;
    for (size_t i = 0; i < e->n_names; i++)
        if (strcmp(e->names[i], name) == 0)
            return;
    if (e->n_names == e->cap_names) {
        /* Two arrays share cap_names: each grown from it to the same size. */
        size_t cap = e->cap_names, cap_at = e->cap_names;
        const char **names =
            graft_grow(e->names, &cap, e->n_names + 1, sizeof *names);
        if (names)
            e->names = names;
        size_t *at =
            graft_grow(e->name_pos, &cap_at, e->n_names + 1, sizeof *at);
        if (at)
            e->name_pos = at;
        if (!names || !at) {
            p->rc = graft_diag_set(p->diag, GRAFT_ERR_NOMEM, e->source,
                                   e->line, 0, "out of memory");
            return;
        }
        e->cap_names = cap;
    }
    e->names[e->n_names] = name;
    e->name_pos[e->n_names++] = pos;
}

/* A column node for the current T_NAME or T_QNAME token. */
static size_t column_node(parser_t *p, enum op op, size_t pos)
{
    const token_t *t = &p->tok;
    size_t i = new_node(p, op, pos);
    if (i == NONE)
        return NONE;
    add_name(p, t->str, t->start);
    node_t *n = &p->e->nodes[i];
    n->str = t->str;
    n->len = t->len;
    return i;
}

/* Append operand X to the chain of list node L (its first at a or b). */
static void chain(parser_t *p, size_t l, size_t *tail, size_t x)
{
    node_t *nodes = p->e->nodes;
    if (p->rc != GRAFT_OK)
        return;
    if (*tail == NONE) {
        if (nodes[l].op == OP_IN_LIST)
            nodes[l].b = x;
        else
            nodes[l].a = x;
    } else {
        nodes[*tail].next = x;
    }
    *tail = x;
    nodes[l].n++;
}

/* Operands of and/or/not/any/all must be conditions, not text. */
static size_t condition(parser_t *p, size_t i)
{
    if (p->rc == GRAFT_OK && p->e->nodes[i].op == OP_STR) {
        const node_t *n = &p->e->nodes[i];
        fail(p, n->pos, "expected a condition, not the string '%.*s'",
             quote_len(n->str, 0, n->len), n->str);
        return NONE;
    }
    return i;
}

static size_t parse_or(parser_t *p, int depth);

static int too_deep(parser_t *p, int depth)
{
    if (depth < GRAFT_EXPR_MAX_DEPTH)
        return 0;
    fail(p, p->tok.start, "expression nested too deeply (more than %d "
         "levels)", GRAFT_EXPR_MAX_DEPTH);
    return 1;
}

/* A number literal, with an optional '-', at the current token. */
static int number_literal(parser_t *p, double *out)
{
    double sign = 1.0;
    if (p->tok.kind == T_MINUS) {
        advance(p);
        if (p->tok.kind != T_NUM) {
            fail(p, p->tok.start, "expected a number after '-'");
            return 0;
        }
        sign = -1.0;
    }
    if (p->tok.kind != T_NUM)
        return 0;
    *out = sign * p->tok.num;
    advance(p);
    return p->rc == GRAFT_OK;
}

/* any(...) / all(...): FN names the function in messages. */
static size_t parse_call(parser_t *p, enum op op, const char *fn, size_t pos,
                         int depth)
{
    size_t call = new_node(p, op, pos), tail = NONE;
    advance(p); /* the name */
    advance(p); /* '(' */
    if (p->tok.kind == T_RP) {
        fail(p, p->tok.start, "%s() needs at least one condition", fn);
        return NONE;
    }
    for (;;) {
        size_t arg = condition(p, parse_or(p, depth + 1));
        chain(p, call, &tail, arg);
        if (p->rc != GRAFT_OK)
            return NONE;
        if (p->tok.kind == T_RP)
            break;
        if (p->tok.kind != T_COMMA) {
            fail(p, p->tok.start, "expected ')' after the arguments of %s",
                 fn);
            return NONE;
        }
        advance(p);
    }
    advance(p);
    return call;
}

/* missing(COL) */
static size_t parse_missing(parser_t *p, size_t pos)
{
    advance(p); /* the name */
    advance(p); /* '(' */
    if (p->tok.kind != T_NAME && p->tok.kind != T_QNAME) {
        fail(p, p->tok.start, "expected a column name in missing()");
        return NONE;
    }
    size_t n = column_node(p, OP_MISSING, pos);
    advance(p);
    if (p->tok.kind != T_RP) {
        fail(p, p->tok.start, "expected ')' after the column of missing");
        return NONE;
    }
    advance(p);
    return n;
}

enum { FN_ANY, FN_ALL, FN_MISSING };
static const char *const function_names[] = {"any", "all", "missing"};

/* A name followed by '(' is a function call. */
static size_t parse_function(parser_t *p, int depth)
{
    const token_t *t = &p->tok;
    size_t pos = t->start;
    if (too_deep(p, depth))
        return NONE;
    size_t f;
    if (GRAFT_NAMES_FIND(function_names, 0, t->str, &f))
        return f == FN_MISSING ? parse_missing(p, pos)
                               : parse_call(p, f == FN_ANY ? OP_ANY : OP_ALL,
                                            function_names[f], pos, depth);
    int n = quote_len(p->s, t->start, t->end), upper = 0;
    for (f = 0; f < GRAFT_COUNTOF(function_names); f++)
        upper |= strcasecmp(t->str, function_names[f]) == 0;
    if (upper)
        fail(p, pos, "unknown function '%.*s' (functions are lowercase)", n,
             p->s + pos);
    else
        fail(p, pos, "unknown function '%.*s' (there are any, all and "
             "missing)", n, p->s + pos);
    return NONE;
}

/* Is the current token followed by '(' (spaces between allowed)? */
static int followed_by_paren(const parser_t *p)
{
    size_t after = p->tok.end;
    while (is_space((unsigned char)p->s[after]))
        after++;
    return p->s[after] == '(';
}

static size_t parse_value(parser_t *p, int depth)
{
    token_t *t = &p->tok;
    size_t pos = t->start, i;
    double v;
    switch (t->kind) {
    case T_NUM:
    case T_MINUS:
        if (!number_literal(p, &v))
            return NONE;
        i = new_node(p, OP_NUM, pos);
        if (i != NONE)
            p->e->nodes[i].num = v;
        return i;
    case T_STR:
        i = new_node(p, OP_STR, pos);
        if (i != NONE) {
            node_t *n = &p->e->nodes[i];
            n->str = t->str;
            n->len = t->len;
            n->has_num = graft_parse_number(t->str, t->len, &n->num);
        }
        advance(p);
        return i;
    case T_NAME:
    case T_QNAME:
        if (t->kind == T_NAME && followed_by_paren(p))
            return parse_function(p, depth);
        i = column_node(p, OP_COL, pos);
        advance(p);
        return i;
    case T_LP:
        if (too_deep(p, depth))
            return NONE;
        advance(p);
        i = parse_or(p, depth + 1);
        if (p->rc == GRAFT_OK && p->tok.kind != T_RP)
            fail(p, p->tok.start, "expected ')' to close the '(' at column "
                 "%lu", text_col(p->e, pos));
        advance(p);
        return p->rc == GRAFT_OK ? i : NONE;
    default:
        unexpected(p);
        return NONE;
    }
}

/* 'in' '{' literal, ... '}' after LHS. */
static size_t parse_in_list(parser_t *p, size_t lhs, size_t pos)
{
    size_t list = new_node(p, OP_IN_LIST, pos), tail = NONE;
    if (list == NONE)
        return NONE;
    p->e->nodes[list].a = lhs;
    size_t open = p->tok.start;
    advance(p); /* '{' */
    if (p->tok.kind == T_RB) {
        fail(p, p->tok.start, "empty list after 'in'");
        return NONE;
    }
    for (;;) {
        size_t item;
        if (p->tok.kind == T_STR || p->tok.kind == T_NUM ||
            p->tok.kind == T_MINUS) {
            item = parse_value(p, 0);
        } else {
            fail(p, p->tok.start, "expected a number or a 'string' in the "
                 "list");
            return NONE;
        }
        chain(p, list, &tail, item);
        if (p->rc != GRAFT_OK)
            return NONE;
        if (p->e->nodes[item].op == OP_STR) {
            p->e->nodes[item].ctx = lhs;
            p->e->nodes[item].eq = 1;
        }
        if (p->tok.kind == T_RB)
            break;
        if (p->tok.kind != T_COMMA) {
            fail(p, p->tok.start, "expected ',' or '}' in the list opened "
                 "at column %lu", text_col(p->e, open));
            return NONE;
        }
        advance(p);
    }
    advance(p);
    return list;
}

/* 'in' number '..' number after LHS. */
static size_t parse_in_range(parser_t *p, size_t lhs, size_t pos)
{
    size_t start = p->tok.start;
    double lo, hi;
    if (!number_literal(p, &lo)) {
        fail(p, p->tok.start, "expected '{' or a number after 'in'");
        return NONE;
    }
    if (p->tok.kind != T_DOTDOT) {
        fail(p, p->tok.start, "expected '..' after the first number of the "
             "range");
        return NONE;
    }
    advance(p);
    if (!number_literal(p, &hi)) {
        fail(p, p->tok.start, "expected a number after '..'");
        return NONE;
    }
    size_t end = p->tok.start;
    while (end > start && is_space((unsigned char)p->s[end - 1]))
        end--;
    if (lo > hi) {
        fail(p, start, "empty range '%.*s' (the first number is larger)",
             quote_len(p->s, start, end), p->s + start);
        return NONE;
    }
    size_t i = new_node(p, OP_IN_RANGE, pos);
    if (i != NONE) {
        p->e->nodes[i].a = lhs;
        p->e->nodes[i].num = lo;
        p->e->nodes[i].hi = hi;
    }
    return i;
}

static int cmp_of(tok_kind_t k)
{
    switch (k) {
    case T_EQ: return CMP_EQ;
    case T_NE: return CMP_NE;
    case T_LT: return CMP_LT;
    case T_LE: return CMP_LE;
    case T_GT: return CMP_GT;
    case T_GE: return CMP_GE;
    default: return -1;
    }
}

/* value [cmp value | in ...]; comparisons do not chain. */
static size_t parse_compare(parser_t *p, int depth)
{
    size_t lhs = parse_value(p, depth), i = NONE;
    int cmp = cmp_of(p->tok.kind);
    size_t pos = p->tok.start;
    if (p->rc != GRAFT_OK)
        return NONE;
    if (cmp >= 0) {
        advance(p);
        size_t rhs = parse_value(p, depth);
        i = new_node(p, OP_CMP, pos);
        if (i == NONE)
            return NONE;
        node_t *nodes = p->e->nodes;
        /* Keep a string literal on the right: 'x' == COL is COL == 'x'. */
        static const unsigned char mirror[] = {CMP_EQ, CMP_NE, CMP_GT,
                                               CMP_GE, CMP_LT, CMP_LE};
        if (nodes[lhs].op == OP_STR && nodes[rhs].op != OP_STR) {
            size_t t = lhs;
            lhs = rhs;
            rhs = t;
            cmp = mirror[cmp];
        }
        nodes[i].cmp = (unsigned char)cmp;
        nodes[i].a = lhs;
        nodes[i].b = rhs;
        if (nodes[rhs].op == OP_STR) {
            nodes[rhs].ctx = lhs;
            nodes[rhs].eq = cmp == CMP_EQ || cmp == CMP_NE;
        }
    } else if (p->tok.kind == T_IN) {
        advance(p);
        if (p->tok.kind == T_LB)
            i = parse_in_list(p, lhs, pos);
        else
            i = parse_in_range(p, lhs, pos);
    } else {
        return lhs;
    }
    if (p->rc == GRAFT_OK && (cmp_of(p->tok.kind) >= 0 || p->tok.kind == T_IN))
        fail(p, p->tok.start, "unexpected '%.*s' (comparisons do not chain; "
             "join them with 'and')",
             quote_len(p->s, p->tok.start, p->tok.end), p->s + p->tok.start);
    return p->rc == GRAFT_OK ? i : NONE;
}

static size_t parse_not(parser_t *p, int depth)
{
    if (p->tok.kind != T_NOT)
        return parse_compare(p, depth);
    size_t pos = p->tok.start;
    if (too_deep(p, depth))
        return NONE;
    advance(p);
    size_t a = condition(p, parse_not(p, depth + 1));
    size_t i = new_node(p, OP_NOT, pos);
    if (i != NONE)
        p->e->nodes[i].a = a;
    return i;
}

/* A chain of operands joined by KW ('and' or 'or') becomes one OP node. */
static size_t parse_chain(parser_t *p, int depth, tok_kind_t kw, enum op op,
                          size_t (*operand)(parser_t *, int))
{
    size_t first = operand(p, depth);
    if (p->rc != GRAFT_OK || p->tok.kind != kw)
        return first;
    size_t list = new_node(p, op, p->tok.start), tail = NONE;
    chain(p, list, &tail, condition(p, first));
    while (p->rc == GRAFT_OK && p->tok.kind == kw) {
        advance(p);
        chain(p, list, &tail, condition(p, operand(p, depth)));
    }
    return p->rc == GRAFT_OK ? list : NONE;
}

static size_t parse_and(parser_t *p, int depth)
{
    return parse_chain(p, depth, T_AND, OP_ALL, parse_not);
}

static size_t parse_or(parser_t *p, int depth)
{
    return parse_chain(p, depth, T_OR, OP_ANY, parse_and);
}

/* ===================================================================== */
/* Public: parse, free, accessors                                        */
/* ===================================================================== */


graft_error_t graft_expr_parse(const char *text, const char *source,
                               unsigned long line, unsigned long col,
                               graft_expr_t **out, graft_diag_t *diag)
{
    *out = NULL;
    graft_expr_t *e = calloc(1, sizeof *e);
    size_t len = strlen(text);
    if (e) {
        e->text = graft_strdup(text);
        e->text_len = len;
        e->source = source ? graft_strdup(source) : NULL;
        /* Every token decodes to at most its own length plus a NUL. */
        e->arena_cap = 2 * len + 2;
        e->arena = malloc(e->arena_cap);
        e->line = line;
        e->col0 = col ? col : 1;
    }
    if (!e || !e->text || !e->arena || (source && !e->source)) {
        graft_expr_free(e);
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, source, line, 0,
                              "out of memory");
    }
    parser_t p = {e, e->text, {T_END, 0, 0, 0.0, NULL, 0}, GRAFT_OK, diag};
    advance(&p);
    if (p.rc == GRAFT_OK && p.tok.kind == T_END)
        fail(&p, 0, "empty expression");
    if (p.rc == GRAFT_OK)
        e->root = parse_or(&p, 0);
    if (p.rc == GRAFT_OK && p.tok.kind != T_END)
        unexpected(&p);
    if (p.rc != GRAFT_OK) {
        graft_expr_free(e);
        return p.rc;
    }
    *out = e;
    return GRAFT_OK;
}

void graft_expr_free(graft_expr_t *e)
{
    if (!e)
        return;
    free(e->values);
    free(e->scodes);
    free(e->codes);
    free(e->name_pos);
    free(e->names);
    free(e->nodes);
    free(e->arena);
    free(e->source);
    free(e->text);
    free(e);
}

const char *graft_expr_text(const graft_expr_t *e)
{
    return e->text;
}

int graft_expr_is_bare_column(const graft_expr_t *e)
{
    return e->nodes[e->root].op == OP_COL;
}

const char *const *graft_expr_columns(const graft_expr_t *e, size_t *n)
{
    if (n)
        *n = e->n_names;
    return e->names;
}

/* ===================================================================== */
/* Bind                                                                  */
/* ===================================================================== */

static int push_code(graft_expr_t *e, double code)
{
    double *codes = graft_grow(e->codes, &e->cap_codes, e->n_codes_used + 1,
                               sizeof *codes);
    if (!codes)
        return 0;
    e->codes = codes;
    e->codes[e->n_codes_used++] = code;
    return 1;
}

static int push_scode(graft_expr_t *e, const char *code)
{
    const char **codes = graft_grow(e->scodes, &e->cap_scodes,
                                    e->n_scodes_used + 1, sizeof *codes);
    if (!codes)
        return 0;
    e->scodes = codes;
    e->scodes[e->n_scodes_used++] = code;
    return 1;
}

/* The codes a string literal matches: itself read as a number, and every
 * code of LABELS (may be NULL) whose label is the literal's text. */
static int bind_literal(graft_expr_t *e, node_t *n,
                        const graft_labelset_t *labels)
{
    n->codes = e->n_codes_used;
    n->scodes = e->n_scodes_used;
    n->labelled = 0;
    if (n->has_num && !push_code(e, n->num))
        return 0;
    size_t count = graft_labelset_count(labels);
    for (size_t i = 0; i < count; i++) {
        int is_str = 0;
        double num = 0.0;
        const char *str = NULL;
        const char *label = graft_labelset_entry(labels, i, &is_str, &num,
                                                 &str);
        if (!label || strcmp(label, n->str) != 0)
            continue;
        n->labelled = 1;
        if (is_str ? !push_scode(e, str) : !push_code(e, num))
            return 0;
    }
    n->n_codes = e->n_codes_used - n->codes;
    n->n_scodes = e->n_scodes_used - n->scodes;
    return 1;
}

static int push_value(graft_expr_t *e, size_t node)
{
    size_t *v = graft_grow(e->values, &e->cap_values, e->n_values + 1,
                           sizeof *v);
    if (!v)
        return 0;
    e->values = v;
    e->values[e->n_values++] = node;
    return 1;
}

/* Does LABELS label some codes, all of them numbers?  A text literal can
 * then match a cell only through a label: a literal that is no label of
 * the column is a mistake, not a value that happens to be absent. */
static int numeric_labels(const graft_labelset_t *labels)
{
    size_t count = graft_labelset_count(labels);
    for (size_t i = 0; i < count; i++) {
        int is_str = 0;
        if (graft_labelset_entry(labels, i, &is_str, NULL, NULL) && is_str)
            return 0;
    }
    return count > 0;
}

/* "'great tunis' is not a value label of REGION (did you mean 'Great
 * Tunis'?)": the nearest label (case-insensitive edit distance, as for
 * column names), else the first few labels. */
static graft_error_t not_a_label(const graft_expr_t *e, const node_t *n,
                                 const char *column,
                                 const graft_labelset_t *labels,
                                 graft_diag_t *diag)
{
    size_t count = graft_labelset_count(labels), shown = 0;
    graft_column_t *names = calloc(count, sizeof *names);
    char hint[400] = "";
    if (!names)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, e->source, e->line, 0,
                              "out of memory");
    for (size_t i = 0; i < count; i++)
        names[i].name = graft_labelset_entry(labels, i, NULL, NULL, NULL);
    const char *near = graft_closest_column(n->str, names, count);
    if (near) {
        snprintf(hint, sizeof hint, " (did you mean '%.200s'?)", near);
    } else {
        size_t len = (size_t)snprintf(hint, sizeof hint, " (its labels:");
        for (size_t i = 0; i < count && shown < 4 && len < 300; i++, shown++)
            len += (size_t)snprintf(hint + len, sizeof hint - len,
                                    "%s '%.60s'", i ? "," : "",
                                    names[i].name);
        snprintf(hint + len, sizeof hint - len, "%s)",
                 count > shown ? ", ..." : "");
    }
    free(names);
    return graft_diag_set(diag, GRAFT_ERR_COLUMN, e->source, e->line,
                          text_col(e, n->pos),
                          "'%s' is not a value label of %s%s", n->str, column,
                          hint);
}

static size_t find_column(const char *name, const graft_column_t *cols,
                          size_t ncols)
{
    for (size_t i = 0; i < ncols; i++)
        if (cols[i].name && strcmp(cols[i].name, name) == 0)
            return i;
    return NONE;
}

graft_error_t graft_expr_bind(graft_expr_t *e, const graft_column_t *cols,
                              size_t ncols, graft_diag_t *diag)
{
    e->bound = 0;
    e->n_codes_used = e->n_scodes_used = e->n_values = 0;
    for (size_t k = 0; k < e->n_names; k++) {
        if (find_column(e->names[k], cols, ncols) != NONE)
            continue;
        const char *near = graft_closest_column(e->names[k], cols, ncols);
        return graft_diag_set(diag, GRAFT_ERR_COLUMN, e->source, e->line,
                              text_col(e, e->name_pos[k]),
                              "unknown column '%s'%s%s%s", e->names[k],
                              near ? " (did you mean '" : "",
                              near ? near : "", near ? "'?)" : "");
    }
    for (size_t i = 0; i < e->n_nodes; i++) {
        node_t *n = &e->nodes[i];
        if (n->op == OP_COL || n->op == OP_MISSING)
            n->col = find_column(n->str, cols, ncols);
    }
    for (size_t i = 0; i < e->n_nodes; i++) {
        node_t *n = &e->nodes[i];
        if (n->op != OP_STR)
            continue;
        const node_t *ctx = n->ctx == NONE ? NULL : &e->nodes[n->ctx];
        const graft_labelset_t *labels =
            ctx && ctx->op == OP_COL ? cols[ctx->col].labels : NULL;
        if (!bind_literal(e, n, labels))
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, e->source, e->line,
                                  0, "out of memory");
        if (!n->eq || !ctx || ctx->op != OP_COL || n->labelled)
            continue;
        if (numeric_labels(labels) && !n->has_num)
            return not_a_label(e, n, cols[ctx->col].name, labels, diag);
        if (!push_value(e, i))
            return graft_diag_set(diag, GRAFT_ERR_NOMEM, e->source, e->line,
                                  0, "out of memory");
    }
    e->bound = 1;
    return GRAFT_OK;
}

/* ===================================================================== */
/* Evaluate                                                              */
/* ===================================================================== */

static const graft_cell_t missing_cell = {GRAFT_CELL_MISSING, 0.0, NULL, 0};

static graft_cell_t number_cell(double v)
{
    graft_cell_t c = {GRAFT_CELL_NUMBER, v, NULL, 0};
    return c;
}

/* 1, 0, or -1 for missing: see graft_expr_truth(). */
int graft_expr_truth(graft_cell_t v)
{
    if (v.kind != GRAFT_CELL_NUMBER || isnan(v.num))
        return -1;
    return v.num != 0.0;
}

static graft_cell_t truth_cell(int t)
{
    return t < 0 ? missing_cell : number_cell(t);
}

static graft_cell_t eval(const graft_expr_t *e, size_t i,
                         const graft_cell_t *cells);

/* Does V (not missing) equal the bound string literal L? */
static int matches_literal(const graft_expr_t *e, graft_cell_t v,
                           const node_t *l)
{
    if (v.kind == GRAFT_CELL_NUMBER) {
        for (size_t k = 0; k < l->n_codes; k++)
            if (e->codes[l->codes + k] == v.num)
                return 1;
        return 0;
    }
    const char *s = v.str ? v.str : "";
    if (strcmp(s, l->str) == 0)
        return 1;
    for (size_t k = 0; k < l->n_scodes; k++)
        if (strcmp(s, e->scodes[l->scodes + k]) == 0)
            return 1;
    return 0;
}

/* Does V (not missing) equal the literal item I of an in-list? */
static int matches_item(const graft_expr_t *e, graft_cell_t v, const node_t *it)
{
    if (it->op == OP_STR)
        return matches_literal(e, v, it);
    return v.kind == GRAFT_CELL_NUMBER && v.num == it->num;
}

static graft_cell_t eval_compare(const graft_expr_t *e, const node_t *n,
                                 const graft_cell_t *cells)
{
    graft_cell_t l = eval(e, n->a, cells);
    if (l.kind == GRAFT_CELL_MISSING)
        return missing_cell;
    const node_t *rn = &e->nodes[n->b];
    if (rn->op == OP_STR && (n->cmp == CMP_EQ || n->cmp == CMP_NE)) {
        int eq = matches_literal(e, l, rn);
        return number_cell(n->cmp == CMP_EQ ? eq : !eq);
    }
    graft_cell_t r = eval(e, n->b, cells);
    if (r.kind == GRAFT_CELL_MISSING)
        return missing_cell;
    int c;
    if (l.kind == GRAFT_CELL_NUMBER && r.kind == GRAFT_CELL_NUMBER) {
        if (isnan(l.num) || isnan(r.num))
            return missing_cell;
        c = (l.num > r.num) - (l.num < r.num);
    } else if (l.kind == GRAFT_CELL_STRING && r.kind == GRAFT_CELL_STRING) {
        c = strcmp(l.str ? l.str : "", r.str ? r.str : "");
    } else { /* a number and a string: unequal and unordered */
        if (n->cmp == CMP_EQ || n->cmp == CMP_NE)
            return number_cell(n->cmp == CMP_NE);
        return missing_cell;
    }
    switch (n->cmp) {
    case CMP_EQ: return number_cell(c == 0);
    case CMP_NE: return number_cell(c != 0);
    case CMP_LT: return number_cell(c < 0);
    case CMP_LE: return number_cell(c <= 0);
    case CMP_GT: return number_cell(c > 0);
    default: return number_cell(c >= 0);
    }
}

/* all()/and with STOP = 0, any()/or with STOP = 1 (Kleene). */
static graft_cell_t eval_kleene(const graft_expr_t *e, const node_t *n,
                                int stop, const graft_cell_t *cells)
{
    int saw_missing = 0;
    for (size_t c = n->a; c != NONE; c = e->nodes[c].next) {
        int t = graft_expr_truth(eval(e, c, cells));
        if (t == stop)
            return number_cell(stop);
        if (t < 0)
            saw_missing = 1;
    }
    return saw_missing ? missing_cell : number_cell(!stop);
}

static graft_cell_t eval(const graft_expr_t *e, size_t i,
                         const graft_cell_t *cells)
{
    const node_t *n = &e->nodes[i];
    graft_cell_t v;
    switch ((enum op)n->op) {
    case OP_NUM:
        return number_cell(n->num);
    case OP_STR: {
        graft_cell_t s = {GRAFT_CELL_STRING, 0.0, n->str, n->len};
        return s;
    }
    case OP_COL:
        return cells[n->col];
    case OP_MISSING:
        return number_cell(cells[n->col].kind == GRAFT_CELL_MISSING);
    case OP_CMP:
        return eval_compare(e, n, cells);
    case OP_IN_LIST:
        v = eval(e, n->a, cells);
        if (v.kind == GRAFT_CELL_MISSING)
            return missing_cell;
        for (size_t c = n->b; c != NONE; c = e->nodes[c].next)
            if (matches_item(e, v, &e->nodes[c]))
                return number_cell(1);
        return number_cell(0);
    case OP_IN_RANGE:
        v = eval(e, n->a, cells);
        if (v.kind == GRAFT_CELL_MISSING ||
            (v.kind == GRAFT_CELL_NUMBER && isnan(v.num)))
            return missing_cell;
        return number_cell(v.kind == GRAFT_CELL_NUMBER && v.num >= n->num &&
                           v.num <= n->hi);
    case OP_NOT: {
        int t = graft_expr_truth(eval(e, n->a, cells));
        return truth_cell(t < 0 ? -1 : !t);
    }
    case OP_ALL:
        return eval_kleene(e, n, 0, cells);
    case OP_ANY:
        return eval_kleene(e, n, 1, cells);
    }
    return missing_cell;
}

int graft_expr_filter(const graft_expr_t *e, graft_filter_t *f)
{
    if (!e->bound)
        return 0;
    const node_t *n = &e->nodes[e->root];
    if (n->op != OP_CMP)
        return 0;
    const node_t *a = &e->nodes[n->a], *b = &e->nodes[n->b];
    if (a->op != OP_COL || b->op != OP_NUM)
        return 0;
    f->col = a->col;
    f->cmp = (graft_cmp_t)n->cmp;
    f->num = b->num;
    return 1;
}

int graft_expr_test(const graft_expr_t *e, const graft_cell_t *cells)
{
    graft_filter_t f;
    if (graft_expr_filter(e, &f))
        return graft_filter_test(&f, cells);
    if (!e->bound)
        return -1;
    return graft_expr_truth(eval(e, e->root, cells));
}

graft_cell_t graft_expr_eval(const graft_expr_t *e, const graft_cell_t *cells)
{
    if (!e->bound)
        return missing_cell;
    return eval(e, e->root, cells);
}

/* ===================================================================== */
/* Values compared with a column                                         */
/* ===================================================================== */

size_t graft_expr_n_values(const graft_expr_t *e)
{
    return e->bound ? e->n_values : 0;
}

int graft_expr_value(const graft_expr_t *e, size_t i, graft_expr_value_t *out)
{
    if (!e->bound || i >= e->n_values)
        return 0;
    const node_t *n = &e->nodes[e->values[i]];
    const node_t *col = &e->nodes[n->ctx];
    out->text = n->str;
    out->column = col->str;
    out->cell = col->col;
    out->source = e->source;
    out->line = e->line;
    out->col = text_col(e, n->pos);
    return 1;
}

int graft_expr_value_occurs(const graft_expr_t *e, size_t i,
                            const graft_cell_t *cells)
{
    if (!e->bound || i >= e->n_values)
        return 0;
    const node_t *n = &e->nodes[e->values[i]];
    graft_cell_t v = cells[e->nodes[n->ctx].col];
    return v.kind != GRAFT_CELL_MISSING && matches_literal(e, v, n);
}
