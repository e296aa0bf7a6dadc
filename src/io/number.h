/*
 * number.h - reading a decimal number from text, as graft_parse_number()
 * documents (graft/reader.h): Clinger's fast path for the common case,
 * strtod for the rest.  Inline so that the CSV reader's per-cell call costs
 * no function call; number.c gives the library's exported entry point.
 * Internal.
 */
#ifndef GRAFT_IO_NUMBER_H
#define GRAFT_IO_NUMBER_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_STACK 128 /* numbers shorter than this avoid malloc */

static inline int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Length of the decimal number syntax at S[0..N): [+-] digits [. digits]
 * [eE [+-] digits], with at least one mantissa digit; 0 when there is
 * none. */
static inline size_t number_syntax(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && is_digit(s[i]); i++)
        digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            digits++;
    if (!digits)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = i + 1, edigits = 0;
        if (e < n && (s[e] == '+' || s[e] == '-'))
            e++;
        for (; e < n && is_digit(s[e]); e++)
            edigits++;
        if (!edigits)
            return 0;
        i = e;
    }
    return i;
}

/* Powers of ten that are exact doubles. */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,
                                     1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
                                     1e18, 1e19, 1e20, 1e21, 1e22};

/* The common case in one pass: S[0..N) (N >= 1) of the form [+-] digits
 * [. digits] with at least one digit, at most 15 significant digits and at
 * most 22 decimals.  Clinger's fast path (Clinger 1990, "How to read
 * floating point numbers accurately") applies: the value is m or m / 10^k
 * with m and 10^k exact doubles, so the one IEEE operation rounds
 * correctly, exactly as strtod would.  Returns 1 with *OUT set, 0 when S is
 * not a number (number_syntax() would refuse it), or -1 when it needs
 * number_syntax() and strtod (an exponent, more digits or decimals). */
static inline int plain_decimal(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0, frac = 0, digits = 0, sig = 0, scale = 0;
    uint64_t m = 0;
    if (s[0] == '+' || s[0] == '-')
        neg = s[i++] == '-';
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) {
            if (s[i] != '.' || frac)
                break;
            frac = 1;
            continue;
        }
        digits++;
        scale -= frac;
        if (m == 0 && d == 0)
            continue; /* leading zeros are not significant */
        if (++sig > 15)
            return -1;
        m = m * 10 + d;
    }
    if (i < n)
        return digits && (s[i] == 'e' || s[i] == 'E') ? -1 : 0;
    if (!digits)
        return 0;
    if (scale < -22)
        return -1;
    double v = scale < 0 ? (double)m / pow10_exact[-scale] : (double)m;
    *out = neg ? -v : v;
    return 1;
}

/* Any other number: the full syntax, then strtod on a NUL-terminated copy.
 * strtod reads the C locale's decimal point: the library never calls
 * setlocale(), and neither does the command line. */
__attribute__((noinline, unused)) static int strtod_number(const char *s, size_t n,
                                                   double *out)
{
    if (number_syntax(s, n) != n)
        return 0;
    char small[NUMBER_STACK];
    char *tmp = n < sizeof small ? small : malloc(n + 1);
    if (!tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    if (!isfinite(v))
        return 0;
    if (out)
        *out = v;
    return 1;
}

/* graft_parse_number() inlined: the CSV reader calls it once per cell. */
static inline int graft_number_parse(const char *s, size_t len, double *out)
{
    size_t b = 0, e = len;
    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    if (b == e)
        return 0;
    double v;
    int r = plain_decimal(s + b, e - b, &v);
    if (r < 0)
        return strtod_number(s + b, e - b, out);
    if (r && out)
        *out = v;
    return r;
}

#endif
