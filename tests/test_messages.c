/*
 * test_messages.c - error messages that point at the user's mistake
 * (issue 14), where a line of tests/catalogue/messages.tsv cannot say it:
 * an allocation that fails in the command line's own code.
 */
#include "test_util.h"
#include "test_spawn.h"

#include <sys/wait.h>

static spawn_result_t R;

/* A shared object that makes every allocation of GRAFT_TEST_FAIL_ALLOC
 * bytes or more fail (glibc's allocator underneath the others), and
 * creates the file GRAFT_TEST_SHIM_MARK at its first call, which shows that
 * it, not a sanitizer's allocator, serves the allocations. */
static const char failalloc_c[] =
    "#include <errno.h>\n"
    "#include <fcntl.h>\n"
    "#include <stddef.h>\n"
    "#include <stdlib.h>\n"
    "#include <unistd.h>\n"
    "extern void *__libc_malloc(size_t);\n"
    "extern void *__libc_calloc(size_t, size_t);\n"
    "extern void *__libc_realloc(void *, size_t);\n"
    "static int marked;\n"
    "static int big(size_t n) {\n"
    "    if (!marked) {\n"
    "        const char *m = getenv(\"GRAFT_TEST_SHIM_MARK\");\n"
    "        int fd = m ? open(m, O_CREAT | O_WRONLY, 0600) : -1;\n"
    "        marked = 1;\n"
    "        if (fd >= 0) close(fd);\n"
    "    }\n"
    "    const char *e = getenv(\"GRAFT_TEST_FAIL_ALLOC\");\n"
    "    size_t at = 0;\n"
    "    for (; e && *e >= '0' && *e <= '9'; e++) at = at * 10 + (size_t)(*e - '0');\n"
    "    if (at && n >= at) { errno = ENOMEM; return 1; }\n"
    "    return 0;\n"
    "}\n"
    "void *malloc(size_t n) { return big(n) ? NULL : __libc_malloc(n); }\n"
    "void *calloc(size_t k, size_t n) {\n"
    "    return n && k > (size_t)-1 / n ? NULL : big(k * n) ? NULL : __libc_calloc(k, n);\n"
    "}\n"
    "void *realloc(void *p, size_t n) { return big(n) ? NULL : __libc_realloc(p, n); }\n";

/* Build the shared object into PATH; 0 when there is no compiler. */
static int build_failalloc(char *so, size_t size)
{
    const char *src = test_tmp("failalloc.c");
    test_write_file(src, failalloc_c);
    snprintf(so, size, "%s", test_tmp("failalloc.so"));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "${CC:-cc} -shared -fPIC -o '%s' '%s' 2>/dev/null", so, src);
    return system(cmd) == 0;
}

/* The command line's own allocations (here the copy of a --by list) fail
 * with "out of memory" and exit 71, not the usage code 64. */
static void test_nomem_exit_code(void **state)
{
    (void)state;
    char so[700], preload[800];
    if (getenv("GRAFT_WRAP") || !build_failalloc(so, sizeof so)) {
        printf("SKIP test_nomem_exit_code: no compiler, or graft under a "
               "wrapper\n");
        return;
    }
    char mark[800];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", so);
    snprintf(mark, sizeof mark, "GRAFT_TEST_SHIM_MARK=%s",
             test_tmp("shim_used"));
    const char *env[] = {preload, "GRAFT_TEST_FAIL_ALLOC=65536", mark, NULL};
    /* graft starts under the shim and the shim serves its allocations
     * (not so under ASan, whose allocator comes first): else skip */
    const char *version[] = {"--version", NULL};
    spawn_graft_env(&R, env, version);
    if (R.status != 0 || strncmp(R.out, "graft ", 6) != 0 ||
        !test_file_exists(test_tmp("shim_used"))) {
        printf("SKIP test_nomem_exit_code: graft's allocations do not go "
               "through LD_PRELOAD (a sanitizer build?)\n");
        return;
    }
    static char by[100001];
    for (size_t i = 0; i + 2 < sizeof by; i += 2)
        memcpy(by + i, "a,", 2);
    by[sizeof by - 2] = 'a';
    by[sizeof by - 1] = '\0';
    const char *args[] = {"estimate", "tests/data/cli/good.csv", "--weight",
                          "w", "--prop", "p == 1", "--by", by, NULL};
    spawn_graft_env(&R, env, args);
    spawn_expect_error(&R, 71, "out of memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nomem_exit_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
