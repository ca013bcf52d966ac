"""Table 1 computed inside DuckDB: every variable leaves the engine as counts, never rows.

One scan (``GROUP BY GROUPING SETS``) counts the rows per group, per (group, level) of every
categorical variable and per (group, value) of every continuous variable, and counts the bad
values of every continuous variable so that all problems are reported at once. A registry's
ages are a few hundred (group, value) pairs, not a row per patient: the continuous rows are
computed from these value counts (:mod:`survstudy.stats.characteristics.counted`). The rows
of the table are built by the same functions as :func:`survstudy.characteristics_table`, so
both paths give equal results on the same data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from survstudy.engine.duckdb import check_columns, quote_ident, scan
from survstudy.engine.sources import Source
from survstudy.errors import InputError, Problem
from survstudy.stats.characteristics.counted import Counted, counted_groups
from survstudy.stats.characteristics.fisher import NetworkLimits
from survstudy.stats.characteristics.table import (
    CharacteristicsTable,
    IntArray,
    Table1Input,
    assemble_table,
)
from survstudy.stats.characteristics.table_rows import (
    NOT_FINITE,
    NOT_NUMBER,
    ROWS_SHOWN,
    group_problems,
    order_levels,
    row_problems,
)
from survstudy.stats.characteristics.tests_continuous import ContinuousRule

__all__ = ["characteristics_table_sql"]

#: DuckDB types read as numbers when labelling a group or level (labelled as pandas would:
#: whole numbers without ".0").
_FRACTIONAL = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")


def characteristics_table_sql(
    con: Any,
    relation: str,
    group: str,
    categorical: Sequence[str] = (),
    continuous: Sequence[str] = (),
    *,
    tests: Mapping[str, str] | Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    levels: Mapping[str, Sequence[str]] | None = None,
    conf_level: float = 0.95,
    fisher_limits: NetworkLimits | None = None,
    source: str = "registry",
    continuous_rule: ContinuousRule = "auto",
) -> CharacteristicsTable:
    """Patient characteristics of the SQL ``relation`` by ``group``, equal to
    :func:`survstudy.characteristics_table` on the same rows.

    ``con`` is a ``duckdb.DuckDBPyConnection`` or a survstudy engine (DuckDB or Spark);
    ``relation`` is SQL for a FROM clause (a table or view name, quoted as needed, or a table
    function). The group and categorical columns should hold text (NULL = missing); numbers and
    booleans are labelled as the pandas path labels them. Continuous columns should be DOUBLE
    (NULL or NaN = missing); text is converted with ``TRY_CAST`` and any non-number or infinite
    value is a problem. Every variable is counted in the engine in one scan, its rows never
    fetched: categorical per (group, level), continuous per (group, value). ``source`` names
    the data in messages and in the result; a problem's row is the row's position in a scan
    of the relation (first row = 1). Raises :class:`survstudy.InputError` listing every
    problem, ValueError for an impossible request.
    """

    def load(names: Sequence[str], numbers: Sequence[str]) -> Table1Input:
        return _load(con, relation, group, names, numbers, groups, levels, source)

    return assemble_table(
        group,
        categorical,
        continuous,
        tests,
        load,
        conf_level=conf_level,
        fisher_limits=fisher_limits,
        continuous_rule=continuous_rule,
    )


def _load(
    con: Any,
    relation: str,
    group: str,
    categorical: Sequence[str],
    continuous: Sequence[str],
    groups: Sequence[str] | None,
    levels: Mapping[str, Sequence[str]] | None,
    source: str,
) -> Table1Input:
    """Count, check and label in one scan (continuous variables as value counts)."""
    if hasattr(con, "query_columns"):  # a survstudy engine (DuckDB or Spark)
        described = con.query_columns(f"SELECT * FROM {relation}")
    else:  # a DuckDB connection
        described = {str(r[0]): str(r[1])
                     for r in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    types = {name: kind.upper() for name, kind in described.items()}
    check_columns(
        Source(name=source, kind="relation"),
        list(types),
        {c: "" for c in [group, *categorical, *continuous]},
    )
    inner = [f"{_text(group, types[group])} AS g"]
    inner += [f"{_text(c, types[c])} AS c{i}" for i, c in enumerate(categorical)]
    inner += [f"{_bad(c, types[c])} AS b{j}" for j, c in enumerate(continuous)]
    inner += [f"{_number(c, types[c])} AS x{j}" for j, c in enumerate(continuous)]
    cats = [f"c{i}" for i in range(len(categorical))]
    nums = [f"x{j}" for j in range(len(continuous))]
    sets = ", ".join(["(g)", *(f"(g, {c})" for c in [*cats, *nums])])
    outer = ["g", *cats, *(f"grouping({c}) AS k{i}" for i, c in enumerate(cats))]
    outer += [*nums, *(f"grouping({x}) AS kx{j}" for j, x in enumerate(nums))]
    outer += ["count(*) AS n", *(f"count_if(b{j}) AS bad{j}" for j in range(len(continuous)))]
    sql = (
        f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {relation}) "
        f"GROUP BY GROUPING SETS ({sets})"
    )
    result = scan(con, sql, f"counting {source}")
    n_rows = np.asarray(result["n"], dtype=np.int64)
    g_known, g_text = _texts(result["g"])
    only_group = np.ones(n_rows.size, dtype=bool)  # the (g) grouping set
    for i in range(len(categorical)):
        only_group &= np.asarray(result[f"k{i}"]) == 1
    for j in range(len(continuous)):
        only_group &= np.asarray(result[f"kx{j}"]) == 1

    if int(n_rows[only_group].sum()) == 0:
        raise InputError(Problem("the file has no data rows", file=source))
    labels = order_levels(g_text[only_group & g_known], groups, group)
    per_group = only_group & g_known
    n = np.zeros(len(labels), dtype=np.int64)
    np.add.at(n, _positions(g_text[per_group], labels), n_rows[per_group])
    excluded = int(n_rows[only_group & ~g_known].sum())
    problems = group_problems(labels, n, source, group)
    for j, name in enumerate(continuous):
        total = int(np.asarray(result[f"bad{j}"])[only_group].sum())
        if total:
            shown = _bad_rows(con, relation, name, types[name])
            what = NOT_NUMBER if _is_text(types[name]) else NOT_FINITE
            problems += row_problems(what, source, name, shown, total)
    if problems:
        raise InputError(problems)

    tables: dict[str, tuple[tuple[str, ...], IntArray, IntArray]] = {}
    for i, name in enumerate(categorical):
        mine = np.asarray(result[f"k{i}"]) == 0
        c_known, c_text = _texts(result[f"c{i}"])
        order = None if levels is None else levels.get(name)
        level_labels = order_levels(c_text[mine & c_known], order, name)
        tables[name] = _count_table(
            labels,
            level_labels,
            g_text[mine & g_known],
            c_text[mine & g_known],
            c_known[mine & g_known],
            n_rows[mine & g_known],
        )

    def values(name: str) -> tuple[list[Counted], IntArray]:
        j = list(continuous).index(name)
        mine = (np.asarray(result[f"kx{j}"]) == 0) & g_known
        codes = np.full(int(mine.sum()), -1, dtype=np.int64)
        for code, label in enumerate(labels):  # a few groups; rows are distinct values
            codes[g_text[mine] == label] = code
        x = np.ma.filled(np.ma.asarray(result[f"x{j}"][mine], dtype=np.float64), np.nan)
        return counted_groups(codes, x, n_rows[mine], len(labels))

    return Table1Input(source, labels, n, excluded, tables.__getitem__, values)


def _count_table(
    groups: tuple[str, ...],
    levels: tuple[str, ...],
    group_text: np.ndarray[Any, np.dtype[Any]],
    level_text: np.ndarray[Any, np.dtype[Any]],
    level_known: np.ndarray[Any, np.dtype[np.bool_]],
    n: IntArray,
) -> tuple[tuple[str, ...], IntArray, IntArray]:
    """Level × group counts and per-group missing counts from distinct (group, level) rows."""
    g = _positions(group_text, groups)
    table = np.zeros((len(levels), len(groups)), dtype=np.int64)
    np.add.at(table, (_positions(level_text[level_known], levels), g[level_known]), n[level_known])
    missing = np.zeros(len(groups), dtype=np.int64)
    np.add.at(missing, g[~level_known], n[~level_known])
    return levels, table, missing


def _bad_rows(con: Any, relation: str, name: str, value_type: str) -> list[tuple[int, Any]]:
    """The first rows (position in a scan, from 1) holding a bad value of ``name``, with it."""
    sql = (
        f"SELECT rn, v FROM (SELECT row_number() OVER () AS rn, {quote_ident(name)} AS v, "
        f"{_bad(name, value_type)} AS bad FROM {relation}) WHERE bad ORDER BY rn "
        f"LIMIT {ROWS_SHOWN}"
    )
    return [(int(rn), v) for rn, v in con.sql(sql).fetchall()]


def _is_text(column_type: str) -> bool:
    return column_type.startswith(("VARCHAR", "TEXT", "STRING"))


def _number(column: str, column_type: str) -> str:
    """SQL for a continuous column as DOUBLE (NULL where missing or not a number)."""
    col = quote_ident(column)
    return f"TRY_CAST({col} AS DOUBLE)" if _is_text(column_type) else f"CAST({col} AS DOUBLE)"


def _bad(column: str, column_type: str) -> str:
    """SQL that is true where a continuous value is a problem (as the pandas path decides)."""
    col, x = quote_ident(column), _number(column, column_type)
    if _is_text(column_type):  # text that is no number, or infinite, or "NAN" as written
        return f"({col} IS NOT NULL AND coalesce(NOT ({_finite(x)}), true))"
    return f"coalesce(abs({x}) = {_INF}, false)"  # NaN is missing, as in pandas


#: Infinity in SQL that DuckDB and Spark both read (neither shares isinf/isfinite).
_INF = "CAST('inf' AS DOUBLE)"


def _finite(x: str) -> str:
    return f"(NOT isnan({x}) AND abs({x}) < {_INF})"


def _text(column: str, column_type: str) -> str:
    """SQL labelling a group or categorical value as the pandas path does (NULL = missing)."""
    col = quote_ident(column)
    if column_type == "BOOLEAN":
        return f"CASE WHEN {col} THEN 'True' WHEN NOT {col} THEN 'False' END"
    if column_type.startswith(_FRACTIONAL):
        x = f"CAST({col} AS DOUBLE)"
        return (
            f"CASE WHEN isnan({x}) THEN NULL "
            f"WHEN {x} = trunc({x}) AND abs({x}) < 1e38 THEN CAST(CAST({x} AS HUGEINT) AS VARCHAR) "
            f"ELSE CAST({x} AS VARCHAR) END"
        )
    return f"CAST({col} AS VARCHAR)"


def _texts(column: Any) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], np.ndarray[Any, Any]]:
    """(known, text) of a fetched text column; NULL comes back masked."""
    known = ~np.ma.getmaskarray(column)
    return known, np.asarray(np.ma.getdata(column), dtype=object)


def _positions(texts: np.ndarray[Any, Any], labels: Sequence[str]) -> IntArray:
    """Code of each text (distinct values of a count table, not patient rows) in ``labels``."""
    position = {label: i for i, label in enumerate(labels)}
    return np.array([position[t] for t in texts], dtype=np.int64)
