"""Design matrices and complete cases: dummy coding, exclusions, and clear messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survstudy.api.regression import cox_regression, model_data
from survstudy.errors import InputError
from survstudy.stats.regression.design import parse_reference
from tests.conftest import REFERENCE


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time": [5, 8, 12, 3, 9, 14, 7, 20, 11, 6],
            "dead": [1, 0, 1, 1, 0, 1, 1, 0, 1, 1],
            "grade": [1, 2, 3, 1, 2, 3, 2, 1, 3, 2],
            "age": [50.0, 61, 45, None, 70, 58, 66, 49, 53, 60],
            "site": [
                "liver",
                "lung",
                "liver",
                "bone",
                "lung",
                "liver",
                "bone",
                "lung",
                "liver",
                "bone",
            ],
        }
    )


def test_dummy_coding_with_numeric_levels_and_term_names() -> None:
    data = model_data(frame(), "time", "dead", ["grade", "age"], categorical=["grade"])
    design = data.design
    assert design.terms == ("grade[T.2]", "grade[T.3]", "age")
    assert design.reference == {"grade": "1"}
    assert design.levels["grade"] == ("1", "2", "3")
    assert data.n == 9
    assert data.excluded == 1
    assert data.excluded_by == {"age": 1}
    np.testing.assert_array_equal(design.matrix[:3, 0], [0, 1, 0])
    np.testing.assert_array_equal(design.matrix[:3, 1], [0, 0, 1])


def test_chosen_reference_level() -> None:
    data = model_data(
        frame(), "time", "dead", ["site"], categorical=["site"], reference=["site=liver"]
    )
    assert data.design.terms == ("site[T.bone]", "site[T.lung]")
    assert parse_reference(["a=1", " b = x "]) == {"a": "1", "b": "x"}
    with pytest.raises(ValueError, match="COLUMN=LEVEL"):
        parse_reference(["a"])


def test_unknown_reference_names_the_column() -> None:
    with pytest.raises(InputError) as err:
        model_data(
            frame(), "time", "dead", ["site"], categorical=["site"], reference={"site": "brain"}
        )
    p = err.value.problems[0]
    assert p.column == "site"
    assert "brain" in p.message
    assert "bone, liver, lung" in p.message


def test_level_with_no_patients_after_exclusion() -> None:
    f = frame()
    f.loc[3, "site"] = "skin"  # the only 'skin' row has a missing age
    data = model_data(f, "time", "dead", ["site", "age"], categorical=["site"])
    assert "site[T.skin]" not in data.design.terms
    with pytest.raises(InputError, match="no patients once rows with missing values"):
        model_data(
            f, "time", "dead", ["site", "age"], categorical=["site"], reference={"site": "skin"}
        )
    f["site"] = pd.Categorical(f["site"], categories=["bone", "liver", "lung", "skin", "brain"])
    data = model_data(f, "time", "dead", ["site", "age"], categorical=["site"])
    assert any(w.column == "site" and "no patients" in w.message for w in data.warnings)


def test_constant_covariate_is_named() -> None:
    f = frame().assign(sex=1)
    with pytest.raises(InputError) as err:
        cox_regression(f, "time", "dead", ["age", "sex"])
    assert err.value.problems[0].column == "sex"
    assert "single value" in err.value.problems[0].message
    f["stage"] = "IV"
    with pytest.raises(InputError, match="single value"):
        cox_regression(f, "time", "dead", ["stage"], categorical=["stage"])


def test_collinear_covariates_are_named() -> None:
    f = frame().assign(age_months=lambda d: d["age"] * 12)
    with pytest.raises(InputError) as err:
        cox_regression(f, "time", "dead", ["age", "age_months"])
    p = err.value.problems[0]
    assert p.column == "age_months"
    assert "'age'" in p.message
    assert "linear combination" in p.message


def test_no_events() -> None:
    f = frame().assign(dead=0)
    with pytest.raises(InputError, match="no events") as err:
        cox_regression(f, "time", "dead", ["age"])
    assert err.value.problems[0].column == "dead"


def test_text_in_numeric_covariate_and_time_lists_rows() -> None:
    f = frame().astype({"age": object, "time": object})
    f.loc[2, "age"] = "old"
    f.loc[4, "time"] = "soon"
    with pytest.raises(InputError) as err:
        model_data(f, "time", "dead", ["age"])
    problems = {(p.column, p.row, p.value) for p in err.value.problems}
    assert ("age", 3, "old") in problems
    assert ("time", 5, "soon") in problems
    assert any('categorical=["age"]' in p.message for p in err.value.problems)


def test_event_codes_and_file_rows() -> None:
    data = model_data(REFERENCE / "lung.csv", "time", "status=2", ["age", "ph.ecog"])
    assert data.n == 227
    assert data.events == 164
    assert data.excluded == 1
    with pytest.raises(InputError) as err:
        model_data(REFERENCE / "lung.csv", "time", "status", ["age"])
    assert err.value.problems[0].row == 2
    assert "status=CODE" in err.value.problems[0].message
    with pytest.raises(InputError, match="did you mean 'age'"):
        model_data(REFERENCE / "lung.csv", "time", "status=2", ["agee"])


def test_strata_and_missing_strata_are_counted() -> None:
    f = frame()
    f.loc[0, "site"] = None
    data = model_data(f, "time", "dead", ["age"], strata="site")
    assert data.strata_levels == ("bone", "liver", "lung")
    assert data.excluded == 2
    assert data.excluded_by == {"age": 1, "site": 1}


@pytest.mark.parametrize("gap", [0.0, 1e-13, 1e-10, 1e-7, 1e-6, 1e-4, 1e-2])
def test_near_collinearity_verdict_is_the_qr_one(gap: float) -> None:
    """The crossproduct screen only ever passes columns the n x p QR passes: near the
    threshold (1e-8 on |R[k, k]|) the QR decides, so verdicts match on both sides of it."""
    from survstudy.stats.regression import design as dm

    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(2, 2000)) + np.array([[60.0], [0.0]])  # a far from 0: centring
    matrix = np.column_stack([a, b, 2 * a - b + gap * rng.normal(size=2000)])
    terms, owner = ["a", "b", "c"], ["a", "b", "c"]
    centred = matrix - matrix.mean(axis=0)
    q = centred / np.sqrt((centred**2).sum(axis=0))
    exact = np.abs(np.diag(np.linalg.qr(q, mode="r")))[2]
    try:
        dm._check_collinear(matrix, terms, owner, "data")
        fast = None
    except InputError as e:
        fast = [p.message for p in e.problems]
    try:
        dm._check_collinear_qr(centred, terms, owner, "data")
        slow = None
    except InputError as e:
        slow = [p.message for p in e.problems]
    assert fast == slow
    assert (fast is not None) == (exact < dm.COLLINEAR)
    if gap >= 1e-4:  # clearly independent: decided by the p x p Cholesky alone
        assert dm._clearly_independent(matrix, matrix.mean(axis=0))
    if gap <= 1e-10:
        assert fast is not None
        assert "'a', 'b'" in fast[0]
