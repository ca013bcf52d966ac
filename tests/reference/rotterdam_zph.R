# Reference values for the report's proportional-hazards column (survstudy.study.cox_summary):
# cox.zph of the Rotterdam example's univariable and multivariable Cox models of
# recurrence-free survival, on the bundled registry (times in days; the KM transform makes the
# test invariant to the time unit).
# Run from anywhere:  Rscript tests/reference/rotterdam_zph.R
# Writes rotterdam_zph.json beside this script. R 4.2.2, survival 3.5-3 (JSON written by hand:
# jsonlite is not needed).

suppressPackageStartupMessages(library(survival))

json <- function(x) {
  if (is.list(x)) {
    inner <- vapply(names(x), function(n) paste0('"', n, '": ', json(x[[n]])), "")
    return(paste0("{", paste(inner, collapse = ", "), "}"))
  }
  if (is.character(x)) {
    v <- paste0('"', x, '"')
  } else {
    v <- formatC(x, digits = 17, format = "g")
  }
  if (length(x) == 1) v else paste0("[", paste(v, collapse = ", "), "]")
}

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
reg <- read.csv(file.path(here, "..", "..", "src", "survstudy", "examples", "rotterdam",
                          "registry.csv"), stringsAsFactors = FALSE)
reg$size <- factor(reg$size, levels = c("<=20", "20-50", ">50"))
reg$grade <- factor(reg$grade, levels = c(2, 3))
reg$hormon <- factor(reg$hormon, levels = c("no", "yes"))
reg$chemo <- factor(reg$chemo, levels = c("no", "yes"))
covariates <- c("age", "nodes", "size", "grade", "pgr", "er", "hormon", "chemo")

zph <- function(terms) {
  f <- as.formula(paste("Surv(rfs_days, recurred_or_died) ~", paste(terms, collapse = " + ")))
  z <- cox.zph(coxph(f, data = reg, ties = "efron"), transform = "km")
  list(terms = rownames(z$table), chisq = unname(z$table[, "chisq"]),
       df = unname(z$table[, "df"]), p = unname(z$table[, "p"]))
}

out <- list(
  univariable = setNames(lapply(covariates, function(c) zph(c)), covariates),
  multivariable = zph(covariates),
  hr_per_100 = list(
    pgr = unname(exp(100 * coef(coxph(Surv(rfs_days, recurred_or_died) ~ age + nodes + size +
      grade + pgr + er + hormon + chemo, data = reg, ties = "efron"))["pgr"]))
  ),
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival"))
)
writeLines(json(out), file.path(here, "rotterdam_zph.json"))
