/*
 * graft/error.h - error codes and diagnostics.
 *
 * The library never prints and never exits: every fallible function returns
 * a graft_error_t and, on failure, fills a graft_diag_t that points at the
 * user's input (file, line, column).  Only the command-line layer turns a
 * diagnostic into "graft: FILE:LINE:COL: message" and an exit code.
 *
 * Ownership: functions never take ownership of pointer arguments unless the
 * comment says so; returned pointers are the caller's, freed with the
 * matching _free function, and every _free accepts NULL.
 */
#ifndef GRAFT_ERROR_H
#define GRAFT_ERROR_H

#include <stddef.h>

/* Fixed values: append new codes, never renumber. */
typedef enum graft_error {
    GRAFT_OK = 0,
    GRAFT_ERR_NOMEM = 1,         /* out of memory */
    GRAFT_ERR_OPEN = 2,          /* missing or unreadable input file */
    GRAFT_ERR_READ = 3,          /* I/O error while reading */
    GRAFT_ERR_EMPTY = 4,         /* empty file (no header) */
    GRAFT_ERR_NO_ROWS = 5,       /* header only, no data rows */
    GRAFT_ERR_HEADER = 6,        /* empty or duplicate column name */
    GRAFT_ERR_FIELDS = 7,        /* row with more or fewer fields than the header */
    GRAFT_ERR_QUOTE = 8,         /* unterminated or malformed quote */
    GRAFT_ERR_UTF8 = 9,          /* invalid UTF-8 */
    GRAFT_ERR_COLUMN = 10,       /* unknown column name */
    GRAFT_ERR_WEIGHT = 11,       /* non-numeric, negative or non-finite weight */
    GRAFT_ERR_DESIGN_VALUE = 12, /* missing or invalid design value on a row */
    GRAFT_ERR_NEST = 13,         /* PSU id shared by two strata without --nest */
    GRAFT_ERR_LONELY_PSU = 14,   /* stratum with one PSU under lonely-psu fail */
    GRAFT_ERR_FORMAT = 15,       /* unreadable, truncated or unsupported data file */
    GRAFT_ERR_USAGE = 16,        /* bad option or option value */
    GRAFT_ERR_SURVEY_FILE = 17,  /* bad survey or analysis file */
    GRAFT_ERR_WRITE = 18,        /* cannot write output */
    GRAFT_ERR_FPC = 19,          /* invalid finite population correction */
    GRAFT_ERR_INTERNAL = 20,     /* a bug in graft */
    GRAFT_ERR_VALUE = 21,        /* a value that must be a number is not */
    GRAFT_ERR_EXEC = 22,         /* an external program (gnuplot) is missing,
                                    cannot start or failed */
    GRAFT_ERR_ROUNDS = 23,       /* rounds that cannot be compared: one data
                                    file twice, designs that differ, years
                                    out of order */
    GRAFT_ERR_CALIBRATE = 24,    /* weights that cannot be calibrated: a
                                    margin cell with a total but no rows (or
                                    rows but a zero total), a calibration
                                    that does not converge or cannot meet
                                    its bounds */
    GRAFT_ERR_MODEL = 25         /* a model that cannot be fitted: no rows,
                                    a rank-deficient design matrix, no
                                    convergence */
} graft_error_t;

/* A diagnostic: where in the user's input, and what is wrong. */
typedef struct graft_diag {
    graft_error_t code;
    char file[1024];     /* "" when no file applies */
    unsigned long line;  /* 1-based; 0 when no line applies */
    unsigned long col;   /* 1-based; 0 when no column applies */
    char msg[1024];
} graft_diag_t;

/* Static text describing CODE; never NULL. */
const char *graft_strerror(graft_error_t code);

/* Record an error in DIAG (which may be NULL) and return CODE.  FILE may be
 * NULL.  The message is printf-formatted and truncated to fit. */
graft_error_t graft_diag_set(graft_diag_t *diag, graft_error_t code,
                             const char *file, unsigned long line,
                             unsigned long col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Reset DIAG to "no error". */
void graft_diag_clear(graft_diag_t *diag);

/* Format DIAG as "FILE:LINE:COL: message" (parts that do not apply are left
 * out) into BUF of SIZE bytes.  Returns BUF. */
char *graft_diag_format(const graft_diag_t *diag, char *buf, size_t size);

/* Process exit codes (sysexits.h values), listed in graft(1) (man/). */
enum graft_exit {
    GRAFT_EXIT_OK = 0,
    GRAFT_EXIT_USAGE = 64,    /* bad command line */
    GRAFT_EXIT_DATA = 65,     /* the input data or a survey file is wrong */
    GRAFT_EXIT_NOINPUT = 66,  /* an input file is missing or unreadable */
    GRAFT_EXIT_SOFTWARE = 70, /* internal error */
    GRAFT_EXIT_OSERR = 71,    /* out of memory, cannot start a program */
    GRAFT_EXIT_IOERR = 74     /* read or write error */
};

/* The exit code the command line uses for CODE. */
int graft_exit_code(graft_error_t code);

#endif
