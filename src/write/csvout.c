/*
 * csvout.c - RFC 4180 field quoting for every CSV graft writes.
 */
#include "write/csvout.h"

#include <string.h>

void graft_csv_field(FILE *fp, const char *s, int sep)
{
    if (sep)
        fputc(',', fp);
    if (!s || !*s)
        return;
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' ||
                s[n - 1] == ' ';
    if (!quote) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', fp);
        fputc(*p, fp);
    }
    fputc('"', fp);
}
