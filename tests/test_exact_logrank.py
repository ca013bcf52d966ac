"""Exact (permutation) log-rank test: brute force over relabelings, R references, Monte Carlo."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.engine.counts import CountTable, count_table
from survstudy.stats.survival.exact_logrank import exact_log_rank
from survstudy.stats.survival.logrank import Method, weighted_log_rank
from tests.conftest import SEED_COHORT, close, load_reference

REF = load_reference("compare_exact.json")


def _seed() -> tuple[pd.DataFrame, CountTable]:
    df = pd.read_csv(SEED_COHORT)
    return df, count_table(df["survival_months"], df["died"] == 1, df["group"])


def _brute_force(
    time: Any, event: Any, group: Any, method: Method = "log-rank", **kw: float
) -> tuple[int, int]:
    """(at least as extreme, total) over every relabeling, one weighted_log_rank call each."""
    time, event, group = np.asarray(time), np.asarray(event), np.asarray(group)
    groups = tuple(sorted(set(group.tolist())))
    sizes = [int((group == g).sum()) for g in groups]
    observed = weighted_log_rank(count_table(time, event, group), method, **kw).statistic
    extreme = total = 0

    def assign(free: list[int], j: int, labels: np.ndarray) -> None:
        nonlocal extreme, total
        if j == len(groups) - 1:
            labels = labels.copy()
            labels[free] = groups[j]
            relabeled = count_table(time, event, labels, groups=groups)
            stat = weighted_log_rank(relabeled, method, **kw).statistic
            extreme += stat >= observed * (1 - 1e-7)
            total += 1
            return
        for chosen in itertools.combinations(free, sizes[j]):
            nxt = labels.copy()
            nxt[list(chosen)] = groups[j]
            assign([i for i in free if i not in chosen], j + 1, nxt)

    assign(list(range(time.size)), 0, np.empty(time.size, dtype=object))
    return extreme, total


def test_seed_cohort_exact_p_is_share_of_1716_relabelings() -> None:
    df, counts = _seed()
    got = exact_log_rank(counts)
    # independent check: plain loop over the 13-choose-6 relabelings
    time, died = df["survival_months"].to_numpy(), (df["died"] == 1).to_numpy()
    observed = weighted_log_rank(counts).statistic
    extreme = 0
    relabelings = list(itertools.combinations(range(13), 6))
    assert len(relabelings) == 1716
    for chosen in relabelings:
        labels = np.full(13, "solitary", dtype=object)
        labels[list(chosen)] = "extrahepatic"
        stat = weighted_log_rank(count_table(time, died, labels)).statistic
        extreme += stat >= observed * (1 - 1e-7)
    assert got.method == "exact permutation"
    assert got.n_relabelings == 1716
    assert got.n_extreme == extreme
    assert got.p_value == extreme / 1716
    assert got.statistic == observed
    assert got.std_err == 0.0
    assert got.seed is None
    assert got.n_draws is None
    assert got.group_sizes == (6, 7)


@pytest.mark.parametrize(
    "ref", REF["cases"], ids=[f"{c['id']}-rho{c['rho']}" for c in REF["cases"]]
)
def test_matches_brute_force_in_r(ref: dict[str, Any]) -> None:
    if ref["id"] == "seed-group":
        counts = _seed()[1]
    else:
        small = pd.DataFrame(REF["small"])
        counts = count_table(small["time"], small["status"] == 1, small["group"])
    method: Method = "log-rank" if ref["rho"] == 0 else "peto-peto"
    got = exact_log_rank(counts, method)
    assert list(got.groups) == ref["groups"]
    assert close(got.statistic, ref["statistic"])
    assert got.n_relabelings == ref["n_relabelings"]
    assert got.n_extreme == ref["n_extreme"]
    assert close(got.p_value, ref["p_value"])


# three groups with tied times, a tie of death and censoring, and the last event alone
THREE = (
    [1, 2, 2, 3, 4, 4, 5, 6, 9, 9],
    [1, 1, 0, 1, 0, 1, 1, 0, 0, 1],
    list("abbccacccb"),
)


@pytest.mark.parametrize(
    ("method", "kw"),
    [("log-rank", {}), ("tarone-ware", {}), ("fleming-harrington", {"rho": 0.5, "gamma": 1.0})],
)
def test_three_groups_match_brute_force(method: Method, kw: dict[str, float]) -> None:
    got = exact_log_rank(count_table(*THREE), method, **kw)
    assert (got.n_extreme, got.n_relabelings) == _brute_force(*THREE, method, **kw)


def test_group_absent_from_some_risk_sets_matches_brute_force() -> None:
    # relabelings that put a whole group after the last event drop it, as weighted_log_rank
    data = ([5, 5, 5, 1, 2, 3, 4, 6, 7], [0, 0, 0, 1, 1, 1, 1, 1, 0], list("aaabbbcdd"))
    got = exact_log_rank(count_table(*data))
    assert (got.n_extreme, got.n_relabelings) == _brute_force(*data)


def test_monte_carlo_is_seeded_and_close_to_exact() -> None:
    counts = _seed()[1]
    exact = exact_log_rank(counts)
    mc = exact_log_rank(counts, max_relabelings=1000, n_draws=20_000, seed=7)
    assert mc.method == "Monte Carlo"
    assert mc.n_draws == 20_000
    assert mc.seed == 7
    assert mc.n_relabelings == 1716
    assert mc.p_value == mc.n_extreme / 20_000
    assert mc.std_err == pytest.approx(np.sqrt(mc.p_value * (1 - mc.p_value) / 20_000))
    assert abs(mc.p_value - exact.p_value) < 5 * mc.std_err
    again = exact_log_rank(counts, max_relabelings=1000, n_draws=20_000, seed=7)
    assert again == mc
    other = exact_log_rank(counts, max_relabelings=1000, n_draws=20_000, seed=8)
    assert other.n_extreme != mc.n_extreme


def test_monte_carlo_three_groups_close_to_exact() -> None:
    counts = count_table(*THREE)
    exact = exact_log_rank(counts)
    mc = exact_log_rank(counts, max_relabelings=100, n_draws=20_000)
    assert abs(mc.p_value - exact.p_value) < 5 * mc.std_err


def test_one_group_has_one_relabeling() -> None:
    got = exact_log_rank(count_table([1, 2, 3], [1, 0, 1]))
    assert (got.n_relabelings, got.p_value, got.statistic, got.df) == (1, 1.0, 0.0, 0)


def test_all_censored() -> None:
    got = exact_log_rank(count_table([1, 2, 3, 4], [0, 0, 0, 0], list("aabb")))
    assert (got.p_value, got.statistic, got.n_relabelings) == (1.0, 0.0, 6)
    assert got.method == "exact permutation"


def test_group_with_no_events() -> None:
    data = ([1, 2, 3, 4, 5], [1, 1, 0, 0, 0], list("aabbb"))
    got = exact_log_rank(count_table(*data))
    assert (got.n_extreme, got.n_relabelings) == _brute_force(*data)
    assert got.p_value == pytest.approx(1 / 10)  # only the observed split is as extreme


def test_fractional_counts_are_refused() -> None:
    counts = count_table([1, 2, 3], [1, 1, 0], list("abb"), weight=[1.5, 1, 1])
    with pytest.raises(ValueError, match="whole-number"):
        exact_log_rank(counts)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        exact_log_rank(count_table(*THREE), n_draws=0)


def test_to_dict_holds_numbers() -> None:
    d = exact_log_rank(_seed()[1]).to_dict()
    assert d["method"] == "exact permutation"
    assert d["n_relabelings"] == 1716
    assert d["seed"] is None
    assert isinstance(d["p_value"], float)


small_cohorts = st.integers(min_value=2, max_value=9).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 6), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
    )
)


@settings(max_examples=40, deadline=None)
@given(small_cohorts, st.randoms(use_true_random=False))
def test_exact_properties(data: Any, rnd: Any) -> None:
    time, event, group = (np.asarray(x) for x in data)
    base = exact_log_rank(count_table(time, event, group))
    assert 0.0 < base.p_value <= 1.0  # the observed labelling always counts
    order = np.array(rnd.sample(range(time.size), time.size))
    shuffled = exact_log_rank(count_table(time[order], event[order], group[order]))
    scaled = exact_log_rank(count_table(time * 30.4375, event, group))
    names = {"a": "z", "b": "x", "c": "y"}
    renamed = exact_log_rank(count_table(time, event, np.array([names[g] for g in group])))
    for other in (shuffled, scaled, renamed):
        assert other.n_extreme == base.n_extreme
        assert other.n_relabelings == base.n_relabelings


def test_an_observed_statistic_of_rounding_noise_counts_as_zero() -> None:
    """Found by hypothesis: the observed chi-square was 1e-32 under one labelling and 7e-33
    under the swapped one, and exact zeros of other relabelings fell either side of it."""
    times = [1, 1, 2, 2, 3, 2, 3, 3]
    events = [False, False, False, True, True, False, True, False]
    groups = ["a", "a", "a", "a", "a", "b", "b", "a"]
    swapped = ["b" if g == "a" else "a" for g in groups]
    base = exact_log_rank(count_table(times, events, groups))
    other = exact_log_rank(count_table(times, events, swapped))
    assert base.n_extreme == other.n_extreme
    assert base.p_value == other.p_value == 1.0
