# repweights_ref.R - reference estimates from R's survey package for graft's
# replicate-weight variance: exports data sets with replicate-weight columns
# (tests/data/r/*_rep_*.csv), then writes tests/ref/repest_cases.csv (the
# inputs of each case, in graft's terms) and tests/ref/repest_ref.csv (R's
# answer for every domain of every case).  The companion of estimate_ref.R
# (linearization): same conventions for domains, keys and numbers.
#
# Run from the repository root (needs tests/data/r/nhanes.csv and
# apiclus1.csv from tests/R/export_r_data.R):
#     Rscript tests/R/repweights_ref.R
# Made with R 4.2.2, survey 4.1-1 and jsonlite 1.8.4 (Debian r-cran-survey,
# r-cran-jsonlite; haven is not used).  CI never runs R: the data files
# and both outputs are committed.  Rerunning rewrites every file
# identically (fixed seed).
#
# ------------------------------------------------------------ data files
# Each file is the original data (every column, as read.csv read it) plus
# the replicate columns repw1..repwR, the FULL replicate weights (R's
# weights(rep, "analysis") = replicate factor x sampling weight; graft and
# svrepdesign(combined.weights = TRUE) use them as they are).  Written with
# write.csv(row.names = FALSE, na = ""), text columns quoted, every number
# in the shortest of %.15g / %.16g / %.17g that BOTH R and a correctly
# rounding strtod (graft's glibc strtod; jsonlite's parser stands in for it
# in R) read back as the same double.  R's own parser (read.csv,
# as.numeric) is one ulp off for a few strings: "23014.322091", a WTMEC2YR
# of nhanes.csv, is 23014.322091000002 for R and 23014.322090999998 for
# strtod, so such numbers are written with 17 digits (in these files the
# weights are R's reading of nhanes.csv / apiclus1.csv; ~100 cells of
# 1.5 million need it).  The script checks that the re-read file is
# identical to what was written, and every reference below is computed on
# the design built FROM THE RE-READ FILE, so R and graft start from the
# same numbers.  Needs jsonlite (Debian r-cran-jsonlite).
#   nhanes_rep_jk1.csv   31 JK1 replicates.  as.svrepdesign refuses JK1 on
#                        a stratified design, so this one treats NHANES as
#                        an UNSTRATIFIED cluster sample of its 31 PSUs
#                        (id = SDMVSTRA x SDMVPSU, no strata): a fixture for
#                        JK1 arithmetic, not a recommended analysis.
#   nhanes_rep_jkn.csv   31 JKn replicates (one per PSU) of the full design
#                        svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA,
#                        weights = ~WTMEC2YR, nest = TRUE): rscales 1/2, and
#                        2/3 for the three PSUs of stratum 86.
#   nhanes_rep_boot.csv  50 bootstrap replicates (as.svrepdesign type
#                        "bootstrap", set.seed(20240601)) of the same design.
#   nhanes_rep_brr.csv   16 BRR replicates (hadamard(15), 15 strata) and
#   nhanes_rep_fay.csv   16 Fay replicates (rho 0.5) of a 2-PSU-per-stratum
#                        version: stratum 86 has PSUs 1, 2, 3, and PSU 3 is
#                        MERGED into PSU 2 (SDMVPSU 3 -> 2; these two files
#                        carry the recoded SDMVPSU; no row is dropped).
#   apiclus1_rep_jk1.csv 15 JK1 replicates of svydesign(id = ~dnum,
#                        weights = ~pw, fpc = ~fpc) (cds read as text, so
#                        its leading zeros stay).
#
# --------------------------------------------- tests/ref/repest_cases.csv
# One row per case (RFC 4180: a field with a comma or a double quote is
# quoted, quotes doubled):
#   case       name of the case
#   file       data file, relative to the repository root
#   weight     full-sample weight column (svrepdesign weights =)
#   repweights graft's --repweights: a POSIX ERE matching whole column
#              names, taken in file order ("repw[0-9]+" everywhere but one
#              case), or a comma list of names (one case).  R: the same
#              columns, in file order (the script checks that R's grep and
#              a whole-name match select the same columns)
#   reptype    graft's --reptype: jk1 jkn brr fay bootstrap sdr acs other
#              (R type JK1 JKn BRR Fay bootstrap successive-difference ACS
#              other)
#   scale      --scale, %.17g; empty: graft's default for the type (R's
#              svrepdesign default, below)
#   rscales    --rscales, ";"-joined %.17g, one per replicate; empty: the
#              default (all 1)
#   rho        --rho (fay only), empty otherwise
#   mse        true/false (--mse: centre on the full-sample estimate)
#   type       prop|mean|total
#   expr       graft expression: prop: a condition (a bare column C means
#              C == 1); mean/total: a numeric column
#   among      graft condition restricting the domain; empty: all rows
#   by         by column; empty: only the "All" domain
#   ci         prop: logit|beta|wald|xlogit = svyciprop's method
#              logit|beta|mean|xlogit; mean/total: always "wald"
#   level      confidence level
#   df         "default": R's degf() of the domain's design (see below);
#              a number: --df N, used for every domain
# A case that is in repest_cases.csv but has NO row in repest_ref.csv is
# one R refuses (svrepdesign stops; the script checks that it does): graft
# must refuse it too.  There is one: nhanes_jkn_norscales (below).
#
# ----------------------------------------------- tests/ref/repest_ref.csv
# One row per case and domain (the "All" row first, then each by-cell in
# sorted order).  Numbers as sprintf("%.17g"):
#   case        as above
#   domain      "All", or the by value, numbers as format(x, digits = 15)
#   estimate    the full-sample ratio sum(w y) / sum(w) over the domain
#               (prop, mean; coef(svymean)), or sum(w y) (total)
#   se          sqrt(vcov(svymean / svytotal)) on the replicate design of
#               the domain = sqrt(attr(svyciprop, "var"))
#   ci_low, ci_high  prop: attr(svyciprop(..., method, level, df), "ci"),
#               except (a) logit: the svyglm fit converged to glm epsilon
#               1e-15 (svyciprop's own, epsilon 1e-8, is up to ~1e-8 off;
#               the script prints the largest gap), (b) beta with a fixed
#               df: by hand (svyciprop's beta ignores df=, see estimate_ref.R).
#               mean/total: est -/+ qt(1 - a/2, df) se (confint(..., df)).
#   df          the df used
#   n           unweighted rows in the domain
#   weighted_n  sum of the full-sample weights over those rows
#
# Domains (graft's semantics, as estimate_ref.R): y is the expression
# (prop: its truth, 1/0), missing when the expression is missing; the
# domain is the rows where `among` is TRUE and y is not missing,
# intersected with the by-cell.  R: the replicate design is built on all
# rows, then subset(rep, domain & cell).  For a replicate design subset()
# DROPS the other rows (`[.svyrep.design`), which is exact for domain
# estimation: a replicate estimate is a ratio or a sum of weighted rows.
# The script checks svyby(~y, ~by, subset(rep, domain), FUN) against the
# per-cell calls.
#
# ------------------------------------------- R's semantics (survey 4.1-1)
# Variance: svrVar: v = scale * sum_r rscales_r (theta_r - centre)^2,
#   centre = mean of the theta_r OVER THE REPLICATES WITH rscales_r > 0
#   (mse = FALSE), or the full-sample estimate (mse = TRUE).  A replicate
#   whose estimate is NA (e.g. a ratio whose domain has no weight in that
#   replicate) is dropped with its rscale, with a warning; none occurs in
#   these cases (the script checks).  The script recomputes every variance
#   by hand from the replicate columns.
# Default scale / rscales of svrepdesign(combined.weights = TRUE), from
#   survey:::svrepdesign.default (R = number of replicate columns):
#     JK1        scale (R - 1) / R, rscales 1 (R warns "guessing n")
#     JKn        scale 1; rscales REQUIRED: R stops "Must provide rscales
#                for combined JKn weights" (with combined.weights = FALSE
#                it guesses 1 / max weight of each column).  graft cannot
#                derive (n_h - 1) / n_h from replicate columns alone, so
#                every jkn case gives rscales; nhanes_jkn_norscales (no
#                rscales) has no reference rows: an error, as in R.
#     BRR        scale 1 / R, rscales 1.  R IGNORES a given scale (warning).
#     Fay        scale 1 / (R (1 - rho)^2), rscales 1; rho required.  R
#                silently overrides a given scale.
#     bootstrap  scale 1 / (R - 1) (bootstrap.average / (R - 1)), rscales 1.
#                NB as.svrepdesign's bootstrap uses a different scale:
#                hm / ((hm - 1) (R - 1)), hm = harmonic mean of the PSUs
#                per stratum (Rao-Wu rescaling; 0.0399 here vs 1/49); the
#                nhanes_boot cases pass it explicitly, and
#                nhanes_boot_hichol_race_logit_defaultscale uses 1 / (R - 1).
#     successive-difference, ACS   scale 4 / R, rscales 1; R IGNORES a
#                given scale or rscales (warning).
#     JK2        scale 1, rscales 1 (not a graft type).
#     other      scale and rscales default to 1 with a warning (graft
#                requires --scale instead; no case relies on the default).
#   Any given rscales must have length R (or 1).
# as.svrepdesign's values (what the exported replicates were made with):
#   JK1 scale (1 - n/N) (n - 1)/n with an fpc (apiclus1: (742/757)(14/15)),
#   (n - 1)/n without (nhanes_jk1: 30/31 = the svrepdesign default);
#   JKn scale 1, rscales (n_h - 1)/n_h per replicate; BRR 1/R; Fay
#   1/(R (1 - rho)^2); bootstrap as above.  The script checks that the
#   design rebuilt from the CSV has the same scale and rscales.
# Degrees of freedom: degf.svyrep.design = design$degf, which svrepdesign
#   sets to qr(weights(design, "analysis"), tol = 1e-5)$rank - 1 (for
#   combined weights, the n x R matrix of replicate columns; R's qr is
#   LINPACK dqrdc2, limited pivoting, tolerance relative to each column's
#   norm).  `[.svyrep.design` (hence subset() and svyby) sets degf <- NULL
#   and RECOMPUTES it on the kept rows, so a domain's df is the rank of the
#   replicate columns restricted to the domain's rows, minus 1 (like
#   linearization: a JK1 domain spread over k of the n clusters has df
#   k - 1; apiclus1 stype H is in 8 districts: df 7).  svyciprop's default
#   df = degf(design) is evaluated on that subset, and its beta method
#   always uses degf(subset) and nrow(subset) - 1.  For the full designs
#   the rank is not R - 1 in general: nhanes JKn/bootstrap (31 PSUs, 15
#   strata) have rank 17 (the two columns of a 2-PSU stratum sum to twice
#   the weights), df 16; BRR (16 replicates, 15 strata) df 15.  In a
#   domain the rank is structural, not the linearization count: JK1 gives
#   (clusters with domain rows) - 1 (nhanes_jk1 race 4: 29 of 31 PSUs, df
#   28); JKn gives sum over the strata WITH domain rows of (n_h - 1), n_h
#   of the full design, whether or not both PSUs have rows (nhanes_jkn
#   race 4 misses a PSU in 2 strata: still df 16; among 19-39, race 4 has
#   no row in 2 strata: df 14).  graft has only the replicate columns, so
#   it must compute the rank numerically; gram_rank() below reproduces
#   R's qr rank from the R x R matrix W'W (one pass over the rows) and is
#   checked against qr() on every domain.
# Logit intervals on a replicate design are NOT the delta method:
#   svyciprop(method = "logit") fits svyglm(y ~ 1, family = quasibinomial)
#   and svyglm.svyrep.design refits every replicate, so its variance is the
#   replicate variance of logit(theta_r):
#     v_l = scale * sum_r rscales_r (logit theta_r - centre_l)^2,
#     centre_l = mean of logit theta_r (rscales > 0), or logit(theta) (mse),
#   and ci = expit(logit(theta) -/+ qt(1 - a/2, df) sqrt(v_l)).  The
#   script checks this closed form against the converged svyglm.
#   xlogit (svycontrast on svymean) IS the delta method:
#   expit(logit(theta) -/+ t se / (theta (1 - theta))), with se the
#   replicate se of theta; one case (nhanes_jkn_hichol_race_xlogit) shows
#   the difference.
# Other judgment calls:
# * The sdr, acs and other cases reuse the bootstrap / JKn replicate
#   columns under another declared type: the numbers are R's for that
#   declaration (they test graft's defaults), not sensible estimates.
# * nhanes_other_hichol_race_logit: type other with scale 1 and the JKn
#   rscales, i.e. the same variance as the JKn case.
# * The --df cases (df = 30) use the same fixed df in every domain; beta
#   with a fixed df is computed by hand (svyciprop ignores df= for beta),
#   and Korn-Graubard's t(a/2, n - 1) still uses the domain's rows.
suppressPackageStartupMessages(library(survey))

data_dir <- "tests/data/r"
out_cases <- "tests/ref/repest_cases.csv"
out_ref <- "tests/ref/repest_ref.csv"

# ---------------------------------------------------------------- helpers

read_csv_data <- function(path, ...) {
    # An empty cell is missing in graft, for text columns too.
    read.csv(path, stringsAsFactors = FALSE, na.strings = "", ...)
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

# Numbers as a correctly rounding strtod reads them (graft's glibc strtod):
# jsonlite's parser does; R's own (read.csv, as.numeric) is off by one ulp
# for a few strings, e.g. "23014.322091" (a WTMEC2YR of nhanes.csv).
parse_c <- function(s) {
    as.numeric(jsonlite::fromJSON(paste0("[", paste(s, collapse = ","), "]")))
}

# The shortest of %.15g, %.16g, %.17g that both R and a correctly rounding
# strtod read back as X (NA stays NA).
num_rt <- function(x) {
    x <- as.numeric(x)
    todo <- !is.na(x)
    s <- rep(NA_character_, length(x))
    for (d in 15:17) {
        if (!any(todo)) break
        cand <- sprintf(paste0("%.", d, "g"), x[todo])
        good <- as.numeric(cand) == x[todo] & parse_c(cand) == x[todo]
        s[todo][good] <- cand[good]
        todo[todo] <- !good
    }
    if (any(todo)) stop("no string that R and strtod both read as ",
                        sprintf("%.17g", x[todo][1]))
    s
}

# R's qr(W, tol = 1e-5)$rank (LINPACK dqrdc2) from the Gram matrix W'W,
# which graft can accumulate in its single pass over the rows: columns in
# order, a column is kept when its residual norm, after projection on the
# kept columns, is >= tol times its own norm (dqrdc2's test; a zero column
# is never kept); the rank is the number kept.
gram_rank <- function(W, tol = 1e-5) {
    G <- crossprod(W)
    L <- matrix(0, 0, 0)   # Cholesky factor of the kept columns
    kept <- integer(0)
    for (j in seq_len(ncol(G))) {
        l <- if (length(kept)) forwardsolve(L, G[kept, j]) else numeric(0)
        r2 <- G[j, j] - sum(l^2)
        if (G[j, j] > 0 && r2 > 0 && sqrt(r2) >= tol * sqrt(G[j, j])) {
            k <- length(kept)
            L2 <- matrix(0, k + 1, k + 1)
            L2[seq_len(k), seq_len(k)] <- L
            L2[k + 1, ] <- c(l, sqrt(r2))
            L <- L2
            kept <- c(kept, j)
        }
    }
    length(kept)
}

# ---------------------------------------------------------------- 1. export

exported <- list()   # name -> list(path, scale, rscales, rho, R)

# Write DATA plus the full replicate weights of REP; re-read and check.
export_rep <- function(rep, data, name, col_classes = NA) {
    W <- weights(rep, "analysis")
    stopifnot(nrow(W) == nrow(data), !anyNA(W))
    colnames(W) <- paste0("repw", seq_len(ncol(W)))
    out <- cbind(data, as.data.frame(W))
    chr <- vapply(out, is.character, NA)
    txt <- out
    txt[!chr] <- lapply(out[!chr], num_rt)
    path <- file.path(data_dir, paste0(name, ".csv"))
    write.csv(txt, path, row.names = FALSE, na = "", quote = which(chr))
    back <- read_csv_data(path, colClasses = col_classes)
    stopifnot(identical(names(back), names(out)))
    for (v in names(out)) {
        if (chr[[v]]) stopifnot(identical(back[[v]], out[[v]]))
        else stopifnot(identical(as.numeric(back[[v]]), as.numeric(out[[v]])))
    }
    cat(sprintf("%s: %d rows, %d columns (%d replicates), %.1f MB; scale %.6g\n",
                path, nrow(out), ncol(out), ncol(W), file.size(path) / 2^20,
                rep$scale))
    exported[[name]] <<- list(path = path, scale = rep$scale,
                              rscales = rep$rscales, rho = rep$rho,
                              R = ncol(W), degf = degf(rep))
    invisible()
}

nh_path <- file.path(data_dir, "nhanes.csv")
nh <- read_csv_data(nh_path)
nh_design <- function(d) svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA,
                                   weights = ~WTMEC2YR, nest = TRUE, data = d)
des <- nh_design(nh)

# JK1: unstratified, the 31 PSUs as clusters.
nh_u <- nh
nh_u$psuid <- nh$SDMVSTRA * 10 + nh$SDMVPSU
des_u <- svydesign(id = ~psuid, weights = ~WTMEC2YR, data = nh_u)
export_rep(as.svrepdesign(des_u, type = "JK1"), nh, "nhanes_rep_jk1")
export_rep(as.svrepdesign(des, type = "JKn"), nh, "nhanes_rep_jkn")
set.seed(20240601)
export_rep(as.svrepdesign(des, type = "bootstrap", replicates = 50), nh,
           "nhanes_rep_boot")
# BRR / Fay: stratum 86's PSU 3 merged into its PSU 2.
nh2 <- nh
stopifnot(identical(unique(nh$SDMVSTRA[nh$SDMVPSU == 3]), 86L))
nh2$SDMVPSU[nh2$SDMVSTRA == 86 & nh2$SDMVPSU == 3] <- 2L
stopifnot(all(tapply(nh2$SDMVPSU, nh2$SDMVSTRA,
                     function(p) length(unique(p))) == 2))
des2 <- nh_design(nh2)
export_rep(as.svrepdesign(des2, type = "BRR"), nh2, "nhanes_rep_brr")
export_rep(as.svrepdesign(des2, type = "Fay", fay.rho = 0.5), nh2,
           "nhanes_rep_fay")

ap_path <- file.path(data_dir, "apiclus1.csv")
ap_classes <- c(cds = "character")
ap <- read_csv_data(ap_path, colClasses = ap_classes)
des_ap <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = ap)
export_rep(as.svrepdesign(des_ap, type = "JK1"), ap, "apiclus1_rep_jk1",
           col_classes = ap_classes)

# ---------------------------------------------------------------- cases

r_type <- c(jk1 = "JK1", jkn = "JKn", brr = "BRR", fay = "Fay",
            bootstrap = "bootstrap", sdr = "successive-difference",
            acs = "ACS", other = "other")
r_method <- c(logit = "logit", wald = "mean", beta = "beta",
              xlogit = "xlogit")

cases <- list()
# R_Y(d): the value per row (prop: logical); R_AMONG(d): logical or NULL.
# SCALE, RSCALES: numeric or NULL (graft default); EXPECT_ERROR: R refuses.
add_case <- function(case, name, weight, reptype, expr, r_y, type = "prop",
                     repweights = "repw[0-9]+", scale = NULL, rscales = NULL,
                     rho = NULL, mse = FALSE, among = "", r_among = NULL,
                     by = "", ci = "logit", level = "0.95", df = "default",
                     expect_error = FALSE) {
    stopifnot(!(case %in% names(cases)), reptype %in% names(r_type))
    cases[[case]] <<- list(
        case = case, file = exported[[name]]$path, weight = weight,
        repweights = repweights, reptype = reptype,
        scale = if (is.null(scale)) "" else num17(scale),
        rscales = if (is.null(rscales)) "" else paste(num17(rscales),
                                                      collapse = ";"),
        rho = if (is.null(rho)) "" else num17(rho),
        mse = if (mse) "true" else "false", type = type, expr = expr,
        among = among, by = by, ci = if (type == "prop") ci else "wald",
        level = level, df = df, r_y = r_y, r_among = r_among,
        r_scale = scale, r_rscales = rscales, r_rho = rho, r_mse = mse,
        expect_error = expect_error)
}

hichol <- function(d) d$HI_CHOL == 1
hichol_num <- function(d) d$HI_CHOL
in_19_39 <- function(d) d$agecat == "(19,39]"

# The usual nhanes set on one file: prop by race (logit, beta), mean by
# agecat, total by race.
nhanes_set <- function(prefix, name, reptype, ...) {
    for (m in c("logit", "beta"))
        add_case(sprintf("%s_hichol_race_%s", prefix, m), name, "WTMEC2YR",
                 reptype, "HI_CHOL", hichol, by = "race", ci = m, ...)
    add_case(sprintf("%s_hichol_mean_agecat", prefix), name, "WTMEC2YR",
             reptype, "HI_CHOL", hichol_num, type = "mean", by = "agecat",
             ...)
    add_case(sprintf("%s_hichol_total_race", prefix), name, "WTMEC2YR",
             reptype, "HI_CHOL", hichol_num, type = "total", by = "race", ...)
}

# 1. nhanes JK1 (unstratified), default scale (R - 1)/R.
stopifnot(isTRUE(all.equal(exported$nhanes_rep_jk1$scale, 30 / 31,
                           tolerance = 1e-15)))
nhanes_set("nhanes_jk1", "nhanes_rep_jk1", "jk1")

# 2. nhanes JKn, rscales given (scale: default 1).
jkn_rs <- exported$nhanes_rep_jkn$rscales
stopifnot(exported$nhanes_rep_jkn$scale == 1)
nhanes_set("nhanes_jkn", "nhanes_rep_jkn", "jkn", rscales = jkn_rs)
jkn <- function(case, ...) add_case(case, "nhanes_rep_jkn", "WTMEC2YR", "jkn",
                                    rscales = jkn_rs, ...)
for (m in c("wald", "xlogit"))
    jkn(paste0("nhanes_jkn_hichol_race_", m), "HI_CHOL", hichol, by = "race",
        ci = m)
jkn("nhanes_jkn_hichol_race_logit_90", "HI_CHOL", hichol, by = "race",
    level = "0.9")
jkn("nhanes_jkn_hichol_race_19_39", "HI_CHOL", hichol,
    among = "agecat == '(19,39]'", r_among = in_19_39, by = "race")
jkn("nhanes_jkn_hichol_race_logit_mse", "HI_CHOL", hichol, by = "race",
    mse = TRUE)
for (m in c("logit", "beta"))
    jkn(paste0("nhanes_jkn_hichol_race_", m, "_df30"), "HI_CHOL", hichol,
        by = "race", ci = m, df = "30")
jkn("nhanes_jkn_hichol_mean_agecat_df30", "HI_CHOL", hichol_num,
    type = "mean", by = "agecat", df = "30")
# No rscales: R stops, graft must too.
add_case("nhanes_jkn_norscales", "nhanes_rep_jkn", "WTMEC2YR", "jkn",
         "HI_CHOL", hichol, by = "race", expect_error = TRUE)
# type other, scale 1 and the JKn rscales: the JKn variance.
add_case("nhanes_other_hichol_race_logit", "nhanes_rep_jkn", "WTMEC2YR",
         "other", "HI_CHOL", hichol, by = "race", scale = 1, rscales = jkn_rs)

# 3. nhanes bootstrap, as.svrepdesign's scale given.
boot_scale <- exported$nhanes_rep_boot$scale
stopifnot(all(exported$nhanes_rep_boot$rscales == 1))
nhanes_set("nhanes_boot", "nhanes_rep_boot", "bootstrap", scale = boot_scale)
boot <- function(case, ...) add_case(case, "nhanes_rep_boot", "WTMEC2YR",
                                     "bootstrap", "HI_CHOL", ...)
boot("nhanes_boot_hichol_race_logit_mse", hichol, by = "race",
     scale = boot_scale, mse = TRUE)
boot("nhanes_boot_hichol_total_race_mse", hichol_num, type = "total",
     by = "race", scale = boot_scale, mse = TRUE)
boot("nhanes_boot_hichol_race_logit_defaultscale", hichol, by = "race")
# The same columns declared successive-difference / ACS: scale 4/R.
for (t in c("sdr", "acs"))
    add_case(sprintf("nhanes_%s_hichol_race_logit", t), "nhanes_rep_boot",
             "WTMEC2YR", t, "HI_CHOL", hichol, by = "race")

# 4. nhanes BRR and Fay (2 PSUs per stratum), default scales.
stopifnot(isTRUE(all.equal(exported$nhanes_rep_brr$scale, 1 / 16)),
          isTRUE(all.equal(exported$nhanes_rep_fay$scale, 1 / (16 * 0.25))))
nhanes_set("nhanes_brr", "nhanes_rep_brr", "brr")
nhanes_set("nhanes_fay", "nhanes_rep_fay", "fay", rho = 0.5)
add_case("nhanes_fay_hichol_race_logit_mse", "nhanes_rep_fay", "WTMEC2YR",
         "fay", "HI_CHOL", hichol, by = "race", rho = 0.5, mse = TRUE)

# 5. apiclus1 JK1 with the fpc-adjusted scale of as.svrepdesign.
ap_scale <- exported$apiclus1_rep_jk1$scale
stopifnot(isTRUE(all.equal(ap_scale, (742 / 757) * (14 / 15))))
api700 <- function(d) d$api00 > 700
apj <- function(case, ...) add_case(case, "apiclus1_rep_jk1", "pw", "jk1",
                                    ...)
apj("apiclus1_jk1_api700_logit", "api00 > 700", api700, scale = ap_scale)
for (m in c("logit", "beta"))
    apj(paste0("apiclus1_jk1_api700_stype_", m), "api00 > 700", api700,
        by = "stype", ci = m, scale = ap_scale)
apj("apiclus1_jk1_api00_mean", "api00", function(d) d$api00, type = "mean",
    by = "stype", scale = ap_scale)
apj("apiclus1_jk1_enroll_total", "enroll", function(d) d$enroll,
    type = "total", by = "stype", scale = ap_scale)
# Default JK1 scale (R - 1)/R = 14/15 (no fpc).
apj("apiclus1_jk1_api700_stype_logit_defaultscale", "api00 > 700", api700,
    by = "stype")
# --repweights as a comma list of names (here: every column, file order).
apj("apiclus1_jk1_api700_stype_logit_list", "api00 > 700", api700,
    by = "stype", scale = ap_scale,
    repweights = paste0("repw", 1:15, collapse = ","))

# ---------------------------------------------------------------- estimation

# The columns graft selects: a comma list, or whole-name ERE matches in
# file order.
rep_columns <- function(spec, names) {
    if (grepl(",", spec, fixed = TRUE)) {
        cols <- strsplit(spec, ",", fixed = TRUE)[[1]]
        stopifnot(all(cols %in% names))
        return(cols)
    }
    whole <- names[grepl(paste0("^(", spec, ")$"), names)]
    stopifnot(identical(whole, names[grep(spec, names)]))  # = R's grep
    whole
}

make_rep <- function(cs, d) {
    args <- list(data = d, repweights = d[, rep_columns(cs$repweights,
                                                         names(d))],
                 weights = reformulate(cs$weight), type = r_type[[cs$reptype]],
                 combined.weights = TRUE, mse = cs$r_mse)
    if (!is.null(cs$r_scale)) args$scale <- cs$r_scale
    if (!is.null(cs$r_rscales)) args$rscales <- cs$r_rscales
    if (!is.null(cs$r_rho)) args$rho <- cs$r_rho
    # R's expected warnings ("guessing n", "scale or rscales not
    # specified"...) are about defaults the cases use on purpose.
    suppressWarnings(do.call(svrepdesign, args))
}

# The scale and rscales graft must use when the case leaves them empty.
graft_default <- function(reptype, R, rho) {
    switch(reptype,
           jk1 = list(scale = (R - 1) / R, rscales = rep(1, R)),
           jkn = list(scale = 1, rscales = NULL),
           brr = list(scale = 1 / R, rscales = rep(1, R)),
           fay = list(scale = 1 / (R * (1 - rho)^2), rscales = rep(1, R)),
           bootstrap = list(scale = 1 / (R - 1), rscales = rep(1, R)),
           sdr = , acs = list(scale = 4 / R, rscales = rep(1, R)),
           other = list(scale = NULL, rscales = rep(1, R)))
}

# Korn-Graubard (svyciprop method "beta") with a given df.
kg_beta <- function(p, v, n, df, level) {
    alpha <- 1 - level
    n_eff <- p * (1 - p) / v
    n_eff <- n_eff * (qt(alpha / 2, n - 1) / qt(alpha / 2, df))^2
    c(qbeta(alpha / 2, n_eff * p, n_eff * (1 - p) + 1),
      qbeta(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
}

# Replicate variance by hand: scale * sum rscales (theta_r - centre)^2.
rep_var <- function(thetas, full, scale, rscales, mse) {
    stopifnot(!anyNA(thetas))
    centre <- if (mse) full else mean(thetas[rscales > 0])
    scale * sum(rscales * (thetas - centre)^2)
}

logit_gap <- 0
estimate_domain <- function(cs, rep, sub) {
    level <- as.numeric(cs$level)
    df <- if (cs$df == "default") degf(sub) else as.numeric(cs$df)
    # degf by hand: rank of the domain's replicate columns, minus 1.
    W <- weights(sub, "analysis")
    stopifnot(degf(sub) == qr(W, tol = 1e-5)$rank - 1,
              degf(sub) == gram_rank(W) - 1)
    w <- weights(sub, "sampling")
    y <- sub$variables$gy
    n <- nrow(sub)
    m <- if (cs$type == "total") svytotal(~gy, sub) else svymean(~gy, sub)
    est <- unname(coef(m)); v <- as.numeric(vcov(m))
    # The whole variance by hand from the replicate columns.
    ratio <- cs$type != "total"
    full <- if (ratio) sum(w * y) / sum(w) else sum(w * y)
    thetas <- if (ratio) colSums(W * y) / colSums(W) else colSums(W * y)
    stopifnot(isTRUE(all.equal(full, est, tolerance = 1e-14)))
    hv <- rep_var(thetas, full, sub$scale, sub$rscales, cs$r_mse)
    stopifnot(isTRUE(all.equal(hv, v, tolerance = 1e-12)))
    se <- sqrt(v)
    if (cs$type == "prop") {
        if (cs$ci == "beta" && cs$df != "default") {
            ci <- kg_beta(est, v, n, df, level)
        } else {
            cp <- svyciprop(~gy, sub, method = r_method[[cs$ci]],
                            level = level, df = df)
            ci <- as.numeric(attr(cp, "ci"))
            stopifnot(isTRUE(all.equal(as.numeric(attr(cp, "var")), v,
                                       tolerance = 1e-12)))
            t <- qt(1 - (1 - level) / 2, df)
            if (cs$ci == "logit") {
                # Replicate variance of the logits (svyglm refits every
                # replicate), converged to epsilon 1e-15.
                g <- svyglm(gy ~ 1, sub, family = quasibinomial,
                            control = glm.control(epsilon = 1e-15,
                                                  maxit = 100))
                stopifnot(g$converged)
                conv <- as.numeric(plogis(confint(g, 1, level = level,
                                                  method = "Wald", ddf = df)))
                vl <- rep_var(qlogis(thetas), qlogis(full), sub$scale,
                              sub$rscales, cs$r_mse)
                hand <- plogis(qlogis(est) + c(-1, 1) * t * sqrt(vl))
                stopifnot(isTRUE(all.equal(conv, hand, tolerance = 1e-10)))
                gap <- max(abs(ci - conv) / abs(conv))
                logit_gap <<- max(logit_gap, gap)
                stopifnot(gap < 1e-7)
                ci <- conv
            } else if (cs$ci == "beta") {
                stopifnot(isTRUE(all.equal(kg_beta(est, v, n, df, level), ci,
                                           tolerance = 1e-12)))
            } else if (cs$ci == "xlogit") {
                hand <- plogis(qlogis(est) + c(-1, 1) * t * se /
                                   (est * (1 - est)))
                stopifnot(isTRUE(all.equal(hand, ci, tolerance = 1e-12)))
            } else {
                stopifnot(isTRUE(all.equal(est + c(-1, 1) * t * se, ci,
                                           tolerance = 1e-12)))
            }
        }
    } else {
        ci <- as.numeric(confint(m, df = df, level = level))
        stopifnot(isTRUE(all.equal(
            ci, est + c(-1, 1) * qt(1 - (1 - level) / 2, df) * se,
            tolerance = 1e-12)))
    }
    list(estimate = est, se = se, ci_low = ci[1], ci_high = ci[2], df = df,
         n = n, weighted_n = sum(w))
}

# svyby on the domain subset must agree with the per-cell calls.
check_svyby <- function(cs, dom_rep, res) {
    level <- as.numeric(cs$level)
    if (cs$type == "prop") {
        if (cs$ci == "beta" && cs$df != "default") return(invisible())
        args <- list(~gy, reformulate(cs$by), dom_rep, svyciprop,
                     method = r_method[[cs$ci]], level = level,
                     vartype = c("se", "ci"))
        if (cs$df != "default") args$df <- as.numeric(cs$df)
        sb <- do.call(svyby, args)
    } else {
        sb <- svyby(~gy, reformulate(cs$by), dom_rep,
                    if (cs$type == "mean") svymean else svytotal)
    }
    key <- vapply(sb[[cs$by]], fmt_value, "")
    stopifnot(setequal(key, names(res)))
    r <- res[key]
    get <- function(f) vapply(r, `[[`, 0, f)
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

# ---------------------------------------------------------------- run

data_cache <- list()
ref_rows <- list()
for (cs in cases) {
    if (is.null(data_cache[[cs$file]]))
        data_cache[[cs$file]] <- read_csv_data(
            cs$file, colClasses = if (grepl("apiclus1", cs$file)) ap_classes
                                  else NA)
    d <- data_cache[[cs$file]]
    if (cs$expect_error) {
        err <- tryCatch({ make_rep(cs, d); NULL },
                        error = function(e) conditionMessage(e))
        stopifnot(!is.null(err))
        cat(sprintf("%s: R refuses (%s): no reference rows\n", cs$case, err))
        next
    }
    y <- cs$r_y(d)
    if (cs$type == "prop") {
        stopifnot(is.logical(y))
        y <- as.numeric(y)
    }
    among <- if (is.null(cs$r_among)) rep(TRUE, nrow(d)) else cs$r_among(d)
    d$gy <- y
    d$gdom <- !is.na(among) & among & !is.na(y)
    if (cs$by != "") stopifnot(!anyNA(d[[cs$by]][d$gdom]))

    rep <- make_rep(cs, d)
    R <- ncol(rep$repweights)
    # What graft's defaults must reproduce: R's scale / rscales.
    def <- graft_default(cs$reptype, R, cs$r_rho)
    want_scale <- if (is.null(cs$r_scale)) def$scale else cs$r_scale
    if (cs$reptype %in% c("brr", "fay", "sdr", "acs")) want_scale <- def$scale
    want_rs <- if (is.null(cs$r_rscales)) def$rscales else cs$r_rscales
    stopifnot(isTRUE(all.equal(rep$scale, want_scale, tolerance = 1e-15)),
              isTRUE(all.equal(rep$rscales, want_rs, tolerance = 1e-15)))

    res <- list(c(domain = "All",
                  estimate_domain(cs, rep, subset(rep, d$gdom))))
    if (cs$by != "") {
        cells <- sort(unique(d[[cs$by]][d$gdom]))
        for (cell in cells) {
            sel <- d$gdom & d[[cs$by]] == cell
            res[[length(res) + 1]] <- c(domain = fmt_value(cell),
                                        estimate_domain(cs, rep,
                                                        subset(rep, sel)))
        }
        cell_res <- res[-1]
        names(cell_res) <- vapply(cell_res, `[[`, "", "domain")
        check_svyby(cs, subset(rep, d$gdom), cell_res)
    }
    for (x in res)
        ref_rows[[length(ref_rows) + 1]] <- data.frame(
            case = cs$case, domain = x$domain,
            estimate = num17(x$estimate), se = num17(x$se),
            ci_low = num17(x$ci_low), ci_high = num17(x$ci_high),
            df = num17(x$df), n = num17(x$n),
            weighted_n = num17(x$weighted_n), stringsAsFactors = FALSE)
}

cat(sprintf(paste("logit intervals: svyciprop (glm epsilon 1e-8) vs converged",
                  "svyglm: max relative gap %.3g\n"), logit_gap))
cat("degf of the full designs:",
    paste(sprintf("%s %d", names(exported),
                  vapply(exported, `[[`, 0, "degf")), collapse = ", "), "\n")

case_cols <- c("case", "file", "weight", "repweights", "reptype", "scale",
               "rscales", "rho", "mse", "type", "expr", "among", "by", "ci",
               "level", "df")
cases_df <- do.call(rbind, lapply(cases, function(cs)
    as.data.frame(cs[case_cols], stringsAsFactors = FALSE)))
ref_df <- do.call(rbind, ref_rows)
dir.create("tests/ref", showWarnings = FALSE)
write_csv_plain(cases_df, out_cases)
write_csv_plain(ref_df, out_ref)
cat(sprintf("%s: %d cases\n%s: %d rows\n", out_cases, nrow(cases_df),
            out_ref, nrow(ref_df)))
