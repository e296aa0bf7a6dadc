/*
 * replay.c - run a fuzz target over files without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz_<name>.c, it reads every file named on
 * the command line and passes its bytes to LLVMFuzzerTestOneInput(), so
 * `make check` replays each corpus under the ordinary compiler (as zstd's
 * tests/fuzz/regression_driver.c does).  A crash or sanitizer report fails
 * the run; so does a file that cannot be read.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read all of PATH into a new buffer (the caller frees it).  Returns NULL
 * and prints why on failure. */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    if (!fp) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            uint8_t *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(fp)) {
        fprintf(stderr, "replay: %s: read error\n", path);
        goto fail;
    }
    fclose(fp);
    *size = len;
    return buf;
fail:
    free(buf);
    fclose(fp);
    return NULL;
}

int main(int argc, char **argv)
{
    int failed = 0, run = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        size_t size = 0;
        uint8_t *data = slurp(argv[i], &size);
        if (!data) {
            failed++;
            continue;
        }
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        run++;
    }
    printf("replay: %d input%s replayed, %d unreadable\n", run,
           run == 1 ? "" : "s", failed);
    return failed ? 1 : 0;
}
