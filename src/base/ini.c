/*
 * ini.c - inih through a line-counting reader.
 *
 * ini_parse_stream() reads with our reader and calls the handler right
 * after reading the line it belongs to, so the reader's count is the
 * handler's line and the raw line shows the value's column.
 */
#include "base/ini.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct ini_ctx {
    FILE *fp;
    unsigned long line;
    char raw[4096];          /* the start of the current line */
    int in_line;             /* the last chunk read did not end the line */
    size_t len;              /* bytes of the current line so far */
    unsigned long too_long;  /* the line that passed GRAFT_INI_MAX_LINE */
    unsigned long indented;  /* the indented line met */
    unsigned long nul;       /* the line with a NUL byte */
    graft_ini_fn handler;
    void *user;
    graft_error_t rc;
    unsigned long err_line;
    char msg[1024];
} ini_ctx_t;

/* 1 when RAW, the start of a line, is indented text: not blank, not a
 * comment. */
static int indented_text(const char *raw)
{
    if (*raw != ' ' && *raw != '\t')
        return 0;
    raw += strspn(raw, " \t");
    return *raw && !strchr("\r\n;#", *raw);
}

/* inih reads a line in chunks (its buffer grows): count lines, not chunks,
 * keep the start of the line, and stop (as at the end of the file) at a
 * line longer than the limit, an indented one or a NUL byte, which the
 * caller reports. */
static char *reader(char *str, int num, void *stream)
{
    ini_ctx_t *c = stream;
    if (c->too_long || c->indented || c->nul)
        return NULL;
    char *s = fgets(str, num, c->fp);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    /* fgets stops at a newline or a full buffer: a chunk shorter than
     * that, before the end of the file, holds a NUL byte (which would cut
     * the line and shift every line number after it) */
    if (n + 1 < (size_t)num && (n == 0 || s[n - 1] != '\n') &&
        !feof(c->fp)) {
        c->nul = c->line + !c->in_line;
        return NULL;
    }
    if (!c->in_line) {
        c->line++;
        c->len = 0;
        snprintf(c->raw, sizeof c->raw, "%s", s);
        if (indented_text(s)) {
            c->indented = c->line;
            return NULL;
        }
    }
    c->len += n;
    c->in_line = n == 0 || s[n - 1] != '\n';
    if (c->in_line && c->len > GRAFT_INI_MAX_LINE) {
        c->too_long = c->line;
        return NULL;
    }
    return s;
}

/* Column of VALUE in the raw line: after the first '=' or ':', past
 * spaces; 0 when unknown. */
static unsigned long value_col(const char *raw)
{
    const char *eq = strpbrk(raw, "=:");
    if (!eq)
        return 0;
    const char *p = eq + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    unsigned long col = 1;
    for (const char *q = raw; q < p; q++)
        col += ((unsigned char)*q & 0xC0) != 0x80; /* code points */
    return col;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value)
{
    ini_ctx_t *c = user;
    if (c->rc != GRAFT_OK)
        return 0;
    unsigned long col = value_col(c->raw);
    graft_error_t rc = c->handler(c->user, section, name, value, c->line, col,
                                  c->msg, sizeof c->msg);
    if (rc != GRAFT_OK) {
        c->rc = rc;
        c->err_line = c->line;
        return 0;
    }
    return 1;
}

graft_error_t graft_ini_parse(const char *path, graft_ini_fn fn, void *user,
                              graft_diag_t *diag)
{
    ini_ctx_t c = {0};
    c.handler = fn;
    c.user = user;
    if (!(c.fp = fopen(path, "r")))
        return graft_diag_set(diag, GRAFT_ERR_OPEN, path, 0, 0,
                              "cannot open: %s", strerror(errno));
    ini_use_stack = false;
    ini_allow_realloc = true;
    /* room for the newline and the NUL after the longest line */
    ini_max_line = GRAFT_INI_MAX_LINE + 2;
    ini_stop_on_first_error = true;
    ini_allow_inline_comments = false;
    /* an indented line is refused (reader), never the previous value's
     * continuation */
    ini_allow_multiline = false;
    int line = ini_parse_stream(reader, &c, handler, &c);
    int bad_read = ferror(c.fp);
    fclose(c.fp);
    if (line == -2)
        return graft_diag_set(diag, GRAFT_ERR_NOMEM, path, 0, 0,
                              "out of memory");
    if (bad_read)
        return graft_diag_set(diag, GRAFT_ERR_READ, path, 0, 0,
                              "read error");
    if (c.too_long)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, c.too_long,
                              0,
                              "line too long: more than %d bytes (the limit "
                              "of a line in an INI file)",
                              GRAFT_INI_MAX_LINE);
    if (c.nul)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, c.nul, 0,
                              "a NUL byte: not a text file");
    if (c.rc != GRAFT_OK)
        return graft_diag_set(diag, c.rc, path, c.err_line, 0, "%s", c.msg);
    if (c.indented)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path, c.indented,
                              1,
                              "indented line: a value does not continue on "
                              "the next line; write each key = value on one "
                              "line, without leading spaces");
    if (line != 0)
        return graft_diag_set(diag, GRAFT_ERR_SURVEY_FILE, path,
                              (unsigned long)line, 0,
                              "not a valid INI line (expected [section] or "
                              "key = value)");
    return GRAFT_OK;
}

char *graft_ini_resolve(const char *file, const char *rel)
{
    const char *slash = strrchr(file, '/');
    size_t dir = rel[0] == '/' || !slash ? 0 : (size_t)(slash - file) + 1;
    size_t n = strlen(rel);
    char *out = malloc(dir + n + 1);
    if (out) {
        memcpy(out, file, dir);
        memcpy(out + dir, rel, n + 1);
    }
    return out;
}

int graft_ini_bool(const char *value, int loose, int *out)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};
    int (*same)(const char *, const char *) = loose ? strcasecmp : strcmp;
    for (size_t i = 0; i < (loose ? 4u : 2u); i++) {
        if (same(value, yes[i]) == 0)
            return *out = 1, 1;
        if (same(value, no[i]) == 0)
            return *out = 0, 1;
    }
    return 0;
}
