"""A CSV file a European spreadsheet wrote (``;``, decimal comma, latin-1) uploaded to the app
(issue 15): read with its dialect, analysed as the plain CSV is, and the study file names it."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from survstudy.engine.dialect import CsvDialect, detect_dialect, dialect_text
from survstudy.web.choices import build_config, guess_choices
from survstudy.web.pipeline import Outcome, run_analysis
from survstudy.web.preview import read_preview
from survstudy.web.session import SessionFolder
from tests.test_web_inference import ROTTERDAM, _same_as_csv, folder

__all__ = ["folder"]  # the session folder fixture, shared with the inference tests

EUROPEAN = CsvDialect(delimiter=";", decimal=",", encoding="latin-1")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Every fifth Rotterdam patient, follow-up in years with decimals, one accented value."""
    frame = pd.read_csv(ROTTERDAM / "registry.csv", dtype={"size": str}).iloc[::5]
    frame["menopausal"] = frame["menopausal"].replace({"pre": "pré"})
    frame.insert(12, "os_years", (frame.pop("os_days") / 365.25).round(6))
    return frame


def _uploaded(folder: SessionFolder, path: Path, name: str) -> Outcome:
    """``path`` uploaded under ``name`` and analysed by grade, as the app's server does."""
    upload = path.with_name(f"upload-{path.name}")
    shutil.copyfile(path, upload)  # the upload is moved into the session folder
    stored = folder.store_upload(upload, name)
    pv = read_preview(stored.path, None, stored.display_name, stored.dialect)
    guessed = guess_choices(pv)  # os_years is read as a number: the ready-made time in years
    assert (guessed.id_column, guessed.mode) == ("pid", "ready")
    assert (guessed.time_column, guessed.time_column_unit) == ("os_years", "years")
    assert (guessed.event_column, guessed.event_codes) == ("died", ("1",))
    choices = replace(
        guessed,
        group="grade",
        group_levels=(("2", "Grade 2"), ("3", "Grade 3")),
        characteristics=("age", "menopausal"),
        landmark_years=(1.0, 3.0),
    )
    config = build_config(choices, source=stored.display_name, preview=pv, dialect=stored.dialect)
    outcome = run_analysis(folder, config, stored)
    assert outcome.errors == (), [p.message for p in outcome.errors]
    return outcome


def _cells(o: Outcome) -> set[str]:
    assert o.document is not None
    return {c.text for t in o.document.tables() for row in t.rows for c in row}


def test_a_european_csv_upload_gives_the_numbers_of_the_plain_csv(
    folder: SessionFolder, frame: pd.DataFrame, tmp_path: Path
) -> None:
    plain_path, euro_path = tmp_path / "plain.csv", tmp_path / "euro.csv"
    frame.to_csv(plain_path, index=False)
    frame.to_csv(euro_path, index=False, sep=";", decimal=",", encoding="latin-1")
    assert b"\xe9" in euro_path.read_bytes()  # "pré" written in latin-1
    assert detect_dialect(euro_path) == EUROPEAN
    assert detect_dialect(plain_path) is None

    plain = _uploaded(folder, plain_path, "registry.csv")
    euro = _uploaded(folder, euro_path, "registre.csv")
    _same_as_csv(euro, plain)
    assert "Pré" in _cells(euro)  # Table 1's level, decoded from latin-1
    assert "Pré" in _cells(plain)

    data = euro.config.data
    assert (data.delimiter, data.decimal, data.encoding) == (";", ",", "latin-1")
    for line in ('delimiter = ";"', 'decimal = ","', 'encoding = "latin-1"'):
        assert line in euro.study_toml
    assert 'source = "registre.csv"' in euro.study_toml

    data = plain.config.data
    assert (data.delimiter, data.decimal, data.encoding) == (None, None, None)
    for key in ("delimiter", "decimal", "encoding"):
        assert key not in plain.study_toml


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        # UTF-8 with a byte-order mark, semicolons and decimal commas
        ("id;age;bmi\n1;61;24,5\n2;70;31\n", "utf-8-sig", CsvDialect(";", ",", "utf-8")),
        # Windows' code page: the euro sign is a byte latin-1 does not print
        ("id;cost;age\n1;5 €;61\n2;7 €;70\n", "cp1252", CsvDialect(";", ".", "cp1252")),
        # tabs and decimal commas
        ("id\tbmi\tage\n1\t-0,5\t61\n", "utf-8", CsvDialect("\t", ",", "utf-8")),
        # commas and points: the plain reader's file
        ("id,bmi,age\n1,24.5,61\n", "utf-8", None),
        # semicolons and whole numbers in UTF-8: the plain reader sniffs the semicolon
        ("id;age\n1;61\n", "utf-8", None),
        # a comma-separated file never has decimal commas (a quoted "1,5" is text)
        ('id,bmi,name\n1,"24,5",José\n', "latin-1", CsvDialect(",", ".", "latin-1")),
    ],
)
def test_the_dialect_is_detected_from_the_header_and_the_first_rows(
    tmp_path: Path, text: str, encoding: str, expected: CsvDialect | None
) -> None:
    path = tmp_path / "registry.csv"
    path.write_bytes(text.encode(encoding))
    assert detect_dialect(path) == expected


def test_the_summary_names_the_format() -> None:
    assert dialect_text(EUROPEAN) == "separator ;, decimal comma, latin-1"
    assert dialect_text(CsvDialect("\t", ".", "cp1252")) == "separator tab, decimal point, cp1252"
