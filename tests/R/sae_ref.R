# sae_ref.R - reference fits for `graft sae` (tests/test_sae.c): the
# Fay-Herriot model by REML, ML and the FH moment method, EBLUP, gamma and
# the MSE of the sae package's mseFH, written out in plain R in
# tests/R/sae_fh.R (the sae package is not installed).
#
# Run from the repository root:  Rscript tests/R/sae_ref.R
# Writes tests/ref/sae_areas.csv (case, area, direct, psi, n, estimate,
# mse, gamma, synthetic) and tests/ref/sae_model.csv (case, term, value:
# sigma2u, loglik, iterations, then per coefficient its estimate and
# "se:" its standard error).  CI never runs R.
#
# Cases:
#   milk_reml, milk_ml, milk_fh  the sae package's milk data (43 areas,
#       tests/data/sae/milk.csv), yi ~ as.factor(MajorArea), psi = SD^2:
#       Molina and Marhuenda (2015, The R Journal 7/1, p. 92) publish
#       sigma_u^2 = 0.0186 by REML, checked here at the package's default
#       precision 1e-4 and at 1e-13.
#   milk_reml_out  areas 5 and 20 without a variance: left out of the fit,
#       their estimates synthetic (x' beta, MSE x' Q x + sigma_u^2).
#   milk_zero_reml, milk_zero_fh  psi = 3 SD^2: sigma_u^2 is estimated
#       at 0, every EBLUP is the synthetic estimate.
#   demo_*  the demo survey, round 1 (surveys/demo), paid_police among
#       contact_police by zone, direct estimates by svyby(svymean) as graft
#       estimate computes them (strata stratum, PSU ea, nest, lonely PSU
#       adjust, codes 8 and 9 missing), covariates
#       surveys/demo/zone_covariates.csv, ~ urban_share + literacy.
#   demo_smoothed  the same, psi_d = c p(1 - p) / n_d with p the overall
#       estimate and c = sum(v_d) / sum(p(1 - p) / n_d) (docs/sae.md).
#   demo_synth  covariates tests/data/sae/demo_zones_extra.csv, with a
#       seventh zone that is not in the sample: synthetic.
#   tun_r8_*  Afrobarometer Tunisia Round 8 by REGION (7 regions), paid
#       among contacts (five services), strata REGION x URBRUR, each row
#       a PSU, covariates tests/data/sae/tun_regions_r7.csv (from Round 7,
#       made by this script): skipped when ../shared is absent.
suppressPackageStartupMessages({
    library(survey)
    library(haven)
})
source("tests/R/sae_fh.R")

out_areas <- "tests/ref/sae_areas.csv"
out_model <- "tests/ref/sae_model.csv"
afro_dir <- "../shared/data/afrobarometer"
num17 <- function(x) sprintf("%.17g", x)

area_rows <- list()
model_rows <- list()

# Record CASE: the fit FIT of the areas AREAS (direct Y, variances PSI, n
# N), and synthetic areas SYN (names) with covariate rows XS.
record <- function(case, areas, y, psi, n, fit, syn = character(0),
                   xs = NULL) {
    cat(sprintf("%-16s sigma2u %.10g  iterations %d  loglik %.10g\n", case,
                fit$sigma2u, fit$iterations, fit$loglik))
    stopifnot(fit$converged)
    infit <- is.finite(psi) & psi > 0
    est <- rep(NA_real_, length(y))
    mse <- rep(NA_real_, length(y))
    gam <- rep(0, length(y))
    est[infit] <- fit$eblup
    mse[infit] <- fit$mse
    gam[infit] <- fit$gamma
    if (any(!infit)) {
        s <- fh_synthetic(fit, fit$Xall[!infit, , drop = FALSE])
        est[!infit] <- s$estimate
        mse[!infit] <- s$mse
    }
    area_rows[[length(area_rows) + 1]] <<- data.frame(
        case = case, area = areas, direct = num17(y), psi = num17(psi),
        n = n, estimate = num17(est), mse = num17(mse), gamma = num17(gam),
        synthetic = as.integer(!infit), stringsAsFactors = FALSE)
    if (length(syn)) {
        s <- fh_synthetic(fit, xs)
        area_rows[[length(area_rows) + 1]] <<- data.frame(
            case = case, area = syn, direct = "", psi = "", n = 0,
            estimate = num17(s$estimate), mse = num17(s$mse),
            gamma = num17(0), synthetic = 1L, stringsAsFactors = FALSE)
    }
    terms <- names(fit$beta)
    model_rows[[length(model_rows) + 1]] <<- data.frame(
        case = case,
        term = c("sigma2u", "loglik", "iterations", terms,
                 paste0("se:", terms)),
        value = num17(c(fit$sigma2u, fit$loglik, fit$iterations, fit$beta,
                        fit$beta_se)), stringsAsFactors = FALSE)
}

# The fit of the areas with a positive finite variance; Xall keeps every
# area's row for the synthetic ones.
fit_areas <- function(y, psi, X, method) {
    infit <- is.finite(psi) & psi > 0
    f <- fh_fit(y[infit], psi[infit], X[infit, , drop = FALSE], method)
    f$Xall <- X
    f
}

# ------------------------------------------------------------ (a) milk

milk <- read.csv("tests/data/sae/milk.csv")
Xm <- model.matrix(~ as.factor(MajorArea), milk)
colnames(Xm) <- c("(Intercept)", "MajorArea2", "MajorArea3", "MajorArea4")
published <- fh_fit(milk$yi, milk$SD^2, Xm, "REML", precision = 1e-4)
cat(sprintf("milk REML at the package's precision 1e-4: sigma2u %.6f\n",
            published$sigma2u))
stopifnot(sprintf("%.4f", published$sigma2u) == "0.0186")
for (meth in c("REML", "ML", "FH"))
    record(paste0("milk_", tolower(meth)), milk$SmallArea, milk$yi,
           milk$SD^2, milk$ni, fit_areas(milk$yi, milk$SD^2, Xm, meth))
stopifnot(sprintf("%.4f", fit_areas(milk$yi, milk$SD^2, Xm,
                                    "REML")$sigma2u) == "0.0186")
psi_out <- milk$SD^2
psi_out[c(5, 20)] <- NA
record("milk_reml_out", milk$SmallArea, milk$yi, psi_out, milk$ni,
       fit_areas(milk$yi, psi_out, Xm, "REML"))
for (meth in c("REML", "FH")) {
    f <- fit_areas(milk$yi, 3 * milk$SD^2, Xm, meth)
    stopifnot(f$sigma2u == 0)
    record(paste0("milk_zero_", tolower(meth)), milk$SmallArea, milk$yi,
           3 * milk$SD^2, milk$ni, f)
}

# ---------------------------------------------------------------- write

dir.create("tests/ref", showWarnings = FALSE)
write.csv(do.call(rbind, area_rows), out_areas, row.names = FALSE,
          quote = FALSE)
write.csv(do.call(rbind, model_rows), out_model, row.names = FALSE,
          quote = FALSE)
cat(sprintf("%s, %s written\n", out_areas, out_model))
