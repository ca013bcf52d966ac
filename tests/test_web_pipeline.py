"""The app without a browser: private storage, previews, choices → study file → results."""

from __future__ import annotations

import datetime as dt
import json
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from survstudy.config.parse import load_config, parse_config
from survstudy.study import load_study
from survstudy.study.analysis import analyse_study
from survstudy.web.choices import (
    Choices,
    build_config,
    choices_from_config,
    endpoint_name,
    guess_choices,
    likely_event_codes,
    readable_label,
)
from survstudy.web.pipeline import Cancelled, report_zip, run_analysis, study_file_text
from survstudy.web.preview import read_preview
from survstudy.web.session import SessionFolder, Workspace, safe_display_name

EXAMPLES = Path(__file__).parents[1] / "src" / "survstudy" / "examples"
LIVER = EXAMPLES / "liver_resection"
ROTTERDAM = EXAMPLES / "rotterdam"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    yield ws
    ws.remove()


@pytest.fixture
def folder(workspace: Workspace) -> SessionFolder:
    return workspace.new_session()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---- private storage ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("registry.csv", "registry.csv"),
        ("C:\\Users\\me\\Patients 2024.xlsx", "Patients 2024.xlsx"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ('bad<>:"|?*name.csv', "bad_name.csv"),
        (".csv", "registry.csv"),
        ("a\x00b\nc.csv", "a_b_c.csv"),
    ],
)
def test_display_names_are_cleaned(name: str, shown: str) -> None:
    assert safe_display_name(name, ".csv" if name.endswith(".csv") else ".xlsx") == shown


def test_workspace_is_private_and_removed(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert _mode(ws.path) == 0o700
    session = ws.new_session()
    assert _mode(session.path) == 0o700
    before = tempfile.gettempdir()
    ws.adopt_as_tempdir()
    assert tempfile.gettempdir() == str(ws.path)
    ws.remove()
    assert tempfile.gettempdir() == before
    assert not ws.path.exists()
    ws.remove()  # twice is fine (atexit after shutdown)


def test_upload_is_stored_under_a_random_private_name(
    folder: SessionFolder, tmp_path: Path
) -> None:
    upload = tmp_path / "0.csv"
    upload.write_text("patient_id,time,died\n1,10,1\n")
    first = folder.store_upload(upload, "Secret Patients.csv")
    assert not upload.exists()
    assert first.path.parent == folder.path
    assert first.path.name.startswith("data-")
    assert first.path.suffix == ".csv"
    assert "Secret" not in first.path.name
    assert first.display_name == "Secret Patients.csv"
    assert _mode(first.path) == 0o600
    second_upload = tmp_path / "1.csv"
    second_upload.write_text("patient_id,time,died\n2,20,0\n")
    second = folder.store_upload(second_upload, "other.csv")
    assert not first.path.exists()  # the previous registry is gone
    assert [p.name for p in folder.path.iterdir()] == [second.path.name]
    folder.remove()
    assert not folder.path.exists()


def test_an_unreadable_file_type_is_refused_and_deleted(
    folder: SessionFolder, tmp_path: Path
) -> None:
    upload = tmp_path / "0.pdf"
    upload.write_bytes(b"%PDF")
    with pytest.raises(ValueError, match="not a CSV or Excel"):
        folder.store_upload(upload, "study.pdf")
    assert not upload.exists()
    assert list(folder.path.iterdir()) == []


# ---- previews and choices ------------------------------------------------------------------


def test_preview_finds_dates_and_guesses_the_seed_study_columns() -> None:
    preview = read_preview(LIVER / "registry.csv")
    assert preview.n_rows == 13
    assert set(preview.date_columns) == {
        "breast_surgery_date",
        "liver_metastasis_date",
        "liver_resection_date",
        "recurrence_date",
        "death_date",
        "last_contact_date",
    }
    c = guess_choices(preview)
    assert (c.id_column, c.mode, c.origin, c.event_dates, c.last_contact) == (
        "patient_id",
        "dates",
        "liver_resection_date",
        ("death_date",),
        "last_contact_date",
    )


def test_preview_guesses_ready_made_times() -> None:
    c = guess_choices(read_preview(ROTTERDAM / "registry.csv"))
    assert (
        c.id_column,
        c.mode,
        c.time_column,
        c.time_column_unit,
        c.event_column,
        c.event_codes,
    ) == ("pid", "ready", "os_days", "days", "died", ("1",))


def test_ambiguous_dates_suggest_a_day_first_format(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "id,op,death,seen\n1,03/04/2010,05/06/2011,05/06/2011\n2,13/04/2010,,01/02/2012\n"
    )
    preview = read_preview(path)
    assert set(preview.date_columns) == {"op", "death", "seen"}
    assert guess_choices(preview).date_format == "%d/%m/%Y"


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("death_date", "Date of death"),
        ("date_of_birth", "Date of of birth"),
        ("age_years", "Age (years)"),
        ("er", "ER"),
        ("sex", "Sex"),
        ("histologic_grade", "Histologic grade"),
        ("tumour size mm", "Tumour size (mm)"),
    ],
)
def test_readable_labels(column: str, label: str) -> None:
    assert readable_label(column) == label


def test_endpoint_names_are_short_and_do_not_clash() -> None:
    assert endpoint_name("Overall survival") == "os"
    assert endpoint_name("Overall survival", ["os_time"]) == "os_2"
    assert endpoint_name("Time to 2nd surgery!") == "time_to_2nd_surgery"
    assert endpoint_name("3-month mortality") == "e_3_month_mortality"
    assert endpoint_name("") == "survival"


def test_likely_event_codes() -> None:
    assert likely_event_codes(["0", "1"]) == ("1",)
    assert likely_event_codes(["alive", "dead"]) == ("dead",)
    assert likely_event_codes(["no", "yes"]) == ("yes",)
    assert likely_event_codes(["1", "2"]) == ("1",)


def test_missing_choices_are_named_in_plain_words() -> None:
    assert Choices().missing() == [
        "the column that identifies each patient",
        "the date follow-up starts",
        "the date of the event",
        "the date of last contact",
    ]
    ready = Choices(id_column="id", mode="ready", time_column="t", event_column="status")
    assert ready.missing() == ["which value of the status column means the event happened"]


@pytest.mark.parametrize("example", [LIVER, ROTTERDAM])
def test_a_bundled_example_filled_into_the_forms_gives_back_its_study_file(
    example: Path,
) -> None:
    config = load_config(example / "study.toml").config
    values = {c.name: c.values for c in read_preview(example / "registry.csv").columns}
    rebuilt = build_config(
        choices_from_config(config, values), source=config.data.source, base=config
    )
    main = config.analysis_endpoints[0]  # the endpoint the forms edit
    ep = config.endpoints[main]
    if ep.event is not None:  # "died" and "died=1" mean the same for a 0/1 column
        assert rebuilt.endpoints[main].event == f"{ep.event}=1"
        rebuilt.endpoints[main] = ep
    assert rebuilt == config


def test_built_study_file_parses_and_names_the_registry() -> None:
    preview = read_preview(LIVER / "registry.csv")
    choices = guess_choices(preview)
    config = build_config(choices, source="registry.csv", preview=preview)
    text = study_file_text(config, "My registry.csv")
    parsed = parse_config(text).config
    assert parsed.data.source == "My registry.csv"
    assert parsed.endpoints["os"].origin == "liver_resection_date"
    assert parsed.variables["death_date"].label == "Date of death"
    assert text.startswith("# Study file written by the survstudy app")


# ---- the analysis ----------------------------------------------------------------------------


def _liver_choices() -> Choices:
    return Choices(
        title="Seed",
        id_column="patient_id",
        origin="liver_resection_date",
        event_dates=("death_date",),
        last_contact="last_contact_date",
        cutoff=dt.date(2011, 12, 30),
        group="group",
        landmark_years=(1.0, 3.0),
    )


def test_analysis_matches_the_bundled_study(folder: SessionFolder) -> None:
    stored = folder.store_copy(LIVER / "registry.csv", "registry.csv")
    preview = read_preview(stored.path)
    steps: list[str] = []
    outcome = run_analysis(
        folder,
        build_config(_liver_choices(), source="registry.csv", preview=preview),
        stored,
        progress=lambda _, text: steps.append(text),
    )
    assert outcome.errors == ()
    assert outcome.results is not None
    assert outcome.document is not None
    assert steps == ["Reading and checking the data", "Estimating survival", "Drawing the figures"]
    bundled = analyse_study(load_study(LIVER / "study.toml"))
    ours, theirs = outcome.results.endpoints[0], bundled.endpoints[0]
    assert ours.overall.summary(at=[12, 36]) == theirs.overall.summary(at=[12, 36])
    assert ours.main is not None
    assert theirs.main is not None
    assert ours.main.test.p_value == pytest.approx(theirs.main.test.p_value, rel=1e-12)
    assert {t.id for t in outcome.document.tables()} >= {"survival-os"}
    assert {f.id for f in outcome.document.figures()} >= {"os-by-group"}


def test_data_problems_name_the_uploaded_file_not_the_private_copy(
    folder: SessionFolder, tmp_path: Path
) -> None:
    lines = (LIVER / "registry.csv").read_text().splitlines()
    lines[2] = lines[2].replace("2007-06-18", "2007-99-18")  # liver_resection_date of S2
    bad = tmp_path / "upload.csv"
    bad.write_text("\n".join(lines) + "\n")
    stored = folder.store_upload(bad, "Registry 2024.csv")
    config = build_config(_liver_choices(), source=stored.display_name)
    outcome = run_analysis(folder, config, stored)
    assert outcome.results is None
    (problem,) = [p for p in outcome.errors if p.column == "liver_resection_date"]
    assert problem.row == 3
    assert problem.value == "2007-99-18"
    assert problem.file == "Registry 2024.csv"
    assert all(str(folder.path) not in f"{p.file} {p.message}" for p in outcome.problems)


def test_a_wrong_setting_is_reported_not_raised(folder: SessionFolder) -> None:
    stored = folder.store_copy(LIVER / "registry.csv", "registry.csv")
    config = build_config(
        Choices(
            id_column="patient_id",
            origin="no_such_column",
            event_dates=("death_date",),
            last_contact="last_contact_date",
        ),
        source="registry.csv",
    )
    outcome = run_analysis(folder, config, stored)
    assert outcome.results is None
    assert any("no_such_column" in str(p.value) for p in outcome.errors)
    assert all(p.file is None or "study.toml" not in p.file for p in outcome.problems)


def test_a_newer_choice_cancels_the_run(folder: SessionFolder) -> None:
    stored = folder.store_copy(LIVER / "registry.csv", "registry.csv")
    config = build_config(_liver_choices(), source="registry.csv")
    with pytest.raises(Cancelled):
        run_analysis(folder, config, stored, cancelled=lambda: True)


def test_excel_workbook_with_two_sheets(folder: SessionFolder, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["This sheet explains the registry"])
    data = wb.create_sheet("Patients")
    rows = [line.split(",") for line in (LIVER / "registry.csv").read_text().splitlines()]
    import csv

    rows = list(csv.reader((LIVER / "registry.csv").read_text().splitlines()))
    header = rows[0]
    for i, row in enumerate(rows):
        if i == 0:
            data.append(row)
            continue
        cells: list[object] = []
        for name, value in zip(header, row, strict=True):
            if name.endswith("_date") and value:
                cells.append(dt.date.fromisoformat(value))  # real date cells
            else:
                cells.append(value or None)
        data.append(cells)
    path = tmp_path / "upload.xlsx"
    wb.save(path)
    stored = folder.store_upload(path, "registry.xlsx")
    preview = read_preview(stored.path, "Patients")
    assert preview.sheets == ("Notes", "Patients")
    assert "liver_resection_date" in preview.date_columns
    choices = guess_choices(preview)
    assert choices.sheet == "Patients"
    outcome = run_analysis(
        folder, build_config(choices, source=stored.display_name, preview=preview), stored
    )
    assert outcome.errors == ()
    assert outcome.results is not None
    assert outcome.results.endpoints[0].overall.curves[0].n == 13
    assert 'sheet = "Patients"' in outcome.study_toml


def test_report_zip_holds_the_report_and_the_study_file(folder: SessionFolder) -> None:
    stored = folder.store_copy(LIVER / "registry.csv", "registry.csv")
    outcome = run_analysis(folder, build_config(_liver_choices(), source="registry.csv"), stored)
    data = report_zip(outcome, folder, "registry.csv")
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert {
            "report/report.html",
            "report/report.docx",
            "report/results.json",
            "study.toml",
            "README.txt",
        } <= names
        assert zf.read("study.toml").decode() == outcome.study_toml
        results = json.loads(zf.read("report/results.json"))
    assert results["endpoints"][0]["name"] == "os"
    assert [p.name for p in folder.path.iterdir() if p.name.startswith("report-")] == []


def test_a_fault_in_survstudy_is_reported_not_raised(
    folder: SessionFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import survstudy.study.analysis as results

    def broken(study: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(results, "analyse_study", broken)
    stored = folder.store_copy(LIVER / "registry.csv", "registry.csv")
    outcome = run_analysis(folder, build_config(_liver_choices(), source="registry.csv"), stored)
    (problem,) = outcome.errors
    assert "RuntimeError: boom" in problem.message
    assert "not in your data" in problem.message
    assert "[study]" in outcome.study_toml
