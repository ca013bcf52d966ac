"""Fisher's exact test: R reference values, hand-worked tables, and brute-force enumeration."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.stats.characteristics.fisher import (
    MONTE_CARLO_SEED,
    NetworkLimits,
    fisher_exact,
    odds_ratio,
)
from survstudy.stats.characteristics.fisher_network import (
    LOG_TOLERANCE,
    compositions,
    network_pvalue,
)

REF = json.loads((Path(__file__).parent / "reference" / "table1_tests.json").read_text())


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


# --- against R ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["fisher_rxc"], ids=lambda c: f"{len(c['table'])}rows")
def test_rxc_matches_r(case: dict) -> None:
    result = fisher_exact(case["table"])
    assert result.method == "exact"
    assert rel(result.p_value, case["p_value"]) < 1e-6


def test_lung_inst_by_sex_is_exact() -> None:
    """The 18×2 table R's default workspace cannot do; exact here, never Monte Carlo."""
    case = REF["fisher_rxc"][-1]
    assert len(case["table"]) == 18
    result = fisher_exact(case["table"])
    assert result.method == "exact"
    assert result.replicates is None
    assert rel(result.p_value, 0.522369882182518) < 1e-9


@pytest.mark.parametrize("case", REF["fexact_off"], ids=lambda c: f"{len(c['table'])}rows")
def test_where_r_fexact_is_wrong(case: dict) -> None:
    """R 4.2.2's FEXACT gives a p far below R's own Monte Carlo here; the exact p agrees with
    the simulation (10^6 replicates) and not with FEXACT."""
    p = fisher_exact(case["table"]).p_value
    assert abs(p - case["simulated_p_value"]) < 4 * case["simulated_se"]
    assert abs(p - case["fexact_p_value"]) > 20 * case["simulated_se"]


def _same(got: float, want: float | None, tol: float) -> bool:
    if want is None:  # R's Inf is written as null
        return math.isinf(got)
    if want == 0:
        return got == 0
    return rel(got, want) < tol


@pytest.mark.parametrize("case", REF["fisher_2x2"], ids=lambda c: str(c["table"]))
def test_two_by_two_matches_r(case: dict) -> None:
    result = fisher_exact(case["table"])
    assert rel(result.p_value, case["p_value"]) < 1e-9
    o = result.odds_ratio
    assert o is not None
    got = (o.estimate, o.ci_lower, o.ci_upper)
    # R's own equations solved tightly (tests/reference/table1_tests.R, tight_or)
    tight = (case["estimate_tight"], *case["ci_tight"])
    assert all(_same(g, w, 1e-6) for g, w in zip(got, tight, strict=True))
    # fisher.test itself stops uniroot at ~1.2e-4 on the scale it solves on (t below 1,
    # 1/t above 1), so its printed values agree only to that
    printed = (case["estimate"], *case["ci"])
    for g, w in zip(got, printed, strict=True):
        if w is None or w == 0 or math.isinf(g):
            assert _same(g, w, 0)
        else:
            scale = (lambda v: v) if w <= 1 else (lambda v: 1 / v)
            assert abs(scale(g) - scale(w)) < 1.3e-4


# --- hand-worked ----------------------------------------------------------------------------


def test_hand_worked_two_by_two() -> None:
    # [[3, 0], [0, 3]]: first cell 0..3 with probabilities 1, 9, 9, 1 over 20; two-sided 2/20
    assert fisher_exact([[3, 0], [0, 3]]).p_value == pytest.approx(0.1, rel=1e-12)
    # the her2 example: 4 of 6 versus 1 of 7 positive
    assert fisher_exact([[2, 6], [4, 1]]).p_value == pytest.approx(0.1025641025641, rel=1e-10)


def test_hand_worked_three_by_two() -> None:
    # margins rows (1, 1, 1), columns (2, 1): 3 tables, each probability 1/3: p = 1
    assert fisher_exact([[1, 0], [1, 0], [0, 1]]).p_value == pytest.approx(1.0)
    # rows (2, 2, 2), columns (3, 3): 7 tables; the observed [[2,0],[1,1],[0,2]] has
    # probability 4/20; [[1,1],[1,1],[1,1]] has 8/20 and is the only one more probable
    p = fisher_exact([[2, 0], [1, 1], [0, 2]]).p_value
    assert p == pytest.approx(1 - 8 / 20, rel=1e-12)


def test_odds_ratio_orientation_and_limits() -> None:
    o = odds_ratio([[5, 0], [0, 5]])
    assert math.isinf(o.estimate)
    assert math.isinf(o.ci_upper)
    assert o.ci_lower > 1
    o = odds_ratio([[0, 5], [5, 0]])
    assert o.estimate == 0
    assert o.ci_lower == 0
    assert o.ci_upper < 1
    assert odds_ratio([[6, 2], [2, 6]]).estimate > 1


def test_bad_tables() -> None:
    with pytest.raises(ValueError, match="2 non-empty rows"):
        fisher_exact([[1, 2, 3]])
    with pytest.raises(ValueError, match="2 non-empty"):
        fisher_exact([[1, 0], [2, 0]])
    with pytest.raises(ValueError, match="non-negative whole"):
        fisher_exact([[1, -1], [2, 3]])
    with pytest.raises(ValueError, match="non-negative whole"):
        fisher_exact([[1.5, 1], [2, 3]])


def test_empty_rows_and_columns_are_dropped() -> None:
    assert fisher_exact([[2, 6, 0], [0, 0, 0], [4, 1, 0]]).p_value == pytest.approx(
        fisher_exact([[2, 6], [4, 1]]).p_value, rel=1e-12
    )


# --- Monte Carlo only past the stated size --------------------------------------------------


def test_monte_carlo_is_labelled_and_reproducible() -> None:
    table = [[3, 1, 2], [1, 4, 0], [2, 2, 5]]
    exact = fisher_exact(table).p_value
    a = fisher_exact(table, limits=NetworkLimits(max_work=1), replicates=20_000)
    b = fisher_exact(table, limits=NetworkLimits(max_work=1), replicates=20_000)
    assert a.method == "monte-carlo"
    assert a.seed == MONTE_CARLO_SEED
    assert a.replicates == 20_000
    assert a.standard_error is not None
    assert "exact enumeration stopped" in a.note
    assert a.p_value == b.p_value
    assert abs(a.p_value - exact) < 5 * a.standard_error
    assert fisher_exact(table).method == "exact"


# --- brute force: every table with the margins ---------------------------------------------


def _tables(rows: list[int], cols: list[int]):
    if len(rows) == 1:
        yield [list(cols)]
        return
    for first in itertools.product(*(range(min(c, rows[0]) + 1) for c in cols)):
        if sum(first) != rows[0]:
            continue
        rest = [c - f for c, f in zip(cols, first, strict=True)]
        for tail in _tables(rows[1:], rest):
            yield [list(first), *tail]


def brute_force(table: np.ndarray) -> float:
    x = np.asarray(table)
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    rows, cols = x.sum(axis=1).tolist(), x.sum(axis=0).tolist()
    n = int(x.sum())

    def logp(t: np.ndarray) -> float:
        return (
            sum(math.lgamma(r + 1) for r in rows)
            + sum(math.lgamma(c + 1) for c in cols)
            - math.lgamma(n + 1)
            - sum(math.lgamma(v + 1) for v in np.ravel(t))
        )

    obs = logp(x)
    probs = [logp(np.array(t)) for t in _tables(rows, cols)]
    if x.shape == (2, 2):  # R's 2×2 rule: relative 1e-7
        return sum(math.exp(p) for p in probs if math.exp(p) <= math.exp(obs) * (1 + 1e-7))
    return sum(math.exp(p) for p in probs if p <= obs + LOG_TOLERANCE)


small_tables = (
    st.integers(2, 4)
    .flatmap(
        lambda r: st.integers(2, 3).flatmap(
            lambda c: st.lists(
                st.lists(st.integers(0, 4), min_size=c, max_size=c), min_size=r, max_size=r
            )
        )
    )
    .map(np.array)
    .filter(lambda t: (t.sum(axis=1) > 0).sum() >= 2 and (t.sum(axis=0) > 0).sum() >= 2)
)


@settings(max_examples=150, deadline=None)
@given(small_tables)
def test_equals_brute_force(table: np.ndarray) -> None:
    p = fisher_exact(table).p_value
    assert 0.0 <= p <= 1.0
    assert p == pytest.approx(brute_force(table), rel=1e-9, abs=1e-15)


@settings(max_examples=80, deadline=None)
@given(small_tables, st.randoms(use_true_random=False))
def test_invariant_to_order_and_transpose(table: np.ndarray, rnd) -> None:
    p = fisher_exact(table).p_value
    rows = list(range(table.shape[0]))
    cols = list(range(table.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    assert fisher_exact(table[rows][:, cols]).p_value == pytest.approx(p, rel=1e-10)
    assert fisher_exact(table.T).p_value == pytest.approx(p, rel=1e-10)


def test_network_on_larger_table_equals_brute_force() -> None:
    table = np.array([[3, 1, 0, 2], [1, 2, 2, 0], [0, 1, 3, 1]])
    assert network_pvalue(table) == pytest.approx(brute_force(table), rel=1e-10)


def test_compositions() -> None:
    caps = np.array([2, 1, 3])
    got = {tuple(c) for c in compositions(4, caps).tolist()}
    want = {c for c in itertools.product(range(3), range(2), range(4)) if sum(c) == 4}
    assert got == want
    assert len(compositions(4, caps)) == len(want)
