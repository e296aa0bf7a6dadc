/*
 * graft/expr.h - the expression language of --prop, --among and derived
 * variables: parsed once, bound to a file's columns once, then evaluated per
 * row with integer and double work only (no allocation, no shell, no eval).
 *
 * Syntax, loosest binding first:
 *
 *   expr    := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | compare
 *   compare := value [('==' | '!=' | '<' | '<=' | '>' | '>=') value
 *                     | 'in' '{' literal (',' literal)* '}'
 *                     | 'in' number '..' number]
 *   value   := number | 'string' | name | `any name` | '(' expr ')'
 *            | 'any' '(' expr (',' expr)* ')' | 'all' '(' ... ')'
 *            | 'missing' '(' name ')'
 *
 * As in SQL and Python, a comparison binds tighter than 'not':
 * `not Q1 == 1` is `not (Q1 == 1)`.  Comparisons do not chain (`1 < Q < 3`
 * is a syntax error).  Numbers are decimal (`-2`, `0.5`, `1e3`), read as CSV
 * cells are (graft_parse_number); a '-' is allowed only in front of a
 * number.  Strings take single quotes, '' standing for a quote.  Column
 * names start with a letter (or any non-ASCII byte) followed by letters,
 * digits, '_', '.', '@', '#', '$'; any other name goes in backquotes, ``
 * standing for a backquote.  The words and, or, not, in are reserved (write
 * a column of that name in backquotes); any, all, missing are functions
 * only when followed by '('.  Keywords are lowercase.
 *
 * Values are cells (graft_cell_t): missing, a number, or a string.  A truth
 * value is the number 1 or 0, or missing.
 *
 *  - A comparison with a missing operand is missing.  Two numbers compare
 *    numerically; two strings compare byte by byte (strcmp).  A number and a
 *    string are unequal ('==' false, '!=' true) and unordered ('<' etc.
 *    missing), except as follows for a string literal:
 *  - A string literal compared with '==' or '!=' (or listed after 'in') to
 *    a column matches a cell whose value label is that text
 *    (`REGION == 'Great Tunis'`), a string cell with that text, and a number
 *    cell equal to the literal read as a number ('1580' matches 1580, as the
 *    CSV cell "1580" would).  The literal may be written on either side.
 *  - `x in {a, b}` is true when x equals (==) some item, false otherwise,
 *    missing when x is missing.  `x in a..b` is a <= x <= b for a number,
 *    false for a string, missing for missing; a > b is a syntax error.
 *  - 'and', 'or', 'not' follow SQL's three-valued (Kleene) logic; any() is
 *    true if some argument is true, else missing if some is missing, else
 *    false; all() is false if some argument is false, else missing if some
 *    is missing, else true.  missing(COL) is 1 or 0, never missing.
 *  - Where a truth value is needed (operands of and/or/not/any/all), a
 *    number is true when non-zero, a string or a missing value is missing.
 *    A string literal there is a syntax error.  The whole expression's value
 *    is returned as it is: a bare column gives the cell itself (the --prop
 *    caller, which reads a bare column as "COL == 1", asks
 *    graft_expr_is_bare_column()).
 *
 * Positions: parse errors are GRAFT_ERR_USAGE with diag->col the 1-based
 * character (UTF-8 code point) column of the offending token, counted from
 * the COL the caller passes for the expression's first character; diag->file
 * and diag->line are the caller's SOURCE and LINE, so that a formatted
 * diagnostic reads "--prop:1:14: unexpected ')'" or
 * "surveys/r7.ini:12:19: unknown column 'Q49X' (did you mean 'Q49C'?)".
 *
 * Derived variables: bind takes any column list; a caller that computes
 * derived variables appends one graft_column_t per derived variable (its
 * name, labels or NULL, type GRAFT_COL_UNKNOWN) after the file's columns,
 * and per row appends one cell per derived variable after the file's cells,
 * filling them in definition order with graft_expr_eval() (whose result is a
 * cell, ready to store).  Bind derived variable K against the file's columns
 * plus derived 0..K-1 only, so a definition can refer to earlier ones but
 * never to itself or later ones, and evaluation never reads a cell not yet
 * filled.  A string result borrows from the row's cells or the expression:
 * it is valid for the rest of that row.
 *
 * Ownership: functions never take ownership of pointer arguments; a parsed
 * expression is the caller's, freed with graft_expr_free().  Strings and
 * arrays an accessor returns are owned by the expression.  An expression is
 * not modified by graft_expr_eval(), so a bound expression may be evaluated
 * from several threads at once.
 */
#ifndef GRAFT_EXPR_H
#define GRAFT_EXPR_H

#include <stddef.h>
#include "graft/error.h"
#include "graft/reader.h"

typedef struct graft_expr graft_expr_t;

#include "graft/limits.h" /* GRAFT_EXPR_MAX_DEPTH */

/* Parse TEXT into *OUT.  SOURCE (e.g. "--prop" or "surveys/r7.ini", may be
 * NULL) and LINE go into diagnostics as they are; COL is the 1-based
 * column of TEXT's first character in SOURCE (0 counts as 1).  For an option
 * value pass ("--prop", 1, 1): graft_diag_format() prints the column only
 * after a line.  The expression keeps copies of TEXT and
 * SOURCE.  Returns GRAFT_OK, GRAFT_ERR_USAGE for a syntax error (DIAG says
 * what and where; *OUT is left NULL) or GRAFT_ERR_NOMEM. */
graft_error_t graft_expr_parse(const char *text, const char *source,
                               unsigned long line, unsigned long col,
                               graft_expr_t **out, graft_diag_t *diag);

/* Resolve the expression's column names against COLS (NCOLS entries), by
 * exact name, replacing any earlier binding.  Cells passed to
 * graft_expr_eval() must then follow COLS's order, and COLS's label sets
 * (not its names) must stay valid while the expression is evaluated.
 * Returns GRAFT_OK, GRAFT_ERR_COLUMN for an unknown name (at the position of
 * its first use, with the closest existing name suggested) or for a string
 * literal compared (==, !=, in {...}) with a column whose value labels all
 * have numeric codes when the literal is neither one of those labels nor a
 * number ("'great tunis' is not a value label of REGION (did you mean
 * 'Great Tunis'?)", at the literal's position), or GRAFT_ERR_NOMEM.  After
 * a failure the expression is unbound. */
graft_error_t graft_expr_bind(graft_expr_t *e, const graft_column_t *cols,
                              size_t ncols, graft_diag_t *diag);

/* The value of bound expression E on one row: CELLS holds at least the
 * NCOLS cells of the binding.  Never allocates and never fails; an unbound
 * expression evaluates to missing.  A string result points into CELLS or E
 * (see the derived-variables note above). */
graft_cell_t graft_expr_eval(const graft_expr_t *e, const graft_cell_t *cells);

/* The truth of a value: 1 for a non-zero number, 0 for zero, -1 for missing,
 * a string or NaN.  For callers that filter rows (--among). */
int graft_expr_truth(graft_cell_t value);

/* graft_expr_truth(graft_expr_eval(E, CELLS)), with a shortcut for the
 * usual filter, a column compared with a number (`Q1 == 1`). */
int graft_expr_test(const graft_expr_t *e, const graft_cell_t *cells);

/* Is the whole expression one column name (possibly in parentheses or
 * backquotes)?  Returns 1 or 0. */
int graft_expr_is_bare_column(const graft_expr_t *e);

/* The text E was parsed from. */
const char *graft_expr_text(const graft_expr_t *e);

/* The distinct column names E uses, in order of first appearance; *N
 * receives their count (N may be NULL).  The array and names are owned by
 * E.  Available before binding, so a reader can skip the other columns. */
const char *const *graft_expr_columns(const graft_expr_t *e, size_t *n);

/* A string literal that bound expression E compares for equality (==,
 * !=, or listed after 'in') with a column, and that is none of the
 * column's value labels: a value the data must hold for the comparison to
 * mean anything.  A caller that reads every row checks each with
 * graft_expr_value_occurs() and warns about those that never occur (in a
 * plain string column, 'x' == COL is false on every row when no cell is
 * 'x', which is almost always a typing mistake). */
typedef struct graft_expr_value {
    const char *text;      /* the literal's text (owned by E) */
    const char *column;    /* the column's name (owned by E) */
    size_t cell;           /* the column's index in the binding */
    const char *source;    /* where the literal is, as graft_expr_parse */
    unsigned long line, col;
} graft_expr_value_t;

/* How many such literals bound E has (0 when unbound). */
size_t graft_expr_n_values(const graft_expr_t *e);

/* Literal I of E into *OUT; returns 1, or 0 when I is out of range. */
int graft_expr_value(const graft_expr_t *e, size_t i, graft_expr_value_t *out);

/* Does the row CELLS (as for graft_expr_eval) hold literal I in its
 * column, as the comparison would match it?  Returns 1 or 0. */
int graft_expr_value_occurs(const graft_expr_t *e, size_t i,
                            const graft_cell_t *cells);

void graft_expr_free(graft_expr_t *e);

#endif
