# compare_ref.R - reference round comparisons and trends from R's survey
# package for `graft compare` and `graft trend`:
#   tests/ref/compare_cases.csv  the inputs of each comparison case
#   tests/ref/compare_ref.csv    R's answer for every domain of every case
#   tests/ref/padjust_ref.csv    p.adjust() of every run, three methods
#   tests/ref/trend_cases.csv    the inputs of each trend case
#   tests/ref/trend_ref.csv      R's answer for every domain of every trend
#
# Run from the repository root:
#     Rscript tests/R/compare_ref.R
# Made with R 4.2.2, survey 4.1-1 and haven 2.5.1 (Debian r-cran-survey,
# r-cran-haven).  CI never runs R: the outputs are committed.  The
# Afrobarometer cases need ../shared/data/afrobarometer/ (see its README.md);
# when it is absent they are skipped with a message and are missing from the
# outputs.  Conventions (expressions written next to their R translation,
# Kleene logic, "x in a..b" as x >= a & x <= b, domains, "%.17g", RFC 4180
# fields) are those of tests/R/estimate_ref.R.
#
# ====================================================================
# Method (docs/METHODS.md, "Comparisons and trends")
# ====================================================================
# The two (or K) rounds are stacked into one data set with a `round` column
# (1 = baseline = the first file, 2 = follow-up = the second; trends 1..K in
# command-line order), each row keeping its own round's weight column.  In
# each round the value y of a row is the expression (prop: its truth, 1/0;
# mean: the number; NA when the expression is NA) and the domain is the rows
# where `among` is TRUE and y is not NA (estimate_ref.R's domain, per round),
# intersected with the by-cell.  The stacked design:
#
#   independent rounds (shared_psus = false): every round its own strata and
#     PSUs.  svydesign(ids = ~PSU, strata = ~H, weights = ~w, data = stacked)
#     with H = interaction(round, strata columns) and PSU =
#     interaction(round, [strata columns if nest,] psu); no psu: ids = ~1.
#   shared PSUs (shared_psus = true, a panel of areas): the rounds share the
#     strata AND the PSUs: H = interaction(strata columns) (no round), PSU =
#     interaction(strata columns, psu) with nest = true, the psu column alone
#     with nest = false.  A stratum's n_h is the number of distinct PSU ids
#     in it over both rounds (the union), a PSU's total is the sum of its
#     rows of both rounds, and an id seen in only one round is a PSU whose
#     other-round scores are zero.  (Demo data: EAs are numbered 1..k within
#     each stratum with the same k in both rounds, so the two rounds have
#     the same PSU set and each round's own SE is unchanged; only the
#     covariance enters.  The demo's round 2 is in truth an independent
#     sample: the shared-PSU cases test the arithmetic, not a real panel.)
#     A survey without a psu column cannot share PSUs (each row is its own
#     PSU; no case does this).
#
# The domain design is subset(stacked, domain & cell) (PSUs and strata
# without domain rows keep their n_h; estimate_ref.R's semantics).  Then
#     sb <- svyby(~y, ~round, sub, svymean, covmat = TRUE)
#     svycontrast(sb, c(-1, 1))           # diff = followup - baseline
# i.e. the variance of the difference is the linearization variance of the
# per-row scores z_i(round 2 estimate) - z_i(round 1 estimate), summed per
# PSU, with lonely-PSU handling as in the case (`lonely`, R's
# options(survey.lonely.psu); for ratios survey 4.1-1 and 4.5 agree, the
# scores summing to zero).  With independent rounds this is V1 + V2 (the
# script checks se_diff^2 = se1^2 + se2^2 with the single-round SEs of
# estimate_ref.R, to 1e-10).  The script also checks, per case, that one
# svyby(~y, ~round + by, subset(stacked, domain), svymean, covmat = TRUE)
# and one svycontrast() per cell give the same differences and SEs as the
# per-cell subsets.
#
# Degrees of freedom (test_df):
#   sum            degf() of the stacked domain design (PSUs with domain
#                  rows minus strata with domain rows, svyby's convention),
#                  R's df for the stacked design.  Independent rounds: this
#                  is df1 + df2, the rounds' own domain dfs (checked).
#                  Shared PSUs: PSUs with domain rows in either round minus
#                  strata with domain rows in either round (NOT df1 + df2: a
#                  PSU present in both rounds counts once).
#   min            min(df1, df2).
#   satterthwaite  (v1 + v2)^2 / (v1^2 / df1 + v2^2 / df2), where v_r =
#                  se_r^2 is round r's own domain variance (the SE graft
#                  estimate reports) and df_r its domain df (graft estimate's
#                  df); not rounded.  Only defined here for independent
#                  rounds (any covariance is ignored by the formula).
#   df1, df2 = degf(subset(round r's own design, domain & cell)).
#
# Tests and intervals (t, never normal):
#   t = diff / se_diff; p_value = 2 * pt(-|t|, df)
#   ci = diff -/+ qt(1 - (1 - level) / 2, df) * se_diff  (checked against
#        confint(svycontrast(...), df = df))
#   The interval is NOT multiplicity-adjusted.
#
# Multiple comparisons (adjust): one "run" = one graft command (column `run`
# of compare_cases.csv; several cases with the same run are the indicators
# of one command, e.g. one analysis file).  The family adjusted together is
# every comparison the run reports: every indicator x every domain row,
# INCLUDING the "All" row (the overall difference is a test reported next to
# the regional ones, so it counts).  p.adjust(p, method) over the family
# (R's method names holm, bonferroni, BH; graft's holm, bonferroni, bh;
# none = p itself).  Rows whose p is undefined (a round without rows in the
# cell, or se_diff = 0) are left out of the family (p.adjust's default n =
# the number of non-NA p) and get an empty p_adjusted.
#
# change (a judgment call for graft's column, given as a reference): with
# alpha = 1 - level, "increase" when p_adjusted < alpha and diff > 0,
# "decrease" when p_adjusted < alpha and diff < 0, else "no significant
# change"; empty when p_adjusted is empty.  This is R's semantics of
# p.adjust (adjusted p-values are compared with the nominal alpha).  With
# adjust = none it agrees with the interval (excludes 0 <=> p < alpha);
# with an adjustment, an interval that excludes 0 may still say "no
# significant change" (the interval is unadjusted).
#
# rel_change = diff / baseline; empty when baseline = 0.
#
# ====================================================================
# tests/ref/compare_cases.csv, one row per case
# ====================================================================
#   case         name of the case (one indicator of one run)
#   run          the graft command it belongs to: the adjustment family
#   file1,file2  baseline / follow-up data (CSV, relative to the repository
#                root), or a survey file (.ini) whose [design], [missing]
#                and [derive] apply (the expressions then use its derived
#                variables; the columns below repeat its design)
#   weight1,weight2  each round's weight column
#   strata       stratum columns joined by ":" (their combination)
#   psu          PSU column; empty: each row is its own PSU
#   nest         true/false (svydesign nest =)
#   lonely       fail|remove|certainty|adjust|average
#   missing      codes missing in every non-design column of both rounds
#                (graft --missing); empty: none (an .ini's own [missing]
#                still applies)
#   shared_psus  true/false (graft --shared-psus)
#   type         prop|mean
#   expr, among  graft expressions (among empty: all rows)
#   by           by columns joined by ":"; empty: only the "All" domain
#   level        confidence level
#   test_df      sum|min|satterthwaite
#   adjust       none|bonferroni|holm|bh: the run's method (the same for all
#                cases of a run)
#
# Runs (the graft command each stands for):
#   demo_indep   graft compare surveys/demo/round1.csv surveys/demo/round2.csv
#                --weight weight --strata stratum --psu ea --nest
#                --lonely-psu adjust --missing 8,9 --by zone, with
#                --prop 'paid_S == 1' --among 'contact_S == 1' for the 8
#                types of official S and --prop 'paid_any == 1' --among
#                'contact_any == 1' (9 indicators x 7 domains = 63 tests)
#   demo_shared  the same with --shared-psus
#   demo_analysis  graft compare surveys/demo/round1.ini
#                surveys/demo/round2.ini --analysis analysis/demo.ini
#                (its 11 indicators, incl. the mean n_bribes, by zone: 77)
#   demo_police_df_min, demo_police_df_satterthwaite, demo_police_level90,
#   demo_police_bh, demo_police_none, demo_police_shared_bonferroni
#                police only, by zone: the test_df, level and adjust
#                variants (one case each, 7 tests)
#   tun_r8_r9    graft compare surveys/tun_r8.ini surveys/tun_r9.ini
#                --analysis analysis/tunisia.ini (6 indicators x 8 = 48)
#   tun_r8_r9_any5_all  the five-item "any" overall only (the check value
#                +6.5 points, SE 2.25: one test)
#   tun_r7_r8_any5, tun_r7_r9_any5  --prop 'paid_any5 == 1' --among
#                'contact_any5 == 1' --by REGION (R7 weight withinwt)
#
# ====================================================================
# tests/ref/compare_ref.csv, one row per case and domain ("All" first, then
# the by-cells with domain rows in either round, sorted; domain key as in
# estimate_ref.R: codes joined by ":").  Numbers "%.17g"; empty = undefined.
# ====================================================================
#   case, domain
#   baseline, followup  the rounds' domain estimates (svymean ratio; empty
#                when the round has no row in the cell)
#   diff         followup - baseline (svycontrast)
#   se_diff      SE(svycontrast)
#   ci_low, ci_high  t interval at `level` and df (empty when se_diff = 0)
#   df           the test's df (test_df)
#   p_value      2 * pt(-|diff / se_diff|, df) (empty when se_diff = 0)
#   p_adjusted   p.adjust over the run with the case's `adjust`
#   change       increase|decrease|no significant change (see above)
#   rel_change   diff / baseline (a fraction: -0.367 = a 36.7 % fall)
#   se_baseline, se_followup  each round's own domain SE (graft estimate's;
#                equal to the stacked design's, checked: for shared PSUs
#                because the demo rounds have the same PSU set per stratum)
#   covariance   Cov(baseline, followup) from svyby's covmat (0 for
#                independent rounds; shared PSUs: what enters se_diff^2 =
#                se_baseline^2 + se_followup^2 - 2 covariance)
#   df_baseline, df_followup  the rounds' own domain dfs (df1, df2)
#   n_baseline, n_followup    unweighted rows in each round's domain
#
# tests/ref/padjust_ref.csv: run, case, domain, method (bonferroni|holm|bh),
# p (compare_ref's p_value), p_adjusted = p.adjust(p over the run, method).
# Every run, every method, whatever the run's own `adjust`.
#
# ====================================================================
# Trends (graft trend): tests/ref/trend_cases.csv, one row per case
# ====================================================================
#   case, run    as above (run = the adjustment family)
#   files        survey files of the rounds, in order, joined by ":"
#   weights      their weight columns, joined by ":"
#   years        their years ([survey] year), joined by ":"
#   strata, psu, nest, lonely, missing, shared_psus, type, expr, among, by,
#   level, test_df, adjust   as in compare_cases.csv (test_df always sum)
# Runs: tun_trend = graft trend surveys/tun_r7.ini surveys/tun_r8.ini
# surveys/tun_r9.ini --analysis analysis/tunisia.ini (6 indicators by
# REGION, years 2018, 2020, 2022: evenly spaced).  tun_trend_uneven: the
# same data and any5 only, but HYPOTHETICAL years 2018, 2021, 2022 (not the
# real fieldwork years: a test of the uneven-spacing contrast; graft takes
# years from the survey files, so a test would write survey files saying
# so).
#
# Stacking: all K rounds, independent (each its own strata and PSUs).  For
# each domain, sb <- svyby(~y, ~round, subset(stacked, domain & cell),
# svymean, covmat = TRUE), then svycontrast(sb, c) for each contrast c.
#
# tests/ref/trend_ref.csv, one row per case, domain and term:
#   case, domain  as above
#   term     estimate  one round's estimate (from = to = the round, 1..K)
#            change    round `to` minus round `from`: each consecutive pair
#                      (1->2, 2->3, ...) then first to last (1->K)
#            linear    orthogonal-polynomial linear contrast over all
#                      rounds, c = contr.poly(K, scores = years)[, 1] =
#                      (t - mean t) / sqrt(sum (t - mean t)^2); for evenly
#                      spaced years R's default contr.poly(3)[, 1] =
#                      (-0.7071, 0, 0.7071) (from = 1, to = K)
#            slope     the same trend per year: c = (t - mean t) /
#                      sum (t - mean t)^2 (the least-squares slope of the
#                      round estimates on t, unweighted by their SEs); its
#                      t statistic and p are the linear contrast's
#   from, to       1-based round positions
#   estimate, se   estimate: the round's estimate and SE (graft estimate's);
#                  others: svycontrast's estimate and SE (proportions are
#                  fractions; linear in fraction units times the contrast's
#                  scale; slope in fraction per year)
#   ci_low, ci_high  estimate: logit interval at the round's domain df (as
#                  graft estimate, ci = logit; empty for p = 0 or 1);
#                  others: estimate -/+ qt(1 - (1 - level) / 2, df) * se
#   df       estimate: the round's domain df; change: df_from + df_to
#            (= degf of the two rounds' stacked domain design: the same
#            numbers as `graft compare` of the two files); linear, slope:
#            degf of the K rounds' stacked domain design = sum of the K
#            domain dfs
#   p_value  2 * pt(-|estimate / se|, df) (empty for estimate rows)
#   p_adjusted  holm (the run's adjust) over the run's family: every
#            change row (consecutive and first-to-last) and every linear
#            row of every indicator and domain; slope rows repeat their
#            linear row's p and p_adjusted and are not counted twice.
#   change   as in compare_ref.csv (change, linear and slope rows)
# A contrast involving a round without rows in the cell is left empty; the
# linear and slope rows need all K rounds.
#
# Check values (stopifnot): Tunisia R8 -> R9, any of the five common
# services among contacts with any of them: 21.6 % -> 28.1 %, +6.5 points,
# SE 2.25, df 1701 (the Afrobarometer README); R7 with the same five items
# 18.3 % (the six-item 18.2 % is not comparable); the demo README's police
# (-12.2, SE 3.0) and "any" (-2.4, SE 2.2) changes.  The trend's pairwise
# changes equal the compare cases of the same pairs.
#
# Survey and analysis files: the Tunisia cases use surveys/tun_r7.ini,
# tun_r8.ini, tun_r9.ini and analysis/tunisia.ini; their [derive] sections
# are re-written by hand in load_tun_ini() below.  Checked once outside this
# script: `graft estimate surveys/tun_rN.ini --analysis analysis/tunisia.ini`
# (and the demo .ini files with analysis/demo.ini) give the baseline /
# follow-up / per-round estimates, SEs and dfs of these files to 8e-15
# (relative), dfs exactly.
#
# Judgment calls (also in the report of the commit that added this file):
# * Adjustment family = one graft command: every indicator x every domain,
#   the "All" row included.  Consequence worth knowing: in the Tunisia
#   trend run (6 indicators x 8 domains x 4 tests = 192) the R8 -> R9
#   headline (p 0.0037) has holm 0.64; in the R8 -> R9 compare run (48
#   tests) holm 0.16, and alone (tun_r8_r9_any5_all) 0.0037.
# * `change` is decided on p_adjusted (not on the unadjusted interval).
# * df sum with shared PSUs is R's degf of the stacked design, not
#   df1 + df2; min and satterthwaite are only referenced for independent
#   rounds.
# * se_diff = 0 (both rounds 0 % or 100 % in a cell): interval, p,
#   p_adjusted and change are empty, the row is outside the family; diff
#   (0) and se_diff (0) are written.
# * A by-cell with domain rows in only one round: that round's estimate,
#   everything else empty (no Tunisia or demo case has one).
# * Trend change rows use the pair's df (df_from + df_to), so they are the
#   numbers `graft compare` gives for that pair; linear and slope use the
#   sum over all rounds.  Both linear scalings are given: the orthonormal
#   contr.poly one (R's) and the per-year slope; they share t and p.
# * The uneven-years trend uses hypothetical years (2018, 2021, 2022).
suppressPackageStartupMessages({
    library(survey)
    library(haven)
})

afro_dir <- "../shared/data/afrobarometer"
out_cases <- "tests/ref/compare_cases.csv"
out_ref <- "tests/ref/compare_ref.csv"
out_padj <- "tests/ref/padjust_ref.csv"
out_tcases <- "tests/ref/trend_cases.csv"
out_trend <- "tests/ref/trend_ref.csv"

# ---------------------------------------------------------------- helpers

read_csv_data <- function(path) {
    read.csv(path, stringsAsFactors = FALSE, na.strings = "")
}

read_sav_plain <- function(path) {
    as.data.frame(zap_labels(read_sav(path)))
}

in_range <- function(x, lo, hi) x >= lo & x <= hi
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

# "%.17g", undefined (NA, NaN, +-Inf) as an empty field.
num17 <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "")

fmt_value <- function(v) {
    if (is.numeric(v)) format(v, digits = 15) else as.character(v)
}

r_adjust <- c(none = "none", bonferroni = "bonferroni", holm = "holm",
              bh = "BH")

change_word <- function(diff, p_adj, level) {
    ifelse(is.na(p_adj), "",
           ifelse(p_adj < 1 - level & diff > 0, "increase",
                  ifelse(p_adj < 1 - level & diff < 0, "decrease",
                         "no significant change")))
}

t_test <- function(est, se, df, level) {
    ok <- is.finite(se) & se > 0 & is.finite(df) & df > 0
    t <- est / se
    q <- qt(1 - (1 - level) / 2, df)
    list(p = ifelse(ok, 2 * pt(-abs(t), df), NA),
         lo = ifelse(ok, est - q * se, NA), hi = ifelse(ok, est + q * se, NA))
}

# ---------------------------------------------------------------- data

# The demo survey files' [missing]: 8, 9 in contact_* and paid_* only.
load_demo_ini <- function(path) {
    d <- read_csv_data(sub("\\.ini$", ".csv", path))
    for (v in grep("^(contact|paid)_", names(d), value = TRUE))
        d[[v]][d[[v]] %in% c(8, 9)] <- NA
    d
}

# The Tunisia survey files' [derive], by hand.  Items: 0 never, 1-3 paid,
# 7/8/9/-1 neither (values, not NA; no [missing] in the survey files).
tun_items <- list(
    tun_r7 = c(school = "Q49C", medical = "Q49G", id_document = "Q49K",
               household = "Q49N", police_assist = "Q49R",
               police_avoid = "Q49T"),
    tun_r8 = c(school = "Q44C", medical = "Q44F", id_document = "Q44I",
               police_assist = "Q44L", police_avoid = "Q44N"),
    tun_r9 = c(school = "Q40C", medical = "Q41C", id_document = "Q42C",
               police_assist = "Q43C", police_avoid = "Q43E"))
tun_weight <- c(tun_r7 = "withinwt", tun_r8 = "withinwt_hh",
                tun_r9 = "withinwt_hh")
tun_year <- c(tun_r7 = 2018, tun_r8 = 2020, tun_r9 = 2022)
common5 <- c("school", "medical", "id_document", "police_assist",
             "police_avoid")
tun_sav <- function(r) file.path(afro_dir, paste0(r, "_data.sav"))
tun_ini <- function(r) sprintf("surveys/%s.ini", r)
load_tun_ini <- function(path) {
    r <- sub("^surveys/(tun_r[0-9]+)\\.ini$", "\\1", path)
    d <- read_sav_plain(tun_sav(r))
    items <- tun_items[[r]]
    for (s in names(items)) {
        d[[paste0("paid_", s)]] <- as.numeric(in_range(d[[items[[s]]]], 1, 3))
        d[[paste0("contact_", s)]] <- as.numeric(in_range(d[[items[[s]]]],
                                                          0, 3))
    }
    d$paid_any5 <- as.numeric(do.call(any3, lapply(common5, function(s)
        d[[paste0("paid_", s)]] == 1)))
    d$contact_any5 <- as.numeric(do.call(any3, lapply(common5, function(s)
        d[[paste0("contact_", s)]] == 1)))
    all_s <- names(items)
    d$paid_any <- as.numeric(do.call(any3, lapply(all_s, function(s)
        d[[paste0("paid_", s)]] == 1)))
    d$contact_any <- as.numeric(do.call(any3, lapply(all_s, function(s)
        d[[paste0("contact_", s)]] == 1)))
    d
}

loader_for <- function(file) {
    if (grepl("^surveys/tun_r[0-9]+\\.ini$", file)) load_tun_ini
    else if (grepl("\\.ini$", file)) load_demo_ini
    else read_csv_data
}

data_cache <- list()
get_data <- function(file) {
    if (is.null(data_cache[[file]]))
        data_cache[[file]] <<- loader_for(file)(file)
    data_cache[[file]]
}

apply_missing <- function(cs, data, weight) {
    if (cs$missing == "") return(data)
    codes <- as.numeric(strsplit(cs$missing, ",")[[1]])
    design_cols <- c(weight, split_cols(cs$strata), cs$psu)
    for (v in setdiff(names(data), design_cols))
        if (is.numeric(data[[v]])) data[[v]][data[[v]] %in% codes] <- NA
    data
}

split_cols <- function(x) if (x == "") character(0) else strsplit(x, ":")[[1]]

# One round, reduced to what the designs need: .w, .st (stratum key), .psu,
# the by columns, gy (value), gdom (in the domain), round.
prep_round <- function(cs, file, weight, k) {
    d <- apply_missing(cs, get_data(file), weight)
    y <- cs$r_y(d)
    if (cs$type == "prop") {
        stopifnot(is.logical(y))
        y <- as.numeric(y)
    }
    among <- if (is.null(cs$r_among)) rep(TRUE, nrow(d)) else cs$r_among(d)
    st <- split_cols(cs$strata)
    by <- split_cols(cs$by)
    out <- data.frame(.w = d[[weight]], stringsAsFactors = FALSE)
    out$.st <- if (length(st)) do.call(paste, c(unname(d[st]), sep = "|"))
               else "1"
    out$.psu <- if (cs$psu == "") seq_len(nrow(d)) else d[[cs$psu]]
    for (b in by) out[[b]] <- d[[b]]
    out$gy <- y
    out$gdom <- !is.na(among) & among & !is.na(y)
    out$round <- k
    for (b in by) stopifnot(!anyNA(out[[b]][out$gdom]))
    out
}

# A round on its own (estimate_ref.R's make_design).
round_design <- function(cs, d) {
    svydesign(ids = if (cs$psu == "") ~1 else ~.psu, strata = ~.st,
              weights = ~.w, nest = cs$nest == "true", data = d)
}

# The stacked design of rounds D (a list).
stacked_design <- function(cs, d, shared) {
    s <- do.call(rbind, d)
    if (shared) {
        stopifnot(cs$psu != "")
        s$.h <- s$.st
        s$.c <- if (cs$nest == "true") paste(s$.st, s$.psu, sep = "#")
                else as.character(s$.psu)
    } else {
        s$.h <- paste(s$round, s$.st, sep = "#")
        s$.c <- if (cs$nest == "true") paste(s$round, s$.st, s$.psu, sep = "#")
                else paste(s$round, s$.psu, sep = "#")
    }
    s$round <- factor(s$round)
    svydesign(ids = if (cs$psu == "") ~1 else ~.c, strata = ~.h,
              weights = ~.w, data = s)
}

# Rows of D in the cell KEY (a list by column -> value); all rows for NULL.
in_cell <- function(d, by, key) {
    sel <- rep(TRUE, nrow(d))
    if (is.null(key)) return(sel)
    for (b in by) sel <- sel & !is.na(d[[b]]) & d[[b]] == key[[b]]
    sel
}

# Round-by-round domain estimates on each round's own design.
round_estimate <- function(cs, des, d, sel) {
    if (!any(sel)) return(list(est = NA, se = NA, df = NA, n = 0))
    sub <- subset(des, sel)
    m <- svymean(~gy, sub)
    list(est = unname(coef(m)), se = sqrt(as.numeric(vcov(m))),
         df = degf(sub), n = sum(sel), sub = sub)
}

# The cells: all by-value combinations with domain rows in any round.
cells_of <- function(rounds, by) {
    if (!length(by)) return(list())
    u <- unique(do.call(rbind, lapply(rounds, function(d)
        d[d$gdom, by, drop = FALSE])))
    u <- u[do.call(order, unname(as.list(u))), , drop = FALSE]
    lapply(seq_len(nrow(u)), function(k) as.list(u[k, , drop = FALSE]))
}

cell_code <- function(by, key) {
    if (is.null(key)) return("All")
    paste(vapply(by, function(b) fmt_value(key[[b]]), ""), collapse = ":")
}

# ---------------------------------------------------------------- cases

cases <- list()
add_case <- function(case, run, file1, file2, weight1, weight2, expr, r_y,
                     type = "prop", strata = "", psu = "", nest = FALSE,
                     lonely = "fail", missing = "", shared = FALSE,
                     among = "", r_among = NULL, by = "", level = "0.95",
                     test_df = "sum", adjust = "holm") {
    stopifnot(!(case %in% names(cases)))
    cases[[case]] <<- list(
        case = case, run = run, file1 = file1, file2 = file2,
        weight1 = weight1, weight2 = weight2, strata = strata, psu = psu,
        nest = if (nest) "true" else "false", lonely = lonely,
        missing = missing, shared_psus = if (shared) "true" else "false",
        type = type, expr = expr, among = among, by = by, level = level,
        test_df = test_df, adjust = adjust, r_y = r_y, r_among = r_among)
}

sectors <- c("police", "courts", "tax", "health", "education", "land",
             "utilities", "permits")
flag1 <- function(col) {
    force(col)
    function(d) d[[col]] == 1
}
demo <- function(case, run, ...)
    add_case(case, run, "surveys/demo/round1.csv", "surveys/demo/round2.csv",
             "weight", "weight", strata = "stratum", psu = "ea", nest = TRUE,
             lonely = "adjust", missing = "8,9", by = "zone", ...)
demo_prop <- function(case, run, s, ...)
    demo(case, run, sprintf("paid_%s == 1", s), flag1(paste0("paid_", s)),
         among = sprintf("contact_%s == 1", s),
         r_among = flag1(paste0("contact_", s)), ...)

# (a) independent rounds, (b) shared PSUs: 8 officials + any, by zone.
for (shared in c(FALSE, TRUE)) {
    run <- if (shared) "demo_shared" else "demo_indep"
    for (s in c(sectors, "any"))
        demo_prop(paste0(run, "_", s), run, s, shared = shared)
}
# The demo analysis file on the demo survey files (their own [missing]).
demo_ini <- function(case, ...)
    add_case(case, "demo_analysis", "surveys/demo/round1.ini",
             "surveys/demo/round2.ini", "weight", "weight",
             strata = "stratum", psu = "ea", nest = TRUE, lonely = "adjust",
             by = "zone", ...)
for (s in c("any", sectors))
    demo_ini(paste0("demo_analysis_", s), sprintf("paid_%s == 1", s),
             flag1(paste0("paid_", s)), among = sprintf("contact_%s == 1", s),
             r_among = flag1(paste0("contact_", s)))
demo_ini("demo_analysis_n_bribes", "n_bribes", function(d) d$n_bribes,
         type = "mean", among = "paid_any == 1", r_among = flag1("paid_any"))
demo_ini("demo_analysis_reported", "reported == 1", flag1("reported"),
         among = "paid_any == 1", r_among = flag1("paid_any"))
# (e) test_df, level and adjust variants, police by zone.
demo_prop("demo_police_df_min", "demo_police_df_min", "police",
          test_df = "min")
demo_prop("demo_police_df_satterthwaite", "demo_police_df_satterthwaite",
          "police", test_df = "satterthwaite")
demo_prop("demo_police_level90", "demo_police_level90", "police",
          level = "0.9", adjust = "bonferroni")
demo_prop("demo_police_bh", "demo_police_bh", "police", adjust = "bh")
demo_prop("demo_police_none", "demo_police_none", "police", adjust = "none")
demo_prop("demo_police_shared_bonferroni", "demo_police_shared_bonferroni",
          "police", shared = TRUE, adjust = "bonferroni")

# (c) Tunisia.
have_afro <- all(file.exists(tun_sav(names(tun_items))))
if (!have_afro)
    message("compare_ref.R: ", afro_dir, " is incomplete: Tunisia cases ",
            "skipped")
tun <- function(case, run, r1, r2, ...)
    add_case(case, run, tun_ini(r1), tun_ini(r2), tun_weight[[r1]],
             tun_weight[[r2]], strata = "REGION:URBRUR", lonely = "fail", ...)
tun_ind <- c("any5", common5)
if (have_afro) {
    for (s in tun_ind)
        tun(paste0("tun_r8_r9_", s), "tun_r8_r9", "tun_r8", "tun_r9",
            sprintf("paid_%s == 1", s), flag1(paste0("paid_", s)),
            among = sprintf("contact_%s == 1", s),
            r_among = flag1(paste0("contact_", s)), by = "REGION")
    any5 <- function(case, r1, r2, by = "REGION")
        tun(case, case, r1, r2, "paid_any5 == 1", flag1("paid_any5"),
            among = "contact_any5 == 1", r_among = flag1("contact_any5"),
            by = by)
    any5("tun_r8_r9_any5_all", "tun_r8", "tun_r9", by = "")
    any5("tun_r7_r8_any5", "tun_r7", "tun_r8")
    any5("tun_r7_r9_any5", "tun_r7", "tun_r9")
}

# ---------------------------------------------------------------- compare

# One case: a data frame of its domains.
run_case <- function(cs) {
    shared <- cs$shared_psus == "true"
    level <- as.numeric(cs$level)
    by <- split_cols(cs$by)
    rounds <- list(prep_round(cs, cs$file1, cs$weight1, 1),
                   prep_round(cs, cs$file2, cs$weight2, 2))
    old <- options(survey.lonely.psu = cs$lonely)
    on.exit(options(old))
    own <- lapply(rounds, function(d) round_design(cs, d))
    stk <- stacked_design(cs, rounds, shared)
    sv <- stk$variables
    keys <- c(list(NULL), cells_of(rounds, by))
    rows <- list()
    for (key in keys) {
        r <- lapply(1:2, function(k) {
            sel <- rounds[[k]]$gdom & in_cell(rounds[[k]], by, key)
            round_estimate(cs, own[[k]], rounds[[k]], sel)
        })
        x <- list(domain = cell_code(by, key), baseline = r[[1]]$est,
                  followup = r[[2]]$est, diff = NA, se_diff = NA, df = NA,
                  se_baseline = r[[1]]$se, se_followup = r[[2]]$se,
                  covariance = NA, df_baseline = r[[1]]$df,
                  df_followup = r[[2]]$df, n_baseline = r[[1]]$n,
                  n_followup = r[[2]]$n)
        if (r[[1]]$n > 0 && r[[2]]$n > 0) {
            sel <- sv$gdom & in_cell(sv, by, key)
            sub <- subset(stk, sel)
            sb <- svyby(~gy, ~round, sub, svymean, covmat = TRUE)
            V <- vcov(sb)
            con <- svycontrast(sb, c(-1, 1))
            x$diff <- as.numeric(coef(con))
            x$se_diff <- as.numeric(SE(con))
            x$covariance <- V[1, 2]
            # The stacked design gives each round's own estimate and SE.
            stopifnot(isTRUE(all.equal(unname(coef(sb)),
                                       c(r[[1]]$est, r[[2]]$est),
                                       tolerance = 1e-12)),
                      isTRUE(all.equal(unname(sqrt(diag(V))),
                                       c(r[[1]]$se, r[[2]]$se),
                                       tolerance = 1e-10)),
                      isTRUE(all.equal(x$se_diff^2,
                                       sum(diag(V)) - 2 * V[1, 2],
                                       tolerance = 1e-10)))
            if (!shared) {
                stopifnot(isTRUE(all.equal(x$se_diff^2,
                                           r[[1]]$se^2 + r[[2]]$se^2,
                                           tolerance = 1e-10)),
                          abs(V[1, 2]) <= 1e-12 * sum(diag(V)),
                          degf(sub) == r[[1]]$df + r[[2]]$df)
                x$covariance <- 0
            }
            v1 <- r[[1]]$se^2
            v2 <- r[[2]]$se^2
            x$df <- switch(cs$test_df,
                sum = degf(sub),
                min = min(r[[1]]$df, r[[2]]$df),
                satterthwaite = (v1 + v2)^2 /
                    (v1^2 / r[[1]]$df + v2^2 / r[[2]]$df))
            if (x$se_diff > 0) {
                ci <- as.numeric(confint(con, df = x$df, level = level))
                tt <- t_test(x$diff, x$se_diff, x$df, level)
                stopifnot(isTRUE(all.equal(ci, c(tt$lo, tt$hi),
                                           tolerance = 1e-12)))
            }
        }
        tt <- t_test(x$diff, x$se_diff, x$df, level)
        x$ci_low <- tt$lo
        x$ci_high <- tt$hi
        x$p_value <- tt$p
        rows[[length(rows) + 1]] <- x
    }
    out <- do.call(rbind, lapply(rows, as.data.frame, stringsAsFactors = FALSE))
    out$case <- cs$case
    # All cells at once: svyby over round x by, one contrast per cell.
    if (length(by)) {
        sel <- sv$gdom
        sub <- subset(stk, sel)
        sb <- svyby(~gy, reformulate(c("round", by)), sub, svymean,
                    covmat = TRUE)
        nm <- names(coef(sb))
        for (i in which(!is.na(out$diff) & out$domain != "All")) {
            code <- gsub(":", ".", out$domain[i], fixed = TRUE)
            cvec <- setNames(rep(0, length(nm)), nm)
            cvec[paste0("1.", code)] <- -1
            cvec[paste0("2.", code)] <- 1
            stopifnot(length(cvec) == length(nm))
            con <- svycontrast(sb, cvec)
            stopifnot(isTRUE(all.equal(as.numeric(coef(con)), out$diff[i],
                                       tolerance = 1e-10)),
                      isTRUE(all.equal(as.numeric(SE(con)), out$se_diff[i],
                                       tolerance = 1e-10)))
        }
    }
    out
}

compare_out <- list()
for (cs in cases) compare_out[[cs$case]] <- run_case(cs)

# Adjustment per run (all cases, all domains incl. All).
ref <- do.call(rbind, compare_out)
rownames(ref) <- NULL
ref$run <- vapply(ref$case, function(k) cases[[k]]$run, "")
ref$p_adjusted <- NA
padj_rows <- list()
for (run in unique(ref$run)) {
    i <- which(ref$run == run)
    meth <- unique(vapply(unique(ref$case[i]), function(k) cases[[k]]$adjust,
                          ""))
    stopifnot(length(meth) == 1)
    ref$p_adjusted[i] <- p.adjust(ref$p_value[i], r_adjust[[meth]])
    for (m in c("bonferroni", "holm", "bh"))
        padj_rows[[length(padj_rows) + 1]] <- data.frame(
            run = run, case = ref$case[i], domain = ref$domain[i],
            method = m, p = num17(ref$p_value[i]),
            p_adjusted = num17(p.adjust(ref$p_value[i], r_adjust[[m]])),
            stringsAsFactors = FALSE)
}
ref$level <- vapply(ref$case, function(k) as.numeric(cases[[k]]$level), 0)
ref$change <- change_word(ref$diff, ref$p_adjusted, ref$level)
ref$rel_change <- ifelse(!is.na(ref$baseline) & ref$baseline != 0,
                         ref$diff / ref$baseline, NA)

# ---------------------------------------------------------------- trend

tcases <- list()
add_trend <- function(case, run, rs, years, expr, r_y, among, r_among,
                      by = "REGION") {
    tcases[[case]] <<- list(
        case = case, run = run, files = paste(tun_ini(rs), collapse = ":"),
        weights = paste(tun_weight[rs], collapse = ":"),
        years = paste(years, collapse = ":"), strata = "REGION:URBRUR",
        psu = "", nest = "false", lonely = "fail", missing = "",
        shared_psus = "false", type = "prop", expr = expr, among = among,
        by = by, level = "0.95", test_df = "sum", adjust = "holm",
        r_y = r_y, r_among = r_among, rs = rs, year_num = years)
}
if (have_afro) {
    rs <- c("tun_r7", "tun_r8", "tun_r9")
    for (s in tun_ind)
        add_trend(paste0("tun_trend_", s), "tun_trend", rs, tun_year[rs],
                  sprintf("paid_%s == 1", s), flag1(paste0("paid_", s)),
                  sprintf("contact_%s == 1", s),
                  flag1(paste0("contact_", s)))
    add_trend("tun_trend_uneven_any5", "tun_trend_uneven", rs,
              c(2018, 2021, 2022), "paid_any5 == 1", flag1("paid_any5"),
              "contact_any5 == 1", flag1("contact_any5"))
}

logit_ci <- function(p, se, df, level) {
    if (!is.finite(p) || p <= 0 || p >= 1 || !(se > 0)) return(c(NA, NA))
    t <- qt(1 - (1 - level) / 2, df)
    plogis(qlogis(p) + c(-1, 1) * t * se / (p * (1 - p)))
}

run_trend <- function(tc) {
    level <- as.numeric(tc$level)
    by <- split_cols(tc$by)
    K <- length(tc$rs)
    files <- strsplit(tc$files, ":")[[1]]
    weights <- strsplit(tc$weights, ":")[[1]]
    rounds <- lapply(seq_len(K), function(k)
        prep_round(tc, files[k], weights[k], k))
    old <- options(survey.lonely.psu = tc$lonely)
    on.exit(options(old))
    own <- lapply(rounds, function(d) round_design(tc, d))
    stk <- stacked_design(tc, rounds, FALSE)
    sv <- stk$variables
    t <- unname(as.numeric(tc$year_num))
    c_lin <- contr.poly(K, scores = t)[, 1]
    stopifnot(isTRUE(all.equal(c_lin, (t - mean(t)) / sqrt(sum((t - mean(t))^2)))))
    if (isTRUE(all.equal(diff(t), rep(t[2] - t[1], K - 1))))
        stopifnot(isTRUE(all.equal(c_lin, contr.poly(K)[, 1])))
    c_slope <- (t - mean(t)) / sum((t - mean(t))^2)
    # slope = the least-squares slope of the estimates on t
    stopifnot(isTRUE(all.equal(sum(c_slope * c(0.1, 0.25, 0.2)),
                               unname(coef(lm(c(0.1, 0.25, 0.2) ~ t))[2]))))
    pairs <- c(lapply(seq_len(K - 1), function(k) c(k, k + 1)),
               list(c(1, K)))
    keys <- c(list(NULL), cells_of(rounds, by))
    rows <- list()
    add <- function(...) rows[[length(rows) + 1]] <<-
        data.frame(case = tc$case, ..., stringsAsFactors = FALSE)
    for (key in keys) {
        dom <- cell_code(by, key)
        r <- lapply(seq_len(K), function(k) {
            sel <- rounds[[k]]$gdom & in_cell(rounds[[k]], by, key)
            round_estimate(tc, own[[k]], rounds[[k]], sel)
        })
        for (k in seq_len(K)) {
            ci <- if (r[[k]]$n > 0) logit_ci(r[[k]]$est, r[[k]]$se,
                                             r[[k]]$df, level) else c(NA, NA)
            if (r[[k]]$n > 0 && all(is.finite(ci))) {
                # svyciprop's logit interval (glm epsilon 1e-8: 1e-6 here)
                cp <- svyciprop(~gy, r[[k]]$sub, method = "logit",
                                level = level, df = r[[k]]$df)
                stopifnot(isTRUE(all.equal(as.numeric(attr(cp, "ci")), ci,
                                           tolerance = 1e-6)))
            }
            add(domain = dom, term = "estimate", from = k, to = k,
                estimate = r[[k]]$est, se = r[[k]]$se, ci_low = ci[1],
                ci_high = ci[2], df = r[[k]]$df, p_value = NA)
        }
        present <- vapply(r, function(x) x$n > 0, TRUE)
        in_dom <- sv$gdom & in_cell(sv, by, key)
        sub <- if (any(present)) subset(stk, in_dom) else NULL
        sb <- if (sum(present) >= 2) svyby(~gy, ~round, sub, svymean,
                                           covmat = TRUE) else NULL
        contrast <- function(w) {
            # w over the K rounds; the rounds present in sb
            names(w) <- as.character(seq_len(K))
            if (any(w[!present] != 0)) return(list(est = NA, se = NA))
            con <- svycontrast(sb, w[present])
            list(est = as.numeric(coef(con)), se = as.numeric(SE(con)))
        }
        for (pr in pairs) {
            w <- rep(0, K)
            w[pr] <- c(-1, 1)
            x <- if (all(present[pr])) contrast(w) else list(est = NA, se = NA)
            df <- NA
            if (all(present[pr])) {
                sel <- in_dom & sv$round %in% pr
                df <- degf(subset(stk, sel))
                stopifnot(df == r[[pr[1]]]$df + r[[pr[2]]]$df)
                stopifnot(isTRUE(all.equal(
                    x$se^2, r[[pr[1]]]$se^2 + r[[pr[2]]]$se^2,
                    tolerance = 1e-10)))
            }
            tt <- t_test(x$est, x$se, df, level)
            add(domain = dom, term = "change", from = pr[1], to = pr[2],
                estimate = x$est, se = x$se, ci_low = tt$lo, ci_high = tt$hi,
                df = df, p_value = tt$p)
        }
        for (term in c("linear", "slope")) {
            w <- if (term == "linear") c_lin else c_slope
            x <- if (all(present)) contrast(w) else list(est = NA, se = NA)
            df <- if (all(present)) degf(sub) else NA
            if (all(present)) {
                stopifnot(df == sum(vapply(r, `[[`, 0, "df")))
                stopifnot(isTRUE(all.equal(
                    x$est, sum(w * vapply(r, `[[`, 0, "est")),
                    tolerance = 1e-12)))
                stopifnot(isTRUE(all.equal(
                    x$se^2, sum(w^2 * vapply(r, `[[`, 0, "se")^2),
                    tolerance = 1e-10)))
            }
            tt <- t_test(x$est, x$se, df, level)
            add(domain = dom, term = term, from = 1, to = K,
                estimate = x$est, se = x$se, ci_low = tt$lo, ci_high = tt$hi,
                df = df, p_value = tt$p)
        }
    }
    do.call(rbind, rows)
}

trend <- if (length(tcases)) do.call(rbind, lapply(tcases, run_trend)) else
    NULL
if (!is.null(trend)) {
    rownames(trend) <- NULL
    trend$run <- vapply(trend$case, function(k) tcases[[k]]$run, "")
    trend$p_adjusted <- NA
    for (run in unique(trend$run)) {
        fam <- which(trend$run == run & trend$term %in% c("change", "linear"))
        trend$p_adjusted[fam] <- p.adjust(trend$p_value[fam], "holm")
        # slope rows: their linear row's p_adjusted
        sl <- which(trend$run == run & trend$term == "slope")
        li <- which(trend$run == run & trend$term == "linear")
        stopifnot(identical(trend$case[sl], trend$case[li]),
                  identical(trend$domain[sl], trend$domain[li]))
        stopifnot(isTRUE(all.equal(trend$p_value[sl], trend$p_value[li])))
        trend$p_adjusted[sl] <- trend$p_adjusted[li]
    }
    trend$level <- vapply(trend$case, function(k)
        as.numeric(tcases[[k]]$level), 0)
    trend$change <- ifelse(trend$term == "estimate", "",
                           change_word(trend$estimate, trend$p_adjusted,
                                       trend$level))
}

# ---------------------------------------------------------------- checks

if (have_afro) {
    x <- ref[ref$case == "tun_r8_r9_any5_all", ]
    txt <- sprintf("%+.1f points, SE %.2f", 100 * x$diff, 100 * x$se_diff)
    cat(sprintf(paste("Afrobarometer Tunisia R8 -> R9, any of five services",
                      "among contacts: %.1f %% -> %.1f %%: %s (df %g, p %.3g)\n"),
                100 * x$baseline, 100 * x$followup, txt, x$df, x$p_value))
    stopifnot(txt == "+6.5 points, SE 2.25",
              sprintf("%.1f", 100 * x$baseline) == "21.6",
              sprintf("%.1f", 100 * x$followup) == "28.1")
    y <- ref[ref$case == "tun_r8_r9_any5" & ref$domain == "All", ]
    stopifnot(isTRUE(all.equal(y$diff, x$diff)),
              isTRUE(all.equal(y$se_diff, x$se_diff)))
    # The trend's R8 -> R9 change is compare's.
    z <- trend[trend$case == "tun_trend_any5" & trend$domain == "All", ]
    w <- z[z$term == "change" & z$from == 2 & z$to == 3, ]
    stopifnot(isTRUE(all.equal(w$estimate, x$diff, tolerance = 1e-12)),
              isTRUE(all.equal(w$se, x$se_diff, tolerance = 1e-12)),
              w$df == x$df)
    # and the R7 -> R8 and R7 -> R9 changes are the compare cases'.
    for (pr in list(c(1, 2, "tun_r7_r8_any5"), c(1, 3, "tun_r7_r9_any5"))) {
        a <- trend[trend$case == "tun_trend_any5" & trend$term == "change" &
                   trend$from == pr[1] & trend$to == pr[2], ]
        b <- ref[ref$case == pr[3], ]
        stopifnot(identical(a$domain, b$domain),
                  isTRUE(all.equal(a$estimate, b$diff, tolerance = 1e-12)),
                  isTRUE(all.equal(a$se, b$se_diff, tolerance = 1e-12)),
                  all(a$df == b$df, na.rm = TRUE),
                  identical(is.na(a$df), is.na(b$df)))
    }
    cat("Tunisia, any of five services among contacts (trend):\n")
    for (k in 1:3) {
        e <- z[z$term == "estimate" & z$from == k, ]
        cat(sprintf("  R%d %.1f %% (SE %.2f) [%.1f, %.1f] df %g\n", k + 6,
                    100 * e$estimate, 100 * e$se, 100 * e$ci_low,
                    100 * e$ci_high, e$df))
    }
    for (i in which(z$term != "estimate"))
        cat(sprintf("  %-6s %d->%d %+.2f (SE %.2f) df %g p %.3g holm %.3g %s\n",
                    z$term[i], z$from[i], z$to[i], 100 * z$estimate[i],
                    100 * z$se[i], z$df[i], z$p_value[i], z$p_adjusted[i],
                    z$change[i]))
}
# The demo README's police and "any" changes.
for (k in c("demo_indep_police", "demo_indep_any")) {
    x <- ref[ref$case == k & ref$domain == "All", ]
    cat(sprintf("%s: %.1f -> %.1f, %+.1f (SE %.1f), p %.3g, holm %.3g\n", k,
                100 * x$baseline, 100 * x$followup, 100 * x$diff,
                100 * x$se_diff, x$p_value, x$p_adjusted))
}
stopifnot(sprintf("%+.1f (%.1f)", 100 * ref$diff, 100 * ref$se_diff)[
    ref$domain == "All" & ref$case %in% c("demo_indep_police",
                                          "demo_indep_any")] ==
    c("-12.2 (3.0)", "-2.4 (2.2)"))
sh <- ref[ref$run == "demo_shared" & ref$domain == "All", ]
cat(sprintf("shared PSUs, demo, All: correlation of the rounds %s\n",
            paste(sprintf("%.3f", sh$covariance /
                              (sh$se_baseline * sh$se_followup)),
                  collapse = " ")))

# ---------------------------------------------------------------- write

case_cols <- c("case", "run", "file1", "file2", "weight1", "weight2",
               "strata", "psu", "nest", "lonely", "missing", "shared_psus",
               "type", "expr", "among", "by", "level", "test_df", "adjust")
cases_df <- do.call(rbind, lapply(cases, function(cs)
    as.data.frame(cs[case_cols], stringsAsFactors = FALSE)))
num_cols <- c("baseline", "followup", "diff", "se_diff", "ci_low", "ci_high",
              "df", "p_value", "p_adjusted")
tail_cols <- c("se_baseline", "se_followup", "covariance", "df_baseline",
               "df_followup", "n_baseline", "n_followup")
ref_out <- data.frame(case = ref$case, domain = ref$domain,
                      stringsAsFactors = FALSE)
for (v in num_cols) ref_out[[v]] <- num17(ref[[v]])
ref_out$change <- ref$change
ref_out$rel_change <- num17(ref$rel_change)
for (v in tail_cols) ref_out[[v]] <- num17(ref[[v]])
dir.create("tests/ref", showWarnings = FALSE)
write_csv_plain(cases_df, out_cases)
write_csv_plain(ref_out, out_ref)
write_csv_plain(do.call(rbind, padj_rows), out_padj)
cat(sprintf("%s: %d cases\n%s: %d rows\n%s: %d rows\n", out_cases,
            nrow(cases_df), out_ref, nrow(ref_out), out_padj,
            sum(vapply(padj_rows, nrow, 0L))))
if (!is.null(trend)) {
    tcase_cols <- c("case", "run", "files", "weights", "years", "strata",
                    "psu", "nest", "lonely", "missing", "shared_psus", "type",
                    "expr", "among", "by", "level", "test_df", "adjust")
    tc_df <- do.call(rbind, lapply(tcases, function(tc)
        as.data.frame(tc[tcase_cols], stringsAsFactors = FALSE)))
    tr_out <- data.frame(case = trend$case, domain = trend$domain,
                         term = trend$term, from = trend$from, to = trend$to,
                         stringsAsFactors = FALSE)
    for (v in c("estimate", "se", "ci_low", "ci_high", "df", "p_value",
                "p_adjusted"))
        tr_out[[v]] <- num17(trend[[v]])
    tr_out$change <- trend$change
    write_csv_plain(tc_df, out_tcases)
    write_csv_plain(tr_out, out_trend)
    cat(sprintf("%s: %d cases\n%s: %d rows\n", out_tcases, nrow(tc_df),
                out_trend, nrow(tr_out)))
}
