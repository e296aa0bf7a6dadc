/*
 * graft/version.h - the version of graft, in one place.  The Makefile
 * reads the three numbers from here for the shared library's soname and
 * the pkg-config file; the command line and every report and workbook
 * print graft_version().
 */
#ifndef GRAFT_VERSION_H
#define GRAFT_VERSION_H

#define GRAFT_VERSION_MAJOR 0
#define GRAFT_VERSION_MINOR 2
#define GRAFT_VERSION_PATCH 0

#define GRAFT_VERSION_STR_(x) #x
#define GRAFT_VERSION_STR(x) GRAFT_VERSION_STR_(x)
/* "MAJOR.MINOR.PATCH", as a string literal: the headers' version. */
#define GRAFT_VERSION                                                         \
    GRAFT_VERSION_STR(GRAFT_VERSION_MAJOR)                                    \
    "." GRAFT_VERSION_STR(GRAFT_VERSION_MINOR)                                \
    "." GRAFT_VERSION_STR(GRAFT_VERSION_PATCH)

/* The library's version, "MAJOR.MINOR.PATCH": the one it was built as,
 * which a program linked to a newer shared library may find differs from
 * the GRAFT_VERSION it was compiled with. */
const char *graft_version(void);

#endif
