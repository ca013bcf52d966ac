"""Univariable and multivariable prognostic-factor tables against R."""

from __future__ import annotations

import pytest

from survstudy.api.regression import prognostic_factors
from tests.conftest import REFERENCE, SEED_COHORT, close, load_reference

REF = load_reference("cox_reference.json")["prognostic"]


def test_lung_tables_match_r() -> None:
    tables = prognostic_factors(
        REFERENCE / "lung.csv", "time", "status=2", REF["covariates"], categorical=["ph.ecog"]
    )
    uni = {r.covariate: r for r in tables.univariable}
    assert [uni[c].n for c in REF["covariates"]] == REF["univariable_n"]
    assert close(uni["ph.ecog"].factor_p_value, REF["ecog_factor_p_univariable"])
    multi = tables.multivariable
    assert {r.n for r in multi} == {REF["multivariable_n"]}
    assert close([r.hr for r in multi], REF["multivariable_hr"])
    ecog = [r for r in multi if r.covariate == "ph.ecog"]
    assert len(ecog) == 3
    assert ecog[0].reference == "0"
    assert close(ecog[0].factor_p_value, REF["ecog_factor_p_multivariable"])
    assert tables.selection == "all covariates"
    frame = tables.to_frame()
    assert list(frame["term"])[:3] == ["age", "sex", "ph.ecog[T.1]"]
    assert tables.to_dict()["multivariable_model"]["n"] == REF["multivariable_n"]


def test_selection_rule_and_firth_on_the_seed_cohort() -> None:
    tables = prognostic_factors(
        SEED_COHORT,
        "survival_months",
        "died",
        ["group", "age_years"],
        categorical=["group"],
        reference={"group": "solitary"},
        firth=True,
        select_p=0.2,
    )
    assert tables.method == "firth"
    assert tables.selection == "covariates with univariable p < 0.2"
    assert tables.selected == tuple(
        r.covariate for r in tables.univariable if r.p_value is not None and r.p_value < 0.2
    )
    for row in tables.univariable:
        assert row.hr is not None
        assert row.hr_ci is not None
        assert row.factor_test == "penalized likelihood ratio"


def test_strings_are_rejected_cleanly() -> None:
    from survstudy.api.regression import cox_regression

    with pytest.raises(ValueError, match="ties"):
        cox_regression(SEED_COHORT, "survival_months", "died", ["age_years"], ties="exact")  # type: ignore[arg-type]
