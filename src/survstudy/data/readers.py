"""Sources read through a conversion into Parquet before the SQL engine scans them.

SPSS, Stata and SAS files (:mod:`survstudy.engine.statfiles`), CSV files with a delimiter,
decimal mark or encoding of their own (:mod:`survstudy.engine.dialect`) and REDCap exports with
their data dictionary (:mod:`survstudy.data.redcap`). Each becomes a :class:`Table` over a
Parquet file in the private workspace; rows keep the numbers their user sees.
"""

from __future__ import annotations

from pathlib import Path

from survstudy.config.models import Key, StudyFile, _SourceFields
from survstudy.data.registry import Table
from survstudy.engine.dialect import (
    CsvDialect,
    dialect_csv_parquet,
)
from survstudy.engine.statfiles import STAT_SUFFIXES, stat_parquet
from survstudy.errors import InputError

__all__ = ["dialect_of", "read_converted"]

_CSV = (".csv", ".tsv", ".txt")


def dialect_of(spec: _SourceFields) -> CsvDialect:
    """The CSV dialect a ``[data]`` or ``[[data.join]]`` source declares."""
    return CsvDialect(
        delimiter=spec.delimiter, decimal=spec.decimal or ".", encoding=spec.encoding or "utf-8"
    )


def _dialect_keys(spec: _SourceFields) -> list[str]:
    return [k for k in ("delimiter", "decimal", "encoding") if getattr(spec, k) is not None]


def read_converted(spec: _SourceFields, study: StudyFile, key: Key, path: Path) -> Table | None:
    """The source as a Parquet-backed :class:`Table`, or None when it is read as it is."""
    suffix = path.suffix.lower()
    name = str(path)
    if spec.catalog is not None and suffix != ".sas7bdat":
        raise InputError(study.problem((*key, "catalog"), "'catalog' is for SAS .sas7bdat files"))
    if suffix in STAT_SUFFIXES:
        for extra in ("sheet", "table", "query", "dictionary", *_dialect_keys(spec)):
            if getattr(spec, extra) is not None:
                raise InputError(
                    study.problem((*key, extra), f"'{extra}' is not for {suffix} files")
                )
        catalog = study.resolve(spec.catalog) if spec.catalog else None
        return Table(name, None, 1, path=stat_parquet(path, catalog), kind="parquet")
    if spec.dictionary is not None:
        from survstudy.data.redcap import redcap_table

        return redcap_table(spec, study, key, path)
    if suffix in _CSV and _dialect_keys(spec):
        try:
            dialect = dialect_of(spec)
            dialect.codec  # noqa: B018  (an unknown encoding is the user's to fix)
        except ValueError as e:
            raise InputError(study.problem((*key, "encoding"), str(e), spec.encoding)) from None
        continuous = {n for n, v in study.config.variables.items() if v.type == "continuous"}
        parquet = dialect_csv_parquet(path, name, dialect, continuous=continuous)
        return Table(name, None, 2, path=parquet, kind="parquet")
    if _dialect_keys(spec):
        k = _dialect_keys(spec)[0]
        raise InputError(study.problem((*key, k), f"'{k}' is for CSV files"))
    return None
