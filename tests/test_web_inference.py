"""The app's column mapping pre-filled from ``survstudy init``'s inference, and SPSS/Stata
uploads (issue 15, items 1 and 4): value labels become the groups' labels, codes stay levels."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from survstudy.web.choices import build_config, guess_choices
from survstudy.web.inference import inferred_choices, inferred_study
from survstudy.web.pipeline import Outcome, run_analysis
from survstudy.web.preview import read_preview
from survstudy.web.session import SessionFolder, Workspace

pyreadstat = pytest.importorskip("pyreadstat")

EXAMPLES = Path(__file__).parents[1] / "src" / "survstudy" / "examples"
ROTTERDAM = EXAMPLES / "rotterdam"
LIVER = EXAMPLES / "liver_resection"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every fifth Rotterdam patient as CSV, SPSS (value and variable labels) and Stata."""
    folder = tmp_path_factory.mktemp("uploads")
    frame = pd.read_csv(ROTTERDAM / "registry.csv", dtype={"size": str}).iloc[::5]
    frame.to_csv(folder / "registry.csv", index=False)
    labelled = frame.copy()
    labelled["grade"] = labelled["grade"].astype(float)
    labels = {"grade": {2: "Grade 2", 3: "Grade 3"}}
    pyreadstat.write_sav(
        labelled, folder / "registry.sav",
        column_labels={"age": "Age at surgery", "grade": "Tumour grade"},
        variable_value_labels=labels,
    )  # fmt: skip
    pyreadstat.write_dta(labelled, folder / "registry.dta", variable_value_labels=labels)
    return {k: folder / f"registry.{k}" for k in ("csv", "sav", "dta")}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> SessionFolder:
    ws = Workspace(tmp_path_factory.mktemp("ws"))
    yield ws.new_session()
    ws.remove()


def test_a_labelled_sav_prefills_labels_levels_id_and_endpoint(files: dict[str, Path]) -> None:
    pv = read_preview(files["sav"])
    draft = inferred_study(files["sav"], "registry.sav")
    assert draft is not None
    choices, base = inferred_choices(pv, draft)
    assert base is not None
    grade = base.variables["grade"]
    assert (grade.label, grade.type) == ("Tumour grade", "categorical")
    assert grade.levels == ["2", "3"]  # the codes stay the levels
    assert grade.labels == {"2": "Grade 2", "3": "Grade 3"}
    assert base.variables["age"].label == "Age at surgery"
    # the id column (all values distinct) and the ready-made time found by the names
    assert choices.id_column == "pid"
    assert (choices.mode, choices.time_column, choices.event_column) == ("ready", "os_days", "died")
    assert choices.event_codes == ("1",)
    # the draft's groups, characteristics and endpoints are the user's to choose
    assert (choices.group, choices.characteristics, base.endpoints) == ("", (), {})


def test_a_plain_csv_keeps_the_apps_guess_and_no_guessed_types() -> None:
    """Thirteen ages are not thirteen categories: a type guessed from few values is left to
    the app; the dates and id are those the names and values say."""
    path = LIVER / "registry.csv"
    pv = read_preview(path)
    choices, base = inferred_choices(pv, inferred_study(path, "registry.csv"))
    assert base is not None
    assert base.variables == {}
    assert choices == replace(guess_choices(pv), id_column="patient_id")
    assert (choices.origin, choices.event_dates) == ("liver_resection_date", ("death_date",))


def test_an_unlabelled_registry_with_other_language_dates_gets_the_drafts_endpoint(
    tmp_path: Path,
) -> None:
    path = tmp_path / "registre.csv"
    path.write_text(
        "numero,date_chirurgie,date_deces,date_dernier_suivi,age\n"
        "1,2010-01-05,,2014-02-01,61\n2,2011-03-04,2012-05-06,2012-05-06,70\n"
        "3,2012-07-08,,2015-01-01,55\n"
    )
    pv = read_preview(path)
    guessed = guess_choices(pv)
    assert guessed.event_dates == ()  # the English names alone find no death date
    choices, _ = inferred_choices(pv, inferred_study(path, "registre.csv"))
    assert choices.id_column == "numero"
    assert choices.origin == "date_chirurgie"
    assert choices.event_dates == ("date_deces",)
    assert choices.last_contact == "date_dernier_suivi"


def test_excel_falls_back_on_the_names(tmp_path: Path) -> None:
    path = tmp_path / "registry.xlsx"
    pd.read_csv(LIVER / "registry.csv").to_excel(path, index=False)
    assert inferred_study(path, "registry.xlsx") is None
    pv = read_preview(path)
    assert inferred_choices(pv, None) == (guess_choices(pv), None)


def _analysed(folder: SessionFolder, path: Path, group: str = "grade") -> Outcome:
    stored = folder.store_copy(path, path.name)
    pv = read_preview(stored.path)
    choices, base = inferred_choices(pv, inferred_study(stored.path, stored.display_name))
    config = build_config(
        replace(choices, group=group, landmark_years=(1.0, 3.0)),
        source=stored.display_name, base=base, preview=pv,
    )  # fmt: skip
    outcome = run_analysis(folder, config, stored)
    assert outcome.errors == (), [p.message for p in outcome.errors]
    return outcome


def _same_as_csv(o: Outcome, csv: Outcome) -> None:
    """The survival numbers of the CSV, the groups named by the file's value labels."""
    assert o.results is not None
    assert csv.results is not None
    assert o.document is not None
    ours, theirs = o.results.endpoints[0], csv.results.endpoints[0]
    assert ours.overall.summary(at=[12, 36]) == theirs.overall.summary(at=[12, 36])
    assert ours.main is not None
    assert theirs.main is not None
    assert ours.main.test.p_value == pytest.approx(theirs.main.test.p_value, rel=1e-12)
    table = next(t for t in o.document.tables() if t.id.startswith("survival-"))
    assert {"Grade 2", "Grade 3"} <= {c.text for row in table.rows for c in row}


def test_sav_and_dta_uploads_give_the_numbers_of_the_csv_with_their_labels(
    folder: SessionFolder, files: dict[str, Path]
) -> None:
    csv = _analysed(folder, files["csv"])
    assert csv.results is not None
    for kind in ("sav", "dta"):
        _same_as_csv(_analysed(folder, files[kind]), csv)


def test_a_redcap_export_with_its_dictionary_is_analysed_as_its_csv(
    folder: SessionFolder, files: dict[str, Path], tmp_path: Path
) -> None:
    """Issue 15 item 2 in the app: the raw export and its dictionary, uploaded side by side;
    the dictionary's choices name the groups, the study file names the dictionary."""
    from tests.test_readers import _redcap

    frame = pd.read_csv(files["csv"], dtype={"size": str})
    frame["pgr"] = frame["pgr"] / 4  # decimals written with a comma by the export
    export, words = _redcap(frame.assign(centre="x"))
    export.to_csv(tmp_path / "upload-export", index=False)
    words.to_csv(tmp_path / "upload-dictionary", index=False)
    with pytest.raises(ValueError, match="REDCap data dictionary"):
        folder.store_dictionary(tmp_path / "upload-dictionary", "dictionary.xlsx")
    words.to_csv(tmp_path / "upload-dictionary", index=False)  # the refused upload is deleted
    dictionary = folder.store_dictionary(tmp_path / "upload-dictionary", "My dictionary.csv")
    stored = folder.store_upload(tmp_path / "upload-export", "export.csv")
    pv = read_preview(stored.path)
    choices, base = inferred_choices(
        pv, inferred_study(stored.path, stored.display_name, dictionary.path)
    )
    assert base is not None
    assert base.variables["grade"].labels == {"2": "Grade 2", "3": "Grade 3"}
    assert "patient_name" not in base.variables  # an identifier field
    assert choices.id_column == "pid"
    config = build_config(
        replace(choices, group="grade", landmark_years=(1.0, 3.0)),
        source=stored.display_name, base=base, preview=pv, dictionary=dictionary.display_name,
    )  # fmt: skip
    assert config.data.dictionary == "My dictionary.csv"
    o = run_analysis(folder, config, stored, dictionary=dictionary)
    assert o.errors == (), [p.message for p in o.errors]
    assert 'dictionary = "My dictionary.csv"' in o.study_toml
    _same_as_csv(o, _analysed(folder, files["csv"]))
