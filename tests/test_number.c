/*
 * test_number.c - graft_parse_number gives strtod's double bit for bit
 * (its Clinger fast path must round exactly as strtod does), on a million
 * random decimals of the kinds survey files hold.
 */
#include "test_util.h"
#include "graft_reader.h"

#include <gsl/gsl_rng.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_decimals),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
