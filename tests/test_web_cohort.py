"""The app's cohort steps, level order of characteristics and Table 1 test family (issue 14,
item 13): choices → study file → run → panels, and back through the downloaded study file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pytest

from survstudy.config.models import CohortStep
from survstudy.config.parse import parse_config
from survstudy.web import cohort, levels, panels
from survstudy.web.choices import Choices, build_config, choices_from_config
from survstudy.web.forms import example_study
from survstudy.web.pipeline import Outcome, run_analysis, study_file_text
from survstudy.web.preview import read_preview
from survstudy.web.session import SessionFolder, Workspace
from tests.test_web_checks import _liver

LIVER = Path(__file__).parents[1] / "src" / "survstudy" / "examples" / "liver_resection"

#: The liver registry as uploaded (no study file): overall survival from the resection.
UPLOAD = _liver(group="group", characteristics=("sex", "age_years", "histologic_grade"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> SessionFolder:
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    yield ws.new_session()
    ws.remove()


def _run(folder: SessionFolder, c: Choices) -> Outcome:
    stored = folder.store_copy(LIVER / "registry.csv", "registry.csv")
    config = build_config(c, source="registry.csv", preview=read_preview(stored.path))
    outcome = run_analysis(folder, config, stored)
    assert outcome.errors == (), [p.message for p in outcome.errors]
    return outcome


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---- a step from the form ----------------------------------------------------------------


def test_form_makes_each_kind_of_step() -> None:
    keep = cohort.make_step("postoperative_chemotherapy", "is", ["yes"], reason="No chemo")
    assert (keep.column, keep.is_, keep.reason) == (
        "postoperative_chemotherapy",
        ["yes"],
        "No chemo",
    )
    assert keep.step == "Postoperative chemotherapy: yes"  # a name when none is given
    drop = cohort.make_step("pathology", "is_not", ["mucinous", "ILC"], step="Ductal")
    assert (drop.is_not, drop.step, drop.reason) == (["mucinous", "ILC"], "Ductal", None)
    assert cohort.make_step("death_date", "missing").present is False
    assert cohort.make_step("death_date", "present").present is True
    assert cohort.make_step("age_years", "min", bound="40").min == 40.0
    assert cohort.make_step("liver_resection_date", "max", bound="2010-12-31").max == dt.date(
        2010, 12, 31
    )
    assert cohort.step_text(drop) == "pathology is not mucinous or ILC"
    assert cohort.step_text(CohortStep(step="x", where="age_years > 40")) == "age_years > 40"


@pytest.mark.parametrize(
    ("column", "rule", "values", "bound", "said"),
    [
        ("", "is", ["yes"], "", "Choose the column"),
        ("sex", "is", [], "", "Choose the value"),
        ("age_years", "min", [], "", "Give the number or date"),
        ("age_years", "min", [], "forty", "'forty' is neither a number nor a date"),
    ],
)
def test_incomplete_step_says_what_is_missing(
    column: str, rule: str, values: list[str], bound: str, said: str
) -> None:
    with pytest.raises(ValueError, match=said):
        cohort.make_step(column, rule, values, bound)


# ---- steps → study file → flow -----------------------------------------------------------


def test_steps_are_written_applied_and_shown_with_the_reports_flow(folder: SessionFolder) -> None:
    steps = (
        cohort.make_step("pathology", "is", ["IDC"], reason="Not ductal"),
        cohort.make_step("age_years", "max", bound="60", step="Aged 60 or less"),
    )
    o = _run(folder, replace(UPLOAD, cohort=steps))
    assert [s.step for s in o.config.cohort] == ["Pathology: IDC", "Aged 60 or less"]
    assert "[[cohort]]" in o.study_toml
    assert o.study is not None
    flow = o.study.flow
    assert flow.n_registry == 13
    # by hand: S4 is the one mucinous tumour; of the 12 left, S3 (62) and E5 (64) are over 60
    assert [(s.n_before, s.n_excluded, s.n_after) for s in flow.steps] == [(13, 1, 12), (12, 2, 10)]
    html = _text(str(cohort.steps_tag(o.config.cohort, flow)))
    assert "Registry: 13 patients" in html
    assert "13 → 12 (1 left out: Not ductal)" in html
    assert "12 → 10 (2 left out: did not meet: Aged 60 or less)" in html
    assert "Analysed: 10 patients" in html


def test_steps_flow_counts_by_hand(folder: SessionFolder) -> None:
    """Sex is F for all 13; age ≥ 60 keeps S3 (62), S4 (61), S5 (60), E5 (64), E6 (60)."""
    steps = (
        cohort.make_step("sex", "is", ["F"]),
        cohort.make_step("age_years", "min", bound="60", reason="Younger than 60"),
    )
    o = _run(folder, replace(UPLOAD, cohort=steps))
    assert o.study is not None
    flow = o.study.flow
    assert [(s.n_before, s.n_excluded, s.n_after) for s in flow.steps] == [(13, 0, 13), (13, 8, 5)]
    assert flow.steps[1].reason == "Younger than 60"


def test_no_step_keeps_every_patient_and_says_so(folder: SessionFolder) -> None:
    o = _run(folder, replace(UPLOAD, cohort=()))
    assert o.config.cohort == []
    assert "[[cohort]]" not in o.study_toml
    assert "every patient in the registry is analysed" in str(cohort.steps_tag((), None))


def test_an_examples_steps_are_listed_removable_and_kept_unless_changed() -> None:
    config, _ = example_study("liver_resection")
    c = choices_from_config(config)
    assert c.cohort  # listed in the form
    assert c.cohort == tuple(config.cohort)
    assert build_config(c, source="r.csv", base=config).cohort == config.cohort
    removed = build_config(replace(c, cohort=()), source="r.csv", base=config)
    assert removed.cohort == []
    # Choices without steps (None) keep the base's, as before the forms had them
    assert (
        build_config(replace(c, cohort=None), source="r.csv", base=config).cohort == config.cohort
    )
    html = unescape(str(cohort.steps_tag(c.cohort, None)))
    assert "Shiny.setInputValue('cohort_remove', 0" in html
    assert "Liver resection performed" in html


# ---- level order and labels of characteristics -------------------------------------------


def test_characteristic_levels_become_variables_and_order_table_1(folder: SessionFolder) -> None:
    grade = (("well", "Well"), ("moderate", "Moderate"), ("poor", "Poor"))
    c = replace(UPLOAD, variable_levels=(("histologic_grade", grade), ("sex", (("F", "Female"),))))
    o = _run(folder, c)
    var = o.config.variables["histologic_grade"]
    assert (var.type, var.levels) == ("categorical", ["well", "moderate", "poor"])
    assert var.labels == {"well": "Well", "moderate": "Moderate", "poor": "Poor"}
    assert o.config.variables["sex"].labels == {"F": "Female"}
    table = _text(str(panels.characteristics_table(o)))
    assert table.index("Well") < table.index("Moderate") < table.index("Poor")
    assert "Female" in table
    without = _text(str(panels.characteristics_table(_run(folder, UPLOAD)))).lower()
    assert without.index("moderate") < without.index("poor") < without.index("well")


def test_levels_control_offers_few_valued_columns_and_reads_the_text() -> None:
    pv = read_preview(LIVER / "registry.csv")
    offered = levels.levelled_columns(
        pv,
        ["sex", "age_years", "histologic_grade", "group", "liver_resection_date", "t_stage"],
        "group",
    )
    # sex has one value here, age is a measurement, the group has its own control
    assert offered == ["histologic_grade", "t_stage"]
    assert levels.group_levels(pv, "histologic_grade", "poor = Poorly differentiated, well") == (
        ("poor", "Poorly differentiated"),
        ("well", "well"),
        ("moderate", "moderate"),  # values not listed come last
    )
    assert levels.group_levels(pv, "histologic_grade", "  ") == ()


# ---- Table 1's test family ---------------------------------------------------------------


def test_continuous_test_choice_is_written_and_used(folder: SessionFolder) -> None:
    o = _run(folder, replace(UPLOAD, continuous_test="nonparametric"))
    assert o.config.analysis.continuous_test == "nonparametric"
    assert 'continuous_test = "nonparametric"' in o.study_toml
    assert o.document is not None
    table = _text(str(panels.characteristics_table(o)))
    assert "Mann-Whitney" in table
    assert "Student" not in table
    other = _run(folder, replace(UPLOAD, continuous_test="parametric"))
    parametric = _text(str(panels.characteristics_table(other)))
    assert "Student" in parametric
    assert "Mann-Whitney" not in parametric


def test_continuous_test_of_a_base_is_kept_when_the_form_leaves_it() -> None:
    config, _ = example_study("liver_resection")
    base = config.model_copy(
        update={"analysis": config.analysis.model_copy(update={"continuous_test": "parametric"})}
    )
    c = replace(choices_from_config(base), continuous_test=None)
    assert build_config(c, source="r.csv", base=base).analysis.continuous_test == "parametric"


# ---- round trip through the downloaded study file ----------------------------------------


def test_the_downloaded_study_file_round_trips_steps_levels_and_test() -> None:
    grade = (("well", "Well"), ("moderate", "Moderate"), ("poor", "Poor"))
    c = replace(
        UPLOAD,
        cohort=(
            cohort.make_step("postoperative_chemotherapy", "is", ["yes"], reason="No chemo"),
            cohort.make_step("liver_resection_date", "min", bound="2003-01-01"),
            cohort.make_step("death_date", "missing", step="Alive"),
        ),
        variable_levels=(("histologic_grade", grade),),
        continuous_test="nonparametric",
    )
    pv = read_preview(LIVER / "registry.csv")
    config = build_config(c, source="registry.csv", preview=pv)
    parsed = parse_config(study_file_text(config, "registry.csv")).config
    assert parsed.cohort == config.cohort
    assert parsed.cohort[1].min == dt.date(2003, 1, 1)
    assert parsed.variables["histologic_grade"] == config.variables["histologic_grade"]
    again = choices_from_config(parsed)
    assert again.cohort == c.cohort
    assert again.variable_levels == (("histologic_grade", grade),)
    assert again.continuous_test == "nonparametric"
    assert build_config(again, source="registry.csv", base=parsed, preview=pv) == parsed
