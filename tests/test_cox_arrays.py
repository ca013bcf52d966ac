"""The pandas-free path of a Cox model on a typed file gives the frame path's inputs exactly,
and hands every case it does not decide (problems, missing values) to the frame path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survstudy.api.regression import cox_regression, model_data
from survstudy.engine.events import EventSpec
from survstudy.errors import InputError
from survstudy.stats.regression.design_arrays import array_model_data


def _frame(n: int = 300, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "time": rng.exponential(10, n),
        "dead": rng.integers(0, 2, n),
        "status": rng.integers(0, 3, n),
        "flag": rng.random(n) < 0.6,
        "age": rng.normal(60, 10, n),
        "grade": rng.integers(1, 4, n),
        "female": rng.integers(0, 2, n).astype(float),
    })


def _same(frame: pd.DataFrame, tmp_path: Path, event: str, covariates: list[str]) -> None:
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, index=False)
    fast = model_data(path, "time", event, covariates)
    slow = model_data(frame, "time", event, covariates)
    np.testing.assert_array_equal(fast.time, slow.time)
    np.testing.assert_array_equal(fast.event, slow.event)
    np.testing.assert_array_equal(fast.design.matrix, slow.design.matrix)
    assert fast.design.matrix.flags.c_contiguous == slow.design.matrix.flags.c_contiguous
    assert (fast.design.terms, fast.n, fast.rows_read, fast.excluded, dict(fast.excluded_by)) == (
        slow.design.terms, slow.n, slow.rows_read, slow.excluded, dict(slow.excluded_by))
    assert [w.message for w in fast.warnings] == [w.message for w in slow.warnings]


@pytest.mark.parametrize(("event", "covariates"), [
    ("dead", ["age", "female"]),
    ("flag", ["age", "grade"]),  # boolean event; grade draws the 'coded' warning
    ("status=2", ["age", "female", "grade"]),
])
def test_fast_path_equals_frame_path(tmp_path: Path, event: str, covariates: list[str]) -> None:
    frame = _frame()
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, index=False)
    assert array_model_data(
        {c: frame[c].to_numpy() for c in frame}, "time", EventSpec.parse(event), covariates,
        source="d.parquet") is not None
    _same(frame, tmp_path, event, covariates)
    fit_fast = cox_regression(path, "time", event, covariates)
    fit_slow = cox_regression(frame, "time", event, covariates)
    np.testing.assert_array_equal(fit_fast.coef, fit_slow.coef)
    assert fit_fast.concordance == fit_slow.concordance


def test_undecided_cases_go_to_the_frame_path(tmp_path: Path) -> None:
    frame = _frame()
    frame.loc[[3, 7], "age"] = np.nan  # missing values: left out and counted by the frame path
    spec = EventSpec.parse("dead")
    arrays = {c: frame[c].to_numpy() for c in frame}
    assert array_model_data(arrays, "time", spec, ["age"], source="x") is None
    _same(frame, tmp_path, "dead", ["age", "female"])
    constant = _frame().assign(female=1.0)
    negative, unknown = _frame(), _frame()
    negative.loc[4, "time"] = -1.0
    unknown.loc[4, "dead"] = 5
    for bad in (negative, constant, unknown):
        arrays = {c: bad[c].to_numpy() for c in bad}
        assert array_model_data(arrays, "time", spec, ["age", "female"], source="x") is None
        path = tmp_path / "bad.parquet"
        bad.to_parquet(path, index=False)
        with pytest.raises(InputError) as fast:
            model_data(path, "time", "dead", ["age", "female"])
        with pytest.raises(InputError) as slow:
            model_data(bad, "time", "dead", ["age", "female"])
        assert [p.message for p in fast.value.problems] == [p.message for p in slow.value.problems]


def test_collinear_columns_raise_on_the_fast_path(tmp_path: Path) -> None:
    frame = _frame().assign(age_months=lambda d: d["age"] * 12)
    path = tmp_path / "d.parquet"
    frame.to_parquet(path, index=False)
    with pytest.raises(InputError, match="linear combination") as err:
        model_data(path, "time", "dead", ["age", "age_months"])
    assert err.value.problems[0].column == "age_months"
