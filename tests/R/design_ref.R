# design_ref.R - reference design summaries from R's survey package:
# tests/ref/design_summary.csv, one row per case, for the C tests of the
# design module (graft describe) to compare against.
#
# Run from the repository root, after tests/R/export_r_data.R:
#     Rscript tests/R/design_ref.R
# Made with R survey 4.1-1 and haven 2.5.1 (Debian).  CI never runs R: the
# output is committed.  The Afrobarometer rows need ../shared/data/afrobarometer/
# (see its README.md); they are skipped with a message when it is absent.
#
# Columns (numbers printed with sprintf("%.17g")):
#   case, file    name of the case; data file, relative to the repository root
#   weight        weight column
#   strata        stratum column; several columns joined by ":" (R's
#                 interaction notation) mean their combination is the stratum;
#                 empty: one stratum
#   psu           PSU column; empty: each row is its own PSU (ids = ~1)
#   fpc           fpc column, empty: none
#   nest          true/false (svydesign nest =)
#   n_rows, n_zero_weight, sum_w, min_w, max_w
#   cv_w          sd(w) / mean(w), sd with divisor n - 1, over all rows
#                 (zero weights included)
#   kish_n        sum(w)^2 / sum(w^2)
#   n_strata      length(unique(design$strata[, 1]))
#   n_psu         distinct PSUs, nest-aware: the sum over strata of the PSUs
#                 per stratum, taken from design$fpc$sampsize
#   psu_min, psu_median, psu_max   PSUs per stratum (median of the strata)
#   n_lonely      strata with a single PSU
#   degf          degf(design): distinct PSUs minus distinct strata among the
#                 rows with non-zero weight (survey:::degf.survey.design2)
suppressPackageStartupMessages({
    library(survey)
    library(haven)
})

afro_dir <- "../shared/data/afrobarometer"

read_sav_plain <- function(path) {
    d <- read_sav(path)
    as.data.frame(zap_labels(d))
}

# One row of the summary for the design on DATA.
summarise_design <- function(case, file, data, weight, strata = NULL,
                             psu = NULL, fpc = NULL, nest = FALSE) {
    ids_f <- if (is.null(psu)) ~1 else reformulate(psu)
    strata_f <- if (is.null(strata)) NULL
                else if (length(strata) == 1) reformulate(strata)
                else reformulate(sprintf("interaction(%s, drop = TRUE)",
                                         paste(strata, collapse = ", ")))
    fpc_f <- if (is.null(fpc)) NULL else reformulate(fpc)
    des <- svydesign(ids = ids_f, strata = strata_f, fpc = fpc_f,
                     weights = reformulate(weight), nest = nest, data = data)

    w <- weights(des, "sampling")
    stopifnot(all.equal(as.numeric(w), as.numeric(data[[weight]])))
    h <- des$strata[, 1]
    # PSUs per stratum, as R's variance code sees them (fpc$sampsize is n_h
    # repeated on every row of stratum h) ...
    n_h <- tapply(des$fpc$sampsize[, 1], h, function(x) x[1])
    # ... and counted directly: distinct (stratum, PSU) pairs.
    pairs <- unique(data.frame(h = h, psu = des$cluster[, 1]))
    stopifnot(all(as.numeric(table(pairs$h)[names(n_h)]) == as.numeric(n_h)))

    data.frame(
        case = case, file = file, weight = weight,
        strata = if (is.null(strata)) "" else paste(strata, collapse = ":"),
        psu = if (is.null(psu)) "" else psu,
        fpc = if (is.null(fpc)) "" else fpc,
        nest = if (nest) "true" else "false",
        n_rows = nrow(data),
        n_zero_weight = sum(w == 0),
        sum_w = sum(w), min_w = min(w), max_w = max(w),
        cv_w = sd(w) / mean(w),
        kish_n = sum(w)^2 / sum(w^2),
        n_strata = length(unique(h)),
        n_psu = sum(n_h),
        psu_min = min(n_h), psu_median = median(n_h), psu_max = max(n_h),
        n_lonely = sum(n_h == 1),
        degf = degf(des),
        stringsAsFactors = FALSE)
}

read_r <- function(name) {
    path <- file.path("tests/data/r", paste0(name, ".csv"))
    list(path = path, data = read.csv(path, stringsAsFactors = FALSE))
}

rows <- list()
add <- function(row) rows[[length(rows) + 1]] <<- row

# R's survey example data (as exported by export_r_data.R).
f <- read_r("apiclus1")
add(summarise_design("apiclus1", f$path, f$data, "pw", psu = "dnum", fpc = "fpc"))
f <- read_r("apistrat")
add(summarise_design("apistrat", f$path, f$data, "pw", strata = "stype", fpc = "fpc"))
f <- read_r("apiclus2")
add(summarise_design("apiclus2_stage1", f$path, f$data, "pw", psu = "dnum"))
f <- read_r("nhanes")
add(summarise_design("nhanes", f$path, f$data, "WTMEC2YR", strata = "SDMVSTRA",
                     psu = "SDMVPSU", nest = TRUE))

# The demo survey (surveys/demo/, made by graft simulate).
for (r in 1:2) {
    path <- sprintf("surveys/demo/round%d.csv", r)
    add(summarise_design(sprintf("demo_round%d", r), path,
                         read.csv(path, stringsAsFactors = FALSE), "weight",
                         strata = "stratum", psu = "ea", nest = TRUE))
}

# Afrobarometer Tunisia R7-R9: strata REGION x URBRUR, each row its own PSU.
afro <- list(c("tun_r7", "tun_r7_data.sav", "withinwt"),
             c("tun_r8", "tun_r8_data.sav", "withinwt_hh"),
             c("tun_r9", "tun_r9_data.sav", "withinwt_hh"))
for (a in afro) {
    path <- file.path(afro_dir, a[2])
    if (!file.exists(path)) {
        message("design_ref.R: ", path, " is absent: case ", a[1], " skipped")
        next
    }
    add(summarise_design(a[1], path, read_sav_plain(path), a[3],
                         strata = c("REGION", "URBRUR")))
}

out <- do.call(rbind, rows)
num <- vapply(out, is.numeric, logical(1))
out[num] <- lapply(out[num], function(x) sprintf("%.17g", x))
dir.create("tests/ref", showWarnings = FALSE)
write.table(out, "tests/ref/design_summary.csv", sep = ",", quote = FALSE,
            row.names = FALSE, col.names = TRUE)
cat(sprintf("tests/ref/design_summary.csv: %d cases\n", nrow(out)))
