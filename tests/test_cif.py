"""Cumulative incidence and Gray's test: R cmprsk parity, hand-worked cases, properties."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survstudy as ss
from survstudy.engine.cause_counts import cause_count_table
from survstudy.engine.counts import count_table
from survstudy.stats.survival.cif import (
    cumulative_incidence_counts,
    gray_test_counts,
    incidence_interval,
)
from survstudy.stats.survival.km import kaplan_meier_counts
from tests.conftest import REFERENCE, close, load_reference

CASES = {c["id"]: c for c in load_reference("competing_cases.json")}
REFS = load_reference("competing_reference.json")
EXTRA = load_reference("competing_extra.json")


def spec(e: dict[str, Any]) -> str:
    return e["column"] + "=" + ",".join(e["values"])


@pytest.mark.parametrize("ref", REFS, ids=[r["id"] for r in REFS])
def test_cmprsk_reference_through_the_api(ref: dict[str, Any]) -> None:
    case = CASES[ref["id"]]
    path = REFERENCE / case["data"]
    result = ss.cumulative_incidence(path, case["time"], spec(case["event"]),
                                     spec(case["competing"]), by=case.get("group"))
    got = {g["group"]: g for g in result.summary(at=case["at"])}
    for rg in ref["groups"]:
        g = got[rg["group"]]
        assert (g["n"], g["events"], g["competing"]) == (rg["n"], rg["events"], rg["competing"])
        for a, ra in zip(g["at"], rg["at"], strict=True):
            assert close(a["cif"], ra["cif"])
            assert close(a["std_err"], ra["std_err"])
            # competing_reference.json (tidycmprsk's labelling) has the bounds swapped:
            # F^exp(+z se/(F log F)) is the UPPER bound because log F < 0. Ours are in order.
            assert close(a["ci_lower"], ra["ci_upper"])
            assert close(a["ci_upper"], ra["ci_lower"])
            if a["cif"] is not None and a["ci_lower"] is not None:
                assert a["ci_lower"] <= a["cif"] <= a["ci_upper"]
    if "test" in ref:
        test = ss.gray_test(path, case["time"], spec(case["event"]), spec(case["competing"]),
                            case["group"])
        assert close(test.statistic, ref["test"]["statistic"])
        assert close(test.p_value, ref["test"]["p_value"])
        assert test.df == ref["test"]["df"]


PBC = REFERENCE / "pbc.csv"


@pytest.mark.parametrize(
    ("event", "competing", "key", "kwargs"),
    [
        ("status=1", "status=2", "gray_strata_sex", {"strata": "sex"}),
        ("status=2", "status=1", "gray_strata_sex_death", {"strata": "sex"}),
        ("status=1", "status=2", "gray_rho1", {"rho": 1.0}),
        ("status=2", "status=1", "gray_rho1_death", {"rho": 1.0}),
    ],
)
def test_gray_strata_and_rho_match_cmprsk(
    event: str, competing: str, key: str, kwargs: dict[str, Any]
) -> None:
    test = ss.gray_test(PBC, "time", event, competing, "trt", **kwargs)
    assert close(test.statistic, EXTRA[key]["statistic"])
    assert close(test.p_value, EXTRA[key]["p_value"])


def table(rows: list[tuple[float, int]] | list[tuple[float, int, str]]) -> Any:
    data = np.array(rows, dtype=object)
    group = data[:, 2].astype(str) if data.shape[1] > 2 else None
    return cause_count_table(data[:, 0].astype(float), data[:, 1].astype(int), group)


def test_hand_case_with_ties_of_both_causes_matches_cmprsk() -> None:
    hand = EXTRA["hand"]
    time = [1, 2, 2, 2, 2, 3, 4, 4, 5, 6, 6, 7]
    status = [1, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]
    for cause, key in ((1, "1"), (2, "2")):
        code = np.where(np.array(status) == cause, 1, np.where(np.array(status) == 0, 0, 2))
        curve = cumulative_incidence_counts(cause_count_table(time, code)).curves[0]
        at = curve.at(hand["times"])
        assert close([a.cif for a in at], hand[f"cif{key}"])
        assert close([a.std_err**2 for a in at if a.std_err is not None], hand[f"var{key}"])


def test_ties_of_both_causes_at_one_time_by_hand() -> None:
    # t=1: 4 at risk, one event, one competing event, one censored; t=2: the last one fails.
    # F(1) = 1/4; F(2) = 1/4 + S(1) * 1/1 = 1/4 + 1/2. cinc's sums: at t=1 v1 = 10/64,
    # v2 = 1/4, v3 = 1/2, so V = v1 + F^2 v3 - 2 F v2 = 1/16; at t=2 the event adds
    # S(1)^2 = 1/4 to v1 only (no one left): V = 26/64 + (9/16)(1/2) - 2 (3/4)(1/4) = 5/16.
    curve = cumulative_incidence_counts(table([(1, 1), (1, 2), (1, 0), (2, 1)])).curves[0]
    assert curve.cif.tolist() == [0.25, 0.75]
    assert np.allclose(curve.variance, [1 / 16, 5 / 16], rtol=0, atol=1e-15)
    assert curve.n_event.tolist() == [1, 1]
    assert curve.n_competing.tolist() == [1, 0]


def test_one_cause_only_is_one_minus_kaplan_meier() -> None:
    time = [2, 3, 3, 5, 7, 8, 8, 8, 11, 12]
    event = [1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
    cif = cumulative_incidence_counts(cause_count_table(time, event)).curves[0]
    km = kaplan_meier_counts(count_table(time, np.array(event, dtype=bool))).curves[0]
    assert np.allclose(cif.cif, 1 - km.survival, rtol=0, atol=1e-15)


def test_all_censored_gives_zero_incidence_without_interval() -> None:
    curve = cumulative_incidence_counts(table([(1, 0), (2, 0), (4, 0)])).curves[0]
    at = curve.at([0, 1.5, 4, 5])
    assert [a.cif for a in at] == [0.0, 0.0, 0.0, None]
    assert [a.std_err for a in at] == [0.0, 0.0, 0.0, None]
    assert all(a.ci_lower is None and a.ci_upper is None for a in at)


def test_a_group_without_events() -> None:
    counts = table([(1, 1, "a"), (2, 2, "a"), (3, 1, "a"), (4, 0, "a"),
                    (1, 0, "b"), (2, 2, "b"), (5, 0, "b")])
    result = cumulative_incidence_counts(counts)
    b = result["b"]
    assert b.events == 0
    assert b.competing == 1
    assert [a.cif for a in b.at([1, 5, 6])] == [0.0, 0.0, None]
    test = gray_test_counts(counts)
    assert test.df == 1
    assert test.statistic is not None
    assert test.statistic > 0


def test_a_single_patient_matches_cmprsk() -> None:
    # R: timepoints(cuminc(3, 1), c(1, 3)) gives est 0, 1 and var 0, 1
    curve = cumulative_incidence_counts(table([(3, 1)])).curves[0]
    at = curve.at([1, 3, 4])
    assert [a.cif for a in at] == [0.0, 1.0, None]
    assert [a.std_err for a in at] == [0.0, 1.0, None]
    assert at[1].ci_lower is None  # log(-log) is undefined at F = 1


def test_interval_is_in_order_and_contains_the_estimate() -> None:
    f = np.array([0.01, 0.2, 0.5, 0.9])
    lower, upper = incidence_interval(f, np.array([0.005, 0.05, 0.1, 0.05]))
    assert np.all(lower < f)
    assert np.all(f < upper)
    assert np.all(upper < 1)


def test_results_are_frozen_and_convert() -> None:
    result = ss.cumulative_incidence(PBC, "time", "status=2", "status=1", by="trt")
    frame = result.to_frame()
    assert set(frame["group"]) == {"1", "2"}
    assert {"cif", "std_err", "ci_lower", "ci_upper", "n_risk"} <= set(frame.columns)
    assert result.to_dict()["excluded"] == {"rows": 106}
    with pytest.raises(AttributeError):
        result.conf_level = 0.9  # type: ignore[misc]
    test = ss.gray_test(PBC, "time", "status=2", "status=1", "trt")
    assert test.to_frame().loc[0, "method"] == "gray"


def test_frame_input_and_a_competing_event_in_its_own_column() -> None:
    frame = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "recur": [1, 0, 1, 0, 0, 1],
                          "died": [0, 1, 0, 0, 1, 0]})
    two = ss.cumulative_incidence(frame, "t", "recur", "died").curves[0]
    status = np.where(frame.recur == 1, 1, np.where(frame.died == 1, 2, 0))
    one = cumulative_incidence_counts(cause_count_table(frame.t, status)).curves[0]
    assert np.array_equal(two.cif, one.cif)
    assert np.array_equal(two.variance, one.variance)
    both = frame.assign(died=[1, 1, 0, 0, 1, 0])
    with pytest.raises(ss.InputError, match="both the event"):
        ss.cumulative_incidence(both, "t", "recur", "died")


rows = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 2), st.sampled_from(["a", "b"])),
    min_size=1, max_size=40,
)


def _cif(data: list[tuple[int, int, str]], cause: int, scale: float = 1.0,
         order: list[int] | None = None) -> Any:
    d = [data[i] for i in order] if order is not None else data
    t = np.array([r[0] for r in d], dtype=float) * scale
    c = np.array([r[1] for r in d])
    code = np.where(c == cause, 1, np.where(c == 0, 0, 2))
    return cause_count_table(t, code, np.array([r[2] for r in d]))


@settings(max_examples=150, deadline=None)
@given(rows)
def test_property_causes_add_up_to_one_minus_km(data: list[tuple[int, int, str]]) -> None:
    f1 = cumulative_incidence_counts(_cif(data, 1))
    f2 = cumulative_incidence_counts(_cif(data, 2))
    t = np.array([r[0] for r in data], dtype=float)
    km = kaplan_meier_counts(count_table(t, np.array([r[1] > 0 for r in data]),
                                         np.array([r[2] for r in data])))
    for c1, c2, k in zip(f1, f2, km, strict=True):
        assert np.allclose(c1.cif + c2.cif, 1 - k.survival, rtol=0, atol=1e-12)
        for c in (c1, c2):
            assert np.all(np.diff(c.cif) >= -1e-15)
            assert np.all((c.cif >= 0) & (c.cif <= 1 + 1e-12))
            lo, hi = c.ci_lower, c.ci_upper
            ok = np.isfinite(lo)
            assert np.all(lo[ok] <= c.cif[ok] + 1e-12)
            assert np.all(c.cif[ok] <= hi[ok] + 1e-12)


@settings(max_examples=100, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_property_row_order_and_time_unit(data: list[tuple[int, int, str]], rnd: Any) -> None:
    order = list(range(len(data)))
    rnd.shuffle(order)
    base = cumulative_incidence_counts(_cif(data, 1))
    for counts, scale in ((_cif(data, 1, order=order), 1.0), (_cif(data, 1, scale=7.0), 7.0)):
        other = cumulative_incidence_counts(counts)
        for a, b in zip(base, other, strict=True):
            assert np.array_equal(a.time * scale, b.time)
            assert np.allclose(a.cif, b.cif, rtol=1e-13, atol=0)
            assert np.allclose(a.variance, b.variance, rtol=1e-12, atol=1e-15)
        if len(base) == 2:
            t1, t2 = gray_test_counts(base.counts), gray_test_counts(counts)
            if t1.statistic is None:
                assert t2.statistic is None
            else:
                assert t2.statistic is not None
                assert np.isclose(t1.statistic, t2.statistic, rtol=1e-9, atol=1e-12)
