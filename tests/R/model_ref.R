# model_ref.R - reference fits for `graft model` (tests/test_model.c):
# R survey 4.1-1's svyglm (gaussian, quasibinomial, quasipoisson) and
# regTermTest (Wald F) on apistrat, apiclus1, its JK1 replicate weights,
# nhanes and the demo survey, with factors, a chosen reference level, an
# interaction and domains (subset() of the design, as svyglm's subset=).
#
# Run from the repository root:  Rscript tests/R/model_ref.R
# Also lonely-psu remove and average on the demo (adjust is the survey
# file's).  Writes tests/ref/model_coef.csv (case, term, estimate, se, t, p, df) and
# tests/ref/model_test.csv (case, term, F, df, ddf, p).  CI never runs R.
#
# glm() stops when the relative change of the deviance is below
# epsilon = 1e-8, which leaves the coefficients about 1e-9 from the
# maximum, and the sandwich takes its working weights from the iterate
# before the last; graft iterates to full precision, so the references are
# fitted with glm.control(epsilon = 1e-14, maxit = 100) and refitted from
# the converged coefficients (sglm below): the answer R converges to, not
# another estimator.
#
# Term names are graft's: a factor's indicator is "var=level" (the level's
# value label for labelled columns), an interaction joins its parts with
# ':'.  Factor levels are in graft's order (numbers by value, strings by
# byte order) with the first as reference unless ref() names another.
suppressPackageStartupMessages(library(survey))

out_coef <- "tests/ref/model_coef.csv"
out_test <- "tests/ref/model_test.csv"
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
# svyglm, then again from its answer: glm.fit's last working weights come
# from the iterate before the last, which the sandwich uses; a second fit
# started at the converged coefficients evaluates them there.
# (svyglm evaluates its call's arguments away from this function's frame:
# the values go into the call itself.)
sglm <- function(formula, design, family = gaussian()) {
    f1 <- eval(bquote(svyglm(.(formula), design = .(design),
                             family = .(family), control = .(ctl))))
    eval(bquote(svyglm(.(formula), design = .(design), family = .(family),
                       start = .(coef(f1)), control = .(ctl))))
}

read_data <- function(path) read.csv(path, stringsAsFactors = FALSE,
                                     na.strings = "")
# A factor with levels in graft's order (C-locale sort), reference first.
gfac <- function(x, ref = NULL, labels = NULL) {
    lev <- sort(unique(x[!is.na(x)]), method = "radix")
    f <- if (is.null(labels)) factor(x, levels = lev)
         else factor(x, levels = lev, labels = labels[as.character(lev)])
    if (!is.null(ref)) f <- relevel(f, ref = ref)
    f
}

coef_rows <- list()
test_rows <- list()

# graft's name of R's coefficient name NM for factors FACS.
graft_name <- function(nm, facs) {
    if (nm == "(Intercept)") return(nm)
    parts <- strsplit(nm, ":", fixed = TRUE)[[1]]
    out <- vapply(parts, function(p) {
        for (f in facs) {
            if (startsWith(p, f$var) && substring(p, nchar(f$var) + 1) %in%
                f$levels)
                return(paste0(f$name, "=", substring(p, nchar(f$var) + 1)))
        }
        p
    }, "")
    paste(out, collapse = ":")
}

# TESTS: regTermTest terms (R's names; names(TESTS), when given, graft's).
add_fit <- function(case, fit, facs, tests = character(0)) {
    s <- summary(fit)$coefficients
    df <- fit$df.residual
    stopifnot(!any(is.na(coef(fit))))
    coef_rows[[length(coef_rows) + 1]] <<- data.frame(
        case = case,
        term = vapply(rownames(s), graft_name, "", facs = facs),
        estimate = s[, 1], se = s[, 2], t = s[, 3], p = s[, 4], df = df)
    for (tt in tests) {
        rt <- regTermTest(fit, tt)
        test_rows[[length(test_rows) + 1]] <<- data.frame(
            case = case, term = if (is.null(names(tests))) tt
                                else names(tests)[tests == tt],
            F = as.numeric(rt$Ftest), df = rt$df,
            ddf = rt$ddf, p = as.numeric(rt$p))
    }
    cat(sprintf("%s: %d coefficients, df %g\n", case, nrow(s), df))
}

fac <- function(var, levels, name = var) list(var = var, levels = levels,
                                               name = name)

# ---- apistrat: stratified by stype, fpc -------------------------------
st <- read_data("tests/data/r/apistrat.csv")
st$stype <- gfac(st$stype)
st$awards <- gfac(st$awards)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc,
                    data = st)
ls <- list(fac("stype", levels(st$stype)), fac("awards", levels(st$awards)))

# graft: api00 ~ ell + meals + mobility
add_fit("strat_linear", sglm(api00 ~ ell + meals + mobility, dstrat), ls)
# graft: sch.wide == 'Yes' ~ stype + ell + meals  (logistic)
add_fit("strat_logistic", sglm(I(sch.wide == "Yes") ~ stype + ell + meals,
                                  dstrat, family = quasibinomial()), ls, "stype")
# graft: api00 ~ ell + stype + awards + stype:awards, among yr.rnd == 'No'
add_fit("strat_linear_interaction_domain",
        sglm(api00 ~ ell + stype + awards + stype:awards,
               subset(dstrat, yr.rnd == "No")), ls,
        c("stype:awards", "stype"))

# ---- apiclus1: one-stage cluster sample of districts, fpc -------------
cl <- read_data("tests/data/r/apiclus1.csv")
cl$stype_h <- gfac(cl$stype, ref = "H")
cl$stype <- gfac(cl$stype)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = cl)
lc <- list(fac("stype_h", levels(cl$stype_h), "stype"),
           fac("stype", levels(cl$stype)))
# graft: api.stu ~ stype + meals + ell  (poisson)
add_fit("clus1_poisson", sglm(api.stu ~ stype + meals + ell, dclus1,
                                 family = quasipoisson()),
        lc, "stype")
# graft: awards == 'Yes' ~ ref(stype, 'H') + meals, among api00 > 600
add_fit("clus1_logistic_ref_domain",
        sglm(I(awards == "Yes") ~ stype_h + meals,
               subset(dclus1, api00 > 600), family = quasibinomial()), lc, c(stype = "stype_h"))
# graft: api00 ~ meals + ell  (linear)
add_fit("clus1_linear", sglm(api00 ~ meals + ell, dclus1),
        lc)

# ---- apiclus1 with 15 JK1 replicate weights (repweights_ref.R) ---------
rp <- read_data("tests/data/r/apiclus1_rep_jk1.csv")
rp$stype <- gfac(rp$stype)
drep <- svrepdesign(data = rp, repweights = "repw[0-9]+", type = "JK1",
                    weights = ~pw, combined.weights = TRUE)
lr <- list(fac("stype", levels(rp$stype)))
# graft: api00 ~ meals + stype  (linear, replicate weights)
add_fit("rep_linear", sglm(api00 ~ meals + stype, drep),
        lr, "stype")
# graft: sch.wide == 'Yes' ~ meals + ell  (logistic), among stype != 'H'
add_fit("rep_logistic_domain",
        sglm(I(sch.wide == "Yes") ~ meals + ell,
               subset(drep, stype != "H"), family = quasibinomial()), lr)

# acs.core is missing on 144 rows, every row of 3 of the 15 districts:
# svyglm.svyrep.design takes degf() of the design before dropping the rows
# with a missing response or term, so they still count toward the df
# (df 14 + 1 - p, not the 11 + 1 - p of the rows fitted).
# graft: api00 ~ meals + acs.core  (linear, a term missing)
add_fit("rep_linear_missing_term", sglm(api00 ~ meals + acs.core, drep),
        lr, "acs.core")
# graft: acs.core ~ meals + ell  (linear, the response missing)
add_fit("rep_linear_missing_response", sglm(acs.core ~ meals + ell, drep),
        lr)
# graft: sch.wide == 'Yes' ~ meals + acs.core  (logistic), among
#        stype != 'E'
add_fit("rep_logistic_missing_domain",
        sglm(I(sch.wide == "Yes") ~ meals + acs.core,
             subset(drep, stype != "E"), family = quasibinomial()), lr)

# ---- nhanes: strata x PSU (nested); HI_CHOL missing on some rows --------
nh <- read_data("tests/data/r/nhanes.csv")
nh$race <- gfac(nh$race)
nh$agecat <- gfac(nh$agecat)
dnh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR,
                 nest = TRUE, data = nh)
ln <- list(fac("race", levels(nh$race)), fac("agecat", levels(nh$agecat)))
# graft: HI_CHOL == 1 ~ factor(race) + agecat + RIAGENDR  (logistic)
add_fit("nhanes_logistic",
        sglm(I(HI_CHOL == 1) ~ race + agecat + RIAGENDR, dnh,
               family = quasibinomial()), ln,
        c("race", "agecat"))

# ---- the demo survey, round 1 (surveys/demo/round1.ini) ------------------
options(survey.lonely.psu = "adjust")
dm <- read_data("surveys/demo/round1.csv")
for (v in grep("^(contact|paid)_", names(dm), value = TRUE))
    dm[[v]][dm[[v]] %in% c(8, 9)] <- NA
lab <- list(sex = c("1" = "Male", "2" = "Female"),
            urban = c("1" = "Urban", "2" = "Rural"),
            age_group = c("1" = "18-29", "2" = "30-44", "3" = "45-59",
                          "4" = "60+"),
            zone = c("1" = "North", "2" = "North East", "3" = "Central",
                     "4" = "West", "5" = "South", "6" = "Capital"))
ld <- list()
for (v in names(lab)) {
    dm[[v]] <- gfac(dm[[v]], labels = lab[[v]])
    ld[[length(ld) + 1]] <- fac(v, levels(dm[[v]]))
}
ddm <- svydesign(id = ~ea, strata = ~stratum, weights = ~weight, nest = TRUE,
                 data = dm)
# graft: paid_police == 1 ~ sex + urban + age_group + zone,
#        among contact_police == 1  (logistic)
add_fit("demo_police_logistic",
        sglm(I(paid_police == 1) ~ sex + urban + age_group + zone,
               subset(ddm, contact_police %in% 1),
               family = quasibinomial()), ld,
        c("zone", "age_group"))
# graft: n_bribes ~ sex + urban, among paid_any == 1  (poisson)
add_fit("demo_bribes_poisson",
        sglm(n_bribes ~ sex + urban, subset(ddm, paid_any %in% 1),
               family = quasipoisson()), ld)
# graft: amount ~ sex + urban + n_bribes, among paid_any == 1  (linear)
add_fit("demo_amount_linear",
        sglm(amount ~ sex + urban + n_bribes, subset(ddm, paid_any %in% 1)), ld, "urban")

# the same under lonely-psu remove and average (stratum 62, Capital rural,
# has a single EA; adjust centres it at 0 for a fit's scores)
for (l in c("remove", "average")) {
    options(survey.lonely.psu = l)
    add_fit(paste0("demo_amount_linear_", l),
            sglm(amount ~ sex + urban + n_bribes,
                 subset(ddm, paid_any %in% 1)), ld, "urban")
}
options(survey.lonely.psu = "adjust")

coefs <- do.call(rbind, coef_rows)
tests <- do.call(rbind, test_rows)
num17 <- function(df) {
    for (v in names(df)) if (is.numeric(df[[v]]))
        df[[v]] <- sprintf("%.17g", df[[v]])
    df
}
write.csv(num17(coefs), out_coef, row.names = FALSE)
write.csv(num17(tests), out_test, row.names = FALSE)
cat(sprintf("wrote %s (%d rows), %s (%d rows)\n", out_coef, nrow(coefs),
            out_test, nrow(tests)))
