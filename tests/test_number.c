/*
 * test_number.c - graft_parse_number gives strtod's double bit for bit
 * (its Clinger fast path must round exactly as strtod does), on a million
 * random decimals of the kinds survey files hold and on numbers at the
 * borders of the fast path, and accepts exactly the documented syntax.
 */
#include "test_util.h"
#include "graft/reader.h"

#include <gsl/gsl_rng.h>
#include <regex.h>

static void check(const char *text)
{
    double got, want = strtod(text, NULL);
    if (!graft_parse_number(text, strlen(text), &got))
        fail_msg("'%s' not read as a number", text);
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("'%s': got %.17g, strtod %.17g", text, got, want);
}

static void test_random_decimals(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    char buf[64];
    for (int k = 0; k < 1000000; k++) {
        double u = gsl_rng_uniform(rng);
        switch (k % 5) {
        case 0:
            snprintf(buf, sizeof buf, "%ld",
                     (long)gsl_rng_uniform_int(rng, 2000000) - 1000000);
            break;
        case 1:
            snprintf(buf, sizeof buf, "%.*f",
                     (int)gsl_rng_uniform_int(rng, 10),
                     u * pow(10, (double)gsl_rng_uniform_int(rng, 12)));
            break;
        case 2:
            snprintf(buf, sizeof buf, "%.17g",
                     u * pow(10, (double)gsl_rng_uniform_int(rng, 30) - 15));
            break;
        case 3:
            snprintf(buf, sizeof buf, "%.15g",
                     u * pow(10, (double)gsl_rng_uniform_int(rng, 20) - 10));
            break;
        default:
            snprintf(buf, sizeof buf, "-0.%06lu",
                     gsl_rng_uniform_int(rng, 1000000));
        }
        check(buf);
    }
    gsl_rng_free(rng);
}

static void test_edges(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "0", "-0", "+7", "000123", "0.000", "1e22", "9007199254740993",
        "123456789012345", "1234567890123456", "0.1", "0.2", "0.3",
        "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
        "0.0000000000000000000000001", "899.692927", "-3.1", " 12 ",
        "1.", ".5", "5.e3"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = cases[i];
        double want = strtod(t, NULL), got;
        if (!graft_parse_number(t, strlen(t), &got))
            continue; /* syntax the reader rejects is test_csv's business */
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("'%s': got %.17g, strtod %.17g", t, got, want);
    }
}

/* Numbers around the borders of the one-pass path: 15 and 16 significant
 * digits, 22 and 23 decimals, leading and trailing zeros, signs. */
static void test_fast_path_borders(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 11);
    static const char *const signs[] = {"", "-", "+"};
    char buf[96];
    for (int k = 0; k < 200000; k++) {
        size_t n = 0;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s",
                              signs[gsl_rng_uniform_int(rng, 3)]);
        size_t lead = gsl_rng_uniform_int(rng, 3);
        size_t digits = 1 + gsl_rng_uniform_int(rng, 18);
        size_t point = gsl_rng_uniform_int(rng, digits + 2); /* may be none */
        size_t zeros = gsl_rng_uniform_int(rng, 4) == 0
                           ? gsl_rng_uniform_int(rng, 24) : 0;
        for (size_t i = 0; i < lead; i++)
            buf[n++] = '0';
        if (point > digits) {
            buf[n++] = '.';
            for (size_t i = 0; i < zeros; i++)
                buf[n++] = '0';
        }
        for (size_t i = 0; i < digits; i++) {
            if (i == point)
                buf[n++] = '.';
            buf[n++] = (char)('0' + gsl_rng_uniform_int(rng, 10));
        }
        if (point == digits)
            buf[n++] = '.';
        buf[n] = '\0';
        check(buf);
    }
    gsl_rng_free(rng);
}

/* Which strings are numbers: random strings of number characters, spaces,
 * tabs and a letter against the documented syntax, written as a POSIX
 * extended regular expression; accepted strings give strtod's double. */
static void test_random_syntax(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789..+-eE \tx";
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[ \t]*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)"
                             "([eE][+-]?[0-9]+)?[ \t]*$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 3);
    char buf[32];
    for (int k = 0; k < 300000; k++) {
        size_t n = gsl_rng_uniform_int(rng, 12);
        for (size_t i = 0; i < n; i++) {
            size_t a = gsl_rng_uniform_int(rng, 3) == 0
                           ? gsl_rng_uniform_int(rng, sizeof alphabet - 1)
                           : gsl_rng_uniform_int(rng, 10);
            buf[i] = alphabet[a];
        }
        buf[n] = '\0';
        double want = strtod(buf, NULL), got = -999;
        int syntax = regexec(&re, buf, 0, NULL, 0) == 0;
        int number = syntax && isfinite(want);
        int read = graft_parse_number(buf, n, &got);
        if (read != number)
            fail_msg("'%s': graft_parse_number says %d, the syntax %d", buf,
                     read, number);
        if (read && memcmp(&got, &want, sizeof got) != 0)
            fail_msg("'%s': got %.17g, strtod %.17g", buf, got, want);
        if (!read && got != -999)
            fail_msg("'%s': *out was written for a non-number", buf);
    }
    gsl_rng_free(rng);
    regfree(&re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_decimals),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_fast_path_borders),
        cmocka_unit_test(test_random_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
