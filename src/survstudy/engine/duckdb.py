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
from survstudy.engine.sources import Source
from survstudy.errors import InputError, Problem

__all__ = [
    "PROGRESS_AFTER",
    "check_columns",
    "connect",
    "duckdb_counts",
    "quote_ident",
    "scan",
    "source_columns",
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


def scan(con: Any, sql: str, what: str, *, after: float = PROGRESS_AFTER) -> Any:
    """Run ``sql`` and fetch it as NumPy arrays; on a terminal, a scan that lasts longer than
    ``after`` seconds shows "what: 42%" on standard error, then clears the line."""
    import sys

    if not sys.stderr.isatty():
        return con.sql(sql).fetchnumpy()
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
        return con.sql(sql).fetchnumpy()
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


def _rows(con: Any, relation: str, source: Source, column: str, where: str) -> list[Problem]:
    """Rows (as the user counts them) where ``where`` holds, with the column's value."""
    sql = (
        f"SELECT rn, v, count(*) OVER () FROM (SELECT row_number() OVER () AS rn, "
        f"CAST({quote_ident(column)} AS VARCHAR) AS v, * FROM {relation}) WHERE {where} "
        f"ORDER BY rn LIMIT {ROWS_SHOWN}"
    )
    return [
        Problem("", file=source.name, row=int(rn) + source.first_row - 1, column=column, value=v)
        for rn, v, _ in con.sql(sql).fetchall()
    ]


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
    """
    con = connect()
    relation, names = source_columns(con, source)
    wanted = {time: "time", event.column: "event"}
    if group is not None:
        wanted[group] = "group"
    check_columns(source, names, wanted)
    if source.kind == "csv" and "all_varchar" not in relation:  # labels as the user wrote them
        relation = source.relation(con, text_columns=[c for c in (group, event.column) if c])

    t, e = quote_ident(time), quote_ident(event.column)
    g = quote_ident(group) if group else "'all'"
    tnum = f"TRY_CAST({t} AS DOUBLE)"
    # group by the columns as stored and turn only the distinct values into text
    sql = (
        "SELECT CAST(g AS VARCHAR) AS g, t, bad, CAST(e AS VARCHAR) AS e, sum(n) AS n FROM ("
        f"SELECT {g} AS g, {tnum} AS t, ({t} IS NOT NULL AND {tnum} IS NULL) AS bad, "
        f"{e} AS e, count(*) AS n FROM {relation} GROUP BY ALL) GROUP BY ALL"
    )
    rows = DistinctRows.from_columns(**scan(con, sql, f"counting {source.name}"))
    where = {
        "time_text": f"{t} IS NOT NULL AND {tnum} IS NULL",
        "time_negative": f"{tnum} < 0",
        "time_infinite": f"isinf({tnum})",
    }

    def locate(finding: Finding) -> list[Problem]:
        codes = ", ".join(_sql_text(c) for c in finding.codes)
        condition = where.get(finding.kind, f"CAST({e} AS VARCHAR) IN ({codes})")
        return _rows(con, relation, source, finding.column, condition)

    return distinct_counts(
        rows, time, event, group, source=source.name, locate=locate, groups=groups
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
