"""``survstudy cox``: the JSON document, R parity through the CLI, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from survstudy.cli import _register, app
from tests.conftest import REFERENCE, close, load_reference

_register()
runner = CliRunner()
LUNG = REFERENCE / "lung.csv"
COX = {c["id"]: c for c in load_reference("cox_reference.json")["cases"]}


def run(*args: Any) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def cox_json(*args: Any) -> dict[str, Any]:
    result = run("cox", *args, "--json")
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_lung_json_shape_and_values() -> None:
    out = cox_json(LUNG, "--time", "time", "--event", "status=2", "--covariates", "age,sex,ph.ecog")
    assert {
        "n",
        "events",
        "ties",
        "method",
        "coefficients",
        "loglik",
        "tests",
        "excluded",
        "concordance",
        "convergence",
        "warnings",
    } <= set(out)
    assert (out["n"], out["events"], out["ties"], out["method"]) == (227, 164, "efron", "cox")
    assert out["excluded"]["rows"] == 1
    ref = COX["lung-efron"]
    for got, want in zip(out["coefficients"], ref["coefficients"], strict=True):
        assert got["term"] == want["term"]
        for key in ("coef", "se", "hr", "hr_ci", "p_value"):
            assert close(got[key], want[key])
    assert close(out["loglik"], ref["loglik"])
    for test in ("likelihood_ratio", "wald", "score"):
        assert set(out["tests"][test]) >= {"statistic", "df", "p_value"}
        assert close(out["tests"][test]["statistic"], ref["tests"][test]["statistic"])


def test_categorical_reference_strata_breslow_and_ph_test() -> None:
    ref = COX["veteran-celltype-squamous-breslow"]
    out = cox_json(
        REFERENCE / "veteran.csv",
        "--time",
        "time",
        "--event",
        "status=1",
        "--covariates",
        "trt,celltype,karno",
        "--categorical",
        "celltype",
        "--reference",
        "celltype=squamous",
        "--ties",
        "breslow",
        "--ph-test",
    )
    assert [t["term"] for t in out["coefficients"]] == [t["term"] for t in ref["coefficients"]]
    assert close([t["coef"] for t in out["coefficients"]], [t["coef"] for t in ref["coefficients"]])
    assert close([t["chisq"] for t in out["ph_test"]["tests"]], ref["zph"]["chisq"])
    strat = cox_json(
        LUNG,
        "--time",
        "time",
        "--event",
        "status=2",
        "--covariates",
        "age,ph.ecog,wt.loss",
        "--categorical",
        "ph.ecog",
        "--strata",
        "sex",
    )
    assert strat["strata"] == "sex"
    assert close(strat["loglik"], COX["lung-ecog-factor-strata-sex"]["loglik"])


def test_firth_and_monotone_text(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    pd.DataFrame(load_reference("cox_firth.json")["separation"]).to_csv(path, index=False)
    plain = run("cox", path, "--time", "time", "--event", "event", "--covariates", "group,age")
    assert plain.exit_code == 0, plain.output
    assert "not estimable" in plain.stdout
    assert "monotone likelihood" in plain.stdout
    assert "--firth" in plain.stdout
    out = cox_json(
        path, "--time", "time", "--event", "event", "--covariates", "group,age", "--firth"
    )
    assert out["method"] == "firth"
    assert out["coefficients"][0]["hr_ci"][1] is not None
    assert out["monotone_likelihood"] == ["group"]
    text = run(
        "cox", path, "--time", "time", "--event", "event", "--covariates", "group", "--firth"
    )
    assert "profile penalized likelihood" in text.stdout


def test_bad_input_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = run("cox", LUNG, "--time", "time", "--event", "status=2", "--covariates", "age,sexx")
    assert bad.exit_code == 2
    assert "did you mean 'sex'" in bad.output
    assert "Traceback" not in bad.output
    ties = run(
        "cox",
        LUNG,
        "--time",
        "time",
        "--event",
        "status=2",
        "--covariates",
        "age",
        "--ties",
        "exact",
    )
    assert ties.exit_code == 2
    assert "--ties" in ties.output
    path = tmp_path / "const.csv"
    pd.DataFrame(
        {"t": [1, 2, 3, 4], "d": [1, 0, 1, 1], "sex": [1, 1, 1, 1], "age": [50, 60, 55, 70]}
    ).to_csv(path, index=False)
    const = run("cox", path, "--time", "t", "--event", "d", "--covariates", "age,sex")
    assert const.exit_code == 2
    assert "column 'sex'" in const.output
    assert "single value" in const.output
