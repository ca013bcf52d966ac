"""The weighted log-rank family against R: G(rho, gamma), Tarone-Ware, Gehan, stratified, trend,
pairwise with Holm / Benjamini-Hochberg; hand-worked tiny cases and property tests."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.engine.counts import CountTable, count_table
from survstudy.stats.survival.logrank import (
    METHODS,
    Method,
    pairwise_log_rank,
    stratified_log_rank,
    trend_test,
    weighted_log_rank,
)
from survstudy.stats.survival.multiplicity import adjust_p_values, benjamini_hochberg, holm
from tests.conftest import REFERENCE, close, load_reference

REF = load_reference("compare_reference.json")

# id -> (file, time, event column, event codes, group, stratum)
SPECS: dict[str, tuple[str, str, str, list[int], str, str | None]] = {
    "lung-sex": ("lung.csv", "time", "status", [2], "sex", None),
    "veteran-celltype": ("veteran.csv", "time", "status", [1], "celltype", None),
    "aml-x": ("aml.csv", "time", "status", [1], "x", None),
    "ovarian-rx": ("ovarian.csv", "futime", "fustat", [1], "rx", None),
    "lung-sex-by-ecog": ("lung.csv", "time", "status", [2], "sex", "ph.ecog"),
    "veteran-celltype-by-trt": ("veteran.csv", "time", "status", [1], "celltype", "trt"),
    "ovarian-rx-by-resid": ("ovarian.csv", "futime", "fustat", [1], "rx", "resid.ds"),
    "lung-ecog": ("lung.csv", "time", "status", [2], "ph.ecog", None),
    "ovarian-ecog": ("ovarian.csv", "futime", "fustat", [1], "ecog.ps", None),
}


def _text(values: pd.Series) -> pd.Series:
    """Labels as R's as.character: 1.0 -> "1"."""
    return values.map(
        lambda x: str(int(x)) if isinstance(x, int | float) and float(x).is_integer() else str(x)
    )


def _tables(case_id: str) -> list[CountTable]:
    """One count table, or one per stratum (in R's level order), with the same groups."""
    file, time, event, codes, group, stratum = SPECS[case_id]
    df = pd.read_csv(REFERENCE / file)
    df = df.dropna(subset=[c for c in (time, event, group, stratum) if c])
    labels = _text(df[group])
    groups = sorted(labels.unique())
    died = df[event].isin(codes)
    if stratum is None:
        return [count_table(df[time], died, labels, groups=groups)]
    strata = _text(df[stratum])
    return [
        count_table(df[time][strata == s], died[strata == s], labels[strata == s], groups=groups)
        for s in sorted(strata.unique())
    ]


def _method(ref: dict[str, Any]) -> tuple[Method, dict[str, float]]:
    if ref["method"] == "fleming-harrington":
        return "fleming-harrington", {"rho": ref["rho"], "gamma": ref["gamma"]}
    return ref["method"], {}


def _flat(x: Any) -> list[float]:
    return [float(v) for v in np.ravel(np.asarray(x, dtype=float))]


@pytest.mark.parametrize(
    "ref",
    REF["weighted"],
    ids=[f"{r['id']}-{r['method']}-{r['rho']}-{r['gamma']}" for r in REF["weighted"]],
)
def test_weighted_family_matches_r(ref: dict[str, Any]) -> None:
    method, kw = _method(ref)
    tables = _tables(ref["id"])
    if ref["stratified"]:
        got = stratified_log_rank(tables, method, **kw)
        assert len(got.strata) == len(tables)
    else:
        got = weighted_log_rank(tables[0], method, **kw)
    assert list(got.groups) == ref["groups"]
    assert got.df == ref["df"]
    assert close(got.statistic, ref["statistic"]), (got.statistic, ref["statistic"])
    assert close(got.p_value, ref["p_value"]), (got.p_value, ref["p_value"])
    assert close(list(got.o_minus_e), _flat(ref["score"]))
    assert close(_flat(got.variance), _flat(ref["variance"]))
    assert close(list(got.observed), _flat(ref["observed"]))
    assert close(list(got.expected), _flat(ref["expected"]))


@pytest.mark.parametrize(
    "ref", REF["survdiff"], ids=[f"{r['id']}-rho{r['rho']}" for r in REF["survdiff"]]
)
def test_log_rank_and_peto_peto_match_survdiff(ref: dict[str, Any]) -> None:
    method: Method = "log-rank" if ref["rho"] == 0 else "peto-peto"
    tables = _tables(ref["id"])
    got = (
        stratified_log_rank(tables, method)
        if ref["stratified"]
        else weighted_log_rank(tables[0], method)
    )
    assert got.df == ref["df"]
    assert close(got.statistic, ref["statistic"])
    assert close(got.p_value, ref["p_value"])
    assert close(list(got.o_minus_e), _flat(ref["score"]))  # R's obs - exp, weighted for rho
    assert close(_flat(got.variance), _flat(ref["variance"]))


@pytest.mark.parametrize(
    "ref", REF["trend"], ids=[f"{r['id']}-{r['scores']}" for r in REF["trend"]]
)
def test_trend_matches_hand_computation_in_r(ref: dict[str, Any]) -> None:
    method: Method = "log-rank" if ref["rho"] == 0 else "peto-peto"
    got = trend_test(_tables(ref["id"])[0], _flat(ref["scores"]), method=method)
    assert got.df == 1
    assert close(got.statistic, ref["statistic"])
    assert close(got.p_value, ref["p_value"])
    assert got.trend_scores == tuple(_flat(ref["scores"]))


def test_trend_default_scores_are_one_to_k() -> None:
    counts = _tables("veteran-celltype")[0]
    assert trend_test(counts).statistic == trend_test(counts, [1, 2, 3, 4]).statistic
    # only the spacing of the scores matters
    assert close(trend_test(counts, [10, 20, 30, 40]).statistic, trend_test(counts).statistic)


@pytest.mark.parametrize(
    "ref", REF["pairwise"], ids=[f"{r['id']}-rho{r['rho']}-{r['adjust']}" for r in REF["pairwise"]]
)
def test_pairwise_matches_r(ref: dict[str, Any]) -> None:
    method: Method = "log-rank" if ref["rho"] == 0 else "peto-peto"
    got = pairwise_log_rank(_tables(ref["id"])[0], method, adjust=ref["adjust"])
    assert got.adjust == ref["adjust"]
    assert len(got.pairs) == len(ref["pairs"])
    for pair, want in zip(got.pairs, ref["pairs"], strict=True):
        assert (pair.group_a, pair.group_b) == (want["a"], want["b"])
        assert close(pair.statistic, want["statistic"])
        assert close(pair.p_value, want["p_value"])
        assert close(pair.p_adjusted, want["p_adjusted"])
    assert got.to_dict()["pairs"][0]["group_a"] == ref["pairs"][0]["a"]


@pytest.mark.parametrize("ref", REF["adjust"], ids=range(len(REF["adjust"])))
def test_p_adjust_matches_r(ref: dict[str, Any]) -> None:
    p = np.atleast_1d(np.array(ref["p"], dtype=float))
    for method in ("holm", "bh", "bonferroni"):
        want = np.atleast_1d(np.array(ref[method], dtype=float))
        np.testing.assert_allclose(adjust_p_values(p, method), want, rtol=1e-12)
    np.testing.assert_array_equal(adjust_p_values(p, "none"), p)


# --- hand-worked tiny cases ------------------------------------------------------------------
# A: deaths at 1 and 3; B: death at 2, censored at 4. Event times 1, 2, 3 with
# (n, d, n_A) = (4, 1, 2), (3, 1, 1), (2, 1, 1): E_A = 1/2 + 1/3 + 1/2, O_A = 2,
# V per time (log-rank) = 1/4, 2/9, 1/4. Pooled S(t-) = 1, 3/4, 1/2.
TINY = count_table([1, 3, 2, 4], [1, 1, 1, 0], ["A", "A", "B", "B"])
F = Fraction
TINY_EXPECTED = {
    ("log-rank", 0.0, 0.0): F(2, 3) ** 2 / F(13, 18),  # 8/13
    ("gehan", 0.0, 0.0): F(2) ** 2 / F(7),  # U = 4/2 - 3/3 + 2/2, V = 4 + 2 + 1
    ("peto-peto", 0.0, 0.0): F(1, 2) ** 2 / F(7, 16),  # U = 1/2 - 1/4 + 1/4
    ("fleming-harrington", 1.0, 0.0): F(1, 2) ** 2 / F(7, 16),
    ("fleming-harrington", 0.0, 1.0): F(1, 6) ** 2 / F(11, 144),  # weights 0, 1/4, 1/2
}


@pytest.mark.parametrize(("key", "want"), list(TINY_EXPECTED.items()), ids=str)
def test_hand_worked_tiny_case(key: tuple[Method, float, float], want: Fraction) -> None:
    method, rho, gamma = key
    got = weighted_log_rank(TINY, method, rho=rho, gamma=gamma)
    assert got.statistic == pytest.approx(float(want), rel=1e-12)
    assert got.df == 1
    assert got.observed == (2.0, 1.0)
    assert got.expected == pytest.approx((4 / 3, 5 / 3))


def test_hand_worked_tarone_ware() -> None:
    u = 2 * 0.5 - np.sqrt(3) / 3 + np.sqrt(2) * 0.5
    v = 4 * 0.25 + 3 * 2 / 9 + 2 * 0.25
    assert weighted_log_rank(TINY, "tarone-ware").statistic == pytest.approx(u**2 / v, rel=1e-12)


def test_tied_deaths_and_censorings_at_one_time() -> None:
    # A: deaths at 1, 2, 2 and a censoring at 2; B: death at 2, censored at 3, death at 4.
    # The censoring at 2 is still at risk for the deaths at 2.
    counts = count_table([1, 2, 2, 2, 3, 2, 4], [1, 1, 0, 1, 0, 1, 1], list("AAAABBB"))
    time, at_risk, events = counts.pooled()
    n, d = at_risk.sum(axis=1), events.sum(axis=1)
    assert time.tolist() == [1, 2, 3, 4]
    assert n.tolist() == [7, 6, 2, 1]
    assert d.tolist() == [1, 3, 0, 1]
    # by hand: (n, d, n_A) = (7, 1, 4) at t=1, (6, 3, 3) at t=2, (1, 1, 0) at t=4 (no variance)
    u = (1 - 4 / 7) + (2 - 3 * 3 / 6) + (0 - 0)
    v = 1 * 6 / 6 * (4 / 7) * (3 / 7) + 3 * 3 / 5 * 0.5 * 0.5
    got = weighted_log_rank(counts)
    assert got.statistic == pytest.approx(u**2 / v, rel=1e-12)


def test_group_with_no_events() -> None:
    # A dies at 1 and 2; B censored at 3 and 4: U = 2 - 5/6, V = 1/4 + 2/9
    counts = count_table([1, 2, 3, 4], [1, 1, 0, 0], ["A", "A", "B", "B"])
    got = weighted_log_rank(counts)
    assert got.statistic == pytest.approx(49 / 17, rel=1e-12)
    assert got.observed == (2.0, 0.0)
    assert got.df == 1


def test_all_censored_gives_no_test() -> None:
    counts = count_table([1, 2, 3, 4], [0, 0, 0, 0], ["A", "A", "B", "B"])
    for method in METHODS:
        got = weighted_log_rank(counts, method)
        assert (got.statistic, got.df, got.p_value) == (0.0, 0, 1.0)
    assert trend_test(counts).df == 0


def test_one_group() -> None:
    counts = count_table([1, 2, 3], [1, 0, 1])
    got = weighted_log_rank(counts)
    assert (got.statistic, got.df, got.p_value) == (0.0, 0, 1.0)
    with pytest.raises(ValueError, match="two"):
        trend_test(counts)
    with pytest.raises(ValueError, match="two groups"):
        pairwise_log_rank(counts)


def test_bad_options_are_clear() -> None:
    with pytest.raises(ValueError, match="unknown test"):
        weighted_log_rank(TINY, "wilcoxon")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fleming-harrington"):
        weighted_log_rank(TINY, "log-rank", rho=1)
    with pytest.raises(ValueError, match="gamma"):
        weighted_log_rank(TINY, "fleming-harrington", gamma=-1)
    with pytest.raises(ValueError, match="one score per group"):
        trend_test(TINY, [1, 2, 3])
    with pytest.raises(ValueError, match="not all equal"):
        trend_test(TINY, [2, 2])
    with pytest.raises(ValueError, match="unknown adjustment"):
        pairwise_log_rank(TINY, adjust="fdr")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        stratified_log_rank([])


def test_stratified_sums_strata() -> None:
    single = weighted_log_rank(TINY)
    twice = stratified_log_rank([TINY, TINY], strata=["x", "y"])
    assert twice.statistic == pytest.approx(2 * single.statistic, rel=1e-12)
    assert twice.strata == ("x", "y")
    alone = stratified_log_rank([TINY])
    assert alone.statistic == pytest.approx(single.statistic, rel=1e-12)


def test_stratum_missing_a_group_matches_by_label() -> None:
    # the ph.ecog = 3 stratum of lung holds one man: with or without group "2" declared
    tables = _tables("lung-sex-by-ecog")
    last = tables[-1]
    assert last.groups == ("1", "2")
    assert len(set(last.stratum.tolist())) == 1
    bare = CountTable(("1",), last.stratum * 0, last.time, last.n_event, last.n_censor)
    a = stratified_log_rank(tables)
    b = stratified_log_rank([*tables[:-1], bare])
    assert b.groups == ("1", "2")
    assert b.statistic == pytest.approx(a.statistic, rel=1e-12)


def test_two_group_trend_equals_log_rank() -> None:
    assert trend_test(TINY, [0, 5]).statistic == pytest.approx(
        weighted_log_rank(TINY).statistic, rel=1e-12
    )


def test_results_serialise_numbers() -> None:
    d = weighted_log_rank(TINY).to_dict()
    assert d["method"] == "log-rank"
    assert isinstance(d["statistic"], float)
    assert d["variance"] == [list(r) for r in weighted_log_rank(TINY).variance]
    fh = weighted_log_rank(TINY, "fleming-harrington", rho=0, gamma=1)
    assert fh.method == "fleming-harrington(0,1)"


# --- properties ------------------------------------------------------------------------------

cohorts = st.integers(min_value=4, max_value=30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 12), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n),
    )
)
method_choices = st.sampled_from(
    [
        ("log-rank", 0.0, 0.0),
        ("peto-peto", 0.0, 0.0),
        ("tarone-ware", 0.0, 0.0),
        ("gehan", 0.0, 0.0),
        ("fleming-harrington", 0.5, 1.0),
    ]
)


def _stat(time: Any, event: Any, group: Any, m: tuple[Method, float, float]) -> float:
    method, rho, gamma = m
    return weighted_log_rank(
        count_table(time, event, group), method, rho=rho, gamma=gamma
    ).statistic


@settings(max_examples=60, deadline=None)
@given(cohorts, method_choices, st.randoms(use_true_random=False))
def test_invariances(data: Any, m: tuple[Method, float, float], rnd: Any) -> None:
    time, event, group = (np.asarray(x) for x in data)
    base = weighted_log_rank(count_table(time, event, group), m[0], rho=m[1], gamma=m[2])
    assert base.statistic >= -1e-12
    assert 0.0 <= base.p_value <= 1.0
    order = np.array(rnd.sample(range(time.size), time.size))
    assert _stat(time[order], event[order], group[order], m) == pytest.approx(
        base.statistic, rel=1e-9, abs=1e-12
    )
    assert _stat(time * 30.4375, event, group, m) == pytest.approx(
        base.statistic, rel=1e-9, abs=1e-12
    )
    names = {"a": "z", "b": "x", "c": "y"}
    renamed = np.array([names[g] for g in group])
    assert _stat(time, event, renamed, m) == pytest.approx(base.statistic, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(cohorts)
def test_pairwise_and_trend_properties(data: Any) -> None:
    counts = count_table(*data)
    if len(counts.groups) < 2:
        return
    holm_pairs = pairwise_log_rank(counts, adjust="holm").pairs
    bh_pairs = pairwise_log_rank(counts, adjust="bh").pairs
    for h, b in zip(holm_pairs, bh_pairs, strict=True):
        assert 0.0 <= h.p_value <= h.p_adjusted <= 1.0
        assert h.p_value <= b.p_adjusted <= h.p_adjusted + 1e-15
    trend = trend_test(counts)
    assert 0.0 <= trend.p_value <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_adjustment_properties(p: list[float]) -> None:
    raw = np.array(p)
    h, b = holm(raw), benjamini_hochberg(raw)
    bonf = adjust_p_values(raw, "bonferroni")
    assert np.all((raw <= b) & (b <= h) & (h <= bonf) & (bonf <= 1.0))
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(h[order]) >= 0)
    assert np.all(np.diff(b[order]) >= 0)
