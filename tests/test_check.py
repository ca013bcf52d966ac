"""``survstudy check``: the broken-registry corpus, the clean seed study, the log and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import survstudy.cli.check
import survstudy.cli.synth  # noqa: F401  (registers the commands)
from survstudy.cli import _register, app

_register()
runner = CliRunner()
BROKEN = Path(__file__).parent / "broken"
SEED_STUDY = Path(__file__).parents[1] / "src/survstudy/examples/liver_resection/study.toml"

# case → (severity, file, row, column, words of the message, exit status)
CORPUS = {
    "duplicate_id": ("error", "registry.csv", 5, "patient_id", "same id is on row 3", 2),
    "missing_id": ("error", "registry.csv", 4, "patient_id", "patient id is missing", 2),
    "death_before_resection": (
        "error",
        "registry.csv",
        5,
        "death_date",
        "before the origin (liver_resection_date 2009-09-09)",
        2,
    ),
    "recurrence_before_resection": (
        "error",
        "registry.csv",
        4,
        "recurrence_date",
        "before the origin",
        2,
    ),
    "recurrence_after_death": (
        "error",
        "registry.csv",
        2,
        "recurrence_date",
        "after the death date (death_date 2007-02-01)",
        2,
    ),
    "last_contact_before_recurrence": (
        "error",
        "registry.csv",
        4,
        "last_contact_date",
        "last contact is before the recurrence_date",
        2,
    ),
    "last_contact_before_resection": (
        "error",
        "registry.csv",
        3,
        "last_contact_date",
        "last contact is before the origin",
        2,
    ),
    "event_after_cutoff": ("note", "registry.csv", 5, "death_date", "censored at the cutoff", 0),
    "future_date": ("error", "registry.csv", 6, "last_contact_date", "in the future", 2),
    "before_1900": ("error", "registry.csv", 6, "breast_surgery_date", "before 1900", 2),
    "missing_origin": (
        "error",
        "registry.csv",
        3,
        "liver_resection_date",
        "needed as the origin of os, rfs",
        2,
    ),
    "missing_last_contact": (
        "error",
        "registry.csv",
        6,
        "last_contact_date",
        "how long was the patient followed",
        2,
    ),
    "event_without_date": ("error", "registry.csv", 5, "death_date", "event with no date", 2),
    "date_but_flag_alive": (
        "error",
        "registry.csv",
        3,
        "death_date",
        "says the event did not happen",
        2,
    ),
    "ambiguous_date": (
        "error",
        "registry.csv",
        4,
        "breast_surgery_date",
        "ambiguous: 11 March 1999 or 3 November 1999",
        2,
    ),
    "partial_date": ("error", "registry.csv", 3, "liver_resection_date", "partial date", 2),
    "excel_phantom_day": ("error", "registry.csv", 2, "breast_surgery_date", "29 February 1900", 2),
    "impossible_date": ("error", "registry.csv", 6, "liver_resection_date", "not a real date", 2),
    "not_a_number": ("error", "registry.csv", 2, "age", "not a number", 2),
    "unknown_level": ("error", "registry.csv", 3, "grade", "not one of the declared levels", 2),
    "origin_after_cutoff": (
        "error",
        "registry.csv",
        6,
        "liver_resection_date",
        "after the cutoff",
        2,
    ),
    "misspelt_column": (
        "error",
        "study.toml",
        34,
        "endpoints.rfs.events[2]",
        "did you mean 'death_date'",
        2,
    ),
    "bad_time_unit": ("error", "study.toml", 4, "study.time_unit", "'days', 'months'", 2),
    "toml_syntax_error": ("error", "study.toml", 8, None, "not valid TOML", 2),
    "unknown_key": (
        "error",
        "study.toml",
        13,
        "follow_up.last_contct",
        "did you mean 'last_contact'",
        2,
    ),
}


def test_corpus_is_complete() -> None:
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()}
    assert folders == set(CORPUS)
    assert len(folders) >= 15


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_broken_registry(case: str) -> None:
    severity, file, row, column, words, status = CORPUS[case]
    result = runner.invoke(app, ["check", str(BROKEN / case / "study.toml"), "--json"])
    assert result.exit_code == status, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    if result.stdout.startswith("{"):
        problems = json.loads(result.stdout)["problems"]
    else:  # the study file itself could not be read: messages on stderr
        problems = [
            {
                "severity": "error",
                "file": file_of(line),
                "row": row_of(line),
                "column": column_of(line),
                "message": line,
            }
            for line in result.stderr.splitlines()
        ]
    match = [
        p
        for p in problems
        if p["severity"] == severity
        and p["row"] == row
        and p["column"] == column
        and words in p["message"]
        and str(p["file"]).endswith(f"{case}/{file}")
    ]
    assert match, f"expected {severity} at row {row}, {column}: {words}\n{problems}"


def file_of(line: str) -> str:
    return line.split(": ", 1)[1].split(",")[0]


def row_of(line: str) -> int | None:
    for part in line.split(", "):
        for word in ("row ", "line "):  # a data file has rows, a study file lines
            if part.startswith(word):
                return int(part.split(":")[0][len(word):])
    return None


def column_of(line: str) -> str | None:
    found = [(line.find(w), w) for w in ("column '", "key '") if w in line]
    if not found:
        return None
    _, word = min(found)  # the location comes first; the message may quote other names
    return line.split(word)[1].split("'")[0]


def test_broken_text_output_lists_every_problem() -> None:
    result = runner.invoke(app, ["check", str(BROKEN / "death_before_resection" / "study.toml")])
    assert result.exit_code == 2
    assert "2 error(s)" in result.stdout
    assert "row 5, column 'death_date', value '2009-01-01'" in result.stdout
    assert "Errors stop the analysis" in result.stdout


def test_seed_study_is_clean_and_writes_the_log(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    result = runner.invoke(app, ["check", str(SEED_STUDY), "--log", str(log)])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s), 0 note(s)" in result.stdout
    assert "Overall survival (os): 13 patients, 6 events" in result.stdout
    frame = pd.read_csv(log)
    assert list(frame.columns) == [
        "row",
        "id",
        "endpoint",
        "origin",
        "origin_date",
        "end",
        "end_date",
        "event",
        "time",
        "unit",
        "reason",
    ]
    os_rows = frame[frame["endpoint"] == "os"]
    assert len(os_rows) == 13
    assert os_rows["event"].sum() == 6
    s7 = os_rows[os_rows["id"] == "S7"].iloc[0]
    assert (s7["end"], s7["end_date"], s7["reason"]) == ("death_date", "2010-01-09", "event")
    # .parquet: the same rows, typed (dates as dates, events as integers)
    parquet = log.with_suffix(".parquet")
    result = runner.invoke(app, ["check", str(SEED_STUDY), "--log", str(parquet)])
    assert result.exit_code == 0, result.output
    typed = pd.read_parquet(parquet)
    assert list(typed.columns) == list(frame.columns)
    assert typed["end_date"].astype(str).tolist() == frame["end_date"].fillna("None").tolist()
    assert typed["event"].fillna(-1).tolist() == frame["event"].fillna(-1).tolist()


def test_json_has_flow_and_endpoints() -> None:
    result = runner.invoke(app, ["check", str(SEED_STUDY), "--json"])
    doc = json.loads(result.stdout)
    assert doc["flow"]["n_registry"] == 13
    assert doc["flow"]["n_final"] == 13
    assert doc["endpoints"]["os"] == {
        "label": "Overall survival",
        "n": 13,
        "events": 6,
        "not_derived": 0,
    }
    assert doc["landmarks"] == [12.0, 36.0]
    assert doc["time_unit"] == "months"


def test_event_after_cutoff_is_censored_at_the_cutoff(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    result = runner.invoke(
        app, ["check", str(BROKEN / "event_after_cutoff" / "study.toml"), "--log", str(log)]
    )
    assert result.exit_code == 0
    row = pd.read_csv(log).query("id == 'P4' and endpoint == 'os'").iloc[0]
    assert (row["end"], row["end_date"], row["event"]) == ("cutoff", "2011-12-30", 0)
    assert row["reason"] == "event after the cutoff: censored at the cutoff"


def test_missing_study_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "none.toml")])
    assert result.exit_code == 2
    assert "study file not found" in result.stderr


def test_synth_command(tmp_path: Path) -> None:
    out = tmp_path / "reg.parquet"
    result = runner.invoke(app, ["synth", "--patients", "50", "--out", str(out), "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert "wrote 50 synthetic patients" in result.stdout
    assert len(pd.read_parquet(out)) == 50
    bad = runner.invoke(app, ["synth", "--patients", "5", "--out", str(tmp_path / "x.json")])
    assert bad.exit_code == 2
    assert ".csv or .parquet" in bad.stderr
    checked = runner.invoke(app, ["check", str(SEED_STUDY), "--data", str(out)])
    assert checked.exit_code == 0, checked.output


def test_a_data_file_given_as_study_file_gets_a_plain_message(tmp_path: Path) -> None:
    data = tmp_path / "registry.csv"
    data.write_text("id,t\n1,2\n")
    result = runner.invoke(app, ["check", str(data)])
    assert result.exit_code == 2
    assert "this is a data file, not a study file" in result.stderr
