"""SPSS (.sav, .zsav, .por), Stata (.dta) and SAS (.sas7bdat with an optional format catalog,
.xpt) files, read with pyreadstat into Parquet once, then scanned by the SQL engine.

The file is read in chunks (``pyreadstat.read_file_in_chunks``) and each chunk is appended to
a Parquet file in the private :func:`~survstudy.data.metadata.workspace`, so a large file never
sits whole in pandas. Codes stay codes (a value label never replaces the value: the study file's
levels are the codes, the labels come from the file); SPSS user-missing values are kept as
values and declared missing codes (a range of them is read as missing); Stata's extended
missing values (.a-.z) and SAS special missing values are read as missing; date and datetime
formats become DATE and TIMESTAMP columns.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from survstudy.engine.fileinfo import ColumnInfo, SourceInfo, workspace
from survstudy.errors import InputError, Problem

__all__ = ["STAT_SUFFIXES", "code_text", "stat_info", "stat_parquet"]

#: File suffix → the pyreadstat reader's kind.
STAT_SUFFIXES = {
    ".sav": "sav",
    ".zsav": "sav",
    ".por": "por",
    ".dta": "dta",
    ".sas7bdat": "sas7bdat",
    ".xpt": "xport",
}

_CHUNK = 100_000
_CACHE: dict[tuple[Any, ...], tuple[Path, SourceInfo]] = {}


def code_text(value: Any) -> str:
    """A code as the study file writes it: 2.0 → "2", 1.5 → "1.5", " a" → "a"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _reader(kind: str) -> Callable[..., Any]:
    import pyreadstat

    readers: dict[str, Callable[..., Any]] = {
        "sav": pyreadstat.read_sav,
        "por": pyreadstat.read_por,
        "dta": pyreadstat.read_dta,
        "sas7bdat": pyreadstat.read_sas7bdat,
        "xport": pyreadstat.read_xport,
    }
    return readers[kind]


def _options(kind: str, catalog: str | None) -> dict[str, Any]:
    if kind == "sav":
        return {"user_missing": True}
    if kind == "sas7bdat" and catalog:
        return {"catalog_file": catalog}
    return {}


def _ranges(meta: Any) -> tuple[dict[str, list[str]], dict[str, list[tuple[float, float]]]]:
    """SPSS user-missing values: single codes (kept, declared missing) and ranges (nulled)."""
    codes: dict[str, list[str]] = {}
    spans: dict[str, list[tuple[float, float]]] = {}
    for col, items in (getattr(meta, "missing_ranges", None) or {}).items():
        for item in items:
            lo, hi = item["lo"], item["hi"]
            if lo == hi:
                codes.setdefault(col, []).append(code_text(lo))
            else:
                spans.setdefault(col, []).append((float(lo), float(hi)))
    return codes, spans


def _schema(chunk: Any, meta: Any) -> Any:
    """The Arrow schema of the whole file from its first chunk and pyreadstat's types:
    strings as text, dates (numbers pyreadstat turned into date objects) as DATE, datetimes as
    TIMESTAMP, every other number as DOUBLE."""
    import pandas as pd
    import pyarrow as pa

    fields = []
    for col in chunk.columns:
        stored = meta.readstat_variable_types.get(col, "double")
        dtype = chunk[col].dtype
        if stored == "string":
            t = pa.string()
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            t = pa.timestamp("us")
        elif pd.api.types.is_object_dtype(dtype):
            t = pa.date32()
        else:
            t = pa.float64()
        fields.append(pa.field(str(col), t))
    return pa.schema(fields)


def _convert(path: Path, kind: str, catalog: str | None, target: Path) -> SourceInfo:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyreadstat

    reader = _reader(kind)
    options = _options(kind, catalog)
    writer = None
    meta = None
    spans: dict[str, list[tuple[float, float]]] = {}
    try:
        for chunk, m in pyreadstat.read_file_in_chunks(
            reader, str(path), chunksize=_CHUNK, **options
        ):
            if writer is None:
                meta = m
                _, spans = _ranges(m)
                schema = _schema(chunk, m)
                writer = pq.ParquetWriter(target, schema)
            for col, items in spans.items():
                values = chunk[col].to_numpy(dtype=np.float64)
                drop = np.zeros(len(values), dtype=bool)
                for lo, hi in items:
                    drop |= (values >= lo) & (values <= hi)
                chunk[col] = np.where(drop, np.nan, values)
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
        if writer is None:  # no rows: the metadata still gives the columns
            _, meta = reader(str(path), metadataonly=True, **options)
            empty = {c: pa.array([], type=pa.float64()) for c in meta.column_names}
            pq.write_table(pa.table(empty), target)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(Problem(f"cannot read the file: {first}", file=str(path))) from None
    finally:
        if writer is not None:
            writer.close()
    _whole_numbers_as_integers(target)
    return _info(path, meta, pq.read_schema(target))


def _whole_numbers_as_integers(target: Path) -> None:
    """Rewrite DOUBLE columns holding only whole numbers as BIGINT (SPSS and Stata store codes
    and counts as doubles; the code 2 is then read, shown and grouped as 2, never 2.0)."""
    from survstudy.engine.duckdb import connect, quote_ident

    con = connect()
    try:
        scan = "read_parquet('" + str(target).replace("'", "''") + "')"
        doubles = [
            str(r[0])
            for r in con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()
            if str(r[1]) == "DOUBLE"
        ]
        if not doubles:
            return
        checks = ", ".join(
            f"coalesce(bool_and({quote_ident(c)} = round({quote_ident(c)}) AND "
            f"abs({quote_ident(c)}) < 9007199254740992), true)"
            for c in doubles
        )
        whole = [c for c, ok in zip(doubles, con.sql(f"SELECT {checks} FROM {scan}").fetchall()[0],
                                     strict=True) if ok]
        if not whole:
            return
        replace = ", ".join(f"CAST({quote_ident(c)} AS BIGINT) AS {quote_ident(c)}" for c in whole)
        tmp = target.with_suffix(".int.parquet")
        con.sql(f"COPY (SELECT * REPLACE ({replace}) FROM {scan}) TO '{tmp}' (FORMAT parquet)")
        tmp.replace(target)
    finally:
        con.close()


def _info(path: Path, meta: Any, schema: Any) -> SourceInfo:
    import pyarrow as pa

    codes, _ = _ranges(meta)
    labels = getattr(meta, "column_names_to_labels", None) or {}
    value_labels = getattr(meta, "variable_value_labels", None) or {}
    columns = {}
    for f in schema:
        col = f.name
        vl = {code_text(k): str(v) for k, v in (value_labels.get(col) or {}).items()}
        if pa.types.is_date(f.type) or pa.types.is_timestamp(f.type):
            kind: str | None = "date"
        elif vl:
            kind = "categorical"
        else:
            kind = None
        columns[col] = ColumnInfo(
            label=labels.get(col) or None,
            kind=kind,
            value_labels=vl,
            missing=tuple(codes.get(col, ())),
        )
    return SourceInfo(str(path), columns)


def _convert_cached(path: Path, catalog: str | None) -> tuple[Path, SourceInfo]:
    kind = STAT_SUFFIXES[path.suffix.lower()]
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size, catalog)
    if key not in _CACHE:
        target = workspace() / f"stat{len(_CACHE)}.parquet"
        if catalog is not None and not Path(catalog).is_file():
            raise InputError(Problem("format catalog not found; check catalog =", file=catalog))
        _CACHE[key] = (target, _convert(path, kind, catalog, target))
    return _CACHE[key]


def stat_parquet(path: Path, catalog: str | None = None) -> Path:
    """The Parquet copy of an SPSS/Stata/SAS file (converted once per process)."""
    return _convert_cached(path, catalog)[0]


def stat_info(path: Path, catalog: str | None = None) -> SourceInfo:
    """What an SPSS/Stata/SAS file says about its columns (labels, value labels, missing
    codes, dates)."""
    return _convert_cached(path, catalog)[1]
