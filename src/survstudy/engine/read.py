"""Open a registry file for a statistic: a path or a DataFrame becomes a :class:`Source`, and
the columns a row-level method needs are read into pandas.

The faces call these (the public API resolves ``data`` before calling :mod:`survstudy.stats`);
the descriptor itself is :mod:`survstudy.engine.sources`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from survstudy.engine.sources import SUFFIXES, Source
from survstudy.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["open_source", "read_frame"]


def open_source(data: str | Path | pd.DataFrame, sheet: str | int | None = None) -> Source:
    """A :class:`Source` for a path or a DataFrame; a clear error if it cannot be read."""
    if not isinstance(data, (str, Path)):
        return Source(name="data frame", kind="frame", frame=data)
    path = Path(data)
    name = str(data)
    kind = SUFFIXES.get(path.suffix.lower())
    if not path.exists():
        raise InputError(Problem("file not found; check the path", file=name))
    if path.is_dir():
        raise InputError(Problem("is a folder, not a data file", file=name))
    if kind is None:
        raise InputError(
            Problem(f"unknown file type '{path.suffix}'; use .csv, .xlsx or .parquet", file=name)
        )
    if path.stat().st_size == 0:
        raise InputError(Problem("the file is empty", file=name))
    if kind == "xlsx":
        return Source(name=name, kind="xlsx", path=path, frame=_read_excel(path, name, sheet))
    return Source(name=name, kind=kind, path=path)


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
