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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from survstudy.config import Key, StudyFile, _SourceFields, did_you_mean
from survstudy.data.dates import ExcelSystem
from survstudy.data.sources import NULL_STRINGS
from survstudy.errors import InputError, Problem, Severity

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ROWS_SHOWN", "Registry", "Table", "read_registry", "read_table", "text_values"]

#: How many rows one kind of problem in one column lists before summarising the rest.
ROWS_SHOWN = 20

_SQLITE = {".sqlite", ".sqlite3", ".db"}
_FILE_KINDS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}


@dataclass(frozen=True)
class Table:
    """One table as read: raw values, its name in messages, its first data row number."""

    name: str
    frame: pd.DataFrame
    first_row: int
    excel_system: ExcelSystem | None = None


@dataclass(frozen=True)
class Registry:
    """The joined registry: raw values, one row per row of the main table.

    ``ids`` is the patient id as text; ``origin`` maps each column to the table it came from;
    ``rows`` maps a table name to the user's row number of each registry row (0 when a joined
    table has no row for that patient).
    """

    frame: pd.DataFrame
    ids: NDArray[np.object_]
    id_column: str
    origin: dict[str, str]
    rows: dict[str, NDArray[np.int64]]
    excel_system: dict[str, ExcelSystem | None]
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)

    def at(
        self,
        column: str,
        index: NDArray[np.intp] | NDArray[np.bool_],
        message: Any,
        *,
        severity: Severity = "error",
        values: Any = None,
        limit: int = ROWS_SHOWN,
    ) -> list[Problem]:
        """Problems for registry rows ``index`` (positions or a mask) of ``column``.

        Lists ``limit`` rows, then one line counting the rest. ``values`` (same length as the
        registry) overrides the raw value shown; ``message`` may be a per-row sequence.
        """
        idx = np.flatnonzero(index) if np.asarray(index).dtype == bool else np.asarray(index)
        if idx.size == 0:
            return []
        table = self.origin.get(column, next(iter(self.rows)))
        rows = self.rows[table]
        listed = np.asarray(idx[:limit], dtype=np.intp)
        if values is not None:
            shown = [values[i] for i in listed]
        elif column in self.frame:
            shown = list(self.frame[column].iloc[listed].to_numpy(dtype=object))
        else:
            shown = [None] * len(listed)
        out = []
        for i, raw in zip(listed, shown, strict=True):
            text = message if isinstance(message, str) else message[i]
            value = _display(raw)
            out.append(
                Problem(
                    text,
                    file=table,
                    row=int(rows[i]) or None,
                    column=column,
                    value=value,
                    severity=severity,
                )
            )
        if idx.size > limit:
            first = message if isinstance(message, str) else "same problem"
            out.append(
                Problem(
                    f"{first} ({idx.size - limit} more rows like this)",
                    file=table,
                    column=column,
                    severity=severity,
                )
            )
        return out


def _display(value: Any) -> Any:
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


def read_table(spec: _SourceFields, study: StudyFile, key: Key) -> Table:
    """Read one source named in the study file (``key`` locates it there for messages)."""
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
    if suffix in _SQLITE:
        return _read_sqlite(path, spec, study, key)
    kind = _FILE_KINDS.get(suffix)
    if kind is None:
        raise _fail(
            study,
            (*key, "source"),
            f"unknown file type '{suffix}'; use .csv, .xlsx, "
            ".parquet, .sqlite or a postgresql:// URL",
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
        return Table(name, _read_csv(path, name), 2)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            frame = pq.read_table(path).to_pandas(date_as_object=False)
        except Exception as e:  # pyarrow raises several types for a damaged file
            raise InputError(Problem(f"cannot read the Parquet file: {e}", file=name)) from e
        return Table(name, frame, 1)
    return _read_xlsx(path, name, spec, study, key)


def _read_csv(path: Path, name: str) -> pd.DataFrame:
    import duckdb

    nulls = ", ".join("'" + s.replace("'", "''") + "'" for s in NULL_STRINGS)
    quoted = "'" + str(path).replace("'", "''") + "'"
    try:
        con = duckdb.connect()
        frame: pd.DataFrame = con.sql(
            f"SELECT * FROM read_csv({quoted}, header=true, all_varchar=true, nullstr=[{nulls}])"
        ).df()
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
    try:
        import psycopg  # type: ignore[import-not-found]
    except ImportError:
        raise _fail(
            study,
            (*key, "source"),
            "reading PostgreSQL needs the psycopg package: "
            "pip install 'survstudy[postgres]' (or export the table to CSV or "
            "Parquet)",
        ) from None
    shown = spec.source.split("@")[-1]  # never echo a password
    try:
        with psycopg.connect(spec.source) as con:
            con.read_only = True
            tables = [
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema() ORDER BY table_name"
                ).fetchall()
            ]
            cur = con.execute(_sql_read(spec, study, key, tables))
            columns = [d.name for d in cur.description]
            rows = cur.fetchall()
    except psycopg.Error as e:
        raise _fail(study, key, f"PostgreSQL: {str(e).strip().splitlines()[0]}") from None
    return Table(f"postgresql {shown} [{spec.table or 'query'}]", _frame(columns, rows), 1)


# ---------------------------------------------------------------------------------------------
# the joined registry


def _ids(table: Table, column: str) -> NDArray[np.object_]:
    return text_values(table.frame[column])


def read_registry(study: StudyFile) -> Registry:
    """Read the main table and left-join every ``[[data.join]]`` table on the patient id."""
    import pandas as pd

    data = study.config.data
    main = read_table(data, study, ("data",))
    problems: list[Problem] = []
    _require(study, main, [data.id], ("data", "id"))
    ids = _ids(main, data.id)
    n = len(main.frame)
    frame = main.frame.copy()
    origin = {c: main.name for c in frame.columns}
    rows = {main.name: np.arange(n, dtype=np.int64) + main.first_row}
    systems: dict[str, ExcelSystem | None] = {main.name: main.excel_system}
    for j, spec in enumerate(data.join):
        key: Key = ("data", "join", j)
        table = read_table(spec, study, key)
        if table.name in rows:
            raise _fail(study, (*key, "source"), "this table is already read", spec.source)
        jid = spec.id or data.id
        keep = [jid, *(spec.columns or [c for c in table.frame.columns if c != jid])]
        _require(study, table, keep, (*key, "id") if spec.columns is None else (*key, "columns"))
        keep = [c for c in keep if c != jid]
        clash = [c for c in keep if c in frame.columns]
        if clash:
            raise _fail(
                study,
                key,
                f"column(s) {', '.join(clash)} are in {table.name} and in "
                f"{origin[clash[0]]}; list the columns to take with columns = [...]",
            )
        tid = _ids(table, jid)
        tids = pd.Series(tid)
        dup = tids.duplicated(keep="first").to_numpy() & tids.notna().to_numpy()
        jrows = np.arange(len(tid), dtype=np.int64) + table.first_row
        for i in np.flatnonzero(dup)[:ROWS_SHOWN]:
            first = jrows[np.flatnonzero(tid == tid[i])[0]]
            problems.append(
                Problem(
                    f"duplicate patient id in a joined table (first at row "
                    f"{first}); a joined table needs one row per patient",
                    file=table.name,
                    row=int(jrows[i]),
                    column=jid,
                    value=tid[i],
                )
            )
        position = pd.Index(tid[~dup]).get_indexer(pd.Index(ids))
        found = position >= 0
        src = np.flatnonzero(~dup)[position]
        for c in keep:
            col = table.frame[c].to_numpy(dtype=object)[src]
            col[~found] = None
            frame[c] = col
            origin[c] = table.name
        rows[table.name] = np.where(found, jrows[src], 0)
        systems[table.name] = table.excel_system
        missing = np.flatnonzero(~found & pd.notna(ids))
        for i in missing[:ROWS_SHOWN]:
            problems.append(
                Problem(
                    f"no row for this patient in {table.name}; its columns are missing",
                    file=main.name,
                    row=int(rows[main.name][i]),
                    column=data.id,
                    value=ids[i],
                    severity="warning",
                )
            )
        unmatched = int((~pd.Index(tid).isin(pd.Index(ids)) & pd.notna(tid)).sum())
        if unmatched:
            problems.append(
                Problem(
                    f"{unmatched} row(s) have an id that is not in the main "
                    "table; they are not used",
                    file=table.name,
                    column=jid,
                    severity="note",
                )
            )
    return Registry(frame, ids, data.id, origin, rows, systems, problems)


def _require(study: StudyFile, table: Table, columns: list[str], key: Key) -> None:
    names = [str(c) for c in table.frame.columns]
    problems = []
    for c in columns:
        if c not in names:
            close = did_you_mean(c, names)
            hint = f"did you mean '{close}'?" if close else f"columns are: {', '.join(names)}"
            problems.append(study.problem(key, f"column '{c}' is not in {table.name}; {hint}", c))
    if problems:
        raise InputError(problems)
