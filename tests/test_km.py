"""Kaplan-Meier against R (survival 3.5-3): reference datasets and hand-worked cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survstudy as ss
from survstudy.engine.counts import count_table
from survstudy.stats.survival.km import kaplan_meier_counts
from tests.conftest import REFERENCE, assert_valid_curve, close, load_reference

CASES = {c["id"]: c for c in load_reference("cases.json")}
KM_REFERENCE = [r for r in load_reference("reference.json") if r["kind"] == "km"]
HAND = load_reference("km_hand.json")


def _event(case: dict[str, Any]) -> str:
    ev = case["event"]
    return ev["column"] + "=" + ",".join(str(v) for v in ev["values"])


def _label(x: object) -> str:
    s = str(x)
    try:
        return str(int(float(s))) if float(s).is_integer() else s
    except ValueError:
        return s


@pytest.mark.parametrize("ref", KM_REFERENCE, ids=[r["id"] for r in KM_REFERENCE])
def test_matches_r_on_public_datasets(ref: dict[str, Any]) -> None:
    case = CASES[ref["id"]]
    km = ss.kaplan_meier(
        REFERENCE / case["data"], case["time"], _event(case), case.get("group"),
        conf_type=case["conf_type"],
    )
    got = {_label(g["group"]): g for g in km.summary(at=case["at"])}
    for want in ref["groups"]:
        g = got[_label(want["group"])]
        for key in ("n", "events", "median", "median_ci"):
            assert close(g[key], want[key]), (want["group"], key, g[key], want[key])
        reads = {a["time"]: a for a in g["at"]}
        for w in want["at"]:  # R lists only times within follow-up
            a = reads[w["time"]]
            for key in ("n_risk", "survival", "std_err", "ci_lower", "ci_upper"):
                assert close(a[key], w[key]), (want["group"], w["time"], key, a[key], w[key])


@pytest.mark.parametrize(
    "ref", HAND, ids=[f"{r['case']}-{r['conf_type']}" for r in HAND]
)
def test_hand_worked_cases_match_r(ref: dict[str, Any]) -> None:
    data = pd.DataFrame(ref["data"])
    by = "g" if "g" in data else None
    km = ss.kaplan_meier(data, "t", "e", by, conf_type=ref["conf_type"])
    assert len(km) == len(ref["groups"])
    for want in ref["groups"]:
        curve = km[want["group"]]
        assert curve.n == want["n"]
        assert curve.events == want["events"]
        for p, q, lo, hi in zip(
            (0.25, 0.5, 0.75), want["quantile"], want["lower"], want["upper"], strict=True
        ):
            got = curve.quantile(p)
            assert close(got.estimate, q), (p, got, q)
            assert close(got.ci_lower, lo), (p, got, lo)
            assert close(got.ci_upper, hi), (p, got, hi)
        reads = {a.time: a for a in curve.at([w["time"] for w in want["at"]])}
        for w in want["at"]:
            a = reads[w["time"]]
            assert close(a.n_risk, w["n_risk"]), w
            if w["time"] > curve.last_time and w["survival"] > 0:
                # R's extend=TRUE carries the last value forward; we refuse to (DESIGN.md)
                assert a.survival is None
                assert a.ci_lower is None
                continue
            assert close(a.survival, w["survival"]), w
            assert close(a.std_err, w["std_err"]), (a, w)
            assert close(a.ci_lower, w["ci_lower"]), (a, w)
            assert close(a.ci_upper, w["ci_upper"]), (a, w)
        rmst = curve.restricted_mean(want["rmean_horizon"])
        assert close(rmst.estimate, want["rmean"])
        assert close(rmst.std_err, want["rmean_se"])


def test_time_past_last_observation_is_not_estimable() -> None:
    km = ss.kaplan_meier(pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 0, 0]}), "t", "e")
    (late,) = km.curves[0].at([10])
    assert late.survival is None
    assert late.n_risk == 0
    assert not late.estimable


def test_curve_that_reached_zero_stays_zero() -> None:
    km = ss.kaplan_meier(pd.DataFrame({"t": [1.0, 2.0], "e": [1, 1]}), "t", "e")
    (late,) = km.curves[0].at([10])
    assert late.survival == 0.0


def test_deaths_and_censorings_at_the_same_time() -> None:
    # 4 at risk at t=2: 1 death and 1 censoring there; censored subjects count at risk.
    km = ss.kaplan_meier(pd.DataFrame({"t": [1, 2, 2, 3], "e": [0, 1, 0, 1]}), "t", "e")
    curve = km.curves[0]
    assert curve.time.tolist() == [1, 2, 3]
    assert curve.n_risk.tolist() == [4, 3, 1]
    assert curve.survival.tolist() == pytest.approx([1, 2 / 3, 0])


def test_near_tied_times_are_merged_like_r() -> None:
    counts = count_table([1.0, 1.0 + 1e-10, 2.0], [1, 1, 0])
    assert counts.time.tolist() == [1.0, 2.0]
    assert counts.n_event.tolist() == [2, 0]
    assert counts.ties_merged == 1


def test_months_conversion_does_not_split_ties() -> None:
    days = np.array([30, 30, 61, 91, 91, 120])
    months = days / 30.4375
    assert count_table(months * 3 / 3, np.ones(6)).time.size == 4


times = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40),
        st.booleans(),
        st.sampled_from(["a", "b", "c"]),
    ),
    min_size=1,
    max_size=60,
)


def _frame(rows: list[tuple[int, bool, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["t", "e", "g"]).astype({"t": float, "e": int})


@settings(max_examples=60, deadline=None)
@given(times)
def test_survival_is_a_probability_and_never_rises(rows: list[tuple[int, bool, str]]) -> None:
    km = ss.kaplan_meier(_frame(rows), "t", "e", "g")
    for curve in km:
        assert_valid_curve(curve.survival)
        lo, hi = curve.ci_lower, curve.ci_upper
        ok = np.isfinite(lo)
        assert np.all(lo[ok] <= curve.survival[ok] + 1e-12)
        assert np.all(hi[ok] >= curve.survival[ok] - 1e-12)


@settings(max_examples=40, deadline=None)
@given(times, st.randoms(use_true_random=False), st.sampled_from([0.5, 7.0, 30.4375]))
def test_invariant_to_row_order_time_scale_and_labels(
    rows: list[tuple[int, bool, str]], rnd: Any, scale: float
) -> None:
    frame = _frame(rows)
    base = ss.kaplan_meier(frame, "t", "e", "g")
    shuffled = frame.sample(frac=1, random_state=rnd.randint(0, 10**6))
    shuffled = shuffled.assign(t=shuffled.t * scale, g=shuffled.g.map({"a": "x", "b": "y",
                                                                        "c": "z"}))
    other = ss.kaplan_meier(shuffled, "t", "e", "g")
    for curve in base:
        twin = other[{"a": "x", "b": "y", "c": "z"}[curve.label]]
        np.testing.assert_allclose(twin.survival, curve.survival, rtol=1e-12)
        np.testing.assert_allclose(twin.time, curve.time * scale, rtol=1e-12)
        np.testing.assert_allclose(twin.se_log, curve.se_log, rtol=1e-12)
        m1, m2 = curve.median.estimate, twin.median.estimate
        assert (m1 is None and m2 is None) or m2 == pytest.approx(m1 * scale)


def test_counts_and_km_from_arrays_equal_duckdb_engine(seed_cohort: Any) -> None:
    frame = pd.read_csv(seed_cohort)
    from_file = ss.survival_counts(seed_cohort, "survival_months", "died", "group")
    from_arrays = count_table(frame.survival_months, frame.died == 1, frame.group)
    assert from_file.groups == from_arrays.groups
    for a, b in zip(from_file, from_arrays, strict=True):
        np.testing.assert_array_equal(a.time, b.time)
        np.testing.assert_array_equal(a.n_event, b.n_event)
        np.testing.assert_array_equal(a.n_risk, b.n_risk)
    km = kaplan_meier_counts(from_arrays)
    assert km["solitary"].median.estimate == pytest.approx(57.9)
