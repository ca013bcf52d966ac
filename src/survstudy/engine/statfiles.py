"""SPSS (.sav, .zsav, .por), Stata (.dta) and SAS (.sas7bdat with an optional format catalog,
.xpt) files, read with pyreadstat into Parquet once, then scanned by the SQL engine.

The file is read in chunks (``pyreadstat.read_file_in_chunks``) and each chunk is appended to
a Parquet file in the private :func:`~survstudy.data.metadata.workspace`, so a large file never
sits whole in pandas. Codes stay codes (a value label never replaces the value: the study file's
levels are the codes, the labels come from the file); SPSS user-missing values are kept as
values and declared missing codes (of a range, each value the file holds in it); Stata's extended
missing values (.a-.z) and SAS special missing values (.A-.Z, ._) are kept the same way, as the
codes ".a" or ".A" in a text column, declared missing; date, time and datetime formats become
DATE, TIME and TIMESTAMP columns.
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
    if kind == "por":
        return {}
    if kind == "sas7bdat" and catalog:
        return {"user_missing": True, "catalog_file": catalog}
    return {"user_missing": True}


def _letters(chunk: Any, meta: Any, offset: int, codes: dict[str, dict[int, str]]) -> None:
    """Take Stata/SAS letter missing values (pyreadstat gives "a" or "A" in a numeric column)
    out of ``chunk`` into ``codes`` (column → file row → ".a"), leaving NULL (and numbers as
    DOUBLE) in their place, so the column's type does not depend on the chunk."""
    import numpy as np
    import pandas as pd

    types = meta.readstat_variable_types
    for col in chunk.columns:
        series = chunk[col]
        if types.get(col) == "string" or not (
            pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype)
        ):
            continue
        letter = series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if not letter.any():
            continue
        found = codes.setdefault(str(col), {})
        for i in np.flatnonzero(letter):
            found[offset + int(i)] = "." + str(series.iloc[i])
        rest = series.astype(object).where(~letter, None)
        seen = rest.dropna()
        numeric = all(isinstance(v, (int, float, np.number)) for v in seen)
        chunk[col] = pd.to_numeric(rest).astype("float64") if numeric else rest


def _ranges(meta: Any) -> tuple[dict[str, list[str]], dict[str, list[tuple[float, float]]]]:
    """SPSS user-missing values: single codes and ranges (each kept, declared missing)."""
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
    strings as text, dates (numbers pyreadstat turned into date objects) as DATE, times of day
    (SAS TIME formats) as TIME, datetimes as TIMESTAMP, every other number as DOUBLE."""
    import datetime as dt

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
            seen = chunk[col].dropna()
            first = seen.iloc[0] if len(seen) else None
            if isinstance(first, dt.time):
                t = pa.time64("us")
            elif isinstance(first, dt.datetime):  # pandas < 3 leaves datetimes as objects
                t = pa.timestamp("us")
            else:
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
    letters: dict[str, dict[int, str]] = {}
    in_range: dict[str, set[str]] = {}
    offset = 0
    try:
        for chunk, m in pyreadstat.read_file_in_chunks(
            reader, str(path), chunksize=_CHUNK, **options
        ):
            _letters(chunk, m, offset, letters)
            offset += len(chunk)
            if writer is None:
                meta = m
                _, spans = _ranges(m)
                schema = _schema(chunk, m)
                writer = pq.ParquetWriter(target, schema)
            for col, items in spans.items():
                values = chunk[col].to_numpy(dtype=np.float64)
                for lo, hi in items:
                    inside = np.unique(values[(values >= lo) & (values <= hi)])
                    in_range.setdefault(col, set()).update(code_text(float(v)) for v in inside)
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
        if writer is None:  # no rows: the metadata still gives the columns
            _, meta = reader(str(path), metadataonly=True, **options)
            empty = {c: pa.array([], type=pa.float64()) for c in meta.column_names}
            pq.write_table(pa.table(empty), target)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError,
            pa.ArrowException) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(Problem(f"cannot read the file: {first}", file=str(path))) from None
    finally:
        if writer is not None:
            writer.close()
    _whole_numbers_as_integers(target)
    if letters:
        _put_back(target, letters)
    for col, found in letters.items():
        in_range.setdefault(col, set()).update(found.values())
    return _info(path, meta, pq.read_schema(target), in_range)


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


def _as_text(expr: str, sql_type: str) -> str:
    """A number as the study file writes it (whole numbers without ".0"), anything else cast."""
    if sql_type != "DOUBLE":
        return f"CAST({expr} AS VARCHAR)"
    return (f"CASE WHEN {expr} = round({expr}) THEN CAST(CAST({expr} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({expr} AS VARCHAR) END")


def _put_back(target: Path, letters: dict[str, dict[int, str]]) -> None:
    """Rewrite the columns holding letter missing values as text with their codes (".a")
    where the file has them; the other values are written as the numbers they are."""
    import pandas as pd

    from survstudy.engine.duckdb import connect, quote_ident

    names = list(letters)
    rows = sorted({r for found in letters.values() for r in found})
    table = pd.DataFrame(
        {"__r": rows, **{f"__c{i}": [letters[c].get(r) for r in rows] for i, c in enumerate(names)}}
    )
    con = connect()
    try:
        con.register("__letters", table)
        scan = "read_parquet('" + str(target).replace("'", "''") + "', file_row_number=true)"
        types = {str(r[0]): str(r[1]) for r in con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
        replace = ", ".join(
            f"coalesce(l.__c{i}, {_as_text('d.' + quote_ident(c), types[c])}) AS {quote_ident(c)}"
            for i, c in enumerate(names)
        )
        tmp = target.with_suffix(".codes.parquet")
        con.sql(
            f"COPY (SELECT d.* EXCLUDE (file_row_number) REPLACE ({replace}) FROM {scan} d "
            "LEFT JOIN __letters l ON l.__r = d.file_row_number ORDER BY d.file_row_number) "
            f"TO '{tmp}' (FORMAT parquet)"
        )
        tmp.replace(target)
    finally:
        con.close()


def _info(path: Path, meta: Any, schema: Any, found: dict[str, set[str]]) -> SourceInfo:
    """The columns' labels, value labels, dates and missing codes (the file's single
    user-missing codes and ``found``: the values in a user-missing range, the letter codes)."""
    import pyarrow as pa

    codes, _ = _ranges(meta)
    for col, more in found.items():
        codes[col] = list(dict.fromkeys([*codes.get(col, []), *sorted(more)]))
    labels = getattr(meta, "column_names_to_labels", None) or {}
    value_labels = getattr(meta, "variable_value_labels", None) or {}
    stored = getattr(meta, "readstat_variable_types", None) or {}
    columns = {}
    for f in schema:
        col = f.name
        vl = {
            ("." + k if isinstance(k, str) and stored.get(col) not in (None, "string")
             else code_text(k)): str(v)
            for k, v in (value_labels.get(col) or {}).items()
        }
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
