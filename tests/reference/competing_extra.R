# Extra reference values for survstudy's competing-risks code (stats/survival/cif.py,
# stats/regression/finegray.py), beyond shared/data/r-survival/competing_reference.json.
# Run from anywhere:  Rscript tests/reference/competing_extra.R
# Writes competing_extra.json beside this script. R 4.2, cmprsk 2.2-11 (no jsonlite: a
# small writer below prints numbers with 17 significant digits).

suppressPackageStartupMessages(library(cmprsk))

args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", args, value = TRUE))))

num <- function(x) ifelse(is.na(x), "null", formatC(x, digits = 17, format = "g"))
arr <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
str_arr <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
obj <- function(...) {
  kv <- list(...)
  paste0("{", paste0('"', names(kv), '": ', unlist(kv), collapse = ", "), "}")
}

gray <- function(ci) obj(statistic = num(ci$Tests[1, "stat"]), p_value = num(ci$Tests[1, "pv"]),
                         df = num(ci$Tests[1, "df"]))

pbc <- read.csv(file.path(here, "pbc.csv"))
ties <- read.csv(file.path(here, "ties_competing.csv"))
out <- character()

# 1. Gray's test on pbc (death = 2, transplant = 1) by trt: stratified by sex, and rho = 1
d <- pbc[!is.na(pbc$trt), ]
st <- cuminc(d$time, d$status, d$trt, strata = d$sex, cencode = 0)
out <- c(out, paste0('"gray_strata_sex": ', gray(st)))
r1 <- cuminc(d$time, d$status, d$trt, rho = 1, cencode = 0)
out <- c(out, paste0('"gray_rho1": ', gray(r1)))
# cause 2 is the second failure code: cuminc tests every cause; row "2" is death
out <- c(out, paste0('"gray_rho1_death": ', obj(statistic = num(r1$Tests["2", "stat"]),
                                              p_value = num(r1$Tests["2", "pv"]))))
st2 <- cuminc(d$time, d$status, d$trt, strata = d$sex, cencode = 0)
out <- c(out, paste0('"gray_strata_sex_death": ', obj(statistic = num(st2$Tests["2", "stat"]),
                                                    p_value = num(st2$Tests["2", "pv"]))))

# 2. Fine-Gray with factor covariates (treatment contrasts, first level reference)
p2 <- pbc[complete.cases(pbc[, c("time", "status", "age", "sex", "stage")]), ]
x <- model.matrix(~ age + sex + factor(stage), data = p2)[, -1]
colnames(x) <- c("age", "sex[T.m]", "stage[T.2]", "stage[T.3]", "stage[T.4]")
fg <- crr(p2$time, p2$status, x, failcode = 2, cencode = 0)
out <- c(out, paste0('"fg_factors": ', obj(n = num(nrow(p2)), terms = str_arr(colnames(x)),
  coef = arr(fg$coef), se = arr(sqrt(diag(fg$var))), converged = tolower(fg$converged))))

# 3. Fine-Gray on the tied data: group y vs x, event 1, competing 2
fgt <- crr(ties$week, ties$status, as.numeric(ties$group == "y"), failcode = 1, cencode = 0)
out <- c(out, paste0('"fg_ties": ', obj(coef = arr(fgt$coef), se = arr(sqrt(diag(fgt$var))))))

# 4. A hand case: ties of both causes and a censoring at time 2 and at time 4
h <- data.frame(time = c(1, 2, 2, 2, 2, 3, 4, 4, 5, 6, 6, 7),
                status = c(1, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2),
                x = c(0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1))
hc <- cuminc(h$time, h$status, cencode = 0)
tp <- timepoints(hc, c(0.5, 1, 2, 3, 4, 5, 6, 7))
out <- c(out, paste0('"hand": ', obj(times = arr(c(0.5, 1, 2, 3, 4, 5, 6, 7)),
  cif1 = arr(tp$est[1, ]), var1 = arr(tp$var[1, ]), cif2 = arr(tp$est[2, ]),
  var2 = arr(tp$var[2, ]))))
hf <- crr(h$time, h$status, h$x, failcode = 1, cencode = 0)
out <- c(out, paste0('"hand_fg": ', obj(coef = arr(hf$coef), se = arr(sqrt(diag(hf$var))))))

writeLines(paste0("{\n", paste(out, collapse = ",\n"), "\n}"), file.path(here, "competing_extra.json"))
