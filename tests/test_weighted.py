"""Case weights in Kaplan-Meier and Cox: R parity, weights of 1, duplicated rows, row order."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from survstudy.api.regression import cox_regression
from survstudy.api.survival import kaplan_meier
from survstudy.cli import _register, app
from survstudy.errors import InputError
from survstudy.stats.survival.weighted_km import weighted_kaplan_meier
from tests.conftest import REFERENCE, close, load_reference

_register()
runner = CliRunner()
REF = load_reference("weighted_reference.json")
AT = [100, 200, 300, 500, 800]


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    d = pd.read_csv(REFERENCE / "lung.csv")
    row = np.arange(1, len(d) + 1)
    return d.assign(w=0.5 + (row % 7) / 3, v=1 + (row % 3), one=1.0)


@pytest.mark.parametrize("ref", REF["km"], ids=lambda r: r["weights"])
def test_weighted_km_matches_r(lung: pd.DataFrame, ref: dict[str, Any]) -> None:
    km = kaplan_meier(lung, "time", "status=2", "sex", conf_type="log", weights=ref["weights"])
    assert km.variance == ("infinitesimal jackknife" if ref["weights"] == "w" else "greenwood")
    got = [a for g in ("1", "2") for a in km[g].at(AT)]
    assert close([a.survival for a in got], ref["survival"], 1e-9)
    assert close([a.std_err for a in got], ref["std_err"], 1e-9)
    assert close([a.n_risk for a in got], ref["n_risk"], 1e-9)
    assert close([a.ci_lower for a in got], ref["lower"], 1e-9)
    assert close([a.ci_upper for a in got], ref["upper"], 1e-9)


@pytest.mark.parametrize(
    "ref", REF["cox"], ids=lambda r: f"{r['weights']}-{r['ties']}-{r['strata']}-{r['robust']}"
)
def test_weighted_cox_matches_r(lung: pd.DataFrame, ref: dict[str, Any]) -> None:
    covs = ["age", "ph.ecog"] if ref["strata"] else ["age", "sex", "ph.ecog"]
    fit = cox_regression(
        lung, "time", "status=2", covs, strata="sex" if ref["strata"] else None,
        ties=ref["ties"], weights=ref["weights"], robust=ref["robust"],
    )  # fmt: skip
    assert close(list(fit.coef), ref["coef"], 1e-8)
    assert close([t.se for t in fit.terms], ref["se"], 1e-7)
    assert close(list(fit.loglik), ref["loglik"], 1e-9)
    assert close(fit.tests["score"].statistic, ref["score"], 1e-8)
    robust = fit.tests.get("robust_score")
    assert close(None if robust is None else robust.statistic, ref["rscore"], 1e-8)
    assert fit.variance == ("robust" if ref["rscore"] is not None else "model-based")


def test_weights_of_one_reproduce_unweighted_km_exactly(lung: pd.DataFrame) -> None:
    plain = kaplan_meier(lung, "time", "status=2", "sex")
    ones = kaplan_meier(lung, "time", "status=2", "sex", weights="one")
    assert ones.variance == "greenwood"
    for a, b in zip(plain, ones, strict=True):
        for name in ("time", "n_risk", "n_event", "survival", "se_log", "ci_lower", "ci_upper"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name


def test_weights_of_one_reproduce_unweighted_cox_exactly(lung: pd.DataFrame) -> None:
    covs = ["age", "sex", "ph.ecog"]
    for ties in ("efron", "breslow"):
        plain = cox_regression(lung, "time", "status=2", covs, ties=ties)
        ones = cox_regression(lung, "time", "status=2", covs, ties=ties, weights="one")
        assert ones.terms == plain.terms
        assert ones.loglik == plain.loglik
        assert ones.tests == plain.tests


def test_weighted_kernel_with_unit_weights_agrees_with_unweighted(lung: pd.DataFrame) -> None:
    """The weighted branch of the kernel itself (not short-cut) at weights of 1."""
    from survstudy.api.regression import model_data
    from survstudy.stats.regression.cox import evaluate, risk_sets

    md = model_data(lung, "time", "status=2", ["age", "sex", "ph.ecog"])
    x, beta = md.design.matrix, np.array([0.01, -0.5, 0.4])
    for ties in ("efron", "breslow"):
        a = evaluate(risk_sets(x, md.time, md.event, None, ties), beta)  # type: ignore[arg-type]
        b = evaluate(risk_sets(x, md.time, md.event, None, ties, np.ones(md.n)), beta)  # type: ignore[arg-type]
        assert b.loglik == pytest.approx(a.loglik, rel=1e-13)
        np.testing.assert_allclose(b.score, a.score, rtol=1e-11, atol=1e-11)
        np.testing.assert_allclose(b.information, a.information, rtol=1e-12)


def test_integer_weights_equal_duplicated_rows(lung: pd.DataFrame) -> None:
    dup = lung.loc[lung.index.repeat(lung["v"].to_numpy())]
    km_w = kaplan_meier(lung, "time", "status=2", "sex", weights="v")
    km_d = kaplan_meier(dup, "time", "status=2", "sex")
    for a, b in zip(km_w, km_d, strict=True):
        np.testing.assert_allclose(a.survival, b.survival, rtol=1e-13)
        np.testing.assert_allclose(a.n_risk, b.n_risk, rtol=1e-13)
        np.testing.assert_allclose(a.se_log, b.se_log, rtol=1e-12)
    covs = ["age", "sex", "ph.ecog"]
    # Breslow only: duplicating a death creates tied deaths, which Efron's approximation
    # treats differently from one weighted death (R's coxph behaves the same way)
    cw = cox_regression(lung, "time", "status=2", covs, ties="breslow", weights="v")
    cd = cox_regression(dup, "time", "status=2", covs, ties="breslow")
    np.testing.assert_allclose(cw.coef, cd.coef, rtol=1e-9)
    np.testing.assert_allclose(cw.loglik, cd.loglik, rtol=1e-12)
    np.testing.assert_allclose([t.se for t in cw.terms], [t.se for t in cd.terms], rtol=1e-8)


def test_row_order_does_not_matter(lung: pd.DataFrame) -> None:
    shuffled = lung.sample(frac=1.0, random_state=7)
    a = kaplan_meier(lung, "time", "status=2", "sex", weights="w")
    b = kaplan_meier(shuffled, "time", "status=2", "sex", weights="w")
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x.survival, y.survival, rtol=1e-13)
        np.testing.assert_allclose(x.se_log, y.se_log, rtol=1e-11)
    ca = cox_regression(lung, "time", "status=2", ["age", "sex"], weights="w")
    cb = cox_regression(shuffled, "time", "status=2", ["age", "sex"], weights="w")
    np.testing.assert_allclose(ca.coef, cb.coef, rtol=1e-10)
    np.testing.assert_allclose(ca.covariance, cb.covariance, rtol=1e-8)


@settings(deadline=None, max_examples=60)  # each example refits the curve 2n times
@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.booleans(), st.floats(0.2, 3.0)), min_size=3, max_size=14
    )
)
def test_ij_variance_is_the_sum_of_squared_weighted_derivatives(
    rows: list[tuple[int, bool, float]],
) -> None:
    """IJ variance of S(t) against numerical derivatives of S(t) in each weight."""
    t = np.array([r[0] for r in rows], dtype=float)
    e = np.array([r[1] for r in rows])
    w = np.array([r[2] for r in rows])
    km = weighted_kaplan_meier(t, e, w, variance="infinitesimal jackknife")
    if not len(km):
        return
    curve = km.curves[0]
    h = 1e-6
    grads = []
    for i in range(w.size):
        up, down = w.copy(), w.copy()
        up[i] += h
        down[i] -= h
        s_up = weighted_kaplan_meier(t, e, up, variance="greenwood").curves[0].survival
        s_down = weighted_kaplan_meier(t, e, down, variance="greenwood").curves[0].survival
        grads.append(w[i] * (s_up - s_down) / (2 * h))
    var = (np.array(grads) ** 2).sum(axis=0)
    ok = curve.survival > 0
    np.testing.assert_allclose(
        (curve.survival * curve.se_log)[ok] ** 2, var[ok], rtol=1e-5, atol=1e-10
    )


def test_bad_weights_name_row_and_column(lung: pd.DataFrame) -> None:
    bad = lung.assign(w=lung["w"].astype(object))
    bad.loc[3, "w"] = -1.0
    bad.loc[5, "w"] = "heavy"
    with pytest.raises(InputError) as e:
        cox_regression(bad, "time", "status=2", ["age"], weights="w")
    text = str(e.value)
    assert "row 4, column 'w', value '-1.0'" in text
    assert "row 6, column 'w', value 'heavy'" in text


def test_missing_weight_is_left_out_and_counted(lung: pd.DataFrame) -> None:
    d = lung.assign(w=lung["w"].where(lung.index != 0))
    fit = cox_regression(d, "time", "status=2", ["age"], weights="w")
    assert fit.to_dict()["excluded"]["by_column"]["w"] == 1


def test_cli_weights(tmp_path: Any, lung: pd.DataFrame) -> None:
    path = tmp_path / "lung.csv"
    lung.to_csv(path, index=False)
    out = runner.invoke(app, ["km", str(path), "--time", "time", "--event", "status=2",
                              "--group", "sex", "--at", "100,300", "--weights", "w",
                              "--conf-type", "log", "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["variance"] == "infinitesimal jackknife"
    assert doc["weights"] == "w"
    assert doc["test"] is None
    ref = REF["km"][0]
    assert close(doc["groups"][0]["at"][0]["std_err"], ref["std_err"][0], 1e-9)
    out = runner.invoke(app, ["cox", str(path), "--time", "time", "--event", "status=2",
                              "--covariates", "age,sex,ph.ecog", "--weights", "w",
                              "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["variance"] == "robust"
    assert "robust_score" in doc["tests"]
    assert close([t["se"] for t in doc["coefficients"]], REF["cox"][0]["se"], 1e-7)
    text = runner.invoke(app, ["cox", str(path), "--time", "time", "--event", "status=2",
                               "--covariates", "age", "--weights", "w"])  # fmt: skip
    assert "case weights: 'w'; variance: robust" in text.stdout
