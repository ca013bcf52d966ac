"""Count tables computed inside DuckDB: one ``GROUP BY`` scan, rows never reach pandas.

The scan groups by (group, time, event code) and flags text in the time column, so the
distinct values it returns are enough to check the data (non-numeric or negative times, event
codes) and to build the count table. Only when a check fails is the source scanned again, to
name the rows the user must fix.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from survstudy.engine.counts import CountTable
from survstudy.engine.distinct import ROWS_SHOWN, DistinctRows, Finding, distinct_counts
from survstudy.engine.events import EventSpec
from survstudy.engine.sources import NULL_STRINGS, Source
from survstudy.errors import InputError, Problem

__all__ = [
    "PROGRESS_AFTER",
    "check_columns",
    "connect",
    "duckdb_counts",
    "finding_condition",
    "problem_rows",
    "quote_ident",
    "scan",
    "source_columns",
    "sql_text",
]

#: Seconds a scan runs before its progress is shown on a terminal.
PROGRESS_AFTER = 1.0


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect(database: str = ":memory:") -> Any:
    """A fresh DuckDB connection (in memory unless ``database`` names a file) that tracks
    query progress without printing it.

    DuckDB's own bar would print to standard output and corrupt ``--json``; :func:`scan`
    reports progress on standard error instead.
    """
    import duckdb

    con = duckdb.connect(database)
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def scan(
    con: Any, sql: str, what: str, *, after: float = PROGRESS_AFTER, arrow: bool = False
) -> Any:
    """Run ``sql`` and fetch it as NumPy arrays (or a pyarrow Table with ``arrow``); on a
    terminal, a scan that lasts longer than ``after`` seconds shows "what: 42%" on standard
    error, then clears the line."""
    import sys

    def fetch() -> Any:
        result = con.sql(sql)
        if not arrow:
            return result.fetchnumpy()
        to_arrow = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
        return to_arrow()

    if not sys.stderr.isatty():
        return fetch()
    done = threading.Event()
    shown = False

    def report() -> None:
        nonlocal shown
        if done.wait(after):
            return
        while not done.wait(0.25):
            percent = con.query_progress()
            if percent >= 0:
                sys.stderr.write(f"\r{what}: {percent:5.1f}%")
                sys.stderr.flush()
                shown = True

    watcher = threading.Thread(target=report, daemon=True)
    watcher.start()
    try:
        return fetch()
    finally:
        done.set()
        watcher.join()
        if shown:
            sys.stderr.write("\r" + " " * (len(what) + 9) + "\r")
            sys.stderr.flush()


def source_columns(con: Any, source: Source) -> tuple[str, list[str]]:
    """The FROM clause for ``source`` and its column names; text columns if typing fails."""
    import duckdb

    for all_text in (False, True):
        relation = source.relation(con, all_text=all_text)
        try:
            names = [r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
            if not all_text:  # a value that breaks the sniffed types only shows when scanned
                con.sql(f"SELECT count(*) FROM {relation}").fetchall()
            return relation, names
        except duckdb.ConversionException:
            continue
        except duckdb.Error as e:
            problem = Problem(f"cannot read the file: {_first_line(e)}", file=source.name)
            if source.kind == "csv" and source.path is not None:  # e.g. not UTF-8
                from survstudy.engine.dialect import csv_failure

                problem = csv_failure(source.path, source.name, e, "--encoding")
            raise InputError(problem) from None
    raise InputError(Problem("cannot read the file", file=source.name))


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def check_columns(source: Source, names: Sequence[str], wanted: Mapping[str, str]) -> None:
    """Raise one problem per missing column of ``wanted`` (column → its role, may be "")."""
    problems = []
    for column, role in wanted.items():
        if column in names:
            continue
        close = difflib.get_close_matches(column, names, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f"; columns are: {', '.join(names)}"
        what = f"{role} column" if role else "column"
        problems.append(Problem(f"{what} not found{hint}", file=source.name, column=column))
    if problems:
        raise InputError(problems)


def problem_rows(con: Any, relation: str, source: Source, column: str, where: str) -> list[Problem]:
    """Rows (as the user counts them) where ``where`` holds, with the column's value."""
    sql = (
        f"SELECT rn, v, count(*) OVER () FROM (SELECT row_number() OVER () AS rn, "
        f"CAST({quote_ident(column)} AS VARCHAR) AS v, * FROM {relation}) WHERE {where} "
        f"ORDER BY rn LIMIT {ROWS_SHOWN}"
    )
    return [
        Problem("", file=source.name, row=source.user_row(int(rn) - 1), column=column, value=v)
        for rn, v, _ in con.sql(sql).fetchall()
    ]


#: Rows read to decide how to count: when most of their times are distinct, every row is
#: fetched and counted by sorting (a hash GROUP BY would return nearly as many rows, slowly).
SAMPLE_ROWS = 65_536
#: Share of distinct times in the sample above which rows are counted by sorting.
DISTINCT_SHARE = 0.5

_NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT",
            "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT", "UHUGEINT")  # fmt: skip


def _relation(con: Any, source: Source, used: Sequence[str], time: str, typed: bool) -> str:
    """The FROM clause reading the ``used`` columns with their stated types, never a sniffed
    sample's guess: in a CSV the time as DOUBLE (``typed``) or as text, the others as text;
    in a data frame, columns of mixed Python objects as text."""
    if source.kind == "csv" and source.scan is not None:  # a CSV dialect, already as text
        return source.relation(con, all_text=True)
    if source.kind == "csv":
        nulls = ", ".join(sql_text(s) for s in NULL_STRINGS)
        types = ", ".join(
            f"{sql_text(c)}: '{'DOUBLE' if typed and c == time else 'VARCHAR'}'" for c in used
        )
        path = sql_text(str(source.path))
        # RFC 4180 quoting stated, not sniffed: a quoted "1,5" may first appear past the sample
        return (
            f"read_csv({path}, header=true, quote='\"', escape='\"', nullstr=[{nulls}], "
            f"types={{{types}}})"
        )
    if source.kind in ("frame", "xlsx") and source.frame is not None:
        frame = _as_text(source.frame, used)
        return Source(source.name, source.kind, source.path, frame).relation(con)
    return source.relation(con)


def _as_text(frame: Any, used: Sequence[str]) -> Any:
    """The ``used`` columns of ``frame``, those holding Python objects as text (None missing).

    DuckDB types an object column from a sample of its rows; a value of another type past the
    sample would then be read as missing or fail. Text is read by the same casts as a CSV's.
    """
    import pandas as pd

    out = frame.loc[:, list(used)].copy()
    for column in out.columns[out.dtypes.eq(object).to_numpy()]:
        values = out[column]
        out[column] = values.map(lambda v: None if v is None or pd.isna(v) else str(v)).astype(
            object
        )
    return out


def _names(con: Any, source: Source) -> list[str]:
    """The column names of ``source`` (DuckDB reads only the header and a sample)."""
    import duckdb

    for all_text in (False, True):
        try:
            relation = source.relation(con, all_text=all_text)
            return [str(r[0]) for r in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        except duckdb.Error as e:
            error = e
    raise InputError(Problem(f"cannot read the file: {_first_line(error)}", file=source.name))


def _count_rows(con: Any, relation: str, g: str, t: str, e: str, what: str) -> DistinctRows:
    """The distinct (group, time, text time, event) rows with their counts: by a hash GROUP BY
    when times repeat, every row (count 1) when most times in the first rows are distinct."""
    kind = str(con.sql(f"DESCRIBE SELECT {t} FROM {relation}").fetchall()[0][1])
    numeric = kind.split("(")[0] in _NUMERIC
    tnum = f"CAST({t} AS DOUBLE)" if numeric else f"TRY_CAST({t} AS DOUBLE)"
    bad = "false" if numeric else f"({t} IS NOT NULL AND {tnum} IS NULL)"
    # distinct values as stored: DuckDB 2.0 pushes a lone TRY_CAST into the CSV reader as a
    # strict cast, which would fail on a text value
    rows, distinct = con.sql(
        f"SELECT count(*), count(DISTINCT v) FROM (SELECT {t} AS v FROM {relation} "
        f"LIMIT {SAMPLE_ROWS})"
    ).fetchall()[0]
    if rows and distinct > DISTINCT_SHARE * rows:  # every row, through Arrow
        sql = (
            f"SELECT {g} AS g, {tnum} AS t, {bad} AS bad, CAST({e} AS VARCHAR) AS e "
            f"FROM {relation}"
        )
        return DistinctRows.from_arrow(scan(con, sql, what, arrow=True))
    # group by the columns as stored and turn only the distinct values into text; few rows,
    # fetched as NumPy (no pyarrow to import)
    sql = (
        "SELECT CAST(g AS VARCHAR) AS g, t, bad, CAST(e AS VARCHAR) AS e, sum(n) AS n FROM ("
        f"SELECT {g} AS g, {tnum} AS t, {bad} AS bad, "
        f"{e} AS e, count(*) AS n FROM {relation} GROUP BY ALL) GROUP BY ALL"
    )
    return DistinctRows.from_columns(**scan(con, sql, what))


def duckdb_counts(
    source: Source,
    time: str,
    event: EventSpec,
    group: str | None = None,
    groups: Sequence[str] | None = None,
) -> CountTable:
    """Validate the survival columns of ``source`` and aggregate them into a count table.

    Rows with a missing time, event or group are left out and counted in ``excluded``.
    Raises :class:`InputError` listing every problem (with rows) when the data are unusable.
    A CSV's time column is read as DOUBLE; only if some value is not one is it read again as
    text, so that every such value is found and named (the clean scan stays one pass).
    """
    import duckdb

    con = connect()
    names = _names(con, source)
    wanted = {time: "time", event.column: "event"}
    if group is not None:
        wanted[group] = "group"
    check_columns(source, names, wanted)
    used = list(dict.fromkeys(c for c in (time, event.column, group) if c))

    t, e = quote_ident(time), quote_ident(event.column)
    g = f"CAST({quote_ident(group)} AS VARCHAR)" if group else "'all'"
    for typed in (True, False) if source.kind == "csv" else (False,):
        relation = _relation(con, source, used, time, typed)
        try:
            rows = _count_rows(con, relation, g, t, e, f"counting {source.name}")
            break
        except duckdb.Error as error:
            if typed and isinstance(error, duckdb.ConversionException):
                continue  # a time that is not a number: read it as text to name each one
            problem = Problem(f"cannot read the file: {_first_line(error)}", file=source.name)
            raise InputError(problem) from None

    def locate(finding: Finding) -> list[Problem]:
        condition = finding_condition(finding, t, e)
        as_written = _relation(con, source, used, time, False) if typed else relation
        return problem_rows(con, as_written, source, finding.column, condition)

    return distinct_counts(
        rows, time, event, group, source=source.name, locate=locate, groups=groups
    )


def finding_condition(finding: Finding, t: str, column: str) -> str:
    """SQL that selects the rows behind ``finding``: a bad value of the time column ``t``, or
    one of the finding's codes in ``column`` (both quoted)."""
    tnum = f"TRY_CAST({t} AS DOUBLE)"
    where = {
        "time_text": f"{t} IS NOT NULL AND {tnum} IS NULL",
        "time_negative": f"{tnum} < 0",
        "time_infinite": f"isinf({tnum})",
    }
    codes = ", ".join(sql_text(c) for c in finding.codes)
    return where.get(finding.kind, f"CAST({column} AS VARCHAR) IN ({codes})")


def sql_text(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
