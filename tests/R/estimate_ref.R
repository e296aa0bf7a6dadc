# estimate_ref.R - reference estimates from R's survey package for graft's
# estimator (graft_estimate_file): tests/ref/estimate_cases.csv (the inputs
# of each case, in graft's terms) and tests/ref/estimate_ref.csv (R's answer
# for every domain of every case).
#
# Run from the repository root, after tests/R/export_r_data.R:
#     Rscript tests/R/estimate_ref.R
# Made with R 4.2.2, survey 4.1-1 and haven 2.5.1 (Debian r-cran-survey,
# r-cran-haven).  CI never runs R: both outputs are committed.  The
# Afrobarometer cases need ../shared/data/afrobarometer/ (see its README.md);
# when it is absent they are skipped with a message and are missing from
# both files.
#
# tests/ref/estimate_cases.csv, one row per case (RFC 4180: a field with a
# comma or a double quote is quoted, quotes doubled):
#   case      name of the case
#   file      data file, relative to the repository root
#   weight    weight column
#   strata    stratum column; several joined by ":" mean their combination
#             (R: interaction(a, b, drop = TRUE)); empty: one stratum
#   psu       PSU column; empty: each row is its own PSU (ids = ~1)
#   fpc       fpc column (> 1: population PSU count N_h), empty: none
#   nest      true/false (svydesign nest =)
#   lonely    fail|remove|certainty|adjust|average (survey.lonely.psu)
#   missing   codes that mean missing in every non-design column (not the
#             weight, strata, psu or fpc columns), e.g. "8,9"; empty: none
#   type      prop|mean|total
#   expr      graft expression: prop: a condition (a bare column C means
#             C == 1); mean/total: a numeric column
#   among     graft condition restricting the domain; empty: all rows
#   by        by columns joined by ":"; empty: only the "All" domain
#   ci        prop: logit|wald|beta|asin|xlogit = svyciprop's method
#             logit|mean|beta|asin|xlogit; mean/total: always "wald", the
#             t interval confint(svymean/svytotal(...), df = df)
#   level     confidence level
#   df        domain: degf() of the design of the domain (the subset R
#             passes to svyciprop/svymean); design: degf() of the whole design
#
# tests/ref/estimate_ref.csv, one row per case and domain (the "All" row
# first, then each by-cell in sorted order).  Numbers as sprintf("%.17g"):
#   case        as above
#   domain      "All", or the by values joined by ":", numbers as
#               format(x, digits = 15) prints them, text as it is
#   estimate    the ratio sum(w y) / sum(w) over the domain (prop, mean;
#               coef(svymean)), or sum(w y) (total; coef(svytotal)).  For
#               ci = logit svyciprop's own point estimate comes from svyglm
#               and differs by up to ~3e-9: this is the svymean one.
#   se          SE(svymean / svytotal) = sqrt(attr(svyciprop, "var"))
#   ci_low, ci_high   prop: attr(svyciprop(..., method, level, df), "ci"),
#               but for logit the same svyglm fit and confint(method =
#               "Wald", ddf = df) that svyciprop uses, converged to glm
#               epsilon 1e-15 instead of 1e-8 (svyciprop's own ends are up
#               to ~4e-8 away, relative: too close to the test's 1e-7; the
#               script prints the largest gap).  mean/total:
#               confint(..., df = df), i.e. estimate -/+ qt(1 - a/2, df) se
#               (a t interval, not svyby's normal one: graft reports t)
#   df          the df used (see the df column of the case)
#   n           unweighted rows in the domain
#   weighted_n  sum of the weights over those rows
#
# How a domain is made (graft's semantics): the value y of a row is the
# expression (prop: its truth, 1/0), missing when the expression is missing
# (three-valued logic); the domain is the rows where `among` is TRUE (not
# FALSE, not missing) and y is not missing, intersected with the by-cell.
# R: the design is built on all rows, then subset(design, domain & cell):
# subset() keeps every stratum's n_h (PSUs without domain rows count as
# zeros), never svydesign() on subsetted data.  Each domain is estimated by
# a direct call on its own subset; the script checks that svyby(~y, ~by,
# subset(design, domain), FUN) gives the same estimates and intervals
# (svyby passes design[cell, ], and svyciprop's default df = degf(design)
# is evaluated on that subset, i.e. the domain df).
#
# Judgment calls (see the report in the commit that added this file):
# * Expressions are re-written by hand in R next to each graft expression
#   (not parsed), with R's NA-propagating ==, <, &, | (Kleene logic, as
#   graft's); "x in a..b" is written (x >= a & x <= b), never %in%, which
#   returns FALSE for NA; any(a, b, ...) is Reduce(`|`, ...).
# * ci = beta with df = design: svyciprop(method = "beta") ignores its df
#   argument (it always uses degf(design) of the domain), so that case is
#   computed by hand with the Korn-Graubard formula of svyciprop, with
#   t(a/2, n - 1) / t(a/2, df) on the design df.
# * lonely = adjust with a total, when a stratum with a single PSU has rows
#   in the domain: R 4.1-1 centres that PSU's total at 0; graft follows R
#   4.5 (the C++ arma_onestage), which centres it at the grand mean
#   sum(z) / (sum of n_h over the strata present in the design passed), the
#   strata present being those with domain rows.  survey 4.1-1 cannot give
#   that number, so var45() below recomputes the whole variance by hand from
#   the PSU totals and the estimate/se/ci of those rows use it (the 4.1-1
#   value is printed for comparison).  For ratios the scores sum to zero, so
#   4.1-1 and 4.5 agree; the script checks this (var45 against svymean).
#   Note the divisor: for a by-cell it is the n_h of the strata with rows
#   in that cell, not every PSU of the design.  var45() was checked (once,
#   outside this script) against a transcription of survey's C++
#   arma_onestage on every domain of every case (max relative gap 2e-15).
# * var45() is also checked against R's variance in every other case (all
#   lonely options, fpc, subsets), so the hand formula is itself tested.
# * average: R (4.1-1 and 4.5) scales by H / (H - singletons) with H the
#   strata that have rows in the domain; a single-PSU stratum without
#   domain rows plays no part (demo round 1 police: stratum 62 has no
#   contact with the police, so every lonely option gives the same).
# * Demo cases with n_bribes use no missing codes: "8,9" applies to every
#   non-design column, and n_bribes = 8 is a real count in round 1.
suppressPackageStartupMessages({
    library(survey)
    library(haven)
})

afro_dir <- "../shared/data/afrobarometer"
out_cases <- "tests/ref/estimate_cases.csv"
out_ref <- "tests/ref/estimate_ref.csv"

# ---------------------------------------------------------------- helpers

read_csv_data <- function(path) {
    # An empty cell is missing in graft, for text columns too.
    read.csv(path, stringsAsFactors = FALSE, na.strings = "")
}

read_sav_plain <- function(path) {
    as.data.frame(zap_labels(read_sav(path)))
}

# x in lo..hi, with NA propagating (not %in%).
in_range <- function(x, lo, hi) x >= lo & x <= hi
# graft's any(...): TRUE if any TRUE, else NA if any NA, else FALSE.
any3 <- function(...) Reduce(`|`, list(...))

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

# The design of a case on DATA (all rows).
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

# Missing codes on every non-design column.
apply_missing <- function(cs, data) {
    if (cs$missing == "") return(data)
    codes <- as.numeric(strsplit(cs$missing, ",")[[1]])
    design_cols <- c(cs$weight, strsplit(cs$strata, ":")[[1]], cs$psu, cs$fpc)
    for (v in setdiff(names(data), design_cols)) {
        if (is.numeric(data[[v]])) data[[v]][data[[v]] %in% codes] <- NA
    }
    data
}

# Linearization variance of the scores Z (one per row of the design SUB,
# single stage), by hand, with R 4.5's conventions (survey's arma_onestage):
# strata = those present in SUB; n_h, N_h of the whole design; a PSU of h
# without rows in SUB is a zero; a single-PSU stratum (n_h = 1, N_h > 1)
# adds (1 - f) (z_h1 - zbar)^2 under adjust, zbar = sum(z) / sum(n_h over
# the strata present), and nothing otherwise; average scales by
# H / (H - singletons).  Equal to R 4.1-1 everywhere but adjust for totals.
# Per stratum present in SUB: is it a single-PSU stratum (n_h = 1 in the
# whole design, not a certainty PSU)?
singletons <- function(sub) {
    h <- as.character(sub$strata[, 1])
    first <- !duplicated(h)
    Nh <- if (is.null(sub$fpc$popsize)) Inf else sub$fpc$popsize[first, 1]
    single <- sub$fpc$sampsize[first, 1] == 1 & Nh > 1
    names(single) <- h[first]
    single
}

var45 <- function(z, sub, lonely) {
    h <- as.character(sub$strata[, 1])
    psu <- as.character(sub$cluster[, 1])
    nh <- sub$fpc$sampsize[, 1]
    Nh <- if (is.null(sub$fpc$popsize)) rep(Inf, length(z))
          else sub$fpc$popsize[, 1]
    first <- !duplicated(h)
    n_all <- sum(nh[first])
    single <- singletons(sub)
    if (any(single) && lonely == "fail") stop("lonely PSU under fail")
    zbar_all <- if (any(single) && lonely == "adjust") sum(z) / n_all else 0
    v <- 0
    for (s in h[first]) {
        i <- h == s
        zt <- tapply(z[i], psu[i], sum)
        n <- nh[i][1]
        f <- if (is.finite(Nh[i][1])) n / Nh[i][1] else 0
        if (single[[s]]) {
            if (lonely != "adjust") next
            centre <- zbar_all
        } else {
            centre <- sum(zt) / n
        }
        ss <- sum((zt - centre)^2) + (n - length(zt)) * centre^2
        v <- v + (1 - f) * n / (if (n > 1) n - 1 else 1) * ss
    }
    if (lonely == "average" && any(single))
        v <- v * length(single) / (length(single) - sum(single))
    v
}

# Korn-Graubard (svyciprop method "beta") with a given df.
kg_beta <- function(p, v, n, df, level) {
    alpha <- 1 - level
    n_eff <- p * (1 - p) / v
    n_eff <- n_eff * (qt(alpha / 2, n - 1) / qt(alpha / 2, df))^2
    c(qbeta(alpha / 2, n_eff * p, n_eff * (1 - p) + 1),
      qbeta(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
}

r_method <- c(logit = "logit", wald = "mean", beta = "beta", asin = "asin",
              xlogit = "xlogit")

# One domain: SUB is subset(des, domain & cell).
estimate_domain <- function(cs, des, sub) {
    level <- as.numeric(cs$level)
    df <- if (cs$df == "domain") degf(sub) else degf(des)
    w <- weights(sub, "sampling")
    y <- sub$variables$gy
    n <- nrow(sub)
    note <- ""
    if (cs$type == "prop" || cs$type == "mean") {
        m <- svymean(~gy, sub)
        est <- unname(coef(m)); v <- as.numeric(vcov(m))
        z <- w * (y - est) / sum(w)
    } else {
        m <- svytotal(~gy, sub)
        est <- unname(coef(m)); v <- as.numeric(vcov(m))
        z <- w * y
    }
    # The hand variance must reproduce R's (4.1-1 = 4.5 here) ...
    v45 <- as.numeric(var45(z, sub, cs$lonely))
    adjust_total <- cs$type == "total" && cs$lonely == "adjust" &&
        any(singletons(sub))
    if (!adjust_total) {
        stopifnot(isTRUE(all.equal(v45, v, tolerance = 1e-10)))
    } else {
        # ... but for a total under adjust with a single-PSU stratum in the
        # domain, R 4.5's centring differs from 4.1-1's: use the hand value.
        note <- sprintf("R 4.1-1 se %.10g, R 4.5 se %.10g", sqrt(v), sqrt(v45))
        v <- v45
    }
    se <- sqrt(v)
    if (cs$type == "prop") {
        if (cs$ci == "beta" && cs$df == "design") {
            ci <- kg_beta(est, v, n, df, level)
        } else {
            cp <- svyciprop(~gy, sub, method = r_method[[cs$ci]],
                            level = level, df = df)
            ci <- as.numeric(attr(cp, "ci"))
            stopifnot(isTRUE(all.equal(as.numeric(attr(cp, "var")), v,
                                       tolerance = 1e-12)))
            if (cs$ci == "logit") {
                # svyciprop's logit interval is centred at svyglm's estimate,
                # converged to glm's default epsilon 1e-8 only: up to ~3e-8
                # (relative) from the ratio's.  The same svyglm fit and
                # confint, converged to 1e-15, give R's interval at the ratio;
                # that is the one written (checked against the closed form
                # expit(logit(p) -/+ t se / (p (1 - p)))).
                g <- svyglm(gy ~ 1, sub, family = quasibinomial,
                            control = glm.control(epsilon = 1e-15,
                                                  maxit = 100))
                stopifnot(g$converged)
                conv <- as.numeric(plogis(confint(g, 1, level = level,
                                                  method = "Wald", ddf = df)))
                t <- qt(1 - (1 - level) / 2, df)
                hand <- plogis(qlogis(est) + c(-1, 1) * t * se /
                                   (est * (1 - est)))
                stopifnot(isTRUE(all.equal(conv, hand, tolerance = 1e-10)))
                gap <- max(abs(ci - conv) / abs(conv))
                logit_gap <<- max(logit_gap, gap)
                stopifnot(gap < 1e-7)
                ci <- conv
            }
            if (cs$ci == "beta")  # the hand formula agrees with svyciprop
                stopifnot(isTRUE(all.equal(kg_beta(est, v, n, df, level), ci,
                                           tolerance = 1e-12)))
        }
    } else if (adjust_total) {
        ci <- est + c(-1, 1) * qt(1 - (1 - level) / 2, df) * se
    } else {
        ci <- as.numeric(confint(m, df = df, level = level))
        stopifnot(isTRUE(all.equal(
            ci, est + c(-1, 1) * qt(1 - (1 - level) / 2, df) * se,
            tolerance = 1e-12)))
    }
    list(estimate = est, se = se, ci_low = ci[1], ci_high = ci[2], df = df,
         n = n, weighted_n = sum(w), note = note)
}

# svyby on the domain subset must agree with the per-cell calls (RES: the
# cell results, named by their domain codes).
check_svyby <- function(cs, des, dom_des, res) {
    by <- strsplit(cs$by, ":")[[1]]
    level <- as.numeric(cs$level)
    if (cs$type == "prop") {
        if (cs$ci == "beta" && cs$df == "design") return(invisible())
        args <- list(~gy, reformulate(by), dom_des, svyciprop,
                     method = r_method[[cs$ci]], level = level,
                     vartype = c("se", "ci"))
        if (cs$df == "design") args$df <- degf(des)
        sb <- do.call(svyby, args)
    } else {
        if (cs$type == "total" && cs$lonely == "adjust") return(invisible())
        sb <- svyby(~gy, reformulate(by), dom_des,
                    if (cs$type == "mean") svymean else svytotal)
    }
    key <- do.call(paste, c(lapply(by, function(b)
        vapply(sb[[b]], fmt_value, "")), sep = ":"))
    stopifnot(setequal(key, names(res)))
    r <- res[key]
    get <- function(f) vapply(r, `[[`, 0, f)
    # svyciprop's logit estimate is svyglm's (converged to ~1e-9 only).
    tol_est <- if (cs$type == "prop" && cs$ci == "logit") 1e-7 else 1e-12
    stopifnot(isTRUE(all.equal(unname(coef(sb)), unname(get("estimate")),
                               tolerance = tol_est)),
              isTRUE(all.equal(unname(SE(sb)), unname(get("se")),
                               tolerance = 1e-10)))
    if (cs$type == "prop")
        stopifnot(isTRUE(all.equal(unname(sb$ci_l), unname(get("ci_low")),
                                   tolerance = max(tol_est, 1e-9))),
                  isTRUE(all.equal(unname(sb$ci_u), unname(get("ci_high")),
                                   tolerance = max(tol_est, 1e-9))))
    invisible()
}

# ---------------------------------------------------------------- cases

cases <- list()
# R_Y(d): the value per row (prop: logical); R_AMONG(d): logical or NULL.
add_case <- function(case, file, weight, expr, r_y, type = "prop",
                     strata = "", psu = "", fpc = "", nest = FALSE,
                     lonely = "fail", missing = "", among = "",
                     r_among = NULL, by = "", ci = "logit", level = "0.95",
                     df = "domain", loader = read_csv_data) {
    stopifnot(!(case %in% names(cases)))
    cases[[case]] <<- list(
        case = case, file = file, weight = weight, strata = strata,
        psu = psu, fpc = fpc, nest = if (nest) "true" else "false",
        lonely = lonely, missing = missing, type = type, expr = expr,
        among = among, by = by, ci = if (type == "prop") ci else "wald",
        level = level, df = df, r_y = r_y, r_among = r_among,
        loader = loader)
}

# 1. apistrat: stratified by stype, each row a PSU, fpc = N_h.
f <- "tests/data/r/apistrat.csv"
apistrat <- function(case, ...) add_case(case, f, "pw", strata = "stype",
                                         fpc = "fpc", ...)
schwide <- function(d) d$sch.wide == "Yes"
for (m in c("logit", "wald", "beta", "asin", "xlogit"))
    apistrat(paste0("apistrat_schwide_", m), "sch.wide == 'Yes'", schwide,
             by = "stype", ci = m)
apistrat("apistrat_schwide_logit_90", "sch.wide == 'Yes'", schwide,
         by = "stype", ci = "logit", level = "0.9")
apistrat("apistrat_schwide_beta_90", "sch.wide == 'Yes'", schwide,
         by = "stype", ci = "beta", level = "0.9")
apistrat("apistrat_schwide_logit_dfdesign", "sch.wide == 'Yes'", schwide,
         by = "stype", ci = "logit", df = "design")
apistrat("apistrat_schwide_beta_dfdesign", "sch.wide == 'Yes'", schwide,
         by = "stype", ci = "beta", df = "design")
apistrat("apistrat_api00_mean", "api00", function(d) d$api00,
         type = "mean", by = "stype")
apistrat("apistrat_api00_mean_dfdesign", "api00", function(d) d$api00,
         type = "mean", by = "stype", df = "design")
apistrat("apistrat_enroll_total", "enroll", function(d) d$enroll,
         type = "total", by = "stype")

# 1b. apistrat with a single-PSU stratum: strata stype x yr.rnd (H x Yes
# has one school), no fpc.
apistrat_lonely <- function(case, ...) add_case(case, f, "pw",
                                                strata = "stype:yr.rnd", ...)
for (l in c("remove", "certainty", "adjust", "average"))
    apistrat_lonely(paste0("apistrat_lonely_schwide_", l), "sch.wide == 'Yes'",
                    schwide, lonely = l, by = "stype")
for (l in c("remove", "adjust", "average"))
    apistrat_lonely(paste0("apistrat_lonely_enroll_total_", l), "enroll",
                    function(d) d$enroll, type = "total", lonely = l,
                    by = "stype")
apistrat_lonely("apistrat_lonely_api00_mean_adjust", "api00",
                function(d) d$api00, type = "mean", lonely = "adjust",
                by = "stype")

# 2. apiclus1: one-stage cluster sample of districts, fpc = N.
f <- "tests/data/r/apiclus1.csv"
apiclus1 <- function(case, ...) add_case(case, f, "pw", psu = "dnum",
                                         fpc = "fpc", ...)
api700 <- function(d) d$api00 > 700
for (m in c("logit", "beta")) {
    apiclus1(paste0("apiclus1_api700_", m), "api00 > 700", api700, ci = m)
    apiclus1(paste0("apiclus1_api700_stype_", m), "api00 > 700", api700,
             by = "stype", ci = m)
}
apiclus1("apiclus1_api00_mean", "api00", function(d) d$api00,
         type = "mean", by = "stype")
apiclus1("apiclus1_enroll_total", "enroll", function(d) d$enroll,
         type = "total", by = "stype")

# 3. apiclus2, first stage only (districts, with replacement).
f <- "tests/data/r/apiclus2.csv"
for (m in c("logit", "beta"))
    add_case(paste0("apiclus2_awards_", m), f, "pw", psu = "dnum",
             expr = "awards == 'Yes'", r_y = function(d) d$awards == "Yes",
             by = "stype", ci = m)

# 4. nhanes: strata x PSU (numbered within strata), HI_CHOL has NAs.
f <- "tests/data/r/nhanes.csv"
nhanes <- function(case, ...) add_case(case, f, "WTMEC2YR",
                                       strata = "SDMVSTRA", psu = "SDMVPSU",
                                       nest = TRUE, ...)
hichol <- function(d) d$HI_CHOL == 1
for (m in c("logit", "beta"))
    nhanes(paste0("nhanes_hichol_race_", m), "HI_CHOL", hichol, by = "race",
           ci = m)
nhanes("nhanes_hichol_race_19_39", "HI_CHOL", hichol,
       among = "agecat == '(19,39]'",
       r_among = function(d) d$agecat == "(19,39]", by = "race")
nhanes("nhanes_hichol_race_xlogit_dfdesign", "HI_CHOL", hichol, by = "race",
       ci = "xlogit", df = "design")

# 5 and 6. The demo survey: strata x EA (nested), stratum 62 has one EA.
sectors <- c("police", "courts", "tax", "health", "education", "land",
             "utilities", "permits")
demo <- function(case, round, ...) add_case(case,
                                            sprintf("surveys/demo/round%d.csv",
                                                    round),
                                            "weight", strata = "stratum",
                                            psu = "ea", nest = TRUE, ...)
paid_s <- function(s) {
    force(s)
    list(y = function(d) d[[paste0("paid_", s)]] == 1,
         among = function(d) d[[paste0("contact_", s)]] == 1)
}
paid_any <- list(y = function(d) d$paid_any == 1,
                 among = function(d) d$contact_any == 1)
# 5. Lonely PSU options.  Round 1 police has no domain row in stratum 62
# (the single EA), round 2 police and round 1 "any" do.
for (l in c("remove", "certainty", "adjust", "average")) {
    for (r in 1:2) {
        p <- paid_s("police")
        demo(sprintf("demo_r%d_police_lonely_%s", r, l), r,
             "paid_police == 1", p$y, among = "contact_police == 1",
             r_among = p$among, missing = "8,9", lonely = l, by = "zone")
    }
    demo(sprintf("demo_r1_any_lonely_%s", l), 1, "paid_any", paid_any$y,
         among = "contact_any == 1", r_among = paid_any$among,
         missing = "8,9", lonely = l, by = "zone")
}
# 6. Each type of official, both rounds, lonely adjust, logit.
for (r in 1:2) {
    for (s in sectors) {
        p <- paid_s(s)
        demo(sprintf("demo_r%d_%s", r, s), r, sprintf("paid_%s == 1", s), p$y,
             among = sprintf("contact_%s == 1", s), r_among = p$among,
             missing = "8,9", lonely = "adjust", by = "zone")
    }
    demo(sprintf("demo_r%d_any", r), r, "paid_any", paid_any$y,
         among = "contact_any == 1", r_among = paid_any$among,
         missing = "8,9", lonely = "adjust", by = "zone")
    demo(sprintf("demo_r%d_nbribes_mean", r), r, "n_bribes",
         function(d) d$n_bribes, type = "mean", among = "paid_any == 1",
         r_among = function(d) d$paid_any == 1, lonely = "adjust",
         by = "zone")
    # Total under adjust with stratum 62 in the domain: R 4.5 by hand.
    demo(sprintf("demo_r%d_nbribes_total", r), r, "n_bribes",
         function(d) d$n_bribes, type = "total", lonely = "adjust",
         by = "zone")
}
demo("demo_r1_nbribes_total_remove", 1, "n_bribes", function(d) d$n_bribes,
     type = "total", lonely = "remove", by = "zone")
demo("demo_r1_nbribes_total_average", 1, "n_bribes", function(d) d$n_bribes,
     type = "total", lonely = "average", by = "zone")
demo("demo_r1_any_beta", 1, "paid_any", paid_any$y,
     among = "contact_any == 1", r_among = paid_any$among, missing = "8,9",
     lonely = "adjust", by = "zone", ci = "beta")
demo("demo_r1_any_wald_dfdesign", 1, "paid_any", paid_any$y,
     among = "contact_any == 1", r_among = paid_any$among, missing = "8,9",
     lonely = "adjust", by = "zone", ci = "wald", df = "design")
demo("demo_r2_police_region_sex", 2, "paid_police == 1",
     paid_s("police")$y, among = "contact_police == 1",
     r_among = paid_s("police")$among, missing = "8,9", lonely = "adjust",
     by = "zone:sex")

# 7. Afrobarometer Tunisia R7-R9: strata REGION x URBRUR, each row a PSU.
# Items coded 0 never, 1-3 paid, 7/8/9/-1 neither (values, not NA).
afro_items <- list(
    tun_r7 = c("Q49C", "Q49G", "Q49K", "Q49N", "Q49R", "Q49T"),
    tun_r8 = c("Q44C", "Q44F", "Q44I", "Q44L", "Q44N"),
    tun_r9 = c("Q40C", "Q41C", "Q42C", "Q43C", "Q43E"))
afro_weight <- c(tun_r7 = "withinwt", tun_r8 = "withinwt_hh",
                 tun_r9 = "withinwt_hh")
afro_any <- function(items, lo, hi) {
    force(items)
    list(expr = sprintf("any(%s)", paste(sprintf("%s in %d..%d", items, lo, hi),
                                          collapse = ", ")),
         r = function(d) do.call(any3, lapply(items, function(q)
             in_range(d[[q]], lo, hi))))
}
for (r in names(afro_items)) {
    path <- file.path(afro_dir, paste0(r, "_data.sav"))
    if (!file.exists(path)) {
        message("estimate_ref.R: ", path, " is absent: case ", r, "_* skipped")
        next
    }
    paid <- afro_any(afro_items[[r]], 1, 3)
    contact <- afro_any(afro_items[[r]], 0, 3)
    afro <- function(case, ...) add_case(case, path, afro_weight[[r]],
                                         strata = "REGION:URBRUR",
                                         lonely = "fail",
                                         loader = read_sav_plain, ...)
    if (r == "tun_r7") {
        afro("tun_r7_paid", paid$expr, paid$r, among = contact$expr,
             r_among = contact$r)
        afro("tun_r7_paid_beta", paid$expr, paid$r, among = contact$expr,
             r_among = contact$r, ci = "beta")
    }
    afro(paste0(r, "_paid_region"), paid$expr, paid$r, among = contact$expr,
         r_among = contact$r, by = "REGION")
}

# ---------------------------------------------------------------- run

logit_gap <- 0  # largest relative gap, svyciprop logit vs the ratio's
data_cache <- list()
ref_rows <- list()
for (cs in cases) {
    key <- cs$file
    if (is.null(data_cache[[key]])) data_cache[[key]] <- cs$loader(cs$file)
    d <- apply_missing(cs, data_cache[[key]])
    y <- cs$r_y(d)
    if (cs$type == "prop") {
        stopifnot(is.logical(y))
        y <- as.numeric(y)
    }
    among <- if (is.null(cs$r_among)) rep(TRUE, nrow(d)) else cs$r_among(d)
    d$gy <- y
    d$gdom <- !is.na(among) & among & !is.na(y)
    by <- if (cs$by == "") character(0) else strsplit(cs$by, ":")[[1]]
    for (b in by) stopifnot(!anyNA(d[[b]][d$gdom]))

    old <- options(survey.lonely.psu = cs$lonely)
    des <- make_design(cs, d)
    sel <- d$gdom
    res <- list(c(domain = "All",
                  estimate_domain(cs, des, subset(des, sel))))
    if (length(by)) {
        cells <- unique(d[d$gdom, by, drop = FALSE])
        cells <- cells[do.call(order, unname(as.list(cells))), , drop = FALSE]
        for (k in seq_len(nrow(cells))) {
            sel <- d$gdom
            for (b in by) sel <- sel & d[[b]] == cells[[b]][k]
            code <- paste(vapply(by, function(b) fmt_value(cells[[b]][k]), ""),
                          collapse = ":")
            res[[length(res) + 1]] <- c(domain = code,
                                        estimate_domain(cs, des,
                                                        subset(des, sel)))
        }
        cell_res <- res[-1]
        names(cell_res) <- vapply(cell_res, `[[`, "", "domain")
        check_svyby(cs, des, subset(des, d$gdom), cell_res)
    }
    options(old)

    for (x in res) {
        if (x$note != "")
            cat(sprintf("%s [%s]: %s\n", cs$case, x$domain, x$note))
        ref_rows[[length(ref_rows) + 1]] <- data.frame(
            case = cs$case, domain = x$domain,
            estimate = num17(x$estimate), se = num17(x$se),
            ci_low = num17(x$ci_low), ci_high = num17(x$ci_high),
            df = num17(x$df), n = num17(x$n),
            weighted_n = num17(x$weighted_n), stringsAsFactors = FALSE)
    }
    if (cs$case == "tun_r7_paid") {
        x <- res[[1]]
        txt <- sprintf("%.1f %% [%.1f, %.1f]", 100 * x$estimate,
                       100 * x$ci_low, 100 * x$ci_high)
        cat(sprintf("Afrobarometer Tunisia R7, paid among contacts: %s (n %d)\n",
                    txt, x$n))
        stopifnot(txt == "18.2 % [15.8, 20.9]")
    }
    if (cs$case %in% c("tun_r8_paid_region", "tun_r9_paid_region")) {
        x <- res[[1]]
        cat(sprintf("Afrobarometer Tunisia %s, paid among contacts: %.1f %%\n",
                    toupper(substr(cs$case, 5, 6)), 100 * x$estimate))
        stopifnot(sprintf("%.1f", 100 * x$estimate) ==
                  c(tun_r8_paid_region = "21.6",
                    tun_r9_paid_region = "28.1")[[cs$case]])
    }
    # The demo README's table (R, lonely adjust, 8/9 excluded).
    readme <- list(demo_r1_police = c(33.1, 2.4), demo_r2_police = c(21.0, 1.8),
                   demo_r1_any = c(30.2, 1.5), demo_r2_any = c(27.8, 1.6))
    if (!is.null(readme[[cs$case]])) {
        x <- res[[1]]
        stopifnot(all(round(100 * c(x$estimate, x$se), 1) ==
                      readme[[cs$case]]))
    }
}

cat(sprintf(paste("logit intervals: svyciprop (glm epsilon 1e-8) vs converged",
                  "svyglm: max relative gap %.3g\n"), logit_gap))

case_cols <- c("case", "file", "weight", "strata", "psu", "fpc", "nest",
               "lonely", "missing", "type", "expr", "among", "by", "ci",
               "level", "df")
cases_df <- do.call(rbind, lapply(cases, function(cs)
    as.data.frame(cs[case_cols], stringsAsFactors = FALSE)))
ref_df <- do.call(rbind, ref_rows)
dir.create("tests/ref", showWarnings = FALSE)
write_csv_plain(cases_df, out_cases)
write_csv_plain(ref_df, out_ref)
cat(sprintf("%s: %d cases\n%s: %d rows\n", out_cases, nrow(cases_df),
            out_ref, nrow(ref_df)))
