"""Tests for a categorical variable across groups, and the rule that picks one.

The rule (DESIGN.md, as gtsummary): Pearson's chi-square without continuity correction when
every expected count is at least 5, otherwise Fisher's exact test (exact for r×c tables, as
R's ``fisher.test``). Chi-square statistics are R's ``chisq.test``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2

from survstudy.stats.characteristics.fisher import NetworkLimits, fisher_exact
from survstudy.stats.characteristics.tests_common import TestResult, finite, not_testable

__all__ = ["MIN_EXPECTED", "categorical_test", "chi_square"]

#: Smallest expected count for the chi-square test to be chosen.
MIN_EXPECTED = 5.0


def chi_square(table: ArrayLike, *, yates: bool = False) -> tuple[float, int, float]:
    """Pearson's chi-square (statistic, df, p) as R ``chisq.test``.

    ``yates`` applies R's continuity correction (``min(0.5, |O - E|)``), to 2×2 tables only.
    """
    x = np.asarray(table, dtype=np.float64)
    n = x.sum()
    expected = np.outer(x.sum(axis=1), x.sum(axis=0)) / n
    diff = np.abs(x - expected)
    if yates and x.shape == (2, 2):
        diff = diff - np.minimum(0.5, diff)
    stat = float(np.sum(diff**2 / expected))
    df = (x.shape[0] - 1) * (x.shape[1] - 1)
    return stat, df, float(chi2.sf(stat, df))


def _drop_empty(x: NDArray[np.int64]) -> NDArray[np.int64]:
    return np.asarray(x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0], dtype=np.int64)


def categorical_test(
    table: ArrayLike,
    *,
    force: str | None = None,
    limits: NetworkLimits | None = None,
) -> TestResult:
    """Test a levels × groups count table; ``force`` names a test instead of the rule.

    Levels or groups with no patient are left out. Fewer than two levels or groups left gives
    a stated "not testable".
    """
    x = _drop_empty(np.asarray(table, dtype=np.int64))
    forced = force is not None
    if x.shape[1] < 2:
        return not_testable("values in fewer than two groups", forced=forced)
    if x.shape[0] < 2:
        return not_testable("only one level observed", forced=forced)
    expected = np.outer(x.sum(axis=1), x.sum(axis=0)) / x.sum()
    smallest = float(expected.min())
    extra: tuple[tuple[str, object], ...] = (("expected_min", smallest),)
    if force is None:
        if smallest >= MIN_EXPECTED:
            test = "chi-square"
            reason = f"every expected count >= 5 (smallest {smallest:.2f})"
        else:
            test = "fisher"
            reason = f"expected count < 5 (smallest {smallest:.2f})"
    else:
        test, reason = force, "chosen by the user"
    if test in ("chi-square", "chi-square-yates"):
        yates = test == "chi-square-yates"
        if yates and x.shape != (2, 2):
            test = "chi-square"
            reason += "; Yates' correction applies to 2×2 tables only, none applied (as R)"
        stat, df, p = chi_square(x, yates=yates)
        return TestResult(
            test=test,
            reason=reason,
            p_value=finite(p),
            statistic=finite(stat),
            statistic_name="X-squared",
            df=(float(df),),
            method="chi-square distribution",
            forced=forced,
            extra=extra,
        )
    if test != "fisher":
        raise ValueError(f"{test!r} is not a test for categorical variables")
    result = fisher_exact(x, limits=limits)
    mc = result.monte_carlo
    if mc is not None:
        reason += f"; {mc.reason}, seed {mc.seed}, SE {mc.standard_error:.2g}"
        method = "Monte Carlo"
        extra += (("monte_carlo", mc),)
    else:
        method = "exact (network algorithm)" if x.shape != (2, 2) else "exact"
    return TestResult(
        test="fisher",
        reason=reason,
        p_value=result.p_value,
        method=method,
        forced=forced,
        extra=extra,
    )
