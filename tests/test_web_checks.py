"""The app's own checks of the choices (issue 14): group columns, implausible mappings,
bad uploads, patients left out of a comparison. No browser."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from survstudy.errors import InputError
from survstudy.web.choices import (
    Choices,
    build_config,
    fit_levels,
    guess_choices,
    levels_text,
    parse_levels,
)
from survstudy.web.pipeline import run_analysis
from survstudy.web.preview import read_preview
from survstudy.web.sanity import (
    choice_notes,
    group_candidates,
    group_refusal,
    left_out_notes,
    without_group_characteristic,
)
from survstudy.web.session import SessionFolder, Workspace

LIVER = Path(__file__).parents[1] / "src" / "survstudy" / "examples" / "liver_resection"


@pytest.fixture
def folder(tmp_path: Path) -> SessionFolder:
    ws = Workspace(tmp_path)
    yield ws.new_session()
    ws.remove()


def _liver(**changes: object) -> Choices:
    c = Choices(
        title="Seed",
        id_column="patient_id",
        origin="liver_resection_date",
        event_dates=("death_date",),
        last_contact="last_contact_date",
        cutoff=dt.date(2011, 12, 30),
        landmark_years=(1.0, 3.0),
    )
    return replace(c, **changes)  # type: ignore[arg-type]


def _run(folder: SessionFolder, c: Choices, path: Path = LIVER / "registry.csv"):  # type: ignore[no-untyped-def]
    stored = folder.store_copy(path, path.name)
    pv = read_preview(stored.path)
    c, notes = without_group_characteristic(c)
    notes += choice_notes(c, pv)
    config = build_config(c, source=path.name, preview=pv)
    return run_analysis(folder, config, stored, notes=notes, after=lambda r: left_out_notes(r, c))


# ---- item 2: the group is also a listed characteristic ------------------------------------


def test_the_group_among_the_characteristics_is_dropped_with_a_note(
    folder: SessionFolder,
) -> None:
    c = _liver(group="histologic_grade", characteristics=("age_years", "histologic_grade", "er"))
    outcome = _run(folder, c)
    assert outcome.errors == ()
    assert outcome.results is not None
    assert outcome.results.characteristics is not None
    assert outcome.config.analysis.characteristics == ["age_years", "er"]
    (note,) = [p for p in outcome.problems if p.severity == "note"]
    assert note.column == "histologic_grade"
    assert "not also listed" in note.message


def test_build_config_never_lists_the_group_as_a_characteristic() -> None:
    c = _liver(group="t_stage", characteristics=("t_stage",))
    assert build_config(c, source="registry.csv").analysis.characteristics == []


# ---- item 5: what can be a group ------------------------------------------------------------


def test_dates_ids_and_outcome_columns_are_not_offered_as_groups() -> None:
    pv = read_preview(LIVER / "registry.csv")
    offered = group_candidates(pv, _liver())
    for column in ["patient_id", "case", "death_date", "last_contact_date", "age_years", "died"]:
        assert column not in offered
    for column in ["group", "histologic_grade", "t_stage", "er"]:
        assert column in offered


def test_a_column_of_singletons_is_refused(folder: SessionFolder) -> None:
    pv = read_preview(LIVER / "registry.csv")
    age = pv.column("age_years")
    assert age is not None
    reason = group_refusal(age)
    assert reason is not None
    assert "age_years" in reason
    death = pv.column("death_date")
    assert death is not None
    assert "dates" in (group_refusal(death) or "")
    outcome = _run(folder, _liver(group="death_date"))
    assert outcome.results is None
    (error,) = outcome.errors
    assert error.column == "death_date"
    assert "cannot be compared" in error.message


def test_patients_left_out_of_a_sparse_grouping_are_named(
    folder: SessionFolder, tmp_path: Path
) -> None:
    lines = (LIVER / "registry.csv").read_text().splitlines()
    head = lines[0].split(",")
    k = head.index("histologic_grade")
    rows = [lines[0]]
    for i, line in enumerate(lines[1:]):  # blank the grade of 7 patients (no quoted commas
        cells = line.split(",")  # before the grade column)
        if i >= 6:
            cells[k] = ""
        rows.append(",".join(cells))
    sparse = tmp_path / "sparse.csv"
    sparse.write_text("\n".join(rows) + "\n")
    outcome = _run(folder, _liver(group="histologic_grade"), sparse)
    assert outcome.results is not None
    (warning,) = [p for p in outcome.problems if "left out" in p.message]
    assert "includes 6 of 13 patients: 7 have no value" in warning.message
    assert warning.column == "histologic_grade"


# ---- item 6: implausible mappings -----------------------------------------------------------


def test_age_as_follow_up_time_is_questioned() -> None:
    pv = read_preview(LIVER / "registry.csv")
    c = Choices(
        id_column="patient_id",
        mode="ready",
        time_column="age_years",
        event_column="died",
        event_codes=("1",),
    )
    (warning,) = choice_notes(c, pv)
    assert warning.severity == "warning"
    assert "age" in warning.message
    assert warning.column == "age_years"
    assert choice_notes(replace(c, time_column="case"), pv) == []


def test_last_contact_as_event_date_and_birth_as_origin_are_questioned(
    folder: SessionFolder, tmp_path: Path
) -> None:
    pv = read_preview(LIVER / "registry.csv")
    assert choice_notes(_liver(), pv) == []
    same = choice_notes(_liver(event_dates=("last_contact_date",)), pv)
    assert [p.column for p in same] == ["last_contact_date"]
    outcome = _run(folder, _liver(event_dates=("last_contact_date",)))
    everyone = [p for p in outcome.problems if "Every patient (13)" in p.message]
    assert len(everyone) == 1
    birth = tmp_path / "b.csv"
    birth.write_text("id,birth_date,op_date,death,seen\n1,1950-01-02,2010-01-01,,2012-01-01\n")
    pvb = read_preview(birth)
    guessed = guess_choices(pvb)
    assert guessed.origin != "birth_date" or any(
        "date of birth" in p.message for p in choice_notes(guessed, pvb)
    )
    c = Choices(id_column="id", origin="birth_date", event_dates=("death",), last_contact="seen")
    (warning,) = choice_notes(c, pvb)
    assert warning.column == "birth_date"
    assert "date of birth" in warning.message


# ---- item 7: bad uploads --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            b"Remember to call Dr Smith about the results.\nThe meeting is on Tuesday.\n",
            "single column",
        ),
        (b"Hello, this is a note\n", "no rows of patients"),
        (b"id,time,status\n", "no rows of patients"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x03\x00>\x00", "binary data"),
        (bytes(range(256)) * 8, "binary data"),
    ],
)
def test_bad_uploads_are_refused_naming_the_file(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "data-1234.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_preview(path, display_name="My registry.csv")
    (problem,) = caught.value.problems
    assert problem.message.startswith("'My registry.csv' ")
    assert says in problem.message
    assert "data-1234" not in problem.message
    assert "Line" not in problem.message


# ---- item 13: level order and labels, Cox covariates ----------------------------------------


def test_group_levels_text_round_trip_and_fit() -> None:
    levels = parse_levels(" well = Well differentiated, moderate,poor = Poor ,well = again, ")
    assert levels == (("well", "Well differentiated"), ("moderate", "moderate"), ("poor", "Poor"))
    assert parse_levels(levels_text(levels)) == levels
    assert fit_levels((("poor", "P"), ("typo", "T")), ("moderate", "poor", "well")) == (
        ("poor", "P"),
        ("moderate", "moderate"),
        ("well", "well"),
    )


def test_chosen_group_order_and_labels_reach_the_results(folder: SessionFolder) -> None:
    order = (("well", "Well"), ("moderate", "Moderate"), ("poor", "Poor"))
    c = _liver(group="histologic_grade", group_levels=order)
    config = build_config(c, source="registry.csv")
    grade = config.variables["histologic_grade"]
    assert grade.levels == ["well", "moderate", "poor"]
    assert grade.labels == {"well": "Well", "moderate": "Moderate", "poor": "Poor"}
    outcome = _run(folder, c)
    assert outcome.results is not None
    main = outcome.results.endpoints[0].main
    assert main is not None
    assert list(main.levels) == ["well", "moderate", "poor"]


def test_cox_covariates_are_chosen_in_the_forms(folder: SessionFolder) -> None:
    c = _liver(covariates=("age_years",))
    assert build_config(c, source="registry.csv").analysis.covariates == ["age_years"]
    outcome = _run(folder, c)
    assert outcome.document is not None
    ids = {t.id for s in outcome.document.sections if s.id == "prognostic" for t in s.blocks}
    assert ids, "a Cox table for the chosen covariate"


@pytest.mark.parametrize("example", ["liver_resection", "rotterdam"])
def test_the_bundled_examples_raise_no_false_alarm(example: str) -> None:
    from survstudy.config.parse import load_config
    from survstudy.web.choices import choices_from_config

    folder = LIVER.parent / example
    config = load_config(folder / "study.toml").config
    pv = read_preview(folder / "registry.csv")
    c = choices_from_config(config, {col.name: col.values for col in pv.columns})
    assert choice_notes(c, pv) == []
    offered = group_candidates(pv, c)
    assert offered
    assert all(group_refusal(col) is None for col in pv.columns if col.name in offered)


def test_every_endpoint_is_shown_with_its_figure_and_table(folder: SessionFolder) -> None:
    from survstudy.config.models import Endpoint
    from survstudy.config.parse import load_config
    from survstudy.web import panels

    base = load_config(LIVER / "study.toml").config
    rfs = Endpoint(
        label="Recurrence-free survival",
        origin="liver_resection_date",
        events=["recurrence_date", "death_date"],
    )
    base = base.model_copy(
        update={
            "endpoints": {**base.endpoints, "rfs": rfs},
            "analysis": base.analysis.model_copy(update={"endpoints": ["os", "rfs"]}),
        }
    )
    c = _liver(endpoint="os", group="group", outcome="Overall survival")
    stored = folder.store_copy(LIVER / "registry.csv", "registry.csv")
    outcome = run_analysis(folder, build_config(c, source="registry.csv", base=base), stored)
    assert outcome.errors == ()
    html = str(panels.survival_table(outcome))
    assert 'id="endpoint-rfs"' in html
    assert 'id="figure-rfs-by-group"' in html
    assert 'id="table-survival-rfs"' in html
    assert 'download="rfs-by-group.svg"' in html
    assert 'id="endpoint-os"' not in html  # the first endpoint is shown above, once
