/*
 * error.c - error texts, diagnostics and exit codes.
 */
#include "graft/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const error_text[] = {
    [GRAFT_OK] = "success",
    [GRAFT_ERR_NOMEM] = "out of memory",
    [GRAFT_ERR_OPEN] = "cannot open input",
    [GRAFT_ERR_READ] = "read error",
    [GRAFT_ERR_EMPTY] = "empty file",
    [GRAFT_ERR_NO_ROWS] = "no data rows",
    [GRAFT_ERR_HEADER] = "bad header",
    [GRAFT_ERR_FIELDS] = "wrong number of fields",
    [GRAFT_ERR_QUOTE] = "bad quoting",
    [GRAFT_ERR_UTF8] = "invalid UTF-8",
    [GRAFT_ERR_COLUMN] = "unknown column",
    [GRAFT_ERR_WEIGHT] = "invalid weight",
    [GRAFT_ERR_DESIGN_VALUE] = "invalid design value",
    [GRAFT_ERR_NEST] = "PSU ids not nested in strata",
    [GRAFT_ERR_LONELY_PSU] = "stratum with a single PSU",
    [GRAFT_ERR_FORMAT] = "unreadable data file",
    [GRAFT_ERR_USAGE] = "invalid usage",
    [GRAFT_ERR_SURVEY_FILE] = "invalid survey file",
    [GRAFT_ERR_WRITE] = "write error",
    [GRAFT_ERR_FPC] = "invalid finite population correction",
    [GRAFT_ERR_INTERNAL] = "internal error",
    [GRAFT_ERR_VALUE] = "non-numeric value",
    [GRAFT_ERR_EXEC] = "external program failed",
    [GRAFT_ERR_ROUNDS] = "rounds that cannot be compared",
    [GRAFT_ERR_CALIBRATE] = "weights that cannot be calibrated",
    [GRAFT_ERR_MODEL] = "a model that cannot be fitted",
};

const char *graft_strerror(graft_error_t code)
{
    size_t i = (size_t)code;
    if (i < sizeof error_text / sizeof error_text[0] && error_text[i])
        return error_text[i];
    return "unknown error";
}

void graft_diag_clear(graft_diag_t *diag)
{
    if (diag)
        memset(diag, 0, sizeof *diag);
}

graft_error_t graft_diag_set(graft_diag_t *diag, graft_error_t code,
                             const char *file, unsigned long line,
                             unsigned long col, const char *fmt, ...)
{
    if (!diag)
        return code;
    diag->code = code;
    snprintf(diag->file, sizeof diag->file, "%s", file ? file : "");
    diag->line = line;
    diag->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->msg, sizeof diag->msg, fmt, ap);
    va_end(ap);
    return code;
}

char *graft_diag_format(const graft_diag_t *diag, char *buf, size_t size)
{
    size_t used = 0;
    int n;
    if (size == 0)
        return buf;
    buf[0] = '\0';
#define APPEND(...)                                                        \
    do {                                                                   \
        n = snprintf(buf + used, size - used, __VA_ARGS__);                \
        if (n < 0 || (size_t)n >= size - used) return buf;                 \
        used += (size_t)n;                                                 \
    } while (0)
    if (diag->file[0]) {
        APPEND("%s:", diag->file);
        if (diag->line) {
            APPEND("%lu:", diag->line);
            if (diag->col)
                APPEND("%lu:", diag->col);
        }
        APPEND(" ");
    }
    APPEND("%s", diag->msg[0] ? diag->msg : graft_strerror(diag->code));
#undef APPEND
    return buf;
}

int graft_exit_code(graft_error_t code)
{
    switch (code) {
    case GRAFT_OK:
        return GRAFT_EXIT_OK;
    case GRAFT_ERR_USAGE:
        return GRAFT_EXIT_USAGE;
    case GRAFT_ERR_OPEN:
        return GRAFT_EXIT_NOINPUT;
    case GRAFT_ERR_READ:
    case GRAFT_ERR_WRITE:
        return GRAFT_EXIT_IOERR;
    case GRAFT_ERR_NOMEM:
    case GRAFT_ERR_EXEC:
        return GRAFT_EXIT_OSERR;
    case GRAFT_ERR_INTERNAL:
        return GRAFT_EXIT_SOFTWARE;
    default:
        return GRAFT_EXIT_DATA;
    }
}
