"""A first look at an uploaded registry: its columns, and what each seems to hold.

The forms offer column names, put date columns first where a date is asked for, and list the
values of a column where a value is asked for (which status code means "died"). Reading goes
through the same reader as the analysis (:func:`survstudy.data.registry.read_table`), so a
file the preview accepts is a file the analysis can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from survstudy.config.models import DataSection, StudyConfig, StudyFile
from survstudy.data.dates import ISSUES, parse_dates
from survstudy.data.registry import read_table, text_values
from survstudy.engine.dialect import CsvDialect, dialect_keys
from survstudy.errors import InputError, Problem

__all__ = [
    "MAX_VALUES",
    "ColumnInfo",
    "DataPreview",
    "read_preview",
    "sheet_names",
]

#: How many distinct values of a column are kept (enough for codes and groups).
MAX_VALUES = 30

_DATE_OK = {ISSUES.index(""), ISSUES.index("ambiguous")}


@dataclass(frozen=True)
class ColumnInfo:
    """One column: how many values are filled, and what they look like."""

    name: str
    n_filled: int
    n_distinct: int
    values: tuple[str, ...]
    is_date: bool
    is_number: bool
    ambiguous_dates: int = 0


@dataclass(frozen=True)
class DataPreview:
    """The columns of a registry, its number of rows, and (for a workbook) its sheets."""

    n_rows: int
    columns: tuple[ColumnInfo, ...]
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(c.name for c in self.columns))

    def column(self, name: str | None) -> ColumnInfo | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def date_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.is_date)


def sheet_names(path: Path) -> tuple[str, ...]:
    """The sheets of an Excel workbook, in order."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return tuple(wb.sheetnames)
    finally:
        wb.close()


def _looks_like_dates(raw: Any) -> tuple[bool, int]:
    """Whether most filled values read as dates (plain numbers do not count), and how many
    of them are ambiguous (03/04/2010)."""
    import pandas as pd

    filled = raw.dropna()
    if filled.empty:  # an empty column (no recurrence yet) is a date column if named so
        return "date" in str(raw.name).lower(), 0
    if pd.api.types.is_datetime64_any_dtype(filled.dtype):
        return True, 0
    sample = filled.iloc[:2000]
    text = pd.Series(text_values(sample), dtype=object)
    numeric = pd.to_numeric(text, errors="coerce").notna().to_numpy()
    parsed = parse_dates(sample)
    is_date = np.isin(parsed.code, list(_DATE_OK)) & ~numeric
    is_datetime_cell = np.array([hasattr(v, "year") for v in sample], dtype=bool)
    share = float((is_date | is_datetime_cell).mean())
    ambiguous = int((parsed.code == ISSUES.index("ambiguous")).sum())
    return share >= 0.8, ambiguous


def _info(name: str, raw: Any) -> ColumnInfo:
    import pandas as pd

    text = pd.Series(text_values(raw), dtype=object)
    filled = text.dropna()
    distinct = pd.unique(filled.astype(str))
    numbers = pd.to_numeric(filled, errors="coerce")
    is_number = bool(filled.size) and bool(numbers.notna().all())
    is_date, ambiguous = _looks_like_dates(raw.rename(name))
    values = [str(v) for v in distinct[:MAX_VALUES]]
    if distinct.size <= MAX_VALUES:
        values.sort(key=(lambda v: (float(v), v)) if is_number else (lambda v: (0.0, v)))
    return ColumnInfo(
        name=str(name),
        n_filled=int(filled.size),
        n_distinct=int(distinct.size),
        values=tuple(values),
        is_date=is_date,
        is_number=is_number,
        ambiguous_dates=ambiguous,
    )


_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
_SAVE_AS = "Save the registry from your spreadsheet as CSV or Excel (.xlsx) and choose it again."


def _refuse(name: str, why: str) -> InputError:
    return InputError([Problem(f"'{name}' {why}. {_SAVE_AS}", file=name)])


def read_preview(
    path: Path,
    sheet: str | None = None,
    display_name: str | None = None,
    dialect: CsvDialect | None = None,
) -> DataPreview:
    """Read ``path`` (CSV, Excel, SPSS, Stata, SAS) and describe every column; a CSV file
    written in ``dialect`` (:func:`detect_dialect`) is read with it.

    Raises :class:`survstudy.InputError`, naming the file as ``display_name`` (the name the
    user knows), when the file cannot be read or is not a registry table: binary data under
    a text name, no rows below the header, a single column (a text note).
    """
    name = display_name or path.name
    if path.suffix.lower() in _TEXT_SUFFIXES:
        with path.open("rb") as f:
            head = f.read(8192)
        if b"\x00" in head:
            raise _refuse(name, "is not a text (CSV) file: it holds binary data")
    try:
        found = _read_preview(path, sheet, dialect)
    except InputError as e:
        problems = [p for p in e.problems if p.severity == "error"]
        first = problems[0].message if problems else "cannot be read"
        raise _refuse(name, f"cannot be read as a table ({first.split(': ', 1)[0]})") from e
    except Exception as e:  # a reader's own error: say it plainly, naming the file
        raise _refuse(name, f"cannot be read as a table ({type(e).__name__})") from e
    if len(found.columns) < 2:
        raise _refuse(
            name,
            "has a single column, so it is not a registry table (one row per patient, one "
            "column per item, separated by commas or semicolons)",
        )
    if found.n_rows == 0:
        raise _refuse(name, "has column names but no rows of patients below them")
    return found


def _read_preview(path: Path, sheet: str | None, dialect: CsvDialect | None) -> DataPreview:
    sheets = sheet_names(path) if path.suffix.lower() in (".xlsx", ".xlsm") else ()
    if sheets and sheet not in sheets:
        sheet = sheets[0]
    path = path.resolve()
    data = DataSection(source=path.name, id="", sheet=sheet)
    config = StudyConfig(data=data.model_copy(update=dialect_keys(dialect)))
    table = read_table(config.data, StudyFile(path.parent / "study.toml", config, {}), ("data",))
    frame = table.frame
    if frame is None and table.path is not None:  # SPSS/Stata/SAS: read through a Parquet copy
        import pyarrow.parquet as pq

        frame = pq.read_table(table.path).to_pandas(date_as_object=False)
    assert frame is not None
    columns = tuple(_info(str(c), frame[c]) for c in frame.columns)
    return DataPreview(n_rows=len(frame), columns=columns, sheets=sheets, sheet=sheet)
