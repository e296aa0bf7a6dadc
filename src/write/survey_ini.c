/*
 * survey_ini.c - pieces of the survey files graft writes beside its data
 * outputs (write/survey_ini.h).
 */
#include "write/survey_ini.h"
#include "graft/labels.h"

#include <stdlib.h>
#include <string.h>

/* The shortest %.Ng (N = 15..17) that reads back as X. */
char *graft_shortest_number(double x, char *buf, size_t size)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    return buf;
}

/* VALUE on one line: newlines become spaces (inih would read a
 * continuation line as a second entry). */
void graft_ini_text(FILE *fp, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, fp);
}

void graft_ini_column_missing(FILE *fp, const graft_read_opts_t *read,
                              const char *name, int *header)
{
    const graft_missing_spec_t *own = NULL, *all = NULL;
    char num[64];
    for (size_t i = 0; i < read->n_missing; i++) {
        const graft_missing_spec_t *m = &read->missing[i];
        if (!m->column)
            all = m;
        else if (strcmp(m->column, name) == 0)
            own = m;
    }
    for (size_t k = 0; all && k < read->n_exempt; k++)
        if (strcmp(read->exempt[k], name) == 0)
            all = NULL;
    if ((!own || !own->n_codes) && (!all || !all->n_codes))
        return;
    if (!*header)
        fputs("\n[missing]\n", fp);
    *header = 1;
    fprintf(fp, "%s = ", name);
    size_t n = 0;
    for (int s = 0; s < 2; s++) {
        const graft_missing_spec_t *m = s ? all : own;
        for (size_t i = 0; m && i < m->n_codes; i++)
            fprintf(fp, "%s%s", n++ ? ", " : "",
                    graft_shortest_number(m->codes[i], num, sizeof num));
    }
    fputc('\n', fp);
}

void graft_ini_column_labels(FILE *fp, const graft_column_t *col)
{
    size_t n = graft_labelset_count(col->labels);
    char num[64];
    if (!n)
        return;
    fputs("\n[labels.", fp);
    graft_ini_text(fp, col->name);
    fputs("]\n", fp);
    for (size_t i = 0; i < n; i++) {
        int is_str = 0;
        double code = 0;
        const char *str = NULL;
        const char *label =
            graft_labelset_entry(col->labels, i, &is_str, &code, &str);
        graft_ini_text(fp, is_str ? str : graft_shortest_number(code, num, sizeof num));
        fputs(" = ", fp);
        graft_ini_text(fp, label);
        fputc('\n', fp);
    }
}
