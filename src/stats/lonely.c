/*
 * lonely.c - the lonely-PSU policy (R survey options(survey.lonely.psu),
 * survey 4.5): names, the error under fail, and what each policy does to a
 * stratum's variance contribution.  See stats/lonely.h.
 */
#include "stats/lonely.h"
#include "base/names.h"

#include <math.h>

static const char *const lonely_names[] = {"fail", "remove", "certainty",
                                           "adjust", "average"};

int graft_lonely_parse(const char *name, graft_lonely_t *out)
{
    size_t i;
    if (!GRAFT_NAMES_FIND(lonely_names, 0, name, &i))
        return 0;
    *out = (graft_lonely_t)i;
    return 1;
}

const char *graft_lonely_name(graft_lonely_t lonely)
{
    return GRAFT_NAMES_AT(lonely_names, lonely);
}

graft_error_t graft_lonely_check(graft_lonely_t policy, const char *file,
                                 const char *stratum, graft_diag_t *diag)
{
    if (policy != GRAFT_LONELY_FAIL)
        return GRAFT_OK;
    return graft_diag_set(diag, GRAFT_ERR_LONELY_PSU, file, 0, 0,
                          "stratum '%s' has a single PSU; choose --lonely-psu "
                          "remove, certainty, adjust or average",
                          stratum);
}

/* R survey 4.5 onestrat(): 'adjust' centres a lone PSU at the average PSU
 * total of the design passed to the variance (R 4.1 centred at 0). */
double graft_lonely_var(graft_lonely_t policy, double f, double s1,
                        double zbar)
{
    if (policy != GRAFT_LONELY_ADJUST)
        return 0.0;
    double dz = s1 - zbar;
    return (1 - f) * dz * dz;
}

/* R survey 4.5 svyrecvar(): 'average' multiplies by the number of strata
 * over the number with more than one PSU. */
double graft_lonely_total(graft_lonely_t policy, double V, size_t H_dom,
                          size_t H_ok)
{
    if (policy == GRAFT_LONELY_AVERAGE && H_ok < H_dom)
        return H_ok ? V * (double)H_dom / (double)H_ok : NAN;
    return V;
}

int graft_lonely_jk_replicate(graft_lonely_t policy)
{
    return policy == GRAFT_LONELY_ADJUST;
}

/* survey:::jknweights: scale * length(unique(psu)) / replicates. */
double graft_lonely_jk_scale(graft_lonely_t policy, size_t n_psu, size_t R)
{
    if (policy == GRAFT_LONELY_AVERAGE && R < n_psu)
        return (double)n_psu / (double)R;
    return 1.0;
}
