"""Issue 12, item 2: a value that cannot be read is an error at any row, never a crash.

DuckDB sniffs a CSV's types from its first 20,480 rows; a bad value past them used to end
``survstudy km`` with a ConversionException traceback. Every case here names file, row
(header = row 1), column and value, and exits 2 without a traceback. Missing is only an empty
cell or a declared missing code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstudy.api.survival import survival_counts
from survstudy.engine.counts import CountTable
from survstudy.engine.duckdb import duckdb_counts
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import open_source
from survstudy.errors import InputError

ROWS = 30_001  # data rows; the header is row 1, so the last data row is row 30,002
#: First data row, the first row past DuckDB's 20,480-row sniffing sample, the last row.
PLACES = (2, 20_482, ROWS + 1)


def frame(rows: int = ROWS, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time": np.round(rng.exponential(20.0, rows), 2),
            "status": rng.integers(0, 2, rows),
            "arm": rng.choice([1, 2], rows),
            "note": rng.integers(0, 9, rows),  # a column km does not use
        }
    )


def write_csv(data: pd.DataFrame, path: Path, column: str, row: int, value: str) -> Path:
    """``data`` as CSV with ``value`` in ``column`` at user row ``row`` (header = row 1)."""
    text = data.astype(str)
    text.loc[row - 2, column] = value
    text.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return frame()


def problems(path: Path | pd.DataFrame, group: str | None = "arm") -> list[str]:
    with pytest.raises(InputError) as caught:
        survival_counts(path, "time", "status", group)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("row", PLACES)
def test_text_in_the_time_column_is_named_at_any_row(
    data: pd.DataFrame, tmp_path: Path, row: int
) -> None:
    path = write_csv(data, tmp_path / "t.csv", "time", row, "abc")
    assert problems(path) == [
        f"{path}, row {row}, column 'time', value 'abc': time is not a number"
    ]


@pytest.mark.parametrize("row", PLACES)
def test_an_unknown_event_code_is_named_at_any_row(
    data: pd.DataFrame, tmp_path: Path, row: int
) -> None:
    path = write_csv(data, tmp_path / "e.csv", "status", row, "abc")
    (found,) = problems(path)
    assert found.startswith(f"{path}, row {row}, column 'status', value 'abc': event value is")


@pytest.mark.parametrize("row", PLACES)
def test_a_group_label_past_the_sample_is_read_as_written(
    data: pd.DataFrame, tmp_path: Path, row: int
) -> None:
    """Group labels are text: 'abc' (or '01') among numbers is one more group, not a crash,
    and not a number read from a sniffed type."""
    path = write_csv(data, tmp_path / "g.csv", "arm", row, "abc")
    counts = survival_counts(path, "time", "status", "arm")
    assert counts.groups == ("1", "2", "abc")
    assert counts.n == ROWS
    assert counts.excluded == 0
    assert counts.stratum_of("abc").n == 1
    path = write_csv(data, tmp_path / "g0.csv", "arm", row, "01")
    assert survival_counts(path, "time", "status", "arm").groups == ("01", "1", "2")


@pytest.mark.parametrize("row", PLACES)
def test_missing_codes_are_missing_and_other_columns_do_not_matter(
    data: pd.DataFrame, tmp_path: Path, row: int
) -> None:
    path = write_csv(data, tmp_path / "m.csv", "time", row, "NA")
    assert survival_counts(path, "time", "status", "arm").excluded == 1
    path = write_csv(data, tmp_path / "n.csv", "note", row, "abc")
    assert survival_counts(path, "time", "status", "arm").excluded == 0


def test_every_bad_time_is_counted_and_the_first_rows_named(
    data: pd.DataFrame, tmp_path: Path
) -> None:
    text = data.astype(str)
    rows = [20_482, 25_000, 29_000, 29_500, 30_000, 30_001, ROWS + 1]
    text.loc[[r - 2 for r in rows], "time"] = ["x", "1,5", "2..0", "abc", "-", "?", "abc"]
    path = tmp_path / "many.csv"
    text.to_csv(path, index=False)
    found = problems(path)
    assert [f.split(", value")[0] for f in found[:5]] == [
        f"{path}, row {r}, column 'time'" for r in rows[:5]
    ]
    assert found[5] == f"{path}, column 'time': time is not a number (2 more rows like this)"


def test_a_clean_file_is_unchanged_by_the_typed_read(data: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    data.to_csv(path, index=False)
    got = survival_counts(path, "time", "status", "arm")
    want = survival_counts(data, "time", "status", "arm")
    assert_same(got, want)
    text = data.astype({"time": str})
    assert_same(survival_counts(text, "time", "status", "arm"), want)


def assert_same(a: CountTable, b: CountTable) -> None:
    assert a.groups == b.groups
    for x, y in zip(a.to_dict().values(), b.to_dict().values(), strict=True):
        assert x == y


def test_parquet_with_a_text_time_column(data: pd.DataFrame, tmp_path: Path) -> None:
    text = data.astype({"time": str})
    path = tmp_path / "clean.parquet"
    text.to_parquet(path)
    assert_same(survival_counts(path, "time", "status", "arm"),
                survival_counts(data, "time", "status", "arm"))  # fmt: skip
    text.loc[ROWS - 1, "time"] = "abc"
    path = tmp_path / "bad.parquet"
    text.to_parquet(path)
    # Parquet has no header line: its first row is row 1
    assert problems(path) == [
        f"{path}, row {ROWS}, column 'time', value 'abc': time is not a number"
    ]


def test_xlsx_with_text_past_duckdbs_object_sample(tmp_path: Path) -> None:
    """DuckDB types a pandas object column from its first rows; a later text value must still
    be found (here at row 2,002 of a workbook)."""
    data = frame(2_001).drop(columns="note")
    values = data["time"].astype(object)
    values.iloc[-1] = "abc"
    data["time"] = values
    path = tmp_path / "bad.xlsx"
    data.to_excel(path, index=False)
    assert problems(path) == [
        f"{path}, row 2002, column 'time', value 'abc': time is not a number"
    ]
    assert problems(data) == [
        "data frame, row 2001, column 'time', value 'abc': time is not a number"
    ]


@settings(max_examples=8, deadline=None)
@given(row=st.integers(2, ROWS + 1), column=st.sampled_from(["time", "status"]),
       value=st.sampled_from(["abc", "1.2.3", "x1", "yes please"]))  # fmt: skip
def test_a_bad_value_anywhere_is_named(row: int, column: str, value: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(frame(), Path(folder) / "r.csv", column, row, value)
        with pytest.raises(InputError) as caught:
            duckdb_counts(open_source(path), "time", EventSpec("status"), "arm")
        (first,) = caught.value.problems
        assert (first.row, first.column, first.value) == (row, column, value)


def test_the_command_exits_2_without_a_traceback(data: pd.DataFrame, tmp_path: Path) -> None:
    path = write_csv(data, tmp_path / "last.csv", "time", ROWS + 1, "abc")
    exe = Path(sys.executable).parent / "survstudy"
    proc = subprocess.run(
        [str(exe), "km", str(path), "--time", "time", "--event", "status", "--group", "arm"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"error: {path}, row {ROWS + 1}, column 'time', value 'abc': time is not a number"
    )
