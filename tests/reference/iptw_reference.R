# Reference values for `survstudy iptw` (tests/test_iptw.py): R glm + survival.
# Run from tests/reference/:  Rscript iptw_reference.R > iptw_reference.json
# Definitions (as survstudy documents them):
#   ps = glm(treated ~ covariates, binomial)
#   ATE: 1/ps (treated), 1/(1-ps) (control); ATT: 1 (treated), ps/(1-ps) (control)
#   stabilised: ATE x P(own arm); ATT controls x P(control)/P(treated)
#   trimmed: within each arm, weights truncated at that arm's quantiles (type 7)
#   SMD: difference of (weighted) means / sqrt((s1^2 + s0^2)/2), unweighted SDs (n-1)
#   KM: survfit with weights (non-integer -> infinitesimal jackknife), summary(times=)
#   Cox: coxph(Surv ~ treated, weights=w, robust=TRUE), robust score test = fit$rscore
library(survival)
num <- function(x) if (is.na(x)) "null" else formatC(x, digits = 17, format = "g")
obj <- function(...) { a <- list(...); paste0("{", paste0('"', names(a), '": ', unlist(a), collapse = ", "), "}") }
arr <- function(x) paste0("[", paste(x, collapse = ", "), "]")
str <- function(s) paste0('"', s, '"')

case <- function(id, data, time, event, treatment, treated, covariates, estimand, stabilize, trim, at) {
  d <- read.csv(data)
  d <- d[complete.cases(d[, c(time, event, treatment, covariates)]), ]
  z <- as.integer(as.character(d[[treatment]]) == treated)
  f <- as.formula(paste("z ~", paste(covariates, collapse = " + ")))
  g <- glm(f, family = binomial, data = cbind(d, z = z))
  ps <- fitted(g)
  p1 <- mean(z)
  if (estimand == "ate") {
    w <- ifelse(z == 1, 1 / ps, 1 / (1 - ps))
    if (stabilize) w <- w * ifelse(z == 1, p1, 1 - p1)
  } else {
    w <- ifelse(z == 1, 1, ps / (1 - ps))
    if (stabilize) w <- w * ifelse(z == 1, 1, (1 - p1) / p1)
  }
  if (!is.null(trim)) for (a in 0:1) {
    q <- quantile(w[z == a], trim, type = 7, names = FALSE)
    w[z == a] <- pmin(pmax(w[z == a], q[1]), q[2])
  }
  arms <- sort(unique(as.character(d[[treatment]])))
  X <- model.matrix(f, cbind(d, z = z))[, -1, drop = FALSE]
  ws <- sapply(arms, function(a) { k <- as.character(d[[treatment]]) == a; v <- w[k]
    obj(group = str(a), n = sum(k), sum = num(sum(v)), min = num(min(v)), max = num(max(v)),
        mean = num(mean(v)), ess = num(sum(v)^2 / sum(v^2))) })
  bal <- sapply(colnames(X), function(t) { x <- X[, t]
    s <- sqrt((var(x[z == 1]) + var(x[z == 0])) / 2)
    before <- (mean(x[z == 1]) - mean(x[z == 0])) / s
    after <- (weighted.mean(x[z == 1], w[z == 1]) - weighted.mean(x[z == 0], w[z == 0])) / s
    obj(term = str(t), smd_before = num(before), smd_after = num(after)) })
  grp <- factor(as.character(d[[treatment]]), levels = arms)
  km <- survfit(Surv(d[[time]], d[[event]]) ~ grp, weights = w)
  s <- summary(km, times = at, extend = TRUE)
  kms <- sapply(seq_along(arms), function(i) { k <- s$strata == paste0("grp=", arms[i])
    pts <- sapply(which(k), function(j) obj(time = num(s$time[j]), survival = num(s$surv[j]),
      std_err = num(s$std.err[j]), n_risk = num(s$n.risk[j])))
    obj(group = str(arms[i]), at = arr(pts)) })
  cx <- coxph(Surv(d[[time]], d[[event]]) ~ z, weights = w, robust = TRUE)
  b <- unname(coef(cx)); se <- sqrt(cx$var[1, 1])
  cox <- obj(coef = num(b), se_robust = num(se), se_model = num(sqrt(cx$naive.var[1, 1])),
             hr = num(exp(b)), hr_ci = arr(c(num(exp(b - qnorm(0.975) * se)), num(exp(b + qnorm(0.975) * se)))),
             p_value = num(2 * pnorm(-abs(b / se))))
  test <- obj(method = str("robust score"), statistic = num(cx$rscore), p_value = num(pchisq(cx$rscore, 1, lower.tail = FALSE)))
  coefs <- paste0("{", paste0('"', names(coef(g)), '": ', sapply(coef(g), num), collapse = ", "), "}")
  obj(id = str(id), estimand = str(estimand), stabilized = tolower(stabilize),
      trim = if (is.null(trim)) "null" else arr(trim), n = nrow(d),
      propensity = obj(coefficients = coefs), weights = arr(ws), balance = arr(bal),
      km = arr(kms), cox = cox, test = test)
}

gbsg <- "gbsg.csv"; cov <- c("age", "meno", "size", "grade", "nodes", "pgr", "er")
at <- c(365, 1095, 1825)
out <- c(
  case("gbsg-hormon-ate", gbsg, "rfstime", "status", "hormon", "1", cov, "ate", FALSE, NULL, at),
  case("gbsg-hormon-att", gbsg, "rfstime", "status", "hormon", "1", cov, "att", FALSE, NULL, at),
  case("gbsg-hormon-ate-stabilized", gbsg, "rfstime", "status", "hormon", "1", cov, "ate", TRUE, NULL, at),
  case("gbsg-hormon-att-stabilized", gbsg, "rfstime", "status", "hormon", "1", cov, "att", TRUE, NULL, at),
  case("gbsg-hormon-ate-trimmed", gbsg, "rfstime", "status", "hormon", "1", cov, "ate", FALSE, c(0.01, 0.99), at),
  case("gbsg-hormon-ate-stabilized-trimmed", gbsg, "rfstime", "status", "hormon", "1", cov, "ate", TRUE, c(0.05, 0.95), at)
)
cat(R.version.string, "survival", as.character(packageVersion("survival")), "\n", file = stderr())
cat(arr(out), "\n")
