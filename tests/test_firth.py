"""Firth's penalized Cox regression against an independent R implementation (cox_firth.R)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.api.regression import cox_regression
from survstudy.stats.regression.cox import risk_sets
from survstudy.stats.regression.firth import penalized
from tests.conftest import REFERENCE, SEED_COHORT, close, load_reference

FIRTH = load_reference("cox_firth.json")


def _data(case_id: str) -> tuple[pd.DataFrame, str, str]:
    if case_id.startswith("separation"):
        return pd.DataFrame(FIRTH["separation"]), "time", "event"
    if case_id.startswith("seed"):
        seed = pd.read_csv(SEED_COHORT)
        seed["extrahepatic"] = (seed["group"] != "solitary").astype(float)
        return seed, "survival_months", "died"
    aml = pd.read_csv(REFERENCE / "aml.csv")
    aml["nonmaintained"] = (aml["x"] == "Nonmaintained").astype(float)
    return aml, "time", "status"


@pytest.mark.parametrize("case", FIRTH["cases"], ids=lambda c: c["id"])
def test_matches_independent_r_implementation(case: dict[str, Any]) -> None:
    frame, time, event = _data(case["id"])
    covariates = case["covariates"]
    covariates = [covariates] if isinstance(covariates, str) else covariates
    result = cox_regression(frame, time, event, covariates, ties=case["ties"], firth=True)
    want = case["res"]
    assert result.method == "firth"
    assert result.converged
    assert result.ci_method == "profile penalized likelihood"
    for got, ref in zip(result.terms, want["terms"], strict=True):
        for key in ("coef", "se", "hr", "hr_ci", "p_value"):
            value = getattr(got, key)
            assert close(list(value) if isinstance(value, tuple) else value, ref[key]), key
    assert close(list(result.loglik), want["loglik"])
    assert close(result.tests["likelihood_ratio"].statistic, want["likelihood_ratio"])
    assert close(result.tests["wald"].statistic, want["wald"])


def test_separation_gives_finite_estimates_and_says_why() -> None:
    frame = pd.DataFrame(FIRTH["separation"])
    result = cox_regression(frame, "time", "event", ["group", "age"], firth=True)
    assert result.monotone == ("group",)
    group = result.terms[0]
    assert group.coef is not None
    assert np.isfinite(group.coef)
    assert group.hr_ci is not None
    assert all(np.isfinite(group.hr_ci))
    assert any("Firth" in w.message for w in result.warnings)
    out = result.to_dict()
    assert out["method"] == "firth"
    assert out["p_value_method"] == "penalized likelihood ratio"


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000), n=st.integers(6, 25), ties=st.sampled_from(["efron", "breslow"])
)
def test_penalized_score_is_the_gradient(seed: int, n: int, ties: str) -> None:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    t = rng.integers(1, 6, n).astype(float)
    e = rng.random(n) < 0.7
    e[:2] = True
    x[0, 1], x[1, 1] = 0.0, 1.0
    rs = risk_sets(x, t, e, rng.integers(0, 2, n), ties)  # type: ignore[arg-type]
    beta = np.array([0.2, -0.3])
    at = penalized(rs, beta)
    if not np.isfinite(at.loglik) or np.linalg.cond(at.information) > 1e6:
        return  # a degenerate sample: the penalty is not smooth there
    h = 1e-6
    for k in range(2):
        step = np.eye(2)[k] * h
        numeric = (penalized(rs, beta + step).loglik - penalized(rs, beta - step).loglik) / 2 / h
        assert numeric == pytest.approx(at.score[k], abs=1e-5)
