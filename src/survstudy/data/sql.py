"""Small SQL helpers the data layer shares: quoting, a column as text, lookup tables.

The registry is typed, checked and derived inside DuckDB; Python only sees distinct values (to
parse dates or classify event codes) and the few rows a problem lists. These helpers keep that
SQL readable and safe (every name and value quoted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from survstudy.engine.duckdb import quote_ident

if TYPE_CHECKING:
    from survstudy.engine.sqlengine import Engine

__all__ = ["lit", "lookup_table", "q", "text_of"]

q = quote_ident


def lit(value: object) -> str:
    """A SQL literal for a string, number, bool or None."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            return f"CAST('{value}' AS DOUBLE)"
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def text_of(expr: str, sql_type: str) -> str:
    """SQL giving each value of ``expr`` (SQL of type ``sql_type``, e.g. a quoted column) as
    the text a user would type (NULL when missing).

    Matches :func:`survstudy.data.registry.text_values`: text is stripped, whole numbers lose
    their ``.0`` (a code 2 stored as 2.0 is still "2"), booleans read true/false.
    """
    t = sql_type.upper()
    if t in ("VARCHAR", "TEXT", "STRING") or t.startswith("VARCHAR"):
        return f"trim({expr})"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        d = f"CAST({expr} AS DOUBLE)"
        return (
            f"CASE WHEN {d} = round({d}) AND abs({d}) < 9007199254740992 "
            f"THEN CAST(CAST({d} AS BIGINT) AS VARCHAR) "
            f"WHEN isnan({d}) THEN NULL ELSE CAST({d} AS VARCHAR) END"
        )
    if t == "BOOLEAN":
        return f"CASE WHEN {expr} THEN 'true' WHEN NOT {expr} THEN 'false' END"
    if t.startswith("TIMESTAMP"):
        return (
            f"CASE WHEN CAST({expr} AS TIME) = TIME '00:00:00' THEN strftime({expr}, '%Y-%m-%d') "
            f"ELSE strftime({expr}, '%Y-%m-%dT%H:%M:%S') END"
        )
    return f"CAST({expr} AS VARCHAR)"


def lookup_table(
    engine: Engine, name: str, columns: Mapping[str, Sequence[Any]], types: Mapping[str, str]
) -> str:
    """Create (or replace) a small DuckDB table from Python columns; returns its quoted name.

    Used for the distinct values of a column and what Python made of them (a date's day
    number and reason, an event code's verdict), joined back to the rows in SQL.
    """
    import pyarrow as pa

    arrow_types = {
        "VARCHAR": pa.string(),
        "DOUBLE": pa.float64(),
        "INTEGER": pa.int32(),
        "BOOLEAN": pa.bool_(),
    }

    def values(k: str, v: Sequence[Any]) -> list[Any]:
        if types[k] != "DOUBLE":
            return list(v)
        return [None if x is None or x != x else x for x in v]  # NaN → NULL

    table = pa.table(
        {k: pa.array(values(k, v), type=arrow_types[types[k]]) for k, v in columns.items()}
    )
    engine.lookup(name, table)
    return q(name)
