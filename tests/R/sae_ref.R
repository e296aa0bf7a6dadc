# sae_ref.R - reference fits for `graft sae` (tests/test_sae.c): the
# Fay-Herriot model by REML, ML and the FH moment method, EBLUP, gamma and
# the MSE of the sae package's mseFH, written out in plain R in
# tests/R/sae_fh.R (the sae package is not installed).
#
# Run from the repository root:  Rscript tests/R/sae_ref.R
# Writes tests/ref/sae_areas.csv (case, area, direct, psi, n, estimate,
# mse, gamma, synthetic, resid_std: (y - x'beta) / sqrt(sigma_u^2 + psi)) and tests/ref/sae_model.csv (case, term, value:
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
#   demo_reml, demo_fh, demo_ml  the demo survey, round 1 (surveys/demo),
#       paid_any among contact_any by zone, direct estimates by
#       svyby(svymean) as graft estimate computes them (strata stratum,
#       PSU ea, nest, lonely PSU adjust, codes 8 and 9 missing), covariates
#       surveys/demo/zone_covariates.csv (illustrative numbers),
#       ~ urban_share + literacy (ML: ~ literacy, see below).
#   demo_zero  paid_police among contact_police: sigma_u^2 = 0.
#   demo_p0, demo_p0_smoothed  paid_any == 1 and zone != 6: the Capital's
#       direct estimate is 0 with variance 0, left out of the fit (its
#       estimate synthetic), or with smoothed variances in it.
#   demo_smoothed  the same, psi_d = c p(1 - p) / n_d with p the overall
#       estimate and c = sum(v_d) / sum(p(1 - p) / n_d) (docs/sae.md).
#   demo_synth  covariates tests/data/sae/demo_zones_extra.csv (zones by
#       code), with a seventh zone that is not in the sample: synthetic.
#   tun_r8_reml, tun_r8_fh, tun_r8_urban_reml  Afrobarometer Tunisia
#       Round 8 by REGION (7 regions), paid among contacts (five services),
#       strata REGION x URBRUR, each row a PSU, covariates
#       tests/data/sae/tun_regions_r7.csv (Round 7 by region, made by this
#       script): ~ r7_paid, and ~ r7_paid + r7_urban; skipped when
#       ../shared is absent.
#   apiclus1_rep_reml  a JK1 replicate design (see (d) below).
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
    rs <- rep(NA_real_, length(y))
    rs[infit] <- (y[infit] - fit$xb) / sqrt(fit$sigma2u + psi[infit])
    if (any(!infit)) {
        s <- fh_synthetic(fit, fit$Xall[!infit, , drop = FALSE])
        est[!infit] <- s$estimate
        mse[!infit] <- s$mse
    }
    area_rows[[length(area_rows) + 1]] <<- data.frame(
        case = case, area = areas, direct = num17(y), psi = num17(psi),
        n = n, estimate = num17(est), mse = num17(mse), gamma = num17(gam),
        synthetic = as.integer(!infit), resid_std = num17(rs),
        stringsAsFactors = FALSE)
    if (length(syn)) {
        s <- fh_synthetic(fit, xs)
        area_rows[[length(area_rows) + 1]] <<- data.frame(
            case = case, area = syn, direct = "", psi = "", n = 0,
            estimate = num17(s$estimate), mse = num17(s$mse),
            gamma = num17(0), synthetic = 1L, resid_std = "NA",
            stringsAsFactors = FALSE)
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

# ------------------------------------------------------------- (b) demo

# Direct estimates of the share where Y is TRUE among DOM by AREA, as
# graft estimate computes them: svymean in the domain (R's subset(), every
# PSU stays in the design), per area; n the rows in the domain.
direct_by <- function(des, d, y, dom, area) {
    d$gy <- as.numeric(y)
    d$gdom <- !is.na(dom) & dom & !is.na(y)
    des <- update(des, gy = d$gy, gdom = d$gdom)
    sub <- subset(des, gdom)
    r <- svyby(~gy, as.formula(paste0("~", area)), sub, svymean)
    all <- svymean(~gy, sub)
    list(area = r[[area]], y = coef(r), v = SE(r)^2,
         n = as.vector(table(d[[area]][d$gdom])[as.character(r[[area]])]),
         p_all = coef(all)[[1]])
}

demo <- read.csv("surveys/demo/round1.csv", stringsAsFactors = FALSE)
for (v in grep("^(contact|paid)_", names(demo), value = TRUE))
    demo[[v]][demo[[v]] %in% c(8, 9)] <- NA
options(survey.lonely.psu = "adjust")
demo_des <- svydesign(ids = ~ea, strata = ~stratum, weights = ~weight,
                      nest = TRUE, data = demo)
zone_labels <- c("North", "North East", "Central", "West", "South",
                 "Capital")
zcov <- read.csv("surveys/demo/zone_covariates.csv",
                 stringsAsFactors = FALSE)

# The demo cases of indicator Y among DOM by zone on covariates COV (rows
# in zone order 1..6, then extra synthetic areas).
demo_case <- function(case, y, dom, method, cov = zcov, smoothed = FALSE,
                      vars = c("urban_share", "literacy")) {
    dr <- direct_by(demo_des, demo, y, dom, "zone")
    psi <- dr$v
    if (smoothed) {
        v <- dr$p_all * (1 - dr$p_all)
        ok <- is.finite(psi) & psi > 0
        c <- sum(psi[ok]) / sum(v / dr$n[ok])
        cat(sprintf("%s: smoothed variances c = %.10g\n", case, c))
        psi <- c * v / dr$n
    }
    X <- cbind("(Intercept)" = 1, as.matrix(cov[, vars, drop = FALSE]))
    k <- length(dr$y)
    f <- fit_areas(dr$y, psi, X[1:k, , drop = FALSE], method)
    extra <- if (nrow(cov) > k) (k + 1):nrow(cov) else integer(0)
    record(case, zone_labels[dr$area], dr$y, psi, dr$n, f,
           syn = as.character(cov$zone[extra]),
           xs = X[extra, , drop = FALSE])
}
paid_any <- with(demo, paid_any == 1)
contact_any <- with(demo, contact_any == 1)
# ML on both covariates: Fisher scoring from the median of psi steps below
# -min(psi) and fails, in the sae package's algorithm as in graft (which
# says it did not converge): ML is checked on literacy alone.
for (meth in c("REML", "FH"))
    demo_case(paste0("demo_", tolower(meth)), paid_any, contact_any, meth)
demo_case("demo_ml", paid_any, contact_any, "ML", vars = "literacy")
demo_case("demo_smoothed", paid_any, contact_any, "REML", smoothed = TRUE)
demo_case("demo_synth", paid_any, contact_any, "REML",
          cov = read.csv("tests/data/sae/demo_zones_extra.csv",
                         stringsAsFactors = FALSE))
demo_case("demo_zero", with(demo, paid_police == 1),
          with(demo, contact_police == 1), "REML")
paid_p0 <- with(demo, paid_any == 1 & zone != 6)
demo_case("demo_p0", paid_p0, contact_any, "REML")
demo_case("demo_p0_smoothed", paid_p0, contact_any, "REML", smoothed = TRUE)

# ------------------------------------------------------- (c) Afrobarometer

in_range <- function(x, lo, hi) x >= lo & x <= hi
any_of <- function(d, items, lo, hi)
    Reduce(`|`, lapply(items, function(q) in_range(d[[q]], lo, hi)))
tun <- function(r) file.path(afro_dir, paste0("tun_", r, "_data.sav"))
region_labels <- c("1580" = "Great Tunis", "1581" = "North East",
                   "1582" = "North West", "1583" = "Center East",
                   "1584" = "Center West", "1585" = "South East",
                   "1586" = "South West")
if (!file.exists(tun("r7")) || !file.exists(tun("r8"))) {
    message("sae_ref.R: ", afro_dir, " is absent: cases tun_r8_* skipped")
} else {
    afro_design <- function(d, w) {
        d$st <- interaction(d$REGION, d$URBRUR, drop = TRUE)
        svydesign(ids = ~1, strata = ~st, weights = reformulate(w), data = d)
    }
    options(survey.lonely.psu = "fail")
    # The covariates: Round 7 (2018) by region, weighted: the share who
    # paid among contacts (six services) and the urban share.
    d7 <- as.data.frame(zap_labels(read_sav(tun("r7"))))
    i7 <- c("Q49C", "Q49G", "Q49K", "Q49N", "Q49R", "Q49T")
    des7 <- afro_design(d7, "withinwt")
    p7 <- direct_by(des7, d7, any_of(d7, i7, 1, 3), any_of(d7, i7, 0, 3),
                    "REGION")
    u7 <- svyby(~I(URBRUR == 1), ~REGION, des7, svymean)
    cov <- data.frame(REGION = region_labels[as.character(p7$area)],
                      r7_paid = sprintf("%.6f", p7$y),
                      r7_urban = sprintf("%.6f", coef(u7)[seq_along(p7$y) * 2]))
    write.csv(cov, "tests/data/sae/tun_regions_r7.csv", row.names = FALSE,
              quote = FALSE)
    cov <- read.csv("tests/data/sae/tun_regions_r7.csv",
                    stringsAsFactors = FALSE)
    d8 <- as.data.frame(zap_labels(read_sav(tun("r8"))))
    i8 <- c("Q44C", "Q44F", "Q44I", "Q44L", "Q44N")
    dr <- direct_by(afro_design(d8, "withinwt_hh"), d8, any_of(d8, i8, 1, 3),
                    any_of(d8, i8, 0, 3), "REGION")
    stopifnot(all(region_labels[as.character(dr$area)] == cov$REGION))
    X1 <- cbind("(Intercept)" = 1, r7_paid = cov$r7_paid)
    X2 <- cbind(X1, r7_urban = cov$r7_urban)
    # ML is left out: its sigma_u^2 creeps towards 0 (1.7e-5 after 100
    # steps) and never meets a relative change of 1e-13.
    for (meth in c("REML", "FH"))
        record(paste0("tun_r8_", tolower(meth)), cov$REGION, dr$y, dr$v,
               dr$n, fit_areas(dr$y, dr$v, X1, meth))
    record("tun_r8_urban_reml", cov$REGION, dr$y, dr$v, dr$n,
           fit_areas(dr$y, dr$v, X2, "REML"))
}

# ------------------------------------------- (d) a replicate design

# apiclus1's 15 JK1 replicates (tests/data/r/apiclus1_rep_jk1.csv), scale
# given on both sides, mean api00 by county: most counties lie in one
# district (one PSU), so every replicate gives them the same mean and
# their SE is 0 or rounding noise (4e-13): graft takes an SE at most 1e-9
# of the estimate as 0, and such areas are left out of the fit.  The
# covariate x (tests/data/sae/apiclus1_counties.csv) is random, made for
# the test.
ap <- read.csv("tests/data/r/apiclus1_rep_jk1.csv", stringsAsFactors = FALSE,
               colClasses = c(cds = "character"))
ap_des <- svrepdesign(data = ap, weights = ~pw,
                      repweights = "repw[0-9]+", type = "JK1",
                      scale = 0.9148745, mse = FALSE)
ap_by <- svyby(~api00, ~cname, ap_des, svymean)
ap_se <- SE(ap_by)
ap_psi <- ifelse(ap_se <= 1e-9 * abs(coef(ap_by)), 0, ap_se^2)
ap_cov <- read.csv("tests/data/sae/apiclus1_counties.csv",
                   stringsAsFactors = FALSE)
stopifnot(all(ap_cov$cname == ap_by$cname))
record("apiclus1_rep_reml", ap_by$cname, coef(ap_by), ap_psi,
       as.vector(table(ap$cname)[ap_by$cname]),
       fit_areas(coef(ap_by), ap_psi, cbind("(Intercept)" = 1, x = ap_cov$x),
                 "REML"))

# ---------------------------------------------------------------- write

dir.create("tests/ref", showWarnings = FALSE)
write.csv(do.call(rbind, area_rows), out_areas, row.names = FALSE,
          quote = FALSE)
write.csv(do.call(rbind, model_rows), out_model, row.names = FALSE,
          quote = FALSE)
cat(sprintf("%s, %s written\n", out_areas, out_model))
