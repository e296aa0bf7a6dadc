# plan_ref.R - reference sample sizes and minimum detectable changes for
# `graft plan` (src/stats/plan.c, tests/test_plan.c).
#
# Run from the repository root:  Rscript tests/R/plan_ref.R
# Made with R 4.2.2 (stats::power.prop.test, two-sided, strict = FALSE).  CI
# never runs R: the two CSV files it writes are committed.
#
# graft's n per round is deff x (1 - R) x n_SRS, where
# n_SRS is power.prop.test's n and R the correlation between the rounds'
# estimates (0: independent rounds).  R's default uniroot tolerance
# (.Machine$double.eps^0.25, about 1.2e-4 absolute) is far coarser than
# 1e-9, so every call below passes tol = 1e-13: R then solves to full
# precision and graft (which solves to full precision too) must match it
# to 1e-9 relative.
#
# tests/ref/plan_n.csv - one row per (p1, p2, deff, power, alpha, corr):
#   n_srs    power.prop.test(p1 = p1, p2 = p2, power = power,
#            sig.level = alpha, tol = 1e-13)$n
#   n_closed the closed form (z_{1-a/2} sqrt(2 pbar qbar) + z_{power}
#            sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2, for the record: it and
#            n_srs agree to ~1e-12 relative
#   n_exact  deff * (1 - corr) * n_srs;  n  ceiling(n_exact)
#
# tests/ref/plan_mde.csv - one row per (p1, n, deff, power, alpha, corr):
#   the p2 above p1 (p2_high) and below p1 (p2_low) at which a sample of n
#   per round has the power asked, i.e. power.prop.test(n = n_srs, p1 = p1,
#   power = power, sig.level = alpha, tol = 1e-13)$p2 with
#   n_srs = n / (deff * (1 - corr)); below p1 by the symmetry of the power
#   function under p -> 1 - p: p2_low = 1 - power.prop.test(n = n_srs,
#   p1 = 1 - p1, ...)$p2.  low_status, high_status: the number of times the
#   power curve crosses the target between p1 and 0 (1) on a grid of 20001
#   points, 2 meaning two or more.  1: p2 is R's uniroot root, the only
#   p2 that reaches the power in that direction, which graft must find;
#   0: no p2 in [0, 1] reaches it (R warns and returns a root outside
#   [p1, 1]) and p2 is NA: graft must say the change is undetectable;
#   2: p2 NA, not compared (uniroot may return any of the roots; graft
#   defines the MDE as the one nearest p1).

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
tol <- 1e-13

grid_n <- expand.grid(p1 = c(0.005, 0.05, 0.3, 0.5, 0.8),
                      p2 = c(0.01, 0.1, 0.25, 0.45, 0.9),
                      deff = c(1, 1.8, 3.25),
                      power = c(0.8, 0.9),
                      alpha = c(0.05, 0.01),
                      corr = c(0, 0.4))
grid_n <- grid_n[grid_n$p1 != grid_n$p2, ]
rows <- lapply(seq_len(nrow(grid_n)), function(i) {
  g <- grid_n[i, ]
  n_srs <- power.prop.test(p1 = g$p1, p2 = g$p2, power = g$power,
                           sig.level = g$alpha, tol = tol)$n
  pbar <- (g$p1 + g$p2) / 2
  n_closed <- (qnorm(1 - g$alpha / 2) * sqrt(2 * pbar * (1 - pbar)) +
               qnorm(g$power) * sqrt(g$p1 * (1 - g$p1) + g$p2 * (1 - g$p2)))^2 /
              (g$p1 - g$p2)^2
  n_exact <- g$deff * (1 - g$corr) * n_srs
  c(g$p1, g$p2, g$deff, g$power, g$alpha, g$corr, n_srs, n_closed, n_exact,
    ceiling(n_exact))
})
out <- do.call(rbind, rows)
colnames(out) <- c("p1", "p2", "deff", "power", "alpha", "corr", "n_srs",
                   "n_closed", "n_exact", "n")
stopifnot(max(abs(out[, "n_srs"] / out[, "n_closed"] - 1)) < 1e-10)
write.csv(apply(out, 2, fmt), "tests/ref/plan_n.csv", row.names = FALSE,
          quote = FALSE)

power_at <- function(n, p1, p2, power, alpha)
  pnorm((sqrt(n) * abs(p1 - p2) - qnorm(alpha / 2, lower.tail = FALSE) *
         sqrt((p1 + p2) * (1 - (p1 + p2) / 2))) /
        sqrt(p1 * (1 - p1) + p2 * (1 - p2)))

# the number of times the power curve crosses POWER between p1 and END
crossings <- function(n, p1, end, power, alpha) {
  p2 <- seq(p1, end, length.out = 20001)[-1]
  f <- power_at(n, p1, p2, power, alpha) - power
  sum(diff(sign(f)) != 0)
}

# c(p2, status): status 1 one crossing (p2 R's root), 0 none (p2 NA: graft
# must say undefined), 2 several (p2 NA: not compared)
solve_p2 <- function(n, p1, power, alpha) {
  k <- crossings(n, p1, 1, power, alpha)
  if (k != 1) return(c(NA, min(k, 2)))
  r <- suppressWarnings(power.prop.test(n = n, p1 = p1, power = power,
                                        sig.level = alpha, tol = tol)$p2)
  stopifnot(r >= p1, r <= 1)
  c(r, 1)
}

grid_m <- expand.grid(p1 = c(0.01, 0.1, 0.3, 0.5, 0.75, 0.97),
                      n = c(60, 400, 2000, 15000),
                      deff = c(1, 1.8, 3.25),
                      power = c(0.8, 0.9),
                      alpha = c(0.05, 0.01),
                      corr = c(0, 0.4))
rows <- lapply(seq_len(nrow(grid_m)), function(i) {
  g <- grid_m[i, ]
  n_srs <- g$n / (g$deff * (1 - g$corr))
  hi <- solve_p2(n_srs, g$p1, g$power, g$alpha)
  lo <- solve_p2(n_srs, 1 - g$p1, g$power, g$alpha)
  c(g$p1, g$n, g$deff, g$power, g$alpha, g$corr, n_srs,
    1 - lo[1], lo[2], hi[1], hi[2])
})
out <- do.call(rbind, rows)
colnames(out) <- c("p1", "n", "deff", "power", "alpha", "corr", "n_srs",
                   "p2_low", "low_status", "p2_high", "high_status")
write.csv(apply(out, 2, fmt), "tests/ref/plan_mde.csv", row.names = FALSE,
          quote = FALSE)
cat("plan_n.csv:", nrow(grid_n), "rows; plan_mde.csv:", nrow(grid_m),
    "rows; status counts",
    table(c(out[, "low_status"], out[, "high_status"])), "\n")
