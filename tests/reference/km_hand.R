# Reference values for hand-worked Kaplan-Meier cases (tests/test_km.py).
# Run: Rscript km_hand.R > km_hand.json   (R 4.2.2, survival 3.5-3)
suppressMessages({library(survival); library(jsonlite)})
seed <- read.csv("../../src/survstudy/examples/seed/seed_liver_resection_cohort.csv")
cases <- list(
  ties = data.frame(t = c(1, 1, 1, 2, 2, 3, 4, 4, 5), e = c(1, 1, 0, 1, 0, 0, 1, 1, 0)),
  single_death = data.frame(t = 5, e = 1),
  single_censored = data.frame(t = 5, e = 0),
  all_censored = data.frame(t = c(2, 4, 6), e = c(0, 0, 0)),
  flat_half = data.frame(t = c(1, 2, 3, 4), e = c(1, 1, 1, 1)),
  no_events_group = data.frame(t = c(1, 2, 3, 4, 5, 6), e = c(1, 1, 1, 0, 0, 0),
                               g = c("a", "a", "a", "b", "b", "b")),
  near_ties = data.frame(t = c(1, 1 + 1e-10, 2, 3, 3, 4), e = c(1, 1, 0, 1, 1, 0)),
  seed = data.frame(t = seed$survival_months, e = seed$died, g = seed$group)
)
at <- c(0.5, 1, 2, 2.5, 3, 4, 5, 6, 12, 36, 60)
out <- list()
for (name in names(cases)) {
  d <- cases[[name]]
  for (ct in c("log-log", "log", "plain")) {
    f <- if (is.null(d$g)) survfit(Surv(t, e) ~ 1, data = d, conf.type = ct)
         else survfit(Surv(t, e) ~ g, data = d, conf.type = ct)
    strata <- if (is.null(d$g)) "all" else sub("g=", "", names(f$strata))
    groups <- list()
    for (i in seq_along(strata)) {
      fi <- if (is.null(d$g)) f else f[i]
      s <- summary(fi, times = at, extend = TRUE)
      q <- quantile(fi, c(.25, .5, .75))
      h <- if (name == "seed") 36 else max(d$t)
      tab <- summary(fi, rmean = h)$table
      groups[[i]] <- list(group = strata[i], n = fi$n, events = sum(fi$n.event),
        quantile = as.numeric(q$quantile), lower = as.numeric(q$lower),
        upper = as.numeric(q$upper),
        at = lapply(seq_along(s$time), function(j) list(time = s$time[j],
          n_risk = s$n.risk[j], survival = s$surv[j], std_err = s$std.err[j],
          ci_lower = s$lower[j], ci_upper = s$upper[j])),
        rmean_horizon = h, rmean = unname(tab["rmean"]), rmean_se = unname(tab["se(rmean)"]))
    }
    test <- NULL
    if (!is.null(d$g)) {
      sd <- survdiff(Surv(t, e) ~ g, data = d)
      test <- list(statistic = sd$chisq, p_value = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE))
    }
    out[[length(out) + 1]] <- list(case = name, conf_type = ct, data = d, groups = groups, test = test)
  }
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", null = "null"))
