# calvar_ref.R - reference estimates from R's survey package on calibrated
# designs (postStratify, rake, calibrate with calfun linear, logit and
# raking, trimWeights after rake), for the calibration-adjusted linearized
# variance of `graft estimate` on a survey file with [calibration].
#
# Run from the repository root, after tests/R/export_r_data.R:
#     Rscript tests/R/calvar_ref.R
# Made with R 4.2.2, survey 4.1-1.  CI never runs R: every output is
# committed.  Writes:
#   tests/data/calvar/CASE.csv  the data with the design weight (dw, R's
#                  weights() of the design before calibration), the
#                  calibrated weight (wcal; wtrim when trimmed after it)
#   tests/ref/calvar_cases.csv  one row per indicator: case, survey (the
#                  hand-written tests/data/calvar/*.ini naming that data and
#                  its [calibration]), type, expr, among, by, ci, level, df
#   tests/ref/calvar_ref.csv    R's answer per indicator and domain, as
#                  tests/ref/estimate_ref.csv (see estimate_ref.R): case,
#                  domain, estimate, se, ci_low, ci_high, df, n, weighted_n
# A calibrated domain is des[domain, ] (R keeps the other rows with weight
# 0, so the calibration residuals run over every row: svyrecvar), its df
# degf() of that subset.  Proportions: ci = wald is svyciprop(method =
# "mean") (checked against est -/+ qt se); ci = logit is svyciprop's logit
# interval in closed form, expit(logit(p) -/+ qt(df) se / (p (1 - p))), at
# svymean's p and se (estimate_ref.R checks that form against svyglm).
# Means and totals: confint(..., df = degf(sub)).
#
# R iterates in rake (IPF) and in calibrate's grake (logit, raking,
# bounded linear): both are run to convergence far below the tests' 1e-9
# (rake: epsilon 1e-13 of the weight total, so that every margin's
# post-stratified weights, which svyrecvar uses, equal the final ones;
# grake: epsilon 1e-13).  Population totals: R's apipop (the population the
# api samples come from); the demo survey's margins are made up: the
# weighted sample shares, tilted by a few per cent (kept below).
suppressPackageStartupMessages(library(survey))

out_dir <- "tests/data/calvar"
out_cases <- "tests/ref/calvar_cases.csv"
out_ref <- "tests/ref/calvar_ref.csv"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
data(api)

num17 <- function(x) sprintf("%.17g", x)
fmt_value <- function(v) if (is.numeric(v)) format(v, digits = 15) else
    as.character(v)
csv_field <- function(x) {
    x <- as.character(x)
    x[is.na(x)] <- ""
    need <- grepl("[\",\n\r]", x)
    x[need] <- paste0("\"", gsub("\"", "\"\"", x[need]), "\"")
    x
}
write_csv_plain <- function(df, path) {
    cols <- lapply(df, function(v) if (is.double(v)) {
        s <- num17(v); s[is.na(v)] <- ""; s } else csv_field(v))
    lines <- c(paste(csv_field(names(df)), collapse = ","),
               do.call(paste, c(cols, sep = ",")))
    writeLines(lines, path)
}

source("tests/R/calvar_designs.R")

# ---------------------------------------------------------------- columns

api_cols <- c("cds", "stype", "sch.wide", "awards", "comp.imp", "yr.rnd",
              "api00", "enroll", "meals", "dnum", "fpc")

# The same, lonely PSUs adjusted (the demo's own setting): R 4.5's centre,
# by hand on R's residuals (var45 below).
designs$rake_demo_adjust <- designs$rake_demo
base$rake_demo_adjust <- ddemo
lonely$rake_demo_adjust <- "adjust"
stopifnot(any(tapply(demo$ea, demo$stratum,
                       function(x) length(unique(x))) == 1))

# ---------------------------------------------------------------- Afrobarometer

# Tunisia R7 (../shared/data/afrobarometer, not copied into the
# repository): strata REGION x URBRUR, each row a PSU, raked to made-up
# margins of REGION and sex (Q101).  Only the weights are committed
# (tests/ref/calvar_tun_r7_weights.csv: dw, wcal in the file's row order);
# test_calvar.c writes the columns it needs from the .sav file beside them
# into a CSV named by tests/data/calvar/tun_r7_raked.ini.
afro_path <- "../shared/data/afrobarometer/tun_r7_data.sav"
afro_items <- c("Q49C", "Q49G", "Q49K", "Q49N", "Q49R", "Q49T")
if (file.exists(afro_path)) {
    suppressPackageStartupMessages(library(haven))
    afro <- as.data.frame(zap_labels(read_sav(afro_path)))
    dafro <- svydesign(id = ~1, strata = ~interaction(REGION, URBRUR,
                                                      drop = TRUE),
                       weights = ~withinwt, data = afro)
    tn <- 8.9e6 # made-up adult population
    pop_region <- data.frame(REGION = 1580:1586,
                             Freq = tn * c(0.235, 0.135, 0.105, 0.215,
                                           0.135, 0.095, 0.080))
    pop_q101 <- data.frame(Q101 = 1:2, Freq = tn * c(0.49, 0.51))
    designs$tun_r7_raked <- rake(dafro, list(~REGION, ~Q101),
                                 list(pop_region, pop_q101),
                                 control = rake_tight)
    base$tun_r7_raked <- dafro
} else {
    message("calvar_ref.R: ", afro_path, " is absent: tun_r7_raked skipped")
}

# ---------------------------------------------------------------- indicators

cases <- list()
# DESIGN's next indicator, case DESIGN_k (k = 1, 2, ...).
add <- function(design, type, expr, r_y, among = "", r_among = NULL, by = "",
                ci = "wald") {
    k <- sum(vapply(cases, function(x) x$design == design, TRUE)) + 1
    cases[[length(cases) + 1]] <<- list(
        case = paste0(design, "_", k), design = design,
        survey = file.path(out_dir, paste0(design, ".ini")), type = type,
        expr = expr, r_y = r_y, among = among, r_among = r_among, by = by,
        ci = ci, level = "0.95", df = "domain")
}
api_set <- function(case) {
    add(case, "mean", "api00", function(d) d$api00, by = "awards")
    add(case, "total", "enroll", function(d) d$enroll, by = "stype")
    add(case, "prop", "sch.wide == 'Yes'", function(d) d$sch.wide == "Yes",
        by = "yr.rnd")
    add(case, "prop", "awards == 'Yes'", function(d) d$awards == "Yes",
        ci = "logit", by = "stype")
    add(case, "mean", "meals", function(d) d$meals,
        among = "api00 > 600", r_among = function(d) d$api00 > 600)
}
for (case in names(designs))
    if (!(case %in% c("rake_demo", "rake_demo_adjust", "tun_r7_raked")))
        api_set(case)
pd <- function(col) function(d) d[[col]] == 1
add("rake_demo", "prop", "paid_police == 1", pd("paid_police"),
    among = "contact_police == 1", r_among = pd("contact_police"),
    by = "zone")
add("rake_demo", "prop", "paid_any == 1", pd("paid_any"),
    among = "contact_any == 1", r_among = pd("contact_any"), by = "sex",
    ci = "logit")
add("rake_demo", "mean", "amount", function(d) d$amount,
    among = "paid_any == 1", r_among = pd("paid_any"), by = "age_group")
add("rake_demo", "total", "contact_any", function(d) d$contact_any,
    by = "urban")
add("rake_demo_adjust", "prop", "paid_any == 1", pd("paid_any"),
    among = "contact_any == 1", r_among = pd("contact_any"), by = "zone")
add("rake_demo_adjust", "total", "contact_any", function(d) d$contact_any,
    by = "urban")
add("rake_demo_adjust", "mean", "amount", function(d) d$amount,
    among = "paid_any == 1", r_among = pd("paid_any"))
in_range <- function(x, lo, hi) x >= lo & x <= hi
any_of <- function(lo, hi) list(
    expr = sprintf("any(%s)", paste(sprintf("%s in %d..%d", afro_items, lo,
                                            hi), collapse = ", ")),
    r = function(d) Reduce(`|`, lapply(afro_items, function(q)
        in_range(d[[q]], lo, hi))))
if (!is.null(designs$tun_r7_raked)) {
    paid <- any_of(1, 3)
    contact <- any_of(0, 3)
    add("tun_r7_raked", "prop", paid$expr, paid$r, among = contact$expr,
        r_among = contact$r, by = "REGION", ci = "logit")
    add("tun_r7_raked", "prop", "Q101 == 2", function(d) d$Q101 == 2,
        by = "URBRUR")
}

# ---------------------------------------------------------------- run

# The calibration residuals of the weighted influence X: svyrecvar's own
# loop over design$postStrata (survey 4.1.1), copied.
cal_resid <- function(x, postStrata) {
    x <- as.matrix(x)
    for (psvar in postStrata) {
        if (inherits(psvar, "greg_calibration")) {
            stopifnot(psvar$stage == 0)
            x <- as.matrix(qr.resid(psvar$qr, x / psvar$w) * psvar$w)
        } else if (inherits(psvar, "raking")) {
            for (iterations in 1:10) for (margin in psvar) {
                psw <- attr(margin, "weights")
                x <- x - psw * apply(x / psw, 2, ave, margin)
            }
        } else {
            psw <- attr(psvar, "weights")
            oldw <- attr(psvar, "oldweights")
            zeroes <- which(psw == 0 & oldw == 0)
            if (length(zeroes)) psw[zeroes] <- 1
            psvar <- as.factor(psvar)
            psmeans <- rowsum(x * oldw / psw, psvar, reorder = TRUE) /
                as.vector(by(oldw, psvar, sum))
            x <- x - psmeans[match(psvar, sort(unique(psvar))), ] * psw
        }
    }
    x[, 1]
}

# R 4.5's linearized variance of the scores Z of the design SUB (survey's
# arma_onestage, as tests/R/estimate_ref.R's var45, single stage, no fpc):
# a single-PSU stratum adds (z_h - zbar)^2 under adjust, zbar = sum(z) over
# the sum of n_h of the strata present (a calibrated subset keeps every
# row, so every stratum), nothing under certainty.  R 4.1.1 centres such a
# PSU at 0 instead; graft follows 4.5.
var45 <- function(z, sub, lonely) {
    h <- as.character(sub$strata[, 1])
    psu <- as.character(sub$cluster[, 1])
    nh <- sub$fpc$sampsize[, 1]
    first <- !duplicated(h)
    zbar <- if (lonely == "adjust") sum(z) / sum(nh[first]) else 0
    v <- 0
    for (s in h[first]) {
        i <- h == s
        zt <- tapply(z[i], psu[i], sum)
        n <- nh[i][1]
        if (n == 1 && lonely != "adjust") next
        centre <- if (n == 1) zbar else sum(zt) / n
        v <- v + n / (if (n > 1) n - 1 else 1) * sum((zt - centre)^2)
    }
    v
}

one_domain <- function(cs, des, sel) {
    sub <- des[sel, ]
    df <- degf(sub)
    level <- 0.95
    t <- qt(1 - (1 - level) / 2, df)
    if (cs$type == "total") {
        m <- svytotal(~gy, sub)
    } else {
        m <- svymean(~gy, sub)
    }
    est <- unname(coef(m))
    se <- unname(SE(m))[1]
    lonely <- getOption("survey.lonely.psu")
    if (lonely %in% c("adjust", "certainty")) {
        w <- weights(sub)
        y <- sub$variables$gy
        x <- if (cs$type == "total") w * y else w * (y - est) / sum(w)
        v45 <- var45(cal_resid(x, sub$postStrata), sub, lonely)
        if (lonely == "certainty") # the hand residuals are R's
            stopifnot(isTRUE(all.equal(v45, se^2, tolerance = 1e-10)))
        else
            se <- sqrt(v45)
    }
    if (cs$type == "prop" && cs$ci == "wald" && lonely != "adjust") {
        cp <- svyciprop(~gy, sub, method = "mean", df = df)
        ci <- as.numeric(attr(cp, "ci"))
        stopifnot(isTRUE(all.equal(ci, est + c(-1, 1) * t * se,
                                   tolerance = 1e-12)))
    } else if (cs$type == "prop" && cs$ci == "logit") {
        ci <- plogis(qlogis(est) + c(-1, 1) * t * se / (est * (1 - est)))
    } else {
        ci <- est + c(-1, 1) * t * se # confint(m, df = df)
        stopifnot(lonely == "adjust" || isTRUE(all.equal(
            ci, as.numeric(confint(m, df = df)), tolerance = 1e-12)))
    }
    # A domain whose proportion is 1 has SE 0 and R's interval is [1, 1];
    # graft gives no interval when the SE is 0 (its flag says so: ci.c),
    # so the reference says NaN there.  (An estimate the calibration fixes,
    # a margin cell's share, has SE 0 only up to rounding, ~1e-17, in R
    # and graft alike: compared as they are.)
    if (se == 0) ci <- c(NaN, NaN)
    list(estimate = est, se = se, ci_low = ci[1], ci_high = ci[2], df = df,
         n = sum(sel), weighted_n = sum(weights(sub)))
}

ref_rows <- list()
for (cs in cases) {
    des <- designs[[cs$design]]
    old <- options(survey.lonely.psu = if (is.null(lonely[[cs$design]]))
        "fail" else lonely[[cs$design]])
    d <- des$variables
    y <- cs$r_y(d)
    among <- if (is.null(cs$r_among)) rep(TRUE, nrow(d)) else cs$r_among(d)
    dom <- !is.na(among) & among & !is.na(y)
    y <- as.numeric(y)
    y[!dom] <- 0           # outside the domain: weight 0, value unused
    des$variables$gy <- y
    res <- list(c(domain = "All", one_domain(cs, des, dom)))
    if (cs$by != "") {
        levels <- sort(unique(d[[cs$by]][dom]))
        for (v in levels) {
            sel <- dom & d[[cs$by]] == v
            res[[length(res) + 1]] <- c(domain = fmt_value(v),
                                        one_domain(cs, des, sel))
        }
        # svyby on the calibrated design gives the same estimates and SEs
        fn <- if (cs$type == "total") svytotal else svymean
        sb <- svyby(~gy, reformulate(cs$by), des[dom, ], fn)
        stopifnot(getOption("survey.lonely.psu") == "adjust" ||
                  isTRUE(all.equal(unname(SE(sb)),
                                   vapply(res[-1], `[[`, 0, "se"),
                                   tolerance = 1e-10)))
    }
    options(old)
    for (x in res)
        ref_rows[[length(ref_rows) + 1]] <- data.frame(
            case = cs$case, domain = x$domain,
            estimate = num17(x$estimate), se = num17(x$se),
            ci_low = num17(x$ci_low), ci_high = num17(x$ci_high),
            df = num17(x$df), n = num17(x$n),
            weighted_n = num17(x$weighted_n), stringsAsFactors = FALSE)
}

# ---------------------------------------------------------------- output

for (design in names(designs)) {
    des <- designs[[design]]
    if (design == "tun_r7_raked") {
        write_csv_plain(data.frame(dw = weights(base[[design]]),
                                   wcal = weights(des)),
                        "tests/ref/calvar_tun_r7_weights.csv")
        next
    }
    if (design == "rake_demo_adjust")
        next # its survey file names rake_demo.csv
    if (design == "rake_demo") {
        out <- demo
    } else {
        out <- des$variables[, api_cols]
    }
    out$dw <- weights(base[[design]])
    if (design == "trim_clus1") {
        out$wcal <- weights(raked)
        out$wtrim <- weights(des)
    } else {
        out$wcal <- weights(des)
    }
    write_csv_plain(out, file.path(out_dir, paste0(design, ".csv")))
}
case_cols <- c("case", "survey", "type", "expr", "among", "by", "ci",
               "level", "df")
cases_df <- do.call(rbind, lapply(cases, function(cs)
    as.data.frame(cs[case_cols], stringsAsFactors = FALSE)))
ref_df <- do.call(rbind, ref_rows)
write_csv_plain(cases_df, out_cases)
write_csv_plain(ref_df, out_ref)
cat(sprintf("%s: %d cases\n%s: %d rows\n", out_cases, nrow(cases_df),
            out_ref, nrow(ref_df)))
