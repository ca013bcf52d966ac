"""Types from the study file in every analysis; coded categories flagged in the Python API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survstudy.api.regression import cox_regression
from survstudy.study.analysis import _prognostic
from survstudy.study.load import load_study


def _cohort(n: int = 120, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    grade = rng.integers(1, 4, n)
    return pd.DataFrame({
        "pid": np.arange(1, n + 1),
        "months": np.round(rng.exponential(30 / grade), 2) + 0.1,
        "died": rng.integers(0, 2, n),
        "grade": grade,
        "sex": rng.integers(0, 2, n),
        "stage": rng.choice([0, 2], n),
        "age": np.round(rng.normal(60, 10, n), 1),
    })


def _coded(result_warnings: tuple[object, ...]) -> list[str]:
    return [str(w) for w in result_warnings if "distinct whole values" in str(w)]


def test_numeric_codes_get_a_warning() -> None:
    data = _cohort()
    fit = cox_regression(data, "months", "died", ["grade", "sex", "stage", "age"])
    warned = _coded(fit.warnings)
    assert len(warned) == 2, warned  # grade 1/2/3 and stage 0/2; not sex 0/1, not age
    assert "'grade' has only 3 distinct whole values (1, 2, 3)" in warned[0]
    assert "categorical=['grade']" in warned[0]
    assert "'stage'" in warned[1]
    assert fit.to_dict()["warnings"]  # on the result as data, not only as text
    declared = cox_regression(data, "months", "died", ["grade", "sex", "stage", "age"],
                              categorical=["grade", "stage"])
    assert _coded(declared.warnings) == []
    grade = [t.term for t in declared.terms if t.covariate == "grade"]
    assert grade == ["grade[T.2]", "grade[T.3]"]


def test_six_values_are_a_number() -> None:
    data = _cohort()
    data["score"] = np.arange(len(data)) % 6
    fit = cox_regression(data, "months", "died", ["score"])
    assert _coded(fit.warnings) == []


@pytest.mark.parametrize("declared", [True, False])
def test_study_file_type_is_used_by_the_report_cox(tmp_path: Path, declared: bool) -> None:
    _cohort().to_csv(tmp_path / "registry.csv", index=False)
    grade = '[variables.grade]\ntype = "categorical"\nlevels = ["1", "2", "3"]\n' if declared \
        else ""
    (tmp_path / "study.toml").write_text(f"""
[data]
source = "registry.csv"
id = "pid"

{grade}
[endpoints.os]
time = "months"
event = "died"
unit = "months"

[analysis]
endpoints = ["os"]
covariates = ["grade", "age"]

[report]
firth = "never"
""")
    tables = _prognostic(load_study(tmp_path / "study.toml"), "os")
    assert tables is not None
    terms = [(r.term, r.reference) for r in tables.multivariable if r.covariate == "grade"]
    if declared:
        assert terms == [("grade[T.2]", "1"), ("grade[T.3]", "1")]
    else:  # not declared: a number, as written
        assert terms == [("grade", None)]
