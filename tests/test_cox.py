"""Cox regression against R's coxph (survival 3.5-3), hand-worked cases and properties."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.api.regression import cox_regression
from survstudy.stats.regression.cox import concordance, evaluate, risk_sets
from tests.conftest import REFERENCE, close, load_reference

COX = load_reference("cox_reference.json")


def _fit(case: dict[str, Any]) -> Any:
    return cox_regression(
        REFERENCE / case["data"],
        case["time"],
        case["event"],
        case["covariates"],
        categorical=case["categorical"],
        reference=case["reference"] or None,
        strata=case["strata"],
        ties=case["ties"],
    )


@pytest.mark.parametrize("case", COX["cases"], ids=lambda c: c["id"])
def test_matches_r_coxph(case: dict[str, Any]) -> None:
    out = _fit(case).to_dict()
    assert out["n"] == case["n"]
    assert out["events"] == case["events"]
    assert out["convergence"]["iterations"] == case["iterations"]
    terms = {t["term"]: t for t in out["coefficients"]}
    assert list(terms) == [t["term"] for t in case["coefficients"]]
    for want in case["coefficients"]:
        got = terms[want["term"]]
        for key in ("coef", "se", "hr", "hr_ci", "p_value"):
            assert close(got[key], want[key]), (want["term"], key, got[key], want[key])
    assert close(out["loglik"], case["loglik"])
    for test in ("likelihood_ratio", "wald", "score"):
        for key in ("statistic", "df", "p_value"):
            assert close(out["tests"][test][key], case["tests"][test][key]), (test, key)
    for key, want in case["concordance"].items():
        assert close(out["concordance"][key], want), key


def test_shared_reference_cases() -> None:
    """The public cases in reference.json (Wald statistic unrounded: tests/reference/README)."""
    cases = {c["id"]: c for c in load_reference("cases.json")}
    for ref in load_reference("reference.json"):
        if ref["kind"] != "cox":
            continue
        c = cases[ref["id"]]
        event = c["event"]["column"] + "=" + ",".join(map(str, c["event"]["values"]))
        out = cox_regression(
            REFERENCE / c["data"], c["time"], event, c["covariates"], ties=c["ties"]
        ).to_dict()
        terms = {t["term"]: t for t in out["coefficients"]}
        for want in ref["coefficients"]:
            for key in ("coef", "se", "hr", "hr_ci", "p_value"):
                assert close(terms[want["term"]][key], want[key])
        assert close(out["loglik"], ref["loglik"])
        for test in ("likelihood_ratio", "wald", "score"):
            assert close(out["tests"][test]["statistic"], ref["tests"][test]["statistic"])
            assert close(out["tests"][test]["p_value"], ref["tests"][test]["p_value"])


def test_validation_vignette_example() -> None:
    """R survival's validation data 1: Breslow beta = log((3 + sqrt(33)) / 2)."""
    valid = COX["validation"]
    frame = pd.DataFrame(valid["data"])
    breslow = cox_regression(frame, "time", "status", ["x"], ties="breslow")
    assert breslow.coef[0] == pytest.approx(math.log((3 + math.sqrt(33)) / 2), rel=1e-6)
    assert breslow.coef[0] == pytest.approx(1.475285, abs=1e-6)
    assert close(list(breslow.loglik), valid["breslow"]["loglik"])
    assert close(breslow.covariance[0, 0], valid["breslow"]["var"])
    efron = cox_regression(frame, "time", "status", ["x"])
    assert efron.coef[0] == pytest.approx(1.676857, abs=1e-6)
    assert close(float(efron.coef[0]), valid["efron"]["coef"])
    assert close(list(efron.loglik), valid["efron"]["loglik"])
    # by hand at beta = 0 (Breslow): deaths at 1 (6 at risk), 6 (two of 4), 9 (1 of 1)
    rs = risk_sets(
        frame[["x"]].to_numpy(float),
        frame["time"].to_numpy(float),
        frame["status"].to_numpy(bool),
        None,
        "breslow",
    )
    assert evaluate(rs, np.zeros(1)).loglik == pytest.approx(-math.log(6) - 2 * math.log(4))


def test_monotone_likelihood_is_said_plainly() -> None:
    ref = load_reference("cox_firth.json")
    frame = pd.DataFrame(ref["separation"])
    result = cox_regression(frame, "time", "event", ["group", "age"])
    assert result.monotone == ("group",)
    group = result.terms[0]
    assert group.infinite == 1
    assert group.hr_ci is None
    assert group.p_value is None
    assert group.coef is None
    assert any("monotone likelihood" in w.message and "Firth" in w.message for w in result.warnings)
    age = result.terms[1]
    assert age.infinite == 0
    assert age.hr_ci is not None


def test_no_nan_in_output() -> None:
    ref = load_reference("cox_firth.json")
    frame = pd.DataFrame(ref["separation"])
    out = cox_regression(frame, "time", "event", ["group", "age"]).to_dict()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, float):
            assert math.isfinite(v)

    walk(out)


def test_to_frame_and_immutability() -> None:
    result = _fit(COX["cases"][0])
    frame = result.to_frame()
    assert list(frame["term"]) == ["age", "sex", "ph.ecog"]
    with pytest.raises(AttributeError):
        result.n = 3  # type: ignore[misc]


def _random_data(seed: int, n: int, strata: bool) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    t = rng.integers(1, 6, n).astype(float)
    e = rng.random(n) < 0.7
    e[0] = True
    s = rng.integers(0, 2, n) if strata else np.zeros(n, dtype=int)
    return x, t, e, s


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(3, 30),
    strata=st.booleans(),
    ties=st.sampled_from(["efron", "breslow"]),
)
def test_derivatives_match_finite_differences(seed: int, n: int, strata: bool, ties: str) -> None:
    x, t, e, s = _random_data(seed, n, strata)
    rs = risk_sets(x, t, e, s, ties)  # type: ignore[arg-type]
    beta = np.array([0.3, -0.4])
    ev = evaluate(rs, beta)
    h = 1e-6
    for k in range(2):
        step = np.eye(2)[k] * h
        up, down = evaluate(rs, beta + step), evaluate(rs, beta - step)
        assert (up.loglik - down.loglik) / (2 * h) == pytest.approx(ev.score[k], abs=1e-6)
        np.testing.assert_allclose((down.score - up.score) / (2 * h), ev.information[k], atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30))
def test_row_order_and_shift_do_not_matter(seed: int, n: int) -> None:
    x, t, e, s = _random_data(seed, n, True)
    rs = risk_sets(x, t, e, s)
    perm = np.random.default_rng(seed).permutation(n)
    shifted = risk_sets(x[perm] + 5.0, t[perm], e[perm], s[perm])
    beta = np.array([0.2, 0.1])
    a, b = evaluate(rs, beta), evaluate(shifted, beta)
    np.testing.assert_allclose(a.score, b.score, atol=1e-9)
    np.testing.assert_allclose(a.information, b.information, atol=1e-9)


def _brute_concordance(t: np.ndarray, e: np.ndarray, x: np.ndarray, s: np.ndarray) -> tuple:
    conc = disc = tied = 0
    for i in np.flatnonzero(e):
        for j in range(t.size):
            if j == i or s[j] != s[i]:
                continue
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                conc += x[i] > x[j]
                disc += x[i] < x[j]
                tied += x[i] == x[j]
    return conc, disc, tied


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40))
def test_concordance_counts_pairs_like_brute_force(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 8, n).astype(float)
    e = rng.random(n) < 0.6
    e[0] = True
    x = rng.integers(0, 4, n).astype(float)
    s = rng.integers(0, 2, n)
    got = concordance(t, e, x, s)
    assert (got.concordant, got.discordant, got.tied_risk) == _brute_concordance(t, e, x, s)
    assert 0.0 <= got.concordance <= 1.0
