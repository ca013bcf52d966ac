"""The source of a file the quick commands read when a plain scan is not enough.

An SPSS/Stata/SAS file is read through its Parquet copy; a CSV with a delimiter, decimal mark or
encoding of its own (:func:`~survstudy.engine.dialect.use_dialect`) through two scans, typed and
as text.
"""

from __future__ import annotations

from pathlib import Path

from survstudy.engine.dialect import COMMA_NUMBER, current_dialect, read_csv_sql
from survstudy.engine.sources import Source
from survstudy.engine.statfiles import stat_parquet
from survstudy.errors import InputError, Problem

__all__ = ["quick_source"]


def quick_source(path: Path, name: str, kind: str) -> Source | None:
    """The :class:`Source` of a file the quick commands read (``km``, ``table1``, ``cox``) when
    it needs more than a plain scan: an SPSS/Stata/SAS file (its Parquet copy) or a CSV under
    :func:`~survstudy.engine.dialect.use_dialect`."""
    if kind == "stat":
        return Source(name=name, kind="parquet", path=stat_parquet(path))
    dialect = current_dialect()
    if kind != "csv" or dialect is None or dialect.plain:
        return None
    try:
        dialect.codec  # noqa: B018
    except ValueError as e:
        raise InputError(Problem(f"{e} (--encoding)", file=name)) from None
    typed = read_csv_sql(path, name, dialect, "--encoding")
    text = read_csv_sql(path, name, dialect, "--encoding", all_varchar="true")
    if dialect.decimal == ",":  # numbers as text with a decimal point, like a plain CSV
        fix = (
            f"CASE WHEN regexp_full_match(trim(COLUMNS(*)), {_lit(COMMA_NUMBER)}) "
            "THEN replace(trim(COLUMNS(*)), ',', '.') ELSE COLUMNS(*) END"
        )
        text = f"(SELECT {fix} FROM {text})"
    return Source(name=name, kind="csv", path=path, scan=(typed, text))


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
