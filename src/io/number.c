/*
 * number.c - graft_parse_number(), the exported form of number.h.
 */
#include "graft/reader.h"
#include "io/number.h"

int graft_parse_number(const char *s, size_t len, double *out)
{
    return graft_number_parse(s, len, out);
}
