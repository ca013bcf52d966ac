"""Read the registry a study file names: one table, or several joined on the patient id.

Sources: CSV (read as text by DuckDB, so ``03/04/2010`` and ``007`` arrive as written), XLSX
(any sheet, through openpyxl, which also says whether the workbook uses the 1900 or the 1904
date system), Parquet, a SQLite file (stdlib ``sqlite3``, opened read-only) and PostgreSQL
(a ``postgresql://`` URL, read-only through ``psycopg`` when it is installed) with a table or a
query. Every row keeps the number its user sees (header = row 1 in CSV and XLSX) in the table
it came from, so a problem found after the join still names the right file and row.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.config.models import Key, StudyFile, _SourceFields, did_you_mean
from survstudy.data.dates import ExcelSystem
from survstudy.data.sql import q, text_of
from survstudy.engine.csvshape import blank_lines, check_shape, row_sql
from survstudy.engine.dialect import csv_failure
from survstudy.engine.optional import installed
from survstudy.engine.sources import NULL_STRINGS, SUFFIXES, csv_scan
from survstudy.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from survstudy.engine.sqlengine import Engine

__all__ = [
    "REGISTRY",
    "ROWS_SHOWN",
    "Registry",
    "Table",
    "display_value",
    "read_registry",
    "read_table",
    "text_values",
]

#: How many rows one kind of problem in one column lists before summarising the rest.
ROWS_SHOWN = 20

_SQLITE = {".sqlite", ".sqlite3", ".db"}


@dataclass(frozen=True)
class Table:
    """One table as read: its name in messages, its first data row number, and its rows.

    The rows are either a pandas ``frame`` (XLSX, SQL databases, the web app's preview) or,
    for CSV and Parquet read for an analysis, left in the file at ``path`` (``kind`` "csv" or
    "parquet") for the SQL engine to scan.
    """

    name: str
    frame: pd.DataFrame | None
    first_row: int
    excel_system: ExcelSystem | None = None
    path: Path | None = None
    kind: str = "frame"


def display_value(value: Any) -> Any:
    """A raw value as a problem shows it (dates as ISO text, numpy scalars as Python)."""
    import datetime as dt

    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(value.astype("datetime64[D]"))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    return value


def text_values(values: pd.Series) -> NDArray[np.object_]:
    """Each value as the text a user would type (99.0 → "99"); None when missing."""
    import pandas as pd

    dtype = values.dtype
    if pd.api.types.is_integer_dtype(dtype) and not isinstance(
        dtype, pd.api.extensions.ExtensionDtype
    ):
        return np.asarray(values.to_numpy().astype(str), dtype=object)
    if pd.api.types.is_float_dtype(dtype) and not isinstance(
        dtype, pd.api.extensions.ExtensionDtype
    ):
        num = values.to_numpy(dtype=np.float64)
        whole = np.isfinite(num) & (num == np.round(num)) & (np.abs(num) < 2**53)
        if whole.all() or (whole | np.isnan(num)).all():
            out = np.where(whole, num, 0).astype(np.int64).astype(str).astype(object)
            out[~whole] = None
            return np.asarray(out, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if uniques.dtype == object and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        stripped = pd.Series(uniques, dtype=object).str.strip().to_numpy(dtype=object)
        texts = np.concatenate([stripped, np.array([None], dtype=object)])
    else:
        texts = np.array([_text(u) for u in uniques] + [None], dtype=object)
    return np.asarray(texts[np.asarray(codes, dtype=np.intp)], dtype=object)


def _text(value: Any) -> str | None:
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()


# ---------------------------------------------------------------------------------------------
# reading one table


def _fail(study: StudyFile, key: Key, message: str, value: object = None) -> InputError:
    return InputError(study.problem(key, message, value))


def read_table(spec: _SourceFields, study: StudyFile, key: Key, *, scan: bool = False) -> Table:
    """Read one source named in the study file (``key`` locates it there for messages).

    With ``scan``, a CSV or Parquet file is not read: the SQL engine will scan it.
    """
    source = spec.source
    if source.startswith(("postgresql://", "postgres://")):
        return _read_postgres(spec, study, key)
    if source.startswith("sqlite:///"):
        source = source[len("sqlite:///") :]
    path = Path(study.resolve(source))
    name = str(path)
    if not path.exists():
        raise _fail(study, (*key, "source"), f"data file not found: {name}", spec.source)
    if path.is_dir():
        raise _fail(study, (*key, "source"), "is a folder, not a data file", spec.source)
    suffix = path.suffix.lower()
    from survstudy.data.readers import read_converted  # SPSS/Stata/SAS, CSV dialects, REDCap

    if (converted := read_converted(spec, study, key, path)) is not None:
        return converted
    if suffix in _SQLITE:
        return _read_sqlite(path, spec, study, key)
    kind = SUFFIXES.get(suffix)
    if kind is None:
        raise _fail(
            study,
            (*key, "source"),
            f"unknown file type '{suffix}'; use .csv, .xlsx, .parquet, .sav, .dta, "
            ".sas7bdat, .xpt, .sqlite or a postgresql:// URL",
            spec.source,
        )
    for extra in ("table", "query"):
        if getattr(spec, extra) is not None:
            raise _fail(study, (*key, extra), f"'{extra}' is for SQL databases, not {kind} files")
    if spec.sheet is not None and kind != "xlsx":
        raise _fail(study, (*key, "sheet"), "'sheet' is for XLSX workbooks")
    if path.stat().st_size == 0:
        raise InputError(Problem("the file is empty", file=name))
    if kind == "csv":
        if scan:
            return Table(name, None, 2, path=path, kind="csv")
        return Table(name, _read_csv(path, name), 2)
    if kind == "parquet":
        if scan:
            return Table(name, None, 1, path=path, kind="parquet")
        import pyarrow.parquet as pq

        try:
            frame = pq.read_table(path).to_pandas(date_as_object=False)
        except Exception as e:  # pyarrow raises several types for a damaged file
            raise InputError(Problem(f"cannot read the Parquet file: {e}", file=name)) from e
        return Table(name, frame, 1)
    return _read_xlsx(path, name, spec, study, key)


def _read_csv(path: Path, name: str) -> pd.DataFrame:
    import duckdb

    try:
        con = duckdb.connect()
        frame: pd.DataFrame = con.sql(f"SELECT * FROM {csv_scan(path)}").df()
        return frame
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0]
        raise InputError(Problem(f"cannot read the CSV file: {first}", file=name)) from None


def _read_xlsx(path: Path, name: str, spec: _SourceFields, study: StudyFile, key: Key) -> Table:
    import openpyxl
    import pandas as pd
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a damaged or wrong workbook
        raise InputError(Problem(f"cannot read the workbook: {e}", file=name)) from e
    try:
        sheet = spec.sheet
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            if not 1 <= sheet <= len(wb.worksheets):
                raise _fail(
                    study,
                    (*key, "sheet"),
                    f"the workbook has {len(wb.worksheets)} sheet(s); sheets are counted from 1",
                    sheet,
                )
            ws = wb.worksheets[sheet - 1]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise _fail(
                study,
                (*key, "sheet"),
                "no such sheet; sheets are: " + ", ".join(wb.sheetnames),
                sheet,
            )
        rows = list(ws.iter_rows(min_row=1, values_only=True))
        system: ExcelSystem = 1904 if wb.epoch == CALENDAR_MAC_1904 else 1900
    finally:
        wb.close()
    if not rows:
        raise InputError(Problem("the sheet is empty", file=name))
    header = [str(h).strip() if h is not None else f"column {i + 1}" for i, h in enumerate(rows[0])]
    body = rows[1:]
    while body and all(v is None or (isinstance(v, str) and not v.strip()) for v in body[-1]):
        body.pop()
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame = frame.replace({s: None for s in NULL_STRINGS})
    return Table(f"{name} [sheet {ws.title}]", frame, 2, system)


def _sql_read(spec: _SourceFields, study: StudyFile, key: Key, tables: list[str]) -> str:
    if spec.query is not None:
        return spec.query
    if spec.table is None:
        if len(tables) == 1:
            return f'SELECT * FROM "{tables[0]}"'
        raise _fail(
            study,
            key,
            'say which table to read: table = "..." (tables: '
            + ", ".join(tables)
            + ') or query = "SELECT ..."',
        )
    if spec.table not in tables:
        close = did_you_mean(spec.table, tables)
        hint = f"; did you mean '{close}'?" if close else f"; tables: {', '.join(tables)}"
        raise _fail(study, (*key, "table"), "no such table" + hint, spec.table)
    return 'SELECT * FROM "' + spec.table.replace('"', '""') + '"'


def _frame(columns: list[str], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)


def _read_sqlite(path: Path, spec: _SourceFields, study: StudyFile, key: Key) -> Table:
    name = str(path)
    if spec.sheet is not None:
        raise _fail(study, (*key, "sheet"), "'sheet' is for XLSX workbooks")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise InputError(Problem(f"cannot open the SQLite file: {e}", file=name)) from None
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
            )
        ]
        sql = _sql_read(spec, study, key, tables)
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    except sqlite3.Error as e:
        k = (*key, "query") if spec.query is not None else key
        raise _fail(study, k, f"the database refused the query: {e}") from None
    finally:
        con.close()
    what = spec.table or "query"
    return Table(f"{name} [{what}]", _frame(columns, rows), 1)


def _read_postgres(spec: _SourceFields, study: StudyFile, key: Key) -> Table:
    if not installed("psycopg"):
        raise _fail(
            study,
            (*key, "source"),
            "reading PostgreSQL needs psycopg, which is not installed: "
            "pip install 'survstudy[postgres]' (or export the table to CSV or Parquet)",
        )
    import psycopg  # type: ignore[import-not-found]

    from survstudy.data.postgres import query_rows, redact_url, scrub

    try:
        columns, rows = query_rows(spec.source, spec.table, spec.query)
    except LookupError as e:  # no table named, or no such table: say which there are
        _sql_read(spec, study, key, list(e.args[0]))
        raise  # pragma: no cover - _sql_read raised
    except psycopg.Error as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        refused = spec.query is not None and not isinstance(e, psycopg.OperationalError)
        k = (*key, "query") if refused else key
        raise _fail(study, k, f"PostgreSQL: {scrub(first, spec.source)}") from None
    shown = redact_url(spec.source)
    return Table(f"{shown} [{spec.table or 'query'}]", _frame(columns, rows), 1)


# ---------------------------------------------------------------------------------------------
# the joined registry, inside DuckDB

#: The DuckDB table holding the joined registry: ``__row`` (0-based position in the main table),
#: every column as read, and per joined table its own ``__row`` under ``__row#J``.
REGISTRY = "registry"


@dataclass(frozen=True)
class Registry:
    """The joined registry in the SQL engine (table :data:`REGISTRY`), one row per main-table
    row.

    ``types`` gives each column's DuckDB type (CSV columns are text, as written); ``origin``
    maps a column to the table it came from; ``row_of`` maps a table name to SQL over
    :data:`REGISTRY` (aliased ``{t}``) giving the user's row number in that table (NULL when a
    joined table has no row for the patient); ``first_row`` is the user's number of the main
    table's first data row.
    """

    engine: Engine
    n: int
    id_column: str
    columns: tuple[str, ...]
    types: dict[str, str]
    origin: dict[str, str]
    row_of: dict[str, str]
    excel_system: dict[str, ExcelSystem | None]
    first_row: int
    problems: tuple[Problem, ...] = ()

    @property
    def main(self) -> str:
        return self.origin[self.id_column]


def _load(engine: Engine, table: Table, target: str) -> None:
    """Copy ``table`` into the engine as ``target`` with its 0-based ``__row``."""
    frame = None
    if table.frame is not None:
        import pandas as pd

        frame = pd.DataFrame(
            {
                str(c): pd.Series(text_values(table.frame[c]), dtype=object)
                for c in table.frame.columns
            }
        )
    try:
        engine.load(target, table.path, table.kind, frame)
    except Exception as e:  # each engine raises its own error types for an unreadable file
        if table.kind == "csv" and table.path is not None:  # e.g. not UTF-8: say what to set
            raise InputError(csv_failure(table.path, table.name, e, "[data] encoding")) from None
        kind = {"csv": "CSV file", "parquet": "Parquet file"}.get(table.kind, "table")
        first = str(e).strip().splitlines()[0]
        raise InputError(Problem(f"cannot read the {kind}: {first}", file=table.name)) from None


def _row_of(table: Table, index: str) -> str:
    """SQL (over ``{t}``) for the user's row number of ``table``'s row at 0-based ``index``:
    in a CSV file, blank lines between rows are counted, as a spreadsheet shows them."""
    blanks = blank_lines(table.path) if table.kind == "csv" and table.path else ()
    return row_sql(index, table.first_row, blanks)


def _shape(table: Table, columns: list[str]) -> None:
    """A CSV read with other columns than its header line has: name the ragged rows."""
    if table.kind == "csv" and table.path is not None:
        check_shape(table.path, table.name, columns)


def _data_columns(engine: Engine, table: str) -> dict[str, str]:
    return {c: t for c, t in engine.columns(table).items() if not c.startswith("__row")}


def read_registry(study: StudyFile, engine: Engine) -> Registry:
    """Read the main table into ``engine`` and left-join every ``[[data.join]]`` table on the
    patient id."""
    data = study.config.data
    main = read_table(data, study, ("data",), scan=True)
    _load(engine, main, REGISTRY)
    types = _data_columns(engine, REGISTRY)
    _shape(main, list(types))
    _require(study, main.name, list(types), [data.id], ("data", "id"))
    (n_main,) = engine.sql(f"SELECT count(*) FROM {REGISTRY}").fetchall()[0]
    if not n_main:
        raise InputError(
            Problem(
                "the registry has no data rows (only a header); check that this is the "
                "right file",
                file=main.name,
            )
        )
    origin = {c: main.name for c in types}
    row_of = {main.name: _row_of(main, "{t}.__row")}
    systems: dict[str, ExcelSystem | None] = {main.name: main.excel_system}
    problems: list[Problem] = []
    main_id = text_of(q(data.id), types[data.id])
    for j, spec in enumerate(data.join):
        key: Key = ("data", "join", j)
        table = read_table(spec, study, key, scan=True)
        if table.name in row_of:
            raise _fail(study, (*key, "source"), "this table is already read", spec.source)
        name = f"__join{j}"
        _load(engine, table, name)
        jtypes = _data_columns(engine, name)
        _shape(table, list(jtypes))
        jid = spec.id or data.id
        wanted = [jid, *(spec.columns or [c for c in jtypes if c != jid])]
        _require(
            study,
            table.name,
            list(jtypes),
            wanted,
            (*key, "id") if spec.columns is None else (*key, "columns"),
        )
        keep = [c for c in wanted if c != jid]
        clash = [c for c in keep if c in origin]
        if clash:
            raise _fail(
                study,
                key,
                f"column(s) {', '.join(clash)} are in {table.name} and in "
                f"{origin[clash[0]]}; list the columns to take with columns = [...]",
            )
        problems += _joined(
            engine,
            study,
            table,
            name,
            jid,
            text_of(q(jid), jtypes[jid]),
            keep,
            f"__row#{j}",
            main,
            main_id,
            data.id,
        )
        for c in keep:
            origin[c] = table.name
            types[c] = jtypes[c]
        row_of[table.name] = _row_of(table, f'{{t}}."__row#{j}"')
        systems[table.name] = table.excel_system
        engine.drop(name)
    n = int(engine.sql(f"SELECT count(*) FROM {REGISTRY}").fetchall()[0][0])
    return Registry(
        engine,
        n,
        data.id,
        tuple(types),
        types,
        origin,
        row_of,
        systems,
        main.first_row,
        tuple(problems),
    )


def _joined(
    engine: Engine,
    study: StudyFile,
    table: Table,
    name: str,
    jid: str,
    jid_text: str,
    keep: list[str],
    row_column: str,
    main: Table,
    main_id: str,
    id_column: str,
) -> list[Problem]:
    """Join ``name`` onto the registry (its first row per id) and report what does not match."""
    problems = []
    dups = engine.sql(
        f"SELECT __row, k, first FROM (SELECT __row, {jid_text} AS k, "
        f"min(__row) OVER (PARTITION BY {jid_text}) AS first FROM {q(name)}) "
        f"WHERE k IS NOT NULL AND __row > first ORDER BY __row LIMIT {ROWS_SHOWN}"
    ).fetchall()
    for row, k, first in dups:
        problems.append(
            Problem(
                f"duplicate patient id in a joined table (first at row "
                f"{first + table.first_row}); a joined table needs one row per patient",
                file=table.name,
                row=int(row) + table.first_row,
                column=jid,
                value=k,
            )
        )
    cols = [f"m.{q(c)}" for c in engine.columns(REGISTRY)]
    cols += [f"j.{q(c)}" for c in keep] + [f"j.__row AS {q(row_column)}"]
    # (QUALIFY over a column named in the same SELECT lost every match inside a join in
    # DuckDB 2.0.1, hence the nested SELECT)
    engine.create_table(
        "__joined",
        f"SELECT {', '.join(cols)} "
        f"FROM (SELECT *, {main_id} AS __k FROM {REGISTRY}) m LEFT JOIN "
        f"(SELECT * FROM (SELECT *, {jid_text} AS __k FROM {q(name)}) "
        f"QUALIFY row_number() OVER (PARTITION BY __k ORDER BY __row) = 1) j "
        f"ON m.__k = j.__k ORDER BY m.__row",
    )
    engine.drop(REGISTRY)
    engine.rename("__joined", REGISTRY)
    missing = engine.sql(
        f"SELECT __row, {main_id} FROM {REGISTRY} WHERE {q(row_column)} IS NULL "
        f"AND {main_id} IS NOT NULL ORDER BY __row LIMIT {ROWS_SHOWN}"
    ).fetchall()
    for row, k in missing:
        problems.append(
            Problem(
                f"no row for this patient in {table.name}; its columns are missing",
                file=main.name,
                row=int(row) + main.first_row,
                column=id_column,
                value=k,
                severity="warning",
            )
        )
    (unmatched,) = engine.sql(
        f"SELECT count(*) FROM {q(name)} WHERE {jid_text} IS NOT NULL AND {jid_text} NOT IN "
        f"(SELECT {main_id} FROM {REGISTRY} WHERE {main_id} IS NOT NULL)"
    ).fetchall()[0]
    if unmatched:
        problems.append(
            Problem(
                f"{unmatched} row(s) have an id that is not in the main table; they are not used",
                file=table.name,
                column=jid,
                severity="note",
            )
        )
    return problems


def _require(study: StudyFile, table: str, names: list[str], columns: list[str], key: Key) -> None:
    problems = []
    for c in columns:
        if c not in names:
            close = did_you_mean(c, names)
            hint = f"did you mean '{close}'?" if close else f"columns are: {', '.join(names)}"
            problems.append(study.problem(key, f"column '{c}' is not in {table}; {hint}", c))
    if problems:
        raise InputError(problems)
