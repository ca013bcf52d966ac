"""GRIM for percentages and means, worked by hand."""

from __future__ import annotations

import pytest

from survstudy.stats.characteristics.grim import (
    grim_mean,
    grim_percent,
    round_with,
    rounding_rules,
)


def test_percent_of_13() -> None:
    # 5/13 = 38.46% -> 38.5; 38.4% is no k/13 (4/13 = 30.8, 5/13 = 38.5)
    assert grim_percent(38.5, 13, 1).candidates == range(5, 6)
    bad = grim_percent(38.4, 13, 1)
    assert not bad.consistent
    assert bad.nearest() == pytest.approx((100 * 4 / 13, 100 * 5 / 13))


def test_percent_half_up_boundary() -> None:
    # 1/8 = 12.5% exactly: printed with no decimals half-up it is 13, not 12
    assert grim_percent(13, 8, 0).candidates == range(1, 2)
    assert not grim_percent(12, 8, 0).consistent


def test_percent_bounds() -> None:
    assert grim_percent(0.0, 6, 1).candidates == range(0, 1)
    assert grim_percent(100.0, 6, 1).candidates == range(6, 7)
    assert not grim_percent(101.0, 6, 0).consistent


def test_mean_of_integers() -> None:
    # 13 whole ages: a mean is S/13. 51.0 <- 663/13; 51.08 <- 664/13 = 51.0769
    assert grim_mean(51.0, 13, 1).candidates == range(663, 664)
    assert grim_mean(51.08, 13, 2).candidates == range(664, 665)
    # n = 7: sums 356/7 = 50.857, 357/7 = 51.0, 358/7 = 51.143: 50.9 yes, 50.95 no
    assert grim_mean(50.9, 7, 1).candidates == range(356, 357)
    assert not grim_mean(50.95, 7, 2).consistent


def test_rounding_rule_that_explains_a_difference() -> None:
    assert round_with(51.0769, 1) == 51.1
    assert rounding_rules(664 / 13, 51.0, 1) == ("truncated", "rounded down")
    assert "rounded half up" in rounding_rules(9.41, 9.4, 1)
    assert rounding_rules(0.125, 0.12, 2) == ("rounded half to even", "truncated", "rounded down")
    assert rounding_rules(51.08, 52.0, 1) == ()


@pytest.mark.parametrize("n", [1, 7, 13, 97, 1000, 12345])
@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_candidates_are_every_whole_number_that_rounds_to_the_printed_value(
    n: int, decimals: int
) -> None:
    # only the ends of the run are checked exactly: the run must equal a full enumeration
    for raw in (0.0, 12.5, 38.46, 50.0, 66.67, 99.95, 100.0):
        printed = target = round_with(raw, decimals)  # a value printed at `decimals`
        every = [k for k in range(n + 1) if round_with(100.0 * k / n, decimals) == target]
        assert list(grim_percent(printed, n, decimals).candidates) == every
    for raw in (0.5, 51.08, 63.2):
        printed = target = round_with(raw, decimals)
        sums = range(int(printed * n) - 2 * n, int(printed * n) + 2 * n)
        every = [s for s in sums if round_with(s / n, decimals) == target]
        assert list(grim_mean(printed, n, decimals).candidates) == every


def test_a_registry_sized_mean_is_judged_without_listing_its_sums() -> None:
    g = grim_mean(51.3, 10_000_000, 1)
    assert g.consistent
    assert len(g.candidates) == 1_000_000
    assert g.to_dict()["candidates"] == [g.candidates[0], g.candidates[-1]]
