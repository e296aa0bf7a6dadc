# quantile_cal_ref.R - reference quantiles from R's survey package on
# calibrated designs (postStratify, rake, calibrate linear / logit /
# raking, trimWeights after rake), for graft's quantile indicators on a
# survey file with [calibration].
#
# Run from the repository root, after tests/R/calvar_ref.R (whose data and
# survey files under tests/data/calvar/ the cases use):
#     Rscript tests/R/quantile_cal_ref.R
# Made with R 4.2.2, survey 4.1-1.  CI never runs R: both outputs are
# committed.  Writes:
#   tests/ref/quantile_cal_cases.csv  one row per case: case, survey (a
#       tests/data/calvar/*.ini), type (quantile), expr, among, by, ci
#       (unused), level, df, probs (separated by ";")
#   tests/ref/quantile_cal_ref.csv    R's answer per case, domain and
#       probability: case, domain, prob, estimate, se, ci_low, ci_high, df,
#       n, weighted_n (as tests/ref/quantile_ref.csv)
#
# The designs are calvar_ref.R's (both source tests/R/calvar_designs.R);
# the script checks that their weights are the committed
# tests/data/calvar/*.csv's (dw, wcal, wtrim) to 1e-12.  R's call, per
# domain (svyby passes design[cell, ], which on a calibrated design keeps
# the other rows with weight 0):
#     svyquantile(~y, des[domain & cell, ], quantiles = probs, ci = TRUE,
#                 alpha = 1 - level, df = degf(des[domain & cell, ]))
# whose Woodruff interval (survey:::woodruffCI) is that of
# svymean(y <= q, design): svyrecvar replaces the influence by its
# calibration residuals (design$postStrata).  svyby(~y, ~by,
# des[domain, ], svyquantile, ...) is checked to give the same estimates
# and se.
#
# The calibration matters: the same calls with design$postStrata removed
# (the calibrated weights taken as design weights, no residuals) give
# another interval for 28 of the 166 rows (the ends are data values, so a
# small change in se(F) often leaves them in place: on the demo, none);
# the script counts them and stops when none differs (printed: "rows
# whose interval the calibration changes").
suppressPackageStartupMessages(library(survey))

out_cases <- "tests/ref/quantile_cal_cases.csv"
out_ref <- "tests/ref/quantile_cal_ref.csv"
data_dir <- "tests/data/calvar"
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
    cols <- lapply(df, csv_field)
    lines <- c(paste(csv_field(names(df)), collapse = ","),
               do.call(paste, c(cols, sep = ",")))
    writeLines(lines, path)
}

# The designs (calvar_ref.R's, built by the same file).
source("tests/R/calvar_designs.R")

# The committed data are these designs' (calvar_ref.R wrote them).
for (design in names(designs)) {
    d <- read.csv(file.path(data_dir, paste0(design, ".csv")))
    w <- if (design == "trim_clus1") d$wtrim else d$wcal
    stopifnot(nrow(d) == nrow(designs[[design]]),
              isTRUE(all.equal(w, as.vector(weights(designs[[design]])),
                               tolerance = 1e-12)),
              isTRUE(all.equal(d$dw, as.vector(weights(base[[design]])),
                               tolerance = 1e-12)))
}

# ---------------------------------------------------------------- cases

cases <- list()
add <- function(design, expr, r_y, probs, by, among = "", r_among = NULL) {
    k <- sum(vapply(cases, function(x) x$design == design, TRUE)) + 1
    cases[[length(cases) + 1]] <<- list(
        case = paste0(design, "_q", k), design = design,
        survey = file.path(data_dir, paste0(design, ".ini")),
        type = "quantile", expr = expr, among = among, by = by, ci = "wald",
        level = "0.95", df = "domain", probs = paste(probs, collapse = ";"),
        p = probs, r_y = r_y, r_among = r_among)
}
quartiles <- c(0.25, 0.5, 0.75)
for (design in names(base))
    if (design != "rake_demo") {
        add(design, "api00", function(d) d$api00, quartiles, "stype")
        add(design, "enroll", function(d) d$enroll, 0.5, "awards")
    }
add("rake_demo", "amount", function(d) d$amount, 0.5, "zone",
    among = "paid_any == 1", r_among = function(d) d$paid_any == 1)
add("rake_demo", "amount", function(d) d$amount, quartiles, "sex",
    among = "paid_any == 1", r_among = function(d) d$paid_any == 1)

# ---------------------------------------------------------------- run

quantile_domain <- function(cs, sub) {
    df <- degf(sub)
    q <- svyquantile(~gy, sub, quantiles = cs$p, alpha = 0.05, ci = TRUE,
                     df = df)$gy
    lapply(seq_along(cs$p), function(i) list(
        prob = cs$p[i], estimate = q[i, 1], ci_low = q[i, 2],
        ci_high = q[i, 3], se = q[i, 4], df = df,
        n = sum(weights(sub) > 0), weighted_n = sum(weights(sub))))
}

# The same without the calibration residuals: the interval's two ends.
no_cal <- function(cs, sub) {
    sub$postStrata <- NULL
    q <- svyquantile(~gy, sub, quantiles = cs$p, alpha = 0.05, ci = TRUE,
                     df = degf(sub))$gy
    q[, 2:3, drop = FALSE]
}

ref_rows <- list()
n_rows <- 0
n_changed <- 0
for (cs in cases) {
    des <- designs[[cs$design]]
    old <- options(survey.lonely.psu = if (is.null(lonely[[cs$design]]))
        "fail" else lonely[[cs$design]])
    d <- des$variables
    y <- cs$r_y(d)
    among <- if (is.null(cs$r_among)) rep(TRUE, nrow(d)) else cs$r_among(d)
    dom <- !is.na(among) & among & !is.na(y)
    y <- as.numeric(y)
    y[!dom] <- 0 # outside the domain: weight 0, value unused
    des$variables$gy <- y
    sels <- list(All = dom)
    for (v in sort(unique(d[[cs$by]][dom])))
        sels[[fmt_value(v)]] <- dom & d[[cs$by]] == v
    res <- list()
    for (name in names(sels)) {
        sub <- des[sels[[name]], ]
        res[[name]] <- quantile_domain(cs, sub)
        got <- do.call(rbind, lapply(res[[name]], function(x)
            c(x$ci_low, x$ci_high)))
        nc <- no_cal(cs, sub)
        n_rows <- n_rows + nrow(got)
        n_changed <- n_changed + sum(!mapply(identical, got[, 1], nc[, 1]) |
                                     !mapply(identical, got[, 2], nc[, 2]))
    }
    # svyby on the calibrated design gives the same estimates and se
    sb <- svyby(~gy, reformulate(cs$by), des[dom, ], svyquantile,
                quantiles = cs$p, alpha = 0.05, ci = TRUE)
    key <- vapply(sb[[cs$by]], fmt_value, "")
    stopifnot(setequal(key, names(res)[-1]))
    for (j in seq_along(key)) {
        r <- res[[key[j]]]
        est <- vapply(r, `[[`, 0, "estimate")
        se <- vapply(r, `[[`, 0, "se")
        got_est <- unlist(sb[j, 1 + seq_along(cs$p)])
        got_se <- unlist(sb[j, 1 + length(cs$p) + seq_along(cs$p)])
        stopifnot(isTRUE(all.equal(unname(got_est), est, tolerance = 1e-14)),
                  identical(is.na(unname(got_se)), is.na(se)),
                  isTRUE(all.equal(unname(got_se)[!is.na(se)],
                                   se[!is.na(se)], tolerance = 1e-14)))
    }
    options(old)
    for (dom_name in names(res))
        for (x in res[[dom_name]])
            ref_rows[[length(ref_rows) + 1]] <- data.frame(
                case = cs$case, domain = dom_name, prob = num17(x$prob),
                estimate = num17(x$estimate), se = num17(x$se),
                ci_low = num17(x$ci_low), ci_high = num17(x$ci_high),
                df = num17(x$df), n = num17(x$n),
                weighted_n = num17(x$weighted_n), stringsAsFactors = FALSE)
}
cat(sprintf("rows whose interval the calibration changes: %d of %d\n",
            n_changed, n_rows))
stopifnot(n_changed > 0)

case_cols <- c("case", "survey", "type", "expr", "among", "by", "ci",
               "level", "df", "probs")
cases_df <- do.call(rbind, lapply(cases, function(cs)
    as.data.frame(cs[case_cols], stringsAsFactors = FALSE)))
ref_df <- do.call(rbind, ref_rows)
write_csv_plain(cases_df, out_cases)
write_csv_plain(ref_df, out_ref)
cat(sprintf("%s: %d cases\n%s: %d rows\n", out_cases, nrow(cases_df),
            out_ref, nrow(ref_df)))
