/*
 * version.c - graft_version(): the library's own version string.
 */
#include "graft/version.h"

const char *graft_version(void)
{
    return GRAFT_VERSION;
}
