# Reference values for case weights in Kaplan-Meier and Cox (tests/test_weighted.py).
# Run from tests/reference/:  Rscript weighted_reference.R > weighted_reference.json
# Weights: w = 0.5 + (row %% 7) / 3 (non-integer: survfit uses the infinitesimal jackknife,
# coxph robust = TRUE by default) and v = 1 + (row %% 3) (integer: Greenwood, model-based).
library(survival)
num <- function(x) ifelse(is.na(x), "null", formatC(x, digits = 17, format = "g"))
arr <- function(x) paste0("[", paste(x, collapse = ", "), "]")
lung <- read.csv("lung.csv")
lung$w <- 0.5 + (seq_len(nrow(lung)) %% 7) / 3
lung$v <- 1 + (seq_len(nrow(lung)) %% 3)
at <- c(100, 200, 300, 500, 800)
km <- function(wcol) {
  f <- survfit(Surv(time, status == 2) ~ sex, data = lung, weights = lung[[wcol]])
  s <- summary(f, times = at, extend = TRUE)
  paste0('{"weights": "', wcol, '", "survival": ', arr(num(s$surv)), ', "std_err": ', arr(num(s$std.err)),
         ', "n_risk": ', arr(num(s$n.risk)), ', "lower": ', arr(num(s$lower)), ', "upper": ', arr(num(s$upper)), '}')
}
cx <- function(wcol, ties, strata = FALSE, robust = NULL) {
  d <- lung[complete.cases(lung[, c("age", "sex", "ph.ecog")]), ]
  f <- if (strata) Surv(time, status == 2) ~ age + ph.ecog + strata(sex) else Surv(time, status == 2) ~ age + sex + ph.ecog
  fit <- if (is.null(robust)) coxph(f, data = d, weights = d[[wcol]], ties = ties) else
    coxph(f, data = d, weights = d[[wcol]], ties = ties, robust = robust)
  rs <- if (is.null(fit$rscore)) "null" else num(fit$rscore)
  paste0('{"weights": "', wcol, '", "ties": "', ties, '", "strata": ', tolower(strata),
         ', "robust": ', if (is.null(robust)) "null" else tolower(robust),
         ', "coef": ', arr(num(coef(fit))), ', "se": ', arr(num(sqrt(diag(fit$var)))),
         ', "loglik": ', arr(num(fit$loglik)), ', "score": ', num(fit$score), ', "rscore": ', rs, '}')
}
cat('{"km": ', arr(c(km("w"), km("v"))), ', "cox": ',
    arr(c(cx("w", "efron"), cx("w", "breslow"), cx("w", "efron", TRUE), cx("v", "efron"),
          cx("v", "efron", FALSE, TRUE), cx("v", "breslow", TRUE, TRUE))), '}\n')
