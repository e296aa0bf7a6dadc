# checks_ref.R - the sign of cv (tests/test_checks.c, issue 13 item 8).
#
# Run from the repository root:  Rscript tests/R/checks_ref.R
# Made with R 4.2.2 and R survey 4.1-1 (Debian r-cran-survey).  CI never runs R: the
# CSV file it writes is committed.
#
# R's cv() is SE(object) / coef(object) (survey R/survey.R, cv.default),
# negative for a negative statistic (R warns "CV may not be useful for
# negative statistics"); graft prints the same number.
#
# tests/ref/checks_cv_ref.csv - one row per (statistic, domain) on
#   tests/data/checks/labelled.csv, weights w, each row its own PSU:
#     stat      mean or total of y
#     domain    all, or neg (the rows with y < 0, R's subset())
#     estimate, se, cv   coef(), SE() and cv() of svymean / svytotal,
#                        printed with sprintf("%.17g")
suppressPackageStartupMessages(library(survey))
d <- read.csv("tests/data/checks/labelled.csv")
des <- svydesign(ids = ~1, weights = ~w, data = d)
rows <- list()
for (dom in c("all", "neg")) {
  sub <- if (dom == "all") des else subset(des, y < 0)
  for (stat in c("mean", "total")) {
    s <- if (stat == "mean") svymean(~y, sub) else svytotal(~y, sub)
    cvv <- suppressWarnings(cv(s))
    rows[[length(rows) + 1]] <- sprintf("%s,%s,%.17g,%.17g,%.17g", stat,
                                        dom, coef(s), SE(s), cvv)
  }
}
writeLines(c("stat,domain,estimate,se,cv", unlist(rows)),
           "tests/ref/checks_cv_ref.csv")
