# The users' files of graft's benchmark, made by R from the simulated CSV
# (tests/bench/run.sh calls this for the files it has not cached yet).
#
#   Rscript tests/bench/make_files.R IN.csv KIND=OUT [KIND=OUT ...]
#
# KIND is one of
#   quoted     IN as R's write.csv writes it: every non-empty field quoted,
#              empty fields empty (the values are read as text, so they are
#              written as they were: no number is reformatted);
#   shuffled   the quoted file with its rows in a random order (set.seed(1);
#              sample()), so that it is not grouped by PSU;
#   dta, sav, sas7bdat
#              haven's write_dta, write_sav, write_sas of read.csv(IN): the
#              numeric columns as R reads them (integer or double), NA where
#              the CSV has an empty field.
# Each OUT is written to OUT.tmp and renamed when complete, so an
# interrupted run leaves no half file.  Prints one line per file made.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2 || !all(grepl("^[a-z0-9]+=.", args[-1])))
    stop("usage: Rscript make_files.R IN.csv KIND=OUT [KIND=OUT ...]")
input <- args[1]
kinds <- sub("=.*", "", args[-1])
outs <- sub("^[a-z0-9]+=", "", args[-1])
known <- c("quoted", "shuffled", "dta", "sav", "sas7bdat")
if (!all(kinds %in% known))
    stop("make_files.R: unknown kind: ", paste(setdiff(kinds, known), collapse = ", "),
         " (", paste(known, collapse = ", "), ")")

# write OUT through OUT.tmp with WRITE(path)
atomic <- function(out, write) {
    tmp <- paste0(out, ".tmp")
    t <- system.time(write(tmp))[["elapsed"]]
    if (!file.rename(tmp, out)) stop("make_files.R: cannot rename ", tmp, " to ", out)
    cat(sprintf("%s: %.1f MB in %.1f s\n", out, file.size(out) / 1e6, t))
}

text <- NULL
if (any(kinds %in% c("quoted", "shuffled")))
    text <- read.csv(input, colClasses = "character", na.strings = "")
num <- NULL
if (any(kinds %in% c("dta", "sav", "sas7bdat"))) {
    suppressPackageStartupMessages(library(haven))
    num <- read.csv(input)
}
for (i in seq_along(kinds)) {
    out <- outs[i]
    switch(kinds[i],
        quoted = atomic(out, function(p) write.csv(text, p, row.names = FALSE, na = "")),
        shuffled = atomic(out, function(p) {
            set.seed(1)
            write.csv(text[sample(nrow(text)), ], p, row.names = FALSE, na = "")
        }),
        dta = atomic(out, function(p) write_dta(num, p)),
        sav = atomic(out, function(p) write_sav(num, p)),
        sas7bdat = atomic(out, function(p) write_sas(num, p)))
}
