"""Attainable Kaplan-Meier values and pattern ranges: hand-worked cases, then brute force over
all 2^n event/censoring patterns with the project's own Kaplan-Meier and log-rank."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from survstudy.engine.counts import count_table
from survstudy.stats.survival import patterns as patterns_module
from survstudy.stats.survival.attainable import attainable_survival
from survstudy.stats.survival.km import kaplan_meier_counts
from survstudy.stats.survival.logrank import weighted_log_rank
from survstudy.stats.survival.patterns import PrintedRate, pattern_range

SOLITARY = [39.3, 54.4, 50.2, 15.6, 17.6, 15.2, 57.9]
EXTRAHEPATIC = [13.1, 12.5, 25.0, 7.1, 11.8, 7.6]
SEED_GROUPS = ("solitary", "extrahepatic")


def _km_at(time: np.ndarray, event: np.ndarray, at: float) -> float | None:
    (read,) = kaplan_meier_counts(count_table(time, event)).curves[0].at([at])
    return read.survival


def _brute(time: list[float], at: float, status: list[int] | None = None) -> dict[float, int]:
    """KM at ``at`` for every pattern of the unknown statuses (project's KM), with counts."""
    t = np.asarray(time)
    free = [i for i in range(t.size) if status is None or status[i] == -1]
    out: dict[float, int] = {}
    for bits in itertools.product((0, 1), repeat=len(free)):
        e = np.array([0 if status is None else max(status[i], 0) for i in range(t.size)])
        e[free] = bits
        s = _km_at(t, e.astype(bool), at)
        if s is not None:
            key = round(s, 12)
            out[key] = out.get(key, 0) + 1
    return out


def test_three_distinct_times_by_hand() -> None:
    # at 2.5: factor 1 or 2/3 at t=1 (3 at risk), 1 or 1/2 at t=2; patient 3 free either way
    r = attainable_survival([1.0, 2.0, 3.0], 2.5)
    assert r.exact
    assert r.values == pytest.approx([1 / 3, 1 / 2, 2 / 3, 1.0])
    assert r.patterns == (2, 2, 2, 2)
    assert (r.lower, r.upper) == (pytest.approx(1 / 3), 1.0)


def test_ties_by_hand() -> None:
    # two patients at t=1 (3 at risk): 0, 1 or 2 deaths, by 1, 2 and 1 patterns
    r = attainable_survival([1.0, 1.0, 2.0], 1.0)
    assert r.values == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert r.patterns == (2, 4, 2)


def test_past_the_last_time_only_zero_is_estimable() -> None:
    r = attainable_survival(EXTRAHEPATIC, 36.0)
    assert r.values == (0.0,)
    assert r.patterns == (32,)  # the patient at 25.0 died; the other five are free


def test_everyone_followed_past_t_gives_100_percent() -> None:
    r = attainable_survival(SOLITARY, 12.0)
    assert r.values == (1.0,)
    assert r.n_patterns == 2**7


def test_seed_overall_one_year_values() -> None:
    r = attainable_survival(SOLITARY + EXTRAHEPATIC, 12.0)
    assert [round(100 * v, 1) for v in r.values] == [76.9, 83.3, 83.9, 84.6, 90.9, 91.7, 92.3,
                                                     100.0]
    assert r.n_patterns == 2**13


@pytest.mark.parametrize("seed", range(12))
def test_enumeration_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 10))
    time = list(rng.integers(1, 6, n).astype(float))  # many ties
    at = float(rng.choice([0.5, 2.0, 3.5, 5.0, 7.0]))
    status = None if seed % 3 else [int(x) for x in rng.choice([-1, -1, 0, 1], n)]
    r = attainable_survival(time, at, status)
    expected = _brute(time, at, status)
    keys = sorted(expected)
    assert r.values == pytest.approx(keys, abs=1e-11)
    assert list(r.patterns) == [expected[k] for k in keys]
    if expected:
        assert r.lower == pytest.approx(min(expected))
        assert r.upper == pytest.approx(max(expected))


def test_products_are_exact_fractions() -> None:
    # values are products of (n - d) / n: compare with exact rational arithmetic
    time = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0]
    r = attainable_survival(time, 4.5)
    exact: set[Fraction] = set()
    for d1, d2, d3, d4 in itertools.product((0, 1), (0, 1, 2), (0, 1), (0, 1)):
        exact.add(Fraction(6 - d1, 6) * Fraction(5 - d2, 5) * Fraction(3 - d3, 3)
                  * Fraction(2 - d4, 2))
    assert r.values == pytest.approx(sorted(float(f) for f in exact), abs=1e-12)


def test_bounds_beyond_the_exact_limit() -> None:
    time = [1.0, 2.0, 2.0, 3.0, 4.0]
    r = attainable_survival(time, 3.5, exact_limit=2)
    assert not r.exact
    assert r.values == ()
    brute = _brute(time, 3.5)
    assert (r.lower, r.upper) == (pytest.approx(min(brute)), pytest.approx(max(brute)))
    assert r.gives(0.5, 0.6)
    assert not r.gives(0.0, 0.05)


def _joint_brute(time: np.ndarray, group: np.ndarray, constraints: list[PrintedRate],
                 at: float | None, of: str | None) -> list[float]:
    """The target over every joint pattern reproducing the constraints (project KM, log-rank)."""
    out = []
    for bits in itertools.product((False, True), repeat=time.size):
        e = np.array(bits)
        by_group = kaplan_meier_counts(count_table(time, e, group, groups=["a", "b"]))
        overall = kaplan_meier_counts(count_table(time, e)).curves[0]

        def rate(g: str | None, t: float, overall: object = overall,
                 by_group: object = by_group) -> float | None:
            curve = overall if g is None else by_group[g]  # type: ignore[index]
            return curve.at([t])[0].survival  # type: ignore[attr-defined,no-any-return]

        ok = True
        for c in constraints:
            s = rate(c.group, c.at)
            low, high = c.band
            ok &= s is not None and low <= s < high
        if not ok:
            continue
        if at is None:
            out.append(weighted_log_rank(count_table(time, e, group, groups=["a", "b"])).p_value)
        else:
            s = rate(of, at)
            if s is not None:
                out.append(s)
    return out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("listed", [True, False])
def test_pattern_range_matches_brute_force(seed: int, listed: bool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    if not listed:  # force the pruned search of the extremes
        monkeypatch.setattr(patterns_module, "LIST_LIMIT", 0)
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(6, 11))
    time = rng.integers(1, 8, n).astype(float)  # ties within and across groups
    group = np.array(["a", "b"])[rng.permutation(np.arange(n) % 2)]
    truth = rng.random(n) < 0.5
    by = kaplan_meier_counts(count_table(time, truth, group, groups=["a", "b"]))
    constraints = []
    for g in ("a", "b"):
        s = by[g].at([2.5])[0].survival
        if s is not None:
            constraints.append(PrintedRate(g, 2.5, round(100 * s, 1), 1))
    if seed % 2:
        s_all = kaplan_meier_counts(count_table(time, truth)).curves[0].at([2.5])[0].survival
        assert s_all is not None
        constraints.append(PrintedRate(None, 2.5, round(100 * s_all, 1), 1))
    for at, of in ((None, None), (4.5, None), (4.5, "a")):
        r = pattern_range(time, group, ("a", "b"), constraints, at=at, of=of)
        expected = _joint_brute(time, group, constraints, at, of)
        assert r is not None
        assert r.n_patterns == len(expected) or at is not None
        if at is not None:
            assert r.values == pytest.approx(sorted(set(np.round(expected, 12))))
        assert r.minimum == pytest.approx(min(expected), rel=1e-9)
        assert r.maximum == pytest.approx(max(expected), rel=1e-9)


def test_seed_joint_ranges() -> None:
    """shared/data/README.md: 64 patterns reproduce the group rates; overall 1-year 91.7%,
    3-year 41.9/46.6/47.1/52.4%, log-rank p between 0.0127 and 0.188."""
    time = np.array(SOLITARY + EXTRAHEPATIC)
    group = np.array(["solitary"] * 7 + ["extrahepatic"] * 6)
    rates = [PrintedRate("solitary", 36, 66.7, 1), PrintedRate("extrahepatic", 12, 80.0, 1),
             PrintedRate("extrahepatic", 36, 0.0, 1)]
    one = pattern_range(time, group, SEED_GROUPS, rates, at=12, printed=(83.1, 1))
    three = pattern_range(time, group, SEED_GROUPS, rates, at=36, printed=(49.2, 1))
    p = pattern_range(time, group, SEED_GROUPS, rates, printed=(0.001, 3))
    assert one is not None
    assert three is not None
    assert p is not None
    assert one.n_patterns == three.n_patterns == p.n_patterns == 64
    assert [round(100 * v, 1) for v in one.values] == [91.7]
    assert [round(100 * v, 1) for v in three.values] == [41.9, 46.6, 47.1, 52.4]
    assert not one.gives()
    assert not three.gives()
    assert not p.gives()
    assert (round(p.minimum or 0, 4), round(p.maximum or 0, 3)) == (0.0127, 0.188)


@pytest.mark.parametrize("at", [2.5, None])
def test_pattern_range_with_an_empty_group_is_none(at: float | None) -> None:
    """Two groups named, one without patients: no range (no log-rank, no pooled curve), not
    an IndexError."""
    rate = PrintedRate(group="a", at=1.5, percent=66.7, decimals=1)
    assert pattern_range([1, 2, 3], ["a", "a", "a"], ["a", "b"], [rate], at=at,
                         of="a" if at is not None else None) is None
    assert pattern_range([1, 2, 3], ["b", "b", "b"], ["a", "b"], [], at=at) is None
