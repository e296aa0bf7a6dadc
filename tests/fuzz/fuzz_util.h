/*
 * fuzz_util.h - helpers of the fuzz targets whose code under test reads a
 * path, not a buffer: one private folder per process (under /dev/shm when
 * it is writable, else $TMPDIR or /tmp), removed at exit, and a function
 * that writes the fuzzed bytes to a named file in it.  Header-only, so
 * that each target stays one .c file for `make fuzz` and its replay.
 */
#ifndef GRAFT_FUZZ_UTIL_H
#define GRAFT_FUZZ_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graft/error.h"

static char fuzz_dir_path[256];

static inline void fuzz_check(int ok, const char *target, const char *what)
{
    if (!ok) {
        fprintf(stderr, "%s: contract broken: %s\n", target, what);
        abort();
    }
}

/* A loader of an INI file (survey, analysis) failed with RC: only with the
 * codes it documents, with the code and a message in DIAG, and NOTHING set
 * when it returns no object. */
static inline void fuzz_check_failed_load(const char *target, graft_error_t rc,
                                          const graft_diag_t *diag,
                                          int nothing, const char *what)
{
    fuzz_check(rc == GRAFT_ERR_OPEN || rc == GRAFT_ERR_SURVEY_FILE ||
                   rc == GRAFT_ERR_NOMEM,
               target, "load fails only with OPEN, SURVEY_FILE or NOMEM");
    fuzz_check(diag->code == rc && diag->msg[0], target,
               "the diagnostic holds the code and a message");
    fuzz_check(nothing, target, what);
}

/* Fold N bytes at P into the FNV-1a hash *H (start from the offset basis
 * 14695981039346656037): a digest of everything a read delivered, to
 * compare two reads of the same input. */
static inline void fuzz_hash(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= s[i];
        *h *= 1099511628211u; /* FNV-1a 64-bit prime */
    }
}

/* Remove every file of the folder (it holds no subfolder), then it. */
static inline void fuzz_dir_remove(void)
{
    DIR *d = opendir(fuzz_dir_path);
    struct dirent *e;
    char path[512];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", fuzz_dir_path, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(fuzz_dir_path);
}

/* The process's folder, made on first use; aborts when none can be made. */
static inline const char *fuzz_dir(void)
{
    if (fuzz_dir_path[0])
        return fuzz_dir_path;
    const char *tmp = getenv("TMPDIR");
    const char *bases[] = {"/dev/shm", tmp && *tmp ? tmp : "/tmp", "/tmp"};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path,
                 "%s/graft_fuzz_XXXXXX", bases[i]);
        if (mkdtemp(fuzz_dir_path)) {
            atexit(fuzz_dir_remove);
            return fuzz_dir_path;
        }
    }
    fprintf(stderr, "fuzz: cannot make a temporary folder\n");
    abort();
}

/* The path of NAME in the process's folder, in BUF of SIZE bytes. */
static inline const char *fuzz_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", fuzz_dir(), name);
    return buf;
}

/* Write DATA (SIZE bytes) to NAME in the process's folder and return its
 * path (in BUF); aborts when the write fails. */
static inline const char *fuzz_write(char *buf, size_t bufsize, const char *name,
                              const uint8_t *data, size_t size)
{
    FILE *fp = fopen(fuzz_path(buf, bufsize, name), "wb");
    if (!fp || (size && fwrite(data, 1, size, fp) != size) || fclose(fp)) {
        fprintf(stderr, "fuzz: cannot write %s\n", buf);
        abort();
    }
    return buf;
}

#endif
