"""The Table 1 tests one by one: hand-worked values, R reference values, the choice rule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from survstudy.stats.characteristics.describe import categorical_smd, continuous_smd, summarise
from survstudy.stats.characteristics.tests_categorical import categorical_test, chi_square
from survstudy.stats.characteristics.tests_continuous import (
    anova,
    continuous_test,
    kruskal_wallis,
    mann_whitney,
    shapiro_wilk,
    student_t,
    welch_t,
)

REF = json.loads((Path(__file__).parent / "reference" / "table1_tests.json").read_text())


def a(*v: float) -> np.ndarray:
    return np.array(v, dtype=float)


# --- hand-worked ----------------------------------------------------------------------------


def test_chi_square_by_hand() -> None:
    # every expected count 15: X² = 4 · 5²/15; Yates: 4 · 4.5²/15
    stat, df, p = chi_square([[10, 20], [20, 10]])
    assert stat == pytest.approx(20 / 3)
    assert df == 1
    assert p == pytest.approx(math.erfc(math.sqrt(stat / 2)))
    assert chi_square([[10, 20], [20, 10]], yates=True)[0] == pytest.approx(5.4)
    # Yates is R's: the correction never exceeds |O - E|
    assert chi_square([[15, 15], [15, 15]], yates=True)[0] == 0


def test_student_and_welch_by_hand() -> None:
    t, df, p = student_t(a(1, 2, 3), a(4, 5, 6))  # pooled variance 1, se = sqrt(2/3)
    assert t == pytest.approx(-3 / math.sqrt(2 / 3))
    assert df == 4
    assert p == pytest.approx(2 * stats.t.sf(3 / math.sqrt(2 / 3), 4))
    t, df, _ = welch_t(a(1, 2, 3), a(2, 4, 6, 8, 10))  # variances 1 and 10
    se2 = 1 / 3 + 10 / 5
    assert t == pytest.approx((2 - 6) / math.sqrt(se2))
    assert df == pytest.approx(se2**2 / ((1 / 3) ** 2 / 2 + 2**2 / 4))


def test_mann_whitney_exact_by_hand() -> None:
    # W = 0: one ordering in C(5,2) = 10 puts both x first; two-sided 2/10
    assert mann_whitney(a(1, 2), a(3, 4, 5))[:2] == (0.0, pytest.approx(0.2))
    assert mann_whitney(a(1, 2, 3), a(4, 5, 6))[:2] == (0.0, pytest.approx(0.1))
    w, p, method = mann_whitney(a(4, 5, 6), a(1, 2, 3))
    assert (w, method) == (9.0, "exact")
    assert p == pytest.approx(0.1)


def test_mann_whitney_ties_by_hand() -> None:
    # ranks of 1,2,2,2,3,4: 1, 3, 3, 3, 5, 6; W = 1 + 3 + 3 - 6 = 1
    w, p, method = mann_whitney(a(1, 2, 2), a(2, 3, 4))
    sigma = math.sqrt(9 / 12 * (7 - 24 / 30))
    z = (1 - 4.5 + 0.5) / sigma
    assert w == 1
    assert "ties" in method
    assert p == pytest.approx(math.erfc(-z / math.sqrt(2)), rel=1e-12)


def test_anova_and_kruskal_by_hand() -> None:
    f, dfs, _ = anova([a(1, 2, 3), a(4, 5, 6)])
    assert f == pytest.approx(13.5)
    assert dfs == (1, 4)
    h, df, p = kruskal_wallis([a(1, 2), a(3, 4), a(5, 6)])  # rank sums 3, 7, 11
    assert h == pytest.approx(12 / 42 * (9 + 49 + 121) / 2 - 21)
    assert df == 2
    assert p == pytest.approx(math.exp(-h / 2))  # chi-square with 2 df


def test_summary_quantiles_are_r_type_7() -> None:
    # the example: solitary ages
    s = summarise(a(44, 39, 62, 61, 60, 49, 39), missing=0)
    assert (s.n, s.median, s.q1, s.q3, s.min, s.max) == (7, 49, 41.5, 60.5, 39, 62)
    assert s.mean == pytest.approx(50.5714286, rel=1e-7)
    assert s.sd == pytest.approx(10.3417, rel=1e-4)
    one = summarise(a(5), missing=2)
    assert one.sd is None
    assert one.median == 5
    assert one.missing == 2


def test_smd_by_hand() -> None:
    smd = continuous_smd([a(1, 2, 3), a(4, 5, 6)], ["x", "y"])
    assert smd.value == pytest.approx(3.0)  # |2 - 5| / sqrt((1 + 1)/2)
    # binary: |p1 - p2| / sqrt((p1 q1 + p2 q2)/2), p1 = 1/4, p2 = 3/4
    smd = categorical_smd(np.array([[3, 1], [1, 3]]), ["x", "y"])
    assert smd.value == pytest.approx(0.5 / math.sqrt(3 / 16))


# --- against R ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["mann_whitney"], ids=lambda c: f"{len(c['x'])}v{len(c['y'])}")
def test_mann_whitney_matches_r(case: dict) -> None:
    w, p, method = mann_whitney(np.array(case["x"]), np.array(case["y"]))
    assert w == pytest.approx(case["statistic"], rel=1e-12)
    assert p == pytest.approx(case["p_value"], rel=1e-6)
    assert (method == "exact") == case["exact"]


@pytest.mark.parametrize("case", REF["shapiro"], ids=lambda c: str(len(c["x"])))
def test_shapiro_matches_r(case: dict) -> None:
    r = shapiro_wilk(np.array(case["x"]))
    assert r.statistic == pytest.approx(case["statistic"], rel=1e-6)
    assert r.p_value == pytest.approx(case["p_value"], rel=1e-6)


# --- the choice rule --------------------------------------------------------------------------


def test_categorical_rule() -> None:
    big = categorical_test([[10, 20], [20, 10]])
    assert big.test == "chi-square"
    assert "every expected count >= 5" in big.reason
    small = categorical_test([[2, 6], [4, 1]])
    assert small.test == "fisher"
    assert small.reason.startswith("expected count < 5")
    assert small.get("expected_min") == pytest.approx(5 * 6 / 13)
    forced = categorical_test([[2, 6], [4, 1]], force="chi-square")
    assert forced.test == "chi-square"
    assert forced.forced
    assert forced.reason == "chosen by the user"
    yates = categorical_test([[2, 6], [4, 1], [3, 3]], force="chi-square-yates")
    assert yates.test == "chi-square"
    assert "2×2 tables only" in yates.reason


def test_categorical_not_testable() -> None:
    one_level = categorical_test([[3, 4], [0, 0]])
    assert not one_level.testable
    assert "only one level" in one_level.reason
    assert one_level.p_value is None
    one_group = categorical_test([[3, 0], [2, 0]])
    assert not one_group.testable
    assert "fewer than two groups" in one_group.reason


def test_continuous_rule() -> None:
    rng = np.random.default_rng(3)

    def quantiles(n: int, shift: float = 0.0) -> np.ndarray:  # as normal as a sample gets
        return stats.norm.ppf((np.arange(1, n + 1) - 0.5) / n) + shift

    normal = [quantiles(30), quantiles(25, 0.3)]
    result, norm = continuous_test(normal, ["a", "b"])
    assert result.test == "t-test"
    assert result.reason == "Shapiro-Wilk p >= 0.05 in every group"
    assert all(n is not None and n.p_value >= 0.05 for n in norm)
    skewed = [rng.exponential(size=40) ** 3, rng.normal(size=25)]
    result, _ = continuous_test(skewed, ["a", "b"])
    assert result.test == "mann-whitney"
    assert "Shapiro-Wilk p < 0.05 in 'a'" in result.reason
    result, _ = continuous_test([*normal, quantiles(20, -0.2)], ["a", "b", "c"])
    assert result.test == "anova"


def test_group_of_one_patient() -> None:
    result, norm = continuous_test([a(50), a(40, 45, 52, 61)], ["one", "four"])
    assert result.test == "mann-whitney"
    assert result.testable
    assert "group 'one': fewer than 3 values" in result.reason
    assert norm[0] is not None
    assert norm[0].p_value is None
    forced, _ = continuous_test([a(50), a(40, 45, 52, 61)], ["one", "four"], force="welch")
    assert not forced.testable
    assert "welch not testable" in forced.reason


def test_continuous_not_testable_and_empty_groups() -> None:
    same, _ = continuous_test([a(3, 3, 3), a(3, 3)], ["a", "b"])
    assert not same.testable
    assert "all values are equal" in same.reason
    alone, _ = continuous_test([a(1, 2, 3), a()], ["a", "b"])
    assert not alone.testable
    assert "fewer than two groups" in alone.reason
    three, _ = continuous_test([a(1, 2, 3, 4), a(), a(5, 6, 7, 9)], ["a", "b", "c"])
    assert three.testable
    assert "no values in 'b'" in three.reason
    forced, _ = continuous_test([a(1, 2), a(3, 4), a(5, 6)], ["a", "b", "c"], force="t-test")
    assert not forced.testable
    assert "compares two groups" in forced.reason
