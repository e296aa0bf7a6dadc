/*
 * test_psu_filter.c - the filter of streamed PSU keys (stats/psu_filter.h).
 *
 * The filter may say "seen" for a key it never saw (psu_filter.c states
 * the odds: about 1.6e-10 per level and lookup), never "not seen" for one
 * it did.  Keys are hashed as the design hashes them (graft_key_hash of
 * their text).
 */
#include "test_util.h"
#include "base/intern.h"
#include "stats/psu_filter.h"

#include <stdint.h>

#define N_KEYS 100000
#define N_PROBES 1000000

static uint64_t key_hash(const char *prefix, size_t i)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s%zu", prefix, i);
    return graft_key_hash(buf, (size_t)n);
}

static void test_empty(void **state)
{
    (void)state;
    graft_psu_filter_t f = {0};
    for (size_t i = 0; i < 1000; i++)
        assert_false(graft_psu_filter_seen(&f, key_hash("psu-", i)));
    graft_psu_filter_clear(&f);
    graft_psu_filter_clear(&f);
}

/* Every key added is seen: before each add none of the previous keys is
 * lost; at the end all of them are there. */
static void test_no_false_negative(void **state)
{
    (void)state;
    graft_psu_filter_t f = {0};
    for (size_t i = 0; i < N_KEYS; i++) {
        assert_int_equal(graft_psu_filter_add(&f, key_hash("psu-", i)),
                         GRAFT_OK);
        assert_true(graft_psu_filter_seen(&f, key_hash("psu-", i)));
    }
    for (size_t i = 0; i < N_KEYS; i++)
        if (!graft_psu_filter_seen(&f, key_hash("psu-", i)))
            fail_msg("key %zu of %d not seen", i, N_KEYS);
    /* 4096, 8192, 16384, 32768 keys fill the first four levels: 100000
     * keys need a fifth, and no more. */
    assert_int_equal(f.n_levels, 5);
    graft_psu_filter_clear(&f);
    assert_int_equal(f.n_levels, 0);
}

/* With 100000 keys in (five levels), a million other keys: at 1.6e-10 per
 * level the expected count of false positives is 0.0008, so any at all
 * means the rate is far above what psu_filter.c states. */
static void test_false_positive_rate(void **state)
{
    (void)state;
    graft_psu_filter_t f = {0};
    for (size_t i = 0; i < N_KEYS; i++)
        assert_int_equal(graft_psu_filter_add(&f, key_hash("psu-", i)),
                         GRAFT_OK);
    size_t wrong = 0;
    for (size_t i = 0; i < N_PROBES; i++)
        wrong += (size_t)graft_psu_filter_seen(&f, key_hash("other-", i));
    graft_psu_filter_clear(&f);
    if (wrong)
        fail_msg("%zu false positives in %d lookups (%.3g; stated 1.3e-9 "
                 "at most)",
                 wrong, N_PROBES, (double)wrong / N_PROBES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_no_false_negative),
        cmocka_unit_test(test_false_positive_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
