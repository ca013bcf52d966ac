# Reference values for survstudy.stats.compare and stats.multiplicity.
# Run from anywhere:  Rscript tests/reference/compare_reference.R
# Writes compare_reference.json beside this script. R 4.2.2, survival 3.5-3, jsonlite.
#
# Weighted log-rank statistics are computed twice: by survdiff (rho = 0, 1) and by the
# sums written out below (any weight), so every weight has an independent R reference:
#   U_g = sum_t w_t (d_gt - n_gt d_t / n_t)
#   V_gl = sum_t w_t^2 d_t (n_t - d_t) / (n_t - 1) * (n_gt / n_t) * (delta_gl - n_lt / n_t)
#   chisq = U' V^- U over the groups with expected > 0, dropping the last of them.
# w_t: log-rank 1; Fleming-Harrington G(rho, gamma) S(t-)^rho (1 - S(t-))^gamma with S the
# pooled Kaplan-Meier just before t (Peto-Peto as in R's survdiff: rho = 1, gamma = 0);
# Tarone-Ware sqrt(n_t); Gehan-Breslow n_t.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))
read <- function(name) read.csv(file.path(here, name))

prep <- function(d, time, event, values, group, strata = NULL) {
  keep <- c(time, event, group, strata)
  d <- d[complete.cases(d[, keep]), ]
  out <- data.frame(
    time = d[[time]],
    status = as.integer(d[[event]] %in% values),
    group = factor(as.character(d[[group]]))
  )
  if (!is.null(strata)) out$strata <- factor(as.character(d[[strata]]))
  out
}

weights_at <- function(kind, n, d, rho, gamma) {
  surv <- cumprod(1 - d / n)
  before <- c(1, head(surv, -1))
  switch(kind,
    "log-rank" = rep(1, length(n)),
    "peto-peto" = before,
    "fleming-harrington" = before^rho * (1 - before)^gamma,
    "tarone-ware" = sqrt(n),
    "gehan" = n
  )
}

# U and V of one stratum, written out as sums over the distinct event times
score_var <- function(time, status, group, kind, rho, gamma) {
  lev <- levels(group)
  k <- length(lev)
  ut <- sort(unique(time[status == 1]))
  n <- sapply(ut, function(t) sum(time >= t))
  d <- sapply(ut, function(t) sum(time == t & status == 1))
  w <- weights_at(kind, n, d, rho, gamma)
  U <- numeric(k)
  V <- matrix(0, k, k)
  O <- numeric(k)
  E <- numeric(k)
  for (i in seq_along(ut)) {
    t <- ut[i]
    ng <- sapply(lev, function(g) sum(time >= t & group == g))
    dg <- sapply(lev, function(g) sum(time == t & status == 1 & group == g))
    p <- ng / n[i]
    U <- U + w[i] * (dg - p * d[i])
    O <- O + dg
    E <- E + p * d[i]
    f <- if (n[i] > 1) w[i]^2 * d[i] * (n[i] - d[i]) / (n[i] - 1) else 0
    V <- V + f * (diag(p, k) - outer(p, p))
  }
  list(U = U, V = V, O = O, E = E)
}

chisq_of <- function(U, V, E) {
  present <- which(E > 0)
  if (length(present) < 2) return(list(chisq = 0, df = 0))
  keep <- head(present, -1)
  vv <- V[keep, keep, drop = FALSE]
  list(chisq = drop(t(U[keep]) %*% solve(vv, U[keep])), df = length(present) - 1)
}

weighted_case <- function(id, d, kind, rho = 0, gamma = 0, by_strata = FALSE) {
  strata <- if (by_strata) d$strata else factor(rep("all", nrow(d)))
  k <- nlevels(d$group)
  U <- numeric(k); V <- matrix(0, k, k); O <- numeric(k); E <- numeric(k)
  for (s in levels(strata)) {
    sub <- strata == s
    g <- factor(as.character(d$group[sub]), levels = levels(d$group))
    r <- score_var(d$time[sub], d$status[sub], g, kind, rho, gamma)
    U <- U + r$U; V <- V + r$V; O <- O + r$O; E <- E + r$E
  }
  cs <- chisq_of(U, V, E)
  list(
    id = id, method = kind, rho = rho, gamma = gamma, stratified = by_strata,
    groups = levels(d$group), statistic = cs$chisq, df = cs$df,
    p_value = pchisq(cs$chisq, cs$df, lower.tail = FALSE),
    observed = O, expected = E, score = U, variance = V
  )
}

survdiff_case <- function(id, d, rho, by_strata = FALSE) {
  f <- if (by_strata) Surv(time, status) ~ group + strata(strata) else Surv(time, status) ~ group
  s <- survdiff(f, data = d, rho = rho)
  obs <- if (is.matrix(s$obs)) rowSums(s$obs) else s$obs
  exp <- if (is.matrix(s$exp)) rowSums(s$exp) else s$exp
  df <- sum(exp > 0) - 1
  list(
    id = id, rho = rho, stratified = by_strata, groups = levels(d$group),
    statistic = s$chisq, df = df, p_value = pchisq(s$chisq, df, lower.tail = FALSE),
    score = obs - exp, variance = s$var
  )
}

trend_case <- function(id, d, scores, rho = 0) {
  s <- survdiff(Surv(time, status) ~ group, data = d, rho = rho)
  U <- s$obs - s$exp
  num <- sum(scores * U)
  den <- drop(t(scores) %*% s$var %*% scores)
  list(
    id = id, rho = rho, groups = levels(d$group), scores = scores,
    statistic = num^2 / den, df = 1, p_value = pchisq(num^2 / den, 1, lower.tail = FALSE)
  )
}

pairwise_case <- function(id, d, rho, adjust) {
  lev <- levels(d$group)
  pairs <- list()
  for (i in seq_len(length(lev) - 1)) for (j in (i + 1):length(lev)) {
    sub <- d[d$group %in% lev[c(i, j)], ]
    sub$group <- droplevels(sub$group)
    s <- survdiff(Surv(time, status) ~ group, data = sub, rho = rho)
    pairs[[length(pairs) + 1]] <- list(
      a = lev[i], b = lev[j], statistic = s$chisq,
      p_value = pchisq(s$chisq, 1, lower.tail = FALSE)
    )
  }
  p <- sapply(pairs, function(x) x$p_value)
  adj <- p.adjust(p, method = if (adjust == "bh") "BH" else adjust)
  for (i in seq_along(pairs)) pairs[[i]]$p_adjusted <- adj[i]
  list(id = id, rho = rho, adjust = adjust, pairs = pairs)
}

lung <- read("lung.csv")
veteran <- read("veteran.csv")
aml <- read("aml.csv")
ovarian <- read("ovarian.csv")

data <- list(
  "lung-sex" = prep(lung, "time", "status", 2, "sex"),
  "veteran-celltype" = prep(veteran, "time", "status", 1, "celltype"),
  "aml-x" = prep(aml, "time", "status", 1, "x"),
  "ovarian-rx" = prep(ovarian, "futime", "fustat", 1, "rx"),
  "lung-sex-by-ecog" = prep(lung, "time", "status", 2, "sex", "ph.ecog"),
  "veteran-celltype-by-trt" = prep(veteran, "time", "status", 1, "celltype", "trt"),
  "ovarian-rx-by-resid" = prep(ovarian, "futime", "fustat", 1, "rx", "resid.ds"),
  "lung-ecog" = prep(lung, "time", "status", 2, "ph.ecog"),
  "ovarian-ecog" = prep(ovarian, "futime", "fustat", 1, "ecog.ps")
)

kinds <- list(
  list("log-rank", 0, 0), list("peto-peto", 1, 0),
  list("fleming-harrington", 0, 1), list("fleming-harrington", 1, 1),
  list("fleming-harrington", 0.5, 2), list("tarone-ware", 0, 0), list("gehan", 0, 0)
)

weighted <- list()
survdiffs <- list()
for (id in c("lung-sex", "veteran-celltype", "aml-x", "ovarian-rx")) {
  for (kd in kinds) {
    weighted[[length(weighted) + 1]] <- weighted_case(id, data[[id]], kd[[1]], kd[[2]], kd[[3]])
  }
  for (rho in c(0, 1)) survdiffs[[length(survdiffs) + 1]] <- survdiff_case(id, data[[id]], rho)
}
for (id in c("lung-sex-by-ecog", "veteran-celltype-by-trt", "ovarian-rx-by-resid")) {
  for (kd in kinds) {
    weighted[[length(weighted) + 1]] <-
      weighted_case(id, data[[id]], kd[[1]], kd[[2]], kd[[3]], by_strata = TRUE)
  }
  for (rho in c(0, 1)) {
    survdiffs[[length(survdiffs) + 1]] <- survdiff_case(id, data[[id]], rho, by_strata = TRUE)
  }
}

# the hand sums must agree with survdiff where survdiff has the weight
for (s in survdiffs) {
  kind <- if (s$rho == 0) "log-rank" else "peto-peto"
  w <- Filter(function(x) x$id == s$id && x$method == kind && x$stratified == s$stratified,
              weighted)[[1]]
  stopifnot(isTRUE(all.equal(w$statistic, s$statistic, tolerance = 1e-10)))
  stopifnot(isTRUE(all.equal(unname(w$score), unname(s$score), tolerance = 1e-10)))
}

trend <- list(
  trend_case("veteran-celltype", data[["veteran-celltype"]], 1:4),
  trend_case("veteran-celltype", data[["veteran-celltype"]], c(0, 1, 3, 7)),
  trend_case("veteran-celltype", data[["veteran-celltype"]], 1:4, rho = 1),
  trend_case("lung-ecog", data[["lung-ecog"]], 1:4),
  trend_case("lung-ecog", data[["lung-ecog"]], 0:3),
  trend_case("ovarian-ecog", data[["ovarian-ecog"]], 1:2)
)

pairwise <- list(
  pairwise_case("veteran-celltype", data[["veteran-celltype"]], 0, "holm"),
  pairwise_case("veteran-celltype", data[["veteran-celltype"]], 0, "bh"),
  pairwise_case("veteran-celltype", data[["veteran-celltype"]], 1, "holm"),
  pairwise_case("lung-ecog", data[["lung-ecog"]], 0, "bh"),
  pairwise_case("lung-ecog", data[["lung-ecog"]], 0, "none")
)

p_sets <- list(
  c(0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.5, 1),
  c(0.001, 0.001, 0.001),
  c(0.9, 0.02, NA, 0.03, 0.0001),
  c(0.05),
  c(0.2, 0.6, 0.6, 0.01, 0.049, 0.3, 0.7, 0.05, 0.051, 0.4)
)
adjust <- lapply(p_sets, function(p) list(
  p = p, holm = p.adjust(p, "holm"), bh = p.adjust(p, "BH"),
  bonferroni = p.adjust(p, "bonferroni")
))

out <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  weighted = weighted, survdiff = survdiffs, trend = trend, pairwise = pairwise,
  adjust = adjust
)
writeLines(
  toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
  file.path(here, "compare_reference.json")
)
