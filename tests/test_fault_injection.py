"""Fault injection (issue 12): registries with one injected fault, through every command.

Each fault is drawn by hypothesis (kind, row — the first, any, or the last — and value) into
the bundled liver_resection registry (for ``check`` and ``report``) or a synthetic cohort CSV
(for ``km``, ``table1`` and ``cox``). A fault that is an error must give exit status 2, an
error line naming its row, column and value, no traceback, and nothing written (no report
folder). A fault that is valid CSV by design (a byte-order mark, blank lines at the end, CRLF
line ends, a quoted newline inside a text column) must read exactly as the clean file does.
The clean variants, with patients left out by the cohort step, must account for every row.

Rows past DuckDB's 20,480-row type-sniffing sample are tried on large files in a few fixed
cases (they are slow); Spark gets one case when Java is present. A failing example is
printed with hypothesis' reproduction blob.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from survstudy.cli import _register, app

_register()
runner = CliRunner()
EXAMPLE = Path(__file__).parents[1] / "src/survstudy/examples/liver_resection"
JAVA = shutil.which("java") or (
    os.environ.get("JAVA_HOME") and shutil.which("java", path=f"{os.environ['JAVA_HOME']}/bin")
)
#: DuckDB reads this many rows to guess a CSV column's type.
SNIFF_SAMPLE = 20_480

FAULTS = settings(
    max_examples=10,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------------------------------
# CSV records


def read_records(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def write_csv(records: list[list[str]], newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline).writerows(records)
    return out.getvalue()


EXAMPLE_RECORDS = read_records((EXAMPLE / "registry.csv").read_text())
HEADER = EXAMPLE_RECORDS[0]
BODY = EXAMPLE_RECORDS[1:]


def example_records(copies: int = 1) -> list[list[str]]:
    """The example registry, its 13 patients repeated ``copies`` times with unique ids."""
    out = [list(HEADER)]
    for k in range(copies):
        out += [[f"{r[0]}-{k}" if copies > 1 else r[0], *r[1:]] for r in BODY]
    return out


QUICK_HEADER = ["id", "time", "status", "group", "age", "sex", "note"]


def cohort_records(n: int, seed: int) -> list[list[str]]:
    """A synthetic cohort for the quick commands: n patients, two groups, an age and a sex."""
    rng = np.random.default_rng(seed)
    time = np.round(rng.exponential(30, n), 1)
    status = rng.integers(0, 2, n)
    group = rng.choice(["a", "b"], n)
    age = rng.integers(30, 85, n)
    sex = rng.choice(["F", "M"], n)
    return [QUICK_HEADER] + [
        [str(i + 1), f"{time[i]:g}", str(status[i]), group[i], str(age[i]), sex[i], "seen"]
        for i in range(n)
    ]


@contextmanager
def folder() -> Iterator[Path]:
    """A fresh folder per hypothesis example (pytest's tmp_path is one per test)."""
    with tempfile.TemporaryDirectory(prefix="survstudy-fault-") as d:
        yield Path(d)


def write_study(where: Path, registry: str | bytes) -> Path:
    shutil.copy(EXAMPLE / "study.toml", where / "study.toml")
    target = where / "registry.csv"
    if isinstance(registry, bytes):
        target.write_bytes(registry)
    else:
        target.write_text(registry, newline="")
    return where / "study.toml"


# ---------------------------------------------------------------------------------------------
# what a fault must give


@dataclass(frozen=True)
class Fault:
    """One injected fault: where (row as the user counts it, header = row 1) and the words."""

    kind: str
    row: int
    column: str | None
    value: str | None
    words: str


def assert_clean_exit(result: Result) -> None:
    """No traceback, no exception other than the CLI's exit."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def assert_rejected(result: Result, fault: Fault) -> None:
    """Exit 2 and an error line naming the fault's row, column and value."""
    assert_clean_exit(result)
    assert result.exit_code == 2, result.output
    where = f"row {fault.row}"
    if fault.column is not None:
        where += f", column '{fault.column}'"
    ends = (":",) if fault.value is not None else (":", ", value ")
    if fault.value is not None:
        where += f", value {fault.value!r}"
    lines = [x for x in result.output.splitlines() if x.startswith("error: ")]
    assert any(any(where + e in x for e in ends) and fault.words in x for x in lines), (
        f"no error line with {where!r} and {fault.words!r}:\n{result.output}"
    )


# ---------------------------------------------------------------------------------------------
# the study registry: check and report

DATE_COLUMNS = ["breast_surgery_date", "liver_metastasis_date", "liver_resection_date",
                "last_contact_date"]
CATEGORICAL = ["group", "sex", "pathology", "histologic_grade", "er", "pr", "her2", "t_stage",
               "n_stage", "resection_type", "rfa", "postoperative_chemotherapy"]
IMPOSSIBLE = ["2008-02-30", "2007-02-29", "2005-04-31", "2006-13-01", "2009-00-10"]
NOT_NUMBERS = ["abc", "4O", "44 years", "44,5", "1e", "--3", "44\x00"]
NOT_LEVELS = ["XYZ", "?", "T9", "99", "unknown value"]


@st.composite
def study_faults(draw: st.DrawFn) -> tuple[list[list[str]], Fault]:
    """The example registry with one fault in one patient (first, any, or last row)."""
    records = example_records()
    i = draw(st.sampled_from([0, len(BODY) - 1]) | st.integers(0, len(BODY) - 1))
    row = i + 2
    rec = records[i + 1]
    kind = draw(st.sampled_from(["impossible date", "ambiguous date", "text in a number",
                                 "unknown code", "NUL byte", "flag value", "duplicate id",
                                 "missing id", "stray delimiter", "missing last contact"]))
    if kind == "impossible date":
        column, value = draw(st.sampled_from(DATE_COLUMNS)), draw(st.sampled_from(IMPOSSIBLE))
        fault = Fault(kind, row, column, value, "not a real date")
    elif kind == "ambiguous date":
        day, month = draw(st.tuples(st.integers(1, 12), st.integers(1, 12)).filter(
            lambda dm: dm[0] != dm[1]))
        column = draw(st.sampled_from(DATE_COLUMNS))
        value = f"{day:02d}/{month:02d}/{draw(st.integers(2000, 2010))}"
        fault = Fault(kind, row, column, value, "ambiguous")
    elif kind == "text in a number":
        column, value = "age_years", draw(st.sampled_from(NOT_NUMBERS))
        fault = Fault(kind, row, column, value, _not_a_number(value))
    elif kind == "unknown code":
        column, value = draw(st.sampled_from(CATEGORICAL)), draw(st.sampled_from(NOT_LEVELS))
        fault = Fault(kind, row, column, value, "not one of the declared levels")
    elif kind == "NUL byte":
        column = draw(st.sampled_from(CATEGORICAL))
        value = rec[HEADER.index(column)] + "\x00"
        fault = Fault(kind, row, column, value, "a NUL (zero) byte")
    elif kind == "flag value":
        column, value = "died", draw(st.sampled_from(["7", "2", "-1", "dead", "x"]))
        fault = Fault(kind, row, column, value, "not a value of the flag died")
    elif kind == "duplicate id":
        other = draw(st.integers(0, len(BODY) - 1).filter(lambda j: j != i))
        first, row = sorted((row, other + 2))
        column, value, rec = "patient_id", records[first - 1][0], records[row - 1]
        fault = Fault(kind, row, column, value, f"the same id is on row {first}")
    elif kind == "missing id":
        column, value = "patient_id", ""
        fault = Fault(kind, row, column, None, "patient id is missing")
    elif kind == "missing last contact":  # needed to censor a patient who is alive
        assume(not rec[HEADER.index("death_date")])
        column, value = "last_contact_date", ""
        fault = Fault(kind, row, column, None, "how long was the patient followed")
    else:  # a value with the delimiter, unquoted: one value too many
        # (an empty extra value, which DuckDB drops silently on the last line, included)
        rec.append(draw(st.sampled_from(["x", "7,8", "S4", ""])))
        return records, Fault(kind, row, None, None, "values but the header has 24 columns")
    rec[HEADER.index(column)] = value
    return records, fault


def _not_a_number(value: str) -> str:
    """What a value that is not a number is called (a NUL byte is refused as such)."""
    return "a NUL (zero) byte" if "\x00" in value else "not a number"


def stray(records: list[list[str]], fault: Fault) -> str:
    """Write records; a stray-delimiter row is written without quotes around its values."""
    text = write_csv(records)
    if fault.kind != "stray delimiter":
        return text
    lines = text.splitlines(keepends=True)
    bad = records[fault.row - 1]
    lines[fault.row - 1] = ",".join(v.replace(",", ";") for v in bad) + "\n"
    return "".join(lines)


@FAULTS
@given(study_faults())
def test_check_and_report_reject_a_fault_naming_it(case: tuple[list[list[str]], Fault]) -> None:
    records, fault = case
    note(repr(fault))
    with folder() as where:
        study = write_study(where, stray(records, fault))
        assert_rejected(runner.invoke(app, ["check", str(study)]), fault)
        out = where / "report"
        result = runner.invoke(app, ["report", str(study), "--out", str(out)])
        assert_rejected(result, fault)
        assert sorted(p.name for p in where.iterdir()) == ["registry.csv", "study.toml"]


@FAULTS
@given(st.sets(st.integers(0, len(BODY) - 1), max_size=len(BODY) - 1))
def test_every_registry_row_is_accounted_for(left_out: set[int]) -> None:
    # patients without a liver resection date are left out by the cohort step, for its reason
    records = example_records()
    for i in left_out:
        records[i + 1][HEADER.index("liver_resection_date")] = ""
    with folder() as where:
        result = runner.invoke(app, ["check", str(write_study(where, write_csv(records))),
                                     "--json"])
    assert result.exit_code == 0, result.output
    flow = json.loads(result.stdout)["flow"]
    excluded = sum(s["n_excluded"] for s in flow["steps"])
    assert flow["n_final"] + excluded == flow["n_registry"] == len(BODY)
    assert excluded == len(left_out)
    assert flow["steps"][0]["reason"] == "No liver resection"


def _check_numbers(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return {k: doc[k] for k in ("flow", "endpoints", "landmarks", "time_unit")} | {
        "problems": [{k: p[k] for k in ("severity", "row", "column", "value", "message")}
                     for p in doc["problems"]]
    }


BENIGN = {
    "byte-order mark": lambda text: ("\ufeff" + text).encode(),
    "blank lines at the end": lambda text: text + "\n\n",
    "CRLF line ends": lambda text: text.replace("\n", "\r\n"),
    "no newline at the end": lambda text: text.rstrip("\n"),
}


@pytest.mark.parametrize("kind", [*BENIGN, "quoted newline in a text column"])
def test_valid_csv_oddities_read_as_the_clean_registry(tmp_path: Path, kind: str) -> None:
    records = example_records()
    clean = write_csv(records)
    if kind in BENIGN:
        odd = BENIGN[kind](clean)
    else:  # a text column nothing analyses: the value keeps its newline, rows keep numbers
        records[3][HEADER.index("liver_segments")] = "S6\nand S7"
        odd = write_csv(records)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    want = runner.invoke(app, ["check", str(write_study(tmp_path / "a", clean)), "--json"])
    got = runner.invoke(app, ["check", str(write_study(tmp_path / "b", odd)), "--json"])
    assert _check_numbers(got) == _check_numbers(want)


def test_a_quoted_newline_keeps_the_row_numbers_of_later_rows(tmp_path: Path) -> None:
    records = example_records()
    records[3][HEADER.index("liver_segments")] = "S6\nand S7"
    records[5][HEADER.index("pathology")] = "XYZ"
    result = runner.invoke(app, ["check", str(write_study(tmp_path, write_csv(records)))])
    assert_rejected(result, Fault("", 6, "pathology", "XYZ", "not one of the declared levels"))


# ---------------------------------------------------------------------------------------------
# the quick commands: km, table1, cox

KM = ["--time", "time", "--event", "status", "--group", "group", "--json"]
TABLE1 = ["--group", "group", "--continuous", "age", "--categorical", "sex", "--json"]
COX = ["--time", "time", "--event", "status", "--covariates", "age,sex", "--categorical", "sex",
       "--json"]
ARGS = {"km": KM, "table1": TABLE1, "cox": COX}


@st.composite
def quick_faults(draw: st.DrawFn) -> tuple[list[list[str]], Fault, list[str]]:
    """A synthetic cohort with one fault, and the commands that read the faulty column."""
    n = draw(st.integers(20, 300))
    records = cohort_records(n, draw(st.integers(0, 2**16)))
    i = draw(st.sampled_from([0, n - 1]) | st.integers(0, n - 1))
    row = i + 2
    kind = draw(st.sampled_from(["text in the time", "negative time", "infinite time",
                                 "text in a covariate", "unknown event code", "stray delimiter"]))
    if kind == "stray delimiter":
        records[i + 1].append(draw(st.sampled_from(["x", "7", ""])))
        return records, Fault(kind, row, None, None, "values but the header has 7"), list(ARGS)
    if kind == "text in the time":
        column, value = "time", draw(st.sampled_from(NOT_NUMBERS))
        words, commands = _not_a_number(value), ["km", "cox"]
    elif kind == "negative time":
        column, value, words = "time", f"-{draw(st.integers(1, 99))}", "negative"
        commands = ["km", "cox"]
    elif kind == "infinite time":
        column, value, words = "time", draw(st.sampled_from(["inf", "Infinity"])), "not finite"
        commands = ["km", "cox"]
    elif kind == "text in a covariate":
        column, value = "age", draw(st.sampled_from(NOT_NUMBERS))
        words, commands = _not_a_number(value), ["table1", "cox"]
    else:
        column, value = "status", draw(st.sampled_from(["7", "2", "-1", "dead", "x"]))
        words, commands = "event value is not 0/1", ["km", "cox"]
    records[i + 1][QUICK_HEADER.index(column)] = value
    return records, Fault(kind, row, column, value, words), commands


@FAULTS
@given(quick_faults())
def test_quick_commands_reject_a_fault_naming_it(
    case: tuple[list[list[str]], Fault, list[str]],
) -> None:
    records, fault, commands = case
    note(repr(fault))
    with folder() as where:
        path = where / "cohort.csv"
        text = write_csv(records)
        if fault.kind == "stray delimiter":  # unquoted, as a hand-edited file would have it
            lines = text.splitlines(keepends=True)
            lines[fault.row - 1] = ",".join(records[fault.row - 1]) + "\n"
            text = "".join(lines)
        path.write_text(text, newline="")
        for command in commands:
            result = runner.invoke(app, [command, str(path), *ARGS[command]])
            assert_rejected(result, fault)  # the value as written: -3, not -3.0
        assert sorted(p.name for p in where.iterdir()) == ["cohort.csv"]


def _quick_numbers(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    doc.pop("source", None)  # the file's name
    return doc


QUICK_BENIGN = {
    **BENIGN,
    "quoted newline in a text column": None,
}


@pytest.mark.parametrize("kind", list(QUICK_BENIGN))
def test_quick_commands_read_valid_csv_oddities_as_the_clean_file(
    tmp_path: Path, kind: str
) -> None:
    records = cohort_records(120, 7)
    clean = tmp_path / "clean.csv"
    clean.write_text(write_csv(records), newline="")
    odd = tmp_path / "odd.csv"
    transform = QUICK_BENIGN[kind]
    if transform is None:
        records[40][QUICK_HEADER.index("note")] = "seen twice,\nonce by phone"
        odd.write_text(write_csv(records), newline="")
    else:
        written = transform(write_csv(records))
        if isinstance(written, bytes):
            odd.write_bytes(written)
        else:
            odd.write_text(written, newline="")
    for command, args in ARGS.items():
        want = runner.invoke(app, [command, str(clean), *args])
        got = runner.invoke(app, [command, str(odd), *args])
        assert _quick_numbers(got) == _quick_numbers(want), command


@FAULTS
@given(st.integers(20, 300), st.integers(0, 2**16), st.data())
def test_km_accounts_for_every_row(n: int, seed: int, data: st.DataObject) -> None:
    records = cohort_records(n, seed)
    blank = data.draw(st.sets(st.integers(1, n), max_size=n - 2))
    for i in blank:
        records[i][QUICK_HEADER.index("time")] = ""
    with folder() as where:
        path = where / "cohort.csv"
        path.write_text(write_csv(records), newline="")
        doc = _quick_numbers(runner.invoke(app, ["km", str(path), *KM]))
    assert doc["excluded"]["rows"] == len(blank)
    assert sum(g["n"] for g in doc["groups"]) + len(blank) == n


# ---------------------------------------------------------------------------------------------
# past DuckDB's type-sniffing sample (20,480 rows) and in the last row of a large file


@pytest.fixture(scope="module")
def large_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Fault]]:
    where = tmp_path_factory.mktemp("large-study")
    records = example_records(copies=SNIFF_SAMPLE // len(BODY) + 2)  # 20,501 patients
    last = len(records)
    faults = [
        Fault("unknown code", SNIFF_SAMPLE + 3, "pathology", "XYZ", "declared levels"),
        Fault("impossible date", last, "liver_resection_date", "2008-02-30", "not a real date"),
    ]
    for f in faults:
        assert f.row > SNIFF_SAMPLE + 1
        records[f.row - 1][HEADER.index(str(f.column))] = str(f.value)
    return write_study(where, write_csv(records)), faults


def test_check_names_faults_past_the_sniffing_sample(large_study: tuple[Path, list[Fault]]) -> None:
    study, faults = large_study
    result = runner.invoke(app, ["check", str(study)])
    for fault in faults:
        assert_rejected(result, fault)


@pytest.fixture(scope="module")
def large_cohort(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[Fault]]]:
    """Two files of 20,600 patients: one with bad times past the sample and in the last row,
    one with an unknown event code and text in the age past the sample."""
    where = tmp_path_factory.mktemp("large-cohort")
    n = 20_600
    out = {}
    for name, faults in {
        "time": [Fault("text", SNIFF_SAMPLE + 10, "time", "abc", "not a number"),
                 Fault("text", n + 1, "time", "12 months", "not a number")],
        "event_age": [Fault("code", SNIFF_SAMPLE + 5, "status", "7", "event value is not 0/1"),
                      Fault("text", n + 1, "age", "44 years", "not a number")],
    }.items():
        records = cohort_records(n, 3)
        for f in faults:
            records[f.row - 1][QUICK_HEADER.index(str(f.column))] = str(f.value)
        path = where / f"{name}.csv"
        path.write_text(write_csv(records), newline="")
        out[name] = (path, faults)
    return out


@pytest.mark.parametrize(
    ("command", "file", "columns"),
    [
        ("cox", "time", ["time"]),
        ("table1", "time", ["time"]),
        ("km", "event_age", ["status"]),
        ("cox", "event_age", ["age"]),  # (cox names the covariate, not the event: see report)
        ("table1", "event_age", ["age"]),
        ("km", "time", ["time"]),
    ],
)
def test_quick_commands_name_faults_past_the_sniffing_sample(
    large_cohort: dict[str, tuple[Path, list[Fault]]], command: str, file: str,
    columns: list[str],
) -> None:
    path, faults = large_cohort[file]
    args = {"km": KM, "cox": COX,
            "table1": ["--group", "group", "--continuous", "age,time", "--json"]}[command]
    result = runner.invoke(app, [command, str(path), *args])
    for fault in faults:
        if fault.column in columns:
            assert_rejected(result, fault)


# ---------------------------------------------------------------------------------------------
# Spark (one case: a session is slow to start, and a study on Spark runs dozens of queries;
# tests/test_study_engines.py compares whole studies on both engines)

needs_java = pytest.mark.skipif(not JAVA, reason="Java is not installed; Spark needs Java 17")


@needs_java
def test_spark_km_names_a_bad_time_in_the_last_row(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    records = cohort_records(150, 11)
    records[-1][QUICK_HEADER.index("time")] = "abc"
    path = tmp_path / "cohort.csv"
    path.write_text(write_csv(records), newline="")
    result = runner.invoke(app, ["km", str(path), *KM, "--engine", "spark"])
    assert_rejected(result, Fault("text", 151, "time", "abc", "not a number"))


# ---------------------------------------------------------------------------------------------
# outputs: the report folder replaces what is there, so it must never be a user's file or folder


def test_report_never_replaces_a_file_or_a_folder_of_other_files(tmp_path: Path) -> None:
    study = write_study(tmp_path, write_csv(example_records()))
    mine = tmp_path / "notes.txt"
    mine.write_text("mine")
    for out in (mine, tmp_path):
        result = runner.invoke(app, ["report", str(study), "--out", str(out)])
        assert_clean_exit(result)
        assert result.exit_code == 2, result.output
        assert "--out:" in result.output
    assert mine.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "registry.csv", "study.toml"]


@FAULTS
@given(quick_faults(), st.lists(st.integers(0, 400), min_size=1, max_size=3))
def test_blank_lines_between_rows_count_as_rows(
    case: tuple[list[list[str]], Fault, list[str]], blanks: list[int]
) -> None:
    """Rows are named as a spreadsheet numbers them: each blank line before a row counts."""
    records, fault, commands = case
    assume(fault.kind != "stray delimiter")
    lines = write_csv(records).splitlines(keepends=True)
    at = sorted({1 + b % (len(lines) - 1) for b in blanks})  # before a data line
    for k in reversed(at):
        lines.insert(k, "\n")
    moved = Fault(fault.kind, fault.row + sum(k <= fault.row - 1 for k in at), fault.column,
                  fault.value, fault.words)
    note(repr((moved, at)))
    with folder() as where:
        path = where / "cohort.csv"
        path.write_text("".join(lines), newline="")
        for command in commands:
            assert_rejected(runner.invoke(app, [command, str(path), *ARGS[command]]), moved)


def test_a_blank_line_keeps_the_row_numbers_of_check(tmp_path: Path) -> None:
    records = example_records()
    records[5][HEADER.index("pathology")] = "XYZ"
    lines = write_csv(records).splitlines(keepends=True)
    lines.insert(3, "\n")
    result = runner.invoke(app, ["check", str(write_study(tmp_path, "".join(lines)))])
    assert_rejected(result, Fault("", 7, "pathology", "XYZ", "not one of the declared levels"))


def test_blank_line_positions_by_hand(tmp_path: Path) -> None:
    """Blank lines between rows (not those inside a quoted value, nor at the end) shift the
    rows after them; row_sql and Source.user_row count them alike."""
    import duckdb

    from survstudy.engine.csvshape import blank_lines, row_sql
    from survstudy.engine.sources import open_source

    path = tmp_path / "b.csv"
    path.write_text('id,note\n1,a\n\n2,"x\n\ny"\n\n\n3,b\n4,c\n\n\n')
    assert blank_lines(path) == (1, 2, 2)
    source = open_source(path)
    assert [source.user_row(i) for i in range(4)] == [2, 4, 7, 8]
    sql = row_sql("i", 2, blank_lines(path))
    rows = duckdb.sql(f"SELECT {sql} FROM range(4) t(i) ORDER BY i").fetchall()
    assert [r[0] for r in rows] == [2, 4, 7, 8]
    (tmp_path / "c.csv").write_text("id,note\n1,a\n2,b\n")
    assert blank_lines(tmp_path / "c.csv") == ()


def test_byte_search_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is searched in blocks: a blank line split between two blocks is found, and a
    file without one is not flagged, whatever the block size."""
    import survstudy.engine.csvshape as shape

    path = tmp_path / "b.csv"
    path.write_text("id,note\n1,a\n\n2,b\n")  # the blank line's "\n\n" at bytes 11-12
    clean = tmp_path / "c.csv"
    clean.write_text("id,note\n1,a\n2,b\n")
    for block in (1, 2, 3, 11, 12, 1 << 24):
        monkeypatch.setattr(shape, "_BLOCK", block)
        assert shape.blank_lines(path) == (1,), block
        assert shape.blank_lines(clean) == (), block
        assert shape._holds(path, b"\x00") is False
        assert shape._holds(path, b"2,b") is True
