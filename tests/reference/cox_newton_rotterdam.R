# Reference for the Newton-Raphson stopping rule of survstudy's Cox fit (R's coxfit6):
# Rotterdam's univariable grade models, whose 4th step lands on the optimum with a
# log-likelihood lower than the 3rd by rounding; R tests convergence first and stops there.
# Run from tests/reference:  Rscript cox_newton_rotterdam.R   (R 4.2, survival 3.5-3)
#   -> cox_newton_rotterdam.json
library(survival)

d <- read.csv("../../src/survstudy/examples/rotterdam/registry.csv")
d$grade <- factor(d$grade, levels = c("2", "3"))
num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
out <- character()
for (ep in list(c("rfs", "rfs_days", "recurred_or_died"), c("os", "os_days", "died"))) {
  f <- coxph(as.formula(sprintf("Surv(%s, %s) ~ grade", ep[2], ep[3])), d, ties = "efron")
  out <- c(out, sprintf(
    '  "%s": {"time": "%s", "event": "%s", "coef": %s, "se": %s, "loglik": %s, "iter": %d}',
    ep[1], ep[2], ep[3], num(coef(f)), num(sqrt(diag(vcov(f)))), num(f$loglik), f$iter))
}
# JSON by hand (jsonlite is not installed here), every number with 17 significant digits
writeLines(c("{", paste(out, collapse = ",\n"), "}"), "cox_newton_rotterdam.json")
