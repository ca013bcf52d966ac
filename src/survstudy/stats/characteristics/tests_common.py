"""What every Table 1 test returns: the test used, why, and its numbers (or why none)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CATEGORICAL_TESTS",
    "CONTINUOUS_TESTS",
    "TEST_LABELS",
    "TEST_NAMES",
    "TWO_GROUP_TESTS",
    "TestResult",
    "finite",
    "not_testable",
    "tie_term",
]

CATEGORICAL_TESTS = ("chi-square", "chi-square-yates", "fisher")
CONTINUOUS_TESTS = ("t-test", "welch", "mann-whitney", "anova", "kruskal-wallis")
TEST_NAMES = CATEGORICAL_TESTS + CONTINUOUS_TESTS
#: Tests that compare exactly two groups.
TWO_GROUP_TESTS = ("t-test", "welch", "mann-whitney")

#: How a report names each test.
TEST_LABELS = {
    "chi-square": "Pearson's chi-square test",
    "chi-square-yates": "Pearson's chi-square test with Yates' continuity correction",
    "fisher": "Fisher's exact test",
    "t-test": "Student's t-test (equal variances)",
    "welch": "Welch's t-test",
    "mann-whitney": "Mann-Whitney U test",
    "anova": "one-way ANOVA",
    "kruskal-wallis": "Kruskal-Wallis test",
}


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test between groups.

    ``test`` is one of :data:`TEST_NAMES`, or None when no test could be done (``reason`` then
    says why and ``p_value`` is None). ``reason`` says why this test was chosen; ``method``
    how the p-value was computed (exact, normal approximation, Monte Carlo, ...).
    """

    __test__ = False  # not a pytest test class

    test: str | None
    reason: str
    p_value: float | None = None
    statistic: float | None = None
    statistic_name: str | None = None
    df: tuple[float, ...] | None = None
    method: str = ""
    forced: bool = False
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def testable(self) -> bool:
        return self.test is not None and self.p_value is not None

    def get(self, key: str) -> Any:
        """A value from ``extra`` (None if absent)."""
        return dict(self.extra).get(key)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "test": self.test,
            "reason": self.reason,
            "statistic": self.statistic,
            "statistic_name": self.statistic_name,
            "df": None if self.df is None else list(self.df),
            "p_value": self.p_value,
            "method": self.method,
            "forced": self.forced,
            "testable": self.testable,
        }
        for key, value in self.extra:
            out[key] = value.to_dict() if hasattr(value, "to_dict") else value
        return out


def not_testable(reason: str, *, test: str | None = None, forced: bool = False) -> TestResult:
    """A stated "not testable" (no p-value), with the reason."""
    what = f"{test} not testable" if test else "not testable"
    return TestResult(test=None, reason=f"{what}: {reason}", forced=forced)


def finite(x: float) -> float | None:
    """``x`` as a float, or None if it is NaN or infinite."""
    x = float(x)
    return x if math.isfinite(x) else None


def tie_term(tie_sizes: NDArray[np.integer[Any]]) -> float:
    """``Σ (t³ − t)`` over the sizes ``t`` of tied groups, exactly: in int64 while that cannot
    overflow (as before), else in Python integers (a value tied 2·10^6 times in a registry)."""
    t = np.asarray(tie_sizes, dtype=np.int64)
    if t.size == 0 or int(t.max()) ** 2 * int(t.sum()) < 2**63:
        return float(np.sum(t**3 - t))
    return float(sum(v**3 - v for v in map(int, t)))
