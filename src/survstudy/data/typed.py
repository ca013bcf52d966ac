"""Type every registry column inside DuckDB, as the study file declares or as its values allow.

Dates are parsed by :func:`survstudy.data.dates.parse_dates` on the *distinct* values of a
column (a registry of millions of rows has a few thousand distinct dates), and the day numbers
are joined back to the rows in SQL; numbers, levels and missing-value codes are plain SQL. The
result is a SELECT over the registry (:attr:`Typed.select`, :attr:`Typed.joins`), not a table:
the study table reads the registry once through it. It gives ``__row``, then each column typed
(dates as DATE), and per date column ``c#d`` (day number since 1970-01-01), ``c#m`` (truly
empty) and, for any column whose values can be unusable, ``c#why`` (why, NULL when the value
is fine). What typing needs from the values (distinct values, whether every value is a number,
...) is asked in two scans of the registry for all columns at once (:meth:`_Builder.prefetch`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from survstudy.arrays import FloatArray
from survstudy.config.models import Key, StudyFile, did_you_mean
from survstudy.data.dates import MISSING, OK, parse_dates
from survstudy.data.findings import Finding
from survstudy.data.registry import REGISTRY, Registry
from survstudy.data.sql import lit, lookup_table, q, text_of
from survstudy.engine.dialect import COMMA_NUMBER, comma_problem
from survstudy.engine.events import EventSpec
from survstudy.errors import Problem

__all__ = [
    "WHOLE_NUMBERS",
    "Typed",
    "date_columns",
    "days",
    "is_missing",
    "type_registry",
    "why",
]

#: A date written as ISO 8601 (the form DuckDB casts to DATE as Python reads it).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Text of a whole number written as a float ("2.0"), read as the level "2".
_WHOLE_FLOAT = re.compile(r"-?[0-9]+[.]0+")
#: Whole-number types: their text (CAST AS VARCHAR) is a one-to-one function of the value.
WHOLE_NUMBERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
_NUMERIC = (*WHOLE_NUMBERS, "FLOAT", "DOUBLE", "REAL")


def days(column: str) -> str:
    """SQL of a date column's day number (DOUBLE, NULL when missing or unusable)."""
    return q(f"{column}#d")


def is_missing(column: str) -> str:
    """SQL of "this date is truly empty" (not merely unusable)."""
    return q(f"{column}#m")


def why(column: str) -> str:
    """SQL of why a value of ``column`` is unusable (NULL when fine)."""
    return q(f"{column}#why")


@dataclass(frozen=True)
class Typed:
    """What typing found: each column's kind, categorical levels, problems and findings; the
    typed columns as SQL over the registry aliased ``r`` (``select``, needing ``joins``), and
    cheap columns computed from those when read, not stored (``virtual``, SQL over the typed
    columns); and the distinct non-missing values (with their counts) of the text expressions
    scanned."""

    kinds: dict[str, str]
    levels: dict[str, list[str]]
    problems: list[Problem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    select: tuple[str, ...] = ()
    joins: tuple[str, ...] = ()
    virtual: tuple[str, ...] = ()
    distinct: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def dates(self) -> list[str]:
        return [c for c, k in self.kinds.items() if k == "date"]


def date_columns(study: StudyFile) -> dict[str, Key]:
    """Every column read as a date, with the study-file key that makes it one."""
    c = study.config
    out: dict[str, Key] = {}
    for name, var in c.variables.items():
        if var.type == "date":
            out.setdefault(name, ("variables", name))
    for key in ("last_contact", "death"):
        col = getattr(c.follow_up, key)
        if col:
            out.setdefault(col, ("follow_up", key))
    for name, ep in c.endpoints.items():
        if ep.origin:
            out.setdefault(ep.origin, ("endpoints", name, "origin"))
        for i, col in enumerate(ep.events or []):
            out.setdefault(col, ("endpoints", name, "events", i))
        for i, col in enumerate(ep.competing or [] if ep.origin else []):
            out.setdefault(col, ("endpoints", name, "competing", i))
        if ep.censor:
            out.setdefault(ep.censor, ("endpoints", name, "censor"))
    for name, iv in c.intervals.items():
        out.setdefault(iv.start, ("intervals", name, "start"))
        out.setdefault(iv.end, ("intervals", name, "end"))
    return out


def _hint(name: str, registry: Registry) -> str:
    names = list(registry.columns)
    close = did_you_mean(name, names)
    return f"; did you mean '{close}'?" if close else f"; columns are: {', '.join(names)}"


def _missing_problems(study: StudyFile, registry: Registry) -> list[Problem]:
    c = study.config
    present = set(registry.columns)
    needed = date_columns(study)
    problems = [
        study.problem(key, f"column '{col}' is not in the data" + _hint(col, registry), col)
        for col, key in needed.items()
        if col not in present
    ]
    for name, var in c.variables.items():
        if name not in present and name not in needed:
            problems.append(
                study.problem(
                    ("variables", name),
                    f"variable '{name}' is not a column of the data" + _hint(name, registry),
                    name,
                )
            )
        if var.flag and EventSpec.parse(var.flag).column not in present:
            problems.append(
                study.problem(
                    ("variables", name, "flag"),
                    "flag column not in the data" + _hint(var.flag, registry),
                    var.flag,
                )
            )
    return problems


class _Builder:
    """Collects the SELECT list and joins of the typed table, column by column."""

    def __init__(self, study: StudyFile, registry: Registry) -> None:
        self.study, self.registry = study, registry
        self.engine = registry.engine
        self.select: list[str] = ["r.__row"]
        self.virtual: list[str] = []
        self.joins: list[str] = []
        self.kinds: dict[str, str] = {}
        self.levels: dict[str, list[str]] = {}
        self.problems: list[Problem] = []
        self.findings: list[Finding] = []
        self.distinct: dict[str, list[tuple[str, int]]] = {}
        self.scalars: dict[str, Any] = {}

    def values(self, text: str) -> list[tuple[str, int]]:
        """The distinct non-missing values of SQL ``text`` over the registry, with counts."""
        if text not in self.distinct:
            self.distinct[text] = [
                (str(t), int(n))
                for t, n in self.engine.sql(
                    f"SELECT t, count(*) FROM (SELECT {text} AS t FROM {REGISTRY} r) "
                    "WHERE t IS NOT NULL GROUP BY t"
                ).fetchall()
            ]
        return self.distinct[text]

    def scalar(self, *aggregates: str) -> tuple[Any, ...]:
        """The values of aggregate SQL expressions over the registry (aliased ``r``)."""
        wanted = [a for a in dict.fromkeys(aggregates) if a not in self.scalars]
        if wanted:
            row = self.engine.sql(f"SELECT {', '.join(wanted)} FROM {REGISTRY} r").fetchall()[0]
            self.scalars.update(zip(wanted, row, strict=True))
        return tuple(self.scalars[a] for a in aggregates)

    def prefetch(self, kinds: dict[str, str], also: Sequence[str]) -> None:
        """Ask, in one aggregate scan and one grouping-sets scan of the registry, what the
        column methods below would otherwise ask in one scan per column (``also``: more
        text expressions whose distinct values are wanted). DuckDB only: Spark asks per
        column, as the methods do when an answer is not here."""
        if self.engine.kind != "duckdb":
            return
        texts = list(also)
        aggregates: list[str] = []
        for col, kind in kinds.items():
            sql_type = self.registry.types[col].upper()
            declared = self.study.config.variables.get(col)
            text = self.text(col)
            undeclared_levels = kind == "categorical" and not (declared and declared.levels)
            if (kind == "date" and not _native_date(sql_type)) or undeclared_levels:
                texts.append(text)
            elif kind == "continuous":
                if sql_type not in _NUMERIC:
                    aggregates.append(_comma_example(text))
                if declared is None or declared.min is None:
                    aggregates += _negatives(self.number(col, text))
            elif kind == "guess" and not _native(sql_type):
                aggregates += _guess(text)
        if aggregates:
            self.scalar(*aggregates)
        texts = [t for t in dict.fromkeys(texts) if t not in self.distinct]
        if not texts:
            return
        v = [f"__v{i}" for i in range(len(texts))]
        rows = self.engine.sql(
            f"SELECT {', '.join(f'GROUPING({x})' for x in v)}, {', '.join(v)}, count(*) FROM "
            f"(SELECT {', '.join(f'{t} AS {x}' for t, x in zip(texts, v, strict=True))} "
            f"FROM {REGISTRY} r) GROUP BY GROUPING SETS ({', '.join(f'({x})' for x in v)})"
        ).fetchall()
        found: list[list[tuple[str, int]]] = [[] for _ in texts]
        k = len(texts)
        for row in rows:
            i = row[:k].index(0)
            if row[k + i] is not None:
                found[i].append((str(row[k + i]), int(row[-1])))
        self.distinct.update(zip(texts, found, strict=True))

    def number(self, col: str, text: str) -> str:
        """SQL of a continuous column's value (DOUBLE, NULL when not a number)."""
        if self.registry.types[col].upper() in _NUMERIC:
            return f"CASE WHEN {text} IS NULL THEN NULL ELSE CAST({self.raw(col)} AS DOUBLE) END"
        return f"TRY_CAST({text} AS DOUBLE)"

    def missing_codes(self, col: str) -> set[str]:
        """The codes meaning "unknown" in ``col``: the registry's and the variable's own."""
        c = self.study.config
        declared = c.variables.get(col)
        return {str(v) for v in [*c.data.missing, *(declared.missing if declared else [])]}

    def text(self, col: str) -> str:
        """The column as text, missing-value codes turned into NULL."""
        codes = self.missing_codes(col)
        text = text_of(self.raw(col), self.registry.types[col])
        if not codes:
            return text
        listed = ", ".join(lit(v) for v in sorted(codes))
        return f"(CASE WHEN {text} IN ({listed}) THEN NULL ELSE {text} END)"

    def raw(self, col: str) -> str:
        return f"r.{q(col)}"

    def comma(self, col: str, text: str, example: str, *, error: bool) -> None:
        """A column of decimal commas, named with the first row holding ``example``."""
        origin = self.registry.origin[col]
        row_sql = self.registry.row_of[origin].format(t="r")
        (row,) = self.engine.sql(
            f"SELECT min({row_sql}) FROM {REGISTRY} r WHERE {text} = {lit(example)}"
        ).fetchall()[0]
        problem = comma_problem(col, origin, example, error=error)
        self.problems.append(problem if row is None else replace(problem, row=int(row)))

    def _plain_date(self, col: str, as_date: str) -> None:
        """A date column every value of which SQL reads by itself (``as_date``): stored as a
        DATE; its day number, missing flag and (empty) reason computed when read, cheaper
        than writing them."""
        self.select.append(f"{as_date} AS {q(col)}")
        self.virtual += [
            _day_number(col),
            f"{q(col)} IS NULL AS {is_missing(col)}",
            f"CAST(NULL AS VARCHAR) AS {why(col)}",
        ]

    def date(self, col: str) -> None:
        c = self.study.config
        declared = c.variables.get(col)
        sql_type = self.registry.types[col].upper()
        self.kinds[col] = "date"
        if _native_date(sql_type):
            self._plain_date(col, f"CAST({self.raw(col)} AS DATE)")
            return
        text = self.text(col)
        distinct = self.values(text)
        origin = self.registry.origin[col]
        system = c.data.excel_date_system or self.registry.excel_system.get(origin) or 1900
        fmt = (declared.format if declared else None) or c.data.date_format
        values = [t for t, _ in distinct]
        parsed = parse_dates(values, format=fmt, excel_system=system)
        if _all_iso(values, parsed.days, parsed.code):  # no lookup: DuckDB reads them alike
            self._plain_date(col, f"CAST({text} AS DATE)")
            return
        reasons = [parsed.reason(i) for i in range(len(values))]
        alias = f"__d{len(self.joins)}"
        name = lookup_table(
            self.engine,
            f"__dates_{len(self.joins)}",
            {
                "t": values,
                "d": parsed.days.tolist(),
                "code": parsed.code.tolist(),
                "why": [
                    f"date {w}" if k not in (OK, MISSING) else None
                    for w, k in zip(reasons, parsed.code.tolist(), strict=True)
                ],
            },
            {"t": "VARCHAR", "d": "DOUBLE", "code": "INTEGER", "why": "VARCHAR"},
        )
        self.joins.append(f"LEFT JOIN {name} {alias} ON {text} = {alias}.t")
        d = f"{alias}.d"
        self.select += [
            f"CAST(DATE '1970-01-01' + CAST({d} AS INTEGER) AS DATE) AS {q(col)}",
            f"({text} IS NULL OR {alias}.code = {MISSING}) AS {is_missing(col)}",
            f"{alias}.why AS {why(col)}",
        ]
        self.virtual.append(_day_number(col))  # day numbers are whole: the date's own
        self.findings.append(Finding(col, f"{why(col)} IS NOT NULL", why(col)))
        serial_rows = sum(n for (_, n), s in zip(distinct, parsed.serial, strict=True) if s)
        if (
            serial_rows
            and c.data.excel_date_system is None
            and (self.registry.excel_system.get(origin) is None)
        ):
            self.problems.append(
                Problem(
                    f"{serial_rows} value(s) read as Excel serial day numbers in the 1900 "
                    "date system; if the workbook used the 1904 system set "
                    "excel_date_system = 1904 in [data]",
                    file=origin,
                    column=col,
                    severity="warning",
                )
            )

    def continuous(self, col: str) -> None:
        self.kinds[col] = "continuous"
        text = self.text(col)
        value = self.number(col, text)
        if self.registry.types[col].upper() not in _NUMERIC:
            (comma,) = self.scalar(_comma_example(text))
            if comma is not None:
                self.comma(col, text, comma, error=True)
        message = "not a number (this variable is continuous)"
        self.select += [
            f"{value} AS {q(col)}",
            f"CASE WHEN {text} IS NOT NULL AND {value} IS NULL THEN {lit(message)} END "
            f"AS {why(col)}",
        ]
        self.findings.append(Finding(col, f"{why(col)} IS NOT NULL", lit(message)))
        self.range(col, value)

    def range(self, col: str, value: str) -> None:
        """Values outside the declared ``min``/``max`` (errors); without ``min``, negative
        values that are at most a tenth of the values, the others all >= 0 (warnings: an
        age, a count or a size cannot be negative, a difference can)."""
        declared = self.study.config.variables.get(col)
        lo = declared.min if declared else None
        hi = declared.max if declared else None
        for bound, op, word in ((lo, "<", "below"), (hi, ">", "above")):
            if bound is not None:
                key = "min" if op == "<" else "max"
                self.findings.append(Finding(
                    col, f"{q(col)} {op} {bound!r}",
                    lit(f"{word} the plausible range ({key} = {bound:g} in [variables.{col}])"),
                ))
        if lo is not None:
            return
        (negative, total) = self.scalar(*_negatives(value))
        if negative and negative * 10 <= total:
            message = (
                "negative, while the other values are >= 0 (an age, a count or a size cannot "
                f"be negative); if negative values are valid, set min in [variables.{col}]"
            )
            self.findings.append(Finding(col, f"{q(col)} < 0", lit(message), "warning"))

    def categorical(self, col: str, declared: list[str] | None) -> None:
        self.kinds[col] = "categorical"
        text = self.text(col)
        if declared:  # "2.0" (a spreadsheet's or pandas' float) is the declared level "2"
            text = (f"CASE WHEN regexp_matches({text}, {lit('^-?[0-9]+[.]0+$')}) THEN "
                    f"regexp_replace({text}, {lit('[.]0+$')}, '') ELSE {text} END")
            self._coded(col, text, declared)
            return
        # undeclared: every value found is a level, none can be wrong
        self.levels[col] = sorted(t for t, _ in self.values(text))
        self.select.append(f"{text} AS {q(col)}")
        self.virtual.append(f"CAST(NULL AS VARCHAR) AS {why(col)}")

    def _coded(self, col: str, text: str, levels: list[str]) -> None:
        """A categorical column with declared levels, stored as a small integer (its level's
        place in the list, 0 for a value that is none of them: writing a number costs far
        less than writing its text); its text and its reason computed when read."""
        self.levels[col] = levels
        code = q(f"{col}#code")
        number = " ".join(f"WHEN {lit(v)} THEN {i}" for i, v in enumerate(levels, 1))
        # most values are written exactly as a level: those skip trimming and the regexes
        same = self._written_as_is(col, levels)
        fast = f"WHEN {self.raw(col)} IN ({same}) THEN CASE {self.raw(col)} {number} END " if (
            same) else ""
        self.select.append(
            f"CAST(CASE {fast}WHEN {text} IS NULL THEN NULL "
            f"ELSE coalesce(CASE {text} {number} END, 0) END AS SMALLINT) AS {code}"
        )
        message = "value is not one of the declared levels: " + ", ".join(levels)
        named = " ".join(f"WHEN {i} THEN {lit(v)}" for i, v in enumerate(levels, 1))
        self.virtual += [
            f"CASE {code} {named} END AS {q(col)}",
            f"CASE WHEN {code} = 0 THEN {lit(message)} END AS {why(col)}",
        ]
        self.findings.append(Finding(col, f"{why(col)} IS NOT NULL", lit(message)))

    def _written_as_is(self, col: str, declared: list[str]) -> str:
        """SQL list of the declared levels that a text value equal to it always means (no
        spaces around, no ``.0`` to strip, not a missing code); empty when there are none or
        the column is not text."""
        if not self.registry.types[col].upper().startswith("VARCHAR"):
            return ""
        codes = self.missing_codes(col)
        same = [v for v in declared
                if v == v.strip() and v not in codes and not _WHOLE_FLOAT.fullmatch(v)]
        return ", ".join(lit(v) for v in same)

    def plain(self, col: str, kind: str) -> None:
        """Text, or an undeclared column (numbers if every value is one, else text)."""
        sql_type = self.registry.types[col].upper()
        text = self.text(col)
        if kind == "text":
            self.kinds[col] = "text"
            self.select.append(f"{text} AS {q(col)}")
            return
        if _native(sql_type):
            self.kinds[col] = "number" if sql_type in _NUMERIC else "other"
            self.select.append(
                f"CASE WHEN {text} IS NULL THEN NULL ELSE {self.raw(col)} END AS {q(col)}"
            )
            return
        (numeric, comma) = self.scalar(*_guess(text))
        if comma is not None:  # never read decimal commas silently as text
            self.comma(col, text, comma, error=False)
        self.kinds[col] = "number" if numeric else "text"
        self.select.append(f"{'TRY_CAST(' + text + ' AS DOUBLE)' if numeric else text} AS {q(col)}")


def _all_iso(values: list[str], days: FloatArray, codes: NDArray[np.int8]) -> bool:
    """Whether every value is a valid date written YYYY-MM-DD and was read as that date, so
    that a cast in SQL gives the same dates as the lookup of what Python read."""
    if not all(_ISO_DATE.fullmatch(v) for v in values) or np.any(codes != OK):
        return False
    try:
        iso = np.array(values, dtype="datetime64[D]").astype(np.int64)
    except ValueError:
        return False
    return bool(np.array_equal(iso.astype(np.float64), days))


def _day_number(col: str) -> str:
    """The ``c#d`` column (days since 1970-01-01, DOUBLE) from the typed date ``col``."""
    return f"CAST(date_diff('day', DATE '1970-01-01', {q(col)}) AS DOUBLE) AS {days(col)}"


def _native_date(sql_type: str) -> bool:
    return sql_type == "DATE" or sql_type.startswith("TIMESTAMP")


def _native(sql_type: str) -> bool:
    """A type the source gave (a number, boolean or date), kept as it is."""
    return sql_type in _NUMERIC or sql_type == "BOOLEAN" or _native_date(sql_type)


def _negatives(value: str) -> tuple[str, str]:
    """Aggregate SQL: how many values of ``value`` are negative, how many are given."""
    return f"sum(CASE WHEN ({value}) < 0 THEN 1 ELSE 0 END)", f"count({value})"


def _guess(text: str) -> tuple[str, str]:
    """Aggregate SQL: is every value of ``text`` a number; a decimal-comma example."""
    return f"count({text}) = count(TRY_CAST({text} AS DOUBLE))", _comma_example(text)


def _comma_example(t: str) -> str:
    """SQL: a value of text column ``t`` written with a decimal comma when every value is a
    number so written (NULL otherwise)."""
    # regexp_matches and LIKE: sqlglot translates both for Spark
    match = f"regexp_matches({t}, {lit('^' + COMMA_NUMBER + '$')})"
    return (
        f"CASE WHEN count({t}) > 0 AND count({t}) = count(CASE WHEN {match} THEN 1 END) "
        f"THEN max(CASE WHEN {t} LIKE '%,%' THEN {t} END) END"
    )


def type_registry(study: StudyFile, registry: Registry, also: Sequence[str] = ()) -> Typed:
    """Type the registry's columns (as SQL); problems name the study-file key or column.

    ``also``: registry columns whose distinct raw values (as text) a later step will ask
    for, scanned together with the columns' own (:attr:`Typed.distinct`)."""
    c = study.config
    b = _Builder(study, registry)
    b.problems += _missing_problems(study, registry)
    needed = date_columns(study)
    kinds: dict[str, str] = {}
    for col in registry.columns:
        declared = c.variables.get(col)
        if col != registry.id_column:
            kinds[col] = (declared.type if declared else None) or (
                "date" if col in needed else "guess"
            )
    raw = [text_of(b.raw(col), registry.types[col]) for col in also if col in registry.types]
    b.prefetch(kinds, raw)
    for col in registry.columns:
        declared = c.variables.get(col)
        if col == registry.id_column:
            b.kinds[col] = "id"
            if registry.types[col].upper() in WHOLE_NUMBERS:  # stored as numbers: cheaper
                b.select.append(f"{b.raw(col)} AS {q(col + '#number')}")
                b.virtual.append(f"CAST({q(col + '#number')} AS VARCHAR) AS {q(col)}")
            else:
                b.select.append(f"{text_of(b.raw(col), registry.types[col])} AS {q(col)}")
            continue
        kind = kinds[col]
        if kind == "date":
            b.date(col)
        elif kind == "continuous":
            b.continuous(col)
        elif kind == "categorical":
            assert declared is not None
            b.categorical(col, [str(v) for v in declared.levels] if declared.levels else None)
        else:
            b.plain(col, kind)
    return Typed(
        b.kinds,
        b.levels,
        b.problems,
        b.findings,
        tuple(b.select),
        tuple(b.joins),
        virtual=tuple(b.virtual),
        distinct=b.distinct,
    )
