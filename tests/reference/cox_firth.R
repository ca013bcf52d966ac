# Reference values for survstudy's Firth-penalized Cox regression (Heinze & Schemper 2001).
# Run from tests/reference:  Rscript cox_firth.R   (R 4.2, survival 3.5-3) -> cox_firth.json
#
# The R package coxphf is not installed here (not on CRAN mirrors reachable from this machine,
# no Debian package r-cran-coxphf), so this is an independent implementation:
#   * l(beta) and I(beta) come from survival::coxph(init = beta, iter.max = 0)
#     (loglik and var = I^-1 at beta, no iteration);
#   * penalized log-likelihood l*(beta) = l(beta) + 0.5 log det I(beta);
#   * maximised with optim (BFGS), then polished by Newton steps on a central-difference
#     gradient of l* (no analytic third derivatives, unlike survstudy's kernel);
#   * profile penalized likelihood CIs: uniroot on 2 (l*(b) - max l*(b | b_j = c)) = chi2_1;
#   * per-term p-value: penalized likelihood ratio at b_j = 0; global: 2 (l*(b) - l*(0)).
library(survival)
library(jsonlite)

pl_at <- function(beta, formula, data, ties) {
  fit <- suppressWarnings(coxph(formula, data, ties = ties, init = beta,
                                control = coxph.control(iter.max = 0)))
  info <- tryCatch(solve(fit$var), error = function(e) NULL)
  if (is.null(info)) return(list(pl = -1e10, info = NULL, loglik = fit$loglik[2]))
  list(pl = fit$loglik[2] + 0.5 * as.numeric(determinant(info)$modulus),
       info = info, loglik = fit$loglik[2])
}

maximise <- function(f, start, fixed = NULL) {
  # maximise f over the free coordinates (fixed: named list index -> value)
  free <- setdiff(seq_along(start), as.integer(names(fixed)))
  full <- function(b) { x <- start; x[free] <- b; for (k in names(fixed)) x[as.integer(k)] <- fixed[[k]]; x }
  g <- function(b) sapply(seq_along(b), function(i) {
    h <- 1e-5; e <- replace(numeric(length(b)), i, h)
    (f(full(b + e)) - f(full(b - e))) / (2 * h) })
  opt <- optim(start[free], function(b) f(full(b)), g, method = "BFGS",
               control = list(fnscale = -1, reltol = 1e-15, maxit = 2000))
  b <- opt$par
  for (it in 1:50) {   # Newton polish with a numerical Hessian of l*
    gr <- g(b)
    H <- sapply(seq_along(b), function(i) {
      h <- 1e-4; e <- replace(numeric(length(b)), i, h); (g(b + e) - g(b - e)) / (2 * h) })
    step <- -solve(as.matrix(H), gr)
    b <- b + step
    if (max(abs(step)) < 1e-11) break
  }
  list(beta = full(b), value = f(full(b)))
}

firth <- function(formula, data, ties, p) {
  f <- function(b) pl_at(b, formula, data, ties)$pl
  best <- maximise(f, rep(0, p))
  top <- best$value
  cut <- qchisq(0.95, 1)
  prof <- function(j, c) {
    if (p == 1) return(f(c))
    fx <- list(); fx[[as.character(j)]] <- c
    maximise(f, replace(best$beta, j, c), fixed = fx)$value
  }
  at <- pl_at(best$beta, formula, data, ties)
  se <- sqrt(diag(solve(at$info)))
  terms <- lapply(seq_len(p), function(j) {
    b <- best$beta[j]
    d <- function(c) 2 * (top - prof(j, c)) - cut
    w <- 1; while (d(b - w) < 0) w <- 2 * w
    lo <- uniroot(d, c(b - w, b), tol = 1e-11)$root
    w <- 1; while (d(b + w) < 0) w <- 2 * w
    hi <- uniroot(d, c(b, b + w), tol = 1e-11)$root
    lr <- 2 * (top - prof(j, 0))
    list(coef = b, se = se[j], hr = exp(b), hr_ci = exp(c(lo, hi)),
         p_value = pchisq(lr, 1, lower.tail = FALSE))
  })
  null <- f(rep(0, p))
  list(terms = terms, loglik = c(null, top),
       likelihood_ratio = 2 * (top - null),
       wald = drop(best$beta %*% at$info %*% best$beta))
}

separation <- data.frame(
  time  = c(3, 6, 9, 6, 14, 18, 24, 11, 12, 20, 30, 36, 42, 48),
  event = c(1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0),
  group = c(1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0),
  age   = c(55, 62, 48, 70, 59, 66, 51, 45, 60, 53, 64, 49, 58, 67))
seed <- read.csv("../../src/survstudy/examples/seed/seed_liver_resection_cohort.csv")
seed$extrahepatic <- as.numeric(seed$group != "solitary")
aml <- read.csv("aml.csv")
aml$nonmaintained <- as.numeric(aml$x == "Nonmaintained")

ordinary <- suppressWarnings(coxph(Surv(time, event) ~ group + age, separation))
cases <- list(
  list(id = "separation-efron", ties = "efron", covariates = c("group", "age"),
       res = firth(Surv(time, event) ~ group + age, separation, "efron", 2)),
  list(id = "separation-breslow", ties = "breslow", covariates = c("group", "age"),
       res = firth(Surv(time, event) ~ group + age, separation, "breslow", 2)),
  list(id = "separation-group-only", ties = "efron", covariates = c("group"),
       res = firth(Surv(time, event) ~ group, separation, "efron", 1)),
  list(id = "seed-extrahepatic-age", ties = "efron", covariates = c("extrahepatic", "age_years"),
       res = firth(Surv(survival_months, died) ~ extrahepatic + age_years, seed, "efron", 2)),
  list(id = "aml-breslow", ties = "breslow", covariates = c("nonmaintained"),
       res = firth(Surv(time, status) ~ nonmaintained, aml, "breslow", 1))
)
writeLines(toJSON(list(
  r_version = R.version.string, survival = as.character(packageVersion("survival")),
  method = "independent R implementation (optim + numerical derivatives), coxphf unavailable",
  separation = separation,
  ordinary_separation = list(coef = unname(coef(ordinary)), iterations = ordinary$iter,
                             loglik = ordinary$loglik),
  cases = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE), "cox_firth.json")
