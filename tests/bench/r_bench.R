# R's survey package doing what `graft estimate ... --analysis
# tests/bench/bench.ini` does: 9 bribery prevalences (8 types of official
# and "any") among those with contact, by zone and overall, logit intervals.
#
#   Rscript tests/bench/r_bench.R DATA.csv OUT.csv
#
# tests/bench/run.sh times the whole Rscript run from outside (startup,
# library(survey), read.csv, svydesign, estimates, writing OUT.csv); the
# system.time() breakdown printed here is for information.  OUT.csv has
# indicator, zone, estimate, ci_low, ci_high (zone "All" for the overall),
# which run.sh compares with graft's output.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript r_bench.R DATA.csv OUT.csv")
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")

sectors <- c("police", "courts", "tax", "health", "education", "land",
             "utilities", "permits", "any")

t_read <- system.time(d <- read.csv(args[1]))

t_design <- system.time({
    # --missing 8,9: the codes 8 and 9 are missing in every column but the
    # design's (only the contact_* and paid_* columns use them)
    for (s in sectors) for (v in c("contact_", "paid_")) {
        col <- paste0(v, s)
        d[[col]][d[[col]] %in% c(8, 9)] <- NA
    }
    des <- svydesign(ids = ~ea, strata = ~stratum, weights = ~weight,
                     nest = TRUE, data = d)
})

rows <- list()
t_est <- system.time(for (s in sectors) {
    f <- as.formula(sprintf("~I(paid_%s == 1)", s))
    sub <- eval(parse(text = sprintf(
        "subset(des, contact_%s == 1 & !is.na(paid_%s))", s, s)))
    by <- svyby(f, ~zone, sub, svyciprop, method = "logit", vartype = "ci")
    all <- svyciprop(f, sub, method = "logit")
    ci <- attr(all, "ci")
    rows[[length(rows) + 1]] <- data.frame(
        indicator = s, zone = c("All", as.character(by$zone)),
        estimate = c(as.numeric(all), as.numeric(coef(by))),
        ci_low = c(ci[[1]], by$ci_l), ci_high = c(ci[[2]], by$ci_u))
})

out <- do.call(rbind, rows)
write.csv(out, args[2], row.names = FALSE)
cat(sprintf(paste0("R %s, survey %s: %d rows; read.csv %.2f s, ",
                   "svydesign %.2f s, estimates %.2f s\n"),
            paste(R.version$major, R.version$minor, sep = "."),
            as.character(packageVersion("survey")), nrow(d),
            t_read[["elapsed"]], t_design[["elapsed"]], t_est[["elapsed"]]))
