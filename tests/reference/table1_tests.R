# Reference values for tests/test_table1*.py and tests/test_fisher.py.
# Run from the project root:  Rscript tests/reference/table1_tests.R
# Writes tests/reference/table1_tests.json (R 4.2, stats + MASS only).
library(jsonlite)

seed <- read.csv("src/survstudy/examples/seed/seed_liver_resection_cohort.csv",
                 stringsAsFactors = FALSE, na.strings = c("", "NA"))
lung <- read.csv("tests/reference/lung.csv")

lev <- function(x) {  # display order as survstudy: numeric if all numbers, else C-locale text
  u <- unique(x[!is.na(x)])
  if (is.numeric(u)) sort(u) else sort(u, method = "radix")
}
fac <- function(x) factor(x, levels = lev(x))

q7 <- function(v) unname(quantile(v, c(.25, .5, .75)))
summ <- function(v) {
  v <- v[!is.na(v)]
  if (!length(v)) return(list(n = 0))
  q <- q7(v)
  list(n = length(v), mean = mean(v), sd = if (length(v) > 1) sd(v) else NULL,
       median = q[2], q1 = q[1], q3 = q[3], min = min(v), max = max(v))
}

# tableone's SMDs
smd_cont <- function(x, g) {
  s <- split(x[!is.na(x)], g[!is.na(x)]); pr <- combn(length(s), 2)
  mean(apply(pr, 2, function(ij) abs(mean(s[[ij[1]]]) - mean(s[[ij[2]]])) /
                                   sqrt((var(s[[ij[1]]]) + var(s[[ij[2]]])) / 2)))
}
smd_cat <- function(x, g) {
  tab <- table(fac(x), g); tab <- tab[rowSums(tab) > 0, , drop = FALSE]
  pr <- combn(ncol(tab), 2)
  mean(apply(pr, 2, function(ij) {
    p1 <- (tab[, ij[1]] / sum(tab[, ij[1]]))[-1]; p2 <- (tab[, ij[2]] / sum(tab[, ij[2]]))[-1]
    S <- (diag(p1, length(p1)) - outer(p1, p1) + diag(p2, length(p2)) - outer(p2, p2)) / 2
    T <- p1 - p2
    sqrt(drop(t(T) %*% MASS::ginv(S) %*% T))
  }))
}

cat_row <- function(x, g, force = NULL) {
  tab <- table(fac(x), g); tab <- tab[rowSums(tab) > 0, colSums(tab) > 0, drop = FALSE]
  E <- outer(rowSums(tab), colSums(tab)) / sum(tab)
  test <- if (!is.null(force)) force else if (all(E >= 5)) "chi-square" else "fisher"
  out <- list(test = test, expected_min = min(E))
  if (test == "fisher") {
    f <- fisher.test(tab, workspace = 2e8); out$p_value <- f$p.value; out$statistic <- NULL
  } else {
    ct <- suppressWarnings(chisq.test(tab, correct = (test == "chi-square-yates")))
    out$p_value <- unname(ct$p.value); out$statistic <- unname(ct$statistic)
    out$df <- unname(ct$parameter)
  }
  if (all(dim(tab) == 2)) {
    f <- fisher.test(tab)
    out$odds_ratio <- list(estimate = unname(f$estimate), ci = as.numeric(f$conf.int))
  }
  out$smd <- smd_cat(x, g)
  full <- table(fac(x), g)
  out$counts <- lapply(seq_len(nrow(full)), function(i) as.integer(full[i, ]))
  out$levels <- as.character(rownames(full))
  out
}

cont_row <- function(x, g, force = NULL) {
  ok <- !is.na(x); s <- split(x[ok], g[ok]); s <- s[sapply(s, length) > 0]
  k <- length(s)
  can_sw <- all(sapply(s, function(v) length(v) >= 3 && length(v) <= 5000 && diff(range(v)) > 0))
  sw <- if (can_sw) sapply(s, function(v) shapiro.test(v)$p.value) else NULL
  test <- if (!is.null(force)) force else if (can_sw && all(sw >= 0.05)) {
    if (k == 2) "t-test" else "anova" } else { if (k == 2) "mann-whitney" else "kruskal-wallis" }
  out <- list(test = test)
  if (test %in% c("t-test", "welch")) {
    r <- t.test(s[[1]], s[[2]], var.equal = (test == "t-test"))
    out$statistic <- unname(r$statistic); out$df <- unname(r$parameter); out$p_value <- r$p.value
  } else if (test == "mann-whitney") {
    r <- suppressWarnings(wilcox.test(s[[1]], s[[2]]))
    out$statistic <- unname(r$statistic); out$p_value <- r$p.value
  } else if (test == "anova") {
    gg <- factor(rep(names(s), sapply(s, length)), levels = names(s))
    a <- summary(aov(unlist(s) ~ gg))[[1]]
    out$statistic <- a[["F value"]][1]; out$df <- a$Df; out$p_value <- a[["Pr(>F)"]][1]
  } else {
    r <- kruskal.test(s)
    out$statistic <- unname(r$statistic); out$df <- unname(r$parameter); out$p_value <- r$p.value
  }
  out$shapiro <- if (is.null(sw)) NULL else unname(as.list(sw))
  out$summary <- lapply(split(x, g), summ)
  out$overall <- summ(x)
  out$smd <- if (all(sapply(s, length) > 1)) smd_cont(x, g) else NULL
  out
}

seed$group <- fac(seed$group)
seed_rows <- list(
  her2 = cat_row(seed$her2, seed$group),
  er = cat_row(seed$er, seed$group),
  histologic_grade = cat_row(seed$histologic_grade, seed$group),
  pathology = cat_row(seed$pathology, seed$group),
  liver_resection = cat_row(seed$liver_resection, seed$group),
  rfa = cat_row(seed$rfa, seed$group),
  age_years = cont_row(seed$age_years, seed$group),
  survival_months = cont_row(seed$survival_months, seed$group)
)
seed_forced <- list(
  her2 = cat_row(seed$her2, seed$group, "chi-square"),
  er = cat_row(seed$er, seed$group, "chi-square-yates"),
  histologic_grade = cat_row(seed$histologic_grade, seed$group, "chi-square"),
  age_years = cont_row(seed$age_years, seed$group, "welch"),
  survival_months = cont_row(seed$survival_months, seed$group, "mann-whitney"),
  age_years_mw = cont_row(seed$age_years, seed$group, "mann-whitney")
)

lung$ph.ecog <- fac(lung$ph.ecog)
g <- lung$ph.ecog
keep <- !is.na(g)
lung_ecog <- list(
  age = cont_row(lung$age[keep], droplevels(g[keep])),
  wt.loss = cont_row(lung$wt.loss[keep], droplevels(g[keep])),
  age_anova = cont_row(lung$age[keep], droplevels(g[keep]), "anova"),
  sex = cat_row(lung$sex[keep], droplevels(g[keep]))
)
lung_sex <- list(
  age_t = cont_row(lung$age, fac(lung$sex), "t-test"),
  age_welch = cont_row(lung$age, fac(lung$sex), "welch"),
  meal_kw = cont_row(lung$meal.cal, fac(lung$sex), "kruskal-wallis"),
  ph.ecog_chisq = cat_row(lung$ph.ecog, fac(lung$sex), "chi-square")
)

# exact Mann-Whitney (no ties, both groups < 50) and near the limit
set.seed(42)
mw <- list()
for (nn in list(c(3, 4), c(10, 12), c(25, 30), c(49, 20), c(50, 10))) {
  x <- round(rnorm(nn[1]), 6); y <- round(rnorm(nn[2]) + 0.4, 6)
  r <- wilcox.test(x, y)
  mw[[length(mw) + 1]] <- list(x = x, y = y, statistic = unname(r$statistic), p_value = r$p.value,
                               exact = grepl("exact", r$method))
}

# Fisher r x c tables (random, plus lung inst x sex) and 2 x 2 with odds ratios
tabs <- fromJSON("tests/reference/fisher_tables.json", simplifyVector = FALSE)
fisher_rxc <- lapply(tabs, function(t) {
  m <- do.call(rbind, lapply(t, unlist))
  list(table = t, p_value = fisher.test(m, workspace = 4e8)$p.value)
})
inst <- table(lung$inst, lung$sex)
fisher_rxc[[length(fisher_rxc) + 1]] <- list(
  table = lapply(seq_len(nrow(inst)), function(i) as.integer(inst[i, ])),
  p_value = fisher.test(inst, workspace = 2e8)$p.value)
# R's fisher.test conditional MLE and CI equations, solved with a tight tolerance: fisher.test
# uses uniroot's default (about 1.2e-4 on the t or 1/t scale), so its printed values are
# close to these but not to 1e-6.
tight_or <- function(m, conf.level = 0.95) {
  mm <- sum(m[, 1L]); n <- sum(m[, 2L]); k <- sum(m[1L, ]); x <- m[1L, 1L]
  lo <- max(0L, k - n); hi <- min(k, mm); support <- lo:hi
  logdc <- dhyper(support, mm, n, k, log = TRUE)
  dnhyper <- function(ncp) { d <- logdc + log(ncp) * support; d <- exp(d - max(d)); d / sum(d) }
  mnhyper <- function(ncp) {
    if (ncp == 0) return(lo)
    if (ncp == Inf) return(hi)
    sum(support * dnhyper(ncp)) }
  pnhyper <- function(q, ncp, upper.tail = FALSE) {
    if (ncp == 0) return(as.numeric(if (upper.tail) q <= lo else q >= lo))
    if (ncp == Inf) return(as.numeric(if (upper.tail) q <= hi else q >= hi))
    sum(dnhyper(ncp)[if (upper.tail) support >= q else support <= q]) }
  ur <- function(f, lower, upper) uniroot(f, c(lower, upper), tol = 1e-14)$root
  mle <- if (x == lo) 0 else if (x == hi) Inf else {
    mu <- mnhyper(1)
    if (mu > x) ur(function(t) mnhyper(t) - x, 0, 1)
    else if (mu < x) 1 / ur(function(t) mnhyper(1 / t) - x, .Machine$double.eps, 1) else 1 }
  alpha <- (1 - conf.level) / 2
  up <- if (x == hi) Inf else {
    p <- pnhyper(x, 1)
    if (p < alpha) ur(function(t) pnhyper(x, t) - alpha, 0, 1)
    else if (p > alpha) 1 / ur(function(t) pnhyper(x, 1 / t) - alpha, .Machine$double.eps, 1)
    else 1 }
  low <- if (x == lo) 0 else {
    p <- pnhyper(x, 1, upper.tail = TRUE)
    if (p > alpha) ur(function(t) pnhyper(x, t, upper.tail = TRUE) - alpha, 0, 1)
    else if (p < alpha) 1 / ur(function(t) pnhyper(x, 1 / t, upper.tail = TRUE) - alpha,
                               .Machine$double.eps, 1)
    else 1 }
  c(mle, low, up)
}

fisher_2x2 <- lapply(list(c(4, 2, 1, 6), c(10, 2, 3, 15), c(0, 3, 5, 4), c(12, 7, 5, 9),
                          c(1, 0, 0, 1), c(20, 30, 35, 15), c(3, 0, 0, 3)), function(v) {
  m <- matrix(v, 2, byrow = TRUE); f <- fisher.test(m)
  tight <- tight_or(m)
  list(table = list(v[1:2], v[3:4]), p_value = f$p.value, estimate = unname(f$estimate),
       ci = as.numeric(f$conf.int), estimate_tight = tight[1], ci_tight = tight[2:3])
})

# Tables where R 4.2.2's FEXACT (any workspace, mult) returns a p-value far below R's own
# simulate.p.value (10^6 replicates): the exact p must agree with the simulation.
fexact_off <- list(
  t(matrix(c(7, 8, 3, 8, 5, 18, 6, 10, 1, 4, 5, 5, 13, 6, 17, 6, 4, 10, 11, 7,
             11, 9, 6, 10, 9, 8, 10, 8, 3, 2, 3, 10, 8, 1, 10, 5, 7, 14, 5, 7), 2, byrow = TRUE)),
  matrix(c(0, 6, 3, 2, 0, 1, 0, 0, 0, 3, 4, 1, 0, 5, 1, 1, 0, 6, 3, 2, 2, 3, 2, 3, 4, 6, 3, 2,
           0, 13, 2, 3, 2, 5, 2, 1, 0, 2, 2, 5), ncol = 4, byrow = TRUE))
set.seed(2011)
fexact_off <- lapply(fexact_off, function(m) {
  B <- 1e6
  sim <- fisher.test(m, simulate.p.value = TRUE, B = B)$p.value
  list(table = lapply(seq_len(nrow(m)), function(i) as.integer(m[i, ])),
       fexact_p_value = fisher.test(m, workspace = 4e8)$p.value,
       simulated_p_value = sim, replicates = B, simulated_se = sqrt(sim * (1 - sim) / B))
})

# Shapiro-Wilk on a few samples
set.seed(5)
shapiro <- lapply(c(3, 4, 7, 20, 100), function(n) {
  x <- round(rnorm(n) * 10 + 50, 1); r <- shapiro.test(x)
  list(x = x, statistic = unname(r$statistic), p_value = r$p.value)
})

out <- list(r_version = R.version.string, shapiro = shapiro, fexact_off = fexact_off, seed = seed_rows, seed_forced = seed_forced,
            lung_by_ecog = lung_ecog, lung_by_sex = lung_sex, mann_whitney = mw,
            fisher_rxc = fisher_rxc, fisher_2x2 = fisher_2x2)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null"),
           "tests/reference/table1_tests.json")
