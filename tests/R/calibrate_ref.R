# calibrate_ref.R - reference calibrated weights from R's survey package
# for graft's calibration (tests/test_calibrate.c compares every weight).
#
# Run from the repository root:
#     Rscript tests/R/calibrate_ref.R
# Made with R survey 4.1-1 (Debian) and haven.  CI never runs R: the outputs
# are committed.  Reads the margins files of tests/data/margins/ (demo_*.csv,
# tun_r7_*.csv, written by hand: plausible, made-up population totals) and
# writes the api ones from R's apipop (api_*.csv: the counts of schools).
# Writes
#
#   tests/ref/calibrate_cases.csv
#       case, method (poststratify, rake, linear, logit, raking, trim),
#       lower, upper (bounds on g; trim: on the weights), strict (trim),
#       tolerance, max_iter (what R was given), n_margins, n_reps, source
#   tests/ref/calibrate_margins.csv
#       case, margin (1-based), cell (0-based), label, code, total: each
#       margin's cells in order; label is the cell as graft shows it
#       (crossed cells joined by '*'), code the SPSS code (tun_r7 cases)
#   tests/ref/calibrate_<case>.csv
#       row (1-based), w (the design weight), c1..cM (each row's cell of
#       each margin, 0-based), w_cal (R's calibrated weight); replicate
#       cases add r1..rR (R's replicate analysis weights before) and
#       cr1..crR (after).  tun_r7 cases: row and w_cal only (the data stay
#       in ../shared; the test reads them from there).
#
# R iterates tightly so that graft can be compared tightly: rake with
# control epsilon 1e-12 (below 1: times the sum of the weights) and maxit
# 1000, calibrate with epsilon 1e-12 and maxit 1000; graft is given the same
# tolerance and max_iter.
suppressPackageStartupMessages({
    library(survey)
    library(haven)
})
options(survey.replicates.mse = FALSE)

ref <- "tests/ref"
mdir <- "tests/data/margins"
afro <- "../shared/data/afrobarometer/tun_r7_data.sav"
TOL <- 1e-12
MAXIT <- 1000

fmt <- function(x) sprintf("%.17g", x)
cases <- list()
margins <- list()

# ---- margins ----------------------------------------------------------------

# A margin: vars, labels (cell labels, crossed joined by '*'), totals,
# codes, and pop: the data frame R's postStratify/rake/calibrate take.
read_margin <- function(file, levels_of) {
    m <- read.csv(file.path(mdir, file), check.names = FALSE,
                  stringsAsFactors = FALSE, colClasses = "character")
    vars <- setdiff(names(m), "total")
    pop <- m[vars]
    for (v in vars) pop[[v]] <- factor(pop[[v]], levels = levels_of[[v]])
    pop$Freq <- as.numeric(m$total)
    list(vars = vars, labels = do.call(paste, c(m[vars], sep = "*")),
         totals = pop$Freq, codes = NA, pop = pop)
}

write_api_margin <- function(vars) {
    t <- as.data.frame(table(apipop[vars]), stringsAsFactors = FALSE)
    names(t)[names(t) == "Freq"] <- "total"
    file <- paste0("api_", paste(vars, collapse = "_"), ".csv")
    write.csv(t, file.path(mdir, file), row.names = FALSE, quote = FALSE)
    file
}

cells_of <- function(data, m) {
    key <- do.call(paste, c(lapply(m$vars, function(v) as.character(data[[v]])),
                            sep = "*"))
    idx <- match(key, m$labels)
    stopifnot(!anyNA(idx))
    idx - 1L
}

# ---- output -----------------------------------------------------------------

add_case <- function(case, method, ms, source, lower = -Inf, upper = Inf,
                     strict = 0, n_reps = 0) {
    cases[[case]] <<- data.frame(case = case, method = method,
                                 lower = fmt(lower), upper = fmt(upper),
                                 strict = strict, tolerance = fmt(TOL),
                                 max_iter = MAXIT, n_margins = length(ms),
                                 n_reps = n_reps, source = source)
    for (i in seq_along(ms))
        margins[[paste(case, i)]] <<- data.frame(
            case = case, margin = i, cell = seq_along(ms[[i]]$labels) - 1,
            label = ms[[i]]$labels, code = ms[[i]]$codes,
            total = fmt(ms[[i]]$totals))
}

write_case <- function(case, data, w, ms, w_cal, rep = NULL, rep_cal = NULL,
                       cells = TRUE) {
    out <- data.frame(row = seq_along(w_cal))
    if (cells) {
        out$w <- fmt(w)
        for (i in seq_along(ms)) out[[paste0("c", i)]] <- cells_of(data, ms[[i]])
    }
    out$w_cal <- fmt(w_cal)
    if (!is.null(rep)) {
        for (r in seq_len(ncol(rep))) out[[paste0("r", r)]] <- fmt(rep[, r])
        for (r in seq_len(ncol(rep))) out[[paste0("cr", r)]] <- fmt(rep_cal[, r])
    }
    write.csv(out, file.path(ref, paste0("calibrate_", case, ".csv")),
              row.names = FALSE, quote = FALSE)
}

pops <- function(ms) lapply(ms, function(m) m$pop)
forms <- function(ms) lapply(ms, function(m)
    as.formula(paste("~", paste(m$vars, collapse = "+"))))

# One case of a method on DESIGN: R's weights after, written with the
# design weights and cells.
run_case <- function(case, method, design, ms, source, bounds = c(-Inf, Inf)) {
    w <- weights(design)
    out <- switch(method,
        poststratify = postStratify(design, forms(ms)[[1]], ms[[1]]$pop),
        rake = rake(design, forms(ms), pops(ms),
                    control = list(epsilon = TOL, maxit = MAXIT)),
        calibrate(design, forms(ms), pops(ms), calfun = method,
                  bounds = bounds, epsilon = TOL, maxit = MAXIT))
    add_case(case, method, ms, source, bounds[1], bounds[2])
    write_case(case, design$variables, w, ms, weights(out))
    cat(sprintf("%s: %d rows, g in [%.4f, %.4f]\n", case, length(w),
                min(weights(out) / w), max(weights(out) / w)))
    out
}

# A case where R's calibrate fails: the case's w_cal are NA.
fail_case <- function(case, method, design, ms, source, bounds) {
    r <- tryCatch(suppressWarnings(
        calibrate(design, forms(ms), pops(ms), calfun = method, bounds = bounds,
                  epsilon = TOL, maxit = MAXIT)), error = function(e) e)
    stopifnot(inherits(r, "error"))
    cat(sprintf("%s: R fails: %s\n", case, conditionMessage(r)))
    add_case(case, paste0(method, ":fails"), ms, source, bounds[1], bounds[2])
    write_case(case, design$variables, weights(design), ms,
               rep(NA_real_, nrow(design$variables)))
}

# ---- api --------------------------------------------------------------------

data(api)
api_levels <- list(stype = levels(apipop$stype),
                   sch.wide = levels(apipop$sch.wide),
                   comp.imp = levels(apipop$comp.imp),
                   awards = levels(apipop$awards))
api_m <- function(...) read_margin(write_api_margin(c(...)), api_levels)
m_stype <- api_m("stype")
m_sch <- api_m("sch.wide")
m_comp <- api_m("comp.imp")
m_awards <- api_m("awards")
m_stype_sch <- api_m("stype", "sch.wide")

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat,
                    fpc = ~fpc)

invisible(run_case("ps_clus1_stype", "poststratify", dclus1, list(m_stype), "apiclus1"))
invisible(run_case("ps_strat_stype", "poststratify", dstrat, list(m_stype), "apistrat"))
invisible(run_case("ps_clus1_cross", "poststratify", dclus1, list(m_stype_sch), "apiclus1"))
invisible(run_case("rake_clus1", "rake", dclus1, list(m_stype, m_sch), "apiclus1"))
invisible(run_case("rake_strat", "rake", dstrat, list(m_stype, m_sch), "apistrat"))
invisible(run_case("rake_clus1_3", "rake", dclus1, list(m_stype, m_sch, m_comp),
         "apiclus1"))
invisible(run_case("rake_strat_3", "rake", dstrat, list(m_sch, m_comp, m_awards),
         "apistrat"))
invisible(run_case("rake_clus1_cross", "rake", dclus1, list(m_stype_sch, m_comp),
         "apiclus1"))
three <- list(m_stype, m_sch, m_comp)
invisible(run_case("linear_clus1", "linear", dclus1, three, "apiclus1"))
invisible(run_case("linear_strat", "linear", dstrat, list(m_sch, m_comp, m_awards),
         "apistrat"))
invisible(run_case("linear_clus1_cross", "linear", dclus1, list(m_stype_sch, m_comp),
         "apiclus1"))
invisible(run_case("linear_bounds_clus1", "linear", dclus1, three, "apiclus1",
         c(0.6, 1.8)))
invisible(run_case("logit_clus1", "logit", dclus1, three, "apiclus1", c(0.6, 1.8)))
invisible(run_case("logit_strat", "logit", dstrat, list(m_sch, m_comp, m_awards),
         "apistrat", c(0.3, 10)))
invisible(run_case("raking_clus1", "raking", dclus1, three, "apiclus1"))
invisible(run_case("raking_bounds_clus1", "raking", dclus1, three, "apiclus1",
         c(0.62, 1.85)))
# Weights of 1 against population counts: grake rescales the weights
# (every total above 20 times its sample total), the bounds then apply to
# g after rescaling.
apiclus1$one <- 1
dclus1u <- svydesign(id = ~dnum, weights = ~one, data = apiclus1)
invisible(suppressWarnings(run_case("raking_clus1_unweighted", "raking",
                                    dclus1u, three, "apiclus1")))
invisible(suppressWarnings(run_case("logit_clus1_unweighted", "logit",
                                    dclus1u, three, "apiclus1", c(0.6, 1.8))))
# A margin that is a function of another (level: stype renamed): the model
# matrix is rank deficient; R's grake solves through MASS::ginv (R's
# regcalibrate, used for linear without bounds, would stop: singular).
lv <- c(E = "elementary", H = "high", M = "middle")
apiclus1$level <- factor(lv[as.character(apiclus1$stype)], levels = lv)
dclus1l <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
m_level <- {
    apipop$level <- factor(lv[as.character(apipop$stype)], levels = lv)
    api_levels$level <- lv
    api_m("level")
}
invisible(run_case("raking_clus1_collinear", "raking", dclus1l,
                   list(m_stype, m_sch, m_level), "apiclus1"))
invisible(run_case("linear_bounds_collinear", "linear", dclus1l,
                   list(m_level, m_sch, m_stype), "apiclus1", c(0.1, 10)))
# Bounds R cannot meet: R's calibrate stops ("Calibration failed"); graft
# must fail too.
fail_case("fail_linear_bounds", "linear", dclus1, three, "apiclus1", c(0.6, 1.7))
fail_case("fail_raking_bounds", "raking", dclus1, three, "apiclus1", c(0.6, 1.8))
fail_case("fail_logit_bounds", "logit", dclus1, three, "apiclus1", c(0.7, 1.5))

# Six rows, one margin, one cell's total far above its sample total: R's
# raking Newton steps (intercept and contrasts) converge at 500 but diverge
# at 1000 (no bounds; R: "Calibration failed").
tiny <- data.frame(w = c(10, 12, 9, 11, 14, 8),
                   a = factor(c("x", "x", "y", "y", "z", "z")))
dtiny <- svydesign(ids = ~1, weights = ~w, data = tiny)
tiny_m <- function(t1) list(vars = "a", labels = c("x", "y", "z"),
                            totals = c(t1, 20, 22), codes = NA,
                            pop = data.frame(a = factor(c("x", "y", "z")),
                                             Freq = c(t1, 20, 22)))
invisible(run_case("raking_far", "raking", dtiny, list(tiny_m(500)), "six rows"))
fail_case("fail_raking_far", "raking", dtiny, list(tiny_m(1000)), "six rows",
          c(-Inf, Inf))

# ---- trimWeights --------------------------------------------------------------

trim_case <- function(case, design, lower, upper, strict, source) {
    out <- trimWeights(design, upper = upper, lower = lower, strict = strict)
    add_case(case, "trim", list(), source, lower, upper, strict = as.integer(strict))
    write_case(case, design$variables, weights(design), list(), weights(out))
    cat(sprintf("%s: %d weights outside\n", case,
                sum(weights(design) < lower | weights(design) > upper)))
}

# ---- the demo survey ----------------------------------------------------------

demo <- read.csv("surveys/demo/round1.csv")
demo_levels <- list(zone = c("North", "North East", "Central", "West", "South",
                             "Capital"),
                    sex = c("Male", "Female"),
                    age_group = c("18-29", "30-44", "45-59", "60+"))
for (v in names(demo_levels))
    demo[[v]] <- factor(demo[[v]], levels = seq_along(demo_levels[[v]]),
                        labels = demo_levels[[v]])
ddemo <- svydesign(ids = ~ea, strata = ~stratum, weights = ~weight, nest = TRUE,
                   data = demo)
dm <- lapply(c("demo_zone.csv", "demo_sex.csv", "demo_age_group.csv"),
             read_margin, levels_of = demo_levels)
invisible(run_case("rake_demo", "rake", ddemo, dm, "surveys/demo/round1.csv"))
invisible(run_case("linear_demo", "linear", ddemo, dm, "surveys/demo/round1.csv"))
invisible(run_case("logit_demo", "logit", ddemo, dm, "surveys/demo/round1.csv", c(0.9, 1.15)))

trim_case("trim_strat", dstrat, 18, 40, FALSE, "apistrat")
trim_case("trim_demo", ddemo, 1000, 6000, FALSE, "surveys/demo/round1.csv")
trim_case("trim_demo_strict", ddemo, 1000, 6000, TRUE, "surveys/demo/round1.csv")
trim_case("trim_demo_upper", ddemo, -Inf, 5000, TRUE, "surveys/demo/round1.csv")

# ---- replicate weights: apiclus1 as JK1 -------------------------------------

rep_case <- function(case, method, ms, bounds = c(-Inf, Inf)) {
    rep <- as.svrepdesign(dclus1, type = "JK1", compress = FALSE)
    out <- switch(method,
        poststratify = postStratify(rep, forms(ms)[[1]], ms[[1]]$pop),
        rake = rake(rep, forms(ms), pops(ms),
                    control = list(epsilon = TOL, maxit = MAXIT)),
        calibrate(rep, forms(ms), pops(ms), calfun = method, bounds = bounds,
                  epsilon = TOL, maxit = MAXIT, compress = FALSE))
    rw <- weights(rep, "analysis")
    add_case(case, method, ms, "apiclus1 jk1", bounds[1], bounds[2],
             n_reps = ncol(rw))
    write_case(case, apiclus1, weights(rep, "sampling"), ms,
               weights(out, "sampling"), rw, weights(out, "analysis"))
    cat(sprintf("%s: %d replicates\n", case, ncol(rw)))
}
rep_case("rep_ps", "poststratify", list(m_stype))
rep_case("rep_rake", "rake", list(m_stype, m_sch))
rep_case("rep_linear", "linear", list(m_stype, m_sch))
rep_case("rep_logit", "logit", list(m_stype, m_sch), c(0.5, 2.2))

# ---- Afrobarometer Tunisia R7 (when ../shared is there) -----------------------

if (file.exists(afro)) {
    a <- read_sav(afro)
    lab <- function(x) names(attr(x, "labels"))[match(x, attr(x, "labels"))]
    afro_levels <- list(REGION = names(attr(a$REGION, "labels")),
                        Q101 = c("Male", "Female"),
                        URBRUR = c("Urban", "Rural"))
    ad <- data.frame(REGION = factor(lab(a$REGION), afro_levels$REGION),
                     Q101 = factor(lab(a$Q101), afro_levels$Q101),
                     URBRUR = factor(lab(a$URBRUR), afro_levels$URBRUR),
                     w = as.numeric(a$withinwt))
    dafro <- svydesign(ids = ~1, weights = ~w, data = ad)
    am <- lapply(c("tun_r7_region.csv", "tun_r7_gender.csv", "tun_r7_urbrur.csv"),
                 read_margin, levels_of = afro_levels)
    for (i in seq_along(am)) {
        v <- am[[i]]$vars
        labs <- attr(a[[v]], "labels")
        am[[i]]$codes <- unname(labs[match(am[[i]]$labels, names(labs))])
    }
    afro_case <- function(case, method, ms, bounds = c(-Inf, Inf)) {
        out <- switch(method,
            rake = rake(dafro, forms(ms), pops(ms),
                        control = list(epsilon = TOL, maxit = MAXIT)),
            calibrate(dafro, forms(ms), pops(ms), calfun = method,
                      bounds = bounds, epsilon = TOL, maxit = MAXIT))
        add_case(case, method, ms, "tun_r7_data.sav", bounds[1], bounds[2])
        write_case(case, ad, weights(dafro), ms, weights(out), cells = FALSE)
        cat(sprintf("%s: %d rows\n", case, nrow(ad)))
    }
    afro_case("tun_r7_rake", "rake", am)
    afro_case("tun_r7_raking", "raking", am[1:2])
    afro_case("tun_r7_linear", "linear", am)
} else {
    cat("SKIP tun_r7 cases: ../shared/data/afrobarometer is absent\n")
    old <- file.path(ref, "calibrate_cases.csv")
    if (file.exists(old)) {
        keep <- read.csv(old, colClasses = "character")
        keep <- keep[startsWith(keep$case, "tun_r7"), ]
        for (i in seq_len(nrow(keep))) cases[[keep$case[i]]] <- keep[i, ]
        km <- read.csv(file.path(ref, "calibrate_margins.csv"),
                       colClasses = "character")
        margins[["tun_r7"]] <- km[startsWith(km$case, "tun_r7"), ]
    }
}

write.csv(do.call(rbind, cases), file.path(ref, "calibrate_cases.csv"),
          row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, margins), file.path(ref, "calibrate_margins.csv"),
          row.names = FALSE, quote = FALSE)
