# Reference values for survstudy's Cox regression and cox.zph tests.
# Run from tests/reference:  Rscript cox_reference.R   (R 4.2, survival 3.5-3)
# Writes cox_reference.json. Term names follow survstudy: factor levels as "col[T.level]".
library(survival)
library(jsonlite)

lung <- read.csv("lung.csv")
veteran <- read.csv("veteran.csv")
# R survival's validation vignette, test data 1 (6 observations, tied deaths and censorings)
valid1 <- data.frame(time = c(1, 1, 6, 6, 8, 9), status = c(1, 0, 1, 1, 0, 1),
                     x = c(1, 1, 1, 0, 0, 0))

cases <- list(
  list(id = "lung-efron", data = "lung.csv", time = "time", event = "status=2",
       covariates = c("age", "sex", "ph.ecog"), categorical = character(0), reference = list(),
       strata = NULL, ties = "efron",
       fit = coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, lung, ties = "efron")),
  list(id = "lung-breslow", data = "lung.csv", time = "time", event = "status=2",
       covariates = c("age", "sex", "ph.ecog"), categorical = character(0), reference = list(),
       strata = NULL, ties = "breslow",
       fit = coxph(Surv(time, status == 2) ~ age + sex + ph.ecog, lung, ties = "breslow")),
  list(id = "lung-ecog-factor-strata-sex", data = "lung.csv", time = "time", event = "status=2",
       covariates = c("age", "ph.ecog", "wt.loss"), categorical = "ph.ecog",
       reference = list(), strata = "sex", ties = "efron",
       fit = coxph(Surv(time, status == 2) ~ age + factor(ph.ecog) + wt.loss + strata(sex),
                   lung, ties = "efron")),
  list(id = "veteran-celltype-squamous-breslow", data = "veteran.csv", time = "time",
       event = "status=1", covariates = c("trt", "celltype", "karno"),
       categorical = "celltype", reference = list(celltype = "squamous"), strata = NULL,
       ties = "breslow",
       fit = coxph(Surv(time, status) ~ trt + relevel(factor(celltype), "squamous") + karno,
                   veteran, ties = "breslow")),
  list(id = "veteran-efron", data = "veteran.csv", time = "time", event = "status=1",
       covariates = c("trt", "karno", "age", "diagtime", "prior"), categorical = character(0),
       reference = list(), strata = NULL, ties = "efron",
       fit = coxph(Surv(time, status) ~ trt + karno + age + diagtime + prior, veteran))
)

term_names <- function(fit, case) {
  nm <- names(coef(fit))
  nm <- sub("^relevel\\(factor\\((.*)\\), \"(.*)\"\\)(.*)$", "\\1[T.\\3]", nm)
  sub("^factor\\((.*)\\)(.*)$", "\\1[T.\\2]", nm)
}

out <- lapply(cases, function(case) {
  fit <- case$fit
  s <- summary(fit)
  cf <- s$coefficients
  ci <- s$conf.int
  cc <- concordance(fit)
  count <- if (is.matrix(cc$count)) colSums(cc$count) else cc$count
  zph <- cox.zph(fit)
  list(
    id = case$id, data = case$data, time = case$time, event = case$event,
    covariates = case$covariates, categorical = I(case$categorical),
    reference = case$reference, strata = case$strata, ties = case$ties,
    n = fit$n, events = fit$nevent, iterations = fit$iter,
    coefficients = lapply(seq_len(nrow(cf)), function(i) list(
      term = term_names(fit, case)[i], coef = cf[i, "coef"], se = cf[i, "se(coef)"],
      hr = cf[i, "exp(coef)"], hr_ci = c(ci[i, "lower .95"], ci[i, "upper .95"]),
      p_value = cf[i, "Pr(>|z|)"])),
    loglik = fit$loglik,
    tests = list(
      likelihood_ratio = list(statistic = unname(s$logtest["test"]), df = unname(s$logtest["df"]),
                              p_value = unname(s$logtest["pvalue"])),
      wald = list(statistic = unname(fit$wald.test), df = unname(s$waldtest["df"]),
                  p_value = unname(s$waldtest["pvalue"])),
      score = list(statistic = unname(fit$score), df = unname(s$sctest["df"]),
                   p_value = unname(s$sctest["pvalue"]))),
    concordance = list(concordance = unname(cc$concordance),
                       concordant = unname(count["concordant"]),
                       discordant = unname(count["discordant"]),
                       tied_risk = unname(count["tied.x"]),
                       tied_time = unname(count["tied.y"] + count["tied.xy"])),
    zph = list(terms = sub("^(relevel\\()?factor\\(([^)]*)\\).*$", "\\2", rownames(zph$table)), chisq = unname(zph$table[, "chisq"]),
               df = unname(zph$table[, "df"]), p = unname(zph$table[, "p"]),
               x = unname(zph$x), time = unname(zph$time), y = unname(zph$y))
  )
})

v_b <- coxph(Surv(time, status) ~ x, valid1, ties = "breslow")
v_e <- coxph(Surv(time, status) ~ x, valid1, ties = "efron")
valid <- list(
  data = valid1,
  breslow = list(coef = unname(coef(v_b)), loglik = v_b$loglik, var = unname(v_b$var[1, 1]),
                 exact = log((3 + sqrt(33)) / 2)),
  efron = list(coef = unname(coef(v_e)), loglik = v_e$loglik, var = unname(v_e$var[1, 1]))
)

# multivariable factor test for prognostic_factors: LR test of factor(ph.ecog) on the
# complete cases of age + sex + ph.ecog + wt.loss
cc <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog", "wt.loss")]), ]
full <- coxph(Surv(time, status == 2) ~ age + sex + factor(ph.ecog) + wt.loss, cc)
reduced <- coxph(Surv(time, status == 2) ~ age + sex + wt.loss, cc)
uni_ecog <- coxph(Surv(time, status == 2) ~ factor(ph.ecog), lung)
prognostic <- list(
  covariates = c("age", "sex", "ph.ecog", "wt.loss"), categorical = "ph.ecog",
  multivariable_n = full$n,
  multivariable_hr = unname(exp(coef(full))),
  ecog_factor_p_multivariable = anova(reduced, full)[2, "Pr(>|Chi|)"],
  ecog_factor_p_univariable = summary(uni_ecog)$logtest[["pvalue"]],
  univariable_n = sapply(c("age", "sex", "ph.ecog", "wt.loss"), function(v)
    coxph(as.formula(paste("Surv(time, status == 2) ~", v)), lung)$n))

writeLines(toJSON(list(prognostic = prognostic, r_version = R.version.string,
                       survival = as.character(packageVersion("survival")),
                       cases = out, validation = valid),
                  auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"),
           "cox_reference.json")
