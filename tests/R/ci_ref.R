# ci_ref.R - reference confidence intervals for the interval module
# (src/stats/ci.c, tests/test_ci.c).
#
# Run from the repository root:  Rscript tests/R/ci_ref.R
# Made with R 4.2.2 and R survey 4.1-1 (Debian r-cran-survey).  CI never runs
# R: the three CSV files it writes are committed.
#
# tests/ref/ci_ref.csv - survey-package checks.  One row per (design, domain,
#   method, level): svyciprop(~I(...), subset(design, domain), method = M,
#   level = L) for M in logit, mean, beta, asin, xlogit.  This is exactly what
#   svyby(~I(...), ~by, design, svyciprop, method = M) computes per domain
#   (svyby passes design[by == value, ], the same subset); one svyby call per
#   method is checked against the loop below.
#   Columns (numbers printed with sprintf("%.17g"); NaN as "NaN"):
#     case, domain   what was estimated, on which rows
#     method         graft's name: wald (R "mean"), logit, beta, asin, xlogit
#     p              coef(svymean(~as.numeric(I(...)), sub)): the plain ratio
#     se             sqrt of its variance (attr(, "var") of svyciprop)
#     df             degf(sub), the domain subset's degrees of freedom
#     n              nrow(sub), the rows in the domain
#     level          confidence level
#     r_lo, r_hi     R's svyciprop interval, as R prints it
#     lo, hi         what graft must return: R's interval where agree = 1;
#                    otherwise NaN (graft reports the interval undefined) or
#                    the formula value (see note)
#     agree          1: lo, hi are R's values; 0: graft deliberately differs
#     p_glm, se_glm  logit rows with 0 < p < 1 and se > 0 (else NaN): R's
#                    "logit" p, expit(coef(svyglm(y ~ 1))), and the svyglm
#                    standard error of the logit coefficient.  glm's
#                    convergence tolerance leaves p_glm off the ratio p by up
#                    to ~3e-8 (relative) for rare outcomes, so the test
#                    compares the logit interval from (p, se) with tolerance
#                    1e-7 and, exactly (1e-9), the one from (p_glm,
#                    se_glm p_glm (1 - p_glm)), which is R's computation
#     note           why graft differs, when agree = 0
#   Deliberate differences (agree = 0), all documented in include/graft/ci.h:
#     - zero-width intervals.  R gives [p, p] for method "mean" (and "logit")
#       when se = 0, e.g. p = 1 in a domain; graft reports the interval as
#       undefined (NaN bounds and a reason) instead.
#     - logit with df = 1.  R's confint.svyglm turns the t quantile into a
#       normal one through tlevel = 1 - 2 pnorm(qt(a/2, df)); with df = 1 the
#       tail is ~1e-37, tlevel rounds to 1 and R returns (0, NaN).  graft uses
#       the formula expit(logit(p) -/+ qt(1 - a/2, df) se / (p (1 - p))),
#       which is R's "xlogit" interval: lo, hi are that.
#     - asin folding.  R computes sin(theta -/+ t se_theta)^2 with no
#       clipping, so an angle past pi/2 (or below 0) folds back and the bound
#       moves towards p.  graft clips the angle to [0, pi/2] (bound 1 or 0):
#       lo, hi are the clipped formula values.
#
# tests/ref/ci_formula.csv - formula checks, NOT survey-package checks.  R
#   survey 4.1 has no wilson, jeffreys or kg-nchs method; these rows compute
#   the intervals directly from their formulas with R's qt/qbeta, on the same
#   (p, se, df, n, level) inputs as some ci_ref.csv rows plus hand-picked
#   cases (p = 0 or 1, n_eff above n):
#     kg-nchs   n* = min(n, n_eff (qt(a/2, n-1) / qt(a/2, df))^2), n_eff =
#               p (1-p) / se^2; n* = n when p is 0 or 1 (or se = 0);
#               [qbeta(a/2, n* p, n* (1-p) + 1),
#                qbeta(1-a/2, n* p + 1, n* (1-p))]
#               (CDC surveytable's svyciprop_adjusted, Parker et al. 2017)
#     jeffreys  n* as in R's "beta" (not capped); n* = n when p is 0 or 1;
#               [qbeta(a/2, n* p + 1/2, n* (1-p) + 1/2), qbeta(1-a/2, ...)],
#               lower 0 when p = 0, upper 1 when p = 1
#     wilson    m = n_eff (m = n when p is 0 or 1), t = qt(1 - a/2, df):
#               (p + t^2/(2m) -/+ t/(2m) sqrt(4 m p (1-p) + t^2)) / (1 + t^2/m)
#     beta      R's svyciprop "beta" formula, for the hand-picked rows only
#               (the large-n* ones test graft's beta quantile code paths)
#   Columns: case, method, p, se, df, n, level, lo, hi.
#
# tests/ref/ci_mean_ref.csv - means and totals: confint(svymean(~x, sub),
#   df = degf(sub), level = L) and the same for svytotal.
#   Columns: case, domain, kind (mean|total), est, se, df, level, lo, hi.
suppressPackageStartupMessages(library(survey))

data(api)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc,
                    data = apistrat)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)

fmt <- function(x) ifelse(is.nan(x) | is.na(x), "NaN", sprintf("%.17g", x))
expit <- function(x) exp(x) / (1 + exp(x))

methods <- c(wald = "mean", logit = "logit", beta = "beta", asin = "asin",
             xlogit = "xlogit")

# The interval graft must give, and whether it is R's (see the header).
graft_expect <- function(method, p, se, df, level, r_ci) {
    a <- 1 - level
    t <- qt(1 - a / 2, df)
    if (df <= 0 || !is.finite(se))
        return(list(ci = c(NaN, NaN), agree = all(is.nan(r_ci)), note = ""))
    if (se == 0 || (method %in% c("logit", "xlogit", "asin") &&
                    (p == 0 || p == 1)))
        return(list(ci = c(NaN, NaN), agree = all(is.nan(r_ci)),
                    note = paste("se = 0 or p = 0/1: graft reports undefined",
                                 "where R gives a zero-width interval")))
    if (method == "logit" && !all(is.finite(r_ci))) {
        hw <- t * se / (p * (1 - p))
        return(list(ci = expit(log(p / (1 - p)) + c(-hw, hw)), agree = FALSE,
                    note = paste("R logit fails at df = 1 (tlevel rounds to",
                                 "1): graft gives the xlogit formula")))
    }
    if (method == "asin") {
        th <- asin(sqrt(p)) + c(-1, 1) * t * se / (2 * sqrt(p * (1 - p)))
        if (th[1] < 0 || th[2] > pi / 2) {
            th <- pmin(pmax(th, 0), pi / 2)
            return(list(ci = sin(th)^2, agree = FALSE,
                        note = paste("R asin folds an angle outside 0..pi/2",
                                     "back: graft clips it")))
        }
    }
    list(ci = r_ci, agree = TRUE, note = "")
}

rows <- list()
add_domain <- function(case, domain, sub, expr, level) {
    f <- eval(bquote(~ .(expr)))
    m <- svymean(eval(bquote(~ as.numeric(.(expr)))), sub)
    p <- unname(coef(m)[1])
    se <- sqrt(unname(vcov(m)[1, 1]))
    df <- degf(sub)
    n <- nrow(sub)
    for (g in names(methods)) {
        r <- suppressWarnings(svyciprop(f, sub, method = methods[[g]],
                                        level = level))
        stopifnot(isTRUE(all.equal(sqrt(as.numeric(attr(r, "var"))), se)))
        r_ci <- as.numeric(attr(r, "ci"))
        e <- graft_expect(g, p, se, df, level, r_ci)
        # logit: R's own p and logit-scale se from svyglm (see the header).
        p_glm <- se_glm <- NaN
        if (g == "logit" && se > 0 && p > 0 && p < 1) {
            fit <- suppressWarnings(eval(bquote(
                svyglm(.(expr) ~ 1, sub, family = quasibinomial))))
            p_glm <- unname(coef(r)[1])
            se_glm <- unname(SE(fit)[1])
            stopifnot(isTRUE(all.equal(p_glm, expit(unname(coef(fit)[1])))))
        }
        rows[[length(rows) + 1]] <<- data.frame(
            case = case, domain = domain, method = g, p = fmt(p), se = fmt(se),
            df = fmt(df), n = n, level = fmt(level),
            r_lo = fmt(r_ci[1]), r_hi = fmt(r_ci[2]),
            lo = fmt(e$ci[1]), hi = fmt(e$ci[2]),
            agree = as.integer(e$agree), p_glm = fmt(p_glm),
            se_glm = fmt(se_glm), note = e$note,
            stringsAsFactors = FALSE)
    }
}

# Each domain of BY (a column name) in DESIGN, plus the whole design when
# ALL is TRUE.
add_case <- function(case, design, expr, by, level = 0.95, all = FALSE) {
    if (all) add_domain(case, "all", design, expr, level)
    vals <- sort(unique(as.character(design$variables[[by]])))
    for (v in vals) {
        sub <- design[as.character(design$variables[[by]]) == v, ]
        add_domain(case, sprintf("%s=%s", by, v), sub, expr, level)
    }
}

# apistrat: stratified by school type, 200 schools.
add_case("strat_schwide", dstrat, quote(I(sch.wide == "Yes")), "stype",
         all = TRUE)
add_case("strat_api700", dstrat, quote(I(api00 > 700)), "stype")
add_case("strat_both", dstrat, quote(I(both == "Yes")), "stype", all = TRUE)
add_case("strat_api850", dstrat, quote(I(api00 > 850)), "stype")  # H: 1 of 50
add_case("strat_api400", dstrat, quote(I(api00 > 400)), "stype")  # H, M: p = 1
# apiclus1: 15 districts; small counties with 1-3 districts (df 0-2),
# p = 1 with df 0, asin folding and R's logit failure at df 1.
add_case("clus1_schwide", dclus1, quote(I(sch.wide == "Yes")), "cname")
add_case("clus1_schwide_stype", dclus1, quote(I(sch.wide == "Yes")), "stype",
         all = TRUE)
add_case("clus1_api850", dclus1, quote(I(api00 > 850)), "stype")  # H, M: p = 0
# Level 0.90.
add_case("strat_schwide", dstrat, quote(I(sch.wide == "Yes")), "stype",
         level = 0.90, all = TRUE)
add_case("clus1_api700", dclus1, quote(I(api00 > 700)), "stype",
         level = 0.90, all = TRUE)

ref <- do.call(rbind, rows)

# svyby gives the same intervals as the subset loop (apistrat, sch.wide).
for (g in names(methods)) {
    b <- svyby(~I(sch.wide == "Yes"), ~stype, dstrat, svyciprop,
               method = methods[[g]], vartype = "ci")
    mine <- ref[ref$case == "strat_schwide" & ref$method == g &
                ref$level == fmt(0.95) & ref$domain != "all", ]
    stopifnot(isTRUE(all.equal(as.numeric(b$ci_l), as.numeric(mine$r_lo))),
              isTRUE(all.equal(as.numeric(b$ci_u), as.numeric(mine$r_hi))))
}

dir.create("tests/ref", showWarnings = FALSE)
write.table(ref, "tests/ref/ci_ref.csv", sep = ",", quote = FALSE,
            row.names = FALSE, col.names = TRUE)
cat(sprintf("tests/ref/ci_ref.csv: %d rows (%d differ from R on purpose)\n",
            nrow(ref), sum(ref$agree == 0)))

# ---- Formula checks: kg-nchs, jeffreys, wilson (not in R survey 4.1) ----

kg_ratio <- function(n, df, a) (qt(a / 2, n - 1) / qt(a / 2, df))^2

formula_ci <- function(method, p, se, df, n, level) {
    a <- 1 - level
    edge <- p == 0 || p == 1
    n_eff <- if (edge) n else p * (1 - p) / se^2
    if (method == "kg-nchs") {
        ns <- if (edge || se == 0) n else min(n, n_eff * kg_ratio(n, df, a))
        return(c(qbeta(a / 2, ns * p, ns * (1 - p) + 1),
                 qbeta(1 - a / 2, ns * p + 1, ns * (1 - p))))
    }
    if (method == "beta") {
        ns <- n_eff * kg_ratio(n, df, a)
        return(c(qbeta(a / 2, ns * p, ns * (1 - p) + 1),
                 qbeta(1 - a / 2, ns * p + 1, ns * (1 - p))))
    }
    if (method == "jeffreys") {
        ns <- if (edge) n else n_eff * kg_ratio(n, df, a)
        lo <- if (p == 0) 0 else qbeta(a / 2, ns * p + 0.5, ns * (1 - p) + 0.5)
        hi <- if (p == 1) 1
              else qbeta(1 - a / 2, ns * p + 0.5, ns * (1 - p) + 0.5)
        return(c(lo, hi))
    }
    stopifnot(method == "wilson")
    m <- n_eff
    t <- qt(1 - a / 2, df)
    centre <- p + t^2 / (2 * m)
    half <- t / (2 * m) * sqrt(4 * m * p * (1 - p) + t^2)
    c(centre - half, centre + half) / (1 + t^2 / m)
}

inputs <- unique(ref[ref$method == "wald" & ref$df != fmt(0) &
                     ref$se != fmt(0),
                     c("case", "domain", "p", "se", "df", "n", "level")])
inputs$case <- paste(inputs$case, inputs$domain, sep = ":")
inputs$domain <- NULL
# Hand-picked: p = 0 and 1 (se 0), n_eff above n (kg-nchs caps), tiny n.
# Large n* (both beta shapes above 1e5, or one near 1e7) exercise the
# quantile code paths where GSL's own inverse fails; these rows also get
# R's "beta" formula (= svyciprop's, by construction).
hand <- data.frame(
    case = c("p0_n40", "p1_n40", "p0_n72", "p1_n12_df3", "neff_above_n",
             "neff_above_n_l90", "small_n5", "high_entropy", "tiny_shape",
             "large_neff", "large_skewed", "large_l99"),
    p = fmt(c(0, 1, 0, 1, 0.3, 0.3, 0.4, 0.1234567, 0.004, 0.5, 0.001,
              0.37)),
    se = fmt(c(0, 0, 0, 0, 0.02, 0.02, 0.21, 0.0456789, 0.02, 1e-4, 1e-5,
               2e-4)),
    df = fmt(c(39, 39, 71, 3, 60, 60, 4, 17.5, 2, 1000, 5000, 300)),
    n = c(40, 40, 72, 12, 100, 100, 5, 64, 30, 2e7, 5e7, 1e7),
    level = fmt(c(0.95, 0.95, 0.95, 0.95, 0.95, 0.90, 0.95, 0.99, 0.95, 0.95,
                  0.95, 0.99)),
    stringsAsFactors = FALSE)
inputs$hand <- FALSE
hand$hand <- TRUE
inputs <- rbind(inputs, hand)

frows <- list()
for (i in seq_len(nrow(inputs))) {
    x <- inputs[i, ]
    ms <- c("kg-nchs", "jeffreys", "wilson")
    if (x$hand && x$se != fmt(0)) ms <- c(ms, "beta")
    for (g in ms) {
        ci <- formula_ci(g, as.numeric(x$p), as.numeric(x$se),
                         as.numeric(x$df), x$n, as.numeric(x$level))
        frows[[length(frows) + 1]] <- data.frame(
            case = x$case, method = g, p = x$p, se = x$se, df = x$df,
            n = sprintf("%.17g", x$n),
            level = x$level, lo = fmt(ci[1]), hi = fmt(ci[2]),
            stringsAsFactors = FALSE)
    }
}
form <- do.call(rbind, frows)
write.table(form, "tests/ref/ci_formula.csv", sep = ",", quote = FALSE,
            row.names = FALSE, col.names = TRUE)
cat(sprintf("tests/ref/ci_formula.csv: %d rows\n", nrow(form)))

# ---- Means and totals: confint(svymean / svytotal, df = degf(sub)) ----

mrows <- list()
add_mean <- function(case, design, var, by, level) {
    vals <- sort(unique(as.character(design$variables[[by]])))
    for (v in vals) {
        sub <- design[as.character(design$variables[[by]]) == v, ]
        for (kind in c("mean", "total")) {
            FUN <- if (kind == "mean") svymean else svytotal
            e <- FUN(reformulate(var), sub)
            ci <- confint(e, df = degf(sub), level = level)
            mrows[[length(mrows) + 1]] <<- data.frame(
                case = case, domain = sprintf("%s=%s", by, v), kind = kind,
                est = fmt(coef(e)[1]), se = fmt(SE(e)[1]),
                df = fmt(degf(sub)), level = fmt(level),
                lo = fmt(ci[1, 1]), hi = fmt(ci[1, 2]),
                stringsAsFactors = FALSE)
        }
    }
}
add_mean("strat_api00", dstrat, "api00", "stype", 0.95)
add_mean("strat_enroll", dstrat, "enroll", "stype", 0.90)
add_mean("clus1_api00", dclus1, "api00", "stype", 0.95)
add_mean("clus1_enroll", dclus1, "enroll", "cname", 0.95)
mean_ref <- do.call(rbind, mrows)
write.table(mean_ref, "tests/ref/ci_mean_ref.csv", sep = ",", quote = FALSE,
            row.names = FALSE, col.names = TRUE)
cat(sprintf("tests/ref/ci_mean_ref.csv: %d rows\n", nrow(mean_ref)))
