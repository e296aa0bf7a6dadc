# replicate_ref.R - reference replicate weights from R's survey package for
# graft replicate (tests/test_replicate.c compares every weight to 1e-12).
#
# Run from the repository root:
#     Rscript tests/R/replicate_ref.R
# Made with R survey 4.1-1 (Debian).  CI never runs R: the outputs are
# committed.  The script writes
#
#   tests/data/replicate/lonely.csv, fpc_rows.csv, brr.csv
#       small designs made here with set.seed(20240611): a stratum with one
#       PSU and one with 4 (lonely.csv); rows as PSUs with an fpc, one
#       stratum sampled whole (fpc_rows.csv); 18 numeric strata of 2 PSUs
#       and one of 4, in shuffled row order (brr.csv: 20 half-sample pairs,
#       R's hadamard(20) is Paley's order 12 doubled, 24 replicates)
#   tests/ref/replicate_<case>.csv
#       weights(as.svrepdesign(...), "analysis"): column row (1-based data
#       row), then r1..rR, numbers with sprintf("%.17g")
#   tests/ref/replicate_jkn_nhanes_factors.csv, replicate_jkn_nhanes_index.csv
#       nhanes has 8591 rows: instead of every analysis weight, R's
#       compressed replicate factors (one row per PSU: unit, r1..r31) and
#       each data row's PSU (row, unit); weight = factor * WTMEC2YR.  The
#       case jkn_nhanes keeps every 100th row's analysis weights as well.
#   tests/ref/replicate_scales.csv
#       case, index, value: index 0 is the scale, index r the rscale of
#       replicate r (bootstrap cases: the scale only, the weights are random)
#   tests/ref/replicate_hadamard.csv
#       n, order, checksum of survey:::hadamard(n) for n = 1..300:
#       sum over (i, j) of H[i, j] * ((i * 1000003 + j * 7919) %% 999983)
#   tests/ref/replicate_rnumber.csv
#       value (%.17g), text: as.character() of doubles (the text R sorts
#       BRR strata by)
#
# BRR sorts the strata by their text in the collation of the locale; graft
# compares bytes, so the C locale is used here.
suppressPackageStartupMessages(library(survey))
invisible(Sys.setlocale("LC_COLLATE", "C"))
options(survey.replicates.mse = FALSE)

ref <- "tests/ref"
fix <- "tests/data/replicate"
dir.create(fix, showWarnings = FALSE, recursive = TRUE)

fmt <- function(x) sprintf("%.17g", x)

scales <- list()
add_scales <- function(case, rep, weights_only = FALSE) {
    v <- if (weights_only) rep$scale else c(rep$scale, rep$rscales)
    scales[[case]] <<- data.frame(case = case, index = seq_along(v) - 1,
                                  value = fmt(v))
}

write_weights <- function(case, rep, rows = NULL) {
    w <- weights(rep, "analysis")
    if (is.null(rows)) rows <- seq_len(nrow(w))
    out <- data.frame(row = rows)
    for (r in seq_len(ncol(w))) out[[paste0("r", r)]] <- fmt(w[rows, r])
    write.csv(out, file.path(ref, paste0("replicate_", case, ".csv")),
              row.names = FALSE, quote = FALSE)
    add_scales(case, rep)
}

# ---- fixtures ---------------------------------------------------------------

set.seed(20240611)
high_w <- function(n) round(runif(n, 12, 480), 6)

# lonely.csv: strata 1..5 with 3, 1, 2, 4, 2 PSUs, 3 rows each.
npsu <- c(3, 1, 2, 4, 2)
lonely <- do.call(rbind, lapply(seq_along(npsu), function(s)
    data.frame(s = s, p = rep(seq_len(npsu[s]), each = 3))))
lonely <- lonely[sample(nrow(lonely)), ]
lonely$w <- high_w(nrow(lonely))
lonely$y <- round(rnorm(nrow(lonely), 50, 10), 3)
write.csv(lonely, file.path(fix, "lonely.csv"), row.names = FALSE)

# fpc_rows.csv: rows are the PSUs; strata a, b, c with 4, 5, 3 rows and
# population counts 20, 50 and 3 (c is sampled whole).
fr <- data.frame(h = rep(c("a", "b", "c"), c(4, 5, 3)),
                 N = rep(c(20, 50, 3), c(4, 5, 3)))
fr <- fr[sample(nrow(fr)), ]
fr$w <- high_w(nrow(fr))
fr$y <- round(rnorm(nrow(fr), 5, 2), 3)
write.csv(fr, file.path(fix, "fpc_rows.csv"), row.names = FALSE)

# brr.csv: numeric strata 1..19 (text order 1, 10, ..., 19, 2, ..., 9
# differs from numeric order), 2 PSUs each and 4 in stratum 7; 2 rows per
# PSU, rows shuffled.
bn <- ifelse(1:19 == 7, 4, 2)
brr <- do.call(rbind, lapply(1:19, function(s)
    data.frame(stratum = s, psu = rep(seq_len(bn[s]), each = 2))))
brr <- brr[sample(nrow(brr)), ]
brr$wt <- high_w(nrow(brr))
brr$y <- round(rnorm(nrow(brr), 20, 5), 3)
brr$N <- 100  # an fpc that BRR leaves out, with a warning
write.csv(brr, file.path(fix, "brr.csv"), row.names = FALSE)

# ---- cases ------------------------------------------------------------------

# JK1: apiclus1, one-stage cluster sample of districts with an fpc.
apiclus1 <- read.csv("tests/data/r/apiclus1.csv")
d <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
write_weights("jk1_apiclus1", as.svrepdesign(d, type = "JK1"))

# JKn: nhanes, 15 strata of 2 PSUs and one of 3.
nhanes <- read.csv("tests/data/r/nhanes.csv")
d <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR,
               nest = TRUE, data = nhanes)
rep <- as.svrepdesign(d, type = "JKn")
write_weights("jkn_nhanes", rep, rows = seq(1, nrow(nhanes), by = 100))
cw <- rep$repweights$weights
fac <- data.frame(unit = seq_len(nrow(cw)))
for (r in seq_len(ncol(cw))) fac[[paste0("r", r)]] <- fmt(cw[, r])
write.csv(fac, file.path(ref, "replicate_jkn_nhanes_factors.csv"),
          row.names = FALSE, quote = FALSE)
write.csv(data.frame(row = seq_len(nrow(nhanes)),
                     unit = rep$repweights$index),
          file.path(ref, "replicate_jkn_nhanes_index.csv"),
          row.names = FALSE, quote = FALSE)
stopifnot(all.equal(unname(weights(rep, "analysis")),
                    unname(cw[rep$repweights$index, ] * nhanes$WTMEC2YR)))

# Bootstraps on nhanes: R's scale (the weights are random).
set.seed(1)
add_scales("bootstrap_nhanes", as.svrepdesign(d, type = "bootstrap"), TRUE)
add_scales("subbootstrap_nhanes", as.svrepdesign(d, type = "subbootstrap",
                                                 replicates = 40), TRUE)

# JKn with single-PSU strata, under each lonely-PSU policy.
d <- svydesign(id = ~p, strata = ~s, weights = ~w, nest = TRUE,
               data = lonely)
for (policy in c("adjust", "average", "remove", "certainty")) {
    options(survey.lonely.psu = policy)
    write_weights(paste0("jkn_lonely_", policy),
                  as.svrepdesign(d, type = "JKn"))
}
options(survey.lonely.psu = "fail")

# JKn with rows as PSUs and an fpc; stratum c sampled whole has no
# replicates.
d <- svydesign(id = ~1, strata = ~h, fpc = ~N, weights = ~w, data = fr)
write_weights("jkn_fpc_rows", as.svrepdesign(d, type = "JKn"))
set.seed(1)
add_scales("bootstrap_fpc_rows", as.svrepdesign(d, type = "bootstrap",
                                                replicates = 30), TRUE)

# BRR and Fay on brr.csv.
d <- svydesign(id = ~psu, strata = ~stratum, weights = ~wt, nest = TRUE,
               data = brr)
write_weights("brr", as.svrepdesign(d, type = "BRR"))
write_weights("fay", as.svrepdesign(d, type = "Fay", fay.rho = 0.3))

write.csv(do.call(rbind, scales), file.path(ref, "replicate_scales.csv"),
          row.names = FALSE, quote = FALSE)

# ---- building blocks --------------------------------------------------------

had <- do.call(rbind, lapply(1:300, function(n) {
    H <- survey:::hadamard(n)
    k <- nrow(H)
    wts <- outer(1:k, 1:k, function(i, j) (i * 1000003 + j * 7919) %% 999983)
    data.frame(n = n, order = k, checksum = fmt(sum(H * wts)))
}))
write.csv(had, file.path(ref, "replicate_hadamard.csv"), row.names = FALSE,
          quote = FALSE)

x <- c(1, 7, 19, 83, 100, 1e5, -1e5, 123456, 120000, 1200000, 0.1, 1/3,
       0.0001, 0.00012, 2e-4, 1e-5, 1e15, 1e21, 123456.7, 100000.5,
       3.14159265358979, 0.1 + 0.2, 1234567890123456789, 2.5, -0.75)
write.csv(data.frame(value = fmt(x), text = as.character(x)),
          file.path(ref, "replicate_rnumber.csv"), row.names = FALSE)
