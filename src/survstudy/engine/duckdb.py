"""Count tables computed inside DuckDB: one ``GROUP BY`` scan, rows never reach pandas.

The scan groups by (group, time, event code) and flags text in the time column, so the
distinct values it returns are enough to check the data (non-numeric or negative times, event
codes) and to build the count table. Only when a check fails is the source scanned again, to
name the rows the user must fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from survstudy.data.events import EventSpec
from survstudy.data.sources import Source
from survstudy.engine.counts import CountTable, count_table
from survstudy.errors import InputError, Problem

__all__ = ["check_columns", "connect", "duckdb_counts", "quote_ident", "source_columns"]

#: How many offending rows a message lists before summarising the rest.
ROWS_SHOWN = 5


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connect() -> Any:
    import duckdb

    return duckdb.connect()


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


def _located(
    con: Any, relation: str, source: Source, column: str, where: str, message: str, total: int
) -> list[Problem]:
    found = _rows(con, relation, source, column, where)
    out = [Problem(message, p.file, p.row, p.column, p.value) for p in found]
    if total > len(found):
        out.append(
            Problem(f"{message} ({total - len(found)} more rows like this)", file=source.name,
                    column=column)
        )
    return out


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

    t, e = quote_ident(time), quote_ident(event.column)
    g = f"CAST({quote_ident(group)} AS VARCHAR)" if group else "'all'"
    tnum = f"TRY_CAST({t} AS DOUBLE)"
    sql = (
        f"SELECT {g} AS g, {tnum} AS t, ({t} IS NOT NULL AND {tnum} IS NULL) AS bad, "
        f"CAST({e} AS VARCHAR) AS e, count(*) AS n FROM {relation} GROUP BY ALL"
    )
    rows = con.sql(sql).fetchnumpy()
    n = np.asarray(rows["n"], dtype=np.float64)
    if n.sum() == 0:
        raise InputError(Problem("the file has no data rows", file=source.name))
    g_arr = np.asarray(rows["g"], dtype=object)
    t_arr = np.ma.filled(np.ma.asarray(rows["t"], dtype=np.float64), np.nan)
    t_missing = np.isnan(t_arr)
    bad = np.asarray(rows["bad"], dtype=bool)
    e_arr = np.asarray(rows["e"], dtype=object)
    e_missing = _is_null(rows["e"])
    g_missing = _is_null(rows["g"])

    problems: list[Problem] = []
    if bad.any():
        problems += _located(
            con, relation, source, time, f"{quote_ident(time)} IS NOT NULL AND {tnum} IS NULL",
            "time is not a number", int(n[bad].sum()),
        )
    t_ok = ~bad & ~t_missing
    negative = t_ok & (np.nan_to_num(t_arr) < 0)
    if negative.any():
        problems += _located(
            con, relation, source, time, f"{tnum} < 0", "time is negative; times count from "
            "the origin and cannot be below 0", int(n[negative].sum()),
        )
    infinite = t_ok & np.isinf(t_arr)
    if infinite.any():
        problems += _located(
            con, relation, source, time, f"isinf({tnum})", "time is not finite",
            int(n[infinite].sum()),
        )
    codes = sorted({str(v) for v in e_arr[~e_missing]})
    verdict = {c: event.classify(c) for c in codes}
    unknown = [c for c, v in verdict.items() if v is None]
    if unknown:
        listed = ", ".join(f"'{c}'" for c in unknown)
        where = f"CAST({e} AS VARCHAR) IN ({', '.join(_sql_text(c) for c in unknown)})"
        problems += _located(
            con, relation, source, event.column, where,
            f"event value is not 0/1 or true/false (found {listed}); say which codes mean the "
            f"event, e.g. --event {event.column}=CODE",
            int(sum(n[e_arr == c].sum() for c in unknown)),
        )
    absent = event.check_codes(codes)
    if absent:
        seen = ", ".join(codes[:10]) + (" ..." if len(codes) > 10 else "")
        problems.append(
            Problem(
                f"event code {', '.join(absent)} does not occur in the data (values: {seen})",
                file=source.name, column=event.column,
            )
        )
    if problems:
        raise InputError(problems)

    keep = t_ok & ~e_missing & ~g_missing
    is_event = np.array([bool(verdict.get(str(v), False)) for v in e_arr[keep]], dtype=bool)
    return count_table(
        t_arr[keep],
        is_event,
        None if group is None else g_arr[keep].astype(str),
        weight=n[keep],
        groups=groups,
        excluded=int(n[~keep].sum()),
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _is_null(column: Any) -> Any:
    """Where a fetched column is NULL (masked, None or NaN)."""
    mask = np.ma.getmaskarray(column)
    values = np.ma.getdata(column)
    return mask | np.fromiter((v is None for v in values), dtype=bool, count=len(values))
