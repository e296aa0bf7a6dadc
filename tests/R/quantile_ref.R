# quantile_ref.R - reference quantiles from R's survey package for graft's
# quantile indicators (--quantile, type = quantile): tests/ref/
# quantile_cases.csv (the inputs of each case, in graft's terms) and
# tests/ref/quantile_ref.csv (R's answer for every domain and probability).
#
# Run from the repository root, after tests/R/export_r_data.R:
#     Rscript tests/R/quantile_ref.R
# Made with R 4.2.2, survey 4.1-1 and haven 2.5.1.  CI never runs R: both
# outputs are committed.  The Afrobarometer case needs
# ../shared/data/afrobarometer/; when it is absent it is skipped with a
# message and is missing from both files.
#
# R's call, per domain (svyby passes design[cell, ] to FUN, and
# svyquantile's default df = degf(design) is then the domain df):
#     svyquantile(~y, subset(des, domain & cell), quantiles = probs,
#                 alpha = 1 - level, ci = TRUE, df = df)
# with the defaults qrule = "math" and interval.type = "mean" (Woodruff:
# the Wald interval of svymean(y <= q) mapped back through qrule).  se is
# R's: the interval's width / (2 qt(1 - alpha/2, df)).  The script checks
# that svyby(~y, ~by, subset(des, domain), svyquantile, ...) gives the same
# estimates and se.  An undefined bound (R: NaN, when the CDF interval
# leaves [0, 1] or df = 0) is written as NaN, and so is the se then.
#
# tests/ref/quantile_cases.csv, one row per case: as estimate_cases.csv of
# estimate_ref.R (case, file, weight, strata, psu, fpc, nest, lonely,
# missing, type = quantile, expr, among, by, ci (unused), level, df), and
#   probs     the probabilities, separated by ";"
#   repweights, reptype   a replicate design (graft's --repweights and
#             --reptype; the type's default scale), else empty
# tests/ref/quantile_ref.csv, one row per case, domain and probability:
#   case, domain ("All" or the by values joined by ":"), prob,
#   estimate, se, ci_low, ci_high, df, n (rows in the domain),
#   weighted_n (their weights' sum); numbers as sprintf("%.17g").
#
# The domain (graft's semantics): rows where `among` is TRUE and y is not
# missing, intersected with the by-cell (as estimate_ref.R).
suppressPackageStartupMessages({
    library(survey)
    library(haven)
})

afro_dir <- "../shared/data/afrobarometer"
out_cases <- "tests/ref/quantile_cases.csv"
out_ref <- "tests/ref/quantile_ref.csv"

read_csv_data <- function(path) {
    read.csv(path, stringsAsFactors = FALSE, na.strings = "")
}

read_sav_plain <- function(path) {
    as.data.frame(zap_labels(read_sav(path)))
}

csv_field <- function(x) {
    x <- as.character(x)
    need <- grepl("[\",\n\r]", x)
    x[need] <- paste0("\"", gsub("\"", "\"\"", x[need]), "\"")
    x
}

write_csv_plain <- function(df, path) {
    lines <- c(paste(csv_field(names(df)), collapse = ","),
               apply(as.matrix(as.data.frame(lapply(df, csv_field),
                                             stringsAsFactors = FALSE)),
                     1, paste, collapse = ","))
    writeLines(lines, path)
}

num17 <- function(x) sprintf("%.17g", x)

fmt_value <- function(v) {
    if (is.numeric(v)) format(v, digits = 15) else as.character(v)
}

make_design <- function(cs, data) {
    ids_f <- if (cs$psu == "") ~1 else reformulate(cs$psu)
    st <- if (cs$strata == "") character(0) else strsplit(cs$strata, ":")[[1]]
    strata_f <- if (length(st) == 0) NULL
                else if (length(st) == 1) reformulate(st)
                else reformulate(sprintf("interaction(%s, drop = TRUE)",
                                         paste(st, collapse = ", ")))
    fpc_f <- if (cs$fpc == "") NULL else reformulate(cs$fpc)
    svydesign(ids = ids_f, strata = strata_f, fpc = fpc_f,
              weights = reformulate(cs$weight), nest = cs$nest == "true",
              data = data)
}

apply_missing <- function(cs, data) {
    if (cs$missing == "") return(data)
    codes <- as.numeric(strsplit(cs$missing, ",")[[1]])
    design_cols <- c(cs$weight, strsplit(cs$strata, ":")[[1]], cs$psu, cs$fpc)
    for (v in setdiff(names(data), design_cols)) {
        if (is.numeric(data[[v]])) data[[v]][data[[v]] %in% codes] <- NA
    }
    data
}

# ---------------------------------------------------------------- cases

cases <- list()
add_case <- function(case, file, weight, expr, r_y, probs, strata = "",
                     psu = "", fpc = "", nest = FALSE, lonely = "fail",
                     missing = "", among = "", r_among = NULL, by = "",
                     level = "0.95", df = "domain", loader = read_csv_data,
                     repweights = "", reptype = "") {
    stopifnot(!(case %in% names(cases)))
    cases[[case]] <<- list(
        case = case, file = file, weight = weight, strata = strata,
        psu = psu, fpc = fpc, nest = if (nest) "true" else "false",
        repweights = repweights, reptype = reptype,
        lonely = lonely, missing = missing, type = "quantile", expr = expr,
        among = among, by = by, ci = "wald", level = level, df = df,
        probs = paste(probs, collapse = ";"), p = probs, r_y = r_y,
        r_among = r_among, loader = loader)
}
quartiles <- c(0.25, 0.5, 0.75)

# 1. apistrat: stratified by stype, each row a PSU, fpc = N_h.
f <- "tests/data/r/apistrat.csv"
apistrat <- function(case, ...) add_case(case, f, "pw", strata = "stype",
                                         fpc = "fpc", ...)
api00 <- function(d) d$api00
apistrat("apistrat_api00_quartiles", "api00", api00, quartiles, by = "stype")
apistrat("apistrat_enroll_deciles_90", "enroll", function(d) d$enroll,
         c(0.1, 0.5, 0.9), by = "stype", level = "0.9")
apistrat("apistrat_api00_median_dfdesign", "api00", api00, 0.5,
         by = "stype", df = "design")
# Ties and NA: class sizes (integers; NA for high schools), among schools
# with api00 > 600.
apistrat("apistrat_acsk3_ties", "acs.k3", function(d) d$acs.k3, quartiles,
         among = "api00 > 600", r_among = function(d) d$api00 > 600,
         by = "stype")
# Small domains: counties, some with one or two schools (df 0: no
# interval; a CDF interval outside [0, 1]: one bound undefined).
apistrat("apistrat_api00_median_county", "api00", api00, 0.5, by = "cname")
# A single-PSU stratum (stype x yr.rnd: H x Yes has one school).
for (l in c("adjust", "average", "remove"))
    add_case(paste0("apistrat_lonely_api00_", l), f, "pw",
             strata = "stype:yr.rnd", lonely = l, expr = "api00", r_y = api00,
             probs = quartiles, by = "stype")

# 2. apiclus1: one-stage cluster sample of districts, fpc = N.
f <- "tests/data/r/apiclus1.csv"
apiclus1 <- function(case, ...) add_case(case, f, "pw", psu = "dnum",
                                         fpc = "fpc", ...)
apiclus1("apiclus1_api00_quartiles", "api00", api00, quartiles, by = "stype")
apiclus1("apiclus1_api00_median_district", "api00", api00, 0.5, by = "dnum")

# 2b. Replicate weights: apiclus1's 15 JK1 replicates (repweights_ref.R),
# svrepdesign(combined.weights = TRUE) with its default JK1 scale
# (R - 1) / R: svyquantile.svyrep.design's default is the same Woodruff
# interval with the replicate variance of the CDF and df = degf() of the
# domain (the rank of its replicate weights minus 1).
add_case("rep_apiclus1_jk1_api00", "tests/data/r/apiclus1_rep_jk1.csv", "pw",
         expr = "api00", r_y = api00, probs = quartiles, by = "stype",
         repweights = "repw[0-9]+", reptype = "jk1")

# 3. The demo survey: strata x EA (nested), lonely adjust (stratum 62 has
# one EA; for the CDF, a ratio, survey 4.1 and 4.5 agree).
demo <- function(case, round, ...) add_case(
    case, sprintf("surveys/demo/round%d.csv", round), "weight",
    strata = "stratum", psu = "ea", nest = TRUE, lonely = "adjust", ...)
amount <- function(d) d$amount
for (r in 1:2) {
    demo(sprintf("demo_r%d_amount_police", r), r, "amount", amount,
         quartiles, among = "paid_police == 1",
         r_among = function(d) d$paid_police == 1, by = "zone")
    demo(sprintf("demo_r%d_amount_any", r), r, "amount", amount,
         c(0.5, 0.9), among = "paid_any == 1",
         r_among = function(d) d$paid_any == 1, by = "zone")
}
demo("demo_r1_nbribes_ties", 1, "n_bribes", function(d) d$n_bribes,
     quartiles, among = "paid_any == 1",
     r_among = function(d) d$paid_any == 1, by = "zone:sex")

# 4. Afrobarometer Tunisia R7: strata REGION x URBRUR, each row a PSU;
# age (Q1, whole years: ties) among 18 to 110 (998/999 are codes).
afro_path <- file.path(afro_dir, "tun_r7_data.sav")
if (file.exists(afro_path)) {
    add_case("tun_r7_age_region", afro_path, "withinwt",
             strata = "REGION:URBRUR", expr = "Q1", r_y = function(d) d$Q1,
             probs = quartiles, among = "Q1 >= 18 and Q1 <= 110",
             r_among = function(d) d$Q1 >= 18 & d$Q1 <= 110, by = "REGION",
             loader = read_sav_plain)
} else {
    cat("SKIP tun_r7_age_region: ../shared/data/afrobarometer is absent\n")
}

# ---------------------------------------------------------------- run

# R's answer for one domain: a matrix, one row per probability.
quantile_domain <- function(cs, des, sub) {
    level <- as.numeric(cs$level)
    df <- if (cs$df == "domain") degf(sub) else degf(des)
    q <- svyquantile(~gy, sub, quantiles = cs$p, alpha = 1 - level,
                     ci = TRUE, df = df)$gy
    w <- weights(sub, "sampling")
    lapply(seq_along(cs$p), function(i) list(
        prob = cs$p[i], estimate = q[i, 1], ci_low = q[i, 2],
        ci_high = q[i, 3], se = q[i, 4], df = df, n = nrow(sub),
        weighted_n = sum(w)))
}

# svyby on the domain must give the per-cell numbers (RES, by code).
check_svyby <- function(cs, dom_des, res) {
    by <- strsplit(cs$by, ":")[[1]]
    args <- list(~gy, reformulate(by), dom_des, svyquantile,
                 quantiles = cs$p, alpha = 1 - as.numeric(cs$level),
                 ci = TRUE)
    if (cs$df == "design") return(invisible())
    sb <- do.call(svyby, args)
    key <- do.call(paste, c(lapply(by, function(b)
        vapply(sb[[b]], fmt_value, "")), sep = ":"))
    stopifnot(setequal(key, names(res)))
    for (j in seq_along(key)) {
        r <- res[[key[j]]]
        est <- vapply(r, `[[`, 0, "estimate")
        se <- vapply(r, `[[`, 0, "se")
        got_est <- unlist(sb[j, length(by) + seq_along(cs$p)])
        got_se <- unlist(sb[j, length(by) + length(cs$p) +
                               seq_along(cs$p)])
        stopifnot(isTRUE(all.equal(unname(got_est), est, tolerance = 1e-14)),
                  identical(is.na(unname(got_se)), is.na(se)),
                  isTRUE(all.equal(unname(got_se)[!is.na(se)], se[!is.na(se)],
                                   tolerance = 1e-14)))
    }
    invisible()
}

data_cache <- list()
ref_rows <- list()
for (cs in cases) {
    key <- cs$file
    if (is.null(data_cache[[key]])) data_cache[[key]] <- cs$loader(cs$file)
    d <- apply_missing(cs, data_cache[[key]])
    y <- cs$r_y(d)
    among <- if (is.null(cs$r_among)) rep(TRUE, nrow(d)) else cs$r_among(d)
    d$gdom <- !is.na(among) & among & !is.na(y)
    y[!d$gdom] <- 0 # rows outside the domain: weight 0 in every subset
    d$gy <- y
    by <- if (cs$by == "") character(0) else strsplit(cs$by, ":")[[1]]
    for (b in by) stopifnot(!anyNA(d[[b]][d$gdom]))

    old <- options(survey.lonely.psu = cs$lonely)
    des <- if (cs$reptype == "") make_design(cs, d)
           else suppressWarnings(svrepdesign(
               data = d, repweights = cs$repweights, type = "JK1",
               weights = reformulate(cs$weight), combined.weights = TRUE))
    res <- list(All = quantile_domain(cs, des, subset(des, d$gdom)))
    if (length(by)) {
        cells <- unique(d[d$gdom, by, drop = FALSE])
        cells <- cells[do.call(order, unname(as.list(cells))), , drop = FALSE]
        for (k in seq_len(nrow(cells))) {
            sel <- d$gdom
            for (b in by) sel <- sel & d[[b]] == cells[[b]][k]
            code <- paste(vapply(by, function(b) fmt_value(cells[[b]][k]), ""),
                          collapse = ":")
            res[[code]] <- quantile_domain(cs, des, subset(des, sel))
        }
        check_svyby(cs, subset(des, d$gdom), res[-1])
    }
    options(old)
    for (dom in names(res))
        for (x in res[[dom]])
            ref_rows[[length(ref_rows) + 1]] <- data.frame(
                case = cs$case, domain = dom, prob = num17(x$prob),
                estimate = num17(x$estimate), se = num17(x$se),
                ci_low = num17(x$ci_low), ci_high = num17(x$ci_high),
                df = num17(x$df), n = num17(x$n),
                weighted_n = num17(x$weighted_n), stringsAsFactors = FALSE)
}

case_cols <- c("case", "file", "weight", "strata", "psu", "fpc", "nest",
               "lonely", "missing", "type", "expr", "among", "by", "ci",
               "level", "df", "probs", "repweights", "reptype")
cases_df <- do.call(rbind, lapply(cases, function(cs)
    as.data.frame(cs[case_cols], stringsAsFactors = FALSE)))
ref_df <- do.call(rbind, ref_rows)
write_csv_plain(cases_df, out_cases)
write_csv_plain(ref_df, out_ref)
cat(sprintf("%s: %d cases\n%s: %d rows (%d with an undefined bound)\n",
            out_cases, nrow(cases_df), out_ref, nrow(ref_df),
            sum(ref_df$ci_low == "NaN" | ref_df$ci_high == "NaN")))

# tests/ref/quantile_rule.csv: survey:::qrule_math itself on small inputs
# (x and w separated by ";", in the order given; p; R's answer q), for the
# rule's corners: a share exactly p (the value there, not the next),
# p below the first weight's share (survey:::last() of no TRUE is 1, so R
# answers the SECOND value), a single value, ties, zero weights dropped.
out_rule <- "tests/ref/quantile_rule.csv"
rule_cases <- list(
    list(x = c(1, 2, 3, 4), w = c(1, 1, 1, 1), p = 0.5),
    list(x = c(1, 2, 3, 4), w = c(1, 1, 1, 1), p = 0.25),
    list(x = c(1, 2, 3, 4), w = c(1, 1, 1, 1), p = 0.26),
    list(x = c(1, 2, 3), w = c(10, 1, 1), p = 0.25),
    list(x = c(1, 2, 3), w = c(10, 1, 1), p = 0.9),
    list(x = c(5), w = c(2), p = 0.25),
    list(x = c(3, 1, 2, 2, 2, 7), w = c(0.5, 2, 1, 1, 1, 3), p = 0.5),
    list(x = c(3, 1, 2, 2, 2, 7), w = c(0.5, 2, 1, 1, 1, 3), p = 0.1),
    list(x = c(4, 1, 9, 2), w = c(0, 1.5, 2.5, 0), p = 0.375),
    list(x = c(4, 1, 9, 2), w = c(0, 1.5, 2.5, 0), p = 0.99),
    list(x = c(0.3, 0.1, 0.2), w = c(0.1, 0.2, 0.7), p = 0.3),
    list(x = 1:10 / 10, w = c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3), p = 0.7))
rule_df <- do.call(rbind, lapply(rule_cases, function(r) data.frame(
    x = paste(num17(r$x), collapse = ";"),
    w = paste(num17(r$w), collapse = ";"), p = num17(r$p),
    q = num17(survey:::qrule_math(r$x, r$w, r$p)),
    stringsAsFactors = FALSE)))
write_csv_plain(rule_df, out_rule)
cat(sprintf("%s: %d rows\n", out_rule, nrow(rule_df)))
