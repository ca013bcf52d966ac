"""Fine-Gray regression (cmprsk crr parity) and cause-specific Cox through the Cox model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survstudy as ss
from survstudy.stats.regression.finegray import fine_gray_fit
from tests.conftest import REFERENCE, close, load_reference

PBC = REFERENCE / "pbc.csv"
TIES = REFERENCE / "ties_competing.csv"
EXTRA = load_reference("competing_extra.json")
REF = {r["id"]: r for r in load_reference("competing_reference.json")}


def test_pbc_matches_cmprsk_crr() -> None:
    want = REF["pbc-death-by-trt"]["fine_gray"]
    fit = ss.fine_gray(PBC, "time", "status=2", "status=1", ["age", "albumin", "bili", "edema"])
    assert fit.n == want["n"]
    assert fit.converged is want["converged"]
    assert (fit.events, fit.competing) == (161, 25)
    for term, rt in zip(fit.to_dict()["coefficients"], want["coefficients"], strict=True):
        assert term["term"] == rt["term"]
        for key in ("coef", "se", "hr", "hr_ci", "p_value"):
            assert close(term[key], rt[key]), (term["term"], key, term[key], rt[key])


def test_factor_covariates_are_dummy_coded_as_cox() -> None:
    want = EXTRA["fg_factors"]
    fit = ss.fine_gray(PBC, "time", "status=2", "status=1", ["age", "sex", "stage"],
                       categorical=["sex", "stage"])
    assert fit.n == want["n"]
    assert fit.excluded == 6
    assert fit.excluded_by == {"stage": 6}
    assert [t.term for t in fit.terms] == want["terms"]
    assert close([t.coef for t in fit.terms], want["coef"])
    assert close([t.se for t in fit.terms], want["se"])
    assert fit.reference == {"sex": "f", "stage": "1"}


@pytest.mark.parametrize(
    ("data", "kwargs", "key"),
    [
        (TIES, {"time": "week", "event": "status=1", "competing": "status=2"}, "fg_ties"),
        (
            pd.DataFrame({"t": [1, 2, 2, 2, 2, 3, 4, 4, 5, 6, 6, 7],
                          "s": [1, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
                          "x": [0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1]}),
            {"time": "t", "event": "s=1", "competing": "s=2"},
            "hand_fg",
        ),
    ],
)
def test_ties_between_causes_and_censoring_match_crr(
    data: Any, kwargs: dict[str, str], key: str
) -> None:
    covariate = "group" if key == "fg_ties" else "x"
    fit = ss.fine_gray(data, covariates=[covariate],
                       categorical=[covariate] if key == "fg_ties" else [], **kwargs)
    assert close([t.coef for t in fit.terms], EXTRA[key]["coef"])
    assert close([t.se for t in fit.terms], EXTRA[key]["se"])


def test_cause_specific_cox_is_cox_with_competing_events_censored() -> None:
    cs = ss.cause_specific_cox(PBC, "time", "status=2", "status=1", ["age", "bili"])
    cox = ss.cox_regression(PBC, "time", "status=2", ["age", "bili"])
    assert np.array_equal(cs.coef, cox.coef)
    assert cs.events == 161
    with pytest.raises(ValueError, match="both as the event"):
        ss.cause_specific_cox(PBC, "time", "status=1,2", "status=1", ["age"])


def test_results_convert_and_record_choices() -> None:
    fit = ss.fine_gray(PBC, "time", "status=2", "status=1", ["age"])
    d = fit.to_dict()
    assert {"n", "events", "competing", "coefficients", "converged"} <= set(d)
    assert "sandwich" in d["variance_method"]
    assert "just before" in d["censoring_weights"]
    assert list(fit.to_frame().columns)[:3] == ["term", "covariate", "coef"]


def test_bad_competing_codes_and_conflicting_causes() -> None:
    frame = pd.DataFrame({"t": [1, 2, 3, 4], "recur": [1, 0, 1, 0], "died": [0, 1, 1, 0],
                          "x": [0.1, 0.5, 0.2, 0.9]})
    with pytest.raises(ss.InputError, match="both the event"):
        ss.fine_gray(frame, "t", "recur", "died", ["x"])
    with pytest.raises(ss.InputError, match="competing event value"):
        ss.fine_gray(frame.assign(died=["0", "1", "maybe", "0"]), "t", "recur", "died", ["x"])


data = st.lists(st.tuples(st.integers(1, 15), st.integers(0, 2), st.floats(-2, 2)),
                min_size=12, max_size=40)


@settings(max_examples=40, deadline=None)
@given(data, st.randoms(use_true_random=False))
def test_property_row_order_and_time_unit(rows: list[tuple[int, int, float]], rnd: Any) -> None:
    t = np.array([r[0] for r in rows], dtype=float)
    c = np.array([r[1] for r in rows])
    x = np.array([[r[2]] for r in rows])
    if (c == 1).sum() < 2 or np.ptp(x) < 0.5:
        return
    base = fine_gray_fit(t, c, x, ("x",), ("x",))
    if not base.converged or not np.isfinite(base.coef).all():
        return
    order = np.array(rnd.sample(range(t.size), t.size))
    shuffled = fine_gray_fit(t[order], c[order], x[order], ("x",), ("x",))
    scaled = fine_gray_fit(t * 30.0, c, x, ("x",), ("x",))
    for other in (shuffled, scaled):
        assert np.allclose(other.coef, base.coef, rtol=1e-8, atol=1e-10)
        assert np.allclose(other.covariance, base.covariance, rtol=1e-7, atol=1e-12)
