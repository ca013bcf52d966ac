# Reference values for survstudy.stats.exact_logrank: permutation p-values of survdiff's
# chi-square, by brute force over every relabeling with the group sizes fixed.
# Run from anywhere:  Rscript tests/reference/compare_exact.R
# Writes compare_exact.json beside this script. R 4.2.2, survival 3.5-3, jsonlite.
# p = share of relabelings whose chi-square >= observed * (1 - 1e-7).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))

chisq <- function(time, status, group, rho) {
  survdiff(Surv(time, status) ~ group, rho = rho)$chisq
}

# every assignment of labels to subjects with the sizes of `group` kept
relabelings <- function(group) {
  lev <- levels(group)
  out <- list(rep(NA_character_, length(group)))
  for (g in head(lev, -1)) {
    size <- sum(group == g)
    nxt <- list()
    for (lab in out) {
      free <- which(is.na(lab))
      picks <- combn(length(free), size, simplify = FALSE)
      for (p in picks) {
        l2 <- lab
        l2[free[p]] <- g
        nxt[[length(nxt) + 1]] <- l2
      }
    }
    out <- nxt
  }
  last <- tail(lev, 1)
  lapply(out, function(l) factor(ifelse(is.na(l), last, l), levels = lev))
}

exact_case <- function(id, time, status, group, rho) {
  group <- factor(group)
  observed <- chisq(time, status, group, rho)
  stats <- vapply(relabelings(group), function(g) chisq(time, status, g, rho), 0)
  extreme <- sum(stats >= observed * (1 - 1e-7))
  list(
    id = id, rho = rho, groups = levels(group), statistic = observed,
    n_relabelings = length(stats), n_extreme = extreme, p_value = extreme / length(stats)
  )
}

seed <- read.csv(file.path(here, "../../src/survstudy/examples/seed/seed_liver_resection_cohort.csv"))
small <- data.frame(
  time = c(1, 2, 2, 3, 4, 4, 5, 6, 7),
  status = c(1, 1, 0, 1, 0, 1, 1, 0, 1),
  group = c("a", "b", "c", "a", "b", "c", "a", "b", "c")
)

out <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  cases = list(
    exact_case("seed-group", seed$survival_months, seed$died, seed$group, 0),
    exact_case("seed-group", seed$survival_months, seed$died, seed$group, 1),
    exact_case("small-3-groups", small$time, small$status, small$group, 0),
    exact_case("small-3-groups", small$time, small$status, small$group, 1)
  ),
  small = small
)
writeLines(
  toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
  file.path(here, "compare_exact.json")
)
