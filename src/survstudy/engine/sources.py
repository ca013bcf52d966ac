"""Open a registry file where it lives, as a DuckDB relation that has not been read yet.

CSV and Parquet are scanned by DuckDB directly (never loaded into pandas); XLSX is read with
openpyxl through pandas; a pandas DataFrame can be given as is. Every source knows how its
user counts rows (header = row 1), so problems can name the row the user will look at.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survstudy.errors import InputError, Problem

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = [
    "NULL_STRINGS",
    "SUFFIXES",
    "Source",
    "csv_scan",
    "numbered",
    "open_source",
    "read_frame",
]

#: Text read as a missing value in CSV files (R writes NA).
NULL_STRINGS = ("", "NA", "N/A", "NaN", "nan", "NULL", "null", ".")

SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}

#: SPSS, Stata and SAS files, read through a Parquet copy (data/statfiles.py).
_STAT = dict.fromkeys((".sav", ".zsav", ".por", ".dta", ".sas7bdat", ".xpt"), "stat")


@dataclass(frozen=True)
class Source:
    """A table to analyse: a file (CSV, Parquet, XLSX) or an in-memory DataFrame.

    ``name`` is how messages refer to it; ``first_row`` is the row number, as the user counts
    it, of the first data row (2 below a header line, 1 in Parquet).
    """

    name: str
    kind: str
    path: Path | None = None
    frame: Any = None
    scan: tuple[str, str] | None = None  # a CSV dialect's FROM clauses: typed, as text
    blanks: tuple[int, ...] = ()  # CSV: data row index after each blank line (csvshape)

    @property
    def first_row(self) -> int:
        return 2 if self.kind in ("csv", "xlsx") else 1

    def user_row(self, index: int) -> int:
        """The row number a user sees (a spreadsheet's) of the data row at 0-based ``index``:
        header = row 1, blank lines between rows counted."""
        from bisect import bisect_right

        return index + self.first_row + bisect_right(self.blanks, index)

    def relation(
        self,
        con: duckdb.DuckDBPyConnection,
        all_text: bool = False,
        text_columns: Sequence[str] = (),
    ) -> str:
        """SQL for a FROM clause reading this source through ``con``.

        ``text_columns`` of a CSV are read as written (labels such as yes/no or 01 would
        otherwise be sniffed into booleans or numbers); ``all_text`` reads every column so.
        """
        if self.kind == "csv" and self.scan is not None:
            return self.scan[1] if all_text or text_columns else self.scan[0]
        if self.kind == "csv":
            nulls = ", ".join(f"'{s}'" for s in NULL_STRINGS)
            extra = ", all_varchar=true" if all_text else ""
            if text_columns and not all_text:
                types = ", ".join(f"{_quote_text(c)}: 'VARCHAR'" for c in text_columns)
                extra = f", types={{{types}}}"
            return f"read_csv({_quote(self.path)}, header=true, nullstr=[{nulls}]{extra})"
        if self.kind == "parquet":
            return f"read_parquet({_quote(self.path)})"
        view = f"_survstudy_{id(self)}"
        con.register(view, self.frame)
        return view


@contextmanager
def numbered(source: Source) -> Iterator[None]:
    """Renumber the rows of problems raised inside as ``source``'s user rows: code that
    numbers a frame read from a CSV as ``index + first_row`` (the readers skip blank lines)
    then names the row a spreadsheet shows."""
    try:
        yield
    except InputError as e:
        if not source.blanks:
            raise
        raise InputError(
            [
                replace(p, row=source.user_row(p.row - source.first_row))
                if p.row is not None and p.file == source.name
                else p
                for p in e.problems
            ]
        ) from None


def _quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote(path: Path | None) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def open_source(data: str | Path | pd.DataFrame, sheet: str | int | None = None) -> Source:
    """A :class:`Source` for a path or a DataFrame; a clear error if it cannot be read."""
    if not isinstance(data, (str, Path)):
        return Source(name="data frame", kind="frame", frame=data)
    path = Path(data)
    name = str(data)
    kind = SUFFIXES.get(path.suffix.lower()) or _STAT.get(path.suffix.lower())
    if not path.exists():
        raise InputError(Problem("file not found; check the path", file=name))
    if path.is_dir():
        raise InputError(Problem("is a folder, not a data file", file=name))
    if kind is None:
        raise InputError(
            Problem(
                f"unknown file type '{path.suffix}'; use .csv, .xlsx, .parquet, .sav, .dta, "
                ".sas7bdat or .xpt",
                file=name,
            )
        )
    if path.stat().st_size == 0:
        raise InputError(Problem("the file is empty", file=name))
    if kind == "xlsx":
        return Source(name=name, kind="xlsx", path=path, frame=_read_excel(path, name, sheet))
    if kind == "csv":
        _check_csv_shape(path, name)
    from survstudy.engine.quick import quick_source  # SPSS/Stata/SAS, CSV dialects

    if (converted := quick_source(path, name, kind)) is not None:
        return converted
    if kind == "csv":
        from survstudy.engine.csvshape import blank_lines

        return Source(name=name, kind=kind, path=path, blanks=blank_lines(path))
    return Source(name=name, kind=kind, path=path)


def _check_csv_shape(path: Path, name: str) -> None:
    """A ragged row within the sniffer's sample is named by its row (see engine.csvshape)."""
    import duckdb

    from survstudy.engine.csvshape import check_shape, header_fields

    if header_fields(path)[1] < 2:
        return
    sql = f"DESCRIBE SELECT * FROM read_csv({_quote(path)}, header=true, all_varchar=true)"
    try:
        names = [r[0] for r in duckdb.connect().sql(sql).fetchall()]
    except duckdb.Error:
        return  # the reader reports what DuckDB cannot read
    check_shape(path, name, names)


def _read_excel(path: Path, name: str, sheet: str | int | None) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, engine="openpyxl")
    except Exception as e:  # openpyxl raises many types for a damaged or wrong workbook
        raise InputError(Problem(f"cannot read the workbook: {e}", file=name)) from e


def read_frame(
    source: Source, columns: Sequence[str] | None = None, *, as_text: bool = False
) -> pd.DataFrame:
    """The rows of ``source`` as a pandas DataFrame (for row-level methods: Cox, Table 1).

    Missing columns raise one :class:`InputError` naming each, with the closest existing name.
    CSV text such as ``NA`` is read as missing. ``as_text`` reads CSV cells as the user wrote
    them (DuckDB's type sniffing would turn yes/no into booleans or 01 into 1).
    """
    from survstudy.engine.duckdb import check_columns, connect, quote_ident, source_columns

    con = connect()
    relation, names = source_columns(con, source)
    if as_text and source.kind == "csv":
        relation = source.relation(con, all_text=True)
    if columns is None:
        frame: pd.DataFrame = con.sql(f"SELECT * FROM {relation}").df()
        return frame
    check_columns(source, names, {c: "" for c in columns})
    select = ", ".join(quote_ident(c) for c in columns)
    selected: pd.DataFrame = con.sql(f"SELECT {select} FROM {relation}").df()
    return selected


def _path_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def csv_scan(path: Path) -> str:
    """DuckDB FROM clause reading a CSV file as written: every column text, NA etc. missing."""
    nulls = ", ".join("'" + s.replace("'", "''") + "'" for s in NULL_STRINGS)
    return f"read_csv({_path_literal(path)}, header=true, all_varchar=true, nullstr=[{nulls}])"
