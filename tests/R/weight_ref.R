# weight_ref.R - reference weights from R's survey package for
# `graft weight` end to end (tests/test_weight.c).
#
# Run from the repository root:
#     Rscript tests/R/weight_ref.R
# Made with R survey 4.1-1 (Debian).  CI never runs R: the outputs are
# committed.  The script writes
#
#   tests/ref/weight_demo.csv
#       surveys/demo/round1.csv (design: id = ~ea, strata = ~stratum,
#       weights = ~weight, nest = TRUE) calibrated to the margins of
#       surveys/demo/margins/ (zone.csv, sex.csv, age_group.csv), one row
#       per data row: id, then the weights of
#         ps         postStratify(~zone)
#         rake       rake(~zone, ~sex, ~age_group), tight control
#         linear     calibrate(~zone + sex + age_group, calfun = "linear")
#         linear_b   the same with bounds = c(0.93, 1.14) (they bind: 312 rows)
#         raking     calibrate(..., calfun = "raking")
#         logit      calibrate(..., calfun = "logit", bounds = c(0.9, 1.2))
#         rake_trim  rake, then trimWeights(lower = 1000, upper = 7000)
#         trim       trimWeights(lower = 1000, upper = 7000) of the design
#         ps_cross   postStratify(~sex + urban) to tests/data/weight/
#                    sex_urban.csv (crossed cells, in another order)
#       numbers with sprintf("%.17g")
#   tests/ref/weight_stats.csv
#       which, n, sum, min, median, max, mean, cv, kish_n, deff of the
#       design weights and of the raked ones (cv with the population sd:
#       deff = 1 + cv^2 = n sum w^2 / (sum w)^2, kish_n = (sum w)^2 / sum w^2)
#   tests/ref/weight_rep.csv
#       tests/data/r/apiclus1_rep_jk1.csv as svrepdesign(weights = ~pw,
#       repweights = "repw[0-9]+", type = "JK1", combined.weights = TRUE)
#       postStratify(~stype) to E 4421, H 755, M 1018: row, pw_cal,
#       repw1_cal .. repw15_cal (weights(., "analysis"))
#   tests/ref/weight_estimate.csv
#       statistic, value: the raked design's svymean(~I(paid_any == 1),
#       na.rm = TRUE) (codes 8, 9 missing), and its SE (the
#       calibration-adjusted linearization variance; lonely PSUs certainty)
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")

ref <- "tests/ref"
g <- function(x) sprintf("%.17g", x)

d <- read.csv("surveys/demo/round1.csv")
d$zone <- factor(d$zone, levels = 1:6,
                 labels = c("North", "North East", "Central", "West",
                            "South", "Capital"))
d$sex <- factor(d$sex, levels = 1:2, labels = c("Male", "Female"))
d$urban <- factor(d$urban, levels = 1:2, labels = c("Urban", "Rural"))
d$age_group <- factor(d$age_group, levels = 1:4,
                      labels = c("18-29", "30-44", "45-59", "60+"))
for (v in c("paid_any", "contact_any"))
    d[[v]][d[[v]] %in% c(8, 9)] <- NA

m <- "surveys/demo/margins"
pz <- read.csv(file.path(m, "zone.csv"), check.names = FALSE)
ps <- read.csv(file.path(m, "sex.csv"), check.names = FALSE)
pa <- read.csv(file.path(m, "age_group.csv"), check.names = FALSE)
names(pz)[2] <- names(ps)[2] <- names(pa)[2] <- "Freq"

des <- svydesign(id = ~ea, strata = ~stratum, weights = ~weight, nest = TRUE,
                 data = d)

d_ps <- postStratify(des, ~zone, pz)
d_rake <- rake(des, list(~zone, ~sex, ~age_group), list(pz, ps, pa),
               control = list(maxit = 1000, epsilon = 1e-12, verbose = FALSE))

# calibrate's population: the intercept (N) and the cells of each margin
# but its first (R's model matrix of ~zone + sex + age_group)
N <- sum(pz$Freq)
pop <- c(N, pz$Freq[-1], ps$Freq[-1], pa$Freq[-1])
cal <- function(calfun, bounds = c(-Inf, Inf))
    calibrate(des, ~zone + sex + age_group, population = pop,
              calfun = calfun, bounds = bounds, maxit = 1000,
              epsilon = 1e-13)
d_lin <- cal("linear")
d_lin_b <- cal("linear", c(0.93, 1.14))
d_raking <- cal("raking")
d_logit <- cal("logit", c(0.9, 1.2))
d_rt <- trimWeights(d_rake, lower = 1000, upper = 7000)
d_t <- trimWeights(des, lower = 1000, upper = 7000)
psu <- read.csv("tests/data/weight/sex_urban.csv")
names(psu)[3] <- "Freq"
d_psx <- postStratify(des, ~sex + urban, psu)

out <- data.frame(id = d$id,
                  ps = g(weights(d_ps)), rake = g(weights(d_rake)),
                  linear = g(weights(d_lin)), linear_b = g(weights(d_lin_b)),
                  raking = g(weights(d_raking)), logit = g(weights(d_logit)),
                  rake_trim = g(weights(d_rt)), trim = g(weights(d_t)),
                  ps_cross = g(weights(d_psx)))
write.csv(out, file.path(ref, "weight_demo.csv"), row.names = FALSE,
          quote = FALSE)

stats <- function(which, w) {
    n <- length(w)
    deff <- n * sum(w^2) / sum(w)^2
    data.frame(which = which, n = n, sum = g(sum(w)), min = g(min(w)),
               median = g(median(w)), max = g(max(w)), mean = g(mean(w)),
               cv = g(sqrt(deff - 1)), kish_n = g(sum(w)^2 / sum(w^2)),
               deff = g(deff))
}
write.csv(rbind(stats("design", weights(des)),
                stats("rake", weights(d_rake))),
          file.path(ref, "weight_stats.csv"), row.names = FALSE, quote = FALSE)

a <- read.csv("tests/data/r/apiclus1_rep_jk1.csv")
rep <- svrepdesign(data = a, repweights = "repw[0-9]+", weights = ~pw,
                   type = "JK1", combined.weights = TRUE, scale = 14 / 15)
pst <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
rp <- postStratify(rep, ~stype, pst)
rw <- weights(rp, "analysis")
ro <- data.frame(row = seq_len(nrow(a)), pw_cal = g(weights(rp, "sampling")))
for (r in seq_len(ncol(rw)))
    ro[[paste0("repw", r, "_cal")]] <- g(rw[, r])
write.csv(ro, file.path(ref, "weight_rep.csv"), row.names = FALSE,
          quote = FALSE)

# the demo has a stratum with one PSU: "certainty" (R 4.1-1's "adjust"
# differs from graft's, which follows survey 4.5)
options(survey.lonely.psu = "certainty")
est <- svymean(~I(paid_any == 1), d_rake, na.rm = TRUE)
write.csv(data.frame(statistic = c("estimate", "se"),
                     value = g(c(coef(est)[[2]], SE(est)[[2]]))),
          file.path(ref, "weight_estimate.csv"), row.names = FALSE,
          quote = FALSE)
