"""A first study file from the data: ``survstudy init``.

Every column is typed from what the file says (value labels, variable labels, dates: SPSS,
Stata, SAS, a REDCap dictionary) and, where it says nothing, from its values (dates that parse
unambiguously, numbers, a few distinct values → categorical). The id column is the first whose
values are all distinct (preferring names such as ``id``); candidate endpoints are guessed from
the names and labels of the date columns (origin, death, last contact, recurrence) in English,
French, German, Spanish, Italian and Dutch. The draft is commented: each guess says what to check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from survstudy.engine.fileinfo import ColumnInfo, SourceInfo
from survstudy.errors import InputError, Problem

if TYPE_CHECKING:
    from survstudy.engine.dialect import CsvDialect

__all__ = ["ColumnGuess", "draft_study", "guess_columns", "guess_file"]

#: Words in a date column's name or label that say what the date is.
ROLES = {
    "origin": r"surg|operat|resect|diagn|inclu|entry|enrol|random|baseline|start|treat|"
    r"chirurg|opera|diagnos|intervent|cirug|ingreso|inizio|behandel|eingriff|date_op|op_date",
    "death": r"death|dead|died|dod|deces|décès|mort|tod|sterbe|verstorb|overl|muerte|fallec|"
    r"defunc|decess|morte|exitus",
    "last_contact": r"last|follow|fu_|contact|censor|alive|dernier|suivi|letzt|nachbeob|"
    r"ultim|seguim|controllo|laatst|vital",
    "recurrence": r"recur|relapse|progress|metast|rechute|récid|recid|rezidiv|progres|"
    r"recaida|recaída|recidiva|recidief|terugkeer",
}
_ID = re.compile(r"(^|_)(id|pid|patient|record_id|subject|nr|no|numero|nummer)($|_)", re.I)
_MAX_LEVELS = 12


@dataclass(frozen=True)
class ColumnGuess:
    """What ``init`` makes of one column: kind, levels, labels and a role for dates."""

    name: str
    kind: str  # "date", "continuous", "categorical", "text"
    label: str | None
    levels: tuple[str, ...] = ()
    labels: dict[str, str] | None = None
    unique: bool = False
    role: str | None = None
    how: str = ""
    missing: tuple[str, ...] = ()  # the file's missing codes (SPSS user-missing, Stata .a)


def _role(name: str, label: str | None) -> str | None:
    text = f"{name} {label or ''}".lower()
    for role in ("death", "recurrence", "last_contact", "origin"):
        if re.search(ROLES[role], text):
            return role
    return None


def _sorted(levels: list[str]) -> list[str]:
    def key(v: str) -> tuple[int, float, str]:
        try:
            return (0, float(v), v)
        except ValueError:
            return (1, 0.0, v)

    return sorted(levels, key=key)


def guess_columns(con: Any, relation: str, info: SourceInfo | None) -> list[ColumnGuess]:
    """Guess each column of ``relation`` (a DuckDB FROM clause) with the file's metadata."""
    from survstudy.data.dates import OK, parse_dates
    from survstudy.data.sql import lit, q, text_of

    types = {str(r[0]): str(r[1]) for r in con.sql(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
    (n,) = con.sql(f"SELECT count(*) FROM {relation}").fetchall()[0]
    out = []
    for col, sql_type in types.items():
        meta = (info.columns.get(col) if info else None) or ColumnInfo()
        text = text_of(q(col), sql_type)
        if meta.missing:  # a missing code is no value: a column of numbers and .a is numbers
            text = f"CASE WHEN {text} IN ({', '.join(lit(m) for m in meta.missing)}) THEN NULL " \
                   f"ELSE {text} END"
        distinct, numeric, count = con.sql(
            f"SELECT count(DISTINCT t), count(TRY_CAST(t AS DOUBLE)), count(t) "
            f"FROM (SELECT {text} AS t FROM {relation})"
        ).fetchall()[0]
        unique = count == n and distinct == n and n > 0
        values = [
            str(r[0])
            for r in con.sql(
                f"SELECT DISTINCT {text} AS t FROM {relation} WHERE t IS NOT NULL "
                f"ORDER BY t LIMIT 1000"
            ).fetchall()
        ]
        kind, how = meta.kind, "from the file"
        if kind is None:
            if sql_type.upper() == "DATE" or sql_type.upper().startswith("TIMESTAMP"):
                kind = "date"
            elif values and numeric < count:
                parsed = parse_dates(values)
                ok = sum(1 for c in parsed.code.tolist() if c == OK)
                kind = "date" if ok == len(values) else None
            if kind is None:
                # numbers: a few codes shared by many patients are categories; ages in a
                # 13-patient series (12 distinct values) are not
                if numeric == count and (distinct > _MAX_LEVELS or distinct > count // 2):
                    kind = "continuous"
                elif distinct <= _MAX_LEVELS:
                    kind = "categorical"
                else:
                    kind = "continuous" if numeric == count else "text"
            how = "guessed from the values"
        levels: tuple[str, ...] = ()
        if kind == "categorical":
            codes = set(values) | set(meta.value_labels)
            codes -= set(meta.missing)
            levels = tuple(_sorted(sorted(codes)))
        role = _role(col, meta.label) if kind == "date" else None
        out.append(
            ColumnGuess(
                col,
                kind,
                meta.label,
                levels,
                dict(meta.value_labels) or None,
                unique,
                role,
                how,
                tuple(meta.missing),
            )
        )
    return out


def guess_file(data: Path, dictionary: Path | None = None,
               dialect: CsvDialect | None = None) -> list[ColumnGuess]:
    """The guesses for the registry file ``data`` (read as ``survstudy report`` would read
    it, with its metadata or a REDCap ``dictionary``, a CSV in its ``dialect``); identifier
    fields left out."""
    from survstudy.engine.dialect import csv_failure, read_csv_sql
    from survstudy.engine.duckdb import connect
    from survstudy.engine.sources import SUFFIXES, csv_scan
    from survstudy.engine.statfiles import STAT_SUFFIXES, stat_info, stat_parquet

    if not data.is_file():
        raise InputError(Problem("data file not found; check the path", file=str(data)))
    suffix = data.suffix.lower()
    info: SourceInfo | None = None
    if suffix in STAT_SUFFIXES:
        relation = f"read_parquet('{str(stat_parquet(data)).replace(chr(39), chr(39) * 2)}')"
        info = stat_info(data)
    elif SUFFIXES.get(suffix) == "csv":
        relation = csv_scan(data) if dialect is None else read_csv_sql(  # numbers typed with
            data, str(data), dialect, auto_type_candidates="['BIGINT', 'DOUBLE', 'VARCHAR']"
        )  # the file's decimal mark; yes/no, dates and codes stay as written
        if dictionary is not None:
            from survstudy.data.redcap import read_dictionary

            columns = {}
            for f in read_dictionary(dictionary):
                columns.update(f.columns())
            info = SourceInfo(str(dictionary), columns)
    elif SUFFIXES.get(suffix) == "parquet":
        relation = f"read_parquet('{str(data).replace(chr(39), chr(39) * 2)}')"
    else:
        raise InputError(Problem(
            "init reads CSV, Parquet, SPSS, Stata and SAS files; export the sheet as CSV",
            file=str(data)))
    con = connect()
    try:
        guesses = guess_columns(con, relation, info)
    except duckdb.Error as e:  # a file DuckDB cannot read: name it and the key to set
        if SUFFIXES.get(suffix) != "csv":
            raise
        raise InputError(csv_failure(data, str(data), e, "[data] encoding")) from None
    finally:
        con.close()
    if info is not None:
        guesses = [g for g in guesses
                   if not (info.columns.get(g.name) and info.columns[g.name].identifier)]
    return guesses


def _toml(value: Any) -> str:
    """``value`` as an inline TOML value (strings, numbers, lists, tables)."""
    import json

    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _pick(cols: list[ColumnGuess], role: str) -> ColumnGuess | None:
    return next((c for c in cols if c.role == role), None)


def draft_study(
    source: str, guesses: list[ColumnGuess], *, dictionary: str | None = None,
    title: str = "Survival study", dialect: Mapping[str, str] | None = None
) -> str:
    """The commented study file for ``source`` from the column guesses."""
    lines = [
        f"# Draft study file written by `survstudy init` from {Path(source).name}.",
        "# Every guess is marked CHECK: read each one, fix what is wrong, then run",
        "#   survstudy check study.toml   and   survstudy report study.toml",
        "",
        "[study]",
        f"title = {_toml(title)}",
        'time_unit = "months"',
        "",
        "[data]",
        f"source = {_toml(source)}",
    ]
    if dictionary:
        lines.append(f"dictionary = {_toml(dictionary)}")
    for key, value in (dialect or {}).items():  # how the CSV is written, as found
        lines.append(f"{key} = {_toml(value)}  # CHECK: found in the file")
    ids = [c for c in guesses if c.unique]
    id_col = next((c for c in ids if _ID.search(c.name)), ids[0] if ids else guesses[0])
    lines += [
        f"id = {_toml(id_col.name)}  # CHECK: the column that identifies a patient",
        "",
    ]
    dates = [c for c in guesses if c.kind == "date"]
    origin, death = _pick(dates, "origin"), _pick(dates, "death")
    last, recurrence = _pick(dates, "last_contact"), _pick(dates, "recurrence")
    if last or death:
        lines += ["# CHECK: the columns holding the dates of last contact and of death",
                  "[follow_up]"]
        if last:
            lines.append(f"last_contact = {_toml(last.name)}")
        if death:
            lines.append(f"death = {_toml(death.name)}")
        lines.append("")
    chars = []
    for c in guesses:
        if c is id_col:
            continue
        bare = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", c.name)
        lines.append(f"[variables.{c.name if bare else _toml(c.name)}]")
        lines.append(f"label = {_toml(c.label or c.name)}")
        lines.append(f"type = {_toml(c.kind)}  # {c.how}")
        if c.missing:
            lines.append(f"missing = {_toml(list(c.missing))}  # from the file")
        if c.kind == "categorical":
            lines.append(f"levels = {_toml(list(c.levels))}")
            if c.labels:
                labels = {k: v for k, v in c.labels.items() if k in c.levels}
                if labels:
                    lines.append(f"labels = {_toml(labels)}")
        if c.kind in ("categorical", "continuous"):
            chars.append(c.name)
        lines.append("")
    endpoints = []
    if origin and (death or last):
        events = [death.name] if death else []
        lines += [
            f"# CHECK: overall survival from {origin.name} to death (censored at last contact)",
            "[endpoints.os]",
            'label = "Overall survival"',
            f"origin = {_toml(origin.name)}",
            f"events = {_toml(events)}",
            "",
        ]
        endpoints.append("os")
        if recurrence:
            lines += [
                f"# CHECK: recurrence-free survival from {origin.name} to recurrence or death",
                "[endpoints.rfs]",
                'label = "Recurrence-free survival"',
                f"origin = {_toml(origin.name)}",
                f"events = {_toml([recurrence.name, *events])}",
                "",
            ]
            endpoints.append("rfs")
    else:
        lines += [
            "# CHECK: no endpoint found from the date columns' names; add one, e.g.",
            "# [endpoints.os]",
            '# origin = "surgery_date"',
            '# events = ["death_date"]',
            "# or, with ready-made times: time = \"os_days\", event = \"died\", unit = \"days\"",
            "",
        ]
    groups = next((c.name for c in guesses if c.kind == "categorical" and 2 <= len(c.levels) <= 4
                   and c is not id_col), None)
    lines += ["# CHECK: the groups to compare, what Table 1 describes, the Cox covariates",
              "[analysis]"]
    if groups:
        lines.append(f"groups = {_toml(groups)}")
    lines.append(f"characteristics = {_toml([c for c in chars if c != groups])}")
    if endpoints:
        lines.append(f"endpoints = {_toml(endpoints)}")
    lines += ["landmark_years = [1, 3, 5]", "covariates = []", ""]
    return "\n".join(lines)
