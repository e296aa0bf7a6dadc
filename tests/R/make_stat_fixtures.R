# make_stat_fixtures.R - the SPSS, Stata and SAS fixtures of tests/test_stat.c
# and R's view of each of them.
#
# Run from the repository root:  Rscript tests/R/make_stat_fixtures.R
# Needs haven (r-cran-haven).  The outputs are committed under
# tests/data/stat/; rerunning with the same seed and haven (2.5.1) reproduces
# the CSV files byte for byte, and the data files but for the creation time
# each format stores.
#
# No .por fixture: haven cannot write SPSS portable files, and the ones
# pspp-convert 1.6.2 writes do not parse with ReadStat 1.1.8 (haven's
# read_por fails on them too: "Invalid file, or file has unsupported
# features", even for a single numeric variable).  test_stat.c writes its
# .por at test time with ReadStat's own writer and reads it back.
#
# For each fixture F this writes
#   F.values.csv  one line per case, one field per variable, as R reads the
#                 file back: numbers as %.17g, unquoted NA for a missing value
#                 (system, SPSS user-defined, Stata/SAS tagged), strings quoted
#                 with "" doubled; dates as the file's raw number (SPSS:
#                 seconds since 1582-10-14, Stata and SAS: days since
#                 1960-01-01), which is what graft delivers.
#   F.meta.csv    kind,column,a,b lines: "column,NAME,numeric|string,LABEL"
#                 for each variable in file order, and "label,NAME,CODE,TEXT"
#                 for each value label (a quoted CODE is a string code).
#                 Labels of tagged missing values (Stata .r, SAS .R) are left
#                 out: graft reports those values as missing and keeps no
#                 label for them.
suppressPackageStartupMessages(library(haven))

out <- "tests/data/stat"
dir.create(out, recursive = TRUE, showWarnings = FALSE)

set.seed(20180331)
n <- 24
regions <- c("Great Tunis" = 1, "North East" = 2, "North West" = 3,
             "Center East" = 4, "Center West" = 5, "South East" = 6,
             "South West" = 7)
bribe_labels <- c("Never" = 0, "Once or twice" = 1, "A few times" = 2,
                  "Often" = 3, "No contact" = 7, "Refused" = 8,
                  "Don't know" = 9, "Missing" = -1)

id <- sample(100000:999999, n)
x <- round(rnorm(n, 50, 20) * pi, 6) + runif(n) * 1e-6
x[c(5, 17)] <- NA
wt <- runif(n, 0.3, 2.7)
region <- sample(1:7, n, replace = TRUE) + 0
region[11] <- 8                       # a code without a label
q <- sample(c(0, 1, 2, 3, 7, 8, 9, -1), n, replace = TRUE)
q[1:8] <- c(0, 1, 2, 3, 7, 8, 9, -1)  # every code at least once
inc <- round(rlnorm(n, 6, 1), 2)
inc[c(3, 20)] <- c(999, 950.5)        # SPSS range-missing (>= 900)
inc[c(7)] <- NA
towns <- c("Tunis", "Sfax", "Gab\u00e8s", "Sousse, centre", "dit \"non\"",
           "Kairouan", "")
s <- sample(towns, n, replace = TRUE)
s[1:7] <- towns
cc <- sample(c("TN", "SF", "GB", "ZZ"), n, replace = TRUE)
cc[1:4] <- c("TN", "SF", "GB", "ZZ")
d <- as.Date("2018-03-31") + sample(0:37, n, replace = TRUE)

# SPSS: user-defined missing values (discrete and range, numeric and string)
# and string value labels.
spss <- data.frame(id = id)
spss$x <- x
spss$wt <- wt
spss$region <- labelled(region, regions)
spss$q <- labelled_spss(q, bribe_labels, na_values = c(-1, 8, 9))
spss$inc <- labelled_spss(inc, c("Top-coded" = 999), na_range = c(900, Inf))
spss$s <- s
spss$cc <- labelled_spss(cc, c("Tunis" = "TN", "Sfax" = "SF"), na_values = "ZZ")
spss$d <- d
attr(spss$wt, "label") <- "Within-country weight"
attr(spss$region, "label") <- "Region"
attr(spss$q, "label") <- "Paid a bribe: public school"
attr(spss$s, "label") <- "Town (UTF-8)"

# Stata: tagged missing .r (refused), .d (don't know); numeric labels only.
stata_q <- q
stata_q[q == 8] <- tagged_na("r")
stata_q[q == 9] <- tagged_na("d")
stata_q[q == -1] <- NA
stata <- data.frame(id = id)
stata$x <- x
stata$wt <- wt
stata$region <- labelled(region, regions)
stata$q <- labelled(stata_q, c(bribe_labels[bribe_labels %in% c(0, 1, 2, 3, 7)],
                               "Refused" = tagged_na("r"),
                               "Don't know" = tagged_na("d")))
stata$inc <- inc
stata$s <- s
stata$cc <- cc
stata$d <- d
attr(stata$wt, "label") <- "Within-country weight"
attr(stata$region, "label") <- "Region"
attr(stata$q, "label") <- "Paid a bribe: public school"
attr(stata$s, "label") <- "Town (UTF-8)"

# SAS: special missing .R and .D; SAS files carry no value labels.
sas_q <- q
sas_q[q == 8] <- tagged_na("R")
sas_q[q == 9] <- tagged_na("D")
sas_q[q == -1] <- NA
sas <- stata
sas$region <- region
sas$q <- sas_q
attr(sas$wt, "label") <- "Within-country weight"
attr(sas$q, "label") <- "Paid a bribe: public school"
sas$s <- iconv(s, "UTF-8", "ASCII", sub = "e")  # xpt v5 text is ASCII
attr(sas$s, "label") <- "Town"

write_sav(spss, file.path(out, "survey.sav"))
write_sav(spss, file.path(out, "survey.zsav"), compress = "zsav")
write_dta(stata, file.path(out, "survey.dta"), version = 15)
write_xpt(sas, file.path(out, "survey.xpt"), version = 5)
suppressWarnings(write_sas(sas, file.path(out, "survey.sas7bdat")))
write_sav(spss[0, ], file.path(out, "nocases.sav"))
write_dta(stata[0, ], file.path(out, "nocases.dta"), version = 15)

# ---- R's view of each file --------------------------------------------

quote_str <- function(v) paste0("\"", gsub("\"", "\"\"", v, fixed = TRUE), "\"")

field_text <- function(v, epoch_days, day_seconds) {
    if (inherits(v, "Date")) {
        raw <- (as.numeric(v) + epoch_days) * day_seconds
        return(ifelse(is.na(raw), "NA", sprintf("%.17g", raw)))
    }
    v <- zap_labels(v)
    if (is.character(v)) return(ifelse(is.na(v), "NA", quote_str(v)))
    ifelse(is.na(v), "NA", sprintf("%.17g", as.numeric(v)))
}

write_view <- function(path, reader, epoch_days, day_seconds) {
    df <- reader(path)
    stem <- sub("\\.[^.]+$", "", path)
    stem <- paste0(stem, "_", tools::file_ext(path))
    fields <- lapply(df, field_text, epoch_days = epoch_days,
                     day_seconds = day_seconds)
    lines <- c(paste(names(df), collapse = ","),
               if (nrow(df)) do.call(paste, c(fields, sep = ",")))
    writeLines(lines, paste0(stem, ".values.csv"), useBytes = TRUE)

    meta <- character()
    for (name in names(df)) {
        v <- df[[name]]
        label <- attr(v, "label", exact = TRUE)
        type <- if (is.character(v)) "string" else "numeric"
        meta <- c(meta, paste("column", name, type,
                              if (is.null(label)) "NA" else quote_str(label),
                              sep = ","))
        labels <- attr(v, "labels", exact = TRUE)
        if (is.null(labels)) next
        for (i in seq_along(labels)) {
            code <- labels[[i]]
            if (is.double(code) && is_tagged_na(code)) next
            code_text <- if (is.character(code)) quote_str(code) else
                sprintf("%.17g", code)
            meta <- c(meta, paste("label", name, code_text,
                                  quote_str(names(labels)[i]), sep = ","))
        }
    }
    writeLines(meta, paste0(stem, ".meta.csv"), useBytes = TRUE)
}

spss_epoch <- as.numeric(as.Date("1970-01-01") - as.Date("1582-10-14"))
stata_epoch <- as.numeric(as.Date("1970-01-01") - as.Date("1960-01-01"))
write_view(file.path(out, "survey.sav"), read_sav, spss_epoch, 86400)
write_view(file.path(out, "survey.zsav"), read_sav, spss_epoch, 86400)
write_view(file.path(out, "survey.dta"), read_dta, stata_epoch, 1)
write_view(file.path(out, "survey.xpt"), read_xpt, stata_epoch, 1)
write_view(file.path(out, "survey.sas7bdat"), read_sas, stata_epoch, 1)

# The Afrobarometer counts pinned in test_stat.c (not written to a file).
afro <- "../shared/data/afrobarometer"
for (f in c("tun_r7_data.sav", "tun_r8_data.sav", "tun_r9_data.sav")) {
    p <- file.path(afro, f)
    if (!file.exists(p)) next
    df <- read_sav(p, user_na = TRUE)
    cat(sprintf("%s: %d cases, %d variables; REGION labels %d\n", f,
                nrow(df), ncol(df), length(attr(df$REGION, "labels"))))
}
