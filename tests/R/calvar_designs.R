# calvar_designs.R - the calibrated designs of calvar_ref.R and
# quantile_cal_ref.R, built once: api data post-stratified, raked,
# calibrated (linear, bounded linear, logit, raking) and trimmed after
# raking, and the demo survey's round 1 raked by zone, sex and age group.
# Sourced from the repository root, after library(survey) and data(api);
# defines designs, base (each design before calibration), lonely (the
# cases' lonely-PSU policies), demo, demo_r and ddemo.

rake_tight <- list(maxit = 1000, epsilon = 1e-13)

# ---------------------------------------------------------------- designs

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat,
                    fpc = ~fpc)
dlonely <- svydesign(id = ~1, strata = ~interaction(stype, yr.rnd, drop = TRUE),
                     weights = ~pw, data = apistrat)
pop_tab <- function(f) as.data.frame(xtabs(f, apipop))
pop_stype <- pop_tab(~stype)
pop_schwide <- pop_tab(~sch.wide)
pop_awards <- pop_tab(~awards)
pop_stype_awards <- pop_tab(~stype + awards)
N <- nrow(apipop)
tot <- function(f, levels) {
    v <- c(N, vapply(levels, function(l) {
        parts <- strsplit(l, "=")[[1]]
        sum(apipop[[parts[1]]] == parts[2])
    }, 0))
    names(v) <- c("(Intercept)", sub("=", "", levels))
    v
}
pop_ss <- tot(~stype + sch.wide, c("stype=H", "stype=M", "sch.wide=Yes"))
pop_sa <- tot(~stype + awards, c("stype=H", "stype=M", "awards=Yes"))
pop_ssa <- tot(~stype + sch.wide + awards,
               c("stype=H", "stype=M", "sch.wide=Yes", "awards=Yes"))

designs <- list()
designs$ps_clus1 <- postStratify(dclus1, ~stype, pop_stype)
designs$ps_strat_cross <- postStratify(dstrat, ~stype + awards,
                                       pop_stype_awards)
designs$rake_clus1 <- rake(dclus1, list(~stype, ~sch.wide),
                           list(pop_stype, pop_schwide), control = rake_tight)
designs$rake3_strat <- rake(dstrat, list(~stype, ~sch.wide, ~awards),
                            list(pop_stype, pop_schwide, pop_awards),
                            control = rake_tight)
designs$linear_clus1 <- calibrate(dclus1, ~stype + sch.wide, pop_ss)
designs$linear_bounds_strat <- calibrate(dstrat, ~stype + awards, pop_sa,
                                         bounds = c(0.885, 1.108),
                                         epsilon = 1e-13, maxit = 500)
designs$logit_clus1 <- calibrate(dclus1, ~stype + sch.wide, pop_ss,
                                 calfun = "logit", bounds = c(0.7, 1.7),
                                 epsilon = 1e-13, maxit = 500)
designs$raking_strat <- calibrate(dstrat, ~stype + sch.wide + awards,
                                  pop_ssa, calfun = "raking",
                                  epsilon = 1e-13, maxit = 500)
designs$ps_lonely <- postStratify(dlonely, ~sch.wide, pop_schwide)
raked <- rake(dclus1, list(~stype, ~sch.wide), list(pop_stype, pop_schwide),
              control = rake_tight)
designs$trim_clus1 <- trimWeights(raked, upper = 60)
stopifnot(sum(weights(raked) > 60) > 0)

base <- list(ps_clus1 = dclus1, ps_strat_cross = dstrat, rake_clus1 = dclus1,
             rake3_strat = dstrat, linear_clus1 = dclus1,
             linear_bounds_strat = dstrat, logit_clus1 = dclus1,
             raking_strat = dstrat, ps_lonely = dlonely,
             trim_clus1 = dclus1)
lonely <- list(ps_lonely = "average")

# The bounds bind (else the bounded cases test nothing more).
g_of <- function(case) weights(designs[[case]]) / weights(base[[case]])
stopifnot(abs(min(g_of("linear_bounds_strat")) - 0.885) < 1e-9,
          abs(max(g_of("linear_bounds_strat")) - 1.108) < 1e-9,
          max(g_of("logit_clus1")) > 1.5)

# ---------------------------------------------------------------- the demo

demo <- read.csv("surveys/demo/round1.csv")
demo_na <- c("contact_police", "paid_police", "contact_courts", "paid_courts",
             "contact_tax", "paid_tax", "contact_health", "paid_health",
             "contact_education", "paid_education", "contact_land",
             "paid_land", "contact_utilities", "paid_utilities",
             "contact_permits", "paid_permits", "contact_any", "paid_any")
demo_r <- demo
for (v in demo_na) demo_r[[v]][demo_r[[v]] %in% c(8, 9)] <- NA
ddemo <- svydesign(id = ~ea, strata = ~stratum, weights = ~weight,
                   nest = TRUE, data = demo_r)
# Made-up population margins: weighted shares tilted, one grand total.
demo_pop <- function(v, tilt) {
    t <- svytable(reformulate(v), ddemo)
    p <- as.vector(t) / sum(t) * tilt
    p <- p / sum(p) * 5.2e6
    df <- data.frame(names(t), Freq = round(p))
    names(df)[1] <- v
    df$Freq[1] <- df$Freq[1] + 5.2e6 - sum(df$Freq) # exact grand total
    df
}
pop_zone <- demo_pop("zone", c(1.06, 0.94, 1.03, 0.97, 1.08, 0.92))
pop_sex <- demo_pop("sex", c(0.97, 1.03))
pop_age <- demo_pop("age_group", c(1.10, 1.02, 0.95, 0.88))
for (p in list(pop_zone, pop_sex, pop_age)) print(p)
designs$rake_demo <- rake(ddemo, list(~zone, ~sex, ~age_group),
                          list(pop_zone, pop_sex, pop_age),
                          control = rake_tight)
base$rake_demo <- ddemo
lonely$rake_demo <- "certainty"
