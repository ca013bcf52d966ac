"""Clinical number formatting: rounding half away from zero, NA/NE/NR, p-values, percents."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survstudy.report.format import (
    format_ci,
    format_count,
    format_estimate_ci,
    format_exact_p,
    format_mean_sd,
    format_median,
    format_n_percent,
    format_number,
    format_p,
    format_percent,
    format_range,
    format_test_p,
    format_time,
    group_label,
    is_missing,
    name_of_test,
)


@pytest.mark.parametrize(
    ("x", "digits", "want"),
    [
        (0.0575, 3, "0.058"),  # binary 0.05749999… still rounds up, as written
        (0.125, 2, "0.13"),  # Python's round() would give 0.12
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),  # away from zero
        (0.05, 1, "0.1"),
        (1.005, 2, "1.01"),
        (-0.04, 1, "0.0"),  # no "-0.0"
        (12, 1, "12.0"),
        (1e-7, 3, "0.000"),
        (123456.789, 1, "123456.8"),
    ],
)
def test_format_number_rounds_half_away_from_zero(x: float, digits: int, want: str) -> None:
    assert format_number(x, digits) == want


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf])
def test_missing_values_never_print_nan(bad: float | None) -> None:
    assert is_missing(bad)
    assert format_number(bad) == "NA"
    assert format_percent(bad) == "NE"
    assert format_time(bad) == "NE"
    assert format_median(bad) == "NR"
    assert format_mean_sd(bad, 1.0) == "NA"


def test_negative_digits_rejected() -> None:
    with pytest.raises(ValueError, match="digits"):
        format_number(1.0, -1)


@pytest.mark.parametrize(
    ("p", "want", "prefixed"),
    [
        (0.05783588824216675, "0.058", "p = 0.058"),  # the seed cohort's log-rank p
        (0.0575, "0.058", "p = 0.058"),
        (0.0009, "< 0.001", "p < 0.001"),
        (0.00099999, "< 0.001", "p < 0.001"),  # rounds to 0.001 but is below it
        (0.001, "0.001", "p = 0.001"),
        (1e-300, "< 0.001", "p < 0.001"),
        (0.0, "< 0.001", "p < 0.001"),
        (1.0, "1.000", "p = 1.000"),
        (0.5, "0.500", "p = 0.500"),  # trailing zeros kept: 3 decimals always
    ],
)
def test_format_p(p: float, want: str, prefixed: str) -> None:
    assert format_p(p) == want
    assert format_p(p, prefix=True) == prefixed


def test_format_p_digits_and_missing() -> None:
    assert format_p(0.0712, 2) == "0.07"
    assert format_p(0.004, 2) == "< 0.01"
    assert format_p(None) == "NA"
    assert format_p(math.nan, prefix=True) == "p = NA"
    assert format_p(None, missing="not testable") == "not testable"
    with pytest.raises(ValueError, match="between 0 and 1"):
        format_p(1.2)
    with pytest.raises(ValueError, match="decimal"):
        format_p(0.5, 0)


def test_format_percent() -> None:
    assert format_percent(0.831) == "83.1%"
    assert format_percent(0.8315) == "83.2%"  # 83.15 rounds up
    assert format_percent(0.53333333) == "53.3%"
    assert format_percent(1.0) == "100.0%"
    assert format_percent(0.0) == "0.0%"
    assert format_percent(0.0575, 0) == "6%"
    assert format_percent(None) == "NE"
    assert format_percent(None, missing="NA") == "NA"


def test_format_ci() -> None:
    assert format_ci(7.6, None) == "7.6\u2013NE"
    assert format_ci(None, None) == "NE\u2013NE"
    assert format_ci(0.0683, 0.8631, percent=True) == "6.8%\u201386.3%"
    assert format_ci(-0.5, 0.25, 2) == "-0.50 to 0.25"  # a minus sign next to a dash misreads
    assert format_ci(7.6, None, missing="NR") == "7.6\u2013NR"
    assert format_ci(1, 2, sep=", ") == "1.0, 2.0"


def test_format_estimate_ci() -> None:
    assert format_estimate_ci(25.0, 7.6, None, missing="NR") == "25.0 (7.6\u2013NR)"
    assert format_estimate_ci(0.533, 0.068, 0.863, percent=True) == "53.3% (6.8%\u201386.3%)"
    assert format_estimate_ci(None, 1.0, 2.0) == "NE"
    assert format_estimate_ci(None, 1.0, 2.0, missing_estimate="NR") == "NR"


def test_format_time_and_median() -> None:
    assert format_time(25) == "25.0"
    assert format_time(52.5, 0) == "53"
    assert format_median(57.9) == "57.9"
    assert format_median(None) == "NR"


def test_format_mean_sd_and_range() -> None:
    assert format_mean_sd(52.34, 8.15) == "52.3 \u00b1 8.2"
    assert format_mean_sd(52.34, None) == "52.3 \u00b1 NA"  # one patient: no SD
    assert format_range(39, 62, 0) == "39\u201362"
    assert format_range(None, 62, 0) == "NA\u201362"


def test_format_n_percent() -> None:
    assert format_n_percent(4, 7) == "4 (57.1%)"
    assert format_n_percent(13, 13) == "13 (100.0%)"
    assert format_n_percent(0, 7) == "0 (0.0%)"
    assert format_n_percent(0, 0) == "0 (NA)"  # empty group: no percent
    assert format_n_percent(1, 8, 0) == "1 (13%)"  # 12.5 rounds up
    assert format_n_percent(1, 3) == "1 (33.3%)"
    assert format_n_percent(2.5, 10) == "2.5 (25.0%)"  # case weights
    assert format_n_percent(None, 10) == "NA"


def test_format_count() -> None:
    assert format_count(13.0) == "13"
    assert format_count(12.25) == "12.3"  # weighted count: one decimal, half away from zero
    assert format_count(None) == "NA"
    assert format_count(2982) == "2982"  # four digits stay together
    assert format_count(5_499_509) == "5,499,509"  # registry counts are grouped


@pytest.mark.parametrize(
    ("method", "strata", "want"),
    [
        ("log-rank", (), "Log-rank"),
        ("peto-peto", (), "Peto-Peto"),
        ("tarone-ware", (), "Tarone-Ware"),
        ("gehan", (), "Gehan-Breslow"),
        ("fleming-harrington(0,1)", (), "Fleming-Harrington G(0, 1)"),
        ("log-rank trend", (), "Log-rank trend"),
        ("log-rank", ("centre A", "centre B"), "Stratified log-rank"),
        ("gehan", ("a",), "Stratified Gehan-Breslow"),
        ("some-new-test", (), "Some-new-test"),
    ],
)
def test_name_of_test(method: str, strata: tuple[str, ...], want: str) -> None:
    assert name_of_test(method, strata) == want


def test_format_test_and_exact_p() -> None:
    assert format_test_p("log-rank", 0.05783588824216675) == "Log-rank p = 0.058"
    assert format_test_p("log-rank", 1e-12, 3) == "Log-rank p < 0.001"
    assert format_test_p("log-rank", 1.0, 0) == "Log-rank: not testable"  # one group with events
    assert format_test_p("log-rank", math.nan) == "Log-rank: not testable"
    assert format_exact_p(0.0712) == "Exact p = 0.071"
    assert format_exact_p(0.0712, "Monte Carlo") == "Exact p = 0.071 (Monte Carlo)"
    assert format_exact_p(0.0712, digits=2) == "Exact p = 0.07"


def test_group_label() -> None:
    assert group_label("solitary") == "Solitary"
    assert group_label("all") == "All patients"
    assert group_label("1", {"1": "Standard"}) == "Standard"
    assert group_label("") == ""


@given(st.integers(-(10**6), 10**6), st.integers(0, 4))
def test_written_halves_round_away_from_zero(k: int, digits: int) -> None:
    """A number written with a trailing 5 one place past ``digits`` rounds away from zero."""
    written = Decimal(2 * k + 1) / 2 / Decimal(10) ** digits  # k.5 scaled
    got = Decimal(format_number(float(written), digits))
    step = Decimal(1).scaleb(-digits)
    assert abs(got) == abs(written) + step / 2


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 4))
def test_rounding_is_within_half_a_unit(x: float, digits: int) -> None:
    got = Decimal(format_number(x, digits))
    assert abs(got - Decimal(repr(x))) <= Decimal(1).scaleb(-digits) / 2
    assert "nan" not in format_number(x, digits).lower()


@given(st.floats(0, 1))
def test_p_values_print_as_a_threshold_or_a_probability(p: float) -> None:
    text = format_p(p)
    if p < 0.001:
        assert text == "< 0.001"
    else:
        assert 0.001 <= float(text) <= 1.0
        assert len(text.split(".")[1]) == 3
