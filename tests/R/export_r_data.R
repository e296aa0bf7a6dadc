# export_r_data.R - write the example data sets of R's survey package to
# tests/data/r/ as CSV, so the C tests can read exactly what R's reference
# designs (tests/R/design_ref.R) were built from.
#
# Run from the repository root:  Rscript tests/R/export_r_data.R
# Made with R survey 4.1-1 (Debian r-cran-survey).  CI never runs R: the
# CSV files are committed.  Factors are written as their labels, NA as an
# empty cell, no row names.
suppressPackageStartupMessages(library(survey))

out_dir <- "tests/data/r"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

write_one <- function(df, name) {
    path <- file.path(out_dir, paste0(name, ".csv"))
    write.csv(df, path, row.names = FALSE, na = "")
    cat(sprintf("%s: %d rows, %d columns\n", path, nrow(df), ncol(df)))
}

data(api)     # apiclus1, apistrat, apiclus2 (and apipop, apisrs)
data(nhanes)
write_one(apiclus1, "apiclus1")
write_one(apistrat, "apistrat")
write_one(apiclus2, "apiclus2")
write_one(nhanes, "nhanes")
