# sae_fh.R - the area-level Fay-Herriot model in plain R, written out from
# the sae package 1.3 (Molina and Marhuenda, CRAN; R/eblupFH.R and
# R/mseFH.R), which is not installed here: sigma_u^2 by REML, ML or the
# Fay-Herriot moment method, each by the package's Fisher scoring from the
# median of the sampling variances, stopping when the relative change of
# sigma_u^2 is at most PRECISION; beta by GLS; the EBLUP; the MSE of
# mseFH (Prasad-Rao for FH, Datta-Lahiri for REML and ML).  Sourced by
# sae_ref.R.  The only departure from the package is PRECISION, which the
# references set to 1e-13 (the package's default is 1e-4) so that graft
# and R both stop at the fixed point.
#
# y: direct estimates; psi: their variances; X: the m x p design matrix
# (with the intercept column).  Returns a list: sigma2u, beta, beta_se,
# iterations, loglik, eblup, gamma, g1, g2, g3, mse, and for synthetic
# areas (rows of XS) their estimates and MSE g2 + sigma_u^2.
fh_fit <- function(y, psi, X, method = "REML", precision = 1e-13,
                   maxiter = 100) {
    m <- length(y)
    p <- ncol(X)
    A <- median(psi)
    k <- 0
    diff <- precision + 1
    while (diff > precision && k < maxiter) {
        k <- k + 1
        Vi <- 1 / (A + psi)
        XtVi <- t(Vi * X)
        Q <- solve(XtVi %*% X)
        if (method == "FH") {
            beta <- Q %*% XtVi %*% y
            res <- y - X %*% beta
            s <- sum(res^2 * Vi) - (m - p)   # eblupFH.R: FH moment equation
            F <- sum(Vi)
        } else {
            P <- diag(Vi) - t(XtVi) %*% Q %*% XtVi
            Py <- P %*% y
            if (method == "REML") {
                s <- -0.5 * sum(diag(P)) + 0.5 * sum(Py^2)
                F <- 0.5 * sum(diag(P %*% P))
            } else {
                s <- -0.5 * sum(Vi) + 0.5 * sum(Py^2)
                F <- 0.5 * sum(Vi^2)
            }
        }
        Anew <- A + s / F
        diff <- abs((Anew - A) / A)
        A <- Anew
    }
    converged <- !(k >= maxiter && diff >= precision)
    A <- max(A, 0)
    Vi <- 1 / (A + psi)
    XtVi <- t(Vi * X)
    Q <- solve(XtVi %*% X)
    beta <- drop(Q %*% XtVi %*% y)
    xb <- drop(X %*% beta)
    res <- y - xb
    loglik <- -0.5 * sum(log(2 * pi * (A + psi)) + res^2 / (A + psi))
    eblup <- xb + A * Vi * res
    # mseFH.R
    Bd <- psi / (A + psi)
    SumAD2 <- sum(Vi^2)
    g1 <- psi * (1 - Bd)
    g2 <- Bd^2 * rowSums((X %*% Q) * X)
    if (method == "FH") {
        SumAD <- sum(Vi)
        VarA <- 2 * m / SumAD^2
        b <- 2 * (m * SumAD2 - SumAD^2) / SumAD^3
    } else {
        VarA <- 2 / SumAD2
        b <- if (method == "ML")
            -sum(diag(Q %*% (t(Vi^2 * X) %*% X))) / SumAD2 else 0
    }
    g3 <- Bd^2 * VarA / (A + psi)
    mse <- g1 + g2 + 2 * g3 - b * Bd^2
    list(sigma2u = A, beta = beta, beta_se = sqrt(diag(Q)), iterations = k,
         converged = converged, loglik = loglik, eblup = eblup,
         gamma = A * Vi, xb = xb, g1 = g1, g2 = g2, g3 = g3, mse = mse, Q = Q)
}

# Synthetic estimates x' beta and their MSE g2 + sigma_u^2 = x' Q x +
# sigma_u^2 for the areas (rows of XS) outside the fit.
fh_synthetic <- function(fit, XS) {
    list(estimate = drop(XS %*% fit$beta),
         mse = rowSums((XS %*% fit$Q) * XS) + fit$sigma2u)
}
